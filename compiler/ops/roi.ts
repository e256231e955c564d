/**
 * MXNet's `ROIPooling` (Fast R-CNN's region pooling; `npx.roi_pooling` in
 * MXNet 2, d2l's R-CNN chapter), lowered to ONNX's `MaxRoiPool`, which
 * onnxruntime computes with the same Caffe loop MXNet's roi_pooling.cc runs:
 * each box `[batch, x1, y1, x2, y2]` is scaled by `spatialScale` and rounded
 * half away from zero, made at least 1x1 (`end - start + 1`), cut into
 * `pooledSize` bins of `floor(i * size / n)` to `ceil((i + 1) * size / n)`
 * clamped to the map, and each bin takes its maximum; an empty bin is 0.
 *
 * The gradient is MXNet's backward (roi_pooling.cc/.cu ROIPoolBackwardAcc):
 * each output's gradient goes to its bin's argmax, the first maximum in
 * row-major order (`if (data > max)` from -FLT_MAX), an empty bin's to
 * nowhere, gradients of boxes sharing a position added (MXNet 2's kernel
 * scatters by the recorded argmax; MXNet 1.x's older CPU loop also asked the
 * position to lie inside the rounded box, so an inverted box, pooled as 1x1,
 * got no gradient there: here it gets its maximum's). MaxRoiPool returns
 * no argmax, so `roiArgmax` recomputes it with graph operators: the bins'
 * rows and columns from the same float32 arithmetic as the forward, the
 * first maximum of each bin's columns per row, then of those per bin.
 *
 * Invariants: data is [N, C, H, W] float, rois [R, 5] of the same dtype;
 * onnxruntime's MaxRoiPool is float32-only, so float64 and float16 run in
 * float32 (the bins are computed in float32 as it does; the gradient's
 * maxima are found in the data's dtype).
 */
import { formatShape, tensorFromNumbers, type HostTensor } from '../../runtime/tensor.js';
import { onnxDType, type DType } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type GradCtx, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';
import type { GradOps, GradTensor } from './grad-ops.js';

type RoiAttrs = Attrs & { pooledSize: number[] | null; spatialScale: number | null };

/** ROIPooling's options (MXNet's `pooled_size`, `spatial_scale`). */
export interface RoiPoolingOptions {
  pooledSize: [number, number];
  spatialScale: number;
}

const FLOATS = ['float32', 'float64', 'float16'];

/** The checked `[ph, pw]` and scale. */
function geometry(a: RoiAttrs, types: TensorType[]): { ph: number; pw: number; scale: number } {
  const op = 'ROIPooling';
  const p = a.pooledSize;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isInteger(v) && v > 0)) throw new OpError(op, `pooledSize must be [height, width] of positive integers, got ${JSON.stringify(p)}`, types);
  const s = a.spatialScale;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) throw new OpError(op, `spatialScale must be a positive number (the feature map's size over the image's), got ${JSON.stringify(s)}`, types);
  return { ph: p[0]!, pw: p[1]!, scale: s };
}

/**
 * The data and rois types of a region-pooling operator, checked: float data
 * [N, C, H, W], rois [R, 5] of its dtype (ROIPooling's and ROIAlign's rule).
 * Example: `const [x, r] = roiInputs('ROIAlign', types);`.
 */
export function roiInputs(op: string, types: TensorType[]): [TensorType, TensorType] {
  const [x, r] = types as [TensorType, TensorType];
  if (!FLOATS.includes(x.dtype)) throw new OpError(op, `data must be float32, float64 or float16, got ${x.dtype}`, types);
  if (x.shape.length !== 4) throw new OpError(op, `data must be [N, C, H, W], got ${formatShape(x.shape)}`, types);
  if (r.dtype !== x.dtype) throw new OpError(op, `rois must have the data's dtype ${x.dtype}, got ${r.dtype}`, types);
  if (r.shape.length !== 2 || (typeof r.shape[1] === 'number' && r.shape[1] !== 5)) throw new OpError(op, `rois must be [R, 5] rows of [batch index, x1, y1, x2, y2], got ${formatShape(r.shape)}`, types);
  return [x, r];
}

type RoiSig = (data: Tx, rois: Tx, ...rest: [options: RoiPoolingOptions] | [pooledSize: [number, number], spatialScale: number, options?: {}]) => Tx;

/**
 * Max-pools each region of interest to `pooledSize` (MXNet's `ROIPooling`):
 * data [N, C, H, W], rois [R, 5] rows `[batch index, x1, y1, x2, y2]` in
 * image coordinates; returns [R, C, ph, pw].
 *
 * ```ts
 * nd.ROIPooling(x, rois, { pooledSize: [2, 2], spatialScale: 0.1 });
 * ```
 */
export const ROIPooling: OpDef<RoiSig, RoiAttrs> = defineOp<RoiSig, RoiAttrs>({
  name: 'ROIPooling',
  inputs: ['data', 'rois'],
  attrs: { pooledSize: null, spatialScale: null },
  positional: ['pooledSize', 'spatialScale'],
  infer: (types, a) => {
    const [x, r] = roiInputs('ROIPooling', types);
    const g = geometry(a, types);
    return [{ dtype: x.dtype, shape: [r.shape[0]!, x.shape[1]!, g.ph, g.pw] }];
  },
  lower: (c, a) => {
    const g = geometry(a, c.inTypes);
    const attrs = { pooled_shape: [g.ph, g.pw], spatial_scale: { float: g.scale } };
    const d = c.outTypes[0]!.dtype;
    if (d === 'float32') return void c.emit('MaxRoiPool', c.inputs, attrs, c.outputs);
    const f32 = onnxDType('float32');
    const y = c.emit('MaxRoiPool', c.inputs.map((x) => c.emit('Cast', [x], { to: f32 })[0]!), attrs)[0]!;
    c.emit('Cast', [y], { to: onnxDType(d) }, c.outputs);
  },
  grad: (F, ctx, [gy]) => {
    const [x] = ctx.inputs as [GradTensor, GradTensor];
    if (!gy) return [null, null];
    const { pos, valid } = roiArgmax(F, ctx);
    // Each output's gradient into the flat [N*C*H*W] data at its bin's argmax; an empty bin's nowhere. The boxes get none (MXNet: zeros).
    const flat = F.indexAdd(F.zerosLike(F.reshape(x, [-1])), F.reshape(pos, [-1]), F.reshape(F.where(valid, gy, 0), [-1]), { axis: 0 });
    return [F.reshapeLike(flat, x), null];
  },
});

/** `n` numbers `from`, `from + 1`, ... of dtype `d`, shaped `shape`. */
function steps(d: DType, shape: number[], n: number, from = 0): HostTensor {
  return tensorFromNumbers(d, shape, Array.from({ length: n }, (_v, i) => from + i));
}

/**
 * Where each output of ROIPooling took its maximum: `pos` [R, C, ph, pw]
 * (int64) the flat position in the data [N*C*H*W], `valid` 1 where the bin
 * pooled something (not empty, a maximum above -FLT_MAX), else 0. Written
 * with F's operators (eager and in gradient graphs); the box corners and
 * bins as MaxRoiPool computes them: `round(x * scale)` in float32, half away
 * from zero, at least 1x1, `floor(i * bin)` / `ceil((i + 1) * bin)` in
 * float32, clamped to the map. Ties: the first maximum in row-major order
 * (the first row holding the bin's maximum, its first column there).
 * Example: `const { pos, valid } = roiArgmax(F, ctx);`.
 */
export function roiArgmax(F: GradOps, ctx: GradCtx): { pos: GradTensor; valid: GradTensor } {
  const g = geometry(ctx.attrs as RoiAttrs, ctx.inTypes);
  const [x, rois] = ctx.inputs as [GradTensor, GradTensor];
  const [, C, H, W] = ctx.inTypes[0]!.shape;
  if (![C, H, W].every((v) => typeof v === 'number')) throw new OpError('ROIPooling', `its gradient needs the features' channels and size known, got ${formatShape(ctx.inTypes[0]!.shape)}`, ctx.inTypes);
  const [c, h, w] = [C, H, W] as [number, number, number];
  const { ph, pw } = g;
  const k = (t: HostTensor): GradTensor => ctx.constant(t);
  const col = (t: GradTensor, i: number): GradTensor => F.sliceAxis(t, { axis: 1, begin: i, end: i + 1 });
  // Corners round(v * scale) in float32, rounded half away from zero exactly (in float64): [R, 4].
  const q = F.cast(F.mul(F.cast(F.sliceAxis(rois, { axis: 1, begin: 1, end: 5 }), 'float32'), Math.fround(g.scale)), 'float64');
  const corners = F.mul(F.sign(q), F.floor(F.add(F.abs(q), 0.5)));
  // One axis's bins [R, n, 1] start (included) and end (excluded), clamped to [0, size].
  const bins = (lo: GradTensor, hi: GradTensor, n: number, size: number): [GradTensor, GradTensor] => {
    const bin = F.div(F.cast(F.maximum(F.add(F.sub(hi, lo), 1), 1), 'float32'), n); // [R, 1] float32
    const at = (from: number): GradTensor => F.cast(F.mul(k(steps('float32', [1, n], n, from)), bin), 'float64');
    const start = F.clip(F.add(F.floor(at(0)), lo), 0, size);
    const end = F.clip(F.add(F.neg(F.floor(F.neg(at(1)))), lo), 0, size);
    return [F.reshape(start, [-1, n, 1]), F.reshape(end, [-1, n, 1])];
  };
  const inBins = ([start, end]: [GradTensor, GradTensor], size: number): GradTensor => {
    const at = k(steps('float64', [1, 1, size], size));
    return F.mul(F.greaterEqual(at, start), F.lesser(at, end)); // [R, n, size]
  };
  const rows = inBins(bins(col(corners, 1), col(corners, 3), ph, h), h);
  const cols = inBins(bins(col(corners, 0), col(corners, 2), pw, w), w);
  const batch = F.cast(F.cast(F.take(rois, k(tensorFromNumbers('int64', [], [0])), { axis: 1 }), 'int64'), 'float64');
  const xr = F.take(x, F.cast(batch, 'int64'), { axis: 0 }); // [R, C, H, W]
  // Outside the bin, and NaN (never `> max` in MXNet's loop), read as -inf.
  const low = (t: GradTensor, mask: GradTensor): GradTensor => F.where(mask, t, -Infinity);
  // Each row's first maximum over each column bin: [R, C, H, pw].
  const byCol = low(F.expandDims(xr, 3), F.mul(F.reshape(F.cast(cols, x.dtype), [-1, 1, 1, pw, w]), F.expandDims(F.equal(xr, xr), 3)));
  const colMax = F.max(byCol, { axis: 4 });
  const colArg = F.argmax(byCol, 4);
  // The first row holding each bin's maximum: [R, C, ph, pw].
  const byRow = low(F.expandDims(colMax, 2), F.reshape(F.cast(rows, x.dtype), [-1, 1, ph, h, 1]));
  const best = F.max(byRow, { axis: 3 });
  const rowArg = F.argmax(byRow, 3);
  // The column of that row's maximum: colArg [R, C, H, pw] read at rowArg.
  const pick = F.equal(F.expandDims(rowArg, 4), k(steps('float32', [1, 1, 1, 1, h], h)));
  const colAt = F.sum(F.mul(pick, F.expandDims(F.transpose(colArg, [0, 1, 3, 2]), 2)), { axis: 4 });
  const chan = F.add(F.reshape(F.mul(batch, c), [-1, 1, 1, 1]), k(steps('float64', [1, c, 1, 1], c)));
  const pos = F.add(F.mul(F.add(F.mul(chan, h), F.cast(rowArg, 'float64')), w), F.cast(colAt, 'float64'));
  return { pos: F.cast(pos, 'int64'), valid: F.greater(best, -3.4028234663852886e38) };
}

/** The region-pooling operators, for ops/all.ts. */
export const ROI_OPS = { ROIPooling } as const;
