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
import { context, gluon, init, lrScheduler, random } from 'gluonc';
import { loadMnist } from './data/mnist.js';
import { exampleFlags, fit, head, runMain, useDevice, writeTrainingCurve, type EpochRecord } from './examples/train-loop.js';
import build from './mlp.js';

export { accuracy } from './examples/train-loop.js';

/** Options of `train`. */
export interface TrainMlpOptions {
  epochs: number;
  batchSize: number;
  /** Output stem: writes `<out>.params` and `<out>.onnx`. */
  out: string;
  /** The SVG curve (default `<out>-curve.svg`). */
  curve?: string;
  device?: 'cpu' | 'cuda';
  /** Adam's initial learning rate, decayed to 0 by a cosine schedule (default 0.002). */
  learningRate?: number;
  /** Train on the first `limit` training digits only. */
  limit?: number;
  /** Evaluate on the first `testLimit` held-out digits only. */
  testLimit?: number;
  quiet?: boolean;
}

/**
 * Trains, saves and exports; returns the held-out accuracy, the last
 * epoch's throughput, the per-epoch history and the trained net.
 *
 * ```ts
 * const r = train({ epochs: 10, batchSize: 64, out: 'mlp' });   // writes mlp.params, mlp.onnx, mlp-curve.svg
 * r.accuracy; // ~0.96
 * ```
 */
export function train(options: TrainMlpOptions): { accuracy: number; samplesPerSecond: number; history: EpochRecord[]; net: ReturnType<typeof build>; files: string[] } {
  const previous = useDevice(options.device ?? 'cpu');
  try {
    const data = loadMnist({ seed: 1 });
    random.seed(42);
    const net = build();
    net.initialize(new init.Xavier({ magnitude: 2.24 }));
    net.hybridize();
    const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
    lossFn.hybridize();
    const trainSet = head(data.train, options.limit);
    // Adam with a cosine decay to 0 over the whole run (as in train-lenet.ts).
    const steps = options.epochs * Math.floor(trainSet.x.shape[0]! / options.batchSize);
    const baseLr = options.learningRate ?? 0.002;
    const schedule = new lrScheduler.CosineScheduler({ maxUpdate: Math.max(1, steps), baseLr, finalLr: 0 });
    const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: baseLr, lrScheduler: schedule });
    const r = fit({
      net,
      lossFn,
      trainer,
      train: trainSet,
      test: head(data.test, options.testLimit),
      epochs: options.epochs,
      batchSize: options.batchSize,
      name: 'mlp',
      quiet: options.quiet,
    });
    const curve = options.curve ?? `${options.out}-curve.svg`;
    net.saveParameters(`${options.out}.params`);
    net.export(`${options.out}.onnx`, { inputs: { x: { shape: ['N', 784], dtype: 'float32' } } });
    writeTrainingCurve(curve, r.history, `MLP on MNIST (${r.history.length} epochs)`);
    return { ...r, net, files: [`${options.out}.params`, `${options.out}.onnx`, curve] };
  } finally {
    context.setContext(previous);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMain('train-mnist', () => {
    const f = exampleFlags(process.argv.slice(2), { epochs: 10, batchSize: 64, out: 'mlp' });
    const r = train({ epochs: f.epochs, batchSize: f.batchSize, out: f.out, curve: f.curve, device: f.device, limit: f.limit });
    console.log(`held-out accuracy ${(r.accuracy * 100).toFixed(2)}% (2,000 digits); ${Math.round(r.samplesPerSecond)} samples/s in the last epoch`);
    console.log(`saved the parameters to ${r.files[0]}, the artifact to ${r.files[1]} and the curve to ${r.files[2]}`);
  });
}
