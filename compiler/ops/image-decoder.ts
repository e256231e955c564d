/**
 * `imageDecoder`: ONNX's ImageDecoder (opset 20) — encoded image bytes
 * (uint8 [N]) to a uint8 HWC image, `pixelFormat` 'RGB' (default), 'BGR' or
 * 'Grayscale' ([H, W, 1]). It decodes what compiler/codecs reads (JPEG,
 * PNG, BMP, PNM, TIFF, WebP, GIF's first frame; JPEG 2000 is refused by
 * name) as ONNX's reference does (Pillow): colour pixels as the decoders
 * give them (equal to OpenCV's, and to Pillow's on ONNX's test images),
 * grayscale by Pillow's `convert("L")` of the RGB pixels.
 *
 * onnxruntime 1.30 has no ImageDecoder kernel and the output size depends
 * on the bytes, so the operator runs on host arrays only (`hostOnly`):
 * eagerly its kernel decodes at once; a traced call (a hybridized block,
 * `sym`) is an Error naming it. An ONNX file whose ImageDecoder reads
 * constant bytes is decoded when the file is read (the importer folds it).
 * No gradient (its output is pixels of integer type).
 */
import { decodePillow } from '../codecs/decode.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { OpError } from './errors.js';
import { opaque } from './index-ops.js';

/** Why the decoder runs only eagerly (the traced call's Error). */
const IMAGE_HOST_ONLY = "runs eagerly on NDArrays only (onnxruntime has no ImageDecoder kernel and the image's size depends on the bytes): call it outside hybridForward / a hybridized block, on NDArrays";

const PIXEL_FORMATS = ['RGB', 'BGR', 'Grayscale'] as const;
type Opts = { pixelFormat?: (typeof PIXEL_FORMATS)[number] };
type A = Attrs & Required<Opts>;

function check(types: TensorType[], a: A): void {
  const t = types[0]!;
  if (t.dtype !== 'uint8' || t.shape.length !== 1) throw new OpError('imageDecoder', `the encoded image must be uint8 [N] (the file's bytes), got ${t.dtype}[${t.shape.join(', ')}]`, types);
  if (!PIXEL_FORMATS.includes(a.pixelFormat)) throw new OpError('imageDecoder', `pixelFormat must be 'RGB', 'BGR' or 'Grayscale', got ${JSON.stringify(a.pixelFormat)}`, types);
}

/**
 * Decodes an image file's bytes to uint8 [H, W, 3] (RGB or BGR) or [H, W, 1].
 *
 * ```ts
 * nd.imageDecoder(nd.array(readFileSync('cat.png'), { dtype: 'uint8' }), { pixelFormat: 'BGR' }); // uint8 [H, W, 3]
 * ```
 */
export const imageDecoder: OpDef<(encodedStream: Tx, ...rest: PositionalOptions<Opts, ['pixelFormat']>) => Tx, A> = defineOp<(encodedStream: Tx, ...rest: PositionalOptions<Opts, ['pixelFormat']>) => Tx, A>({
  name: 'imageDecoder',
  inputs: ['encodedStream'],
  attrs: { pixelFormat: 'RGB' },
  positional: ['pixelFormat'],
  hostOnly: IMAGE_HOST_ONLY,
  dataShape: true,
  infer: (types, a) => {
    check(types, a);
    return [{ dtype: 'uint8', shape: [opaque('image height'), opaque('image width'), a.pixelFormat === 'Grayscale' ? 1 : 3] }];
  },
  lower: () => {
    throw new OpError('imageDecoder', IMAGE_HOST_ONLY);
  },
  kernel: ([x], a) => {
    const p = decodePillow(x!.data as Uint8Array, a.pixelFormat === 'Grayscale', 'imageDecoder');
    const d = p.data;
    if (a.pixelFormat === 'BGR') for (let i = 0; i < d.length; i += 3) [d[i], d[i + 2]] = [d[i + 2]!, d[i]!];
    return [{ dtype: 'uint8', shape: [p.height, p.width, p.channels], data: d }];
  },
  grad: null,
  noGradReason: 'its output is integer pixels',
});

export const IMAGE_DECODER_OPS = { imageDecoder } as const;
