/**
 * Netpbm's PBM, PGM and PPM (P1-P6), decoded as OpenCV's PxM decoder
 * (modules/imgcodecs/src/grfmt_pxm.cpp) does:
 * - header numbers separated by whitespace and `#` comments; the binary
 *   samples (P4-P6) start one byte after maxval's last digit;
 * - PBM's 1 is black (0) and 0 white (255); ASCII PBM reads one digit a
 *   sample (digits may touch);
 * - ASCII samples above maxval read as maxval, then (maxval below 256) are
 *   scaled by `v * 255 / maxval` (integer division); binary 8-bit samples
 *   are kept as stored whatever maxval is (OpenCV scales only the ASCII
 *   forms: a binary maxval-100 file stays 0..100);
 * - maxval above 255 means 16-bit samples (big-endian when binary), of
 *   which the high byte is kept;
 * - every ASCII number but PBM's one-digit samples needs a byte after it
 *   (OpenCV reads past each number), so a file cut inside its last sample
 *   is refused rather than read short.
 *
 * Invariants: a truncated file, a bad header or a sample that is not a
 * number is an Error naming `where` and the format.
 */
import type { Pixels } from './pixels.js';

/** Decodes PNM bytes (signature already checked) to gray (P1/P2/P4/P5) or RGB (P3/P6) pixels. */
export function decodePnm(b: Uint8Array, where: string): Pixels {
  const kind = b[1]! - 0x30;
  const fail = (why: string): never => {
    throw new Error(`${where}: not a readable PNM (P${kind}) image: ${why}`);
  };
  let at = 2;
  const isSpace = (c: number | undefined): boolean => c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
  const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
  /** OpenCV's ReadNumber: past whitespace and comments, a decimal number and the byte after it (none after `one` digit). */
  const num = (what: string, one = false): number => {
    for (;;) {
      if (at >= b.length) fail(`the file ends before its ${what}`);
      if (isDigit(b[at])) break;
      if (b[at] === 0x23) {
        while (at < b.length && b[at] !== 0x0a && b[at] !== 0x0d) at++;
        at++;
      } else if (isSpace(b[at])) at++;
      else fail(`its ${what} is not a number (byte 0x${b[at]!.toString(16)} at offset ${at})`);
    }
    let v = 0;
    do {
      v = v * 10 + (b[at++]! - 0x30);
      if (v > 0x7fffffff) fail(`its ${what} is too large`);
      if (one) return v;
      if (at >= b.length) fail(`the file ends inside its ${what}`);
    } while (isDigit(b[at]));
    at++;
    return v;
  };
  const width = num('width');
  const height = num('height');
  const bits = kind === 1 || kind === 4;
  const maxval = bits ? 1 : num('maxval');
  if (width < 1 || height < 1) fail(`its size ${width}x${height} is empty`);
  if (maxval < 1 || maxval > 65535) fail(`its maxval ${maxval} is not in 1..65535`);
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  if (width * height * channels > 2 ** 30) fail(`its size ${width}x${height} is too large`);
  const wide = maxval > 255;
  const n = width * height * channels;
  const data = new Uint8Array(n);
  if (kind <= 3) {
    for (let i = 0; i < n; i++) {
      const v = Math.min(num(`sample ${i}`, kind === 1), maxval);
      data[i] = kind === 1 ? (v ? 0 : 255) : wide ? v >> 8 : Math.floor((v * 255) / maxval);
    }
  } else if (kind === 4) {
    const stride = Math.ceil(width / 8);
    if (at + stride * height > b.length) fail(`its samples are truncated (${Math.max(0, b.length - at)} bytes of ${stride * height})`);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) data[y * width + x] = (b[at + y * stride + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 0 : 255;
    }
  } else {
    const size = wide ? 2 : 1;
    if (at + n * size > b.length) fail(`its samples are truncated (${Math.max(0, b.length - at)} bytes of ${n * size})`);
    for (let i = 0; i < n; i++) data[i] = b[at + i * size]!;
  }
  return { width, height, channels, data, alpha: false, depth: bits ? 1 : wide ? 16 : 8 };
}
