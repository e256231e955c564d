/**
 * gate-pool-grad: a relu's gradient mask behind a max pooling's gradient
 * moves in front of it (applied to g at the pooled size) and the results do
 * not change: random inputs (about half the cells below 0, so windows of
 * zeros tie), fixed tied windows, overlapping, padded and global windows;
 * average pooling, other thresholds and shared gradients stay.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import type { Attrs } from '../../../compiler/ir/node.js';
import { Value } from '../../../compiler/ir/value.js';
import { gatePoolGrad } from '../../../compiler/passes/gate-pool-grad.js';
import { TRAINING } from '../../../compiler/passes/pass.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { apply, assertSameResults, evaluate, f32, feedsFor, konst, passKeepsResults, runPass } from './helpers.js';

/** The relu-then-max-pool gradient as the autodiff writes it: mul(poolingGrad(relu(t), g), greater(t, 0)). */
function reluPoolGrad(tShape: number[], gShape: number[], pool: Attrs, activation = false) {
  const t = Value.input('t', f32(tShape));
  const g = Value.input('g', f32(gShape));
  const r = activation ? apply('Activation', [t], { actType: 'relu' }) : apply('relu', [t]);
  const y = apply('Pooling', [r], pool);
  const dx = apply('mul', [apply('poolingGrad', [r, g], pool), apply('greater', [t, konst([0])])]);
  return { t, g, y, dx };
}

describe('passes: gate-pool-grad', () => {
  const cases: [string, number[], number[], Attrs][] = [
    ['2x2 disjoint', [2, 3, 6, 6], [2, 3, 3, 3], { kernel: [2, 2], stride: [2, 2], poolType: 'max' }],
    ['overlapping, padded', [1, 2, 5, 5], [1, 2, 5, 5], { kernel: [3, 3], stride: [1, 1], pad: [1, 1], poolType: 'max' }],
    ['global', [2, 3, 4, 4], [2, 3, 1, 1], { globalPool: true, poolType: 'max' }],
    ["'full', clipped windows", [1, 2, 5, 5], [1, 2, 3, 3], { kernel: [2, 2], stride: [2, 2], poolType: 'max', poolingConvention: 'full' }],
  ];
  for (const [label, ts, gs, pool] of cases) {
    it(`gates g at the pooled size: ${label}`, () => {
      const { t, g, y, dx } = reluPoolGrad(ts, gs, pool);
      const graph = Graph.fromOutputs([t, g], { y, dx });
      const r = passKeepsResults(gatePoolGrad, graph, TRAINING, label);
      assert.equal(r.changed, true);
      const ops = r.graph.nodes.map((n) => n.op);
      // The mask is taken on the pooled values: greater reads a Pooling, not t.
      const gt = r.graph.nodes.find((n) => n.op === 'greater')!;
      assert.equal(gt.inputs[0]!.producer?.op, 'Pooling');
      assert.deepEqual(gt.inputs[0]!.type.shape, gs);
      assert.equal(ops.filter((o) => o === 'poolingGrad').length, 1);
    });
  }

  it('keeps the gradient at tied windows (zeros after the relu, equal positive maxima)', () => {
    const { t, g, y, dx } = reluPoolGrad([1, 1, 4, 4], [1, 1, 2, 2], { kernel: [2, 2], stride: [2, 2], poolType: 'max' }, true);
    const graph = Graph.fromOutputs([t, g], { y, dx });
    const tv = [-1, -2, 3, 3, 0, -1, 3, 1, 0, 0, 2, 5, 0, 0, 5, -5];
    const feeds = { t: tensorFromNumbers('float32', [1, 1, 4, 4], tv), g: tensorFromNumbers('float32', [1, 1, 2, 2], [10, 20, 30, 40]) };
    const types = { t: f32([1, 1, 4, 4]), g: f32([1, 1, 2, 2]) } as Record<string, { dtype: 'float32'; shape: number[] }>;
    const before = evaluate(graph, feeds, types);
    // MXNet's rule: each window's gradient to its first maximum, times relu'(t) there.
    assert.deepEqual(before['dx'], [0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0]);
    const r = runPass(gatePoolGrad, graph, TRAINING);
    assert.equal(r.changed, true);
    assertSameResults(before, r.graph, feeds, types, 'tied windows');
  });

  it('leaves average pooling, another threshold, a mask of another tensor and a shared gradient alone', () => {
    const t = Value.input('t', f32([1, 2, 4, 4]));
    const g = Value.input('g', f32([1, 2, 2, 2]));
    const r = apply('relu', [t]);
    const max = { kernel: [2, 2], stride: [2, 2], poolType: 'max' };
    const avg = apply('mul', [apply('poolingGrad', [r, g], { ...max, poolType: 'avg' }), apply('greater', [t, konst([0])])]);
    const half = apply('mul', [apply('poolingGrad', [r, g], max), apply('greater', [t, konst([0.5])])]);
    const other = apply('mul', [apply('poolingGrad', [r, g], max), apply('greater', [apply('neg', [t]), konst([0])])]);
    const shared = apply('poolingGrad', [r, g], max);
    const used = apply('mul', [shared, apply('greater', [t, konst([0])])]);
    for (const [name, graph] of [
      ['avg', Graph.fromOutputs([t, g], { avg })],
      ['threshold 0.5', Graph.fromOutputs([t, g], { half })],
      ['mask of -t', Graph.fromOutputs([t, g], { other })],
      ['shared', Graph.fromOutputs([t, g], { used, shared })],
    ] as [string, Graph][]) {
      const { feeds, types } = feedsFor(graph);
      const before = evaluate(graph, feeds, types);
      const res = runPass(gatePoolGrad, graph, TRAINING);
      assert.equal(res.changed, false, name);
      assertSameResults(before, res.graph, feeds, types, name);
    }
  });
});
