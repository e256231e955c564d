import assert from 'node:assert/strict';
import { nd, gluon, autograd, init, random } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';
import * as mlpFile from '../../../models/mlp.js';
import * as affineCentered from '../../../models/seed/affine-centered.js';
import * as centeredLayer from '../../../models/seed/centered-layer.js';
import * as fourierHalf from '../../../models/seed/fourier-half.js';
import * as myDense from '../../../models/seed/my-dense.js';
import * as normalizationHybridLayer from '../../../models/seed/normalization-hybrid-layer.js';
import * as normalizationLayer from '../../../models/seed/normalization-layer.js';
import * as scaledLayer from '../../../models/seed/scaled-layer.js';
import * as tensorReduction from '../../../models/seed/tensor-reduction.js';

/** Flat float64 values of an array. */
const vals = (x: { data(): ArrayLike<number> | BigInt64Array | BigUint64Array }): number[] => Array.from(x.data() as ArrayLike<number>, Number);

/** float64 [n, k] · [k, m] (+ bias [m]), optionally through ReLU. */
function dense64(x: number[], n: number, k: number, w: number[], m: number, b: number[] | null, opts: { wTransposed?: boolean; relu?: boolean } = {}): number[] {
  const out = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = b ? b[j]! : 0;
      for (let t = 0; t < k; t++) s += x[i * k + t]! * (opts.wTransposed ? w[j * k + t]! : w[t * m + j]!);
      out[i * m + j] = opts.relu ? Math.max(0, s) : s;
    }
  }
  return out;
}

/** float64 (x - min) / (max - min) over the whole array. */
function normalize64(x: number[]): number[] {
  const lo = Math.min(...x);
  const hi = Math.max(...x);
  return x.map((v) => (v - lo) / (hi - lo));
}

describe('seed examples (API.md) as written', () => {
  it('runs the tutorial code and gives its results', () => {
    // ---- API.md "The seed examples, in TypeScript", verbatim, except `override` on
    // forward/hybridForward, which this repository's tsconfig (noImplicitOverride) requires ----
    const { Dense } = gluon.nn;
    random.seed(1);

    class NormalizationLayer extends gluon.Block {
      override forward(x: nd.NDArray) {
        return x.sub(nd.min(x)).div(nd.max(x).sub(nd.min(x)));
      }
    }

    class NormalizationHybridLayer extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        return F.broadcastDiv(F.broadcastSub(x, F.min(x)), F.broadcastSub(F.max(x), F.min(x)));
      }
    }
    const first = new NormalizationHybridLayer().call(nd.array([1, 2, 3]));   // [0, 0.5, 1]

    const net = new gluon.nn.HybridSequential();
    net.add(new Dense(5), new NormalizationHybridLayer(), new Dense(1));
    net.initialize(new init.Xavier({ magnitude: 2.24 }));
    net.hybridize();
    const out1 = net.call(nd.random.uniform(-10, 10, [5, 2]));               // shape [5, 1]

    class ScaledLayer extends gluon.HybridBlock {                // the seed's layer with parameters
      weights: gluon.Parameter;
      scales: gluon.Parameter;
      constructor(hiddenUnits: number, scales: nd.NDArray) {
        super();
        this.weights = this.params.get('weights', { shape: [hiddenUnits, 0], allowDeferredInit: true });
        this.scales = this.params.get('scales', {
          shape: scales.shape, init: new init.Constant(scales.toArray()), differentiable: false });
      }
      override hybridForward(F: gluon.F, x: gluon.Tensor, p: { weights: gluon.Tensor; scales: gluon.Tensor }) {
        const normalized = F.broadcastDiv(F.broadcastSub(x, F.min(x)), F.broadcastSub(F.max(x), F.min(x)));
        const weighted = F.FullyConnected(normalized, p.weights, { numHidden: this.weights.shape[0], noBias: true });
        return F.broadcastMul(p.scales, weighted);
      }
    }

    const net2 = new gluon.nn.HybridSequential();
    net2.add(new Dense(5), new ScaledLayer(5, nd.array([2])), new Dense(1));
    net2.initialize(new init.Xavier({ magnitude: 2.24 }));
    net2.hybridize();
    const input = nd.random.uniform(-10, 10, [5, 2]);
    const label = nd.random.uniform(-1, 1, [5, 1]);
    // (test lines, not part of the seed: the state before the first call, and the weights the forward pass used)
    const layer = net2.get(1) as ScaledLayer;
    const deferredShape = [...layer.weights.shape];
    const initializedBefore = layer.weights.initialized;
    let weightsAtForward: number[] = [];
    // (hooks also fire while a hybridized parent is traced, before the deferred shape is solved)
    const hook = layer.registerForwardHook(() => {
      if (layer.weights.initialized && !weightsAtForward.length) weightsAtForward = vals(layer.weights.data());
    });
    // (end of test lines)
    const l2 = new gluon.loss.L2Loss();
    const trainer = new gluon.Trainer(net2.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    const loss = autograd.record(() => l2.call(net2.call(input), label));
    loss.backward();
    trainer.step(input.shape[0]);   // 'weights' changed, 'scales' did not
    // ---- end of the seed code ----
    hook.detach();

    assert.deepEqual(label.shape, [5, 1]);
    assert.deepEqual(first.toArray(), [0, 0.5, 1]);
    assert.deepEqual(out1.shape, [5, 1]);

    // NormalizationLayer (Block) and NormalizationHybridLayer, eager and hybridized: [0, 0.5, 1].
    assert.deepEqual(new NormalizationLayer().call(nd.array([1, 2, 3])).toArray(), [0, 0.5, 1]);
    const h = new NormalizationHybridLayer();
    h.hybridize();
    assert.deepEqual(h.call(nd.array([1, 2, 3])).toArray(), [0, 0.5, 1]);
    assert.equal(h.cacheSize, 1);

    // The scaled network: `weights` is deferred until the first call, then [5, 5]; the training
    // step changed `weights` and left `scales` at [2].
    assert.deepEqual(deferredShape, [5, 0]);
    assert.equal(initializedBefore, false);
    assert.deepEqual(loss.shape, [5]);
    assert.equal(weightsAtForward.length, 25);
    const after = vals(layer.weights.data());
    assert.ok(after.some((v, i) => Math.abs(v - weightsAtForward[i]!) > 1e-6), "'weights' changed");
    const out2 = net2.call(input);
    assert.deepEqual(out2.shape, [5, 1]);
    assert.deepEqual(layer.weights.shape, [5, 5]);
    assert.deepEqual(layer.weights.data().shape, [5, 5]);
    assert.deepEqual(layer.scales.data().toArray(), [2]);
    assert.equal(layer.scales.differentiable, false);
    assert.equal(layer.scales.gradReq, 'null');
    assert.deepEqual(net2.collectParams().keys(), ['0.weight', '0.bias', '1.weights', '1.scales', '2.weight', '2.bias']);

    // Its numbers against float64 math on the same parameters.
    const ps = net2.collectParams();
    const p = (k: string) => vals(ps.get(k).data());
    const x = vals(input);
    const h1 = dense64(x, 5, 2, p('0.weight'), 5, p('0.bias'), { wTransposed: true });
    const h2 = dense64(normalize64(h1), 5, 5, p('1.weights'), 5, null, { wTransposed: true }).map((v) => 2 * v);
    const ref = dense64(h2, 5, 5, p('2.weight'), 1, p('2.bias'), { wTransposed: true });
    assertClose(vals(out2), ref, 'seed HybridSequential with ScaledLayer', 1e-4, 1e-5);
    // Eager gives the same as hybridized.
    net2.hybridize(false);
    assertClose(vals(net2.call(input)), vals(out2), 'eager vs hybridized', 1e-5, 1e-6);
  });

  it("runs d2l's custom layers: CenteredLayer, ParameterDict, MyDense, nn.Sequential", () => {
    random.seed(2);
    class CenteredLayer extends gluon.Block {
      override forward(x: nd.NDArray) {
        return x.sub(x.mean());
      }
    }
    const layer = new CenteredLayer();
    assertClose(vals(layer.call(nd.array([1, 2, 3, 4, 5]))), [-2, -1, 0, 1, 2], 'CenteredLayer');

    const net = new gluon.nn.Sequential();
    net.add(new gluon.nn.Dense(128), new CenteredLayer());
    net.initialize();
    const y = net.call(nd.random.uniform(0, 1, [4, 8]));
    assert.deepEqual(y.shape, [4, 128]);
    assert.ok(Math.abs(y.mean().item()) < 1e-6, `mean ${y.mean().item()}`);

    const params = new gluon.ParameterDict();
    const p2 = params.get('param2', { shape: [2, 3] });
    assert.deepEqual(params.keys(), ['param2']);
    assert.deepEqual(p2.shape, [2, 3]);

    class MyDense extends gluon.Block {
      weight: gluon.Parameter;
      bias: gluon.Parameter;
      // units: the number of outputs in this layer; inUnits: the number of inputs in this layer
      constructor(units: number, inUnits: number) {
        super();
        this.weight = this.params.get('weight', { shape: [inUnits, units] });
        this.bias = this.params.get('bias', { shape: [units] });
      }
      override forward(x: nd.NDArray) {
        const linear = nd.dot(x, this.weight.data()).add(this.bias.data());
        return nd.relu(linear);
      }
    }
    const dense = new MyDense(3, 5);
    assert.deepEqual(dense.params.keys(), ['weight', 'bias']);
    assert.throws(() => dense.call(nd.ones([2, 5])), /Parameter 'weight'.*not been initialized/);
    dense.initialize();
    // Give the bias non-zero values so both terms are checked.
    dense.bias.setData(nd.array([0.05, -0.02, 0.01]));
    const x = nd.random.uniform(0, 1, [2, 5]);
    const out = dense.call(x);
    assert.deepEqual(out.shape, [2, 3]);
    assertClose(vals(out), dense64(vals(x), 2, 5, vals(dense.weight.data()), 3, vals(dense.bias.data()), { relu: true }), 'MyDense');

    const seq = new gluon.nn.Sequential();
    seq.add(new MyDense(8, 64), new MyDense(1, 8));
    seq.initialize();
    const x2 = nd.random.uniform(0, 1, [2, 64]);
    const out2 = seq.call(x2);
    assert.deepEqual(out2.shape, [2, 1]);
    const ps = seq.collectParams();
    assert.deepEqual(ps.keys(), ['0.weight', '0.bias', '1.weight', '1.bias']);
    const v = (k: string) => vals(ps.get(k).data());
    const hidden = dense64(vals(x2), 2, 64, v('0.weight'), 8, v('0.bias'), { relu: true });
    assertClose(vals(out2), dense64(hidden, 2, 8, v('1.weight'), 1, v('1.bias'), { relu: true }), 'Sequential of MyDense');
  });
});

/** The model files of models/seed: default + inputs. */
type ModelFile = { default: gluon.Block | (() => gluon.Block); inputs: Record<string, { shape: (number | string)[]; dtype?: string }> };

// Imported statically: a dynamic import() of a .ts file could load a second copy of 'gluonc' under tsx.
const FILES: Record<string, ModelFile> = {
  'normalization-layer': normalizationLayer,
  'normalization-hybrid-layer': normalizationHybridLayer,
  'scaled-layer': scaledLayer,
  'centered-layer': centeredLayer,
  'my-dense': myDense,
  'affine-centered': affineCentered,
  'tensor-reduction': tensorReduction,
  'fourier-half': fourierHalf,
};

function load(name: string): { net: gluon.Block; spec: { shape: (number | string)[] }[] } {
  const m = FILES[name]!;
  const net = typeof m.default === 'function' ? m.default() : m.default;
  assert.ok(net instanceof gluon.Block, `${name}: default must give a Block`);
  const spec = Object.values(m.inputs);
  assert.ok(spec.length >= 1, `${name}: inputs must name at least one input`);
  for (const s of spec) assert.ok(s.dtype === undefined || s.dtype === 'float32');
  return { net, spec };
}

/** Random inputs of a spec with batch `n`. */
function sample(spec: { shape: (number | string)[] }[], n: number): nd.NDArray[] {
  return spec.map((s) => nd.random.uniform(-1, 1, s.shape.map((d) => (typeof d === 'number' ? d : n))));
}

/** Calls eagerly, then hybridized (for hybrid blocks), checks they agree, returns the eager output. */
function eagerAndHybrid(net: gluon.Block, xs: nd.NDArray[], what: string): nd.NDArray {
  const eager = net.call(...xs) as nd.NDArray;
  if (net instanceof gluon.HybridBlock) {
    net.hybridize();
    const compiled = net.call(...xs) as nd.NDArray;
    assert.deepEqual(compiled.shape, eager.shape, `${what}: shapes`);
    assertClose(vals(compiled), vals(eager), `${what}: hybridized vs eager`, 1e-5, 1e-5);
    assert.equal(net.cacheSize, 1);
    net.hybridize(false);
  }
  return eager;
}

const arr = (x: nd.NDArray) => ({ shape: x.shape, dtype: 'float64', data: vals(x) });

describe('models/seed files', () => {
  beforeEach(() => random.seed(7));

  it('normalization-layer: a plain Block, eager only', async () => {
    const { net, spec } = load('normalization-layer');
    assert.ok(!(net instanceof gluon.HybridBlock));
    const [x] = sample(spec, 4);
    assertClose(vals(eagerAndHybrid(net, [x!], 'normalization-layer')), normalize64(vals(x!)), 'normalization-layer');
  });

  it('normalization-hybrid-layer: eager == hybridized == float64', async () => {
    const { net, spec } = load('normalization-hybrid-layer');
    const [x] = sample(spec, 4);
    assertClose(vals(eagerAndHybrid(net, [x!], 'normalization-hybrid-layer')), normalize64(vals(x!)), 'normalization-hybrid-layer');
  });

  it('scaled-layer: the tutorial network, weights inferred, scales constant', async () => {
    const { net, spec } = load('scaled-layer');
    const [x] = sample(spec, 6);
    const y = eagerAndHybrid(net, [x!], 'scaled-layer');
    assert.deepEqual(y.shape, [6, 1]);
    const ps = net.collectParams();
    assert.deepEqual(ps.get('1.weights').shape, [5, 5]);
    assert.deepEqual(ps.get('1.scales').data().toArray(), [2]);
    const p = (k: string) => vals(ps.get(k).data());
    const h1 = dense64(vals(x!), 6, 2, p('0.weight'), 5, p('0.bias'), { wTransposed: true });
    const h2 = dense64(normalize64(h1), 6, 5, p('1.weights'), 5, null, { wTransposed: true }).map((v) => 2 * v);
    assertClose(vals(y), dense64(h2, 6, 5, p('2.weight'), 1, p('2.bias'), { wTransposed: true }), 'scaled-layer');
  });

  it('centered-layer: mean removed, eager == hybridized', async () => {
    const { net, spec } = load('centered-layer');
    const [x] = sample(spec, 4);
    const xs = vals(x!);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    assertClose(vals(eagerAndHybrid(net, [x!], 'centered-layer')), xs.map((v) => v - m), 'centered-layer', 1e-5, 1e-6);
  });

  it('my-dense: a plain Block with explicit parameter shapes', async () => {
    const { net, spec } = load('my-dense');
    assert.ok(!(net instanceof gluon.HybridBlock));
    const [x] = sample(spec, 3);
    const ps = net.collectParams();
    assert.deepEqual(ps.get('weight').shape, [5, 3]);
    ps.get('bias').setData(nd.array([0.1, -0.1, 0.02]));
    const y = eagerAndHybrid(net, [x!], 'my-dense');
    assertClose(vals(y), dense64(vals(x!), 3, 5, vals(ps.get('weight').data()), 3, vals(ps.get('bias').data()), { relu: true }), 'my-dense');
  });

  it('exercises against numpy: affine-centered, tensor-reduction, fourier-half', async () => {
    const a = load('affine-centered');
    const [xa] = sample(a.spec, 5);
    const ya = eagerAndHybrid(a.net, [xa!], 'affine-centered');
    const b = a.net.collectParams().get('bias').data();
    assert.ok(vals(b).some((v) => v !== 0), 'the additive parameter is initialized to non-zero values');

    const t = load('tensor-reduction');
    const [xt] = sample(t.spec, 5);
    const yt = eagerAndHybrid(t.net, [xt!], 'tensor-reduction');
    const w = t.net.collectParams().get('weight').data();
    assert.deepEqual(w.shape, [4, 4, 3]);

    const f = load('fourier-half');
    const [xf] = sample(f.spec, 3);
    const yf = eagerAndHybrid(f.net, [xf!], 'fourier-half');
    assert.deepEqual(yf.shape, [3, 8, 2]);

    const [ra, rt, rf] = numpyRefs([
      { code: 'a - a.mean(axis=-1, keepdims=True) + b', inputs: [arr(xa!), arr(b)] },
      { code: "np.einsum('ni,nj,ijk->nk', a, a, b)", inputs: [arr(xt!), arr(w)] },
      { code: 'f = np.fft.fft(a, axis=-1)[:, : a.shape[-1] // 2]\nout = np.stack([f.real, f.imag], axis=-1)', inputs: [arr(xf!)] },
    ]);
    for (const r of [ra, rt, rf]) assert.equal(r!.error, undefined, r!.error);
    assertClose(vals(ya), ra!.outs[0]!.data, 'affine-centered', 1e-5, 1e-6);
    assert.deepEqual(yt.shape, rt!.outs[0]!.shape);
    assertClose(vals(yt), rt!.outs[0]!.data, 'tensor-reduction', 1e-4, 1e-5);
    assert.deepEqual(yf.shape, rf!.outs[0]!.shape);
    assertClose(vals(yf), rf!.outs[0]!.data, 'fourier-half', 1e-4, 1e-5);
  });

  it('mlp: 784-256-128-10 with ReLU', async () => {
    const m = mlpFile as ModelFile;
    const net = typeof m.default === 'function' ? m.default() : m.default;
    assert.deepEqual(m.inputs, { x: { shape: ['N', 784], dtype: 'float32' } });
    net.initialize();
    const x = nd.random.uniform(-1, 1, [2, 784]);
    const y = eagerAndHybrid(net, [x], 'mlp');
    assert.deepEqual(y.shape, [2, 10]);
    const ps = net.collectParams();
    const p = (k: string) => vals(ps.get(k).data());
    const h1 = dense64(vals(x), 2, 784, p('0.weight'), 256, p('0.bias'), { wTransposed: true, relu: true });
    const h2 = dense64(h1, 2, 256, p('1.weight'), 128, p('1.bias'), { wTransposed: true, relu: true });
    assertClose(vals(y), dense64(h2, 2, 128, p('2.weight'), 10, p('2.bias'), { wTransposed: true }), 'mlp', 1e-4, 1e-5);
  });
});
