/**
 * MXNet 1.x's `mx.mod.Module` (python/mxnet/module/module.py and
 * base_module.py): a symbol with named data and label inputs, bound to
 * shapes, trained with `fit` or with `forward` / `backward` / `update`.
 * Built on gluonc's own pieces, not a parallel engine: the symbol becomes a
 * hybridized `SymbolBlock` whose inputs are the data and label variables
 * (every other variable is a parameter under its own name), and `update`
 * is a `Trainer` step, so a recorded forward, its backward and the update
 * run as one compiled training step. The training heads
 * (`sym.SoftmaxOutput`, ...) give the loss's gradient themselves
 * (compiler/ops/heads.ts), as in MXNet.
 * Invariants: the call order is MXNet's (bind, initParams, initOptimizer,
 * then forward/backward/update); a call out of order, a name the symbol
 * does not have, or a missing parameter without `allowMissing` is an Error
 * naming it, in module.py's words where it has them. `optimizerParams` take
 * MXNet's snake_case keys; `rescale_grad` defaults to 1 / batch size as
 * Module.init_optimizer sets it (the Trainer then steps with batch size 1),
 * and weight decay applies to `*_weight` and `*_gamma` parameters only
 * (MXNet's Optimizer.set_wd_mult with Module's parameter names).
 */
import { NDArray } from '../../engine/ndarray.js';
import { zeros } from '../../engine/nd.js';
import { backward as autogradBackward, record } from '../../engine/autograd.js';
import { graphOf, isSymbol, Symbol, SymbolGroup } from '../../trace/symbol.js';
import { SymbolBlock } from '../symbol-block.js';
import { Trainer } from '../trainer.js';
import { Uniform } from '../init.js';
import type { DataBatch, DataDesc } from '../data/io.js';
import { showValue } from '../show-value.js';
import { loadCheckpoint, rememberShapes, saveCheckpoint as saveSymbolCheckpoint } from './checkpoint.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { BaseModule, camel, KEYS, list, type BindOptions, type InitOptimizerOptions, type InitParamsOptions, type Logger, type ModuleOptions, type ParamDict, type ShapeSpec } from './base-module.js';

export { BaseModule } from './base-module.js';
export type { BatchEndCallback, BindOptions, DataIter, EpochEndCallback, FitOptions, InitOptimizerOptions, InitParamsOptions, Logger, ModuleOptions, ParamDict, ShapeSpec } from './base-module.js';

/**
 * MXNet's `mx.mod.Module`.
 *
 * ```ts
 * const data = sym.var('data');
 * const net = sym.SoftmaxOutput(sym.FullyConnected(data, { numHidden: 10, name: 'fc' }), { name: 'softmax' });
 * const m = new mod.Module(net, { dataNames: ['data'], labelNames: ['softmax_label'] });
 * m.fit(trainIter, { optimizer: 'sgd', optimizerParams: { learning_rate: 0.1 }, evalMetric: 'acc', numEpoch: 5 });
 * ```
 */
export class Module extends BaseModule {
  readonly symbol: Symbol | Symbol[];
  readonly dataNames: string[];
  /** The label names the symbol has (MXNet warns about, and drops, the others). */
  readonly labelNames: string[];
  readonly fixedParamNames: string[];
  logger: Logger;
  binded = false;
  forTraining = false;
  inputsNeedGrad = false;
  paramsInitialized = false;
  optimizerInitialized = false;
  /** The bound shapes (MXNet's `data_shapes`, `label_shapes`). */
  dataShapes: DataDesc[] = [];
  labelShapes: DataDesc[] | null = null;
  private readonly _outs: Symbol[];
  private readonly _args: string[];
  private readonly _aux: Set<string>;
  private _block: SymbolBlock | null = null;
  private _trainer: Trainer | null = null;
  private _outputs: NDArray[] | null = null;
  private _inputs: NDArray[] = [];
  private _recorded = false;
  /** Parameters given before bind (Module.load), applied at initParams. */
  private _preloaded: [ParamDict, ParamDict] | null = null;
  /** Module.load's optimizer states file, read by initOptimizer. */
  private _preloadOptStates: string | null = null;
  /** The label names as given (the batches' labels come in this order; the ones the symbol lacks are not fed). */
  private readonly _givenLabels: string[];
  /** The zero labels of an unlabelled inference forward, by the data's shapes. */
  private readonly _zeroLabels = new Map<string, NDArray[]>();

  constructor(symbol: Symbol | Symbol[], options: ModuleOptions = {}) {
    super();
    const outs = list(symbol);
    if (!outs.length || !outs.every(isSymbol)) throw new Error(`Module: symbol must be a symbol or a list of symbols (sym.SoftmaxOutput(...), sym.Group), got ${showValue(symbol)}`);
    checkOptions('Module', options, KEYS.module);
    this.symbol = symbol;
    this._outs = outs;
    const g = graphOf(...outs);
    this._args = g.inputs.map((v) => v.name);
    this._aux = new Set(g.nodes.filter((n) => n.op === 'BatchNorm').flatMap((n) => n.inputs.slice(3, 5).map((v) => v.name)));
    this.dataNames = [...(options.dataNames ?? ['data'])];
    const labels = options.labelNames === null ? [] : [...(options.labelNames ?? ['softmax_label'])];
    this.fixedParamNames = [...(options.fixedParamNames ?? [])];
    this.logger = options.logger ?? { info: (m) => console.log(m) };
    const args = this._args;
    // module.py's _check_input_names: a data name must be an argument; a label name missing is only a warning.
    for (const name of this.dataNames) {
      if (!args.includes(name)) {
        const candidates = args.filter((a) => !/_(weight|bias|gamma|beta|label|moving_mean|moving_var)$/.test(a));
        throw new Error(`Module: You created Module with Module(..., dataNames=${JSON.stringify(this.dataNames)}) but input with name '${name}' is not found in symbol.listArguments(). Did you mean one of:\n\t${candidates.join('\n\t')}`);
      }
    }
    this._givenLabels = labels;
    this.labelNames = labels.filter((name) => {
      if (args.includes(name)) return true;
      process.emitWarning(`Module: You created Module with Module(..., labelNames=${JSON.stringify(labels)}) but input with name '${name}' is not found in symbol.listArguments(); it is not fed`, 'GluoncWarning');
      return false;
    });
    for (const name of this.fixedParamNames) {
      if (!this.paramNames.includes(name)) throw new Error(`Module: fixed parameter '${name}' is not a parameter of the symbol (its parameters: ${this.paramNames.join(', ')})`);
    }
  }

  /**
   * Reads a checkpoint (`model.loadCheckpoint`) into a Module; the parameters
   * are set when it is bound, and with `loadOptimizerStates` the states
   * `saveCheckpoint(prefix, epoch, true)` wrote when the optimizer is made
   * (MXNet's `Module.load(prefix, epoch, load_optimizer_states, **kwargs)`).
   *
   * ```ts
   * const m = mod.Module.load('mlp', 5, true, { labelNames: ['softmax_label'] });
   * ```
   */
  static load(prefix: string, epoch: number, loadOptimizerStates: boolean | ModuleOptions = false, options: ModuleOptions = {}): Module {
    const opts = typeof loadOptimizerStates === 'object' ? loadOptimizerStates : options;
    const [symbol, args, aux] = loadCheckpoint(prefix, epoch);
    const m = new Module(symbol, opts);
    m._preloaded = [args, aux];
    if (loadOptimizerStates === true) m._preloadOptStates = `${prefix}-${String(epoch).padStart(4, '0')}.states`;
    return m;
  }

  /** The symbol's parameters: its arguments other than the data and labels, then the auxiliary states. */
  get paramNames(): string[] {
    return this._args.filter((a) => !this.dataNames.includes(a) && !this.labelNames.includes(a) && !this._aux.has(a));
  }

  /** Auxiliary state names (BatchNorm's moving statistics). */
  get auxNames(): string[] {
    return this._args.filter((a) => this._aux.has(a));
  }

  /** The output names, MXNet's `output_names`: the symbol's `listOutputs()` (`softmax_output`). */
  get outputNames(): string[] {
    return new SymbolGroup(this._outs).listOutputs();
  }

  /** The bound block (after bind). */
  get block(): SymbolBlock {
    if (!this._block) throw new Error('Module: not bound; call bind({ dataShapes, labelShapes }) first');
    return this._block;
  }

  /**
   * Binds the module to input shapes: builds the block over the data and label variables.
   *
   * ```ts
   * m.bind({ dataShapes: [['data', [32, 784]]], labelShapes: [['softmax_label', [32]]] });
   * m.bind({ dataShapes: it.provideData, labelShapes: it.provideLabel });
   * ```
   */
  bind(options: BindOptions): void {
    const { dataShapes, labelShapes = null, forTraining = true, inputsNeedGrad = false, forceRebind = false, sharedModule = null } = checkOptions('Module.bind', options ?? ({} as BindOptions), KEYS.bind);
    if (this.binded && !forceRebind) {
      process.emitWarning('Module.bind: Already bound, ignoring bind()', 'GluoncWarning');
      return;
    }
    if (inputsNeedGrad && !forTraining) throw new Error('Module.bind: inputsNeedGrad needs forTraining');
    if (sharedModule !== null && !(sharedModule instanceof Module && sharedModule.binded && sharedModule.paramsInitialized)) {
      throw new Error(`Module.bind: sharedModule must be a bound Module with its parameters initialized, got ${sharedModule instanceof Module ? 'a Module not bound and initialized' : showValue(sharedModule)}`);
    }
    this.dataShapes = this._parseShapes('dataShapes', dataShapes, this.dataNames, 'dataNames');
    const labelGiven = labelShapes !== null && labelShapes !== undefined && (labelShapes.length > 0 || this._givenLabels.length === 0);
    this.labelShapes = labelGiven ? this._parseShapes('labelShapes', labelShapes!, this._givenLabels, 'labelNames').filter((d) => this.labelNames.includes(d.name)) : null;
    if (forTraining && this.labelNames.length && !this.labelShapes) {
      throw new Error(`Module.bind: forTraining needs labelShapes for ${JSON.stringify(this.labelNames)} (the labels the training heads read)`);
    }
    const names = [...this.dataNames, ...this.labelNames];
    const shapes: Record<string, number[]> = Object.fromEntries([...this.dataShapes, ...(this.labelShapes ?? [])].map((d) => [d.name, d.shape]));
    rememberShapes(this.symbol, shapes);
    const argShapes = this._inferShapes(shapes);
    const kept = this._block && forceRebind ? this._block.collectParams() : sharedModule ? sharedModule.block.collectParams() : null;
    if (sharedModule) {
      // module.py's shared_module: the parameters are the shared module's, so each must be there with this symbol's shape.
      for (const name of [...this.paramNames, ...this.auxNames]) {
        const p = kept!.has(name) ? kept!.get(name) : null;
        if (!p) throw new Error(`Module.bind: parameter '${name}' is not in the shared module (its parameters: ${[...kept!.keys()].join(', ')}); a module that shares parameters may only use the shared module's`);
        const s = argShapes[name];
        if (s && p.shape.join() !== s.join()) throw new Error(`Module.bind: parameter '${name}' has shape [${s.join(', ')}] here and [${p.shape.join(', ')}] in the shared module`);
      }
    }
    const g = graphOf(...this._outs);
    const inputs = names.map((n) => new Symbol(g.inputs.find((v) => v.name === n)!));
    const block = new SymbolBlock(this._outs.length === 1 ? this._outs[0]! : this._outs, inputs, kept ?? undefined);
    for (const [name, p] of block.collectParams().entries()) {
      const s = argShapes[name];
      if (s && !p.initialized) {
        p.shape = [...s];
        p.rankUnknown = false;
      }
      if (this.fixedParamNames.includes(name)) p.gradReq = 'null';
    }
    block.hybridize();
    this._block = block;
    this.forTraining = forTraining;
    this.inputsNeedGrad = inputsNeedGrad;
    this.binded = true;
    this._outputs = null;
    if (sharedModule) {
      this.paramsInitialized = true;
      if (sharedModule.optimizerInitialized) this.borrowOptimizer(sharedModule);
    }
    if (this._preloaded && !this.paramsInitialized) this.initParams({ argParams: this._preloaded[0], auxParams: this._preloaded[1] });
  }

  private _parseShapes(what: string, given: ShapeSpec[], names: string[], key: string): DataDesc[] {
    if (!Array.isArray(given)) throw new Error(`Module.bind: ${what} must be a list of [name, shape] pairs or DataDesc, got ${showValue(given)}`);
    const descs = given.map((d, i): DataDesc => {
      const [name, shape] = Array.isArray(d) ? d : [d?.name, d?.shape];
      if (typeof name !== 'string' || !Array.isArray(shape) || !shape.every((x) => Number.isInteger(x) && x > 0)) {
        throw new Error(`Module.bind: ${what}[${i}] must be [name, shape] with a shape of positive integers (or a DataDesc), got ${showValue(d)}`);
      }
      // A DataDesc's layout is kept: its 'N' is the batch axis (MXNet's DataDesc.get_batch_axis), e.g. 'TN' from a time-major iterator.
      const layout = !Array.isArray(d) && typeof (d as DataDesc).layout === 'string' ? (d as DataDesc).layout : 'NCHW';
      return { name, shape: [...shape], dtype: 'float32', layout };
    });
    const got = descs.map((d) => d.name);
    if (got.length !== names.length || !names.every((n) => got.includes(n))) {
      throw new Error(`Module.bind: Data provided by ${what} don't match names specified by ${key} (${JSON.stringify(got)} vs. ${JSON.stringify(names)})`);
    }
    return names.map((n) => descs.find((d) => d.name === n)!);
  }

  /** Every argument's shape from the bound input shapes (MXNet's infer_shape). */
  private _inferShapes(shapes: Record<string, number[]>): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const o of this._outs) {
      try {
        // Each output of a group is inferred from the inputs it reads.
        const own = new Set(o.listArguments());
        Object.assign(out, o.inferShape(Object.fromEntries(Object.entries(shapes).filter(([k]) => own.has(k)))).args);
      } catch (e) {
        throw new Error(`Module: cannot infer the shapes from ${JSON.stringify(shapes)}: ${(e as Error).message}`);
      }
    }
    return out;
  }

  /**
   * Initializes the parameters: from `argParams`/`auxParams` where given
   * (a parameter missing there is an Error unless `allowMissing`, then the
   * initializer's), else with `initializer` (default Uniform(0.01); biases,
   * betas and moving means 0, gammas and moving variances 1, by name).
   * Entries the symbol lacks are ignored: module.py's `init_params` reads only its own names.
   */
  initParams(options: InitParamsOptions = {}): void {
    const { initializer = new Uniform(0.01), argParams = null, auxParams = null, allowMissing = false, forceInit = false } = checkOptions('Module.initParams', options, KEYS.initParams);
    if (this.paramsInitialized && !forceInit) {
      process.emitWarning('Module.initParams: Parameters already initialized and forceInit=false. initParams call ignored.', 'GluoncWarning');
      return;
    }
    if (!this.binded) throw new Error('Module.initParams: call bind before initializing the parameters');
    const params = this.block.collectParams();
    for (const [name, p] of params.entries()) {
      const isAux = this._aux.has(name);
      const cache = isAux ? auxParams : argParams;
      const src = cache?.[name];
      if (src) {
        if (!(src instanceof NDArray)) throw new Error(`Module.initParams: ${isAux ? 'auxParams' : 'argParams'}['${name}'] must be an NDArray, got ${showValue(src)}`);
        if (p.shape.length && !p.shape.includes(0) && src.shape.join() !== p.shape.join()) {
          throw new Error(`Module.initParams: ${isAux ? 'auxParams' : 'argParams'}['${name}'] has shape [${src.shape.join(', ')}], the bound symbol needs [${p.shape.join(', ')}]`);
        }
        p.setData(src.dtype === p.dtype ? src.copy() : src.astype(p.dtype));
        continue;
      }
      if (cache && !allowMissing) throw new Error(`Module.initParams: ${name} is not presented (not in ${isAux ? 'auxParams' : 'argParams'}; pass allowMissing to initialize it)`);
      p.initialize(p.init ? p.init.withGlobal(initializer) : initializer, { forceReinit: true });
    }
    this.paramsInitialized = true;
  }

  /**
   * Sets the parameters (MXNet's `set_params`: `initParams` from them, forced, a missing one an Error
   * unless `allowMissing`, with which module.py copies them as they are, an extra one then an Error unless `allowExtra`).
   */
  setParams(argParams: ParamDict, auxParams: ParamDict | null = null, options: { allowMissing?: boolean; forceInit?: boolean; allowExtra?: boolean } = {}): void {
    checkOptions('Module.setParams', options, KEYS.setParams);
    if (options.allowMissing && !options.allowExtra && this.binded) {
      for (const [given, names, kind] of [[argParams, this.paramNames, 'argParams'], [auxParams ?? {}, this.auxNames, 'auxParams']] as const) {
        const extra = Object.keys(given).filter((k) => !names.includes(k));
        if (extra.length) throw new Error(`Module.setParams: ${kind} has '${extra[0]}', which is not in the arguments of the symbol (its ${kind === 'argParams' ? 'parameters' : 'auxiliary states'}: ${names.join(', ') || 'none'}); pass allowExtra to ignore it (MXNet: Find name "${extra[0]}" that is not in the arguments)`);
      }
    }
    this.initParams({ argParams, auxParams: auxParams ?? {}, allowMissing: options.allowMissing ?? false, forceInit: options.forceInit ?? true, allowExtra: options.allowExtra ?? false });
  }

  /** `[argParams, auxParams]`: copies of the parameters by name (aux: BatchNorm's moving statistics). */
  getParams(): [ParamDict, ParamDict] {
    if (!this.binded || !this.paramsInitialized) throw new Error('Module.getParams: bind and initParams first');
    const arg: ParamDict = {};
    const aux: ParamDict = {};
    for (const [name, p] of this.block.collectParams().entries()) (this._aux.has(name) ? aux : arg)[name] = p.data().copy();
    return [arg, aux];
  }

  /**
   * Creates the optimizer (a Trainer over the parameters). MXNet's keys are
   * taken as MXNet takes them; `rescale_grad` defaults to 1 / batch size.
   *
   * ```ts
   * m.initOptimizer({ optimizer: 'sgd', optimizerParams: { learning_rate: 0.1, momentum: 0.9, wd: 1e-4 } });
   * ```
   */
  initOptimizer(options: InitOptimizerOptions = {}): void {
    const { optimizer = 'sgd', optimizerParams = { learning_rate: 0.01 }, forceInit = false } = checkOptions('Module.initOptimizer', options, KEYS.initOptimizer);
    if (!this.binded || !this.paramsInitialized) throw new Error('Module.initOptimizer: bind and initParams first');
    if (this.optimizerInitialized && !forceInit) {
      process.emitWarning('Module.initOptimizer: optimizer already initialized, ignoring...', 'GluoncWarning');
      return;
    }
    const first = this.dataShapes[0]!;
    const batchSize = first.shape[Math.max(0, first.layout.indexOf('N'))]!;
    const params = this.block.collectParams();
    // MXNet's Optimizer.set_wd_mult, given Module's param_idx2name: no weight decay but on '_weight' and '_gamma' parameters.
    for (const [name, p] of params.entries()) if (!/_(weight|gamma)$/.test(name)) p.wdMult = 0;
    if (typeof optimizer === 'string') {
      const opts: Record<string, unknown> = Object.fromEntries(Object.entries(optimizerParams ?? {}).map(([k, v]) => [camel(k), v]));
      if (!('rescaleGrad' in opts)) opts.rescaleGrad = 1 / batchSize;
      this._trainer = new Trainer(params, optimizer, opts);
    } else {
      if (optimizer.rescaleGrad !== 1 / batchSize) process.emitWarning(`Module.initOptimizer: Optimizer created manually outside Module but rescaleGrad is not normalized to 1.0/batchSize (${optimizer.rescaleGrad} vs. ${1 / batchSize}). Is this intended?`, 'GluoncWarning');
      this._trainer = new Trainer(params, optimizer);
    }
    if (this._preloadOptStates) this._trainer.loadStates(this._preloadOptStates);
    this.optimizerInitialized = true;
  }

  /** Uses `shared`'s optimizer (its Trainer, over the same parameters), as MXNet's `borrow_optimizer`. Example: `bucket.borrowOptimizer(defaultBucket)`. */
  borrowOptimizer(shared: Module): void {
    if (!(shared instanceof Module) || !shared.optimizerInitialized) throw new Error('Module.borrowOptimizer: the shared module has no optimizer; call initOptimizer on it first');
    this._trainer = shared.trainer;
    this.optimizerInitialized = true;
  }

  /** The Trainer `update` steps (after initOptimizer). */
  get trainer(): Trainer {
    if (!this._trainer) throw new Error('Module: the optimizer is not initialized; call initOptimizer first');
    return this._trainer;
  }

  /**
   * Runs the symbol on a batch (`batch.data` in `dataNames` order, `batch.label`
   * in `labelNames` order); recorded for `backward` when `isTrain` (default:
   * bound for training).
   */
  forward(batch: Pick<DataBatch, 'data'> & Partial<Pick<DataBatch, 'label'>>, options: { isTrain?: boolean } = {}): void {
    if (!this.binded || !this.paramsInitialized) throw new Error(`Module.forward: ${this.binded ? 'initParams' : 'bind and initParams'} must be called first`);
    const isTrain = checkOptions('Module.forward', options, KEYS.forward).isTrain ?? this.forTraining;
    if (isTrain && !this.forTraining) throw new Error('Module.forward: isTrain needs a module bound with forTraining');
    const data = list(batch?.data);
    if (data.length !== this.dataNames.length || !data.every((d) => d instanceof NDArray)) {
      throw new Error(`Module.forward: the batch has ${data.length} data array(s), the module takes ${this.dataNames.length} (${this.dataNames.join(', ')})`);
    }
    let labels = list(batch?.label);
    if (labels.length && labels.length < this._givenLabels.length) throw new Error(`Module.forward: the batch has ${labels.length} label(s), the module takes ${this._givenLabels.length} (${this._givenLabels.join(', ')})`);
    // The batch's labels are in the given names' order; those the symbol lacks are not fed.
    if (labels.length) labels = this._givenLabels.flatMap((n, i) => (this.labelNames.includes(n) ? [labels[i]!] : []));
    if (!labels.length && this.labelNames.length) {
      if (isTrain) throw new Error(`Module.forward: training needs the labels ${JSON.stringify(this.labelNames)}, and the batch has none`);
      // As MXNet's executor holds zeros in a label not fed: shaped as the heads read it (inferred once per data shapes).
      const key = data.map((d) => d.shape.join(',')).join(';');
      let z = this._zeroLabels.get(key);
      if (!z) {
        const shapes = this._inferShapes(Object.fromEntries(this.dataNames.map((n, i) => [n, data[i]!.shape])));
        this._zeroLabels.set(key, (z = this.labelNames.map((n) => zeros(shapes[n] ?? [data[0]!.shape[0]!]))));
      }
      labels = z;
    }
    const inputs = [...data, ...labels].map((x) => (x.dtype === 'float32' ? x : x.astype('float32')));
    if (isTrain && this.inputsNeedGrad) data.forEach((_d, i) => (inputs[i] = inputs[i]!.copy(), inputs[i]!.attachGrad()));
    const run = () => list(this.block.call(...inputs) as NDArray | NDArray[]);
    this._outputs = isTrain ? record(run, { trainMode: true }) : run();
    this._inputs = inputs;
    this._recorded = isTrain;
  }

  /** Back-propagates from the outputs (the training heads' gradients; other outputs get ones, as MXNet's default out_grads). */
  backward(outGrads?: NDArray[]): void {
    if (!this._outputs || !this._recorded) throw new Error('Module.backward: call forward(batch, { isTrain: true }) first (a module bound with forTraining)');
    autogradBackward(this._outputs, outGrads ?? []);
    this._recorded = false;
  }


  /** Updates the parameters with the optimizer (after `backward`). */
  update(): void {
    if (!this.binded || !this.paramsInitialized || !this.optimizerInitialized) {
      throw new Error(`Module.update: ${!this.binded ? 'bind, initParams and initOptimizer' : !this.paramsInitialized ? 'initParams and initOptimizer' : 'initOptimizer'} must be called first`);
    }
    this.trainer.step(1);
  }

  /** The outputs of the last forward. */
  getOutputs(): NDArray[] {
    if (!this._outputs) throw new Error('Module.getOutputs: call forward first');
    return this._outputs;
  }

  /** The gradients of the data inputs (bound with `inputsNeedGrad`). */
  getInputGrads(): NDArray[] {
    if (!this.inputsNeedGrad) throw new Error('Module.getInputGrads: bind with inputsNeedGrad: true');
    if (!this._outputs) throw new Error('Module.getInputGrads: call forward and backward first');
    return this._inputs.slice(0, this.dataNames.length).map((x) => x.grad!);
  }


  /**
   * Writes `<prefix>-symbol.json` and `<prefix>-%04d.params` (MXNet's format,
   * `arg:`/`aux:` names), and with `saveOptimizerStates` the Trainer's states
   * to `<prefix>-%04d.states` (gluonc's states file, not MXNet's pickle).
   */
  saveCheckpoint(prefix: string, epoch: number, saveOptimizerStates = false): void {
    const [arg, aux] = this.getParams();
    saveSymbolCheckpoint(prefix, epoch, this.symbol, arg, aux);
    if (saveOptimizerStates) this.trainer.saveStates(`${prefix}-${String(epoch).padStart(4, '0')}.states`);
  }
}
