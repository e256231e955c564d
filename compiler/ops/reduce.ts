/**
 * Reductions: sum, mean, max, min, prod, the index reductions argmax/argmin
 * and the vector norm, with MXNet's options (`axis` as an int, a list or
 * null for all axes; `keepdims`; `exclude` to reduce every axis NOT listed).
 * Invariants: a reduction over every axis without `keepdims` has shape []
 * (numpy and MXNet 2; MXNet 1.x gives [1]); an empty `axis` list means all
 * axes, as in MXNet. Kernels accumulate in float64 and store in the output
 * dtype. Lowerings depend only on the input's rank (axes come from the
 * attributes), so eager sessions are shared across shapes.
 */
import type { DType } from '../../runtime/dtypes.js';
import { onnxDType as onnxTo } from '../../runtime/dtypes.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { sizeOf, stridesOf } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Shape, TensorType } from '../ir/types.js';
import { defineOp, type GradRule, type LowerCtx, type Method, type OpDef, type Tx } from './define.js';
import { normAxis, reduceAxes } from './dims.js';
import { OpError } from './errors.js';
import { commonDType, computeIn, floatGrad } from './elementwise.js';
import { broadcastIndex, fromF64, toF64 } from './kernels.js';
import { emitIntMean, emitMean, emitReduce, emitReduceNaN, emitReduceVia, emitSumInt64, emitProdInt64 } from './reduce-lower.js';
import type { GradOps, GradTensor } from './grad-ops.js';

/** An `axis` option: one axis, several, or null for all. */
export type Axis = number | number[] | null;

/** Options of sum, mean, max, min and prod. */
export interface ReduceOptions {
  axis?: Axis;
  keepdims?: boolean;
  exclude?: boolean;
}

/** Options of argmax and argmin. */
export interface ArgReduceOptions {
  axis?: number | null;
  keepdims?: boolean;
  /** The indices' dtype: 'float32' (MXNet's nd, the default) or 'int64' (numpy's; exact past 2^24 elements). */
  dtype?: 'float32' | 'int64';
}

/** Options of norm. */
export interface NormOptions {
  ord?: 1 | 2;
  axis?: Axis;
  keepdims?: boolean;
}

type ReduceSig = Method<(data: Tx, axis?: Axis | ReduceOptions, keepdims?: boolean | ReduceOptions, options?: ReduceOptions) => Tx>;
type ArgReduceSig = Method<(data: Tx, axis?: number | null | ArgReduceOptions, keepdims?: boolean | ArgReduceOptions, options?: ArgReduceOptions) => Tx>;
type NormSig = Method<(data: Tx, ord?: 1 | 2 | NormOptions, axis?: Axis | NormOptions, keepdims?: boolean | NormOptions) => Tx>;

type ReduceAttrs = Attrs & { axis: Axis; keepdims: boolean; exclude: boolean };
type ArgAttrs = Attrs & { axis: number | null; keepdims: boolean; dtype: 'float32' | 'int64' };
type NormAttrs = Attrs & { ord: number; axis: Axis; keepdims: boolean };

const FLOATS: DType[] = ['float32', 'float64', 'float16'];
/** prod's dtypes; the result keeps the input's (MXNet's ElemwiseType, MXNet 2's NumpySumType), int8/uint8 wrapping; bool counts in int64. */
const PROD_DTYPES: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8', 'bool'];
/** sum's dtypes: prod's and the 16- to 64-bit integers (summed in int64, wrapping to the dtype as numpy's `sum(dtype=)`). */
const SUM_DTYPES: DType[] = [...PROD_DTYPES, 'int16', 'uint16', 'uint32', 'uint64'];
const int64IfBool = (d: DType): DType => (d === 'bool' ? 'int64' : d);
/** The integer dtypes (mean's truncating integer division). */
const INTEGERS: DType[] = ['int32', 'int64', 'int8', 'uint8'];
/** argmax and argmin's dtypes (bool through uint8: onnxruntime has no bool kernels). */
const ORDERED: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8', 'bool'];
/** max and min's dtypes: int16, uint16 and uint32 too (not uint64: no dtype onnxruntime reduces holds its order exactly). */
const MAX_DTYPES: DType[] = [...ORDERED, 'int16', 'uint16', 'uint32'];
/**
 * Where onnxruntime's ReduceMax/ReduceMin lack the dtype: the 16-bit integers in int32, uint32 in float64 (exact;
 * not int64, whose ReduceMax in onnxruntime 1.30 misorders values in [2^31, 2^32): max([0, 1, 2, 2^31]) is 2), others in float32.
 */
const REDUCE_VIA: Partial<Record<DType, DType>> = { int16: 'int32', uint16: 'int32', uint32: 'float64' };

/** Checks the form of an `axis` option (an int, an int list or null). */
function checkAxisForm(op: string, axis: unknown, types: TensorType[]): Axis {
  if (axis === null || axis === undefined) return null;
  if (typeof axis === 'number' && Number.isInteger(axis)) return axis;
  if (Array.isArray(axis) && axis.every((a) => typeof a === 'number' && Number.isInteger(a))) return axis.length ? (axis as number[]) : null;
  throw new OpError(op, `option 'axis' must be an integer, a list of integers or null, got ${JSON.stringify(axis)}`, types);
}

function checkBool(op: string, name: string, v: unknown, types: TensorType[]): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  throw new OpError(op, `option '${name}' must be a boolean, got ${JSON.stringify(v)}`, types);
}

/** The axes reduced by a call (sorted, unique, non-negative). */
function axesOf(op: string, a: { axis: unknown; exclude?: unknown }, rank: number, types?: TensorType[]): number[] {
  return reduceAxes(op, checkAxisForm(op, a.axis, types ?? []), rank, !!a.exclude, types);
}

/** The shape left after reducing `axes` of `shape`. */
function reducedShape(shape: Shape, axes: number[], keepdims: boolean): Shape {
  const out: Shape = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** `v` wrapped to an integer dtype (a sum kept in int32, int8 or uint8 wraps, as MXNet's does). */
function wrapInt(v: number, d: DType): number {
  if (d === 'int32') return v | 0;
  if (d === 'int8') return (v << 24) >> 24;
  return d === 'uint8' ? v & 255 : v;
}

/** Folds every input element into its output slot: `acc = step(acc, v)`, then `finish(acc, count)`. */
function reduceKernel(
  x: HostTensor,
  axes: number[],
  out: TensorType,
  init: number,
  step: (acc: number, v: number) => number,
  finish?: (acc: number, n: number) => number,
): HostTensor {
  const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const idx = broadcastIndex(keep, x.shape);
  const vals = toF64(x);
  const acc = new Float64Array(sizeOf(keep)).fill(init);
  for (let i = 0; i < vals.length; i++) acc[idx[i]!] = step(acc[idx[i]!]!, vals[i]!);
  if (finish) {
    const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
    for (let i = 0; i < acc.length; i++) acc[i] = finish(acc[i]!, n);
  }
  return fromF64(out, acc);
}

/** `t` (shaped like a reduction's output) with the reduced `axes` put back as 1s, unless kept already. */
function keepAxes(F: GradOps, t: GradTensor, axes: number[], keepdims: boolean): GradTensor {
  if (keepdims) return t;
  for (const a of axes) t = F.expandDims(t, a);
  return t;
}

/** What a reduction's gradient is computed from. */
interface ReduceGradArgs {
  x: GradTensor;
  /** The output gradient with the reduced axes kept as 1s (broadcasts against x). */
  gk: GradTensor;
  /** The output with the reduced axes kept as 1s. */
  yk: () => GradTensor;
  /** The reduced axes (non-empty). */
  axes: number[];
  shape: TensorType['shape'];
}

/**
 * A reduction's gradient rule. Reducing no axis (a 0-d input, or `exclude`
 * of every axis) is the identity, so the gradient passes unchanged.
 */
function reduceGrad(name: string, d: (F: GradOps, r: ReduceGradArgs) => GradTensor): GradRule {
  return floatGrad((F, { inputs: [x], outputs: [y], attrs, inTypes }, [g]) => {
    const shape = inTypes[0]!.shape;
    const axes = axesOf(name, attrs as { axis: unknown; exclude?: unknown }, shape.length);
    if (!axes.length) return [g!];
    const kd = !!attrs.keepdims;
    return [d(F, { x: x!, gk: keepAxes(F, g!, axes, kd), yk: () => keepAxes(F, y!, axes, kd), axes, shape })];
  });
}

/**
 * The rule of max (`min`): the gradient goes to the positions equal to the
 * result, split equally between ties (as TensorFlow and JAX do; MXNet gives
 * every tied position the whole gradient).
 */
const pickGrad = (name: string) => reduceGrad(name, (F, { x, gk, yk, axes }) => {
  const mask = F.equal(x, yk());
  return F.mul(mask, F.div(gk, F.sum(mask, { axis: axes, keepdims: true })));
});

interface ReduceSpec {
  onnxOp: string;
  /** dtypes accepted by the operator. */
  dtypes: DType[];
  /** dtypes lowered directly; the others (float16, for accuracy) accumulate in float32. */
  native: DType[];
  init: number;
  step: (acc: number, v: number) => number;
  finish?: (acc: number, n: number) => number;
  grad: GradRule;
  /** max/min: a NaN in a slice makes its result NaN (onnxruntime's ReduceMax/ReduceMin skip NaN); an empty axis is refused (no identity). */
  propagateNaN?: boolean;
  /** The kernel's step for int32, int8 and uint8 (wrapping exactly where float64 would lose low bits). */
  int32Step?: (acc: number, v: number) => number;
  /** The result's dtype from the input's (default: the same). */
  outDType?: (d: DType) => DType;
  /** The kernel's `finish` for integer dtypes (mean's truncating division of the wrapped sum). */
  intFinish?: (acc: number, n: number, dtype: DType) => number;
  /** Integer dtypes refuse an empty reduced axis (mean: 0 / 0 has no integer value). */
  intEmpty?: boolean;
  /** The lowering, when not `onnxOp` on the reduced axes (mean's NaN over an empty axis). */
  lower?: (c: LowerCtx, axes: number[], keepdims: boolean) => void;
}

const maxStep = (a: number, v: number) => (Number.isNaN(a) || Number.isNaN(v) ? NaN : v > a ? v : a);
const minStep = (a: number, v: number) => (Number.isNaN(a) || Number.isNaN(v) ? NaN : v < a ? v : a);

function reduction(name: string, s: ReduceSpec): OpDef<ReduceSig, ReduceAttrs> {
  return defineOp<ReduceSig, ReduceAttrs>({
    name,
    inputs: ['data'],
    attrs: { axis: null, keepdims: false, exclude: false },
    positional: ['axis', 'keepdims', 'exclude'],
    method: true,
    infer: (types, a) => {
      const dtype = (s.outDType ?? ((d: DType) => d))(commonDType(name, types, s.dtypes));
      const keepdims = checkBool(name, 'keepdims', a.keepdims, types);
      checkBool(name, 'exclude', a.exclude, types);
      const x = types[0]!;
      const axes = axesOf(name, a, x.shape.length, types);
      const empty = s.propagateNaN || (s.intEmpty && INTEGERS.includes(x.dtype)) ? axes.find((k) => x.shape[k] === 0) : undefined;
      if (empty !== undefined) {
        const why = s.propagateNaN ? `no ${name}imum (numpy raises; there is no identity)` : `no ${name} of ${x.dtype} values (integer 0 / 0; cast to a float dtype for NaN)`;
        throw new OpError(name, `${a.axis === null ? 'the tensor is' : `axis ${empty} is`} empty: ${why}`, types);
      }
      return [{ dtype, shape: reducedShape(x.shape, axes, keepdims) }];
    },
    lower: (c, a) => {
      const axes = axesOf(name, a, c.inTypes[0]!.shape.length);
      if (s.lower) s.lower(c, axes, !!a.keepdims);
      else if (s.propagateNaN && c.inTypes[0]!.dtype.startsWith('float')) emitReduceNaN(c, s.onnxOp, axes, !!a.keepdims, s.native);
      else emitReduceVia(c, s.onnxOp, axes, !!a.keepdims, s.native, REDUCE_VIA[c.inTypes[0]!.dtype] ?? 'float32');
    },
    kernel: ([x], a, [out]) => {
      const d = x!.dtype;
      const finish = s.intFinish && INTEGERS.includes(d) ? (acc: number, n: number) => s.intFinish!(acc, n, d) : s.finish;
      return [reduceKernel(x!, axesOf(name, a, x!.shape.length), out!, s.init, (/^u?int(32|8)$/.test(d) && s.int32Step) || s.step, finish)];
    },
    grad: s.grad,
  });
}

const sumLower = (c: LowerCtx, axes: number[], keepdims: boolean): void => uint64AsInt64(c, [axes, keepdims]);
// uint64 sums as int64's (the same bits: the sum modulo 2^64 is the same).
const uint64AsInt64 = computeIn<[number[], boolean]>({ uint64: 'int64' }, (c, [axes, keepdims]) => sumLowerSigned(c, axes, keepdims));

function sumLowerSigned(c: LowerCtx, axes: number[], keepdims: boolean): void {
  const d = c.inTypes[0]!.dtype;
  if (d === 'int64' && axes.length) emitSumInt64(c, axes, keepdims);
  // int8/uint8 (no onnxruntime kernel) sum in int64; the Cast back wraps modulo 2^8, as MXNet's int8 sum does.
  else emitReduceVia(c, 'ReduceSum', axes, keepdims, ['float32', 'float64', 'int32', 'int64'], d === 'float16' ? 'float32' : 'int64');
}

function prodLower(c: LowerCtx, axes: number[], keepdims: boolean): void {
  const t = c.inTypes[0]!;
  if (t.dtype === 'int64' && axes.length) emitProdInt64(c, axes, keepdims);
  else if (['int32', 'int8', 'uint8'].includes(t.dtype) && axes.length) {
    // onnxruntime's int32 ReduceProd saturates (and int8 has none): the exact int64 product, wrapped by the Cast (numpy's).
    const i64 = c.emit('Cast', [c.inputs[0]!], { to: onnxTo('int64') })[0]!;
    const y = c.fresh();
    emitProdInt64({ ...c, inputs: [i64], inTypes: [{ ...t, dtype: 'int64' }], outTypes: [{ ...c.outTypes[0]!, dtype: 'int64' }], outputs: [y] }, axes, keepdims);
    c.emit('Cast', [y], { to: onnxTo(t.dtype) }, c.outputs);
  } else emitReduceVia(c, 'ReduceProd', axes, keepdims, ['float32', 'float64', 'int32', 'int64'], 'float32');
}

/** The lowering context with the input's NaNs replaced by `fill` (nansum's 0, nanprod's 1); other dtypes have none. */
function withoutNaN(c: LowerCtx, fill: number): LowerCtx {
  const d = c.inTypes[0]!.dtype;
  if (!d.startsWith('float')) return c;
  const x = c.inputs[0]!;
  return { ...c, inputs: [c.emit('Where', [c.emit('IsNaN', [x])[0]!, c.scalar(fill, d), x])[0]!] };
}

/**
 * The product of the other elements, exact with zeros (not y / x): with no
 * zero in a slice it is p / x; with one zero, p (the product of the non-zero
 * elements) at the zero and 0 elsewhere; with more, 0.
 */
function prodGrad(F: GradOps, x: GradTensor, gk: GradTensor, axes: number[]): GradTensor {
  const isZero = F.equal(x, 0);
  const nonZero = F.add(x, isZero);
  const pg = F.mul(F.prod(nonZero, { axis: axes, keepdims: true }), gk);
  const zeros = F.sum(isZero, { axis: axes, keepdims: true });
  return F.where(isZero, F.mul(F.equal(zeros, 1), pg), F.div(F.mul(F.equal(zeros, 0), pg), nonZero));
}

/**
 * Sum over `axis` (all axes when null); exact in int64. A full reduction has shape [] (MXNet 1.x: [1]).
 * Example: `x.sum({ axis: 1, keepdims: true })`.
 */
export const sum = reduction('sum', {
  onnxOp: 'ReduceSum', dtypes: SUM_DTYPES, native: ['float32', 'float64', 'int32', 'int64'], outDType: int64IfBool,
  lower: sumLower,
  init: 0, step: (a, v) => a + v,
  grad: reduceGrad('sum', (F, { x, gk }) => F.broadcastLike(gk, x)),
});
/**
 * Mean over `axis`. A full reduction has shape [] (MXNet 1.x: [1]);
 * over an empty axis it is NaN, as numpy's (0 / 0), eagerly and compiled.
 * An integer array keeps its dtype, as MXNet 1.x's `nd.mean` does: the sum
 * (in the dtype) divided by the count with C++ integer division, which
 * truncates toward zero (broadcast_reduce_op.h, ReduceAxesComputeImpl:
 * `out /= scalar<DType>(n)`), so the mean of [-1, -2] is -1; an empty axis
 * is refused (integer 0 / 0). `np.mean` averages integers in float32.
 * Example: `x.sub(x.mean())`.
 */
export const mean = reduction('mean', {
  onnxOp: 'ReduceMean', dtypes: [...FLOATS, ...INTEGERS], native: ['float32', 'float64'],
  lower: (c, axes, keepdims) => (INTEGERS.includes(c.inTypes[0]!.dtype) ? emitIntMean(c, axes, keepdims) : emitMean(c, axes, keepdims, ['float32', 'float64'])),
  init: 0, step: (a, v) => a + v, finish: (a, n) => a / n,
  intFinish: (a, n, d) => Math.trunc(wrapInt(a, d) / n),
  intEmpty: true,
  grad: reduceGrad('mean', (F, { x, gk, axes, shape }) => {
    const dims = axes.map((k) => shape[k]!);
    // The count: a number when the reduced dimensions are known, else counted (symbolic dimensions).
    const n = dims.every((d) => typeof d === 'number')
      ? (dims as number[]).reduce((p, d) => p * d, 1)
      : F.sum(F.onesLike(x), { axis: axes, keepdims: true });
    return F.broadcastLike(F.div(gk, n), x);
  }),
});
/**
 * Maximum over `axis`. A full reduction has shape [] (MXNet 1.x: [1]).
 * Example: `F.broadcastDiv(x, F.max(x))`.
 */
export const max = reduction('max', {
  onnxOp: 'ReduceMax', dtypes: MAX_DTYPES,
  native: ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8'],
  init: -Infinity, step: maxStep,
  grad: pickGrad('max'),
  propagateNaN: true,
});
/**
 * Minimum over `axis`. A full reduction has shape [] (MXNet 1.x: [1]).
 * Example: `F.broadcastSub(x, F.min(x))`.
 */
export const min = reduction('min', {
  onnxOp: 'ReduceMin', dtypes: MAX_DTYPES,
  native: ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8'],
  init: Infinity, step: minStep,
  grad: pickGrad('min'),
  propagateNaN: true,
});
/**
 * Product over `axis`; exact in int64 (wrapping past 2^63 as numpy). A full reduction has shape [] (MXNet 1.x: [1]).
 * Example: `x.prod(0)`.
 */
export const prod = reduction('prod', {
  onnxOp: 'ReduceProd', dtypes: PROD_DTYPES, native: ['float32', 'float64', 'int32', 'int64'], outDType: int64IfBool,
  lower: prodLower,
  init: 1, step: (a, v) => a * v, int32Step: Math.imul,
  grad: reduceGrad('prod', (F, { x, gk, axes }) => prodGrad(F, x, gk, axes)),
});
/**
 * Sum over `axis` treating NaN as 0 (MXNet's `nansum`, numpy's); other
 * dtypes as `sum`. The gradient is 0 at the NaNs (MXNet's nansum_grad).
 * Example: `F.nansum(x, { axis: 1 })`.
 */
export const nansum = reduction('nansum', {
  onnxOp: 'ReduceSum', dtypes: SUM_DTYPES, native: ['float32', 'float64', 'int32', 'int64'], outDType: int64IfBool,
  lower: (c, axes, keepdims) => sumLower(withoutNaN(c, 0), axes, keepdims),
  init: 0, step: (a, v) => (Number.isNaN(v) ? a : a + v),
  grad: reduceGrad('nansum', (F, { x, gk }) => F.mul(F.broadcastLike(gk, x), F.equal(x, x))),
});
/**
 * Product over `axis` treating NaN as 1 (MXNet's `nanprod`, numpy's); other
 * dtypes as `prod`. The gradient is 0 at the NaNs (MXNet's nanprod_grad).
 * Example: `F.nanprod(x, { axis: 1 })`.
 */
export const nanprod = reduction('nanprod', {
  onnxOp: 'ReduceProd', dtypes: PROD_DTYPES, native: ['float32', 'float64', 'int32', 'int64'], outDType: int64IfBool,
  lower: (c, axes, keepdims) => prodLower(withoutNaN(c, 1), axes, keepdims),
  init: 1, step: (a, v) => (Number.isNaN(v) ? a : a * v), int32Step: Math.imul,
  grad: reduceGrad('nanprod', (F, { x, gk, axes }) => {
    const kept = F.equal(x, x); // 1 where x is not NaN
    return F.mul(prodGrad(F, F.where(kept, x, F.onesLike(x)), gk, axes), kept);
  }),
});

function argReduction(name: string, onnxOp: string, better: (v: number, best: number) => boolean): OpDef<ArgReduceSig, ArgAttrs> {
  return defineOp<ArgReduceSig, ArgAttrs>({
    name,
    inputs: ['data'],
    attrs: { axis: null, keepdims: false, dtype: 'float32' },
    positional: ['axis', 'keepdims'],
    method: true,
    infer: (types, a) => {
      commonDType(name, types, ORDERED);
      const keepdims = checkBool(name, 'keepdims', a.keepdims, types);
      const dtype = a.dtype;
      if (dtype !== 'float32' && dtype !== 'int64') throw new OpError(name, `option 'dtype' must be 'float32' or 'int64', got ${JSON.stringify(dtype)}`, types);
      const x = types[0]!;
      if (a.axis === null || a.axis === undefined) {
        if (x.shape.includes(0)) throw new OpError(name, 'the tensor is empty: no index to return', types);
        return [{ dtype, shape: keepdims ? x.shape.map(() => 1) : [] }];
      }
      if (typeof a.axis !== 'number') {
        throw new OpError(name, `option 'axis' must be one integer or null, got ${JSON.stringify(a.axis)}`, types);
      }
      if (x.shape.length === 0) throw new OpError(name, `axis ${a.axis} is out of range for rank 0`, types);
      const axis = normAxis(name, a.axis, x.shape.length, types);
      if (x.shape[axis] === 0) throw new OpError(name, `axis ${a.axis} is empty: no index to return`, types);
      return [{ dtype, shape: reducedShape(x.shape, [axis], keepdims) }];
    },
    lower: (c, a) => {
      const t = c.inTypes[0]!;
      const rank = t.shape.length;
      const x = t.dtype === 'bool' ? c.emit('Cast', [c.inputs[0]!], { to: onnxTo('uint8') })[0]! : c.inputs[0]!;
      // ONNX's ArgMax/ArgMin give int64: cast only for MXNet's float32 indices.
      const to = onnxTo(a.dtype);
      if (a.axis === null || a.axis === undefined) {
        const [flat] = c.emit('Reshape', [x, c.ints([-1])]);
        const i = emitArg(c, onnxOp, flat!, 0, false, t.dtype);
        if (!a.keepdims || rank === 0) return void c.emit('Cast', [i!], { to }, c.outputs);
        const [f] = c.emit('Cast', [i!], { to });
        return void c.emit('Reshape', [f!, c.ints(Array(rank).fill(1))], {}, c.outputs);
      }
      const i = emitArg(c, onnxOp, x, normAxis(name, a.axis, rank), !!a.keepdims, t.dtype);
      c.emit('Cast', [i!], { to }, c.outputs);
    },
    // Piecewise constant: zeros, as in MXNet.
    grad: floatGrad((F, { inputs: [x] }) => [F.zerosLike(x!)]),
    kernel: ([x], a, [out]) => {
      const vals = toF64(x!);
      const shape = x!.shape;
      const all = a.axis === null || a.axis === undefined;
      const axis = all ? 0 : normAxis(name, a.axis!, shape.length);
      // Flattened: one slot, positions are flat indices; else the position along `axis`.
      const keep = all ? shape.map(() => 1) : shape.map((d, i) => (i === axis ? 1 : d));
      const idx = broadcastIndex(keep, shape);
      const stride = all ? 1 : stridesOf(shape)[axis]!;
      const len = all ? vals.length : shape[axis]!;
      const n = sizeOf(keep);
      const best = new Float64Array(n).fill(NaN);
      const pos = new Float64Array(n).fill(-1);
      for (let i = 0; i < vals.length; i++) {
        const o = idx[i]!;
        const v = vals[i]!;
        // The first NaN wins (numpy); otherwise the first strictly better value.
        if (pos[o] === -1 || (!Number.isNaN(best[o]!) && (Number.isNaN(v) || better(v, best[o]!)))) {
          best[o] = v;
          pos[o] = Math.floor(i / stride) % len;
        }
      }
      return [fromF64(out!, pos)];
    },
  });
}

/**
 * ArgMax/ArgMin of `x` along `axis` (int64 indices) where, for floats, the
 * first NaN of a slice wins as in numpy (onnxruntime's ArgMax skips NaN):
 * `Where(any NaN, ArgMax(IsNaN(x)), ArgMax(x))`.
 */
function emitArg(c: LowerCtx, onnxOp: string, x: string, axis: number, keepdims: boolean, dtype: DType): string {
  const [i] = c.emit(onnxOp, [x], { axis, keepdims: keepdims ? 1 : 0 });
  if (!dtype.startsWith('float')) return i!;
  const [nan] = c.emit('Cast', [c.emit('IsNaN', [x])[0]!], { to: onnxTo('float32') });
  const [first] = c.emit('ArgMax', [nan!], { axis, keepdims: keepdims ? 1 : 0 });
  const any = emitReduce(c, 'ReduceMax', nan!, [axis], keepdims);
  const [anyB] = c.emit('Cast', [any], { to: onnxTo('bool') });
  return c.emit('Where', [anyB!, first!, i!])[0]!;
}

/**
 * Index of the maximum along `axis` (over the flattened tensor when null),
 * as float32 like MXNet's (`dtype: 'int64'` for numpy's exact indices);
 * ties give the first index.
 * Example: `F.argmax(scores, 1)`.
 */
export const argmax = argReduction('argmax', 'ArgMax', (v, b) => v > b);
/**
 * Index of the minimum along `axis` (over the flattened tensor when null),
 * as float32 like MXNet's (`dtype: 'int64'` for numpy's exact indices);
 * ties give the first index.
 * Example: `x.argmin({ axis: 0 })`.
 */
export const argmin = argReduction('argmin', 'ArgMin', (v, b) => v < b);

/**
 * The L2 (`ord: 2`, default) or L1 (`ord: 1`) norm over `axis` (all axes when
 * null, as a flattened vector); positional order as MXNet's (ord, axis,
 * keepdims). A full reduction has shape [] (MXNet 1.x: [1]).
 * Example: `x.norm({ axis: 1 })`.
 */
export const norm: OpDef<NormSig, NormAttrs> = defineOp<NormSig, NormAttrs>({
  name: 'norm',
  inputs: ['data'],
  attrs: { ord: 2, axis: null, keepdims: false },
  positional: ['ord', 'axis', 'keepdims'],
  method: true,
  infer: (types, a) => {
    const dtype = commonDType('norm', types, FLOATS);
    if (a.ord !== 1 && a.ord !== 2) throw new OpError('norm', `option 'ord' must be 1 or 2, got ${JSON.stringify(a.ord)}`, types);
    const keepdims = checkBool('norm', 'keepdims', a.keepdims, types);
    const x = types[0]!;
    return [{ dtype, shape: reducedShape(x.shape, axesOf('norm', a, x.shape.length, types), keepdims) }];
  },
  lower: (c, a) => {
    const axes = axesOf('norm', a, c.inTypes[0]!.shape.length);
    if (axes.length) return void emitReduceVia(c, a.ord === 1 ? 'ReduceL1' : 'ReduceL2', axes, !!a.keepdims, ['float32', 'float64'], 'float32');
    // A 0-d input: its norm is |x|.
    c.emit('Abs', [c.inputs[0]!], {}, c.outputs);
  },
  kernel: ([x], a, [out]) => {
    const axes = axesOf('norm', a, x!.shape.length);
    return [a.ord === 1
      ? reduceKernel(x!, axes, out!, 0, (s, v) => s + Math.abs(v))
      : reduceKernel(x!, axes, out!, 0, (s, v) => s + v * v, (s) => Math.sqrt(s))];
  },
  // L1: g·sign(x). L2: g·x / y, taken as 0 where y = 0 (then x = 0 too).
  grad: floatGrad((F, { inputs: [x], outputs: [y], attrs, inTypes }, [g]) => {
    const a = attrs as NormAttrs;
    const axes = axesOf('norm', a, inTypes[0]!.shape.length);
    const gk = keepAxes(F, g!, axes, !!a.keepdims);
    if (a.ord === 1) return [F.mul(gk, F.sign(x!))];
    const yk = keepAxes(F, y!, axes, !!a.keepdims);
    return [F.mul(x!, F.div(gk, F.add(yk, F.equal(yk, 0))))];
  }),
});

/** The axes along which `like` was broadcast to `data`'s shape (leading ones first). */
export function broadcastAxes(op: string, data: Shape, like: Shape, types?: TensorType[]): { leading: number[]; kept: number[] } {
  const lead = data.length - like.length;
  if (lead < 0) throw new OpError(op, `cannot reduce shape [${data.join(', ')}] to the larger rank of [${like.join(', ')}]`, types);
  const leading = [...Array(lead).keys()];
  const kept: number[] = [];
  like.forEach((d, i) => {
    const e = data[lead + i]!;
    if (d === 1 && e !== 1) kept.push(lead + i);
    else if (d !== e && !(typeof d === 'string' || typeof e === 'string')) {
      throw new OpError(op, `shape [${like.join(', ')}] does not broadcast to [${data.join(', ')}]`, types);
    }
  });
  return { leading, kept };
}

/**
 * Sums `data` over the axes along which `like` was broadcast to it, giving
 * `like`'s shape: the reduction of a broadcast operand's gradient.
 * Example: `F.reduceSumLike(g, b)` for `b` of shape [3] and `g` of shape [2, 3].
 */
export const reduceSumLike: OpDef<(data: Tx, like: Tx) => Tx> = defineOp<(data: Tx, like: Tx) => Tx>({
  name: 'reduceSumLike',
  inputs: ['data', 'like'],
  lowerNeedsShape: true,
  infer: (types) => {
    const [d, l] = types as [TensorType, TensorType];
    const dtype = commonDType('reduceSumLike', [d], ['float32', 'float64', 'float16', 'int32', 'int64']);
    broadcastAxes('reduceSumLike', d.shape, l.shape, types);
    return [{ dtype, shape: [...l.shape] }];
  },
  lower: (c) => {
    const [d, l] = c.inTypes as [TensorType, TensorType];
    const { leading, kept } = broadcastAxes('reduceSumLike', d.shape, l.shape);
    let x = c.inputs[0]!;
    if (!leading.length && !kept.length) return void c.emit('Identity', [x], {}, c.outputs);
    if (leading.length) {
      x = c.emit('ReduceSum', [x, c.ints(leading)], { keepdims: 0 }, kept.length ? 1 : c.outputs)[0]!;
    }
    if (kept.length) c.emit('ReduceSum', [x, c.ints(kept.map((a) => a - leading.length))], { keepdims: 1 }, c.outputs);
  },
  kernel: ([d, l], _a, [out]) => {
    const o = fromF64(out!, new Float64Array(sizeOf(l!.shape)));
    const idx = broadcastIndex(l!.shape, d!.shape);
    const src = toF64(d!);
    const acc = new Float64Array(o.data.length);
    for (let i = 0; i < src.length; i++) acc[idx[i]!]! += src[i]!;
    return [fromF64(out!, acc)];
  },
  // numpy broadcasting takes g back to data's shape (ranks may differ, which broadcastLike does not allow).
  grad: (F, { inputs: [data] }, [g]) => [g ? F.add(F.zerosLike(data!), g) : null, null],
});

/** The reduction operators, by F name (MXNet's `sum_axis`, `max_axis`, `min_axis` included). */
export const REDUCE_OPS = {
  sum, sumAxis: sum,
  mean,
  max, maxAxis: max,
  min, minAxis: min,
  prod,
  nansum, nanprod,
  argmax, argmin,
  norm,
  reduceSumLike,
} as const;
