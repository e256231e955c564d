/**
 * Table entries for the scatter-adds (`indexAdd`, `scatterAdd`), with numpy's
 * `np.add.at` as the reference (it accumulates repeated indices), and `scatterReduce`
 * (`np.<ufunc>.at`; without includeSelf the addressed positions start from the identity; mean's count by `np.add.at`).
 */
import type { OpCase } from '../case.js';

const FIX = `
def fix(i, n):
    # A float index: NaN selects 0, +-Infinity the far ends (clamped to +-2^62 before the truncation).
    i = np.trunc(np.clip(np.nan_to_num(np.asarray(i, dtype=np.float64), nan=0.0, posinf=2.0**62, neginf=-2.0**62), -2.0**62, 2.0**62)).astype(np.int64)
    return np.mod(i, n) if attrs.get('mode') == 'wrap' else np.clip(i, 0, n - 1)
`;

export const cases: OpCase[] = [
  {
    op: 'indexAdd',
    samples: [
      { inputs: [{ shape: [5, 3] }, { shape: [6], dtype: 'int32', values: [0, 2, 2, 4, 0, 2] }, { shape: [6, 3] }], label: 'repeated rows' },
      { inputs: [{ shape: [4, 2] }, { shape: [2, 3], values: [-1, 7, 1.9, 3, 3, -0.5] }, { shape: [2, 3, 2] }], label: 'float indices clipped, 2-d indices' },
      { inputs: [{ shape: [3, 5, 2] }, { shape: [4], dtype: 'int64', values: [4, -1, 9, 4] }, { shape: [3, 4, 2] }], args: [{ axis: 1, mode: 'wrap' }], label: 'axis 1 wrap' },
      { inputs: [{ shape: [2, 3, 4], dtype: 'float64' }, { shape: [2, 2], dtype: 'int32', values: [3, 0, 3, 3] }, { shape: [2, 3, 2, 2], dtype: 'float64' }], args: [{ axis: -1 }], label: 'last axis float64' },
      { inputs: [{ shape: [6, 3] }, { shape: [5], dtype: 'int32', range: [0, 6], symbolic: true }, { shape: [5, 3], symbolic: true }], label: 'symbolic number of indices' },
      { inputs: [{ shape: [4, 2], dtype: 'int32', range: [-5, 5] }, { shape: [3], dtype: 'int32', values: [1, 1, 1] }, { shape: [3, 2], dtype: 'int32', range: [-5, 5] }], label: 'int32' },
      { inputs: [{ shape: [4, 2] }, { shape: [3], values: [NaN, Infinity, -Infinity] }, { shape: [3, 2] }], label: 'NaN and infinite indices' },
      { inputs: [{ shape: [4, 2] }, { shape: [3], values: [NaN, Infinity, -Infinity] }, { shape: [3, 2] }], args: [{ mode: 'wrap' }], label: 'NaN and infinite indices wrapped' },
    ],
    ref: `${FIX}
ax = attrs.get('axis', 0) % a.ndim
i = fix(b, a.shape[ax])
out = a.copy()
o = np.moveaxis(out, ax, 0)
u = np.moveaxis(c, list(range(ax, ax + i.ndim)), list(range(i.ndim)))
np.add.at(o, i, u)
`,
  },
  {
    op: 'scatterAdd',
    samples: [
      { inputs: [{ shape: [3, 4] }, { shape: [3, 1], dtype: 'int32', values: [0, 3, 3] }, { shape: [3, 1] }] },
      { inputs: [{ shape: [3, 4] }, { shape: [1, 4], values: [2.5, -1, 7, 0] }, { shape: [1, 4] }], args: [{ axis: 0 }], label: 'axis 0 float index clipped' },
      { inputs: [{ shape: [2, 3, 4], dtype: 'float64' }, { shape: [2, 1, 4], dtype: 'int64', values: [-1, 5, 2, 0, 1, 1, 1, 1] }, { shape: [2, 1, 4], dtype: 'float64' }], args: [{ axis: 1, mode: 'wrap' }], label: 'axis 1 wrap float64' },
      { inputs: [{ shape: [5, 4], symbolic: true }, { shape: [5, 1], dtype: 'int32', range: [0, 4], symbolic: true }, { shape: [5, 1], symbolic: true }], label: 'symbolic batch' },
    ],
    ref: `${FIX}
ax = attrs.get('axis', -1) % a.ndim
i = fix(b, a.shape[ax])
out = a.copy()
idx = list(np.indices(i.shape))
idx[ax] = i
np.add.at(out, tuple(idx), c)
`,
  },  {
    op: 'scatterReduce',
    samples: [
      { inputs: [{ shape: [4, 3] }, { shape: [5, 3], dtype: 'int32', values: [0, 3, 3, 0, 0, 1, 3, 3, 3, 2, 0, 1, 0, 0, 2] }, { shape: [5, 3] }], args: [{ reduce: 'prod' }], label: 'prod, repeated rows' },
      { inputs: [{ shape: [4, 3] }, { shape: [2, 5], dtype: 'int64', values: [0, 2, 2, -1, 1, 1, 1, 0, 2, 2] }, { shape: [2, 5] }], args: [{ axis: 1, reduce: 'amax', mode: 'wrap' }], minOpset: 18, label: 'amax axis 1, shorter off the axis, wrapped' },
      { inputs: [{ shape: [2, 3, 4], dtype: 'float64' }, { shape: [2, 2, 4], dtype: 'int32', values: [0, 1, 2, 2, 2, 1, 0, 0, 1, 1, 1, 1, 0, 2, 2, 9] }, { shape: [2, 2, 4], dtype: 'float64' }], args: [{ axis: -2, reduce: 'amin' }], minOpset: 18, label: 'amin float64 clipped' },
      { inputs: [{ shape: [6, 2] }, { shape: [5, 2], dtype: 'int32', range: [0, 6], symbolic: true }, { shape: [5, 2], symbolic: true }], args: [{ reduce: 'amax' }], minOpset: 18, label: 'symbolic number of updates' },
      { inputs: [{ shape: [4, 2], dtype: 'int32', range: [-5, 5] }, { shape: [3, 2], dtype: 'int32', values: [1, 1, 1, 0, 1, 3] }, { shape: [3, 2], dtype: 'int32', range: [-5, 5] }], args: [{ reduce: 'amin' }], minOpset: 18, label: 'int32' },
      { inputs: [{ shape: [3, 2], dtype: 'int64', range: [-4, 4] }, { shape: [4, 2], dtype: 'int64', values: [2, 0, 2, 0, -1, 1, 0, 1] }, { shape: [4, 2], dtype: 'int64', range: [-4, 4] }], args: [{ reduce: 'prod', mode: 'wrap' }], label: 'int64 prod, wrapped' },
      { inputs: [{ shape: [3, 2], dtype: 'float16' }, { shape: [3, 2], dtype: 'int32', values: [0, 1, 0, 1, 2, 2] }, { shape: [3, 2], dtype: 'float16' }], args: [{ reduce: 'amax' }], minOpset: 18, label: 'float16' },
      { inputs: [{ shape: [4, 3] }, { shape: [5, 3], dtype: 'int32', values: [0, 3, 3, 0, 0, 1, 3, 3, 3, 2, 0, 1, 0, 0, 2] }, { shape: [5, 3] }], args: [{ reduce: 'sum', includeSelf: false }], label: 'sum without the data' },
      { inputs: [{ shape: [2, 5], dtype: 'float64' }, { shape: [2, 4], dtype: 'int64', values: [0, 4, 4, -1, 1, 1, 9, 0] }, { shape: [2, 4], dtype: 'float64' }], args: [{ axis: 1, reduce: 'mean', mode: 'wrap' }], label: 'mean float64 wrapped' },
      { inputs: [{ shape: [4, 2], dtype: 'int32', range: [-9, 9] }, { shape: [5, 2], dtype: 'int32', values: [1, 1, 1, 0, 3, 3, 1, 0, 3, 3] }, { shape: [5, 2], dtype: 'int32', range: [-9, 9] }], args: [{ reduce: 'mean', includeSelf: false }], label: 'int32 mean without the data (rounded down)' },
      { inputs: [{ shape: [6, 2] }, { shape: [5, 2], dtype: 'int32', range: [0, 6], symbolic: true }, { shape: [5, 2], symbolic: true }], args: [{ reduce: 'mean', includeSelf: false }], label: 'mean, symbolic number of updates' },
      { inputs: [{ shape: [3, 2], dtype: 'float16' }, { shape: [3, 2], dtype: 'int32', values: [0, 1, 0, 1, 0, 1] }, { shape: [3, 2], dtype: 'float16' }], args: [{ reduce: 'amin', includeSelf: false }], minOpset: 18, label: 'float16 amin without the data' },
      { inputs: [{ shape: [3, 2], dtype: 'int64', range: [-4, 4] }, { shape: [4, 2], dtype: 'int64', values: [2, 0, 2, 0, 0, 0, 0, 0] }, { shape: [4, 2], dtype: 'int64', range: [-4, 4] }], args: [{ reduce: 'prod', includeSelf: false }], label: 'int64 prod without the data' },
    ],
    ref: `${FIX}
ax = attrs.get('axis', 0) % a.ndim
i = fix(b, a.shape[ax])
out = a.copy()
idx = list(np.indices(i.shape))
idx[ax] = i
red, inc = attrs['reduce'], attrs.get('includeSelf', True)
cnt = np.zeros(a.shape, np.int64)
np.add.at(cnt, tuple(idx), 1)
if not inc:
    lo, hi = (-np.inf, np.inf) if a.dtype.kind == 'f' else (np.iinfo(a.dtype).min, np.iinfo(a.dtype).max)
    out[cnt > 0] = {'sum': 0, 'mean': 0, 'prod': 1, 'amax': lo, 'amin': hi}[red]
{'sum': np.add, 'mean': np.add, 'prod': np.multiply, 'amax': np.maximum, 'amin': np.minimum}[red].at(out, tuple(idx), c)
if red == 'mean':
    n = np.maximum(cnt + (1 if inc else 0), 1)
    out = (out // n if a.dtype.kind == 'i' else out / n).astype(a.dtype)
`,
  },
];
