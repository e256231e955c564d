/** Table entries for `nonzero`, `unique` and `nonMaxSuppression` (their lengths are dimensions known only at run time). */
import type { OpCase } from '../case.js';

export const cases: OpCase[] = [
  {
    op: 'nonzero',
    // numpy's positions, one row per axis (ONNX's NonZero layout); -0 is zero and NaN is not.
    ref: 'out = np.stack(np.nonzero(a)).astype(np.float64).reshape(a.ndim, -1)',
    samples: [
      { inputs: [{ shape: [2, 4], values: [0, 3, -0, 1.5, Number.NaN, 0, -2, 0] }], label: 'zeros, -0 and NaN' },
      { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-2, 2] }], label: 'int32 with zeros' },
      { inputs: [{ shape: [2, 3], dtype: 'int64', values: [0, 5, 0, -7, 0, 1] }], label: 'int64' },
      { inputs: [{ shape: [2, 3], dtype: 'bool', values: [1, 0, 0, 1, 1, 0] }], label: 'bool' },
      { inputs: [{ shape: [4], dtype: 'float16', values: [0, -0, 0.5, -3] }], label: 'float16' },
      // onnxruntime's NonZero has no int8 or float64 kernel (large arrays failed to load).
      { inputs: [{ shape: [2, 3], dtype: 'int8', values: [0, -128, 0, 7, 0, 1] }], label: 'int8' },
      { inputs: [{ shape: [5], dtype: 'float64', values: [0, -0, Number.NaN, 1e-300, -2] }], label: 'float64: -0 is zero, NaN and 1e-300 are not' },
      { inputs: [{ shape: [4], dtype: 'uint8', values: [0, 255, 0, 1] }], label: 'uint8' },
      { inputs: [{ shape: [2, 2, 3], values: [1, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 4] }], label: 'rank 3' },
      { inputs: [{ shape: [2, 3], values: [0, 0, 0, 0, 0, 0] }], label: 'all zero: count 0' },
      { inputs: [{ shape: [3, 2], symbolic: true, values: [0, 1, 2, 0, 0, 3] }], label: 'symbolic batch' },
    ],
  },
];

cases.push({
  op: 'unique',
  // numpy's sorted distinct values (slices along attrs.axis), first positions, inverse and counts; unsorted: the
  // groups reordered by first position (ONNX's order of first occurrence).
  ref: String.raw`
ax = attrs.get('axis') if attrs else None
u, i, inv, c = np.unique(a if ax is not None else a.reshape(-1), axis=ax, return_index=True, return_inverse=True, return_counts=True)
inv = inv.reshape(-1)
if attrs and attrs.get('sorted') is False:
    o = np.argsort(i, kind='stable'); r = np.argsort(o)
    u, i, c, inv = np.take(u, o, axis=ax or 0), i[o], c[o], r[inv]
out = [u, i.astype(np.float64), inv.astype(np.float64), c.astype(np.float64)]`,
  samples: [
    { inputs: [{ shape: [2, 4], dtype: 'int32', values: [3, 1, 3, 2, 0, -5, 1, 3] }], label: 'int32 with ties' },
    { inputs: [{ shape: [3, 4], dtype: 'int64', range: [-3, 3] }], label: 'int64' },
    { inputs: [{ shape: [5], dtype: 'int8', values: [-128, 127, 0, 127, -1] }], label: 'int8 at its limits' },
    { inputs: [{ shape: [2, 3], dtype: 'uint8', values: [255, 0, 255, 7, 7, 7] }], label: 'uint8' },
    { inputs: [{ shape: [2, 3], dtype: 'int64', values: [7, 7, 7, 7, 7, 7] }], label: 'all equal' },
    { inputs: [{ shape: [4, 2], symbolic: true, dtype: 'int64', values: [1, 0, 1, 0, 2, 2, 0, 1] }], label: 'symbolic batch' },
    { inputs: [{ shape: [2, 4], dtype: 'int32', values: [3, 1, 3, 2, 0, -5, 1, 3] }], args: [{ sorted: false }], label: 'unsorted: order of first occurrence' },
    { inputs: [{ shape: [7], values: [2, Number.NaN, 1, Number.NaN, -0, 0, 1] }], label: 'float32: NaNs one value, last; -0 first of its tie' },
    { inputs: [{ shape: [7], values: [2, Number.NaN, 1, Number.NaN, -0, 0, 1] }], args: [{ sorted: false }], label: 'float32 unsorted with NaN' },
    { inputs: [{ shape: [2, 3], dtype: 'float64', values: [0.5, 0.25, 0.5, -1, 0.25, 0.25] }], label: 'float64' },
    { inputs: [{ shape: [5, 2], values: [1, Number.NaN, 0, 2, 1, Number.NaN, 0, 2, 1, 3] }], args: [{ axis: 0 }], label: 'rows: a row with NaN equals no other' },
    { inputs: [{ shape: [3, 3], dtype: 'int64', values: [1, 0, 0, 1, 0, 0, 2, 3, 4] }], args: [{ axis: 0 }], label: "rows (ONNX's example 3)" },
    { inputs: [{ shape: [2, 4, 2], dtype: 'int32', values: [1, 1, 0, 1, 1, 1, 2, 1, 0, 1, 0, 1, 0, 1, 3, 1] }], args: [{ axis: 1 }], label: 'axis 1 of a 3-d array' },
    { inputs: [{ shape: [3, 4], range: [-1, 1] }], args: [{ axis: -1 }], label: 'columns (axis -1), distinct' },
    { inputs: [{ shape: [4, 2], dtype: 'int64', values: [2, 1, 0, 5, 2, 1, 0, 5] }], args: [{ axis: 0, sorted: false }], label: 'rows unsorted' },
  ],
});

/** ONNX's NonMaxSuppression in float64 (onnx/reference's algorithm): per batch and class, by score (ties: lower index first), IoU of min/max corners, > thresholds. */
const NMS_REF = String.raw`
m = attrs.get('maxOutputBoxesPerClass', 0); thr = attrs.get('iouThreshold', 0); st = attrs.get('scoreThreshold'); center = attrs.get('centerPointBox', False)
def corners(b):
    if center: return [b[1] - b[3] / 2, b[0] - b[2] / 2, b[1] + b[3] / 2, b[0] + b[2] / 2]
    return [min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])]
def iou(p, q):
    p, q = corners(p), corners(q)
    ap, aq = (p[2] - p[0]) * (p[3] - p[1]), (q[2] - q[0]) * (q[3] - q[1])
    if ap <= 0 or aq <= 0: return 0.0
    inter = max(0.0, min(p[2], q[2]) - max(p[0], q[0])) * max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    return inter / (ap + aq - inter)
res = []
for bi in range(a.shape[0]):
    for ci in range(b.shape[1]):
        sc = b[bi, ci]
        order = sorted([i for i in range(a.shape[1]) if st is None or sc[i] > st], key=lambda i: (-sc[i], i))
        kept = []
        for i in order:
            if len(kept) >= m: break
            if all(iou(a[bi, i], a[bi, j]) <= thr for j in kept): kept.append(i)
        res += [[bi, ci, i] for i in kept]
out = np.array(res, dtype=np.float64).reshape(-1, 3)
`;

cases.push({
  op: 'nonMaxSuppression',
  ref: NMS_REF,
  samples: [
    {
      // ONNX's suppress_by_IOU example: overlapping boxes in two clusters and a far one.
      inputs: [{ shape: [1, 6, 4], values: [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, -0.1, 1, 0.9, 0, 10, 1, 11, 0, 10.1, 1, 11.1, 0, 100, 1, 101] }, { shape: [1, 1, 6], values: [0.9, 0.75, 0.6, 0.95, 0.5, 0.3] }],
      args: [{ maxOutputBoxesPerClass: 3, iouThreshold: 0.5 }],
      label: 'suppression by IoU',
    },
    {
      // Equal scores (the lower index first), an identical box, flipped corners, a zero-area box never suppresses.
      inputs: [{ shape: [1, 5, 4], values: [1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 1, 1.5] }, { shape: [1, 1, 5], values: [0.8, 0.8, 0.8, 0.9, 0.7] }],
      args: [{ maxOutputBoxesPerClass: 5, iouThreshold: 0.3 }],
      label: 'ties, identical and flipped boxes, a zero-area box',
    },
    {
      // Exactly at the IoU threshold (1/3: kept, suppression needs more) and the score threshold (0.5: dropped).
      inputs: [{ shape: [1, 3, 4], values: [0, 0, 1, 2, 0, 1, 1, 3, 5, 5, 6, 6] }, { shape: [1, 1, 3], values: [0.9, 0.8, 0.5] }],
      args: [{ maxOutputBoxesPerClass: 3, iouThreshold: 1 / 3, scoreThreshold: 0.5 }],
      label: 'at both thresholds',
    },
    { inputs: [{ shape: [2, 8, 4], range: [0, 1] }, { shape: [2, 3, 8], range: [0, 1] }], args: [{ maxOutputBoxesPerClass: 3, iouThreshold: 0.2, scoreThreshold: 0.3 }], label: 'random, two batches and three classes' },
    { inputs: [{ shape: [1, 6, 4], range: [0.2, 1] }, { shape: [1, 2, 6], range: [0, 1] }], args: [{ maxOutputBoxesPerClass: 4, iouThreshold: 0.1, centerPointBox: true }], label: 'center-point boxes' },
    { inputs: [{ shape: [1, 4, 4], range: [0, 1] }, { shape: [1, 1, 4], range: [0, 1] }], label: 'default maxOutputBoxesPerClass 0: none' },
    { inputs: [{ shape: [2, 5, 4], range: [0, 1], symbolic: true }, { shape: [2, 2, 5], range: [0, 1] }], args: [{ maxOutputBoxesPerClass: 2, iouThreshold: 0.5 }], label: 'symbolic batch' },
  ],
});
