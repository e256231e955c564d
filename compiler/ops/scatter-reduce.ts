/**
 * `scatterReduce`: combines each element of `updates` into `data` at the
 * position `index` gives along `axis`, by product, maximum or minimum —
 * PyTorch's `Tensor.scatter_reduce(dim, index, src, reduce)` with
 * `include_self=True` (reduce 'prod', 'amax', 'amin') and ONNX's
 * `ScatterElements` with `reduction='mul'|'max'|'min'`: the data's own value
 * takes part, a position addressed several times combines all its updates,
 * and a position addressed by none keeps the data's value. The indices may be
 * computed when the graph runs (a graph neural network's edge_index).
 * Indices are read as `take`'s (`indexValue`: float ones truncated), then
 * clipped or wrapped into the axis (`mode`, as `scatterAdd`). It lowers to
 * ONNX `ScatterElements` with the reduction: 'prod' needs opset 16, 'amax'
 * and 'amin' opset 18 (emitting below is an Error naming the opset).
 *
 * Gradient: PyTorch's `scatter_reduce_backward`
 * (torch/csrc/autograd/FunctionsManual.cpp), include_self=True:
 * - amax/amin: `N = (data == out) + scatter_add(index, updates == gather(out))`;
 *   the data gets `(data == out) · g / N`, each update `(update == gather(out)) · gather(g / N)`:
 *   the gradient is split evenly among every element equal to the result.
 * - prod: the data gets `g · scatter_prod(data with 0 → 1, updates) / (data with 0 → 1)`;
 *   an update that is the only zero at its position gets `gather(g · scatter_prod(data,
 *   updates with it → 1))`, any other `gather(g · out) / (update, 0 → 1)` (the product of the others).
 * gather/scatter_add by the index are a `take`/`indexAdd` at each element's row-major position in the data.
 */
import { formatShape } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { normAxis, sameDim } from './dims.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import type { GradOps, GradTensor } from './grad-ops.js';
import { rowMajorPosition } from './indices.js';
import { fromF64 } from './kernels.js';
import { fixIndices, scatterElements } from './scatter.js';

type Reduce = 'prod' | 'amax' | 'amin';
type ScatterReduceA = Attrs & { axis: number; reduce: Reduce; mode: 'clip' | 'wrap' };
type ScatterReduceSig = (data: Tx, index: Tx, updates: Tx, options: { axis?: number; reduce: Reduce; mode?: 'clip' | 'wrap' }) => Tx;

const REDUCES: readonly string[] = ['prod', 'amax', 'amin'];
const ONNX_REDUCTION: Record<Reduce, string> = { prod: 'mul', amax: 'max', amin: 'min' };
const COMBINE: Record<Reduce, (a: number, b: number) => number> = {
  prod: (a, b) => a * b,
  amax: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  amin: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
};

/** Checks the inputs and options; returns the normalized axis. */
function check(types: TensorType[], a: ScatterReduceA): number {
  const op = 'scatterReduce';
  const [x, ind, upd] = types as [TensorType, TensorType, TensorType];
  if (!REDUCES.includes(a.reduce)) throw new OpError(op, `reduce must be 'prod', 'amax' or 'amin', got ${JSON.stringify(a.reduce)}`, types);
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

/**
 * Combines `updates` into `data` along `axis` at `index` by 'prod', 'amax' or 'amin' (the data's own value
 * included; repeats combine all their updates): `out[..., index[i, j, ...], ...] = reduce(data[...], updates[i, j, ...], ...)`.
 * `index` and `updates` have one shape, of the data's rank, no longer than the data off the axis.
 * Example (a graph network's max aggregation of messages `msg` [E, F] into the nodes `h` at `dst` [E], torch's
 * `h.scatter_reduce(0, dst[:, None].expand_as(msg), msg, 'amax')`):
 * `F.scatterReduce(h, F.broadcastLike(F.expandDims(dst, 1), msg), msg, { reduce: 'amax' })`.
 */
export const scatterReduce: OpDef<ScatterReduceSig, ScatterReduceA> = defineOp<ScatterReduceSig, ScatterReduceA>({
  name: 'scatterReduce',
  minOpset: 16,
  opsetNote: "ScatterElements reduction='mul' from 16, 'max'/'min' from 18",
  inputs: ['data', 'index', 'updates'],
  attrs: { axis: 0, reduce: 'prod', mode: 'clip' },
  infer: (types, a) => {
    check(types, a);
    return [{ dtype: types[0]!.dtype, shape: [...types[0]!.shape] }];
  },
  lower: float16InFloat32<ScatterReduceA>((c, a) => {
    const ax = check(c.inTypes, a);
    const reduction = ONNX_REDUCTION[a.reduce];
    if (reduction !== 'mul' && c.opset < 18) {
      throw new OpError('scatterReduce', `reduce '${a.reduce}' needs opset 18 (ONNX ScatterElements with reduction='${reduction}'), the graph is written at opset ${c.opset}`, c.inTypes);
    }
    const idx = fixIndices(c, ax, a.mode);
    c.emit('ScatterElements', [c.inputs[0]!, idx, c.inputs[2]!], { axis: ax, reduction }, c.outputs);
  }),
  kernel: ([x, ind, upd], a, [out]) => [fromF64(out!, scatterElements(x!, ind!, upd!, check([x!, ind!, upd!], a), a.mode, COMBINE[a.reduce]))],
  grad: (F, { inputs: [x, ind, upd], outputs: [out], attrs }, [g]) => {
    if (!g) return [null, null, null];
    const a = attrs as ScatterReduceA;
    const ax = normAxis('scatterReduce', a.axis, x!.ndim);
    const { gather, scatterAdd } = byPosition(F, x!, ind!, ax, a.mode);
    const is = (p: GradTensor, q: GradTensor | number) => F.cast(F.equal(p, q), x!.dtype);
    if (a.reduce !== 'prod') {
      const selfIs = is(x!, out!);
      const srcIs = is(upd!, gather(out!));
      const share = F.div(g, F.add(selfIs, scatterAdd(srcIs)));
      return [F.mul(selfIs, share), null, F.mul(srcIs, gather(share))];
    }
    const opts = { axis: ax, reduce: 'prod' as const, mode: a.mode };
    const nonZero = (v: GradTensor) => F.where(is(v, 0), 1, v);
    const maskedSelf = nonZero(x!);
    const gx = F.div(F.mul(g, F.scatterReduce(maskedSelf, ind!, upd!, opts)), maskedSelf);
    const srcZero = is(upd!, 0);
    const single = F.mul(srcZero, is(gather(scatterAdd(srcZero)), 1));
    const withoutIt = F.scatterReduce(x!, ind!, F.where(single, 1, upd!), opts);
    const gu = F.where(single, gather(F.mul(g, withoutIt)), F.div(gather(F.mul(g, out!)), nonZero(upd!)));
    return [gx, null, gu];
  },
});

/** The combining scatter, by F name. */
export const SCATTER_REDUCE_OPS = { scatterReduce } as const;
