/**
 * Resize to sizes known only when the graph runs (resize-taps.ts): an image
 * [N, C, H, W] resized to the H and W of another graph input, as torch's
 * `interpolate(x, size=skip.shape[-2:])` is exported with dynamic image
 * sizes. One imported block, eager and hybridized, runs at several sizes
 * (up, down, to one pixel, to the same size, non-integer ratios), each mode
 * and coordinate transformation against onnxruntime. Cubic and antialias
 * keep needing known sizes: an Error naming the node and the mode.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNs } from 'onnx-proto';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { data, int, model, str } from './ort-compare.js';

/** x [N, 2, H, W] resized to ref's [P, Q]: sizes = Shape(x)[0:2] ++ Shape(ref)[2:4]. */
function resizeModel(attrs: OnnxNs.IAttributeProto[]): Uint8Array {
  return model(
    [
      { opType: 'Shape', input: ['x'], output: ['nc'], attribute: [int('start', 0), int('end', 2)] },
      { opType: 'Shape', input: ['ref'], output: ['pq'], attribute: [int('start', 2)] },
      { opType: 'Concat', input: ['nc', 'pq'], output: ['sizes'], attribute: [int('axis', 0)] },
      { opType: 'Resize', input: ['x', '', '', 'sizes'], output: ['y'], attribute: attrs },
    ],
    [['x', ['N', 2, 'H', 'W']], ['ref', [1, 1, 'P', 'Q']]],
    [['y', 'float32']],
  );
}

const CASES: [string, string, string?][] = [
  ['linear', 'half_pixel'],
  ['linear', 'pytorch_half_pixel'],
  ['linear', 'align_corners'],
  ['linear', 'asymmetric'],
  ['linear', 'half_pixel_symmetric'],
  ['nearest', 'asymmetric', 'floor'],
  ['nearest', 'half_pixel', 'round_prefer_floor'],
  ['nearest', 'half_pixel', 'round_prefer_ceil'],
  ['nearest', 'align_corners', 'ceil'],
  ['nearest', 'pytorch_half_pixel', 'round_prefer_floor'],
];
/** [N, H, W] -> [P, Q]. */
const SIZES: [number, number, number, number, number][] = [
  [2, 5, 7, 8, 3],
  [1, 4, 4, 1, 9],
  [1, 6, 3, 6, 5],
  [3, 3, 8, 11, 2],
];

describe('imported Resize to sizes read when the graph runs (symbolic image sizes), against onnxruntime', function () {
  this.timeout(60_000);

  for (const [mode, ctm, nearest] of CASES) {
    it(`${mode}, ${ctm}${nearest ? `, ${nearest}` : ''}: up, down, to one pixel and to the same size, eager and hybridized`, async () => {
      const bytes = resizeModel([str('mode', mode), str('coordinate_transformation_mode', ctm), ...(nearest ? [str('nearest_mode', nearest)] : [])]);
      const session = await ort.InferenceSession.create(bytes);
      for (const hybrid of [false, true]) {
        const net = new SymbolBlock(readModel(bytes).graph);
        if (hybrid) net.hybridize();
        for (const [n, h, w, p, q] of SIZES) {
          const x = data([n, 2, h, w], h + w);
          const ref = data([1, 1, p, q]);
          const want = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, x.shape), ref: new ort.Tensor('float32', ref.data as Float32Array, ref.shape) })).y!;
          const y = net.call(new nd.NDArray(x), new nd.NDArray(ref)) as nd.NDArray;
          assert.deepEqual(y.shape, [...want.dims]);
          assertClose(tensorToNumbers(y._host), Array.from(want.data as Float32Array), `[${n}, 2, ${h}, ${w}] to ${p}x${q} (${hybrid ? 'hybridized' : 'eager'})`, 1e-5, 1e-5);
        }
      }
      await session.release();
    });
  }

  it('cubic and antialias need known sizes: an Error naming the node and what', () => {
    assert.throws(() => readModel(resizeModel([str('mode', 'cubic')])), /ONNX operator 'Resize' \(node '#3'\).*mode 'cubic' needs known sizes/);
    assert.throws(() => readModel(resizeModel([str('mode', 'linear'), int('antialias', 1)])), /ONNX operator 'Resize' \(node '#3'\).*resizing the symbolic dimension 'H'/);
  });
});
