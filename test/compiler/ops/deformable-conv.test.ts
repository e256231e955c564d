/**
 * ModulatedDeformableConvolution (compiler/ops/deformable-conv.ts) from the
 * user's side: `nd.contrib` and `F.contrib` in a HybridBlock agree (eager,
 * hybridized, MXNet's positional order), `sym.contrib` infers the shape,
 * MXNet's symbol file (`_contrib_ModulatedDeformableConvolution`) is written
 * and read back, float16 runs in float32, and bad shapes or an opset below
 * DeformConv's 19 are Errors naming the operator. The numbers against a
 * numpy reference and the gradients against finite differences are the
 * operator table's (cases/deformable-conv.ts); the kinks against PyTorch
 * are test/compiler/onnx/import-deform-conv.test.ts's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, nd, sym } from 'gluonc';
import { emitModel } from '../../../compiler/onnx/emit.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import { assertClose } from '../../helpers/compare.js';

type Opts = Record<string, unknown>;
const wave = (n: number, k = 1): number[] => Array.from({ length: n }, (_v, i) => Math.sin(i * 0.37 * k + k));

class Deform extends gluon.HybridBlock {
  constructor(private readonly args: unknown[]) {
    super();
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, off: gluon.Tensor, mask: gluon.Tensor, w: gluon.Tensor, b: gluon.Tensor): gluon.Tensor {
    return F.contrib.ModulatedDeformableConvolution(x, off, mask, w, b, ...(this.args as [Opts]));
  }
}

/** data [2, 4, 5, 6], 3x3 kernel, pad 1, two deformable groups, two groups, 4 filters: offset [2, 36, 5, 6], mask [2, 18, 5, 6]. */
function inputs(dtype: 'float32' | 'float16' = 'float32'): nd.NDArray[] {
  const shapes = [[2, 4, 5, 6], [2, 36, 5, 6], [2, 18, 5, 6], [4, 2, 3, 3], [4]];
  return shapes.map((s, i) => nd.array(wave(s.reduce((p, q) => p * q), i + 1).map((v) => (i === 1 ? 2.5 * v : i === 2 ? 0.5 + 0.5 * v : v)), { shape: s, dtype }));
}
const OPTS = { kernel: [3, 3], pad: [1, 1], numFilter: 4, numGroup: 2, numDeformableGroup: 2 };

describe("ModulatedDeformableConvolution: MXNet's contrib.ModulatedDeformableConvolution", function () {
  this.timeout(120_000);

  it('nd.contrib and F.contrib (eager and hybridized) agree, options or MXNet\'s positional order; sym.contrib infers the shape', () => {
    const xs = inputs();
    const want = nd.contrib.ModulatedDeformableConvolution(...(xs as [nd.NDArray, nd.NDArray, nd.NDArray, nd.NDArray, nd.NDArray]), OPTS);
    assert.deepEqual(want.shape, [2, 4, 5, 6]);
    // kernel, stride, dilate, pad, numFilter, numGroup, numDeformableGroup
    for (const args of [[OPTS], [[3, 3], [1, 1], [1, 1], [1, 1], 4, 2, 2]]) {
      for (const hybrid of [false, true]) {
        const net = new Deform(args);
        if (hybrid) net.hybridize();
        assertClose((net.call(...xs) as nd.NDArray).data() as Float32Array, Array.from(want.data() as Float32Array), `${hybrid ? 'hybridized' : 'eager'} ${args.length > 1 ? 'positional' : 'options'}`);
      }
    }
    const v = (n: string, s: number[]) => sym.var(n, { shape: s });
    const s = sym.contrib.ModulatedDeformableConvolution(v('x', [2, 4, 7, 6]), v('o', [2, 18, 3, 2]), v('m', [2, 9, 3, 2]), v('w', [5, 4, 3, 3]), { kernel: [3, 3], stride: [2, 2], pad: [0, 0], numFilter: 5, noBias: true });
    assert.deepEqual(s.shape, [2, 5, 3, 2]);
  });

  it("export({ format: 'mxnet' }) writes MXNet's _contrib_ModulatedDeformableConvolution; SymbolBlock.imports reads it back", () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-deform-'));
    try {
      const xs = inputs();
      const net = new Deform([OPTS]);
      net.hybridize();
      const want = net.call(...xs) as nd.NDArray;
      const { symbolFile, paramsFile } = net.export(join(dir, 'deform'), { format: 'mxnet' });
      const node = (JSON.parse(readFileSync(symbolFile, 'utf8')) as { nodes: { op: string; attrs?: Record<string, string> }[] }).nodes.find((n) => n.op !== 'null')!;
      assert.equal(node.op, '_contrib_ModulatedDeformableConvolution');
      assert.equal(node.attrs!['num_deformable_group'], '2');
      assert.equal(node.attrs!['kernel'], '(3, 3)');
      assert.ok(!('cudnn_off' in node.attrs!), 'no cuDNN options (MXNet\'s operator takes none)');
      const back = gluon.SymbolBlock.imports(symbolFile, ['data0', 'data1', 'data2', 'data3', 'data4'], paramsFile);
      assertClose((back.call(...xs) as nd.NDArray).data() as Float32Array, Array.from(want.data() as Float32Array), 'read back', 0, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('float16 runs in float32', () => {
    const y = nd.contrib.ModulatedDeformableConvolution(...(inputs('float16') as [nd.NDArray, nd.NDArray, nd.NDArray, nd.NDArray, nd.NDArray]), OPTS);
    const want = nd.contrib.ModulatedDeformableConvolution(...(inputs('float16').map((a) => a.astype('float32')) as [nd.NDArray, nd.NDArray, nd.NDArray, nd.NDArray, nd.NDArray]), OPTS);
    assert.equal(y.dtype, 'float16');
    assertClose(Array.from(y.astype('float32').data() as Float32Array), Array.from(want.data() as Float32Array), 'float16', 2e-3, 2e-3);
  });

  it('bad shapes and options, and an opset below 19, are Errors naming the operator', () => {
    const [x, off, mask, w, b] = inputs() as [nd.NDArray, nd.NDArray, nd.NDArray, nd.NDArray, nd.NDArray];
    const f = nd.contrib.ModulatedDeformableConvolution;
    assert.throws(() => f(x, off, mask, w, b, { ...OPTS, numDeformableGroup: 1 }), /^OpError: ModulatedDeformableConvolution: offset shape \[2, 36, 5, 6\] must be \[2, 18, 5, 6\]/);
    assert.throws(() => f(x, off, nd.zeros([2, 9, 5, 6]), w, b, OPTS), /ModulatedDeformableConvolution: mask shape \[2, 9, 5, 6\] must be \[2, 18, 5, 6\]/);
    assert.throws(() => f(x, off, mask, w, b, { ...OPTS, numDeformableGroup: 3 }), /ModulatedDeformableConvolution: data channels 4 are not divisible by numDeformableGroup 3/);
    assert.throws(() => f(nd.zeros([2, 4, 5]), off, mask, w, b, OPTS), /ModulatedDeformableConvolution: needs 2-D data \[N, C, H, W\], got shape \[2, 4, 5\]/);
    assert.throws(() => f(x, off, mask, w, b, { ...OPTS, cudnnOff: true } as never), /ModulatedDeformableConvolution.*cudnnOff/);
    const v = (n: string, s: number[]) => sym.var(n, { shape: s });
    const y = sym.contrib.ModulatedDeformableConvolution(v('x', [2, 4, 5, 6]), v('o', [2, 36, 5, 6]), v('m', [2, 18, 5, 6]), v('w', [4, 2, 3, 3]), v('b', [4]), OPTS);
    assert.throws(() => emitModel(graphOf(y), { opset: 17 }), /ModulatedDeformableConvolution.*opset 19/);
  });
});
