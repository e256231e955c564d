/**
 * ONNX's recurrent operators `RNN`, `LSTM` and `GRU` as gluonc operators
 * (`F.OnnxRNN`, `F.OnnxLSTM`, `F.OnnxGRU`), with ONNX's own semantics, so a
 * whole sequence is one node that onnxruntime runs with its fused kernels:
 * data [T, N, I] (time-major), weight [D, G*H, I], recurrentWeight
 * [D, G*H, H], bias [D, 2*G*H] (input biases then recurrent biases),
 * initialH [D, N, H] (and initialC for LSTM), optional sequenceLength [N];
 * outputs Y [T, D, N, H], Y_h [D, N, H] (and Y_c). D is 2 when
 * `direction` is 'bidirectional'. Gate orders are ONNX's: LSTM i, o, f, c;
 * GRU z, r, h; the gluon layers reorder MXNet's parameters into them.
 * Invariants: the time axis T and the batch N may be symbolic (the lowering
 * reads no dimension); H and I must be concrete. float32 only (onnxruntime's
 * kernels have no float64). Past a sequence's length Y is 0 and the state is
 * the one at its last valid step (ONNX); lengths are clipped to [0, T], and
 * a length of 0 gives zero final states (as onnxruntime does).
 */
import { onnxDType } from '../../runtime/dtypes.js';
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OpDef, type OpSpec, type Tx } from './define.js';
import { sameDim } from './dims.js';
import { OpError } from './errors.js';
import { indexValue, lengthsInt64 } from './indices.js';
import { fromF64, toF64 } from './kernels.js';
import { recurrentGrad } from './rnn-grad.js';

/** The three ONNX recurrent operators. */
export type RecurrentKind = 'RNN' | 'LSTM' | 'GRU';

/** Options of the recurrent operators (ONNX's attributes, camelCase). */
export interface RecurrentOpOptions {
  /** 'forward' (default), 'reverse' or 'bidirectional'. */
  direction?: 'forward' | 'reverse' | 'bidirectional';
  /** OnnxRNN only: 'tanh' (default) or 'relu'. */
  activation?: 'tanh' | 'relu';
  /** OnnxGRU only: apply the reset gate after the recurrent matmul (MXNet's and cuDNN's GRU; ONNX's default is false). */
  linearBeforeReset?: boolean;
}

/** Normalized attributes. */
export type RecA = Attrs & { direction: string; activation?: string; linearBeforeReset?: boolean };

/** Gates per kind. */
export const KIND_GATES: Record<RecurrentKind, number> = { RNN: 1, LSTM: 4, GRU: 3 };

/** The facts a type rule derives. */
export interface RecPlan {
  kind: RecurrentKind;
  dirs: number;
  hidden: number;
  /** Index of the sequenceLength input, or -1 when absent. */
  lens: number;
}

const fmt = (s: readonly Dim[]) => `[${s.join(', ')}]`;

/** Checks inputs and attributes; names the operator (`op`, default `Onnx<kind>`) and the shapes on a mismatch. */
export function recPlan(kind: RecurrentKind, types: TensorType[], a: RecA, float64 = false, op = `Onnx${kind}`): RecPlan {
  if (!['forward', 'reverse', 'bidirectional'].includes(a.direction)) throw new OpError(op, `direction must be 'forward', 'reverse' or 'bidirectional', got ${JSON.stringify(a.direction)}`, types);
  if (kind === 'RNN' && a.activation !== 'tanh' && a.activation !== 'relu') throw new OpError(op, `activation must be 'tanh' or 'relu', got ${JSON.stringify(a.activation)}`, types);
  if (kind === 'GRU' && typeof a.linearBeforeReset !== 'boolean') throw new OpError(op, `linearBeforeReset must be a boolean, got ${JSON.stringify(a.linearBeforeReset)}`, types);
  const states = kind === 'LSTM' ? 2 : 1;
  const [x, w, r, b] = types;
  const dirs = a.direction === 'bidirectional' ? 2 : 1;
  for (const [i, t] of types.slice(0, 4 + states).entries()) {
    if (t.dtype !== 'float32' && !(float64 && t.dtype === 'float64')) throw new OpError(op, `takes float32 only (onnxruntime's kernels), got ${t.dtype} for input ${i}`, types);
  }
  if (x!.shape.length !== 3) throw new OpError(op, `data must be [T, N, I] (time-major), got ${fmt(x!.shape)}`, types);
  const rs = r!.shape;
  const hidden = rs[2];
  if (rs.length !== 3 || typeof hidden !== 'number' || typeof rs[1] !== 'number') throw new OpError(op, `recurrentWeight must be [D, G*H, H] with concrete G*H and H, got ${fmt(rs)}`, types);
  const g = KIND_GATES[kind];
  const rows = g * hidden;
  const want = (name: string, t: TensorType | undefined, shape: Dim[]) => {
    if (!t || t.shape.length !== shape.length || !t.shape.every((d, j) => sameDim(d, shape[j]!) || typeof d === 'string' || typeof shape[j] === 'string')) {
      throw new OpError(op, `${name} must have shape ${fmt(shape)}, got ${t ? fmt(t.shape) : 'nothing'}`, types);
    }
  };
  want('recurrentWeight', r, [dirs, rows, hidden]);
  want('weight', w, [dirs, rows, x!.shape[2]!]);
  want('bias', b, [dirs, 2 * rows]);
  for (let s = 0; s < states; s++) want(s ? 'initialC' : 'initialH', types[4 + s], [dirs, x!.shape[1]!, hidden]);
  const lens = types.length > 4 + states ? 4 + states : -1;
  if (lens >= 0) {
    const l = types[lens]!;
    if (l.dtype === 'bool') throw new OpError(op, 'sequenceLength must hold numbers, not bool', types);
    want('sequenceLength', l, [x!.shape[1]!]);
  }
  return { kind, dirs, hidden, lens };
}

function infer(kind: RecurrentKind, types: TensorType[], a: RecA): TensorType[] {
  const p = recPlan(kind, types, a);
  const [T, N] = types[0]!.shape;
  const state = { dtype: 'float32' as const, shape: [p.dirs, N!, p.hidden] };
  const outs: TensorType[] = [{ dtype: 'float32', shape: [T!, p.dirs, N!, p.hidden] }, state];
  if (kind === 'LSTM') outs.push({ ...state, shape: [...state.shape] });
  return outs;
}

function lower(kind: RecurrentKind, c: LowerCtx, a: RecA): void {
  const p = recPlan(kind, c.inTypes, a);
  const ins = c.inputs;
  if (lowerEmptyBatch(c, `Onnx${kind}`)) return;
  let lens = '';
  if (p.lens >= 0) {
    // ONNX wants int32 lengths: clipped to [0, T] in int64 first, as the kernel does (2^32 + 1 is T, not 1).
    const t = c.emit('Squeeze', [c.emit('Shape', [ins[0]!], { start: 0, end: 1 })[0]!, c.ints([0])])[0]!;
    lens = c.emit('Cast', [lengthsInt64(c, ins[p.lens]!, c.inTypes[p.lens]!.dtype, [0, t])], { to: 6 })[0]!;
  }
  const states = kind === 'LSTM' ? [ins[4]!, ins[5]!] : [ins[4]!];
  const attrs: Record<string, number | string | string[]> = { hidden_size: p.hidden, direction: a.direction };
  if (kind === 'RNN') attrs['activations'] = Array.from({ length: p.dirs }, () => (a.activation === 'relu' ? 'Relu' : 'Tanh'));
  if (kind === 'GRU') attrs['linear_before_reset'] = a.linearBeforeReset ? 1 : 0;
  c.emit(kind, [ins[0]!, ins[1]!, ins[2]!, ins[3]!, lens, ...states], attrs, c.outputs);
}

/**
 * The lowering of a recurrent operator (or of its gradient) on a batch known
 * to be empty (data [T, 0, I]): every output as zeros of its type (empty
 * sequences and states; zero weight gradients, a sum over no examples).
 * onnxruntime's LSTM and GRU kernels abort the process on an empty batch,
 * and its Gemm rewrites reshape one wrongly. Symbolic dimensions are read
 * from an input holding the same one. Returns false (emitting nothing) when
 * the batch is not known to be empty.
 *
 * ```ts
 * if (lowerEmptyBatch(c, 'OnnxLSTM')) return;
 * ```
 */
export function lowerEmptyBatch(c: LowerCtx, op: string): boolean {
  if (c.inTypes[0]!.shape[1] !== 0) return false;
  const dimOf = (d: string): string => {
    for (const [i, t] of c.inTypes.entries()) {
      const j = t.shape.indexOf(d);
      if (j >= 0) return c.emit('Shape', [c.inputs[i]!], { start: j, end: j + 1 })[0]!;
    }
    throw new OpError(op, `cannot lower an empty batch: no input holds the output's dimension '${d}'`, c.inTypes);
  };
  c.outTypes.forEach((t, k) => {
    const parts = t.shape.map((d) => (typeof d === 'number' ? c.ints([d]) : dimOf(d)));
    const shape = parts.length === 1 ? parts[0]! : c.emit('Concat', parts, { axis: 0 })[0]!;
    if (t.dtype === 'float32') c.emit('ConstantOfShape', [shape], {}, [c.outputs[k]!]);
    else c.emit('Cast', [c.emit('ConstantOfShape', [shape])[0]!], { to: onnxDType(t.dtype) }, [c.outputs[k]!]);
  });
  return true;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * The float64 reference kernel: ONNX's equations step by step; also takes
 * float64 inputs (the gradient rule's finite-difference test uses it).
 * Returns Y [T, D, N, H], Y_h, Y_c as Float64Arrays.
 *
 * ```ts
 * const [y, yh] = recurrentKernel('GRU', [x, w, r, b, h0], { direction: 'forward', linearBeforeReset: true });
 * ```
 */
export function recurrentKernel(kind: RecurrentKind, inputs: HostTensor[], a: RecA): Float64Array[] {
  const types = inputs.map((t) => ({ dtype: t.dtype, shape: t.shape }));
  const p = recPlan(kind, types, a, true);
  const [T, N, I] = inputs[0]!.shape as [number, number, number];
  const H = p.hidden;
  const G = KIND_GATES[kind];
  const [x, w, r, b, h0] = inputs.slice(0, 5).map(toF64) as Float64Array[];
  const c0 = kind === 'LSTM' ? toF64(inputs[5]!) : undefined;
  const lv = p.lens >= 0 ? toF64(inputs[p.lens]!) : undefined;
  const y = new Float64Array(T * p.dirs * N * H);
  const yh = new Float64Array(p.dirs * N * H);
  const yc = new Float64Array(p.dirs * N * H);
  const act = kind === 'RNN' && a.activation === 'relu' ? (v: number) => Math.max(v, 0) : Math.tanh;
  for (let d = 0; d < p.dirs; d++) {
    const reverse = a.direction === 'reverse' || d === 1;
    const wo = d * G * H * I;
    const ro = d * G * H * H;
    const bo = d * 2 * G * H;
    for (let n = 0; n < N; n++) {
      const len = lv ? Math.min(Math.max(indexValue(lv[n]!), 0), T) : T;
      const h = Float64Array.from({ length: H }, (_v, j) => h0![(d * N + n) * H + j]!);
      const c = Float64Array.from({ length: H }, (_v, j) => (c0 ? c0[(d * N + n) * H + j]! : 0));
      const xg = new Float64Array(G * H);
      const hg = new Float64Array(G * H);
      for (let s = 0; s < len; s++) {
        const t = reverse ? len - 1 - s : s;
        for (let q = 0; q < G * H; q++) {
          let u = b![bo + q]!;
          for (let k = 0; k < I; k++) u += w![wo + q * I + k]! * x![(t * N + n) * I + k]!;
          let v = b![bo + G * H + q]!;
          for (let k = 0; k < H; k++) v += r![ro + q * H + k]! * h[k]!;
          xg[q] = u;
          hg[q] = v;
        }
        if (kind === 'RNN') for (let j = 0; j < H; j++) h[j] = act(xg[j]! + hg[j]!);
        else if (kind === 'LSTM') {
          for (let j = 0; j < H; j++) {
            const g = (q: number) => xg[q * H + j]! + hg[q * H + j]!;
            const [ig, og, fg, cg] = [sigmoid(g(0)), sigmoid(g(1)), sigmoid(g(2)), Math.tanh(g(3))];
            c[j] = fg * c[j]! + ig * cg;
            h[j] = og * Math.tanh(c[j]!);
          }
        } else {
          const hPrev = h.slice();
          for (let j = 0; j < H; j++) {
            const z = sigmoid(xg[j]! + hg[j]!);
            const rg = sigmoid(xg[H + j]! + hg[H + j]!);
            let cand: number;
            if (a.linearBeforeReset) cand = Math.tanh(xg[2 * H + j]! + rg * hg[2 * H + j]!);
            else {
              // (r ⊙ h) Rhᵀ + Rbh
              let v = b![bo + G * H + 2 * H + j]!;
              for (let k = 0; k < H; k++) v += r![ro + (2 * H + j) * H + k]! * sigmoid(xg[H + k]! + hg[H + k]!) * hPrev[k]!;
              cand = Math.tanh(xg[2 * H + j]! + v);
            }
            h[j] = (1 - z) * cand + z * hPrev[j]!;
          }
        }
        for (let j = 0; j < H; j++) y[((t * p.dirs + d) * N + n) * H + j] = h[j]!;
      }
      // A sequence of length 0 has zero final states (onnxruntime's behaviour).
      for (let j = 0; j < H; j++) {
        yh[(d * N + n) * H + j] = len > 0 ? h[j]! : 0;
        yc[(d * N + n) * H + j] = len > 0 ? c[j]! : 0;
      }
    }
  }
  return kind === 'LSTM' ? [y, yh, yc] : [y, yh];
}

type RecSig = (data: Tx, weight: Tx, recurrentWeight: Tx, bias: Tx, initialH: Tx, sequenceLength?: Tx | RecurrentOpOptions, options?: RecurrentOpOptions) => Tx[];
type LstmSig = (data: Tx, weight: Tx, recurrentWeight: Tx, bias: Tx, initialH: Tx, initialC: Tx, sequenceLength?: Tx | RecurrentOpOptions, options?: RecurrentOpOptions) => Tx[];

function declare<S>(kind: RecurrentKind, extra: Record<string, string | boolean>): OpDef<S, RecA> {
  const states = kind === 'LSTM' ? ['initialH', 'initialC'] : ['initialH'];
  const spec: OpSpec<RecA> = {
    name: `Onnx${kind}`,
    inputs: ['data', 'weight', 'recurrentWeight', 'bias', ...states, 'sequenceLength?'],
    attrs: { direction: 'forward', ...extra },
    multiOutput: () => (kind === 'LSTM' ? 3 : 2),
    infer: (types, a) => infer(kind, types, a),
    lower: (c, a) => lower(kind, c, a),
    kernel: (inputs, a, outTypes) => recurrentKernel(kind, inputs, a).map((v, i) => fromF64(outTypes[i]!, v)),
    grad: (F, ctx, gs) => recurrentGrad(F, kind, ctx, gs),
  };
  return defineOp<S, RecA>(spec as never);
}

/**
 * ONNX's `RNN`: `H_t = act(X_t Wᵀ + H_(t-1) Rᵀ + Wb + Rb)`; gives `[Y, Y_h]`.
 *
 * ```ts
 * // x [T, N, I], w [1, H, I], r [1, H, H], b [1, 2H], h0 [1, N, H]
 * const [y, hT] = F.OnnxRNN(x, w, r, b, h0, { activation: 'relu' }); // y [T, 1, N, H]
 * ```
 */
export const OnnxRNN: OpDef<RecSig, RecA> = declare<RecSig>('RNN', { activation: 'tanh' });

/**
 * ONNX's `LSTM` (gates i, o, f, c; no peepholes): gives `[Y, Y_h, Y_c]`.
 *
 * ```ts
 * // w [D, 4H, I], r [D, 4H, H], b [D, 8H], h0 and c0 [D, N, H], lens [N]
 * const [y, hT, cT] = F.OnnxLSTM(x, w, r, b, h0, c0, lens, { direction: 'bidirectional' });
 * ```
 */
export const OnnxLSTM: OpDef<LstmSig, RecA> = declare<LstmSig>('LSTM', {});

/**
 * ONNX's `GRU` (gates z, r, h): gives `[Y, Y_h]`; `linearBeforeReset: true`
 * is MXNet's GRU (`h~ = tanh(X Whᵀ + Wbh + r ⊙ (H Rhᵀ + Rbh))`).
 *
 * ```ts
 * const [y, hT] = F.OnnxGRU(x, w, r, b, h0, { linearBeforeReset: true });
 * ```
 */
export const OnnxGRU: OpDef<RecSig, RecA> = declare<RecSig>('GRU', { linearBeforeReset: false });

/** The recurrent operators by F name. */
export const RNN_OPS = { OnnxRNN, OnnxLSTM, OnnxGRU } as const;
