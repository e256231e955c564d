/**
 * Importers of ONNX's one-hot style operators: GatherElements (as a one-hot
 * selection, so it differentiates in the data), OneHot, and the block
 * rearrangements DepthToSpace and SpaceToDepth (reshape, transpose, reshape),
 * ReverseSequence (gluonc's SequenceReverse), GatherND (`take` of
 * row-major positions), and NonZero, Compress, Unique and NonMaxSuppression
 * (gluonc's `nonzero`, `unique` and `nonMaxSuppression`, whose counts are
 * dimensions known only at run time; NMS's limits must be constants).
 * Negative indices count from the end, as in ONNX; GatherElements' and
 * GatherND's outside [-n, n) fail the run (`boundedIndices`), as onnxruntime's.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Value } from '../../ir/value.js';
import { UNIQUE_DTYPES } from '../../ops/data-dependent.js';
import { boundedIndices, castTo, normAxis, type Builder, type ImportCtx } from './context.js';
import { rowMajorPosition } from '../../ops/indices.js';

/** Indices with negative entries wrapped by `n` (int64). */
function wrapped(c: ImportCtx, idx: Value, n: number): Value {
  const i = castTo(c, idx, 'int64');
  return c.op('where', [c.op('lesser', [i, c.scalar(0, 'int64')]), c.op('add', [i, c.scalar(n, 'int64')]), i]);
}

/** The permutation moving the last of `r` axes to position `axis`. */
function lastTo(axis: number, r: number): number[] {
  const perm = Array.from({ length: r - 1 }, (_v, i) => i);
  perm.splice(axis, 0, r - 1);
  return perm;
}

/** The channels of an [N, C, H, W] input, known (N, H and W may be symbolic). */
function channels(c: ImportCtx, v: Value): number {
  const s = v.type.shape;
  if (s.length !== 4) throw c.refuse(`an input of rank ${s.length} (it takes [N, C, H, W])`);
  if (typeof s[1] !== 'number') throw c.refuse(`the input shape [${s.join(', ')}] has symbolic channels`);
  return s[1];
}

function concrete(c: ImportCtx, v: Value, what: string): number[] {
  const s = v.type.shape;
  if (s.some((d) => typeof d !== 'number')) throw c.refuse(`${what} [${s.join(', ')}] has symbolic dimensions`);
  return s as number[];
}

/** out[..i..] = data[.. index[..i..] (on axis) ..]: sum over a one-hot of the index times the data. */
const gatherElements: Builder = (c) => {
  const [data, index] = [c.input(0), c.input(1)];
  const ds = concrete(c, data, 'the data shape');
  const is = concrete(c, index, 'the index shape');
  const r = ds.length;
  if (is.length !== r) throw c.refuse(`index of rank ${is.length} for data of rank ${r}`);
  const axis = normAxis(c, c.attr.int('axis', 0), r);
  const n = ds[axis]!;
  // Data cut to the index's extent on the other axes, the gathered axis moved last, a unit axis in its place.
  const cut = is.some((d, k) => k !== axis && d !== ds[k])
    ? c.op('slice', [data], { begin: ds.map(() => 0), end: ds.map((d, k) => (k === axis ? d : is[k]!)), step: ds.map(() => 1) })
    : data;
  const perm = [...Array.from({ length: r }, (_v, k) => k).filter((k) => k !== axis), axis];
  const moved = c.op('expandDims', [c.op('transpose', [cut], { axes: perm })], { axis });
  const hot = c.op('oneHot', [boundedIndices(c, index, n)], { depth: n, dtype: data.type.dtype });
  return [c.op('sum', [c.op('mul', [hot, moved])], { axis: -1 })];
};

const oneHot: Builder = (c) => {
  const depth = c.numbers(1, 'depth')![0]!;
  const [off, on] = c.numbers(2, 'values')! as [number, number];
  const values = c.data(2)!;
  const idx = c.input(0);
  const r = idx.type.shape.length + 1;
  const axis = normAxis(c, c.attr.int('axis', -1), r);
  const hot = c.op('oneHot', [wrapped(c, idx, Math.trunc(depth))], { depth: Math.trunc(depth), onValue: on, offValue: off, dtype: values.dtype });
  return [axis === r - 1 ? hot : c.op('transpose', [hot], { axes: lastTo(axis, r) })];
};

/** The `mode` of DepthToSpace and SpaceToDepth (opset 28): DCR (the default) or CRD; any other a refusal. */
function blockMode(c: ImportCtx): 'DCR' | 'CRD' {
  const mode = c.attr.str('mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') throw c.refuse(`mode '${mode}' (DCR and CRD are defined)`);
  return mode;
}

/**
 * DepthToSpace by MXNet's reshape codes, so the batch and image sizes may be
 * symbolic (torch's pixel_shuffle in a fully convolutional net): [N, C, H, W]
 * split (-4, twice; -2 copies H and W) to [N, b, b, C/b², H, W] (CRD:
 * [N, C/b², b, b, H, W]), permuted to [N, C/b², H, b, W, b], merged (-3) to
 * [N, C/b², H·b, W·b].
 */
const depthToSpace: Builder = (c) => {
  const x = c.input(0);
  const ch = channels(c, x);
  const b = c.attr.int('blocksize', 0);
  if (b < 1 || ch % (b * b)) throw c.refuse(`blocksize ${b} does not divide the ${ch} channels`);
  const crd = blockMode(c) === 'CRD';
  const [first, second] = crd ? [[0, -4, ch / (b * b), -1, -2], [0, 0, -4, b, b, -2]] : [[0, -4, b, -1, -2], [0, 0, -4, b, -1, -2]];
  const split = c.op('reshape', [c.op('reshape', [x], { shape: first })], { shape: second });
  const perm = crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
  const t = c.op('transpose', [split], { axes: perm });
  return [c.op('reshape', [t], { shape: [0, 0, -3, -3] })];
};

/**
 * SpaceToDepth (torch's pixel_unshuffle writes it too) by reshape codes:
 * [N, C, H, W] split (-4) to [N, C, H/b, b, W/b, b], permuted to
 * [N, b, b, C, H/b, W/b] (mode DCR, the default; CRD, opset 28: [N, C, b, b, H/b, W/b]),
 * the first three merged (-3 twice) to [N, b²C, H/b, W/b].
 */
const spaceToDepth: Builder = (c) => {
  const x = c.input(0);
  channels(c, x);
  const b = c.attr.int('blocksize', 0);
  const crd = blockMode(c) === 'CRD';
  const [h, w] = x.type.shape.slice(2);
  if (b < 1 || [h, w].some((d) => typeof d === 'number' && d % b)) throw c.refuse(`blocksize ${b} does not divide the spatial size ${h}x${w}`);
  const t = c.op('transpose', [c.op('reshape', [x], { shape: [0, 0, -4, -1, b, -4, -1, b] })], { axes: crd ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4] });
  return [c.op('reshape', [c.op('reshape', [t], { shape: [0, -3, -2] })], { shape: [0, -3, -2] })];
};

/** ReverseSequence: gluonc's SequenceReverse (time axis 0 with batch 1, or time 1 with batch 0). */
const reverseSequence: Builder = (c) => {
  const [t, b] = [c.attr.int('time_axis', 0), c.attr.int('batch_axis', 1)];
  if (!((t === 0 && b === 1) || (t === 1 && b === 0))) throw c.refuse(`time_axis ${t} with batch_axis ${b}`);
  return [c.op('SequenceReverse', [c.input(0), c.input(1)], { useSequenceLength: true, axis: t })];
};

/**
 * GatherND: the last axis of the indices (length k) addresses axes
 * `batch_dims .. batch_dims + k` of the data; each index row becomes one
 * row-major position in those axes (negative entries wrapped, others outside an error), offset by its
 * batch, and `take` picks it from the data reshaped to [positions, ...rest].
 * The rest may have symbolic sizes, and so may the addressed axes without
 * batch_dims (their strides read when the graph runs).
 */
const gatherND: Builder = (c) => {
  const [data, indices] = [c.input(0), c.input(1)];
  const all = data.type.shape;
  const b = c.attr.int('batch_dims', 0);
  // The index rows may be symbolic in number (dynamo's nearest-exact to a size computed from H and W) without batch_dims.
  const is = b > 0 ? concrete(c, indices, 'the indices shape') : indices.type.shape;
  const k = is[is.length - 1]!;
  if (typeof k !== 'number') throw c.refuse(`the indices shape [${is.join(', ')}] has a symbolic last axis (the length of each index row)`);
  if (is.length < 1 || b < 0 || b >= is.length || k < 1 || b + k > all.length || is.slice(0, b).some((d, i) => d !== all[i])) {
    throw c.refuse(`indices of shape [${is.join(', ')}] with batch_dims ${b} for data of shape [${all.join(', ')}]`);
  }
  // Column a of the indices' last axis (kept as an axis of 1), and int64 arithmetic for rowMajorPosition.
  const column = (idx: Value, a: number): Value => c.op('sliceAxis', [idx], { axis: -1, begin: a, end: a + 1 });
  const ops = {
    mul: (x: Value, s: number | Value): Value => c.op('mul', [x, typeof s === 'number' ? c.scalar(s, 'int64') : s]),
    add: (x: Value, y: Value): Value => c.op('add', [x, y]),
  };
  // The batch and addressed axes merged into one (-3: the rest kept, symbolic too).
  let flat = data;
  for (let m = 1; m < b + k; m++) flat = c.op('reshape', [flat], { shape: [-3, -2] });
  const lead = all.slice(b, b + k);
  if (lead.some((d) => typeof d !== 'number')) {
    // Addressed axes of symbolic sizes (torch's nearest-exact resizing by the dynamo exporter gathers [H, W, N, C] at
    // indices computed from H and W): each index column bounded by its axis, the strides read when the graph runs.
    if (b > 0) throw c.refuse(`batch_dims ${b} with the symbolic sizes [${all.join(', ')}]`);
    const int64 = castTo(c, indices, 'int64');
    const pos = rowMajorPosition(k, (a) => boundedIndices(c, column(int64, a), c.op('arangeLike', [data], { axis: a, dtype: 'int64' })), (a) => c.op('shapeArray', [data], { axis: a }), ops);
    return [c.op('take', [flat, c.op('squeeze', [pos], { axis: -1 })], { axis: 0 })];
  }
  const ds = all.slice(0, b + k) as number[];
  const known = lead as number[];
  const size = known.reduce((p, q) => p * q, 1);
  const bounded = boundedIndices(c, indices, known);
  let idx = c.op('squeeze', [rowMajorPosition(k, (a) => column(bounded, a), (a) => known[a]!, ops)], { axis: -1 });
  const batches = ds.slice(0, b).reduce((p, q) => p * q, 1);
  if (b > 0) {
    // Batch j's positions start at j * size: a constant of shape [batch dims..., 1, ...] added to the positions.
    const offShape = [...(is.slice(0, b) as number[]), ...is.slice(b, -1).map(() => 1)];
    idx = c.op('add', [idx, c.constant(tensorFromNumbers('int64', offShape, Array.from({ length: batches }, (_v, j) => j * size)))]);
  }
  return [c.op('take', [flat, idx], { axis: 0 })];
};

/** NonZero: gluonc's `nonzero`; a 0-d input is refused (ONNX gives shape [0, count] there, numpy [1, count]). */
const nonZero: Builder = (c) => {
  const x = c.input(0);
  if (x.type.shape.length === 0) throw c.refuse('a 0-d input (ONNX gives it shape [0, count], which gluonc does not model)');
  return [c.op('nonzero', [x])];
};

/**
 * Compress: `take` (mode 'raise') of the positions where the 1-D condition
 * holds, along `axis`, or from the flattened input without one; a condition
 * shorter than the axis selects among its first elements, as ONNX says.
 */
const compress: Builder = (c) => {
  const cond = c.input(1);
  if (cond.type.shape.length !== 1) throw c.refuse(`a condition of rank ${cond.type.shape.length} (ONNX requires rank 1)`);
  const x = c.attr.has('axis') ? c.input(0) : c.op('reshape', [c.input(0)], { shape: [-1] });
  const axis = c.attr.has('axis') ? normAxis(c, c.attr.int('axis', 0), x.type.shape.length) : 0;
  const positions = c.op('squeeze', [c.op('nonzero', [cond])], { axis: 0 });
  return [c.op('take', [x, positions], { axis, mode: 'raise' })];
};

/** Unique (its `axis` and `sorted`): gluonc's `unique`, the same four outputs. */
const uniqueOp: Builder = (c) => {
  const x = c.input(0);
  if (!UNIQUE_DTYPES.has(x.type.dtype)) throw c.refuse(`a ${x.type.dtype} input (gluonc's unique takes ${[...UNIQUE_DTYPES].join(', ')})`);
  const axis = c.attr.has('axis') ? normAxis(c, c.attr.int('axis', 0), x.type.shape.length) : null;
  return c.ops('unique', [x], { axis, sorted: c.attr.int('sorted', 1) === 1 });
};

/** NonMaxSuppression with constant limits (its optional inputs 2-4) as gluonc's `nonMaxSuppression` options. */
const nms: Builder = (c) => {
  const scoreThreshold = c.numbers(4, 'score_threshold')?.[0] ?? null;
  const options = { maxOutputBoxesPerClass: c.numbers(2, 'max_output_boxes_per_class')?.[0] ?? 0, iouThreshold: c.numbers(3, 'iou_threshold')?.[0] ?? 0, scoreThreshold };
  return [c.op('nonMaxSuppression', [c.input(0), c.input(1)], { ...options, centerPointBox: c.attr.int('center_point_box', 0) === 1 })];
};

/** The gather and rearrangement importers by ONNX operator. */
export const GATHER_IMPORTS: Record<string, Builder> = {
  GatherElements: gatherElements,
  GatherND: gatherND,
  OneHot: oneHot,
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
  ReverseSequence: reverseSequence,
  NonZero: nonZero,
  Compress: compress,
  Unique: uniqueOp,
  NonMaxSuppression: nms,
};
