/** Table entries for the nn operators. */
import type { InputSpec, OpCase, Sample } from '../case.js';

const SOFTMAX_REF = `
ax = attrs.get('axis', -1)
t = attrs.get('temperature') or 1.0
y = a / t
y = y - y.max(axis=ax, keepdims=True)
ls = np.log(np.exp(y).sum(axis=ax, keepdims=True))
out = {log} 
`;

const softmaxSamples: Sample[] = [
  { inputs: [{ shape: [3, 5] }] },
  { inputs: [{ shape: [2, 4, 3], range: [-5, 5] }], args: [{ axis: 1 }], label: 'axis 1' },
  { inputs: [{ shape: [4, 6], symbolic: true }], args: [{ axis: -1, temperature: 2.5 }], label: 'symbolic batch, temperature' },
  { inputs: [{ shape: [3, 4], dtype: 'float64' }], args: [{ axis: 0 }], label: 'float64 axis 0' },
  { inputs: [{ shape: [7] }], label: 'rank 1' },
];

/**
 * MXNet's softmax with `use_length` (SoftmaxWithLength in src/operator/nn/softmax-inl.h): each row
 * (data's shape without the axis) is a softmax over its first `length` entries and 0 after them; a
 * row of length 0 is all 0. Lengths read as indices (truncated, NaN 0), clipped to [0, n].
 */
const SOFTMAX_LENGTH_REF = `
ax = attrs.get('axis', -1) % a.ndim
t = attrs.get('temperature') or 1.0
y = a.astype(np.float64) / t
n = a.shape[ax]
L = np.clip(np.trunc(np.nan_to_num(b.astype(np.float64), nan=0.0, posinf=n, neginf=0)), 0, n)
keep = np.arange(n).reshape((n,) + (1,) * (a.ndim - 1 - ax)) < np.expand_dims(L, ax)
m = np.where(keep, y, -np.inf).max(axis=ax, keepdims=True)
e = np.where(keep, np.exp(y - np.where(np.isfinite(m), m, 0)), 0.0)
s = e.sum(axis=ax, keepdims=True)
out = e / np.where(s == 0, 1, s)
`;

// The first two are the gradient test's (with the first two of softmaxSamples); lengths at 0, inside, n and past n.
const softmaxLengthSamples: Sample[] = [
  { inputs: [{ shape: [4, 5] }, { shape: [4], dtype: 'int32', values: [0, 2, 5, 9] }], args: [{ useLength: true }], label: 'lengths 0, 2, n, past n' },
  { inputs: [{ shape: [2, 4, 3], range: [-5, 5] }, { shape: [2, 3], dtype: 'int64', values: [1, 4, 3, -2, 2, 4] }], args: [{ axis: 1, useLength: true, temperature: 2 }], label: 'axis 1, temperature, a negative length' },
];
const softmaxLengthFloat16: Sample[] = [
  { inputs: [{ shape: [2, 3], dtype: 'float16', values: [1, 2, 3, 4, 5, 6] }, { shape: [2], dtype: 'int32', values: [2, 3] }], args: [{ useLength: true }], label: 'float16 (its half-ulp tolerance)' },
];
const softmaxLengthMore: Sample[] = [
  { inputs: [{ shape: [3, 4] }, { shape: [3], values: [2.7, NaN, 1e30] }], args: [{ useLength: true }], label: 'float lengths: truncated, NaN 0, huge' },
  { inputs: [{ shape: [3, 4], symbolic: true }, { shape: [3], dtype: 'int32', values: [1, 4, 2], symbolic: true }], args: [{ useLength: true }], label: 'symbolic batch' },
  { inputs: [{ shape: [2, 3], dtype: 'float64', values: [1000, 1000, -Infinity, 0, 1, 2] }, { shape: [2], dtype: 'int32', values: [2, 1] }], args: [{ useLength: true }], label: 'float64, large and -inf inside the length' },
  // A length without useLength is an Error (MXNet's imperative call: "Operator softmax expects 1 inputs, but got 2"): test/compiler/ops/positional-conv.test.ts.
];

const act = (actType: string): Sample[] => [
  { inputs: [{ shape: [3, 4], range: [-4, 4] }], args: [{ actType }], label: actType },
  { inputs: [{ shape: [5, 2, 3], range: [-4, 4], symbolic: true }], args: [{ actType }], label: `${actType} symbolic batch` },
  { inputs: [{ shape: [4, 3], range: [-4, 4], dtype: 'float64' }], args: [{ actType }], label: `${actType} float64` },
];

const ACT_REF = `
t = attrs['actType']
out = {'relu': lambda x: np.maximum(x, 0), 'sigmoid': lambda x: 1 / (1 + np.exp(-x)), 'tanh': np.tanh,
       'softrelu': lambda x: np.log1p(np.exp(x)), 'softsign': lambda x: x / (1 + np.abs(x))}[t](a)
`;

const leaky = (actType: string, extra: Record<string, unknown> = {}): Sample[] => [
  { inputs: [{ shape: [3, 4], range: [-3, 3] }], args: [{ actType, ...extra }], label: actType },
  { inputs: [{ shape: [5, 2, 3], range: [-3, 3], symbolic: true }], args: [{ actType, ...extra }], label: `${actType} symbolic batch` },
  { inputs: [{ shape: [4, 3], range: [-3, 3], dtype: 'float64' }], args: [{ actType, ...extra }], label: `${actType} float64` },
];

const LEAKY_REF = `
import math
t = attrs.get('actType', 'leaky')
s = attrs.get('slope', 0.25)
erf = np.vectorize(math.erf)
if t == 'leaky': out = np.where(a > 0, a, s * a)
elif t == 'elu': out = np.where(a > 0, a, s * np.expm1(a))
elif t == 'selu': out = 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 * np.expm1(a))
elif t == 'gelu': out = 0.5 * a * (1 + erf(a / math.sqrt(2)))
else:
    g = b.reshape((-1,) + (1,) * (a.ndim - 2)) if (a.ndim >= 2 and b.size > 1) else b
    out = np.where(a > 0, a, g * a)
`;

const BN_REF = `
ax = attrs.get('axis', 1) % a.ndim
eps = attrs.get('eps', 1e-3)
shp = [1] * a.ndim
shp[ax] = -1
g = np.ones_like(b) if attrs.get('fixGamma', True) else b
if attrs.get('training') and not attrs.get('useGlobalStats', False):
    red = tuple(i for i in range(a.ndim) if i != ax)
    m = a.mean(axis=red, keepdims=True)
    v = a.var(axis=red, keepdims=True)
else:
    m = d.reshape(shp)
    v = e.reshape(shp)
out = (a - m) / np.sqrt(v + eps) * g.reshape(shp) + c.reshape(shp)
`;

const bn = (data: InputSpec, ch: number, opts: Record<string, unknown>, label: string): Sample => ({
  inputs: ([data, { shape: [ch], range: [0.5, 1.5] }, { shape: [ch] }, { shape: [ch] }, { shape: [ch], range: [0.5, 2] }] as InputSpec[]).map((s) =>
    data.dtype ? { ...s, dtype: data.dtype } : s,
  ),
  args: [opts],
  label,
});

const LN_REF = `
ax = attrs.get('axis', -1) % a.ndim
eps = attrs.get('eps', 1e-5)
shp = [1] * a.ndim
shp[ax] = -1
m = a.mean(axis=ax, keepdims=True)
v = a.var(axis=ax, keepdims=True)
out = (a - m) / np.sqrt(v + eps) * b.reshape(shp) + c.reshape(shp)
`;

const FFT_REF = `
f = np.fft.fft(a, axis=attrs.get('axis', -1))
out = np.stack([f.real, f.imag], -1)
`;

export const cases: OpCase[] = [
  { op: 'softmax', samples: [{ inputs: [{ shape: [2, 3], values: [1000, 1000, -Infinity, -Infinity, 0, 1] }], label: 'large and -inf' }], ref: 'e = np.exp(a - a.max(-1, keepdims=True))\nout = e / e.sum(-1, keepdims=True)' },
  { op: 'logSoftmax', samples: [{ inputs: [{ shape: [2, 3], values: [1000, 1000, -Infinity, -Infinity, 0, 1] }], label: 'large and -inf' }], ref: 'm = a.max(-1, keepdims=True)\nout = a - m - np.log(np.exp(a - m).sum(-1, keepdims=True))' },
  { op: 'softmax', samples: softmaxLengthSamples, ref: SOFTMAX_LENGTH_REF },
  { op: 'softmax', samples: softmaxSamples, ref: SOFTMAX_REF.replace('{log}', 'np.exp(y - ls)') },
  { op: 'softmax', samples: softmaxLengthFloat16, ref: SOFTMAX_LENGTH_REF, rtol: 1e-3 },
  { op: 'softmax', samples: softmaxLengthMore, ref: SOFTMAX_LENGTH_REF.replace("attrs.get('axis', -1) % a.ndim", "attrs.get('axis', -1) % a.ndim\nif not attrs.get('useLength'): b = np.full(np.delete(a.shape, ax), a.shape[ax])") },
  { op: 'logSoftmax', samples: softmaxSamples, ref: SOFTMAX_REF.replace('{log}', 'y - ls') },
  {
    op: 'Activation',
    samples: [
      ...act('relu'), ...act('sigmoid'), ...act('tanh'), ...act('softrelu'), ...act('softsign'),
      { inputs: [{ shape: [4], values: [NaN, -1, 0, 2] }], args: [{ actType: 'relu' }], label: 'relu NaN' },
    ],
    ref: ACT_REF,
  },
  {
    op: 'LeakyReLU',
    samples: [
      { inputs: [{ shape: [3, 4], range: [-3, 3] }], label: 'default leaky' },
      ...leaky('leaky', { slope: 0.1 }),
      ...leaky('elu', { slope: 0.7 }),
      ...leaky('selu'),
      ...leaky('gelu'),
      { inputs: [{ shape: [2, 3, 4, 2], range: [-3, 3] }, { shape: [3], range: [0, 1] }], args: [{ actType: 'prelu' }], label: 'prelu NCHW' },
      { inputs: [{ shape: [5, 4], range: [-3, 3], symbolic: true }, { shape: [4], range: [0, 1] }], args: [{ actType: 'prelu' }], label: 'prelu symbolic batch' },
      { inputs: [{ shape: [2, 3, 5], range: [-3, 3] }, { shape: [1], range: [0, 1] }], args: [{ actType: 'prelu' }], label: 'prelu scalar gamma' },
      { inputs: [{ shape: [2, 3, 2], range: [-3, 3], dtype: 'float64' }, { shape: [3], range: [0, 1], dtype: 'float64' }], args: [{ actType: 'prelu' }], label: 'prelu float64' },
    ],
    ref: LEAKY_REF,
  },
  {
    op: 'BatchNorm',
    samples: [
      bn({ shape: [4, 3, 2, 2] }, 3, { training: false }, 'inference fixGamma'),
      bn({ shape: [4, 3, 5] }, 3, { training: false, fixGamma: false, eps: 1e-5 }, 'inference gamma'),
      bn({ shape: [6, 3], symbolic: true }, 3, { training: false, fixGamma: false }, 'inference symbolic batch'),
      bn({ shape: [2, 4, 3], dtype: 'float64' }, 3, { training: false, fixGamma: false, axis: -1 }, 'inference axis -1 float64'),
      bn({ shape: [2, 3, 4], dtype: 'float64' }, 3, { training: false, fixGamma: false }, 'inference float64'),
      bn({ shape: [5] }, 5, { training: false, fixGamma: false, axis: 0 }, 'inference rank 1'),
      bn({ shape: [8, 3, 2, 2] }, 3, { training: true, fixGamma: false }, 'training'),
      bn({ shape: [6, 4], symbolic: true }, 4, { training: true }, 'training symbolic batch'),
      bn({ shape: [3, 2, 5], dtype: 'float64' }, 5, { training: true, fixGamma: false, axis: 2 }, 'training axis 2 float64'),
      bn({ shape: [4, 3, 2] }, 3, { training: true, useGlobalStats: true, fixGamma: false }, 'useGlobalStats'),
    ],
    ref: BN_REF,
  },
  {
    op: 'LayerNorm',
    samples: [
      { inputs: [{ shape: [3, 6] }, { shape: [6], range: [0.5, 1.5] }, { shape: [6] }] },
      { inputs: [{ shape: [4, 2, 5], symbolic: true }, { shape: [5], range: [0.5, 1.5] }, { shape: [5] }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 5, 3] }, { shape: [5], range: [0.5, 1.5] }, { shape: [5] }], args: [{ axis: 1, eps: 1e-3 }], label: 'axis 1' },
      { inputs: [{ shape: [3, 4], dtype: 'float64' }, { shape: [4], dtype: 'float64' }, { shape: [4], dtype: 'float64' }], label: 'float64' },
      { inputs: [{ shape: [4, 3], dtype: 'float64' }, { shape: [4], dtype: 'float64' }, { shape: [4], dtype: 'float64' }], args: [{ axis: 0 }], label: 'float64 axis 0' },
    ],
    ref: LN_REF,
  },
  // Inactive first: the gradient table checks these against finite differences (an active mask is
  // random, and the kernel's and onnxruntime's masks differ; dropout-grad.test.ts checks those).
  {
    op: 'Dropout',
    samples: [
      { inputs: [{ shape: [4, 5] }], args: [{ training: false }], label: 'inactive' },
      { inputs: [{ shape: [6, 3], symbolic: true }], args: [{ p: 0.3, training: false }], label: 'inactive symbolic batch' },
      { inputs: [{ shape: [3, 4] }], args: [{ p: 0, mode: 'always' }], label: 'p 0' },
      { inputs: [{ shape: [3, 4], dtype: 'float64' }], args: [{ training: false }], label: 'inactive float64' },
    ],
    ref: 'a.copy()',
  },
  {
    op: 'Dropout',
    samples: [
      { inputs: [{ shape: [4, 5] }], args: [{ training: true }], label: 'active' },
      { inputs: [{ shape: [6, 3], symbolic: true }], args: [{ p: 0.3, mode: 'always' }], label: 'mode always, symbolic batch' },
      { inputs: [{ shape: [3, 4, 2] }], args: [{ p: 0.2, training: true, axes: [1] }], label: 'active shared axes' },
      { inputs: [{ shape: [3, 4], dtype: 'float64' }], args: [{ training: true }], label: 'active float64' },
    ],
    shapeOnly: true,
    noRef: 'the active mask is random',
  },
  {
    op: 'fft',
    samples: [
      { inputs: [{ shape: [3, 8] }] },
      { inputs: [{ shape: [2, 5, 3] }], args: [{ axis: 1 }], label: 'axis 1' },
      { inputs: [{ shape: [4, 6], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [6, 2], dtype: 'float64' }], args: [{ axis: 0 }], label: 'float64 axis 0' },
      { inputs: [{ shape: [7] }], label: 'rank 1 odd length' },
    ],
    ref: FFT_REF,
    rtol: 1e-4,
    atol: 1e-4,
  },
];
