/**
 * LayerNorm fusion: layer normalization over the last axis written by hand,
 *
 *   m = mean(x, -1, keepdims); d = x - m; v = mean(d², -1, keepdims)
 *   n = d / sqrt(v + eps)   (or d * rsqrt(v + eps))
 *   y = n * gamma + beta    (gamma and beta optional, vectors over the last axis)
 *
 * with `d²` as square(d), d * d or d ** 2, becomes one `LayerNorm` node
 * (ONNX `LayerNormalization` from opset 17); absent gamma/beta become
 * constant ones/zeros.
 * Invariant: only when every intermediate is used inside the pattern.
 */
import { fromF64 } from '../ops/kernels.js';
import type { Node } from '../ir/node.js';
import { Value } from '../ir/value.js';
import type { Pass, PassContext } from './pass.js';
import { constScalar, isConstNear, reducedAxes, usedOnlyBy } from './patterns.js';
import { producerOf, Rewriter } from './rewrite.js';

/**
 * Fuses hand-written layer normalizations.
 *
 * ```ts
 * fuseLayerNorm(graph, ctx); // the mean/sub/square/mean/add/sqrt/div chain -> LayerNorm(x, gamma, beta)
 * ```
 */
export const fuseLayerNorm: Pass = (graph, ctx) => {
  const rw = new Rewriter(graph);
  let changed = false;
  for (const node of graph.nodes) {
    if (node.op !== 'sub') continue;
    const m = matchLayerNorm(rw, node, ctx);
    if (!m) continue;
    const dtype = m.x.type.dtype;
    const c = m.x.type.shape[m.x.type.shape.length - 1] as number;
    const fill = (k: number) => Value.constant(fromF64({ dtype, shape: [c] }, new Float64Array(c).fill(k)));
    const ln = rw.node('LayerNorm', [m.x, m.gamma ?? fill(1), m.beta ?? fill(0)], { axis: -1, eps: m.eps }, node.scope);
    rw.replace(m.out, ln.outputs[0]!);
    changed = true;
  }
  rw.commit();
  return { graph, changed };
};

interface LayerNormMatch {
  x: Value;
  gamma: Value | null;
  beta: Value | null;
  eps: number;
  out: Value;
}

/** A mean over the last axis keeping dimensions, of `x`. */
function isLastMean(n: Node | null, x?: Value): n is Node {
  if (!n || n.op !== 'mean' || !n.attrs['keepdims']) return false;
  const r = n.inputs[0]!.type.shape.length;
  const axes = reducedAxes(n);
  return r > 0 && axes.length === 1 && axes[0] === r - 1 && (x === undefined || n.inputs[0] === x);
}

/** A vector over the last axis of `like` (shape [C], same dtype). */
function isChannelVector(v: Value, like: Value): boolean {
  const s = like.type.shape;
  return v.type.dtype === like.type.dtype && v.type.shape.length === 1 && v.type.shape[0] === s[s.length - 1];
}

function matchLayerNorm(rw: Rewriter, sub: Node, ctx: PassContext): LayerNormMatch | null {
  const [x, mv] = sub.inputs as [Value, Value];
  const mean1 = mv.producer;
  if (!isLastMean(mean1, x) || !usedOnlyBy(rw, mv, [sub])) return null;
  const d = sub.outputs[0]!;
  // d² and the normalizing node are the only users of d.
  const users = rw.users(d);
  const sq = users.find((n) => (n.op === 'square' && n.inputs[0] === d) || (n.op === 'mul' && n.inputs[0] === d && n.inputs[1] === d) || (n.op === 'pow' && n.inputs[0] === d && isConstNear(n.inputs[1]!, 2, ctx)));
  if (!sq || users.length !== 2 || rw.isOutput(d)) return null;
  const norm = users.find((n) => n !== sq)!;
  const mean2 = rw.users(sq.outputs[0]!)[0] ?? null;
  if (!isLastMean(mean2, sq.outputs[0]!) || !usedOnlyBy(rw, sq.outputs[0]!, [mean2])) return null;
  const v = mean2.outputs[0]!;
  const add = rw.users(v)[0];
  if (!add || add.op !== 'add' || !usedOnlyBy(rw, v, [add])) return null;
  const epsV = add.inputs[0] === v ? add.inputs[1]! : add.inputs[0]!;
  const eps = constScalar(epsV, ctx);
  if (eps === null || !(eps >= 0) || epsV.type.shape.length > 1) return null;
  const s = add.outputs[0]!;
  const root = rw.users(s)[0];
  if (!root || !usedOnlyBy(rw, s, [root])) return null;
  let ok = false;
  if (root.op === 'sqrt') {
    ok = norm.op === 'div' && norm.inputs[0] === d && norm.inputs[1] === root.outputs[0] && usedOnlyBy(rw, root.outputs[0]!, [norm]);
  } else if (root.op === 'rsqrt') {
    const r = root.outputs[0]!;
    ok = norm.op === 'mul' && ((norm.inputs[0] === d && norm.inputs[1] === r) || (norm.inputs[1] === d && norm.inputs[0] === r)) && usedOnlyBy(rw, r, [norm]);
  }
  if (!ok || norm.outputs[0]!.type.shape.join() !== x.type.shape.join()) return null;
  const c = x.type.shape[x.type.shape.length - 1];
  // The optional affine part.
  let out = norm.outputs[0]!;
  let gamma: Value | null = null;
  let beta: Value | null = null;
  const affine = (op: string): Value | null => {
    const users = rw.users(out);
    const n = users[0];
    if (users.length !== 1 || rw.isOutput(out) || n!.op !== op) return null;
    const other = n!.inputs[0] === out ? n!.inputs[1]! : n!.inputs[0]!;
    if (other === out || !isChannelVector(other, x)) return null;
    out = n!.outputs[0]!;
    return other;
  };
  gamma = affine('mul');
  beta = affine('add');
  if ((gamma === null || beta === null) && typeof c !== 'number') return null;
  return { x, gamma, beta, eps, out };
}
