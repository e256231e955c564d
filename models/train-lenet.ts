/**
 * Trains LeNet (models/lenet.ts) on the `mnist` package's digits as
 * [N, 1, 28, 28] images, hybridized (each step — forward, loss, gradients,
 * Adam update — is one fused session run), with a progress bar; evaluates
 * on the held-out 20% after every epoch; saves the parameters, exports the
 * compiled artifact and draws the loss/accuracy curve as an SVG.
 *
 *   npx tsx models/train-lenet.ts [--epochs 12] [--batch 32] [--out lenet] [--curve lenet-curve.svg] [--device cpu|cuda] [--limit N]
 */
import { context, gluon, init, lrScheduler, random } from 'gluonc';
import { loadMnist } from './data/mnist.js';
import { exampleFlags, fit, head, runMain, useDevice, writeTrainingCurve, type EpochRecord } from './examples/train-loop.js';
import build from './lenet.js';

/** Options of `train`. */
export interface TrainLenetOptions {
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
 * const r = train({ epochs: 12, batchSize: 32, out: 'lenet' });   // writes lenet.params, lenet.onnx, lenet-curve.svg
 * r.accuracy; // ~0.98
 * ```
 */
export function train(options: TrainLenetOptions): { accuracy: number; samplesPerSecond: number; history: EpochRecord[]; net: ReturnType<typeof build>; files: string[] } {
  const previous = useDevice(options.device ?? 'cpu');
  try {
    const data = loadMnist({ seed: 1, shape: [1, 28, 28] });
    random.seed(42);
    const net = build();
    net.initialize(new init.Xavier({ magnitude: 2.24 }));
    net.hybridize();
    const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
    lossFn.hybridize();
    const trainSet = head(data.train, options.limit);
    // Adam with a cosine decay to 0 over the whole run: the late small steps settle the held-out accuracy.
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
      name: 'lenet',
      quiet: options.quiet,
    });
    const curve = options.curve ?? `${options.out}-curve.svg`;
    net.saveParameters(`${options.out}.params`);
    net.export(`${options.out}.onnx`, { inputs: { x: { shape: ['N', 1, 28, 28], dtype: 'float32' } } });
    writeTrainingCurve(curve, r.history, `LeNet on MNIST (${r.history.length} epochs)`);
    return { ...r, net, files: [`${options.out}.params`, `${options.out}.onnx`, curve] };
  } finally {
    context.setContext(previous);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMain('train-lenet', () => {
    const f = exampleFlags(process.argv.slice(2), { epochs: 12, batchSize: 32, out: 'lenet' });
    const r = train({ epochs: f.epochs, batchSize: f.batchSize, out: f.out, curve: f.curve, device: f.device, limit: f.limit });
    console.log(`held-out accuracy ${(r.accuracy * 100).toFixed(2)}% (2,000 digits); ${Math.round(r.samplesPerSecond)} samples/s in the last epoch`);
    console.log(`saved the parameters to ${r.files[0]}, the artifact to ${r.files[1]} and the curve to ${r.files[2]}`);
  });
}
