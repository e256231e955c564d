/**
 * What every image decoder here returns, the formats they tell apart by
 * their first bytes, and the grayscale conversions in use. OpenCV's
 * decoders convert colour to gray in two ways, told apart on colours where
 * they differ (test/fixtures/image-formats/make.py, cv2 5.0.0):
 * imgcodecs' icvCvt_BGR2Gray (0.299, 0.587, 0.114 in 14-bit fixed point,
 * rounded: BMP, PNM, TIFF; truncated for a BMP with an alpha mask) and
 * `cv::cvtColor` BGR2GRAY (15-bit weights 9798, 19235, 3735, rounded: WebP,
 * GIF). Pillow's `convert("L")` (ITU-R 601-2 in 16-bit fixed point,
 * rounded) is what ONNX's reference ImageDecoder uses.
 *
 * Invariants: pixel data is 8 bits a sample, row-major HWC, `channels`
 * samples a pixel (1 gray, 3 RGB); alpha is dropped (`alpha` says it was
 * there), 16-bit samples are reduced to 8 bits as the format's OpenCV
 * decoder reduces them (the high byte; libtiff's rounding for TIFF colour;
 * `depth` says 16).
 */

/** The encoded formats told apart by their signature. */
export type ImageFormat = 'jpeg' | 'png' | 'bmp' | 'pnm' | 'tiff' | 'webp' | 'gif' | 'jpeg2000';

/** Decoded pixels, 8 bits a sample: gray (1 channel) or RGB (3). */
export interface Pixels {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
  /** The file stored an alpha channel (dropped here). */
  alpha: boolean;
  /** The file's bits per sample (8, or 16 reduced to 8 bits; 1 for bilevel). */
  depth: number;
  /** A TIFF palette's colormap: 16-bit entries, or 8-bit ones (every entry below 256, used as they are by libtiff). */
  colormapBits?: 8 | 16;
  /** How OpenCV's decoder of this format turns its colour into gray (`openCvGray` when absent). */
  gray?: (r: number, g: number, b: number) => number;
}

const startsWith = (b: Uint8Array, magic: readonly number[], at = 0): boolean => magic.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** The format `bytes` start like (its signature), or null. Example: `sniffFormat(readFileSync('a.bmp'))` is `'bmp'`. */
export function sniffFormat(b: Uint8Array): ImageFormat | null {
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(b, ascii('BM'))) return 'bmp';
  if (b[0] === 0x50 && b[1]! >= 0x31 && b[1]! <= 0x36 && b[2] !== undefined && /\s/.test(String.fromCharCode(b[2]))) return 'pnm';
  if (startsWith(b, ascii('II*\0')) || startsWith(b, ascii('MM\0*'))) return 'tiff';
  if (startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))) return 'gif';
  if (startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(b, [0xff, 0x4f, 0xff, 0x51])) return 'jpeg2000';
  return null;
}

/** imgcodecs' icvCvt_BGR2Gray_8u on 8-bit samples: `(4899 R + 9617 G + 1868 B + 8192) >> 14`. */
export const openCvGray = (r: number, g: number, b: number): number => (4899 * r + 9617 * g + 1868 * b + 8192) >> 14;

/** The same weights truncated (`>> 14` without the half): OpenCV 5's gray read of a BMP with an alpha mask. */
export const openCvGrayTruncated = (r: number, g: number, b: number): number => (4899 * r + 9617 * g + 1868 * b) >> 14;

/** `cv::cvtColor` BGR2GRAY on 8-bit samples: `(9798 R + 19235 G + 3735 B + 16384) >> 15`. */
export const cvtColorGray = (r: number, g: number, b: number): number => (9798 * r + 19235 * g + 3735 * b + 16384) >> 15;

/** Pillow's `convert("L")`: `(19595 R + 38470 G + 7471 B + 32768) >> 16`. */
export const pillowGray = (r: number, g: number, b: number): number => (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;

/** `p` with 1 channel (by `gray` from RGB) or 3 (gray replicated), as asked. */
export function withChannels(p: Pixels, channels: 1 | 3, gray: (r: number, g: number, b: number) => number = openCvGray): Pixels {
  if (p.channels === channels) return p;
  const n = p.width * p.height;
  const d = p.data;
  const out = new Uint8Array(n * channels);
  if (channels === 3) {
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = d[i]!;
  } else {
    for (let i = 0; i < n; i++) out[i] = gray(d[3 * i]!, d[3 * i + 1]!, d[3 * i + 2]!);
  }
  return { ...p, channels, data: out };
}
