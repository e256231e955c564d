/**
 * numpy's `np.random` over the seeded stream (`random.seed`): uniform,
 * normal, randint, exponential, gamma (on `nd.random`'s draws), multinomial,
 * choice, shuffle and permutation.
 */
import type { DType } from '../../runtime/dtypes.js';
import { tensorFromNumbers } from '../../runtime/tensor.js';
import * as ndMod from '../engine/nd.js';
import { NDArray } from '../engine/ndarray.js';
import { nextFloat, nextInt } from '../engine/random.js';
import { permutation as perm } from '../engine/random-dist.js';

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
  /** Exponential draws of mean `scale` (numpy's `exponential(scale=1.0, size=None)`). */
  exponential(...args: ndMod.RandomArgs2<NpRandomOptions>): NDArray {
    const { values: [scale, size], dtype } = ndMod.bindRandom('np.random.exponential', ['scale', 'size'], args);
    return ndMod.random.exponential({ scale, shape: shapeOf(size as number[] | number | undefined), dtype } as never);
  },
  /** Gamma draws of shape `shape` and scale `scale` (numpy's `gamma(shape, scale=1.0, size=None)`; mean shape * scale). */
  gamma(...args: ndMod.RandomArgs<NpRandomOptions & { shape?: number }>): NDArray {
    const { values: [shape, scale, size], dtype } = ndMod.bindRandom('np.random.gamma', ['shape', 'scale', 'size'], args);
    if (shape === undefined) throw new Error('np.random.gamma: shape is required');
    return ndMod.random.gamma({ alpha: shape, beta: scale, shape: shapeOf(size as number[] | number | undefined), dtype } as never);
  },
  choice,
  /** Shuffles `x` in place along its first axis (numpy's `shuffle`; returns nothing). Example: `np.random.shuffle(indices)`. */
  shuffle(x: NDArray, ...rest: unknown[]): void {
    if (!(x instanceof NDArray)) throw new Error(`np.random.shuffle: x must be an NDArray (shuffled in place), got ${typeof x}`);
    if (rest.some((r) => r !== undefined)) throw new Error('np.random.shuffle: takes one array');
    ndMod.random.shuffle(x).copyto(x);
  },
  /** A shuffled copy of `x` along its first axis, or of `arange(x)` for an integer (numpy's `permutation`, int64). */
  permutation(x: NDArray | number, ...rest: unknown[]): NDArray {
    if (rest.some((r) => r !== undefined)) throw new Error('np.random.permutation: takes one argument');
    if (x instanceof NDArray) return ndMod.random.shuffle(x);
    if (!Number.isInteger(x) || x < 0) throw new Error(`np.random.permutation: x must be an NDArray or a non-negative integer, got ${JSON.stringify(x)}`);
    return ndMod.array(perm(x), { dtype: 'int64' });
  },
};

/**
 * numpy's `choice(a, size=None, replace=True, p=None)`: draws from `a` (an
 * integer n: `arange(n)`, int64; or a 1-d array: its elements and dtype),
 * with probabilities `p` (uniform when absent) and, with `replace: false`,
 * without repeats (each draw then from what is left, `p` renormalized, as
 * numpy). Example: `np.random.choice(5, 3, { replace: false })`, `np.random.choice(words, { size: 10, p })`.
 */
function choice(a: NDArray | number, ...args: unknown[]): NDArray {
  const w = 'np.random.choice';
  let k = args.findIndex((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
  if (k < 0) k = args.length;
  if (k > 3 || args.slice(k + 1).some((v) => v !== undefined)) throw new Error(`${w}: takes (a, size, replace, p) or (a, { size, replace, p })`);
  const o = (args[k] ?? {}) as { size?: number[] | number | null; replace?: boolean; p?: number[] | NDArray | null };
  for (const key of Object.keys(o)) if (!['size', 'replace', 'p'].includes(key)) throw new Error(`${w}: unknown option '${key}' (size, replace, p)`);
  const pos = args.slice(0, k);
  const named = [o.size, o.replace, o.p];
  ['size', 'replace', 'p'].forEach((key, i) => {
    if (pos[i] !== undefined && named[i] !== undefined) throw new Error(`${w}: got multiple values for argument '${key}'`);
  });
  const [sizeArg, replace = true, pArg] = [pos[0] ?? o.size, (pos[1] ?? o.replace) as boolean | undefined, pos[2] ?? o.p];
  if (typeof replace !== 'boolean') throw new Error(`${w}: replace must be true or false, got ${JSON.stringify(replace)}`);
  let pool: NDArray;
  if (a instanceof NDArray) {
    if (a.shape.length !== 1) throw new Error(`${w}: a must be 1-d, got shape [${a.shape.join(', ')}]`);
    pool = a;
  } else if (Number.isInteger(a) && a > 0) pool = ndMod.arange(a, { dtype: 'int64' });
  else throw new Error(`${w}: a must be a positive integer or a 1-d NDArray, got ${JSON.stringify(a)}`);
  const n = pool.shape[0]!;
  if (n === 0) throw new Error(`${w}: a cannot be empty unless no samples are taken`);
  const size = sizeArg === undefined || sizeArg === null ? [] : shapeOf(sizeArg as number[] | number);
  if (size.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${w}: size must be a non-negative integer or a list of them, got ${JSON.stringify(sizeArg)}`);
  const count = size.reduce((x, d) => x * d, 1);
  let p: number[] | null = null;
  if (pArg !== undefined && pArg !== null) {
    p = pArg instanceof NDArray ? Array.from(pArg.data() as ArrayLike<number>, Number) : (pArg as number[]);
    if (!Array.isArray(p) || p.length !== n) throw new Error(`${w}: p must be a list of ${n} probabilities (one per element of a), got ${Array.isArray(p) ? p.length : typeof p}`);
    const bad = p.findIndex((q) => typeof q !== 'number' || !(q >= 0 && q <= 1));
    if (bad >= 0) throw new Error(`${w}: p[${bad}] must be a probability in [0, 1], got ${JSON.stringify(p[bad])}`);
    const total = p.reduce((x, q) => x + q, 0);
    if (Math.abs(total - 1) > Math.sqrt(Number.EPSILON)) throw new Error(`${w}: probabilities do not sum to 1 (they sum to ${total})`);
  }
  if (!replace && count > (p ? p.filter((q) => q > 0).length : n)) throw new Error(`${w}: cannot take a larger sample (${count}) than the population (${n}${p ? ', nonzero entries of p' : ''}) when replace is false`);
  const picks: number[] = [];
  if (!p && !replace) picks.push(...perm(n).slice(0, count));
  else {
    const weights = p ? [...p] : null;
    for (let i = 0; i < count; i++) {
      let j: number;
      if (!weights) j = nextInt(n);
      else {
        j = landing(weights, nextFloat() * weights.reduce((x, q) => x + q, 0));
        // A total rounding below the draw: the last class still in play.
        for (let m = weights.length - 1; j < 0 && m >= 0; m--) if (weights[m]! > 0) j = m;
      }
      picks.push(j);
      if (!replace) weights![j] = 0;
    }
  }
  return ndMod.ops.reshape(ndMod.ops.take(pool, ndMod.array(picks, { dtype: 'int64' })), { shape: size });
}

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
      const hit = landing(p, nextFloat());
      out[i * k + (hit < 0 ? k - 1 : hit)]!++;
    }
  }
  return new NDArray(tensorFromNumbers('int32', [...lead, k], out));
}

/** The first index whose running sum of `weights` exceeds `u` (a weight of 0 never qualifies), or -1. */
function landing(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let c = 0; c < weights.length; c++) if (weights[c]! > 0 && (acc += weights[c]!) > u) return c;
  return -1;
}
