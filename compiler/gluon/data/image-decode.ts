/**
 * MXNet's `image.imdecode` / `imread` decoding (OpenCV's `cv::imdecode` with
 * IMREAD_COLOR or IMREAD_GRAYSCALE, then BGR to RGB unless `toRgb` is
 * false) of JPEG, PNG, BMP, PNM, TIFF, WebP and GIF bytes into uint8 HWC
 * NDArrays. The decoders, and how close each is to OpenCV's, are in
 * compiler/codecs/ (decode.ts lists them).
 *
 * Invariants: the result is a new uint8 NDArray [H, W, 3] (flag 1) or
 * [H, W, 1] (flag 0); anything else (another format, a truncated or corrupt
 * file) is an Error naming the source.
 */
import { decodeOpenCv } from '../../codecs/decode.js';
import { NDArray } from '../../engine/ndarray.js';
import { showValue } from '../show-value.js';

export { imageLayout, type ImageLayout } from '../../codecs/decode.js';
export { imageCodecs } from '../../codecs/jpeg-png.js';

/**
 * Decodes image bytes to a uint8 HWC NDArray: `flag` 1 for 3 colour
 * channels (RGB, or BGR with `toRgb` false), 0 for one gray channel;
 * `where` names the source in errors. Example: `decodeImage(bytes, 1, true, "'cat.jpg'")`.
 */
export function decodeImage(bytes: Uint8Array, flag: number, toRgb: boolean, where: string): NDArray {
  if (flag !== 0 && flag !== 1) throw new Error(`${where}: flag must be 1 (colour) or 0 (grayscale), got ${showValue(flag)}`);
  if (typeof toRgb !== 'boolean') throw new Error(`${where}: toRgb must be a boolean, got ${showValue(toRgb)}`);
  const p = decodeOpenCv(bytes, flag === 0, where);
  const data = p.data;
  if (p.channels === 3 && !toRgb) {
    for (let i = 0; i < data.length; i += 3) [data[i], data[i + 2]] = [data[i + 2]!, data[i]!];
  }
  return new NDArray({ dtype: 'uint8', shape: [p.height, p.width, p.channels], data });
}
