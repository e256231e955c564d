/**
 * MXNet's example/gluon/learning_rate_manipulation.py in TypeScript: linear
 * regression on synthetic data (y = 2·x0 − 3.4·x1 + 4.2 + noise) with SGD
 * at learning rate 0.1, multiplied by 0.9 after every epoch from the third
 * on with `trainer.setLearningRate(trainer.learningRate * 0.9)`.
 *
 * Departures: the data are drawn from gluonc's seeded generator (the script
 * uses numpy's unseeded one); `--shuffle false` turns off the iterator's
 * shuffling (for a reference run; the script shuffles).
 *
 * ```
 * npx tsx models/examples/learning-rate-manipulation.ts    # --epochs 5 --samples 10000 --seed 1
 * ```
 */
import { parseArgs } from 'node:util';
import { autograd, gluon, init, io, nd, random } from 'gluonc';
import { isMain, runMain } from './train-loop.js';

/** Options of `train`. */
export interface LrManipulationOptions {
  epochs?: number;
  samples?: number;
  shuffle?: boolean;
  seed?: number;
  log?: (line: string) => void;
}

/** Runs the script; returns the net, the data and the learning rate printed after each epoch. */
export function train(o: LrManipulationOptions = {}): { net: gluon.nn.Sequential; X: nd.NDArray; Y: nd.NDArray; lrs: number[] } {
  const log = o.log ?? ((m: string) => console.log(m));
  random.seed(o.seed ?? 1);
  const n = o.samples ?? 10000;
  // Generate synthetic data.
  const X = nd.random.normal(0, 1, [n, 2]);
  const Y = X.sliceAxis(1, 0, 1).reshape([-1]).mul(2).sub(X.sliceAxis(1, 1, 2).reshape([-1]).mul(3.4)).add(4.2).add(nd.random.normal(0, 1, [n]).mul(0.01));

  const net = new gluon.nn.Sequential();
  // The output dimension is 1.
  net.add(new gluon.nn.Dense(1));
  net.initialize();
  const loss = new gluon.loss.L2Loss();

  // Initialize the learning rate as 0.1.
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { optimizerParams: { learningRate: 0.1 } });
  net.initialize(new init.Xavier({ magnitude: 2.24 }), { forceReinit: true });
  const trainData = new io.NDArrayIter(X, Y, { batchSize: 10, shuffle: o.shuffle ?? true });

  const lrs = fit(net, trainer, loss, trainData, o.epochs ?? 5, log);

  for (const [paraName, paraValue] of net.collectParams().entries()) {
    // Print all the parameter values after training.
    log(`${paraName} ${JSON.stringify((paraValue.data().toArray() as number[])[0])}`);
  }
  return { net, X, Y, lrs };
}

/** The script's training loop over `epochs` (the decay after the second); returns the learning rate after each epoch. */
export function fit(net: gluon.Block, trainer: gluon.Trainer, loss: gluon.loss.L2Loss, trainData: io.NDArrayIter, epochs: number, log: (line: string) => void): number[] {
  const lrs: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    trainData.reset();
    for (const batch of trainData) {
      const data = batch.data[0]!;
      const label = batch.label[0]!.reshape([-1, 1]);
      const mse = autograd.record(() => {
        const output = net.call(data) as nd.NDArray;
        return loss.call(output, label) as nd.NDArray;
      });
      mse.backward();
      trainer.step(data.shape[0]!);
    }
    // After the second epoch, decay the learning rate of the optimizer every
    // epoch.
    if (epoch > 1) trainer.setLearningRate(trainer.learningRate * 0.9);
    log(`Epoch: ${epoch} Learning rate: ${trainer.learningRate}`);
    lrs.push(trainer.learningRate);
  }
  return lrs;
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: { epochs: { type: 'string', default: '5' }, samples: { type: 'string', default: '10000' }, shuffle: { type: 'string', default: 'true' }, seed: { type: 'string', default: '1' } },
  });
  const int = (name: 'epochs' | 'samples' | 'seed', min: number): number => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer of at least ${min}, got '${values[name]}'`);
    return v;
  };
  if (values.shuffle !== 'true' && values.shuffle !== 'false') throw new Error(`--shuffle must be true or false, got '${values.shuffle}'`);
  train({ epochs: int('epochs', 0), samples: int('samples', 1), shuffle: values.shuffle === 'true', seed: int('seed', 0) });
}

if (isMain(import.meta.url)) runMain('learning-rate-manipulation', () => main(process.argv.slice(2)));
