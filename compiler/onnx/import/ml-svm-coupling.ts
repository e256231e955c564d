/**
 * SVMClassifier's probability estimates as onnxruntime computes them
 * (svmclassifier.cc, ml_common.h's multiclass_probability: libsvm's pairwise
 * coupling, Wu, Lin and Weng 2004, method 2), in gluonc operators so that they
 * run eagerly, export, and carry the gradient into the coefficients and rho.
 *
 * Each pair (i, j)'s decision s is Platt-scaled, r_ij = 1 - σ(s·A + B) clipped
 * to [1e-7, 1 - 1e-7], r_ji = 1 - r_ij; Q[i][i] = Σ_{j≠i} r_ji², Q[i][j] =
 * -r_ji · r_ij; p starts at 1/k and each iteration first computes Qp and pᵀQp,
 * stops where max_i |Qp_i - pᵀQp| < 0.005 / k, else sweeps i = 0 .. k-1
 * (p_i += (pᵀQp - Qp_i) / Q_ii, then p, Qp and pᵀQp rescaled by 1 + that
 * step), at most 100 iterations. Here one iteration over the whole batch is
 * the body of an `OnnxLoop` (an ONNX Loop of at most 100 trips; its gradient is
 * the reverse-time loop of compiler/ops/loop-grad.ts) carrying p and a
 * per-sample mask, 1 until the first iteration whose error is below the bound
 * and 0 from then on, which zeroes every later step: each sample gets exactly
 * the iterations onnxruntime gives it, and the loop ends once every sample's
 * mask is 0.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Attrs, Node } from '../../ir/node.js';
import { Value } from '../../ir/value.js';
import { encodeBody } from '../../ops/loop.js';
import type { ImportCtx } from './context.js';

/** onnxruntime's (and libsvm's) most iterations of the coupling. */
const MAX_ITER = 100;

/**
 * The class probabilities [N, k] of the pairwise decisions `scores` [N, P]
 * (pairs (i, j), i < j, in row-major order); `first`/`second` [P, k] mark each
 * pair's classes i and j.
 */
export function couple(c: ImportCtx, scores: Value, probA: number[], probB: number[], k: number, first: number[], second: number[]): Value {
  const P = (k * (k - 1)) / 2;
  const f = (shape: number[], values: number[]) => c.constant(tensorFromNumbers('float32', shape, values));
  const s = (n: number) => c.scalar(n, 'float32');
  const op = (name: string, ins: Value[], attrs?: Attrs) => c.op(name, ins, attrs);
  // r_ij = 1 - σ(z) = σ(-z), clipped as onnxruntime clips it.
  const z = op('add', [op('mul', [scores, f([P], probA)]), f([P], probB)]);
  const r = op('clip', [op('sigmoid', [op('neg', [z])])], { aMin: 1e-7, aMax: 1 - 1e-7 });
  const rc = op('sub', [s(1), r]);
  // Q's diagonal [N, k] (class i of pair (i, j) reads r_ji = 1 - r, class j reads r_ij = r) and Q flat [N, k·k].
  const diag = op('add', [op('dot', [op('square', [rc]), f([P, k], first)]), op('dot', [op('square', [r]), f([P, k], second)])]);
  const off = new Array(P * k * k).fill(0);
  const onDiag = new Array(k * k * k).fill(0);
  let q = 0;
  for (let i = 0; i < k; i++) {
    onDiag[i * k * k + i * k + i] = 1;
    for (let j = i + 1; j < k; j++, q++) off[q * k * k + i * k + j] = off[q * k * k + j * k + i] = -1;
  }
  const qFlat = op('add', [op('dot', [op('mul', [r, rc]), f([P, k * k], off)]), op('dot', [diag, f([k, k * k], onDiag)])]);
  const q3 = op('reshape', [qFlat], { shape: [-1, k, k] });
  const unit = (i: number) => Array.from({ length: k }, (_v, j) => +(i === j));
  const rows: Value[] = [];
  const qii: Value[] = [];
  for (let i = 0; i < k; i++) {
    const pick = new Array(k * k * k).fill(0);
    for (let j = 0; j < k; j++) pick[(i * k + j) * k + j] = 1;
    rows.push(op('dot', [qFlat, f([k * k, k], pick)]));
    qii.push(op('dot', [diag, f([k, 1], unit(i))]));
  }
  const p0 = op('add', [op('mul', [diag, s(0)]), s(1 / k)]);
  const active0 = op('add', [op('mul', [qii[0]!, s(0)]), s(1)]);
  // The body of one iteration: carried p and the mask, the rest captured; it ends once every sample has converged.
  const it = Value.input('iteration', { dtype: 'int64', shape: [] });
  const cond = Value.input('condition', { dtype: 'bool', shape: [] });
  const pIn = Value.input('p', p0.type);
  const activeIn = Value.input('active', active0.type);
  let p = pIn;
  const eps = Math.fround(0.005 / k);
  let qp = op('sum', [op('mul', [q3, op('expandDims', [p], { axis: 1 })])], { axis: 2 });
  let pqp = op('sum', [op('mul', [p, qp])], { axis: 1, keepdims: true });
  const err = op('max', [op('abs', [op('sub', [qp, pqp])])], { axis: 1, keepdims: true });
  const active = op('mul', [activeIn, op('greaterEqual', [err, s(eps)])]);
  for (let i = 0; i < k; i++) {
    const qpi = op('dot', [qp, f([k, 1], unit(i))]);
    const diff = op('mul', [op('div', [op('sub', [pqp, qpi]), qii[i]!]), active]);
    p = op('add', [p, op('mul', [diff, f([k], unit(i))])]);
    const d1 = op('add', [diff, s(1)]);
    const grow = op('add', [op('mul', [diff, qii[i]!]), op('mul', [qpi, s(2)])]);
    pqp = op('div', [op('div', [op('add', [pqp, op('mul', [diff, grow])]), d1]), d1]);
    qp = op('div', [op('add', [qp, op('mul', [diff, rows[i]!])]), d1]);
    p = op('div', [p, d1]);
  }
  const more = op('cast', [op('greater', [op('max', [active]), s(0)])], { dtype: 'bool' });
  const inputs = [it, cond, pIn, activeIn];
  const made = new Map<Node, boolean>();
  const inside = (n: Node): boolean => {
    let m = made.get(n);
    if (m === undefined) made.set(n, (m = n.inputs.some((v) => inputs.includes(v) || (!!v.producer && inside(v.producer)))));
    return m;
  };
  const captured: Value[] = [];
  const body = encodeBody(inputs, [more, p, active], inside, (v) => void captured.push(v));
  for (const [n, m] of made) if (m) n.detach();
  const outTypes = [p0.type, active0.type];
  const trip = c.constant(tensorFromNumbers('int64', [], [MAX_ITER]));
  const yes = c.constant(tensorFromNumbers('bool', [], [1]));
  return c.ops('OnnxLoop', [trip, yes, p0, active0, ...captured], { body, nCarried: 2, tripCount: true, condition: true, outTypes, node: c.label } as never)[0]!;
}
