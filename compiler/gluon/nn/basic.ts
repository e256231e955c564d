/**
 * The basic layers of `gluon.nn` without a family of their own: Activation,
 * Dropout, Flatten, Embedding, Lambda and HybridLambda. Each is a thin
 * wrapper over one `F` operator with MXNet Gluon's options and defaults;
 * errors name the layer's class and the block path it runs under.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { currentScope } from '../../ops/errors.js';
import { bindArgs, bindOptions, type KwArgs, type OptionArgs } from '../bind-args.js';
import { Block } from '../block.js';
import { HybridBlock } from '../hybrid.js';
import type { Initializer } from '../init.js';
import { ops as ndOps } from '../../engine/nd.js';
import type { NDArray } from '../../engine/ndarray.js';
import type { Parameter } from '../parameter.js';
import type { F, Tensor } from '../../engine/tensor.js';
import type { SymbolicDim } from '../../ops/symbolic-dim.js';

/**
 * An Error naming the layer's class and the block path it runs under.
 *
 * ```ts
 * throw layerError(this, `input of shape [4] has rank 1; axis 1 needs rank 2 or more`);
 * ```
 */
export function layerError(block: Block, message: string): Error {
  const scope = currentScope() || block._scopeName || block.constructor.name;
  return new Error(`${block.constructor.name} (block '${scope}'): ${message}`);
}

/**
 * A boolean option of a layer's constructor: `fallback` when absent, else it
 * must be `true` or `false` (a string such as `'false'` from a config file
 * would otherwise read as truthy); the error names the layer and the option.
 *
 * ```ts
 * this.causal = boolOption('TransformerEncoderLayer', 'causal', options.causal, false);
 * ```
 */
export function boolOption(layer: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`${layer}: option '${name}' must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * A layer's `epsilon`: `fallback` when absent, else a non-negative number
 * (a string such as `'1e-5'` from a config file is refused by name).
 *
 * ```ts
 * this.epsilon = epsilonOption('LayerNorm', options.epsilon, 1e-5);
 * ```
 */
export function epsilonOption(layer: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new Error(`${layer}: epsilon must be a non-negative number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * A layer's `activation` option: undefined, or one of the names
 * `nn.Activation` takes (checked when the layer is built, not at its first call).
 *
 * ```ts
 * this.act = activationOption('Dense', options.activation);
 * ```
 */
export function activationOption(layer: string, value: unknown): ActivationName | undefined {
  if (value === undefined) return undefined;
  if (!(ACTIVATIONS as readonly unknown[]).includes(value)) {
    throw new Error(`${layer}: unknown activation ${JSON.stringify(value)} (valid: ${ACTIVATIONS.join(', ')})`);
  }
  return value as ActivationName;
}

/** `[d0, d1, ...]` for messages (symbolic dimensions as their names). */
export function shapeText(shape: readonly (number | string | SymbolicDim)[]): string {
  return `[${shape.join(', ')}]`;
}

const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'] as const;
/** The activation names `nn.Activation` (and `F.Activation`) take. */
export type ActivationName = (typeof ACTIVATIONS)[number];

/**
 * An activation function by name: relu, sigmoid, tanh, softrelu, softsign.
 *
 * ```ts
 * new nn.Activation('relu').call(nd.array([-1, 2])); // [0, 2]
 * new nn.Activation({ activation: 'relu' });          // by name, as Gluon's Activation(activation='relu')
 * ```
 */
export class Activation extends HybridBlock {
  readonly activation: ActivationName;

  constructor(...args: KwArgs<['activation'], [activation: ActivationName], {}>) {
    super();
    const [[activation]] = bindArgs<[ActivationName], {}>('Activation', ['activation'], args, []);
    this.activation = activationOption('Activation', activation)!;
    if (this.activation === undefined) throw new Error(`Activation: needs an activation name (valid: ${ACTIVATIONS.join(', ')})`);
  }

  override hybridForward(F: F, x: Tensor): Tensor {
    return F.Activation(x, { actType: this.activation });
  }

  /** MXNet names an Activation block by its function (`relu0_fwd`). */
  override _alias(): string {
    return this.activation;
  }

  override toString(): string {
    return `Activation(${this.activation})`;
  }
}

/** Options of Dropout. */
export interface DropoutOptions {
  /** Axes along which one mask value is shared (variational dropout). */
  axes?: number[];
}

/**
 * Inverted dropout: in training mode each element is zeroed with
 * probability `rate` and the rest scaled by `1 / (1 - rate)`; outside
 * training mode it is the identity.
 *
 * ```ts
 * const d = new nn.Dropout(0.5);            // or new nn.Dropout({ rate: 0.5 })
 * d.call(x);                               // x itself (prediction mode)
 * autograd.trainMode(() => d.call(x));     // about half the elements zeroed, the rest doubled
 * ```
 */
export class Dropout extends HybridBlock {
  readonly rate: number;
  readonly axes: number[];

  constructor(...args: OptionArgs<DropoutOptions & { rate: number }, ['rate', 'axes?']>) {
    super();
    // MXNet's Dropout(rate, axes=()).
    const { rate, ...options } = bindOptions<DropoutOptions & { rate: number }>('Dropout', ['rate', 'axes?'], args, []);
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`Dropout: rate must be in [0, 1), got ${rate}`);
    this.rate = rate;
    this.axes = [...(options.axes ?? [])];
    for (const a of this.axes) if (!Number.isInteger(a)) throw new Error(`Dropout: axes must be integers, got ${JSON.stringify(options.axes)}`);
  }

  override hybridForward(F: F, x: Tensor): Tensor {
    for (const a of this.axes) {
      if (a >= x.ndim || a < -x.ndim) throw layerError(this, `axis ${a} of 'axes' is out of range for an input of shape ${shapeText(x.shape)}`);
    }
    return F.Dropout(x, { p: this.rate, axes: this.axes });
  }

  override toString(): string {
    return `Dropout(p = ${this.rate}, axes=(${this.axes.join(', ')}))`;
  }
}

/**
 * Collapses every axis but the first: [N, d1, d2, ...] -> [N, d1 * d2 * ...].
 *
 * ```ts
 * new nn.Flatten().call(nd.zeros([2, 3, 4])).shape; // [2, 12]
 * ```
 */
export class Flatten extends HybridBlock {
  override hybridForward(F: F, x: Tensor): Tensor {
    if (x.ndim < 1) throw layerError(this, `needs an input with at least one axis, got shape ${shapeText(x.shape)}`);
    return F.flatten(x);
  }
}

/** Options of Embedding. */
export interface EmbeddingOptions {
  /** The weight's dtype (default float32). */
  dtype?: DType;
  /** The weight's initializer (default: the one given to `initialize`). */
  weightInitializer?: Initializer;
  /** Accepted for ported code; gradients are dense here. */
  sparseGrad?: boolean;
}

/** MXNet's positional parameters of Embedding, in its order. */
const EMBEDDING_ARGS = ['inputDim', 'outputDim', 'dtype?', 'weightInitializer?', 'sparseGrad?'] as const;

/**
 * A lookup table: each index of the input picks a row of `weight`
 * ([inputDim, outputDim]); the output has shape `input.shape + [outputDim]`.
 * Indices are truncated and clipped to [0, inputDim - 1], as in MXNet.
 *
 * ```ts
 * const emb = new nn.Embedding(1000, 64);   // or new nn.Embedding({ inputDim: 1000, outputDim: 64 })
 * emb.initialize();
 * emb.call(nd.array([[1, 2], [3, 4]])).shape; // [2, 2, 64]
 * ```
 */
export class Embedding extends HybridBlock {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly weight: Parameter;
  private readonly dtype: DType;
  private readonly sparseGrad: boolean;

  constructor(...args: OptionArgs<EmbeddingOptions & { inputDim: number; outputDim: number }, typeof EMBEDDING_ARGS>) {
    super();
    const { inputDim, outputDim, ...options } = bindOptions<EmbeddingOptions & { inputDim: number; outputDim: number }>('Embedding', EMBEDDING_ARGS, args, []);
    for (const [k, v] of [['inputDim', inputDim], ['outputDim', outputDim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Embedding: ${k} must be a positive integer, got ${v}`);
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.dtype = options.dtype ?? 'float32';
    this.sparseGrad = options.sparseGrad ?? false;
    this.weight = this.params.get('weight', {
      shape: [inputDim, outputDim],
      dtype: this.dtype,
      init: options.weightInitializer,
      allowDeferredInit: true,
    });
  }

  override hybridForward(F: F, x: Tensor, p: { weight: Tensor }): Tensor {
    return F.Embedding(x, p.weight, { inputDim: this.inputDim, outputDim: this.outputDim, dtype: this.dtype, sparseGrad: this.sparseGrad });
  }

  override toString(): string {
    return `Embedding(${this.inputDim} -> ${this.outputDim}, ${this.dtype})`;
  }
}

/** Looks up an operator by name on a backend; the error lists the problem. */
function opByName(owner: string, backend: Record<string, unknown>, name: string, where: string): (...args: unknown[]) => unknown {
  const f = backend[name];
  if (typeof f !== 'function') throw new Error(`${owner}: ${JSON.stringify(name)} is not a function of ${where}`);
  return f as (...args: unknown[]) => unknown;
}

/**
 * Wraps a function on NDArrays (or the name of an `nd` function) as a Block.
 *
 * ```ts
 * new nn.Lambda('tanh').call(x);
 * new nn.Lambda((x: nd.NDArray) => x.mul(2)).call(x);
 * ```
 */
export class Lambda extends Block {
  private readonly fn: (...args: any[]) => any;
  private readonly fnName: string;

  constructor(...args: KwArgs<['function'], [fn: string | ((...args: any[]) => any)], {}>) {
    super();
    const [[fn]] = bindArgs<[string | ((...args: any[]) => any)], {}>('Lambda', ['function'], args, []);
    if (typeof fn === 'string') {
      const f = opByName('Lambda', ndOps as unknown as Record<string, unknown>, fn, 'nd');
      this.fn = (...args: unknown[]) => f(...args);
      this.fnName = fn;
    } else if (typeof fn === 'function') {
      this.fn = fn;
      this.fnName = fn.name || '<lambda>';
    } else {
      throw new Error(`Lambda: expected a function or the name of an nd function, got ${typeof fn}`);
    }
  }

  override forward(...inputs: NDArray[]): any {
    return this.fn(...inputs);
  }

  override toString(): string {
    return `Lambda(${this.fnName})`;
  }
}

/**
 * Wraps a function `(F, ...inputs) => output` (or the name of an `F`
 * function) as a HybridBlock, so it compiles with its hybridized parent.
 *
 * ```ts
 * new nn.HybridLambda('relu');
 * new nn.HybridLambda((F, x) => F.LeakyReLU(x, { slope: 0.1 }));
 * ```
 */
export class HybridLambda extends HybridBlock {
  private readonly fn: (F: F, ...args: any[]) => any;
  private readonly fnName: string;

  constructor(...args: KwArgs<['function'], [fn: string | ((F: F, ...args: any[]) => any)], {}>) {
    super();
    const [[fn]] = bindArgs<[string | ((F: F, ...args: any[]) => any)], {}>('HybridLambda', ['function'], args, []);
    if (typeof fn === 'string') {
      // Checked against nd: nd and sym expose the same operator names.
      opByName('HybridLambda', ndOps as unknown as Record<string, unknown>, fn, 'F');
      this.fn = (F: F, ...args: unknown[]) => (F as unknown as Record<string, (...a: unknown[]) => unknown>)[fn]!(...args);
      this.fnName = fn;
    } else if (typeof fn === 'function') {
      this.fn = fn;
      this.fnName = fn.name || '<lambda>';
    } else {
      throw new Error(`HybridLambda: expected a function or the name of an F function, got ${typeof fn}`);
    }
  }

  override hybridForward(F: F, ...args: any[]): any {
    args.pop(); // this block's own (empty) parameter object
    return this.fn(F, ...args);
  }

  override toString(): string {
    return `HybridLambda(${this.fnName})`;
  }
}
