/**
 * WebP and TIFF through npm libraries, read as OpenCV's imdecode reads
 * them (colour as RGB here; the caller converts to gray and to BGR):
 * - WebP: libwebp compiled to WebAssembly (`@jsquash/webp`, Squoosh's
 *   build; OpenCV links libwebp too), lossy and lossless; alpha dropped
 *   without premultiplying, as WebPDecodeBGR does.
 * - TIFF: `tiff` (image-js's pure-TypeScript decoder on fflate): the first
 *   page, uncompressed, LZW or Deflate, with or without the horizontal
 *   predictor, in strips (or tiles of one sample a pixel); gray
 *   (BlackIsZero/WhiteIsZero) of 1, 8 or 16 bits, RGB and RGBA (samples
 *   after the third dropped) of 8 or 16 bits, and palette images of 1 or 8
 *   bits, reduced to 8 bits as OpenCV 5's decoder reduces them: bilevel 0 and
 *   255; 16-bit gray v >> 8 (its direct read); 16-bit RGB and palette
 *   colours through libtiff's RGBA interface, (255 v + 32767) / 65535 for
 *   samples and v >> 8 for colormap entries (used as they are when every
 *   entry is below 256, libtiff's test for an 8-bit colormap). Floating-point
 *   samples (which cv2.imdecode reads only with IMREAD_UNCHANGED), other
 *   depths, separate planes, FillOrder 2, tiles of several samples and other
 *   photometric kinds are an Error naming them.
 *
 * Invariants: a truncated or corrupt file is an Error naming the source
 * and the format, never a hang (every library bounds its reads by the
 * buffer).
 */
import webpFactory from '@jsquash/webp/codec/dec/webp_dec.js';
import { decode as decodeTiffPages } from 'tiff';
import { cvtColorGray, type Pixels } from './pixels.js';
import { runCodec, startCodec, type Rgba8 } from './wasm-codec.js';

interface WebPDecoder {
  decode(data: Uint8Array): Rgba8 | null;
}
let webp: ReturnType<typeof startCodec<WebPDecoder>> | null = null;

/** RGBA rows to RGB pixels. */
function rgbOf(img: Rgba8, alpha: boolean, depth = 8): Pixels {
  const n = img.width * img.height;
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) data.set(img.data.subarray(4 * i, 4 * i + 3), 3 * i);
  return { width: img.width, height: img.height, channels: 3, data, alpha, depth };
}

/** WebP's 'ALPH' chunk or the VP8X/VP8L alpha bits: whether the file stores alpha. */
function webpHasAlpha(b: Uint8Array): boolean {
  const chunk = String.fromCharCode(...b.subarray(12, 16));
  if (chunk === 'VP8X') return (b[20]! & 0x10) !== 0;
  if (chunk === 'VP8L') return ((b[24]! >> 4) & 1) !== 0;
  return false;
}

/** Decodes WebP bytes (signature checked) to RGB with libwebp. */
export function decodeWebp(bytes: Uint8Array, where: string): Pixels {
  webp ??= startCodec<WebPDecoder>(webpFactory, '@jsquash/webp/codec/dec/webp_dec.wasm', 'the WebP decoder (libwebp)');
  const img = runCodec(webp, (m) => m.decode(bytes));
  if (!img || img.width < 1 || img.height < 1) throw new Error(`${where}: not a readable WebP image (${webp.errors.at(-1) ?? 'libwebp could not decode it'})`);
  return { ...rgbOf(img, webpHasAlpha(bytes)), gray: cvtColorGray };
}

/** What the TIFF reader takes, for its refusals. */
const TIFF_KINDS = '1-, 8- and 16-bit gray, 8- and 16-bit RGB and RGBA, 1- and 8-bit palette are';

/** A TIFF sample of `bits` bits reduced to 8 as OpenCV reads it: bilevel to 0/255, 16-bit gray by >> 8, 16-bit colour by libtiff's rounding. */
function to8(bits: number, colour: boolean): (v: number) => number {
  if (bits === 1) return (v) => v * 255;
  if (bits === 16) return colour ? (v) => Math.floor((255 * v + 32767) / 65535) : (v) => v >> 8;
  return (v) => v;
}

/** Decodes the first page of a TIFF (signature checked) to 8-bit gray or RGB. */
export function decodeTiff(bytes: Uint8Array, where: string): Pixels {
  let page;
  try {
    // A copy of its own (a Buffer's slice would share memory): the library reads strips through DataViews on the
    // bytes' ArrayBuffer, for a Node Buffer a shared pool, where a strip past the file's end would read other bytes.
    page = decodeTiffPages(new Uint8Array(bytes), { pages: [0] })[0];
    if (!page) throw new Error('it holds no image');
  } catch (e) {
    const m = /^Unsupported (.*): (.*)$/.exec((e as Error).message);
    if (m) throw new Error(`${where}: TIFF with ${m[1]} ${m[2]} is not supported (${TIFF_KINDS})`);
    throw new Error(`${where}: not a readable TIFF image (${(e as Error).message})`);
  }
  const { width, height, samplesPerPixel: spp, bitsPerSample: bits, type } = page;
  const refuse = (what: string): never => {
    throw new Error(`${where}: TIFF ${what} is not supported (${TIFF_KINDS})`);
  };
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`${where}: not a readable TIFF image (its size ${width}x${height} is not a positive size)`);
  if (!Number.isInteger(spp) || spp < 1) throw new Error(`${where}: not a readable TIFF image (${spp} samples a pixel)`);
  if (page.sampleFormat === 3) refuse(`with ${bits}-bit floating-point samples (cv2.imdecode reads them only with IMREAD_UNCHANGED, as floats)`);
  if (bits !== 1 && bits !== 8 && bits !== 16) refuse(`with ${bits}-bit samples`);
  if (type !== 0 && type !== 1 && type !== 2 && type !== 3) refuse(`photometric interpretation ${type}`);
  if (page.planarConfiguration === 2 && spp > 1) refuse('with separate colour planes (PlanarConfiguration 2)');
  if (page.fillOrder === 2) refuse('with FillOrder 2 (bits filled from the lowest)');
  if (page.tiled && spp > 1) refuse(`in tiles of ${spp} samples a pixel`);
  const channels = type === 2 || type === 3 ? 3 : 1;
  if (type === 2 ? spp < 3 : type === 3 && spp !== 1) refuse(`with ${spp} samples a pixel for photometric interpretation ${type}`);
  if (bits === 1 && spp !== 1) refuse(`of 1-bit samples, ${spp} a pixel`);
  if (type === 3 && bits === 16) refuse('palette of 16-bit indices');
  const d = page.data as Uint8Array | Uint16Array;
  const n = width * height;
  if (d.length < n * spp) throw new Error(`${where}: not a readable TIFF image (${d.length} samples decoded of ${n * spp})`);
  const data = new Uint8Array(n * channels);
  if (type === 3) {
    let map: Array<[number, number, number]> | undefined;
    try {
      map = page.palette;
    } catch (e) {
      throw new Error(`${where}: not a readable TIFF image (its colormap: ${(e as Error).message})`);
    }
    if (!map) throw new Error(`${where}: not a readable TIFF image (a palette image without a ColorMap)`);
    const wide = map.some((c) => c.some((v) => v > 255));
    const table = map.map((c) => c.map((v) => (wide ? v >> 8 : v)));
    for (let i = 0; i < n; i++) data.set(table[d[i]!]!, 3 * i);
    return { width, height, channels, data, alpha: false, depth: bits, colormapBits: wide ? 16 : 8 };
  }
  const cv = to8(bits, channels === 3);
  for (let i = 0; i < n; i++) for (let k = 0; k < channels; k++) data[i * channels + k] = cv(d[i * spp + k]!);
  return { width, height, channels, data, alpha: spp > channels, depth: bits };
}
