/**
 * nd.random and np.random take MXNet's and numpy's keyword arguments in the
 * trailing options object, as every other function does: d2l's
 * `np.random.uniform(size=(2, 4))`, `np.random.normal(0, 1, size=(3, 4))`,
 * `nd.random.uniform(shape=(2, 3))`. Each draw is compared with the positional
 * call from the same seed; the draws' ranges against the distribution.
 */
import assert from 'node:assert/strict';
import { nd, np, random } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';

/** The values drawn by `f` after `random.seed(5)`. */
function drawn(f: () => NDArray): { shape: number[]; dtype: string; values: number[] } {
  random.seed(5);
  const x = f();
  return { shape: x.shape, dtype: x.dtype, values: Array.from(x.data() as ArrayLike<number | bigint>, Number) };
}

describe('nd.random / np.random: keyword arguments in the options object', () => {
  it("np.random takes numpy's size (and low/high, loc/scale, dtype) by name", () => {
    const u = drawn(() => np.random.uniform(0, 1, [2, 4]));
    assert.deepEqual(drawn(() => np.random.uniform({ size: [2, 4] })), u);
    assert.deepEqual(drawn(() => np.random.uniform(0, { size: [2, 4] })), u);
    assert.deepEqual(drawn(() => np.random.uniform(0, 1, { size: [2, 4] })), u);
    assert.deepEqual(drawn(() => np.random.uniform({ low: 0, high: 1, size: [2, 4] })), u);
    assert.ok(u.values.every((v) => v >= 0 && v < 1));
    const n = drawn(() => np.random.normal(0, 0.01, [3, 4]));
    assert.deepEqual(drawn(() => np.random.normal(0, 0.01, { size: [3, 4] })), n);
    assert.deepEqual(drawn(() => np.random.normal({ scale: 0.01, size: [3, 4] })), n);
    assert.deepEqual(drawn(() => np.random.uniform(2, 3, { size: 3, dtype: 'float64' })).dtype, 'float64');
    // numpy's randint(low, size=...): [0, low), int64.
    const r = drawn(() => np.random.randint(3, { size: [50] }));
    assert.deepEqual([r.shape, r.dtype], [[50], 'int64']);
    assert.ok(r.values.every((v) => v >= 0 && v < 3) && new Set(r.values).size === 3);
    assert.deepEqual(drawn(() => np.random.randint(0, 3, { size: [50] })), r);
  });

  it("nd.random takes MXNet's shape (and low/high, loc/scale, dtype) by name", () => {
    const u = drawn(() => nd.random.uniform(-1, 1, [2, 3]));
    assert.deepEqual(drawn(() => nd.random.uniform(-1, 1, { shape: [2, 3] })), u);
    assert.deepEqual(drawn(() => nd.random.uniform({ low: -1, high: 1, shape: [2, 3] })), u);
    assert.deepEqual(drawn(() => nd.random.normal({ loc: 0, scale: 2, shape: [4] })), drawn(() => nd.random.normal(0, 2, [4])));
    assert.deepEqual(drawn(() => nd.random.uniform({ shape: [2] })).shape, [2]);
    assert.deepEqual(drawn(() => nd.random.randint(0, 5, { shape: [3], dtype: 'int64' })), drawn(() => nd.random.randint(0, 5, [3], 'int64')));
  });

  it('an option given both ways, a misspelt one, or a bound that is not a number is an Error naming it', () => {
    assert.throws(() => np.random.uniform(0, 1, [2], { size: [2] } as never), /np\.random\.uniform: got multiple values for argument 'size'/);
    assert.throws(() => np.random.uniform({ shape: [2] } as never), /np\.random\.uniform: unknown option 'shape' \(valid: low, high, size, dtype\)/);
    assert.throws(() => nd.random.uniform({ size: [2] } as never), /nd\.random\.uniform: unknown option 'size' \(valid: low, high, shape, dtype\)/);
    assert.throws(() => np.random.normal('a' as never, 1, [2]), /np\.random\.normal: /);
    assert.throws(() => nd.random.uniform([0] as never, 1, [2]), /nd\.random\.uniform: low must be a number, got \[0\]/);
    assert.throws(() => (nd.random.uniform as (...a: unknown[]) => unknown)(0, 1, [2], {}, 'cpu'), /nd\.random\.uniform: unexpected argument 5/);
  });
});
