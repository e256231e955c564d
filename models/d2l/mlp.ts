/**
 * d2l's multilayer perceptrons chapter written with np/npx: the MLP "from
 * scratch" (its own parameters W1, b1, W2, b2, `relu(X) = np.maximum(X, 0)`,
 * `H = relu(np.dot(X, W1) + b1)`, `np.dot(H, W2) + b2`) and the dropout
 * section's net with `npx.dropout` after each hidden layer. Both are Gluon 2
 * style HybridBlocks (a `forward` of np/npx calls), so they hybridize; d2l's
 * `dropout_layer` from scratch is here too (eager).
 */
import { gluon, init, np, npx, type nd } from 'gluonc';

/** d2l's `relu`: `np.maximum(X, 0)`. Example: `relu(np.array([-1, 2]))` is `[0, 2]`. */
export function relu(x: nd.NDArray): nd.NDArray {
  return np.maximum(x, 0);
}

/**
 * d2l's `dropout_layer` from scratch: zeroes each element with probability
 * `dropout` and scales the others by 1 / (1 - dropout). Eager only: its mask
 * is drawn with `np.random.uniform`, which a trace would freeze into a
 * constant (hybridized code uses `npx.dropout`, whose seed is drawn per call).
 *
 * ```ts
 * dropoutLayer(np.arange(0, 16).reshape([2, 8]), 0.5); // each element 0 or doubled
 * ```
 */
export function dropoutLayer(X: nd.NDArray, dropout: number): nd.NDArray {
  if (!(dropout >= 0 && dropout <= 1)) throw new Error(`dropoutLayer: dropout must be in [0, 1], got ${dropout}`);
  if (dropout === 1) return np.zerosLike(X);
  if (dropout === 0) return X;
  const mask = np.greater(np.random.uniform(0, 1, X.shape as number[]), dropout);
  return mask.astype('float32').mul(X).div(1.0 - dropout);
}

/**
 * The MLP from scratch: 784 inputs, `numHiddens` hidden units with ReLU, 10 outputs;
 * weights drawn from N(0, 0.01²) and zero biases, as d2l's.
 *
 * ```ts
 * const net = new MLPScratch();
 * net.initialize();
 * net.call(np.random.uniform(0, 1, [2, 1, 28, 28])); // shape [2, 10]
 * ```
 */
export class MLPScratch extends gluon.HybridBlock {
  W1: gluon.Parameter;
  b1: gluon.Parameter;
  W2: gluon.Parameter;
  b2: gluon.Parameter;
  constructor(readonly numInputs = 784, numOutputs = 10, numHiddens = 256) {
    super();
    this.W1 = this.params.get('W1', { shape: [numInputs, numHiddens], init: new init.Normal(0.01) });
    this.b1 = this.params.get('b1', { shape: [numHiddens], init: new init.Zero() });
    this.W2 = this.params.get('W2', { shape: [numHiddens, numOutputs], init: new init.Normal(0.01) });
    this.b2 = this.params.get('b2', { shape: [numOutputs], init: new init.Zero() });
  }
  override forward(X: nd.NDArray): nd.NDArray {
    X = np.reshape(X, [-1, this.numInputs]);
    const H = relu(np.dot(X, this.W1.data()).add(this.b1.data()));
    return np.dot(H, this.W2.data()).add(this.b2.data());
  }
}

/**
 * The dropout section's net: two hidden layers with ReLU, `npx.dropout`
 * after each (rates 0.2 and 0.5) while training, identity when predicting.
 *
 * ```ts
 * autograd.record(() => net.call(x));   // dropout active
 * net.call(x);                          // deterministic
 * ```
 */
export class MLPDropout extends gluon.HybridBlock {
  hidden1 = new gluon.nn.Dense(256, { activation: 'relu' });
  hidden2 = new gluon.nn.Dense(256, { activation: 'relu' });
  output = new gluon.nn.Dense(10);
  constructor(readonly dropout1 = 0.2, readonly dropout2 = 0.5) {
    super();
  }
  override forward(X: nd.NDArray): nd.NDArray {
    let H = this.hidden1.call(np.reshape(X, [-1, 784]));
    H = npx.dropout(H, { p: this.dropout1 });
    H = this.hidden2.call(H);
    H = npx.dropout(H, { p: this.dropout2 });
    return this.output.call(H);
  }
}

/** The model: the MLP from scratch, initialized. */
export default function build(): MLPScratch {
  const net = new MLPScratch();
  net.initialize();
  return net;
}

/** Example input: a batch of flattened 28x28 images. */
export const inputs = { x: { shape: ['N', 784], dtype: 'float32' } };
