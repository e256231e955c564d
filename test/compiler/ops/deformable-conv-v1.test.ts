/**
 * DeformableConvolution (MXNet 1.x's v1; compiler/ops/deformable-conv-v1.ts)
 * against a float64 numpy transcription of MXNet's
 * src/operator/contrib/nn/deformable_im2col.cuh: the forward
 * (`deformable_im2col_gpu_kernel`, `deformable_im2col_bilinear`) and the
 * backward (`deformable_col2im_gpu_kernel` with `get_gradient_weight`,
 * `deformable_col2im_coord_gpu_kernel` with `get_coordinate_weight`, the
 * weight's and bias's gemm of deformable_convolution-inl.h). The script
 * checks its backward against central differences of its forward away from
 * the kinks ('smooth'); 'kinks' puts samples at -1, 0, size - 1, size,
 * inside the last pixel's cell and on whole pixels, 'quarters' random
 * offsets on a quarter grid (many at the kinks) with groups, deformable
 * groups, stride and padding: there the gradients follow MXNet's one-sided
 * conventions. The output and the gradients of data, offset, weight and
 * bias, eager and hybridized; the hybridized block exported passes
 * onnx.checker and runs in python's onnxruntime, and imported again, to the
 * eager output. Also
 * MXNet's positional order, sym.contrib's shape, MXNet's symbol file,
 * float16, and Errors naming the operator and shapes. Skipped, with a
 * message, without python3's numpy, onnx and onnxruntime.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd, sym } from 'gluonc';
import { emitModel } from '../../../compiler/onnx/emit.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { DEFORM_V1_SCRIPT } from './deformable-conv-v1-ref.js';
import { runPython } from '../../helpers/python-server.js';

type Opts = Record<string, unknown>;

class Deform extends gluon.HybridBlock {
  constructor(private readonly args: unknown[]) {
    super();
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, off: gluon.Tensor, w: gluon.Tensor, b?: gluon.Tensor): gluon.Tensor {
    return b ? F.contrib.DeformableConvolution(x, off, w, b, ...(this.args as [Opts])) : F.contrib.DeformableConvolution(x, off, w, ...(this.args as [Opts]));
  }
}

/** The operator over data and offsets, its weight and bias parameters (as a layer holds them). */
class WithParams extends gluon.HybridBlock {
  private readonly w: gluon.Parameter;
  private readonly b: gluon.Parameter | null;
  constructor(private readonly opts: Opts, w: nd.NDArray, b?: nd.NDArray) {
    super();
    this.w = this.params.get('weight', { shape: w.shape });
    this.b = b ? this.params.get('bias', { shape: b.shape }) : null;
    this.initialize();
    this.w.setData(w);
    if (b) this.b!.setData(b);
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, off: gluon.Tensor, p: { weight: gluon.Tensor; bias?: gluon.Tensor }): gluon.Tensor {
    return p.bias ? F.contrib.DeformableConvolution(x, off, p.weight, p.bias, this.opts) : F.contrib.DeformableConvolution(x, off, p.weight, this.opts);
  }
}

const wave = (shape: number[], k: number, scale = 1) => nd.array(Array.from({ length: shape.reduce((p, q) => p * q) }, (_v, i) => scale * Math.sin(i * 0.37 * k + k)), { shape });

describe("DeformableConvolution: MXNet 1.x's contrib.DeformableConvolution (v1)", function () {
  this.timeout(300_000);
  const fx = pythonFixtures('dcnv1', ['numpy', 'onnx', 'onnxruntime'], DEFORM_V1_SCRIPT);

  for (const name of ['kinks', 'quarters', 'smooth']) {
    for (const hybrid of [false, true]) {
      it(`${name} (${hybrid ? 'hybridized, exported, python onnxruntime' : 'eager'}): output and the gradients of data, offset, weight and bias as MXNet's`, () => {
        const dir = join(fx.dir, name);
        const ref = (k: string) => readNpy(join(dir, `${k}.npy`));
        const opts = JSON.parse(readFileSync(join(dir, 'opts.json'), 'utf8')) as Opts;
        const keys = ['x', 'offset', 'w', ...(opts['noBias'] ? [] : ['b'])];
        const ins = keys.map((k) => new nd.NDArray(ref(k)));
        for (const v of ins) v.attachGrad();
        const net = new Deform([opts]);
        if (hybrid) net.hybridize();
        let y: nd.NDArray | undefined;
        autograd.record(() => {
          y = net.call(...ins) as nd.NDArray;
          return nd.sum(nd.mul(y, new nd.NDArray(ref('r')).astype('float32')));
        }).backward();
        assert.deepEqual(y!.shape, ref('y').shape);
        assertClose(tensorToNumbers(y!._host), tensorToNumbers(ref('y')), 'output');
        keys.forEach((k, i) => assertClose(tensorToNumbers(ins[i]!.grad._host), tensorToNumbers(ref(`g${k}`)), `${k} gradient`));
        if (!hybrid) return;
        // Exported with the weight and bias as parameters (the data and offsets the file's inputs).
        const layer = new WithParams(opts, ins[2]!, ins[3]);
        layer.hybridize();
        const eager = layer.call(ins[0]!, ins[1]!) as nd.NDArray;
        const file = join(dir, 'v1.onnx');
        layer.export(file);
        assert.deepEqual(checkOnnxFiles([file]), [null]);
        const script = String.raw`
import sys, numpy as np, onnxruntime as ort
s = ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])
feeds = {i.name: np.load(f) for i, f in zip(s.get_inputs(), sys.argv[3:])}
np.save(sys.argv[2], s.run(None, feeds)[0])
`;
        const got = join(dir, 'ort-y.npy');
        const r = runPython(script, { args: [file, got, join(dir, 'x.npy'), join(dir, 'offset.npy')] });
        assert.equal(r.status, 0, r.stderr);
        assertClose(tensorToNumbers(readNpy(got)), tensorToNumbers(ref('y')), 'python onnxruntime vs the reference');
        assertClose(tensorToNumbers(readNpy(got)), tensorToNumbers(eager._host), 'python onnxruntime vs eager', 1e-5, 1e-6);
        // The exported file imported again (its DeformConv onto ModulatedDeformableConvolution) computes the same.
        const back = gluon.SymbolBlock.imports(file).call(ins[0]!, ins[1]!) as nd.NDArray;
        assertClose(tensorToNumbers(back._host), tensorToNumbers(eager._host), 'exported file imported again', 1e-5, 1e-6);
      });
    }
  }

  it("MXNet's positional order agrees with the options; sym.contrib infers the shape; MXNet's symbol file is written and read back", () => {
    const [x, off, w, b] = [wave([2, 4, 5, 6], 1), wave([2, 36, 5, 6], 2, 2.5), wave([4, 2, 3, 3], 3), wave([4], 4)];
    const opts = { kernel: [3, 3], pad: [1, 1], numFilter: 4, numGroup: 2, numDeformableGroup: 2 };
    const want = nd.contrib.DeformableConvolution(x, off, w, b, opts);
    assert.deepEqual(want.shape, [2, 4, 5, 6]);
    // kernel, stride, dilate, pad, numFilter, numGroup, numDeformableGroup
    for (const hybrid of [false, true]) {
      const net = new Deform([[3, 3], [1, 1], [1, 1], [1, 1], 4, 2, 2]);
      if (hybrid) net.hybridize();
      assertClose((net.call(x, off, w, b) as nd.NDArray).data() as Float32Array, Array.from(want.data() as Float32Array), `positional (${hybrid ? 'hybridized' : 'eager'})`);
    }
    const v = (n: string, s: number[]) => sym.var(n, { shape: s });
    assert.deepEqual(sym.contrib.DeformableConvolution(v('x', [2, 4, 7, 6]), v('o', [2, 18, 3, 2]), v('w', [5, 4, 3, 3]), { kernel: [3, 3], stride: [2, 2], numFilter: 5, noBias: true }).shape, [2, 5, 3, 2]);
    const net = new Deform([opts]);
    net.hybridize();
    net.call(x, off, w, b);
    const { symbolFile, paramsFile } = net.export(join(fx.dir, 'v1-mxnet'), { format: 'mxnet' });
    const node = (JSON.parse(readFileSync(symbolFile, 'utf8')) as { nodes: { op: string; attrs?: Record<string, string> }[] }).nodes.find((n) => n.op !== 'null')!;
    assert.equal(node.op, '_contrib_DeformableConvolution');
    assert.equal(node.attrs!['num_deformable_group'], '2');
    assert.ok(!('im2col_step' in node.attrs!) && !('cudnn_off' in node.attrs!), 'no im2col_step or cuDNN options (MXNet\'s v1 takes none)');
    const back = gluon.SymbolBlock.imports(symbolFile, ['data0', 'data1', 'data2', 'data3'], paramsFile);
    assertClose((back.call(x, off, w, b) as nd.NDArray).data() as Float32Array, Array.from(want.data() as Float32Array), 'read back');
  });

  it('float16 runs in float32 (eager and hybridized)', () => {
    const ins = [wave([1, 2, 5, 6], 1), wave([1, 8, 4, 5], 2, 3), wave([3, 2, 2, 2], 3)];
    const opts = { kernel: [2, 2], numFilter: 3, noBias: true };
    const want = nd.contrib.DeformableConvolution(ins[0]!, ins[1]!, ins[2]!, opts);
    const half = ins.map((a) => a.astype('float16').astype('float32'));
    const want16 = nd.contrib.DeformableConvolution(half[0]!, half[1]!, half[2]!, opts);
    for (const hybrid of [false, true]) {
      const net = new Deform([opts]);
      if (hybrid) net.hybridize();
      const y = net.call(...ins.map((a) => a.astype('float16'))) as nd.NDArray;
      assert.equal(y.dtype, 'float16');
      assertClose(Array.from(y.astype('float32').data() as Float32Array), Array.from(want16.data() as Float32Array), `float16 (${hybrid ? 'hybridized' : 'eager'})`, 2e-3, 2e-3);
    }
    assert.equal(want.dtype, 'float32');
  });

  it('bad shapes and options, and an opset below 19, are Errors naming the operator and shapes', () => {
    const [x, off, w, b] = [wave([2, 4, 5, 6], 1), wave([2, 36, 5, 6], 2), wave([4, 2, 3, 3], 3), wave([4], 4)];
    const opts = { kernel: [3, 3], pad: [1, 1], numFilter: 4, numGroup: 2, numDeformableGroup: 2 };
    const f = nd.contrib.DeformableConvolution;
    assert.throws(() => f(x, off, w, b, { ...opts, numDeformableGroup: 1 }), /^OpError: DeformableConvolution: offset shape \[2, 36, 5, 6\] must be \[2, 18, 5, 6\] \(\[N, numDeformableGroup \* kh \* kw \* 2, Ho, Wo\] for data \[2, 4, 5, 6\] and kernel \[3, 3\]\)/);
    assert.throws(() => f(x, wave([2, 36, 4, 6], 2), w, b, opts), /DeformableConvolution: offset shape \[2, 36, 4, 6\] must be \[2, 36, 5, 6\]/);
    assert.throws(() => f(x, off, w, b, { ...opts, numDeformableGroup: 3 }), /DeformableConvolution: data channels 4 are not divisible by numDeformableGroup 3/);
    assert.throws(() => f(x, off, wave([4, 4, 3, 3], 3), b, { ...opts, numGroup: 3 }), /DeformableConvolution: data channels 4 \(shape \[2, 4, 5, 6\]\) are not divisible by numGroup 3/);
    assert.throws(() => f(x, off, w, b, { ...opts, kernel: [3, 3, 3] }), /^OpError: DeformableConvolution: option 'kernel' must be 2 integer\(s\) >= 1 \(one per spatial axis\), got \[3,3,3\] \(inputs: float32\[2, 4, 5, 6\]/);
    assert.throws(() => f(wave([2, 4, 5], 1), off, w, b, opts), /DeformableConvolution: needs 2-D data \[N, C, H, W\], got shape \[2, 4, 5\]/);
    assert.throws(() => f(x, off, w, b, { ...opts, im2colStep: 64 } as never), /DeformableConvolution.*im2colStep/);
    const v = (n: string, s: number[]) => sym.var(n, { shape: s });
    const y = sym.contrib.DeformableConvolution(v('x', [2, 4, 5, 6]), v('o', [2, 36, 5, 6]), v('w', [4, 2, 3, 3]), v('b', [4]), opts);
    assert.throws(() => emitModel(graphOf(y), { opset: 17 }), /DeformableConvolution.*opset 19/);
    // v1's lowering moves the offsets by constants of the spatial sizes.
    const ys = sym.contrib.DeformableConvolution(sym.var('x', { shape: [2, 4, 'H', 6] as never }), v('o', [2, 36, 5, 6]), v('w', [4, 2, 3, 3]), v('b', [4]), opts);
    assert.throws(() => emitModel(graphOf(ys)), /^OpError: DeformableConvolution: cannot lower v1's border rule with the symbolic size H = H/);
  });
});
