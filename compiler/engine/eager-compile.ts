/**
 * When the eager path compiles what it sees repeatedly: a recorded tape's
 * backward (tape-graph.ts) and the Trainer's update of all parameters
 * (update-graph.ts) are compiled into one graph per structure once that
 * structure has been seen `compileAfter` times (default 2: a one-off
 * backward or step stays eager and costs no compilation; a training loop
 * compiles at its second step). One setting for both.
 * Invariant: a structure whose graph could not be built is remembered and
 * not tried again (the eager path runs it, and reports any error).
 */

let compileAfter = 2;

/**
 * Sets after how many sightings of one structure the eager path compiles it
 * (`Infinity`: never, every backward and update runs operator by operator;
 * 1: at once). Returns the old value.
 *
 * ```ts
 * setEagerCompileAfter(Infinity);
 * ```
 */
export function setEagerCompileAfter(n: number): number {
  if (typeof n !== 'number' || !(n >= 1)) throw new Error(`setEagerCompileAfter: expected a number of sightings >= 1 (or Infinity), got ${JSON.stringify(n)}`);
  const old = compileAfter;
  compileAfter = n;
  return old;
}

/** The current setting (see `setEagerCompileAfter`). Example: `eagerCompileAfter() === Infinity`. */
export function eagerCompileAfter(): number {
  return compileAfter;
}

/**
 * Counts sightings of structure keys and remembers those that declined,
 * bounded (past `limit` keys it starts over).
 *
 * ```ts
 * const s = new Sightings();
 * if (s.due(key)) compile();
 * ```
 */
export class Sightings {
  private readonly seen = new Map<string, number>();
  private readonly declined = new Set<string>();

  constructor(private readonly limit = 1024) {}

  /** Counts a sighting of `key`; true when it is due for compilation (and was never declined). */
  due(key: string): boolean {
    if (compileAfter === Infinity || this.declined.has(key)) return false;
    const n = (this.seen.get(key) ?? 0) + 1;
    if (n < compileAfter) {
      if (this.seen.size >= this.limit) this.seen.clear();
      this.seen.set(key, n);
      return false;
    }
    this.seen.delete(key);
    return true;
  }

  /** Remembers that `key` cannot be compiled. */
  decline(key: string): void {
    if (this.declined.size >= this.limit) this.declined.clear();
    this.declined.add(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.seen.clear();
    this.declined.clear();
  }
}
