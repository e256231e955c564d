/**
 * One wrapper over onnxruntime-node for every caller: device choice, thread
 * settings, synchronous and asynchronous runs, host tensors in and out.
 * Invariant: a Session owns exactly one native session until `close()`.
 */
import type { Tensor as OrtTensor } from 'onnxruntime-common';
import { fromOnnxDType, fromOrtType, type DType } from './dtypes.js';
import { cudaProviderInstalled, ortBinding, ortLogSeverity, OrtTensorClass, type BindingSession } from './ort.js';
import { count } from './profiler.js';
import { formatShape, sizeOf, type HostTensor } from './tensor.js';

/** Where a session runs. */
export type Device = 'cpu' | 'cuda';

/** Options for creating a session. Example: `{ device: 'cpu', threads: 1 }`. */
export interface SessionOptions {
  /** `cpu` (default) or `cuda` (needs onnxruntime-node's CUDA provider). */
  device?: Device;
  /** With `device: 'cuda'`, run on the CPU instead of failing when CUDA is missing. */
  fallback?: boolean;
  /** Intra-op threads; 0 lets onnxruntime choose; unset: `defaultThreads()` (GLUONC_THREADS, else 0). */
  threads?: number;
  /** With several threads, let idle workers spin waiting for work (onnxruntime's default); false frees the cores between runs. */
  spinning?: boolean;
  /** onnxruntime graph optimization level (default `all`). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * onnxruntime's CPU memory arena (default true). false: each run's buffers
   * are malloc'd and freed, so a short-lived session leaves no arena of its
   * own behind in the heap (see compiler/engine/step-threads.ts's probe).
   */
  arena?: boolean;
}

/** A session input or output: name, dtype and shape (symbolic dimensions by name). */
export interface IOInfo {
  name: string;
  dtype: DType;
  shape: (number | string)[];
}

/**
 * The command that fetches onnxruntime-node's CUDA execution provider into an
 * existing install, run in the project folder: onnxruntime-node's own install
 * script, run directly (`npm install` does nothing on an installed tree, and
 * package.json's `allowScripts` keeps npm from running that script).
 *
 * ```ts
 * console.log(`run: ${CUDA_INSTALL_COMMAND}`);
 * ```
 */
export const CUDA_INSTALL_COMMAND = 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install';

/**
 * Why a CUDA session cannot start and what fixes it, without a way around it
 * (callers add theirs: the API's `fallback: true`, `gluonc serve --fallback`).
 *
 * ```ts
 * if (!cudaProviderInstalled()) throw new Error(CUDA_MISSING);
 * ```
 */
export const CUDA_MISSING =
  "onnxruntime-node's CUDA execution provider is not installed; on a machine with an NVIDIA GPU (CUDA 12) and network access, " +
  `fetch it by running \`${CUDA_INSTALL_COMMAND}\` in the project folder`;

/**
 * The intra-op threads of a session whose options set none: the environment
 * variable `GLUONC_THREADS` (a non-negative integer; 0 lets onnxruntime
 * choose, one thread per core), else 0. A count given in the options (a
 * session's `threads`, `loadModel`'s, `gluonc bench --threads`, the training
 * step's `setStepThreads`) wins over it. `GLUONC_THREADS=1` runs every such
 * session on the calling thread: no pool of threads spinning between runs,
 * which pays on small graphs and on a machine shared with other work (the
 * test suite runs with it: .mocharc.json).
 *
 * ```ts
 * process.env.GLUONC_THREADS = '1';
 * defaultThreads(); // 1
 * ```
 */
export function defaultThreads(): number {
  const v = process.env['GLUONC_THREADS'];
  if (v === undefined || v.trim() === '') return 0;
  if (!/^\d+$/.test(v.trim())) throw new Error(`GLUONC_THREADS='${v}': expected a non-negative integer (the intra-op threads of sessions that set none; 0 lets onnxruntime choose)`);
  return Number(v.trim());
}

/** The message the API gives when the CUDA provider is not installed. Example: `e.message === CUDA_INSTALL_HINT`. */
export const CUDA_INSTALL_HINT = `${CUDA_MISSING} (or pass fallback: true to run on the CPU)`;

/**
 * A compiled ONNX model ready to run.
 *
 * ```ts
 * const s = Session.create(bytes, { threads: 1 });
 * const { y } = s.runSync({ x: { dtype: 'float32', shape: [1, 2], data: new Float32Array(2) } });
 * ```
 */
export class Session {
  readonly inputs: IOInfo[];
  readonly outputs: IOInfo[];
  /** The device the session actually runs on (after any fallback). */
  readonly device: Device;
  private native: BindingSession | null;
  private readonly fetches: Record<string, null>;
  private readonly runOptions = { logSeverityLevel: ortLogSeverity() };

  private constructor(native: BindingSession, device: Device) {
    this.native = native;
    this.device = device;
    this.inputs = native.inputMetadata.map(ioInfo);
    this.outputs = native.outputMetadata.map(ioInfo);
    this.fetches = Object.fromEntries(this.outputs.map((o) => [o.name, null]));
  }

  /** Creates a session from ONNX bytes or a file path. Throws a named error for an unloadable model. */
  static create(model: Uint8Array | string, options: SessionOptions = {}): Session {
    const binding = ortBinding();
    const device = options.device ?? 'cpu';
    if (device !== 'cpu' && device !== 'cuda') throw new Error(`unknown device '${String(device)}' (use 'cpu' or 'cuda')`);
    const base: Record<string, unknown> = {
      graphOptimizationLevel: options.optimization ?? 'all',
      intraOpNumThreads: options.threads ?? defaultThreads(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: ortLogSeverity(),
    };
    if (options.arena === false) base['enableCpuMemArena'] = false;
    if (options.spinning === false) base['extra'] = { session: { intra_op: { allow_spinning: '0' } } };
    const load = (eps: string[]): BindingSession => {
      const native = new binding.InferenceSession();
      const opts = { ...base, executionProviders: eps };
      if (typeof model === 'string') native.loadModel(model, opts);
      else native.loadModel(model.buffer, model.byteOffset, model.byteLength, opts);
      return native;
    };
    let native: BindingSession;
    let actual: Device = device;
    if (device === 'cuda') {
      try {
        if (!cudaProviderInstalled()) throw new Error('CUDA provider library is not installed');
        native = load(['cuda']);
      } catch (e) {
        if (!isMissingProvider(e)) throw loadError(model, e);
        if (!options.fallback) throw new Error(CUDA_INSTALL_HINT);
        native = loadOrThrow(() => load(['cpu']), model);
        actual = 'cpu';
      }
    } else {
      native = loadOrThrow(() => load(['cpu']), model);
    }
    count('sessionsCreated');
    return new Session(native, actual);
  }

  /**
   * Runs synchronously on host tensors; returns every output by name.
   * The inputs go to the binding as plain tensor records over the host
   * tensors' memory (no onnxruntime-common Tensor per input per run); the
   * outputs are the binding's own copies (onnxruntime-node copies every
   * output into a new buffer, also into pre-allocated fetches, so those
   * would save nothing).
   */
  runSync(feeds: Record<string, HostTensor>): Record<string, HostTensor> {
    const native = this.native;
    if (!native) throw new Error('session is closed');
    const ortFeeds: Record<string, OrtTensor> = {};
    const inputs = this.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const info = inputs[i]!;
      const t = feeds[info.name];
      if (!t) throw new Error(`missing input '${info.name}' (expected ${info.dtype} ${formatShape(info.shape)})`);
      ortFeeds[info.name] = bindingTensor(t);
    }
    count('sessionRuns');
    const out = native.run(ortFeeds, this.fetches, this.runOptions);
    const result: Record<string, HostTensor> = {};
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) {
      const name = outputs[i]!.name;
      const t = out[name]!;
      result[name] = { dtype: fromOrtType(t.type), shape: t.dims as number[], data: t.data as HostTensor['data'] };
    }
    return result;
  }

  /** Runs on the next turn of the event loop; resolves with every output by name. */
  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(this.runSync(feeds));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** Releases the native session. Further runs throw. */
  close(): void {
    this.native?.dispose();
    this.native = null;
  }

  /** True until `close()`. */
  get open(): boolean {
    return this.native !== null;
  }
}

function ioInfo(m: { name: string; symbolicDimensions: string[]; shape: number[]; type: number }): IOInfo {
  const shape = m.shape.map((d, i) => (d >= 0 ? d : m.symbolicDimensions[i] || '?'));
  return { name: m.name, dtype: fromOnnxDType(m.type), shape };
}

/** An onnxruntime tensor over a host tensor's memory. */
export function toOrt(t: HostTensor): OrtTensor {
  if (t.data.length !== sizeOf(t.shape)) {
    throw new Error(`tensor of shape ${formatShape(t.shape)} holds ${t.data.length} elements`);
  }
  return new OrtTensorClass(t.dtype as 'float32', t.data as Float32Array, t.shape);
}

/** The binding's input record over a host tensor's memory (what `new Tensor` would hold, without its checks). */
function bindingTensor(t: HostTensor): OrtTensor {
  if (t.data.length !== sizeOf(t.shape)) {
    throw new Error(`tensor of shape ${formatShape(t.shape)} holds ${t.data.length} elements`);
  }
  return { type: t.dtype, dims: t.shape, data: t.data, location: 'cpu' } as unknown as OrtTensor;
}

/** A host tensor over an onnxruntime tensor's data. */
export function fromOrt(t: OrtTensor): HostTensor {
  const dtype = fromOrtType(t.type);
  return { dtype, shape: [...t.dims], data: t.data as HostTensor['data'] };
}

function isMissingProvider(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? e);
  return /cuda|provider|libonnxruntime_providers|shared library/i.test(msg);
}

function loadOrThrow(f: () => BindingSession, model: Uint8Array | string): BindingSession {
  try {
    return f();
  } catch (e) {
    throw loadError(model, e);
  }
}

function loadError(model: Uint8Array | string, e: unknown): Error {
  const what = typeof model === 'string' ? `'${model}'` : `model (${model.byteLength} bytes)`;
  const msg = String((e as Error)?.message ?? e).split('\n')[0];
  return new Error(`onnxruntime cannot load ${what}: ${msg}`);
}
