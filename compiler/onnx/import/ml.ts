/**
 * ONNX's ai.onnx.ml domain (scikit-learn, LightGBM, XGBoost models written by
 * skl2onnx and onnxmltools): its numeric operators as gluonc operators, with
 * onnxruntime's semantics where ONNX's spec leaves them open (onnxruntime
 * implements every ai.onnx.ml operator; its kernels under
 * core/providers/cpu/ml are the reference). The tree ensembles are in
 * ml-trees.ts. String tensors, maps and sequences of maps (ZipMap,
 * DictVectorizer, CastMap, CategoryMapper, string labels, keys or values)
 * have no form in gluonc and are refused by name. LinearRegressor's and
 * LinearClassifier's coefficients and intercepts become parameters
 * (`<node>_coefficients`, `<node>_intercepts`), as the leaf weights of the trees.
 */
import { tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';
import type { DType } from '../../../runtime/dtypes.js';
import { Value } from '../../ir/value.js';
import { castTo, type Builder, type ImportCtx } from './context.js';
import { ML_SVM_IMPORTS } from './ml-svm.js';
import { fillLike, ML_TREE_IMPORTS, POST, postTransform, singleTargetPost } from './ml-trees.js';

/** 0/1 in x's dtype where x is NaN. */
function isNan(c: ImportCtx, x: Value): Value {
  return c.op('notEqual', [x, x]);
}

/** A numeric input (float32, float64, int32, int64) cast to float32 (as onnxruntime's kernels compute). */
function floatInput(c: ImportCtx, i: number): Value {
  const x = c.input(i);
  if (!['float32', 'float64', 'int32', 'int64'].includes(x.type.dtype)) throw c.refuse(`input ${i} of dtype ${x.type.dtype} (float32, float64, int32 or int64)`);
  return castTo(c, x, 'float32');
}

/** A per-feature vector attribute (one value for all, or one per feature) as a constant broadcasting over the last axis. */
function perFeature(c: ImportCtx, name: string, values: number[], x: Value, dtype: DType = 'float32'): Value {
  const nf = x.type.shape[x.type.shape.length - 1];
  if (values.length !== 1 && typeof nf === 'number' && values.length !== nf) throw c.refuse(`${name} lists ${values.length} values for ${nf} features (one, or one per feature)`);
  return c.constant(tensorFromNumbers(dtype, [values.length], values));
}

const binarizer: Builder = (c) => {
  const x = c.input(0);
  if (!['float32', 'float64', 'int32', 'int64'].includes(x.type.dtype)) throw c.refuse(`input of dtype ${x.type.dtype}`);
  return [c.op('greater', [x, c.scalar(c.attr.float('threshold', 0), x.type.dtype)])];
};

/** ArrayFeatureExtractor: `take` along the last axis; a 1-D input gives one row [1, k] (as onnxruntime); indices out of range fail the run. */
const arrayFeatureExtractor: Builder = (c) => {
  const x = c.input(0);
  const idx = castTo(c, c.input(1), 'int64');
  const r = x.type.shape.length;
  const n = x.type.shape[r - 1];
  const flat = idx.type.shape.length === 1 ? idx : c.op('reshape', [idx], { shape: [-1] });
  const safe = typeof n === 'number' ? c.op('take', [c.constant(tensorFromNumbers('int64', [n], Array.from({ length: n }, (_v, k) => k))), flat], { axis: 0, mode: 'raise' }) : flat;
  const y = c.op('take', [x, safe], { axis: r - 1, mode: 'raise' });
  return [r === 1 ? c.op('expandDims', [y], { axis: 0 }) : y];
};

const scaler: Builder = (c) => {
  const x = floatInput(c, 0);
  const offset = c.attr.floats('offset') ?? [0];
  const scale = c.attr.floats('scale') ?? [1];
  return [c.op('mul', [c.op('sub', [x, perFeature(c, 'offset', offset, x)]), perFeature(c, 'scale', scale, x)])];
};

/** Normalizer, as onnxruntime's: rows divided by their max (not max |x|), L1 or L2 norm, left as they are where that is 0. */
const normalizer: Builder = (c) => {
  const x = floatInput(c, 0);
  if (x.type.shape.length > 2 || x.type.shape.length < 1) throw c.refuse(`input of rank ${x.type.shape.length} (1 or 2)`);
  const norm = c.attr.str('norm', 'MAX');
  let d: Value;
  if (norm === 'MAX') d = c.op('max', [x], { axis: -1, keepdims: true });
  else if (norm === 'L1') d = c.op('sum', [c.op('abs', [x])], { axis: -1, keepdims: true });
  else if (norm === 'L2') d = c.op('sqrt', [c.op('sum', [c.op('square', [x])], { axis: -1, keepdims: true })]);
  else throw c.refuse(`norm '${norm}' (MAX, L1 or L2)`);
  const zero = c.op('equal', [d, c.scalar(0, 'float32')]);
  return [c.op('div', [x, c.op('add', [d, zero])])];
};

const imputer: Builder = (c) => {
  const x = c.input(0);
  const floats = c.attr.floats('imputed_value_floats') ?? [];
  const ints = c.attr.ints('imputed_value_int64s') ?? [];
  const isInt = !floats.length;
  if (!floats.length && !ints.length) throw c.refuse('neither imputed_value_floats nor imputed_value_int64s is set');
  if (isInt !== (x.type.dtype === 'int64')) throw c.refuse(`imputed values ${isInt ? 'imputed_value_int64s' : 'imputed_value_floats'} for an input of dtype ${x.type.dtype}`);
  if (x.type.shape.length !== 2) throw c.refuse(`input of rank ${x.type.shape.length} (it takes [N, F])`);
  const replaced = isInt ? c.attr.int('replaced_value_int64', 0) : c.attr.float('replaced_value_float', 0);
  c.attr.ignore(isInt ? 'replaced_value_float' : 'replaced_value_int64');
  const hit = Number.isNaN(replaced) ? isNan(c, x) : c.op('equal', [x, c.scalar(replaced, x.type.dtype)]);
  return [c.op('where', [hit, c.op('add', [c.op('zerosLike', [x]), perFeature(c, 'imputed values', isInt ? ints : floats, x, x.type.dtype)]), x])];
};

/** FeatureVectorizer: each input as [N, d] (a 1-D input as one column), cut or zero-padded to its `inputdimensions` entry, then joined. */
const featureVectorizer: Builder = (c) => {
  const dims = c.attr.ints('inputdimensions') ?? [];
  if (dims.length !== c.nInputs) throw c.refuse(`inputdimensions lists ${dims.length} sizes for ${c.nInputs} inputs`);
  const parts = dims.map((d, i) => {
    let v = floatInput(c, i);
    if (v.type.shape.length === 1) v = c.op('expandDims', [v], { axis: 1 });
    if (v.type.shape.length !== 2) throw c.refuse(`input ${i} of rank ${v.type.shape.length} (1 or 2)`);
    const w = v.type.shape[1];
    if (typeof w !== 'number') throw c.refuse(`input ${i} has symbolic width ${w}`);
    if (w > d) v = c.op('sliceAxis', [v], { axis: 1, begin: 0, end: d });
    // Zeros [N, d - w]: a zero column times a zero row.
    if (w < d) v = c.op('concat', [v, c.op('mul', [c.op('sliceAxis', [c.op('zerosLike', [v])], { axis: 1, begin: 0, end: 1 }), c.constant(tensorFromNumbers('float32', [1, d - w], new Array(d - w).fill(0)))])], { dim: 1 });
    return v;
  });
  return [parts.length === 1 ? parts[0]! : c.op('concat', parts, { dim: 1 })];
};

/** OneHotEncoder with int64 categories: [..., K] of 0/1 (float32); a value of no category gives zeros (`zeros` = 1). */
const oneHotEncoder: Builder = (c) => {
  if (c.attr.has('cats_strings')) throw c.refuse('cats_strings (string categories): gluonc has no string tensors');
  const cats = c.attr.ints('cats_int64s');
  if (!cats?.length) throw c.refuse('cats_int64s is missing');
  if (c.attr.int('zeros', 1) !== 1) throw c.refuse('zeros = 0 (a value of no category fails the run in onnxruntime; gluonc maps only zeros = 1, where it gives zeros)');
  const x = c.input(0);
  if (!['float32', 'float64', 'int32', 'int64'].includes(x.type.dtype)) throw c.refuse(`input of dtype ${x.type.dtype}`);
  // A float value is truncated toward 0 first (onnxruntime's static_cast to int64: 1.5 is category 1); NaN is none.
  const hot = castTo(c, c.op('equal', [c.op('expandDims', [castTo(c, x, 'int64')], { axis: -1 }), c.constant(tensorFromNumbers('int64', [cats.length], cats))]), 'float32');
  if (x.type.dtype === 'int64' || x.type.dtype === 'int32') return [hot];
  const known = castTo(c, c.op('expandDims', [c.op('equal', [x, x])], { axis: -1 }), 'float32');
  return [c.op('mul', [hot, known])];
};

/** LabelEncoder with numeric keys and values (opset 2's lists, opset 4's tensors): the value of the first equal key (a NaN key of a tensor matches NaN), else the default. */
const labelEncoder: Builder = (c) => {
  for (const s of ['classes_strings', 'keys_strings', 'values_strings', 'default_string']) {
    if (c.attr.has(s)) throw c.refuse(`${s} (string keys or values): gluonc has no string tensors`);
  }
  const kt = c.attr.tensor('keys_tensor');
  const vt = c.attr.tensor('values_tensor');
  const dt = c.attr.tensor('default_tensor');
  if ((kt && kt.dtype === 'bool') || !(kt || c.attr.has('keys_int64s') || c.attr.has('keys_floats'))) throw c.refuse('no numeric keys (keys_int64s, keys_floats or keys_tensor)');
  const keys = kt ? { vals: [...tensorToNumbers(kt)], dtype: kt.dtype } : c.attr.ints('keys_int64s') ? { vals: c.attr.ints('keys_int64s')!, dtype: 'int64' as DType } : { vals: c.attr.floats('keys_floats')!, dtype: 'float32' as DType };
  const values = vt ? { vals: [...tensorToNumbers(vt)], dtype: vt.dtype } : c.attr.ints('values_int64s') ? { vals: c.attr.ints('values_int64s')!, dtype: 'int64' as DType } : c.attr.floats('values_floats') ? { vals: c.attr.floats('values_floats')!, dtype: 'float32' as DType } : null;
  if (!values) throw c.refuse('no numeric values (values_int64s, values_floats or values_tensor)');
  if (keys.vals.length !== values.vals.length) throw c.refuse(`${keys.vals.length} keys for ${values.vals.length} values`);
  const dflt = dt ? tensorToNumbers(dt)[0] ?? 0 : values.dtype === 'int64' ? c.attr.int('default_int64', -1) : c.attr.float('default_float', -0);
  c.attr.ignore(values.dtype === 'int64' ? 'default_float' : 'default_int64');
  const x = c.input(0);
  if (x.type.dtype !== keys.dtype) throw c.refuse(`input of dtype ${x.type.dtype} for keys of dtype ${keys.dtype}`);
  if (!keys.vals.length) return [fillLike(c, castTo(c, x, values.dtype), dflt)];
  const xe = c.op('expandDims', [x], { axis: -1 });
  let eq = c.op('equal', [xe, c.constant(tensorFromNumbers(keys.dtype, [keys.vals.length], keys.vals))]);
  // A NaN key matches a NaN input in opset 4's tensor form (onnxruntime 1.30; its opset-2 list form matches none).
  const nanKeys = keys.vals.map((k) => (kt && Number.isNaN(k) ? 1 : 0));
  if (nanKeys.some((k) => k)) eq = c.op('maximum', [eq, c.op('mul', [isNan(c, xe), c.constant(tensorFromNumbers(keys.dtype, [keys.vals.length], nanKeys))])]);
  const found = c.op('max', [eq], { axis: -1 });
  const picked = c.op('take', [c.constant(tensorFromNumbers(values.dtype, [values.vals.length], values.vals)), c.op('argmax', [eq], { axis: -1, keepdims: false })], { axis: 0, mode: 'clip' });
  return [c.op('where', [found, picked, fillLike(c, picked, dflt)])];
};


/** Coefficients [K, F] and intercepts [K] of LinearRegressor/LinearClassifier, as parameters. */
function linear(c: ImportCtx, x: Value, k: number | null): { scores: Value; k: number } {
  const coef = c.attr.floats('coefficients');
  if (!coef?.length) throw c.refuse('coefficients is missing');
  const inter = c.attr.floats('intercepts') ?? [];
  const K = k ?? inter.length;
  if (!K || coef.length % K) throw c.refuse(`${coef.length} coefficients do not split into ${K} rows`);
  const F = coef.length / K;
  if (x.type.shape.length !== 2 || (typeof x.type.shape[1] === 'number' && x.type.shape[1] !== F)) throw c.refuse(`input of shape [${x.type.shape.join(', ')}] for ${K} rows of ${F} coefficients`);
  if (inter.length && inter.length !== K) throw c.refuse(`${inter.length} intercepts for ${K} rows of coefficients`);
  const w = Value.param(`${c.label}_coefficients`, { dtype: 'float32', shape: [K, F] }, tensorFromNumbers('float32', [K, F], coef));
  let s = c.op('dot', [x, w], { transposeB: true });
  if (inter.length) s = c.op('add', [s, Value.param(`${c.label}_intercepts`, { dtype: 'float32', shape: [K] }, tensorFromNumbers('float32', [K], inter))]);
  return { scores: s, k: K };
}

/** LinearRegressor: X·Wᵀ + b, post-transformed (onnxruntime transforms one target by PROBIT only, as the tree regressors). */
const linearRegressor: Builder = (c) => {
  const x = floatInput(c, 0);
  const p = c.attr.str('post_transform', 'NONE');
  const post = POST.find((q) => q === p);
  if (!post) throw c.refuse(`post_transform '${p}' (one of ${POST.join(', ')})`);
  const { scores, k } = linear(c, x.type.shape.length === 1 ? c.op('expandDims', [x], { axis: 0 }) : x, c.attr.int('targets', 1));
  singleTargetPost(c, k, post);
  return [postTransform(c, scores, post)];
};

/**
 * LinearClassifier, as onnxruntime's: scores X·Wᵀ + b; the label of the
 * largest raw score; one row of coefficients with two labels is binary: the
 * label by the sign of the score, the scores [1 - t, t] for t the score
 * transformed (NONE or LOGISTIC), as onnxruntime 1.30 gives them.
 */
const linearClassifier: Builder = (c) => {
  if (c.attr.has('classlabels_strings')) throw c.refuse('classlabels_strings (string class labels): gluonc has no string tensors; a model with int64 classlabels_ints imports');
  c.attr.ignore('multi_class');
  const labels = c.attr.ints('classlabels_ints') ?? [];
  const x = floatInput(c, 0);
  const { scores, k } = linear(c, x.type.shape.length === 1 ? c.op('expandDims', [x], { axis: 0 }) : x, null);
  const p = c.attr.str('post_transform', 'NONE');
  const post = POST.find((q) => q === p);
  if (!post) throw c.refuse(`post_transform '${p}' (one of ${POST.join(', ')})`);
  if (k === 1) {
    const pos = labels.length === 2 ? labels[1]! : 1;
    const neg = labels.length === 2 ? labels[0]! : 0;
    const s = scores;
    const win = c.op('squeeze', [castTo(c, c.op('greater', [s, c.scalar(0, 'float32')]), 'int64')], { axis: 1 });
    const label = c.op('take', [c.constant(tensorFromNumbers('int64', [2], [neg, pos])), win], { axis: 0, mode: 'clip' });
    if (labels.length !== 2) return [label, postTransform(c, s, post)];
    if (post !== 'NONE' && post !== 'LOGISTIC') throw c.refuse(`post_transform ${post} with one row of coefficients and two labels (NONE and LOGISTIC are mapped)`);
    const t = postTransform(c, s, post);
    return [label, c.op('concat', [c.op('sub', [c.scalar(1, 'float32'), t]), t], { dim: 1 })];
  }
  if (labels.length !== k) throw c.refuse(`${labels.length} classlabels_ints for ${k} rows of coefficients`);
  const label = c.op('take', [c.constant(tensorFromNumbers('int64', [k], labels)), c.op('argmax', [scores], { axis: 1, keepdims: false })], { axis: 0, mode: 'clip' });
  return [label, postTransform(c, scores, post)];
};

/** Operators of maps, sequences of maps and strings, and those not mapped yet: refused saying why. */
const noStrings = (what: string): Builder => (c) => {
  throw c.refuse(what);
};

/** ai.onnx.ml's mapped operators (and the named refusals of those that cannot map). */
export const ML_IMPORTS: Readonly<Record<string, Builder>> = {
  ...ML_TREE_IMPORTS,
  ...ML_SVM_IMPORTS,
  Binarizer: binarizer,
  ArrayFeatureExtractor: arrayFeatureExtractor,
  Scaler: scaler,
  Normalizer: normalizer,
  Imputer: imputer,
  FeatureVectorizer: featureVectorizer,
  OneHotEncoder: oneHotEncoder,
  LabelEncoder: labelEncoder,
  LinearRegressor: linearRegressor,
  LinearClassifier: linearClassifier,
  ZipMap: noStrings('its output is a sequence of maps (class label -> probability), which gluonc has no value for; drop the ZipMap (skl2onnx: options={"zipmap": False}) and read the probabilities tensor'),
  DictVectorizer: noStrings('its input is a map, which gluonc has no value for'),
  CastMap: noStrings('its input is a map, which gluonc has no value for'),
  CategoryMapper: noStrings('it maps strings to integers or back, and gluonc has no string tensors'),
};
