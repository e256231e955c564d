/**
 * Operators whose output shapes depend on the data (`dataShape`: eagerly
 * they always run at once; a traced graph carries the length as an opaque
 * dimension):
 * - `nonzero`: the positions of the nonzero elements, ONNX's `NonZero`
 *   (int64 `[rank, count]`, row-major order; NaN counts as nonzero). MXNet
 *   2's `npx.nonzero` is its transpose `[count, rank]`, numpy's
 *   `np.nonzero` its rows (gluon/np.ts, gluon/npx.ts);
 * - `unique`: the distinct values of the flattened input, or the distinct
 *   slices along an axis, sorted or in order of first occurrence, with
 *   numpy's `return_index`, `return_inverse` and `return_counts`, ONNX's
 *   `Unique`;
 * - `nonMaxSuppression`: the boxes greedy non-maximum suppression keeps per
 *   batch and class, ONNX's `NonMaxSuppression` (int64 `[count, 3]`).
 */
import { isDType, isFloat, onnxDType, type DType } from '../../runtime/dtypes.js';
import { tensorFromNumbers, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';
import { mulDims } from './dims.js';
import { opaque } from './index-ops.js';
import { fromF64, toF64 } from './kernels.js';

/** The opaque length of a nonzero count (two counts are not known to be equal; onnxruntime checks them when it runs). */
export const NONZERO_COUNT = opaque('nonzero');
const NONZERO_NATIVE: DType[] = ['bool', 'uint8', 'int32', 'int64', 'float16', 'float32'];

/**
 * The indices of `data`'s nonzero elements, one row per axis.
 *
 * ```ts
 * nd.nonzero(nd.array([[0, 3], [5, 0]])); // int64 [[0, 1], [1, 0]]
 * ```
 */
export const nonzero: OpDef<(data: Tx) => Tx> = defineOp<(data: Tx) => Tx>({
  name: 'nonzero',
  inputs: ['data'],
  dataShape: true,
  infer: (types) => {
    const t = types[0]!;
    if (!isDType(t.dtype)) throw new OpError('nonzero', `unsupported dtype ${String(t.dtype)}`, types);
    if (t.shape.length === 0) throw new OpError('nonzero', 'of a 0-d array (numpy deprecates it): reshape it to [1] first', types);
    return [{ dtype: 'int64', shape: [t.shape.length, NONZERO_COUNT] }];
  },
  lower: (c) => {
    // onnxruntime's NonZero has no int8, int16, uint16, uint32, uint64 or float64 kernel: their cast to bool keeps which are nonzero (NaN is, -0 is not).
    const d = c.inTypes[0]!.dtype;
    const x = !NONZERO_NATIVE.includes(d) ? c.emit('Cast', c.inputs, { to: onnxDType('bool') })[0]! : c.inputs[0]!;
    c.emit('NonZero', [x], {}, c.outputs);
  },
  kernel: ([x]) => {
    const shape = x!.shape;
    // float16 bits, bool bytes and int64 (exact for zero) as float64: -0 is zero, NaN is not.
    const d = toF64(x!);
    const hits: number[] = [];
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) hits.push(i);
    const rank = shape.length;
    const out = new Array<number>(rank * hits.length);
    hits.forEach((flat, k) => {
      let rest = flat;
      for (let a = rank - 1; a >= 0; a--) {
        out[a * hits.length + k] = rest % shape[a]!;
        rest = Math.floor(rest / shape[a]!);
      }
    });
    return [tensorFromNumbers('int64', [rank, hits.length], out)];
  },
  grad: null,
  noGradReason: 'its output is integer positions',
});

/** The dtypes `unique` takes (the ONNX importer refuses others by name). */
export const UNIQUE_DTYPES: ReadonlySet<string> = new Set(['int8', 'uint8', 'int32', 'int64', 'float16', 'float32', 'float64']);

/** The opaque number of distinct values of a `unique`. */
export const UNIQUE_COUNT = opaque('unique');

type UniqueA = Attrs & { axis: number | null; sorted: boolean };
type UniqueSig = (data: Tx, options?: { axis?: number | null; sorted?: boolean }) => Tx[];

/**
 * The rows `unique` compares: `axis` moved first, the rest flattened
 * (flattened input: one element per row). Float elements compare as the
 * pairs (isNaN, value or 0), so NaN sorts last and equals NaN; along an axis
 * a row holding NaN gets its own tag (index + 1), so it equals no other row
 * (numpy compares slices with NaN != NaN); without an axis NaNs are one value
 * (numpy's equal_nan).
 */
function uniqueKeys(x: HostTensor, axis: number | null): { n: number; keys: number[][] } {
  const v = toF64(x);
  const shape = x.shape;
  const n = axis === null ? v.length : shape[axis]!;
  const inner = axis === null ? 1 : shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const outer = axis === null ? 1 : shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const float = isFloat(x.dtype);
  const keys = Array.from({ length: n }, (_r, a) => {
    const k: number[] = [];
    let nan = false;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const e = v[(o * n + a) * inner + i]!;
        if (!float) k.push(e);
        else {
          nan ||= Number.isNaN(e);
          k.push(Number.isNaN(e) ? 1 : 0, Number.isNaN(e) ? 0 : e);
        }
      }
    }
    if (float && axis !== null) k.push(nan ? a + 1 : 0);
    return k;
  });
  return { n, keys };
}

function compareKeys(p: number[], q: number[]): number {
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return p[i]! < q[i]! ? -1 : 1;
  return 0;
}

/**
 * The distinct values of `data` (flattened), or with `axis` its distinct
 * slices along that axis, with, as int64, the first position of each, the
 * index of each input element (slice) among them (`y[inverse]` rebuilds
 * the input) and their counts: numpy's `np.unique(x, axis=,
 * return_index=True, return_inverse=True, return_counts=True)`, sorted
 * (slices lexicographically) or, with `sorted: false`, in order of first
 * occurrence (ONNX's `Unique`). Each value is the one at its first
 * occurrence (-0 or 0). Floats: NaN sorts last; without an axis all NaNs
 * are one value, along an axis a slice holding NaN equals no other (numpy).
 *
 * ```ts
 * const [values, first, inverse, counts] = nd.unique(nd.array([3, 1, 3, 2], { dtype: 'int64' })); // [1, 2, 3], [1, 3, 0], [2, 0, 2, 1], [1, 1, 2]
 * ```
 */
export const unique: OpDef<UniqueSig, UniqueA> = defineOp<UniqueSig, UniqueA>({
  name: 'unique',
  inputs: ['data'],
  attrs: { axis: null, sorted: true },
  dataShape: true,
  multiOutput: true,
  normalize: (a, types) => {
    const r = types[0]!.shape.length;
    if (a.axis === null || a.axis === undefined) return { ...a, axis: null };
    if (!Number.isInteger(a.axis) || a.axis < -r || a.axis >= r) throw new OpError('unique', `axis ${String(a.axis)} is out of range for rank ${r}`, types);
    return { ...a, axis: a.axis < 0 ? a.axis + r : a.axis };
  },
  infer: (types, a) => {
    const t = types[0]!;
    if (!UNIQUE_DTYPES.has(t.dtype)) throw new OpError('unique', `of ${String(t.dtype)}: ${[...UNIQUE_DTYPES].join(', ')} only`, types);
    if (typeof a.sorted !== 'boolean') throw new OpError('unique', `option 'sorted' must be a boolean, got ${JSON.stringify(a.sorted)}`, types);
    const axis = a.axis as number | null;
    if (axis !== null && t.shape.length === 0) throw new OpError('unique', 'along an axis of a 0-d array', types);
    const y: Dim[] = axis === null ? [UNIQUE_COUNT] : t.shape.map((d, i) => (i === axis ? UNIQUE_COUNT : d));
    return [
      { dtype: t.dtype, shape: y },
      { dtype: 'int64', shape: [UNIQUE_COUNT] },
      { dtype: 'int64', shape: [axis === null ? mulDims(t.shape) : t.shape[axis]!] },
      { dtype: 'int64', shape: [UNIQUE_COUNT] },
    ];
  },
  lower: (c, a) => {
    // ONNX's Unique over the rows of uniqueKeys (onnxruntime compares floats with <, which misorders NaN: the keys
    // hold none); the values are the input's at the first positions.
    const dtype = c.inTypes[0]!.dtype;
    const rank = c.inTypes[0]!.shape.length;
    const x = c.inputs[0]!;
    const axis = a.axis as number | null;
    const float = isFloat(dtype);
    const flat = c.emit('Reshape', [x, c.ints([-1])])[0]!;
    let rows: string;
    if (axis === null) rows = c.emit('Unsqueeze', [flat, c.ints([1])])[0]!;
    else {
      const perm = [axis, ...Array.from({ length: rank }, (_v, i) => i).filter((i) => i !== axis)];
      rows = c.emit('Reshape', [c.emit('Transpose', [x], { perm })[0]!, c.ints([0, -1])])[0]!;
    }
    let keys: string;
    if (!float) keys = dtype === 'int8' || dtype === 'int64' ? rows : c.emit('Cast', [rows], { to: onnxDType('int64') })[0]!;
    else {
      const d = c.emit('Cast', [rows], { to: onnxDType('float64') })[0]!;
      const nan = c.emit('IsNaN', [d])[0]!;
      const isn = c.emit('Cast', [nan], { to: onnxDType('float64') })[0]!;
      const val = c.emit('Where', [nan, c.scalar(0, 'float64'), d])[0]!;
      const pairs = c.emit('Concat', [c.emit('Unsqueeze', [isn, c.ints([2])])[0]!, c.emit('Unsqueeze', [val, c.ints([2])])[0]!], { axis: 2 })[0]!;
      keys = c.emit('Reshape', [pairs, c.ints([0, -1])])[0]!;
      if (axis !== null) {
        const any = c.emit('ReduceMax', [isn, c.ints([1])], { keepdims: 1 })[0]!;
        const n = c.emit('Shape', [rows], { start: 0, end: 1 })[0]!;
        const idx = c.emit('Cast', [c.emit('Range', [c.scalar(1, 'int64'), c.emit('Add', [c.emit('Squeeze', [n, c.ints([0])])[0]!, c.scalar(1, 'int64')])[0]!, c.scalar(1, 'int64')])[0]!], { to: onnxDType('float64') })[0]!;
        const tag = c.emit('Mul', [any, c.emit('Unsqueeze', [idx, c.ints([1])])[0]!])[0]!;
        keys = c.emit('Concat', [keys, tag], { axis: 1 })[0]!;
      }
    }
    const [, first, inverse, counts] = c.emit('Unique', [keys], { axis: 0, sorted: a.sorted ? 1 : 0 }, 4);
    c.emit('Gather', [axis === null ? flat : x, first!], { axis: axis ?? 0 }, [c.outputs[0]!]);
    [first, inverse, counts].forEach((r, k) => c.emit('Identity', [r!], {}, [c.outputs[k + 1]!]));
  },
  kernel: ([x], a, outs) => {
    const axis = a.axis as number | null;
    const { n, keys } = uniqueKeys(x!, axis);
    const order = Array.from({ length: n }, (_v, i) => i).sort((i, j) => compareKeys(keys[i]!, keys[j]!) || i - j);
    // Groups of equal keys, each listed by its first position.
    const groupOf = new Array<number>(n);
    const first: number[] = [];
    const counts: number[] = [];
    order.forEach((i, k) => {
      if (k === 0 || compareKeys(keys[order[k - 1]!]!, keys[i]!) !== 0) {
        first.push(i);
        counts.push(0);
      }
      groupOf[i] = first.length - 1;
      counts[counts.length - 1]!++;
    });
    // Unsorted: groups in order of first occurrence.
    const rank = Array.from(first.keys());
    if (!a.sorted) rank.sort((p, q) => first[p]! - first[q]!);
    const pos = new Array<number>(rank.length);
    rank.forEach((g, k) => (pos[g] = k));
    const f = rank.map((g) => first[g]!);
    const cnt = rank.map((g) => counts[g]!);
    const inverse = groupOf.map((g) => pos[g]!);
    const k = f.length;
    const v = toF64(x!);
    const shape = x!.shape;
    const len = axis === null ? v.length : shape[axis]!;
    const inner = axis === null ? 1 : shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const outer = axis === null ? 1 : shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const y = new Float64Array(outer * k * inner);
    for (let o = 0; o < outer; o++) for (let j = 0; j < k; j++) for (let i = 0; i < inner; i++) y[(o * k + j) * inner + i] = v[(o * len + f[j]!) * inner + i]!;
    const yShape = axis === null ? [k] : shape.map((d, i) => (i === axis ? k : d));
    return [fromF64({ dtype: outs[0]!.dtype, shape: yShape }, y), tensorFromNumbers('int64', [k], f), tensorFromNumbers('int64', [inverse.length], inverse), tensorFromNumbers('int64', [k], cnt)];
  },
  grad: null,
  noGradReason: 'its outputs are selected by value',
});

/** The opaque number of boxes a `nonMaxSuppression` keeps. */
export const NMS_COUNT = opaque('nms');

type NmsA = Attrs & { maxOutputBoxesPerClass: number; iouThreshold: number; scoreThreshold: number | null; centerPointBox: boolean };

/** The options of `nonMaxSuppression`. */
export interface NmsOptions {
  /** Boxes kept per batch and class at most (ONNX's default 0 keeps none). */
  maxOutputBoxesPerClass?: number;
  /** A box whose IoU with a kept box exceeds this is suppressed (default 0). */
  iouThreshold?: number;
  /** Only boxes scoring above this are considered (default: all). */
  scoreThreshold?: number | null;
  /** Boxes are [x_center, y_center, width, height] (ONNX's center_point_box 1) rather than corners [y1, x1, y2, x2]. */
  centerPointBox?: boolean;
}

/**
 * Greedy non-maximum suppression (ONNX's `NonMaxSuppression`): for each
 * batch and class, the boxes in order of decreasing score, each dropped when
 * its IoU with a box already kept exceeds `iouThreshold`; the result lists
 * `[batch, class, box]` triples (int64 `[count, 3]`). `boxes` is float32
 * `[B, N, 4]`, `scores` float32 `[B, C, N]`.
 *
 * ```ts
 * const keep = nd.nonMaxSuppression(boxes, scores, { maxOutputBoxesPerClass: 10, iouThreshold: 0.5, scoreThreshold: 0.05 });
 * ```
 */
export const nonMaxSuppression: OpDef<(boxes: Tx, scores: Tx, options?: NmsOptions) => Tx, NmsA> = defineOp<(boxes: Tx, scores: Tx, options?: NmsOptions) => Tx, NmsA>({
  name: 'nonMaxSuppression',
  inputs: ['boxes', 'scores'],
  attrs: { maxOutputBoxesPerClass: 0, iouThreshold: 0, scoreThreshold: null, centerPointBox: false },
  dataShape: true,
  infer: (types, a) => {
    const op = 'nonMaxSuppression';
    const [b, s] = types as [TensorType, TensorType];
    if (b.dtype !== 'float32' || s.dtype !== 'float32') throw new OpError(op, `boxes and scores must be float32 (onnxruntime's kernel), got ${b.dtype} and ${s.dtype}`, types);
    if (b.shape.length !== 3 || b.shape[2] !== 4) throw new OpError(op, `boxes must be [batch, boxes, 4], got [${b.shape.join(', ')}]`, types);
    if (s.shape.length !== 3 || !compatibleDim(s.shape[0]!, b.shape[0]!) || !compatibleDim(s.shape[2]!, b.shape[1]!)) {
      throw new OpError(op, `scores must be [batch, classes, boxes] matching boxes [${b.shape.join(', ')}], got [${s.shape.join(', ')}]`, types);
    }
    if (!Number.isInteger(a.maxOutputBoxesPerClass) || a.maxOutputBoxesPerClass < 0) throw new OpError(op, `maxOutputBoxesPerClass must be a non-negative integer, got ${JSON.stringify(a.maxOutputBoxesPerClass)}`, types);
    if (typeof a.iouThreshold !== 'number' || !(a.iouThreshold >= 0 && a.iouThreshold <= 1)) throw new OpError(op, `iouThreshold must be in [0, 1], got ${JSON.stringify(a.iouThreshold)}`, types);
    if (a.scoreThreshold !== null && typeof a.scoreThreshold !== 'number') throw new OpError(op, `scoreThreshold must be a number or null, got ${JSON.stringify(a.scoreThreshold)}`, types);
    return [{ dtype: 'int64', shape: [NMS_COUNT, 3] }];
  },
  lower: (c, a) => {
    const ins = [...c.inputs, c.ints([a.maxOutputBoxesPerClass]), c.constant(tensorFromNumbers('float32', [1], [a.iouThreshold]))];
    if (a.scoreThreshold !== null) ins.push(c.constant(tensorFromNumbers('float32', [1], [a.scoreThreshold])));
    c.emit('NonMaxSuppression', ins, { center_point_box: a.centerPointBox ? 1 : 0 }, c.outputs);
  },
  grad: null,
  noGradReason: 'its output is integer box indices',
});

/** Two dimensions that may be equal (symbolic ones may). */
const compatibleDim = (x: Dim, y: Dim): boolean => typeof x === 'string' || typeof y === 'string' || x === y;

/** The data-dependent operators, for ops/all.ts. */
export const DATA_DEPENDENT_OPS = { nonzero, unique, nonMaxSuppression };
