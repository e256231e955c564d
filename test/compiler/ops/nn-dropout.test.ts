/**
 * Dropout's randomness: the kept fraction and scale of the eager kernel and
 * of the compiled graph, repeatability for a seed, and the identity when
 * inactive.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { withTrainingMode } from '../../../compiler/ops/mode.js';
import { seedRng } from '../../../compiler/ops/rng.js';

/** The values of an array as numbers. */
const vals = (y: NDArray): number[] => Array.from(y.data() as Float32Array);

function checkMask(y: NDArray, p: number, what: string): void {
  const v = vals(y);
  const zeros = v.filter((e) => e === 0).length / v.length;
  assert.ok(zeros > p - 0.05 && zeros < p + 0.05, `${what}: fraction of zeros ${zeros}, expected about ${p}`);
  const scale = 1 / (1 - p);
  assert.ok(v.every((e) => e === 0 || Math.abs(e - scale) < 1e-6), `${what}: kept values must equal ${scale}`);
}

describe('Dropout masks', () => {
  const ones = nd.ones([10000]);

  it('drops about p of 10,000 ones and scales the rest by 1/(1-p), eagerly', () => {
    checkMask(nd.Dropout(ones, { training: true }), 0.5, 'eager training');
    checkMask(nd.Dropout(ones, { mode: 'always' }), 0.5, 'eager always');
    checkMask(nd.Dropout(nd.ones([100, 100]), { p: 0.2, training: true }), 0.2, 'eager p 0.2');
    checkMask(withTrainingMode(true, () => nd.Dropout(ones)), 0.5, 'eager in training mode');
  });

  it('drops about p of 10,000 ones and scales the rest by 1/(1-p), compiled', () => {
    const x = sym.var('x', { shape: [10000] });
    checkMask(sym.Dropout(x, { training: true }).eval({ x: ones }) as NDArray, 0.5, 'compiled training');
    checkMask(sym.Dropout(x, { p: 0.3, mode: 'always' }).eval({ x: ones }) as NDArray, 0.3, 'compiled always');
    const n = sym.var('n', { shape: ['N', 100] });
    checkMask(sym.Dropout(n, { training: true }).eval({ n: nd.ones([100, 100]) }) as NDArray, 0.5, 'compiled symbolic batch');
  });

  it('shares one mask value along `axes`', () => {
    const y = nd.Dropout(nd.ones([50, 40]), { training: true, axes: [1] }).toArray() as number[][];
    for (const row of y) assert.ok(row.every((e) => e === row[0]), 'a row shares its mask value');
    const z = (sym.Dropout(sym.var('x', { shape: [40, 50] }), { training: true, axes: [0] }).eval({ x: nd.ones([40, 50]) }) as NDArray).toArray() as number[][];
    for (const row of z) assert.deepEqual(row, z[0], 'every row has the same mask');
  });

  it('repeats for a seed and differs between calls', () => {
    seedRng(7);
    const a = vals(nd.Dropout(ones, { training: true }));
    const b = vals(nd.Dropout(ones, { training: true }));
    seedRng(7);
    const c = vals(nd.Dropout(ones, { training: true }));
    assert.deepEqual(c, a);
    assert.notDeepEqual(b, a);
    const x = sym.var('x', { shape: [10000] });
    const run = () => vals(sym.Dropout(x, { training: true, seed: 42 }).eval({ x: ones }) as NDArray);
    assert.deepEqual(run(), run());
  });

  it('is the identity when inactive', () => {
    const x = nd.random.uniform(-1, 1, [30, 7]);
    const want = vals(x);
    assert.deepEqual(vals(nd.Dropout(x, { training: false })), want);
    assert.deepEqual(vals(nd.Dropout(x, { mode: 'training' })), want, 'outside training mode by default');
    assert.deepEqual(vals(nd.Dropout(x, { p: 0, mode: 'always' })), want);
    const s = sym.var('x', { shape: ['N', 7] });
    assert.deepEqual(vals(sym.Dropout(s, { mode: 'training', training: false }).eval({ x }) as NDArray), want);
    assert.deepEqual(vals(withTrainingMode(false, () => sym.Dropout(s)).eval({ x }) as NDArray), want);
  });
});
