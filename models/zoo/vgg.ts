/**
 * VGG (optionally with BatchNorm), ported line by line from MXNet 1.x's
 * python/mxnet/gluon/model_zoo/vision/vgg.py: 3×3 convolutions (Xavier
 * gaussian 'out' magnitude 2, zero biases) [+ BatchNorm] + relu per layer,
 * 2×2 max pooling per stage, two Dense(4096, relu) with dropout in
 * `features`, then `output`. Parameter names are MXNet's
 * (`features.0.weight`, `features.1.gamma` with batch norm, `output.weight`).
 */
import { gluon, init } from 'gluonc';
import { checkZooOptions } from './options.js';

const { nn } = gluon;
type HybridSequential = InstanceType<typeof nn.HybridSequential>;

/** Options of VGG (MXNet's keyword arguments). */
export interface VGGOptions {
  /** Number of classes (default 1000). */
  classes?: number;
  /** BatchNorm after each convolution (default false). */
  batchNorm?: boolean;
}

/** VGG: `layers[i]` convolutions of `filters[i]` channels per stage. */
export class VGG extends gluon.HybridBlock {
  readonly features: HybridSequential;
  readonly output: InstanceType<typeof nn.Dense>;

  constructor(layers: number[], filters: number[], options: VGGOptions = {}) {
    super();
    checkZooOptions('VGG', options, ['classes', 'batchNorm']);
    const { classes = 1000, batchNorm = false } = options;
    if (layers.length !== filters.length) throw new Error(`VGG: layers and filters must have the same length, got ${layers.length} and ${filters.length}`);
    this.features = this.makeFeatures(layers, filters, batchNorm);
    this.features.add(new nn.Dense(4096, { activation: 'relu', weightInitializer: new init.Normal(), biasInitializer: new init.Zero() }));
    this.features.add(new nn.Dropout({ rate: 0.5 }));
    this.features.add(new nn.Dense(4096, { activation: 'relu', weightInitializer: new init.Normal(), biasInitializer: new init.Zero() }));
    this.features.add(new nn.Dropout({ rate: 0.5 }));
    this.output = new nn.Dense(classes, { weightInitializer: new init.Normal(), biasInitializer: new init.Zero() });
  }

  /** `_make_features`. */
  private makeFeatures(layers: number[], filters: number[], batchNorm: boolean): HybridSequential {
    const featurizer = new nn.HybridSequential();
    layers.forEach((num, i) => {
      for (let k = 0; k < num; k++) {
        featurizer.add(new nn.Conv2D(filters[i]!, 3, {
          padding: 1, weightInitializer: new init.Xavier({ rndType: 'gaussian', factorType: 'out', magnitude: 2 }), biasInitializer: new init.Zero(),
        }));
        if (batchNorm) featurizer.add(new nn.BatchNorm());
        featurizer.add(new nn.Activation('relu'));
      }
      featurizer.add(new nn.MaxPool2D({ strides: 2 }));
    });
    return featurizer;
  }

  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.features.call(x) as gluon.Tensor;
    return this.output.call(x) as gluon.Tensor;
  }
}

/** `vgg_spec`: depth -> convolutions per stage, channels per stage. */
export const vggSpec: Record<number, [number[], number[]]> = {
  11: [[1, 1, 2, 2, 2], [64, 128, 256, 512, 512]],
  13: [[2, 2, 2, 2, 2], [64, 128, 256, 512, 512]],
  16: [[2, 2, 3, 3, 3], [64, 128, 256, 512, 512]],
  19: [[2, 2, 4, 4, 4], [64, 128, 256, 512, 512]],
};

/** `get_vgg(num_layers)`: a fresh, uninitialized VGG. */
export function getVgg(numLayers: number, options: VGGOptions = {}): VGG {
  const spec = vggSpec[numLayers];
  if (!spec) throw new Error(`getVgg: num_layers ${numLayers} is not one of ${Object.keys(vggSpec).join(', ')}`);
  return new VGG(spec[0], spec[1], options);
}

/** VGG-11 (MXNet's `vgg11`); `vgg11Bn` etc. add BatchNorm. */
export const vgg11 = (o?: VGGOptions): VGG => getVgg(11, o);
/** VGG-13. */
export const vgg13 = (o?: VGGOptions): VGG => getVgg(13, o);
/** VGG-16. */
export const vgg16 = (o?: VGGOptions): VGG => getVgg(16, o);
/** VGG-19. */
export const vgg19 = (o?: VGGOptions): VGG => getVgg(19, o);
/** VGG-11 with BatchNorm (MXNet's `vgg11_bn`). */
export const vgg11Bn = (o?: VGGOptions): VGG => getVgg(11, { ...o, batchNorm: true });
/** VGG-13 with BatchNorm. */
export const vgg13Bn = (o?: VGGOptions): VGG => getVgg(13, { ...o, batchNorm: true });
/** VGG-16 with BatchNorm. */
export const vgg16Bn = (o?: VGGOptions): VGG => getVgg(16, { ...o, batchNorm: true });
/** VGG-19 with BatchNorm. */
export const vgg19Bn = (o?: VGGOptions): VGG => getVgg(19, { ...o, batchNorm: true });
/** MXNet's spellings. */
export { vgg11Bn as vgg11_bn, vgg13Bn as vgg13_bn, vgg16Bn as vgg16_bn, vgg19Bn as vgg19_bn };

/** For `gluonc compile models/zoo/vgg.ts`: VGG-11 with BatchNorm, 1000 classes. */
export default function build(): VGG {
  return vgg11Bn();
}

/** ImageNet-sized NCHW images, any batch. */
export const inputs = { x: { shape: ['N', 3, 224, 224], dtype: 'float32' } };
