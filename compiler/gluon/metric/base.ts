/**
 * Evaluation metrics (MXNet 2's `gluon.metric`): each accumulates
 * `sumMetric` and `numInst` over `update(labels, preds)` calls and `get()`
 * returns `[name, sumMetric / numInst]` (NaN before any update). MXNet
 * 1.x's split (python/mxnet/metric.py, 1.6+) is there too: a global pair
 * `globalSumMetric` / `globalNumInst` accumulates the same updates and is
 * cleared only by `reset()`, while `resetLocal()` clears the local pair
 * (`get`); `getGlobal()` reads the global one. Labels and
 * predictions are NDArrays (or nested number lists), one each or as lists
 * of equal length. Values are read to the host and accumulated in float64.
 * Where MXNet would broadcast or clip silently (a label of `[N]` against a
 * prediction of `[N, 2]` in MAE, a class index out of range in
 * CrossEntropy), these metrics throw an Error naming the shapes or index.
 */
import { readElement } from '../../../runtime/tensor.js';
import { NDArray, array, type NestedNumbers } from '../../engine/ndarray.js';
import { bindArgs, bindOptions, type KwArgs, type OptionArgs } from '../bind-args.js';
import { checkOptions } from '../../../runtime/check-options.js';

/** MXNet's positional parameter of the metrics whose only one is `name`. */
export const NAME_ARGS = ['name?'] as const;

/** A label or prediction: an NDArray or a nested list of numbers. */
export type MetricInput = NDArray | NestedNumbers[];

/** A host copy: shape and float64 values. */
export interface Host {
  shape: number[];
  v: Float64Array;
}

/** A label or prediction read to the host (an Error naming it when it is neither an NDArray nor a number list). */
export function toHost(x: unknown, what: string, metric: string): Host {
  const a = x instanceof NDArray ? x : Array.isArray(x) ? array(x as NestedNumbers[]) : null;
  if (!a) throw new Error(`${metric}.update: ${what} must be an NDArray or a list of numbers, got ${x === null ? 'null' : typeof x}`);
  const t = a._host;
  const v = new Float64Array(a.size);
  for (let i = 0; i < v.length; i++) v[i] = readElement(t, i);
  return { shape: [...t.shape], v };
}

/** `[2, 3]`. */
export const shapeText = (s: number[]): string => `[${s.join(', ')}]`;

/**
 * The base of metrics: `update`, `reset`, `get`, `getNameValue`, and MXNet
 * 1.x's `resetLocal`, `getGlobal`, `getGlobalNameValue`; a subclass
 * accumulates one label/prediction pair (host shape and float64 values)
 * into `sumMetric` / `numInst` in `updateOne`, and `update` adds what that
 * pair added to the global pair too. A metric whose sums are not additive
 * (F1's counts, PearsonCorrelation's moments) keeps global statistics of
 * its own and overrides `accumulateGlobal`, `resetLocal` and `reset`.
 *
 * ```ts
 * class Count extends metric.EvalMetric {
 *   constructor() { super('count'); }   // or super({ name: 'count' })
 *   protected updateOne(_l: { v: Float64Array }, p: { v: Float64Array }) { this.sumMetric += p.v.length; this.numInst += 1; }
 * }
 * ```
 */
export abstract class EvalMetric {
  readonly name: string;
  sumMetric = 0;
  numInst = 0;
  /** MXNet 1.x's `global_sum_metric` / `global_num_inst`: since the last `reset()`, across `resetLocal()`. */
  globalSumMetric = 0;
  globalNumInst = 0;

  constructor(...args: KwArgs<['name'], [name: string], {}>) {
    [[this.name]] = bindArgs<[string], {}>(new.target.name, ['name'], args, []);
  }

  /** Adds a batch: `labels` and `preds` are one NDArray each, or lists of the same length (MXNet's check_label_shapes). */
  update(labels: MetricInput | MetricInput[], preds: MetricInput | MetricInput[]): void {
    const ls = wrap(labels);
    const ps = wrap(preds);
    if (ls.length !== ps.length) throw new Error(`${this.constructor.name}.update: ${ls.length} labels but ${ps.length} predictions; give one prediction per label`);
    ls.forEach((l, i) => this.updatePair(toHost(l, `label ${i}`, this.constructor.name), toHost(ps[i], `prediction ${i}`, this.constructor.name)));
  }

  /** `updateOne`, then the same change of the local sums added to the global ones. */
  protected updatePair(label: Host, pred: Host): void {
    const [sum, num] = [this.sumMetric, this.numInst];
    this.updateOne(label, pred);
    this.accumulateGlobal(this.sumMetric - sum, this.numInst - num);
  }

  /** Accumulates one label/prediction pair into the local sums. */
  protected abstract updateOne(label: Host, pred: Host): void;

  /** Adds what one pair added to the local sums to the global ones (MXNet 1.x's `global_sum_metric += ...`). */
  protected accumulateGlobal(sum: number, num: number): void {
    this.globalSumMetric += sum;
    this.globalNumInst += num;
  }

  /** The value of sums (`sum / num`, NaN when `num` is 0); RMSE and Perplexity transform it. */
  protected valueFrom(sum: number, num: number): number {
    return num === 0 ? NaN : sum / num;
  }

  /** Clears the accumulated result, local and global (MXNet's `reset`). */
  reset(): void {
    this.resetLocal();
    this.globalSumMetric = 0;
    this.globalNumInst = 0;
  }

  /** Clears the local result only (MXNet 1.x's `reset_local`, as Speedometer's autoReset calls it); the global one stays. */
  resetLocal(): void {
    this.sumMetric = 0;
    this.numInst = 0;
  }

  /** `[name, value]` of the local sums; the value is NaN before any instance was counted. */
  get(): [string, number] | [string[], number[]] {
    return [this.name, this.valueFrom(this.sumMetric, this.numInst)];
  }

  /** `[name, value]` of the global sums (MXNet 1.x's `get_global`). */
  getGlobal(): [string, number] | [string[], number[]] {
    return [this.name, this.valueFrom(this.globalSumMetric, this.globalNumInst)];
  }

  /** `[[name, value], ...]`. */
  getNameValue(): [string, number][] {
    return pairs(this.get());
  }

  /** `[[name, value], ...]` of the global values (MXNet 1.x's `get_global_name_value`). */
  getGlobalNameValue(): [string, number][] {
    return pairs(this.getGlobal());
  }

  /** `EvalMetric: {name: value}`, as MXNet's `str(metric)`. */
  toString(): string {
    return `EvalMetric: {${this.getNameValue().map(([n, v]) => `'${n}': ${v}`).join(', ')}}`;
  }
}

/** `[name, value]` or `[names, values]` as `[[name, value], ...]`. */
function pairs([n, v]: [string, number] | [string[], number[]]): [string, number][] {
  return Array.isArray(n) ? n.map((x, i) => [x, (v as number[])[i]!]) : [[n, v as number]];
}

/** One input, or a list of them, as a list. */
export function wrap(x: MetricInput | MetricInput[]): unknown[] {
  if (x instanceof NDArray) return [x];
  if (Array.isArray(x) && x.length > 0 && x.every((e) => e instanceof NDArray)) return x;
  return [x];
}

/** An Error naming both shapes when the label and prediction sizes differ. */
export function checkSize(metric: string, label: Host, pred: Host, lsize: number, psize: number): void {
  if (lsize !== psize) throw new Error(`${metric}.update: label of shape ${shapeText(label.shape)} does not match prediction of shape ${shapeText(pred.shape)}`);
}

/**
 * The mean of the predictions themselves (MXNet's `Loss`: pass the loss
 * values as predictions; labels are ignored).
 *
 * ```ts
 * const l = new metric.Loss();
 * l.update(null, lossValues);
 * ```
 */
export class Loss extends EvalMetric {
  constructor(...args: OptionArgs<{ name?: string }, typeof NAME_ARGS>) {
    const options = bindOptions<{ name?: string }>(new.target.name, NAME_ARGS, args);
    super(options.name ?? 'loss');
    checkOptions(new.target.name, options, ['name']);
  }

  override update(_labels: unknown, preds: MetricInput | MetricInput[]): void {
    for (const p of wrap(preds)) this.updatePair({ shape: [], v: new Float64Array() }, toHost(p, 'prediction', 'Loss'));
  }

  protected updateOne(_label: Host, pred: Host): void {
    for (const v of pred.v) this.sumMetric += v;
    this.numInst += pred.v.length;
  }
}

/**
 * Several metrics updated together (MXNet's `CompositeEvalMetric`); `get()`
 * returns `[names, values]`.
 *
 * ```ts
 * const m = new metric.CompositeEvalMetric([new metric.Accuracy(), new metric.F1()]); // or ({ metrics: [...], name: 'both' })
 * m.update(labels, preds);
 * m.get(); // [['accuracy', 'f1'], [0.667, 0.8]]
 * ```
 */
export class CompositeEvalMetric extends EvalMetric {
  readonly metrics: EvalMetric[];

  constructor(...args: OptionArgs<{ metrics?: EvalMetric[]; name?: string }, ['metrics?', 'name?']>) {
    // MXNet's CompositeEvalMetric(metrics=None, name='composite').
    const { metrics = [], ...options } = bindOptions<{ metrics?: EvalMetric[]; name?: string }>('CompositeEvalMetric', ['metrics?', 'name?'], args, []);
    super(options.name ?? 'composite');
    metrics.forEach((m, i) => {
      if (!(m instanceof EvalMetric)) throw new Error(`CompositeEvalMetric: metric ${i} is not an EvalMetric`);
    });
    this.metrics = [...metrics];
  }

  /** Adds a child metric. */
  add(metric: EvalMetric): void {
    if (!(metric instanceof EvalMetric)) throw new Error('CompositeEvalMetric.add: expected an EvalMetric');
    this.metrics.push(metric);
  }

  /** Child `index` (an Error naming the range when there is none). */
  getMetric(index: number): EvalMetric {
    const m = this.metrics[index];
    if (!m) throw new Error(`CompositeEvalMetric: metric index ${index} is out of range 0 and ${this.metrics.length}`);
    return m;
  }

  override update(labels: MetricInput | MetricInput[], preds: MetricInput | MetricInput[]): void {
    for (const m of this.metrics) m.update(labels, preds);
  }

  protected updateOne(): void {}

  override reset(): void {
    for (const m of this.metrics ?? []) m.reset();
  }

  override resetLocal(): void {
    for (const m of this.metrics ?? []) m.resetLocal();
  }

  override get(): [string[], number[]] {
    const all = this.metrics.flatMap((m) => m.getNameValue());
    return [all.map(([n]) => n), all.map(([, v]) => v)];
  }

  override getGlobal(): [string[], number[]] {
    const all = this.metrics.flatMap((m) => m.getGlobalNameValue());
    return [all.map(([n]) => n), all.map(([, v]) => v)];
  }
}

