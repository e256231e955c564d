/**
 * d2l's computer-vision chapter (MXNet edition), ported literally: the
 * fine-tuning recipe (14.2: a zoo net's `features` reused, a fresh `output`
 * trained with `lr_mult` 10) and the fully convolutional network (14.11:
 * `pretrained_net.features[:-2]`, a 1×1 convolution, and a transposed
 * convolution initialized by `bilinear_kernel`).
 */
import { gluon, init, np, type nd } from 'gluonc';
import { BasicBlockV2, ResNetV2 } from '../zoo/resnet.js';

const { nn } = gluon;
type ZooNet = gluon.HybridBlock & { features: InstanceType<typeof nn.HybridSequential>; output: gluon.HybridBlock };

/**
 * d2l's fine-tuning setup: `finetune_net.features = pretrained_net.features`
 * (shared, not copied), `finetune_net.output.initialize(init.Xavier())`,
 * `finetune_net.output.collect_params().setattr('lr_mult', 10)`.
 *
 * ```ts
 * const ft = fineTune(resnet18V2({ classes: 2 }), pretrained);
 * ```
 */
export function fineTune<T extends ZooNet>(finetuneNet: T, pretrainedNet: ZooNet): T {
  (finetuneNet as { features: ZooNet['features'] }).features = pretrainedNet.features;
  finetuneNet.output.initialize(new init.Xavier());
  finetuneNet.output.collectParams().setattr('lrMult', 10);
  return finetuneNet;
}

/**
 * d2l's `bilinear_kernel(in_channels, out_channels, kernel_size)`: the
 * transposed-convolution weight `[in, out, k, k]` that upsamples each channel
 * bilinearly (`weight[range(in), range(out)] = filt`, here as a broadcast
 * product with the `in == out` diagonal: TypeScript has no index assignment).
 */
export function bilinearKernel(inChannels: number, outChannels: number, kernelSize: number): nd.NDArray {
  const factor = Math.floor((kernelSize + 1) / 2);
  const center = kernelSize % 2 === 1 ? factor - 1 : factor - 0.5;
  const og0 = np.arange(kernelSize).reshape([-1, 1]);
  const og1 = np.arange(kernelSize).reshape([1, -1]);
  const filt = np.subtract(1, np.abs(og0.sub(center)).div(factor)).mul(np.subtract(1, np.abs(og1.sub(center)).div(factor)));
  const diag = np.equal(np.arange(inChannels).reshape([-1, 1]), np.arange(outChannels).reshape([1, -1])).astype('float32');
  return diag.reshape([inChannels, outChannels, 1, 1]).mul(filt);
}

/**
 * d2l's FCN: every layer of `pretrainedNet.features[:-2]` (sharing them),
 * then `nn.Conv2D(numClasses, 1)` and `nn.Conv2DTranspose(numClasses, 64,
 * padding 16, strides 32)`; the transposed convolution initialized by
 * `init.Constant(bilinear_kernel(...))`, the 1×1 one by Xavier.
 */
export function fcn(pretrainedNet: ZooNet, numClasses: number, kernelSize = 64, padding = 16, strides = 32): InstanceType<typeof nn.HybridSequential> {
  const net = new nn.HybridSequential();
  for (const layer of pretrainedNet.features.slice(0, -2)) net.add(layer);
  net.add(new nn.Conv2D(numClasses, 1), new nn.Conv2DTranspose(numClasses, kernelSize, { padding, strides }));
  net.get(-1).initialize(new init.Constant(bilinearKernel(numClasses, numClasses, kernelSize)));
  net.get(-2).initialize(new init.Xavier());
  return net;
}

/**
 * As a CLI model file (`gluonc compile models/d2l/vision.ts`): the
 * chapter's FCN over a small ResNet V2 (stages of 4, 8, 12 and 16 channels)
 * for 3 classes, its output the input's size.
 */
export default function build(): InstanceType<typeof nn.HybridSequential> {
  const pretrained = new ResNetV2(BasicBlockV2, [1, 1, 1, 1], [4, 4, 8, 12, 16], { classes: 3 });
  pretrained.initialize();
  return fcn(pretrained, 3);
}

/** Images [N, 3, 32, 32] (any multiple of 32). */
export const inputs = { x: { shape: ['N', 3, 32, 32], dtype: 'float32' } };
