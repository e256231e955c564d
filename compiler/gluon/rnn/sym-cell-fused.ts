/**
 * MXNet 1.x's legacy `mx.rnn.FusedRNNCell` (python/mxnet/rnn/rnn_cell.py):
 * every layer and direction of an RNN/LSTM/GRU over one flat variable
 * `<prefix>parameters` (MXNet's RNN operator's layout: every weight, then
 * every bias; layer by layer, `l` then `r`, i2h then h2h), unrolled at
 * once. gluonc runs it as its fused layers run (`fusedForward`: one ONNX
 * recurrent node per layer); the vector's length comes from the data's
 * feature count when the graph is bound (the `fusedRNNParams` operator's
 * solve rule, MXNet's infer_shape), so a `symGen` that does not know the
 * input size builds it. `unpackWeights` / `packWeights` move between the
 * vector and MXNet's per-gate matrices (`lstm_l0_i2h_i_weight`, ...), and
 * `unfuse()` gives the equivalent stack of LSTMCell/GRUCell/RNNCell.
 * Invariants: the cell cannot be stepped (`call` is an Error, as MXNet);
 * errors name the cell and what was wrong.
 */
import { isSymbol, type Symbol } from '../../trace/symbol.js';
import { symOps } from '../../trace/sym.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { NDArray } from '../../engine/ndarray.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { fusedCellLayout, GATE_NAMES } from '../../formats/mxnet-rnn-param.js';
import { recordRecurrentCall } from '../../formats/mxnet-rnn-export.js';
import { FusedRNN, type Initializer } from '../init.js';
import { showValue } from '../show-value.js';
import { cutFusedParams, fusedForward, fusedZeroStates } from './rnn-fused.js';
import { GATES, NUM_STATES, type RnnMode } from './rnn-step.js';
import { BaseRNNCell, checkWeights, GRUCell, LSTMCell, normalizeSequence, RNNCell, RNNParams, SequentialRNNCell, takeWeight, toSteps, unrollArgs, type StateInfo, type SymUnrollOptions, type WeightDict } from './sym-cell.js';
import { BidirectionalCell, DropoutCell } from './sym-cell-modifiers.js';

/** FusedRNNCell's options (MXNet's keyword arguments, camelCased). */
export interface FusedRNNCellOptions {
  numLayers?: number;
  mode?: RnnMode;
  bidirectional?: boolean;
  /** Dropout between layers (MXNet's `p`), active while training. */
  dropout?: number;
  /** Return the final states from `unroll` (MXNet's `get_next_state`; default false: none). */
  getNextState?: boolean;
  /** The LSTM forget gates' initial bias (init.FusedRNN). */
  forgetBias?: number;
  /** The matrices' initializer (default null: Module.initParams' global one). */
  initializer?: Initializer | null;
  /** Default `<mode>_`. */
  prefix?: string;
  params?: RNNParams | null;
}

const KEYS = ['numLayers', 'mode', 'bidirectional', 'dropout', 'getNextState', 'forgetBias', 'initializer', 'prefix', 'params'] as const;

/**
 * MXNet's `mx.rnn.FusedRNNCell(numHidden, { numLayers, mode, bidirectional,
 * dropout, getNextState, forgetBias, prefix })`.
 *
 * ```ts
 * const cell = new rnn.FusedRNNCell(200, { numLayers: 2, mode: 'lstm', prefix: 'lstm_' });
 * const [outputs] = cell.unroll(seqLen, embed, { mergeOutputs: true });   // reads lstm_parameters
 * ```
 */
export class FusedRNNCell extends BaseRNNCell {
  readonly numHidden: number;
  readonly numLayers: number;
  readonly mode: RnnMode;
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly getNextState: boolean;
  readonly forgetBias: number;
  private readonly _parameter: Symbol;

  constructor(numHidden: number, options: FusedRNNCellOptions = {}) {
    checkOptions('FusedRNNCell', options, KEYS);
    const mode = options.mode ?? 'lstm';
    if (!(mode in GATES)) throw new Error(`FusedRNNCell: mode must be one of ${Object.keys(GATES).map((m) => `'${m}'`).join(', ')}, got ${showValue(mode)}`);
    super(options.prefix ?? `${mode}_`, options.params);
    if (!Number.isInteger(numHidden) || numHidden < 1) throw new Error(`FusedRNNCell: numHidden must be a positive integer, got ${showValue(numHidden)}`);
    const numLayers = options.numLayers ?? 1;
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new Error(`FusedRNNCell: numLayers must be a positive integer, got ${showValue(numLayers)}`);
    const dropout = options.dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new Error(`FusedRNNCell: dropout must be a number in [0, 1), got ${showValue(dropout)}`);
    for (const k of ['bidirectional', 'getNextState'] as const) {
      if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new Error(`FusedRNNCell: ${k} must be a boolean, got ${showValue(options[k])}`);
    }
    this.numHidden = numHidden;
    this.numLayers = numLayers;
    this.mode = mode;
    this.bidirectional = options.bidirectional ?? false;
    this.dropout = dropout;
    this.getNextState = options.getNextState ?? false;
    this.forgetBias = options.forgetBias ?? 1.0;
    const init = new FusedRNN(options.initializer ?? null, numHidden, numLayers, mode, this.bidirectional, this.forgetBias);
    this._parameter = this._params.get('parameters', { init });
  }

  get stateInfo(): StateInfo[] {
    const b = this.bidirectional ? 2 : 1;
    return Array.from({ length: NUM_STATES[this.mode] }, () => ({ shape: [b * this.numLayers, 0, this.numHidden], layout: 'LNC' as const }));
  }

  protected override get _gateNames(): string[] {
    return GATE_NAMES[this.mode]!;
  }

  call(_inputs?: Symbol, _states?: Symbol[]): [Symbol, Symbol[]] {
    throw new Error('FusedRNNCell cannot be stepped. Please use unroll (or unfuse() for a cell that steps)');
  }

  /**
   * Unrolls every layer over `length` steps: `[outputs, states]`, the states
   * the final ones ([L*D, N, H] each) with `getNextState`, else `[]`.
   * `mergeOutputs` false gives a list of steps; otherwise one symbol.
   */
  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions & { mergeOutputs: true }): [Symbol, Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options?: SymUnrollOptions): [Symbol | Symbol[], Symbol[]];
  override unroll(length: number, inputs: Symbol | Symbol[], options: SymUnrollOptions = {}): [Symbol | Symbol[], Symbol[]] {
    const what = `FusedRNNCell '${this._prefix}'.unroll`;
    const axis = unrollArgs(what, length, options);
    this.reset();
    if (!Array.isArray(inputs) && !isSymbol(inputs)) throw new Error(`${what}: inputs must be a symbol or a list of symbols (mx.rnn's cells are symbolic; gluon.rnn's layers take NDArrays), got ${showValue(inputs)}`);
    const x = normalizeSequence(what, length, inputs, axis, true) as Symbol;
    const data = axis === 1 ? symOps.transpose(x, { axes: [1, 0, 2] }) : x;
    const [H, L, D] = [this.numHidden, this.numLayers, this.bidirectional ? 2 : 1];
    const n = NUM_STATES[this.mode];
    let states = options.beginState;
    if (states !== undefined && (!Array.isArray(states) || states.length !== n || !states.every(isSymbol))) throw new Error(`${what}: beginState must hold ${n} state(s) of shape [${L * D}, N, ${H}], got ${showValue(states)}`);
    // Zeros [L*D, N, H] from the data [T, N, I] (static operators only, so an unshaped input works).
    const F = symOps as unknown as F;
    if (!states) this._initCounter += n;
    states ??= fusedZeroStates(F, this.mode, data as unknown as Tensor, L * D, H) as unknown as Symbol[];
    const flat = symOps.fusedRNNParams(data, this._parameter, { mode: this.mode, stateSize: H, numLayers: L, bidirectional: D === 2 });
    const params = cutFusedParams(F, flat as unknown as Tensor, this.mode, H, L, D);
    const out = fusedForward(F, { mode: this.mode, hidden: H, layers: L, directions: D, layout: 'TNC', dropout: this.dropout }, data as unknown as Tensor, states as unknown as Tensor[], undefined, params) as unknown as Symbol[];
    // MXNet's writer (saveCheckpoint) writes the call as MXNet's one RNN node `<prefix>rnn` over `<prefix>parameters`.
    recordRecurrentCall({
      block: this, prefix: this._prefix, mode: this.mode, stateSize: H, numLayers: L, bidirectional: D === 2, p: this.dropout, layout: 'TNC',
      data: data.value, states: options.beginState ? states.map((s) => s.value) : [], params: {}, flat: this._parameter.value, outputs: out.map((o) => o.value),
    });
    const y = axis === 1 ? symOps.transpose(out[0]!, { axes: [1, 0, 2] }) : out[0]!;
    const outputs = options.mergeOutputs === false ? toSteps(what, length, y, axis) : y;
    return [outputs, this.getNextState ? out.slice(1) : []];
  }

  /** The per-gate pieces for a first layer of `input` features. */
  private _layout(input: number) {
    return fusedCellLayout(this._prefix, this.mode, this.numHidden, this.numLayers, this.bidirectional, input);
  }

  /**
   * MXNet's `unpack_weights`: `<prefix>parameters` replaced by the per-gate
   * matrices `<prefix>l0_i2h_i_weight`, ... (the input size read from the
   * vector's length).
   */
  override unpackWeights(args: WeightDict): WeightDict {
    const what = `FusedRNNCell '${this._prefix}'.unpackWeights`;
    const out = { ...checkWeights(what, args) };
    const name = `${this._prefix}parameters`;
    const arr = takeWeight(what, out, name);
    const [d, g, h, l] = [this.bidirectional ? 2 : 1, GATE_NAMES[this.mode]!.length, this.numHidden, this.numLayers];
    const n = arr.size;
    const input = n / d / h / g - (l - 1) * (h + d * h + 2) - h - 2;
    if (arr.shape.length !== 1 || !Number.isInteger(input) || input < 1 || this._layout(input).total !== n) {
      throw new Error(`${what}: '${name}' of shape [${arr.shape.join(', ')}] is not the flat vector of this cell (${this.mode}, ${l} layer(s), ${d} direction(s), ${h} hidden units: ${d * g * h} * (I + ${h + 2}) + ${l - 1} * ${d * g * h * (d * h + h + 2)} values for I input features)`);
    }
    const host = arr._host;
    for (const p of this._layout(input).pieces) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      out[p.name] = new NDArray({ dtype: host.dtype, shape: p.shape, data: host.data.slice(p.offset, p.offset + size) } as typeof host);
    }
    return out;
  }

  /** MXNet's `pack_weights`: the per-gate matrices back into `<prefix>parameters` (the input size from `<prefix>l0_i2h<gate>_weight`). */
  override packWeights(args: WeightDict): WeightDict {
    const what = `FusedRNNCell '${this._prefix}'.packWeights`;
    const out = { ...checkWeights(what, args) };
    const w0name = `${this._prefix}l0_i2h${GATE_NAMES[this.mode]![0]}_weight`;
    const w0 = out[w0name];
    if (!w0) throw new Error(`${what}: '${w0name}' is missing from args (it has ${Object.keys(out).join(', ') || 'nothing'})`);
    if (w0.shape.length !== 2) throw new Error(`${what}: '${w0name}' must be [${this.numHidden}, I], got [${w0.shape.join(', ')}]`);
    const { pieces, total } = this._layout(w0.shape[1]!);
    const data = new Float64Array(total);
    for (const p of pieces) {
      const w = takeWeight(what, out, p.name);
      if (w.shape.join() !== p.shape.join()) throw new Error(`${what}: '${p.name}' has shape [${w.shape.join(', ')}], the cell needs [${p.shape.join(', ')}]`);
      data.set(Array.from(w.data() as ArrayLike<number>), p.offset);
    }
    out[`${this._prefix}parameters`] = new NDArray(tensorFromNumbers(w0.dtype, [total], data));
    return out;
  }

  /**
   * MXNet's `unfuse()`: the same network as a SequentialRNNCell of
   * LSTMCell/GRUCell/RNNCell named `<prefix>l<k>_` (BidirectionalCell of
   * `l<k>_` and `r<k>_` when bidirectional; DropoutCell between layers when
   * `dropout`); `unfused.packWeights(fused.unpackWeights(args))` gives it
   * this cell's weights.
   *
   * ```ts
   * const stack = new rnn.FusedRNNCell(8, { numLayers: 2, prefix: 'lstm_' }).unfuse();
   * ```
   */
  unfuse(): SequentialRNNCell {
    const make = (prefix: string): BaseRNNCell =>
      this.mode === 'lstm' ? new LSTMCell(this.numHidden, { prefix }) : this.mode === 'gru' ? new GRUCell(this.numHidden, { prefix }) : new RNNCell(this.numHidden, { activation: this.mode === 'rnn_relu' ? 'relu' : 'tanh', prefix });
    const stack = new SequentialRNNCell();
    for (let i = 0; i < this.numLayers; i++) {
      const p = this._prefix;
      stack.add(this.bidirectional ? new BidirectionalCell(make(`${p}l${i}_`), make(`${p}r${i}_`)) : make(`${p}l${i}_`));
      if (this.dropout > 0 && i !== this.numLayers - 1) stack.add(new DropoutCell(this.dropout, { prefix: `${p}_dropout${i}_` }));
    }
    return stack;
  }
}
