/**
 * The transformer benchmark (`npm run bench -- gpt`):
 *
 * (1) One Adam training step of a GPT (models/gpt.ts: 4 pre-norm layers,
 *     128 units, 4 heads, feed-forward 512, context 64, vocabulary 64, tied
 *     output, no dropout), batch 32 sequences of 64 random tokens, softmax
 *     cross-entropy at every position. Ours is the user's code (hybridized
 *     net and loss, `autograd.record` + `backward` + `trainer.step`: one
 *     fused session run per step) against PyTorch on the CPU (the same
 *     network written with `torch.nn.TransformerEncoderLayer(norm_first,
 *     gelu)` and a causal mask, `torch.optim.Adam`, in a python3 child
 *     process driven step by step over a pipe — test/bench/gpt-torch.py),
 *     with 1 thread each and with all cores each, and TensorFlow.js (the
 *     same network written with its ops, `tf.train.adam`) on its cpu and
 *     wasm backends — all interleaved in one `compare`. Targets: ours ≥ 1.0×
 *     PyTorch, ≥ 20× the best tfjs backend. Peak memory: a child process per
 *     contender (PyTorch: its own maxrss); ours's children load the built
 *     package in plain node processes (gpt-memory.ts, bundled by
 *     built-child.ts), and as before through tsx on the sources.
 * (2) A word-level embedding step: Embedding(32,000, 64) on batches of
 *     64 × 128 tokens, mean over the tokens, Dense(10), softmax
 *     cross-entropy, Adam — peak RSS in a child process (target < 600 MiB;
 *     a one-hot gradient would need 8,192 × 32,000 floats = 1,000 MiB alone).
 *
 * Invariant: before timing, PyTorch's and tfjs's first loss from our
 * initial weights on the same batch must equal ours; no figure is asserted.
 * PyTorch missing (no python3 or no torch) skips its columns with the reason.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../../models/gpt.js';
import { setStepThreads, stepThreadCount } from '../../compiler/engine/program.js';
import { compare, peakRssBytes, type BenchTable, type Contender, type Timing } from './harness.js';
import { builtChild } from './built-child.js';
import { BATCHES, CONFIG, EMB, makeData, MEMORY_STEPS, memoryChild as oursMemoryChild, oursStepper, ourNet, split } from './gpt-memory.js';
import { agree, useTf } from './peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Steps take 0.1–10 s: one step per sample, interleaved. */
const OPTS = { warmupMs: 0, sampleMs: 1, samples: 7, budgetMs: 1, minSamples: 5 };
function weightsOf(net: GPT): Map<string, { shape: number[]; data: Float32Array }> {
  const w = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, p] of net.collectParams().entries()) w.set(k, { shape: p.shape, data: Float32Array.from(p.data().data() as Float32Array) });
  return w;
}

/** The PyTorch peer: a python3 child process taking one command per line. */
class TorchPeer {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly lines: Interface,
    readonly firstLoss: number,
  ) {}

  private static queue = new WeakMap<Interface, ((line: string) => void)[]>();

  /** Starts the child with our weights and data; rejects with the reason when python3 or torch is missing. */
  static async start(net: GPT, data: Int32Array, threads: number, dir: string): Promise<TorchPeer> {
    const probe = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) throw new Error(`PyTorch skipped: ${probe.error ? 'python3 not found' : (probe.stderr.trim().split('\n').pop() ?? 'import torch failed')}`);
    const index: [string, number[], number][] = [];
    const parts: Float32Array[] = [];
    let offset = 0;
    for (const [name, { shape, data: v }] of weightsOf(net)) {
      index.push([name, shape, offset]);
      parts.push(v);
      offset += v.length;
    }
    const flat = new Float32Array(offset);
    let at = 0;
    for (const p of parts) {
      flat.set(p, at);
      at += p.length;
    }
    writeFileSync(path.join(dir, 'weights.bin'), flat);
    writeFileSync(path.join(dir, 'data.bin'), data);
    const proc = spawn('python3', [path.join(here, 'gpt-torch.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const lines = createInterface({ input: proc.stdout! });
    const waiting: ((line: string) => void)[] = [];
    TorchPeer.queue.set(lines, waiting);
    lines.on('line', (l) => waiting.shift()?.(l));
    const exited = new Promise<string>((resolve) => proc.once('exit', (code) => resolve(`python3 exited (${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`)));
    const first = new Promise<string>((resolve) => waiting.push(resolve));
    proc.stdin!.write(`${JSON.stringify({ config: CONFIG, weights: path.join(dir, 'weights.bin'), index, data: path.join(dir, 'data.bin'), batches: BATCHES, threads })}\n`);
    const line = await Promise.race([first, exited.then((m) => Promise.reject(new Error(m)))]);
    const m = /^ready (\S+)$/.exec(line);
    if (!m) throw new Error(`gpt-torch.py answered '${line}'`);
    return new TorchPeer(proc, lines, Number(m[1]));
  }

  /** Sends a command; resolves with the answer line. */
  ask(cmd: string): Promise<string> {
    return new Promise((resolve) => {
      TorchPeer.queue.get(this.lines)!.push(resolve);
      this.proc.stdin!.write(`${cmd}\n`);
    });
  }

  async step(): Promise<void> {
    const a = await this.ask('step');
    if (a !== 'ok') throw new Error(`gpt-torch.py: ${a}`);
  }

  async peakRss(): Promise<number> {
    return Number(await this.ask('rss'));
  }

  close(): void {
    this.proc.stdin!.end('quit\n');
  }
}

/** The GPT written with TensorFlow.js ops, from our weights; `step()` returns the loss before the update. */
function tfStepper(net: GPT, data: Int32Array): { step: () => number; firstLoss: () => number; dispose: () => void } {
  const w = new Map([...weightsOf(net)].map(([k, v]) => [k, tf.variable(tf.tensor(v.data, v.shape))]));
  const g = (k: string) => w.get(k)!;
  const { batch: B, context: T, units: U, heads: H, vocab: V } = CONFIG;
  const d = U / H;
  // Additive causal mask [T, T]: 0 where s <= t, -1e9 above the diagonal.
  const maskAdd = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9);
  const ln = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
  };
  const dense = (x: tf.Tensor, W: tf.Tensor, b?: tf.Tensor) => {
    const y = tf.matMul(x as tf.Tensor2D, W as tf.Tensor2D, false, true);
    return b ? tf.add(y, b) : y;
  };
  const headsOf = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [B, T, H, d]), [0, 2, 1, 3]);
  const forward = (tokens: tf.Tensor): tf.Tensor => {
    // One-hot × table rather than gather: the wasm backend has no kernel for gather's gradient (UnsortedSegmentSum).
    const tok = tf.matMul(tf.oneHot(tf.reshape(tokens, [B * T]), V), g('embedding.weight') as tf.Tensor2D);
    let x = tf.reshape(tf.add(tf.reshape(tok, [B, T, U]), tf.slice(g('position.weight'), [0, 0], [T, U])), [B * T, U]);
    for (let l = 0; l < CONFIG.layers; l++) {
      const p = (n: string) => g(`blocks.${l}.${n}`);
      const h = ln(x, p('norm1.gamma'), p('norm1.beta'));
      const q = headsOf(dense(h, p('attention.query_weight'), p('attention.query_bias')));
      const k = headsOf(dense(h, p('attention.key_weight'), p('attention.key_bias')));
      const v = headsOf(dense(h, p('attention.value_weight'), p('attention.value_bias')));
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)), maskAdd);
      const ctx = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [B * T, U]);
      x = tf.add(x, dense(ctx, p('attention.out_weight'), p('attention.out_bias')));
      const f = dense(ln(x, p('norm2.gamma'), p('norm2.beta')), p('ffn1.weight'), p('ffn1.bias'));
      const gelu = tf.mul(tf.mul(f, 0.5), tf.add(1, tf.erf(tf.mul(f, Math.SQRT1_2))));
      x = tf.add(x, dense(gelu, p('ffn2.weight'), p('ffn2.bias')));
    }
    return dense(ln(x, g('norm.gamma'), g('norm.beta')), g('embedding.weight'));
  };
  const batches = Array.from({ length: BATCHES }, (_v, k) => {
    const { x, y } = split(data, k);
    return { x: tf.tensor2d(x, [B, T], 'int32'), y: tf.oneHot(tf.tensor1d(y, 'int32'), V) };
  });
  const lossOf = (k: number) => tf.losses.softmaxCrossEntropy(batches[k]!.y, forward(batches[k]!.x)) as tf.Scalar;
  const opt = tf.train.adam(CONFIG.lr, 0.9, 0.999, 1e-8);
  let k = 0;
  return {
    step: () => {
      const i = k++ % BATCHES;
      const loss = opt.minimize(() => lossOf(i), true)!;
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    },
    firstLoss: () => tf.tidy(() => lossOf(0).dataSync()[0]!),
    dispose: () => {
      tf.dispose([...w.values(), maskAdd, ...batches.flatMap((b) => [b.x, b.y])]);
      opt.dispose();
    },
  };
}

// ---------------------------------------------------------------- memory (child processes)

/** In a child of this file (through tsx, on the sources): tfjs trains, anything else is gpt-memory.ts's child. */
async function memoryChild(name: string): Promise<void> {
  if (!name.startsWith('tfjs')) return oursMemoryChild(name);
  const data = makeData();
  const net = ourNet();
  tf.enableProdMode();
  await useTf(name === 'tfjs-cpu' ? 'cpu' : 'wasm');
  const s = tfStepper(net, data);
  s.step();
  process.stdout.write(`${JSON.stringify({ peakBytes: peakRssBytes() })}\n`);
}

function peakRss(args: string[]): number | null {
  try {
    const out = execFileSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 600_000,
    });
    return (JSON.parse(out.trim().split('\n').pop()!) as { peakBytes: number }).peakBytes;
  } catch {
    return null;
  }
}

/** A child of this file through tsx on the sources, which imports everything the bench does (how the figures before the twenty-fourth session were measured). */
const sourceArgs = (name: string): string[] => ['--conditions=gluonc-source', '--import', 'tsx', fileURLToPath(import.meta.url), '--memory', name];

/**
 * The peak RSS of each child: ours's (and the embedding step's) as users run
 * them, the built package (dist/) in a plain node process (built-child.ts
 * bundles gpt-memory.ts), beside the children through tsx on the sources
 * (continuity with the earlier rows); tfjs's through tsx only.
 */
async function memoryPeaks(): Promise<{ built: Record<string, number | null> | string; source: Record<string, number | null> }> {
  const child = await builtChild(path.join(here, 'gpt-memory.ts'), 'memoryChild');
  const names = ['baseline (modules and data loaded, no training)', 'ours', 'embedding', 'embedding-baseline'];
  try {
    const built = 'file' in child ? Object.fromEntries(names.map((n) => [n, peakRss([child.file, n])])) : child.skipped;
    const source = Object.fromEntries([...names, 'tfjs-cpu', 'tfjs-wasm'].map((n) => [n, peakRss(sourceArgs(n))]));
    return { built, source };
  } finally {
    if ('dispose' in child) child.dispose();
  }
}

/**
 * The two peak-memory notes: the GPT step's (with PyTorch's peaks, from
 * the timing processes) and the embedding step's.
 * `node --conditions=gluonc-source --import tsx test/bench/gpt.ts --memory-notes`
 * prints them alone (after `npm run build`; no PyTorch).
 */
async function memoryNotes(torchPeaks: Record<string, number>): Promise<[string, string]> {
  const { built, source } = await memoryPeaks();
  const listed = (p: Record<string, number | null>, names: string[]): string => names.map((n) => `${n} ${mib(p[n] ?? null)}`).join('; ');
  const oursNames = ['baseline (modules and data loaded, no training)', 'ours'];
  const builtText = (names: string[]): string => (typeof built === 'string' ? `n/a (${built})` : listed(built, names));
  const torchText = Object.entries(torchPeaks).map(([n, b]) => `; PyTorch ${n} ${mib(b)}`).join('');
  return [
    `Peak RSS (VmHWM of a child process that trains ${MEMORY_STEPS} steps, tfjs 1; PyTorch: the timing process's own VmHWM). The built package (dist/) in a plain node process, as users run it, importing gluonc alone (the measured figure since the twenty-fourth session): ${builtText(oursNames)}. The sources through tsx, importing everything this bench imports (tfjs included; the figure of the earlier rows): ${listed(source, [...oursNames, 'tfjs-cpu', 'tfjs-wasm'])}${torchText}.`,
    `Peak RSS of a child process training ${EMB.steps} steps (target < 600 MiB), and of the same process without training (modules, weights and batch): the built package (dist/) in a plain node process, as users run it: ${builtText(['embedding', 'embedding-baseline'])}; the sources through tsx (the figure of the earlier rows): ${listed(source, ['embedding', 'embedding-baseline'])}.`,
  ];
}

const mib = (b: number | null): string => (b === null ? 'n/a' : `${Math.round(b / 2 ** 20)} MiB`);
const rate = (t: Timing | undefined): number => (t ? CONFIG.batch / t.median : NaN);
const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(x >= 100 ? 0 : 1) : 'n/a');

export async function run(): Promise<BenchTable[]> {
  const data = makeData();
  const cores = os.availableParallelism();
  const threadsBefore = stepThreadCount();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-bench-gpt-'));
  const notes: string[] = [];
  const torch: Record<string, TorchPeer> = {};
  const contenders: Contender[] = [];
  const settings: [string, number, number][] = [['1 thread', 1, 1], [`${cores} threads`, 0, cores]];
  let oursLoss = NaN;
  let tfCpu: (() => number) | null = null;
  try {
    for (const [label, oursThreads, torchThreads] of settings) {
      const net = ourNet();
      const s = oursStepper(net, data);
      oursLoss = s.firstLoss();
      contenders.push({ name: `ours ${label}`, before: () => setStepThreads(oursThreads), fn: s.step });
      try {
        const peer = await TorchPeer.start(ourNet(), data, torchThreads, dir);
        agree(`PyTorch first loss vs ours (${label})`, [peer.firstLoss], [oursLoss], 1e-4);
        torch[label] = peer;
        contenders.push({ name: `PyTorch ${label}`, async: true, fn: () => peer.step() });
      } catch (e) {
        if (!notes.some((n) => n.startsWith('PyTorch'))) notes.push((e as Error).message.startsWith('PyTorch') ? (e as Error).message : `PyTorch: ${(e as Error).message}`);
      }
    }
    tf.enableProdMode();
    for (const backend of ['cpu', 'wasm'] as const) {
      const name = `tfjs-${backend}`;
      try {
        await useTf(backend);
        const s = tfStepper(ourNet(), data);
        agree(`${name} first loss vs ours`, [s.firstLoss()], [oursLoss], 1e-4);
        s.step(); // a backend missing a gradient kernel fails here, with a note, not in the timing
        if (backend === 'cpu') tfCpu = s.step;
        else contenders.push({ name, before: () => useTf(backend), fn: s.step });
      } catch (e) {
        notes.push(`${name}: ${String((e as Error).message).split('\n')[0]}`);
      }
    }
    const t = await compare(contenders, OPTS);
    setStepThreads(threadsBefore);
    if (tfCpu) {
      // tfjs-cpu takes minutes per step on a loaded 2-core machine: two steps, timed after the others.
      await useTf('cpu');
      const step = tfCpu;
      t['tfjs-cpu'] = (await compare([{ name: 'tfjs-cpu', fn: step }], { warmupMs: 0, sampleMs: 1, samples: 2, budgetMs: 1, minSamples: 2 }))['tfjs-cpu']!;
      contenders.push({ name: 'tfjs-cpu', fn: step });
    }
    const torchPeaks = Object.fromEntries(await Promise.all(Object.entries(torch).map(async ([k, p]) => [k, await p.peakRss()] as const)));
    const [gptPeakNote, embPeakNote] = await memoryNotes(torchPeaks);
    const peers = contenders.map((c) => c.name).filter((n) => n !== 'ours 1 thread');
    const bestTf = Math.max(rate(t['tfjs-cpu']) || 0, rate(t['tfjs-wasm']) || 0);
    const vsTorch = settings.map(([label]) => `ours / PyTorch with ${label} = ${(rate(t[`ours ${label}`]) / rate(t[`PyTorch ${label}`])).toFixed(2)}x`).join('; ');
    return [
      {
        title: `gpt: one Adam step of a GPT (${CONFIG.layers} layers, ${CONFIG.units} units, ${CONFIG.heads} heads, feed-forward ${CONFIG.hidden}, context ${CONFIG.context}, vocabulary ${CONFIG.vocab}), batch ${CONFIG.batch}`,
        unit: 'ms',
        oursLabel: 'ours 1 thread',
        peers,
        rows: [{ label: 'ms per step', ours: t['ours 1 thread'], peers: Object.fromEntries(peers.map((p) => [p, t[p]])) }],
        notes: [
          `samples/s (median): ${contenders.map((c) => `${c.name} ${fmt(rate(t[c.name]))}`).join('; ')}.`,
          `${vsTorch} (target >= 1.0x); ours (best) / best tfjs = ${(Math.max(...settings.map(([l]) => rate(t[`ours ${l}`]))) / bestTf).toFixed(1)}x (target >= 20x).`,
          gptPeakNote,
          "ours: models/gpt.ts hybridized + hybridized SoftmaxCrossEntropyLoss, autograd.record + backward + trainer.step (Adam, one fused session run per step); fused-step threads set with setStepThreads (1, or 0 = onnxruntime's default, all cores). PyTorch: torch.nn.TransformerEncoderLayer(norm_first=True, activation='gelu', dropout=0, batch_first=True) with generate_square_subsequent_mask and is_causal=True, torch.set_num_threads as stated, Adam; each step is one request over a pipe to its python3 process (gpt-torch.py). tfjs: the same network with tf ops (one-hot matMul for the embedding — wasm has no kernel for gather's gradient —, matMul, softmax, erf-GELU, moments), tf.train.adam via optimizer.minimize.",
          'Ours, PyTorch and tfjs-wasm are timed interleaved (harness compare, one step per sample, 5 to 7 rounds); tfjs-cpu (minutes per step here) after them, 2 warm-up and 2 timed steps. The first losses from the same weights on the same batch agree to 1e-4 before timing.',
          ...notes,
        ],
      },
      {
        title: `gpt: word-level embedding step (Embedding(${EMB.vocab.toLocaleString('en-US')}, ${EMB.units}), batch ${EMB.batch} × ${EMB.tokens} tokens, mean, Dense(${EMB.classes}), Adam)`,
        unit: 'ms',
        peers: [],
        rows: [],
        notes: [
          embPeakNote,
          `The embedding's gradient is a scatter-add of ${EMB.batch * EMB.tokens} rows of ${EMB.units}; a one-hot gradient would hold ${EMB.batch * EMB.tokens} × ${EMB.vocab} floats (${Math.round((EMB.batch * EMB.tokens * EMB.vocab * 4) / 2 ** 20)} MiB) alone.`,
        ],
      },
    ];
  } finally {
    for (const p of Object.values(torch)) p.close();
    setStepThreads(threadsBefore);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && process.argv[2] === '--memory') {
  await memoryChild(process.argv[3] ?? 'ours');
}
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && process.argv[2] === '--memory-notes') {
  for (const note of await memoryNotes({})) console.log(note);
}
