/**
 * DenseNet, ported line by line from MXNet 1.x's
 * python/mxnet/gluon/model_zoo/vision/densenet.py: each dense layer is a
 * `HybridConcurrent` of `Identity` and bn-relu-1×1-bn-relu-3×3 (so the
 * channels grow by `growthRate` per layer), transitions halve the channels
 * and the resolution, and the features end in a 7×7 average pooling (224×224
 * input for the 121/161/169/201 specs). Parameter names are MXNet's
 * (`features.0.weight`, `features.4.0.1.0.gamma`, `output.weight`).
 */
import { checkZooOptions } from './options.js';
import { gluon } from 'gluonc';

const { nn } = gluon;
type HybridSequential = InstanceType<typeof nn.HybridSequential>;

/** `_make_dense_layer`: the input and its new features, concatenated on channels. */
function makeDenseLayer(growthRate: number, bnSize: number, dropout: number): InstanceType<typeof gluon.contrib.nn.HybridConcurrent> {
  const newFeatures = new nn.HybridSequential();
  newFeatures.add(new nn.BatchNorm());
  newFeatures.add(new nn.Activation('relu'));
  newFeatures.add(new nn.Conv2D(bnSize * growthRate, 1, { useBias: false }));
  newFeatures.add(new nn.BatchNorm());
  newFeatures.add(new nn.Activation('relu'));
  newFeatures.add(new nn.Conv2D(growthRate, 3, { padding: 1, useBias: false }));
  if (dropout) newFeatures.add(new nn.Dropout(dropout));
  const out = new gluon.contrib.nn.HybridConcurrent({ axis: 1 });
  out.add(new gluon.contrib.nn.Identity());
  out.add(newFeatures);
  return out;
}

/** `_make_dense_block`: `numLayers` dense layers. */
function makeDenseBlock(numLayers: number, bnSize: number, growthRate: number, dropout: number): HybridSequential {
  const out = new nn.HybridSequential();
  for (let i = 0; i < numLayers; i++) out.add(makeDenseLayer(growthRate, bnSize, dropout));
  return out;
}

/** `_make_transition`: bn-relu-1×1 to `numOutputFeatures`, then 2×2 average pooling. */
function makeTransition(numOutputFeatures: number): HybridSequential {
  const out = new nn.HybridSequential();
  out.add(new nn.BatchNorm());
  out.add(new nn.Activation('relu'));
  out.add(new nn.Conv2D(numOutputFeatures, 1, { useBias: false }));
  out.add(new nn.AvgPool2D({ poolSize: 2, strides: 2 }));
  return out;
}

/** Options of DenseNet (MXNet's keyword arguments). */
export interface DenseNetOptions {
  /** Bottleneck width multiplier of the 1×1 convolutions (default 4). */
  bnSize?: number;
  /** Dropout after each dense layer (default 0: none). */
  dropout?: number;
  /** Number of classes (default 1000). */
  classes?: number;
}

/** DenseNet: stem, dense blocks with transitions, bn-relu-7×7 pooling-flatten (`features`), then `output` (Dense). */
export class DenseNet extends gluon.HybridBlock {
  readonly features: HybridSequential;
  readonly output: InstanceType<typeof nn.Dense>;

  constructor(numInitFeatures: number, growthRate: number, blockConfig: number[], options: DenseNetOptions = {}) {
    super();
    checkZooOptions('DenseNet', options, ['bnSize', 'dropout', 'classes']);
    const { bnSize = 4, dropout = 0, classes = 1000 } = options;
    this.features = new nn.HybridSequential();
    this.features.add(new nn.Conv2D(numInitFeatures, 7, { strides: 2, padding: 3, useBias: false }));
    this.features.add(new nn.BatchNorm());
    this.features.add(new nn.Activation('relu'));
    this.features.add(new nn.MaxPool2D({ poolSize: 3, strides: 2, padding: 1 }));
    let numFeatures = numInitFeatures;
    blockConfig.forEach((numLayers, i) => {
      this.features.add(makeDenseBlock(numLayers, bnSize, growthRate, dropout));
      numFeatures += numLayers * growthRate;
      if (i !== blockConfig.length - 1) {
        this.features.add(makeTransition(Math.floor(numFeatures / 2)));
        numFeatures = Math.floor(numFeatures / 2);
      }
    });
    this.features.add(new nn.BatchNorm());
    this.features.add(new nn.Activation('relu'));
    this.features.add(new nn.AvgPool2D({ poolSize: 7 }));
    this.features.add(new nn.Flatten());
    this.output = new nn.Dense(classes);
  }

  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.features.call(x) as gluon.Tensor;
    return this.output.call(x) as gluon.Tensor;
  }
}

/** `densenet_spec`: depth -> initial features, growth rate, layers per block. */
export const densenetSpec: Record<number, [number, number, number[]]> = {
  121: [64, 32, [6, 12, 24, 16]],
  161: [96, 48, [6, 12, 36, 24]],
  169: [64, 32, [6, 12, 32, 32]],
  201: [64, 32, [6, 12, 48, 32]],
};

/** `get_densenet(num_layers)`: a fresh, uninitialized DenseNet. */
export function getDensenet(numLayers: number, options: DenseNetOptions = {}): DenseNet {
  const spec = densenetSpec[numLayers];
  if (!spec) throw new Error(`getDensenet: num_layers ${numLayers} is not one of ${Object.keys(densenetSpec).join(', ')}`);
  return new DenseNet(spec[0], spec[1], spec[2], options);
}

/** DenseNet-121 (MXNet's `densenet121`). */
export const densenet121 = (o?: DenseNetOptions): DenseNet => getDensenet(121, o);
/** DenseNet-161. */
export const densenet161 = (o?: DenseNetOptions): DenseNet => getDensenet(161, o);
/** DenseNet-169. */
export const densenet169 = (o?: DenseNetOptions): DenseNet => getDensenet(169, o);
/** DenseNet-201. */
export const densenet201 = (o?: DenseNetOptions): DenseNet => getDensenet(201, o);

/** For `gluonc compile models/zoo/densenet.ts`: DenseNet-121, 1000 classes. */
export default function build(): DenseNet {
  return densenet121();
}

/** 224×224 NCHW images (the final 7×7 pooling needs them), any batch. */
export const inputs = { x: { shape: ['N', 3, 224, 224], dtype: 'float32' } };
