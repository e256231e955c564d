/**
 * What the benchmarks share about their peers: switching TensorFlow.js
 * backends (the wasm binaries load offline from the installed package) and
 * checking that two contenders computed the same thing before timing them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
let wasmReady = false;

/** Switches tfjs to `backend`. Example: `await useTf('wasm')`. */
export async function useTf(backend: 'cpu' | 'wasm'): Promise<void> {
  if (backend === 'wasm' && !wasmReady) {
    setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    wasmReady = true;
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend '${backend}' failed to initialize`);
  await tf.ready();
}

/** The largest element-wise difference (Infinity for different lengths). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Throws when two results differ by more than `tol` (a benchmark must not time wrong answers). */
export function agree(what: string, a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void {
  const d = maxAbsDiff(a, b);
  if (!(d <= tol)) throw new Error(`${what}: results disagree (max |diff| ${d}, tolerance ${tol})`);
}
