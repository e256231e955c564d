/**
 * Dynamic batching for `serve`: requests queue here; when the model's
 * batch dimension is symbolic (dimension 0 of every input and output is the
 * same named dimension), requests that arrive within a short window are
 * concatenated along it, run as one batch and split back, so each request
 * gets exactly its own rows. The queue is bounded: past `maxQueue` pending
 * requests `submit` refuses at once (the server answers 503).
 * When a merged run fails, each of its requests is run alone, so a request
 * whose data fails the model (an index out of range) fails only itself.
 * Invariants: every accepted request is settled exactly once; `drain()`
 * resolves only when nothing is queued or running.
 */
import { allocate, type TypedArray } from './dtypes.js';
import type { Model } from './load-model.js';
import { formatShape, sizeOf, type HostTensor } from './tensor.js';

/** Options of a Batcher. Example: `{ batching: true, maxBatchSize: 64, windowMs: 0, maxQueue: 256 }`. */
export interface BatcherOptions {
  /** Merge concurrent requests (default true; ignored when the batch dimension is not symbolic). */
  batching?: boolean;
  /** The most rows in one merged batch (default 64); a larger request runs alone. */
  maxBatchSize?: number;
  /** How long the first queued request waits for others (ms); 0 (default) merges what arrived in the same event-loop turn. */
  windowMs?: number;
  /** The most requests accepted and not yet answered (default 256). */
  maxQueue?: number;
  /** Batches running at once (default 1; more helps only when runs go to several workers). */
  concurrency?: number;
  /** Called with each batch's row count and request count. */
  onBatch?: (rows: number, requests: number) => void;
}

/** Thrown by `submit` when the queue is full. */
export class QueueFullError extends Error {}

interface Item {
  feeds: Record<string, HostTensor>;
  rows: number;
  key: string;
  t: number;
  resolve: (out: Record<string, HostTensor>) => void;
  reject: (e: Error) => void;
}

/**
 * A request queue in front of a model.
 *
 * ```ts
 * const b = new Batcher(model, { maxBatchSize: 64 });
 * const out = await b.submit(checkFeeds(feeds, model.inputs, 'request'));
 * await b.drain();
 * ```
 */
export class Batcher {
  /** True when requests are merged (batching asked for and the model's batch dimension is symbolic). */
  readonly batching: boolean;
  /** Why batching is off although it was asked for (or ''). */
  readonly reason: string;
  private readonly queue: Item[] = [];
  private running = 0;
  private runningItems = 0;
  private armed = false;
  private readonly maxBatchSize: number;
  private readonly windowMs: number;
  private readonly maxQueue: number;
  private readonly concurrency: number;
  private idle: (() => void)[] = [];

  constructor(
    private readonly model: Model,
    private readonly options: BatcherOptions = {},
  ) {
    this.maxBatchSize = positive(options.maxBatchSize ?? 64, 'maxBatchSize');
    this.windowMs = options.windowMs ?? 0;
    if (!(this.windowMs >= 0)) throw new Error(`batch window must be >= 0 ms, got ${options.windowMs}`);
    this.maxQueue = positive(options.maxQueue ?? 256, 'maxQueue');
    this.concurrency = positive(options.concurrency ?? 1, 'concurrency');
    this.reason = options.batching === false ? '' : batchBlocker(model);
    this.batching = options.batching !== false && this.reason === '';
  }

  /** Requests accepted and not yet answered. */
  get pending(): number {
    return this.queue.length + this.runningItems;
  }

  /** Queues validated feeds; resolves with this request's outputs. Throws QueueFullError when full. */
  submit(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    if (this.pending >= this.maxQueue) throw new QueueFullError(`the server is busy: ${this.pending} requests are queued (maxQueue ${this.maxQueue}); retry later`);
    return new Promise((resolve, reject) => {
      const first = Object.values(feeds)[0];
      const rows = this.batching && first ? first.shape[0]! : 1;
      const key = this.batching ? Object.entries(feeds).map(([k, t]) => `${k}${formatShape(t.shape.slice(1))}`).join(';') : '';
      this.queue.push({ feeds, rows, key, t: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or running. */
  drain(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private schedule(): void {
    if (this.armed || this.running >= this.concurrency || !this.queue.length) return;
    const queuedRows = this.queue.reduce((n, it) => n + it.rows, 0);
    const wait = this.batching && queuedRows < this.maxBatchSize ? this.windowMs - (performance.now() - this.queue[0]!.t) : 0;
    this.armed = true;
    const go = (): void => {
      this.armed = false;
      this.flush();
    };
    // Window 0: what arrives in this event-loop turn joins the batch.
    if (wait > 0) setTimeout(go, wait);
    else setImmediate(go);
  }

  private flush(): void {
    if (this.running >= this.concurrency || !this.queue.length) return;
    const head = this.queue[0]!;
    const batch: Item[] = [];
    let rows = 0;
    if (!this.batching) batch.push(this.queue.shift()!);
    else {
      for (let i = 0; i < this.queue.length; ) {
        const it = this.queue[i]!;
        if (it.key === head.key && (batch.length === 0 || rows + it.rows <= this.maxBatchSize)) {
          batch.push(it);
          rows += it.rows;
          this.queue.splice(i, 1);
          if (rows >= this.maxBatchSize) break;
        } else i++;
      }
    }
    this.running++;
    this.runningItems += batch.length;
    this.options.onBatch?.(this.batching ? rows : batch[0]!.rows, batch.length);
    const done = (): void => {
      this.running--;
      this.runningItems -= batch.length;
      if (!this.pending) for (const r of this.idle.splice(0)) r();
      this.schedule();
    };
    let result: Promise<Record<string, HostTensor>>;
    try {
      result = this.model.run(batch.length === 1 ? batch[0]!.feeds : concat(batch));
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (out) => {
        if (batch.length === 1) batch[0]!.resolve(out);
        else split(out, batch);
        done();
      },
      (e: Error) => {
        if (batch.length === 1) {
          batch[0]!.reject(e);
          return done();
        }
        // One request's data can fail the merged run (an index out of range): run each alone, so only it fails.
        void Promise.allSettled(batch.map((it) => {
          this.options.onBatch?.(it.rows, 1);
          return Promise.resolve().then(() => this.model.run(it.feeds));
        })).then((results) => {
          results.forEach((r, i) => (r.status === 'fulfilled' ? batch[i]!.resolve(r.value) : batch[i]!.reject(r.reason as Error)));
          done();
        });
      },
    );
    if (this.running < this.concurrency) this.schedule();
  }
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${JSON.stringify(n)}`);
  return n;
}

/** '' when every input and output has the same symbolic dimension 0, else why not. */
function batchBlocker(model: Model): string {
  const all = [...model.inputs, ...model.outputs];
  const d0 = all[0]?.shape[0];
  if (typeof d0 !== 'string' || d0 === '?') return `dimension 0 of '${all[0]?.name}' is not a named symbolic dimension`;
  const other = all.find((x) => x.shape[0] !== d0);
  return other ? `dimension 0 of '${other.name}' ${formatShape(other.shape)} is not '${d0}'` : '';
}

/** The batch's inputs concatenated along dimension 0. */
function concat(batch: Item[]): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  const rows = batch.reduce((n, it) => n + it.rows, 0);
  for (const name of Object.keys(batch[0]!.feeds)) {
    const first = batch[0]!.feeds[name]!;
    const shape = [rows, ...first.shape.slice(1)];
    const data = allocate(first.dtype, sizeOf(shape));
    let off = 0;
    for (const it of batch) {
      const src = it.feeds[name]!.data;
      (data as Float32Array).set(src as Float32Array, off);
      off += src.length;
    }
    out[name] = { dtype: first.dtype, shape, data };
  }
  return out;
}

/** Each request's rows of the batch's outputs (views, not copies). */
function split(out: Record<string, HostTensor>, batch: Item[]): void {
  const parts: Record<string, HostTensor>[] = batch.map(() => ({}));
  for (const [name, t] of Object.entries(out)) {
    const rowSize = sizeOf(t.shape.slice(1));
    let row = 0;
    batch.forEach((it, i) => {
      const data = (t.data as TypedArray).subarray(row * rowSize, (row + it.rows) * rowSize) as TypedArray;
      parts[i]![name] = { dtype: t.dtype, shape: [it.rows, ...t.shape.slice(1)], data };
      row += it.rows;
    });
  }
  batch.forEach((it, i) => it.resolve(parts[i]!));
}
