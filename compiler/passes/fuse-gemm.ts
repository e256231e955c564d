/**
 * Matrix products absorb the element-wise work around them, so a weight
 * gradient and its optimizer update take one pass over the weight instead
 * of four (the update of SGD with momentum, `m ← μ·m − (lr·s)·(dYᵀ·X)`,
 * becomes one `linalgGemm(dY·(lr·s), X, m, alpha −1, beta μ)`):
 *
 * - **scale through a product**: `dot(A, B) · s` with `s` a one-element
 *   value → `dot(A · s, B)` (or `dot(A, B · s)`): the scale moves to the
 *   operand with fewer elements (a batch's `dY` rather than the weight-sized
 *   product);
 * - **accumulate into a product**: `Q ± dot(A, B)` and `dot(A, B) ± Q`, with
 *   `Q` of the product's exact type → `linalgGemm(A, B, C, alpha, beta)`
 *   (ONNX Gemm), where `Q = C · β` for a constant one-element β folds into
 *   `beta`; a constant scale or a negation of the product folds into `alpha`.
 * - **accumulate a column sum**: `Q ± sum(A, axis 0)` (times a one-element
 *   scale or negated), `A` a float matrix [M, N] with M known and `Q` of the
 *   sum's type ([N], or [1, N] with keepdims) →
 *   `linalgGemm(ones[1, M] · s, A, Q, alpha, beta)` (reshaped to [N] and
 *   back): a bias gradient and its optimizer update in one Gemm, the scale
 *   on the M ones (onnxruntime's ReduceSum over the leading axis of the MLP
 *   step's [64, 256] deltas took 13 µs, a 1×64×256 Gemm about 2).
 *
 * A factor 0 never becomes alpha or beta (BLAS skips what they multiply:
 * `C · 0` would no longer turn C's Inf into NaN).
 * Only matrix products (rank 2, float32/float64) whose result is used once
 * and is not a graph output are rewritten, so nothing is computed twice.
 * The results equal the unfused graph's up to float rounding (one rounding
 * of the accumulation instead of several), for finite scales: a scale that
 * is ±Inf or NaN when the graph runs (a sum of data holding an Inf) makes
 * `dot(A·s, B)` NaN where `dot(A, B)·s` is ±Inf (0·Inf inside the sum).
 */
import { isConcrete } from '../ir/types.js';
import type { Node } from '../ir/node.js';
import { Value } from '../ir/value.js';
import { sizeOf } from '../../runtime/tensor.js';
import type { Pass, PassContext } from './pass.js';
import { constScalar, reducedAxes } from './patterns.js';
import { producerOf, Rewriter, sameType } from './rewrite.js';

const FLOAT_GEMM = new Set(['float32', 'float64']);

/** A matrix product whose only use is `user` (so it can be rewritten). */
function soleProduct(rw: Rewriter, v: Value, user: Node): Node | null {
  const p = producerOf(v, 'dot');
  if (!p || rw.isOutput(v) || rw.useCount(v) !== 1 || rw.users(v)[0] !== user) return null;
  const [a, b] = p.inputs;
  if (a!.type.shape.length !== 2 || b!.type.shape.length !== 2 || !FLOAT_GEMM.has(v.type.dtype)) return null;
  return p;
}

/** True when `s` holds one element and broadcasting it changes no shape (rank at most 2). */
function isScalarLike(s: Value): boolean {
  return s.type.shape.length <= 2 && s.type.shape.every((d) => d === 1);
}

/**
 * True when `x` is a usable Gemm attribute (a float32 number: exact for a
 * float64 graph's constant too) other than 0: with alpha or beta 0, BLAS
 * (and so Gemm) need not read A·B or C, dropping the NaN that `Inf · 0` is.
 */
const gemmNumber = (x: number | null): x is number => x !== null && x !== 0 && Number.isFinite(x) && Math.fround(x) === x;

/** Elements of a value, or Infinity when a dimension is symbolic. */
function elements(v: Value): number {
  return isConcrete(v.type.shape) ? sizeOf(v.type.shape) : Infinity;
}

/**
 * `dot(A, B) · s` -> `dot(A · s, B)` with `s` on the smaller operand; the new
 * product, or null. A constant `s` whose product is then accumulated is left
 * for `accumulateIntoProduct` (it becomes Gemm's alpha, no multiplication).
 */
function scaleThroughProduct(rw: Rewriter, node: Node, ctx: PassContext): Value | null {
  if (node.op !== 'mul') return null;
  const users = rw.users(node.outputs[0]!);
  const accumulates = users.length === 1 && (users[0]!.op === 'add' || users[0]!.op === 'sub') && !rw.isOutput(node.outputs[0]!);
  for (const k of [0, 1]) {
    const prod = node.inputs[k]!;
    const s = node.inputs[1 - k]!;
    const p = soleProduct(rw, prod, node);
    if (!p || !isScalarLike(s) || s.type.dtype !== prod.type.dtype || !sameType(prod.type, node.outputs[0]!.type)) continue;
    if (accumulates && gemmNumber(constScalar(s, ctx))) return null;
    const [a, b] = p.inputs as [Value, Value];
    const onA = elements(a) <= elements(b);
    const scaled = rw.node('mul', [onA ? a : b, s], {}, node.scope).outputs[0]!;
    return rw.node('dot', onA ? [scaled, b] : [a, scaled], p.attrs, p.scope).outputs[0]!;
  }
  return null;
}

/** A product with the constant factor applied to it: `dot`, `neg(dot)` or `dot · c`. */
function scaledProduct(rw: Rewriter, v: Value, user: Node, ctx: PassContext): { p: Node; alpha: number } | null {
  const direct = soleProduct(rw, v, user);
  if (direct) return { p: direct, alpha: 1 };
  const n = producerOf(v, 'neg', 'mul');
  if (!n || rw.isOutput(v) || rw.useCount(v) !== 1) return null;
  if (n.op === 'neg') {
    const p = soleProduct(rw, n.inputs[0]!, n);
    return p ? { p, alpha: -1 } : null;
  }
  for (const k of [0, 1]) {
    const c = constScalar(n.inputs[1 - k]!, ctx);
    const p = gemmNumber(c) && isScalarLike(n.inputs[1 - k]!) ? soleProduct(rw, n.inputs[k]!, n) : null;
    if (p && sameType(p.outputs[0]!.type, n.outputs[0]!.type)) return { p, alpha: c! };
  }
  return null;
}

/** `Q` as `C · β` (β a constant one-element value, `Q` used once), else `Q · 1`. */
function accumulated(rw: Rewriter, q: Value, ctx: PassContext): { c: Value; beta: number } {
  const m = producerOf(q, 'mul');
  if (m && !rw.isOutput(q) && rw.useCount(q) === 1) {
    for (const k of [0, 1]) {
      const b = constScalar(m.inputs[1 - k]!, ctx);
      if (gemmNumber(b) && isScalarLike(m.inputs[1 - k]!) && sameType(m.inputs[k]!.type, q.type)) return { c: m.inputs[k]!, beta: b };
    }
  }
  return { c: q, beta: 1 };
}

/** `Q ± product` or `product ± Q` -> `linalgGemm`; the new value, or null. */
function accumulateIntoProduct(rw: Rewriter, node: Node, ctx: PassContext): Value | null {
  if (node.op !== 'add' && node.op !== 'sub') return null;
  const y = node.outputs[0]!;
  for (const k of [1, 0]) {
    const sp = scaledProduct(rw, node.inputs[k]!, node, ctx);
    const q = node.inputs[1 - k]!;
    if (!sp || q === node.inputs[k] || !sameType(q.type, y.type) || !sameType(sp.p.outputs[0]!.type, y.type)) continue;
    const { c, beta } = accumulated(rw, q, ctx);
    // add: Q + αP; sub with the product second: Q − αP; sub with the product first: αP − Q.
    const sign = node.op === 'add' || k === 1 ? 1 : -1;
    const alpha = node.op === 'sub' && k === 1 ? -sp.alpha : sp.alpha;
    const [a, b] = sp.p.inputs as [Value, Value];
    const at = sp.p.attrs as { transposeA: boolean; transposeB: boolean };
    return rw.node('linalgGemm', [a, b, c], { transposeA: at.transposeA, transposeB: at.transposeB, alpha, beta: sign * beta }, node.scope).outputs[0]!;
  }
  return null;
}

/** `sum(A, axis 0)` of a float matrix with a known row count, used only by `user`: A, or null. */
function soleColumnSum(rw: Rewriter, v: Value, user: Node): Value | null {
  const n = producerOf(v, 'sum');
  if (!n || rw.isOutput(v) || rw.useCount(v) !== 1 || rw.users(v)[0] !== user) return null;
  const a = n.inputs[0]!;
  const axes = reducedAxes(n);
  if (a.type.shape.length !== 2 || typeof a.type.shape[0] !== 'number' || axes.length !== 1 || axes[0] !== 0 || !FLOAT_GEMM.has(a.type.dtype)) return null;
  return a;
}

/** A column sum with its factor: `sum(A)`, `neg(sum(A))`, `sum(A) · c` (alpha c) or `sum(A) · s` (s a one-element value). */
function scaledColumnSum(rw: Rewriter, v: Value, user: Node, ctx: PassContext): { a: Value; alpha: number; scale: Value | null } | null {
  const direct = soleColumnSum(rw, v, user);
  if (direct) return { a: direct, alpha: 1, scale: null };
  const n = producerOf(v, 'neg', 'mul');
  if (!n || rw.isOutput(v) || rw.useCount(v) !== 1) return null;
  if (n.op === 'neg') {
    const a = soleColumnSum(rw, n.inputs[0]!, n);
    return a ? { a, alpha: -1, scale: null } : null;
  }
  for (const k of [0, 1]) {
    const s = n.inputs[1 - k]!;
    const a = isScalarLike(s) && s.type.dtype === v.type.dtype && sameType(n.inputs[k]!.type, v.type) ? soleColumnSum(rw, n.inputs[k]!, n) : null;
    if (!a) continue;
    const c = constScalar(s, ctx);
    return gemmNumber(c) ? { a, alpha: c, scale: null } : { a, alpha: 1, scale: s };
  }
  return null;
}

/** Rows of ones made in one run of the pass, by dtype and length, with their scaled copies by scale (every bias's update shares them). */
type OnesRows = Map<string, { ones: Value; scaled: Map<Value, Value> }>;

/** The row `ones[1, m] · scale` (or the ones), one per dtype, length and scale in a run of the pass. */
function onesRow(rw: Rewriter, rows: OnesRows, dtype: 'float32' | 'float64', m: number, scale: Value | null, scope: string): Value {
  const key = `${dtype}:${m}`;
  let row = rows.get(key);
  if (!row) {
    const data = (dtype === 'float64' ? new Float64Array(m) : new Float32Array(m)).fill(1);
    rows.set(key, (row = { ones: Value.constant({ dtype, shape: [1, m], data }), scaled: new Map() }));
  }
  if (!scale) return row.ones;
  let v = row.scaled.get(scale);
  // A one-element scale (rank <= 2) broadcast against [1, m] keeps that shape.
  if (!v) row.scaled.set(scale, (v = rw.node('mul', [row.ones, scale], {}, scope).outputs[0]!));
  return v;
}

/** `Q ± sum(A, axis 0)·s` or `sum(A, axis 0)·s ± Q` -> `linalgGemm(ones·s, A, Q)` (see the module comment); the new value, or null. */
function accumulateColumnSum(rw: Rewriter, node: Node, ctx: PassContext, rows: OnesRows): Value | null {
  if (node.op !== 'add' && node.op !== 'sub') return null;
  const y = node.outputs[0]!;
  for (const k of [1, 0]) {
    const cs = scaledColumnSum(rw, node.inputs[k]!, node, ctx);
    const q = node.inputs[1 - k]!;
    if (!cs || q === node.inputs[k] || !sameType(q.type, y.type)) continue;
    const [m, n] = cs.a.type.shape as [number, number | string];
    const flat = y.type.shape.length === 1;
    if (!sameType(y.type, { dtype: cs.a.type.dtype, shape: flat ? [n] : [1, n] })) continue;
    const { c, beta } = accumulated(rw, q, ctx);
    const sign = node.op === 'add' || k === 1 ? 1 : -1;
    const alpha = node.op === 'sub' && k === 1 ? -cs.alpha : cs.alpha;
    const lhs = onesRow(rw, rows, cs.a.type.dtype as 'float32' | 'float64', m, cs.scale, node.scope);
    const c2 = flat ? rw.node('reshape', [c], { shape: [1, -1] }, node.scope).outputs[0]! : c;
    const g = rw.node('linalgGemm', [lhs, cs.a, c2], { transposeA: false, transposeB: false, alpha, beta: sign * beta }, node.scope).outputs[0]!;
    return flat ? rw.node('reshape', [g], { shape: [-1] }, node.scope).outputs[0]! : g;
  }
  return null;
}

/**
 * Moves scales into matrix products and accumulations into Gemm (see the module comment).
 *
 * ```ts
 * fuseGemm(graph, ctx); // sub(mul(m, 0.9), mul(dot(g, x, {transposeA}), s)) -> linalgGemm(mul(g, s), x, m, {alpha: -1, beta: 0.9})
 * ```
 */
export const fuseGemm: Pass = (graph, ctx) => {
  const rw = new Rewriter(graph);
  const rows: OnesRows = new Map();
  let changed = false;
  for (const node of graph.nodes) {
    if (!rw.owns(node) || node.outputs.length !== 1) continue;
    const nu = scaleThroughProduct(rw, node, ctx) ?? accumulateIntoProduct(rw, node, ctx) ?? accumulateColumnSum(rw, node, ctx, rows);
    if (nu) {
      rw.replace(node.outputs[0]!, nu);
      changed = true;
    }
  }
  rw.commit();
  return { graph, changed };
};
