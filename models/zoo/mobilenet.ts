/**
 * MobileNet and MobileNetV2, ported line by line from MXNet 1.x's
 * python/mxnet/gluon/model_zoo/vision/mobilenet.py: `_add_conv` (conv, BatchNorm,
 * relu or RELU6), depthwise convolutions through `groups`, the inverted
 * residual `LinearBottleneck` (its sequence is `out`), and the same
 * attribute names and child order, so the structural parameter names are
 * MXNet's (`features.0.weight`, `features.1.gamma`,
 * `features.3.out.0.weight`, `output.0.weight`). NCHW input (224×224 for
 * ImageNet; any size that survives five stride-2 steps runs).
 */
import { checkZooOptions } from './options.js';
import { gluon } from 'gluonc';

const { nn } = gluon;
type HybridSequential = InstanceType<typeof nn.HybridSequential>;

/** `RELU6`: `clip(x, 0, 6)` (MXNet's mobilenet.py defines it the same way). */
export class RELU6 extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    return F.clip(x, 0, 6);
  }
}

/** `_add_conv`'s keyword arguments. */
interface AddConvOptions {
  channels?: number;
  kernel?: number;
  stride?: number;
  pad?: number;
  numGroup?: number;
  active?: boolean;
  relu6?: boolean;
}

/** `_add_conv`: a convolution without bias (grouped: `numGroup`), BatchNorm, then relu/RELU6 if `active`. */
function addConv(out: HybridSequential, { channels = 1, kernel = 1, stride = 1, pad = 0, numGroup = 1, active = true, relu6 = false }: AddConvOptions): void {
  out.add(new nn.Conv2D(channels, kernel, stride, pad, { groups: numGroup, useBias: false }));
  out.add(new nn.BatchNorm({ scale: true }));
  if (active) out.add(relu6 ? new RELU6() : new nn.Activation('relu'));
}

/** `_add_conv_dw`: a depthwise 3×3 (one group per channel), then a pointwise 1×1. */
function addConvDw(out: HybridSequential, dwChannels: number, channels: number, stride: number, relu6 = false): void {
  addConv(out, { channels: dwChannels, kernel: 3, stride, pad: 1, numGroup: dwChannels, relu6 });
  addConv(out, { channels, relu6 });
}

/** MobileNetV2's inverted residual: expand 1×1 (×t), depthwise 3×3, linear 1×1; added to the input when shapes match. */
export class LinearBottleneck extends gluon.HybridBlock {
  readonly useShortcut: boolean;
  readonly out: HybridSequential;

  constructor(inChannels: number, channels: number, t: number, stride: number) {
    super();
    this.useShortcut = stride === 1 && inChannels === channels;
    this.out = new nn.HybridSequential();
    addConv(this.out, { channels: inChannels * t, relu6: true });
    addConv(this.out, { channels: inChannels * t, kernel: 3, stride, pad: 1, numGroup: inChannels * t, relu6: true });
    addConv(this.out, { channels, active: false, relu6: true });
  }

  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    let out = this.out.call(x) as gluon.Tensor;
    if (this.useShortcut) out = F.elemwiseAdd(out, x);
    return out;
  }
}

/** Options of the MobileNet classes and factories. */
export interface MobileNetOptions {
  /** Number of classes (default 1000). */
  classes?: number;
}

function checkMultiplier(cls: string, multiplier: number): void {
  if (typeof multiplier !== 'number' || !(multiplier > 0)) throw new Error(`${cls}: multiplier must be a positive number, got ${JSON.stringify(multiplier)}`);
}

/** MobileNet (v1): a strided stem and 13 depthwise-separable blocks (`features`), then `output` (Dense). */
export class MobileNet extends gluon.HybridBlock {
  readonly features: HybridSequential;
  readonly output: InstanceType<typeof nn.Dense>;

  constructor(multiplier = 1.0, options: MobileNetOptions = {}) {
    super();
    checkZooOptions('MobileNet', options, ['classes']);
    const { classes = 1000 } = options;
    checkMultiplier('MobileNet', multiplier);
    const m = (xs: number[]) => xs.map((x) => Math.trunc(x * multiplier));
    this.features = new nn.HybridSequential();
    addConv(this.features, { channels: Math.trunc(32 * multiplier), kernel: 3, pad: 1, stride: 2 });
    const dwChannels = m([32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024]);
    const channels = m([64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]);
    const strides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1];
    dwChannels.forEach((dwc, i) => addConvDw(this.features, dwc, channels[i]!, strides[i]!));
    this.features.add(new nn.GlobalAvgPool2D());
    this.features.add(new nn.Flatten());
    this.output = new nn.Dense(classes);
  }

  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.features.call(x) as gluon.Tensor;
    return this.output.call(x) as gluon.Tensor;
  }
}

/** MobileNetV2: a strided stem, 17 linear bottlenecks, a 1×1 to 1280 and pooling (`features`), then a 1×1 classifier (`output`). */
export class MobileNetV2 extends gluon.HybridBlock {
  readonly features: HybridSequential;
  readonly output: HybridSequential;

  constructor(multiplier = 1.0, options: MobileNetOptions = {}) {
    super();
    checkZooOptions('MobileNetV2', options, ['classes']);
    const { classes = 1000 } = options;
    checkMultiplier('MobileNetV2', multiplier);
    const m = (xs: number[]) => xs.map((x) => Math.trunc(x * multiplier));
    this.features = new nn.HybridSequential();
    addConv(this.features, { channels: Math.trunc(32 * multiplier), kernel: 3, stride: 2, pad: 1, relu6: true });
    const inChannelsGroup = m([32, 16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160]);
    const channelsGroup = m([16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320]);
    const ts = [1, ...Array<number>(16).fill(6)];
    const strides = [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1];
    inChannelsGroup.forEach((inC, i) => this.features.add(new LinearBottleneck(inC, channelsGroup[i]!, ts[i]!, strides[i]!)));
    const lastChannels = multiplier > 1.0 ? Math.trunc(1280 * multiplier) : 1280;
    addConv(this.features, { channels: lastChannels, relu6: true });
    this.features.add(new nn.GlobalAvgPool2D());
    this.output = new nn.HybridSequential();
    this.output.add(new nn.Conv2D(classes, 1, { useBias: false }), new nn.Flatten());
  }

  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.features.call(x) as gluon.Tensor;
    return this.output.call(x) as gluon.Tensor;
  }
}

/**
 * `get_mobilenet(multiplier)` / `get_mobilenet_v2(multiplier)`: a fresh,
 * uninitialized net (load a zoo file with `net.loadParameters(path)`).
 *
 * ```ts
 * const net = getMobilenetV2(0.25, { classes: 10 });
 * net.initialize(); net.call(nd.ones([2, 3, 64, 64])).shape;   // [2, 10]
 * ```
 */
export function getMobilenet(multiplier: number, options: MobileNetOptions = {}): MobileNet {
  return new MobileNet(multiplier, options);
}

/** MobileNetV2 of a width multiplier. */
export function getMobilenetV2(multiplier: number, options: MobileNetOptions = {}): MobileNetV2 {
  return new MobileNetV2(multiplier, options);
}

/** MobileNet 1.0 (MXNet's `mobilenet1_0`). */
export const mobilenet1_0 = (o?: MobileNetOptions): MobileNet => getMobilenet(1.0, o);
/** MobileNet 0.75. */
export const mobilenet0_75 = (o?: MobileNetOptions): MobileNet => getMobilenet(0.75, o);
/** MobileNet 0.5. */
export const mobilenet0_5 = (o?: MobileNetOptions): MobileNet => getMobilenet(0.5, o);
/** MobileNet 0.25. */
export const mobilenet0_25 = (o?: MobileNetOptions): MobileNet => getMobilenet(0.25, o);
/** MobileNetV2 1.0 (MXNet's `mobilenet_v2_1_0`). */
export const mobilenetV2_1_0 = (o?: MobileNetOptions): MobileNetV2 => getMobilenetV2(1.0, o);
/** MobileNetV2 0.75. */
export const mobilenetV2_0_75 = (o?: MobileNetOptions): MobileNetV2 => getMobilenetV2(0.75, o);
/** MobileNetV2 0.5. */
export const mobilenetV2_0_5 = (o?: MobileNetOptions): MobileNetV2 => getMobilenetV2(0.5, o);
/** MobileNetV2 0.25. */
export const mobilenetV2_0_25 = (o?: MobileNetOptions): MobileNetV2 => getMobilenetV2(0.25, o);

/** For `gluonc compile models/zoo/mobilenet.ts`: MobileNetV2 1.0, 1000 classes. */
export default function build(): MobileNetV2 {
  return mobilenetV2_1_0();
}

/** ImageNet-sized NCHW images, any batch. */
export const inputs = { x: { shape: ['N', 3, 224, 224], dtype: 'float32' } };
