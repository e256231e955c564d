/**
 * MXNet 1.x's legacy cells that wrap or combine others
 * (python/mxnet/rnn/rnn_cell.py): `DropoutCell` (dropout on the inputs,
 * no state), `ResidualCell` (the wrapped cell's output plus its input) and
 * `BidirectionalCell` (one cell forward, one over the reversed steps, the
 * outputs concatenated on the feature axis; it cannot be stepped) and
 * `ZoneoutCell` (the previous output or state kept where a Dropout mask
 * of ones is 0).
 * Invariants: the parameters are the wrapped cells' (no new ones); the
 * states are the cells' in order; errors name the cell.
 */
import { isSymbol, type Symbol } from '../../trace/symbol.js';
import { symOps } from '../../trace/sym.js';
import { showValue } from '../show-value.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { BaseRNNCell, CompositeRNNCell, mergeSteps, normalizeSequence, RNNParams, SequentialRNNCell, toSteps, unrollArgs, type BeginStateOptions, type StateInfo, type SymUnrollOptions, type WeightDict } from './sym-cell.js';

/**
 * MXNet's `mx.rnn.DropoutCell(dropout)`: `Dropout(inputs, p)` at each step
 * (active while training, as the operator is); no state.
 *
 * ```ts
 * stack.add(new rnn.LSTMCell(200, { prefix: 'lstm_l0_' })).add(new rnn.DropoutCell(0.5));
 * ```
 */
export class DropoutCell extends BaseRNNCell {
  readonly dropout: number;

  constructor(dropout: number, options: { prefix?: string; params?: RNNParams | null } = {}) {
    super(options.prefix ?? 'dropout_', options.params);
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new Error(`DropoutCell: dropout must be a number in [0, 1), got ${showValue(dropout)}`);
    this.dropout = dropout;
  }

  get stateInfo(): StateInfo[] {
    return [];
  }

  call(inputs: Symbol, states: Symbol[]): [Symbol, Symbol[]] {
    if (!isSymbol(inputs)) throw new Error(`DropoutCell: the input must be a symbol, got ${showValue(inputs)}`);
    return [this.dropout > 0 ? symOps.Dropout(inputs, { p: this.dropout }) : inputs, states];
  }

  /** A merged (one-symbol) input is dropped out at once, as MXNet's; a list step by step. */
  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions & { mergeOutputs: true }): [Symbol, Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options?: SymUnrollOptions): [Symbol | Symbol[], Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions = {}): [Symbol | Symbol[], Symbol[]] {
    const axis = unrollArgs('DropoutCell.unroll', length, options);
    this.reset();
    const x = normalizeSequence('DropoutCell.unroll', length, inputs, axis, options.mergeOutputs);
    if (isSymbol(x)) return this.call(x, []);
    return super.unroll(length, x, options);
  }
}

/** A cell that wraps another (MXNet's `ModifierCell`): the wrapped cell's parameters and states. */
abstract class ModifierCell extends BaseRNNCell {
  readonly baseCell: BaseRNNCell;

  constructor(baseCell: BaseRNNCell) {
    if (!(baseCell instanceof BaseRNNCell)) throw new Error(`${new.target.name}: expects an rnn cell to wrap (rnn.LSTMCell, ...), got ${showValue(baseCell)}`);
    super('', baseCell.params);
    this.baseCell = baseCell;
  }

  get stateInfo(): StateInfo[] {
    return this.baseCell.stateInfo;
  }

  override beginState(options: BeginStateOptions = {}): Symbol[] {
    return this.baseCell.beginState(options);
  }

  override get stateNames(): string[] {
    return this.baseCell.stateNames;
  }

  override unpackWeights(args: WeightDict): WeightDict {
    return this.baseCell.unpackWeights(args);
  }

  override packWeights(args: WeightDict): WeightDict {
    return this.baseCell.packWeights(args);
  }

  override reset(): void {
    super.reset();
    this.baseCell.reset();
  }
}

/**
 * MXNet's `mx.rnn.ZoneoutCell(baseCell, zoneoutOutputs, zoneoutStates)`
 * (Krueger et al. 2016): at each step, where a mask drawn as
 * `Dropout(onesLike(x), p)` is 0 the previous output (zeros at the first
 * step) or state is kept instead of the new one; while training a value is
 * kept with probability `p` (the operator's mask), at prediction the
 * Dropout is the identity and the cell is its base cell. The base cell is
 * stepped, so it cannot be a FusedRNNCell (unfuse it) or a
 * BidirectionalCell (or a stack holding one).
 *
 * ```ts
 * const cell = new rnn.ZoneoutCell(new rnn.LSTMCell(8), { zoneoutOutputs: 0.1, zoneoutStates: 0.2 });
 * ```
 */
export class ZoneoutCell extends ModifierCell {
  readonly zoneoutOutputs: number;
  readonly zoneoutStates: number;
  private _prevOutput: Symbol | null = null;

  constructor(baseCell: BaseRNNCell, options: { zoneoutOutputs?: number; zoneoutStates?: number } = {}) {
    checkOptions('ZoneoutCell', options, ['zoneoutOutputs', 'zoneoutStates']);
    const unsteppable = (c: BaseRNNCell): string | null =>
      c instanceof BidirectionalCell ? 'BidirectionalCell' : c.constructor.name === 'FusedRNNCell' ? 'FusedRNNCell' : c instanceof SequentialRNNCell ? c.cells.map(unsteppable).find((x) => x) ?? null : null;
    const bad = baseCell instanceof BaseRNNCell ? unsteppable(baseCell) : null;
    if (bad === 'FusedRNNCell') throw new Error("ZoneoutCell: FusedRNNCell doesn't support zoneout. Please unfuse first (cell.unfuse())");
    if (bad) throw new Error("ZoneoutCell: BidirectionalCell doesn't support zoneout since it doesn't support step. Please add ZoneoutCell to the cells underneath instead");
    super(baseCell);
    const rate = (k: 'zoneoutOutputs' | 'zoneoutStates') => {
      const v = options[k] ?? 0;
      if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`ZoneoutCell: ${k} must be a number in [0, 1), got ${showValue(v)}`);
      return v;
    };
    this.zoneoutOutputs = rate('zoneoutOutputs');
    this.zoneoutStates = rate('zoneoutStates');
  }

  override reset(): void {
    super.reset();
    this._prevOutput = null;
  }

  call(inputs: Symbol, states: Symbol[]): [Symbol, Symbol[]] {
    const [next, nextStates] = this.baseCell.call(inputs, states);
    const mask = (p: number, like: Symbol) => symOps.Dropout(symOps.onesLike(like), { p });
    const keep = (p: number, now: Symbol, before: Symbol) => (p !== 0 ? symOps.where(mask(p, now), now, before) : now);
    const output = keep(this.zoneoutOutputs, next, this._prevOutput ?? symOps.zerosLike(next));
    const out = [output, nextStates.map((s, i) => keep(this.zoneoutStates, s, states[i]!))] as [Symbol, Symbol[]];
    this._prevOutput = output;
    return out;
  }
}

/**
 * MXNet's `mx.rnn.ResidualCell(baseCell)`: the wrapped cell's output plus
 * its input (so their sizes must agree).
 *
 * ```ts
 * stack.add(new rnn.ResidualCell(new rnn.LSTMCell(200, { prefix: 'lstm_l1_' })));
 * ```
 */
export class ResidualCell extends ModifierCell {
  call(inputs: Symbol, states: Symbol[]): [Symbol, Symbol[]] {
    const [o, s] = this.baseCell.call(inputs, states);
    return [symOps.add(o, inputs), s];
  }

  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions & { mergeOutputs: true }): [Symbol, Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options?: SymUnrollOptions): [Symbol | Symbol[], Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions = {}): [Symbol | Symbol[], Symbol[]] {
    const axis = unrollArgs('ResidualCell.unroll', length, options);
    this.reset();
    const [outputs, states] = this.baseCell.unroll(length, inputs, options);
    const merge = options.mergeOutputs ?? isSymbol(outputs);
    const x = normalizeSequence('ResidualCell.unroll', length, inputs, axis, merge);
    if (isSymbol(outputs) && isSymbol(x)) return [symOps.add(outputs, x), states];
    const os = toSteps('ResidualCell.unroll', length, outputs, axis);
    const xs = toSteps('ResidualCell.unroll', length, x, axis);
    return [os.map((o, i) => symOps.add(o, xs[i]!)), states];
  }
}

/**
 * MXNet's `mx.rnn.BidirectionalCell(lCell, rCell)`: `lCell` over the
 * steps, `rCell` over them reversed; each step's outputs concatenated
 * (`[.., 2H]`). It is unrolled only.
 *
 * ```ts
 * const bi = new rnn.BidirectionalCell(new rnn.LSTMCell(8, { prefix: 'l_' }), new rnn.LSTMCell(8, { prefix: 'r_' }));
 * const [out] = bi.unroll(5, embed, { mergeOutputs: true });   // [N, 5, 16]
 * ```
 */
export class BidirectionalCell extends CompositeRNNCell {
  constructor(lCell: BaseRNNCell, rCell: BaseRNNCell, params: RNNParams | null = null) {
    super('', params);
    for (const c of [lCell, rCell]) if (!(c instanceof BaseRNNCell)) throw new Error(`BidirectionalCell: expects two rnn cells, got ${showValue(c)}`);
    this.adopt(lCell);
    this.adopt(rCell);
  }

  call(): [Symbol, Symbol[]] {
    throw new Error('BidirectionalCell: Bidirectional cannot be stepped. Please use unroll');
  }

  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions & { mergeOutputs: true }): [Symbol, Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options?: SymUnrollOptions): [Symbol | Symbol[], Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions = {}): [Symbol | Symbol[], Symbol[]] {
    const what = 'BidirectionalCell.unroll';
    const axis = unrollArgs(what, length, options);
    this.reset();
    const steps = toSteps(what, length, inputs, axis);
    const [l, r] = this._cells as [BaseRNNCell, BaseRNNCell];
    const nl = l.stateInfo.length;
    const begin = options.beginState;
    if (begin !== undefined && (!Array.isArray(begin) || begin.length !== this.stateInfo.length)) throw new Error(`${what}: beginState must hold ${this.stateInfo.length} states (the left cell's, then the right's), got ${showValue(begin)}`);
    const layout = options.layout ?? 'NTC';
    const [lo, ls] = l.unroll(length, steps, { layout, mergeOutputs: false, ...(begin ? { beginState: begin.slice(0, nl) } : {}) });
    const [ro, rs] = r.unroll(length, [...steps].reverse(), { layout, mergeOutputs: false, ...(begin ? { beginState: begin.slice(nl) } : {}) });
    const ls_ = lo as Symbol[];
    const rs_ = [...(ro as Symbol[])].reverse();
    // Each step [N, H] + [N, H] -> [N, 2H] (MXNet's Concat on dim 1; merged, on the feature axis 2).
    const outs = ls_.map((o, i) => symOps.concat(o, rs_[i]!, { dim: 1 }));
    return [options.mergeOutputs ? mergeSteps(outs, axis, true) : outs, [...ls, ...rs]];
  }
}
