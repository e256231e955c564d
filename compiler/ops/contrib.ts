/**
 * MXNet's operators that GluonNLP's models call and gluonc's other
 * families do not cover: `arangeLike` (`F.contrib.arange_like`, Gluon 2's
 * `npx.arange_like`: positions along a possibly symbolic axis),
 * `divSqrtDim` (`F.contrib.div_sqrt_dim`: attention's 1/√d scaling) and
 * `broadcastAxis` (`F.broadcast_axis`, alias `broadcast_axes`). Each reads
 * the sizes it needs from its input when the graph runs, so an exported
 * model keeps symbolic batch and sequence axes.
 */
import { isDType, isFloat, onnxDType, type DType } from '../../runtime/dtypes.js';
import { formatShape, tensorFromNumbers, tensorToNumbers } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import { isConcrete, type Dim, type TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type Method, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { normAxis } from './dims.js';
import { float64Scale } from './float64-scale.js';
import { OpError } from './errors.js';
import { dimOf, gather, linearGrad } from './index-ops.js';
import { broadcastIndex } from './kernels.js';

type ArangeLikeA = Attrs & { start: number; step: number; repeat: number; axis: number | null; dtype: DType };

/** Checks arangeLike's attributes; returns its output shape. */
function arangeLikeShape(types: TensorType[], a: ArangeLikeA): Dim[] {
  const s = types[0]!.shape;
  for (const k of ['start', 'step'] as const) if (typeof a[k] !== 'number' || !Number.isFinite(a[k])) throw new OpError('arangeLike', `${k} must be a finite number, got ${JSON.stringify(a[k])}`, types);
  if (!Number.isInteger(a.repeat) || a.repeat < 1) throw new OpError('arangeLike', `repeat must be a positive integer, got ${JSON.stringify(a.repeat)}`, types);
  if (!isDType(a.dtype) || a.dtype === 'bool') throw new OpError('arangeLike', `dtype ${JSON.stringify(a.dtype)} is not a numeric dtype`, types);
  if (a.axis === null || a.axis === undefined) return [...s];
  return [s[normAxis('arangeLike', a.axis, s.length, types)]!];
}

/** Element `i`'s value: `start + ⌊i / repeat⌋ · step`, in the output dtype (an integer dtype truncates start and step first, as MXNet's cast does). */
function arangeLikeValue(a: ArangeLikeA, i: number): number {
  const int = !isFloat(a.dtype);
  const start = int ? Math.trunc(a.start) : a.start;
  const step = int ? Math.trunc(a.step) : a.step;
  return start + Math.floor(i / a.repeat) * step;
}

type ArangeLikeSig = Method<(data: Tx, ...rest: PositionalOptions<{ start?: number; step?: number; repeat?: number; axis?: number | null; dtype?: DType }, ['start', 'step', 'repeat', 'axis']>) => Tx>;

/**
 * Evenly spaced values shaped like `data` (MXNet `contrib.arange_like`,
 * init_op.h `RangeCompute`: `start + ⌊i / repeat⌋ · step` in row-major order),
 * or, with `axis`, a 1-D array as long as that axis. The dtype is `dtype`
 * (default float32, as MXNet's), not data's; data lends only its shape.
 * Example: `F.contrib.arangeLike(tokens, { axis: 1 })` is the positions 0..T-1.
 */
export const arangeLike: OpDef<ArangeLikeSig, ArangeLikeA> = defineOp<ArangeLikeSig, ArangeLikeA>({
  name: 'arangeLike',
  inputs: ['data'],
  attrs: { start: 0, step: 1, repeat: 1, axis: null, dtype: 'float32' },
  positional: ['start', 'step', 'repeat', 'axis'],
  method: true,
  infer: (types, a) => [{ dtype: a.dtype, shape: arangeLikeShape(types, a) }],
  lower: (c, a) => {
    const shape = arangeLikeShape(c.inTypes, a);
    const whole = a.axis === null || a.axis === undefined;
    const x = c.inputs[0]!;
    // The element count as an int64 scalar: a constant, or read from data when the graph runs.
    const n = isConcrete(shape)
      ? c.scalar(shape.reduce((p: number, d) => p * (d as number), 1), 'int64')
      : whole
        ? c.emit('ReduceProd', [c.emit('Shape', [x])[0]!], { keepdims: 0 })[0]!
        : c.emit('Squeeze', [dimOf(c, x, normAxis('arangeLike', a.axis!, c.inTypes[0]!.shape.length)), c.ints([0])])[0]!;
    const int = !isFloat(a.dtype);
    // Range over the indices in float64 (exact for any size), then ⌊i / repeat⌋ · step + start.
    let v = c.emit('Range', [c.scalar(0, 'float64'), c.emit('Cast', [n], { to: onnxDType('float64') })[0]!, c.scalar(1, 'float64')])[0]!;
    if (a.repeat !== 1) v = c.emit('Floor', [c.emit('Div', [v, c.scalar(a.repeat, 'float64')])[0]!])[0]!;
    const start = int ? Math.trunc(a.start) : a.start;
    const step = int ? Math.trunc(a.step) : a.step;
    v = c.emit('Add', [c.emit('Mul', [v, c.scalar(step, 'float64')])[0]!, c.scalar(start, 'float64')])[0]!;
    if (whole && shape.length !== 1) {
      const target = isConcrete(shape) ? c.ints(shape as number[]) : c.emit('Shape', [x])[0]!;
      v = c.emit('Reshape', [v, target])[0]!;
    }
    c.emit('Cast', [v], { to: onnxDType(a.dtype) }, c.outputs);
  },
  kernel: (_ins, a, [out]) => {
    const shape = out!.shape as number[];
    const n = shape.reduce((p, d) => p * d, 1);
    return [tensorFromNumbers(a.dtype, shape, Array.from({ length: n }, (_v, i) => arangeLikeValue(a, i)))];
  },
  // data lends only its shape.
  grad: (_F, { inputs }) => inputs.map(() => null),
});

/** `1/√d` for data's last dimension `d`, in data's dtype: a constant when `d` is known, else read when the graph runs. */
function invSqrtLast(c: LowerCtx): string {
  const t = c.inTypes[0]!;
  const d = t.shape[t.shape.length - 1]!;
  if (typeof d === 'number') return c.scalar(1 / Math.sqrt(d), t.dtype);
  const size = c.emit('Cast', [dimOf(c, c.inputs[0]!, t.shape.length - 1)], { to: onnxDType(t.dtype) })[0]!;
  return c.emit('Reciprocal', [c.emit('Sqrt', [size])[0]!])[0]!;
}

/**
 * `data / √d`, `d` data's last dimension (MXNet `contrib.div_sqrt_dim`: the
 * scaling of dot-product attention's queries). Example: `F.contrib.divSqrtDim(query)`.
 */
export const divSqrtDim: OpDef<Method<(data: Tx) => Tx>, Attrs> = defineOp<Method<(data: Tx) => Tx>, Attrs>({
  name: 'divSqrtDim',
  inputs: ['data'],
  attrs: {},
  method: true,
  infer: (types) => {
    const t = types[0]!;
    if (!isFloat(t.dtype)) throw new OpError('divSqrtDim', `needs a float tensor, got ${t.dtype}`, types);
    if (!t.shape.length) throw new OpError('divSqrtDim', 'needs a tensor of rank 1 or more (it divides by the square root of the last dimension), got a 0-d one', types);
    return [{ ...t }];
  },
  lower: (c) => void c.emit('Mul', [c.inputs[0]!, float64Scale(c, invSqrtLast(c), c.outTypes[0]!)], {}, c.outputs),
  kernel: ([x], _a, [out]) => {
    const scale = 1 / Math.sqrt(x!.shape[x!.shape.length - 1]!);
    return [tensorFromNumbers(out!.dtype, [...x!.shape], tensorToNumbers(x!).map((v) => v * scale))];
  },
  grad: linearGrad((F, _ctx, g) => F.divSqrtDim(g)),
});

type BroadcastAxisA = Attrs & { axis: number[] | number; size: number[] | number };

/** broadcastAxis's output shape: each axis in `axis` (of size 1) becomes its `size`. */
function broadcastAxisShape(types: TensorType[], a: BroadcastAxisA): Dim[] {
  const s = types[0]!.shape;
  const axes = Array.isArray(a.axis) ? a.axis : [a.axis];
  const sizes = Array.isArray(a.size) ? a.size : [a.size];
  if (axes.length !== sizes.length) throw new OpError('broadcastAxis', `axis ${JSON.stringify(a.axis)} and size ${JSON.stringify(a.size)} differ in length`, types);
  const out = [...s];
  axes.forEach((ax, k) => {
    const i = normAxis('broadcastAxis', ax, s.length, types);
    const n = sizes[k]!;
    if (!Number.isInteger(n) || n < 0) throw new OpError('broadcastAxis', `size ${JSON.stringify(n)} for axis ${ax} is not a non-negative integer`, types);
    if (s[i] !== 1) throw new OpError('broadcastAxis', `cannot broadcast ${formatShape(s)} along axis ${ax}: its size is ${String(s[i])}, not 1`, types);
    out[i] = n;
  });
  return out;
}

type BroadcastAxisSig = Method<(data: Tx, ...rest: PositionalOptions<{ axis: number | number[]; size: number | number[] }, ['axis', 'size']>) => Tx>;

/**
 * Broadcasts the axes `axis` of `data` (each of size 1) to `size` (MXNet
 * `broadcast_axis`, alias `broadcast_axes`). Example:
 * `F.broadcastAxis(x, { axis: 1, size: 4 })` ([2, 1, 3] -> [2, 4, 3]).
 */
export const broadcastAxis: OpDef<BroadcastAxisSig, BroadcastAxisA> = defineOp<BroadcastAxisSig, BroadcastAxisA>({
  name: 'broadcastAxis',
  inputs: ['data'],
  attrs: { axis: null, size: null },
  positional: ['axis', 'size'],
  method: true,
  infer: (types, a) => [{ dtype: types[0]!.dtype, shape: broadcastAxisShape(types, a) }],
  lower: (c, a) => {
    const out = broadcastAxisShape(c.inTypes, a);
    // Expand keeps an input dimension where the target says 1.
    const target = out.map((d, k) => (d === c.inTypes[0]!.shape[k] ? 1 : (d as number)));
    c.emit('Expand', [c.inputs[0]!, c.ints(target)], {}, c.outputs);
  },
  kernel: ([x], _a, [out]) => {
    const idx = broadcastIndex(x!.shape, out!.shape as number[]);
    return [gather(x!, out!.shape as number[], (_i, f) => idx[f]!)];
  },
  grad: linearGrad((F, { inputs: [x] }, g) => F.reduceSumLike(g, x!)),
});

/** The contrib operators by F name (`F.contrib` holds arangeLike and divSqrtDim too, as MXNet's). */
export const CONTRIB_OPS = { arangeLike, divSqrtDim, broadcastAxis, broadcastAxes: broadcastAxis } as const;
