/**
 * The `nd` backend: every operator of the list as an eager function, the
 * creation functions and `nd.random`.
 */
import { checkDType, type DType } from '../../runtime/dtypes.js';
import { sizeOf, tensorFromNumbers, writeElement, zerosTensor } from '../../runtime/tensor.js';
import { fillValueError } from '../ops/creation.js';
import { array as arrayOf, ndOps, NDArray as NDArrayClass, type ArrayOptions, type NestedNumbers } from './ndarray.js';
import { nextFloat, nextNormal, nextInt } from './random.js';
import { exponentialDraw, gammaDraw, permutation, poissonDraw } from './random-dist.js';
import { checkOptions } from '../../runtime/check-options.js';
import { isSymbolicDim } from '../ops/symbolic-dim.js';

function checkShape(what: string, shape: unknown): number[] {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (Array.isArray(s) && s.every((d) => Number.isInteger(d) && d >= 0)) return s as number[];
  const sd = Array.isArray(s) ? s.find(isSymbolicDim) : undefined;
  if (sd) throw new Error(`${what}: shape ${JSON.stringify(shape)} holds the symbolic dimension '${sd.dimName}' (x.shape[k] while exporting), which an eager array cannot have; use an operator that reads it when the graph runs (F.zeros, F.ones, F.full in hybridForward; zerosLike or broadcastLike of a tensor that has it)`);
  throw new Error(`${what}: invalid shape ${JSON.stringify(shape)} (a list of non-negative integers)`);
}

/**
 * True when a dimension argument holds `x.shape[k]` of a traced tensor (a
 * SymbolicDim while exporting): np's and nd's creation functions then build
 * the graph operator (F.zeros, F.full, F.arange), which reads the size when
 * the graph runs, as they build graph nodes for symbols elsewhere.
 */
function holdsTracedDim(...vs: unknown[]): boolean {
  return vs.some((v) => isSymbolicDim(v) || (Array.isArray(v) && v.some(isSymbolicDim)));
}

/** Options of creation function `what` (argument `at`): `{ dtype }` or a dtype name (MXNet's positional dtype); else an Error, never a dtype dropped. */
function opts<T extends { dtype?: DType }>(what: string, o: unknown, rest: unknown[], at: number, keys = ['dtype']): T {
  const k = rest.findIndex((r) => r !== undefined);
  if (k >= 0) throw new Error(`${what}: unexpected argument ${at + k + 1} (${JSON.stringify(rest[k])}); give options as { ${keys.join(', ')} }`);
  if (typeof o === 'string') return { dtype: checkDType(o, what) } as T;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${what}: the options must be an object ({ ${keys.join(', ')} }) or a dtype name, got ${JSON.stringify(o)}`);
  return checkOptions(what, o, keys) as T;
}
type Options = { dtype?: DType } | DType;

/** An array of zeros. Example: `nd.zeros([2, 3])`. */
export function zeros(shape: number[] | number, options: Options = {}, ...rest: unknown[]): NDArrayClass {
  if (holdsTracedDim(shape)) return ndOps.zeros(shape, opts<{ dtype?: DType }>('nd.zeros', options, rest, 2)) as NDArrayClass;
  return new NDArrayClass(zerosTensor(checkDType(opts<{ dtype?: DType }>('nd.zeros', options, rest, 2).dtype ?? 'float32', 'nd.zeros'), checkShape('nd.zeros', shape)));
}

/** An array filled with `value`. Example: `nd.full([2], 7)`. */
export function full(shape: number[] | number, value: number, options: Options = {}, ...rest: unknown[]): NDArrayClass {
  if (holdsTracedDim(shape)) return ndOps.full(shape, value, opts<{ dtype?: DType }>('nd.full', options, rest, 3)) as NDArrayClass;
  const t = zerosTensor(checkDType(opts<{ dtype?: DType }>('nd.full', options, rest, 3).dtype ?? 'float32', 'nd.full'), checkShape('nd.full', shape));
  const bad = typeof value === 'number' ? fillValueError(value, t.dtype) : null;
  if (bad) throw new Error(`nd.full: ${bad}`);
  for (let i = 0; i < t.data.length; i++) writeElement(t, i, value);
  return new NDArrayClass(t);
}

/** An array of ones. Example: `nd.ones([2, 3])`. */
export function ones(shape: number[] | number, options: Options = {}, ...rest: unknown[]): NDArrayClass {
  if (holdsTracedDim(shape)) return ndOps.ones(shape, opts<{ dtype?: DType }>('nd.ones', options, rest, 2)) as NDArrayClass;
  return full(shape, 1, opts('nd.ones', options, rest, 2));
}

/** `nd.array` (see `ndarray.ts`), whose options may be a dtype name. Example: `nd.array([1, 2], 'int32')`. */
export function array(values: NestedNumbers | ArrayLike<number> | NDArrayClass, options: ArrayOptions | DType = {}, ...rest: unknown[]): NDArrayClass {
  return arrayOf(values, opts<ArrayOptions>('nd.array', options, rest, 2, ['dtype', 'shape']));
}

/** Evenly spaced values in [start, stop). Example: `nd.arange(0, 5)` is `[0, 1, 2, 3, 4]`. */
export function arange(start: number, stop?: number | null | Options, step?: number | null | Options, options?: Options, ...rest: unknown[]): NDArrayClass {
  const args: unknown[] = [start, stop, step, options, ...rest];
  // A trailing options object may follow fewer positionals (`arange(5, { dtype })`); null is numpy's None (absent).
  const k = args.findIndex((x, i) => i > 0 && x !== null && x !== undefined && typeof x !== 'number' && !isSymbolicDim(x));
  const pos = k < 0 ? args.slice(0, 3) : args.slice(0, Math.min(k, 3));
  const { dtype } = opts<{ dtype?: DType }>('nd.arange', k < 0 ? (args[3] ?? {}) : args[k], args.slice(k < 0 ? 4 : k + 1), k < 0 ? 4 : k + 1);
  let [a, b, c] = pos as [unknown, unknown, unknown];
  if (b === undefined || b === null) [a, b] = [0, a];
  c ??= 1;
  if (holdsTracedDim(a, b)) return ndOps.arange(a as number, b as number, c as number, { dtype: dtype ?? 'float32' }) as NDArrayClass;
  const num = (name: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`nd.arange: ${name} must be a finite number, got ${typeof v === 'number' ? v : JSON.stringify(v)}`);
    return v;
  };
  const [lo, hi, by] = [num('start', a), num('stop', b), num('step', c)];
  if (by === 0) throw new Error('nd.arange: step must be a non-zero number, got 0');
  const n = Math.max(0, Math.ceil((hi - lo) / by));
  const values = Array.from({ length: n }, (_x, i) => lo + i * by);
  const d = checkDType(dtype ?? 'float32', 'nd.arange');
  if (d === 'bool') throw new Error('nd.arange: dtype bool is not supported (as F.arange)');
  return new NDArrayClass(tensorFromNumbers(d, [n], values));
}

function draw(what: string, shape: number[] | number, dtype: DType | undefined, f: () => number): NDArrayClass {
  const s = checkShape(what, shape);
  const values = new Float64Array(sizeOf(s));
  for (let i = 0; i < values.length; i++) values[i] = f();
  return new NDArrayClass(tensorFromNumbers(checkDType(dtype ?? 'float32', what), s, values));
}

/** A trailing options object: written `{...}`, or a dtype name (MXNet's positional dtype). */
function isOptions(a: unknown): boolean {
  if (typeof a === 'string') return true;
  if (a === null || typeof a !== 'object') return false;
  const proto = Object.getPrototypeOf(a);
  return proto === Object.prototype || proto === null;
}

/**
 * Binds a random function's arguments as Python does: its leading
 * parameters `names` (`low, high, shape`; numpy's `size`) positionally or by
 * name in the trailing options object (or a dtype name), with `dtype`; one
 * given both ways is an Error, and so is an argument after the options.
 * Example: `bindRandom('np.random.uniform', ['low', 'high', 'size'], [0, { size: [2] }])`.
 */
export function bindRandom(what: string, names: readonly string[], args: unknown[]): { values: unknown[]; dtype?: DType } {
  let k = args.slice(0, names.length + 1).findIndex(isOptions);
  if (k < 0) k = Math.min(args.length, names.length);
  const o = opts<Record<string, unknown> & { dtype?: DType }>(what, args[k] ?? {}, args.slice(k + 1), k + 1, [...names, 'dtype']);
  const values = names.map((n, i) => {
    const [pos, named] = [i < k ? args[i] : undefined, o[n]];
    if (pos !== undefined && named !== undefined) throw new Error(`${what}: got multiple values for argument '${n}'`);
    return pos ?? named;
  });
  return { values, dtype: o.dtype };
}

/** A distribution's bound (`low`, `scale`, ...): a number, its default when absent. */
function bound(what: string, name: string, v: unknown, def: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${what}: ${name} must be a number, got ${JSON.stringify(v) ?? String(v)}`);
  return v;
}

/** A distribution's scale or rate (`scale`, `alpha`, `lam`): a finite number not below 0, its default when absent. */
function positive(what: string, name: string, v: unknown, def: number): number {
  const x = bound(what, name, v, def);
  if (!(x >= 0) || x === Infinity) throw new Error(`${what}: ${name} must be a finite number not below 0, got ${x}`);
  return x;
}

/** The arguments of a random function of one parameter (`exponential(scale, shape)`): each prefix of (a, shape), then the options or a dtype name. */
export type RandomArgs2<O = Record<string, unknown>> = [options?: O | DType] | [a: number | undefined, options?: O | DType] | [a: number | undefined, shape: number[] | number | undefined, options?: O | DType];

/** A random function's arguments: each prefix of (low, high, shape), then the options (the rest of them by name, and dtype) or a dtype name. */
export type RandomArgs<O = Record<string, unknown>> =
  | [options?: O | DType]
  | [a: number | undefined, options?: O | DType]
  | [a: number | undefined, b: number | undefined, options?: O | DType]
  | [a: number | undefined, b: number | undefined, shape: number[] | number | undefined, options?: O | DType];

/** Random draws from the seeded stream (`random.seed`); MXNet's keyword arguments (`shape`, `low`, ...) may come in the options object. */
/** Options of nd.random's functions (MXNet's keyword arguments). */
type NdRandomOptions = { low?: number; high?: number; loc?: number; scale?: number; shape?: number[] | number; dtype?: DType };

export const random = {
  /** Uniform in [low, high). Example: `nd.random.uniform(-10, 10, [5, 2])`, `nd.random.uniform({ shape: [5, 2] })`. */
  uniform(...args: RandomArgs<NdRandomOptions>): NDArrayClass {
    const w = 'nd.random.uniform';
    const { values: [lo, hi, shape], dtype } = bindRandom(w, ['low', 'high', 'shape'], args);
    const [low, high] = [bound(w, 'low', lo, 0), bound(w, 'high', hi, 1)];
    return draw(w, (shape ?? [1]) as number[], dtype, () => low + (high - low) * nextFloat());
  },
  /** Normal with mean `loc` and standard deviation `scale`. Example: `nd.random.normal(0, 1, [2])`, `nd.random.normal({ scale: 2, shape: [2] })`. */
  normal(...args: RandomArgs<NdRandomOptions>): NDArrayClass {
    const w = 'nd.random.normal';
    const { values: [l, sc, shape], dtype } = bindRandom(w, ['loc', 'scale', 'shape'], args);
    const [loc, scale] = [bound(w, 'loc', l, 0), bound(w, 'scale', sc, 1)];
    return draw(w, (shape ?? [1]) as number[], dtype, () => loc + scale * nextNormal());
  },
  /** Integers in [low, high). Example: `nd.random.randint(0, 5, [3])`. */
  randint(...args: RandomArgs<NdRandomOptions>): NDArrayClass {
    const w = 'nd.random.randint';
    const { values: [lo, hi, shape], dtype } = bindRandom(w, ['low', 'high', 'shape'], args);
    if (lo === undefined || hi === undefined) throw new Error(`${w}: low and high are required`);
    const [low, high] = [bound(w, 'low', lo, 0), bound(w, 'high', hi, 0)];
    if (!(high > low)) throw new Error(`${w}: high (${high}) must exceed low (${low})`);
    return draw(w, (shape ?? [1]) as number[], dtype ?? 'int32', () => low + nextInt(high - low));
  },
  /** Normal draws of the shape given as numbers (MXNet's `randn(*shape, loc, scale, dtype)`). Example: `nd.random.randn(2, 3)`, `nd.random.randn(4, { scale: 2 })`. */
  randn(...args: (number | { loc?: number; scale?: number; dtype?: DType } | DType)[]): NDArrayClass {
    const w = 'nd.random.randn';
    const k = args.findIndex((a) => typeof a !== 'number');
    const shape = (k < 0 ? args : args.slice(0, k)) as number[];
    const o = k < 0 ? {} : opts<{ loc?: number; scale?: number; dtype?: DType }>(w, args[k], args.slice(k + 1), k + 1, ['loc', 'scale', 'dtype']);
    const [loc, scale] = [bound(w, 'loc', o.loc, 0), positive(w, 'scale', o.scale, 1)];
    return draw(w, shape.length ? shape : [1], o.dtype, () => loc + scale * nextNormal());
  },
  /** Exponential draws of mean `scale` (MXNet's `exponential(scale, shape, dtype)`). Example: `nd.random.exponential(2, [3])`. */
  exponential(...args: RandomArgs2<{ scale?: number; shape?: number[] | number; dtype?: DType }>): NDArrayClass {
    const w = 'nd.random.exponential';
    const { values: [sc, shape], dtype } = bindRandom(w, ['scale', 'shape'], args);
    const scale = positive(w, 'scale', sc, 1);
    return draw(w, (shape ?? [1]) as number[], dtype, () => exponentialDraw(scale));
  },
  /** Gamma draws of shape `alpha` and scale `beta` (MXNet's `gamma(alpha, beta, shape, dtype)`; mean alpha * beta). Example: `nd.random.gamma(2, 0.5, [3])`. */
  gamma(...args: RandomArgs<{ alpha?: number; beta?: number; shape?: number[] | number; dtype?: DType }>): NDArrayClass {
    const w = 'nd.random.gamma';
    const { values: [a, b, shape], dtype } = bindRandom(w, ['alpha', 'beta', 'shape'], args);
    const [alpha, beta] = [positive(w, 'alpha', a, 1), positive(w, 'beta', b, 1)];
    return draw(w, (shape ?? [1]) as number[], dtype, () => gammaDraw(alpha, beta));
  },
  /** Poisson draws of mean `lam`, float32 by default as MXNet's (`poisson(lam, shape, dtype)`). Example: `nd.random.poisson(4, [3])`. */
  poisson(...args: RandomArgs2<{ lam?: number; shape?: number[] | number; dtype?: DType }>): NDArrayClass {
    const w = 'nd.random.poisson';
    const { values: [l, shape], dtype } = bindRandom(w, ['lam', 'shape'], args);
    const lam = positive(w, 'lam', l, 1);
    return draw(w, (shape ?? [1]) as number[], dtype, () => poissonDraw(lam));
  },
  /** A copy of `data` with its rows (first axis) in a random order (MXNet's `shuffle`). Example: `nd.random.shuffle(nd.arange(10))`. */
  shuffle(data: NDArrayClass, ...rest: unknown[]): NDArrayClass {
    const w = 'nd.random.shuffle';
    if (!(data instanceof NDArrayClass)) throw new Error(`${w}: data must be an NDArray, got ${typeof data}`);
    if (rest.some((r) => r !== undefined)) throw new Error(`${w}: takes one array`);
    if (data.shape.length === 0) throw new Error(`${w}: data must have at least one axis, got a scalar`);
    return ndOps.take(data, arrayOf(permutation(data.shape[0]!), { dtype: 'int64' }));
  },
  /**
   * Class indices drawn from the categorical distributions on `data`'s last
   * axis (MXNet's `nd.random.multinomial(data, shape, get_prob, dtype)`):
   * `shape` draws per distribution, int32 by default; the operator
   * `sampleMultinomial`. With `getProb` also the log-probability of each
   * draw, `log(data[..., index])`, differentiable in `data` (REINFORCE's
   * use, as MXNet's). Example: `nd.random.multinomial(probs, { shape: 5 })`,
   * `const [idx, logp] = nd.random.multinomial(probs, { getProb: true })`.
   */
  multinomial: multinomial as {
    (data: NDArrayClass, options?: MultinomialOptions & { getProb?: false }): NDArrayClass;
    (data: NDArrayClass, options: MultinomialOptions & { getProb: true }): [NDArrayClass, NDArrayClass];
    (data: NDArrayClass, shape: number[] | number, options?: MultinomialOptions & { getProb?: false }): NDArrayClass;
  },
};

/** Options of `nd.random.multinomial` (MXNet's keyword arguments). */
type MultinomialOptions = { shape?: number[] | number; getProb?: boolean; dtype?: DType; seed?: number };

function multinomial(data: NDArrayClass, ...args: unknown[]): NDArrayClass | [NDArrayClass, NDArrayClass] {
  const w = 'nd.random.multinomial';
  if (!(data instanceof NDArrayClass)) throw new Error(`${w}: data must be an NDArray of probabilities, got ${typeof data}`);
  const positional = typeof args[0] === 'number' || Array.isArray(args[0]);
  const o = checkOptions(w, (positional ? args[1] : args[0]) ?? {}, ['shape', 'getProb', 'dtype', 'seed']) as MultinomialOptions;
  const extra = args.slice(positional ? 2 : 1).findIndex((a) => a !== undefined);
  if (extra >= 0) throw new Error(`${w}: unexpected argument ${extra + (positional ? 4 : 3)}; give options as { shape, getProb, dtype }`);
  if (positional && o.shape !== undefined) throw new Error(`${w}: got multiple values for argument 'shape'`);
  const shape = checkShape(w, (positional ? args[0] : o.shape) ?? []);
  // The operator and the getProb composition are F.random's, the same eagerly and in a hybridized block.
  const options = { shape, dtype: o.dtype ?? 'int32', ...(o.seed === undefined ? {} : { seed: o.seed }) };
  return o.getProb ? ndOps.random.multinomial(data, { ...options, getProb: true }) : ndOps.random.multinomial(data, options);
}

/** Every operator as an eager function. */
export const ops = ndOps;

export { NDArrayClass as NDArray, type ArrayOptions };
