/**
 * The GPT benchmark's model, data and training loop, and its peak-memory
 * children that train with gluonc alone, apart from the bench's other
 * imports so that built-child.ts can bundle them into a plain `node` child
 * of the built package (see train-mlp.ts's mlp-memory.ts). It imports only
 * `gluonc` and models/gpt.ts: the sources under the bench's conditions,
 * dist/ when bundled.
 */
import { autograd, gluon, init, nd, random } from 'gluonc';
import build, { type GPT, type GPTConfig } from '../../models/gpt.js';
import { peakRssBytes } from './peak-rss.js';

export const CONFIG = { vocab: 64, units: 128, layers: 4, heads: 4, hidden: 512, context: 64, batch: 32, lr: 1e-3 };
export const MODEL: GPTConfig = { vocab: CONFIG.vocab, units: CONFIG.units, layers: CONFIG.layers, heads: CONFIG.heads, hidden: CONFIG.hidden, context: CONFIG.context, dropout: 0, tied: true };
export const BATCHES = 4;
export const MEMORY_STEPS = 10;
export const EMB = { vocab: 32000, units: 64, batch: 64, tokens: 128, classes: 10, steps: 5 };

/** Seeded random tokens: BATCHES × [batch, context + 1] (inputs are the first 64, targets the last 64). */
export function makeData(): Int32Array {
  let s = 2024;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Int32Array.from({ length: BATCHES * CONFIG.batch * (CONFIG.context + 1) }, () => Math.floor(next() * CONFIG.vocab));
}

/** Inputs [B, T] and targets [B, T] of batch k. */
export function split(data: Int32Array, k: number): { x: Int32Array; y: Int32Array } {
  const { batch: B, context: T } = CONFIG;
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  for (let i = 0; i < B; i++) {
    const row = data.subarray((k * B + i) * (T + 1), (k * B + i + 1) * (T + 1));
    x.set(row.subarray(0, T), i * T);
    y.set(row.subarray(1), i * T);
  }
  return { x, y };
}

/** models/gpt.ts seeded (random.seed(1)) and Xavier-initialized. */
export function ourNet(): GPT {
  random.seed(1);
  const net = build(MODEL);
  net.initialize(new init.Xavier());
  return net;
}

/** The user's training loop, one step per call; `firstLoss()` reads the loss of the first batch. */
export function oursStepper(net: GPT, data: Int32Array): { step: () => void; firstLoss: () => number } {
  net.hybridize();
  const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
  lossFn.hybridize();
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: CONFIG.lr, epsilon: 1e-8 });
  const batches = Array.from({ length: BATCHES }, (_v, k) => {
    const { x, y } = split(data, k);
    return { x: nd.array(x, { shape: [CONFIG.batch, CONFIG.context], dtype: 'int32' }), y: nd.array(y, { shape: [CONFIG.batch, CONFIG.context], dtype: 'int32' }) };
  });
  let k = 0;
  return {
    step: () => {
      const b = batches[k++ % BATCHES]!;
      const l = autograd.record(() => lossFn.call(net.call(b.x), b.y)) as nd.NDArray;
      l.backward();
      trainer.step(CONFIG.batch);
    },
    firstLoss: () => (autograd.pause(() => lossFn.call(net.call(batches[0]!.x), batches[0]!.y)) as nd.NDArray).mean().item(),
  };
}

/** The word-level embedding model of table (2). */
class BagOfWords extends gluon.HybridBlock {
  readonly embedding = new gluon.nn.Embedding(EMB.vocab, EMB.units);
  readonly out = new gluon.nn.Dense(EMB.classes, { inUnits: EMB.units });

  override hybridForward(F: gluon.F, tokens: gluon.Tensor): gluon.Tensor {
    return this.out.call(F.mean(this.embedding.call(tokens) as gluon.Tensor, { axis: 1 })) as gluon.Tensor;
  }
}

/** Ours's children: 'ours' trains MEMORY_STEPS steps, 'embedding' EMB.steps of table (2); a name ending in 'baseline' makes the same net and data and trains nothing. Prints `{"peakBytes": n}`. */
export function memoryChild(name: string): void {
  if (name.startsWith('embedding')) {
    let s = 7;
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const x = nd.array(Int32Array.from({ length: EMB.batch * EMB.tokens }, () => Math.floor(next() * EMB.vocab)), { shape: [EMB.batch, EMB.tokens], dtype: 'int32' });
    const y = nd.array(Float32Array.from({ length: EMB.batch }, () => Math.floor(next() * EMB.classes)));
    random.seed(1);
    const net = new BagOfWords();
    net.initialize(new init.Xavier());
    if (name === 'embedding') {
      net.hybridize();
      const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
      lossFn.hybridize();
      const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 1e-3 });
      for (let i = 0; i < EMB.steps; i++) {
        const l = autograd.record(() => lossFn.call(net.call(x), y)) as nd.NDArray;
        l.backward();
        trainer.step(EMB.batch);
        l.mean().item();
      }
    }
  } else {
    const data = makeData();
    const net = ourNet();
    if (name === 'ours') {
      const s = oursStepper(net, data);
      for (let i = 0; i < MEMORY_STEPS; i++) s.step();
      s.firstLoss();
    } else if (!name.startsWith('baseline')) {
      throw new Error(`gpt-memory: unknown contender '${name}' (ours, embedding, or a baseline)`);
    }
  }
  process.stdout.write(`${JSON.stringify({ peakBytes: peakRssBytes() })}\n`);
}
