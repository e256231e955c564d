/**
 * Constant folding: nodes with constant inputs are computed at compile time
 * (never random ones), parameters count as constants only with `foldParams`,
 * and shape arithmetic on concrete shapes folds (onesLike -> constant,
 * reshapeLike -> reshape, broadcastLike -> broadcastTo).
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { foldConstants } from '../../../compiler/passes/fold-constants.js';
import { INFERENCE, TRAINING } from '../../../compiler/passes/pass.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { apply, dedent, f32, konst, param, passKeepsResults, runPass } from './helpers.js';

describe('passes: fold-constants', () => {
  it('computes constant subexpressions, chains included', () => {
    const x = Value.input('x', f32([3]));
    const c = apply('exp', [apply('mul', [konst([1, 2, 3]), konst([0])])]); // exp(0) = [1, 1, 1]
    const y = apply('add', [x, apply('neg', [c])]);
    const g = Graph.fromOutputs([x], { y });
    const r = passKeepsResults(foldConstants, g, TRAINING, 'fold');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[3]) {
        const %c0: float32[3] = [-1, -1, -1]
        %1: float32[3] = add(%x, %c0)
        return y=%1
      }`));
    assert.equal(runPass(foldConstants, r.graph, TRAINING).changed, false);
  });

  it('never folds a random operator', () => {
    const d = apply('Dropout', [konst([1, 2, 3, 4])], { p: 0.5, training: true, seed: 3 });
    const g = Graph.fromOutputs([], { y: apply('mul', [d, konst([2])]) });
    const r = runPass(foldConstants, g, TRAINING);
    assert.equal(r.changed, false);
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['Dropout', 'mul']);
  });

  it('reads parameters as constants only when parameters fold (inference -O3)', () => {
    const x = Value.input('x', f32([2]));
    const make = () => Graph.fromOutputs([x], { y: apply('mul', [x, apply('exp', [param('logScale', [0, Math.log(2)], [2])])]) });
    assert.equal(runPass(foldConstants, make(), TRAINING).changed, false);
    assert.equal(runPass(foldConstants, make(), INFERENCE).changed, false);
    const r = runPass(foldConstants, make(), { mode: 'inference', foldParams: true });
    assert.equal(r.changed, true);
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['mul']);
    const folded = r.graph.constants[0]!.data!;
    assert.deepEqual(tensorToNumbers(folded).map((v) => Math.round(v * 1e6) / 1e6), [1, 2]);
  });

  it('folds shape arithmetic on concrete shapes and leaves symbolic ones', () => {
    const x = Value.input('x', f32([2, 3]));
    const v = Value.input('v', f32([6]));
    const b = Value.input('b', f32([1, 3]));
    const y = apply('add', [apply('reshapeLike', [v, x]), apply('broadcastLike', [b, x])]);
    const z = apply('mul', [x, apply('onesLike', [x])]);
    const g = Graph.fromOutputs([x, v, b], { y, z });
    const r = passKeepsResults(foldConstants, g, TRAINING, 'shape arithmetic');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[2, 3], %v: float32[6], %b: float32[1, 3]) {
        const %c0: float32[2, 3]
        %1: float32[2, 3] = reshape(%v) {reverse: false, shape: [2, 3]}
        %2: float32[2, 3] = broadcastTo(%b) {shape: [2, 3]}
        %3: float32[2, 3] = add(%1, %2)
        %4: float32[2, 3] = mul(%x, %c0)
        return y=%3, z=%4
      }`));
    const n = Value.input('n', f32(['N', 3]));
    const s = Graph.fromOutputs([n], { y: apply('mul', [n, apply('onesLike', [n])]) });
    assert.equal(runPass(foldConstants, s, TRAINING).changed, false, 'a symbolic shape stays');
  });
});
