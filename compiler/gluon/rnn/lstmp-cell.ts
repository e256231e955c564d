/**
 * MXNet's `LSTMPCell(hidden_size, projection_size)` (Gluon 2's gluon.rnn,
 * 1.x's gluon.contrib.rnn; Sak et al. 2014): an LSTM step whose recurrent
 * state is the hidden state projected to `projectionSize` features,
 * `r = W_hr h`. Parameters (MXNet's names and shapes): `i2h_weight`
 * [4H, C], `h2h_weight` [4H, P], `h2r_weight` [P, H], `i2h_bias`,
 * `h2h_bias` [4H]; gates i, f, g, o as LSTMCell's. States `[r, c]`:
 * [N, P] and [N, H]; the output is `r`.
 */
import type { DType } from '../../../runtime/dtypes.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { Zero, type Initializer } from '../init.js';
import { checkStepShapes, HybridRecurrentCell, type StateInfo } from './cell-base.js';
import { rnnStep } from './rnn-step.js';

/** Options of LSTMPCell (MXNet's, camelCase). */
export interface LSTMPCellOptions {
  i2hWeightInitializer?: Initializer;
  h2hWeightInitializer?: Initializer;
  h2rWeightInitializer?: Initializer;
  i2hBiasInitializer?: Initializer;
  h2hBiasInitializer?: Initializer;
  /** Input features; 0 (default) infers them at the first call. */
  inputSize?: number;
  dtype?: DType;
}

/** MXNet's positional parameters of LSTMPCell, in its order (`dtype` only by name). */
export const LSTMP_CELL_ARGS = ['hiddenSize', 'projectionSize', 'i2hWeightInitializer?', 'h2hWeightInitializer?', 'h2rWeightInitializer?', 'i2hBiasInitializer?', 'h2hBiasInitializer?', 'inputSize?'] as const;

type LSTMPAll = LSTMPCellOptions & { hiddenSize: number; projectionSize: number };

/**
 * The projected LSTM cell.
 *
 * ```ts
 * const cell = new rnn.LSTMPCell(16, 4); // hidden 16, output and recurrent state 4
 * cell.initialize();
 * const [out, [r, c]] = cell.call(nd.ones([2, 3]), cell.beginState(2)); // out [2, 4], c [2, 16]
 * ```
 */
export class LSTMPCell extends HybridRecurrentCell {
  readonly hiddenSize: number;
  readonly projectionSize: number;

  constructor(...args: OptionArgs<LSTMPAll, typeof LSTMP_CELL_ARGS>) {
    super();
    const name = new.target.name;
    const o = bindOptions<LSTMPAll>(name, LSTMP_CELL_ARGS, args, ['dtype']);
    for (const k of ['hiddenSize', 'projectionSize'] as const) {
      if (!Number.isInteger(o[k]) || o[k] <= 0) throw new Error(`${name}: ${k} must be a positive integer, got ${String(o[k])}`);
    }
    const inputSize = o.inputSize ?? 0;
    if (!Number.isInteger(inputSize) || inputSize < 0) throw new Error(`${name}: inputSize must be a non-negative integer, got ${inputSize}`);
    this.hiddenSize = o.hiddenSize;
    this.projectionSize = o.projectionSize;
    this._stateDType = o.dtype ?? 'float32';
    const [H, P] = [o.hiddenSize, o.projectionSize];
    const get = (n: string, shape: number[], init: Initializer | undefined): void =>
      void this.params.get(n, { shape, dtype: this._stateDType, init, allowDeferredInit: true });
    get('i2h_weight', [4 * H, inputSize], o.i2hWeightInitializer);
    get('h2h_weight', [4 * H, P], o.h2hWeightInitializer);
    get('h2r_weight', [P, H], o.h2rWeightInitializer);
    get('i2h_bias', [4 * H], o.i2hBiasInitializer ?? new Zero());
    get('h2h_bias', [4 * H], o.h2hBiasInitializer ?? new Zero());
  }

  /** MXNet's `_alias`: `lstmp`, so MXNet's export names the parameters `lstmp0_i2h_weight`, .... */
  override _alias(): string {
    return 'lstmp';
  }

  /** `[r, c]`: [N, projectionSize] and [N, hiddenSize]. */
  stateInfo(batchSize = 0): StateInfo[] {
    return [
      { shape: [batchSize, this.projectionSize], layout: 'NC' },
      { shape: [batchSize, this.hiddenSize], layout: 'NC' },
    ];
  }

  override hybridForward(F: F, x: Tensor, states: Tensor[], p: Record<string, Tensor>): [Tensor, Tensor[]] {
    const name = this._scopeName ? `${this.constructor.name} '${this._scopeName}'` : this.constructor.name;
    checkStepShapes(name, x, states, p, [this.projectionSize, this.hiddenSize], ['r', 'c']);
    const H = this.hiddenSize;
    const i2h = F.FullyConnected(x, p['i2h_weight']!, p['i2h_bias']!, { numHidden: 4 * H });
    // The LSTM step with r in h's place (h2h_weight is [4H, P]); then the projection.
    const [h, c] = rnnStep(F, 'lstm', H, i2h, states, p['h2h_weight']!, p['h2h_bias']!);
    const r = F.FullyConnected(h!, p['h2r_weight']!, { numHidden: this.projectionSize, noBias: true });
    return [r, [r, c!]];
  }
}
