/**
 * One time step of the recurrent cells, written against `F` and shared by the
 * fused layers (RNN, LSTM, GRU) and the cells. Gate order and formulas are
 * MXNet's (and cuDNN's): LSTM gates i, f, c (g), o; GRU gates r, z, n with
 * `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`.
 */
import { isNDArray } from '../../engine/ndarray.js';
import type { F, Tensor } from '../../engine/tensor.js';

/** The recurrent cell kinds, as MXNet's fused RNN operator names them. */
export type RnnMode = 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';

/** Gates per mode: the i2h/h2h weights have `gates * hiddenSize` rows. */
export const GATES: Record<RnnMode, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

/** States per mode: `[h]`, or `[h, c]` for LSTM. */
export const NUM_STATES: Record<RnnMode, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 2, gru: 1 };

/**
 * Advances one step: `i2h` is `x·W_ihᵀ + b_ih` ([N, G*H]), `states` the
 * previous `[h]` or `[h, c]` ([N, H] each); returns the new states (the
 * output is the new h).
 *
 * ```ts
 * const [h1, c1] = rnnStep(F, 'lstm', 8, F.FullyConnected(x, wi, bi, { numHidden: 32 }), [h0, c0], wh, bh);
 * ```
 */
export function rnnStep(F: F, mode: RnnMode, hidden: number, i2h: Tensor, states: Tensor[], h2hWeight: Tensor, h2hBias: Tensor): Tensor[] {
  const h = states[0]!;
  const h2h = F.FullyConnected(h, h2hWeight, h2hBias, { numHidden: GATES[mode] * hidden });
  switch (mode) {
    case 'rnn_relu':
      return [F.relu(F.add(i2h, h2h))];
    case 'rnn_tanh':
      return [F.tanh(F.add(i2h, h2h))];
    case 'lstm': {
      const [i, f, g, o] = F.split(F.add(i2h, h2h), { numOutputs: 4, axis: 1 }) as Tensor[];
      const c = F.add(F.mul(F.sigmoid(f!), states[1]!), F.mul(F.sigmoid(i!), F.tanh(g!)));
      return [F.mul(F.sigmoid(o!), F.tanh(c)), c];
    }
    case 'gru': {
      const [ir, iz, iN] = F.split(i2h, { numOutputs: 3, axis: 1 }) as Tensor[];
      const [hr, hz, hN] = F.split(h2h, { numOutputs: 3, axis: 1 }) as Tensor[];
      const r = F.sigmoid(F.add(ir!, hr!));
      const z = F.sigmoid(F.add(iz!, hz!));
      const n = F.tanh(F.add(iN!, F.mul(r, hN!)));
      // (1 - z) * n + z * h
      return [F.add(n, F.mul(z, F.sub(h, n)))];
    }
  }
}

/** Zeros of shape [N, hidden] built from a [N, >= hidden] tensor (keeps a symbolic batch size symbolic). */
export function zerosState(F: F, like: Tensor, hidden: number): Tensor {
  return F.zerosLike(F.sliceAxis(like, { axis: 1, begin: 0, end: hidden }));
}

/**
 * Checks valid lengths whose values are at hand (a computed NDArray; the graph clips Symbols and pending values):
 * each must be an integer in [min, steps], else an Error naming the block, the entry, its value and the steps.
 *
 * ```ts
 * checkLengths('LSTM', nd.array([5, 9]), 7, 0); // Error: LSTM: sequenceLength[1] is 9, ...
 * ```
 */
export function checkLengths(name: string, lens: unknown, steps: unknown, min: number, what = 'sequenceLength'): void {
  if (!isNDArray(lens) || lens._pending || typeof steps !== 'number') return;
  const values = lens.data() as ArrayLike<number | bigint | boolean>;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < min || v > steps) {
      throw new Error(`${name}: ${what}[${i}] is ${v}; lengths must be integers in [${min}, ${steps}] (the input has ${steps} steps)`);
    }
  }
}
