/** Test images for the vision transforms' tests: seeded pixel patterns and their values as numbers. */
import { nd } from 'gluonc';

/** A seeded image of `shape` with values 0..255 (float dtypes keep them as floats with a fraction). */
export function image(shape: number[], dtype: 'uint8' | 'float32' | 'float64', seed: number): nd.NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_x, i) => ((i * 7919 + seed * 104729) % 256) + (dtype === 'uint8' ? 0 : ((i * 31) % 17) / 17));
  return nd.array(v, { shape, dtype });
}

/** An array's values as plain numbers. */
export const flat = (a: nd.NDArray): number[] => Array.from(a.data() as Float32Array, Number);
