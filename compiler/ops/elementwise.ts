/**
 * Element-wise operators: numpy-broadcasting binary arithmetic and
 * comparisons, unary math and activations, clip and where. Each operator is
 * one declaration built by the `binary`/`unary` helpers below.
 * Comparisons return the inputs' dtype holding 0/1, as MXNet's do.
 */
import type { DType } from '../../runtime/dtypes.js';
import { intLimits, isFloat, onnxDType as onnxTo } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import type { Shape, TensorType } from '../ir/types.js';
import { defineOp, type GradRule, type LowerCtx, type Method, type OnnxAttr, type OpDef, type Tx } from './define.js';
import { broadcastShapes } from './dims.js';
import { OpError } from './errors.js';
import { guardFloat64Scale } from './float64-scale.js';
import { mapN } from './kernels.js';
import type { GradOps, GradTensor } from './grad-ops.js';

type Binary = Method<(lhs: Tx | number, rhs: Tx | number) => Tx>;
type Unary = Method<(data: Tx) => Tx>;

const ALL: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8', 'bool', 'int16', 'uint16', 'uint32', 'uint64'];
const NUMERIC: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8', 'int16', 'uint16', 'uint32', 'uint64'];
const FLOATS: DType[] = ['float32', 'float64', 'float16'];
const SIGNED: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'int16'];
/**
 * Where onnxruntime 1.30's CPU kernels lack the narrow integers (Max, Min, Pow, Where, Neg, Relu take none of
 * int16/uint16; Pow and Where no unsigned type but uint8, Clip and Pad no 16-bit one; measured by running each operator on each dtype), an operator
 * computes in the next wider integer that has them and casts back: exact for Max, Min, Where and Neg, and
 * wrapping as the dtype does for Pow.
 */
export const INT_VIA: Partial<Record<DType, DType>> = { int8: 'int32', uint8: 'int32', int16: 'int32', uint16: 'int32', uint32: 'int64', uint64: 'int64' };
/** The 16-bit integers in int32, for operators whose onnxruntime kernels lack only them (Max, Min, Clip, Pad). */
export const SMALL_VIA: Partial<Record<DType, DType>> = { int16: 'int32', uint16: 'int32' };
/** Float dtypes for an operator that refuses integers (a copy: `unary` extends FLOATS itself to MXNet 1.x's integer rule). */
const FLOAT_ONLY: DType[] = [...FLOATS];

/** Requires every input to have one dtype from `allowed`; returns it. */
export function commonDType(op: string, types: TensorType[], allowed: DType[] = ALL): DType {
  const d = types[0]!.dtype;
  if (types.some((t) => t.dtype !== d)) {
    throw new OpError(op, `inputs have different dtypes ${types.map((t) => t.dtype).join(' and ')}; cast one with F.cast`, types);
  }
  if (!allowed.includes(d)) {
    // A float-only operator given integers: say how to get the float result.
    const cast = !isFloat(d) && allowed.every(isFloat) ? `; cast first: x.astype('float32')` : '';
    throw new OpError(op, `dtype ${d} is not supported (supported: ${allowed.join(', ')})${cast}`, types);
  }
  return d;
}

/** Solves unknown (0) dimensions of one operand from the other's aligned dimension. */
export function solveBroadcast(types: TensorType[]): (Shape | undefined)[] {
  const rank = Math.max(...types.map((t) => t.shape.length));
  return types.map((t) => {
    if (!t.shape.includes(0)) return undefined;
    return t.shape.map((d, i) => {
      if (d !== 0) return d;
      const k = rank - t.shape.length + i;
      for (const o of types) {
        const j = o.shape.length - rank + k;
        const e = o.shape[j];
        if (o !== t && e !== undefined && e !== 0) return e;
      }
      return 0;
    });
  });
}

export interface BinaryOpts {
  dtypes?: DType[];
  /** Output dtype is the input dtype but the ONNX op returns bool (comparisons). */
  compare?: boolean;
  grad?: GradRule;
  /** Integer outputs refuse a zero right operand (onnxruntime's Div fails there; the kernel would give 0). */
  intDivisor?: boolean;
  /** The kernel's function for an integer output dtype, where `f` in float64 would differ from onnxruntime. */
  int?: (dtype: DType) => ((a: number, b: number) => number) | null;
  /** The ONNX operator runs in a wider dtype for these (onnxruntime has no kernel for them; `computeIn`). */
  via?: Partial<Record<DType, DType>>;
  /** MXNet's `elemwise_*`: the two shapes must be equal (no broadcasting). */
  sameShape?: boolean;
  /** Attributes of the ONNX operator (`fmod`'s Mod: `fmod: 1`). */
  onnxAttrs?: Record<string, OnnxAttr>;
}

export function binary(name: string, onnxOp: string, f: (a: number, b: number) => number, o: BinaryOpts = {}): OpDef<Binary> {
  return defineOp<Binary>({
    name,
    inputs: ['lhs', 'rhs'],
    method: true,
    infer: (types) => {
      const dtype = commonDType(name, types, o.dtypes);
      const [l, r] = [types[0]!.shape, types[1]!.shape];
      if (o.sameShape && (l.length !== r.length || l.some((d, i) => typeof d === 'number' && typeof r[i] === 'number' && d !== r[i]))) {
        throw new OpError(name, 'needs two inputs of the same shape (it does not broadcast; use the broadcasting form)', types);
      }
      return [{ dtype, shape: broadcastShapes(name, [l, r], types) }];
    },
    solve: solveBroadcast,
    lower: o.via ? computeIn(o.via, (c) => void c.emit(onnxOp, c.inputs, {}, c.outputs)) : (c) => {
      if (onnxOp === 'Mul' || onnxOp === 'Div') return void c.emit(onnxOp, guardFloat64Scale(c, onnxOp === 'Mul' ? [0, 1] : [1]), {}, c.outputs);
      if (!o.compare) return void c.emit(onnxOp, c.inputs, o.onnxAttrs ?? {}, c.outputs);
      const [b] = c.emit(onnxOp, c.inputs);
      c.emit('Cast', [b!], { to: onnxTo(c.outTypes[0]!.dtype) }, c.outputs);
    },
    kernel: (ins, _a, [out]) => {
      if (o.intDivisor && !isFloat(out!.dtype) && Array.prototype.some.call(ins[1]!.data, (v: number | bigint) => v == 0)) {
        throw new OpError(name, 'integer division by zero', ins.map((t) => ({ dtype: t.dtype, shape: t.shape })));
      }
      return [mapN(ins, out!, (o.int && !isFloat(out!.dtype) && o.int(out!.dtype)) || f)];
    },
    grad: o.grad,
  });
}

/** The integer dtypes a float function takes as MXNet 1.x's legacy operators do (see `unary`). */
const INTEGERS: DType[] = ['int32', 'int64', 'int8', 'uint8', 'int16', 'uint16', 'uint32', 'uint64'];
const intInFloat32 = computeIn<(c: LowerCtx) => void>(Object.fromEntries(INTEGERS.map((d) => [d, 'float32'])), (c, lower) => lower(c));

/**
 * A unary operator. A float function (`dtypes` FLOATS: exp, log, sqrt, sin,
 * ...) also takes integer arrays with MXNet 1.x's legacy rule: the result
 * keeps the integer dtype (FInferType ElemwiseType<1, 1>), computed in
 * float32 and truncated toward zero (math_functions-inl.h:
 * `DType(::sqrtf(static_cast<float>(a)))`), so `sqrt([5])` is `[2]`. A
 * result that is NaN or outside the dtype (sqrt of a negative, log of 0) is
 * undefined there (C++ conversion) and here. Integers always run on the
 * session (onnxruntime's float32 functions, `kernelTakes`), so a value within
 * float32 rounding of an integer truncates alike eagerly and compiled (tanh(9)
 * is 1 there, 0 with glibc's tanhf). `np`'s functions cast integers to float32
 * first (numpy's rule with MXNet's default float).
 */
function unary(name: string, lowerFn: (c: LowerCtx) => void, f: (x: number) => number, dtypes: DType[] = FLOATS, grad?: GradRule, opsetNote?: string): OpDef<Unary> {
  const floatFn = dtypes === FLOATS;
  const f32 = (x: number) => Math.trunc(Math.fround(f(Math.fround(x))));
  return defineOp<Unary>({
    name,
    opsetNote,
    inputs: ['data'],
    method: true,
    infer: (types) => [{ dtype: commonDType(name, types, floatFn ? [...FLOATS, ...INTEGERS] : dtypes), shape: [...types[0]!.shape] }],
    lower: floatFn ? (c) => intInFloat32(c, lowerFn) : lowerFn,
    kernel: (ins, _a, [out]) => [mapN(ins, out!, floatFn && INTEGERS.includes(out!.dtype) ? f32 : f)],
    // Integers run on the session (onnxruntime's float32 functions), so eager and compiled truncate the same values.
    kernelTakes: floatFn ? (ins) => !INTEGERS.includes(ins[0]!.dtype) : undefined,
    grad,
  });
}

/**
 * A lowering for ONNX operators onnxruntime implements only in float32:
 * other float dtypes are cast to float32 around it.
 */
export function viaFloat32(c: LowerCtx, onnxOp: string, inputs: string[] = c.inputs, attrs: Record<string, { float: number }> = {}): void {
  const d = c.outTypes[0]!.dtype;
  if (d === 'float32') return void c.emit(onnxOp, inputs, attrs, c.outputs);
  const f32 = onnxTo('float32');
  const cast = inputs.map((x) => c.emit('Cast', [x], { to: f32 })[0]!);
  const [y] = c.emit(onnxOp, cast, attrs);
  c.emit('Cast', [y!], { to: onnxTo(d) }, c.outputs);
}

/**
 * A lowering run in float32 where its inputs and outputs are float16 (cast around `lower`: onnxruntime's
 * CPU kernels or the lowering's constants lack float16), rounded once. Example: `lower: float16InFloat32((c, a) => ...)`.
 */
export function float16InFloat32<A>(lower: (c: LowerCtx, a: A) => void): (c: LowerCtx, a: A) => void {
  return computeIn({ float16: 'float32' }, lower);
}

/**
 * A lowering run in wider dtypes where onnxruntime lacks kernels: each input and output of a dtype in `via`
 * is cast to its mapped dtype around `lower`, and the outputs cast back (rounded, or wrapped for integers).
 * Example: `lower: computeIn({ float16: 'float32', int8: 'int32' }, (c, a) => ...)`.
 */
export function computeIn<A>(via: Partial<Record<DType, DType>>, lower: (c: LowerCtx, a: A) => void): (c: LowerCtx, a: A) => void {
  return (c, a) => {
    const wide = (t: TensorType): DType | undefined => via[t.dtype];
    if (!c.inTypes.some(wide) && !c.outTypes.some(wide)) return lower(c, a);
    const widen = (t: TensorType): TensorType => ({ ...t, dtype: wide(t) ?? t.dtype });
    const inputs = c.inputs.map((x, i) => (x && wide(c.inTypes[i]!) ? c.emit('Cast', [x], { to: onnxTo(wide(c.inTypes[i]!)!) })[0]! : x));
    const outputs = c.outputs.map((o, i) => (wide(c.outTypes[i]!) ? c.fresh() : o));
    lower({ ...c, inputs, outputs, inTypes: c.inTypes.map(widen), outTypes: c.outTypes.map(widen) }, a);
    outputs.forEach((o, i) => {
      if (o !== c.outputs[i]) c.emit('Cast', [o], { to: onnxTo(c.outTypes[i]!.dtype) }, [c.outputs[i]!]);
    });
  };
}

/**
 * Wraps a gradient rule for the float-only world of gradients: without an
 * output gradient (or with a non-float output, or no float input) every input
 * gets null, and so do integer/bool inputs (indices, conditions).
 */
export function floatGrad(rule: GradRule): GradRule {
  return (F, ctx, gs) => {
    if (!gs[0] || !isFloat(ctx.outTypes[0]!.dtype) || !ctx.inTypes.some((t) => isFloat(t.dtype))) return ctx.inputs.map(() => null);
    return rule(F, ctx, gs).map((d, i) => (isFloat(ctx.inTypes[i]!.dtype) ? d : null));
  };
}

/** `F.reduceSumLike(d, x)`, skipped when `x` already has the output's shape. */
function sumLike(F: GradOps, d: GradTensor, x: GradTensor, xType: TensorType, outType: TensorType): GradTensor {
  const same = xType.shape.length === outType.shape.length && xType.shape.every((v, i) => v === outType.shape[i]);
  return same ? d : F.reduceSumLike(d, x);
}

/**
 * A binary operator's rule from the gradients at the broadcast output shape
 * (`g` is the output gradient, `y` the output); each is then reduced to its
 * input's shape.
 */
export function binaryGrad(d: (F: GradOps, a: GradTensor, b: GradTensor, g: GradTensor, y: GradTensor) => [GradTensor, GradTensor]): GradRule {
  return floatGrad((F, { inputs: [a, b], outputs: [y], inTypes, outTypes }, [g]) => {
    const [da, db] = d(F, a!, b!, g!, y!);
    return [sumLike(F, da, a!, inTypes[0]!, outTypes[0]!), sumLike(F, db, b!, inTypes[1]!, outTypes[0]!)];
  });
}

/** A unary operator's rule: the input gradient from the input `x`, the output gradient `g` and the output `y`. */
function unaryGrad(d: (F: GradOps, x: GradTensor, g: GradTensor, y: GradTensor) => GradTensor): GradRule {
  return floatGrad((F, { inputs: [x], outputs: [y] }, [g]) => [d(F, x!, g!, y!)]);
}

/** The rule of piecewise-constant operators (comparisons, sign, floor, ceil): zero gradients, as in MXNet. */
export const zeroGrad: GradRule = floatGrad((F, { inputs }) => inputs.map((x) => F.zerosLike(x)));

/**
 * The rule of maximum (`pick` 1) and minimum (`pick` -1): the gradient goes
 * to the larger (smaller) input; where the two are equal it is split half and
 * half (as JAX and PyTorch do; MXNet gives it all to lhs).
 */
function pickGrad(pick: 1 | -1): GradRule {
  return binaryGrad((F, a, b, g) => {
    const half = F.mul(F.equal(a, b), 0.5);
    const ma = F.add(pick > 0 ? F.greater(a, b) : F.lesser(a, b), half);
    const mb = F.add(pick > 0 ? F.lesser(a, b) : F.greater(a, b), half);
    return [F.mul(g, ma), F.mul(g, mb)];
  });
}

/** A lowering that is exactly one ONNX operator. */
const one = (onnxOp: string, attrs: Record<string, { float: number }> = {}) => (c: LowerCtx) => void c.emit(onnxOp, c.inputs, attrs, c.outputs);


export const truncDiv = (a: number, b: number) => a / b;
/** The error function in float64 (kernels and references). */
export const erfFn = (x: number): number => {
  // Abramowitz-Stegun 7.1.26 is too coarse; use a series/continued fraction accurate to ~1e-15.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for large |x|
  let cf = 0;
  for (let n = 60; n >= 1; n--) cf = (n / 2) / (t + cf);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + cf);
  return Math.sign(x) * (1 - erfc);
};

/**
 * erf of a float64 tensor in ONNX operators that onnxruntime runs in float64
 * (its Erf and Gelu kernels are float32 only): for |x| < 2 the Maclaurin
 * series `2/√π · x · Σ_{n≤30} (−x²)^n / (n!(2n+1))` (Horner in x²), above it
 * `1 − e^{−x²}/√π / (x + ½/(x + 1/(x + (3/2)/(x + …))))` (erfc's continued
 * fraction, 40 levels), odd in x; within 4e-15 relative (the test's bound) of
 * python's math.erf on [0, 7]. NaN stays NaN. Returns the output name.
 */
export function erfFloat64(c: LowerCtx, x: string): string {
  const k = (v: number) => c.scalar(v, 'float64');
  const op = (name: string, ...ins: string[]) => c.emit(name, ins)[0]!;
  const t = op('Abs', x);
  const two = k(2);
  // Series on min(|x|, 2): Σ a_n z^n, z = x², by Horner from n = 30 down.
  const ts = op('Min', t, two);
  const z = op('Mul', ts, ts);
  let fact = 1;
  const a: number[] = [];
  for (let n = 0; n <= 30; n++) {
    if (n > 0) fact *= n;
    a.push((n % 2 === 0 ? 1 : -1) / (fact * (2 * n + 1)));
  }
  let s = k(a[30]!);
  for (let n = 29; n >= 0; n--) s = op('Add', op('Mul', s, z), k(a[n]!));
  const series = op('Mul', op('Mul', ts, s), k(2 / Math.sqrt(Math.PI)));
  // Continued fraction on max(|x|, 2).
  const tl = op('Max', t, two);
  let cf = k(0);
  for (let n = 40; n >= 1; n--) cf = op('Div', k(n / 2), op('Add', tl, cf));
  const erfc = op('Div', op('Exp', op('Neg', op('Mul', tl, tl))), op('Mul', op('Add', tl, cf), k(Math.sqrt(Math.PI))));
  const large = op('Sub', k(1), erfc);
  const magnitude = op('Where', op('Less', t, two), series, large);
  // Odd: the sign of x (erf(±0) = ±0 from the series' factor); NaN (x ≠ x) passes through.
  const signed = op('Where', op('Less', x, k(0)), op('Neg', magnitude), magnitude);
  return op('Where', op('Equal', x, x), signed, x);
}

/** The options of add, sub, mul and div (also MXNet's elemwise_* forms, elemwise.ts). */
export const ADD: BinaryOpts = { dtypes: NUMERIC, grad: (F, { inputs: [a, b] }, [g]) => [F.reduceSumLike(g!, a!), F.reduceSumLike(g!, b!)] };
/** `lhs + rhs`, broadcasting. Example: `F.add(x, 1)`. */
export const add = binary('add', 'Add', (a, b) => a + b, ADD);
export const SUB: BinaryOpts = { dtypes: NUMERIC, grad: binaryGrad((F, _a, _b, g) => [g, F.neg(g)]) };
/** `lhs - rhs`, broadcasting. */
export const sub = binary('sub', 'Sub', (a, b) => a - b, SUB);
export const MUL: BinaryOpts = {
  dtypes: NUMERIC,
  // int32 and uint32 products past 2^53 lose their low bits in float64: Math.imul wraps exactly (8- and 16-bit products are small).
  int: (d) => (d === 'int32' ? Math.imul : d === 'uint32' ? (a, b) => Math.imul(a, b) >>> 0 : null),
  grad: binaryGrad((F, a, b, g) => [F.mul(g, b), F.mul(g, a)]),
};
/** `lhs * rhs`, broadcasting. */
export const mul = binary('mul', 'Mul', (a, b) => a * b, MUL);
export const DIV: BinaryOpts = {
  dtypes: NUMERIC,
  intDivisor: true,
  // d/da = 1/b, d/db = -a/b² = -y/b.
  grad: binaryGrad((F, _a, b, g, y) => {
    const ga = F.div(g, b);
    return [ga, F.neg(F.mul(ga, y))];
  }),
};
/** `lhs / rhs`, broadcasting (integers truncate toward zero; an integer division by zero throws). */
export const div = binary('div', 'Div', truncDiv, DIV);
/**
 * `lhs ** rhs`, broadcasting. Gradient: d/da = b·a^(b-1); d/db = y·log(a)
 * where a > 0, and 0 where a <= 0 (where the power is only defined for
 * integer b).
 */
export const pow = binary('pow', 'Pow', (a, b) => a ** b, {
  dtypes: NUMERIC,
  via: INT_VIA,
  // onnxruntime's integer Pow converts a float64 power: past int32 (int8 to uint16 go through it) or int64 (uint32, uint64), the minimum.
  int: (d) => {
    const lim = d === 'int64' || d === 'uint32' || d === 'uint64' ? 2 ** 63 : 2 ** 31;
    return (a, b) => {
      const p = a ** b;
      return p >= -lim && p < lim ? p : -lim;
    };
  },
  grad: binaryGrad((F, a, b, g, y) => {
    const da = F.mul(g, F.mul(b, F.pow(a, F.sub(b, 1))));
    const posA = F.greater(a, 0);
    const logA = F.log(F.where(posA, a, 1));
    return [da, F.mul(g, F.where(posA, F.mul(y, logA), 0))];
  }),
});
/** Element-wise maximum, broadcasting. The gradient goes to the larger input; ties split it half and half. */
export const maximum = binary('maximum', 'Max', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), { dtypes: NUMERIC, via: SMALL_VIA, grad: pickGrad(1) });
/** Element-wise minimum, broadcasting. The gradient goes to the smaller input; ties split it half and half. */
export const minimum = binary('minimum', 'Min', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), { dtypes: NUMERIC, via: SMALL_VIA, grad: pickGrad(-1) });
/** 1 where `lhs == rhs`, else 0 (in the inputs' dtype). */
export const equal = binary('equal', 'Equal', (a, b) => +(a === b), { compare: true, dtypes: ALL, grad: zeroGrad });
/** 1 where `lhs != rhs`, else 0. */
export const notEqual: OpDef<Binary> = defineOp<Binary>({
  name: 'notEqual',
  inputs: ['lhs', 'rhs'],
  method: true,
  infer: (types) => [{ dtype: commonDType('notEqual', types), shape: broadcastShapes('notEqual', [types[0]!.shape, types[1]!.shape], types) }],
  solve: solveBroadcast,
  lower: (c) => {
    const [e] = c.emit('Equal', c.inputs);
    const [n] = c.emit('Not', [e!]);
    c.emit('Cast', [n!], { to: onnxTo(c.outTypes[0]!.dtype) }, c.outputs);
  },
  kernel: (ins, _a, [out]) => [mapN(ins, out!, (a, b) => +(a !== b))],
  grad: zeroGrad,
});
/** 1 where `lhs > rhs`, else 0. */
export const greater = binary('greater', 'Greater', (a, b) => +(a > b), { compare: true, dtypes: NUMERIC, grad: zeroGrad });
/** 1 where `lhs >= rhs`, else 0. */
export const greaterEqual = binary('greaterEqual', 'GreaterOrEqual', (a, b) => +(a >= b), { compare: true, dtypes: NUMERIC, grad: zeroGrad });
/** 1 where `lhs < rhs`, else 0. */
export const lesser = binary('lesser', 'Less', (a, b) => +(a < b), { compare: true, dtypes: NUMERIC, grad: zeroGrad });
/** 1 where `lhs <= rhs`, else 0. */
export const lesserEqual = binary('lesserEqual', 'LessOrEqual', (a, b) => +(a <= b), { compare: true, dtypes: NUMERIC, grad: zeroGrad });

// Unsigned negation wraps (numpy's `-np.uint16(1)` is 65535): computed in the wider signed dtype, cast back modulo 2^bits.
const negLower = computeIn<undefined>({ uint8: 'int32', uint16: 'int32', uint32: 'int64', uint64: 'int64' }, one('Neg'));
/** `-x` (uint8 wraps, as numpy's and MXNet's: Neg has no uint8 kernel, so int32 and a wrapping Cast back). */
export const neg = unary('neg', (c) => negLower(c, undefined), (x) => -x, NUMERIC, unaryGrad((F, _x, g) => F.neg(g)));
/** `|x|` (gradient `sign(x)`, 0 at 0). */
export const abs = unary('abs', one('Abs'), Math.abs, NUMERIC, unaryGrad((F, x, g) => F.mul(g, F.sign(x))));
/** -1, 0 or 1. */
export const sign = unary('sign', one('Sign'), (x) => (Number.isNaN(x) ? NaN : Math.sign(x)), NUMERIC, zeroGrad);
/** `e^x`. */
export const exp = unary('exp', one('Exp'), Math.exp, FLOATS, unaryGrad((F, _x, g, y) => F.mul(g, y)));
/** Natural logarithm. */
export const log = unary('log', one('Log'), Math.log, FLOATS, unaryGrad((F, x, g) => F.div(g, x)));
/** Square root. */
/**
 * log(1 + x), accurate for small x: ONNX has no Log1p, so the lowering uses
 * Goldberg's identity log1p(x) = x log(u) / (u - 1) with u = 1 + x (x itself
 * where u rounds to 1). Example: `F.log1p(x)`.
 */
export const log1p = unary('log1p', (c) => {
  const d = c.inTypes[0]!.dtype;
  const x = c.inputs[0]!;
  const [u] = c.emit('Add', [x, c.scalar(1, d)]);
  const [um1] = c.emit('Sub', [u!, c.scalar(1, d)]);
  const [ratio] = c.emit('Div', [c.emit('Log', [u!])[0]!, um1!]);
  const [scaled] = c.emit('Mul', [x, ratio!]);
  const [inf] = c.emit('IsInf', [u!]);
  const [big] = c.emit('Where', [inf!, u!, scaled!]);
  c.emit('Where', [c.emit('Equal', [um1!, c.scalar(0, d)])[0]!, x, big!], {}, c.outputs);
}, Math.log1p, FLOATS, unaryGrad((F, x, g) => F.div(g, F.add(x, 1))));

/**
 * exp(x) - 1, accurate for small x: Kahan's expm1(x) = (u - 1) x / log(u)
 * with u = exp(x) (x where u rounds to 1, -1 where u - 1 does). Example: `F.expm1(x)`.
 */
export const expm1 = unary('expm1', (c) => {
  const d = c.inTypes[0]!.dtype;
  const x = c.inputs[0]!;
  const [u] = c.emit('Exp', [x]);
  const [um1] = c.emit('Sub', [u!, c.scalar(1, d)]);
  const [r] = c.emit('Div', [c.emit('Mul', [um1!, x])[0]!, c.emit('Log', [u!])[0]!]);
  const [inf] = c.emit('IsInf', [u!]);
  const [a] = c.emit('Where', [inf!, u!, r!]);
  const [b] = c.emit('Where', [c.emit('Equal', [um1!, c.scalar(-1, d)])[0]!, um1!, a!]);
  c.emit('Where', [c.emit('Equal', [u!, c.scalar(1, d)])[0]!, x, b!], {}, c.outputs);
}, Math.expm1, FLOATS, unaryGrad((F, _x, g, y) => F.mul(g, F.add(y, 1))));

export const sqrt = unary('sqrt', one('Sqrt'), Math.sqrt, FLOATS, unaryGrad((F, _x, g, y) => F.div(F.mul(g, 0.5), y)));
/** `1 / sqrt(x)`. */
export const rsqrt = unary('rsqrt', (c) => {
  const [s] = c.emit('Sqrt', c.inputs);
  c.emit('Reciprocal', [s!], {}, c.outputs);
}, (x) => 1 / Math.sqrt(x), FLOATS, unaryGrad((F, x, g, y) => F.mul(F.div(F.mul(g, y), x), -0.5)));
/** `x * x`. */
export const square = unary('square', (c) => void c.emit('Mul', [c.inputs[0]!, c.inputs[0]!], {}, c.outputs), (x) => x * x, NUMERIC, unaryGrad((F, x, g) => F.mul(g, F.mul(x, 2))));
/** `1 / x`. */
export const reciprocal = unary('reciprocal', one('Reciprocal'), (x) => 1 / x, FLOATS, unaryGrad((F, _x, g, y) => F.neg(F.mul(g, F.square(y)))));
/** Sine. */
export const sin = unary('sin', one('Sin'), Math.sin, FLOATS, unaryGrad((F, x, g) => F.mul(g, F.cos(x))));
/** Cosine. */
export const cos = unary('cos', one('Cos'), Math.cos, FLOATS, unaryGrad((F, x, g) => F.neg(F.mul(g, F.sin(x)))));
/** Inverse sine (MXNet `arcsin`), defined on [-1, 1]; float16/float64 run through float32 (onnxruntime's Asin/Acos/Atan are float32 only). */
export const arcsin = unary('arcsin', (c) => viaFloat32(c, 'Asin'), Math.asin, FLOATS, unaryGrad((F, x, g) => F.mul(g, F.rsqrt(F.sub(1, F.square(x))))));
/** Inverse cosine (MXNet `arccos`), defined on [-1, 1]. */
export const arccos = unary('arccos', (c) => viaFloat32(c, 'Acos'), Math.acos, FLOATS, unaryGrad((F, x, g) => F.neg(F.mul(g, F.rsqrt(F.sub(1, F.square(x)))))));
/** Inverse tangent (MXNet `arctan`). */
export const arctan = unary('arctan', (c) => viaFloat32(c, 'Atan'), Math.atan, FLOATS, unaryGrad((F, x, g) => F.div(g, F.add(F.square(x), 1))));
/** Hyperbolic tangent. */
export const tanh = unary('tanh', one('Tanh'), Math.tanh, FLOATS, unaryGrad((F, _x, g, y) => F.mul(g, F.sub(1, F.square(y)))));
/** `1 / (1 + e^-x)`; floats only (truncated to an integer it would be 0 below x = 17 and 1 above, float32 rounding deciding). */
export const sigmoid = unary('sigmoid', one('Sigmoid'), (x) => 1 / (1 + Math.exp(-x)), FLOAT_ONLY, unaryGrad((F, _x, g, y) => F.mul(g, F.mul(y, F.sub(1, y)))));
/** `max(x, 0)` (gradient 0 at 0, as in MXNet); NaN stays NaN (MXNet's `mshadow_op::relu`, ONNX Relu). */
export const relu = unary('relu', (c) => reluLower(c, undefined), (x) => (x > 0 || Number.isNaN(x) ? x : 0), SIGNED, unaryGrad((F, x, g) => F.mul(g, F.greater(x, 0))));
const reluLower = computeIn<undefined>(SMALL_VIA, (c) => {
  // Integers: Max(x, 0) (ONNX Relu takes them from opset 14 only, and onnxruntime has no int64 Relu).
  const d = c.inTypes[0]!.dtype;
  if (isFloat(d)) return void c.emit('Relu', c.inputs, {}, c.outputs);
  c.emit('Max', [c.inputs[0]!, c.scalar(0, d)], {}, c.outputs);
});
/** `log(1 + e^x)` (softplus). */
export const softrelu = unary('softrelu', (c) => viaFloat32(c, 'Softplus'), (x) => (x > 30 ? x : Math.log1p(Math.exp(x))), FLOATS, unaryGrad((F, x, g) => F.mul(g, F.sigmoid(x))));
/** The error function. */
export const erf = unary('erf', (c) => (c.inTypes[0]!.dtype === 'float64' ? void c.emit('Identity', [erfFloat64(c, c.inputs[0]!)], {}, c.outputs) : viaFloat32(c, 'Erf')), erfFn, FLOATS, unaryGrad((F, x, g) => F.mul(g, F.mul(F.exp(F.neg(F.square(x))), 2 / Math.sqrt(Math.PI)))));
/** Gaussian error linear unit (exact, erf-based). */
export const gelu = unary('gelu', (c) => {
  const d = c.inTypes[0]!.dtype;
  if (c.opset >= 20 && d !== 'float64') return viaFloat32(c, 'Gelu');
  const [s] = c.emit('Div', [c.inputs[0]!, c.scalar(Math.SQRT2, d)]);
  // onnxruntime's Erf (and Gelu) are float32 only: float64 builds erf from float64 operators, float16 goes through float32.
  const [e] = d === 'float32' ? c.emit('Erf', [s!]) : d === 'float64' ? [erfFloat64(c, s!)] : c.emit('Cast', [c.emit('Erf', [c.emit('Cast', [s!], { to: onnxTo('float32') })[0]!])[0]!], { to: onnxTo(d) });
  const [p] = c.emit('Add', [e!, c.scalar(1, d)]);
  const [h] = c.emit('Mul', [c.inputs[0]!, p!]);
  c.emit('Mul', [h!, c.scalar(0.5, d)], {}, c.outputs);
}, (x) => 0.5 * x * (1 + erfFn(x / Math.SQRT2)), FLOAT_ONLY, unaryGrad((F, x, g) => {
  // Φ(x) + x·φ(x), with Φ the standard normal CDF and φ its density.
  const cdf = F.add(F.mul(F.erf(F.mul(x, Math.SQRT1_2)), 0.5), 0.5);
  const pdf = F.mul(F.exp(F.mul(F.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return F.mul(g, F.add(cdf, F.mul(x, pdf)));
}), 'ONNX Gelu from 20 (float64: x·(1 + erf(x/√2))/2 with erfFloat64); below, x·(1 + erf(x/√2))/2');
/** Largest integer not above x. */
export const floor = unary('floor', one('Floor'), Math.floor, FLOATS, zeroGrad);
/** Smallest integer not below x. */
export const ceil = unary('ceil', one('Ceil'), Math.ceil, FLOATS, zeroGrad);

type ClipSig = Method<(data: Tx, aMin: number | null, aMax?: number | null) => Tx>;
/** The bounds once normalized: numbers, or (an integer array's one-sided clip) one null. */
type ClipAttrs = Attrs & { aMin: number | null; aMax: number | null };

/**
 * Clips to `[aMin, aMax]`. The gradient passes where `aMin <= x <= aMax`
 * (bounds included, as in MXNet) and is 0 outside. One bound may be null
 * (numpy's None): none on that side, the dtype kept (`np.clip(intArr, null, 3)`
 * stays an integer array, as numpy's). Example: `F.clip(x, 0, 1)`.
 */
export const clip: OpDef<ClipSig, ClipAttrs> = defineOp<ClipSig, ClipAttrs>({
  name: 'clip',
  inputs: ['data'],
  attrs: { aMin: null, aMax: null },
  positional: ['aMin', 'aMax'],
  method: true,
  // numpy's and MXNet 2's one-sided clip (`x.clip(0)`, `np.clip(x, null, 1)`): an absent bound of a float array is
  // infinite; an integer array's stays null (no bound: ONNX Clip's input left out), as no number of it is infinite.
  // An integer array's bound beyond its dtype's end is none on that side (never wrapped into the dtype); both: its least (no-op).
  normalize: (a, types) => {
    const [lo, hi] = [a.aMin ?? null, a.aMax ?? null];
    const r = types[0] ? intLimits(types[0].dtype) : undefined;
    if (r && (lo !== null || hi !== null)) {
      const [l, h] = [typeof lo === 'number' && lo <= r[0] ? null : lo, typeof hi === 'number' && hi >= r[1] ? null : hi];
      return { ...a, aMin: l === null && h === null ? r[0] : l, aMax: h };
    }
    if ((lo === null) === (hi === null) || !types[0] || !isFloat(types[0].dtype)) return { ...a, aMin: lo, aMax: hi };
    return { ...a, aMin: lo ?? -Infinity, aMax: hi ?? Infinity };
  },
  infer: (types, a) => {
    const bound = (v: unknown) => v === null || typeof v === 'number';
    if (a.aMin === null && a.aMax === null) throw new OpError('clip', 'needs aMin or aMax (one may be null, as numpy\'s None)', types);
    if (!bound(a.aMin) || !bound(a.aMax)) {
      throw new OpError('clip', `needs numbers aMin and aMax (one may be null), got ${JSON.stringify(a.aMin)} and ${JSON.stringify(a.aMax)}`, types);
    }
    if (a.aMin !== null && a.aMax !== null && a.aMin > a.aMax) throw new OpError('clip', `aMin ${a.aMin} is greater than aMax ${a.aMax}`, types);
    const r = intLimits(types[0]!.dtype);
    const past = r && [a.aMin, a.aMax].find((v) => v !== null && (v < r[0] || v > r[1]));
    if (r && past !== undefined) throw new OpError('clip', `bound ${past} is outside ${types[0]!.dtype}'s range [${r[0]}, ${r[1]}]: every element would become it, which ${types[0]!.dtype} cannot hold (numpy refuses it too)`, types);
    return [{ dtype: commonDType('clip', types, NUMERIC), shape: [...types[0]!.shape] }];
  },
  lower: computeIn<ClipAttrs>(SMALL_VIA, (c, a) => {
    const d = c.inTypes[0]!.dtype;
    const b = (v: number | null) => (v === null ? '' : c.scalar(v, d));
    c.emit('Clip', [c.inputs[0]!, b(a.aMin), b(a.aMax)], {}, c.outputs);
  }),
  kernel: (ins, a, [out]) => {
    const [lo, hi] = [a.aMin ?? -Infinity, a.aMax ?? Infinity];
    return [mapN(ins, out!, (x) => (Number.isNaN(x) ? x : Math.min(Math.max(x, lo), hi)))];
  },
  grad: floatGrad((F, { inputs: [x], attrs }, [g]) => {
    const a = attrs as ClipAttrs;
    return [F.mul(g!, F.mul(F.greaterEqual(x!, a.aMin ?? -Infinity), F.lesserEqual(x!, a.aMax ?? Infinity)))];
  }),
});

type WhereSig = (condition: Tx, x: Tx | number, y: Tx | number) => Tx;

/**
 * `x` where `condition` is non-zero, else `y`; all three broadcast. Gradient:
 * `g` masked by the condition for `x` (its complement for `y`), reduced to
 * their shapes; a float condition gets zeros (MXNet), an integer one null.
 * Example: `F.where(F.greater(x, 0), x, 0)`.
 */
export const where: OpDef<WhereSig> = defineOp<WhereSig>({
  name: 'where',
  inputs: ['condition', 'x', 'y'],
  // A number takes the other branch's dtype; two numbers are float32 (MXNet 2's where_scalar2), not the condition's.
  scalarLike: [1, 2],
  infer: (types) => {
    const dtype = commonDType('where', types.slice(1));
    return [{ dtype, shape: broadcastShapes('where', types.map((t) => t.shape), types) }];
  },
  solve: solveBroadcast,
  lower: (c) => {
    const cond = c.inTypes[0]!.dtype === 'bool' ? c.inputs[0]! : c.emit('Cast', [c.inputs[0]!], { to: onnxTo('bool') })[0]!;
    const d = c.outTypes[0]!.dtype;
    const via = d === 'bool' ? 'uint8' : d === 'uint8' ? null : INT_VIA[d];   // onnxruntime's Where lacks int8, int16, the unsigned but uint8, and bool
    if (!via) return void c.emit('Where', [cond, c.inputs[1]!, c.inputs[2]!], {}, c.outputs);
    const [x, y] = [c.inputs[1]!, c.inputs[2]!].map((v) => c.emit('Cast', [v], { to: onnxTo(via) })[0]!);
    c.emit('Cast', [c.emit('Where', [cond, x!, y!])[0]!], { to: onnxTo(d) }, c.outputs);
  },
  // A NaN condition is true (numpy, MXNet's `cond != 0`, ONNX Cast to bool).
  kernel: (ins, _a, [out]) => [mapN(ins, out!, (c, x, y) => (c !== 0 ? x : y))],
  grad: floatGrad((F, { inputs: [c, x, y], inTypes, outTypes }, [g]) => [
    F.zerosLike(c!),
    sumLike(F, F.where(c!, g!, 0), x!, inTypes[1]!, outTypes[0]!),
    sumLike(F, F.where(c!, 0, g!), y!, inTypes[2]!, outTypes[0]!),
  ]),
});


/** The element-wise operators, by F name (MXNet's `broadcast*` names included). */
export const ELEMENTWISE_OPS = {
  add, broadcastAdd: add, broadcastPlus: add,
  sub, broadcastSub: sub, broadcastMinus: sub,
  mul, broadcastMul: mul,
  div, broadcastDiv: div,
  pow, broadcastPower: pow, power: pow,
  maximum, broadcastMaximum: maximum,
  minimum, broadcastMinimum: minimum,
  equal, broadcastEqual: equal,
  notEqual, broadcastNotEqual: notEqual,
  greater, broadcastGreater: greater,
  greaterEqual, broadcastGreaterEqual: greaterEqual,
  lesser, broadcastLesser: lesser,
  lesserEqual, broadcastLesserEqual: lesserEqual,
  neg, negative: neg, abs, sign, exp, log, log1p, expm1, sqrt, rsqrt, square, reciprocal, sin, cos, arcsin, arccos, arctan, tanh, sigmoid, relu, softrelu, erf, gelu, floor, ceil,
  clip, where,
} as const;
