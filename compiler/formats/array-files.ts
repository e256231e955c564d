/**
 * Files of arrays as MXNet code writes and reads them: `nd.save`/`nd.load`
 * (MXNet's NDArray list, `mx.nd.save`'s format; or safetensors) and MXNet
 * 2's `npx.save` (one `.npy` array; a list or dict as MXNet 1.x's, in MXNet's format), `npx.savez` (an `.npz` archive) and
 * `npx.load` (any of them). The formats themselves live in
 * `mxnet-params.ts`, `npz.ts`, runtime's `npy.ts` and `params-file.ts`.
 * Invariants: every write is atomic (`writeFileAtomic`), so a failed save
 * leaves the old file as it was; what a format cannot hold (a value that is
 * not an NDArray, a name given twice) is an Error naming the call, the file
 * and the entry, raised before anything is written.
 */
import { encodeNpy } from '../../runtime/npy.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { NDArray } from '../engine/ndarray.js';
import { encodeMxnetParams } from './mxnet-params.js';
import { encodeNpz } from './npz.js';
import { checkLittleEndian, encodeSafetensors, PRODUCER, readTensorFile, writeFileAtomic } from './params-file.js';
import { checkOptions } from '../../runtime/check-options.js';

/** What `nd.save` takes: one array, a list of arrays, or arrays by name (a record or a Map, whose order is kept). Example: `{ w: nd.ones([2]) }`. */
export type ArraysToSave = NDArray | NDArray[] | Record<string, NDArray> | Map<string, NDArray>;

/** The formats `nd.save` writes. */
const SAVE_FORMATS = ['mxnet', 'safetensors'] as const;

/** Options of `nd.save`. Example: `{ format: 'safetensors' }`. */
export interface SaveArraysOptions {
  /**
   * `'mxnet'`: MXNet's NDArray list, what `mx.nd.save` writes;
   * `'safetensors'`. Default: safetensors for a file name ending in
   * `.safetensors`, otherwise MXNet's format.
   */
  format?: (typeof SAVE_FORMATS)[number];
}

/** A short description of a value that is not what was expected: `a number`, `an Array`, `a Float32Array`. */
function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x !== 'object') return `a ${typeof x}`;
  const name = (x as object).constructor?.name ?? 'Object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Sets an own enumerable property (also for names such as `__proto__`). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The host tensors of `data` with their names (null for a list), checking
 * that every value is an NDArray; `where` prefixes errors (`nd.save('a.params')`).
 */
function entriesOf(data: unknown, where: string): { names: string[] | null; tensors: HostTensor[] } {
  let pairs: [string, unknown][];
  let named = true;
  if (data instanceof NDArray) {
    pairs = [['0', data]];
    named = false;
  } else if (Array.isArray(data)) {
    pairs = data.map((a, i): [string, unknown] => [String(i), a]);
    named = false;
  } else if (data instanceof Map) {
    pairs = [...data.entries()];
    for (const [k] of pairs) if (typeof k !== 'string') throw new Error(`${where}: the Map's key ${String(k)} is not a string (names are strings)`);
  } else if (isRecord(data)) {
    pairs = Object.entries(data);
  } else {
    throw new Error(`${where}: data must be an NDArray, a list of NDArrays or a record of name -> NDArray, got ${describe(data)}`);
  }
  const tensors = pairs.map(([k, a]) => {
    if (!(a instanceof NDArray)) throw new Error(`${where}: ${named ? `entry '${k}'` : `item ${k}`} is ${describe(a)}, not an NDArray`);
    return a._host;
  });
  return { names: named ? pairs.map(([k]) => k) : null, tensors };
}

/**
 * MXNet's `nd.save`: writes one array, a list or a dict of arrays, as
 * `mx.nd.save` does (MXNet's NDArray list; `mx.nd.load` reads it, and so
 * does `nd.load`), or as safetensors (`{ format: 'safetensors' }`, the
 * default for a `.safetensors` file name; a list is stored under keys `0`,
 * `1`, ...). A 0-d array makes the file MXNet's numpy-shape version, which
 * MXNet reads under `npx.set_np()`.
 *
 * ```ts
 * nd.save('arrays.params', { a: nd.ones([2]), b: nd.zeros([3]) });   // mx.nd.load('arrays.params')
 * nd.save('arrays.safetensors', [nd.ones([2])]);
 * ```
 */
export function saveArrays(file: string, data: ArraysToSave, options: SaveArraysOptions = {}): void {
  const where = `nd.save('${file}')`;
  if (typeof file !== 'string' || file === '') throw new Error(`nd.save: the file name must be a non-empty string, got ${describe(file)}`);
  if (options === null || typeof options !== 'object') throw new Error(`${where}: options must be an object, got ${describe(options)}`);
  checkOptions(where, options, ['format']);
  const format = options.format ?? (file.endsWith('.safetensors') ? 'safetensors' : 'mxnet');
  if (!(SAVE_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`${where}: format ${JSON.stringify(format)} is not one of ${SAVE_FORMATS.map((f) => `'${f}'`).join(', ')}`);
  }
  const { names, tensors } = entriesOf(data, where);
  checkLittleEndian();
  const bytes = format === 'mxnet'
    ? encodeMxnetParams(tensors, names, file)
    : encodeSafetensors(tensors.map((t, i) => [names ? names[i]! : String(i), t]), { format: PRODUCER, kind: names ? 'dict' : 'list' });
  writeFileAtomic(file, bytes, { what: 'nd.save' });
}

/**
 * MXNet's `nd.load`: reads a file written by `nd.save` or `mx.nd.save` (or
 * any safetensors file, an MXNet `.params` file, an `.npz` archive, an
 * `.npy` array) as a list (arrays saved without names) or a dict.
 *
 * ```ts
 * const { a, b } = nd.load('arrays.params') as Record<string, nd.NDArray>;
 * ```
 */
export function loadArrays(file: string): NDArray[] | Record<string, NDArray> {
  const f = readTensorFile(file);
  const isList = f.format === 'safetensors' ? f.metadata.format === PRODUCER && f.metadata.kind === 'list' : !f.named;
  if (isList) {
    const out = new Array<NDArray>(f.tensors.length);
    for (const [k, t] of f.tensors) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= out.length || out[i]) throw new Error(`${file}: list entry '${k}' is not an index 0..${out.length - 1}`);
      out[i] = new NDArray(t);
    }
    return out;
  }
  const out: Record<string, NDArray> = {};
  for (const [k, t] of f.tensors) setOwn(out, k, new NDArray(t));
  return out;
}

/**
 * `npx.save`: one array as a numpy `.npy` file (MXNet 2's); a list of
 * arrays or a record of name -> array as MXNet's NDArray file (MXNet 1.x's
 * `npx.save`, which d2l's file I/O page uses: `npx.save('x-files', [x, y])`;
 * `npx.load` and `mx.npx.load` read it back as a list or a dict). The name is
 * kept as given (no `.npy` is added, as in MXNet); the write is atomic.
 *
 * ```ts
 * npx.save('x.npy', np.arange(6).reshape([2, 3]));   // numpy.load('x.npy')
 * npx.save('x-files', [x, y]);                       // const [x2, y2] = npx.load('x-files')
 * ```
 */
export function npxSave(file: string, arr: NDArray | NDArray[] | Record<string, NDArray> | Map<string, NDArray>): void {
  const where = `npx.save('${file}')`;
  if (Array.isArray(arr) || arr instanceof Map || isRecord(arr)) {
    const { names, tensors } = entriesOf(arr, where);
    checkLittleEndian();
    writeFileAtomic(file, encodeMxnetParams(tensors, names, file), { what: 'npx.save' });
    return;
  }
  if (!(arr instanceof NDArray)) throw new Error(`${where}: the array must be an NDArray, a list of them or a record of name -> NDArray, got ${describe(arr)}`);
  checkLittleEndian();
  writeFileAtomic(file, encodeNpy(arr._host), { what: 'npx.save' });
}

/**
 * MXNet 2's `npx.savez` (numpy's `savez`): writes arrays to an uncompressed
 * `.npz` archive, atomically; positional arrays are named `arr_0`, `arr_1`,
 * ...; a record (or Map) among the arguments gives names, as Python's
 * keyword arguments do (and, as there, comes first in the archive).
 *
 * ```ts
 * npx.savez('arrays.npz', x, y);                 // arr_0, arr_1
 * npx.savez('params.npz', { w: x, b: y });       // numpy.load('params.npz')['w']
 * ```
 */
export function npxSavez(file: string, ...args: (NDArray | Record<string, NDArray> | Map<string, NDArray>)[]): void {
  const where = `npx.savez('${file}')`;
  const kw: [string, HostTensor][] = [];
  const positional: HostTensor[] = [];
  for (const a of args) {
    if (a instanceof NDArray) positional.push(a._host);
    else if (a instanceof Map || isRecord(a)) {
      const { names, tensors } = entriesOf(a, where);
      tensors.forEach((t, i) => kw.push([names![i]!, t]));
    } else throw new Error(`${where}: argument ${args.indexOf(a) + 1} is ${describe(a)}, not an NDArray or a record of name -> NDArray`);
  }
  const entries = [...kw];
  positional.forEach((t, i) => {
    const name = `arr_${i}`;
    if (kw.some(([k]) => k === name)) throw new Error(`${where}: naming conflict between positional array ${i} ('${name}') and the named '${name}'`);
    entries.push([name, t]);
  });
  checkLittleEndian();
  writeFileAtomic(file, encodeNpz(entries, file), { what: 'npx.savez' });
}

/**
 * MXNet 2's `npx.load`: reads an `.npy` array, an `.npz` archive or an
 * MXNet NDArray list (or safetensors). Named arrays come back as a record,
 * a single unnamed array as that array, several as a list.
 *
 * ```ts
 * const x = npx.load('x.npy') as nd.NDArray;
 * const { w } = npx.load('params.npz') as Record<string, nd.NDArray>;
 * ```
 */
export function npxLoad(file: string): NDArray | NDArray[] | Record<string, NDArray> {
  const got = loadArrays(file);
  return Array.isArray(got) && got.length === 1 ? got[0]! : got;
}
