/**
 * Algebraic simplification: neutral elements, double negation, no-op casts,
 * broadcasts and reshapes, transpose and reshape chains, broadcasts that
 * an element-wise operator makes anyway; each rewrite keeps results.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { TRAINING } from '../../../compiler/passes/pass.js';
import { simplifyAlgebra } from '../../../compiler/passes/simplify-algebra.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { apply, dedent, evaluate, f32, konst, passKeepsResults, runPass } from './helpers.js';

describe('passes: simplify-algebra', () => {
  it('removes x*1, 1*x, x/1, x+(−0), (−0)+x, x-0, x**1, neg(neg(x)) and a same-dtype cast', () => {
    const x = Value.input('x', f32([2, 3]));
    let v = apply('mul', [x, konst([1])]);
    v = apply('mul', [konst([1, 1, 1]), v]);
    v = apply('div', [v, konst([1])]);
    v = apply('add', [v, konst([-0])]);
    v = apply('add', [konst([-0]), v]);
    v = apply('sub', [v, konst([0])]);
    v = apply('pow', [v, konst([1])]);
    v = apply('neg', [apply('neg', [v])]);
    v = apply('cast', [v], { dtype: 'float32' });
    const g = Graph.fromOutputs([x], { y: apply('relu', [v]) });
    const r = passKeepsResults(simplifyAlgebra, g, TRAINING, 'neutral elements');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[2, 3]) {
        %0: float32[2, 3] = relu(%x)
        return y=%0
      }`));
    assert.equal(runPass(simplifyAlgebra, r.graph, TRAINING).changed, false);
  });

  it('keeps a float x+0, 0+x and x−(−0), which turn a −0 into +0 (IEEE 754: −0 + 0 = +0), and removes an integer x+0', () => {
    const x = Value.input('x', f32([4]));
    const g = Graph.fromOutputs([x], {
      a: apply('reciprocal', [apply('add', [x, konst([0])])]),
      b: apply('reciprocal', [apply('add', [konst([0]), x])]),
      c: apply('reciprocal', [apply('sub', [x, konst([-0])])]),
    });
    const r = runPass(simplifyAlgebra, g, TRAINING);
    assert.equal(r.changed, false, r.text);
    // The reference is IEEE arithmetic itself: 1 / (−0 + 0) = +Infinity.
    const feeds = { x: tensorFromNumbers('float32', [4], [-0, 0, 2, -4]) };
    const got = evaluate(r.graph, feeds, { x: f32([4]) });
    const want = [-0, 0, 2, -4].map((v) => 1 / (v + 0));
    for (const k of ['a', 'b', 'c']) assert.deepEqual(got[k], want, k);
    const i = Value.input('i', { dtype: 'int32', shape: [3] });
    const ig = Graph.fromOutputs([i], { y: apply('neg', [apply('add', [i, konst([0], [], 'int32')])]) });
    assert.deepEqual(runPass(simplifyAlgebra, ig, TRAINING).graph.nodes.map((n) => n.op), ['neg']);
  });

  it('gathers constant factors only when their product is finite and not flushed to zero: k·(x·c) would make 0·Inf = NaN', () => {
    const x = Value.input('x', f32([3]));
    const big = apply('mul', [konst([3e38]), apply('mul', [x, konst([3e38])])]);
    const tiny = apply('mul', [konst([1e-30]), apply('mul', [x, konst([1e-30])])]);
    const r = runPass(simplifyAlgebra, Graph.fromOutputs([x], { big, tiny }), TRAINING);
    assert.equal(r.changed, false, r.text);
    // Reference: float32 arithmetic in the order written (Math.fround after each product).
    const xs = [0, 1e-30, 1e30];
    const got = evaluate(r.graph, { x: tensorFromNumbers('float32', [3], xs) }, { x: f32([3]) });
    const f = Math.fround;
    assert.deepEqual(got['big'], xs.map((v) => f(f(f(v) * f(3e38)) * f(3e38))));
    assert.deepEqual(got['tiny'], xs.map((v) => f(f(f(v) * f(1e-30)) * f(1e-30))));
  });

  it('keeps x*1 when the constant broadcasts x to a larger shape, and x*2', () => {
    const x = Value.input('x', f32([3]));
    const g = Graph.fromOutputs([x], { y: apply('mul', [x, konst([1, 1, 1, 1, 1, 1], [2, 3])]), z: apply('mul', [x, konst([2])]) });
    assert.equal(runPass(simplifyAlgebra, g, TRAINING).changed, false);
  });

  it('makes the softmax cross-entropy gradient softmax(x) − onehot: exp(logSoftmax) -> softmax, the sum of a scatter into zeros -> its updates, x·(−1) -> neg, a − neg(b) -> a + b', () => {
    const x = Value.input('x', f32([4, 3]));
    const label = Value.input('label', f32([4, 1]));
    // The gradient of −pick(logSoftmax(x), label) as the rules build it.
    const ls = apply('logSoftmax', [x], { axis: 1 });
    const g = konst([-1, -1, -1, -1], [4, 1]);
    const scattered = apply('scatterAdd', [apply('zerosLike', [x]), label, g], { axis: 1 });
    const rowSum = apply('sum', [scattered], { axis: 1, keepdims: true });
    const dx = apply('sub', [scattered, apply('mul', [apply('exp', [ls]), rowSum])]);
    const graph = Graph.fromOutputs([x, label], { dx, loss: ls });
    const r = passKeepsResults(simplifyAlgebra, graph, TRAINING, 'softmax cross-entropy gradient');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[4, 3], %label: float32[4, 1]) {
        const %c0: float32[4, 1] = [-1, -1, -1, -1]
        %1: float32[4, 3] = zerosLike(%x)
        %2: float32[4, 3] = scatterAdd(%1, %label, %c0) {axis: 1, mode: "clip"}
        %3: float32[4, 3] = softmax(%x) {axis: 1, dtype: null, temperature: null, useLength: false}
        %4: float32[4, 3] = add(%2, %3)
        %5: float32[4, 3] = logSoftmax(%x) {axis: 1, dtype: null, temperature: null}
        return dx=%4, loss=%5
      }`));
    // softmax(x) − onehot(label), independently: rows of exp(x)/Σexp(x) minus 1 at the (clipped) label.
    const xs = [[0, 0, 0], [1, 2, 3], [-1, 5, 0.5], [2, 2, -3]];
    const labels = [0, 2, 1, 7];
    const want = xs.flatMap((row, i) => {
      const e = row.map(Math.exp);
      const z = e.reduce((p, q) => p + q, 0);
      return e.map((v, j) => v / z - (j === Math.min(labels[i]!, 2) ? 1 : 0));
    });
    const feeds = { x: tensorFromNumbers('float32', [4, 3], xs.flat()), label: tensorFromNumbers('float32', [4, 1], labels) };
    const types = { x: f32([4, 3]), label: f32([4, 1]) };
    assertClose(evaluate(r.graph, feeds, types)['dx']!, want, 'softmax − onehot', 1e-5, 1e-6);
  });

  it('removes a sum over an axis of size 1 with keepdims (an identity)', () => {
    const x = Value.input('x', f32([4, 1, 3]));
    const r = passKeepsResults(simplifyAlgebra, Graph.fromOutputs([x], { y: apply('exp', [apply('sum', [x], { axis: 1, keepdims: true })]) }), TRAINING, 'unit sum');
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['exp']);
  });

  it('keeps a sum over another axis of a scatter, and a scatter into non-zero data', () => {
    const x = Value.input('x', f32([4, 3]));
    const label = Value.input('label', f32([4, 1]));
    const u = Value.input('u', f32([4, 1]));
    const other = apply('sum', [apply('scatterAdd', [apply('zerosLike', [x]), label, u], { axis: 1 })], { axis: 0, keepdims: true });
    const nonzero = apply('sum', [apply('scatterAdd', [x, label, u], { axis: 1 })], { axis: 1, keepdims: true });
    const r = runPass(simplifyAlgebra, Graph.fromOutputs([x, label, u], { other, nonzero }), TRAINING);
    assert.equal(r.changed, false, r.text);
  });

  it('turns a transpose that only moves axes of size 1 into a reshape, and keeps one that moves data', () => {
    const x = Value.input('x', f32(['N', 1, 4, 5]));
    const a = apply('transpose', [x], { axes: [1, 0, 2, 3] }); // [1, N, 4, 5]: the same elements in the same order
    const b = apply('transpose', [x], { axes: [0, 1, 3, 2] }); // swaps 4 and 5: a copy
    const y = Value.input('y', f32([2, 1, 3, 1]));
    const c = apply('transpose', [y], { axes: [3, 0, 2, 1] }); // [1, 2, 3, 1]
    const g = Graph.fromOutputs([x, y], { a, b, c });
    const r = passKeepsResults(simplifyAlgebra, g, TRAINING, 'unit-axis transposes');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[N, 1, 4, 5], %y: float32[2, 1, 3, 1]) {
        %0: float32[1, N, 4, 5] = reshape(%x) {reverse: false, shape: [1, -1, 4, 5]}
        %1: float32[N, 1, 5, 4] = transpose(%x) {axes: [0, 1, 3, 2]}
        %2: float32[1, 2, 3, 1] = reshape(%y) {reverse: false, shape: [1, 2, 3, 1]}
        return a=%0, b=%1, c=%2
      }`));
  });

  it('composes transposes (to none when they cancel) and collapses reshape chains', () => {
    const x = Value.input('x', f32(['N', 2, 3]));
    const t1 = apply('transpose', [x], { axes: [0, 2, 1] });
    const back = apply('transpose', [t1], { axes: [0, 2, 1] });
    const t2 = apply('transpose', [apply('transpose', [x], { axes: [1, 0, 2] })], { axes: [2, 1, 0] });
    const r1 = apply('reshape', [apply('flatten', [x])], { shape: [0, 3, 2] });
    const r2 = apply('reshape', [apply('reshape', [x], { shape: [-1] })], { shape: [-1, 6] });
    const g = Graph.fromOutputs([x], { a: apply('exp', [back]), b: t2, c: r1, d: r2 });
    const r = passKeepsResults(simplifyAlgebra, g, TRAINING, 'chains');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[N, 2, 3]) {
        %0: float32[N, 2, 3] = exp(%x)
        %1: float32[3, N, 2] = transpose(%x) {axes: [2, 0, 1]}
        %2: float32[N, 3, 2] = reshape(%x) {reverse: false, shape: [0, 3, 2]}
        %3: float32[N, 6] = reshape(%x) {reverse: false, shape: [0, 6]}
        return a=%0, b=%1, c=%2, d=%3
      }`));
  });

  it('removes broadcasts, reshapes and reductions that leave the type as it is, and bypasses broadcasts an operator makes anyway', () => {
    const x = Value.input('x', f32(['N', 3]));
    const s = Value.input('s', f32([1]));
    const same = apply('broadcastLike', [apply('reshape', [apply('sum', [x], { axis: 1, keepdims: false })], { shape: [-1, 1] }), apply('sum', [x], { axis: 1, keepdims: true })]);
    const bs = apply('broadcastTo', [s], { shape: [2, 3] });
    const y = apply('mul', [apply('broadcastLike', [x, x]), apply('mean', [same], { axis: 1, keepdims: true })]);
    const g = Graph.fromOutputs([x, s], { y, z: apply('add', [apply('expandDims', [apply('sum', [x], { axis: 0 })], { axis: 0 }), bs]) });
    const r = passKeepsResults(simplifyAlgebra, g, TRAINING, 'no-op shapes');
    assert.equal(r.changed, true);
    const ops = r.graph.nodes.map((n) => n.op);
    assert.ok(!ops.includes('broadcastLike') && !ops.includes('mean'), `no-op broadcastLike and mean are gone: ${ops.join(', ')}`);
    // The [1] input broadcasts in the add; broadcastTo [2, 3] stays because the add alone would give [1, 3].
    assert.ok(ops.includes('broadcastTo'), 'a broadcast that changes the result type stays');
  });

  it("gathers constant factors: a mean loss's gradient broadcastTo(c1)·0.5·(d·2), negated, becomes d·(−c1), one multiplication", () => {
    const label = Value.input('label', f32([2, 3, 4]));
    const out = Value.input('out', f32([2, 3, 4]));
    const d = apply('sub', [label, out]);
    const c1 = konst([1 / 24, 1 / 24], [2, 1, 1]);
    const g = apply('mul', [apply('mul', [apply('broadcastTo', [c1], { shape: [2, 3, 4] }), konst([0.5])]), apply('mul', [d, konst([2])])]);
    const graph = Graph.fromOutputs([label, out], { g: apply('neg', [g]) });
    const r = passKeepsResults(simplifyAlgebra, graph, TRAINING, 'constant factors');
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['sub', 'mul']);
    const k = r.graph.nodes[1]!.inputs[1]!;
    assert.equal(k.kind, 'const');
    assertClose(Array.from(k.data!.data as Float32Array), [-1 / 24, -1 / 24], 'the gathered factor', 1e-7, 0);
  });

  it('moves a one-element constant factor out of a sum or mean, and keeps a per-element one', () => {
    const x = Value.input('x', f32([2, 3]));
    const m = apply('mean', [apply('mul', [apply('square', [x]), konst([0.5])])], { axis: 1, keepdims: false });
    const s = apply('sum', [apply('mul', [konst([2, 3, 4]), x])], { axis: 0, keepdims: false });
    const r = passKeepsResults(simplifyAlgebra, Graph.fromOutputs([x], { m, s }), TRAINING, 'factor out of a reduction');
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['square', 'mean', 'mul', 'mul', 'sum']);
    assert.deepEqual(r.graph.nodes[2]!.inputs[0]!.type.shape, [2], 'the 0.5 multiplies the mean');
  });

  it('keeps constant factors where the product is used twice or a factor is not constant', () => {
    const x = Value.input('x', f32([3]));
    const s = Value.input('s', f32([1]));
    const xc = apply('mul', [x, konst([2])]);
    const shared = Graph.fromOutputs([x, s], { a: apply('mul', [konst([3]), xc]), b: xc, c: apply('neg', [apply('mul', [x, s])]) });
    const r = runPass(simplifyAlgebra, shared, TRAINING);
    assert.equal(r.changed, false);
  });

  it('removes an inactive Dropout (inference) and keeps an active one', () => {
    const x = Value.input('x', f32([4]));
    const off = Graph.fromOutputs([x], { y: apply('Dropout', [x], { p: 0.5, training: false }) });
    assert.equal(runPass(simplifyAlgebra, off, TRAINING).graph.nodes.length, 0);
    const on = Graph.fromOutputs([x], { y: apply('Dropout', [x], { p: 0.5, training: true, seed: 1 }) });
    assert.equal(runPass(simplifyAlgebra, on, TRAINING).changed, false);
  });
});
