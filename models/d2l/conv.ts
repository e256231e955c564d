/**
 * d2l's convolutional-networks chapter written with np/npx: `corr2d` (the
 * cross-correlation as d2l's loop over output positions, each
 * `(X[i:i+h, j:j+w] * K).sum()`), the `Conv2D` layer built on it,
 * multi-channel `corr2dMultiIn`/`corr2dMultiInOut`, `pool2d`, and LeNet
 * written with `npx.convolution`, `npx.pooling` and `npx.fullyConnected`.
 * The blocks are Gluon 2 style HybridBlocks (a `forward` of np/npx calls).
 * The loops read only shapes, never values, so they trace as well.
 */
import { gluon, init, np, npx, type nd } from 'gluonc';

function window(X: nd.NDArray, i: number, j: number, h: number, w: number): nd.NDArray {
  return X.slice({ begin: [i, j], end: [i + h, j + w] });
}

function grid(X: nd.NDArray, h: number, w: number, cell: (win: nd.NDArray) => nd.NDArray): nd.NDArray {
  const [H, W] = X.shape as number[];
  const rows: nd.NDArray[] = [];
  for (let i = 0; i < H! - h + 1; i++) {
    const row: nd.NDArray[] = [];
    for (let j = 0; j < W! - w + 1; j++) row.push(cell(window(X, i, j, h, w)));
    rows.push(np.stack(row));
  }
  return np.stack(rows);
}

/**
 * The 2-D cross-correlation of `X` [H, W] with the kernel `K` [h, w] (d2l's `corr2d`).
 *
 * ```ts
 * corr2d(np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]]), np.array([[0, 1], [2, 3]])); // [[19, 25], [37, 43]]
 * ```
 */
export function corr2d(X: nd.NDArray, K: nd.NDArray): nd.NDArray {
  const [h, w] = K.shape as number[];
  return grid(X, h!, w!, (win) => np.sum(np.multiply(win, K)));
}

/**
 * Cross-correlation summed over input channels: `X` [C, H, W], `K` [C, h, w] (d2l's `corr2d_multi_in`).
 *
 * ```ts
 * corr2dMultiIn(X, K); // [H - h + 1, W - w + 1]
 * ```
 */
export function corr2dMultiIn(X: nd.NDArray, K: nd.NDArray): nd.NDArray {
  const c = X.shape[0] as number;
  const xs = np.split(X, c);
  const ks = np.split(K, c);
  return xs.map((x, i) => corr2d(np.squeeze(x, 0), np.squeeze(ks[i]!, 0))).reduce((a, b) => np.add(a, b));
}

/**
 * One output channel per kernel of `K` [Co, C, h, w] (d2l's `corr2d_multi_in_out`).
 *
 * ```ts
 * corr2dMultiInOut(X, np.stack([K, K.add(1), K.add(2)])); // [3, H - h + 1, W - w + 1]
 * ```
 */
export function corr2dMultiInOut(X: nd.NDArray, K: nd.NDArray): nd.NDArray {
  return np.stack(np.split(K, K.shape[0] as number).map((k) => corr2dMultiIn(X, np.squeeze(k, 0))));
}

/**
 * Max or average pooling of `X` [H, W] over `poolSize` windows, stride 1 (d2l's `pool2d`).
 *
 * ```ts
 * pool2d(np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]]), [2, 2]);          // [[4, 5], [7, 8]]
 * pool2d(np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]]), [2, 2], 'avg');   // [[2, 3], [5, 6]]
 * ```
 */
export function pool2d(X: nd.NDArray, poolSize: [number, number], mode: 'max' | 'avg' = 'max'): nd.NDArray {
  return grid(X, poolSize[0], poolSize[1], (win) => (mode === 'max' ? np.max(win) : np.mean(win)));
}

/**
 * d2l's `Conv2D` layer: `corr2d(x, weight) + bias`, a kernel of `kernelSize` and a scalar bias.
 *
 * ```ts
 * const conv = new Conv2D([1, 2]);
 * conv.initialize();
 * conv.call(np.ones([6, 8])); // [6, 7]
 * ```
 */
export class Conv2D extends gluon.HybridBlock {
  weight: gluon.Parameter;
  bias: gluon.Parameter;
  constructor(kernelSize: [number, number]) {
    super();
    this.weight = this.params.get('weight', { shape: kernelSize });
    this.bias = this.params.get('bias', { shape: [1] });
  }
  override forward(x: nd.NDArray): nd.NDArray {
    return corr2d(x, this.weight.data()).add(this.bias.data());
  }
}

/**
 * LeNet-5 as d2l builds it (sigmoid activations, average pooling), written
 * with npx operators on the block's own parameters (MXNet's names).
 *
 * ```ts
 * const net = new LeNet();
 * net.initialize(new init.Xavier());
 * net.call(np.random.uniform(0, 1, [2, 1, 28, 28])); // [2, 10]
 * ```
 */
export class LeNet extends gluon.HybridBlock {
  conv1_weight = this.params.get('conv1_weight', { shape: [6, 1, 5, 5] });
  conv1_bias = this.params.get('conv1_bias', { shape: [6], init: new init.Zero() });
  conv2_weight = this.params.get('conv2_weight', { shape: [16, 6, 5, 5] });
  conv2_bias = this.params.get('conv2_bias', { shape: [16], init: new init.Zero() });
  fc1_weight = this.params.get('fc1_weight', { shape: [120, 400] });
  fc1_bias = this.params.get('fc1_bias', { shape: [120], init: new init.Zero() });
  fc2_weight = this.params.get('fc2_weight', { shape: [84, 120] });
  fc2_bias = this.params.get('fc2_bias', { shape: [84], init: new init.Zero() });
  fc3_weight = this.params.get('fc3_weight', { shape: [10, 84] });
  fc3_bias = this.params.get('fc3_bias', { shape: [10], init: new init.Zero() });

  override forward(x: nd.NDArray): nd.NDArray {
    const pool = (h: nd.NDArray) => npx.pooling(h, { kernel: [2, 2], stride: [2, 2], poolType: 'avg' });
    let h = npx.sigmoid(npx.convolution(x, this.conv1_weight.data(), this.conv1_bias.data(), { kernel: [5, 5], pad: [2, 2], numFilter: 6 }));
    h = pool(h);
    h = pool(npx.sigmoid(npx.convolution(h, this.conv2_weight.data(), this.conv2_bias.data(), { kernel: [5, 5], numFilter: 16 })));
    h = npx.sigmoid(npx.fullyConnected(h, this.fc1_weight.data(), this.fc1_bias.data(), { numHidden: 120 }));
    h = npx.sigmoid(npx.fullyConnected(h, this.fc2_weight.data(), this.fc2_bias.data(), { numHidden: 84 }));
    return npx.fullyConnected(h, this.fc3_weight.data(), this.fc3_bias.data(), { numHidden: 10 });
  }
}

/** The model: LeNet with npx, Xavier-initialized. */
export default function build(): LeNet {
  const net = new LeNet();
  net.initialize(new init.Xavier());
  return net;
}

/** Example input: a batch of 28x28 grey images. */
export const inputs = { x: { shape: ['N', 1, 28, 28], dtype: 'float32' } };
