/**
 * Table entries for the bitwise operators (numpy's bitwise_and/or/xor/not, left_shift, right_shift as the
 * references): every integer dtype, broadcasting, a symbolic batch, and fixed samples at the kinks (the
 * dtype's limits, shifts of 0, width − 1, the width, past it and negative).
 */
import type { DType } from '../../../../runtime/dtypes.js';
import type { OpCase, Sample } from '../case.js';

const INTS: [DType, [number, number]][] = [
  ['int8', [-128, 128]], ['int16', [-32768, 32768]], ['int32', [-(2 ** 31), 2 ** 31]], ['int64', [-(2 ** 40), 2 ** 40]],
  ['uint8', [0, 256]], ['uint16', [0, 65536]], ['uint32', [0, 2 ** 32]], ['uint64', [0, 2 ** 40]],
];
const BITS: Record<string, number> = { int8: 8, int16: 16, int32: 32, int64: 64, uint8: 8, uint16: 16, uint32: 32, uint64: 64 };

const binary: Sample[] = [
  ...INTS.map(([dtype, range]): Sample => ({ inputs: [{ shape: [3, 4], dtype, range }, { shape: [4], dtype, range }], label: `${dtype}, broadcast` })),
  { inputs: [{ shape: [5, 3], dtype: 'int32', range: [-99, 99], symbolic: true }, { shape: [1, 3], dtype: 'int32', range: [-99, 99] }], label: 'symbolic batch' },
  { inputs: [{ shape: [4], dtype: 'int8', values: [-128, 127, -1, 0] }, { shape: [4], dtype: 'int8', values: [-1, -128, 127, -1] }], label: 'int8 limits' },
];
const unary: Sample[] = [
  ...INTS.map(([dtype, range]): Sample => ({ inputs: [{ shape: [2, 5], dtype, range }], label: dtype })),
  { inputs: [{ shape: [4, 2], dtype: 'int32', range: [-99, 99], symbolic: true }], label: 'symbolic batch' },
  { inputs: [{ shape: [4], dtype: 'uint16', values: [0, 65535, 1, 32768] }], label: 'uint16 limits' },
];

/** Shifts of a few values by 0, 1, width − 1, width, width + 1 and -1 (signed) at the dtype's kinks. */
function shifts(dtype: DType, range: [number, number]): Sample {
  const b = BITS[dtype]!;
  const signed = dtype.startsWith('int');
  const values = signed ? [range[0], range[1] - 1, -1, 1, -5, 6] : [range[1] - 1, 1, 0, 2 ** (b > 32 ? 39 : b - 1), 5, 6];
  const s = signed ? [0, 1, b - 1, b, b + 1, -1] : [0, 1, b - 1, b, b + 1, 3];
  return { inputs: [{ shape: [6, 1], dtype, values }, { shape: [6], dtype, values: s }], label: `${dtype} kinks, every value by every shift` };
}
const shift: Sample[] = [
  ...INTS.map(([dtype, range]) => shifts(dtype, range)),
  ...INTS.map(([dtype, range]): Sample => ({ inputs: [{ shape: [3, 4], dtype, range }, { shape: [4], dtype, range: [0, BITS[dtype]!] }], label: `${dtype}, random` })),
  { inputs: [{ shape: [5, 3], dtype: 'int32', range: [-99, 99], symbolic: true }, { shape: [1, 3], dtype: 'int32', range: [0, 8] }], label: 'symbolic batch' },
];

export const cases: OpCase[] = [
  { op: 'bitwiseAnd', samples: binary, ref: 'np.bitwise_and(a, b)' },
  { op: 'bitwiseOr', samples: binary, ref: 'np.bitwise_or(a, b)' },
  { op: 'bitwiseXor', samples: binary, ref: 'np.bitwise_xor(a, b)' },
  { op: 'bitwiseNot', samples: unary, ref: 'np.bitwise_not(a)' },
  { op: 'leftShift', samples: shift, ref: 'np.left_shift(a, b)' },
  { op: 'rightShift', samples: shift, ref: 'np.right_shift(a, b)' },
];
