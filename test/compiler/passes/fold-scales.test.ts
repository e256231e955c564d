/**
 * Folding constant scales into weights (inference, -O3): the seed's
 * `scales * FullyConnected(x, W)` and `dot(x, W) / s` become one layer with
 * scaled weights; scales that vary along the batch, or graphs whose
 * parameters do not fold, stay.
 */
import assert from 'node:assert/strict';
import { nd, gluon } from 'gluonc';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { foldScales } from '../../../compiler/passes/fold-scales.js';
import { INFERENCE, type PassContext } from '../../../compiler/passes/pass.js';
import { exportBytes } from '../../../compiler/formats/export.js';
import { Session } from '../../../runtime/session.js';
import { tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import build from '../../../models/seed/scaled-layer.js';
import { apply, dedent, evaluate, f32, param, passKeepsResults, runPass, values } from './helpers.js';

const FOLD: PassContext = { mode: 'inference', foldParams: true };

describe('passes: fold-scales', () => {
  it('folds scales * FullyConnected(x, W, b) into W and b', () => {
    const x = Value.input('x', f32(['N', 3]));
    const fc = apply('FullyConnected', [x, param('1.weights', values(6, 1), [2, 3]), param('1.bias', values(2, 2), [2])], { numHidden: 2 });
    const g = Graph.fromOutputs([x], { y: apply('tanh', [apply('mul', [param('1.scales', [2, -3], [2]), fc])]) });
    const r = passKeepsResults(foldScales, g, FOLD, 'scales');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[N, 3]) {
        param %1.weights: float32[2, 3]
        param %1.bias: float32[2]
        %0: float32[N, 2] = FullyConnected(%x, %1.weights, %1.bias) {flatten: true, noBias: false, numHidden: 2}
        %1: float32[N, 2] = tanh(%0)
        return y=%1
      }`));
  });

  it('folds a division of dot(x, W) by a scalar, and W shared with another layer gets a new name', () => {
    const x = Value.input('x', f32([2, 3]));
    const w = param('w', values(12, 4), [3, 4]);
    const y = apply('div', [apply('dot', [x, w]), param('s', [4], [1])]);
    const g = Graph.fromOutputs([x], { y, z: apply('dot', [x, w]) });
    const r = passKeepsResults(foldScales, g, FOLD, 'dot / s');
    assert.deepEqual(r.graph.params.map((p) => p.name).sort(), ['w', 'w.folded']);
  });

  it('leaves a division by a zero scale (and a non-finite scale) alone: 1/0 folded into W made NaN where y/0 is ±Inf', () => {
    const x = Value.input('x', f32([2, 2]));
    const fc = () => apply('FullyConnected', [x, param('w', [1, 2, -1, 3, 0.5, 0.5], [3, 2]), param('b', [0, 1, 0], [3])], { numHidden: 3 });
    const div = Graph.fromOutputs([x], { y: apply('div', [fc(), param('s', [1, 0, -0], [3])]) });
    const r = runPass(foldScales, div, FOLD);
    assert.equal(r.changed, false, r.text);
    const inf = Graph.fromOutputs([x], { y: apply('mul', [fc(), param('s', [1, Infinity, 2], [3])]) });
    assert.equal(runPass(foldScales, inf, FOLD).changed, false);
    // IEEE reference: y = (x·Wᵀ + b) / s row by row.
    const xs = [1, 1, -2, 0.5];
    const want = [0, 1].flatMap((n) => [[1, 2, 0, 1], [-1, 3, 1, 0], [0.5, 0.5, 0, -0]].map(([w0, w1, b, s]) => (xs[2 * n]! * w0! + xs[2 * n + 1]! * w1! + b!) / s!));
    assert.deepEqual(evaluate(r.graph, { x: tensorFromNumbers('float32', [2, 2], xs) }, { x: f32([2, 2]) })['y'], want);
  });

  it('leaves scales varying along the batch, and -O2 graphs, alone', () => {
    const x = Value.input('x', f32([2, 3]));
    const fc = () => apply('FullyConnected', [x, param('w', values(6, 1), [2, 3])], { numHidden: 2, noBias: true });
    const perRow = Graph.fromOutputs([x], { y: apply('mul', [fc(), param('s', [1, 2], [2, 1])]) });
    assert.equal(runPass(foldScales, perRow, FOLD).changed, false);
    const o2 = Graph.fromOutputs([x], { y: apply('mul', [fc(), param('s', [1, 2], [2])]) });
    assert.equal(runPass(foldScales, o2, INFERENCE).changed, false);
  });

  it('folds the seed ScaledLayer\'s scales in its exported artifact at -O3, with the same results', () => {
    const net = build() as gluon.HybridBlock;
    const x = nd.random.uniform(-1, 1, [4, 2]);
    const want = Array.from((net.call(x) as nd.NDArray).data() as Float32Array);
    const inputs = { x: { shape: ['N', 2] } };
    const o2 = exportBytes(net, { inputs });
    const o3 = exportBytes(net, { inputs, compile: { optLevel: 3 } });
    assert.ok(o2.manifest.params.includes('1.scales'), '-O2 keeps the parameter set');
    assert.ok(!o3.manifest.params.includes('1.scales'), `-O3 folds scales away: ${o3.manifest.params.join(', ')}`);
    for (const [level, { bytes }] of [['-O2', o2], ['-O3', o3]] as const) {
      const s = Session.create(bytes);
      const got = tensorToNumbers(s.runSync({ x: { dtype: 'float32', shape: [4, 2], data: x.data() as Float32Array } })['output']!);
      s.close();
      assertClose(got, want, `ScaledLayer artifact ${level}`);
    }
  });
});
