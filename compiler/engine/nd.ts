/**
 * The `nd` backend: every operator of the list as an eager function, the
 * creation functions and `nd.random`.
 */
import { checkDType, type DType } from '../../runtime/dtypes.js';
import { sizeOf, tensorFromNumbers, writeElement, zerosTensor } from '../../runtime/tensor.js';
import { makeOps } from '../ops/call.js';
import { array, ndApply, NDArray as NDArrayClass, type ArrayOptions } from './ndarray.js';
import { nextFloat, nextNormal, nextInt } from './random.js';

function checkShape(what: string, shape: unknown): number[] {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(s) || !s.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${what}: invalid shape ${JSON.stringify(shape)} (a list of non-negative integers)`);
  }
  return s as number[];
}

/** An array of zeros. Example: `nd.zeros([2, 3])`. */
export function zeros(shape: number[] | number, options: { dtype?: DType } = {}): NDArrayClass {
  return new NDArrayClass(zerosTensor(checkDType(options.dtype ?? 'float32', 'nd.zeros'), checkShape('nd.zeros', shape)));
}

/** An array filled with `value`. Example: `nd.full([2], 7)`. */
export function full(shape: number[] | number, value: number, options: { dtype?: DType } = {}): NDArrayClass {
  const s = checkShape('nd.full', shape);
  const t = zerosTensor(checkDType(options.dtype ?? 'float32', 'nd.full'), s);
  for (let i = 0; i < t.data.length; i++) writeElement(t, i, value);
  return new NDArrayClass(t);
}

/** An array of ones. Example: `nd.ones([2, 3])`. */
export function ones(shape: number[] | number, options: { dtype?: DType } = {}): NDArrayClass {
  return full(shape, 1, options);
}

/** Evenly spaced values in [start, stop). Example: `nd.arange(0, 5)` is `[0, 1, 2, 3, 4]`. */
export function arange(start: number, stop?: number, step = 1, options: { dtype?: DType } = {}): NDArrayClass {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new Error(`nd.arange: step must be a non-zero number, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const values = Array.from({ length: n }, (_x, i) => start + i * step);
  return new NDArrayClass(tensorFromNumbers(checkDType(options.dtype ?? 'float32', 'nd.arange'), [n], values));
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
  uniform(low = 0, high = 1, shape: number[] | number = [1], options: { dtype?: DType } = {}): NDArrayClass {
    return draw('nd.random.uniform', shape, options.dtype, () => low + (high - low) * nextFloat());
  },
  /** Normal with mean `loc` and standard deviation `scale`. */
  normal(loc = 0, scale = 1, shape: number[] | number = [1], options: { dtype?: DType } = {}): NDArrayClass {
    return draw('nd.random.normal', shape, options.dtype, () => loc + scale * nextNormal());
  },
  /** Integers in [low, high). */
  randint(low: number, high: number, shape: number[] | number = [1], options: { dtype?: DType } = {}): NDArrayClass {
    if (!(high > low)) throw new Error(`nd.random.randint: high (${high}) must exceed low (${low})`);
    return draw('nd.random.randint', shape, options.dtype ?? 'int32', () => low + nextInt(high - low));
  },
};

/** Every operator as an eager function. */
export const ops = makeOps<NDArrayClass>(ndApply);

export { array, NDArrayClass as NDArray, type ArrayOptions };
