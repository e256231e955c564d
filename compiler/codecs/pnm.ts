/**
 * Netpbm's PBM, PGM and PPM (P1-P6), decoded as OpenCV's PxM decoder
 * (modules/imgcodecs/src/grfmt_pxm.cpp) does: header numbers separated by
 * whitespace and `#` comments, then (P4-P6) one whitespace byte and the
 * samples; PBM's 1 is black (0) and 0 white (255); samples are kept as
 * stored whatever `maxval` is (no scaling: a maxval-100 file stays 0..100),
 * an ASCII sample above maxval is maxval; maxval above 255 means 16-bit
 * big-endian samples, of which the high byte is kept.
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
  /** The next decimal number, past whitespace and comments; `one` reads a single digit (ASCII PBM's samples may touch). */
  const num = (what: string, one = false): number => {
    for (;;) {
      while (isSpace(b[at])) at++;
      if (b[at] !== 0x23) break;
      while (at < b.length && b[at] !== 0x0a && b[at] !== 0x0d) at++;
    }
    const start = at;
    let v = 0;
    while (at < b.length && b[at]! >= 0x30 && b[at]! <= 0x39 && (!one || at === start)) v = v * 10 + (b[at++]! - 0x30);
    if (at === start) fail(at >= b.length ? `the file ends before its ${what}` : `its ${what} is not a number (byte ${b[at]} at offset ${at})`);
    if (v > 0xffffffff) fail(`its ${what} ${v} is out of range`);
    return v;
  };
  const width = num('width');
  const height = num('height');
  const bits = kind === 1 || kind === 4;
  const maxval = bits ? 1 : num('maxval');
  if (width < 1 || height < 1) fail(`its size ${width}x${height} is empty`);
  if (maxval < 1 || maxval > 65535) fail(`its maxval ${maxval} is not in 1..65535`);
  if (width * height > 2 ** 28) fail(`its size ${width}x${height} is too large`);
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  const wide = maxval > 255;
  const n = width * height * channels;
  const data = new Uint8Array(n);
  if (kind <= 3) {
    for (let i = 0; i < n; i++) {
      const v = Math.min(num(`sample ${i}`, kind === 1), maxval);
      data[i] = kind === 1 ? (v ? 0 : 255) : wide ? v >> 8 : v;
    }
  } else {
    if (!isSpace(b[at])) fail('no whitespace byte between its header and its samples');
    at++;
    if (kind === 4) {
      const stride = Math.ceil(width / 8);
      if (at + stride * height > b.length) fail(`its samples are truncated (${b.length - at} bytes of ${stride * height})`);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) data[y * width + x] = (b[at + y * stride + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 0 : 255;
      }
    } else {
      const size = wide ? 2 : 1;
      if (at + n * size > b.length) fail(`its samples are truncated (${b.length - at} bytes of ${n * size})`);
      for (let i = 0; i < n; i++) data[i] = b[at + i * size]!;
    }
  }
  return { width, height, channels, data, alpha: false, depth: bits ? 1 : wide ? 16 : 8 };
}
