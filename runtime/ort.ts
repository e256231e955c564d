/**
 * The one place that touches onnxruntime-node's native binding. It runs
 * synchronously, which the eager front end and `runSync` rely on.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Tensor as OrtTensor } from 'onnxruntime-common';
import { raiseMallocThresholds } from './malloc-thresholds.js';

const require = createRequire(import.meta.url);

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
