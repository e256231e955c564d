/**
 * Activation layers with MXNet Gluon's names and defaults: LeakyReLU,
 * PReLU (a learned slope per channel), ELU, SELU, GELU (erf-based, or
 * MXNet 2's tanh approximation) and Swish. All but Swish are `F.LeakyReLU` with the matching `actType`.
 */
import { bindArgs, bindOptions, type KwArgs, type OptionArgs } from '../bind-args.js';
import { HybridBlock } from '../hybrid.js';
import { Constant, type Initializer } from '../init.js';
import type { Parameter } from '../parameter.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { layerError, shapeText } from './basic.js';
import { checkOptions } from '../../../runtime/check-options.js';

/**
 * `x > 0 ? x : alpha * x`.
 *
 * ```ts
 * new nn.LeakyReLU(0.1).call(nd.array([-2, 3])); // [-0.2, 3]
 * new nn.LeakyReLU({ alpha: 0.1 });                // the same, as Gluon's LeakyReLU(alpha=0.1)
 * ```
 */
export class LeakyReLU extends HybridBlock {
  readonly alpha: number;

  constructor(...args: KwArgs<['alpha'], [alpha: number], {}>) {
    super();
    const [[alpha]] = bindArgs<[number], {}>('LeakyReLU', ['alpha'], args, []);
    if (typeof alpha !== 'number' || !(alpha >= 0) || !Number.isFinite(alpha)) {
      throw new Error(`LeakyReLU: alpha must be a non-negative number, got ${alpha}`);
    }
    this.alpha = alpha;
  }

  override hybridForward(F: F, x: Tensor): Tensor {
    return F.LeakyReLU(x, { actType: 'leaky', slope: this.alpha });
  }

  override toString(): string {
    return `LeakyReLU(${this.alpha})`;
  }
}

/** Options of PReLU. */
export interface PReLUOptions {
  /** The slope's initializer (default Constant(0.25)). */
  alphaInitializer?: Initializer;
  /** The channels (axis 1) with a slope each; 1 (default) shares one slope; 0 infers them at the first call. */
  inChannels?: number;
}

/** MXNet's positional parameters of PReLU, in its order. */
const PRELU_ARGS = ['alphaInitializer?', 'inChannels?'] as const;

/**
 * `x > 0 ? x : alpha * x` with a learned `alpha` of shape [inChannels]
 * (one slope per channel on axis 1, or one shared slope).
 *
 * ```ts
 * const p = new nn.PReLU({ inChannels: 3 });
 * p.initialize();
 * p.call(nd.random.normal(0, 1, [2, 3, 4]));
 * ```
 */
export class PReLU extends HybridBlock {
  readonly alpha: Parameter;

  constructor(...args: OptionArgs<PReLUOptions, typeof PRELU_ARGS>) {
    super();
    const options = bindOptions<PReLUOptions>('PReLU', PRELU_ARGS, args);
    checkOptions('PReLU', options, ['alphaInitializer', 'inChannels']);
    const inChannels = options.inChannels ?? 1;
    if (!Number.isInteger(inChannels) || inChannels < 0) throw new Error(`PReLU: inChannels must be a non-negative integer, got ${inChannels}`);
    this.alpha = this.params.get('alpha', {
      shape: [inChannels],
      init: options.alphaInitializer ?? new Constant(0.25),
      allowDeferredInit: true,
    });
  }

  override hybridForward(F: F, x: Tensor, p: { alpha: Tensor }): Tensor {
    const c = this.alpha.shape[0]!;
    if (c > 1 && (x.ndim < 2 || (typeof x.shape[1] === 'number' && x.shape[1] !== c))) {
      throw layerError(this, `alpha has ${c} channels but the input of shape ${shapeText(x.shape)} has ${x.ndim < 2 ? 'no axis 1' : `${x.shape[1]} on axis 1`}`);
    }
    return F.LeakyReLU(x, p.alpha, { actType: 'prelu' });
  }

  override toString(): string {
    return `PReLU(${this.alpha.shape[0] || 'None'})`;
  }
}

/**
 * Exponential linear unit: `x > 0 ? x : alpha * (e^x - 1)`.
 *
 * ```ts
 * new nn.ELU().call(nd.array([-1, 1])); // [-0.632, 1]
 * new nn.ELU({ alpha: 2 });             // Gluon's ELU(alpha=2)
 * ```
 */
export class ELU extends HybridBlock {
  readonly alpha: number;

  constructor(...args: KwArgs<['alpha?'], [alpha?: number], {}>) {
    super();
    const [[alpha = 1.0]] = bindArgs<[number?], {}>('ELU', ['alpha?'], args, []);
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`ELU: alpha must be a finite number, got ${alpha}`);
    this.alpha = alpha;
  }

  override hybridForward(F: F, x: Tensor): Tensor {
    return F.LeakyReLU(x, { actType: 'elu', slope: this.alpha });
  }

  override toString(): string {
    return `ELU(${this.alpha})`;
  }
}

/**
 * Scaled exponential linear unit: `λ (x > 0 ? x : α (e^x - 1))` with
 * α ≈ 1.6733, λ ≈ 1.0507.
 *
 * ```ts
 * new nn.SELU().call(x);
 * ```
 */
export class SELU extends HybridBlock {
  override hybridForward(F: F, x: Tensor): Tensor {
    return F.LeakyReLU(x, { actType: 'selu' });
  }
}

/**
 * Gaussian error linear unit, MXNet 2's `approximation`: 'erf' (default,
 * exact) `x · Φ(x) = 0.5 x (1 + erf(x / √2))`, or 'tanh'
 * `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
 *
 * ```ts
 * new nn.GELU().call(x);
 * new nn.GELU('tanh').call(x);
 * new nn.GELU({ approximation: 'tanh' }); // the same, by name
 * ```
 */
export class GELU extends HybridBlock {
  readonly approximation: 'erf' | 'tanh';

  constructor(...args: KwArgs<['approximation?'], [approximation?: 'erf' | 'tanh'], {}>) {
    super();
    const [[approximation = 'erf']] = bindArgs<[('erf' | 'tanh')?], {}>('GELU', ['approximation?'], args, []);
    if (approximation !== 'erf' && approximation !== 'tanh') {
      throw new Error(`GELU: approximation must be 'erf' or 'tanh', got ${JSON.stringify(approximation)}`);
    }
    this.approximation = approximation;
  }

  override hybridForward(F: F, x: Tensor): Tensor {
    if (this.approximation === 'erf') return F.LeakyReLU(x, { actType: 'gelu' });
    const inner = F.mul(F.add(x, F.mul(F.mul(F.square(x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return F.mul(F.mul(x, 0.5), F.add(F.tanh(inner), 1));
  }

  override toString(): string {
    return `GELU(${this.approximation})`;
  }
}

/**
 * Swish: `x · sigmoid(beta · x)`.
 *
 * ```ts
 * new nn.Swish().call(x);
 * ```
 */
export class Swish extends HybridBlock {
  readonly beta: number;

  constructor(...args: KwArgs<['beta?'], [beta?: number], {}>) {
    super();
    const [[beta = 1.0]] = bindArgs<[number?], {}>('Swish', ['beta?'], args, []);
    if (typeof beta !== 'number' || !Number.isFinite(beta)) throw new Error(`Swish: beta must be a finite number, got ${beta}`);
    this.beta = beta;
  }

  override hybridForward(F: F, x: Tensor): Tensor {
    return F.mul(x, F.sigmoid(F.mul(x, this.beta)));
  }

  override toString(): string {
    return `Swish(${this.beta})`;
  }
}
