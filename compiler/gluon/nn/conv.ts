/**
 * Convolution layers (MXNet's `Conv1D/2D/3D` and `Conv1D/2D/3DTranspose`), in
 * the channel-first layouts NCW, NCHW and NCDHW. Weights use MXNet's layouts:
 * `[channels, inChannels/groups, k...]` for convolution and
 * `[inChannels, channels/groups, k...]` for the transposed convolution; the
 * in-channels are inferred at the first call unless `inChannels` is given.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { HybridBlock } from '../hybrid.js';
import { Zero, type Initializer } from '../init.js';
import type { Parameter } from '../parameter.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { activationOption, boolOption } from './basic.js';

/** Options shared by the convolution layers (MXNet's, camelCase). */
export interface ConvOptions {
  /** Step of the window per spatial axis (a number applies to every axis; default 1). */
  strides?: number | number[];
  /** Zeros added on both sides per spatial axis (default 0). */
  padding?: number | number[];
  /** Spacing between kernel elements (default 1). */
  dilation?: number | number[];
  /** Channel groups (default 1). */
  groups?: number;
  /** Only the channel-first layout of the rank ('NCW' for 1-D, 'NCHW' for 2-D, 'NCDHW' for 3-D). */
  layout?: string;
  /** An activation applied to the output (`relu`, `sigmoid`, `tanh`, `softrelu`, `softsign`). */
  activation?: string;
  useBias?: boolean;
  weightInitializer?: Initializer;
  biasInitializer?: Initializer;
  /** Input channels; 0 (default) infers them at the first call. */
  inChannels?: number;
  dtype?: DType;
}

/** Options of the transposed convolution. */
export interface ConvTransposeOptions extends ConvOptions {
  /** Extra size added to one side of each output axis (MXNet's `output_padding`, the op's `adj`; default 0). */
  outputPadding?: number | number[];
}

/**
 * The arguments of a convolution layer: `channels` and `kernelSize`
 * positionally or by name (Gluon's `Conv2D(channels=96, kernel_size=11)`), then options.
 *
 * ```ts
 * const a: ConvArgs<ConvOptions> = [{ channels: 96, kernelSize: 11, strides: 4 }];
 * ```
 */
export type ConvArgs<O> = OptionArgs<O & ConvParams, typeof CONV_ARGS>;

/** The arguments of a transposed convolution layer (`outputPadding` is MXNet's fifth parameter). */
export type ConvTransposeArgs<O> = OptionArgs<O & ConvParams, typeof CONV_TRANSPOSE_ARGS>;

/** The two required parameters of a convolution layer. */
interface ConvParams {
  channels: number;
  kernelSize: number | number[];
}

/** MXNet's positional parameters of the convolution layers, in its order (`dtype` only by name). */
const CONV_ARGS = ['channels', 'kernelSize', 'strides?', 'padding?', 'dilation?', 'groups?', 'layout?', 'activation?', 'useBias?', 'weightInitializer?', 'biasInitializer?', 'inChannels?'] as const;
const CONV_TRANSPOSE_ARGS = ['channels', 'kernelSize', 'strides?', 'padding?', 'outputPadding?', 'dilation?', 'groups?', 'layout?', 'activation?', 'useBias?', 'weightInitializer?', 'biasInitializer?', 'inChannels?'] as const;


/** The channel-first layout of 1-, 2- and 3-D layers. */
const LAYOUTS = ['', 'NCW', 'NCHW', 'NCDHW'];

/** A per-axis option as a list of `n` integers >= `min`. */
function perAxis(block: string, name: string, v: number | number[] | undefined, n: number, dflt: number, min: number): number[] {
  const list = v === undefined ? new Array<number>(n).fill(dflt) : typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
  if (list.length !== n || !list.every((x) => Number.isInteger(x) && x >= min)) {
    throw new Error(`${block}: ${name} must be an integer >= ${min} or ${n} of them, got ${JSON.stringify(v)}`);
  }
  return list;
}

/** Throws an Error naming the block when the input is not of the expected rank. */
export function checkInputRank(block: HybridBlock, x: Tensor, layout: string): void {
  if (x.shape.length !== layout.length) {
    const name = block._scopeName ? `${block.constructor.name} '${block._scopeName}'` : block.constructor.name;
    throw new Error(`${name}: expects input of rank ${layout.length} (${layout}), got shape [${x.shape.join(', ')}]`);
  }
}

/** The shared implementation of the convolution layers. */
abstract class ConvBase extends HybridBlock {
  readonly channels: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  protected readonly kernel: number[];
  protected readonly strides: number[];
  protected readonly padding: number[];
  protected readonly dilation: number[];
  protected readonly groups: number;
  protected readonly layout: string;
  protected readonly act: string | undefined;
  /** The transposed convolution's extra output size per axis (empty for the convolution). */
  protected readonly outputPadding: number[];

  constructor(nd: number, protected readonly transpose: boolean, args: readonly unknown[]) {
    super();
    const name = this.constructor.name;
    const { channels, kernelSize, ...options } = bindOptions<ConvTransposeOptions & ConvParams>(name, transpose ? CONV_TRANSPOSE_ARGS : CONV_ARGS, args, ['dtype']);
    if (!Number.isInteger(channels) || channels <= 0) throw new Error(`${name}: channels must be a positive integer, got ${channels}`);
    this.channels = channels;
    const expected = LAYOUTS[nd]!;
    this.layout = options.layout ?? expected;
    if (this.layout !== expected) throw new Error(`${name}: layout '${this.layout}' is not supported (only ${expected})`);
    this.kernel = perAxis(name, 'kernelSize', kernelSize, nd, 1, 1);
    this.outputPadding = transpose ? perAxis(name, 'outputPadding', options.outputPadding, nd, 0, 0) : [];
    this.strides = perAxis(name, 'strides', options.strides, nd, 1, 1);
    this.padding = perAxis(name, 'padding', options.padding, nd, 0, 0);
    this.dilation = perAxis(name, 'dilation', options.dilation, nd, 1, 1);
    this.groups = options.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1) throw new Error(`${name}: groups must be a positive integer, got ${this.groups}`);
    if (channels % this.groups !== 0) throw new Error(`${name}: channels ${channels} are not divisible by groups ${this.groups}`);
    const inChannels = options.inChannels ?? 0;
    if (!Number.isInteger(inChannels) || inChannels < 0) throw new Error(`${name}: inChannels must be a non-negative integer, got ${inChannels}`);
    if (inChannels % this.groups !== 0) throw new Error(`${name}: inChannels ${inChannels} are not divisible by groups ${this.groups}`);
    this.act = activationOption(name, options.activation);
    const dtype = options.dtype ?? 'float32';
    const wshape = transpose
      ? [inChannels, channels / this.groups, ...this.kernel]
      : [channels, inChannels / this.groups, ...this.kernel];
    this.weight = this.params.get('weight', { shape: wshape, dtype, init: options.weightInitializer, allowDeferredInit: true });
    this.bias = !boolOption(name, 'useBias', options.useBias, true)
      ? null
      : this.params.get('bias', { shape: [channels], dtype, init: options.biasInitializer ?? new Zero(), allowDeferredInit: true });
  }

  /** Extra options of the operator (the transposed convolution's `adj`). */
  protected extraOpts(): Record<string, unknown> {
    return {};
  }

  /** MXNet's convolution layers (transposed ones too) count as `conv` (`conv0_weight`). */
  override _alias(): string {
    return 'conv';
  }

  override hybridForward(F: F, x: Tensor, p: { weight: Tensor; bias?: Tensor }): Tensor {
    checkInputRank(this, x, this.layout);
    const opts = {
      kernel: this.kernel, stride: this.strides, dilate: this.dilation, pad: this.padding,
      numFilter: this.channels, numGroup: this.groups, noBias: !p.bias, layout: this.layout as 'NCHW', ...this.extraOpts(),
    };
    const y = this.transpose
      ? (p.bias ? F.Deconvolution(x, p.weight, p.bias, opts) : F.Deconvolution(x, p.weight, opts))
      : (p.bias ? F.Convolution(x, p.weight, p.bias, opts) : F.Convolution(x, p.weight, opts));
    return this.act ? F.Activation(y, { actType: this.act as 'relu' }) : y;
  }

  protected describe(): string {
    const inC = this.transpose ? this.weight.shape[0]! : this.weight.shape[1]! * this.groups;
    const parts = [`${inC || 'None'} -> ${this.channels}`, `kernel_size=(${this.kernel.join(', ')})`, `stride=(${this.strides.join(', ')})`];
    if (this.padding.some((v) => v)) parts.push(`padding=(${this.padding.join(', ')})`);
    if (this.dilation.some((v) => v !== 1)) parts.push(`dilation=(${this.dilation.join(', ')})`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=False');
    if (this.act) parts.push(`Activation(${this.act})`);
    return `${this.constructor.name}(${parts.join(', ')})`;
  }

  override toString(): string {
    return this.describe();
  }
}

/**
 * 2-D convolution over NCHW input: weight `[channels, inChannels/groups, kh, kw]`.
 *
 * ```ts
 * const conv = new nn.Conv2D(16, 3, { padding: 1, activation: 'relu' });
 * new nn.Conv2D({ channels: 16, kernelSize: 3, padding: 1 }); // Gluon's Conv2D(channels=16, kernel_size=3, padding=1)
 * conv.initialize();
 * conv.call(nd.ones([2, 3, 28, 28])).shape; // [2, 16, 28, 28]
 * ```
 */
export class Conv2D extends ConvBase {
  constructor(...args: ConvArgs<ConvOptions>) {
    super(2, false, args);
  }
}

/**
 * 1-D convolution over NCW input: weight `[channels, inChannels/groups, k]`.
 *
 * ```ts
 * const conv = new nn.Conv1D(8, 3, { strides: 2 });
 * conv.initialize();
 * conv.call(nd.ones([2, 4, 17])).shape; // [2, 8, 8]
 * ```
 */
export class Conv1D extends ConvBase {
  constructor(...args: ConvArgs<ConvOptions>) {
    super(1, false, args);
  }
}

/**
 * 3-D convolution over NCDHW input: weight `[channels, inChannels/groups, kd, kh, kw]`.
 *
 * ```ts
 * const conv = new nn.Conv3D(8, 3, { padding: 1 });
 * conv.initialize();
 * conv.call(nd.ones([1, 2, 4, 6, 6])).shape; // [1, 8, 4, 6, 6]
 * ```
 */
export class Conv3D extends ConvBase {
  constructor(...args: ConvArgs<ConvOptions>) {
    super(3, false, args);
  }
}

/** The shared implementation of the transposed convolutions (MXNet's Deconvolution). */
abstract class ConvTransposeBase extends ConvBase {
  constructor(nd: number, args: readonly unknown[]) {
    super(nd, true, args);
  }

  protected override extraOpts(): Record<string, unknown> {
    return { adj: this.outputPadding };
  }
}

/**
 * 2-D transposed convolution (MXNet's Deconvolution) over NCHW input: weight
 * `[inChannels, channels/groups, kh, kw]`; output size per axis
 * `(in - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1`.
 *
 * ```ts
 * const up = new nn.Conv2DTranspose(8, 4, { strides: 2, padding: 1 });
 * up.initialize();
 * up.call(nd.ones([1, 16, 7, 7])).shape; // [1, 8, 14, 14]
 * ```
 */
export class Conv2DTranspose extends ConvTransposeBase {
  constructor(...args: ConvTransposeArgs<ConvTransposeOptions>) {
    super(2, args);
  }
}

/**
 * 1-D transposed convolution over NCW input: weight `[inChannels, channels/groups, k]`.
 *
 * ```ts
 * const up = new nn.Conv1DTranspose(4, 4, { strides: 2, padding: 1 });
 * up.initialize();
 * up.call(nd.ones([1, 8, 10])).shape; // [1, 4, 20]
 * ```
 */
export class Conv1DTranspose extends ConvTransposeBase {
  constructor(...args: ConvTransposeArgs<ConvTransposeOptions>) {
    super(1, args);
  }
}

/**
 * 3-D transposed convolution over NCDHW input: weight `[inChannels, channels/groups, kd, kh, kw]`.
 *
 * ```ts
 * const up = new nn.Conv3DTranspose(4, 2, { strides: 2 });
 * up.initialize();
 * up.call(nd.ones([1, 8, 2, 3, 3])).shape; // [1, 4, 4, 6, 6]
 * ```
 */
export class Conv3DTranspose extends ConvTransposeBase {
  constructor(...args: ConvTransposeArgs<ConvTransposeOptions>) {
    super(3, args);
  }
}
