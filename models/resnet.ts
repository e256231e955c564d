/**
 * A small ResNet for 32×32×3 images (CIFAR-sized; NCHW input [N, 3, 32, 32]):
 * a 3×3 stem, three stages of two residual blocks (16, 32, 64 channels; the
 * later stages halve the resolution), global average pooling and a dense
 * classifier. Every convolution is followed by BatchNorm.
 */
import { gluon } from 'gluonc';

const { nn } = gluon;

/**
 * conv-bn-relu-conv-bn plus a shortcut (a strided 1×1 convolution when the
 * shape changes), then relu.
 */
export class ResidualBlock extends gluon.HybridBlock {
  readonly body: InstanceType<typeof nn.HybridSequential>;
  readonly shortcut: InstanceType<typeof nn.HybridSequential> | null;

  constructor(channels: number, strides: number, inChannels: number) {
    super();
    this.body = new nn.HybridSequential();
    this.body.add(
      new nn.Conv2D(channels, 3, { strides, padding: 1, useBias: false, inChannels }),
      new nn.BatchNorm(),
      new nn.Activation('relu'),
      new nn.Conv2D(channels, 3, { padding: 1, useBias: false, inChannels: channels }),
      new nn.BatchNorm(),
    );
    if (strides !== 1 || channels !== inChannels) {
      this.shortcut = new nn.HybridSequential();
      this.shortcut.add(new nn.Conv2D(channels, 1, { strides, useBias: false, inChannels }), new nn.BatchNorm());
    } else this.shortcut = null;
  }

  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    const residual = this.shortcut ? (this.shortcut.call(x) as gluon.Tensor) : x;
    return F.relu(F.add(this.body.call(x) as gluon.Tensor, residual));
  }
}

/**
 * A fresh, uninitialized ResNet (about 0.17 M parameters).
 *
 * ```ts
 * const net = build(); net.initialize(); net.call(nd.ones([2, 3, 32, 32])); // shape [2, 10]
 * ```
 */
export default function build(classes = 10): InstanceType<typeof nn.HybridSequential> {
  const net = new nn.HybridSequential();
  net.add(new nn.Conv2D(16, 3, { padding: 1, useBias: false }), new nn.BatchNorm(), new nn.Activation('relu'));
  let inChannels = 16;
  for (const [channels, strides] of [[16, 1], [32, 2], [64, 2]] as const) {
    net.add(new ResidualBlock(channels, strides, inChannels), new ResidualBlock(channels, 1, channels));
    inChannels = channels;
  }
  net.add(new nn.GlobalAvgPool2D(), new nn.Flatten(), new nn.Dense(classes));
  return net;
}

/** One 32×32 RGB image per example. */
export const inputs = { x: { shape: ['N', 3, 32, 32], dtype: 'float32' } };
