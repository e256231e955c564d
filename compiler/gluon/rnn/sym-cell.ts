/**
 * MXNet 1.x's legacy symbolic cells (`mx.rnn`, python/mxnet/rnn/rnn_cell.py):
 * `RNNCell`, `LSTMCell`, `GRUCell` and `SequentialRNNCell`, unrolled over
 * Symbols to build a graph per sequence length (BucketingModule's `sym_gen`).
 * The parameters are variables named `<prefix>i2h_weight`,
 * `<prefix>i2h_bias`, `<prefix>h2h_weight`, `<prefix>h2h_bias` (MXNet's,
 * so `.params` files move both ways), made once per cell (its `RNNParams`)
 * and reused by every unroll; the step's math is gluon.rnn's `rnnStep`
 * (one implementation; MXNet's gate order: LSTM i, f, c, o; GRU r, z, n).
 * Every cell has MXNet's `stateInfo`, `beginState`, `unpackWeights` /
 * `packWeights` (the i2h/h2h matrices split per gate and back).
 * Invariants: the cells take Symbols only (gluon.rnn's cells take
 * NDArrays); every error names the cell and what was wrong.
 */
import { isSymbol, type Symbol } from '../../trace/symbol.js';
import { symOps, variable } from '../../trace/sym.js';
import type { Tensor } from '../../engine/tensor.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { LSTMBias, type Initializer } from '../init.js';
import { showValue } from '../show-value.js';
import { GATES, NUM_STATES, rnnStep, type RnnMode } from './rnn-step.js';
import { NDArray } from '../../engine/ndarray.js';
import { ops as ndOps } from '../../engine/nd.js';
import { GATE_NAMES } from '../../formats/mxnet-rnn-param.js';

/** `args` checked to be a dict of NDArrays (`what` names the call). Example: `checkWeights('LSTMCell.unpackWeights', args)`. */
export function checkWeights(what: string, args: unknown): WeightDict {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new Error(`${what}: args must be a dict of NDArrays by parameter name, got ${showValue(args)}`);
  for (const [k, v] of Object.entries(args)) if (!(v instanceof NDArray)) throw new Error(`${what}: args['${k}'] must be an NDArray, got ${showValue(v)}`);
  return args as WeightDict;
}

/** Removes and returns `args[name]`, an Error naming it (and `what`) when absent. Example: `takeWeight(what, out, 'lstm_i2h_weight')`. */
export function takeWeight(what: string, args: WeightDict, name: string): NDArray {
  const w = args[name];
  if (!w) throw new Error(`${what}: '${name}' is missing from args (it has ${Object.keys(args).join(', ') || 'nothing'})`);
  delete args[name];
  return w;
}

const concatRows = (parts: NDArray[]): NDArray => ndOps.concat(...parts, { dim: 0 }) as NDArray;

/**
 * MXNet's `RNNParams`: a cell's variables by full name (`prefix + name`),
 * each made once, so every unroll (every bucket) reads the same parameters.
 *
 * ```ts
 * const p = new rnn.RNNParams('lstm_l0_');
 * p.get('i2h_weight'); // sym.var('lstm_l0_i2h_weight'), the same symbol each time
 * ```
 */
export class RNNParams {
  readonly prefix: string;
  /** The variables made so far, by full name. */
  readonly _params = new Map<string, Symbol>();

  constructor(prefix = '') {
    if (typeof prefix !== 'string') throw new Error(`RNNParams: prefix must be a string, got ${showValue(prefix)}`);
    this.prefix = prefix;
  }

  /** The variable `prefix + name` (made on first use, with `init` as its initializer). */
  get(name: string, options: { init?: Initializer } = {}): Symbol {
    const full = this.prefix + name;
    let v = this._params.get(full);
    if (!v) this._params.set(full, (v = variable(full, options.init ? { init: options.init } : {})));
    return v;
  }
}

/** What a state is: its shape (0 for the batch, inferred) and layout, as MXNet's `state_info` (`__layout__`; 'LNC' for a fused cell's [L*D, N, H]). */
export interface StateInfo {
  shape: number[];
  layout: 'NC' | 'LNC';
}

/** Parameters by name, as `unpackWeights` / `packWeights` take them (MXNet's `args` dict of NDArrays). */
export type WeightDict = Record<string, NDArray>;

/** `beginState`'s options: MXNet's `func` (default zeros; `sym.var` makes them inputs) and the batch size the shapes take. */
export interface BeginStateOptions {
  /** Called as `func(name, { shape, layout })` for each state (MXNet's `func(name=..., **info)`), e.g. `(n) => sym.var(n)`. */
  func?: (name: string, info: StateInfo) => Symbol;
  /** The batch size of zero states (gluonc cannot hold zeros of a size inferred later; `unroll` sizes them from its input). */
  batchSize?: number;
}

/** `unroll`'s options (MXNet's keyword arguments). */
export interface SymUnrollOptions {
  /** The initial states (default: zeros sized from the input). */
  beginState?: Symbol[];
  /** 'NTC' (default) or 'TNC': where the time axis is. */
  layout?: 'NTC' | 'TNC';
  /** true: one symbol with the time axis; false: a list of steps; default (MXNet's None): as the cell leaves them, a list. */
  mergeOutputs?: boolean | null;
}

const UNROLL_KEYS = ['beginState', 'layout', 'mergeOutputs'] as const;

/** The list of `length` steps of `inputs` (a symbol with a time axis at `axis`, or a list). Example: `toSteps('LSTMCell.unroll', 5, embed, 1)`. */
export function toSteps(what: string, length: number, inputs: unknown, axis: number): Symbol[] {
  if (Array.isArray(inputs)) {
    if (inputs.length !== length || !inputs.every(isSymbol)) throw new Error(`${what}: expects ${length} step symbols, got a list of ${inputs.length}${inputs.every(isSymbol) ? '' : ' holding a non-symbol'}`);
    return inputs as Symbol[];
  }
  if (!isSymbol(inputs)) throw new Error(`${what}: inputs must be a symbol or a list of symbols (mx.rnn's cells are symbolic; gluon.rnn's cells take NDArrays), got ${showValue(inputs)}`);
  const t = inputs.value.known ? inputs.shape[axis] : undefined;
  if (typeof t === 'number' && t !== length) throw new Error(`${what}: the input's time axis ${axis} has ${t} steps, unroll asks for ${length} (shape [${inputs.shape.join(', ')}])`);
  return length === 1 ? [symOps.squeeze(inputs, { axis })] : (symOps.split(inputs, { numOutputs: length, axis, squeezeAxis: true }) as unknown as Symbol[]);
}

/** Steps merged along `axis` when `merge` (MXNet's expand_dims + Concat), else the list. Example: `mergeSteps(outs, 1, true)`. */
export function mergeSteps(steps: Symbol[], axis: number, merge: boolean | null | undefined): Symbol | Symbol[] {
  if (!merge) return steps;
  return steps.length === 1 ? symOps.expandDims(steps[0]!, { axis }) : symOps.stack(...steps, { axis });
}

/**
 * MXNet's `_normalize_sequence`: `inputs` as one symbol with the time axis
 * (`merge` true; a list is stacked) or as a list of steps (`merge` false; a
 * symbol is split); `merge` null leaves them as they are.
 *
 * ```ts
 * normalizeSequence('ResidualCell.unroll', 5, embed, 1, false); // 5 step symbols
 * ```
 */
export function normalizeSequence(what: string, length: number, inputs: Symbol | Symbol[], axis: number, merge: boolean | null | undefined): Symbol | Symbol[] {
  if (Array.isArray(inputs)) return mergeSteps(toSteps(what, length, inputs, axis), axis, merge === true);
  return merge === false ? toSteps(what, length, inputs, axis) : inputs;
}

/** The checked unroll arguments: the time axis and layout. Example: `unrollArgs('LSTMCell.unroll', 5, { layout: 'TNC' })` is 0. */
export function unrollArgs(what: string, length: number, options: SymUnrollOptions): number {
  checkOptions(what, options, UNROLL_KEYS);
  if (!Number.isInteger(length) || length < 1) throw new Error(`${what}: length must be a positive integer (the number of steps), got ${showValue(length)}`);
  const layout = options.layout ?? 'NTC';
  if (layout !== 'NTC' && layout !== 'TNC') throw new Error(`${what}: invalid layout ${showValue(layout)}; must be 'NTC' or 'TNC'`);
  return layout.indexOf('T');
}

/**
 * MXNet's `BaseRNNCell`: parameters under a prefix, `beginState`,
 * `call(input, states)` for one step and `unroll` over a sequence.
 */
export abstract class BaseRNNCell {
  protected readonly _prefix: string;
  protected _params: RNNParams;
  protected _ownParams: boolean;
  protected _counter = -1;
  protected _initCounter = -1;

  constructor(prefix: string, params: RNNParams | null | undefined) {
    const what = this.constructor.name;
    if (typeof prefix !== 'string') throw new Error(`${what}: prefix must be a string, got ${showValue(prefix)}`);
    if (params !== null && params !== undefined && !(params instanceof RNNParams)) throw new Error(`${what}: params must be an rnn.RNNParams (another cell's .params), got ${showValue(params)}`);
    this._prefix = prefix;
    this._ownParams = !params;
    this._params = params ?? new RNNParams(prefix);
  }

  /** The prefix of the parameters' names. */
  get prefix(): string {
    return this._prefix;
  }

  /** The parameters (an RNNParams another cell may share: `new rnn.LSTMCell(8, { params: a.params })`). */
  get params(): RNNParams {
    this._ownParams = false;
    return this._params;
  }

  /** The states' shapes and layouts (batch 0: inferred). */
  abstract get stateInfo(): StateInfo[];

  /** Forgets the step counters before a new unroll (MXNet's `reset`). */
  reset(): void {
    this._counter = -1;
    this._initCounter = -1;
  }

  /** One step: `[output, newStates]`. */
  abstract call(inputs: Symbol, states: Symbol[]): [Symbol, Symbol[]];

  /**
   * The initial states (MXNet's `begin_state`): `func(name, info)` for each,
   * named `<prefix>begin_state_<k>`; zeros of `batchSize` rows by default.
   *
   * ```ts
   * const states = cell.beginState({ func: (name) => sym.var(name) });   // the states become inputs
   * ```
   */
  beginState(options: BeginStateOptions = {}): Symbol[] {
    const what = `${this.constructor.name}.beginState`;
    checkOptions(what, options, ['func', 'batchSize']);
    const { func, batchSize } = options;
    if (func !== undefined && typeof func !== 'function') throw new Error(`${what}: func must be a function (name, info) => Symbol, got ${showValue(func)}`);
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`${what}: batchSize must be a positive integer, got ${showValue(batchSize)}`);
    if (!func && batchSize === undefined) throw new Error(`${what}: zero states need { batchSize } here (MXNet infers a 0 batch later; gluonc's unroll sizes them from its input when no beginState is given), or pass { func: (name) => sym.var(name) }`);
    return this.stateInfo.map((info) => {
      this._initCounter += 1;
      const name = `${this._prefix}begin_state_${this._initCounter}`;
      const axis = info.layout.indexOf('N');
      const shape = batchSize === undefined ? info.shape : info.shape.map((d, i) => (i === axis ? batchSize : d));
      if (func) return func(name, { shape, layout: info.layout });
      return symOps.zeros(shape);
    });
  }

  /**
   * The names `beginState` gives the states next (`<prefix>begin_state_<k>`,
   * MXNet's; what `{ func: (name) => sym.var(name) }` makes inputs of).
   *
   * ```ts
   * new rnn.LSTMCell(8, { prefix: 'l0_' }).stateNames; // ['l0_begin_state_0', 'l0_begin_state_1']
   * ```
   */
  get stateNames(): string[] {
    return this.stateInfo.map((_s, k) => `${this._prefix}begin_state_${this._initCounter + 1 + k}`);
  }

  /** MXNet's `_gate_names`: the suffixes `unpackWeights` splits `i2h`/`h2h` into (none: nothing to unpack). */
  protected get _gateNames(): string[] {
    return [];
  }

  /** The number of hidden units the gate blocks have (cells with gates). */
  protected get _gateRows(): number {
    return 0;
  }

  /**
   * MXNet's `unpack_weights`: a copy of `args` with this cell's `i2h`/`h2h`
   * weights and biases split per gate (`lstm_i2h_weight` into
   * `lstm_i2h_i_weight`, `_f_`, `_c_`, `_o_`; GRU `_r`, `_z`, `_o`; RNN
   * unchanged); a fused cell's flat vector into its layers' gates.
   *
   * ```ts
   * const unpacked = cell.unpackWeights(mod.getParams()[0]);
   * ```
   */
  unpackWeights(args: WeightDict): WeightDict {
    const out = { ...checkWeights(`${this.constructor.name}.unpackWeights`, args) };
    const gates = this._gateNames;
    if (!gates.length) return out;
    const h = this._gateRows;
    for (const group of ['i2h', 'h2h']) {
      for (const kind of ['weight', 'bias']) {
        const name = `${this._prefix}${group}_${kind}`;
        const w = takeWeight(`${this.constructor.name}.unpackWeights`, out, name);
        if (w.shape[0] !== gates.length * h) throw new Error(`${this.constructor.name}.unpackWeights: '${name}' has shape [${w.shape.join(', ')}], expected ${gates.length} gates of ${h} rows on axis 0`);
        gates.forEach((g, j) => (out[`${this._prefix}${group}${g}_${kind}`] = w.sliceAxis(0, j * h, (j + 1) * h).copy()));
      }
    }
    return out;
  }

  /**
   * MXNet's `pack_weights`, the inverse of `unpackWeights`: the per-gate
   * entries of this cell concatenated back (`lstm_i2h_weight`, ...).
   *
   * ```ts
   * const packed = unfused.packWeights(fused.unpackWeights(args));   // the unfused stack's own names
   * ```
   */
  packWeights(args: WeightDict): WeightDict {
    const out = { ...checkWeights(`${this.constructor.name}.packWeights`, args) };
    const gates = this._gateNames;
    if (!gates.length) return out;
    for (const group of ['i2h', 'h2h']) {
      for (const kind of ['weight', 'bias']) {
        const parts = gates.map((g) => takeWeight(`${this.constructor.name}.packWeights`, out, `${this._prefix}${group}${g}_${kind}`));
        out[`${this._prefix}${group}_${kind}`] = parts.length === 1 ? parts[0]! : concatRows(parts);
      }
    }
    return out;
  }

  /** Zero states sized from a [N, C] step (the default of `unroll`). */
  protected _zeroStates(step: Symbol): Symbol[] {
    return this.stateInfo.map((info) => {
      this._initCounter += 1;
      return symOps.tile(symOps.zerosLike(symOps.sliceAxis(step, { axis: 1, begin: 0, end: 1 })), [1, info.shape[1]!]);
    });
  }

  /**
   * Unrolls the cell over `length` steps of `inputs` (a symbol with a time
   * axis, or a list of [N, C] symbols); gives `[outputs, finalStates]`.
   *
   * ```ts
   * const [outputs, states] = cell.unroll(10, embed, { mergeOutputs: true });   // outputs [N, 10, H]
   * ```
   */
  unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions & { mergeOutputs: true }): [Symbol, Symbol[]];
  unroll(length: number, inputs: Symbol | Symbol[], options?: SymUnrollOptions): [Symbol | Symbol[], Symbol[]];
  unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions = {}): [Symbol | Symbol[], Symbol[]] {
    const what = `${this.constructor.name}.unroll`;
    const axis = unrollArgs(what, length, options);
    this.reset();
    const steps = toSteps(what, length, inputs, axis);
    let states = options.beginState ?? this._zeroStates(steps[0]!);
    const outputs: Symbol[] = [];
    for (const x of steps) {
      const [o, s] = this.call(x, states);
      outputs.push(o);
      states = s;
    }
    return [mergeSteps(outputs, axis, options.mergeOutputs), states];
  }
}

/** The i2h/h2h cells: one implementation over gluon.rnn's `rnnStep`. */
abstract class GatedCell extends BaseRNNCell {
  readonly numHidden: number;
  private readonly _mode: RnnMode;
  private readonly _iW: Symbol;
  private readonly _iB: Symbol;
  private readonly _hW: Symbol;
  private readonly _hB: Symbol;

  constructor(mode: RnnMode, numHidden: number, prefix: string, params: RNNParams | null | undefined, i2hBiasInit?: Initializer) {
    super(prefix, params);
    if (!Number.isInteger(numHidden) || numHidden < 1) throw new Error(`${this.constructor.name}: numHidden must be a positive integer, got ${showValue(numHidden)}`);
    this.numHidden = numHidden;
    this._mode = mode;
    this._iW = this._params.get('i2h_weight');
    this._iB = this._params.get('i2h_bias', i2hBiasInit ? { init: i2hBiasInit } : {});
    this._hW = this._params.get('h2h_weight');
    this._hB = this._params.get('h2h_bias');
  }

  get stateInfo(): StateInfo[] {
    return Array.from({ length: NUM_STATES[this._mode] }, () => ({ shape: [0, this.numHidden], layout: 'NC' as const }));
  }

  protected override get _gateNames(): string[] {
    return GATE_NAMES[this._mode]!;
  }

  protected override get _gateRows(): number {
    return this.numHidden;
  }

  call(inputs: Symbol, states: Symbol[]): [Symbol, Symbol[]] {
    const what = `${this.constructor.name} '${this._prefix}'`;
    const n = NUM_STATES[this._mode];
    if (!isSymbol(inputs)) throw new Error(`${what}: the input must be a symbol (mx.rnn's cells are symbolic), got ${showValue(inputs)}`);
    if (!Array.isArray(states) || states.length !== n || !states.every(isSymbol)) throw new Error(`${what}: expects ${n} state symbol(s) (${n > 1 ? '[h, c]' : '[h]'}), got ${showValue(states)}`);
    this._counter += 1;
    const i2h = symOps.FullyConnected(inputs, this._iW, this._iB, { numHidden: GATES[this._mode] * this.numHidden });
    const next = rnnStep(symOps as never, this._mode, this.numHidden, i2h as Tensor, states as Tensor[], this._hW as Tensor, this._hB as Tensor) as unknown as Symbol[];
    return [next[0]!, next];
  }
}

/** Options of RNNCell (MXNet's keyword arguments). */
export interface SymRNNCellOptions {
  activation?: 'tanh' | 'relu';
  prefix?: string;
  params?: RNNParams | null;
}

const RNN_ARGS = ['numHidden', 'activation?', 'prefix?', 'params?'] as const;
const LSTM_ARGS = ['numHidden', 'prefix?', 'params?', 'forgetBias?'] as const;
const GRU_ARGS = ['numHidden', 'prefix?', 'params?'] as const;

/**
 * MXNet's `mx.rnn.RNNCell`: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
 *
 * ```ts
 * const cell = new rnn.RNNCell(8, { activation: 'relu', prefix: 'rnn_' });
 * ```
 */
export class RNNCell extends GatedCell {
  constructor(...args: OptionArgs<SymRNNCellOptions & { numHidden: number }, typeof RNN_ARGS>) {
    const o = bindOptions<SymRNNCellOptions & { numHidden: number }>('RNNCell', RNN_ARGS, args, []);
    const act = o.activation ?? 'tanh';
    if (act !== 'tanh' && act !== 'relu') throw new Error(`RNNCell: activation must be 'tanh' or 'relu', got ${showValue(act)}`);
    super(act === 'relu' ? 'rnn_relu' : 'rnn_tanh', o.numHidden, o.prefix ?? 'rnn_', o.params);
  }
}

/** Options of LSTMCell (MXNet's keyword arguments). */
export interface SymLSTMCellOptions {
  prefix?: string;
  params?: RNNParams | null;
  /** The forget gate's initial bias (MXNet's LSTMBias on `i2h_bias`, default 1.0). */
  forgetBias?: number;
}

/**
 * MXNet's `mx.rnn.LSTMCell` (gates i, f, c, o; states `[h, c]`); its
 * `i2h_bias` starts with `forgetBias` on the forget gate (init.LSTMBias).
 *
 * ```ts
 * const cell = new rnn.LSTMCell(200, { prefix: 'lstm_l0_' });   // lstm_l0_i2h_weight, ...
 * ```
 */
export class LSTMCell extends GatedCell {
  constructor(...args: OptionArgs<SymLSTMCellOptions & { numHidden: number }, typeof LSTM_ARGS>) {
    const o = bindOptions<SymLSTMCellOptions & { numHidden: number }>('LSTMCell', LSTM_ARGS, args, []);
    super('lstm', o.numHidden, o.prefix ?? 'lstm_', o.params, new LSTMBias(o.forgetBias ?? 1.0));
  }
}

/** Options of GRUCell (MXNet's keyword arguments). */
export interface SymGRUCellOptions {
  prefix?: string;
  params?: RNNParams | null;
}

/**
 * MXNet's `mx.rnn.GRUCell` (gates r, z, n; `h' = (1 - z) n + z h`).
 *
 * ```ts
 * const cell = new rnn.GRUCell(8, { prefix: 'gru_' });
 * ```
 */
export class GRUCell extends GatedCell {
  constructor(...args: OptionArgs<SymGRUCellOptions & { numHidden: number }, typeof GRU_ARGS>) {
    const o = bindOptions<SymGRUCellOptions & { numHidden: number }>('GRUCell', GRU_ARGS, args, []);
    super('gru', o.numHidden, o.prefix ?? 'gru_', o.params);
  }
}

/**
 * A cell made of other cells (SequentialRNNCell, mx.rnn's BidirectionalCell):
 * its parameters, states, state names and packed weights are its cells', in
 * order, and `reset` resets them too.
 */
export abstract class CompositeRNNCell extends BaseRNNCell {
  protected readonly _cells: BaseRNNCell[] = [];

  /** Takes `cell` as the next of this cell's cells (its parameters join this one's). */
  protected adopt(cell: BaseRNNCell): void {
    this._cells.push(cell);
    for (const [k, v] of cell.params._params) this._params._params.set(k, v);
  }

  get stateInfo(): StateInfo[] {
    return this._cells.flatMap((c) => c.stateInfo);
  }

  override reset(): void {
    super.reset();
    for (const c of this._cells) c.reset();
  }

  override beginState(options: BeginStateOptions = {}): Symbol[] {
    return this._cells.flatMap((c) => c.beginState(options));
  }

  override get stateNames(): string[] {
    return this._cells.flatMap((c) => c.stateNames);
  }

  override unpackWeights(args: WeightDict): WeightDict {
    return this._cells.reduce((a, c) => c.unpackWeights(a), args);
  }

  override packWeights(args: WeightDict): WeightDict {
    return this._cells.reduce((a, c) => c.packWeights(a), args);
  }
}

/**
 * MXNet's `mx.rnn.SequentialRNNCell`: cells stacked, each unrolled over the
 * previous one's outputs; the states are the cells' in order.
 *
 * ```ts
 * const stack = new rnn.SequentialRNNCell();
 * for (let i = 0; i < 2; i++) stack.add(new rnn.LSTMCell(200, { prefix: `lstm_l${i}_` }));
 * const [outputs] = stack.unroll(seqLen, embed, { mergeOutputs: true });
 * ```
 */
export class SequentialRNNCell extends CompositeRNNCell {

  constructor(params: RNNParams | null = null) {
    super('', params);
  }

  /** Appends a cell (its parameters join this one's). */
  add(cell: BaseRNNCell): this {
    if (!(cell instanceof BaseRNNCell)) throw new Error(`SequentialRNNCell.add: expects an rnn cell (rnn.LSTMCell, ...), got ${showValue(cell)}`);
    this.adopt(cell);
    return this;
  }

  /** The cells, in order. */
  get cells(): readonly BaseRNNCell[] {
    return this._cells;
  }

  call(inputs: Symbol, states: Symbol[]): [Symbol, Symbol[]] {
    this._counter += 1;
    const next: Symbol[] = [];
    let x = inputs;
    let p = 0;
    for (const cell of this._nonEmpty('call')) {
      const n = cell.stateInfo.length;
      const [o, s] = cell.call(x, states.slice(p, p + n));
      p += n;
      x = o;
      next.push(...s);
    }
    return [x, next];
  }

  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions & { mergeOutputs: true }): [Symbol, Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options?: SymUnrollOptions): [Symbol | Symbol[], Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions = {}): [Symbol | Symbol[], Symbol[]] {
    const what = 'SequentialRNNCell.unroll';
    unrollArgs(what, length, options);
    this.reset();
    const cells = this._nonEmpty('unroll');
    const begin = options.beginState;
    const total = this.stateInfo.length;
    if (begin !== undefined && (!Array.isArray(begin) || begin.length !== total)) throw new Error(`${what}: beginState must hold ${total} states (the cells' in order), got ${showValue(begin)}`);
    let x: Symbol | Symbol[] = inputs;
    const next: Symbol[] = [];
    let p = 0;
    cells.forEach((cell, i) => {
      const n = cell.stateInfo.length;
      const [o, s] = cell.unroll(length, x, {
        ...(begin ? { beginState: begin.slice(p, p + n) } : {}),
        layout: options.layout ?? 'NTC',
        mergeOutputs: i < cells.length - 1 ? null : options.mergeOutputs ?? null,
      });
      p += n;
      x = o;
      next.push(...s);
    });
    return [x, next];
  }

  private _nonEmpty(what: string): BaseRNNCell[] {
    if (!this._cells.length) throw new Error(`SequentialRNNCell.${what}: no cells; add some first (stack.add(new rnn.LSTMCell(...)))`);
    return this._cells;
  }
}
