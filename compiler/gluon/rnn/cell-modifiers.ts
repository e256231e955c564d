/**
 * gluon.rnn's cells that change another cell (MXNet's rnn_cell.py and
 * contrib/rnn/rnn_cell.py): `DropoutCell` (dropout on the input, no
 * state), `ModifierCell` (the base of the wrappers), `ZoneoutCell`,
 * `ResidualCell` and `VariationalDropoutCell`. The random masks are
 * `F.Dropout(F.onesLike(t), { p })` (MXNet's): active in training mode only
 * (ones at inference), drawn by the framework's seeded operators, so they
 * work eagerly and in traced graphs alike.
 * Invariants: a wrapper has no parameters of its own; its wrapped cell is
 * the child `base_cell` (parameters `base_cell.i2h_weight`, Gluon 2's
 * names), marked modified (its own beginState is then an Error, as MXNet's
 * assertion). What a wrapper keeps between steps (ZoneoutCell's previous
 * output, VariationalDropoutCell's masks) is given to the step as an input,
 * so a hybridized wrapper stepped by `call` keeps it too; `reset()` (and
 * every `unroll`) forgets it, and a value kept in another trace is not used.
 */
import { isTrainingMode } from '../../ops/mode.js';
import { currentTrace } from '../../engine/trace-context.js';
import type { NDArray } from '../../engine/ndarray.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { HybridBlock } from '../hybrid.js';
import { bindOptions } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { plainShape } from '../../ops/symbolic-dim.js';
import {
  asCell, finishOutputs, HybridRecurrentCell, maskSteps, stackSteps, stepUnroll, unrollSequence, unstack,
  type BeginStateArgs, type Cell, type StateInfo, type UnrollOptions,
} from './cell-base.js';
import { BidirectionalCell } from './cell-containers.js';

/** A rate in [0, 1), or an Error naming the cell and the option. */
function checkRate(cls: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`${cls}: ${what} must be a number in [0, 1), got ${showValue(v)}`);
  return v;
}

/** MXNet's mask: `Dropout(ones_like(like), p)`, 0 or 1 / (1 - p) in training, ones otherwise. */
function dropMask(F: F, like: Tensor, p: number): Tensor {
  return F.Dropout(F.onesLike(like), { p });
}

/** A value kept between steps, usable only in the trace (or eager/compiled run) it came from. */
interface Kept<T> {
  value: T;
  trace: unknown;
  training: boolean;
}

function keptNow<T>(k: Kept<T> | null): T | null {
  return k && k.trace === currentTrace() && k.training === isTrainingMode() ? k.value : null;
}

/** Options of DropoutCell. */
export interface DropoutCellOptions {
  /** The axes along which one mask value is shared (MXNet's `axes`; default none: plain dropout). */
  axes?: number[];
}

/**
 * MXNet's `DropoutCell(rate, axes)`: dropout on the input at each step, in
 * training mode; no state. `unroll` on a tensor drops out the whole tensor
 * at once, as MXNet's does (so `axes` then index the [N, T, C] or
 * [T, N, C] tensor).
 *
 * ```ts
 * stack.add(new rnn.LSTMCell(8)).add(new rnn.DropoutCell(0.5)).add(new rnn.LSTMCell(8));
 * ```
 */
export class DropoutCell extends HybridRecurrentCell {
  readonly rate: number;
  readonly axes: number[];

  constructor(...args: [rate: number, options?: DropoutCellOptions] | [rate: number, axes: number[]] | [options: DropoutCellOptions & { rate: number }]) {
    super();
    const name = new.target.name;
    const o = bindOptions<DropoutCellOptions & { rate: number }>(name, ['rate', 'axes?'], args, []);
    this.rate = checkRate(name, 'rate', o.rate);
    const axes = o.axes ?? [];
    if (!Array.isArray(axes) || !axes.every(Number.isInteger)) throw new Error(`${name}: axes must be a list of integer axes, got ${showValue(axes)}`);
    this.axes = [...axes];
  }

  override _alias(): string {
    return 'dropout';
  }

  stateInfo(): StateInfo[] {
    return [];
  }

  private _drop(F: F, x: Tensor): Tensor {
    return this.rate > 0 ? F.Dropout(x, { p: this.rate, axes: this.axes }) : x;
  }

  override hybridForward(F: F, x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    return [this._drop(F, x), states];
  }

  /**
   * A tensor input (kept merged) is dropped out at once; a list (or
   * `mergeOutputs: false`) step by step. With `validLength`, outputs past
   * each length are 0 (MXNet's DropoutCell ignores `valid_length`; every
   * other cell masks, so this one does too).
   */
  override unroll<T extends Tensor | NDArray>(length: number, inputs: T | T[], options: UnrollOptions<T> = {}): [T | T[], T[]] {
    this._nameChildren();
    const seq = unrollSequence(this, length, inputs, options);
    this.reset();
    const { F } = seq;
    const merged = seq.list ? options.mergeOutputs === true : options.mergeOutputs !== false;
    if (!merged) return stepUnroll(this, length, inputs, options);
    const vl = options.validLength as Tensor | undefined;
    let out = this._drop(F, seq.list ? stackSteps(F, seq.steps, seq.tAxis) : (inputs as Tensor));
    if (vl) out = F.SequenceMask(out, vl, { useSequenceLength: true, axis: seq.tAxis });
    return [out as T, []];
  }
}

/**
 * MXNet's `ModifierCell`: wraps a cell (`baseCell`), whose parameters and
 * states it uses; the wrapped cell is then called through it (a cell
 * wrapped twice is an Error, as MXNet's).
 */
export abstract class ModifierCell extends HybridRecurrentCell {
  constructor(baseCell: HybridBlock) {
    super();
    const name = this.constructor.name;
    const base = asCell(name, baseCell);
    if (!(base instanceof HybridBlock)) throw new Error(`${name}: the wrapped cell must be a hybrid cell, got ${base.constructor.name}`);
    if (base._modified) throw new Error(`${name}: the ${base.constructor.name} is already wrapped by a modifier cell; one cell cannot be modified twice, as in MXNet`);
    this.registerChild(base as HybridBlock, 'base_cell');
    base._modified = true;
  }

  /** The wrapped cell (MXNet's `base_cell`). */
  get baseCell(): Cell {
    return this.children().find(([k]) => k === 'base_cell')![1] as unknown as Cell;
  }

  stateInfo(batchSize = 0): StateInfo[] {
    return this.baseCell.stateInfo(batchSize);
  }

  /** The wrapped cell's zero states. */
  override beginState(...args: BeginStateArgs): NDArray[] {
    if (this._modified) return super.beginState(...args);
    const base = this.baseCell;
    base._modified = false;
    try {
      return base.beginState(...args);
    } finally {
      base._modified = true;
    }
  }

  /** Calls the wrapped cell on one step. */
  protected _base(x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    return this.baseCell.call(x, states) as [Tensor, Tensor[]];
  }
}

/** Options of ZoneoutCell. */
export interface ZoneoutOptions {
  /** The probability of keeping the previous output instead of the new one (default 0). */
  zoneoutOutputs?: number;
  /** The probability of keeping each previous state instead of the new one (default 0). */
  zoneoutStates?: number;
}

/**
 * MXNet's `ZoneoutCell(base_cell, zoneout_outputs, zoneout_states)`: in
 * training, each element of the output (of each state) keeps its previous
 * value with probability `zoneoutOutputs` (`zoneoutStates`) instead of
 * taking the new one (`where(mask, new, previous)`, the mask MXNet's
 * `Dropout(ones_like(new))`); the previous output starts at 0. At
 * inference it is the wrapped cell.
 *
 * ```ts
 * const cell = new rnn.ZoneoutCell(new rnn.LSTMCell(8), { zoneoutOutputs: 0.1, zoneoutStates: 0.1 });
 * ```
 */
export class ZoneoutCell extends ModifierCell {
  readonly zoneoutOutputs: number;
  readonly zoneoutStates: number;
  private _prev: Kept<Tensor> | null = null;

  constructor(...args: [baseCell: HybridBlock, options?: ZoneoutOptions] | [baseCell: HybridBlock, zoneoutOutputs: number, zoneoutStates?: number, options?: ZoneoutOptions]) {
    const o = bindOptions<ZoneoutOptions & { baseCell: HybridBlock }>(new.target.name, ['baseCell', 'zoneoutOutputs?', 'zoneoutStates?'], args, []);
    if (o.baseCell instanceof BidirectionalCell) throw new Error(`${new.target.name}: a BidirectionalCell cannot be stepped, so it takes no zoneout; wrap the cells inside it instead (as MXNet says)`);
    super(o.baseCell);
    this.zoneoutOutputs = checkRate(new.target.name, 'zoneoutOutputs', o.zoneoutOutputs ?? 0);
    this.zoneoutStates = checkRate(new.target.name, 'zoneoutStates', o.zoneoutStates ?? 0);
  }

  override _alias(): string {
    return 'zoneout';
  }

  override reset(): void {
    super.reset();
    this._prev = null;
  }

  protected override _step(x: Tensor, states: Tensor[]): unknown {
    const r = this._hybridRun([x, states, keptNow(this._prev)]) as [Tensor, Tensor[]];
    this._prev = { value: r[0], trace: currentTrace(), training: isTrainingMode() };
    return r;
  }

  override hybridForward(F: F, x: Tensor, states: Tensor[], ...rest: unknown[]): [Tensor, Tensor[]] {
    const prev = rest.length > 1 ? (rest[0] as Tensor | undefined) : undefined;
    const [next, nextStates] = this._base(x, states);
    const [po, ps] = [this.zoneoutOutputs, this.zoneoutStates];
    const output = po ? F.where(dropMask(F, next, po), next, prev ?? F.zerosLike(next)) : next;
    const kept = ps ? nextStates.map((s, i) => F.where(dropMask(F, s, ps), s, states[i]!)) : nextStates;
    return [output, kept];
  }
}

/**
 * MXNet's `ResidualCell(base_cell)`: the wrapped cell's output plus the
 * step's input (Wu et al. 2016), so both must have the same size; with
 * `validLength` the padded inputs are 0 before the sum, as MXNet's.
 *
 * ```ts
 * const cell = new rnn.ResidualCell(new rnn.GRUCell(8)); // inputs of 8 features
 * ```
 */
export class ResidualCell extends ModifierCell {
  constructor(baseCell: HybridBlock) {
    super(baseCell);
  }

  private _check(x: Tensor, out: Tensor): void {
    const [a, b] = [plainShape(x.shape), plainShape(out.shape)];
    if (a.length !== b.length || a.some((d, i) => typeof d === 'number' && typeof b[i] === 'number' && d !== b[i])) {
      throw new Error(`${this.constructor.name}: the wrapped ${this.baseCell.constructor.name}'s output [${b.join(', ')}] must have the input's shape [${a.join(', ')}] to be added to it`);
    }
  }

  override hybridForward(F: F, x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    const [out, next] = this._base(x, states);
    this._check(x, out);
    return [F.add(out, x), next];
  }

  override unroll<T extends Tensor | NDArray>(length: number, inputs: T | T[], options: UnrollOptions<T> = {}): [T | T[], T[]] {
    this._nameChildren();
    const seq = unrollSequence(this, length, inputs, options);
    this.reset();
    const { F, steps } = seq;
    const [outs, states] = this.baseCell.unroll(length, steps, { ...options, mergeOutputs: false }) as [Tensor[], Tensor[]];
    const vl = options.validLength as Tensor | undefined;
    const xs = vl ? maskSteps(F, steps, vl) : steps;
    const sums = outs.map((o, t) => {
      this._check(xs[t]!, o);
      return F.add(o, xs[t]!);
    });
    return [finishOutputs<T>(seq, sums, options.mergeOutputs), states as T[]];
  }
}

/** Options of VariationalDropoutCell. */
export interface VariationalDropoutOptions {
  /** The dropout rate of the inputs (default 0: none). */
  dropInputs?: number;
  /** The dropout rate of the first state (h) fed to each step (default 0: none). */
  dropStates?: number;
  /** The dropout rate of the outputs (default 0: none). */
  dropOutputs?: number;
}

/**
 * MXNet's `VariationalDropoutCell(base_cell, drop_inputs, drop_states,
 * drop_outputs)` (Gluon 2's gluon.rnn, 1.x's gluon.contrib.rnn; Gal &
 * Ghahramani 2016): dropout whose mask is drawn at the first step and kept
 * for every step until `reset()` (each `unroll` resets first): one mask
 * for the inputs, one for the state `h` fed to the cell, one for the
 * outputs. Active in training mode; at inference it is the wrapped cell.
 * Masks drawn in one mode are not reused in the other.
 *
 * ```ts
 * const cell = new rnn.VariationalDropoutCell(new rnn.LSTMCell(8), { dropInputs: 0.2, dropOutputs: 0.2 });
 * ```
 */
export class VariationalDropoutCell extends ModifierCell {
  readonly dropInputs: number;
  readonly dropStates: number;
  readonly dropOutputs: number;
  private _masks: Kept<Tensor[]> | null = null;

  constructor(
    ...args:
      | [baseCell: HybridBlock, options?: VariationalDropoutOptions]
      | [baseCell: HybridBlock, dropInputs: number, dropStates?: number, dropOutputs?: number, options?: VariationalDropoutOptions]
  ) {
    const name = new.target.name;
    const o = bindOptions<VariationalDropoutOptions & { baseCell: HybridBlock }>(name, ['baseCell', 'dropInputs?', 'dropStates?', 'dropOutputs?'], args, []);
    if (o.dropStates && o.baseCell instanceof BidirectionalCell) throw new Error(`${name}: a BidirectionalCell takes no variational state dropout; wrap the cells inside it instead (as MXNet says)`);
    super(o.baseCell);
    this.dropInputs = checkRate(name, 'dropInputs', o.dropInputs ?? 0);
    this.dropStates = checkRate(name, 'dropStates', o.dropStates ?? 0);
    this.dropOutputs = checkRate(name, 'dropOutputs', o.dropOutputs ?? 0);
  }

  override _alias(): string {
    return 'vardrop';
  }

  override reset(): void {
    super.reset();
    this._masks = null;
  }

  protected override _step(x: Tensor, states: Tensor[]): unknown {
    const [out, next, masks] = this._hybridRun([x, states, keptNow(this._masks)]) as [Tensor, Tensor[], Tensor[]];
    this._masks = { value: masks, trace: currentTrace(), training: isTrainingMode() };
    return [out, next];
  }

  /** `[output, states, masks]`: the masks (those of the nonzero rates, in the order inputs, states, outputs) are given back to the next step. */
  override hybridForward(F: F, x: Tensor, states: Tensor[], ...rest: unknown[]): [Tensor, Tensor[], Tensor[]] {
    const given = rest.length > 1 ? (rest[0] as Tensor[] | undefined) : undefined;
    const at = [...(given ?? [])];
    const take = (rate: number, like: () => Tensor): Tensor | undefined => (rate ? (given ? at.shift()! : dropMask(F, like(), rate)) : undefined);
    const mi = take(this.dropInputs, () => x);
    const ms = take(this.dropStates, () => states[0]!);
    let s = states;
    if (ms) s = [F.mul(states[0]!, ms), ...states.slice(1)];
    const [out, next] = this._base(mi ? F.mul(x, mi) : x, s);
    const mo = take(this.dropOutputs, () => out);
    return [mo ? F.mul(out, mo) : out, next, [mi, ms, mo].filter((m): m is Tensor => m !== undefined)];
  }

  /**
   * Without state dropout, the input and output masks are one Dropout over
   * the whole sequence sharing the mask along the time axis (MXNet's);
   * with it, the cell is stepped.
   */
  override unroll<T extends Tensor | NDArray>(length: number, inputs: T | T[], options: UnrollOptions<T> = {}): [T | T[], T[]] {
    this._nameChildren();
    if (this.dropStates) return stepUnroll(this, length, inputs, options);
    const seq = unrollSequence(this, length, inputs, options);
    this.reset();
    const { F, tAxis } = seq;
    let x = seq.list ? stackSteps(F, seq.steps, tAxis) : (inputs as Tensor);
    if (this.dropInputs) x = F.Dropout(x, { p: this.dropInputs, axes: [tAxis] });
    const [merged, states] = this.baseCell.unroll(length, x, { ...options, layout: seq.layout, mergeOutputs: true }) as [Tensor, Tensor[]];
    let out = merged;
    if (this.dropOutputs) out = F.Dropout(out, { p: this.dropOutputs, axes: [tAxis] });
    const merge = options.mergeOutputs ?? !seq.list;
    return [(merge ? out : unstack(F, out, length, tAxis)) as T | T[], states as T[]];
  }
}
