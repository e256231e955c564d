/**
 * The IR verifier: run after every pass in tests. It checks the graph
 * invariants and, given a type rule, that every node's output types are the
 * ones its operator infers.
 */
import type { Graph } from './graph.js';
import type { Node } from './node.js';
import { formatType, type TensorType } from './types.js';
import type { Value } from './value.js';

/** Re-infers a node's output types (the operator set provides it). */
export type InferFn = (node: Node) => TensorType[];

/** Throws an Error listing every broken invariant of `g`; returns `g` when it is sound. */
export function verifyGraph(g: Graph, infer?: InferFn): Graph {
  const problems: string[] = [];
  const defined = new Set<Value>([...g.inputs, ...g.params, ...g.constants]);
  for (const p of g.params) if (p.kind !== 'param') problems.push(`parameter '${p.name}' has kind ${p.kind}`);
  for (const c of g.constants) if (!c.data) problems.push(`constant '${c.name}' has no data`);
  g.nodes.forEach((node, i) => {
    const where = `node ${i} (${node.op})`;
    node.inputs.forEach((v, k) => {
      if (!defined.has(v)) problems.push(`${where}: input ${k} is not defined before it`);
      if (!v.uses.includes(node)) problems.push(`${where}: input ${k} does not list the node among its uses`);
    });
    node.outputs.forEach((o, k) => {
      if (o.producer !== node || o.index !== k) problems.push(`${where}: output ${k} has the wrong producer`);
      if (defined.has(o)) problems.push(`${where}: output ${k} is defined twice`);
      defined.add(o);
    });
    if (infer) {
      let types: TensorType[];
      try {
        types = infer(node);
      } catch (e) {
        problems.push(`${where}: type rule fails: ${(e as Error).message}`);
        return;
      }
      node.outputs.forEach((o, k) => {
        const t = types[k];
        if (!t || formatType(t) !== formatType(o.type)) {
          problems.push(`${where}: output ${k} is ${formatType(o.type)} but the type rule gives ${t ? formatType(t) : 'nothing'}`);
        }
      });
    }
  });
  const names = new Set<string>();
  for (const o of g.outputs) {
    if (!defined.has(o.value)) problems.push(`output '${o.name}' is not defined`);
    if (names.has(o.name)) problems.push(`output name '${o.name}' is used twice`);
    names.add(o.name);
  }
  if (problems.length) throw new Error(`invalid graph:\n  ${problems.join('\n  ')}`);
  return g;
}
