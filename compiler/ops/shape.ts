/**
 * Shape operators: reshape (with MXNet's special codes), reshapeLike, transpose,
 * expandDims, squeeze, flatten, concat, stack, split, tile, repeat,
 * broadcastTo, broadcastLike, cast, zerosLike and onesLike; the indexing
 * operators of `index-ops.ts` are merged into `SHAPE_OPS` at the bottom.
 * Invariant: type rules accept symbolic dimensions; where an ONNX shape
 * depends on one it is built at runtime from `Shape` pieces.
 */
import { DTYPES, isDType, isFloat, onnxDType as onnxTo } from '../../runtime/dtypes.js';
import { formatShape, stridesOf, writeElement, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import { isConcrete, type DType, type Dim, type Shape, type TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type Method, type OpDef, type Tx } from './define.js';
import { addDims, divDim, mulDims, normAxis, sameDim } from './dims.js';
import { commonDType } from './elementwise.js';
import { OpError } from './errors.js';
import { alloc, bool, dimOf, gather, INDEX_OPS, ints, linearGrad, offset, opaque, typedLike, withShape } from './index-ops.js';
import { broadcastIndex, fromF64, toF64 } from './kernels.js';
import type { F as FOps, Tensor } from './tensor.js';

const range = (n: number): number[] => [...Array(n).keys()];

/** Normalizes the position of a new axis (range [-rank-1, rank]); out of range is an OpError. */
function insertAxis(op: string, axis: number, rank: number, types: TensorType[] = []): number {
  if (!Number.isInteger(axis) || axis < -rank - 1 || axis > rank) {
    throw new OpError(op, `axis ${JSON.stringify(axis)} is out of range for inserting an axis into rank ${rank} (valid: ${-rank - 1} to ${rank})`, types);
  }
  return axis < 0 ? axis + rank + 1 : axis;
}

/** A dimension as a coefficient and its sorted symbol names (for size checks). */
function mono(d: Dim): { coef: number; syms: string } {
  if (typeof d === 'number') return { coef: d, syms: '' };
  let coef = 1;
  const syms: string[] = [];
  for (const p of d.split('*')) {
    const n = Number(p);
    if (p !== '' && Number.isFinite(n)) coef *= n;
    else syms.push(p);
  }
  return { coef, syms: syms.sort().join('*') };
}

/** True when two sizes are known to differ (same symbols, different coefficients). */
function knownDifferent(a: Dim, b: Dim): boolean {
  const x = mono(a);
  const y = mono(b);
  return x.syms === y.syms && x.coef !== y.coef;
}

/**
 * `g` reshaped back to the shape `t` of input `x`: a literal reshape when `t`
 * is concrete (so `x` is not needed), else reshapeLike.
 */
function reshapeBack(F: FOps, g: Tensor, x: Tensor, t: TensorType): Tensor {
  const s = t.shape;
  if (isConcrete(s) && !s.includes(0)) return F.reshape(g, s as number[]);
  return F.reshapeLike(g, x);
}

// ---------------------------------------------------------------- reshape

/** Where each output dimension of a reshape comes from. */
type Piece =
  | { k: 'const'; v: number }
  | { k: 'dims'; from: number; to: number }
  | { k: 'infer' }
  | { k: 'split'; dim: number; by: number };

type ReshapeA = Attrs & { shape: number[]; reverse: boolean };

/** MXNet's reshape rule: the pieces of the output and its shape. */
function reshapePlan(types: TensorType[], a: ReshapeA): { pieces: Piece[]; shape: Shape } {
  const t = types[0]!;
  if (a.shape === null || a.shape === undefined) throw new OpError('reshape', 'needs a target shape', types);
  const spec = ints('reshape', 'shape', a.shape, types);
  bool('reshape', 'reverse', a.reverse, types);
  const n = t.shape.length;
  const bad = (why: string): never => {
    throw new OpError('reshape', `cannot reshape ${formatShape(t.shape)} to ${formatShape(spec)}${a.reverse ? ' (reverse)' : ''}: ${why}`, types);
  };
  const ds = a.reverse ? [...t.shape].reverse() : t.shape;
  const sp = a.reverse ? [...spec].reverse() : spec;
  if (a.reverse && sp.includes(-4)) bad('-4 cannot be used with reverse');
  const pieces: Piece[] = [];
  let src = 0;
  const need = (k: number) => {
    if (src + k > n) bad(`the codes use more input dimensions than the ${n} there are`);
  };
  for (let i = 0; i < sp.length; i++) {
    const v = sp[i]!;
    if (v === 0) {
      need(1);
      pieces.push({ k: 'dims', from: src, to: ++src });
    } else if (v === -1) {
      if (pieces.some((p) => p.k === 'infer')) bad('more than one -1');
      pieces.push({ k: 'infer' });
      src++;
    } else if (v === -2) {
      while (src < n) pieces.push({ k: 'dims', from: src, to: ++src });
    } else if (v === -3) {
      need(2);
      pieces.push({ k: 'dims', from: src, to: (src += 2) });
    } else if (v === -4) {
      need(1);
      const d1 = sp[++i];
      const d2 = sp[++i];
      if (d1 === undefined || d2 === undefined || d1 < -1 || d2 < -1 || d1 === 0 || d2 === 0) bad('-4 must be followed by two sizes (one may be -1)');
      if (d1 === -1 && d2 === -1) bad('-4 is followed by two -1');
      if (d1 === -1) pieces.push({ k: 'split', dim: src, by: d2! }, { k: 'const', v: d2! });
      else if (d2 === -1) pieces.push({ k: 'const', v: d1! }, { k: 'split', dim: src, by: d1! });
      else {
        const d0 = ds[src]!;
        if (typeof d0 === 'number' && d0 !== d1! * d2!) bad(`-4 splits dimension ${d0} into ${d1} x ${d2}`);
        pieces.push({ k: 'const', v: d1! }, { k: 'const', v: d2! });
      }
      src++;
    } else if (v > 0) {
      pieces.push({ k: 'const', v });
      src++;
    } else bad(`unknown code ${v}`);
  }
  const dims: (Dim | null)[] = pieces.map((p) => {
    if (p.k === 'const') return p.v;
    if (p.k === 'dims') return mulDims(ds.slice(p.from, p.to));
    if (p.k === 'infer') return null;
    const d0 = ds[p.dim]!;
    if (typeof d0 === 'number' && d0 % p.by !== 0) bad(`-4 cannot split dimension ${d0} by ${p.by}`);
    return divDim(d0, p.by) ?? opaque(`${d0}/${p.by}`);
  });
  const total = mulDims(t.shape);
  const k = dims.indexOf(null);
  if (k >= 0) {
    const known = mulDims(dims.filter((d): d is Dim => d !== null));
    if (typeof total === 'number' && typeof known === 'number') {
      if (known === 0 || total % known !== 0) bad(`${total} elements cannot be split into ${known} x -1`);
      dims[k] = total / known;
    } else {
      const [mt, mk] = [mono(total), mono(known)];
      if (mt.syms === mk.syms && (mk.coef === 0 || mt.coef % mk.coef !== 0)) bad(`${total} elements cannot be split into ${known} x -1`);
      dims[k] = divDim(total, known) ?? opaque(`${total}/${known}`);
    }
  } else {
    const size = mulDims(dims as Dim[]);
    if (knownDifferent(total, size)) bad(`${total} elements do not fit ${size}`);
  }
  let shape = dims as Dim[];
  let out = pieces;
  if (a.reverse) {
    shape = [...shape].reverse();
    out = pieces
      .map((p): Piece => (p.k === 'dims' ? { k: 'dims', from: n - p.to, to: n - p.from } : p.k === 'split' ? { ...p, dim: n - 1 - p.dim } : p))
      .reverse();
  }
  return { pieces: out, shape };
}

function reshapeLower(c: LowerCtx, a: ReshapeA): void {
  const { pieces, shape } = reshapePlan(c.inTypes, a);
  const x = c.inputs[0]!;
  if (isConcrete(shape)) return void c.emit('Reshape', [x, c.ints(shape)], {}, c.outputs);
  // ONNX's own codes where they coincide (0 copies the same position, one -1 infers).
  let minus = pieces.some((p) => p.k === 'infer');
  const codes = pieces.map((p, i): number | null => {
    const d = shape[i]!;
    if (typeof d === 'number' && d !== 0) return d;
    if (p.k === 'infer') return -1;
    if (p.k === 'dims' && p.to - p.from === 1 && p.from === i) return 0;
    if (!minus) {
      minus = true;
      return -1;
    }
    return null;
  });
  if (codes.every((v) => v !== null)) return void c.emit('Reshape', [x, c.ints(codes as number[])], {}, c.outputs);
  const parts = pieces.map((p, i): string => {
    const d = shape[i]!;
    if (typeof d === 'number') return c.ints([d]);
    if (p.k === 'infer') return c.ints([-1]);
    if (p.k === 'const') return c.ints([p.v]);
    if (p.k === 'split') return c.emit('Div', [dimOf(c, x, p.dim), c.ints([p.by])])[0]!;
    if (p.to - p.from === 1) return dimOf(c, x, p.from);
    const [s] = c.emit('Shape', [x], { start: p.from, end: p.to });
    return c.emit('ReduceProd', [s!], { keepdims: 1 })[0]!;
  });
  const [target] = c.emit('Concat', parts, { axis: 0 });
  c.emit('Reshape', [x, target!], {}, c.outputs);
}

type ReshapeSig = Method<(data: Tx, shape: number[] | { shape: number[]; reverse?: boolean }, options?: { reverse?: boolean }) => Tx>;

/**
 * Reshapes with MXNet's codes: 0 copies a dimension, -1 infers one, -2 copies
 * the rest, -3 merges two, -4 splits one into the next two values; `reverse`
 * applies them from the right. Example: `x.reshape([0, -1])` ([N, 3, 4] -> [N, 12]).
 */
export const reshape: OpDef<ReshapeSig, ReshapeA> = defineOp<ReshapeSig, ReshapeA>({
  name: 'reshape',
  inputs: ['data'],
  attrs: { shape: null, reverse: false },
  positional: ['shape'],
  method: true,
  infer: (types, a) => [{ dtype: types[0]!.dtype, shape: reshapePlan(types, a).shape }],
  lower: reshapeLower,
  kernel: ([x], _a, [out]) => [withShape(x!, out!.shape as number[])],
  grad: linearGrad((F, { inputs: [x], inTypes }, g) => reshapeBack(F, g, x!, inTypes[0]!)),
});

/**
 * Reshapes `lhs` to the shape of `rhs` (same number of elements; MXNet's
 * `reshape_like` without its begin/end options). Example: `F.reshapeLike(g, x)`.
 */
export const reshapeLike: OpDef<(lhs: Tx, rhs: Tx) => Tx> = defineOp<(lhs: Tx, rhs: Tx) => Tx>({
  name: 'reshapeLike',
  inputs: ['lhs', 'rhs'],
  infer: (types) => {
    const [l, r] = types as [TensorType, TensorType];
    const [a, b] = [mulDims(l.shape), mulDims(r.shape)];
    if (knownDifferent(a, b)) throw new OpError('reshapeLike', `cannot reshape ${formatShape(l.shape)} (${a} elements) like ${formatShape(r.shape)} (${b} elements)`, types);
    return [{ dtype: l.dtype, shape: [...r.shape] }];
  },
  lower: (c) => {
    const s = c.inTypes[1]!.shape;
    const target = isConcrete(s) ? c.ints(s) : c.emit('Shape', [c.inputs[1]!])[0]!;
    c.emit('Reshape', [c.inputs[0]!, target], { allowzero: 1 }, c.outputs);
  },
  kernel: ([x], _a, [out]) => [withShape(x!, out!.shape as number[])],
  grad: linearGrad((F, { inputs: [lhs], inTypes }, g) => reshapeBack(F, g, lhs!, inTypes[0]!)),
});

// ---------------------------------------------------------------- axes

function perm(types: TensorType[], axes: unknown): number[] {
  const r = types[0]!.shape.length;
  if (axes === null || axes === undefined || (Array.isArray(axes) && axes.length === 0)) return range(r).reverse();
  const list = ints('transpose', 'axes', axes, types).map((x) => normAxis('transpose', x, r, types));
  if (list.length !== r || new Set(list).size !== r) {
    throw new OpError('transpose', `axes ${JSON.stringify(axes)} is not a permutation of the ${r} axes`, types);
  }
  return list;
}

type TransposeSig = Method<(data: Tx, axes?: number[] | { axes?: number[] }) => Tx>;

/**
 * Permutes the axes (reverses them when `axes` is absent). Example: `x.transpose([0, 2, 1])`.
 */
export const transpose: OpDef<TransposeSig, Attrs & { axes: number[] | null }> = defineOp<TransposeSig, Attrs & { axes: number[] | null }>({
  name: 'transpose',
  inputs: ['data'],
  attrs: { axes: null },
  positional: ['axes'],
  method: true,
  infer: (types, a) => [{ dtype: types[0]!.dtype, shape: perm(types, a.axes).map((k) => types[0]!.shape[k]!) }],
  lower: (c, a) => void c.emit('Transpose', c.inputs, { perm: perm(c.inTypes, a.axes) }, c.outputs),
  kernel: ([x], a, [out]) => {
    const p = perm([x!], a.axes);
    const s = stridesOf(x!.shape);
    const ps = p.map((k) => s[k]!);
    return [gather(x!, out!.shape as number[], (idx) => offset(idx, ps))];
  },
  grad: linearGrad((F, { inTypes, attrs }, g) => {
    const p = perm(inTypes, attrs.axes);
    const inv = p.map(() => 0);
    p.forEach((k, i) => (inv[k] = i));
    return F.transpose(g, inv);
  }),
});

type ExpandDimsSig = Method<(data: Tx, axis: number | { axis: number }) => Tx>;

/** Inserts an axis of size 1 at `axis`. Example: `x.expandDims(1)` ([3, 4] -> [3, 1, 4]). */
export const expandDims: OpDef<ExpandDimsSig, Attrs & { axis: number }> = defineOp<ExpandDimsSig, Attrs & { axis: number }>({
  name: 'expandDims',
  inputs: ['data'],
  attrs: { axis: null },
  positional: ['axis'],
  method: true,
  infer: (types, a) => {
    const s = [...types[0]!.shape];
    if (a.axis === null) throw new OpError('expandDims', 'needs an axis', types);
    s.splice(insertAxis('expandDims', a.axis, s.length, types), 0, 1);
    return [{ dtype: types[0]!.dtype, shape: s }];
  },
  lower: (c, a) => void c.emit('Unsqueeze', [c.inputs[0]!, c.ints([insertAxis('expandDims', a.axis, c.inTypes[0]!.shape.length)])], {}, c.outputs),
  kernel: ([x], _a, [out]) => [withShape(x!, out!.shape as number[])],
  grad: linearGrad((F, { inTypes, attrs }, g) => F.squeeze(g, insertAxis('expandDims', attrs.axis as number, inTypes[0]!.shape.length))),
});

/** The axes squeeze removes (symbolic dimensions are not taken for 1 when `axis` is null). */
function squeezeAxes(types: TensorType[], axis: unknown): number[] {
  const s = types[0]!.shape;
  if (axis === null || axis === undefined) return range(s.length).filter((k) => s[k] === 1);
  const list = ints('squeeze', 'axis', axis, types).map((x) => normAxis('squeeze', x, s.length, types));
  if (new Set(list).size !== list.length) throw new OpError('squeeze', `axis ${JSON.stringify(axis)} repeats an axis`, types);
  for (const k of list) {
    if (typeof s[k] === 'number' && s[k] !== 1) throw new OpError('squeeze', `axis ${k} has size ${s[k]}, not 1`, types);
  }
  return list.sort((x, y) => x - y);
}

type SqueezeSig = Method<(data: Tx, axis?: number | number[] | null | { axis?: number | number[] | null }) => Tx>;

/**
 * Removes axes of size 1 (all of them when `axis` is null); as in MXNet at
 * least one dimension stays. Example: `x.squeeze(1)` ([3, 1, 4] -> [3, 4]).
 */
export const squeeze: OpDef<SqueezeSig, Attrs & { axis: number | number[] | null }> = defineOp<SqueezeSig, Attrs & { axis: number | number[] | null }>({
  name: 'squeeze',
  inputs: ['data'],
  attrs: { axis: null },
  positional: ['axis'],
  method: true,
  // With axis null the removed axes depend on which dimensions are 1.
  lowerNeedsShape: true,
  infer: (types, a) => {
    const s = types[0]!.shape;
    const axes = squeezeAxes(types, a.axis);
    const shape = s.filter((_d, k) => !axes.includes(k));
    return [{ dtype: types[0]!.dtype, shape: shape.length === 0 && s.length > 0 ? [1] : shape }];
  },
  lower: (c, a) => {
    const axes = squeezeAxes(c.inTypes, a.axis);
    const r = c.inTypes[0]!.shape.length;
    if (axes.length === 0) return void c.emit('Identity', c.inputs, {}, c.outputs);
    if (axes.length === r) return void c.emit('Reshape', [c.inputs[0]!, c.ints([1])], {}, c.outputs);
    c.emit('Squeeze', [c.inputs[0]!, c.ints(axes)], {}, c.outputs);
  },
  kernel: ([x], _a, [out]) => [withShape(x!, out!.shape as number[])],
  grad: linearGrad((F, { inputs: [x], inTypes }, g) => reshapeBack(F, g, x!, inTypes[0]!)),
});

/** Collapses all axes but the first: [d0, d1, ...] -> [d0, d1 * ...]. Example: `x.flatten()`. */
export const flatten: OpDef<Method<(data: Tx) => Tx>> = defineOp<Method<(data: Tx) => Tx>>({
  name: 'flatten',
  inputs: ['data'],
  method: true,
  infer: (types) => {
    const s = types[0]!.shape;
    if (s.length === 0) throw new OpError('flatten', 'needs at least one axis', types);
    return [{ dtype: types[0]!.dtype, shape: [s[0]!, mulDims(s.slice(1))] }];
  },
  lower: (c) => void c.emit('Flatten', c.inputs, { axis: 1 }, c.outputs),
  kernel: ([x], _a, [out]) => [withShape(x!, out!.shape as number[])],
  grad: linearGrad((F, { inputs: [x], inTypes }, g) => reshapeBack(F, g, x!, inTypes[0]!)),
});

// ---------------------------------------------------------------- joining and splitting

/** The common shape of inputs except along `skip` (a symbolic dim yields to a number). */
function joinShapes(op: string, types: TensorType[], skip: number | null): Shape {
  const r = types[0]!.shape.length;
  if (types.some((t) => t.shape.length !== r)) {
    throw new OpError(op, `inputs have different ranks: ${types.map((t) => formatShape(t.shape)).join(', ')}`, types);
  }
  const shape = [...types[0]!.shape];
  for (const t of types.slice(1)) {
    t.shape.forEach((d, k) => {
      if (k === skip) return;
      const e = shape[k]!;
      if (sameDim(d, e)) return;
      if (typeof d === 'number' && typeof e === 'number') {
        throw new OpError(op, `shapes ${types.map((x) => formatShape(x.shape)).join(', ')} differ in axis ${k}${skip === null ? '' : ` (only axis ${skip} may differ)`}`, types);
      }
      if (typeof d === 'number') shape[k] = d;
    });
  }
  return shape;
}

/** Fills a parameter's unknown (0) dimensions from the other inputs, except along `skip`. */
function solveJoin(types: TensorType[], skip: (r: number) => number | null): (Shape | undefined)[] {
  return types.map((t) => {
    if (!t.shape.includes(0)) return undefined;
    const sk = skip(t.shape.length);
    return t.shape.map((d, k) => {
      if (d !== 0 || k === sk) return d;
      for (const o of types) if (o !== t && o.shape.length === t.shape.length && o.shape[k] !== 0) return o.shape[k]!;
      return 0;
    });
  });
}

/** Copies contiguous blocks: input `j` contributes `chunk[j]` elements per each of `outer` rows. */
function interleave(ins: HostTensor[], out: TensorType, outer: number, chunk: number[]): HostTensor {
  const o = alloc(out.dtype, out.shape as number[]);
  const dst = o.data as unknown as Float64Array;
  let pos = 0;
  for (let r = 0; r < outer; r++) {
    ins.forEach((t, j) => {
      const c = chunk[j]!;
      dst.set((t.data as unknown as Float64Array).subarray(r * c, r * c + c), pos);
      pos += c;
    });
  }
  return o;
}

const prod = (xs: readonly number[]): number => xs.reduce((p, x) => p * x, 1);

type ConcatA = Attrs & { dim: number };

type ConcatSig = (...args: Tx[] | [...Tx[], { dim?: number }]) => Tx;

/**
 * Joins inputs along an existing axis (`dim`, MXNet's default 1).
 * Example: `F.concat(a, b, { dim: 0 })`.
 */
export const concat: OpDef<ConcatSig, ConcatA> = defineOp<ConcatSig, ConcatA>({
  name: 'concat',
  inputs: ['...data'],
  attrs: { dim: 1 },
  infer: (types, a) => {
    const dtype = commonDType('concat', types);
    const r = types[0]!.shape.length;
    if (r === 0) throw new OpError('concat', 'cannot join 0-d inputs (use stack)', types);
    const ax = normAxis('concat', a.dim, r, types);
    const shape = joinShapes('concat', types, ax);
    shape[ax] = types.map((t) => t.shape[ax]!).reduce((x, y) => addDims(x, y));
    return [{ dtype, shape }];
  },
  solve: (types, a) => solveJoin(types, (r) => (a.dim < 0 ? a.dim + r : a.dim)),
  lower: (c, a) => void c.emit('Concat', c.inputs, { axis: normAxis('concat', a.dim, c.inTypes[0]!.shape.length) }, c.outputs),
  kernel: (ins, a, [out]) => {
    const ax = normAxis('concat', a.dim, ins[0]!.shape.length);
    return [interleave(ins, out!, prod(ins[0]!.shape.slice(0, ax)), ins.map((t) => prod(t.shape.slice(ax))))];
  },
  // Each input gets its band of g. Offsets are counted from the front up to the one input
  // whose size along the axis may be symbolic, and from the back after it.
  grad: (F, { inputs, inTypes, attrs }, [g]) => {
    if (!g) return inTypes.map(() => null);
    const ax = normAxis('concat', attrs.dim as number, inTypes[0]!.shape.length);
    const sizes = inTypes.map((t) => t.shape[ax]!);
    const open = sizes.flatMap((d, i) => (typeof d === 'number' ? [] : [i]));
    if (open.length > 1) {
      throw new OpError('concat', `cannot differentiate: the sizes along axis ${ax} (${sizes.join(', ')}) are symbolic in more than one input`, inTypes);
    }
    const k = open.length ? open[0]! : sizes.length;
    const total = (from: number, to: number) => (sizes.slice(from, to) as number[]).reduce((x, y) => x + y, 0);
    return inTypes.map((t, i) => {
      if (!isFloat(t.dtype)) return null;
      if (sizes.length === 1) return g;
      const begin = i <= k ? total(0, i) : -total(i, sizes.length);
      const after = i >= k ? total(i + 1, sizes.length) : null;
      const end = after === null ? total(0, i + 1) : after > 0 ? -after : null;
      return typedLike(F, F.sliceAxis(g, { axis: ax, begin, end }), inputs[i]!, t);
    });
  },
});

type StackA = Attrs & { axis: number };

type StackSig = (...args: Tx[] | [...Tx[], { axis?: number }]) => Tx;

/**
 * Joins same-shaped inputs along a new axis. Example: `F.stack(a, b, { axis: 1 })`.
 */
export const stack: OpDef<StackSig, StackA> = defineOp<StackSig, StackA>({
  name: 'stack',
  inputs: ['...data'],
  attrs: { axis: 0 },
  infer: (types, a) => {
    const dtype = commonDType('stack', types);
    const shape = joinShapes('stack', types, null);
    shape.splice(insertAxis('stack', a.axis, shape.length, types), 0, types.length);
    return [{ dtype, shape }];
  },
  solve: (types) => solveJoin(types, () => null),
  lower: (c, a) => {
    const ax = c.ints([insertAxis('stack', a.axis, c.inTypes[0]!.shape.length)]);
    const parts = c.inputs.map((x) => c.emit('Unsqueeze', [x, ax])[0]!);
    c.emit('Concat', parts, { axis: insertAxis('stack', a.axis, c.inTypes[0]!.shape.length) }, c.outputs);
  },
  kernel: (ins, a, [out]) => {
    const ax = insertAxis('stack', a.axis, ins[0]!.shape.length);
    return [interleave(ins, out!, prod(ins[0]!.shape.slice(0, ax)), ins.map((t) => prod(t.shape.slice(ax))))];
  },
  grad: (F, { inTypes, attrs }, [g]) => {
    if (!g) return inTypes.map(() => null);
    const ax = insertAxis('stack', attrs.axis as number, inTypes[0]!.shape.length);
    const parts = F.split(g, { numOutputs: inTypes.length, axis: ax, squeezeAxis: true });
    return inTypes.map((t, i) => (isFloat(t.dtype) ? parts[i]! : null));
  },
});

type SplitA = Attrs & { numOutputs: number; axis: number; squeezeAxis: boolean };

function splitPlan(types: TensorType[], a: SplitA): { ax: number; part: Dim } {
  const t = types[0]!;
  if (!Number.isInteger(a.numOutputs) || a.numOutputs < 1) throw new OpError('split', `numOutputs must be a positive integer, got ${JSON.stringify(a.numOutputs)}`, types);
  const ax = normAxis('split', a.axis, t.shape.length, types);
  bool('split', 'squeezeAxis', a.squeezeAxis, types);
  const d = t.shape[ax]!;
  if (typeof d === 'number' && d % a.numOutputs !== 0) {
    throw new OpError('split', `axis ${ax} of size ${d} does not split into ${a.numOutputs} equal parts`, types);
  }
  const part = divDim(d, a.numOutputs) ?? opaque(`${d}/${a.numOutputs}`);
  if (a.squeezeAxis && typeof part === 'number' && part !== 1) {
    throw new OpError('split', `squeezeAxis needs parts of size 1, but axis ${ax} gives parts of ${part}`, types);
  }
  return { ax, part };
}

type SplitSig = Method<(data: Tx, options: { numOutputs: number; axis?: number; squeezeAxis?: boolean }) => Tx[]>;

/**
 * Splits into `numOutputs` equal parts along `axis` (MXNet's default 1),
 * optionally dropping that axis; returns a list.
 * Example: `const [a, b] = F.split(x, { numOutputs: 2 })`.
 */
export const split: OpDef<SplitSig, SplitA> = defineOp<SplitSig, SplitA>({
  name: 'split',
  inputs: ['data'],
  attrs: { numOutputs: null, axis: 1, squeezeAxis: false },
  method: true,
  multiOutput: true,
  infer: (types, a) => {
    const { ax, part } = splitPlan(types, a);
    const shape = [...types[0]!.shape];
    if (a.squeezeAxis) shape.splice(ax, 1);
    else shape[ax] = part;
    return range(a.numOutputs).map(() => ({ dtype: types[0]!.dtype, shape: [...shape] }));
  },
  lower: (c, a) => {
    const { ax } = splitPlan(c.inTypes, a);
    if (!a.squeezeAxis) return void c.emit('Split', c.inputs, { axis: ax, num_outputs: a.numOutputs }, c.outputs);
    const parts = c.emit('Split', c.inputs, { axis: ax, num_outputs: a.numOutputs }, a.numOutputs);
    parts.forEach((p, i) => c.emit('Squeeze', [p, c.ints([ax])], {}, [c.outputs[i]!]));
  },
  kernel: ([x], a, outs) => {
    const ax = normAxis('split', a.axis, x!.shape.length);
    const outer = prod(x!.shape.slice(0, ax));
    const whole = prod(x!.shape.slice(ax));
    const c = whole / a.numOutputs;
    const src = x!.data as unknown as Float64Array;
    return outs.map((t, j) => {
      const o = alloc(t.dtype, t.shape as number[]);
      for (let r = 0; r < outer; r++) (o.data as unknown as Float64Array).set(src.subarray(r * whole + j * c, r * whole + j * c + c), r * c);
      return o;
    });
  },
  // The parts' gradients joined back (zeros for parts without one).
  grad: (F, { outputs, inTypes, attrs }, gs) => {
    if (!isFloat(inTypes[0]!.dtype) || gs.every((g) => !g)) return [null];
    const { ax } = splitPlan(inTypes, attrs as SplitA);
    const parts = gs.map((g, j) => {
      const p = g ?? F.zerosLike(outputs[j]!);
      return attrs.squeezeAxis ? F.expandDims(p, ax) : p;
    });
    return [parts.length === 1 ? parts[0]! : F.concat(...parts, { dim: ax })];
  },
});

// ---------------------------------------------------------------- repetition and broadcasting

function tileReps(types: TensorType[], reps: unknown): { reps: number[]; shape: Shape } {
  if (reps === null || reps === undefined) throw new OpError('tile', 'needs reps', types);
  const r = ints('tile', 'reps', reps, types);
  if (r.length === 0 || r.some((x) => x < 0)) throw new OpError('tile', `reps ${JSON.stringify(reps)} must be a non-empty list of non-negative integers`, types);
  const s = types[0]!.shape;
  const n = Math.max(s.length, r.length);
  return { reps: [...Array<number>(n - r.length).fill(1), ...r], shape: [...Array<Dim>(n - s.length).fill(1), ...s] };
}

type TileSig = Method<(data: Tx, reps: number[] | { reps: number[] }) => Tx>;

/**
 * Repeats the whole array `reps[k]` times along each axis (numpy/MXNet tile:
 * shorter `reps` or shapes are padded with leading 1s). Example: `x.tile([2, 1])`.
 */
export const tile: OpDef<TileSig, Attrs & { reps: number[] }> = defineOp<TileSig, Attrs & { reps: number[] }>({
  name: 'tile',
  inputs: ['data'],
  attrs: { reps: null },
  positional: ['reps'],
  method: true,
  infer: (types, a) => {
    const { reps, shape } = tileReps(types, a.reps);
    return [{ dtype: types[0]!.dtype, shape: shape.map((d, k) => mulDims([d, reps[k]!])) }];
  },
  lower: (c, a) => {
    const { reps } = tileReps(c.inTypes, a.reps);
    const extra = reps.length - c.inTypes[0]!.shape.length;
    const x = extra > 0 ? c.emit('Unsqueeze', [c.inputs[0]!, c.ints(range(extra))])[0]! : c.inputs[0]!;
    c.emit('Tile', [x, c.ints(reps)], {}, c.outputs);
  },
  kernel: ([x], a, [out]) => {
    const { shape } = tileReps([x!], a.reps);
    const s = shape as number[];
    const st = stridesOf(s);
    return [gather(x!, out!.shape as number[], (idx) => {
      let o = 0;
      for (let k = 0; k < idx.length; k++) o += (idx[k]! % s[k]!) * st[k]!;
      return o;
    })];
  },
  // Each tiled axis r*d is split into [r, d] (reshape code -4) and the tiles are summed.
  grad: linearGrad((F, { inputs: [x], inTypes, attrs }, g) => {
    const { reps } = tileReps(inTypes, attrs.reps);
    if (reps.includes(0)) return F.zerosLike(x!);
    const axes: number[] = [];
    const codes: number[] = [];
    let pos = 0;
    for (const r of reps) {
      if (r === 1) {
        codes.push(0);
        pos += 1;
      } else {
        codes.push(-4, r, -1);
        axes.push(pos);
        pos += 2;
      }
    }
    const summed = axes.length ? F.sum(F.reshape(g, codes), { axis: axes }) : g;
    // Leading axes added for a longer reps are dropped.
    return reps.length > inTypes[0]!.shape.length ? reshapeBack(F, summed, x!, inTypes[0]!) : summed;
  }),
});

type RepeatA = Attrs & { repeats: number; axis: number | null };

function repeatAxis(types: TensorType[], a: RepeatA): number | null {
  if (!Number.isInteger(a.repeats) || a.repeats < 0) throw new OpError('repeat', `repeats must be a non-negative integer, got ${JSON.stringify(a.repeats)}`, types);
  return a.axis === null ? null : normAxis('repeat', a.axis, types[0]!.shape.length, types);
}

type RepeatSig = Method<(data: Tx, repeats: number | { repeats: number; axis?: number | null }, options?: { axis?: number | null }) => Tx>;

/**
 * Repeats each element `repeats` times along `axis` (numpy repeat; axis null
 * flattens first). Example: `x.repeat(2, { axis: 1 })` ([[1, 2]] -> [[1, 1, 2, 2]]).
 */
export const repeat: OpDef<RepeatSig, RepeatA> = defineOp<RepeatSig, RepeatA>({
  name: 'repeat',
  inputs: ['data'],
  attrs: { repeats: null, axis: null },
  positional: ['repeats'],
  method: true,
  infer: (types, a) => {
    const ax = repeatAxis(types, a);
    const s = types[0]!.shape;
    if (ax === null) return [{ dtype: types[0]!.dtype, shape: [mulDims([...s, a.repeats])] }];
    return [{ dtype: types[0]!.dtype, shape: s.map((d, k) => (k === ax ? mulDims([d, a.repeats]) : d)) }];
  },
  lower: (c, a) => {
    let ax = repeatAxis(c.inTypes, a);
    let x = c.inputs[0]!;
    let r = c.inTypes[0]!.shape.length;
    if (ax === null) {
      x = c.emit('Reshape', [x, c.ints([-1])])[0]!;
      ax = 0;
      r = 1;
    }
    const [u] = c.emit('Unsqueeze', [x, c.ints([ax + 1])]);
    const [e] = c.emit('Expand', [u!, c.ints(range(r + 1).map((k) => (k === ax + 1 ? a.repeats : 1)))]);
    const out = c.outTypes[0]!.shape;
    const target = isConcrete(out) ? c.ints(out) : c.emit('Mul', [c.emit('Shape', [x])[0]!, c.ints(range(r).map((k) => (k === ax ? a.repeats : 1)))])[0]!;
    c.emit('Reshape', [e!, target], {}, c.outputs);
  },
  kernel: ([x], a, [out]) => {
    const ax = repeatAxis([x!], a);
    if (ax === null) return [gather(x!, out!.shape as number[], (_idx, i) => Math.floor(i / a.repeats))];
    const st = stridesOf(x!.shape);
    return [gather(x!, out!.shape as number[], (idx) => {
      let o = 0;
      for (let k = 0; k < idx.length; k++) o += (k === ax ? Math.floor(idx[k]! / a.repeats) : idx[k]!) * st[k]!;
      return o;
    })];
  },
  // The repeated axis n*r is split into [n, r] and the copies are summed.
  grad: linearGrad((F, { inputs: [x], inTypes, attrs }, g) => {
    const a = attrs as RepeatA;
    const ax = repeatAxis(inTypes, a);
    if (a.repeats === 0) return F.zerosLike(x!);
    if (ax === null) return reshapeBack(F, F.sum(F.reshape(g, [-1, a.repeats]), { axis: 1 }), x!, inTypes[0]!);
    return F.sum(F.reshape(g, [...Array<number>(ax).fill(0), -4, -1, a.repeats, -2]), { axis: ax + 1 });
  }),
});

function broadcastToShape(types: TensorType[], target: unknown): Shape {
  if (target === null || target === undefined) throw new OpError('broadcastTo', 'needs a target shape', types);
  const t = ints('broadcastTo', 'shape', target, types);
  const s = types[0]!.shape;
  const bad = (why: string): never => {
    throw new OpError('broadcastTo', `cannot broadcast ${formatShape(s)} to ${formatShape(t)}: ${why}`, types);
  };
  if (t.length < s.length) bad('the target has fewer axes');
  const off = t.length - s.length;
  return t.map((d, k) => {
    const e = k >= off ? s[k - off]! : undefined;
    if (d < 0) bad(`negative size ${d}`);
    if (d === 0) return e ?? bad(`0 (keep) at axis ${k}, which the input does not have`);
    if (e === undefined || e === 1 || typeof e === 'string' || e === d) return d;
    return bad(`axis ${k} has size ${e}, which is neither 1 nor ${d}`);
  });
}

type BroadcastToSig = Method<(data: Tx, shape: number[] | { shape: number[] }) => Tx>;

/**
 * Broadcasts to `shape` (0 keeps the input's dimension). Example: `x.broadcastTo([4, 0])` ([1, 3] -> [4, 3]).
 */
export const broadcastTo: OpDef<BroadcastToSig, Attrs & { shape: number[] }> = defineOp<BroadcastToSig, Attrs & { shape: number[] }>({
  name: 'broadcastTo',
  inputs: ['data'],
  attrs: { shape: null },
  positional: ['shape'],
  method: true,
  infer: (types, a) => [{ dtype: types[0]!.dtype, shape: broadcastToShape(types, a.shape) }],
  lower: (c, a) => {
    broadcastToShape(c.inTypes, a.shape);
    // Expand broadcasts both ways, so a 1 keeps the input's dimension.
    c.emit('Expand', [c.inputs[0]!, c.ints(ints('broadcastTo', 'shape', a.shape, c.inTypes).map((d) => (d === 0 ? 1 : d)))], {}, c.outputs);
  },
  kernel: ([x], _a, [out]) => {
    const idx = broadcastIndex(x!.shape, out!.shape as number[]);
    return [gather(x!, out!.shape as number[], (_i, f) => idx[f]!)];
  },
  grad: linearGrad((F, { inputs: [x] }, g) => F.reduceSumLike(g, x!)),
});

type BroadcastLikeA = Attrs & { lhsAxes: number[] | null; rhsAxes: number[] | null };

/** For each lhs axis, the rhs axis its size comes from (or null: kept). */
function likeAxes(types: TensorType[], a: BroadcastLikeA): (number | null)[] {
  const [l, r] = types;
  const lr = l!.shape.length;
  const rr = r!.shape.length;
  const bad = (why: string): never => {
    throw new OpError('broadcastLike', `cannot broadcast ${formatShape(l!.shape)} like ${formatShape(r!.shape)}: ${why}`, types);
  };
  let map: (number | null)[];
  if ((a.lhsAxes === null) !== (a.rhsAxes === null)) bad('give both lhsAxes and rhsAxes, or neither');
  if (a.lhsAxes === null) {
    if (lr !== rr) bad('ranks differ (give lhsAxes and rhsAxes)');
    map = range(lr);
  } else {
    const la = ints('broadcastLike', 'lhsAxes', a.lhsAxes, types).map((x) => normAxis('broadcastLike', x, lr, types));
    const ra = ints('broadcastLike', 'rhsAxes', a.rhsAxes, types).map((x) => normAxis('broadcastLike', x, rr, types));
    if (la.length !== ra.length) bad(`lhsAxes ${JSON.stringify(a.lhsAxes)} and rhsAxes ${JSON.stringify(a.rhsAxes)} differ in length`);
    map = Array<number | null>(lr).fill(null);
    la.forEach((k, i) => (map[k] = ra[i]!));
  }
  map.forEach((j, k) => {
    if (j === null) return;
    const d = l!.shape[k]!;
    const e = r!.shape[j]!;
    if (typeof d === 'number' && typeof e === 'number' && d !== 1 && d !== e) bad(`axis ${k} has size ${d}, which is neither 1 nor ${e}`);
  });
  return map;
}

type BroadcastLikeSig = Method<(lhs: Tx, rhs: Tx, options?: { lhsAxes?: number[]; rhsAxes?: number[] }) => Tx>;

/**
 * Broadcasts `lhs` to the shape of `rhs` (or only the given axes).
 * Example: `F.broadcastLike(bias, x)`; `F.broadcastLike(a, b, { lhsAxes: [0], rhsAxes: [2] })`.
 */
export const broadcastLike: OpDef<BroadcastLikeSig, BroadcastLikeA> = defineOp<BroadcastLikeSig, BroadcastLikeA>({
  name: 'broadcastLike',
  inputs: ['lhs', 'rhs'],
  attrs: { lhsAxes: null, rhsAxes: null },
  method: true,
  infer: (types, a) => {
    const map = likeAxes(types, a);
    const [l, r] = types;
    return [{ dtype: l!.dtype, shape: l!.shape.map((d, k) => (map[k] === null ? d : d === 1 || typeof d === 'string' ? r!.shape[map[k]!]! : d)) }];
  },
  lower: (c, a) => {
    const map = likeAxes(c.inTypes, a);
    const rs = c.inTypes[1]!.shape;
    // Expand broadcasts both ways: 1 keeps lhs's dimension.
    const dims = map.map((j) => (j === null ? 1 : rs[j]!));
    let target: string;
    if (isConcrete(dims)) target = c.ints(dims);
    else if (a.lhsAxes === null) target = c.emit('Shape', [c.inputs[1]!])[0]!;
    else target = c.emit('Concat', dims.map((d, k) => (typeof d === 'number' ? c.ints([d]) : dimOf(c, c.inputs[1]!, map[k]!))), { axis: 0 })[0]!;
    c.emit('Expand', [c.inputs[0]!, target], {}, c.outputs);
  },
  kernel: ([l], _a, [out]) => {
    const idx = broadcastIndex(l!.shape, out!.shape as number[]);
    return [gather(l!, out!.shape as number[], (_i, f) => idx[f]!)];
  },
  // rhs only lends its shape (MXNet gives it zeros; here: no gradient).
  grad: linearGrad((F, { inputs: [lhs] }, g) => F.reduceSumLike(g, lhs!)),
});

// ---------------------------------------------------------------- dtypes and fills

function castTo(types: TensorType[], dtype: unknown): DType {
  if (!isDType(dtype)) throw new OpError('cast', `unknown dtype ${JSON.stringify(dtype)} (supported: ${DTYPES.join(', ')})`, types);
  return dtype;
}

type CastSig = Method<(data: Tx, dtype: DType | { dtype: DType }) => Tx>;

/**
 * Converts to `dtype` (floats truncate toward zero into integers; any
 * non-zero becomes true in bool, and bool reads as 0/1). Example: `x.cast('int32')`.
 */
export const cast: OpDef<CastSig, Attrs & { dtype: DType }> = defineOp<CastSig, Attrs & { dtype: DType }>({
  name: 'cast',
  inputs: ['data'],
  attrs: { dtype: null },
  positional: ['dtype'],
  method: true,
  infer: (types, a) => [{ dtype: castTo(types, a.dtype), shape: [...types[0]!.shape] }],
  lower: (c, a) => void c.emit('Cast', c.inputs, { to: onnxTo(castTo(c.inTypes, a.dtype)) }, c.outputs),
  kernel: ([x], _a, [out]) => [fromF64(out!, toF64(x!))],
  // g cast back to the input's dtype (a cast to an integer or bool passes no gradient: its g is null).
  grad: linearGrad((F, { inTypes }, g) => F.cast(g, inTypes[0]!.dtype)),
});

function fillLike(name: string, value: number): OpDef<Method<(data: Tx) => Tx>> {
  return defineOp<Method<(data: Tx) => Tx>>({
    name,
    inputs: ['data'],
    method: true,
    infer: (types) => [{ dtype: types[0]!.dtype, shape: [...types[0]!.shape] }],
    lower: (c) => {
      const v = alloc(c.outTypes[0]!.dtype, [1]);
      writeElement(v, 0, value);
      const [s] = c.emit('Shape', c.inputs);
      c.emit('ConstantOfShape', [s!], { value: { tensor: v } }, c.outputs);
    },
    kernel: ([x]) => {
      const o = alloc(x!.dtype, x!.shape);
      if (value !== 0) for (let i = 0; i < o.data.length; i++) writeElement(o, i, value);
      return [o];
    },
    // The output does not depend on the input's values.
    grad: linearGrad((F, _ctx, g) => F.zerosLike(g)),
  });
}

/** Zeros of the input's shape and dtype. Example: `x.zerosLike()`. */
export const zerosLike = fillLike('zerosLike', 0);
/** Ones of the input's shape and dtype. Example: `x.onesLike()`. */
export const onesLike = fillLike('onesLike', 1);

/** The shape and indexing operators, by F name (MXNet's CamelCase names included). */
export const SHAPE_OPS = {
  reshape, Reshape: reshape, reshapeLike,
  transpose, expandDims, squeeze,
  flatten, Flatten: flatten,
  concat, Concat: concat, stack,
  split, SliceChannel: split,
  tile, repeat, broadcastTo, broadcastLike,
  cast, Cast: cast, zerosLike, onesLike,
  ...INDEX_OPS,
} as const;
