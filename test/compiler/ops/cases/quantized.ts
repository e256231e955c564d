/**
 * Table entries for the quantized operators (matmulInteger, qlinearMatmul,
 * convInteger, qlinearConv). The references are ONNX's formulas in numpy:
 * int64 products of the zero-point-shifted operands; requantization as
 * onnxruntime computes it in float32 (multiplier xScale·wScale/yScale, then
 * the int32 sum times it), rounded half to even (np.rint) and saturated.
 * Fixed samples sit on rounding ties (0.5, 1.5, 2.5 and their negatives),
 * on the dtype limits and on nonzero zero points.
 */
import type { InputSpec, OpCase } from '../case.js';

const I64 = String.raw`
def i64(name):
    v = globals().get(name)
    return 0 if v is None else v.astype(np.int64)
def requant(acc, xs, ws, ys, yz, axis):
    m = (np.float32(xs) * np.asarray(ws, np.float32)) / np.float32(ys)
    if m.ndim == 1 and m.size > 1: m = m.reshape([-1] + [1] * (acc.ndim - axis - 1))
    lo, hi = (0, 255) if yz.dtype == np.uint8 else (-128, 127)
    return np.clip(np.rint((acc.astype(np.float32) * m).astype(np.float32)) + yz.astype(np.int64), lo, hi)
`;

/** A direct integer convolution (begin/end pads, strides, dilations, groups) of shifted operands. */
const QCONV = String.raw`
def qconv(x, w, attrs):
    nd = x.ndim - 2
    k = w.shape[2:]
    st = attrs.get('stride') or [1] * nd
    dl = attrs.get('dilate') or [1] * nd
    p = list(attrs.get('pad') or [0] * nd)
    if len(p) == nd: p = p * 2
    g = attrs.get('numGroup', 1)
    x = np.pad(x, [(0, 0), (0, 0)] + [(p[i], p[nd + i]) for i in range(nd)])
    N, C = x.shape[:2]
    F = w.shape[0]
    cg, fg = C // g, F // g
    osp = [(x.shape[2 + i] - (dl[i] * (k[i] - 1) + 1)) // st[i] + 1 for i in range(nd)]
    y = np.zeros([N, F] + osp, np.int64)
    for idx in np.ndindex(*osp):
        for f in range(F):
            sl = tuple(slice(idx[i] * st[i], idx[i] * st[i] + dl[i] * (k[i] - 1) + 1, dl[i]) for i in range(nd))
            y[(slice(None), f) + idx] = (x[(slice(None), slice(f // fg * cg, (f // fg + 1) * cg)) + sl] * w[f]).reshape(N, -1).sum(1)
    return y
`;

const u8 = (shape: number[], values?: number[]): InputSpec => ({ shape, dtype: 'uint8', ...(values ? { values } : { range: [0, 256] }) });
const i8 = (shape: number[], values?: number[]): InputSpec => ({ shape, dtype: 'int8', ...(values ? { values } : { range: [-128, 128] }) });
const f32 = (v: number | number[]): InputSpec => (Array.isArray(v) ? { shape: [v.length], values: v } : { shape: [], values: [v] });

export const cases: OpCase[] = [
  {
    op: 'matmulInteger',
    ref: `${I64}\nbz = i64('d')\nbz = bz.reshape(-1) if np.ndim(bz) else bz\nout = np.matmul(a.astype(np.int64) - i64('c'), b.astype(np.int64) - bz)`,
    samples: [
      { inputs: [u8([3, 5]), u8([5, 4]), u8([], [128]), u8([], [3])], label: 'uint8 with zero points' },
      { inputs: [u8([2, 2], [255, 255, 0, 0]), i8([2, 3], [127, -128, 5, 127, -128, -5]), u8([], [0]), i8([3], [-128, 127, 0])], label: 'limits, a zero point per column' },
      { inputs: [i8([2, 3, 4]), i8([4, 5])], label: 'int8 batched, no zero points' },
      { inputs: [{ ...u8([3, 2, 4]), symbolic: true }, i8([3, 4, 2]), u8([], [7])], label: 'symbolic batch' },
    ],
  },
  {
    op: 'qlinearMatmul',
    ref: `${I64}\nacc = np.matmul(a.astype(np.int64) - i64('c'), d.astype(np.int64) - i64('f'))\nout = requant(acc, b, e, g, h, acc.ndim - 1)`,
    samples: [
      // acc·0.5 = ±0.5, ±1.5, ±2.5: half to even gives 0, 2, 2 (half away from zero would give 1, 2, 3).
      { inputs: [i8([6, 1], [1, 3, 5, -1, -3, -5]), f32(0.5), i8([], [0]), i8([1, 1], [1]), f32(1), i8([], [0]), f32(1), i8([], [0])], label: 'ties round half to even' },
      { inputs: [u8([6, 1], [1, 3, 5, 7, 9, 11]), f32(0.5), u8([], [0]), i8([1, 1], [1]), f32(1), i8([], [0]), f32(1), u8([], [100])], label: 'ties with an output zero point' },
      { inputs: [u8([2, 2], [255, 255, 0, 0]), f32(1), u8([], [0]), i8([2, 2], [127, -128, 127, -128]), f32(1), i8([], [0]), f32(1), u8([], [10])], label: 'saturation at 0 and 255' },
      { inputs: [i8([2, 2], [127, -128, 1, 1]), f32(1), i8([], [0]), i8([2, 2], [127, 127, 1, -1]), f32(1), i8([], [0]), f32(2), i8([], [0])], label: 'saturation at -128 and 127' },
      { inputs: [u8([3, 7]), f32(0.0173), u8([], [131]), i8([7, 4]), f32([0.021, 0.004, 0.0117, 0.05]), i8([4], [0, 0, 0, 0]), f32(0.093), u8([], [120])], label: 'uint8 x int8, a scale per column' },
      { inputs: [{ ...u8([2, 3, 5]), symbolic: true }, f32(0.02), u8([], [128]), u8([5, 2]), f32(0.03), u8([], [120]), f32(0.11), u8([], [128])], label: 'symbolic batch' },
    ],
  },
  {
    op: 'convInteger',
    ref: `${I64}${QCONV}\nout = qconv(a.astype(np.int64) - i64('c'), b.astype(np.int64) - i64('d'), attrs)`,
    samples: [
      { inputs: [u8([1, 2, 5, 5]), u8([3, 2, 3, 3]), u8([], [128]), u8([], [127])], label: 'uint8, zero points (padding holds them)', args: [{ pad: [1, 1] }] },
      { inputs: [u8([2, 4, 6, 5]), i8([4, 2, 2, 3])], label: 'int8 weights, groups, strides, asymmetric pads', args: [{ pad: [0, 1, 2, 0], stride: [2, 1], numGroup: 2 }] },
      { inputs: [{ ...i8([2, 3, 7]), symbolic: true }, i8([2, 3, 2]), i8([], [-3])], label: 'int8 1-D, dilation, symbolic batch', args: [{ dilate: [2] }] },
    ],
  },
  {
    op: 'qlinearConv',
    ref: `${I64}${QCONV}\nws = np.asarray(f, np.int64).reshape([-1] + [1] * (d.ndim - 1)) if np.ndim(f) else i64('f')\nacc = qconv(a.astype(np.int64) - i64('c'), d.astype(np.int64) - ws, attrs) + (i.reshape([-1] + [1] * (a.ndim - 2)).astype(np.int64) if 'i' in globals() else 0)\nout = requant(acc, b, e, g, h, 1)`,
    samples: [
      // A 1x1 kernel of 1 with scales 0.5·1/1: the outputs are x/2 at ties ±0.5, ±1.5, ±2.5.
      { inputs: [i8([1, 1, 2, 3], [1, 3, 5, -1, -3, -5]), f32(0.5), i8([], [0]), i8([1, 1, 1, 1], [1]), f32(1), i8([], [0]), f32(1), i8([], [0])], label: 'ties round half to even' },
      { inputs: [u8([1, 2, 4, 4]), f32(0.02), u8([], [128]), u8([3, 2, 3, 3]), f32(0.01), u8([], [127]), f32(0.05), u8([], [130]), { shape: [3], dtype: 'int32', values: [1000, -2000, 0] }], label: 'uint8 with a bias, padding', args: [{ pad: [1, 1] }] },
      { inputs: [u8([1, 1, 2, 2], [255, 255, 255, 255]), f32(1), u8([], [0]), i8([2, 1, 1, 1], [127, -128]), f32(1), i8([], [0]), f32(1), u8([], [0])], label: 'saturation at 0 and 255' },
      { inputs: [{ ...u8([2, 4, 5, 6]), symbolic: true }, f32(0.0131), u8([], [100]), i8([6, 2, 3, 3]), f32([0.011, 0.02, 0.007, 0.013, 0.03, 0.009]), i8([6], [0, 0, 0, 0, 0, 0]), f32(0.2), u8([], [90])], label: 'int8 weights, a scale per filter, groups, strides, symbolic batch', args: [{ pad: [1, 0, 1, 2], stride: [1, 2], numGroup: 2 }] },
      { inputs: [i8([1, 2, 6]), f32(0.05), i8([], [-10]), i8([4, 2, 3]), f32(0.02), i8([], [0]), f32(0.07), i8([], [5])], label: 'int8 1-D, dilation', args: [{ dilate: [2] }] },
    ],
  },
  {
    op: 'quantizeLinear',
    ref: `${I64}\nax = attrs.get('axis', 1)\nsc = np.asarray(b, np.float32)\nzp = globals().get('c')\ndt = zp.dtype if zp is not None else np.dtype(attrs.get('dtype', 'uint8'))\nshape = [-1 if i == ax % a.ndim else 1 for i in range(a.ndim)] if sc.ndim == 1 else []\nq = np.rint((a.astype(np.float32) / sc.reshape(shape)).astype(np.float32)) + (zp.astype(np.int64).reshape(shape) if zp is not None else 0)\nlo, hi = (0, 255) if dt == np.uint8 else (-128, 127)\nout = np.clip(q, lo, hi)`,
    samples: [
      // x / 1 at ±0.5, ±1.5, ±2.5: half to even; 300 and -300 saturate.
      { inputs: [{ shape: [8], values: [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 300, -300] }, f32(1), i8([], [0])], label: 'ties and saturation, int8' },
      { inputs: [{ shape: [6], values: [0.5, 1.5, 2.5, -20, 100, 200] }, f32(0.5), u8([], [10])], label: 'uint8 with a zero point: ties, saturation at 0 and 255' },
      { inputs: [{ shape: [2, 3, 4] }, f32([0.01, 0.02, 0.05]), u8([3], [0, 128, 255])], args: [{ axis: 1 }], label: 'per channel (axis 1)' },
      { inputs: [{ shape: [3, 4] }, f32([0.01, 0.02, 0.03, 0.04])], args: [{ axis: -1, dtype: 'int8' }], label: 'per column, int8 without a zero point' },
      { inputs: [{ shape: [3, 5], symbolic: true }, f32(0.0123), u8([], [128])], label: 'symbolic batch' },
    ],
  },
  {
    op: 'dequantizeLinear',
    ref: `ax = attrs.get('axis', 1)\nsc = np.asarray(b, np.float64)\nzp = globals().get('c')\nshape = [-1 if i == ax % a.ndim else 1 for i in range(a.ndim)] if sc.ndim == 1 else []\nout = (a.astype(np.float64) - (zp.astype(np.float64).reshape(shape) if zp is not None else 0)) * sc.reshape(shape)`,
    samples: [
      { inputs: [u8([6], [0, 1, 127, 128, 254, 255]), f32(0.5), u8([], [128])], label: 'uint8 limits, a zero point' },
      { inputs: [i8([6], [-128, -1, 0, 1, 126, 127]), f32(0.25), i8([], [-3])], label: 'int8 limits' },
      { inputs: [{ shape: [4], dtype: 'int32', values: [-100000, -1, 0, 2147483] }, f32(0.001)], label: 'int32 (a bias), no zero point' },
      { inputs: [i8([2, 3, 2]), f32([0.1, 0.02, 0.3]), i8([3], [0, 5, -5])], args: [{ axis: 1 }], label: 'per channel' },
      { inputs: [{ ...u8([3, 4]), symbolic: true }, f32(0.07), u8([], [100])], label: 'symbolic batch' },
    ],
  },
  {
    op: 'dynamicQuantizeLinear',
    ref: `x = a.astype(np.float32)\nhi, lo = np.float32(max(x.max(), 0)), np.float32(min(x.min(), 0))\nsc = np.float32((hi - lo) / np.float32(255))\nzp = np.clip(np.rint(np.float32(-lo) / sc), 0, 255)\nout = [np.clip(np.rint((x / sc).astype(np.float32)) + zp, 0, 255), sc, zp]`,
    samples: [
      // Fixed values whose extremes stand apart (finite differences do not cross a change of extreme).
      { inputs: [{ shape: [3, 4], values: [0.31, -1.7, 2.2, 0.05, -0.4, 1.1, 3.3, -0.9, 0.77, -2.6, 1.9, -0.13] }], label: 'both signs' },
      { inputs: [{ shape: [5], values: [0.5, 1.3, 2.9, 2.1, 0.8] }], label: 'positive only: zero point 0' },
      { inputs: [{ shape: [5], values: [-0.6, -3, -1.1, -2.2, -0.9] }], label: 'negative only: zero point 255' },
      // Range [-1, 1.55]: scale 0.01; -1/0.01 = -100 -> zero point 100; x/scale lands on .5 ties.
      { inputs: [{ shape: [6], values: [-1, 1.55, 0.005, 0.015, -0.025, 0.5] }], label: 'ties round half to even' },
      { inputs: [{ shape: [2, 3], symbolic: true, values: [1.5, -0.2, 0.4, -2.5, 0.9, 0.1] }], label: 'symbolic batch' },
    ],
  },
];
