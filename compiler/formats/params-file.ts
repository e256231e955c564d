/**
 * Parameter and array files: safetensors, MXNet's own `.params` NDArray
 * lists (see `mxnet-params.ts`) and numpy's `.npz` (MXNet 2; `npz.ts`), read
 * and written; a lone `.npy` array is read too. Keys of a parameter
 * file are the structural names of `collectParams()` (`0.weight`, `1.weights`).
 * Invariants: a write is atomic (temporary file in the same folder, fsync,
 * rename), so a failed save leaves the old file as it was; a read checks every
 * number of the header before using it and every error names the file; a load
 * checks every parameter before assigning any, so a failed load changes nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeStaleTemps, writeFileAtomic } from '../../runtime/atomic-file.js';
import { dtypeBytes, viewOf, type DType } from '../../runtime/dtypes.js';
import { formatShape, sizeOf, type HostTensor } from '../../runtime/tensor.js';
import { decodeNpy } from '../../runtime/npy.js';
import { canonicalMxnetNames, mxnet1Names } from './mxnet-names.js';
import { fuseRnnParams, splitRnnParam } from './mxnet-rnn-param.js';
import { encodeMxnetParams, isMxnetParams, readMxnetParams } from './mxnet-params.js';
import { encodeNpz, isNpz, readNpz } from './npz.js';
import { matchByOrder, type FileEntry } from './param-matching.js';
import { NDArray } from '../engine/ndarray.js';
import type { FileParameter as Parameter, FileParameterDict as ParameterDict } from './block-like.js';
import { checkOptions } from '../../runtime/check-options.js';

/** The safetensors dtype code of each gluonc dtype. */
const CODE: Record<DType, string> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  int32: 'I32',
  int64: 'I64',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
  int16: 'I16',
  uint16: 'U16',
  uint32: 'U32',
  uint64: 'U64',
};
const BY_CODE = new Map<string, DType>(Object.entries(CODE).map(([d, c]) => [c, d as DType]));

/** The largest JSON header accepted (the safetensors reference uses the same bound). */
const MAX_HEADER = 100 * 1024 * 1024;

/** A tensor file's contents: named host tensors in file order and the string metadata. */
export interface TensorFile {
  /** `mxnet`: MXNet's NDArray list; `npz`: numpy's archive (MXNet 2's `npx.savez`); `npy`: one array (`npx.save`). */
  format: 'safetensors' | 'mxnet' | 'npz' | 'npy';
  /** Named tensors; an MXNet list saved without names (or an `.npy` array) has keys `'0'`, `'1'`, ... and `named: false`. */
  tensors: [string, HostTensor][];
  named: boolean;
  metadata: Record<string, string>;
}

/** Throws on big-endian hosts, where the files' little-endian bytes would need swapping. Example: `checkLittleEndian(); write(bytes)`. */
export function checkLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new Error('parameter files: only little-endian hosts are supported');
}

function bytesOf(t: HostTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Serializes named tensors to safetensors bytes (header padded to 8 bytes;
 * data laid out widest dtype first so every tensor is aligned).
 *
 * ```ts
 * const bytes = encodeSafetensors([['w', nd.ones([2])._host]], { format: 'gluonc' });
 * ```
 */
export function encodeSafetensors(tensors: [string, HostTensor][], metadata: Record<string, string> = {}): Uint8Array {
  checkLittleEndian();
  const names = new Set<string>();
  for (const [name] of tensors) {
    if (name === '__metadata__') throw new Error(`safetensors: '__metadata__' cannot be a tensor name`);
    if (names.has(name)) throw new Error(`safetensors: tensor name '${name}' appears twice`);
    names.add(name);
  }
  const order = tensors.map((_, i) => i).sort((a, b) => dtypeBytes(tensors[b]![1].dtype) - dtypeBytes(tensors[a]![1].dtype) || a - b);
  const offsets = new Array<[number, number]>(tensors.length);
  let end = 0;
  for (const i of order) {
    const n = tensors[i]![1].data.byteLength;
    offsets[i] = [end, end + n];
    end += n;
  }
  // Built by hand so any name (even `__proto__`) stays an own key, in the given order.
  const fields: string[] = [];
  if (Object.keys(metadata).length) fields.push(`"__metadata__":${JSON.stringify(metadata)}`);
  tensors.forEach(([name, t], i) => {
    fields.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: CODE[t.dtype], shape: t.shape, data_offsets: offsets[i] })}`);
  });
  let json = Buffer.from(`{${fields.join(',')}}`, 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + end);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  for (const i of order) out.set(bytesOf(tensors[i]![1]), 8 + json.length + offsets[i]![0]);
  return out;
}

/** Sets an own enumerable property (also for names such as `__proto__`). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Parses safetensors bytes, checking the header length, the JSON, each
 * entry's dtype, shape and offsets, and that the offsets cover the data
 * exactly (no overlap, no gap). Errors name `file`.
 *
 * ```ts
 * const { tensors } = decodeSafetensors(fs.readFileSync('net.safetensors'), 'net.safetensors');
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, file: string): TensorFile {
  checkLittleEndian();
  const bad = (why: string): Error => new Error(`${file}: not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad(`the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) throw bad(`header length ${n} is beyond the end of the file (${bytes.length} bytes)`);
  if (n > BigInt(MAX_HEADER)) throw bad(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8'));
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const data = bytes.subarray(8 + headerLen);
  const metadata: Record<string, string> = {};
  const tensors: [string, HostTensor][] = [];
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw bad(`__metadata__ value of '${k}' is not a string`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (e === null || typeof e !== 'object') throw bad(`entry '${name}' is not an object`);
    const dtype = typeof e.dtype === 'string' ? BY_CODE.get(e.dtype) : undefined;
    if (!dtype) throw bad(`tensor '${name}' has dtype ${JSON.stringify(e.dtype)}, not one gluonc reads (${[...BY_CODE.keys()].join(', ')})`);
    if (!Array.isArray(e.shape) || !e.shape.every(isNonNegInt)) throw bad(`tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isNonNegInt) || off[0] > off[1]) {
      throw bad(`tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end > data.length) throw bad(`tensor '${name}' has data_offsets [${begin}, ${end}] out of range (the data is ${data.length} bytes)`);
    const shape = e.shape as number[];
    const want = sizeOf(shape) * dtypeBytes(dtype);
    if (end - begin !== want) {
      throw bad(`tensor '${name}' of shape ${formatShape(shape)} and dtype ${e.dtype} needs ${want} bytes, its data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    // Copy so the typed array is aligned and independent of the file buffer.
    const copy = new Uint8Array(data.subarray(begin, end));
    const count = sizeOf(shape);
    const host: HostTensor = { dtype, shape: [...shape], data: typedView(dtype, copy.buffer, count) };
    tensors.push([name, host]);
    ranges.push([begin, end, name]);
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [begin, end, name] of ranges) {
    if (begin < at) throw bad(`tensor '${name}' has data_offsets [${begin}, ${end}] overlapping another tensor`);
    if (begin > at) throw bad(`bytes ${at}..${begin} of the data belong to no tensor (before '${name}')`);
    at = end;
  }
  if (at !== data.length) throw bad(`the data is ${data.length} bytes but the tensors cover ${at}`);
  return { format: 'safetensors', tensors, named: true, metadata };
}

function typedView(dtype: DType, buf: ArrayBufferLike, n: number): HostTensor['data'] {
  return viewOf(dtype, buf, 0, n);
}

/** Atomic writes live in runtime/atomic-file.ts (stale temporary files of killed saves are removed there). */
export { writeFileAtomic };

/** True when `bytes` start with numpy's `.npy` magic (`\x93NUMPY`). */
function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && bytes[0] === 0x93 && Buffer.from(bytes.subarray(1, 6)).toString('latin1') === 'NUMPY';
}

/**
 * Reads a tensor file: safetensors, MXNet's `.params`, numpy's `.npz` (MXNet 2) or one `.npy` array, detected by their magic numbers.
 *
 * ```ts
 * const { tensors, metadata } = readTensorFile('net.safetensors');
 * ```
 */
export function readTensorFile(file: string): TensorFile {
  removeStaleTemps(file);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read '${file}': ${(e as Error).message}`);
  }
  if (isMxnetParams(bytes)) {
    const { names, arrays } = readMxnetParams(bytes, file);
    const tensors = arrays.map((t, i): [string, HostTensor] => [names ? names[i]! : String(i), t]);
    return { format: 'mxnet', tensors, named: names !== null, metadata: {} };
  }
  if (isNpz(bytes)) {
    const { names, arrays } = readNpz(bytes, file);
    return { format: 'npz', tensors: arrays.map((t, i) => [names[i]!, t]), named: true, metadata: {} };
  }
  if (isNpy(bytes)) return { format: 'npy', tensors: [['0', decodeNpy(bytes, file)]], named: false, metadata: {} };
  if (bytes.length < 9 || bytes[8] === 0x7b) return decodeSafetensors(bytes, file);
  throw new Error(`${file}: neither a safetensors file (no '{' after the 8-byte header length) nor an MXNet .params file (no 0x112 magic) nor an .npz archive (no zip header) nor an .npy array`);
}

/** The producer written into gluonc's safetensors metadata. Example: `metadata.format === PRODUCER`. */
export const PRODUCER = 'gluonc';

/** The formats `saveParameters` writes. Example: `PARAM_FORMATS.includes(format)`. */
export const PARAM_FORMATS = ['safetensors', 'mxnet', 'npz'] as const;

/** Options of `saveParameters`. Example: `{ format: 'mxnet' }`. */
export interface SaveParamsOptions {
  /**
   * `'safetensors'` (default); `'mxnet'`: MXNet's NDArray list, what MXNet
   * 1.x's `save_parameters` writes (`net.load_parameters` reads it in 1.x and
   * 2.x); `'npz'`: numpy's archive, what MXNet 2's `save_parameters` writes.
   */
  format?: (typeof PARAM_FORMATS)[number];
}

/**
 * Serializes named tensors in one of `PARAM_FORMATS` (safetensors with
 * `metadata`; the others have no place for it).
 *
 * ```ts
 * const bytes = encodeTensorFile('mxnet', [['0.weight', w._host]], 'net.params');
 * ```
 */
export function encodeTensorFile(format: string, tensors: [string, HostTensor][], file: string, metadata: Record<string, string> = {}): Uint8Array {
  checkLittleEndian();
  if (format === 'safetensors') return encodeSafetensors(tensors, metadata);
  if (format === 'mxnet') return encodeMxnetParams(tensors.map(([, t]) => t), tensors.map(([n]) => n), file);
  if (format === 'npz') return encodeNpz(tensors, file);
  throw new Error(`${file}: format ${JSON.stringify(format)} is not one gluonc writes (${PARAM_FORMATS.map((f) => `'${f}'`).join(', ')})`);
}

/**
 * Saves every parameter of `params` under its key (e.g. `0.weight`) to a
 * file, atomically: safetensors by default, or MXNet's own formats
 * (`options.format`). Uninitialized parameters are an error.
 *
 * ```ts
 * saveParamsFile('net.safetensors', net.collectParams());
 * saveParamsFile('net.params', net.collectParams(), {}, { format: 'mxnet' });
 * ```
 */
export function saveParamsFile(file: string, params: ParameterDict, metadata: Record<string, string> = {}, options: SaveParamsOptions = {}): void {
  if (options === null || typeof options !== 'object') throw new Error(`saveParameters('${file}'): options must be an object, got ${String(options)}`);
  checkOptions(`saveParameters('${file}')`, options, ['format']);
  const format = options.format ?? 'safetensors';
  if (!(PARAM_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`saveParameters('${file}'): format ${JSON.stringify(format)} is not one of ${PARAM_FORMATS.map((f) => `'${f}'`).join(', ')}`);
  }
  const tensors: [string, HostTensor][] = [];
  for (const [name, p] of params.entries()) {
    if (!p.initialized) {
      throw new Error(`cannot save parameters to '${file}': Parameter '${name}' has not been initialized${p.deferred ? ` (its shape ${formatShape(p.shape)} is known after the first forward pass)` : ''}`);
    }
    tensors.push([name, p.data()._host]);
  }
  // Names are data: each MXNet version's Gluon names the recurrent layers' matrices its own way (mxnet-names.ts, mxnet-rnn-param.ts).
  let named = tensors;
  if (format === 'mxnet') {
    const names = mxnet1Names(tensors.map(([n]) => n));
    named = tensors.map(([, t], i) => [names[i]!, t]);
  } else if (format === 'npz') named = fuseRnnParams(tensors);
  writeFileAtomic(file, encodeTensorFile(format, named, file, { format: PRODUCER, kind: 'parameters', ...metadata }));
}

/** Options of `loadParameters`. */
export interface LoadParamsOptions {
  /** Leave parameters the file does not hold as they are (default false: an error). */
  allowMissing?: boolean;
  /** Ignore entries of the file that match no parameter (default false: an error). */
  ignoreExtra?: boolean;
  /** Convert a stored array whose dtype differs to the parameter's dtype (default false: an error). */
  cast?: boolean;
  /** MXNet's name of `cast` (`cast_dtype`). */
  castDtype?: boolean;
  /**
   * With `cast`: `'current'` (default) converts the stored array to the
   * parameter's dtype, `'saved'` makes the stored dtype the parameter's (MXNet's `dtype_source`).
   */
  dtypeSource?: 'current' | 'saved';
}

const LOAD_OPTIONS = ['allowMissing', 'ignoreExtra', 'cast', 'castDtype', 'dtypeSource'];

/** Checks `options` of a load from `file`: an unknown name (`allow_missing`) or value is an error, not ignored. */
function checkLoadOptions(file: string, options: LoadParamsOptions): void {
  const where = `loadParameters('${file}')`;
  if (options === null || typeof options !== 'object') throw new Error(`${where}: options must be an object, got ${String(options)}`);
  checkOptions(where, options, LOAD_OPTIONS);
  const src = options.dtypeSource;
  if (src !== undefined && src !== 'current' && src !== 'saved') throw new Error(`${where}: dtypeSource must be 'current' or 'saved', got '${String(src)}'`);
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => `'${n}'`).join(', ');
  return names.length > 8 ? `${shown}, ... (${names.length} in all)` : shown || 'none';
}

function shapeFits(p: { shape: number[]; initialized: boolean; rankUnknown?: boolean }, shape: number[]): boolean {
  if (!p.initialized && (p.shape.length === 0 || p.rankUnknown)) return true;
  if (p.shape.length !== shape.length) return false;
  return p.shape.every((d, i) => d === 0 || d === shape[i]);
}

/**
 * Loads a safetensors, MXNet `.params` or `.npz` file into `params` by key (MXNet's
 * names are mapped first: `arg:`/`aux:` prefixes dropped, MXNet 1.9's
 * unfused recurrent cells renamed; see `mxnet-names.ts`); the entries of an
 * MXNet file whose names match no parameter are placed by structural order
 * (see `param-matching.ts`). Every mismatch is an error
 * naming the parameter and the file; deferred parameters take the file's shape.
 *
 * ```ts
 * loadParamsFile('net.safetensors', net.collectParams(), { allowMissing: true });
 * ```
 */
export function loadParamsFile(file: string, params: ParameterDict, options: LoadParamsOptions = {}): void {
  checkLoadOptions(file, options);
  const cast = options.cast === true || options.castDtype === true;
  const loaded = readTensorFile(file);
  // An empty MXNet file (a parameterless block's export; MXNet writes {} as 0 arrays and 0 names) is an empty dict.
  if (!loaded.named && loaded.tensors.length > 0) throw new Error(`${file}: the ${loaded.format === 'npy' ? '.npy' : 'MXNet'} file holds ${loaded.tensors.length} arrays without names, so they cannot be matched to parameters`);
  const fromMxnet = loaded.format !== 'safetensors';
  const names = fromMxnet ? canonicalMxnetNames(loaded.tensors.map(([raw]) => raw)) : loaded.tensors.map(([raw]) => raw);
  const shapes = params.entries().map(([n, p]): [string, number[]] => [n, p.shape]);
  const entries: FileEntry[] = loaded.tensors.flatMap(([raw, tensor], i): FileEntry[] => {
    // MXNet 2's recurrent layers save one flat `rnn_param`: cut it into the block's matrices.
    const fused = fromMxnet ? /^((?:.*\.)?)rnn_param$/.exec(names[i]!) : null;
    const parts = fused ? splitRnnParam(fused[1]!, tensor, shapes, file) : null;
    return parts ? parts.map(([name, t]) => ({ raw, name, tensor: t })) : [{ raw, name: names[i]!, tensor }];
  });
  const byName = new Map<string, FileEntry>();
  for (const e of entries) {
    if (byName.has(e.name)) throw new Error(`${file}: parameter '${e.name}' appears twice in the file${e.name !== e.raw ? ` (as '${e.raw}' too)` : ''}`);
    byName.set(e.name, e);
  }
  const found: [string, Parameter, HostTensor][] = [];
  let unplaced: [string, Parameter][] = [];
  for (const [name, p] of params.entries()) {
    const e = byName.get(name);
    if (e) found.push([name, p, e.tensor]);
    else unplaced.push([name, p]);
  }
  // A shared parameter may be listed under several names (each structural path to it): one of them in the file loads it.
  const placed = new Set(found.map(([, p]) => p));
  unplaced = unplaced.filter(([, p]) => !placed.has(p) && (placed.add(p), true));
  let extra = entries.filter((e) => !params.has(e.name));
  // MXNet files name parameters globally (`dense0_weight`): what names do not place, structural order does.
  const byOrder = fromMxnet && unplaced.length > 0 && extra.length > 0;
  if (byOrder) {
    const m = matchByOrder(unplaced, extra, file);
    found.push(...m.placed);
    ({ unplaced, extra } = m);
  }
  if (unplaced.length && !options.allowMissing) {
    const [name] = unplaced[0]!;
    throw new Error(byOrder
      ? `Parameter '${name}' could not be placed: its name is not in file '${file}' and, matching by structural order, the file has no entry left for it; pass { allowMissing: true } to skip it`
      : `Parameter '${name}' is missing in file '${file}' (the file holds ${listNames([...byName.keys()])}); pass { allowMissing: true } to skip it`);
  }
  checkSharedAgree(file, found);
  const assign: [Parameter, NDArray][] = [];
  const recast: Parameter[] = [];
  for (const [name, p, t] of found) {
    if (!shapeFits(p, t.shape)) {
      throw new Error(`Parameter '${name}' has shape ${formatShape(p.shape)} but file '${file}' holds shape ${formatShape(t.shape)}`);
    }
    let value = new NDArray(t);
    if (t.dtype !== p.dtype) {
      if (!cast) {
        throw new Error(`Parameter '${name}' has dtype ${p.dtype} but file '${file}' holds dtype ${t.dtype}; pass { cast: true } to convert`);
      }
      if (options.dtypeSource === 'saved') recast.push(p);
      else value = value.astype(p.dtype);
    }
    assign.push([p, value]);
  }
  if (extra.length && !options.ignoreExtra) {
    throw new Error(byOrder
      ? `Entry '${extra[0]!.raw}' in file '${file}' could not be placed: no parameter of the block is left for it by structural order (its parameters: ${listNames(params.keys())}); pass { ignoreExtra: true } to skip it`
      : `Parameter '${extra[0]!.name}' in file '${file}' is not in the block (its parameters: ${listNames(params.keys())}); pass { ignoreExtra: true } to skip it`);
  }
  for (const p of recast) p.cast(assign.find(([q]) => q === p)![1].dtype);
  for (const [p, value] of assign) p.setData(value);
}

/**
 * A shared (tied) parameter found under several of its names must hold the
 * same array under each (MXNet's save_parameters writes one array to each
 * name); two that differ come from a model where they were not tied, and
 * loading would keep whichever came last.
 */
function checkSharedAgree(file: string, found: [string, Parameter, HostTensor][]): void {
  const first = new Map<Parameter, [string, HostTensor]>();
  for (const [name, p, t] of found) {
    const seen = first.get(p);
    if (!seen) {
      first.set(p, [name, t]);
      continue;
    }
    const [a, u] = seen;
    const same = formatShape(u.shape) === formatShape(t.shape) && u.dtype === t.dtype && u.data.length === t.data.length && u.data.every((v, i) => Object.is(v, t.data[i]) || v === t.data[i]);
    if (!same) throw new Error(`file '${file}' holds different arrays under '${a}' and '${name}', which name one shared (tied) parameter of the block; the file's model did not tie them`);
  }
}
