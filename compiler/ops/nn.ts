/**
 * Neural-network operators with MXNet's names and semantics: softmax and
 * logSoftmax, Activation, LeakyReLU (leaky, prelu, elu, selu, gelu),
 * Dropout and fft (BatchNorm and LayerNorm are in `norm.ts`).
 * Invariants: they take float32 and float64; `training` attributes are
 * always booleans once normalized (null reads the training mode), so the
 * mode is part of every cache key.
 */
import type { DType } from '../../runtime/dtypes.js';
import { onnxDType } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type Method, type OpDef, type PositionalOptions, type PositionalRest, type Tx } from './define.js';
import { normAxis, splitAt } from './dims.js';
import { commonDType, computeIn, erfFn, float16InFloat32, gelu as geluOp } from './elementwise.js';
import { OpError } from './errors.js';
import { dimScalar } from './index-ops.js';
import { indexValue, lengthsInt64 } from './indices.js';
import { broadcastIndex, fromF64, mapN, toF64 } from './kernels.js';
import { isTrainingMode } from './mode.js';
import { nextSeed, uniformAt } from './rng.js';
import type { GradOps, GradTensor } from './grad-ops.js';

/** The dtypes the nn and normalization operators take. */
/**
 * The dtypes of the nn operators. float16 lowerings run in float32
 * (`float16InFloat32`: onnxruntime's CPU kernels lack most float16 forms),
 * rounded to float16 once at the end, as MXNet computes half_t.
 */
export const FLOATS: DType[] = ['float32', 'float64', 'float16'];

/** MXNet's SELU constants. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_LAMBDA = 1.0507009873554805;

/** A shape as text: `fmt([2, 'N'])` is `[2, N]`. */
export const fmt = (s: readonly Dim[]) => `[${s.join(', ')}]`;

/** The int64 shape that puts a length-C vector on `axis` of a rank-`rank` tensor (Reshape codes). Example: `onAxis(4, 1)` is `[1, -1, 1, 1]`. */
export function onAxis(rank: number, axis: number): number[] {
  return Array.from({ length: rank }, (_v, k) => (k === axis ? -1 : 1));
}

/** ReduceMean over `axes` keeping dimensions (written in opset 18's form; emit rewrites it for older opsets). */
function reduceMean(c: LowerCtx, x: string, axes: number[]): string {
  return c.emit('ReduceMean', [x, c.ints(axes)], { keepdims: 1 })[0]!;
}

/** `(x - mean) / sqrt(var + eps)` as ONNX nodes. Example: `standardize(c, x, mean, variance, 1e-5, 'float32')`. */
export function standardize(c: LowerCtx, x: string, mean: string, variance: string, eps: number, d: DType): string {
  const [centered] = c.emit('Sub', [x, mean]);
  const [ve] = c.emit('Add', [variance, c.scalar(eps, d)]);
  const [sd] = c.emit('Sqrt', [ve!]);
  return c.emit('Div', [centered!, sd!])[0]!;
}

/** The biased mean and variance over `axes` as ONNX nodes. Example: `const [mean, variance] = moments(c, x, [0, 2, 3])`. */
export function moments(c: LowerCtx, x: string, axes: number[]): [string, string] {
  const mean = reduceMean(c, x, axes);
  const [dev] = c.emit('Sub', [x, mean]);
  const [sq] = c.emit('Mul', [dev!, dev!]);
  return [mean, reduceMean(c, sq!, axes)];
}

/** Requires a float option in a range. Example: `checkNumber('BatchNorm', 'eps', a.eps, (x) => x > 0, 'positive', types)`. */
export function checkNumber(op: string, name: string, v: unknown, ok: (x: number) => boolean, what: string, types: TensorType[]): number {
  if (typeof v !== 'number' || !ok(v)) throw new OpError(op, `option '${name}' must be ${what}, got ${JSON.stringify(v)}`, types);
  return v;
}

/** Requires a training attribute to be a boolean (after normalize). Example: `checkTraining('Dropout', a.training, types)`. */
export function checkTraining(op: string, v: unknown, types: TensorType[]): boolean {
  if (typeof v !== 'boolean') throw new OpError(op, `option 'training' must be true, false or null, got ${JSON.stringify(v)}`, types);
  return v;
}

/** Checks that a per-channel vector input has shape [C]. Example: `checkVector('BatchNorm', 'gamma', types[1]!, c, 'one per channel', types)`. */
export function checkVector(op: string, name: string, t: TensorType, c: Dim, what: string, types: TensorType[]): void {
  const ok = t.shape.length === 1 && (typeof t.shape[0] !== 'number' || typeof c !== 'number' || t.shape[0] === c);
  if (!ok) throw new OpError(op, `${name} has shape ${fmt(t.shape)} but must be [${c}] (${what})`, types);
}

/** Solves [0]-shaped per-channel inputs (all but the first) to [C]. Example: `solveVectors(types, 64)`. */
export function solveVectors(types: TensorType[], c: Dim | undefined): (Shape | undefined)[] {
  return types.map((t, i) => (i > 0 && t.shape.includes(0) && c !== undefined && c !== 0 ? [c] : undefined));
}

// ---------------------------------------------------------------- softmax

type SoftmaxAttrs = Attrs & { axis: number; temperature: number | null; useLength?: boolean; dtype: DType | null };
/** Options of softmax and logSoftmax (`useLength`: softmax only). */
export interface SoftmaxOptions {
  axis?: number;
  temperature?: number | null;
  /** softmax only: MXNet's `use_length`, the `length` input gives each row's length along `axis`. */
  useLength?: boolean;
  /** MXNet's `dtype`: the output's (default the input's), computed in the wider of the two (float16 in float32). */
  dtype?: 'float16' | 'float32' | 'float64' | null;
}

/** Whether the `length` input is used; checks it (shape: data's without `axis`, numbers). */
function usesLength(op: string, types: TensorType[], a: SoftmaxAttrs): boolean {
  const use = a.useLength ?? false;
  if (typeof use !== 'boolean') throw new OpError(op, `option 'useLength' must be a boolean, got ${JSON.stringify(use)}`, types);
  if (!use) {
    // MXNet's softmax has one input unless use_length (npx asserts "Length input is not used"): a length left unused would silently not mask.
    if (types.length > 1) throw new OpError(op, "a length input was given but useLength is false: pass { useLength: true } to mask by it (MXNet's use_length=True); the axis is a number, softmax(x, 1) or { axis: 1 }", types);
    return false;
  }
  if (types.length < 2) throw new OpError(op, 'useLength is true but no length input was given', types);
  const x = types[0]!.shape;
  const want = x.filter((_d, i) => i !== normAxis(op, a.axis, x.length, types));
  const l = types[1]!;
  if (l.dtype === 'bool') throw new OpError(op, 'length must hold numbers, not bool', types);
  if (l.shape.length !== want.length || l.shape.some((d, i) => typeof d === 'number' && typeof want[i] === 'number' && d !== want[i])) {
    throw new OpError(op, `length must have shape [${want.join(', ')}] (data's shape without axis ${a.axis}), got [${l.shape.join(', ')}]`, types);
  }
  return true;
}

function softmaxInfer(op: string) {
  return (types: TensorType[], a: SoftmaxAttrs): TensorType[] => {
    const dtype = commonDType(op, types.slice(0, 1), FLOATS);
    const out = a.dtype ?? null;
    if (out !== null && !(typeof out === 'string' && FLOATS.includes(out))) throw new OpError(op, `option 'dtype' must be 'float16', 'float32', 'float64' or null (the input's), got ${JSON.stringify(out)}`, types);
    normAxis(op, a.axis, types[0]!.shape.length, types);
    if (a.temperature !== null) checkNumber(op, 'temperature', a.temperature, (t) => t > 0 && Number.isFinite(t), 'a positive number or null', types);
    usesLength(op, types, a);
    return [{ dtype: out ?? dtype, shape: [...types[0]!.shape] }];
  };
}

const WIDTH: Partial<Record<DType, number>> = { float16: 16, float32: 32, float64: 64 };
/**
 * A softmax lowering with MXNet's `dtype` (softmax-inl.h: the input read in its accumulation
 * type, the output written in `dtype`): computed in the wider of the input and output dtypes,
 * float16 in float32 (onnxruntime's CPU Softmax lacks it), then cast to the output's.
 */
function softmaxIn(lower: (c: LowerCtx, a: SoftmaxAttrs) => void): (c: LowerCtx, a: SoftmaxAttrs) => void {
  return (c, a) => {
    const [i, o] = [c.inTypes[0]!.dtype, c.outTypes[0]!.dtype];
    if (i === o) return float16InFloat32(lower)(c, a);
    const wide = WIDTH[i]! >= WIDTH[o]! ? i : o;
    const via = wide === 'float16' ? 'float32' : wide;
    const map: Partial<Record<DType, DType>> = {};
    for (const d of [i, o]) if (d !== via) map[d] = via;
    computeIn(map, lower)(c, a);
  };
}

/**
 * ONNX's Softmax/LogSoftmax along the axis; with `useLength` the positions
 * at or past each row's length (read as indices are: truncated, NaN 0) are
 * -inf going in and 0 coming out (a row of length 0 is all 0), as MXNet's
 * SoftmaxWithLength writes them.
 */
function softmaxLower(onnxOp: string) {
  return (c: LowerCtx, a: SoftmaxAttrs): void => {
    const t = c.inTypes[0]!;
    const axis = normAxis(onnxOp, a.axis, t.shape.length);
    let x = c.inputs[0]!;
    if (a.temperature !== null && a.temperature !== 1) x = c.emit('Div', [x, c.scalar(a.temperature, t.dtype)])[0]!;
    if (!usesLength(onnxOp, c.inTypes, a)) return void c.emit(onnxOp, [x], { axis }, c.outputs);
    const r = t.shape.length;
    const [steps] = c.emit('Range', [c.scalar(0, 'int64'), dimScalar(c, 0, axis), c.scalar(1, 'int64')]);
    const s = r - 1 - axis > 0 ? c.emit('Unsqueeze', [steps!, c.ints(Array.from({ length: r - 1 - axis }, (_v, i) => i + 1))])[0]! : steps!;
    const lens = c.emit('Unsqueeze', [lengthsInt64(c, c.inputs[1]!, c.inTypes[1]!.dtype), c.ints([axis])])[0]!;
    const [keep] = c.emit('Less', [s, lens]);
    const [masked] = c.emit('Where', [keep!, x, c.scalar(-Infinity, t.dtype)]);
    const [y] = c.emit(onnxOp, [masked!], { axis });
    c.emit('Where', [keep!, y!, c.scalar(0, t.dtype)], {}, c.outputs);
  };
}

function softmaxKernel(log: boolean) {
  return ([x, length]: HostTensor[], a: SoftmaxAttrs, [out]: TensorType[]): HostTensor[] => {
    const v = toF64(x!);
    const t = a.temperature ?? 1;
    const { outer, n, inner } = splitAt(x!.shape, normAxis('softmax', a.axis, x!.shape.length));
    const lv = a.useLength && length ? toF64(length) : undefined;
    const res = new Float64Array(v.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        // The row's length (data's shape without the axis: row o * inner + i), clipped to [0, n].
        const len = lv ? Math.min(Math.max(indexValue(lv[o * inner + i]!), 0), n) : n;
        let m = -Infinity;
        for (let k = 0; k < len; k++) m = Math.max(m, v[base + k * inner]! / t);
        let s = 0;
        for (let k = 0; k < len; k++) s += Math.exp(v[base + k * inner]! / t - m);
        const ls = Math.log(s);
        for (let k = 0; k < n; k++) {
          const y = v[base + k * inner]! / t - m;
          res[base + k * inner] = k >= len ? 0 : log ? y - ls : Math.exp(y) / s;
        }
      }
    }
    return [fromF64(out!, res)];
  };
}

/** A gradient in the output's dtype cast to the input's (softmax's `dtype` option). */
function inputDType(F: GradOps, dx: GradTensor, inTypes: TensorType[], outTypes: TensorType[]): GradTensor {
  return inTypes[0]!.dtype === outTypes[0]!.dtype ? dx : F.cast(dx, inTypes[0]!.dtype);
}

/** `x / temperature` (temperature null or 1: x). */
function overTemperature(F: GradOps, x: GradTensor, a: SoftmaxAttrs): GradTensor {
  return a.temperature === null || a.temperature === 1 ? x : F.div(x, a.temperature);
}

type SoftmaxSig = Method<(data: Tx, ...rest: PositionalOptions<SoftmaxOptions, ['axis', 'temperature', 'dtype']>) => Tx>;
/** MXNet 1.x's order; a number second is the axis (`softmax(x, 1)`), as MXNet 2's npx.softmax has it. */
type LengthSoftmaxSig = Method<(data: Tx, length?: Tx | null | number | SoftmaxOptions, ...rest: PositionalRest<SoftmaxOptions, ['axis', 'temperature', 'dtype']>) => Tx>;

/**
 * Softmax along `axis` (default -1), optionally of `data / temperature`.
 * With `useLength` (MXNet's `softmax(data, length, use_length=True)`,
 * GluonNLP's attention) the `length` input, shaped like `data` without
 * `axis`, gives each row's length: positions past it are left out and come
 * out 0, and a row of length 0 is all 0. Positionally MXNet 1.x's
 * `softmax(data, length, axis, temperature)`: an array second is the
 * length, a number second is the axis (MXNet 1.x refuses a number there;
 * MXNet 2's `npx.softmax` has the axis second). A length without
 * `useLength` is an error, never a length silently unused.
 *
 * ```ts
 * F.softmax(x, { axis: 1 });
 * F.softmax(scores, validLen, { axis: -1, useLength: true }); // scores [B, Q, K], validLen [B, Q]
 * ```
 */
export const softmax: OpDef<LengthSoftmaxSig, SoftmaxAttrs> = defineOp<LengthSoftmaxSig, SoftmaxAttrs>({
  name: 'softmax',
  inputs: ['data', 'length?'],
  attrs: { axis: -1, temperature: null, useLength: false, dtype: null }, positional: ['axis', 'temperature', 'dtype'],
  method: true,
  infer: softmaxInfer('softmax'),
  lower: softmaxIn(softmaxLower('Softmax')),
  kernel: softmaxKernel(false),
  // dx = y (g - sum(g y)) / t along the axis; positions past a length have y = 0, so they get 0 and add
  // nothing to the sum. The length gets no gradient.
  grad: (F, { inputs, outputs: [y], attrs, inTypes, outTypes }, [g]) => {
    const a = attrs as SoftmaxAttrs;
    const rest = inputs.length > 1 ? [null] : [];
    if (!g) return [null, ...rest];
    const gy = F.mul(g, y!);
    return [inputDType(F, overTemperature(F, F.sub(gy, F.mul(y!, F.sum(gy, { axis: a.axis, keepdims: true }))), a), inTypes, outTypes), ...rest];
  },
});

/** Log of the softmax along `axis` (default -1). Example: `x.logSoftmax()`. */
export const logSoftmax: OpDef<SoftmaxSig, SoftmaxAttrs> = defineOp<SoftmaxSig, SoftmaxAttrs>({
  name: 'logSoftmax',
  inputs: ['data'],
  attrs: { axis: -1, temperature: null, dtype: null }, positional: ['axis', 'temperature', 'dtype'],
  method: true,
  infer: softmaxInfer('logSoftmax'),
  lower: softmaxIn(softmaxLower('LogSoftmax')),
  kernel: softmaxKernel(true),
  // dx = (g - exp(y) sum(g)) / t along the axis.
  grad: (F, { outputs: [y], attrs, inTypes, outTypes }, [g]) => {
    const a = attrs as SoftmaxAttrs;
    if (!g) return [null];
    return [inputDType(F, overTemperature(F, F.sub(g, F.mul(F.exp(y!), F.sum(g, { axis: a.axis, keepdims: true }))), a), inTypes, outTypes)];
  },
});

// ---------------------------------------------------------------- Activation

const ACT_TYPES = ['relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'] as const;
type ActAttrs = Attrs & { actType: string | null };

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const ACT_FN: Record<string, (x: number) => number> = {
  relu: (x) => (x > 0 || Number.isNaN(x) ? x : 0), // NaN stays NaN (MXNet's mshadow_op::relu, ONNX Relu)
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  softrelu: softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
};

/** `log(1 + e^x)` as stable ONNX nodes for dtypes without a Softplus kernel. */
function softplusComposite(c: LowerCtx, x: string, d: DType, out: string[]): void {
  const [ab] = c.emit('Abs', [x]);
  const [ng] = c.emit('Neg', [ab!]);
  const [ex] = c.emit('Exp', [ng!]);
  const [l] = c.emit('Log', [c.emit('Add', [ex!, c.scalar(1, d)])[0]!]);
  const [r] = c.emit('Relu', [x]);
  c.emit('Add', [r!, l!], {}, out);
}

type ActSig = (data: Tx, ...rest: PositionalOptions<{ actType: (typeof ACT_TYPES)[number] }, ['actType']>) => Tx;

/**
 * An activation chosen by `actType` (relu, sigmoid, tanh, softrelu, softsign).
 * Example: `F.Activation(x, { actType: 'relu' })`.
 */
export const Activation: OpDef<ActSig, ActAttrs> = defineOp<ActSig, ActAttrs>({
  name: 'Activation',
  inputs: ['data'],
  attrs: { actType: null }, positional: ['actType'],
  infer: (types, a) => {
    if (a.actType === null) throw new OpError('Activation', `needs option 'actType' (one of ${ACT_TYPES.join(', ')})`, types);
    if (!(ACT_TYPES as readonly unknown[]).includes(a.actType)) {
      throw new OpError('Activation', `unknown actType ${JSON.stringify(a.actType)} (valid: ${ACT_TYPES.join(', ')})`, types);
    }
    return [{ dtype: commonDType('Activation', types, FLOATS), shape: [...types[0]!.shape] }];
  },
  lower: float16InFloat32((c, a) => {
    const x = c.inputs[0]!;
    const d = c.inTypes[0]!.dtype;
    switch (a.actType) {
      case 'relu': return void c.emit('Relu', [x], {}, c.outputs);
      case 'sigmoid': return void c.emit('Sigmoid', [x], {}, c.outputs);
      case 'tanh': return void c.emit('Tanh', [x], {}, c.outputs);
      case 'softrelu':
        if (d === 'float32') return void c.emit('Softplus', [x], {}, c.outputs);
        return softplusComposite(c, x, d, c.outputs);
      default: {
        if (d === 'float32') return void c.emit('Softsign', [x], {}, c.outputs);
        const [ab] = c.emit('Abs', [x]);
        const [den] = c.emit('Add', [ab!, c.scalar(1, d)]);
        c.emit('Div', [x, den!], {}, c.outputs);
      }
    }
  }),
  kernel: (ins, a, [out]) => [mapN(ins, out!, ACT_FN[a.actType!]!)],
  grad: (F, { inputs: [x], outputs: [y], attrs }, [g]) => {
    if (!g) return [null];
    switch ((attrs as ActAttrs).actType) {
      case 'relu': return [F.mul(g, F.greater(x!, 0))];
      case 'sigmoid': return [F.mul(g, F.mul(y!, F.sub(1, y!)))];
      case 'tanh': return [F.mul(g, F.sub(1, F.square(y!)))];
      case 'softrelu': return [F.mul(g, F.sigmoid(x!))];
      default: return [F.div(g, F.square(F.add(F.abs(x!), 1)))];
    }
  },
});

// ---------------------------------------------------------------- LeakyReLU

const LEAKY_TYPES = ['leaky', 'prelu', 'elu', 'selu', 'gelu'] as const;
type LeakyAttrs = Attrs & { actType: string; slope: number; lowerBound: number; upperBound: number };
/** Options of LeakyReLU. */
export interface LeakyReLUOptions {
  actType?: (typeof LEAKY_TYPES)[number] | 'rrelu';
  slope?: number;
  lowerBound?: number;
  upperBound?: number;
}

/** `x > 0 ? x : neg` as ONNX nodes (composite lowerings for float64). */
function wherePositive(c: LowerCtx, x: string, neg: string, d: DType, out: string[]): void {
  const [pos] = c.emit('Greater', [x, c.scalar(0, d)]);
  c.emit('Where', [pos!, x, neg], {}, out);
}

/** `alpha * (e^x - 1)` as ONNX nodes. */
function expm1Scaled(c: LowerCtx, x: string, alpha: number, d: DType): string {
  const [e] = c.emit('Exp', [x]);
  const [m] = c.emit('Sub', [e!, c.scalar(1, d)]);
  return c.emit('Mul', [m!, c.scalar(alpha, d)])[0]!;
}

type LeakySig = (data: Tx, gamma?: Tx | null | LeakyReLUOptions, ...rest: PositionalRest<LeakyReLUOptions, ['actType', 'slope', 'lowerBound', 'upperBound']>) => Tx;

/**
 * MXNet's LeakyReLU family chosen by `actType`: leaky (`max(x, slope*x)`),
 * prelu (a learned slope `gamma` of shape [C] along axis 1, or [1]), elu
 * (`slope` is alpha), selu and gelu (exact, erf-based).
 * Example: `F.LeakyReLU(x, { actType: 'leaky', slope: 0.1 })`, `F.LeakyReLU(x, alpha, { actType: 'prelu' })`.
 */
export const LeakyReLU: OpDef<LeakySig, LeakyAttrs> = defineOp<LeakySig, LeakyAttrs>({
  name: 'LeakyReLU',
  opsetNote: "actType 'gelu': ONNX Gelu from 20; below, the erf formula",
  inputs: ['data', 'gamma?'],
  attrs: { actType: 'leaky', slope: 0.25, lowerBound: 0.125, upperBound: 0.334 }, positional: ['actType', 'slope', 'lowerBound', 'upperBound'],
  infer: (types, a) => {
    const op = 'LeakyReLU';
    if (a.actType === 'rrelu') throw new OpError(op, `actType 'rrelu' is not supported (supported: ${LEAKY_TYPES.join(', ')})`, types);
    if (!(LEAKY_TYPES as readonly unknown[]).includes(a.actType)) {
      throw new OpError(op, `unknown actType ${JSON.stringify(a.actType)} (valid: ${LEAKY_TYPES.join(', ')})`, types);
    }
    checkNumber(op, 'slope', a.slope, Number.isFinite, 'a finite number', types);
    const dtype = commonDType(op, types, FLOATS);
    const x = types[0]!;
    if (a.actType === 'prelu') {
      const g = types[1];
      if (!g) throw new OpError(op, `actType 'prelu' needs a gamma input`, types);
      const c = x.shape.length >= 2 ? x.shape[1]! : 1;
      const ok = g.shape.length === 1 && (g.shape[0] === 1 || typeof g.shape[0] !== 'number' || typeof c !== 'number' || g.shape[0] === c);
      if (!ok) throw new OpError(op, `gamma has shape ${fmt(g.shape)} but must be [1] or [${c}] (the channels on axis 1 of data ${fmt(x.shape)})`, types);
    } else if (types.length > 1) {
      throw new OpError(op, `a gamma input is only taken by actType 'prelu', not ${JSON.stringify(a.actType)}`, types);
    }
    return [{ dtype, shape: [...x.shape] }];
  },
  solve: (types, a) => (a.actType === 'prelu' && types[0]!.shape.length >= 2 ? solveVectors(types, types[0]!.shape[1]) : []),
  lower: float16InFloat32((c, a) => {
    const x = c.inputs[0]!;
    const t = c.inTypes[0]!;
    const d = t.dtype;
    const f32 = d === 'float32';
    switch (a.actType) {
      case 'leaky':
        if (f32) return void c.emit('LeakyRelu', [x], { alpha: { float: a.slope } }, c.outputs);
        return wherePositive(c, x, c.emit('Mul', [x, c.scalar(a.slope, d)])[0]!, d, c.outputs);
      case 'prelu': {
        const rank = t.shape.length;
        const g = c.inTypes[1]!.shape[0] === 1 || rank < 2 ? c.inputs[1]! : c.emit('Reshape', [c.inputs[1]!, c.ints(onAxis(rank - 1, 0))])[0]!;
        if (f32) return void c.emit('PRelu', [x, g], {}, c.outputs);
        return wherePositive(c, x, c.emit('Mul', [x, g])[0]!, d, c.outputs);
      }
      case 'elu':
        if (f32) return void c.emit('Elu', [x], { alpha: { float: a.slope } }, c.outputs);
        return wherePositive(c, x, expm1Scaled(c, x, a.slope, d), d, c.outputs);
      case 'selu': {
        if (f32) return void c.emit('Selu', [x], { alpha: { float: SELU_ALPHA }, gamma: { float: SELU_LAMBDA } }, c.outputs);
        const [inner] = c.emit('Where', [c.emit('Greater', [x, c.scalar(0, d)])[0]!, x, expm1Scaled(c, x, SELU_ALPHA, d)]);
        return void c.emit('Mul', [inner!, c.scalar(SELU_LAMBDA, d)], {}, c.outputs);
      }
      default:
        return geluOp.lower(c, {});
    }
  }),
  kernel: (ins, a, [out]) => {
    const s = a.slope;
    switch (a.actType) {
      case 'leaky': return [mapN(ins.slice(0, 1), out!, (x) => (x > 0 ? x : s * x))];
      case 'elu': return [mapN(ins.slice(0, 1), out!, (x) => (x > 0 ? x : s * Math.expm1(x)))];
      case 'selu': return [mapN(ins.slice(0, 1), out!, (x) => SELU_LAMBDA * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)))];
      case 'gelu': return [mapN(ins.slice(0, 1), out!, (x) => 0.5 * x * (1 + erfFn(x / Math.SQRT2)))];
      default: {
        const [x, g] = ins as [HostTensor, HostTensor];
        const v = toF64(x);
        const gv = toF64(g);
        const inner = sizeOf(x.shape.slice(2));
        const res = v.map((xi, i) => (xi > 0 ? xi : xi * gv[gv.length === 1 ? 0 : Math.floor(i / inner) % gv.length]!));
        return [fromF64(out!, res)];
      }
    }
  },
  grad: (F, { inputs: [x, gamma], outputs: [y], inTypes, attrs }, [g]) => {
    const a = attrs as LeakyAttrs;
    if (!g) return [null, ...(gamma ? [null] : [])];
    const pos = F.greater(x!, 0);
    // g where x > 0, else g * slopeThere.
    const piecewise = (slopeThere: GradTensor | number) => F.where(pos, g, F.mul(g, slopeThere));
    switch (a.actType) {
      case 'leaky': return [piecewise(a.slope)];
      // y = slope (e^x - 1) below 0: dy/dx = y + slope.
      case 'elu': return [piecewise(F.add(y!, a.slope))];
      // y = λ x above 0 and λ α (e^x - 1) below: λ, and y + λ α.
      case 'selu': return [F.where(pos, F.mul(g, SELU_LAMBDA), F.mul(g, F.add(y!, SELU_LAMBDA * SELU_ALPHA)))];
      case 'gelu': {
        // Φ(x) + x φ(x).
        const cdf = F.mul(F.add(F.erf(F.mul(x!, Math.SQRT1_2)), 1), 0.5);
        const pdf = F.mul(F.exp(F.mul(F.square(x!), -0.5)), 1 / Math.sqrt(2 * Math.PI));
        return [F.mul(g, F.add(cdf, F.mul(x!, pdf)))];
      }
      default: {
        // prelu: gamma [C] on axis 1 (or [1]); its gradient sums g x below 0 over the other axes.
        const rank = inTypes[0]!.shape.length;
        const perChannel = inTypes[1]!.shape[0] !== 1 && rank >= 2;
        const gb = perChannel ? F.reshape(gamma!, onAxis(rank - 1, 0)) : gamma!;
        const below = F.where(pos, F.zerosLike(g), F.mul(g, x!));
        const dgamma = perChannel ? F.sum(below, { axis: 1, exclude: true }) : F.reshape(F.sum(below), [1]);
        return [piecewise(gb), dgamma];
      }
    }
  },
});

// ---------------------------------------------------------------- Dropout

type DropoutAttrs = Attrs & { p: number; mode: string; axes: number[]; training: boolean | null; seed: number | null };
/** Options of Dropout. */
export interface DropoutOptions {
  p?: number;
  mode?: 'training' | 'always';
  /** Axes along which one mask value is shared (variational dropout). */
  axes?: number[];
  /** null reads the training mode. */
  training?: boolean | null;
  /** The mask's seed; drawn from the operators' seed stream when absent. */
  seed?: number | null;
}

const dropoutActive = (a: DropoutAttrs) => a.p > 0 && (a.mode === 'always' || a.training === true);

type DropoutSig = (data: Tx, ...rest: PositionalOptions<DropoutOptions, ['p', 'mode', 'axes']>) => Tx;

/**
 * Inverted dropout: while active (mode 'always', or 'training' in training
 * mode) each element is kept with probability `1 - p` and scaled by
 * `1 / (1 - p)`, else zeroed; inactive it is the identity.
 * Example: `F.Dropout(x, { p: 0.5 })`.
 */
export const Dropout: OpDef<DropoutSig, DropoutAttrs> = defineOp<DropoutSig, DropoutAttrs>({
  name: 'Dropout',
  inputs: ['data'],
  attrs: { p: 0.5, mode: 'training', axes: [], training: null, seed: null }, positional: ['p', 'mode', 'axes'],
  random: true,
  normalize: (a) => {
    const out = { ...a, training: a.training === null || a.training === undefined ? isTrainingMode() : a.training };
    if (typeof out.p === 'number' && dropoutActive(out) && (out.seed === null || out.seed === undefined)) out.seed = nextSeed();
    return out;
  },
  infer: (types, a) => {
    const op = 'Dropout';
    const dtype = commonDType(op, types, FLOATS);
    checkNumber(op, 'p', a.p, (p) => p >= 0 && p < 1, 'in [0, 1)', types);
    if (a.mode !== 'training' && a.mode !== 'always') throw new OpError(op, `unknown mode ${JSON.stringify(a.mode)} (valid: training, always)`, types);
    checkTraining(op, a.training, types);
    if (!Array.isArray(a.axes)) throw new OpError(op, `option 'axes' must be a list of axes, got ${JSON.stringify(a.axes)}`, types);
    for (const ax of a.axes) normAxis(op, ax, types[0]!.shape.length, types);
    if (dropoutActive(a)) checkNumber(op, 'seed', a.seed, Number.isInteger, 'an integer', types);
    return [{ dtype, shape: [...types[0]!.shape] }];
  },
  lower: float16InFloat32((c, a) => {
    const t = c.inTypes[0]!;
    const x = c.inputs[0]!;
    if (!dropoutActive(a)) return void c.emit('Identity', [x], {}, c.outputs);
    const rank = t.shape.length;
    const axes = [...new Set(a.axes.map((ax) => normAxis('Dropout', ax, rank)))].sort((p, q) => p - q);
    const like = axes.length ? c.emit('Slice', [x, c.ints(axes.map(() => 0)), c.ints(axes.map(() => 1)), c.ints(axes)])[0]! : x;
    const [u] = c.emit('RandomUniformLike', [like], { dtype: onnxDType('float32'), low: { float: 0 }, high: { float: 1 }, seed: { float: a.seed! } });
    const [keep] = c.emit('GreaterOrEqual', [u!, c.scalar(a.p, 'float32')]);
    const [mask] = c.emit('Cast', [keep!], { to: onnxDType(t.dtype) });
    const [kept] = c.emit('Mul', [x, mask!]);
    c.emit('Mul', [kept!, c.scalar(1 / (1 - a.p), t.dtype)], {}, c.outputs);
  }),
  kernel: ([x], a, [out]) => {
    const v = toF64(x!);
    if (!dropoutActive(a)) return [fromF64(out!, v.slice())];
    const shape = x!.shape;
    const axes = a.axes.map((ax) => normAxis('Dropout', ax, shape.length));
    const maskShape = shape.map((d, k) => (axes.includes(k) ? 1 : d));
    const idx = axes.length ? broadcastIndex(maskShape, shape) : null;
    const scale = 1 / (1 - a.p);
    const seed = a.seed!;
    const res = v.map((xi, i) => (uniformAt(seed, idx ? idx[i]! : i) >= a.p ? xi * scale : 0));
    return [fromF64(out!, res)];
  },
  // The same mask: Dropout of g with the same attributes, seed included (the kernel's draws are a
  // function of the seed; compiled RandomUniformLike nodes with one seed draw one sequence).
  grad: (F, { attrs }, [g]) => {
    const a = attrs as DropoutAttrs;
    return [g ? F.Dropout(g, { p: a.p, mode: a.mode as 'training' | 'always', axes: a.axes, training: a.training, seed: a.seed }) : null];
  },
});

/** The nn operators, by F name (MXNet's `log_softmax` is `logSoftmax`). */
export const NN_OPS = { softmax, logSoftmax, Activation, LeakyReLU, Dropout } as const;
