/**
 * Single-step recurrent cells (MXNet's `RNNCell`, `LSTMCell`, `GRUCell`):
 * `cell.call(x, states)` advances one step and gives `[output, newStates]`;
 * `cell.unroll(length, inputs)` runs a whole sequence. Parameters:
 * `i2h_weight` [G*H, inputSize], `h2h_weight` [G*H, H], `i2h_bias`,
 * `h2h_bias` [G*H], with the gate order of the fused layers.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { optionKeys } from '../../../runtime/check-options.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { Zero, type Initializer } from '../init.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { GATES, NUM_STATES, rnnStep, type RnnMode } from './rnn-step.js';
import { checkStepShapes, HybridRecurrentCell, type StateInfo } from './cell-base.js';

/** Options of the cells (MXNet's, camelCase). */
export interface CellOptions {
  /** Input features; 0 (default) infers them at the first call. */
  inputSize?: number;
  i2hWeightInitializer?: Initializer;
  h2hWeightInitializer?: Initializer;
  i2hBiasInitializer?: Initializer;
  h2hBiasInitializer?: Initializer;
  dtype?: DType;
}

/**
 * The arguments of a recurrent cell: MXNet's positional parameters (`N`,
 * from `hiddenSize`) positionally or by name, then options.
 *
 * ```ts
 * const a: CellArgs<CellOptions> = [{ hiddenSize: 8, inputSize: 4 }];
 * ```
 */
export type CellArgs<O, N extends readonly string[] = typeof CELL_ARGS> = OptionArgs<O & { hiddenSize: number }, N>;

/** MXNet's positional parameters of the cells, in its order (RNNCell's `activation` is its second; `dtype` only by name). */
export const RNN_CELL_ARGS = ['hiddenSize', 'activation?', 'i2hWeightInitializer?', 'h2hWeightInitializer?', 'i2hBiasInitializer?', 'h2hBiasInitializer?', 'inputSize?'] as const;
export const CELL_ARGS = ['hiddenSize', 'i2hWeightInitializer?', 'h2hWeightInitializer?', 'i2hBiasInitializer?', 'h2hBiasInitializer?', 'inputSize?'] as const;

/** Binds a cell's arguments: hiddenSize and the options (`cls` names it in errors; an unknown option is an Error). */
function bindCell<O extends CellOptions>(cls: string, args: readonly unknown[], vanilla: boolean): [number, O] {
  const { hiddenSize, ...options } = bindOptions<RNNCellOptions & { hiddenSize: number }>(cls, vanilla ? RNN_CELL_ARGS : CELL_ARGS, args, ['dtype']);
  return [hiddenSize, options as O];
}

export type { UnrollOptions } from './cell-base.js';

/** The options a recurrent cell accepts (the vanilla RNNCell's add `activation`). */
export const CELL_OPTIONS = optionKeys<CellOptions>({
  inputSize: true, i2hWeightInitializer: true, h2hWeightInitializer: true, i2hBiasInitializer: true, h2hBiasInitializer: true, dtype: true,
});

/** The shared implementation of the cells. */
export abstract class RecurrentCell extends HybridRecurrentCell {
  readonly hiddenSize: number;
  protected readonly mode: RnnMode;
  private readonly _dtype: DType;

  constructor(mode: RnnMode, ...args: readonly unknown[]) {
    super();
    const name = this.constructor.name;
    const [hiddenSize, options] = bindCell<CellOptions>(name, args, mode.startsWith('rnn_'));
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) throw new Error(`${name}: hiddenSize must be a positive integer, got ${hiddenSize}`);
    const inputSize = options.inputSize ?? 0;
    if (!Number.isInteger(inputSize) || inputSize < 0) throw new Error(`${name}: inputSize must be a non-negative integer, got ${inputSize}`);
    this.mode = mode;
    this.hiddenSize = hiddenSize;
    this._dtype = options.dtype ?? 'float32';
    this._stateDType = this._dtype;
    const rows = GATES[mode] * hiddenSize;
    const get = (n: string, shape: number[], init: Initializer | undefined): void =>
      void this.params.get(n, { shape, dtype: this._dtype, init, allowDeferredInit: true });
    get('i2h_weight', [rows, inputSize], options.i2hWeightInitializer);
    get('h2h_weight', [rows, hiddenSize], options.h2hWeightInitializer);
    get('i2h_bias', [rows], options.i2hBiasInitializer ?? new Zero());
    get('h2h_bias', [rows], options.h2hBiasInitializer ?? new Zero());
  }

  /** MXNet's `_alias` of the cells (rnn_cell.py): `rnn`, `lstm`, `gru`, so MXNet's export names them `lstm0_i2h_weight`, `lstm0_begin_state_0`. */
  override _alias(): string {
    return this.mode.startsWith('rnn_') ? 'rnn' : this.mode;
  }

  /** The shapes of the states for a batch size: `[h]` or `[h, c]`, each [N, H]. */
  stateInfo(batchSize = 0): StateInfo[] {
    return Array.from({ length: NUM_STATES[this.mode] }, () => ({ shape: [batchSize, this.hiddenSize], layout: 'NC' as const }));
  }

  /** `call(x, states)` gives `[output, newStates]`. */
  protected override _run(inputs: unknown[]): unknown {
    const name = this.constructor.name;
    const n = NUM_STATES[this.mode];
    const [x, states] = inputs;
    if (inputs.length !== 2 || states === undefined || states === null) {
      throw new Error(`${name}: expects call(x, states) with ${n > 1 ? '[h, c]' : '[h]'} (see beginState(batchSize)), got ${inputs.length} argument(s)`);
    }
    const list = Array.isArray(states) ? states : [states];
    if (list.length !== n) throw new Error(`${name}: expects ${n} state${n > 1 ? 's' : ''} (${n > 1 ? '[h, c]' : '[h]'}), got ${list.length}`);
    const out = this._hybridRun([x, ...list]) as unknown[];
    return [out[0], out.slice(1)];
  }

  override hybridForward(F: F, x: Tensor, ...rest: unknown[]): Tensor[] {
    const p = rest.pop() as Record<string, Tensor>;
    const states = rest as Tensor[];
    const name = this._scopeName ? `${this.constructor.name} '${this._scopeName}'` : this.constructor.name;
    checkStepShapes(name, x, states, p, states.map(() => this.hiddenSize));
    const i2h = F.FullyConnected(x, p['i2h_weight']!, p['i2h_bias']!, { numHidden: GATES[this.mode] * this.hiddenSize });
    const next = rnnStep(F, this.mode, this.hiddenSize, i2h, states, p['h2h_weight']!, p['h2h_bias']!);
    return [next[0]!, ...next];
  }
}

/** Options of RNNCell. */
export interface RNNCellOptions extends CellOptions {
  /** 'tanh' (default, as MXNet's cell) or 'relu'. */
  activation?: 'relu' | 'tanh';
}

/**
 * One step of an Elman RNN: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
 *
 * ```ts
 * const cell = new rnn.RNNCell(8);
 * cell.initialize();
 * const [out, [h]] = cell.call(nd.ones([2, 3]), cell.beginState(2));
 * ```
 */
export class RNNCell extends RecurrentCell {
  constructor(...args: CellArgs<RNNCellOptions, typeof RNN_CELL_ARGS>) {
    const act = bindCell<RNNCellOptions>(new.target.name, args, true)[1].activation ?? 'tanh';
    if (act !== 'relu' && act !== 'tanh') throw new Error(`RNNCell: activation must be 'relu' or 'tanh', got '${String(act)}'`);
    super(act === 'relu' ? 'rnn_relu' : 'rnn_tanh', ...args);
  }
}

/**
 * One LSTM step (gates i, f, g, o); states `[h, c]`.
 *
 * ```ts
 * const cell = new rnn.LSTMCell(8); // or new rnn.LSTMCell({ hiddenSize: 8 })
 * cell.initialize();
 * const [out, [h, c]] = cell.call(nd.ones([2, 3]), cell.beginState(2));
 * ```
 */
export class LSTMCell extends RecurrentCell {
  constructor(...args: CellArgs<CellOptions>) {
    super('lstm', ...args);
  }
}

/**
 * One GRU step (gates r, z, n as in the fused GRU layer).
 *
 * ```ts
 * const cell = new rnn.GRUCell(8);
 * cell.initialize();
 * const [out, [h]] = cell.call(nd.ones([2, 3]), cell.beginState(2));
 * ```
 */
export class GRUCell extends RecurrentCell {
  constructor(...args: CellArgs<CellOptions>) {
    super('gru', ...args);
  }
}
