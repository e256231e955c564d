/**
 * Host tensor helpers (runtime/tensor.ts): `sameShape` compares shapes
 * dimension by dimension (the per-step checks of the fused training step
 * and Parameter.setData use it instead of joined strings).
 */
import assert from 'node:assert/strict';
import { sameShape } from '../../runtime/tensor.js';

describe('runtime tensor helpers', () => {
  it('sameShape is true only for the same dimensions in the same order', () => {
    assert.equal(sameShape([64, 784], [64, 784]), true);
    assert.equal(sameShape([], []), true, 'two scalars');
    assert.equal(sameShape([784, 64], [64, 784]), false, 'transposed');
    assert.equal(sameShape([64], [64, 1]), false, 'a trailing 1 is another rank');
    assert.equal(sameShape([1, 64], [64]), false);
    assert.equal(sameShape([0, 3], [0, 3]), true, 'an unknown (0) dimension equals itself');
    assert.equal(sameShape([2, 3], [2, 4]), false);
    assert.equal(sameShape(['N', 784], ['N', 784]), true, 'symbolic dimensions by name');
    assert.equal(sameShape(['N', 784], [64, 784]), false);
    assert.equal(sameShape(['1,2', 3], [1, 2, 3]), false, 'equal once joined with commas, not equal');
  });
});
