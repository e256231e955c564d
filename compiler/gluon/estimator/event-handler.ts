/**
 * MXNet's estimator event handlers (python/mxnet/gluon/contrib/estimator/
 * event_handler.py): `StoppingHandler`, `MetricHandler`, `ValidationHandler`,
 * `LoggingHandler`, `EarlyStoppingHandler`, `GradientUpdateHandler` (and
 * `CheckpointHandler` in checkpoint-handler.ts). A handler takes part in the
 * events whose methods it has (`trainBegin`, `epochBegin`, `batchBegin`,
 * `batchEnd`, `epochEnd`, `trainEnd`: MXNet's mixins `TrainBegin`...
 * `TrainEnd`, here interfaces); a `batchEnd` or `epochEnd` returning true
 * asks the loop to stop. Handlers run in ascending `priority` (default 0),
 * ties in the order given.
 * Invariants: options are checked (an unknown key or a bad value is an
 * Error naming the handler); log lines are MXNet's, numbers as Python's `%f`.
 */
import type { NDArray } from '../../engine/ndarray.js';
import type { EvalMetric } from '../metric/index.js';
import { CompositeEvalMetric, Loss as LossMetric } from '../metric/index.js';
import type { Trainer } from '../trainer.js';
import type { Block } from '../block.js';
import type { Loss } from '../loss/loss.js';
import type { Context } from '../../engine/context.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { percentF } from '../module/callback.js';
import { checkMetrics } from './metrics.js';

/** A batch: the data and the label (what a DataLoader over `(x, y)` yields). */
export type Batch = readonly [NDArray, NDArray, ...unknown[]];

/** Where the estimator logs (MXNet's `estimator.logger`): console by default. */
export interface EstimatorLogger {
  info(message: string): void;
  warning?(message: string): void;
}

/** Options of `Estimator.evaluate` beyond the data (also what ValidationHandler passes its `evalFn`). */
export interface EvaluateOptions {
  batchAxis?: number;
  eventHandlers?: EventHandler | EventHandler[] | null;
}

/** What handlers read from the estimator (the Estimator class implements it). */
export interface EstimatorRef {
  net: Block;
  loss: Loss;
  /** The network and loss of `evaluate` (MXNet's `val_net`, `val_loss`: the training ones unless given). */
  valNet: Block;
  valLoss: Loss;
  trainer: Trainer;
  context: Context[];
  logger: EstimatorLogger;
  readonly trainMetrics: EvalMetric[];
  readonly valMetrics: EvalMetric[];
  maxEpoch: number | null;
  maxBatch: number | null;
  batchAxis: number;
  evaluate(valData: Iterable<Batch>, options?: EvaluateOptions): void;
}

/** What `batchEnd` receives: the batch and what `fitBatch` / `evaluateBatch` returned. */
export interface BatchEndArgs {
  batch: Batch;
  pred: NDArray[];
  label: NDArray[];
  loss: NDArray[];
}

/** MXNet's mixin `TrainBegin`. */
export interface TrainBegin {
  trainBegin(estimator: EstimatorRef): void;
}
/** MXNet's mixin `TrainEnd`. */
export interface TrainEnd {
  trainEnd(estimator: EstimatorRef): void;
}
/** MXNet's mixin `EpochBegin`. */
export interface EpochBegin {
  epochBegin(estimator: EstimatorRef): void;
}
/** MXNet's mixin `EpochEnd`: true stops training. */
export interface EpochEnd {
  epochEnd(estimator: EstimatorRef): boolean | void;
}
/** MXNet's mixin `BatchBegin`. */
export interface BatchBegin {
  batchBegin(estimator: EstimatorRef, args: { batch: Batch }): void;
}
/** MXNet's mixin `BatchEnd`: true stops the epoch (and training, with StoppingHandler). */
export interface BatchEnd {
  batchEnd(estimator: EstimatorRef, args: BatchEndArgs): boolean | void;
}

/** The six events, in the order of a training run. */
export const EVENTS = ['trainBegin', 'epochBegin', 'batchBegin', 'batchEnd', 'epochEnd', 'trainEnd'] as const;
export type EventName = (typeof EVENTS)[number];

/**
 * The base of event handlers (MXNet's `EventHandler`). A subclass defines
 * the event methods it needs and may set `priority` (lower runs first).
 *
 * ```ts
 * class Record extends estimator.EventHandler implements estimator.EpochEnd {
 *   epochEnd(est: estimator.EstimatorRef) { console.log(est.trainMetrics[0]!.get()); }
 * }
 * ```
 */
export class EventHandler {
  priority?: number;
}

/** MXNet's snake_case event names, refused where a camelCase method is meant. */
const SNAKE: Record<string, EventName> = { train_begin: 'trainBegin', epoch_begin: 'epochBegin', batch_begin: 'batchBegin', batch_end: 'batchEnd', epoch_end: 'epochEnd', train_end: 'trainEnd' };

/** The handlers as a list: an EventHandler, or any object with an event method; anything else is an Error naming `owner`. */
export function checkEventHandlers(handlers: unknown, owner: string): EventHandler[] {
  const list = handlers === undefined || handlers === null ? [] : Array.isArray(handlers) ? handlers : [handlers];
  list.forEach((h, i) => {
    const obj = h !== null && typeof h === 'object' ? (h as Record<string, unknown>) : null;
    const snake = obj ? Object.keys(SNAKE).find((k) => typeof obj[k] === 'function') : undefined;
    if (snake) throw new Error(`${owner}: event handler ${i} (${obj!.constructor?.name ?? 'object'}) has a method '${snake}'; gluonc's event methods are camelCase ('${SNAKE[snake]}')`);
    if (!(h instanceof EventHandler) && !(obj && EVENTS.some((e) => typeof obj[e] === 'function'))) {
      throw new Error(`${owner}: eventHandlers must be an event handler or a list of them (an EventHandler, or an object with one of ${EVENTS.join(', ')}), got ${Array.isArray(handlers) ? `item ${i}: ` : ''}${showValue(h)}`);
    }
  });
  return [...list] as EventHandler[];
}

/** Sorted by priority (stable: ties keep their order), as MXNet's `sort(key=priority)`. */
export function sortHandlers(handlers: EventHandler[]): EventHandler[] {
  return [...handlers].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
}

/** The handlers that have `event`'s method (MXNet's `_categorize_handlers`). */
export function handlersOf(handlers: EventHandler[], event: EventName): EventHandler[] {
  return handlers.filter((h) => typeof (h as unknown as Record<string, unknown>)[event] === 'function');
}

const isCount = (x: unknown, min: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= min;

/** An optional period (null/undefined/0: off) or a positive integer. */
export function periodOption(owner: string, name: string, v: unknown, dflt: number | null): number | null {
  if (v === undefined) return dflt;
  if (v === null || v === 0) return null;
  if (!isCount(v, 1)) throw new Error(`${owner}: ${name} must be a positive integer or null, got ${showValue(v)}`);
  return v;
}

function priorityOption(owner: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${owner}: priority must be a number, got ${showValue(v)}`);
  return v;
}

/**
 * Stops training after `maxEpoch` epochs or `maxBatch` batches (read from
 * the estimator at train begin; `fit` always adds one).
 *
 * ```ts
 * new estimator.StoppingHandler(5);   // or ({ maxEpoch: 5 })
 * ```
 */
export class StoppingHandler extends EventHandler implements TrainBegin, BatchEnd, EpochEnd {
  maxEpoch: number | null;
  maxBatch: number | null;
  currentBatch = 0;
  currentEpoch = 0;
  stopTraining = false;

  constructor(...args: OptionArgs<{ maxEpoch?: number | null; maxBatch?: number | null }, ['maxEpoch?', 'maxBatch?']>) {
    super();
    const o = bindOptions<{ maxEpoch?: number | null; maxBatch?: number | null }>('StoppingHandler', ['maxEpoch?', 'maxBatch?'], args, []);
    this.maxEpoch = periodOption('StoppingHandler', 'maxEpoch', o.maxEpoch, null);
    this.maxBatch = periodOption('StoppingHandler', 'maxBatch', o.maxBatch, null);
  }

  trainBegin(estimator: EstimatorRef): void {
    this.maxEpoch = estimator.maxEpoch;
    this.maxBatch = estimator.maxBatch;
    this.currentBatch = 0;
    this.currentEpoch = 0;
  }

  batchEnd(): boolean {
    this.currentBatch += 1;
    if (this.currentBatch === this.maxBatch) this.stopTraining = true;
    return this.stopTraining;
  }

  epochEnd(): boolean {
    this.currentEpoch += 1;
    if (this.currentEpoch === this.maxEpoch) this.stopTraining = true;
    return this.stopTraining;
  }
}

/**
 * Resets `metrics` at each epoch's begin and updates them at each batch's
 * end: a `metric.Loss` with the loss values, the others with labels and
 * predictions. Priority -1000 (before the handlers that read metrics).
 *
 * ```ts
 * new estimator.MetricHandler(est.trainMetrics);
 * ```
 */
export class MetricHandler extends EventHandler implements EpochBegin, BatchEnd {
  readonly metrics: EvalMetric[];

  constructor(...args: OptionArgs<{ metrics: EvalMetric | EvalMetric[]; priority?: number }, ['metrics', 'priority?']>) {
    super();
    const o = bindOptions<{ metrics: unknown; priority?: unknown }>('MetricHandler', ['metrics', 'priority?'], args, []);
    this.metrics = checkMetrics(o.metrics, 'MetricHandler: metrics');
    this.priority = priorityOption('MetricHandler', o.priority, -1000);
  }

  epochBegin(): void {
    for (const m of this.metrics) m.reset();
  }

  batchEnd(_estimator: EstimatorRef, args: BatchEndArgs): void {
    for (const m of this.metrics) {
      if (m instanceof LossMetric) m.update(0, args.loss);
      else m.update(args.label, args.pred);
    }
  }
}

/** A validation function: `Estimator.evaluate` (called with the estimator as `this`) or your own. */
export type EvalFn = (valData: Iterable<Batch>, options: EvaluateOptions) => void;

interface ValidationOptions {
  valData: Iterable<Batch>;
  evalFn: EvalFn;
  epochPeriod?: number | null;
  batchPeriod?: number | null;
  priority?: number;
  eventHandlers?: EventHandler | EventHandler[] | null;
}
const VALIDATION_ARGS = ['valData', 'evalFn', 'epochPeriod?', 'batchPeriod?', 'priority?', 'eventHandlers?'] as const;

/**
 * Runs `evalFn(valData, { batchAxis, eventHandlers })` every `epochPeriod`
 * epochs (default 1) and every `batchPeriod` batches (default never).
 * Priority -1000. `evalFn` is called with the estimator as `this`, so
 * `est.evaluate` may be passed as it is.
 *
 * ```ts
 * new estimator.ValidationHandler(valLoader, est.evaluate, { batchPeriod: 100 });
 * ```
 */
export class ValidationHandler extends EventHandler implements TrainBegin, BatchEnd, EpochEnd {
  readonly valData: Iterable<Batch>;
  readonly evalFn: EvalFn;
  readonly epochPeriod: number | null;
  readonly batchPeriod: number | null;
  readonly eventHandlers: EventHandler[];
  currentBatch = 0;
  currentEpoch = 0;

  constructor(...args: OptionArgs<ValidationOptions, typeof VALIDATION_ARGS>) {
    super();
    const o = bindOptions<ValidationOptions>('ValidationHandler', VALIDATION_ARGS, args, []);
    if (o.valData === null || typeof o.valData !== 'object' || typeof (o.valData as Iterable<Batch>)[Symbol.iterator] !== 'function') {
      throw new Error(`ValidationHandler: valData must be a DataLoader (an iterable of [data, label] batches), got ${showValue(o.valData)}`);
    }
    if (typeof o.evalFn !== 'function') throw new Error(`ValidationHandler: evalFn must be a function (such as estimator.evaluate), got ${showValue(o.evalFn)}`);
    this.valData = o.valData;
    this.evalFn = o.evalFn;
    this.epochPeriod = periodOption('ValidationHandler', 'epochPeriod', o.epochPeriod, 1);
    this.batchPeriod = periodOption('ValidationHandler', 'batchPeriod', o.batchPeriod, null);
    this.priority = priorityOption('ValidationHandler', o.priority, -1000);
    this.eventHandlers = checkEventHandlers(o.eventHandlers, 'ValidationHandler');
  }

  trainBegin(): void {
    this.currentBatch = 0;
    this.currentEpoch = 0;
  }

  batchEnd(estimator: EstimatorRef): void {
    this.currentBatch += 1;
    if (this.batchPeriod && this.currentBatch % this.batchPeriod === 0) this.run(estimator);
  }

  epochEnd(estimator: EstimatorRef): void {
    this.currentEpoch += 1;
    if (this.epochPeriod && this.currentEpoch % this.epochPeriod === 0) this.run(estimator);
  }

  private run(estimator: EstimatorRef): void {
    this.evalFn.call(estimator, this.valData, { batchAxis: estimator.batchAxis, eventHandlers: this.eventHandlers.length ? this.eventHandlers : null });
  }
}

/** `'%.4f'` as Python's logging writes it. */
const f4 = (v: number): string => percentF(v, 4);

/** `name: value, ...` of metrics, as MXNet's log lines end. */
function metricText(metrics: EvalMetric[]): string {
  return metrics.map((m) => {
    const [name, value] = m.get() as [string, number];
    return `${name}: ${f4(value)}, `;
  }).join('');
}

interface LoggingOptions {
  logInterval?: 'epoch' | number;
  metrics?: EvalMetric | EvalMetric[] | null;
  priority?: number;
}

/**
 * Logs the training (MXNet's lines): at train begin the optimizer and
 * learning rate, each epoch's begin and end with `metrics`, every
 * `logInterval` batches when it is a number, and a summary at train end.
 * Priority Infinity (after every other handler).
 *
 * ```ts
 * new estimator.LoggingHandler({ logInterval: 10, metrics: est.trainMetrics });
 * // [Epoch 0][Batch 10][Samples 352] time/interval: 0.120s training accuracy: 0.8125, training softmaxcrossentropyloss: 0.5312
 * ```
 */
export class LoggingHandler extends EventHandler implements TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd {
  readonly logInterval: 'epoch' | number;
  readonly metrics: EvalMetric[];
  batchIndex = 0;
  currentEpoch = 0;
  processedSamples = 0;
  private logIntervalTime = 0;
  private trainStart = 0;
  private epochStart = 0;
  private batchStart = 0;

  constructor(...args: OptionArgs<LoggingOptions, ['logInterval?', 'metrics?', 'priority?']>) {
    super();
    const o = bindOptions<LoggingOptions>('LoggingHandler', ['logInterval?', 'metrics?', 'priority?'], args, []);
    const li = o.logInterval ?? 'epoch';
    if (li !== 'epoch' && !isCount(li, 1)) throw new Error(`LoggingHandler: logInterval must be a positive integer or 'epoch', got ${showValue(li)}`);
    this.logInterval = li;
    this.metrics = checkMetrics(o.metrics, 'LoggingHandler: metrics');
    this.priority = priorityOption('LoggingHandler', o.priority, Infinity);
  }

  trainBegin(estimator: EstimatorRef): void {
    this.trainStart = Date.now();
    const trainer = estimator.trainer;
    estimator.logger.info(`Training begin: using optimizer ${trainer.optimizer.constructor.name} with current learning rate ${f4(trainer.learningRate)} `);
    if (estimator.maxEpoch) estimator.logger.info(`Train for ${estimator.maxEpoch} epochs.`);
    else estimator.logger.info(`Train for ${estimator.maxBatch} batches.`);
    this.currentEpoch = 0;
    this.batchIndex = 0;
    this.processedSamples = 0;
    this.logIntervalTime = 0;
  }

  trainEnd(estimator: EstimatorRef): void {
    const secs = Math.trunc((Date.now() - this.trainStart) / 1000);
    const msg = `Train finished using total ${secs}s with ${this.currentEpoch} epochs. ${metricText(this.metrics)}`;
    estimator.logger.info(msg.replace(/[, ]+$/, ''));
  }

  batchBegin(): void {
    if (typeof this.logInterval === 'number') this.batchStart = Date.now();
  }

  batchEnd(estimator: EstimatorRef, args: BatchEndArgs): void {
    if (typeof this.logInterval === 'number') {
      const batchTime = (Date.now() - this.batchStart) / 1000;
      this.processedSamples += args.batch[0].shape[0]!;
      let msg = `[Epoch ${this.currentEpoch}][Batch ${this.batchIndex}][Samples ${this.processedSamples}] `;
      this.logIntervalTime += batchTime;
      if (this.batchIndex % this.logInterval === 0) {
        msg += `time/interval: ${percentF(this.logIntervalTime, 3)}s ${metricText(this.metrics)}`;
        this.logIntervalTime = 0;
        estimator.logger.info(msg.replace(/[, ]+$/, ''));
      }
    }
    this.batchIndex += 1;
  }

  epochBegin(estimator: EstimatorRef): void {
    this.epochStart = Date.now();
    // MXNet's name rule: metrics named 'training ...' mark a training run, others a validation.
    if (this.metrics.some((m) => m.name.includes('training'))) {
      estimator.logger.info(`[Epoch ${this.currentEpoch}] Begin, current learning rate: ${f4(estimator.trainer.learningRate)}`);
    } else estimator.logger.info('Validation Begin');
  }

  epochEnd(estimator: EstimatorRef): void {
    const secs = (Date.now() - this.epochStart) / 1000;
    const msg = `[Epoch ${this.currentEpoch}] Finished in ${percentF(secs, 3)}s, ${metricText(this.metrics)}`;
    estimator.logger.info(msg.replace(/[, ]+$/, ''));
    this.currentEpoch += 1;
    this.batchIndex = 0;
  }
}

/**
 * Steps the trainer at each batch's end with the batch size (the loss's
 * length along `batchAxis`, summed over the shards). Priority -2000: the
 * first batch-end handler, so metrics read the step's values.
 *
 * ```ts
 * new estimator.GradientUpdateHandler();
 * ```
 */
export class GradientUpdateHandler extends EventHandler implements BatchEnd {
  constructor(...args: OptionArgs<{ priority?: number }, ['priority?']>) {
    super();
    const o = bindOptions<{ priority?: number }>('GradientUpdateHandler', ['priority?'], args, []);
    this.priority = priorityOption('GradientUpdateHandler', o.priority, -2000);
  }

  batchEnd(estimator: EstimatorRef, args: BatchEndArgs): void {
    let batchSize = 0;
    for (const l of args.loss) batchSize += l.shape[estimator.batchAxis] ?? 1;
    estimator.trainer.step(batchSize);
  }
}

/** `'min'` / `'max'` / `'auto'` as a comparison; auto: greater for names with 'acc' or 'f1', less otherwise. */
export function monitorMode(owner: string, mode: unknown, monitor: EvalMetric): 'min' | 'max' {
  if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new Error(`${owner}: mode must be 'auto', 'min' or 'max', got ${showValue(mode)}`);
  if (mode !== 'auto') return mode;
  const name = String(monitor.get()[0]).toLowerCase();
  return name.includes('acc') || name.includes('f1') ? 'max' : 'min';
}

/** The metric a handler monitors: one EvalMetric, not a composite. */
export function monitorOption(owner: string, monitor: unknown, required: boolean): EvalMetric | null {
  if ((monitor === undefined || monitor === null) && !required) return null;
  const [m] = checkMetrics(monitor, `${owner}: monitor`);
  if (!m || Array.isArray(monitor)) throw new Error(`${owner}: monitor must be one metric (one of estimator.trainMetrics or estimator.valMetrics), got ${showValue(monitor)}`);
  if (monitor instanceof CompositeEvalMetric) throw new Error(`${owner}: a CompositeEvalMetric cannot be monitored; give one of its metrics`);
  return m;
}

interface EarlyStoppingOptions {
  monitor: EvalMetric;
  minDelta?: number;
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  baseline?: number | null;
}
const EARLY_ARGS = ['monitor', 'minDelta?', 'patience?', 'mode?', 'baseline?'] as const;

/**
 * Stops training when `monitor` has not improved by more than `minDelta`
 * for `patience` epochs (MXNet's rule: improved when `value - minDelta >
 * best` in max mode, `value + minDelta < best` in min mode; the first
 * epoch compares with `baseline`, or ±Infinity).
 *
 * ```ts
 * new estimator.EarlyStoppingHandler(est.valMetrics[0]!, { patience: 2, mode: 'max' });
 * ```
 */
export class EarlyStoppingHandler extends EventHandler implements TrainBegin, EpochEnd, TrainEnd {
  readonly monitor: EvalMetric;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | null;
  wait = 0;
  stoppedEpoch = 0;
  currentEpoch = 0;
  stopTraining = false;
  best = NaN;

  constructor(...args: OptionArgs<EarlyStoppingOptions, typeof EARLY_ARGS>) {
    super();
    const o = bindOptions<EarlyStoppingOptions>('EarlyStoppingHandler', EARLY_ARGS, args, []);
    const owner = 'EarlyStoppingHandler';
    this.monitor = monitorOption(owner, o.monitor, true)!;
    const d = o.minDelta ?? 0;
    if (typeof d !== 'number' || !Number.isFinite(d)) throw new Error(`${owner}: minDelta must be a finite number, got ${showValue(d)}`);
    const p = o.patience ?? 0;
    if (!isCount(p, 0)) throw new Error(`${owner}: patience must be a non-negative integer, got ${showValue(p)}`);
    if (o.baseline !== undefined && o.baseline !== null && (typeof o.baseline !== 'number' || Number.isNaN(o.baseline))) throw new Error(`${owner}: baseline must be a number or null, got ${showValue(o.baseline)}`);
    this.mode = monitorMode(owner, o.mode ?? 'auto', this.monitor);
    // MXNet stores min_delta signed by the mode.
    this.minDelta = this.mode === 'max' ? d : -d;
    this.patience = p;
    this.baseline = o.baseline ?? null;
  }

  trainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.currentEpoch = 0;
    this.stopTraining = false;
    this.best = this.baseline ?? (this.mode === 'min' ? Infinity : -Infinity);
  }

  epochEnd(): boolean {
    const [name, value] = this.monitor.get() as [string, number];
    if (Number.isNaN(value)) {
      process.emitWarning(`EarlyStoppingHandler: ${name} is not updated, make sure you pass one of the metric objects from estimator.trainMetrics and estimator.valMetrics as monitor`, 'GluoncWarning');
    } else {
      const v = value - this.minDelta;
      if (this.mode === 'max' ? v > this.best : v < this.best) {
        this.best = value;
        this.wait = 0;
      } else {
        this.wait += 1;
        if (this.wait >= this.patience) {
          this.stoppedEpoch = this.currentEpoch;
          this.stopTraining = true;
        }
      }
    }
    this.currentEpoch += 1;
    return this.stopTraining;
  }

  trainEnd(estimator: EstimatorRef): void {
    if (this.stoppedEpoch > 0) estimator.logger.info(`[Epoch ${this.stoppedEpoch}] EarlyStoppingHandler: early stopping due to ${String(this.monitor.get()[0])} not improving`);
  }
}
