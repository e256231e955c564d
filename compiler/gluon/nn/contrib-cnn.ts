/**
 * MXNet's deformable convolution layers (python/mxnet/gluon/contrib/cnn/
 * conv_layers.py): `gluon.contrib.cnn.DeformableConvolution` (MXNet 1.x's
 * v1) and `ModulatedDeformableConvolution` (v2). A convolution of the input
 * (same kernel, strides, padding, dilation and groups) gives the offsets,
 * `numDeformableGroup * 2 * kh * kw` channels, and for v2 another
 * `numDeformableGroup * kh * kw`, the mask through `sigmoid(.) * 2`; the
 * deformable convolution of the input with them gives the output. MXNet's
 * parameter names and defaults: `deformable_conv_weight` (the global
 * initializer), `deformable_conv_bias` (zeros), `offset_weight` and
 * `offset_bias` (zeros: the layer starts as a plain convolution, offsets 0
 * and mask 1).
 */
import type { F, Tensor } from '../../engine/tensor.js';
import { HybridBlock } from '../hybrid.js';
import { Zero, type Initializer } from '../init.js';
import type { Parameter } from '../parameter.js';
import { activationOption, boolOption } from './basic.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { checkInputRank, type ConvOptions } from './conv.js';

/** The layers' options: Conv2D's plus MXNet's deformable ones. */
export interface DeformableConvolutionOptions extends ConvOptions {
  kernelSize?: number | number[];
  /** Groups of channels sharing offsets and masks (default 1). */
  numDeformableGroup?: number;
  /** Initializer of the offset convolution's weight (default zeros). */
  offsetWeightInitializer?: Initializer;
  /** Initializer of the offset convolution's bias (default zeros). */
  offsetBiasInitializer?: Initializer;
  /** Whether the offset convolution has a bias (default true). */
  offsetUseBias?: boolean;
}

/** ModulatedDeformableConvolution's options (DeformableConvolution's). */
export type ModulatedDeformableConvolutionOptions = DeformableConvolutionOptions;

/** MXNet's positional parameters of both layers, in its order (conv_layers.py; `dtype` only by name). */
const DEFORM_ARGS = ['channels', 'kernelSize?', 'strides?', 'padding?', 'dilation?', 'groups?', 'numDeformableGroup?', 'layout?', 'useBias?', 'inChannels?', 'activation?', 'weightInitializer?', 'biasInitializer?', 'offsetWeightInitializer?', 'offsetBiasInitializer?', 'offsetUseBias?'] as const;

/**
 * The layers' arguments: MXNet's order (`DeformableConvolution(16, 3, 1, 1)`
 * is `channels, kernel_size, strides, padding`) or by name, then options:
 * `new DeformableConvolution(16, { kernelSize: 3, padding: 1 })`.
 */
export type DeformableConvolutionArgs = OptionArgs<DeformableConvolutionOptions & { channels: number }, typeof DEFORM_ARGS>;

const pair = (name: string, what: string, v: number | number[] | undefined, dflt: number, min: number): number[] => {
  const list = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [...v];
  if (list.length !== 2 || !list.every((x) => Number.isInteger(x) && x >= min)) throw new Error(`${name}: ${what} must be an integer >= ${min} or 2 of them, got ${JSON.stringify(v)}`);
  return list;
};

/** What the two layers share: MXNet's parameters and the offset convolution; `perTap` is 2 (v1: offsets) or 3 (v2: offsets and mask). */
abstract class DeformableBase extends HybridBlock {
  readonly channels: number;
  readonly deformable_conv_weight: Parameter;
  readonly deformable_conv_bias: Parameter | null;
  readonly offset_weight: Parameter;
  readonly offset_bias: Parameter | null;
  protected readonly kernel: number[];
  protected readonly opts: Record<string, unknown>;
  /** The offset channels (numDeformableGroup * 2 * kh * kw). */
  protected readonly split: number;
  protected readonly act: string | undefined;
  protected readonly numDeformableGroup: number;

  constructor(private readonly layerName: string, perTap: number, args: readonly unknown[]) {
    super();
    const name = layerName;
    const { channels, ...options } = bindOptions<DeformableConvolutionOptions & { channels: number }>(name, DEFORM_ARGS, args, ['dtype']);
    if (!Number.isInteger(channels) || channels <= 0) throw new Error(`${name}: channels must be a positive integer, got ${channels}`);
    this.channels = channels;
    if ((options.layout ?? 'NCHW') !== 'NCHW') throw new Error(`${name}: layout '${options.layout}' is not supported (only NCHW)`);
    const kernel = pair(name, 'kernelSize', options.kernelSize, 1, 1);
    this.kernel = kernel;
    const groups = options.groups ?? 1;
    const dg = options.numDeformableGroup ?? 1;
    const inChannels = options.inChannels ?? 0;
    for (const [what, v] of [['groups', groups], ['numDeformableGroup', dg]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: ${what} must be a positive integer, got ${v}`);
    }
    const offsetChannels = dg * perTap * kernel[0]! * kernel[1]!;
    if (channels % groups !== 0 || offsetChannels % groups !== 0 || inChannels % groups !== 0) {
      throw new Error(`${name}: channels ${channels}, inChannels ${inChannels} and the ${offsetChannels} offset channels (numDeformableGroup * ${perTap} * kh * kw) must be divisible by groups ${groups}`);
    }
    if (inChannels % dg !== 0) throw new Error(`${name}: inChannels ${inChannels} must be divisible by numDeformableGroup ${dg}`);
    this.split = dg * 2 * kernel[0]! * kernel[1]!;
    this.act = activationOption(name, options.activation);
    this.opts = {
      kernel, stride: pair(name, 'strides', options.strides, 1, 1), dilate: pair(name, 'dilation', options.dilation, 1, 1),
      pad: pair(name, 'padding', options.padding, 0, 0), numGroup: groups,
    };
    const dtype = options.dtype ?? 'float32';
    const param = (n: string, shape: number[], init: Initializer | undefined) => this.params.get(n, { shape, dtype, init, allowDeferredInit: true });
    this.deformable_conv_weight = param('deformable_conv_weight', [channels, inChannels / groups, ...kernel], options.weightInitializer);
    this.deformable_conv_bias = boolOption(name, 'useBias', options.useBias, true) ? param('deformable_conv_bias', [channels], options.biasInitializer ?? new Zero()) : null;
    this.offset_weight = param('offset_weight', [offsetChannels, inChannels / groups, ...kernel], options.offsetWeightInitializer ?? new Zero());
    this.offset_bias = boolOption(name, 'offsetUseBias', options.offsetUseBias, true) ? param('offset_bias', [offsetChannels], options.offsetBiasInitializer ?? new Zero()) : null;
    this.numDeformableGroup = dg;
  }

  /** The offset convolution's output (offsets, then v2's mask logits). */
  protected offsetConv(F: F, x: Tensor, p: DeformParams, filters: number): Tensor {
    checkInputRank(this, x, 'NCHW');
    const offsetOpts = { ...this.opts, numFilter: filters, noBias: !p.offset_bias };
    return p.offset_bias ? F.Convolution(x, p.offset_weight, p.offset_bias, offsetOpts) : F.Convolution(x, p.offset_weight, offsetOpts);
  }

  /** The deformable convolution's options. */
  protected deformOpts(p: DeformParams): Record<string, unknown> {
    return { ...this.opts, numFilter: this.channels, numDeformableGroup: this.numDeformableGroup, noBias: !p.deformable_conv_bias };
  }

  protected activate(F: F, y: Tensor): Tensor {
    return this.act ? F.Activation(y, { actType: this.act as 'relu' }) : y;
  }

  override toString(): string {
    const w = this.deformable_conv_weight.shape;
    return `${this.layerName}(${w[1] ? w[1] * (this.opts['numGroup'] as number) : 'None'} -> ${this.channels}, kernel_size=(${this.kernel.join(', ')}))`;
  }
}

type DeformParams = { deformable_conv_weight: Tensor; deformable_conv_bias?: Tensor; offset_weight: Tensor; offset_bias?: Tensor };

/**
 * 2-D deformable convolution v1 over NCHW input (MXNet 1.x's
 * `gluon.contrib.cnn.DeformableConvolution`, over
 * `F.contrib.DeformableConvolution`; see the file comment and README).
 *
 * ```ts
 * const dcn = new gluon.contrib.cnn.DeformableConvolution(16, { kernelSize: 3, padding: 1 });
 * dcn.initialize();
 * dcn.call(nd.ones([2, 8, 14, 14])).shape; // [2, 16, 14, 14]
 * ```
 */
export class DeformableConvolution extends DeformableBase {
  constructor(...args: DeformableConvolutionArgs) {
    super('DeformableConvolution', 2, args);
  }

  /** MXNet's alias: `deformable_conv0_offset_weight`. */
  override _alias(): string {
    return 'deformable_conv';
  }

  override hybridForward(F: F, x: Tensor, p: DeformParams): Tensor {
    const offset = this.offsetConv(F, x, p, this.split);
    const opts = this.deformOpts(p);
    const y = p.deformable_conv_bias
      ? F.contrib.DeformableConvolution(x, offset, p.deformable_conv_weight, p.deformable_conv_bias, opts)
      : F.contrib.DeformableConvolution(x, offset, p.deformable_conv_weight, opts);
    return this.activate(F, y);
  }
}

/**
 * 2-D modulated deformable convolution over NCHW input (MXNet's
 * `gluon.contrib.cnn.ModulatedDeformableConvolution`; see the file comment).
 *
 * ```ts
 * const dcn = new gluon.contrib.cnn.ModulatedDeformableConvolution(16, { kernelSize: 3, padding: 1 });
 * dcn.initialize();
 * dcn.call(nd.ones([2, 8, 14, 14])).shape; // [2, 16, 14, 14]
 * ```
 */
export class ModulatedDeformableConvolution extends DeformableBase {
  constructor(...args: DeformableConvolutionArgs) {
    super('ModulatedDeformableConvolution', 3, args);
  }

  /** MXNet's alias: `modulated_deformable_conv0_offset_weight`. */
  override _alias(): string {
    return 'modulated_deformable_conv';
  }

  override hybridForward(F: F, x: Tensor, p: DeformParams): Tensor {
    const both = this.offsetConv(F, x, p, (this.split / 2) * 3);
    const offset = F.sliceAxis(both, { axis: 1, begin: 0, end: this.split });
    const mask = F.mul(F.sigmoid(F.sliceAxis(both, { axis: 1, begin: this.split, end: null })), 2);
    const opts = this.deformOpts(p);
    const y = p.deformable_conv_bias
      ? F.contrib.ModulatedDeformableConvolution(x, offset, mask, p.deformable_conv_weight, p.deformable_conv_bias, opts)
      : F.contrib.ModulatedDeformableConvolution(x, offset, mask, p.deformable_conv_weight, opts);
    return this.activate(F, y);
  }
}
