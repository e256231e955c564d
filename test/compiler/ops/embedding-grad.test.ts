/**
 * The gradients of Embedding, take and pick are scatter-adds: the gradient
 * graph of a word-level embedding (vocabulary 32,000, 64 x 128 tokens) holds
 * no one-hot matrix and no value of tokens x vocabulary elements, lowers to
 * ScatterElements (onnxruntime's ScatterND with reduction='add' lost sums of
 * repeated rows on its threads, a different answer each run), and its values
 * are the rows of the output gradient summed per token (written out here). Gradients with repeated indices match central
 * finite differences of the forward operators, eagerly and hybridized.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, sym } from 'gluonc';
import { gradients } from '../../../compiler/autodiff/reverse.js';
import { compileGraph } from '../../../compiler/compile.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { ops as ndOps } from '../../../compiler/engine/nd.js';
import { Graph } from '../../../compiler/ir/graph.js';
import { graphOf, Symbol } from '../../../compiler/trace/symbol.js';
import { sizeOf, tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';

const F = ndOps as unknown as gluon.F;

describe('Embedding/take/pick gradients by scatter-add', () => {
  it('a 32,000-word embedding gradient graph has no one-hot and nothing of tokens x vocabulary elements', function () {
    this.timeout(120000);
    const [B, T, V, D] = [64, 128, 32000, 64];
    const tokens = sym.var('tokens', { shape: [B, T], dtype: 'int32' });
    const w = sym.var('w', { shape: [V, D] });
    const head = sym.var('head', { shape: [B, T, D] });
    const y = sym.Embedding(tokens, w, { inputDim: V, outputDim: D });
    const [dw] = gradients([y.value], [w.value], [head.value]);
    const g = graphOf(new Symbol(dw!));
    const ops = g.nodes.map((n) => n.op);
    assert.ok(!ops.includes('oneHot') && !ops.includes('einsum'), `gradient graph ops: ${ops.join(', ')}`);
    assert.ok(ops.includes('indexAdd'), `gradient graph ops: ${ops.join(', ')}`);
    const limit = Math.max(V * D, B * T * D);
    for (const n of g.nodes) {
      for (const o of n.outputs) {
        const size = sizeOf(o.type.shape as number[]);
        assert.ok(size <= limit, `${n.op} makes ${size} elements (${o.type.shape}), more than max(V·D, tokens·D) = ${limit}`);
      }
    }
    // Compiled: ScatterElements (onnxruntime's ScatterND add races on repeated rows), no OneHot; the values are per-token sums of the head's rows.
    // On two threads, which a race needs (the suite's sessions default to one: test/helpers/one-thread.ts).
    const run = compileGraph(g as Graph, {}, { threads: 2 });
    const onnx = Buffer.from(run.bytes).toString('latin1');
    assert.ok(onnx.includes('ScatterElements') && !onnx.includes('ScatterND') && !onnx.includes('OneHot'));
    const ids = Array.from({ length: B * T }, (_v, i) => (i * 7919) % 50 === 0 ? 31999 : (i * 31) % 97); // many repeats, and the last row
    const hv = Float32Array.from({ length: B * T * D }, (_v, i) => ((i % 13) - 6) / 8);
    const out = run({ tokens: tensorFromNumbers('int32', [B, T], ids), head: { dtype: 'float32', shape: [B, T, D], data: hv }, w: nd.zeros([V, D])._host });
    const got = out['output0']!;
    assert.deepEqual(got.shape, [V, D]);
    const want = new Float64Array(V * D);
    ids.forEach((r, i) => {
      for (let k = 0; k < D; k++) want[r * D + k]! += hv[i * D + k]!;
    });
    const gv = got.data as Float32Array;
    for (let i = 0; i < want.length; i++) if (Math.abs(gv[i]! - want[i]!) > 1e-4) assert.fail(`dw[${Math.floor(i / D)}, ${i % D}] = ${gv[i]}, expected ${want[i]}`);
  });

  for (const opset of [13, 15, 16]) {
    it(`opset ${opset}: indexAdd (axis 1, repeated and out-of-range indices) sums the update rows${opset < 16 ? ' through a one-hot product (no scatter reduction before 16)' : ''}`, () => {
      const [A, V, D, K] = [2, 5, 3, 4];
      const y = sym.indexAdd(sym.var('w', { shape: [A, V, D] }), sym.var('i', { shape: [K], dtype: 'int32' }), sym.var('u', { shape: [A, K, D] }), { axis: 1 });
      const run = compileGraph(graphOf(y), {}, { opset });
      const onnx = Buffer.from(run.bytes).toString('latin1');
      assert.equal(onnx.includes('ScatterElements'), opset >= 16);
      const ids = [1, 4, 1, 9]; // 9 is clipped to 4
      const wv = Array.from({ length: A * V * D }, (_v, i) => i / 10);
      const uv = Array.from({ length: A * K * D }, (_v, i) => ((i % 7) - 3) / 4);
      const out = Object.values(run({ w: tensorFromNumbers('float32', [A, V, D], wv), i: tensorFromNumbers('int32', [K], ids), u: tensorFromNumbers('float32', [A, K, D], uv) }))[0]!;
      const want = wv.slice();
      for (let a = 0; a < A; a++) for (let k = 0; k < K; k++) for (let d = 0; d < D; d++) want[(a * V + Math.min(ids[k]!, V - 1)) * D + d]! += uv[(a * K + k) * D + d]!;
      assert.deepEqual(out.shape, [A, V, D]);
      tensorToNumbers(out).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `opset ${opset}: out[${i}] = ${v}, expected ${want[i]}`));
    });
  }

  /** Central finite differences of sum(op(w) * head) in w, element by element (the loss is linear: exact). */
  function finiteDifferences(f: (w: NDArray) => NDArray, w0: number[], shape: number[], head: NDArray): number[] {
    const eps = 1e-3;
    return w0.map((_v, i) => {
      const at = (d: number) => {
        const w = w0.slice();
        w[i] = w[i]! + d;
        return tensorToNumbers(ndOps.sum(ndOps.mul(f(nd.array(w, { shape, dtype: 'float64' })), head))._host)[0]!;
      };
      return (at(eps) - at(-eps)) / (2 * eps);
    });
  }

  const cases: { name: string; shape: number[]; f: (w: gluon.Tensor, Fx: gluon.F) => gluon.Tensor; outShape: number[] }[] = [
    { name: 'Embedding, repeated and out-of-range tokens', shape: [6, 3], outShape: [2, 4, 3], f: (w, Fx) => Fx.Embedding(Fx.cast(nd.array([[0, 2, 2, 5], [0, 2, 9, -3]]) as never, 'int32'), w, { inputDim: 6, outputDim: 3 }) },
    { name: 'take axis 1, repeated indices, wrap', shape: [2, 5, 2], outShape: [2, 6, 2], f: (w, Fx) => Fx.take(w, nd.array([1, 1, 4, -1, 6, 1]) as never, { axis: 1, mode: 'wrap' }) },
    { name: 'pick, ties in the index', shape: [4, 3], outShape: [4], f: (w, Fx) => Fx.pick(w, nd.array([2, 2, 0, 2]) as never) },
  ];

  for (const c of cases) {
    it(`${c.name}: eager and hybridized gradients match finite differences`, () => {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const w0 = Array.from({ length: n }, (_v, i) => Math.sin(i + 1));
      const head = nd.array(Array.from({ length: c.outShape.reduce((a, b) => a * b, 1) }, (_v, i) => Math.cos(3 * i) + 0.1), { shape: c.outShape, dtype: 'float64' });
      const fd = finiteDifferences((w) => c.f(w as never, F) as never, w0, c.shape, head);
      // Eager tape.
      const w = nd.array(w0, { shape: c.shape, dtype: 'float64' });
      w.attachGrad();
      const loss = autograd.record(() => F.sum(F.mul(c.f(w as never, F), head as never))) as unknown as NDArray;
      loss.backward();
      const eager = tensorToNumbers(w.grad!._host);
      // Gradient graph (F = sym).
      const ws = sym.var('w', { shape: c.shape, dtype: 'float64' });
      const hs = sym.var('h', { shape: c.outShape, dtype: 'float64' });
      const S = sym as unknown as gluon.F;
      const l = S.sum(S.mul(c.f(ws as never, S), hs as never)) as unknown as Symbol;
      const [dw] = gradients([l.value], [ws.value], [(sym.ones([], { dtype: 'float64' }) as unknown as Symbol).value]);
      const compiled = tensorToNumbers(((new Symbol(dw!)).eval({ w, h: head }) as NDArray)._host);
      for (const [name, got] of [['eager', eager], ['compiled', compiled]] as const) {
        got.forEach((v, i) => assert.ok(Math.abs(v - fd[i]!) < 1e-6, `${c.name} ${name}: d/dw[${i}] = ${v}, finite differences ${fd[i]}`));
      }
      // Repeated indices really accumulate (more than one contribution somewhere).
      assert.ok(fd.some((v) => Math.abs(v) > 1.5 * Math.max(...tensorToNumbers(head._host).map(Math.abs))) || c.name.startsWith('pick'));
    });
  }
});
