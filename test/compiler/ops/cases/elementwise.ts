/** Table entries for the element-wise operators. */
import type { OpCase, Sample } from '../case.js';

const bin: Sample[] = [
  { inputs: [{ shape: [3, 4] }, { shape: [3, 4] }] },
  { inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], label: 'broadcast' },
  { inputs: [{ shape: [5, 1, 3] }, { shape: [4, 1] }], label: 'two-sided broadcast' },
  { inputs: [{ shape: [6, 3], symbolic: true }, { shape: [1, 3] }], label: 'symbolic batch' },
];
const pos: Sample[] = [
  { inputs: [{ shape: [3, 4], range: [0.1, 3] }] },
  { inputs: [{ shape: [7, 2], range: [0.1, 3], symbolic: true }], label: 'symbolic batch' },
];
const un: Sample[] = [
  { inputs: [{ shape: [3, 4] }] },
  { inputs: [{ shape: [2, 3, 5], symbolic: true }], label: 'symbolic batch' },
  { inputs: [{ shape: [3, 2], dtype: 'float64' }], label: 'float64' },
];
/** Inside (-1, 1), plus the endpoints and 0 (gradients are checked away from +-1 by the open range). */
const unit: Sample[] = [
  { inputs: [{ shape: [3, 4], range: [-0.9, 0.9] }] },
  { inputs: [{ shape: [2, 3], range: [-0.9, 0.9], symbolic: true }], label: 'symbolic batch' },
  { inputs: [{ shape: [3, 2], range: [-0.9, 0.9], dtype: 'float64' }], label: 'float64' },
];
const ints: Sample = { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-5, 5] }, { shape: [4], dtype: 'int32', range: [1, 5] }], label: 'int32' };

export const cases: OpCase[] = [
  { op: 'add', samples: [...bin, ints], ref: 'a + b' },
  {
    op: 'add',
    samples: [
      { inputs: [{ shape: [], values: [2.5] }, { shape: [3] }], label: 'rank 0 with rank 1' },
      { inputs: [{ shape: [0, 3] }, { shape: [3] }], label: 'empty batch' },
      { inputs: [{ shape: [2, 0] }, { shape: [1, 1] }], label: 'empty with [1, 1]' },
      { inputs: [{ shape: [3], values: [Infinity, -Infinity, NaN] }, { shape: [3], values: [-Infinity, 1, 1] }], label: 'inf - inf and NaN' },
    ],
    ref: 'a + b',
  },
  { op: 'sub', samples: [...bin, ints], ref: 'a - b' },
  // MXNet's elemwise_* (same shapes only; the error is in elementwise-errors.test.ts; integers: the kernels of add/sub/mul).
  ...(['elemwiseAdd', 'elemwiseSub', 'elemwiseMul'] as const).map((op, i): OpCase => ({
    op,
    samples: [bin[0]!, { inputs: [{ shape: [5, 3], symbolic: true }, { shape: [5, 3], symbolic: true }], label: 'symbolic batch' }, { inputs: [{ shape: [2, 3], dtype: 'float64' }, { shape: [2, 3], dtype: 'float64' }], label: 'float64' }],
    ref: ['a + b', 'a - b', 'a * b'][i]!,
  })),
  // MXNet's add_n (one shape, no broadcasting; the error is in elementwise-errors.test.ts).
  {
    op: 'addN',
    samples: [
      { inputs: [{ shape: [3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }], label: 'three' },
      { inputs: [{ shape: [2, 5] }], label: 'one' },
      { inputs: [{ shape: [5, 3], symbolic: true }, { shape: [5, 3], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 3], dtype: 'int32', range: [-9, 9] }, { shape: [2, 3], dtype: 'int32', range: [-9, 9] }, { shape: [2, 3], dtype: 'int32', range: [-9, 9] }, { shape: [2, 3], dtype: 'int32', range: [-9, 9] }], label: 'int32, four' },
      { inputs: [{ shape: [2, 3], dtype: 'float64' }, { shape: [2, 3], dtype: 'float64' }], label: 'float64' },
    ],
    ref: "sum([globals()[k] for k in 'abcdefgh' if k in globals()][1:], a)",
  },
  { op: 'elemwiseDiv', samples: [{ inputs: [{ shape: [3, 4] }, { shape: [3, 4], range: [0.5, 2] }] }, { inputs: [{ shape: [2, 3], dtype: 'float64' }, { shape: [2, 3], dtype: 'float64', range: [0.5, 2] }], label: 'float64' }], ref: 'a / b' },
  { op: 'mul', samples: [...bin, ints], ref: 'a * b' },
  // int32 products past 2^53 wrap exactly (the kernel's float64 product had lost their low bits).
  { op: 'mul', samples: [{ inputs: [{ shape: [6], dtype: 'int32', values: [2147483647, 123456789, -2147483648, 65537, 46341, 99999] }, { shape: [6], dtype: 'int32', values: [2147483647, 987654321, -2147483648, 65537, 46341, 77777] }], label: 'int32 overflow wraps' }], ref: 'a * b' },
  { op: 'div', samples: [...bin.map((s) => ({ ...s, inputs: [s.inputs[0]!, { ...s.inputs[1]!, range: [0.5, 2] as [number, number] }] }))], ref: 'a / b' },
  {
    op: 'pow',
    samples: [
      { inputs: [{ shape: [3, 4], range: [0.1, 2] }, { shape: [4], range: [-2, 2] }] },
      { inputs: [{ shape: [4], range: [0.1, 2] }, { shape: [3, 4], range: [-2, 2] }], label: 'broadcast base' },
      { inputs: [{ shape: [6, 3], range: [0.1, 2], symbolic: true }, { shape: [1, 3], range: [-2, 2] }], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 2], range: [0.1, 2], dtype: 'float64' }, { shape: [3, 2], range: [-2, 2], dtype: 'float64' }], label: 'float64' },
    ],
    ref: 'a ** b',
  },
  // Integer powers: int8 and uint8 (onnxruntime's Pow has no kernel for them: through int32), wrapping.
  {
    op: 'pow',
    samples: [
      { inputs: [{ shape: [6], dtype: 'int8', values: [7, -3, 100, 5, -9, 2] }, { shape: [6], dtype: 'int8', values: [2, 3, 3, 5, 2, 7] }], label: 'int8 (wraps)' },
      { inputs: [{ shape: [6], dtype: 'uint8', values: [7, 3, 200, 5, 9, 255] }, { shape: [6], dtype: 'uint8', values: [2, 3, 3, 5, 2, 3] }], label: 'uint8 (wraps)' },
      { inputs: [{ shape: [6], dtype: 'int32', values: [7, -3, 1000, 5, -9, 46340] }, { shape: [6], dtype: 'int32', values: [2, 3, 3, 5, 0, 2] }], label: 'int32' },
    ],
    ref: 'a ** b',
  },
  // A power past int32's range: onnxruntime computes it in float64 and converts (INT_MIN, x86's integer
  // indefinite), where numpy wraps it; the kernel does as onnxruntime, so both paths agree.
  {
    op: 'pow',
    samples: [{ inputs: [{ shape: [4], dtype: 'int32', values: [100000, 46341, -3, 2] }, { shape: [4], dtype: 'int32', values: [3, 2, 21, 31] }], label: 'int32 past its range' }],
    ref: 'p = a.astype(np.float64) ** b\nout = np.where((p >= -2.0**31) & (p < 2.0**31), p, -2.0**31).astype(np.int32)',
  },
  {
    op: 'fmod',
    samples: [
      // Away from the jumps (a / b an integer) so that the gradient check's finite differences see one piece.
      { inputs: [{ shape: [6], values: [-7.5, 7.5, -2.25, 5.5, 0.75, -0.25] }, { shape: [6], values: [2, -2, 3.5, 1.5, -4, 0.5] }], label: 'mixed signs' },
      { inputs: [{ shape: [2, 3], dtype: 'float64', values: [-7.3, 7.3, 2.2, 9.1, -0.4, 3.3] }, { shape: [3], dtype: 'float64', values: [3, -3, 0.7] }], label: 'float64, broadcast' },
      {
        inputs: [
          { shape: [12], values: [0, -0, -3, 3, Infinity, -Infinity, 1, NaN, 1, 6, -6, 1e30] },
          { shape: [12], values: [2, 2, Infinity, -Infinity, 2, 2, 0, 2, NaN, 3, 3, 7] },
        ],
        label: 'signed zeros, infinities, zero divisor, NaN, exact multiples, a quotient past 2^53',
      },
      // Its NaN also keeps it out of the gradient check (finite differences of 1e17 mean nothing).
      { inputs: [{ shape: [5], dtype: 'float64', values: [1e17, -1e17, 1e300, 5e-300, NaN] }, { shape: [5], dtype: 'float64', values: [3, 3, 7, 3e-300, 1] }], label: 'float64 quotients past 2^53 (exact remainder), NaN' },
      { inputs: [{ shape: [4], dtype: 'float16', values: [-7.5, 7.5, 1000, -0.25] }, { shape: [4], dtype: 'float16', values: [2, -2, 3, 0.5] }], label: 'float16' },
    ],
    ref: 'np.fmod(a, b)',
  },
  { op: 'maximum', samples: [...bin, ints], ref: 'np.maximum(a, b)' },
  { op: 'maximum', samples: [{ inputs: [{ shape: [5], values: [NaN, 1, -Infinity, 0, Infinity] }, { shape: [5], values: [1, NaN, 2, -0, NaN] }], label: 'NaN and infinities' }], ref: 'np.maximum(a, b)' },
  { op: 'minimum', samples: [{ inputs: [{ shape: [5], values: [NaN, 1, -Infinity, 0, Infinity] }, { shape: [5], values: [1, NaN, 2, -0, NaN] }], label: 'NaN and infinities' }], ref: 'np.minimum(a, b)' },
  { op: 'minimum', samples: [...bin, ints], ref: 'np.minimum(a, b)' },
  { op: 'equal', samples: [{ inputs: [{ shape: [3, 4], dtype: 'int32', range: [0, 3] }, { shape: [4], dtype: 'int32', range: [0, 3] }] }, ...bin], ref: '(a == b).astype(a.dtype)' },
  { op: 'notEqual', samples: [{ inputs: [{ shape: [3, 4], dtype: 'int32', range: [0, 3] }, { shape: [4], dtype: 'int32', range: [0, 3] }] }, ...bin], ref: '(a != b).astype(a.dtype)' },
  { op: 'greater', samples: bin, ref: '(a > b).astype(a.dtype)' },
  { op: 'greaterEqual', samples: bin, ref: '(a >= b).astype(a.dtype)' },
  { op: 'lesser', samples: bin, ref: '(a < b).astype(a.dtype)' },
  { op: 'lesserEqual', samples: bin, ref: '(a <= b).astype(a.dtype)' },
  { op: 'neg', samples: un, ref: '-a' },
  { op: 'abs', samples: un, ref: 'np.abs(a)' },
  { op: 'sign', samples: un, ref: 'np.sign(a)' },
  { op: 'sign', samples: [{ inputs: [{ shape: [5], values: [NaN, -0, 0, -Infinity, Infinity] }], label: 'NaN, zeros, infinities' }, { inputs: [{ shape: [3], dtype: 'int32', values: [-3, 0, 5] }], label: 'int32' }], ref: 'np.sign(a)' },
  { op: 'exp', samples: un, ref: 'np.exp(a)' },
  { op: 'log', samples: pos, ref: 'np.log(a)' },
  { op: 'log1p', samples: [...un.map((s) => ({ ...s, inputs: s.inputs.map((i) => ({ ...i, range: [-0.9, 3] as [number, number] })) }))], ref: 'np.log1p(a)' },
  // Tiny and extreme values with a tight tolerance: log(1 + x) in float32 would be off by up to 20% here.
  { op: 'log1p', samples: [{ inputs: [{ shape: [3], values: [1e-12, -1e-15, 2e-9], dtype: 'float64' }], label: 'tiny float64' }, { inputs: [{ shape: [8], values: [1e-7, -1e-7, 3e-10, 0, -0.5, 1e-3, -1, 1e30] }], label: 'tiny, -1 and huge' }], ref: 'np.log1p(a)', rtol: 2e-6, atol: 0 },
  { op: 'expm1', samples: un, ref: 'np.expm1(a)' },
  { op: 'expm1', samples: [{ inputs: [{ shape: [8], values: [1e-7, -1e-7, 3e-10, 0, -40, 1e-3, 50, 60] }], label: 'tiny and large' }, { inputs: [{ shape: [4], values: [1e-12, -1e-15, 2e-9, 1000], dtype: 'float64' }], label: 'tiny float64' }], ref: 'np.expm1(a)', rtol: 2e-6, atol: 0 },
  { op: 'sqrt', samples: pos, ref: 'np.sqrt(a)' },
  { op: 'rsqrt', samples: pos, ref: '1 / np.sqrt(a)' },
  { op: 'square', samples: un, ref: 'a * a' },
  { op: 'reciprocal', samples: pos, ref: '1 / a' },
  { op: 'sin', samples: un, ref: 'np.sin(a)' },
  { op: 'cos', samples: un, ref: 'np.cos(a)' },
  { op: 'arcsin', samples: unit, ref: 'np.arcsin(a)' },
  { op: 'arccos', samples: unit, ref: 'np.arccos(a)' },
  { op: 'arctan', samples: [...un, { inputs: [{ shape: [5], values: [-1e6, -1, 0, 1, 1e6] }], label: 'large and 0' }], ref: 'np.arctan(a)' },
  { op: 'tanh', samples: un, ref: 'np.tanh(a)' },
  { op: 'sigmoid', samples: un, ref: '1 / (1 + np.exp(-a))' },
  { op: 'relu', samples: un, ref: 'np.maximum(a, 0)' },
  { op: 'relu', samples: [{ inputs: [{ shape: [5], values: [NaN, -0, 0, -Infinity, Infinity] }], label: 'NaN and infinities' }, { inputs: [{ shape: [3], dtype: 'int32', values: [-3, 0, 5] }], label: 'int32' }, { inputs: [{ shape: [3], dtype: 'int8', values: [-128, 0, 127] }], label: 'int8' }, { inputs: [{ shape: [3], dtype: 'int64', values: [-3, 0, 5] }], label: 'int64' }], ref: 'np.maximum(a, 0)' },
  { op: 'softrelu', samples: un, ref: 'np.log1p(np.exp(a))' },
  { op: 'erf', samples: un, ref: 'np.vectorize(math.erf)(a)' },
  { op: 'gelu', samples: un, ref: '0.5 * a * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))' },
  { op: 'floor', samples: un, ref: 'np.floor(a)' },
  { op: 'ceil', samples: un, ref: 'np.ceil(a)' },
  // NaN stays NaN (numpy; MXNet's clip compares x > max, then x < min); values at the bounds stay.
  { op: 'clip', samples: [{ inputs: [{ shape: [6], values: [NaN, -1, 1, Infinity, -Infinity, 0.5] }], args: [-1, 1], label: 'NaN, bounds, infinities' }], ref: 'np.clip(a, args[0], args[1])' },
  { op: 'clip', samples: [{ inputs: [{ shape: [3, 4] }], args: [-0.5, 0.7] }, { inputs: [{ shape: [4, 2], symbolic: true }], args: [{ aMin: 0, aMax: 1 }] }], ref: 'np.clip(a, args[0], args[1]) if args else np.clip(a, attrs["aMin"], attrs["aMax"])' },
  {
    op: 'where',
    samples: [
      { inputs: [{ shape: [3, 4], range: [0, 2], dtype: 'int32' }, { shape: [3, 4] }, { shape: [4] }] },
      { inputs: [{ shape: [5, 4], range: [0, 2], symbolic: true }, { shape: [5, 4], symbolic: true }, { shape: [5, 4], symbolic: true }], label: 'float condition' },
      { inputs: [{ shape: [4], values: [NaN, 0, -0, 0.5] }, { shape: [4] }, { shape: [4] }], label: 'a NaN condition is true, -0 false' },
      // onnxruntime's Where has no int8 or bool kernel (large arrays failed to load).
      { inputs: [{ shape: [2, 3], dtype: 'int8', values: [1, 0, -3, 0, 2, 0] }, { shape: [2, 3], dtype: 'int8', values: [-128, 127, 5, -7, 0, 1] }, { shape: [3], dtype: 'int8', values: [9, -9, 100] }], label: 'int8 values' },
      { inputs: [{ shape: [2, 3], dtype: 'bool', values: [1, 0, 1, 0, 1, 0] }, { shape: [2, 3], dtype: 'bool', values: [1, 1, 0, 0, 1, 1] }, { shape: [2, 3], dtype: 'bool', values: [0, 1, 0, 1, 0, 0] }], label: 'bool values' },
    ],
    ref: 'np.where(a != 0, b, c)',
  },
  // Integer arrays in float functions keep their dtype, as MXNet 1.x's nd does: computed in float32
  // (math_functions-inl.h casts to float) and truncated toward zero (C++ conversion): tanh(-3) = -0.995 is 0, not -1;
  // 2147395600 rounds to float32 2147395584 first, so its square root truncates to 46339 (float64 would give 46340).
  // tanh stays below 9: onnxruntime's float32 tanh(9) is 1 where numpy's (glibc's tanhf) is 0.99999994, so it truncates to 1, not 0.
  ...(
    [
      ['sqrt', [0, 1, 2, 3, 4, 5, 8, 9, 15, 16, 24, 25, 1000000, 2147395600]],
      ['exp', [-3, -2, -1, 0, 1, 2, 5, 10]],
      ['log', [1, 2, 3, 7, 8, 100, 1000]],
      ['tanh', [-3, -1, 0, 1, 2]],
      ['sin', [-5, -2, -1, 0, 1, 2, 8]],
      ['cos', [-3, 0, 1, 4]],
      ['floor', [-7, -1, 0, 3, 16777216]],
    ] as const
  ).map(([op, values]): OpCase => ({
    op,
    samples: [
      { inputs: [{ shape: [values.length], dtype: 'int32', values: [...values] }], label: 'int32 (MXNet 1.x: float32, truncated)' },
      { inputs: [{ shape: [values.length], dtype: 'int64', values: [...values] }], label: 'int64' },
      { inputs: [{ shape: [2, 3], dtype: 'int8', values: [...values, ...values].slice(0, 6).map((v) => Math.max(-128, Math.min(127, v))), symbolic: true }], label: 'int8, symbolic batch' },
      { inputs: [{ shape: [40, 60], dtype: 'int32', range: op === 'exp' ? [-5, 15] : op === 'log' ? [1, 5000] : op === 'tanh' ? [-8, 9] : [0, 5000] }], label: 'int32 large (session path)' },
    ],
    ref: `np.fix(np.${op}(a.astype(np.float32))).astype(a.dtype)`,
  })),
  { op: 'sqrt', samples: [{ inputs: [{ shape: [4], dtype: 'uint8', values: [0, 10, 200, 255] }], label: 'uint8' }], ref: 'np.fix(np.sqrt(a.astype(np.float32))).astype(a.dtype)' },
];
