/**
 * The MLP training that train-mlp.ts's peak-memory children run, apart from
 * the bench's other imports so that built-child.ts can bundle it into a
 * plain `node` child of the built package: `memoryChild('ours')` trains
 * MEMORY_STEPS steps of the user's loop (models/mlp.ts, hybridized net and
 * loss, `autograd.record`, `backward`, `trainer.step`) and prints its peak
 * RSS; `memoryChild('baseline')` makes the same net and data and trains
 * nothing. It imports only `gluonc` (and models/mlp.ts, which imports
 * `gluonc`): the sources under the bench's conditions, dist/ when bundled.
 */
import { autograd, gluon, init, nd, random } from 'gluonc';
import build from '../../models/mlp.js';
import { peakRssBytes } from './peak-rss.js';

export const BATCH = 64;
export const LR = 0.1;
export const MOMENTUM = 0.9;
/** Steps of each peak-memory child (tfjs's children take 30). */
export const MEMORY_STEPS = 300;

export type Net = ReturnType<typeof build>;

/** models/mlp.ts seeded (random.seed(1)), Xavier-initialized, its shapes inferred at batch BATCH. */
export function mlpNet(): Net {
  random.seed(1);
  const net = build();
  net.initialize(new init.Xavier());
  net.inferShape(nd.zeros([BATCH, 784]));
  return net;
}

/** 16 batches of synthetic digits (the `mnist` package's parse alone peaks at ~0.5 GiB, which would hide what training uses). */
export function syntheticBatches(): { x: Float32Array; y: Float32Array }[] {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: 16 }, () => ({
    x: Float32Array.from({ length: BATCH * 784 }, next),
    y: Float32Array.from({ length: BATCH }, () => Math.floor(next() * 10)),
  }));
}

/** The user's training loop, one step per call. */
export function oursStepper(net: Net, data: { x: nd.NDArray; y: nd.NDArray }[]): { step: () => void; lastLoss: () => number } {
  net.hybridize();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  loss.hybridize();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LR, momentum: MOMENTUM });
  let k = 0;
  let last: nd.NDArray | null = null;
  return {
    step: () => {
      const b = data[k++ % data.length]!;
      const l = autograd.record(() => loss.call(net.call(b.x), b.y)) as nd.NDArray;
      l.backward();
      trainer.step(BATCH);
      last = l;
    },
    lastLoss: () => last!.mean().item(),
  };
}

/** The child of the built package (built-child.ts): 'baseline' or 'ours'; prints `{"maxRssKiB": n}`. */
export function memoryChild(name: string): void {
  if (name !== 'baseline' && name !== 'ours') throw new Error(`mlp-memory: unknown contender '${name}' (baseline or ours)`);
  const data = syntheticBatches();
  const net = mlpNet();
  if (name === 'ours') {
    const s = oursStepper(net, data.map((b) => ({ x: nd.array(b.x, { shape: [BATCH, 784] }), y: nd.array(b.y) })));
    for (let i = 0; i < MEMORY_STEPS; i++) s.step();
  }
  process.stdout.write(`${JSON.stringify({ maxRssKiB: Math.round(peakRssBytes() / 1024) })}\n`);
}
