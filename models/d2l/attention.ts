/**
 * d2l's attention-scoring chapter (MXNet edition), ported literally:
 * `maskedSoftmax` (masking by `npx.sequenceMask` with -1e6), additive
 * attention and scaled dot-product attention as plain Blocks keeping their
 * last `attentionWeights`.
 */
import { gluon, np, npx, type nd } from 'gluonc';

const { nn } = gluon;

/**
 * d2l's `masked_softmax`: a softmax over the last axis that ignores the
 * positions at or past each valid length (`validLens` of shape [N] or [N, T]).
 *
 * ```ts
 * maskedSoftmax(np.random.uniform(0, 1, [2, 2, 4]), np.array([2, 3])); // rows sum to 1 over 2 and 3 positions
 * ```
 */
export function maskedSoftmax(X: nd.NDArray, validLens?: nd.NDArray): nd.NDArray {
  if (validLens === undefined) return npx.softmax(X);
  const shape = X.shape;
  if (validLens.ndim === 1) validLens = validLens.repeat(shape[1]!);
  else validLens = validLens.reshape(-1);
  // On the last axis, replace masked elements with a very large negative value, whose exponentiation outputs 0.
  X = npx.sequenceMask(X.reshape(-1, shape[shape.length - 1]!), validLens, true, { value: -1e6, axis: 1 });
  return npx.softmax(X).reshape(shape);
}

/**
 * d2l's additive attention: `w_vᵀ tanh(W_q q + W_k k)` scores, masked softmax,
 * then the weighted sum of the values.
 *
 * ```ts
 * const attention = new AdditiveAttention(8, 0.1); attention.initialize();
 * attention.call(queries, keys, values, validLens); // [N, Tq, V]
 * ```
 */
export class AdditiveAttention extends nn.Block {
  W_k: gluon.nn.Dense;
  W_q: gluon.nn.Dense;
  w_v: gluon.nn.Dense;
  dropout: gluon.nn.Dropout;
  attentionWeights: nd.NDArray | null = null;
  constructor(numHiddens: number, dropout: number) {
    super();
    // Use `flatten: false` to only transform the last axis so that the shapes for the other axes are kept the same
    this.W_k = new nn.Dense(numHiddens, { useBias: false, flatten: false });
    this.W_q = new nn.Dense(numHiddens, { useBias: false, flatten: false });
    this.w_v = new nn.Dense(1, { useBias: false, flatten: false });
    this.dropout = new nn.Dropout(dropout);
  }
  override forward(queries: nd.NDArray, keys: nd.NDArray, values: nd.NDArray, validLens?: nd.NDArray): nd.NDArray {
    [queries, keys] = [this.W_q.call(queries) as nd.NDArray, this.W_k.call(keys) as nd.NDArray];
    // queries: [N, Tq, 1, H] and keys: [N, 1, Tk, H] broadcast to [N, Tq, Tk, H]
    let features = np.expandDims(queries, { axis: 2 }).add(np.expandDims(keys, { axis: 1 }));
    features = np.tanh(features);
    const scores = np.squeeze(this.w_v.call(features) as nd.NDArray, { axis: -1 });
    this.attentionWeights = maskedSoftmax(scores, validLens);
    return npx.batchDot(this.dropout.call(this.attentionWeights) as nd.NDArray, values);
  }
}

/**
 * d2l's scaled dot-product attention: `q·kᵀ / √d` scores, masked softmax,
 * then the weighted sum of the values.
 *
 * ```ts
 * const attention = new DotProductAttention(0.5); attention.initialize();
 * attention.call(queries, keys, values, validLens); // [N, Tq, V]
 * ```
 */
export class DotProductAttention extends nn.Block {
  dropout: gluon.nn.Dropout;
  attentionWeights: nd.NDArray | null = null;
  constructor(dropout: number) {
    super();
    this.dropout = new nn.Dropout(dropout);
  }
  override forward(queries: nd.NDArray, keys: nd.NDArray, values: nd.NDArray, validLens?: nd.NDArray): nd.NDArray {
    const d = queries.shape[queries.shape.length - 1]!;
    // Set `transposeB: true` to swap the last two dimensions of `keys`
    const scores = npx.batchDot(queries, keys, { transposeB: true }).div(Math.sqrt(d));
    this.attentionWeights = maskedSoftmax(scores, validLens);
    return npx.batchDot(this.dropout.call(this.attentionWeights) as nd.NDArray, values);
  }
}

/** The model: additive attention over 10 keys of size 2, values of size 4. */
export default function build(): AdditiveAttention {
  const net = new AdditiveAttention(8, 0.1);
  net.initialize();
  return net;
}

/** Example inputs: d2l's queries [2, 1, 20], keys [2, 10, 2], values [2, 10, 4] and valid lengths [2]. */
export const inputs = {
  queries: { shape: [2, 1, 20], dtype: 'float32' },
  keys: { shape: [2, 10, 2], dtype: 'float32' },
  values: { shape: [2, 10, 4], dtype: 'float32' },
  validLens: { shape: [2], dtype: 'float32' },
};
