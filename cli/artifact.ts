/**
 * Opening an artifact for the CLI: the file must exist and decode as an ONNX
 * ModelProto with a graph; every failure is a one-line UserError naming the
 * file (missing, a folder, empty, truncated, corrupt, unloadable).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { onnx as OnnxNs } from 'onnx-proto';
import { onnx } from '../compiler/index.js';
import { CUDA_MISSING, cudaProviderInstalled, MANIFEST_METADATA_KEY, Session, type Device } from '../runtime/index.js';
import { asUserError, firstLine, UserError } from './errors.js';

/** An artifact read from disk. */
export interface ArtifactFile {
  file: string;
  bytes: Uint8Array;
  model: OnnxNs.ModelProto;
  /** The gluonc manifest, or null for ONNX files from other tools. */
  manifest: Record<string, unknown> | null;
}

/**
 * Reads and decodes an `.onnx` file.
 *
 * ```ts
 * const { model, manifest } = readArtifact('mlp.onnx');
 * ```
 */
export function readArtifact(file: string): ArtifactFile {
  if (!existsSync(file)) throw new UserError(`'${file}': no such file`);
  if (statSync(file).isDirectory()) throw new UserError(`'${file}' is a folder, not an .onnx file`);
  const bytes = new Uint8Array(readFileSync(file));
  if (bytes.length === 0) throw new UserError(`'${file}' is empty, not an ONNX model`);
  let model: OnnxNs.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`'${file}' is not a valid ONNX model (truncated or corrupt: ${firstLine(e)})`);
  }
  if (!model.graph || !(model.opsetImport?.length)) throw new UserError(`'${file}' is not a valid ONNX model (it has no graph or no opset; truncated or corrupt?)`);
  const entry = model.metadataProps?.find((p) => p.key === MANIFEST_METADATA_KEY);
  let manifest: Record<string, unknown> | null = null;
  if (entry?.value) {
    try {
      manifest = JSON.parse(entry.value) as Record<string, unknown>;
    } catch {
      throw new UserError(`'${file}': its '${MANIFEST_METADATA_KEY}' metadata is not valid JSON (corrupt file?)`);
    }
  }
  return { file, bytes, model, manifest };
}

/**
 * An onnxruntime session on an artifact (the file checked first).
 *
 * ```ts
 * const s = openArtifact('mlp.onnx', 'cpu');
 * ```
 */
export function openArtifact(file: string, device: Device = 'cpu', threads?: number): Session {
  const a = readArtifact(file);
  return asUserError(`'${file}'`, () => Session.create(a.bytes, { device, threads }));
}

/**
 * Checks a `--device` value at start-up: `cuda` without onnxruntime-node's
 * CUDA provider fails here, with the command that installs it (`fallback`
 * names the command's own way around it, e.g. serve's `--fallback`).
 *
 * ```ts
 * const device = checkDevice(flags.device);   // before any file is read
 * ```
 */
export function checkDevice(d: string | undefined, fallback?: { given: boolean; hint: string }): Device {
  if (d !== 'cpu' && d !== 'cuda') throw new UserError(`bad --device '${d}': use cpu or cuda`);
  if (d === 'cuda' && !fallback?.given && !cudaProviderInstalled()) throw new UserError(fallback ? `${CUDA_MISSING} (${fallback.hint})` : CUDA_MISSING);
  return d;
}
