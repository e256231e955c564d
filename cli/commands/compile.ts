/**
 * `gluonc compile <model.ts|model.js> [-o out.onnx] [--input name:dtype[dims]]
 * [--opset N] [-O 0|1|2|3] [--train [--loss-output name|index]] [--report] [--format onnx|mxnet [--epoch N]]`:
 * loads a model file, initializes it with a fixed seed (or loads its
 * `params`), traces it with its `inputs` (or `--input`), optimizes, and
 * writes one `.onnx` artifact atomically; with `--train` also
 * `<name>.train.onnx` (see cli/train-artifact.ts). `--format mxnet` writes
 * MXNet's `<prefix>-symbol.json` and `<prefix>-NNNN.params` instead
 * (`net.export(prefix, { format: 'mxnet', epoch })`; `-o` is the prefix).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { formatReport, type PassReport } from '../../compiler/index.js';
import { asHybrid, exportBytes, gluon, writeFileAtomic, type ExportOptions } from '../../compiler/gluon/index.js';
import { formatShape } from '../../runtime/index.js';
import { readArtifact } from '../analyze.js';
import { asUserError, UserError } from '../errors.js';
import { loadModelFile, paramsPath } from '../model-file.js';
import { progress } from '../progress.js';
import { trainingArtifact } from '../train-artifact.js';

/** Options of `compile` as commander parses them. */
export interface CompileFlags {
  output?: string;
  input: string[];
  opset?: number;
  O: string;
  train?: boolean;
  lossOutput?: string;
  report?: boolean;
  format?: string;
  epoch?: number;
}

/** What `runCompile` wrote. */
export interface CompileResult {
  artifact: string;
  train?: string;
  params: number;
  /** `--format mxnet`: the symbol and parameter files written. */
  mxnet?: [string, string];
}

/** The default output path: `<name>.onnx` in the current folder. */
export function defaultOutput(model: string): string {
  return `${path.basename(model).replace(/\.[^.]+$/, '')}.onnx`;
}

/** `x.onnx` -> `x.train.onnx`. */
export function trainPath(out: string): string {
  return out.endsWith('.onnx') ? `${out.slice(0, -5)}.train.onnx` : `${out}.train.onnx`;
}

/** The file's real path (links resolved) when it exists, else its absolute path. */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/** True when `p` names an existing folder. */
function isFolder(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/**
 * Refuses an output path that is the model file or its parameter file:
 * compile would replace the user's source or weights with ONNX bytes.
 *
 * ```ts
 * checkOutputPath('-o', 'model.ts', 'model.ts'); // throws "-o 'model.ts' is the model file itself; ..."
 * ```
 */
export function checkOutputPath(flag: string, out: string, model: string, params?: string): void {
  // As net.export: a name without an extension is MXNet's prefix to a Gluon user, so it chooses (compiler/formats/export.ts).
  // An existing folder is refused below as a folder (writing the artifact names it).
  if (out && !path.extname(out) && !isFolder(out)) {
    const base = path.basename(out);
    throw new UserError(`${flag} '${out}' has no file extension: write -o ${out}.onnx for the ONNX artifact, or --format mxnet -o ${out} for MXNet's ${base}-symbol.json and ${base}-0000.params`);
  }
  const target = realPath(out);
  if (target === realPath(model)) throw new UserError(`${flag} '${out}' is the model file itself; write the artifact elsewhere (e.g. -o ${defaultOutput(model)})`);
  if (params !== undefined && target === realPath(params)) throw new UserError(`${flag} '${out}' is the model file's parameter file; write the artifact elsewhere`);
}

/**
 * The notice `compile` prints (on stderr) after replacing `file` that it did
 * not write itself from `model`: an artifact of `net.export` (trained weights,
 * say), one compiled from another model file, or any other file. Null when
 * `file` was absent or was this model file's own earlier output. Call it
 * before writing; `params` is the model file's `params` export.
 *
 * ```ts
 * replacementNotice('mlp.onnx', 'models/mlp.ts'); // "replaced 'mlp.onnx' (written by net.export ...) ..."
 * ```
 */
export function replacementNotice(file: string, model: string, params?: string): string | null {
  if (!existsSync(file)) return null;
  let origin: string;
  try {
    const { manifest } = readArtifact(file);
    const source = (manifest?.['compile'] as { source?: unknown } | undefined)?.source;
    if (source === path.basename(model)) return null;
    origin = !manifest ? 'not written by gluonc' : typeof source === 'string' ? `compiled from '${source}'` : 'written by net.export, perhaps with trained weights';
  } catch {
    origin = 'not an ONNX artifact';
  }
  const weights = params ? `the parameters of '${params}'` : 'seeded random weights';
  return `replaced '${file}' (${origin}) with '${model}' and ${weights}; to compile trained parameters, export 'params' from the model file (see the README), or write elsewhere with -o`;
}

/**
 * Runs `compile` (what the command's action does), printing a summary on stdout.
 *
 * ```ts
 * await runCompile('models/mlp.ts', { input: [], O: '2' });   // writes mlp.onnx
 * ```
 */
export async function runCompile(
  model: string,
  flags: CompileFlags,
  log: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
  note: (s: string) => void = (s) => process.stderr.write(`gluonc: ${s}\n`),
): Promise<CompileResult> {
  const level = Number(flags.O);
  if (!/^[0-3]$/.test(flags.O)) throw new UserError(`bad -O '${flags.O}': use 0, 1, 2 or 3`);
  const format = flags.format ?? 'onnx';
  if (format === 'mxnet') return compileMxnet(model, flags, log);
  if (format !== 'onnx') throw new UserError(`bad --format '${format}': use onnx or mxnet`);
  if (flags.epoch !== undefined) throw new UserError('--epoch names the parameter file of --format mxnet (<prefix>-NNNN.params); the ONNX artifact has none');
  if (flags.lossOutput !== undefined && !flags.train) throw new UserError('--loss-output chooses the output the loss of --train reads; add --train');
  const out = flags.output ?? defaultOutput(model);
  const bar = progress('compile', flags.train ? 4 : 3);
  try {
    bar.step('load');
    const loaded = await loadModelFile(model, flags.input);
    const paramsFile = paramsPath(model, loaded.module.params);
    checkOutputPath('-o', out, model, paramsFile);
    if (flags.train) checkOutputPath("--train's output", trainPath(out), model, paramsFile);
    // A plain Block is compiled by tracing its imperative forward (nd operators on symbols build the graph).
    const block = asHybrid(loaded.block);
    bar.step('trace, optimize, write');
    const inference: PassReport[] = [];
    const options: ExportOptions = {
      inputs: loaded.inputs,
      compile: { optLevel: level, source: path.basename(model) },
      report: (r) => inference.push(r),
    };
    if (flags.opset !== undefined) options.opset = flags.opset;
    const paramsName = loaded.module.params instanceof URL ? loaded.module.params.href : loaded.module.params;
    const notices = [replacementNotice(out, model, paramsName)];
    // Both graphs are built before either file is written: a failing --train leaves no artifact behind.
    if (!out) throw new UserError("bad -o '': needs a file path");
    const res = asUserError(`'${model}'`, () => exportBytes(block, options, out));
    const params = block.collectParams().values().reduce((n, p) => n + (p.initialized ? p.data().size : 0), 0);
    const io = (xs: { name: string; dtype: string; shape: (number | string)[] }[]) => xs.map((x) => `${x.name} ${x.dtype} ${formatShape(x.shape)}`).join(', ');
    let train: string | undefined;
    let trainReport: PassReport[] = [];
    let trainNodes = '';
    let trainBytes: Uint8Array | undefined;
    if (flags.train) {
      bar.step('training graph');
      const t = asUserError(`'${model}'`, () =>
        trainingArtifact(block, {
          inputs: loaded.inputs,
          loss: loaded.module.loss,
          labels: loaded.module.labels,
          trainer: loaded.module.trainer,
          lossOutput: flags.lossOutput ?? loaded.module.lossOutput,
          lossOutputFrom: flags.lossOutput !== undefined ? '--loss-output' : "'lossOutput' export",
          opset: flags.opset,
          optLevel: level,
          report: (r) => trainReport.push(r),
          source: path.basename(model),
          where: `'${model}'`,
        }),
      );
      // The training step's initial values are the inference artifact's initializers of the same names (README):
      // -O3 folds some away (BatchNorm into the convolution before it), so that pair would not fit together.
      const kept = new Set(res.manifest.params);
      const folded = t.manifest.params.filter((p) => !kept.has(p));
      if (folded.length) {
        const names = folded.slice(0, 4).map((p) => `'${p}'`).join(', ') + (folded.length > 4 ? `, ... (${folded.length} in all)` : '');
        throw new UserError(`'${model}': --train with -O${level}: -O${level} folds ${names} into other weights, so '${out}' would not hold the training step's initial values; use -O2 with --train (and -O3 without it for the inference artifact)`);
      }
      train = trainPath(out);
      notices.push(replacementNotice(train, model, paramsName));
      trainBytes = t.bytes;
      const lossOf = res.manifest.outputs.length > 1 ? `loss of ${(t.manifest.compile['train'] as { lossOutput: string }).lossOutput}, ` : '';
      trainNodes = `${lossOf}${t.nodes.before} -> ${t.nodes.after} nodes`;
    }
    asUserError(`'${model}'`, () => {
      writeFileAtomic(out, res.bytes, 'gluonc compile');
      if (train && trainBytes) writeFileAtomic(train, trainBytes, 'gluonc compile');
    });
    bar.stop();
    for (const n of notices) if (n) note(n);
    log(`wrote ${out}: ${params.toLocaleString('en-US')} parameters, ${(res.bytes.length / 1024).toFixed(1)} KiB; inputs ${io(res.manifest.inputs)}; outputs ${io(res.manifest.outputs)}`);
    if (train) log(`wrote ${train}: training step (${trainNodes})`);
    if (flags.report) {
      log(inference.length ? `inference graph (-O${level}):\n${formatReport(inference)}` : `inference graph (-O${level}): no pass report available`);
      if (train) log(`training graph (-O${level}):\n${formatReport(trainReport)}`);
    }
    return { artifact: out, train, params };
  } finally {
    bar.stop();
  }
}

/**
 * `compile --format mxnet`: MXNet's export format through `net.export(prefix,
 * { format: 'mxnet', epoch })`; `-o` is the prefix (default: the model's
 * name), and the ONNX-only flags are refused by name.
 */
async function compileMxnet(model: string, flags: CompileFlags, log: (s: string) => void): Promise<CompileResult> {
  const onnxOnly = [flags.train && '--train', flags.lossOutput !== undefined && '--loss-output', flags.report && '--report', flags.opset !== undefined && '--opset', flags.O !== '2' && '-O'].filter(Boolean);
  if (onnxOnly.length) throw new UserError(`${onnxOnly.join(', ')} ${onnxOnly.length > 1 ? 'apply' : 'applies'} to the ONNX artifact, not to --format mxnet`);
  const prefix = flags.output ?? path.basename(model).replace(/\.[^.]+$/, '');
  if (!prefix) throw new UserError("bad -o '': needs a path prefix");
  const loaded = await loadModelFile(model, flags.input);
  const paramsFile = paramsPath(model, loaded.module.params);
  const block = asHybrid(loaded.block);
  const epoch = flags.epoch ?? 0;
  for (const f of [`${prefix}-symbol.json`, `${prefix}-${String(epoch).padStart(4, '0')}.params`]) checkOutputPath('-o', f, model, paramsFile);
  const res = asUserError(`'${model}'`, () => block.export(prefix, { format: 'mxnet', epoch, inputs: loaded.inputs }));
  const params = block.collectParams().values().reduce((n, p) => n + (p.initialized ? p.data().size : 0), 0);
  log(`wrote ${res.symbolFile} and ${res.paramsFile}: ${params.toLocaleString('en-US')} parameters, MXNet's export format (inputs ${Object.keys(loaded.inputs).join(', ')})`);
  return { artifact: res.symbolFile, params, mxnet: res.paths };
}
