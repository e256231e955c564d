/**
 * MXNet's `CTCLoss` (aliases `ctc_loss`, `_contrib_CTCLoss`,
 * `_contrib_ctc_loss`; MXNet 2's `npx.ctc_loss`; source
 * src/operator/nn/ctc_loss-inl.h): connectionist temporal classification,
 * the negative log-probability of each batch entry's label sequence summed
 * over all alignments. data [T, N, C] holds unnormalized activations (a
 * log-softmax over C is taken inside), label [N, L] the padded label
 * sequences; optional dataLengths [N] (`useDataLengths`) and labelLengths
 * [N] (`useLabelLengths`), in that order, the ones asked for present.
 * Without labelLengths, a label ends at its first padding value: 0 with
 * `blankLabel: 'first'` (blank is class 0, labels 1..C-1), -1 with 'last'
 * (blank is C-1, labels 0..C-2), as LabelTensorToPackedVector does.
 * Without dataLengths every entry has all T frames. Output: loss [N].
 *
 * The forward is the log-space alpha recursion over the extended label
 * (blank, l1, blank, ..., lL, blank: S = 2L + 1 states) from a virtual
 * start state before frame 0, so no special first step is needed: frames
 * past an entry's length leave its alphas unchanged. The TypeScript kernel
 * runs it in float64; the lowering is an ONNX `Scan` over time (any T,
 * symbolic included) in float64. An impossible alignment (L plus the
 * repeated neighbours is more than the entry's frames) is +inf, as the
 * mathematics and PyTorch's `ctc_loss` give; MXNet's warp-ctc returns 0
 * there (its source: "TODO, not right to return 0"). Such an entry gets no
 * gradient.
 *
 * The gradient (`CTCLossGrad`, for a head gradient of ones) is MXNet's
 * loss gradient through the softmax: softmax(data) minus the posterior
 * occupation of each class, from the alphas and a reverse Scan of the
 * betas; 0 past an entry's data length (MXNet masks it so too). CTCLoss's
 * rule scales it by the loss's gradient per entry; the label and lengths
 * get none.
 * Bad values (a label that is no class, a length out of range) are an
 * Error naming CTCLoss eagerly; a compiled graph cannot throw, so there
 * the entry's loss and gradient are NaN.
 * Invariants: C and L are known numbers; inputs after label follow the
 * flags; the loss has the data's dtype.
 */
import { formatShape, tensorFromNumbers, type HostTensor } from '../../runtime/tensor.js';
import { onnxDType } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OpDef, type Tx } from './define.js';
import { sameDim } from './dims.js';
import { OpError } from './errors.js';
import type { GradTensor } from './grad-ops.js';
import { emitReduce } from './reduce-lower.js';

type CtcA = Attrs & { useDataLengths: boolean; useLabelLengths: boolean; blankLabel: string };

/** CTCLoss's options (MXNet's `use_data_lengths`, `use_label_lengths`, `blank_label`). */
export interface CtcLossOptions {
  useDataLengths?: boolean;
  useLabelLengths?: boolean;
  blankLabel?: 'first' | 'last';
}

const FLOATS = ['float32', 'float64', 'float16'];
const NUMERIC = [...FLOATS, 'int32', 'int64', 'int8', 'uint8'];

/** The checked layout of a CTCLoss call. */
interface Plan {
  T: Dim;
  C: number;
  L: number;
  S: number;
  blank: number;
  /** Index of the dataLengths / labelLengths input, or -1. */
  dl: number;
  ll: number;
}

/** Checks the inputs and options of CTCLoss (or its gradient, `op`). */
function plan(op: string, types: TensorType[], a: CtcA): Plan {
  if (a.blankLabel !== 'first' && a.blankLabel !== 'last') throw new OpError(op, `blankLabel must be 'first' or 'last', got ${JSON.stringify(a.blankLabel)}`, types);
  if (typeof a.useDataLengths !== 'boolean' || typeof a.useLabelLengths !== 'boolean') throw new OpError(op, `useDataLengths and useLabelLengths must be booleans`, types);
  const want = 2 + Number(a.useDataLengths) + Number(a.useLabelLengths);
  if (types.length !== want) {
    throw new OpError(op, `takes data, label${a.useDataLengths ? ', dataLengths' : ''}${a.useLabelLengths ? ', labelLengths' : ''} (useDataLengths ${a.useDataLengths}, useLabelLengths ${a.useLabelLengths}): ${want} inputs, got ${types.length}`, types);
  }
  const [x, y] = types as [TensorType, TensorType];
  if (!FLOATS.includes(x.dtype)) throw new OpError(op, `data must be float32, float64 or float16, got ${x.dtype}`, types);
  if (x.shape.length !== 3) throw new OpError(op, `data must be [T, N, C] (sequence length, batch, classes), got ${formatShape(x.shape)}`, types);
  if (y.shape.length !== 2) throw new OpError(op, `label must be [N, L] (batch, label length), got ${formatShape(y.shape)}`, types);
  if (!NUMERIC.includes(y.dtype)) throw new OpError(op, `label must be numeric, got ${y.dtype}`, types);
  const [T, N, C] = x.shape as [Dim, Dim, Dim];
  if (!sameDim(N, y.shape[0]!)) throw new OpError(op, `the batch sizes of data ${formatShape(x.shape)} (axis 1) and label ${formatShape(y.shape)} (axis 0) differ`, types);
  if (typeof C !== 'number') throw new OpError(op, `needs the number of classes (data's axis 2) known, got ${formatShape(x.shape)}`, types);
  if (C < 1) throw new OpError(op, `needs at least one class (the blank), got data ${formatShape(x.shape)}`, types);
  const L = y.shape[1]!;
  if (typeof L !== 'number') throw new OpError(op, `needs the label width (label's axis 1) known, got ${formatShape(y.shape)}`, types);
  if (typeof T === 'number' && L > T) throw new OpError(op, `the label width ${L} exceeds the sequence length ${T} of data ${formatShape(x.shape)}`, types);
  const dl = a.useDataLengths ? 2 : -1;
  const ll = a.useLabelLengths ? 2 + Number(a.useDataLengths) : -1;
  for (const [k, name] of [[dl, 'dataLengths'], [ll, 'labelLengths']] as const) {
    if (k < 0) continue;
    const t = types[k]!;
    if (!NUMERIC.includes(t.dtype)) throw new OpError(op, `${name} must be numeric, got ${t.dtype}`, types);
    if (t.shape.length !== 1 || !sameDim(t.shape[0]!, N)) throw new OpError(op, `${name} must be [N] = [${N}], got ${formatShape(t.shape)}`, types);
  }
  return { T, C, L, S: 2 * L + 1, blank: a.blankLabel === 'first' ? 0 : C - 1, dl, ll };
}

const logAdd = (a: number, b: number): number => {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
};

/** An integer length read from a lengths tensor, checked to lie in [0, max]. */
function lengthAt(t: HostTensor, n: number, max: number, name: string, types: TensorType[]): number {
  const v = Number(t.data[n]);
  if (!Number.isInteger(v) || v < 0 || v > max) throw new OpError('CTCLoss', `${name}[${n}] must be an integer in [0, ${max}], got ${v}`, types);
  return v;
}

/**
 * The float64 CTC of every batch entry: the losses [N] and, with `grad`,
 * d(sum of losses)/d(data) [T, N, C] (0 past each data length and for
 * an impossible entry). Bad lengths or label values are an Error naming
 * CTCLoss, the entry and the value.
 */
function ctcHost(inputs: HostTensor[], a: CtcA, grad: boolean): { loss: Float64Array; dx: Float64Array | null } {
  const types = inputs.map((t) => ({ dtype: t.dtype, shape: [...t.shape] }));
  const p = plan('CTCLoss', types, a);
  const [x, y] = inputs as [HostTensor, HostTensor];
  const [T, N] = x.shape as [number, number];
  const { C, L, blank } = p;
  const loss = new Float64Array(N);
  const dx = grad ? new Float64Array(T * N * C) : null;
  const pad = a.blankLabel === 'first' ? 0 : -1;
  for (let n = 0; n < N; n++) {
    const Tn = p.dl >= 0 ? lengthAt(inputs[p.dl]!, n, T, 'dataLengths', types) : T;
    let Ln = L;
    if (p.ll >= 0) Ln = lengthAt(inputs[p.ll]!, n, L, 'labelLengths', types);
    else for (let k = 0; k < L; k++) if (Number(y.data[n * L + k]) === pad) { Ln = k; break; }
    const ext: number[] = [blank];
    for (let k = 0; k < Ln; k++) {
      const v = Number(y.data[n * L + k]);
      const ok = Number.isInteger(v) && v >= 0 && v < C && v !== blank;
      if (!ok) throw new OpError('CTCLoss', `label[${n}][${k}] = ${v} is no class: with blankLabel '${a.blankLabel}' labels are integers in [${a.blankLabel === 'first' ? `1, ${C - 1}` : `0, ${C - 2}`}]`, types);
      ext.push(v, blank);
    }
    const S = ext.length;
    // log-softmax of each frame's activations.
    const lp = new Float64Array(Tn * C);
    for (let t = 0; t < Tn; t++) {
      const o = (t * N + n) * C;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, Number(x.data[o + c]));
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(Number(x.data[o + c]) - m);
      const z = m + Math.log(s);
      for (let c = 0; c < C; c++) lp[t * C + c] = Number(x.data[o + c]) - z;
    }
    const skip = ext.map((v, s) => s >= 2 && v !== blank && v !== ext[s - 2]);
    // alphas[t][s]: log-probability of the first t + 1 frames ending in state s; from a virtual start at state 0.
    const alphas: Float64Array[] = [];
    let prev = new Float64Array(S).fill(-Infinity);
    prev[0] = 0;
    for (let t = 0; t < Tn; t++) {
      const cur = new Float64Array(S);
      for (let s = 0; s < S; s++) {
        let v = logAdd(prev[s]!, s >= 1 ? prev[s - 1]! : -Infinity);
        if (skip[s]) v = logAdd(v, prev[s - 2]!);
        cur[s] = v + lp[t * C + ext[s]!]!;
      }
      alphas.push(cur);
      prev = cur;
    }
    const ll = logAdd(prev[S - 1]!, S >= 2 ? prev[S - 2]! : -Infinity);
    loss[n] = -ll;
    if (!dx || ll === -Infinity) continue;
    // betas[s] at frame t: log-probability of frames t + 1.. given state s at t (its own frame excluded).
    let beta = new Float64Array(S).fill(-Infinity);
    beta[S - 1] = 0;
    if (S >= 2) beta[S - 2] = 0;
    for (let t = Tn - 1; t >= 0; t--) {
      const occ = new Float64Array(C);
      for (let s = 0; s < S; s++) occ[ext[s]!]! += Math.exp(alphas[t]![s]! + beta[s]! - ll);
      const o = (t * N + n) * C;
      for (let c = 0; c < C; c++) dx[o + c] = Math.exp(lp[t * C + c]!) - occ[c]!;
      const next = new Float64Array(S);
      const u = (s: number) => (s < S ? beta[s]! + lp[t * C + ext[s]!]! : -Infinity);
      for (let s = 0; s < S; s++) {
        let v = logAdd(u(s), u(s + 1));
        if (s + 2 < S && skip[s + 2]) v = logAdd(v, u(s + 2));
        next[s] = v;
      }
      beta = next;
    }
  }
  return { loss, dx };
}

/** The lowering's shared part: the extended labels, emissions, masks and the forward Scan (float64). */
function emitAlphas(c: LowerCtx, a: CtcA) {
  const p = plan('CTCLoss', c.inTypes, a);
  const { S, L, C, blank } = p;
  const e1 = (op: string, ins: string[], attrs?: Parameters<LowerCtx['emit']>[2]) => c.emit(op, ins, attrs)[0]!;
  const f64 = onnxDType('float64');
  const i64 = onnxDType('int64');
  const ninf = c.scalar(-Infinity, 'float64');
  const logp = e1('LogSoftmax', [e1('Cast', [c.inputs[0]!], { to: f64 })], { axis: 2 });
  const tn = e1('Shape', [c.inputs[0]!], { start: 0, end: 2 }); // [T, N]
  const nDim = e1('Shape', [c.inputs[0]!], { start: 1, end: 2 }); // [N]
  const fill = (shape: string, v: number, dtype: 'int64' | 'int32' | 'float64') => e1('ConstantOfShape', [shape], { value: { tensor: tensorFromNumbers(dtype, [1], [v]) } });
  const nBy = (k: number) => e1('Concat', [nDim, c.ints([k])], { axis: 0 });
  const lab = e1('Cast', [c.inputs[1]!], { to: i64 });
  const blankCol = fill(nBy(1), blank, 'int64'); // [N, 1]
  // Label lengths [N, 1]: given, else the first padding value's position (L when none).
  let llen: string;
  if (p.ll >= 0) llen = e1('Unsqueeze', [e1('Cast', [c.inputs[p.ll]!], { to: i64 }), c.ints([1])]);
  else {
    const isPad = e1('Cast', [e1('Equal', [lab, c.scalar(a.blankLabel === 'first' ? 0 : -1, 'int64')])], { to: onnxDType('int32') });
    llen = e1('Cast', [e1('ArgMax', [e1('Concat', [isPad, fill(nBy(1), 1, 'int32')], { axis: 1 })], { axis: 1, keepdims: 1 })], { to: i64 });
  }
  // The extended label [N, S]: blank, l1, blank, ..., blank; blank past 2 * length + 1.
  let ext = blankCol;
  if (L > 0) {
    const pair = e1('Concat', [e1('Unsqueeze', [fill(nBy(L), blank, 'int64'), c.ints([2])]), e1('Unsqueeze', [lab, c.ints([2])])], { axis: 2 });
    ext = e1('Concat', [e1('Reshape', [pair, c.ints([0, 2 * L])]), blankCol], { axis: 1 });
  }
  const sIdx = c.constant(tensorFromNumbers('int64', [1, S], Array.from({ length: S }, (_v, s) => s)));
  // Where the kernel throws, the graph marks the entry (bad [N]) and computes on a harmless stand-in: a label length
  // outside [0, L] clamped, a label value that is no class (out of range, the blank) read as the blank.
  const lenBad = e1('Or', [e1('Less', [llen, c.scalar(0, 'int64')]), e1('Greater', [llen, c.scalar(L, 'int64')])]);
  llen = e1('Max', [e1('Min', [llen, c.scalar(L, 'int64')]), c.scalar(0, 'int64')]);
  const twoL = e1('Mul', [llen, c.scalar(2, 'int64')]);
  const inLab = e1('Less', [sIdx, e1('Add', [twoL, c.scalar(1, 'int64')])]);
  const odd = c.constant(tensorFromNumbers('bool', [1, S], Array.from({ length: S }, (_v, s) => s % 2)));
  const isClass = e1('And', [e1('And', [e1('GreaterOrEqual', [ext, c.scalar(0, 'int64')]), e1('Less', [ext, c.scalar(C, 'int64')])]), e1('Not', [e1('Equal', [ext, c.scalar(blank, 'int64')])])]);
  const labBad = e1('And', [e1('And', [inLab, odd]), e1('Not', [isClass])]);
  ext = e1('Where', [e1('And', [inLab, e1('Not', [labBad])]), ext, c.scalar(blank, 'int64')]);
  let bad = e1('Or', [e1('Squeeze', [lenBad, c.ints([1])]), e1('Greater', [emitReduce(c, 'ReduceSum', e1('Cast', [labBad], { to: i64 }), [1], false), c.scalar(0, 'int64')])]);
  const tns = e1('Concat', [tn, c.ints([S])], { axis: 0 });
  const E = e1('GatherElements', [logp, e1('Expand', [e1('Unsqueeze', [ext, c.ints([0])]), tns])], { axis: 2 }); // [T, N, S]
  // skip[s]: the transition s - 2 -> s is allowed (a label differing from the one before it).
  let skip: string | null = null;
  if (S >= 3) {
    const prev2 = e1('Concat', [blankCol, blankCol, e1('Slice', [ext, c.ints([0]), c.ints([S - 2]), c.ints([1])])], { axis: 1 });
    skip = e1('And', [e1('Not', [e1('Equal', [ext, prev2])]), e1('Not', [e1('Equal', [ext, c.scalar(blank, 'int64')])])]);
  }
  // active [T, N, 1]: frame t lies within entry n's data length.
  const T = e1('Squeeze', [e1('Shape', [c.inputs[0]!], { start: 0, end: 1 }), c.ints([0])]);
  const dlen = p.dl >= 0 ? e1('Cast', [c.inputs[p.dl]!], { to: i64 }) : e1('Expand', [T, nDim]);
  if (p.dl >= 0) bad = e1('Or', [bad, e1('Or', [e1('Less', [dlen, c.scalar(0, 'int64')]), e1('Greater', [dlen, T])])]);
  const tIdx = e1('Range', [c.scalar(0, 'int64'), T, c.scalar(1, 'int64')]);
  const active = e1('Unsqueeze', [e1('Less', [e1('Unsqueeze', [tIdx, c.ints([1])]), e1('Unsqueeze', [dlen, c.ints([0])])]), c.ints([2])]);
  // log(exp a + exp b [+ exp d]) elementwise, -inf where all are -inf.
  const lse = (xs: string[]) => {
    const m = e1('Max', [...xs, c.scalar(-1e300, 'float64')]);
    const sum = e1('Sum', xs.map((v) => e1('Exp', [e1('Sub', [v, m])])));
    return e1('Add', [m, e1('Log', [sum])]);
  };
  const shift = (v: string, k: number, right: boolean) => {
    const part = right ? e1('Slice', [v, c.ints([0]), c.ints([S - k]), c.ints([1])]) : e1('Slice', [v, c.ints([k]), c.ints([S]), c.ints([1])]);
    return e1('Pad', [part, c.ints(right ? [0, k, 0, 0] : [0, 0, 0, k]), ninf]);
  };
  const start = e1('Expand', [c.constant(tensorFromNumbers('float64', [1, S], Array.from({ length: S }, (_v, s) => (s === 0 ? 0 : -Infinity)))), nBy(S)]);
  // Subgraph values carry their rank (onnxruntime asks a Scan body's outputs for a shape): [N, S] and [N, 1].
  const f = { dtype: 'float64' as const, shape: ['ctc_batch', S] };
  const act1 = { dtype: 'bool' as const, shape: ['ctc_batch', 1] };
  const body = c.graph([f, f, act1], ([alpha, e, act]) => {
    const terms = [alpha!, shift(alpha!, 1, true)];
    if (skip) terms.push(e1('Where', [skip, shift(alpha!, 2, true), ninf]));
    const next = e1('Where', [act!, e1('Add', [lse(terms), e!]), alpha!]);
    return [{ name: next, ...f }, { name: e1('Identity', [next]), ...f }];
  });
  const [last, alphas] = c.emit('Scan', [start, E, active], { body, num_scan_inputs: 2 }, 2) as [string, string];
  // The end states 2 * length and 2 * length - 1 [N, S]; the loss [N] = -log(sum of their probabilities).
  const before = e1('Sub', [twoL, c.scalar(1, 'int64')]);
  const ends = e1('Or', [e1('Equal', [sIdx, twoL]), e1('Equal', [sIdx, before])]);
  const atEnd = e1('GatherElements', [last, twoL], { axis: 1 });
  const atBefore = e1('Where', [e1('Less', [before, c.scalar(0, 'int64')]), ninf, e1('GatherElements', [last, e1('Max', [before, c.scalar(0, 'int64')])], { axis: 1 })]);
  const nll = e1('Where', [bad, c.scalar(NaN, 'float64'), e1('Neg', [e1('Squeeze', [lse([atEnd, atBefore]), c.ints([1])])])]);
  const falseCols = (k: number) => e1('Cast', [fill(nBy(k), 0, 'int32')], { to: onnxDType('bool') });
  return { p, e1, lse, shift, logp, ext, E, skip, active, alphas, ends, nll, bad, ninf, f, act1, C, falseCols };
}

type CtcSig = (data: Tx, label: Tx, ...rest: (Tx | null | undefined | CtcLossOptions)[]) => Tx;

type GradSig = (...args: [...Tx[], CtcLossOptions]) => Tx;

const ATTRS = { useDataLengths: false, useLabelLengths: false, blankLabel: 'first' };
const INPUTS = ['data', 'label', 'dataLengths?', 'labelLengths?'];

/**
 * The CTC loss of each batch entry (MXNet's `CTCLoss`): data [T, N, C]
 * activations, label [N, L] padded labels, then dataLengths and/or
 * labelLengths [N] when `useDataLengths` / `useLabelLengths`; returns [N].
 *
 * ```ts
 * nd.CTCLoss(x, labels, { blankLabel: 'first' });                          // labels padded with 0
 * nd.CTCLoss(x, labels, null, lens, { useLabelLengths: true, blankLabel: 'last' });
 * ```
 */
export const CTCLoss: OpDef<CtcSig, CtcA> = defineOp<CtcSig, CtcA>({
  name: 'CTCLoss',
  inputs: INPUTS,
  gappedInputs: true,
  attrs: ATTRS,
  infer: (types, a) => {
    plan('CTCLoss', types, a);
    return [{ dtype: types[0]!.dtype, shape: [types[0]!.shape[1]!] }];
  },
  lower: (c, a) => {
    const { nll } = emitAlphas(c, a);
    c.emit('Cast', [nll], { to: onnxDType(c.outTypes[0]!.dtype) }, c.outputs);
  },
  kernel: (inputs, a, outTypes) => [tensorFromNumbers(outTypes[0]!.dtype, [inputs[0]!.shape[1]!], ctcHost(inputs, a, false).loss)],
  grad: (F, ctx, [gy]) => {
    const none = ctx.inputs.map(() => null);
    if (!gy) return none;
    const g = F.CTCLossGrad(...(ctx.inputs as GradTensor[]), ctx.attrs as object);
    return [F.mul(g, F.reshape(gy, [1, -1, 1])), ...none.slice(1)];
  },
});

/**
 * The gradient of the summed CTC losses with respect to the data [T, N, C]
 * (what MXNet's CTCLoss keeps as its second output): softmax(data) minus the
 * posterior occupation of each class; 0 past each data length and for an
 * impossible entry. Example: `nd.CTCLossGrad(x, labels, { blankLabel: 'first' })`.
 */
export const CTCLossGrad: OpDef<GradSig, CtcA> = defineOp<GradSig, CtcA>({
  name: 'CTCLossGrad',
  inputs: INPUTS,
  gappedInputs: true,
  attrs: ATTRS,
  infer: (types, a) => {
    plan('CTCLossGrad', types, a);
    return [{ ...types[0]! }];
  },
  lower: (c, a) => {
    const { p, e1, lse, shift, logp, ext, E, skip, active, alphas, ends, nll, bad, ninf, f, act1, C, falseCols } = emitAlphas(c, a);
    const { S } = p;
    // Betas by a reverse Scan: each frame outputs its incoming state (frames after it), then steps back.
    const start = e1('Where', [ends, c.scalar(0, 'float64'), ninf]);
    const skip2 = skip ? e1('Concat', [e1('Slice', [skip, c.ints([2]), c.ints([S]), c.ints([1])]), falseCols(2)], { axis: 1 }) : null;
    const body = c.graph([f, f, act1], ([beta, e, act]) => {
      const u = e1('Add', [beta!, e!]);
      const terms = [u, shift(u, 1, false)];
      if (skip2) terms.push(e1('Where', [skip2, shift(u, 2, false), ninf]));
      const next = e1('Where', [act!, lse(terms), beta!]);
      return [{ name: next, ...f }, { name: e1('Identity', [beta!]), ...f }];
    });
    const [, betas] = c.emit('Scan', [start, E, active], { body, num_scan_inputs: 2, scan_input_directions: [1, 1], scan_output_directions: [1] }, 2) as [string, string];
    // Occupation of each state [T, N, S], 0 past the length and for an impossible entry, summed per class [T, N, C].
    const gamma = e1('Add', [e1('Add', [alphas, betas]), e1('Unsqueeze', [nll, c.ints([0, 2])])]);
    const finite = e1('Unsqueeze', [e1('Less', [nll, c.scalar(Infinity, 'float64')]), c.ints([0, 2])]);
    const occS = e1('Where', [e1('And', [active, finite]), e1('Exp', [gamma]), c.scalar(0, 'float64')]);
    const classes = c.constant(tensorFromNumbers('int64', [1, 1, C], Array.from({ length: C }, (_v, k) => k)));
    const onehot = e1('Cast', [e1('Equal', [e1('Unsqueeze', [ext, c.ints([2])]), classes])], { to: onnxDType('float64') }); // [N, S, C]
    const occ = e1('Squeeze', [e1('MatMul', [e1('Unsqueeze', [occS, c.ints([2])]), onehot]), c.ints([2])]);
    const total = emitReduce(c, 'ReduceSum', occ, [2], true);
    const g = e1('Where', [e1('Unsqueeze', [bad, c.ints([0, 2])]), c.scalar(NaN, 'float64'), e1('Sub', [e1('Mul', [e1('Exp', [logp]), total]), occ])]);
    c.emit('Cast', [g], { to: onnxDType(c.outTypes[0]!.dtype) }, c.outputs);
  },
  kernel: (inputs, a, outTypes) => [tensorFromNumbers(outTypes[0]!.dtype, [...inputs[0]!.shape], ctcHost(inputs, a, true).dx!)],
  grad: null,
  noGradReason: 'the CTC gradient has no second derivative in gluonc',
});

/** The CTC operators, for ops/all.ts. */
export const CTC_OPS = { CTCLoss, ctcLoss: CTCLoss, CTCLossGrad } as const;
