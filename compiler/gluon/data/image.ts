/**
 * MXNet's `mx.image` functions (python/mxnet/image/image.py): reading and
 * decoding image files (`imread`, `imdecode`, see image-decode.ts), OpenCV's
 * resize (`imresize`, `resizeShort`), the crops d2l and GluonCV's scripts
 * call (`fixedCrop`, `centerCrop`, `randomCrop`, `randomSizeCrop`),
 * `scaleDown` and `colorNormalize`. Images are HWC NDArrays, sizes MXNet's
 * `(width, height)`; crops and resizes keep the dtype (uint8, float32 or
 * float64).
 *
 * Invariants: the input is never modified (MXNet's `color_normalize`
 * subtracts in place; here the result is a new array); random choices draw
 * from the seeded stream (`random.seed`), in image.py's order; `interp` 9
 * picks by the resize (image.py's `_get_interp_method`: cubic to enlarge,
 * area to shrink, else bilinear) and 10 draws one of 0..4; a window outside
 * the image, a bad size or an unreadable file is an Error naming the
 * function and the argument.
 */
import { readFileSync } from 'node:fs';
import { nextInt } from '../../ops/rng.js';
import { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { decodeImage } from './image-decode.js';
import { imageDims, interpolationArg, positiveInt, resizeImage, type ImageDims } from './vision-image.js';
import { fixedCrop as cropResized, randomSizeWindow, scaleDown as fit } from './vision-resize.js';

/** `(x0, y0, width, height)` of a crop, as image.py returns it. */
export type CropRect = [x0: number, y0: number, w: number, h: number];

/**
 * Reads an image file (JPEG, PNG, BMP, PNM, TIFF, WebP, GIF) as a uint8 HWC array: `flag` 1 (default) for
 * RGB (BGR with `toRgb: false`), 0 for one gray channel (MXNet's
 * `image.imread`, OpenCV's decoding; see image-decode.ts for how close).
 *
 * ```ts
 * const img = image.imread('cat.jpg'); // [H, W, 3] uint8, RGB
 * ```
 */
export function imread(...args: KwArgs<['filename', 'flag?', 'toRgb?'], [filename: string, flag?: number, toRgb?: boolean], {}>): NDArray {
  const [[filename, flag = 1, toRgb = true]] = bindArgs<[string, number?, boolean?], {}>('image.imread', ['filename', 'flag?', 'toRgb?'], args, []);
  if (typeof filename !== 'string') throw new Error(`image.imread: filename must be a string, got ${showValue(filename)}`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(filename);
  } catch (e) {
    throw new Error(`image.imread: cannot read '${filename}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeImage(bytes, flag, toRgb, `image.imread '${filename}'`);
}

/**
 * Decodes image bytes (JPEG, PNG, BMP, PNM, TIFF, WebP, GIF; a Uint8Array, Buffer, ArrayBuffer or uint8
 * NDArray) as `imread` does (MXNet's `image.imdecode`).
 *
 * ```ts
 * const img = image.imdecode(readFileSync('cat.png'), { flag: 0 }); // [H, W, 1]
 * ```
 */
export function imdecode(...args: KwArgs<['buf', 'flag?', 'toRgb?'], [buf: Uint8Array | ArrayBuffer | NDArray, flag?: number, toRgb?: boolean], {}>): NDArray {
  const [[buf, flag = 1, toRgb = true]] = bindArgs<[Uint8Array | ArrayBuffer | NDArray, number?, boolean?], {}>('image.imdecode', ['buf', 'flag?', 'toRgb?'], args, []);
  let bytes: Uint8Array;
  if (buf instanceof Uint8Array) bytes = buf;
  else if (buf instanceof ArrayBuffer) bytes = new Uint8Array(buf);
  else if (buf instanceof NDArray && (buf.dtype === 'uint8' || buf.dtype === 'int8') && buf.ndim === 1) bytes = new Uint8Array((buf.data() as Uint8Array).buffer, (buf.data() as Uint8Array).byteOffset, buf.size);
  else throw new Error(`image.imdecode: buf must be the file's bytes (a Uint8Array, ArrayBuffer or 1-d uint8 NDArray), got ${buf instanceof NDArray ? `an NDArray ${buf.dtype}[${buf.shape.join(', ')}]` : showValue(buf)}`);
  return decodeImage(bytes, flag, toRgb, 'image.imdecode');
}

/** image.py's `_get_interp_method`: 9 chooses by the sizes [oh, ow, nh, nw], 10 draws one of 0..4, others pass through checked. */
function interpMethod(what: string, interp: unknown, sizes?: [number, number, number, number]): number {
  if (interp === 9) {
    if (!sizes) return 2;
    const [oh, ow, nh, nw] = sizes;
    return nh > oh && nw > ow ? 2 : nh < oh && nw < ow ? 3 : 1;
  }
  if (interp === 10) return nextInt(5);
  return interpolationArg(what, interp);
}

/** `[width, height]` of positive integers, or an Error naming the function. */
function sizePair(what: string, size: unknown): [number, number] {
  if (!Array.isArray(size) || size.length !== 2) throw new Error(`${what}: size must be [width, height], got ${showValue(size)}`);
  return [positiveInt(what, 'size[0] (width)', size[0]), positiveInt(what, 'size[1] (height)', size[1])];
}

/**
 * Resizes an HWC image to `w` x `h` with OpenCV's `cv::resize` (MXNet's
 * `image.imresize`; `interp` 1 bilinear by default, 0 nearest, 2 cubic,
 * 3 area, 4 Lanczos where implemented, 9 and 10 as image.py).
 *
 * ```ts
 * image.imresize(img, 320, 240).shape; // [240, 320, 3]
 * ```
 */
export function imresize(...args: KwArgs<['src', 'w', 'h', 'interp?'], [src: NDArray, w: number, h: number, interp?: number], {}>): NDArray {
  const [[src, w, h, interp = 1]] = bindArgs<[NDArray, number, number, number?], {}>('image.imresize', ['src', 'w', 'h', 'interp?'], args, []);
  const what = 'image.imresize';
  const d = imageDims(what, src, false);
  const [nw, nh] = [positiveInt(what, 'w', w), positiveInt(what, 'h', h)];
  return resizeImage(what, src, d, nw, nh, interpMethod(what, interp, [d.h, d.w, nh, nw]));
}

/**
 * image.py's `scale_down(src_size, size)`: `size` shrunk, keeping its aspect
 * ratio, until it fits `srcSize` (both `[width, height]`).
 *
 * ```ts
 * image.scaleDown([640, 480], [720, 120]); // [640, 106]
 * ```
 */
export function scaleDown(srcSize: [number, number], size: [number, number]): [number, number] {
  return fit(srcSize[0], srcSize[1], size[0], size[1]);
}

/**
 * Resizes so the shorter edge is `size`, the other `floor(size * long / short)`
 * (MXNet's `image.resize_short`; `interp` 2, cubic, by default).
 *
 * ```ts
 * image.resizeShort(img480x640, 224).shape; // [224, 298, 3]
 * ```
 */
export function resizeShort(...args: KwArgs<['src', 'size', 'interp?'], [src: NDArray, size: number, interp?: number], {}>): NDArray {
  const [[src, size, interp = 2]] = bindArgs<[NDArray, number, number?], {}>('image.resizeShort', ['src', 'size', 'interp?'], args, []);
  const what = 'image.resizeShort';
  const d = imageDims(what, src, false);
  const s = positiveInt(what, 'size', size);
  const [nh, nw] = d.h > d.w ? [Math.floor((s * d.h) / d.w), s] : [s, Math.floor((s * d.w) / d.h)];
  if (nh < 1 || nw < 1) throw new Error(`${what}: resizing [${d.h}, ${d.w}] to a shorter edge of ${s} leaves a side of 0`);
  return resizeImage(what, src, d, nw, nh, interpMethod(what, interp, [d.h, d.w, nh, nw]));
}

/** image.py's `fixed_crop` on checked dims: the window, resized to `size` when given and different. */
function crop(what: string, src: NDArray, d: ImageDims, rect: CropRect, size: [number, number] | null, interp: unknown): NDArray {
  const [x0, y0, w, h] = rect;
  const ok = [x0, y0].every((v) => Number.isInteger(v) && v >= 0) && [w, h].every((v) => Number.isInteger(v) && v > 0);
  if (!ok || x0 + w > d.w || y0 + h > d.h) {
    throw new Error(`${what}: the window x0=${showValue(x0)}, y0=${showValue(y0)}, w=${showValue(w)}, h=${showValue(h)} is not inside the image of shape [${d.h}, ${d.w}, ${d.c}]`);
  }
  if (!size || (size[0] === w && size[1] === h)) return cropResized(what, src, d, x0, y0, w, h, [w, h], 1);
  return cropResized(what, src, d, x0, y0, w, h, size, interpMethod(what, interp, [h, w, size[1], size[0]]));
}

/**
 * The window `[y0, y0 + h) x [x0, x0 + w)`, resized to `size` (`[width,
 * height]`) when given and different (MXNet's `image.fixed_crop`; `interp`
 * 2 by default).
 *
 * ```ts
 * image.fixedCrop(img, 10, 20, 100, 50).shape; // [50, 100, 3]
 * ```
 */
export function fixedCrop(
  ...args: KwArgs<['src', 'x0', 'y0', 'w', 'h', 'size?', 'interp?'], [src: NDArray, x0: number, y0: number, w: number, h: number, size?: [number, number] | null, interp?: number], {}>
): NDArray {
  const [[src, x0, y0, w, h, size = null, interp = 2]] = bindArgs<[NDArray, number, number, number, number, ([number, number] | null)?, number?], {}>(
    'image.fixedCrop',
    ['src', 'x0', 'y0', 'w', 'h', 'size?', 'interp?'],
    args,
    [],
  );
  const what = 'image.fixedCrop';
  return crop(what, src, imageDims(what, src, false), [x0, y0, w, h], size === null ? null : sizePair(what, size), interp);
}

/** center_crop / random_crop: the largest window of `size`'s aspect ratio, placed by `place`, then resized to `size`. */
function placedCrop(what: string, args: readonly unknown[], place: (room: [number, number]) => [number, number]): [NDArray, CropRect] {
  const [[src, size, interp = 2]] = bindArgs<[NDArray, [number, number], number?], {}>(what, ['src', 'size', 'interp?'], args, []);
  const d = imageDims(what, src, false);
  const s = sizePair(what, size);
  const [nw, nh] = scaleDown([d.w, d.h], s);
  if (nw === 0 || nh === 0) throw new Error(`${what}: a ${s[0]}x${s[1]} (width x height) crop of an image of shape [${d.h}, ${d.w}, ${d.c}] keeps no pixel`);
  const [x0, y0] = place([d.w - nw, d.h - nh]);
  const rect: CropRect = [x0, y0, nw, nh];
  return [crop(what, src, d, rect, s, interp), rect];
}

/**
 * The centred window of `size`'s aspect ratio, resized to `size`; returns
 * `[image, [x0, y0, w, h]]` (MXNet's `image.center_crop`).
 *
 * ```ts
 * const [out, rect] = image.centerCrop(img, [224, 224]);
 * ```
 */
export function centerCrop(...args: KwArgs<['src', 'size', 'interp?'], [src: NDArray, size: [number, number], interp?: number], {}>): [NDArray, CropRect] {
  return placedCrop('image.centerCrop', args, ([rw, rh]) => [Math.trunc(rw / 2), Math.trunc(rh / 2)]);
}

/**
 * A window of `size`'s aspect ratio at a random place (`random.randint` over
 * the room left), resized to `size`; returns `[image, [x0, y0, w, h]]`
 * (MXNet's `image.random_crop`, d2l's `voc_rand_crop`).
 *
 * ```ts
 * const [feature, rect] = image.randomCrop(img, [320, 480]);
 * const label = image.fixedCrop(labelImg, ...rect);
 * ```
 */
export function randomCrop(...args: KwArgs<['src', 'size', 'interp?'], [src: NDArray, size: [number, number], interp?: number], {}>): [NDArray, CropRect] {
  return placedCrop('image.randomCrop', args, ([rw, rh]) => [nextInt(rw + 1), nextInt(rh + 1)]);
}

/**
 * A window of random area (a fraction in `area`, one number meaning
 * `[area, 1]`) and aspect ratio (log-uniform in `ratio`), resized to `size`:
 * 10 tries, then `centerCrop` (MXNet's `image.random_size_crop`).
 *
 * ```ts
 * const [out] = image.randomSizeCrop(img, [224, 224], [0.08, 1], [3 / 4, 4 / 3]);
 * ```
 */
export function randomSizeCrop(
  ...args: KwArgs<['src', 'size', 'area', 'ratio', 'interp?'], [src: NDArray, size: [number, number], area: number | [number, number], ratio: [number, number], interp?: number], {}>
): [NDArray, CropRect] {
  const what = 'image.randomSizeCrop';
  const [[src, size, area, ratio, interp = 2]] = bindArgs<[NDArray, [number, number], number | [number, number], [number, number], number?], {}>(what, ['src', 'size', 'area', 'ratio', 'interp?'], args, []);
  const d = imageDims(what, src, false);
  const s = sizePair(what, size);
  const [a0, a1] = typeof area === 'number' ? [area, 1] : Array.isArray(area) && area.length === 2 ? area : [NaN, NaN];
  if (!(a0 > 0 && a0 <= a1 && a1 <= 1)) throw new Error(`${what}: area must be a fraction in (0, 1] or [min, max] with 0 < min <= max <= 1, got ${showValue(area)}`);
  if (!(Array.isArray(ratio) && ratio.length === 2 && ratio[0] > 0 && ratio[0] <= ratio[1])) throw new Error(`${what}: ratio must be [min, max] with 0 < min <= max, got ${showValue(ratio)}`);
  const rect = randomSizeWindow(d, [a0, a1], ratio);
  return rect ? [crop(what, src, d, rect, s, interp), rect] : centerCrop(src, s, interp);
}

/**
 * `(src - mean) / std` (MXNet's `image.color_normalize`, which subtracts in
 * place; here `src` is left as it is): `mean` and `std` are numbers or
 * arrays broadcast against the HWC image (one value per channel).
 *
 * ```ts
 * image.colorNormalize(img.astype('float32'), nd.array([123.68, 116.28, 103.53]), nd.array([58.4, 57.1, 57.4]));
 * ```
 */
export function colorNormalize(...args: KwArgs<['src', 'mean', 'std?'], [src: NDArray, mean: NDArray | number | null, std?: NDArray | number | null], {}>): NDArray {
  const [[src, mean, std = null]] = bindArgs<[NDArray, NDArray | number | null, (NDArray | number | null)?], {}>('image.colorNormalize', ['src', 'mean', 'std?'], args, []);
  if (!(src instanceof NDArray)) throw new Error(`image.colorNormalize: src must be an NDArray, got ${showValue(src)}`);
  let out = src;
  if (mean !== null && mean !== undefined) out = out.broadcastSub(typeof mean === 'number' ? mean : mean);
  if (std !== null && std !== undefined) out = out.broadcastDiv(typeof std === 'number' ? std : std);
  return out === src ? src.copy() : out;
}
