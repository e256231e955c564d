/**
 * Opening an artifact for the CLI. Every command that reads one (`run`,
 * `inspect`, `golden`, `bench`, `serve`) goes through runtime/open-model.ts,
 * the same checks `loadModel` makes, so a bad file gets the same one-line
 * UserError naming the file from each of them (missing, a folder, empty,
 * text, truncated, corrupt, cyclic, an IR version or opset onnxruntime cannot
 * run, external data outside the folder, a manifest contradicting its graph).
 * It loads the runtime only, so `run` and `serve` never load the compiler;
 * `readArtifact`, which decodes the file for analysis, is in analyze.ts.
 */
import { CUDA_MISSING, cudaProviderInstalled, openModel, readModelFile, type Device, type OpenedModel, type Session } from '../runtime/index.js';
import { asUserError, UserError } from './errors.js';

/**
 * An onnxruntime session on an artifact (the file checked first).
 *
 * ```ts
 * const s = openArtifact('mlp.onnx', 'cpu');
 * ```
 */
export function openArtifact(file: string, device: Device = 'cpu', threads?: number): Session {
  return openArtifactFile(file, device, threads).session;
}

/**
 * `openArtifact` with the checked file: its manifest's size `constraints`
 * are what `run` checks its inputs against before the run, as `loadModel` does.
 *
 * ```ts
 * const { session, file } = openArtifactFile('pool.onnx', 'cpu');
 * file.manifest?.constraints; // [{ dim: 'H', cmp: '>=', value: 5, message: '...' }]
 * ```
 */
export function openArtifactFile(file: string, device: Device = 'cpu', threads?: number): OpenedModel {
  return asUserError('', () => openModel(file, { device, threads }));
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
