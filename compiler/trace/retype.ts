/**
 * Re-running every node's type rule over a graph, from new input types:
 * `inferShape`, binding concrete shapes at `eval`, and the shape-inference pass.
 */
import type { Graph } from '../ir/graph.js';
import type { TensorType } from '../ir/types.js';
import { withScope } from '../ops/errors.js';
import { getOp } from '../ops/registry.js';

/** Sets the graph's input types (by input name) and re-infers every node's outputs in place. */
export function retypeGraph(g: Graph, inputTypes: Record<string, TensorType>): Graph {
  for (const v of g.inputs) {
    const t = inputTypes[v.name];
    if (t) {
      v.type = { dtype: t.dtype, shape: [...t.shape] };
      v.known = true;
    } else if (!v.known) throw new Error(`variable '${v.name}' has no shape: bind one`);
  }
  for (const node of g.nodes) {
    const def = getOp(node.op);
    const types = withScope(node.scope, () => def.infer(node.inputs.map((v) => v.type), node.attrs as never));
    node.outputs.forEach((o, i) => {
      o.type = types[i]!;
      o.known = true;
    });
  }
  return g;
}
