/**
 * d2l's own BERT (MXNet edition, "Bidirectional Encoder Representations
 * from Transformers" and "Pretraining BERT"), ported literally: not
 * GluonNLP's (that is models/bert). `BERTEncoder` (token, segment and a
 * learnable positional embedding `pos_embedding` of [1, maxLen, numHiddens]
 * from `params.get`, then d2l's Transformer encoder blocks with bias),
 * `MaskLM` (the rows at the predicted positions, numpy's
 * `X[batch_idx, pred_positions]` written `npx.gatherNd`), `NextSentencePred`,
 * `BERTModel` and `getBatchLossBert` (`_get_batch_loss_bert` for one device:
 * gluonc has one global context, so the book's list of device shards is one
 * batch).
 */
import { gluon, np, npx, type nd } from 'gluonc';
import { TransformerEncoderBlock } from './transformer.js';

const { nn } = gluon;
type A = nd.NDArray;

/** d2l's `BERTEncoder`: embeddings of tokens and segments plus learnable positions, then `numBlks` encoder blocks. */
export class BERTEncoder extends nn.Block {
  tokenEmbedding: gluon.nn.Embedding;
  segmentEmbedding: gluon.nn.Embedding;
  blks: gluon.nn.Sequential;
  posEmbedding: gluon.Parameter;
  constructor(vocabSize: number, numHiddens: number, ffnNumHiddens: number, numHeads: number, numBlks: number, dropout: number, maxLen = 1000) {
    super();
    this.tokenEmbedding = new nn.Embedding(vocabSize, numHiddens);
    this.segmentEmbedding = new nn.Embedding(2, numHiddens);
    this.blks = new nn.Sequential();
    for (let i = 0; i < numBlks; i++) this.blks.add(new TransformerEncoderBlock(numHiddens, ffnNumHiddens, numHeads, dropout, true));
    // In BERT, positional embeddings are learnable, thus we create a parameter of positional embeddings that are long enough
    this.posEmbedding = this.params.get('pos_embedding', { shape: [1, maxLen, numHiddens] });
  }
  override forward(tokens: A, segments: A, validLens?: A): A {
    // Shape of `X` remains unchanged in the following code snippet: (batch size, max sequence length, `num_hiddens`)
    let X = (this.tokenEmbedding.call(tokens) as A).add(this.segmentEmbedding.call(segments) as A);
    X = X.add(this.posEmbedding.data().slice({ begin: [null, null, null], end: [null, X.shape[1]!, null] }));
    for (const blk of this.blks) X = blk.call(X, validLens) as A;
    return X;
  }
}

/** d2l's `MaskLM`: the encodings at `predPositions` [N, P] through Dense(relu), LayerNorm, Dense(vocab). */
export class MaskLM extends nn.Block {
  mlp: gluon.nn.Sequential;
  constructor(vocabSize: number, numHiddens: number) {
    super();
    this.mlp = new nn.Sequential();
    this.mlp.add(new nn.Dense(numHiddens, { flatten: false, activation: 'relu' }));
    this.mlp.add(new nn.LayerNorm());
    this.mlp.add(new nn.Dense(vocabSize, { flatten: false }));
  }
  override forward(X: A, predPositions: A): A {
    const numPredPositions = predPositions.shape[1]!;
    predPositions = predPositions.reshape(-1);
    const batchSize = X.shape[0]!;
    let batchIdx = np.arange(0, batchSize);
    // Suppose that `batch_size` = 2, `num_pred_positions` = 3, then `batch_idx` is `np.array([0, 0, 0, 1, 1, 1])`
    batchIdx = np.repeat(batchIdx, numPredPositions);
    // X[batch_idx, pred_positions]
    let maskedX = npx.gatherNd(X, np.stack([batchIdx, predPositions.astype(batchIdx.dtype)]));
    maskedX = maskedX.reshape(batchSize, numPredPositions, -1);
    return this.mlp.call(maskedX) as A;
  }
}

/** d2l's `NextSentencePred`: `Dense(2)` over the `<cls>` encoding. */
export class NextSentencePred extends nn.Block {
  output: gluon.nn.Dense;
  constructor() {
    super();
    this.output = new nn.Dense(2);
  }
  override forward(X: A): A {
    // Shape of `X`: (batch size, `num_hiddens`)
    return this.output.call(X) as A;
  }
}

/** d2l's `BERTModel`: `[encodedX, mlmYHat (or null without predPositions), nspYHat]`. */
export class BERTModel extends nn.Block {
  encoder: BERTEncoder;
  hidden: gluon.nn.Dense;
  mlm: MaskLM;
  nsp: NextSentencePred;
  constructor(vocabSize: number, numHiddens: number, ffnNumHiddens: number, numHeads: number, numBlks: number, dropout: number, maxLen = 1000) {
    super();
    this.encoder = new BERTEncoder(vocabSize, numHiddens, ffnNumHiddens, numHeads, numBlks, dropout, maxLen);
    this.hidden = new nn.Dense(numHiddens, { activation: 'tanh' });
    this.mlm = new MaskLM(vocabSize, numHiddens);
    this.nsp = new NextSentencePred();
  }
  override forward(tokens: A, segments: A, validLens?: A, predPositions?: A): [A, A | null, A] {
    const encodedX = this.encoder.call(tokens, segments, validLens) as A;
    const mlmYHat = predPositions !== undefined ? (this.mlm.call(encodedX, predPositions) as A) : null;
    // The hidden layer of the MLP classifier for next sentence prediction. 0 is the index of the '<cls>' token
    const cls = encodedX.slice({ begin: [null, 0, null], end: [null, 1, null] }).reshape(encodedX.shape[0]!, -1);
    const nspYHat = this.nsp.call(this.hidden.call(cls)) as A;
    return [encodedX, mlmYHat, nspYHat];
  }
}

/**
 * d2l's `_get_batch_loss_bert` for one batch: the masked-LM loss (weighted
 * by `mlmWeights`, averaged over its sum plus 1e-8) plus the next-sentence
 * loss; returns `[mlmL, nspL, l]` (0-d), to be recorded and `l.backward()`-ed.
 */
export function getBatchLossBert(net: BERTModel, loss: gluon.loss.SoftmaxCrossEntropyLoss, vocabSize: number, tokensX: A, segmentsX: A, validLensX: A, predPositionsX: A, mlmWeightsX: A, mlmY: A, nspY: A): [A, A, A] {
  // Forward pass
  const [, mlmYHat, nspYHat] = net.call(tokensX, segmentsX, validLensX.reshape(-1), predPositionsX) as [A, A, A];
  // Compute masked language model loss
  let mlmL = loss.call(mlmYHat.reshape([-1, vocabSize]), mlmY.reshape(-1), mlmWeightsX.reshape([-1, 1])) as A;
  mlmL = mlmL.sum().div(mlmWeightsX.sum().add(1e-8));
  // Compute next sentence prediction loss
  const nspL = (loss.call(nspYHat, nspY) as A).mean();
  return [mlmL, nspL, mlmL.add(nspL)];
}

/** The model: a 2-block d2l BERT of 16 hidden units over a vocabulary of 20 (positions up to 16). */
export default function build(): BERTModel {
  const net = new BERTModel(20, 16, 32, 2, 2, 0.1, 16);
  net.initialize();
  return net;
}

/** Example inputs: a batch of 2 sequences of 8 tokens, their segments and valid lengths, and 3 positions to predict in each (MaskLM's batch_idx reads the batch size, so it is fixed). */
export const inputs = {
  tokens: { shape: [2, 8], dtype: 'int32' },
  segments: { shape: [2, 8], dtype: 'int32' },
  validLens: { shape: [2], dtype: 'float32' },
  predPositions: { shape: [2, 3], dtype: 'int32' },
};
