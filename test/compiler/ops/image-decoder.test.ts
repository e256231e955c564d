/**
 * `imageDecoder` (ONNX's ImageDecoder) beyond the operator table: eager
 * decoding of the codec fixtures against cv2's reads of them
 * (test/fixtures/image-formats/expected.npz: colour exactly, as ONNX's
 * reference gives the same pixels on its own cases), grayscale by Pillow's
 * formula (not OpenCV's: the two differ on those files), the traced call
 * refused by name, and the importer's two forms: constant bytes decoded
 * when the file is read, bytes fed at run time decoded when the imported
 * block is called eagerly, and refused by name when it is hybridized.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { nd, npx, sym } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { onnx, readModel, tensorProto, valueInfo } from '../../../compiler/onnx/index.js';
import { pillowGray } from '../../../compiler/codecs/pixels.js';

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'image-formats');
const expected = npx.load(path.join(FIX, 'expected.npz')) as Record<string, nd.NDArray>;
const bytesOf = (f: string): nd.NDArray => nd.array(Array.from(readFileSync(path.join(FIX, f))), { dtype: 'uint8' });
const pixels = (a: nd.NDArray): number[] => Array.from(a.data() as Uint8Array);

/** A model of one ImageDecoder node: its bytes as an initializer when `constant` is given, else a uint8 graph input. */
function decoderModel(pixelFormat: string, constant?: Uint8Array): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 9,
    producerName: 'other-tool',
    opsetImport: [{ domain: '', version: 20 }],
    graph: {
      name: 'g',
      node: [{ opType: 'ImageDecoder', input: ['x'], output: ['y'], name: 'dec', attribute: [{ name: 'pixel_format', type: 3, s: Buffer.from(pixelFormat) }] }],
      input: constant ? [] : [valueInfo('x', { dtype: 'uint8', shape: ['B'] })],
      output: [valueInfo('y', { dtype: 'uint8' })],
      initializer: constant ? [tensorProto('x', { dtype: 'uint8', shape: [constant.length], data: constant })] : [],
    },
  }).finish();
}

describe('imageDecoder: ONNX ImageDecoder on host arrays', () => {
  for (const f of ['rgb24.bmp', 'p6.ppm', 'rgb-lzw.tiff', 'lossy.webp', 'still.gif', 'pal8-gray.bmp']) {
    it(`${f}: RGB and BGR equal cv2's colour read; Grayscale is Pillow's formula of it`, () => {
      const bgr = pixels(expected[`${f}.bgr`]!);
      const got = nd.imageDecoder(bytesOf(f), { pixelFormat: 'BGR' });
      assert.equal(got.dtype, 'uint8');
      assert.deepEqual(got.shape, expected[`${f}.bgr`]!.shape);
      assert.deepEqual(pixels(got), bgr);
      const rgb = pixels(nd.imageDecoder(bytesOf(f)));
      for (let i = 0; i < bgr.length; i += 3) assert.deepEqual(rgb.slice(i, i + 3), [bgr[i + 2], bgr[i + 1], bgr[i]]);
      const gray = nd.imageDecoder(bytesOf(f), 'Grayscale');
      assert.deepEqual(gray.shape, [...got.shape.slice(0, 2), 1]);
      assert.deepEqual(pixels(gray), Array.from({ length: bgr.length / 3 }, (_v, k) => pillowGray(bgr[3 * k + 2]!, bgr[3 * k + 1]!, bgr[3 * k]!)));
    });
  }

  it('bad input is an Error naming the operator: dtype, rank, pixelFormat, undecodable bytes', () => {
    assert.throws(() => nd.imageDecoder(nd.array([1, 2, 3])), /imageDecoder: the encoded image must be uint8 \[N\] \(the file's bytes\), got float32\[3\]/);
    assert.throws(() => nd.imageDecoder(nd.zeros([2, 2], { dtype: 'uint8' })), /imageDecoder: the encoded image must be uint8 \[N\]/);
    assert.throws(() => nd.imageDecoder(bytesOf('p6.ppm'), { pixelFormat: 'HSV' as never }), /pixelFormat must be 'RGB', 'BGR' or 'Grayscale', got "HSV"/);
    assert.throws(() => nd.imageDecoder(nd.array([1, 2, 3], { dtype: 'uint8' })), /imageDecoder: not an image file gluonc reads \(it starts with bytes 01 02 03\)/);
  });

  it('a traced call is an Error naming the operator and saying it runs eagerly', () => {
    assert.throws(() => sym.imageDecoder(sym.var('x', { shape: [10], dtype: 'uint8' })), /imageDecoder: runs eagerly on NDArrays only \(onnxruntime has no ImageDecoder kernel/);
  });

  it('import: constant bytes decode when the file is read (no node left); fed bytes decode eagerly, hybridized is refused by name', () => {
    const file = readFileSync(path.join(FIX, 'rgb24.bmp'));
    const { graph } = readModel(decoderModel('BGR', file));
    assert.equal(graph.nodes.length, 0);
    const folded = new SymbolBlock(graph, null, 'decoder').call() as nd.NDArray;
    assert.deepEqual(pixels(folded), pixels(expected['rgb24.bmp.bgr']!));
    const fed = readModel(decoderModel('Grayscale')).graph;
    assert.deepEqual(fed.nodes.map((n) => n.op), ['imageDecoder']);
    const net = new SymbolBlock(fed, null, 'decoder');
    assert.deepEqual((net.call(bytesOf('p5.pgm')) as nd.NDArray).shape, [7, 10, 1]);
    net.hybridize();
    assert.throws(() => net.call(bytesOf('p5.pgm')), /imageDecoder: runs eagerly on NDArrays only/);
    assert.throws(() => readModel(decoderModel('YUV')), /ONNX operator 'ImageDecoder' \(node 'dec'\) has no gluonc equivalent: pixel_format 'YUV'/);
  });
});
