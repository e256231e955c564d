/**
 * A 1-D column's dtype through `transform` and `transformFirst`: its samples
 * are plain numbers, which the default batchify made float32 once a
 * transform had handled them (int32 labels arrived as float32, float64 ones
 * rounded). MXNet's ArrayDataset turns a 1-D column into numpy (its samples
 * are numpy scalars of the column's dtype) and `default_batchify_fn` batches
 * them with `nd.array(np.asarray(data), dtype=data.dtype)`, keeping it. Here
 * a number a transform returns unchanged, at its position, keeps its
 * column's dtype; one it computes is a number as before (float32).
 */
import assert from 'node:assert/strict';
import { gluon, nd } from 'gluonc';

const { ArrayDataset, DataLoader } = gluon.data;
type NDArray = nd.NDArray;

const batches = (ds: { length: number; get(i: number): unknown }, batchSize = 2) => [...new DataLoader(ds, { batchSize })] as NDArray[][];

describe('DataLoader: 1-D columns keep their dtype through transforms', () => {
  const x = nd.arange(0, 8).reshape([4, 2]);
  const cols = {
    int32: nd.array([3, -4, 5, 2147483647], { dtype: 'int32' }),
    int64: nd.array([3, 4, 5, 9007199254740991], { dtype: 'int64' }),
    float64: nd.array([0.1, 0.2, 0.3, 1e-300], { dtype: 'float64' }),
    uint8: nd.array([0, 255, 7, 1], { dtype: 'uint8' }),
    float16: nd.array([0.1, -2, 65504, 1e-3], { dtype: 'float16' }),
  } as const;

  it('transform((x, y) => [f(x), y]) and transformFirst: the label batch has the column\'s dtype and exact values', () => {
    for (const [dtype, y] of Object.entries(cols)) {
      const want = Array.from(y.astype('float64').data() as Float64Array);
      for (const [how, ds] of [
        ['transform', new ArrayDataset(x, y).transform((a: NDArray, b: number) => [a.mul(2), b])],
        ['transformFirst', new ArrayDataset(x, y).transformFirst((a: NDArray) => a.mul(2))],
        ['two transforms', new ArrayDataset(x, y).transformFirst((a: NDArray) => a.mul(2)).transform((a: NDArray, b: number) => [a, b])],
        ['Int32Array column', new ArrayDataset(x, y.data() as never).transform((a: NDArray, b: number) => [a, b])],
      ] as const) {
        if (how === 'Int32Array column' && dtype !== 'int32') continue;
        const got = batches(ds);
        assert.equal(got.length, 2);
        got.forEach(([xb, yb], k) => {
          assert.equal(xb!.dtype, 'float32', `${dtype} ${how}: data`);
          assert.equal(yb!.dtype, dtype, `${dtype} ${how}: labels`);
          assert.deepEqual(Array.from(yb!.astype('float64').data() as Float64Array), want.slice(2 * k, 2 * k + 2), `${dtype} ${how}: values`);
        });
      }
    }
  });

  it('a single 1-D column through transform keeps its dtype; a computed number is float32 (a number carries no dtype)', () => {
    const [b] = batches(new ArrayDataset(cols.int32).transform((v: number) => v), 4);
    assert.equal((b as unknown as NDArray).dtype, 'int32');
    const [[, yb]] = batches(new ArrayDataset(x, cols.int32).transform((a: NDArray, v: number) => [a, v + 1]), 4);
    assert.equal(yb!.dtype, 'float32');
    assert.deepEqual(Array.from(yb!.data() as Float32Array), [4, -3, 6, 2147483648]);
    // Swapped fields: the number is not at its column's position, so it is float32.
    const [[yb2]] = batches(new ArrayDataset(x, cols.int32).transform((a: NDArray, v: number) => [v, a]), 4);
    assert.equal(yb2!.dtype, 'float32');
  });
});
