/**
 * The optimizer interface. Every optimizer's update rule is written once,
 * against `F`, so the same rule runs eagerly (F = nd, `Trainer.step`) and
 * symbolically (F = sym, inside a compiled training step).
 * Invariants: `update` never mutates its inputs (it returns the new weight and
 * the new states); the learning rate, weight decay, step count and gradient
 * scale arrive as 0-d tensors of the weight's dtype (float32 for a float16
 * weight, whose update computes in float32), so a compiled step is not
 * recompiled when they change; everything else that shapes the graph
 * (momentum, betas, epsilon, clipGradient, ...) is in `hyper`.
 */
import type { F, Tensor } from '../../ops/tensor.js';
import type { LRScheduler } from '../lr-scheduler.js';
import { zeros } from '../../engine/nd.js';
import type { NDArray } from '../../engine/ndarray.js';
import { showValue } from '../show-value.js';
import { checkOptions } from '../../../runtime/check-options.js';

/** What an update receives. */
export interface UpdateArgs {
  weight: Tensor;
  grad: Tensor;
  /** The weight's states, in the order `createState` made them. */
  states: Tensor[];
  /** Learning rate (after the schedule, times the parameter's lrMult): 0-d. */
  lr: Tensor;
  /** Weight decay (times the parameter's wdMult): 0-d. */
  wd: Tensor;
  /** The parameter's update count, 1 at its first update: 0-d. */
  t: Tensor;
  /** The gradient scale `rescaleGrad / batchSize`: 0-d. */
  rescale: Tensor;
}

/** What an update returns: the new weight and the new states (same order). */
export interface UpdateResult {
  weight: Tensor;
  states: Tensor[];
}

/**
 * An optimizer: hyper-parameters, state creation and an update rule written against `F`.
 *
 * ```ts
 * const opt = optimizer.create('sgd', { learningRate: 0.1, momentum: 0.9 });
 * const states = opt.createState(w);
 * const { weight, states: next } = opt.update(nd, { weight: w, grad: g, states, lr, wd, t, rescale });
 * ```
 */
export interface Optimizer {
  /** The registry name (`sgd`, `adam`, ...). */
  readonly name: string;
  /** Hyper-parameters (JSON) other than the learning rate, for cache keys and saveStates. */
  readonly hyper: Record<string, number | boolean | string>;
  /** The base learning rate (used when there is no schedule). */
  learningRate: number;
  /** Weight decay; each parameter's is `wd · wdMult`. */
  wd: number;
  /** The gradient scale before dividing by the batch size (MXNet's rescale_grad, default 1). */
  rescaleGrad: number;
  /** The learning-rate schedule, or null. */
  lrScheduler: LRScheduler | null;
  /**
   * MXNet's `multi_precision`: a float16 weight is updated through a float32
   * master copy kept as its first state (see `applyUpdate`).
   */
  readonly multiPrecision?: boolean;
  /** Zero-initialized state arrays for a weight (e.g. momentum; adam: mean and var). */
  createState(weight: NDArray): NDArray[];
  /** The update: new weight and new states, from tensors (NDArray or Symbol). */
  update(F: F, args: UpdateArgs): UpdateResult;
}

/** Options every optimizer takes (MXNet's Optimizer base, camelCase). */
export interface OptimizerOptions {
  learningRate?: number;
  wd?: number;
  rescaleGrad?: number;
  /**
   * Clip the (rescaled) gradient to [-clipGradient, clipGradient]; absent, 0 or negative: no clipping
   * (MXNet's optimizers pass clip_gradient to their update operators only when it is truthy, and those
   * operators document `clip_gradient <= 0` as off).
   */
  clipGradient?: number | null;
  /**
   * The learning-rate schedule: an `lrScheduler` schedule, an object with `call(numUpdate)`, or a
   * function of the update count (MXNet calls any callable: `lr_scheduler(num_update)`).
   */
  lrScheduler?: LRScheduler | ((numUpdate: number) => number) | null;
  /**
   * MXNet's `multi_precision` (default false): a float16 weight keeps a
   * float32 master copy (its first state, starting as the weight) that the
   * update runs on, the weight being its float16 rounding; the optimizer's own
   * states are float32 then. Without it an update smaller than half a float16
   * ulp of the weight (1 + 1e-4) is lost. Other dtypes are unaffected.
   */
  multiPrecision?: boolean;
}

const BASE_KEYS = ['learningRate', 'wd', 'rescaleGrad', 'clipGradient', 'lrScheduler', 'multiPrecision'];

/** Reads a number option, checking it; names the optimizer and the option when it is wrong. */
export function numberOption(opt: string, options: object, key: string, dflt: number, ok: (x: number) => boolean = Number.isFinite, rule = 'a finite number'): number {
  const v = (options as Record<string, unknown>)[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new Error(`Optimizer '${opt}': option ${key} must be ${rule}, got ${showValue(v)}`);
  }
  return v;
}

/** Reads a boolean option. */
export function booleanOption(opt: string, options: object, key: string, dflt: boolean): boolean {
  const v = (options as Record<string, unknown>)[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new Error(`Optimizer '${opt}': option ${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The common part of the built-in optimizers: the base options, option
 * checking (an unknown option, e.g. a snake_case `learning_rate`, is an error
 * naming it), zero states, and the gradient preprocessing helpers.
 *
 * ```ts
 * class Sign extends BaseOptimizer {
 *   constructor(o = {}) { super('sign', o, [], 0.01); }
 *   get hyper() { return this.baseHyper(); }
 *   update(F, a) { return { weight: F.sub(a.weight, F.mul(a.lr, F.sign(a.grad))), states: [] }; }
 * }
 * ```
 */
export abstract class BaseOptimizer implements Optimizer {
  readonly name: string;
  learningRate: number;
  wd: number;
  rescaleGrad: number;
  /** The clipping bound, or null for none. */
  readonly clipGradient: number | null;
  lrScheduler: LRScheduler | null;
  readonly multiPrecision: boolean;

  constructor(name: string, options: OptimizerOptions, ownKeys: string[], defaultLr: number) {
    this.name = name;
    checkOptions(`Optimizer '${name}'`, options, [...BASE_KEYS, ...ownKeys]);
    this.learningRate = numberOption(name, options, 'learningRate', defaultLr, (x) => x >= 0, 'a non-negative number');
    this.wd = numberOption(name, options, 'wd', 0);
    this.rescaleGrad = numberOption(name, options, 'rescaleGrad', 1);
    const clip = options.clipGradient ?? null;
    if (clip !== null && (typeof clip !== 'number' || Number.isNaN(clip))) {
      throw new Error(`Optimizer '${name}': option clipGradient must be a number, got ${showValue(clip)}`);
    }
    // MXNet's Python optimizers pass clip_gradient on only when it is truthy (`if self.clip_gradient:`),
    // and its update operators document `clip_gradient <= 0` as off: 0 and negative bounds do not clip.
    this.clipGradient = clip !== null && clip > 0 ? clip : null;
    const sched: unknown = options.lrScheduler ?? null;
    this.multiPrecision = booleanOption(name, options, 'multiPrecision', false);
    // A function is MXNet's callable schedule; it becomes a schedule object (a function's own `call` is Function.prototype.call).
    if (typeof sched === 'function') this.lrScheduler = { call: (n: number) => (sched as (n: number) => number)(n), baseLr: this.learningRate } as unknown as LRScheduler;
    else if (sched !== null && (typeof sched !== 'object' || typeof (sched as LRScheduler).call !== 'function')) {
      throw new Error(`Optimizer '${name}': option lrScheduler must be a scheduler (e.g. new lrScheduler.FactorScheduler({...}), or a function of the update count), got ${showValue(sched)}`);
    } else this.lrScheduler = sched as LRScheduler | null;
    // As MXNet: an explicit learning rate becomes the schedule's base rate.
    if (this.lrScheduler && options.learningRate !== undefined) this.lrScheduler.baseLr = this.learningRate;
  }

  abstract get hyper(): Record<string, number | boolean | string>;

  /** How many state arrays a weight gets (all zero-initialized, the weight's shape and dtype). */
  protected abstract get stateCount(): number;

  abstract update(F: F, args: UpdateArgs): UpdateResult;

  createState(weight: NDArray): NDArray[] {
    // multiPrecision: a float16 weight's float32 master copy first, then float32 states (MXNet's create_state_multi_precision).
    const master = this.multiPrecision && weight.dtype === 'float16' ? weight.astype('float32') : null;
    const dtype = master ? 'float32' : weight.dtype;
    return [...(master ? [master] : []), ...Array.from({ length: this.stateCount }, () => zeros(weight.shape, { dtype }))];
  }

  /** The hyper-parameters every optimizer has (clipGradient; -1 when off; multiPrecision when on). */
  protected baseHyper(): Record<string, number | boolean | string> {
    return { clipGradient: this.clipGradient ?? -1, ...(this.multiPrecision ? { multiPrecision: true } : {}) };
  }

  /** `rescale·grad + wd·w`, without the decay term when the optimizer's wd is 0 (MXNet's result for finite weights; a fused step's key records `wd === 0`). */
  protected decayed(F: F, grad: Tensor, w: Tensor, wd: Tensor, rescale: Tensor): Tensor {
    return this.wd === 0 ? F.mul(grad, rescale) : F.add(F.mul(grad, rescale), F.mul(w, wd));
  }

  /** Clips to [-clipGradient, clipGradient] when clipping is on. */
  protected clip(F: F, g: Tensor): Tensor {
    return this.clipGradient === null ? g : F.clip(g, -this.clipGradient, this.clipGradient);
  }
}
