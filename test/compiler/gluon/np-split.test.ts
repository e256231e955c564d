/**
 * np.split and np.arraySplit (numpy's split / array_split, MXNet 2's
 * np.split / np.array_split) against numpy: a number of sections or a list of
 * indices (negative, past the end, repeated: empty pieces), along an axis,
 * always a list, eager and hybridized. A list of indices was refused and
 * arraySplit was missing.
 */
import assert from 'node:assert/strict';
import { gluon, np } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { numpyRefs } from '../../helpers/numpy.js';

const values = (a: NDArray) => Array.from(a.data() as ArrayLike<number>, Number);

/** `f` of `x` eagerly and through a hybridized block (its outputs a list). */
function both(f: (x: NDArray) => NDArray[], x: NDArray): [string, NDArray[]][] {
  class B extends gluon.HybridBlock {
    override forward(a: NDArray) {
      return f(a);
    }
  }
  const b = new B();
  b.hybridize();
  const h = b.call(x) as NDArray | NDArray[];
  return [['eager', f(x)], ['hybridized', Array.isArray(h) ? h : [h]]];
}

describe('np.split / np.arraySplit (numpy semantics, always a list)', () => {
  const x = np.arange(24).reshape([4, 6]);
  const cases: [string, (a: NDArray) => NDArray[], string][] = [
    ['split(x, 2)', (a) => np.split(a, 2), 'np.split(a, 2)'],
    ['split(x, 1): a list of one', (a) => np.split(a, 1), 'np.split(a, 1)'],
    ['split(x, 3, 1)', (a) => np.split(a, 3, 1), 'np.split(a, 3, axis=1)'],
    ['split(x, [1, 3], { axis: 1 })', (a) => np.split(a, [1, 3], { axis: 1 }), 'np.split(a, [1, 3], axis=1)'],
    ['split(x, [-2]) (negative from the end)', (a) => np.split(a, [-2]), 'np.split(a, [-2])'],
    ['split(x, [2, 2, 9], 1) (empty pieces, past the end)', (a) => np.split(a, [2, 2, 9], 1), 'np.split(a, [2, 2, 9], axis=1)'],
    ['split(x, [3, 1]) (decreasing: an empty piece)', (a) => np.split(a, [3, 1]), 'np.split(a, [3, 1])'],
    ['arraySplit(x, 4, 1)', (a) => np.arraySplit(a, 4, 1), 'np.array_split(a, 4, axis=1)'],
    ['arraySplit(x, 3)', (a) => np.arraySplit(a, 3), 'np.array_split(a, 3)'],
    ['arraySplit(x, 8, -1) (more sections than elements)', (a) => np.arraySplit(a, 8, -1), 'np.array_split(a, 8, axis=-1)'],
    ['arraySplit(x, [1, 4], 1)', (a) => np.arraySplit(a, [1, 4], 1), 'np.array_split(a, [1, 4], axis=1)'],
  ];

  it('pieces match numpy: shapes and values, eager and hybridized', () => {
    const input = { shape: [4, 6], dtype: 'float64', data: values(x) };
    const refs = numpyRefs(cases.map(([, , code]) => ({ code, inputs: [input] })));
    cases.forEach(([what, f], i) => {
      const ref = refs[i]!;
      assert.equal(ref.error, undefined, `${what}: ${ref.error}`);
      for (const [how, got] of both(f, x)) {
        assert.ok(Array.isArray(got), `${what} ${how}: a list`);
        assert.deepEqual(got.map((p) => p.shape), ref.outs.map((o) => o.shape), `${what} ${how}: shapes`);
        got.forEach((p, k) => assert.deepEqual(values(p), ref.outs[k]!.data, `${what} ${how}: piece ${k}`));
      }
    });
  });

  it('bad sections, indices or axis are Errors naming np.split', () => {
    assert.throws(() => np.split(x, 5), /split: axis 0 of size 4 does not split into 5 equal parts/);
    assert.throws(() => np.split(x, 0), /np\.split: sections must be a positive integer or a list of indices, got 0/);
    assert.throws(() => np.split(x, [1.5]), /np\.split: indices must be integers, got \[1\.5\]/);
    assert.throws(() => np.split(x, [1], 2), /np\.split: axis 2 is out of range for an array of rank 2/);
    assert.throws(() => np.arraySplit(x, -1), /np\.arraySplit: sections must be a positive integer/);
    assert.throws(() => np.split(x, 2, { axs: 1 } as never), /np\.split: unknown option 'axs'/);
  });
});
