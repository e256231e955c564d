/**
 * Resize to sizes known only when the graph runs (resize-taps.ts): an image
 * [N, C, H, W] resized to the H and W of another graph input, as torch's
 * `interpolate(x, size=skip.shape[-2:])` is exported with dynamic image
 * sizes. One imported block, eager and hybridized, runs at several sizes
 * (up, down, to one pixel, to the same size, non-integer ratios), each mode
 * (cubic with its coefficient and exclude_outside too) and coordinate
 * transformation against onnxruntime; so does resizing by integer scales
 * (torch's `Upsample(scale_factor=2, mode='bilinear')` with dynamic sizes),
 * and by scales that shrink or are not integers (`interpolate(x,
 * scale_factor=0.5)`: floor(H · s) rows, a length known when it runs).
 * Antialias keeps needing known sizes: an Error naming the node.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNs } from 'onnx-proto';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { data, int, model, str, T } from './ort-compare.js';

/** x [N, 2, H, W] resized by constant scales [1, 1, sh, sw]. */
function scaledModel(scales: number[], attrs: OnnxNs.IAttributeProto[]): Uint8Array {
  return model([{ opType: 'Resize', input: ['x', '', 'scales'], output: ['y'], attribute: attrs }], [['x', ['N', 2, 'H', 'W']]], [['y', 'float32']], [['scales', tensorFromNumbers('float32', [4], scales)]]);
}

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

const f = (name: string, v: number): OnnxNs.IAttributeProto => ({ name, type: T.FLOAT, f: v });
const CASES: [string, string, string?, OnnxNs.IAttributeProto[]?][] = [
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
  ['cubic', 'half_pixel'],
  ['cubic', 'align_corners'],
  ['cubic', 'asymmetric', undefined, [f('cubic_coeff_a', -0.5), int('exclude_outside', 1)]],
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

  for (const [mode, ctm, nearest, more] of CASES) {
    it(`${mode}, ${ctm}${nearest ? `, ${nearest}` : ''}${more ? ', a = -0.5, exclude_outside' : ''}: up, down, to one pixel and to the same size, eager and hybridized`, async () => {
      const bytes = resizeModel([str('mode', mode), str('coordinate_transformation_mode', ctm), ...(nearest ? [str('nearest_mode', nearest)] : []), ...(more ?? [])]);
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

  const scaled: [number[], string, string, string?][] = [
    ...(['linear:half_pixel', 'linear:align_corners', 'linear:pytorch_half_pixel', 'cubic:half_pixel', 'nearest:half_pixel'].map((m) => [[1, 1, 2, 3], ...m.split(':')] as [number[], string, string])),
    // Shrinking and non-integer scales (0.7 and 2.6 are no float32 numbers: floor(H · s) at the stored value).
    [[1, 1, 0.5, 1.5], 'linear', 'half_pixel'],
    [[1, 1, 0.5, 1.5], 'linear', 'pytorch_half_pixel'],
    [[1, 1, 0.75, 2.5], 'linear', 'align_corners'],
    [[1, 1, 0.5, 1.5], 'nearest', 'asymmetric', 'floor'],
    [[1, 1, 0.7, 2.6], 'nearest', 'half_pixel', 'round_prefer_ceil'],
    [[1, 1, 0.7, 2.6], 'cubic', 'half_pixel'],
    [[1, 1, 1.5, 0.25], 'linear', 'asymmetric'],
  ];
  for (const [scales, mode, ctm, nearest] of scaled) {
    it(`by scales [${scales.join(', ')}], ${mode}, ${ctm}${nearest ? `, ${nearest}` : ''}: at several sizes, eager and hybridized`, async () => {
      const bytes = scaledModel(scales, [str('mode', mode), str('coordinate_transformation_mode', ctm), ...(nearest ? [str('nearest_mode', nearest)] : [])]);
      const session = await ort.InferenceSession.create(bytes);
      for (const hybrid of [false, true]) {
        const net = new SymbolBlock(readModel(bytes).graph);
        if (hybrid) net.hybridize();
        for (const [n, h, w] of [[2, 5, 7], [1, 1, 4], [1, 3, 1], [1, 10, 10], [2, 8, 9]]) {
          const x = data([n!, 2, h!, w!], h! + w!);
          const want = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, x.shape) })).y!;
          const y = net.call(new nd.NDArray(x)) as nd.NDArray;
          assert.deepEqual(y.shape, [...want.dims]);
          assertClose(tensorToNumbers(y._host), Array.from(want.data as Float32Array), `[${n}, 2, ${h}, ${w}] (${hybrid ? 'hybridized' : 'eager'})`, 1e-5, 1e-5);
        }
      }
      await session.release();
    });
  }

  it('antialias needs known sizes: an Error naming the node', () => {
    assert.throws(() => readModel(resizeModel([str('mode', 'linear'), int('antialias', 1)])), /ONNX operator 'Resize' \(node '#3'\).*resizing the symbolic dimension 'H'/);
    assert.throws(() => readModel(scaledModel([1, 1, 0.5, 0.5], [str('mode', 'linear'), int('antialias', 1)])), /ONNX operator 'Resize' \(node '#0'\).*resizing the symbolic dimension 'H'/);
  });
});
