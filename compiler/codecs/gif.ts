/**
 * GIF's first frame, decoded as OpenCV's GIF decoder (imgcodecs'
 * grfmt_gif.cpp, OpenCV 4.11+) returns it for imread: the logical screen
 * filled with the global palette's background colour (black without a
 * global palette), the frame drawn at its place with its local or the
 * global palette, transparent pixels left as the background, interlaced
 * rows put back in order. As OpenCV, the whole file's block structure is
 * read (a file cut short after its first frame is refused too), the frame
 * must fit the screen, and its LZW stream must give exactly width x height
 * indices. Without any palette, index 1 is white and index k is gray k.
 *
 * Written here, not with a library: omggif (the common npm decoder) prints
 * warnings to stdout on short or long streams and decodes them anyway, where
 * OpenCV refuses them.
 *
 * Invariants: RGB out; a truncated or corrupt file is an Error naming
 * `where` and GIF, never a hang (every loop advances through the buffer).
 */
import { cvtColorGray, type Pixels } from './pixels.js';

/** Decodes the first frame of a GIF (signature already checked) to RGB. */
export function decodeGif(b: Uint8Array, where: string): Pixels {
  const fail = (why: string): never => {
    throw new Error(`${where}: not a readable GIF image: ${why}`);
  };
  let at = 6;
  const byte = (): number => {
    if (at >= b.length) fail(`the file ends early (at byte ${at})`);
    return b[at++]!;
  };
  const word = (): number => byte() | (byte() << 8);
  /** Skips data sub-blocks up to their zero terminator; returns where they started. */
  const subBlocks = (): void => {
    for (let len = byte(); len; len = byte()) {
      at += len;
      if (at > b.length) fail(`a data block runs past the end of the file (${b.length} bytes)`);
    }
  };
  const width = word();
  const height = word();
  if (width < 1 || height < 1) fail(`its screen size ${width}x${height} is empty`);
  const flags = byte();
  const bg = byte();
  byte();
  const globalSize = flags & 0x80 ? 1 << ((flags & 7) + 1) : 0;
  const global = b.subarray(at, at + 3 * globalSize);
  at += 3 * globalSize;
  if (global.length < 3 * globalSize) fail('the file ends in its global palette');
  if (globalSize && bg >= globalSize) fail(`its background index ${bg} is past its ${globalSize}-colour palette`);
  // The first frame: its graphic control (transparency), descriptor, palette and LZW data.
  let frame: { left: number; top: number; w: number; h: number; interlaced: boolean; palette: Uint8Array; lzwAt: number; transparent: number } | null = null;
  let transparent = -1;
  for (;;) {
    const kind = byte();
    if (kind === 0x3b) break;
    if (kind === 0x21) {
      const label = byte();
      if (label === 0xf9 && !frame) {
        const len = byte();
        if (len !== 4) fail(`its graphic control block has ${len} bytes, not 4`);
        const packed = byte();
        word();
        const index = byte();
        transparent = packed & 1 ? index : -1;
      }
      subBlocks();
    } else if (kind === 0x2c) {
      const [left, top, w, h] = [word(), word(), word(), word()];
      const f = byte();
      const localSize = f & 0x80 ? 1 << ((f & 7) + 1) : 0;
      const local = b.subarray(at, at + 3 * localSize);
      at += 3 * localSize;
      if (local.length < 3 * localSize) fail('the file ends in a local palette');
      const lzwAt = at;
      byte();
      subBlocks();
      if (!frame) {
        if (w < 1 || h < 1 || left + w > width || top + h > height) fail(`its first frame (${w}x${h} at ${left},${top}) does not fit its ${width}x${height} screen`);
        frame = { left, top, w, h, interlaced: (f & 0x40) !== 0, palette: localSize ? local : global, lzwAt, transparent };
      }
    } else {
      fail(`an unknown block 0x${kind.toString(16)} at byte ${at - 1}`);
    }
  }
  if (!frame) fail('it holds no image');
  const f = frame!;
  const indices = lzwIndices(b, f.lzwAt, f.w * f.h, fail);
  const data = new Uint8Array(3 * width * height);
  if (globalSize) for (let i = 0; i < width * height; i++) data.set(global.subarray(3 * bg, 3 * bg + 3), 3 * i);
  const colours = f.palette.length / 3;
  // Interlaced rows come in four passes: every 8th from 0, every 8th from 4, every 4th from 2, every 2nd from 1.
  const rows: number[] = [];
  const passes = f.interlaced ? [[0, 8], [4, 8], [2, 4], [1, 2]] : [[0, 1]];
  for (const [start, step] of passes) for (let r = start!; r < f.h; r += step!) rows.push(r);
  let k = 0;
  for (const r of rows) {
    for (let x = 0; x < f.w; x++) {
      const idx = indices[k++]!;
      if (idx === f.transparent) continue;
      const o = 3 * ((f.top + r) * width + f.left + x);
      if (colours) {
        if (idx >= colours) fail(`pixel index ${idx} is past its ${colours}-colour palette`);
        data.set(f.palette.subarray(3 * idx, 3 * idx + 3), o);
      } else {
        data[o] = data[o + 1] = data[o + 2] = idx === 1 ? 255 : idx;
      }
    }
  }
  return { width, height, channels: 3, data, alpha: f.transparent >= 0, depth: 8, gray: cvtColorGray };
}

/** The LZW-coded index stream at `at` (minimum code size, then sub-blocks): exactly `count` indices, or an Error. */
function lzwIndices(b: Uint8Array, at: number, count: number, fail: (why: string) => never): Uint8Array {
  const minSize = b[at++]!;
  if (minSize < 2 || minSize > 11) fail(`its LZW minimum code size ${minSize} is not in 2..11`);
  const clear = 1 << minSize;
  const end = clear + 1;
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < clear; i++) [suffix[i], first[i], length[i]] = [i, i, 1];
  const out = new Uint8Array(count);
  let n = 0;
  let size = minSize + 1;
  let next = end + 1;
  let prev = -1;
  let bits = 0;
  let nbits = 0;
  let block = b[at++] ?? 0;
  /** Writes code `c`'s string at `n`. */
  const emit = (c: number): void => {
    const len = length[c]!;
    if (n + len > count) fail(`its LZW data gives more than the frame's ${count} pixels`);
    for (let i = len - 1, k = c; i >= 0; i--, k = prefix[k]!) out[n + i] = suffix[k]!;
    n += len;
  };
  for (;;) {
    while (nbits < size) {
      // The data may end without an end code once every pixel is there (OpenCV accepts that too).
      if (block === 0 && n === count) return out;
      if (block === 0) fail(`its LZW data ends after ${n} of the frame's ${count} pixels`);
      if (at >= b.length) fail('the file ends in its LZW data');
      bits |= b[at++]! << nbits;
      nbits += 8;
      if (--block === 0) block = b[at++] ?? 0;
    }
    const code = bits & ((1 << size) - 1);
    bits >>>= size;
    nbits -= size;
    if (code === clear) {
      size = minSize + 1;
      next = end + 1;
      prev = -1;
      continue;
    }
    if (code === end) break;
    if (prev < 0) {
      if (code >= clear) fail(`its LZW data starts with code ${code}, not a pixel index`);
      emit(code);
    } else if (code < next) {
      emit(code);
      if (next < 4096) [prefix[next], suffix[next], first[next], length[next], next] = [prev, first[code]!, first[prev]!, length[prev]! + 1, next + 1];
    } else if (code === next && next < 4096) {
      [prefix[next], suffix[next], first[next], length[next]] = [prev, first[prev]!, first[prev]!, length[prev]! + 1];
      next++;
      emit(code);
    } else {
      fail(`its LZW data holds code ${code} before the table has it`);
    }
    prev = code;
    if (next === 1 << size && size < 12) size++;
  }
  if (n !== count) fail(`its LZW data gives ${n} of the frame's ${count} pixels`);
  return out;
}
