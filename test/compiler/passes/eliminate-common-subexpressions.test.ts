/**
 * Common-subexpression elimination: same operator, attributes and inputs
 * merge (chains too), equal constants merge, different attributes and
 * random operators do not.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { eliminateCommonSubexpressions } from '../../../compiler/passes/eliminate-common-subexpressions.js';
import { TRAINING } from '../../../compiler/passes/pass.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { apply, dedent, evaluate, f32, konst, passKeepsResults, runPass } from './helpers.js';

describe('passes: eliminate-common-subexpressions', () => {
  it('merges repeated chains and equal constants', () => {
    const x = Value.input('x', f32([2, 2]));
    const a = apply('tanh', [apply('mul', [x, konst([2])])]);
    const b = apply('tanh', [apply('mul', [x, konst([2])])]);
    const s1 = apply('sum', [x], { axis: 1 });
    const s2 = apply('sum', [x], { axis: 0 });
    const g = Graph.fromOutputs([x], { y: apply('add', [a, b]), s1, s2 });
    const r = passKeepsResults(eliminateCommonSubexpressions, g, TRAINING, 'cse');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[2, 2]) {
        const %c0: float32[] = [2]
        %1: float32[2, 2] = mul(%x, %c0)
        %2: float32[2, 2] = tanh(%1)
        %3: float32[2, 2] = add(%2, %2)
        %4: float32[2] = sum(%x) {axis: 1, exclude: false, keepdims: false}
        %5: float32[2] = sum(%x) {axis: 0, exclude: false, keepdims: false}
        return y=%3, s1=%4, s2=%5
      }`));
    assert.equal(runPass(eliminateCommonSubexpressions, r.graph, TRAINING).changed, false);
  });

  it('keeps nodes whose attributes differ only in the sign of a zero apart (clip to −0 is not clip to +0)', () => {
    const x = Value.input('x', f32([3]));
    const neg = apply('reciprocal', [apply('clip', [x], { aMin: -0, aMax: -0 })]);
    const pos = apply('reciprocal', [apply('clip', [x], { aMin: 0, aMax: 0 })]);
    const r = runPass(eliminateCommonSubexpressions, Graph.fromOutputs([x], { neg, pos }), TRAINING);
    assert.equal(r.changed, false, r.text);
    // IEEE reference: clip to [−0, −0] gives −0 for every non-zero x, so 1/it is −Inf; +0 gives +Inf.
    const got = evaluate(r.graph, { x: tensorFromNumbers('float32', [3], [2, -2, 0.5]) }, { x: f32([3]) });
    assert.deepEqual(got['neg'], [-Infinity, -Infinity, -Infinity]);
    assert.deepEqual(got['pos'], [Infinity, Infinity, Infinity]);
  });

  it('never merges random operators', () => {
    const x = Value.input('x', f32([8]));
    const d1 = apply('Dropout', [x], { p: 0.5, training: true, seed: 5 });
    const d2 = apply('Dropout', [x], { p: 0.5, training: true, seed: 5 });
    const g = Graph.fromOutputs([x], { y: apply('add', [d1, d2]) });
    assert.equal(runPass(eliminateCommonSubexpressions, g, TRAINING).changed, false);
  });

  it('merges both outputs of a repeated multi-output node', () => {
    const x = Value.input('x', f32([4, 2]));
    const [p, q] = (() => {
      const a = apply('split', [x], { numOutputs: 2, axis: 0 }).producer!.outputs;
      const b = apply('split', [x], { numOutputs: 2, axis: 0 }).producer!.outputs;
      return [apply('sub', [a[0]!, b[0]!]), apply('sub', [a[1]!, b[1]!])];
    })();
    const g = Graph.fromOutputs([x], { p: p!, q: q! });
    const r = passKeepsResults(eliminateCommonSubexpressions, g, TRAINING, 'multi-output');
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['split', 'sub', 'sub']);
  });
});
