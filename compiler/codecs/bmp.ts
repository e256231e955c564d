/**
 * Windows and OS/2 bitmaps, decoded as OpenCV's BMP decoder
 * (modules/imgcodecs/src/grfmt_bmp.cpp) does:
 * - headers of 12 bytes (OS/2 1.x: 3-byte palette entries) or 36 and more
 *   (BITMAPINFOHEADER and its V2-V5 and OS/2 2.x extensions, as OpenCV
 *   accepts them); bottom-up rows, or top-down with a negative height;
 * - 1-, 4- and 8-bit palettes (a palette whose every entry is gray gives a
 *   gray image), RLE8 and RLE4 (pixels a delta, an end of line or the end
 *   of the bitmap skips take palette entry 0, as OpenCV's FillUniColor);
 * - 16-bit 5-5-5 (BI_RGB, or BI_BITFIELDS with those masks) and 5-6-5
 *   (BI_BITFIELDS) samples widened by a shift only (`(v << 3) & 0xf8`, no
 *   low-bit replication: 31 reads 248), as icvCvt_BGR5552BGR/565;
 * - 24-bit, and 32-bit (BI_RGB, or BI_BITFIELDS with masks 0xff0000,
 *   0xff00, 0xff and an optional 0xff000000 alpha) with the fourth byte
 *   dropped.
 * Other masks, compressions (JPEG/PNG inside a BMP) and depths are refused,
 * as OpenCV refuses them.
 *
 * Invariants: a truncated or inconsistent file (a run past its row, a
 * palette index past the palette) is an Error naming `where` and BMP.
 */
import { openCvGrayTruncated, type Pixels } from './pixels.js';

/** Decodes BMP bytes (signature already checked) to gray or RGB pixels. */
export function decodeBmp(b: Uint8Array, where: string): Pixels {
  const fail = (why: string): never => {
    throw new Error(`${where}: not a readable BMP image: ${why}`);
  };
  if (b.length < 26) fail(`the file ends in its header (${b.length} bytes)`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const offset = v.getUint32(10, true);
  const size = v.getUint32(14, true);
  if (size !== 12 && (size < 36 || size > 1024)) fail(`its header size ${size} is neither 12 (OS/2) nor 36..1024 (Windows)`);
  if (b.length < 14 + size) fail(`the file ends in its ${size}-byte header`);
  const os2 = size === 12;
  const width = os2 ? v.getUint16(18, true) : v.getInt32(18, true);
  const rawHeight = os2 ? v.getUint16(20, true) : v.getInt32(22, true);
  const bpp = v.getUint16(os2 ? 24 : 28, true);
  const compression = os2 ? 0 : v.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width < 1 || height < 1 || width * height > 2 ** 28) fail(`its size ${width}x${rawHeight} is empty or too large`);
  const rle = compression === 1 || compression === 2;
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) fail(`its depth ${bpp} bits is not 1, 4, 8, 16, 24 or 32`);
  if (compression > 3 || (compression === 1 && bpp !== 8) || (compression === 2 && bpp !== 4) || (compression === 3 && bpp !== 16 && bpp !== 32)) {
    fail(`compression ${compression} with ${bpp}-bit pixels is not supported (BI_RGB, RLE8, RLE4 and BI_BITFIELDS of 16 or 32 bits are)`);
  }
  // 16-bit: 5-5-5 unless BI_BITFIELDS says 5-6-5; 32-bit BI_BITFIELDS must be plain BGRA.
  let green6 = false;
  let alpha = false;
  if (compression === 3) {
    if (b.length < Math.max(66, 14 + size)) fail('the file ends in its colour masks');
    const [r, g, bl] = [v.getUint32(54, true), v.getUint32(58, true), v.getUint32(62, true)];
    const a = size >= 56 ? v.getUint32(66, true) : 0;
    const masks = `${[r, g, bl].map((m) => `0x${m.toString(16)}`).join(', ')}`;
    if (bpp === 16) {
      if (r === 0xf800 && g === 0x7e0 && bl === 0x1f) green6 = true;
      else if (!(r === 0x7c00 && g === 0x3e0 && bl === 0x1f)) fail(`its 16-bit colour masks ${masks} are neither 5-5-5 nor 5-6-5`);
    } else if (!(r === 0xff0000 && g === 0xff00 && bl === 0xff)) fail(`its 32-bit colour masks ${masks} are not 0xff0000, 0xff00, 0xff`);
    else alpha = a === 0xff000000;
  }
  if (alpha && bpp !== 32) alpha = false;
  // The palette: after the header (and a 40-byte header's three masks), 3 or 4 bytes an entry.
  let palette: Uint8Array | null = null;
  let gray = false;
  if (bpp <= 8) {
    const entry = os2 ? 3 : 4;
    const used = os2 ? 0 : v.getUint32(46, true);
    if (used > 256) fail(`its palette size ${used} is over 256`);
    const count = used || 1 << bpp;
    palette = new Uint8Array(3 * 256); // entries past `count` are black, as OpenCV's zeroed palette
    const at = 14 + size;
    if (at + count * entry > b.length) fail('the file ends in its palette');
    for (let i = 0; i < count; i++) {
      palette[3 * i] = b[at + i * entry + 2]!;
      palette[3 * i + 1] = b[at + i * entry + 1]!;
      palette[3 * i + 2] = b[at + i * entry]!;
    }
    gray = true;
    for (let i = 0; i < (1 << bpp); i++) if (palette[3 * i] !== palette[3 * i + 1] || palette[3 * i + 1] !== palette[3 * i + 2]) gray = false;
  }
  const channels = gray ? 1 : 3;
  const data = new Uint8Array(width * height * channels);
  /** Writes palette entry `k` at column x of file row `row` (rows count from the file's first). */
  const put = (row: number, x: number, k: number): void => {
    const at = ((topDown ? row : height - 1 - row) * width + x) * channels;
    if (gray) data[at] = palette![3 * k]!;
    else data.set(palette!.subarray(3 * k, 3 * k + 3), at);
  };
  if (offset >= b.length) fail(`its pixel data offset ${offset} is past the end of the file (${b.length} bytes)`);
  if (rle) {
    decodeRle(b, offset, width, height, bpp, put, fail);
  } else {
    const stride = Math.floor((width * bpp + 31) / 32) * 4;
    if (offset + stride * height > b.length) fail(`its pixel rows are truncated (${b.length - offset} bytes of ${stride * height})`);
    for (let row = 0; row < height; row++) {
      const base = offset + row * stride;
      const y = topDown ? row : height - 1 - row;
      for (let x = 0; x < width; x++) {
        if (bpp <= 8) {
          const bit = x * bpp;
          put(row, x, (b[base + (bit >> 3)]! >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1));
          continue;
        }
        const o = (y * width + x) * 3;
        if (bpp === 16) {
          const t = v.getUint16(base + 2 * x, true);
          data[o + 2] = (t << 3) & 0xf8;
          data[o + 1] = green6 ? (t >> 3) & 0xfc : (t >> 2) & 0xf8;
          data[o] = green6 ? (t >> 8) & 0xf8 : (t >> 7) & 0xf8;
        } else {
          const p = base + x * (bpp >> 3);
          data[o] = b[p + 2]!;
          data[o + 1] = b[p + 1]!;
          data[o + 2] = b[p]!;
        }
      }
    }
  }
  // OpenCV 5 reads a BMP with an alpha mask as 4 channels and truncates its gray conversion (measured: make.py's rgba32-v5.bmp).
  return { width, height, channels, data, alpha, depth: bpp === 16 ? 5 : 8, ...(alpha ? { gray: openCvGrayTruncated } : {}) };
}

/**
 * RLE8 / RLE4 as OpenCV walks them: [count, value] runs (RLE4's value holds
 * two alternating indices), [0, n, ...] literal runs padded to 16 bits,
 * [0, 0] end of line, [0, 1] end of bitmap, [0, 2, dx, dy] delta. Escapes
 * fill the pixels they skip (dx + dy rows' worth, in reading order; the rest
 * of the line; the rest of the image) with palette entry 0. An RLE8 run that
 * ends exactly at the end of its line moves to the next line, and an end of
 * line right after it is then ignored (OpenCV's line_end_flag); a run or
 * literal past the line's end is an Error, as OpenCV refuses it.
 */
function decodeRle(b: Uint8Array, at: number, width: number, height: number, bpp: number, put: (row: number, x: number, k: number) => void, fail: (why: string) => never): void {
  let x = 0;
  let row = 0;
  let wrapped = false;
  const byte = (): number => {
    if (at >= b.length) fail(`its RLE${bpp} data ends before the end-of-bitmap code (row ${row})`);
    return b[at++]!;
  };
  const over = (n: number): void => {
    if (x + n > width) fail(`an RLE${bpp} run of ${n} pixels at column ${x} of row ${row} goes past the row's ${width} pixels`);
  };
  /** Fills `n` pixels with entry 0 in reading order, moving to the next line at each line's end (OpenCV's FillUniColor). */
  const skip = (n: number): void => {
    do {
      const m = Math.min(n, width - x);
      for (let i = 0; i < m; i++) put(row, x++, 0);
      n -= m;
      if (x >= width) {
        x = 0;
        if (++row >= height) return;
      }
    } while (n > 0);
  };
  while (row < height) {
    const count = byte();
    const value = byte();
    if (count > 0) {
      over(count);
      for (let i = 0; i < count; i++) put(row, x++, bpp === 8 ? value : i & 1 ? value & 15 : value >> 4);
      wrapped = false;
      if (bpp === 8 && x === width) {
        x = 0;
        row++;
        wrapped = true;
      }
    } else if (value > 2) {
      over(value);
      const start = at;
      for (let i = 0; i < value; i++) {
        if (bpp === 8) put(row, x++, byte());
        else {
          const c = i & 1 ? b[at - 1]! : byte();
          put(row, x++, i & 1 ? c & 15 : c >> 4);
        }
      }
      if ((at - start) & 1) byte();
      wrapped = false;
    } else {
      if (value === 0 && wrapped && x === 0) {
        wrapped = false;
        continue;
      }
      let n = value === 0 ? width - x : value === 1 ? width - x + (height - row) * width : 0;
      if (value === 2) {
        const dx = byte();
        n = dx + byte() * width;
      }
      skip(n);
      wrapped = false;
    }
  }
}
