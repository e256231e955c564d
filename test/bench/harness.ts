/**
 * Timing helpers and the table printer for the benchmarks (`npm run bench`).
 * A benchmark module exports `run(): Promise<BenchTable | BenchTable[]>`;
 * `run.ts` prints what it returns. Benchmarks are never tests: nothing here
 * asserts a time. Contenders are timed interleaved (`compare`), so a busy
 * machine slows all of them alike.
 * Invariant: every figure in a table was measured in the same process run
 * (nothing is copied in), and a missing measurement prints as `n/a`.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { constants as perfConstants, PerformanceObserver, performance } from 'node:perf_hooks';
import { ortVersion } from '../../runtime/ort.js';

const require = createRequire(import.meta.url);

/** One repeated measurement: seconds per call over `samples` samples of `iters` calls each. */
export interface Timing {
  /** Median seconds per call. */
  median: number;
  /** 10th and 90th percentile seconds per call (over samples). */
  p10: number;
  p90: number;
  samples: number;
  /** Calls per sample. */
  iters: number;
  /** Major garbage collections (mark-compact, incremental marking steps counted apart) that began during its samples, over all samples. */
  majorGcs?: number;
  /** `compare`'s seconds per call of each round, in round order (for `pairedRatio`). */
  rounds?: number[];
}

/**
 * The paired ratio of two contenders timed in one `compare`: the median over
 * rounds of `peer`'s seconds per call over `ours`'s in the same round (> 1:
 * ours is faster). A slow stretch of the machine (another tenant, a
 * frequency step) falls on both samples of a round, so it cancels here,
 * where a ratio of medians keeps whatever the stretch did to one side more
 * than to the other. NaN when either lacks rounds.
 *
 * ```ts
 * pairedRatio(t['ours threads=2']!, t['PyTorch 2 threads']!); // 1.04
 * ```
 */
export function pairedRatio(ours: Timing | undefined, peer: Timing | undefined): number {
  const a = ours?.rounds;
  const b = peer?.rounds;
  if (!a?.length || !b?.length) return NaN;
  const r = a.slice(0, b.length).map((v, i) => b[i]! / v).sort((x, y) => x - y);
  return quantile(r, 0.5);
}

/** How long to measure. Example: `{ warmupMs: 100, sampleMs: 5, samples: 21 }`. */
export interface TimeOptions {
  /** Warm-up time per contender before measuring (default 100 ms, at least 2 calls). */
  warmupMs?: number;
  /** Target duration of one sample; the calls per sample are chosen to reach it (default 5 ms). */
  sampleMs?: number;
  /** Number of samples per contender (default 21). */
  samples?: number;
  /** Stop after this much time per contender once `minSamples` rounds are in (default 1000 ms). */
  budgetMs?: number;
  /** Fewest samples even past the budget (default 7). */
  minSamples?: number;
  /**
   * Idle milliseconds after each warm-up and sample (default 0), untimed: a
   * contender with a thread pool leaves its workers spinning after its last
   * call (onnxruntime at 2 threads: 8-25 ms of CPU; PyTorch's OpenMP
   * workers: ~7 ms), which would otherwise fall on the next contender's sample.
   */
  gapMs?: number;
}

/**
 * One thing to time. `fn` is called back to back; an `async` contender's
 * calls are awaited one after another. `before` runs untimed before its
 * warm-up and before each of its samples (e.g. switching a tfjs backend).
 */
export interface Contender {
  name: string;
  fn: () => unknown;
  async?: boolean;
  before?: () => unknown;
  /**
   * Times `iters` calls itself and resolves with their seconds (a contender
   * in another process measures on its own clock, so the pipe to it is not
   * counted); `fn` is then used only where one untimed call is wanted.
   */
  measure?: (iters: number) => Promise<number>;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;
const idle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function summarize(perCall: number[], iters: number): Timing {
  const s = [...perCall].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), samples: s.length, iters };
}

async function loop(c: Contender, iters: number): Promise<number> {
  if (c.measure) return c.measure(iters);
  const t0 = now();
  if (c.async) for (let i = 0; i < iters; i++) await c.fn();
  else for (let i = 0; i < iters; i++) c.fn();
  return now() - t0;
}

/**
 * The order of round `round` of `n` contenders: a permutation drawn from a
 * generator seeded by the round (the same every run). A rotation (round s:
 * s, s+1, ...) put each contender always right after the same other one,
 * so whatever that one leaves behind (a spinning thread pool, garbage, a
 * cooled cache) fell on the same contender's every sample; a permutation per
 * round spreads it over all of them.
 *
 * ```ts
 * roundOrder(3, 4); // e.g. [2, 0, 3, 1]
 * ```
 */
export function roundOrder(round: number, n: number): number[] {
  const order = Array.from({ length: n }, (_v, i) => i);
  let s = (Math.imul(round + 1, 0x9e3779b1) ^ 0x85ebca6b) >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((s / 2 ** 32) * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Times several contenders against each other, interleaved: each round takes
 * one sample of every contender (in an order drawn per round: `roundOrder`),
 * so load from other processes falls on all of them alike and the ratios
 * stay fair on a busy machine. Each contender is warmed up first; the warm-up calibrates how
 * many calls make one sample. With `gapMs`, the machine idles that long
 * after every warm-up and sample, so one contender's spinning thread pool
 * does not fall on the next one's sample. `GLUONC_BENCH_TRACE=1` prints
 * every sample, this process's minor page faults per call, and the garbage
 * collections that began during each sample (scavenges / mark-compacts, and
 * the milliseconds of all collections, incremental marking included) to
 * stderr; each Timing counts the mark-compacts of its samples (`majorGcs`).
 *
 * ```ts
 * const t = await compare([{ name: 'ours', fn: () => nd.add(a, b) }, { name: 'tf', fn: () => tf.add(x, y).dispose() }]);
 * t.ours.median; // seconds per call
 * ```
 */
export async function compare(contenders: Contender[], o: TimeOptions = {}): Promise<Record<string, Timing>> {
  const warmupMs = o.warmupMs ?? 100;
  const sampleMs = o.sampleMs ?? 5;
  const samples = o.samples ?? 21;
  const budget = ((o.budgetMs ?? 1000) / 1000) * contenders.length;
  const minSamples = o.minSamples ?? 7;
  const gapMs = o.gapMs ?? 0;
  const iters: number[] = [];
  for (const c of contenders) {
    await c.before?.();
    let calls = 0;
    let spent = 0;
    const w0 = now();
    while (calls < 2 || now() - w0 < warmupMs / 1000) {
      spent += await loop(c, 1);
      calls++;
    }
    iters.push(Math.max(1, Math.round(sampleMs / 1000 / (spent / calls))));
    if (gapMs) await idle(gapMs);
  }
  const perCall: number[][] = contenders.map(() => []);
  const faults: number[][] = contenders.map(() => []);
  const trace = process.env['GLUONC_BENCH_TRACE'] === '1';
  // Garbage collections are watched during sampling (the count of major ones goes into each Timing).
  // Sample windows (performance.now) by contender, and the collections seen, to match up after sampling.
  const windows: [number, number][][] = contenders.map(() => []);
  const gcs: { start: number; ms: number; kind: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration, kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0 });
  });
  observer.observe({ entryTypes: ['gc'] });
  const start = now();
  for (let s = 0; s < samples; s++) {
    const order = roundOrder(s, contenders.length);
    for (let k = 0; k < contenders.length; k++) {
      const i = order[k]!;
      const c = contenders[i]!;
      await c.before?.();
      const f0 = process.resourceUsage().minorPageFault;
      const w0 = performance.now();
      perCall[i]!.push((await loop(c, iters[i]!)) / iters[i]!);
      windows[i]!.push([w0, performance.now()]);
      faults[i]!.push((process.resourceUsage().minorPageFault - f0) / iters[i]!);
      if (gapMs) await idle(gapMs);
    }
    if (s + 1 >= minSamples && now() - start > budget) break;
  }
  await idle(0); // the observer's last entries
  observer.disconnect();
  const during = (w: [number, number]) => gcs.filter((g) => g.start >= w[0] && g.start < w[1]);
  const majors = windows.map((ws) => ws.reduce((n, w) => n + during(w).filter((g) => g.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR).length, 0));
  if (trace) {
    for (const [i, c] of contenders.entries()) {
      const gc = windows[i]!.map((w) => {
        const d = during(w);
        const ms = d.reduce((a, g) => a + g.ms, 0);
        return `${d.filter((g) => g.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR).length}/${d.filter((g) => g.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR).length} ${ms.toFixed(1)}ms`;
      });
      console.error(`${c.name}: ms/call ${perCall[i]!.map((x) => (x * 1e3).toPrecision(3)).join(' ')}; page faults/call (this process) ${faults[i]!.map((x) => x.toFixed(0)).join(' ')}; GCs per sample (scavenges/major) ${gc.join(', ')}`);
    }
  }
  return Object.fromEntries(contenders.map((c, i) => [c.name, { ...summarize(perCall[i]!, iters[i]!), majorGcs: majors[i]!, rounds: perCall[i]! }]));
}

/** A figure in a table: a timing shown in the table's unit, or nothing (`n/a`). */
export type Cell = Timing | null | undefined;

/** One row: a label and a figure for "ours" and each peer column. */
export interface BenchRow {
  label: string;
  ours: Cell;
  peers: Record<string, Cell>;
  /** A short remark printed at the end of the row. */
  note?: string;
}

/**
 * A benchmark's result. Times are shown in `unit`: `'us'` or `'ms'` per call
 * (lower is better) or `'GFLOP/s'` (higher is better; needs `flops`, the
 * floating-point operations of one call).
 * Ratio columns read "> 1 means ours is better": peer time / ours time, or
 * ours rate / peer rate.
 *
 * ```ts
 * const t: BenchTable = { title: 'add [4]', unit: 'us', oursLabel: 'ours', peers: ['tfjs-cpu'], rows: [...] };
 * ```
 */
export interface BenchTable {
  title: string;
  unit: 'us' | 'ms' | 'GFLOP/s';
  /** Floating-point operations per call (for GFLOP/s), per row label or one for all rows. */
  flops?: number | Record<string, number>;
  /** The header of the "ours" column (default `ours`). */
  oursLabel?: string;
  /** Peer column headers, in order. */
  peers: string[];
  /** Peers that get a ratio column (default: all). */
  ratioPeers?: string[];
  rows: BenchRow[];
  /** Lines printed under the table (method, caveats, conclusions). */
  notes?: string[];
}

/** The machine and versions, as one line. */
export function machineInfo(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const parts = [
    `CPU: ${model}`,
    `${cpus.length} logical cores (available parallelism ${os.availableParallelism()})`,
    `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    `load average ${os.loadavg().map((x) => x.toFixed(1)).join('/')} (1/5/15 min, at start)`,
    `${os.platform()} ${os.arch()}`,
    `node ${process.version}`,
    `onnxruntime-node ${ortVersion()}`,
  ];
  const tfjs = packageVersion('@tensorflow/tfjs');
  if (tfjs) parts.push(`@tensorflow/tfjs ${tfjs}`);
  return parts.join(', ');
}

/** The installed version of a package, or undefined. */
export function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

function flopsOf(t: BenchTable, label: string): number {
  const f = typeof t.flops === 'number' ? t.flops : t.flops?.[label];
  if (!f) throw new Error(`table '${t.title}': row '${label}' needs flops for GFLOP/s`);
  return f;
}

function fmtNum(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** The displayed value of a timing: [median, low, high] in the table's unit. */
function display(t: BenchTable, label: string, c: Timing): [number, number, number] {
  if (t.unit === 'us') return [c.median * 1e6, c.p10 * 1e6, c.p90 * 1e6];
  if (t.unit === 'ms') return [c.median * 1e3, c.p10 * 1e3, c.p90 * 1e3];
  const f = flopsOf(t, label) / 1e9;
  return [f / c.median, f / c.p90, f / c.p10];
}

function cellText(t: BenchTable, label: string, c: Cell): string {
  if (!c) return 'n/a';
  const [m, lo, hi] = display(t, label, c);
  return `${fmtNum(m)} (${fmtNum(lo)}–${fmtNum(hi)})`;
}

/** "> 1 means ours is better": peer time / ours time, ours rate / peer rate. */
export function ratio(ours: Cell, peer: Cell): number | undefined {
  if (!ours || !peer) return undefined;
  return peer.median / ours.median;
}

/**
 * The table as Markdown-compatible text: one column for ours, one per peer,
 * then the ratio columns. Cells are "median (p10–p90)".
 */
export function formatTable(t: BenchTable): string {
  const ours = t.oursLabel ?? 'ours';
  const ratioPeers = t.ratioPeers ?? t.peers;
  const better = t.unit === 'GFLOP/s' ? 'higher' : 'lower';
  const header = ['', `${ours} [${t.unit}]`, ...t.peers.map((p) => `${p} [${t.unit}]`), ...ratioPeers.map((p) => (t.unit === 'GFLOP/s' ? `${ours} / ${p}` : `${p} / ${ours}`))];
  const anyNote = t.rows.some((r) => r.note);
  if (anyNote) header.push('note');
  const body = t.rows.map((r) => {
    const cells = [r.label, cellText(t, r.label, r.ours), ...t.peers.map((p) => cellText(t, r.label, r.peers[p]))];
    for (const p of ratioPeers) {
      const x = ratio(r.ours, r.peers[p]);
      cells.push(x === undefined ? 'n/a' : `${x.toFixed(2)}x`);
    }
    if (anyNote) cells.push(r.note ?? '');
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const out = [
    `### ${t.title}`,
    '',
    `Cells: median (p10–p90) in ${t.unit}, ${better} is better; ratio columns > 1 mean ${ours} is better.`,
    '',
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
  ];
  if (t.notes?.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

export { peakRssBytes } from './peak-rss.js';
