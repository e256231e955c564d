/**
 * share-conv-columns: a Convolution whose input has a `convColumns` of the
 * same geometry (the weight gradient's) becomes one dot by those columns,
 * and computes what onnxruntime's Conv did (the graph before the pass runs
 * Conv): padded, strided, dilated, 1-D, 3-D, with and without bias, a
 * symbolic batch; grouped convolutions, other geometries and convolutions
 * with no columns stay.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import type { Attrs } from '../../../compiler/ir/node.js';
import { Value } from '../../../compiler/ir/value.js';
import { TRAINING } from '../../../compiler/passes/pass.js';
import { shareConvColumns } from '../../../compiler/passes/share-conv-columns.js';
import { apply, assertSameResults, evaluate, f32, feedsFor, passKeepsResults, runPass } from './helpers.js';

const geometry = (a: Attrs): Attrs => ({ kernel: a['kernel'], stride: a['stride'] ?? null, dilate: a['dilate'] ?? null, pad: a['pad'] ?? null });

/** y = Convolution(x, w, b?) and the columns of x (as its weight gradient would take them), both outputs. */
function convAndColumns(xs: (number | string)[], ws: number[], conv: Attrs, bias = true, cols: Attrs = geometry(conv)) {
  const x = Value.input('x', f32(xs));
  const w = Value.input('w', f32(ws));
  const b = Value.input('b', f32([ws[0]!]));
  const y = apply('Convolution', bias ? [x, w, b] : [x, w], { ...conv, numFilter: ws[0], noBias: !bias });
  const c = apply('convColumns', [x], cols);
  return Graph.fromOutputs(bias ? [x, w, b] : [x, w], { y, c });
}

describe('passes: share-conv-columns', () => {
  const cases: [string, number[], number[], Attrs, boolean][] = [
    ['LeNet conv1: one channel, pad 2', [3, 1, 12, 12], [6, 1, 5, 5], { kernel: [5, 5], pad: [2, 2] }, true],
    ['stride, dilate, pad, rectangular', [2, 3, 9, 8], [4, 3, 3, 2], { kernel: [3, 2], stride: [2, 1], dilate: [1, 2], pad: [1, 1] }, true],
    ['no bias', [2, 2, 6, 6], [3, 2, 3, 3], { kernel: [3, 3] }, false],
    ['1-D', [2, 3, 11], [4, 3, 3], { kernel: [3], stride: [2], pad: [1] }, true],
    ['3-D', [2, 2, 4, 5, 4], [3, 2, 2, 3, 2], { kernel: [2, 3, 2], pad: [1, 0, 1], stride: [1, 2, 1] }, true],
  ];
  for (const [label, xs, ws, conv, bias] of cases) {
    it(`the convolution reads the columns: ${label}`, () => {
      const graph = convAndColumns(xs, ws, conv, bias);
      const r = passKeepsResults(shareConvColumns, graph, TRAINING, label);
      assert.equal(r.changed, true);
      const ops = r.graph.nodes.map((n) => n.op);
      assert.ok(!ops.includes('Convolution'), r.text);
      assert.equal(ops.filter((o) => o === 'convColumns').length, 1, r.text);
      const dot = r.graph.nodes.find((n) => n.op === 'dot')!;
      assert.equal(dot.inputs[1]!.producer?.op, 'convColumns');
    });
  }

  it('a symbolic batch', () => {
    const graph = convAndColumns(['N', 2, 7, 7], [3, 2, 3, 3], { kernel: [3, 3], pad: [1, 1], stride: [2, 2] });
    const { feeds, types } = feedsFor(graph, 7, { N: 4 });
    const before = evaluate(graph, feeds, types);
    const r = runPass(shareConvColumns, graph, TRAINING);
    assert.equal(r.changed, true);
    assert.ok(!r.graph.nodes.some((n) => n.op === 'Convolution'), r.text);
    assertSameResults(before, r.graph, feeds, types, 'symbolic batch');
  });

  it('leaves grouped convolutions, columns of another geometry and convolutions without columns alone', () => {
    const other = convAndColumns([2, 2, 6, 6], [3, 2, 3, 3], { kernel: [3, 3], pad: [1, 1] }, true, { kernel: [3, 3] });
    const x = Value.input('x', f32([2, 4, 6, 6]));
    const w = Value.input('w', f32([4, 2, 3, 3]));
    const grouped = Graph.fromOutputs([x, w], {
      y: apply('Convolution', [x, w], { kernel: [3, 3], numFilter: 4, numGroup: 2, noBias: true }),
      c: apply('convColumns', [x], { kernel: [3, 3] }),
    });
    const w1 = Value.input('w', f32([4, 4, 3, 3]));
    const alone = Graph.fromOutputs([x, w1], { y: apply('Convolution', [x, w1], { kernel: [3, 3], numFilter: 4, noBias: true }) });
    for (const [name, graph] of [['other geometry', other], ['grouped', grouped], ['no columns', alone]] as [string, Graph][]) {
      const r = runPass(shareConvColumns, graph, TRAINING);
      assert.equal(r.changed, false, name);
      assert.ok(r.graph.nodes.some((n) => n.op === 'Convolution'), name);
    }
  });
});
