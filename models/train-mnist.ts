/**
 * Trains the MLP of models/mlp.ts on the `mnist` package's digits, with a
 * progress bar (loss, accuracy, samples/s); evaluates on a held-out 20%;
 * saves the parameters and exports the compiled artifact.
 *
 *   npx tsx models/train-mnist.ts [--epochs 10] [--batch 64] [--out mlp]
 *
 * The net and the loss are hybridized, so each step (forward, loss,
 * gradients, Adam update) runs as one onnxruntime session run.
 */
import { SingleBar } from 'cli-progress';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { loadMnist } from './data/mnist.js';
import build from './mlp.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** Fraction of rows of `logits` whose argmax equals `labels`. */
export function accuracy(logits: nd.NDArray, labels: nd.NDArray): number {
  const pred = nd.argmax(logits, { axis: 1 }).data() as Float32Array;
  const y = labels.data() as Float32Array;
  let right = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) right++;
  return right / y.length;
}

/** Trains and returns the held-out accuracy. */
export function train(options: { epochs: number; batchSize: number; out: string; quiet?: boolean }): { accuracy: number; samplesPerSecond: number } {
  const { train: tr, test } = loadMnist({ seed: 1 });
  random.seed(42);
  const net = build();
  net.initialize(new init.Xavier({ magnitude: 2.24 }));
  net.hybridize();
  const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
  lossFn.hybridize();
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.001 });
  const loader = new gluon.data.DataLoader(new gluon.data.ArrayDataset(tr.x, tr.y), {
    batchSize: options.batchSize,
    shuffle: true,
    lastBatch: 'discard',
  });
  const bar = new SingleBar({
    format: 'epoch {epoch} |{bar}| {value}/{total} batches | loss {loss} | acc {acc} | {speed} samples/s',
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 5000,
  });
  let speed = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    if (!options.quiet) bar.start(loader.length, 0, { epoch, loss: '-', acc: '-', speed: '-' });
    let lossSum = 0;
    let accSum = 0;
    let seen = 0;
    const t0 = performance.now();
    for (const [x, y] of loader as Iterable<[nd.NDArray, nd.NDArray]>) {
      let logits!: nd.NDArray;
      const loss = autograd.record(() => {
        logits = net.call(x) as nd.NDArray;
        return lossFn.call(logits, y) as nd.NDArray;
      });
      loss.backward();
      trainer.step(options.batchSize);
      seen += 1;
      lossSum += loss.mean().item();
      accSum += accuracy(logits, y);
      speed = (seen * options.batchSize) / ((performance.now() - t0) / 1000);
      if (!options.quiet) bar.update(seen, { loss: (lossSum / seen).toFixed(4), acc: (accSum / seen).toFixed(3), speed: Math.round(speed) });
    }
    if (!options.quiet) bar.stop();
  }
  const acc = accuracy(net.call(test.x) as nd.NDArray, test.y);
  net.saveParameters(`${options.out}.params`);
  net.export(`${options.out}.onnx`, { inputs: { x: { shape: ['N', 784], dtype: 'float32' } } });
  return { accuracy: acc, samplesPerSecond: speed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = train({ epochs: Number(arg('epochs', '10')), batchSize: Number(arg('batch', '64')), out: arg('out', 'mlp') });
  console.log(`held-out accuracy ${(r.accuracy * 100).toFixed(2)}% (2,000 digits); ${Math.round(r.samplesPerSecond)} samples/s in the last epoch`);
  console.log(`saved mlp parameters to ${arg('out', 'mlp')}.params and the artifact to ${arg('out', 'mlp')}.onnx`);
}
