/**
 * Shape and type inference: re-runs every node's type rule from the graph's
 * input types, in topological order (symbolic dimensions included), so the
 * passes after it see exact types. Deferred parameter shapes are solved
 * while tracing (each operator's `solve` rule), so parameters arrive here
 * with concrete shapes; one still unknown (a 0 dimension) is an error naming it.
 */
import { formatType } from '../ir/types.js';
import { withScope } from '../ops/errors.js';
import { getOp } from '../ops/registry.js';
import type { Pass } from './pass.js';

/**
 * Re-infers every node's output types; `changed` when one differs from what
 * the node had.
 *
 * ```ts
 * const { changed } = inferShapes(graph, { mode: 'inference', foldParams: false });
 * ```
 */
export const inferShapes: Pass = (graph) => {
  for (const p of graph.params) {
    if (p.type.shape.includes(0)) throw new Error(`parameter '${p.name}' still has an unknown shape [${p.type.shape.join(', ')}]: run the block once (or give the shape) before compiling`);
  }
  let changed = false;
  for (const node of graph.nodes) {
    const def = getOp(node.op);
    const types = withScope(node.scope, () => def.infer(node.inputs.map((v) => v.type), node.attrs as never));
    node.outputs.forEach((o, i) => {
      const t = types[i];
      if (!t) throw new Error(`${node.op}: the type rule gives no type for output ${i}`);
      if (formatType(t) !== formatType(o.type) || !o.known) changed = true;
      o.type = { dtype: t.dtype, shape: [...t.shape] };
      o.known = true;
    });
  }
  return { graph, changed };
};
