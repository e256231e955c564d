/**
 * Gelu fusion: the exact erf GELU written with primitive operators becomes
 * one gelu node, in every association of its product; the tanh
 * approximation and a pattern whose intermediate is used elsewhere stay.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { fuseGelu } from '../../../compiler/passes/fuse-gelu.js';
import { INFERENCE } from '../../../compiler/passes/pass.js';
import { apply, dedent, f32, konst, passKeepsResults, runPass } from './helpers.js';

describe('passes: fuse-gelu', () => {
  it('fuses 0.5 * x * (1 + erf(x / sqrt(2)))', () => {
    const x = Value.input('x', f32(['N', 3]));
    const p = apply('add', [apply('erf', [apply('div', [x, konst([Math.SQRT2])])]), konst([1])]);
    const y = apply('mul', [apply('mul', [x, konst([0.5])]), p]);
    const g = Graph.fromOutputs([x], { y: apply('relu', [y]) });
    const r = passKeepsResults(fuseGelu, g, INFERENCE, 'gelu');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[N, 3]) {
        %0: float32[N, 3] = gelu(%x)
        %1: float32[N, 3] = relu(%0)
        return y=%1
      }`));
  });

  it('fuses the other associations: x * (p * 0.5), (x * p) / 2, with x * (1/sqrt(2))', () => {
    const x = Value.input('x', f32([4]));
    const p = () => apply('add', [konst([1]), apply('erf', [apply('mul', [konst([Math.SQRT1_2]), x])])]);
    const a = apply('mul', [x, apply('mul', [p(), konst([0.5])])]);
    const b = apply('div', [apply('mul', [x, p()]), konst([2])]);
    const g = Graph.fromOutputs([x], { a, b });
    const r = passKeepsResults(fuseGelu, g, INFERENCE, 'gelu associations');
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['gelu', 'gelu']);
  });

  it('leaves the tanh approximation and shared intermediates alone', () => {
    const x = Value.input('x', f32([4]));
    const inner = apply('mul', [konst([Math.sqrt(2 / Math.PI)]), apply('add', [x, apply('mul', [konst([0.044715]), apply('pow', [x, konst([3])])])])]);
    const tanhGelu = apply('mul', [apply('mul', [x, konst([0.5])]), apply('add', [apply('tanh', [inner]), konst([1])])]);
    assert.equal(runPass(fuseGelu, Graph.fromOutputs([x], { y: tanhGelu }), INFERENCE).changed, false);
    const e = apply('erf', [apply('div', [x, konst([Math.SQRT2])])]);
    const y = apply('mul', [apply('mul', [x, konst([0.5])]), apply('add', [e, konst([1])])]);
    assert.equal(runPass(fuseGelu, Graph.fromOutputs([x], { y, e }), INFERENCE).changed, false);
  });

  it('leaves (0.5 * (1 + erf(x / sqrt(2)))) / 2 alone (a 0.5 factor beside the division is not the half; found by the property test)', () => {
    const x = Value.input('x', f32([4]));
    const p = apply('add', [konst([1]), apply('erf', [apply('div', [x, konst([Math.SQRT2])])])]);
    const y = apply('div', [apply('mul', [konst([0.5]), p]), konst([2])]);
    const r = passKeepsResults(fuseGelu, Graph.fromOutputs([x], { y }), INFERENCE, 'no gelu');
    assert.equal(r.changed, false);
  });
});
