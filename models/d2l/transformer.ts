/**
 * d2l's multi-head attention and Transformer chapters (MXNet edition),
 * ported literally, as Gluon 2 HybridBlocks (`forward` with np/npx, so
 * `hybridize()` compiles them and `gluonc compile` exports them with a
 * symbolic batch and sequence length): `MultiHeadAttention` with
 * `transposeQkv`/`transposeOutput` over d2l's `DotProductAttention`,
 * `PositionalEncoding`, `PositionWiseFFN`, `AddNorm`,
 * `TransformerEncoderBlock`, `TransformerEncoder`, `TransformerDecoderBlock`
 * (causal valid lengths while training) and the seq2seq chapter's
 * `MaskedSoftmaxCELoss`. One difference from the book: the positional table
 * is built by stacking sin and cos (TypeScript has no slice assignment);
 * `P[:, :X.shape[1], :]` is `P.slice(...)`.
 */
import { autograd, gluon, np, npx, type nd } from 'gluonc';
import { DotProductAttention } from './attention.js';

const { nn } = gluon;
type A = nd.NDArray;

/**
 * d2l's multi-head attention: `numHeads` heads of scaled dot-product
 * attention over the projected queries, keys and values (`W_q`, `W_k`,
 * `W_v`, `W_o`, Dense layers without bias by default); `validLens` [N] or
 * [N, Tq] as in `maskedSoftmax`.
 *
 * ```ts
 * const attention = new MultiHeadAttention(100, 5, 0.5); attention.initialize();
 * attention.call(X, Y, Y, np.array([3, 2])).shape; // [2, 4, 100]
 * ```
 */
export class MultiHeadAttention extends nn.HybridBlock {
  numHeads: number;
  attention: DotProductAttention;
  W_q: gluon.nn.Dense;
  W_k: gluon.nn.Dense;
  W_v: gluon.nn.Dense;
  W_o: gluon.nn.Dense;
  constructor(numHiddens: number, numHeads: number, dropout: number, useBias = false) {
    super();
    this.numHeads = numHeads;
    this.attention = new DotProductAttention(dropout);
    this.W_q = new nn.Dense(numHiddens, { useBias, flatten: false });
    this.W_k = new nn.Dense(numHiddens, { useBias, flatten: false });
    this.W_v = new nn.Dense(numHiddens, { useBias, flatten: false });
    this.W_o = new nn.Dense(numHiddens, { useBias, flatten: false });
  }
  override forward(queries: A, keys: A, values: A, validLens?: A): A {
    // Shape of queries, keys, or values: (batch_size, no. of queries or key-value pairs, num_hiddens)
    // After transposing: (batch_size * num_heads, no. of queries or key-value pairs, num_hiddens / num_heads)
    queries = this.transposeQkv(this.W_q.call(queries) as A);
    keys = this.transposeQkv(this.W_k.call(keys) as A);
    values = this.transposeQkv(this.W_v.call(values) as A);
    // On axis 0, copy the first item (scalar or vector) num_heads times, then the next item, and so on
    if (validLens !== undefined) validLens = validLens.repeat(this.numHeads, { axis: 0 });
    const output = this.attention.call(queries, keys, values, validLens) as A;
    return this.W_o.call(this.transposeOutput(output)) as A;
  }
  /** For parallel computation of multiple attention heads: [N, T, H] -> [N * numHeads, T, H / numHeads]. */
  transposeQkv(X: A): A {
    X = X.reshape(X.shape[0]!, X.shape[1]!, this.numHeads, -1);
    X = X.transpose(0, 2, 1, 3);
    return X.reshape(-1, X.shape[2]!, X.shape[3]!);
  }
  /** Reverse the operation of `transposeQkv`. */
  transposeOutput(X: A): A {
    X = X.reshape(-1, this.numHeads, X.shape[1]!, X.shape[2]!);
    X = X.transpose(0, 2, 1, 3);
    return X.reshape(X.shape[0]!, X.shape[1]!, -1);
  }
}

/**
 * d2l's sinusoidal positional encoding: `P[t, 2i] = sin(t / 10000^(2i/d))`,
 * `P[t, 2i+1]` the cosine, added to [N, T, d] then dropout. `dtype` is the
 * table's (float64 for tight checks).
 */
export class PositionalEncoding extends nn.HybridBlock {
  dropout: gluon.nn.Dropout;
  P: A;
  constructor(numHiddens: number, dropout: number, maxLen = 1000, dtype: 'float32' | 'float64' = 'float32') {
    super();
    this.dropout = new nn.Dropout(dropout);
    // Create a long enough P
    const X = np.arange(maxLen, { dtype }).reshape(-1, 1).div(np.power(10000, np.arange(0, numHiddens, 2, { dtype }).div(numHiddens)));
    this.P = np.stack([np.sin(X), np.cos(X)], { axis: -1 }).reshape(1, maxLen, numHiddens);
  }
  override forward(X: A): A {
    X = X.add(this.P.slice({ begin: [null, null, null], end: [null, X.shape[1]!, null] }));
    return this.dropout.call(X) as A;
  }
}

/** d2l's position-wise feed-forward network: Dense(relu) then Dense over the last axis. */
export class PositionWiseFFN extends nn.HybridBlock {
  dense1: gluon.nn.Dense;
  dense2: gluon.nn.Dense;
  constructor(ffnNumHiddens: number, ffnNumOutputs: number) {
    super();
    this.dense1 = new nn.Dense(ffnNumHiddens, { flatten: false, activation: 'relu' });
    this.dense2 = new nn.Dense(ffnNumOutputs, { flatten: false });
  }
  override forward(X: A): A {
    return this.dense2.call(this.dense1.call(X)) as A;
  }
}

/** d2l's residual connection followed by layer normalization: `ln(dropout(Y) + X)`. */
export class AddNorm extends nn.HybridBlock {
  dropout: gluon.nn.Dropout;
  ln: gluon.nn.LayerNorm;
  constructor(dropout: number) {
    super();
    this.dropout = new nn.Dropout(dropout);
    this.ln = new nn.LayerNorm();
  }
  override forward(X: A, Y: A): A {
    return this.ln.call((this.dropout.call(Y) as A).add(X)) as A;
  }
}

/** d2l's Transformer encoder block: self-attention and the FFN, each with AddNorm. */
export class TransformerEncoderBlock extends nn.HybridBlock {
  attention: MultiHeadAttention;
  addnorm1: AddNorm;
  ffn: PositionWiseFFN;
  addnorm2: AddNorm;
  constructor(numHiddens: number, ffnNumHiddens: number, numHeads: number, dropout: number, useBias = false) {
    super();
    this.attention = new MultiHeadAttention(numHiddens, numHeads, dropout, useBias);
    this.addnorm1 = new AddNorm(dropout);
    this.ffn = new PositionWiseFFN(ffnNumHiddens, numHiddens);
    this.addnorm2 = new AddNorm(dropout);
  }
  override forward(X: A, validLens?: A): A {
    const Y = this.addnorm1.call(X, this.attention.call(X, X, X, validLens)) as A;
    return this.addnorm2.call(Y, this.ffn.call(Y)) as A;
  }
}

/** d2l's Transformer encoder: scaled embeddings plus positions, then `numBlks` encoder blocks. */
export class TransformerEncoder extends nn.HybridBlock {
  numHiddens: number;
  embedding: gluon.nn.Embedding;
  posEncoding: PositionalEncoding;
  blks: gluon.nn.HybridSequential;
  constructor(vocabSize: number, numHiddens: number, ffnNumHiddens: number, numHeads: number, numBlks: number, dropout: number, useBias = false) {
    super();
    this.numHiddens = numHiddens;
    this.embedding = new nn.Embedding(vocabSize, numHiddens);
    this.posEncoding = new PositionalEncoding(numHiddens, dropout);
    this.blks = new nn.HybridSequential();
    for (let i = 0; i < numBlks; i++) this.blks.add(new TransformerEncoderBlock(numHiddens, ffnNumHiddens, numHeads, dropout, useBias));
  }
  override forward(X: A, validLens?: A): A {
    // Since positional encoding values are between -1 and 1, the embedding values are multiplied by the square root of the embedding dimension to rescale before they are summed up
    X = this.posEncoding.call((this.embedding.call(X) as A).mul(Math.sqrt(this.numHiddens))) as A;
    for (const blk of this.blks) X = blk.call(X, validLens) as A;
    return X;
  }
}

/** The decoder state: encoder outputs, their valid lengths, and each block's keys and values so far. */
export type DecoderState = [A, A | undefined, (A | null)[]];

/**
 * d2l's Transformer decoder block `i`: causal self-attention over the keys
 * and values decoded so far (state[2][i]), attention over the encoder
 * outputs, and the FFN, each with AddNorm. While training every position
 * attends to itself and the earlier ones (`dec_valid_lens` = 1..T). A plain
 * Block, as in d2l: its state is a list, not a tensor.
 */
export class TransformerDecoderBlock extends nn.Block {
  attention1: MultiHeadAttention;
  addnorm1: AddNorm;
  attention2: MultiHeadAttention;
  addnorm2: AddNorm;
  ffn: PositionWiseFFN;
  addnorm3: AddNorm;
  constructor(numHiddens: number, ffnNumHiddens: number, numHeads: number, dropout: number, readonly i: number) {
    super();
    this.attention1 = new MultiHeadAttention(numHiddens, numHeads, dropout);
    this.addnorm1 = new AddNorm(dropout);
    this.attention2 = new MultiHeadAttention(numHiddens, numHeads, dropout);
    this.addnorm2 = new AddNorm(dropout);
    this.ffn = new PositionWiseFFN(ffnNumHiddens, numHiddens);
    this.addnorm3 = new AddNorm(dropout);
  }
  override forward(X: A, state: DecoderState): [A, DecoderState] {
    const [encOutputs, encValidLens] = state;
    // While training all output tokens are processed at once; while predicting, token by token with the earlier ones in state[2][i]
    const prev = state[2][this.i] ?? null;
    const keyValues = prev === null ? X : np.concatenate([prev, X], { axis: 1 });
    state[2][this.i] = keyValues;
    let decValidLens: A | undefined;
    if (autograd.isTraining()) {
      const [batchSize, numSteps] = X.shape as number[];
      // Shape of dec_valid_lens: (batch_size, num_steps), where every row is [1, 2, ..., num_steps]
      decValidLens = np.tile(np.arange(1, numSteps! + 1), [batchSize!, 1]);
    }
    const X2 = this.attention1.call(X, keyValues, keyValues, decValidLens) as A;
    const Y = this.addnorm1.call(X, X2) as A;
    const Y2 = this.attention2.call(Y, encOutputs, encOutputs, encValidLens) as A;
    const Z = this.addnorm2.call(Y, Y2) as A;
    return [this.addnorm3.call(Z, this.ffn.call(Z)) as A, state];
  }
}

/** d2l's softmax cross-entropy with the positions past each valid length masked out: one loss per sequence. */
export class MaskedSoftmaxCELoss extends gluon.loss.SoftmaxCrossEntropyLoss {
  override forward(pred: A, label: A, validLen: A): A {
    // pred [N, T, vocab], label [N, T], validLen [N]
    let weights = np.expandDims(np.onesLike(label), { axis: -1 });
    weights = npx.sequenceMask(weights, validLen, true, { axis: 1 });
    return super.forward(pred, label, weights) as A;
  }
}

/** The model: a 2-block encoder of 16 hidden units over a vocabulary of 20 (dropout 0.1). */
export default function build(): TransformerEncoder {
  const net = new TransformerEncoder(20, 16, 32, 4, 2, 0.1);
  net.initialize();
  return net;
}

/** Example inputs: token indices [N, T] and valid lengths [N], any N and T up to 1000. */
export const inputs = {
  tokens: { shape: ['N', 'T'], dtype: 'int32' },
  validLens: { shape: ['N'], dtype: 'float32' },
};
