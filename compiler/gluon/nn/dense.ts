/** The fully-connected layer. */
import type { DType } from '../../../runtime/dtypes.js';
import { HybridBlock } from '../hybrid.js';
import { Zero, type Initializer } from '../init.js';
import type { Parameter } from '../parameter.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { activationOption, boolOption } from './basic.js';

/** Options of Dense (MXNet's, camelCase). */
export interface DenseOptions {
  /** An activation applied to the output (`relu`, `sigmoid`, `tanh`, `softrelu`, `softsign`). */
  activation?: string;
  useBias?: boolean;
  /** Collapse all but the first axis of the input (default true). */
  flatten?: boolean;
  dtype?: DType;
  weightInitializer?: Initializer;
  biasInitializer?: Initializer;
  /** Input features; 0 (default) infers them at the first call. */
  inUnits?: number;
}

/** MXNet's positional parameters of Dense, in its order. */
const DENSE_ARGS = ['units', 'activation?', 'useBias?', 'flatten?', 'dtype?', 'weightInitializer?', 'biasInitializer?', 'inUnits?'] as const;

/**
 * `y = activation(x·Wᵀ + b)`, W of shape [units, inUnits].
 *
 * ```ts
 * const d = new nn.Dense(5, { activation: 'relu' }); // in units inferred at the first call
 * new nn.Dense({ units: 5, activation: 'relu' });      // the same, units by name (Gluon's units=5)
 * ```
 */
export class Dense extends HybridBlock {
  readonly units: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private readonly act: string | undefined;
  private readonly flatten: boolean;

  constructor(...args: OptionArgs<DenseOptions & { units: number }, typeof DENSE_ARGS>) {
    super();
    const { units, ...options } = bindOptions<DenseOptions & { units: number }>('Dense', DENSE_ARGS, args, []);
    if (!Number.isInteger(units) || units <= 0) throw new Error(`Dense: units must be a positive integer, got ${units}`);
    this.units = units;
    this.act = activationOption('Dense', options.activation);
    this.flatten = boolOption('Dense', 'flatten', options.flatten, true);
    const dtype = options.dtype ?? 'float32';
    this.weight = this.params.get('weight', {
      shape: [units, options.inUnits ?? 0],
      dtype,
      init: options.weightInitializer,
      allowDeferredInit: true,
    });
    this.bias = !boolOption('Dense', 'useBias', options.useBias, true)
      ? null
      : this.params.get('bias', { shape: [units], dtype, init: options.biasInitializer ?? new Zero(), allowDeferredInit: true });
  }

  override hybridForward(F: F, x: Tensor, p: { weight: Tensor; bias?: Tensor }): Tensor {
    const opts = { numHidden: this.units, noBias: !p.bias, flatten: this.flatten };
    const y = p.bias ? F.FullyConnected(x, p.weight, p.bias, opts) : F.FullyConnected(x, p.weight, opts);
    return this.act ? F.Activation(y, { actType: this.act as 'relu' }) : y;
  }

  override toString(): string {
    return `Dense(${this.weight.shape[1] || 'None'} -> ${this.units}, ${this.act ?? 'linear'})`;
  }
}
