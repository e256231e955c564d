/**
 * MXNet's example/gluon/super_resolution/super_resolution.py in TypeScript:
 * the efficient sub-pixel convolution network (ESPCN: four convolutions, the
 * last with `upscale**2` channels, then `PixelShuffle2D(upscale)`), trained
 * with Adam on L2 loss, evaluated by PSNR from `metric.MSE`.
 *
 * Departures: the data are small seeded images the example draws itself
 * (sums of random sinusoids, `--crop` pixels square) instead of BSDS500, and
 * the low-resolution input is their `upscale`×`upscale` average (MXNet's
 * `ResizeAug` resizes bilinearly); `--resolve-img` is not ported.
 *
 * ```
 * npx tsx models/examples/super-resolution.ts        # --upscale-factor 3 --batch-size 4 --epochs 2 --lr 0.001 --seed 123
 * ```
 */
import { parseArgs } from 'node:util';
import { autograd as ag, gluon, init, metric as metrics, nd, random } from 'gluonc';
import { isMain, runMain } from './train-loop.js';

const { nn } = gluon;

/** super_resolution.py's `SuperResolutionNet`. */
export class SuperResolutionNet extends gluon.HybridBlock {
  conv1: gluon.nn.Conv2D;
  conv2: gluon.nn.Conv2D;
  conv3: gluon.nn.Conv2D;
  conv4: gluon.nn.Conv2D;
  pxshuf: gluon.nn.PixelShuffle2D;
  constructor(upscaleFactor: number) {
    super();
    this.conv1 = new nn.Conv2D(64, [5, 5], { strides: [1, 1], padding: [2, 2], activation: 'relu' });
    this.conv2 = new nn.Conv2D(64, [3, 3], { strides: [1, 1], padding: [1, 1], activation: 'relu' });
    this.conv3 = new nn.Conv2D(32, [3, 3], { strides: [1, 1], padding: [1, 1], activation: 'relu' });
    this.conv4 = new nn.Conv2D(upscaleFactor ** 2, [3, 3], { strides: [1, 1], padding: [1, 1] });
    this.pxshuf = new nn.PixelShuffle2D(upscaleFactor);
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.conv1.call(x) as gluon.Tensor;
    x = this.conv2.call(x) as gluon.Tensor;
    x = this.conv3.call(x) as gluon.Tensor;
    x = this.conv4.call(x) as gluon.Tensor;
    x = this.pxshuf.call(x) as gluon.Tensor;
    return x;
  }
}

/**
 * `n` grey images of `crop`×`crop` pixels in [0, 1] (sums of three random
 * sinusoids) and their `upscale`-times smaller averages: `[input, target]`,
 * shapes [n, 1, crop/upscale, crop/upscale] and [n, 1, crop, crop].
 */
export function imagePairs(n: number, crop: number, upscale: number): [nd.NDArray, nd.NDArray] {
  if (crop % upscale !== 0) throw new Error(`super-resolution: the crop size ${crop} must divide by the upscale factor ${upscale}`);
  const ys = new Float32Array(n * crop * crop);
  for (let k = 0; k < n; k++) {
    const waves = Array.from({ length: 3 }, () => nd.random.uniform(0, 1, [4]).data() as Float32Array);
    for (let i = 0; i < crop; i++) {
      for (let j = 0; j < crop; j++) {
        let v = 0;
        for (const [a, fx, fy, ph] of waves) v += (0.5 * a! + 0.2) * Math.sin((fx! * i + fy! * j) * 0.8 + ph! * 6.28);
        ys[(k * crop + i) * crop + j] = Math.min(1, Math.max(0, 0.5 + v / 3));
      }
    }
  }
  const target = nd.array(ys, { shape: [n, 1, crop, crop] });
  const input = nd.Pooling(target, { kernel: [upscale, upscale], stride: [upscale, upscale], poolType: 'avg' });
  return [input, target];
}

/** Options of `train` (super_resolution.py's flags). */
export interface SuperResolutionOptions {
  upscaleFactor?: number;
  batchSize?: number;
  testBatchSize?: number;
  epochs?: number;
  lr?: number;
  seed?: number;
  /** Training and validation images (default 16 and 8) of `crop` pixels (default 12). */
  trainImages?: number;
  valImages?: number;
  crop?: number;
  log?: (line: string) => void;
}

/** Trains the network as the example's `train` does; returns it with the training MSE and validation PSNR of each epoch. */
export function train(options: SuperResolutionOptions = {}): { net: SuperResolutionNet; mse: number[]; psnr: number[] } {
  const upscaleFactor = options.upscaleFactor ?? 3;
  const batchSize = options.batchSize ?? 4;
  const testBatchSize = options.testBatchSize ?? 100;
  const log = options.log ?? ((m: string) => console.log(m));
  random.seed(options.seed ?? 123);
  const crop = options.crop ?? 12;
  const [trainX, trainY] = imagePairs(options.trainImages ?? 16, crop, upscaleFactor);
  const [valX, valY] = imagePairs(options.valImages ?? 8, crop, upscaleFactor);
  const trainData = new gluon.data.DataLoader(new gluon.data.ArrayDataset(trainX, trainY), { batchSize, shuffle: true });
  const valData = new gluon.data.DataLoader(new gluon.data.ArrayDataset(valX, valY), { batchSize: testBatchSize });

  const net = new SuperResolutionNet(upscaleFactor);
  net.hybridize();
  const metric = new metrics.MSE();

  const test = (): number => {
    let avgPsnr = 0;
    let batches = 0;
    for (const [data, label] of valData) {
      batches += 1;
      const outputs = [net.call(data) as nd.NDArray];
      metric.update([label], outputs);
      avgPsnr += 10 * Math.log10(1 / (metric.get()[1] as number));
      metric.reset();
    }
    avgPsnr /= batches;
    log(`validation avg psnr: ${avgPsnr}`);
    return avgPsnr;
  };

  net.initialize(new init.Orthogonal());
  // re-initialize conv4's weight to be Orthogonal
  net.conv4.initialize(new init.Orthogonal({ scale: 1 }), { forceReinit: true });
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: options.lr ?? 0.001 });
  const loss = new gluon.loss.L2Loss();

  const mse: number[] = [];
  const psnr: number[] = [];
  for (let i = 0; i < (options.epochs ?? 2); i++) {
    for (const [data, label] of trainData) {
      const outputs: nd.NDArray[] = [];
      ag.record(() => {
        const z = net.call(data) as nd.NDArray;
        const L = loss.call(z, label) as nd.NDArray;
        L.backward();
        outputs.push(z);
      });
      trainer.step(data.shape[0]!);
      metric.update([label], outputs);
    }
    const [name, acc] = metric.get() as [string, number];
    metric.reset();
    log(`training mse at epoch ${i}: ${name}=${acc}`);
    mse.push(acc);
    psnr.push(test());
  }
  return { net, mse, psnr };
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      'upscale-factor': { type: 'string', default: '3' },
      'batch-size': { type: 'string', default: '4' },
      'test-batch-size': { type: 'string', default: '100' },
      epochs: { type: 'string', default: '2' },
      lr: { type: 'string', default: '0.001' },
      seed: { type: 'string', default: '123' },
    },
  });
  const num = (name: keyof typeof values): number => {
    const v = Number(values[name]);
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`--${name} must be a positive number, got '${values[name]}'`);
    return v;
  };
  console.log(JSON.stringify(values));
  train({ upscaleFactor: num('upscale-factor'), batchSize: num('batch-size'), testBatchSize: num('test-batch-size'), epochs: num('epochs'), lr: num('lr'), seed: num('seed') });
}

if (isMain(import.meta.url)) runMain('super-resolution', () => main(process.argv.slice(2)));
