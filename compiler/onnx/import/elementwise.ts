/**
 * Importers of ONNX's element-wise operators: arithmetic, comparisons and
 * logic, BitShift and the Bitwise operators of the integers, unary math, activations (Mish as x·tanh(softplus(x))), Clip, Where, Cast, Identity and Dropout
 * (inference semantics: the identity; opset 12's training_mode true: gluonc's Dropout, always active).
 * ONNX comparisons return bool where gluonc's return the inputs' dtype
 * holding 0/1, so they are followed by a cast to bool.
 */
import { isFloat, type DType } from '../../../runtime/dtypes.js';
import type { Value } from '../../ir/value.js';
import { nextSeed } from '../../ops/rng.js';
import { castTo, dtypeOf, markNarrow, narrowOf, type Builder, type ImportCtx } from './context.js';
import { castImport, castLikeImport, intRange, quantizedFormat, toNarrow } from './narrow.js';
import { NARROW, narrowOfOnnx } from '../../../runtime/narrow.js';

/**
 * The two operands of a binary operator. Before opset 7 (`broadcast`, `axis`: ONNX's legacy broadcasting) B
 * is broadcast to A only with broadcast=1, its dimensions aligned at A's `axis` (default: the trailing ones,
 * numpy's): B gets trailing 1s for numpy's broadcasting to align it there.
 */
function operands(c: ImportCtx): [Value, Value] {
  const [a, b] = [c.input(0), c.input(1)];
  if (c.opset >= 7) return [a, b];
  const broadcast = c.attr.int('broadcast', 0) === 1;
  const axis = c.attr.has('axis') ? c.attr.int('axis', 0) : null;
  const [ra, rb] = [a.type.shape.length, b.type.shape.length];
  if (!broadcast) {
    if (ra !== rb || a.type.shape.some((d, i) => d !== b.type.shape[i])) throw c.refuse(`operands of shapes [${a.type.shape.join(', ')}] and [${b.type.shape.join(', ')}] without broadcast=1 (opset ${c.opset})`);
    return [a, b];
  }
  if (axis === null) return [a, b];
  const start = axis < 0 ? axis + ra : axis;
  if (start < 0 || start + rb > ra) throw c.refuse(`broadcast axis ${axis} for operands of ranks ${ra} and ${rb}`);
  const trailing = ra - start - rb;
  return [a, trailing ? c.op('reshape', [b], { shape: [...b.type.shape.map(() => 0), ...new Array<number>(trailing).fill(1)] }) : b];
}

const binary = (op: string): Builder => (c) => [c.op(op, operands(c))];
const unary = (op: string): Builder => (c) => [c.op(op, [c.input(0)])];

/** A variadic ONNX operator (Sum, Max, ...) as a chain of binary gluonc ones. */
const fold = (op: string, finish?: (c: ImportCtx, v: Value, n: number) => Value): Builder => (c) => {
  let acc = c.input(0);
  for (let i = 1; i < c.nInputs; i++) acc = c.op(op, [acc, c.input(i)]);
  return [finish ? finish(c, acc, c.nInputs) : acc];
};

/** Comparisons: gluonc's 0/1 result cast to ONNX's bool. */
const compare = (op: string): Builder => (c) => [castTo(c, c.op(op, operands(c)), 'bool')];

/** Logic on bools through int32 arithmetic. */
const logic = (f: (c: ImportCtx, a: Value, b: Value) => Value): Builder => (c) => {
  const [a, b] = operands(c).map((v) => castTo(c, v, 'int32')) as [Value, Value];
  return [castTo(c, f(c, a, b), 'bool')];
};

/** `x * a + b` with scalar constants of x's dtype. */
function affine(c: ImportCtx, x: Value, a: number, b: number): Value {
  const d = x.type.dtype;
  return c.op('add', [c.op('mul', [x, c.scalar(a, d)]), c.scalar(b, d)]);
}

/** HardSigmoid: max(0, min(1, alpha x + beta)). */
function hardSigmoid(c: ImportCtx, x: Value, alpha: number, beta: number): Value {
  return c.op('clip', [affine(c, x, alpha, beta)], { aMin: 0, aMax: 1 });
}

/** Clip's bounds: attributes before opset 11, optional inputs after. */
const clip: Builder = (c) => {
  const x = c.input(0);
  let lo: number | null;
  let hi: number | null;
  if (c.opset < 11) {
    lo = c.attr.has('min') ? c.attr.float('min', 0) : null;
    hi = c.attr.has('max') ? c.attr.float('max', 0) : null;
  } else {
    lo = c.numbers(1, 'the minimum')?.[0] ?? null;
    hi = c.numbers(2, 'the maximum')?.[0] ?? null;
  }
  if (lo !== null && hi !== null) {
    if (lo > hi) {
      // ONNX: with min > max every element becomes max, which min(max(x, lo), hi) gives.
      return [c.op('minimum', [c.op('maximum', [x, c.scalar(lo, x.type.dtype)]), c.scalar(hi, x.type.dtype)])];
    }
    return [c.op('clip', [x], { aMin: lo, aMax: hi })];
  }
  if (lo !== null) return [c.op('maximum', [x, c.scalar(lo, x.type.dtype)])];
  if (hi !== null) return [c.op('minimum', [x, c.scalar(hi, x.type.dtype)])];
  return [x];
};

/**
 * Dropout with training_mode true (opset 12): gluonc's Dropout, always active; the mask is the same
 * Dropout (one seed: the same draws) of ones, where it is not zero.
 */
function trainingDropout(c: ImportCtx, ratio: number): Value[] {
  if (!(ratio > 0 && ratio < 1)) throw c.refuse(`ratio ${ratio} is not in [0, 1)`);
  const x = c.input(0);
  const attrs = { p: ratio, mode: 'always', seed: c.attr.has('seed') ? Math.trunc(c.attr.float('seed', 0)) : nextSeed() };
  const y = c.op('Dropout', [x], attrs);
  if (!c.outputNames[1]) return [y];
  const kept = c.op('Dropout', [c.op('onesLike', [x])], attrs);
  return [y, castTo(c, c.op('notEqual', [kept, c.scalar(0, kept.type.dtype)]), 'bool')];
}

/** The integer dtypes BitShift and the Bitwise operators take (ONNX's T). */
const INTEGERS: readonly DType[] = ['uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64'];

/** Requires every input to be of one integer dtype (ONNX's T), refusing others by name. */
function intInputs(c: ImportCtx): Value[] {
  const xs = Array.from({ length: c.nInputs }, (_v, i) => c.input(i));
  const d = xs[0]!.type.dtype;
  if (!INTEGERS.includes(d) || xs.some((x) => x.type.dtype !== d)) {
    throw c.refuse(`inputs of dtypes ${xs.map((x) => x.type.dtype).join(' and ')} (ONNX: one of ${INTEGERS.join(', ')} for all)`);
  }
  return xs;
}

/** An ONNX bitwise operator as the gluonc one of the same bits (leftShift and rightShift for BitShift). */
const bitwise = (op: string): Builder => (c) => [c.op(op, intInputs(c))];

/**
 * Mod with fmod=0 on floats, numpy's `np.mod` (ONNX's reference): the exact truncated remainder r = fmod(a, b),
 * plus b where r is nonzero and its sign is not b's (so fmod(-3, inf) = -3 gives inf, fmod(3, inf) stays 3),
 * and a zero remainder with b's sign.
 */
function flooredMod(c: ImportCtx, a: Value, b: Value): Value {
  const d = a.type.dtype;
  const r = c.op('fmod', [a, b]);
  const zero = c.scalar(0, d);
  const otherSign = c.op('mul', [c.op('notEqual', [c.op('lesser', [r, zero]), c.op('lesser', [b, zero])]), c.op('notEqual', [r, zero])]);
  const shifted = c.op('where', [otherSign, c.op('add', [r, b]), r]);
  const signedZero = c.op('where', [c.op('lesser', [b, zero]), c.scalar(-0, d), zero]);
  return c.op('where', [c.op('equal', [r, zero]), signedZero, shifted]);
}

/**
 * BitShift as gluonc's leftShift/rightShift: numpy's and ONNX opset 28's rule (signed right shifts are
 * arithmetic; an amount below 0 or at least the width gives the sign fill, -1 or 0), which the unsigned
 * results of earlier opsets, where such an amount was undefined, also follow.
 */
const bitShift: Builder = (c) => {
  const direction = c.attr.str('direction', '');
  if (direction !== 'LEFT' && direction !== 'RIGHT') throw c.refuse(`direction '${direction}' is not LEFT or RIGHT`);
  return bitwise(direction === 'LEFT' ? 'leftShift' : 'rightShift')(c);
};

/** Pow: the exponent takes the base's dtype (ONNX allows them to differ). */
const pow: Builder = (c) => {
  const [x, e] = operands(c);
  return [c.op('pow', [x, castTo(c, e, x.type.dtype)])];
};

/** ONNX's Selu defaults (the same numbers as MXNet's constants, to float32 precision). */
const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

/** x * Phi(x) with the tanh approximation. */
function geluTanh(c: ImportCtx, x: Value): Value {
  const d = x.type.dtype;
  const cube = c.op('mul', [c.op('mul', [x, x]), x]);
  const inner = c.op('mul', [c.op('add', [x, c.op('mul', [cube, c.scalar(0.044715, d)])]), c.scalar(Math.sqrt(2 / Math.PI), d)]);
  const half = c.op('mul', [x, c.scalar(0.5, d)]);
  return c.op('mul', [half, c.op('add', [c.op('tanh', [inner]), c.scalar(1, d)])]);
}

/** A unary function of `x` built from gluonc operators. */
const composite = (f: (c: ImportCtx, x: Value, d: DType) => Value): Builder => (c) => {
  const x = c.input(0);
  return [f(c, x, x.type.dtype)];
};

/** (e^x + sign * e^-x) / 2. */
function expPair(c: ImportCtx, x: Value, d: DType, sign: 1 | -1): Value {
  const [a, b] = [c.op('exp', [x]), c.op('exp', [c.op('neg', [x])])];
  return c.op('mul', [c.op(sign > 0 ? 'add' : 'sub', [a, b]), c.scalar(0.5, d)]);
}

/** Round half to even: floor(x + 0.5), one less at an odd tie. */
export function roundEven(c: ImportCtx, x: Value, d: DType): Value {
  const r = c.op('floor', [c.op('add', [x, c.scalar(0.5, d)])]);
  const tie = c.op('equal', [c.op('sub', [r, x]), c.scalar(0.5, d)]);
  const odd = c.op('notEqual', [c.op('sub', [r, c.op('mul', [c.op('floor', [c.op('mul', [r, c.scalar(0.5, d)])]), c.scalar(2, d)])]), c.scalar(0, d)]);
  return c.op('where', [c.op('mul', [tie, odd]), c.op('sub', [r, c.scalar(1, d)]), r]);
}

/** A per-axis quantization parameter (scale or zero point) shaped to broadcast on `axis` of `x`. */
function onAxis(c: ImportCtx, p: Value, x: Value): Value {
  // A 0-d scale or zero point is per-tensor: `axis` and `block_size` do not change the result.
  if (p.type.shape.length === 0) {
    c.attr.ignore('axis', 'block_size');
    return p;
  }
  const r = x.type.shape.length;
  let axis = c.attr.int('axis', 1);
  if (axis < 0) axis += r;
  const block = c.attr.int('block_size', 0);
  if (block > 0) {
    // Blocked quantization (opset 21): p has x's rank, each entry on `axis` covering `block` of x's.
    if (p.type.shape.length !== r) throw c.refuse(`block_size ${block} with a scale or zero point of rank ${p.type.shape.length} for an input of rank ${r}`);
    const len = x.type.shape[axis]!;
    if (typeof len !== 'number') throw c.refuse(`block_size ${block} along the symbolic axis ${axis} ('${len}')`);
    return c.op('sliceAxis', [c.op('repeat', [p], { repeats: block, axis })], { axis, begin: 0, end: len });
  }
  return c.op('reshape', [p], { shape: Array.from({ length: r }, (_v, i) => (i === axis ? -1 : 1)) });
}

/**
 * True when gluonc's `quantizeLinear`/`dequantizeLinear` (ONNX's own operators, which onnxruntime fuses
 * into its 8-bit kernels) take the node: a float32 scale that is a scalar or runs along the axis, no blocks.
 */
function native(c: ImportCtx, x: Value, scale: Value, zp: Value | null): boolean {
  if (scale.type.dtype !== 'float32' || c.attr.int('block_size', 0) > 0) return false;
  // A zero point shaped otherwise than the scale (ONNX's int4 tests: [1] with a 0-d scale) takes the arithmetic form.
  if (zp && zp.type.shape.join(',') !== scale.type.shape.join(',')) return false;
  const s = scale.type.shape;
  if (s.length === 0) return true;
  const r = x.type.shape.length;
  const axis = c.attr.int('axis', 1);
  return s.length === 1 && axis >= -r && axis < r && s[0] === x.type.shape[axis < 0 ? axis + r : axis];
}

/** The saturating range of a quantized dtype. */
const RANGES: Partial<Record<DType, [number, number]>> = { uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767] };
/** The quantized dtypes gluonc's `quantizeLinear`/`dequantizeLinear` take (the 16-bit ones go the arithmetic way). */
const NATIVE_Q: readonly DType[] = ['uint8', 'int8'];

/**
 * QuantizeLinear: saturate(round_half_even(x / scale) + zero_point) in the zero point's dtype (uint8 by default),
 * int4/uint4/int2/uint2 held in int8/uint8; to a float format (float8, float4e2m1) x / scale rounded onto it
 * (`saturate`; float4e2m1 adds its zero point, float8's is 0), as ONNX's reference op_quantize_linear.py.
 */
const quantize: Builder = (c) => {
  const x = c.input(0);
  const d = x.type.dtype;
  const scale = onAxis(c, c.input(1), x);
  const zp = c.optInput(2);
  const f = quantizedFormat(c, zp);
  // The zero point's dtype, else output_dtype (opset 21), else uint8.
  const code = c.attr.int('output_dtype', 0);
  const to: DType = f ? NARROW[f].wide : zp?.type.dtype ?? (code ? dtypeOf(c, code, 'attribute output_dtype') : 'uint8');
  const codeFormat = code ? narrowOfOnnx(code) : undefined;
  if (zp && code && (f || codeFormat) && f !== codeFormat) throw c.refuse(`output_dtype ${codeFormat ?? code} differs from the zero point's ${f ?? zp.type.dtype}`);
  if (zp && code && !f && dtypeOf(c, code, 'attribute output_dtype') !== zp.type.dtype) throw c.refuse(`output_dtype ${dtypeOf(c, code, 'attribute output_dtype')} differs from the zero point's ${zp.type.dtype}`);
  if (f && !intRange(f)) {
    let v = c.op('div', [x, castTo(c, scale, d)]);
    if (zp && f === 'float4e2m1') v = c.op('add', [v, castTo(c, onAxis(c, zp, x), d)]);
    return [toNarrow(c, v, f)];
  }
  const range = f ? intRange(f) : RANGES[to];
  if (!range) throw c.refuse(`quantizing to ${to} (uint8, int8, uint16, int16, uint4, int4, uint2, int2 and the float8/float4 formats are supported)`);
  if (!f && d === 'float32' && NATIVE_Q.includes(to) && native(c, x, c.input(1), zp)) return [c.op('quantizeLinear', [x, c.input(1), ...(zp ? [zp] : [])], { axis: c.attr.int('axis', 1), dtype: to })];
  let q = roundEven(c, c.op('div', [x, castTo(c, scale, d)]), d);
  if (zp) q = c.op('add', [q, castTo(c, onAxis(c, zp, x), d)]);
  return [markNarrow(castTo(c, c.op('clip', [q], { aMin: range[0], aMax: range[1] }), to), f)];
};

/** DynamicQuantizeLinear: uint8 quantization over the data's range (including 0); y, its scale and zero point (gluonc's operator for float32, float arithmetic else). */
const dynamicQuantize: Builder = (c) => {
  const x = c.input(0);
  const d = x.type.dtype;
  if (d === 'float32') return c.ops('dynamicQuantizeLinear', [x]);
  const zero = c.scalar(0, d);
  const hi = c.op('maximum', [c.op('max', [x], { axis: null }), zero]);
  const lo = c.op('minimum', [c.op('min', [x], { axis: null }), zero]);
  const scale = c.op('div', [c.op('sub', [hi, lo]), c.scalar(255, d)]);
  const zp = c.op('clip', [roundEven(c, c.op('div', [c.op('neg', [lo]), scale]), d)], { aMin: 0, aMax: 255 });
  const y = c.op('clip', [c.op('add', [roundEven(c, c.op('div', [x, scale]), d), zp])], { aMin: 0, aMax: 255 });
  return [castTo(c, y, 'uint8'), scale, castTo(c, zp, 'uint8')];
};

/** DequantizeLinear: (x - zero_point) * scale, in the scale's dtype (float32 before opset 19); int16 and uint16 data (opset 21) exact in it. */
const dequantize: Builder = (c) => {
  const x = c.input(0);
  const scale = c.input(1);
  const zp = c.optInput(2);
  const d = isFloat(scale.type.dtype) ? scale.type.dtype : 'float32';
  if (d === 'float32' && native(c, x, scale, zp) && (NATIVE_Q.includes(x.type.dtype) || (!zp && x.type.dtype === 'int32'))) return [c.op('dequantizeLinear', [x, scale, ...(zp ? [zp] : [])], { axis: c.attr.int('axis', 1) })];
  let v = castTo(c, x, d);
  if (zp) v = c.op('sub', [v, castTo(c, onAxis(c, zp, x), d)]);
  // The result has the scale's dtype in the file, not x's narrow one.
  return [markNarrow(c.op('mul', [v, castTo(c, onAxis(c, scale, x), d)]), narrowOf(scale))];
};

/** The element-wise importers by ONNX operator. */
export const ELEMENTWISE_IMPORTS: Record<string, Builder> = {
  Identity: (c) => [c.input(0)],
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: (c) => {
    const [a, b] = operands(c);
    const d = a.type.dtype;
    if (d === 'float32' || d === 'float64' || d === 'float16') return [c.op('div', [a, b])];
    // Integer division truncates in ONNX: through float64, then back.
    const q = c.op('div', [castTo(c, a, 'float64'), castTo(c, b, 'float64')]);
    const t = c.op('where', [c.op('lesser', [q, c.scalar(0, 'float64')]), c.op('ceil', [q]), c.op('floor', [q])]);
    return [castTo(c, t, d)];
  },
  Pow: pow,
  Mod: (c) => {
    const [a, b] = [c.input(0), c.input(1)];
    const d = a.type.dtype;
    const truncated = c.attr.int('fmod', 0) === 1;
    if (d === 'float32' || d === 'float64' || d === 'float16') return [truncated ? c.op('fmod', [a, b]) : flooredMod(c, a, b)];
    // Integers: exact in float64 below 2^53.
    const [x, y] = [castTo(c, a, 'float64'), castTo(c, b, 'float64')];
    const q = c.op('div', [x, y]);
    // fmod=1: C's fmod (truncated quotient); else Python's % (floored quotient; the sign of the divisor).
    const whole = truncated ? c.op('where', [c.op('lesser', [q, c.scalar(0, 'float64')]), c.op('ceil', [q]), c.op('floor', [q])]) : c.op('floor', [q]);
    return [castTo(c, c.op('sub', [x, c.op('mul', [whole, y])]), d)];
  },
  Max: fold('maximum'),
  Min: fold('minimum'),
  Sum: fold('add'),
  Mean: fold('add', (c, v, n) => c.op('div', [v, c.scalar(n, v.type.dtype)])),
  Equal: compare('equal'),
  Greater: compare('greater'),
  GreaterOrEqual: compare('greaterEqual'),
  Less: compare('lesser'),
  LessOrEqual: compare('lesserEqual'),
  Not: (c) => [castTo(c, c.op('equal', [castTo(c, c.input(0), 'int32'), c.scalar(0, 'int32')]), 'bool')],
  And: logic((c, a, b) => c.op('mul', [a, b])),
  Or: logic((c, a, b) => c.op('maximum', [a, b])),
  Xor: logic((c, a, b) => c.op('notEqual', [a, b])),
  Neg: unary('neg'),
  Abs: unary('abs'),
  Sign: unary('sign'),
  Exp: unary('exp'),
  Log: unary('log'),
  Sqrt: unary('sqrt'),
  Reciprocal: unary('reciprocal'),
  Sin: unary('sin'),
  Asin: unary('arcsin'),
  Acos: unary('arccos'),
  Atan: unary('arctan'),
  Cos: unary('cos'),
  Tanh: unary('tanh'),
  Sigmoid: unary('sigmoid'),
  Relu: unary('relu'),
  Erf: unary('erf'),
  Floor: unary('floor'),
  Ceil: unary('ceil'),
  Softplus: unary('softrelu'),
  // Mish (opset 18): x · tanh(softplus(x)).
  Mish: (c) => [c.op('mul', [c.input(0), c.op('tanh', [c.op('softrelu', [c.input(0)])])])],
  Softsign: (c) => [c.op('Activation', [c.input(0)], { actType: 'softsign' })],
  Gelu: (c) => {
    const approx = c.attr.str('approximate', 'none');
    if (approx === 'none') return [c.op('gelu', [c.input(0)])];
    if (approx === 'tanh') return [geluTanh(c, c.input(0))];
    throw c.refuse(`approximate '${approx}' is not one of none, tanh`);
  },
  LeakyRelu: (c) => [c.op('LeakyReLU', [c.input(0)], { actType: 'leaky', slope: c.attr.float('alpha', 0.01) })],
  Elu: (c) => [c.op('LeakyReLU', [c.input(0)], { actType: 'elu', slope: c.attr.float('alpha', 1) })],
  Selu: (c) => {
    const [a, g] = [c.attr.float('alpha', SELU_ALPHA), c.attr.float('gamma', SELU_GAMMA)];
    if (Math.abs(a - SELU_ALPHA) < 1e-6 && Math.abs(g - SELU_GAMMA) < 1e-6) return [c.op('LeakyReLU', [c.input(0)], { actType: 'selu' })];
    // Other constants: gamma * (x > 0 ? x : alpha * (e^x - 1)).
    const x = c.input(0);
    const d = x.type.dtype;
    const neg = c.op('mul', [c.op('sub', [c.op('exp', [x]), c.scalar(1, d)]), c.scalar(a, d)]);
    return [c.op('mul', [c.op('where', [c.op('greater', [x, c.scalar(0, d)]), x, neg]), c.scalar(g, d)])];
  },
  PRelu: (c) => {
    const x = c.input(0);
    let slope = c.input(1);
    const s = slope.type.shape;
    const n = s.reduce<number>((p, d) => p * (typeof d === 'number' ? d : NaN), 1);
    // gluonc's prelu takes a slope of [C] on axis 1 or [1]: ONNX's [C, 1, 1] (or [1]) reshaped to that.
    const rank = x.type.shape.length;
    // Before opset 7 a 1-D slope of C values is per channel (axis 1).
    const legacy = c.opset < 7 && s.length === 1 && rank >= 2 && s[0] === x.type.shape[1];
    const channelLike = legacy || (s.length === rank - 1 && s.slice(1).every((d) => d === 1) && rank >= 2);
    if (n === 1) slope = s.length === 1 ? slope : c.op('reshape', [slope], { shape: [1] });
    else if (channelLike || (s.length === 1 && rank === 2)) slope = s.length === 1 ? slope : c.op('reshape', [slope], { shape: [-1] });
    // Any other broadcastable slope: max(x, 0) + min(x, 0) * slope.
    else return [c.op('add', [c.op('maximum', [x, c.scalar(0, x.type.dtype)]), c.op('mul', [c.op('minimum', [x, c.scalar(0, x.type.dtype)]), slope])])];
    return [c.op('LeakyReLU', [x, slope], { actType: 'prelu' })];
  },
  Shrink: (c) => {
    const x = c.input(0);
    const d = x.type.dtype;
    const [lambd, bias] = [c.attr.float('lambd', 0.5), c.attr.float('bias', 0)];
    const below = c.op('lesser', [x, c.scalar(-lambd, d)]);
    const above = c.op('greater', [x, c.scalar(lambd, d)]);
    const zero = c.op('zerosLike', [x]);
    return [c.op('where', [below, c.op('add', [x, c.scalar(bias, d)]), c.op('where', [above, c.op('sub', [x, c.scalar(bias, d)]), zero])])];
  },
  Sinh: composite((c, x, d) => expPair(c, x, d, -1)),
  Cosh: composite((c, x, d) => expPair(c, x, d, 1)),
  Tan: composite((c, x) => c.op('div', [c.op('sin', [x]), c.op('cos', [x])])),
  Asinh: composite((c, x, d) => c.op('log', [c.op('add', [x, c.op('sqrt', [c.op('add', [c.op('square', [x]), c.scalar(1, d)])])])])),
  Acosh: composite((c, x, d) => c.op('log', [c.op('add', [x, c.op('sqrt', [c.op('sub', [c.op('square', [x]), c.scalar(1, d)])])])])),
  Atanh: composite((c, x, d) => c.op('mul', [c.op('log', [c.op('div', [c.op('add', [c.scalar(1, d), x]), c.op('sub', [c.scalar(1, d), x])])]), c.scalar(0.5, d)])),
  Round: composite(roundEven),
  ThresholdedRelu: composite((c, x, d) => c.op('where', [c.op('greater', [x, c.scalar(c.attr.float('alpha', 1), d)]), x, c.op('zerosLike', [x])])),
  Celu: composite((c, x, d) => {
    const a = c.attr.float('alpha', 1);
    const neg = c.op('mul', [c.op('sub', [c.op('exp', [c.op('div', [x, c.scalar(a, d)])]), c.scalar(1, d)]), c.scalar(a, d)]);
    return c.op('add', [c.op('maximum', [x, c.scalar(0, d)]), c.op('minimum', [neg, c.scalar(0, d)])]);
  }),
  IsNaN: composite((c, x) => castTo(c, c.op('notEqual', [x, x]), 'bool')),
  IsInf: composite((c, x, d) => {
    const pos = c.attr.int('detect_positive', 1) === 1;
    const neg = c.attr.int('detect_negative', 1) === 1;
    const hit = (v: number) => c.op('equal', [x, c.scalar(v, d)]);
    const any = pos && neg ? c.op('maximum', [hit(Infinity), hit(-Infinity)]) : pos ? hit(Infinity) : neg ? hit(-Infinity) : c.op('zerosLike', [x]);
    return castTo(c, any, 'bool');
  }),
  HardSigmoid: (c) => [hardSigmoid(c, c.input(0), c.attr.float('alpha', 0.2), c.attr.float('beta', 0.5))],
  HardSwish: (c) => {
    const x = c.input(0);
    return [c.op('mul', [x, hardSigmoid(c, x, 1 / 6, 0.5)])];
  },
  Clip: clip,
  QuantizeLinear: quantize,
  DequantizeLinear: dequantize,
  DynamicQuantizeLinear: dynamicQuantize,
  Where: (c) => {
    const [cond, x, y] = [c.input(0), c.input(1), c.input(2)];
    return [c.op('where', [cond, x, castTo(c, y, x.type.dtype)])];
  },
  Cast: castImport,
  BitShift: bitShift,
  BitwiseAnd: bitwise('bitwiseAnd'),
  BitwiseOr: bitwise('bitwiseOr'),
  BitwiseXor: bitwise('bitwiseXor'),
  BitwiseNot: bitwise('bitwiseNot'),
  CastLike: castLikeImport,
  // The same bytes as another dtype of the same width (opset 26); gluonc's narrow dtypes are held wider, so their bits are not the file's.
  BitCast: (c) => {
    const x = c.input(0);
    const from = narrowOf(x);
    if (from) throw c.refuse(`its input is ${from}, which gluonc holds as ${x.type.dtype}: its bits are not the file's`);
    return [c.op('bitcast', [x], { dtype: dtypeOf(c, c.attr.int('to', 0), 'attribute to') })];
  },
  Dropout: (c) => {
    if (c.opset >= 12 && c.has(2)) {
      const t = c.numbers(2, 'training_mode');
      const ratio = c.numbers(1, 'ratio')?.[0] ?? 0.5;
      if (t && t[0] && ratio !== 0) return trainingDropout(c, ratio);
    }
    if (c.opset < 7 && c.attr.int('is_test', 0) === 0) throw c.refuse('is_test=0 (training-mode dropout) is not supported');
    const x = c.input(0);
    // Inference: the identity, and a mask of all true (whatever the seed, and the ratio attribute before opset 12).
    c.attr.ignore('seed', 'ratio');
    return c.outputNames[1] ? [x, castTo(c, c.op('onesLike', [x]), 'bool')] : [x];
  },
};
