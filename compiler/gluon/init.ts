/**
 * Initializers, as MXNet defines them, drawing from the seeded stream.
 * `Xavier` follows MXNet: scale = sqrt(magnitude / factor) with factor the
 * average (`avg`), fan-in (`in`) or fan-out (`out`) and the draw uniform in
 * [-scale, scale] or normal with std scale.
 */
import type { DType } from '../../runtime/dtypes.js';
import { sizeOf, tensorFromNumbers } from '../../runtime/tensor.js';
import { checkOptions, optionKeys } from '../../runtime/check-options.js';
import { nextFloat, nextNormal } from '../ops/rng.js';
import { NDArray } from '../engine/ndarray.js';
import { fusedCellLayout, GATE_NAMES } from '../formats/mxnet-rnn-param.js';
import { bindArgs, bindOptions, type KwArgs, type OptionArgs } from './bind-args.js';

/** What MXNet's `Initializer.__call__` does for a parameter named `...<suffix>`: 0 or 1, or the subclass's `_initWeight`. */
const BY_SUFFIX: [RegExp, 0 | 1 | 'weight'][] = [
  [/weight$/, 'weight'], [/bias$/, 0], [/gamma$/, 1], [/beta$/, 0],
  [/(running|moving)_mean$/, 0], [/(running|moving)_var$/, 1], [/(min|max)$/, 0],
];

/**
 * An initializer: fills a parameter's array given its name and shape. The
 * built-in ones implement `create`; a subclass written as MXNet's
 * (`class MyInit(init.Initializer)` with `_init_weight(self, name, data)`)
 * overrides `_initWeight(name, data)`, which writes `data` in place
 * (`x.copyto(data)`, Python's `data[:] = x`) or returns the array; as in
 * MXNet, biases and betas start at 0 and gammas at 1, and other names are an
 * Error.
 *
 * ```ts
 * class MyInit extends init.Initializer {
 *   override _initWeight(name: string, data: nd.NDArray) {
 *     nd.random.uniform(-10, 10, data.shape).copyto(data);
 *   }
 * }
 * ```
 */
export abstract class Initializer {
  /** Returns the initial value for a parameter (MXNet's `__call__`: dispatches on the name's suffix). */
  create(shape: number[], dtype: DType, name: string): NDArray {
    const data = fill(shape, dtype, () => 0);
    const kind = BY_SUFFIX.find(([re]) => re.test(name))?.[1];
    if (kind === undefined) {
      throw new Error(`${this.constructor.name}: unknown initialization pattern for parameter '${name}' (names end in weight, bias, gamma, beta, or set the parameter's init)`);
    }
    if (kind === 1) return fill(shape, dtype, () => 1);
    if (kind === 0) return data;
    const out = this._initWeight(name, data);
    return out instanceof NDArray ? out.astype(dtype) : data;
  }

  /** Fills a weight (MXNet's `_init_weight`): write `data` in place or return the values. */
  _initWeight(name: string, _data: NDArray): NDArray | void {
    throw new Error(`${this.constructor.name}: no _initWeight for parameter '${name}' (override _initWeight(name, data), as MXNet's _init_weight, or create)`);
  }

  /** A JSON description (for artifacts and summaries). */
  describe(): string {
    return this.constructor.name;
  }

  /**
   * This initializer given the one its caller would use otherwise (MXNet's
   * `InitDesc.global_init`: `Module.initParams`' `initializer`); most ignore
   * it, `FusedRNN` without its own draws each gate's matrix from it.
   */
  withGlobal(_global: Initializer): Initializer {
    return this;
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

/** A number option of an initializer: finite and >= `min` (> `min` with `strict`), else an Error naming it. */
function checkNumber(owner: string, name: string, v: unknown, min: number, strict = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (strict && v === min)) {
    throw new Error(`${owner}: ${name} must be a finite number ${strict ? '>' : '>='} ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Uniform in [-scale, scale] (MXNet default scale 0.07). Example: `new init.Uniform(0.1)` or `new init.Uniform({ scale: 0.1 })`. */
export class Uniform extends Initializer {
  readonly scale: number;
  constructor(...args: KwArgs<['scale?'], [scale?: number], {}>) {
    super();
    const [[scale = 0.07]] = bindArgs<[number?], {}>('Uniform', ['scale?'], args, []);
    this.scale = scale;
    checkNumber('Uniform', 'scale', scale, 0);
  }
  override create(shape: number[], dtype: DType): NDArray {
    return fill(shape, dtype, () => (nextFloat() * 2 - 1) * this.scale);
  }
}

/** Normal with mean 0 and standard deviation `sigma` (MXNet default 0.01). Example: `new init.Normal({ sigma: 0.01 })` (d2l's `init.Normal(sigma=0.01)`). */
export class Normal extends Initializer {
  readonly sigma: number;
  constructor(...args: KwArgs<['sigma?'], [sigma?: number], {}>) {
    super();
    const [[sigma = 0.01]] = bindArgs<[number?], {}>('Normal', ['sigma?'], args, []);
    this.sigma = sigma;
    checkNumber('Normal', 'sigma', sigma, 0);
  }
  override create(shape: number[], dtype: DType): NDArray {
    return fill(shape, dtype, () => nextNormal() * this.sigma);
  }
}

/** Options of Xavier. */
export interface XavierOptions {
  rndType?: 'uniform' | 'gaussian';
  factorType?: 'avg' | 'in' | 'out';
  magnitude?: number;
}

/** MXNet's positional parameters of Xavier, MSRAPrelu and Orthogonal, in its order. */
const XAVIER_ARGS = ['rndType?', 'factorType?', 'magnitude?'] as const;
const MSRA_PRELU_ARGS = ['factorType?', 'slope?'] as const;
const ORTHOGONAL_ARGS = ['scale?', 'randType?'] as const;

/** Xavier/Glorot initialization. Example: `new init.Xavier({ magnitude: 2.24 })`. */
export class Xavier extends Initializer {
  readonly rndType: 'uniform' | 'gaussian';
  readonly factorType: 'avg' | 'in' | 'out';
  readonly magnitude: number;
  constructor(...args: OptionArgs<XavierOptions, typeof XAVIER_ARGS>) {
    super();
    const options = bindOptions<XavierOptions>(new.target.name, XAVIER_ARGS, args);
    checkOptions(new.target.name, options, optionKeys<XavierOptions>({ rndType: true, factorType: true, magnitude: true }));
    this.rndType = options.rndType ?? 'uniform';
    this.factorType = options.factorType ?? 'avg';
    this.magnitude = options.magnitude ?? 3;
    if (!['uniform', 'gaussian'].includes(this.rndType)) throw new Error(`Xavier: unknown rndType '${this.rndType}' (uniform, gaussian)`);
    if (!['avg', 'in', 'out'].includes(this.factorType)) throw new Error(`Xavier: unknown factorType '${this.factorType}' (avg, in, out)`);
    checkNumber(new.target.name, 'magnitude', this.magnitude, 0, true);
  }
  override create(shape: number[], dtype: DType, name: string): NDArray {
    const [fanIn, fanOut] = fans(shape, name);
    const factor = this.factorType === 'avg' ? (fanIn + fanOut) / 2 : this.factorType === 'in' ? fanIn : fanOut;
    const scale = Math.sqrt(this.magnitude / factor);
    return this.rndType === 'uniform'
      ? fill(shape, dtype, () => (nextFloat() * 2 - 1) * scale)
      : fill(shape, dtype, () => nextNormal() * scale);
  }
}

/** Options of MSRAPrelu. */
export interface MSRAPreluOptions {
  factorType?: 'avg' | 'in' | 'out';
  slope?: number;
}

/** MSRA/He initialization for PReLU nets: Xavier(gaussian, factorType, 2 / (1 + slope²)). */
export class MSRAPrelu extends Xavier {
  constructor(...args: OptionArgs<MSRAPreluOptions, typeof MSRA_PRELU_ARGS>) {
    const options = bindOptions<MSRAPreluOptions>('MSRAPrelu', MSRA_PRELU_ARGS, args);
    checkOptions('MSRAPrelu', options, optionKeys<MSRAPreluOptions>({ factorType: true, slope: true }));
    const slope = options.slope ?? 0.25;
    if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new Error(`MSRAPrelu: slope must be a finite number, got ${JSON.stringify(slope)}`);
    super({ rndType: 'gaussian', factorType: options.factorType ?? 'avg', magnitude: 2 / (1 + slope ** 2) });
  }
}

/** Options of Orthogonal (MXNet's `scale`, `rand_type`). */
export interface OrthogonalOptions {
  /** The factor of the orthonormal matrix (default 1.414, MXNet's). */
  scale?: number;
  /** The draw that is orthonormalized: 'uniform' in [-1, 1] (default) or 'normal'. */
  randType?: 'uniform' | 'normal';
}

/**
 * MXNet's Orthogonal (Saxe et al., 2013): a `[shape[0], prod(shape[1:])]`
 * draw made orthonormal (its rows when it is wide, else its columns), times
 * `scale`. MXNet keeps a factor of the draw's SVD; this takes the same
 * orthonormal rows or columns by QR (Gram-Schmidt in float64, twice), so the
 * numbers differ from MXNet's but their orthogonality does not.
 *
 * ```ts
 * new rnn.LSTM(64).initialize(new init.Orthogonal({ scale: 1 }));
 * ```
 */
export class Orthogonal extends Initializer {
  readonly scale: number;
  readonly randType: 'uniform' | 'normal';
  constructor(...args: OptionArgs<OrthogonalOptions, typeof ORTHOGONAL_ARGS>) {
    super();
    const options = bindOptions<OrthogonalOptions>('Orthogonal', ORTHOGONAL_ARGS, args);
    checkOptions('Orthogonal', options, optionKeys<OrthogonalOptions>({ scale: true, randType: true }));
    this.scale = checkNumber('Orthogonal', 'scale', options.scale ?? 1.414, 0);
    this.randType = options.randType ?? 'uniform';
    if (!['uniform', 'normal'].includes(this.randType)) throw new Error(`Orthogonal: unknown randType '${this.randType}' (uniform, normal)`);
  }
  override create(shape: number[], dtype: DType, name: string): NDArray {
    if (shape.length < 2) throw new Error(`Orthogonal: parameter '${name}' of shape [${shape.join(', ')}] needs at least 2 dimensions`);
    const [rows, cols] = [shape[0]!, sizeOf(shape.slice(1))];
    const wide = rows < cols; // orthonormal rows; else orthonormal columns
    const [n, len] = wide ? [rows, cols] : [cols, rows]; // n vectors of length len
    const v = Array.from({ length: n }, () => Float64Array.from({ length: len }, () => (this.randType === 'uniform' ? nextFloat() * 2 - 1 : nextNormal())));
    for (let i = 0; i < n; i++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < i; j++) {
          let dot = 0;
          for (let k = 0; k < len; k++) dot += v[i]![k]! * v[j]![k]!;
          for (let k = 0; k < len; k++) v[i]![k]! -= dot * v[j]![k]!;
        }
      }
      const norm = Math.sqrt(v[i]!.reduce((acc, x) => acc + x * x, 0));
      for (let k = 0; k < len; k++) v[i]![k]! /= norm;
    }
    return fill(shape, dtype, (i) => this.scale * (wide ? v[Math.floor(i / cols)]![i % cols]! : v[i % cols]![Math.floor(i / cols)]!));
  }
}

/** A constant value: a number, or nested arrays broadcast to the parameter's shape. Example: `new init.Constant(2)` or `new init.Constant({ value: 2 })`. */
export class Constant extends Initializer {
  // `boolean` too: it takes what `NDArray.toArray()` returns (the seed passes `scales.toArray()`).
  // An NDArray too (MXNet's `init.Constant(bilinear_kernel(...))`): its values, read when the Constant is made.
  readonly value: number | boolean | number[] | unknown[];
  constructor(...args: KwArgs<['value'], [value: number | boolean | number[] | unknown[] | NDArray], {}>) {
    super();
    const [[value]] = bindArgs<[number | boolean | number[] | unknown[] | NDArray], {}>(new.target.name, ['value'], args, []);
    this.value = value instanceof NDArray ? (value.toArray() as number | unknown[]) : value;
    const bad = [this.value].flat(Infinity as 1).find((v) => typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'bigint');
    if (bad !== undefined) throw new Error(`${new.target.name}: value must be a number, nested arrays of numbers or an NDArray, got ${bad === null ? 'null' : typeof bad === 'object' ? (bad as object).constructor?.name ?? 'an object' : typeof bad}`);
  }
  override create(shape: number[], dtype: DType, name: string): NDArray {
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
  constructor(...args: KwArgs<[], [], {}>) {
    bindArgs('Zero', [], args, []);
    super(0);
  }
}

/** Ones. */
export class One extends Constant {
  constructor(...args: KwArgs<[], [], {}>) {
    bindArgs('One', [], args, []);
    super(1);
  }
}

/**
 * MXNet's `LSTMBias(forget_bias=1.0)`: zeros but the forget gate's block
 * (rows H..2H of the 4H bias, MXNet's gate order i, f, c, o) at
 * `forgetBias`, whatever the parameter's name (the legacy `rnn.LSTMCell`
 * gives it to its `i2h_bias`).
 *
 * ```ts
 * new init.LSTMBias(1.0).create([8], 'float32', 'lstm_i2h_bias'); // [0, 0, 1, 1, 0, 0, 0, 0]
 * ```
 */
export class LSTMBias extends Initializer {
  readonly forgetBias: number;
  constructor(...args: KwArgs<['forgetBias?'], [forgetBias?: number], {}>) {
    super();
    const [[forgetBias = 1.0]] = bindArgs<[number?], {}>('LSTMBias', ['forgetBias?'], args, []);
    this.forgetBias = checkNumber('LSTMBias', 'forgetBias', forgetBias, -Infinity);
  }
  override create(shape: number[], dtype: DType, name: string): NDArray {
    if (shape.length !== 1 || shape[0]! % 4 !== 0) throw new Error(`LSTMBias: parameter '${name}' of shape [${shape.join(', ')}] is not an LSTM bias (one axis of 4 * hidden)`);
    const h = shape[0]! / 4;
    return fill(shape, dtype, (i) => (i >= h && i < 2 * h ? this.forgetBias : 0));
  }
  override describe(): string {
    return `LSTMBias(${this.forgetBias})`;
  }
}

/**
 * MXNet's `init.FusedRNN(init, numHidden, numLayers, mode, bidirectional,
 * forgetBias)`, the initializer of legacy `rnn.FusedRNNCell`'s flat
 * `<prefix>parameters` vector: the vector cut into MXNet's per-gate
 * matrices (formats/mxnet-rnn-param.ts, `fusedCellLayout`), each weight
 * drawn by `init` (null: the caller's global initializer, as MXNet's
 * `desc.global_init`), biases 0 but the LSTM forget gate's (`_f_bias`, both
 * i2h and h2h, as MXNet) at `forgetBias`.
 *
 * ```ts
 * new init.FusedRNN(new init.Xavier(), 8, 2, 'lstm', true, 1.0).create([n], 'float32', 'lstm_parameters');
 * ```
 */
export class FusedRNN extends Initializer {
  constructor(
    readonly init: Initializer | null,
    readonly numHidden: number,
    readonly numLayers: number,
    readonly mode: 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru',
    readonly bidirectional = false,
    readonly forgetBias = 1.0,
  ) {
    super();
    if (init !== null && !(init instanceof Initializer)) throw new Error(`FusedRNN: init must be an Initializer or null (the global one), got ${JSON.stringify(init)}`);
    for (const [k, v] of [['numHidden', numHidden], ['numLayers', numLayers]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`FusedRNN: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    if (!(mode in GATE_NAMES)) throw new Error(`FusedRNN: mode must be one of ${Object.keys(GATE_NAMES).join(', ')}, got ${JSON.stringify(mode)}`);
    checkNumber('FusedRNN', 'forgetBias', forgetBias, -Infinity);
  }
  override withGlobal(global: Initializer): Initializer {
    return this.init ? this : new FusedRNN(global, this.numHidden, this.numLayers, this.mode, this.bidirectional, this.forgetBias);
  }
  override create(shape: number[], dtype: DType, name: string): NDArray {
    const [h, l, d, g] = [this.numHidden, this.numLayers, this.bidirectional ? 2 : 1, GATE_NAMES[this.mode]!.length];
    const n = shape[0]!;
    // rnn_cell.py's unpack_weights: num_input = size / D / H / G - (L - 1) (H + D H + 2) - H - 2.
    const input = n / d / h / g - (l - 1) * (h + d * h + 2) - h - 2;
    const { pieces, total } = fusedCellLayout('', this.mode, h, l, this.bidirectional, Number.isInteger(input) ? input : 0);
    if (shape.length !== 1 || !Number.isInteger(input) || input < 1 || total !== n) {
      throw new Error(`FusedRNN: parameter '${name}' of shape [${shape.join(', ')}] is not the flat vector of a ${this.mode} of ${l} layer(s), ${d} direction(s), ${h} hidden units`);
    }
    if (!this.init) throw new Error(`FusedRNN: parameter '${name}' has no initializer for its matrices (init null asks for the global one, which Module.initParams gives)`);
    const out = new Float64Array(n);
    for (const p of pieces) {
      const bias = p.name.endsWith('_bias') ? (this.mode === 'lstm' && p.name.endsWith('_f_bias') ? this.forgetBias : 0) : null;
      const v = bias !== null ? fill(p.shape, 'float64', () => bias) : this.init.create(p.shape, 'float64', p.name);
      out.set(Array.from(v.data() as ArrayLike<number>), p.offset);
    }
    return new NDArray(tensorFromNumbers(dtype, shape, out));
  }
  override describe(): string {
    return `FusedRNN(${this.init ? this.init.describe() : 'null'}, ${this.numHidden}, ${this.numLayers}, ${this.mode}, ${this.bidirectional}, ${this.forgetBias})`;
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
  lstmbias: () => new LSTMBias(),
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
    if (!make) throw new Error(`${what}: unknown initializer '${x}' (MXNet's names: zeros, ones, uniform, normal, xavier, msraprelu, lstmbias)`);
    return make();
  }
  const got = x === null ? 'null' : typeof x === 'object' ? 'an object' : `a ${typeof x}`;
  throw new Error(`${what}: init must be an Initializer (init.Xavier(), ...) or one of MXNet's names, got ${got}`);
}
