import assert from 'node:assert/strict';
import { nd, gluon, init, random, autograd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { eagerVsHybrid } from '../../../helpers/layers.js';
import { numpyRefs } from '../../../helpers/numpy.js';

const { nn } = gluon;

const flat = (x: nd.NDArray) => Array.from(x.data() as Float32Array);
const SELU_ALPHA = 1.6732632423543772;
const SELU_LAMBDA = 1.0507009873554805;

describe('gluon.nn activation layers', () => {
  let xs: nd.NDArray[];
  beforeEach(() => {
    random.seed(11);
    xs = [nd.random.normal(0, 2, [3, 5]), nd.random.normal(0, 2, [7, 5])];
  });

  const cases: [string, () => gluon.HybridBlock, (v: number) => number][] = [
    ['LeakyReLU(0.1)', () => new nn.LeakyReLU(0.1), (v) => (v > 0 ? v : 0.1 * v)],
    ['LeakyReLU(0)', () => new nn.LeakyReLU(0), (v) => Math.max(v, 0)],
    ['ELU()', () => new nn.ELU(), (v) => (v > 0 ? v : Math.expm1(v))],
    ['ELU(0.5)', () => new nn.ELU(0.5), (v) => (v > 0 ? v : 0.5 * Math.expm1(v))],
    ['SELU()', () => new nn.SELU(), (v) => SELU_LAMBDA * (v > 0 ? v : SELU_ALPHA * Math.expm1(v))],
    ['Swish()', () => new nn.Swish(), (v) => v / (1 + Math.exp(-v))],
    ['Swish(2)', () => new nn.Swish(2), (v) => v / (1 + Math.exp(-2 * v))],
  ];
  for (const [name, make, f] of cases) {
    it(`${name}: eager and hybridized agree and match float64, two batch sizes`, () => {
      const outs = eagerVsHybrid(make(), xs, name);
      outs.forEach((y, i) => assertClose(flat(y), flat(xs[i]!).map(f), `${name} vs float64`, 1e-5, 1e-6));
    });
  }

  it('GELU is the exact erf form (numpy/math.erf reference), eager and hybridized', () => {
    const outs = eagerVsHybrid(new nn.GELU(), xs, 'GELU');
    const refs = numpyRefs(xs.map((x) => ({
      code: '0.5 * a * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))',
      inputs: [{ shape: x.shape, dtype: 'float64', data: flat(x) }],
    })));
    outs.forEach((y, i) => assertClose(flat(y), refs[i]!.outs[0]!.data, 'GELU vs numpy', 1e-5, 1e-6));
  });

  // Values and gradients at the kink x = 0 (and ±0, tiny, large |x|) against PyTorch float64, whose subgradients
  // at 0 are MXNet's: relu 0, leaky/prelu the slope, elu alpha, selu λα (MXNet's *_grad take the output > 0 branch).
  const KINK_X = [0, -0, 1e-8, -1e-8, 1, -1, 20, -20, 100, -100];
  const KINKS: [string, () => gluon.HybridBlock, string][] = [
    ['relu', () => new nn.Activation('relu'), 'F.relu(t)'],
    ['softrelu', () => new nn.Activation('softrelu'), 'F.softplus(t)'],
    ['sigmoid', () => new nn.Activation('sigmoid'), 'torch.sigmoid(t)'],
    ['softsign', () => new nn.Activation('softsign'), 'F.softsign(t)'],
    ['LeakyReLU(0.1)', () => new nn.LeakyReLU(0.1), 'F.leaky_relu(t, 0.1)'],
    ['PReLU', () => new nn.PReLU(), 'F.prelu(t, torch.tensor([0.25], dtype=torch.float64))'],
    ['ELU(0.7)', () => new nn.ELU(0.7), 'F.elu(t, 0.7)'],
    ['SELU', () => new nn.SELU(), 'F.selu(t)'],
    ['GELU', () => new nn.GELU(), 'F.gelu(t)'],
    ['Swish(1.5)', () => new nn.Swish(1.5), 't * torch.sigmoid(1.5 * t)'],
  ];
  const TANH_X = [0, -0, 1e-3, -1, 1, 2.5, -2.5, 6, -6, 30, -30];
  /** PyTorch float64 values and gradients: one job per KINKS entry, then GELU tanh on TANH_X (one torch process for both tests). */
  const torchCode = (call: string) => `import torch\nimport torch.nn.functional as F\nt = torch.tensor(a, requires_grad=True)\ny = ${call}\ny.sum().backward()\nout = [y.detach().numpy(), t.grad.numpy()]`;
  let torchCache: ReturnType<typeof numpyRefs> | undefined;
  const torchRefs = () => (torchCache ??= numpyRefs([
    ...KINKS.map(([, , call]) => ({ code: torchCode(call), inputs: [{ shape: [KINK_X.length], dtype: 'float64', data: KINK_X }] })),
    { code: torchCode("F.gelu(t, approximate='tanh')"), inputs: [{ shape: [TANH_X.length], dtype: 'float64', data: TANH_X }] },
  ]));

  it("GELU('tanh') is MXNet 2's tanh approximation (torch's approximate='tanh' as reference), values and gradients, eager and hybridized", () => {
    const x = nd.array(TANH_X);
    const ref = torchRefs()[KINKS.length];
    assert.equal(ref!.error, undefined, ref!.error);
    for (const hybrid of [false, true]) {
      const g = new nn.GELU('tanh');
      if (hybrid) g.hybridize();
      const xi = x.copy();
      xi.attachGrad();
      const y = autograd.record(() => g.call(xi) as nd.NDArray);
      y.backward();
      assertClose(flat(y), ref!.outs[0]!.data, `GELU tanh${hybrid ? ' (hybridized)' : ''}`, 1e-5, 1e-6);
      assertClose(flat(xi.grad!), ref!.outs[1]!.data, `GELU tanh gradient${hybrid ? ' (hybridized)' : ''}`, 1e-5, 1e-6);
    }
    assert.throws(() => new nn.GELU('fast' as never), /GELU: approximation must be 'erf' or 'tanh', got "fast"/);
    assert.equal(String(new nn.GELU('tanh')), 'GELU(tanh)');
  });

  it('every activation at its kink and at |x| = 20, 100: values and gradients match PyTorch float64, eager and hybridized', () => {
    const x = nd.array(KINK_X);
    const refs = torchRefs();
    KINKS.forEach(([name, make], i) => {
      assert.equal(refs[i]!.error, undefined, refs[i]!.error);
      for (const hybrid of [false, true]) {
        const layer = make();
        layer.initialize();
        if (hybrid) layer.hybridize();
        const xi = x.copy();
        xi.attachGrad();
        const y = autograd.record(() => layer.call(xi) as nd.NDArray);
        y.backward();
        const tag = `${name}${hybrid ? ' (hybridized)' : ''}`;
        assertClose(flat(y), refs[i]!.outs[0]!.data, `${tag} values`, 1e-5, 1e-7);
        assertClose(flat(xi.grad!), refs[i]!.outs[1]!.data, `${tag} gradients`, 1e-5, 1e-7);
      }
    });
  });

  it('PReLU defaults to one shared slope 0.25 of shape [1] named alpha', () => {
    const p = new nn.PReLU();
    p.initialize();
    assert.deepEqual(p.collectParams().keys(), ['alpha']);
    assert.deepEqual(p.alpha.shape, [1]);
    assert.deepEqual(flat(p.alpha.data()), [0.25]);
    const outs = eagerVsHybrid(p, xs, 'PReLU()');
    outs.forEach((y, i) => assertClose(flat(y), flat(xs[i]!).map((v) => (v > 0 ? v : 0.25 * v)), 'PReLU() vs float64'));
  });

  it('PReLU with inChannels learns one slope per channel on axis 1 (numpy reference)', () => {
    const p = new nn.PReLU({ inChannels: 3, alphaInitializer: new init.Constant([0.1, -0.5, 2]) });
    p.initialize();
    const inputs = [nd.random.normal(0, 1, [2, 3, 4]), nd.random.normal(0, 1, [5, 3, 4])];
    const outs = eagerVsHybrid(p, inputs, 'PReLU(3)');
    const a = p.alpha.data();
    const refs = numpyRefs(inputs.map((x) => ({
      code: 'np.where(a > 0, a, a * b.reshape(1, -1, 1))',
      inputs: [{ shape: x.shape, dtype: 'float64', data: flat(x) }, { shape: a.shape, dtype: 'float64', data: flat(a) }],
    })));
    outs.forEach((y, i) => assertClose(flat(y), refs[i]!.outs[0]!.data, `PReLU(3) vs numpy ${i}`));
  });

  it('PReLU with inChannels 0 infers the channels at the first call', () => {
    const p = new nn.PReLU({ inChannels: 0 });
    p.initialize();
    p.call(nd.ones([2, 6]));
    assert.deepEqual(p.alpha.shape, [6]);
    assert.deepEqual(flat(p.alpha.data()), [0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
  });

  it('PReLU with channels refuses an input whose axis 1 differs, naming the block and shape', () => {
    const p = new nn.PReLU({ inChannels: 3 });
    p.initialize();
    assert.throws(() => p.call(nd.ones([2, 4])), /PReLU \(block '[^']*PReLU'\): alpha has 3 channels but the input of shape \[2, 4\] has 4 on axis 1/);
    p.hybridize();
    assert.throws(() => p.call(nd.ones([5])), /PReLU \(block '[^']*PReLU'\): alpha has 3 channels but the input of shape \[5\] has no axis 1/);
  });

  it('constructors refuse bad arguments', () => {
    assert.throws(() => new nn.LeakyReLU(-0.1), /LeakyReLU: alpha must be a non-negative number, got -0.1/);
    assert.throws(() => new nn.ELU(NaN), /ELU: alpha must be a finite number/);
    assert.throws(() => new nn.PReLU({ inChannels: -1 }), /PReLU: inChannels must be a non-negative integer, got -1/);
  });
});
