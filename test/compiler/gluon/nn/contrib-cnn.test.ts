/**
 * `gluon.contrib.cnn.ModulatedDeformableConvolution` (compiler/gluon/nn/
 * contrib-cnn.ts): MXNet's parameter names and shapes (deferred in-channels),
 * the fresh layer (zero offset parameters: offsets 0, mask sigmoid(0)*2 = 1)
 * equal to a Conv2D with the same weight and bias, with random offset
 * parameters equal to its definition written out with nd operators
 * (Convolution, sliceAxis, sigmoid, contrib.ModulatedDeformableConvolution),
 * eager and hybridized, and a training step moving every parameter.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';

const wave = (shape: number[], k: number) => nd.array(Array.from({ length: shape.reduce((p, q) => p * q) }, (_v, i) => Math.sin(i * 0.41 * k + k)), { shape });

describe('gluon.contrib.cnn.ModulatedDeformableConvolution', () => {
  it("has MXNet's parameters; starts as the Conv2D of its weight; otherwise is its definition (eager and hybridized)", () => {
    const x = wave([2, 4, 6, 5], 1);
    for (const hybrid of [false, true]) {
      const dcn = new gluon.contrib.cnn.ModulatedDeformableConvolution(6, { kernelSize: 3, padding: 1, strides: [1, 2], groups: 2, numDeformableGroup: 2 });
      dcn.initialize();
      if (hybrid) dcn.hybridize();
      const y0 = dcn.call(x) as nd.NDArray;
      const params = dcn.collectParams();
      assert.deepEqual([...params.keys()].sort(), ['deformable_conv_bias', 'deformable_conv_weight', 'offset_bias', 'offset_weight']);
      assert.deepEqual(params.get('deformable_conv_weight').shape, [6, 2, 3, 3]);
      assert.deepEqual(params.get('offset_weight').shape, [2 * 3 * 9, 2, 3, 3]);
      assert.deepEqual(params.get('offset_bias').shape, [54]);
      params.get('deformable_conv_bias').setData(wave([6], 2));
      const [w, b] = [params.get('deformable_conv_weight').data(), params.get('deformable_conv_bias').data()];
      const conv = nd.Convolution(x, w, b, { kernel: [3, 3], pad: [1, 1], stride: [1, 2], numFilter: 6, numGroup: 2 });
      assertClose((dcn.call(x) as nd.NDArray).data() as Float32Array, Array.from(conv.data() as Float32Array), `zero offsets: Conv2D (${hybrid ? 'hybridized' : 'eager'})`);
      assert.deepEqual(y0.shape, [2, 6, 6, 3]);
      params.get('offset_weight').setData(nd.mul(wave([54, 2, 3, 3], 3), 0.3));
      params.get('offset_bias').setData(wave([54], 4));
      const both = nd.Convolution(x, params.get('offset_weight').data(), params.get('offset_bias').data(), { kernel: [3, 3], pad: [1, 1], stride: [1, 2], numFilter: 54, numGroup: 2 });
      const off = nd.sliceAxis(both, { axis: 1, begin: 0, end: 36 });
      const mask = nd.mul(nd.sigmoid(nd.sliceAxis(both, { axis: 1, begin: 36, end: null })), 2);
      const want = nd.contrib.ModulatedDeformableConvolution(x, off, mask, w, b, { kernel: [3, 3], pad: [1, 1], stride: [1, 2], numFilter: 6, numGroup: 2, numDeformableGroup: 2 });
      assertClose((dcn.call(x) as nd.NDArray).data() as Float32Array, Array.from(want.data() as Float32Array), `random offsets (${hybrid ? 'hybridized' : 'eager'})`);
    }
  });

  it('trains: one SGD step moves the weight, bias and the offset convolution (hybridized)', () => {
    const dcn = new gluon.contrib.cnn.ModulatedDeformableConvolution(3, { kernelSize: 2, padding: 1 });
    dcn.initialize();
    dcn.hybridize();
    const x = wave([2, 2, 5, 5], 5);
    dcn.call(x);
    const params = dcn.collectParams();
    params.get('offset_weight').setData(nd.mul(wave(params.get('offset_weight').shape as number[], 6), 0.2));
    const before = new Map([...params.keys()].map((k) => [k, Array.from(params.get(k).data().data() as Float32Array)]));
    const trainer = new gluon.Trainer(params, 'sgd', { learningRate: 0.1 });
    autograd.record(() => nd.sum(nd.square(dcn.call(x) as nd.NDArray))).backward();
    trainer.step(2);
    for (const [k, v] of before) assert.ok((params.get(k).data().data() as Float32Array).some((u, i) => u !== v[i]), `${k} moved`);
  });

  it('refuses bad options by name', () => {
    const L = gluon.contrib.cnn.ModulatedDeformableConvolution;
    assert.throws(() => new L(0), /ModulatedDeformableConvolution: channels must be a positive integer, got 0/);
    assert.throws(() => new L(4, { kernelSize: 3, groups: 5 }), /ModulatedDeformableConvolution: channels 4, inChannels 0 and the 27 offset channels .* must be divisible by groups 5/);
    assert.throws(() => new L(4, { layout: 'NHWC' }), /ModulatedDeformableConvolution: layout 'NHWC' is not supported \(only NCHW\)/);
  });
});
