/**
 * SqueezeNet 1.0 and 1.1, ported line by line from MXNet 1.x's
 * python/mxnet/gluon/model_zoo/vision/squeezenet.py: fire modules (a 1×1
 * squeeze, then 1×1 and 3×3 expands side by side in a `HybridConcurrent`
 * joined on the channel axis), max pooling with `ceilMode` (MXNet's 'full'
 * convention), dropout, and a convolutional classifier ending in a 13×13
 * average pooling, so the input is 224×224 (NCHW). Parameter names are
 * MXNet's (`features.0.weight`, `features.3.0.0.weight`,
 * `features.3.1.1.0.weight`, `output.0.weight`).
 */
import { checkZooOptions } from './options.js';
import { gluon } from 'gluonc';

const { nn } = gluon;
type HybridSequential = InstanceType<typeof nn.HybridSequential>;

/** `_make_fire_conv`: a convolution (with bias) and relu. */
function makeFireConv(channels: number, kernelSize: number, padding = 0): HybridSequential {
  const out = new nn.HybridSequential();
  out.add(new nn.Conv2D(channels, kernelSize, { padding }));
  out.add(new nn.Activation('relu'));
  return out;
}

/** `_make_fire`: squeeze 1×1, then the 1×1 and 3×3 expands concatenated on channels. */
export function makeFire(squeezeChannels: number, expand1x1Channels: number, expand3x3Channels: number): HybridSequential {
  const out = new nn.HybridSequential();
  out.add(makeFireConv(squeezeChannels, 1));
  const paths = new gluon.contrib.nn.HybridConcurrent({ axis: 1 });
  paths.add(makeFireConv(expand1x1Channels, 1));
  paths.add(makeFireConv(expand3x3Channels, 3, 1));
  out.add(paths);
  return out;
}

/** Options of SqueezeNet. */
export interface SqueezeNetOptions {
  /** Number of classes (default 1000). */
  classes?: number;
}

/** SqueezeNet of version '1.0' or '1.1': `features` (convolutions, fire modules, pooling, dropout), then `output`. */
export class SqueezeNet extends gluon.HybridBlock {
  readonly features: HybridSequential;
  readonly output: HybridSequential;

  constructor(version: '1.0' | '1.1', options: SqueezeNetOptions = {}) {
    super();
    checkZooOptions('SqueezeNet', options, ['classes']);
    const { classes = 1000 } = options;
    if (version !== '1.0' && version !== '1.1') throw new Error(`SqueezeNet: unsupported SqueezeNet version ${JSON.stringify(version)}: 1.0 or 1.1 expected`);
    this.features = new nn.HybridSequential();
    const pool = () => new nn.MaxPool2D({ poolSize: 3, strides: 2, ceilMode: true });
    if (version === '1.0') {
      this.features.add(new nn.Conv2D(96, 7, { strides: 2 }));
      this.features.add(new nn.Activation('relu'));
      this.features.add(pool());
      this.features.add(makeFire(16, 64, 64));
      this.features.add(makeFire(16, 64, 64));
      this.features.add(makeFire(32, 128, 128));
      this.features.add(pool());
      this.features.add(makeFire(32, 128, 128));
      this.features.add(makeFire(48, 192, 192));
      this.features.add(makeFire(48, 192, 192));
      this.features.add(makeFire(64, 256, 256));
      this.features.add(pool());
      this.features.add(makeFire(64, 256, 256));
    } else {
      this.features.add(new nn.Conv2D(64, 3, { strides: 2 }));
      this.features.add(new nn.Activation('relu'));
      this.features.add(pool());
      this.features.add(makeFire(16, 64, 64));
      this.features.add(makeFire(16, 64, 64));
      this.features.add(pool());
      this.features.add(makeFire(32, 128, 128));
      this.features.add(makeFire(32, 128, 128));
      this.features.add(pool());
      this.features.add(makeFire(48, 192, 192));
      this.features.add(makeFire(48, 192, 192));
      this.features.add(makeFire(64, 256, 256));
      this.features.add(makeFire(64, 256, 256));
    }
    this.features.add(new nn.Dropout(0.5));
    this.output = new nn.HybridSequential();
    this.output.add(new nn.Conv2D(classes, 1));
    this.output.add(new nn.Activation('relu'));
    this.output.add(new nn.AvgPool2D(13));
    this.output.add(new nn.Flatten());
  }

  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.features.call(x) as gluon.Tensor;
    return this.output.call(x) as gluon.Tensor;
  }
}

/** `get_squeezenet(version)`: a fresh, uninitialized SqueezeNet. */
export function getSqueezenet(version: '1.0' | '1.1', options: SqueezeNetOptions = {}): SqueezeNet {
  return new SqueezeNet(version, options);
}

/** SqueezeNet 1.0 (MXNet's `squeezenet1_0`). */
export const squeezenet1_0 = (o?: SqueezeNetOptions): SqueezeNet => getSqueezenet('1.0', o);
/** SqueezeNet 1.1 (MXNet's `squeezenet1_1`). */
export const squeezenet1_1 = (o?: SqueezeNetOptions): SqueezeNet => getSqueezenet('1.1', o);

/** For `gluonc compile models/zoo/squeezenet.ts`: SqueezeNet 1.1, 1000 classes. */
export default function build(): SqueezeNet {
  return squeezenet1_1();
}

/** 224×224 NCHW images (the classifier's 13×13 pooling needs them), any batch. */
export const inputs = { x: { shape: ['N', 3, 224, 224], dtype: 'float32' } };
