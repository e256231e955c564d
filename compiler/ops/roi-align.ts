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
 * (`roiTaps` below, shared with the ONNX importer) for a fixed grid; the
 * adaptive grid, whose sample count each box sets when the graph runs, is
 * differentiated through the separable weights of its rows and columns
 * (`adaptiveGrad`: every box given the whole map, enumerating up to
 * 2 * size + 5 samples per bin and axis, the ones past the box's count
 * masked). The boxes get no gradient (MXNet's backward writes zeros for them).
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

/**
 * One axis's share of the adaptive grid's weights, [R, n, size]: entry (r,
 * p, u) is the weight row (column) u takes in bin p of box r, summed over the
 * bin's `count = ceil(bin)` samples (roi_bin_grid_h, sized per box) and
 * divided by it; a box whose count is <= 0 has none. The samples are
 * enumerated from the first at or just before -1 (`first`, per box and bin),
 * `2 * size + 5` of them: samples lie more than half a pixel apart when
 * count > 1, so no more than 2 * size + 3 fall inside [-1, size].
 */
function adaptiveAxis(F: GradOps, constant: (t: HostTensor) => GradTensor, a: RoiAxis<GradTensor>, n: number, size: number, d: DType): GradTensor {
  const o = fTaps(F, constant);
  const s = 2 * size + 5;
  const count = F.neg(F.floor(F.neg(a.bin))); // ceil(bin): [R, 1, 1]
  const per = F.maximum(count, 1);
  // The first sample at or above -1: iy >= (-1 - base) * count / bin - 0.5, one earlier against rounding, at least 0.
  const base = F.add(a.start, F.mul(constant(tensorFromNumbers(d, [1, n, 1], Array.from({ length: n }, (_v, p) => p))), a.bin));
  const bin = F.where(F.greater(a.bin, 0), a.bin, 1);
  const first = F.maximum(F.sub(F.neg(F.floor(F.neg(F.sub(F.div(F.mul(F.sub(-1, base), per), bin), 0.5)))), 1), 0);
  const ax = bilinearAxis(o, samplePositions(o, a, n, s, first, per, d), size);
  // Samples past the box's grid (iy >= count) do not exist.
  const iy = F.add(first, constant(tensorFromNumbers(d, [1, 1, s], Array.from({ length: s }, (_v, i) => i))));
  const keep = F.div(F.mul(ax.valid, F.lesser(iy, count)), per);
  const at = constant(tensorFromNumbers(d, [1, 1, 1, size], Array.from({ length: size }, (_v, i) => i)));
  const spread = (pos: GradTensor, wt: GradTensor): GradTensor => F.mul(F.equal(F.expandDims(pos, 3), at), F.expandDims(F.mul(wt, keep), 3));
  return F.sum(F.add(spread(ax.lo, ax.wLo), spread(ax.hi, ax.wHi)), { axis: 2 });
}

/**
 * The features' gradient of ROIAlign with the adaptive grid: bilinear
 * sampling is separable, so a bin's weights over the map are the outer
 * product of its rows' (`adaptiveAxis` of y) and its columns' (of x), and
 * the gradient of box r is Ayᵀ · gy · Ax, [R, C, H, W], added into its batch
 * image (a negative batch index: none). `full` is the output gradient with
 * the features' channels [R, C, ph, pw]. Memory grows with boxes × channels
 * × the map's area (the grid is sized per box at run time, so every box is
 * given the whole map).
 */
function adaptiveGrad(F: GradOps, constant: (t: HostTensor) => GradTensor, x: GradTensor, boxes: GradTensor, batch: GradTensor, full: GradTensor, g: RoiGrid): GradTensor {
  const [, ch, h, w] = x.shape as [number, number, number, number];
  const d = x.dtype;
  const axes = roiAxes(fTaps(F, constant), boxes, g);
  const real = F.reshape(F.cast(F.greaterEqual(batch, 0), d), [-1, 1, 1]);
  const ay = F.mul(adaptiveAxis(F, constant, axes.y, g.ph, h, d), real); // [R, ph, H]
  const ax = adaptiveAxis(F, constant, axes.x, g.pw, w, d); // [R, pw, W]
  // gy · Ax: [R, C*ph, pw] x [R, pw, W] -> [R, C, ph, W]; Ayᵀ · that: [R, H, ph] x [R, ph, C*W] -> [R, H, C, W].
  const t = F.transpose(F.reshape(F.batchDot(F.reshape(full, [-1, ch * g.ph, g.pw]), ax), [-1, ch, g.ph, w]), [0, 2, 1, 3]);
  const per = F.transpose(F.reshape(F.batchDot(ay, F.reshape(t, [-1, g.ph, ch * w]), { transposeA: true }), [-1, h, ch, w]), [0, 2, 1, 3]);
  return F.indexAdd(F.zerosLike(x), F.maximum(batch, 0), per, { axis: 0 });
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
    const [, C, H, W] = ctx.inTypes[0]!.shape;
    if (![C, H, W].every((v) => typeof v === 'number')) throw new OpError(OP, `its gradient needs the features' channels and size known, got ${formatShape(ctx.inTypes[0]!.shape)}`, ctx.inTypes);
    const [ch, h, w] = [C, H, W] as [number, number, number];
    const d = x.dtype;
    const batch = F.cast(F.take(rois, ctx.constant(tensorFromNumbers('int64', [], [0])), { axis: 1 }), 'int64');
    const boxes = F.sliceAxis(rois, { axis: 1, begin: 1, end: 5 });
    const { ph, pw, sr } = g;
    const p = ph * pw;
    // Position-sensitive: the output's channel c at bin k came from channel c*P + k; the rest get 0.
    const full = a.positionSensitive ? F.reshape(F.mul(F.reshape(gy, [-1, ch / p, 1, ph, pw]), ctx.constant(binEye(d, p, [1, 1, p, ph, pw]))), [-1, ch, ph, pw]) : gy;
    if (sr <= 0) return [adaptiveGrad(F, ctx.constant, x, boxes, batch, full, g), null];
    const { taps } = roiTaps(fTaps(F, ctx.constant), boxes, batch, g, h, w, d);
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
