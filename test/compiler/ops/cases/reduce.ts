/** Table entries for the reduce operators. */
import type { OpCase, Sample } from '../case.js';

/**
 * Python prelude: the axes (`ax`, a tuple or None) and `kd` of an MXNet-style
 * call, from positional `args` (axis, keepdims, exclude) or the `attrs` dict.
 */
const AXES = `
ax = attrs.get("axis", args[0] if len(args) > 0 else None)
kd = bool(attrs.get("keepdims", args[1] if len(args) > 1 else False))
ex = bool(attrs.get("exclude", args[2] if len(args) > 2 else False))
if ax is not None:
    ax = tuple(int(i) % a.ndim for i in (ax if isinstance(ax, list) else [ax]))
    if len(ax) == 0:
        ax = None
    elif ex:
        ax = tuple(i for i in range(a.ndim) if i not in ax)
x = a.astype(np.float64)
`;

const iota = (n: number, from = 1) => Array.from({ length: n }, (_v, i) => i + from);

// The first four samples are the gradient test's: all axes, keepdims, exclude, a middle axis.
const common: Sample[] = [
  { inputs: [{ shape: [3, 4] }], label: 'all axes' },
  { inputs: [{ shape: [2, 3, 4] }], args: [{ axis: [0, 2], keepdims: true }], label: 'axis list keepdims' },
  { inputs: [{ shape: [2, 3, 4] }], args: [{ axis: 1, exclude: true }], label: 'exclude' },
  { inputs: [{ shape: [2, 3, 4] }], args: [1], label: 'positional axis' },
  { inputs: [{ shape: [2, 3, 4] }], args: [{ axis: -1 }], label: 'negative axis' },
  { inputs: [{ shape: [2, 3] }], args: [0, true], label: 'positional keepdims' },
  { inputs: [{ shape: [5, 3], symbolic: true }], args: [{ axis: 1 }], label: 'symbolic batch' },
  { inputs: [{ shape: [4, 3, 2], symbolic: true }], args: [{ axis: [0, 2] }], label: 'symbolic batch reduced' },
  { inputs: [{ shape: [4, 3], symbolic: true }], label: 'symbolic batch all axes' },
  { inputs: [{ shape: [3, 2], dtype: 'float64' }], args: [{ axis: 0 }], label: 'float64' },
  { inputs: [{ shape: [3, 4], dtype: 'float16', values: iota(12) }], args: [{ axis: 1, keepdims: true }], label: 'float16' },
  { inputs: [{ shape: [], values: [1.5] }], label: '0-d' },
];
const ints: Sample[] = [
  { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-5, 5] }], args: [{ axis: 1 }], label: 'int32' },
  { inputs: [{ shape: [2, 3, 2], dtype: 'int64', range: [-5, 5] }], args: [{ axis: [0, 2] }], label: 'int64' },
  { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-5, 5] }], label: 'int32 all axes' },
];
const small: Sample[] = [
  { inputs: [{ shape: [3, 4], range: [0.5, 1.5] }], label: 'all axes' },
  // Rows with no, one and two zeros (the gradient's three cases).
  { inputs: [{ shape: [3, 4], values: [1.5, -0.5, 1.25, 0.75, 0.5, 0, 1.1, -1.3, 0, 0.9, 0, 1.4] }], args: [{ axis: 1 }], label: 'zeros' },
  { inputs: [{ shape: [2, 3, 4], range: [-1.5, 1.5] }], args: [{ axis: [0, 2], keepdims: true }], label: 'axis list keepdims' },
  { inputs: [{ shape: [2, 3, 4], range: [-1.5, 1.5] }], args: [{ axis: 1, exclude: true }], label: 'exclude' },
  { inputs: [{ shape: [2, 3, 4], range: [-1.5, 1.5] }], args: [1], label: 'positional axis' },
  { inputs: [{ shape: [5, 3], range: [-1.5, 1.5], symbolic: true }], args: [{ axis: 1 }], label: 'symbolic batch' },
  { inputs: [{ shape: [4, 3], range: [-1.5, 1.5], symbolic: true }], args: [{ axis: 0, keepdims: true }], label: 'symbolic batch reduced' },
  { inputs: [{ shape: [3, 2], dtype: 'float64' }], args: [{ axis: 0 }], label: 'float64' },
  { inputs: [{ shape: [2, 3], dtype: 'float16', values: [1, 2, -3, 0.5, 2, 4] }], args: [{ axis: 1 }], label: 'float16' },
  { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-3, 4] }], args: [{ axis: 0 }], label: 'int32' },
  { inputs: [{ shape: [2, 3], dtype: 'int64', range: [-3, 4] }], label: 'int64 all axes' },
];
const args: Sample[] = [
  { inputs: [{ shape: [3, 4] }], label: 'flattened' },
  { inputs: [{ shape: [2, 3, 4] }], args: [1], label: 'positional axis' },
  { inputs: [{ shape: [2, 3, 4] }], args: [{ axis: -1, keepdims: true }], label: 'negative axis keepdims' },
  { inputs: [{ shape: [2, 3] }], args: [{ keepdims: true }], label: 'flattened keepdims' },
  { inputs: [{ shape: [5, 3], symbolic: true }], args: [{ axis: 1 }], label: 'symbolic batch' },
  { inputs: [{ shape: [5, 3], symbolic: true }], args: [{ axis: 0 }], label: 'symbolic batch reduced' },
  { inputs: [{ shape: [4, 3], symbolic: true }], label: 'symbolic batch flattened' },
  { inputs: [{ shape: [3, 4], dtype: 'float64' }], args: [{ axis: 0 }], label: 'float64' },
  { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-50, 50] }], args: [{ axis: 1 }], label: 'int32' },
  { inputs: [{ shape: [3, 4], dtype: 'int64', range: [-50, 50] }], args: [{ axis: 1 }], label: 'int64' },
  { inputs: [{ shape: [2, 3], values: [1, 3, 3, 0, 3, 1] }], args: [{ axis: 1 }], label: 'ties take the first' },
  { inputs: [{ shape: [2, 3], dtype: 'float16', values: [1, 3, 3, 0, 3, 1] }], label: 'float16 ties' },
];
/**
 * NaN and infinities at fixed places: a NaN in a slice makes max/min NaN and
 * argmax/argmin its first index (numpy; onnxruntime's ReduceMax and ArgMax
 * skip NaN, so the compiled path must not lean on them alone).
 */
const nans: Sample[] = [
  { inputs: [{ shape: [3, 3], values: [1, NaN, 3, -Infinity, -Infinity, -Infinity, NaN, 2, NaN] }], args: [{ axis: 1 }], label: 'NaN and -inf rows' },
  { inputs: [{ shape: [3, 3], values: [1, NaN, Infinity, 4, 0, Infinity, NaN, 2, 5] }], args: [{ axis: 0, keepdims: true }], label: 'NaN keepdims axis 0' },
  { inputs: [{ shape: [2, 3], values: [Infinity, 1, -Infinity, 0, NaN, 2] }], label: 'NaN all axes' },
  { inputs: [{ shape: [2, 3], dtype: 'float16', values: [1, NaN, 3, 0, 2, 1] }], args: [{ axis: 1 }], label: 'NaN float16' },
  { inputs: [{ shape: [2, 3], dtype: 'float64', values: [1, 3, NaN, 0, 2, 1] }], args: [{ axis: -1 }], label: 'NaN float64' },
];
const argRef = (fn: string) => `
ax = attrs.get("axis", args[0] if len(args) > 0 else None)
kd = bool(attrs.get("keepdims", args[1] if len(args) > 1 else False))
out = np.${fn}(a.astype(np.float64), axis=ax, keepdims=kd).astype(np.float64)
`;

export const cases: OpCase[] = [
  { op: 'sum', samples: [...common, ...ints], ref: `${AXES}out = np.sum(x, axis=ax, keepdims=kd)` },
  // An empty axis: numpy's mean is NaN (0/0) on every path; onnxruntime's ReduceMean gives 0.
  {
    op: 'mean',
    samples: [
      ...common,
      { inputs: [{ shape: [2, 0] }], args: [{ axis: 1 }], label: 'empty axis' },
      { inputs: [{ shape: [0, 3] }], args: [{ axis: 0, keepdims: true }], label: 'empty axis keepdims' },
      { inputs: [{ shape: [0, 3], dtype: 'float64' }], label: 'empty all axes float64' },
      { inputs: [{ shape: [2, 0], dtype: 'float16' }], args: [{ axis: -1 }], label: 'empty axis float16' },
      { inputs: [{ shape: [2, 0, 3] }], args: [{ axis: [0, 2] }], label: 'non-empty axes of an empty tensor' },
    ],
    ref: `${AXES}\nimport warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter("ignore")\n    out = np.mean(x, axis=ax, keepdims=kd)`,
  },
  // Integers keep their dtype (MXNet 1.x's nd.mean): the sum in the dtype (int8/uint8 wrap), divided by the count
  // truncating toward zero (C++ integer division in ReduceAxesComputeImpl): [-1, -2] gives -1, where floor gives -2.
  {
    op: 'mean',
    samples: [
      { inputs: [{ shape: [2, 3], dtype: 'int32', values: [-3, -2, 1, 4, 5, -1] }], args: [{ axis: 1 }], label: 'int32 ties: -4/3 is -1, 8/3 is 2' },
      { inputs: [{ shape: [2, 2], dtype: 'int32', values: [-1, -2, 1, 2] }], args: [1, true], label: 'int32 -1.5 truncates to -1' },
      { inputs: [{ shape: [2, 3], dtype: 'int32', values: [-3, -2, 1, 4, 5, -1] }], label: 'int32 all axes' },
      { inputs: [{ shape: [2, 3, 2], dtype: 'int64', range: [-50, 50] }], args: [{ axis: [0, 2] }], label: 'int64' },
      { inputs: [{ shape: [3], dtype: 'int8', values: [100, 100, 100] }], label: 'int8 sum wraps (300 -> 44), then 14' },
      { inputs: [{ shape: [3], dtype: 'uint8', values: [250, 10, 3] }], label: 'uint8 sum wraps (263 -> 7), then 2' },
      { inputs: [{ shape: [5, 3], dtype: 'int32', range: [-9, 9], symbolic: true }], args: [{ axis: 0 }], label: 'int32 symbolic batch reduced' },
      { inputs: [{ shape: [60, 50], dtype: 'int32', range: [-100, 100] }], args: [{ axis: 0 }], label: 'int32 large (session path)' },
    ],
    ref: `${AXES}
red = ax if ax is not None else tuple(range(a.ndim))
n = int(np.prod([a.shape[i] for i in red]))
s = np.sum(a, axis=ax, keepdims=kd, dtype=a.dtype)
out = np.vectorize(lambda v: int(v) // n if v >= 0 else -((-int(v)) // n))(s).astype(a.dtype)`,
  },
  {
    op: 'max',
    samples: [...common, ...ints, { inputs: [{ shape: [3, 4], dtype: 'uint8', range: [0, 200] }], args: [{ axis: 0 }], label: 'uint8' }, { inputs: [{ shape: [3, 4], dtype: 'int8', range: [-100, 100] }], label: 'int8 all axes' }],
    ref: `${AXES}out = np.max(x, axis=ax, keepdims=kd)`,
  },
  {
    op: 'min',
    samples: [...common, ...ints, { inputs: [{ shape: [3, 4], dtype: 'uint8', range: [0, 200] }], args: [{ axis: 0 }], label: 'uint8' }, { inputs: [{ shape: [3, 4], dtype: 'int8', range: [-100, 100] }], label: 'int8 all axes' }],
    ref: `${AXES}out = np.min(x, axis=ax, keepdims=kd)`,
  },
  { op: 'max', samples: nans, ref: `${AXES}out = np.max(x, axis=ax, keepdims=kd)` },
  { op: 'min', samples: nans, ref: `${AXES}out = np.min(x, axis=ax, keepdims=kd)` },
  { op: 'prod', samples: small, ref: `${AXES}out = np.prod(x, axis=ax, keepdims=kd)` },
  // int32 products wrap as numpy's (onnxruntime's int32 ReduceProd saturated to 2^31 - 1; the kernel's float64 lost low bits).
  {
    op: 'prod',
    samples: [
      { inputs: [{ shape: [2, 6], dtype: 'int32', values: [7, -3, 100000, 5, -9, 46341, 65537, 65537, 3, 1, 1, 1] }], args: [{ axis: 1 }], label: 'int32 past its range wraps' },
      { inputs: [{ shape: [2, 3], dtype: 'int32', values: [-4, 5, 6, 7, -8, 9] }], label: 'int32 all axes' },
    ],
    ref: `${AXES}out = np.prod(a, axis=ax, keepdims=kd, dtype=a.dtype)`,
  },
  // NaN counts as 0 (nansum) or 1 (nanprod), as MXNet's and numpy's; a row of NaNs gives 0 (1); other dtypes as sum/prod.
  ...(['nansum', 'nanprod'] as const).map((op): OpCase => ({
    op,
    samples: [
      ...small.slice(0, 4),
      { inputs: [{ shape: [3, 3], values: [1.5, NaN, 2, NaN, NaN, NaN, -0.5, 3, NaN] }], args: [{ axis: 1 }], label: 'NaN, and a row of NaNs' },
      { inputs: [{ shape: [2, 3], values: [NaN, 2, -Infinity, 1.25, NaN, 0.5] }], label: 'NaN and -inf, all axes' },
      { inputs: [{ shape: [2, 3], dtype: 'float16', values: [NaN, 2, 1.5, 0.5, NaN, 3] }], args: [{ axis: 0, keepdims: true }], label: 'float16' },
      { inputs: [{ shape: [2, 3], dtype: 'float64', values: [NaN, 2, 1.5, 0.5, NaN, 3] }], args: [{ axis: -1 }], label: 'float64' },
      { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-5, 5] }], args: [{ axis: 1 }], label: 'int32 (no NaN)' },
      { inputs: [{ shape: [5, 3], values: [NaN, 1, 2, 0.5, NaN, 1.5, 1, 1, NaN, 2, 0.5, 1, NaN, NaN, 1.25], symbolic: true }], args: [{ axis: 0 }], label: 'symbolic batch' },
      { inputs: [{ shape: [60, 50], values: Array.from({ length: 3000 }, (_v, i) => (i % 7 === 0 ? NaN : 1 + ((i % 13) - 6) / 100)) }], args: [{ axis: 0 }], label: 'large (session path)' },
    ],
    ref: `${AXES}out = np.${op}(x if a.dtype.kind == 'f' else a, axis=ax, keepdims=kd)`,
  })),
  { op: 'argmax', samples: args, ref: argRef('argmax') },
  { op: 'argmin', samples: args, ref: argRef('argmin') },
  { op: 'argmax', samples: nans, ref: argRef('argmax') },
  { op: 'argmin', samples: nans, ref: argRef('argmin') },
  {
    op: 'norm',
    samples: [
      { inputs: [{ shape: [3, 4] }], label: 'all axes' },
      { inputs: [{ shape: [2, 3, 4] }], args: [{ axis: 1 }], label: 'axis' },
      { inputs: [{ shape: [2, 3, 4] }], args: [{ ord: 1, axis: [0, 2], keepdims: true }], label: 'L1 axis list keepdims' },
      { inputs: [{ shape: [3, 4] }], args: [{ ord: 1 }], label: 'L1 all axes' },
      { inputs: [{ shape: [2, 3, 4] }], args: [1, -1, true], label: 'positional ord axis keepdims' },
      { inputs: [{ shape: [5, 3], symbolic: true }], args: [{ axis: -1, keepdims: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [5, 3], symbolic: true }], args: [{ axis: 0 }], label: 'symbolic batch reduced' },
      { inputs: [{ shape: [3, 2], dtype: 'float64' }], args: [{ axis: 0 }], label: 'float64' },
      { inputs: [{ shape: [2, 3], dtype: 'float16', values: [3, 4, 0, 1, -2, 2] }], args: [{ ord: 1, axis: 1 }], label: 'float16' },
      { inputs: [{ shape: [], values: [-1.5] }], label: '0-d' },
    ],
    // The vector norm of the selected axes (flattened), computed by hand rather than np.linalg.norm.
    ref: `
o = attrs.get("ord", args[0] if len(args) > 0 else 2)
ax = attrs.get("axis", args[1] if len(args) > 1 else None)
kd = bool(attrs.get("keepdims", args[2] if len(args) > 2 else False))
x = a.astype(np.float64)
if ax is not None and not isinstance(ax, list):
    ax = [ax]
ax = None if ax is None or len(ax) == 0 else tuple(int(i) % a.ndim for i in ax)
out = np.sum(np.abs(x), axis=ax, keepdims=kd) if o == 1 else np.sqrt(np.sum(x * x, axis=ax, keepdims=kd))
`,
  },
];

cases.push({
  op: 'reduceSumLike',
  samples: [
    { inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], label: 'leading axes' },
    { inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], label: 'leading and kept axes' },
    { inputs: [{ shape: [5, 3] }, { shape: [5, 3] }], label: 'no broadcast' },
    { inputs: [{ shape: [6, 3], symbolic: true }, { shape: [1, 3] }], label: 'symbolic batch' },
    { inputs: [{ shape: [2, 3], dtype: 'float64' }, { shape: [] }], label: 'to a scalar' },
  ],
  ref: `lead = a.ndim - b.ndim
s = a.sum(axis=tuple(range(lead))) if lead else a
axes = tuple(i for i, (d, e) in enumerate(zip(b.shape, s.shape)) if d == 1 and e != 1)
out = s.sum(axis=axes, keepdims=True) if axes else s`,
});
