/**
 * Scatter-adds, the adjoints of the gathering operators: `indexAdd` undoes
 * `take` (ONNX `ScatterElements` with `reduction='add'` over its rows) and `scatterAdd` undoes
 * `pick` (ONNX `ScatterElements` with `reduction='add'`). The gradients of
 * `take`, `pick` and `Embedding` are written with them, so they hold
 * (number of indices) x (slice size) elements, never a one-hot matrix of
 * (number of indices) x (axis size). Repeated indices accumulate.
 * Indices of any numeric dtype are truncated, then clipped or wrapped into
 * the axis like the forward operators do (`mode`).
 * Invariant: the output has the data's type. From opset 16 they lower to
 * ONNX's `reduction='add'`; below it `scatterAdd` (one index per position)
 * is a mask of `Equal(index, arange)` and `indexAdd` a one-hot matrix
 * product (indices x axis size elements, the price of opset 13-15).
 */
import { onnxDType, type DType } from '../../runtime/dtypes.js';
import { formatShape, sizeOf, stridesOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OpDef, type Tx } from './define.js';
import { normAxis, sameDim } from './dims.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import { clippedIndicesInt64, indexValue, indicesInt64 } from './indices.js';
import { fromF64, toF64 } from './kernels.js';

type ScatterA = Attrs & { axis: number; mode: 'clip' | 'wrap' };

type ScatterSig = (data: Tx, indices: Tx, updates: Tx, options?: { axis?: number; mode?: 'clip' | 'wrap' }) => Tx;

const DATA: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64'];

function check(op: string, types: TensorType[], a: ScatterA): number {
  const [x, ind, upd] = types as [TensorType, TensorType, TensorType];
  commonDType(op, [x, upd], DATA);
  if (ind.dtype === 'bool') throw new OpError(op, 'indices must hold numbers, not bool', types);
  if (a.mode !== 'clip' && a.mode !== 'wrap') throw new OpError(op, `mode must be 'clip' or 'wrap', got ${JSON.stringify(a.mode)}`, types);
  return normAxis(op, a.axis, x.shape.length, types);
}

/** The length of dimension `axis` of input 0 as an int64 scalar. */
export function dimOf(c: LowerCtx, axis: number): string {
  const d = c.inTypes[0]!.shape[axis]!;
  return typeof d === 'number' ? c.scalar(d, 'int64') : c.emit('Squeeze', [c.emit('Shape', [c.inputs[0]!], { start: axis, end: axis + 1 })[0]!, c.ints([0])])[0]!;
}

/** `0 .. n-1` (int64) for an int64 scalar `n`. */
function arange(c: LowerCtx, n: string): string {
  return c.emit('Range', [c.scalar(0, 'int64'), n, c.scalar(1, 'int64')])[0]!;
}

/** Indices as int64, truncated, then clipped to [0, n) or wrapped modulo n (n: dimension `axis` of the data). */
export function fixIndices(c: LowerCtx, axis: number, mode: 'clip' | 'wrap'): string {
  const d = c.inTypes[0]!.shape[axis]!;
  if (mode === 'clip') return clippedIndicesInt64(c, c.inputs[1]!, c.inTypes[1]!.dtype, typeof d === 'number' ? d : dimOf(c, axis));
  return c.emit('Mod', [indicesInt64(c, c.inputs[1]!, c.inTypes[1]!.dtype), dimOf(c, axis)], { fmod: 0 })[0]!;
}

export function fixIndex(v: number, n: number, mode: 'clip' | 'wrap'): number {
  const i = indexValue(v);
  return mode === 'wrap' ? ((i % n) + n) % n : Math.min(Math.max(i, 0), n - 1);
}

/**
 * The kernels' element scatter (scatterAdd, scatterReduce): a float64 copy of
 * `x` into which each element of `upd` is combined, by `combine(old, update)`,
 * at its own position with the axis `ax` coordinate replaced by `ind`'s
 * (`fixIndex`ed) value. `combine` also gets the number of updates combined at
 * that position before this one; `counts` (the data's size), when given,
 * holds those numbers at the end. Example: `scatterElements(x, ind, upd, 0, 'clip', (d, u) => d + u)`.
 */
export function scatterElements(
  x: HostTensor,
  ind: HostTensor,
  upd: HostTensor,
  ax: number,
  mode: 'clip' | 'wrap',
  combine: (d: number, u: number, seen: number) => number,
  counts: Float64Array = new Float64Array(sizeOf(x.shape)),
): Float64Array {
  const res = Float64Array.from(toF64(x));
  const iv = toF64(ind);
  const uv = toF64(upd);
  const xs = stridesOf(x.shape);
  const is = ind.shape;
  const n = x.shape[ax]!;
  for (let f = 0; f < iv.length; f++) {
    let rest = f;
    let o = 0;
    for (let k = is.length - 1; k >= 0; k--) {
      const p = rest % is[k]!;
      rest = Math.floor(rest / is[k]!);
      o += (k === ax ? fixIndex(iv[f]!, n, mode) : p) * xs[k]!;
    }
    res[o] = combine(res[o]!, uv[f]!, counts[o]!);
    counts[o]! += 1;
  }
  return res;
}

const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a) }, (_v, i) => a + i);

/**
 * Adds the slices of `updates` into `data` along `axis` at `indices` (the
 * adjoint of `take`): `out[..., indices[j], ...] += updates[..., j, ...]`,
 * with `updates.shape = data.shape[:axis] + indices.shape + data.shape[axis+1:]`.
 * Example (an embedding's gradient): `F.indexAdd(F.zerosLike(w), tokens, g)`.
 */
export const indexAdd: OpDef<ScatterSig, ScatterA> = defineOp<ScatterSig, ScatterA>({
  name: 'indexAdd',
  opsetNote: "ScatterElements reduction='add' from 16; below, a one-hot MatMul (indices × axis size elements)",
  inputs: ['data', 'indices', 'updates'],
  attrs: { axis: 0, mode: 'clip' },
  infer: (types, a) => {
    const ax = check('indexAdd', types, a);
    const [x, ind, upd] = types as [TensorType, TensorType, TensorType];
    const want = [...x.shape.slice(0, ax), ...ind.shape, ...x.shape.slice(ax + 1)];
    if (upd.shape.length !== want.length || !upd.shape.every((d, k) => sameDim(d, want[k]!) || typeof d === 'string' || typeof want[k] === 'string')) {
      throw new OpError('indexAdd', `updates must have shape ${formatShape(want)} (data ${formatShape(x.shape)} with axis ${ax} replaced by the indices' shape), got ${formatShape(upd.shape)}`, types);
    }
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  lower: float16InFloat32<ScatterA>((c, a) => {
    const ax = normAxis('indexAdd', a.axis, c.inTypes[0]!.shape.length);
    const r = c.inTypes[0]!.shape.length;
    const ir = c.inTypes[1]!.shape.length;
    const fixed = fixIndices(c, ax, a.mode);
    // Below opset 16: data + onehot(indices)ᵀ · updates, on [axis size, rest] and [#indices, rest].
    const scatter = (data: string, upd: string, outs?: string[]): string => {
      if (c.opset >= 16) {
        // ScatterElements, not ScatterND: onnxruntime's CPU ScatterND with reduction='add' splits the rows over its
        // threads and loses sums when an index repeats (an embedding's gradient came out different run to run);
        // its ScatterElements adds in one pass. Rows [K, rest...] with each row's index repeated along the rest.
        // The row count from the indices, not -1: a row of 0 elements leaves -1 undefined.
        const count = c.emit('Shape', [c.emit('Reshape', [fixed, c.ints([-1])])[0]!])[0]!;
        const rows = c.emit('Reshape', [upd, c.emit('Concat', [count, c.emit('Shape', [data], { start: 1 })[0]!], { axis: 0 })[0]!])[0]!;
        const column = c.emit('Reshape', [fixed, c.emit('Concat', [count, c.ints(Array<number>(r - 1).fill(1))], { axis: 0 })[0]!])[0]!;
        const idx = c.emit('Expand', [column, c.emit('Shape', [rows])[0]!])[0]!;
        return c.emit('ScatterElements', [data, idx, rows], { axis: 0, reduction: 'add' }, outs ?? 1)[0]!;
      }
      const flatIdx = c.emit('Reshape', [fixed, c.ints([-1, 1])])[0]!;
      const hot = c.emit('Cast', [c.emit('Equal', [flatIdx, arange(c, dimOf(c, ax))])[0]!], { to: onnxDType(c.inTypes[0]!.dtype) })[0]!;
      const rows = c.emit('Reshape', [upd, c.emit('Concat', [c.emit('Shape', [flatIdx], { start: 0, end: 1 })[0]!, c.ints([-1])], { axis: 0 })[0]!])[0]!;
      const sum = c.emit('MatMul', [c.emit('Transpose', [hot], { perm: [1, 0] })[0]!, rows])[0]!;
      return c.emit('Add', [data, c.emit('Reshape', [sum, c.emit('Shape', [data])[0]!])[0]!], {}, outs ?? 1)[0]!;
    };
    if (ax === 0) return void scatter(c.inputs[0]!, c.inputs[2]!, c.outputs);
    // Bring the axis to the front of the data (and the indices' axes to the front of the updates), scatter, and back.
    const perm = [ax, ...range(0, ax), ...range(ax + 1, r)];
    const inv = perm.map((_p, k) => perm.indexOf(k));
    const [data] = c.emit('Transpose', [c.inputs[0]!], { perm });
    const [upd] = c.emit('Transpose', [c.inputs[2]!], { perm: [...range(ax, ax + ir), ...range(0, ax), ...range(ax + ir, r - 1 + ir)] });
    c.emit('Transpose', [scatter(data!, upd!)], { perm: inv }, c.outputs);
  }),
  kernel: ([x, ind, upd], a, [out]) => {
    const ax = normAxis('indexAdd', a.axis, x!.shape.length);
    const res = Float64Array.from(toF64(x!));
    const iv = toF64(ind!);
    const uv = toF64(upd!);
    const n = x!.shape[ax]!;
    const outer = x!.shape.slice(0, ax).reduce((p, q) => p * q, 1);
    const inner = x!.shape.slice(ax + 1).reduce((p, q) => p * q, 1);
    const k = iv.length;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const row = fixIndex(iv[j]!, n, a.mode);
        const dst = (o * n + row) * inner;
        const src = (o * k + j) * inner;
        for (let i = 0; i < inner; i++) res[dst + i]! += uv[src + i]!;
      }
    }
    return [fromF64(out!, res)];
  },
  grad: (F, { inputs: [, ind], attrs }, [g]) => (g ? [g, null, F.take(g, ind!, { axis: attrs.axis as number, mode: attrs.mode as 'clip' | 'wrap' })] : [null, null, null]),
});

/**
 * Adds each element of `updates` into `data` at the position `index` gives
 * along `axis` (the adjoint of `pick` with `keepdims`; torch's `scatter_add`
 * with one index per position): `index` and `updates` have `data`'s shape
 * with 1 along `axis`. Example
 * (the gradient of `F.pick(p, label, { keepdims: true })`):
 * `F.scatterAdd(F.zerosLike(p), F.expandDims(label, -1), g)`.
 */
export const scatterAdd: OpDef<ScatterSig, ScatterA> = defineOp<ScatterSig, ScatterA>({
  name: 'scatterAdd',
  opsetNote: "ScatterElements reduction='add' from 16; below, Equal/Where against a Range",
  inputs: ['data', 'index', 'updates'],
  attrs: { axis: -1, mode: 'clip' },
  infer: (types, a) => {
    const ax = check('scatterAdd', types, a);
    const [x, ind, upd] = types as [TensorType, TensorType, TensorType];
    const fits = (s: TensorType['shape']) => s.length === x.shape.length && s.every((d, k) => (k === ax ? d === 1 : sameDim(d, x.shape[k]!) || typeof d === 'string' || typeof x.shape[k] === 'string'));
    const same = ind.shape.length === upd.shape.length && ind.shape.every((d, k) => sameDim(d, upd.shape[k]!) || typeof d === 'string' || typeof upd.shape[k] === 'string');
    if (!fits(ind.shape) || !same) {
      throw new OpError('scatterAdd', `index ${formatShape(ind.shape)} and updates ${formatShape(upd.shape)} must have one shape, the data's ${formatShape(x.shape)} with 1 along axis ${ax}`, types);
    }
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  lower: float16InFloat32<ScatterA>((c, a) => {
    const r = c.inTypes[0]!.shape.length;
    const ax = normAxis('scatterAdd', a.axis, r);
    const idx = fixIndices(c, ax, a.mode);
    if (c.opset >= 16) return void c.emit('ScatterElements', [c.inputs[0]!, idx, c.inputs[2]!], { axis: ax, reduction: 'add' }, c.outputs);
    // Below opset 16: one index per position along the axis, so data + where(index == arange along the axis, updates, 0).
    const [along] = c.emit('Reshape', [arange(c, dimOf(c, ax)), c.ints(range(0, r).map((k) => (k === ax ? -1 : 1)))]);
    const [hit] = c.emit('Equal', [idx, along!]);
    const [zero] = c.emit('Cast', [c.scalar(0, 'int64')], { to: onnxDType(c.inTypes[0]!.dtype) });
    const [add] = c.emit('Where', [hit!, c.inputs[2]!, zero!]);
    c.emit('Add', [c.inputs[0]!, add!], {}, c.outputs);
  }),
  kernel: ([x, ind, upd], a, [out]) => [fromF64(out!, scatterElements(x!, ind!, upd!, normAxis('scatterAdd', a.axis, x!.shape.length), a.mode, (d, u) => d + u))],
  grad: (F, { inputs: [, ind], attrs }, [g]) => (g ? [g, null, F.pick(g, ind!, { axis: attrs.axis as number, keepdims: true, mode: attrs.mode as 'clip' | 'wrap' })] : [null, null, null]),
});

/** The scatter-add operators, by F name. */
export const SCATTER_OPS = { indexAdd, scatterAdd } as const;

