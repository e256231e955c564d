/**
 * Initializers, as MXNet defines them, drawing from the seeded stream.
 * `Xavier` follows MXNet: scale = sqrt(magnitude / factor) with factor the
 * average (`avg`), fan-in (`in`) or fan-out (`out`) and the draw uniform in
 * [-scale, scale] or normal with std scale.
 */
import type { DType } from '../../runtime/dtypes.js';
import { sizeOf, tensorFromNumbers } from '../../runtime/tensor.js';
import { nextFloat, nextNormal } from '../ops/rng.js';
import { NDArray } from '../engine/ndarray.js';

/** An initializer: fills a parameter's array given its name and shape. */
export abstract class Initializer {
  /** Returns the initial value for a parameter. */
  abstract create(shape: number[], dtype: DType, name: string): NDArray;

  /** A JSON description (for artifacts and summaries). */
  describe(): string {
    return this.constructor.name;
  }
}

function fill(shape: number[], dtype: DType, f: (i: number) => number): NDArray {
  const n = sizeOf(shape);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = f(i);
  return new NDArray(tensorFromNumbers(dtype, shape, values));
}

function fans(shape: number[], name: string): [number, number] {
  if (shape.length < 2) throw new Error(`Xavier: parameter '${name}' of shape [${shape.join(', ')}] needs at least 2 dimensions`);
  const receptive = shape.length > 2 ? sizeOf(shape.slice(2)) : 1;
  return [shape[1]! * receptive, shape[0]! * receptive];
}

/** Uniform in [-scale, scale] (MXNet default scale 0.07). Example: `new init.Uniform(0.1)`. */
export class Uniform extends Initializer {
  constructor(readonly scale = 0.07) {
    super();
  }
  create(shape: number[], dtype: DType): NDArray {
    return fill(shape, dtype, () => (nextFloat() * 2 - 1) * this.scale);
  }
}

/** Normal with mean 0 and standard deviation `sigma` (MXNet default 0.01). */
export class Normal extends Initializer {
  constructor(readonly sigma = 0.01) {
    super();
  }
  create(shape: number[], dtype: DType): NDArray {
    return fill(shape, dtype, () => nextNormal() * this.sigma);
  }
}

/** Options of Xavier. */
export interface XavierOptions {
  rndType?: 'uniform' | 'gaussian';
  factorType?: 'avg' | 'in' | 'out';
  magnitude?: number;
}

/** Xavier/Glorot initialization. Example: `new init.Xavier({ magnitude: 2.24 })`. */
export class Xavier extends Initializer {
  readonly rndType: 'uniform' | 'gaussian';
  readonly factorType: 'avg' | 'in' | 'out';
  readonly magnitude: number;
  constructor(options: XavierOptions = {}) {
    super();
    this.rndType = options.rndType ?? 'uniform';
    this.factorType = options.factorType ?? 'avg';
    this.magnitude = options.magnitude ?? 3;
    if (!['uniform', 'gaussian'].includes(this.rndType)) throw new Error(`Xavier: unknown rndType '${this.rndType}' (uniform, gaussian)`);
    if (!['avg', 'in', 'out'].includes(this.factorType)) throw new Error(`Xavier: unknown factorType '${this.factorType}' (avg, in, out)`);
  }
  create(shape: number[], dtype: DType, name: string): NDArray {
    const [fanIn, fanOut] = fans(shape, name);
    const factor = this.factorType === 'avg' ? (fanIn + fanOut) / 2 : this.factorType === 'in' ? fanIn : fanOut;
    const scale = Math.sqrt(this.magnitude / factor);
    return this.rndType === 'uniform'
      ? fill(shape, dtype, () => (nextFloat() * 2 - 1) * scale)
      : fill(shape, dtype, () => nextNormal() * scale);
  }
}

/** MSRA/He initialization for PReLU nets: Xavier(gaussian, factorType, 2 / (1 + slope²)). */
export class MSRAPrelu extends Xavier {
  constructor(options: { factorType?: 'avg' | 'in' | 'out'; slope?: number } = {}) {
    super({ rndType: 'gaussian', factorType: options.factorType ?? 'avg', magnitude: 2 / (1 + (options.slope ?? 0.25) ** 2) });
  }
}

/** A constant value: a number, or nested arrays broadcast to the parameter's shape. */
export class Constant extends Initializer {
  // `boolean` too: it takes what `NDArray.toArray()` returns (the seed passes `scales.toArray()`).
  constructor(readonly value: number | boolean | number[] | unknown[]) {
    super();
  }
  create(shape: number[], dtype: DType, name: string): NDArray {
    if (!Array.isArray(this.value)) return fill(shape, dtype, () => Number(this.value));
    const flat = (this.value as unknown[]).flat(Infinity as 1) as number[];
    const n = sizeOf(shape);
    if (flat.length !== n && flat.length !== 1) {
      throw new Error(`Constant: parameter '${name}' of shape [${shape.join(', ')}] needs ${n} values, the constant has ${flat.length}`);
    }
    return fill(shape, dtype, (i) => flat[flat.length === 1 ? 0 : i]!);
  }
  override describe(): string {
    return `Constant(${JSON.stringify(this.value)})`;
  }
}

/** Zeros. */
export class Zero extends Constant {
  constructor() {
    super(0);
  }
}

/** Ones. */
export class One extends Constant {
  constructor() {
    super(1);
  }
}

/** MXNet's registered initializer names (`mx.init.create` lowercases them), with their defaults. */
const BY_NAME: Record<string, () => Initializer> = {
  zero: () => new Zero(),
  zeros: () => new Zero(),
  one: () => new One(),
  ones: () => new One(),
  uniform: () => new Uniform(),
  normal: () => new Normal(),
  xavier: () => new Xavier(),
  msraprelu: () => new MSRAPrelu(),
};

/**
 * An initializer given as an Initializer or by MXNet's name (`'zeros'`,
 * `'xavier'`, case-insensitive, with MXNet's defaults); `undefined` stays
 * undefined. Anything else is an Error naming `what` (the parameter).
 *
 * ```ts
 * toInitializer('zeros', "Parameter 'bias'"); // new Zero()
 * ```
 */
export function toInitializer(x: unknown, what: string): Initializer | undefined {
  if (x === undefined || x instanceof Initializer) return x;
  if (typeof x === 'string') {
    const make = BY_NAME[x.toLowerCase()];
    if (!make) throw new Error(`${what}: unknown initializer '${x}' (MXNet's names: zeros, ones, uniform, normal, xavier, msraprelu)`);
    return make();
  }
  const got = x === null ? 'null' : typeof x === 'object' ? 'an object' : `a ${typeof x}`;
  throw new Error(`${what}: init must be an Initializer (init.Xavier(), ...) or one of MXNet's names, got ${got}`);
}
