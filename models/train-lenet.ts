/**
 * Trains LeNet (models/lenet.ts) on the `mnist` package's digits as
 * [N, 1, 28, 28] images, hybridized (each step — forward, loss, gradients,
 * Adam update — is one fused session run), with a progress bar; evaluates
 * on the held-out 20% after every epoch; saves the parameters, exports the
 * compiled artifact and draws the loss/accuracy curve as an SVG.
 *
 *   npx tsx models/train-lenet.ts [--epochs 12] [--batch 32] [--out lenet] [--curve lenet-curve.svg] [--device cpu|cuda] [--limit N]
 */
import build from './lenet.js';
import { exampleFlags, isMain, runMain, trainDigits, type TrainDigitsOptions, type TrainDigitsResult } from './examples/train-loop.js';

/**
 * Trains, saves and exports; returns the held-out accuracy, the last
 * epoch's throughput, the per-epoch history and the trained net.
 *
 * ```ts
 * const r = train({ epochs: 12, batchSize: 32, out: 'lenet' });   // writes lenet.params, lenet.onnx, lenet-curve.svg
 * r.accuracy; // ~0.98
 * ```
 */
export function train(options: TrainDigitsOptions): TrainDigitsResult<ReturnType<typeof build>> {
  return trainDigits({ name: 'lenet', title: 'LeNet', build, shape: [1, 28, 28] }, options);
}

if (isMain(import.meta.url)) {
  runMain('train-lenet', () => {
    const f = exampleFlags(process.argv.slice(2), { epochs: 12, batchSize: 32, out: 'lenet' });
    const r = train({ epochs: f.epochs, batchSize: f.batchSize, out: f.out, curve: f.curve, device: f.device, limit: f.limit });
    console.log(`held-out accuracy ${(r.accuracy * 100).toFixed(2)}% (2,000 digits); ${Math.round(r.samplesPerSecond)} samples/s in the last epoch`);
    console.log(`saved the parameters to ${r.files[0]}, the artifact to ${r.files[1]} and the curve to ${r.files[2]}`);
  });
}
