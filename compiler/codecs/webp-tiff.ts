/**
 * WebP and TIFF through npm libraries, read as OpenCV's imdecode reads
 * them (colour as RGB here; the caller converts to gray and to BGR):
 * - WebP: libwebp compiled to WebAssembly (`@jsquash/webp`, Squoosh's
 *   build; OpenCV links libwebp too), lossy and lossless; alpha dropped
 *   without premultiplying, as WebPDecodeBGR does.
 * - TIFF: `tiff` (image-js's pure-TypeScript decoder on fflate): the first
 *   page, uncompressed, LZW or Deflate, with or without the horizontal
 *   predictor, in strips or tiles; 8-bit gray (BlackIsZero/WhiteIsZero),
 *   RGB and RGBA (the fourth sample dropped). 1-, 16-bit, float, palette
 *   and other photometric kinds are an Error naming them.
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

/** Decodes the first page of an 8-bit TIFF (signature checked) to gray or RGB. */
export function decodeTiff(bytes: Uint8Array, where: string): Pixels {
  let page;
  try {
    page = decodeTiffPages(bytes, { pages: [0] })[0];
    if (!page) throw new Error('it holds no image');
  } catch (e) {
    throw new Error(`${where}: not a readable TIFF image (${(e as Error).message})`);
  }
  const { width, height, samplesPerPixel: spp, bitsPerSample: bits, type } = page;
  const refuse = (what: string): never => {
    throw new Error(`${where}: TIFF ${what} is not supported (8-bit gray, RGB and RGBA are)`);
  };
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`${where}: not a readable TIFF image (its size ${width}x${height} is not a positive size)`);
  if (!Number.isInteger(spp) || spp < 1) throw new Error(`${where}: not a readable TIFF image (${spp} samples a pixel)`);
  if (bits !== 8) refuse(`with ${bits}-bit samples`);
  if (type !== 0 && type !== 1 && type !== 2) refuse(`photometric interpretation ${type}${type === 3 ? ' (palette)' : ''}`);
  if (page.planarConfiguration === 2 && spp > 1) refuse('with separate colour planes (PlanarConfiguration 2)');
  const d = page.data as Uint8Array;
  const n = width * height;
  if (d.length < n * spp) throw new Error(`${where}: not a readable TIFF image (${d.length} samples decoded of ${n * spp})`);
  const channels = type === 2 ? 3 : 1;
  if (spp < channels) refuse(`with ${spp} samples a pixel for photometric interpretation ${type}`);
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) for (let k = 0; k < channels; k++) data[i * channels + k] = d[i * spp + k]!;
  return { width, height, channels, data, alpha: spp > channels, depth: 8 };
}
