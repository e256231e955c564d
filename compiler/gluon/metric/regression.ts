/** Regression and probability metrics (MXNet 2's `gluon.metric`): MAE, MSE, RMSE, CrossEntropy, Perplexity, PearsonCorrelation. */
import { showValue } from '../show-value.js';
import { EvalMetric, NAME_ARGS, checkSize, shapeText, type Host } from './base.js';
import { asClass } from './classification.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Per-sample mean of `f(label - pred)` over each sample's elements, summed (MXNet's MAE/MSE). */
function perSample(metric: EvalMetric, name: string, label: Host, pred: Host, f: (d: number) => number): void {
  checkSize(name, label, pred, label.v.length, pred.v.length);
  const n = label.shape.length ? label.shape[0]! : 1;
  const per = n ? label.v.length / n : 0;
  let total = 0;
  for (let s = 0; s < n; s++) {
    let acc = 0;
    for (let j = 0; j < per; j++) acc += f(label.v[s * per + j]! - pred.v[s * per + j]!);
    total += acc / per;
  }
  metric.sumMetric += total;
  metric.numInst += n;
}

/**
 * Mean absolute error per sample, averaged over samples (MXNet's `MAE`).
 * Label and prediction must have the same number of elements (`[N]` and
 * `[N, 1]` pair up; MXNet 2 would broadcast them to `[N, N]`).
 *
 * ```ts
 * const mae = new metric.MAE();
 * mae.update(nd.array([2.5, 0, 2, 8]), nd.array([3, -0.5, 2, 7]));
 * mae.get(); // ['mae', 0.5]
 * ```
 */
export class MAE extends EvalMetric {
  constructor(...args: OptionArgs<{ name?: string }, typeof NAME_ARGS>) {
    const options = bindOptions<{ name?: string }>(new.target.name, NAME_ARGS, args);
    super(options.name ?? 'mae');
    checkOptions(new.target.name, options, ['name']);
  }

  protected updateOne(label: Host, pred: Host): void {
    perSample(this, 'MAE', label, pred, Math.abs);
  }
}

/**
 * Mean squared error per sample, averaged over samples (MXNet's `MSE`).
 *
 * ```ts
 * const mse = new metric.MSE();
 * mse.update(nd.array([2.5, 0, 2, 8]), nd.array([3, -0.5, 2, 7]));
 * mse.get(); // ['mse', 0.375]
 * ```
 */
export class MSE extends EvalMetric {
  constructor(...args: OptionArgs<{ name?: string }, typeof NAME_ARGS>) {
    const options = bindOptions<{ name?: string }>(new.target.name, NAME_ARGS, args);
    super(options.name ?? 'mse');
    checkOptions(new.target.name, options, ['name']);
  }

  protected updateOne(label: Host, pred: Host): void {
    perSample(this, this.constructor.name, label, pred, (d) => d * d);
  }
}

/**
 * The square root of the MSE over all updates (MXNet 2's `RMSE`).
 *
 * ```ts
 * const rmse = new metric.RMSE();
 * rmse.update(nd.array([2.5, 0, 2, 8]), nd.array([3, -0.5, 2, 7]));
 * rmse.get(); // ['rmse', 0.6124]
 * ```
 */
export class RMSE extends MSE {
  constructor(...args: OptionArgs<{ name?: string }, typeof NAME_ARGS>) {
    const options = bindOptions<{ name?: string }>('RMSE', NAME_ARGS, args);
    super({ name: options.name ?? 'rmse' });
    checkOptions('RMSE', options, ['name']);
  }

  /** The root of the mean of the sums (the local ones, or the global ones in `getGlobal`). */
  protected override valueFrom(sum: number, num: number): number {
    return Math.sqrt(super.valueFrom(sum, num));
  }
}

/** Options of CrossEntropy and Perplexity. */
export interface CrossEntropyOptions {
  name?: string;
  /** The floor of a probability before its log (default 1e-12). */
  eps?: number;
  /** Labels equal to it are not counted (default none). */
  ignoreLabel?: number | null;
  /** The class axis of the predictions (default -1). */
  axis?: number;
  /** The predictions are logits: softmax along `axis` first (default false). */
  fromLogits?: boolean;
}

/** MXNet's positional parameters of CrossEntropy and Perplexity, in its order (MXNet's Perplexity requires ignore_label; here it defaults to null). */
const CROSS_ENTROPY_ARGS = ['eps?', 'name?'] as const;
const PERPLEXITY_ARGS = ['ignoreLabel?', 'axis?', 'name?'] as const;

/**
 * Mean negative log-probability of the label's class (MXNet 2's
 * `CrossEntropy`): `-log(max(eps, p[label]))` per counted label. A label
 * that is not a class index (and not `ignoreLabel`) is an Error, where
 * MXNet's pick would clip it.
 *
 * ```ts
 * const ce = new metric.CrossEntropy();
 * ce.update(nd.array([0, 1, 1]), nd.array([[0.3, 0.7], [0, 1], [0.4, 0.6]]));
 * ce.get(); // ['cross-entropy', 0.5716]
 * ```
 */
export class CrossEntropy extends EvalMetric {
  /** The class's positional parameters and default name (Perplexity sets its own). */
  protected static readonly positional: readonly string[] = CROSS_ENTROPY_ARGS;
  protected static readonly defaultName: string = 'cross-entropy';
  readonly eps: number;
  readonly ignoreLabel: number | null;
  readonly axis: number;
  readonly fromLogits: boolean;

  constructor(...args: OptionArgs<CrossEntropyOptions, typeof CROSS_ENTROPY_ARGS>) {
    const cls = new.target as unknown as { name: string; positional: readonly string[]; defaultName: string };
    const options = bindOptions<CrossEntropyOptions>(cls.name, cls.positional, args);
    super(options.name ?? cls.defaultName);
    checkOptions(new.target.name, options, ['name', 'eps', 'ignoreLabel', 'axis', 'fromLogits']);
    const what = this.constructor.name;
    this.eps = options.eps ?? 1e-12;
    if (typeof this.eps !== 'number' || !(this.eps >= 0)) throw new Error(`${what}: eps must be a non-negative number, got ${showValue(this.eps)}`);
    this.ignoreLabel = options.ignoreLabel ?? null;
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new Error(`${what}: axis must be an integer, got ${showValue(this.axis)}`);
    this.fromLogits = options.fromLogits ?? false;
  }

  protected updateOne(label: Host, pred: Host): void {
    const what = this.constructor.name;
    const ax = this.axis < 0 ? this.axis + pred.shape.length : this.axis;
    if (ax < 0 || ax >= pred.shape.length) throw new Error(`${what}: axis ${this.axis} is out of range for predictions of shape ${shapeText(pred.shape)}`);
    const k = pred.shape[ax]!;
    const inner = pred.shape.slice(ax + 1).reduce((a, d) => a * d, 1);
    const outer = pred.shape.slice(0, ax).reduce((a, d) => a * d, 1);
    if (label.v.length !== outer * inner) throw new Error(`${what}.update: label of shape ${shapeText(label.shape)} does not match prediction of shape ${shapeText(pred.shape)} (one label per prediction along axis ${this.axis})`);
    let loss = 0;
    let num = 0;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const lv = label.v[o * inner + i]!;
        if (this.ignoreLabel !== null && lv === this.ignoreLabel) continue;
        const c = asClass(lv);
        if (!(c >= 0 && c < k)) throw new Error(`${what}.update: label ${showValue(lv)} is not a class index in [0, ${k})`);
        const at = (j: number) => pred.v[o * k * inner + j * inner + i]!;
        let p = at(c);
        if (this.fromLogits) {
          let m = -Infinity;
          for (let j = 0; j < k; j++) m = Math.max(m, at(j));
          let z = 0;
          for (let j = 0; j < k; j++) z += Math.exp(at(j) - m);
          p = Math.exp(at(c) - m) / z;
        }
        loss -= Math.log(Number.isNaN(p) ? NaN : Math.max(this.eps, p));
        num++;
      }
    }
    this.sumMetric += loss;
    this.numInst += num;
  }
}

/**
 * `exp` of the cross-entropy (MXNet 2's `Perplexity`).
 *
 * ```ts
 * const perp = new metric.Perplexity();
 * perp.update(nd.array([0, 1, 1]), nd.array([[0.3, 0.7], [0, 1], [0.4, 0.6]]));
 * perp.get(); // ['perplexity', 1.7711]
 * ```
 */
export class Perplexity extends CrossEntropy {
  protected static override readonly positional: readonly string[] = PERPLEXITY_ARGS;
  protected static override readonly defaultName: string = 'perplexity';

  constructor(...args: OptionArgs<CrossEntropyOptions, typeof PERPLEXITY_ARGS>) {
    super(...(args as unknown as OptionArgs<CrossEntropyOptions, typeof CROSS_ENTROPY_ARGS>));
  }

  /** `exp` of the mean of the sums (MXNet 1.x's get and get_global alike). */
  protected override valueFrom(sum: number, num: number): number {
    return Math.exp(super.valueFrom(sum, num));
  }
}

/**
 * Pearson's correlation of all labels and predictions seen (MXNet 2's
 * `PearsonCorrelation`, Welford's running sums); shapes must be equal.
 * The sums are kept twice: `get()` reads those since `resetLocal()`,
 * `getGlobal()` those since `reset()`.
 *
 * ```ts
 * const r = new metric.PearsonCorrelation();
 * r.update(nd.array([[1, 0], [0, 1], [0, 1]]), nd.array([[0.3, 0.7], [0, 1], [0.4, 0.6]]));
 * r.get(); // ['pearsonr', 0.4216]
 * ```
 */
export class PearsonCorrelation extends EvalMetric {
  /** Running moments since `resetLocal` / `reset` (local) and since `reset` (global). */
  private moments = noMoments();
  private globalMoments = noMoments();

  constructor(...args: OptionArgs<{ name?: string }, typeof NAME_ARGS>) {
    const options = bindOptions<{ name?: string }>(new.target.name, NAME_ARGS, args);
    super(options.name ?? 'pearsonr');
    checkOptions(new.target.name, options, ['name']);
  }

  protected updateOne(label: Host, pred: Host): void {
    if (label.shape.length !== pred.shape.length || label.shape.some((d, i) => d !== pred.shape[i])) {
      throw new Error(`PearsonCorrelation.update: label of shape ${shapeText(label.shape)} does not match prediction of shape ${shapeText(pred.shape)}`);
    }
    this.numInst += 1;
    for (const m of [this.moments, this.globalMoments]) addMoments(m, label.v, pred.v);
  }

  override resetLocal(): void {
    super.resetLocal();
    this.moments = noMoments();
  }

  override reset(): void {
    super.reset();
    this.globalMoments = noMoments();
  }

  override get(): [string, number] {
    return [this.name, this.numInst === 0 ? NaN : correlation(this.moments)];
  }

  override getGlobal(): [string, number] {
    return [this.name, this.globalNumInst === 0 ? NaN : correlation(this.globalMoments)];
  }
}

/** Welford's running means and co-moments of labels and predictions. */
interface Moments {
  n: number;
  meanL: number;
  meanP: number;
  sseL: number;
  sseP: number;
  cov: number;
}

const noMoments = (): Moments => ({ n: 0, meanL: 0, meanP: 0, sseL: 0, sseP: 0, cov: 0 });

/** Adds one update to `m`, in MXNet's order: the label's running mean, then the co-moment with the new label mean and the old prediction mean, then the prediction's. */
function addMoments(m: Moments, label: Float64Array, pred: Float64Array): void {
  const welford = (x: Float64Array, count: number, mean: number, m2: number): [number, number, number] => {
    const c = count + x.length;
    let delta = 0;
    for (const v of x) delta += (v - mean) / c;
    const mu = mean + delta;
    let s = m2;
    for (const v of x) s += (v - mean) * (v - mu);
    return [c, mu, s];
  };
  const [n, ml, sl] = welford(label, m.n, m.meanL, m.sseL);
  [m.meanL, m.sseL] = [ml, sl];
  for (let i = 0; i < label.length; i++) m.cov += (label[i]! - m.meanL) * (pred[i]! - m.meanP);
  const [, mp, sp] = welford(pred, m.n, m.meanP, m.sseP);
  [m.n, m.meanP, m.sseP] = [n, mp, sp];
}

/** MXNet's `cov / ((n - 1) * std_p * std_l)`. */
function correlation(m: Moments): number {
  const n = m.n;
  return m.cov / ((n - 1) * Math.sqrt(m.sseP / (n - 1)) * Math.sqrt(m.sseL / (n - 1)));
}
