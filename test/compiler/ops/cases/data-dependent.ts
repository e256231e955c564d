/** Table entries for `nonzero` and `unique` (their lengths are dimensions known only at run time). */
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
  // numpy's sorted distinct values, first positions, inverse and counts of the flattened input.
  ref: 'u, i, inv, c = np.unique(a.reshape(-1), return_index=True, return_inverse=True, return_counts=True)\nout = [u, i.astype(np.float64), inv.reshape(-1).astype(np.float64), c.astype(np.float64)]',
  samples: [
    { inputs: [{ shape: [2, 4], dtype: 'int32', values: [3, 1, 3, 2, 0, -5, 1, 3] }], label: 'int32 with ties' },
    { inputs: [{ shape: [3, 4], dtype: 'int64', range: [-3, 3] }], label: 'int64' },
    { inputs: [{ shape: [5], dtype: 'int8', values: [-128, 127, 0, 127, -1] }], label: 'int8 at its limits' },
    { inputs: [{ shape: [2, 3], dtype: 'uint8', values: [255, 0, 255, 7, 7, 7] }], label: 'uint8' },
    { inputs: [{ shape: [2, 3], dtype: 'int64', values: [7, 7, 7, 7, 7, 7] }], label: 'all equal' },
    { inputs: [{ shape: [4, 2], symbolic: true, dtype: 'int64', values: [1, 0, 1, 0, 2, 2, 0, 1] }], label: 'symbolic batch' },
  ],
});
