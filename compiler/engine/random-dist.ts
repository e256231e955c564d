/**
 * Draws of the distributions behind `nd.random` and `np.random` beyond the
 * uniform and the normal, from the one seeded stream (`random.seed`):
 * exponential (inversion), gamma (Marsaglia and Tsang's method, 2000, with
 * the `u^(1/alpha)` boost below alpha 1), Poisson (multiplication of
 * uniforms below 10, Hörmann's PTRS transformed rejection from 10 on — numpy's
 * choice, legacy/distributions.c), and a Fisher-Yates permutation.
 *
 * ```ts
 * gammaDraw(2, 1.5); poissonDraw(4); permutation(5); // [3, 0, 4, 1, 2]
 * ```
 */
import { nextFloat, nextInt, nextNormal } from './random.js';

/** An exponential draw of mean `scale` (`-scale * log(1 - u)`, u in [0, 1)). */
export function exponentialDraw(scale: number): number {
  return -scale * Math.log(1 - nextFloat());
}

/** A gamma draw of shape `alpha` and scale `scale` (mean alpha * scale); alpha 0 gives 0. */
export function gammaDraw(alpha: number, scale: number): number {
  if (alpha === 0) return 0;
  if (alpha < 1) {
    let u = nextFloat();
    while (u === 0) u = nextFloat();
    return gammaDraw(alpha + 1, scale) * u ** (1 / alpha);
  }
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = nextNormal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = nextFloat();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/** log(Gamma(x)) for x > 0 (Lanczos, g = 7, 9 terms: ~15 digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const g = 7;
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** A Poisson draw of mean `lam`. */
export function poissonDraw(lam: number): number {
  if (lam === 0) return 0;
  if (lam < 10) {
    const limit = Math.exp(-lam);
    let k = 0;
    let p = nextFloat();
    while (p > limit) {
      k++;
      p *= nextFloat();
    }
    return k;
  }
  const slam = Math.sqrt(lam);
  const loglam = Math.log(lam);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = nextFloat() - 0.5;
    const v = nextFloat();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lam + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - logGamma(k + 1)) return k;
  }
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number): number[] {
  const p = Array.from({ length: n }, (_v, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = nextInt(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}
