/**
 * MXNet 2.x's recurrent layers (`rnn.RNN`, `LSTM`, `GRU`) hold one flat
 * parameter, `rnn_param` (python/mxnet/gluon/rnn/rnn_layer.py:
 * `Parameter('rnn_param', shape=(-1,))`), laid out as MXNet's RNN operator
 * takes it: every weight, then every bias; within each, layer by layer,
 * direction `l` then `r`, `i2h` then `h2h`, each matrix row-major (MXNet
 * 1.x's `_forward_kernel` concatenates the separate matrices in the same
 * order before calling the operator). gluonc keeps the matrices apart
 * (`l0_i2h_weight`, ... as MXNet 1.x did): `fuseRnnParams` builds MXNet 2's
 * entry for a file, `splitRnnParam` cuts one read from a file.
 * Invariant: only a complete layer (every matrix of every layer and
 * direction, one dtype) is fused; a split checks the length against the
 * block's shapes and names the entry when it does not fit.
 */
import { allocate, type DType } from '../../runtime/dtypes.js';
import { formatShape, sizeOf, type HostTensor } from '../../runtime/tensor.js';
import { FUSED_RNN } from './mxnet-names.js';

/** A fused layer's matrices in `rnn_param` order (names without the prefix). Example: `rnnParamOrder(1, ['l'])` is `['l0_i2h_weight', 'l0_h2h_weight', 'l0_i2h_bias', 'l0_h2h_bias']`. */
export function rnnParamOrder(layers: number, dirs: string[]): string[] {
  const out: string[] = [];
  for (const t of ['weight', 'bias']) {
    for (let k = 0; k < layers; k++) for (const d of dirs) for (const g of ['i2h', 'h2h']) out.push(`${d}${k}_${g}_${t}`);
  }
  return out;
}

/** The layers' matrices grouped by prefix (the layer's structural path), with the layout they make. */
function groups(names: readonly string[]): Map<string, { members: Set<string>; order: string[] }> {
  const by = new Map<string, Set<string>>();
  for (const n of names) {
    const m = FUSED_RNN.exec(n);
    if (!m) continue;
    let s = by.get(m[1]!);
    if (!s) by.set(m[1]!, (s = new Set()));
    s.add(n.slice(m[1]!.length));
  }
  const out = new Map<string, { members: Set<string>; order: string[] }>();
  for (const [prefix, members] of by) {
    let layers = 0;
    let reverse = false;
    for (const n of members) {
      const m = FUSED_RNN.exec(n)!;
      layers = Math.max(layers, Number(m[3]) + 1);
      reverse ||= m[2] === 'r';
    }
    out.set(prefix, { members, order: rnnParamOrder(layers, reverse ? ['l', 'r'] : ['l']) });
  }
  return out;
}

function concat(dtype: DType, parts: HostTensor[]): HostTensor {
  const n = parts.reduce((a, t) => a + t.data.length, 0);
  const data = allocate(dtype, n);
  let at = 0;
  for (const t of parts) {
    (data as Float32Array).set(t.data as Float32Array, at);
    at += t.data.length;
  }
  return { dtype, shape: [n], data };
}

/**
 * The entries with each complete recurrent layer's matrices replaced by
 * MXNet 2's `<prefix>rnn_param` (where the layer's first matrix was).
 *
 * ```ts
 * fuseRnnParams([['0.l0_i2h_weight', w], ['0.l0_h2h_weight', u], ['0.l0_i2h_bias', b], ['0.l0_h2h_bias', c]]);
 * // [['0.rnn_param', [w, u, b, c] flattened]]
 * ```
 */
export function fuseRnnParams(entries: [string, HostTensor][]): [string, HostTensor][] {
  const byName = new Map(entries);
  const fused = new Map<string, HostTensor>();
  for (const [prefix, { members, order }] of groups(entries.map(([n]) => n))) {
    if (order.length !== members.size || !order.every((k) => members.has(k))) continue;
    const parts = order.map((k) => byName.get(prefix + k)!);
    if (parts.some((t) => t.dtype !== parts[0]!.dtype)) continue;
    fused.set(prefix, concat(parts[0]!.dtype, parts));
  }
  const out: [string, HostTensor][] = [];
  const emitted = new Set<string>();
  for (const [name, t] of entries) {
    const prefix = FUSED_RNN.exec(name)?.[1];
    if (prefix === undefined || !fused.has(prefix)) out.push([name, t]);
    else if (!emitted.has(prefix)) {
      emitted.add(prefix); // one entry, where the layer's first matrix was
      out.push([`${prefix}rnn_param`, fused.get(prefix)!]);
    }
  }
  return out;
}

/**
 * Cuts MXNet 2's `<prefix>rnn_param` (from `file`) into the block's
 * matrices under `prefix`, given their shapes (`0` for the input size a
 * deferred layer does not know yet: solved from the length). Returns null
 * when the block has no recurrent layer at `prefix`.
 *
 * ```ts
 * splitRnnParam('0.', flat, [['0.l0_i2h_weight', [16, 0]], ...], 'net.params'); // [['0.l0_i2h_weight', [16, 3] tensor], ...]
 * ```
 */
export function splitRnnParam(prefix: string, flat: HostTensor, shapes: [string, number[]][], file: string): [string, HostTensor][] | null {
  const here = new Map(shapes.filter(([n]) => FUSED_RNN.exec(n)?.[1] === prefix));
  const g = groups([...here.keys()]).get(prefix);
  if (!g) return null;
  const what = `${file}: '${prefix}rnn_param' (MXNet 2's fused recurrent parameter)`;
  const missing = g.order.find((k) => !g.members.has(k));
  if (missing) throw new Error(`${what}: the block's layer at '${prefix}' has no '${prefix}${missing}' to take its part`);
  if (flat.shape.length !== 1) throw new Error(`${what} has shape ${formatShape(flat.shape)}, not a flat vector`);
  let known = 0;
  let perInput = 0;
  for (const k of g.order) {
    const s = here.get(prefix + k)!;
    const rest = s.filter((d) => d !== 0).reduce((a, d) => a * d, 1);
    if (s.some((d) => d === 0)) perInput += rest; // a deferred layer's input size
    else known += rest;
  }
  const n = flat.shape[0]!;
  const input = perInput ? (n - known) / perInput : 0;
  if (perInput ? !(Number.isInteger(input) && input >= 1) : n !== known) {
    throw new Error(`${what} holds ${n} values; the block's layer there takes ${known}${perInput ? ` plus ${perInput} per input feature` : ''}`);
  }
  const out: [string, HostTensor][] = [];
  let at = 0;
  for (const k of g.order) {
    const shape = here.get(prefix + k)!.map((d) => (d === 0 ? input : d));
    const size = sizeOf(shape);
    out.push([prefix + k, { dtype: flat.dtype, shape, data: flat.data.slice(at, at + size) as HostTensor['data'] }]);
    at += size;
  }
  return out;
}

/** One matrix of a fused vector cut per gate: its name, where it starts and its shape. */
export interface FusedPiece {
  name: string;
  offset: number;
  shape: number[];
}

/** MXNet's gate suffixes of the legacy cells' unpacked names (rnn_cell.py's `_gate_names`). */
export const GATE_NAMES: Record<string, string[]> = { rnn_relu: [''], rnn_tanh: [''], lstm: ['_i', '_f', '_c', '_o'], gru: ['_r', '_z', '_o'] };

/**
 * Legacy `mx.rnn.FusedRNNCell._slice_weights` (python/mxnet/rnn/rnn_cell.py):
 * the per-gate pieces of the flat vector, named `<prefix><d><layer>_i2h<gate>_weight`
 * (`lstm_l0_i2h_i_weight`), every weight first (layer by layer, `l` then `r`,
 * i2h gates then h2h gates), then every bias in the same order; with the
 * vector's total length. `input` is the first layer's feature count.
 *
 * ```ts
 * fusedCellLayout('gru_', 'gru', 4, 1, false, 3).pieces[0]; // { name: 'gru_l0_i2h_r_weight', offset: 0, shape: [4, 3] }
 * ```
 */
export function fusedCellLayout(prefix: string, mode: string, hidden: number, layers: number, bidirectional: boolean, input: number): { pieces: FusedPiece[]; total: number } {
  const gates = GATE_NAMES[mode]!;
  const dirs = bidirectional ? ['l', 'r'] : ['l'];
  const pieces: FusedPiece[] = [];
  let p = 0;
  const add = (name: string, shape: number[]) => {
    pieces.push({ name: prefix + name, offset: p, shape });
    p += shape.reduce((a, b) => a * b, 1);
  };
  for (let k = 0; k < layers; k++) {
    for (const d of dirs) {
      for (const g of gates) add(`${d}${k}_i2h${g}_weight`, [hidden, k === 0 ? input : dirs.length * hidden]);
      for (const g of gates) add(`${d}${k}_h2h${g}_weight`, [hidden, hidden]);
    }
  }
  for (let k = 0; k < layers; k++) {
    for (const d of dirs) {
      for (const g of gates) add(`${d}${k}_i2h${g}_bias`, [hidden]);
      for (const g of gates) add(`${d}${k}_h2h${g}_bias`, [hidden]);
    }
  }
  return { pieces, total: p };
}
