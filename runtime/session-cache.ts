/**
 * The one cache of compiled things that hold onnxruntime sessions: keyed by a
 * string, bounded by a least-recently-used size, releasing what it evicts,
 * counting hits in the profiler. Every cache of the framework is one of
 * these: eager one-node sessions, a hybridized block's signatures, the fused
 * training steps.
 * Invariant: an entry leaves the cache only through `release` (eviction,
 * `delete`, `clear`), so no session is dropped without being closed.
 */
import { count, type Counters } from './profiler.js';

/** Options of a SessionCache. */
export interface SessionCacheOptions<V> {
  /** Entries kept before the least recently used is released (at least 1). */
  size: number;
  /** Releases an entry (closes its session). */
  release: (value: V) => void;
  /** The profiler counter a hit adds to (none when omitted). */
  hitCounter?: keyof Counters;
}

/**
 * A bounded, least-recently-used cache whose evicted entries are released.
 *
 * ```ts
 * const cache = new SessionCache<Runner>({ size: 8, release: (r) => r.session.close(), hitCounter: 'cacheHits' });
 * const run = cache.get(key, () => compileGraph(g, types));
 * ```
 */
export class SessionCache<V> {
  private readonly map = new Map<string, V>();
  /** The most recently used key (a repeated hit, the per-step case, needs no reordering). */
  private recent: string | undefined = undefined;
  private sizeLimit: number;
  private readonly release: (value: V) => void;
  private readonly hitCounter: keyof Counters | undefined;

  constructor(options: SessionCacheOptions<V>) {
    this.sizeLimit = SessionCache.checkSize(options.size);
    this.release = options.release;
    this.hitCounter = options.hitCounter;
  }

  private static checkSize(n: number): number {
    if (!(n >= 1)) throw new Error(`SessionCache: the size must be at least 1, got ${n}`);
    return n;
  }

  /** The entries kept before eviction; lowering it evicts at once. Example: `cache.limit = 4`. */
  get limit(): number {
    return this.sizeLimit;
  }

  set limit(n: number) {
    this.sizeLimit = SessionCache.checkSize(n);
    this.evict();
  }

  /** The number of entries held. */
  get size(): number {
    return this.map.size;
  }

  /** The entry of `key` (a hit: counted and made most recent), or undefined. Example: `cache.lookup(key)`. */
  lookup(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (this.hitCounter) count(this.hitCounter);
    if (key !== this.recent) {
      this.map.delete(key);
      this.map.set(key, v);
      this.recent = key;
    }
    return v;
  }

  /** The entry of `key`, made by `make` when missing (the least recently used are released past the size). Example: `cache.get(k, build)`. */
  get(key: string, make: () => V): V {
    const hit = this.lookup(key);
    if (hit !== undefined) return hit;
    const v = make();
    this.set(key, v);
    return v;
  }

  /** Stores `value` under `key` (releasing an entry it replaces), then evicts past the size. Example: `cache.set(k, v)`. */
  set(key: string, value: V): void {
    const old = this.map.get(key);
    if (old !== undefined && old !== value) this.release(old);
    this.map.delete(key);
    this.map.set(key, value);
    this.recent = key;
    this.evict();
  }

  /** The entry of `key` without counting a hit or reordering. Example: `cache.peek(k)?.used`. */
  peek(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Releases and removes the entry of `key`, if any. Example: `cache.delete(k)`. */
  delete(key: string): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    this.map.delete(key);
    if (key === this.recent) this.recent = undefined;
    this.release(v);
  }

  /** Releases every entry. Example: `cache.clear()`. */
  clear(): void {
    const all = [...this.map.values()];
    this.map.clear();
    this.recent = undefined;
    for (const v of all) this.release(v);
  }

  /** The entries, least recently used first. Example: `[...cache.values()]`. */
  values(): IterableIterator<V> {
    return this.map.values();
  }

  private evict(): void {
    while (this.map.size > this.sizeLimit) {
      const [k, old] = this.map.entries().next().value as [string, V];
      this.map.delete(k);
      if (k === this.recent) this.recent = undefined;
      this.release(old);
    }
  }
}
