/**
 * d2l's recurrent chapters from scratch (MXNet edition, 9.5, 10.1, 10.2),
 * ported literally: `getParams`, `initRnnState` (a tuple of states), `rnn`
 * (the time loop), `RNNModelScratch` over `npx.oneHot(X.T, vocabSize)`,
 * `predictCh8`, `gradClipping`, `sgd`, `trainEpochCh8`, and the GRU and LSTM
 * from scratch. Python's slice assignments (`param.grad[:] *= theta / norm`,
 * `param[:] = param - lr * param.grad / batch_size`) are MXNet's `copyto`
 * into the same array. MXNet's `ctx=device` arguments are left out.
 */
import { autograd, gluon, np, npx, type nd } from 'gluonc';

type A = nd.NDArray;
/** The states, a tuple as in the book: `(H,)` or `(H, C)`. */
export type State = A[];
export type ForwardFn = (inputs: A, state: State, params: A[]) => [A, State];

const normal = (shape: number[]): A => np.random.normal(0, 0.01, shape);

/** d2l's `get_params` for the RNN: W_xh, W_hh, b_h, W_hq, b_q, each with a gradient attached. */
export function getParams(vocabSize: number, numHiddens: number): A[] {
  const numInputs = vocabSize;
  const numOutputs = vocabSize;
  // Hidden layer parameters
  const W_xh = normal([numInputs, numHiddens]);
  const W_hh = normal([numHiddens, numHiddens]);
  const b_h = np.zeros(numHiddens);
  // Output layer parameters
  const W_hq = normal([numHiddens, numOutputs]);
  const b_q = np.zeros(numOutputs);
  // Attach gradients
  const params = [W_xh, W_hh, b_h, W_hq, b_q];
  for (const param of params) param.attachGrad();
  return params;
}

/** d2l's `init_rnn_state`: a tuple of one zero state [N, H]. */
export function initRnnState(batchSize: number, numHiddens: number): State {
  return [np.zeros([batchSize, numHiddens])];
}

/** d2l's `rnn`: inputs [T, N, V]; returns the outputs of all steps [T * N, V] and the state. */
export function rnn(inputs: A, state: State, params: A[]): [A, State] {
  // Shape of `inputs`: (`num_steps`, `batch_size`, `vocab_size`)
  const [W_xh, W_hh, b_h, W_hq, b_q] = params as [A, A, A, A, A];
  let [H] = state as [A];
  const outputs: A[] = [];
  // Shape of `X`: (`batch_size`, `vocab_size`)
  for (let t = 0; t < inputs.shape[0]!; t++) {
    const X = inputs.at(t);
    H = np.tanh(np.dot(X, W_xh).add(np.dot(H, W_hh)).add(b_h));
    const Y = np.dot(H, W_hq).add(b_q);
    outputs.push(Y);
  }
  return [np.concatenate(outputs, 0), [H]];
}

/** d2l's `RNNModelScratch`: an RNN model implemented from scratch. */
export class RNNModelScratch {
  params: A[];
  constructor(
    readonly vocabSize: number,
    readonly numHiddens: number,
    getParamsFn: (vocabSize: number, numHiddens: number) => A[],
    readonly initState: (batchSize: number, numHiddens: number) => State,
    readonly forwardFn: ForwardFn,
  ) {
    this.params = getParamsFn(vocabSize, numHiddens);
  }
  /** Python's `__call__`: X [N, T] token indices. */
  call(X: A, state: State): [A, State] {
    X = npx.oneHot(X.T, this.vocabSize);
    return this.forwardFn(X, state, this.params);
  }
  beginState(batchSize: number): State {
    return this.initState(batchSize, this.numHiddens);
  }
}

/** The book's `Vocab` as far as `predict_ch8` reads it: token to index and back. */
export interface CharVocab {
  idx(token: string): number;
  idxToToken: string[];
}

/** d2l's `predict_ch8`: warms up on `prefix`, then predicts `numPreds` characters greedily. */
export function predictCh8(prefix: string, numPreds: number, net: RNNModelScratch | ConciseLike, vocab: CharVocab): string {
  let state = net.beginState(1);
  const outputs = [vocab.idx(prefix[0]!)];
  const getInput = () => np.array([outputs[outputs.length - 1]!]).reshape(1, 1);
  for (const y of prefix.slice(1)) { // Warm-up period
    [, state] = net.call(getInput(), state);
    outputs.push(vocab.idx(y));
  }
  for (let i = 0; i < numPreds; i++) { // Predict `numPreds` steps
    const [y, s] = net.call(getInput(), state);
    state = s;
    outputs.push(y.argmax({ axis: 1 }).reshape(1).item());
  }
  return outputs.map((i) => vocab.idxToToken[i]).join('');
}

/** A model `predictCh8`/`trainEpochCh8` also take: a Block with `beginState` (d2l's concise RNNModel). */
export interface ConciseLike {
  call(X: A, state: State): [A, State];
  beginState(batchSize: number): State;
}

/**
 * d2l's `grad_clipping`: the gradients of a Block's parameters or of a
 * scratch model's `params`, rescaled so that their joint norm is at most
 * `theta`; `param.grad[:] *= theta / norm` writes into the gradient buffer.
 */
export function gradClipping(net: gluon.Block | RNNModelScratch, theta: number): void {
  const params = net instanceof gluon.Block ? [...net.collectParams().values()].map((p) => p.data()) : net.params;
  const norm = Math.sqrt(params.map((p) => np.sum(p.grad.pow(2)).item()).reduce((a, b) => a + b, 0));
  if (norm > theta) {
    for (const param of params) param.grad.mul(theta / norm).copyto(param.grad); // param.grad[:] *= theta / norm
  }
}

/** d2l's `sgd`: `param[:] = param - lr * param.grad / batch_size`. */
export function sgd(params: A[], lr: number, batchSize: number): void {
  for (const param of params) param.sub(param.grad.mul(lr).div(batchSize)).copyto(param);
}

/**
 * d2l's `train_epoch_ch8`: one epoch over `[X, Y]` batches of [N, T]
 * tokens; the state carries over between batches (detached) unless
 * `useRandomIter`. Returns `[perplexity, tokens]`.
 */
export function trainEpochCh8(
  net: RNNModelScratch | ConciseLike,
  trainIter: Iterable<[A, A]>,
  loss: gluon.loss.Loss,
  updater: (batchSize: number) => void,
  useRandomIter: boolean,
): [number, number] {
  let state: State | null = null;
  let lSum = 0;
  let n = 0;
  for (const [X, Y] of trainIter) {
    if (state === null || useRandomIter) {
      // Initialize `state` when either it is the first iteration or using random sampling
      state = net.beginState(X.shape[0]!);
    } else {
      // As the book: `s.detach()` returns a new array and the loop discards it; what cuts the
      // state from the last batch's graph is that its backward freed that graph (MXNet's, gluonc's).
      for (const s of state) s.detach();
    }
    const y = Y.T.reshape(-1);
    let l!: A;
    autograd.record(() => {
      let yHat: A;
      [yHat, state] = net.call(X, state!);
      l = (loss.call(yHat, y) as A).mean();
    });
    l.backward();
    gradClipping(net as gluon.Block | RNNModelScratch, 1);
    updater(1); // Since the `mean` function has been invoked
    lSum += l.item() * y.size;
    n += y.size;
  }
  return [Math.exp(lSum / n), n];
}

/** d2l's `get_params` for the GRU (reset-before form): update, reset and candidate gates, then the output. */
export function getGruParams(vocabSize: number, numHiddens: number): A[] {
  const numInputs = vocabSize;
  const numOutputs = vocabSize;
  const three = (): A[] => [normal([numInputs, numHiddens]), normal([numHiddens, numHiddens]), np.zeros(numHiddens)];
  const [W_xz, W_hz, b_z] = three(); // Update gate parameters
  const [W_xr, W_hr, b_r] = three(); // Reset gate parameters
  const [W_xh, W_hh, b_h] = three(); // Candidate hidden state parameters
  // Output layer parameters
  const W_hq = normal([numHiddens, numOutputs]);
  const b_q = np.zeros(numOutputs);
  const params = [W_xz!, W_hz!, b_z!, W_xr!, W_hr!, b_r!, W_xh!, W_hh!, b_h!, W_hq, b_q];
  for (const param of params) param.attachGrad();
  return params;
}

/** d2l's `init_gru_state`. */
export function initGruState(batchSize: number, numHiddens: number): State {
  return [np.zeros([batchSize, numHiddens])];
}

/** d2l's `gru`: `H_tilda = tanh(X W_xh + (R * H) W_hh + b_h)`, the reset applied before the matmul. */
export function gru(inputs: A, state: State, params: A[]): [A, State] {
  const [W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q] = params as A[] as [A, A, A, A, A, A, A, A, A, A, A];
  let [H] = state as [A];
  const outputs: A[] = [];
  for (let t = 0; t < inputs.shape[0]!; t++) {
    const X = inputs.at(t);
    const Z = npx.sigmoid(np.dot(X, W_xz).add(np.dot(H, W_hz)).add(b_z));
    const R = npx.sigmoid(np.dot(X, W_xr).add(np.dot(H, W_hr)).add(b_r));
    const H_tilda = np.tanh(np.dot(X, W_xh).add(np.dot(R.mul(H), W_hh)).add(b_h));
    H = Z.mul(H).add(Z.mul(-1).add(1).mul(H_tilda));
    const Y = np.dot(H, W_hq).add(b_q);
    outputs.push(Y);
  }
  return [np.concatenate(outputs, 0), [H]];
}

/** d2l's `get_lstm_params`: input, forget, output gates and the candidate memory cell, then the output. */
export function getLstmParams(vocabSize: number, numHiddens: number): A[] {
  const numInputs = vocabSize;
  const numOutputs = vocabSize;
  const three = (): A[] => [normal([numInputs, numHiddens]), normal([numHiddens, numHiddens]), np.zeros(numHiddens)];
  const [W_xi, W_hi, b_i] = three(); // Input gate parameters
  const [W_xf, W_hf, b_f] = three(); // Forget gate parameters
  const [W_xo, W_ho, b_o] = three(); // Output gate parameters
  const [W_xc, W_hc, b_c] = three(); // Candidate memory cell parameters
  const W_hq = normal([numHiddens, numOutputs]);
  const b_q = np.zeros(numOutputs);
  const params = [W_xi!, W_hi!, b_i!, W_xf!, W_hf!, b_f!, W_xo!, W_ho!, b_o!, W_xc!, W_hc!, b_c!, W_hq, b_q];
  for (const param of params) param.attachGrad();
  return params;
}

/** d2l's `init_lstm_state`: `(H, C)`. */
export function initLstmState(batchSize: number, numHiddens: number): State {
  return [np.zeros([batchSize, numHiddens]), np.zeros([batchSize, numHiddens])];
}

/** d2l's `lstm`. */
export function lstm(inputs: A, state: State, params: A[]): [A, State] {
  const [W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q] = params as [A, A, A, A, A, A, A, A, A, A, A, A, A, A];
  let [H, C] = state as [A, A];
  const outputs: A[] = [];
  for (let t = 0; t < inputs.shape[0]!; t++) {
    const X = inputs.at(t);
    const I = npx.sigmoid(np.dot(X, W_xi).add(np.dot(H, W_hi)).add(b_i));
    const F = npx.sigmoid(np.dot(X, W_xf).add(np.dot(H, W_hf)).add(b_f));
    const O = npx.sigmoid(np.dot(X, W_xo).add(np.dot(H, W_ho)).add(b_o));
    const C_tilda = np.tanh(np.dot(X, W_xc).add(np.dot(H, W_hc)).add(b_c));
    C = F.mul(C).add(I.mul(C_tilda));
    H = O.mul(np.tanh(C));
    const Y = np.dot(H, W_hq).add(b_q);
    outputs.push(Y);
  }
  return [np.concatenate(outputs, 0), [H, C]];
}

/**
 * The model: d2l's `RNNModelScratch` is not a Block; the CLI model is the
 * concise counterpart over the same one-hot inputs, a `gluon.rnn.RNN` of 32
 * tanh units and a Dense to a vocabulary of 28 (the book's time machine).
 */
export default function build(): gluon.Block {
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.rnn.RNN(32, 1, { activation: 'tanh' }));
  net.initialize();
  return net;
}

/** Example input: one-hot steps [T, N, 28] (time major). */
export const inputs = { X: { shape: ['T', 'N', 28], dtype: 'float32' } };
