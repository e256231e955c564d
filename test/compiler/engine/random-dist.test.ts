/**
 * nd.random's and np.random's draws beyond the uniform and the normal
 * (compiler/engine/random-dist.ts): each distribution's sample mean and
 * variance against its own (exponential: s, s^2; gamma: ab, ab^2; Poisson:
 * lam, lam) within 5 standard errors over 40,000 draws, the Poisson's small
 * means also by a chi-square test against its probabilities, on both sides
 * of the switch to PTRS at lam = 10; the ends exactly (scale, alpha, lam 0
 * give 0); logGamma against python's math.lgamma. choice, shuffle and
 * permutation: frequencies by chi-square (test/helpers/frequencies.ts), no
 * repeats without replacement, elements kept.
 */
import assert from 'node:assert/strict';
import { nd, np, random } from 'gluonc';
import { logGamma } from '../../../compiler/engine/random-dist.js';
import { assertFrequencies, assertMoments } from '../../helpers/frequencies.js';
import { runPython } from '../../helpers/python-server.js';

const N = 40_000;
const values = (a: nd.NDArray): number[] => Array.from(a.data() as ArrayLike<number | bigint>, Number);

describe('nd.random / np.random: exponential, gamma, poisson, randn, shuffle, choice, permutation', function () {
  this.timeout(60_000);

  it('exponential: mean scale, variance scale^2; scale 0 gives 0', () => {
    random.seed(1);
    for (const s of [0.5, 2]) assertMoments(values(nd.random.exponential(s, [N])), s, s * s, 9 * s ** 4, `nd scale ${s}`);
    assertMoments(values(np.random.exponential({ scale: 3, size: N })), 3, 9, 9 * 81, 'np scale 3');
    assert.ok(values(nd.random.exponential(0, [5])).every((x) => x === 0));
    assert.ok(values(nd.random.exponential(1, [N])).every((x) => x >= 0 && Number.isFinite(x)));
    assert.deepEqual(np.random.exponential().shape, []);
  });

  it('gamma: mean alpha * beta, variance alpha * beta^2, below and above alpha 1; alpha 0 gives 0', () => {
    random.seed(2);
    for (const [a, b] of [[0.3, 2], [1, 1], [2.5, 0.5], [20, 3]] as const) {
      // Fourth central moment of a gamma: 3a(a + 2) b^4.
      assertMoments(values(nd.random.gamma(a, b, [N])), a * b, a * b * b, 3 * a * (a + 2) * b ** 4, `alpha ${a}, beta ${b}`);
    }
    assertMoments(values(np.random.gamma(4, 0.5, N)), 2, 1, 3 * 4 * 6 * 0.0625, 'np.random.gamma(4, 0.5)');
    assert.ok(values(nd.random.gamma(0, 1, [4])).every((x) => x === 0));
    assert.ok(values(nd.random.gamma(0.05, 1, [N])).every((x) => x >= 0 && Number.isFinite(x)), 'tiny alpha stays finite');
  });

  it('poisson: probabilities by chi-square for small means, moments for large ones, either side of lam = 10', () => {
    random.seed(3);
    const pmf = (lam: number, k: number) => Math.exp(-lam + k * Math.log(lam) - logGamma(k + 1));
    for (const lam of [0.5, 4, 9.9, 10, 15]) {
      const v = values(nd.random.poisson(lam, [N]));
      assert.ok(v.every(Number.isInteger), `lam ${lam}: integers`);
      // Classes 0..K-1 plus the tail K.. as one class.
      const K = Math.ceil(lam + 4 * Math.sqrt(lam) + 2);
      const probs = Array.from({ length: K }, (_v, k) => pmf(lam, k));
      probs.push(1 - probs.reduce((a, b) => a + b, 0));
      assertFrequencies(v.map((k) => Math.min(k, K)), probs, `lam ${lam}`);
    }
    for (const lam of [50, 1000]) assertMoments(values(nd.random.poisson(lam, [N])), lam, lam, lam + 3 * lam * lam, `lam ${lam}`);
    assert.deepEqual(values(nd.random.poisson(0, [3])), [0, 0, 0]);
    assert.equal(nd.random.poisson(2, [2]).dtype, 'float32', "MXNet's samples are float32");
    assert.equal(nd.random.poisson(2, [2], 'int32').dtype, 'int32');
  });

  it('logGamma equals python math.lgamma', () => {
    const xs = [1e-3, 0.1, 0.5, 1, 1.5, 2, 3.7, 10, 57.3, 171, 1e4];
    const py = runPython(`import math; print(' '.join(repr(math.lgamma(x)) for x in ${JSON.stringify(xs)}))`);
    assert.equal(py.status, 0, py.stderr);
    py.stdout.trim().split(' ').map(Number).forEach((ref, i) => assert.ok(Math.abs(logGamma(xs[i]!) - ref) <= 1e-12 * Math.max(1, Math.abs(ref)), `lgamma(${xs[i]}): ${logGamma(xs[i]!)} against ${ref}`));
  });

  it("randn: MXNet's randn(*shape, loc, scale)", () => {
    random.seed(4);
    assert.deepEqual(nd.random.randn(2, 3).shape, [2, 3]);
    assert.deepEqual(nd.random.randn().shape, [1]);
    assertMoments(values(nd.random.randn(N, { loc: 1, scale: 2 })), 1, 4, 48, 'randn loc 1 scale 2');
    assert.equal(nd.random.randn(2, 'float64').dtype, 'float64');
  });

  it('shuffle (nd: a copy; np: in place) and permutation: rows kept, each position uniform', () => {
    random.seed(5);
    const rows = nd.arange(12).reshape(6, 2);
    const s = nd.random.shuffle(rows);
    assert.deepEqual(values(rows), [...Array(12).keys()], 'nd.random.shuffle leaves its input');
    const pairs = s.toArray() as number[][];
    assert.deepEqual(pairs.map(([a, b]) => [a, b! - a!]).sort((x, y) => x[0]! - y[0]!), [0, 2, 4, 6, 8, 10].map((a) => [a, 1]), 'rows move whole');
    const x = nd.arange(5);
    assert.equal(np.random.shuffle(x), undefined);
    assert.deepEqual(values(x).sort(), [0, 1, 2, 3, 4]);
    // Where element 0 lands over many permutations: uniform over 5 positions.
    const land: number[] = [];
    for (let i = 0; i < 5000; i++) land.push(values(np.random.permutation(5)).indexOf(0));
    assertFrequencies(land, new Array(5).fill(0.2), 'position of 0');
    assert.equal(np.random.permutation(3).dtype, 'int64');
    assert.deepEqual(values(np.random.permutation(nd.array([7, 8, 9]))).sort(), [7, 8, 9]);
    assert.throws(() => nd.random.shuffle(nd.array(1)), /nd\.random\.shuffle: data must have at least one axis, got a scalar/);
    assert.throws(() => np.random.permutation(-2), /np\.random\.permutation: x must be an NDArray or a non-negative integer, got -2/);
  });

  it('choice: uniform or by p, with and without replacement', () => {
    random.seed(6);
    assertFrequencies(values(np.random.choice(4, 8000)), [0.25, 0.25, 0.25, 0.25], 'uniform');
    const p = [0.1, 0, 0.6, 0.3];
    assertFrequencies(values(np.random.choice(4, [4000, 2], true, p)), p, 'by p');
    const words = nd.array([10, 20, 30, 40, 50], { dtype: 'int32' });
    const pick = np.random.choice(words, { size: [2, 2], replace: false });
    assert.deepEqual([pick.dtype, pick.shape], ['int32', [2, 2]]);
    assert.equal(new Set(values(pick)).size, 4, 'no repeats');
    const first: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const d = values(np.random.choice(5, 3, false, [0.5, 0.25, 0.25, 0, 0]));
      assert.equal(new Set(d).size, 3);
      assert.ok(d.every((c) => c < 3), 'a class of probability 0 is never drawn');
      first.push(d[0]!);
    }
    assertFrequencies(first, [0.5, 0.25, 0.25], 'first draw without replacement');
    assert.deepEqual(np.random.choice(3).shape, []);
    assert.throws(() => np.random.choice(3, 4, false), /np\.random\.choice: cannot take a larger sample \(4\) than the population \(3\) when replace is false/);
    assert.throws(() => np.random.choice(3, 1, true, [0.5, 0.6, 0]), /np\.random\.choice: probabilities do not sum to 1 \(they sum to 1\.1\)/);
    assert.throws(() => np.random.choice(3, 1, true, [0.5, 0.5]), /np\.random\.choice: p must be a list of 3 probabilities/);
    assert.throws(() => np.random.choice(0), /np\.random\.choice: a must be a positive integer or a 1-d NDArray, got 0/);
    assert.throws(() => np.random.choice(3, 2, { size: 2 }), /got multiple values for argument 'size'/);
    assert.throws(() => np.random.choice(3, { sise: 2 } as never), /unknown option 'sise'/);
  });

  it('refuses negative or non-finite parameters by name', () => {
    assert.throws(() => nd.random.exponential(-1, [2]), /nd\.random\.exponential: scale must be a finite number not below 0, got -1/);
    assert.throws(() => nd.random.gamma(2, Infinity, [2]), /nd\.random\.gamma: beta must be a finite number not below 0, got Infinity/);
    assert.throws(() => nd.random.poisson(NaN, [2]), /nd\.random\.poisson: lam must be a number, got null/);
    assert.throws(() => np.random.gamma(), /np\.random\.gamma: shape is required/);
    assert.throws(() => nd.random.randn(2, { scale: -1 }), /nd\.random\.randn: scale must be a finite number not below 0, got -1/);
  });
});
