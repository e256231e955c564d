/**
 * Normalization operators with MXNet's names and semantics: BatchNorm
 * (batch statistics while training, the moving ones otherwise; `fixGamma`,
 * `useGlobalStats`) and LayerNorm.
 * Invariants: they take float32 and float64; `training` is a boolean once
 * normalized (null reads the training mode); eager BatchNorm in training
 * mode updates the moving statistics it was given in place (MXNet's
 * auxiliary states, `stateUpdate`); in a traced graph nn.BatchNorm writes
 * them back.
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Shape, TensorType } from '../ir/types.js';
import { checkNumber, checkTraining, checkVector, FLOATS, fmt, moments, onAxis, solveVectors, standardize } from './nn.js';
import { defineOp, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { normAxis, splitAt } from './dims.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import { isTrainingMode } from './mode.js';
import type { GradOps, GradTensor } from './grad-ops.js';

// ---------------------------------------------------------------- BatchNorm

type BatchNormAttrs = Attrs & {
  eps: number;
  momentum: number;
  fixGamma: boolean;
  useGlobalStats: boolean;
  axis: number;
  training: boolean | null;
};
/** Options of BatchNorm. */
export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  fixGamma?: boolean;
  useGlobalStats?: boolean;
  axis?: number;
  /** Batch statistics (true) or the moving ones (false); null reads the training mode. */
  training?: boolean | null;
}

const BN_PARAMS = ['gamma', 'beta', 'movingMean', 'movingVar'];

type BatchNormSig = (data: Tx, gamma: Tx, beta: Tx, movingMean: Tx, movingVar: Tx, ...rest: PositionalOptions<BatchNormOptions, ['eps', 'momentum', 'fixGamma', 'useGlobalStats']>) => Tx;

/**
 * Batch normalization over channel `axis` (default 1). In training mode
 * (and without `useGlobalStats`) it uses the batch's mean and biased
 * variance over all other axes, else `movingMean`/`movingVar`; `fixGamma`
 * (default true) treats gamma as 1. Run eagerly in training mode (inside
 * `autograd.record`, or `autograd.trainMode`) without `useGlobalStats`, it
 * updates `movingMean`/`movingVar` in place with MXNet's momentum rule,
 * `moving = moving · momentum + batch · (1 − momentum)` with the biased
 * batch variance (src/operator/nn/batch_norm.cc; MXNet's oneDNN kernel does
 * it in the forward pass, its plain CPU kernel in the backward pass).
 * Example: `F.BatchNorm(x, gamma, beta, mean, variance, { fixGamma: false })`.
 */
export const BatchNorm: OpDef<BatchNormSig, BatchNormAttrs> = defineOp<BatchNormSig, BatchNormAttrs>({
  name: 'BatchNorm',
  inputs: ['data', 'gamma', 'beta', 'movingMean', 'movingVar'],
  params: ['gamma', 'beta', 'movingMean', 'movingVar'],
  attrs: { eps: 1e-3, momentum: 0.9, fixGamma: true, useGlobalStats: false, axis: 1, training: null },
  positional: ['eps', 'momentum', 'fixGamma', 'useGlobalStats'],
  normalize: (a) => (a.training === null || a.training === undefined ? { ...a, training: isTrainingMode() } : a),
  infer: (types, a) => {
    const op = 'BatchNorm';
    const dtype = commonDType(op, types.slice(0, 1), FLOATS);
    // float16 data may come with float32 parameters and statistics (MXNet's BatchNorm keeps them float32).
    const pd = commonDType(op, types.slice(1), FLOATS);
    if (pd !== dtype && !(dtype === 'float16' && pd === 'float32')) {
      throw new OpError(op, `gamma, beta and the moving statistics are ${pd} but the data is ${dtype}: they must have its dtype (float16 data also takes float32 ones)`, types);
    }
    const x = types[0]!;
    const axis = normAxis(op, a.axis, x.shape.length, types);
    checkNumber(op, 'eps', a.eps, (e) => e >= 0, 'a non-negative number', types);
    checkNumber(op, 'momentum', a.momentum, Number.isFinite, 'a number', types);
    checkTraining(op, a.training, types);
    const ch = x.shape[axis]!;
    BN_PARAMS.forEach((name, i) => checkVector(op, name, types[i + 1]!, ch, `the channels on axis ${axis} of data ${fmt(x.shape)}`, types));
    return [{ dtype, shape: [...x.shape] }];
  },
  solve: (types, a) => solveOnAxis(types, a.axis),
  lower: float16InFloat32((c, a) => {
    const t = c.inTypes[0]!;
    const d = t.dtype;
    const rank = t.shape.length;
    const axis = normAxis('BatchNorm', a.axis, rank);
    const [x, gamma, beta, mean, variance] = c.inputs as [string, string, string, string, string];
    const batchStats = a.training === true && !a.useGlobalStats;
    const ones = () => c.emit('ConstantOfShape', [c.emit('Shape', [gamma])[0]!], { value: { tensor: { dtype: d, shape: [1], data: d === 'float64' ? Float64Array.of(1) : Float32Array.of(1) } } })[0]!;
    if (!batchStats && axis === 1 && rank >= 2) {
      c.emit('BatchNormalization', [x, a.fixGamma ? ones() : gamma, beta, mean, variance], { epsilon: { float: a.eps } }, c.outputs);
      return;
    }
    const shape = c.ints(onAxis(rank, axis));
    const bc = (v: string) => c.emit('Reshape', [v, shape])[0]!;
    const [m, v] = batchStats ? moments(c, x, [...Array(rank).keys()].filter((k) => k !== axis)) : [bc(mean), bc(variance)];
    let y = standardize(c, x, m, v, a.eps, d);
    if (!a.fixGamma) y = c.emit('Mul', [y, bc(gamma)])[0]!;
    c.emit('Add', [y, bc(beta)], {}, c.outputs);
  }),
  kernel: (ins, a, [out]) => {
    const [x, gamma, beta, mean, variance] = ins as [HostTensor, HostTensor, HostTensor, HostTensor, HostTensor];
    const v = toF64(x);
    const [g, b] = [toF64(gamma), toF64(beta)];
    const { n, inner } = splitAt(x.shape, normAxis('BatchNorm', a.axis, x.shape.length));
    const [mu, va] = a.training === true && !a.useGlobalStats ? channelMoments(x, a.axis) : [toF64(mean), toF64(variance)];
    const res = new Float64Array(v.length);
    for (let j = 0; j < v.length; j++) {
      const k = Math.floor(j / inner) % n;
      res[j] = ((v[j]! - mu[k]!) / Math.sqrt(va[k]! + a.eps)) * (a.fixGamma ? 1 : g[k]!) + b[k]!;
    }
    return [fromF64(out!, res)];
  },
  stateUpdate: (ins, a) => {
    if (a.training !== true || a.useGlobalStats) return [null, null, null, null, null];
    const [x, , , mean, variance] = ins as [HostTensor, HostTensor, HostTensor, HostTensor, HostTensor];
    const [mu, va] = channelMoments(x, a.axis);
    const m = a.momentum;
    const rule = (t: HostTensor, batch: Float64Array): HostTensor =>
      fromF64({ dtype: t.dtype, shape: [...t.shape] }, Float64Array.from(toF64(t), (old, k) => old * m + batch[k]! * (1 - m)));
    return [null, null, null, rule(mean, mu), rule(variance, va)];
  },
  // Batch statistics: the full backward through the mean and variance; moving statistics: an
  // affine map. gamma gets zeros under fixGamma (MXNet); the moving statistics get none.
  grad: (F, { inputs, inTypes, attrs }, [g0]) => {
    const a = attrs as BatchNormAttrs;
    if (!g0) return [null, null, null, null, null];
    // float16 differentiates in float32 (its parameters may be float32 already): cast back at the end.
    const to32 = (v: GradTensor) => (v.dtype === 'float16' ? F.cast(v, 'float32') : v);
    const back = (v: GradTensor, i: number) => (v.dtype === inTypes[i]!.dtype ? v : F.cast(v, inTypes[i]!.dtype));
    const [x, gamma, , mean, variance, g] = [...inputs, g0].map(to32);
    const rank = inTypes[0]!.shape.length;
    const axis = normAxis('BatchNorm', a.axis, rank);
    const vec = (v: GradTensor) => F.reshape(v, onAxis(rank, axis));
    const others = { axis, exclude: true };
    const batchStats = a.training === true && !a.useGlobalStats;
    const mu = batchStats ? F.mean(x!, { ...others, keepdims: true }) : vec(mean!);
    const centered = F.sub(x!, mu);
    const va = batchStats ? F.mean(F.square(centered), { ...others, keepdims: true }) : vec(variance!);
    const inv = F.rsqrt(F.add(va, a.eps));
    const xhat = F.mul(centered, inv);
    const scale = a.fixGamma ? inv : F.mul(inv, vec(gamma!));
    const dx = batchStats
      ? normalizeBackward(F, g, xhat, scale, (t) => F.mean(t, { ...others, keepdims: true }))
      : F.mul(g, scale);
    const dgamma = a.fixGamma ? F.zerosLike(gamma!) : F.sum(F.mul(g, xhat), others);
    return [back(dx, 0), back(dgamma, 1), back(F.sum(g, others), 2), null, null];
  },
});

/** The mean and biased variance of `x` per channel of `axis` (float64). */
function channelMoments(x: HostTensor, axis: number): [Float64Array, Float64Array] {
  const { outer, n, inner } = splitAt(x.shape, normAxis('BatchNorm', axis, x.shape.length));
  const v = toF64(x);
  const cnt = outer * inner;
  const mu = new Float64Array(n);
  const va = new Float64Array(n);
  for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) for (let i = 0; i < inner; i++) mu[k] += v[(o * n + k) * inner + i]!;
  for (let k = 0; k < n; k++) mu[k] /= cnt;
  for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) for (let i = 0; i < inner; i++) va[k] += (v[(o * n + k) * inner + i]! - mu[k]!) ** 2;
  for (let k = 0; k < n; k++) va[k] /= cnt;
  return [mu, va];
}

/**
 * The data gradient of `y = xhat * scale + shift` where `xhat` standardizes x
 * with statistics over the axes `mean` averages: `scale (g - mean(g) - xhat
 * mean(g xhat))`.
 */
function normalizeBackward(F: GradOps, g: GradTensor, xhat: GradTensor, scale: GradTensor, mean: (t: GradTensor) => GradTensor): GradTensor {
  return F.mul(scale, F.sub(F.sub(g, mean(g)), F.mul(xhat, mean(F.mul(g, xhat)))));
}

// ---------------------------------------------------------------- LayerNorm

type LayerNormAttrs = Attrs & { axis: number; eps: number };

type LayerNormSig = (data: Tx, gamma: Tx, beta: Tx, ...rest: PositionalOptions<{ axis?: number; eps?: number }, ['axis', 'eps']>) => Tx;

/**
 * Layer normalization over the one axis `axis` (default -1) with a
 * per-element scale `gamma` and shift `beta` of that axis's length.
 * Example: `F.LayerNorm(x, gamma, beta, { eps: 1e-5 })`.
 */
export const LayerNorm: OpDef<LayerNormSig, LayerNormAttrs> = defineOp<LayerNormSig, LayerNormAttrs>({
  name: 'LayerNorm',
  opsetNote: 'ONNX LayerNormalization from 17 (last axis); below, mean/variance nodes',
  inputs: ['data', 'gamma', 'beta'],
  params: ['gamma', 'beta'],
  attrs: { axis: -1, eps: 1e-5 },
  positional: ['axis', 'eps'],
  infer: (types, a) => {
    const op = 'LayerNorm';
    const dtype = commonDType(op, types, FLOATS);
    const x = types[0]!;
    const axis = normAxis(op, a.axis, x.shape.length, types);
    checkNumber(op, 'eps', a.eps, (e) => e >= 0, 'a non-negative number', types);
    const n = x.shape[axis]!;
    ['gamma', 'beta'].forEach((name, i) => checkVector(op, name, types[i + 1]!, n, `the length of axis ${axis} of data ${fmt(x.shape)}`, types));
    return [{ dtype, shape: [...x.shape] }];
  },
  solve: (types, a) => solveOnAxis(types, a.axis),
  lower: float16InFloat32((c, a) => {
    const t = c.inTypes[0]!;
    const rank = t.shape.length;
    const axis = normAxis('LayerNorm', a.axis, rank);
    const [x, gamma, beta] = c.inputs as [string, string, string];
    if (axis === rank - 1 && c.opset >= 17) {
      c.emit('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { float: a.eps } }, c.outputs);
      return;
    }
    const shape = c.ints(onAxis(rank, axis));
    const [m, v] = moments(c, x, [axis]);
    const y = standardize(c, x, m, v, a.eps, t.dtype);
    const [s] = c.emit('Mul', [y, c.emit('Reshape', [gamma, shape])[0]!]);
    c.emit('Add', [s!, c.emit('Reshape', [beta, shape])[0]!], {}, c.outputs);
  }),
  kernel: (ins, a, [out]) => {
    const [x, gamma, beta] = ins as [HostTensor, HostTensor, HostTensor];
    const v = toF64(x);
    const [g, b] = [toF64(gamma), toF64(beta)];
    const { outer, n, inner } = splitAt(x.shape, normAxis('LayerNorm', a.axis, x.shape.length));
    const res = new Float64Array(v.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let m = 0;
        for (let k = 0; k < n; k++) m += v[base + k * inner]!;
        m /= n;
        let s = 0;
        for (let k = 0; k < n; k++) s += (v[base + k * inner]! - m) ** 2;
        const sd = Math.sqrt(s / n + a.eps);
        for (let k = 0; k < n; k++) res[base + k * inner] = ((v[base + k * inner]! - m) / sd) * g[k]! + b[k]!;
      }
    }
    return [fromF64(out!, res)];
  },
  // Statistics over `axis`; gamma and beta sum over every other axis.
  grad: (F, { inputs: [x, gamma], inTypes, attrs }, [g]) => {
    const a = attrs as LayerNormAttrs;
    if (!g) return [null, null, null];
    const rank = inTypes[0]!.shape.length;
    const axis = normAxis('LayerNorm', a.axis, rank);
    const mean = (t: GradTensor) => F.mean(t, { axis, keepdims: true });
    const centered = F.sub(x!, mean(x!));
    const inv = F.rsqrt(F.add(mean(F.square(centered)), a.eps));
    const xhat = F.mul(centered, inv);
    const gg = F.mul(g, F.reshape(gamma!, onAxis(rank, axis)));
    const others = { axis, exclude: true };
    return [normalizeBackward(F, gg, xhat, inv, mean), F.sum(F.mul(g, xhat), others), F.sum(g, others)];
  },
});

/** The normalization operators by F name. */
/** Solves the per-channel vectors (gamma, beta, ...) from data's size on `axis` (nothing when the axis is out of range). */
function solveOnAxis(types: TensorType[], axis: number): (Shape | undefined)[] {
  const r = types[0]!.shape.length;
  return Number.isInteger(axis) && axis >= -r && axis < r ? solveVectors(types, types[0]!.shape[(axis + r) % r]) : [];
}

export const NORM_OPS = { BatchNorm, LayerNorm } as const;
