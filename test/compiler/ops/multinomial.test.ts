/**
 * sampleMultinomial (compiler/ops/multinomial.ts), `nd.random.multinomial`
 * and `np.random.multinomial`: draws checked against their probabilities
 * (Pearson's chi-square at p = 0.001, test/helpers/frequencies.ts) eagerly
 * (the TypeScript kernel) and hybridized (onnxruntime's Multinomial), with
 * the fixed cases at the ends: a class of probability 0 is never drawn, one
 * of probability 1 always, unnormalized weights sample as their normalized
 * probabilities. `getProb`'s log-probabilities are compared with float64
 * logarithms of the drawn classes' probabilities, and its gradient with the
 * closed form d/dp_k sum(log p[idx]) = count_k / p_k.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, np, random } from 'gluonc';
import { assertFrequencies } from '../../helpers/frequencies.js';

const PROBS = [
  [0.1, 0.2, 0.7],
  [0.5, 0, 0.5],
  [0, 0, 1],
  [2, 6, 0], // unnormalized: 0.25, 0.75, 0
];
const NORMALIZED = PROBS.map((r) => r.map((v) => v / r.reduce((a, b) => a + b, 0)));
const DRAWS = 4000;

class Sampler extends gluon.HybridBlock {
  constructor(readonly options: Record<string, unknown>) {
    super();
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    return F.sampleMultinomial(x, this.options);
  }
}

const values = (a: nd.NDArray): number[] => Array.from(a.data() as ArrayLike<number | bigint>, Number);

describe('sampleMultinomial and nd.random.multinomial / np.random.multinomial', function () {
  this.timeout(60_000);

  for (const hybrid of [false, true]) {
    it(`${hybrid ? 'hybridized (onnxruntime)' : 'eager (kernel)'}: class frequencies follow the probabilities, zero-probability classes never drawn`, () => {
      random.seed(7);
      const net = new Sampler({ shape: [DRAWS] });
      if (hybrid) net.hybridize();
      const y = net.call(nd.array(PROBS)) as nd.NDArray;
      assert.equal(y.dtype, 'int32');
      assert.deepEqual(y.shape, [PROBS.length, DRAWS]);
      const v = values(y);
      NORMALIZED.forEach((p, r) => assertFrequencies(v.slice(r * DRAWS, (r + 1) * DRAWS), p, `row ${r}`));
      assert.ok(v.slice(2 * DRAWS, 3 * DRAWS).every((c) => c === 2), 'probability 1: always class 2');
    });
  }

  it("MXNet's shape rule: data.shape[:-1] + shape; a 1-d input without shape gives [1]; dtypes", () => {
    assert.deepEqual(nd.random.multinomial(nd.array([0.3, 0.7])).shape, [1]);
    assert.deepEqual(nd.random.multinomial(nd.array([0.3, 0.7]), [2, 3]).shape, [2, 3]);
    assert.deepEqual(nd.random.multinomial(nd.ones([2, 3, 4]), { shape: 5 }).shape, [2, 3, 5]);
    assert.deepEqual(nd.random.multinomial(nd.ones([2, 4])).shape, [2]);
    for (const dtype of ['int64', 'float32', 'float64'] as const) {
      const y = nd.random.multinomial(nd.array([[0, 1, 0]]), { shape: [3], dtype });
      assert.equal(y.dtype, dtype);
      assert.deepEqual(values(y), [1, 1, 1]);
    }
    const h = new Sampler({ shape: [2, 2], dtype: 'int64' });
    h.hybridize();
    const y = h.call(nd.array([[[0, 0, 1]], [[1, 0, 0]]], { dtype: 'float64' })) as nd.NDArray;
    assert.deepEqual([y.dtype, y.shape, values(y)], ['int64', [2, 1, 2, 2], [2, 2, 2, 2, 0, 0, 0, 0]]);
  });

  it('random.seed repeats a draw, and so does an explicit seed', () => {
    const p = nd.array([[0.2, 0.3, 0.5]]);
    random.seed(11);
    const a = values(nd.random.multinomial(p, { shape: 50 }));
    random.seed(11);
    const b = values(nd.random.multinomial(p, { shape: 50 }));
    assert.deepEqual(a, b);
    assert.deepEqual(values(nd.random.multinomial(p, { shape: 50, seed: 4 })), values(nd.random.multinomial(p, { shape: 50, seed: 4 })));
    assert.notDeepEqual(values(nd.random.multinomial(p, { shape: 50, seed: 4 })), values(nd.random.multinomial(p, { shape: 50, seed: 5 })));
  });

  it('getProb: the log-probability of each draw, differentiable in the probabilities (count / p)', () => {
    const p = [
      [0.1, 0.2, 0.7],
      [0.25, 0.25, 0.5],
    ];
    const data = nd.array(p);
    data.attachGrad();
    random.seed(3);
    let idx!: nd.NDArray;
    const logp = autograd.record(() => {
      const [i, l] = nd.random.multinomial(data, { shape: [64], getProb: true });
      idx = i;
      return l;
    });
    assert.deepEqual(logp.shape, [2, 64]);
    const iv = values(idx);
    const lv = values(logp);
    iv.forEach((c, j) => assert.ok(Math.abs(lv[j]! - Math.log(p[Math.floor(j / 64)]![c]!)) < 1e-6, `draw ${j}: class ${c}, log p ${lv[j]}`));
    logp.backward();
    const g = values(data.grad!);
    p.forEach((row, r) =>
      row.forEach((q, k) => {
        const count = iv.slice(r * 64, (r + 1) * 64).filter((c) => c === k).length;
        assert.ok(Math.abs(g[r * 3 + k]! - count / q) < 1e-4 * (1 + count / q), `grad [${r}, ${k}]: ${g[r * 3 + k]} against ${count} / ${q}`);
      }),
    );
  });

  it('refuses what it cannot sample, naming the operator', () => {
    assert.throws(() => nd.random.multinomial(nd.array([1, 2], { dtype: 'int32' })), /sampleMultinomial: data must hold float probabilities, got int32/);
    assert.throws(() => nd.random.multinomial(nd.array(0.5)), /sampleMultinomial: data must have at least one axis/);
    assert.throws(() => nd.random.multinomial(nd.zeros([2, 0])), /sampleMultinomial: data has no classes/);
    assert.throws(() => nd.random.multinomial(nd.array([0.5, 0.5]), { shape: [-1] }), /nd\.random\.multinomial: invalid shape \[-1\]/);
    assert.throws(() => nd.random.multinomial(nd.array([0.5, 0.5]), { dtype: 'bool' }), /sampleMultinomial: dtype must be one of int32, int64, float32, float64, got bool/);
    assert.throws(() => nd.random.multinomial(nd.array([0.5, -0.5])), /sampleMultinomial: probabilities must be finite and not negative, got -0\.5 \(distribution 0, class 1\)/);
    assert.throws(() => nd.random.multinomial(nd.array([[0.5, 0.5], [0, 0]])), /sampleMultinomial: the probabilities of distribution 1 sum to 0/);
    assert.throws(() => nd.random.multinomial(nd.array([0.5, NaN])), /probabilities must be finite and not negative, got NaN/);
    assert.throws(() => nd.random.multinomial(nd.array([0.5, 0.5]), { shpae: 3 } as never), /nd\.random\.multinomial.*shpae/);
    assert.throws(() => nd.random.multinomial(nd.array([0.5, 0.5]), 3, { shape: 3 }), /got multiple values for argument 'shape'/);
  });

  it("np.random.multinomial: counts of n experiments (d2l's dice), MXNet's int32", () => {
    const fair = new Array(6).fill(1 / 6);
    random.seed(1);
    const one = np.random.multinomial(1, fair);
    assert.deepEqual([one.dtype, one.shape], ['int32', [6]]);
    assert.deepEqual(values(one).sort(), [0, 0, 0, 0, 0, 1]);
    const counts = np.random.multinomial(10, fair, [500]);
    assert.deepEqual(counts.shape, [500, 6]);
    const cv = values(counts);
    for (let r = 0; r < 500; r++) assert.equal(cv.slice(r * 6, r * 6 + 6).reduce((a, b) => a + b, 0), 10, `row ${r} sums to n`);
    // 5,000 dice over 6 faces, and a loaded die with an impossible face: frequencies against pvals.
    const draws = (c: number[]) => c.flatMap((n, k) => new Array<number>(n).fill(k));
    assertFrequencies(draws(fair.map((_p, k) => cv.filter((_v, j) => j % 6 === k).reduce((a, b) => a + b, 0))), fair, 'fair die');
    const loaded = [0.5, 0, 0.25, 0.25];
    assertFrequencies(draws(values(np.random.multinomial(4000, loaded))), loaded, 'loaded die');
    assert.deepEqual(values(np.random.multinomial(7, [0, 1])), [0, 7]);
    assert.deepEqual(values(np.random.multinomial(0, [0.5, 0.5])), [0, 0]);
    // The last outcome takes what the others leave (sum(pvals[:-1]) <= 1 is all numpy asks).
    assert.deepEqual(values(np.random.multinomial(5, [0, 0.2])), [0, 5]);
    assert.throws(() => np.random.multinomial(-1, fair), /np\.random\.multinomial: n must be a non-negative integer, got -1/);
    assert.throws(() => np.random.multinomial(3, [0.6, 0.6, 0]), /np\.random\.multinomial: sum\(pvals\[:-1\]\) = 1\.2 exceeds 1/);
    assert.throws(() => np.random.multinomial(3, [0.5, -0.1]), /np\.random\.multinomial: pvals\[1\] must be a probability in \[0, 1\], got -0\.1/);
    assert.throws(() => np.random.multinomial(3, []), /np\.random\.multinomial: pvals must be a non-empty 1-d list of probabilities/);
    assert.throws(() => np.random.multinomial(3, fair, [2.5]), /np\.random\.multinomial: size must be a non-negative integer or a list of them, got \[2\.5\]/);
  });
});
