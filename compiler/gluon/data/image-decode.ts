/**
 * Decoding of JPEG and PNG files into HWC uint8 arrays, as MXNet's
 * `image.imdecode` / `imread` (OpenCV's `cv::imdecode` with IMREAD_COLOR
 * or IMREAD_GRAYSCALE, then BGR to RGB unless `toRgb` is false).
 *
 * - JPEG: mozjpeg compiled to WebAssembly (`@jsquash/jpeg`, the libjpeg-turbo
 *   lineage OpenCV links: the same integer IDCT and "fancy" chroma
 *   upsampling), so colour pixels equal cv2's. In grayscale mode OpenCV
 *   keeps libjpeg's luma plane; mozjpeg's build here only writes RGB, so
 *   the luma plane comes from `jpeg-js`, whose IDCT rounds differently:
 *   within 1 of cv2 (a colour JPEG read in grayscale only).
 * - PNG: `pngjs` (lossless, so exact): 16-bit samples keep their high byte
 *   (libpng's `png_set_strip_16`, as OpenCV calls it), alpha is dropped,
 *   gray is replicated for colour; colour read as grayscale is libpng's
 *   `rgb_to_gray` as OpenCV sets it up: `(9797 R + 19234 G + 3737 B) >> 15`
 *   on 8-bit samples (measured equal to cv2 on all 2^24 colours), rounded
 *   (`+ 16384`) on 16-bit ones before the high byte is kept. No gamma
 *   correction (OpenCV sets none).
 *
 * Invariants: the result is a new uint8 NDArray [H, W, 3] (flag 1) or
 * [H, W, 1] (flag 0); anything else (another format, a truncated or corrupt
 * file) is an Error naming the source.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import moduleFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import type * as JpegJs from 'jpeg-js';
import type * as PngJs from 'pngjs';
import { NDArray } from '../../engine/ndarray.js';
import { showValue } from '../show-value.js';

const requireHere = createRequire(import.meta.url);
let codecs: { jpeg: typeof JpegJs; PNG: typeof PngJs.PNG } | null = null;

/**
 * jpeg-js and pngjs, loaded on first use (CommonJS, so synchronously): a
 * program that reads no image does not pay their ~3 MiB. Example: `imageCodecs().PNG.sync.read(bytes)`.
 */
export function imageCodecs(): { jpeg: typeof JpegJs; PNG: typeof PngJs.PNG } {
  codecs ??= { jpeg: requireHere('jpeg-js') as typeof JpegJs, PNG: (requireHere('pngjs') as typeof PngJs).PNG };
  return codecs;
}

/** The decoder's pixels: RGBA rows, 8 bits a sample. */
interface Rgba8 {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

interface MozJpeg {
  decode(data: Uint8Array, preserveOrientation: boolean): Rgba8 | null;
}

/** The decoder, its error lines, and the `ImageData` class its glue defines when the global has none (see `withImageData`). */
let mozjpeg: { module: MozJpeg; errors: string[]; imageData: unknown } | null = null;
const globals = globalThis as { ImageData?: unknown };
const hadImageData = 'ImageData' in globals;

/** mozjpeg's WebAssembly module, instantiated synchronously on first use (its runtime starts inside the factory call). */
function mozjpegModule(): { module: MozJpeg; errors: string[]; imageData: unknown } {
  if (mozjpeg) return mozjpeg;
  const wasmFile = requireHere.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
  const compiled = new WebAssembly.Module(readFileSync(wasmFile));
  const errors: string[] = [];
  let ready: MozJpeg | null = null;
  const factory = moduleFactory as unknown as (o: object) => Promise<unknown>;
  void factory({
    instantiateWasm(imports: WebAssembly.Imports, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
      const instance = new WebAssembly.Instance(compiled, imports);
      receive(instance, compiled);
      return instance.exports;
    },
    onRuntimeInitialized(this: MozJpeg) {
      ready = this;
    },
    // libjpeg's messages go to stderr; they are kept for the Error instead.
    print: () => undefined,
    printErr: (line: string) => void errors.push(line),
  }).catch(() => undefined);
  if (!ready) throw new Error('image.imdecode: the JPEG decoder (mozjpeg WebAssembly) did not start');
  mozjpeg = { module: ready, errors, imageData: globals.ImageData };
  // The glue defines a global ImageData where Node has none; it is put back only while the decoder runs.
  if (!hadImageData) delete globals.ImageData;
  return mozjpeg;
}

/** Decodes a JPEG to RGBA with mozjpeg, or an Error quoting libjpeg's message. */
function decodeJpeg(bytes: Uint8Array, where: string): Rgba8 {
  const m = mozjpegModule();
  m.errors.length = 0;
  let out: Rgba8 | null = null;
  if (!hadImageData) globals.ImageData = m.imageData;
  try {
    out = m.module.decode(bytes, false);
  } catch {
    out = null;
  } finally {
    if (!hadImageData) delete globals.ImageData;
  }
  // libjpeg warns ("Premature end of JPEG file") and goes on, as OpenCV does; only an error stops it.
  if (!out) throw new Error(`${where}: not a readable JPEG (${m.errors.at(-1) ?? 'the decoder failed'})`);
  return out;
}

/**
 * The luma plane of a colour JPEG (libjpeg's grayscale output), from jpeg-js:
 * its first component before any colour transform; null for a one-component
 * JPEG, whose mozjpeg pixels are that plane already.
 */
function jpegLuma(bytes: Uint8Array, where: string): Uint8Array | null {
  try {
    const img = imageCodecs().jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, colorTransform: false, tolerantDecoding: true });
    if (jpegComponents(bytes) === 1) return null;
    const n = img.width * img.height;
    const channels = img.data.length / n;
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) y[i] = img.data[i * channels]!;
    return y;
  } catch (e) {
    throw new Error(`${where}: not a readable JPEG (${(e as Error).message})`);
  }
}

/** The component count in a JPEG's frame header (SOFn's Nf), or 0 when there is none before the scan. */
function jpegComponents(b: Uint8Array): number {
  let at = 2;
  while (at + 4 <= b.length && b[at] === 0xff) {
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC): [FF Cn][length][precision][height][width][Nf].
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return b[at + 9] ?? 0;
    if (marker === 0xda) return 0;
    at += 2 + ((b[at + 2]! << 8) | b[at + 3]!);
  }
  return 0;
}

const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (b: Uint8Array, magic: number[]): boolean => magic.every((v, i) => b[i] === v);

/** What an encoded image stores: its format, colour channels (1 gray, 3 colour), whether it has alpha, and its sample depth. */
export interface ImageLayout {
  format: 'jpeg' | 'png';
  channels: 1 | 3;
  alpha: boolean;
  depth: number;
}

/** Reads the layout from a JPEG's frame header or a PNG's IHDR (and tRNS) without decoding; an Error naming `where` otherwise. */
export function imageLayout(bytes: Uint8Array, where: string): ImageLayout {
  if (startsWith(bytes, JPEG_MAGIC)) return { format: 'jpeg', channels: jpegComponents(bytes) === 1 ? 1 : 3, alpha: false, depth: 8 };
  if (startsWith(bytes, PNG_MAGIC) && bytes.length >= 33) {
    const colorType = bytes[25]!;
    let hasTrns = false;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 8; at + 8 <= bytes.length; ) {
      const len = view.getUint32(at);
      const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      if (type === 'tRNS') hasTrns = true;
      if (type === 'IDAT' || type === 'IEND') break;
      at += 12 + len;
    }
    return { format: 'png', channels: colorType === 0 || colorType === 4 ? 1 : 3, alpha: colorType === 4 || colorType === 6 || hasTrns, depth: bytes[24]! };
  }
  throw new Error(`${where}: not a JPEG or PNG image`);
}

/** libpng's rgb_to_gray as OpenCV configures it (0.299, 0.587), on 8-bit samples: truncated. */
const grayOf8 = (r: number, g: number, b: number): number => (9797 * r + 19234 * g + 3737 * b) >> 15;

/**
 * Decodes JPEG or PNG bytes to a uint8 HWC NDArray: `flag` 1 for 3 colour
 * channels (RGB, or BGR with `toRgb` false), 0 for one gray channel;
 * `where` names the source in errors. Example: `decodeImage(bytes, 1, true, "'cat.jpg'")`.
 */
export function decodeImage(bytes: Uint8Array, flag: number, toRgb: boolean, where: string): NDArray {
  if (flag !== 0 && flag !== 1) throw new Error(`${where}: flag must be 1 (colour) or 0 (grayscale), got ${showValue(flag)}`);
  if (typeof toRgb !== 'boolean') throw new Error(`${where}: toRgb must be a boolean, got ${showValue(toRgb)}`);
  let width: number;
  let height: number;
  const pixel: (i: number) => [number, number, number] = (() => {
    if (startsWith(bytes, JPEG_MAGIC)) {
      const img = decodeJpeg(bytes, where);
      [width, height] = [img.width, img.height];
      const d = img.data;
      return (i: number) => [d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!];
    }
    if (startsWith(bytes, PNG_MAGIC)) {
      let png: PngJs.PNG;
      try {
        // 16-bit samples come raw (their high byte is kept below); lower depths scaled to 8 bits (libpng's expand_gray_1_2_4_to_8).
        png = imageCodecs().PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: bytes[24] === 16 });
      } catch (e) {
        throw new Error(`${where}: not a readable PNG (${(e as Error).message})`);
      }
      [width, height] = [png.width, png.height];
      const d = png.data as unknown as Uint8Array | Uint16Array;
      const shift = d instanceof Uint16Array ? 8 : 0;
      if (flag === 0 && shift) {
        // libpng converts 16-bit samples to gray (rounded) before the high byte is kept.
        return (i: number) => {
          const g = (9797 * d[4 * i]! + 19234 * d[4 * i + 1]! + 3737 * d[4 * i + 2]! + 16384) >> 15;
          return [g >> 8, g >> 8, g >> 8];
        };
      }
      return (i: number) => [d[4 * i]! >> shift, d[4 * i + 1]! >> shift, d[4 * i + 2]! >> shift];
    }
    const head = Array.from(bytes.subarray(0, 4), (v) => v.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${where}: not a JPEG or PNG file (it starts with bytes ${head || '(none: it is empty)'}); image.imdecode reads those two formats`);
  })();
  const n = width! * height!;
  if (flag === 0) {
    const out = new Uint8Array(n);
    const luma = startsWith(bytes, JPEG_MAGIC) ? jpegLuma(bytes, where) : null;
    for (let i = 0; i < n; i++) {
      const [r, g, b] = pixel(i);
      out[i] = luma ? luma[i]! : r === g && g === b ? r : grayOf8(r, g, b);
    }
    return new NDArray({ dtype: 'uint8', shape: [height!, width!, 1], data: out });
  }
  const out = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = pixel(i);
    out[3 * i] = toRgb ? r : b;
    out[3 * i + 1] = g;
    out[3 * i + 2] = toRgb ? b : r;
  }
  return new NDArray({ dtype: 'uint8', shape: [height!, width!, 3], data: out });
}
