/** Checks shared by the layer tests. */
import assert from 'node:assert/strict';
import type { gluon, nd } from 'gluonc';
import { assertClose } from './compare.js';

/**
 * Runs `block` eagerly, then hybridized, on each input; asserts they agree
 * (and that each input shape compiled once) and returns the eager outputs.
 */
export function eagerVsHybrid(block: gluon.HybridBlock, inputs: nd.NDArray[], what: string, rtol = 1e-5, atol = 1e-6): nd.NDArray[] {
  const eager = inputs.map((x) => block.call(x) as nd.NDArray);
  block.hybridize();
  inputs.forEach((x, i) => {
    const h = block.call(x) as nd.NDArray;
    assert.deepEqual(h.shape, eager[i]!.shape, `${what}: hybridized shape`);
    assertClose(h.data() as Float32Array, eager[i]!.data() as Float32Array, `${what}: hybridized vs eager, input ${i}`, rtol, atol);
  });
  assert.equal(block.cacheSize, new Set(inputs.map((x) => x.shape.join())).size, `${what}: one compiled signature per input shape`);
  block.hybridize(false);
  return eager;
}
