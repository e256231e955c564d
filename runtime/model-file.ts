/**
 * Safety when loading a model file: what `loadModel` checks before
 * onnxruntime sees any byte. A file that is not ONNX, truncated, over the
 * size limit, stamped with an IR version or opset onnxruntime-node cannot
 * run, or with external data whose path escapes the model's folder
 * (absolute, `..`, a symlink out, missing) is refused with an Error that
 * names the file and says why.
 * Invariant: the ModelProto is walked with bounds checks on every field
 * (runtime/proto-wire.ts); tensor data is never copied.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { removeStaleTemps } from './atomic-file.js';
import { checkManifest, MANIFEST_METADATA_KEY, type ArtifactManifest } from './manifest.js';
import { checkManifestAgainstGraph, readGraph, type GraphSummary } from './model-graph.js';
import { scanFields, WireError, wireFields, wireString, type WireField } from './proto-wire.js';

/** The newest ONNX IR version onnxruntime-node 1.30 loads (it refuses 14: "max supported IR version: 13"). */
export const MAX_IR_VERSION = 13;
/** The oldest IR version accepted (IR 3 introduced opset imports). */
export const MIN_IR_VERSION = 3;
/** The newest default-domain (`ai.onnx`) opset onnxruntime-node 1.30 officially runs. */
export const MAX_OPSET = 26;
/** The oldest default-domain opset onnxruntime guarantees to run. */
export const MIN_OPSET = 7;
/** The default size limit of a model file (and of its external data files): 2 GiB, protobuf's own limit. */
export const DEFAULT_MAX_BYTES = 2 ** 31 - 1;

/** Options of `readModelFile`. Example: `{ maxBytes: 100 * 2 ** 20 }`. */
export interface ModelFileOptions {
  /** Refuse files larger than this many bytes (default 2 GiB − 1). */
  maxBytes?: number;
}

/** What a checked model file holds. */
export interface ModelFile {
  /** The file's path as given (null for bytes). */
  path: string | null;
  /** The file's bytes. */
  bytes: Uint8Array;
  irVersion: number;
  /** Imported opsets by domain (`ai.onnx` for the default domain). */
  opsets: Record<string, number>;
  /** Every `metadata_props` entry. */
  metadata: Record<string, string>;
  /** The gluonc manifest, or null for files from other tools. */
  manifest: ArtifactManifest | null;
  /** The main graph's inputs, outputs and node count (runtime/model-graph.ts). */
  graph: GraphSummary;
  /** The real paths of the external data files the model refers to (checked to lie in its folder). */
  externalData: string[];
}

/**
 * Reads and checks a model file (see the module comment); throws a named
 * Error for anything onnxruntime should not be given.
 *
 * ```ts
 * const f = readModelFile('mlp.onnx', { maxBytes: 64 * 2 ** 20 });
 * f.manifest?.inputs; // [{ name: 'x', dtype: 'float32', shape: ['N', 784] }]
 * ```
 */
export function readModelFile(file: string, options: ModelFileOptions = {}): ModelFile {
  const where = `'${file}'`;
  const maxBytes = checkMaxBytes(options.maxBytes);
  removeStaleTemps(file); // left by an atomic write of this file that was killed (runtime/atomic-file.ts)
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${where}: ${code === 'ENOENT' ? 'no such file' : `cannot open the model file (${code ?? (e as Error).message})`}`);
  }
  let bytes: Uint8Array;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new Error(`${where}: a folder, not a model file`);
    if (!st.isFile()) throw new Error(`${where}: not a regular file`);
    if (st.size > maxBytes) throw new Error(`${where}: refused: the file is ${formatBytes(st.size)}, over the size limit of ${formatBytes(maxBytes)} (maxBytes)`);
    bytes = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, bytes, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== st.size) throw new Error(`${where}: the file shrank while being read (${off} of ${st.size} bytes)`);
  } finally {
    closeSync(fd);
  }
  return checkModelBytes(bytes, { where, dir: path.dirname(path.resolve(file)), path: file, maxBytes });
}

/**
 * Checks ONNX bytes (see the module comment). `dir` is the folder external
 * data is resolved against; without one, external data is refused.
 *
 * ```ts
 * const f = checkModelBytes(bytes, { where: 'model bytes' });
 * ```
 */
export function checkModelBytes(bytes: Uint8Array, ctx: { where?: string; dir?: string | null; path?: string | null; maxBytes?: number } = {}): ModelFile {
  const where = ctx.where ?? `model bytes (${bytes.length})`;
  const maxBytes = checkMaxBytes(ctx.maxBytes);
  const refuse = (why: string): Error => new Error(`${where}: refused: ${why}`);
  if (bytes.length > maxBytes) throw refuse(`${formatBytes(bytes.length)}, over the size limit of ${formatBytes(maxBytes)} (maxBytes)`);
  if (bytes.length === 0) throw refuse('the file is empty, not an ONNX model');
  const other = otherFormat(bytes);
  if (other) throw refuse(`not an ONNX model: ${other}`);

  // ONNX writers put ir_version (field 1, a varint: key byte 0x08) first.
  const looksOnnx = bytes[0] === 0x08;
  const walk = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      if (e.kind === 'truncated' && looksOnnx) throw refuse(`the file is truncated (${e.message})`);
      throw refuse(`${looksOnnx ? 'corrupt ONNX model' : 'not an ONNX model'}: not a valid protobuf ModelProto (${e.message})`);
    }
  };

  const model = walk(() => wireFields(bytes, 0, bytes.length));
  let irVersion = 0;
  const opsets: Record<string, number> = {};
  const metadata: Record<string, string> = {};
  const graphs: WireField[] = [];
  const functions: WireField[] = [];
  let main: WireField | undefined;
  for (const f of model) {
    if (f.no === 1 && f.wire === 0) irVersion = f.value;
    else if (f.no === 7 && f.wire === 2) graphs.push((main = f));
    else if (f.no === 8 && f.wire === 2) {
      let domain = '';
      let version = 0;
      for (const g of walk(() => wireFields(bytes, f.start, f.end))) {
        if (g.no === 1 && g.wire === 2) domain = wireString(bytes, g);
        if (g.no === 2 && g.wire === 0) version = g.value;
      }
      opsets[domain === '' ? 'ai.onnx' : domain] = version;
    } else if (f.no === 14 && f.wire === 2) {
      const kv = walk(() => stringPairs(bytes, f));
      metadata[kv.key] = kv.value;
    } else if (f.no === 20 && f.wire === 2) {
      // TrainingInfoProto: initialization (1) and algorithm (2) are graphs.
      for (const g of walk(() => wireFields(bytes, f.start, f.end))) if ((g.no === 1 || g.no === 2) && g.wire === 2) graphs.push(g);
    } else if (f.no === 25 && f.wire === 2) functions.push(f);
  }
  if (!main) throw refuse(`${looksOnnx ? 'the model has no graph (truncated or corrupt file?)' : 'not an ONNX model (no graph)'}`);
  if (!irVersion) throw refuse('not an ONNX model (no ir_version)');
  if (irVersion > MAX_IR_VERSION) throw refuse(`IR version ${irVersion} is newer than onnxruntime-node can run (IR ${MIN_IR_VERSION} to ${MAX_IR_VERSION})`);
  if (irVersion < MIN_IR_VERSION) throw refuse(`IR version ${irVersion} is older than onnxruntime-node can run (IR ${MIN_IR_VERSION} to ${MAX_IR_VERSION})`);
  const opset = opsets['ai.onnx'];
  if (opset === undefined) throw refuse('the model imports no default-domain (ai.onnx) opset');
  if (opset > MAX_OPSET || opset < MIN_OPSET) {
    throw refuse(`opset ${opset} (ai.onnx) is outside what onnxruntime-node runs (opsets ${MIN_OPSET} to ${MAX_OPSET})`);
  }

  // Every tensor in every graph (initializers, Constant attributes, subgraphs, functions): external data must stay inside dir.
  const tensors: WireField[] = [];
  const seen = walk(() => {
    for (const g of graphs) collectGraphTensors(bytes, g, tensors, 0);
    for (const fn of functions) for (const n of wireFields(bytes, fn.start, fn.end)) if (n.no === 7 && n.wire === 2) collectNodeTensors(bytes, n, tensors, 0);
    return tensors;
  });
  const externalData = new Set<string>();
  for (const t of seen) {
    const ext = walk(() => externalOf(bytes, t));
    if (ext) externalData.add(checkExternal(ext, ctx.dir ?? null, refuse, maxBytes));
  }

  const graph = walk(() => readGraph(bytes, main!, refuse));
  let manifest: ArtifactManifest | null = null;
  const text = metadata[MANIFEST_METADATA_KEY];
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Error(`${where}: manifest '${MANIFEST_METADATA_KEY}' is not valid JSON (${(e as Error).message})`);
    }
    manifest = checkManifest(parsed, where);
    checkManifestAgainstGraph(manifest, graph, refuse);
  }
  return { path: ctx.path ?? null, bytes, irVersion, opsets, metadata, manifest, graph, externalData: [...externalData] };
}

function checkMaxBytes(n: number | undefined): number {
  if (n === undefined) return DEFAULT_MAX_BYTES;
  if (typeof n !== 'number' || !(n > 0)) throw new Error(`maxBytes must be a positive number of bytes, got ${JSON.stringify(n)}`);
  return n;
}

/** A description of a well-known non-ONNX format, or undefined. */
function otherFormat(b: Uint8Array): string | undefined {
  const head = (s: string): boolean => s.split('').every((c, i) => b[i] === c.charCodeAt(0));
  if (head('PK\x03\x04')) return 'the file is a zip archive (a PyTorch or Keras checkpoint?)';
  if (head('\x89PNG')) return 'the file is a PNG image';
  if (head('\x7fELF')) return 'the file is an ELF binary';
  if (head('%PDF')) return 'the file is a PDF document';
  const n = Math.min(b.length, 256);
  let text = true;
  for (let i = 0; i < n && text; i++) text = b[i] === 9 || b[i] === 10 || b[i] === 13 || (b[i]! >= 32 && b[i]! < 127);
  if (text) {
    const first = String.fromCharCode(...b.subarray(0, Math.min(n, 40))).replace(/\s+/g, ' ').trim();
    return `the file is text (${JSON.stringify(first)}...), an ONNX model is binary protobuf`;
  }
  return undefined;
}

function stringPairs(bytes: Uint8Array, f: WireField): { key: string; value: string } {
  let key = '';
  let value = '';
  for (const g of wireFields(bytes, f.start, f.end)) {
    if (g.no === 1 && g.wire === 2) key = wireString(bytes, g);
    if (g.no === 2 && g.wire === 2) value = wireString(bytes, g);
  }
  return { key, value };
}

const MAX_DEPTH = 64;

/** GraphProto: node (1), initializer (5), sparse_initializer (15). Walked without per-field allocation: graphs can hold 100,000s of nodes. */
function collectGraphTensors(bytes: Uint8Array, graph: WireField, out: WireField[], depth: number): void {
  if (depth > MAX_DEPTH) throw new WireError('malformed', `subgraphs nested deeper than ${MAX_DEPTH}`);
  scanFields(bytes, graph.start, graph.end, (f) => {
    if (f.wire !== 2) return;
    if (f.no === 5) out.push({ ...f });
    else if (f.no === 15) sparseTensors(bytes, f, out);
    else if (f.no === 1) collectNodeTensors(bytes, f, out, depth);
  });
}

/** NodeProto: attribute (5) -> AttributeProto: t (5), g (6), tensors (10), graphs (11), sparse_tensor (22), sparse_tensors (23). */
function collectNodeTensors(bytes: Uint8Array, node: Readonly<WireField>, out: WireField[], depth: number): void {
  scanFields(bytes, node.start, node.end, (a) => {
    if (a.no !== 5 || a.wire !== 2) return;
    for (const f of wireFields(bytes, a.start, a.end)) {
      if (f.wire !== 2) continue;
      if (f.no === 5 || f.no === 10) out.push(f);
      else if (f.no === 6 || f.no === 11) collectGraphTensors(bytes, f, out, depth + 1);
      else if (f.no === 22 || f.no === 23) sparseTensors(bytes, f, out);
    }
  });
}

/** SparseTensorProto: values (1) and indices (2) are tensors. */
function sparseTensors(bytes: Uint8Array, f: Readonly<WireField>, out: WireField[]): void {
  for (const g of wireFields(bytes, f.start, f.end)) if ((g.no === 1 || g.no === 2) && g.wire === 2) out.push(g);
}

/** Where a tensor's external data lies, as its TensorProto's `external_data` entries say. */
export interface ExternalRef {
  tensor: string;
  location: string | undefined;
  offset: number;
  length: number | undefined;
}

/** TensorProto: name (8), external_data (13), data_location (14, EXTERNAL = 1). */
function externalOf(bytes: Uint8Array, t: WireField): ExternalRef | null {
  let name = '';
  let external = false;
  const entries: Record<string, string> = {};
  for (const f of wireFields(bytes, t.start, t.end)) {
    if (f.no === 8 && f.wire === 2) name = wireString(bytes, f);
    else if (f.no === 14 && f.wire === 0) external = f.value === 1;
    else if (f.no === 13 && f.wire === 2) {
      const kv = stringPairs(bytes, f);
      entries[kv.key] = kv.value;
      external = true;
    }
  }
  if (!external) return null;
  const num = (k: string): number | undefined => (entries[k] === undefined ? undefined : Number(entries[k]));
  return { tensor: name, location: entries['location'], offset: num('offset') ?? 0, length: num('length') };
}

/**
 * The real path of an external data file inside `dir`, or a refusal naming the tensor and why.
 *
 * ```ts
 * checkExternal({ tensor: 'W', location: 'weights.bin', offset: 0, length: 48 }, 'models/', (why) => new Error(why));
 * ```
 */
export function checkExternal(ext: ExternalRef, dir: string | null, refuse: (why: string) => Error, maxBytes = DEFAULT_MAX_BYTES): string {
  const what = `tensor '${ext.tensor}' has external data`;
  const loc = ext.location;
  if (loc === undefined || loc === '') throw refuse(`${what} without a 'location'`);
  if (loc.includes('\0')) throw refuse(`${what} at a location containing a NUL character`);
  if (path.isAbsolute(loc) || path.win32.isAbsolute(loc) || /^[a-zA-Z]:/.test(loc)) {
    throw refuse(`${what} at the absolute path '${loc}'; external data must lie in the model's folder`);
  }
  if (loc.split(/[\\/]/).includes('..')) throw refuse(`${what} at '${loc}', which uses '..' to leave the model's folder`);
  if (dir === null) throw refuse(`${what} ('${loc}'), which needs the model's folder: load the model from its file path`);
  if (!Number.isSafeInteger(ext.offset) || ext.offset < 0 || (ext.length !== undefined && (!Number.isSafeInteger(ext.length) || ext.length < 0))) {
    throw refuse(`${what} ('${loc}') with an invalid offset or length`);
  }
  let real: string;
  let realDir: string;
  try {
    realDir = realpathSync(dir);
    real = realpathSync(path.join(dir, loc));
  } catch (e) {
    throw refuse(`${what} at '${loc}', which cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const rel = path.relative(realDir, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw refuse(`${what} at '${loc}', a symbolic link that leads outside the model's folder (to '${real}')`);
  }
  const st = statSync(real);
  if (!st.isFile()) throw refuse(`${what} at '${loc}', which is not a regular file`);
  if (st.size > maxBytes) throw refuse(`${what} at '${loc}', ${formatBytes(st.size)}, over the size limit of ${formatBytes(maxBytes)} (maxBytes)`);
  const end = ext.offset + (ext.length ?? 0);
  if (end > st.size) throw refuse(`${what} at '${loc}' reaching byte ${end}, past the end of the file (${st.size} bytes)`);
  return real;
}

/** A byte count for messages. Example: `formatBytes(3 * 2 ** 20) === '3.0 MiB (3145728 bytes)'`. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[u]} (${n} bytes)`;
}
