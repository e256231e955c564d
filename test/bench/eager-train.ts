/**
 * (d) of the eager benchmark: eager (not hybridized) autograd training of
 * the MLP 784-256-128-10 (ReLU), batch 64, SGD with momentum, softmax
 * cross-entropy — `autograd.record(() => loss.call(net.call(x), y))`,
 * `l.backward()`, `trainer.step(64)` on a plain `nn.Sequential` — against
 * PyTorch's eager step at 1 and 2 threads (test/bench/torch-peer.ts: same
 * weights, batches and optimizer), and against ours with the eager
 * compilation off (`setEagerCompileAfter(Infinity)`: every forward operator,
 * gradient rule and optimizer operator run one by one, as before the
 * deferred forward and the compiled backward and update). Target: ours >=
 * 0.5x PyTorch eager.
 * Invariant: one step of each of ours and of PyTorch from the same weights
 * on the same batch give the same new weights before anything is timed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as src from 'gluonc';
import * as srcCompile from '../../compiler/engine/eager-compile.js';
import { compare, type BenchTable, type Contender, type Timing } from './harness.js';
import { agree } from './peers.js';
import { startTorch, TORCH_SKIPPED } from './torch-peer.js';

const BATCH = 64;
const LR = 0.1;
const MOMENTUM = 0.9;
/** 30 ms idle after each sample: PyTorch's OpenMP workers spin after its 2-thread steps (harness.ts). */
const OPTS = { warmupMs: 300, sampleMs: 60, samples: 15, budgetMs: 2500, minSamples: 7, gapMs: 30 };

type Gluonc = typeof src;
type Policy = typeof srcCompile;

/** The built package (dist/), as users run it, with its eager-compilation setting; null when not built (or GLUONC_BENCH_SOURCES=1). */
async function built(): Promise<{ g: Gluonc; policy: Policy } | null> {
  if (process.env['GLUONC_BENCH_SOURCES'] === '1') return null;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'compiler');
  const index = join(root, 'gluon', 'index.js');
  const policy = join(root, 'engine', 'eager-compile.js');
  if (!existsSync(index) || !existsSync(policy)) return null;
  return { g: (await import(pathToFileURL(index).href)) as Gluonc, policy: (await import(pathToFileURL(policy).href)) as Policy };
}

/** 16 synthetic batches of digits-like data (deterministic). */
function batches(): { x: Float32Array; y: Float32Array }[] {
  let s = 12345;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: 16 }, () => ({
    x: Float32Array.from({ length: BATCH * 784 }, next),
    y: Float32Array.from({ length: BATCH }, () => Math.floor(next() * 10)),
  }));
}

/** The user's eager training loop on a fresh, seeded MLP; one step per call. */
function stepper(g: Gluonc, data: { x: Float32Array; y: Float32Array }[]) {
  const { gluon, nd, autograd, random, init } = g;
  random.seed(1);
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(256, { activation: 'relu' }), new gluon.nn.Dense(128, { activation: 'relu' }), new gluon.nn.Dense(10));
  net.initialize(new init.Xavier());
  const xs = data.map((b) => ({ x: nd.array(b.x, { shape: [BATCH, 784] }), y: nd.array(b.y) }));
  net.call(xs[0]!.x);
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LR, momentum: MOMENTUM });
  let k = 0;
  let last: src.nd.NDArray | null = null;
  return {
    net,
    step: () => {
      const b = xs[k++ % xs.length]!;
      const l = autograd.record(() => loss.call(net.call(b.x), b.y)) as src.nd.NDArray;
      l.backward();
      trainer.step(BATCH);
      last = l;
    },
    lastLoss: () => last!.mean().item(),
    params: () => net.collectParams().values().map((p) => Float32Array.from(p.data().data() as Float32Array)),
  };
}

/** The eager training table (see the module comment). */
export async function eagerTraining(): Promise<BenchTable> {
  const data = batches();
  const b = await built();
  const g = b?.g ?? src;
  const policy = b?.policy ?? srcCompile;
  const which = b ? 'the built package (dist/)' : 'the TypeScript sources through tsx (dist/ not built, or GLUONC_BENCH_SOURCES=1)';
  const defaultAfter = policy.eagerCompileAfter();
  const notes: string[] = [];

  // Agreement: one step of each from the same weights on the same batch.
  const check = stepper(g, data);
  check.step();
  const firstLoss = check.lastLoss();
  const after = check.params();
  const off = stepper(g, data);
  policy.setEagerCompileAfter(Infinity);
  off.step();
  policy.setEagerCompileAfter(defaultAfter);
  off.params().forEach((v, i) => agree(`parameter ${i} after one step (op by op vs ours)`, v, after[i]!, 1e-5));

  const contenders: Contender[] = [];
  const ours = stepper(g, data);
  for (let i = 0; i < 3; i++) ours.step(); // from the second step on, backward and update are compiled
  contenders.push({ name: 'ours', before: () => policy.setEagerCompileAfter(defaultAfter), fn: ours.step });
  contenders.push({ name: 'ours, op by op', before: () => policy.setEagerCompileAfter(Infinity), fn: off.step });
  const torch = await startTorch();
  const torchNames: string[] = [];
  if (torch) {
    const fresh = stepper(g, data);
    const params = fresh.net.collectParams().values().map((p, i) => ({ name: `p${i}`, shape: [...p.shape], data: Float32Array.from(p.data().data() as Float32Array) }));
    await torch.setup({ model: 'mlp', params, batches: data, xShape: [BATCH, 784], lr: LR, momentum: MOMENTUM });
    const l0 = await torch.step(1, 1);
    agree('first loss (PyTorch vs ours)', [l0], [firstLoss], 1e-5);
    (await torch.params()).forEach((v, i) => agree(`parameter ${i} after one step (PyTorch vs ours)`, v, after[i]!, 1e-5));
    for (const th of [1, 2]) {
      const name = `PyTorch ${th} thread${th > 1 ? 's' : ''}`;
      torchNames.push(name);
      contenders.push(torch.contender(name, th));
    }
    notes.push(`PyTorch ${torch.version} eager (nn.Linear + relu, F.cross_entropy mean, torch.optim.SGD momentum ${MOMENTUM}; same weights and batches; its first step gives our weights); it times its steps on its own clock in its python3 process.`);
  } else notes.push(TORCH_SKIPPED);
  let t: Record<string, Timing>;
  try {
    t = await compare(contenders, OPTS);
  } finally {
    policy.setEagerCompileAfter(defaultAfter);
    torch?.close();
  }
  const rate = (x: Timing | undefined) => (x ? BATCH / x.median : NaN);
  const ratios = ['ours, op by op', ...torchNames].map((n) => `ours / ${n} = ${(rate(t.ours) / rate(t[n])).toFixed(2)}x`);
  notes.push(
    `ours: ${which}; a plain nn.Sequential (not hybridized) and SoftmaxCrossEntropyLoss, autograd.record + backward() + trainer.step(${BATCH}), SGD lr ${LR} momentum ${MOMENTUM}, 16 synthetic batches in turn. From a structure's second sighting the recorded forward (deferred, lazy-op.ts), the backward (tape-graph.ts) and the update of all parameters (update-graph.ts) run as one compiled graph: one session run per step.`,
    "ours, op by op: the same with setEagerCompileAfter(Infinity): each forward operator, gradient rule's operator and optimizer operator runs at once, one by one (a one-node session or a TypeScript kernel each), as eager training ran before.",
    `Samples/s: ${[['ours', t.ours], ['ours, op by op', t['ours, op by op']], ...torchNames.map((n) => [n, t[n]])].map(([n, x]) => `${n as string} ${Math.round(rate(x as Timing))}`).join(', ')}; ${ratios.join(', ')} (target: ours >= 0.5x PyTorch eager).`,
    'Contenders are timed interleaved (harness compare); on a shared machine compare ratios, not absolute figures.',
    `The ${OPTS.gapMs} ms idle gap after each sample lets V8 run its mark-compacts untimed: a loop without idle time pays them (RESULTS.md, qa-eagerstep: the eager step's pending-operator registry made one every ~28 steps until the 26th session).`,
  );
  return {
    title: `eager training step: MLP 784-256-128-10, batch ${BATCH}, SGD momentum (ms per step)`,
    unit: 'ms',
    peers: ['ours, op by op', ...torchNames],
    rows: [{ label: 'ms per step', ours: t.ours, peers: Object.fromEntries(['ours, op by op', ...torchNames].map((n) => [n, t[n]])) }],
    notes,
  };
}
