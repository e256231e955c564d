/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) to and from host
 * tensors, for every gluonc dtype: float32 `<f4`, float64 `<f8`, float16
 * `<f2`, int32 `<i4`, int64 `<i8`, int8 `|i1`, uint8 `|u1`, bool `|b1`,
 * int16 `<i2`, uint16 `<u2`, uint32 `<u4`, uint64 `<u8`.
 * Reading also accepts big-endian data and Fortran order (both converted);
 * writing always produces little-endian C-order version 1.0 files (2.0 when
 * the header is too long), as `numpy.save` does.
 * Invariant: every error names the file (or "npy bytes") and what is wrong.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { allocate, dtypeBytes, DTYPES, type DType, type TypedArray } from './dtypes.js';
import { formatShape, sizeOf, stridesOf, type HostTensor } from './tensor.js';
import { makeFolder, writeProblem } from './atomic-file.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The numpy type code of each dtype (without the byte-order character). */
const CODES: Record<DType, string> = {
  float32: 'f4',
  float64: 'f8',
  float16: 'f2',
  int32: 'i4',
  int64: 'i8',
  int8: 'i1',
  uint8: 'u1',
  bool: 'b1',
  int16: 'i2',
  uint16: 'u2',
  uint32: 'u4',
  uint64: 'u8',
};
const BY_CODE = new Map<string, DType>(DTYPES.map((d) => [CODES[d], d]));

/**
 * The numpy `descr` of a dtype, as `np.save` writes it.
 *
 * ```ts
 * npyDescr('float32'); // '<f4'
 * npyDescr('bool');    // '|b1'
 * ```
 */
export function npyDescr(dtype: DType): string {
  return `${dtypeBytes(dtype) === 1 ? '|' : '<'}${CODES[dtype]}`;
}

/**
 * Encodes a host tensor as `.npy` bytes.
 *
 * ```ts
 * writeFileSync('x.npy', encodeNpy({ dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }));
 * ```
 */
export function encodeNpy(t: HostTensor): Uint8Array {
  const n = sizeOf(t.shape);
  if (t.data.length !== n) throw new Error(`encodeNpy: a tensor of shape ${formatShape(t.shape)} holds ${t.data.length} elements`);
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${npyDescr(t.dtype)}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad with spaces so that magic + version + length + header (ending in \n) is a multiple of 64.
  let version = 1;
  let pre = 10;
  if (header.length + 1 + pre > 0xffff) {
    version = 2;
    pre = 12;
  }
  header += ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const headerBytes = new TextEncoder().encode(header);
  const bytes = dtypeBytes(t.dtype) * n;
  const out = new Uint8Array(pre + headerBytes.length + bytes);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerBytes.length, true);
  else view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, pre);
  const body = new Uint8Array(t.data.buffer, t.data.byteOffset, bytes);
  if (littleEndianHost()) out.set(body, pre + headerBytes.length);
  else out.set(swapBytes(body, dtypeBytes(t.dtype)), pre + headerBytes.length);
  return out;
}

/**
 * Decodes `.npy` bytes into a host tensor (data copied, C order, native endianness).
 *
 * ```ts
 * const x = decodeNpy(readFileSync('x.npy'));  // { dtype: 'float32', shape: [2, 784], data: Float32Array }
 * ```
 */
export function decodeNpy(bytes: Uint8Array, where = 'npy bytes'): HostTensor {
  const fail = (msg: string): Error => new Error(`${where}: ${msg}`);
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw fail('is not a .npy file (it does not start with \\x93NUMPY)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw fail(`has .npy format version ${major}.${bytes[7]}, which is not supported (1.0 to 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pre = major === 1 ? 10 : 12;
  if (bytes.length < pre) throw fail('is truncated (in the header)');
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (pre + hlen > bytes.length) throw fail(`is truncated: its header needs ${hlen} bytes, the file has ${bytes.length - pre}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(pre, pre + hlen));
  const { descr, fortran, shape } = parseHeader(header, fail);

  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  const dtype = m ? BY_CODE.get(`${m[2]}${m[3]}`) : undefined;
  if (!m || !dtype) {
    throw fail(`has dtype '${descr}', which gluonc does not support (supported: ${DTYPES.map((d) => `${d} '${npyDescr(d)}'`).join(', ')})`);
  }
  const size = dtypeBytes(dtype);
  const n = sizeOf(shape);
  const start = pre + hlen;
  const need = n * size;
  if (bytes.length - start < need) {
    throw fail(`is truncated: shape ${formatShape(shape)} of ${dtype} needs ${need} bytes of data, the file has ${bytes.length - start}`);
  }
  if (bytes.length - start > need) throw fail(`has ${bytes.length - start - need} bytes after the data of shape ${formatShape(shape)} (corrupt file?)`);
  // Copy into a fresh, aligned buffer.
  let raw: Uint8Array = new Uint8Array(bytes.subarray(start, start + need)); // a copy (Buffer.slice would share memory)
  const bigEndian = m[1] === '>' || (m[1] === '=' && !littleEndianHost());
  if (size > 1 && bigEndian === littleEndianHost()) raw = swapBytes(raw, size);
  let data: TypedArray = viewAs(dtype, raw.buffer, n);
  if (dtype === 'bool') data = (data as Uint8Array).map((v) => (v ? 1 : 0));
  if (fortran && shape.length > 1) data = fromFortran(dtype, data, shape);
  return { dtype, shape, data };
}

/**
 * Reads a `.npy` file.
 *
 * ```ts
 * const x = readNpy('inputs/x.npy');
 * ```
 */
export function readNpy(file: string): HostTensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `'${file}': no such file` : `'${file}': cannot read: ${(e as Error).message}`);
  }
  return decodeNpy(bytes, `'${file}'`);
}

/**
 * File names for tensors named `names` (outputs of `gluonc run`, golden
 * files): `<prefix><name>.npy` with characters other than letters, digits,
 * `_`, `.` and `-` made `_` (and `_` before a name that is empty or starts
 * with a dot); a name whose file an earlier one took gets `-1`, `-2`, ...
 *
 * ```ts
 * npyFileNames(['y:0', 'y_0'], 'output-'); // ['output-y_0.npy', 'output-y_0-1.npy']
 * ```
 */
export function npyFileNames(names: string[], prefix = ''): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    if (safe === '' || safe.startsWith('.')) safe = `_${safe}`;
    let file = `${prefix}${safe}.npy`;
    for (let k = 1; used.has(file); k++) file = `${prefix}${safe}-${k}.npy`;
    used.add(file);
    return file;
  });
}

/**
 * Writes a host tensor as a `.npy` file (the folder is created when missing).
 *
 * ```ts
 * writeNpy('out/y.npy', { dtype: 'float32', shape: [1, 10], data: y });
 * ```
 */
export function writeNpy(file: string, t: HostTensor): void {
  const bytes = encodeNpy(t);
  try {
    makeFolder(dirname(file));
    writeFileSync(file, bytes);
  } catch (e) {
    throw new Error(`cannot write '${file}': ${writeProblem(file, e)}`);
  }
}

/** Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. */
function parseHeader(h: string, fail: (m: string) => Error): { descr: string; fortran: boolean; shape: number[] } {
  // numpy's header is a Python dict literal, where a repeated key's last value wins: refused rather than read another way.
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if ((h.match(new RegExp(`['"]${key}['"]\\s*:`, 'g')) ?? []).length > 1) throw fail(`has a malformed .npy header ${JSON.stringify(h.trim())} ('${key}' appears twice)`);
  }
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(h)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(h)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(h)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw fail(`has a malformed .npy header ${JSON.stringify(h.trim())} (needs 'descr', 'fortran_order' and 'shape')`);
  }
  // Decimal digits only (Python 2's long suffix L allowed): numpy writes nothing else, and Number() would take 1e3 or 0x10.
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.every((s) => /^\d+L?$/.test(s))) throw fail(`has an invalid shape (${shapeText}) in its header`);
  const shape = parts.map((s) => Number(s.replace(/L$/, '')));
  return { descr, fortran: fortran === 'True', shape };
}

function viewAs(dtype: DType, buf: ArrayBufferLike, n: number): TypedArray {
  const out = allocate(dtype, 0);
  return new (out.constructor as new (b: ArrayBufferLike, o: number, n: number) => TypedArray)(buf, 0, n);
}

/** Column-major data of `shape` in row-major order. */
function fromFortran(dtype: DType, src: TypedArray, shape: number[]): TypedArray {
  const out = allocate(dtype, src.length);
  const cStrides = stridesOf(shape);
  const fStrides: number[] = [];
  let acc = 1;
  for (const d of shape) {
    fStrides.push(acc);
    acc *= d;
  }
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < src.length; i++) {
    let rem = i;
    let f = 0;
    for (let k = 0; k < shape.length; k++) {
      idx[k] = Math.floor(rem / cStrides[k]!);
      rem -= idx[k]! * cStrides[k]!;
      f += idx[k]! * fStrides[k]!;
    }
    (out as Float64Array)[i] = (src as Float64Array)[f]!;
  }
  return out;
}

function swapBytes(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += size) for (let k = 0; k < size; k++) out[i + k] = src[i + size - 1 - k]!;
  return out;
}

let le: boolean | undefined;
function littleEndianHost(): boolean {
  return (le ??= new Uint8Array(new Uint16Array([1]).buffer)[0] === 1);
}
