/**
 * The multi-layer recurrent layers `RNN`, `LSTM` and `GRU` (MXNet's fused
 * layers), as hybrid blocks: float32 layers run as ONNX's own recurrent
 * operators, one node per layer (rnn-fused.ts), so the sequence length may
 * stay symbolic in traced graphs and artifacts; float64 layers (and the
 * `unroll` option) unroll the time loop with the cell's operators
 * (rnn-unrolled.ts), which needs a concrete length.
 * Parameters keep MXNet's names and shapes per layer `k` and direction
 * (`l` forward, `r` reverse): `lk_i2h_weight` [G*H, in], `lk_h2h_weight`
 * [G*H, H], `lk_i2h_bias` [G*H], `lk_h2h_bias` [G*H]; layer 0's input size is
 * inferred at the first call unless `inputSize` is given.
 * States are `[h]` (or `[h, c]` for LSTM), each [numLayers * directions, N, H].
 */
import type { DType } from '../../../runtime/dtypes.js';
import { checkOptions, optionKeys } from '../../../runtime/check-options.js';
import { bindOptions, type KwArgs, type OptionArgs } from '../bind-args.js';
import { bindBeginState, zeroStates, type BatchSize } from './begin-state.js';
import { HybridBlock } from '../hybrid.js';
import { Zero, type Initializer } from '../init.js';
import type { NDArray } from '../../engine/ndarray.js';
import type { Parameter } from '../parameter.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { fusedForward } from './rnn-fused.js';
import { checkLengths, GATES, NUM_STATES, type RnnMode } from './rnn-step.js';
import { unrolledForward } from './rnn-unrolled.js';
import { plainShape } from '../../ops/symbolic-dim.js';
import { isSymbol } from '../../trace/symbol.js';
import { Value } from '../../ir/value.js';
import { recordRecurrentCall } from '../../formats/mxnet-rnn-export.js';

/** Options of the recurrent layers (MXNet's, camelCase). */
export interface RecurrentOptions {
  /** 'TNC' (default: time, batch, features) or 'NTC'. */
  layout?: 'TNC' | 'NTC';
  /** Dropout applied to the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Also run each layer backwards in time and concatenate both outputs (default false). */
  bidirectional?: boolean;
  /** Input features; 0 (default) infers them at the first call. */
  inputSize?: number;
  /** Take valid lengths [batch] as a third call argument; steps past them affect neither outputs (0 there) nor final states. */
  useSequenceLength?: boolean;
  /**
   * Unroll the time loop into the graph with the cell's operators instead of
   * one ONNX `RNN`/`LSTM`/`GRU` node per layer (default false; float64
   * layers are always unrolled, as onnxruntime's recurrent kernels take
   * float32 only). Unrolled graphs need a known sequence length.
   */
  unroll?: boolean;
  i2hWeightInitializer?: Initializer;
  h2hWeightInitializer?: Initializer;
  i2hBiasInitializer?: Initializer;
  h2hBiasInitializer?: Initializer;
  dtype?: DType;
}

/**
 * The arguments of a recurrent layer: MXNet's positional parameters (`N`,
 * from `hiddenSize` and `numLayers`, default 1) positionally or by name
 * (Gluon's `LSTM(64, layout='NTC')`), then options.
 *
 * ```ts
 * const a: RecurrentArgs<RecurrentOptions> = [64, { layout: 'NTC' }];
 * ```
 */
export type RecurrentArgs<O, N extends readonly string[] = typeof LSTM_ARGS> = OptionArgs<O & { hiddenSize: number; numLayers?: number }, N>;

/**
 * MXNet's positional parameters of the recurrent layers, in its order: the
 * vanilla RNN's `activation` is its third; LSTM and GRU take `inputSize`
 * before the initializers (`dtype`, `useSequenceLength` and `unroll` only by name).
 */
export const RNN_ARGS = ['hiddenSize', 'numLayers?', 'activation?', 'layout?', 'dropout?', 'bidirectional?', 'i2hWeightInitializer?', 'h2hWeightInitializer?', 'i2hBiasInitializer?', 'h2hBiasInitializer?', 'inputSize?'] as const;
export const LSTM_ARGS = ['hiddenSize', 'numLayers?', 'layout?', 'dropout?', 'bidirectional?', 'inputSize?', 'i2hWeightInitializer?', 'h2hWeightInitializer?', 'i2hBiasInitializer?', 'h2hBiasInitializer?'] as const;

/** The options a recurrent layer accepts (the vanilla RNN's add `activation`). */
export const RECURRENT_OPTIONS = optionKeys<RecurrentOptions>({
  layout: true, dropout: true, bidirectional: true, inputSize: true, useSequenceLength: true, unroll: true,
  i2hWeightInitializer: true, h2hWeightInitializer: true, i2hBiasInitializer: true, h2hBiasInitializer: true, dtype: true,
});

/** Binds a recurrent layer's arguments (`cls` names it in errors; an unknown option is an Error). */
function bindRecurrent<O extends RecurrentOptions>(cls: string, args: readonly unknown[], vanilla: boolean): [[number, number], O] {
  const list = vanilla ? RNN_ARGS : LSTM_ARGS;
  const known = RECURRENT_OPTIONS.filter((k) => !(list as readonly string[]).includes(`${k}?`));
  const { hiddenSize, numLayers = 1, ...options } = bindOptions<RNNOptions & { hiddenSize: number; numLayers?: number }>(cls, list, args, known);
  return [[hiddenSize, numLayers], options as O];
}

/** Options of the vanilla RNN layer. */
export interface RNNOptions extends RecurrentOptions {
  /** The nonlinearity: 'relu' (default) or 'tanh'. */
  activation?: 'relu' | 'tanh';
}

/** The shared implementation of RNN, LSTM and GRU. */
export abstract class RecurrentLayer extends HybridBlock {
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly layout: 'TNC' | 'NTC';
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly useSequenceLength: boolean;
  /** True when the time loop is unrolled into the graph (the `unroll` option). */
  readonly unrolled: boolean;
  protected readonly mode: RnnMode;
  private readonly _dtype: DType;

  constructor(mode: RnnMode, ...args: readonly unknown[]) {
    super();
    const name = this.constructor.name;
    const [[hiddenSize, numLayers], options] = bindRecurrent<RecurrentOptions>(name, args, mode.startsWith('rnn_'));
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) throw new Error(`${name}: hiddenSize must be a positive integer, got ${hiddenSize}`);
    if (!Number.isInteger(numLayers) || numLayers <= 0) throw new Error(`${name}: numLayers must be a positive integer, got ${numLayers}`);
    const layout = options.layout ?? 'TNC';
    if (layout !== 'TNC' && layout !== 'NTC') throw new Error(`${name}: invalid layout '${String(layout)}'; must be one of 'TNC' or 'NTC'`);
    const dropout = options.dropout ?? 0;
    if (!(dropout >= 0 && dropout < 1)) throw new Error(`${name}: dropout must be in [0, 1), got ${dropout}`);
    const inputSize = options.inputSize ?? 0;
    if (!Number.isInteger(inputSize) || inputSize < 0) throw new Error(`${name}: inputSize must be a non-negative integer, got ${inputSize}`);
    this.mode = mode;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.layout = layout;
    this.dropout = dropout;
    this.bidirectional = options.bidirectional ?? false;
    this.useSequenceLength = options.useSequenceLength ?? false;
    this.unrolled = options.unroll ?? false;
    this._dtype = options.dtype ?? 'float32';
    const rows = GATES[mode] * hiddenSize;
    const dirs = this.bidirectional ? ['l', 'r'] : ['l'];
    for (let k = 0; k < numLayers; k++) {
      const inUnits = k === 0 ? inputSize : hiddenSize * dirs.length;
      for (const d of dirs) {
        const get = (n: string, shape: number[], init: Initializer | undefined): Parameter =>
          this.params.get(`${d}${k}_${n}`, { shape, dtype: this._dtype, init, allowDeferredInit: true });
        get('i2h_weight', [rows, inUnits], options.i2hWeightInitializer);
        get('h2h_weight', [rows, hiddenSize], options.h2hWeightInitializer);
        get('i2h_bias', [rows], options.i2hBiasInitializer ?? new Zero());
        get('h2h_bias', [rows], options.h2hBiasInitializer ?? new Zero());
      }
    }
  }

  /** The number of directions (2 when bidirectional). */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The shapes of the states for a batch size: `[h]` or `[h, c]`, each [numLayers * directions, N, H]. */
  stateInfo(batchSize = 0): { shape: number[]; layout: 'LNC' }[] {
    const shape = [this.numLayers * this.directions, batchSize, this.hiddenSize];
    return Array.from({ length: NUM_STATES[this.mode] }, () => ({ shape: [...shape], layout: 'LNC' as const }));
  }

  /**
   * Zero initial states for a batch size (MXNet's `begin_state`). While
   * exporting, `beginState(x.shape[1])` with a symbolic batch gives zeros
   * whose batch is read from `x` when the artifact runs (any batch).
   *
   * ```ts
   * const lstm = new rnn.LSTM(20, 2);
   * const [h0, c0] = lstm.beginState(4); // each [2, 4, 20]
   * ```
   */
  beginState(...args: KwArgs<['batchSize?'], [batchSize?: BatchSize], { dtype?: DType }>): NDArray[] {
    const [batchSize, options] = bindBeginState(this.constructor.name, args);
    const shape = [this.numLayers * this.directions, batchSize, this.hiddenSize];
    // MXNet names them '<prefix>h0_<i>', layout 'LNC' (rnn_layer.py, begin_state and state_info).
    return zeroStates(Array.from({ length: NUM_STATES[this.mode] }, () => shape), options.dtype ?? this._dtype, { block: this, base: 'h0_', layout: 'LNC' });
  }

  /**
   * `call(x)` gives the output; `call(x, states)` gives `[output, newStates]`;
   * with `useSequenceLength`, `call(x, states | null, sequenceLength)` (MXNet's
   * `forward(inputs, states, sequence_length)`).
   */
  protected override _run(inputs: unknown[]): unknown {
    const name = this.constructor.name;
    const max = this.useSequenceLength ? 3 : 2;
    if (inputs.length === 0 || inputs.length > max) {
      const how = this.useSequenceLength ? 'call(x, states | null, sequenceLength)' : 'call(x) or call(x, states) (sequence lengths need the useSequenceLength option)';
      throw new Error(`${name}: expects ${how}, got ${inputs.length} arguments`);
    }
    const [x, states, lens] = inputs;
    this._inferInputSize(x);
    const tail: unknown[] = [];
    if (this.useSequenceLength) {
      if (lens === undefined || lens === null) throw new Error(`${name}: useSequenceLength is set, so call(x, states | null, sequenceLength) needs the lengths [batch]`);
      checkLengths(name, lens, (x as { shape?: unknown[] } | null)?.shape?.[this.layout === 'TNC' ? 0 : 1], 0);
      tail.push(lens);
    }
    if (states === undefined || states === null) return super._run([x, ...tail]);
    const list = Array.isArray(states) ? states : [states];
    const n = NUM_STATES[this.mode];
    if (list.length !== n) throw new Error(`${name}: expects ${n} state${n > 1 ? 's' : ''} (${n > 1 ? '[h, c]' : '[h]'}), got ${list.length}`);
    const out = super._run([x, ...list, ...tail]) as unknown[];
    return [out[0], out.slice(1)];
  }

  /**
   * Fixes layer 0's input size from the input's last axis when it is still
   * unknown (as MXNet's `infer_shape`): the fused operators take the weights
   * reordered, so no operator sees the raw parameter to solve it.
   */
  private _inferInputSize(x: unknown): void {
    const shape = (x as { shape?: unknown[] } | null)?.shape;
    const w = this.params.get('l0_i2h_weight');
    if (!w.shape.includes(0) || !Array.isArray(shape) || shape.length !== 3 || typeof shape[2] !== 'number' || shape[2] <= 0) return;
    for (const d of this.bidirectional ? ['l', 'r'] : ['l']) {
      const p = this.params.get(`${d}0_i2h_weight`);
      p.finishDeferredInit([p.shape[0]!, shape[2]]);
    }
  }

  /**
   * `export`'s default symbolic dimensions: the input's batch `'N'` and time
   * `'T'` (by the layout), the states' batch (axis 1) and the lengths'.
   *
   * ```ts
   * new rnn.LSTM(8).exportDims(3); // [{ 0: 'T', 1: 'N' }, { 1: 'N' }, { 1: 'N' }]
   * ```
   */
  exportDims(count: number): Record<number, string>[] {
    const tnc = this.layout === 'TNC';
    const lens = this.useSequenceLength ? 1 : 0;
    return Array.from({ length: count }, (_v, i): Record<number, string> => (i === 0 ? { [tnc ? 0 : 1]: 'T', [tnc ? 1 : 0]: 'N' } : lens && i === count - 1 ? { 0: 'N' } : { 1: 'N' }));
  }

  override hybridForward(F: F, x: Tensor, ...rest: unknown[]): Tensor | Tensor[] {
    const p = rest.pop() as Record<string, Tensor>;
    const lens = this.useSequenceLength ? (rest.pop() as Tensor) : undefined;
    const given = rest as Tensor[];
    const name = this._scopeName ? `${this.constructor.name} '${this._scopeName}'` : this.constructor.name;
    const xs = plainShape(x.shape);
    if (xs.length !== 3) throw new Error(`${name}: expects input of rank 3 (${this.layout}), got shape [${xs.join(', ')}]`);
    const inUnits = p['l0_i2h_weight']!.shape[1];
    if (typeof xs[2] === 'number' && typeof inUnits === 'number' && inUnits > 0 && xs[2] !== inUnits) {
      throw new Error(`${name}: the input has ${xs[2]} features (last axis of [${xs.join(', ')}]) but the layer takes ${inUnits} (l0_i2h_weight is [${p['l0_i2h_weight']!.shape.join(', ')}])`);
    }
    const tAxis = this.layout === 'TNC' ? 0 : 1;
    const steps = xs[tAxis]!;
    const batch = xs[1 - tAxis]!;
    const H = this.hiddenSize;
    const L = this.numLayers;
    const D = this.directions;
    const expect = [L * D, batch, H];
    given.forEach((st, i) => {
      const s = plainShape(st.shape);
      if (s.length !== 3 || !s.every((d, j) => d === expect[j] || typeof d === 'string' || typeof expect[j] === 'string')) {
        throw new Error(`${name}: state ${i} must have shape [${expect.join(', ')}] ([layers * directions, batch, hidden]) for input [${xs.join(', ')}], got [${s.join(', ')}]`);
      }
    });
    const ls = lens && plainShape(lens.shape);
    if (ls && (ls.length !== 1 || !(ls[0] === batch || typeof ls[0] === 'string' || typeof batch === 'string'))) {
      throw new Error(`${name}: sequenceLength must have shape [${batch}] (one length per batch entry) for input [${xs.join(', ')}], got [${ls.join(', ')}]`);
    }
    if (x.dtype === 'float32' && !this.unrolled) {
      const plan = { mode: this.mode, hidden: H, layers: L, directions: D, layout: this.layout, dropout: this.dropout };
      const out = fusedForward(F, plan, x, given, lens, p);
      if (isSymbol(x)) {
        // Traced: what MXNet's export writes as its RNN operator (formats/mxnet-rnn-export.ts).
        // A state or length given as an array (beginState of a batch fixed in the trace) is a constant of the call.
        const v = (t: Tensor) => (isSymbol(t) ? t.value : Value.constant((t as NDArray)._host));
        recordRecurrentCall({
          block: this, mode: this.mode, stateSize: H, numLayers: L, bidirectional: this.bidirectional, p: this.dropout, layout: this.layout,
          data: v(x), states: given.map(v), lens: lens && v(lens), params: Object.fromEntries(Object.entries(p).map(([k, t]) => [k, v(t)])), outputs: out.map(v),
        });
      }
      return given.length ? out : out[0]!;
    }
    if (typeof steps !== 'number') {
      const why = this.unrolled ? 'the layer is unrolled (unroll: true)' : `ONNX's recurrent operators take float32 only, so ${x.dtype} layers are unrolled`;
      throw new Error(`${name}: a ${x.dtype} input needs a known sequence length when tracing (${why}), got shape [${xs.join(', ')}]`);
    }
    return unrolledForward(F, { mode: this.mode, hidden: H, layers: L, directions: D, layout: this.layout, dropout: this.dropout }, x, given, lens, p);
  }

  override toString(): string {
    const inUnits = this.params.get('l0_i2h_weight').shape[1] || 'None';
    const extra: string[] = [this.layout];
    if (this.numLayers !== 1) extra.push(`num_layers=${this.numLayers}`);
    if (this.dropout) extra.push(`dropout=${this.dropout}`);
    if (this.bidirectional) extra.push('bidirectional');
    return `${this.constructor.name}(${inUnits} -> ${this.hiddenSize}, ${extra.join(', ')})`;
  }
}

/**
 * A multi-layer Elman RNN: `h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)`.
 *
 * ```ts
 * const layer = new rnn.RNN(100, 3, { activation: 'tanh' });
 * layer.initialize();
 * const out = layer.call(nd.random.uniform(-1, 1, [5, 3, 10])); // [5, 3, 100] (TNC)
 * const [out2, [hn]] = layer.call(x, layer.beginState(3));
 * ```
 */
export class RNN extends RecurrentLayer {
  constructor(...args: RecurrentArgs<RNNOptions, typeof RNN_ARGS>) {
    const act = bindRecurrent<RNNOptions>(new.target.name, args, true)[1].activation ?? 'relu';
    if (act !== 'relu' && act !== 'tanh') throw new Error(`RNN: activation must be 'relu' or 'tanh', got '${String(act)}'`);
    super(act === 'relu' ? 'rnn_relu' : 'rnn_tanh', ...args);
  }
}

/**
 * A multi-layer LSTM (gates i, f, g, o in MXNet's order); states `[h, c]`.
 *
 * ```ts
 * const layer = new rnn.LSTM(100, 2, { layout: 'NTC', bidirectional: true });
 * layer.initialize();
 * const [out, [h, c]] = layer.call(x, layer.beginState(batch)); // out [N, T, 200]
 * new rnn.LSTM(100, { numLayers: 2, layout: 'NTC' }); // Gluon's LSTM(100, num_layers=2, layout='NTC')
 * ```
 */
export class LSTM extends RecurrentLayer {
  constructor(...args: RecurrentArgs<RecurrentOptions>) {
    super('lstm', ...args);
  }
}

/**
 * A multi-layer GRU (gates r, z, n; `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`).
 *
 * ```ts
 * const layer = new rnn.GRU(100, 1);
 * layer.initialize();
 * const out = layer.call(nd.random.uniform(-1, 1, [5, 3, 10])); // [5, 3, 100]
 * ```
 */
export class GRU extends RecurrentLayer {
  constructor(...args: RecurrentArgs<RecurrentOptions>) {
    super('gru', ...args);
  }
}
