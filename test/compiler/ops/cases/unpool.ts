/**
 * Table entries for `maxPoolIndices` and `maxUnpool`. References: ONNX's
 * definitions in numpy: each window's first maximum (scanning the window in
 * row-major order, padding never chosen) as a flat position in the whole
 * input (row-major planes; storageOrder 1: column-major within a plane),
 * and zeros with the values written at their flat positions.
 */
import type { OpCase } from '../case.js';

const INDICES_REF = String.raw`
nd = a.ndim - 2
k = attrs['kernel']; s = attrs.get('stride') or [1] * nd; dl = attrs.get('dilate') or [1] * nd
p = list(attrs.get('pad') or [0] * nd)
if len(p) == nd: p = p * 2
ceil = attrs.get('ceilMode', False); order = attrs.get('storageOrder', 0)
sp = a.shape[2:]
outs = []
for i in range(nd):
    span = sp[i] + p[i] + p[nd + i] - ((k[i] - 1) * dl[i] + 1)
    o = (-(-span // s[i]) if ceil else span // s[i]) + 1
    if ceil and (o - 1) * s[i] >= sp[i] + p[i]: o -= 1
    outs.append(o)
out = np.zeros(a.shape[:2] + tuple(outs))
plane = int(np.prod(sp))
for n in range(a.shape[0]):
    for c in range(a.shape[1]):
        for o in np.ndindex(*outs):
            best, at = None, None
            for w in np.ndindex(*k):
                pos = [o[i] * s[i] - p[i] + w[i] * dl[i] for i in range(nd)]
                if any(q < 0 or q >= sp[i] for i, q in enumerate(pos)): continue
                v = a[(n, c) + tuple(pos)]
                if best is None or v > best:
                    best = v
                    at = np.ravel_multi_index(pos, sp) if order == 0 else np.ravel_multi_index(pos[::-1], sp[::-1])
            out[(n, c) + o] = (n * a.shape[1] + c) * plane + at
`;

const UNPOOL_REF = String.raw`
nd = a.ndim - 2
k = attrs['kernel']; s = attrs.get('stride') or [1] * nd
p = list(attrs.get('pad') or [0] * nd)
if len(p) == nd: p = p * 2
shape = a.shape[:2] + tuple((a.shape[2 + i] - 1) * s[i] + k[i] - p[i] - p[nd + i] for i in range(nd))
out = np.zeros(int(np.prod(shape)))
out[b.reshape(-1)] = a.reshape(-1)
out = out.reshape(shape)
`;

export const cases: OpCase[] = [
  {
    op: 'maxPoolIndices',
    ref: INDICES_REF,
    samples: [
      { inputs: [{ shape: [2, 3, 6, 5] }], args: [{ kernel: [2, 2], stride: [2, 2] }], label: '2x2 windows, stride 2' },
      { inputs: [{ shape: [1, 2, 5, 5] }], args: [{ kernel: [3, 3], stride: [2, 2], pad: [1, 0, 0, 1], ceilMode: true }], label: 'asymmetric pads, ceil mode' },
      { inputs: [{ shape: [1, 1, 7, 6] }], args: [{ kernel: [2, 2], dilate: [2, 1], storageOrder: 1 }], label: 'dilation, column-major positions' },
      // Ties: every window holds its maximum twice; the first in row-major order is chosen.
      { inputs: [{ shape: [1, 1, 2, 4], values: [1, 3, 2, 2, 3, 0, 2, 1] }], args: [{ kernel: [2, 2], stride: [2, 2] }], label: 'ties: the first maximum' },
      { inputs: [{ shape: [3, 2, 8], symbolic: true }], args: [{ kernel: [3], stride: [2], pad: [1] }], label: '1-D, symbolic batch' },
      { inputs: [{ shape: [1, 1, 4, 4, 4] }], args: [{ kernel: [2, 2, 2], stride: [2, 2, 2] }], label: '3-D' },
    ],
  },
  {
    op: 'maxUnpool',
    ref: UNPOOL_REF,
    samples: [
      { inputs: [{ shape: [1, 1, 2, 2] }, { shape: [1, 1, 2, 2], dtype: 'int64', values: [0, 3, 9, 14] }], args: [{ kernel: [2, 2], stride: [2, 2] }], label: '2x2 windows' },
      { inputs: [{ shape: [2, 2, 2, 2] }, { shape: [2, 2, 2, 2], dtype: 'int64', values: [0, 2, 6, 8, 9, 11, 15, 17, 18, 19, 24, 26, 27, 31, 33, 35] }], args: [{ kernel: [2, 2], stride: [2, 2], pad: [0, 0, 1, 1] }], label: 'batches and channels, end pads' },
      { inputs: [{ shape: [2, 1, 3], symbolic: true }, { shape: [2, 1, 3], dtype: 'int64', values: [0, 2, 4, 5, 7, 9] }], args: [{ kernel: [2], stride: [2], pad: [0, 1] }], label: '1-D, an end pad, symbolic batch' },
      { inputs: [{ shape: [1, 1, 2, 2], dtype: 'float64' }, { shape: [1, 1, 2, 2], dtype: 'int64', values: [1, 2, 12, 15] }], args: [{ kernel: [2, 2], stride: [2, 2] }], label: 'float64 (in float32)' },
    ],
  },
];
