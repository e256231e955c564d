/**
 * np.vstack, np.hstack, np.dstack and np.columnStack (numpy's, MXNet 2's
 * np.vstack/hstack/dstack/column_stack; they were missing) against numpy:
 * 0-d, 1-D, 2-D and 3-D arrays, empty ones, eager and hybridized; mixed
 * dtypes refused as MXNet 2's, an empty list an Error naming the function.
 */
import assert from 'node:assert/strict';
import { gluon, np } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { numpyRefs } from '../../helpers/numpy.js';
import { hybridCall } from '../../helpers/layers.js';

const values = (a: NDArray) => Array.from(a.data() as ArrayLike<number>, Number);

describe('np.vstack / hstack / dstack / columnStack (numpy semantics)', () => {
  it('match numpy for 0-d to 3-D arrays, eager and hybridized', () => {
    const r = (n: number, ...shape: number[]) => np.arange(n, n + shape.reduce((p, q) => p * q, 1)).reshape(shape);
    const groups: [string, NDArray[]][] = [
      ['two 1-D', [r(0, 3), r(10, 3)]],
      ['2-D and 2-D', [r(0, 2, 3), r(10, 2, 3)]],
      ['0-d pair', [np.array(1), np.array(2)]],
      ['3-D pair', [r(0, 2, 1, 3), r(10, 2, 1, 3)]],
    ];
    const fns: [string, (...a: NDArray[]) => NDArray, string][] = [
      ['vstack', (...a) => np.vstack(a), 'np.vstack([a, b])'],
      ['hstack', (...a) => np.hstack(a), 'np.hstack([a, b])'],
      ['dstack', (...a) => np.dstack(a), 'np.dstack([a, b])'],
      ['columnStack', (...a) => np.columnStack(a), 'np.column_stack([a, b])'],
    ];
    const runs: [string, NDArray[], (...a: NDArray[]) => NDArray][] = [];
    const jobs: Parameters<typeof numpyRefs>[0] = [];
    for (const [g, xs] of groups) {
      for (const [name, f, code] of fns) {
        runs.push([`${name}(${g})`, xs, f]);
        jobs.push({ code, inputs: xs.map((x) => ({ shape: x.shape as number[], dtype: 'float64', data: values(x) })) });
      }
    }
    // hstack of a 2-D and an empty-column 2-D; vstack of 1-D with an empty 2-D row block.
    runs.push(['hstack([2, 3], [2, 0])', [r(0, 2, 3), np.zeros([2, 0])], (...a) => np.hstack(a)]);
    jobs.push({ code: 'np.hstack([a, b])', inputs: [{ shape: [2, 3], dtype: 'float64', data: [0, 1, 2, 3, 4, 5] }, { shape: [2, 0], dtype: 'float64', data: [] }] });
    const refs = numpyRefs(jobs);
    runs.forEach(([what, xs, f], i) => {
      const ref = refs[i]!;
      assert.equal(ref.error, undefined, `${what}: ${ref.error}`);
      for (const [how, y] of [['eager', f(...xs)], ['hybridized', hybridCall(f, ...xs)]] as const) {
        assert.deepEqual(y.shape, ref.outs[0]!.shape, `${what} ${how}: shape`);
        assert.deepEqual(values(y), ref.outs[0]!.data, `${what} ${how}`);
      }
    });
  });

  it('mixed dtypes (as MXNet 2) and an empty list are Errors', () => {
    assert.throws(() => np.vstack([np.ones([2]), np.ones([2], { dtype: 'int32' })]), /concat: inputs have different dtypes float32 and int32/);
    assert.throws(() => np.hstack([]), /np\.hstack: needs a non-empty list of arrays, got an empty list/);
    assert.throws(() => np.dstack([np.ones([2]), np.ones([3])]), /concat/);
  });
});
