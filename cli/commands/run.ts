/**
 * `gluonc run <artifact.onnx> --input name=<file.npy|file.json> [--device cpu|cuda] [-o dir]`:
 * runs an artifact once on the given inputs and writes each output as
 * `<dir>/<output name>.npy` (see `npyFileNames` for names that are not file names).
 */
import path from 'node:path';
import { checkFeeds, formatShape, npyFileNames, writeNpy } from '../../runtime/index.js';
import { checkDevice, openArtifactFile } from '../artifact.js';
import { asUserError } from '../errors.js';
import { parseFeedOptions, readFeeds } from '../feeds.js';

/** Options of `run`. */
export interface RunFlags {
  input: string[];
  device: string;
  output: string;
}

/**
 * Runs `run`; returns the files written.
 *
 * ```ts
 * runRun('mlp.onnx', { input: ['x=x.npy'], device: 'cpu', output: 'out' });
 * ```
 */
export function runRun(artifact: string, flags: RunFlags, log: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): string[] {
  const device = checkDevice(flags.device);
  const { session, file } = openArtifactFile(artifact, device);
  try {
    const feeds = readFeeds(parseFeedOptions(flags.input, session.inputs), session.inputs);
    // Sizes the model's operators cannot take (the manifest's constraints) are refused before the run, as loadModel does.
    asUserError('', () => checkFeeds(feeds, file.manifest?.inputs ?? session.inputs, `'${artifact}'`, { constraints: file.manifest?.constraints }));
    const outs = asUserError(`running '${artifact}'`, () => session.runSync(feeds));
    const written: string[] = [];
    // Names that sanitize alike ('y:0', 'y_0') get files of their own.
    const names = npyFileNames(session.outputs.map((o) => o.name));
    for (const [k, o] of session.outputs.entries()) {
      const t = outs[o.name]!;
      const file = path.join(flags.output, names[k]!);
      writeNpy(file, t);
      written.push(file);
      log(`${o.name}: ${t.dtype} ${formatShape(t.shape)} -> ${file}`);
    }
    return written;
  } finally {
    session.close();
  }
}
