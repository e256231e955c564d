/**
 * What the MNIST training examples (models/train-mnist.ts,
 * models/train-lenet.ts) share: command-line flags, the device setting,
 * the epoch loop with its progress bar (loss, accuracy, samples/s), the
 * held-out evaluation after every epoch, and the loss/accuracy curve.
 * The loop is plain Gluon — `autograd.record`, `backward`, `trainer.step` —
 * so with a hybridized net and loss each step runs as one fused session.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { autograd, context, gluon, init, lrScheduler, nd, random } from 'gluonc';
import { CUDA_MISSING, cudaProviderInstalled } from 'gluonc/runtime';
import { loadMnist } from '../data/mnist.js';
import { writeCurve } from './curve.js';

/** Images and labels (float32 class indices), as models/data/mnist.ts returns them. */
export interface Split {
  x: nd.NDArray;
  y: nd.NDArray;
}

/** What one epoch measured. */
export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Mean training-batch accuracy over the epoch. */
  trainAccuracy: number;
  /** Accuracy on the held-out split after the epoch. */
  heldOutAccuracy: number;
  samplesPerSecond: number;
  seconds: number;
}

/** A block called as `net.call(x)`, returning class scores [N, classes]. */
export interface Classifier {
  call(...inputs: nd.NDArray[]): unknown;
}

/** Options of `fit`. */
export interface FitOptions {
  net: Classifier;
  lossFn: Classifier;
  trainer: InstanceType<typeof gluon.Trainer>;
  train: Split;
  test: Split;
  epochs: number;
  batchSize: number;
  /** Title of the progress bar (default `train`). */
  name?: string;
  /** No progress bar and no per-epoch lines. */
  quiet?: boolean;
  /** Where the per-epoch summary lines go (default `console.log`). */
  log?: (line: string) => void;
}

/** What `fit` returns: the per-epoch records and the final held-out accuracy. */
export interface FitResult {
  history: EpochRecord[];
  accuracy: number;
  /** Training throughput of the last epoch. */
  samplesPerSecond: number;
}

/**
 * Fraction of rows of `logits` whose argmax equals `labels`.
 *
 * ```ts
 * accuracy(nd.array([[0, 1], [1, 0]]), nd.array([1, 1])); // 0.5
 * ```
 */
export function accuracy(logits: nd.NDArray, labels: nd.NDArray): number {
  const pred = nd.argmax(logits, { axis: 1 }).data() as Float32Array;
  const y = labels.data() as Float32Array;
  if (pred.length !== y.length) throw new Error(`accuracy: ${pred.length} predictions for ${y.length} labels`);
  let right = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) right++;
  return right / y.length;
}

/**
 * Held-out accuracy of `net` on `split`, in prediction mode, in batches of
 * `batchSize` rows (the last one may be shorter).
 *
 * ```ts
 * evaluate(net, test); // 0.975
 * ```
 */
export function evaluate(net: Classifier, split: Split, batchSize = 1000): number {
  const n = split.x.shape[0]!;
  let right = 0;
  for (let begin = 0; begin < n; begin += batchSize) {
    const end = Math.min(n, begin + batchSize);
    const x = nd.sliceAxis(split.x, { axis: 0, begin, end });
    const y = nd.sliceAxis(split.y, { axis: 0, begin, end });
    right += accuracy(net.call(x) as nd.NDArray, y) * (end - begin);
  }
  return right / n;
}

/**
 * The first `n` rows of a split (all of it when `n` is undefined or larger).
 *
 * ```ts
 * const small = head(train, 512);
 * ```
 */
export function head(split: Split, n?: number): Split {
  const rows = split.x.shape[0]!;
  if (n === undefined || n >= rows) return split;
  if (!Number.isInteger(n) || n < 1) throw new Error(`head: expected a positive number of rows, got ${n}`);
  return { x: nd.sliceAxis(split.x, { axis: 0, begin: 0, end: n }), y: nd.sliceAxis(split.y, { axis: 0, begin: 0, end: n }) };
}

/**
 * Trains `net` for `epochs` with shuffled mini-batches (the last partial
 * batch is dropped), showing a progress bar on stderr and printing one line
 * per epoch; evaluates on `test` after every epoch.
 *
 * ```ts
 * const { history, accuracy } = fit({ net, lossFn, trainer, train, test, epochs: 5, batchSize: 64 });
 * ```
 */
export function fit(o: FitOptions): FitResult {
  const log = o.log ?? ((line: string) => console.log(line));
  const loader = new gluon.data.DataLoader(new gluon.data.ArrayDataset(o.train.x, o.train.y), {
    batchSize: o.batchSize,
    shuffle: true,
    lastBatch: 'discard',
  });
  if (loader.length === 0) throw new Error(`fit: ${o.train.x.shape[0]} training examples make no batch of ${o.batchSize}`);
  // On stderr, and only when it is a terminal (cli-progress draws nothing on a pipe or a file).
  const bar = new SingleBar({
    format: `${o.name ?? 'train'} epoch {epoch}/${o.epochs} |{bar}| {value}/{total} batches | loss {loss} | acc {acc} | {speed} samples/s`,
    hideCursor: true,
    stream: process.stderr,
  });
  const history: EpochRecord[] = [];
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    if (!o.quiet) bar.start(loader.length, 0, { epoch, loss: '-', acc: '-', speed: '-' });
    let lossSum = 0;
    let accSum = 0;
    let seen = 0;
    let speed = 0;
    const t0 = performance.now();
    try {
      for (const [x, y] of loader as Iterable<[nd.NDArray, nd.NDArray]>) {
        let logits!: nd.NDArray;
        const loss = autograd.record(() => {
          logits = o.net.call(x) as nd.NDArray;
          return o.lossFn.call(logits, y) as nd.NDArray;
        });
        loss.backward();
        o.trainer.step(o.batchSize);
        // Read after the step: reading earlier would split the fused step in two.
        seen += 1;
        lossSum += loss.mean().item();
        accSum += accuracy(logits, y);
        speed = (seen * o.batchSize) / ((performance.now() - t0) / 1000);
        if (!o.quiet) bar.update(seen, { loss: (lossSum / seen).toFixed(4), acc: (accSum / seen).toFixed(3), speed: Math.round(speed) });
      }
    } finally {
      // The bar's timer would keep the process alive after an error.
      if (!o.quiet) bar.stop();
    }
    const seconds = (performance.now() - t0) / 1000;
    const heldOut = evaluate(o.net, o.test);
    const rec: EpochRecord = { epoch, loss: lossSum / seen, trainAccuracy: accSum / seen, heldOutAccuracy: heldOut, samplesPerSecond: speed, seconds };
    history.push(rec);
    if (!o.quiet) {
      log(`epoch ${epoch}: loss ${rec.loss.toFixed(4)}, train accuracy ${(rec.trainAccuracy * 100).toFixed(2)}%, held-out accuracy ${(heldOut * 100).toFixed(2)}%, ${Math.round(speed)} samples/s, ${seconds.toFixed(1)} s`);
    }
  }
  const last = history[history.length - 1]!;
  return { history, accuracy: last.heldOutAccuracy, samplesPerSecond: last.samplesPerSecond };
}

/**
 * Writes the training-loss and held-out-accuracy curves of `history` as an
 * SVG (loss on the left axis, accuracy on the right).
 *
 * ```ts
 * writeTrainingCurve('mlp-curve.svg', result.history, 'MLP on MNIST');
 * ```
 */
export function writeTrainingCurve(path: string, history: EpochRecord[], title: string): void {
  writeCurve(
    path,
    [
      { name: 'training loss', values: history.map((r) => r.loss), axis: 'left' },
      { name: 'held-out accuracy', values: history.map((r) => r.heldOutAccuracy), axis: 'right' },
    ],
    { title, xLabel: 'epoch', leftLabel: 'training loss', rightLabel: 'held-out accuracy' },
  );
}

/** The flags every training example takes. */
export interface ExampleFlags {
  epochs: number;
  batchSize: number;
  /** Output stem: `<out>.params`, `<out>.onnx`. */
  out: string;
  /** The SVG curve (default `<out>-curve.svg`). */
  curve: string;
  device: 'cpu' | 'cuda';
  /** Train on the first `limit` training digits only (quick runs). */
  limit?: number;
}

/**
 * Parses `--epochs N --batch N --out STEM --curve FILE --device cpu|cuda
 * --limit N` with the example's defaults; a bad value throws an Error
 * naming the flag.
 *
 * ```ts
 * const flags = exampleFlags(process.argv.slice(2), { epochs: 10, batchSize: 64, out: 'mlp' });
 * ```
 */
export function exampleFlags(argv: string[], defaults: { epochs: number; batchSize: number; out: string }): ExampleFlags {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: 'string' },
      batch: { type: 'string' },
      out: { type: 'string' },
      curve: { type: 'string' },
      device: { type: 'string' },
      limit: { type: 'string' },
    },
    strict: true,
  });
  const int = (flag: string, v: string | undefined, fallback?: number): number | undefined => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got '${v}'`);
    return n;
  };
  const device = values.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`--device must be cpu or cuda, got '${device}'`);
  const out = values.out ?? defaults.out;
  return {
    epochs: int('epochs', values.epochs, defaults.epochs)!,
    batchSize: int('batch', values.batch, defaults.batchSize)!,
    out,
    curve: values.curve ?? `${out}-curve.svg`,
    device,
    limit: int('limit', values.limit),
  };
}

/**
 * Selects where compiled sessions run (`context.setContext`); returns the
 * previous context so callers can restore it. `cuda` without onnxruntime's
 * CUDA provider fails here, before any data is read or step run, with the
 * command that installs it.
 *
 * ```ts
 * const old = useDevice('cuda'); ...; context.setContext(old);
 * ```
 */
export function useDevice(device: 'cpu' | 'cuda'): InstanceType<typeof context.Context> {
  if (device === 'cuda' && !cudaProviderInstalled()) throw new Error(CUDA_MISSING);
  return context.setContext(device === 'cuda' ? context.gpu() : context.cpu());
}

/**
 * `n` and the noun, in the plural unless n is 1.
 *
 * ```ts
 * plural(1, 'epoch'); // '1 epoch'
 * ```
 */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * True when the module at `url` is the script node was started with (also
 * through a symbolic link, which node resolves for the module but not in
 * `process.argv`).
 *
 * ```ts
 * if (isMain(import.meta.url)) runMain('train-mnist', () => ...);
 * ```
 */
export function isMain(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

/**
 * Runs an example's `main`, printing a failure as one line `<name>: <reason>`
 * with exit code 1 (`GLUONC_DEBUG=1` prints the stack as well).
 *
 * ```ts
 * runMain('train-lenet', () => main(process.argv.slice(2)));
 * ```
 */
export function runMain(name: string, main: () => void): void {
  try {
    main();
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`${name}: ${err.message}\n`);
    if (process.env['GLUONC_DEBUG'] === '1') process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}

/** A digit classifier to train: how to build it and the shape of one example. */
export interface DigitModel<B> {
  /** Short name (progress bar, curve title). */
  name: string;
  title: string;
  build: () => B;
  /** The shape of one image, e.g. [784] or [1, 28, 28]. */
  shape: number[];
}

/** Options of `trainDigits`. */
export interface TrainDigitsOptions {
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

/** What `trainDigits` returns. */
export interface TrainDigitsResult<B> extends FitResult {
  net: B;
  files: string[];
}

type Trainable = Classifier & {
  initialize(initializer: InstanceType<typeof init.Initializer>): unknown;
  hybridize(): unknown;
  collectParams(): ReturnType<InstanceType<typeof gluon.Block>['collectParams']>;
  saveParameters(path: string): void;
  export(path: string, options: { inputs: Record<string, { shape: (number | string)[]; dtype: 'float32' }> }): unknown;
};

/**
 * Trains a digit classifier on the `mnist` package's digits (seeded 80/20
 * split), hybridized with a hybridized softmax cross-entropy loss — each step
 * one fused session run — with Adam and a cosine decay to 0 (the late small
 * steps settle the held-out accuracy); then saves the parameters, exports the
 * artifact and draws the curve.
 *
 * ```ts
 * trainDigits({ name: 'mlp', title: 'MLP', build, shape: [784] }, { epochs: 10, batchSize: 64, out: 'mlp' });
 * ```
 */
export function trainDigits<B extends Trainable>(model: DigitModel<B>, options: TrainDigitsOptions): TrainDigitsResult<B> {
  const previous = useDevice(options.device ?? 'cpu');
  try {
    const data = loadMnist({ seed: 1, shape: model.shape });
    random.seed(42);
    const net = model.build();
    net.initialize(new init.Xavier({ magnitude: 2.24 }));
    net.hybridize();
    const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
    lossFn.hybridize();
    const trainSet = head(data.train, options.limit);
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
      name: model.name,
      quiet: options.quiet,
    });
    const curve = options.curve ?? `${options.out}-curve.svg`;
    net.saveParameters(`${options.out}.params`);
    net.export(`${options.out}.onnx`, { inputs: { x: { shape: ['N', ...model.shape], dtype: 'float32' } } });
    writeTrainingCurve(curve, r.history, `${model.title} on MNIST (${plural(r.history.length, 'epoch')})`);
    return { ...r, net, files: [`${options.out}.params`, `${options.out}.onnx`, curve] };
  } finally {
    context.setContext(previous);
  }
}
