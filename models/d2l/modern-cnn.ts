/**
 * d2l's modern-CNN chapters (MXNet edition), ported literally: batch
 * normalization from scratch (`batchNorm` and the `BatchNorm` block keeping
 * its moving statistics as plain arrays), ResNet's `Residual` block (a Gluon
 * 2 style HybridBlock), DenseNet's `convBlock` and `DenseBlock` (a plain
 * Block iterating over its Sequential, `for blk in self.net`).
 */
import { autograd, gluon, init, np, npx, type nd } from 'gluonc';

const { nn } = gluon;

/**
 * d2l's `batch_norm`: normalizes by the batch statistics while training
 * (over axis 0 for [N, C], over axes 0, 2, 3 for [N, C, H, W]) and by the
 * moving ones when predicting; returns `[Y, movingMean, movingVar]`.
 *
 * ```ts
 * const [Y, mm, mv] = batchNorm(X, gamma, beta, mm0, mv0, 1e-5, 0.9);
 * ```
 */
export function batchNorm(X: nd.NDArray, gamma: nd.NDArray, beta: nd.NDArray, movingMean: nd.NDArray, movingVar: nd.NDArray, eps: number, momentum: number): [nd.NDArray, nd.NDArray, nd.NDArray] {
  let Xhat: nd.NDArray;
  if (!autograd.isTraining()) {
    Xhat = X.sub(movingMean).div(np.sqrt(movingVar.add(eps)));
  } else {
    if (X.ndim !== 2 && X.ndim !== 4) throw new Error(`batchNorm: X must have 2 or 4 dimensions, got [${X.shape.join(', ')}]`);
    const axis = X.ndim === 2 ? 0 : [0, 2, 3];
    const mean = X.mean({ axis, keepdims: X.ndim === 4 });
    const variance = X.sub(mean).square().mean({ axis, keepdims: X.ndim === 4 });
    Xhat = X.sub(mean).div(np.sqrt(variance.add(eps)));
    movingMean = movingMean.mul(momentum).add(mean.mul(1.0 - momentum));
    movingVar = movingVar.mul(momentum).add(variance.mul(1.0 - momentum));
  }
  return [gamma.mul(Xhat).add(beta), movingMean, movingVar];
}

/**
 * d2l's `BatchNorm` from scratch: `gamma` and `beta` parameters, moving
 * statistics as arrays it replaces on every training call.
 *
 * ```ts
 * const bn = new BatchNorm(6, 4); bn.initialize();
 * autograd.record(() => bn.call(np.random.uniform(0, 1, [2, 6, 3, 3])));
 * ```
 */
export class BatchNorm extends nn.Block {
  gamma: gluon.Parameter;
  beta: gluon.Parameter;
  movingMean: nd.NDArray;
  movingVar: nd.NDArray;
  constructor(numFeatures: number, numDims: number) {
    super();
    const shape = numDims === 2 ? [1, numFeatures] : [1, numFeatures, 1, 1];
    this.gamma = this.params.get('gamma', { shape, init: new init.One() });
    this.beta = this.params.get('beta', { shape, init: new init.Zero() });
    this.movingMean = np.zeros(shape);
    this.movingVar = np.ones(shape);
  }
  override forward(X: nd.NDArray): nd.NDArray {
    let Y: nd.NDArray;
    [Y, this.movingMean, this.movingVar] = batchNorm(X, this.gamma.data(), this.beta.data(), this.movingMean, this.movingVar, 1e-12, 0.9);
    return Y;
  }
}

/**
 * ResNet's residual block: two 3x3 convolutions with batch norm, and a 1x1
 * convolution on the shortcut when the channels or the stride change.
 *
 * ```ts
 * const blk = new Residual(6, true, 2); blk.initialize();
 * blk.call(np.random.uniform(0, 1, [4, 3, 6, 6])); // [4, 6, 3, 3]
 * ```
 */
export class Residual extends nn.HybridBlock {
  conv1: gluon.nn.Conv2D;
  conv2: gluon.nn.Conv2D;
  conv3: gluon.nn.Conv2D | null;
  bn1 = new nn.BatchNorm();
  bn2 = new nn.BatchNorm();
  constructor(numChannels: number, use1x1conv = false, strides = 1) {
    super();
    this.conv1 = new nn.Conv2D(numChannels, { kernelSize: 3, padding: 1, strides });
    this.conv2 = new nn.Conv2D(numChannels, { kernelSize: 3, padding: 1 });
    this.conv3 = use1x1conv ? new nn.Conv2D(numChannels, { kernelSize: 1, strides }) : null;
  }
  override forward(X: nd.NDArray): nd.NDArray {
    let Y = npx.relu(this.bn1.call(this.conv1.call(X)) as nd.NDArray);
    Y = this.bn2.call(this.conv2.call(Y)) as nd.NDArray;
    if (this.conv3) X = this.conv3.call(X) as nd.NDArray;
    return npx.relu(Y.add(X));
  }
}

/** DenseNet's `conv_block`: BatchNorm, ReLU, 3x3 convolution. Example: `convBlock(10)`. */
export function convBlock(numChannels: number): gluon.nn.Sequential {
  const blk = new nn.Sequential();
  blk.add(new nn.BatchNorm(), new nn.Activation('relu'), new nn.Conv2D(numChannels, { kernelSize: 3, padding: 1 }));
  return blk;
}

/**
 * DenseNet's dense block: each conv block's output is concatenated to its
 * input along the channels.
 *
 * ```ts
 * const blk = new DenseBlock(2, 10); blk.initialize();
 * blk.call(np.random.uniform(0, 1, [4, 3, 8, 8])); // [4, 23, 8, 8]
 * ```
 */
export class DenseBlock extends nn.Block {
  net = new nn.Sequential();
  constructor(numConvs: number, numChannels: number) {
    super();
    for (let i = 0; i < numConvs; i++) this.net.add(convBlock(numChannels));
  }
  override forward(X: nd.NDArray): nd.NDArray {
    for (const blk of this.net) {
      const Y = blk.call(X) as nd.NDArray;
      X = np.concatenate([X, Y], { axis: 1 });
    }
    return X;
  }
}

/** The model: a residual block halving the resolution, then a dense block. Example: `build().call(np.ones([1, 3, 8, 8]))` is [1, 26, 4, 4]. */
export default function build(): gluon.nn.Sequential {
  const net = new nn.Sequential();
  net.add(new Residual(6, true, 2), new DenseBlock(2, 10));
  net.initialize();
  return net;
}

/** Example input: a batch of 3-channel 8x8 images. */
export const inputs = { x: { shape: ['N', 3, 8, 8], dtype: 'float32' } };
