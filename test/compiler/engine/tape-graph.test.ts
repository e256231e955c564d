/**
 * The compiled backward of an eager tape (compiler/engine/tape-graph.ts):
 * gradients against float64 numpy references (relu at its kink, max with
 * ties), the compile threshold, and every change of structure that must not
 * reuse a compiled graph: shapes, dtypes, attributes, operators, which arrays
 * carry and receive gradients, head gradients, training mode and Dropout's
 * per-step randomness.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, profiler, random } from 'gluonc';
import { setEagerCompileAfter } from '../../../compiler/engine/eager-compile.js';
import { clearTapeCache, tapeCacheSize } from '../../../compiler/engine/tape-graph.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const flat = (x: nd.NDArray): number[] => Array.from(x.data() as ArrayLike<number>, Number);
const np = (x: nd.NDArray) => ({ shape: x.shape, dtype: x.dtype, data: flat(x) });

/** Runs `fn` with the compiled backward at the given threshold (Infinity: eager), then restores it. */
function withThreshold<R>(n: number, fn: () => R): R {
  const old = setEagerCompileAfter(n);
  try {
    return fn();
  } finally {
    setEagerCompileAfter(old);
  }
}

/** Session runs and compiles while `fn` runs. */
function measure(fn: () => void): { runs: number; compiles: number } {
  const a = profiler.counters();
  fn();
  const b = profiler.counters();
  return { runs: b.sessionRuns - a.sessionRuns, compiles: b.compiles - a.compiles };
}

// The MLP's gradients in float64: softmax cross-entropy (mean over the batch as backward's ones head
// gives a sum of per-example losses), relu'(0) = 0 as MXNet's relu backward (x > 0).
const MLP_REF = `
x, y, w1, b1, w2, b2, w3, b3 = a, b, c, d, e, f, g, h
z1 = x @ w1.T + b1; h1 = np.maximum(z1, 0)
z2 = h1 @ w2.T + b2; h2 = np.maximum(z2, 0)
z3 = h2 @ w3.T + b3
p = np.exp(z3 - z3.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
d3 = p.copy(); d3[np.arange(len(y)), y.astype(int)] -= 1
gw3 = d3.T @ h2; gb3 = d3.sum(0)
d2 = (d3 @ w3) * (z2 > 0); gw2 = d2.T @ h1; gb2 = d2.sum(0)
d1 = (d2 @ w2) * (z1 > 0); gw1 = d1.T @ x; gb1 = d1.sum(0)
out = [gw1, gb1, gw2, gb2, gw3, gb3]
`;

describe('tape-graph: the compiled backward of an eager tape', () => {
  beforeEach(() => clearTapeCache());
  after(() => clearTapeCache());

  it('MLP gradients (Dense-relu x2, softmax cross-entropy) match float64 numpy, eager and compiled, zero rows at the relu kink', () => {
    random.seed(3);
    const net = new gluon.nn.Sequential();
    net.add(new gluon.nn.Dense(16, { activation: 'relu' }), new gluon.nn.Dense(8, { activation: 'relu' }), new gluon.nn.Dense(5));
    net.initialize();
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const xs = nd.random.uniform(-1, 1, [6, 12]).data() as Float32Array;
    xs.fill(0, 0, 24); // rows 0 and 1: every pre-activation is exactly 0 (zero biases)
    const x = nd.array(xs, { shape: [6, 12] });
    const y = nd.array([0, 1, 2, 3, 4, 2]);
    const params = [...net.collectParams().values()];
    const step = () => autograd.record(() => loss.call(net.call(x), y)).backward();
    net.call(x); // the deferred shapes
    const [ref] = numpyRefs([{ code: MLP_REF, inputs: [np(x), np(y), ...params.map((p) => np(p.data()))] }]);
    const grads = (): number[][] => params.map((p) => flat(p.grad()));
    const eager = withThreshold(Infinity, () => (step(), grads()));
    const compiled = withThreshold(1, () => {
      const first = measure(step);
      assert.equal(first.compiles, 1, 'the first backward compiles its graph');
      const g = grads();
      params.forEach((p) => (p.grad()._host.data as Float32Array).fill(0));
      const forward = measure(() => autograd.record(() => loss.call(net.call(x), y)));
      const second = measure(step);
      // Parameters' gradients are pending until read (a compiled update would compute them in its own graph).
      assert.deepEqual(second, { runs: forward.runs, compiles: 0 }, 'the forward pass; the backward waits');
      let g2: number[][] = [];
      assert.deepEqual(measure(() => (g2 = grads())), { runs: 1, compiles: 0 }, 'reading the gradients runs the whole backward once');
      return [g, g2];
    });
    ref!.outs.forEach((r, i) => {
      assertClose(eager[i]!, r.data, `eager ${params[i]!.name}`, 1e-4, 1e-5);
      assertClose(compiled[0]![i]!, r.data, `compiled ${params[i]!.name}`, 1e-4, 1e-5);
      assertClose(compiled[1]![i]!, r.data, `compiled again ${params[i]!.name}`, 1e-4, 1e-5);
    });
  });

  it('max with ties splits the gradient among the tied elements, compiled as eager', () => {
    const cases = [
      [[1, 3, 3, 2], [5, 5, 5, 5]],
      [[0, 0, -1, 0], [-2, 7, 7, 1]],
    ];
    const [ref] = numpyRefs([{ code: 'm = (a == a.max(1, keepdims=True)); out = m / m.sum(1, keepdims=True) * np.array([[1.0], [2.0]])', inputs: [{ shape: [2, 4], dtype: 'float32', data: cases[0]!.flat() }] }]);
    const [ref2] = numpyRefs([{ code: 'm = (a == a.max(1, keepdims=True)); out = m / m.sum(1, keepdims=True) * np.array([[1.0], [2.0]])', inputs: [{ shape: [2, 4], dtype: 'float32', data: cases[1]!.flat() }] }]);
    withThreshold(1, () => {
      cases.forEach((c, i) => {
        const x = nd.array(c);
        x.attachGrad();
        autograd.record(() => x.max({ axis: 1 }).mul(nd.array([1, 2])).sum()).backward();
        assertClose(flat(x.grad), (i === 0 ? ref : ref2)!.outs[0]!.data, `ties case ${i}`, 0, 1e-6);
      });
      assert.equal(tapeCacheSize(), 1, 'same structure, other values: one graph');
    });
  });

  it('a structure is compiled at its second sighting by default; a one-off backward stays eager', () => {
    const x = nd.array([1, -2, 3]);
    x.attachGrad();
    const f = () => autograd.record(() => x.relu().mul(x).sum()).backward();
    assert.equal(measure(f).compiles, 0);
    assert.equal(tapeCacheSize(), 0);
    assert.equal(measure(f).compiles, 1);
    assert.deepEqual(flat(x.grad), [2, 0, 6]);
    const third = measure(f);
    assert.deepEqual(third, { runs: 1, compiles: 0 });
    assert.deepEqual(flat(x.grad), [2, 0, 6]);
    assert.equal(withThreshold(Infinity, () => measure(f)).compiles, 0);
  });

  it('other shapes, dtypes, attributes and operators compile their own graphs (results checked against float64 numpy)', () => {
    withThreshold(1, () => {
      const jobs: { code: string; x: nd.NDArray; run: (x: nd.NDArray) => nd.NDArray }[] = [];
      const vals = (n: number) => Array.from({ length: n }, (_v, i) => ((i * 7) % 11) / 4 - 1.2);
      const sq = (x: nd.NDArray) => x.mul(x).mul(nd.array(vals(x.shape[1]!), { dtype: x.dtype })).sum();
      const w = (n: number) => `np.array(${JSON.stringify(vals(n))})`;
      jobs.push({ x: nd.array(vals(6), { shape: [2, 3] }), run: sq, code: `2 * a * ${w(3)}` });
      jobs.push({ x: nd.array(vals(12), { shape: [3, 4] }), run: sq, code: `2 * a * ${w(4)}` });
      jobs.push({ x: nd.array(vals(12), { shape: [3, 4], dtype: 'float64' }), run: sq, code: `2 * a * ${w(4)}` });
      jobs.push({ x: nd.array(vals(12), { shape: [3, 4] }), run: (x) => nd.clip(x, -0.5, 0.7).sum(), code: '((a > -0.5) & (a < 0.7)) * 1.0' });
      jobs.push({ x: nd.array(vals(12), { shape: [3, 4] }), run: (x) => nd.clip(x, -1.05, 0.35).sum(), code: '((a > -1.05) & (a < 0.35)) * 1.0' });
      jobs.push({ x: nd.array(vals(12), { shape: [3, 4] }), run: (x) => x.sigmoid().sum(), code: 's = 1 / (1 + np.exp(-a)); out = s * (1 - s)' });
      jobs.push({ x: nd.array(vals(12), { shape: [3, 4] }), run: (x) => x.tanh().sum(), code: '1 - np.tanh(a) ** 2' });
      jobs.push({ x: nd.array(vals(12), { shape: [3, 4] }), run: (x) => x.sum({ axis: 0 }).mul(nd.array([1, 2, 3, 4])).sum(), code: 'np.ones((3, 1)) * np.array([1, 2, 3, 4])' });
      jobs.push({ x: nd.array(vals(12), { shape: [3, 4] }), run: (x) => x.sum({ axis: 1 }).mul(nd.array([1, 2, 3])).sum(), code: 'np.array([[1], [2], [3]]) * np.ones((1, 4))' });
      const refs = numpyRefs(jobs.map((j) => ({ code: j.code, inputs: [np(j.x)] })));
      // Twice: the second round runs the cached graphs, which must still be each case's own.
      for (let round = 0; round < 2; round++) {
        jobs.forEach((j, i) => {
          j.x.attachGrad();
          autograd.record(() => j.run(j.x)).backward();
          assertClose(flat(j.x.grad), refs[i]!.outs[0]!.data, `case ${i} round ${round}: ${j.code}`, 1e-5, 1e-6);
          assert.equal(j.x.grad.dtype, j.x.dtype);
        });
      }
      assert.equal(tapeCacheSize(), jobs.length, 'one graph per case');
    });
  });

  it('which leaves carry gradients, gradReq add and a head gradient are part of the structure', () => {
    withThreshold(1, () => {
      const a = nd.array([1, 2, 3]);
      const b = nd.array([4, 5, 6]);
      a.attachGrad();
      const f = () => autograd.record(() => a.mul(b).sum());
      f().backward();
      assert.deepEqual(flat(a.grad), [4, 5, 6]);
      b.attachGrad('add');
      for (let i = 0; i < 3; i++) f().backward();
      assert.deepEqual(flat(a.grad), [4, 5, 6], "a is 'write'");
      assert.deepEqual(flat(b.grad), [3, 6, 9], "b accumulates ('add')");
      const y = autograd.record(() => a.mul(b));
      y.backward(nd.array([1, 10, 100]));
      assert.deepEqual(flat(a.grad), [4, 50, 600]);
      autograd.record(() => a.mul(b)).backward();
      assert.deepEqual(flat(a.grad), [4, 5, 6], 'no head gradient: ones');
      assert.throws(() => autograd.record(() => a.mul(b)).backward(nd.array([1, 2])), /head gradient of shape \[2\] for a head of shape \[3\]/);
      // The same check on a hybridized block's pending output (the fused program's backward), also for a
      // head gradient of the same size but another shape.
      const net = new gluon.nn.Dense(3, { inUnits: 2 });
      net.initialize();
      net.hybridize();
      const x = nd.ones([1, 2]);
      assert.throws(() => autograd.record(() => net.call(x) as nd.NDArray).backward(nd.ones([3])), /head gradient of shape \[3\] for a head of shape \[1,3\]/);
      autograd.record(() => net.call(x) as nd.NDArray).backward(nd.ones([1, 3]));
    });
  });

  it('Dropout in training draws a new mask every step (eager backward follows it); in prediction it is the identity', () => {
    withThreshold(1, () => {
      const x = nd.array(Array.from({ length: 64 }, (_v, i) => 1 + (i % 5)));
      x.attachGrad();
      const masks: string[] = [];
      for (let step = 0; step < 3; step++) {
        let out!: nd.NDArray;
        autograd.record(() => (out = nd.Dropout(x.mul(2), { p: 0.5 })).sum()).backward();
        // d sum(dropout(2x)) / dx = 2 · mask / (1 - p) = out / x, element by element.
        const o = flat(out);
        const xv = flat(x);
        assertClose(flat(x.grad), o.map((v, i) => v / xv[i]!), `train step ${step}`, 1e-6, 1e-6);
        masks.push(o.map((v) => (v === 0 ? 0 : 1)).join(''));
      }
      assert.equal(new Set(masks).size, 3, 'each step its own mask');
      for (let step = 0; step < 2; step++) {
        autograd.record(() => nd.Dropout(x.mul(2), { p: 0.5 }).sum(), { trainMode: false }).backward();
        assert.deepEqual(flat(x.grad), new Array(64).fill(2), `predict step ${step}`);
      }
      assert.equal(tapeCacheSize(), 1, 'only the prediction-mode tape compiles');
    });
  });
});
