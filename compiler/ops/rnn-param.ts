/**
 * `fusedRNNParams(data, parameters, { mode, stateSize, numLayers,
 * bidirectional })`: MXNet's fused `RNN` operator's flat parameter vector,
 * checked against the data it is used with, and passed through unchanged.
 * Its solve rule is MXNet's RNN shape inference for the `parameters`
 * argument (src/operator/rnn-inl.h, `GetRnnParamSize`): a variable declared
 * without a shape (legacy `mx.rnn.FusedRNNCell`'s `<prefix>parameters`) gets
 * the length the data's feature count I (the last axis) asks for:
 * `D * G * H * (I + H + 2) + (L - 1) * D * G * H * (D * H + H + 2)` with
 * G the gates (LSTM 4, GRU 3, RNN 1), H `stateSize`, L `numLayers`, D 2 when
 * bidirectional. The layout of the vector (every weight, then every bias)
 * is formats/mxnet-rnn-param.ts's; the cell cuts it.
 * Invariants: the data is [.., .., I] with a concrete I; a vector of another
 * length is an OpError giving the length asked for; the gradient passes to
 * the parameters (the data is read for its shape only).
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type Tx } from './define.js';
import { OpError } from './errors.js';

/** The fused operator's modes and their gate counts (MXNet's `mode`). */
export const FUSED_GATES: Record<string, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

/** Options of `fusedRNNParams` (MXNet's RNN attributes that size the vector). */
export interface FusedRNNParamsOptions {
  mode: 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';
  stateSize: number;
  numLayers?: number;
  bidirectional?: boolean;
}

type A = Attrs & { mode: string; stateSize: number; numLayers: number; bidirectional: boolean };

/**
 * The length of the flat vector (MXNet's `GetRnnParamSize`, without projection).
 * Example: `fusedRNNParamSize('lstm', 8, 1, false, 5)` is 4 * 8 * (5 + 8 + 2) = 480.
 */
export function fusedRNNParamSize(mode: string, hidden: number, layers: number, bidirectional: boolean, input: number): number {
  const g = FUSED_GATES[mode]!;
  const d = bidirectional ? 2 : 1;
  return d * g * hidden * (input + hidden + 2) + (layers - 1) * d * g * hidden * (d * hidden + hidden + 2);
}

function plan(types: TensorType[], a: A): number {
  const op = 'fusedRNNParams';
  if (!(a.mode in FUSED_GATES)) throw new OpError(op, `mode must be one of ${Object.keys(FUSED_GATES).join(', ')}, got ${JSON.stringify(a.mode)}`, types);
  for (const k of ['stateSize', 'numLayers'] as const) {
    if (!Number.isInteger(a[k]) || a[k] < 1) throw new OpError(op, `${k} must be a positive integer, got ${JSON.stringify(a[k])}`, types);
  }
  if (typeof a.bidirectional !== 'boolean') throw new OpError(op, `bidirectional must be a boolean, got ${JSON.stringify(a.bidirectional)}`, types);
  const [x] = types;
  const input = x!.shape[x!.shape.length - 1];
  if (x!.shape.length !== 3 || typeof input !== 'number' || input < 1) throw new OpError(op, `data must be [T, N, I] or [N, T, I] with a known feature count I, got [${x!.shape.join(', ')}]`, types);
  return fusedRNNParamSize(a.mode, a.stateSize, a.numLayers, a.bidirectional, input);
}

/**
 * Passes the fused RNN's flat `parameters` through, checked against `data`
 * (and sized from it when the variable has no shape yet).
 *
 * ```ts
 * const w = F.fusedRNNParams(x, sym.var('lstm_parameters'), { mode: 'lstm', stateSize: 8 }); // [480] for x [T, N, 5]
 * ```
 */
export const fusedRNNParams = defineOp<(data: Tx, parameters: Tx, options: FusedRNNParamsOptions) => Tx, A>({
  name: 'fusedRNNParams',
  inputs: ['data', 'parameters'],
  attrs: { mode: null, stateSize: null, numLayers: 1, bidirectional: false },
  infer: (types, a) => {
    const n = plan(types, a);
    const p = types[1]!;
    if (p.shape.length !== 1 || (typeof p.shape[0] === 'number' && p.shape[0] !== n)) {
      const [m, h, l, d] = [a.mode, a.stateSize, a.numLayers, a.bidirectional ? 2 : 1];
      throw new OpError('fusedRNNParams', `the parameters must be a vector of ${n} values (mode ${m}, ${l} layer(s), ${d} direction(s), state_size ${h}, ${types[0]!.shape[2]} input features), got shape [${p.shape.join(', ')}]`, types);
    }
    return [{ dtype: p.dtype, shape: [n] }];
  },
  solve: (types, a) => [undefined, [plan(types, a)]],
  lower: (c) => void c.emit('Identity', [c.inputs[1]!], {}, c.outputs),
  kernel: ([, p]) => [{ dtype: p!.dtype, shape: [...p!.shape], data: p!.data.slice() } as HostTensor],
  grad: (_F, _ctx, [g]) => [null, g ?? null],
});

/** The fused RNN's parameter operator, by F name. */
export const RNN_PARAM_OPS = { fusedRNNParams } as const;
