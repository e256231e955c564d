/**
 * Importers of ONNX's reductions (ReduceSum/Mean/Max/Min/Prod/L1/L2/
 * SumSquare/LogSum/LogSumExp), ArgMax/ArgMin and TopK. Axes are an attribute
 * before opset 18 (ReduceSum: 13) and an input from then on; keepdims
 * defaults to 1; `noop_with_empty_axes` makes an empty axes list the identity.
 * ArgMax/ArgMin map onto gluonc's argmax/argmin with `dtype: 'int64'` (ONNX's indices, exact past 2^24).
 * TopK maps onto gluonc's topk (values and int64 indices); MeanVarianceNormalization
 * and small Det are written out with reductions and products.
 */
import type { Value } from '../../ir/value.js';
import { intLimits, isFloat } from '../../../runtime/dtypes.js';
import type { HostTensor } from '../../../runtime/tensor.js';
import { castTo, normAxis, type Builder, type ImportCtx } from './context.js';

/** The axes and keepdims of a reduction node; null axes: all. `noop`: the node is the identity. */
function reduceArgs(c: ImportCtx, inputFrom: number): { axes: number[] | null; keepdims: boolean; noop: boolean } {
  const x = c.input(0);
  const raw = c.opset < inputFrom ? c.attr.ints('axes') : c.numbers(1, 'axes');
  const keepdims = c.attr.int('keepdims', 1) === 1;
  const empty = !raw || raw.length === 0;
  const noop = c.attr.int('noop_with_empty_axes', 0) === 1 && empty;
  const axes = empty ? null : raw.map((a) => normAxis(c, a, x.type.shape.length));
  return { axes, keepdims, noop };
}

/**
 * A reduction mapped through `f(x, {axis, keepdims})`. With `identity`, a reduction over an empty axis (a
 * reduced axis of static size 0) is ONNX's (opset 18) identity of the reduction: -inf for ReduceMax and
 * ReduceLogSumExp, +inf for ReduceMin, the dtype's least or greatest integer, false or true for bool. gluonc's
 * own max and min refuse an empty axis, as numpy does; the importer follows ONNX here.
 */
function reduction(inputFrom: number, f: (c: ImportCtx, x: Value, attrs: { axis: number[] | null; keepdims: boolean }) => Value, identity?: 'least' | 'greatest'): Builder {
  return (c) => {
    const x = c.input(0);
    const { axes, keepdims, noop } = reduceArgs(c, inputFrom);
    if (noop) return [x];
    if (x.type.shape.length === 0) return [x];
    const reduced = axes ?? x.type.shape.map((_d, i) => i);
    if (identity && reduced.some((a) => x.type.shape[a] === 0)) return [emptyReduction(c, x, { axis: axes, keepdims }, identity)];
    return [f(c, x, { axis: axes, keepdims })];
  };
}

/** The identity of a max (`least`) or min (`greatest`) in the output's shape: a sum over the empty axes (zeros) plus it. */
function emptyReduction(c: ImportCtx, x: Value, a: { axis: number[] | null; keepdims: boolean }, identity: 'least' | 'greatest'): Value {
  const d = x.type.dtype;
  const least = identity === 'least';
  if (d === 'bool') return castTo(c, c.op('add', [c.op('sum', [castTo(c, x, 'int32')], a), c.scalar(least ? 0 : 1, 'int32')]), 'bool');
  const zeros = c.op('sum', [x], a);
  if (isFloat(d)) return c.op('add', [zeros, c.scalar(least ? -Infinity : Infinity, d)]);
  const big = d === 'int64' ? (least ? -(2n ** 63n) : 2n ** 63n - 1n) : d === 'uint64' ? (least ? 0n : 2n ** 64n - 1n) : null;
  const limit = big === null ? c.scalar(intLimits(d)![least ? 0 : 1], d) : c.constant({ dtype: d, shape: [], data: d === 'int64' ? BigInt64Array.of(big) : BigUint64Array.of(big) } as HostTensor);
  return c.op('add', [zeros, limit]);
}

const simple = (op: string, from = 18, identity?: 'least' | 'greatest'): Builder => reduction(from, (c, x, a) => c.op(op, [x], a), identity);

const logSumExp: Builder = reduction(18, (c, x, a) => {
  // log(sum(exp(x - m))) + m with m the maximum (stable), m kept with the output's dimensions.
  const m = c.op('max', [x], { axis: a.axis, keepdims: true });
  const s = c.op('log', [c.op('sum', [c.op('exp', [c.op('sub', [x, m])])], a)]);
  return c.op('add', [s, a.keepdims ? m : c.op('max', [x], a)]);
}, 'least');

function argReduce(op: string): Builder {
  return (c) => {
    const x = c.input(0);
    const r = x.type.shape.length;
    const axis = normAxis(c, c.attr.int('axis', 0), r);
    const keepdims = c.attr.int('keepdims', 1) === 1;
    if (c.attr.int('select_last_index', 0) !== 1) return [c.op(op, [x], { axis, keepdims, dtype: 'int64' })];
    // The last of tied indices: the first index in the reversed axis, counted from the end.
    const n = x.type.shape[axis];
    if (typeof n !== 'number') throw c.refuse(`select_last_index=1 on the symbolic dimension '${n}'`);
    const step = new Array<number | null>(r).fill(null);
    step[axis] = -1;
    const flipped = c.op('slice', [x], { begin: new Array<null>(r).fill(null), end: new Array<null>(r).fill(null), step } as never);
    const first = c.op(op, [flipped], { axis, keepdims, dtype: 'int64' });
    return [c.op('sub', [c.scalar(n - 1, 'int64'), first])];
  };
}

/** TopK: values and int64 indices of the k largest (or smallest) along `axis`; ties keep the lower index first. */
const topk: Builder = (c) => {
  const x = c.input(0);
  const axis = normAxis(c, c.attr.int('axis', -1), x.type.shape.length);
  const isAscend = c.attr.int('largest', 1) === 0;
  // sorted=0 leaves the order unspecified (opset 11+): topk's sorted order is one of them.
  c.attr.int('sorted', 1);
  // k the axis's own symbolic size (torch's sort of pack_padded_sequence's lengths, topk(lengths, N)): a full sort, topk's k = 0.
  const whole = c.opset >= 10 ? c.symbolicInput(1) : null;
  if (whole && whole.dims.length === 1 && whole.dims[0] === x.type.shape[axis]) return c.ops('topk', [x], { axis, k: 0, retTyp: 'both', isAscend, dtype: 'int64' });
  const k = c.opset < 10 ? c.attr.int('k', 0) : c.numbers(1, 'k')![0]!;
  if (k < 1) throw c.refuse(`k ${k} (gluonc's topk takes k >= 1)`);
  return c.ops('topk', [x], { axis, k, retTyp: 'both', isAscend, dtype: 'int64' });
};

/**
 * MeanVarianceNormalization over `axes` (default [0, 2, 3]), ONNX's function
 * body: (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9).
 */
const meanVarianceNormalization: Builder = (c) => {
  const x = c.input(0);
  const r = x.type.shape.length;
  const axes = (c.attr.ints('axes') ?? [0, 2, 3]).map((a) => normAxis(c, a, r, 'axes entry'));
  const mean = (v: typeof x) => c.op('mean', [v], { axis: axes, keepdims: true });
  const m = mean(x);
  const std = c.op('sqrt', [c.op('sub', [mean(c.op('square', [x])), c.op('square', [m])])]);
  return [c.op('div', [c.op('sub', [x, m]), c.op('add', [std, c.scalar(1e-9, x.type.dtype)])])];
};

/**
 * Det of 1x1, 2x2 and 3x3 matrices (batched over the leading axes), written
 * out by cofactors; gluonc has no determinant operator, so larger ones are refused.
 */
const det: Builder = (c) => {
  const x = c.input(0);
  const s = x.type.shape;
  const n = s[s.length - 1];
  if (s.length < 2 || n !== s[s.length - 2] || typeof n !== 'number' || n > 3) throw c.refuse(`a matrix of shape [${s.join(', ')}]: only square 1x1, 2x2 and 3x3 matrices are expanded (gluonc has no determinant operator)`);
  const rows = Array.from({ length: n }, (_v, i) => c.op('take', [x, c.scalar(i, 'int64')], { axis: -2 }));
  const e = (i: number, j: number): Value => c.op('take', [rows[i]!, c.scalar(j, 'int64')], { axis: -1 });
  const mul = (a: Value, b: Value) => c.op('mul', [a, b]);
  const minor = (r0: number, r1: number, c0: number, c1: number) => c.op('sub', [mul(e(r0, c0), e(r1, c1)), mul(e(r0, c1), e(r1, c0))]);
  if (n === 1) return [e(0, 0)];
  if (n === 2) return [minor(0, 1, 0, 1)];
  const t0 = mul(e(0, 0), minor(1, 2, 1, 2));
  const t1 = mul(e(0, 1), minor(1, 2, 0, 2));
  const t2 = mul(e(0, 2), minor(1, 2, 0, 1));
  return [c.op('add', [c.op('sub', [t0, t1]), t2])];
};

/** The reduction importers by ONNX operator. */
export const REDUCE_IMPORTS: Record<string, Builder> = {
  ReduceSum: simple('sum', 13),
  ReduceMean: simple('mean'),
  ReduceMax: simple('max', 18, 'least'),
  ReduceMin: simple('min', 18, 'greatest'),
  ReduceProd: simple('prod'),
  ReduceL1: reduction(18, (c, x, a) => c.op('sum', [c.op('abs', [x])], a)),
  ReduceL2: reduction(18, (c, x, a) => c.op('sqrt', [c.op('sum', [c.op('square', [x])], a)])),
  ReduceSumSquare: reduction(18, (c, x, a) => c.op('sum', [c.op('square', [x])], a)),
  ReduceLogSum: reduction(18, (c, x, a) => c.op('log', [c.op('sum', [x], a)])),
  ReduceLogSumExp: logSumExp,
  ArgMax: argReduce('argmax'),
  ArgMin: argReduce('argmin'),
  TopK: topk,
  MeanVarianceNormalization: meanVarianceNormalization,
  Det: det,
};
