/** Random inputs for the operator table (fresh each run; the seed is printed in test titles and `GLUONC_TEST_SEED` replays it). */
import { nd } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { getOp } from '../../../compiler/ops/registry.js';
import { mulberry32, TEST_SEED } from '../../helpers/seed.js';
import type { InputSpec } from './case.js';

/** This run's input seed (`GLUONC_TEST_SEED` when set). */
export const SEED = TEST_SEED;
const stream = mulberry32(SEED);

/** A uniform draw in [0, 1) from the run's seeded stream. */
export function rand(): number {
  return stream();
}

/** A random input following its spec (dtype overridable). */
export function makeInput(spec: InputSpec, dtype = spec.dtype ?? 'float32'): NDArray {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const [lo, hi] = spec.range ?? [-2, 2];
  const float = dtype.startsWith('float');
  const values = spec.values ?? (spec.spaced && float ? spaced(n, lo, hi) : Array.from({ length: n }, () => (float ? lo + (hi - lo) * rand() : Math.floor(lo + (hi - lo) * rand()))));
  return nd.array(values, { shape: spec.shape, dtype });
}

/** `n` values in [lo, hi], each in its own cell of an even grid (jittered by at most 15% of a cell), shuffled. */
function spaced(n: number, lo: number, hi: number): number[] {
  const cell = (hi - lo) / n;
  const v = Array.from({ length: n }, (_x, k) => lo + cell * (k + 0.5 + 0.3 * (rand() - 0.5)));
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1));
    [v[k], v[j]] = [v[j]!, v[k]!];
  }
  return v;
}

/** Calls operator `op` of backend `F`; leading arguments (einsum's equation) come first in `args`. */
export function callOp(F: unknown, op: string, inputs: unknown[], args: unknown[] = []): unknown {
  const lead = getOp(op).leading?.length ?? 0;
  return (F as Record<string, (...a: unknown[]) => unknown>)[op]!(...args.slice(0, lead), ...inputs, ...args.slice(lead));
}

/**
 * The shape a type rule promises for an output that came back with `actual`:
 * the symbolic batch 'N' is `n` (a product such as '2*N' too), and an opaque dimension ('(nonzero)': known
 * only when the graph runs) is whatever length came back. Example:
 * `assert.deepEqual(out.shape, promisedShape(t.shape, out.shape, 5))`.
 */
export function promisedShape(rule: readonly (number | string)[], actual: readonly number[], n?: number): (number | string | undefined)[] {
  return rule.map((d, k) => {
    if (typeof d !== 'string') return d;
    if (d.startsWith('(')) return actual[k];
    // A product of the batch and numbers ('N', '2*N'), as mulDims writes it.
    if (n !== undefined && /^(\d+|N)(\*(\d+|N))*$/.test(d)) return d.split('*').reduce((p, f) => p * (f === 'N' ? n : Number(f)), 1);
    return d;
  });
}
