/** Table entries for the shape and indexing operators. */
import type { OpCase } from '../case.js';

/** Every input bound in the numpy environment (a, b, c, ...), in order. */
const ALL_INPUTS = "[globals()[k] for k in 'abcdefgh' if k in globals()]";

/** Clip or wrap of truncated indices `i` against `n` (MXNet's take/pick modes); 'raise' leaves them to numpy's take. */
const FIX = `
def fix(i, n):
    if attrs.get('mode') == 'raise':
        return np.trunc(i).astype(np.int64)
    # A float index: NaN selects 0, +-Infinity the far ends (clamped to +-2^62 before the truncation).
    i = np.trunc(np.clip(np.nan_to_num(np.asarray(i, dtype=np.float64), nan=0.0, posinf=2.0**62, neginf=-2.0**62), -2.0**62, 2.0**62)).astype(np.int64)
    return np.mod(i, n) if attrs.get('mode') == 'wrap' else np.clip(i, 0, n - 1)
`;

/** MXNet's reshape codes, written out independently in Python. */
const MX_RESHAPE = `
def mx_shape(ds, spec, reverse):
    ds, spec = list(ds), list(spec)
    if reverse:
        ds, spec = ds[::-1], spec[::-1]
    out, src, inf, i = [], 0, -1, 0
    while i < len(spec):
        v = spec[i]
        if v == 0:
            out.append(ds[src]); src += 1
        elif v == -1:
            inf = len(out); out.append(1); src += 1
        elif v == -2:
            out.extend(ds[src:]); src = len(ds)
        elif v == -3:
            out.append(ds[src] * ds[src + 1]); src += 2
        elif v == -4:
            d0, d1, d2 = ds[src], spec[i + 1], spec[i + 2]
            if d1 == -1: d1 = d0 // d2
            if d2 == -1: d2 = d0 // d1
            out += [d1, d2]; src += 1; i += 2
        else:
            out.append(v); src += 1
        i += 1
    if inf >= 0:
        out[inf] = int(np.prod(ds)) // int(np.prod(out))
    return out[::-1] if reverse else out
out = a.reshape(mx_shape(a.shape, args[0] if args else attrs['shape'], attrs.get('reverse', False)))
`;

export const cases: OpCase[] = [
  {
    op: 'reshape',
    samples: [
      { inputs: [{ shape: [2, 3, 4] }], args: [[4, -1]] },
      { inputs: [{ shape: [6, 3, 4], symbolic: true }], args: [[0, -1]], label: 'symbolic batch 0, -1' },
      { inputs: [{ shape: [5, 6, 4], symbolic: true }], args: [[0, -4, -1, 2, 0]], label: 'symbolic batch -4' },
      { inputs: [{ shape: [4, 3, 2], symbolic: true }], args: [[0, -3]], label: 'symbolic batch -3' },
      { inputs: [{ shape: [2, 3, 4] }], args: [[-3, 0]], label: '-3 then 0' },
      { inputs: [{ shape: [6, 4] }], args: [[-4, 2, -1, -2]], label: '-4 then -2' },
      { inputs: [{ shape: [2, 3, 4] }], args: [{ shape: [-1, 0], reverse: true }], label: 'reverse' },
      { inputs: [{ shape: [4, 6], dtype: 'int32', range: [-9, 9] }], args: [[3, -1, 2]], label: 'int32' },
      { inputs: [{ shape: [2, 6], dtype: 'float64' }], args: [[3, 4]], label: 'float64' },
      { inputs: [{ shape: [2, 3, 0] }], args: [[-3, 0]], label: 'empty: a 0 where the input has 3 (ONNX allowzero)' },
    ],
    ref: MX_RESHAPE,
  },
  {
    op: 'reshapeLike',
    samples: [
      { inputs: [{ shape: [2, 3, 4] }, { shape: [4, 6] }] },
      { inputs: [{ shape: [6, 2] }, { shape: [3, 2, 2] }], label: 'more axes' },
      { inputs: [{ shape: [5, 12], symbolic: true }, { shape: [5, 3, 4], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 3], dtype: 'float64' }, { shape: [6] }], label: 'float64 like float32' },
      { inputs: [{ shape: [4], dtype: 'int32', range: [-9, 9] }, { shape: [2, 2] }], label: 'int32' },
    ],
    ref: 'a.reshape(b.shape)',
  },
  {
    op: 'transpose',
    samples: [
      { inputs: [{ shape: [2, 3, 4] }], label: 'reverse axes' },
      { inputs: [{ shape: [2, 3, 4] }], args: [[0, 2, 1]] },
      { inputs: [{ shape: [5, 3, 4], symbolic: true }], args: [[2, 0, 1]], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 5], dtype: 'int32', range: [-9, 9] }], label: 'int32' },
      { inputs: [{ shape: [2, 3, 2, 2], dtype: 'float64' }], args: [{ axes: [3, 1, 2, 0] }], label: 'float64' },
      { inputs: [{ shape: [], values: [1.5] }], label: 'rank 0 (an empty perm)' },
      { inputs: [{ shape: [2, 0, 3] }], label: 'empty' },
    ],
    ref: "np.transpose(a, args[0] if args else attrs.get('axes'))",
  },
  {
    op: 'swapaxes',
    samples: [
      { inputs: [{ shape: [2, 3, 4] }], args: [0, 1], label: "d2l's X.swapaxes(0, 1)" },
      { inputs: [{ shape: [2, 3, 4] }], args: [{ dim1: -1, dim2: 0 }], label: 'negative axis by name' },
      { inputs: [{ shape: [5, 3, 4], symbolic: true }], args: [1, 2], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 5], dtype: 'int32', range: [-9, 9] }], args: [1, 1], label: 'the same axis: a copy' },
      { inputs: [{ shape: [2, 0, 3], dtype: 'float64' }], args: [2, 1], label: 'empty' },
    ],
    ref: "np.swapaxes(a, *(args if len(args) == 2 else [attrs.get('dim1', 0), attrs.get('dim2', 0)]))",
  },
  {
    op: 'expandDims',
    samples: [
      { inputs: [{ shape: [3, 4] }], args: [1] },
      { inputs: [{ shape: [5, 3], symbolic: true }], args: [-1], label: 'symbolic batch' },
      { inputs: [{ shape: [3], dtype: 'int32', range: [-9, 9] }], args: [{ axis: 0 }], label: 'int32' },
      { inputs: [{ shape: [2, 2], dtype: 'float64' }], args: [2], label: 'float64' },
    ],
    ref: "np.expand_dims(a, args[0] if args else attrs['axis'])",
  },
  {
    op: 'squeeze',
    samples: [
      { inputs: [{ shape: [3, 1, 4] }], args: [1] },
      { inputs: [{ shape: [1, 3, 1] }], label: 'all ones' },
      { inputs: [{ shape: [1, 1] }], label: 'keeps one axis' },
      { inputs: [{ shape: [5, 1, 3], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 1, 1], dtype: 'int32', range: [-9, 9] }], args: [{ axis: [1, 2] }], label: 'int32' },
      { inputs: [{ shape: [1, 4], dtype: 'float64' }], args: [0], label: 'float64' },
    ],
    ref: `
ax = args[0] if args else attrs.get('axis')
out = np.squeeze(a, axis=tuple(ax) if isinstance(ax, list) else ax)
if out.ndim == 0 and a.ndim > 0: out = out.reshape(1)
`,
  },
  {
    op: 'flatten',
    samples: [
      { inputs: [{ shape: [2, 3, 4] }] },
      { inputs: [{ shape: [5, 3, 2], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [4] }], label: '1-d' },
      { inputs: [{ shape: [2, 2, 2], dtype: 'int32', range: [-9, 9] }], label: 'int32' },
      { inputs: [{ shape: [3, 1, 2], dtype: 'float64' }], label: 'float64' },
    ],
    ref: 'a.reshape(a.shape[0], -1)',
  },
  {
    op: 'concat',
    samples: [
      { inputs: [{ shape: [2, 3] }, { shape: [2, 4] }], label: 'default dim 1' },
      { inputs: [{ shape: [2, 3] }, { shape: [4, 3] }], args: [{ dim: 0 }] },
      { inputs: [{ shape: [5, 3], symbolic: true }, { shape: [5, 2], symbolic: true }, { shape: [5, 1], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2], dtype: 'int32', range: [-9, 9] }, { shape: [2, 3], dtype: 'int32', range: [-9, 9] }], label: 'int32' },
      { inputs: [{ shape: [2, 3, 1], dtype: 'float64' }, { shape: [2, 3, 2], dtype: 'float64' }], args: [{ dim: -1 }], label: 'float64' },
    ],
    ref: `np.concatenate(${ALL_INPUTS}, axis=attrs.get('dim', 1))`,
  },
  {
    op: 'stack',
    samples: [
      { inputs: [{ shape: [3, 4] }, { shape: [3, 4] }] },
      { inputs: [{ shape: [3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }], args: [{ axis: -1 }], label: 'last axis' },
      { inputs: [{ shape: [5, 2], symbolic: true }, { shape: [5, 2], symbolic: true }], args: [{ axis: 1 }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2], dtype: 'int32', range: [-9, 9] }, { shape: [2, 2], dtype: 'int32', range: [-9, 9] }], args: [{ axis: 1 }], label: 'int32' },
      { inputs: [{ shape: [3], dtype: 'float64' }, { shape: [3], dtype: 'float64' }], label: 'float64' },
    ],
    ref: `np.stack(${ALL_INPUTS}, axis=attrs.get('axis', 0))`,
  },
  {
    op: 'split',
    samples: [
      { inputs: [{ shape: [4, 6] }], args: [{ numOutputs: 2 }], label: 'default axis 1' },
      { inputs: [{ shape: [6, 2, 3] }], args: [{ numOutputs: 3, axis: 0 }] },
      { inputs: [{ shape: [4, 3] }], args: [{ numOutputs: 3, axis: -1, squeezeAxis: true }], label: 'squeezeAxis' },
      { inputs: [{ shape: [5, 6], symbolic: true }], args: [{ numOutputs: 3 }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 4], dtype: 'int32', range: [-9, 9] }], args: [{ numOutputs: 2 }], label: 'int32' },
      { inputs: [{ shape: [2, 2], dtype: 'float64' }], args: [{ numOutputs: 1, axis: 0 }], label: 'float64 one part' },
    ],
    ref: `
ax = attrs.get('axis', 1)
parts = np.split(a, attrs['numOutputs'], axis=ax)
out = [np.squeeze(p, axis=ax) for p in parts] if attrs.get('squeezeAxis') else parts
`,
  },
  {
    op: 'slice',
    samples: [
      { inputs: [{ shape: [4, 5] }], args: [{ begin: [1, 0], end: [3, null] }] },
      { inputs: [{ shape: [4, 5, 6] }], args: [{ begin: [null, 1], end: [null, -1], step: [null, 2] }], label: 'step and negative end' },
      { inputs: [{ shape: [5, 4] }], args: [{ begin: [null], end: [null], step: [-1] }], label: 'reverse' },
      { inputs: [{ shape: [6, 5] }], args: [{ begin: [4, -1], end: [0, null], step: [-2, -2] }], label: 'negative steps' },
      { inputs: [{ shape: [5, 6], symbolic: true }], args: [{ begin: [null, 1], end: [null, 5] }], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-9, 9] }], args: [{ begin: [-2], end: [null] }], label: 'int32' },
      { inputs: [{ shape: [3, 4], dtype: 'float64' }], args: [{ begin: [0, 1], end: [10, 3] }], label: 'float64 end past the axis' },
    ],
    ref: `
b, e = attrs['begin'], attrs['end']
s = attrs.get('step') or [None] * len(b)
out = a[tuple(slice(b[k], e[k], s[k]) for k in range(len(b)))]
`,
  },
  {
    op: 'sliceAxis',
    samples: [
      { inputs: [{ shape: [4, 5] }], args: [{ axis: 1, begin: 1, end: 3 }] },
      { inputs: [{ shape: [4, 5] }], args: [{ axis: 0, begin: -2, end: null }], label: 'negative begin' },
      { inputs: [{ shape: [5, 6], symbolic: true }], args: [{ axis: 1, begin: 2, end: null }], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-9, 9] }], args: [{ axis: 0, begin: 0, end: 2 }], label: 'int32' },
      { inputs: [{ shape: [2, 3, 5], dtype: 'float64' }], args: [{ axis: -1, begin: -3, end: -1 }], label: 'float64' },
    ],
    ref: "a[(slice(None),) * (attrs['axis'] % a.ndim) + (slice(attrs['begin'], attrs['end']),)]",
  },
  {
    op: 'take',
    samples: [
      { inputs: [{ shape: [5, 3] }, { shape: [4], dtype: 'int32', range: [0, 5] }] },
      { inputs: [{ shape: [5, 3] }, { shape: [2, 3], range: [-2, 7] }], label: 'float indices clipped' },
      { inputs: [{ shape: [4, 3] }, { shape: [6], dtype: 'int32', range: [-9, 9] }], args: [{ mode: 'wrap' }], label: 'wrap' },
      { inputs: [{ shape: [5, 3] }, { shape: [6], dtype: 'int32', values: [-5, -1, 0, 4, 4, 2] }], args: [{ mode: 'raise' }], label: 'raise: [-n, n), negatives from the end' },
      { inputs: [{ shape: [3, 4, 2] }, { shape: [2, 3], dtype: 'int64', range: [0, 4] }], args: [{ axis: 1 }], label: 'axis 1 int64 indices' },
      { inputs: [{ shape: [6, 3], symbolic: true }, { shape: [4], dtype: 'int32', range: [-1, 8] }], label: 'symbolic batch data' },
      { inputs: [{ shape: [6, 3] }, { shape: [5, 2], range: [0, 6], symbolic: true }], label: 'symbolic batch indices' },
      { inputs: [{ shape: [4, 2], dtype: 'float64' }, { shape: [3], dtype: 'int32', range: [0, 4] }], label: 'float64' },
      { inputs: [{ shape: [4, 2], dtype: 'int32', range: [-9, 9] }, { shape: [3], dtype: 'int32', range: [0, 4] }], args: [{ axis: -1 }], label: 'int32 data' },
      // Non-finite float indices: NaN selects 0 and the infinities the ends, eagerly and compiled alike (a cast of them to int64 is undefined).
      { inputs: [{ shape: [4, 3] }, { shape: [5], values: [NaN, Infinity, -Infinity, 2.5, -0.5] }], label: 'NaN and infinite indices clipped' },
      { inputs: [{ shape: [4, 3] }, { shape: [4], values: [NaN, Infinity, -Infinity, -1.5] }], args: [{ mode: 'wrap' }], label: 'NaN and infinite indices wrapped' },
      { inputs: [{ shape: [4, 3] }, { shape: [3], dtype: 'float16', values: [NaN, Infinity, 1] }], label: 'float16 indices' },
    ],
    ref: `${FIX}
ax = attrs.get('axis', 0)
out = np.take(a, fix(b, a.shape[ax]), axis=ax)
`,
  },
  {
    op: 'pick',
    samples: [
      { inputs: [{ shape: [3, 4] }, { shape: [3], dtype: 'int32', range: [0, 4] }] },
      { inputs: [{ shape: [3, 4] }, { shape: [4], range: [-1, 4] }], args: [{ axis: 0 }], label: 'axis 0 float index' },
      { inputs: [{ shape: [3, 4] }, { shape: [3], dtype: 'int32', range: [-6, 6] }], args: [{ keepdims: true, mode: 'wrap' }], label: 'keepdims wrap' },
      { inputs: [{ shape: [2, 3, 4] }, { shape: [2, 1, 4], dtype: 'int64', range: [0, 3] }], args: [{ axis: 1 }], label: 'index with the axis kept' },
      { inputs: [{ shape: [5, 4], symbolic: true }, { shape: [5], dtype: 'int32', range: [0, 4], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 2], dtype: 'float64' }, { shape: [3], range: [0, 2] }], label: 'float64' },
      { inputs: [{ shape: [3, 4] }, { shape: [3], dtype: 'float64', values: [NaN, Infinity, -Infinity] }], label: 'NaN and infinite indices' },
      { inputs: [{ shape: [3, 4] }, { shape: [3], values: [NaN, Infinity, -Infinity] }], args: [{ mode: 'wrap' }], label: 'NaN and infinite indices wrapped' },
    ],
    ref: `${FIX}
ax = attrs.get('axis', -1) % a.ndim
i = fix(b, a.shape[ax])
if i.ndim < a.ndim: i = np.expand_dims(i, ax)
out = np.take_along_axis(a, i, axis=ax)
if not attrs.get('keepdims'): out = np.squeeze(out, axis=ax)
`,
  },
  {
    op: 'oneHot',
    samples: [
      { inputs: [{ shape: [6], dtype: 'int32', range: [-1, 6] }], args: [5], label: 'out-of-range rows are off' },
      { inputs: [{ shape: [2, 3], range: [0, 4] }], args: [{ depth: 4, onValue: 2, offValue: -1 }], label: 'float indices' },
      { inputs: [{ shape: [4], dtype: 'int64', range: [0, 3] }], args: [3, { dtype: 'int32' }], label: 'int32 output' },
      { inputs: [{ shape: [4], dtype: 'int32', range: [0, 3] }], args: [3, { dtype: 'int8', onValue: 5 }], label: 'int8 output' },
      { inputs: [{ shape: [5], dtype: 'int32', range: [0, 6], symbolic: true }], args: [6], label: 'symbolic batch' },
      { inputs: [{ shape: [3], dtype: 'int32', range: [0, 3] }], args: [3, { dtype: 'float64' }], label: 'float64 output' },
      { inputs: [{ shape: [3], dtype: 'int32', range: [0, 3] }], args: [3, { dtype: 'bool' }], label: 'bool output' },
    ],
    ref: `
d = args[0] if args else attrs['depth']
i = np.trunc(a).astype(np.int64)
out = np.where(i[..., None] == np.arange(d), attrs.get('onValue', 1), attrs.get('offValue', 0)).astype(np.float64)
`,
  },
  {
    op: 'tile',
    samples: [
      { inputs: [{ shape: [2, 3] }], args: [[2, 2]] },
      { inputs: [{ shape: [2, 3] }], args: [[3]], label: 'short reps' },
      { inputs: [{ shape: [3] }], args: [{ reps: [2, 1, 2] }], label: 'long reps' },
      { inputs: [{ shape: [5, 2], symbolic: true }], args: [[1, 3]], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2], dtype: 'int32', range: [-9, 9] }], args: [[2, 1]], label: 'int32' },
      { inputs: [{ shape: [2], dtype: 'float64' }], args: [[3]], label: 'float64' },
    ],
    ref: "np.tile(a, args[0] if args else attrs['reps'])",
  },
  {
    op: 'repeat',
    samples: [
      { inputs: [{ shape: [2, 3] }], args: [2], label: 'axis null flattens' },
      { inputs: [{ shape: [2, 3] }], args: [2, { axis: 1 }] },
      { inputs: [{ shape: [2, 3] }], args: [{ repeats: 3, axis: 0 }] },
      { inputs: [{ shape: [5, 3], symbolic: true }], args: [2, { axis: -1 }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2], dtype: 'int32', range: [-9, 9] }], args: [3, { axis: 0 }], label: 'int32' },
      { inputs: [{ shape: [3], dtype: 'float64' }], args: [2], label: 'float64' },
      { inputs: [{ shape: [2, 3] }], args: [0, { axis: 1 }], label: 'repeats 0 gives an empty axis' },
      { inputs: [{ shape: [2, 3] }], args: [0], label: 'repeats 0 flattened' },
    ],
    ref: "np.repeat(a, args[0] if args else attrs['repeats'], axis=attrs.get('axis'))",
  },
  {
    op: 'pad',
    samples: [
      { inputs: [{ shape: [1, 2, 3, 3] }], args: [{ mode: 'constant', padWidth: [0, 0, 0, 0, 1, 1, 2, 0], constantValue: 0.5 }] },
      { inputs: [{ shape: [1, 2, 3, 3] }], args: [{ mode: 'edge', padWidth: [0, 0, 0, 0, 2, 1, 1, 2] }], label: 'edge' },
      { inputs: [{ shape: [2, 1, 4, 3] }], args: [{ mode: 'reflect', padWidth: [0, 0, 0, 0, 2, 3, 1, 2] }], label: 'reflect' },
      { inputs: [{ shape: [5, 2, 3], symbolic: true }], args: [{ padWidth: [0, 0, 1, 0, 1, 1] }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 3], dtype: 'int32', range: [-9, 9] }], args: [{ padWidth: [1, 0, 0, 2], constantValue: 7 }], label: 'int32' },
      { inputs: [{ shape: [3, 3], dtype: 'float64' }], args: [{ mode: 'reflect', padWidth: [1, 1, 2, 2] }], label: 'float64 reflect' },
    ],
    ref: `
w = attrs['padWidth']
pw = [(w[2 * k], w[2 * k + 1]) for k in range(a.ndim)]
m = attrs.get('mode', 'constant')
out = np.pad(a, pw, mode='constant', constant_values=attrs.get('constantValue', 0)) if m == 'constant' else np.pad(a, pw, mode=m)
`,
  },
  {
    op: 'broadcastTo',
    samples: [
      { inputs: [{ shape: [1, 3] }], args: [[4, 3]] },
      { inputs: [{ shape: [1, 3] }], args: [[4, 0]], label: '0 keeps' },
      { inputs: [{ shape: [3] }], args: [[2, 3]], label: 'new leading axis' },
      { inputs: [{ shape: [2, 1, 3] }], args: [{ shape: [0, 4, 0] }], label: 'options' },
      { inputs: [{ shape: [5, 1], symbolic: true }], args: [[0, 4]], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 1], dtype: 'int32', range: [-9, 9] }], args: [[2, 3]], label: 'int32' },
      { inputs: [{ shape: [1], dtype: 'float64' }], args: [[3]], label: 'float64' },
    ],
    ref: `
t = list(args[0] if args else attrs['shape'])
off = len(t) - a.ndim
out = np.broadcast_to(a, [a.shape[k - off] if d == 0 else d for k, d in enumerate(t)])
`,
  },
  {
    op: 'broadcastLike',
    samples: [
      { inputs: [{ shape: [1, 3] }, { shape: [4, 3] }] },
      { inputs: [{ shape: [2, 1, 1] }, { shape: [2, 3, 4] }], label: 'two axes' },
      { inputs: [{ shape: [1, 3] }, { shape: [2, 5] }], args: [{ lhsAxes: [0], rhsAxes: [1] }], label: 'axes' },
      { inputs: [{ shape: [1, 3] }, { shape: [5, 3], symbolic: true }], label: 'symbolic batch rhs' },
      { inputs: [{ shape: [1, 2] }, { shape: [5, 4], symbolic: true }], args: [{ lhsAxes: [0], rhsAxes: [0] }], label: 'symbolic batch axes' },
      { inputs: [{ shape: [2, 1], dtype: 'int32', range: [-9, 9] }, { shape: [2, 3] }], label: 'int32 lhs' },
      { inputs: [{ shape: [1], dtype: 'float64' }, { shape: [3], dtype: 'float64' }], label: 'float64' },
    ],
    ref: `
la, ra = attrs.get('lhsAxes'), attrs.get('rhsAxes')
t = list(b.shape) if la is None else list(a.shape)
if la is not None:
    for i, j in zip(la, ra): t[i] = b.shape[j]
out = np.broadcast_to(a, t)
`,
  },
  {
    op: 'cast',
    samples: [
      { inputs: [{ shape: [3, 4], range: [-5, 5] }], args: ['int32'], label: 'float32 -> int32 truncates' },
      { inputs: [{ shape: [3, 4] }], args: ['float64'], label: 'float32 -> float64' },
      { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-9, 9] }], args: [{ dtype: 'float32' }], label: 'int32 -> float32' },
      { inputs: [{ shape: [2, 3], values: [0, 1.5, -2, 0, 0.25, 3] }], args: ['bool'], label: 'float32 -> bool' },
      { inputs: [{ shape: [4], values: [NaN, 0, -0, -Infinity] }], args: ['bool'], label: 'NaN -> true, -0 -> false' },
      { inputs: [{ shape: [2, 3], dtype: 'bool', range: [0, 2] }], args: ['float32'], label: 'bool -> float32' },
      { inputs: [{ shape: [3, 2] }], args: ['float16'], label: 'float32 -> float16' },
      { inputs: [{ shape: [3, 2], dtype: 'float64', range: [-100, 100] }], args: ['int64'], label: 'float64 -> int64' },
      { inputs: [{ shape: [3, 2], range: [0, 200] }], args: ['uint8'], label: 'float32 -> uint8' },
      { inputs: [{ shape: [3, 2], dtype: 'int32', range: [-100, 100] }], args: ['int8'], label: 'int32 -> int8' },
      // A float outside int32's range (or NaN, ±Infinity) converts to int32 as onnxruntime and numpy do on
      // x86 (INT_MIN, the "integer indefinite"); int8/uint8 wrap that int32. The kernel wrapped it modulo 2^32.
      ...(['int32', 'int8', 'uint8'] as const).flatMap((d) => [
        { inputs: [{ shape: [10], values: [NaN, Infinity, -Infinity, 3e9, -3e9, 300.7, -1.5, 255.9, 2147483520, -129.9] }], args: [d], label: `float32 out of range -> ${d}` },
        { inputs: [{ shape: [8], dtype: 'float64' as const, values: [5e9 + 1, 1e10 + 3, -5e9 - 7, 2147483648, -2147483649, 2147483647.9, -2147483648.9, 65537.5] }], args: [d], label: `float64 out of range -> ${d}` },
      ]),
      { inputs: [{ shape: [5, 3], symbolic: true }], args: ['float64'], label: 'symbolic batch' },
    ],
    ref: `
d = args[0] if args else attrs['dtype']
out = (a != 0) if d == 'bool' else (np.trunc(a).astype(d) if a.dtype.kind == 'f' and not d.startswith('float') else a.astype(d))
`,
  },
  {
    op: 'zerosLike',
    samples: [
      { inputs: [{ shape: [3, 4] }] },
      { inputs: [{ shape: [5, 2], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2], dtype: 'int32', range: [-9, 9] }], label: 'int32' },
      { inputs: [{ shape: [3], dtype: 'float64' }], label: 'float64' },
    ],
    ref: 'np.zeros_like(a)',
  },
  {
    op: 'onesLike',
    samples: [
      { inputs: [{ shape: [3, 4] }] },
      { inputs: [{ shape: [5, 2], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2], dtype: 'int32', range: [-9, 9] }], label: 'int32' },
      { inputs: [{ shape: [3], dtype: 'float64' }], label: 'float64' },
      { inputs: [{ shape: [2, 2], dtype: 'bool', range: [0, 2] }], label: 'bool' },
    ],
    ref: 'np.ones_like(a)',
  },
  {
    op: 'stopGradient',
    samples: [
      { inputs: [{ shape: [3, 4] }] },
      { inputs: [{ shape: [5, 2], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2], dtype: 'int32', range: [-9, 9] }], label: 'int32' },
      { inputs: [{ shape: [], dtype: 'float64' }], label: 'float64 scalar' },
    ],
    ref: 'a',
  },
];
