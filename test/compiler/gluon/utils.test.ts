import assert from 'node:assert/strict';
import { nd, gluon, autograd, context, random } from 'gluonc';
import { numpyRefs } from '../../helpers/numpy.js';

const { utils } = gluon;

describe('gluon.utils', () => {
  it("splitData: MXNet's even and uneven slices along an axis, and its errors", () => {
    assert.deepEqual(utils.splitData(nd.arange(6), 3).map((s) => s.toArray()), [[0, 1], [2, 3], [4, 5]]);
    // Uneven: the first size % n slices get one more (MXNet's section sizes).
    assert.deepEqual(utils.splitData(nd.arange(7), 3, 0, false).map((s) => s.toArray()), [[0, 1, 2], [3, 4], [5, 6]]);
    const m = nd.arange(8).reshape([2, 4]);
    assert.deepEqual(utils.splitData(m, 2, 1).map((s) => s.toArray()), [[[0, 1], [4, 5]], [[2, 3], [6, 7]]]);
    assert.deepEqual(utils.splitData(m, 2, -1).map((s) => s.shape), [[2, 2], [2, 2]]);
    assert.throws(() => utils.splitData(nd.arange(7), 3), /splitData: data with shape \[7\] cannot be evenly split into 3 slices along axis 0/);
    assert.throws(() => utils.splitData(nd.arange(2), 3, 0, false), /splitData: too many slices \(3\) for data of size 2/);
    assert.throws(() => utils.splitData(nd.arange(2), 0), /numSlice must be an integer >= 1, got 0/);
    assert.throws(() => utils.splitData(m, 2, 2), /batchAxis 2 is out of range for data of shape \[2, 4\]/);
    const x = nd.arange(4);
    assert.equal(utils.splitAndLoad(x, [context.cpu()])[0], x, 'one device: the batch itself');
    assert.deepEqual(utils.splitAndLoad([[1, 2], [3, 4]], [context.cpu(), context.cpu()]).map((s) => s.toArray()), [[[1, 2]], [[3, 4]]]);
    assert.throws(() => utils.splitAndLoad(x, []), /splitAndLoad: ctxList must be a non-empty list/);
  });

  it("splitData and splitAndLoad take MXNet's keyword arguments as an options object (d2l's split_and_load(X, devices, even_split=False)); misspelt ones are errors", () => {
    const x = nd.arange(10).reshape([5, 2]);
    const devices = [context.cpu(), context.cpu()];
    assert.deepEqual(utils.splitAndLoad(x, devices, { evenSplit: false }).map((s) => s.shape), [[3, 2], [2, 2]]);
    assert.deepEqual(utils.splitAndLoad(x, devices, { batchAxis: 1 }).map((s) => s.shape), [[5, 1], [5, 1]]);
    assert.deepEqual(utils.splitAndLoad(x, devices, 0, false).map((s) => s.shape), [[3, 2], [2, 2]]);
    assert.deepEqual(utils.splitData(x, 2, { evenSplit: false }).map((s) => s.shape), [[3, 2], [2, 2]]);
    assert.deepEqual(utils.splitData(x, { numSlice: 2, batchAxis: 1 }).map((s) => s.shape), [[5, 1], [5, 1]]);
    assert.throws(() => utils.splitAndLoad(x, [context.cpu()], { even_split: false } as never), /splitAndLoad: .*even_split/);
    assert.throws(() => utils.splitData(x, 2, 0, { batchAxis: 1 } as never), /splitData: got multiple values for argument 'batchAxis'/);
  });

  it('clipGlobalNorm matches numpy: rescales in place past maxNorm, leaves arrays below it, returns the norm', () => {
    random.seed(3);
    const a = nd.random.uniform(-2, 2, [3, 4]);
    const b = nd.random.uniform(-2, 2, [5]);
    const [ref] = numpyRefs([{
      code: 'n = np.sqrt((a.astype(np.float64) ** 2).sum() + (b.astype(np.float64) ** 2).sum()); s = min(1.0, 1.5 / (n + 1e-8)); out = [n, a * s, b * s]',
      inputs: [a, b].map((x) => ({ shape: x.shape, dtype: 'float32', data: Array.from(x.data() as Float32Array) })),
    }]);
    assert.equal(ref!.error, undefined, ref!.error);
    const norm = utils.clipGlobalNorm([a, b], 1.5);
    assert.ok(Math.abs(norm - (ref!.outs[0]!.data[0] as number)) < 1e-9, `${norm}`);
    [a, b].forEach((x, k) => Array.from(x.data() as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - (ref!.outs[k + 1]!.data[i] as number)) < 1e-6, `array ${k}[${i}]`)));
    const after = Math.sqrt([a, b].reduce((s, x) => s + Array.from(x.data() as Float32Array).reduce((t, v) => t + v * v, 0), 0));
    assert.ok(Math.abs(after - 1.5) < 1e-5);
    // Below the limit (and exactly at it): untouched.
    const c = nd.array([3, 4]);
    assert.equal(utils.clipGlobalNorm([c], 5), 5);
    assert.deepEqual(c.toArray(), [3, 4]);
    assert.equal(utils.clipGlobalNorm([c], 10), 5);
    assert.deepEqual(c.toArray(), [3, 4]);
    // float64 and float16 arrays.
    const d = nd.array([6, 8], { dtype: 'float64' });
    utils.clipGlobalNorm([d], 5);
    assert.deepEqual(d.toArray(), [6 * (5 / (10 + 1e-8)), 8 * (5 / (10 + 1e-8))]);
    const h = nd.array([6, 8], { dtype: 'float16' });
    utils.clipGlobalNorm([h], 5);
    assert.deepEqual(h.toArray(), [3, 4]);
  });

  it('clipGlobalNorm warns on a NaN norm and refuses bad input by name', async () => {
    const seen: string[] = [];
    const listen = (w: Error) => seen.push(w.message);
    process.on('warning', listen);
    try {
      const x = nd.array([NaN, 1]);
      assert.ok(Number.isNaN(utils.clipGlobalNorm([x], 1)));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listen);
    }
    assert.ok(seen.some((m) => /clipGlobalNorm: nan or inf is detected/.test(m)), seen.join('; '));
    assert.throws(() => utils.clipGlobalNorm([], 1), /clipGlobalNorm: needs a non-empty list of NDArrays/);
    assert.throws(() => utils.clipGlobalNorm([nd.ones([2])], 0), /clipGlobalNorm: maxNorm must be a positive number, got 0/);
    assert.throws(() => utils.clipGlobalNorm([nd.ones([2])], NaN), /got NaN/);
    assert.throws(() => utils.clipGlobalNorm([nd.ones([2], { dtype: 'int32' })], 1), /clipGlobalNorm: array 0 has dtype int32/);
  });

  for (const hybrid of [false, true]) {
    it(`a training step uses the clipped gradients (${hybrid ? 'hybridized' : 'eager'}): w ← w − lr·clip(g)`, () => {
      random.seed(1);
      const net = new gluon.nn.Dense(3, { inUnits: 4 });
      net.initialize();
      if (hybrid) net.hybridize();
      const params = [...net.collectParams().values()];
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 1 });
      const x = nd.random.uniform(-1, 1, [2, 4]);
      const before = params.map((p) => Array.from(p.data().data() as Float32Array));
      const loss = autograd.record(() => net.call(x).square().sum().mul(10));
      loss.backward();
      const grads = params.map((p) => p.grad());
      const raw = grads.map((g) => Array.from(g.data() as Float32Array));
      const norm = utils.clipGlobalNorm(grads, 0.1);
      assert.ok(norm > 0.1, `the test needs clipping (norm ${norm})`);
      const scale = 0.1 / (norm + 1e-8);
      trainer.step(1);
      params.forEach((p, k) => {
        const now = Array.from(p.data().data() as Float32Array);
        now.forEach((v, i) => assert.ok(Math.abs(v - (before[k]![i]! - scale * raw[k]![i]!)) < 1e-6, `${p.name}[${i}]: ${v}`));
      });
    });
  }
});
