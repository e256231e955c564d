/**
 * Trains the GPT of models/gpt.ts to add numbers written as characters
 * (`"123+456="` → `579`, see addition-data.ts for the layout), on problems
 * it draws itself with a seeded generator, with a progress bar (loss,
 * answer-token accuracy, samples/s). Every `--eval-every` steps it measures
 * the exact-match accuracy on held-out problems (never trained on); at the
 * end it decodes them greedily with the compiled per-token step, shows a
 * few sampled (top-k, temperature) answers, saves the parameters, exports
 * the artifact and draws the loss/accuracy curve.
 *
 *   npx tsx models/examples/train-gpt.ts [--steps 2000] [--batch 128] [--digits 3] [--order plain|reversed] [--out gpt] [--curve FILE] [--seed 1] [--tiny]
 *
 * The net and the loss are hybridized, so each step (forward, loss,
 * gradients, Adam update) runs as one onnxruntime session run.
 */
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { autograd, gluon, init, lrScheduler, nd, random } from 'gluonc';
import build, { config as defaultConfig, type GPT, type GPTConfig } from '../gpt.js';
import { additionTask, decodeSum, type DigitOrder, detokenize, problemLength, promptLength, VOCAB, type Problems } from './addition-data.js';
import { writeCurve } from './curve.js';
import { generate, netStep } from './gpt-generate.js';
import { isMain, runMain } from './train-loop.js';

/** Options of `trainGpt`. */
export interface TrainGptOptions {
  /** Optimizer steps (default 2000). */
  steps?: number;
  /** Problems per step (default 128). */
  batchSize?: number;
  /** Digits per operand (default 3). */
  digits?: number;
  /** How the answer is written (default `plain`, see addition-data.ts). */
  order?: DigitOrder;
  /** Held-out problems (default 1000). */
  heldOut?: number;
  /** Evaluate on the held-out problems every this many steps (default steps / 20). */
  evalEvery?: number;
  /** Adam's peak learning rate, after a linear warm-up and before a cosine decay (default 0.003). */
  learningRate?: number;
  /** Model sizes (default: models/gpt.ts's `config`; `context` is set from the digits). */
  model?: Partial<GPTConfig>;
  /** Output stem: writes `<out>.params` and `<out>.onnx` (default `gpt`). */
  out?: string;
  /** The SVG curve (default `<out>-curve.svg`). */
  curve?: string;
  /** Seed of the problems, the initialization and dropout (default 1). */
  seed?: number;
  /** No progress bar and no log lines. */
  quiet?: boolean;
  log?: (line: string) => void;
}

/** One evaluation point of the curve. */
export interface GptRecord {
  step: number;
  /** Mean training cross-entropy per answer token since the previous point. */
  loss: number;
  /** Held-out exact match (every answer digit right, teacher-forced argmax — the same as greedy decoding). */
  heldOutAccuracy: number;
}

/** What `trainGpt` returns. */
export interface TrainGptResult {
  net: GPT;
  history: GptRecord[];
  /** Exact match of greedy generation on the held-out problems at the end. */
  accuracy: number;
  /** Training throughput (problems per second) over the whole run, evaluations excluded. */
  samplesPerSecond: number;
  seconds: number;
  /** A few held-out prompts with greedy and sampled answers, as text. */
  samples: string[];
  files: string[];
}

/** Inputs (all but the last token), targets (all but the first) and the answer-position weights of a batch. */
function batchArrays(p: Problems): { x: nd.NDArray; y: nd.NDArray; w: nd.NDArray } {
  const len = problemLength(p.digits);
  const t = len - 1;
  const x = new Int32Array(p.n * t);
  const y = new Int32Array(p.n * t);
  const w = new Float32Array(p.n * t);
  const first = promptLength(p.digits) - 1; // target index of the first answer digit
  for (let i = 0; i < p.n; i++) {
    x.set(p.tokens.subarray(i * len, i * len + t), i * t);
    y.set(p.tokens.subarray(i * len + 1, (i + 1) * len), i * t);
    w.fill(1, i * t + first, (i + 1) * t);
  }
  return {
    x: nd.array(x, { shape: [p.n, t], dtype: 'int32' }),
    y: nd.array(y, { shape: [p.n, t], dtype: 'int32' }),
    w: nd.array(w, { shape: [p.n, t, 1] }),
  };
}

/** Per-row argmax of logits [n, t, v] at the answer positions, and whether each row is entirely right. */
function answerMatches(logits: nd.NDArray, p: Problems): { exact: number; tokens: number } {
  const [n, t, v] = logits.shape as [number, number, number];
  const data = logits.data() as Float32Array;
  const len = problemLength(p.digits);
  const first = promptLength(p.digits) - 1;
  let exact = 0;
  let tokens = 0;
  for (let i = 0; i < n; i++) {
    let all = true;
    for (let j = first; j < t; j++) {
      let best = 0;
      for (let c = 1; c < v; c++) if (data[(i * t + j) * v + c]! > data[(i * t + j) * v + best]!) best = c;
      const ok = best === p.tokens[i * len + j + 1];
      if (ok) tokens++;
      else all = false;
    }
    if (all) exact++;
  }
  return { exact: exact / n, tokens: tokens / (n * (t - first)) };
}

/**
 * Held-out exact match by teacher forcing: one forward pass, every answer
 * position's argmax compared (equal to greedy decoding's exact match).
 *
 * ```ts
 * heldOutExactMatch(net, task.heldOut); // 0.993
 * ```
 */
export function heldOutExactMatch(net: GPT, p: Problems): number {
  const { x } = batchArrays(p);
  return answerMatches(net.call(x) as nd.NDArray, p).exact;
}

/**
 * Greedy generation's exact match on problems: the prompts alone are
 * given, the `digits + 1` answer tokens are generated with the compiled step.
 *
 * ```ts
 * await greedyExactMatch(net, task.heldOut); // 0.993
 * ```
 */
export async function greedyExactMatch(net: GPT, p: Problems): Promise<number> {
  const len = problemLength(p.digits);
  const t = promptLength(p.digits);
  const prompts = new Int32Array(p.n * t);
  for (let i = 0; i < p.n; i++) prompts.set(p.tokens.subarray(i * len, i * len + t), i * t);
  const out = await generate(netStep(net), prompts, p.n, t, { maxNew: len - t });
  let right = 0;
  for (let i = 0; i < p.n; i++) if (decodeSum(out.subarray(i * len + t, (i + 1) * len), p.order) === p.a[i]! + p.b[i]!) right++;
  return right / p.n;
}

/**
 * Trains, evaluates, saves and exports (see the file's header).
 *
 * ```ts
 * const r = await trainGpt({ steps: 2000, out: 'gpt' });   // writes gpt.params, gpt.onnx, gpt-curve.svg
 * r.accuracy; // ≥ 0.99 on 3-digit problems
 * ```
 */
export async function trainGpt(o: TrainGptOptions = {}): Promise<TrainGptResult> {
  const log = o.log ?? ((line: string) => console.log(line));
  const steps = o.steps ?? 2000;
  const batchSize = o.batchSize ?? 128;
  const digits = o.digits ?? 3;
  const seed = o.seed ?? 1;
  const evalEvery = o.evalEvery ?? Math.max(1, Math.round(steps / 20));
  const out = o.out ?? 'gpt';
  const curve = o.curve ?? `${out}-curve.svg`;
  for (const [k, v] of Object.entries({ steps, batchSize, evalEvery })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`train-gpt: ${k} must be a positive integer, got ${v}`);
  }
  const task = additionTask({ digits, heldOut: o.heldOut ?? 1000, seed, order: o.order });
  random.seed(seed);
  const net = build({ ...defaultConfig, ...o.model, vocab: VOCAB.length, context: problemLength(digits) - 1 });
  net.initialize(new init.Xavier());
  net.hybridize();
  const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
  lossFn.hybridize();
  const baseLr = o.learningRate ?? 0.003;
  const warmupSteps = Math.min(100, Math.floor(steps / 10));
  const schedule = new lrScheduler.CosineScheduler({ maxUpdate: Math.max(1, steps), baseLr, finalLr: baseLr / 100, warmupSteps });
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: baseLr, lrScheduler: schedule });
  // The weights average over every position; this rescales the loss to per answer token.
  const perAnswer = (problemLength(digits) - 1) / (digits + 1);

  const bar = new SingleBar({
    format: 'gpt |{bar}| {value}/{total} steps | loss {loss} | token acc {acc} | held-out {held} | {speed} samples/s',
    hideCursor: true,
    stream: process.stderr,
  });
  if (!o.quiet) bar.start(steps, 0, { loss: '-', acc: '-', held: '-', speed: '-' });
  const history: GptRecord[] = [];
  let lossSum = 0;
  let accSum = 0;
  let seen = 0;
  let trainMs = 0;
  let held = 0;
  const t0 = performance.now();
  try {
    for (let step = 1; step <= steps; step++) {
      const p = task.draw(batchSize);
      const { x, y, w } = batchArrays(p);
      const s0 = performance.now();
      let logits!: nd.NDArray;
      const loss = autograd.record(() => {
        logits = net.call(x) as nd.NDArray;
        return lossFn.call(logits, y, w) as nd.NDArray;
      });
      loss.backward();
      trainer.step(batchSize);
      // Read after the step: reading earlier would split the fused step in two.
      lossSum += loss.mean().item() * perAnswer;
      trainMs += performance.now() - s0;
      accSum += answerMatches(logits, p).tokens;
      seen++;
      if (step % evalEvery === 0 || step === steps) {
        held = heldOutExactMatch(net, task.heldOut);
        history.push({ step, loss: lossSum / seen, heldOutAccuracy: held });
        // The bar draws nothing on a pipe or a file: log a line there instead.
        if (!o.quiet && !process.stderr.isTTY) log(`step ${step}: loss ${(lossSum / seen).toFixed(4)}, held-out exact match ${(held * 100).toFixed(2)}%`);
        lossSum = 0;
        seen = 0;
      }
      if (!o.quiet) {
        bar.update(step, {
          loss: seen ? (lossSum / seen).toFixed(4) : history[history.length - 1]!.loss.toFixed(4),
          acc: (accSum / step).toFixed(3),
          held: `${(held * 100).toFixed(1)}%`,
          speed: Math.round((step * batchSize) / (trainMs / 1000)),
        });
      }
    }
  } finally {
    // The bar's timer would keep the process alive after an error.
    if (!o.quiet) bar.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const accuracy = await greedyExactMatch(net, task.heldOut);

  const shown = Math.min(4, task.heldOut.n);
  const len = problemLength(digits);
  const t = promptLength(digits);
  const prompts = task.heldOut.tokens.filter((_v, i) => i < shown * len && i % len < t);
  const greedy = await generate(netStep(net), prompts, shown, t, { maxNew: len - t });
  const sampled = await generate(netStep(net), prompts, shown, t, { maxNew: len - t, sample: true, topK: 3, temperature: 0.8, seed });
  const samples = Array.from({ length: shown }, (_x, i) => {
    const g = decodeSum(greedy.subarray(i * len + t, (i + 1) * len), task.heldOut.order) ?? '?';
    const s = decodeSum(sampled.subarray(i * len + t, (i + 1) * len), task.heldOut.order) ?? '?';
    return `${detokenize(prompts.subarray(i * t, (i + 1) * t))}${g} (sampled, top-3, T=0.8: ${s}; true ${task.heldOut.a[i]! + task.heldOut.b[i]!})`;
  });

  net.saveParameters(`${out}.params`);
  net.export(`${out}.onnx`, { inputs: { tokens: { shape: ['N', 'T'], dtype: 'int32' } } });
  writeCurve(
    curve,
    [
      { name: 'training loss (per answer token)', values: history.map((r) => r.loss), axis: 'left' },
      { name: 'held-out exact match', values: history.map((r) => r.heldOutAccuracy), axis: 'right' },
    ],
    { title: `GPT adding ${digits}-digit numbers (${steps} steps)`, xLabel: `evaluation (every ${evalEvery} steps)`, leftLabel: 'training loss', rightLabel: 'held-out exact match' },
  );
  return {
    net,
    history,
    accuracy,
    samplesPerSecond: (steps * batchSize) / (trainMs / 1000),
    seconds,
    samples,
    files: [`${out}.params`, `${out}.onnx`, curve],
  };
}

/** The tiny configuration of `--tiny` (tests): one small layer, a few steps. */
export const TINY: TrainGptOptions = { steps: 8, batchSize: 16, digits: 2, heldOut: 32, evalEvery: 4, model: { units: 16, layers: 1, heads: 2, hidden: 32 } };

/**
 * Parses the command line (`--steps --batch --digits --order --held-out --eval-every
 * --lr --layers --units --heads --out --curve --seed --tiny`); a bad value
 * throws an Error naming the flag.
 *
 * ```ts
 * gptFlags(['--steps', '100', '--tiny']); // { steps: 100, ... }
 * ```
 */
export function gptFlags(argv: string[]): TrainGptOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string' },
      batch: { type: 'string' },
      digits: { type: 'string' },
      order: { type: 'string' },
      'held-out': { type: 'string' },
      'eval-every': { type: 'string' },
      lr: { type: 'string' },
      layers: { type: 'string' },
      units: { type: 'string' },
      heads: { type: 'string' },
      out: { type: 'string' },
      curve: { type: 'string' },
      seed: { type: 'string' },
      tiny: { type: 'boolean' },
    },
    strict: true,
  });
  const int = (flag: string, v: string | undefined, min = 1): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  };
  const base: TrainGptOptions = values.tiny ? { ...TINY, model: { ...TINY.model } } : {};
  const lr = values.lr === undefined ? undefined : Number(values.lr);
  if (lr !== undefined && !(lr > 0)) throw new Error(`--lr must be a positive number, got '${values.lr}'`);
  if (values.order !== undefined && values.order !== 'plain' && values.order !== 'reversed') throw new Error(`--order must be plain or reversed, got '${values.order}'`);
  const model = { ...base.model };
  for (const k of ['layers', 'units', 'heads'] as const) {
    const v = int(k, values[k]);
    if (v !== undefined) model[k] = v;
  }
  const pick = <T>(v: T | undefined, fallback: T | undefined) => (v === undefined ? fallback : v);
  return {
    ...base,
    steps: pick(int('steps', values.steps), base.steps),
    batchSize: pick(int('batch', values.batch), base.batchSize),
    digits: pick(int('digits', values.digits), base.digits),
    order: pick(values.order as DigitOrder | undefined, base.order),
    heldOut: pick(int('held-out', values['held-out']), base.heldOut),
    evalEvery: pick(int('eval-every', values['eval-every']), base.evalEvery),
    learningRate: pick(lr, base.learningRate),
    seed: pick(int('seed', values.seed, 0), base.seed),
    out: values.out,
    curve: values.curve,
    model,
  };
}

if (isMain(import.meta.url)) {
  runMain('train-gpt', () => {
    const options = gptFlags(process.argv.slice(2));
    trainGpt(options).then(
      (r) => {
        const d = options.digits ?? 3;
        console.log(`held-out exact match ${(r.accuracy * 100).toFixed(2)}% (greedy, ${options.heldOut ?? 1000} unseen ${d}-digit problems); ${Math.round(r.samplesPerSecond)} problems/s; ${r.seconds.toFixed(1)} s`);
        for (const s of r.samples) console.log(`  ${s}`);
        console.log(`saved the parameters to ${r.files[0]}, the artifact to ${r.files[1]} and the curve to ${r.files[2]}`);
      },
      (e: Error) => {
        process.stderr.write(`train-gpt: ${e.message}\n`);
        if (process.env['GLUONC_DEBUG'] === '1') process.stderr.write(`${e.stack}\n`);
        process.exitCode = 1;
      },
    );
  });
}
