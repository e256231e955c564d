/**
 * Gemm fusion: a scale of a matrix product moves to its smaller operand, and
 * a product accumulated into a tensor of its shape (an optimizer's update of
 * a weight gradient) becomes one linalgGemm with alpha and beta; products
 * used twice, graph outputs and broadcasting accumulations stay. A column sum
 * (a bias gradient) accumulated the same way becomes a linalgGemm with a row
 * of ones. Results are checked against the unfused graph and, for the
 * momentum updates, against float64 computations written out here.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { fuseGemm } from '../../../compiler/passes/fuse-gemm.js';
import { TRAINING } from '../../../compiler/passes/pass.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { apply, dedent, evaluate, f32, konst, passKeepsResults, runPass, values } from './helpers.js';

describe('passes: fuse-gemm', () => {
  it("fuses SGD momentum's m·0.9 − (dYᵀ·X)·s into one linalgGemm, the scale on dY (the smaller operand)", () => {
    const dy = Value.input('dy', f32([4, 3]));
    const x = Value.input('x', f32([4, 5]));
    const m = Value.input('m', f32([3, 5]));
    const s = Value.input('s', f32([]));
    const grad = apply('dot', [dy, x], { transposeA: true });
    const upd = apply('sub', [apply('mul', [m, konst([0.9])]), apply('mul', [grad, s])]);
    const g = Graph.fromOutputs([dy, x, m, s], { m1: upd });
    const r = passKeepsResults(fuseGemm, g, TRAINING, 'momentum');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%dy: float32[4, 3], %x: float32[4, 5], %m: float32[3, 5], %s: float32[]) {
        %0: float32[4, 3] = mul(%dy, %s)
        %1: float32[3, 5] = linalgGemm(%0, %x, %m) {alpha: -1, beta: ${Math.fround(0.9)}, transposeA: true, transposeB: false}
        return m1=%1
      }`));
    assert.equal(runPass(fuseGemm, r.graph, TRAINING).changed, false);
    // Against float64 arithmetic written out: m1[i][j] = 0.9·m[i][j] − s·Σ_n dy[n][i]·x[n][j].
    const [dv, xv, mv] = [values(12, 3), values(20, 4), values(15, 5)];
    const feeds = {
      dy: tensorFromNumbers('float32', [4, 3], dv),
      x: tensorFromNumbers('float32', [4, 5], xv),
      m: tensorFromNumbers('float32', [3, 5], mv),
      s: tensorFromNumbers('float32', [], [0.0625]),
    };
    const types = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape] }]));
    const f = (v: number) => Math.fround(v);
    const want = Array.from({ length: 15 }, (_v, k) => {
      const [i, j] = [Math.floor(k / 5), k % 5];
      let acc = 0;
      for (let n = 0; n < 4; n++) acc += f(dv[n * 3 + i]!) * f(xv[n * 5 + j]!);
      return 0.9 * f(mv[k]!) - 0.0625 * acc;
    });
    assertClose(evaluate(r.graph, feeds, types)['m1']!, want, 'fused momentum update against float64', 1e-5, 1e-6);
  });

  it('takes the forms w + dot, dot − C, −dot, dot·constant, and plain SGD w − dot·s', () => {
    const a = Value.input('a', f32([2, 3]));
    const b = Value.input('b', f32([3, 4]));
    const c = Value.input('c', f32([2, 4]));
    const s = Value.input('s', f32([1]));
    const dot = () => apply('dot', [a, b]);
    const g = Graph.fromOutputs([a, b, c, s], {
      p: apply('add', [c, dot()]),
      q: apply('sub', [apply('mul', [dot(), konst([2])]), apply('mul', [konst([0.5]), c])]),
      r: apply('add', [apply('neg', [dot()]), c]),
      sgd: apply('sub', [c, apply('mul', [s, dot()])]),
    });
    const r = passKeepsResults(fuseGemm, g, TRAINING, 'forms');
    const gemms = r.graph.nodes.filter((n) => n.op === 'linalgGemm').map((n) => [n.attrs['alpha'], n.attrs['beta']]);
    assert.deepEqual(gemms, [[1, 1], [2, -0.5], [-1, 1], [-1, 1]]);
    assert.ok(!r.graph.nodes.some((n) => n.op === 'add' || n.op === 'sub' || n.op === 'neg'), r.text);
  });

  it('keeps a zero factor out of Gemm: C·0 + dot (beta 0) and dot·0 + C (alpha 0), as BLAS then skips C or A·B and drops their Inf/NaN', () => {
    const a = Value.input('a', f32([2, 2]));
    const b = Value.input('b', f32([2, 2]));
    const c = Value.input('c', f32([2, 2]));
    const g = Graph.fromOutputs([a, b, c], {
      beta0: apply('add', [apply('dot', [a, b]), apply('mul', [c, konst([0])])]),
      alpha0: apply('add', [apply('mul', [apply('dot', [b, a]), konst([0])]), c]),
      col0: apply('sub', [apply('sum', [c], { axis: 0 }), apply('mul', [apply('sum', [a], { axis: 0 }), konst([0])])]),
    });
    const r = runPass(fuseGemm, g, TRAINING);
    assert.ok(!r.graph.nodes.some((n) => n.op === 'linalgGemm' && (n.attrs['alpha'] === 0 || n.attrs['beta'] === 0)), r.text);
    // IEEE reference: Inf·0 = NaN, NaN·0 = NaN, and NaN/Inf propagate through the sums.
    const A = [1, 2, 3, Infinity];
    const B = [1, 0, 0, 1];
    const C = [Infinity, NaN, 1, -Infinity];
    const matmul = (p: number[], q: number[]) => [0, 1, 2, 3].map((e) => p[2 * (e >> 1)]! * q[e & 1]! + p[2 * (e >> 1) + 1]! * q[2 + (e & 1)]!);
    const got = evaluate(r.graph, { a: tensorFromNumbers('float32', [2, 2], A), b: tensorFromNumbers('float32', [2, 2], B), c: tensorFromNumbers('float32', [2, 2], C) }, { a: f32([2, 2]), b: f32([2, 2]), c: f32([2, 2]) });
    assert.deepEqual(got['beta0'], matmul(A, B).map((v, i) => v + C[i]! * 0));
    assert.deepEqual(got['alpha0'], matmul(B, A).map((v, i) => v * 0 + C[i]!));
    assert.deepEqual(got['col0'], [0, 1].map((j) => C[j]! + C[2 + j]! - (A[j]! + A[2 + j]!) * 0));
  });

  it('leaves a product used twice, a product that is an output, a broadcasting accumulation and integer products alone', () => {
    const a = Value.input('a', f32([2, 3]));
    const b = Value.input('b', f32([3, 4]));
    const c = Value.input('c', f32([2, 4]));
    const row = Value.input('row', f32([4]));
    const twice = apply('dot', [a, b]);
    const out = apply('dot', [a, apply('neg', [b])]);
    const ia = Value.input('ia', { dtype: 'int32', shape: [2, 3] });
    const ib = Value.input('ib', { dtype: 'int32', shape: [3, 4] });
    const ic = Value.input('ic', { dtype: 'int32', shape: [2, 4] });
    const g = Graph.fromOutputs([a, b, c, row, ia, ib, ic], {
      u: apply('add', [c, twice]),
      v: apply('exp', [twice]),
      w: apply('add', [c, out]),
      out,
      bcast: apply('add', [apply('dot', [apply('exp', [a]), b]), row]),
      int: apply('add', [ic, apply('dot', [ia, ib])]),
    });
    const r = runPass(fuseGemm, g, TRAINING);
    assert.equal(r.changed, false, r.text);
  });

  it("fuses a bias's momentum update b·0.9 − sum(dY, axis 0)·s into one linalgGemm over a row of ones (the scale on the ones)", () => {
    const dy = Value.input('dy', f32([4, 3]));
    const b = Value.input('b', f32([3]));
    const s = Value.input('s', f32([]));
    const upd = apply('sub', [apply('mul', [b, konst([0.9])]), apply('mul', [apply('sum', [dy], { axis: 0 }), s])]);
    const g = Graph.fromOutputs([dy, b, s], { b1: upd });
    const r = passKeepsResults(fuseGemm, g, TRAINING, 'bias momentum');
    assert.equal(r.changed, true);
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['mul', 'reshape', 'linalgGemm', 'reshape'], r.text);
    const gemm = r.graph.nodes.find((n) => n.op === 'linalgGemm')!;
    assert.deepEqual([gemm.attrs['alpha'], gemm.attrs['beta']], [-1, Math.fround(0.9)]);
    assert.deepEqual(gemm.inputs[0]!.type.shape, [1, 4]);
    assert.equal(runPass(fuseGemm, r.graph, TRAINING).changed, false);
    // Against float64 arithmetic written out: b1[j] = 0.9·b[j] − s·Σ_n dy[n][j]; a tie of opposite deltas (column 2 sums to 0).
    const dv = [0.5, -1.25, 3, 2, 0.75, -3, -0.125, 4, 1.5, 1, -2, -1.5];
    const bv = [0.25, -0.5, 2];
    const feeds = {
      dy: tensorFromNumbers('float32', [4, 3], dv),
      b: tensorFromNumbers('float32', [3], bv),
      s: tensorFromNumbers('float32', [], [0.1]),
    };
    const types = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape] }]));
    const want = bv.map((v, j) => 0.9 * v - Math.fround(0.1) * [0, 1, 2, 3].reduce((a, n) => a + dv[n * 3 + j]!, 0));
    assertClose(evaluate(r.graph, feeds, types)['b1']!, want, 'fused bias update against float64', 1e-6, 1e-7);
  });

  it('takes a kept dimension (no reshape), a negated or constant-scaled column sum, and shares one row of ones per scale', () => {
    const a = Value.input('a', f32([5, 3]));
    const a2 = Value.input('a2', f32([5, 3]));
    const c = Value.input('c', f32([3]));
    const k = Value.input('k', f32([1, 3]));
    const s = Value.input('s', f32([1]));
    const g = Graph.fromOutputs([a, a2, c, k, s], {
      kept: apply('add', [k, apply('sum', [a], { axis: 0, keepdims: true })]),
      neg: apply('add', [apply('neg', [apply('sum', [a], { axis: -2 })]), c]),
      twice: apply('sub', [apply('mul', [apply('sum', [a2], { axis: 0 }), konst([2])]), c]),
      s1: apply('sub', [c, apply('mul', [s, apply('sum', [a], { axis: 0 })])]),
      s2: apply('add', [apply('mul', [apply('sum', [a2], { axis: 0 }), s]), k]),
    });
    const r = passKeepsResults(fuseGemm, g, TRAINING, 'column-sum forms');
    const gemms = r.graph.nodes.filter((n) => n.op === 'linalgGemm').map((n) => [n.attrs['alpha'], n.attrs['beta']]);
    assert.deepEqual(gemms, [[1, 1], [-1, 1], [2, -1], [-1, 1], [1, 1]]);
    assert.ok(!r.graph.nodes.some((n) => ['sum', 'add', 'sub', 'neg'].includes(n.op)), r.text);
    // The two sums scaled by s share one ones·s; 'kept' and 's2' are [1, 3] (no reshape), the other three
    // [3]: a reshape in and one out each.
    assert.equal(r.graph.nodes.filter((n) => n.op === 'mul').length, 1, r.text);
    assert.equal(r.graph.nodes.filter((n) => n.op === 'reshape').length, 2 * 3, r.text);
  });

  it('leaves sums over other axes, sums used twice or output, unknown row counts and integer sums alone', () => {
    const a = Value.input('a', f32([4, 3]));
    const sq = Value.input('sq', f32([3, 3]));
    const c = Value.input('c', f32([3]));
    const n = Value.input('n', f32(['N', 3]));
    const ia = Value.input('ia', { dtype: 'int32', shape: [4, 3] });
    const ic = Value.input('ic', { dtype: 'int32', shape: [3] });
    const twice = apply('sum', [a], { axis: 0 });
    const out = apply('sum', [apply('exp', [a])], { axis: 0 });
    const g = Graph.fromOutputs([a, sq, c, n, ia, ic], {
      rows: apply('add', [c, apply('sum', [sq], { axis: 1 })]),
      all: apply('add', [konst([1], []), apply('sum', [a])]),
      u: apply('add', [c, twice]),
      v: apply('mul', [twice, c]),
      symbolic: apply('add', [c, apply('sum', [n], { axis: 0 })]),
      int: apply('add', [ic, apply('sum', [ia], { axis: 0 })]),
      o: apply('add', [c, out]),
      out,
    });
    const r = runPass(fuseGemm, g, TRAINING);
    assert.equal(r.changed, false, r.text);
  });
});
