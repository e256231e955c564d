/**
 * Test helper of the recurrent gradient tests: float64 random arrays and the
 * directional finite-difference check of an analytic gradient against the
 * reference recurrent kernel (ONNX's equations in float64).
 *
 * ```ts
 * assertDirectionalGradients('LSTM forward', xs, grads, xs.length, (moved) => loss(moved));
 * ```
 */
import assert from 'node:assert/strict';
import { nd } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';

/** A float64 array uniform in [-scale, scale]. Example: `randArr([2, 3], 0.5)`. */
export function randArr(shape: number[], scale = 1): NDArray {
  return nd.random.uniform(-scale, scale, shape).astype('float64');
}

/** The float64 values of an array. Example: `vals(randArr([2]))`. */
export const vals = (x: NDArray): Float64Array => x.data() as Float64Array;

/** The dot product of two equally long vectors. Example: `dot([1, 2], [3, 4])` is 11. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * For each of the first `count` inputs: the gradient has the input's shape
 * and, along a random direction v, `grad · v` equals the central difference
 * of `loss` (a scalar of the inputs, computed in float64) with step 1e-6.
 */
export function assertDirectionalGradients(title: string, xs: NDArray[], grads: (NDArray | null)[], count: number, loss: (inputs: NDArray[]) => number): void {
  const phi = (i: number, v: NDArray, t: number) => loss(xs.map((x, j) => (j === i ? nd.add(x, nd.mul(v, t)) : x)));
  for (let i = 0; i < count; i++) {
    const g = grads[i]!;
    assert.deepEqual(g.shape, xs[i]!.shape, `${title}: gradient ${i} shape`);
    const v = randArr(xs[i]!.shape);
    const eps = 1e-6;
    const numeric = (phi(i, v, eps) - phi(i, v, -eps)) / (2 * eps);
    const analytic = dot(vals(g), vals(v));
    assert.ok(Math.abs(numeric - analytic) <= 1e-6 * (Math.abs(numeric) + 1), `${title}: input ${i}: analytic ${analytic}, finite differences ${numeric}`);
  }
}
