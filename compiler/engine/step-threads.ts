/**
 * How many intra-op threads a fused training step runs with. `'auto'` (the
 * default) measures, in steady state: a step starts on one thread and runs
 * there until its run times have settled (`PROBE`: a process's first runs
 * of a step are several times slower than later ones, page-faulting in the
 * binding's fresh output buffers, and a choice made then is noise); it then
 * alternates with a session of the same graph on several threads
 * (`min(cores, 4)`), times the native runs of both in pairs of neighbouring
 * runs, keeps the several-thread session only when the median of the pairs'
 * time ratios says it is at least 10% faster, and closes the other. Pairs
 * of neighbouring runs see the same load from other processes, and a pair
 * in which a run page-faulted does not count, so a busy spell does not
 * decide; the choice is never slower than one thread by more than the noise
 * of those pairs, and uses the second core where it pays (LeNet's
 * convolutions; a small MLP's kernels do not: the MNIST MLP step ran slower
 * on onnxruntime's 2 threads than on 1 with every intra-op setting tried —
 * allow_spinning 0, dynamic_block_base 4, a worker affinity — so the probe
 * keeps one thread there).
 * The probe's several-thread session runs without onnxruntime's memory
 * arena: an arena is sized by the step's largest run and stays resident in
 * the heap after its session closes, and the probe's alone lifted a
 * 300-step MNIST MLP run's peak RSS by ~7 MiB (median of 6 children: 279.5
 * MiB against 272.5 with one fixed thread; 275.5 with the arena off). Its
 * runs are ~1-2% slower for it, well inside the 10% margin; when several
 * threads win, the step continues on a fresh session with the arena (the
 * one a fixed count opens), so steady-state runs are unaffected.
 * A step that runs fewer than `2 * PROBE.window` times never opens the
 * second session; the probe ends within `PROBE.settleCap + 2 * (PROBE.warmup +
 * PROBE.pairCap)` runs. A fixed count (`1`, or `0` for onnxruntime's
 * default, all physical cores) pins it: runs are then bitwise reproducible
 * from run to run, which a measured choice is not (one and several threads
 * may round differently).
 * Invariant: every run of a probing step goes to exactly one of its two
 * sessions, with the same feeds; the decision is taken once per compiled step.
 */
import os from 'node:os';
import { Session } from '../../runtime/session.js';
import type { HostTensor } from '../../runtime/tensor.js';
import type { Runner } from '../compile.js';

let stepThreads: number | 'auto' = 'auto';

/**
 * Sets the intra-op threads of fused training-step sessions: a count (0:
 * onnxruntime's default, all physical cores) or `'auto'` (the default:
 * measured per compiled step, see the module comment). Part of the step's
 * cache key: changing it compiles (once) a session with the new setting.
 *
 * ```ts
 * setStepThreads(1); // one thread, bitwise reproducible runs
 * ```
 */
export function setStepThreads(n: number | 'auto'): void {
  if (n !== 'auto' && (!Number.isInteger(n) || n < 0)) {
    throw new Error(`setStepThreads: expected a non-negative integer or 'auto', got ${JSON.stringify(n)}`);
  }
  stepThreads = n;
}

/** The intra-op threads setting of fused training-step sessions (see `setStepThreads`). Example: `stepThreadCount() === 'auto'`. */
export function stepThreadCount(): number | 'auto' {
  return stepThreads;
}

/**
 * The probe's limits. A process's first runs of a step are slow for reasons
 * that have nothing to do with threads: onnxruntime-node copies every output
 * into a fresh ArrayBuffer, and until V8's garbage collector has freed the
 * first of them, each run page-faults its outputs in (an MLP step: ~460
 * minor faults, ~7 ms instead of 0.85). So the probe waits until one thread
 * has settled: the last `window` runs page-faulted at most `faultPages`
 * pages each and their median time is no more than 5% below the median of
 * the `window` runs before them (or `settleCap` runs have passed). It then
 * alternates the sessions: `warmup` pairs untimed, then pairs of neighbouring
 * runs (the order within a pair alternates); a pair counts when neither of
 * its runs page-faulted, and `pairs` counting pairs decide (or `pairCap`
 * pairs, counting or not, whichever comes first).
 * Example: `PROBE.settleCap // 200`.
 */
export const PROBE = { window: 8, faultPages: 16, settleCap: 200, warmup: 4, pairs: 12, pairCap: 48 } as const;
/** The several-thread session must be this much faster (median pair ratio) to be kept. */
const MARGIN = 0.9;
/** A window whose median is below this fraction of the window before it is still falling. */
const FALLING = 0.95;

/** The thread count the several-thread candidate uses on this machine (1: no probe). Example: `probeThreads() // 2 on a 2-core machine`. */
export function probeThreads(): number {
  return Math.min(os.availableParallelism(), 4);
}

/** What a probe decided, for inspection. Example: `fusedRunners().at(-1)!.threadChoice.threads`. */
export interface ThreadChoice {
  /** The threads the step runs with now (1 while probing). */
  threads: number;
  /** Median seconds per native run over the counting pairs, by thread count (empty until decided). */
  measured: Record<number, number>;
  /** The median over counting pairs of (several-thread time / one-thread time); NaN until decided. */
  ratio: number;
  /** True once the probe has decided (or when none was needed). */
  decided: boolean;
  /** Runs of one thread before the probe began (0 when there was none). */
  settleRuns: number;
  /** The pairs that counted (neither run page-faulted) and all timed pairs. */
  pairs: { counted: number; timed: number };
}

/** One native run as the probe sees it: seconds and the process's minor page faults during it. Example: `{ seconds: 8.5e-4, faults: 0 }`. */
export interface ProbeRun {
  seconds: number;
  faults: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : NaN;
};

/**
 * Whether one-thread runs have settled (see `PROBE`): the last `window` runs
 * page-faulted at most `faultPages` pages each and their median is not more
 * than 5% below the median of the `window` runs before them.
 *
 * ```ts
 * settled(Array(16).fill({ seconds: 1e-3, faults: 0 })); // true
 * ```
 */
export function settled(runs: readonly ProbeRun[]): boolean {
  const w = PROBE.window;
  if (runs.length < 2 * w) return false;
  const last = runs.slice(-w);
  if (last.some((r) => r.faults > PROBE.faultPages)) return false;
  return median(last.map((r) => r.seconds)) >= FALLING * median(runs.slice(-2 * w, -w).map((r) => r.seconds));
}

/**
 * The decision from timed pairs `[one thread, several threads]`: pairs in
 * which either run page-faulted more than `faultPages` pages do not count
 * (unless none is left); the several-thread session is kept when the median
 * of the counting pairs' time ratios is below 0.9.
 *
 * ```ts
 * decidePairs([[{ seconds: 2e-3, faults: 0 }, { seconds: 1e-3, faults: 0 }]]).keepMany; // true
 * ```
 */
export function decidePairs(pairs: readonly [ProbeRun, ProbeRun][]): { keepMany: boolean; ratio: number; one: number; many: number; counted: number } {
  const clean = pairs.filter(([a, b]) => a.faults <= PROBE.faultPages && b.faults <= PROBE.faultPages);
  const use = clean.length ? clean : pairs;
  const ratio = median(use.map(([a, b]) => b.seconds / a.seconds));
  return { keepMany: ratio < MARGIN, ratio, one: median(use.map(([a]) => a.seconds)), many: median(use.map(([, b]) => b.seconds)), counted: clean.length };
}

/** Runs `f`, timing it and counting the process's minor page faults. */
function observe<T>(f: () => T): [T, ProbeRun] {
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = process.hrtime.bigint();
  const out = f();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return [out, { seconds, faults: process.resourceUsage().minorPageFault - f0 }];
}

/**
 * The runner of a compiled step under the thread policy: with a fixed count
 * it is `single` itself; with `'auto'` a runner that probes as the module
 * comment says and then forwards to the kept session. `close` releases
 * whatever sessions it holds.
 *
 * ```ts
 * const run = threadedRunner(compileGraph(g, {}, { paramsAsInputs: true, threads: 1 }), 'cpu');
 * ```
 */
export function threadedRunner(single: Runner, device: 'cpu' | 'cuda', setting: number | 'auto' = stepThreads): { run: Runner; choice: ThreadChoice; close: () => void } {
  const many = setting === 'auto' && device === 'cpu' ? probeThreads() : 1;
  const choice: ThreadChoice = { threads: setting === 'auto' ? 1 : setting, measured: {}, ratio: NaN, decided: many <= 1, settleRuns: 0, pairs: { counted: 0, timed: 0 } };
  if (choice.decided) return { run: single, choice, close: () => single.session.close() };
  let other: Session | null = null;
  let current = single;
  const alone: ProbeRun[] = [];
  const pairs: [ProbeRun, ProbeRun][] = [];
  let pending: { one?: ProbeRun; many?: ProbeRun } = {};
  let k = 0; // runs since the several-thread session opened
  const run = ((feeds: Record<string, HostTensor>) => {
    if (choice.decided) return current(feeds);
    if (!other) {
      const [out, r] = observe(() => single(feeds));
      alone.push(r);
      if (alone.length >= PROBE.settleCap || settled(alone)) {
        choice.settleRuns = alone.length;
        other = Session.create(single.bytes, { threads: many, device, arena: false });
      }
      return out;
    }
    // Pair p = k >> 1 runs the several-thread session first when p is even, second when odd.
    const p = k >> 1;
    const useOther = (k & 1) === (p & 1);
    k++;
    const s = other;
    const [out, r] = observe(() => (useOther ? s.runSync(feeds) : single(feeds)));
    if (p >= PROBE.warmup) {
      if (useOther) pending.many = r;
      else pending.one = r;
      if (pending.one && pending.many) {
        pairs.push([pending.one, pending.many]);
        pending = {};
        const counted = decidePairs(pairs).counted;
        if (counted >= PROBE.pairs || pairs.length >= PROBE.pairCap) decide();
      }
    }
    return out;
  }) as Runner;
  const decide = (): void => {
    const d = decidePairs(pairs);
    choice.measured = { 1: d.one, [many]: d.many };
    choice.ratio = d.ratio;
    choice.pairs = { counted: d.counted, timed: pairs.length };
    choice.decided = true;
    if (d.keepMany) {
      // The kept session is the one a fixed count would open (arena on); the probe's goes.
      single.session.close();
      other!.close();
      const s = Session.create(single.bytes, { threads: many, device });
      current = ((feeds: Record<string, HostTensor>) => s.runSync(feeds)) as Runner;
      current.session = s;
      current.bytes = single.bytes;
      choice.threads = many;
    } else {
      other!.close();
      current = single;
    }
    other = null;
    run.session = current.session;
  };
  run.session = single.session;
  run.bytes = single.bytes;
  return {
    run,
    choice,
    close: () => {
      other?.close();
      current.session.close();
    },
  };
}
