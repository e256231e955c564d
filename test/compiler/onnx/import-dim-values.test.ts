/**
 * Symbolic sizes compared by value (compiler/onnx/import/dim-values.ts) and
 * the Reshape importer's use of them: a convolution's size as gluonc's shape
 * inference spells it and as torch's dynamo exporter computes it from the
 * graph input are one size; `H/2` times 2 is H where the file splits H (it
 * takes H to be even), not otherwise. A Reshape splitting symbolic image
 * axes ([N, 8, H, W] to [N, 8, H/2, 2, W/2, 2], torch's pixel_unshuffle
 * decomposed) imports and equals onnxruntime at several sizes, eager and
 * hybridized; a target that does not fit the input is an Error naming the
 * Reshape. A Range up to `(H+-1)` (an Add of -1 to a size) is computed when
 * the graph runs. Conv and MaxPool with auto_pad SAME and stride 1 pad
 * (k - 1)·dilation at any size, so symbolic sizes import (torch's
 * `padding='same'`).
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { dimSamples, sameSamples } from '../../../compiler/onnx/import/dim-values.js';
import { tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';
import { data, i64, int, ints, model, str } from './ort-compare.js';

const CONV = '(floor(((floor((H-1)/2)+1)-1)/2)+1)';
const TORCH = '(1+((-1+H)/4))';

/** x [N, 8, H, W] reshaped to [N, 8, H/2, 2, W/k, m] (k = m = 2: pixel_unshuffle's view), permuted, then to [N, 16m, H/2, W/k]. */
function splitModel(k: number, m = k): Uint8Array {
  return model(
    [
      { opType: 'Shape', input: ['x'], output: ['nc'], attribute: [int('start', 0), int('end', 2)] },
      { opType: 'Shape', input: ['x'], output: ['h'], attribute: [int('start', 2), int('end', 3)] },
      { opType: 'Shape', input: ['x'], output: ['w'], attribute: [int('start', 3)] },
      { opType: 'Div', input: ['h', 'two'], output: ['h2'] },
      { opType: 'Div', input: ['w', 'kk'], output: ['wk'] },
      { opType: 'Concat', input: ['nc', 'h2', 'two', 'wk', 'mm'], output: ['split'], attribute: [int('axis', 0)] },
      { opType: 'Reshape', input: ['x', 'split'], output: ['s'] },
      { opType: 'Transpose', input: ['s'], output: ['t'], attribute: [ints('perm', [0, 1, 3, 5, 2, 4])] },
      { opType: 'Shape', input: ['x'], output: ['n'], attribute: [int('start', 0), int('end', 1)] },
      { opType: 'Concat', input: ['n', 'c32', 'h2', 'wk'], output: ['merged'], attribute: [int('axis', 0)] },
      { opType: 'Reshape', input: ['t', 'merged'], output: ['y'] },
    ],
    [['x', ['N', 8, 'H', 'W']]],
    [['y', 'float32']],
    [['two', i64([2])], ['kk', i64([k])], ['mm', i64([m])], ['c32', i64([8 * 2 * m])]],
  );
}

describe('symbolic sizes compared by value (the Reshape importer)', function () {
  this.timeout(60_000);

  it('a convolution\'s size in gluonc\'s and in torch\'s spelling is one size; H/2 times 2 is H only where H is taken to be even', () => {
    const at = dimSamples([CONV, TORCH, '(H/2)', 'H', 'W']);
    assert.ok(sameSamples(at(CONV), at(TORCH)));
    assert.ok(!sameSamples(at('(H/2)'), at(CONV)));
    assert.ok(!sameSamples(at('H'), at('W')));
    const times2 = (v: number[] | null) => v!.map((x) => 2 * x);
    assert.ok(!sameSamples(times2(at('(H/2)')), at('H')));
    const even = dimSamples(['(H/2)', 'H'], true);
    assert.ok(sameSamples(times2(even('(H/2)')), even('H')));
    // What does not parse has no samples (tags of values computed at run time, odd names).
    assert.equal(at('(v3[0])'), null);
    assert.equal(at('(H+)'), null);
    assert.deepEqual(at(4)!.slice(0, 2), [4, 4]);
  });

  for (const k of [2, 3]) {
    it(`pixel_unshuffle's reshapes of symbolic image axes (W split by ${k}) equal onnxruntime at several sizes, eager and hybridized`, async () => {
      const bytes = splitModel(k);
      const session = await ort.InferenceSession.create(bytes);
      for (const hybrid of [false, true]) {
        const net = new SymbolBlock(readModel(bytes).graph);
        if (hybrid) net.hybridize();
        for (const [n, h, w] of [[2, 4, 6 * k], [1, 8, k], [3, 2, 5 * k]] as const) {
          const x = data([n, 8, h, w], h * w);
          const want = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, x.shape) })).y!;
          const y = net.call(new nd.NDArray(x)) as nd.NDArray;
          assert.deepEqual(y.shape, [...want.dims]);
          assert.deepEqual(tensorToNumbers(y._host), Array.from(want.data as Float32Array), `[${n}, 8, ${h}, ${w}] (${hybrid ? 'hybridized' : 'eager'})`);
        }
      }
      await session.release();
    });
  }

  it('a Range up to a size plus a negative constant ((H+-1), torch\'s unfold by the dynamo exporter) is computed when the graph runs', async () => {
    const bytes = model(
      [
        { opType: 'Shape', input: ['x'], output: ['h'], attribute: [int('start', 2), int('end', 3)] },
        { opType: 'Squeeze', input: ['h', 'zero'], output: ['h0'] },
        { opType: 'Add', input: ['h0', 'minus1'], output: ['last'] },
        { opType: 'Range', input: ['zero0', 'last', 'one0'], output: ['r'] },
        { opType: 'Cast', input: ['r'], output: ['y'], attribute: [int('to', 1)] },
      ],
      [['x', ['N', 8, 'H', 'W']]],
      [['y', 'float32']],
      [['zero', i64([0])], ['minus1', tensorFromNumbers('int64', [], [-1])], ['zero0', tensorFromNumbers('int64', [], [0])], ['one0', tensorFromNumbers('int64', [], [1])]],
    );
    const net = new SymbolBlock(readModel(bytes).graph);
    for (const h of [3, 7]) assert.deepEqual(tensorToNumbers((net.call(nd.zeros([1, 8, h, 2])) as nd.NDArray)._host), Array.from({ length: h - 1 }, (_v, i) => i));
  });

  for (const auto of ['SAME_UPPER', 'SAME_LOWER']) {
    it(`Conv and MaxPool with auto_pad ${auto}, stride 1, over symbolic image sizes (torch's padding='same') equal onnxruntime; stride 2 needs the sizes`, async () => {
      // onnxruntime refuses dilations with auto_pad SAME (torch-vision.test.ts checks a dilated one against PyTorch).
      const attrs = (stride: number) => [str('auto_pad', auto), ints('strides', [stride, stride])];
      const bytes = (stride: number) =>
        model(
          [
            { opType: 'Conv', input: ['x', 'w'], output: ['c'], attribute: [...attrs(stride), ints('kernel_shape', [4, 3])] },
            { opType: 'MaxPool', input: ['c'], output: ['y'], attribute: [str('auto_pad', auto), ints('kernel_shape', [2, 3])] },
          ],
          [['x', ['N', 2, 'H', 'W']]],
          [['y', 'float32']],
          [['w', data([3, 2, 4, 3], 5)]],
        );
      const session = await ort.InferenceSession.create(bytes(1));
      for (const hybrid of [false, true]) {
        const net = new SymbolBlock(readModel(bytes(1)).graph);
        if (hybrid) net.hybridize();
        for (const [h, w] of [[7, 5], [4, 9]] as const) {
          const x = data([1, 2, h, w], h);
          const want = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, x.shape) })).y!;
          const y = net.call(new nd.NDArray(x)) as nd.NDArray;
          assert.deepEqual(y.shape, [...want.dims]);
          assert.deepEqual(tensorToNumbers(y._host).map((v) => Math.round(v * 1e4)), Array.from(want.data as Float32Array, (v) => Math.round(v * 1e4)));
        }
      }
      await session.release();
      assert.throws(() => readModel(bytes(2)), /ONNX operator 'Conv' \(node '#0'\).*auto_pad .* with stride 2\) 'H' must be a known number/);
    });
  }

  it('a split target the input does not hold (W/3 and 2) is an Error naming the Reshape', () => {
    assert.throws(() => readModel(splitModel(3, 2)), /ONNX operator 'Reshape' \(node '#6'\)/);
  });
});
