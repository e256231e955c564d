/**
 * Reader and writer of MXNet's own `.params` files (what `mx.nd.save` and
 * Gluon's `save_parameters` write), for users moving weights either way.
 *
 * Layout (all little-endian): uint64 magic 0x112, uint64 reserved, uint64
 * array count, the arrays, uint64 name count (0 or the array count), each
 * name as uint64 length + UTF-8 bytes. One array:
 * - v2/v3: uint32 magic 0xF993FAC9 (v3 0xF993FACA, numpy shape semantics),
 *   int32 storage type (0 dense; sparse is refused), shape, context, data;
 * - v1: uint32 magic 0xF993FAC8, shape, context, data;
 * - older: the uint32 magic is itself ndim, followed by uint32 dims, context, data.
 * A shape is int32 ndim + int64 dims; ndim 0 (v1/v2) or -1 (v3) is an empty
 * array. Context is int32 dev_type + int32 dev_id (ignored: data is on the
 * host). Data is int32 type flag (mshadow) then the raw elements.
 * Writing follows MXNet's src/ndarray/ndarray.cc: `NDArray::Save(fo, data,
 * names)` writes the list header (`kMXAPINDArrayListMagic` 0x112, reserved
 * 0), then dmlc's vector serializer (uint64 count, each array's
 * `NDArray::Save`), then the names (uint64 count, uint64 length + bytes
 * each); `NDArray::Save` writes the magic (V2, or V3 under numpy shape
 * semantics), int32 stype 0, the shape (`TShape::Save`: int32 ndim, int64
 * dims), the context (`Context::Save`: int32 dev_type, cpu = 1, int32
 * dev_id), int32 type flag and the elements.
 * Invariant: every read is bounds-checked; a short or malformed file is an
 * Error naming the file, the array and the byte offset; a write refuses what
 * MXNet could not read back, naming the array.
 */
import { allocate, dtypeBytes, type DType } from '../../runtime/dtypes.js';
import type { HostTensor } from '../../runtime/tensor.js';

const LIST_MAGIC = 0x112n;
const V1_MAGIC = 0xf993fac8;
const V2_MAGIC = 0xf993fac9;
const V3_MAGIC = 0xf993faca;

/** mshadow type flags gluonc reads (mshadow/base.h's TypeFlag: kFloat32 = 0 ... kBool = 7, kInt16 = 8, kUint16 = 9, kUint32 = 10, kUint64 = 11). */
const TYPE_FLAGS: Record<number, DType> = {
  0: 'float32',
  1: 'float64',
  2: 'float16',
  3: 'uint8',
  4: 'int32',
  5: 'int8',
  6: 'int64',
  7: 'bool',
  8: 'int16',
  9: 'uint16',
  10: 'uint32',
  11: 'uint64',
};
const FLAG_OF = new Map<string, number>(Object.entries(TYPE_FLAGS).map(([f, d]) => [d, Number(f)]));
const FLAG_NAMES: Record<number, string> = { 12: 'bfloat16' };
const STORAGE: Record<number, string> = { 1: 'row_sparse', 2: 'csr' };

/**
 * True when `bytes` starts like an MXNet NDArray list (magic 0x112, reserved 0).
 *
 * ```ts
 * isMxnetParams(fs.readFileSync('model-0000.params')); // true
 * ```
 */
export function isMxnetParams(bytes: Uint8Array): boolean {
  if (bytes.length < 16) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return v.getBigUint64(0, true) === LIST_MAGIC && bytes[8] !== 0x7b;
}

class Reader {
  private readonly view: DataView;
  at = 0;
  what = 'the header';

  constructor(private readonly bytes: Uint8Array, private readonly file: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(why: string): Error {
    return new Error(`${this.file}: not a valid MXNet .params file: ${why} (${this.what}, byte ${this.at})`);
  }

  need(n: number): void {
    if (this.at + n > this.bytes.length) {
      throw this.fail(`truncated: needs ${n} more bytes, the file has ${this.bytes.length - this.at} left`);
    }
  }

  u32(): number {
    this.need(4);
    const x = this.view.getUint32(this.at, true);
    this.at += 4;
    return x;
  }

  i32(): number {
    this.need(4);
    const x = this.view.getInt32(this.at, true);
    this.at += 4;
    return x;
  }

  /** A uint64 or int64 that must fit a safe non-negative integer. */
  count(what: string, signed = false): number {
    this.need(8);
    const x = signed ? this.view.getBigInt64(this.at, true) : this.view.getBigUint64(this.at, true);
    if (x < 0n || x > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} ${x} is out of range`);
    this.at += 8;
    return Number(x);
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return out;
  }
}

/** Reads an int32 ndim + int64 dims shape; null for an empty array. */
function readShape(r: Reader, v3: boolean): number[] | null {
  const ndim = r.i32();
  if (v3 ? ndim < 0 : ndim === 0) return null;
  if (ndim < 0 || ndim > 32) throw r.fail(`invalid ndim ${ndim}`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(r.count('dimension', true));
  return shape;
}

function readData(r: Reader, shape: number[]): HostTensor {
  r.i32(); // dev_type
  r.i32(); // dev_id
  const flag = r.i32();
  const dtype = TYPE_FLAGS[flag];
  if (!dtype) throw r.fail(`type flag ${flag}${FLAG_NAMES[flag] ? ` (${FLAG_NAMES[flag]})` : ''} is not a dtype gluonc supports`);
  let n = 1;
  for (const d of shape) n *= d;
  const bytes = n * dtypeBytes(dtype);
  if (!Number.isSafeInteger(bytes)) throw r.fail(`shape [${shape.join(', ')}] is too large`);
  const raw = r.take(bytes);
  const data = allocate(dtype, n);
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(raw);
  return { dtype, shape, data };
}

function readArray(r: Reader): HostTensor | null {
  const magic = r.u32();
  if (magic === V2_MAGIC || magic === V3_MAGIC) {
    const stype = r.i32();
    if (stype !== 0) {
      throw r.fail(`storage type ${STORAGE[stype] ?? stype} is not supported; convert it with .tostype('default') before saving`);
    }
    const shape = readShape(r, magic === V3_MAGIC);
    return shape ? readData(r, shape) : null;
  }
  if (magic === V1_MAGIC) {
    const shape = readShape(r, false);
    return shape ? readData(r, shape) : null;
  }
  // Before v1 the magic is the ndim and dims are uint32.
  if (magic > 32) throw r.fail(`unknown NDArray magic 0x${magic.toString(16)}`);
  if (magic === 0) return null;
  const shape: number[] = [];
  for (let i = 0; i < magic; i++) shape.push(r.u32());
  return readData(r, shape);
}

/**
 * Parses the bytes of an MXNet `.params` file. `names` is null when the file
 * was saved from a list; names keep MXNet's `arg:`/`aux:` prefixes.
 *
 * ```ts
 * const { names, arrays } = readMxnetParams(fs.readFileSync('net.params'), 'net.params');
 * ```
 */
export function readMxnetParams(bytes: Uint8Array, file: string): { names: string[] | null; arrays: HostTensor[] } {
  const r = new Reader(bytes, file);
  if (r.count('magic') !== Number(LIST_MAGIC)) throw r.fail('missing the 0x112 magic');
  r.count('reserved');
  const n = r.count('array count');
  if (n > bytes.length) throw r.fail(`array count ${n} exceeds the file size`);
  const arrays: HostTensor[] = [];
  for (let i = 0; i < n; i++) {
    r.what = `array ${i}`;
    const a = readArray(r);
    if (!a) throw r.fail('the array is empty (none), which gluonc cannot load');
    arrays.push(a);
  }
  r.what = 'the names';
  const k = r.count('name count');
  if (k !== 0 && k !== n) throw r.fail(`${k} names for ${n} arrays`);
  const names: string[] = [];
  const dec = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < k; i++) {
    r.what = `name ${i}`;
    const len = r.count('name length');
    try {
      names.push(dec.decode(r.take(len)));
    } catch (e) {
      if ((e as Error).message.includes('not a valid MXNet')) throw e;
      throw r.fail('the name is not valid UTF-8');
    }
  }
  r.what = 'the end';
  if (r.at !== bytes.length) throw r.fail(`${bytes.length - r.at} trailing bytes after the names`);
  return { names: k === 0 ? null : names, arrays };
}

/**
 * Serializes arrays as MXNet's NDArray list, byte for byte what
 * `mx.nd.save(file, data)` writes for the same arrays on the CPU: `names`
 * null for a list, one name per array for a dict. The arrays are version 2
 * (what MXNet 1.x writes by default, read in either shape mode) unless one
 * of them is 0-d: MXNet has that shape only under numpy shape semantics
 * (`npx.set_np()`), so then every array is version 3, as MXNet writes them
 * there (and `mx.nd.load` reads them there only).
 *
 * ```ts
 * fs.writeFileSync('w.params', encodeMxnetParams([nd.ones([2])._host], ['w'], 'w.params'));
 * ```
 */
export function encodeMxnetParams(arrays: HostTensor[], names: string[] | null, file: string): Uint8Array {
  if (names && names.length !== arrays.length) throw new Error(`${file}: ${names.length} names for ${arrays.length} arrays`);
  const v3 = arrays.some((a) => a.shape.length === 0);
  const enc = new TextEncoder();
  const nameBytes = (names ?? []).map((n) => enc.encode(n));
  let size = 24 + 8 + nameBytes.reduce((n, b) => n + 8 + b.length, 0);
  arrays.forEach((a, i) => {
    const what = names ? `'${names[i]}'` : `${i}`;
    const flag = FLAG_OF.get(a.dtype);
    if (flag === undefined) throw new Error(`${file}: array ${what} has dtype '${a.dtype}', which MXNet's NDArray format has no type flag for (it takes ${[...FLAG_OF.keys()].join(', ')})`);
    let n = 1;
    for (const d of a.shape) n *= d;
    if (a.data.length !== n || a.data.byteLength !== n * dtypeBytes(a.dtype)) {
      throw new Error(`${file}: array ${what} of shape [${a.shape.join(', ')}] holds ${a.data.length} elements of ${a.dtype}`);
    }
    size += 4 + 4 + 4 + 8 * a.shape.length + 8 + 4 + a.data.byteLength;
  });
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let at = 0;
  const u64 = (x: number | bigint) => { v.setBigUint64(at, BigInt(x), true); at += 8; };
  const i32 = (x: number) => { v.setInt32(at, x, true); at += 4; };
  u64(LIST_MAGIC);
  u64(0); // reserved
  u64(arrays.length);
  for (const a of arrays) {
    v.setUint32(at, v3 ? V3_MAGIC : V2_MAGIC, true);
    at += 4;
    i32(0); // kDefaultStorage
    i32(a.shape.length);
    for (const d of a.shape) { v.setBigInt64(at, BigInt(d), true); at += 8; }
    i32(1); // Context: dev_type kCPU
    i32(0); // dev_id
    i32(FLAG_OF.get(a.dtype)!);
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), at);
    at += a.data.byteLength;
  }
  u64(nameBytes.length);
  for (const b of nameBytes) {
    u64(b.length);
    out.set(b, at);
    at += b.length;
  }
  return out;
}
