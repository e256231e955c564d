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
 * step), at most 100 iterations. Here the 100 iterations are unrolled and the
 * stopping rule is a per-sample mask (1 until the first iteration whose error
 * is below the bound, 0 from then on, which zeroes every later step), so each
 * sample gets exactly the iterations onnxruntime gives it.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Value } from '../../ir/value.js';
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
  const op = (name: string, ins: Value[], attrs?: Record<string, number | boolean | number[] | null>) => c.op(name, ins, attrs);
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
  let p = op('add', [op('mul', [diag, s(0)]), s(1 / k)]);
  let active = op('add', [op('mul', [qii[0]!, s(0)]), s(1)]);
  const eps = Math.fround(0.005 / k);
  for (let loop = 0; loop < MAX_ITER; loop++) {
    let qp = op('sum', [op('mul', [q3, op('expandDims', [p], { axis: 1 })])], { axis: 2 });
    let pqp = op('sum', [op('mul', [p, qp])], { axis: 1, keepdims: true });
    const err = op('max', [op('abs', [op('sub', [qp, pqp])])], { axis: 1, keepdims: true });
    active = op('mul', [active, op('greaterEqual', [err, s(eps)])]);
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
  }
  return p;
}
