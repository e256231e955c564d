/**
 * Reading the CLI's input files (`.npy`, or `.json`: nested arrays of
 * numbers, or `{ "dtype", "shape", "data" }`) and checking them against an
 * artifact's inputs: every input given once, dtypes equal, ranks and fixed
 * dimensions equal, a symbolic dimension one size across inputs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkDType, formatShape, integerProblem, readNpy, tensorFromNumbers, type DType, type HostTensor, type IOInfo } from '../runtime/index.js';
import { asUserError, UserError } from './errors.js';

/**
 * Reads a `.json` input file as a tensor of `dtype` (unless the file names its own).
 *
 * ```ts
 * readJsonTensor('x.json', 'float32'); // [[1, 2], [3, 4]] -> float32 [2, 2]
 * ```
 */
export function readJsonTensor(file: string, dtype: DType): HostTensor {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `'${file}': no such file` : `'${file}' is not valid JSON: ${(e as Error).message}`);
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { dtype?: unknown; shape?: unknown; data?: unknown };
    const dt = asUserError(`'${file}'`, () => checkDType(o.dtype ?? dtype, 'dtype'));
    if (!Array.isArray(o.shape) || !Array.isArray(o.data)) throw new UserError(`'${file}': a JSON tensor object needs "shape" and "data" lists`);
    return asUserError(`'${file}'`, () => tensorFromNumbers(dt, o.shape as number[], (o.data as unknown[]).map(num(file, dt))));
  }
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const flat: unknown[] = [];
  // Every list at depth k must hold shape[k] items, lists above the last level and numbers at it.
  const walk = (x: unknown, k: number): void => {
    if (k === shape.length) {
      if (Array.isArray(x)) throw new UserError(`'${file}': nested lists are ragged (a list where a number belongs, at depth ${k})`);
      flat.push(x);
      return;
    }
    if (!Array.isArray(x)) throw new UserError(`'${file}': nested lists are ragged (${JSON.stringify(x)} where a list of ${shape[k]} belongs, at depth ${k})`);
    if (x.length !== shape[k]) throw new UserError(`'${file}': nested lists are ragged (a list of ${x.length} where the first at depth ${k} holds ${shape[k]})`);
    for (const y of x) walk(y, k + 1);
  };
  walk(v, 0);
  return asUserError(`'${file}'`, () => tensorFromNumbers(dtype, shape, flat.map(num(file, dtype))));
}

/** An element of a JSON input as a number that `dtype` holds exactly (no silent wrapping or truncation). */
function num(file: string, dtype: DType) {
  return (x: unknown, i: number): number => {
    if (typeof x === 'boolean') return x ? 1 : 0;
    if (typeof x !== 'number') throw new UserError(`'${file}': expected numbers, found ${JSON.stringify(x)}`);
    const problem = integerProblem(x, dtype);
    if (problem) throw new UserError(`'${file}': element ${i} (${x}) ${problem}`);
    return x;
  };
}

/** Parses the `--input` values of `run`: `name=file` (or just `file` for a one-input artifact). */
export function parseFeedOptions(specs: string[], inputs: IOInfo[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of specs) {
    const eq = s.indexOf('=');
    let name: string;
    let file: string;
    if (eq > 0) {
      name = s.slice(0, eq);
      file = s.slice(eq + 1);
    } else if (inputs.length === 1) {
      name = inputs[0]!.name;
      file = s;
    } else {
      throw new UserError(`bad --input '${s}': expected name=<file.npy|file.json> (inputs: ${inputs.map((i) => i.name).join(', ')})`);
    }
    if (!inputs.some((i) => i.name === name)) throw new UserError(`bad --input '${s}': the artifact has no input '${name}' (inputs: ${inputs.map((i) => i.name).join(', ')})`);
    if (out.has(name)) throw new UserError(`bad --input '${s}': input '${name}' is given twice`);
    if (!file) throw new UserError(`bad --input '${s}': no file after '='`);
    out.set(name, file);
  }
  const missing = inputs.filter((i) => !out.has(i.name));
  if (missing.length) {
    throw new UserError(`missing --input for ${missing.map((i) => `'${i.name}' (${i.dtype} ${formatShape(i.shape)})`).join(', ')}; pass --input ${missing[0]!.name}=<file.npy|file.json>`);
  }
  return out;
}

/**
 * Reads every input file and checks it against the artifact's inputs.
 *
 * ```ts
 * const feeds = readFeeds(new Map([['x', 'x.npy']]), session.inputs);
 * ```
 */
export function readFeeds(files: Map<string, string>, inputs: IOInfo[]): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  const sizes = new Map<string, [number, string]>();
  for (const info of inputs) {
    const file = files.get(info.name)!;
    const ext = path.extname(file).toLowerCase();
    let t: HostTensor;
    if (ext === '.npy') t = asUserError('', () => readNpy(file));
    else if (ext === '.json') t = readJsonTensor(file, info.dtype);
    else throw new UserError(`'${file}': input files must be .npy or .json`);
    checkFeed(info, t, file, sizes);
    feeds[info.name] = t;
  }
  return feeds;
}

/** Checks one tensor against an input's declared dtype and shape (symbolic sizes shared through `sizes`). */
export function checkFeed(info: IOInfo, t: HostTensor, file: string, sizes: Map<string, [number, string]>): void {
  const want = `${info.dtype} ${formatShape(info.shape)}`;
  if (t.dtype !== info.dtype) throw new UserError(`input '${info.name}' ('${file}') is ${t.dtype} ${formatShape(t.shape)}, but the artifact expects ${want}`);
  const bad = (): UserError => new UserError(`input '${info.name}' ('${file}') has shape ${formatShape(t.shape)}, but the artifact expects ${want}`);
  if (t.shape.length !== info.shape.length) throw bad();
  info.shape.forEach((d, k) => {
    const got = t.shape[k]!;
    if (typeof d === 'number' && d >= 0) {
      if (got !== d) throw bad();
      return;
    }
    const prev = sizes.get(String(d));
    if (prev && prev[0] !== got) {
      throw new UserError(`input '${info.name}' ('${file}') has ${d} = ${got} in shape ${formatShape(t.shape)}, but input '${prev[1]}' has ${d} = ${prev[0]}`);
    }
    sizes.set(String(d), [got, info.name]);
  });
}
