/**
 * The `nd` backend: every operator of the list as an eager function, the
 * creation functions and `nd.random`.
 */
import { checkDType, type DType } from '../../runtime/dtypes.js';
import { sizeOf, tensorFromNumbers, writeElement, zerosTensor } from '../../runtime/tensor.js';
import { fillValueError } from '../ops/creation.js';
import { array as arrayOf, ndOps, NDArray as NDArrayClass, type ArrayOptions, type NestedNumbers } from './ndarray.js';
import { nextFloat, nextNormal, nextInt } from './random.js';
import { checkOptions } from '../../runtime/check-options.js';
import { isSymbolicDim } from '../ops/symbolic-dim.js';

function checkShape(what: string, shape: unknown): number[] {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (Array.isArray(s) && s.every((d) => Number.isInteger(d) && d >= 0)) return s as number[];
  const sd = Array.isArray(s) ? s.find(isSymbolicDim) : undefined;
  if (sd) throw new Error(`${what}: shape ${JSON.stringify(shape)} holds the symbolic dimension '${sd.dimName}' (x.shape[k] while exporting), which an eager array cannot have; use an operator that reads it when the graph runs (F.zeros, F.ones, F.full in hybridForward; zerosLike or broadcastLike of a tensor that has it)`);
  throw new Error(`${what}: invalid shape ${JSON.stringify(shape)} (a list of non-negative integers)`);
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
  return new NDArrayClass(zerosTensor(checkDType(opts<{ dtype?: DType }>('nd.zeros', options, rest, 2).dtype ?? 'float32', 'nd.zeros'), checkShape('nd.zeros', shape)));
}

/** An array filled with `value`. Example: `nd.full([2], 7)`. */
export function full(shape: number[] | number, value: number, options: Options = {}, ...rest: unknown[]): NDArrayClass {
  const t = zerosTensor(checkDType(opts<{ dtype?: DType }>('nd.full', options, rest, 3).dtype ?? 'float32', 'nd.full'), checkShape('nd.full', shape));
  const bad = typeof value === 'number' ? fillValueError(value, t.dtype) : null;
  if (bad) throw new Error(`nd.full: ${bad}`);
  for (let i = 0; i < t.data.length; i++) writeElement(t, i, value);
  return new NDArrayClass(t);
}

/** An array of ones. Example: `nd.ones([2, 3])`. */
export function ones(shape: number[] | number, options: Options = {}, ...rest: unknown[]): NDArrayClass {
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
  const k = args.findIndex((x, i) => i > 0 && x !== null && x !== undefined && typeof x !== 'number');
  const pos = k < 0 ? args.slice(0, 3) : args.slice(0, Math.min(k, 3));
  const { dtype } = opts<{ dtype?: DType }>('nd.arange', k < 0 ? (args[3] ?? {}) : args[k], args.slice(k < 0 ? 4 : k + 1), k < 0 ? 4 : k + 1);
  let [a, b, c] = pos as [unknown, unknown, unknown];
  if (b === undefined || b === null) [a, b] = [0, a];
  c ??= 1;
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

/** Random draws from the seeded stream (`random.seed`). */
export const random = {
  /** Uniform in [low, high). Example: `nd.random.uniform(-10, 10, [5, 2])`. */
  uniform(low = 0, high = 1, shape: number[] | number = [1], options: Options = {}, ...rest: unknown[]): NDArrayClass {
    return draw('nd.random.uniform', shape, opts('nd.random.uniform', options, rest, 4).dtype, () => low + (high - low) * nextFloat());
  },
  /** Normal with mean `loc` and standard deviation `scale`. */
  normal(loc = 0, scale = 1, shape: number[] | number = [1], options: Options = {}, ...rest: unknown[]): NDArrayClass {
    return draw('nd.random.normal', shape, opts('nd.random.normal', options, rest, 4).dtype, () => loc + scale * nextNormal());
  },
  /** Integers in [low, high). */
  randint(low: number, high: number, shape: number[] | number = [1], options: Options = {}, ...rest: unknown[]): NDArrayClass {
    if (!(high > low)) throw new Error(`nd.random.randint: high (${high}) must exceed low (${low})`);
    return draw('nd.random.randint', shape, opts('nd.random.randint', options, rest, 4).dtype ?? 'int32', () => low + nextInt(high - low));
  },
};

/** Every operator as an eager function. */
export const ops = ndOps;

export { NDArrayClass as NDArray, type ArrayOptions };
