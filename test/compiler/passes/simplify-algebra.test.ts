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
import { apply, dedent, f32, konst, passKeepsResults, runPass } from './helpers.js';

describe('passes: simplify-algebra', () => {
  it('removes x*1, 1*x, x/1, x+0, 0+x, x-0, x**1, neg(neg(x)) and a same-dtype cast', () => {
    const x = Value.input('x', f32([2, 3]));
    let v = apply('mul', [x, konst([1])]);
    v = apply('mul', [konst([1, 1, 1]), v]);
    v = apply('div', [v, konst([1])]);
    v = apply('add', [v, konst([0])]);
    v = apply('add', [konst([0]), v]);
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

  it('keeps x*1 when the constant broadcasts x to a larger shape, and x*2', () => {
    const x = Value.input('x', f32([3]));
    const g = Graph.fromOutputs([x], { y: apply('mul', [x, konst([1, 1, 1, 1, 1, 1], [2, 3])]), z: apply('mul', [x, konst([2])]) });
    assert.equal(runPass(simplifyAlgebra, g, TRAINING).changed, false);
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

  it('removes an inactive Dropout (inference) and keeps an active one', () => {
    const x = Value.input('x', f32([4]));
    const off = Graph.fromOutputs([x], { y: apply('Dropout', [x], { p: 0.5, training: false }) });
    assert.equal(runPass(simplifyAlgebra, off, TRAINING).graph.nodes.length, 0);
    const on = Graph.fromOutputs([x], { y: apply('Dropout', [x], { p: 0.5, training: true, seed: 1 }) });
    assert.equal(runPass(simplifyAlgebra, on, TRAINING).changed, false);
  });
});
