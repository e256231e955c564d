/**
 * `np`: MXNet 2.x's numpy interface (`mx.np`) for Gluon 2 / d2l code, with
 * numpy's names and semantics, as thin views over the one operator list
 * (`np.exp` is `nd.exp`; `np.dot` is `nd.dot` with numpy's rule for N-D
 * right operands). Reductions over every axis return shape `[]`; arithmetic
 * broadcasts; comparisons return bool arrays; `argmax`/`argsort` return
 * int64 indices. As in MXNet 2 (and unlike numpy) the default dtype is
 * float32, and binary operators need equal dtypes (no type promotion).
 * Invariant: every function dispatches on its arguments as the `nd`
 * operators do — NDArrays run now, Symbols (a hybridized block being traced)
 * add graph nodes — so one `forward` serves eager and compiled calls.
 */
import type { DType } from '../../runtime/dtypes.js';
import * as ndMod from '../engine/nd.js';
import type { Symbol } from '../trace/symbol.js';
import type { NDArray } from '../engine/ndarray.js';
import { opView } from './npx.js';
import type { Tensor } from '../engine/tensor.js';

const ops = ndMod.ops as unknown as Record<string, (...a: unknown[]) => unknown>;

/** An array of np: an NDArray eagerly, a Symbol while traced (`gluon.Tensor` in `hybridForward`). */
type Arr = NDArray | Symbol | Tensor;
/** The result type of a call on `T`: NDArray for NDArrays, Symbol for Symbols, else Tensor. */
type Out<T> = T extends NDArray ? NDArray : T extends Symbol ? Symbol : Tensor;

function call<T>(name: string, ...args: unknown[]): Out<T> {
  return ops[name]!(...args) as Out<T>;
}

function rankOf(x: Arr | number): number {
  return typeof x === 'number' ? 0 : x.shape.length;
}

/**
 * numpy's `dot`: for N-D `b` the sum over `a`'s last axis and `b`'s
 * second-to-last (MXNet's `nd.dot` takes `b`'s first); a 0-d operand multiplies.
 *
 * ```ts
 * np.dot(x, w);               // [N, in] x [in, out] -> [N, out]
 * np.dot(np.ones([3]), np.ones([3])).shape;   // []
 * ```
 */
export function dot<T extends Arr>(a: T, b: Arr | number): Out<T> {
  const rb = rankOf(b);
  if (rankOf(a) === 0 || rb === 0) return call<T>('mul', a, b);
  if (rb <= 2) return call<T>('dot', a, b);
  const perm = [rb - 2, ...Array.from({ length: rb - 2 }, (_v, i) => i), rb - 1];
  return call<T>('dot', a, ops.transpose!(b, perm));
}

const INTEGRAL = new Set<string>(['bool', 'int8', 'uint8', 'int32', 'int64']);

/**
 * numpy's true `divide`: two integer (or bool) operands divide as float32, as
 * MXNet 2's `np.divide` with its default dtype (`nd.div` truncates integers).
 *
 * ```ts
 * np.divide(np.arange(0, 5, 1, { dtype: 'int32' }), 4);   // [0, 0.25, 0.5, 0.75, 1] float32
 * ```
 */
export function divide<T extends Arr>(a: T | number, b: Arr | number): Out<T> {
  const integral = (x: Arr | number) => (typeof x === 'number' ? Number.isInteger(x) : INTEGRAL.has(x.dtype));
  const arrays = [a, b].filter((x) => typeof x !== 'number');
  if (arrays.length && integral(a) && integral(b)) {
    const f = (x: Arr | number) => (typeof x === 'number' ? x : ops.cast!(x, 'float32'));
    return call<T>('div', f(a), f(b));
  }
  return call<T>('div', a, b);
}

/**
 * numpy's `squeeze`: removing every axis gives shape `[]` (MXNet 2's np, numpy;
 * `nd.squeeze` keeps `[1]` as MXNet 1.x did).
 *
 * ```ts
 * np.squeeze(np.ones([1, 1])).shape;   // []
 * np.squeeze(x, 1);                    // [3, 1, 4] -> [3, 4]
 * ```
 */
export function squeeze<T extends Arr>(a: T, options: number | number[] | null | { axis?: number | number[] | null } = null): Out<T> {
  const axis = options !== null && typeof options === 'object' && !Array.isArray(options) ? (options.axis ?? null) : options;
  const y = call<T>('squeeze', a, { axis });
  const rank = a.shape.length;
  const removed = axis === null ? a.shape.filter((d) => d === 1).length : new Set((Array.isArray(axis) ? axis : [axis]).map((k) => (k + rank) % rank)).size;
  return rank > 0 && removed === rank ? (ops.reshape!(y, []) as Out<T>) : y;
}

/**
 * numpy's `reshape`: `-1` infers one dimension; MXNet's special codes (0, -2, -3, -4) are refused here (use `npx.reshape`).
 *
 * ```ts
 * np.reshape(x, [-1, 784]);
 * ```
 */
export function reshape<T extends Arr>(a: T, newshape: number[] | number): Out<T> {
  const s = typeof newshape === 'number' ? [newshape] : newshape;
  if (!Array.isArray(s) || s.some((d) => !Number.isInteger(d) || d < -1 || d === 0) || s.filter((d) => d === -1).length > 1) {
    throw new Error(`np.reshape: newshape ${JSON.stringify(newshape)} must hold positive integers and at most one -1 (MXNet's codes 0, -2, -3, -4 are npx.reshape's)`);
  }
  return call<T>('reshape', a, s);
}

/** numpy's `concatenate` along `axis` (default 0). Example: `np.concatenate([a, b], { axis: 1 })`. */
export function concatenate<T extends Arr>(seq: T[], options: { axis?: number } = {}): Out<T> {
  return call<T>('concat', ...seq, { dim: options.axis ?? 0 });
}

/** numpy's `stack` along a new `axis` (default 0). Example: `np.stack([a, b])`. */
export function stack<T extends Arr>(arrays: T[], options: { axis?: number } = {}): Out<T> {
  return call<T>('stack', ...arrays, { axis: options.axis ?? 0 });
}

/** numpy's `split` into `sections` equal parts along `axis` (default 0). Example: `const [a, b] = np.split(x, 2)`. */
export function split<T extends Arr>(a: T, sections: number, options: { axis?: number } = {}): Out<T>[] {
  return ops.split!(a, { numOutputs: sections, axis: options.axis ?? 0 }) as Out<T>[];
}

function boolOf(name: string) {
  /** A numpy comparison: a bool array, broadcasting. */
  return <T extends Arr>(a: T, b: Arr | number): Out<T> => ops.cast!(ops[name]!(a, b), 'bool') as Out<T>;
}

function int64Of(name: string) {
  /** An index operator with numpy's int64 result. */
  return <T extends Arr>(a: T, options: { axis?: number | null; keepdims?: boolean } | number = {}): Out<T> =>
    ops[name]!(a, { ...(typeof options === 'number' ? { axis: options } : options), dtype: 'int64' }) as Out<T>;
}

/** numpy's `sort` along `axis` (default -1; null flattens). Example: `np.sort(x, 0)`. */
export function sort<T extends Arr>(a: T, axis: number | null = -1): Out<T> {
  return call<T>('sort', a, { axis });
}

/** numpy's `argsort` (stable; int64 indices). Example: `np.argsort(x)`. */
export function argsort<T extends Arr>(a: T, axis: number | null = -1): Out<T> {
  return call<T>('argsort', a, { axis, dtype: 'int64' });
}

function shapeOf(size: number[] | number | undefined): number[] {
  return size === undefined ? [] : typeof size === 'number' ? [size] : size;
}

/**
 * numpy's `random`, drawing from the seeded stream (`random.seed`); `size`
 * omitted gives one value of shape `[]`.
 *
 * ```ts
 * np.random.uniform(0, 1, [4, 8]);
 * np.random.normal(0, 0.01, [256, 784]);
 * ```
 */
export const random = {
  /** Uniform in [low, high). */
  uniform(low = 0, high = 1, size?: number[] | number, options: { dtype?: DType } = {}): NDArray {
    return ndMod.random.uniform(low, high, shapeOf(size), options);
  },
  /** Normal with mean `loc` and standard deviation `scale`. */
  normal(loc = 0, scale = 1, size?: number[] | number, options: { dtype?: DType } = {}): NDArray {
    return ndMod.random.normal(loc, scale, shapeOf(size), options);
  },
  /** Integers in [low, high), int64 unless `dtype` says otherwise. */
  randint(low: number, high: number, size?: number[] | number, options: { dtype?: DType } = {}): NDArray {
    return ndMod.random.randint(low, high, shapeOf(size), { dtype: options.dtype ?? 'int64' });
  },
};

/**
 * MXNet 2.x's `np`: numpy names over gluonc's operators.
 *
 * ```ts
 * import { np } from 'gluonc';
 * const x = np.random.uniform(0, 1, [4, 8]);
 * np.dot(x, np.ones([8, 2])).add(1);   // broadcasting arithmetic
 * np.mean(x).shape;                    // [] (every axis)
 * ```
 */
export const np = {
  array: ndMod.array,
  zeros: ndMod.zeros,
  ones: ndMod.ones,
  full: ndMod.full,
  arange: ndMod.arange,
  zerosLike: opView('zerosLike'),
  onesLike: opView('onesLike'),
  random,
  // arithmetic (broadcasting)
  add: opView('add'),
  subtract: opView('sub'),
  multiply: opView('mul'),
  divide,
  trueDivide: divide,
  power: opView('pow'),
  maximum: opView('maximum'),
  minimum: opView('minimum'),
  negative: opView('neg'),
  abs: opView('abs'),
  absolute: opView('abs'),
  sign: opView('sign'),
  exp: opView('exp'),
  log: opView('log'),
  log1p: opView('log1p'),
  expm1: opView('expm1'),
  sqrt: opView('sqrt'),
  square: opView('square'),
  reciprocal: opView('reciprocal'),
  sin: opView('sin'),
  cos: opView('cos'),
  tanh: opView('tanh'),
  floor: opView('floor'),
  ceil: opView('ceil'),
  clip: opView('clip'),
  where: opView('where'),
  // comparisons (bool)
  equal: boolOf('equal'),
  notEqual: boolOf('notEqual'),
  greater: boolOf('greater'),
  greaterEqual: boolOf('greaterEqual'),
  less: boolOf('lesser'),
  lessEqual: boolOf('lesserEqual'),
  // reductions (every axis: shape [])
  sum: opView('sum'),
  mean: opView('mean'),
  max: opView('max'),
  amax: opView('max'),
  min: opView('min'),
  amin: opView('min'),
  prod: opView('prod'),
  argmax: int64Of('argmax'),
  argmin: int64Of('argmin'),
  // linear algebra and shapes
  dot,
  einsum: opView('einsum'),
  reshape,
  transpose: opView('transpose'),
  tril: opView('tril'),
  triu: opView('triu'),
  cumsum: opView('cumsum'),
  expandDims: opView('expandDims'),
  squeeze,
  concatenate,
  stack,
  split,
  tile: opView('tile'),
  repeat: opView('repeat'),
  broadcastTo: opView('broadcastTo'),
  take: opView('take'),
  sort,
  argsort,
  linalg: { norm: opView('norm') },
};
export declare namespace np {
  /** numpy's array type: gluonc's NDArray. */
  type ndarray = NDArray;
}
