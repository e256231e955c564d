/**
 * `F.random` (compiler/ops/random-namespace.ts), eager (F = nd's operators)
 * and hybridized (the draws inside the compiled graph): each distribution's
 * sample mean and variance against its own within 5 standard errors
 * (uniform: (lo + hi) / 2, (hi - lo)^2 / 12; normal: loc, scale^2;
 * exponential: s, s^2), randint's and multinomial's frequencies by a
 * chi-square test, `getProb` against float64 logarithms of the drawn
 * probabilities, shuffle keeping whole rows; a draw shaped by a symbolic
 * batch (`x.shape[0]`) in an exported artifact at two batch sizes; numbers
 * only for the parameters (a tensor is refused by name).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, nd, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { assertFrequencies, assertMoments } from '../../helpers/frequencies.js';
import { largestBelow } from '../../../compiler/ops/random.js';

const N = 40_000;
const values = (a: nd.NDArray): number[] => Array.from(a.data() as ArrayLike<number | bigint>, Number);

/** A block whose forward is `fwd`, eager or hybridized. */
class Draw extends gluon.HybridBlock {
  constructor(readonly fwd: (F: gluon.F, x: gluon.Tensor) => gluon.Tensor | gluon.Tensor[]) {
    super();
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    return this.fwd(F, x);
  }
}

function both(fwd: (F: gluon.F, x: gluon.Tensor) => gluon.Tensor | gluon.Tensor[], x: nd.NDArray): [string, nd.NDArray[]][] {
  return [false, true].map((h) => {
    const b = new Draw(fwd);
    if (h) b.hybridize();
    const out = b.call(x) as nd.NDArray | nd.NDArray[];
    return [h ? 'hybridized' : 'eager', Array.isArray(out) ? out : [out]];
  });
}

describe('F.random in hybridForward: uniform, normal, randint, exponential, *Like, multinomial, shuffle', function () {
  this.timeout(60_000);
  const x = nd.zeros([200, N / 200]);

  it('uniform, normal, exponential and the *Like forms follow their distributions', () => {
    random.seed(1);
    const outs = both((F, t) => [F.random.uniform(-1, 3, [N]), F.random.normal(1, 2, [N], { dtype: 'float64' }), F.random.exponential(0.5, [N]), F.random.uniformLike(t, 2, 4), F.random.normalLike(t, -1, 0.5)], x);
    for (const [mode, [u, n, e, ul, nl]] of outs) {
      assert.deepEqual([u!.shape, n!.dtype, ul!.shape, nl!.shape], [[N], 'float64', [200, N / 200], [200, N / 200]], mode);
      assertMoments(values(u!), 1, 16 / 12, 256 / 80, `${mode} uniform(-1, 3)`);
      assertMoments(values(n!), 1, 4, 48, `${mode} normal(1, 2)`);
      assertMoments(values(e!), 0.5, 0.25, 9 * 0.0625, `${mode} exponential(0.5)`);
      assert.ok(values(e!).every((v) => v >= 0 && Number.isFinite(v)), `${mode}: exponential draws are finite, not negative`);
      assertMoments(values(ul!), 3, 4 / 12, 16 / 80, `${mode} uniformLike(2, 4)`);
      assertMoments(values(nl!), -1, 0.25, 3 * 0.0625, `${mode} normalLike(-1, 0.5)`);
    }
  });

  it('randint: integers in [low, high), uniform by chi-square, int32 unless told', () => {
    random.seed(2);
    for (const [mode, [r, r64]] of both((F) => [F.random.randint(-2, 3, [N]), F.random.randint(0, 4, [8], { dtype: 'int64' })], x)) {
      assert.equal(r!.dtype, 'int32', mode);
      assert.equal(r64!.dtype, 'int64', mode);
      assertFrequencies(values(r!).map((v) => v + 2), new Array(5).fill(0.2), `${mode} randint(-2, 3)`);
    }
  });

  it('multinomial with getProb: the log-probability of each draw; shuffle: rows kept', () => {
    random.seed(3);
    const p = [
      [0.1, 0.2, 0.7],
      [0.5, 0.5, 0],
    ];
    const rows = nd.arange(12).reshape(6, 2);
    for (const [mode, [idx, lp, s]] of both((F, t) => [...F.random.multinomial(t, { shape: [2, 500], getProb: true }), F.random.shuffle(F.reshape(F.arange(0, 12), [6, 2]))], nd.array(p))) {
      assert.deepEqual([idx!.shape, lp!.shape], [[2, 2, 500], [2, 2, 500]], mode);
      const iv = values(idx!);
      const lv = values(lp!);
      iv.forEach((c, j) => assert.ok(Math.abs(lv[j]! - Math.log(p[Math.floor(j / 1000)]![c]!)) < 1e-6, `${mode} draw ${j}`));
      p.forEach((q, r) => assertFrequencies(iv.slice(r * 1000, (r + 1) * 1000), q, `${mode} row ${r}`));
      const got = (s!.toArray() as number[][]).map(([a, b]) => [a, b! - a!]).sort((u, v) => u[0]! - v[0]!);
      assert.deepEqual(got, (rows.toArray() as number[][]).map(([a]) => [a, 1]), `${mode}: shuffle moves whole rows`);
    }
  });

  it('draws shaped by a symbolic batch export and run at any batch size', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-f-random-'));
    try {
      const net = new Draw((F, t) => F.add(t, F.random.normal(0, 1, [t.shape[0]!, 3])));
      net.hybridize();
      net.call(nd.zeros([2, 3]));
      const file = path.join(dir, 'noise.onnx');
      net.export(file, { inputs: { data: { shape: ['N', 3] } } } as never);
      const m = await loadModel(file);
      for (const n of [1, 7]) {
        const out = Object.values(await m.run({ data: { data: new Float32Array(n * 3).fill(10), shape: [n, 3] } } as never))[0] as { shape: number[]; data: Float32Array };
        assert.deepEqual(out.shape, [n, 3]);
        assert.ok(Array.from(out.data).every((v) => Number.isFinite(v) && v !== 10), `batch ${n}: noise added`);
      }
      await m.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses tensor-valued parameters, bad ranges and dtypes by name', () => {
    const run = (fwd: (F: gluon.F, x: gluon.Tensor) => gluon.Tensor) => new Draw(fwd).call(nd.ones([2]));
    assert.throws(() => run((F, t) => F.random.uniform(t as never, 1, [2])), /F\.random\.uniform: low must be a finite number \(MXNet's tensor-valued parameters.*got a tensor/);
    assert.throws(() => run((F) => F.random.randint(3, 3, [2])), /F\.random\.randint: low and high must be integers with high > low, got 3 and 3/);
    assert.throws(() => run((F) => F.random.exponential(-1, [2])), /F\.random\.exponential: scale must not be negative, got -1/);
    assert.throws(() => run((F) => F.random.normal(0, 1, [2], { dtype: 'int32' })), /F\.random\.normal: dtype must be float32 or float64, got int32/);
    assert.throws(() => run((F) => F.random.uniform(0, 1, [2], { dtyp: 'float32' } as never)), /F\.random\.uniform: unknown option 'dtyp' \(dtype\)/);
    assert.throws(() => run((F, t) => F.random.multinomial(t, { shap: 2 } as never)), /F\.random\.multinomial: unknown option 'shap'/);
  });
});

describe('randomUniformLike draws in [low, high) in the output dtype', () => {
  // Element 249374 of the draw seeded 8 is u = 0.99999999720... in float64 (uniformAt's 32 bits), which float32
  // rounds to 1: the kernel gives the largest float32 below high instead (MXNet's and ONNX's [low, high)).
  const edge = (x: nd.NDArray): number => (x.data() as Float32Array)[249374]!;
  it('a draw that float32 would round up to high is the largest float32 below it', () => {
    const like = nd.zeros([249375]);
    assert.equal(edge(nd.randomUniformLike(like, { seed: 8 })), 1 - 2 ** -24);
    assert.equal(edge(nd.randomUniformLike(like, { seed: 8, low: 2, high: 3 })), 3 - 2 ** -22);
    // float64 keeps the draw itself: 0.9999999972... is below 1 there.
    const d = nd.randomUniformLike(like, { seed: 8, dtype: 'float64' });
    const v = (d.data() as Float64Array)[249374]!;
    assert.ok(v < 1 && v > 1 - 2 ** -25, `float64 draw ${v}`);
  });
  it('largestBelow: the next value down in each dtype', () => {
    assert.equal(largestBelow(1, 'float32'), 1 - 2 ** -24);
    assert.equal(largestBelow(1, 'float64'), 1 - 2 ** -53);
    assert.equal(largestBelow(-1, 'float32'), -(1 + 2 ** -23));
    assert.equal(largestBelow(0, 'float32'), -(2 ** -149));
    assert.equal(largestBelow(0.1, 'float32'), Math.fround(0.1) - 2 ** -27); // 0.1 is no float32: fround rounds it up
  });
});
