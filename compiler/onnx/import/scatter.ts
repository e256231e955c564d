/**
 * Importers of ONNX's cumulative, triangular and scatter operators:
 * CumSum (gluonc `cumsum`), CumProd (opset 26: a doubling scan of products,
 * exact where an input is 0 or negative, unlike a sum of logarithms), Trilu (`tril`/`triu`), and the accumulating
 * forms of ScatterElements and ScatterND (`reduction='add'`, onto
 * `scatterAdd` and `indexAdd`; ScatterElements over symbolic shapes onto `scatterReduce`'s 'sum'). The
 * overwriting ones (`reduction='none'`, the default, and the old Scatter) must address no position twice (ONNX
 * leaves repeats undefined) unless the updates are one value spread (a ConstantOfShape: torch's dynamo exporter
 * writes `scatter_reduce(..., include_self=False)` so): they become `where(hit, scatter-add of the
 * updates into zeros, data)` (or `where(hit, value, data)`), `hit` the scatter-add of ones. The combining ones ('mul', 'max', 'min')
 * become gluonc's `scatterReduce` ('prod', 'amax', 'amin': every update combines with the data's value),
 * constant or run-time indices alike (ScatterND's k-tuples as row-major positions of the addressed slices).
 * Constant indices of 'none' are checked while importing; 'none'
 * also takes indices computed at run time (torch's `pack_padded_sequence(...,
 * enforce_sorted=False)` inverts its sorting permutation so), checked by
 * the run: `hit` is read through a `take` of [0, 1] in mode 'raise', so a
 * position hit twice fails the run (index 2 out of range) instead of summing
 * its updates. Negative indices count from the end, as in ONNX;
 * others outside [-n, n) fail the run (`boundedIndices`), as onnxruntime's.
 * Col2Im (torch's `nn.Fold`) is a scatter-add of the columns at constant image positions.
 */
import type { Value } from '../../ir/value.js';
import { tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';
import { boundedIndices, castTo, normAxis, requireOpset, type Builder, type ImportCtx } from './context.js';

/** CumSum: axis from input 1 (constant), `exclusive` and `reverse` attributes. */
const cumSum: Builder = (c) => {
  const x = c.input(0);
  const axis = normAxis(c, c.numbers(1, 'axis')![0]!, x.type.shape.length);
  return [c.op('cumsum', [x], { axis, exclusive: c.attr.int('exclusive', 0) !== 0, reverse: c.attr.int('reverse', 0) !== 0 })];
};

/**
 * CumProd: axis from input 1 (constant), `exclusive` and `reverse`. Hillis and Steele's scan:
 * ⌈log2 n⌉ rounds of `y[i] *= y[i - d]` (d = 1, 2, 4, ...; ones shifted in), then one more
 * shift for `exclusive`. Each output is the product of the same elements as numpy's
 * sequential cumprod, grouped differently (float results may differ in the last bits).
 */
const cumProd: Builder = (c) => {
  requireOpset(c, 26);
  const x = c.input(0);
  const axis = normAxis(c, c.numbers(1, 'axis')![0]!, x.type.shape.length);
  const n = x.type.shape[axis]!;
  if (typeof n !== 'number') throw c.refuse(`axis ${axis} of symbolic size ${n} (the number of scan rounds needs it known)`);
  const reverse = c.attr.int('reverse', 0) !== 0;
  // y moved by d along the axis (towards the end, or the start when reversed), ones shifted in.
  const shift = (y: Value, d: number): Value => {
    if (d >= n) return c.op('onesLike', [y]);
    const ones = c.op('onesLike', [c.op('sliceAxis', [y], { axis, begin: 0, end: d })]);
    return reverse
      ? c.op('concat', [c.op('sliceAxis', [y], { axis, begin: d, end: n }), ones], { dim: axis })
      : c.op('concat', [ones, c.op('sliceAxis', [y], { axis, begin: 0, end: n - d })], { dim: axis });
  };
  if (n === 0) return [x];
  let y = x;
  for (let d = 1; d < n; d *= 2) y = c.op('mul', [y, shift(y, d)]);
  return [c.attr.int('exclusive', 0) !== 0 ? shift(y, 1) : y];
};

/** Trilu: `upper` attribute (default 1), diagonal `k` from the optional input 1 (constant, default 0). */
const trilu: Builder = (c) => {
  const k = c.has(1) ? c.numbers(1, 'k')![0]! : 0;
  return [c.op(c.attr.int('upper', 1) ? 'triu' : 'tril', [c.input(0)], { k })];
};

/** The concrete shape of `v`, or a refusal. */
function concrete(c: ImportCtx, v: Value, what: string): number[] {
  const s = v.type.shape;
  if (s.some((d) => typeof d !== 'number')) throw c.refuse(`${what} [${s.join(', ')}] has symbolic dimensions`);
  return s as number[];
}

type Reduction = 'add' | 'none' | 'mul' | 'max' | 'min';
const REDUCTIONS: readonly string[] = ['add', 'none', 'mul', 'max', 'min'];

/** The reduction attribute: 'add', 'none' (overwrite; the old Scatter's only form), 'mul', 'max' or 'min'. */
function reduction(c: ImportCtx): Reduction {
  const red = c.opType === 'Scatter' ? 'none' : c.attr.str('reduction', 'none');
  if (!REDUCTIONS.includes(red)) throw c.refuse(`reduction='${red}' is not one of ${REDUCTIONS.map((r) => `'${r}'`).join(', ')}`);
  return red as Reduction;
}

/** An index wrapped into [0, n), or a refusal naming it when it is outside [-n, n). */
function wrapIndex(c: ImportCtx, v: number, n: number): number {
  const i = Math.trunc(v);
  if (i < -n || i >= n) throw c.refuse(`index ${i} is out of range for an axis of size ${n}`);
  return i < 0 ? i + n : i;
}

/** gluonc's `scatterReduce` for ONNX's combining reductions. */
const REDUCE = { mul: 'prod', max: 'amax', min: 'amin' } as const;

/**
 * reduction 'mul', 'max' or 'min': `scatterReduce` of the updates into the data along `axis` at `at`
 * (indices of the updates' shape, already bounded and wrapped: mode 'wrap' leaves them as they are).
 */
const combine = (c: ImportCtx, red: 'mul' | 'max' | 'min', data: Value, at: Value, updates: Value, axis: number): Value =>
  c.op('scatterReduce', [data, at, updates], { axis, reduce: REDUCE[red], mode: 'wrap' });

/** Producers that only broadcast or reshape their first input (ConstantOfShape and Expand import to them). */
const SPREADS: readonly string[] = ['broadcastTo', 'broadcastLike', 'expandDims', 'reshape'];

/**
 * The one value every element of `v` holds when it is a constant spread to its shape (ConstantOfShape,
 * Expand of a constant, a constant of equal entries), else null.
 */
function splat(v: Value): number | null {
  while (v.producer && SPREADS.includes(v.producer.op)) v = v.producer.inputs[0]!;
  if (!v.isConst || !v.data) return null;
  const vals = tensorToNumbers(v.data);
  return vals.length && vals.every((x) => Object.is(x, vals[0])) ? vals[0]! : null;
}

/**
 * An overwriting scatter from an accumulating one (`add(base, updates)`): the positions `keys` (one per
 * update, from constant indices; null when the indices are computed at run time, which then checks them)
 * must not repeat (ONNX leaves the result undefined); then out = where(hit, add(0, updates), data),
 * hit = add(0, 1). Updates that are one value spread (torch's dynamo exporter writes
 * `ScatterElements(x, index, ConstantOfShape(identity))` for `scatter_reduce(..., include_self=False)`,
 * an index that repeats) give one result whatever the order: out = where(hit, value, data), repeats allowed.
 */
function overwrite(c: ImportCtx, data: Value, updates: Value, keys: number[] | null, add: (base: Value, upd: Value) => Value): Value {
  const zeros = c.op('zerosLike', [data]);
  const counts = add(zeros, c.op('onesLike', [updates]));
  const fill = splat(updates);
  if (fill !== null) return c.op('where', [counts, c.scalar(fill, data.type.dtype), data]);
  if (keys && new Set(keys).size !== keys.length) throw c.refuse(`reduction='none' with an index that addresses one position twice (ONNX leaves the result undefined)`);
  // Run-time indices: a count of 2 or more is out of range of the table [0, 1] ('raise' fails the run).
  const hit = keys ? counts : c.op('take', [c.constant(tensorFromNumbers('int64', [2], [0, 1])), castTo(c, counts, 'int64')], { mode: 'raise' });
  return c.op('where', [hit, add(zeros, updates), data]);
}

/**
 * Constant indices of input 1, for the overwriting form (checked for repeats while importing); null when they are
 * computed at run time (checked by the run).
 */
const constIndices = (c: ImportCtx): number[] | null => (c.input(1).isConst ? c.numbers(1, 'the indices')! : null);

/**
 * ScatterElements with reduction='add': `scatterAdd` takes an index with 1
 * along the axis, so an index of m positions along it is m scatterAdds in
 * turn (the same sums, in ONNX's order); off the axis the index must cover
 * the data.
 */
const scatterElements: Builder = (c) => {
  const red = reduction(c);
  const [data, index, updates] = [c.input(0), c.input(1), c.input(2)];
  const oneD = data.type.shape.length === 1 && index.type.shape.length === 1;
  const symbolic = [...data.type.shape, ...index.type.shape].some((d) => typeof d !== 'number');
  if (red === 'mul' || red === 'max' || red === 'min' || (symbolic && !oneD)) {
    // Any shapes, symbolic ones too (a graph network's node count): the indices bounded by the axis length.
    const axis = normAxis(c, c.attr.int('axis', 0), data.type.shape.length);
    const n = data.type.shape[axis]!;
    const at = boundedIndices(c, index, typeof n === 'number' ? n : c.op('arangeLike', [data], { axis, dtype: 'int64' }));
    if (red !== 'add' && red !== 'none') return [combine(c, red, data, at, updates, axis)];
    // 'add' and 'none' over symbolic shapes: scatterReduce's sum (opset 16 when exported again).
    const add = (base: Value, upd: Value): Value => c.op('scatterReduce', [base, at, upd], { axis, reduce: 'sum', mode: 'wrap' });
    return [red === 'add' ? add(data, updates) : overwrite(c, data, updates, null, add)];
  }
  if (oneD) {
    // 1-D (torch's inverse permutation: any length): the rows `index` of the data, as `indexAdd` addresses them.
    normAxis(c, c.attr.int('axis', 0), 1);
    const n = data.type.shape[0]!;
    const at = boundedIndices(c, index, typeof n === 'number' ? n : data);
    const add = (base: Value, upd: Value): Value => c.op('indexAdd', [base, at, upd], { axis: 0, mode: 'wrap' });
    if (red === 'add') return [add(data, updates)];
    const keys = typeof n === 'number' ? constIndices(c)?.map((v) => wrapIndex(c, v, n)) : null;
    return [overwrite(c, data, updates, keys ?? null, add)];
  }
  const ds = concrete(c, data, 'the data shape');
  const is = concrete(c, index, 'the index shape');
  const r = ds.length;
  const axis = normAxis(c, c.attr.int('axis', 0), r);
  if (is.length !== r || is.some((d, k) => k !== axis && d !== ds[k])) {
    throw c.refuse(`an index of shape [${is.join(', ')}] that does not span the data [${ds.join(', ')}] off axis ${axis}`);
  }
  const at = boundedIndices(c, index, ds[axis]!);
  const add = (base: Value, upd: Value): Value => {
    let out = base;
    for (let j = 0; j < is[axis]!; j++) {
      const cut = (v: Value): Value => (is[axis] === 1 ? v : c.op('slice', [v], { begin: is.map((_d, k) => (k === axis ? j : 0)), end: is.map((d, k) => (k === axis ? j + 1 : d)), step: is.map(() => 1) }));
      out = c.op('scatterAdd', [out, cut(at), cut(upd)], { axis, mode: 'wrap' });
    }
    return out;
  };
  if (red === 'add') return [add(data, updates)];
  // The flat position of each update: its own multi-index with the axis entry replaced by the (wrapped) index.
  const n = ds[axis]!;
  const inner = ds.slice(axis + 1).reduce((p, q) => p * q, 1);
  const keys = constIndices(c)?.map((v, f) => {
    const i = wrapIndex(c, v, n);
    const rest = is.slice(axis + 1).reduce((p, q) => p * q, 1);
    const outer = Math.floor(f / (rest * is[axis]!));
    return (outer * n + i) * inner + (f % rest);
  });
  return [overwrite(c, data, updates, keys ?? null, add)];
};

/**
 * ScatterND with reduction='add': indices [..., k] address the first k data
 * axes; they are flattened into one (the row-major linear index, each entry
 * wrapped if negative) and added with `indexAdd` along axis 0.
 */
const scatterND: Builder = (c) => {
  const red = reduction(c);
  const [data, indices, updates] = [c.input(0), c.input(1), c.input(2)];
  const is = concrete(c, indices, 'the indices shape');
  const k = is[is.length - 1]!;
  const dsAll = data.type.shape;
  if (is.length === 0 || k < 1 || k > dsAll.length) throw c.refuse(`indices of shape [${is.join(', ')}] for data of rank ${dsAll.length}`);
  const lead = dsAll.slice(0, k);
  if (lead.some((d) => typeof d !== 'number')) throw c.refuse(`the addressed data dimensions [${lead.join(', ')}] are symbolic`);
  const ds = lead as number[];
  const rest = dsAll.slice(k);
  let idx = boundedIndices(c, indices, ds);
  if (k > 1) {
    const strides = ds.map((_d, i) => ds.slice(i + 1).reduce((p, q) => p * q, 1));
    idx = c.op('sum', [c.op('mul', [idx, c.constant(tensorFromNumbers('int64', [k], strides))])], { axis: -1 });
  } else {
    idx = c.op('reshape', [idx], { shape: is.slice(0, -1) });
  }
  /** Adds the slices `upd` into `base` at the row-major positions `at`. */
  const addAt = (base: Value, at: Value, upd: Value): Value => {
    if (k === 1) return c.op('indexAdd', [base, at, upd], { axis: 0, mode: 'wrap' });
    if (rest.some((d) => typeof d !== 'number')) throw c.refuse(`the data dimensions [${rest.join(', ')}] after the addressed ones are symbolic`);
    const n = ds.reduce((p, q) => p * q, 1);
    const flat = c.op('reshape', [base], { shape: [n, ...rest] });
    const added = c.op('indexAdd', [flat, at, upd], { axis: 0, mode: 'wrap' });
    return c.op('reshape', [added], { shape: [...dsAll] });
  };
  const add = (base: Value, upd: Value): Value => addAt(base, idx, upd);
  if (red === 'add') return [add(data, updates)];
  if (red !== 'none') {
    // The slices as rows [positions, ...rest] of the data viewed as [∏ addressed, ...rest], each row's position
    // repeated along the rest: scatterReduce along axis 0.
    if (rest.some((d) => typeof d !== 'number')) throw c.refuse(`the data dimensions [${rest.join(', ')}] after the addressed ones are symbolic`);
    const tail = rest as number[];
    const flat = c.op('reshape', [data], { shape: [ds.reduce((p, q) => p * q, 1), ...tail] });
    const rows = c.op('reshape', [updates], { shape: [-1, ...tail] });
    const at = c.op('broadcastLike', [c.op('reshape', [idx], { shape: [-1, ...tail.map(() => 1)] }), rows]);
    return [c.op('reshape', [combine(c, red, flat, at, rows, 0)], { shape: [...ds, ...tail] })];
  }
  // The row-major position of each addressed slice in the first k axes.
  const iv = constIndices(c);
  if (!iv) return [overwrite(c, data, updates, null, add)];
  const keys = Array.from({ length: iv.length / k }, (_v, j) => iv.slice(j * k, j * k + k).reduce((acc, v, a) => acc * ds[a]! + wrapIndex(c, v, ds[a]!), 0));
  return [overwrite(c, data, updates, keys, add)];
};

/**
 * Col2Im (opset 18; torch's `nn.Fold`): the columns [N, C·∏block, L] summed
 * into the image [N, C, ...image_shape]. Column l holds block l of the
 * row-major grid of blocks (each dimension: ⌊(size + pads − dilation·(k − 1)
 * − 1) / stride⌋ + 1 of them), entry k of a channel's ∏block rows its
 * row-major offset k in the block: image position block·stride − pad_begin +
 * k·dilation, dropped in the padding. The positions are constants, so this
 * is one `take` of the kept entries and one `indexAdd` into zeros
 * (differentiable in the columns). Image and block shapes must be constants.
 */
const col2im: Builder = (c) => {
  const x = c.input(0);
  const image = c.numbers(1, 'image_shape')!;
  const block = c.numbers(2, 'block_shape')!;
  const r = image.length;
  const xs = x.type.shape;
  if (xs.length !== 3) throw c.refuse(`input of rank ${xs.length} (it takes [N, C * prod(block_shape), L])`);
  if (block.length !== r || !r) throw c.refuse(`block_shape [${block.join(', ')}] for image_shape [${image.join(', ')}]`);
  const [, rows, cols] = xs;
  if (typeof rows !== 'number' || typeof cols !== 'number') throw c.refuse(`the input shape [${xs.join(', ')}] has symbolic columns`);
  const ones = new Array<number>(r).fill(1);
  const dilate = c.attr.ints('dilations') ?? ones;
  const stride = c.attr.ints('strides') ?? ones;
  const pads = c.attr.ints('pads') ?? new Array<number>(2 * r).fill(0);
  const k = block.reduce((p, q) => p * q, 1);
  if (rows % k) throw c.refuse(`${rows} rows are not a multiple of the block's ${k} entries`);
  const grid = image.map((n, i) => Math.floor((n + pads[i]! + pads[r + i]! - dilate[i]! * (block[i]! - 1) - 1) / stride[i]!) + 1);
  const blocks = grid.reduce((p, q) => p * q, 1);
  if (grid.some((g) => g < 1) || blocks !== cols) {
    throw c.refuse(`${cols} columns for image_shape [${image.join(', ')}] and block_shape [${block.join(', ')}], which make ${grid.some((g) => g < 1) ? 'no' : blocks} blocks`);
  }
  /** Row-major digits of `v` in the radices `dims`. */
  const digits = (v: number, dims: number[]): number[] => {
    const out = new Array<number>(dims.length);
    for (let i = dims.length - 1; i >= 0; i--) {
      out[i] = v % dims[i]!;
      v = Math.floor(v / dims[i]!);
    }
    return out;
  };
  const from: number[] = [];
  const to: number[] = [];
  for (let e = 0; e < k; e++) {
    const off = digits(e, block);
    for (let l = 0; l < cols; l++) {
      const at = digits(l, grid).map((b, i) => b * stride[i]! - pads[i]! + off[i]! * dilate[i]!);
      if (at.some((p, i) => p < 0 || p >= image[i]!)) continue;
      from.push(e * cols + l);
      to.push(at.reduce((acc, p, i) => acc * image[i]! + p, 0));
    }
  }
  const channels = rows / k;
  const size = image.reduce((p, q) => p * q, 1);
  const flat = c.op('reshape', [x], { shape: [0, channels, k * cols] });
  const kept = from.length === k * cols ? flat : c.op('take', [flat, c.constant(tensorFromNumbers('int64', [from.length], from))], { axis: 2 });
  // Zeros [N, C, size] for a batch N known or not.
  const zeros = c.op('broadcastTo', [c.op('zerosLike', [c.op('sliceAxis', [flat], { axis: 2, begin: 0, end: 1 })])], { shape: [0, 0, size] });
  const summed = c.op('indexAdd', [zeros, c.constant(tensorFromNumbers('int64', [to.length], to)), kept], { axis: 2 });
  return [c.op('reshape', [summed], { shape: [0, channels, ...image] })];
};

/** The cumulative, triangular and scatter importers by ONNX operator. */
export const SCATTER_IMPORTS: Record<string, Builder> = {
  CumSum: cumSum,
  CumProd: cumProd,
  Trilu: trilu,
  ScatterElements: scatterElements,
  ScatterND: scatterND,
  Scatter: scatterElements,
  Col2Im: col2im,
};
