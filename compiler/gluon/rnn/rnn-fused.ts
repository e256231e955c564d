/**
 * The recurrent layers' forward as ONNX's own recurrent operators, one
 * `OnnxRNN` / `OnnxLSTM` / `OnnxGRU` node per layer: MXNet's parameters
 * (`lk_i2h_weight`, ... in gate order LSTM i, f, g, o; GRU r, z, n) are
 * reordered into ONNX's (LSTM i, o, f, c; GRU z, r, h with
 * `linearBeforeReset`) and stacked per direction; NTC is transposed around.
 * The time axis and the batch stay symbolic. float32 only (onnxruntime).
 */
import type { F, Tensor } from '../../engine/tensor.js';
import { GATES, NUM_STATES, type RnnMode } from './rnn-step.js';

/** Where MXNet's gate blocks go: ONNX's block q is MXNet's block ORDER[q]. */
export const ONNX_GATE_ORDER: Record<RnnMode, number[]> = { rnn_relu: [0], rnn_tanh: [0], lstm: [0, 3, 1, 2], gru: [1, 0, 2] };

/** What the fused forward needs of the layer. */
export interface FusedPlan {
  mode: RnnMode;
  hidden: number;
  layers: number;
  directions: number;
  layout: 'TNC' | 'NTC';
  dropout: number;
}

/** Reorders the gate blocks of a [G*H, ...] or [G*H] tensor from MXNet's order to ONNX's. */
function reorder(F: F, mode: RnnMode, w: Tensor): Tensor {
  const g = GATES[mode];
  if (g === 1) return w;
  const pieces = F.split(w, { numOutputs: g, axis: 0 }) as Tensor[];
  return F.concat(...ONNX_GATE_ORDER[mode].map((i) => pieces[i]!), { dim: 0 });
}

const stackDirs = (F: F, xs: Tensor[]) => (xs.length === 1 ? F.expandDims(xs[0]!, { axis: 0 }) : F.stack(...xs, { axis: 0 }));

/**
 * Runs the layers: `x` in the layer's layout, `given` the initial states
 * ([L*D, N, H] each; zeros when empty), `lens` the valid lengths [N] or
 * undefined; gives `[output, ...finalStates]` (final states [L*D, N, H]).
 *
 * ```ts
 * const [y, h, c] = fusedForward(F, plan, x, [h0, c0], undefined, params);
 * ```
 */
export function fusedForward(F: F, plan: FusedPlan, x: Tensor, given: Tensor[], lens: Tensor | undefined, p: Record<string, Tensor>): Tensor[] {
  const { mode, hidden: H, layers: L, directions: D } = plan;
  const kind = mode === 'lstm' ? 'LSTM' : mode === 'gru' ? 'GRU' : 'RNN';
  let input = plan.layout === 'NTC' ? F.transpose(x, { axes: [1, 0, 2] }) : x;
  let states = given;
  if (!states.length) {
    // Zeros [L*D, N, H] whose batch is read from the input when the graph runs (so it may be symbolic; an
    // artifact read back by SymbolBlock reads it the same way); no gradient path back into the input.
    const n = F.shapeArray(input, { axis: 1 });
    states = Array.from({ length: NUM_STATES[mode] }, () => F.zeros([L * D, n, H], { dtype: 'float32' }));
  }
  const finals: Tensor[][] = states.map(() => []);
  const direction = D === 2 ? 'bidirectional' : 'forward';
  for (let k = 0; k < L; k++) {
    const dirs = Array.from({ length: D }, (_v, d) => `${d ? 'r' : 'l'}${k}_`);
    const W = stackDirs(F, dirs.map((d) => reorder(F, mode, p[`${d}i2h_weight`]!)));
    const R = stackDirs(F, dirs.map((d) => reorder(F, mode, p[`${d}h2h_weight`]!)));
    const B = stackDirs(F, dirs.map((d) => F.concat(reorder(F, mode, p[`${d}i2h_bias`]!), reorder(F, mode, p[`${d}h2h_bias`]!), { dim: 0 })));
    const init = states.map((s) => (L === 1 ? s : F.sliceAxis(s, { axis: 0, begin: k * D, end: (k + 1) * D })));
    const extra = lens ? [lens] : [];
    let outs: Tensor[];
    if (kind === 'LSTM') outs = F.OnnxLSTM(input, W, R, B, init[0]!, init[1]!, ...extra, { direction }) as Tensor[];
    else if (kind === 'GRU') outs = F.OnnxGRU(input, W, R, B, init[0]!, ...extra, { direction, linearBeforeReset: true }) as Tensor[];
    else outs = F.OnnxRNN(input, W, R, B, init[0]!, ...extra, { direction, activation: mode === 'rnn_relu' ? 'relu' : 'tanh' }) as Tensor[];
    // Y [T, D, N, H] -> [T, N, D*H]
    input = F.reshape(F.transpose(outs[0]!, { axes: [0, 2, 1, 3] }), [0, 0, -3]);
    outs.slice(1).forEach((s, i) => finals[i]!.push(s));
    if (plan.dropout > 0 && k < L - 1) input = F.Dropout(input, { p: plan.dropout });
  }
  const out = plan.layout === 'NTC' ? F.transpose(input, { axes: [1, 0, 2] }) : input;
  return [out, ...finals.map((f) => (f.length === 1 ? f[0]! : F.concat(...f, { dim: 0 })))];
}

/**
 * MXNet's RNN operator's flat parameter vector (formats/mxnet-rnn-param.ts'
 * order) cut into the layers' matrices `l0_i2h_weight`, ... (`fusedForward`'s
 * names) with static slices only, so the vector's length may be unknown
 * while tracing: the first layer's input weights are the one part whose
 * size needs I, so they are cut from the front by an offset from the end
 * and reshaped with -1.
 *
 * ```ts
 * const p = cutFusedParams(F, F.fusedRNNParams(x, flat, { mode: 'lstm', stateSize: 8 }), 'lstm', 8, 1, 1);
 * ```
 */
export function cutFusedParams(F: F, flat: Tensor, mode: RnnMode, H: number, L: number, D: number): Record<string, Tensor> {
  const GH = GATES[mode] * H;
  const dirs = D === 2 ? ['l', 'r'] : ['l'];
  const rest: [string, number[]][] = [];
  for (let k = 1; k < L; k++) for (const d of dirs) rest.push([`${d}${k}_i2h_weight`, [GH, D * H]], [`${d}${k}_h2h_weight`, [GH, H]]);
  for (let k = 0; k < L; k++) for (const d of dirs) rest.push([`${d}${k}_i2h_bias`, [GH]], [`${d}${k}_h2h_bias`, [GH]]);
  const K = rest.reduce((s, [, sh]) => s + sh.reduce((a, b) => a * b, 1), 0);
  const p: Record<string, Tensor> = {};
  // Layer 0's weights: [D rows of (i2h [GH, I] then h2h [GH, H])].
  const first = F.reshape(F.sliceAxis(flat, { axis: 0, begin: 0, end: -K }), [D, -1]);
  dirs.forEach((d, j) => {
    const row = F.reshape(F.sliceAxis(first, { axis: 0, begin: j, end: j + 1 }), [-1]);
    p[`${d}0_i2h_weight`] = F.reshape(F.sliceAxis(row, { axis: 0, begin: 0, end: -GH * H }), [GH, -1]);
    p[`${d}0_h2h_weight`] = F.reshape(F.sliceAxis(row, { axis: 0, begin: -GH * H, end: null }), [GH, H]);
  });
  const tail = F.sliceAxis(flat, { axis: 0, begin: -K, end: null });
  let at = 0;
  for (const [name, shape] of rest) {
    const n = shape.reduce((a, b) => a * b, 1);
    p[name] = F.reshape(F.sliceAxis(tail, { axis: 0, begin: at, end: at + n }), shape);
    at += n;
  }
  return p;
}

/**
 * Zero begin states [L*D, N, H] for data [T, N, I] (one per state of the
 * mode), built from the data with static operators only (the batch may be
 * unknown while tracing); no gradient reaches the data through them.
 *
 * ```ts
 * const [h0, c0] = fusedZeroStates(F, 'lstm', x, 2, 8);
 * ```
 */
export function fusedZeroStates(F: F, mode: RnnMode, data: Tensor, layersDirs: number, hidden: number): Tensor[] {
  return Array.from({ length: NUM_STATES[mode] }, () => {
    const z = F.zerosLike(F.stopGradient(F.sliceAxis(F.sliceAxis(data, { axis: 0, begin: 0, end: 1 }), { axis: 2, begin: 0, end: 1 })));
    return F.tile(z, [layersDirs, 1, hidden]);
  });
}
