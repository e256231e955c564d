/**
 * MXNet's example/gluon/estimator_example/mnist_cnn.py in TypeScript: a
 * small CNN trained with `gluon.contrib.estimator.Estimator` on the `mnist`
 * package's digits (seeded split, a few batches by default), then evaluated
 * on the held-out digits. As in MXNet's example the Estimator gets only the
 * net, the loss and an Accuracy metric, so it uses its default trainer (SGD,
 * learning rate 0.001, with a warning) unless `--lr` is given.
 *
 * ```
 * npx tsx models/examples/estimator-mnist.ts                 # --batches 8 --batch-size 32 --held-out 64
 * npx tsx models/examples/estimator-mnist.ts --epochs 1 --lr 0.05
 * ```
 */
import { parseArgs } from 'node:util';
import { gluon, metric, nd, random } from 'gluonc';
import { loadMnist } from '../data/mnist.js';
import { isMain, runMain } from './train-loop.js';

const { nn } = gluon;

/** mnist_cnn.py's network (hybridized, so each batch trains as one fused step). */
export function mnistCnn(): InstanceType<typeof nn.HybridSequential> {
  const net = new nn.HybridSequential();
  net.add(
    new nn.Conv2D(32, { kernelSize: 3, activation: 'relu' }),
    new nn.Conv2D(64, { kernelSize: 3, activation: 'relu' }),
    new nn.MaxPool2D({ poolSize: 2 }),
    new nn.Dropout(0.25),
    new nn.Flatten(),
    new nn.Dense(128, { activation: 'relu' }),
    new nn.Dropout(0.5),
    new nn.Dropout(0.5),
    new nn.Dense(10),
  );
  return net;
}

/** Options of `trainEstimatorMnist`. */
export interface EstimatorMnistOptions {
  /** Train for this many batches (MXNet's `fit(batches=...)`), or `epochs` over `trainSize` digits. */
  batches?: number;
  epochs?: number;
  batchSize?: number;
  /** How many training digits the loader holds (default batches × batchSize). */
  trainSize?: number;
  heldOut?: number;
  /** A learning rate: an SGD trainer of it instead of the Estimator's default. */
  lr?: number;
  seed?: number;
  log?: (line: string) => void;
}

/**
 * Trains mnist_cnn.py's network with an Estimator and evaluates it on
 * held-out digits; returns the estimator (its metrics hold the results).
 *
 * ```ts
 * const est = trainEstimatorMnist({ batches: 4, batchSize: 16, heldOut: 32 });
 * est.valMetrics[0]!.get(); // ['validation accuracy', ...]
 * ```
 */
export function trainEstimatorMnist(options: EstimatorMnistOptions = {}): InstanceType<typeof gluon.contrib.estimator.Estimator> {
  const batchSize = options.batchSize ?? 32;
  const batches = options.epochs ? undefined : (options.batches ?? 8);
  const trainSize = options.trainSize ?? (batches ?? 8) * batchSize;
  const heldOut = options.heldOut ?? 64;
  const { train, test } = loadMnist({ seed: options.seed ?? 1, shape: [1, 28, 28] });
  random.seed(options.seed ?? 1);
  const rows = (x: nd.NDArray, n: number): nd.NDArray => x.sliceAxis(0, 0, Math.min(n, x.shape[0]!));
  const trainData = new gluon.data.DataLoader(new gluon.data.ArrayDataset(rows(train.x, trainSize), rows(train.y, trainSize)), { batchSize, shuffle: true });
  const testData = new gluon.data.DataLoader(new gluon.data.ArrayDataset(rows(test.x, heldOut), rows(test.y, heldOut)), { batchSize, shuffle: false });

  const net = mnistCnn();
  net.initialize();
  net.hybridize();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  loss.hybridize();
  const acc = new metric.Accuracy();
  const log = options.log ?? ((m: string) => console.log(m));
  const trainer = options.lr === undefined ? undefined : new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: options.lr });
  const est = new gluon.contrib.estimator.Estimator(net, loss, { trainMetrics: acc, trainer, logger: { info: log, warning: log } });
  est.fit(trainData, { epochs: options.epochs, batches });
  est.evaluate(testData);
  return est;
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      batches: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string', default: '32' },
      'held-out': { type: 'string', default: '64' },
      lr: { type: 'string' },
      seed: { type: 'string', default: '1' },
    },
  });
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${v}'`);
    return n;
  };
  const epochs = num(values.epochs, 'epochs');
  trainEstimatorMnist({
    batches: num(values.batches, 'batches'),
    epochs,
    trainSize: epochs ? 8000 : undefined,
    batchSize: num(values['batch-size'], 'batch-size'),
    heldOut: num(values['held-out'], 'held-out'),
    lr: num(values.lr, 'lr'),
    seed: num(values.seed, 'seed'),
  });
}

if (isMain(import.meta.url)) runMain('estimator-mnist', () => main(process.argv.slice(2)));
