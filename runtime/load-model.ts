/**
 * `loadModel`: what a service uses to run an artifact. The file is checked
 * (runtime/model-file.ts) before onnxruntime sees it; inputs and outputs
 * come from the artifact's manifest, or from the graph for ONNX files made
 * by other tools; every feed is validated (runtime/feeds.ts) before a run.
 * Short runs execute inline (onnxruntime-node runs synchronously); runs
 * measured to take longer than `offloadAboveMs` (the fastest of the recent
 * runs of the same input size: other processes preempting a run lengthen
 * it, and a worker would not avoid that) move to worker threads
 * (runtime/worker.ts) so they do not hold the event loop.
 * Invariants: `close()` waits for runs in flight; a closed model refuses
 * runs; this module never loads the compiler.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkFeeds, type FeedGuards, type Feeds } from './feeds.js';
import type { ArtifactManifest } from './manifest.js';
import type { ModelFile } from './model-file.js';
import { openModel } from './open-model.js';
import { Session, type Device, type IOInfo, type SessionOptions } from './session.js';
import { formatShape, sizeOf, type HostTensor } from './tensor.js';
import { WorkerPool } from './worker.js';
import { checkOptions } from './check-options.js';
import { explainRunError } from './run-error.js';

/** Options of `loadModel`. Example: `{ device: 'cpu', threads: 1, maxBytes: 256 * 2 ** 20 }`. */
export interface LoadModelOptions {
  /** `cpu` (default) or `cuda`. */
  device?: Device;
  /** With `device: 'cuda'`, run on the CPU when CUDA is missing instead of failing. */
  fallback?: boolean;
  /** Intra-op threads per session; 0 (default) lets onnxruntime choose. */
  threads?: number;
  /** Refuse model files (and external data files) larger than this (default 2 GiB − 1). */
  maxBytes?: number;
  /**
   * Where `run` executes: `auto` (default) inline while runs of that input
   * size are measured below `offloadAboveMs`, in a worker above; `inline`
   * always on the calling thread; `worker` always in a worker thread.
   */
  offload?: 'auto' | 'inline' | 'worker';
  /** The duration (ms, the fastest of the recent runs of the same input size) above which `auto` moves runs to workers (default 2). */
  offloadAboveMs?: number;
  /** The most worker threads (default 1); each holds its own session. */
  workers?: number;
}

/** Options of one `run`. Example: `{ offload: 'worker' }`. */
export interface RunOptions {
  /** Overrides the model's `offload` choice for this run. */
  offload?: 'auto' | 'inline' | 'worker';
}

/** Runs so far and where they went (for tests and metrics). */
export interface RunStats {
  inline: number;
  worker: number;
}

/** Recent run durations kept per input size (the first run of a size not counted); the fastest decides (runs preempted on a loaded machine do not move the next ones). */
const RECENT = 7;

/**
 * The output bytes of an inline run for which the model keeps its outputs
 * referenced until its next inline run. onnxruntime-node copies every output
 * into a fresh buffer that V8 frees only at a later garbage collection, in
 * bulk; when all of them are garbage, glibc's malloc can hand the freed top
 * of its heap back to the system, and the next outputs fault their pages in
 * again (zero-filled twice). Keeping the newest outputs alive keeps the top
 * of the heap in use. Measured with an LSTM artifact (test/bench/rnn.ts):
 * 70-98 minor page faults per run without, 1-5 with at a 512 KB output;
 * 313 -> 30 at 2 MB; python onnxruntime: 0. Outputs under 64 KiB do not
 * make malloc trim; above 2 MiB keeping them was measured to add faults for
 * some graphs (a 4-16 MB Neg output), as was doing it for every session
 * (the fused MLP training step: 2 -> 26 per step), so only `Model` does it,
 * within these bounds. Nothing is reused: the caller owns the arrays.
 */
export const RETAIN_BYTES = { min: 64 * 2 ** 10, max: 2 * 2 ** 20 } as const;

/**
 * A loaded model.
 *
 * ```ts
 * const model = await loadModel('mlp.onnx');
 * model.inputs; // [{ name: 'x', dtype: 'float32', shape: ['N', 784] }]
 * const { output } = await model.run({ x: { data: new Float32Array(784), shape: [1, 784] } });
 * await model.close();
 * ```
 */
export class Model {
  /** The artifact's file name without `.onnx`. */
  readonly name: string;
  /** The file the model was loaded from. */
  readonly path: string;
  readonly inputs: IOInfo[];
  readonly outputs: IOInfo[];
  /** The gluonc manifest, or null for ONNX files from other tools. */
  readonly manifest: ArtifactManifest | null;
  /** The device the model runs on (after any fallback). */
  readonly device: Device;
  /** The file's ONNX IR version and imported opsets. */
  readonly irVersion: number;
  readonly opsets: Record<string, number>;
  readonly stats: RunStats = { inline: 0, worker: 0 };
  private session: Session | null;
  private readonly pool: WorkerPool;
  private readonly offload: 'auto' | 'inline' | 'worker';
  private readonly offloadAboveMs: number;
  /** Recent run durations (ms) by input-size bucket (log2 of the elements fed), a ring of RECENT. */
  private readonly recent = new Map<number, { ms: number[]; next: number }>();
  private closing: Promise<void> | null = null;
  private readonly where: string;
  /**
   * What every feed is checked against beyond the declared inputs: the
   * graph's operators that abort on an empty input (inputs with a 0
   * dimension are refused) and the manifest's size `constraints`.
   */
  readonly guards: Readonly<FeedGuards>;
  /** The latest inline run's outputs, when they total RETAIN_BYTES (see there). */
  private retained: Record<string, HostTensor> | null = null;

  /** @internal Use `loadModel`. */
  constructor(file: ModelFile & { path: string }, session: Session, options: LoadModelOptions, sessionOptions: SessionOptions) {
    this.path = file.path;
    this.where = `'${file.path}'`;
    this.name = path.basename(file.path).replace(/\.onnx$/i, '');
    this.manifest = file.manifest;
    this.guards = { emptyAborts: file.graph.emptyAborts, constraints: file.manifest?.constraints ?? [] };
    this.irVersion = file.irVersion;
    this.opsets = file.opsets;
    this.session = session;
    this.device = session.device;
    this.inputs = declared('inputs', file.manifest?.inputs, session.inputs, this.where);
    this.outputs = declared('outputs', file.manifest?.outputs, session.outputs, this.where);
    this.offload = options.offload ?? 'auto';
    if (!['auto', 'inline', 'worker'].includes(this.offload)) throw new Error(`${this.where}: offload must be 'auto', 'inline' or 'worker', got ${JSON.stringify(this.offload)}`);
    this.offloadAboveMs = options.offloadAboveMs ?? 2;
    // Workers load the bytes already checked; a model with external data loads by path (its folder holds the data).
    const source = file.externalData.length ? path.resolve(file.path) : file.bytes;
    this.pool = new WorkerPool(source, { ...sessionOptions, device: this.device, fallback: false }, options.workers ?? 1, this.where);
  }

  /** True until `close()` is called. */
  get open(): boolean {
    return this.closing === null;
  }

  /** Runs in worker threads now. */
  get inFlight(): number {
    return this.pool.inFlight;
  }

  /**
   * Validates `feeds` and runs the model; resolves with every output by name.
   * Short runs execute inline, long ones in a worker (see `offload`).
   *
   * ```ts
   * const out = await model.run({ x: { data, shape: [8, 784] } });
   * out.output.shape; // [8, 10]
   * ```
   */
  run(feeds: Feeds, options?: RunOptions): Promise<Record<string, HostTensor>> {
    let host: Record<string, HostTensor>;
    let bucket: number;
    try {
      this.checkOpen();
      if (options !== undefined) checkOptions(`Model.run (${this.where})`, options, ['offload']);
      host = checkFeeds(feeds, this.inputs, this.where, this.guards);
      bucket = this.bucketOf(host);
    } catch (e) {
      return Promise.reject(e);
    }
    const mode = options?.offload ?? this.offload;
    const toWorker = mode === 'worker' || (mode === 'auto' && this.typicalMs(bucket) > this.offloadAboveMs);
    if (!toWorker) {
      try {
        return Promise.resolve(this.inline(host, bucket));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    this.stats.worker++;
    return this.pool.run(host).then(
      ({ outputs, ms }) => {
        this.measure(bucket, ms);
        return outputs;
      },
      (e: unknown) => {
        throw explainRunError(e, this.where, this.path, this.inputs, host);
      },
    );
  }

  /**
   * Validates `feeds` and runs the model on the calling thread.
   *
   * ```ts
   * const { output } = model.runSync({ x: { data, shape: [1, 784] } });
   * ```
   */
  runSync(feeds: Feeds): Record<string, HostTensor> {
    this.checkOpen();
    const host = checkFeeds(feeds, this.inputs, this.where, this.guards);
    return this.inline(host, this.bucketOf(host));
  }

  /**
   * Waits for runs in flight, then releases the sessions and workers. Later runs throw.
   *
   * ```ts
   * await model.close();
   * ```
   */
  close(): Promise<void> {
    this.closing ??= this.pool.close().then(() => {
      this.session?.close();
      this.session = null;
      this.retained = null;
    });
    return this.closing;
  }

  /** Starts a worker and loads the model in it now, so the first offloaded run does not wait for it. */
  warmWorkers(): Promise<void> {
    return this.pool.warm();
  }

  /**
   * The latest inline run's outputs while the model keeps them referenced
   * (see RETAIN_BYTES), else null; for tests and diagnostics.
   *
   * ```ts
   * const out = model.runSync(feeds);
   * model.retainedOutputs === out; // when the outputs total 64 KiB to 2 MiB
   * ```
   */
  get retainedOutputs(): Record<string, HostTensor> | null {
    return this.retained;
  }

  private inline(host: Record<string, HostTensor>, bucket: number): Record<string, HostTensor> {
    const t0 = performance.now();
    let out: Record<string, HostTensor>;
    try {
      out = this.session!.runSync(host);
    } catch (e) {
      throw explainRunError(e, this.where, this.path, this.inputs, host);
    }
    this.measure(bucket, performance.now() - t0);
    this.stats.inline++;
    let bytes = 0;
    for (const k in out) bytes += out[k]!.data.byteLength;
    this.retained = bytes >= RETAIN_BYTES.min && bytes <= RETAIN_BYTES.max ? out : null;
    return out;
  }

  private checkOpen(): void {
    if (this.closing || !this.session) throw new Error(`${this.where}: the model is closed`);
  }

  private bucketOf(host: Record<string, HostTensor>): number {
    let n = 0;
    for (const k in host) n += sizeOf(host[k]!.shape);
    return Math.round(Math.log2(n + 1));
  }

  private measure(bucket: number, ms: number): void {
    const r = this.recent.get(bucket);
    // The first run of an input size pays one-time costs (onnxruntime plans memory for the shape): not counted.
    if (!r) {
      this.recent.set(bucket, { ms: [], next: 0 });
      return;
    }
    r.ms[r.next] = ms;
    r.next = (r.next + 1) % RECENT;
  }

  /** The fastest of the recent runs of this input size (0 until one was measured: the first two runs of a size are inline). */
  private typicalMs(bucket: number): number {
    const r = this.recent.get(bucket);
    if (!r || r.ms.length === 0) return 0;
    let min = Infinity;
    for (let i = 0; i < r.ms.length; i++) if (r.ms[i]! < min) min = r.ms[i]!;
    return min;
  }
}

/** The manifest's inputs/outputs when it agrees with the graph (names and dtypes), else the graph's; a disagreement is an error. */
function declared(what: 'inputs' | 'outputs', manifest: IOInfo[] | undefined, graph: IOInfo[], where: string): IOInfo[] {
  if (!manifest) return graph.map((g) => ({ name: g.name, dtype: g.dtype, shape: [...g.shape] }));
  const list = (xs: IOInfo[]): string => xs.map((x) => `'${x.name}' ${x.dtype} ${formatShape(x.shape)}`).join(', ');
  const same = manifest.length === graph.length && manifest.every((m) => {
    const g = graph.find((x) => x.name === m.name);
    return g && g.dtype === m.dtype && g.shape.length === m.shape.length;
  });
  if (!same) throw new Error(`${where}: the manifest declares ${what} ${list(manifest)} but the graph has ${list(graph)}`);
  // The graph's order is the session's; the manifest's shapes carry the symbolic names.
  return graph.map((g) => {
    const m = manifest.find((x) => x.name === g.name)!;
    return { name: g.name, dtype: g.dtype, shape: [...m.shape] };
  });
}

/**
 * Loads an artifact (or any ONNX file onnxruntime runs) for serving: checks
 * the file, creates the session and reads the declared inputs and outputs.
 *
 * ```ts
 * const model = await loadModel('mlp.onnx', { device: 'cpu' });   // 'cuda' where installed
 * const out = await model.run({ x: { data: new Float32Array(784), shape: [1, 784] } });
 * out.output.data; // Float32Array(10)
 * await model.close();
 * ```
 */
export async function loadModel(file: string, options: LoadModelOptions = {}): Promise<Model> {
  if (typeof file !== 'string' || !file) throw new Error(`loadModel: needs a model file path, got ${JSON.stringify(file)}`);
  checkOptions(`loadModel('${file}')`, options, ['device', 'fallback', 'threads', 'maxBytes', 'offload', 'offloadAboveMs', 'workers']);
  const sessionOptions: SessionOptions = { device: options.device, fallback: options.fallback, threads: options.threads };
  const { file: checked, session } = openModel(file, { ...sessionOptions, maxBytes: options.maxBytes });
  try {
    return new Model(checked, session, options, sessionOptions);
  } catch (e) {
    session.close();
    throw e;
  }
}
