/**
 * The ONNX lowerings of the reductions (`reduce.ts` declares the operators):
 * a reduction in a wider dtype where onnxruntime lacks one, max/min with
 * NaN propagated, mean with NaN over an empty axis and MXNet 1.x's integer
 * mean, and exact int64 sums and products.
 */
import type { DType } from '../../runtime/dtypes.js';
import { onnxDType as onnxTo } from '../../runtime/dtypes.js';
import type { LowerCtx } from './define.js';

/** Emits `onnxOp(x, axes)`; with no axes (a 0-d input) the reduction is the identity. */
export function emitReduce(c: LowerCtx, onnxOp: string, x: string, axes: number[], keepdims: boolean, outputs?: string[]): string {
  if (!axes.length) return c.emit('Identity', [x], {}, outputs ?? 1)[0]!;
  return c.emit(onnxOp, [x, c.ints(axes)], { keepdims: keepdims ? 1 : 0 }, outputs ?? 1)[0]!;
}

/** Lowers with a dtype onnxruntime lacks computed in `via` (cast around the reduction). */
export function emitReduceVia(c: LowerCtx, onnxOp: string, axes: number[], keepdims: boolean, native: DType[], via: DType): void {
  const d = c.inTypes[0]!.dtype;
  if (native.includes(d)) return void emitReduce(c, onnxOp, c.inputs[0]!, axes, keepdims, c.outputs);
  const [x] = c.emit('Cast', [c.inputs[0]!], { to: onnxTo(via) });
  const y = emitReduce(c, onnxOp, x!, axes, keepdims);
  c.emit('Cast', [y], { to: onnxTo(c.outTypes[0]!.dtype) }, c.outputs);
}

/**
 * `emitReduceVia` for max/min of floats with NaN propagated as numpy does:
 * onnxruntime's ReduceMax/ReduceMin skip NaN, so the result adds
 * `ReduceSum(Where(IsNaN(x), x, 0))` (NaN when the slice holds one, else 0).
 */
export function emitReduceNaN(c: LowerCtx, onnxOp: string, axes: number[], keepdims: boolean, native: DType[]): void {
  const d = c.inTypes[0]!.dtype;
  const via = native.includes(d) ? d : 'float32';
  const x = via === d ? c.inputs[0]! : c.emit('Cast', [c.inputs[0]!], { to: onnxTo(via) })[0]!;
  const y = emitReduce(c, onnxOp, x, axes, keepdims);
  const nan = c.emit('Where', [c.emit('IsNaN', [x])[0]!, x, c.scalar(0, via)])[0]!;
  const s = emitReduce(c, 'ReduceSum', nan, axes, keepdims);
  if (via === d) return void c.emit('Add', [y, s], {}, c.outputs);
  const [r] = c.emit('Add', [y, s]);
  c.emit('Cast', [r!], { to: onnxTo(d) }, c.outputs);
}

/**
 * `emitReduceVia` for mean with numpy's NaN over an empty axis (0 / 0):
 * onnxruntime's ReduceMean gives 0 there. Where every reduced dimension is a
 * known positive number it is one ReduceMean; otherwise ReduceSum divided by
 * the count read from the input's shape when the graph runs.
 */
export function emitMean(c: LowerCtx, axes: number[], keepdims: boolean, native: DType[]): void {
  const t = c.inTypes[0]!;
  if (!axes.length || axes.every((k) => typeof t.shape[k] === 'number' && (t.shape[k] as number) > 0)) {
    return emitReduceVia(c, 'ReduceMean', axes, keepdims, native, 'float32');
  }
  const via: DType = native.includes(t.dtype) ? t.dtype : 'float32';
  const x = via === t.dtype ? c.inputs[0]! : c.emit('Cast', [c.inputs[0]!], { to: onnxTo(via) })[0]!;
  const sum = emitReduce(c, 'ReduceSum', x, axes, keepdims);
  const dims = c.emit('Gather', [c.emit('Shape', [c.inputs[0]!])[0]!, c.ints(axes)], { axis: 0 })[0]!;
  const count = c.emit('Cast', [emitReduce(c, 'ReduceProd', dims, [0], false)], { to: onnxTo(via) })[0]!;
  if (via === t.dtype) return void c.emit('Div', [sum, count], {}, c.outputs);
  const [y] = c.emit('Div', [sum, count]);
  c.emit('Cast', [y!], { to: onnxTo(t.dtype) }, c.outputs);
}

/**
 * MXNet 1.x's integer mean: the sum in the input's dtype (exact int64,
 * int8/uint8 wrapping, as `sum` lowers it) divided by the count with
 * truncating integer Div (int32 for the narrow dtypes, which onnxruntime's
 * Div lacks); the count is a constant where the reduced dimensions are known.
 */
export function emitIntMean(c: LowerCtx, axes: number[], keepdims: boolean): void {
  const t = c.inTypes[0]!;
  const d = t.dtype;
  if (!axes.length) return void c.emit('Identity', [c.inputs[0]!], {}, c.outputs);
  const sum = c.fresh();
  if (d === 'int64') emitSumInt64({ ...c, outputs: [sum] }, axes, keepdims);
  else emitReduceVia({ ...c, outputs: [sum] }, 'ReduceSum', axes, keepdims, ['int32', 'int64'], 'int64');
  const via: DType = d === 'int64' ? 'int64' : 'int32';
  const dims = axes.map((k) => t.shape[k]!);
  let count: string;
  if (dims.every((k) => typeof k === 'number')) count = c.scalar((dims as number[]).reduce((p, k) => p * k, 1), via);
  else {
    const shape = c.emit('Gather', [c.emit('Shape', [c.inputs[0]!])[0]!, c.ints(axes)], { axis: 0 })[0]!;
    // An empty axis of a symbolic size would divide by zero (onnxruntime fails): divide by 1 there.
    const n = c.emit('Max', [emitReduce(c, 'ReduceProd', shape, [0], false), c.scalar(1, 'int64')])[0]!;
    count = via === 'int64' ? n : c.emit('Cast', [n], { to: onnxTo(via) })[0]!;
  }
  const s = via === d ? sum : c.emit('Cast', [sum], { to: onnxTo(via) })[0]!;
  if (via === d) return void c.emit('Div', [s, count], {}, c.outputs);
  c.emit('Cast', [c.emit('Div', [s, count])[0]!], { to: onnxTo(d) }, c.outputs);
}

/**
 * An exact int64 sum: onnxruntime's int64 ReduceSum rounds through float64
 * (2^60 + 1 sums to 2^60), so each value is split into high and low 32-bit
 * halves (x = hi * 2^32 + lo, both exact in float64 with room for 2^21
 * terms), summed apart and joined with int64 arithmetic, which is exact.
 */
export function emitSumInt64(c: LowerCtx, axes: number[], keepdims: boolean): void {
  const x = c.inputs[0]!;
  const shift = c.scalar(2 ** 32, 'int64');
  const hi = c.emit('Div', [x, shift])[0]!;
  const lo = c.emit('Sub', [x, c.emit('Mul', [hi, shift])[0]!])[0]!;
  const sh = emitReduce(c, 'ReduceSum', hi, axes, keepdims);
  const sl = emitReduce(c, 'ReduceSum', lo, axes, keepdims);
  c.emit('Add', [c.emit('Mul', [sh, shift])[0]!, sl], {}, c.outputs);
}

/**
 * An exact int64 product: onnxruntime's int64 ReduceProd rounds through
 * float64, so the reduced axes are moved to the front and flattened into
 * rows that a Scan multiplies together with int64 Mul (exact, wrapping past
 * 2^63 as numpy does), starting from ones; the result takes the shape of
 * the same reduction done by ReduceSum (symbolic dimensions included).
 */
export function emitProdInt64(c: LowerCtx, axes: number[], keepdims: boolean): void {
  const x = c.inputs[0]!;
  const rank = c.inTypes[0]!.shape.length;
  const kept = Array.from({ length: rank }, (_v, i) => i).filter((i) => !axes.includes(i));
  const moved = c.emit('Transpose', [x], { perm: [...axes, ...kept] })[0]!;
  const rows = c.emit('Flatten', [moved], { axis: axes.length })[0]!;
  const zeros = c.emit('Mul', [emitReduce(c, 'ReduceSum', rows, [0], false), c.scalar(0, 'int64')])[0]!;
  const ones = c.emit('Add', [zeros, c.scalar(1, 'int64')])[0]!;
  // A leading row of ones keeps the Scan non-empty when a reduced axis has length 0 (the product is then 1).
  const padded = c.emit('Concat', [c.emit('Reshape', [ones, c.ints([1, -1])])[0]!, rows], { axis: 0 })[0]!;
  const body = c.graph([{ dtype: 'int64' }, { dtype: 'int64' }], ([acc, row]) => [{ name: c.emit('Mul', [acc!, row!])[0]!, dtype: 'int64' }]);
  const [product] = c.emit('Scan', [ones, padded], { body, num_scan_inputs: 1 }, 1);
  const shape = c.emit('Shape', [emitReduce(c, 'ReduceSum', x, axes, keepdims)])[0]!;
  c.emit('Reshape', [product!, shape], {}, c.outputs);
}
