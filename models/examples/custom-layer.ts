/**
 * A custom layer written as in the seed tutorial — a HybridBlock with its
 * own parameters (one with a shape inferred at the first call) and a
 * `hybridForward` against `F` — trained with a Trainer on a small synthetic
 * regression task, exported, and run back with `loadModel` from
 * `gluonc/runtime`, which gives the trained block's outputs.
 *
 *   npx tsx models/examples/custom-layer.ts [--epochs 40] [--out scaled-tanh.onnx] [--device cpu|cuda]
 */
import { parseArgs } from 'node:util';
import { autograd, context, gluon, init, nd, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { isMain, plural, runMain, useDevice } from './train-loop.js';

/**
 * `scales * tanh(x·weightsᵀ + bias)`: a dense layer whose units each learn
 * their own output scale. `weights` is [units, 0] — the input size is
 * inferred at the first call, as the seed's ScaledLayer does.
 *
 * ```ts
 * const layer = new ScaledTanh(16);
 * layer.initialize();
 * layer.call(nd.ones([4, 2])).shape; // [4, 16]
 * ```
 */
export class ScaledTanh extends gluon.HybridBlock {
  weights: gluon.Parameter;
  bias: gluon.Parameter;
  scales: gluon.Parameter;
  constructor(readonly units: number) {
    super();
    this.weights = this.params.get('weights', { shape: [units, 0], allowDeferredInit: true });
    this.bias = this.params.get('bias', { shape: [units], init: new init.Zero() });
    this.scales = this.params.get('scales', { shape: [units], init: new init.One() });
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, p: { weights: gluon.Tensor; bias: gluon.Tensor; scales: gluon.Tensor }): gluon.Tensor {
    const h = F.FullyConnected(x, p.weights, p.bias, { numHidden: this.units });
    return F.broadcastMul(F.tanh(h), p.scales);
  }
}

/**
 * The regression task: `y = sin(π·x₀)/2 + x₁² − 0.3` for `x` uniform in
 * [-1, 1)², `n` examples drawn from the seeded stream.
 *
 * ```ts
 * const { x, y } = regressionData(512); // x [512, 2], y [512, 1]
 * ```
 */
export function regressionData(n: number): { x: nd.NDArray; y: nd.NDArray } {
  const x = nd.random.uniform(-1, 1, [n, 2]);
  const v = x.data() as Float32Array;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.sin(Math.PI * v[2 * i]!) / 2 + v[2 * i + 1]! ** 2 - 0.3;
  return { x, y: nd.array(y, { shape: [n, 1] }) };
}

/** Options of `train`. */
export interface CustomLayerOptions {
  epochs: number;
  /** The artifact to write (e.g. `scaled-tanh.onnx`). */
  out: string;
  /** Training examples (default 1024). */
  examples?: number;
  batchSize?: number;
  device?: 'cpu' | 'cuda';
  /** Print the loss every `every` epochs (default: 10 lines in all); 0: silent. */
  every?: number;
}

/**
 * Builds `ScaledTanh(32) -> Dense(1)`, trains it with Adam on L2 loss
 * (hybridized: one fused session run per step), exports it to `out`.
 * Returns the mean loss of every epoch and the trained net.
 *
 * ```ts
 * const { losses, net } = train({ epochs: 40, out: 'scaled-tanh.onnx' });
 * losses[0] > losses.at(-1)!; // true
 * ```
 */
export function train(o: CustomLayerOptions): { losses: number[]; net: InstanceType<typeof gluon.nn.HybridSequential> } {
  const previous = useDevice(o.device ?? 'cpu');
  try {
    random.seed(7);
    const { x, y } = regressionData(o.examples ?? 1024);
    const net = new gluon.nn.HybridSequential();
    net.add(new ScaledTanh(32), new gluon.nn.Dense(1));
    net.initialize(new init.Xavier({ magnitude: 2.24 }));
    net.hybridize();
    const l2 = new gluon.loss.L2Loss();
    l2.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
    const batchSize = o.batchSize ?? 64;
    const loader = new gluon.data.DataLoader(new gluon.data.ArrayDataset(x, y), { batchSize, shuffle: true, lastBatch: 'discard' });
    const every = o.every ?? Math.max(1, Math.round(o.epochs / 10));
    const losses: number[] = [];
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      let sum = 0;
      let batches = 0;
      for (const [xb, yb] of loader as Iterable<[nd.NDArray, nd.NDArray]>) {
        const loss = autograd.record(() => l2.call(net.call(xb), yb) as nd.NDArray);
        loss.backward();
        trainer.step(batchSize);
        sum += loss.mean().item();
        batches++;
      }
      losses.push(sum / batches);
      if (every > 0 && (epoch % every === 0 || epoch === 1)) console.log(`epoch ${epoch}: L2 loss ${(sum / batches).toFixed(5)}`);
    }
    net.export(o.out, { inputs: { x: { shape: ['N', 2], dtype: 'float32' } } });
    return { losses, net };
  } finally {
    context.setContext(previous);
  }
}

/**
 * Trains, exports, then loads the artifact with `loadModel` and compares
 * its outputs with the trained block's on fresh inputs; returns the largest
 * difference.
 *
 * ```ts
 * await main(['--epochs', '40', '--out', 'scaled-tanh.onnx']);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { epochs: { type: 'string' }, out: { type: 'string' }, device: { type: 'string' } }, strict: true });
  const epochs = Number(values.epochs ?? '40');
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got '${values.epochs}'`);
  const device = values.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`--device must be cpu or cuda, got '${device}'`);
  const out = values.out ?? 'scaled-tanh.onnx';
  const { losses, net } = train({ epochs, out, device });
  console.log(`L2 loss ${losses[0]!.toFixed(5)} -> ${losses.at(-1)!.toFixed(5)} over ${plural(epochs, 'epoch')}; exported ${out}`);
  const model = await loadModel(out, { device });
  try {
    const probe = nd.random.uniform(-1, 1, [5, 2]);
    const { output } = await model.run({ x: { data: probe.data() as Float32Array, shape: [5, 2] } });
    const expected = (net.call(probe) as nd.NDArray).data() as Float32Array;
    const got = output!.data as Float32Array;
    let diff = 0;
    for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs(expected[i]! - got[i]!));
    console.log(`loadModel('${out}') on ${model.device}: inputs ${JSON.stringify(model.inputs)}`);
    const p = probe.data() as Float32Array;
    const target = Float32Array.from({ length: 5 }, (_v, i) => Math.sin(Math.PI * p[2 * i]!) / 2 + p[2 * i + 1]! ** 2 - 0.3);
    console.log(`5 fresh inputs: target   ${fmt(target)}`);
    console.log(`               block    ${fmt(expected)}`);
    console.log(`               artifact ${fmt(got)} (largest difference from the block ${diff.toExponential(1)})`);
    return diff;
  } finally {
    await model.close();
  }
}

function fmt(a: Float32Array): string {
  return `[${Array.from(a, (v) => v.toFixed(4)).join(', ')}]`;
}

if (isMain(import.meta.url)) {
  runMain('custom-layer', () => {
    main(process.argv.slice(2)).catch((e: Error) => {
      process.stderr.write(`custom-layer: ${e.message}\n`);
      if (process.env['GLUONC_DEBUG'] === '1') process.stderr.write(`${e.stack}\n`);
      process.exitCode = 1;
    });
  });
}
