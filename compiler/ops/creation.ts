/**
 * Creation operators: `zeros`, `ones`, `full`, `arange`, and `shapeArray`
 * (the shape of a tensor as an int64 tensor), with numpy/MXNet semantics.
 *
 * Symbolic shapes: wherever these operators take dimensions (the shape of
 * zeros/ones/full, the bounds of arange), an entry may be a number or a 0-d
 * or 1-d integer tensor. Eagerly (and for constants) the tensor is read now.
 * While tracing, a tensor made by `F.shapeArray(x, ...)` stands for `x`'s
 * dimensions themselves: the operator takes `x` as an input and its type
 * keeps `x`'s symbolic names, so `F.ones([t, t])` with
 * `t = F.shapeArray(x, { axis: 1 })` has type `[T, T]` for `x: [N, T, C]` and
 * the compiled graph reads `T` from `x` when it runs. Any other integer tensor
 * is read when the graph runs (its dimensions are opaque names in types).
 * Invariant: the parsed dimension list holds only numbers and `DimEntry`
 * references to this node's inputs (see `parseCall` in call.ts).
 */
import { isDType, isFloat, onnxDType, type DType } from '../../runtime/dtypes.js';
import { tensorFromNumbers, writeElement, zerosTensor, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs, AttrValue } from '../ir/node.js';
import { isConcrete, type Dim, type Shape, type TensorType } from '../ir/types.js';
import type { DimEntry } from './call.js';
import { defineOp, type GradRule, type LowerCtx, type OpDef, type Tx } from './define.js';
import { normAxis } from './dims.js';
import { OpError } from './errors.js';

/** A dimension argument as users give it: numbers and integer tensors. */
type DimArg = number | Tx | (number | Tx)[];

/** Tensors made from shapes carry no gradient to the tensors whose shapes they read. */
const noGrad: GradRule = (_F, { inputs }) => inputs.map(() => null);

const INT_DTYPES = new Set(['int32', 'int64', 'int8', 'uint8']);

function checkOutDType(op: string, d: unknown, types: TensorType[]): DType {
  if (!isDType(d)) throw new OpError(op, `dtype ${JSON.stringify(d)} is not a dtype`, types);
  return d;
}

/** The entries of a parsed dimension argument (a single number is a list of one). */
function entriesOf(op: string, name: string, v: AttrValue, types: TensorType[]): DimEntry[] {
  if (v === null || v === undefined) throw new OpError(op, `needs '${name}'`, types);
  const list = Array.isArray(v) ? v : [v];
  return list.map((e) => {
    if (typeof e === 'number') {
      if (!Number.isInteger(e) || e < 0) throw new OpError(op, `${name} entries must be non-negative integers, got ${e}`, types);
      return e;
    }
    if (e && typeof e === 'object' && !Array.isArray(e) && typeof e['input'] === 'number') return e as unknown as DimEntry;
    throw new OpError(op, `${name} entries must be numbers or 0-d/1-d integer tensors, got ${JSON.stringify(e)}`, types);
  });
}

/** The dimensions a parsed entry stands for, from this node's input types. */
function entryDims(op: string, e: DimEntry, types: TensorType[]): Dim[] {
  if (typeof e === 'number') return [e];
  const t = types[e.input];
  if (!t) throw new OpError(op, `dimension entry refers to input ${e.input}, which is absent`, types);
  if ('tag' in e) {
    if (!INT_DTYPES.has(t.dtype) || t.shape.length > 1 || !isConcrete(t.shape)) {
      throw new OpError(op, `a tensor of dimensions must be a 0-d or 1-d integer tensor of known length, got ${t.dtype}[${t.shape.join(', ')}]`, types);
    }
    if (t.shape.length === 0) return [`(v${e.tag})`];
    return Array.from({ length: t.shape[0] as number }, (_x, i) => `(v${e.tag}[${i}])`);
  }
  if (e.begin < 0 || e.end > t.shape.length || e.begin > e.end) {
    throw new OpError(op, `dimensions ${e.begin}..${e.end} do not exist in [${t.shape.join(', ')}]`, types);
  }
  return t.shape.slice(e.begin, e.end);
}

/** The shape a parsed dimension list stands for. */
export function resolveShape(op: string, v: AttrValue, types: TensorType[]): Shape {
  return entriesOf(op, 'shape', v, types).flatMap((e) => entryDims(op, e, types));
}

/** An int64 1-D ONNX value holding the dimensions of a parsed list at run time. */
export function shapeValue(c: LowerCtx, v: AttrValue, out: Shape): string {
  if (isConcrete(out)) return c.ints(out);
  const entries = entriesOf('shape', 'shape', v, c.inTypes);
  const parts: string[] = [];
  let nums: number[] = [];
  const flush = () => {
    if (nums.length) parts.push(c.ints(nums));
    nums = [];
  };
  for (const e of entries) {
    const dims = entryDims('shape', e, c.inTypes);
    if (isConcrete(dims)) {
      nums.push(...dims);
      continue;
    }
    flush();
    if (typeof e === 'number') continue;
    if ('tag' in e) {
      const [i64] = c.emit('Cast', [c.inputs[e.input]!], { to: onnxDType('int64') });
      parts.push(c.emit('Reshape', [i64!, c.ints([-1])])[0]!);
    } else parts.push(shapeSlice(c, c.inputs[e.input]!, e.begin, e.end));
  }
  flush();
  return parts.length === 1 ? parts[0]! : c.emit('Concat', parts, { axis: 0 })[0]!;
}

/** `Shape(x)[begin:end]` as an int64 1-D ONNX value (opset 15's form; emit rewrites it for older opsets). */
function shapeSlice(c: LowerCtx, x: string, begin: number, end: number): string {
  return c.emit('Shape', [x], { start: begin, end })[0]!;
}

// ---------------------------------------------------------------- shapeArray

type ShapeArrayA = Attrs & { begin: number | null; end: number | null; axis: number | null };

/** The range of dimensions `shapeArray` reads for attributes `a` on a rank-`rank` input (axis: one). Example: `shapeArrayRange(3, { axis: -1 })` is `[2, 3]`. */
export function shapeArrayRange(rank: number, a: Attrs, types: TensorType[] = []): [number, number] {
  const { begin, end, axis } = a as ShapeArrayA;
  if (axis !== null && axis !== undefined) {
    if ((begin !== null && begin !== undefined) || (end !== null && end !== undefined)) throw new OpError('shapeArray', 'give either axis or begin/end, not both', types);
    const ax = normAxis('shapeArray', axis, rank, types);
    return [ax, ax + 1];
  }
  const norm = (v: number | null | undefined, dflt: number, what: string): number => {
    if (v === null || v === undefined) return dflt;
    if (!Number.isInteger(v) || v < -rank || v > rank) throw new OpError('shapeArray', `${what} ${JSON.stringify(v)} is out of range for rank ${rank}`, types);
    return v < 0 ? v + rank : v;
  };
  const b = norm(begin, 0, 'begin');
  return [b, Math.max(b, norm(end, rank, 'end'))];
}

type ShapeArraySig = (data: Tx, options?: { begin?: number | null; end?: number | null; axis?: number | null }) => Tx;

/**
 * The shape of `data` as an int64 tensor (MXNet `shape_array`): dimensions
 * `begin..end` as a 1-D tensor, or dimension `axis` as a 0-d one. Given as a
 * dimension to `zeros`/`ones`/`full`/`arange` while tracing, it keeps the
 * symbolic names. Example: `F.ones([F.shapeArray(x, { axis: 1 }), F.shapeArray(x, { axis: 1 })])`.
 */
export const shapeArray: OpDef<ShapeArraySig, ShapeArrayA> = defineOp<ShapeArraySig, ShapeArrayA>({
  name: 'shapeArray',
  inputs: ['data'],
  attrs: { begin: null, end: null, axis: null },
  infer: (types, a) => {
    const [b, e] = shapeArrayRange(types[0]!.shape.length, a, types);
    return [{ dtype: 'int64', shape: a.axis !== null && a.axis !== undefined ? [] : [e - b] }];
  },
  lower: (c, a) => {
    const [b, e] = shapeArrayRange(c.inTypes[0]!.shape.length, a);
    const s = shapeSlice(c, c.inputs[0]!, b, e);
    if (a.axis === null) c.emit('Identity', [s], {}, c.outputs);
    else c.emit('Squeeze', [s, c.ints([0])], {}, c.outputs);
  },
  kernel: ([x], a, [out]) => {
    const [b, e] = shapeArrayRange(x!.shape.length, a);
    return [tensorFromNumbers('int64', out!.shape as number[], x!.shape.slice(b, e))];
  },
  grad: noGrad,
});

// ---------------------------------------------------------------- zeros, ones, full

type FullA = Attrs & { shape: AttrValue; value: number; dtype: DType };

/** The values each integer dtype holds (an integer outside is refused, as numpy refuses a Python int there). */
export const INT_RANGES: Partial<Record<DType, [number | bigint, number | bigint]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  uint16: [0, 2 ** 16 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0, 2n ** 64n - 1n],
};

/** Why a fill value does not fit an integer dtype (numpy 2 refuses it), or null. Example: `fillValueError(300, 'int8')`. */
export function fillValueError(value: number, dtype: DType): string | null {
  const range = INT_RANGES[dtype];
  return range && Number.isInteger(value) && !(value >= range[0] && value <= range[1]) ? `value ${value} is out of range for ${dtype} [${range[0]}, ${range[1]}]` : null;
}

function fullInfer(op: string) {
  return (types: TensorType[], a: FullA): TensorType[] => {
    if (typeof a.value !== 'number') throw new OpError(op, `value must be a number, got ${JSON.stringify(a.value)}`, types);
    const dtype = checkOutDType(op, a.dtype, types);
    const bad = fillValueError(a.value, dtype);
    if (bad) throw new OpError(op, bad, types);
    return [{ dtype, shape: resolveShape(op, a.shape, types) }];
  };
}

function fullLower(c: LowerCtx, a: FullA): void {
  const out = c.outTypes[0]!;
  const value = tensorFromNumbers(out.dtype, [1], [a.value]);
  c.emit('ConstantOfShape', [shapeValue(c, a.shape, out.shape)], { value: { tensor: value } }, c.outputs);
}

function fullKernel(_ins: HostTensor[], a: FullA, [out]: TensorType[]): HostTensor[] {
  const t = zerosTensor(out!.dtype, out!.shape as number[]);
  if (a.value !== 0) for (let i = 0; i < t.data.length; i++) writeElement(t, i, a.value);
  return [t];
}

function filled(name: string, value: number) {
  return defineOp<(shape: DimArg, options?: { dtype?: DType }) => Tx, FullA>({
    name,
    inputs: [],
    attrs: { shape: null, value, dtype: 'float32' },
    positional: ['shape'],
    shapeArgs: ['shape'],
    infer: fullInfer(name),
    lower: fullLower,
    kernel: fullKernel,
    grad: noGrad,
  });
}

/**
 * An array of zeros; `shape` entries are numbers or integer tensors (see the
 * module note: `F.shapeArray` keeps symbolic dimensions). Example:
 * `F.zeros([F.shapeArray(x, { axis: 0 }), 64])`.
 */
export const zeros: OpDef<(shape: DimArg, options?: { dtype?: DType }) => Tx, FullA> = filled('zeros', 0);

/** An array of ones (shape as for `zeros`). Example: `F.ones([2, 3], { dtype: 'int32' })`. */
export const ones: OpDef<(shape: DimArg, options?: { dtype?: DType }) => Tx, FullA> = filled('ones', 1);

type FullSig = (shape: DimArg, value: number, options?: { dtype?: DType }) => Tx;

/** An array filled with `value` (shape as for `zeros`). Example: `F.full([2, 2], 7)`. */
export const full: OpDef<FullSig, FullA> = defineOp<FullSig, FullA>({
  name: 'full',
  inputs: [],
  attrs: { shape: null, value: null, dtype: 'float32' },
  positional: ['shape', 'value'],
  shapeArgs: ['shape'],
  infer: fullInfer('full'),
  lower: fullLower,
  kernel: fullKernel,
  grad: noGrad,
});

// ---------------------------------------------------------------- arange

type ArangeA = Attrs & { start: AttrValue; stop: AttrValue; step: AttrValue; dtype: DType };

/** One bound of arange: a number, or a `DimEntry` of one dimension. */
function bound(name: string, v: AttrValue, types: TensorType[]): number | DimEntry | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new OpError('arange', `${name} must be a finite number, got ${v}`, types);
    return v;
  }
  const list = Array.isArray(v) ? v : [v];
  if (list.length !== 1) throw new OpError('arange', `${name} must be one number, got ${list.length} values`, types);
  const e = list[0]!;
  if (typeof e === 'number') return bound(name, e, types);
  const entry = entriesOf('arange', name, [e], types)[0]!;
  if (entryDims('arange', entry, types).length !== 1) throw new OpError('arange', `${name} must be a single value (a 0-d tensor or one dimension)`, types);
  return entry;
}

interface ArangePlan {
  start: number | DimEntry;
  stop: number | DimEntry;
  step: number;
  length: Dim;
}

function arangePlan(types: TensorType[], a: ArangeA): ArangePlan {
  let start = bound('start', a.start, types);
  let stop = bound('stop', a.stop, types);
  if (start === null) throw new OpError('arange', 'needs start (or stop)', types);
  if (stop === null) [start, stop] = [0, start];
  const step = a.step;
  if (typeof step !== 'number' || step === 0 || !Number.isFinite(step)) throw new OpError('arange', `step must be a non-zero number, got ${JSON.stringify(step)}`, types);
  const value = (b: number | DimEntry): Dim => (typeof b === 'number' ? b : entryDims('arange', b, types)[0]!);
  const [s, e] = [value(start), value(stop)];
  let length: Dim;
  if (typeof s === 'number' && typeof e === 'number') length = Math.max(0, Math.ceil((e - s) / step));
  else if (s === 0 && step === 1) length = e;
  else length = `(arange(${s},${e},${step}))`;
  return { start, stop, step, length };
}

type ArangeOptions = { dtype?: DType };
type ArangeSig = (start: number | Tx, stop?: number | Tx | null | ArangeOptions, step?: number | ArangeOptions, options?: ArangeOptions) => Tx;

/**
 * Evenly spaced values `start, start + step, ...` below `stop` (numpy
 * `arange`; one bound means `[0, bound)`). A bound may be a 0-d integer
 * tensor; `F.arange(F.shapeArray(x, { axis: 1 }))` has the symbolic length of
 * `x`'s axis 1. Example: `F.arange(0, 10, 2, { dtype: 'int32' })` is `[0, 2, 4, 6, 8]`.
 */
export const arange: OpDef<ArangeSig, ArangeA> = defineOp<ArangeSig, ArangeA>({
  name: 'arange',
  inputs: [],
  attrs: { start: null, stop: null, step: 1, dtype: 'float32' },
  positional: ['start', 'stop', 'step'],
  shapeArgs: ['start', 'stop'],
  infer: (types, a) => {
    const dtype = checkOutDType('arange', a.dtype, types);
    if (dtype === 'bool') throw new OpError('arange', 'dtype bool is not supported', types);
    return [{ dtype, shape: [arangePlan(types, a).length] }];
  },
  lower: (c, a) => {
    const p = arangePlan(c.inTypes, a);
    const out = c.outTypes[0]!;
    const scalar = (b: number | DimEntry): string => {
      if (typeof b === 'number') return c.scalar(b, 'float64');
      const v = shapeValue(c, [b] as unknown as AttrValue, [`?`]);
      const [f] = c.emit('Cast', [v], { to: onnxDType('float64') });
      return c.emit('Squeeze', [f!, c.ints([0])])[0]!;
    };
    // Range in float64 (exact for dimension-sized integers), then the output dtype.
    const [r] = c.emit('Range', [scalar(p.start), scalar(p.stop), c.scalar(p.step, 'float64')]);
    const integer = !isFloat(out.dtype);
    const [v] = integer ? c.emit('Floor', [r!]) : [r!];
    c.emit('Cast', [v!], { to: onnxDType(out.dtype) }, c.outputs);
  },
  kernel: (_ins, a, [out]) => {
    const p = arangePlan([], a);
    const n = out!.shape[0] as number;
    const s = p.start as number;
    return [tensorFromNumbers(out!.dtype, [n], Array.from({ length: n }, (_x, i) => {
      const x = s + i * p.step;
      return isFloat(out!.dtype) ? x : Math.floor(x);
    }))];
  },
  grad: noGrad,
});

/** The creation operators, by F name. */
export const CREATION_OPS = { zeros, ones, full, arange, shapeArray } as const;

