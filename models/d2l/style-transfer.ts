/**
 * d2l's neural style transfer (MXNet edition, 14.12), ported literally: the
 * synthesized image as the only parameter of a Block (`SynthesizedImage`,
 * initialized by `init.Constant(X)`), the Gram matrix, the content, style
 * and total-variation losses, `extractFeatures` over a feature net's layers,
 * and the training loop (Adam on the image, the learning rate decayed by 0.8
 * every `lrDecayEpoch` epochs). The book's `sum(10 * styles_l + ...)` repeats
 * the Python list ten times: each style loss counts ten times here too.
 */
import { autograd, gluon, init, np, type nd } from 'gluonc';

type A = nd.NDArray;

/** d2l's `SynthesizedImage`: `forward()` returns the image parameter's data. */
export class SynthesizedImage extends gluon.Block {
  readonly weight: gluon.Parameter;
  constructor(imgShape: number[]) {
    super();
    this.weight = this.params.get('weight', { shape: imgShape });
  }
  override forward(): A {
    return this.weight.data();
  }
}

/** d2l's `gram`: `X·Xᵀ / (c·n)` of the features reshaped to `[c, n]`. */
export function gram(X: A): A {
  const [numChannels, n] = [X.shape[1]!, X.size / X.shape[1]!];
  const Y = X.reshape([numChannels, n]);
  return np.dot(Y, Y.T).div(numChannels * n);
}

export const contentLoss = (YHat: A, Y: A): A => np.square(YHat.sub(Y)).mean();
export const styleLoss = (YHat: A, gramY: A): A => np.square(gram(YHat).sub(gramY)).mean();
/** d2l's `tv_loss`: half the mean absolute difference of neighbours, down and across. */
export function tvLoss(YHat: A): A {
  const s = (b: (number | null)[], e: (number | null)[]) => YHat.slice({ begin: b, end: e });
  const down = np.abs(s([null, null, 1, null], [null, null, null, null]).sub(s([null, null, null, null], [null, null, -1, null]))).mean();
  const across = np.abs(s([null, null, null, 1], [null, null, null, null]).sub(s([null, null, null, null], [null, null, null, -1]))).mean();
  return down.add(across).mul(0.5);
}

export const [contentWeight, styleWeight, tvWeight] = [1, 1e3, 10];

/** d2l's `compute_loss`: `[contentsL, stylesL, tvL, l]`. */
export function computeLoss(X: A, contentsYHat: A[], stylesYHat: A[], contentsY: A[], stylesYGram: A[]): [A[], A[], A, A] {
  const contentsL = contentsYHat.map((YHat, i) => contentLoss(YHat, contentsY[i]!).mul(contentWeight));
  const stylesL = stylesYHat.map((YHat, i) => styleLoss(YHat, stylesYGram[i]!).mul(styleWeight));
  const tvL = tvLoss(X).mul(tvWeight);
  const terms = [...Array.from({ length: 10 }, () => stylesL).flat(), ...contentsL, tvL];   // Python's 10 * styles_l + contents_l + [tv_l]
  return [contentsL, stylesL, tvL, terms.reduce((a, b) => a.add(b))];
}

/** d2l's `extract_features`: the outputs of the content and style layers of `net`. */
export function extractFeatures(net: InstanceType<typeof gluon.nn.HybridSequential>, X: A, contentLayers: number[], styleLayers: number[]): [A[], A[]] {
  const [contents, styles]: A[][] = [[], []];
  for (let i = 0; i < net.length; i++) {
    X = net.get(i).call(X) as A;
    if (styleLayers.includes(i)) styles.push(X);
    if (contentLayers.includes(i)) contents.push(X);
  }
  return [contents, styles];
}

/** d2l's `get_inits`: the image block initialized to `X`, the style Gram matrices, an Adam trainer. */
export function getInits(X: A, lr: number, stylesY: A[]): [A, A[], gluon.Trainer] {
  const genImg = new SynthesizedImage(X.shape as number[]);
  genImg.initialize(new init.Constant(X), { forceReinit: true });
  const trainer = new gluon.Trainer(genImg.collectParams(), 'adam', { learningRate: lr });
  return [genImg.call() as A, stylesY.map(gram), trainer];
}

/** d2l's `train`: returns the image and each epoch's total loss. */
export function train(net: InstanceType<typeof gluon.nn.HybridSequential>, X: A, contentsY: A[], stylesY: A[], lr: number, numEpochs: number, lrDecayEpoch: number, contentLayers: number[], styleLayers: number[]): [A, number[]] {
  const [img, stylesYGram, trainer] = getInits(X, lr, stylesY);
  const losses: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    const l = autograd.record(() => {
      const [contentsYHat, stylesYHat] = extractFeatures(net, img, contentLayers, styleLayers);
      return computeLoss(img, contentsYHat, stylesYHat, contentsY, stylesYGram)[3];
    });
    l.backward();
    trainer.step(1);
    losses.push(Number(l.item()));
    if ((epoch + 1) % lrDecayEpoch === 0) trainer.setLearningRate(trainer.learningRate * 0.8);
  }
  return [img, losses];
}

/**
 * As a CLI model file (`gluonc compile models/d2l/style-transfer.ts`): a
 * small feature net of the kind `extractFeatures` reads (conv, relu, pool,
 * conv, relu; the chapter uses VGG-19's first layers).
 */
export default function build(): InstanceType<typeof gluon.nn.HybridSequential> {
  const { nn } = gluon;
  const net = new nn.HybridSequential();
  net.add(new nn.Conv2D(4, 3, { padding: 1 }), new nn.Activation('relu'), new nn.MaxPool2D(2), new nn.Conv2D(4, 3, { padding: 1 }), new nn.Activation('relu'));
  net.initialize();
  return net;
}

/** Images [N, 3, 16, 16]. */
export const inputs = { x: { shape: ['N', 3, 16, 16], dtype: 'float32' } };
