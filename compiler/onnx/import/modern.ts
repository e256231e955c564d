/**
 * Importers of operators from ONNX opsets 18 to 28 that newer exporters
 * write, onto gluonc's operators (formulas from ONNX's reference
 * implementation, onnx/reference/ops):
 * - RMSNormalization (23): `x / sqrt(mean(x^2 over axis..) + epsilon) * scale`,
 *   computed in float32 for float16 inputs (`stash_type` 1, the only one the
 *   reference runs);
 * - Swish (24): `x * sigmoid(alpha * x)`; SwiGLU (28): `Swish_alpha(A) * B`,
 *   A and B of one shape;
 * - CausalConvWithState (27): a depthwise Convolution (group = channels,
 *   kernel [C, 1, k]) over `past_state` (zeros when absent) concatenated before
 *   the input, SiLU when `activation` is silu/swish (computed in float32 for
 *   float16, as the reference); `present_state` the last k - 1 positions (none for k = 1);
 * - CenterCropPad (18): per listed axis, a centered crop (the extra element
 *   of an odd difference cut at the end) or zero padding (the extra element
 *   padded at the end), the target shape constant;
 * - AffineGrid (20): `theta` [N, 2, 3] or [N, 3, 4] applied to the
 *   normalized homogeneous grid of `size` (constant), `align_corners` 0 or 1,
 *   as an einsum with the grid as a constant;
 * - RotaryEmbedding (23): the first `rotary_embedding_dim` features of each
 *   head rotated by the cos/sin caches (indexed by `position_ids` when
 *   given), halves or interleaved pairs, input [B, heads, S, D] or
 *   [B, S, hidden] with `num_heads`.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Value } from '../../ir/value.js';
import { castTo, normAxis, requireOpset, type Builder, type ImportCtx } from './context.js';

const isFloat = (v: Value) => v.type.dtype === 'float32' || v.type.dtype === 'float64' || v.type.dtype === 'float16';

const rmsNorm: Builder = (c) => {
  const [x0, scale0] = [c.input(0), c.input(1)];
  if (!isFloat(x0)) throw c.refuse(`input of dtype ${x0.type.dtype} (RMSNormalization takes floats)`);
  const stash = c.attr.int('stash_type', 1);
  if (stash !== 1) throw c.refuse(`stash_type ${stash} (only 1, float32, is defined by ONNX's reference)`);
  const d = x0.type.dtype;
  const wide = d === 'float16';
  const [x, scale] = wide ? [castTo(c, x0, 'float32'), castTo(c, scale0, 'float32')] : [x0, scale0];
  const r = x.type.shape.length;
  const axis = normAxis(c, c.attr.int('axis', -1), r);
  const axes = Array.from({ length: r - axis }, (_v, i) => axis + i);
  const ms = c.op('mean', [c.op('square', [x])], { axis: axes, keepdims: true });
  const y = c.op('mul', [c.op('mul', [x, c.op('rsqrt', [c.op('add', [ms, c.scalar(c.attr.float('epsilon', 1e-5), x.type.dtype)])])]), scale]);
  return [wide ? castTo(c, y, d) : y];
};

const swish: Builder = (c) => {
  const x = c.input(0);
  if (!isFloat(x)) throw c.refuse(`input of dtype ${x.type.dtype} (Swish takes floats)`);
  const alpha = c.attr.float('alpha', 1);
  const z = alpha === 1 ? x : c.op('mul', [x, c.scalar(alpha, x.type.dtype)]);
  return [c.op('mul', [x, c.op('sigmoid', [z])])];
};

const swiGlu: Builder = (c) => {
  requireOpset(c, 28);
  const [a, b] = [c.input(0), c.input(1)];
  if (!isFloat(a) || a.type.dtype !== b.type.dtype) throw c.refuse(`A of dtype ${a.type.dtype} and B of dtype ${b.type.dtype} (one float dtype)`);
  const [as, bs] = [a.type.shape, b.type.shape];
  if (as.length !== bs.length || as.some((d, i) => d !== bs[i])) throw c.refuse(`A of shape [${as.join(', ')}] and B of shape [${bs.join(', ')}] (equal shapes; SwiGLU does not broadcast)`);
  const alpha = c.attr.float('alpha', 1);
  const z = alpha === 1 ? a : c.op('mul', [a, c.scalar(alpha, a.type.dtype)]);
  return [c.op('mul', [c.op('mul', [a, c.op('sigmoid', [z])]), b])];
};

const causalConv: Builder = (c) => {
  requireOpset(c, 27);
  const [x, w] = [c.input(0), c.input(1)];
  const [bias, past] = [c.optInput(2), c.optInput(3)];
  const act = c.attr.str('activation', 'none');
  if (act !== 'none' && act !== 'silu' && act !== 'swish') throw c.refuse(`activation '${act}' (none, silu or swish)`);
  if (!isFloat(x) || w.type.dtype !== x.type.dtype) throw c.refuse(`input of dtype ${x.type.dtype} and weight of dtype ${w.type.dtype} (one float dtype)`);
  const [xs, ws] = [x.type.shape, w.type.shape];
  const [ch, k] = [xs[1], ws[2]];
  if (xs.length !== 3 || ws.length !== 3 || typeof ch !== 'number' || ws[0] !== ch || ws[1] !== 1 || typeof k !== 'number' || k < 1) {
    throw c.refuse(`input [${xs.join(', ')}] and weight [${ws.join(', ')}] (input [B, C, L] and weight [C, 1, k], C and k >= 1 known)`);
  }
  if (k === 1 && past && past.type.shape[2] !== 0) throw c.refuse(`past_state [${past.type.shape.join(', ')}] with a kernel of size 1 (its state is empty: [B, C, 0])`);
  // Zeros [B, C, k - 1] without past_state (B and L may be symbolic); a kernel of size 1 keeps no state.
  const lead = k === 1 ? null : past ?? c.op('tile', [c.op('zerosLike', [c.op('sliceAxis', [x], { axis: 2, begin: 0, end: 1 })])], { reps: [1, 1, k - 1] });
  const padded = lead ? c.op('concat', [lead, x], { dim: 2 }) : x;
  let y = c.op('Convolution', bias ? [padded, w, bias] : [padded, w], { kernel: [k], stride: [1], dilate: [1], pad: [0], numFilter: ch, numGroup: ch, noBias: !bias });
  if (act !== 'none') {
    const wide = x.type.dtype === 'float16' ? castTo(c, y, 'float32') : y;
    y = castTo(c, c.op('mul', [wide, c.op('sigmoid', [wide])]), x.type.dtype);
  }
  return [y, c.op('sliceAxis', [padded], { axis: 2, begin: k === 1 ? 0 : -(k - 1), end: k === 1 ? 0 : null })];
};

const centerCropPad: Builder = (c) => {
  const x = c.input(0);
  const shape = c.numbers(1, 'the target shape')!;
  const r = x.type.shape.length;
  const axes = (c.attr.ints('axes') ?? Array.from({ length: r }, (_v, i) => i)).map((a) => normAxis(c, a, r, 'axes'));
  if (axes.length !== shape.length) throw c.refuse(`a target shape of ${shape.length} entries for ${axes.length} axes`);
  const begin: (number | null)[] = new Array(r).fill(null);
  const end: (number | null)[] = new Array(r).fill(null);
  const width: number[] = new Array<number>(2 * r).fill(0);
  axes.forEach((a, i) => {
    const dim = x.type.shape[a];
    const want = shape[i]!;
    if (typeof dim !== 'number') throw c.refuse(`axis ${a} of symbolic size ${String(dim)} (its size must be known when the file is read)`);
    if (!Number.isInteger(want) || want < 0) throw c.refuse(`target size ${want} for axis ${a}`);
    const lead = Math.floor(Math.abs(dim - want) / 2);
    if (want < dim) [begin[a], end[a]] = [lead, lead + want];
    else if (want > dim) [width[2 * a], width[2 * a + 1]] = [lead, want - dim - lead];
  });
  let y = x;
  if (begin.some((b) => b !== null)) y = c.op('slice', [y], { begin, end, step: begin.map(() => null) } as never);
  if (width.some((w) => w)) y = c.op('pad', [y], { mode: 'constant', padWidth: width, constantValue: 0 });
  return [y];
};

/** The normalized coordinates along one axis of `n` points (ONNX's reference: np.arange's values). */
function coords(n: number, align: boolean): number[] {
  if (align) return n === 1 ? [-1] : Array.from({ length: n }, (_v, i) => -1 + (i * 2) / (n - 1));
  return Array.from({ length: n }, (_v, i) => -1 + 1 / n + (i * 2) / n);
}

const affineGrid: Builder = (c) => {
  const theta = c.input(0);
  const size = c.numbers(1, 'size')!;
  const align = c.attr.int('align_corners', 0) === 1;
  const spatial = size.slice(2);
  const k = spatial.length;
  const ts = theta.type.shape;
  if ((k !== 2 && k !== 3) || ts.length !== 3 || ts[1] !== k || ts[2] !== k + 1) {
    throw c.refuse(`theta of shape [${ts.join(', ')}] with size [${size.join(', ')}] (2-D: theta [N, 2, 3], size [N, C, H, W]; 3-D: [N, 3, 4], [N, C, D, H, W])`);
  }
  if (!isFloat(theta)) throw c.refuse(`theta of dtype ${theta.type.dtype}`);
  // The homogeneous grid [points, k + 1]: (x, y[, z], 1) per point, the last spatial axis fastest; x runs along it.
  const axesCoords = spatial.map((n) => coords(n, align));
  const points = spatial.reduce((a, b) => a * b, 1);
  const grid: number[] = [];
  for (let p = 0; p < points; p++) {
    const idx: number[] = [];
    let rest = p;
    for (let a = k - 1; a >= 0; a--) {
      idx[a] = rest % spatial[a]!;
      rest = Math.floor(rest / spatial[a]!);
    }
    for (let a = k - 1; a >= 0; a--) grid.push(axesCoords[a]![idx[a]!]!);
    grid.push(1);
  }
  const g = c.constant(tensorFromNumbers(theta.type.dtype, [points, k + 1], grid));
  const out = c.op('einsum', [g, theta], { equation: 'pk,njk->npj' });
  return [c.op('reshape', [out], { shape: [0, ...spatial, k] })];
};

const rotary: Builder = (c) => {
  const x0 = c.input(0);
  let [cos, sin] = [c.input(1), c.input(2)];
  const pos = c.optInput(3);
  const xs = x0.type.shape;
  const interleaved = c.attr.int('interleaved', 0) === 1;
  let x: Value;
  if (xs.length === 4) x = c.op('transpose', [x0], { axes: [0, 2, 1, 3] });
  else if (xs.length === 3) {
    const heads = c.attr.int('num_heads', 0);
    if (!(heads > 0)) throw c.refuse('a 3-d input without num_heads');
    x = c.op('reshape', [x0], { shape: [0, 0, heads, -1] });
  } else throw c.refuse(`input of rank ${xs.length} (RotaryEmbedding takes [B, heads, S, D] or [B, S, hidden])`);
  const head = x.type.shape[3];
  if (typeof head !== 'number') throw c.refuse(`a head size of ${String(head)} (it must be known when the file is read)`);
  const rd = c.attr.int('rotary_embedding_dim', 0) || head;
  if (rd % 2 !== 0 || rd > head) throw c.refuse(`rotary_embedding_dim ${rd} for heads of ${head}`);
  if (pos) [cos, sin] = [c.op('take', [cos, pos], { axis: 0 }), c.op('take', [sin, pos], { axis: 0 })];
  if (cos.type.shape[cos.type.shape.length - 1] !== rd / 2) throw c.refuse(`caches of last size ${String(cos.type.shape[cos.type.shape.length - 1])} (rotary_embedding_dim / 2 = ${rd / 2})`);
  [cos, sin] = [c.op('expandDims', [cos], { axis: 2 }), c.op('expandDims', [sin], { axis: 2 })];
  const rot = rd === head ? x : c.op('sliceAxis', [x], { axis: 3, begin: 0, end: rd });
  const [x1, x2] = interleaved
    ? [0, 1].map((o) => c.op('slice', [rot], { begin: [null, null, null, o], end: [null, null, null, null], step: [null, null, null, 2] } as never))
    : [c.op('sliceAxis', [rot], { axis: 3, begin: 0, end: rd / 2 }), c.op('sliceAxis', [rot], { axis: 3, begin: rd / 2, end: rd })];
  const real = c.op('sub', [c.op('mul', [cos, x1!]), c.op('mul', [sin, x2!])]);
  const imag = c.op('add', [c.op('mul', [sin, x1!]), c.op('mul', [cos, x2!])]);
  let y = interleaved ? c.op('reshape', [c.op('stack', [real, imag], { axis: -1 })], { shape: [0, 0, 0, -1] }) : c.op('concat', [real, imag], { dim: -1 });
  if (rd < head) y = c.op('concat', [y, c.op('sliceAxis', [x], { axis: 3, begin: rd, end: head })], { dim: -1 });
  return [xs.length === 4 ? c.op('transpose', [y], { axes: [0, 2, 1, 3] }) : c.op('reshape', [y], { shape: [0, 0, -1] })];
};

/** The importers of this file by ONNX operator. */
export const MODERN_IMPORTS: Readonly<Record<string, Builder>> = {
  RMSNormalization: rmsNorm,
  Swish: swish,
  SwiGLU: swiGlu,
  CausalConvWithState: causalConv,
  CenterCropPad: centerCropPad,
  AffineGrid: affineGrid,
  RotaryEmbedding: rotary,
};
