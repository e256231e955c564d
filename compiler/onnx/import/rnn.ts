/**
 * Importers of ONNX's recurrent layers (RNN, GRU, LSTM) onto gluonc's
 * operators with ONNX's semantics (`OnnxRNN`, `OnnxGRU`, `OnnxLSTM`: one
 * node per layer, run by onnxruntime's fused kernels, differentiable):
 * forward, reverse and bidirectional; layout 0 ([seq, batch, input]) and 1
 * ([batch, seq, input], transposed around the operator); `sequence_lens`
 * (computed at run time or not); initial states (zeros when absent); RNN's
 * Tanh or Relu; GRU's `linear_before_reset`. The weights stay the file's
 * initializers (W [dirs, G*H, I], R [dirs, G*H, H], B [dirs, 2*G*H]), so they
 * train. LSTM peepholes (input P) and float64 layers, which the operators
 * lack, are unrolled over a sequence of known length into FullyConnected and
 * sliceAxis (gate orders as ONNX's: LSTM i, o, f, c, peepholes i, o, f; GRU
 * z, r, h), all sequences at full length. Refused: clip, input_forget and
 * activations other than these.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Value } from '../../ir/value.js';
import type { Builder, ImportCtx } from './context.js';

type Cell = (c: ImportCtx, gx: Value, h: Value, state: Value | null, w: { r: Value; rb: Value | null; p: Value | null; hidden: number }) => { h: Value; state: Value | null };

const DEFAULT_ACTS: Record<string, string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };
const GATES: Record<string, number> = { RNN: 1, GRU: 3, LSTM: 4 };

const gate = (c: ImportCtx, v: Value, k: number, hidden: number): Value => c.op('sliceAxis', [v], { axis: 1, begin: k * hidden, end: (k + 1) * hidden });
const fc = (c: ImportCtx, x: Value, w: Value, b: Value | null, units: number, flatten = true): Value =>
  c.op('FullyConnected', b ? [x, w, b] : [x, w], { numHidden: units, noBias: !b, flatten });

// The unrolled form: LSTM peepholes and float64 layers.
const rnnCell: Cell = (c, gx, h, _s, w) => ({ h: c.op('tanh', [c.op('add', [gx, fc(c, h, w.r, w.rb, w.hidden)])]), state: null });

const gruCell: Cell = (c, gx, h, _s, w) => {
  const H = w.hidden;
  const linearBeforeReset = c.attr.int('linear_before_reset', 0) !== 0;
  const rz = c.op('sliceAxis', [w.r], { axis: 0, begin: 0, end: 2 * H });
  const rh = c.op('sliceAxis', [w.r], { axis: 0, begin: 2 * H, end: 3 * H });
  const rbz = w.rb ? c.op('sliceAxis', [w.rb], { axis: 0, begin: 0, end: 2 * H }) : null;
  const rbh = w.rb ? c.op('sliceAxis', [w.rb], { axis: 0, begin: 2 * H, end: 3 * H }) : null;
  const zr = c.op('sigmoid', [c.op('add', [c.op('sliceAxis', [gx], { axis: 1, begin: 0, end: 2 * H }), fc(c, h, rz, rbz, 2 * H)])]);
  const [z, r] = [gate(c, zr, 0, H), gate(c, zr, 1, H)];
  const xh = gate(c, gx, 2, H);
  const hh = linearBeforeReset ? c.op('mul', [r, fc(c, h, rh, rbh, H)]) : fc(c, c.op('mul', [r, h]), rh, rbh, H);
  const cand = c.op('tanh', [c.op('add', [xh, hh])]);
  // (1 - z) * cand + z * h = cand + z * (h - cand)
  return { h: c.op('add', [cand, c.op('mul', [z, c.op('sub', [h, cand])])]), state: null };
};

const lstmCell: Cell = (c, gx, h, state, w) => {
  const H = w.hidden;
  const g = c.op('add', [gx, fc(c, h, w.r, w.rb, 4 * H)]);
  // Peepholes P = [Pi, Po, Pf]: i and f look at the previous cell, o at the new one.
  const peep = (k: number, cell: Value): Value | null => (w.p ? c.op('mul', [c.op('sliceAxis', [w.p], { axis: 0, begin: k * H, end: (k + 1) * H }), cell]) : null);
  const pre = (k: number, cell: Value | null): Value => {
    const p = cell ? peep(k, cell) : null;
    return p ? c.op('add', [gate(c, g, k, H), p]) : gate(c, g, k, H);
  };
  const i = c.op('sigmoid', [pre(0, state)]);
  const f = c.op('sigmoid', [pre(2, state)]);
  const cand = c.op('tanh', [gate(c, g, 3, H)]);
  const cell = c.op('add', [c.op('mul', [f, state!]), c.op('mul', [i, cand])]);
  const o = c.op('sigmoid', [pre(1, cell)]);
  return { h: c.op('mul', [o, c.op('tanh', [cell])]), state: cell };
};

const CELLS: Record<string, Cell> = { RNN: rnnCell, GRU: gruCell, LSTM: lstmCell };

/** One direction slice [G*H, ...] of a [dirs, G*H, ...] weight. */
const direction = (c: ImportCtx, v: Value, d: number, shape: number[]): Value =>
  c.op('reshape', [c.op('sliceAxis', [v], { axis: 0, begin: d, end: d + 1 })], { shape });

/** The activations, checked: RNN's per-direction Tanh or Relu (one for both directions), the others' defaults. */
function activation(c: ImportCtx, kind: 'RNN' | 'GRU' | 'LSTM', dirs: number): 'tanh' | 'relu' {
  const dflt = DEFAULT_ACTS[kind]!.map((a) => a.toLowerCase());
  const given = (c.attr.strs('activations') ?? Array.from({ length: dirs }, () => dflt).flat()).map((a) => a.toLowerCase());
  const per = dflt.length;
  const first = given.slice(0, per);
  const same = given.length === per * dirs && given.every((a, i) => a === first[i % per]);
  if (kind === 'RNN' && same && (first[0] === 'tanh' || first[0] === 'relu')) return first[0];
  if (kind !== 'RNN' && same && first.join() === dflt.join()) return 'tanh';
  const allowed = kind === 'RNN' ? 'Tanh or Relu, the same in both directions' : `only the defaults ${DEFAULT_ACTS[kind]!.join(', ')}`;
  throw c.refuse(`activations ${JSON.stringify(c.attr.strs('activations'))} (${allowed})`);
}

/** Zeros [dirs, N, H] with the batch N of x [T, N, I] (symbolic or not). */
function zeroState(c: ImportCtx, x: Value, dirs: number, H: number): Value {
  const n = x.type.shape[1];
  if (typeof n === 'number') return c.constant(tensorFromNumbers(x.type.dtype, [dirs, n, H], new Array<number>(dirs * n * H).fill(0)));
  const col = c.op('zerosLike', [c.op('sliceAxis', [c.op('sliceAxis', [x], { axis: 0, begin: 0, end: 1 })], { axis: 2, begin: 0, end: 1 })]);
  return c.op('add', [col, c.constant(tensorFromNumbers(x.type.dtype, [dirs, 1, H], new Array<number>(dirs * H).fill(0)))]);
}

/** The layer as one OnnxRNN/OnnxGRU/OnnxLSTM node (float32, no peepholes). */
function fused(c: ImportCtx, kind: 'RNN' | 'GRU' | 'LSTM', act: 'tanh' | 'relu', dirName: string, layout: number): Value[] {
  let x = c.input(0);
  const toBatchMajor = (v: Value): Value => c.op('transpose', [v], { axes: [1, 0, 2] });
  if (layout === 1) x = toBatchMajor(x);
  const [W, R] = [c.input(1), c.input(2)];
  const dirs = dirName === 'bidirectional' ? 2 : 1;
  const H = R.type.shape[2];
  if (typeof H !== 'number') throw c.refuse(`the hidden size '${String(H)}' must be known`);
  const attrH = c.attr.int('hidden_size', H);
  if (attrH !== H) throw c.refuse(`hidden_size ${attrH} differs from R's [${R.type.shape.join(', ')}]`);
  const G = GATES[kind]!;
  const B = c.optInput(3) ?? c.constant(tensorFromNumbers('float32', [dirs, 2 * G * H], new Array<number>(dirs * 2 * G * H).fill(0)));
  const state = (i: number): Value => {
    const v = c.optInput(i);
    if (!v) return zeroState(c, x, dirs, H);
    return layout === 1 ? toBatchMajor(v) : v;
  };
  const states = kind === 'LSTM' ? [state(5), state(6)] : [state(5)];
  const lens = c.optInput(4);
  const attrs = { direction: dirName, ...(kind === 'RNN' ? { activation: act } : {}), ...(kind === 'GRU' ? { linearBeforeReset: c.attr.int('linear_before_reset', 0) !== 0 } : {}) };
  const outs = c.ops(`Onnx${kind}`, [x, W, R, B, ...states, ...(lens ? [lens] : [])], attrs);
  if (layout === 0) return outs;
  const [y, ...finals] = outs as [Value, ...Value[]];
  return [c.op('transpose', [y], { axes: [2, 0, 1, 3] }), ...finals.map(toBatchMajor)];
}

function recurrent(kind: 'RNN' | 'GRU' | 'LSTM'): Builder {
  return (c) => {
    if (c.attr.has('clip')) throw c.refuse('clip');
    if (c.attr.int('input_forget', 0) !== 0) throw c.refuse('input_forget=1');
    const layout = c.attr.int('layout', 0);
    if (layout !== 0 && layout !== 1) throw c.refuse(`layout ${layout}`);
    const dirName = c.attr.str('direction', 'forward');
    if (!['forward', 'reverse', 'bidirectional'].includes(dirName)) throw c.refuse(`direction '${dirName}'`);
    const act = activation(c, kind, dirName === 'bidirectional' ? 2 : 1);
    const peepholes = kind === 'LSTM' && c.has(7);
    if (!peepholes && c.input(0).type.dtype === 'float32') return fused(c, kind, act, dirName, layout);
    if (act !== 'tanh') throw c.refuse(`activation Relu on ${c.input(0).type.dtype} data (OnnxRNN takes float32)`);
    return unrolled(c, kind, dirName, layout);
  };
}

/** The layer unrolled over its known sequence length (LSTM peepholes, float64). */
function unrolled(c: ImportCtx, kind: 'RNN' | 'GRU' | 'LSTM', dirName: string, layout: number): Value[] {
  let x = c.input(0);
  if (layout === 1) x = c.op('transpose', [x], { axes: [1, 0, 2] });
  const [seq, , inSize] = x.type.shape;
  if (typeof seq !== 'number') throw c.refuse(`the sequence length '${seq}' must be known to unroll`);
  const H = c.attr.int('hidden_size', 0) || (c.input(2).type.shape[2] as number);
  const G = GATES[kind]!;
  const dirs = dirName === 'bidirectional' ? 2 : 1;
  const lens = c.has(4) ? c.numbers(4, 'sequence_lens (of an unrolled LSTM with peepholes or a float64 layer)') : null;
  if (lens && lens.some((l) => l !== seq)) throw c.refuse(`sequence_lens ${JSON.stringify(lens)} differ from the sequence length ${seq} (an unrolled LSTM with peepholes or float64 layer runs every sequence at full length)`);
  const [W, R, B] = [c.input(1), c.input(2), c.optInput(3)];
  const [h0, c0] = [c.optInput(5), kind === 'LSTM' ? c.optInput(6) : null];
  const ys: Value[] = [];
  const hs: Value[] = [];
  const cs: Value[] = [];
  for (let d = 0; d < dirs; d++) {
    const reverse = dirName === 'reverse' || d === 1;
    const wd = direction(c, W, d, [G * H, inSize as number]);
    const rd = direction(c, R, d, [G * H, H]);
    const bd = B ? direction(c, B, d, [2 * G * H]) : null;
    const wb = bd ? c.op('sliceAxis', [bd], { axis: 0, begin: 0, end: G * H }) : null;
    const rb = bd ? c.op('sliceAxis', [bd], { axis: 0, begin: G * H, end: 2 * G * H }) : null;
    const pd = kind === 'LSTM' && c.has(7) ? direction(c, c.input(7), d, [3 * H]) : null;
    const gxAll = fc(c, x, wd, wb, G * H, false);
    const step = (t: number): Value => c.op('squeeze', [c.op('sliceAxis', [gxAll], { axis: 0, begin: t, end: t + 1 })], { axis: 0 });
    const zeros = (): Value => c.op('zerosLike', [gate(c, step(0), 0, H)]);
    let h = h0 ? direction(c, h0, d, [-1, H]) : zeros();
    let s: Value | null = kind === 'LSTM' ? (c0 ? direction(c, c0, d, [-1, H]) : zeros()) : null;
    const outs: Value[] = new Array<Value>(seq);
    for (let k = 0; k < seq; k++) {
      const t = reverse ? seq - 1 - k : k;
      ({ h, state: s } = CELLS[kind]!(c, step(t), h, s, { r: rd, rb, p: pd, hidden: H }));
      outs[t] = c.op('expandDims', [h], { axis: 0 });
    }
    ys.push(c.op('expandDims', [seq === 1 ? outs[0]! : c.op('concat', outs, { dim: 0 })], { axis: 1 }));
    hs.push(c.op('expandDims', [h], { axis: 0 }));
    if (s) cs.push(c.op('expandDims', [s], { axis: 0 }));
  }
  const join = (vs: Value[], dim: number): Value => (vs.length === 1 ? vs[0]! : c.op('concat', vs, { dim }));
  let [y, yh, yc] = [join(ys, 1), join(hs, 0), cs.length ? join(cs, 0) : null];
  if (layout === 1) {
    y = c.op('transpose', [y], { axes: [2, 0, 1, 3] });
    yh = c.op('transpose', [yh], { axes: [1, 0, 2] });
    if (yc) yc = c.op('transpose', [yc], { axes: [1, 0, 2] });
  }
  return yc ? [y, yh, yc] : [y, yh];
}

/** The recurrent importers by ONNX operator. */
export const RNN_IMPORTS: Record<string, Builder> = { RNN: recurrent('RNN'), GRU: recurrent('GRU'), LSTM: recurrent('LSTM') };
