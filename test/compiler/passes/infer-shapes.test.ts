/**
 * Shape and type inference: every node's type is re-derived from the inputs'
 * (symbolic dimensions included); a parameter whose shape is still unknown is
 * an error naming it.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { inferShapes } from '../../../compiler/passes/infer-shapes.js';
import { INFERENCE } from '../../../compiler/passes/pass.js';
import { apply, dedent, f32, param, runPass } from './helpers.js';

describe('passes: infer-shapes', () => {
  it('re-types every node from new input types, symbolic dimensions included', () => {
    const x = Value.input('x', f32([2, 6]));
    const w = param('w', Array(24).fill(0.5), [4, 6]);
    const fc = apply('FullyConnected', [x, w], { numHidden: 4, noBias: true });
    const y = apply('sum', [apply('reshape', [fc], { shape: [0, 2, 2] })], { axis: -1 });
    const g = Graph.fromOutputs([x], { y });
    x.type = f32(['N', 6]);
    const r = runPass(inferShapes, g, INFERENCE);
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[N, 6]) {
        param %w: float32[4, 6]
        %0: float32[N, 4] = FullyConnected(%x, %w) {flatten: true, noBias: true, numHidden: 4}
        %1: float32[N, 2, 2] = reshape(%0) {reverse: false, shape: [0, 2, 2]}
        %2: float32[N, 2] = sum(%1) {axis: -1, exclude: false, keepdims: false}
        return y=%2
      }`));
    assert.equal(runPass(inferShapes, r.graph, INFERENCE).changed, false, 'types already exact: unchanged');
  });

  it('names a parameter whose shape is still unknown', () => {
    const x = Value.input('x', f32([2, 3]));
    const w = Value.param('dense0.weight', f32([4, 0]));
    const g = new Graph([x], [w], [], [], [{ name: 'y', value: x }]);
    assert.throws(() => inferShapes(g, INFERENCE), /parameter 'dense0\.weight' still has an unknown shape \[4, 0\]/);
  });
});
