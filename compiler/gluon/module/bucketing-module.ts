/**
 * MXNet 1.x's `mx.mod.BucketingModule` (python/mxnet/module/bucketing_module.py):
 * one Module per bucket key, each built from `symGen(bucketKey)`, all
 * sharing the default bucket's parameters (the same Parameter objects) and
 * its optimizer (one Trainer, so one set of optimizer states). `forward`
 * switches to the batch's `bucketKey`; `fit`, `score` and `predict` are
 * BaseModule's loops. Each bucket's Module compiles its own sessions (one
 * per input signature, as any hybridized block) and keeps them, so a bucket
 * seen again trains without compiling (a prediction session, which bakes
 * the parameters in, is rebuilt after they change, as for any block).
 * Departures: `saveCheckpoint` writes the default bucket's symbol as
 * `<prefix>-symbol.json` (what `Module.load` reads back), not MXNet 1.6's
 * one symbol file per bucket; `stateNames` is not supported (gluonc's
 * Module has no state inputs): a non-empty list is an Error. A batch
 * without `bucketKey` runs in the default bucket.
 * Invariants: the default bucket is made at `bind`; a bucket's symbol may
 * only use the default bucket's parameters (with the same shapes); errors
 * name the bucket key.
 */
import type { NDArray } from '../../engine/ndarray.js';
import { isSymbol, type Symbol } from '../../trace/symbol.js';
import type { DataBatch, DataDesc } from '../data/io.js';
import { showValue } from '../show-value.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { BaseModule, KEYS, type BindOptions, type InitOptimizerOptions, type InitParamsOptions, type Logger, type ParamDict, type ShapeSpec } from './base-module.js';
import { Module } from './module.js';

/** A bucket key: MXNet's are any hashable value; `BucketSentenceIter`'s are the bucket lengths. */
export type BucketKey = number | string | readonly (number | string)[];

/** `symGen(bucketKey)` gives `[symbol, dataNames, labelNames]` (MXNet's `sym_gen`). */
export type SymGen<K extends BucketKey = BucketKey> = (bucketKey: K) => readonly [Symbol | Symbol[], readonly string[], (readonly string[] | null)?];

/** BucketingModule's options (MXNet's keyword arguments). */
export interface BucketingModuleOptions<K extends BucketKey = BucketKey> {
  /** The bucket bound first, whose Module holds the parameters (the iterator's `defaultBucketKey`: the largest). */
  defaultBucketKey: NoInfer<K>;
  logger?: Logger;
  /** Accepted and ignored: gluonc runs where its arrays are (cpu). */
  context?: unknown;
  /** Parameters not updated by `update`. */
  fixedParamNames?: string[];
  /** Not supported (gluonc's Module has no state inputs); must be empty. */
  stateNames?: string[];
}

const keyText = (k: BucketKey) => JSON.stringify(k);

/**
 * MXNet's `mx.mod.BucketingModule`.
 *
 * ```ts
 * const model = new mod.BucketingModule(symGen, { defaultBucketKey: dataTrain.defaultBucketKey });
 * model.fit(dataTrain, { evalData: dataVal, evalMetric: new metric.Perplexity(invalidLabel), optimizer: 'sgd',
 *   optimizerParams: { learning_rate: 0.01 }, initializer: new init.Xavier({ factorType: 'in', magnitude: 2.34 }), numEpoch: 5 });
 * ```
 */
export class BucketingModule<K extends BucketKey = BucketKey> extends BaseModule {
  readonly symGen: SymGen<K>;
  readonly defaultBucketKey: K;
  readonly fixedParamNames: string[];
  logger: Logger;
  binded = false;
  paramsInitialized = false;
  optimizerInitialized = false;
  forTraining = false;
  inputsNeedGrad = false;
  private readonly _buckets = new Map<string, Module>();
  private _curr: Module | null = null;
  private _currKey: K | null = null;
  /** The default bucket's Module made at construction (MXNet checks its names there), bound by the first bind. */
  private _unbound: Module | null;

  constructor(symGen: SymGen<K>, options: BucketingModuleOptions<K>) {
    super();
    if (typeof symGen !== 'function') throw new Error(`BucketingModule: symGen must be a function bucketKey => [symbol, dataNames, labelNames], got ${showValue(symGen)}`);
    const o = checkOptions('BucketingModule', options ?? ({} as BucketingModuleOptions<K>), ['defaultBucketKey', 'logger', 'context', 'fixedParamNames', 'stateNames']);
    if (o.defaultBucketKey === undefined || o.defaultBucketKey === null) throw new Error('BucketingModule: defaultBucketKey is required (the iterator\'s defaultBucketKey)');
    if (o.stateNames?.length) throw new Error(`BucketingModule: stateNames (${o.stateNames.join(', ')}) are not supported: gluonc's Module has no state inputs`);
    this.symGen = symGen;
    this.defaultBucketKey = o.defaultBucketKey;
    this.fixedParamNames = [...(o.fixedParamNames ?? [])];
    this.logger = o.logger ?? { info: (m) => console.log(m) };
    // MXNet checks the default bucket's names at construction (_check_input_names).
    this._unbound = this._makeModule(this.defaultBucketKey);
  }

  /** A fresh Module of `symGen(key)` (its names checked by Module, the message naming the key). */
  private _makeModule(key: K): Module {
    const where = `BucketingModule: bucket ${keyText(key)}`;
    let got: unknown;
    try {
      got = this.symGen(key);
    } catch (e) {
      throw new Error(`${where}: symGen(${keyText(key)}) failed: ${(e as Error).message}`);
    }
    if (!Array.isArray(got) || got.length < 2 || got.length > 3) throw new Error(`${where}: symGen must return [symbol, dataNames, labelNames], got ${showValue(got)}`);
    const [symbol, dataNames, labelNames = null] = got;
    if (!(isSymbol(symbol) || (Array.isArray(symbol) && symbol.length && symbol.every(isSymbol)))) throw new Error(`${where}: symGen's symbol must be a symbol or a list of symbols, got ${showValue(symbol)}`);
    const names = (x: unknown, what: string) => {
      if (!Array.isArray(x) || !x.every((n) => typeof n === 'string')) throw new Error(`${where}: symGen's ${what} must be a list of names, got ${showValue(x)}`);
      return [...x] as string[];
    };
    try {
      return new Module(symbol, { dataNames: names(dataNames, 'dataNames'), labelNames: labelNames === null ? null : names(labelNames, 'labelNames'), fixedParamNames: this.fixedParamNames, logger: this.logger });
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  }

  private get _default(): Module {
    const m = this._buckets.get(keyText(this.defaultBucketKey));
    if (!m) throw new Error('BucketingModule: not bound; call bind({ dataShapes, labelShapes }) first');
    return m;
  }

  /** The current bucket's Module (after bind). */
  get currModule(): Module {
    if (!this._curr) throw new Error('BucketingModule: not bound; call bind({ dataShapes, labelShapes }) first');
    return this._curr;
  }

  /** The current bucket key (after bind). */
  get currBucketKey(): K | null {
    return this._currKey;
  }

  /** The keys of the buckets made so far (the default first). */
  get bucketKeys(): K[] {
    return [...this._buckets.keys()].map((k) => JSON.parse(k) as K);
  }

  /** The current bucket's symbol. */
  get symbol(): Symbol | Symbol[] {
    return this.currModule.symbol;
  }

  get dataNames(): string[] {
    return (this._curr ?? this._unbound ?? this._default).dataNames;
  }

  get labelNames(): string[] {
    return (this._curr ?? this._unbound ?? this._default).labelNames;
  }

  get outputNames(): string[] {
    return this.currModule.outputNames;
  }

  get dataShapes(): DataDesc[] {
    return this.currModule.dataShapes;
  }

  get labelShapes(): DataDesc[] | null {
    return this.currModule.labelShapes;
  }

  /** Binds the default bucket (MXNet's bind; `sharedModule` is not supported, as in MXNet); parameters already initialized are kept. */
  bind(options: BindOptions): void {
    const o = checkOptions('BucketingModule.bind', options ?? ({} as BindOptions), KEYS.bind);
    if (o.sharedModule) throw new Error('BucketingModule.bind: sharedModule for BucketingModule is not supported');
    if (this.binded && !o.forceRebind) {
      process.emitWarning('BucketingModule.bind: Already bound, ignoring bind()', 'GluoncWarning');
      return;
    }
    // As MXNet's: parameters already initialized survive a rebind (the optimizer is made again).
    const kept = this.paramsInitialized ? this.getParams() : null;
    if (o.forceRebind) {
      this._buckets.clear();
      this._curr = null;
      this._currKey = null;
      this.binded = false;
      this.optimizerInitialized = false;
    }
    const m = this._unbound ?? this._makeModule(this.defaultBucketKey);
    this._unbound = null;
    try {
      m.bind({ ...o, forceRebind: false });
    } catch (e) {
      throw new Error(`BucketingModule.bind: bucket ${keyText(this.defaultBucketKey)}: ${(e as Error).message}`);
    }
    this.forTraining = o.forTraining ?? true;
    this.inputsNeedGrad = o.inputsNeedGrad ?? false;
    this._buckets.set(keyText(this.defaultBucketKey), m);
    this._curr = m;
    this._currKey = this.defaultBucketKey;
    this.binded = true;
    if (kept) this.setParams(...kept);
  }

  /**
   * Makes `bucketKey` the current bucket, binding a new Module on
   * `symGen(bucketKey)` over the default bucket's parameters the first time.
   *
   * ```ts
   * m.switchBucket(10, [['data', [32, 10]]], [['softmax_label', [32, 10]]]);
   * ```
   */
  switchBucket(bucketKey: K, dataShapes: ShapeSpec[], labelShapes: ShapeSpec[] | null = null): void {
    if (!this.binded) throw new Error('BucketingModule.switchBucket: call bind before switching bucket');
    const k = keyText(bucketKey);
    let m = this._buckets.get(k);
    if (!m) {
      m = this._makeModule(bucketKey);
      try {
        m.bind({ dataShapes, labelShapes, forTraining: this.forTraining, inputsNeedGrad: this.inputsNeedGrad, sharedModule: this._default });
      } catch (e) {
        const shapes = (Array.isArray(dataShapes) ? dataShapes : []).map((d) => (Array.isArray(d) ? d : [d?.name, d?.shape])).map(([n, s]) => `${n} [${Array.isArray(s) ? s.join(', ') : showValue(s)}]`);
        throw new Error(`BucketingModule.switchBucket: bucket ${k} (data shapes ${shapes.join(', ') || showValue(dataShapes)}): ${(e as Error).message}`);
      }
      this._buckets.set(k, m);
    }
    this._curr = m;
    this._currKey = bucketKey;
  }

  /** Initializes the parameters (the default bucket's, which every bucket shares). */
  initParams(options: InitParamsOptions = {}): void {
    if (this.paramsInitialized && !options.forceInit) return;
    if (!this.binded) throw new Error('BucketingModule.initParams: call bind before initializing the parameters');
    this._default.initParams(options);
    this.paramsInitialized = true;
  }

  /** Sets the parameters (MXNet's `set_params`). */
  setParams(argParams: ParamDict, auxParams: ParamDict | null = null, options: { allowMissing?: boolean; forceInit?: boolean; allowExtra?: boolean } = {}): void {
    checkOptions('BucketingModule.setParams', options, KEYS.setParams);
    if (this.paramsInitialized && options.forceInit === false) {
      process.emitWarning('BucketingModule.setParams: Parameters already initialized and forceInit=false. setParams call ignored.', 'GluoncWarning');
      return;
    }
    if (!this.binded) throw new Error('BucketingModule.setParams: call bind first');
    this._default.setParams(argParams, auxParams, { ...options, forceInit: true });
    this.paramsInitialized = true;
  }

  /** `[argParams, auxParams]` (copies; every bucket's are the same). */
  getParams(): [ParamDict, ParamDict] {
    if (!this.binded || !this.paramsInitialized) throw new Error('BucketingModule.getParams: bind and initParams first');
    return this._default.getParams();
  }

  /** Creates the optimizer on the default bucket; every other bucket borrows it (one Trainer, one set of states). */
  initOptimizer(options: InitOptimizerOptions = {}): void {
    if (!this.binded || !this.paramsInitialized) throw new Error('BucketingModule.initOptimizer: bind and initParams first');
    if (this.optimizerInitialized && !options.forceInit) {
      process.emitWarning('BucketingModule.initOptimizer: optimizer already initialized, ignoring.', 'GluoncWarning');
      return;
    }
    const d = this._default;
    d.initOptimizer({ ...options, forceInit: true });
    for (const m of this._buckets.values()) if (m !== d) m.borrowOptimizer(d);
    this.optimizerInitialized = true;
  }

  /** Runs the batch in its bucket (`batch.bucketKey`, else the default), switching (and binding) as needed. */
  forward(batch: Pick<DataBatch, 'data'> & Partial<Pick<DataBatch, 'label' | 'bucketKey' | 'provideData' | 'provideLabel'>>, options: { isTrain?: boolean } = {}): void {
    if (!this.binded || !this.paramsInitialized) throw new Error(`BucketingModule.forward: ${this.binded ? 'initParams' : 'bind and initParams'} must be called first`);
    const key = (batch?.bucketKey as K | undefined) ?? this.defaultBucketKey;
    const data = Array.isArray(batch?.data) ? batch.data : [];
    const labels = Array.isArray(batch?.label) ? batch.label : [];
    const dataNames = this._default.dataNames;
    const labelNames = this._default.labelNames;
    const dataShapes: ShapeSpec[] = batch?.provideData ?? data.map((d, i) => [dataNames[i] ?? `data${i}`, d.shape]);
    const labelShapes: ShapeSpec[] | null = batch?.provideLabel ?? (labels.length ? labels.map((d, i) => [labelNames[i] ?? `label${i}`, d.shape]) : null);
    this.switchBucket(key, dataShapes, labelShapes);
    try {
      this.currModule.forward(batch, options);
    } catch (e) {
      throw new Error(`BucketingModule.forward: bucket ${keyText(key)} (data shapes ${data.map((d) => `[${d.shape.join(', ')}]`).join(', ')}): ${(e as Error).message}`);
    }
  }

  backward(outGrads?: NDArray[]): void {
    if (!this.binded || !this.paramsInitialized) throw new Error('BucketingModule.backward: bind and initParams first');
    this.currModule.backward(outGrads);
  }

  update(): void {
    if (!this.binded || !this.paramsInitialized || !this.optimizerInitialized) throw new Error('BucketingModule.update: bind, initParams and initOptimizer must be called first');
    this.currModule.update();
  }

  getOutputs(): NDArray[] {
    if (!this.binded || !this.paramsInitialized) throw new Error('BucketingModule.getOutputs: bind and initParams first');
    return this.currModule.getOutputs();
  }

  getInputGrads(): NDArray[] {
    if (!this.binded || !this.paramsInitialized || !this.inputsNeedGrad) throw new Error('BucketingModule.getInputGrads: bind with inputsNeedGrad and initParams first');
    return this.currModule.getInputGrads();
  }

  /**
   * Writes the default bucket's symbol and the parameters (`<prefix>-symbol.json`,
   * `<prefix>-%04d.params`; with `saveOptimizerStates` the Trainer's states).
   */
  saveCheckpoint(prefix: string, epoch: number, saveOptimizerStates = false): void {
    if (!this.binded || !this.paramsInitialized) throw new Error('BucketingModule.saveCheckpoint: bind and initParams first');
    this._default.saveCheckpoint(prefix, epoch, saveOptimizerStates);
  }
}
