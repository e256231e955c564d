/**
 * MXNet's contrib operators as GluonNLP's code calls them: `F.contrib`
 * (`nd.contrib`, `sym.contrib`, the `F` of hybridForward) and `npx` hold
 * arangeLike and divSqrtDim; broadcastAxis (alias broadcastAxes) is on `F`.
 * A block written that way exports with symbolic batch and sequence axes,
 * and the artifact equals the block at other lengths (float64 math written
 * here from MXNet's definitions as the reference); MXNet's symbol files name
 * them `_contrib_arange_like`, `_contrib_div_sqrt_dim`, `broadcast_axis`,
 * read back as the same graph. Bad arguments are errors naming the operator.
 * The values themselves are in the operator table (cases/contrib.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, nd, npx, sym } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';

/** GluonNLP's pattern: positions along the sequence (arange_like), scores scaled by 1/sqrt(d) (div_sqrt_dim), a position row broadcast over the batch (broadcast_axis). */
class Positions extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    const steps = F.contrib.arangeLike(x, { axis: 1 });
    const rows = F.broadcastAxis(F.expandDims(steps, 0), { axis: 0, size: 2 });
    return F.broadcastAdd(F.sum(F.contrib.divSqrtDim(x), { axis: 2 }), rows);
  }
}

/** The block's output in float64, from the definitions: sum_k x[n, t, k] / sqrt(C) + t. */
function reference(x: number[], n: number, t: number, c: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < t; j++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += x[(i * t + j) * c + k]! / Math.sqrt(c);
    out.push(s + j);
  }
  return out;
}

describe('contrib operators (arangeLike, divSqrtDim) and broadcastAxis', () => {
  let dir = '';
  before(() => (dir = mkdtempSync(join(tmpdir(), 'gluonc-contrib-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('F.contrib holds arangeLike and divSqrtDim on nd, sym and npx, the same functions as the flat ones', () => {
    const x = nd.array([[1, 4], [9, 16], [25, 36]]);
    assert.deepEqual(nd.contrib.arangeLike(x).toArray(), [[0, 1], [2, 3], [4, 5]]);
    assert.deepEqual(npx.arangeLike(x, { axis: 0, start: 1 }).toArray(), [1, 2, 3]);
    assertClose(tensorToNumbers(nd.contrib.divSqrtDim(nd.array([[2, 4]]))._host), [Math.SQRT2, 2 * Math.SQRT2], 'divSqrtDim');
    assert.equal(typeof sym.contrib.arangeLike, 'function');
    assert.equal(typeof sym.contrib.divSqrtDim, 'function');
    assert.deepEqual(nd.broadcastAxes(nd.array([[7]]), { axis: [0, 1], size: [2, 2] }).toArray(), [[7, 7], [7, 7]]);
  });

  for (const hybrid of [false, true]) {
    it(`a block written with them equals the definitions (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const net = new Positions();
      if (hybrid) net.hybridize();
      const v = Array.from({ length: 2 * 5 * 4 }, (_x, i) => Math.sin(i) * 3);
      const y = net.call(nd.array(v, { shape: [2, 5, 4] })) as nd.NDArray;
      assertClose(tensorToNumbers(y._host), reference(v, 2, 5, 4), 'output', 1e-5, 1e-6);
    });
  }

  it("float64 divSqrtDim before a matrix product keeps float64 precision hybridized (onnxruntime's MatMulScaleFusion would fold its scale into a float32 alpha)", () => {
    class Attention extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, q: gluon.Tensor, k: gluon.Tensor): gluon.Tensor {
        return F.batchDot(F.contrib.divSqrtDim(q), k, { transposeB: true });
      }
    }
    const [q, k] = [1.3, 0.7].map((f) => nd.array(Array.from({ length: 2 * 5 * 8 }, (_v, i) => Math.sin(i * f)), { shape: [2, 5, 8], dtype: 'float64' }));
    const net = new Attention();
    net.hybridize();
    const got = tensorToNumbers((net.call(q!, k!) as nd.NDArray)._host);
    // float64 reference: (q / sqrt(8)) · kᵀ per batch.
    const qv = tensorToNumbers(q!._host);
    const kv = tensorToNumbers(k!._host);
    const want: number[] = [];
    for (let b = 0; b < 2; b++) for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let d = 0; d < 8; d++) s += (qv[(b * 5 + i) * 8 + d]! / Math.sqrt(8)) * kv[(b * 5 + j) * 8 + d]!;
      want.push(s);
    }
    assertClose(got, want, 'float64 scores', 1e-13, 1e-15);
  });

  it('exported with a symbolic sequence axis, the artifact equals the definitions at other lengths', async () => {
    const net = new Positions();
    const file = join(dir, 'positions.onnx');
    net.export(file, { inputs: { data: { shape: [2, 'T', 4], dtype: 'float32' } } });
    const model = await loadModel(file);
    for (const t of [1, 3, 7]) {
      const v = Array.from({ length: 2 * t * 4 }, (_x, i) => Math.cos(i));
      const out = await model.run({ data: tensorFromNumbers('float32', [2, t, 4], v) });
      const y = Object.values(out)[0]!;
      assert.deepEqual(y.shape, [2, t]);
      assertClose(tensorToNumbers(y), reference(v, 2, t, 4), `T = ${t}`, 1e-5, 1e-6);
    }
  });

  it("MXNet's symbol files name them _contrib_arange_like, _contrib_div_sqrt_dim and broadcast_axis, read back alike", () => {
    const net = new Positions();
    net.hybridize();
    const x = nd.array(Array.from({ length: 24 }, (_v, i) => i / 7), { shape: [2, 3, 4] });
    const want = tensorToNumbers((net.call(x) as nd.NDArray)._host);
    const { paths } = net.export(join(dir, 'positions'), { format: 'mxnet' });
    const json = readFileSync(paths.find((p: string) => p.endsWith('-symbol.json'))!, 'utf8');
    for (const op of ['_contrib_arange_like', '_contrib_div_sqrt_dim', 'broadcast_axis']) assert.ok(json.includes(`"op": "${op}"`) || json.includes(`"op":"${op}"`), `${op} in ${json}`);
    const back = gluon.SymbolBlock.imports(paths.find((p: string) => p.endsWith('-symbol.json'))!, ['data']);
    assertClose(tensorToNumbers((back.call(x) as nd.NDArray)._host), want, 'read back');
  });

  it('bad arguments are errors naming the operator and what is wrong', () => {
    assert.throws(() => nd.broadcastAxis(nd.ones([2, 3]), { axis: 1, size: 4 }), /broadcastAxis.*\[2, 3\] along axis 1: its size is 3, not 1/);
    assert.throws(() => nd.broadcastAxis(nd.ones([2, 1]), { axis: [1], size: [2, 3] }), /broadcastAxis.*differ in length/);
    assert.throws(() => nd.contrib.arangeLike(nd.ones([2]), { repeat: 0 }), /arangeLike.*repeat must be a positive integer, got 0/);
    assert.throws(() => nd.contrib.arangeLike(nd.ones([2]), { axis: 3 }), /arangeLike.*axis 3/);
    assert.throws(() => nd.contrib.divSqrtDim(nd.ones([2], { dtype: 'int32' })), /divSqrtDim.*float tensor, got int32/);
  });
});
