/**
 * Initializers against MXNet's formulas (python/mxnet/initializer.py):
 * Xavier `scale = sqrt(magnitude / factor)` with fan_in = shape[1]·prod(shape[2:]),
 * fan_out = shape[0]·prod(shape[2:]), factor their average ('avg'), fan_in or
 * fan_out, drawn uniform in [-scale, scale] or normal with std scale;
 * MSRAPrelu = Xavier('gaussian', factorType, 2 / (1 + slope²)), slope 0.25;
 * Normal(0.01), Uniform(0.07); Orthogonal(scale 1.414): orthonormal rows or
 * columns of a [shape[0], prod(shape[1:])] draw, times scale. Statistical
 * checks use a fixed seed and 18,432 draws: the sample std is within ~1% of
 * the true one, so a 3% tolerance is never flaky yet tells fan_avg (432)
 * from fan_in (288) or fan_out (576) (those differ by 15% or more in std).
 */
import assert from 'node:assert/strict';
import { gluon, init, nd, random } from 'gluonc';

const { nn } = gluon;
const SHAPE = [64, 32, 3, 3];
const [FAN_IN, FAN_OUT] = [32 * 9, 64 * 9];

function stats(a: nd.NDArray): { mean: number; std: number; absMax: number } {
  const v = Array.from(a.data() as Float32Array, Number);
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  return { mean, std, absMax: v.reduce((m, x) => Math.max(m, Math.abs(x)), 0) };
}

/** Checks a draw's std (and for uniform draws its bound) against the formula's. */
function checkDraw(a: nd.NDArray, what: string, want: { std: number } | { bound: number }): void {
  const s = stats(a);
  const std = 'std' in want ? want.std : want.bound / Math.sqrt(3);
  assert.ok(Math.abs(s.std / std - 1) < 0.03, `${what}: std ${s.std}, expected ${std}`);
  assert.ok(Math.abs(s.mean) < 0.05 * std, `${what}: mean ${s.mean} is not ~0`);
  if ('bound' in want) assert.ok(s.absMax <= want.bound && s.absMax > 0.99 * want.bound, `${what}: max |w| ${s.absMax}, bound ${want.bound}`);
}

describe('gluon init (initializers)', () => {
  beforeEach(() => random.seed(3));

  it('Xavier: MXNet fans (receptive field included), each factorType and rndType, magnitude', () => {
    const avg = (FAN_IN + FAN_OUT) / 2;
    checkDraw(new init.Xavier().create(SHAPE, 'float32', 'w'), 'default uniform avg 3', { bound: Math.sqrt(3 / avg) });
    checkDraw(new init.Xavier({ factorType: 'in' }).create(SHAPE, 'float32', 'w'), 'uniform in 3', { bound: Math.sqrt(3 / FAN_IN) });
    checkDraw(new init.Xavier({ rndType: 'gaussian', factorType: 'out', magnitude: 2 }).create(SHAPE, 'float32', 'w'), 'gaussian out 2', { std: Math.sqrt(2 / FAN_OUT) });
    checkDraw(new init.Xavier({ rndType: 'gaussian', magnitude: 2.24 }).create([96, 192], 'float32', 'w'), 'gaussian avg 2.24, 2-d', { std: Math.sqrt(2.24 / 144) });
    assert.throws(() => new init.Xavier().create([5], 'float32', 'scale'), /Xavier: parameter 'scale' of shape \[5\] needs at least 2 dimensions/);
  });

  it('MSRAPrelu, Normal and Uniform: MXNet defaults', () => {
    checkDraw(new init.MSRAPrelu().create(SHAPE, 'float32', 'w'), 'MSRAPrelu default', { std: Math.sqrt(2 / (1 + 0.0625) / ((FAN_IN + FAN_OUT) / 2)) });
    checkDraw(new init.MSRAPrelu({ factorType: 'in', slope: 0 }).create(SHAPE, 'float32', 'w'), 'MSRAPrelu in, slope 0 (He)', { std: Math.sqrt(2 / FAN_IN) });
    checkDraw(new init.Normal().create(SHAPE, 'float32'), 'Normal()', { std: 0.01 });
    checkDraw(new init.Uniform().create(SHAPE, 'float32'), 'Uniform()', { bound: 0.07 });
    checkDraw(new init.Uniform(0.5).create(SHAPE, 'float32'), 'Uniform(0.5)', { bound: 0.5 });
  });

  it("layers: initialize()'s default is Uniform(0.07); deferred weights get the inferred fans; biases, gamma/beta, running stats and PReLU's alpha keep their own", () => {
    const d = new nn.Dense(64, { inUnits: 288 });
    d.initialize();
    checkDraw(d.weight.data(), 'Dense default', { bound: 0.07 });
    const conv = new nn.Conv2D(64, 3);
    conv.initialize(new init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 }));
    conv.call(nd.ones([1, 32, 5, 5]));
    checkDraw(conv.weight.data(), 'deferred Conv2D, Xavier in', { std: Math.sqrt(2 / FAN_IN) });
    assert.deepEqual(Array.from(conv.bias!.data().data() as Float32Array).filter((v) => v !== 0), []);
    const bn = new nn.BatchNorm();
    bn.initialize(new init.Xavier());
    bn.call(nd.ones([2, 3, 4]));
    const values = (p: gluon.Parameter) => Array.from(p.data().data() as Float32Array);
    assert.deepEqual([bn.gamma, bn.beta, bn.runningMean, bn.runningVar].map(values), [[1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]]);
    const pr = new nn.PReLU();
    pr.initialize(new init.Xavier());
    assert.deepEqual(values(pr.alpha), [0.25]);
  });

  it('Orthogonal: orthonormal rows of a wide draw, columns of a tall one, times scale (default 1.414)', () => {
    for (const [shape, randType] of [[[6, 4, 2, 2], 'uniform'], [[40, 8], 'normal'], [[8, 8], 'uniform']] as const) {
      const w = new init.Orthogonal({ randType }).create([...shape], 'float64', 'w');
      const rows = shape[0];
      const cols = shape.slice(1).reduce((a, b) => a * b, 1);
      const m = Array.from(w.data() as Float64Array);
      const wide = rows < cols;
      const n = wide ? rows : cols;
      const at = (vec: number, k: number) => (wide ? m[vec * cols + k]! : m[k * cols + vec]!);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < (wide ? cols : rows); k++) dot += at(i, k) * at(j, k);
          assert.ok(Math.abs(dot - (i === j ? 1.414 ** 2 : 0)) < 1e-9, `${shape} ${randType}: <v${i}, v${j}> = ${dot}`);
        }
      }
    }
    const scaled = new init.Orthogonal({ scale: 1 }).create([3, 3], 'float32', 'w');
    assert.ok(Math.abs(stats(scaled).std ** 2 * 9 + stats(scaled).mean ** 2 * 9 - 3) < 1e-4, 'a 3x3 orthogonal matrix has squared norm 3');
    assert.throws(() => new init.Orthogonal().create([4], 'float32', 'bias'), /Orthogonal: parameter 'bias' of shape \[4\] needs at least 2 dimensions/);
    assert.throws(() => new init.Orthogonal({ randType: 'gaussian' as never }), /Orthogonal: unknown randType 'gaussian' \(uniform, normal\)/);
  });

  it('refuses parameters that would give NaN or meaningless draws, naming them', () => {
    assert.throws(() => new init.Xavier({ magnitude: -3 }), /Xavier: magnitude must be a finite number > 0, got -3/);
    assert.throws(() => new init.MSRAPrelu({ slope: NaN }), /MSRAPrelu: slope must be a finite number, got null/);
    assert.throws(() => new init.Uniform(NaN), /Uniform: scale must be a finite number >= 0, got null/);
    assert.throws(() => new init.Normal('0.1' as never), /Normal: sigma must be a finite number >= 0, got "0.1"/);
    assert.throws(() => new init.Orthogonal({ scale: Infinity }), /Orthogonal: scale must be a finite number >= 0/);
  });
});

describe("init: Gluon's keyword arguments (d2l's init.Normal(sigma=0.01))", () => {
  /** The values an initializer draws for a [6, 5] parameter after seeding. */
  const draw = (i: init.Initializer) => {
    random.seed(9);
    return i.create([6, 5], 'float32', 'w').toArray();
  };
  const GRID = Array.from({ length: 6 }, (_r, i) => Array.from({ length: 5 }, (_c, j) => i * 5 + j + 1));
  const CASES: [string, init.Initializer[], init.Initializer][] = [
    ['Normal(sigma=0.5)', [new init.Normal(0.5), new init.Normal({ sigma: 0.5 })], new init.Normal()],
    ['Uniform(scale=0.5)', [new init.Uniform(0.5), new init.Uniform({ scale: 0.5 })], new init.Uniform()],
    ['Constant(value=2)', [new init.Constant(2), new init.Constant({ value: 2 })], new init.Constant(3)],
    ['Constant(value=6x5 nested list)', [new init.Constant(GRID), new init.Constant({ value: GRID })], new init.Constant(GRID.map((r) => r.map((v) => -v)))],
  ];
  for (const [what, forms, other] of CASES) {
    it(`${what}: the keyword form draws what the positional one draws`, () => {
      const ref = draw(forms[0]!);
      for (const f of forms.slice(1)) assert.deepEqual(draw(f), ref);
      assert.notDeepEqual(draw(other), ref, 'the control draws the same: the test could not fail');
    });
  }
  it('given twice, missing or unknown: an Error naming the initializer and the argument', () => {
    assert.throws(() => new init.Normal(0.1, { sigma: 0.1 } as never), /^Error: Normal: got multiple values for argument 'sigma'/);
    assert.throws(() => new init.Uniform(0.1, { scale: 0.2 } as never), /^Error: Uniform: got multiple values for argument 'scale'/);
    assert.throws(() => new init.Constant({} as never), /^Error: Constant: missing required argument 'value'/);
    assert.throws(() => new init.Normal({ std: 0.1 } as never), /^Error: Normal: unknown option 'std' \(valid: sigma\)/);
    // The value is still checked after binding.
    assert.throws(() => new init.Normal({ sigma: -1 }), /Normal: sigma must be a finite number >= 0, got -1/);
  });
});

describe("a custom Initializer with MXNet's _initWeight (d2l's MyInit)", () => {
  it("dispatches on the parameter's name as MXNet's Initializer.__call__: weights to _initWeight, biases 0, gamma 1, beta 0", () => {
    const seen: [string, number[]][] = [];
    class MyInit extends init.Initializer {
      override _initWeight(name: string, data: nd.NDArray): void {
        seen.push([name, data.shape]);
        // d2l: data[:] = np.random.uniform(-10, 10, data.shape); data *= np.abs(data) >= 5
        nd.random.uniform(-10, 10, data.shape).copyto(data);
        data.mul(nd.abs(data).greaterEqual(5)).copyto(data);
      }
    }
    random.seed(4);
    const net = new nn.Sequential();
    net.add(new nn.Dense(8, { activation: 'relu', inUnits: 4 }), new nn.BatchNorm({ inChannels: 8 }), new nn.Dense(1, { inUnits: 8 }));
    net.initialize(new MyInit());
    assert.deepEqual(seen, [['weight', [8, 4]], ['weight', [1, 8]]]);
    const w = Array.from(net.get(0).collectParams().get('weight').data().data() as Float32Array);
    assert.ok(w.every((v) => v === 0 || (Math.abs(v) >= 5 && Math.abs(v) < 10)), `weights ${w}`);
    assert.ok(w.some((v) => v !== 0) && w.some((v) => v === 0));
    const bn = net.get(1).collectParams();
    assert.deepEqual([...bn.get('gamma').data().data()], new Array(8).fill(1));
    assert.deepEqual([...bn.get('beta').data().data()], new Array(8).fill(0));
    assert.deepEqual([...net.get(2).collectParams().get('bias').data().data()], [0]);
  });

  it('_initWeight may return the array instead; a subclass without it is an Error naming the parameter', () => {
    class Twos extends init.Initializer {
      override _initWeight(_name: string, data: nd.NDArray): nd.NDArray {
        return nd.ones(data.shape).mul(2);
      }
    }
    const d = new nn.Dense(3, { inUnits: 2 });
    d.initialize(new Twos());
    assert.deepEqual([...d.collectParams().get('weight').data().data()], new Array(6).fill(2));
    class Nothing extends init.Initializer {}
    assert.throws(() => new nn.Dense(3, { inUnits: 2 }).initialize(new Nothing()), /Nothing: no _initWeight for parameter 'weight' \(override _initWeight\(name, data\), as MXNet's _init_weight, or create\)/);
    const p = new gluon.Parameter('scale', { shape: [2] });
    assert.throws(() => p.initialize(new Twos()), /Twos: unknown initialization pattern for parameter 'scale' \(names end in weight, bias, gamma, beta, or set the parameter's init\)/);
  });

  it("Parameter.initialize(init) uses the init it is given over the parameter's own (MXNet's Parameter.initialize); Block.initialize keeps the parameter's own", () => {
    const p = new gluon.Parameter('W1', { shape: [2, 2], init: new init.Normal(0.01) });
    p.initialize();
    p.initialize(new init.Constant(42), { forceReinit: true });
    assert.deepEqual([...p.data().data()], [42, 42, 42, 42]);
    const d = new nn.Dense(2, { inUnits: 2 });
    d.initialize(new init.Constant(3));
    assert.deepEqual([...d.collectParams().get('bias').data().data()], [0, 0], "the bias's own Zero init wins over the block's");
    d.collectParams().get('bias').initialize(new init.Constant(3), { forceReinit: true });
    assert.deepEqual([...d.collectParams().get('bias').data().data()], [3, 3]);
  });
});
