/**
 * Gemm fusion: a scale of a matrix product moves to its smaller operand, and
 * a product accumulated into a tensor of its shape (an optimizer's update of
 * a weight gradient) becomes one linalgGemm with alpha and beta; products
 * used twice, graph outputs and broadcasting accumulations stay. Results are
 * checked against the unfused graph and, for the momentum update, against a
 * float64 computation written out here.
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
});
