/**
 * d2l's "Optimization Algorithms" chapter (MXNet edition, 12.4–12.11),
 * ported literally: the from-scratch updaters of `train_ch11` (sgd,
 * sgd_momentum, adagrad, rmsprop, adadelta, adam, yogi) writing `params` and
 * `states` in place (`p[:] -= ...` is `p.sub(...).copyto(p)`), the concise
 * `train_concise_ch11` with `gluon.Trainer(net.collect_params(), name,
 * hyperparams)` and L2Loss, the airfoil-style regression data (generated,
 * seeded: d2l downloads NASA's airfoil table; here 5 standardized features
 * and a linear target with noise), and 12.11's scheduling helpers: d2l's own
 * `SquareRootScheduler` and the training loop that sets the rate per epoch
 * with `trainer.set_learning_rate(scheduler(epoch))`.
 */
import { autograd, gluon, init, lrScheduler, np, random, type nd } from 'gluonc';

const { nn } = gluon;
type NDArray = nd.NDArray;

/** The optimizer's hyper-parameters of d2l's from-scratch updaters (`lr`, `momentum`, `gamma`, `rho`, `t`). */
export type Hyperparams = Record<string, number>;
/** A from-scratch updater: `trainer_fn(params, states, hyperparams)`. */
export type TrainerFn = (params: NDArray[], states: NDArray[] | NDArray[][], hyperparams: Hyperparams) => void;

/**
 * d2l's `get_data_ch11` on generated data: `n` examples of 5 standardized
 * features (d2l standardizes the airfoil columns) and a linear target with
 * N(0, 0.1²) noise, cut into batches in order (d2l's `load_array` with
 * `is_train=True` shuffles; here the order is fixed so two trainers see the
 * same batches). Returns the batches and the feature count.
 */
export function getDataCh11(batchSize = 10, n = 1500, seed = 11): { dataIter: [NDArray, NDArray][]; featureDim: number } {
  random.seed(seed);
  const featureDim = 5;
  const X = np.random.normal(0, 1, [n, featureDim]);
  const trueW = np.array([[2], [-3.4], [1.5], [0.7], [-1.2]]);
  const y = np.dot(X, trueW).add(0.4).add(np.random.normal(0, 0.1, [n, 1])).reshape([n]);
  const dataIter: [NDArray, NDArray][] = [];
  for (let i = 0; i < n; i += batchSize) {
    const end = Math.min(i + batchSize, n);
    dataIter.push([X.slice([i], [end]), y.slice([i], [end])]);
  }
  return { dataIter, featureDim };
}

/** d2l's `linreg`: `X w + b`. */
export function linreg(X: NDArray, w: NDArray, b: NDArray): NDArray {
  return np.dot(X, w).add(b);
}

/** d2l's `squared_loss`: `(ŷ − y.reshape(ŷ.shape))² / 2`. */
export function squaredLoss(yHat: NDArray, y: NDArray): NDArray {
  return yHat.sub(y.reshape(yHat.shape)).square().div(2);
}

/** d2l's minibatch `sgd` (12.5): `p[:] -= lr * p.grad`. */
export function sgd(params: NDArray[], _states: unknown, hyperparams: Hyperparams): void {
  for (const p of params) p.sub(p.grad.mul(hyperparams['lr']!)).copyto(p);
}

/** One zero state per parameter, shaped `[featureDim, 1]` and `[1]` (d2l's `init_momentum_states`, `init_adagrad_states`, `init_rmsprop_states`). */
export function initStates(featureDim: number): NDArray[] {
  return [np.zeros([featureDim, 1]), np.zeros([1])];
}
export const initMomentumStates = initStates;
export const initAdagradStates = initStates;
export const initRmspropStates = initStates;

/** Two zero states per parameter (d2l's `init_adadelta_states`, `init_adam_states`). */
export function initStatePairs(featureDim: number): NDArray[][] {
  return [[np.zeros([featureDim, 1]), np.zeros([featureDim, 1])], [np.zeros([1]), np.zeros([1])]];
}
export const initAdadeltaStates = initStatePairs;
export const initAdamStates = initStatePairs;

/** d2l's `sgd_momentum` (12.6): `v[:] = momentum * v + p.grad; p[:] -= lr * v`. */
export function sgdMomentum(params: NDArray[], states: NDArray[], hyperparams: Hyperparams): void {
  params.forEach((p, i) => {
    const v = states[i]!;
    v.mul(hyperparams['momentum']!).add(p.grad).copyto(v);
    p.sub(v.mul(hyperparams['lr']!)).copyto(p);
  });
}

/** d2l's `adagrad` (12.7): `s[:] += p.grad²; p[:] -= lr * p.grad / sqrt(s + 1e-6)`. */
export function adagrad(params: NDArray[], states: NDArray[], hyperparams: Hyperparams): void {
  const eps = 1e-6;
  params.forEach((p, i) => {
    const s = states[i]!;
    s.add(np.square(p.grad)).copyto(s);
    p.sub(p.grad.mul(hyperparams['lr']!).div(np.sqrt(s.add(eps)))).copyto(p);
  });
}

/** d2l's `rmsprop` (12.8): `s[:] = γ s + (1 − γ) p.grad²; p[:] -= lr * p.grad / sqrt(s + 1e-6)`. */
export function rmsprop(params: NDArray[], states: NDArray[], hyperparams: Hyperparams): void {
  const [gamma, eps] = [hyperparams['gamma']!, 1e-6];
  params.forEach((p, i) => {
    const s = states[i]!;
    s.mul(gamma).add(np.square(p.grad).mul(1 - gamma)).copyto(s);
    p.sub(p.grad.mul(hyperparams['lr']!).div(np.sqrt(s.add(eps)))).copyto(p);
  });
}

/** d2l's `adadelta` (12.9): `s` and `delta` per parameter, ρ from `hyperparams`, ε 1e-5; no learning rate. */
export function adadelta(params: NDArray[], states: NDArray[][], hyperparams: Hyperparams): void {
  const [rho, eps] = [hyperparams['rho']!, 1e-5];
  params.forEach((p, i) => {
    const [s, delta] = states[i]! as [NDArray, NDArray];
    s.mul(rho).add(np.square(p.grad).mul(1 - rho)).copyto(s);
    const g = np.sqrt(delta.add(eps)).div(np.sqrt(s.add(eps))).mul(p.grad);
    p.sub(g).copyto(p);
    delta.mul(rho).add(g.mul(g).mul(1 - rho)).copyto(delta);
  });
}

/** d2l's `adam` (12.10): bias-corrected `v` and `s`, ε 1e-6 outside the square root of the corrected `s`; `hyperparams.t` counts up. */
export function adam(params: NDArray[], states: NDArray[][], hyperparams: Hyperparams): void {
  const [beta1, beta2, eps, t] = [0.9, 0.999, 1e-6, hyperparams['t']!];
  params.forEach((p, i) => {
    const [v, s] = states[i]! as [NDArray, NDArray];
    v.mul(beta1).add(p.grad.mul(1 - beta1)).copyto(v);
    s.mul(beta2).add(np.square(p.grad).mul(1 - beta2)).copyto(s);
    const vBiasCorr = v.div(1 - beta1 ** t);
    const sBiasCorr = s.div(1 - beta2 ** t);
    p.sub(vBiasCorr.mul(hyperparams['lr']!).div(np.sqrt(sBiasCorr).add(eps))).copyto(p);
  });
  hyperparams['t'] = t + 1;
}

/** d2l's `yogi` (12.10): Adam with `s += (1 − β2) sign(g² − s) g²`, ε 1e-3. */
export function yogi(params: NDArray[], states: NDArray[][], hyperparams: Hyperparams): void {
  const [beta1, beta2, eps, t] = [0.9, 0.999, 1e-3, hyperparams['t']!];
  params.forEach((p, i) => {
    const [v, s] = states[i]! as [NDArray, NDArray];
    v.mul(beta1).add(p.grad.mul(1 - beta1)).copyto(v);
    const g2 = np.square(p.grad);
    s.add(np.sign(g2.sub(s)).mul(g2).mul(1 - beta2)).copyto(s);
    const vBiasCorr = v.div(1 - beta1 ** t);
    const sBiasCorr = s.div(1 - beta2 ** t);
    p.sub(vBiasCorr.mul(hyperparams['lr']!).div(np.sqrt(sBiasCorr).add(eps))).copyto(p);
  });
  hyperparams['t'] = t + 1;
}

/** Starting weights for both trainers: `w` [featureDim, 1] and `b` [1] (d2l draws `w` from N(0, 0.01²), `b` zero). */
export interface LinregInit {
  w: NDArray;
  b: NDArray;
}

/**
 * d2l's `train_ch11`: `w`, `b` with attached gradients, `loss(net(X), y).mean()`
 * recorded, backward, then `trainer_fn([w, b], states, hyperparams)` per
 * batch. Returns the weights and the mean loss over the data after each epoch.
 */
export function trainCh11(trainerFn: TrainerFn, states: NDArray[] | NDArray[][], hyperparams: Hyperparams, dataIter: [NDArray, NDArray][], featureDim: number, numEpochs = 2, start?: LinregInit): { w: NDArray; b: NDArray; losses: number[] } {
  const w = start ? start.w.copy() : np.random.normal({ scale: 0.01, size: [featureDim, 1] });
  const b = start ? start.b.copy() : np.zeros([1]);
  w.attachGrad();
  b.attachGrad();
  const net = (X: NDArray) => linreg(X, w, b);
  const losses: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    for (const [X, y] of dataIter) {
      const l = autograd.record(() => squaredLoss(net(X), y).mean());
      l.backward();
      trainerFn([w, b], states, hyperparams);
    }
    losses.push(evaluateLoss(net, dataIter));
  }
  return { w, b, losses };
}

/** d2l's `evaluate_loss` with `squared_loss`: the mean loss over all batches. */
export function evaluateLoss(net: (X: NDArray) => NDArray, dataIter: [NDArray, NDArray][]): number {
  let [sum, count] = [0, 0];
  for (const [X, y] of dataIter) {
    sum += Number(squaredLoss(net(X), y).sum().item());
    count += y.size;
  }
  return sum / count;
}

/**
 * d2l's `train_concise_ch11`: `nn.Sequential` of one `Dense(1)` initialized
 * N(0, 0.01²), `gluon.Trainer(net.collect_params(), trName, hyperparams)`,
 * L2Loss, `trainer.step(X.shape[0])`. `start` sets the weights (the Dense's
 * weight is `w.T`). Returns the net, its trainer and the per-epoch losses.
 */
export function trainConciseCh11(trName: string, hyperparams: Record<string, unknown>, dataIter: [NDArray, NDArray][], numEpochs = 2, start?: LinregInit): { net: gluon.nn.Sequential; trainer: gluon.Trainer; losses: number[] } {
  const net = new nn.Sequential();
  net.add(new nn.Dense(1));
  net.initialize(new init.Normal({ sigma: 0.01 }));
  net.call(dataIter[0]![0]);
  if (start) {
    const dense = net.get<InstanceType<typeof nn.Dense>>(0);
    dense.weight.setData(start.w.T);
    dense.bias!.setData(start.b);
  }
  const trainer = new gluon.Trainer(net.collectParams(), trName, hyperparams);
  const loss = new gluon.loss.L2Loss();
  const losses: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    for (const [X, y] of dataIter) {
      const l = autograd.record(() => loss.call(net.call(X), y) as NDArray);
      l.backward();
      trainer.step(X.shape[0]!);
    }
    losses.push(evaluateLoss((X) => net.call(X) as NDArray, dataIter));
  }
  return { net, trainer, losses };
}

/** d2l's `SquareRootScheduler` (12.11): `lr · (num_update + 1)^(-1/2)`. */
export class SquareRootScheduler {
  constructor(readonly lr = 0.1) {}
  call(numUpdate: number): number {
    return this.lr * (numUpdate + 1.0) ** -0.5;
  }
}

/**
 * 12.11's `train` with a scheduler: minibatch steps with `trainer.step`, and
 * after each epoch, for a d2l scheduler (not one of `lr_scheduler`'s, which
 * the Trainer applies itself), `trainer.set_learning_rate(scheduler(epoch))`.
 * Returns the learning rate each epoch trained with.
 */
export function trainWithScheduler(net: gluon.Block, dataIter: [NDArray, NDArray][], numEpochs: number, trainer: gluon.Trainer, scheduler?: { call(epoch: number): number }): number[] {
  const loss = new gluon.loss.L2Loss();
  const lrs: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    lrs.push(trainer.learningRate);
    for (const [X, y] of dataIter) {
      const l = autograd.record(() => loss.call(net.call(X), y) as NDArray);
      l.backward();
      trainer.step(X.shape[0]!);
    }
    if (scheduler && !(scheduler instanceof lrScheduler.LRScheduler)) trainer.setLearningRate(scheduler.call(epoch));
  }
  return lrs;
}

/** As a CLI model file: `train_concise_ch11`'s net, Dense(1) over the 5 airfoil features. */
export default function build(): gluon.nn.Sequential {
  const net = new nn.Sequential();
  net.add(new nn.Dense(1, { inUnits: 5 }));
  net.initialize(new init.Normal({ sigma: 0.01 }));
  return net;
}

/** A batch of 5 features. */
export const inputs = { x: { shape: ['N', 5], dtype: 'float32' } };
