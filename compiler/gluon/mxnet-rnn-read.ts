/**
 * `SymbolBlock.imports` of MXNet's fused recurrent operator and the nodes
 * MXNet 1.x's `rnn.LSTM` / `GRU` / `RNN` export writes around it
 * (python/mxnet/gluon/rnn/rnn_layer.py, `hybrid_forward` and
 * `_forward_kernel`): `RNN` (src/operator/rnn.cc, rnn-inl.h: inputs data
 * [T, N, I] (TNC), the flat parameter vector, the state [L*D, N, H], for
 * LSTM the cell state, with `use_sequence_length` the lengths [N]; outputs
 * out [T, N, D*H] and, with `state_outputs`, hy (and cy)); `_zeros` /
 * `zeros` begin states whose shape holds a 0 MXNet infers from the data
 * (`begin_state(0, func=symbol.zeros)`); `SwapAxis` / `swapaxes` (NTC).
 * The flat vector is cut in MXNet's order (mxnet-rnn-param.ts: every
 * weight, then every bias; layer by layer; `l` then `r`; `i2h` then
 * `h2h`) and run as gluonc's fused layers run (`fusedForward`), so the
 * block also trains (the gradient reaches each parameter through the cut).
 * Gate orders are the operator's: LSTM i, f, g, o; GRU r, z, n.
 * The attributes are src/operator/rnn-inl.h's `RNNParam`.
 * Invariants: an attribute gluonc does not run (`projection_size`, the LSTM
 * state clips) or RNNParam does not have is an Error naming the node;
 * a parameter vector of the wrong length is an Error giving the length the
 * attributes and the data ask for.
 */
import type { F, Tensor } from '../engine/tensor.js';
import type { MxnetNode } from '../formats/mxnet-symbol-file.js';
import { parseMxnetAttr } from '../formats/mxnet-symbol-file.js';
import { recordRecurrentCall } from '../formats/mxnet-rnn-export.js';
import { deferredZerosAxes } from '../formats/mxnet-deferred.js';
import { isSymbol, type Symbol } from '../trace/symbol.js';
import { cutFusedParams, fusedForward, fusedZeroStates } from './rnn/rnn-fused.js';
import { GATES, NUM_STATES, type RnnMode } from './rnn/rnn-step.js';

/** What the replay calls for one node (some inputs may be absent: a begin state MXNet sizes from the data). */
export type MxnetStep = (F: F, inputs: Tensor[]) => Tensor | Tensor[];

/** The RNN operator's attributes gluonc reads (and those it accepts only at their default). */
const RNN_ATTRS = new Set(['mode', 'state_size', 'num_layers', 'bidirectional', 'p', 'state_outputs', 'use_sequence_length', 'projection_size', 'lstm_state_clip_min', 'lstm_state_clip_max', 'lstm_state_clip_nan']);

/** True for a begin-state `_zeros` whose shape MXNet completes from the data (a 0 in it; formats/mxnet-deferred.ts). Example: `deferredZeros(node)`. */
export function deferredZeros(node: MxnetNode): boolean {
  return deferredZerosAxes(node) !== undefined;
}

/**
 * The step of `_zeros` / `zeros` (zeros of its shape, with a 1 for each 0
 * MXNet infers: the replay broadcasts them where the size is met, an RNN
 * operator reading them makes its own; formats/mxnet-deferred.ts), or of
 * `SwapAxis` / `swapaxes`; undefined for other operators.
 *
 * ```ts
 * mxnetShapeStep({ op: 'SwapAxis', attrs: { dim1: '0', dim2: '1' }, ... }, where);
 * ```
 */
export function mxnetShapeStep(node: MxnetNode, at: string): MxnetStep | undefined {
  if (node.op === '_zeros' || node.op === 'zeros') {
    const shape = parseMxnetAttr(node.attrs.shape ?? '()');
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) throw new Error(`${at}: attribute 'shape' must be a tuple of sizes, got ${JSON.stringify(node.attrs.shape)}`);
    const dtype = (node.attrs.dtype ?? 'float32') as 'float32';
    return (F) => F.zeros((shape as number[]).map((d) => d || 1), { dtype });
  }
  if (node.op === 'SwapAxis' || node.op === 'swapaxes') {
    const dim = (k: string) => {
      const v = node.attrs[k] === undefined ? 0 : parseMxnetAttr(node.attrs[k]!);
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${at}: attribute '${k}' must be an axis, got ${JSON.stringify(node.attrs[k])}`);
      return v;
    };
    const [a, b] = [dim('dim1'), dim('dim2')];
    return (F, [x]) => {
      const r = x!.shape.length;
      const [i, j] = [a < 0 ? a + r : a, b < 0 ? b + r : b];
      if (!(i >= 0 && i < r && j >= 0 && j < r)) throw new Error(`${at}: axes ${a} and ${b} do not fit an input of rank ${r}`);
      const axes = Array.from({ length: r }, (_v, k) => (k === i ? j : k === j ? i : k));
      return F.transpose(x!, { axes });
    };
  }
  return undefined;
}

/**
 * The step of MXNet's `RNN` node (see the module comment); `at` names the
 * file and node in errors; `owner` is the block (traced, the call is
 * recorded for MXNet's export, so the block exports as this RNN node).
 *
 * ```ts
 * const step = rnnStep(node, `${file}: node 'lstm0_rnn0' (MXNet operator 'RNN')`, block);
 * const [out, hy, cy] = step(F, [x, flat, undefined, undefined]) as Tensor[];
 * ```
 */
export function rnnStep(node: MxnetNode, at: string, owner: object): MxnetStep {
  const raw = node.attrs;
  for (const k of Object.keys(raw)) {
    if (!k.startsWith('__') && !RNN_ATTRS.has(k)) throw new Error(`${at}: attribute '${k}' = '${raw[k]}' is not one MXNet's RNN operator takes (it takes ${[...RNN_ATTRS].join(', ')})`);
  }
  const get = (k: string) => (raw[k] === undefined ? undefined : parseMxnetAttr(raw[k]!));
  const flag = (k: string) => {
    const v = raw[k];
    if (v === undefined) return false;
    if (!/^(true|false|1|0)$/i.test(v.trim())) throw new Error(`${at}: attribute '${k}' must be True or False, got '${v}'`);
    return /^(true|1)$/i.test(v.trim());
  };
  const count = (k: string, d?: number) => {
    const v = get(k) ?? d;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${at}: attribute '${k}' must be a positive integer, got ${JSON.stringify(raw[k])}`);
    return v;
  };
  const mode = raw.mode as RnnMode;
  if (!(mode in GATES)) throw new Error(`${at}: attribute 'mode' must be one of ${Object.keys(GATES).join(', ')}, got ${JSON.stringify(raw.mode)}`);
  const H = count('state_size');
  const L = count('num_layers', 1);
  const D = flag('bidirectional') ? 2 : 1;
  const p = get('p') ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`${at}: attribute 'p' (dropout) must be in [0, 1), got ${JSON.stringify(raw.p)}`);
  for (const k of ['projection_size', 'lstm_state_clip_min', 'lstm_state_clip_max']) {
    if (get(k) !== undefined && get(k) !== null) throw new Error(`${at}: attribute '${k}' = '${raw[k]}' is not supported (gluonc's recurrent layers have no ${k === 'projection_size' ? 'projection (LSTMP)' : 'LSTM state clipping'})`);
  }
  const stateOutputs = flag('state_outputs');
  const useLens = flag('use_sequence_length');
  const n = NUM_STATES[mode];
  return (F, ins) => {
    const [x, flat] = ins;
    const want = 2 + n + (useLens ? 1 : 0);
    if (ins.length !== want || !x || !flat) throw new Error(`${at}: takes ${want} inputs (data, parameters, ${n > 1 ? 'state, state_cell' : 'state'}${useLens ? ', sequence_length' : ''}), got ${ins.length}`);
    const given = ins.slice(2, 2 + n);
    // MXNet's begin state sized from the data: zeros [L*D, N, H] (static operators: the data may be unshaped while tracing).
    const zeros = given.some((s) => !s) ? fusedZeroStates(F, mode, x, L * D, H) : [];
    const states = given.map((s, i) => s ?? zeros[i]!);
    // The vector checked against the data (sized from it when unshaped: fusedRNNParams' solve rule), cut into the layers' matrices.
    const params = cutFusedParams(F, F.fusedRNNParams(x, flat, { mode, stateSize: H, numLayers: L, bidirectional: D === 2 }), mode, H, L, D);
    const lens = useLens ? ins[2 + n] : undefined;
    const out = fusedForward(F, { mode, hidden: H, layers: L, directions: D, layout: 'TNC', dropout: p }, x, states as Tensor[], lens, params);
    const res = stateOutputs ? out : [out[0]!];
    if (isSymbol(x) && (given.every((s) => s) || given.every((s) => !s))) {
      // Traced: exported to MXNet again as this RNN node (formats/mxnet-rnn-export.ts), its parameter vector as it is.
      const v = (t: Tensor) => (t as Symbol).value;
      recordRecurrentCall({
        block: owner, mode, stateSize: H, numLayers: L, bidirectional: D === 2, p, layout: 'TNC',
        data: v(x), states: given.every((s) => s) ? given.map(v) : [], lens: lens && v(lens), params: {}, flat: v(flat), outputs: res.map(v),
      });
    }
    return stateOutputs ? res : res[0]!;
  };
}
