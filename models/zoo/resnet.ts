/**
 * ResNet V1 and V2, ported line by line from MXNet 1.x's
 * python/mxnet/gluon/model_zoo/vision/resnet.py: the same blocks, the same
 * attribute names (`features`, `output`, `body`, `downsample`, `bn1`,
 * `conv1`, ...) and child order, so the structural parameter names are the
 * ones MXNet's `save_parameters` writes (`features.0.weight`,
 * `features.1.gamma`, `features.4.0.body.0.weight`, `output.weight`) and a
 * zoo `.params` file loads with `loadParameters`. NCHW input; 224×224 for
 * ImageNet, or `thumbnail: true` (a 3×3 stem, no pooling) for 32×32.
 */
import { checkZooOptions } from './options.js';
import { gluon } from 'gluonc';

const { nn } = gluon;
type HybridSequential = InstanceType<typeof nn.HybridSequential>;
type Conv2D = InstanceType<typeof nn.Conv2D>;
type BatchNorm = InstanceType<typeof nn.BatchNorm>;

/** `_conv3x3`: a 3×3 convolution, padding 1, no bias. */
function conv3x3(channels: number, stride: number, inChannels: number): Conv2D {
  return new nn.Conv2D(channels, 3, { strides: stride, padding: 1, useBias: false, inChannels });
}

/** A residual block's constructor: (channels, stride, downsample, inChannels). */
export type ResNetBlockClass = new (channels: number, stride: number, downsample?: boolean, inChannels?: number) => gluon.HybridBlock;

/** BasicBlock V1 (ResNet-18/34 V1): two 3×3 convolutions with BatchNorm, added to the input, then relu. */
export class BasicBlockV1 extends gluon.HybridBlock {
  readonly body: HybridSequential;
  readonly downsample: HybridSequential | null;

  constructor(channels: number, stride: number, downsample = false, inChannels = 0) {
    super();
    this.body = new nn.HybridSequential();
    this.body.add(conv3x3(channels, stride, inChannels));
    this.body.add(new nn.BatchNorm());
    this.body.add(new nn.Activation('relu'));
    this.body.add(conv3x3(channels, 1, channels));
    this.body.add(new nn.BatchNorm());
    if (downsample) {
      this.downsample = new nn.HybridSequential();
      this.downsample.add(new nn.Conv2D(channels, 1, { strides: stride, useBias: false, inChannels }));
      this.downsample.add(new nn.BatchNorm());
    } else this.downsample = null;
  }

  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    let residual = x;
    x = this.body.call(x) as gluon.Tensor;
    if (this.downsample) residual = this.downsample.call(residual) as gluon.Tensor;
    return F.Activation(F.add(residual, x), { actType: 'relu' });
  }
}

/** Bottleneck V1 (ResNet-50/101/152 V1): 1×1 (with bias, as MXNet's), strided 3×3, 1×1 (with bias). */
export class BottleneckV1 extends gluon.HybridBlock {
  readonly body: HybridSequential;
  readonly downsample: HybridSequential | null;

  constructor(channels: number, stride: number, downsample = false, inChannels = 0) {
    super();
    this.body = new nn.HybridSequential();
    this.body.add(new nn.Conv2D(Math.floor(channels / 4), 1, { strides: stride }));
    this.body.add(new nn.BatchNorm());
    this.body.add(new nn.Activation('relu'));
    this.body.add(conv3x3(Math.floor(channels / 4), 1, Math.floor(channels / 4)));
    this.body.add(new nn.BatchNorm());
    this.body.add(new nn.Activation('relu'));
    this.body.add(new nn.Conv2D(channels, 1, { strides: 1 }));
    this.body.add(new nn.BatchNorm());
    if (downsample) {
      this.downsample = new nn.HybridSequential();
      this.downsample.add(new nn.Conv2D(channels, 1, { strides: stride, useBias: false, inChannels }));
      this.downsample.add(new nn.BatchNorm());
    } else this.downsample = null;
  }

  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    let residual = x;
    x = this.body.call(x) as gluon.Tensor;
    if (this.downsample) residual = this.downsample.call(residual) as gluon.Tensor;
    return F.Activation(F.add(x, residual), { actType: 'relu' });
  }
}

/** BasicBlock V2 (pre-activation): bn-relu-conv twice; the shortcut convolution reads the activated input. */
export class BasicBlockV2 extends gluon.HybridBlock {
  readonly bn1: BatchNorm;
  readonly conv1: Conv2D;
  readonly bn2: BatchNorm;
  readonly conv2: Conv2D;
  readonly downsample: Conv2D | null;

  constructor(channels: number, stride: number, downsample = false, inChannels = 0) {
    super();
    this.bn1 = new nn.BatchNorm();
    this.conv1 = conv3x3(channels, stride, inChannels);
    this.bn2 = new nn.BatchNorm();
    this.conv2 = conv3x3(channels, 1, channels);
    this.downsample = downsample ? new nn.Conv2D(channels, 1, stride, { useBias: false, inChannels }) : null;
  }

  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    let residual = x;
    x = this.bn1.call(x) as gluon.Tensor;
    x = F.Activation(x, { actType: 'relu' });
    if (this.downsample) residual = this.downsample.call(x) as gluon.Tensor;
    x = this.conv1.call(x) as gluon.Tensor;
    x = this.bn2.call(x) as gluon.Tensor;
    x = F.Activation(x, { actType: 'relu' });
    x = this.conv2.call(x) as gluon.Tensor;
    return F.add(x, residual);
  }
}

/** Bottleneck V2 (pre-activation): bn-relu-1×1, bn-relu-strided 3×3, bn-relu-1×1, no biases. */
export class BottleneckV2 extends gluon.HybridBlock {
  readonly bn1: BatchNorm;
  readonly conv1: Conv2D;
  readonly bn2: BatchNorm;
  readonly conv2: Conv2D;
  readonly bn3: BatchNorm;
  readonly conv3: Conv2D;
  readonly downsample: Conv2D | null;

  constructor(channels: number, stride: number, downsample = false, inChannels = 0) {
    super();
    this.bn1 = new nn.BatchNorm();
    this.conv1 = new nn.Conv2D(Math.floor(channels / 4), 1, { strides: 1, useBias: false });
    this.bn2 = new nn.BatchNorm();
    this.conv2 = conv3x3(Math.floor(channels / 4), stride, Math.floor(channels / 4));
    this.bn3 = new nn.BatchNorm();
    this.conv3 = new nn.Conv2D(channels, 1, { strides: 1, useBias: false });
    this.downsample = downsample ? new nn.Conv2D(channels, 1, stride, { useBias: false, inChannels }) : null;
  }

  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    let residual = x;
    x = this.bn1.call(x) as gluon.Tensor;
    x = F.Activation(x, { actType: 'relu' });
    if (this.downsample) residual = this.downsample.call(x) as gluon.Tensor;
    x = this.conv1.call(x) as gluon.Tensor;
    x = this.bn2.call(x) as gluon.Tensor;
    x = F.Activation(x, { actType: 'relu' });
    x = this.conv2.call(x) as gluon.Tensor;
    x = this.bn3.call(x) as gluon.Tensor;
    x = F.Activation(x, { actType: 'relu' });
    x = this.conv3.call(x) as gluon.Tensor;
    return F.add(x, residual);
  }
}

/** Options of the ResNet classes and factories (MXNet's keyword arguments). */
export interface ResNetOptions {
  /** Number of classes (default 1000). */
  classes?: number;
  /** A 3×3 stride-1 stem without pooling, for 32×32 images (default false). */
  thumbnail?: boolean;
}

/** `_make_layer`: one stage, its first block strided and downsampling when the channels change. */
function makeLayer(block: ResNetBlockClass, layers: number, channels: number, stride: number, inChannels: number): HybridSequential {
  const layer = new nn.HybridSequential();
  layer.add(new block(channels, stride, channels !== inChannels, inChannels));
  for (let i = 0; i < layers - 1; i++) layer.add(new block(channels, 1, false, channels));
  return layer;
}

function checkSpec(cls: string, layers: number[], channels: number[]): void {
  if (layers.length !== channels.length - 1) {
    throw new Error(`${cls}: channels must have one more entry than layers, got ${layers.length} layers and ${channels.length} channels`);
  }
}

/** ResNet V1: stem, stages, global average pooling (`features`), then `output` (Dense). */
export class ResNetV1 extends gluon.HybridBlock {
  readonly features: HybridSequential;
  readonly output: InstanceType<typeof nn.Dense>;

  constructor(block: ResNetBlockClass, layers: number[], channels: number[], options: ResNetOptions = {}) {
    super();
    checkZooOptions('ResNetV1', options, ['classes', 'thumbnail']);
    const { classes = 1000, thumbnail = false } = options;
    checkSpec('ResNetV1', layers, channels);
    this.features = new nn.HybridSequential();
    if (thumbnail) this.features.add(conv3x3(channels[0]!, 1, 3));
    else {
      this.features.add(new nn.Conv2D(channels[0]!, 7, 2, 3, { useBias: false, inChannels: 3 }));
      this.features.add(new nn.BatchNorm());
      this.features.add(new nn.Activation('relu'));
      this.features.add(new nn.MaxPool2D(3, 2, 1));
    }
    layers.forEach((numLayer, i) => {
      const stride = i === 0 ? 1 : 2;
      this.features.add(makeLayer(block, numLayer, channels[i + 1]!, stride, channels[i]!));
    });
    this.features.add(new nn.GlobalAvgPool2D());
    this.output = new nn.Dense(classes, { inUnits: channels[channels.length - 1]! });
  }

  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.features.call(x) as gluon.Tensor;
    return this.output.call(x) as gluon.Tensor;
  }
}

/** ResNet V2: input BatchNorm (no scale, no shift), stem, pre-activation stages, bn-relu-pool-flatten, `output`. */
export class ResNetV2 extends gluon.HybridBlock {
  readonly features: HybridSequential;
  readonly output: InstanceType<typeof nn.Dense>;

  constructor(block: ResNetBlockClass, layers: number[], channels: number[], options: ResNetOptions = {}) {
    super();
    checkZooOptions('ResNetV2', options, ['classes', 'thumbnail']);
    const { classes = 1000, thumbnail = false } = options;
    checkSpec('ResNetV2', layers, channels);
    this.features = new nn.HybridSequential();
    this.features.add(new nn.BatchNorm({ scale: false, center: false }));
    if (thumbnail) this.features.add(conv3x3(channels[0]!, 1, 3));
    else {
      this.features.add(new nn.Conv2D(channels[0]!, 7, 2, 3, { useBias: false, inChannels: 3 }));
      this.features.add(new nn.BatchNorm());
      this.features.add(new nn.Activation('relu'));
      this.features.add(new nn.MaxPool2D(3, 2, 1));
    }
    let inChannels = channels[0]!;
    layers.forEach((numLayer, i) => {
      const stride = i === 0 ? 1 : 2;
      this.features.add(makeLayer(block, numLayer, channels[i + 1]!, stride, inChannels));
      inChannels = channels[i + 1]!;
    });
    this.features.add(new nn.BatchNorm());
    this.features.add(new nn.Activation('relu'));
    this.features.add(new nn.GlobalAvgPool2D());
    this.features.add(new nn.Flatten());
    this.output = new nn.Dense(classes, { inUnits: inChannels });
  }

  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.features.call(x) as gluon.Tensor;
    return this.output.call(x) as gluon.Tensor;
  }
}

/** `resnet_spec`: depth -> block kind, blocks per stage, channels. */
export const resnetSpec: Record<number, ['basic_block' | 'bottle_neck', number[], number[]]> = {
  18: ['basic_block', [2, 2, 2, 2], [64, 64, 128, 256, 512]],
  34: ['basic_block', [3, 4, 6, 3], [64, 64, 128, 256, 512]],
  50: ['bottle_neck', [3, 4, 6, 3], [64, 256, 512, 1024, 2048]],
  101: ['bottle_neck', [3, 4, 23, 3], [64, 256, 512, 1024, 2048]],
  152: ['bottle_neck', [3, 8, 36, 3], [64, 256, 512, 1024, 2048]],
};

const netVersions = [ResNetV1, ResNetV2];
const blockVersions: Record<'basic_block' | 'bottle_neck', ResNetBlockClass>[] = [
  { basic_block: BasicBlockV1, bottle_neck: BottleneckV1 },
  { basic_block: BasicBlockV2, bottle_neck: BottleneckV2 },
];

/**
 * `get_resnet(version, num_layers)`: a fresh, uninitialized ResNet (no
 * pretrained download: load a zoo file with `net.loadParameters(path)`).
 *
 * ```ts
 * const net = getResnet(1, 18, { classes: 10, thumbnail: true });
 * net.initialize(); net.call(nd.ones([2, 3, 32, 32])).shape;   // [2, 10]
 * ```
 */
export function getResnet(version: 1 | 2, numLayers: number, options: ResNetOptions = {}): ResNetV1 | ResNetV2 {
  const spec = resnetSpec[numLayers];
  if (!spec) throw new Error(`getResnet: num_layers ${numLayers} is not one of ${Object.keys(resnetSpec).join(', ')}`);
  if (version !== 1 && version !== 2) throw new Error(`getResnet: version must be 1 or 2, got ${JSON.stringify(version)}`);
  const [blockType, layers, channels] = spec;
  return new netVersions[version - 1]!(blockVersions[version - 1]![blockType], layers, channels, options);
}

/** ResNet-18 V1 (MXNet's `resnet18_v1`). */
export const resnet18V1 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(1, 18, options);
/** ResNet-34 V1 (MXNet's `resnet34_v1`). */
export const resnet34V1 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(1, 34, options);
/** ResNet-50 V1 (MXNet's `resnet50_v1`). */
export const resnet50V1 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(1, 50, options);
/** ResNet-101 V1 (MXNet's `resnet101_v1`). */
export const resnet101V1 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(1, 101, options);
/** ResNet-152 V1 (MXNet's `resnet152_v1`). */
export const resnet152V1 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(1, 152, options);
/** ResNet-18 V2 (MXNet's `resnet18_v2`). */
export const resnet18V2 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(2, 18, options);
/** ResNet-34 V2 (MXNet's `resnet34_v2`). */
export const resnet34V2 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(2, 34, options);
/** ResNet-50 V2 (MXNet's `resnet50_v2`). */
export const resnet50V2 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(2, 50, options);
/** ResNet-101 V2 (MXNet's `resnet101_v2`). */
export const resnet101V2 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(2, 101, options);
/** ResNet-152 V2 (MXNet's `resnet152_v2`). */
export const resnet152V2 = (options?: ResNetOptions): ResNetV1 | ResNetV2 => getResnet(2, 152, options);
/** MXNet's spellings of the factories. */
export { resnet18V1 as resnet18_v1, resnet34V1 as resnet34_v1, resnet50V1 as resnet50_v1, resnet101V1 as resnet101_v1, resnet152V1 as resnet152_v1, resnet18V2 as resnet18_v2, resnet34V2 as resnet34_v2, resnet50V2 as resnet50_v2, resnet101V2 as resnet101_v2, resnet152V2 as resnet152_v2 };

/** For `gluonc compile models/zoo/resnet.ts`: ResNet-18 V1, 1000 classes. */
export default function build(): ResNetV1 | ResNetV2 {
  return resnet18V1();
}

/** ImageNet-sized NCHW images, any batch. */
export const inputs = { x: { shape: ['N', 3, 224, 224], dtype: 'float32' } };
