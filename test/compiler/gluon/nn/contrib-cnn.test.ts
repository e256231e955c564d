/**
 * `gluon.contrib.cnn.ModulatedDeformableConvolution` and MXNet 1.x's v1
 * `DeformableConvolution` (compiler/gluon/nn/contrib-cnn.ts): MXNet's
 * parameter names and shapes (deferred in-channels),
 * the fresh layer (zero offset parameters: offsets 0, mask sigmoid(0)*2 = 1)
 * equal to a Conv2D with the same weight and bias, with random offset
 * parameters equal to its definition written out with nd operators
 * (Convolution, sliceAxis, sigmoid, contrib.ModulatedDeformableConvolution;
 * v1: Convolution, contrib.DeformableConvolution),
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

describe('gluon.contrib.cnn.DeformableConvolution (v1)', () => {
  it("has MXNet's parameters; starts as the Conv2D of its weight; otherwise is its definition (eager and hybridized)", () => {
    const x = wave([2, 4, 6, 5], 1);
    for (const hybrid of [false, true]) {
      const dcn = new gluon.contrib.cnn.DeformableConvolution(6, { kernelSize: [3, 2], padding: [1, 0], strides: [1, 2], dilation: [1, 2], groups: 2, numDeformableGroup: 2 });
      dcn.initialize();
      if (hybrid) dcn.hybridize();
      const y0 = dcn.call(x) as nd.NDArray;
      const params = dcn.collectParams();
      assert.deepEqual([...params.keys()].sort(), ['deformable_conv_bias', 'deformable_conv_weight', 'offset_bias', 'offset_weight']);
      assert.deepEqual(params.get('deformable_conv_weight').shape, [6, 2, 3, 2]);
      assert.deepEqual(params.get('offset_weight').shape, [2 * 2 * 6, 2, 3, 2]);
      assert.deepEqual(params.get('offset_bias').shape, [24]);
      params.get('deformable_conv_bias').setData(wave([6], 2));
      const [w, b] = [params.get('deformable_conv_weight').data(), params.get('deformable_conv_bias').data()];
      const geo = { kernel: [3, 2], pad: [1, 0], stride: [1, 2], dilate: [1, 2], numGroup: 2 };
      const conv = nd.Convolution(x, w, b, { ...geo, numFilter: 6 });
      assertClose((dcn.call(x) as nd.NDArray).data() as Float32Array, Array.from(conv.data() as Float32Array), `zero offsets: Conv2D (${hybrid ? 'hybridized' : 'eager'})`);
      assert.deepEqual(y0.shape, [2, 6, 6, 2]);
      params.get('offset_weight').setData(nd.mul(wave([24, 2, 3, 2], 3), 0.3));
      params.get('offset_bias').setData(wave([24], 4));
      const off = nd.Convolution(x, params.get('offset_weight').data(), params.get('offset_bias').data(), { ...geo, numFilter: 24 });
      const want = nd.contrib.DeformableConvolution(x, off, w, b, { ...geo, numFilter: 6, numDeformableGroup: 2 });
      assertClose((dcn.call(x) as nd.NDArray).data() as Float32Array, Array.from(want.data() as Float32Array), `random offsets (${hybrid ? 'hybridized' : 'eager'})`);
      assert.equal(String(dcn), 'DeformableConvolution(4 -> 6, kernel_size=(3, 2))');
    }
  });

  it("takes MXNet's positional order (channels, kernel_size, strides, padding, dilation, groups, num_deformable_group, ...)", () => {
    const x = wave([1, 4, 6, 6], 7);
    const byName = new gluon.contrib.cnn.DeformableConvolution(4, { kernelSize: 3, strides: 2, padding: 1, dilation: 1, groups: 2, numDeformableGroup: 2, useBias: false });
    const positional = new gluon.contrib.cnn.DeformableConvolution(4, 3, 2, 1, 1, 2, 2, 'NCHW', false);
    for (const net of [byName, positional]) net.initialize();
    const shapes = (n: gluon.HybridBlock) => [...n.collectParams().entries()].map(([k, p]) => [k, p.shape]);
    assert.deepEqual(shapes(positional), shapes(byName));
    assert.deepEqual((positional.call(x) as nd.NDArray).shape, [1, 4, 3, 3]);
    assert.deepEqual((new gluon.contrib.cnn.ModulatedDeformableConvolution(4, 3, 1, 1).collectParams().get('offset_weight').shape), [27, 0, 3, 3]);
  });

  it('trains: one SGD step moves the weight, bias and the offset convolution (hybridized); no bias when asked', () => {
    const dcn = new gluon.contrib.cnn.DeformableConvolution(3, { kernelSize: 2, padding: 1, activation: 'relu' });
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
    const bare = new gluon.contrib.cnn.DeformableConvolution(3, { kernelSize: 2, useBias: false, offsetUseBias: false });
    bare.initialize();
    assert.deepEqual((bare.call(x) as nd.NDArray).shape, [2, 3, 4, 4]);
    assert.deepEqual([...bare.collectParams().keys()].sort(), ['deformable_conv_weight', 'offset_weight']);
  });

  it('refuses bad options by name', () => {
    const L = gluon.contrib.cnn.DeformableConvolution;
    assert.throws(() => new L(0), /DeformableConvolution: channels must be a positive integer, got 0/);
    assert.throws(() => new L(4, { kernelSize: 3, groups: 5 }), /^Error: DeformableConvolution: channels 4, inChannels 0 and the 18 offset channels \(numDeformableGroup \* 2 \* kh \* kw\) must be divisible by groups 5/);
    assert.throws(() => new L(4, { kernelSize: 3, inChannels: 6, numDeformableGroup: 4 }), /DeformableConvolution: inChannels 6 must be divisible by numDeformableGroup 4/);
    assert.throws(() => new L(4, { layout: 'NHWC' }), /DeformableConvolution: layout 'NHWC' is not supported \(only NCHW\)/);
    assert.throws(() => new L(4, { kernelSize: [3, 3, 3] }), /DeformableConvolution: kernelSize must be an integer >= 1 or 2 of them, got \[3,3,3\]/);
    assert.throws(() => new L(4, { kernelSize: 3, offsetUseBiass: false } as never), /^Error: DeformableConvolution: unknown option 'offsetUseBiass' .*did you mean 'offsetUseBias'/);
    assert.throws(() => new gluon.contrib.cnn.ModulatedDeformableConvolution(4, { kernel: 3 } as never), /^Error: ModulatedDeformableConvolution: unknown option 'kernel'/);
    const dcn = new L(4, { kernelSize: 3, numDeformableGroup: 2 });
    dcn.initialize();
    assert.throws(() => dcn.call(wave([1, 3, 5, 5], 1)), /DeformableConvolution: data channels 3 are not divisible by numDeformableGroup 2/);
  });
});
