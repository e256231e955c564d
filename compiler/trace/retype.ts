/**
 * Re-running every node's type rule over a graph, from new input types:
 * `inferShape`, binding concrete shapes at `eval`, and the shape-inference pass.
 * With `solve` (inferShape), a variable left unbound gets its shape from the
 * first operator that reads it (its solve rule, `solveParamShape`), as MXNet's
 * infer_shape gives the parameters' shapes from the data's.
 */
import type { Graph } from '../ir/graph.js';
import type { TensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { withDefaults } from '../ops/call.js';
import { withScope } from '../ops/errors.js';
import { solveParamShape } from '../ops/infer.js';
import { getOp } from '../ops/registry.js';

const unbound = (v: Value): Error => new Error(`variable '${v.name}' has no shape: bind one`);

/** Sets the graph's input types (by input name) and re-infers every node's outputs in place. */
export function retypeGraph(g: Graph, inputTypes: Record<string, TensorType>, options: { solve?: boolean } = {}): Graph {
  const pending = new Set<Value>();
  for (const v of g.inputs) {
    const t = inputTypes[v.name];
    if (t) {
      v.type = { dtype: t.dtype, shape: [...t.shape] };
      v.known = true;
    } else if (!v.known) {
      if (!options.solve) throw unbound(v);
      pending.add(v);
    }
  }
  for (const node of g.nodes) {
    const def = getOp(node.op);
    node.inputs.forEach((v, i) => {
      if (!pending.has(v)) return;
      const shape = solveParamShape(def, node.inputs.map((u) => u.type), i, withDefaults(def, node.attrs));
      if (!shape) throw unbound(v);
      v.type = { dtype: v.type.dtype, shape };
      v.known = true;
      pending.delete(v);
    });
    // A node made while its inputs' shapes were unknown was never normalized (BatchNorm's training: null): normalize for its type rule, as inferOp does.
    const types = withScope(node.scope, () => {
      const ts = node.inputs.map((v) => v.type);
      return def.infer(ts, (def.normalize ? def.normalize(withDefaults(def, node.attrs) as never, ts) : node.attrs) as never);
    });
    node.outputs.forEach((o, i) => {
      o.type = types[i]!;
      o.known = true;
    });
  }
  for (const v of pending) throw unbound(v);
  return g;
}
