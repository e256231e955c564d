/**
 * ONNX's random operators imported (RandomUniformLike, RandomNormalLike,
 * RandomUniform, RandomNormal, Bernoulli): their draws cannot be compared by
 * value, so each is checked by dtype and shape, and, over a large sample, by
 * the sample mean and variance against the distribution's (uniform on
 * [low, high): (low + high) / 2 and (high - low)^2 / 12; normal: mean and
 * scale^2; Bernoulli: p and p(1 - p)) within 5 standard errors, eager (the
 * TypeScript kernel) and hybridized (onnxruntime's RandomUniformLike and
 * RandomNormalLike). Bernoulli's fixed probabilities 0 and 1 (the ends) give
 * exactly 0 and 1. Dropout in training mode (opset 12's training_mode input):
 * the kept fraction's moments, the scaled values and the mask where it kept. A `seed` attribute repeats a draw. Multinomial: each row's class
 * frequencies against softmax(logits) by a chi-square test (p = 0.001), a
 * class of logit -inf never drawn; its bad forms refused by name.
 */
import assert from 'node:assert/strict';
import { nd, random } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import { readModel } from '../../../compiler/onnx/index.js';
import type { Shape } from '../../../compiler/ir/types.js';
import type { DType } from '../../../runtime/dtypes.js';
import { foreignModel } from './foreign-model.js';
import { tensorFromNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertFrequencies } from '../../helpers/frequencies.js';

const N = 40_000;
const T = { FLOAT: 1, INT: 2, INTS: 7 };
const f = (name: string, v: number) => ({ name, type: T.FLOAT, f: v });
const i = (name: string, v: number) => ({ name, type: T.INT, i: v });

/** Runs the one-node model on `x` eagerly and hybridized; the two outputs. */
function run(node: OnnxNs.INodeProto, inputs: [string, Shape][], x: nd.NDArray[], out: DType = 'float32'): nd.NDArray[] {
  const bytes = foreignModel([{ ...node, output: ['y'] }], inputs, [['y', { dtype: out }]]);
  return [false, true].map((hybrid) => {
    const net = new SymbolBlock(readModel(bytes).graph, null, 'random model');
    if (hybrid) net.hybridize();
    return net.call(...x) as nd.NDArray;
  });
}

/** Sample mean and variance against the distribution's, within 5 standard errors (mu4: the fourth central moment). */
function assertMoments(y: nd.NDArray, mean: number, variance: number, mu4: number, what: string): void {
  const v = Array.from(y.data() as ArrayLike<number>, Number);
  const n = v.length;
  const m = v.reduce((a, b) => a + b, 0) / n;
  const s2 = v.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
  const seMean = Math.sqrt(variance / n);
  const seVar = Math.sqrt((mu4 - variance ** 2) / n);
  assert.ok(Math.abs(m - mean) <= 5 * seMean, `${what}: mean ${m}, expected ${mean} ± ${5 * seMean}`);
  // The second-order term: where the first vanishes (a Bernoulli of p = 1/2), s^2 - p(1-p) = -(mean - p)^2.
  const tol = 5 * seVar + 25 * seMean ** 2;
  assert.ok(Math.abs(s2 - variance) <= tol, `${what}: variance ${s2}, expected ${variance} ± ${tol}`);
}

describe('imported random operators: RandomUniform(Like), RandomNormal(Like), Bernoulli, training Dropout by dtype, shape and moments; Multinomial by frequencies', function () {
  this.timeout(120_000);
  const like = nd.zeros([200, N / 200]);

  it('RandomUniformLike and RandomUniform: uniform on [low, high)', () => {
    const [lo, hi] = [-1, 3];
    const w = hi - lo;
    const outs = [
      ...run({ opType: 'RandomUniformLike', input: ['x'], attribute: [f('low', lo), f('high', hi)] }, [['x', [200, N / 200]]], [like]),
      ...run({ opType: 'RandomUniform', input: [], attribute: [f('low', lo), f('high', hi), i('dtype', 11), { name: 'shape', type: T.INTS, ints: [200, N / 200] }] }, [], [], 'float64'),
    ];
    outs.forEach((y, k) => {
      assert.deepEqual(y.shape, [200, N / 200]);
      assert.equal(y.dtype, k < 2 ? 'float32' : 'float64');
      const v = Array.from(y.data() as ArrayLike<number>, Number);
      assert.ok(v.every((u) => u >= lo && u < hi), `draw ${k}: values outside [${lo}, ${hi})`);
      assertMoments(y, (lo + hi) / 2, (w * w) / 12, w ** 4 / 80, `uniform draw ${k}`);
    });
  });

  it('RandomNormalLike and RandomNormal: normal of mean and scale', () => {
    const [mean, scale] = [2, 0.5];
    const outs = [
      ...run({ opType: 'RandomNormalLike', input: ['x'], attribute: [f('mean', mean), f('scale', scale), i('dtype', 11)] }, [['x', [200, N / 200]]], [like], 'float64'),
      ...run({ opType: 'RandomNormal', input: [], attribute: [f('mean', mean), f('scale', scale), { name: 'shape', type: T.INTS, ints: [N] }] }, [], []),
    ];
    outs.forEach((y, k) => {
      assert.deepEqual(y.shape, k < 2 ? [200, N / 200] : [N]);
      assert.equal(y.dtype, k < 2 ? 'float64' : 'float32');
      assertMoments(y, mean, scale ** 2, 3 * scale ** 4, `normal draw ${k}`);
    });
  });

  it('a normal of scale 0 is its mean exactly, eager and hybridized (onnxruntime\'s RandomNormal asserts a positive scale and aborts the process)', () => {
    const outs = [
      ...run({ opType: 'RandomNormal', input: [], attribute: [f('mean', 5), f('scale', 0), { name: 'shape', type: T.INTS, ints: [7] }] }, [], []),
      ...run({ opType: 'RandomNormalLike', input: ['x'], attribute: [f('mean', -1.5), f('scale', 0)] }, [['x', [2, 3]]], [nd.ones([2, 3])]),
    ];
    outs.forEach((y, k) => assert.deepEqual(Array.from(y.data() as Float32Array), Array(k < 2 ? 7 : 6).fill(k < 2 ? 5 : -1.5), `draw ${k}`));
  });

  it('Bernoulli: 1 with probability p; p = 0 and p = 1 exactly', () => {
    const ps = [0, 0.25, 0.7, 1];
    const p = nd.array(Array.from({ length: N }, (_, k) => ps[k % 4]!), { shape: [N / 4, 4] });
    for (const y of run({ opType: 'Bernoulli', input: ['x'] }, [['x', [N / 4, 4]]], [p])) {
      assert.equal(y.dtype, 'float32');
      assert.deepEqual(y.shape, [N / 4, 4]);
      const v = Array.from(y.data() as ArrayLike<number>, Number);
      assert.ok(v.every((b) => b === 0 || b === 1), 'values other than 0 and 1');
      ps.forEach((q, c) => {
        const col = nd.array(v.filter((_, k) => k % 4 === c), { shape: [N / 4] });
        if (q === 0 || q === 1) assert.ok((col.data() as Float32Array).every((b) => b === q), `p = ${q} gives only ${q}`);
        else assertMoments(col, q, q * (1 - q), q * (1 - q) * (1 - 3 * q * (1 - q)), `Bernoulli p = ${q}`);
      });
    }
  });

  it('a seed attribute repeats the draw; without one, random.seed does', () => {
    const node = { opType: 'RandomUniformLike', input: ['x'], attribute: [f('seed', 7)] };
    const [a] = run(node, [['x', [3, 4]]], [nd.zeros([3, 4])]);
    const [b] = run(node, [['x', [3, 4]]], [nd.zeros([3, 4])]);
    assert.deepEqual(Array.from(a!.data() as Float32Array), Array.from(b!.data() as Float32Array));
    const plain = { opType: 'RandomNormalLike', input: ['x'] };
    random.seed(3);
    const [c] = run(plain, [['x', [5]]], [nd.zeros([5])]);
    random.seed(3);
    const [d] = run(plain, [['x', [5]]], [nd.zeros([5])]);
    assert.deepEqual(Array.from(c!.data() as Float32Array), Array.from(d!.data() as Float32Array));
  });

  it('Dropout in training mode: kept with probability 1 - ratio and scaled, the mask where it kept', () => {
    for (const ratio of [0.3, null]) {
      const p = ratio ?? 0.5;
      const x = nd.add(nd.random.uniform(0, 1, [N / 4, 4]), 1);
      const inits: [string, HostTensor][] = [['t', tensorFromNumbers('bool', [], [1])], ...(ratio === null ? [] : [['r', tensorFromNumbers('float32', [], [ratio])] as [string, HostTensor]])];
      const bytes = foreignModel([{ opType: 'Dropout', input: ['x', ratio === null ? '' : 'r', 't'], output: ['y', 'm'] }], [['x', [N / 4, 4]]], [['y', { dtype: 'float32' }], ['m', { dtype: 'bool' }]], inits);
      for (const hybrid of [false, true]) {
        const net = new SymbolBlock(readModel(bytes).graph, null, 'dropout model');
        if (hybrid) net.hybridize();
        const [y, m] = net.call(x) as nd.NDArray[];
        const what = `ratio ${ratio} ${hybrid ? 'hybridized' : 'eager'}`;
        assert.equal(m!.dtype, 'bool', what);
        const [xv, yv, mv] = [x.data() as Float32Array, y!.data() as Float32Array, Array.from(m!.data() as ArrayLike<number>, Number)];
        xv.forEach((xi, k) => assert.ok(mv[k] ? Math.abs(yv[k]! - xi / (1 - p)) <= 1e-5 * xi : yv[k] === 0, `${what}: element ${k}: x ${xi}, y ${yv[k]}, mask ${mv[k]}`));
        assertMoments(nd.array(mv, { shape: [N] }), 1 - p, p * (1 - p), p * (1 - p) * (1 - 3 * p * (1 - p)), `${what}: kept`);
      }
    }
  });

  it('Multinomial: sample_size class indices per row of softmax(logits), int32 or int64, a -inf logit never drawn', () => {
    const logits = [[0, Math.log(3), Math.log(6)], [2, -Infinity, 2]];
    const x = nd.array(logits);
    const draws = 6000;
    for (const [dtype, code] of [['int32', 6], ['int64', 7]] as const) {
      const outs = run({ opType: 'Multinomial', input: ['x'], attribute: [i('sample_size', draws), i('dtype', code), f('seed', 3)] }, [['x', [2, 3]]], [x], dtype);
      for (const [k, y] of outs.entries()) {
        const what = `${dtype} ${k ? 'hybridized' : 'eager'}`;
        assert.equal(y.dtype, dtype, what);
        assert.deepEqual(y.shape, [2, draws], what);
        const v = Array.from(y.data() as ArrayLike<number | bigint>, Number);
        logits.forEach((row, r) => {
          const e = row.map(Math.exp);
          const total = e.reduce((a, b) => a + b, 0);
          assertFrequencies(v.slice(r * draws, (r + 1) * draws), e.map((q) => q / total), `${what} row ${r}`);
        });
      }
    }
  });

  it("refuses Multinomial's bad forms, integer dtypes, a missing shape and a training Dropout of ratio 1 by name", () => {
    const model = (node: OnnxNs.INodeProto, inputs: [string, Shape][]) => foreignModel([{ ...node, output: ['y'], name: 'n' }], inputs, [['y', { dtype: 'float32' }]]);
    assert.throws(() => readModel(model({ opType: 'Multinomial', input: ['x'] }, [['x', [2, 3, 4]]])), /ONNX operator 'Multinomial' \(node 'n'\) has no gluonc equivalent: input of rank 3 \(ONNX's Multinomial takes \[batch_size, class_size\]\)/);
    assert.throws(() => readModel(model({ opType: 'Multinomial', input: ['x'], attribute: [i('dtype', 1)] }, [['x', [2, 3]]])), /ONNX operator 'Multinomial' \(node 'n'\) has no gluonc equivalent: dtype float32 \(ONNX's Multinomial gives int32 or int64\)/);
    assert.throws(() => readModel(model({ opType: 'Multinomial', input: ['x'], attribute: [i('sample_size', 0)] }, [['x', [2, 3]]])), /ONNX operator 'Multinomial' \(node 'n'\) has no gluonc equivalent: sample_size 0 \(a positive integer\)/);
    assert.throws(() => readModel(model({ opType: 'RandomUniformLike', input: ['x'], attribute: [i('dtype', 6)] }, [['x', [2]]])), /ONNX operator 'RandomUniformLike' \(node 'n'\) has no gluonc equivalent: dtype int32 \(gluonc draws float32 or float64\)/);
    const ratio1 = foreignModel([{ opType: 'Dropout', input: ['x', 'r', 't'], output: ['y'], name: 'n' }], [['x', [2]]], [['y', { dtype: 'float32' }]], [['r', tensorFromNumbers('float32', [], [1])], ['t', tensorFromNumbers('bool', [], [1])]]);
    assert.throws(() => readModel(ratio1), /ONNX operator 'Dropout' \(node 'n'\) has no gluonc equivalent: ratio 1 is not in \[0, 1\)/);
    assert.throws(() => readModel(model({ opType: 'RandomNormal', input: [] }, [])), /ONNX operator 'RandomNormal' \(node 'n'\): attribute 'shape' of RandomNormal-1 is required but absent/);
  });
});
