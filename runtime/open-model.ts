/**
 * The one way every reader of an artifact opens it — `loadModel`, the CLI's
 * `run`, `inspect`, `golden`, `bench` and `serve`: the file is checked
 * (runtime/model-file.ts, runtime/model-graph.ts) before onnxruntime sees a
 * byte, then the session is created; any failure is one Error naming the
 * file, so every command says the same thing about the same bad file.
 */
import path from 'node:path';
import { readModelFile, type ModelFile } from './model-file.js';
import { Session, type SessionOptions } from './session.js';

/** Options of `openModel`. Example: `{ device: 'cpu', threads: 1, maxBytes: 2 ** 28 }`. */
export interface OpenModelOptions extends SessionOptions {
  /** Refuse model files (and external data files) larger than this (default 2 GiB − 1). */
  maxBytes?: number;
}

/** A checked model file and its session. */
export interface OpenedModel {
  file: ModelFile & { path: string };
  session: Session;
}

/**
 * Checks `file` and creates its onnxruntime session (from the checked bytes,
 * or from the path when the model keeps external data next to it).
 *
 * ```ts
 * const { file, session } = openModel('mlp.onnx', { threads: 1 });
 * file.manifest?.inputs; // [{ name: 'x', dtype: 'float32', shape: ['N', 784] }]
 * session.close();
 * ```
 */
export function openModel(file: string, options: OpenModelOptions = {}): OpenedModel {
  const { maxBytes, ...sessionOptions } = options;
  const checked = readModelFile(file, { maxBytes });
  try {
    const session = Session.create(checked.externalData.length ? path.resolve(file) : checked.bytes, sessionOptions);
    return { file: { ...checked, path: file }, session };
  } catch (e) {
    throw new Error(`'${file}': ${(e as Error).message}`);
  }
}
