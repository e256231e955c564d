/**
 * MXNet's `gluon.contrib.estimator.Estimator` (estimator/estimator.py,
 * MXNet 1.6+): `fit(trainData, valData, epochs | batches)` and `evaluate`,
 * with the loop's work done by event handlers. Defaults as MXNet's: train
 * metrics Accuracy (for SoftmaxCrossEntropyLoss) and a `metric.Loss` named
 * after the loss, prefixed 'training '; validation metrics deep copies
 * prefixed 'validation '; a trainer SGD with learning rate 0.001; handlers
 * StoppingHandler, GradientUpdateHandler, MetricHandler, ValidationHandler
 * (with validation data) and LoggingHandler added where not given.
 * Invariants: options are checked (an unknown key or a bad value is an
 * Error naming `Estimator` and the option); the training step is the
 * user's record/backward/trainer.step, so a hybridized net runs one fused
 * session per step.
 */
import { Block } from '../block.js';
import { Loss } from '../loss/loss.js';
import { Trainer } from '../trainer.js';
import { Loss as LossMetric, type EvalMetric } from '../metric/index.js';
import type { Initializer } from '../init.js';
import { Context, currentContext } from '../../engine/context.js';
import { bindArgs, bindOptions, type KwArgs, type OptionArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { BatchProcessor } from './batch-processor.js';
import { checkHandlerMetrics, checkMetrics, copyMetric, renameMetric, suggestMetricForLoss } from './metrics.js';
import {
  checkEventHandlers, EventHandler, GradientUpdateHandler, handlersOf, LoggingHandler, MetricHandler, sortHandlers, StoppingHandler, ValidationHandler,
  type Batch, type BatchEndArgs, type EstimatorLogger, type EstimatorRef, type EvaluateOptions, type EventName,
} from './event-handler.js';

/** The Estimator's options (MXNet's keyword arguments after `net` and `loss`). */
export interface EstimatorOptions {
  trainMetrics?: EvalMetric | EvalMetric[] | null;
  valMetrics?: EvalMetric | EvalMetric[] | null;
  /** Used when the net is not yet initialized (else it is ignored with a warning, as MXNet). */
  initializer?: Initializer | string | null;
  /** Default: `new Trainer(net.collectParams(), 'sgd', { learningRate: 0.001 })`, with a warning. */
  trainer?: Trainer | null;
  /** A Context or a list of them (gluonc runs on the current one; default `[currentContext()]`). */
  context?: Context | Context[] | null;
  valNet?: Block | null;
  valLoss?: Loss | null;
  batchProcessor?: BatchProcessor | null;
  /** Where log lines go (MXNet's `estimator.logger`); default the console. */
  logger?: EstimatorLogger;
}
const OPTION_KEYS = ['trainMetrics', 'valMetrics', 'initializer', 'trainer', 'context', 'valNet', 'valLoss', 'batchProcessor', 'logger'];

/** `fit`'s options (MXNet's keyword arguments after `train_data`). */
export interface FitOptions {
  valData?: Iterable<Batch> | null;
  epochs?: number | null;
  eventHandlers?: EventHandler | EventHandler[] | null;
  batches?: number | null;
  batchAxis?: number;
}
const FIT_ARGS = ['trainData', 'valData?', 'epochs?', 'eventHandlers?', 'batches?', 'batchAxis?'] as const;

const warn = (m: string): void => void process.emitWarning(m, 'GluoncWarning');

function checkData(data: unknown, what: string): Iterable<Batch> {
  if (data === null || typeof data !== 'object' || typeof (data as Iterable<Batch>)[Symbol.iterator] !== 'function') {
    throw new Error(`${what} must be a DataLoader (an iterable of [data, label] batches), got ${showValue(data)}`);
  }
  return data as Iterable<Batch>;
}

function checkLoss(loss: unknown, what: string): Loss {
  if (!(loss instanceof Loss)) throw new Error(`${what} must be a gluon.loss.Loss, got ${showValue(loss)}`);
  return loss;
}

/**
 * Trains and evaluates a network with event handlers (MXNet's Estimator).
 *
 * ```ts
 * const est = new gluon.contrib.estimator.Estimator(net, new gluon.loss.SoftmaxCrossEntropyLoss(), {
 *   trainMetrics: new gluon.metric.Accuracy(), trainer });
 * est.fit(trainLoader, { valData: testLoader, epochs: 2 });
 * est.valMetrics.map((m) => m.get()); // [['validation accuracy', 0.93], ['validation softmaxcrossentropyloss', 0.24]]
 * ```
 */
export class Estimator implements EstimatorRef {
  net: Block;
  loss: Loss;
  valNet: Block;
  valLoss: Loss;
  trainer: Trainer;
  context: Context[];
  batchProcessor: BatchProcessor;
  logger: EstimatorLogger;
  maxEpoch: number | null = null;
  maxBatch: number | null = null;
  batchAxis = 0;
  private readonly _trainMetrics: EvalMetric[];
  private readonly _valMetrics: EvalMetric[];

  constructor(...args: KwArgs<['net', 'loss'], [net: Block, loss: Loss], EstimatorOptions>) {
    const [[net, loss], o] = bindArgs<[Block, Loss], EstimatorOptions>('Estimator', ['net', 'loss'], args, OPTION_KEYS);
    if (!(net instanceof Block)) throw new Error(`Estimator: net must be a gluon.Block, got ${showValue(net)}`);
    this.net = net;
    this.loss = checkLoss(loss, 'Estimator: loss');
    this._trainMetrics = checkMetrics(o.trainMetrics, 'Estimator: trainMetrics');
    this._valMetrics = checkMetrics(o.valMetrics, 'Estimator: valMetrics');
    this.addDefaultTrainingMetrics();
    this.addValidationMetrics();
    this.valLoss = o.valLoss === undefined || o.valLoss === null ? this.loss : checkLoss(o.valLoss, 'Estimator: valLoss');
    if (o.valNet !== undefined && o.valNet !== null && !(o.valNet instanceof Block)) throw new Error(`Estimator: valNet must be a gluon.Block, got ${showValue(o.valNet)}`);
    this.valNet = o.valNet ?? this.net;
    const logger = o.logger ?? { info: (m: string) => console.log(m), warning: (m: string) => console.log(m) };
    if (typeof logger !== 'object' || typeof logger.info !== 'function') throw new Error(`Estimator: logger must have an info(message) method, got ${showValue(logger)}`);
    this.logger = logger;
    this.context = this.checkContext(o.context);
    this.initialize(o.initializer);
    this.trainer = this.checkTrainer(o.trainer);
    const bp = o.batchProcessor ?? new BatchProcessor();
    if (!(bp instanceof BatchProcessor)) throw new Error(`Estimator: batchProcessor must be a BatchProcessor (or a subclass), got ${showValue(bp)}`);
    this.batchProcessor = bp;
  }

  /** The training metrics (named 'training ...'). */
  get trainMetrics(): EvalMetric[] {
    return this._trainMetrics;
  }

  /** The validation metrics (named 'validation ...'). */
  get valMetrics(): EvalMetric[] {
    return this._valMetrics;
  }

  private checkContext(context: unknown): Context[] {
    if (context === undefined || context === null) return [currentContext()];
    const list = Array.isArray(context) ? context : [context];
    if (list.length === 0 || !list.every((c) => c instanceof Context)) throw new Error(`Estimator: context must be a Context or a list of Contexts (context.cpu()), got ${showValue(context)}`);
    for (const c of list as Context[]) {
      if (String(c) !== String(currentContext())) throw new Error(`Estimator: context ${String(c)} is not available; gluonc runs on the current context ${String(currentContext())} (set it with context.setContext)`);
    }
    return list as Context[];
  }

  private initialize(initializer: Initializer | string | null | undefined): void {
    const params = [...this.net.collectParams().values()];
    if (!params.every((p) => p.initialized || p.deferred)) this.net.initialize(initializer ?? undefined);
    else if (initializer) warn('Estimator: network already fully initialized, skipping initialization; you need not pass initializer if the net is initialized (net.initialize(init, { forceReinit: true }) re-initializes it)');
  }

  private checkTrainer(trainer: unknown): Trainer {
    if (trainer === undefined || trainer === null) {
      warn('Estimator: no trainer specified, default SGD optimizer with learning rate 0.001 is used');
      return new Trainer(this.net.collectParams(), 'sgd', { learningRate: 0.001 });
    }
    if (!(trainer instanceof Trainer)) throw new Error(`Estimator: trainer must be a gluon.Trainer, got ${showValue(trainer)}`);
    return trainer;
  }

  private addDefaultTrainingMetrics(): void {
    if (this._trainMetrics.length === 0) {
      const suggested = suggestMetricForLoss(this.loss);
      if (suggested) this._trainMetrics.push(suggested);
      // MXNet's loss name without its counter ('softmaxcrossentropyloss0' -> 'softmaxcrossentropyloss').
      this._trainMetrics.push(new LossMetric(this.loss._alias().replace(/[0-9]+$/, '')));
    }
    for (const m of this._trainMetrics) renameMetric(m, `training ${m.name}`);
  }

  private addValidationMetrics(): void {
    if (this._valMetrics.length === 0) this._valMetrics.push(...this._trainMetrics.map(copyMetric));
    for (const m of this._valMetrics) renameMetric(m, m.name.includes('training') ? m.name.replaceAll('training', 'validation') : `validation ${m.name}`);
  }

  /**
   * Evaluates on `valData`: resets the validation metrics, then runs the
   * batches through `batchProcessor.evaluateBatch` and the handlers (a
   * MetricHandler and a LoggingHandler of the validation metrics are added
   * when not given).
   *
   * ```ts
   * est.evaluate(testLoader);   // or (testLoader, { batchAxis: 0, eventHandlers: [...] })
   * ```
   */
  evaluate(...args: KwArgs<['valData', 'batchAxis?', 'eventHandlers?'], [valData: Iterable<Batch>, batchAxis?: number, eventHandlers?: EventHandler | EventHandler[] | null], {}>): void {
    const [[valData, batchAxis = 0, eventHandlers]] = bindArgs<[Iterable<Batch>, number?, unknown?], {}>('Estimator.evaluate', ['valData', 'batchAxis?', 'eventHandlers?'], args, []);
    const data = checkData(valData, 'Estimator.evaluate: valData');
    if (!Number.isInteger(batchAxis)) throw new Error(`Estimator.evaluate: batchAxis must be an integer, got ${showValue(batchAxis)}`);
    for (const m of this._valMetrics) m.reset();
    const handlers = this.prepareDefaultValidationHandlers(eventHandlers);
    this.fire(handlers, 'epochBegin');
    for (const batch of data) {
      this.fire(handlers, 'batchBegin', { batch });
      const [, label, pred, loss] = this.batchProcessor.evaluateBatch(this, batch, batchAxis);
      this.fire(handlers, 'batchEnd', { batch, pred, label, loss });
    }
    this.fire(handlers, 'epochEnd');
  }

  /**
   * Trains for `epochs` epochs or `batches` batches (exactly one of them):
   * each batch runs `batchProcessor.fitBatch` (forward and backward) and
   * the batch-end handlers (GradientUpdateHandler steps the trainer, then
   * MetricHandler updates the metrics); training stops when a batch-end or
   * epoch-end handler returns true.
   *
   * ```ts
   * est.fit(trainLoader, { valData: testLoader, epochs: 5, eventHandlers: [new estimator.EarlyStoppingHandler(est.valMetrics[1]!)] });
   * est.fit(trainLoader, { batches: 100 });
   * ```
   */
  fit(...args: OptionArgs<FitOptions & { trainData: Iterable<Batch> }, typeof FIT_ARGS>): void {
    const o = bindOptions<FitOptions & { trainData: unknown }>('Estimator.fit', FIT_ARGS, args, []);
    const trainData = checkData(o.trainData, 'Estimator.fit: trainData');
    const valData = o.valData === undefined || o.valData === null ? null : checkData(o.valData, 'Estimator.fit: valData');
    const given = (x: unknown): boolean => x !== undefined && x !== null && x !== 0;
    if (given(o.epochs) === given(o.batches)) {
      throw new Error(`Estimator.fit: give exactly one of epochs and batches (train by a number of epochs or a number of batches), got epochs ${showValue(o.epochs)} and batches ${showValue(o.batches)}`);
    }
    for (const k of ['epochs', 'batches'] as const) {
      const v = o[k];
      if (given(v) && !(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw new Error(`Estimator.fit: ${k} must be a positive integer, got ${showValue(v)}`);
    }
    const batchAxis = o.batchAxis ?? 0;
    if (!Number.isInteger(batchAxis)) throw new Error(`Estimator.fit: batchAxis must be an integer, got ${showValue(batchAxis)}`);
    this.maxEpoch = o.epochs ?? null;
    this.maxBatch = o.batches ?? null;
    this.batchAxis = batchAxis;
    const handlers = this.prepareDefaultHandlers(valData, o.eventHandlers);

    this.fire(handlers, 'trainBegin');
    for (;;) {
      this.fire(handlers, 'epochBegin');
      let seen = 0;
      for (const batch of trainData) {
        seen++;
        this.fire(handlers, 'batchBegin', { batch });
        const [, label, pred, loss] = this.batchProcessor.fitBatch(this, batch, batchAxis);
        if (this.fire(handlers, 'batchEnd', { batch, pred, label, loss })) break;
      }
      if (seen === 0 && this.maxBatch !== null) throw new Error('Estimator.fit: trainData yielded no batch, so training by batches would never end');
      if (this.fire(handlers, 'epochEnd')) break;
    }
    this.fire(handlers, 'trainEnd');
  }

  /** Calls `event` on each handler that has it; true when any returned true (every one is called, as MXNet's loop). */
  private fire(handlers: EventHandler[], event: EventName, args?: { batch: Batch } | BatchEndArgs): boolean {
    let stop = false;
    for (const h of handlersOf(handlers, event)) {
      const fn = (h as unknown as Record<string, (e: EstimatorRef, a?: unknown) => unknown>)[event]!;
      if (fn.call(h, this, args) === true) stop = true;
    }
    return stop;
  }

  /** The handlers of `fit`: the user's, then the defaults that are missing, sorted by priority (MXNet's `_prepare_default_handlers`). */
  private prepareDefaultHandlers(valData: Iterable<Batch> | null, eventHandlers: unknown): EventHandler[] {
    const handlers = checkEventHandlers(eventHandlers, 'Estimator.fit');
    const has = (cls: Function): boolean => handlers.some((h) => h instanceof cls);
    const added: EventHandler[] = [new StoppingHandler(this.maxEpoch, this.maxBatch)];
    if (!has(GradientUpdateHandler)) added.push(new GradientUpdateHandler());
    if (!has(MetricHandler)) added.push(new MetricHandler(this._trainMetrics));
    if (!has(ValidationHandler) && valData) added.push(new ValidationHandler(valData, this.evaluate));
    if (!has(LoggingHandler)) added.push(new LoggingHandler({ metrics: this._trainMetrics }));
    return this.mixChecked(handlers, added, [...this._trainMetrics, ...this._valMetrics]);
  }

  /** The handlers of `evaluate` (MXNet's `_prepare_default_validation_handlers`). */
  private prepareDefaultValidationHandlers(eventHandlers: unknown): EventHandler[] {
    const handlers = checkEventHandlers(eventHandlers, 'Estimator.evaluate');
    const added: EventHandler[] = [];
    if (!handlers.some((h) => h instanceof MetricHandler)) added.push(new MetricHandler(this._valMetrics));
    if (!handlers.some((h) => h instanceof LoggingHandler)) added.push(new LoggingHandler({ metrics: this._valMetrics }));
    return this.mixChecked(handlers, added, this._valMetrics);
  }

  private mixChecked(handlers: EventHandler[], added: EventHandler[], known: EvalMetric[]): EventHandler[] {
    const mixing = handlers.length > 0 && added.length > 0;
    const all = [...handlers, ...added];
    if (mixing) {
      const set = new Set(known);
      for (const h of all) checkHandlerMetrics(h, set);
    }
    return sortHandlers(all);
  }
}

export type { EstimatorRef, EvaluateOptions };
