/**
 * The positional arguments of Convolution, Deconvolution and Pooling, and of
 * softmax's length, per namespace: F/nd/sym follow MXNet 1.x's generated
 * signatures (the parameter structs' field order: ConvolutionParam's kernel,
 * stride, dilate, pad, num_filter, num_group, workspace, no_bias, cudnn_tune,
 * cudnn_off, layout; DeconvolutionParam's with adj, target_shape after pad;
 * PoolingParam's kernel, pool_type, global_pool, cudnn_off,
 * pooling_convention, stride, pad, p_value, count_include_pad, layout;
 * softmax(data, length, axis, temperature, ...)), npx follows MXNet 2's
 * python/mxnet/ndarray/numpy_extension/_op.py (pooling(data, kernel, stride,
 * pad, pool_type, pooling_convention, global_pool, cudnn_off, p_value,
 * count_include_pad, layout); softmax(data, axis, length, temperature,
 * use_length)). References: PyTorch's torch.nn.functional in float64.
 */
import assert from 'node:assert/strict';
import { nd, npx, gluon } from 'gluonc';
import { numpyRefs } from '../../helpers/numpy.js';
import { assertClose } from '../../helpers/compare.js';
import { opBlock as blockOf } from '../../helpers/layers.js';

type Arr = nd.NDArray;
const flat = (y: Arr): number[] => Array.from(y.data() as ArrayLike<number>, Number);
const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_v, i) => f(i));

const XD = seq(50, (i) => Math.sin(i * 0.7) * 2); // [1, 2, 5, 5]
const WD = seq(54, (i) => Math.cos(i * 1.1)); // [3, 2, 3, 3]
const BD = [0.5, -1, 0.25];
const X4 = seq(100, (i) => Math.sin(i * 0.37)); // [1, 4, 5, 5]
const WG = seq(36, (i) => Math.cos(i * 0.9)); // [2, 2, 3, 3] (2 groups)
const WT = seq(36, (i) => Math.sin(i * 0.5 + 1)); // [2, 2, 3, 3]: Deconvolution's [C, numFilter, k, k]
const x = () => nd.array(XD).reshape([1, 2, 5, 5]);
const w = () => nd.array(WD).reshape([3, 2, 3, 3]);
const b = () => nd.array(BD);
const x4 = () => nd.array(X4).reshape([1, 4, 5, 5]);
const wg = () => nd.array(WG).reshape([2, 2, 3, 3]);
const wt = () => nd.array(WT).reshape([2, 2, 3, 3]);
const b2 = () => nd.array([0.3, -0.7]);
const t = (shape: number[], data: number[]) => ({ shape, dtype: 'float64', data });
const tx = t([1, 2, 5, 5], XD);
const tw = t([3, 2, 3, 3], WD);
const tb = t([3], BD);
const TORCH = 'import torch, torch.nn.functional as tf\nT = lambda v: torch.tensor(v)\n';

interface Case {
  what: string;
  run: (F: any, ...t: Arr[]) => Arr;
  inputs: (() => Arr)[];
  /** Python statements setting `out` from a, b, c (float64 numpy). */
  ref: string;
  refInputs: ReturnType<typeof t>[];
  /** Also run through a hybridized block (F = sym). */
  sym?: boolean;
}

const cases: Case[] = [
  // MXNet 1.x: Convolution(data, weight, bias, kernel, stride, dilate, pad, num_filter, num_group, workspace, no_bias, ...)
  { what: 'F.Convolution(x, w, b, kernel, stride, dilate, pad, numFilter)', run: (F, a, c, d) => F.Convolution(a, c, d, [3, 3], [2, 2], [1, 1], [1, 1], 3), inputs: [x, w, b], ref: 'out = tf.conv2d(T(a), T(b), T(c), stride=2, padding=1).numpy()', refInputs: [tx, tw, tb], sym: true },
  { what: 'F.Convolution(x, w, null, kernel, stride, dilate 2, pad, numFilter, numGroup, workspace, noBias)', run: (F, a, c) => F.Convolution(a, c, null, [3, 3], [1, 1], [2, 1], [0, 0], 3, 1, 1024, true), inputs: [x, w], ref: 'out = tf.conv2d(T(a), T(b), None, dilation=(2, 1)).numpy()', refInputs: [tx, tw], sym: true },
  { what: 'F.Convolution(x, w, b, kernel, { stride, numFilter })', run: (F, a, c, d) => F.Convolution(a, c, d, [3, 3], { stride: [2, 1], numFilter: 3 }), inputs: [x, w, b], ref: 'out = tf.conv2d(T(a), T(b), T(c), stride=(2, 1)).numpy()', refInputs: [tx, tw, tb] },
  { what: 'F.Convolution(x, w, b, kernel, stride, dilate, pad, numFilter, numGroup 2)', run: (F, a, c, d) => F.Convolution(a, c, d, [3, 3], [1, 1], [1, 1], [1, 0], 2, 2), inputs: [x4, wg, b2], ref: 'out = tf.conv2d(T(a), T(b), T(c), padding=(1, 0), groups=2).numpy()', refInputs: [t([1, 4, 5, 5], X4), t([2, 2, 3, 3], WG), t([2], [0.3, -0.7])], sym: true },
  // MXNet 2: npx.convolution keeps that order.
  { what: 'npx.convolution(x, w, b, kernel, stride, dilate, pad, numFilter)', run: (_F, a, c, d) => npx.convolution(a, c, d, [3, 3], [2, 2], [1, 1], [1, 1], 3), inputs: [x, w, b], ref: 'out = tf.conv2d(T(a), T(b), T(c), stride=2, padding=1).numpy()', refInputs: [tx, tw, tb] },
  // Deconvolution(data, weight, bias, kernel, stride, dilate, pad, adj, target_shape, num_filter, num_group, workspace, no_bias, ...)
  { what: 'F.Deconvolution(x, w, b, kernel, stride, dilate, pad, adj, null, numFilter, numGroup, workspace, noBias false)', run: (F, a, c, d) => F.Deconvolution(a, c, d, [3, 3], [2, 2], [1, 1], [1, 1], [1, 0], null, 2, 1, 1024, false), inputs: [x, wt, b2], ref: 'out = tf.conv_transpose2d(T(a), T(b), T(c), stride=2, padding=1, output_padding=(1, 0)).numpy()', refInputs: [tx, t([2, 2, 3, 3], WT), t([2], [0.3, -0.7])], sym: true },
  // npx's default noBias is false (MXNet 2's npx.deconvolution(..., no_bias=False)): a bias given is added, positionally or with options.
  { what: 'npx.deconvolution(x, w, b, kernel, stride): npx adds the bias', run: (_F, a, c, d) => npx.deconvolution(a, c, d, [3, 3], [2, 2]), inputs: [x, wt, b2], ref: 'out = tf.conv_transpose2d(T(a), T(b), T(c), stride=2).numpy()', refInputs: [tx, t([2, 2, 3, 3], WT), t([2], [0.3, -0.7])], sym: true },
  { what: 'npx.deconvolution(x, w, b, { kernel, pad, adj, stride })', run: (_F, a, c, d) => npx.deconvolution(a, c, d, { kernel: [3, 3], pad: [1, 1], adj: [1, 1], stride: [2, 2] }), inputs: [x, wt, b2], ref: 'out = tf.conv_transpose2d(T(a), T(b), T(c), stride=2, padding=1, output_padding=1).numpy()', refInputs: [tx, t([2, 2, 3, 3], WT), t([2], [0.3, -0.7])], sym: true },
  { what: 'npx.convolution(x, w, b, { kernel }): noBias false', run: (_F, a, c, d) => npx.convolution(a, c, d, { kernel: [3, 3] }), inputs: [x, w, b], ref: 'out = tf.conv2d(T(a), T(b), T(c)).numpy()', refInputs: [tx, tw, tb], sym: true },
  { what: 'npx.deconvolution(x, w, null, kernel, stride)', run: (_F, a, c) => npx.deconvolution(a, c, null, [3, 3], [2, 2]), inputs: [x, wt], ref: 'out = tf.conv_transpose2d(T(a), T(b), None, stride=2).numpy()', refInputs: [tx, t([2, 2, 3, 3], WT)] },
  // MXNet 1.x: Pooling(data, kernel, pool_type, global_pool, cudnn_off, pooling_convention, stride, pad, p_value, count_include_pad, layout)
  { what: "F.Pooling(x, kernel, 'avg', false, false, 'valid', stride, pad)", run: (F, a) => F.Pooling(a, [2, 2], 'avg', false, false, 'valid', [2, 2], [1, 1]), inputs: [x], ref: 'out = tf.avg_pool2d(T(a), 2, 2, 1, count_include_pad=True).numpy()', refInputs: [tx], sym: true },
  { what: "F.Pooling(x, kernel, 'max', false, false, 'full', stride)", run: (F, a) => F.Pooling(a, [3, 3], 'max', false, false, 'full', [2, 2]), inputs: [x], ref: 'out = tf.max_pool2d(T(a), 3, 2, ceil_mode=True).numpy()', refInputs: [tx], sym: true },
  { what: "F.Pooling(x, kernel, 'avg', false, false, 'valid', stride, pad, null, false)", run: (F, a) => F.Pooling(a, [2, 2], 'avg', false, false, 'valid', [2, 2], [1, 1], null, false), inputs: [x], ref: 'out = tf.avg_pool2d(T(a), 2, 2, 1, count_include_pad=False).numpy()', refInputs: [tx] },
  { what: "F.Pooling(x, kernel, 'max', true) (global)", run: (F, a) => F.Pooling(a, [1, 1], 'max', true), inputs: [x], ref: 'out = a.max(axis=(2, 3), keepdims=True)', refInputs: [tx] },
  // MXNet 2: npx.pooling(data, kernel, stride, pad, pool_type, pooling_convention, global_pool, cudnn_off, p_value, count_include_pad, layout)
  { what: "npx.pooling(x, kernel, stride, pad, 'avg')", run: (_F, a) => npx.pooling(a, [2, 2], [2, 2], [1, 1], 'avg'), inputs: [x], ref: 'out = tf.avg_pool2d(T(a), 2, 2, 1, count_include_pad=True).numpy()', refInputs: [tx] },
  { what: "npx.pooling(x, kernel, stride, pad, 'max', 'full')", run: (_F, a) => npx.pooling(a, [3, 3], [2, 2], [0, 0], 'max', 'full'), inputs: [x], ref: 'out = tf.max_pool2d(T(a), 3, 2, ceil_mode=True).numpy()', refInputs: [tx] },
  { what: "npx.pooling(x, kernel, stride, pad, 'avg', 'valid', false, false, null, false)", run: (_F, a) => npx.pooling(a, [2, 2], [2, 2], [1, 1], 'avg', 'valid', false, false, null, false), inputs: [x], ref: 'out = tf.avg_pool2d(T(a), 2, 2, 1, count_include_pad=False).numpy()', refInputs: [tx] },
  { what: "npx.pooling(x, { kernel, poolType: 'avg' })", run: (_F, a) => npx.pooling(a, { kernel: [2, 2], poolType: 'avg' }), inputs: [x], ref: 'out = tf.avg_pool2d(T(a), 2, 1).numpy()', refInputs: [tx] },
];

const S = [1, 2, 3, 0.5, -1, 4, 2, 2, -3, 0, 1, 1];
const s = () => nd.array(S).reshape([3, 4]);
const ts = t([3, 4], S);
const lens = () => nd.array([2, 4, 1]);
const SOFT = 'def sm(v, ax, t=1.0):\n    e = np.exp((v - v.max(axis=ax, keepdims=True)) / t)\n    return e / e.sum(axis=ax, keepdims=True)\n';
const LEN = SOFT + 'def smlen(v, L, t=1.0):\n    out = np.zeros_like(v)\n    for i, n in enumerate(L):\n        n = int(n)\n        if n: out[i, :n] = sm(v[i, :n], 0, t)\n    return out\n';
const softCases: Case[] = [
  // 1.x: softmax(data, length, axis, temperature, ...): a number second is the axis (MXNet 1.x refuses a number for the array length).
  { what: 'F.softmax(s, 0): a number second is the axis', run: (F, a) => F.softmax(a, 0), inputs: [s], ref: SOFT + 'out = sm(a, 0)', refInputs: [ts], sym: true },
  { what: 'F.softmax(s, length, -1, 2, { useLength })', run: (F, a, l) => F.softmax(a, l, -1, 2, { useLength: true }), inputs: [s, lens], ref: LEN + 'out = smlen(a, [2, 4, 1], 2.0)', refInputs: [ts], sym: true },
  { what: 'F.softmax(s, null, 0, 0.5)', run: (F, a) => F.softmax(a, null, 0, 0.5), inputs: [s], ref: SOFT + 'out = sm(a, 0, 0.5)', refInputs: [ts] },
  // MXNet 2: npx.softmax(data, axis, length, temperature, use_length).
  { what: 'npx.softmax(s, 0)', run: (_F, a) => npx.softmax(a, 0), inputs: [s], ref: SOFT + 'out = sm(a, 0)', refInputs: [ts] },
  { what: 'npx.softmax(s, -1, length, 2, true)', run: (_F, a, l) => npx.softmax(a, -1, l, 2, true), inputs: [s, lens], ref: LEN + 'out = smlen(a, [2, 4, 1], 2.0)', refInputs: [ts] },
  { what: 'npx.softmax(s, -1, length, { useLength })', run: (_F, a, l) => npx.softmax(a, -1, l, { useLength: true }), inputs: [s, lens], ref: LEN + 'out = smlen(a, [2, 4, 1])', refInputs: [ts] },
  { what: 'npx.logSoftmax(s, 0, null, 2)', run: (_F, a) => npx.logSoftmax(a, 0, null, 2), inputs: [s], ref: SOFT + 'out = np.log(sm(a, 0, 2.0))', refInputs: [ts] },
  // masked_softmax(data, mask, axis, temperature) in both.
  { what: 'F.maskedSoftmax(s, mask, 0, 2)', run: (F, a, m) => F.maskedSoftmax(a, m, 0, 2), inputs: [s, () => nd.array([1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1]).reshape([3, 4])], ref: SOFT + 'm = np.array([1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1.]).reshape(3, 4)\nout = np.where(m > 0, sm(np.where(m > 0, a, -1e30), 0, 2.0), 0)', refInputs: [ts], sym: true },
  { what: 'npx.maskedSoftmax(s, mask, 0)', run: (_F, a, m) => npx.maskedSoftmax(a, m, 0), inputs: [s, () => nd.array([1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1]).reshape([3, 4])], ref: SOFT + 'm = np.array([1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1.]).reshape(3, 4)\nout = np.where(m > 0, sm(np.where(m > 0, a, -1e30), 0), 0)', refInputs: [ts] },
];

describe('ops: positional arguments of Convolution, Deconvolution, Pooling and softmax, per namespace (MXNet 1.x for F/nd/sym, MXNet 2 for npx), against PyTorch/numpy', () => {
  const all = [...cases, ...softCases];
  const refs = numpyRefs(all.map((c) => ({ code: (cases.includes(c) ? TORCH : '') + c.ref, inputs: c.refInputs })));
  all.forEach((c, k) => {
    it(c.what, () => {
      const ref = refs[k]!;
      assert.equal(ref.error, undefined, `reference: ${ref.error}`);
      const check = (got: Arr, how: string) => {
        assert.deepEqual(got.shape, ref.outs[0]!.shape, `${how}: shape`);
        assertClose(flat(got), ref.outs[0]!.data, `${how}`, 1e-5, 1e-5);
      };
      check(c.run(nd, ...c.inputs.map((mk) => mk())), 'nd');
      if (c.sym) {
        const blk = blockOf(c.run);
        blk.hybridize();
        check(blk.call(...c.inputs.map((mk) => mk())) as Arr, 'sym (hybridized)');
      }
    });
  });

  it('a positional argument of the wrong type, or too many, is an Error naming the operator', () => {
    // npx's order given to F (stride where 1.x has pool_type), and 1.x's order given to npx.
    assert.throws(() => (nd.Pooling as any)(x(), [2, 2], [2, 2]), /Pooling: poolType \[2,2\] is not supported/);
    assert.throws(() => (npx.pooling as any)(x(), [2, 2], 'avg'), /Pooling: option 'stride' must be 2 integer\(s\) >= 1 .*got "avg"/);
    assert.throws(() => (nd.Convolution as any)(x(), w(), b(), [3, 3], 'x'), /Convolution: option 'stride' must be 2 integer\(s\) >= 1/);
    assert.throws(() => (nd.Convolution as any)(x(), w(), b(), [3, 3], [1, 1], [1, 1], [0, 0], 3, 1, 1024, false, null, false, 'NCHW', 7), /Convolution: unexpected argument 15: number 7/);
    assert.throws(() => (npx.pooling as any)(x(), [2, 2], [2, 2], [0, 0], 'max', 'valid', false, false, null, true, 'NCHW', 9), /npx.pooling: takes at most 11 positional arguments \(data, kernel, stride, pad, poolType, poolingConvention, globalPool, cudnnOff, pValue, countIncludePad, layout\), got 12/);
    assert.throws(() => (npx.pooling as any)(x(), [2, 2], { kernel: [3, 3] }), /npx.pooling: got multiple values for 'kernel'/);
    // Options this gluonc lacks are refused, not dropped.
    assert.throws(() => (nd.Pooling as any)(x(), [2, 2], 'max', false, false, 'valid', [1, 1], [0, 0], 2), /Pooling: pValue applies to Lp pooling \(poolType 'lp'\), which is not supported/);
    assert.throws(() => (nd.Deconvolution as any)(x(), wt(), null, [3, 3], [2, 2], [1, 1], [1, 1], [0, 0], [10, 10]), /Deconvolution: targetShape is not supported/);
    // F/nd keep MXNet 1.x's Deconvolution default no_bias=True (npx's is False, above).
    assert.throws(() => nd.Deconvolution(x(), wt(), b2(), { kernel: [3, 3] }), /Deconvolution: a bias was given but noBias is true/);
    assert.throws(() => (npx.deconvolution as any)(x(), wt(), b2(), [3, 3], { kernel: [3, 3] }), /npx.deconvolution: got multiple values for 'kernel'/);
  });

  it('softmax: a length without useLength is an Error naming useLength (MXNet refuses it: one input unless use_length)', () => {
    assert.throws(() => nd.softmax(s(), lens()), /softmax: a length input was given but useLength is false/);
    assert.throws(() => npx.softmax(s(), -1, lens()), /softmax: a length input was given but useLength is false/);
    assert.throws(() => (npx.softmax as any)(s(), lens()), /softmax: option 'axis' must be an integer|axis/);
  });
});
