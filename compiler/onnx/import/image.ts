/**
 * ONNX's ImageDecoder (opset 20) onto gluonc's host-only `imageDecoder`
 * (compiler/ops/image-decoder.ts): `pixel_format` RGB, BGR or Grayscale.
 * Constant bytes (an initializer) are decoded when the file is read; bytes
 * fed when the model runs keep the node, which runs when the imported block
 * is called on NDArrays (a hybridized call is an Error naming it: onnxruntime
 * has no ImageDecoder kernel).
 */
import type { Builder } from './context.js';

/** ImageDecoder: the encoded uint8 stream to an HWC uint8 image. */
const imageDecoder: Builder = (c) => {
  const x = c.input(0);
  if (x.type.dtype !== 'uint8' || x.type.shape.length !== 1) throw c.refuse(`its encoded stream is ${x.type.dtype}[${x.type.shape.join(', ')}] (ONNX requires uint8 [N])`);
  const pixelFormat = c.attr.str('pixel_format', 'RGB');
  if (!['RGB', 'BGR', 'Grayscale'].includes(pixelFormat)) throw c.refuse(`pixel_format '${pixelFormat}' (ONNX defines RGB, BGR and Grayscale)`);
  return [c.op('imageDecoder', [x], { pixelFormat })];
};

/** The image importers by ONNX operator. */
export const IMAGE_IMPORTS: Record<string, Builder> = { ImageDecoder: imageDecoder };
