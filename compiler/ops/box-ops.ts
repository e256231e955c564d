/**
 * MXNet's box operators (src/operator/contrib/bounding_box-inl.h):
 * - `boxIou` (`contrib.box_iou`): the IoU of every box of `lhs` with every
 *   box of `rhs` (`BoxOverlapForward`, `compute_overlap`);
 * - `boxNms` (`contrib.box_nms`, alias `box_non_maximum_suppression`):
 *   greedy non-maximum suppression that keeps the data's layout
 *   (`BoxNMSForward`, `nms_impl`, `nms_assign`).
 * The kernels transcribe MXNet's loops and run every eager call
 * (`eagerKernel`); traced calls lower to ONNX graphs giving the same rows in
 * the same order (box-lower.ts). MXNet gives box_iou a zero gradient
 * (`BoxOverlapBackward`); so does gluonc. box_nms's gradient is MXNet's
 * `BoxNMSBackward` (`nms_backward`): each output row's gradient copied to the
 * input row it came from (the forward's record), suppressed and filtered
 * rows 0; `boxNmsGrad` finds the record again by the same suppression, on
 * host arrays eagerly and in the graph when traced.
 */
import { isFloat } from '../../runtime/dtypes.js';
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import { lowerBoxIou, lowerBoxNms } from './box-lower.js';

type BoxFormat = 'corner' | 'center';

function checkFormat(op: string, key: string, v: unknown, types: TensorType[]): BoxFormat {
  if (v !== 'corner' && v !== 'center') throw new OpError(op, `${key} must be 'corner' or 'center', got ${JSON.stringify(v)}`, types);
  return v;
}

function checkFloat(op: string, types: TensorType[]): void {
  for (const t of types) if (!isFloat(t.dtype)) throw new OpError(op, `boxes must be floating point, got ${t.dtype}`, types);
}

/** One side's overlap length (bounding_box-inl.h `Intersect`): corner reads [l, r], center [c, w]. */
export function intersect1(a0: number, a1: number, b0: number, b1: number, fmt: BoxFormat): number {
  let w: number;
  if (fmt === 'corner') w = Math.min(a1, b1) - Math.max(a0, b0);
  else {
    const al = a0 - a1 / 2, ar = a0 + a1 / 2, bl = b0 - b1 / 2, br = b0 + b1 / 2;
    w = Math.min(ar, br) - Math.max(al, bl);
  }
  return w > 0 ? w : 0;
}

/** A box's area (`BoxArea`): corner (x2 − x1)(y2 − y1), center w·h. */
export function boxArea(d: Float64Array, o: number, fmt: BoxFormat): number {
  return fmt === 'corner' ? (d[o + 2]! - d[o]!) * (d[o + 3]! - d[o + 1]!) : d[o + 2]! * d[o + 3]!;
}

type IouA = Attrs & { format: BoxFormat };
type IouSig = (lhs: Tx, rhs: Tx, ...rest: PositionalOptions<{ format?: BoxFormat }, ['format']>) => Tx;

function iouShape(types: TensorType[], a: IouA): number[] {
  checkFormat('boxIou', 'format', a.format, types);
  checkFloat('boxIou', types);
  for (const [k, t] of types.entries()) {
    if (t.shape.length < 2 || t.shape[t.shape.length - 1] !== 4) throw new OpError('boxIou', `${k ? 'rhs' : 'lhs'} must be [..., 4] with at least 2 dimensions, got [${t.shape.join(', ')}]`, types);
  }
  return [...types[0]!.shape.slice(0, -1), ...types[1]!.shape.slice(0, -1)] as number[];
}

/**
 * IoU of boxes `lhs` [..., 4] against `rhs` [..., 4]: shape
 * `lhs.shape[:-1] + rhs.shape[:-1]` (MXNet's rule, not a broadcast), 0 where
 * the boxes do not overlap. Example: `nd.contrib.boxIou(a, b, { format: 'center' })`.
 */
export const boxIou: OpDef<IouSig, IouA> = defineOp<IouSig, IouA>({
  name: 'boxIou',
  inputs: ['lhs', 'rhs'],
  attrs: { format: 'corner' },
  positional: ['format'],
  eagerKernel: true,
  infer: (types, a) => [{ dtype: types[0]!.dtype, shape: iouShape(types, a) }],
  lower: (c, a) => lowerBoxIou(c, a.format),
  kernel: ([l, r], a, [out]) => {
    const L = toF64(l!), R = toF64(r!);
    const nl = L.length / 4, nr = R.length / 4;
    const o = new Float64Array(nl * nr);
    for (let i = 0; i < nl; i++) {
      for (let j = 0; j < nr; j++) {
        // compute_overlap: no overlap is 0 (before the areas are read, so a zero-area pair is 0 too).
        const inter = intersect1(L[i * 4]!, L[i * 4 + 2]!, R[j * 4]!, R[j * 4 + 2]!, a.format) * intersect1(L[i * 4 + 1]!, L[i * 4 + 3]!, R[j * 4 + 1]!, R[j * 4 + 3]!, a.format);
        o[i * nr + j] = inter <= 0 ? 0 : inter / (boxArea(L, i * 4, a.format) + boxArea(R, j * 4, a.format) - inter);
      }
    }
    return [fromF64(out!, o)];
  },
  grad: (_F, _c, _g) => [null, null],
});

type NmsOpts = {
  overlapThresh?: number;
  validThresh?: number;
  topk?: number;
  coordStart?: number;
  scoreIndex?: number;
  idIndex?: number;
  backgroundId?: number;
  forceSuppress?: boolean;
  inFormat?: BoxFormat;
  outFormat?: BoxFormat;
};
type NmsA = Attrs & Required<NmsOpts>;
type NmsOrder = ['overlapThresh', 'validThresh', 'topk', 'coordStart', 'scoreIndex', 'idIndex', 'backgroundId', 'forceSuppress', 'inFormat', 'outFormat'];
/** box_nms's options, MXNet's defaults, and its positional order (MXNet 2's npx.box_nms), shared with boxNmsGrad. */
const NMS_DEFAULTS = { overlapThresh: 0.5, validThresh: 0, topk: -1, coordStart: 2, scoreIndex: 1, idIndex: -1, backgroundId: -1, forceSuppress: false, inFormat: 'corner', outFormat: 'corner' };
const NMS_POSITIONAL: NmsOrder = ['overlapThresh', 'validThresh', 'topk', 'coordStart', 'scoreIndex', 'idIndex', 'backgroundId', 'forceSuppress', 'inFormat', 'outFormat'];
type NmsSig = (data: Tx, ...rest: PositionalOptions<NmsOpts, NmsOrder>) => Tx;

function checkNms(types: TensorType[], a: NmsA): void {
  const op = 'boxNms';
  checkFloat(op, types);
  checkFormat(op, 'inFormat', a.inFormat, types);
  checkFormat(op, 'outFormat', a.outFormat, types);
  const s = types[0]!.shape as number[];
  if (s.length < 2) throw new OpError(op, `data must have at least 2 dimensions [..., N, K], got [${s.join(', ')}]`, types);
  const k = s[s.length - 1]!;
  for (const key of ['overlapThresh', 'validThresh'] as const) if (typeof a[key] !== 'number' || !Number.isFinite(a[key])) throw new OpError(op, `${key} must be a finite number, got ${JSON.stringify(a[key])}`, types);
  for (const key of ['topk', 'coordStart', 'scoreIndex', 'idIndex', 'backgroundId'] as const) if (!Number.isInteger(a[key])) throw new OpError(op, `${key} must be an integer, got ${JSON.stringify(a[key])}`, types);
  if (typeof a.forceSuppress !== 'boolean') throw new OpError(op, `forceSuppress must be a boolean, got ${JSON.stringify(a.forceSuppress)}`, types);
  if (a.coordStart < 0 || a.coordStart + 4 > k) throw new OpError(op, `coordStart ${a.coordStart} needs 4 coordinates inside the last axis of size ${k}`, types);
  if (a.scoreIndex < 0 || a.scoreIndex >= k) throw new OpError(op, `scoreIndex ${a.scoreIndex} is outside the last axis of size ${k}`, types);
  if (a.idIndex < -1 || a.idIndex >= k) throw new OpError(op, `idIndex ${a.idIndex} must be -1 (no class ids) or inside the last axis of size ${k}`, types);
  if (a.idIndex < 0 && a.backgroundId >= 0) throw new OpError(op, `backgroundId ${a.backgroundId} needs idIndex (the class id column)`, types);
}

/** Converts one box in place between corner and center encodings (`corner_to_center`, `center_to_corner`). */
function convertBox(d: Float64Array, o: number, to: BoxFormat): void {
  const [a, b, c, e] = [d[o]!, d[o + 1]!, d[o + 2]!, d[o + 3]!];
  if (to === 'center') [d[o], d[o + 1], d[o + 2], d[o + 3]] = [(a + c) / 2, (b + e) / 2, c - a, e - b];
  else [d[o], d[o + 1], d[o + 2], d[o + 3]] = [a - c / 2, b - e / 2, a + c / 2, b + e / 2];
}

/**
 * box_nms on one batch of `n` rows of width `k` starting at `base`; writes
 * `out` and, from row `base / k` of `record`, the input row (within the
 * batch) each output row holds, -1 after the kept ones (`nms_assign`'s record).
 */
function nmsBatch(src: Float64Array, out: Float64Array, base: number, n: number, k: number, a: NmsA, record: Int32Array): void {
  // Valid rows: score > validThresh, and not the background class when both idIndex and backgroundId are set.
  const valid: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = base + i * k;
    if (!(src[r + a.scoreIndex]! > a.validThresh)) continue;
    if (a.idIndex >= 0 && a.backgroundId >= 0 && src[r + a.idIndex] === a.backgroundId) continue;
    valid.push(i);
  }
  // Descending score; equal scores keep their input order (a stable sort).
  valid.sort((x, y) => src[base + y * k + a.scoreIndex]! - src[base + x * k + a.scoreIndex]! || x - y);
  const keep = a.topk < 0 ? valid : valid.slice(0, a.topk);
  const c = a.coordStart;
  const area = keep.map((i) => boxArea(src, base + i * k + c, a.inFormat));
  const alive = keep.map(() => true);
  for (let p = 0; p < keep.length; p++) {
    if (!alive[p]) continue;
    const rp = base + keep[p]! * k;
    for (let q = p + 1; q < keep.length; q++) {
      if (!alive[q]) continue;
      const rq = base + keep[q]! * k;
      // nms_impl: another class is never suppressed unless forceSuppress (or there are no ids).
      if (!a.forceSuppress && a.idIndex >= 0 && Math.trunc(src[rp + a.idIndex]!) !== Math.trunc(src[rq + a.idIndex]!)) continue;
      const inter = intersect1(src[rp + c]!, src[rp + c + 2]!, src[rq + c]!, src[rq + c + 2]!, a.inFormat) * intersect1(src[rp + c + 1]!, src[rp + c + 3]!, src[rq + c + 1]!, src[rq + c + 3]!, a.inFormat);
      const iou = inter / (area[p]! + area[q]! - inter);
      if (iou > a.overlapThresh) alive[q] = false;
    }
  }
  out.fill(-1, base, base + n * k);
  record.fill(-1, base / k, base / k + n);
  let row = 0;
  keep.forEach((i, p) => {
    if (!alive[p]) return;
    record[base / k + row] = i;
    const o = base + row * k;
    out.set(src.subarray(base + i * k, base + (i + 1) * k), o);
    if (a.inFormat !== a.outFormat) convertBox(out, o + c, a.outFormat);
    row++;
  });
}

/**
 * MXNet's `box_nms`: for each batch of rows `[..., N, K]` (a row holds a
 * score at `scoreIndex`, 4 coordinates from `coordStart`, a class id at
 * `idIndex` or -1 for none), the rows with score > `validThresh` sorted by
 * score (ties in input order), the first `topk` of them (-1: all; 0 returns data unchanged, as MXNet), greedily
 * suppressed where their IoU with a kept row of the same class (any class
 * with `forceSuppress`) is > `overlapThresh`. Output has data's shape: kept
 * rows first, the rest -1. Example:
 * `nd.contrib.boxNms(dets, { overlapThresh: 0.5, idIndex: 0, scoreIndex: 1, coordStart: 2 })`.
 */
export const boxNms: OpDef<NmsSig, NmsA> = defineOp<NmsSig, NmsA>({
  name: 'boxNms',
  inputs: ['data'],
  attrs: NMS_DEFAULTS,
  positional: NMS_POSITIONAL,
  eagerKernel: true,
  infer: (types, a) => {
    checkNms(types, a);
    return [{ dtype: types[0]!.dtype, shape: [...types[0]!.shape] }];
  },
  lower: (c, a) => lowerBoxNms(c, a, false),
  kernel: ([x], a, [outType]) => {
    const src = toF64(x!);
    const out = new Float64Array(src.length);
    nms(x!.shape, src, out, a);
    return [fromF64(outType!, out)] as HostTensor[];
  },
  grad: (F, ctx, [g]) => [g ? F.boxNmsGrad(ctx.inputs[0]!, g, ctx.attrs) : null],
});

/** box_nms over every batch of `shape` [..., N, K]: writes `out` and returns the record ([batches * N] input rows, -1 unused). */
function nms(shape: number[], src: Float64Array, out: Float64Array, a: NmsA): Int32Array {
  const k = shape[shape.length - 1]!, n = shape[shape.length - 2]!;
  const batches = n * k === 0 ? 0 : src.length / (n * k);
  const record = new Int32Array(batches * n);
  // BoxNMSForward: topk 0 returns the data unchanged (its record: every row itself).
  if (a.topk === 0) {
    out.set(src);
    for (let r = 0; r < record.length; r++) record[r] = r % n;
  } else for (let b = 0; b < batches; b++) nmsBatch(src, out, b * n * k, n, k, a, record);
  return record;
}

type NmsGradSig = (data: Tx, grad: Tx, ...rest: PositionalOptions<NmsOpts, NmsOrder>) => Tx;

/**
 * box_nms's gradient (MXNet's `BoxNMSBackward`): for `data` and the
 * gradient `grad` of box_nms's output (data's shape), each output row's
 * gradient copied whole to the input row it holds, other rows 0 (`topk` 0:
 * `grad` itself). The rows are chosen again from `data` with box_nms's
 * options. As MXNet, the gradient is copied unchanged when `inFormat` and
 * `outFormat` differ (not through the conversion).
 * Example: `F.boxNmsGrad(dets, g, { overlapThresh: 0.5, idIndex: 0 })`.
 */
export const boxNmsGrad: OpDef<NmsGradSig, NmsA> = defineOp<NmsGradSig, NmsA>({
  name: 'boxNmsGrad',
  inputs: ['data', 'grad'],
  attrs: NMS_DEFAULTS,
  positional: NMS_POSITIONAL,
  eagerKernel: true,
  infer: (types, a) => {
    checkNms(types, a);
    const [x, g] = types as [TensorType, TensorType];
    if (g.dtype !== x.dtype || g.shape.length !== x.shape.length || g.shape.some((d, i) => d !== x.shape[i])) throw new OpError('boxNmsGrad', `grad must have the data's dtype and shape ${x.dtype}[${x.shape.join(', ')}] (box_nms's output), got ${g.dtype}[${g.shape.join(', ')}]`, types);
    return [{ dtype: g.dtype, shape: [...g.shape] }];
  },
  lower: (c, a) => lowerBoxNms(c, a, true),
  kernel: ([x, g], a, [outType]) => {
    const s = x!.shape;
    const k = s[s.length - 1]!, n = s[s.length - 2]!;
    const src = toF64(x!);
    const record = nms(s, src, new Float64Array(src.length), a);
    const gy = toF64(g!);
    const gx = new Float64Array(src.length);
    // nms_backward: output row r of batch b goes to input row record[r] of that batch.
    record.forEach((i, r) => {
      if (i < 0) return;
      const b = Math.floor(r / n);
      gx.set(gy.subarray(r * k, (r + 1) * k), (b * n + i) * k);
    });
    return [fromF64(outType!, gx)] as HostTensor[];
  },
  grad: null,
  noGradReason: 'it is box_nms\'s gradient, whose own gradient MXNet does not define',
});

export const BOX_OPS = { boxIou, boxNms, boxNonMaximumSuppression: boxNms, boxNmsGrad } as const;
