/**
 * Table entries for `imageDecoder` (ONNX's ImageDecoder): binary PNM files
 * (P6 colour, P5 gray) built here byte by byte, and a numpy reference that
 * parses their header and reshapes the samples; Grayscale is Pillow's
 * `convert("L")` formula (ImagingConvert's rgb2l: (19595 R + 38470 G +
 * 7471 B + 0x8000) >> 16), which ONNX's reference ImageDecoder applies.
 * The other formats are tested against cv2 in test/compiler/codecs and
 * against ONNX's own cases in backend-generated.test.ts.
 */
import type { OpCase } from '../case.js';

/** A binary PNM of `kind` 'P5' or 'P6' with the given samples. */
function pnm(kind: 'P5' | 'P6', w: number, h: number, samples: number[]): number[] {
  return [...Buffer.from(`${kind}\n${w} ${h}\n255\n`, 'latin1'), ...samples];
}

const colour = pnm('P6', 3, 2, [0, 0, 0, 255, 255, 255, 10, 200, 30, 1, 2, 3, 128, 127, 129, 255, 0, 0]);
const gray = pnm('P5', 4, 1, [0, 1, 254, 255]);

const REF = String.raw`
buf = a.astype(np.uint8).tobytes()
parts = buf.split(b'\n', 3)
w, h = map(int, parts[1].split())
ch = 3 if parts[0] == b'P6' else 1
img = np.frombuffer(parts[3], np.uint8).reshape(h, w, ch).astype(np.int64)
if ch == 1: img = np.repeat(img, 3, axis=2)
fmt = attrs.get('pixelFormat', args[0] if args else 'RGB')
if fmt == 'BGR': out = img[:, :, ::-1]
elif fmt == 'Grayscale': out = ((img[:, :, 0] * 19595 + img[:, :, 1] * 38470 + img[:, :, 2] * 7471 + 0x8000) >> 16)[:, :, None]
else: out = img
`;

export const cases: OpCase[] = [
  {
    op: 'imageDecoder',
    ref: REF,
    samples: [
      { inputs: [{ shape: [colour.length], dtype: 'uint8', values: colour }], label: 'P6 as RGB' },
      { inputs: [{ shape: [colour.length], dtype: 'uint8', values: colour }], args: ['BGR'], label: 'P6 as BGR (positional)' },
      { inputs: [{ shape: [colour.length], dtype: 'uint8', values: colour }], args: [{ pixelFormat: 'Grayscale' }], label: 'P6 as Grayscale' },
      { inputs: [{ shape: [gray.length], dtype: 'uint8', values: gray }], args: [{ pixelFormat: 'RGB' }], label: 'P5 replicated' },
    ],
  },
];
