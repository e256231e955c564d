/**
 * Encoded image bytes to pixels, by the format their signature names:
 * JPEG and PNG (jpeg-png.ts), BMP (bmp.ts), PNM (pnm.ts), GIF (gif.ts), WebP
 * and TIFF (webp-tiff.ts). Two readings:
 * - `decodeOpenCv`: as OpenCV's `cv::imdecode` with IMREAD_COLOR (RGB
 *   here) or IMREAD_GRAYSCALE (MXNet's `image.imdecode` flag 1 or 0): gray
 *   sources replicated for colour, colour sources converted by the rule
 *   OpenCV's decoder of that format applies (JPEG's luma plane, PNG's
 *   libpng formula, imgcodecs' 14-bit icvCvt for BMP/PNM/TIFF, cvtColor's
 *   15-bit weights for WebP/GIF: see pixels.ts);
 * - `decodePillow`: as ONNX's reference ImageDecoder (Pillow): RGB, or
 *   Pillow's `convert("L")` of RGB for grayscale.
 * JPEG 2000 is refused by name (no maintained JavaScript decoder).
 *
 * Invariants: any other bytes are an Error naming `where` and what the
 * bytes start with; a corrupt file an Error naming `where` and its format.
 */
import { decodeBmp } from './bmp.js';
import { decodeJpeg, decodePng, jpegPngLayout } from './jpeg-png.js';
import { type ImageFormat, type Pixels, pillowGray, sniffFormat, withChannels } from './pixels.js';
import { decodePnm } from './pnm.js';
import { decodeGif } from './gif.js';
import { decodeTiff, decodeWebp } from './webp-tiff.js';

/** The formats read, as listed in errors. */
export const READ_FORMATS = 'JPEG, PNG, BMP, PNM (PBM/PGM/PPM), TIFF, WebP and GIF';

/** The format of `bytes`, or an Error naming `where` and the first bytes. */
function formatOf(bytes: Uint8Array, where: string): Exclude<ImageFormat, 'jpeg2000'> {
  const f = sniffFormat(bytes);
  if (f === 'jpeg2000') throw new Error(`${where}: JPEG 2000 images are not supported (no maintained JavaScript decoder; gluonc reads ${READ_FORMATS})`);
  if (f) return f;
  const head = Array.from(bytes.subarray(0, 4), (v) => v.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${where}: not an image file gluonc reads (it starts with bytes ${head || '(none: it is empty)'}); image decoding reads ${READ_FORMATS}`);
}

/** The format's own pixels: gray or RGB as stored (JPEG and PNG asked for `gray` directly, their conversion being their own). */
function stored(bytes: Uint8Array, format: Exclude<ImageFormat, 'jpeg2000'>, gray: boolean, where: string): Pixels {
  switch (format) {
    case 'jpeg':
      return decodeJpeg(bytes, gray, where);
    case 'png':
      return decodePng(bytes, gray, where);
    case 'bmp':
      return decodeBmp(bytes, where);
    case 'pnm':
      return decodePnm(bytes, where);
    case 'tiff':
      return decodeTiff(bytes, where);
    case 'webp':
      return decodeWebp(bytes, where);
    case 'gif':
      return decodeGif(bytes, where);
  }
}

/**
 * Decodes as OpenCV's imdecode: `gray` false gives RGB [H·W·3], true one
 * gray channel. Example: `decodeOpenCv(readFileSync('a.bmp'), false, "'a.bmp'")`.
 */
export function decodeOpenCv(bytes: Uint8Array, gray: boolean, where: string): Pixels {
  const p = stored(bytes, formatOf(bytes, where), gray, where);
  return withChannels(p, gray ? 1 : 3, p.gray);
}

/**
 * Decodes as ONNX's reference ImageDecoder (Pillow): RGB, or with `gray`
 * Pillow's L conversion of the RGB pixels. Example: `decodePillow(bytes, true, 'ImageDecoder')`.
 */
export function decodePillow(bytes: Uint8Array, gray: boolean, where: string): Pixels {
  const format = formatOf(bytes, where);
  const p = stored(bytes, format, false, where);
  // The TIFFs OpenCV reduces to 8 bits by libtiff's rules (16-bit samples, 8-bit colormaps used as they are): Pillow has
  // rules of its own there, not checked against it here (no Pillow in the test environment), so they are refused.
  if (format === 'tiff' && (p.depth === 16 || p.colormapBits === 8)) {
    throw new Error(`${where}: a TIFF of ${p.depth === 16 ? '16-bit samples' : 'an 8-bit colormap'} is not supported here (ONNX's reference reads it with Pillow, whose reduction to 8 bits gluonc does not reproduce; image.imdecode reads it as OpenCV does)`);
  }
  const rgb = withChannels(p, 3);
  return gray ? withChannels(rgb, 1, pillowGray) : rgb;
}

/** What an encoded image stores: its format, colour channels (1 gray, 3 colour), whether it has alpha, and its sample depth. */
export interface ImageLayout {
  format: Exclude<ImageFormat, 'jpeg2000'>;
  channels: 1 | 3;
  alpha: boolean;
  depth: number;
}

/** The layout of `bytes`: from JPEG's and PNG's headers, by decoding the other formats; an Error naming `where` otherwise. */
export function imageLayout(bytes: Uint8Array, where: string): ImageLayout {
  const format = formatOf(bytes, where);
  if (format === 'jpeg' || format === 'png') return { format, ...jpegPngLayout(bytes, format) };
  const p = stored(bytes, format, false, where);
  return { format, channels: p.channels, alpha: p.alpha, depth: p.depth };
}
