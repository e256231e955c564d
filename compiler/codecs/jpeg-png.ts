/**
 * JPEG and PNG decoded as OpenCV's `cv::imdecode` does (IMREAD_COLOR or
 * IMREAD_GRAYSCALE):
 * - JPEG: mozjpeg compiled to WebAssembly (`@jsquash/jpeg`, the
 *   libjpeg-turbo lineage OpenCV links: the same integer IDCT and "fancy"
 *   chroma upsampling), so colour pixels equal cv2's. In grayscale mode
 *   OpenCV keeps libjpeg's luma plane; mozjpeg's build here only writes
 *   RGB, so the luma plane comes from `jpeg-js`, whose IDCT rounds
 *   differently: within 1 of cv2 (a colour JPEG read in grayscale only).
 * - PNG: `pngjs` (lossless, so exact): 16-bit samples keep their high byte
 *   (libpng's `png_set_strip_16`, as OpenCV calls it), alpha is dropped,
 *   gray is replicated for colour; colour read as grayscale is libpng's
 *   `rgb_to_gray` as OpenCV sets it up: `(9797 R + 19234 G + 3737 B) >> 15`
 *   on 8-bit samples (measured equal to cv2 on all 2^24 colours), rounded
 *   (`+ 16384`) on 16-bit ones before the high byte is kept. No gamma
 *   correction (OpenCV sets none).
 *
 * Invariants: a truncated or corrupt file is an Error naming the source
 * and the format.
 */
import { createRequire } from 'node:module';
import moduleFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import type * as JpegJs from 'jpeg-js';
import type * as PngJs from 'pngjs';
import type { Pixels } from './pixels.js';
import { runCodec, startCodec, type Rgba8 } from './wasm-codec.js';

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

interface MozJpeg {
  decode(data: Uint8Array, preserveOrientation: boolean): Rgba8 | null;
}
let mozjpeg: ReturnType<typeof startCodec<MozJpeg>> | null = null;

/** Decodes a JPEG to RGBA with mozjpeg, or an Error quoting libjpeg's message. */
function decodeJpegRgba(bytes: Uint8Array, where: string): Rgba8 {
  mozjpeg ??= startCodec<MozJpeg>(moduleFactory, '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm', 'the JPEG decoder (mozjpeg)');
  const out = runCodec(mozjpeg, (m) => m.decode(bytes, false));
  // libjpeg warns ("Premature end of JPEG file") and goes on, as OpenCV does; only an error stops it.
  if (!out) throw new Error(`${where}: not a readable JPEG (${mozjpeg.errors.at(-1) ?? 'the decoder failed'})`);
  return out;
}

/**
 * The luma plane of a colour JPEG (libjpeg's grayscale output), from jpeg-js:
 * its first component before any colour transform.
 */
function jpegLuma(bytes: Uint8Array, where: string): Uint8Array {
  try {
    const img = imageCodecs().jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, colorTransform: false, tolerantDecoding: true });
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
export function jpegComponents(b: Uint8Array): number {
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

/** A JPEG as OpenCV reads it: RGB, a gray file's plane, or (`gray` asked of a colour file) libjpeg's luma. */
export function decodeJpeg(bytes: Uint8Array, gray: boolean, where: string): Pixels {
  const img = decodeJpegRgba(bytes, where);
  const n = img.width * img.height;
  const oneComponent = jpegComponents(bytes) === 1;
  const base = { width: img.width, height: img.height, alpha: false, depth: 8 };
  if (gray) {
    const data = oneComponent ? Uint8Array.from({ length: n }, (_v, i) => img.data[4 * i]!) : jpegLuma(bytes, where);
    if (data.length !== n) throw new Error(`${where}: not a readable JPEG (its luma plane has ${data.length} pixels, its image ${n})`);
    return { ...base, channels: 1, data };
  }
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) data.set(img.data.subarray(4 * i, 4 * i + 3), 3 * i);
  return { ...base, channels: 3, data };
}

/** libpng's rgb_to_gray as OpenCV configures it (0.299, 0.587), on 8-bit samples: truncated. */
const grayOf8 = (r: number, g: number, b: number): number => (9797 * r + 19234 * g + 3737 * b) >> 15;

/** The PNG's colour type, from IHDR (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA). */
const pngColorType = (b: Uint8Array): number => b[25]!;

/** A PNG as OpenCV reads it (see the file header); `gray` converts colour by libpng's formula. */
export function decodePng(bytes: Uint8Array, gray: boolean, where: string): Pixels {
  let png: PngJs.PNG;
  const depth = bytes[24] ?? 8;
  try {
    // 16-bit samples come raw (their high byte is kept below); lower depths scaled to 8 bits (libpng's expand_gray_1_2_4_to_8).
    png = imageCodecs().PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: depth === 16 });
  } catch (e) {
    throw new Error(`${where}: not a readable PNG (${(e as Error).message})`);
  }
  const n = png.width * png.height;
  const d = png.data as unknown as Uint8Array | Uint16Array;
  const shift = d instanceof Uint16Array ? 8 : 0;
  const colorType = pngColorType(bytes);
  const base = { width: png.width, height: png.height, alpha: colorType === 4 || colorType === 6 || pngHasTrns(bytes), depth };
  if (gray) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const [r, g, b] = [d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!];
      // libpng converts 16-bit samples to gray (rounded) before the high byte is kept.
      data[i] = r === g && g === b ? r >> shift : shift ? ((9797 * r + 19234 * g + 3737 * b + 16384) >> 15) >> 8 : grayOf8(r, g, b);
    }
    return { ...base, channels: 1, data };
  }
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) data[3 * i + k] = d[4 * i + k]! >> shift;
  return { ...base, channels: 3, data };
}

/** Whether a PNG has a tRNS chunk before its image data. */
function pngHasTrns(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length; ) {
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') break;
    at += 12 + view.getUint32(at);
  }
  return false;
}

/** A JPEG's or PNG's stored channels (1 gray, 3 colour), alpha and depth from its headers, without decoding. */
export function jpegPngLayout(bytes: Uint8Array, format: 'jpeg' | 'png'): { channels: 1 | 3; alpha: boolean; depth: number } {
  if (format === 'jpeg') return { channels: jpegComponents(bytes) === 1 ? 1 : 3, alpha: false, depth: 8 };
  const colorType = pngColorType(bytes);
  return { channels: colorType === 0 || colorType === 4 ? 1 : 3, alpha: colorType === 4 || colorType === 6 || pngHasTrns(bytes), depth: bytes[24]! };
}
