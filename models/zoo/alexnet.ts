/**
 * AlexNet, ported line by line from MXNet 1.x's
 * python/mxnet/gluon/model_zoo/vision/alexnet.py (224×224 NCHW input).
 * Parameter names are MXNet's (`features.0.weight`, `features.9.weight`,
 * `output.weight`).
 */
import { checkZooOptions } from './options.js';
import { gluon } from 'gluonc';

const { nn } = gluon;

/** Options of AlexNet. */
export interface AlexNetOptions {
  /** Number of classes (default 1000). */
  classes?: number;
}

/** AlexNet: five convolutions, three poolings and two Dense(4096) with dropout (`features`), then `output`. */
export class AlexNet extends gluon.HybridBlock {
  readonly features: InstanceType<typeof nn.HybridSequential>;
  readonly output: InstanceType<typeof nn.Dense>;

  constructor(options: AlexNetOptions = {}) {
    super();
    checkZooOptions('AlexNet', options, ['classes']);
    const { classes = 1000 } = options;
    this.features = new nn.HybridSequential();
    this.features.add(new nn.Conv2D(64, 11, { strides: 4, padding: 2, activation: 'relu' }));
    this.features.add(new nn.MaxPool2D({ poolSize: 3, strides: 2 }));
    this.features.add(new nn.Conv2D(192, 5, { padding: 2, activation: 'relu' }));
    this.features.add(new nn.MaxPool2D({ poolSize: 3, strides: 2 }));
    this.features.add(new nn.Conv2D(384, 3, { padding: 1, activation: 'relu' }));
    this.features.add(new nn.Conv2D(256, 3, { padding: 1, activation: 'relu' }));
    this.features.add(new nn.Conv2D(256, 3, { padding: 1, activation: 'relu' }));
    this.features.add(new nn.MaxPool2D({ poolSize: 3, strides: 2 }));
    this.features.add(new nn.Flatten());
    this.features.add(new nn.Dense(4096, { activation: 'relu' }));
    this.features.add(new nn.Dropout(0.5));
    this.features.add(new nn.Dense(4096, { activation: 'relu' }));
    this.features.add(new nn.Dropout(0.5));
    this.output = new nn.Dense(classes);
  }

  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.features.call(x) as gluon.Tensor;
    return this.output.call(x) as gluon.Tensor;
  }
}

/** MXNet's `alexnet()`: a fresh, uninitialized AlexNet. */
export function alexnet(options: AlexNetOptions = {}): AlexNet {
  return new AlexNet(options);
}

/** For `gluonc compile models/zoo/alexnet.ts`: AlexNet, 1000 classes. */
export default function build(): AlexNet {
  return alexnet();
}

/** ImageNet-sized NCHW images, any batch. */
export const inputs = { x: { shape: ['N', 3, 224, 224], dtype: 'float32' } };
