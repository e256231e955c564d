/**
 * `F.random`: MXNet 1.x's `F.random.*` inside `hybridForward` (and on the
 * eager `F`), composed from the operators, so one definition serves both
 * backends and a hybridized block draws inside its graph:
 * `uniform`/`normal`/`randint`/`exponential` of a shape (numbers, or the
 * symbolic sizes `x.shape[k]` while tracing: the zeros the draw is shaped
 * like read them when the graph runs), `uniformLike`/`normalLike` (MXNet's
 * `uniform_like`, `normal_like`), `multinomial` (with `getProb`) and
 * `shuffle` (rows reordered by the argsort of uniform draws). Eager and
 * compiled runs draw different numbers of the same distributions, as the
 * random operators do. The distributions' parameters are numbers; MXNet's
 * tensor-valued `low`/`loc` (one distribution per element) are refused by
 * name.
 *
 * ```ts
 * hybridForward(F, mu, logvar) { return F.add(mu, F.mul(F.exp(F.mul(logvar, 0.5)), F.random.normalLike(mu))); }
 * const eps = F.random.normal(0, 1, [x.shape[0], 16]);
 * ```
 */
import { checkDType, type DType } from '../../runtime/dtypes.js';
import type { Dim } from '../ir/types.js';
import type { SymbolicDim } from './symbolic-dim.js';

/** A draw's shape: numbers, symbolic sizes (`x.shape[k]` while tracing) or integer tensors (`F.shapeArray`). */
type ShapeArg<T> = number | T | readonly (number | T | Dim | SymbolicDim)[];

type Options = { dtype?: DType };

/** The `F.random` functions of a backend whose tensors are `T`. */
export interface RandomNamespace<T> {
  /** Uniform in [low, high). Example: `F.random.uniform(-1, 1, [x.shape[0], 8])`. */
  uniform(low?: number, high?: number, shape?: ShapeArg<T>, options?: Options): T;
  /** Normal of mean `loc` and standard deviation `scale`. Example: `F.random.normal(0, 1, [4, 8])`. */
  normal(loc?: number, scale?: number, shape?: ShapeArg<T>, options?: Options): T;
  /** Integers in [low, high), int32 unless `dtype` says otherwise. Example: `F.random.randint(0, 10, [4])`. */
  randint(low: number, high: number, shape?: ShapeArg<T>, options?: Options): T;
  /** Exponential of mean `scale`: `-scale * log(1 - u)`. Example: `F.random.exponential(2, [4])`. */
  exponential(scale?: number, shape?: ShapeArg<T>, options?: Options): T;
  /** Uniform draws shaped like `data` (MXNet's `uniform_like`). */
  uniformLike(data: T, low?: number, high?: number): T;
  /** Normal draws shaped like `data` (MXNet's `normal_like`). */
  normalLike(data: T, loc?: number, scale?: number): T;
  /** Class indices from the distributions on `data`'s last axis (`sampleMultinomial`); with `getProb` also their log-probabilities. */
  multinomial(data: T, options?: { shape?: number[] | number; getProb?: false; dtype?: DType; seed?: number }): T;
  multinomial(data: T, options: { shape?: number[] | number; getProb: true; dtype?: DType; seed?: number }): [T, T];
  /** `data` with its rows (first axis) in a random order. */
  shuffle(data: T): T;
}

function num(what: string, name: string, v: unknown, def: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    const tensor = typeof v === 'object' && v !== null && 'shape' in v;
    throw new Error(`${what}: ${name} must be a finite number${tensor ? " (MXNet's tensor-valued parameters, one distribution per element, are not supported: draw with numbers and scale, e.g. F.add(low, F.mul(F.sub(high, low), F.random.uniformLike(low)))" : ''}, got ${tensor ? 'a tensor' : JSON.stringify(v)}`);
  }
  return v;
}

function dtypeOf(what: string, o: Options | undefined, def: DType): DType {
  if (o !== undefined && (o === null || typeof o !== 'object')) throw new Error(`${what}: the options must be an object ({ dtype }), got ${JSON.stringify(o)}`);
  for (const k of Object.keys(o ?? {})) if (k !== 'dtype') throw new Error(`${what}: unknown option '${k}' (dtype)`);
  return o?.dtype === undefined ? def : checkDType(o.dtype, what);
}

/**
 * `F.random` over a backend's operator functions.
 * Example: `randomNamespace<Symbol>(symOps).normal(0, 1, [2, 3])`.
 */
export function randomNamespace<T>(f: Readonly<Record<string, (...args: never[]) => unknown>>): RandomNamespace<T> {
  const op = f as unknown as Record<string, (...args: unknown[]) => T>;
  const zeros = (shape: ShapeArg<T> | undefined, dtype: DType): T => op['zeros']!(shape ?? [1], { dtype: dtype === 'float64' ? 'float64' : 'float32' });
  const floatOut = (what: string, o: Options | undefined): DType => {
    const d = dtypeOf(what, o, 'float32');
    if (d !== 'float32' && d !== 'float64') throw new Error(`${what}: dtype must be float32 or float64, got ${d}`);
    return d;
  };
  const ns: RandomNamespace<T> = {
    uniform(low, high, shape, o) {
      const w = 'F.random.uniform';
      return op['randomUniformLike']!(zeros(shape, floatOut(w, o)), { low: num(w, 'low', low, 0), high: num(w, 'high', high, 1) });
    },
    normal(loc, scale, shape, o) {
      const w = 'F.random.normal';
      return op['randomNormalLike']!(zeros(shape, floatOut(w, o)), { loc: num(w, 'loc', loc, 0), scale: num(w, 'scale', scale, 1) });
    },
    randint(low, high, shape, o) {
      const w = 'F.random.randint';
      const [lo, hi] = [num(w, 'low', low, NaN), num(w, 'high', high, NaN)];
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || !(hi > lo)) throw new Error(`${w}: low and high must be integers with high > low, got ${low} and ${high}`);
      const d = dtypeOf(w, o, 'int32');
      // float64 draws: exact integers below 2^53; floor(u) with u < hi stays below hi.
      const u = op['randomUniformLike']!(zeros(shape, 'float64'), { low: lo, high: hi });
      return op['cast']!(op['floor']!(u), { dtype: d });
    },
    exponential(scale, shape, o) {
      const w = 'F.random.exponential';
      const s = num(w, 'scale', scale, 1);
      if (s < 0) throw new Error(`${w}: scale must not be negative, got ${s}`);
      const u = op['randomUniformLike']!(zeros(shape, floatOut(w, o)), { low: 0, high: 1 });
      return op['mul']!(op['neg']!(op['log1p']!(op['neg']!(u))), s);
    },
    uniformLike(data, low, high) {
      const w = 'F.random.uniformLike';
      return op['randomUniformLike']!(data, { low: num(w, 'low', low, 0), high: num(w, 'high', high, 1) });
    },
    normalLike(data, loc, scale) {
      const w = 'F.random.normalLike';
      return op['randomNormalLike']!(data, { loc: num(w, 'loc', loc, 0), scale: num(w, 'scale', scale, 1) });
    },
    multinomial: ((data: T, o: { shape?: number[] | number; getProb?: boolean; dtype?: DType; seed?: number } = {}) => {
      const w = 'F.random.multinomial';
      for (const k of Object.keys(o)) if (!['shape', 'getProb', 'dtype', 'seed'].includes(k)) throw new Error(`${w}: unknown option '${k}' (shape, getProb, dtype, seed)`);
      const shape = o.shape === undefined ? [] : typeof o.shape === 'number' ? [o.shape] : o.shape;
      const idx = op['sampleMultinomial']!(data, { shape, dtype: o.dtype ?? 'int32', seed: o.seed ?? null });
      if (!o.getProb) return idx;
      // log(data[..., idx]): each distribution repeated once per draw, then one pick per draw.
      const rank = (data as { shape: readonly unknown[] }).shape.length;
      const m = shape.reduce((a, b) => a * b, 1);
      const rows = op['repeat']!(op['expandDims']!(data, { axis: rank - 1 }), m, { axis: rank - 1 });
      const flat = op['reshape']!(idx, rank === 1 ? [-1] : [...new Array<number>(rank - 1).fill(0), -1]);
      return [idx, op['reshapeLike']!(op['log']!(op['pick']!(rows, flat, { axis: -1 })), idx)];
    }) as RandomNamespace<T>['multinomial'],
    shuffle(data) {
      const n = op['shapeArray']!(data, { axis: 0 });
      const order = op['argsort']!(op['randomUniformLike']!(op['zeros']!([n]), {}), { dtype: 'int64' });
      return op['take']!(data, order, { axis: 0 });
    },
  };
  return ns;
}
