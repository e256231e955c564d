/**
 * pool-example-last: a max pooling (and its gradient) of activations that a
 * transpose brought from `[C, spatial..., N]` to NCHW pools them in that
 * layout, and computes what the NCHW pooling did (onnxruntime at -O0 on the
 * graph before the pass): random inputs with about half the cells below 0
 * (windows of zeros tie after the relu), fixed tied windows, strided,
 * padded, 1-D, relu mask at the pooled size (gate-pool-grad's), bias sum;
 * average pooling, other permutations, a gradient read by something else,
 * a sum keeping the batch axis, a relu pooled by two geometries and 3-D
 * pooling stay; LeNet's fused step (test/bench/step-graph.ts) pools its
 * first convolution's output in 3-D.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import type { Attrs } from '../../../compiler/ir/node.js';
import { Value } from '../../../compiler/ir/value.js';
import { TRAINING } from '../../../compiler/passes/pass.js';
import { poolExampleLast } from '../../../compiler/passes/pool-example-last.js';
import { simplifyAlgebra } from '../../../compiler/passes/simplify-algebra.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { onnx } from '../../../compiler/onnx/proto.js';
import { stepBytes } from '../../bench/step-graph.js';
import { apply, assertSameResults, evaluate, f32, feedsFor, konst, passKeepsResults, runPass } from './helpers.js';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_v, i) => i + from);

/**
 * The step's shape around a convolution by columns: z `[C, S..., N]` to NCHW, relu, max pool, the
 * pooled relu mask on g, poolingGrad, the weight gradient's transpose back to example-last and the bias sum.
 */
function convPoolStep(zShape: number[], pool: Attrs, opts: { relu?: 'relu' | 'Activation'; mask?: boolean; perm?: number[] } = {}) {
  const nd = zShape.length - 2;
  const z = Value.input('z', f32(zShape));
  const t = apply('transpose', [z], { axes: opts.perm ?? [nd + 1, ...range(nd + 1)] });
  const r = opts.relu === undefined ? apply('relu', [t]) : opts.relu === 'relu' ? apply('relu', [t]) : apply('Activation', [t], { actType: 'relu' });
  const y = apply('Pooling', [r], pool);
  const g = Value.input('g', f32(y.type.shape as number[]));
  const gated = opts.mask === false ? g : apply('mul', [g, apply('greater', [y, konst([0])])]);
  const h = apply('poolingGrad', [r, gated], pool);
  const cols = apply('reshape', [apply('transpose', [h], { axes: [...range(nd + 1, 1), 0] })], { shape: [zShape[0]!, -1] });
  const bias = apply('sum', [h], { axis: 1, exclude: true });
  return { z, g, y, h, cols, bias, graph: Graph.fromOutputs([z, g], { y, cols, bias }) };
}

const max2 = { kernel: [2, 2], stride: [2, 2], poolType: 'max' };

describe('passes: pool-example-last', () => {
  const cases: [string, number[], Attrs, Parameters<typeof convPoolStep>[2]][] = [
    ["LeNet's first pooling (2x2, stride 2), Activation relu", [3, 8, 8, 5], max2, { relu: 'Activation' }],
    ['overlapping, padded windows, no mask', [2, 5, 5, 3], { kernel: [3, 3], stride: [1, 1], pad: [1, 1], poolType: 'max' }, { mask: false }],
    ["rectangular, 'full'", [2, 7, 6, 4], { kernel: [2, 3], stride: [2, 2], poolType: 'max', poolingConvention: 'full' }, {}],
    ['1-D', [3, 9, 4], { kernel: [3], stride: [2], poolType: 'max' }, {}],
  ];
  for (const [label, zs, pool, opts] of cases) {
    it(`pools in the example-last layout: ${label}`, () => {
      const { graph } = convPoolStep(zs, pool, opts);
      const r = passKeepsResults(poolExampleLast, graph, TRAINING, label);
      assert.equal(r.changed, true);
      const pools = r.graph.nodes.filter((n) => n.op === 'Pooling' || n.op === 'poolingGrad');
      assert.ok(pools.length === 2 && pools.every((n) => n.inputs[0]!.type.shape.length === zs.length + 1), r.text);
      // After simplify-algebra only the pooled values' transpose to NCHW (and the gradient's in) remain: none
      // reads the convolution's output or the pooling's gradient.
      const s = runPass(simplifyAlgebra, r.graph, TRAINING);
      const full = s.graph.nodes.filter((n) => n.op === 'transpose' && ['input', 'poolingGrad', 'relu'].includes(n.inputs[0]!.producer?.op ?? 'input') && n.inputs[0]!.name !== 'g');
      assert.deepEqual(full.length, 0, s.text);
      assert.equal(s.graph.nodes.filter((n) => n.op === 'transpose').length, 2, s.text);
    });
  }

  it('routes tied windows as the NCHW pooling does (zeros after the relu, equal maxima, NaN-free)', () => {
    // z [C=1, 4, 4, N=2]: example 0 holds tv, example 1 holds -tv.
    const tv = [-1, -2, 3, 3, 0, -1, 3, 1, 0, 0, 2, 5, 0, 0, 5, -5];
    const { graph } = convPoolStep([1, 4, 4, 2], max2, { relu: 'Activation' });
    const feeds = {
      z: tensorFromNumbers('float32', [1, 4, 4, 2], tv.flatMap((v) => [v, -v])),
      g: tensorFromNumbers('float32', [2, 1, 2, 2], [10, 20, 30, 40, 50, 60, 70, 80]),
    };
    const types = { z: f32([1, 4, 4, 2]), g: f32([2, 1, 2, 2]) } as Record<string, { dtype: 'float32'; shape: number[] }>;
    const before = evaluate(graph, feeds, types);
    // MXNet's rule: each window's gradient to its first maximum (row-major), where the maximum is > 0;
    // the columns are [C, H*W*N] with the example innermost.
    const ex0 = [0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0];
    const ex1 = [0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 80];
    assert.deepEqual(before['cols'], ex0.flatMap((v, i) => [v, ex1[i]!]));
    const r = runPass(poolExampleLast, graph, TRAINING);
    assert.equal(r.changed, true);
    assertSameResults(before, r.graph, feeds, types, 'tied windows', 0, 0);
  });

  it('leaves average pooling, another permutation, a gradient read elsewhere, a sum keeping N, two poolings and 3-D pooling alone', () => {
    const avg = convPoolStep([2, 4, 4, 3], { ...max2, poolType: 'avg' }, { mask: false }).graph;
    const perm = convPoolStep([2, 4, 4, 3], max2, { perm: [3, 0, 2, 1] }).graph;
    const other = convPoolStep([2, 4, 4, 3], max2);
    const used = Graph.fromOutputs([other.z, other.g], { y: other.y, h: apply('neg', [other.h]) });
    const three = convPoolStep([2, 4, 4, 4, 3], { kernel: [2, 2, 2], stride: [2, 2, 2], poolType: 'max' }).graph;
    // A sum keeping the batch and the channels (N = C: the same type either way round).
    const kept = convPoolStep([3, 4, 4, 3], max2);
    const sumNC = Graph.fromOutputs([kept.z, kept.g], { y: kept.y, s: apply('sum', [kept.h], { axis: [2, 3] }) });
    // The relu pooled twice, by different windows of the same output size.
    const twice = convPoolStep([2, 6, 6, 3], max2);
    const wide = Graph.fromOutputs([twice.z, twice.g], { y: twice.y, cols: twice.cols, w: apply('Pooling', [twice.y.producer!.inputs[0]!], { ...max2, kernel: [3, 3], pad: [1, 1] }) });
    for (const [name, graph] of [['avg', avg], ['perm', perm], ['gradient read by neg', used], ['3-D', three], ['sum keeping N and C', sumNC], ['two poolings', wide]] as [string, Graph][]) {
      const { feeds, types } = feedsFor(graph);
      const before = evaluate(graph, feeds, types);
      const r = runPass(poolExampleLast, graph, TRAINING);
      assert.equal(r.changed, false, name);
      assertSameResults(before, r.graph, feeds, types, name);
    }
  });

  it('a symbolic batch is pooled; symbolic spatial sizes are left alone', () => {
    const { graph } = convPoolStep([2, 6, 6, 'N'] as never, max2);
    const { feeds, types } = feedsFor(graph, 7, { N: 4 });
    const before = evaluate(graph, feeds, types);
    const r = runPass(poolExampleLast, graph, TRAINING);
    assert.equal(r.changed, true);
    assertSameResults(before, r.graph, feeds, types, 'symbolic batch');
    const spatial = convPoolStep([2, 'H', 6, 3] as never, max2).graph;
    assert.equal(runPass(poolExampleLast, spatial, TRAINING).changed, false);
  });

  it("LeNet's fused step pools its first convolution's output example-last, forward and gradient", function () {
    this.timeout(60000);
    const m = onnx.ModelProto.decode(stepBytes('lenet', 'sgd', { learningRate: 0.1, momentum: 0.9 }));
    const kernels = (op: string) => m.graph!.node!.filter((n) => n.opType === op).map((n) => n.attribute!.find((a) => a.name === 'kernel_shape')!.ints!.map(Number));
    // conv1: the forward pooling and the gradient's first-maximum boxes in 3-D, its MaxUnpool too; conv2 stays 2-D.
    assert.deepEqual(kernels('MaxPool').filter((k) => k.length === 3), [[2, 2, 1], [2, 2, 1], [2, 1, 1], [1, 2, 1], [1, 1, 1]]);
    assert.deepEqual(kernels('MaxUnpool'), [[2, 2], [2, 2, 1]]);
  });

  it('a forward pooling alone (inference) moves its transpose to the pooled size', () => {
    const z = Value.input('z', f32([4, 6, 6, 3]));
    const y = apply('Pooling', [apply('relu', [apply('transpose', [z], { axes: [3, 0, 1, 2] })])], max2);
    const r = passKeepsResults(poolExampleLast, Graph.fromOutputs([z], { y }), TRAINING, 'forward');
    assert.equal(r.changed, true);
    const tr = r.graph.nodes.filter((n) => n.op === 'transpose');
    assert.deepEqual(tr.map((n) => n.inputs[0]!.type.shape), [[4, 3, 3, 3]], r.text);
  });
});
