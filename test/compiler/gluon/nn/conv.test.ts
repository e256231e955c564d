import assert from 'node:assert/strict';
import { nd, gluon, init, random, autograd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs } from '../../../helpers/numpy.js';

const { nn } = gluon;

/** numpy float64 convolution / transposed convolution with MXNet's weight layouts. */
const REF = String.raw`
def conv(x, w, b, stride, pad, dil, groups):
    nd = x.ndim - 2
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    N, C = x.shape[:2]; F = w.shape[0]; k = w.shape[2:]
    sp = [(x.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    out = np.zeros([N, F] + sp)
    cg = C // groups; fg = F // groups
    ax = list(range(1, nd + 2))
    for g in range(groups):
        for idx in np.ndindex(*sp):
            sl = tuple(slice(idx[i] * stride[i], idx[i] * stride[i] + dil[i] * (k[i] - 1) + 1, dil[i]) for i in range(nd))
            patch = x[(slice(None), slice(g * cg, (g + 1) * cg)) + sl]
            out[(slice(None), slice(g * fg, (g + 1) * fg)) + idx] = np.tensordot(patch, w[g * fg:(g + 1) * fg], axes=(ax, ax))
    if b is not None:
        out += b.reshape([1, -1] + [1] * nd)
    return out

def deconv(x, w, b, stride, pad, dil, adj, groups):
    nd = x.ndim - 2
    N, C = x.shape[:2]; fg = w.shape[1]; F = fg * groups; cg = C // groups; k = w.shape[2:]
    full = [(x.shape[2 + i] - 1) * stride[i] + dil[i] * (k[i] - 1) + 1 + adj[i] for i in range(nd)]
    out = np.zeros([N, F] + full)
    for g in range(groups):
        for idx in np.ndindex(*x.shape[2:]):
            v = x[(slice(None), slice(g * cg, (g + 1) * cg)) + idx]
            contrib = np.tensordot(v, w[g * cg:(g + 1) * cg], axes=([1], [0]))
            sl = tuple(slice(idx[i] * stride[i], idx[i] * stride[i] + dil[i] * (k[i] - 1) + 1, dil[i]) for i in range(nd))
            out[(slice(None), slice(g * fg, (g + 1) * fg)) + sl] += contrib
    out = out[(slice(None), slice(None)) + tuple(slice(pad[i], full[i] - pad[i]) for i in range(nd))]
    if b is not None:
        out += b.reshape([1, -1] + [1] * nd)
    return out
`;

const f64 = (a: nd.NDArray): number[] => Array.from(a.data() as Float32Array);
const job = (x: nd.NDArray, w: nd.NDArray, b: nd.NDArray | null, call: string) => ({
  code: `${REF}\nout = ${call}`,
  inputs: [x, w, ...(b ? [b] : [])].map((t) => ({ shape: t.shape, dtype: 'float64', data: f64(t) })),
});

interface Case {
  what: string;
  make: () => gluon.HybridBlock;
  shapes: [number[], number[]];
  /** The python call computing the reference from a (x), b (weight), c (bias). */
  ref: (hasBias: boolean) => string;
  outShape: (x: number[]) => number[];
}

const CASES: Case[] = [
  {
    what: 'Conv2D 3x3, padding 1, relu',
    make: () => new nn.Conv2D(4, 3, { padding: 1, activation: 'relu' }),
    shapes: [[2, 3, 6, 6], [1, 3, 5, 7]],
    ref: () => 'np.maximum(conv(a, b, c, [1, 1], [1, 1], [1, 1], 1), 0)',
    outShape: (x) => [x[0]!, 4, x[2]!, x[3]!],
  },
  {
    what: 'Conv2D strides, dilation, groups, rectangular kernel, no bias',
    make: () => new nn.Conv2D(6, [3, 2], { strides: [2, 1], dilation: [1, 2], padding: [1, 0], groups: 2, useBias: false }),
    shapes: [[2, 4, 7, 8], [1, 4, 9, 5]],
    ref: () => 'conv(a, b, None, [2, 1], [1, 0], [1, 2], 2)',
    outShape: (x) => [x[0]!, 6, Math.floor((x[2]! + 2 - 3) / 2) + 1, x[3]! - 2],
  },
  {
    what: 'Conv1D strides 2, padding 1',
    make: () => new nn.Conv1D(5, 3, { strides: 2, padding: 1 }),
    shapes: [[2, 3, 9], [3, 3, 4]],
    ref: () => 'conv(a, b, c, [2], [1], [1], 1)',
    outShape: (x) => [x[0]!, 5, Math.floor((x[2]! + 2 - 3) / 2) + 1],
  },
  {
    what: 'Conv2DTranspose strides 2, padding 1, outputPadding 1',
    make: () => new nn.Conv2DTranspose(3, 3, { strides: 2, padding: 1, outputPadding: 1 }),
    shapes: [[2, 4, 3, 3], [1, 4, 4, 2]],
    ref: () => 'deconv(a, b, c, [2, 2], [1, 1], [1, 1], [1, 1], 1)',
    outShape: (x) => [x[0]!, 3, x[2]! * 2, x[3]! * 2],
  },
  {
    what: 'Conv3D strides, padding, dilation, groups, cuboid kernel',
    make: () => new nn.Conv3D(4, [2, 3, 3], { strides: [1, 2, 1], padding: 1, dilation: [1, 1, 2], groups: 2 }),
    shapes: [[2, 4, 3, 6, 7], [1, 4, 4, 5, 6]],
    ref: () => 'conv(a, b, c, [1, 2, 1], [1, 1, 1], [1, 1, 2], 2)',
    outShape: (x) => [x[0]!, 4, x[2]! + 1, Math.floor((x[3]! - 1) / 2) + 1, x[4]! - 2],
  },
  {
    what: 'Conv1DTranspose strides 3, padding 2, dilation 2, outputPadding 1, groups 2',
    make: () => new nn.Conv1DTranspose(4, 4, { strides: 3, padding: 2, dilation: 2, outputPadding: 1, groups: 2 }),
    shapes: [[2, 4, 5], [1, 4, 3]],
    ref: () => 'deconv(a, b, c, [3], [2], [2], [1], 2)',
    outShape: (x) => [x[0]!, 4, 3 * x[2]! + 1],
  },
  {
    what: 'Conv3DTranspose strides 2, padding 1, outputPadding 1',
    make: () => new nn.Conv3DTranspose(3, 3, { strides: 2, padding: 1, outputPadding: 1 }),
    shapes: [[2, 2, 2, 3, 2], [1, 2, 3, 2, 2]],
    ref: () => 'deconv(a, b, c, [2, 2, 2], [1, 1, 1], [1, 1, 1], [1, 1, 1], 1)',
    outShape: (x) => [x[0]!, 3, 2 * x[2]!, 2 * x[3]!, 2 * x[4]!],
  },
  {
    what: 'Conv2DTranspose groups 2, no bias',
    make: () => new nn.Conv2DTranspose(4, [2, 3], { groups: 2, useBias: false }),
    shapes: [[1, 4, 3, 3], [2, 4, 2, 5]],
    ref: () => 'deconv(a, b, None, [1, 1], [0, 0], [1, 1], [0, 0], 2)',
    outShape: (x) => [x[0]!, 4, x[2]! + 1, x[3]! + 2],
  },
];

describe('gluon.nn convolution layers', () => {
  for (const c of CASES) {
    it(`${c.what}: numpy reference, eager and hybridized, two input shapes`, () => {
      random.seed(3);
      const layer = c.make();
      layer.initialize(new init.Uniform(0.5));
      const xs = c.shapes.map((s) => nd.random.uniform(-1, 1, s));
      const eager = xs.map((x) => layer.call(x) as nd.NDArray);
      const params = layer.collectParams();
      const w = params.get('weight').data();
      // A nonzero bias so the reference checks it.
      const b = params.has('bias') ? params.get('bias') : null;
      if (b) b.setData(nd.random.uniform(-1, 1, b.shape));
      const withBias = xs.map((x) => layer.call(x) as nd.NDArray);
      layer.hybridize();
      const compiled = xs.map((x) => layer.call(x) as nd.NDArray);
      const refs = numpyRefs(xs.map((x) => job(x, w, b ? b.data() : null, c.ref(!!b))));
      xs.forEach((x, i) => {
        assert.deepEqual(eager[i]!.shape, c.outShape(x.shape));
        assert.deepEqual(refs[i]!.outs[0]!.shape, c.outShape(x.shape), refs[i]!.error);
        assertClose(withBias[i]!.data() as Float32Array, refs[i]!.outs[0]!.data, `${c.what} eager ${x.shape}`);
        assertClose(compiled[i]!.data() as Float32Array, refs[i]!.outs[0]!.data, `${c.what} hybridized ${x.shape}`);
      });
    });
  }

  // PyTorch float64 with the same weights (MXNet's and PyTorch's weight layouts are the same). The hybridized
  // data gradient of a dilated Conv1D is a 1-D transposed convolution: onnxruntime 1.30's 1-D Col2Im got it wrong.
  const GRAD_CASES: [string, () => gluon.HybridBlock, number[], string][] = [
    ['Conv1D strides 3, padding 2, dilation 2', () => new nn.Conv1D(3, 4, { strides: 3, padding: 2, dilation: 2 }), [2, 2, 13], 'F.conv1d(x, w, b, stride=3, padding=2, dilation=2)'],
    ['Conv2D strides 2, padding 1, dilation 2, groups 2', () => new nn.Conv2D(4, 3, { strides: 2, padding: 1, dilation: 2, groups: 2 }), [2, 4, 9, 8], 'F.conv2d(x, w, b, stride=2, padding=1, dilation=2, groups=2)'],
    ['Conv3D', () => new nn.Conv3D(4, [2, 3, 3], { strides: [1, 2, 1], padding: 1, dilation: [1, 1, 2], groups: 2 }), [2, 4, 3, 6, 7], 'F.conv3d(x, w, b, stride=(1, 2, 1), padding=1, dilation=(1, 1, 2), groups=2)'],
    ['Conv1DTranspose', () => new nn.Conv1DTranspose(4, 4, { strides: 3, padding: 2, dilation: 2, outputPadding: 1, groups: 2 }), [2, 4, 5], 'F.conv_transpose1d(x, w, b, stride=3, padding=2, output_padding=1, groups=2, dilation=2)'],
    ['Conv2DTranspose', () => new nn.Conv2DTranspose(4, 3, { strides: 2, padding: 1, outputPadding: 1, dilation: 2, groups: 2 }), [2, 4, 3, 4], 'F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, dilation=2, groups=2)'],
    ['Conv3DTranspose', () => new nn.Conv3DTranspose(3, 3, { strides: 2, padding: 1, outputPadding: 1 }), [2, 2, 2, 3, 2], 'F.conv_transpose3d(x, w, b, stride=2, padding=1, output_padding=1)'],
  ];
  describe('gradients against PyTorch float64', () => {
    type GradRun = { x: nd.NDArray; head: nd.NDArray; w: gluon.Parameter; b: gluon.Parameter; grads: nd.NDArray[] };
    const gradRun = (make: () => gluon.HybridBlock, shape: number[], hybrid: boolean): GradRun => {
      random.seed(2);
      const layer = make();
      layer.initialize(new init.Uniform(1));
      const x = nd.random.uniform(-1, 1, shape);
      autograd.pause(() => layer.call(x));
      const params = layer.collectParams();
      params.get('bias').setData(nd.random.uniform(-1, 1, params.get('bias').shape));
      if (hybrid) layer.hybridize();
      x.attachGrad();
      const y = autograd.record(() => layer.call(x) as nd.NDArray);
      const head = nd.random.uniform(-1, 1, y.shape);
      y.backward(head);
      return { x, head, w: params.get('weight'), b: params.get('bias'), grads: [x.grad!, params.get('weight').grad(), params.get('bias').grad()] };
    };
    // Every case's eager and hybridized runs, and one PyTorch process for all references (a torch import costs seconds).
    let gradRuns: GradRun[][] = [];
    let gradRefs: ReturnType<typeof numpyRefs> = [];
    before(function () {
      this.timeout(300_000);
      // Both runs of a case draw the same input, weights and head (same seed): one reference serves both.
      gradRuns = GRAD_CASES.map(([, make, shape]) => [gradRun(make, shape, false), gradRun(make, shape, true)]);
      gradRefs = numpyRefs(GRAD_CASES.map(([, , , call], i) => {
        const r0 = gradRuns[i]![0]!;
        return {
          code: 'import torch\nimport torch.nn.functional as F\nx, w, b, head = [torch.tensor(v, requires_grad=True) for v in (a, b, c, d)]\n'
            + `(${call} * head).sum().backward()\nout = [x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]`,
          inputs: [r0.x, r0.w.data(), r0.b.data(), r0.head].map((t) => ({ shape: t.shape, dtype: 'float64', data: f64(t) })),
        };
      }));
    });
    GRAD_CASES.forEach(([what], c) => {
      it(`${what}: data, weight and bias gradients match PyTorch (float64), eager and hybridized`, () => {
        const ref = gradRefs[c];
        assert.equal(ref!.error, undefined, ref!.error);
        const runs = gradRuns[c]!;
        runs.forEach((r, k) => {
          assert.deepEqual(f64(r.w.data()), f64(runs[0]!.w.data()), 'both runs start from the same weights');
          ['data', 'weight', 'bias'].forEach((n, i) => {
            assert.deepEqual(r.grads[i]!.shape, ref!.outs[i]!.shape);
            assertClose(r.grads[i]!.data() as Float32Array, ref!.outs[i]!.data, `${what} ${n} gradient${k === 1 ? ' (hybridized)' : ''}`, 1e-4, 1e-4);
          });
        });
      });
    });
  });

  it('infers in-channels at the first call and keeps MXNet weight layouts', () => {
    const conv = new nn.Conv2D(8, 3, { groups: 2 });
    const deconv = new nn.Conv2DTranspose(6, 4, { groups: 3 });
    assert.deepEqual(conv.weight.shape, [8, 0, 3, 3]);
    assert.deepEqual(deconv.weight.shape, [0, 2, 4, 4]);
    conv.initialize();
    deconv.initialize();
    conv.call(nd.ones([1, 4, 5, 5]));
    deconv.call(nd.ones([1, 3, 2, 2]));
    assert.deepEqual(conv.weight.shape, [8, 2, 3, 3]);
    assert.deepEqual(conv.bias!.shape, [8]);
    assert.deepEqual(deconv.weight.shape, [3, 2, 4, 4]);
    assert.deepEqual(new nn.Conv1D(4, 5, { inChannels: 2 }).weight.shape, [4, 2, 5]);
    assert.deepEqual(new nn.Conv2D(4, 3).collectParams().keys(), ['weight', 'bias']);
    assert.equal(new nn.Conv2D(4, 3, { useBias: false }).bias, null);
  });

  it('hybridizes inside a HybridSequential with pooling and Dense', () => {
    random.seed(5);
    const net = new nn.HybridSequential();
    net.add(new nn.Conv2D(4, 3, { activation: 'relu' }), new nn.MaxPool2D(2), new nn.Conv2D(2, 1), new nn.Dense(3));
    net.initialize(new init.Xavier());
    const x = nd.random.uniform(-1, 1, [2, 1, 8, 8]);
    const eager = net.call(x) as nd.NDArray;
    assert.deepEqual(net.collectParams().keys(), ['0.weight', '0.bias', '2.weight', '2.bias', '3.weight', '3.bias']);
    assert.deepEqual(net.collectParams().get('3.weight').shape, [3, 18]);
    net.hybridize();
    assertClose(net.call(x).data() as Float32Array, eager.data() as Float32Array, 'sequential');
  });

  it('names the block and the shapes on an input of the wrong rank', () => {
    const conv = new nn.Conv2D(4, 3);
    conv.initialize();
    assert.throws(() => conv.call(nd.ones([2, 3, 6])), /Conv2D: expects input of rank 4 \(NCHW\), got shape \[2, 3, 6\]/);
    const net = new nn.HybridSequential();
    net.add(new nn.Dense(4), new nn.Conv2D(4, 3));
    net.initialize();
    net.hybridize();
    assert.throws(() => net.call(nd.ones([2, 3])), /Conv2D '1': expects input of rank 4 \(NCHW\), got shape \[2, 4\]/);
    const c1 = new nn.Conv1D(2, 3);
    c1.initialize();
    assert.throws(() => c1.call(nd.ones([1, 2, 3, 3])), /Conv1D: expects input of rank 3 \(NCW\), got shape \[1, 2, 3, 3\]/);
  });

  it('refuses bad options with a message naming the layer', () => {
    assert.throws(() => new nn.Conv2D(0, 3), /Conv2D: channels must be a positive integer/);
    assert.throws(() => new nn.Conv2D(4, [3, 3, 3]), /Conv2D: kernelSize must be/);
    assert.throws(() => new nn.Conv2D(4, 3, { layout: 'NHWC' }), /Conv2D: layout 'NHWC' is not supported/);
    assert.throws(() => new nn.Conv2D(5, 3, { groups: 2 }), /Conv2D: channels 5 are not divisible by groups 2/);
    assert.throws(() => new nn.Conv2DTranspose(4, 3, { outputPadding: -1 }), /Conv2DTranspose: outputPadding must be/);
    // A string where a flag goes was read as truthy: useBias 'false' kept the bias.
    assert.throws(() => new nn.Conv2D(4, 3, { useBias: 'false' as never }), /Conv2D: option 'useBias' must be true or false, got "false"/);
    assert.throws(() => new nn.Conv1D(4, 3, { activation: 'gelu' }), /Conv1D: unknown activation "gelu" \(valid: relu, sigmoid, tanh, softrelu, softsign\)/);
  });

  it('prints like MXNet', () => {
    assert.equal(String(new nn.Conv2D(16, 3, { padding: 1, inChannels: 3, activation: 'relu' })),
      'Conv2D(3 -> 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), Activation(relu))');
  });
});
