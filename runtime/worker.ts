/**
 * Worker threads for long inference runs: a pool of workers, each holding
 * its own onnxruntime session of the same model, so a long `run` leaves the
 * event loop free. This one file is both sides: imported normally it exports
 * `WorkerPool`; started as a worker (with the pool's `workerData`) it loads
 * the model and answers run requests.
 * Invariants: a worker is never terminated while it runs — `close()` waits
 * for every run in flight, then asks each worker to release its session and
 * exit; a worker only keeps the process alive while it has runs pending.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Session, type SessionOptions } from './session.js';
import type { HostTensor } from './tensor.js';

const KIND = 'gluonc-model-worker';

interface InitData {
  kind: typeof KIND;
  model: Uint8Array | string;
  options: SessionOptions;
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type: 'done'; id: number; outputs: Record<string, HostTensor>; ms: number }
  | { type: 'error'; id: number; error: string };

/** What a worker run resolves with: the outputs and the run's duration inside the worker. */
export interface WorkerResult {
  outputs: Record<string, HostTensor>;
  ms: number;
}

interface Job {
  resolve: (r: WorkerResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, Job>;
  exited: Promise<void>;
  dead: Error | null;
}

/**
 * A pool of up to `size` workers running one model; workers start on the
 * first run that needs them.
 *
 * ```ts
 * const pool = new WorkerPool(bytes, { threads: 1 }, 2, "'mlp.onnx'");
 * const { outputs } = await pool.run({ x: { dtype: 'float32', shape: [1024, 784], data } });
 * await pool.close();
 * ```
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly model: Uint8Array | string,
    private readonly options: SessionOptions,
    readonly size: number,
    private readonly where: string,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`${where}: workers must be a positive integer, got ${JSON.stringify(size)}`);
  }

  /** Runs pending in workers. */
  get inFlight(): number {
    return this.slots.reduce((n, s) => n + s.pending.size, 0);
  }

  /** Starts the pool's first worker now (instead of on the first run); resolves once it has loaded the model. */
  warm(): Promise<void> {
    return (this.slots[0] ?? this.spawn()).ready;
  }

  /** Runs validated host tensors in the least busy worker. */
  run(feeds: Record<string, HostTensor>): Promise<WorkerResult> {
    if (this.closing) return Promise.reject(new Error(`${this.where}: the model is closed`));
    let slot = this.slots.reduce<Slot | undefined>((best, s) => (!best || s.pending.size < best.pending.size ? s : best), undefined);
    if (!slot || (slot.pending.size > 0 && this.slots.length < this.size)) slot = this.spawn();
    const id = this.nextId++;
    const s = slot;
    return new Promise<WorkerResult>((resolve, reject) => {
      if (s.pending.size === 0) s.worker.ref();
      s.pending.set(id, { resolve, reject });
      s.worker.postMessage({ type: 'run', id, feeds });
    });
  }

  /** Waits for every run in flight, then lets each worker release its session and exit. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.slots.map((s) => Promise.all([...s.pending.values()].map((j) => new Promise<void>((r) => {
        const { resolve, reject } = j;
        j.resolve = (x) => (resolve(x), r());
        j.reject = (e) => (reject(e), r());
      })))));
      for (const s of this.slots) {
        if (!s.dead) {
          s.worker.ref();
          s.worker.postMessage({ type: 'close' });
        }
      }
      await Promise.all(this.slots.map((s) => s.exited));
    })();
    return this.closing;
  }

  private spawn(): Slot {
    const init: InitData = { kind: KIND, model: this.model, options: this.options };
    // From TypeScript sources the worker registers tsx itself (loader hooks do not reach worker threads).
    const worker = import.meta.url.endsWith('.ts')
      ? new Worker(
          `import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`,
          { eval: true, workerData: init },
        )
      : new Worker(new URL(import.meta.url), { workerData: init });
    worker.unref();
    let onReady!: () => void;
    let onFail!: (e: Error) => void;
    const slot: Slot = {
      worker,
      pending: new Map(),
      dead: null,
      ready: new Promise<void>((res, rej) => ((onReady = res), (onFail = rej))),
      exited: new Promise<void>((res) => worker.once('exit', () => res())),
    };
    slot.ready.catch(() => undefined);
    const fail = (e: Error): void => {
      slot.dead = e;
      onFail(e);
      for (const j of slot.pending.values()) j.reject(e);
      slot.pending.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closing) this.slots.splice(i, 1);
    };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') return onReady();
      if (m.type === 'failed') return fail(new Error(`${this.where}: a worker could not load the model: ${m.error}`));
      const job = slot.pending.get(m.id);
      if (!job) return;
      slot.pending.delete(m.id);
      if (slot.pending.size === 0 && !this.closing) worker.unref();
      if (m.type === 'done') job.resolve({ outputs: m.outputs, ms: m.ms });
      else job.reject(new Error(m.error));
    });
    worker.on('error', (e) => fail(new Error(`${this.where}: a worker failed: ${e.message}`)));
    worker.on('exit', (code) => {
      if (!this.closing || slot.pending.size) fail(new Error(`${this.where}: a worker exited (code ${code})`));
    });
    this.slots.push(slot);
    return slot;
  }
}

/** The file URL of tsx's ESM API (`tsx/esm/api`, its `import` entry). */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = require(pkgFile) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
}

function serveRuns(init: InitData): void {
  const port = parentPort!;
  let session: Session;
  try {
    session = Session.create(init.model, init.options);
  } catch (e) {
    port.postMessage({ type: 'failed', error: (e as Error).message } satisfies FromWorker);
    port.close();
    return;
  }
  port.postMessage({ type: 'ready' } satisfies FromWorker);
  port.on('message', (m: { type: 'run'; id: number; feeds: Record<string, HostTensor> } | { type: 'close' }) => {
    if (m.type === 'close') {
      session.close();
      port.close();
      return;
    }
    const t0 = performance.now();
    try {
      const outputs = session.runSync(m.feeds);
      const ms = performance.now() - t0;
      const msg: FromWorker = { type: 'done', id: m.id, outputs, ms };
      try {
        port.postMessage(msg, Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer));
      } catch {
        port.postMessage(msg); // buffers that cannot be transferred are copied
      }
    } catch (e) {
      port.postMessage({ type: 'error', id: m.id, error: (e as Error).message } satisfies FromWorker);
    }
  });
}

if (!isMainThread && (workerData as InitData | undefined)?.kind === KIND) serveRuns(workerData as InitData);
