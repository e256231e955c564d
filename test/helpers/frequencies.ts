/** Checks of random draws: categorical ones against their probabilities, continuous ones against their moments. */
import assert from 'node:assert/strict';

/**
 * Pearson's chi-square critical values at p = 0.001 for 1..40 degrees of
 * freedom (the standard table: scipy.stats.chi2.ppf(0.999, df)).
 */
const CHI2_999 = [
  10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588, 31.264, 32.909, 34.528, 36.123, 37.697, 39.252, 40.79, 42.312, 43.82, 45.315,
  46.797, 48.268, 49.728, 51.179, 52.62, 54.052, 55.476, 56.892, 58.301, 59.703, 61.098, 62.487, 63.87, 65.247, 66.619, 67.985, 69.346, 70.703, 72.055, 73.402,
];

/**
 * Asserts that class indices `draws` follow `probs`: no index outside
 * [0, K), none of a class of probability 0, and Pearson's chi-square over
 * the classes of non-zero probability below its 0.999 quantile.
 * Example: `assertFrequencies([0, 2, 2, 1], [0.2, 0.3, 0.5], 'row 0')`.
 */
export function assertFrequencies(draws: number[], probs: number[], what: string): void {
  const counts = new Array<number>(probs.length).fill(0);
  for (const d of draws) {
    assert.ok(Number.isInteger(d) && d >= 0 && d < probs.length, `${what}: index ${d} outside [0, ${probs.length})`);
    counts[d]!++;
  }
  const n = draws.length;
  let chi2 = 0;
  let df = -1;
  probs.forEach((p, k) => {
    if (p === 0) return assert.equal(counts[k], 0, `${what}: class ${k} of probability 0 drawn ${counts[k]} times`);
    chi2 += (counts[k]! - n * p) ** 2 / (n * p);
    df++;
  });
  if (df < 1) return;
  if (df > CHI2_999.length) throw new Error(`assertFrequencies: ${df + 1} classes; the table goes to ${CHI2_999.length + 1}`);
  const limit = CHI2_999[df - 1]!;
  assert.ok(chi2 < limit, `${what}: counts ${counts.join(', ')} of ${n} draws against probabilities ${probs.map((p) => p.toFixed(4)).join(', ')}: chi-square ${chi2.toFixed(2)} >= ${limit} (df ${df}, p = 0.001)`);
}

/**
 * Asserts that draws `v` have the distribution's mean and variance, within 5
 * standard errors (the variance's from `mu4`, the fourth central moment).
 * Example: `assertMoments(draws, 0.5, 1 / 12, 1 / 80, 'uniform')`.
 */
export function assertMoments(v: number[], mean: number, variance: number, mu4: number, what: string): void {
  const n = v.length;
  const m = v.reduce((a, b) => a + b, 0) / n;
  const s2 = v.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
  assert.ok(Math.abs(m - mean) <= 5 * Math.sqrt(variance / n), `${what}: mean ${m}, expected ${mean}`);
  const tol = 5 * Math.sqrt((mu4 - variance ** 2) / n) + (25 * variance) / n;
  assert.ok(Math.abs(s2 - variance) <= tol, `${what}: variance ${s2}, expected ${variance} ± ${tol}`);
}
