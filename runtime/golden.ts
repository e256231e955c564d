/**
 * Golden-output tests of compiled artifacts: `recordGolden` runs an
 * artifact on seeded random inputs and writes inputs and outputs as `.npy`
 * with a small `index.json`; `checkGolden` runs it again on the recorded
 * inputs and compares every output with numpy's `allclose` rule
 * (`|got - expected| <= atol + rtol * |expected|` in float64, NaN equal to
 * NaN, an infinity equal only to the same infinity: `isclose(got, expected,
 * rtol, atol, equal_nan=True)`), reporting the worst element of each output.
 *
 * Folder layout: `index.json`, `input-<name>.npy`, `output-<name>.npy`
 * (runtime/npy.ts `npyFileNames`: characters other than letters, digits, `_`,
 * `.` and `-` become `_`; a name whose file another took gets `-1`, `-2`, ...). `index.json`
 * is written last (atomically) and an old one removed first, so a recording
 * that fails part way leaves a folder `checkGolden` calls empty.
 * Random inputs: floats uniform in [-1, 1), integers in [0, 10), bool 0/1;
 * every symbolic dimension is `batch` (default 2) unless `dims` names it.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { allocate, DTYPES, isDType, isFloat, type DType } from './dtypes.js';
import { checkFeeds } from './feeds.js';
import { npyFileNames, readNpy, writeNpy } from './npy.js';
import { mulberry32 } from './mulberry32.js';
import { openModel } from './open-model.js';
import { Session, type Device, type IOInfo } from './session.js';
import { formatShape, readElement, sizeOf, stridesOf, writeElement, type HostTensor } from './tensor.js';

/** The golden index format. */
export const GOLDEN_FORMAT = 1;
/** Default relative tolerance of `checkGolden`. */
export const GOLDEN_RTOL = 1e-4;
/** Default absolute tolerance of `checkGolden`. */
export const GOLDEN_ATOL = 1e-5;

/** One recorded tensor in `index.json`. */
export interface GoldenEntry {
  name: string;
  file: string;
  dtype: DType;
  shape: number[];
}

/** The contents of `index.json`. */
export interface GoldenIndex {
  format: typeof GOLDEN_FORMAT;
  /** The artifact's file name when recorded. */
  artifact: string;
  seed: number;
  rtol: number;
  atol: number;
  inputs: GoldenEntry[];
  outputs: GoldenEntry[];
}

/** Options of `recordGolden`. */
export interface RecordGoldenOptions {
  /** Seed of the random inputs (default 0). */
  seed?: number;
  /** The size of every symbolic dimension not in `dims` (default 2). */
  batch?: number;
  /** Sizes of named symbolic dimensions, e.g. `{ T: 5 }`. */
  dims?: Record<string, number>;
  /** Tolerances stored in the index (what `checkGolden` uses by default). */
  rtol?: number;
  atol?: number;
  device?: Device;
}

/** Options of `checkGolden`. */
export interface CheckGoldenOptions {
  /** Relative tolerance (default: the index's, else 1e-4). */
  rtol?: number;
  /** Absolute tolerance (default: the index's, else 1e-5). */
  atol?: number;
  device?: Device;
}

/** The comparison of one output. */
export interface GoldenOutputResult {
  name: string;
  ok: boolean;
  /** Why it failed before comparing values (missing output, other shape or dtype). */
  problem?: string;
  /** The element with the largest error relative to its tolerance. */
  worst?: { index: number[]; got: number; expected: number; error: number; allowed: number };
  /** Elements out of tolerance. */
  mismatches: number;
  size: number;
}

/** What `checkGolden` found. */
export interface GoldenResult {
  ok: boolean;
  outputs: GoldenOutputResult[];
  rtol: number;
  atol: number;
  /** One line per output, as `gluonc golden check` prints them. */
  report: string;
}

/** A file-name-safe form of a tensor name (see `npyFileNames` for the files of several). */
export function goldenFileName(kind: 'input' | 'output', name: string): string {
  return npyFileNames([name], `${kind}-`)[0]!;
}

/**
 * Seeded random feeds for a model's inputs (see the module comment for the ranges).
 *
 * ```ts
 * const feeds = randomFeeds(session.inputs, { seed: 0, batch: 2 });
 * ```
 */
export function randomFeeds(inputs: IOInfo[], options: { seed?: number; batch?: number; dims?: Record<string, number> } = {}): Record<string, HostTensor> {
  const next = mulberry32(options.seed ?? 0);
  const batch = options.batch ?? 2;
  const feeds: Record<string, HostTensor> = {};
  for (const info of inputs) {
    const shape = info.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : (options.dims?.[String(d)] ?? batch)));
    const t: HostTensor = { dtype: info.dtype, shape, data: allocate(info.dtype, sizeOf(shape)) };
    for (let i = 0; i < t.data.length; i++) {
      const u = next();
      writeElement(t, i, isFloat(info.dtype) ? 2 * u - 1 : info.dtype === 'bool' ? (u < 0.5 ? 0 : 1) : Math.floor(10 * u));
    }
    feeds[info.name] = t;
  }
  return feeds;
}

function openSession(artifact: string | Uint8Array, device: Device | undefined): Session {
  // A file goes through the checks every reader of an artifact shares (runtime/open-model.ts).
  return typeof artifact === 'string' ? openModel(artifact, { device: device ?? 'cpu' }).session : Session.create(artifact, { device: device ?? 'cpu' });
}

/**
 * Runs `artifact` on seeded random inputs and writes the inputs, the outputs
 * and `index.json` into `dir` (created when missing).
 *
 * ```ts
 * recordGolden('mlp.onnx', 'test/golden/mlp', { seed: 0, batch: 2 });
 * ```
 */
export function recordGolden(artifact: string | Uint8Array, dir: string, options: RecordGoldenOptions = {}): GoldenIndex {
  const session = openSession(artifact, options.device);
  try {
    const seed = options.seed ?? 0;
    const feeds = randomFeeds(session.inputs, { seed, batch: options.batch, dims: options.dims });
    const outs = session.runSync(feeds);
    // An earlier recording's index goes first: a recording that fails part way leaves a folder that says it holds nothing,
    // not an old index beside new files. The new index is written last, atomically.
    try {
      rmSync(path.join(dir, 'index.json'), { force: true });
    } catch {
      // no folder to clear (a file on the way): writing the first file says so
    }
    // Names that sanitize alike ('y:0', 'y_0') get files of their own.
    const files = { input: npyFileNames(session.inputs.map((i) => i.name), 'input-'), output: npyFileNames(session.outputs.map((o) => o.name), 'output-') };
    const entry = (kind: 'input' | 'output', k: number, name: string, t: HostTensor): GoldenEntry => {
      const file = files[kind][k]!;
      writeNpy(path.join(dir, file), t);
      return { name, file, dtype: t.dtype, shape: [...t.shape] };
    };
    const index: GoldenIndex = {
      format: GOLDEN_FORMAT,
      artifact: typeof artifact === 'string' ? path.basename(artifact) : '(bytes)',
      seed,
      rtol: options.rtol ?? GOLDEN_RTOL,
      atol: options.atol ?? GOLDEN_ATOL,
      inputs: session.inputs.map((i, k) => entry('input', k, i.name, feeds[i.name]!)),
      outputs: session.outputs.map((o, k) => entry('output', k, o.name, outs[o.name]!)),
    };
    writeFileAtomic(path.join(dir, 'index.json'), new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`), { what: 'golden record' });
    return index;
  } finally {
    session.close();
  }
}

/**
 * Reads a golden folder's `index.json` (errors name the folder and the problem).
 *
 * ```ts
 * readGoldenIndex('test/golden/mlp').outputs.map((o) => o.name); // ['output']
 * ```
 */
export function readGoldenIndex(dir: string): GoldenIndex {
  const file = path.join(dir, 'index.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`'${dir}' holds no golden outputs ('${file}' is missing); record them with \`gluonc golden record <artifact.onnx> --dir ${dir}\``);
  }
  let idx: GoldenIndex;
  try {
    idx = JSON.parse(text) as GoldenIndex;
  } catch (e) {
    throw new Error(`'${file}' is not valid JSON: ${(e as Error).message}`);
  }
  if (idx?.format !== GOLDEN_FORMAT || !Array.isArray(idx.inputs) || !Array.isArray(idx.outputs)) {
    throw new Error(`'${file}' is not a golden index of format ${GOLDEN_FORMAT}`);
  }
  // A field of another type would compare nothing (a NaN tolerance passes every element) or read outside the folder.
  for (const key of ['rtol', 'atol'] as const) {
    const v = idx[key] as unknown;
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new Error(`'${file}': ${key} must be a non-negative number, got ${JSON.stringify(v)}`);
  }
  for (const kind of ['inputs', 'outputs'] as const) {
    (idx[kind] as unknown[]).forEach((x, i) => {
      const e = x as Partial<Record<keyof GoldenEntry, unknown>> | null;
      const where = `'${file}': ${kind}[${i}]`;
      if (!e || typeof e !== 'object') throw new Error(`${where} must be { name, file, dtype, shape }, got ${JSON.stringify(x)}`);
      if (typeof e.name !== 'string' || e.name === '') throw new Error(`${where}: name must be a non-empty string, got ${JSON.stringify(e.name)}`);
      if (typeof e.file !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(e.file) || /^\.+$/.test(e.file)) {
        throw new Error(`${where}: file must be a file name inside '${dir}', got ${JSON.stringify(e.file)}`);
      }
      if (typeof e.dtype !== 'string' || !isDType(e.dtype)) throw new Error(`${where}: dtype must be one of ${DTYPES.join(', ')}, got ${JSON.stringify(e.dtype)}`);
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
        throw new Error(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(e.shape)}`);
      }
    });
  }
  if (!idx.outputs.length) throw new Error(`'${file}' records no outputs; re-record with \`gluonc golden record <artifact.onnx> --dir ${dir}\``);
  return idx;
}

function unravel(i: number, shape: number[]): number[] {
  const st = stridesOf(shape);
  return st.map((s) => {
    const k = Math.floor(i / s);
    i -= k * s;
    return k;
  });
}

/** Compares one output with numpy's allclose rule. */
export function compareTensors(name: string, got: HostTensor | undefined, expected: HostTensor, rtol: number, atol: number): GoldenOutputResult {
  const size = sizeOf(expected.shape);
  if (!got) return { name, ok: false, problem: 'the artifact has no such output', mismatches: size, size };
  if (got.dtype !== expected.dtype || got.shape.join() !== expected.shape.join()) {
    return { name, ok: false, problem: `got ${got.dtype} ${formatShape(got.shape)}, expected ${expected.dtype} ${formatShape(expected.shape)}`, mismatches: size, size };
  }
  let mismatches = 0;
  let worst: GoldenOutputResult['worst'];
  let worstRatio = -1;
  for (let i = 0; i < size; i++) {
    const g = readElement(got, i);
    const e = readElement(expected, i);
    const bothNaN = Number.isNaN(g) && Number.isNaN(e);
    const error = bothNaN || g === e ? 0 : Math.abs(g - e);
    const allowed = atol + rtol * Math.abs(e);
    // numpy's isclose: an infinity (or NaN) is close only to itself; the tolerance formula is for finite pairs
    // (an infinite expected value would allow any error: 1 against Infinity, even -Infinity).
    const finite = Number.isFinite(g) && Number.isFinite(e);
    const bad = !bothNaN && (finite ? !(error <= allowed) : g !== e);
    if (bad) mismatches++;
    const ratio = bad && !finite ? Infinity : Number.isNaN(error) ? Infinity : error / (allowed || Number.MIN_VALUE);
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = { index: unravel(i, expected.shape), got: g, expected: e, error, allowed };
    }
  }
  return { name, ok: mismatches === 0, worst, mismatches, size };
}

/** One report line of an output comparison. */
export function formatGoldenLine(r: GoldenOutputResult): string {
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(7));
  if (r.problem) return `${r.name}: FAIL: ${r.problem}`;
  if (!r.worst) return `${r.name}: ok (empty)`;
  const w = r.worst;
  const verdict = r.ok ? 'ok' : `FAIL (${r.mismatches} of ${r.size} elements out of tolerance)`;
  return `${r.name}: ${verdict}; worst element [${w.index.join(', ')}]: got ${fmt(w.got)}, expected ${fmt(w.expected)}, |error| ${w.error.toExponential(2)} (allowed ${w.allowed.toExponential(2)})`;
}

/**
 * Runs `artifact` on the inputs recorded in `dir` and compares its outputs
 * with the recorded ones. Never throws for a difference: read `ok`/`report`.
 *
 * ```ts
 * const r = checkGolden('mlp.onnx', 'test/golden/mlp', { rtol: 1e-4, atol: 1e-5 });
 * assert.ok(r.ok, r.report);
 * ```
 */
export function checkGolden(artifact: string | Uint8Array, dir: string, options: CheckGoldenOptions = {}): GoldenResult {
  const index = readGoldenIndex(dir);
  const rtol = options.rtol ?? index.rtol ?? GOLDEN_RTOL;
  const atol = options.atol ?? index.atol ?? GOLDEN_ATOL;
  const feeds: Record<string, HostTensor> = {};
  for (const i of index.inputs) feeds[i.name] = readNpy(path.join(dir, i.file));
  const session = openSession(artifact, options.device);
  let outs: Record<string, HostTensor>;
  try {
    const missing = session.inputs.filter((i) => !feeds[i.name]).map((i) => i.name);
    if (missing.length) throw new Error(`'${dir}' has no recorded input ${missing.map((n) => `'${n}'`).join(', ')} the artifact needs (re-record the goldens)`);
    // Recorded inputs that do not fit the artifact (a golden folder of another model): the input named, not onnxruntime's text.
    const fit = checkFeeds(feeds, session.inputs, `${typeof artifact === 'string' ? `'${artifact}'` : 'the artifact'}: the inputs recorded in '${dir}' do not fit it (a golden folder of another model?)`);
    outs = session.runSync(fit);
  } finally {
    session.close();
  }
  const outputs = index.outputs.map((o) => compareTensors(o.name, outs[o.name], readNpy(path.join(dir, o.file)), rtol, atol));
  // An output the folder does not hold would go unchecked: a failure, named (a folder of another model, or of an older one).
  const recorded = new Set(index.outputs.map((o) => o.name));
  for (const name of Object.keys(outs)) {
    if (!recorded.has(name)) outputs.push({ name, ok: false, problem: `an output of the artifact not recorded in '${dir}' (re-record the goldens)`, mismatches: 0, size: 0 });
  }
  const ok = outputs.every((o) => o.ok);
  return { ok, outputs, rtol, atol, report: outputs.map(formatGoldenLine).join('\n') };
}
