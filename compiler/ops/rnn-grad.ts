/**
 * The gradient rule of ONNX's recurrent operators (`OnnxRNN`, `OnnxLSTM`,
 * `OnnxGRU`): one `OnnxRecurrentGrad` node (rnn-grad-scan.ts, a reverse-time
 * Scan), and the same backpropagation through time written with `F`,
 * unrolled over the sequence (the float64 reference). The forward is recomputed step by step (the activations the
 * fused node does not return), then walked backwards; weight gradients are
 * one matmul over all steps. Steps past a sequence's length carry the state
 * unchanged and give Y = 0, as in the forward (ONNX's semantics).
 * Invariant: the time axis must be concrete where the gradient is built
 * (a traced training step has concrete shapes); a symbolic one is an error
 * naming the operator.
 */
import type { Attrs } from '../ir/node.js';
import type { GradCtx } from './define.js';
import { OpError } from './errors.js';
import type { GradOps as FOps, GradTensor as Tensor } from './grad-ops.js';

type Kind = 'RNN' | 'LSTM' | 'GRU';
const GATES: Record<Kind, number> = { RNN: 1, LSTM: 4, GRU: 3 };

/** Splits along `axis` into `n` pieces with that axis removed (n may be 1). */
function unstack(F: FOps, x: Tensor, n: number, axis: number): Tensor[] {
  return n === 1 ? [F.squeeze(x, { axis })] : (F.split(x, { numOutputs: n, axis, squeezeAxis: true }) as Tensor[]);
}

/** Splits along axis 1 into `n` equal pieces (n may be 1). */
function gates(F: FOps, x: Tensor, n: number): Tensor[] {
  return n === 1 ? [x] : (F.split(x, { numOutputs: n, axis: 1 }) as Tensor[]);
}

const stk = (F: FOps, xs: Tensor[], axis: number) => (xs.length === 1 ? F.expandDims(xs[0]!, { axis }) : F.stack(...xs, { axis }));
/** x · Wᵀ without bias: x [N, K], w [M, K] → [N, M]. */
const mmT = (F: FOps, x: Tensor, w: Tensor) => F.dot(x, w, { transposeB: true });
/** 1 - x. */
const oneMinus = (F: FOps, x: Tensor) => F.sub(1, x);

interface Saved {
  hPrev: Tensor;
  cPrev?: Tensor;
  /** Activated gates: RNN [h]; LSTM [i, o, f, g, tanh(c)]; GRU [z, r, n, hn] (hn: the recurrent n-part before r). */
  acts: Tensor[];
  /** Input of the GRU's n-block recurrent matmul when linearBeforeReset is false (r ⊙ h). */
  rh?: Tensor;
}

/** Options of `OnnxRecurrentGrad` for a forward node's attributes. */
function gradAttrs(kind: Kind, a: Attrs, lengths: boolean): object {
  return { kind, direction: a['direction'], activation: a['activation'] ?? 'tanh', linearBeforeReset: Boolean(a['linearBeforeReset']), lengths };
}

/**
 * The gradient rule of the recurrent operators: gradients of
 * `[x, W, R, B, h0, (c0), lens]` given those of `[Y, Y_h, (Y_c)]`, as one
 * `OnnxRecurrentGrad` node (a reverse-time Scan; its size does not depend on
 * T, which may be symbolic). Absent output gradients are zeros.
 *
 * ```ts
 * grad: (F, ctx, gs) => recurrentGrad(F, 'LSTM', ctx, gs)
 * ```
 */
export function recurrentGrad(F: FOps, kind: Kind, ctx: GradCtx, gs: (Tensor | null)[]): (Tensor | null)[] {
  const { inputs, outputs, attrs } = ctx;
  const nStates = kind === 'LSTM' ? 2 : 1;
  const lens = inputs.length > 4 + nStates ? inputs[4 + nStates]! : undefined;
  const outGrads = outputs.map((o, i) => gs[i] ?? F.zerosLike(o));
  const ins = [...inputs.slice(0, 4 + nStates), outputs[0]!, ...outGrads, ...(lens ? [lens] : [])];
  const grads = F.OnnxRecurrentGrad(...ins, gradAttrs(kind, attrs, lens !== undefined));
  return lens ? [...grads, null] : grads;
}

/**
 * The same gradient unrolled over time with `F` (graph size grows with T;
 * T must be concrete): the reference the Scan form is tested against, and
 * what runs where `F` cannot run the Scan (it needs onnxruntime).
 *
 * ```ts
 * const grads = recurrentGradUnrolled(nd, 'LSTM', ctx, gs);
 * ```
 */
export function recurrentGradUnrolled(F: FOps, kind: Kind, ctx: GradCtx, gs: (Tensor | null)[]): (Tensor | null)[] {
  const { inputs, inTypes, attrs } = ctx;
  const op = `Onnx${kind}`;
  const T = inTypes[0]!.shape[0];
  if (typeof T !== 'number') {
    throw new OpError(op, `the gradient needs a concrete sequence length (it is unrolled over time; train with a fixed length per compiled step), got data shape [${inTypes[0]!.shape.join(', ')}]`, inTypes);
  }
  const a = attrs as Attrs & { direction: string; activation?: string; linearBeforeReset?: boolean };
  const lstm = kind === 'LSTM';
  const nStates = lstm ? 2 : 1;
  const [x, W, R, B] = inputs as Tensor[];
  const h0 = inputs[4]!;
  const c0 = lstm ? inputs[5]! : undefined;
  const lens = inputs.length > 4 + nStates ? inputs[4 + nStates]! : undefined;
  const D = a.direction === 'bidirectional' ? 2 : 1;
  const H = inTypes[2]!.shape[2] as number;
  const I = inTypes[0]!.shape[2] as number;
  const G = GATES[kind];
  const [gY, gYh, gYc] = gs;
  const xs = unstack(F, x!, T, 0);
  // Per-step keep masks [N, 1] (1 while t < length).
  const ones = F.onesLike(F.sliceAxis(x!, { axis: 2, begin: 0, end: 1 }));
  const masks = lens ? unstack(F, F.SequenceMask(ones, lens, { useSequenceLength: true, value: 0, axis: 0 }), T, 0) : undefined;
  const gYs = gY ? unstack(F, gY, T, 0) : undefined;
  const dW: Tensor[] = [];
  const dR: Tensor[] = [];
  const dB: Tensor[] = [];
  const dh0: Tensor[] = [];
  const dc0: Tensor[] = [];
  const dxs: Tensor[][] = [];
  for (let d = 0; d < D; d++) {
    const pick = (t: Tensor) => (D === 1 ? F.squeeze(t, { axis: 0 }) : F.squeeze(F.sliceAxis(t, { axis: 0, begin: d, end: d + 1 }), { axis: 0 }));
    const Wd = pick(W!);
    const Rd = pick(R!);
    const [Wb, Rb] = F.split(pick(B!), { numOutputs: 2, axis: 0 }) as Tensor[];
    const Rg = G === 1 ? [Rd] : (F.split(Rd, { numOutputs: G, axis: 0 }) as Tensor[]);
    const Rbg = G === 1 ? [Rb!] : (F.split(Rb!, { numOutputs: G, axis: 0 }) as Tensor[]);
    const reverse = a.direction === 'reverse' || d === 1;
    const order = Array.from({ length: T }, (_v, j) => (reverse ? T - 1 - j : j));
    // Forward, recomputed.
    let h = pick(h0);
    let c = c0 ? pick(c0) : undefined;
    const saved: Saved[] = new Array<Saved>(T);
    for (const t of order) {
      const xg = gates(F, F.FullyConnected(xs[t]!, Wd, Wb!, { numHidden: G * H, flatten: false }), G);
      const s: Saved = { hPrev: h, cPrev: c, acts: [] };
      let hNew: Tensor;
      let cNew: Tensor | undefined;
      if (kind === 'RNN') {
        const pre = F.add(xg[0]!, F.FullyConnected(h, Rd, Rb!, { numHidden: H, flatten: false }));
        hNew = a.activation === 'relu' ? F.relu(pre) : F.tanh(pre);
        s.acts = [hNew];
      } else if (lstm) {
        const hg = gates(F, F.FullyConnected(h, Rd, Rb!, { numHidden: G * H, flatten: false }), G);
        const [i, o, f] = [0, 1, 2].map((q) => F.sigmoid(F.add(xg[q]!, hg[q]!)));
        const g = F.tanh(F.add(xg[3]!, hg[3]!));
        cNew = F.add(F.mul(f!, c!), F.mul(i!, g));
        const tc = F.tanh(cNew);
        hNew = F.mul(o!, tc);
        s.acts = [i!, o!, f!, g, tc];
      } else {
        const z = F.sigmoid(F.add(xg[0]!, F.FullyConnected(h, Rg[0]!, Rbg[0]!, { numHidden: H, flatten: false })));
        const r = F.sigmoid(F.add(xg[1]!, F.FullyConnected(h, Rg[1]!, Rbg[1]!, { numHidden: H, flatten: false })));
        let hn: Tensor;
        let n: Tensor;
        if (a.linearBeforeReset) {
          hn = F.FullyConnected(h, Rg[2]!, Rbg[2]!, { numHidden: H, flatten: false });
          n = F.tanh(F.add(xg[2]!, F.mul(r, hn)));
        } else {
          s.rh = F.mul(r, h);
          hn = F.FullyConnected(s.rh, Rg[2]!, Rbg[2]!, { numHidden: H, flatten: false });
          n = F.tanh(F.add(xg[2]!, hn));
        }
        hNew = F.add(n, F.mul(z, F.sub(h, n)));
        s.acts = [z, r, n, hn];
      }
      saved[t] = s;
      const m = masks?.[t];
      h = m ? F.add(h, F.mul(m, F.sub(hNew, h))) : hNew;
      if (lstm) c = m ? F.add(c!, F.mul(m, F.sub(cNew!, c!))) : cNew;
    }
    // Backward through time.
    // A sequence of length 0 has zero final states: no gradient flows back from them.
    const live = (g: Tensor) => (masks ? F.mul(g, masks[0]!) : g);
    let dh: Tensor = gYh ? live(pick(gYh)) : F.zerosLike(h);
    let dc: Tensor | undefined = lstm ? (gYc ? live(pick(gYc)) : F.zerosLike(c!)) : undefined;
    const dXg: Tensor[] = new Array<Tensor>(T);
    const dHg: Tensor[] = new Array<Tensor>(T);
    const dRn: Tensor[] = new Array<Tensor>(T);
    for (const t of [...order].reverse()) {
      const s = saved[t]!;
      const m = masks?.[t];
      const gy = gYs ? (D === 1 ? F.squeeze(gYs[t]!, { axis: 0 }) : pick(gYs[t]!)) : undefined;
      // h_t = m ⊙ hNew + (1 - m) ⊙ hPrev; Y_t = m ⊙ hNew.
      let dNew = gy ? F.add(dh, gy) : dh;
      if (m) dNew = F.mul(m, dNew);
      const dCarry = m ? F.mul(oneMinus(F, m), dh) : undefined;
      let dcNew = dc && m ? F.mul(m, dc) : dc;
      const dcCarry = dc && m ? F.mul(oneMinus(F, m), dc) : undefined;
      let dPrev: Tensor;
      if (kind === 'RNN') {
        const y = s.acts[0]!;
        const da = F.mul(dNew, a.activation === 'relu' ? F.greater(y, 0) : oneMinus(F, F.square(y)));
        dXg[t] = da;
        dHg[t] = da;
        dPrev = F.dot(da, Rd);
      } else if (lstm) {
        const [i, o, f, g, tc] = s.acts as [Tensor, Tensor, Tensor, Tensor, Tensor];
        dcNew = F.add(dcNew!, F.mul(F.mul(dNew, o), oneMinus(F, F.square(tc))));
        const sg = (v: Tensor, dv: Tensor) => F.mul(dv, F.mul(v, oneMinus(F, v)));
        const ds = F.concat(sg(i, F.mul(dcNew, g)), sg(o, F.mul(dNew, tc)), sg(f, F.mul(dcNew, s.cPrev!)), F.mul(F.mul(dcNew, i), oneMinus(F, F.square(g))), { dim: 1 });
        dXg[t] = ds;
        dHg[t] = ds;
        dPrev = F.dot(ds, Rd);
        const dcPrev = F.mul(dcNew, f);
        dc = dcCarry ? F.add(dcCarry, dcPrev) : dcPrev;
      } else {
        const [z, r, n, hn] = s.acts as [Tensor, Tensor, Tensor, Tensor];
        const dn = F.mul(dNew, oneMinus(F, z));
        const dsz = F.mul(F.mul(dNew, F.sub(s.hPrev, n)), F.mul(z, oneMinus(F, z)));
        const dan = F.mul(dn, oneMinus(F, F.square(n)));
        const dzr = (dr: Tensor) => [dsz, F.mul(dr, F.mul(r, oneMinus(F, r)))];
        if (a.linearBeforeReset) {
          const [dz, dsr] = dzr(F.mul(dan, hn));
          const dhn = F.mul(dan, r);
          dXg[t] = F.concat(dz!, dsr!, dan, { dim: 1 });
          dHg[t] = F.concat(dz!, dsr!, dhn, { dim: 1 });
          dPrev = F.add(F.mul(dNew, z), F.dot(dHg[t]!, Rd));
        } else {
          const drh = F.dot(dan, Rg[2]!);
          const [dz, dsr] = dzr(F.mul(drh, s.hPrev));
          dXg[t] = F.concat(dz!, dsr!, dan, { dim: 1 });
          dHg[t] = dXg[t]!;
          dRn[t] = F.dot(dan, s.rh!, { transposeA: true });
          const zr = F.concat(dz!, dsr!, { dim: 1 });
          dPrev = F.add(F.add(F.mul(dNew, z), F.dot(zr, F.sliceAxis(Rd, { axis: 0, begin: 0, end: 2 * H }))), F.mul(drh, r));
        }
      }
      dh = dCarry ? F.add(dCarry, dPrev) : dPrev;
    }
    // Weight gradients: one matmul over all steps.
    const dXall = F.concat(...dXg, { dim: 0 }); // [T*N, G*H]
    const dHall = F.concat(...dHg, { dim: 0 });
    const xAll = F.reshape(x!, [-1, I]);
    const hAll = F.concat(...saved.map((s) => s.hPrev), { dim: 0 });
    dW.push(F.dot(dXall, xAll, { transposeA: true }));
    if (kind === 'GRU' && !a.linearBeforeReset) {
      const zrRows = F.dot(F.sliceAxis(dHall, { axis: 1, begin: 0, end: 2 * H }), hAll, { transposeA: true });
      const nRows = dRn.reduce((acc, v) => F.add(acc, v));
      dR.push(F.concat(zrRows, nRows, { dim: 0 }));
    } else dR.push(F.dot(dHall, hAll, { transposeA: true }));
    dB.push(F.concat(F.sum(dXall, { axis: 0 }), F.sum(dHall, { axis: 0 }), { dim: 0 }));
    dh0.push(dh);
    if (dc) dc0.push(dc);
    dxs.push(dXg.map((v) => F.dot(v, Wd)));
  }
  const dxSteps = dxs[0]!.map((v, t) => (D === 1 ? v : F.add(v, dxs[1]![t]!)));
  const out: (Tensor | null)[] = [stk(F, dxSteps, 0), stk(F, dW, 0), stk(F, dR, 0), stk(F, dB, 0), stk(F, dh0, 0)];
  if (lstm) out.push(stk(F, dc0, 0));
  if (lens) out.push(null);
  return out;
}
