/**
 * The Trainer (Gluon's): applies an optimizer to a set of parameters.
 * Invariants: a parameter with gradReq 'null' is never changed; an update
 * uses the parameter's gradient up (`Parameter.freshGrad`, MXNet's
 * `_fresh_grad`): the next one needs a new backward; every update
 * of a parameter goes through `optimizer.update` (F = nd here, F = sym in a
 * fused training step) and is recorded with `commitUpdate`, which counts it;
 * the count `t` of each parameter and the global `stepCount` (MXNet's
 * `num_update`, the largest count) are what the schedule and Adam's bias
 * correction read.
 *
 * States file (`saveStates`): a safetensors file; tensor `<param>.state<i>` is
 * the i-th state of the parameter of that structural name; the metadata holds
 * `format: 'gluonc.trainer-states'`, `version`, `optimizer` (name), `hyper`
 * (JSON), `learningRate`, `stepCount` and `counts` (JSON: name -> count).
 */
import { flushPending, fusedStep } from '../engine/program.js';
import { compiledUpdate } from '../engine/update-graph.js';
import { applyUpdate, updateScalarDType } from '../autodiff/step.js';
import { formatShape, sameShape, type HostTensor } from '../../runtime/tensor.js';
import type { DType } from '../../runtime/dtypes.js';
import { pause } from '../engine/autograd.js';
import { full, ops as ndOps } from '../engine/nd.js';
import { NDArray } from '../engine/ndarray.js';
import { bindArgs, isPlainObject, type KwArgs } from './bind-args.js';
import { create as createOptimizer } from './optimizer/index.js';
import type { Optimizer } from './optimizer/optimizer.js';
import { Parameter, ParameterDict } from './parameter.js';
import { showValue } from './show-value.js';
import { encodeSafetensors, readTensorFile, writeFileAtomic } from '../formats/params-file.js';
import { checkOptions, UnknownOptionError, unknownOptionsMessage } from '../../runtime/check-options.js';

/** Options of `step` / `update` / `applyUpdates`. */
export interface StepOptions {
  /** Skip parameters whose gradient is stale (not written by backward since their last update) or that are not initialized, instead of failing (MXNet's `ignore_stale_grad`). */
  ignoreStaleGrad?: boolean;
}

/** The scalars of one parameter's update (fed to `optimizer.update` as 0-d tensors). */
export interface UpdateScalars {
  lr: number;
  wd: number;
  /** The parameter's update count including this update (1-based). */
  t: number;
  rescale: number;
}

const STATES_FORMAT = 'gluonc.trainer-states';
const STATE_KEY = /^(.*)\.state(\d+)$/;
/** The option keys of `step` and `update` (a constant: checked on every training step). */
const STEP_KEYS = ['ignoreStaleGrad'];

function collect(params: unknown): [string, Parameter][] {
  let entries: [string, Parameter][];
  if (params instanceof Parameter) {
    throw new Error(`Trainer: params must be a ParameterDict, a list of Parameters or an object of Parameters, got Parameter '${params.name}'; wrap one in a list: new Trainer([p], ...)`);
  }
  if (params instanceof ParameterDict) entries = params.entries();
  else if (Array.isArray(params)) {
    entries = params.map((p, i) => {
      if (!(p instanceof Parameter)) throw new Error(`Trainer: params[${i}] is not a Parameter (got ${String(p)})`);
      return [p.name, p];
    });
  } else if (params !== null && typeof params === 'object') {
    entries = Object.entries(params as Record<string, unknown>).map(([k, p]) => {
      if (!(p instanceof Parameter)) throw new Error(`Trainer: params['${k}'] is not a Parameter`);
      return [k, p];
    });
  } else {
    throw new Error('Trainer: params must be a ParameterDict (net.collectParams()), a list of Parameters or an object of Parameters');
  }
  // A shared parameter is trained once; a repeated name gets a suffix so state keys stay unique.
  const seen = new Set<Parameter>();
  const names = new Set<string>();
  const out: [string, Parameter][] = [];
  for (const [name, p] of entries) {
    if (seen.has(p)) continue;
    seen.add(p);
    let n = name;
    for (let i = 1; names.has(n); i++) n = `${name}_${i}`;
    names.add(n);
    out.push([n, p]);
  }
  return out;
}

/** What a Trainer trains: a ParameterDict, a list of Parameters or an object of them. */
export type TrainerParams = ParameterDict | Parameter[] | Record<string, Parameter>;

/**
 * The options object of a Trainer: the optimizer's parameters (MXNet's
 * `optimizer_params`), either as its own keys or under `optimizerParams`
 * (not both), and `params`/`optimizer` when given by name.
 */
export type TrainerOptions = Record<string, unknown> & { optimizerParams?: Record<string, unknown> };

/** `{ w: Parameter, ... }`: an object of Parameters is the `params` argument, not the options object. */
const PARAMS_SPEC = { name: 'params', claims: (x: unknown) => isPlainObject(x) && Object.keys(x).length > 0 && Object.values(x).every((v) => v instanceof Parameter) };
/** An optimizer written as an object literal (`{ update, createState, ... }`) is the `optimizer` argument. */
const OPTIMIZER_SPEC = { name: 'optimizer', claims: (x: unknown) => isPlainObject(x) && typeof x['update'] === 'function' && typeof x['createState'] === 'function' };

/**
 * The optimizer `name` made from the Trainer's options. A key the optimizer
 * refuses is reported where the user wrote it, the Trainer's optimizerParams
 * (whichever owner the optimizer's own check names), with `optimizerParams`
 * itself among the suggestions when the options were given loose.
 */
function createWhere(name: string, options: Record<string, unknown>, loose: boolean): Optimizer {
  try {
    return createOptimizer(name, options);
  } catch (e) {
    if (!(e instanceof UnknownOptionError) || !e.unknown.every((k) => Object.prototype.hasOwnProperty.call(options, k))) throw e;
    const known = loose ? [...e.known, 'optimizerParams'] : e.known;
    throw new Error(`Trainer: optimizerParams of optimizer '${name}': ${unknownOptionsMessage(e.unknown, known)}`);
  }
}

/**
 * Applies an optimizer to parameters after `backward` (Gluon's Trainer).
 * MXNet's `Trainer(params, optimizer, optimizer_params)` by position or by
 * name: `{ params, optimizer, optimizerParams }`.
 *
 * ```ts
 * const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
 * new gluon.Trainer({ params: net.collectParams(), optimizer: 'sgd', optimizerParams: { learningRate: 0.1 } }); // by name
 * const loss = autograd.record(() => l2.call(net.call(x), y));
 * loss.backward();
 * trainer.step(x.shape[0]);
 * ```
 */
export class Trainer {
  /** The optimizer (its `update` is the rule the fused training step compiles). */
  readonly optimizer: Optimizer;
  /** The trained parameters with their names (structural names for a ParameterDict). */
  readonly params: [string, Parameter][];
  /** Each parameter's optimizer states (created at its first update). */
  readonly states = new Map<Parameter, NDArray[]>();
  /** Each parameter's update count (MXNet's `_index_update_count`). */
  readonly counts = new Map<Parameter, number>();
  private numUpdate = 0;
  /** The parameter's dtype when its states were made or loaded (see `stateOf`). */
  private readonly stateDTypes = new Map<Parameter, DType>();

  constructor(...args: KwArgs<['params', 'optimizer'], [params: TrainerParams, optimizer: string | Optimizer], TrainerOptions>) {
    const [[params, optimizer], { optimizerParams, ...loose }] = bindArgs<[TrainerParams, string | Optimizer], TrainerOptions>('Trainer', [PARAMS_SPEC, OPTIMIZER_SPEC], args);
    if (optimizerParams !== undefined && !isPlainObject(optimizerParams)) throw new Error(`Trainer: optimizerParams must be an object of the optimizer's options, got ${showValue(optimizerParams)}`);
    if (optimizerParams !== undefined && Object.keys(loose).length) {
      throw new Error(`Trainer: the optimizer's options are given both as optimizerParams and as options (${Object.keys(loose).join(', ')}); give them one way`);
    }
    const options = optimizerParams ?? loose;
    this.params = collect(params);
    if (typeof optimizer === 'string') this.optimizer = createWhere(optimizer, options, optimizerParams === undefined);
    else if (optimizer && typeof optimizer === 'object' && typeof optimizer.update === 'function' && typeof optimizer.createState === 'function') {
      if (Object.keys(options).length) {
        throw new Error(`Trainer: options must be empty when the optimizer is an instance (got ${Object.keys(options).join(', ')}); set them on the optimizer`);
      }
      this.optimizer = optimizer;
    } else {
      throw new Error(`Trainer: optimizer must be a name ('sgd', 'adam', ...) or an Optimizer, got ${String(optimizer)}`);
    }
  }

  /** The number of updates so far (MXNet's `num_update`: the largest parameter count). */
  get stepCount(): number {
    return this.numUpdate;
  }

  /**
   * The learning rate as MXNet's `trainer.learning_rate`: the schedule at the
   * current update count when there is one, else the base rate.
   */
  get learningRate(): number {
    return this.optimizer.lrScheduler ? this.scheduled(this.numUpdate) : this.optimizer.learningRate;
  }

  /** The schedule's rate at update `n`, checked: a schedule giving no usable rate is an Error, not NaN weights. */
  private scheduled(n: number): number {
    const v: unknown = this.optimizer.lrScheduler!.call(n);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`Trainer: the lrScheduler gave ${showValue(v)} at update ${n}; a learning rate must be a finite number >= 0`);
    }
    return v;
  }

  /**
   * Sets the base learning rate. With a schedule this is an error (as in
   * MXNet): the schedule owns the rate.
   */
  setLearningRate(lr: number): void {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw new Error(`Trainer.setLearningRate: expected a non-negative number, got ${showValue(lr)}`);
    if (this.optimizer.lrScheduler) {
      throw new Error('Trainer.setLearningRate: the optimizer has an lrScheduler, which sets the learning rate; change the schedule instead');
    }
    this.optimizer.learningRate = lr;
  }

  /** The learning rate the next update will use (the schedule at `stepCount + 1`), before lrMult. */
  currentLr(): number {
    return this.optimizer.lrScheduler ? this.scheduled(this.numUpdate + 1) : this.optimizer.learningRate;
  }

  /** The parameters `step` updates: those with gradReq other than 'null'. */
  trainable(): [string, Parameter][] {
    return this.params.filter(([, p]) => p.gradReq !== 'null');
  }

  /**
   * The scalars of `p`'s next update (not counted until `commitUpdate`):
   * `lr = schedule · lrMult`, `wd = wd · wdMult`, `rescale = rescaleGrad / batchSize`.
   */
  nextScalars(p: Parameter, batchSize: number): UpdateScalars {
    const t = (this.counts.get(p) ?? 0) + 1;
    const n = Math.max(this.numUpdate, t);
    const base = this.optimizer.lrScheduler ? this.scheduled(n) : this.optimizer.learningRate;
    return { lr: base * p.lrMult, wd: this.optimizer.wd * p.wdMult, t, rescale: this.optimizer.rescaleGrad / batchSize };
  }

  /**
   * The states of `p`, created (zeros) when it has none yet. After `p.cast`
   * changed the parameter's dtype, the states that had its old dtype are cast
   * to the new one (their values kept; `multiPrecision`'s float32 master copy is dropped or made).
   */
  stateOf(p: Parameter): NDArray[] {
    let s = this.states.get(p);
    if (!s) {
      s = this.optimizer.createState(p.data());
      this.states.set(p, s);
      this.stateDTypes.set(p, p.dtype);
      return s;
    }
    const old = this.stateDTypes.get(p);
    if (old !== undefined && old !== p.dtype) {
      const dtype = p.dtype;
      const mp = this.optimizer.multiPrecision === true;
      if (mp && old === 'float16') s = s.slice(1).map((x) => (x.dtype === dtype ? x : x.astype(dtype)));
      else if (mp && dtype === 'float16') s = [p.data().astype('float32'), ...s.map((x) => (x.dtype === 'float32' ? x : x.astype('float32')))];
      else s = s.map((x) => (x.dtype === old ? x.astype(dtype) : x));
      this.states.set(p, s);
      this.stateDTypes.set(p, dtype);
    }
    return s;
  }

  /** Records an update of `p` computed elsewhere (the fused step): new weight and states, and counts it. */
  commitUpdate(p: Parameter, weight: NDArray, states: NDArray[]): void {
    const t = (this.counts.get(p) ?? 0) + 1;
    p.setData(weight);
    this.states.set(p, states);
    this.counts.set(p, t);
    p.freshGrad = false; // used: stale until backward writes it again
    this.numUpdate = Math.max(this.numUpdate, t);
  }

  /**
   * One optimization step: `allreduceGrads()` then `applyUpdates(batchSize)`.
   * Gradients are divided by `batchSize` (times the optimizer's rescaleGrad).
   */
  step(batchSize: number, options: StepOptions = {}): void {
    checkBatchSize(batchSize);
    checkOptions('Trainer.step', options, STEP_KEYS);
    // A recorded, hybridized forward + backward still pending: forward, gradients and this update run as one session.
    if (fusedStep(this, batchSize)) return;
    this.allreduceGrads();
    this.applyUpdates(batchSize, options);
  }

  /** Sums gradients across devices. With one device there is nothing to do (kept for Gluon code that splits `step`). */
  allreduceGrads(): void {}

  /** Gluon's second half of `step` (after `allreduceGrads`). */
  update(batchSize: number, options: StepOptions = {}): void {
    this.applyUpdates(batchSize, options, 'update');
  }

  /** Updates every trainable parameter eagerly with `optimizer.update(nd, ...)`; `method` names the caller in errors. */
  applyUpdates(batchSize: number, options: StepOptions = {}, method: 'step' | 'update' = 'step'): void {
    checkBatchSize(batchSize);
    checkOptions(`Trainer.${method}`, options, STEP_KEYS);
    // A recorded, hybridized forward + backward still pending (not fused with this update) writes its gradients first.
    flushPending();
    const todo: [string, Parameter, NDArray][] = [];
    for (const [name, p] of this.trainable()) {
      const g = p.initialized ? p.gradOrNull() : null;
      if (!g || !p.freshGrad) {
        if (options.ignoreStaleGrad) continue;
        throw new Error(
          !p.initialized
            ? `Trainer.${method}: Parameter '${name}' has not been initialized${p.deferred ? ` (its shape ${formatShape(p.shape)} is known after the first forward pass)` : ''}. Pass { ignoreStaleGrad: true } to skip it`
            : !g
              ? `Trainer.${method}: Parameter '${name}' has no gradient: it was not used in backward since it was created. Pass { ignoreStaleGrad: true } to skip it`
              : `Trainer.${method}: the gradient of Parameter '${name}' has not been updated by backward since the last ${method} (was only part of the model used?). ` +
                'Pass { ignoreStaleGrad: true } to skip parameters with stale gradients',
        );
      }
      todo.push([name, p, g]);
    }
    pause(() => {
      // Seen before with these parameters and this optimizer: one compiled graph updates them all (compiler/engine/update-graph.ts).
      if (compiledUpdate(this, todo.map(([, p, g]) => [p, g]), batchSize)) return;
      for (const [name, p, g] of todo) this.updateOne(name, p, g, batchSize);
    });
  }

  private updateOne(name: string, p: Parameter, grad: NDArray, batchSize: number): void {
    const w = p.data();
    const dtype: DType = w.dtype;
    const s = this.nextScalars(p, batchSize);
    const scalar = (v: number) => full([], v, { dtype: updateScalarDType(dtype) });
    const states = this.stateOf(p);
    const out = applyUpdate(this.optimizer, ndOps, {
      weight: w,
      grad,
      states,
      lr: scalar(s.lr),
      wd: scalar(s.wd),
      t: scalar(s.t),
      rescale: scalar(s.rescale),
    }) as { weight: NDArray; states: NDArray[] };
    const what = `optimizer '${this.optimizer.name}' on Parameter '${name}'`;
    if (!(out.weight instanceof NDArray) || !out.states.every((x) => x instanceof NDArray)) {
      throw new Error(`Trainer.step: ${what} did not return NDArrays (an update must compute with the F it is given)`);
    }
    if (!sameShape(out.weight.shape, w.shape) || out.weight.dtype !== w.dtype) {
      throw new Error(`Trainer.step: ${what} returned a weight of ${out.weight.dtype}${formatShape(out.weight.shape)}, expected ${w.dtype}${formatShape(w.shape)}`);
    }
    if (out.states.length !== states.length) throw new Error(`Trainer.step: ${what} returned ${out.states.length} states, expected ${states.length}`);
    this.commitUpdate(p, out.weight, out.states);
  }

  /**
   * Saves the optimizer states, the update counts and the learning rate to a
   * safetensors file (atomically); see the module comment for the layout.
   *
   * ```ts
   * trainer.saveStates('trainer.states');
   * ```
   */
  saveStates(path: string): void {
    const tensors: [string, HostTensor][] = [];
    const counts: Record<string, number> = {};
    for (const [name, p] of this.params) {
      const c = this.counts.get(p);
      if (c) counts[name] = c;
      (this.states.get(p) ?? []).forEach((s, i) => tensors.push([`${name}.state${i}`, s._host]));
    }
    const metadata = {
      format: STATES_FORMAT,
      version: '1',
      optimizer: this.optimizer.name,
      hyper: JSON.stringify(this.optimizer.hyper),
      learningRate: String(this.optimizer.lrScheduler ? this.optimizer.lrScheduler.baseLr : this.optimizer.learningRate),
      stepCount: String(this.numUpdate),
      counts: JSON.stringify(counts),
    };
    writeFileAtomic(path, encodeSafetensors(tensors, metadata));
  }

  /**
   * Loads a file of `saveStates`: states, update counts and the base learning
   * rate (the optimizer's other options stay as constructed). Everything is
   * checked before anything changes; errors name the file.
   *
   * ```ts
   * trainer.loadStates('trainer.states');
   * ```
   */
  loadStates(path: string): void {
    const f = readTensorFile(path);
    const md = f.metadata;
    if (f.format !== 'safetensors' || md.format !== STATES_FORMAT) {
      throw new Error(`${path}: not a trainer states file (no '${STATES_FORMAT}' metadata; write it with trainer.saveStates)`);
    }
    if (md.optimizer !== this.optimizer.name) {
      throw new Error(`${path}: states of optimizer '${md.optimizer}', but this trainer uses '${this.optimizer.name}'`);
    }
    const byName = new Map(this.params);
    let counts: Record<string, unknown>;
    try {
      counts = JSON.parse(md.counts ?? '{}') as Record<string, unknown>;
    } catch {
      throw new Error(`${path}: malformed 'counts' metadata`);
    }
    const newCounts = new Map<Parameter, number>();
    for (const [name, c] of Object.entries(counts)) {
      const p = byName.get(name);
      if (!p) throw new Error(`${path}: counts name Parameter '${name}', which this trainer does not have (it has: ${[...byName.keys()].join(', ')})`);
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0) throw new Error(`${path}: invalid count ${JSON.stringify(c)} for Parameter '${name}'`);
      newCounts.set(p, c);
    }
    const stepCount = Number(md.stepCount);
    const lr = Number(md.learningRate);
    if (!Number.isInteger(stepCount) || stepCount < 0) throw new Error(`${path}: invalid stepCount ${JSON.stringify(md.stepCount)}`);
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`${path}: invalid learningRate ${JSON.stringify(md.learningRate)}`);
    const found = new Map<Parameter, NDArray[]>();
    for (const [key, t] of f.tensors) {
      const m = STATE_KEY.exec(key);
      const p = m ? byName.get(m[1]!) : undefined;
      if (!m || !p) throw new Error(`${path}: tensor '${key}' is not a state of a parameter of this trainer`);
      const list = found.get(p) ?? [];
      list[Number(m[2])] = new NDArray(t);
      found.set(p, list);
    }
    for (const [name, p] of this.params) {
      const list = found.get(p);
      if (!list) continue;
      const expected = p.initialized ? this.optimizer.createState(p.data()) : null;
      const count = expected ? expected.length : list.length;
      if (list.length !== count || [...list].some((x) => !x)) {
        throw new Error(`${path}: Parameter '${name}' has ${list.filter(Boolean).length} states (indices ${Object.keys(list).join(', ')}), optimizer '${this.optimizer.name}' needs ${count}`);
      }
      list.forEach((s, i) => {
        const shape = expected ? expected[i]!.shape : p.shape;
        const dtype = expected ? expected[i]!.dtype : p.dtype;
        const ok = s.dtype === dtype && s.shape.length === shape.length && s.shape.every((d, j) => shape[j] === 0 || shape[j] === d);
        if (!ok) throw new Error(`${path}: state ${i} of Parameter '${name}' is ${s.dtype}${formatShape(s.shape)}, expected ${dtype}${formatShape(shape)}`);
      });
    }
    this.states.clear();
    this.stateDTypes.clear();
    for (const [p, list] of found) {
      this.states.set(p, list);
      this.stateDTypes.set(p, p.dtype);
    }
    this.counts.clear();
    for (const [p, c] of newCounts) this.counts.set(p, c);
    this.numUpdate = stepCount;
    if (this.optimizer.lrScheduler) this.optimizer.lrScheduler.baseLr = lr;
    else this.optimizer.learningRate = lr;
  }
}

function checkBatchSize(batchSize: number): void {
  if (typeof batchSize !== 'number' || !Number.isFinite(batchSize) || batchSize <= 0) {
    throw new Error(`Trainer.step: batchSize must be a positive number, got ${showValue(batchSize)}`);
  }
}
