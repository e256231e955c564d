/**
 * MXNet 1.x's training heads (`SoftmaxOutput`, `LinearRegressionOutput`,
 * `LogisticRegressionOutput`, `MAERegressionOutput`, `MakeLoss`): the forward
 * is the inference view (softmax, identity, sigmoid), and the gradient with
 * respect to the data is the loss's, written by the operator itself: it
 * IGNORES the incoming gradient (unless SoftmaxOutput's `outGrad`), as
 * MXNet's Backward does. The label gets no gradient.
 * Sources (apache/mxnet): src/operator/softmax_output-inl.h (SoftmaxOutputOp
 * Backward: (p - onehot(label)) * grad_scale / valid_cnt), mshadow's
 * SoftmaxGrad/SmoothSoftmaxGrad (tensor_cpu-inl.h: a row whose
 * `int(label) == int(ignore_label)` is 0; smoothing puts 1 - alpha on the
 * label and alpha / (k - 1) elsewhere), src/operator/regression_output-inl.h
 * (RegressionBackward: grad_scale / num_output * (out - label), num_output =
 * label.size / label.shape[0]; MAE takes the sign), make_loss-inl.h
 * (MakeLossOp Backward: grad_scale, / batch, or / max(1, #(data > valid_thresh))).
 * Invariants: the output has the data's type; the label input is optional
 * (a head read for inference has none) but differentiating without it is an
 * Error naming the operator; `lossHead` marks these rules, which are not
 * derivatives of the forward.
 */
import type { Attrs } from '../ir/node.js';
import type { Dim, TensorType } from '../ir/types.js';
import { defineOp, type GradCtx, type LowerCtx, type OpDef, type Tx } from './define.js';
import { sameDim } from './dims.js';
import { commonDType } from './elementwise.js';
import { OpError } from './errors.js';
import type { GradOps, GradTensor } from './grad-ops.js';

const FLOATS = ['float32', 'float64', 'float16'] as const;
const NORMALIZATIONS = ['null', 'batch', 'valid'];

type SoftmaxOutputA = Attrs & {
  gradScale: number; ignoreLabel: number; multiOutput: boolean; useIgnore: boolean;
  preserveShape: boolean; normalization: string; outGrad: boolean; smoothAlpha: number;
};
type RegressionA = Attrs & { gradScale: number };
type MakeLossA = Attrs & { gradScale: number; validThresh: number; normalization: string };

type HeadSig = (data: Tx, label?: Tx | object, options?: object) => Tx;
type MakeLossSig = (data: Tx, options?: { gradScale?: number; validThresh?: number; normalization?: 'null' | 'batch' | 'valid' }) => Tx;

const sameShape = (a: readonly Dim[], b: readonly Dim[]) => a.length === b.length && a.every((d, i) => sameDim(d, b[i]!));
const prodDims = (s: readonly Dim[]) => s.reduce<Dim>((p, d) => (typeof p === 'number' && typeof d === 'number' ? p * d : '?'), 1);

function checkNumberAttr(op: string, name: string, v: unknown, types: TensorType[]): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OpError(op, `${name} must be a finite number, got ${JSON.stringify(v)}`, types);
}

function checkNormalization(op: string, v: unknown, types: TensorType[]): void {
  if (typeof v !== 'string' || !NORMALIZATIONS.includes(v)) throw new OpError(op, `normalization must be one of ${NORMALIZATIONS.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(v)}`, types);
}

/** The label shapes SoftmaxOutput takes for a data shape (SoftmaxOutputProp::InferShape); the first is the one a missing label gets. */
function softmaxLabelShapes(d: readonly Dim[], a: SoftmaxOutputA): Dim[][] {
  if (a.multiOutput) {
    const rest = d.slice(2);
    return [[d[0]!, prodDims(rest)], [d[0]!, ...rest], [d[0]!, 1, ...rest]];
  }
  return [d.slice(0, -1)];
}

function softmaxOutputInfer(types: TensorType[], a: SoftmaxOutputA): TensorType[] {
  const op = 'SoftmaxOutput';
  const [x, label] = types as [TensorType, TensorType?];
  const dtype = commonDType(op, [x], [...FLOATS]);
  checkNumberAttr(op, 'gradScale', a.gradScale, types);
  checkNumberAttr(op, 'ignoreLabel', a.ignoreLabel, types);
  checkNormalization(op, a.normalization, types);
  if (typeof a.smoothAlpha !== 'number' || !(a.smoothAlpha >= 0 && a.smoothAlpha < 1)) throw new OpError(op, `smoothAlpha must be in [0, 1), got ${JSON.stringify(a.smoothAlpha)}`, types);
  if (x.shape.length < (a.multiOutput ? 2 : 1)) throw new OpError(op, `the data needs at least ${a.multiOutput ? 2 : 1} axes${a.multiOutput ? ' (multiOutput: [batch, classes, ...])' : ''}`, types);
  if (label && !a.multiOutput && !a.preserveShape && x.shape.length > 2 && !sameShape(label.shape, x.shape)) {
    // MXNet reads the label as one class per row of the [batch, rest] view; its label shape rule (data's shape without the last axis) then never fits.
    throw new OpError(op, `data of rank ${x.shape.length} needs multiOutput (softmax over axis 1) or preserveShape (over the last axis); MXNet's label of shape [${x.shape.slice(0, -1).join(', ')}] does not fit its [batch, rest] rows`, types);
  }
  if (label) {
    const ok = sameShape(label.shape, x.shape) || softmaxLabelShapes(x.shape, a).some((s) => sameShape(label.shape, s));
    if (!ok) {
      const want = [x.shape, ...softmaxLabelShapes(x.shape, a)].map((s) => `[${s.join(', ')}]`).join(' or ');
      throw new OpError(op, `the label must have shape ${want} (class indices, or probabilities of the data's shape)`, types);
    }
  }
  return [{ dtype, shape: [...x.shape] }];
}

function softmaxOutputLower(c: LowerCtx, a: SoftmaxOutputA): void {
  const rank = c.inTypes[0]!.shape.length;
  const x = c.inputs[0]!;
  if (a.multiOutput) return void c.emit('Softmax', [x], { axis: 1 }, c.outputs);
  if (a.preserveShape || rank <= 2) return void c.emit('Softmax', [x], { axis: -1 }, c.outputs);
  const [flat] = c.emit('Flatten', [x], { axis: 1 });
  const [y] = c.emit('Softmax', [flat!], { axis: -1 });
  c.emit('Reshape', [y!, c.emit('Shape', [x])[0]!], {}, c.outputs);
}

/** The label truncated to an integer as `static_cast<int>` does, in the data's dtype. */
function intLabel(F: GradOps, label: GradTensor, dtype: string): GradTensor {
  return F.cast(F.cast(label, 'int32'), dtype as 'float32');
}

function needLabel(op: string, label: GradTensor | undefined, types: TensorType[]): GradTensor {
  if (!label) throw new OpError(op, 'cannot be differentiated without its label: give the label (MXNet\'s `<name>_label` input) to train', types);
  return label;
}

/** Element count of a tensor, as a 0-d tensor of `dtype` (works for symbolic sizes). */
const countOf = (F: GradOps, t: GradTensor): GradTensor => F.sum(F.onesLike(t));

/** SoftmaxOutput's data gradient (softmax_output-inl.h, SoftmaxOutputOp::Backward). */
function softmaxOutputGrad(F: GradOps, ctx: GradCtx, [g]: (GradTensor | null)[]): (GradTensor | null)[] {
  const a = ctx.attrs as SoftmaxOutputA;
  const rest = ctx.inputs.length > 1 ? [null] : [];
  if (!g) return [null, ...rest];
  const label = needLabel('SoftmaxOutput', ctx.inputs[1], ctx.inTypes);
  const [data] = ctx.inputs as [GradTensor];
  const [p] = ctx.outputs as [GradTensor];
  const xt = ctx.inTypes[0]!;
  const dtype = xt.dtype;
  const scaled = (t: GradTensor, s: number) => (s === 1 ? t : F.mul(t, s));
  // Probabilities as the label: (p - label) * grad_scale, no normalization.
  if (sameShape(ctx.inTypes[1]!.shape, xt.shape)) {
    const d = scaled(F.sub(p, label), a.gradScale);
    return [a.outGrad ? F.mul(d, g) : d, null];
  }
  const k = a.multiOutput ? xt.shape[1] : a.preserveShape ? xt.shape[xt.shape.length - 1] : prodDims(xt.shape.slice(1));
  if (typeof k !== 'number') throw new OpError('SoftmaxOutput', 'its gradient needs a fixed number of classes', ctx.inTypes);
  // Multi-output: [n, k, d] with the label [n, 1, d]; otherwise rows [r, k] with the label [r, 1].
  const view = a.multiOutput ? F.reshape(p, [0, 0, -1]) : a.preserveShape ? F.reshape(p, [-1, k]) : F.reshape(p, [0, -1]);
  const lab = intLabel(F, a.multiOutput ? F.reshape(label, [0, 1, -1]) : F.reshape(label, [-1, 1]), dtype);
  const classes = F.reshape(F.arange(0, k, 1, { dtype: dtype as 'float32' }), a.multiOutput ? [1, k, 1] : [1, k]);
  const hot = F.cast(F.equal(lab, classes), dtype as 'float32');
  const alpha = a.smoothAlpha;
  // Label smoothing (SmoothSoftmaxGrad): 1 - alpha on the label, alpha / (k - 1) on the others.
  const target = alpha > 0 ? F.add(F.mul(hot, 1 - alpha - alpha / (k - 1)), alpha / (k - 1)) : hot;
  let grad = F.sub(view, target);
  const ignored = F.cast(F.equal(lab, Math.trunc(a.ignoreLabel)), dtype as 'float32');
  const valid = F.sub(F.onesLike(ignored), ignored);
  if (a.useIgnore) grad = F.mul(grad, valid);
  // valid_cnt: 1 (null), the label's first axis (batch: all labels of the flat view), or the labels != ignore_label, at least 1.
  let divisor: GradTensor | null = null;
  if (a.normalization === 'valid') divisor = F.maximum(F.sum(valid), 1);
  else if (a.normalization === 'batch') divisor = countOf(F, lab);
  // Multi-output divides by the spatial size d too, except for 'valid' (grad_scale / (kValid ? 1 : s3[2]) / valid_cnt).
  else if (a.multiOutput) divisor = countOf(F, F.sliceAxis(lab, { axis: 0, begin: 0, end: 1 }));
  grad = scaled(grad, a.gradScale);
  if (divisor) grad = F.div(grad, divisor);
  if (a.outGrad) grad = F.mul(grad, F.reshapeLike(g, grad));
  return [F.reshapeLike(grad, data), null];
}

/**
 * MXNet's `SoftmaxOutput`: softmax of the data forward (over every axis but
 * the first, or axis 1 with `multiOutput`, or the last with `preserveShape`),
 * and the cross-entropy gradient `(p - onehot(label)) * gradScale`, normalized
 * by `normalization` ('null', 'batch', 'valid'), as the data's gradient,
 * whatever gradient comes in. Example:
 * `sym.SoftmaxOutput(fc, { name: 'softmax' })` (the label variable `softmax_label` is made for it).
 */
export const SoftmaxOutput: OpDef<HeadSig, SoftmaxOutputA> = defineOp<HeadSig, SoftmaxOutputA>({
  name: 'SoftmaxOutput',
  inputs: ['data', 'label?'],
  params: ['label'],
  attrs: { gradScale: 1, ignoreLabel: -1, multiOutput: false, useIgnore: false, preserveShape: false, normalization: 'null', outGrad: false, smoothAlpha: 0 },
  infer: softmaxOutputInfer,
  solve: ([x], a) => [undefined, x ? softmaxLabelShapes(x.shape, a)[0]! as number[] : undefined],
  lower: softmaxOutputLower,
  lossHead: true,
  grad: softmaxOutputGrad,
});

function regressionInfer(op: string) {
  return (types: TensorType[], a: RegressionA): TensorType[] => {
    const [x, label] = types as [TensorType, TensorType?];
    const dtype = commonDType(op, [x], [...FLOATS]);
    checkNumberAttr(op, 'gradScale', a.gradScale, types);
    if (x.shape.length < 1) throw new OpError(op, 'the data needs a batch axis', types);
    // RegressionOpShape: the label's first axis and size are the data's.
    if (label && (label.shape.length < 1 || !sameDim(label.shape[0]!, x.shape[0]!) || !sameDim(prodDims(label.shape), prodDims(x.shape)))) {
      throw new OpError(op, `the label must have the data's batch size and element count (shape [${x.shape.join(', ')}]${x.shape.length === 2 && x.shape[1] === 1 ? ` or [${x.shape[0]}]` : ''})`, types);
    }
    return [{ dtype, shape: [...x.shape] }];
  };
}

function regressionHead(name: string, forward: 'Identity' | 'Sigmoid', mae: boolean): OpDef<HeadSig, RegressionA> {
  return defineOp<HeadSig, RegressionA>({
    name,
    inputs: ['data', 'label?'],
    params: ['label'],
    attrs: { gradScale: 1 },
    infer: regressionInfer(name),
    solve: ([x]) => [undefined, x ? (x.shape.length === 2 && x.shape[1] === 1 ? [x.shape[0]] : [...x.shape]) as number[] : undefined],
    lower: (c) => void c.emit(forward, [c.inputs[0]!], {}, c.outputs),
    lossHead: true,
    // grad_scale / num_output * (out - label) (sign of it for MAE); num_output = label.size / label.shape[0].
    grad: (F, ctx, [g]) => {
      const rest = ctx.inputs.length > 1 ? [null] : [];
      if (!g) return [null, ...rest];
      const label = needLabel(name, ctx.inputs[1], ctx.inTypes);
      const out = ctx.outputs[0]!;
      const diff = F.sub(out, F.reshapeLike(label, out));
      const d = mae ? F.sign(diff) : diff;
      const numOutput = countOf(F, F.sliceAxis(label, { axis: 0, begin: 0, end: 1 }));
      const gs = (ctx.attrs as RegressionA).gradScale;
      return [F.div(gs === 1 ? d : F.mul(d, gs), numOutput), null];
    },
  });
}

/** MXNet's `LinearRegressionOutput`: identity forward; data gradient `gradScale / numOutput * (out - label)`. Example: `sym.LinearRegressionOutput(fc, { name: 'lro' })`. */
export const LinearRegressionOutput = regressionHead('LinearRegressionOutput', 'Identity', false);
/** MXNet's `LogisticRegressionOutput`: sigmoid forward; data gradient `gradScale / numOutput * (sigmoid(x) - label)`. Example: `sym.LogisticRegressionOutput(fc, { name: 'lro' })`. */
export const LogisticRegressionOutput = regressionHead('LogisticRegressionOutput', 'Sigmoid', false);
/** MXNet's `MAERegressionOutput`: identity forward; data gradient `gradScale / numOutput * sign(out - label)`. Example: `sym.MAERegressionOutput(fc, { name: 'mae' })`. */
export const MAERegressionOutput = regressionHead('MAERegressionOutput', 'Identity', true);

/**
 * MXNet's `MakeLoss`: identity forward; its gradient is `gradScale` (over the
 * batch size with 'batch', over the count of elements above `validThresh`
 * with 'valid'), whatever comes in, so the data is minimized as a loss.
 * Example: `sym.MakeLoss(sym.square(sym.sub(out, label)), { normalization: 'batch' })`.
 */
export const MakeLoss: OpDef<MakeLossSig, MakeLossA> = defineOp<MakeLossSig, MakeLossA>({
  name: 'MakeLoss',
  inputs: ['data'],
  attrs: { gradScale: 1, validThresh: 0, normalization: 'null' },
  infer: (types, a) => {
    const [x] = types as [TensorType];
    const dtype = commonDType('MakeLoss', [x], [...FLOATS]);
    checkNumberAttr('MakeLoss', 'gradScale', a.gradScale, types);
    checkNumberAttr('MakeLoss', 'validThresh', a.validThresh, types);
    checkNormalization('MakeLoss', a.normalization, types);
    if (a.normalization === 'batch' && x.shape.length < 1) throw new OpError('MakeLoss', "normalization 'batch' needs a batch axis", types);
    return [{ dtype, shape: [...x.shape] }];
  },
  lower: (c) => void c.emit('Identity', [c.inputs[0]!], {}, c.outputs),
  lossHead: true,
  grad: (F, { inputs: [x], attrs, inTypes }, [g]) => {
    if (!g) return [null];
    const a = attrs as MakeLossA;
    const ones = F.mul(F.onesLike(x!), a.gradScale);
    if (a.normalization === 'batch') return [F.div(ones, F.div(countOf(F, x!), countOf(F, F.sliceAxis(x!, { axis: 0, begin: 0, end: 1 }))))];
    if (a.normalization === 'valid') return [F.div(ones, F.maximum(F.sum(F.cast(F.greater(x!, a.validThresh), inTypes[0]!.dtype as 'float32')), 1))];
    return [ones];
  },
});

/** The training heads, by F name (`make_loss`/`makeLoss`: MXNet's newer spelling of MakeLoss with its defaults). */
export const HEAD_OPS = { SoftmaxOutput, LinearRegressionOutput, LogisticRegressionOutput, MAERegressionOutput, MakeLoss, makeLoss: MakeLoss } as const;
