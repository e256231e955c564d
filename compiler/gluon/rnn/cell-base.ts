/**
 * What every gluon.rnn cell shares (MXNet's rnn_cell.py: `RecurrentCell`,
 * `HybridRecurrentCell`, `_format_sequence`, `_get_begin_state`,
 * `_mask_sequence_variable_length`): the `call(x, states)` convention
 * (`[output, newStates]`), `stateInfo`, zero `beginState`s, `reset()`, and
 * `unroll` over a tensor with a time axis or a list of steps.
 * Invariants: a cell's states are a flat list in `stateInfo` order (a
 * container's are its children's, concatenated); an error names the cell;
 * the same code runs on arrays (eager) and symbols (traced), so a cell
 * unrolled inside a hybridized block is one graph.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { checkOptions, optionKeys } from '../../../runtime/check-options.js';
import { isSymbol } from '../../trace/symbol.js';
import { symOps } from '../../trace/sym.js';
import { ops as ndOps } from '../../engine/nd.js';
import type { NDArray } from '../../engine/ndarray.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { Block } from '../block.js';
import { HybridBlock } from '../hybrid.js';
import type { KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { bindBeginState, zeroStates, type BatchSize } from './begin-state.js';
import { checkLengths } from './rnn-step.js';
import { plainShape } from '../../ops/symbolic-dim.js';

/** Options of `unroll`. */
export interface UnrollOptions<T> {
  /** The initial states (zeros when absent). */
  beginState?: T[];
  /** 'NTC' (default) or 'TNC': where the time axis of a tensor input is. */
  layout?: 'NTC' | 'TNC';
  /** Stack the outputs into one tensor (default: true for a tensor input, false for a list). */
  mergeOutputs?: boolean;
  /**
   * Valid lengths [N] (Gluon's `valid_length`): outputs past each length are
   * 0 and the final states are those of the last valid step. Lengths must
   * be integers in [1, length] (Gluon's SequenceLast reads step length - 1):
   * an NDArray holding others is an Error; in a traced graph they are clipped.
   */
  validLength?: T;
}

const UNROLL_KEYS = optionKeys<UnrollOptions<unknown>>({ beginState: true, layout: true, mergeOutputs: true, validLength: true });

/** One state's shape (batch first, 0 for an unknown batch) and layout, as MXNet's `state_info`. */
export interface StateInfo {
  shape: number[];
  layout: 'NC';
}

/** The arguments of `beginState`: the batch size, positionally or by name, and `dtype`. */
export type BeginStateArgs = KwArgs<['batchSize?'], [batchSize?: BatchSize], { dtype?: DType }>;

/** What a recurrent cell offers (the built-in cells, the containers and the modifiers). */
export interface Cell {
  readonly constructor: { name: string };
  stateInfo(batchSize?: number): StateInfo[];
  beginState(...args: BeginStateArgs): NDArray[];
  call(x: unknown, states: unknown): unknown;
  unroll<T extends Tensor | NDArray>(length: number, inputs: T | T[], options?: UnrollOptions<T>): [T | T[], T[]];
  reset(): void;
  /** Set while a modifier cell (ZoneoutCell, ...) wraps this cell (MXNet's `_modified`). */
  _modified: boolean;
}

/** True for a block that is a recurrent cell. Example: `isCell(new rnn.LSTMCell(4))`. */
export function isCell(x: unknown): x is Cell {
  const c = x as Partial<Cell> | null;
  return x instanceof Block && typeof c!.stateInfo === 'function' && typeof c!.unroll === 'function' && typeof c!.beginState === 'function';
}

/** `x` when it is a cell, else an Error naming `where` and what it got. Example: `asCell('ZoneoutCell', base)`. */
export function asCell(where: string, x: unknown): Cell {
  if (!isCell(x)) throw new Error(`${where}: expects a recurrent cell (rnn.LSTMCell, rnn.GRUCell, rnn.SequentialRNNCell, ...), got ${x instanceof Block ? x.constructor.name : showValue(x)}`);
  return x;
}

/** MXNet's assertion in `begin_state`: a modified cell's states come from its modifier. Example: `checkUnmodified(this)` first in `beginState`. */
export function checkUnmodified(cell: Cell): void {
  if (cell._modified) throw new Error(`${cell.constructor.name}.beginState: this cell is wrapped by a modifier cell (ZoneoutCell, ResidualCell, ...); call the modifier cell instead, as MXNet requires`);
}

/** `[x, states]` of a step call, or an Error naming the cell and the state count it takes. Example: `checkCall('GRUCell', [x, [h]], 1)`. */
export function checkCall(name: string, inputs: unknown[], count: number): [Tensor, Tensor[]] {
  const [x, states] = inputs;
  if (inputs.length !== 2 || states === undefined || states === null) {
    throw new Error(`${name}: expects call(x, states) with a list of ${count} state${count === 1 ? '' : 's'} (see beginState(batchSize)), got ${inputs.length} argument(s)`);
  }
  const list = Array.isArray(states) ? states : [states];
  if (list.length !== count) throw new Error(`${name}: expects ${count} state${count === 1 ? '' : 's'} (stateInfo() lists them), got ${list.length}`);
  return [x as Tensor, list as Tensor[]];
}

/** A sequence as `unroll` takes it apart: the backend, the steps, whether it came as a list, the time axis. */
export interface Sequence {
  F: F;
  steps: Tensor[];
  list: boolean;
  tAxis: 0 | 1;
  layout: 'NTC' | 'TNC';
}

/**
 * Checks one step's shapes: `x` [batch, in] against `i2h_weight` [G*H, in]
 * and state i against [batch, widths[i]] (a symbolic dimension matches
 * any); an Error names the cell (`name`), the state (`labels[i]`) and the
 * shapes. Returns x's shape.
 * Example: `checkStepShapes('GRUCell', x, [h], p, [4])`.
 */
export function checkStepShapes(name: string, x: Tensor, states: Tensor[], p: Record<string, Tensor>, widths: number[], labels: string[] = []): (number | string)[] {
  const xs = plainShape(x.shape);
  if (xs.length !== 2) throw new Error(`${name}: expects input of rank 2 (NC), got shape [${xs.join(', ')}]`);
  const inUnits = p['i2h_weight']!.shape[1];
  if (typeof xs[1] === 'number' && typeof inUnits === 'number' && inUnits > 0 && xs[1] !== inUnits) {
    throw new Error(`${name}: the input has ${xs[1]} features (last axis of [${xs.join(', ')}]) but the cell takes ${inUnits} (i2h_weight is [${p['i2h_weight']!.shape.join(', ')}])`);
  }
  states.forEach((st, i) => {
    const s = plainShape(st.shape);
    const expect = [xs[0]!, widths[i]!];
    if (s.length !== 2 || !s.every((d, j) => d === expect[j] || typeof d === 'string' || typeof expect[j] === 'string')) {
      throw new Error(`${name}: state ${i}${labels[i] ? ` (${labels[i]})` : ''} must have shape [${expect.join(', ')}] for input [${xs.join(', ')}], got [${s.join(', ')}]`);
    }
  });
  return xs;
}

/** Splits `x` along `axis` into `n` steps with that axis removed. Example: `unstack(F, x, 5, 1)` ([N, 5, C] to five [N, C]). */
export function unstack(F: F, x: Tensor, n: number, axis: number): Tensor[] {
  return n === 1 ? [F.squeeze(x, { axis })] : (F.split(x, { numOutputs: n, axis, squeezeAxis: true }) as Tensor[]);
}

/** Stacks steps along `axis`. Example: `stackSteps(F, steps, 1)` (five [N, C] to [N, 5, C]). */
export function stackSteps(F: F, steps: Tensor[], axis: number): Tensor {
  return steps.length === 1 ? F.expandDims(steps[0]!, { axis }) : F.stack(...steps, { axis });
}

/**
 * Checks `unroll`'s arguments (options, layout, length, the steps, the
 * valid lengths and the number of begin states against `cell`) and takes
 * the input apart (MXNet's `_format_sequence`).
 *
 * ```ts
 * const { F, steps, tAxis } = unrollSequence(cell, 5, x, { layout: 'NTC' });
 * ```
 */
export function unrollSequence<T>(cell: Cell, length: number, inputs: T | T[], options: UnrollOptions<T>): Sequence {
  const name = `${cell.constructor.name}.unroll`;
  checkOptions(name, options, UNROLL_KEYS);
  const layout = options.layout ?? 'NTC';
  if (layout !== 'NTC' && layout !== 'TNC') throw new Error(`${name}: invalid layout '${String(layout)}'; must be one of 'NTC' or 'TNC'`);
  if (!Number.isInteger(length) || length <= 0) throw new Error(`${name}: length must be a positive integer (the number of steps), got ${length}`);
  const tAxis = layout === 'NTC' ? 1 : 0;
  const list = Array.isArray(inputs);
  const first = (list ? inputs[0] : inputs) as Tensor | undefined;
  if (!first || typeof first !== 'object') throw new Error(`${name}: expects an NDArray/Symbol input or a list of steps, got ${showValue(first)}`);
  const F: F = isSymbol(first) ? symOps : ndOps;
  let steps: Tensor[];
  if (list) steps = inputs as Tensor[];
  else {
    const x = inputs as Tensor;
    if (x.shape.length !== 3 || x.shape[tAxis] !== length) {
      throw new Error(`${name}: expects input of rank 3 (${layout}) with ${length} steps, got shape [${x.shape.join(', ')}]`);
    }
    steps = unstack(F, x, length, tAxis);
  }
  if (steps.length !== length) throw new Error(`${name}: expects ${length} steps, got ${steps.length}`);
  // Gluon's SequenceLast reads step length - 1, so a cell's lengths start at 1.
  checkLengths(name, options.validLength, length, 1, 'validLength');
  const begin = options.beginState;
  if (begin !== undefined && begin !== null) {
    const n = cell.stateInfo().length;
    if (!Array.isArray(begin) || begin.length !== n) {
      throw new Error(`${name}: beginState must be a list of ${n} state${n === 1 ? '' : 's'} (stateInfo() lists them), got ${Array.isArray(begin) ? `${begin.length}` : showValue(begin)}`);
    }
  }
  return { F, steps, list, tAxis, layout };
}

/**
 * Zero states for `cell` built from a step [N, C] (MXNet's `_get_begin_state`
 * with `F.zeros`): the batch is read from the step, so it stays symbolic in
 * traced graphs. Example: `zeroStatesLike(F, lstmCell, x0)` is `[h, c]`, each [N, H].
 */
export function zeroStatesLike(F: F, cell: Cell, step: Tensor): Tensor[] {
  const one = F.zerosLike(F.sliceAxis(step, { axis: 1, begin: 0, end: 1 }));
  return cell.stateInfo().map((s) => F.tile(one, [1, ...s.shape.slice(1)]));
}

/** MXNet's `_mask_sequence_variable_length` on a list of steps: steps past each length are 0. Example: `maskSteps(F, outs, validLength)`. */
export function maskSteps(F: F, outs: Tensor[], validLength: Tensor): Tensor[] {
  const masked = F.SequenceMask(stackSteps(F, outs, 0), validLength, { useSequenceLength: true, axis: 0 });
  return unstack(F, masked, outs.length, 0);
}

/** The steps as `unroll` returns them: stacked along the time axis when merging (default: for a tensor input), else the list. Example: `finishOutputs(seq, outs, options.mergeOutputs)`. */
export function finishOutputs<T>(seq: Sequence, outs: Tensor[], mergeOutputs: boolean | undefined): T | T[] {
  const merge = mergeOutputs ?? !seq.list;
  return (merge ? stackSteps(seq.F, outs, seq.tAxis) : outs) as T | T[];
}

/**
 * MXNet's `RecurrentCell.unroll`: resets the cell, then steps it over the
 * sequence with `call`; with `validLength`, outputs past each length are 0
 * and the final states are each sequence's last valid step's.
 *
 * ```ts
 * const [out, states] = stepUnroll(cell, 5, x, { layout: 'NTC' });
 * ```
 */
export function stepUnroll<T>(cell: Cell, length: number, inputs: T | T[], options: UnrollOptions<T> = {}): [T | T[], T[]] {
  const seq = unrollSequence(cell, length, inputs, options);
  const { F, steps } = seq;
  cell.reset();
  let states: Tensor[] = (options.beginState as Tensor[] | undefined) ?? zeroStatesLike(F, cell, steps[0]!);
  let outs: Tensor[] = [];
  const history: Tensor[][] = states.map(() => []);
  for (const x of steps) {
    const [o, s] = cell.call(x, states) as [Tensor, Tensor[]];
    outs.push(o);
    states = s;
    s.forEach((v, i) => history[i]!.push(v));
  }
  const vl = options.validLength as Tensor | undefined;
  if (vl) {
    states = history.map((h) => F.SequenceLast(stackSteps(F, h, 0), vl, { useSequenceLength: true, axis: 0 }));
    outs = maskSteps(F, outs, vl);
  }
  return [finishOutputs<T>(seq, outs, options.mergeOutputs), states as T[]];
}

/**
 * MXNet's `HybridRecurrentCell`: a hybrid block stepped by
 * `call(x, states)`, whose `hybridForward(F, x, states, p)` returns
 * `[output, newStates]` (hybridized, one compiled graph per step
 * signature).
 *
 * ```ts
 * class Identity extends HybridRecurrentCell {
 *   stateInfo() { return []; }
 *   override hybridForward(F: F, x: Tensor, states: Tensor[]) { return [x, states]; }
 * }
 * ```
 */
export abstract class HybridRecurrentCell extends HybridBlock implements Cell {
  _modified = false;
  /** The dtype of `beginState`'s zeros when none is given. */
  protected _stateDType: DType = 'float32';

  abstract stateInfo(batchSize?: number): StateInfo[];

  /**
   * Zero initial states for a batch size (MXNet's `begin_state`), named
   * `<cell>begin_state_<k>` in MXNet's export.
   *
   * ```ts
   * const states = cell.beginState(4);
   * ```
   */
  beginState(...args: BeginStateArgs): NDArray[] {
    checkUnmodified(this);
    const [batchSize, options] = bindBeginState(this.constructor.name, args);
    const shapes = this.stateInfo().map((s) => [batchSize, ...s.shape.slice(1)]);
    return zeroStates(shapes, options.dtype ?? this._stateDType, { block: this, base: 'begin_state_', layout: 'NC' });
  }

  /** Forgets what the cell keeps between steps (a modifier's masks or previous output), here and in its child cells; `unroll` calls it first. */
  reset(): void {
    for (const [, c] of this.children()) if (isCell(c)) c.reset();
  }

  protected override _run(inputs: unknown[]): unknown {
    const [x, states] = checkCall(this.constructor.name, inputs, this.stateInfo().length);
    return this._step(x, states);
  }

  /** One step: `hybridForward(F, x, states, p)` (eager, traced or compiled). */
  protected _step(x: Tensor, states: Tensor[]): unknown {
    return this._hybridRun([x, states]);
  }

  /** HybridBlock's call on these inputs (the cell's own checks done). */
  protected _hybridRun(inputs: unknown[]): unknown {
    return super._run(inputs);
  }

  /**
   * Runs the cell over `length` steps of `inputs` (a tensor with a time
   * axis, or a list of [N, C] steps); gives `[outputs, finalStates]`.
   *
   * ```ts
   * const [out, states] = cell.unroll(5, nd.ones([2, 5, 3])); // out [2, 5, H]
   * ```
   */
  unroll<T extends Tensor | NDArray>(length: number, inputs: T | T[], options: UnrollOptions<T> = {}): [T | T[], T[]] {
    this._nameChildren();
    return stepUnroll(this, length, inputs, options);
  }
}
