/**
 * Inception V3, ported line by line from MXNet 1.x's
 * python/mxnet/gluon/model_zoo/vision/inception.py: basic convolutions
 * (no bias, BatchNorm with epsilon 0.001, relu), branches joined by
 * `HybridConcurrent` on the channel axis (blocks A to E), an 8×8 average
 * pooling and dropout in `features`, then `output` (Dense). The input is
 * 299×299 (NCHW). Parameter names are MXNet's (`features.0.0.weight`,
 * `features.7.0.0.0.weight`, `output.weight`).
 */
import { gluon } from 'gluonc';
import { checkZooOptions } from './options.js';

const { nn } = gluon;
type HybridSequential = InstanceType<typeof nn.HybridSequential>;
type HybridConcurrent = InstanceType<typeof gluon.contrib.nn.HybridConcurrent>;
type Size = number | [number, number];

/** `_make_basic_conv`: a convolution without bias, BatchNorm (epsilon 0.001), relu. */
function makeBasicConv(o: { channels: number; kernelSize: Size; strides?: Size; padding?: Size }): HybridSequential {
  const out = new nn.HybridSequential();
  out.add(new nn.Conv2D(o.channels, o.kernelSize, { useBias: false, ...(o.strides !== undefined && { strides: o.strides }), ...(o.padding !== undefined && { padding: o.padding }) }));
  out.add(new nn.BatchNorm({ epsilon: 0.001 }));
  out.add(new nn.Activation('relu'));
  return out;
}

/** One branch setting: [channels, kernelSize, strides, padding] (null: the default). */
type Setting = [number, Size, number | null, Size | null];

/** `_make_branch`: an optional pooling, then basic convolutions. */
function makeBranch(usePool: 'avg' | 'max' | null, ...settings: Setting[]): HybridSequential {
  const out = new nn.HybridSequential();
  if (usePool === 'avg') out.add(new nn.AvgPool2D({ poolSize: 3, strides: 1, padding: 1 }));
  else if (usePool === 'max') out.add(new nn.MaxPool2D({ poolSize: 3, strides: 2 }));
  for (const [channels, kernelSize, strides, padding] of settings) {
    out.add(makeBasicConv({ channels, kernelSize, ...(strides !== null && { strides }), ...(padding !== null && { padding }) }));
  }
  return out;
}

const concurrent = (): HybridConcurrent => new gluon.contrib.nn.HybridConcurrent({ axis: 1 });

function makeA(poolFeatures: number): HybridConcurrent {
  const out = concurrent();
  out.add(makeBranch(null, [64, 1, null, null]));
  out.add(makeBranch(null, [48, 1, null, null], [64, 5, null, 2]));
  out.add(makeBranch(null, [64, 1, null, null], [96, 3, null, 1], [96, 3, null, 1]));
  out.add(makeBranch('avg', [poolFeatures, 1, null, null]));
  return out;
}

function makeB(): HybridConcurrent {
  const out = concurrent();
  out.add(makeBranch(null, [384, 3, 2, null]));
  out.add(makeBranch(null, [64, 1, null, null], [96, 3, null, 1], [96, 3, 2, null]));
  out.add(makeBranch('max'));
  return out;
}

function makeC(c7: number): HybridConcurrent {
  const out = concurrent();
  out.add(makeBranch(null, [192, 1, null, null]));
  out.add(makeBranch(null, [c7, 1, null, null], [c7, [1, 7], null, [0, 3]], [192, [7, 1], null, [3, 0]]));
  out.add(makeBranch(null, [c7, 1, null, null], [c7, [7, 1], null, [3, 0]], [c7, [1, 7], null, [0, 3]], [c7, [7, 1], null, [3, 0]], [192, [1, 7], null, [0, 3]]));
  out.add(makeBranch('avg', [192, 1, null, null]));
  return out;
}

function makeD(): HybridConcurrent {
  const out = concurrent();
  out.add(makeBranch(null, [192, 1, null, null], [320, 3, 2, null]));
  out.add(makeBranch(null, [192, 1, null, null], [192, [1, 7], null, [0, 3]], [192, [7, 1], null, [3, 0]], [192, 3, 2, null]));
  out.add(makeBranch('max'));
  return out;
}

function makeE(): HybridConcurrent {
  const out = concurrent();
  out.add(makeBranch(null, [320, 1, null, null]));
  const branch3x3 = new nn.HybridSequential();
  out.add(branch3x3);
  branch3x3.add(makeBranch(null, [384, 1, null, null]));
  const branch3x3Split = concurrent();
  branch3x3Split.add(makeBranch(null, [384, [1, 3], null, [0, 1]]));
  branch3x3Split.add(makeBranch(null, [384, [3, 1], null, [1, 0]]));
  branch3x3.add(branch3x3Split);
  const branch3x3dbl = new nn.HybridSequential();
  out.add(branch3x3dbl);
  branch3x3dbl.add(makeBranch(null, [448, 1, null, null], [384, 3, null, 1]));
  const branch3x3dblSplit = concurrent();
  branch3x3dbl.add(branch3x3dblSplit);
  branch3x3dblSplit.add(makeBranch(null, [384, [1, 3], null, [0, 1]]));
  branch3x3dblSplit.add(makeBranch(null, [384, [3, 1], null, [1, 0]]));
  out.add(makeBranch('avg', [192, 1, null, null]));
  return out;
}

/** Options of Inception3. */
export interface Inception3Options {
  /** Number of classes (default 1000). */
  classes?: number;
}

/** Inception V3: `features` (stem, blocks A×3, B, C×4, D, E×2, 8×8 pooling, dropout), then `output`. */
export class Inception3 extends gluon.HybridBlock {
  readonly features: HybridSequential;
  readonly output: InstanceType<typeof nn.Dense>;

  constructor(options: Inception3Options = {}) {
    super();
    checkZooOptions('Inception3', options, ['classes']);
    const { classes = 1000 } = options;
    this.features = new nn.HybridSequential();
    this.features.add(makeBasicConv({ channels: 32, kernelSize: 3, strides: 2 }));
    this.features.add(makeBasicConv({ channels: 32, kernelSize: 3 }));
    this.features.add(makeBasicConv({ channels: 64, kernelSize: 3, padding: 1 }));
    this.features.add(new nn.MaxPool2D({ poolSize: 3, strides: 2 }));
    this.features.add(makeBasicConv({ channels: 80, kernelSize: 1 }));
    this.features.add(makeBasicConv({ channels: 192, kernelSize: 3 }));
    this.features.add(new nn.MaxPool2D({ poolSize: 3, strides: 2 }));
    this.features.add(makeA(32), makeA(64), makeA(64), makeB(), makeC(128), makeC(160), makeC(160), makeC(192), makeD(), makeE(), makeE());
    this.features.add(new nn.AvgPool2D({ poolSize: 8 }));
    this.features.add(new nn.Dropout(0.5));
    this.output = new nn.Dense(classes);
  }

  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    x = this.features.call(x) as gluon.Tensor;
    return this.output.call(x) as gluon.Tensor;
  }
}

/** MXNet's `inception_v3()`: a fresh, uninitialized Inception V3. */
export function inceptionV3(options: Inception3Options = {}): Inception3 {
  return new Inception3(options);
}
export { inceptionV3 as inception_v3 };

/** For `gluonc compile models/zoo/inception.ts`: Inception V3, 1000 classes. */
export default function build(): Inception3 {
  return inceptionV3();
}

/** 299×299 NCHW images (the final 8×8 pooling needs them), any batch. */
export const inputs = { x: { shape: ['N', 3, 299, 299], dtype: 'float32' } };
