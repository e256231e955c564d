/**
 * d2l's recurrent chapters (MXNet edition), ported literally: the concise
 * `RNNModel` (an `rnn.RNN`, `rnn.GRU` or `rnn.LSTM` layer and a Dense output
 * over one-hot inputs, with `beginState`) and the seq2seq `Seq2SeqEncoder` /
 * `Seq2SeqDecoder` (Embedding + multi-layer GRU). MXNet's `ctx=X.ctx`
 * arguments are left out: gluonc has one global context.
 */
import { gluon, np, npx, type nd } from 'gluonc';

const { nn, rnn } = gluon;

/** A recurrent layer as `RNNModel` takes it. */
type RecurrentLayer = gluon.rnn.RNN | gluon.rnn.GRU | gluon.rnn.LSTM;

/**
 * d2l's `RNNModel`: one-hot encodes the [N, T] token indices (time major,
 * `inputs.T`), runs the recurrent layer and maps every step to the
 * vocabulary; returns `[output of [T * N, vocabSize], state]`.
 *
 * ```ts
 * const net = new RNNModel(new rnn.RNN(256), 28); net.initialize();
 * const [Y, state] = net.call(np.array([[1, 2, 3]]), net.beginState({ batchSize: 1 }));
 * ```
 */
export class RNNModel extends nn.Block {
  rnn: RecurrentLayer;
  dense: gluon.nn.Dense;
  constructor(rnnLayer: RecurrentLayer, readonly vocabSize: number) {
    super();
    this.rnn = rnnLayer;
    this.dense = new nn.Dense(vocabSize);
  }
  override forward(inputs: nd.NDArray, state: nd.NDArray[]): [nd.NDArray, nd.NDArray[]] {
    const X = npx.oneHot(inputs.T, this.vocabSize);
    let Y: nd.NDArray;
    [Y, state] = this.rnn.call(X, state) as [nd.NDArray, nd.NDArray[]];
    // The fully connected layer first changes the shape of Y to (num_steps * batch_size, num_hiddens); its output is (num_steps * batch_size, vocab_size).
    const output = this.dense.call(Y.reshape(-1, Y.shape[Y.shape.length - 1]!)) as nd.NDArray;
    return [output, state];
  }
  /** The layer's zero states (d2l's `begin_state(*args, **kwargs)`). */
  beginState(...args: Parameters<RecurrentLayer['beginState']>): nd.NDArray[] {
    return this.rnn.beginState(...args);
  }
}

/**
 * d2l's seq2seq encoder: embeds the [N, T] tokens, swaps to time major and
 * runs a multi-layer GRU from zero states; returns `[output [T, N, H], state]`.
 *
 * ```ts
 * const encoder = new Seq2SeqEncoder(10, 8, 16, 2); encoder.initialize();
 * const [output, state] = encoder.call(np.zeros([4, 7])); // [7, 4, 16], [[2, 4, 16]]
 * ```
 */
export class Seq2SeqEncoder extends nn.Block {
  embedding: gluon.nn.Embedding;
  rnn: gluon.rnn.GRU;
  constructor(vocabSize: number, embedSize: number, numHiddens: number, numLayers: number, dropout = 0) {
    super();
    this.embedding = new nn.Embedding(vocabSize, embedSize);
    this.rnn = new rnn.GRU(numHiddens, numLayers, { dropout });
  }
  override forward(X: nd.NDArray): [nd.NDArray, nd.NDArray[]] {
    // The output `X` shape: (batch_size, num_steps, embed_size)
    X = this.embedding.call(X) as nd.NDArray;
    // In RNN models, the first axis corresponds to time steps
    X = X.swapaxes(0, 1);
    const state = this.rnn.beginState({ batchSize: X.shape[1] });
    return this.rnn.call(X, state) as [nd.NDArray, nd.NDArray[]];
  }
}

/**
 * d2l's seq2seq decoder: the encoder's last-layer final state is the context
 * concatenated to every embedded input step; returns `[output [N, T, V], state]`.
 *
 * ```ts
 * const decoder = new Seq2SeqDecoder(10, 8, 16, 2); decoder.initialize();
 * const [out, st] = decoder.call(np.zeros([4, 7]), decoder.initState(encoder.call(X))); // [4, 7, 10]
 * ```
 */
export class Seq2SeqDecoder extends nn.Block {
  embedding: gluon.nn.Embedding;
  rnn: gluon.rnn.GRU;
  dense: gluon.nn.Dense;
  constructor(vocabSize: number, embedSize: number, numHiddens: number, numLayers: number, dropout = 0) {
    super();
    this.embedding = new nn.Embedding(vocabSize, embedSize);
    this.rnn = new rnn.GRU(numHiddens, numLayers, { dropout });
    this.dense = new nn.Dense(vocabSize, { flatten: false });
  }
  /** The encoder's state (d2l's `init_state(enc_outputs)`). */
  initState(encOutputs: [nd.NDArray, nd.NDArray[]]): nd.NDArray[] {
    return encOutputs[1];
  }
  override forward(X: nd.NDArray, state: nd.NDArray[]): [nd.NDArray, nd.NDArray[]] {
    X = (this.embedding.call(X) as nd.NDArray).swapaxes(0, 1);
    // `context` shape: (batch_size, num_hiddens): the last layer's state (d2l's state[0][-1])
    let context = state[0]!.at(-1);
    // Broadcast `context` so it has the same `num_steps` as `X`
    context = np.broadcastTo(context, [X.shape[0]!, context.shape[0]!, context.shape[1]!]);
    const XAndContext = np.concatenate([X, context], 2);
    let output: nd.NDArray;
    [output, state] = this.rnn.call(XAndContext, state) as [nd.NDArray, nd.NDArray[]];
    output = (this.dense.call(output) as nd.NDArray).swapaxes(0, 1);
    // `output` shape: (batch_size, num_steps, vocab_size)
    return [output, state];
  }
}

/**
 * The model: d2l's seq2seq encoder (vocabulary 10, embeddings of 8, 2 GRU
 * layers of 16), returning `[output, [state]]`: compiled, the artifact's
 * output0 [T, N, 16] and output1 [2, N, 16]; `gluonc compile --train`
 * puts the loss on output0 (the first output) and also outputs the final
 * state. Example: `build().call(np.zeros([4, 7]))` is `[[7, 4, 16], [[2, 4, 16]]]` in shapes.
 */
export default function build(): gluon.Block {
  const net = new Seq2SeqEncoder(10, 8, 16, 2);
  net.initialize();
  return net;
}

/** Example input: token indices [N, T] (beginState's zeros read the batch N from the input when the artifact runs). */
export const inputs = { X: { shape: ['N', 'T'], dtype: 'float32' } };
