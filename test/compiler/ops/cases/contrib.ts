/**
 * Table entries for MXNet's contrib operators gluonc has (arangeLike,
 * divSqrtDim) and broadcastAxis, against numpy written from MXNet's
 * definitions: init_op.h `RangeCompute` (`start + (i / repeat) * step`, i
 * the row-major index, integer division, output dtype `dtype`),
 * `div_sqrt_dim` (data / sqrt(data.shape[-1])) and `broadcast_axis` (axes
 * of size 1 repeated to `size`).
 */
import type { OpCase } from '../case.js';

const ARANGE_LIKE_REF = `
ax = attrs.get('axis')
if args: ax = args[3] if len(args) > 3 else ax
start = args[0] if len(args) > 0 else attrs.get('start', 0.0)
step = args[1] if len(args) > 1 else attrs.get('step', 1.0)
rep = args[2] if len(args) > 2 else attrs.get('repeat', 1)
dt = np.dtype(attrs.get('dtype', 'float32'))
shape = a.shape if ax is None else (a.shape[ax],)
n = int(np.prod(shape))
if dt.kind in 'iu':
    start, step = int(start), int(step)
out = (start + (np.arange(n) // rep) * step).reshape(shape).astype(dt)
`;

export const cases: OpCase[] = [
  {
    op: 'arangeLike',
    samples: [
      { inputs: [{ shape: [3, 4] }], label: 'like data (MXNet docs example)' },
      { inputs: [{ shape: [3, 4] }], args: [{ axis: -1 }], label: 'axis -1' },
      { inputs: [{ shape: [2, 5, 3], symbolic: true }], args: [{ axis: 1, start: 2, step: 0.5 }], label: 'axis 1, start, fractional step, symbolic batch' },
      { inputs: [{ shape: [4, 3], symbolic: true }], args: [{ repeat: 3, step: -2 }], label: 'repeat 3 (ties), negative step, symbolic batch' },
      { inputs: [{ shape: [2, 3] }], args: [1, 2, 2, 0], label: "positional (start, step, repeat, axis), MXNet's order" },
      { inputs: [{ shape: [2, 4], dtype: 'float64' }], args: [{ start: -1.5, step: 2.5, dtype: 'int32' }], label: 'int32 output truncates start and step' },
      { inputs: [{ shape: [2, 3], dtype: 'int64', range: [0, 9] }], args: [{ dtype: 'float64', axis: 0 }], label: 'int64 data, float64 output' },
      { inputs: [{ shape: [0, 3] }], label: 'empty' },
    ],
    ref: ARANGE_LIKE_REF,
  },
  {
    op: 'divSqrtDim',
    samples: [
      { inputs: [{ shape: [2, 3, 4] }] },
      { inputs: [{ shape: [3, 9], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 5], dtype: 'float64', values: [0, -0, 3.5, -1e-3, 7, 2, 3, 4, 5, 6] }], label: 'float64, signed zeros' },
      { inputs: [{ shape: [6], dtype: 'float16' }], label: 'float16' },
    ],
    ref: `out = a / np.sqrt(a.shape[-1])`,
    rtol: 1e-3,
  },
  {
    op: 'broadcastAxis',
    samples: [
      { inputs: [{ shape: [2, 1, 3] }], args: [{ axis: 1, size: 4 }], label: 'one axis' },
      { inputs: [{ shape: [1, 1] }], args: [[0, 1], [2, 3]], label: 'two axes, positional' },
      { inputs: [{ shape: [3, 1], symbolic: true }], args: [{ axis: -1, size: 2 }], label: 'negative axis, symbolic batch' },
      { inputs: [{ shape: [1, 2], dtype: 'int32', range: [-9, 9] }], args: [{ axis: [0], size: [3] }], label: 'int32' },
      { inputs: [{ shape: [2, 1], dtype: 'float64' }], args: [{ axis: 1, size: 0 }], label: 'size 0' },
    ],
    ref: `
ax = args[0] if args and not isinstance(args[0], dict) else attrs['axis']
sz = args[1] if len(args) > 1 else attrs['size']
ax = ax if isinstance(ax, list) else [ax]
sz = sz if isinstance(sz, list) else [sz]
t = list(a.shape)
for k, n in zip(ax, sz): t[k] = n
out = np.broadcast_to(a, t)
`,
  },
];
