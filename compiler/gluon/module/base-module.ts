/**
 * MXNet 1.x's `BaseModule` (python/mxnet/module/base_module.py): the loops
 * every module shares, written once over the abstract interface
 * (`bind`, `initParams`, `initOptimizer`, `forward`, `backward`, `update`,
 * `getOutputs`, `getParams`, `setParams`): `fit`, `score`, `predict`,
 * `forwardBackward`, `updateMetric`, `saveParams`, `loadParams`. `Module`
 * and `BucketingModule` implement the interface; the messages name the
 * concrete class (`Module.fit`, `BucketingModule.fit`).
 * Invariants: option keys are checked (an unknown key is an Error naming
 * it); the loops call only the interface.
 */
import type { NDArray } from '../../engine/ndarray.js';
import { ops as ndOps } from '../../engine/nd.js';
import type { Symbol } from '../../trace/symbol.js';
import { create as createMetric, type EvalMetric } from '../metric/index.js';
import type { DataBatch, DataDesc } from '../data/io.js';
import type { Optimizer } from '../optimizer/optimizer.js';
import type { Initializer } from '../init.js';
import { loadParamsFile, saveParamsFile } from './checkpoint.js';
import { percentF, type BatchEndParam } from './callback.js';
import { checkOptions } from '../../../runtime/check-options.js';

/** A bound input: `[name, shape]` as MXNet's tuples, or a DataDesc. */
export type ShapeSpec = [string, number[]] | Pick<DataDesc, 'name' | 'shape'>;

/** MXNet's `logger`: anything with `info(message)` (console by default). */
export interface Logger {
  info(message: string): void;
}

/** Module's constructor options (MXNet's keyword arguments). */
export interface ModuleOptions {
  dataNames?: string[];
  labelNames?: string[] | null;
  /** Accepted and ignored: gluonc runs where its arrays are (cpu). */
  context?: unknown;
  /** Parameters not updated by `update` (gradReq 'null'). */
  fixedParamNames?: string[];
  logger?: Logger;
}

/** `bind`'s options. */
export interface BindOptions {
  dataShapes: ShapeSpec[];
  labelShapes?: ShapeSpec[] | null;
  forTraining?: boolean;
  inputsNeedGrad?: boolean;
  forceRebind?: boolean;
  /**
   * A bound Module whose parameters (the same Parameter objects) this one
   * uses, and whose optimizer it borrows once made (MXNet's `shared_module`,
   * as BucketingModule binds its buckets).
   */
  sharedModule?: BaseModule | null;
}

/** Parameters by name, as MXNet's `arg_params` / `aux_params` dicts. */
export type ParamDict = Record<string, NDArray>;

/** `initParams`' options (also `setParams`'). */
export interface InitParamsOptions {
  initializer?: Initializer;
  argParams?: ParamDict | null;
  auxParams?: ParamDict | null;
  allowMissing?: boolean;
  forceInit?: boolean;
  allowExtra?: boolean;
}

/** `initOptimizer`'s options. */
export interface InitOptimizerOptions {
  /** Accepted and ignored (one process). */
  kvstore?: unknown;
  optimizer?: string | Optimizer;
  /** MXNet's keys (`learning_rate`, `wd`, `momentum`, `rescale_grad`) or gluonc's camelCase ones. */
  optimizerParams?: Record<string, unknown>;
  forceInit?: boolean;
}

/** `fit`'s options (base_module.py's keyword arguments). */
export interface FitOptions extends InitOptimizerOptions {
  evalData?: Iterable<DataBatch> & { reset?(): void };
  evalMetric?: string | EvalMetric | (string | EvalMetric)[];
  validationMetric?: string | EvalMetric | (string | EvalMetric)[];
  epochEndCallback?: EpochEndCallback | EpochEndCallback[];
  batchEndCallback?: BatchEndCallback | BatchEndCallback[];
  evalEndCallback?: BatchEndCallback | BatchEndCallback[];
  evalBatchEndCallback?: BatchEndCallback | BatchEndCallback[];
  initializer?: Initializer;
  argParams?: ParamDict | null;
  auxParams?: ParamDict | null;
  allowMissing?: boolean;
  forceRebind?: boolean;
  beginEpoch?: number;
  numEpoch: number;
}

/** Called after each epoch with the epoch, the symbol and the parameters (MXNet's `epoch_end_callback`). */
export type EpochEndCallback = (epoch: number, symbol: Symbol | Symbol[], argParams: ParamDict, auxParams: ParamDict) => void;
/** Called after each batch (MXNet's `batch_end_callback`). */
export type BatchEndCallback = (param: BatchEndParam) => void;

/** Each method's option keys: any other key is an Error naming it (a misspelt `numEpochs` must not train one epoch). */
export const KEYS = {
  module: ['dataNames', 'labelNames', 'context', 'fixedParamNames', 'logger'],
  bind: ['dataShapes', 'labelShapes', 'forTraining', 'inputsNeedGrad', 'forceRebind', 'sharedModule'],
  initParams: ['initializer', 'argParams', 'auxParams', 'allowMissing', 'forceInit', 'allowExtra'],
  setParams: ['allowMissing', 'forceInit', 'allowExtra'],
  initOptimizer: ['kvstore', 'optimizer', 'optimizerParams', 'forceInit'],
  fit: ['kvstore', 'optimizer', 'optimizerParams', 'forceInit', 'evalData', 'evalMetric', 'validationMetric', 'epochEndCallback', 'batchEndCallback', 'evalEndCallback', 'evalBatchEndCallback', 'initializer', 'argParams', 'auxParams', 'allowMissing', 'forceRebind', 'beginEpoch', 'numEpoch'],
  forward: ['isTrain'],
  score: ['numBatch', 'batchEndCallback', 'scoreEndCallback', 'reset', 'epoch'],
  predict: ['numBatch', 'reset'],
} as const;

/** A data iterator (io.NDArrayIter, or any iterable of batches; `reset` is called between epochs when present). */
export type DataIter = Iterable<DataBatch> & { reset?(): void };

export const list = <T>(x: T | T[] | undefined | null): T[] => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]);
export const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * The shared part of MXNet's modules: subclasses implement binding,
 * initialization and the forward/backward/update steps; the training and
 * evaluation loops here call only those.
 *
 * ```ts
 * class MyModule extends BaseModule { ... }   // as Module and BucketingModule do
 * ```
 */
export abstract class BaseModule {
  abstract logger: Logger;
  abstract binded: boolean;
  abstract paramsInitialized: boolean;
  abstract optimizerInitialized: boolean;
  /** The symbol (Module's; BucketingModule's current bucket's). */
  abstract readonly symbol: Symbol | Symbol[];
  abstract bind(options: BindOptions): void;
  abstract initParams(options?: InitParamsOptions): void;
  abstract initOptimizer(options?: InitOptimizerOptions): void;
  abstract forward(batch: Pick<DataBatch, 'data'> & Partial<Pick<DataBatch, 'label' | 'bucketKey' | 'provideData' | 'provideLabel'>>, options?: { isTrain?: boolean }): void;
  abstract backward(outGrads?: NDArray[]): void;
  abstract update(): void;
  abstract getOutputs(): NDArray[];
  abstract getParams(): [ParamDict, ParamDict];
  abstract setParams(argParams: ParamDict, auxParams?: ParamDict | null, options?: { allowMissing?: boolean; forceInit?: boolean; allowExtra?: boolean }): void;

  /** The class name messages start with. */
  protected get _what(): string {
    return this.constructor.name;
  }

  /** `forward` (training) then `backward`. */
  forwardBackward(batch: DataBatch): void {
    this.forward(batch, { isTrain: true });
    this.backward();
  }

  /** Adds the last outputs against `labels` to `metric`. */
  updateMetric(metric: EvalMetric, labels: NDArray[]): void {
    const outs = this.getOutputs();
    // MXNet's update_metric pairs the labels with the first outputs.
    metric.update(labels, outs.slice(0, labels.length));
  }

  /**
   * Trains (base_module.py's `fit`): bind to the iterator's shapes,
   * initialize, then per epoch forward/backward/update each batch, log
   * `Epoch[e] Train-<metric>=<value>` and the time, call the epoch-end
   * callbacks, and score `evalData` (`Epoch[e] Validation-<metric>=...`).
   */
  fit(trainData: DataIter & { provideData: DataDesc[]; provideLabel: DataDesc[] }, options: FitOptions): void {
    const o = checkOptions(`${this._what}.fit`, options ?? ({} as FitOptions), KEYS.fit);
    if (typeof o.numEpoch !== 'number' || !Number.isInteger(o.numEpoch)) throw new Error(`${this._what}.fit: please specify number of epochs (numEpoch)`);
    this.bind({ dataShapes: trainData.provideData, labelShapes: trainData.provideLabel, forTraining: true, forceRebind: o.forceRebind ?? false });
    this.initParams({ initializer: o.initializer, argParams: o.argParams ?? null, auxParams: o.auxParams ?? null, allowMissing: o.allowMissing ?? false, forceInit: o.forceInit ?? false });
    this.initOptimizer({ optimizer: o.optimizer, optimizerParams: o.optimizerParams, kvstore: o.kvstore });
    const evalMetric = createMetric(o.evalMetric ?? 'acc');
    const validationMetric = o.validationMetric ?? o.evalMetric ?? 'acc';
    for (let epoch = o.beginEpoch ?? 0; epoch < o.numEpoch; epoch++) {
      const tic = Date.now();
      evalMetric.reset();
      let nbatch = 0;
      for (const batch of trainData) {
        this.forwardBackward(batch);
        this.update();
        this.updateMetric(evalMetric, batch.label);
        for (const cb of list(o.batchEndCallback)) cb({ epoch, nbatch, evalMetric, locals: { batch } });
        nbatch++;
      }
      // MXNet's fit fails here too (next() of an exhausted iterator raises StopIteration).
      if (!nbatch) throw new Error(`${this._what}.fit: the training data gave no batch in epoch ${epoch} (an exhausted iterator? call trainData.reset() first)`);
      // MXNet's fit logs get_global_name_value(): a Speedometer's resetLocal() between batches leaves the epoch's value.
      for (const [name, val] of evalMetric.getGlobalNameValue()) this.logger.info(`Epoch[${epoch}] Train-${name}=${percentF(val)}`);
      this.logger.info(`Epoch[${epoch}] Time cost=${((Date.now() - tic) / 1000).toFixed(3)}`);
      const [arg, aux] = this.getParams();
      for (const cb of list(o.epochEndCallback)) cb(epoch, this.symbol, arg, aux);
      if (o.evalData) {
        const res = this.score(o.evalData, validationMetric, { batchEndCallback: o.evalBatchEndCallback, scoreEndCallback: o.evalEndCallback, epoch });
        for (const [name, val] of res) this.logger.info(`Epoch[${epoch}] Validation-${name}=${percentF(val)}`);
      }
      trainData.reset?.();
    }
  }

  /**
   * Evaluates `metric` over `evalData` (inference forward; padded samples
   * count, as in MXNet's score); returns `[[name, value], ...]`.
   */
  score(evalData: DataIter, evalMetric: string | EvalMetric | (string | EvalMetric)[], options: { numBatch?: number; batchEndCallback?: BatchEndCallback | BatchEndCallback[]; scoreEndCallback?: BatchEndCallback | BatchEndCallback[]; reset?: boolean; epoch?: number } = {}): [string, number][] {
    if (!this.binded || !this.paramsInitialized) throw new Error(`${this._what}.score: bind and initParams first`);
    checkOptions(`${this._what}.score`, options, KEYS.score);
    if (options.reset ?? true) evalData.reset?.();
    const metric = createMetric(evalMetric);
    metric.reset();
    let nbatch = 0;
    for (const batch of evalData) {
      if (options.numBatch !== undefined && nbatch === options.numBatch) break;
      this.forward(batch, { isTrain: false });
      this.updateMetric(metric, batch.label);
      for (const cb of list(options.batchEndCallback)) cb({ epoch: options.epoch ?? 0, nbatch, evalMetric: metric, locals: { batch } });
      nbatch++;
    }
    for (const cb of list(options.scoreEndCallback)) cb({ epoch: options.epoch ?? 0, nbatch, evalMetric: metric, locals: {} });
    return metric.getNameValue();
  }

  /** The outputs over `evalData`, each batch's padding removed, concatenated along the batch (one array, or a list for several outputs). */
  predict(evalData: DataIter, options: { numBatch?: number; reset?: boolean } = {}): NDArray | NDArray[] {
    if (!this.binded || !this.paramsInitialized) throw new Error(`${this._what}.predict: bind and initParams first`);
    checkOptions(`${this._what}.predict`, options, KEYS.predict);
    if (options.reset ?? true) evalData.reset?.();
    const parts: NDArray[][] = [];
    let nbatch = 0;
    for (const batch of evalData) {
      if (options.numBatch !== undefined && nbatch === options.numBatch) break;
      this.forward(batch, { isTrain: false });
      const pad = batch.pad ?? 0;
      const scalar = this.getOutputs().findIndex((o) => o.ndim === 0);
      if (scalar >= 0) throw new Error(`${this._what}.predict: output ${scalar} has no batch axis (a 0-d value), so the batches' outputs cannot be concatenated; use forward and getOutputs`);
      parts.push(this.getOutputs().map((out) => (pad ? ndOps.sliceAxis(out, { axis: 0, begin: 0, end: out.shape[0]! - pad }) : out.copy())));
      nbatch++;
    }
    if (!parts.length) throw new Error(`${this._what}.predict: the iterator gave no batch`);
    const merged = parts[0]!.map((_o, k) => (parts.length === 1 ? parts[0]![k]! : ndOps.concat(...parts.map((p) => p[k]!), { dim: 0 })));
    return merged.length === 1 ? merged[0]! : merged;
  }

  /** Writes the parameters as MXNet's `.params` (`arg:`/`aux:`), Module's `save_params`. */
  saveParams(fname: string): void {
    saveParamsFile(fname, ...this.getParams());
  }

  /** Reads a `.params` file of `arg:`/`aux:` entries into the bound module (Module's `load_params`: `setParams`). */
  loadParams(fname: string): void {
    const [arg, aux] = loadParamsFile(fname);
    this.setParams(arg, aux);
  }
}
