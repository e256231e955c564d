/**
 * np's bitwise functions (MXNet 2's np.bitwise_and/or/xor/not, invert, left_shift, right_shift and the array
 * API's bitwise_left_shift/right_shift) against numpy: int8, uint8, int32, int64 arrays with a plain number
 * (taking the array's dtype) and broadcast arrays, shifts at the width and negative, eager and hybridized;
 * bool and float arrays and two dtypes refused by name.
 */
import assert from 'node:assert/strict';
import { np } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { numpyRefs } from '../../helpers/numpy.js';
import { hybridCall } from '../../helpers/layers.js';

const values = (a: NDArray) => Array.from(a.data() as ArrayLike<number | bigint>, Number);

describe('np bitwise functions (numpy semantics)', () => {
  it('match numpy for integer arrays, numbers and broadcasting, eager and hybridized', () => {
    const a8 = np.array([-128, 127, -1, 0, 5, -6], { dtype: 'int8' });
    const s8 = np.array([0, 1, 7, 8, -1, 3], { dtype: 'int8' });
    const u8 = np.array([[0], [255], [170]], { dtype: 'uint8' });
    const v8 = np.array([15, 240, 1, 128], { dtype: 'uint8' });
    const i64 = np.array([-(2 ** 40) - 3, 2 ** 40 + 5, -1], { dtype: 'int64' });
    const runs: [string, NDArray[], (...a: NDArray[]) => NDArray, string][] = [
      ['bitwiseAnd(int8, int8)', [a8, s8], (a, b) => np.bitwiseAnd(a!, b!), 'np.bitwise_and(a, b)'],
      ['bitwiseOr(uint8 [3, 1], uint8 [4])', [u8, v8], (a, b) => np.bitwiseOr(a!, b!), 'np.bitwise_or(a, b)'],
      ['bitwiseXor(int64, 255)', [i64], (a) => np.bitwiseXor(a!, 255), 'np.bitwise_xor(a, np.int64(255))'],
      ['invert(int8)', [a8], (a) => np.invert(a!), 'np.invert(a)'],
      ['bitwiseNot(uint8)', [v8], (a) => np.bitwiseNot(a!), 'np.bitwise_not(a)'],
      ['leftShift(int8, int8)', [a8, s8], (a, b) => np.leftShift(a!, b!), 'np.left_shift(a, b)'],
      ['rightShift(int8, int8)', [a8, s8], (a, b) => np.rightShift(a!, b!), 'np.right_shift(a, b)'],
      ['bitwiseLeftShift(int64, 20)', [i64], (a) => np.bitwiseLeftShift(a!, 20), 'np.left_shift(a, np.int64(20))'],
      ['bitwiseRightShift(int64, 3)', [i64], (a) => np.bitwiseRightShift(a!, 3), 'np.right_shift(a, np.int64(3))'],
      ['leftShift(uint8 [3, 1], uint8 [4])', [u8, np.array([0, 1, 7, 8], { dtype: 'uint8' })], (a, b) => np.leftShift(a!, b!), 'np.left_shift(a, b)'],
    ];
    const refs = numpyRefs(runs.map(([, xs, , code]) => ({ code, inputs: xs.map((x) => ({ shape: x.shape as number[], dtype: x.dtype, data: values(x) })) })));
    runs.forEach(([what, xs, f], i) => {
      const ref = refs[i]!;
      assert.equal(ref.error, undefined, `${what}: ${ref.error}`);
      for (const [how, y] of [['eager', f(...xs)], ['hybridized', hybridCall(f, ...xs)]] as const) {
        assert.equal(y.dtype, xs[0]!.dtype, `${what} ${how}: dtype`);
        assert.deepEqual(y.shape, ref.outs[0]!.shape, `${what} ${how}: shape`);
        assert.deepEqual(values(y), ref.outs[0]!.data, `${what} ${how}`);
      }
    });
  });

  it('refuses bool and float arrays and two dtypes by name', () => {
    assert.throws(() => np.bitwiseAnd(np.array([true, false], { dtype: 'bool' }), np.array([true, true], { dtype: 'bool' })), /bitwiseAnd: dtype bool is not supported \(supported: int8, int16, int32, int64, uint8, uint16, uint32, uint64\)/);
    assert.throws(() => np.leftShift(np.array([1.5]), 1), /leftShift: dtype float32 is not supported/);
    assert.throws(() => np.bitwiseOr(np.array([1], { dtype: 'int32' }), np.array([1], { dtype: 'int64' })), /bitwiseOr: inputs have different dtypes int32 and int64/);
  });
});
