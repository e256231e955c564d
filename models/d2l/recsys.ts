/**
 * d2l's "Recommender Systems" chapter (MXNet edition, 21.3–21.10), ported
 * literally as `nn.Block`s with `forward` over `np`/`npx`: matrix
 * factorization (`MF`: user/item factor and bias Embeddings), item-based
 * `AutoRec` (the reconstruction masked by `np.sign(input)` while training),
 * the pairwise ranking losses `BPRLoss` and `HingeLossbRec`, `NeuMF` (GMF and
 * MLP paths, a sigmoid prediction layer), and factorization machines (`FM`,
 * `DeepFM`, sigmoid outputs as the book has them). The MovieLens/Criteo
 * downloads are replaced by `syntheticInteractions` (seeded ratings) and
 * `syntheticCtr` (seeded categorical fields, offset per field as d2l's
 * CTRDataset does). The training steps are d2l's `train_recsys_rating` /
 * `train_ranking` inner loops.
 */
import { autograd, gluon, init, np, npx, random, type nd } from 'gluonc';

const { nn } = gluon;
type NDArray = nd.NDArray;
type Embedding = InstanceType<typeof nn.Embedding>;
type Dense = InstanceType<typeof nn.Dense>;

/** d2l's `MF` (21.3): `(P_u · Q_i).sum(1) + b_u + b_i`. */
export class MF extends nn.Block {
  readonly P: Embedding;
  readonly Q: Embedding;
  readonly userBias: Embedding;
  readonly itemBias: Embedding;
  constructor(numFactors: number, numUsers: number, numItems: number) {
    super();
    this.P = new nn.Embedding({ inputDim: numUsers, outputDim: numFactors });
    this.Q = new nn.Embedding({ inputDim: numItems, outputDim: numFactors });
    this.userBias = new nn.Embedding(numUsers, 1);
    this.itemBias = new nn.Embedding(numItems, 1);
  }
  override forward(userId: NDArray, itemId: NDArray): NDArray {
    const Pu = this.P.call(userId) as NDArray;
    const Qi = this.Q.call(itemId) as NDArray;
    const bu = this.userBias.call(userId) as NDArray;
    const bi = this.itemBias.call(itemId) as NDArray;
    const outputs = Pu.mul(Qi).sum({ axis: 1 }).add(np.squeeze(bu)).add(np.squeeze(bi));
    // d2l: outputs.flatten() on an mx.np array is numpy's (1-D); gluonc's method flatten() is MXNet's Flatten ([N, 1])
    return np.ravel(outputs);
  }
}

/** d2l's `AutoRec` (21.4): a sigmoid encoder, dropout, a linear decoder; while training the output is masked by the observed entries. */
export class AutoRec extends nn.Block {
  readonly encoder: Dense;
  readonly decoder: Dense;
  readonly dropout: InstanceType<typeof nn.Dropout>;
  constructor(numHidden: number, numUsers: number, dropout = 0.05) {
    super();
    this.encoder = new nn.Dense(numHidden, { activation: 'sigmoid', useBias: true });
    this.decoder = new nn.Dense(numUsers, { useBias: true });
    this.dropout = new nn.Dropout(dropout);
  }
  override forward(input: NDArray): NDArray {
    const hidden = this.dropout.call(this.encoder.call(input)) as NDArray;
    const pred = this.decoder.call(hidden) as NDArray;
    if (autograd.isTraining()) return pred.mul(np.sign(input)); // Mask the gradient during training
    return pred;
  }
}

/** d2l's `BPRLoss` (21.5): `−Σ log σ(positive − negative)` over the batch axis, kept. */
export class BPRLoss extends gluon.loss.Loss {
  constructor() {
    super({ weight: null, batchAxis: 0 });
  }
  override forward(positive: NDArray, negative: NDArray): NDArray {
    const distances = positive.sub(negative);
    return np.sum(np.log(npx.sigmoid(distances)), 0, true).negative();
  }
}

/** d2l's `HingeLossbRec` (21.5): `Σ max(margin − (positive − negative), 0)`. */
export class HingeLossbRec extends gluon.loss.Loss {
  constructor() {
    super({ weight: null, batchAxis: 0 });
  }
  override forward(positive: NDArray, negative: NDArray, margin = 1): NDArray {
    const distances = positive.sub(negative);
    return np.sum(np.maximum(distances.negative().add(margin), 0));
  }
}

/** d2l's `NeuMF` (21.6): GMF (`P_u ⊙ Q_i`) and an MLP over `[U_u, V_i]`, concatenated into a sigmoid Dense(1) without bias. */
export class NeuMF extends nn.Block {
  readonly P: Embedding;
  readonly Q: Embedding;
  readonly U: Embedding;
  readonly V: Embedding;
  readonly mlp: InstanceType<typeof nn.Sequential>;
  readonly predictionLayer: Dense;
  constructor(numFactors: number, numUsers: number, numItems: number, numsHiddens: number[]) {
    super();
    this.P = new nn.Embedding(numUsers, numFactors);
    this.Q = new nn.Embedding(numItems, numFactors);
    this.U = new nn.Embedding(numUsers, numFactors);
    this.V = new nn.Embedding(numItems, numFactors);
    this.mlp = new nn.Sequential();
    for (const numHiddens of numsHiddens) this.mlp.add(new nn.Dense(numHiddens, { activation: 'relu', useBias: true }));
    this.predictionLayer = new nn.Dense(1, { activation: 'sigmoid', useBias: false });
  }
  override forward(userId: NDArray, itemId: NDArray): NDArray {
    const pMf = this.P.call(userId) as NDArray;
    const qMf = this.Q.call(itemId) as NDArray;
    const gmf = pMf.mul(qMf);
    const pMlp = this.U.call(userId) as NDArray;
    const qMlp = this.V.call(itemId) as NDArray;
    const mlp = this.mlp.call(np.concatenate([pMlp, qMlp], { axis: 1 })) as NDArray;
    const conRes = np.concatenate([gmf, mlp], { axis: 1 });
    return this.predictionLayer.call(conRes) as NDArray;
  }
}

/** d2l's `FM` (21.9): a linear term over per-feature weights plus the pairwise term `½ Σ_f ((Σ_i v_if)² − Σ_i v_if²)`, through a sigmoid. */
export class FM extends nn.Block {
  readonly embedding: Embedding;
  readonly fc: Embedding;
  readonly linearLayer: Dense;
  constructor(fieldDims: number[], numFactors: number) {
    super();
    const numInputs = fieldDims.reduce((a, b) => a + b, 0);
    this.embedding = new nn.Embedding(numInputs, numFactors);
    this.fc = new nn.Embedding(numInputs, 1);
    this.linearLayer = new nn.Dense(1, { useBias: true });
  }
  override forward(x: NDArray): NDArray {
    const squareOfSum = np.sum(this.embedding.call(x) as NDArray, { axis: 1 }).power(2);
    const sumOfSquare = np.sum((this.embedding.call(x) as NDArray).power(2), { axis: 1 });
    const y = (this.linearLayer.call((this.fc.call(x) as NDArray).sum(1)) as NDArray)
      .add(squareOfSum.sub(sumOfSquare).sum(1, true).mul(0.5));
    return npx.sigmoid(y);
  }
}

/** d2l's `DeepFM` (21.10): FM's terms plus an MLP (Dense relu, Dropout; Dense(1)) over the flattened field embeddings, through a sigmoid. */
export class DeepFM extends nn.Block {
  readonly embedding: Embedding;
  readonly fc: Embedding;
  readonly linearLayer: Dense;
  readonly embedOutputDim: number;
  readonly mlp: InstanceType<typeof nn.Sequential>;
  constructor(fieldDims: number[], numFactors: number, mlpDims: number[], dropRate = 0.1) {
    super();
    const numInputs = fieldDims.reduce((a, b) => a + b, 0);
    this.embedding = new nn.Embedding(numInputs, numFactors);
    this.fc = new nn.Embedding(numInputs, 1);
    this.linearLayer = new nn.Dense(1, { useBias: true });
    let inputDim = (this.embedOutputDim = fieldDims.length * numFactors);
    this.mlp = new nn.Sequential();
    for (const dim of mlpDims) {
      this.mlp.add(new nn.Dense(dim, 'relu', true, { inUnits: inputDim }));
      this.mlp.add(new nn.Dropout({ rate: dropRate }));
      inputDim = dim;
    }
    this.mlp.add(new nn.Dense({ inUnits: inputDim, units: 1 }));
  }
  override forward(x: NDArray): NDArray {
    const embedX = this.embedding.call(x) as NDArray;
    const squareOfSum = np.sum(embedX, { axis: 1 }).power(2);
    const sumOfSquare = np.sum(embedX.power(2), { axis: 1 });
    const inputs = np.reshape(embedX, [-1, this.embedOutputDim]);
    const y = (this.linearLayer.call((this.fc.call(x) as NDArray).sum(1)) as NDArray)
      .add(squareOfSum.sub(sumOfSquare).sum(1, true).mul(0.5))
      .add(this.mlp.call(inputs) as NDArray);
    return npx.sigmoid(y);
  }
}

/**
 * Seeded explicit feedback in place of MovieLens 100K: `numRatings` (user,
 * item, rating) triples, ratings 1..5 from a low-rank score (so MF can learn
 * them), users and items int32 (d2l's `split_and_load_ml100k` gives ids from 0).
 */
export function syntheticInteractions(numUsers = 20, numItems = 30, numRatings = 200, seed = 7): { users: NDArray; items: NDArray; ratings: NDArray } {
  random.seed(seed);
  const U = (np.random.normal(0, 1, [numUsers, 3]).toArray() as number[][]).flat();
  const I = (np.random.normal(0, 1, [numItems, 3]).toArray() as number[][]).flat();
  const pick = (np.random.uniform(0, 1, [numRatings, 2]).toArray() as number[][]).flat();
  const [users, items, ratings]: number[][] = [[], [], []];
  for (let k = 0; k < numRatings; k++) {
    const u = Math.floor(pick[2 * k]! * numUsers);
    const i = Math.floor(pick[2 * k + 1]! * numItems);
    let s = 3;
    for (let f = 0; f < 3; f++) s += U[3 * u + f]! * I[3 * i + f]!;
    users.push(u);
    items.push(i);
    ratings.push(Math.min(5, Math.max(1, Math.round(s))));
  }
  return { users: np.array(users, { dtype: 'int32' }), items: np.array(items, { dtype: 'int32' }), ratings: np.array(ratings) };
}

/** d2l's `load_data_ml100k` interaction matrix for AutoRec: items × users, 0 where unrated. */
export function interactionMatrix(users: NDArray, items: NDArray, ratings: NDArray, numUsers: number, numItems: number): NDArray {
  const m = new Float32Array(numItems * numUsers);
  const [u, i, r] = [users.data(), items.data(), ratings.data()];
  for (let k = 0; k < u.length; k++) m[Number(i[k]) * numUsers + Number(u[k])] = Number(r[k]);
  return np.array(m, { shape: [numItems, numUsers] } as never);
}

/** Seeded CTR records in place of d2l's Criteo sample: `fieldDims` categorical fields, each value offset by the fields before it (CTRDataset's `offsets`), and a click label. */
export function syntheticCtr(fieldDims: number[], n = 64, seed = 9): { x: NDArray; y: NDArray } {
  random.seed(seed);
  const u = (np.random.uniform(0, 1, [n, fieldDims.length + 1]).toArray() as number[][]).flat();
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < n; k++) {
    let offset = 0;
    let score = 0;
    fieldDims.forEach((d, f) => {
      const v = Math.floor(u[k * (fieldDims.length + 1) + f]! * d);
      x.push(offset + v);
      score += v % 2 === 0 ? 1 : -1;
      offset += d;
    });
    y.push(score + (u[k * (fieldDims.length + 1) + fieldDims.length]! - 0.5) * 2 > 0 ? 1 : 0);
  }
  return { x: np.array(x, { dtype: 'int32', shape: [n, fieldDims.length] } as never), y: np.array(y, { shape: [n, 1] } as never) };
}

/** One step of d2l's `train_recsys_rating` (L2 loss on `net(users, items)` vs ratings); returns the summed loss. */
export function ratingStep(net: gluon.Block, loss: gluon.Block, trainer: gluon.Trainer, users: NDArray, items: NDArray, ratings: NDArray): number {
  const l = autograd.record(() => loss.call(net.call(users, items), ratings) as NDArray);
  l.backward();
  trainer.step(users.shape[0]!);
  return Number(l.sum().item());
}

/**
 * d2l's `train_recsys_rating` on one device: each batch of `trainIter` is
 * `[users, items, ratings]` (MF) or one array (AutoRec, the label being the
 * input); `net(*features)` and `loss(pred, label)` recorded, backward,
 * `trainer.step(values[0].shape[0])`. Returns the mean loss of each epoch.
 */
export function trainRecsysRating(net: gluon.Block, trainIter: Iterable<unknown>, loss: gluon.Block, trainer: gluon.Trainer, numEpochs: number): number[] {
  const epochs: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    let [l, n] = [0, 0];
    for (const batch of trainIter) {
      const values = (Array.isArray(batch) ? batch : [batch]) as NDArray[];
      const trainFeat = values.length > 1 ? values.slice(0, -1) : values;
      const trainLabel = values[values.length - 1]!;
      const ls = autograd.record(() => loss.call(net.call(...trainFeat), trainLabel) as NDArray);
      ls.backward();
      l += Number(ls.mean().item());
      n += 1;
      trainer.step(values[0]!.shape[0]!);
    }
    epochs.push(l / n);
  }
  return epochs;
}

/** One step of d2l's `train_ranking`: `loss(net(u, i), net(u, neg))`; returns the loss. */
export function rankingStep(net: gluon.Block, loss: gluon.Block, trainer: gluon.Trainer, users: NDArray, items: NDArray, negItems: NDArray): number {
  const l = autograd.record(() => {
    const pPos = net.call(users, items) as NDArray;
    const pNeg = net.call(users, negItems) as NDArray;
    return loss.call(pPos, pNeg) as NDArray;
  });
  l.backward();
  trainer.step(users.shape[0]!);
  return Number(l.sum().item());
}

/** d2l's `hit_and_auc`: hits of the test items among the first `k` ranked, and the AUC from the first hit's rank. */
export function hitAndAuc(rankedlist: number[], testMatrix: number[], k: number): [number, number] {
  const test = new Set(testMatrix);
  const hitsK = rankedlist.slice(0, k).filter((val) => test.has(val));
  const hitsAll = rankedlist.map((val, idx) => [idx, val] as const).filter(([, val]) => test.has(val));
  const max = rankedlist.length - 1;
  const auc = hitsAll.length > 0 ? (1.0 * (max - hitsAll[0]![0])) / max : 0;
  return [hitsK.length, auc];
}

/**
 * d2l's `evaluate_ranking` (without sequences): for each user, score every
 * item not among `candidates[u]` with `net(users, items)` over a DataLoader
 * (`shuffle=False, last_batch='keep'`, batch 1024), rank them (stable,
 * highest first) and average `hit_and_auc` at 50 against `testInput[u]`.
 * As the book, the item set is `range(num_users)`.
 */
export function evaluateRanking(net: gluon.Block, testInput: Record<number, number[]>, candidates: Record<number, number[]>, numUsers: number, _numItems: number): [number, number] {
  const [hitRate, auc]: number[][] = [[], []];
  const allItems = Array.from({ length: numUsers }, (_, i) => i);
  for (let u = 0; u < numUsers; u++) {
    const seen = new Set(candidates[u] ?? []);
    const itemIds = allItems.filter((i) => !seen.has(i));
    const userIds = itemIds.map(() => u);
    const testDataIter = new gluon.data.DataLoader(new gluon.data.ArrayDataset(np.array(userIds), np.array(itemIds)), { shuffle: false, lastBatch: 'keep', batchSize: 1024 });
    const scores: number[] = [];
    for (const values of testDataIter) scores.push(...((net.call(...(values as NDArray[])) as NDArray).toArray() as number[][]).flat());
    const ranked = itemIds.map((item, k) => [item, scores[k]!] as const).sort((a, b) => b[1] - a[1]);
    const [h, a] = hitAndAuc(ranked.map((r) => r[0]), testInput[u] ?? [], 50);
    hitRate.push(h);
    auc.push(a);
  }
  const mean = (xs: number[]) => xs.reduce((p, q) => p + q, 0) / xs.length;
  return [mean(hitRate), mean(auc)];
}

/** As a CLI model file: a small NeuMF (40 users, 50 items, 8 factors, hiddens [8, 8]) scoring (user, item) pairs. */
export default function build(): NeuMF {
  const net = new NeuMF(8, 40, 50, [8, 8]);
  net.initialize(new init.Normal(0.01));
  net.call(np.zeros([1], { dtype: 'int32' }), np.zeros([1], { dtype: 'int32' }));
  return net;
}

/** User and item ids. */
export const inputs = { user: { shape: ['N'], dtype: 'int32' }, item: { shape: ['N'], dtype: 'int32' } };
