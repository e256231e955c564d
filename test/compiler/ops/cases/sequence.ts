/** Table entries for the sequence operators (SequenceMask, SequenceLast, SequenceReverse). */
import type { OpCase, Sample } from '../case.js';

/** Python prelude: the options, data as float64 and the lengths truncated to integers (MXNet's static_cast<int>). */
const PRELUDE = `
use = attrs.get("useSequenceLength", False)
ax = attrs.get("axis", 0)
x = a.astype(np.float64)
T = x.shape[ax]
L = np.trunc(b.astype(np.float64)).astype(np.int64) if use else None
`;

const MASK_REF = `${PRELUDE}
if use:
    steps = np.arange(T)
    keep = steps[:, None] < L[None, :] if ax == 0 else steps[None, :] < L[:, None]
    keep = keep.reshape(keep.shape + (1,) * (x.ndim - 2))
    out = np.where(keep, x, attrs.get("value", 0.0))
else:
    out = x
`;

const LAST_REF = `${PRELUDE}
if use:
    last = np.clip(L, 1, T) - 1
    out = x[last, np.arange(x.shape[1])] if ax == 0 else x[np.arange(x.shape[0]), last]
else:
    out = np.take(x, -1, axis=ax)
`;

const REVERSE_REF = `${PRELUDE}
if use:
    y = x.copy()
    for j, n in enumerate(np.clip(L, 0, T)):
        if ax == 0:
            y[:n, j] = x[:n, j][::-1]
        else:
            y[j, :n] = x[j, :n][::-1]
    out = y
else:
    out = np.flip(x, axis=ax)
`;

const use = (o: Record<string, unknown> = {}) => ({ useSequenceLength: true, ...o });

// The first four samples are the gradient test's. Lengths cover 0, 1, a middle value and T.
const samples = (extra: Record<string, unknown> = {}): Sample[] => [
  { inputs: [{ shape: [4, 3, 2] }, { shape: [3], dtype: 'int32', values: [4, 1, 2] }], args: [use(extra)], label: 'lengths, axis 0' },
  { inputs: [{ shape: [3, 4, 2] }, { shape: [3], dtype: 'int64', values: [2, 4, 1] }], args: [use({ axis: 1, ...extra })], label: 'lengths, axis 1' },
  { inputs: [{ shape: [3, 2] }], args: [{ ...extra }], label: 'without lengths' },
  { inputs: [{ shape: [2, 3, 2] }], args: [{ axis: 1, ...extra }], label: 'without lengths, axis 1' },
  { inputs: [{ shape: [5, 4] }, { shape: [4], values: [2.7, 0.5, 5, 3] }], args: [use(extra)], label: 'float lengths truncate, rank 2' },
  { inputs: [{ shape: [4, 3, 2] }, { shape: [3], dtype: 'int32', values: [0, 3, 4] }], args: [use(extra)], label: 'length 0' },
  { inputs: [{ shape: [4, 3], symbolic: true }, { shape: [3], dtype: 'int32', values: [1, 4, 2] }], args: [use(extra)], label: 'symbolic time axis' },
  { inputs: [{ shape: [3, 4, 2], symbolic: true }, { shape: [3], dtype: 'int32', values: [3, 1, 4], symbolic: true }], args: [use({ axis: 1, ...extra })], label: 'symbolic batch' },
  { inputs: [{ shape: [3, 2, 2], dtype: 'float64' }, { shape: [2], dtype: 'float64', values: [1, 3] }], args: [use(extra)], label: 'float64' },
  { inputs: [{ shape: [3, 2], dtype: 'float16', values: [1, 2, 3, 4, 5, 6] }, { shape: [2], dtype: 'int32', values: [2, 3] }], args: [use(extra)], label: 'float16' },
  { inputs: [{ shape: [3, 2, 2], dtype: 'int32', range: [-9, 9] }, { shape: [2], dtype: 'int32', values: [3, 1] }], args: [use(extra)], label: 'int32 data' },
  { inputs: [{ shape: [3, 2] }, { shape: [2], dtype: 'int32', values: [1, 2] }], args: [{ ...extra }], label: 'lengths given, not used' },
];

export const cases: OpCase[] = [
  {
    op: 'SequenceMask',
    samples: [...samples(), { inputs: [{ shape: [4, 2, 3] }, { shape: [2], dtype: 'int32', values: [1, 3] }], args: [use({ value: -7.5 })], label: 'value -7.5' }],
    ref: MASK_REF,
  },
  { op: 'SequenceLast', samples: [...samples(), { inputs: [{ shape: [3, 2] }, { shape: [2], dtype: 'int32', values: [9, -2] }], args: [use()], label: 'lengths clipped to [1, T]' }], ref: LAST_REF },
  { op: 'SequenceReverse', samples: [...samples(), { inputs: [{ shape: [3, 2] }, { shape: [2], dtype: 'int32', values: [9, -2] }], args: [use()], label: 'lengths clipped to [0, T]' }], ref: REVERSE_REF },
];
