/**
 * Convolution gradients through `convColumns` (the weight gradient as one
 * Gemm by the unfolded input, and, hybridized, the forward convolution
 * reading the same columns: share-conv-columns) against PyTorch in float64:
 * the weight's, the bias's and the data's gradients of `sum(r * conv(x))`
 * for padded, strided, dilated, one-channel, 1-D and 3-D convolutions, and
 * of a transposed convolution (its weight gradient takes the columns of the
 * output gradient), eager (the tape) and hybridized (one compiled graph).
 * Fixed samples: taps that read only padding (stride 3, pad 2), a batch of
 * one, 8, 16 and 17 output channels (the weight gradient's Gemm with the
 * columns as its left operand, conv.ts columnsLeft, 2-D, 3-D and
 * transposed). Groups keep the convolution forms (grad.test.ts' table).
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const { nn } = gluon;

const TORCH = String.raw`
import torch
x = torch.tensor(a, requires_grad=True); w = torch.tensor(b, requires_grad=True); bias = torch.tensor(c, requires_grad=True)
nd_ = x.dim() - 2
o = attrs
if o["transpose"]:
    f = [None, torch.nn.functional.conv_transpose1d, torch.nn.functional.conv_transpose2d, torch.nn.functional.conv_transpose3d][nd_]
    y = f(x, w, bias, stride=o["stride"], padding=o["pad"], output_padding=o["adj"], dilation=o["dilate"])
else:
    f = [None, torch.nn.functional.conv1d, torch.nn.functional.conv2d, torch.nn.functional.conv3d][nd_]
    y = f(x, w, bias, stride=o["stride"], padding=o["pad"], dilation=o["dilate"])
(y * torch.tensor(d)).sum().backward()
out = [w.grad.numpy(), bias.grad.numpy(), x.grad.numpy(), y.detach().numpy()]
`;

interface Case {
  label: string;
  x: number[];
  filters: number;
  kernel: number[];
  stride: number[];
  pad: number[];
  dilate: number[];
  /** A transposed convolution's output padding (Conv*DTranspose). */
  adj?: number[];
}

const CASES: Case[] = [
  { label: 'LeNet conv1: one channel, pad 2', x: [3, 1, 10, 10], filters: 4, kernel: [5, 5], stride: [1, 1], pad: [2, 2], dilate: [1, 1] },
  { label: 'stride, dilate, pad, rectangular kernel', x: [2, 3, 9, 8], filters: 4, kernel: [3, 2], stride: [2, 1], pad: [1, 1], dilate: [1, 2] },
  { label: 'taps only in the padding (stride 3, pad 2), batch 1', x: [1, 2, 4, 4], filters: 3, kernel: [3, 3], stride: [3, 3], pad: [2, 2], dilate: [1, 1] },
  { label: '1-D', x: [2, 3, 11], filters: 2, kernel: [3], stride: [2], pad: [1], dilate: [2] },
  { label: '3-D', x: [2, 2, 4, 5, 4], filters: 3, kernel: [2, 3, 2], stride: [1, 2, 1], pad: [1, 0, 1], dilate: [1, 1, 1] },
  { label: 'transposed: stride, pad, adj', x: [2, 3, 4, 4], filters: 2, kernel: [3, 3], stride: [2, 2], pad: [1, 1], dilate: [1, 1], adj: [1, 1] },
  // 16 or more output channels, or 8 with 8 column rows each: the columns as the left operand (dwᵀ, columnsLeft).
  { label: 'LeNet conv2: 16 filters, the columns left', x: [2, 6, 9, 9], filters: 16, kernel: [5, 5], stride: [1, 1], pad: [0, 0], dilate: [1, 1] },
  { label: '3-D, 17 filters, stride and pad, the columns left', x: [2, 3, 4, 5, 4], filters: 17, kernel: [2, 3, 2], stride: [1, 2, 1], pad: [1, 0, 1], dilate: [1, 1, 1] },
  { label: 'transposed, 16 input channels, the columns left', x: [2, 16, 3, 3], filters: 2, kernel: [3, 3], stride: [2, 2], pad: [1, 1], dilate: [1, 1], adj: [1, 1] },
  { label: '8 filters over 100 column rows, the columns left', x: [2, 4, 6, 6], filters: 8, kernel: [5, 5], stride: [1, 1], pad: [1, 1], dilate: [1, 1] },
];

function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

const size = (s: number[]): number => s.reduce((p, q) => p * q, 1);

function layer(c: Case): gluon.HybridBlock {
  const nd_ = c.x.length - 2;
  const opts = { strides: c.stride, padding: c.pad, dilation: c.dilate, inChannels: c.x[1]! };
  if (c.adj) {
    const T = [nn.Conv1DTranspose, nn.Conv2DTranspose, nn.Conv3DTranspose][nd_ - 1]!;
    return new T(c.filters, c.kernel, { ...opts, outputPadding: c.adj });
  }
  const C = [nn.Conv1D, nn.Conv2D, nn.Conv3D][nd_ - 1]!;
  return new C(c.filters, c.kernel, opts);
}

describe('ops: convolution gradients by columns (convColumns, share-conv-columns) against PyTorch', function () {
  this.timeout(120000);
  for (const c of CASES) {
    for (const hybrid of [false, true]) {
      it(`${c.label}, ${hybrid ? 'hybridized' : 'eager'}`, () => {
        const net = layer(c);
        net.initialize();
        const xv = values(size(c.x), 11);
        const x = nd.array(xv, { shape: c.x });
        net.call(x);
        const [w, b] = net.collectParams().values();
        w!.setData(nd.array(values(size(w!.shape as number[]), 5), { shape: w!.shape as number[] }));
        b!.setData(nd.array(values(size(b!.shape as number[]), 9), { shape: b!.shape as number[] }));
        if (hybrid) net.hybridize();
        const yShape = net.call(x).shape as number[];
        const r = nd.array(values(size(yShape), 3), { shape: yShape });
        x.attachGrad();
        const y = autograd.record(() => net.call(x).mul(r).sum()) as nd.NDArray;
        y.backward();
        const f64 = (t: nd.NDArray) => ({ shape: t.shape as number[], dtype: 'float64', data: Array.from(t.data() as Float32Array) });
        const attrs = { stride: c.stride, pad: c.pad, dilate: c.dilate, adj: c.adj ?? null, transpose: !!c.adj };
        const [ref] = numpyRefs([{ code: TORCH, inputs: [f64(x), f64(w!.data()), f64(b!.data()), f64(r)], attrs }]);
        assert.ok(ref && !ref.error, `PyTorch reference: ${ref?.error}`);
        assertClose(Array.from(w!.grad().data() as Float32Array), ref!.outs[0]!.data as number[], `${c.label}: weight gradient`, 1e-4, 1e-5);
        assertClose(Array.from(b!.grad().data() as Float32Array), ref!.outs[1]!.data as number[], `${c.label}: bias gradient`, 1e-4, 1e-5);
        assertClose(Array.from(x.grad!.data() as Float32Array), ref!.outs[2]!.data as number[], `${c.label}: data gradient`, 1e-4, 1e-5);
      });
    }
  }
});
