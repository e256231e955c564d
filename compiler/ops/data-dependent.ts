/**
 * Operators whose output shapes depend on the data (`dataShape`: eagerly
 * they always run at once; a traced graph carries the length as an opaque
 * dimension):
 * - `nonzero`: the positions of the nonzero elements, ONNX's `NonZero`
 *   (int64 `[rank, count]`, row-major order; NaN counts as nonzero). MXNet
 *   2's `npx.nonzero` is its transpose `[count, rank]`, numpy's
 *   `np.nonzero` its rows (gluon/np.ts, gluon/npx.ts);
 * - `unique`: the sorted distinct values of the flattened (integer) input
 *   with numpy's `return_index`, `return_inverse` and `return_counts`,
 *   ONNX's `Unique` without `axis`;
 * - `nonMaxSuppression`: the boxes greedy non-maximum suppression keeps per
 *   batch and class, ONNX's `NonMaxSuppression` (int64 `[count, 3]`).
 */
import { isDType, onnxDType } from '../../runtime/dtypes.js';
import { tensorFromNumbers } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';
import { mulDims } from './dims.js';
import { opaque } from './index-ops.js';
import { fromF64, toF64 } from './kernels.js';

/** The opaque length of a nonzero count (two counts are not known to be equal; onnxruntime checks them when it runs). */
export const NONZERO_COUNT = opaque('nonzero');

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
  lower: (c) => void c.emit('NonZero', c.inputs, {}, c.outputs),
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
export const UNIQUE_DTYPES: ReadonlySet<string> = new Set(['int8', 'uint8', 'int32', 'int64']);

/** The opaque number of distinct values of a `unique`. */
export const UNIQUE_COUNT = opaque('unique');

/**
 * The sorted distinct values of `data` (flattened), with, as int64, the
 * first position of each in the flattened input, the index of each input
 * element's value among them (`y[inverse]` rebuilds the input) and their
 * counts: numpy's `np.unique(x, return_index=True, return_inverse=True,
 * return_counts=True)`, for integer dtypes (float inputs are refused:
 * onnxruntime's Unique misorders NaN).
 *
 * ```ts
 * const [values, first, inverse, counts] = nd.unique(nd.array([3, 1, 3, 2], { dtype: 'int64' })); // [1, 2, 3], [1, 3, 0], [2, 0, 2, 1], [1, 1, 2]
 * ```
 */
export const unique: OpDef<(data: Tx) => Tx[]> = defineOp<(data: Tx) => Tx[]>({
  name: 'unique',
  inputs: ['data'],
  dataShape: true,
  multiOutput: true,
  infer: (types) => {
    const t = types[0]!;
    if (!UNIQUE_DTYPES.has(t.dtype)) {
      throw new OpError('unique', `of ${String(t.dtype)}: integer dtypes only (int8, uint8, int32, int64); onnxruntime's Unique and TopK misorder NaN, so float values would come out wrong where they hold one (cast exact values to int64 first)`, types);
    }
    const n = mulDims(t.shape);
    return [
      { dtype: t.dtype, shape: [UNIQUE_COUNT] },
      { dtype: 'int64', shape: [UNIQUE_COUNT] },
      { dtype: 'int64', shape: [n] },
      { dtype: 'int64', shape: [UNIQUE_COUNT] },
    ];
  },
  lower: (c) => {
    // onnxruntime's Unique takes int8 and int64 of the integers: the others go through int64.
    const dtype = c.inTypes[0]!.dtype;
    let flat = c.emit('Reshape', [c.inputs[0]!, c.ints([-1])])[0]!;
    if (dtype === 'int8' || dtype === 'int64') return void c.emit('Unique', [flat], { sorted: 1 }, c.outputs);
    flat = c.emit('Cast', [flat], { to: onnxDType('int64') })[0]!;
    const [y, ...rest] = c.emit('Unique', [flat], { sorted: 1 }, 4);
    c.emit('Cast', [y!], { to: onnxDType(dtype) }, [c.outputs[0]!]);
    rest.forEach((r, k) => c.emit('Identity', [r], {}, [c.outputs[k + 1]!]));
  },
  kernel: ([x], _a, outs) => {
    const v = toF64(x!);
    const order = Array.from(v.keys()).sort((i, j) => v[i]! - v[j]! || i - j);
    const values: number[] = [];
    const first: number[] = [];
    const counts: number[] = [];
    const inverse = new Array<number>(v.length);
    for (const i of order) {
      if (!values.length || v[i] !== values[values.length - 1]) {
        values.push(v[i]!);
        first.push(i);
        counts.push(0);
      }
      counts[counts.length - 1]!++;
      inverse[i] = values.length - 1;
    }
    const k = values.length;
    return [fromF64({ dtype: outs[0]!.dtype, shape: [k] }, Float64Array.from(values)), tensorFromNumbers('int64', [k], first), tensorFromNumbers('int64', [v.length], inverse), tensorFromNumbers('int64', [k], counts)];
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
