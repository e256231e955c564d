/**
 * Trains the MLP of models/mlp.ts on the `mnist` package's digits, with a
 * progress bar (loss, accuracy, samples/s); evaluates on a held-out 20%
 * after every epoch; saves the parameters, exports the compiled artifact
 * and draws the loss/accuracy curve as an SVG.
 *
 *   npx tsx models/train-mnist.ts [--epochs 10] [--batch 64] [--out mlp] [--curve mlp-curve.svg] [--device cpu|cuda] [--limit N]
 *
 * The net and the loss are hybridized, so each step (forward, loss,
 * gradients, Adam update) runs as one onnxruntime session run.
 */
import build from './mlp.js';
import { exampleFlags, isMain, runMain, trainDigits, type TrainDigitsOptions, type TrainDigitsResult } from './examples/train-loop.js';

export { accuracy } from './examples/train-loop.js';

/**
 * Trains, saves and exports; returns the held-out accuracy, the last
 * epoch's throughput, the per-epoch history and the trained net.
 *
 * ```ts
 * const r = train({ epochs: 10, batchSize: 64, out: 'mlp' });   // writes mlp.params, mlp.onnx, mlp-curve.svg
 * r.accuracy; // ~0.96
 * ```
 */
export function train(options: TrainDigitsOptions): TrainDigitsResult<ReturnType<typeof build>> {
  return trainDigits({ name: 'mlp', title: 'MLP', build, shape: [784] }, options);
}

if (isMain(import.meta.url)) {
  runMain('train-mnist', () => {
    const f = exampleFlags(process.argv.slice(2), { epochs: 10, batchSize: 64, out: 'mlp' });
    const r = train({ epochs: f.epochs, batchSize: f.batchSize, out: f.out, curve: f.curve, device: f.device, limit: f.limit });
    console.log(`held-out accuracy ${(r.accuracy * 100).toFixed(2)}% (2,000 digits); ${Math.round(r.samplesPerSecond)} samples/s in the last epoch`);
    console.log(`saved the parameters to ${r.files[0]}, the artifact to ${r.files[1]} and the curve to ${r.files[2]}`);
  });
}
