/**
 * Importers of ONNX's shape and indexing operators: Constant,
 * ConstantOfShape, Range, Shape, Size, Reshape (reshape.ts), Flatten, Transpose,
 * Squeeze, Unsqueeze, Concat, Split, Slice, Gather, Expand, Tile and Pad,
 * each in its attribute form (older opsets) and input form (newer ones).
 * Shape values (see context.ts) flow through Shape, Gather, Slice, Concat,
 * Unsqueeze, Squeeze and Cast (and the arithmetic of shape-values.ts), so
 * Reshape/Expand targets built from symbolic dimensions still map (onto
 * MXNet's copy code 0 or -1, or a shape read at run time from a graph input
 * that has the dimension), as do Range and Slice bounds that are symbolic.
 */
import { formatShape, sizeOf, tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';
import type { AttrValue } from '../../ir/node.js';
import type { Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { dimTag } from '../../ops/call.js';
import { castTo, dtypeOf, normAxis, type Builder, type ImportCtx } from './context.js';
import { reshape, shapedLike } from './reshape.js';

/** Values at or beyond this magnitude mean "to the end" in Slice (INT64_MAX and friends). */
const FAR = 2 ** 31;

/** Axes from the attribute (before `inputFrom`) or input 1 (from it on). */
function axesOf(c: ImportCtx, inputFrom: number, slot = 1): number[] | null {
  if (c.opset < inputFrom) return c.attr.ints('axes');
  return c.numbers(slot, 'axes');
}

/** A Constant node's value. */
const constantNode: Builder = (c) => {
  const t = c.attr.tensor('value');
  if (t) return [c.constant(t)];
  if (c.attr.has('value_float')) return [c.constant(tensorFromNumbers('float32', [], [c.attr.float('value_float', 0)]))];
  const fs = c.attr.floats('value_floats');
  if (fs) return [c.constant(tensorFromNumbers('float32', [fs.length], fs))];
  if (c.attr.has('value_int')) return [c.constant(tensorFromNumbers('int64', [], [c.attr.int('value_int', 0)]))];
  const is = c.attr.ints('value_ints');
  if (is) return [c.constant(tensorFromNumbers('int64', [is.length], is))];
  throw c.refuse(`its value attribute (${c.attr.names().join(', ') || 'none'}) is not a dense numeric tensor`);
};

/** The numbers of a shape that must be known when the graph is built. */
function concreteDims(c: ImportCtx, dims: Dim[], what: string): number[] {
  if (dims.some((d) => typeof d !== 'number')) throw c.refuse(`${what} [${dims.join(', ')}] depends on symbolic dimensions`);
  return dims as number[];
}

/** ConstantOfShape; a symbolic dimension is taken from the graph input that has it (broadcastLike). */
const constantOfShape: Builder = (c) => {
  const dims = c.dims(0) ?? [];
  const v = c.attr.tensor('value');
  const dtype = v?.dtype ?? 'float32';
  const fill = v ? Number(v.data[0] ?? 0) : 0;
  const shape = dims.map((d) => (typeof d === 'number' ? d : 1));
  let out = c.constant(tensorFromNumbers(dtype, shape, new Array<number>(sizeOf(shape)).fill(fill)));
  dims.forEach((d, i) => {
    if (typeof d === 'number') return;
    const src = c.symbolSource(d);
    if (!src) throw c.refuse(`the shape [${dims.join(', ')}] has the dimension '${d}', which no graph input has`);
    out = c.op('broadcastLike', [out, src.value], { lhsAxes: [i], rhsAxes: [src.axis] });
  });
  return [out];
};

/**
 * Range whose start or limit is a symbolic dimension (torch's arange(T), or
 * `arange(float(H * 2))` as a float shape value): gluonc's arange reading it
 * from a graph input (an expression of dimensions, from its value computed at
 * run time), in the dtype of the constant bound, else of the shape value.
 */
function symbolicRange(c: ImportCtx): Value | null {
  const sym = [c.symbolicInput(0, true), c.symbolicInput(1, true)];
  if (!sym[0] && !sym[1]) return null;
  const srcs: Value[] = [];
  const bound = (i: number): AttrValue => {
    const what = ['start', 'limit'][i]!;
    const s = sym[i];
    if (!s) return c.numbers(i, what)![0]!;
    const d = s.dims[0]!;
    if (s.dims.length !== 1) throw c.refuse(`${what} [${s.dims.join(', ')}] is not one value`);
    if (typeof d === 'number') return d;
    const src = c.symbolSource(d);
    // An expression of the inputs' dimensions ('(N*T)', torch's arange(x.numel())): its value computed when the graph runs (as int64).
    if (!src) return { input: srcs.push(c.shapeValue([d], true)) - 1, tag: dimTag() };
    let k = srcs.indexOf(src.value);
    if (k < 0) k = srcs.push(src.value) - 1;
    return { input: k, begin: src.axis, end: src.axis + 1 };
  };
  const [start, stop] = [bound(0), bound(1)];
  const dtype = (c.data(0) ?? c.data(1) ?? c.data(2))?.dtype ?? sym[0]?.dtype ?? sym[1]!.dtype;
  return c.op('arange', srcs, { start, stop, step: c.numbers(2, 'delta')![0]!, dtype });
}

const range: Builder = (c) => {
  const sym = symbolicRange(c);
  if (sym) return [sym];
  const [start, limit, delta] = [0, 1, 2].map((i) => c.numbers(i, ['start', 'limit', 'delta'][i]!)![0]!);
  if (!delta) throw c.refuse('delta is 0');
  const n = Math.max(Math.ceil((limit! - start!) / delta), 0);
  const dtype = c.data(0)!.dtype;
  return [c.constant(tensorFromNumbers(dtype, [n], Array.from({ length: n }, (_v, i) => start! + i * delta)))];
};

const shape: Builder = (c) => {
  c.noteShapeOf(c.input(0));
  const xs = c.input(0).type.shape;
  const r = xs.length;
  const clampEnd = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clampEnd(c.attr.int('start', 0));
  const end = c.attr.has('end') ? clampEnd(c.attr.int('end', r)) : r;
  return [c.shapeValue(xs.slice(start, end))];
};

const size: Builder = (c) => {
  const xs = concreteDims(c, c.input(0).type.shape, 'the shape');
  return [c.constant(tensorFromNumbers('int64', [], [sizeOf(xs)]))];
};

const flatten: Builder = (c) => {
  const x = c.input(0);
  const xs = x.type.shape;
  const r = xs.length;
  let axis = c.attr.int('axis', 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) throw c.refuse(`axis ${c.attr.int('axis', 1)} is out of range for rank ${r}`);
  const prod = (ds: Dim[]) => (ds.every((d) => typeof d === 'number') ? sizeOf(ds as number[]) : null);
  const [pre, post] = [prod(xs.slice(0, axis)), prod(xs.slice(axis))];
  if (pre !== null) return [c.op('reshape', [x], { shape: [pre, -1] })];
  if (axis === 1) return [c.op('reshape', [x], { shape: [0, -1] })];
  if (post !== null) return [c.op('reshape', [x], { shape: [-1, post] })];
  throw c.refuse(`both sides of axis ${axis} of shape [${xs.join(', ')}] have symbolic dimensions`);
};

const transpose: Builder = (c) => {
  const perm = c.attr.ints('perm');
  return [c.op('transpose', [c.input(0)], { axes: perm ?? null })];
};

const squeeze: Builder = (c) => {
  const sym = c.symbolicInput(0);
  const axes = axesOf(c, 13);
  if (sym) {
    if (sym.dims.length !== 1 || (axes && axes.length !== 1)) throw c.refuse('squeezing a shape value other than one of length 1');
    return [c.shapeValue(sym.dims, true)];
  }
  const x = c.input(0);
  const xs = x.type.shape;
  const r = xs.length;
  const list = axes ? axes.map((a) => normAxis(c, a, r)) : xs.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of list) if (xs[a] !== 1 && typeof xs[a] === 'number') throw c.refuse(`axis ${a} has size ${xs[a]}, not 1`);
  if (!list.length) return [x];
  const kept = xs.filter((_d, i) => !list.includes(i));
  // gluonc's squeeze keeps at least one dimension (MXNet); a scalar result is a reshape.
  if (!kept.length) return [c.op('reshape', [x], { shape: [] })];
  return [c.op('squeeze', [x], { axis: list })];
};

const unsqueeze: Builder = (c) => {
  const axes = axesOf(c, 13);
  if (!axes) throw c.refuse('it has no axes');
  const sym = c.symbolicInput(0);
  if (sym) {
    if (!sym.rank0 || axes.length !== 1) throw c.refuse('unsqueezing a shape value other than a scalar');
    return [c.shapeValue(sym.dims)];
  }
  let x = c.input(0);
  const outRank = x.type.shape.length + axes.length;
  const list = axes.map((a) => normAxis(c, a, outRank)).sort((a, b) => a - b);
  for (const a of list) x = c.op('expandDims', [x], { axis: a });
  return [x];
};

/** Concat: of shape values (lists of dimensions) or of tensors. */
const concat: Builder = (c) => {
  const syms = Array.from({ length: c.nInputs }, (_v, i) => c.symbolicInput(i));
  if (syms.some((s) => s)) {
    // Shape values are 1-D: axis 0 (or -1).
    const axis = c.attr.int('axis', 0);
    if (axis !== 0 && axis !== -1) throw c.refuse(`axis ${axis} joining 1-D shapes`);
    const dims: Dim[] = [];
    for (let i = 0; i < c.nInputs; i++) dims.push(...(syms[i]?.dims ?? c.dims(i)!));
    return [c.shapeValue(dims)];
  }
  const ins: Value[] = [];
  for (let i = 0; i < c.nInputs; i++) if (c.has(i)) ins.push(c.input(i));
  if (!c.attr.has('axis') && c.opset >= 4) throw c.refuse('it has no axis attribute');
  const axis = normAxis(c, c.attr.int('axis', 1), ins[0]!.type.shape.length);
  if (ins.length === 1) return [ins[0]!];
  return [c.op('concat', ins, { dim: axis })];
};

const split: Builder = (c) => {
  const x = c.input(0);
  const xs = x.type.shape;
  const axis = normAxis(c, c.attr.int('axis', 0), xs.length);
  const n = c.outputNames.length;
  let sizes = c.opset < 13 ? c.attr.ints('split') : c.numbers(1, 'split');
  if (!sizes) {
    const len = xs[axis];
    if (typeof len !== 'number') throw c.refuse(`splitting the symbolic dimension '${len}' needs explicit sizes`);
    const parts = c.opset >= 18 && c.attr.has('num_outputs') ? c.attr.int('num_outputs', n) : n;
    const chunk = Math.ceil(len / parts);
    sizes = Array.from({ length: parts }, (_v, i) => Math.max(Math.min(chunk, len - i * chunk), 0));
  }
  if (sizes.length !== n) throw c.refuse(`${sizes.length} split sizes for ${n} outputs`);
  if (n === 1) return [x];
  let at = 0;
  return sizes.map((s) => {
    const v = c.op('sliceAxis', [x], { axis, begin: at, end: at + s });
    at += s;
    return v;
  });
};

/** Slice bounds: numbers, or (input form) symbolic dimensions of a shape value. */
function sliceBounds(c: ImportCtx, slot: number, what: string): Dim[] | null {
  if (c.opset < 10) return c.attr.ints(what);
  return c.symbolicInput(slot) ? c.dims(slot) : c.numbers(slot, what);
}

/**
 * Slices `x` along `axis` from `start` to `end` (step 1) where a bound is a
 * symbolic dimension (torch's pe[:, :x.size(1)]): an end equal to the axis's
 * own size is its end; otherwise `take` at arange(start, end), the symbolic
 * bound read from a graph input that has it.
 */
function symbolicSlice(c: ImportCtx, x: Value, axis: number, start: Dim, end: Dim, step: number): Value {
  const size = x.type.shape[axis]!;
  if (step !== 1) throw c.refuse(`a stepped slice (step ${step}) with the symbolic bound '${typeof start === 'number' ? end : start}'`);
  if (end === size && typeof start === 'number' && start >= 0) return start === 0 ? x : c.op('sliceAxis', [x], { axis, begin: start, end: null });
  const srcs: Value[] = [];
  const bound = (d: Dim, what: string): AttrValue => {
    // x[:, T:]: an end past the axis is the axis's size, read from x itself when symbolic.
    if (what === 'end' && typeof d === 'number' && d >= FAR) d = size;
    if (typeof d === 'number') {
      if (d < 0 || d >= FAR) throw c.refuse(`${what} ${d} with a symbolic ${what === 'start' ? 'end' : 'start'} (only non-negative bounds)`);
      return d;
    }
    const own = x.type.shape.indexOf(d);
    const src = own >= 0 ? { value: x, axis: own } : c.symbolSource(d);
    if (!src) throw c.refuse(`the ${what} is the symbolic dimension '${d}', which no graph input has`);
    let k = srcs.indexOf(src.value);
    if (k < 0) k = srcs.push(src.value) - 1;
    return { input: k, begin: src.axis, end: src.axis + 1 };
  };
  const idx = c.op('arange', srcs, { start: bound(start, 'start'), stop: bound(end, 'end'), step: 1, dtype: 'int64' });
  // 'raise': an end past the axis fails the run (onnxruntime's Gather) rather than reading wrong elements.
  return c.op('take', [x, idx], { axis, mode: 'raise' });
}

/**
 * The positions `x[s:e:k]` reads along an axis of `n` elements (`nv` its
 * size as an int64 scalar), for int64 scalars s, e and k known only at run
 * time, clamped as ONNX's Slice says (onnx/defs/tensor/defs.cc, Slice-13:
 * negative starts and ends have the size added; then a start is clamped to
 * [0, n] for a positive step and [0, n - 1] for a negative one, an end to
 * [0, n] and [-1, n - 1]): the positions q of the axis in the step's
 * direction (0..n-1, or n-1..0) with (q - s)·sign(k) ≥ 0, (e - q)·sign(k) > 0
 * and (q - s)·sign(k) a multiple of |k|, found by `nonzero`. A step of 0
 * (which ONNX forbids) gives every position moved past the axis, so `take`
 * fails when it runs rather than reading wrong elements (an empty axis
 * excepted: nothing to read).
 */
function slicePositions(c: ImportCtx, x: Value, axis: number, [s, e, k]: Value[]): Value {
  const n = x.type.shape[axis]!;
  const i64 = (v: number) => c.scalar(v, 'int64');
  const nv = typeof n === 'number' ? i64(n) : c.op('reshape', [c.op('shapeArray', [x], { axis })], { shape: [] });
  const p = typeof n === 'number' ? c.constant(tensorFromNumbers('int64', [n], Array.from({ length: n }, (_v, j) => j))) : c.op('arange', [x], { start: 0, stop: { input: 0, begin: axis, end: axis + 1 }, step: 1, dtype: 'int64' });
  const back = c.op('lesser', [k!, i64(0)]);
  const last = c.op('sub', [nv, i64(1)]);
  const q = c.op('where', [back, c.op('sub', [last, p]), p]);
  const wrap = (b: Value) => c.op('where', [c.op('lesser', [b, i64(0)]), c.op('add', [b, nv]), b]);
  const clamp = (b: Value, lo: Value, hi: Value) => c.op('minimum', [c.op('maximum', [b, lo]), hi]);
  const s1 = clamp(wrap(s!), i64(0), c.op('where', [back, last, nv]));
  const e1 = clamp(wrap(e!), c.op('where', [back, i64(-1), i64(0)]), c.op('where', [back, last, nv]));
  const dir = c.op('where', [back, i64(-1), i64(1)]);
  const m = c.op('maximum', [c.op('abs', [k!]), i64(1)]);
  const off = c.op('mul', [c.op('sub', [q, s1]), dir]);
  const on = c.op('equal', [c.op('sub', [off, c.op('mul', [c.op('div', [off, m]), m])]), i64(0)]);
  const and = (a: Value, b: Value) => c.op('where', [a, b, a]);
  const zero = c.op('equal', [k!, i64(0)]);
  const keep = and(and(c.op('greaterEqual', [off, i64(0)]), c.op('greater', [c.op('mul', [c.op('sub', [e1, q]), dir]), i64(0)])), on);
  // Step 0: every position, moved past the axis.
  const at = c.op('take', [q, c.op('reshape', [c.op('nonzero', [c.op('where', [zero, c.op('greaterEqual', [q, i64(0)]), keep])])], { shape: [-1] })], { axis: 0 });
  return c.op('where', [zero, c.op('add', [at, nv]), at]);
}

/**
 * Slice whose starts, ends, axes or steps are computed at run time (a Loop
 * body's x[i:i+1], x[::-i]): each sliced axis reads `slicePositions` with
 * `take` (gradients: take's scatter-add); the length is known when it
 * runs. Axes computed at run time: every axis of `x` reads the entries
 * whose axis (negative ones wrapped) is it, and all of itself where none is.
 */
function runtimeSlice(c: ImportCtx): Value {
  const x = c.input(0);
  const rank = x.type.shape.length;
  const [starts, ends] = [castTo(c, c.input(1), 'int64'), castTo(c, c.input(2), 'int64')];
  const k = starts.type.shape[0];
  if (starts.type.shape.length !== 1 || typeof k !== 'number' || ends.type.shape.join() !== starts.type.shape.join()) throw c.refuse(`starts ${formatShape(starts.type.shape)} and ends ${formatShape(ends.type.shape)} must be two 1-D lists of one known length`);
  const list = (slot: number, what: string, fill: number): Value => {
    const v = c.has(slot) ? castTo(c, c.input(slot), 'int64') : c.constant(tensorFromNumbers('int64', [k], new Array<number>(k).fill(fill)));
    if (v.type.shape.join() !== String(k)) throw c.refuse(`${what} ${formatShape(v.type.shape)} for ${k} starts (one per sliced axis)`);
    return v;
  };
  const steps = list(4, 'steps', 1);
  const stepsKnown = c.has(4) ? c.data(4) : null;
  if (stepsKnown && tensorToNumbers(stepsKnown).some((v) => v === 0)) throw c.refuse(`step 0 in steps [${tensorToNumbers(stepsKnown).join(', ')}]`);
  const entry = (v: Value, i: number) => c.op('reshape', [c.op('take', [v, c.scalar(i, 'int64')], { axis: 0 })], { shape: [] });
  const axesKnown = !c.has(3) || c.data(3);
  let y = x;
  if (axesKnown) {
    const axes = (c.numbers(3, 'axes') ?? Array.from({ length: k }, (_v, i) => i)).map((a) => normAxis(c, a, rank, 'slice axis'));
    if (new Set(axes).size !== axes.length) throw c.refuse(`axes [${axes.join(', ')}] repeat an axis`);
    axes.forEach((axis, i) => (y = c.op('take', [y, slicePositions(c, y, axis, [starts, ends, steps].map((v) => entry(v, i)))], { axis, mode: 'raise' })));
    return y;
  }
  const axes = list(3, 'axes', 0);
  const wrapped = c.op('where', [c.op('lesser', [axes, c.scalar(0, 'int64')]), c.op('add', [axes, c.scalar(rank, 'int64')]), axes]);
  for (let axis = 0; axis < rank; axis++) {
    const mine = c.op('equal', [wrapped, c.scalar(axis, 'int64')]);
    const has = c.op('greater', [c.op('sum', [c.op('cast', [mine], { dtype: 'int64' })], { axis: null, keepdims: false }), c.scalar(0, 'int64')]);
    const pick = (v: Value, none: number) => c.op('where', [has, c.op('sum', [c.op('where', [mine, v, c.scalar(0, 'int64')])], { axis: null, keepdims: false }), c.scalar(none, 'int64')]);
    y = c.op('take', [y, slicePositions(c, y, axis, [pick(starts, 0), pick(ends, FAR), pick(steps, 1)])], { axis, mode: 'raise' });
  }
  return y;
}

/** Slice: attributes before opset 10, inputs (starts, ends, axes, steps) after. */
const slice: Builder = (c) => {
  const old = c.opset < 10;
  const runtime = (i: number) => c.has(i) && !c.data(i) && !c.symbolicInput(i);
  // Starts, ends, axes or steps computed at run time (none a shape value): positions found when it runs.
  // Bounds that are shape values then become tensors too (dynamo's roll over a symbolic axis: Slice(x, Mod(s, H), H)).
  if (!old && !c.symbolicInput(0) && [1, 2, 3, 4].some(runtime)) return [runtimeSlice(c)];
  const startsD = sliceBounds(c, 1, 'starts');
  const endsD = sliceBounds(c, 2, 'ends');
  if (!startsD || !endsD || startsD.length !== endsD.length) throw c.refuse('starts and ends must be given with one entry per sliced axis');
  const symbolicAt = startsD.map((d, i) => typeof d !== 'number' || typeof endsD[i] !== 'number');
  const starts = startsD.map((d) => (typeof d === 'number' ? d : 0));
  const ends = endsD.map((d) => (typeof d === 'number' ? d : FAR));
  const axesIn = old ? c.attr.ints('axes') : c.numbers(3, 'axes');
  const steps = (old ? null : c.numbers(4, 'steps')) ?? starts.map(() => 1);
  const sym = c.symbolicInput(0);
  const rank = sym ? 1 : c.input(0).type.shape.length;
  const axes = (axesIn ?? starts.map((_s, i) => i)).map((a) => normAxis(c, a, rank, 'slice axis'));
  const big = (v: number) => (Math.abs(v) >= FAR ? null : v);
  if (sym) {
    if (symbolicAt.some((b) => b)) throw c.refuse('a slice of a shape with symbolic bounds');
    if (steps[0] !== 1) throw c.refuse('a stepped slice of a shape value');
    const n = sym.dims.length;
    const b = Math.min(Math.max(starts[0]! < 0 ? starts[0]! + n : starts[0]!, 0), n);
    const e = Math.min(Math.max(ends[0]! < 0 ? ends[0]! + n : ends[0]!, 0), n);
    return [c.shapeValue(sym.dims.slice(b, Math.max(b, e)))];
  }
  const begin: (number | null)[] = new Array<number | null>(rank).fill(null);
  const end: (number | null)[] = new Array<number | null>(rank).fill(null);
  const step: (number | null)[] = new Array<number | null>(rank).fill(null);
  axes.forEach((a, i) => {
    if (steps[i] === 0) throw c.refuse(`step 0 on axis ${a}`);
    if (symbolicAt[i]) return;
    begin[a] = big(starts[i]!);
    end[a] = big(ends[i]!);
    step[a] = steps[i]!;
  });
  let y = step.some((v) => v !== null) ? c.op('slice', [c.input(0)], { begin, end, step } as never) : c.input(0);
  axes.forEach((a, i) => symbolicAt[i] && (y = symbolicSlice(c, y, a, startsD[i]!, endsD[i]!, steps[i]!)));
  return [y];
};

/**
 * Gather: constant picks from shape values, else `take` in mode 'raise':
 * ONNX's [-n, n) (negatives count from the end), any other index an error,
 * as onnxruntime's and PyTorch's (an Embedding's id past its rows), never a wrapped row.
 */
const gather: Builder = (c) => {
  const axis = c.attr.int('axis', 0);
  const sym = c.symbolicInput(0);
  if (sym) {
    const idx = c.numbers(1, 'the indices of a gather from a shape');
    const t = c.data(1)!;
    const n = sym.dims.length;
    const dims = idx!.map((i) => sym.dims[i < 0 ? i + n : i]!);
    return [c.shapeValue(dims, t.shape.length === 0)];
  }
  const x = c.input(0);
  return [c.op('take', [x, c.input(1)], { axis: normAxis(c, axis, x.type.shape.length), mode: 'raise' })];
};

/** Expand: bidirectional broadcast; the input's own dimensions are kept with MXNet's 0. */
const expand: Builder = (c) => {
  let x = c.input(0);
  const target = c.dims(1)!;
  while (x.type.shape.length < target.length) x = c.op('expandDims', [x], { axis: 0 });
  const xs = x.type.shape;
  const pad = xs.length - target.length;
  const symbolic: number[] = [];
  const out = xs.map((d, i): number => {
    const t = i < pad ? 1 : target[i - pad]!;
    if (t === 1 || t === d) return 0;
    if (typeof t === 'number') {
      if (d !== 1 && typeof d === 'number') throw c.refuse(`dimension ${i} of size ${d} cannot broadcast to ${t}`);
      return t;
    }
    if (d !== 1) throw c.refuse(`dimension ${i} (${d}) cannot broadcast to the symbolic size '${t}'`);
    symbolic.push(i);
    return 0;
  });
  if (!out.every((d) => d === 0)) x = c.op('broadcastTo', [x], { shape: out });
  if (!symbolic.length) return [x];
  // Symbolic sizes are read at run time from a tensor that has them.
  const like = shapedLike(c, symbolic.map((i) => target[i - pad]!), x, 'the target shape');
  return [c.op('broadcastLike', [x, like], { lhsAxes: symbolic, rhsAxes: symbolic.map((_i, k) => k) })];
};

const tile: Builder = (c) => {
  const reps = c.numbers(1, 'repeats')!;
  return [c.op('tile', [c.input(0)], { reps })];
};

const pad: Builder = (c) => {
  const x = c.input(0);
  const r = x.type.shape.length;
  const mode = c.attr.str('mode', 'constant');
  if (!['constant', 'edge', 'reflect', 'wrap'].includes(mode)) throw c.refuse(`mode '${mode}' is not supported (constant, edge, reflect, wrap)`);
  const old = c.opset < 11;
  const pads = old ? c.attr.ints(c.opset < 2 ? 'paddings' : 'pads') : c.numbers(1, 'pads');
  const value = old ? c.attr.float('value', 0) : (c.numbers(2, 'constant_value')?.[0] ?? 0);
  const axes = (old ? null : c.numbers(3, 'axes'))?.map((a) => normAxis(c, a, r)) ?? Array.from({ length: r }, (_v, i) => i);
  if (!pads || pads.length !== 2 * axes.length) throw c.refuse(`pads must hold 2 entries per padded axis (${axes.length} axes), got ${JSON.stringify(pads)}`);
  if (pads.some((p) => p < 0)) throw c.refuse(`negative pads ${JSON.stringify(pads)} (cropping) are not supported`);
  const width = new Array<number>(2 * r).fill(0);
  axes.forEach((a, i) => {
    width[2 * a] = pads[i]!;
    width[2 * a + 1] = pads[i + axes.length]!;
  });
  if (width.every((p) => p === 0)) return [x];
  if (mode === 'wrap') return [wrapPad(c, x, width)];
  return [c.op('pad', [x], { mode, padWidth: width, constantValue: value })];
};

/**
 * Pad mode 'wrap' (the data as a torus, numpy's `np.pad(mode='wrap')`): per
 * padded axis of known size d, one `take` of the indices -before .. d+after-1
 * taken modulo d.
 */
function wrapPad(c: ImportCtx, x: Value, width: number[]): Value {
  let y = x;
  x.type.shape.forEach((d, axis) => {
    const [before, after] = [width[2 * axis]!, width[2 * axis + 1]!];
    if (!before && !after) return;
    if (typeof d !== 'number' || d === 0) throw c.refuse(`mode 'wrap' on ${typeof d === 'number' ? 'the empty' : `the symbolic dimension '${d}' of`} axis ${axis}`);
    const at = Array.from({ length: before + d + after }, (_v, i) => (((i - before) % d) + d) % d);
    y = c.op('take', [y, c.constant(tensorFromNumbers('int64', [at.length], at))], { axis, mode: 'clip' });
  });
  return y;
}

/** EyeLike: ones on diagonal `k` of a matrix of the input's (known) shape. */
const eyeLike: Builder = (c) => {
  const x = c.input(0);
  const [r, cols] = concreteDims(c, x.type.shape, 'the shape');
  if (x.type.shape.length !== 2) throw c.refuse(`input of rank ${x.type.shape.length} (EyeLike takes a matrix)`);
  const k = c.attr.int('k', 0);
  const dtype = c.attr.has('dtype') ? dtypeOf(c, c.attr.int('dtype', 1), 'attribute dtype') : x.type.dtype;
  const values = Array.from({ length: r! * cols! }, (_v, i) => (i % cols! === Math.floor(i / cols!) + k ? 1 : 0));
  return [c.constant(tensorFromNumbers(dtype, [r!, cols!], values))];
};

/** Hann, Hamming and Blackman windows of a constant size: constants (cosine sums, ONNX's coefficients). */
function window(coeffs: number[]): Builder {
  return (c) => {
    const size = c.numbers(0, 'size')![0]!;
    const periodic = c.attr.int('periodic', 1) === 1;
    const dtype = dtypeOf(c, c.attr.int('output_datatype', 1), 'attribute output_datatype');
    const n1 = periodic ? size : size - 1;
    const values = Array.from({ length: size }, (_v, k) => coeffs.reduce((s, a, j) => s + (j % 2 ? -a : a) * Math.cos((2 * Math.PI * j * k) / n1), 0));
    return [c.constant(tensorFromNumbers(dtype, [size], values))];
  };
}

/** The shape and indexing importers by ONNX operator. */
export const SHAPE_IMPORTS: Record<string, Builder> = {
  Constant: constantNode,
  ConstantOfShape: constantOfShape,
  Range: range,
  Shape: shape,
  Size: size,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  Expand: expand,
  Tile: tile,
  Pad: pad,
  EyeLike: eyeLike,
  HannWindow: window([0.5, 0.5]),
  HammingWindow: window([25 / 46, 21 / 46]),
  BlackmanWindow: window([0.42, 0.5, 0.08]),
};
