/**
 * Reader and writer of numpy's `.npz` archives: what MXNet 2's `save_parameters` and
 * `export` write in numpy mode (`npx.savez`, src/serialization/cnpy.cc: one
 * `<name>.npy` per array in a zip file), and numpy's `np.savez` /
 * `np.savez_compressed`. An `.npy` member is the magic `\x93NUMPY`, a version
 * (1: uint16 header length; 2, 3: uint32), a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` and the raw
 * elements (Fortran order is put back into C order here).
 * Writing stores (does not compress) one `<name>.npy` per array, as
 * `np.savez` and MXNet 2's `npx.savez` do, with a fixed time stamp so the
 * same arrays give the same bytes.
 * Invariant: every member is checked (name, magic, header, dtype, size)
 * before use; a bad archive is an Error naming the file and the member.
 */
import { crc32 } from 'node:zlib';
import { zipSync, unzipSync, type Zippable } from 'fflate';
import { encodeNpy } from '../../runtime/npy.js';
import { allocate, dtypeBytes, type DType } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';

/** numpy's dtype descriptors gluonc reads (little-endian, or byte-sized with '|'). */
const DESCR: Record<string, DType> = {
  '<f4': 'float32', '<f8': 'float64', '<f2': 'float16', '<i4': 'int32', '<i8': 'int64',
  '|i1': 'int8', '|u1': 'uint8', '|b1': 'bool', '<i1': 'int8', '<u1': 'uint8', '<b1': 'bool',
  '<i2': 'int16', '<u2': 'uint16', '<u4': 'uint32', '<u8': 'uint64',
};

/**
 * True when `bytes` start like a zip archive (a local file header, or the end record of an empty one).
 *
 * ```ts
 * isNpz(fs.readFileSync('net.params')); // true for MXNet 2's save_parameters
 * ```
 */
export function isNpz(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/** C order from Fortran order: element (i0, ..., ik) sits at i0 + s0·(i1 + s1·(...)) in `src`. */
function fromFortran(src: Uint8Array, shape: number[], width: number): Uint8Array {
  const n = sizeOf(shape);
  const out = new Uint8Array(src.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let k = shape.length - 1; k >= 0; k--) f = f * shape[k]! + idx[k]!;
    out.set(src.subarray(f * width, (f + 1) * width), c * width);
    for (let k = shape.length - 1; k >= 0 && ++idx[k]! === shape[k]!; k--) idx[k] = 0;
  }
  return out;
}

/** Parses one `.npy` member. */
function readNpy(bytes: Uint8Array, bad: (why: string) => Error): HostTensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) throw bad('not an .npy array (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw bad(`.npy version ${major}.${bytes[7]} is not one numpy writes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [len, at] = major === 1 ? [view.getUint16(8, true), 10] : [bytes.length >= 12 ? view.getUint32(8, true) : Infinity, 12];
  if (at + len > bytes.length) throw bad(`the header (${len} bytes) runs past the end of the member (${bytes.length} bytes)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(at, at + len));
  // A Python dict literal's repeated key keeps its last value: refused rather than read another way.
  const twice = ['descr', 'fortran_order', 'shape'].find((k) => header.split(`'${k}'`).length > 2);
  if (twice) throw bad(`the header ${JSON.stringify(header.trim())} has '${twice}' twice`);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const dims = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || dims === undefined) throw bad(`the header ${JSON.stringify(header.trim())} lacks 'descr', 'fortran_order' or 'shape'`);
  const dtype = DESCR[descr];
  if (!dtype) throw bad(`dtype '${descr}' is not one gluonc reads (${Object.keys(DESCR).slice(0, 8).join(', ')})`);
  const parts = dims.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.every((s) => /^\d+$/.test(s))) throw bad(`invalid shape (${dims})`);
  const shape = parts.map(Number);
  const n = sizeOf(shape);
  const width = dtypeBytes(dtype);
  const raw = bytes.subarray(at + len);
  if (!Number.isSafeInteger(n * width) || raw.length !== n * width) throw bad(`shape (${shape.join(', ')}) of ${descr} needs ${n * width} bytes, the member holds ${raw.length}`);
  const data = allocate(dtype, n);
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(fortran === 'True' && shape.length > 1 ? fromFortran(raw, shape, width) : raw);
  return { dtype, shape, data };
}

/**
 * Parses an `.npz` archive into names (member names without `.npy`) and arrays, in archive order.
 *
 * ```ts
 * const { names, arrays } = readNpz(fs.readFileSync('net.params'), 'net.params');
 * ```
 */
export function readNpz(bytes: Uint8Array, file: string): { names: string[]; arrays: HostTensor[] } {
  let members: Record<string, Uint8Array>;
  const listed: string[] = [];
  try {
    // fflate's filter sees every member of the central directory, in its order (a repeated name would overwrite the first).
    members = unzipSync(bytes, { filter: (f) => (listed.push(f.name), true) });
  } catch (e) {
    throw new Error(`${file}: not a valid .npz (zip) archive: ${(e as Error).message}`);
  }
  const twice = listed.find((n, i) => listed.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`${file}: not a valid .npz archive: member '${twice}' appears twice`);
  // fflate does not check the CRC-32 that zip stores per member; Python's zipfile (numpy's np.load) does.
  const found = centralCrcs(bytes);
  if (found.length !== listed.length) throw new Error(`${file}: not a valid .npz archive: its end record lists ${listed.length} member(s), its central directory holds ${found.length}`);
  const crcs = new Map(found.map((c, i) => [listed[i], c]));
  const names: string[] = [];
  const arrays: HostTensor[] = [];
  Object.entries(members).forEach(([member, content]) => {
    const bad = (why: string) => new Error(`${file}: not a valid .npz archive: member '${member}': ${why}`);
    const crc = crcs.get(member);
    if (crc !== undefined && crc32(content) !== crc) throw bad(`its data does not match its CRC-32 (0x${crc.toString(16).padStart(8, '0')}): the archive is damaged`);
    if (!member.endsWith('.npy')) throw bad("not an '.npy' array (sparse arrays are not supported; save them dense)");
    arrays.push(readNpy(content, bad));
    names.push(member.slice(0, -4));
  });
  return { names, arrays };
}

/**
 * The CRC-32 of each central directory entry, in order, walking the
 * directory by its size as Python's zipfile does (the end record's, or the
 * zip64 end record's, offset and size); an entry is 46 bytes, its name,
 * extra field and comment, the CRC at byte 16. Only called once fflate has
 * read the archive (which goes by the end record's entry count instead).
 */
function centralCrcs(d: Uint8Array): number[] {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  let e = d.length - 22;
  while (e > 0 && v.getUint32(e, true) !== 0x06054b50) e--;
  let [size, at] = [v.getUint32(e + 12, true), v.getUint32(e + 16, true)];
  if (e >= 20 && v.getUint32(e - 20, true) === 0x07064b50) {
    const z = v.getUint32(e - 12, true);
    if (z + 56 <= d.length && v.getUint32(z, true) === 0x06064b50) [size, at] = [v.getUint32(z + 40, true), v.getUint32(z + 48, true)];
  }
  const end = Math.min(at + size, d.length);
  const out: number[] = [];
  while (at + 46 <= end && v.getUint32(at, true) === 0x02014b50) {
    out.push(v.getUint32(at + 16, true));
    at += 46 + v.getUint16(at + 28, true) + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  return out;
}

/** Zip's earliest time stamp (1980-01-01, local time): archives of the same arrays are the same bytes. */
const EPOCH = new Date(1980, 0, 1);

/**
 * Serializes named arrays as an uncompressed `.npz` archive (one
 * `<name>.npy` member each, in the given order), what `np.savez(file, **arrays)` writes.
 *
 * ```ts
 * fs.writeFileSync('w.npz', encodeNpz([['w', nd.ones([2])._host]], 'w.npz'));
 * ```
 */
export function encodeNpz(entries: [string, HostTensor][], file: string): Uint8Array {
  const files: Zippable = {};
  const seen = new Set<string>();
  for (const [name, t] of entries) {
    if (seen.has(name)) throw new Error(`${file}: array name '${name}' appears twice`);
    seen.add(name);
    if (!Object.values(DESCR).includes(t.dtype)) throw new Error(`${file}: array '${name}' has dtype '${t.dtype}', which the .npy format gluonc writes has no descriptor for`);
    Object.defineProperty(files, `${name}.npy`, { value: [encodeNpy(t), { level: 0, mtime: EPOCH }], enumerable: true });
  }
  return zipSync(files);
}
