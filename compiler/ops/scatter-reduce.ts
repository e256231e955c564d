/**
 * `scatterReduce`: combines each element of `updates` into `data` at the
 * position `index` gives along `axis`, by sum, product, mean, maximum or
 * minimum — PyTorch's `Tensor.scatter_reduce(dim, index, src, reduce,
 * include_self)` ('sum', 'prod', 'mean', 'amax', 'amin'). With `includeSelf`
 * (the default, as PyTorch's) the data's own value takes part; without it a
 * position that receives at least one update combines its updates only. A
 * position addressed by none keeps the data's value either way. 'mean' divides
 * by the number of updates (+1 with `includeSelf`); integer data rounds the
 * mean down (PyTorch's floor division). The indices may be computed when the
 * graph runs (a graph neural network's edge_index). Indices are read as
 * `take`'s (`indexValue`: float ones truncated), then clipped or wrapped into
 * the axis (`mode`, as `scatterAdd`).
 *
 * Lowering: ONNX `ScatterElements` with `reduction='add'|'mul'|'max'|'min'`
 * (opset 16; 'max'/'min' 18: emitting 'amax'/'amin' below is an Error naming
 * the opset). ONNX's reductions always include the data, so without
 * `includeSelf` the addressed positions (a scatter-add of ones: the count
 * 'mean' divides by too) first take the reduction's identity (0, 1, -inf
 * or +inf; an integer type's extremes).
 *
 * Gradient: PyTorch's `scatter_reduce_backward`
 * (torch/csrc/autograd/FunctionsManual.cpp):
 * - sum: the data gets `g`, each update `gather(g)`; mean: `g / N` and `gather(g / N)`,
 *   N the count (+1 with includeSelf, 0 → 1);
 * - amax/amin: `N = (data == out) + scatter_add(index, updates == gather(out))`;
 *   the data gets `(data == out) · g / N`, each update `(update == gather(out)) · gather(g / N)`:
 *   the gradient is split evenly among every element equal to the result;
 * - prod: the data gets `g · scatter_prod(data with 0 → 1, updates) / (data with 0 → 1)`;
 *   an update that is the only zero at its position gets `gather(g · scatter_prod(data,
 *   updates with it → 1))`, any other `gather(g · out) / (update, 0 → 1)` (the product of the others);
 * - without includeSelf the data's gradient is 0 at the addressed positions. One deliberate
 *   difference: for amax/amin PyTorch (2.13) still counts an excluded data value equal to the
 *   result in N, so the updates lose that share; here it is not counted (the updates' gradient
 *   sums to g, as central differences give).
 * gather/scatter_add by the index are a `take`/`indexAdd` at each element's row-major position in the data.
 */
import { formatShape, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OpDef, type Tx } from './define.js';
import { normAxis, sameDim } from './dims.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import type { GradOps, GradTensor } from './grad-ops.js';
import { rowMajorPosition } from './indices.js';
import { fromF64 } from './kernels.js';
import { fixIndices, scatterElements } from './scatter.js';

type Reduce = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';
type ScatterReduceA = Attrs & { axis: number; reduce: Reduce; includeSelf: boolean; mode: 'clip' | 'wrap' };
type ScatterReduceSig = (data: Tx, index: Tx, updates: Tx, options: { axis?: number; reduce: Reduce; includeSelf?: boolean; mode?: 'clip' | 'wrap' }) => Tx;

const REDUCES: readonly string[] = ['sum', 'prod', 'mean', 'amax', 'amin'];
const ONNX_REDUCTION: Record<Reduce, string> = { sum: 'add', prod: 'mul', mean: 'add', amax: 'max', amin: 'min' };
const COMBINE: Record<Reduce, (a: number, b: number) => number> = {
  sum: (a, b) => a + b,
  prod: (a, b) => a * b,
  mean: (a, b) => a + b,
  amax: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  amin: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
};

/** Checks the inputs and options; returns the normalized axis. */
function check(types: TensorType[], a: ScatterReduceA): number {
  const op = 'scatterReduce';
  const [x, ind, upd] = types as [TensorType, TensorType, TensorType];
  if (!REDUCES.includes(a.reduce)) throw new OpError(op, `reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin', got ${JSON.stringify(a.reduce)}`, types);
  if (typeof a.includeSelf !== 'boolean') throw new OpError(op, `includeSelf must be true or false, got ${JSON.stringify(a.includeSelf)}`, types);
  if (a.mode !== 'clip' && a.mode !== 'wrap') throw new OpError(op, `mode must be 'clip' or 'wrap', got ${JSON.stringify(a.mode)}`, types);
  commonDType(op, [x, upd], ['float32', 'float64', 'float16', 'int32', 'int64']);
  if (ind.dtype === 'bool') throw new OpError(op, 'index must hold numbers, not bool', types);
  const ax = normAxis(op, a.axis, x.shape.length, types);
  const loose = (p: TensorType['shape'][number], q: TensorType['shape'][number]) => typeof p === 'string' || typeof q === 'string';
  const same = ind.shape.length === upd.shape.length && ind.shape.every((d, k) => sameDim(d, upd.shape[k]!) || loose(d, upd.shape[k]!));
  const fits = ind.shape.length === x.shape.length && ind.shape.every((d, k) => k === ax || loose(d, x.shape[k]!) || (d as number) <= (x.shape[k] as number));
  if (!same || !fits) {
    throw new OpError(op, `index ${formatShape(ind.shape)} and updates ${formatShape(upd.shape)} must have one shape, of the data's rank ${x.shape.length} and no longer than the data ${formatShape(x.shape)} off axis ${ax}`, types);
  }
  return ax;
}

/** The kernel: the element scatter, the first update replacing the data's value without includeSelf; then the mean's division. */
function kernel(x: HostTensor, ind: HostTensor, upd: HostTensor, a: ScatterReduceA): Float64Array {
  const f = COMBINE[a.reduce];
  const counts = new Float64Array(x.data.length);
  const res = scatterElements(x, ind, upd, check([x, ind, upd], a), a.mode, a.includeSelf ? f : (d, u, seen) => (seen ? f(d, u) : u), counts);
  if (a.reduce !== 'mean') return res;
  const floor = x.dtype === 'int32' || x.dtype === 'int64';
  return res.map((v, i) => {
    const n = counts[i]! + (a.includeSelf ? 1 : 0) || 1;
    return floor ? Math.floor(v / n) : v / n;
  });
}

/** An int64 scalar as ONNX needs it for the extremes 2^53 and beyond (a JS number cannot hold 2^63 − 1). */
const int64Scalar = (v: bigint): HostTensor => ({ dtype: 'int64', shape: [], data: BigInt64Array.of(v) });

/** The reduction's identity in the data's dtype: 0 (sum, mean), 1 (prod), -inf/+inf or the integer type's extremes (amax, amin). */
function identity(c: LowerCtx, reduce: Reduce): string {
  const dtype = c.inTypes[0]!.dtype;
  if (reduce === 'sum' || reduce === 'mean' || reduce === 'prod') return c.scalar(reduce === 'prod' ? 1 : 0, dtype);
  const low = reduce === 'amax';
  if (dtype === 'int64') return c.constant(int64Scalar(low ? -(2n ** 63n) : 2n ** 63n - 1n));
  if (dtype === 'int32') return c.scalar(low ? -(2 ** 31) : 2 ** 31 - 1, dtype);
  return c.scalar(low ? -Infinity : Infinity, dtype);
}

/** The ONNX graph: identities at the addressed positions without includeSelf, ScatterElements, the mean's division by the count. */
function lowerScatterReduce(c: LowerCtx, a: ScatterReduceA): void {
  const ax = check(c.inTypes, a);
  const reduction = ONNX_REDUCTION[a.reduce];
  if ((reduction === 'max' || reduction === 'min') && c.opset < 18) {
    throw new OpError('scatterReduce', `reduce '${a.reduce}' needs opset 18 (ONNX ScatterElements with reduction='${reduction}'), the graph is written at opset ${c.opset}`, c.inTypes);
  }
  const [x, , u] = c.inputs as [string, string, string];
  const dtype = c.inTypes[0]!.dtype;
  const idx = fixIndices(c, ax, a.mode);
  const mean = a.reduce === 'mean';
  if (a.includeSelf && !mean) return void c.emit('ScatterElements', [x, idx, u], { axis: ax, reduction }, c.outputs);
  const fill = (v: number, like: string) => c.emit('Expand', [c.scalar(v, dtype), c.emit('Shape', [like])[0]!])[0]!;
  const [count] = c.emit('ScatterElements', [fill(0, x), idx, fill(1, u)], { axis: ax, reduction: 'add' });
  const base = a.includeSelf ? x : c.emit('Where', [c.emit('Greater', [count!, c.scalar(0, dtype)])[0]!, identity(c, a.reduce), x])[0]!;
  if (!mean) return void c.emit('ScatterElements', [base, idx, u], { axis: ax, reduction }, c.outputs);
  const [sum] = c.emit('ScatterElements', [base, idx, u], { axis: ax, reduction: 'add' });
  const [n] = c.emit(a.includeSelf ? 'Add' : 'Max', [count!, c.scalar(1, dtype)]);
  if (dtype !== 'int32' && dtype !== 'int64') return void c.emit('Div', [sum!, n!], {}, c.outputs);
  // Floor division (n > 0): the remainder Mod(sum, n) takes n's sign, so sum − it divides exactly.
  c.emit('Div', [c.emit('Sub', [sum!, c.emit('Mod', [sum!, n!], { fmod: 0 })[0]!])[0]!, n!], {}, c.outputs);
}

/**
 * Gather (`take`) and scatter-add (`indexAdd`) by the index along the axis, through the row-major position
 * of each index element in the data (its own coordinates, the axis entry replaced by the clipped or wrapped index).
 */
function byPosition(F: GradOps, x: GradTensor, ind: GradTensor, ax: number, mode: 'clip' | 'wrap') {
  const dims = x.shape;
  const size = (k: number): number | GradTensor => (typeof dims[k] === 'number' ? (dims[k] as number) : F.shapeArray(x, { axis: k }));
  const ones = F.onesLike(F.cast(ind, 'int64'));
  const n = size(ax);
  const rows = F.arange(0, n, 1, { dtype: 'int64' });
  const pos = rowMajorPosition<GradTensor>(dims.length, (k) => (k === ax ? F.take(rows, ind, { axis: 0, mode }) : F.sub(F.cumsum(ones, k), 1)), size, {
    mul: (p, s) => F.mul(p, s),
    add: (p, q) => F.add(p, q),
  });
  const flat = F.reshape(x, [-1]);
  return {
    gather: (v: GradTensor) => F.take(F.reshape(v, [-1]), pos, { axis: 0 }),
    scatterAdd: (v: GradTensor) => F.reshapeLike(F.indexAdd(F.zerosLike(flat), pos, v, { axis: 0 }), x),
  };
}

/** PyTorch's scatter_reduce_backward (see the file's comment): the data's and the updates' gradients. */
function backward(F: GradOps, x: GradTensor, ind: GradTensor, upd: GradTensor, out: GradTensor, g: GradTensor, a: ScatterReduceA): [GradTensor, GradTensor] {
  const ax = normAxis('scatterReduce', a.axis, x.ndim);
  const { gather, scatterAdd } = byPosition(F, x, ind, ax, a.mode);
  const is = (p: GradTensor, q: GradTensor | number) => F.cast(F.equal(p, q), x.dtype);
  const count = () => scatterAdd(F.onesLike(upd));
  // 1 where the data takes part: everywhere with includeSelf, else where no update goes.
  const kept = a.includeSelf ? null : is(count(), 0);
  const keep = (v: GradTensor) => (kept ? F.mul(v, kept) : v);
  if (a.reduce === 'sum') return [keep(g), gather(g)];
  if (a.reduce === 'mean') {
    const n = a.includeSelf ? F.add(count(), 1) : F.where(kept!, 1, count());
    const share = F.div(g, n);
    return [keep(share), gather(share)];
  }
  if (a.reduce !== 'prod') {
    const selfIs = keep(is(x, out));
    const srcIs = is(upd, gather(out));
    const share = F.div(g, F.add(selfIs, scatterAdd(srcIs)));
    return [F.mul(selfIs, share), F.mul(srcIs, gather(share))];
  }
  const opts = { axis: ax, reduce: 'prod' as const, includeSelf: a.includeSelf, mode: a.mode };
  const nonZero = (v: GradTensor) => F.where(is(v, 0), 1, v);
  const maskedSelf = nonZero(x);
  const gx = F.div(F.mul(g, F.scatterReduce(maskedSelf, ind, upd, opts)), maskedSelf);
  const srcZero = is(upd, 0);
  const single = F.mul(srcZero, is(gather(scatterAdd(srcZero)), 1));
  const withoutIt = F.scatterReduce(x, ind, F.where(single, 1, upd), opts);
  const gu = F.where(single, gather(F.mul(g, withoutIt)), F.div(gather(F.mul(g, out)), nonZero(upd)));
  return [keep(gx), gu];
}

/**
 * Combines `updates` into `data` along `axis` at `index` by 'sum', 'prod', 'mean', 'amax' or 'amin'
 * (PyTorch's `scatter_reduce`; the data's own value included unless `includeSelf: false`; repeats combine all
 * their updates): `out[..., index[i, j, ...], ...] = reduce(data[...], updates[i, j, ...], ...)`.
 * `index` and `updates` have one shape, of the data's rank, no longer than the data off the axis.
 * Example (a graph network's max aggregation of messages `msg` [E, F] into zeros at `dst` [E], PyG's
 * `scatter(msg, dst, 0, reduce='max')`, torch's `zeros.scatter_reduce(0, dst[:, None].expand_as(msg), msg, 'amax', include_self=False)`):
 * `F.scatterReduce(zeros, F.broadcastLike(F.expandDims(dst, 1), msg), msg, { reduce: 'amax', includeSelf: false })`.
 */
export const scatterReduce: OpDef<ScatterReduceSig, ScatterReduceA> = defineOp<ScatterReduceSig, ScatterReduceA>({
  name: 'scatterReduce',
  minOpset: 16,
  opsetNote: "ScatterElements reduction='add'/'mul' from 16, 'max'/'min' from 18",
  inputs: ['data', 'index', 'updates'],
  attrs: { axis: 0, reduce: 'prod', includeSelf: true, mode: 'clip' },
  infer: (types, a) => {
    check(types, a);
    return [{ dtype: types[0]!.dtype, shape: [...types[0]!.shape] }];
  },
  lower: float16InFloat32<ScatterReduceA>(lowerScatterReduce),
  kernel: ([x, ind, upd], a, [out]) => [fromF64(out!, kernel(x!, ind!, upd!, a))],
  grad: (F, { inputs: [x, ind, upd], outputs: [out], attrs }, [g]) => {
    if (!g) return [null, null, null];
    const [gx, gu] = backward(F, x!, ind!, upd!, out!, g, attrs as ScatterReduceA);
    return [gx, null, gu];
  },
});

/** The combining scatter, by F name. */
export const SCATTER_REDUCE_OPS = { scatterReduce } as const;
