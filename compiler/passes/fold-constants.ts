/**
 * Constant folding: a node whose inputs are all constants (or, with
 * `foldParams`, parameters carrying data) is computed now, through the same
 * `executeOp` the eager path uses, and replaced by its result. Shape
 * arithmetic folds too: an operator that reads only the shape of an input
 * whose shape is concrete (`zerosLike`, `onesLike`, `reshapeLike`,
 * `broadcastLike`) no longer depends on that input.
 * Invariants: random operators are never folded; a result is never much
 * larger than what it replaces (a broadcast of a scalar stays a broadcast).
 */
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Node } from '../ir/node.js';
import { isConcrete } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { withScope } from '../ops/errors.js';
import { executeOp, FOLD_MAX_GROWTH, foldKeepsSize } from '../ops/execute.js';
import { fromF64 } from '../ops/kernels.js';
import { getOp } from '../ops/registry.js';
import type { Pass, PassContext } from './pass.js';
import { constData, Rewriter } from './rewrite.js';

/** A folded result may exceed the elements it replaces only up to this size (shared with folding while tracing). */
export { FOLD_MAX_GROWTH };

/**
 * Folds constant subexpressions and shape arithmetic.
 *
 * ```ts
 * foldConstants(graph, { mode: 'training', foldParams: false }); // add(2, 3) -> const 5
 * ```
 */
export const foldConstants: Pass = (graph, ctx) => {
  const rw = new Rewriter(graph);
  let changed = false;
  for (const node of graph.nodes) {
    if (fold(rw, node, ctx)) {
      changed = true;
      continue;
    }
    const shaped = foldShapeArithmetic(rw, node);
    if (!shaped) continue;
    changed = true;
    // The replacement may itself be constant now (a fill, or a reshape of a constant).
    const p = shaped.producer;
    if (p) fold(rw, p, ctx);
  }
  rw.commit();
  return { graph, changed };
};

/** Computes `node` now when its inputs are known; true when it was replaced. */
function fold(rw: Rewriter, node: Node, ctx: PassContext): boolean {
  const def = getOp(node.op);
  if (def.random) return false;
  const datas = node.inputs.map((v) => constData(v, ctx));
  if (!datas.every((d): d is HostTensor => d !== null) || !node.outputs.every((o) => isConcrete(o.type.shape))) return false;
  const inElems = datas.reduce((s, d) => s + d.data.length, 0);
  const outElems = node.outputs.reduce((s, o) => s + sizeOf(o.type.shape as number[]), 0);
  if (!foldKeepsSize(inElems, outElems)) return false;
  const outs = withScope(node.scope, () => executeOp(def, datas, node.attrs, { attrs: node.attrs, outTypes: node.outputs.map((o) => o.type) }));
  node.outputs.forEach((o, i) => rw.replace(o, Value.constant(outs[i]!)));
  return true;
}

/** Rewrites an operator that reads only a concrete shape of its last input. */
function foldShapeArithmetic(rw: Rewriter, node: Node): Value | null {
  const out = node.outputs[0]!.type;
  const shape = out.shape;
  if (!isConcrete(shape) || shape.includes(0)) return null;
  const y = node.outputs[0]!;
  switch (node.op) {
    case 'zerosLike':
    case 'onesLike': {
      // Small fills become constants; large ones stay (a constant would bloat the artifact).
      if (sizeOf(shape) > FOLD_MAX_GROWTH) return null;
      const fill = new Float64Array(sizeOf(shape)).fill(node.op === 'onesLike' ? 1 : 0);
      const c = Value.constant(fromF64(out, fill));
      rw.replace(y, c);
      return c;
    }
    case 'reshapeLike': {
      const n = rw.node('reshape', [node.inputs[0]!], { shape }, node.scope);
      rw.replace(y, n.outputs[0]!);
      return n.outputs[0]!;
    }
    case 'broadcastLike': {
      const n = rw.node('broadcastTo', [node.inputs[0]!], { shape }, node.scope);
      rw.replace(y, n.outputs[0]!);
      return n.outputs[0]!;
    }
    default:
      return null;
  }
}
