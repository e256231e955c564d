/**
 * The pipeline: which steps each level and mode run, the per-pass report,
 * the verifier after every pass, and what it removes from the MLP's graphs
 * (the inference graph and the fused training step's gradient graph).
 */
import assert from 'node:assert/strict';
import { nd, gluon, autograd } from 'gluonc';
import { setPassListener } from '../../../compiler/compile.js';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { withTrainingMode } from '../../../compiler/ops/mode.js';
import { formatReport, runPipeline, stepsFor, type PassReport } from '../../../compiler/passes/pipeline.js';
import build from '../../../models/mlp.js';
import { apply, assertSameResults, copyGraph, evaluate, f32, feedsFor, konst } from './helpers.js';

describe('passes: pipeline', () => {
  it('selects steps by level and mode: -O0 none, training never fuses nor folds weights', () => {
    assert.deepEqual(stepsFor(0, 'inference'), []);
    assert.deepEqual(stepsFor(1, 'training').map((s) => s.name), ['infer-shapes', 'fold-constants', 'eliminate-dead-code']);
    const training = stepsFor(3, 'training').map((s) => s.name);
    for (const n of ['fuse-layer-norm', 'fuse-gelu', 'fold-batch-norm', 'fold-scales']) assert.ok(!training.includes(n), `training runs no ${n}`);
    const o2 = stepsFor(2, 'inference').map((s) => s.name);
    assert.ok(o2.includes('fuse-layer-norm') && !o2.includes('fold-batch-norm'), '-O2 fuses but keeps parameters');
    assert.ok(stepsFor(3, 'inference').some((s) => s.name === 'fold-batch-norm'));
    assert.throws(() => runPipeline(Graph.fromOutputs([], {}), { level: 4, mode: 'inference' }), /optimization level must be 0, 1, 2 or 3 \(-O0 \.\. -O3\), got 4/);
  });

  it('reports each pass (nodes before and after, time) and verifies after each', () => {
    const x = Value.input('x', f32(['N', 3]));
    const y = apply('add', [apply('mul', [apply('exp', [x]), konst([1])]), apply('exp', [x])]);
    const g = Graph.fromOutputs([x], { y });
    const { feeds, types } = feedsFor(g);
    const before = evaluate(g, feeds, types);
    const seen: PassReport[] = [];
    const { graph, report } = runPipeline(copyGraph(g), { level: 2, mode: 'inference', verify: true, report: (r) => seen.push(r) });
    assert.deepEqual(seen, report);
    assert.deepEqual(report.map((r) => r.pass), stepsFor(2, 'inference').map((s) => s.name));
    assert.equal(report[0]!.nodesBefore, 4);
    assert.equal(report[report.length - 1]!.nodesAfter, 2, 'exp(x) * 1 + exp(x) -> e = exp(x); e + e');
    for (const r of report) assert.ok(r.ms >= 0 && (r.changed || r.nodesBefore === r.nodesAfter));
    assertSameResults(before, graph, feeds, types, 'pipeline');
    const text = formatReport(report);
    assert.match(text, /simplify-algebra\s+4\s+3/);
    assert.match(text, /total\s+4\s+2/);
  });

  it('measures the MLP: its inference graph and its fused training step', () => {
    const net = build();
    net.initialize();
    net.hybridize();
    const inference = (level: number) => {
      const { outputs, inputs, ctx } = withTrainingMode(false, () => net.trace([{ name: 'x', dtype: 'float32', shape: ['N', 784] }]));
      const g = Graph.fromOutputs(inputs.map((s) => s.value), { y: outputs[0]!.value });
      for (const [p, s] of ctx.symbols) s.value.data = p.data()._host;
      return runPipeline(g, { level, mode: 'inference', verify: true }).report;
    };
    const o2 = inference(2);
    const o3 = inference(3);
    assert.equal(o2[0]!.nodesBefore, 5, 'Dense+relu, Dense+relu, Dense: 5 nodes');
    assert.equal(o3[o3.length - 1]!.nodesAfter, 5, 'nothing to remove from the MLP at inference');

    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    loss.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
    const reports: PassReport[][] = [];
    const old = setPassListener((r, mode) => mode === 'training' && reports.push(r));
    try {
      const x = nd.random.uniform(-1, 1, [8, 784]);
      const y = nd.array([1, 2, 3, 4, 5, 6, 7, 8]);
      autograd.record(() => loss.call(net.call(x), y).backward());
      trainer.step(8);
    } finally {
      setPassListener(old);
    }
    const step = reports.reduce((a, b) => (b[0]!.nodesBefore > a[0]!.nodesBefore ? b : a));
    const [before, after] = [step[0]!.nodesBefore, step[step.length - 1]!.nodesAfter];
    if (process.env['PASS_STATS']) console.log(`MLP training step: ${before} -> ${after} nodes\n${formatReport(step)}`);
    assert.ok(after < before, `the pipeline removes nodes from the training step (${before} -> ${after})`);
  });
});
