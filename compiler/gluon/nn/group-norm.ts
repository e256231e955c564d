/**
 * Group and instance normalization layers with MXNet Gluon 2.x's parameters
 * and defaults: `gamma` and `beta` of shape `[inChannels]` (0 infers it at
 * the first call), `center`/`scale` switching their learning on or off.
 * Invariant: no running statistics; training and inference compute alike.
 */
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { HybridBlock } from '../hybrid.js';
import { One, Zero } from '../init.js';
import type { Parameter } from '../parameter.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { boolOption, epsilonOption, layerError, shapeText } from './basic.js';
import { checkOptions } from '../../../runtime/check-options.js';
import type { LayerNormOptions } from './norm.js';

/** Options shared by GroupNorm and InstanceNorm (MXNet's, camelCase). */
export interface GroupNormOptions extends Omit<LayerNormOptions, 'axis' | 'scale' | 'inChannels'> {
  /** Learn a scale `gamma` (GroupNorm default true, InstanceNorm false: fixed at its initial 1). */
  scale?: boolean;
  /** The number of channels; 0 (default) infers it at the first call. */
  inChannels?: number;
}

/** Options of InstanceNorm: GroupNorm's plus the channel axis. */
export interface InstanceNormOptions extends GroupNormOptions {
  /** The channel axis (default 1). */
  axis?: number;
}

function normParams(block: HybridBlock, name: string, o: GroupNormOptions, scaleDefault: boolean): { gamma: Parameter; beta: Parameter; epsilon: number } {
  checkOptions(name, o, ['epsilon', 'center', 'scale', 'inChannels', 'betaInitializer', 'gammaInitializer', ...(name === 'InstanceNorm' ? ['axis'] : [])]);
  const inChannels = o.inChannels ?? 0;
  const epsilon = epsilonOption(name, o.epsilon, 1e-5);
  if (!Number.isInteger(inChannels) || inChannels < 0) throw new Error(`${name}: inChannels must be a non-negative integer, got ${inChannels}`);
  const scale = boolOption(name, 'scale', o.scale, scaleDefault);
  const center = boolOption(name, 'center', o.center, true);
  const gamma = block.params.get('gamma', {
    shape: [inChannels], init: o.gammaInitializer ?? new One(), allowDeferredInit: true, gradReq: scale ? 'write' : 'null',
  });
  const beta = block.params.get('beta', {
    shape: [inChannels], init: o.betaInitializer ?? new Zero(), allowDeferredInit: true, gradReq: center ? 'write' : 'null',
  });
  return { gamma, beta, epsilon };
}

function checkChannels(block: HybridBlock, x: Tensor, axis: number, channels: number): void {
  const r = x.ndim;
  if (r < 2) throw layerError(block, `needs an input [N, C, ...], got shape ${shapeText(x.shape)}`);
  if (axis >= r || axis < -r) throw layerError(block, `axis ${axis} is out of range for an input of shape ${shapeText(x.shape)}`);
  const d = x.shape[(axis + r) % r];
  if (channels > 0 && typeof d === 'number' && d !== channels) {
    throw layerError(block, `the input of shape ${shapeText(x.shape)} has ${d} channels on axis ${axis}, but the layer has ${channels}`);
  }
}

/** MXNet's positional parameters of GroupNorm and InstanceNorm, in its order. */
const GROUP_NORM_ARGS = ['numGroups?', 'epsilon?', 'center?', 'scale?', 'betaInitializer?', 'gammaInitializer?'] as const;
const INSTANCE_NORM_ARGS = ['axis?', 'epsilon?', 'center?', 'scale?', 'betaInitializer?', 'gammaInitializer?', 'inChannels?'] as const;

/**
 * Group normalization (Wu & He, 2018): the channels (axis 1) of `[N, C, ...]`
 * split into `numGroups` groups, each group of each sample standardized, then
 * scaled by `gamma` and shifted by `beta` per channel.
 *
 * ```ts
 * const gn = new nn.GroupNorm(2); // or new nn.GroupNorm({ numGroups: 2 })
 * gn.initialize();
 * gn.call(nd.random.normal(0, 1, [2, 4, 3, 3])); // gamma, beta: [4]
 * ```
 */
export class GroupNorm extends HybridBlock {
  readonly gamma: Parameter;
  readonly beta: Parameter;
  readonly numGroups: number;
  readonly epsilon: number;

  constructor(...args: OptionArgs<GroupNormOptions & { numGroups?: number }, typeof GROUP_NORM_ARGS>) {
    super();
    const { numGroups = 1, ...options } = bindOptions<GroupNormOptions & { numGroups?: number }>('GroupNorm', GROUP_NORM_ARGS, args);
    if (!Number.isInteger(numGroups) || numGroups < 1) throw new Error(`GroupNorm: numGroups must be a positive integer, got ${numGroups}`);
    this.numGroups = numGroups;
    ({ gamma: this.gamma, beta: this.beta, epsilon: this.epsilon } = normParams(this, 'GroupNorm', options, true));
  }

  override hybridForward(F: F, x: Tensor, p: { gamma: Tensor; beta: Tensor }): Tensor {
    checkChannels(this, x, 1, this.gamma.shape[0]!);
    const c = x.shape[1];
    if (typeof c === 'number' && c % this.numGroups !== 0) throw layerError(this, `${c} channels cannot be split into ${this.numGroups} groups`);
    return F.GroupNorm(x, p.gamma, p.beta, { numGroups: this.numGroups, eps: this.epsilon });
  }

  override toString(): string {
    return `GroupNorm(numGroups=${this.numGroups}, eps=${this.epsilon}, inChannels=${this.gamma.shape[0] || 'None'})`;
  }
}

/**
 * Instance normalization (Ulyanov et al., 2016): each channel of each sample
 * standardized over its spatial positions, then `* gamma + beta`. As in
 * Gluon, `scale` defaults to false (gamma stays 1) and `axis` names the
 * channel axis.
 *
 * ```ts
 * const inorm = new nn.InstanceNorm({ scale: true });
 * inorm.initialize();
 * inorm.call(nd.random.normal(0, 1, [2, 3, 8])); // each [n, c, :]: mean 0, variance 1
 * ```
 */
export class InstanceNorm extends HybridBlock {
  readonly gamma: Parameter;
  readonly beta: Parameter;
  readonly axis: number;
  readonly epsilon: number;

  constructor(...args: OptionArgs<InstanceNormOptions, typeof INSTANCE_NORM_ARGS>) {
    super();
    const options = bindOptions<InstanceNormOptions>('InstanceNorm', INSTANCE_NORM_ARGS, args);
    ({ gamma: this.gamma, beta: this.beta, epsilon: this.epsilon } = normParams(this, 'InstanceNorm', options, false));
    this.axis = options.axis ?? 1;
    if (!Number.isInteger(this.axis)) throw new Error(`InstanceNorm: axis must be an integer, got ${this.axis}`);
  }

  override hybridForward(F: F, x: Tensor, p: { gamma: Tensor; beta: Tensor }): Tensor {
    checkChannels(this, x, this.axis, this.gamma.shape[0]!);
    const r = x.ndim;
    const ax = (this.axis + r) % r;
    if (ax === 1) return F.InstanceNorm(x, p.gamma, p.beta, { eps: this.epsilon });
    const perm = [...Array(r).keys()];
    [perm[1], perm[ax]] = [ax, 1];
    return F.transpose(F.InstanceNorm(F.transpose(x, perm), p.gamma, p.beta, { eps: this.epsilon }), perm);
  }

  override toString(): string {
    return `InstanceNorm(axis=${this.axis}, eps=${this.epsilon}, inChannels=${this.gamma.shape[0] || 'None'})`;
  }
}
