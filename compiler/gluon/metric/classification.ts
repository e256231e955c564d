/** Classification metrics (MXNet 2's `gluon.metric`): Accuracy, TopKAccuracy, F1. */
import { showValue } from '../show-value.js';
import { EvalMetric, NAME_ARGS, checkSize, shapeText, type Host } from './base.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** The index of the largest value along `axis` (the first one at ties; a NaN wins, as numpy's argmax). */
function argmax(x: Host, axis: number, metric: string): Host {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  if (ax < 0 || ax >= x.shape.length) throw new Error(`${metric}: axis ${axis} is out of range for predictions of shape ${shapeText(x.shape)}`);
  const k = x.shape[ax]!;
  const inner = x.shape.slice(ax + 1).reduce((a, d) => a * d, 1);
  const outer = x.v.length / Math.max(1, k * inner);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bv = x.v[o * k * inner + i]!;
      for (let c = 1; c < k && !Number.isNaN(bv); c++) {
        const v = x.v[o * k * inner + c * inner + i]!;
        if (v > bv || Number.isNaN(v)) [best, bv] = [c, v];
      }
      out[o * inner + i] = best;
    }
  }
  return { shape: [...x.shape.slice(0, ax), ...x.shape.slice(ax + 1)], v: out };
}

/** numpy's astype('int32') of a class value: truncation toward zero; NaN and infinities match no class. */
export const asClass = (v: number): number => (Number.isFinite(v) ? Math.trunc(v) : NaN);

/**
 * The fraction of samples whose predicted class equals the label (MXNet's
 * `Accuracy`): predictions of another shape than the labels are scores,
 * reduced by argmax along `axis` (default 1); both are truncated to
 * integers and compared element by element (so one-hot labels against
 * scores of the same shape compare element-wise, as in MXNet).
 *
 * ```ts
 * const acc = new metric.Accuracy();
 * acc.update(nd.array([0, 1, 1]), nd.array([[0.3, 0.7], [0, 1], [0.4, 0.6]]));
 * acc.get(); // ['accuracy', 0.6667]
 * ```
 */
export class Accuracy extends EvalMetric {
  readonly axis: number;

  constructor(...args: OptionArgs<{ axis?: number; name?: string }, ['axis?', 'name?']>) {
    // MXNet's Accuracy(axis=1, name='accuracy').
    const options = bindOptions<{ axis?: number; name?: string }>(new.target.name, ['axis?', 'name?'], args);
    super(options.name ?? 'accuracy');
    checkOptions(new.target.name, options, ['axis', 'name']);
    this.axis = options.axis ?? 1;
    if (!Number.isInteger(this.axis)) throw new Error(`Accuracy: axis must be an integer, got ${showValue(this.axis)}`);
  }

  protected updateOne(label: Host, pred: Host): void {
    const same = label.shape.length === pred.shape.length && label.shape.every((d, i) => d === pred.shape[i]);
    const p = same ? pred : argmax(pred, this.axis, 'Accuracy');
    checkSize('Accuracy', label, pred, label.v.length, p.v.length);
    let correct = 0;
    for (let i = 0; i < p.v.length; i++) if (asClass(p.v[i]!) === asClass(label.v[i]!)) correct++;
    this.sumMetric += correct;
    this.numInst += p.v.length;
  }
}

/**
 * The fraction of samples whose label is among the `topK` highest scores
 * (MXNet's `TopKAccuracy`, name `top_k_accuracy_<k>`; `topK` > 1). At ties
 * the lower class index ranks first (MXNet's argpartition leaves ties
 * unspecified).
 *
 * ```ts
 * const top2 = new metric.TopKAccuracy({ topK: 2 });
 * top2.update(nd.array([2]), nd.array([[0.1, 0.5, 0.4]])); // counted: class 2 is second
 * ```
 */
export class TopKAccuracy extends EvalMetric {
  readonly topK: number;

  constructor(...args: OptionArgs<{ topK?: number; name?: string }, ['topK?', 'name?']>) {
    // MXNet's TopKAccuracy(top_k=1, name='top_k_accuracy').
    const options = bindOptions<{ topK?: number; name?: string }>('TopKAccuracy', ['topK?', 'name?'], args);
    checkOptions('TopKAccuracy', options, ['topK', 'name']);
    const k = options.topK ?? 1;
    if (!Number.isInteger(k) || k <= 1) throw new Error(`TopKAccuracy: topK must be an integer > 1 (use Accuracy for 1), got ${showValue(k)}`);
    super(`${options.name ?? 'top_k_accuracy'}_${k}`);
    this.topK = k;
  }

  protected updateOne(label: Host, pred: Host): void {
    if (pred.shape.length > 2) throw new Error(`TopKAccuracy.update: predictions must have at most 2 dims, got shape ${shapeText(pred.shape)}`);
    const n = pred.shape.length === 2 ? pred.shape[0]! : 1;
    const k = pred.shape.length === 2 ? pred.shape[1]! : pred.v.length;
    checkSize('TopKAccuracy', label, pred, label.v.length, n);
    let correct = 0;
    for (let s = 0; s < n; s++) {
      const c = asClass(label.v[s]!);
      if (!(c >= 0 && c < k)) continue;
      const row = pred.v.subarray(s * k, s * k + k);
      const score = row[c]!;
      let rank = 0;
      for (let j = 0; j < k; j++) if (row[j]! > score || (row[j] === score && j < c)) rank++;
      if (!Number.isNaN(score) && rank < this.topK) correct++;
    }
    this.sumMetric += correct;
    this.numInst += n;
  }
}

/** Options of F1. */
export interface F1Options {
  name?: string;
  /** 'binary' (default: labels 0/1, predictions a positive-class probability or [N, 2] scores), 'multiclass' or 'multilabel'. */
  classType?: 'binary' | 'multiclass' | 'multilabel';
  /** Probabilities above it are positive (default 0.5). */
  threshold?: number;
  /** 'micro' (default: global counts) or 'macro' (mean of per-class F1). */
  average?: 'micro' | 'macro';
}

/**
 * The F1 score over all updates (MXNet 2's `F1`, from true/false
 * positive and negative counts): binary by default, with MXNet's
 * multiclass (argmax, one-hot) and multilabel (threshold) forms. The
 * counts are kept twice, as MXNet 1.x's `metrics` / `global_metrics`:
 * `get()` scores those since `resetLocal()`, `getGlobal()` those since `reset()`.
 *
 * ```ts
 * const f1 = new metric.F1();
 * f1.update(nd.array([0, 1, 1]), nd.array([[0.3, 0.7], [0, 1], [0.4, 0.6]]));
 * f1.get(); // ['f1', 0.8]
 * ```
 */
export class F1 extends EvalMetric {
  readonly classType: 'binary' | 'multiclass' | 'multilabel';
  readonly threshold: number;
  readonly average: 'micro' | 'macro';
  /** The counts since `resetLocal` / `reset` (local) and since `reset` (global). */
  private counts = noCounts();
  private globalCounts = noCounts();

  constructor(...args: OptionArgs<F1Options, typeof NAME_ARGS>) {
    const options = bindOptions<F1Options>(new.target.name, NAME_ARGS, args);
    super(options.name ?? 'f1');
    checkOptions(new.target.name, options, ['name', 'classType', 'threshold', 'average']);
    this.classType = options.classType ?? 'binary';
    if (!['binary', 'multiclass', 'multilabel'].includes(this.classType)) throw new Error(`F1: classType must be 'binary', 'multiclass' or 'multilabel', got ${showValue(this.classType)}`);
    this.threshold = options.threshold ?? 0.5;
    if (typeof this.threshold !== 'number' || Number.isNaN(this.threshold)) throw new Error(`F1: threshold must be a number, got ${showValue(this.threshold)}`);
    this.average = options.average ?? 'micro';
    if (this.average !== 'micro' && this.average !== 'macro') throw new Error(`F1: average must be 'micro' or 'macro', got ${showValue(this.average)}`);
  }

  protected updateOne(label: Host, pred: Host): void {
    let l: number[];
    let p: number[];
    let classes: number;
    if (this.classType === 'binary') {
      if (label.v.some((v) => asClass(v) !== 0 && asClass(v) !== 1)) throw new Error('F1.update: binary classification needs labels 0 or 1');
      let prob = pred.v;
      const same = pred.v.length === label.v.length && pred.shape.length === label.shape.length;
      if (!same) {
        if (pred.shape[pred.shape.length - 1] !== 2) throw new Error(`F1.update: predictions of shape ${shapeText(pred.shape)} are wrong for binary classification (the labels have ${shapeText(label.shape)})`);
        prob = pred.v.filter((_v, i) => i % 2 === 1);
      }
      checkSize('F1', label, pred, label.v.length, prob.length);
      classes = 1;
      l = Array.from(label.v, asClass);
      p = Array.from(prob, (v) => (v > this.threshold ? 1 : 0));
    } else {
      classes = pred.shape[pred.shape.length - 1]!;
      if (this.classType === 'multiclass') {
        const am = argmax(pred, -1, 'F1');
        checkSize('F1', label, pred, label.v.length, am.v.length);
        if (label.v.some((v) => !(asClass(v) >= 0 && asClass(v) < classes))) throw new Error(`F1.update: a label is not a class index in [0, ${classes})`);
        l = Array.from(label.v).flatMap((v) => oneHot(asClass(v), classes));
        p = Array.from(am.v).flatMap((v) => oneHot(v, classes));
      } else {
        checkSize('F1', label, pred, label.v.length, pred.v.length);
        l = Array.from(label.v, asClass);
        p = Array.from(pred.v, (v) => (v > this.threshold ? 1 : 0));
      }
    }
    const known = this.globalCounts.tp.length;
    if (known && known !== classes) throw new Error(`F1.update: the number of classes changed from ${known} to ${classes}`);
    for (const c of [this.counts, this.globalCounts]) tally(c, l, p, classes);
    [this.sumMetric, this.numInst] = this.score(this.counts);
  }

  /** The global sums from the global counts (MXNet 1.x's `global_metrics`), not from the local sums' change. */
  protected override accumulateGlobal(): void {
    [this.globalSumMetric, this.globalNumInst] = this.score(this.globalCounts);
  }

  /** `[f * total, total]` of counts (MXNet's `sum_metric = fscore * total_examples`). */
  private score(c: Counts): [number, number] {
    const total = c.tp[0]! + c.fp[0]! + c.fn[0]! + c.tn[0]!;
    const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);
    let f: number;
    if (this.average === 'micro') {
      const prec = sum(c.tp) / Math.max(sum(c.tp) + sum(c.fp), 1e-12);
      const rec = sum(c.tp) / Math.max(sum(c.tp) + sum(c.fn), 1e-12);
      f = prec + rec > 0 ? (2 * prec * rec) / (prec + rec) : 0;
    } else {
      f = c.tp.reduce((s, tp, k) => {
        const prec = tp / Math.max(tp + c.fp[k]!, 1e-12);
        const rec = tp / Math.max(tp + c.fn[k]!, 1e-12);
        return s + (2 * prec * rec) / Math.max(prec + rec, 1e-12);
      }, 0) / c.tp.length;
    }
    return [f * total, total];
  }

  override resetLocal(): void {
    super.resetLocal();
    this.counts = noCounts();
  }

  override reset(): void {
    super.reset();
    this.globalCounts = noCounts();
  }
}

/** True/false positive and negative counts per class. */
interface Counts {
  tp: number[];
  fp: number[];
  fn: number[];
  tn: number[];
}

const noCounts = (): Counts => ({ tp: [], fp: [], fn: [], tn: [] });

/** Adds 0/1 labels `l` and predictions `p` (class `i % classes` at `i`) to `c`. */
function tally(c: Counts, l: number[], p: number[], classes: number): void {
  if (c.tp.length === 0) [c.tp, c.fp, c.fn, c.tn] = [0, 1, 2, 3].map(() => new Array<number>(classes).fill(0));
  l.forEach((lv, i) => {
    const k = i % classes;
    const pv = p[i]!;
    if (pv === 1 && lv === 1) c.tp[k]!++;
    else if (pv === 1 && lv === 0) c.fp[k]!++;
    else if (pv === 0 && lv === 1) c.fn[k]!++;
    else if (pv === 0 && lv === 0) c.tn[k]!++;
  });
}

function oneHot(c: number, n: number): number[] {
  return Array.from({ length: n }, (_v, i) => (i === c ? 1 : 0));
}

