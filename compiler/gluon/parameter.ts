/**
 * Parameters and parameter dictionaries. A parameter's shape may hold 0s
 * (unknown until the first forward pass solves them through the operators'
 * solve rules); its data is created then (deferred initialization).
 * Invariant: once initialized, `data().shape` equals `shape` and has no 0.
 */
import { bindOptions, type OptionArgs } from './bind-args.js';
import { checkDType, type DType } from '../../runtime/dtypes.js';
import { formatShape, sameShape } from '../../runtime/tensor.js';
import { Initializer, Uniform, Constant, toInitializer } from './init.js';
import { NDArray } from '../engine/ndarray.js';
import { flushPendingOps } from '../engine/lazy-op.js';
import { bindParam } from '../engine/tape.js';
import { currentTrace } from '../engine/trace-context.js';
import { zeros } from '../engine/nd.js';
import { flushPending, pendingWrite } from '../engine/program.js';
import { stepParamWillChange } from '../engine/step-params.js';
import { showValue } from './show-value.js';
import { structureMayHaveChanged } from './structure.js';
import { loadParamsFile, saveParamsFile, type LoadParamsOptions, type SaveParamsOptions } from '../formats/params-file.js';
import { checkOptions, closestKey, optionKeys } from '../../runtime/check-options.js';
import { currentContext, Context } from '../engine/context.js';

/** How gradients are written: overwrite, accumulate, or not at all. */
export type GradReq = 'write' | 'add' | 'null';

/** Options of a parameter. */
export interface ParameterOptions {
  shape?: number[];
  dtype?: DType;
  /** An Initializer, or MXNet's name of one (`'zeros'`, `'xavier'`). */
  init?: Initializer | string;
  gradReq?: GradReq;
  differentiable?: boolean;
  allowDeferredInit?: boolean;
  lrMult?: number;
  wdMult?: number;
}

/** The options a Parameter accepts. */
/** MXNet's positional parameters of Parameter, in its order (`Parameter(name, grad_req, shape, dtype, lr_mult, wd_mult, init, allow_deferred_init, differentiable)`). */
const PARAMETER_ARGS = ['name', 'gradReq?', 'shape?', 'dtype?', 'lrMult?', 'wdMult?', 'init?', 'allowDeferredInit?', 'differentiable?'] as const;

export const PARAMETER_OPTIONS = optionKeys<ParameterOptions>({
  shape: true, dtype: true, init: true, gradReq: true, differentiable: true, allowDeferredInit: true, lrMult: true, wdMult: true,
});

let dataHook: ((p: Parameter) => NDArray | undefined) | null = null;

/**
 * Runs `fn` with `Parameter.data()` asking `hook` first: while a Gluon 2
 * style `forward` is traced, `p.data()` is the parameter's symbol (typed as
 * the NDArray it stands for), so the compiled graph feeds and differentiates it.
 *
 * ```ts
 * withParameterData((p) => symbols.get(p), () => block.forward(x));
 * ```
 */
export function withParameterData<R>(hook: (p: Parameter) => NDArray | undefined, fn: () => R): R {
  const saved = dataHook;
  dataHook = hook;
  try {
    return fn();
  } finally {
    dataHook = saved;
  }
}

function checkMult(name: string, what: 'lrMult' | 'wdMult', v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`Parameter '${name}': ${what} must be a finite number, got ${showValue(v)}`);
  return v;
}

function checkFlag(name: string, what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Error(`Parameter '${name}': ${what} must be true or false, got ${showValue(v)}`);
  return v;
}

function checkGradReq(name: string, v: unknown): GradReq {
  if (v !== 'write' && v !== 'add' && v !== 'null') throw new Error(`Parameter '${name}': gradReq must be 'write', 'add' or 'null', got ${showValue(v)}`);
  return v;
}

/** MXNet's warning for parameters `initialize` kept (one per call, naming them). */
function warnAlreadyInitialized(names: string[]): void {
  const shown = names.slice(0, 5).map((n) => `'${n}'`).join(', ') + (names.length > 5 ? `, ... (${names.length - 5} more)` : '');
  const what = names.length === 1 ? `Parameter ${shown} is` : `${names.length} parameters are`;
  const list = names.length === 1 ? '' : ` (${shown})`;
  process.emitWarning(`${what} already initialized${list}, ignoring; pass { forceReinit: true } to re-initialize`, 'GluoncWarning');
}

/**
 * A learnable (or constant) array of a block.
 *
 * ```ts
 * const w = new Parameter('weight', { shape: [5, 0], allowDeferredInit: true });
 * new Parameter({ name: 'weight', shape: [5, 0] }); // the name by name, as MXNet's Parameter(name='weight', ...)
 * ```
 */
export class Parameter {
  /** The name it was created with (`weight`, `running_mean`), as MXNet 2's `Parameter.name`; its structural name (`1.weight`) is its key in `collectParams()`. */
  name: string;
  shape: number[];
  dtype: DType;
  init: Initializer | undefined;
  private _gradReq: GradReq = 'write';
  differentiable: boolean;
  allowDeferredInit: boolean;
  private _lrMult = 1;
  private _wdMult = 1;
  private _data: NDArray | null = null;
  private _grad: NDArray | null = null;
  /** The initializer waiting for the shape to be known. */
  private _deferred: Initializer | null = null;
  /**
   * True while the rank is unknown too (a SymbolBlock variable declared
   * without a shape, MXNet's `shape=None`): `shape` is then the placeholder
   * [0], and loading or `setData` takes an array of any shape.
   */
  rankUnknown = false;
  /** Bumped on every write of the data (compiled sessions read it fresh each run). */
  version = 0;
  /**
   * True when the gradient was written (by `backward`, a fused step or
   * `setGrad`) since the Trainer last updated this parameter (MXNet's
   * `_fresh_grad`): the Trainer refuses, or with `ignoreStaleGrad` skips,
   * a parameter whose gradient is not fresh.
   */
  freshGrad = false;

  constructor(...args: OptionArgs<ParameterOptions & { name: string }, typeof PARAMETER_ARGS>) {
    const { name, ...options } = bindOptions<ParameterOptions & { name: string }>('Parameter', PARAMETER_ARGS, args, []);
    structureMayHaveChanged();
    this.name = name;
    this.shape = [...(options.shape ?? [])];
    for (const d of this.shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Parameter '${name}': invalid shape ${formatShape(this.shape)}`);
    }
    this.dtype = checkDType(options.dtype ?? 'float32', `Parameter '${name}'`);
    this.init = toInitializer(options.init, `Parameter '${name}'`);
    this.differentiable = checkFlag(name, 'differentiable', options.differentiable ?? true);
    // Not through the setter: a new parameter is in no compiled step yet.
    this._gradReq = checkGradReq(name, this.differentiable ? options.gradReq ?? 'write' : 'null');
    this.allowDeferredInit = options.allowDeferredInit ?? false;
    this._lrMult = checkMult(name, 'lrMult', options.lrMult ?? 1);
    this._wdMult = checkMult(name, 'wdMult', options.wdMult ?? 1);
  }

  /**
   * MXNet's `grad_req`: 'write' (backward overwrites the gradient), 'add'
   * (backward adds to it) or 'null' (no gradient, never updated). A change
   * takes effect at the next recorded step (a compiled step is keyed by it).
   */
  get gradReq(): GradReq {
    return this._gradReq;
  }

  set gradReq(v: GradReq) {
    if (checkGradReq(this.name, v) === this._gradReq) return;
    stepParamWillChange();
    structureMayHaveChanged();
    this._gradReq = v;
  }

  /** MXNet's `lr_mult`: the learning rate of this parameter is the optimizer's times this (a finite number). */
  get lrMult(): number {
    return this._lrMult;
  }

  set lrMult(v: number) {
    this._lrMult = checkMult(this.name, 'lrMult', v);
  }

  /** MXNet's `wd_mult`: the weight decay of this parameter is the optimizer's times this (a finite number). */
  get wdMult(): number {
    return this._wdMult;
  }

  set wdMult(v: number) {
    this._wdMult = checkMult(this.name, 'wdMult', v);
  }

  /** True when the shape still has unknown (0) dimensions. */
  get shapeUnknown(): boolean {
    return this.shape.includes(0);
  }

  /** True once the data exists. */
  get initialized(): boolean {
    return this._data !== null;
  }

  /** True while waiting for the first forward pass to fix the shape. */
  get deferred(): boolean {
    return this._deferred !== null;
  }

  /**
   * Initializes the data with `init` when given (MXNet's `Parameter.initialize`:
   * it overrides the parameter's own), else the parameter's own initializer,
   * else Uniform. With unknown dimensions it defers until the shape is solved.
   * Already initialized, it keeps its data and warns (as MXNet does) unless
   * `forceReinit`.
   */
  initialize(init?: Initializer | string, options: { forceReinit?: boolean } = {}): void {
    checkOptions(`Parameter '${this.name}'.initialize`, options, ['forceReinit']);
    toInitializer(init, `Parameter '${this.name}'`);
    if (this._data && !options.forceReinit) {
      warnAlreadyInitialized([this.name]);
      return;
    }
    this._initialize(init, options, true);
  }

  /**
   * Initializes (see `initialize`); returns false when it kept existing data.
   * `init` comes after the parameter's own initializer (MXNet's `default_init`,
   * what `Block.initialize` passes), or before it when `explicit` (MXNet's
   * `Parameter.initialize(init)`).
   */
  _initialize(init?: Initializer | string, options: { forceReinit?: boolean } = {}, explicit = false): boolean {
    if (this._data && !options.forceReinit) return false;
    const given = toInitializer(init, `Parameter '${this.name}'`);
    // The parameter's own initializer sees the caller's as MXNet's global_init (init.FusedRNN draws its gates from it).
    const own = this.init?.withGlobal(given ?? new Uniform());
    const chosen = (explicit ? given ?? own : own ?? given) ?? new Uniform();
    if (this.shape.includes(0)) {
      if (!this.allowDeferredInit) {
        throw new Error(`Parameter '${this.name}' has unknown dimensions ${formatShape(this.shape)} but allowDeferredInit is false`);
      }
      this._deferred = chosen;
      this._data = null;
      return true;
    }
    this.setData(chosen.create(this.shape, this.dtype, this.name));
    this._deferred = null;
    return true;
  }

  /** Completes a deferred initialization once the shape is known. */
  finishDeferredInit(shape: number[]): void {
    if (shape.includes(0)) throw new Error(`Parameter '${this.name}': shape ${formatShape(shape)} still has unknown dimensions`);
    this.shape = [...shape];
    this.rankUnknown = false;
    if (this._deferred) {
      const init = this._deferred;
      this._deferred = null;
      this.setData(init.create(this.shape, this.dtype, this.name));
    }
  }

  /**
   * The current value. Errors name the parameter when it is not initialized
   * yet, and when read inside a `hybridForward` being traced (hybridized):
   * there the value must come from the parameter argument, or the compiled
   * graph would hold today's values as constants.
   */
  data(): NDArray {
    const traced = dataHook?.(this);
    if (traced) return traced;
    const forward = currentTrace()?.forward;
    if (forward) {
      throw new Error(
        `Parameter '${this.name}': data() was read inside ${forward}.hybridForward while it is traced (hybridized); ` +
          "use the parameter argument instead (hybridForward's last argument holds the block's parameters, e.g. " +
          'hybridForward(F, x, { weight, bias })), or the compiled graph would keep their current values as constants',
      );
    }
    if (this._data) {
      // A deferred (fused) call assigns it (running statistics): run it first, as eager code would have.
      if (pendingWrite(this)) flushPending();
      return this._data;
    }
    if (this._deferred) {
      throw new Error(
        `Parameter '${this.name}' has not been initialized yet: its shape ${formatShape(this.shape)} is known after the first forward pass`,
      );
    }
    throw new Error(`Parameter '${this.name}' has not been initialized; call initialize() on the block first`);
  }

  /** The gradient (allocated with the data when gradReq is not 'null'). */
  grad(): NDArray {
    if (this.gradReq === 'null') throw new Error(`Parameter '${this.name}' has no gradient (gradReq is 'null')`);
    flushPending(); // gradients of a pending fused step are computed when it runs
    const d = this.data();
    if (!this._grad || !sameShape(this._grad.shape, d.shape)) this._grad = zeros(d.shape, { dtype: d.dtype });
    return this._grad;
  }

  /** The gradient array if one exists (no allocation). */
  gradOrNull(): NDArray | null {
    return this.gradReq === 'null' ? null : this._grad;
  }

  /** Replaces the gradient array (autograd and the fused training step). */
  setGrad(g: NDArray): void {
    this._grad = g;
    this.freshGrad = true;
  }

  /** Sets the value, in place (the array `data()` returned sees it, as MXNet's `set_data`); shape and dtype must match a known shape. */
  setData(value: NDArray): void {
    if (!(value instanceof NDArray)) throw new Error(`Parameter '${this.name}': setData needs an NDArray`);
    const same = sameShape(value.shape, this.shape); // every training step: no strings, no copy
    if (!same && this.shape.length > 0 && !this.shape.includes(0)) {
      throw new Error(`Parameter '${this.name}': setData got shape ${formatShape(value.shape)}, expected ${formatShape(this.shape)}`);
    }
    if (value.dtype !== this.dtype) {
      throw new Error(`Parameter '${this.name}': setData got dtype ${value.dtype}, expected ${this.dtype}`);
    }
    if (!same) this.shape = [...value.shape];
    this.rankUnknown = false;
    // Written into the array data() returned (MXNet's set_data writes in place: an array read before a Trainer.step
    // sees the step), unless the shape changes; another parameter's array is copied, its gradients staying its owner's.
    // A deferred operator reading the old value runs first (lazy-op.ts: in-place writes flush), as MXNet's engine orders the write after pending reads.
    if (this._data && same && value !== this._data) {
      flushPendingOps();
      this._data._adopt(value);
    } else this._data = bindParam(value, this);
    this._deferred = null;
    this.version++;
  }

  /** MXNet's `list_ctx`: the contexts the data lives on, here the one global context. Example: `p.listCtx(); // [cpu(0)]`. */
  listCtx(): Context[] {
    return [currentContext()];
  }

  /**
   * MXNet's `reset_ctx`: gluonc keeps parameters on the host and runs on one
   * global context, so the current context (or a list of it) is accepted and
   * changes nothing; another is an Error saying to call `context.setContext`.
   */
  resetCtx(ctx: Context | Context[]): void {
    checkResetCtx(`Parameter '${this.name}'.resetCtx`, ctx);
  }

  /** MXNet's `list_data`: the data on each context, here `[data()]`. */
  listData(): NDArray[] {
    return [this.data()];
  }

  /** MXNet's `list_grad`: the gradient on each context, here `[grad()]`. */
  listGrad(): NDArray[] {
    return [this.grad()];
  }

  /** Sets the gradient to zeros. */
  zeroGrad(): void {
    if (this.gradReq === 'null' || !this._data) return;
    const g = this.grad();
    flushPendingOps(); // nothing pending may read the zeros
    g._host.data.fill(0 as never);
  }

  /** Returns the data converted to `dtype` and makes it the parameter's dtype. */
  cast(dtype: DType): void {
    const to = checkDType(dtype, `Parameter '${this.name}'.cast`);
    if (to !== this.dtype) {
      stepParamWillChange();
      structureMayHaveChanged();
    }
    this.dtype = to;
    if (this._data) {
      this._data = this._data.astype(dtype);
      // The new array is this parameter's data: taped operators on it record gradients for it.
      bindParam(this._data, this);
      this.version++;
    }
    this._grad = null;
    this.freshGrad = false;
  }

  toString(): string {
    return `Parameter ${this.name} (shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
  }

  /** `console.log(p)` prints `toString()`, as Python prints a Parameter. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * A dictionary of parameters by name.
 *
 * ```ts
 * const w = block.params.get('weight', { shape: [5, 0], allowDeferredInit: true });
 * net.collectParams().initialize(new init.Xavier());
 * ```
 */
export class ParameterDict {
  private readonly map = new Map<string, Parameter>();

  constructor(entries: Iterable<[string, Parameter]> = []) {
    for (const [k, v] of entries) this.map.set(k, v);
  }

  /** Each parameter by its key, as MXNet's `ParameterDict` prints (`print(net.collect_params())`). */
  toString(): string {
    return ['ParameterDict (', ...[...this.map].map(([k, p]) => `  ${k}: ${p.toString()}`), ')'].join('\n');
  }

  /** `console.log(params)` prints `toString()`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /**
   * The parameter called `name`, created with `options` when missing. An
   * existing one is returned when `options.shape` and `options.dtype` agree
   * with it (a 0 on either side is unknown; the known dimension is kept), as
   * MXNet's `ParameterDict.get`; a contradiction is an Error naming it.
   */
  get(name: string, options: ParameterOptions = {}): Parameter {
    let p = this.map.get(name);
    if (!p) {
      p = new Parameter(name, options);
      this.map.set(name, p);
      return p;
    }
    checkOptions(`ParameterDict.get('${name}')`, options, PARAMETER_OPTIONS);
    const bad = (what: string, want: string, have: string) =>
      new Error(`Cannot retrieve Parameter '${name}': the desired ${what} ${want} does not match the stored ${what} ${have}`);
    if (options.dtype !== undefined && options.dtype !== p.dtype) throw bad('dtype', options.dtype, p.dtype);
    const want = options.shape;
    if (want !== undefined && !sameShape(want, p.shape)) {
      const have = p.shape;
      if (want.length !== have.length || want.some((d, i) => d !== 0 && have[i] !== 0 && d !== have[i])) throw bad('shape', formatShape(want), formatShape(have));
      const merged = have.map((d, i) => (d === 0 ? want[i]! : d));
      if (p.deferred && !merged.includes(0)) p.finishDeferredInit(merged);
      else if (!p.initialized) p.shape = merged;
    }
    return p;
  }

  /** Registers an existing parameter under `name` (sharing it). */
  set(name: string, p: Parameter): void {
    if (this.map.get(name) !== p) structureMayHaveChanged();
    this.map.set(name, p);
  }

  /**
   * MXNet's setattr: sets an attribute (`gradReq`, `lrMult`, `wdMult`) on every parameter; MXNet's
   * snake_case names (`grad_req`, `lr_mult`, `wd_mult`) as Gluon code writes them are the same attributes.
   * Example: `net.collectParams('.*bias').setattr('lr_mult', 2)`.
   */
  setattr(name: SettableName, value: unknown): void {
    const key = Object.hasOwn(SNAKE_SETTABLE, name) ? SNAKE_SETTABLE[name as keyof typeof SNAKE_SETTABLE] : name;
    const checks: Record<CamelSettable, (n: string, v: unknown) => unknown> = {
      gradReq: checkGradReq,
      lrMult: (n: string, v: unknown) => checkMult(n, 'lrMult', v),
      wdMult: (n: string, v: unknown) => checkMult(n, 'wdMult', v),
      differentiable: (n: string, v: unknown) => checkFlag(n, 'differentiable', v),
    };
    if (typeof key !== 'string' || !Object.hasOwn(checks, key)) {
      const near = typeof name === 'string' ? closestKey(name, [...SETTABLE, ...Object.keys(SNAKE_SETTABLE)]) : undefined;
      throw new Error(`ParameterDict.setattr: unknown attribute ${showValue(name)} (${SETTABLE.join(', ')}, or MXNet's grad_req, lr_mult, wd_mult)${near ? `; did you mean '${near}'?` : ''}`);
    }
    const check = checks[key as CamelSettable];
    for (const p of this.map.values()) check(p.name, value);
    for (const p of this.map.values()) (p as unknown as Record<string, unknown>)[key] = value;
    structureMayHaveChanged();
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  values(): Parameter[] {
    return [...this.map.values()];
  }

  entries(): [string, Parameter][] {
    return [...this.map.entries()];
  }

  get size(): number {
    return this.map.size;
  }

  [Symbol.iterator](): IterableIterator<[string, Parameter]> {
    return this.map.entries();
  }

  /** Initializes every parameter (see Parameter.initialize). */
  initialize(init?: Initializer | string, options: { forceReinit?: boolean } = {}): void {
    checkOptions('ParameterDict.initialize', options, ['forceReinit']);
    const chosen = toInitializer(init, 'initialize');
    const kept: string[] = [];
    for (const [k, p] of this.map) if (!p._initialize(chosen, options)) kept.push(k);
    if (kept.length) warnAlreadyInitialized(kept);
  }

  /** Zeroes every gradient. */
  zeroGrad(): void {
    for (const p of this.map.values()) p.zeroGrad();
  }

  /** MXNet's `list_ctx`: the one global context. */
  listCtx(): Context[] {
    return [currentContext()];
  }

  /** MXNet's `reset_ctx` for every parameter (see Parameter.resetCtx). Example: `params.resetCtx(context.cpu())`. */
  resetCtx(ctx: Context | Context[]): void {
    checkResetCtx('ParameterDict.resetCtx', ctx);
  }

  /** Saves every parameter under its key, atomically: safetensors, or `{ format: 'mxnet' | 'npz' }`. Example: `net.collectParams().save('p.safetensors')`. */
  save(path: string, options: SaveParamsOptions = {}): void {
    saveParamsFile(path, this, {}, options);
  }

  /** Loads a file written by `save` (or an MXNet `.params` file) by key. Example: `params.load('p.safetensors', { ignoreExtra: true })`. */
  load(path: string, options: LoadParamsOptions = {}): void {
    loadParamsFile(path, this, options);
  }
}

/** The attributes `ParameterDict.setattr` sets. */
const SETTABLE = ['gradReq', 'lrMult', 'wdMult', 'differentiable'];
/** MXNet's names of them (Parameter's grad_req, lr_mult, wd_mult). */
const SNAKE_SETTABLE = { grad_req: 'gradReq', lr_mult: 'lrMult', wd_mult: 'wdMult' } as const;
/** An attribute name `setattr` takes: gluonc's camelCase or MXNet's snake_case. */
export type SettableName = CamelSettable | keyof typeof SNAKE_SETTABLE;
type CamelSettable = 'gradReq' | 'lrMult' | 'wdMult' | 'differentiable';

/** Checks a `resetCtx` argument: Contexts, each the current one (see Parameter.resetCtx). */
function checkResetCtx(what: string, ctx: unknown): void {
  const list = Array.isArray(ctx) ? ctx : [ctx];
  for (const c of list) {
    if (!(c instanceof Context)) throw new Error(`${what}: expected a Context (context.cpu(), context.gpu()) or a list of them, got ${showValue(c)}`);
    const now = currentContext();
    if (String(c) !== String(now)) {
      throw new Error(`${what.replace(/\.resetCtx$/, `.resetCtx(${String(c)})`)}: gluonc keeps parameters on the host and runs on one global context (now ${String(now)}); call context.setContext(${String(c)}) to run there`);
    }
  }
}

export { Constant };
