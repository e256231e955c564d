/**
 * Opening an artifact for the CLI. Every command that reads one (`run`,
 * `inspect`, `golden`, `bench`, `serve`) goes through runtime/open-model.ts,
 * the same checks `loadModel` makes, so a bad file gets the same one-line
 * UserError naming the file from each of them (missing, a folder, empty,
 * text, truncated, corrupt, cyclic, an IR version or opset onnxruntime cannot
 * run, external data outside the folder, a manifest contradicting its graph).
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import { onnx } from '../compiler/onnx/proto.js';
import { openModel, readModelFile, type ArtifactManifest, type Device, type Session } from '../runtime/index.js';
import { asUserError, UserError } from './errors.js';

/** An artifact read from disk and checked. */
export interface ArtifactFile {
  file: string;
  bytes: Uint8Array;
  model: OnnxNs.ModelProto;
  /** The gluonc manifest (checked against the graph), or null for ONNX files from other tools. */
  manifest: ArtifactManifest | null;
}

/**
 * Checks an `.onnx` file as `loadModel` does (onnxruntime loads it too) and
 * decodes it for analysis.
 *
 * ```ts
 * const { model, manifest } = readArtifact('mlp.onnx');
 * ```
 */
export function readArtifact(file: string): ArtifactFile {
  const checked = asUserError('', () => {
    const { file: f, session } = openModel(file, { threads: 1 });
    session.close();
    return f;
  });
  const model = asUserError(`'${file}'`, () => onnx.ModelProto.decode(checked.bytes));
  return { file, bytes: checked.bytes, model, manifest: checked.manifest };
}

/**
 * An onnxruntime session on an artifact (the file checked first).
 *
 * ```ts
 * const s = openArtifact('mlp.onnx', 'cpu');
 * ```
 */
export function openArtifact(file: string, device: Device = 'cpu', threads?: number): Session {
  return asUserError('', () => openModel(file, { device, threads }).session);
}

/**
 * Checks an artifact file without starting onnxruntime (the file checks of
 * `openModel`), for commands that open the session later.
 *
 * ```ts
 * checkArtifact('mlp.onnx'); // throws UserError "'mlp.onnx': refused: ..." for a bad file
 * ```
 */
export function checkArtifact(file: string): void {
  asUserError('', () => readModelFile(file));
}

/** Checks a `--device` value. */
export function checkDevice(d: string): Device {
  if (d !== 'cpu' && d !== 'cuda') throw new UserError(`bad --device '${d}': use cpu or cuda`);
  return d;
}
