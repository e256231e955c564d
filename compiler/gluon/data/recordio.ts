/**
 * MXNet's RecordIO files (`mx.recordio`: the `.rec` / `.idx` pairs that
 * `im2rec.py` writes and `ImageRecordDataset` reads), in dmlc-core's format
 * (src/recordio.cc): each record is `magic 0xced7230a, lrec, data, zero
 * padding to 4 bytes`, little-endian, where `lrec` holds a 3-bit continuation
 * flag above a 29-bit length. A record whose data holds the magic at a
 * 4-byte-aligned offset is written in parts split there (flags 1 start, 2
 * middle, 3 end; 0 a whole record), the magic itself dropped and restored on
 * reading. The `.idx` file is text lines `key\toffset`. `pack`/`unpack` are
 * image records: the header `IfQQ` (flag uint32, label float32, id and id2
 * uint64), then `flag` float32 labels when the label is a list, then the
 * payload (an encoded image for `packImg` / `unpackImg`).
 *
 * Invariants: reads are synchronous and by position (a large file is not
 * loaded whole); a truncated or foreign file, a missing key, or a write on
 * a reader (and the reverse) is an Error naming the file.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { NDArray } from '../../engine/ndarray.js';
import { showValue } from '../show-value.js';
import { decodeImage, imageCodecs, imageLayout } from './image-decode.js';
import { imageDims } from './vision-image.js';

const MAGIC = 0xced7230a;
const LENGTH_MASK = (1 << 29) - 1;

/** Bytes of a record: a Uint8Array, or a string written as UTF-8. */
export type RecordBytes = Uint8Array | string;
const bytesOf = (what: string, b: unknown): Uint8Array => {
  if (b instanceof Uint8Array) return b;
  if (typeof b === 'string') return new TextEncoder().encode(b);
  throw new Error(`${what}: a record must be a Uint8Array or a string, got ${showValue(b)}`);
};

/**
 * Reads or writes a `.rec` file record by record (MXNet's `MXRecordIO`).
 *
 * ```ts
 * const w = new recordio.MXRecordIO('tmp.rec', 'w');
 * w.write('record_0'); w.close();
 * new recordio.MXRecordIO('tmp.rec', 'r').read(); // the bytes of 'record_0'
 * ```
 */
export class MXRecordIO {
  readonly uri: string;
  readonly flag: 'r' | 'w';
  protected fd: number | null = null;
  /** The read or write position in bytes. */
  protected pos = 0;
  private size = 0;

  constructor(uri: string, flag: 'r' | 'w') {
    if (typeof uri !== 'string') throw new Error(`MXRecordIO: uri must be a file path, got ${showValue(uri)}`);
    if (flag !== 'r' && flag !== 'w') throw new Error(`MXRecordIO: Invalid flag ${showValue(flag)} (use 'r' to read or 'w' to write)`);
    this.uri = uri;
    this.flag = flag;
    this.open();
  }

  /** True while the file is open. */
  get isOpen(): boolean {
    return this.fd !== null;
  }

  /** Opens the file (a writer truncates it). */
  open(): void {
    try {
      this.fd = openSync(this.uri, this.flag);
    } catch (e) {
      throw new Error(`MXRecordIO: cannot open '${this.uri}' for ${this.flag === 'r' ? 'reading' : 'writing'} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.pos = 0;
    this.size = this.flag === 'r' ? fstatSync(this.fd).size : 0;
  }

  /** Closes the file; a closed file can be opened again. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Back to the first record (a writer starts the file over, as MXNet's). */
  reset(): void {
    this.close();
    this.open();
  }

  private handle(mode: 'r' | 'w'): number {
    if (this.fd === null) throw new Error(`MXRecordIO '${this.uri}' is closed`);
    if (this.flag !== mode) throw new Error(`MXRecordIO '${this.uri}' was opened with '${this.flag}': cannot ${mode === 'r' ? 'read' : 'write'}`);
    return this.fd;
  }

  /** Appends one record. */
  write(buf: RecordBytes): void {
    const fd = this.handle('w');
    const data = bytesOf('MXRecordIO.write', buf);
    if (data.length >= 2 ** 29) throw new Error(`MXRecordIO.write: a record holds at most 2^29 - 1 bytes, got ${data.length}`);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const head = (cflag: number, len: number): void => {
      const h = Buffer.alloc(8);
      h.writeUInt32LE(MAGIC, 0);
      h.writeUInt32LE(((cflag << 29) | len) >>> 0, 4);
      this.pos += writeSync(fd, h);
    };
    let from = 0;
    // dmlc-core splits at every 4-byte-aligned magic inside the data.
    for (let i = 0; i + 4 <= data.length; i += 4) {
      if (view.getUint32(i, true) === MAGIC) {
        head(from === 0 ? 1 : 2, i - from);
        if (i > from) this.pos += writeSync(fd, data, from, i - from);
        from = i + 4;
      }
    }
    head(from !== 0 ? 3 : 0, data.length - from);
    if (data.length > from) this.pos += writeSync(fd, data, from, data.length - from);
    const pad = (4 - (data.length % 4)) % 4;
    if (pad) this.pos += writeSync(fd, Buffer.alloc(pad));
  }

  /** The next record's bytes, or null at the end of the file. */
  read(): Uint8Array | null {
    const fd = this.handle('r');
    if (this.pos >= this.size) return null;
    const parts: Uint8Array[] = [];
    const head = Buffer.alloc(8);
    for (;;) {
      const at = this.pos;
      if (readSync(fd, head, 0, 8, at) !== 8) throw new Error(`MXRecordIO '${this.uri}': Invalid RecordIO File (a record header is cut off at byte ${at})`);
      if (head.readUInt32LE(0) !== MAGIC) throw new Error(`MXRecordIO '${this.uri}': Invalid RecordIO File (no record starts at byte ${at}: 0x${head.readUInt32LE(0).toString(16)} is not the magic 0xced7230a)`);
      const lrec = head.readUInt32LE(4);
      const cflag = lrec >>> 29;
      const len = lrec & LENGTH_MASK;
      const padded = (len + 3) & ~3;
      const data = Buffer.alloc(padded);
      if (padded && readSync(fd, data, 0, padded, at + 8) !== padded) throw new Error(`MXRecordIO '${this.uri}': Invalid RecordIO File (the record at byte ${at} holds ${len} bytes but the file ends first)`);
      this.pos = at + 8 + padded;
      parts.push(data.subarray(0, len));
      if (cflag === 0 || cflag === 3) break;
      parts.push(Buffer.from([0x0a, 0x23, 0xd7, 0xce]));
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

/**
 * A `.rec` file with its `.idx` index, read by key (MXNet's
 * `MXIndexedRecordIO`; keys are integers unless `keyType` is `String`).
 *
 * ```ts
 * const r = new recordio.MXIndexedRecordIO('data.idx', 'data.rec', 'r');
 * r.readIdx(r.keys[3]!);
 * ```
 */
export class MXIndexedRecordIO extends MXRecordIO {
  readonly idxPath: string;
  readonly keyType: NumberConstructor | StringConstructor;
  /** Key to byte offset in the `.rec` file. */
  idx = new Map<number | string, number>();
  /** The keys in the index's order. */
  keys: (number | string)[] = [];
  private lines: string[] = [];

  constructor(idxPath: string, uri: string, flag: 'r' | 'w', keyType: NumberConstructor | StringConstructor = Number) {
    if (typeof idxPath !== 'string') throw new Error(`MXIndexedRecordIO: idxPath must be a file path, got ${showValue(idxPath)}`);
    // The base constructor opens the files; the fields it needs are set on `open` below.
    super(uri, flag);
    this.idxPath = idxPath;
    this.keyType = keyType;
    this.readIndex();
  }

  override open(): void {
    super.open();
    this.idx = new Map();
    this.keys = [];
    this.lines = [];
    if (this.idxPath !== undefined) this.readIndex();
  }

  private readIndex(): void {
    if (this.flag === 'w') {
      writeFileSync(this.idxPath, '');
      return;
    }
    let text: string;
    try {
      text = readFileSync(this.idxPath, 'utf8');
    } catch (e) {
      throw new Error(`MXIndexedRecordIO: cannot read the index '${this.idxPath}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.idx = new Map();
    this.keys = [];
    text.split('\n').forEach((raw, n) => {
      const line = raw.trim();
      if (!line) return;
      const [k, off] = line.split('\t');
      const offset = Number(off);
      const key = this.keyType === String ? k! : Number(k);
      if (off === undefined || !Number.isInteger(offset) || offset < 0 || (this.keyType !== String && !Number.isFinite(key))) {
        throw new Error(`MXIndexedRecordIO: '${this.idxPath}' line ${n + 1} is not 'key<TAB>offset': ${JSON.stringify(raw)}`);
      }
      this.idx.set(key, offset);
      this.keys.push(key);
    });
  }

  /** Moves the read position to the record of `key`. */
  seek(key: number | string): void {
    const offset = this.idx.get(key);
    if (offset === undefined) throw new Error(`MXIndexedRecordIO '${this.uri}': no record has the key ${showValue(key)} in '${this.idxPath}'`);
    if (this.flag !== 'r') throw new Error(`MXIndexedRecordIO '${this.uri}' was opened with 'w': cannot seek`);
    this.pos = offset;
  }

  /** The write position in bytes (MXNet's `tell`). */
  tell(): number {
    if (this.flag !== 'w') throw new Error(`MXIndexedRecordIO '${this.uri}' was opened with 'r': tell is the writer's position`);
    return this.pos;
  }

  /** The record of `key`. */
  readIdx(key: number | string): Uint8Array {
    this.seek(key);
    const r = this.read();
    if (r === null) throw new Error(`MXIndexedRecordIO '${this.uri}': the index's offset ${this.idx.get(key)} for key ${showValue(key)} is past the end of the file`);
    return r;
  }

  /** Appends a record under `key` and indexes it. */
  writeIdx(key: number | string, buf: RecordBytes): void {
    const k = this.keyType === String ? String(key) : Number(key);
    const pos = this.tell();
    this.write(buf);
    this.lines.push(`${k}\t${pos}\n`);
    writeFileSync(this.idxPath, this.lines.join(''));
    this.idx.set(k, pos);
    this.keys.push(k);
  }
}

/** An image record's header (MXNet's `IRHeader`): `label` is a number, or a list of them (then `flag` is its length). */
export interface IRHeader {
  flag: number;
  label: number | Float32Array;
  id: number;
  id2: number;
}

const HEADER_BYTES = 24;

/**
 * A record of `header` and the payload `s` (MXNet's `recordio.pack`): a
 * list label is stored after the header and `flag` becomes its length.
 *
 * ```ts
 * recordio.pack({ flag: 0, label: 4, id: 2574, id2: 0 }, bytes);
 * ```
 */
export function pack(header: IRHeader, s: RecordBytes): Uint8Array {
  const payload = bytesOf('recordio.pack', s);
  const list = typeof header.label === 'number' ? null : Float32Array.from(header.label as ArrayLike<number>);
  const out = Buffer.alloc(HEADER_BYTES + (list ? 4 * list.length : 0) + payload.length);
  out.writeUInt32LE(list ? list.length : 0, 0);
  out.writeFloatLE(list ? 0 : (header.label as number), 4);
  out.writeBigUInt64LE(BigInt(header.id), 8);
  out.writeBigUInt64LE(BigInt(header.id2), 16);
  if (list) list.forEach((v, i) => out.writeFloatLE(v, HEADER_BYTES + 4 * i));
  out.set(payload, out.length - payload.length);
  return out;
}

/**
 * The header and payload of a record (MXNet's `recordio.unpack`).
 *
 * ```ts
 * const [header, bytes] = recordio.unpack(record);
 * ```
 */
export function unpack(s: Uint8Array): [IRHeader, Uint8Array] {
  if (!(s instanceof Uint8Array) || s.length < HEADER_BYTES) throw new Error(`recordio.unpack: an image record starts with a ${HEADER_BYTES}-byte header, got ${s instanceof Uint8Array ? `${s.length} bytes` : showValue(s)}`);
  const b = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
  const flag = b.readUInt32LE(0);
  const header: IRHeader = { flag, label: b.readFloatLE(4), id: Number(b.readBigUInt64LE(8)), id2: Number(b.readBigUInt64LE(16)) };
  if (flag > 0) {
    if (b.length < HEADER_BYTES + 4 * flag) throw new Error(`recordio.unpack: the header says ${flag} labels but the record holds ${b.length} bytes`);
    header.label = Float32Array.from({ length: flag }, (_v, i) => b.readFloatLE(HEADER_BYTES + 4 * i));
    return [header, s.subarray(HEADER_BYTES + 4 * flag)];
  }
  return [header, s.subarray(HEADER_BYTES)];
}

/**
 * The header and decoded image of a record (MXNet's `recordio.unpack_img`,
 * which returns OpenCV's arrays: BGR, no conversion to RGB). `iscolor` as
 * cv2.imdecode's: 1 colour [H, W, 3], 0 gray [H, W], -1 (default) as
 * stored: gray [H, W] or colour [H, W, 3] (stored alpha or 16-bit samples
 * are refused; pass 1 or 0).
 *
 * ```ts
 * const [header, img] = recordio.unpackImg(record); // img: uint8 BGR
 * ```
 */
export function unpackImg(s: Uint8Array, iscolor = -1): [IRHeader, NDArray] {
  const [header, bytes] = unpack(s);
  if (iscolor !== -1 && iscolor !== 0 && iscolor !== 1) throw new Error(`recordio.unpackImg: iscolor must be 1 (colour), 0 (gray) or -1 (as stored), got ${showValue(iscolor)}`);
  let flag = iscolor;
  if (iscolor === -1) {
    const kind = imageLayout(bytes, 'recordio.unpackImg');
    if (kind.alpha || kind.depth === 16) throw new Error(`recordio.unpackImg: the record's image has ${kind.alpha ? 'an alpha channel' : '16-bit samples'}, which iscolor -1 would keep (OpenCV's IMREAD_UNCHANGED); gluonc reads it with iscolor 1 (colour) or 0 (gray)`);
    flag = kind.channels === 1 ? 0 : 1;
  }
  const img = decodeImage(bytes, flag, false, 'recordio.unpackImg');
  return [header, flag === 0 ? img.reshape(img.shape.slice(0, 2)) : img];
}

/**
 * A record of `header` and `img` (uint8 HWC, BGR as OpenCV's, 1 or 3
 * channels) encoded as `.jpg` (`quality` 1-100, default 95) or `.png`
 * (MXNet's `recordio.pack_img`). The JPEG encoder is jpeg-js's baseline
 * one, not OpenCV's: the bytes differ, the decoded image is close.
 *
 * ```ts
 * recordio.packImg({ flag: 0, label: 3, id: 0, id2: 0 }, img, 90, '.jpg');
 * ```
 */
export function packImg(header: IRHeader, img: NDArray, quality = 95, imgFmt = '.jpg'): Uint8Array {
  const what = 'recordio.packImg';
  const d = imageDims(what, img.ndim === 2 ? img.reshape([...img.shape, 1]) : img, false, [1, 3]);
  if (img.dtype !== 'uint8') throw new Error(`${what}: images must be uint8, got ${img.dtype}`);
  const src = img.data() as Uint8Array;
  const rgba = Buffer.alloc(d.h * d.w * 4);
  for (let i = 0; i < d.h * d.w; i++) {
    const [b, g, r] = d.c === 1 ? [src[i]!, src[i]!, src[i]!] : [src[3 * i]!, src[3 * i + 1]!, src[3 * i + 2]!];
    rgba.set([r, g, b, 255], 4 * i);
  }
  const fmt = String(imgFmt).toLowerCase();
  let encoded: Uint8Array;
  if (fmt === '.jpg' || fmt === '.jpeg') {
    if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100)) throw new Error(`${what}: JPEG quality must be an integer 1-100, got ${showValue(quality)}`);
    encoded = imageCodecs().jpeg.encode({ data: rgba, width: d.w, height: d.h }, quality).data;
  } else if (fmt === '.png') {
    const { PNG } = imageCodecs();
    const png = new PNG({ width: d.w, height: d.h, colorType: d.c === 1 ? 0 : 2, inputColorType: 6, inputHasAlpha: true });
    rgba.copy(png.data);
    encoded = PNG.sync.write(png, { colorType: d.c === 1 ? 0 : 2, inputColorType: 6, inputHasAlpha: true });
  } else {
    throw new Error(`${what}: imgFmt must be '.jpg', '.jpeg' or '.png', got ${showValue(imgFmt)}`);
  }
  return pack(header, encoded);
}
