/**
 * MXNet's example/gluon/house_prices/kaggle_k_fold_cross_validation.py in
 * TypeScript (MXNet 2's `np` version): numeric features standardized,
 * categorical ones one-hot encoded with a column for N/A, missing values
 * filled with the column mean, then a 50-unit ReLU MLP trained with Adam on
 * L2 loss and scored by the RMSE of the logarithms, by k-fold cross
 * validation and on the whole training set.
 *
 * Departures: the table is a small seeded one the example draws itself
 * (`houseTable`: three numeric columns, one categorical, a few missing
 * values; a price from them) instead of Kaggle's CSV files, so pandas'
 * `get_dummies`/`fillna` are written out (`preprocess`); the defaults are
 * smaller (`--epochs 10`, `--verbose-epoch 7`); the predictions are printed,
 * not written to submission.csv.
 *
 * ```
 * npx tsx models/examples/house-prices.ts     # --k 5 --epochs 10 --lr 0.3 --wd 100 --batch-size 100 --seed 1
 * ```
 */
import { parseArgs } from 'node:util';
import { autograd, gluon, nd, np, random } from 'gluonc';
import { isMain, runMain } from './train-loop.js';

/** One house: numeric features (null: missing), a category (null: N/A) and, for training rows, the price. */
export interface House {
  area: number | null;
  rooms: number | null;
  age: number | null;
  zone: string | null;
  price?: number;
}

/** `n` seeded houses; the price grows with area and rooms, falls with age, and depends on the zone. */
export function houseTable(n: number, withPrice = true): House[] {
  const u = (): number => nd.random.uniform(0, 1, [1]).data()[0] as number;
  const zones = ['RL', 'RM', 'FV'];
  return Array.from({ length: n }, () => {
    const area = 800 + 2400 * u();
    const rooms = 2 + Math.floor(6 * u());
    const age = 60 * u();
    const zone = zones[Math.min(2, Math.floor(3 * u()))]!;
    const price = 50 * area + 8000 * rooms - 900 * age + { RL: 20000, RM: 0, FV: 40000 }[zone]! + 10000 * u();
    const missing = u();
    return {
      area: missing < 0.05 ? null : area,
      rooms,
      age: missing > 0.95 ? null : age,
      zone: missing > 0.1 && missing < 0.15 ? null : zone,
      ...(withPrice ? { price } : {}),
    };
  });
}

/**
 * pandas' steps of the script over the training and test rows together:
 * numeric columns `(x - mean) / std` (pandas' sample std, missing values
 * skipped), `get_dummies(dummy_na=True)` for the category (one column per
 * value in sorted order, then N/A), `fillna(mean)`; returns the feature rows.
 */
export function preprocess(all: House[]): number[][] {
  const numeric = (['area', 'rooms', 'age'] as const).map((k) => {
    const xs = all.map((h) => h[k]);
    const present = xs.filter((v): v is number => v !== null);
    const mean = present.reduce((a, b) => a + b, 0) / present.length;
    const std = Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / (present.length - 1));
    const z = xs.map((v) => (v === null ? null : (v - mean) / std));
    const zMean = z.filter((v): v is number => v !== null).reduce((a, b) => a + b, 0) / present.length;
    return z.map((v) => v ?? zMean);
  });
  const values = [...new Set(all.map((h) => h.zone).filter((z): z is string => z !== null))].sort();
  return all.map((h, i) => [...numeric.map((col) => col[i]!), ...values.map((v) => (h.zone === v ? 1 : 0)), h.zone === null ? 1 : 0]);
}

const squareLoss = new gluon.loss.L2Loss();

/** Gets root mse between the logarithms of the prediction and the truth. */
export function getRmseLog(net: gluon.Block, XTrain: nd.NDArray, yTrain: nd.NDArray): number {
  const numTrain = XTrain.shape[0]!;
  const clippedPreds = np.clip(net.call(XTrain) as nd.NDArray, 1, Infinity);
  return Math.sqrt(2 * np.sum(squareLoss.call(np.log(clippedPreds), np.log(yTrain)) as nd.NDArray).item() / numTrain);
}

/** Gets a neural network. Better results are obtained with modifications. */
export function getNet(): gluon.nn.Sequential {
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(50, { activation: 'relu' }));
  net.add(new gluon.nn.Dense(1));
  net.initialize();
  return net;
}

/** Trains the model; returns the last batch's training RMSE of the logarithms. */
export function train(net: gluon.Block, XTrain: nd.NDArray, yTrain: nd.NDArray, epochs: number, verboseEpoch: number, learningRate: number,
  weightDecay: number, batchSize: number, log: (line: string) => void = console.log): number {
  const datasetTrain = new gluon.data.ArrayDataset(XTrain, yTrain);
  const dataIterTrain = new gluon.data.DataLoader(datasetTrain, batchSize, { shuffle: true });
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate, wd: weightDecay });
  net.initialize(undefined, { forceReinit: true });
  let avgLoss = NaN;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [data, label] of dataIterTrain) {
      const loss = autograd.record(() => {
        const output = net.call(data) as nd.NDArray;
        return squareLoss.call(output, label) as nd.NDArray;
      });
      loss.backward();
      trainer.step(batchSize);
      avgLoss = getRmseLog(net, XTrain, yTrain);
    }
    if (epoch > verboseEpoch) log(`Epoch ${epoch}, train loss: ${avgLoss.toFixed(6)}`);
  }
  return avgLoss;
}

/** The rows of fold `i` of `k` (fold size `floor(n / k)`), and all the other folds' rows concatenated in order. */
export function kFoldSplit(X: nd.NDArray, y: nd.NDArray, k: number, testIdx: number): { XValTrain: nd.NDArray; yValTrain: nd.NDArray; XValTest: nd.NDArray; yValTest: nd.NDArray } {
  const foldSize = Math.floor(X.shape[0]! / k);
  const rows = (a: nd.NDArray, i: number) => a.sliceAxis(0, i * foldSize, (i + 1) * foldSize);
  const others = Array.from({ length: k }, (_, i) => i).filter((i) => i !== testIdx);
  return {
    XValTest: rows(X, testIdx),
    yValTest: rows(y, testIdx),
    XValTrain: np.concatenate(others.map((i) => rows(X, i)), 0),
    yValTrain: np.concatenate(others.map((i) => rows(y, i)), 0),
  };
}

/** Conducts k-fold cross validation for the model; returns the average training and test losses. */
export function kFoldCrossValid(k: number, epochs: number, verboseEpoch: number, XTrain: nd.NDArray, yTrain: nd.NDArray,
  learningRate: number, weightDecay: number, batchSize: number, log: (line: string) => void = console.log): [number, number] {
  if (!(k > 1)) throw new Error(`kFoldCrossValid: k must be more than 1, got ${k}`);
  let trainLossSum = 0.0;
  let testLossSum = 0.0;
  for (let testIdx = 0; testIdx < k; testIdx++) {
    const { XValTrain, yValTrain, XValTest, yValTest } = kFoldSplit(XTrain, yTrain, k, testIdx);
    const net = getNet();
    const trainLoss = train(net, XValTrain, yValTrain, epochs, verboseEpoch, learningRate, weightDecay, batchSize, log);
    trainLossSum += trainLoss;
    const testLoss = getRmseLog(net, XValTest, yValTest);
    log(`Test loss: ${testLoss.toFixed(6)}`);
    testLossSum += testLoss;
  }
  return [trainLossSum / k, testLossSum / k];
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      k: { type: 'string', default: '5' }, epochs: { type: 'string', default: '10' }, 'verbose-epoch': { type: 'string', default: '7' },
      lr: { type: 'string', default: '0.3' }, wd: { type: 'string', default: '100' }, 'batch-size': { type: 'string', default: '100' }, seed: { type: 'string', default: '1' },
    },
  });
  const num = (name: keyof typeof values): number => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number, got '${values[name]}'`);
    return v;
  };
  random.seed(num('seed'));
  const trainRows = houseTable(200);
  const testRows = houseTable(40, false);
  const allX = preprocess([...trainRows, ...testRows]);
  const numTrain = trainRows.length;
  const XTrain = np.array(allX.slice(0, numTrain));
  const XTest = np.array(allX.slice(numTrain));
  const yTrain = np.array(trainRows.map((h) => h.price!));
  const [k, epochs, verboseEpoch, learningRate, weightDecay, batchSize] = [num('k'), num('epochs'), num('verbose-epoch'), num('lr'), num('wd'), num('batch-size')];
  const [trainLoss, testLoss] = kFoldCrossValid(k, epochs, verboseEpoch, XTrain, yTrain, learningRate, weightDecay, batchSize);
  console.log(`${k}-fold validation: Avg train loss: ${trainLoss.toFixed(6)}, Avg test loss: ${testLoss.toFixed(6)}`);
  // learn(): train on every training row and predict the test rows.
  const net = getNet();
  train(net, XTrain, yTrain, epochs, verboseEpoch, learningRate, weightDecay, batchSize);
  const preds = (net.call(XTest) as nd.NDArray).reshape([-1]).toArray() as number[];
  console.log(`predicted prices of the ${preds.length} test houses: ${preds.slice(0, 5).map((p) => p.toFixed(0)).join(', ')}, ...`);
}

if (isMain(import.meta.url)) runMain('house-prices', () => main(process.argv.slice(2)));
