/**
 * Counters that make the execution model observable: how many sessions were
 * created and run, how many graphs were compiled, how often a compiled graph
 * was reused, how many operators ran eagerly.
 * Invariant: counters only grow until `reset()`.
 */

/** The profiler's counters. */
export interface Counters {
  sessionsCreated: number;
  sessionRuns: number;
  compiles: number;
  cacheHits: number;
  eagerOps: number;
  kernelOps: number;
}

const state: Counters = { sessionsCreated: 0, sessionRuns: 0, compiles: 0, cacheHits: 0, eagerOps: 0, kernelOps: 0 };

/** Adds `n` to one counter. Example: `count('compiles')`. */
export function count(name: keyof Counters, n = 1): void {
  state[name] += n;
}

/** A snapshot of the counters. Example: `profiler.counters().sessionRuns`. */
export function counters(): Counters {
  return { ...state };
}

/** Sets every counter back to zero. */
export function reset(): void {
  for (const k of Object.keys(state) as (keyof Counters)[]) state[k] = 0;
}
