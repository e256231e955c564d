/**
 * `OnnxRecurrentGrad`: the gradient of ONNX's recurrent operators (OnnxRNN,
 * OnnxLSTM, OnnxGRU) as one operator whose lowering is a reverse-time ONNX
 * `Scan`, so the gradient graph has the same size at every sequence length
 * and the time axis may stay symbolic. What does not depend on the step
 * order is computed for all steps at once, outside the loop: the previous
 * states come from the forward's output Y (shifted by one step), so the gate
 * activations are one matmul over all steps; LSTM's cell states are
 * recomputed by a forward `Scan` of elementwise ops. Inside the reverse
 * `Scan` only the recurrence remains: the state gradient, one matmul with R
 * per step (two for GRU without linearBeforeReset). Weight gradients are one
 * matmul over all steps after the loop. Reverse directions are handled by
 * reversing each sequence within its length (ONNX `ReverseSequence`), which
 * turns them into forward ones.
 * Inputs: data, weight, recurrentWeight, bias, initialH, [initialC], Y,
 * gradY, gradH, [gradC], [sequenceLength] (bracketed: LSTM only / when
 * `lengths`); outputs the gradients of data, weight, recurrentWeight, bias,
 * initialH and, for LSTM, initialC. Invariants: the same shapes as the
 * forward (recPlan checks them); float32 or float64 (the Scan bodies use
 * ops onnxruntime runs in both); steps past a sequence's length pass the
 * state gradient through unchanged and get none themselves (ONNX's Y is 0
 * there and the state is carried).
 */
import type { DType } from '../../runtime/dtypes.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';
import { lengthsInt64 } from './indices.js';
import { KIND_GATES, lowerEmptyBatch, recPlan, type RecA, type RecurrentKind } from './rnn.js';

/** Attributes: the forward's, plus which operator and whether lengths are given. */
export type RecGradA = RecA & { kind: string; lengths: boolean };

type Sig = (...args: [...Tx[], RecGradOptions]) => Tx[];

/** Options of `F.OnnxRecurrentGrad`. */
export interface RecGradOptions {
  kind: RecurrentKind;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  activation?: 'tanh' | 'relu';
  linearBeforeReset?: boolean;
  /** True when the last input is the sequence lengths. */
  lengths?: boolean;
}

/** Splits the inputs into the forward's inputs and the gradients. */
function parts(types: TensorType[], a: RecGradA) {
  const kind = a.kind as RecurrentKind;
  if (!(kind in KIND_GATES)) throw new OpError('OnnxRecurrentGrad', `kind must be 'RNN', 'LSTM' or 'GRU', got ${JSON.stringify(a.kind)}`, types);
  const st = kind === 'LSTM' ? 2 : 1;
  const want = 4 + st + 1 + 1 + st + (a.lengths ? 1 : 0);
  if (types.length !== want) throw new OpError('OnnxRecurrentGrad', `${kind} takes ${want} inputs (data, weight, recurrentWeight, bias, states, Y, gradY, state gradients${a.lengths ? ', sequenceLength' : ''}), got ${types.length}`, types);
  const fwd = [...types.slice(0, 4 + st), ...(a.lengths ? [types[want - 1]!] : [])];
  const plan = recPlan(kind, fwd, forwardAttrs(kind, a), true);
  const [T, N] = types[0]!.shape;
  const state = [plan.dirs, N!, plan.hidden];
  const shapes = [[T!, plan.dirs, N!, plan.hidden], [T!, plan.dirs, N!, plan.hidden], state, state];
  for (const [i, t] of types.slice(4 + st, 4 + 2 * st + 2).entries()) {
    if (t.dtype !== types[0]!.dtype) throw new OpError('OnnxRecurrentGrad', `Y and the output gradients must be ${types[0]!.dtype} like the data, got ${t.dtype} for input ${4 + st + i}`, types);
    const want = shapes[i]!;
    if (t.shape.length !== want.length || !t.shape.every((d, j) => d === want[j] || typeof d === 'string' || typeof want[j] === 'string')) {
      throw new OpError('OnnxRecurrentGrad', `input ${4 + st + i} (${['Y', 'gradY', 'gradH', 'gradC'][i]}) must have shape [${want.join(', ')}], got [${t.shape.join(', ')}]`, types);
    }
  }
  return { kind, st, plan };
}

function forwardAttrs(kind: RecurrentKind, a: RecGradA): RecA {
  const f: RecA = { direction: a.direction };
  if (kind === 'RNN') f.activation = a.activation;
  if (kind === 'GRU') f.linearBeforeReset = a.linearBeforeReset;
  return f;
}

function infer(types: TensorType[], a: RecGradA): TensorType[] {
  const { st } = parts(types, a);
  return types.slice(0, 4 + st).map((t) => ({ dtype: t.dtype, shape: [...t.shape] }));
}

/** Small emit helpers over one lowering context. */
function helpers(c: LowerCtx, dtype: DType) {
  const e1 = (op: string, ins: string[], attrs: Record<string, number | number[] | string> = {}) => c.emit(op, ins, attrs)[0]!;
  return {
    e1,
    mul: (x: string, y: string) => e1('Mul', [x, y]),
    add: (x: string, y: string) => e1('Add', [x, y]),
    sub: (x: string, y: string) => e1('Sub', [x, y]),
    one: c.scalar(1, dtype),
    /** 1 - x. */
    oneMinus(x: string) {
      return e1('Sub', [this.one, x]);
    },
    /** Elements [begin, end) of `axis`. */
    slice: (x: string, axis: number, begin: number, end: number) => e1('Slice', [x, c.ints([begin]), c.ints([end]), c.ints([axis])]),
    /** Index `i` of axis `axis`, that axis removed. */
    at: (x: string, axis: number, i: number) => e1('Gather', [x, c.scalar(i, 'int64')], { axis }),
    cat: (xs: string[], axis: number) => (xs.length === 1 ? xs[0]! : e1('Concat', xs, { axis })),
    /** a [M, K] · b where `bT` is bᵀ [N, K]: onnxruntime's Gemm with transB is several times faster than MatMul for a B that is not an initializer. */
    mmT: (x: string, bT: string) => e1('Gemm', [x, bT], { transB: 1 }),
  };
}

function lower(c: LowerCtx, a: RecGradA): void {
  const { kind, st, plan } = parts(c.inTypes, a);
  if (lowerEmptyBatch(c, 'OnnxRecurrentGrad')) return;
  const dtype = c.inTypes[0]!.dtype;
  const h = helpers(c, dtype);
  const { e1, mul, add, sub, slice, at, cat, mmT } = h;
  const ins = c.inputs;
  const [x, W, R, B, h0] = ins as [string, string, string, string, string];
  const c0 = st === 2 ? ins[5]! : undefined;
  const [Y, gY, gYh] = [ins[4 + st]!, ins[5 + st]!, ins[6 + st]!];
  const gYc = st === 2 ? ins[7 + st]! : undefined;
  const H = plan.hidden;
  const I = c.inTypes[0]!.shape[2] as number;
  const G = KIND_GATES[kind];
  const GH = G * H;
  const lstm = kind === 'LSTM';
  // Lengths clipped to [0, T] (int64), the keep mask [T, N, 1] (1 while t < length) and its complement.
  const T = c.emit('Shape', [x], { start: 0, end: 1 })[0]!;
  let lens: string | undefined;
  let m: string | undefined;
  let notM: string | undefined;
  if (a.lengths) {
    const t0 = e1('Squeeze', [T, c.ints([0])]);
    lens = lengthsInt64(c, ins[ins.length - 1]!, c.inTypes[ins.length - 1]!.dtype, [0, t0]);
    const steps = e1('Unsqueeze', [e1('Range', [c.scalar(0, 'int64'), t0, c.scalar(1, 'int64')]), c.ints([1])]);
    m = e1('Unsqueeze', [e1('Cast', [e1('Less', [steps, e1('Unsqueeze', [lens, c.ints([0])])])], { to: dtype === 'float64' ? 11 : 1 }), c.ints([2])]);
    notM = h.oneMinus(m);
  }
  // Reverses each sequence within its length along time (axis 0; batch on axis 1).
  const reverse = (v: string) => (lens ? e1('ReverseSequence', [v, lens], { batch_axis: 1, time_axis: 0 }) : e1('Slice', [v, c.ints([-1]), c.ints([-(2 ** 62)]), c.ints([0]), c.ints([-1])]));
  const dx: string[] = [];
  const grads: string[][] = [[], [], [], [], [], []];
  for (let d = 0; d < plan.dirs; d++) {
    const rev = a.direction === 'reverse' || d === 1;
    const Wd = at(W, 0, d);
    const Rd = at(R, 0, d);
    const Bd = at(B, 0, d);
    const [Wb, Rb] = [slice(Bd, 0, 0, GH), slice(Bd, 0, GH, 2 * GH)];
    const xd = rev ? reverse(x) : x;
    const yd = rev ? reverse(at(Y, 1, d)) : at(Y, 1, d);
    let gy = rev ? reverse(at(gY, 1, d)) : at(gY, 1, d);
    if (m) gy = mul(gy, m);
    const h0d = at(h0, 0, d);
    // The state before each step: h0, then Y shifted by one step.
    const hPrev = cat([e1('Unsqueeze', [h0d, c.ints([0])]), slice(yd, 0, 0, -1)], 0);
    const xw = add(e1('MatMul', [xd, e1('Transpose', [Wd], { perm: [1, 0] })]), Wb); // [T, N, GH]
    const RdT = e1('Transpose', [Rd], { perm: [1, 0] });
    const hr = add(e1('MatMul', [hPrev, RdT]), Rb);
    const gate = (v: string, q: number) => slice(v, 2, q * H, (q + 1) * H);
    const sig = (v: string) => e1('Sigmoid', [v]);
    const dtanh = (v: string) => h.oneMinus(mul(v, v));
    const dsig = (v: string) => mul(v, h.oneMinus(v));
    // The state gradient entering the last step: a length-0 sequence has zero final states (no gradient).
    const live = (g: string) => (m ? mul(at(g, 0, d), at(m, 0, 0)) : at(g, 0, d));
    // Body values are [batch, width] matrices: declared rank 2 with symbolic sizes (onnxruntime wants every
    // body output's shape set, and does not always infer it from the outer graph).
    let k = 0;
    const mat = () => ({ dtype, shape: ['rnn_batch', `rnn_width${k++}`] });
    /** Runs the reverse-time Scan: `body(states, stepInputs)` returns new states and per-step outputs. */
    const scan = (states: string[], stepInputs: string[], nOut: number, body: (s: string[], xs: string[]) => [string[], string[]], reverseTime = true): string[] => {
      const seqs = m ? [...stepInputs, m, notM!] : stepInputs;
      const graph = c.graph([...states, ...seqs].map(mat), (names) => {
        const [ns, os] = body(names.slice(0, states.length), names.slice(states.length));
        return [...ns, ...os].map((name) => ({ name, ...mat() }));
      });
      const dirs = seqs.map(() => (reverseTime ? 1 : 0));
      return c.emit('Scan', [...states, ...seqs], { body: graph, num_scan_inputs: seqs.length, scan_input_directions: dirs, scan_output_directions: Array.from({ length: nOut }, () => (reverseTime ? 1 : 0)) }, states.length + nOut);
    };
    /** m ⊙ a + b inside a body whose last two inputs are m and 1 - m (or a + b without lengths). */
    const masked = (xs: string[], v: string, plus?: string) => {
      const mv = m ? mul(xs[xs.length - 2]!, v) : v;
      return plus ? add(mv, plus) : mv;
    };
    const carry = (xs: string[], prev: string, v: string) => (m ? add(mul(xs[xs.length - 1]!, prev), v) : v);
    let dXg: string;
    let dHg: string;
    let dRd: string | undefined;
    let dh0: string;
    let dc0: string | undefined;
    if (kind === 'RNN') {
      const hNew = a.activation === 'relu' ? e1('Relu', [add(xw, hr)]) : e1('Tanh', [add(xw, hr)]);
      const k = a.activation === 'relu' ? e1('Cast', [e1('Greater', [hNew, c.scalar(0, dtype)])], { to: dtype === 'float64' ? 11 : 1 }) : dtanh(hNew);
      const [dh, ds] = scan([live(gYh)], [gy, k], 1, ([dh], xs) => {
        const dsT = mul(masked(xs, dh!, xs[0]), xs[1]!);
        return [[carry(xs, dh!, mmT(dsT, RdT))], [dsT]];
      });
      [dXg, dHg, dh0] = [ds!, ds!, dh!];
    } else if (lstm) {
      const pre = add(xw, hr);
      const [i, o, f] = [0, 1, 2].map((q) => sig(gate(pre, q))) as [string, string, string];
      const g = e1('Tanh', [gate(pre, 3)]);
      const c0d = at(c0!, 0, d);
      // Cell states, recomputed forward (elementwise).
      const [, C] = scan([c0d], [f, mul(i, g)], 1, ([cs], xs) => {
        const cn = add(mul(xs[0]!, cs!), xs[1]!);
        const next = m ? add(mul(xs[xs.length - 2]!, cn), mul(xs[xs.length - 1]!, cs!)) : cn;
        return [[next], [e1('Identity', [next])]];
      }, false);
      const cPrev = cat([e1('Unsqueeze', [c0d, c.ints([0])]), slice(C!, 0, 0, -1)], 0);
      const tc = e1('Tanh', [C!]);
      const A = mul(o, dtanh(tc));
      const K = cat([mul(g, dsig(i)), mul(tc, dsig(o)), mul(cPrev, dsig(f)), mul(i, dtanh(g))], 2);
      const [dh, dc, ds] = scan([live(gYh), live(gYc!)], [gy, A, K, f], 1, ([dh, dc], xs) => {
        const dN = masked(xs, dh!, xs[0]);
        const dcN = masked(xs, dc!, mul(dN, xs[1]!));
        const dsT = mul(cat([dcN, dN, dcN, dcN], 1), xs[2]!);
        return [[carry(xs, dh!, mmT(dsT, RdT)), carry(xs, dc!, mul(dcN, xs[3]!))], [dsT]];
      });
      [dXg, dHg, dh0, dc0] = [ds!, ds!, dh!, dc!];
    } else {
      const z = sig(add(gate(xw, 0), gate(hr, 0)));
      const r = sig(add(gate(xw, 1), gate(hr, 1)));
      const Rn = slice(Rd, 0, 2 * H, 3 * H);
      const dz = dsig(z);
      if (a.linearBeforeReset) {
        const hn = gate(hr, 2);
        const n = e1('Tanh', [add(gate(xw, 2), mul(r, hn))]);
        const an = mul(h.oneMinus(z), dtanh(n));
        const Kx = cat([mul(sub(hPrev, n), dz), mul(mul(an, hn), dsig(r)), an], 2);
        const Kh = cat([gate(Kx, 0), gate(Kx, 1), mul(an, r)], 2);
        const [dh, dN] = scan([live(gYh)], [gy, Kh, z], 1, ([dh], xs) => {
          const dNt = masked(xs, dh!, xs[0]);
          const dhg = mul(cat([dNt, dNt, dNt], 1), xs[1]!);
          return [[carry(xs, dh!, add(mul(dNt, xs[2]!), mmT(dhg, RdT)))], [dNt]];
        });
        const dN3 = cat([dN!, dN!, dN!], 2);
        [dXg, dHg, dh0] = [mul(dN3, Kx), mul(dN3, Kh), dh!];
      } else {
        const RnT = e1('Transpose', [Rn], { perm: [1, 0] });
        const rh = mul(r, hPrev);
        const hn = add(e1('MatMul', [rh, RnT]), slice(Rb, 0, 2 * H, 3 * H));
        const n = e1('Tanh', [add(gate(xw, 2), hn)]);
        const Ka = mul(h.oneMinus(z), dtanh(n));
        const Kz = mul(sub(hPrev, n), dz);
        const Kr = mul(hPrev, dsig(r));
        const RzrT = slice(RdT, 1, 0, 2 * H);
        const [dh, dN, dRH] = scan([live(gYh)], [gy, Ka, Kz, Kr, z, r], 2, ([dh], xs) => {
          const dNt = masked(xs, dh!, xs[0]);
          const drh = mmT(mul(dNt, xs[1]!), RnT);
          const zr = cat([mul(dNt, xs[2]!), mul(drh, xs[3]!)], 1);
          const dPrev = add(add(mul(dNt, xs[4]!), mmT(zr, RzrT)), mul(drh, xs[5]!));
          return [[carry(xs, dh!, dPrev)], [dNt, e1('Identity', [drh])]];
        });
        const dan = mul(dN!, Ka);
        dXg = cat([mul(dN!, Kz), mul(dRH!, Kr), dan], 2);
        dHg = dXg;
        dRd = e1('Gemm', [e1('Reshape', [dan, c.ints([-1, H])]), e1('Reshape', [rh, c.ints([-1, H])])], { transA: 1 });
        dh0 = dh!;
      }
    }
    // Weight gradients: one matmul over all steps.
    const flat = (v: string, k: number) => e1('Reshape', [v, c.ints([-1, k])]);
    const dX2 = flat(dXg, GH);
    const dH2 = flat(dHg, GH);
    const hPrev2 = flat(hPrev, H);
    const gW = e1('Gemm', [dX2, flat(xd, I)], { transA: 1 });
    const gR = dRd ? cat([e1('Gemm', [slice(dH2, 1, 0, 2 * H), hPrev2], { transA: 1 }), dRd], 0) : e1('Gemm', [dH2, hPrev2], { transA: 1 });
    const gB = cat([e1('ReduceSum', [dX2, c.ints([0])], { keepdims: 0 }), e1('ReduceSum', [dH2, c.ints([0])], { keepdims: 0 })], 0);
    const gx = e1('MatMul', [dXg, Wd]);
    dx.push(rev ? reverse(gx) : gx);
    [gW, gR, gB, dh0, ...(dc0 ? [dc0] : [])].forEach((v, j) => grads[j]!.push(e1('Unsqueeze', [v, c.ints([0])])));
  }
  const outs = c.outputs;
  c.emit('Identity', [dx.length === 1 ? dx[0]! : add(dx[0]!, dx[1]!)], {}, [outs[0]!]);
  for (let j = 0; j < 3 + st; j++) {
    const parts = grads[j]!;
    c.emit(parts.length === 1 ? 'Identity' : 'Concat', parts, parts.length === 1 ? {} : { axis: 0 }, [outs[j + 1]!]);
  }
}

/**
 * The gradient of `OnnxRNN`/`OnnxLSTM`/`OnnxGRU` as one reverse-time Scan
 * (their gradient rule calls it): inputs data, weight, recurrentWeight,
 * bias, initialH, [initialC], Y, gradY, gradH, [gradC], [sequenceLength];
 * outputs the gradients of data, weight, recurrentWeight, bias, initialH,
 * [initialC].
 *
 * ```ts
 * const [dx, dW, dR, dB, dh0, dc0] = F.OnnxRecurrentGrad(x, w, r, b, h0, c0, y, gy, ghT, gcT, { kind: 'LSTM' });
 * ```
 */
export const OnnxRecurrentGrad: OpDef<Sig, RecGradA> = defineOp<Sig, RecGradA>({
  name: 'OnnxRecurrentGrad',
  inputs: ['...inputs'],
  attrs: { kind: 'LSTM', direction: 'forward', activation: 'tanh', linearBeforeReset: false, lengths: false },
  multiOutput: (a: RecGradA) => (a.kind === 'LSTM' ? 6 : 5),
  infer,
  lower,
  grad: null,
  noGradReason: 'the gradient of a recurrent operator has no gradient of its own (no second derivatives through time)',
} as never);

/** The operator by F name. */
export const RNN_GRAD_OPS = { OnnxRecurrentGrad } as const;
