/**
 * Learning-rate schedules (MXNet's `mx.lr_scheduler`): the learning rate as
 * a function of the update count `numUpdate` (1 at the first update, as the
 * optimizer counts before asking). Invariant: a schedule is a pure function
 * of `numUpdate` and its options (MXNet's FactorScheduler mutates itself while
 * it is called; ours gives the same values without state, so asking twice,
 * or out of order after `loadStates`, gives the same answer).
 */
import { showValue } from './show-value.js';
import { checkOptions } from '../../runtime/check-options.js';
import { bindOptions, type OptionArgs } from './bind-args.js';

/** Options every schedule takes (MXNet's LRScheduler base). */
export interface LRSchedulerOptions {
  /** The learning rate after warm-up (default 0.01); a Trainer's `learningRate` option replaces it. */
  baseLr?: number;
  /** Updates spent warming up (default 0). */
  warmupSteps?: number;
  /** The learning rate at update 0 of the warm-up (default 0). */
  warmupBeginLr?: number;
  /** `'linear'` (from warmupBeginLr to baseLr) or `'constant'` (warmupBeginLr throughout). */
  warmupMode?: 'linear' | 'constant';
}

const BASE_KEYS = ['baseLr', 'warmupSteps', 'warmupBeginLr', 'warmupMode'];


function checkNumber(what: string, v: unknown, ok: (x: number) => boolean, rule: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new Error(`${what} must be ${rule}, got ${showValue(v)}`);
  return v;
}

/**
 * The base of the schedules: holds `baseLr` and the warm-up.
 *
 * ```ts
 * class Halving extends LRScheduler { call(n: number) { return this.baseLr / 2 ** n; } }
 * ```
 */
export abstract class LRScheduler {
  /** The learning rate after warm-up; the Trainer sets it from its `learningRate` option. */
  baseLr: number;
  readonly warmupSteps: number;
  readonly warmupBeginLr: number;
  readonly warmupMode: 'linear' | 'constant';

  constructor(options: LRSchedulerOptions = {}, what = 'LRScheduler', keys: readonly string[] = []) {
    checkOptions(what, options, [...BASE_KEYS, ...keys]);
    this.baseLr = checkNumber(`${what}: baseLr`, options.baseLr ?? 0.01, (x) => x >= 0, 'a non-negative number');
    this.warmupSteps = checkNumber(`${what}: warmupSteps`, options.warmupSteps ?? 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.warmupBeginLr = checkNumber(`${what}: warmupBeginLr`, options.warmupBeginLr ?? 0, (x) => x >= 0, 'a non-negative number');
    const mode = options.warmupMode ?? 'linear';
    if (mode !== 'linear' && mode !== 'constant') throw new Error(`${what}: warmupMode must be 'linear' or 'constant', got ${JSON.stringify(mode)}`);
    this.warmupMode = mode;
    // MXNet's LRScheduler: "Base lr has to be higher than warmup_begin_lr" (python/mxnet/lr_scheduler.py).
    if (this.warmupBeginLr > this.baseLr) throw new Error(`${what}: warmupBeginLr (${this.warmupBeginLr}) must not exceed baseLr (${this.baseLr})`);
  }

  /** The learning rate for update number `numUpdate` (MXNet's `__call__`). */
  abstract call(numUpdate: number): number;

  /** Checks `numUpdate` is a count (an integer >= 0); throws naming the schedule. */
  protected checkUpdate(numUpdate: number): void {
    if (typeof numUpdate !== 'number' || !Number.isInteger(numUpdate) || numUpdate < 0) {
      throw new Error(`${this.constructor.name}.call: numUpdate must be an integer >= 0 (the update count), got ${showValue(numUpdate)}`);
    }
  }

  /** The warm-up learning rate (only for `numUpdate < warmupSteps`). */
  protected warmupLr(numUpdate: number): number {
    if (this.warmupMode === 'constant') return this.warmupBeginLr;
    return this.warmupBeginLr + ((this.baseLr - this.warmupBeginLr) * numUpdate) / this.warmupSteps;
  }

  /** The options as JSON (saved with trainer states). */
  abstract toJSON(): Record<string, number | string>;
}

/** Options of FactorScheduler. */
export interface FactorSchedulerOptions extends LRSchedulerOptions {
  /** Updates between two reductions (>= 1). */
  step: number;
  /** The factor applied every `step` updates (<= 1; default 1). */
  factor?: number;
  /** The learning rate never goes below this (default 1e-8). */
  stopFactorLr?: number;
}

/** MXNet's positional parameters of FactorScheduler, in its order. */
const FACTOR_ARGS = ['step', 'factor?', 'stopFactorLr?', 'baseLr?', 'warmupSteps?', 'warmupBeginLr?', 'warmupMode?'] as const;

/**
 * Multiplies the learning rate by `factor` every `step` updates, down to
 * `stopFactorLr`: `baseLr · factor^k` with `k = max(0, ceil(n / step) - 1)`
 * (MXNet's FactorScheduler: the first reduction applies at update `step + 1`).
 *
 * ```ts
 * const s = new lrScheduler.FactorScheduler({ step: 100, factor: 0.5, baseLr: 0.1 });
 * s.call(100); // 0.1
 * s.call(101); // 0.05
 * ```
 */
export class FactorScheduler extends LRScheduler {
  readonly step: number;
  readonly factor: number;
  readonly stopFactorLr: number;

  constructor(...args: OptionArgs<FactorSchedulerOptions, typeof FACTOR_ARGS>) {
    const options = bindOptions<FactorSchedulerOptions>('FactorScheduler', FACTOR_ARGS, args);
    super(options, 'FactorScheduler', ['step', 'factor', 'stopFactorLr']);
    this.step = checkNumber('FactorScheduler: step', options?.step, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
    this.factor = checkNumber('FactorScheduler: factor', options.factor ?? 1, (x) => x > 0 && x <= 1, 'in (0, 1] so the learning rate decreases');
    this.stopFactorLr = checkNumber('FactorScheduler: stopFactorLr', options.stopFactorLr ?? 1e-8, (x) => x >= 0, 'a non-negative number');
  }

  call(numUpdate: number): number {
    this.checkUpdate(numUpdate);
    if (numUpdate < this.warmupSteps) return this.warmupLr(numUpdate);
    const k = Math.max(0, Math.ceil(numUpdate / this.step) - 1);
    if (k === 0) return this.baseLr;
    return Math.max(this.baseLr * this.factor ** k, this.stopFactorLr);
  }

  toJSON(): Record<string, number | string> {
    return { type: 'FactorScheduler', baseLr: this.baseLr, step: this.step, factor: this.factor, stopFactorLr: this.stopFactorLr, warmupSteps: this.warmupSteps, warmupBeginLr: this.warmupBeginLr, warmupMode: this.warmupMode };
  }
}

/** Options of CosineScheduler. */
export interface CosineSchedulerOptions extends LRSchedulerOptions {
  /** The update at which the learning rate reaches `finalLr` (>= 1). */
  maxUpdate: number;
  /** The learning rate from `maxUpdate` on (default 0). */
  finalLr?: number;
}

/** MXNet's positional parameters of CosineScheduler, in its order. */
const COSINE_ARGS = ['maxUpdate', 'baseLr?', 'finalLr?', 'warmupSteps?', 'warmupBeginLr?', 'warmupMode?'] as const;

/**
 * Cosine decay from `baseLr` to `finalLr` over `maxUpdate` updates, after the
 * warm-up (MXNet's CosineScheduler):
 * `finalLr + (baseLr - finalLr) · (1 + cos(π · (n - warmupSteps) / (maxUpdate - warmupSteps))) / 2`,
 * and `finalLr` after `maxUpdate`.
 *
 * ```ts
 * const s = new lrScheduler.CosineScheduler({ maxUpdate: 1000, baseLr: 0.1, finalLr: 0.001, warmupSteps: 10 });
 * ```
 */
export class CosineScheduler extends LRScheduler {
  readonly maxUpdate: number;
  readonly finalLr: number;

  constructor(...args: OptionArgs<CosineSchedulerOptions, typeof COSINE_ARGS>) {
    const options = bindOptions<CosineSchedulerOptions>('CosineScheduler', COSINE_ARGS, args);
    super(options, 'CosineScheduler', ['maxUpdate', 'finalLr']);
    this.maxUpdate = checkNumber('CosineScheduler: maxUpdate', options?.maxUpdate, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
    this.finalLr = checkNumber('CosineScheduler: finalLr', options.finalLr ?? 0, (x) => x >= 0, 'a non-negative number');
    if (this.warmupSteps >= this.maxUpdate) {
      throw new Error(`CosineScheduler: warmupSteps (${this.warmupSteps}) must be less than maxUpdate (${this.maxUpdate})`);
    }
  }

  call(numUpdate: number): number {
    this.checkUpdate(numUpdate);
    if (numUpdate < this.warmupSteps) return this.warmupLr(numUpdate);
    if (numUpdate > this.maxUpdate) return this.finalLr;
    const progress = (numUpdate - this.warmupSteps) / (this.maxUpdate - this.warmupSteps);
    return this.finalLr + ((this.baseLr - this.finalLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  }

  toJSON(): Record<string, number | string> {
    return { type: 'CosineScheduler', baseLr: this.baseLr, maxUpdate: this.maxUpdate, finalLr: this.finalLr, warmupSteps: this.warmupSteps, warmupBeginLr: this.warmupBeginLr, warmupMode: this.warmupMode };
  }
}

/** Options of MultiFactorScheduler. */
export interface MultiFactorSchedulerOptions extends LRSchedulerOptions {
  /** Increasing update counts (each >= 1) after which the rate is multiplied by `factor`. */
  step: number[];
  /** The factor applied at each step (in (0, 1]; default 1). */
  factor?: number;
}

/** MXNet's positional parameters of MultiFactorScheduler, in its order. */
const MULTI_FACTOR_ARGS = ['step', 'factor?', 'baseLr?', 'warmupSteps?', 'warmupBeginLr?', 'warmupMode?'] as const;

/**
 * Multiplies the learning rate by `factor` after each update count in
 * `step` (MXNet's MultiFactorScheduler, mxnet/lr_scheduler.py 1.9.1):
 * `baseLr · factor^k` with `k` the number of steps `s` with `n > s`, after
 * the warm-up.
 *
 * ```ts
 * const s = new lrScheduler.MultiFactorScheduler({ step: [10, 20], factor: 0.1, baseLr: 1 });
 * s.call(10); // 1
 * s.call(11); // 0.1
 * s.call(21); // 0.01
 * ```
 */
export class MultiFactorScheduler extends LRScheduler {
  readonly step: readonly number[];
  readonly factor: number;

  constructor(...args: OptionArgs<MultiFactorSchedulerOptions, typeof MULTI_FACTOR_ARGS>) {
    const options = bindOptions<MultiFactorSchedulerOptions>('MultiFactorScheduler', MULTI_FACTOR_ARGS, args);
    super(options, 'MultiFactorScheduler', ['step', 'factor']);
    const step = options?.step;
    if (!Array.isArray(step) || step.length < 1) {
      throw new Error(`MultiFactorScheduler: step must be a non-empty list of increasing integers >= 1, got ${JSON.stringify(step)}`);
    }
    step.forEach((s, i) => {
      checkNumber(`MultiFactorScheduler: step[${i}]`, s, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
      if (i > 0 && s <= step[i - 1]!) throw new Error(`MultiFactorScheduler: step must be increasing, but step[${i}] = ${s} follows ${step[i - 1]}`);
    });
    this.step = [...step];
    this.factor = checkNumber('MultiFactorScheduler: factor', options.factor ?? 1, (x) => x > 0 && x <= 1, 'in (0, 1] so the learning rate decreases');
  }

  call(numUpdate: number): number {
    this.checkUpdate(numUpdate);
    if (numUpdate < this.warmupSteps) return this.warmupLr(numUpdate);
    let lr = this.baseLr;
    for (const s of this.step) if (numUpdate > s) lr *= this.factor;
    return lr;
  }

  toJSON(): Record<string, number | string> {
    return { type: 'MultiFactorScheduler', baseLr: this.baseLr, step: this.step.join(','), factor: this.factor, warmupSteps: this.warmupSteps, warmupBeginLr: this.warmupBeginLr, warmupMode: this.warmupMode };
  }
}

/** Options of PolyScheduler. */
export interface PolySchedulerOptions extends LRSchedulerOptions {
  /** The update at which the learning rate reaches `finalLr` (an integer >= 1, above `warmupSteps`). */
  maxUpdate: number;
  /** The power of the decay (MXNet's `pwr`; default 2). */
  pwr?: number;
  /** The learning rate from `maxUpdate` on (default 0). */
  finalLr?: number;
}

/** MXNet's positional parameters of PolyScheduler, in its order. */
const POLY_ARGS = ['maxUpdate', 'baseLr?', 'pwr?', 'finalLr?', 'warmupSteps?', 'warmupBeginLr?', 'warmupMode?'] as const;

/**
 * Polynomial decay from `baseLr` to `finalLr` over `maxUpdate` updates,
 * after the warm-up (MXNet's PolyScheduler, mxnet/lr_scheduler.py 1.9.1):
 * `finalLr + (baseLr - finalLr) · (1 - (n - warmupSteps) / (maxUpdate - warmupSteps))^pwr`,
 * and `finalLr` after `maxUpdate`.
 *
 * ```ts
 * const s = new lrScheduler.PolyScheduler({ maxUpdate: 100, baseLr: 0.1, pwr: 2, finalLr: 0.001 });
 * s.call(50);  // 0.001 + 0.099 · 0.25
 * s.call(100); // 0.001
 * ```
 */
export class PolyScheduler extends LRScheduler {
  readonly maxUpdate: number;
  /** The power of the decay (MXNet's attribute name). */
  readonly power: number;
  readonly finalLr: number;

  constructor(...args: OptionArgs<PolySchedulerOptions, typeof POLY_ARGS>) {
    const options = bindOptions<PolySchedulerOptions>('PolyScheduler', POLY_ARGS, args);
    super(options, 'PolyScheduler', ['maxUpdate', 'pwr', 'finalLr']);
    this.maxUpdate = checkNumber('PolyScheduler: maxUpdate', options?.maxUpdate, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
    this.power = checkNumber('PolyScheduler: pwr', options.pwr ?? 2, (x) => x >= 0, 'a non-negative number');
    this.finalLr = checkNumber('PolyScheduler: finalLr', options.finalLr ?? 0, (x) => x >= 0, 'a non-negative number');
    if (this.warmupSteps >= this.maxUpdate) {
      throw new Error(`PolyScheduler: warmupSteps (${this.warmupSteps}) must be less than maxUpdate (${this.maxUpdate})`);
    }
  }

  call(numUpdate: number): number {
    this.checkUpdate(numUpdate);
    if (numUpdate < this.warmupSteps) return this.warmupLr(numUpdate);
    if (numUpdate > this.maxUpdate) return this.finalLr;
    const progress = (numUpdate - this.warmupSteps) / (this.maxUpdate - this.warmupSteps);
    return this.finalLr + (this.baseLr - this.finalLr) * (1 - progress) ** this.power;
  }

  toJSON(): Record<string, number | string> {
    return { type: 'PolyScheduler', baseLr: this.baseLr, maxUpdate: this.maxUpdate, pwr: this.power, finalLr: this.finalLr, warmupSteps: this.warmupSteps, warmupBeginLr: this.warmupBeginLr, warmupMode: this.warmupMode };
  }
}
