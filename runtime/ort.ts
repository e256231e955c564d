/**
 * The one place that touches onnxruntime-node's native binding. It runs
 * synchronously, which the eager front end and `runSync` rely on.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Tensor as OrtTensor } from 'onnxruntime-common';
import { isMainThread } from 'node:worker_threads';
import { raiseMallocThresholds } from './malloc-thresholds.js';

const require = createRequire(import.meta.url);

/**
 * onnxruntime 1.29+ builds in Microsoft's 1DS telemetry on Linux too: from
 * the first session of a process it keeps a device id and an event database
 * under ~/.cache/Microsoft/DeveloperTools/.onnxruntime, runs one more thread
 * (which tries to upload them), and leaves an empty `mat-debug-<pid>.log` in
 * the temp folder of every process (thousands a day under a test suite).
 * Measured on onnxruntime-node 1.30 (2026-12-07): the MLP's 300-step memory
 * child peaked 3-6 MiB lower without it (3 pairs, alternating), and the
 * first session was created a few ms sooner. gluonc turns it off unless the
 * user has set `ORT_DISABLE_TELEMETRY` (onnxruntime's own switch; `0`
 * keeps it on). onnxruntime reads the variable from the process environment
 * when it creates its environment, so the main thread sets it when this
 * module loads: a worker's `process.env` is a copy that native code never
 * sees, and workers are started by code that imported this module first.
 *
 * ```ts
 * telemetryDisabledByGluonc; // true when gluonc set ORT_DISABLE_TELEMETRY=1
 * ```
 */
export const telemetryDisabledByGluonc: boolean = isMainThread && process.env['ORT_DISABLE_TELEMETRY'] === undefined;
if (telemetryDisabledByGluonc) process.env['ORT_DISABLE_TELEMETRY'] = '1';

/** Metadata of one session input or output as the binding reports it. */
export interface BindingValueMetadata {
  name: string;
  isTensor: boolean;
  symbolicDimensions: string[];
  shape: number[];
  type: number;
}

/** The binding's synchronous inference session. */
export interface BindingSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  loadModel(path: string, options: object): void;
  readonly inputMetadata: BindingValueMetadata[];
  readonly outputMetadata: BindingValueMetadata[];
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
}

interface BindingModule {
  binding: {
    InferenceSession: new () => BindingSession;
    listSupportedBackends: () => { name: string; bundled: boolean }[];
  };
  initOrt: () => void;
}

let mod: BindingModule | undefined;

/**
 * onnxruntime's log severity for gluonc's sessions and runs: 4 (fatal only),
 * so onnxruntime never prints its own multi-line coloured logs; its failures
 * reach the user as the one-line errors gluonc raises. `GLUONC_DEBUG=1`
 * keeps onnxruntime's default (2, warnings).
 *
 * ```ts
 * native.loadModel(bytes, { ...options, logSeverityLevel: ortLogSeverity() });
 * ```
 */
export function ortLogSeverity(): 0 | 1 | 2 | 3 | 4 {
  return process.env['GLUONC_DEBUG'] === '1' ? 2 : 4;
}

/** The initialized native binding (its process-wide logger set to `ortLogSeverity()`, unless onnxruntime-node was initialized first). */
export function ortBinding(): BindingModule['binding'] {
  if (!mod) {
    const env = (require('onnxruntime-common') as { env: { logLevel?: string } }).env;
    if (process.env['GLUONC_DEBUG'] !== '1') env.logLevel = 'fatal';
    raiseMallocThresholds();
    mod = require('onnxruntime-node/dist/binding.js') as BindingModule;
    mod.initOrt();
  }
  return mod.binding;
}

/** onnxruntime-common's Tensor class (the one the binding accepts and returns). */
export const OrtTensorClass: typeof OrtTensor = (require('onnxruntime-common') as { Tensor: typeof OrtTensor }).Tensor;

/** The onnxruntime-node version string. */
export function ortVersion(): string {
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

/**
 * True when onnxruntime-node's CUDA execution provider library is installed
 * (it is not in the npm package; CUDA_INSTALL_COMMAND in session.ts fetches it).
 *
 * ```ts
 * if (!cudaProviderInstalled()) console.log('CPU only');
 * ```
 */
export function cudaProviderInstalled(): boolean {
  const dir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(dir, lib));
}
