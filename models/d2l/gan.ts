/**
 * d2l's GAN chapters (MXNet edition, 20.1–20.2), ported literally: the
 * `updateD`/`updateG` steps (both recorded under `autograd.record`, the
 * generator's output detached for the discriminator's step) and DCGAN's
 * `GBlock` (Conv2DTranspose, BatchNorm, relu) and `DBlock` (Conv2D,
 * BatchNorm, LeakyReLU) as plain Blocks with `forward`, and `dcgan` building
 * the two `nn.Sequential` nets at any width (`nG`, `nD`; the book's 64) and
 * depth (`blocks`; the book's 4 for 64×64 images).
 */
import { autograd, gluon, init, np, type nd } from 'gluonc';

const { nn } = gluon;
type Sequential = InstanceType<typeof nn.Sequential>;

/** d2l's `G_block`: a transposed convolution (no bias), BatchNorm and relu; doubles H and W by default. */
export class GBlock extends gluon.Block {
  readonly conv2dTrans: InstanceType<typeof nn.Conv2DTranspose>;
  readonly batchNorm: InstanceType<typeof nn.BatchNorm>;
  readonly activation: InstanceType<typeof nn.Activation>;
  constructor(channels: number, kernelSize = 4, strides = 2, padding = 1) {
    super();
    this.conv2dTrans = new nn.Conv2DTranspose(channels, kernelSize, strides, padding, { useBias: false });
    this.batchNorm = new nn.BatchNorm();
    this.activation = new nn.Activation('relu');
  }
  override forward(X: nd.NDArray): nd.NDArray {
    return this.activation.call(this.batchNorm.call(this.conv2dTrans.call(X))) as nd.NDArray;
  }
}

/** d2l's `D_block`: a convolution (no bias), BatchNorm and LeakyReLU(alpha); halves H and W by default. */
export class DBlock extends gluon.Block {
  readonly conv2d: InstanceType<typeof nn.Conv2D>;
  readonly batchNorm: InstanceType<typeof nn.BatchNorm>;
  readonly activation: InstanceType<typeof nn.LeakyReLU>;
  constructor(channels: number, kernelSize = 4, strides = 2, padding = 1, alpha = 0.2) {
    super();
    this.conv2d = new nn.Conv2D(channels, kernelSize, strides, padding, { useBias: false });
    this.batchNorm = new nn.BatchNorm();
    this.activation = new nn.LeakyReLU(alpha);
  }
  override forward(X: nd.NDArray): nd.NDArray {
    return this.activation.call(this.batchNorm.call(this.conv2d.call(X))) as nd.NDArray;
  }
}

/**
 * DCGAN's generator and discriminator: `net_G` maps `[N, latent, 1, 1]` to
 * `[N, 3, 2^(blocks+2), …]` (the book: blocks 4, `nG` 64, 64×64 images),
 * `net_D` maps such images to `[N, 1, 1, 1]`.
 */
export function dcgan(nG = 64, nD = 64, blocks = 4): { netG: Sequential; netD: Sequential } {
  const netG = new nn.Sequential();
  netG.add(new GBlock(nG * 2 ** (blocks - 1), 4, 1, 0));
  for (let k = blocks - 2; k >= 0; k--) netG.add(new GBlock(nG * 2 ** k));
  netG.add(new nn.Conv2DTranspose(3, 4, 2, 1, { useBias: false, activation: 'tanh' }));
  const netD = new nn.Sequential();
  for (let k = 0; k < blocks; k++) netD.add(new DBlock(nD * 2 ** k));
  netD.add(new nn.Conv2D(1, 4, { useBias: false }));
  return { netG, netD };
}

type Loss = InstanceType<typeof gluon.loss.SigmoidBinaryCrossEntropyLoss>;

/** d2l's `update_D`: one discriminator step on real `X` and generated `net_G(Z)` (detached); returns the summed loss. */
export function updateD(X: nd.NDArray, Z: nd.NDArray, netD: gluon.Block, netG: gluon.Block, loss: Loss, trainerD: gluon.Trainer): number {
  const batchSize = X.shape[0]!;
  const ones = np.ones([batchSize]);
  const zeros = np.zeros([batchSize]);
  const lossD = autograd.record(() => {
    const realY = netD.call(X) as nd.NDArray;
    const fakeX = netG.call(Z) as nd.NDArray;
    const fakeY = netD.call(fakeX.detach()) as nd.NDArray;
    return (loss.call(realY, ones) as nd.NDArray).add(loss.call(fakeY, zeros) as nd.NDArray).div(2);
  });
  lossD.backward();
  trainerD.step(batchSize);
  return Number(lossD.sum().item());
}

/** d2l's `update_G`: one generator step (the discriminator recomputed on `net_G(Z)`, labelled real); returns the summed loss. */
export function updateG(Z: nd.NDArray, netD: gluon.Block, netG: gluon.Block, loss: Loss, trainerG: gluon.Trainer): number {
  const batchSize = Z.shape[0]!;
  const ones = np.ones([batchSize]);
  const lossG = autograd.record(() => {
    const fakeX = netG.call(Z) as nd.NDArray;
    const fakeY = netD.call(fakeX) as nd.NDArray;
    return loss.call(fakeY, ones) as nd.NDArray;
  });
  lossG.backward();
  trainerG.step(batchSize);
  return Number(lossG.sum().item());
}

/**
 * As a CLI model file (`gluonc compile models/d2l/gan.ts`): a small DCGAN
 * generator (2 blocks, 4 base channels), noise [N, 16, 1, 1] to images
 * [N, 3, 16, 16].
 */
export default function build(): Sequential {
  const { netG } = dcgan(4, 4, 2);
  netG.initialize(new init.Normal(0.02));
  return netG;
}

/** Noise [N, 16, 1, 1]. */
export const inputs = { z: { shape: ['N', 16, 1, 1], dtype: 'float32' } };
