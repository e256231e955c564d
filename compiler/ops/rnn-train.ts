/**
 * ONNX's LSTM in training graphs: `F.OnnxLSTMTrain` computes what `OnnxLSTM`
 * does and also returns the activations its gradient needs, and
 * `F.OnnxLSTMTrainGrad` is the gradient that reads them instead of
 * recomputing the forward (`OnnxRecurrentGrad` recomputes every step's
 * gates with two matmuls over the sequence and the cell states with a
 * forward Scan). The pass `save-recurrent-activations` puts this pair in
 * place of `OnnxLSTM` + `OnnxRecurrentGrad` in training graphs; inference
 * graphs keep ONNX's fused LSTM kernel.
 *
 * Lowering: the input projection X·Wᵀ + Wb + Rb of all steps is one Gemm;
 * one Scan (both directions in one body) does per step the recurrent Gemm
 * h·Rᵀ + xw_t, the activations and the cell update; the backward is one
 * reverse-time Scan (per step: the state gradients and one Gemm), then the
 * weight gradients are one Gemm over all steps. Per step, with ONNX's
 * gate order i, o, f, c: i, o, f = σ(gates), g = tanh(c-gate), then
 * c_t = f ⊙ c_(t-1) + i ⊙ g and h_t = o ⊙ tanh(c_t); the saved activations
 * are i, o, f, g, ig = i ⊙ g, fc = f ⊙ c_(t-1) and tc = tanh(c_t), each
 * [T, D, N, H], time-aligned (the reverse direction's step t at index t).
 * Optional sequence lengths (ONNX's `sequence_lens`, clipped to [0, T]): a
 * step past a length keeps the states (a Where in the Scan) and gives Y = 0,
 * a length of 0 gives zero final states (as ONNX's LSTM in onnxruntime); the
 * gradient passes the state gradients through such steps.
 * Invariants: T and N may be symbolic, H and I concrete; float32 or float64
 * (Gemm, Sigmoid, Tanh and Scan run both); T ≥ 1 at run time.
 * Measured at T = 256, hidden 64, batch 8, one thread (python3
 * test/bench/scan-bodies.py; test/bench/RESULTS.md): no form tried beats
 * these bodies in the whole step — fewer saved outputs (the rest recomputed
 * outside), two Gemms fused with their activations, two steps per
 * iteration, Loop (1.5×), onnxruntime's LSTM as the body (1.1×); a step's
 * Gemm is ~4 us of its ~8, onnxruntime packing R on every call.
 */
import type { TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';
import { lengthsInt64 } from './indices.js';
import { lowerEmptyBatch, recPlan, type RecA } from './rnn.js';

type TrainSig = (data: Tx, weight: Tx, recurrentWeight: Tx, bias: Tx, initialH: Tx, initialC: Tx, sequenceLength?: Tx | { direction?: 'forward' | 'reverse' | 'bidirectional' }, options?: { direction?: 'forward' | 'reverse' | 'bidirectional' }) => Tx[];
type GradSig = (...args: [...Tx[], { direction?: 'forward' | 'reverse' | 'bidirectional' }]) => Tx[];

const fmt = (s: readonly unknown[]) => `[${s.join(', ')}]`;

/** Checks the forward's inputs (ONNX's LSTM, optional lengths); gives D, H and where the lengths are. */
function trainPlan(op: string, types: TensorType[], a: RecA) {
  if (types.length !== 6 && types.length !== 7) throw new OpError(op, `takes 6 or 7 inputs (data, weight, recurrentWeight, bias, initialH, initialC, optional sequenceLength), got ${types.length}`, types);
  return recPlan('LSTM', types, a, true, op);
}

function inferTrain(types: TensorType[], a: RecA): TensorType[] {
  const p = trainPlan('OnnxLSTMTrain', types, a);
  const dtype = types[0]!.dtype;
  const [T, N] = types[0]!.shape;
  const seq = (): TensorType => ({ dtype, shape: [T!, p.dirs, N!, p.hidden] });
  const state = (): TensorType => ({ dtype, shape: [p.dirs, N!, p.hidden] });
  return [seq(), state(), state(), ...SAVED.map(seq)];
}

/** The activations OnnxLSTMTrain saves, in output order after Y, Y_h, Y_c (each [T, D, N, H]). */
const SAVED = ['i', 'o', 'f', 'g', 'ig', 'fc', 'tc'] as const;

/** Small emit helpers over one lowering context. */
function helpers(c: LowerCtx) {
  const e1 = (op: string, ins: string[], attrs: Record<string, number | number[] | string> = {}) => c.emit(op, ins, attrs)[0]!;
  return {
    e1,
    mul: (x: string, y: string) => e1('Mul', [x, y]),
    /** Elements [begin, end) of `axis`. */
    slice: (x: string, axis: number, begin: number, end: number) => e1('Slice', [x, c.ints([begin]), c.ints([end]), c.ints([axis])]),
    /** Index `i` of `axis`, the axis removed (a Squeeze, which aliases, when the axis has size 1). */
    at: (x: string, axis: number, i: number, size: number) => (size === 1 ? e1('Squeeze', [x, c.ints([axis])]) : e1('Gather', [x, c.scalar(i, 'int64')], { axis })),
    /** Stacks along a new axis `axis` (an Unsqueeze for one). */
    stack: (xs: string[], axis: number) => (xs.length === 1 ? e1('Unsqueeze', [xs[0]!, c.ints([axis])]) : e1('Concat', xs.map((x) => e1('Unsqueeze', [x, c.ints([axis])])), { axis })),
  };
}

/**
 * The length masks of input k (ONNX's `sequence_lens`, clipped to [0, T]): keep
 * [T, N, 1] bool (t < length), m its 0/1 form in the data's dtype, notM =
 * 1 - m, live [N, 1] (1 where the length is not 0: a length-0 sequence has
 * zero final states) and first [T, N, 1] (1 at step length-1).
 */
function lengthMasks(c: LowerCtx, x: string, k: number) {
  const dtype = c.inTypes[0]!.dtype;
  const e1 = (op: string, ins: string[], attrs: Record<string, number> = {}) => c.emit(op, ins, attrs)[0]!;
  const to = dtype === 'float64' ? 11 : 1;
  const t0 = e1('Squeeze', [e1('Shape', [x], { start: 0, end: 1 }), c.ints([0])]);
  const lens = lengthsInt64(c, c.inputs[k]!, c.inTypes[k]!.dtype, [0, t0]);
  const steps = e1('Unsqueeze', [e1('Range', [c.scalar(0, 'int64'), t0, c.scalar(1, 'int64')]), c.ints([1])]);
  const keep = e1('Unsqueeze', [e1('Less', [steps, e1('Unsqueeze', [lens, c.ints([0])])]), c.ints([2])]);
  const m = e1('Cast', [keep], { to });
  const last = e1('Unsqueeze', [e1('Sub', [lens, c.scalar(1, 'int64')]), c.ints([0])]);
  return {
    keep,
    m,
    /** [T, N, 1]: 1 at step length-1 (the reverse direction's first step). */
    first: e1('Unsqueeze', [e1('Cast', [e1('Equal', [steps, last])], { to }), c.ints([2])]),
    notM: e1('Sub', [c.scalar(1, dtype), m]),
    live: e1('Unsqueeze', [e1('Cast', [e1('Greater', [lens, c.scalar(0, 'int64')])], { to }), c.ints([1])]),
  };
}

/** Body values are [batch, width] matrices (onnxruntime wants every body output's shape set). */
function matType(c: LowerCtx, k: { n: number }) {
  return () => ({ dtype: c.inTypes[0]!.dtype, shape: ['rnn_batch', `rnn_width${k.n++}`] });
}

const isReverse = (a: RecA, d: number) => a.direction === 'reverse' || d === 1;

function lowerTrain(c: LowerCtx, a: RecA): void {
  const p = trainPlan('OnnxLSTMTrain', c.inTypes, a);
  if (lowerEmptyBatch(c, 'OnnxLSTMTrain')) return;
  const { e1, mul, slice, at, stack } = helpers(c);
  const [x, W, R, B, h0, c0] = c.inputs as [string, string, string, string, string, string];
  const H = p.hidden;
  const I = c.inTypes[0]!.shape[2] as number;
  const D = p.dirs;
  // With lengths, a step past a sequence's length keeps the states (Where on a bool mask) and gives Y = 0.
  const masks = p.lens >= 0 ? lengthMasks(c, x, p.lens) : undefined;
  // [T, N, 4H] from [T*N, 4H]: the first two dimensions of x, then 4H.
  const tn4h = e1('Concat', [e1('Shape', [x], { start: 0, end: 2 }), c.ints([4 * H])], { axis: 0 });
  const x2 = e1('Reshape', [x, c.ints([-1, I])]);
  const Rd: string[] = [];
  const xw: string[] = [];
  const hc0: string[] = [];
  for (let d = 0; d < D; d++) {
    const Bd = at(B, 0, d, D);
    const bias = e1('Add', [slice(Bd, 0, 0, 4 * H), slice(Bd, 0, 4 * H, 8 * H)]);
    xw.push(e1('Reshape', [e1('Gemm', [x2, at(W, 0, d, D), bias], { transB: 1 }), tn4h]));
    Rd.push(at(R, 0, d, D));
    hc0.push(at(h0, 0, d, D), at(c0, 0, d, D));
  }
  const mat = matType(c, { n: 0 });
  const sizes = c.ints([3 * H, H]);
  const thirds = c.ints([H, H, H]);
  const seqs = xw.flatMap((v) => (masks ? [v, masks.keep] : [v]));
  const per = masks ? 2 : 1;
  const seqTypes = seqs.map((_v, j) => (masks && j % 2 ? { dtype: 'bool' as const, shape: ['rnn_batch', 'rnn_one'] } : mat()));
  const body = c.graph([...hc0.map(mat), ...seqTypes], (names) => {
    const states: string[] = [];
    const saved: string[] = [];
    for (let d = 0; d < D; d++) {
      const [h, cs, xt] = [names[2 * d]!, names[2 * d + 1]!, names[2 * D + per * d]!];
      const pre = e1('Gemm', [h, Rd[d]!, xt], { transB: 1 });
      const [p3, pg] = c.emit('Split', [pre, sizes], { axis: 1 }, 2) as [string, string];
      const s3 = e1('Sigmoid', [p3]);
      const g = e1('Tanh', [pg]);
      const [i, o, f] = c.emit('Split', [s3, thirds], { axis: 1 }, 3) as [string, string, string];
      const fc = mul(f, cs);
      const ig = mul(i, g);
      const cn = e1('Add', [fc, ig]);
      const tc = e1('Tanh', [cn]);
      const hn = mul(o, tc);
      if (masks) {
        const keep = names[2 * D + per * d + 1]!;
        states.push(e1('Where', [keep, hn, h]), e1('Where', [keep, cn, cs]));
      } else states.push(hn, cn);
      saved.push(i, o, f, g, ig, fc, tc);
    }
    return [...states, ...saved].map((name) => ({ name, ...mat() }));
  });
  const dirs = Array.from({ length: D }, (_v, d) => (isReverse(a, d) ? 1 : 0));
  const outs = c.emit('Scan', [...hc0, ...seqs], { body, num_scan_inputs: seqs.length, scan_input_directions: dirs.flatMap((v) => Array.from({ length: per }, () => v)), scan_output_directions: dirs.flatMap((v) => SAVED.map(() => v)) }, (2 + SAVED.length) * D);
  const st = (k: number) => Array.from({ length: D }, (_v, d) => (masks ? mul(outs[2 * d + k]!, masks.live) : outs[2 * d + k]!));
  const sv = (k: number) => Array.from({ length: D }, (_v, d) => outs[2 * D + SAVED.length * d + k]!);
  // h_t = o ⊙ tanh(c_t) over all steps at once (the same products the body computed), 0 past the length.
  const ys = Array.from({ length: D }, (_v, d) => (masks ? mul(mul(sv(1)[d]!, sv(6)[d]!), masks.m) : mul(sv(1)[d]!, sv(6)[d]!)));
  const [Y, Yh, Yc, ...saved] = c.outputs;
  c.emit('Identity', [stack(ys, 1)], {}, [Y!]);
  c.emit('Identity', [stack(st(0), 0)], {}, [Yh!]);
  c.emit('Identity', [stack(st(1), 0)], {}, [Yc!]);
  saved.forEach((name, k) => c.emit('Identity', [stack(sv(k), 1)], {}, [name]));
}

/** The gradient's inputs after data, weight, recurrentWeight and initialH. */
const GRAD_INPUTS = ['Y', ...SAVED, 'gradY', 'gradH', 'gradC'] as const;

/** Checks the gradient's inputs: data, weight, recurrentWeight, initialH, Y, the saved activations, gradY, gradH, gradC. */
function gradPlan(types: TensorType[], a: RecA) {
  const op = 'OnnxLSTMTrainGrad';
  const n = 4 + GRAD_INPUTS.length;
  if (types.length !== n && types.length !== n + 1) throw new OpError(op, `takes ${n} or ${n + 1} inputs (data, weight, recurrentWeight, initialH, ${GRAD_INPUTS.join(', ')}, optional sequenceLength), got ${types.length}`, types);
  const [x, w, r, h0] = types as [TensorType, TensorType, TensorType, TensorType];
  const bias: TensorType = { dtype: x.dtype, shape: [r.shape[0] ?? 1, 2 * (r.shape[1] as number)] };
  const p = recPlan('LSTM', [x, w, r, bias, h0, h0, ...types.slice(n)], a, true, op);
  const [T, N] = x.shape;
  const seq = [T!, p.dirs, N!, p.hidden];
  const state = [p.dirs, N!, p.hidden];
  types.slice(4, n).forEach((t, j) => {
    const s = j < GRAD_INPUTS.length - 2 ? seq : state;
    if (t.dtype !== x.dtype) throw new OpError(op, `${GRAD_INPUTS[j]} must be ${x.dtype} like the data, got ${t.dtype}`, types);
    if (t.shape.length !== s.length || !t.shape.every((v, k) => v === s[k] || typeof v === 'string' || typeof s[k] === 'string')) {
      throw new OpError(op, `${GRAD_INPUTS[j]} (input ${4 + j}) must have shape ${fmt(s)}, got ${fmt(t.shape)}`, types);
    }
  });
  return p;
}

function inferGrad(types: TensorType[], a: RecA): TensorType[] {
  const p = gradPlan(types, a);
  const [x, w, r, h0] = types as [TensorType, TensorType, TensorType, TensorType];
  const copy = (t: TensorType): TensorType => ({ dtype: t.dtype, shape: [...t.shape] });
  return [copy(x), copy(w), copy(r), { dtype: x.dtype, shape: [p.dirs, 8 * p.hidden] }, copy(h0), copy(h0)];
}

function lowerGrad(c: LowerCtx, a: RecA): void {
  const p = gradPlan(c.inTypes, a);
  if (lowerEmptyBatch(c, 'OnnxLSTMTrainGrad')) return;
  const { e1, mul, at, stack } = helpers(c);
  const [x, W, R, h0] = c.inputs as [string, string, string, string];
  const [Y, ...savedIn] = c.inputs.slice(4, 5 + SAVED.length);
  const [gY, gYh, gYc] = c.inputs.slice(5 + SAVED.length, 8 + SAVED.length) as [string, string, string];
  const H = p.hidden;
  const I = c.inTypes[0]!.shape[2] as number;
  const D = p.dirs;
  // With lengths, a step past a sequence's length passes the state gradients through (ds = 0 there; the
  // forget gate taken as 1, the h-state carried) and its Y gets none; a length-0 sequence's final states none.
  const masks = p.lens >= 0 ? lengthMasks(c, x, c.inputs.length - 1) : undefined;
  const masked = (v: string) => (masks ? mul(v, masks.m) : v);
  const live = (v: string) => (masks ? mul(v, masks.live) : v);
  const Rd: string[] = [];
  const init: string[] = [];
  const seqs: string[][] = [];
  const hPrev: string[] = [];
  for (let d = 0; d < D; d++) {
    const rev = isReverse(a, d);
    Rd.push(at(R, 0, d, D));
    const y = at(Y!, 1, d, D);
    const gy = masked(at(gY, 1, d, D));
    const [i, o, f, g, ig, fc, tc] = savedIn.map((v) => at(v, 1, d, D)) as [string, string, string, string, string, string, string];
    // The value at the step before t in the forward's order (t-1 forward, t+1 reverse), zero at the first
    // step: a Pad that adds a zero step on one end and drops one on the other (one copy).
    const before = (v: string) => e1('Pad', [v, c.ints(rev ? [-1, 0, 0, 1, 0, 0] : [1, 0, 0, -1, 0, 0])]);
    // h_(t-1), with 0 for h0 (its term of the R gradient is added after the Scan).
    // (Reverse with lengths: the first step, length-1, reads h0 — added here; else after the Scan.)
    hPrev.push(masks && rev ? e1('Add', [before(y), mul(masks.first, at(h0, 0, d, D))]) : before(y));
    // dL/dh_t = gY_t + (ds_(t+1) · R): the state carries it whole, the Gemm adds the gY of the step before.
    const gyBefore = before(gy);
    const last = e1('Gather', [gy, c.scalar(rev ? 0 : -1, 'int64')], { axis: 0 });
    init.push(e1('Add', [live(at(gYh, 0, d, D)), last]), live(at(gYc, 0, d, D)));
    // dc_t += dh_t ⊙ A with A = o ⊙ (1 - tc²); ds = [dc ⊙ Ki, dh ⊙ Ko, dc ⊙ Kf, dc ⊙ Kg] with the gates' derivatives
    // Ki = g ⊙ i(1-i), Ko = tc ⊙ o(1-o), Kf = c_(t-1) ⊙ f(1-f), Kg = i ⊙ (1-g²), written as u - u ⊙ v on the saved products.
    const less = (u: string, v: string) => e1('Sub', [u, mul(u, v)]);
    const A = masked(e1('Sub', [o, mul(y, tc)]));
    const K = masked(e1('Concat', [less(ig, i), less(y, o), less(fc, f), e1('Sub', [i, mul(ig, g)])], { axis: 2 }));
    seqs.push(masks ? [gyBefore, A, K, e1('Add', [mul(f, masks.m), masks.notM]), masks.notM] : [gyBefore, A, K, f]);
  }
  const per = masks ? 5 : 4;
  const mat = matType(c, { n: 0 });
  const body = c.graph([...init.map(mat), ...seqs.flat().map(mat)], (names) => {
    const states: string[] = [];
    const ds: string[] = [];
    for (let d = 0; d < D; d++) {
      const [dh, dc] = [names[2 * d]!, names[2 * d + 1]!];
      const [gyb, A, K, f, notM] = names.slice(2 * D + per * d, 2 * D + per * (d + 1)) as [string, string, string, string, string | undefined];
      const dcN = e1('Add', [dc, mul(dh, A)]);
      const dsT = mul(e1('Concat', [dcN, dh, dcN, dcN], { axis: 1 }), K);
      states.push(e1('Gemm', [dsT, Rd[d]!, notM ? e1('Add', [gyb, mul(notM, dh)]) : gyb]), mul(dcN, f));
      ds.push(dsT);
    }
    return [...states, ...ds].map((name) => ({ name, ...mat() }));
  });
  // The backward runs against the forward's order.
  const dirs = Array.from({ length: D }, (_v, d) => (isReverse(a, d) ? 0 : 1));
  const outs = c.emit('Scan', [...init, ...seqs.flat()], { body, num_scan_inputs: per * D, scan_input_directions: dirs.flatMap((v) => Array.from({ length: per }, () => v)), scan_output_directions: dirs }, 3 * D);
  const dx: string[] = [];
  const grads: string[][] = [[], [], [], [], []];
  for (let d = 0; d < D; d++) {
    const ds2 = e1('Reshape', [outs[2 * D + d]!, c.ints([-1, 4 * H])]);
    // Both weight gradients in one Gemm: dsᵀ · [x, h_(t-1)].
    const xh = e1('Reshape', [e1('Concat', [x, hPrev[d]!], { axis: 2 }), c.ints([-1, I + H])]);
    const [gW, gR0] = c.emit('Split', [e1('Gemm', [ds2, xh], { transA: 1 }), c.ints([I, H])], { axis: 1 }, 2) as [string, string];
    // The first step's h_(t-1) is h0: ds_firstᵀ · h0 (reverse with lengths: already in h_(t-1)).
    const dsFirst = e1('Gather', [outs[2 * D + d]!, c.scalar(isReverse(a, d) ? -1 : 0, 'int64')], { axis: 0 });
    const gR = masks && isReverse(a, d) ? gR0 : e1('Gemm', [dsFirst, at(h0, 0, d, D), gR0], { transA: 1 });
    const gb = e1('ReduceSum', [ds2, c.ints([0])], { keepdims: 0 });
    // [T, N, 4H] · [4H, I] as one MatMul (onnxruntime folds T·N into one GEMM): no flat Gemm and Reshape
    // by Shape(x) after it, two nodes fewer.
    dx.push(e1('MatMul', [outs[2 * D + d]!, at(W, 0, d, D)]));
    [gW, gR, e1('Concat', [gb, gb], { axis: 0 }), outs[2 * d]!, outs[2 * d + 1]!].forEach((v, j) => grads[j]!.push(v));
  }
  const [gx, ...rest] = c.outputs;
  c.emit(dx.length === 1 ? 'Identity' : 'Add', dx, {}, [gx!]);
  grads.forEach((parts, j) => c.emit('Identity', [stack(parts, 0)], {}, [rest[j]!]));
}

/**
 * ONNX's LSTM (optional sequence lengths) that also returns the activations
 * its gradient needs: `[Y, Y_h, Y_c, i, o, f, g, ig, fc, tc]`, the last seven
 * [T, D, N, H] (see the module comment). Training graphs get it from the
 * pass `save-recurrent-activations`; its gradient is `OnnxLSTMTrainGrad`.
 *
 * ```ts
 * const [y, hT, cT, ...saved] = F.OnnxLSTMTrain(x, w, r, b, h0, c0, { direction: 'bidirectional' });
 * ```
 */
export const OnnxLSTMTrain: OpDef<TrainSig, RecA> = defineOp<TrainSig, RecA>({
  name: 'OnnxLSTMTrain',
  inputs: ['data', 'weight', 'recurrentWeight', 'bias', 'initialH', 'initialC', 'sequenceLength?'],
  attrs: { direction: 'forward' },
  multiOutput: () => 7,
  infer: inferTrain,
  lower: lowerTrain,
  grad: null,
  noGradReason: 'training graphs differentiate OnnxLSTM; the pass save-recurrent-activations puts OnnxLSTMTrain and OnnxLSTMTrainGrad in after differentiation',
});

/**
 * The gradient of `OnnxLSTMTrain` from its saved activations: inputs data,
 * weight, recurrentWeight, initialH, then its outputs Y, i, o, f, g, ig, fc,
 * tc, then the gradients of Y, Y_h and Y_c, then the forward's sequence
 * lengths if it had them; outputs the gradients of data, weight,
 * recurrentWeight, bias, initialH and initialC.
 *
 * ```ts
 * const [dx, dW, dR, dB, dh0, dc0] = F.OnnxLSTMTrainGrad(x, w, r, h0, y, ...saved, gy, ghT, gcT, {});
 * ```
 */
export const OnnxLSTMTrainGrad: OpDef<GradSig, RecA> = defineOp<GradSig, RecA>({
  name: 'OnnxLSTMTrainGrad',
  inputs: ['...inputs'],
  attrs: { direction: 'forward' },
  multiOutput: () => 6,
  infer: inferGrad,
  lower: lowerGrad,
  grad: null,
  noGradReason: 'the gradient of a recurrent operator has no gradient of its own (no second derivatives through time)',
} as never);

/** The operators by F name. */
export const RNN_TRAIN_OPS = { OnnxLSTMTrain, OnnxLSTMTrainGrad } as const;
