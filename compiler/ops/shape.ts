/**
 * Shape operators: reshape (with MXNet's special codes), reshapeLike, transpose,
 * expandDims, squeeze, flatten, cast, zerosLike and onesLike (joining and
 * splitting are in `join-split.ts`, repetition and broadcasting in
 * `broadcast.ts`, indexing in `index-ops.ts`).
 * Invariant: type rules accept symbolic dimensions; where an ONNX shape
 * depends on one it is built at runtime from `Shape` pieces.
 */
import { DTYPES, isDType, isFloat, onnxDType as onnxTo } from '../../runtime/dtypes.js';
import { formatShape, stridesOf, writeElement, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import { isConcrete, type DType, type Dim, type Shape, type TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type Method, type OpDef, type Tx } from './define.js';
import { divDim, mulDims, normAxis, sameDim } from './dims.js';
import { OpError } from './errors.js';
import { alloc, bool, dimOf, gather, ints, linearGrad, offset, opaque, withShape } from './index-ops.js';
import { fromF64, toF64 } from './kernels.js';
import { reshapeToShapeOf } from './redirects.js';
import type { GradOps, GradTensor } from './grad-ops.js';

/** Axes 0..n-1: `range(3)` is `[0, 1, 2]`. */
export const range = (n: number): number[] => [...Array(n).keys()];

/** Normalizes the position of a new axis (range [-rank-1, rank]); out of range is an OpError. Example: `insertAxis('stack', -1, 2)` is 2. */
export function insertAxis(op: string, axis: number, rank: number, types: TensorType[] = []): number {
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
 * is concrete (so `x` is not needed), else reshapeLike. Example:
 * `reshapeBack(F, g, x, inTypes[0]!)`.
 */
export function reshapeBack(F: GradOps, g: GradTensor, x: GradTensor, t: TensorType): GradTensor {
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

/**
 * Internal code of a normalized target (never MXNet's): `COPY_AXIS - j` copies
 * input dimension j to this place, where a symbolic `x.shape[j]` stands away
 * from its own place (d2l's `X.reshape(-1, X.shape[2], X.shape[3])`).
 */
const COPY_AXIS = -1000;

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
    } else if (v <= COPY_AXIS && COPY_AXIS - v < n) {
      pieces.push({ k: 'dims', from: COPY_AXIS - v, to: COPY_AXIS - v + 1 });
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

/**
 * A reshape target holding symbolic names (`x.shape[k]` while exporting) in
 * MXNet's codes: a name equal to the input dimension its place consumes
 * copies it (0); a name the input has at another axis copies that axis
 * (`COPY_AXIS - j`); one other name becomes the size the element count
 * leaves (-1), which must come out as that name. The element counts must
 * then agree. Other targets are an OpError.
 * Example: `[N, -1]` on `[N, 3, 4]` -> `[0, -1]`; `[-1, T, 4]` on `[N, 2, T, 4]` -> `[-1, COPY_AXIS - 2, 4]`.
 */
function reshapeNames(a: ReshapeA, types: TensorType[]): ReshapeA {
  const raw = a.shape as unknown;
  if (!Array.isArray(raw) || !raw.some((d) => typeof d === 'string')) return a;
  const t = types[0]!;
  const n = t.shape.length;
  const fail = (why: string): never => {
    throw new OpError('reshape', `cannot reshape ${formatShape(t.shape)} to [${raw.join(', ')}]${a.reverse ? ' (reverse)' : ''}: ${why}`, types);
  };
  const sp = (a.reverse ? [...raw].reverse() : [...raw]) as unknown[];
  const ds = a.reverse ? [...t.shape].reverse() : t.shape;
  const out: unknown[] = [];
  let src = 0;
  let pos = 0;
  let minus = false;
  let inferred: { name: string; pos: number } | null = null;
  let copied = false;
  for (let i = 0; i < sp.length; i++) {
    const v = sp[i];
    if (typeof v === 'string') {
      const at = ds.findIndex((d) => sameDim(d, v));
      if (src < n && sameDim(ds[src]!, v)) out.push(0);
      else if (at >= 0) {
        out.push(COPY_AXIS - at);
        copied = true;
      } else if (inferred) fail(`the symbolic dimensions '${inferred.name}' and '${v}' are not copied from the same place of the input, and only one size can be inferred (give the others as 0 to copy, or use F.reshapeLike)`);
      else {
        inferred = { name: v, pos };
        out.push(-1);
      }
      src++;
      pos++;
    } else if (v === -4) {
      const pair = [sp[i + 1], sp[i + 2]];
      if (pair.some((d) => typeof d === 'string')) fail('-4 must be followed by two numbers, not symbolic dimensions');
      out.push(v, ...pair);
      i += 2;
      src++;
      pos += 2;
    } else {
      out.push(v);
      if (v === -1) minus = true;
      if (v === -2) pos += Math.max(n - src, 0);
      else pos++;
      src = v === -2 ? n : src + (v === -3 ? 2 : 1);
    }
  }
  if (inferred && minus) fail(`'${inferred.name}' is not the input's dimension at its place, so it would be inferred, but the target already has a -1`);
  const b = { ...a, shape: (a.reverse ? out.reverse() : out) as number[] };
  if (copied) {
    // The plan's own size check would show the internal codes: report the target as given.
    let size: Dim;
    try {
      size = mulDims(reshapePlan(types, b).shape);
    } catch {
      size = mulDims(raw as Dim[]);
    }
    const total = mulDims(t.shape);
    if (!sameDim(total, size)) fail(`the target holds ${size} elements, the input ${total}`);
  }
  if (inferred) {
    const shape = reshapePlan(types, b).shape;
    const k = a.reverse ? shape.length - 1 - inferred.pos : inferred.pos;
    if (!sameDim(shape[k]!, inferred.name)) fail(`the element count leaves ${shape[k]} at position ${k}, not '${inferred.name}'`);
  }
  return b;
}

function reshapeLower(c: LowerCtx, a: ReshapeA): void {
  const { pieces, shape } = reshapePlan(c.inTypes, a);
  const x = c.inputs[0]!;
  if (isConcrete(shape)) {
    // A 0 in ONNX's shape copies the input's dimension unless allowzero (opset 14) says it is an empty one; before 14
    // the (empty) output is made from its shape.
    if (!shape.includes(0)) return void c.emit('Reshape', [x, c.ints(shape)], {}, c.outputs);
    if (c.opset >= 14) return void c.emit('Reshape', [x, c.ints(shape)], { allowzero: 1 }, c.outputs);
    return void c.emit('Cast', [c.emit('ConstantOfShape', [c.ints(shape)])[0]!], { to: onnxTo(c.outTypes[0]!.dtype) }, c.outputs);
  }
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

type ReshapeSig = Method<(data: Tx, shape: number | number[] | { shape: number[]; reverse?: boolean }, ...rest: (number | { reverse?: boolean })[]) => Tx>;

/**
 * Reshapes with MXNet's codes: 0 copies a dimension, -1 infers one, -2 copies
 * the rest, -3 merges two, -4 splits one into the next two values; `reverse`
 * applies them from the right. While exporting, a symbolic `x.shape[k]` is
 * taken where it copies the input's dimension at its place or is the one
 * size left to infer. Example: `x.reshape([0, -1])` ([N, 3, 4] -> [N, 12]).
 */
export const reshape: OpDef<ReshapeSig, ReshapeA> = defineOp<ReshapeSig, ReshapeA>({
  name: 'reshape',
  redirect: reshapeToShapeOf,
  inputs: ['data'],
  attrs: { shape: null, reverse: false },
  positional: ['shape'],
  collects: 'shape',
  method: true,
  normalize: reshapeNames,
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
  opsetNote: 'Reshape allowzero from 14; below, without it (only an empty rhs differs)',
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
    // allowzero (opset 14) keeps a 0 in rhs's shape literal; before 14 only an empty rhs's shape can differ.
    c.emit('Reshape', [c.inputs[0]!, target], { allowzero: c.opset >= 14 ? 1 : undefined }, c.outputs);
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

type TransposeSig = Method<(data: Tx, axes?: number | number[] | { axes?: number[] }, ...rest: (number | { axes?: number[] })[]) => Tx>;

/**
 * Permutes the axes (reverses them when `axes` is absent). Example: `x.transpose([0, 2, 1])`,
 * or numpy's `x.transpose(0, 2, 1)` (the axes one by one).
 */
export const transpose: OpDef<TransposeSig, Attrs & { axes: number[] | null }> = defineOp<TransposeSig, Attrs & { axes: number[] | null }>({
  name: 'transpose',
  inputs: ['data'],
  attrs: { axes: null },
  positional: ['axes'],
  collects: 'axes',
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

type SwapaxesSig = Method<(data: Tx, dim1?: number | { dim1?: number; dim2?: number }, dim2?: number | { dim2?: number }) => Tx>;

/** The permutation swapping axes `dim1` and `dim2` (negative counted from the end). */
function swapPerm(types: TensorType[], a: { dim1: unknown; dim2: unknown }): number[] {
  const r = types[0]!.shape.length;
  const [d1, d2] = (['dim1', 'dim2'] as const).map((k) => normAxis('swapaxes', ints('swapaxes', k, a[k], types)[0]!, r, types));
  const p = range(r);
  [p[d1!], p[d2!]] = [d2!, d1!];
  return p;
}

/**
 * Swaps two axes (MXNet's `swapaxes(data, dim1, dim2)`, `SwapAxis`; numpy's
 * `swapaxes(a, axis1, axis2)`). Example: `x.swapaxes(0, 1)` ([N, T, C] -> [T, N, C]).
 */
export const swapaxes: OpDef<SwapaxesSig, Attrs & { dim1: number; dim2: number }> = defineOp<SwapaxesSig, Attrs & { dim1: number; dim2: number }>({
  name: 'swapaxes',
  inputs: ['data'],
  attrs: { dim1: 0, dim2: 0 },
  positional: ['dim1', 'dim2'],
  method: true,
  infer: (types, a) => [{ dtype: types[0]!.dtype, shape: swapPerm(types, a).map((k) => types[0]!.shape[k]!) }],
  lower: (c, a) => void c.emit('Transpose', c.inputs, { perm: swapPerm(c.inTypes, a) }, c.outputs),
  kernel: ([x], a, [out]) => {
    const s = stridesOf(x!.shape);
    const ps = swapPerm([x!], a).map((k) => s[k]!);
    return [gather(x!, out!.shape as number[], (idx) => offset(idx, ps))];
  },
  // The swap is its own inverse.
  grad: linearGrad((F, { inTypes, attrs }, g) => F.transpose(g, swapPerm(inTypes, attrs as { dim1: unknown; dim2: unknown }))),
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
  kernel: ([x], _a, [out]) => {
    const d = out!.dtype;
    const int32ish = isFloat(x!.dtype) && (d === 'int32' || d === 'int8' || d === 'uint8');
    const v = int32ish ? Float64Array.from(toF64(x!)) : toF64(x!);   // toF64 may return the input's own array
    // Outside int32 (NaN, ±Infinity): INT_MIN (x86's, onnxruntime's and numpy's); int8/uint8 wrap that int32.
    if (int32ish) {
      for (let i = 0; i < v.length; i++) if (!(v[i]! > -2147483649 && v[i]! < 2147483648)) v[i] = -2147483648;
    }
    return [fromF64(out!, v)];
  },
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

/**
 * The input unchanged, passing no gradient back (MXNet's `stop_gradient`,
 * alias `BlockGrad`, whose backward writes zeros): what is computed from it
 * is a constant to autograd. Example: `F.stopGradient(target)`.
 */
export const stopGradient: OpDef<(data: Tx) => Tx> = defineOp<(data: Tx) => Tx>({
  name: 'stopGradient',
  inputs: ['data'],
  infer: (types) => [{ dtype: types[0]!.dtype, shape: [...types[0]!.shape] }],
  lower: (c) => void c.emit('Identity', c.inputs, {}, c.outputs),
  kernel: ([x]) => [{ dtype: x!.dtype, shape: [...x!.shape], data: x!.data.slice() } as HostTensor],
  grad: () => [null],
});

/** The shape and indexing operators, by F name (MXNet's CamelCase names included). */
export const SHAPE_OPS = {
  reshape, Reshape: reshape, reshapeLike,
  transpose, swapaxes, SwapAxis: swapaxes, expandDims, squeeze,
  flatten, Flatten: flatten,
  cast, Cast: cast, zerosLike, onesLike,
  stopGradient, BlockGrad: stopGradient,
} as const;
