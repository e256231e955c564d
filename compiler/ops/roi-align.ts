/**
 * MXNet's `contrib.ROIAlign` (`npx.roi_align` in MXNet 2; Mask R-CNN's
 * region pooling, GluonCV's Faster/Mask R-CNN heads), as MXNet's
 * src/operator/contrib/roi_align.cc computes it (Caffe2/Detectron's loop):
 * each box `[batch, x1, y1, x2, y2]` is scaled by `spatialScale` (and
 * shifted by half a pixel when `aligned`; made at least 1x1 when not), cut
 * into `pooledSize` bins, and each bin averages a grid of bilinear samples,
 * `sampleRatio`² of them, or `ceil(size / bins)` per axis when
 * `sampleRatio <= 0` (the adaptive grid, sized per box). A sample outside
 * [-1, size] on an axis contributes 0; one inside is clamped to [0, size - 1].
 * A box whose batch index is negative pools to 0 (MXNet: "ignored").
 * `positionSensitive` (R-FCN's pooling) reads channel `c*ph*pw + i*pw + j`
 * for bin (i, j) and returns C/(ph*pw) channels.
 *
 * The forward lowers to ONNX's `RoiAlign`, whose onnxruntime kernel is the
 * same Detectron loop (`output_half_pixel` is MXNet's aligned=false,
 * `half_pixel` aligned=true; batch indices a separate int64 input), fixed and
 * adaptive grids alike; position-sensitive pools every channel at every bin
 * and keeps the diagonal (ph*pw times the work of the plain pooling).
 * The gradient in the features scatters each sample's bilinear weights back
 * (`roiTaps` below, shared with the ONNX importer); it needs a fixed grid,
 * so differentiating the adaptive one is an Error. The boxes get no
 * gradient (MXNet's backward writes zeros for them).
 *
 * Invariants: data is [N, C, H, W] float, rois [R, 5] of the same dtype;
 * float16 runs in float32 (onnxruntime's RoiAlign has float and double).
 */
import { onnxDType, type DType } from '../../runtime/dtypes.js';
import { formatShape, tensorFromNumbers, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import { roiInputs } from './roi.js';
import type { GradOps, GradTensor } from './grad-ops.js';

type RoiAlignAttrs = Attrs & { pooledSize: number[] | null; spatialScale: number | null; sampleRatio: number; positionSensitive: boolean; aligned: boolean };

/** ROIAlign's options (MXNet's `pooled_size`, `spatial_scale`, `sample_ratio`, `position_sensitive`, `aligned`). */
export interface RoiAlignOptions {
  pooledSize: [number, number];
  spatialScale: number;
  sampleRatio?: number;
  positionSensitive?: boolean;
  aligned?: boolean;
}

type RoiAlignSig = (data: Tx, rois: Tx, ...rest: PositionalOptions<RoiAlignOptions, ['pooledSize', 'spatialScale', 'sampleRatio', 'positionSensitive', 'aligned']>) => Tx;

const OP = 'ROIAlign';

/** The sampling of one call: bins, grid (<= 0: adaptive), scale, half-pixel shift. */
export interface RoiGrid {
  ph: number;
  pw: number;
  sr: number;
  scale: number;
  aligned: boolean;
}

/** The checked options. */
function grid(a: RoiAlignAttrs, types: TensorType[]): RoiGrid {
  const p = a.pooledSize;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isInteger(v) && v > 0)) throw new OpError(OP, `pooledSize must be [height, width] of positive integers, got ${JSON.stringify(p)}`, types);
  const s = a.spatialScale;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) throw new OpError(OP, `spatialScale must be a positive number (the feature map's size over the image's), got ${JSON.stringify(s)}`, types);
  if (!Number.isInteger(a.sampleRatio)) throw new OpError(OP, `sampleRatio must be an integer (<= 0: the adaptive grid), got ${JSON.stringify(a.sampleRatio)}`, types);
  for (const k of ['positionSensitive', 'aligned'] as const) if (typeof a[k] !== 'boolean') throw new OpError(OP, `${k} must be true or false, got ${JSON.stringify(a[k])}`, types);
  return { ph: p[0]!, pw: p[1]!, sr: a.sampleRatio, scale: s, aligned: a.aligned };
}

/**
 * The few gluonc operators `roiTaps` is written with, over the values of
 * one builder: IR values (the ONNX importer) or F's tensors (the gradient
 * rule). A number among `ins` takes the dtype of the value beside it.
 */
export interface TapOps<V> {
  op(name: 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'greaterEqual' | 'lesserEqual' | 'floor' | 'clip' | 'cast' | 'reshape' | 'take', ins: (V | number)[], attrs?: Attrs): V;
  constant(t: HostTensor): V;
}

/** One bilinear tap of every sample: rows [R, ph*s, pw*s] (int64) of the features as [N*H*W, C], and their weights. */
export interface RoiTap<V> {
  pos: V;
  weight: V;
}

/** One axis of every box, [R, 1, 1] each: where its first bin starts and a bin's length, in feature coordinates. */
export interface RoiAxis<V> {
  start: V;
  bin: V;
}

/**
 * The boxes' two axes as roi_align.cc scales them: `boxes` [R, 4] corners
 * `[x1, y1, x2, y2]`, times `g.scale`, shifted by half a pixel when
 * `aligned`; the extent at least 1 when not, cut into `g.ph` (y) and `g.pw`
 * (x) bins. Example: `const { y, x } = roiAxes(ops, boxes, g);`.
 */
export function roiAxes<V>(o: TapOps<V>, boxes: V, g: RoiGrid): { y: RoiAxis<V>; x: RoiAxis<V> } {
  const offset = g.aligned ? 0.5 : 0;
  // Box corners [R] -> [R, 1, 1], in feature coordinates.
  const corner = (i: number): V => {
    const v = o.op('mul', [o.op('take', [boxes, o.constant(tensorFromNumbers('int64', [], [i]))], { axis: -1 }), g.scale]);
    return o.op('reshape', [offset ? o.op('sub', [v, offset]) : v], { shape: [-1, 1, 1] });
  };
  const [x1, y1, x2, y2] = [0, 1, 2, 3].map(corner) as [V, V, V, V];
  const extent = (lo: V, hi: V): V => (g.aligned ? o.op('sub', [hi, lo]) : o.op('maximum', [o.op('sub', [hi, lo]), 1]));
  return { y: { start: y1, bin: o.op('div', [extent(y1, y2), g.ph]) }, x: { start: x1, bin: o.op('div', [extent(x1, x2), g.pw]) } };
}

/**
 * Sample positions along one axis, [R, n, S]: sample `iy` of bin `p` at
 * `start + p * bin + (iy + 0.5) * bin / count` (roi_align.cc's order of
 * operations), `iy` = `first` + 0..S-1 (`first` [R, n, 1] or 0), `count`
 * the bin's grid size ([R, 1, 1] or a number).
 */
export function samplePositions<V>(o: TapOps<V>, a: RoiAxis<V>, n: number, s: number, first: V | 0, count: V | number, d: DType): V {
  const bins = o.constant(tensorFromNumbers(d, [1, n, 1], Array.from({ length: n }, (_v, p) => p)));
  const half = o.constant(tensorFromNumbers(d, [1, 1, s], Array.from({ length: s }, (_v, i) => i + 0.5)));
  const at = first === 0 ? half : o.op('add', [first, half]);
  return o.op('add', [o.op('add', [a.start, o.op('mul', [bins, a.bin])]), o.op('div', [o.op('mul', [at, a.bin]), count])]);
}

/** One axis's bilinear interpolation of positions `v` (bilinear_interpolate): the rows/columns read (`lo`, `hi`, floats), their weights, and `valid` 1 where `v` lies in [-1, size]. */
export function bilinearAxis<V>(o: TapOps<V>, v: V, size: number): { lo: V; hi: V; wLo: V; wHi: V; valid: V } {
  const valid = o.op('mul', [o.op('greaterEqual', [v, -1]), o.op('lesserEqual', [v, size])]);
  const c = o.op('clip', [v], { aMin: 0, aMax: size - 1 });
  const lo = o.op('floor', [c]);
  const wHi = o.op('sub', [c, lo]);
  return { lo, hi: o.op('minimum', [o.op('add', [lo, 1]), size - 1]), wLo: o.op('sub', [1, wHi]), wHi, valid };
}

/**
 * The four bilinear taps of each sample of a fixed grid (`g.sr > 0`), as
 * roi_align.cc's pre_calc_for_bilinear_interpolate: `boxes` [R, 4] corners
 * `[x1, y1, x2, y2]` of dtype `d`, `batch` [R] int64; `height`, `width` the
 * map's. Weights are 0 for a sample outside [-1, size] and for a box of
 * negative batch index (which reads batch 0 at weight 0); `valid` [R,
 * ph*sr, pw*sr] is 1 where a sample counts, else 0. The average over a bin
 * is the caller's (the weights are not divided by sr²).
 *
 * ```ts
 * const { taps } = roiTaps(ops, boxes, batch, { ph: 2, pw: 2, sr: 2, scale: 0.5, aligned: true }, 8, 8, 'float32');
 * ```
 */
export function roiTaps<V>(o: TapOps<V>, boxes: V, batch: V, g: RoiGrid, height: number, width: number, d: DType): { taps: RoiTap<V>[]; valid: V } {
  const { ph, pw, sr } = g;
  const axes = roiAxes(o, boxes, g);
  // Sample positions ys [R, ph*sr, 1], xs [R, 1, pw*sr].
  const ys = bilinearAxis(o, o.op('reshape', [samplePositions(o, axes.y, ph, sr, 0, sr, d)], { shape: [-1, ph * sr, 1] }), height);
  const xs = bilinearAxis(o, o.op('reshape', [samplePositions(o, axes.x, pw, sr, 0, sr, d)], { shape: [-1, 1, pw * sr] }), width);
  const real = o.op('cast', [o.op('greaterEqual', [batch, 0])], { dtype: d });
  const valid = o.op('mul', [o.op('mul', [ys.valid, xs.valid]), o.op('reshape', [real], { shape: [-1, 1, 1] })]);
  // Row b*H*W + y*W + x of the features as [N*H*W, C] (int64).
  const int = (v: V): V => o.op('cast', [v], { dtype: 'int64' });
  const base = o.op('reshape', [o.op('mul', [o.op('maximum', [batch, 0]), height * width])], { shape: [-1, 1, 1] });
  const tap = (yi: V, xi: V, wy: V, wx: V): RoiTap<V> => ({
    pos: o.op('add', [o.op('add', [base, o.op('mul', [int(yi), width])]), int(xi)]),
    weight: o.op('mul', [o.op('mul', [wy, wx]), valid]),
  });
  return { taps: [tap(ys.lo, xs.lo, ys.wLo, xs.wLo), tap(ys.lo, xs.hi, ys.wLo, xs.wHi), tap(ys.hi, xs.lo, ys.wHi, xs.wLo), tap(ys.hi, xs.hi, ys.wHi, xs.wHi)], valid };
}

/** `roiTaps`' operators over F's tensors (the gradient rule's). */
function fTaps(F: GradOps, constant: (t: HostTensor) => GradTensor): TapOps<GradTensor> {
  const call = F as unknown as Record<string, (...args: unknown[]) => GradTensor>;
  return { op: (name, ins, attrs) => call[name]!(...ins, ...(attrs ? [attrs] : [])), constant };
}

/** An identity of ph*pw bins, shaped `shape` (the position-sensitive diagonal). */
function binEye(d: DType, p: number, shape: number[]): HostTensor {
  return tensorFromNumbers(d, shape, Array.from({ length: p * p }, (_v, k) => (Math.floor(k / p) === k % p ? 1 : 0)));
}

/**
 * Pools each region of interest to `pooledSize` by averaging bilinear
 * samples (MXNet's `contrib.ROIAlign`): data [N, C, H, W], rois [R, 5] rows
 * `[batch index, x1, y1, x2, y2]` in image coordinates; returns
 * [R, C, ph, pw] ([R, C/(ph*pw), ph, pw] when position-sensitive).
 *
 * ```ts
 * nd.contrib.ROIAlign(feat, rois, [7, 7], 1 / 16, 2);
 * ```
 */
export const ROIAlign: OpDef<RoiAlignSig, RoiAlignAttrs> = defineOp<RoiAlignSig, RoiAlignAttrs>({
  name: OP,
  opsetNote: 'RoiAlign with coordinate_transformation_mode from 16; below, RoiAlign-10 (aligned is an Error)',
  inputs: ['data', 'rois'],
  attrs: { pooledSize: null, spatialScale: null, sampleRatio: -1, positionSensitive: false, aligned: false },
  positional: ['pooledSize', 'spatialScale', 'sampleRatio', 'positionSensitive', 'aligned'],
  infer: (types, a) => {
    const [x, r] = roiInputs(OP, types);
    const g = grid(a, types);
    let c = x.shape[1]!;
    if (a.positionSensitive) {
      const p = g.ph * g.pw;
      if (typeof c !== 'number' || c % p !== 0) throw new OpError(OP, `positionSensitive needs the channels ${String(c)} to be a multiple of pooledSize's ${g.ph}*${g.pw} = ${p}`, types);
      c /= p;
    }
    return [{ dtype: x.dtype, shape: [r.shape[0]!, c, g.ph, g.pw] }];
  },
  lower: float16InFloat32<RoiAlignAttrs>((c, a) => {
    const g = grid(a, c.inTypes);
    const d = c.inTypes[0]!.dtype;
    if (g.aligned && c.opset < 16) throw new OpError(OP, `aligned needs ONNX opset 16 or later (RoiAlign's coordinate_transformation_mode), not ${c.opset}`, c.inTypes);
    const [x, rois] = c.inputs as [string, string];
    const col = (b: number, e: number): string => c.emit('Slice', [rois, c.ints([b]), c.ints([e]), c.ints([1])])[0]!;
    const batch = c.emit('Cast', [c.emit('Reshape', [col(0, 1), c.ints([-1])])[0]!], { to: onnxDType('int64') })[0]!;
    const attrs = {
      output_height: g.ph,
      output_width: g.pw,
      sampling_ratio: Math.max(g.sr, 0),
      spatial_scale: { float: g.scale },
      mode: 'avg',
      ...(c.opset >= 16 ? { coordinate_transformation_mode: g.aligned ? 'half_pixel' : 'output_half_pixel' } : {}),
    };
    // A negative batch index pools to 0 (onnxruntime refuses it: it reads batch 0, then is masked).
    const zero = c.scalar(0, 'int64');
    let y = c.emit('RoiAlign', [x, col(1, 5), c.emit('Max', [batch, zero])[0]!], attrs)[0]!;
    const real = c.emit('Reshape', [c.emit('GreaterOrEqual', [batch, zero])[0]!, c.ints([-1, 1, 1, 1])])[0]!;
    const out = c.outputs[0]!;
    if (!a.positionSensitive) return void c.emit('Where', [real, y, c.scalar(0, d)], {}, [out]);
    // Channel c*P + k at bin k: [R, C/P, P (channel's bin), P (output bin)], the diagonal kept.
    const p = g.ph * g.pw;
    const co = c.outTypes[0]!.shape[1] as number;
    y = c.emit('Reshape', [y, c.ints([0, co, p, p])])[0]!;
    const diag = c.emit('ReduceSum', [c.emit('Mul', [y, c.constant(binEye(d, p, [p, p]))])[0]!, c.ints([2])], { keepdims: 0 })[0]!;
    c.emit('Where', [real, c.emit('Reshape', [diag, c.ints([0, co, g.ph, g.pw])])[0]!, c.scalar(0, d)], {}, [out]);
  }),
  grad: (F, ctx, [gy]) => {
    const a = ctx.attrs as RoiAlignAttrs;
    const g = grid(a, ctx.inTypes);
    const [x, rois] = ctx.inputs as [GradTensor, GradTensor];
    if (!gy) return [null, null];
    if (g.sr <= 0) throw new OpError(OP, `has no gradient with the adaptive sampling grid (sampleRatio ${g.sr}: sized per box when the graph runs); pass sampleRatio > 0 (GluonCV's R-CNN uses 2) to differentiate it`, ctx.inTypes);
    const [, C, H, W] = ctx.inTypes[0]!.shape;
    if (![C, H, W].every((v) => typeof v === 'number')) throw new OpError(OP, `its gradient needs the features' channels and size known, got ${formatShape(ctx.inTypes[0]!.shape)}`, ctx.inTypes);
    const [ch, h, w] = [C, H, W] as [number, number, number];
    const d = x.dtype;
    const batch = F.cast(F.take(rois, ctx.constant(tensorFromNumbers('int64', [], [0])), { axis: 1 }), 'int64');
    const { taps } = roiTaps(fTaps(F, ctx.constant), F.sliceAxis(rois, { axis: 1, begin: 1, end: 5 }), batch, g, h, w, d);
    const { ph, pw, sr } = g;
    const p = ph * pw;
    // Position-sensitive: the output's channel c at bin k came from channel c*P + k; the rest get 0.
    const full = a.positionSensitive ? F.reshape(F.mul(F.reshape(gy, [-1, ch / p, 1, ph, pw]), ctx.constant(binEye(d, p, [1, 1, p, ph, pw]))), [-1, ch, ph, pw]) : gy;
    // Each bin's gradient over its sr*sr samples, averaged: [R, ph*sr, pw*sr, C].
    const spread = ctx.constant(tensorFromNumbers(d, [1, 1, sr, 1, sr, 1], Array<number>(sr * sr).fill(1 / (sr * sr))));
    const samples = F.reshape(F.mul(F.reshape(F.transpose(full, [0, 2, 3, 1]), [-1, ph, 1, pw, 1, ch]), spread), [-1, ph * sr, pw * sr, ch]);
    let rows = F.reshape(F.zerosLike(F.transpose(x, [0, 2, 3, 1])), [-1, ch]);
    for (const t of taps) rows = F.indexAdd(rows, t.pos, F.mul(samples, F.expandDims(t.weight, -1)), { axis: 0 });
    return [F.transpose(F.reshape(rows, [-1, h, w, ch]), [0, 3, 1, 2]), null];
  },
});

/** The ROIAlign operator, for ops/all.ts. */
export const ROI_ALIGN_OPS = { ROIAlign } as const;
