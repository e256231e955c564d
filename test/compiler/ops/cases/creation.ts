/**
 * Table entries for the creation operators (zeros, ones, full, arange,
 * shapeArray), tril/triu, the masked softmaxes and cumsum. Symbolic
 * dimension arguments (shape tensors while tracing) are tested in
 * creation.test.ts.
 */
import type { OpCase, Sample } from '../case.js';

const MASKED_REF = `
ax = attrs.get('axis', -1)
t = attrs.get('temperature') or 1.0
m = np.broadcast_to(b != 0, a.shape)
# MXNet softmax-inl.h MaskedSoftmax: masked inputs -> lowest value, softmax, masked outputs -> 0 (log: -inf).
x = np.where(m, a / t, np.finfo(np.float64).min)
y = x - x.max(axis=ax, keepdims=True)
ls = np.log(np.exp(y).sum(axis=ax, keepdims=True))
out = np.where(m, {expr}, {fill})
`;

/** Samples whose masks keep every position (the gradient table's finite differences need finite outputs). */
const fullMask: Sample[] = [
  { inputs: [{ shape: [3, 5] }, { shape: [3, 5], values: Array(15).fill(1) }], label: 'all valid' },
  { inputs: [{ shape: [2, 4, 3], dtype: 'float64' }, { shape: [1, 4, 1], values: [1, 1, 1, 1], dtype: 'float64' }], args: [{ axis: 1, temperature: 0.7 }], label: 'all valid, axis 1, temperature, float64' },
];

/** Masks with masked positions, fully masked rows and ties. */
const masked: Sample[] = [
  {
    inputs: [{ shape: [3, 4], values: [1, 1, 1, 1, 0.5, -2, 3, 0, 2, 2, 2, 2] }, { shape: [3, 4], dtype: 'bool', values: [1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0] }],
    label: 'ties, a fully masked row (0, not NaN)',
  },
  { inputs: [{ shape: [2, 3, 5], range: [-5, 5] }, { shape: [2, 1, 5], dtype: 'int32', range: [0, 2] }], label: 'broadcast int32 mask' },
  { inputs: [{ shape: [4, 6], symbolic: true }, { shape: [6], range: [0, 2], dtype: 'int32' }], args: [{ temperature: 2.5 }], label: 'symbolic batch, temperature' },
  { inputs: [{ shape: [3, 4], dtype: 'float64' }, { shape: [3, 4], values: [1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1], dtype: 'float64' }], args: [{ axis: 0 }], label: 'float64 axis 0' },
  { inputs: [{ shape: [5], values: [1e30, -1e30, 0, 3, 1] }, { shape: [5], values: [0, 1, 0, 1, 1], dtype: 'uint8' }], label: 'huge masked value' },
  { inputs: [{ shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }, { shape: [2, 3], values: [0, 0, 0, 0, 0, 0] }], args: [{ temperature: 0.1 }], label: 'everything masked, small temperature' },
];

const creation = (args: unknown[], label: string): Sample => ({ inputs: [], args, label });

const TRI_REF = (f: string) => `${f}(a, k=(args[0] if args else attrs.get('k', 0)))`;
const triSamples: Sample[] = [
  { inputs: [{ shape: [4, 4] }] },
  { inputs: [{ shape: [3, 5] }], args: [1], label: 'k 1, wide' },
  { inputs: [{ shape: [5, 3] }], args: [{ k: -2 }], label: 'k -2, tall' },
  { inputs: [{ shape: [2, 3, 3], symbolic: true }], label: 'batched, symbolic batch' },
  { inputs: [{ shape: [3, 3], dtype: 'int32', range: [-5, 5] }], args: [{ k: 0 }], label: 'int32' },
  { inputs: [{ shape: [2, 4, 4], dtype: 'float64' }], args: [{ k: 5 }], label: 'float64, k past the corner' },
  { inputs: [{ shape: [3, 3], dtype: 'bool', range: [0, 2] }], args: [{ k: -1 }], label: 'bool' },
];

export const cases: OpCase[] = [
  {
    op: 'zeros',
    samples: [creation([[2, 3]], 'shape [2, 3]'), creation([4, { dtype: 'int32' }], 'number shape, int32'), creation([[0, 3]], 'empty'), creation([[], { dtype: 'float64' }], '0-d float64'), creation([[50, 60]], 'large (session path)')],
    ref: `np.zeros(args[0], dtype=np.float64)`,
  },
  { op: 'ones', samples: [creation([[3, 2]], 'shape [3, 2]'), creation([[2, 2], { dtype: 'bool' }], 'bool'), creation([[70, 40]], 'large')], ref: `np.ones(args[0])` },
  {
    op: 'full',
    samples: [creation([[2, 3], 7.5], 'float'), creation([[4], -3, { dtype: 'int64' }], 'int64'), creation([[2, 2], 2.7, { dtype: 'int32' }], 'int32 truncates'), creation([3, 0.25, { dtype: 'float64' }], 'number shape, float64')],
    ref: `np.full(args[0], np.trunc(args[1]) if attrs.get('dtype', 'float32').startswith('int') else args[1])`,
  },
  {
    op: 'arange',
    samples: [
      creation([5], 'stop only'),
      creation([2, 11, 3], 'start stop step'),
      creation([5, 0, -1.5], 'negative step'),
      creation([3, 3], 'empty'),
      creation([0, 1, 0.1, { dtype: 'float64' }], 'float step float64'),
      creation([-3, 4, 2, { dtype: 'int32' }], 'int32'),
      creation([0, 3000], 'large (session path)'),
    ],
    ref: `np.arange(*args) if attrs.get('dtype', 'float32').startswith('float') else np.floor(np.arange(*args)).astype(np.float64)`,
  },
  {
    op: 'shapeArray',
    samples: [
      { inputs: [{ shape: [2, 3, 4] }] },
      { inputs: [{ shape: [5, 3, 4] }], args: [{ begin: 1 }], label: 'begin 1' },
      { inputs: [{ shape: [5, 3, 4] }], args: [{ begin: -2, end: -1 }], label: 'negative begin/end' },
      { inputs: [{ shape: [2, 7] }], args: [{ axis: -1 }], label: 'axis: 0-d' },
      { inputs: [{ shape: [] }], label: 'scalar' },
    ],
    ref: `
s = np.array(a.shape, dtype=np.int64)
r = len(a.shape)
if attrs.get('axis') is not None:
    out = s[attrs['axis'] % r]
else:
    out = s[attrs.get('begin', 0) or 0: attrs.get('end', r)]
`,
  },
  { op: 'tril', samples: triSamples, ref: TRI_REF('np.tril') },
  { op: 'triu', samples: triSamples, ref: TRI_REF('np.triu') },
  { op: 'maskedSoftmax', samples: [...fullMask, ...masked], ref: MASKED_REF.replace('{expr}', 'np.exp(y - ls)').replace('{fill}', '0.0') },
  { op: 'maskedLogSoftmax', samples: fullMask, ref: MASKED_REF.replace('{expr}', 'y - ls').replace('{fill}', '-np.inf') },
  { op: 'maskedLogSoftmax', samples: masked, ref: MASKED_REF.replace('{expr}', 'y - ls').replace('{fill}', '-np.inf') },
  {
    op: 'cumsum',
    samples: [
      { inputs: [{ shape: [3, 4] }], args: [1] },
      { inputs: [{ shape: [2, 3, 4] }], label: 'axis null flattens' },
      { inputs: [{ shape: [4, 3], symbolic: true }], args: [{ axis: 0, reverse: true }], label: 'reverse, symbolic batch' },
      { inputs: [{ shape: [2, 5], dtype: 'float64' }], args: [-1, { exclusive: true }], label: 'exclusive float64' },
      { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-9, 9] }], args: [{ axis: 0, exclusive: true, reverse: true }], label: 'int32 exclusive reverse' },
    ],
    ref: `
ax = args[0] if args else attrs.get('axis')
x = a.reshape(-1) if ax is None else a
ax = 0 if ax is None else ax
if attrs.get('reverse'): x = np.flip(x, ax)
y = np.cumsum(x, axis=ax)
if attrs.get('exclusive'): y = y - x
out = np.flip(y, ax) if attrs.get('reverse') else y
`,
  },
];
