/**
 * The one place that touches onnxruntime-node's native binding. It runs
 * synchronously, which the eager front end and `runSync` rely on.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Tensor as OrtTensor } from 'onnxruntime-common';

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

/** The initialized native binding. */
export function ortBinding(): BindingModule['binding'] {
  if (!mod) {
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
