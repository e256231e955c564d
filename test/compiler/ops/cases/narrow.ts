/**
 * Table entry for `narrowCast` (compiler/ops/narrow-cast.ts). The reference is
 * ONNX's own Cast (onnx/reference/ops/op_cast.py `cast_to`: ml_dtypes'
 * rounding, onnx.numpy_helper.saturate_cast and to_float8e8m0) of the float32
 * input, independent of gluonc. Fixed samples sit on ties between neighbouring
 * values, past the largest finite value (saturating and not) and on subnormals;
 * exhaustive checks of every encoding: test/runtime/narrow.test.ts.
 */
import type { InputSpec, OpCase } from '../case.js';

const REF = String.raw`
import onnx, ml_dtypes
from onnx.reference.ops.op_cast import cast_to
code = {'bfloat16': 16, 'float8e4m3fn': 17, 'float8e4m3fnuz': 18, 'float8e5m2': 19, 'float8e5m2fnuz': 20, 'uint4': 21, 'int4': 22, 'float4e2m1': 23, 'float8e8m0': 24, 'uint2': 25, 'int2': 26}[attrs['format']]
out = cast_to(a.astype(np.float32), code, attrs.get('saturate', True), attrs.get('roundMode', 'up')).astype(np.float64)
`;

const v = (values: number[]): InputSpec => ({ shape: [values.length], values });

export const cases: OpCase[] = [
  {
    op: 'narrowCast',
    ref: REF,
    samples: [
      { inputs: [{ shape: [3, 4] }], args: [{ format: 'float8e4m3fn' }], label: 'float8e4m3fn, random' },
      { inputs: [v([0.3, 464, 470, 480, 1000, -1000, 2 ** -9, 3 * 2 ** -10, -0.0625, 17, 18, 19])], args: [{ format: 'float8e4m3fn', saturate: false }], label: 'float8e4m3fn ties, overflow to NaN, subnormals' },
      { inputs: [v([0.3, 240, 248, 250, 1e5, -1e5, 2 ** -10, 3 * 2 ** -11, -0.0625, 9, 11, -13])], args: [{ format: 'float8e4m3fnuz' }], label: 'float8e4m3fnuz saturating' },
      { inputs: [v([0.3, 57344, 61440, 1e6, -1e6, 2 ** -16, 3 * 2 ** -17, 5, 7, 9, -11, 13])], args: [{ format: 'float8e5m2', saturate: false }], label: 'float8e5m2 overflow to inf' },
      { inputs: [v([0.3, 57344, 61440, 1e6, -1e6, 2 ** -17, 3 * 2 ** -18, 5, 7, 9, -11, 13])], args: [{ format: 'float8e5m2fnuz' }], label: 'float8e5m2fnuz' },
      { inputs: [v([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, 5.1, 7, -100, -0.2, 0.26])], args: [{ format: 'float4e2m1' }], label: 'float4e2m1 ties and saturation' },
      { inputs: [v([1 + 2 ** -8, 1 + 2 ** -7 + 2 ** -8, 3.3, -7.7, 1e38, 3e38, 1e-40, 0.1, 256.5, 257, 259, -1])], args: [{ format: 'bfloat16' }], label: 'bfloat16 ties, overflow, subnormal' },
      { inputs: [v([0.3, 0.75, 1, 1.5, 1.75, 3, 1000, 1e-39, 0, 2 ** 127 * 1.5, 6, 0.9])], args: [{ format: 'float8e8m0', roundMode: 'nearest' }], label: 'float8e8m0 nearest' },
      { inputs: [v([0.3, 0.75, 1, 1.5, 3, 1000, 1e-39, 0, 2 ** 127 * 1.5, 6])], args: [{ format: 'float8e8m0', saturate: false }], label: 'float8e8m0 up, not saturating' },
      { inputs: [v([0.5, 1.5, 7.7, 8, -8.5, -9, 15.5, 16, 100, -100, 0.9, -0.9])], args: [{ format: 'int4' }], label: 'int4: truncation and wrapping' },
      { inputs: [v([0.5, 1.5, 7.7, 8, -8.5, -9, 15.5, 16, 100, -100, 0.9, -0.9])], args: [{ format: 'uint4' }], label: 'uint4' },
      { inputs: [{ shape: [2, 5], range: [-6, 6] }], args: [{ format: 'int2' }], label: 'int2, random' },
      { inputs: [{ shape: [2, 5], range: [-6, 6] }], args: [{ format: 'uint2' }], label: 'uint2, random' },
      { inputs: [{ shape: [4], dtype: 'int32', values: [-9, 7, 17, -2] }], args: [{ format: 'int4' }], label: 'int32 to int4 wraps' },
    ],
  },
];
