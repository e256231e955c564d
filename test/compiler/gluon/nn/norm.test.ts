import assert from 'node:assert/strict';
import { nd, gluon, init, autograd, random } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { gradsVsTorch } from '../../../helpers/layers.js';
import { numpyRefs, type NumpyJob } from '../../../helpers/numpy.js';

const { nn } = gluon;
type BatchNorm = InstanceType<typeof nn.BatchNorm>;
type BatchNormOptions = gluon.nn.BatchNormOptions;

const flat = (x: nd.NDArray) => Array.from(x.data() as Float32Array);
const f64 = (x: nd.NDArray) => ({ shape: x.shape, dtype: 'float64', data: flat(x) });

/** numpy: BatchNorm output with batch statistics and the updated running statistics (MXNet: biased variance). */
const BN_TRAIN = `
ax = attrs['axis'] % a.ndim
axes = tuple(i for i in range(a.ndim) if i != ax)
shp = [1] * a.ndim; shp[ax] = -1
m = a.mean(axis=axes); v = a.var(axis=axes)
g = b if attrs['scale'] else np.ones_like(b)
y = (a - m.reshape(shp)) / np.sqrt(v.reshape(shp) + attrs['eps']) * g.reshape(shp) + c.reshape(shp)
mom = attrs['momentum']
out = [y, mom * d + (1 - mom) * m, mom * e + (1 - mom) * v]
`;
/** numpy: BatchNorm output with the running statistics. */
const BN_INFER = `
ax = attrs['axis'] % a.ndim
shp = [1] * a.ndim; shp[ax] = -1
g = b if attrs['scale'] else np.ones_like(b)
out = (a - d.reshape(shp)) / np.sqrt(e.reshape(shp) + attrs['eps']) * g.reshape(shp) + c.reshape(shp)
`;

interface BnState {
  gamma: number[];
  beta: number[];
  mean: number[];
  variance: number[];
}

function makeBn(c: number, options: BatchNormOptions = {}): BatchNorm {
  const bn = new nn.BatchNorm({
    inChannels: c,
    gammaInitializer: new init.Constant(Array.from({ length: c }, (_v, i) => 1 + 0.5 * i)),
    betaInitializer: new init.Constant(Array.from({ length: c }, (_v, i) => 0.1 * i - 0.2)),
    runningMeanInitializer: new init.Constant(Array.from({ length: c }, (_v, i) => 0.3 * i)),
    runningVarianceInitializer: new init.Constant(Array.from({ length: c }, (_v, i) => 1 + i)),
    ...options,
  });
  bn.initialize();
  return bn;
}

function stateOf(bn: BatchNorm): BnState {
  return { gamma: flat(bn.gamma.data()), beta: flat(bn.beta.data()), mean: flat(bn.runningMean.data()), variance: flat(bn.runningVar.data()) };
}

function bnJob(code: string, x: nd.NDArray, s: BnState, attrs: Record<string, unknown>): NumpyJob {
  const v = (data: number[]) => ({ shape: [data.length], dtype: 'float64', data });
  return { code, inputs: [f64(x), v(s.gamma), v(s.beta), v(s.mean), v(s.variance)], attrs };
}

describe('gluon.nn normalization layers', () => {
  beforeEach(() => random.seed(5));

  it('BatchNorm has MXNet parameters: gamma, beta (trained), running_mean, running_var (not differentiable), deferred [C]', () => {
    const bn = new nn.BatchNorm();
    assert.deepEqual(bn.collectParams().keys(), ['gamma', 'beta', 'running_mean', 'running_var']);
    assert.deepEqual(bn.gamma.shape, [0]);
    assert.equal(bn.gamma.gradReq, 'write');
    assert.equal(bn.beta.gradReq, 'write');
    for (const p of [bn.runningMean, bn.runningVar]) {
      assert.equal(p.differentiable, false);
      assert.equal(p.gradReq, 'null');
    }
    bn.initialize();
    bn.call(nd.ones([2, 3, 4]));
    assert.deepEqual(stateOf(bn), { gamma: [1, 1, 1], beta: [0, 0, 0], mean: [0, 0, 0], variance: [1, 1, 1] });
    const fixed = new nn.BatchNorm({ center: false, scale: false, inChannels: 2 });
    assert.deepEqual(fixed.gamma.shape, [2]);
    assert.equal(fixed.gamma.gradReq, 'null');
    assert.equal(fixed.gamma.differentiable, false);
    assert.equal(fixed.beta.gradReq, 'null');
    assert.equal(String(fixed), 'BatchNorm(axis=1, eps=0.00001, momentum=0.9, fixGamma=true, useGlobalStats=false, inChannels=2)');
  });

  for (const [label, shapes, axis, momentum] of [
    ['NCW, axis 1', [[4, 3, 5], [6, 3, 5]], 1, 0.9],
    ['NC (after Dense), axis 1', [[8, 3], [5, 3]], 1, 0.8],
    ['NWC, axis -1', [[4, 5, 3], [2, 5, 3]], -1, 0.9],
  ] as [string, number[][], number, number][]) {
    it(`BatchNorm ${label}: eager and hybridized training steps update running stats alike and match numpy`, () => {
      const c = 3;
      const eager = makeBn(c, { axis, momentum });
      const hybrid = makeBn(c, { axis, momentum });
      hybrid.hybridize();
      const attrs = { axis, momentum, eps: 1e-5, scale: true };
      let ref = stateOf(eager);
      for (const shape of [...shapes, shapes[0]!]) {
        const x = nd.random.normal(1, 2, shape);
        const ye = autograd.trainMode(() => eager.call(x)) as nd.NDArray;
        const yh = autograd.trainMode(() => hybrid.call(x)) as nd.NDArray;
        const [r] = numpyRefs([bnJob(BN_TRAIN, x, ref, attrs)]);
        const [y, m, v] = r!.outs;
        assertClose(flat(ye), y!.data, `${label}: eager training output vs numpy`, 1e-4, 1e-5);
        assertClose(flat(yh), y!.data, `${label}: hybridized training output vs numpy`, 1e-4, 1e-5);
        for (const [name, bn] of [['eager', eager], ['hybridized', hybrid]] as const) {
          assertClose(flat(bn.runningMean.data()), m!.data, `${label}: ${name} runningMean vs numpy`, 1e-5, 1e-6);
          assertClose(flat(bn.runningVar.data()), v!.data, `${label}: ${name} runningVar vs numpy`, 1e-5, 1e-6);
        }
        assertClose(flat(hybrid.runningMean.data()), flat(eager.runningMean.data()), `${label}: hybridized vs eager runningMean`, 1e-5, 1e-6);
        assertClose(flat(hybrid.runningVar.data()), flat(eager.runningVar.data()), `${label}: hybridized vs eager runningVar`, 1e-5, 1e-6);
        ref = { ...ref, mean: m!.data as number[], variance: v!.data as number[] };
      }
      assert.equal(hybrid.cacheSize, 2, 'one compiled signature per batch size');
      // Inference uses (and does not change) the running statistics.
      for (const shape of shapes) {
        const x = nd.random.normal(1, 2, shape);
        const before = stateOf(eager);
        const ye = eager.call(x) as nd.NDArray;
        const yh = hybrid.call(x) as nd.NDArray;
        const [r] = numpyRefs([bnJob(BN_INFER, x, before, attrs)]);
        assertClose(flat(ye), r!.outs[0]!.data, `${label}: eager inference vs numpy`, 1e-4, 1e-5);
        assertClose(flat(yh), r!.outs[0]!.data, `${label}: hybridized inference vs numpy`, 1e-4, 1e-5);
        assert.deepEqual(stateOf(eager), before, 'inference leaves the running statistics alone');
        assertClose(flat(hybrid.runningVar.data()), before.variance, 'hybridized inference leaves runningVar alone');
      }
    });
  }

  it('BatchNorm with scale false ignores gamma (fixGamma); useGlobalStats uses and keeps the running stats in training', () => {
    const x = nd.random.normal(0, 3, [5, 3, 2]);
    const noScale = makeBn(3, { scale: false });
    const s0 = stateOf(noScale);
    const [r] = numpyRefs([bnJob(BN_TRAIN, x, s0, { axis: 1, momentum: 0.9, eps: 1e-5, scale: false })]);
    assertClose(flat(autograd.trainMode(() => noScale.call(x)) as nd.NDArray), r!.outs[0]!.data, 'scale false vs numpy', 1e-4, 1e-5);
    noScale.hybridize();
    const [ri] = numpyRefs([bnJob(BN_INFER, x, stateOf(noScale), { axis: 1, eps: 1e-5, scale: false })]);
    assertClose(flat(noScale.call(x) as nd.NDArray), ri!.outs[0]!.data, 'scale false, hybridized inference vs numpy', 1e-4, 1e-5);

    for (const hybrid of [false, true]) {
      const g = makeBn(3, { useGlobalStats: true, epsilon: 1e-3 });
      if (hybrid) g.hybridize();
      const before = stateOf(g);
      const y = autograd.trainMode(() => g.call(x)) as nd.NDArray;
      const [rg] = numpyRefs([bnJob(BN_INFER, x, before, { axis: 1, eps: 1e-3, scale: true })]);
      assertClose(flat(y), rg!.outs[0]!.data, `useGlobalStats (${hybrid ? 'hybridized' : 'eager'}) vs numpy`, 1e-4, 1e-5);
      assert.deepEqual(stateOf(g), before, 'useGlobalStats leaves the running statistics alone');
    }
  });

  it('BatchNorm inside a hybridized HybridSequential updates its running stats like the eager one', () => {
    const build = () => {
      random.seed(9);
      const net = new nn.HybridSequential();
      net.add(new nn.Dense(4, { inUnits: 5 }), new nn.BatchNorm(), new nn.Activation('relu'));
      net.initialize();
      return net;
    };
    const eager = build();
    const hybrid = build();
    hybrid.hybridize();
    for (const n of [6, 3]) {
      const x = nd.random.normal(0, 1, [n, 5]);
      const ye = autograd.trainMode(() => eager.call(x)) as nd.NDArray;
      const yh = autograd.trainMode(() => hybrid.call(x)) as nd.NDArray;
      assertClose(flat(yh), flat(ye), `training output, batch ${n}`, 1e-4, 1e-5);
    }
    for (const k of ['1.running_mean', '1.running_var']) {
      const pe = eager.collectParams().get(k);
      const ph = hybrid.collectParams().get(k);
      assert.deepEqual(pe.shape, [4]);
      assertClose(flat(ph.data()), flat(pe.data()), k, 1e-5, 1e-6);
      assert.notDeepEqual(flat(pe.data()), k.endsWith('mean') ? [0, 0, 0, 0] : [1, 1, 1, 1], `${k} was updated`);
    }
  });

  // MXNet's BatchNorm.cast keeps float32 under float16 (its running statistics would otherwise round at every
  // momentum step); Block.cast casts through each child's cast, so the override applies inside a network.
  it('cast(\'float16\') keeps BatchNorm\'s parameters and running statistics float32 (MXNet), eager and hybridized, forward, statistics and gradients', () => {
    for (const hybrid of [false, true]) {
      const net = new nn.HybridSequential();
      const bn = makeBn(3);
      net.add(bn);
      net.cast('float16');
      assert.deepEqual([bn.gamma, bn.beta, bn.runningMean, bn.runningVar].map((p) => p.dtype), ['float32', 'float32', 'float32', 'float32']);
      if (hybrid) net.hybridize();
      random.seed(4);
      const x = nd.random.normal(0.5, 2, [6, 3, 2]).astype('float16');
      const s0 = stateOf(bn);
      x.attachGrad();
      const y = autograd.record(() => net.call(x) as nd.NDArray);
      y.backward(nd.onesLike(y).mul(nd.arange(36).reshape([6, 3, 2]).astype('float16')));
      const what = hybrid ? 'hybridized' : 'eager';
      assert.equal(y.dtype, 'float16', what);
      assert.equal(x.grad!.dtype, 'float16', what);
      assert.equal(bn.gamma.grad().dtype, 'float32', what);
      const xs = { shape: x.shape, dtype: 'float64', data: Array.from(x.astype('float64').data() as Float64Array) };
      const [ref] = numpyRefs([{ ...bnJob(BN_TRAIN, x.astype('float32'), s0, { axis: 1, eps: 1e-5, momentum: 0.9, scale: true }), inputs: [xs, ...bnJob(BN_TRAIN, x.astype('float32'), s0, {}).inputs.slice(1)] }]);
      assert.equal(ref!.error, undefined, ref!.error);
      assertClose(y.astype('float64').data() as Float64Array, ref!.outs[0]!.data, `${what} output`, 2e-3, 2e-3);
      // float32 statistics: float32 precision of the float16 data's moments, not float16's.
      assertClose(flat(bn.runningMean.data()), ref!.outs[1]!.data, `${what} running_mean`, 1e-6, 1e-6);
      assertClose(flat(bn.runningVar.data()), ref!.outs[2]!.data, `${what} running_var`, 1e-6, 1e-6);
    }
  });

  it('nd.BatchNorm in training mode updates the moving mean and variance it was given, in place, with MXNet\'s momentum rule', () => {
    // MXNet (src/operator/nn/batch_norm.cc): moving = moving * momentum + batch * (1 - momentum), biased batch variance.
    const x = nd.random.normal(1, 2, [4, 3, 5]);
    const gamma = nd.array([1, 1.5, 2]);
    const beta = nd.array([-0.2, -0.1, 0]);
    const mean = nd.array([0, 0.3, 0.6]);
    const variance = nd.array([1, 2, 3]);
    const state = { gamma: flat(gamma), beta: flat(beta), mean: flat(mean), variance: flat(variance) };
    const attrs = { axis: 1, momentum: 0.7, eps: 1e-5, scale: true };
    const [r] = numpyRefs([bnJob(BN_TRAIN, x, state, attrs)]);
    const [y, m, v] = r!.outs;
    const out = autograd.record(() => nd.BatchNorm(x, gamma, beta, mean, variance, { momentum: 0.7, eps: 1e-5, fixGamma: false }));
    assertClose(flat(out), y!.data, 'output with batch statistics', 1e-4, 1e-5);
    assertClose(flat(mean), m!.data, 'movingMean updated in place', 1e-5, 1e-6);
    assertClose(flat(variance), v!.data, 'movingVar updated in place', 1e-5, 1e-6);
    // A second step starts from the updated values.
    const [r2] = numpyRefs([bnJob(BN_TRAIN, x, { ...state, mean: m!.data as number[], variance: v!.data as number[] }, attrs)]);
    autograd.trainMode(() => nd.BatchNorm(x, gamma, beta, mean, variance, { momentum: 0.7, eps: 1e-5, fixGamma: false }));
    assertClose(flat(mean), r2!.outs[1]!.data, 'second step, movingMean', 1e-5, 1e-6);
    assertClose(flat(variance), r2!.outs[2]!.data, 'second step, movingVar', 1e-5, 1e-6);
    // Prediction mode, recording in prediction mode and useGlobalStats leave them alone.
    const before = [flat(mean), flat(variance)];
    nd.BatchNorm(x, gamma, beta, mean, variance);
    autograd.record(() => nd.BatchNorm(x, gamma, beta, mean, variance), { trainMode: false });
    autograd.record(() => nd.BatchNorm(x, gamma, beta, mean, variance, { useGlobalStats: true }));
    assert.deepEqual([flat(mean), flat(variance)], before);
    // momentum 1 keeps them; momentum 0 replaces them by the batch statistics (the rule's two ends).
    const keep = [nd.array([0.5, 0.5, 0.5]), nd.array([2, 2, 2])] as const;
    autograd.record(() => nd.BatchNorm(x, gamma, beta, keep[0], keep[1], { momentum: 1 }));
    assert.deepEqual([flat(keep[0]), flat(keep[1])], [[0.5, 0.5, 0.5], [2, 2, 2]]);
    const take = [nd.zeros([3]), nd.ones([3])] as const;
    const [r0] = numpyRefs([bnJob(BN_TRAIN, x, { ...state, mean: [0, 0, 0], variance: [1, 1, 1] }, { ...attrs, momentum: 0 })]);
    autograd.record(() => nd.BatchNorm(x, gamma, beta, take[0], take[1], { momentum: 0 }));
    assertClose(flat(take[0]), r0!.outs[1]!.data, 'momentum 0: the batch mean', 1e-5, 1e-6);
    assertClose(flat(take[1]), r0!.outs[2]!.data, 'momentum 0: the batch variance', 1e-5, 1e-6);
  });

  it('BatchNorm refuses a wrong-rank input or a wrong channel count, naming the block and the shapes', () => {
    const bn = new nn.BatchNorm();
    bn.initialize();
    assert.throws(() => bn.call(nd.ones([4])), /BatchNorm \(block '[^']*BatchNorm'\): axis 1 is out of range for an input of shape \[4\] \(rank 1\)/);
    bn.hybridize();
    assert.throws(() => bn.call(nd.ones([4])), /BatchNorm \(block '[^']*BatchNorm'\): axis 1 is out of range for an input of shape \[4\] \(rank 1\)/);
    const net = new nn.HybridSequential();
    net.add(new nn.BatchNorm({ inChannels: 3 }));
    net.initialize();
    assert.throws(() => net.call(nd.ones([2, 4, 5])), /BatchNorm \(block '[^']*0'\): the input of shape \[2, 4, 5\] has 4 channels on axis 1, but the layer has 3/);
    assert.throws(() => new nn.BatchNorm({ inChannels: -2 }), /BatchNorm: inChannels must be a non-negative integer, got -2/);
    // A string or number where a flag goes (a port of MXNet keywords) is refused, not read as truthy.
    assert.throws(() => new nn.BatchNorm({ center: 'false' as never }), /BatchNorm: option 'center' must be true or false, got "false"/);
    assert.throws(() => new nn.BatchNorm({ useGlobalStats: 1 as never }), /BatchNorm: option 'useGlobalStats' must be true or false, got 1/);
    assert.throws(() => new nn.LayerNorm({ scale: 'False' as never }), /LayerNorm: option 'scale' must be true or false, got "False"/);
    assert.equal(new nn.BatchNorm({ center: false }).center, false);
    // momentum outside [0, 1] makes the running statistics diverge; a string epsilon reached the operator.
    assert.throws(() => new nn.BatchNorm({ momentum: 2 }), /BatchNorm: momentum must be a number in \[0, 1\], got 2/);
    assert.throws(() => new nn.BatchNorm({ momentum: '0.9' as never }), /BatchNorm: momentum must be a number in \[0, 1\], got "0.9"/);
    assert.throws(() => new nn.BatchNorm({ epsilon: '1e-5' as never }), /BatchNorm: epsilon must be a non-negative number, got "1e-5"/);
    assert.throws(() => new nn.LayerNorm({ epsilon: '1e-5' as never }), /LayerNorm: epsilon must be a non-negative number, got "1e-5"/);
  });

  it('BatchNorm and LayerNorm: output and gradients (input, gamma, beta) match PyTorch float64, eager and hybridized, training and prediction', () => {
    gradsVsTorch([
      { what: 'BatchNorm training, axis 1', make: () => new nn.BatchNorm(), shape: [4, 3, 2, 2], train: true, torch: 'F.batch_norm(x, running_mean.detach().clone(), running_var.detach().clone(), gamma, beta, training=True, eps=1e-5)' },
      { what: 'BatchNorm training, axis -1, epsilon 1e-3', make: () => new nn.BatchNorm({ axis: -1, epsilon: 1e-3 }), shape: [4, 5, 3], train: true, torch: 'F.batch_norm(x.transpose(1, 2), running_mean.detach().clone(), running_var.detach().clone(), gamma, beta, training=True, eps=1e-3).transpose(1, 2)' },
      { what: 'BatchNorm prediction', make: () => new nn.BatchNorm(), shape: [4, 3, 5], torch: 'F.batch_norm(x, running_mean, running_var, gamma, beta, training=False, eps=1e-5)' },
      { what: 'BatchNorm useGlobalStats in training', make: () => new nn.BatchNorm({ useGlobalStats: true }), shape: [4, 3, 5], train: true, torch: 'F.batch_norm(x, running_mean, running_var, gamma, beta, training=False, eps=1e-5)' },
      { what: 'BatchNorm scale false (gamma fixed at 1)', make: () => new nn.BatchNorm({ scale: false }), shape: [4, 3, 5], train: true, torch: 'F.batch_norm(x, running_mean.detach().clone(), running_var.detach().clone(), None, beta, training=True, eps=1e-5)' },
      { what: 'LayerNorm, epsilon 1e-3', make: () => new nn.LayerNorm({ epsilon: 1e-3 }), shape: [3, 4, 5], torch: 'F.layer_norm(x, (5,), gamma, beta, eps=1e-3)' },
      { what: 'LayerNorm axis 1', make: () => new nn.LayerNorm({ axis: 1 }), shape: [3, 4, 5], torch: 'F.layer_norm(x.transpose(1, 2), (4,), gamma, beta, eps=1e-5).transpose(1, 2)' },
    ]);
  });

  it('LayerNorm normalizes along its axis (numpy reference), eager and hybridized, two batch sizes', () => {
    const code = `
ax = attrs['axis'] % a.ndim
shp = [1] * a.ndim; shp[ax] = -1
m = a.mean(axis=ax, keepdims=True); v = a.var(axis=ax, keepdims=True)
out = (a - m) / np.sqrt(v + attrs['eps']) * b.reshape(shp) + c.reshape(shp)
`;
    for (const [axis, shapes, eps] of [[-1, [[3, 6], [5, 6]], 1e-5], [1, [[2, 6, 3], [4, 6, 3]], 1e-3]] as [number, number[][], number][]) {
      const ln = new nn.LayerNorm({
        axis, epsilon: eps,
        gammaInitializer: new init.Constant([1, 2, 0.5, -1, 3, 0.25]),
        betaInitializer: new init.Constant([0, 0.1, 0.2, 0.3, 0.4, 0.5]),
      });
      assert.deepEqual(ln.collectParams().keys(), ['gamma', 'beta']);
      ln.initialize();
      const xs = shapes.map((s) => nd.random.normal(2, 3, s));
      const eager = xs.map((x) => ln.call(x) as nd.NDArray);
      assert.deepEqual(ln.gamma.shape, [6]);
      const refs = numpyRefs(xs.map((x) => ({ code, inputs: [f64(x), f64(ln.gamma.data()), f64(ln.beta.data())], attrs: { axis, eps } })));
      eager.forEach((y, i) => assertClose(flat(y), refs[i]!.outs[0]!.data, `LayerNorm axis ${axis} eager vs numpy ${i}`, 1e-4, 1e-5));
      ln.hybridize();
      xs.forEach((x, i) => assertClose(flat(ln.call(x) as nd.NDArray), refs[i]!.outs[0]!.data, `LayerNorm axis ${axis} hybridized vs numpy ${i}`, 1e-4, 1e-5));
      assert.equal(ln.cacheSize, 2);
    }
  });

  it('LayerNorm with scale/center false does not train gamma/beta; bad axes and lengths are refused by name', () => {
    const ln = new nn.LayerNorm({ scale: false, center: false, inChannels: 4 });
    assert.equal(ln.gamma.gradReq, 'null');
    assert.equal(ln.beta.gradReq, 'null');
    ln.initialize();
    assert.throws(() => ln.call(nd.ones([2, 5])), /LayerNorm \(block '[^']*LayerNorm'\): the input of shape \[2, 5\] has 5 elements on axis -1, but the layer has 4/);
    const l3 = new nn.LayerNorm({ axis: 2 });
    l3.initialize();
    assert.throws(() => l3.call(nd.ones([2, 5])), /LayerNorm \(block '[^']*LayerNorm'\): axis 2 is out of range for an input of shape \[2, 5\] \(rank 2\)/);
  });
});
