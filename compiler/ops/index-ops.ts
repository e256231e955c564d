/**
 * Indexing operators: slice, sliceAxis, take, pick and oneHot, plus the
 * helpers the shape operators share (index walks over host tensors, ONNX
 * pieces of a runtime shape, symbolic slice lengths).
 * Invariants: kernels move elements without converting them (int64 stays
 * BigInt, float16 stays raw bits); lowerings never read concrete input
 * dimensions unless the type rule has them (symbolic dims go through Shape).
 */
import { allocate, isDType, isFloat, onnxDType as onnxTo } from '../../runtime/dtypes.js';
import { formatShape, sizeOf, stridesOf, writeElement, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { DType, Dim, TensorType } from '../ir/types.js';
import { defineOp, type GradCtx, type GradRule, type LowerCtx, type Method, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { normAxis, optionText, sameDim } from './dims.js';
import { OpError } from './errors.js';
import { clippedIndicesInt64, indexValue, indicesInt64 } from './indices.js';
import { toF64 } from './kernels.js';
import type { GradOps, GradTensor } from './grad-ops.js';
import { plainShape } from './symbolic-dim.js';
import { sliceUpToSizeOf } from './redirects.js';

/** A far-away index ONNX Slice clamps to the axis (exactly representable in float64 and int64). */
export const BIG = 2 ** 53 - 1;

/**
 * The rule of an operator linear in its first input: `rule` maps the output's
 * gradient back; the first input gets null when it is not a float or the
 * output has no gradient, and every other input (indices, `like` shapes) gets null.
 */
export function linearGrad(rule: (F: GradOps, ctx: GradCtx, g: GradTensor) => GradTensor): GradRule {
  return (F, ctx, [g]) => [
    g && isFloat(ctx.inTypes[0]!.dtype) ? typedLike(F, rule(F, ctx, g), ctx.inputs[0]!, ctx.inTypes[0]!) : null,
    ...ctx.inputs.slice(1).map(() => null),
  ];
}

/**
 * A gradient `y` of input `x` (type `t`) with `x`'s own type: where symbolic
 * arithmetic left `y` a dimension it cannot prove equal (say `((N+2)[1:-1:1])`
 * for `N`), a reshapeLike restores `x`'s shape.
 */
export function typedLike(F: GradOps, y: GradTensor, x: GradTensor, t: TensorType): GradTensor {
  const s = plainShape(y.shape);
  return s.length === t.shape.length && s.every((d, k) => sameDim(d, t.shape[k]!)) ? y : F.reshapeLike(y, x);
}

/** Reverses `x` along `axis`. */
export function reverseAxis(F: GradOps, x: GradTensor, axis: number): GradTensor {
  const nulls = Array<null>(axis + 1).fill(null);
  return F.slice(x, { begin: nulls, end: nulls, step: [...Array<number>(axis).fill(1), -1] });
}

/** MXNet's `padWidth` for a rank-`r` tensor padding only `axis`. */
export function axisPad(r: number, axis: number, before: number, after: number): number[] {
  const w = Array<number>(2 * r).fill(0);
  w[2 * axis] = before;
  w[2 * axis + 1] = after;
  return w;
}

/** A new tensor of `dtype` and concrete `shape`. */
export function alloc(dtype: DType, shape: number[]): HostTensor {
  return { dtype, shape: [...shape], data: allocate(dtype, sizeOf(shape)) };
}

/**
 * A tensor of `shape` whose element at each index is `t`'s element at
 * `src(index, flatIndex)` (or `fill` where `src` returns -1). Elements are copied as stored.
 */
export function gather(t: HostTensor, shape: number[], src: (idx: number[], flat: number) => number, fill = 0): HostTensor {
  const out = alloc(t.dtype, shape);
  const n = out.data.length;
  const idx = new Array<number>(shape.length).fill(0);
  const o = out.data as unknown as (number | bigint)[];
  const d = t.data as unknown as (number | bigint)[];
  for (let i = 0; i < n; i++) {
    const s = src(idx, i);
    if (s < 0) writeElement(out, i, fill);
    else o[i] = d[s]!;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** The flat offset of a multi-index under row-major strides. */
export function offset(idx: readonly number[], strides: readonly number[]): number {
  let o = 0;
  for (let k = 0; k < idx.length; k++) o += idx[k]! * strides[k]!;
  return o;
}

/** The same elements under another shape (metadata-only operators). */
export function withShape(t: HostTensor, shape: number[]): HostTensor {
  return { dtype: t.dtype, shape: [...shape], data: t.data.slice() };
}

/** Dimension `axis` of an input at runtime, as an int64 tensor of shape [1]. */
export function dimOf(c: LowerCtx, input: string, axis: number): string {
  return c.emit('Shape', [input], { start: axis, end: axis + 1 })[0]!;
}

/** Dimension `axis` of input `i` as a 0-d int64 tensor: a constant when the type knows it. */
export function dimScalar(c: LowerCtx, i: number, axis: number): string {
  const d = c.inTypes[i]!.shape[axis]!;
  if (typeof d === 'number') return c.scalar(d, 'int64');
  return c.emit('Squeeze', [dimOf(c, c.inputs[i]!, axis), c.ints([0])])[0]!;
}

/** `x` as int64 (a Cast unless it already is). */
export function asInt64(c: LowerCtx, x: string, dtype: DType): string {
  return dtype === 'int64' ? x : c.emit('Cast', [x], { to: onnxTo('int64') })[0]!;
}

/** An integer-list option (a single integer is a list of one); an OpError naming the op, option and input types. */
export function ints(op: string, name: string, v: unknown, types: TensorType[]): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => Number.isInteger(x))) {
    throw new OpError(op, `option '${name}' must be an integer or a list of integers, got ${optionText(v)}`, types);
  }
  return list as number[];
}

/** A boolean option, or an OpError naming it. */
export function bool(op: string, name: string, v: unknown, types: TensorType[]): boolean {
  if (typeof v !== 'boolean') throw new OpError(op, `option '${name}' must be a boolean, got ${JSON.stringify(v)}`, types);
  return v;
}

/** A length that is not known as a product of symbols: an opaque symbolic name. */
export function opaque(text: string): Dim {
  return `(${text})`;
}

/** `d - k` for a dimension and a non-negative integer. */
export function subDim(d: Dim, k: number): Dim {
  if (typeof d === 'number') return d - k;
  return k === 0 ? d : opaque(`${d}-${k}`);
}

/** Python's `slice(b, e, s).indices(n)` length and start for a concrete axis length. */
export function sliceIndices(b: number | null, e: number | null, s: number, n: number): { start: number; len: number } {
  const lower = s > 0 ? 0 : -1;
  const upper = s > 0 ? n : n - 1;
  const start = b === null ? (s < 0 ? upper : lower) : b < 0 ? Math.max(b + n, lower) : Math.min(b, upper);
  const stop = e === null ? (s < 0 ? lower : upper) : e < 0 ? Math.max(e + n, lower) : Math.min(e, upper);
  const len = s > 0 ? Math.max(0, Math.ceil((stop - start) / s)) : Math.max(0, Math.ceil((start - stop) / -s));
  return { start, len };
}

/**
 * The length of `d[b:e:s]`. For a symbolic `d` the slice is assumed to lie
 * inside the axis (as broadcasting assumes symbols match); lengths that
 * depend on `d` itself stay symbolic.
 */
export function sliceLen(d: Dim, b: number | null, e: number | null, s: number): Dim {
  if (typeof d === 'number') return sliceIndices(b, e, s, d).len;
  // Each bound as [uses d, offset].
  const bound = (x: number | null, isBegin: boolean): [boolean, number] => {
    if (x === null) {
      if (s > 0) return isBegin ? [false, 0] : [true, 0];
      return isBegin ? [true, -1] : [false, -1];
    }
    return x < 0 ? [true, x] : [false, x];
  };
  const [bd, bo] = bound(b, true);
  const [ed, eo] = bound(e, false);
  const span = s > 0 ? eo - bo : bo - eo;
  if (bd === ed) return Math.max(0, Math.ceil(span / Math.abs(s)));
  if (s === 1 && !bd && ed && eo === 0) return subDim(d, bo);
  return opaque(`${d}[${b ?? ''}:${e ?? ''}:${s}]`);
}

function nullableInts(op: string, name: string, v: unknown, types: TensorType[]): (number | null)[] {
  const list = typeof v === 'number' || v === null ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => x === null || Number.isInteger(x))) {
    throw new OpError(op, `option '${name}' must be a list of integers or nulls, got ${optionText(v)}`, types);
  }
  return list as (number | null)[];
}

interface SlicePlan {
  axes: number[];
  begin: (number | null)[];
  end: (number | null)[];
  step: number[];
}

/**
 * A slice bound given as a symbolic name (`x.shape[k]` while exporting): the
 * end of its own axis (with a positive step) is that axis's end (null); any
 * other is an OpError with the way to slice to a size read at run time.
 */
function boundName(op: string, t: TensorType, axis: number, what: 'begin' | 'end', v: unknown, step: unknown, types: TensorType[]): unknown {
  if (typeof v !== 'string') return v;
  const size = t.shape[axis];
  const forward = step === null || step === undefined || (typeof step === 'number' && step > 0);
  if (what === 'end' && forward && size !== undefined && sameDim(size, v)) return null;
  const why = what === 'end' ? (forward ? `not the size of axis ${axis} (${size})` : 'with a negative step') : 'as a begin';
  throw new OpError(op, `${what} of axis ${axis} is the symbolic dimension '${v}', ${why}: a symbolic bound is taken only as the end of its own axis; to slice up to a size read when the graph runs use F.take(x, F.arange(begin, n, 1, { dtype: 'int64' }), { axis: ${axis} }) with n = y.shape[k] of the tensor that has it`, types);
}

/** Slice's symbolic bounds resolved (see `boundName`). */
function sliceNames(a: SliceA, types: TensorType[]): SliceA {
  const has = (v: unknown) => typeof v === 'string' || (Array.isArray(v) && v.some((x) => typeof x === 'string'));
  if (!has(a.begin) && !has(a.end)) return a;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
  const step = list(a.step ?? []);
  const map = (v: unknown, what: 'begin' | 'end') => list(v).map((x, k) => boundName('slice', types[0]!, k, what, x, step[k], types));
  return { ...a, begin: map(a.begin, 'begin') as (number | null)[], end: map(a.end, 'end') as (number | null)[] };
}

/** sliceAxis's symbolic bounds resolved (see `boundName`). */
function sliceAxisNames(a: SliceAxisA, types: TensorType[]): SliceAxisA {
  if (typeof a.begin !== 'string' && typeof a.end !== 'string') return a;
  const ax = normAxis('sliceAxis', a.axis, types[0]!.shape.length, types);
  const begin = boundName('sliceAxis', types[0]!, ax, 'begin', a.begin, 1, types) as number;
  return { ...a, begin, end: boundName('sliceAxis', types[0]!, ax, 'end', a.end, 1, types) as number | null };
}

function slicePlan(op: string, t: TensorType, a: Attrs, types: TensorType[]): SlicePlan {
  if (a.begin === null || a.begin === undefined || a.end === null || a.end === undefined) {
    throw new OpError(op, `needs options 'begin' and 'end' (lists; null entries take the whole axis)`, types);
  }
  const begin = nullableInts(op, 'begin', a.begin, types);
  const end = nullableInts(op, 'end', a.end, types);
  const stepRaw = a.step === null || a.step === undefined ? [] : nullableInts(op, 'step', a.step, types);
  const rank = t.shape.length;
  if (begin.length !== end.length) throw new OpError(op, `begin ${JSON.stringify(begin)} and end ${JSON.stringify(end)} have different lengths`, types);
  if (begin.length > rank) throw new OpError(op, `begin ${JSON.stringify(begin)} has more entries than the input's rank ${rank}`, types);
  if (stepRaw.length && stepRaw.length !== begin.length) throw new OpError(op, `step ${JSON.stringify(stepRaw)} must have as many entries as begin ${JSON.stringify(begin)}`, types);
  const step = begin.map((_b, k) => stepRaw[k] ?? 1);
  if (step.includes(0)) throw new OpError(op, `step ${JSON.stringify(stepRaw)} has a zero entry`, types);
  return { axes: begin.map((_b, k) => k), begin, end, step };
}

function sliceInfer(t: TensorType, p: SlicePlan): TensorType {
  const shape = [...t.shape];
  p.axes.forEach((ax, k) => (shape[ax] = sliceLen(shape[ax]!, p.begin[k]!, p.end[k]!, p.step[k]!)));
  return { dtype: t.dtype, shape };
}

function sliceLower(c: LowerCtx, p: SlicePlan): void {
  const starts = p.begin.map((b, k) => (b !== null ? b : p.step[k]! > 0 ? 0 : BIG));
  const ends = p.end.map((e, k) => (e !== null ? e : p.step[k]! > 0 ? BIG : -BIG));
  c.emit('Slice', [c.inputs[0]!, c.ints(starts), c.ints(ends), c.ints(p.axes), c.ints(p.step)], {}, c.outputs);
}

function sliceKernel(t: HostTensor, p: SlicePlan, out: TensorType): HostTensor {
  const strides = stridesOf(t.shape);
  const start = t.shape.map(() => 0);
  const step = t.shape.map(() => 1);
  p.axes.forEach((ax, k) => {
    start[ax] = sliceIndices(p.begin[k]!, p.end[k]!, p.step[k]!, t.shape[ax]!).start;
    step[ax] = p.step[k]!;
  });
  return gather(t, out.shape as number[], (idx) => {
    let o = 0;
    for (let k = 0; k < idx.length; k++) o += (start[k]! + idx[k]! * step[k]!) * strides[k]!;
    return o;
  });
}

/**
 * The gradient of a slice: `g` put back at the sliced positions of zeros of
 * the input's shape. Step 1 is one Pad; a step s > 1 first spreads `g` with
 * s - 1 zeros after each element (expandDims, Pad, merge, trim); a negative
 * step reverses `g` first. A symbolic axis is supported when the pads do not
 * depend on its size (step 1, begin >= 0 or null, end < 0 or null; or a whole reversal), and
 * up to a fixed end (step 1, begin >= 0, end >= 0) by concatenating zeros sliced from zerosLike(x).
 */
function unslice(op: string, F: GradOps, g: GradTensor, x: GradTensor, t: TensorType, p: SlicePlan): GradTensor {
  const r = t.shape.length;
  const widths = Array<number>(2 * r).fill(0);
  /** Symbolic axes sliced up to a fixed end e: [axis, e]. */
  const upTo: [number, number][] = [];
  let y = g;
  for (let k = 0; k < p.axes.length; k++) {
    const ax = p.axes[k]!;
    const [b, e, s] = [p.begin[k]!, p.end[k]!, p.step[k]!];
    const n = t.shape[ax]!;
    if (typeof n !== 'number') {
      if (b === null && e === null && s === -1) {
        y = reverseAxis(F, y, ax);
        continue;
      }
      if (s === 1 && (b === null || b >= 0) && e !== null && e >= 0) {
        // Up to a fixed end (GluonNLP's pooler x[:, 0:1]): pad before now, the zeros after it below.
        widths[2 * ax] = b ?? 0;
        upTo.push([ax, e]);
        continue;
      }
      if (s !== 1 || (b !== null && b < 0) || (e !== null && e >= 0)) {
        throw new OpError(op, `cannot differentiate a slice of axis ${ax} of symbolic size ${n} with begin ${b}, end ${e}, step ${s}: the gradient's padding depends on the size (use step 1 with begin >= 0 and end < 0 or null, or end >= 0)`, [t]);
      }
      widths[2 * ax] = b ?? 0;
      widths[2 * ax + 1] = e === null ? 0 : -e;
      continue;
    }
    const { start, len } = sliceIndices(b, e, s, n);
    if (len === 0) return F.zerosLike(x);
    const st = Math.abs(s);
    let first = start;
    if (s < 0) {
      y = reverseAxis(F, y, ax);
      first = start + (len - 1) * s;
    }
    if (st > 1 && len > 1) {
      y = F.pad(F.expandDims(y, ax + 1), { mode: 'constant', padWidth: axisPad(r + 1, ax + 1, 0, st - 1) });
      y = F.reshape(y, [...Array<number>(ax).fill(0), -3, -2]);
      y = F.sliceAxis(y, { axis: ax, begin: 0, end: (len - 1) * st + 1 });
    }
    widths[2 * ax] = first;
    widths[2 * ax + 1] = n - first - ((len - 1) * st + 1);
  }
  if (widths.some((w) => w !== 0)) y = F.pad(y, { mode: 'constant', padWidth: widths });
  // The zeros after a fixed end of a symbolic axis: the rest of zerosLike(x) from e on, read when the graph
  // runs (cut to [0, e) on the axes still to extend, so that the pieces agree).
  upTo.forEach(([ax, e], i) => {
    let rest = F.zerosLike(x);
    for (const [later, le] of upTo.slice(i + 1)) rest = F.sliceAxis(rest, { axis: later, begin: 0, end: le });
    y = F.concat(y, F.sliceAxis(rest, { axis: ax, begin: e, end: null }), { dim: ax });
  });
  return y;
}

type SliceA = Attrs & { begin: (number | null)[]; end: (number | null)[]; step: (number | null)[] | null };

type SliceSig = Method<(data: Tx, ...rest: PositionalOptions<{ begin: (number | null)[]; end: (number | null)[]; step?: (number | null)[] }, ['begin', 'end', 'step']>) => Tx>;

/**
 * Slices with MXNet's `begin`/`end`/`step` lists (null entries take the whole
 * axis; axes past the lists are kept whole; negative indices count from the end).
 * Example: `x.slice({ begin: [0, 1], end: [2, null] })`.
 */
export const slice: OpDef<SliceSig, SliceA> = defineOp<SliceSig, SliceA>({
  name: 'slice',
  redirect: sliceUpToSizeOf('slice'),
  inputs: ['data'],
  attrs: { begin: null, end: null, step: null }, positional: ['begin', 'end', 'step'],
  method: true,
  normalize: sliceNames,
  infer: (types, a) => [sliceInfer(types[0]!, slicePlan('slice', types[0]!, a, types))],
  lower: (c, a) => sliceLower(c, slicePlan('slice', c.inTypes[0]!, a, c.inTypes)),
  kernel: ([x], a, [out]) => [sliceKernel(x!, slicePlan('slice', x!, a, []), out!)],
  grad: linearGrad((F, { inputs, inTypes, attrs }, g) => unslice('slice', F, g, inputs[0]!, inTypes[0]!, slicePlan('slice', inTypes[0]!, attrs, inTypes))),
});

type SliceAxisA = Attrs & { axis: number; begin: number; end: number | null };

function sliceAxisPlan(t: TensorType, a: SliceAxisA, types: TensorType[]): SlicePlan {
  const ax = normAxis('sliceAxis', a.axis, t.shape.length, types);
  if (!Number.isInteger(a.begin)) throw new OpError('sliceAxis', `option 'begin' must be an integer, got ${optionText(a.begin)}`, types);
  if (a.end !== null && !Number.isInteger(a.end)) throw new OpError('sliceAxis', `option 'end' must be an integer or null, got ${optionText(a.end)}`, types);
  return { axes: [ax], begin: [a.begin], end: [a.end], step: [1] };
}

type SliceAxisSig = Method<(data: Tx, ...rest: PositionalOptions<{ axis: number; begin: number; end: number | null }, ['axis', 'begin', 'end']>) => Tx>;

/**
 * Slices one axis from `begin` to `end` (null: to the end; negative counts from the end).
 * Example: `F.sliceAxis(x, { axis: 1, begin: 0, end: 2 })`.
 */
export const sliceAxis: OpDef<SliceAxisSig, SliceAxisA> = defineOp<SliceAxisSig, SliceAxisA>({
  name: 'sliceAxis',
  redirect: sliceUpToSizeOf('sliceAxis'),
  inputs: ['data'],
  attrs: { axis: null, begin: null, end: null },
  positional: ['axis', 'begin', 'end'],
  method: true,
  normalize: sliceAxisNames,
  infer: (types, a) => [sliceInfer(types[0]!, sliceAxisPlan(types[0]!, a, types))],
  lower: (c, a) => sliceLower(c, sliceAxisPlan(c.inTypes[0]!, a, c.inTypes)),
  kernel: ([x], a, [out]) => [sliceKernel(x!, sliceAxisPlan(x!, a, []), out!)],
  grad: linearGrad((F, { inputs, inTypes, attrs }, g) => unslice('sliceAxis', F, g, inputs[0]!, inTypes[0]!, sliceAxisPlan(inTypes[0]!, attrs as SliceAxisA, inTypes))),
});

/** How out-of-range indices are treated: clipped, wrapped, or (take only) an error. */
type IndexMode = 'clip' | 'wrap' | 'raise';

function checkMode(op: string, mode: unknown, types: TensorType[], raise = false): IndexMode {
  if (mode !== 'clip' && mode !== 'wrap' && !(raise && mode === 'raise')) {
    throw new OpError(op, `mode must be ${raise ? "'clip', 'wrap' or 'raise'" : "'clip' or 'wrap'"}, got ${JSON.stringify(mode)}`, types);
  }
  return mode;
}

/**
 * Indices of any dtype as int64, clipped to [0, n) or wrapped modulo n (n:
 * dimension `axis` of input 0); 'raise' leaves them to ONNX Gather, which
 * takes [-n, n) (negatives count from the end, as numpy's) and fails the run
 * on any other.
 */
function fixIndices(c: LowerCtx, idxInput: number, axis: number, mode: IndexMode): string {
  const dtype = c.inTypes[idxInput]!.dtype;
  if (mode === 'raise') return asInt64(c, c.inputs[idxInput]!, dtype);
  const d = c.inTypes[0]!.shape[axis]!;
  if (mode === 'clip') return clippedIndicesInt64(c, c.inputs[idxInput]!, dtype, typeof d === 'number' ? d : dimScalar(c, 0, axis));
  return c.emit('Mod', [indicesInt64(c, c.inputs[idxInput]!, dtype), dimScalar(c, 0, axis)], { fmod: 0 })[0]!;
}

/** An index value (truncated toward zero; NaN and ±Infinity as `indexValue` reads them) clipped or wrapped into [0, n), or checked to lie in [-n, n) ('raise'). */
function fixIndex(v: number, n: number, mode: IndexMode, op = 'take'): number {
  if (mode === 'raise') {
    const i = Math.trunc(v);
    if (!(i >= -n && i < n)) throw new OpError(op, `index ${v} is out of range for an axis of size ${n} (mode 'raise' takes [${-n}, ${n - 1}])`, []);
    return i < 0 ? i + n : i;
  }
  const i = indexValue(v);
  if (mode === 'wrap') return ((i % n) + n) % n;
  return Math.min(Math.max(i, 0), n - 1);
}

/** Refuses indices into an empty axis (numpy: "cannot do a non-empty take from an empty axes"); no index names a row there. */
function checkNonEmptyAxis(op: string, types: TensorType[], ax: number): void {
  const [x, ind] = types;
  const n = x!.shape[ax]!;
  const count = ind!.shape.every((d) => typeof d === 'number') ? sizeOf(ind!.shape as number[]) : 1;
  if (n === 0 && count > 0) throw new OpError(op, `axis ${ax} is empty: no index selects anything there (numpy refuses it too)`, types);
}

type TakeA = Attrs & { axis: number; mode: IndexMode };

type TakeSig = Method<(a: Tx, indices: Tx, ...rest: PositionalOptions<{ axis?: number; mode?: IndexMode }, ['axis', 'mode']>) => Tx>;

/**
 * Picks slices of `a` along `axis` at `indices` (any dtype; floats truncate);
 * out-of-range indices are clipped (`mode: 'clip'`), wrapped (`'wrap'`), or
 * an error (`'raise'`: numpy's `take`, negatives in [-n, 0) count from the
 * end; a compiled graph fails its run). Example: `F.take(embeddings, tokenIds)`.
 */
export const take: OpDef<TakeSig, TakeA> = defineOp<TakeSig, TakeA>({
  name: 'take',
  inputs: ['a', 'indices'],
  attrs: { axis: 0, mode: 'clip' },
  positional: ['axis', 'mode'],
  method: true,
  infer: (types, a) => {
    const [x, ind] = types;
    const ax = normAxis('take', a.axis, x!.shape.length, types);
    checkMode('take', a.mode, types, true);
    if (ind!.dtype === 'bool') throw new OpError('take', 'indices must be numbers, not bool', types);
    checkNonEmptyAxis('take', types, ax);
    return [{ dtype: x!.dtype, shape: [...x!.shape.slice(0, ax), ...ind!.shape, ...x!.shape.slice(ax + 1)] }];
  },
  lower: (c, a) => {
    const ax = normAxis('take', a.axis, c.inTypes[0]!.shape.length);
    c.emit('Gather', [c.inputs[0]!, fixIndices(c, 1, ax, a.mode)], { axis: ax }, c.outputs);
  },
  kernel: ([x, ind], a, [out]) => {
    const ax = normAxis('take', a.axis, x!.shape.length);
    const n = x!.shape[ax]!;
    const iv = toF64(ind!);
    const strides = stridesOf(x!.shape);
    const ir = ind!.shape.length;
    const istr = stridesOf(ind!.shape);
    return [gather(x!, out!.shape as number[], (idx) => {
      let o = 0;
      for (let k = 0; k < ax; k++) o += idx[k]! * strides[k]!;
      let f = 0;
      for (let k = 0; k < ir; k++) f += idx[ax + k]! * istr[k]!;
      o += fixIndex(iv[f]!, n, a.mode) * strides[ax]!;
      for (let k = ax + 1; k < x!.shape.length; k++) o += idx[k + ir - 1]! * strides[k]!;
      return o;
    })];
  },
  // Scatter-add of g's slices into zeros at the (fixed) indices: (number of indices) x (slice size) elements.
  // 'raise': the forward run checked the indices, and 'wrap' maps [-n, n) onto the same rows.
  grad: linearGrad((F, { inputs: [x, ind], attrs }, g) => F.indexAdd(F.zerosLike(x!), ind!, g, { axis: attrs.axis as number, mode: attrs.mode === 'raise' ? 'wrap' : (attrs.mode as 'clip' | 'wrap') })),
});

type PickA = Attrs & { axis: number; keepdims: boolean; mode: 'clip' | 'wrap' };

function pickAxis(types: TensorType[], a: PickA): { ax: number; keepIndex: boolean } {
  const [x, ind] = types;
  if (a.axis === null) throw new OpError('pick', 'axis must be an integer (null is not supported)', types);
  const ax = normAxis('pick', a.axis, x!.shape.length, types);
  checkMode('pick', a.mode, types);
  bool('pick', 'keepdims', a.keepdims, types);
  const r = x!.shape.length;
  const ish = ind!.shape;
  const keepIndex = ish.length === r;
  const expect = keepIndex ? x!.shape.map((d, k) => (k === ax ? 1 : d)) : x!.shape.filter((_d, k) => k !== ax);
  const ok = ish.length === expect.length && ish.every((d, k) => sameDim(d, expect[k]!) || typeof d === 'string' || typeof expect[k] === 'string');
  if (!ok) throw new OpError('pick', `index shape ${formatShape(ish)} must be ${formatShape(expect)} (data ${formatShape(x!.shape)} without axis ${ax})`, types);
  if (ind!.dtype === 'bool') throw new OpError('pick', 'index must hold numbers, not bool', types);
  checkNonEmptyAxis('pick', types, ax);
  return { ax, keepIndex };
}

type PickSig = Method<(data: Tx, index: Tx, ...rest: PositionalOptions<{ axis?: number; keepdims?: boolean; mode?: 'clip' | 'wrap' }, ['axis', 'keepdims', 'mode']>) => Tx>;

/**
 * Picks one element along `axis` per position, at `index` (clipped or wrapped).
 * Example: `F.pick(prob, label)` (the probability of each row's label).
 */
export const pick: OpDef<PickSig, PickA> = defineOp<PickSig, PickA>({
  name: 'pick',
  inputs: ['data', 'index'],
  attrs: { axis: -1, keepdims: false, mode: 'clip' },
  positional: ['axis', 'keepdims', 'mode'],
  method: true,
  infer: (types, a) => {
    const { ax } = pickAxis(types, a);
    const s = types[0]!.shape;
    return [{ dtype: types[0]!.dtype, shape: a.keepdims ? s.map((d, k) => (k === ax ? 1 : d)) : s.filter((_d, k) => k !== ax) }];
  },
  lower: (c, a) => {
    const { ax, keepIndex } = pickAxis(c.inTypes, a);
    let idx = fixIndices(c, 1, ax, a.mode);
    if (!keepIndex) idx = c.emit('Unsqueeze', [idx, c.ints([ax])])[0]!;
    if (a.keepdims) return void c.emit('GatherElements', [c.inputs[0]!, idx], { axis: ax }, c.outputs);
    const [g] = c.emit('GatherElements', [c.inputs[0]!, idx], { axis: ax });
    c.emit('Squeeze', [g!, c.ints([ax])], {}, c.outputs);
  },
  kernel: ([x, ind], a, [out]) => {
    const { ax } = pickAxis([x!, ind!], a);
    const n = x!.shape[ax]!;
    const iv = toF64(ind!);
    const strides = stridesOf(x!.shape);
    const r = x!.shape.length;
    // The output (keepdims or not) and the index enumerate the same positions in the same order.
    const outShape = out!.shape as number[];
    return [gather(x!, outShape, (idx) => {
      let o = 0;
      let f = 0;
      let acc = 1;
      for (let k = idx.length - 1; k >= 0; k--) {
        f += idx[k]! * acc;
        acc *= outShape[k]!;
      }
      for (let k = 0, j = 0; k < r; k++) {
        if (k === ax) {
          o += fixIndex(iv[f]!, n, a.mode) * strides[k]!;
          if (a.keepdims) j++;
        } else o += idx[j++]! * strides[k]!;
      }
      return o;
    })];
  },
  // Scatter-add of g (with the axis back) into zeros at the (fixed) index along the axis.
  grad: linearGrad((F, { inputs: [x, ind], inTypes, attrs }, g) => {
    const { ax, keepIndex } = pickAxis(inTypes, attrs as PickA);
    const idx = keepIndex ? ind! : F.expandDims(ind!, ax);
    return F.scatterAdd(F.zerosLike(x!), idx, attrs.keepdims ? g : F.expandDims(g, ax), { axis: ax, mode: attrs.mode as 'clip' | 'wrap' });
  }),
});

type OneHotA = Attrs & { depth: number; onValue: number; offValue: number; dtype: DType };

type OneHotSig = Method<(indices: Tx, ...rest: PositionalOptions<{ depth: number; onValue?: number; offValue?: number; dtype?: DType }, ['depth', 'onValue', 'offValue', 'dtype']>) => Tx>;

/**
 * One-hot encoding along a new last axis of size `depth`; indices out of
 * range give rows of `offValue`. Example: `F.oneHot(labels, 10)`.
 */
export const oneHot: OpDef<OneHotSig, OneHotA> = defineOp<OneHotSig, OneHotA>({
  name: 'oneHot',
  inputs: ['indices'],
  attrs: { depth: null, onValue: 1, offValue: 0, dtype: 'float32' },
  positional: ['depth', 'onValue', 'offValue', 'dtype'],
  method: true,
  infer: (types, a) => {
    if (!Number.isInteger(a.depth) || a.depth < 1) throw new OpError('oneHot', `depth must be a positive integer, got ${JSON.stringify(a.depth)}`, types);
    if (!isDType(a.dtype)) throw new OpError('oneHot', `unknown dtype ${JSON.stringify(a.dtype)}`, types);
    if (typeof a.onValue !== 'number' || typeof a.offValue !== 'number') throw new OpError('oneHot', 'onValue and offValue must be numbers', types);
    if (types[0]!.dtype === 'bool') throw new OpError('oneHot', 'indices must hold numbers, not bool', types);
    return [{ dtype: a.dtype, shape: [...types[0]!.shape, a.depth] }];
  },
  lower: (c, a) => {
    const idx = asInt64(c, c.inputs[0]!, c.inTypes[0]!.dtype);
    const [u] = c.emit('Unsqueeze', [idx, c.ints([-1])]);
    const [range] = c.emit('Range', [c.scalar(0, 'int64'), c.scalar(a.depth, 'int64'), c.scalar(1, 'int64')]);
    const [hit] = c.emit('Equal', [u!, range!]);
    // onnxruntime's Where has no bool kernel; bool, int8 and float16 are made in float32 and cast.
    const direct = ['float32', 'float64', 'int32', 'int64', 'uint8'].includes(a.dtype);
    const vd: DType = direct ? a.dtype : 'float32';
    if (direct) return void c.emit('Where', [hit!, c.scalar(a.onValue, vd), c.scalar(a.offValue, vd)], {}, c.outputs);
    const [w] = c.emit('Where', [hit!, c.scalar(a.onValue, vd), c.scalar(a.offValue, vd)]);
    c.emit('Cast', [w!], { to: onnxTo(a.dtype) }, c.outputs);
  },
  kernel: ([ind], a, [out]) => {
    const o = alloc(out!.dtype, out!.shape as number[]);
    const iv = toF64(ind!);
    for (let i = 0; i < iv.length; i++) {
      const h = Math.trunc(iv[i]!);
      for (let j = 0; j < a.depth; j++) writeElement(o, i * a.depth + j, h === j ? a.onValue : a.offValue);
    }
    return [o];
  },
  // Piecewise constant in the indices (as in MXNet): they get no gradient.
  grad: () => [null],
});

/** The indexing operators, by F name. */
export const INDEX_OPS = { slice, sliceAxis, take, pick, oneHot } as const;
