/**
 * numpy's logical functions for `np`: each operand's truth (nonzero) as
 * int32 0/1, combined by minimum (and), maximum (or) or inequality (xor),
 * returned as bool; eager and traced alike. Also the bitwise functions of integers.
 */
import * as ndMod from '../engine/nd.js';
import type { NDArray } from '../engine/ndarray.js';
import type { Tensor } from '../engine/tensor.js';
import type { Symbol } from '../trace/symbol.js';
import { opView } from './npx.js';

const ops = ndMod.ops as unknown as Record<string, (...a: unknown[]) => unknown>;
type Arr = NDArray | Symbol | Tensor;
type Out<T> = T extends NDArray ? NDArray : T extends Symbol ? Symbol : Tensor;

/** numpy's `logical_and`/`or`/`xor`: truth (nonzero) of each operand combined, a bool array, broadcasting. */
function logicalOf(combine: 'minimum' | 'maximum' | 'notEqual') {
  return <T extends Arr>(a: T, b: Arr | number): Out<T> => {
    const truth = (x: Arr | number) => (typeof x === 'number' ? Number(x !== 0) : ops.cast!(ops.notEqual!(x, 0), 'int32'));
    const [ta, tb] = [truth(a), truth(b)];
    if (typeof ta === 'number' && typeof tb === 'number') throw new Error('np.logical: needs an array operand, got two numbers');
    return ops.cast!(ops[combine]!(ta, tb), 'bool') as Out<T>;
  };
}

/** numpy's `logical_and`. Example: `np.logicalAnd(a > 0, b > 0)`. */
export const logicalAnd = logicalOf('minimum');
/** numpy's `logical_or`. Example: `np.logicalOr(np.equal(i, 0), np.equal(j, 0))`. */
export const logicalOr = logicalOf('maximum');
/** numpy's `logical_xor`. */
export const logicalXor = logicalOf('notEqual');
/** numpy's `logical_not`: a bool array, true where `a` is zero. Example: `np.logicalNot(mask)`. */
export const logicalNot = <T extends Arr>(a: T): Out<T> => ops.cast!(ops.equal!(a, 0), 'bool') as Out<T>;

/**
 * numpy's bitwise functions of integer arrays (MXNet 2's `np.bitwise_and`, ..., `invert`, `left_shift`,
 * `bitwise_left_shift`): the bitwise operators (compiler/ops/bitwise.ts); unlike numpy they refuse bool arrays
 * (use `logicalAnd`, ...), and two arrays need one dtype (no promotion), as MXNet 2's arithmetic.
 *
 * ```ts
 * np.bitwiseAnd(np.array([12, 10], { dtype: 'int32' }), 6);   // [4, 2]
 * np.rightShift(np.array([-8], { dtype: 'int8' }), 1);          // [-4] (arithmetic)
 * ```
 */
export const bitwise = {
  bitwiseAnd: opView('bitwiseAnd'),
  bitwiseOr: opView('bitwiseOr'),
  bitwiseXor: opView('bitwiseXor'),
  bitwiseNot: opView('bitwiseNot'),
  invert: opView('bitwiseNot'),
  leftShift: opView('leftShift'),
  rightShift: opView('rightShift'),
  bitwiseLeftShift: opView('leftShift'),
  bitwiseRightShift: opView('rightShift'),
};
