/**
 * MXNet's `ROIPooling` (Fast R-CNN's region pooling; `npx.roi_pooling` in
 * MXNet 2, d2l's R-CNN chapter), lowered to ONNX's `MaxRoiPool`, which
 * onnxruntime computes with the same Caffe loop MXNet's roi_pooling.cc runs:
 * each box `[batch, x1, y1, x2, y2]` is scaled by `spatialScale` and rounded
 * half away from zero, made at least 1x1 (`end - start + 1`), cut into
 * `pooledSize` bins of `floor(i * size / n)` to `ceil((i + 1) * size / n)`
 * clamped to the map, and each bin takes its maximum; an empty bin is 0.
 *
 * Invariants: data is [N, C, H, W] float, rois [R, 5] of the same dtype;
 * onnxruntime's MaxRoiPool is float32-only, so float64 and float16 run in
 * float32. There is no gradient: MXNet's backward routes each bin's
 * gradient to the position of its maximum, which MaxRoiPool does not
 * return (differentiating it is an Error naming the operator).
 */
import { formatShape } from '../../runtime/tensor.js';
import { onnxDType } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';

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
  grad: null,
  noGradReason: "its gradient goes to each bin's maximum, whose position onnxruntime's MaxRoiPool does not return",
});

/** The region-pooling operators, for ops/all.ts. */
export const ROI_OPS = { ROIPooling } as const;
