/**
 * LayerNorm fusion: a layer norm over the last axis written with primitive
 * operators becomes one LayerNorm node (gamma/beta optional, d*d or
 * square(d), sqrt+div or rsqrt+mul); the pattern is left alone when an
 * intermediate is used elsewhere or the axis is not the last.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import type { Value } from '../../../compiler/ir/value.js';
import { Value as V } from '../../../compiler/ir/value.js';
import { fuseLayerNorm } from '../../../compiler/passes/fuse-layer-norm.js';
import { INFERENCE } from '../../../compiler/passes/pass.js';
import { apply, dedent, f32, konst, param, passKeepsResults, runPass, values } from './helpers.js';

/** (x - mean) / sqrt(var + eps) over `axis`, with the given square and root forms. */
function handLayerNorm(x: Value, o: { axis?: number; square?: 'square' | 'mul'; rsqrt?: boolean } = {}): { d: Value; out: Value } {
  const axis = o.axis ?? -1;
  const m = apply('mean', [x], { axis, keepdims: true });
  const d = apply('sub', [x, m]);
  const sq = o.square === 'mul' ? apply('mul', [d, d]) : apply('square', [d]);
  const v = apply('add', [apply('mean', [sq], { axis, keepdims: true }), konst([1e-5])]);
  const out = o.rsqrt ? apply('mul', [d, apply('rsqrt', [v])]) : apply('div', [d, apply('sqrt', [v])]);
  return { d, out };
}

describe('passes: fuse-layer-norm', () => {
  it('fuses the hand-written pattern with gamma and beta into LayerNorm', () => {
    const x = V.input('x', f32(['N', 4]));
    const gamma = param('gamma', values(4, 3), [4]);
    const beta = param('beta', values(4, 4), [4]);
    const { out } = handLayerNorm(x);
    const y = apply('add', [apply('mul', [out, gamma]), beta]);
    const g = Graph.fromOutputs([x], { y });
    const r = passKeepsResults(fuseLayerNorm, g, INFERENCE, 'layer norm');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[N, 4]) {
        param %gamma: float32[4]
        param %beta: float32[4]
        %0: float32[N, 4] = LayerNorm(%x, %gamma, %beta) {axis: -1, eps: 0.000009999999747378752}
        return y=%0
      }`));
    assert.equal(runPass(fuseLayerNorm, r.graph, INFERENCE).changed, false);
  });

  it('fuses the variants without gamma/beta (d*d, rsqrt) with constant ones and zeros', () => {
    const x = V.input('x', f32([2, 3, 5]));
    const g = Graph.fromOutputs([x], { y: handLayerNorm(x, { square: 'mul', rsqrt: true }).out });
    const r = passKeepsResults(fuseLayerNorm, g, INFERENCE, 'layer norm variants');
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['LayerNorm']);
  });

  it('leaves the pattern alone when an intermediate is used elsewhere, or the axis is not the last', () => {
    const x = V.input('x', f32([2, 4]));
    const { d, out } = handLayerNorm(x);
    const shared = Graph.fromOutputs([x], { y: out, d });
    assert.equal(runPass(fuseLayerNorm, shared, INFERENCE).changed, false);
    const first = Graph.fromOutputs([x], { y: handLayerNorm(x, { axis: 0 }).out });
    assert.equal(runPass(fuseLayerNorm, first, INFERENCE).changed, false);
  });
});
