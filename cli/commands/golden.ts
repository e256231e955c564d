/**
 * `gluonc golden record|check <artifact.onnx> [--dir golden/] [--rtol] [--atol]`:
 * `record` runs the artifact on seeded random inputs and writes inputs,
 * outputs (`.npy`) and `index.json` under `--dir`; `check` re-runs on the
 * recorded inputs and prints, for each output, the worst element and its
 * error; it exits 1 when an output differs (see runtime/golden.ts).
 */
import { checkGolden, readGoldenIndex, recordGolden } from '../../runtime/index.js';
import { checkArtifact, checkDevice } from '../artifact.js';
import { asUserError, UserError } from '../errors.js';

/** Options of `golden record` / `golden check`. */
export interface GoldenFlags {
  dir: string;
  rtol?: string;
  atol?: string;
  seed?: string;
  batch?: string;
  device: string;
}

function tolerance(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0 || v.trim() === '') throw new UserError(`bad ${flag} '${v}': expected a non-negative number`);
  return x;
}

function integer(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UserError(`bad ${flag} '${v}': expected an integer >= ${min}`);
  return Number(v);
}

/**
 * `golden record`. Example: `goldenRecord('mlp.onnx', { dir: 'golden', device: 'cpu' })`.
 */
export function goldenRecord(artifact: string, flags: GoldenFlags, log: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): void {
  const device = checkDevice(flags.device);
  checkArtifact(artifact); // the checks loadModel makes, one line naming the file
  const idx = asUserError(`'${artifact}'`, () =>
    recordGolden(artifact, flags.dir, {
      seed: integer('--seed', flags.seed, 0),
      batch: integer('--batch', flags.batch, 1),
      rtol: tolerance('--rtol', flags.rtol),
      atol: tolerance('--atol', flags.atol),
      device,
    }),
  );
  log(`recorded ${idx.inputs.length} input(s) and ${idx.outputs.length} output(s) of ${artifact} in ${flags.dir}/ (seed ${idx.seed}, rtol ${idx.rtol}, atol ${idx.atol})`);
}

/**
 * `golden check`; returns true when every output matches.
 *
 * ```ts
 * if (!goldenCheck('mlp.onnx', { dir: 'golden', device: 'cpu' })) process.exitCode = 1;
 * ```
 */
export function goldenCheck(artifact: string, flags: GoldenFlags, log: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): boolean {
  const device = checkDevice(flags.device);
  checkArtifact(artifact); // the checks loadModel makes, one line naming the file
  asUserError('', () => readGoldenIndex(flags.dir));
  const r = asUserError(`'${artifact}'`, () => checkGolden(artifact, flags.dir, { rtol: tolerance('--rtol', flags.rtol), atol: tolerance('--atol', flags.atol), device }));
  log(r.report);
  const bad = r.outputs.filter((o) => !o.ok).length;
  log(r.ok ? `ok: ${r.outputs.length} output(s) match ${flags.dir}/ (rtol ${r.rtol}, atol ${r.atol})` : `FAIL: ${bad} of ${r.outputs.length} output(s) differ from ${flags.dir}/ (rtol ${r.rtol}, atol ${r.atol})`);
  return r.ok;
}
