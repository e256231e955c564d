/** Table entries for the ordering operators (topk, sort, argsort). */
import type { OpCase, Sample } from '../case.js';

/**
 * numpy reference: a stable argsort (of -x when descending, so equal values
 * keep the lower index first in both directions), the first k, and the values,
 * indices or mask they select.
 */
const TOPK_REF = `
ax = attrs.get("axis", -1)
rt = attrs.get("retTyp", "indices")
asc = attrs.get("isAscend", False)
x = a.astype(np.float64)
flat = ax is None
xs = x.reshape(-1) if flat else x
axx = 0 if flat else ax
n = xs.shape[axx]
k = attrs.get("k", 1)
k = k if k >= 1 else n
order = np.argsort(xs if asc else -xs, axis=axx, kind="stable")
idx = np.take(order, np.arange(k), axis=axx)
val = np.take_along_axis(xs, idx, axis=axx)
if rt == "value":
    out = val
elif rt == "indices":
    out = idx
elif rt == "both":
    out = [val, idx]
else:
    m = np.zeros_like(xs)
    np.put_along_axis(m, idx, 1.0, axis=axx)
    out = m.reshape(x.shape)
`;

// The first four samples are the gradient test's (value outputs, no ties).
const topk: Sample[] = [
  { inputs: [{ shape: [3, 5] }], args: [{ k: 2, retTyp: 'value' }], label: 'values' },
  { inputs: [{ shape: [4, 3] }], args: [{ k: 3, axis: 0, retTyp: 'both', isAscend: true }], label: 'both ascending axis 0' },
  { inputs: [{ shape: [3, 4] }], args: [{ k: 4, axis: null, retTyp: 'value' }], label: 'flattened values' },
  { inputs: [{ shape: [2, 3, 4] }], args: [{ k: 0, axis: 1, retTyp: 'value' }], label: 'k 0 sorts the whole axis' },
  { inputs: [{ shape: [3, 5] }], label: 'defaults (indices, k 1)' },
  { inputs: [{ shape: [3, 5] }], args: [{ k: 2, retTyp: 'mask' }], label: 'mask' },
  { inputs: [{ shape: [2, 3] }], args: [{ k: 3, axis: null, retTyp: 'mask', isAscend: true }], label: 'flattened mask' },
  { inputs: [{ shape: [5, 4], symbolic: true }], args: [{ k: 2, retTyp: 'both' }], label: 'symbolic batch' },
  { inputs: [{ shape: [5, 3], symbolic: true }], args: [{ k: 2, axis: 0, retTyp: 'value' }], label: 'symbolic sorted axis' },
  { inputs: [{ shape: [5, 3], symbolic: true }], args: [{ k: 0, axis: 0, retTyp: 'indices' }], label: 'symbolic sorted axis, k 0' },
  { inputs: [{ shape: [3, 4], dtype: 'float64' }], args: [{ k: 2, retTyp: 'both', dtype: 'int64' }], label: 'float64, int64 indices' },
  { inputs: [{ shape: [2, 4], dtype: 'float16', values: [1.5, -2, 3.25, 0.5, 7, 7, -1, 2] }], args: [{ k: 2, retTyp: 'both' }], label: 'float16' },
  { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-50, 50] }], args: [{ k: 2, retTyp: 'both', dtype: 'int32' }], label: 'int32' },
  { inputs: [{ shape: [3, 4], dtype: 'int64', range: [-50, 50] }], args: [{ k: 3, retTyp: 'value', isAscend: true }], label: 'int64' },
  { inputs: [{ shape: [2, 4], dtype: 'uint8', values: [3, 200, 7, 7, 0, 255, 1, 1] }], args: [{ k: 2, retTyp: 'both' }], label: 'uint8 (sorted as float32)' },
  { inputs: [{ shape: [6] }], args: [{ k: 3, retTyp: 'both' }], label: 'rank 1' },
  // Ties: the lower index first, descending and ascending; the mask marks the first ones.
  { inputs: [{ shape: [2, 4], values: [1, 3, 3, 0, 2, 2, 2, 2] }], args: [{ k: 2, retTyp: 'both' }], label: 'ties descending' },
  { inputs: [{ shape: [2, 4], values: [1, 3, 3, 0, 2, 2, 2, 2] }], args: [{ k: 3, retTyp: 'both', isAscend: true }], label: 'ties ascending' },
  { inputs: [{ shape: [2, 4], values: [1, 3, 3, 0, 2, 2, 2, 2] }], args: [{ k: 2, retTyp: 'mask' }], label: 'ties mask' },
  { inputs: [{ shape: [3, 2], values: [5, 5, 5, 5, 5, 5] }], args: [{ k: 2, axis: 0, retTyp: 'indices' }], label: 'all equal' },
];

const SORT_REF = `
ax = attrs.get("axis", -1)
asc = attrs.get("isAscend", True)
x = a.astype(np.float64)
xs = x.reshape(-1) if ax is None else x
axx = 0 if ax is None else ax
order = np.argsort(xs if asc else -xs, axis=axx, kind="stable")
out = {out}
`;

const sortSamples = (extra: Record<string, unknown> = {}): Sample[] => [
  { inputs: [{ shape: [3, 5] }], args: [{ ...extra }], label: 'last axis' },
  { inputs: [{ shape: [4, 3] }], args: [{ axis: 0, isAscend: false, ...extra }], label: 'axis 0 descending' },
  { inputs: [{ shape: [2, 3] }], args: [{ axis: null, ...extra }], label: 'flattened' },
  { inputs: [{ shape: [2, 3, 4] }], args: [{ axis: 1, ...extra }], label: 'middle axis' },
  { inputs: [{ shape: [5, 3], symbolic: true }], args: [{ axis: 0, ...extra }], label: 'symbolic sorted axis' },
  { inputs: [{ shape: [5, 3], symbolic: true }], args: [{ ...extra }], label: 'symbolic batch' },
  { inputs: [{ shape: [3, 4], dtype: 'float64' }], args: [{ isAscend: false, ...extra }], label: 'float64' },
  { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-50, 50] }], args: [{ ...extra }], label: 'int32' },
  { inputs: [{ shape: [2, 3], dtype: 'float16', values: [1, 3, -3, 0.5, 2, 4] }], args: [{ ...extra }], label: 'float16' },
  { inputs: [{ shape: [2, 4], values: [1, 3, 3, 0, 2, 2, 2, 2] }], args: [{ ...extra }], label: 'ties ascending' },
  { inputs: [{ shape: [2, 4], values: [1, 3, 3, 0, 2, 2, 2, 2] }], args: [{ isAscend: false, ...extra }], label: 'ties descending' },
];

export const cases: OpCase[] = [
  { op: 'topk', samples: topk, ref: TOPK_REF },
  { op: 'sort', samples: sortSamples(), ref: SORT_REF.replace('{out}', 'np.take_along_axis(xs, order, axis=axx)') },
  {
    op: 'argsort',
    samples: [...sortSamples(), ...sortSamples({ dtype: 'int32' }).slice(0, 2).map((s) => ({ ...s, label: `${s.label}, int32 indices` }))],
    ref: SORT_REF.replace('{out}', 'order'),
  },
];
