/**
 * d2l's NLP chapters (MXNet edition), ported literally: word2vec's
 * `skipGram` and `getSimilarTokens` (14.4), sentiment analysis's `BiRNN`
 * (15.2) and `TextCNN` (15.3), and natural language inference's
 * decomposable attention (`mlp`, `Attend`, `Compare`, `Aggregate`,
 * `DecomposableAttention`, 15.5). The book's `vocab` objects are replaced by
 * sizes and indices; `ctx` arguments are left out (one global context).
 */
import { gluon, np, npx, type nd } from 'gluonc';

const { nn, rnn } = gluon;
type A = nd.NDArray;

/**
 * d2l's `skip_gram`: the center words' vectors (`embedV`, [N, 1, E]) dotted
 * with the context and noise words' (`embedU`, [N, K, E]); returns [N, 1, K].
 *
 * ```ts
 * const pred = skipGram(center, contextsNegatives, net.get(0), net.get(1));
 * ```
 */
export function skipGram(center: A, contextsAndNegatives: A, embedV: gluon.nn.Embedding, embedU: gluon.nn.Embedding): A {
  const v = embedV.call(center) as A;
  const u = embedU.call(contextsAndNegatives) as A;
  return npx.batchDot(v, u.swapaxes(1, 2));
}

/**
 * d2l's `get_similar_tokens` without the vocabulary: the `k` rows of
 * `embed.weight` nearest row `query` by cosine (the query itself left out),
 * as `[index, cosine]` pairs.
 */
export function getSimilarTokens(query: number, k: number, embed: gluon.nn.Embedding): [number, number][] {
  const W = embed.weight.data();
  const x = W.at(query);
  // Compute the cosine similarity. Add 1e-9 for numerical stability
  const cos = np.dot(W, x).div(np.sqrt(np.sum(W.mul(W), { axis: 1 }).mul(np.sum(x.mul(x))).add(1e-9)));
  const topk = (npx.topk(cos, { k: k + 1, retTyp: 'indices' }).toArray() as number[]).map((i) => Math.trunc(i));
  const c = cos.toArray() as number[];
  return topk.slice(1).map((i) => [i, c[i]!]);
}

/** d2l's sentiment `BiRNN`: embeddings, a bidirectional LSTM, the first and last steps' encodings into `Dense(2)`. */
export class BiRNN extends nn.Block {
  embedding: gluon.nn.Embedding;
  encoder: gluon.rnn.LSTM;
  decoder: gluon.nn.Dense;
  constructor(vocabSize: number, embedSize: number, numHiddens: number, numLayers: number) {
    super();
    this.embedding = new nn.Embedding(vocabSize, embedSize);
    // Set `bidirectional` to true to get a bidirectional RNN
    this.encoder = new rnn.LSTM(numHiddens, { numLayers, bidirectional: true, inputSize: embedSize });
    this.decoder = new nn.Dense(2);
  }
  override forward(inputs: A): A {
    // The shape of `inputs` is (batch size, no. of time steps); LSTM takes time steps first
    const embeddings = this.embedding.call(inputs.T) as A;
    const outputs = this.encoder.call(embeddings) as A;
    // Concatenate the hidden states at the initial and final time steps: (batch size, 4 * no. of hidden units)
    const encoding = np.concatenate([outputs.at(0), outputs.at(-1)], { axis: 1 });
    return this.decoder.call(encoding) as A;
  }
}

/** d2l's `TextCNN`: a trained and a constant embedding, 1-D convolutions, max-over-time pooling, Dropout and `Dense(2)`. */
export class TextCNN extends nn.Block {
  embedding: gluon.nn.Embedding;
  constantEmbedding: gluon.nn.Embedding;
  dropout: gluon.nn.Dropout;
  decoder: gluon.nn.Dense;
  pool: gluon.nn.GlobalMaxPool1D;
  convs: gluon.nn.Sequential;
  constructor(vocabSize: number, embedSize: number, kernelSizes: number[], numChannels: number[]) {
    super();
    this.embedding = new nn.Embedding(vocabSize, embedSize);
    // The embedding layer not to be trained
    this.constantEmbedding = new nn.Embedding(vocabSize, embedSize);
    this.dropout = new nn.Dropout(0.5);
    this.decoder = new nn.Dense(2);
    // The max-over-time pooling layer has no parameters
    this.pool = new nn.GlobalMaxPool1D();
    this.convs = new nn.Sequential();
    numChannels.forEach((c, i) => this.convs.add(new nn.Conv1D(c, kernelSizes[i]!, { activation: 'relu' })));
  }
  override forward(inputs: A): A {
    // Concatenate two embedding layer outputs with shape (batch size, no. of tokens, token vector dimension) along vectors
    let embeddings = np.concatenate([this.embedding.call(inputs) as A, this.constantEmbedding.call(inputs) as A], { axis: 2 });
    // Per the input format of one-dimensional convolutional layers, rearrange the tensor so that the second dimension stores channels
    embeddings = embeddings.transpose(0, 2, 1);
    // Each pooling gives (batch size, no. of channels, 1); drop the last dimension and concatenate on channels
    const encoding = np.concatenate([...this.convs].map((conv) => np.squeeze(this.pool.call(conv.call(embeddings)) as A, { axis: -1 })), { axis: 1 });
    return this.decoder.call(this.dropout.call(encoding)) as A;
  }
}

/** d2l's `mlp` of decomposable attention: Dropout, Dense(relu), Dropout, Dense(relu); `flatten: false` keeps the token axis. */
export function mlp(numHiddens: number, flatten: boolean): gluon.nn.Sequential {
  const net = new nn.Sequential();
  net.add(new nn.Dropout(0.2));
  net.add(new nn.Dense(numHiddens, { activation: 'relu', flatten }));
  net.add(new nn.Dropout(0.2));
  net.add(new nn.Dense(numHiddens, { activation: 'relu', flatten }));
  return net;
}

/** d2l's `Attend`: soft alignment of the hypothesis to each premise token (`beta`) and back (`alpha`). */
export class Attend extends nn.Block {
  f: gluon.nn.Sequential;
  constructor(numHiddens: number) {
    super();
    this.f = mlp(numHiddens, false);
  }
  override forward(A: A, B: A): [A, A] {
    // Shape of `f_A`/`f_B`: (batch size, no. of tokens in sequence A/B, `num_hiddens`)
    const fA = this.f.call(A) as A;
    const fB = this.f.call(B) as A;
    // Shape of `e`: (batch size, no. of tokens in sequence A, no. of tokens in sequence B)
    const e = npx.batchDot(fA, fB, { transposeB: true });
    const beta = npx.batchDot(npx.softmax(e), B);
    const alpha = npx.batchDot(npx.softmax(e.transpose(0, 2, 1)), A);
    return [beta, alpha];
  }
}

/** d2l's `Compare`: each token with its aligned counterpart, through `mlp`. */
export class Compare extends nn.Block {
  g: gluon.nn.Sequential;
  constructor(numHiddens: number) {
    super();
    this.g = mlp(numHiddens, false);
  }
  override forward(A: A, B: A, beta: A, alpha: A): [A, A] {
    const VA = this.g.call(np.concatenate([A, beta], { axis: 2 })) as A;
    const VB = this.g.call(np.concatenate([B, alpha], { axis: 2 })) as A;
    return [VA, VB];
  }
}

/** d2l's `Aggregate`: sums over the tokens, concatenates both sums, `mlp` and `Dense(numOutputs)`. */
export class Aggregate extends nn.Block {
  h: gluon.nn.Sequential;
  constructor(numHiddens: number, numOutputs: number) {
    super();
    this.h = mlp(numHiddens, true);
    this.h.add(new nn.Dense(numOutputs));
  }
  override forward(VA: A, VB: A): A {
    // Sum up both sets of comparison vectors
    VA = VA.sum({ axis: 1 });
    VB = VB.sum({ axis: 1 });
    // Feed the concatenation of both summarization results into an MLP
    return this.h.call(np.concatenate([VA, VB], { axis: 1 })) as A;
  }
}

/** d2l's `DecomposableAttention`: embeddings, attend, compare, aggregate into 3 classes. */
export class DecomposableAttention extends nn.Block {
  embedding: gluon.nn.Embedding;
  attend: Attend;
  compare: Compare;
  aggregate: Aggregate;
  constructor(vocabSize: number, embedSize: number, numHiddens: number) {
    super();
    this.embedding = new nn.Embedding(vocabSize, embedSize);
    this.attend = new Attend(numHiddens);
    this.compare = new Compare(numHiddens);
    // There are 3 possible outputs: entailment, contradiction, and neutral
    this.aggregate = new Aggregate(numHiddens, 3);
  }
  override forward(X: [A, A]): A {
    const [premises, hypotheses] = X;
    const A = this.embedding.call(premises) as A;
    const B = this.embedding.call(hypotheses) as A;
    const [beta, alpha] = this.attend.call(A, B) as [A, A];
    const [VA, VB] = this.compare.call(A, B, beta, alpha) as [A, A];
    return this.aggregate.call(VA, VB) as A;
  }
}

/** The model: d2l's TextCNN (vocabulary 20, embeddings of 8, kernels 2 and 3 with 4 channels each). */
export default function build(): TextCNN {
  const net = new TextCNN(20, 8, [2, 3], [4, 4]);
  net.initialize();
  return net;
}

/** Example input: token indices [N, 8]. */
export const inputs = { inputs: { shape: ['N', 8], dtype: 'int32' } };
