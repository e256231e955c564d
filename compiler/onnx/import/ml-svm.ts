/**
 * ai.onnx.ml's support vector machines (scikit-learn's SVR, SVC, NuSVC,
 * OneClassSVM, LinearSVC/LinearSVR as skl2onnx writes them): the kernel of
 * each sample with each support vector (LINEAR x·v, POLY (γ x·v + c₀)^d,
 * RBF exp(-γ |x - v|²), SIGMOID tanh(γ x·v + c₀); kernel_params [γ, c₀, d]),
 * then, for SVMRegressor, Σ coefficients · kernel + rho (the sign for
 * one_class), and for SVMClassifier the one-vs-one decisions: pair (i, j) of
 * the classes scores rho_k + Σ over class i's vectors of coefficients[j - 1]
 * · kernel + Σ over class j's of coefficients[i] · kernel, voting for i where
 * it is > 0, else for j; the label is the class of most votes (the first on a
 * tie), the scores the pairwise decisions, post-transformed. Without support
 * vectors both are linear: x · coefficients + rho. The coefficients and rho
 * are parameters (`<node>_coefficients`, `<node>_rho`); the support vectors
 * stay constants. With probability estimates (prob_a, prob_b) the scores are
 * onnxruntime's: each pair's decision Platt-scaled, r = σ(-(s·A + B)) clipped
 * to [1e-7, 1 - 1e-7], coupled into class probabilities by libsvm's
 * multiclass_probability (ml-svm-coupling.ts), post-transformed; the label
 * is still the votes'. Without support vectors the classifier is liblinear's
 * as onnxruntime runs it: scores x · Wᵀ + rho[0] for the coefficients W
 * [classes, features], post-transformed; the label the highest score's (the
 * first on a tie), except with two classes and no prob_a: the second label
 * where the highest score is >= 0.5 (coefficients all >= 0) or > 0 (of both
 * signs), as onnxruntime's ChooseClass.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { Value } from '../../ir/value.js';
import { castTo, type Builder, type ImportCtx } from './context.js';
import { couple } from './ml-svm-coupling.js';
import { POST, postTransform } from './ml-trees.js';

const KERNELS = ['LINEAR', 'POLY', 'RBF', 'SIGMOID'] as const;

function param(c: ImportCtx, suffix: string, shape: number[], values: number[]): Value {
  return Value.param(`${c.label}_${suffix}`, { dtype: 'float32', shape }, tensorFromNumbers('float32', shape, values));
}

/** The input as float32 [N, F] (a 1-D input as one row), F checked against `features` where known. */
function rows(c: ImportCtx, features: number): Value {
  let x = c.input(0);
  if (!['float32', 'float64', 'int32', 'int64'].includes(x.type.dtype)) throw c.refuse(`input of dtype ${x.type.dtype}`);
  x = castTo(c, x, 'float32');
  if (x.type.shape.length === 1) x = c.op('expandDims', [x], { axis: 0 });
  const f = x.type.shape[1];
  if (x.type.shape.length !== 2 || (typeof f === 'number' && f !== features)) throw c.refuse(`input of shape [${x.type.shape.join(', ')}] for vectors of ${features} features`);
  return x;
}

/** The kernel of every sample with every support vector: [N, V]. */
function kernel(c: ImportCtx, x: Value, sv: number[], nsv: number): Value {
  const kind = c.attr.str('kernel_type', 'LINEAR');
  if (!KERNELS.includes(kind as never)) throw c.refuse(`kernel_type '${kind}' (one of ${KERNELS.join(', ')})`);
  const kp = c.attr.floats('kernel_params') ?? [];
  const [gamma, coef0, degree] = [kp[0] ?? 0, kp[1] ?? 0, Math.trunc(kp[2] ?? 0)];
  const F = sv.length / nsv;
  const v = c.constant(tensorFromNumbers('float32', [nsv, F], sv));
  const s = (n: number) => c.scalar(n, 'float32');
  if (kind === 'RBF') {
    // |x - v|² as the sum of squared differences (as onnxruntime computes it), not |x|² - 2x·v + |v|².
    const d = c.op('sub', [c.op('expandDims', [x], { axis: 1 }), v]);
    return c.op('exp', [c.op('mul', [c.op('sum', [c.op('square', [d])], { axis: 2 }), s(-gamma)])]);
  }
  const dot = c.op('dot', [x, v], { transposeB: true });
  if (kind === 'LINEAR') return dot;
  const lin = c.op('add', [c.op('mul', [dot, s(gamma)]), s(coef0)]);
  return kind === 'SIGMOID' ? c.op('tanh', [lin]) : c.op('pow', [lin, s(degree)]);
}

const svmRegressor: Builder = (c) => {
  const coef = c.attr.floats('coefficients') ?? [];
  const rho = c.attr.floats('rho') ?? [0];
  const nsv = c.attr.int('n_supports', 0);
  if (c.attr.int('n_targets', 1) !== 1) throw c.refuse(`n_targets ${c.attr.int('n_targets', 1)} (one target)`);
  const post = c.attr.str('post_transform', 'NONE');
  if (post !== 'NONE') throw c.refuse(`post_transform '${post}' (NONE)`);
  if (rho.length !== 1) throw c.refuse(`${rho.length} rho values (one)`);
  const oneClass = c.attr.int('one_class', 0) !== 0;
  let score: Value;
  if (nsv > 0) {
    const sv = c.attr.floats('support_vectors') ?? [];
    if (!sv.length || sv.length % nsv || coef.length !== nsv) throw c.refuse(`${sv.length} support vector values and ${coef.length} coefficients for ${nsv} support vectors`);
    const x = rows(c, sv.length / nsv);
    score = c.op('dot', [kernel(c, x, sv, nsv), param(c, 'coefficients', [nsv, 1], coef)]);
  } else {
    // No support vectors: linear in the input (kernel_type is not read, as onnxruntime ignores it there).
    c.attr.ignore('kernel_type', 'kernel_params', 'support_vectors');
    if (!coef.length) throw c.refuse('coefficients is missing');
    score = c.op('dot', [rows(c, coef.length), param(c, 'coefficients', [coef.length, 1], coef)]);
  }
  score = c.op('add', [score, param(c, 'rho', [1], rho)]);
  if (!oneClass) return [score];
  const pos = c.op('greater', [score, c.scalar(0, 'float32')]);
  return [c.op('sub', [c.op('mul', [pos, c.scalar(2, 'float32')]), c.scalar(1, 'float32')])];
};

/** SVMClassifier without support vectors (liblinear): scores x · Wᵀ + rho[0], W [C, F]. */
function linearClassifier(c: ImportCtx, labels: number[], coef: number[], rho: number[], proba: boolean, post: (typeof POST)[number]): Value[] {
  const C = labels.length;
  // onnxruntime reads the form as LINEAR whatever kernel_type says, and only rho[0].
  c.attr.ignore('kernel_type', 'kernel_params', 'support_vectors');
  if (!coef.length || coef.length % C) throw c.refuse(`${coef.length} coefficients for ${C} classes (no support vectors: a row of features per class)`);
  if (!rho.length) throw c.refuse('rho is missing');
  const F = coef.length / C;
  const w = param(c, 'coefficients', [C, F], coef);
  const scores = c.op('add', [c.op('dot', [rows(c, F), w], { transposeB: true }), param(c, 'rho', [1], rho.slice(0, 1))]);
  const table = c.constant(tensorFromNumbers('int64', [C], labels));
  let label = c.op('take', [table, c.op('argmax', [scores], { axis: 1, keepdims: false })], { axis: 0, mode: 'clip' });
  if (C === 2 && !proba) {
    // onnxruntime's ChooseClass: the second label where the highest score reaches 0.5 (all coefficients >= 0) or 0 (both signs).
    const allPositive = coef.every((v) => v >= 0);
    const top = c.op('max', [scores], { axis: 1 });
    const second = c.op('take', [table, c.constant(tensorFromNumbers('int64', [], [1]))], { axis: 0, mode: 'clip' });
    const cond = c.op(allPositive ? 'greaterEqual' : 'greater', [top, c.scalar(allPositive ? 0.5 : 0, 'float32')]);
    label = c.op('where', [cond, c.op('add', [c.op('mul', [label, c.scalar(0, 'int64')]), second]), label]);
  }
  return [label, postTransform(c, scores, post)];
}

const svmClassifier: Builder = (c) => {
  if (c.attr.has('classlabels_strings')) throw c.refuse('classlabels_strings (string class labels): gluonc has no string tensors; a model with int64 classlabels_ints imports');
  const probA = c.attr.floats('prob_a') ?? [];
  const probB = c.attr.floats('prob_b') ?? [];
  const labels = c.attr.ints('classlabels_ints') ?? [];
  const C = labels.length;
  if (C < 2) throw c.refuse(`${C} class labels (two or more)`);
  const coef = c.attr.floats('coefficients') ?? [];
  const rho = c.attr.floats('rho') ?? [];
  const perClass = c.attr.ints('vectors_per_class') ?? [];
  const p = c.attr.str('post_transform', 'NONE');
  const post = POST.find((q) => q === p);
  if (!post) throw c.refuse(`post_transform '${p}' (one of ${POST.join(', ')})`);
  const nsv = perClass.reduce((a, b) => a + b, 0);
  const P = (C * (C - 1)) / 2;
  if (probA.length !== probB.length) throw c.refuse(`${probA.length} prob_a and ${probB.length} prob_b values (as many of each)`);
  if (nsv === 0) return linearClassifier(c, labels, coef, rho, probA.length > 0, post);
  if (probA.length && probA.length !== P) throw c.refuse(`${probA.length} prob_a/prob_b values for ${P} pairs of classes`);
  const labelOf = (idx: Value) => c.op('take', [c.constant(tensorFromNumbers('int64', [C], labels)), idx], { axis: 0, mode: 'clip' });
  if (perClass.length !== C) throw c.refuse(`vectors_per_class lists ${perClass.length} classes for ${C} labels`);
  const sv = c.attr.floats('support_vectors') ?? [];
  if (!sv.length || sv.length % nsv) throw c.refuse(`${sv.length} support vector values for ${nsv} support vectors`);
  if (coef.length !== (C - 1) * nsv) throw c.refuse(`${coef.length} coefficients for ${C - 1} rows of ${nsv} support vectors`);
  if (rho.length !== P) throw c.refuse(`${rho.length} rho values for ${P} pairs of classes`);
  const x = rows(c, sv.length / nsv);
  const k = kernel(c, x, sv, nsv);
  // The pairs' decisions: the coefficients each pair reads, a matrix [V, P] gathered from the parameter
  // [C - 1, V] (flattened, a 0 appended for the vectors a pair does not read), then one product.
  const start = perClass.map((_n, i) => perClass.slice(0, i).reduce((a, b) => a + b, 0));
  const zero = (C - 1) * nsv;
  const idx = new Array(nsv * P).fill(zero);
  const pos = new Array(P * C).fill(0);
  const neg = new Array(P * C).fill(0);
  let q = 0;
  for (let i = 0; i < C; i++) {
    for (let j = i + 1; j < C; j++, q++) {
      for (let v = start[i]!; v < start[i]! + perClass[i]!; v++) idx[v * P + q] = (j - 1) * nsv + v;
      for (let v = start[j]!; v < start[j]! + perClass[j]!; v++) idx[v * P + q] = i * nsv + v;
      pos[q * C + i] = 1;
      neg[q * C + j] = 1;
    }
  }
  const w = param(c, 'coefficients', [C - 1, nsv], coef);
  const flat = c.op('concat', [c.op('reshape', [w], { shape: [-1] }), c.constant(tensorFromNumbers('float32', [1], [0]))], { dim: 0 });
  const pairCoef = c.op('take', [flat, c.constant(tensorFromNumbers('int64', [nsv, P], idx))], { axis: 0, mode: 'clip' });
  const scores = c.op('add', [c.op('dot', [k, pairCoef]), param(c, 'rho', [P], rho)]);
  const win = c.op('greater', [scores, c.scalar(0, 'float32')]);
  const votes = c.op('add', [c.op('dot', [win, c.constant(tensorFromNumbers('float32', [P, C], pos))]), c.op('dot', [c.op('sub', [c.scalar(1, 'float32'), win]), c.constant(tensorFromNumbers('float32', [P, C], neg))])]);
  const label = labelOf(c.op('argmax', [votes], { axis: 1, keepdims: false }));
  if (probA.length) return [label, postTransform(c, couple(c, scores, probA, probB, C, pos, neg), post)];
  if (P > 1) return [label, postTransform(c, scores, post)];
  if (post === 'PROBIT') throw c.refuse('post_transform PROBIT with two classes');
  return [label, postTransform(c, c.op('concat', [c.op('neg', [scores]), scores], { dim: 1 }), post)];
};

/** SVMRegressor's and SVMClassifier's builders. */
export const ML_SVM_IMPORTS: Readonly<Record<string, Builder>> = { SVMRegressor: svmRegressor, SVMClassifier: svmClassifier };
