/**
 * Reader and writer of numpy's `.npz` archives: what MXNet 2's `save_parameters` and
 * `export` write in numpy mode (`npx.savez`, src/serialization/cnpy.cc: one
 * `<name>.npy` per array in a zip file), and numpy's `np.savez` /
 * `np.savez_compressed`. Each `.npy` member is read by runtime/npy.ts's
 * `decodeNpy`, the one `.npy` parser (versions 1.0 to 3.0, little- or
 * big-endian, Fortran order put back into C order).
 * Writing stores (does not compress) one `<name>.npy` per array, as
 * `np.savez` and MXNet 2's `npx.savez` do, with a fixed time stamp so the
 * same arrays give the same bytes.
 * Invariant: every member is checked (name, magic, header, dtype, size)
 * before use; a bad archive is an Error naming the file and the member.
 */
import { crc32 } from 'node:zlib';
import { zipSync, unzipSync, type Zippable } from 'fflate';
import { DTYPES } from '../../runtime/dtypes.js';
import { decodeNpy, encodeNpy } from '../../runtime/npy.js';
import type { HostTensor } from '../../runtime/tensor.js';

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
    const where = `${file}: not a valid .npz archive: member '${member}'`;
    const bad = (why: string) => new Error(`${where}: ${why}`);
    const crc = crcs.get(member);
    if (crc !== undefined && crc32(content) !== crc) throw bad(`its data does not match its CRC-32 (0x${crc.toString(16).padStart(8, '0')}): the archive is damaged`);
    if (!member.endsWith('.npy')) throw bad("not an '.npy' array (sparse arrays are not supported; save them dense)");
    arrays.push(decodeNpy(content, where));
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
    if (!DTYPES.includes(t.dtype)) throw new Error(`${file}: array '${name}' has dtype '${t.dtype}', which the .npy format gluonc writes has no descriptor for`);
    Object.defineProperty(files, `${name}.npy`, { value: [encodeNpy(t), { level: 0, mtime: EPOCH }], enumerable: true });
  }
  return zipSync(files);
}
