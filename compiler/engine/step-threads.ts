/**
 * How many intra-op threads a fused training step runs with. `'auto'` (the
 * default) measures: a step starts on one thread; from its fifth run on it
 * alternates with a session of the same graph on several threads
 * (`min(cores, 4)`), times the native runs of both (two warm-up runs each,
 * then eight pairs of consecutive runs), keeps the several-thread session
 * only when the median of the pairs' time ratios says it is at least 10%
 * faster, and closes the other. Pairs of neighbouring runs see the same load
 * from other processes, so a busy spell does not decide; the choice is never
 * slower than one thread by more than the noise of those pairs, and uses the second
 * core where it pays (LeNet's convolutions; a small MLP's kernels usually do
 * not, and on a loaded machine nothing does). A step that runs fewer than
 * five times never opens the second session. A fixed count (`1`, or `0` for
 * onnxruntime's default, all physical cores) pins it: runs are then
 * bitwise reproducible from run to run, which a measured choice is not
 * (one and several threads may round differently).
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

/** Runs of one thread before the probe starts; warm-up and timed runs per session. */
const PROBE_AFTER = 4;
const WARMUP = 2;
const PAIRS = 8;
/** The several-thread session must be this much faster (median) to be kept. */
const MARGIN = 0.9;

/** The thread count the several-thread candidate uses on this machine (1: no probe). Example: `probeThreads() // 2 on a 2-core machine`. */
export function probeThreads(): number {
  return Math.min(os.availableParallelism(), 4);
}

/** What a probe decided, for inspection. Example: `fusedRunners().at(-1)!.threadChoice.threads`. */
export interface ThreadChoice {
  /** The threads the step runs with now (1 while probing). */
  threads: number;
  /** Median seconds per native run measured, by thread count (empty until decided). */
  measured: Record<number, number>;
  /** The median over pairs of consecutive runs of (several-thread time / one-thread time); NaN until decided. */
  ratio: number;
  /** True once the probe has decided (or when none was needed). */
  decided: boolean;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

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
  const choice: ThreadChoice = { threads: setting === 'auto' ? 1 : setting, measured: {}, ratio: NaN, decided: many <= 1 };
  if (choice.decided) return { run: single, choice, close: () => single.session.close() };
  let other: Session | null = null;
  let current = single;
  let runs = 0;
  const times: [number[], number[]] = [[], []];
  const run = ((feeds: Record<string, HostTensor>) => {
    if (choice.decided) return current(feeds);
    runs++;
    if (runs <= PROBE_AFTER) return single(feeds);
    other ??= Session.create(single.bytes, { threads: many, device });
    const k = runs - PROBE_AFTER - 1;
    const useOther = k % 2 === 0;
    const t0 = process.hrtime.bigint();
    const out = useOther ? other.runSync(feeds) : single(feeds);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (k >= 2 * WARMUP) times[useOther ? 1 : 0].push(dt);
    if (times[0].length >= PAIRS && times[1].length >= PAIRS) decide();
    return out;
  }) as Runner;
  const decide = (): void => {
    // Pair i: the several-thread run 2i and the one-thread run right after it.
    const ratio = median(times[1].map((t, i) => t / times[0][i]!));
    choice.measured = { 1: median(times[0]), [many]: median(times[1]) };
    choice.ratio = ratio;
    choice.decided = true;
    if (ratio < MARGIN) {
      const s = other!;
      single.session.close();
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
