/**
 * `tril` and `triu` (numpy semantics on the last two axes, batched over the
 * others; ONNX `Trilu`): `tril` keeps the elements on and below diagonal `k`
 * (`j - i <= k`), `triu` those on and above it (`j - i >= k`); the rest are 0.
 * Below opset 14 (no Trilu) the mask is built from two `Range`s.
 * Invariant: the output has the input's shape and dtype; the gradient is the
 * same mask applied to the output gradient.
 */
import { isFloat, onnxDType, type DType } from '../../runtime/dtypes.js';
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type Method, type OpDef, type Tx } from './define.js';
import { commonDType } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';

type TriA = Attrs & { k: number };

type TriSig = Method<(data: Tx, k?: number | { k?: number }) => Tx>;

const DTYPES: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8', 'bool'];
/** What onnxruntime's Trilu kernel takes; other dtypes go through float32 or int64 around it. */
const TRILU_NATIVE = new Set<DType>(['float32', 'float64', 'int64']);

function triInfer(op: string) {
  return (types: TensorType[], a: TriA): TensorType[] => {
    const dtype = commonDType(op, types, DTYPES);
    if (types[0]!.shape.length < 2) throw new OpError(op, `needs at least 2 dimensions, got [${types[0]!.shape.join(', ')}]`, types);
    if (!Number.isInteger(a.k)) throw new OpError(op, `k must be an integer, got ${JSON.stringify(a.k)}`, types);
    return [{ dtype, shape: [...types[0]!.shape] }];
  };
}

/** The length of dimension `axis` (negative: from the end) of input 0 as an int64 scalar. */
function dimOf(c: LowerCtx, axis: number): string {
  const shape = c.inTypes[0]!.shape;
  const d = shape[shape.length + axis]!;
  if (typeof d === 'number') return c.scalar(d, 'int64');
  const [s] = c.emit('Shape', [c.inputs[0]!], { start: axis, end: axis === -1 ? undefined : axis + 1 });
  return c.emit('Squeeze', [s!, c.ints([0])])[0]!;
}

/** Below opset 14 (no Trilu): where(col - row compared with k, x, 0), the mask built from two ranges. */
function triMask(c: LowerCtx, a: TriA, upper: boolean): void {
  const step = c.scalar(1, 'int64');
  const zero64 = c.scalar(0, 'int64');
  const [rows] = c.emit('Range', [zero64, dimOf(c, -2), step]);
  const [cols] = c.emit('Range', [zero64, dimOf(c, -1), step]);
  const [diff] = c.emit('Sub', [cols!, c.emit('Unsqueeze', [rows!, c.ints([1])])[0]!]);
  // tril keeps col - row <= k (not greater), triu keeps col - row >= k (not less).
  const [drop] = c.emit(upper ? 'Less' : 'Greater', [diff!, c.scalar(a.k, 'int64')]);
  const d = c.inTypes[0]!.dtype;
  // onnxruntime's Where has no bool or int8 kernels: those go through int64 (or float32 for float16).
  const via: DType = TRILU_NATIVE.has(d) || d === 'int32' || d === 'uint8' ? d : isFloat(d) ? 'float32' : 'int64';
  const [zero] = c.emit('Cast', [zero64], { to: onnxDType(via) });
  if (via === d) return void c.emit('Where', [drop!, zero!, c.inputs[0]!], {}, c.outputs);
  const [y] = c.emit('Where', [drop!, zero!, c.emit('Cast', [c.inputs[0]!], { to: onnxDType(via) })[0]!]);
  c.emit('Cast', [y!], { to: onnxDType(d) }, c.outputs);
}

function triLower(upper: boolean) {
  return (c: LowerCtx, a: TriA): void => {
    if (c.opset < 14) return triMask(c, a, upper);
    const d = c.inTypes[0]!.dtype;
    const k = c.ints([a.k]);
    if (TRILU_NATIVE.has(d)) return void c.emit('Trilu', [c.inputs[0]!, k], { upper: upper ? 1 : 0 }, c.outputs);
    const via: DType = isFloat(d) ? 'float32' : 'int64';
    const [x] = c.emit('Cast', [c.inputs[0]!], { to: onnxDType(via) });
    const [y] = c.emit('Trilu', [x!, k], { upper: upper ? 1 : 0 });
    c.emit('Cast', [y!], { to: onnxDType(d) }, c.outputs);
  };
}

function triKernel(upper: boolean) {
  return ([x]: HostTensor[], a: TriA, [out]: TensorType[]): HostTensor[] => {
    const v = toF64(x!);
    const s = x!.shape;
    const [rows, cols] = [s[s.length - 2]!, s[s.length - 1]!];
    const res = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const c = i % cols;
      const r = Math.floor(i / cols) % rows;
      const keep = upper ? c - r >= a.k : c - r <= a.k;
      res[i] = keep ? v[i]! : 0;
    }
    return [fromF64(out!, res)];
  };
}

function tri(name: 'tril' | 'triu', upper: boolean): OpDef<TriSig, TriA> {
  return defineOp<TriSig, TriA>({
    name,
    opsetNote: 'ONNX Trilu from 14; below, a mask from two Ranges',
    inputs: ['data'],
    attrs: { k: 0 },
    positional: ['k'],
    method: true,
    infer: triInfer(name),
    lower: triLower(upper),
    kernel: triKernel(upper),
    grad: (F, { inTypes, attrs }, [g]) => [g && isFloat(inTypes[0]!.dtype) ? (upper ? F.triu(g, attrs.k as number) : F.tril(g, attrs.k as number)) : null],
  });
}

/**
 * The lower triangle of the last two axes: elements with `col - row <= k`
 * kept, the rest 0. Example (a causal mask): `F.tril(F.ones([t, t]))`.
 */
export const tril: OpDef<TriSig, TriA> = tri('tril', false);

/** The upper triangle of the last two axes (`col - row >= k` kept). Example: `F.triu(x, 1)`. */
export const triu: OpDef<TriSig, TriA> = tri('triu', true);

/** The triangular operators, by F name. */
export const TRIANGULAR_OPS = { tril, triu } as const;
