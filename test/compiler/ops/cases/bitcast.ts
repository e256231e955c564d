/**
 * Table entries for `bitcast` (numpy's `a.view(dtype)` as the reference): every pair of equal widths, with
 * fixed samples at the edges (±inf, NaN, the smallest subnormal, the integer extremes, bytes other than
 * 0/1 read as bool) and a symbolic batch. Float inputs reach numpy as float64: the reference first narrows them
 * back to their own width (exact: they were that dtype). -0 and NaN payloads, which the JSON between them
 * loses, are checked in test/compiler/ops/bitcast.test.ts.
 */
import type { OpCase, Sample } from '../case.js';

const I32 = [-(2 ** 31), 2 ** 31 - 1, 0, -1, 0x7f800000, 0x7f800001, 0x7fc00000, -(2 ** 31) + 1];
const sample = (from: Sample['inputs'][0], to: string, label: string): Sample => ({ inputs: [from], args: [{ dtype: to }], label });

const samples: Sample[] = [
  sample({ shape: [3, 4], dtype: 'float32', range: [-1e6, 1e6] }, 'int32', 'float32 -> int32, random'),
  sample({ shape: [8], dtype: 'float32', values: [0, -2, Infinity, -Infinity, 1.401298464324817e-45, 3.4028234663852886e38, -1, 0.1] }, 'int32', 'float32 -> int32, edges'),
  sample({ shape: [8], dtype: 'float32', values: [0, -2, Infinity, -Infinity, 1.401298464324817e-45, 3.4028234663852886e38, -1, 0.1] }, 'uint32', 'float32 -> uint32, edges'),
  sample({ shape: [8], dtype: 'int32', values: I32 }, 'float32', 'int32 -> float32, extremes, infinity, NaNs'),
  sample({ shape: [2, 3], dtype: 'int32', range: [-(2 ** 31), 2 ** 31] }, 'float32', 'int32 -> float32, random bits'),
  sample({ shape: [4], dtype: 'uint32', values: [0, 2 ** 32 - 1, 2 ** 31, 1] }, 'int32', 'uint32 -> int32, extremes'),
  sample({ shape: [6], dtype: 'float64', values: [0, -2, Infinity, -1.5, 5e-324, 1e300] }, 'int64', 'float64 -> int64, edges'),
  sample({ shape: [4], dtype: 'float64', values: [0, -2, Infinity, 2.5] }, 'uint64', 'float64 -> uint64, edges'),
  sample({ shape: [5], dtype: 'int64', values: [0, 1, -(2 ** 53), 2 ** 52, 4607182418800017408] }, 'float64', 'int64 -> float64'),
  sample({ shape: [5], dtype: 'float16', values: [0, -2, 65504, -Infinity, 6e-8] }, 'int16', 'float16 -> int16, edges'),
  sample({ shape: [5], dtype: 'int16', values: [-32768, 32767, 0, 15360, 31744] }, 'float16', 'int16 -> float16, extremes'),
  sample({ shape: [4], dtype: 'uint16', values: [0, 65535, 32768, 15360] }, 'float16', 'uint16 -> float16, NaN and -0'),
  sample({ shape: [4], dtype: 'uint16', values: [0, 65535, 32768, 1] }, 'int16', 'uint16 -> int16'),
  sample({ shape: [5], dtype: 'int8', values: [-128, 127, -1, 0, 1] }, 'uint8', 'int8 -> uint8, extremes'),
  sample({ shape: [5], dtype: 'uint8', values: [0, 255, 128, 127, 1] }, 'int8', 'uint8 -> int8, extremes'),
  sample({ shape: [4], dtype: 'bool', values: [0, 1, 1, 0] }, 'uint8', 'bool -> uint8'),
  sample({ shape: [5], dtype: 'uint8', values: [0, 1, 2, 255, 128] }, 'bool', 'uint8 -> bool: any non-zero byte is true'),
  sample({ shape: [3], dtype: 'int8', values: [0, -1, 1] }, 'bool', 'int8 -> bool'),
  sample({ shape: [3], dtype: 'float32', values: [1, 2, -3] }, 'float32', 'float32 -> float32 (the same dtype)'),
  sample({ shape: [5, 3], dtype: 'float32', range: [-9, 9], symbolic: true }, 'int32', 'symbolic batch'),
];

export const cases: OpCase[] = [
  {
    op: 'bitcast',
    samples,
    ref: [
      't = np.dtype(attrs["dtype"])',
      'src = a.astype({2: np.float16, 4: np.float32, 8: np.float64}[t.itemsize]) if a.dtype == np.float64 else a',
      'out = src.view(t)',
    ].join('\n'),
  },
];
