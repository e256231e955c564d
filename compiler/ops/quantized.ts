/**
 * Quantized (8-bit integer) inference operators, as onnxruntime's quantizer
 * writes them into models, each lowering to the ONNX operator of its name
 * (so onnxruntime's own 8-bit kernels and QDQ fusions run them):
 * - `quantizeLinear` (QuantizeLinear), `dequantizeLinear` (DequantizeLinear):
 *   float32 to uint8/int8 and back, per tensor or along an axis;
 * - `matmulInteger` (MatMulInteger): (a - aZeroPoint) · (b - bZeroPoint) in int32;
 * - `convInteger` (ConvInteger): the same for a convolution;
 * - `qlinearMatmul` (QLinearMatMul) and `qlinearConv` (QLinearConv): the int32
 *   product requantized, `saturate(round_half_even(acc · aScale·bScale/yScale) + yZeroPoint)`.
 * Invariants: data and weights are uint8 or int8 (int8 data with uint8
 * weights has no onnxruntime kernel and is refused); scales are float32;
 * data and output zero points and scales are scalars, weight ones scalars
 * or one per output channel / column. No TypeScript kernel: eagerly they
 * run as one-node onnxruntime sessions (execute.ts). Integer arithmetic has
 * no gradient (refused by name when differentiated).
 */
import type { DType } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import { formatShape, tensorFromNumbers } from '../../runtime/tensor.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { offset, spatial } from './conv.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import type { GradTensor } from './grad-ops.js';
import { broadcastShapes, sameDim } from './dims.js';
import { OpError } from './errors.js';
import { requireDim } from './dim-constraints.js';

const QDTYPES: readonly DType[] = ['uint8', 'int8'];
const NO_GRAD = 'its inputs and outputs are quantized integers (dequantize to float to differentiate)';

/** Checks a quantized operand's dtype. */
function checkQ(op: string, what: string, t: TensorType, types: TensorType[]): DType {
  if (!QDTYPES.includes(t.dtype)) throw new OpError(op, `${what} must be uint8 or int8, got ${t.dtype}`, types);
  return t.dtype;
}

/** Checks the data/weight dtype pair onnxruntime computes. */
function checkPair(op: string, a: DType, b: DType, types: TensorType[]): void {
  if (a === 'int8' && b === 'uint8') throw new OpError(op, 'int8 data with uint8 weights has no onnxruntime kernel (quantize the weights to int8, or the data to uint8)', types);
}

/** A scalar (or one-element) parameter: `dtype` (null: float32 scale). */
function checkScalar(op: string, what: string, t: TensorType | undefined, dtype: DType, types: TensorType[]): void {
  if (!t) throw new OpError(op, `needs ${what}`, types);
  if (t.dtype !== dtype) throw new OpError(op, `${what} must be ${dtype}, got ${t.dtype}`, types);
  if (!(t.shape.length === 0 || (t.shape.length === 1 && t.shape[0] === 1))) throw new OpError(op, `${what} must be a scalar (per-tensor), got shape ${formatShape(t.shape)}`, types);
}

/** A parameter that is a scalar or holds one entry per output channel/column (`n`). */
function checkPerChannel(op: string, what: string, t: TensorType | undefined, dtype: DType, n: Dim, types: TensorType[]): void {
  if (!t) throw new OpError(op, `needs ${what}`, types);
  if (t.dtype !== dtype) throw new OpError(op, `${what} must be ${dtype}, got ${t.dtype}`, types);
  const ok = t.shape.length === 0 || (t.shape.length === 1 && (t.shape[0] === 1 || sameDim(t.shape[0]!, n) || typeof t.shape[0] === 'string' || typeof n === 'string'));
  if (!ok) throw new OpError(op, `${what} must be a scalar or have ${n} entries (one per output channel), got shape ${formatShape(t.shape)}`, types);
}

/** numpy's matmul shape of `a` [.., M, K] and `b` [.., K, N] (1-D operands as numpy promotes them). */
function matmulShape(op: string, a: Shape, b: Shape, types: TensorType[]): Shape {
  if (!a.length || !b.length) throw new OpError(op, 'needs operands of rank 1 or more', types);
  const [la, lb] = [a.length === 1 ? [1, a[0]!] : a, b.length === 1 ? [b[0]!, 1] : b];
  const [k1, k2] = [la[la.length - 1]!, lb[lb.length - 2]!];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) throw new OpError(op, `inner dimensions differ: ${formatShape(a)} · ${formatShape(b)}`, types);
  const batch = broadcastShapes(op, [la.slice(0, -2), lb.slice(0, -2)], types);
  return [...batch, ...(a.length === 1 ? [] : [la[la.length - 2]!]), ...(b.length === 1 ? [] : [lb[lb.length - 1]!])];
}

/** The number of output columns of a matmul's `b` (its last dimension). */
const columns = (b: Shape): Dim => (b.length === 1 ? 1 : b[b.length - 1]!);

type MatmulIntegerSig = (a: Tx, b: Tx, aZeroPoint?: Tx, bZeroPoint?: Tx) => Tx;

/**
 * ONNX's MatMulInteger: numpy's matmul of `a - aZeroPoint` and
 * `b - bZeroPoint` (uint8/int8) in int32; `aZeroPoint` is a scalar,
 * `bZeroPoint` a scalar or one per column of `b`.
 *
 * ```ts
 * nd.matmulInteger(nd.array([[1, 2]], { dtype: 'uint8' }), nd.array([[3], [4]], { dtype: 'uint8' })); // int32 [[11]]
 * ```
 */
export const matmulInteger: OpDef<MatmulIntegerSig> = defineOp<MatmulIntegerSig>({
  name: 'matmulInteger',
  inputs: ['a', 'b', 'aZeroPoint?', 'bZeroPoint?'],
  infer: (types) => {
    const op = 'matmulInteger';
    const [a, b, az, bz] = types;
    const [da, db] = [checkQ(op, 'a', a!, types), checkQ(op, 'b', b!, types)];
    if (az) checkScalar(op, 'aZeroPoint', az, da, types);
    if (bz) checkPerChannel(op, 'bZeroPoint', bz, db, columns(b!.shape), types);
    return [{ dtype: 'int32', shape: matmulShape(op, a!.shape, b!.shape, types) }];
  },
  lower: (c) => void c.emit('MatMulInteger', c.inputs, {}, c.outputs),
  grad: null,
  noGradReason: NO_GRAD,
});

type QlinearMatmulSig = (a: Tx, aScale: Tx, aZeroPoint: Tx, b: Tx, bScale: Tx, bZeroPoint: Tx, yScale: Tx, yZeroPoint: Tx) => Tx;

/** Checks the scales and zero points of a QLinear operator: inputs (x, xs, xz, w, ws, wz, ys, yz); `n` output channels. */
function checkQLinear(op: string, types: TensorType[], n: Dim): DType {
  const [x, xs, xz, w, ws, wz, ys, yz] = types;
  const [dx, dw] = [checkQ(op, 'the data', x!, types), checkQ(op, 'the weights', w!, types)];
  checkPair(op, dx, dw, types);
  checkScalar(op, 'the data scale', xs, 'float32', types);
  checkScalar(op, 'the data zero point', xz, dx, types);
  checkPerChannel(op, 'the weight scale', ws, 'float32', n, types);
  checkPerChannel(op, 'the weight zero point', wz, dw, n, types);
  checkScalar(op, 'the output scale', ys, 'float32', types);
  checkScalar(op, 'the output zero point', yz, dx, types);
  return dx;
}

/**
 * ONNX's QLinearMatMul: `saturate(round_half_even((a - aZeroPoint)·(b - bZeroPoint) · aScale·bScale/yScale) + yZeroPoint)`,
 * in the dtype of `a` and `yZeroPoint` (uint8/int8); scales are float32, `b`'s may hold one per column.
 *
 * ```ts
 * const y = nd.qlinearMatmul(a, nd.scalar(0.5), az, b, nd.scalar(0.25), bz, nd.scalar(0.1), yz);
 * ```
 */
export const qlinearMatmul: OpDef<QlinearMatmulSig> = defineOp<QlinearMatmulSig>({
  name: 'qlinearMatmul',
  inputs: ['a', 'aScale', 'aZeroPoint', 'b', 'bScale', 'bZeroPoint', 'yScale', 'yZeroPoint'],
  infer: (types) => {
    const op = 'qlinearMatmul';
    const dtype = checkQLinear(op, types, columns(types[3]!.shape));
    return [{ dtype, shape: matmulShape(op, types[0]!.shape, types[3]!.shape, types) }];
  },
  lower: (c) => void c.emit('QLinearMatMul', c.inputs, {}, c.outputs),
  grad: null,
  noGradReason: NO_GRAD,
});

// ---------------------------------------------------------------- convolutions

type QConvAttrs = Attrs & { kernel: number[] | null; stride: number[] | null; dilate: number[] | null; pad: number[] | null; numGroup: number };

/** The options of `convInteger` and `qlinearConv`: `pad` holds one entry per spatial axis (both sides) or ONNX's begins then ends. */
export interface QConvOptions {
  kernel?: number[];
  stride?: number[];
  dilate?: number[];
  pad?: number[];
  numGroup?: number;
}

const QCONV_ATTRS = { kernel: null, stride: null, dilate: null, pad: null, numGroup: 1 };

/** A quantized convolution's geometry: kernel, strides, dilations, begin+end pads and the output shape. */
function qconvGeom(op: string, x: TensorType, w: TensorType, a: QConvAttrs, types: TensorType[]): { kernel: number[]; stride: number[]; dilate: number[]; pads: number[]; out: Shape } {
  const [xs, ws] = [x.shape, w.shape];
  const nd = xs.length - 2;
  if (nd < 1 || nd > 3) throw new OpError(op, `needs data of rank 3 (NCW), 4 (NCHW) or 5 (NCDHW), got shape ${formatShape(xs)}`, types);
  if (ws.length !== nd + 2) throw new OpError(op, `weight shape ${formatShape(ws)} must have rank ${nd + 2} for data ${formatShape(xs)}`, types);
  const fromW = ws.slice(2).every((d) => typeof d === 'number' && d > 0) ? (ws.slice(2) as number[]) : null;
  const kernel = a.kernel !== null ? spatial(op, 'kernel', a.kernel, nd, 1, 1, types) : fromW;
  if (!kernel) throw new OpError(op, 'needs a kernel', types);
  if (fromW && !fromW.every((k, i) => k === kernel[i])) throw new OpError(op, `kernel ${formatShape(kernel)} differs from the weight's ${formatShape(ws)}`, types);
  const stride = spatial(op, 'stride', a.stride, nd, 1, 1, types);
  const dilate = spatial(op, 'dilate', a.dilate, nd, 1, 1, types);
  const p = a.pad;
  const both = Array.isArray(p) && p.length === 2 * nd ? null : spatial(op, 'pad', p, nd, 0, 0, types);
  const pads = both ? [...both, ...both] : (p as number[]);
  if (!pads.every((v) => Number.isInteger(v) && v >= 0)) throw new OpError(op, `option 'pad' must be non-negative integers, got ${JSON.stringify(p)}`, types);
  const g = a.numGroup;
  if (!Number.isInteger(g) || g < 1) throw new OpError(op, `numGroup must be a positive integer, got ${JSON.stringify(g)}`, types);
  const [c, f, cw] = [xs[1]!, ws[0]!, ws[1]!];
  if (typeof c === 'number' && typeof cw === 'number' && c !== cw * g) throw new OpError(op, `weight shape ${formatShape(ws)} does not match data shape ${formatShape(xs)}: expected [numFilter, ${c}/${g}, kernel...]`, types);
  if (typeof f === 'number' && f % g !== 0) throw new OpError(op, `${f} filters are not divisible by numGroup ${g}`, types);
  const out: Shape = [xs[0]!, f];
  for (let i = 0; i < nd; i++) {
    const d = xs[2 + i]!;
    const eff = dilate[i]! * (kernel[i]! - 1) + 1;
    const padded = pads[i]! + pads[nd + i]!;
    requireDim({
      op, dim: offset(d, padded), cmp: '>=', value: eff, types,
      why: `kernel ${formatShape(kernel)}${eff > kernel[i]! ? ` (dilate ${formatShape(dilate)}: ${eff} wide)` : ''} must fit the input${padded ? ` padded by ${padded}` : ''} along spatial axis ${i}`,
      fail: () => `kernel ${formatShape(kernel)} (dilate ${formatShape(dilate)}) is larger than the padded input along spatial axis ${i}`,
    });
    if (typeof d === 'number') {
      out.push(Math.floor((d + padded - eff) / stride[i]!) + 1);
    } else out.push(stride[i] === 1 ? offset(d, padded - eff + 1) : `(floor((${d}${padded - eff >= 0 ? '+' : ''}${padded - eff})/${stride[i]})+1)`);
  }
  return { kernel, stride, dilate, pads, out };
}

/** ONNX attributes of a quantized convolution. */
function qconvAttrs(g: ReturnType<typeof qconvGeom>, a: QConvAttrs) {
  return { kernel_shape: g.kernel, strides: g.stride, dilations: g.dilate, pads: g.pads, group: a.numGroup };
}

type ConvIntegerSig = (x: Tx, w: Tx, xZeroPoint?: Tx | QConvOptions, wZeroPoint?: Tx | QConvOptions, options?: QConvOptions) => Tx;

/**
 * ONNX's ConvInteger: the convolution of `x - xZeroPoint` by `w - wZeroPoint`
 * (uint8/int8, scalar zero points) in int32; weight `[numFilter, C/numGroup, kernel...]`.
 *
 * ```ts
 * const y = nd.convInteger(x, w, xz, wz, { pad: [1, 1], stride: [2, 2] }); // int32
 * ```
 */
export const convInteger: OpDef<ConvIntegerSig, QConvAttrs> = defineOp<ConvIntegerSig, QConvAttrs>({
  name: 'convInteger',
  inputs: ['data', 'weight', 'xZeroPoint?', 'wZeroPoint?'],
  attrs: QCONV_ATTRS,
  infer: (types, a) => {
    const op = 'convInteger';
    const [x, w, xz, wz] = types;
    const [dx, dw] = [checkQ(op, 'the data', x!, types), checkQ(op, 'the weights', w!, types)];
    if (xz) checkScalar(op, 'the data zero point', xz, dx, types);
    if (wz) checkScalar(op, 'the weight zero point', wz, dw, types);
    return [{ dtype: 'int32', shape: qconvGeom(op, x!, w!, a, types).out }];
  },
  lower: (c, a) => void c.emit('ConvInteger', c.inputs, qconvAttrs(qconvGeom('convInteger', c.inTypes[0]!, c.inTypes[1]!, a, c.inTypes), a), c.outputs),
  grad: null,
  noGradReason: NO_GRAD,
});

type QlinearConvSig = (x: Tx, xScale: Tx, xZeroPoint: Tx, w: Tx, wScale: Tx, wZeroPoint: Tx, yScale: Tx, yZeroPoint: Tx, bias?: Tx | QConvOptions, options?: QConvOptions) => Tx;

/**
 * ONNX's QLinearConv: the int32 convolution of `x - xZeroPoint` by
 * `w - wZeroPoint` plus an int32 `bias` (in units of xScale·wScale),
 * requantized: `saturate(round_half_even(acc · xScale·wScale/yScale) + yZeroPoint)`
 * in `x`'s dtype; the weight's scale and zero point may hold one per filter.
 *
 * ```ts
 * const y = nd.qlinearConv(x, xs, xz, w, ws, wz, ys, yz, bias, { pad: [1, 1] });
 * ```
 */
export const qlinearConv: OpDef<QlinearConvSig, QConvAttrs> = defineOp<QlinearConvSig, QConvAttrs>({
  name: 'qlinearConv',
  inputs: ['data', 'xScale', 'xZeroPoint', 'weight', 'wScale', 'wZeroPoint', 'yScale', 'yZeroPoint', 'bias?'],
  attrs: QCONV_ATTRS,
  infer: (types, a) => {
    const op = 'qlinearConv';
    const f = types[3]!.shape[0]!;
    const dtype = checkQLinear(op, types, f);
    const b = types[8];
    if (b && (b.dtype !== 'int32' || b.shape.length !== 1 || !(sameDim(b.shape[0]!, f) || typeof f === 'string' || typeof b.shape[0] === 'string'))) {
      throw new OpError(op, `the bias must be int32 of shape [${f}] (one per filter), got ${b.dtype}${formatShape(b.shape)}`, types);
    }
    return [{ dtype, shape: qconvGeom(op, types[0]!, types[3]!, a, types).out }];
  },
  lower: (c, a) => void c.emit('QLinearConv', c.inputs, qconvAttrs(qconvGeom('qlinearConv', c.inTypes[0]!, c.inTypes[3]!, a, c.inTypes), a), c.outputs),
  grad: null,
  noGradReason: NO_GRAD,
});

// ---------------------------------------------------------------- quantize / dequantize

type QAxisA = Attrs & { axis: number; dtype?: string };

/** The options of `quantizeLinear` (`dtype`: the output's without a zero point, uint8 by default) and `dequantizeLinear`. */
export interface QuantizeOptions {
  /** The axis a 1-D scale runs along (default 1, ONNX's). */
  axis?: number;
  dtype?: 'uint8' | 'int8';
}

/** Checks a scale and zero point (scalars, or 1-D along `axis` of `x`); returns the normalized axis. */
function checkQParams(op: string, types: TensorType[], a: QAxisA, zpDtype: DType | null): number {
  const [x, scale, zp] = types;
  const r = x!.shape.length;
  const axis = a.axis < 0 ? a.axis + r : a.axis;
  if (scale!.dtype !== 'float32') throw new OpError(op, `the scale must be float32, got ${scale!.dtype}`, types);
  if (scale!.shape.length > 1) throw new OpError(op, `the scale must be a scalar or 1-D (per axis), got shape ${formatShape(scale!.shape)}`, types);
  if (scale!.shape.length === 1) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= r) throw new OpError(op, `axis ${a.axis} is out of range for data of rank ${r}`, types);
    const [n, d] = [scale!.shape[0]!, x!.shape[axis]!];
    if (typeof n === 'number' && typeof d === 'number' && n !== d) throw new OpError(op, `the scale has ${n} entries for ${d} along axis ${axis}`, types);
  }
  if (zp) {
    if (zpDtype && zp.dtype !== zpDtype) throw new OpError(op, `the zero point must be ${zpDtype}, got ${zp.dtype}`, types);
    if (zp.shape.length !== scale!.shape.length || !zp.shape.every((d, i) => sameDim(d, scale!.shape[i]!) || typeof d === 'string')) throw new OpError(op, `the zero point's shape ${formatShape(zp.shape)} differs from the scale's ${formatShape(scale!.shape)}`, types);
  }
  return axis;
}

type QuantizeSig = (x: Tx, scale: Tx, zeroPoint?: Tx | QuantizeOptions, options?: QuantizeOptions) => Tx;

/**
 * ONNX's QuantizeLinear: `saturate(round_half_even(x / scale) + zeroPoint)`
 * from float32 to the zero point's dtype (uint8 or int8; `dtype` without
 * one, uint8 by default); a 1-D scale and zero point run along `axis`.
 *
 * ```ts
 * nd.quantizeLinear(nd.array([0.5, 1.5, 300]), nd.array(1, { shape: [] })); // uint8 [0, 2, 255]
 * ```
 */
export const quantizeLinear: OpDef<QuantizeSig, QAxisA> = defineOp<QuantizeSig, QAxisA>({
  name: 'quantizeLinear',
  inputs: ['data', 'scale', 'zeroPoint?'],
  attrs: { axis: 1, dtype: 'uint8' },
  infer: (types, a) => {
    const op = 'quantizeLinear';
    if (types[0]!.dtype !== 'float32') throw new OpError(op, `the data must be float32, got ${types[0]!.dtype}`, types);
    const dtype = (types[2]?.dtype ?? a.dtype) as DType;
    if (!QDTYPES.includes(dtype)) throw new OpError(op, `quantizes to uint8 or int8, got ${String(dtype)}`, types);
    checkQParams(op, types, a, null);
    return [{ dtype, shape: types[0]!.shape }];
  },
  lower: (c, a) => {
    const axis = checkQParams('quantizeLinear', c.inTypes, a, null);
    // Without a zero point, ONNX quantizes to uint8: an int8 output gets a zero point of 0.
    // A 1-D scale needs a zero point of its shape (its length may be symbolic in an eager signature).
    const zero = (): string => (c.inTypes[1]!.shape.length ? c.emit('ConstantOfShape', [c.emit('Shape', [c.inputs[1]!])[0]!], { value: { tensor: tensorFromNumbers('int8', [1], [0]) } })[0]! : c.scalar(0, 'int8'));
    const zp = c.inputs[2] ? [c.inputs[2]] : c.outTypes[0]!.dtype === 'int8' ? [zero()] : [];
    c.emit('QuantizeLinear', [c.inputs[0]!, c.inputs[1]!, ...zp], { axis }, c.outputs);
  },
  grad: null,
  noGradReason: NO_GRAD,
});

type DequantizeSig = (x: Tx, scale: Tx, zeroPoint?: Tx | QuantizeOptions, options?: QuantizeOptions) => Tx;

/**
 * ONNX's DequantizeLinear: `(x - zeroPoint) · scale` in float32, for uint8,
 * int8 or int32 `x` (int32 without a zero point); a 1-D scale and zero point
 * run along `axis`. Differentiable in the scale.
 *
 * ```ts
 * nd.dequantizeLinear(nd.array([0, 128, 255], { dtype: 'uint8' }), nd.array(0.5, { shape: [] }), nd.array(128, { shape: [], dtype: 'uint8' })); // [-64, 0, 63.5]
 * ```
 */
export const dequantizeLinear: OpDef<DequantizeSig, QAxisA> = defineOp<DequantizeSig, QAxisA>({
  name: 'dequantizeLinear',
  inputs: ['data', 'scale', 'zeroPoint?'],
  attrs: { axis: 1 },
  infer: (types, a) => {
    const op = 'dequantizeLinear';
    const d = types[0]!.dtype;
    if (!QDTYPES.includes(d) && d !== 'int32') throw new OpError(op, `the data must be uint8, int8 or int32, got ${d}`, types);
    if (d === 'int32' && types[2]) throw new OpError(op, 'int32 data takes no zero point (ONNX: it is 0)', types);
    checkQParams(op, types, a, d);
    return [{ dtype: 'float32', shape: types[0]!.shape }];
  },
  lower: (c, a) => void c.emit('DequantizeLinear', c.inputs.filter(Boolean), { axis: checkQParams('dequantizeLinear', c.inTypes, a, null) }, c.outputs),
  // d/dscale of (x - zp)·scale: (x - zp)·g, summed down to the scale's shape (along axis for a 1-D scale).
  grad: (F, { inputs: [x, scale, zp], inTypes, attrs }, [g]) => {
    if (!g) return [null, null, ...(zp ? [null] : [])];
    const r = inTypes[0]!.shape.length;
    const axis = (attrs['axis'] as number) < 0 ? (attrs['axis'] as number) + r : (attrs['axis'] as number);
    const perAxis = inTypes[1]!.shape.length === 1;
    const along = (t: GradTensor): GradTensor => (perAxis ? F.reshape(t, Array.from({ length: r }, (_v, i) => (i === axis ? -1 : 1))) : t);
    const shifted = F.cast(x!, 'float32');
    const v = zp ? F.sub(shifted, along(F.cast(zp, 'float32'))) : shifted;
    const prod = F.mul(v, g);
    const ds = perAxis ? F.sum(prod, { axis, exclude: true }) : F.sum(prod);
    return [null, F.reshapeLike(ds, scale!), ...(zp ? [null] : [])];
  },
});

/**
 * ONNX's DynamicQuantizeLinear: uint8 quantization of float32 `x` over its
 * range including 0 — scale `(max(x, 0) - min(x, 0)) / 255`, zero point
 * `saturate(round_half_even(-min(x, 0) / scale))` — returning
 * `[y, scale, zeroPoint]` (onnxruntime fuses it with a following
 * MatMulInteger). The scale is differentiable in x (through the extremes).
 *
 * ```ts
 * const [y, scale, zeroPoint] = nd.dynamicQuantizeLinear(nd.array([-1, 0, 2, 3])); // uint8, float32 [], uint8 []
 * ```
 */
export const dynamicQuantizeLinear: OpDef<(x: Tx) => Tx[]> = defineOp<(x: Tx) => Tx[]>({
  name: 'dynamicQuantizeLinear',
  inputs: ['data'],
  multiOutput: true,
  infer: (types) => {
    if (types[0]!.dtype !== 'float32') throw new OpError('dynamicQuantizeLinear', `the data must be float32, got ${types[0]!.dtype}`, types);
    return [{ dtype: 'uint8', shape: types[0]!.shape }, { dtype: 'float32', shape: [] }, { dtype: 'uint8', shape: [] }];
  },
  lower: (c) => void c.emit('DynamicQuantizeLinear', c.inputs, {}, c.outputs),
  // d scale / dx = ([max > 0]·(x = max) - [min < 0]·(x = min)) / 255, ties splitting each extreme's share.
  grad: (F, { inputs: [x] }, [, gScale]) => {
    if (!gScale) return [null];
    const share = (ext: GradTensor, active: GradTensor): GradTensor => {
      const hit = F.equal(x!, ext);
      return F.mul(F.div(hit, F.sum(hit)), active);
    };
    const [hi, lo] = [F.max(x!), F.min(x!)];
    const d = F.sub(share(hi, F.greater(hi, 0)), share(lo, F.lesser(lo, 0)));
    return [F.mul(d, F.div(gScale, 255))];
  },
});

/** The quantized operators, for ops/all.ts. */
export const QUANTIZED_OPS = { matmulInteger, qlinearMatmul, convInteger, qlinearConv, quantizeLinear, dequantizeLinear, dynamicQuantizeLinear } as const;
