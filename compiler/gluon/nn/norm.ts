/**
 * Normalization layers with MXNet Gluon's parameters and defaults:
 * BatchNorm (with running statistics) and LayerNorm.
 * Invariant: BatchNorm's running statistics change only in training mode
 * without `useGlobalStats`, by `running = momentum * running + (1 -
 * momentum) * batch` with the batch mean and biased variance over every
 * axis but `axis`: eagerly by the BatchNorm operator itself (in place, as
 * MXNet's auxiliary states), traced by F ops written back through
 * `assignParam`, so eager and compiled steps update them alike.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { isTrainingMode } from '../../ops/mode.js';
import { isSymbol } from '../../trace/symbol.js';
import { HybridBlock } from '../hybrid.js';
import { One, Zero, type Initializer } from '../init.js';
import type { Parameter } from '../parameter.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { boolOption, epsilonOption, layerError, shapeText } from './basic.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Checks that `axis` exists in `x` and that its length matches known channels. */
function checkAxis(block: HybridBlock, x: Tensor, axis: number, channels: number, what: string): void {
  const r = x.ndim;
  if (axis >= r || axis < -r) {
    throw layerError(block, `axis ${axis} is out of range for an input of shape ${shapeText(x.shape)} (rank ${r})`);
  }
  const d = x.shape[(axis + r) % r];
  if (channels > 0 && typeof d === 'number' && d !== channels) {
    throw layerError(block, `the input of shape ${shapeText(x.shape)} has ${d} ${what} on axis ${axis}, but the layer has ${channels}`);
  }
}

/**
 * MXNet's moving-statistics rule written with `F` (for traced graphs; the
 * eager operator applies the same rule in place): `moving · momentum +
 * batch · (1 − momentum)` with the batch mean and biased variance over every
 * axis but `axis`.
 *
 * ```ts
 * const [mean, variance] = movingStatistics(F, x, p.running_mean, p.running_var, 1, 0.9);
 * ```
 */
export function movingStatistics(F: F, x0: Tensor, movingMean: Tensor, movingVar: Tensor, axis: number, momentum: number): [Tensor, Tensor] {
  // float16 data with float32 statistics (BatchNorm.cast('float16')): the statistics in float32.
  const x = x0.dtype === movingMean.dtype ? x0 : F.cast(x0, movingMean.dtype);
  const meanK = F.mean(x, { axis, exclude: true, keepdims: true });
  const variance = F.mean(F.square(F.broadcastSub(x, meanK)), { axis, exclude: true });
  const mean = F.reshape(meanK, [-1]);
  return [F.add(F.mul(movingMean, momentum), F.mul(mean, 1 - momentum)), F.add(F.mul(movingVar, momentum), F.mul(variance, 1 - momentum))];
}

/** Options of BatchNorm (MXNet's, camelCase). */
export interface BatchNormOptions {
  /** The channel axis (default 1). */
  axis?: number;
  /** The running statistics' decay (default 0.9). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Learn a shift `beta` (default true). */
  center?: boolean;
  /** Learn a scale `gamma` (default true); false fixes it at 1. */
  scale?: boolean;
  /** Always normalize with the running statistics, also in training mode (default false). */
  useGlobalStats?: boolean;
  /** Channels; 0 (default) infers them at the first call. */
  inChannels?: number;
  betaInitializer?: Initializer;
  gammaInitializer?: Initializer;
  runningMeanInitializer?: Initializer;
  runningVarianceInitializer?: Initializer;
}

/** MXNet's positional parameters of BatchNorm, in its order. */
const BATCH_NORM_ARGS = ['axis?', 'momentum?', 'epsilon?', 'center?', 'scale?', 'useGlobalStats?', 'betaInitializer?', 'gammaInitializer?', 'runningMeanInitializer?', 'runningVarianceInitializer?', 'inChannels?'] as const;

/**
 * Batch normalization over the channel `axis`. In training mode it
 * normalizes with the batch's mean and (biased) variance and updates
 * the parameters `running_mean`/`running_var` (MXNet's names, so MXNet
 * files load; the properties are `runningMean`/`runningVar`); otherwise it
 * uses the running statistics.
 *
 * ```ts
 * const bn = new nn.BatchNorm();
 * bn.initialize();
 * autograd.trainMode(() => bn.call(x)); // batch statistics; running ones updated
 * bn.call(x);                           // running statistics
 * ```
 */
export class BatchNorm extends HybridBlock {
  readonly gamma: Parameter;
  readonly beta: Parameter;
  readonly runningMean: Parameter;
  readonly runningVar: Parameter;
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly useGlobalStats: boolean;

  constructor(...args: OptionArgs<BatchNormOptions, typeof BATCH_NORM_ARGS>) {
    super();
    const options = bindOptions<BatchNormOptions>('BatchNorm', BATCH_NORM_ARGS, args);
    checkOptions('BatchNorm', options, [
      'axis', 'momentum', 'epsilon', 'center', 'scale', 'useGlobalStats', 'inChannels',
      'betaInitializer', 'gammaInitializer', 'runningMeanInitializer', 'runningVarianceInitializer',
    ]);
    const inChannels = options.inChannels ?? 0;
    this.axis = options.axis ?? 1;
    this.momentum = options.momentum ?? 0.9;
    this.epsilon = epsilonOption('BatchNorm', options.epsilon, 1e-5);
    this.center = boolOption('BatchNorm', 'center', options.center, true);
    this.scale = boolOption('BatchNorm', 'scale', options.scale, true);
    this.useGlobalStats = boolOption('BatchNorm', 'useGlobalStats', options.useGlobalStats, false);
    if (!Number.isInteger(inChannels) || inChannels < 0) throw new Error(`BatchNorm: inChannels must be a non-negative integer, got ${inChannels}`);
    if (!Number.isInteger(this.axis)) throw new Error(`BatchNorm: axis must be an integer, got ${this.axis}`);
    if (typeof this.momentum !== 'number' || !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`BatchNorm: momentum must be a number in [0, 1], got ${JSON.stringify(options.momentum)}`);
    }
    const shape = [inChannels];
    this.gamma = this.params.get('gamma', {
      shape, init: options.gammaInitializer ?? new One(), allowDeferredInit: true,
      differentiable: this.scale, gradReq: this.scale ? 'write' : 'null',
    });
    this.beta = this.params.get('beta', {
      shape, init: options.betaInitializer ?? new Zero(), allowDeferredInit: true,
      differentiable: this.center, gradReq: this.center ? 'write' : 'null',
    });
    this.runningMean = this.params.get('running_mean', {
      shape, init: options.runningMeanInitializer ?? new Zero(), allowDeferredInit: true, differentiable: false,
    });
    this.runningVar = this.params.get('running_var', {
      shape, init: options.runningVarianceInitializer ?? new One(), allowDeferredInit: true, differentiable: false,
    });
  }

  override hybridForward(F: F, x: Tensor, p: { gamma: Tensor; beta: Tensor; running_mean: Tensor; running_var: Tensor }): Tensor {
    checkAxis(this, x, this.axis, this.gamma.shape[0]!, 'channels');
    // Called before the statistics so a deferred [0] shape is solved to [C] first.
    const y = F.BatchNorm(x, p.gamma, p.beta, p.running_mean, p.running_var, {
      axis: this.axis, eps: this.epsilon, momentum: this.momentum, fixGamma: !this.scale, useGlobalStats: this.useGlobalStats,
    });
    // Eagerly the operator has already updated the parameters' arrays in place (MXNet's
    // auxiliary states); a traced graph returns the new values, written back after each run.
    if (isTrainingMode() && !this.useGlobalStats && isSymbol(y)) {
      const [mean, variance] = movingStatistics(F, x, p.running_mean, p.running_var, this.axis, this.momentum);
      this.assignParam(this.runningMean, mean);
      this.assignParam(this.runningVar, variance);
    }
    return y;
  }

  /** MXNet's `BatchNorm.cast`: float16 leaves the parameters and statistics float32 (the operator takes float16 data with them). Example: `bn.cast('float16')`. */
  override cast(dtype: DType): this {
    return super.cast(dtype === 'float16' ? 'float32' : dtype);
  }

  override toString(): string {
    const c = this.gamma.shape[0] || 'None';
    return `BatchNorm(axis=${this.axis}, eps=${this.epsilon}, momentum=${this.momentum}, fixGamma=${!this.scale}, useGlobalStats=${this.useGlobalStats}, inChannels=${c})`;
  }
}

/** Options of LayerNorm (MXNet's, camelCase). */
export interface LayerNormOptions {
  /** The normalized axis (default -1). */
  axis?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Learn a shift `beta` (default true). */
  center?: boolean;
  /** Learn a scale `gamma` (default true). */
  scale?: boolean;
  /** The length of `axis`; 0 (default) infers it at the first call. */
  inChannels?: number;
  betaInitializer?: Initializer;
  gammaInitializer?: Initializer;
}

/** MXNet's positional parameters of LayerNorm, in its order. */
const LAYER_NORM_ARGS = ['axis?', 'epsilon?', 'center?', 'scale?', 'betaInitializer?', 'gammaInitializer?', 'inChannels?'] as const;

/**
 * Layer normalization: each slice along `axis` is standardized with its own
 * mean and (biased) variance, then scaled by `gamma` and shifted by `beta`.
 *
 * ```ts
 * const ln = new nn.LayerNorm();
 * ln.initialize();
 * ln.call(nd.random.normal(0, 1, [2, 5])); // each row: mean 0, variance 1
 * ```
 */
export class LayerNorm extends HybridBlock {
  readonly gamma: Parameter;
  readonly beta: Parameter;
  readonly axis: number;
  readonly epsilon: number;

  constructor(...args: OptionArgs<LayerNormOptions, typeof LAYER_NORM_ARGS>) {
    super();
    const options = bindOptions<LayerNormOptions>('LayerNorm', LAYER_NORM_ARGS, args);
    checkOptions('LayerNorm', options, ['axis', 'epsilon', 'center', 'scale', 'inChannels', 'betaInitializer', 'gammaInitializer']);
    const inChannels = options.inChannels ?? 0;
    this.axis = options.axis ?? -1;
    this.epsilon = epsilonOption('LayerNorm', options.epsilon, 1e-5);
    if (!Number.isInteger(inChannels) || inChannels < 0) throw new Error(`LayerNorm: inChannels must be a non-negative integer, got ${inChannels}`);
    if (!Number.isInteger(this.axis)) throw new Error(`LayerNorm: axis must be an integer, got ${this.axis}`);
    const scale = boolOption('LayerNorm', 'scale', options.scale, true);
    const center = boolOption('LayerNorm', 'center', options.center, true);
    this.gamma = this.params.get('gamma', {
      shape: [inChannels], init: options.gammaInitializer ?? new One(), allowDeferredInit: true, gradReq: scale ? 'write' : 'null',
    });
    this.beta = this.params.get('beta', {
      shape: [inChannels], init: options.betaInitializer ?? new Zero(), allowDeferredInit: true, gradReq: center ? 'write' : 'null',
    });
  }

  override hybridForward(F: F, x: Tensor, p: { gamma: Tensor; beta: Tensor }): Tensor {
    checkAxis(this, x, this.axis, this.gamma.shape[0]!, 'elements');
    return F.LayerNorm(x, p.gamma, p.beta, { axis: this.axis, eps: this.epsilon });
  }

  override toString(): string {
    return `LayerNorm(axis=${this.axis}, eps=${this.epsilon}, inChannels=${this.gamma.shape[0] || 'None'})`;
  }
}
