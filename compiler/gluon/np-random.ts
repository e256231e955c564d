/**
 * numpy's `np.random` over the seeded stream (`random.seed`): uniform,
 * normal, randint (on `nd.random`'s draws) and multinomial.
 */
import type { DType } from '../../runtime/dtypes.js';
import { tensorFromNumbers } from '../../runtime/tensor.js';
import * as ndMod from '../engine/nd.js';
import { NDArray } from '../engine/ndarray.js';
import { nextFloat } from '../engine/random.js';

function shapeOf(size: number[] | number | undefined): number[] {
  return size === undefined ? [] : typeof size === 'number' ? [size] : size;
}

/**
 * numpy's `random`, drawing from the seeded stream (`random.seed`); `size`
 * omitted gives one value of shape `[]`. numpy's keyword arguments (`size`,
 * `low`, `loc`, `dtype`, ...) may come in the trailing options object.
 *
 * ```ts
 * np.random.uniform(0, 1, [4, 8]);
 * np.random.uniform({ size: [2, 4] });          // d2l's np.random.uniform(size=(2, 4))
 * np.random.normal(0, 0.01, [256, 784]);
 * ```
 */
export const random = {
  multinomial,
  /** Uniform in [low, high). */
  uniform(...args: ndMod.RandomArgs<NpRandomOptions>): NDArray {
    const { values: [low, high, size], dtype } = ndMod.bindRandom('np.random.uniform', ['low', 'high', 'size'], args);
    return ndMod.random.uniform({ low, high, shape: shapeOf(size as number[] | number | undefined), dtype } as never);
  },
  /** Normal with mean `loc` and standard deviation `scale`. */
  normal(...args: ndMod.RandomArgs<NpRandomOptions>): NDArray {
    const { values: [loc, scale, size], dtype } = ndMod.bindRandom('np.random.normal', ['loc', 'scale', 'size'], args);
    return ndMod.random.normal({ loc, scale, shape: shapeOf(size as number[] | number | undefined), dtype } as never);
  },
  /** Integers in [low, high), int64 unless `dtype` says otherwise; numpy's `randint(high)` draws from [0, high). */
  randint(...args: ndMod.RandomArgs<NpRandomOptions>): NDArray {
    const { values: [low, high, size], dtype } = ndMod.bindRandom('np.random.randint', ['low', 'high', 'size'], args);
    const [lo, hi] = high === undefined || high === null ? [0, low] : [low, high];
    return ndMod.random.randint({ low: lo, high: hi, shape: shapeOf(size as number[] | number | undefined), dtype: dtype ?? 'int64' } as never);
  },
};

/** Options of np.random's functions (numpy's keyword arguments). */
type NpRandomOptions = { low?: number; high?: number; loc?: number; scale?: number; size?: number[] | number; dtype?: DType };

/**
 * numpy's `multinomial(n, pvals, size)`: counts of `n` experiments over the
 * outcomes of `pvals`, shape `size + [len(pvals)]`. MXNet's rule
 * (src/operator/numpy/random/np_multinomial_op.h): each experiment's uniform
 * draw lands on the first outcome whose running sum of `pvals` exceeds it,
 * else on the last (the last outcome takes what the others leave, as numpy
 * says); int32 as MXNet's np gives (numpy: int64).
 * Example: `np.random.multinomial(1000, [1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6])` (d2l's dice).
 */
function multinomial(n: number, pvals: number[] | NDArray, size?: number[] | number | null, ...rest: unknown[]): NDArray {
  const w = 'np.random.multinomial';
  if (rest.some((r) => r !== undefined)) throw new Error(`${w}: takes (n, pvals, size)`);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${w}: n must be a non-negative integer, got ${JSON.stringify(n)}`);
  const p = pvals instanceof NDArray ? Array.from(pvals.data() as ArrayLike<number>, Number) : pvals;
  if (!Array.isArray(p) || p.length === 0 || (pvals instanceof NDArray && pvals.shape.length !== 1)) throw new Error(`${w}: pvals must be a non-empty 1-d list of probabilities`);
  let partial = 0;
  for (let k = 0; k < p.length; k++) {
    const v = p[k];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${w}: pvals[${k}] must be a probability in [0, 1], got ${JSON.stringify(v)}`);
    if (k < p.length - 1) partial += v;
  }
  if (partial > 1 + 1e-12) throw new Error(`${w}: sum(pvals[:-1]) = ${partial} exceeds 1`);
  const lead = size === undefined || size === null ? [] : shapeOf(size);
  if (lead.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${w}: size must be a non-negative integer or a list of them, got ${JSON.stringify(size)}`);
  const k = p.length;
  const count = lead.reduce((a, d) => a * d, 1);
  const out = new Array<number>(count * k).fill(0);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < n; j++) {
      const u = nextFloat();
      let acc = 0;
      let hit = k - 1;
      for (let c = 0; c < k; c++) {
        acc += p[c]!;
        if (acc > u) {
          hit = c;
          break;
        }
      }
      out[i * k + hit]!++;
    }
  }
  return new NDArray(tensorFromNumbers('int32', [...lead, k], out));
}
