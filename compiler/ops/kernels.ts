/**
 * Helpers for TypeScript kernels: broadcasting index walks and element-wise
 * maps over host tensors. Kernels compute in float64 and store in the
 * output's dtype (the same rounding onnxruntime applies per element).
 */
import { allocate, isFloat } from '../../runtime/dtypes.js';
import { directDType, readElement, sizeOf, stridesOf, writeElement, type HostTensor } from '../../runtime/tensor.js';
import { isConcrete, type TensorType } from '../ir/types.js';

/** A new tensor of a concrete type. */
export function emptyLike(t: TensorType): HostTensor {
  if (!isConcrete(t.shape)) throw new Error(`kernel needs a concrete shape, got [${t.shape.join(', ')}]`);
  return { dtype: t.dtype, shape: [...t.shape], data: allocate(t.dtype, sizeOf(t.shape)) };
}

/** Reads all elements as float64. */
export function toF64(t: HostTensor): Float64Array {
  if (t.data instanceof Float64Array) return t.data;
  if (directDType(t.dtype) && t.dtype !== 'float64') {
    return Float64Array.from(t.data as Float32Array);
  }
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = readElement(t, i);
  return out;
}

/** Writes float64 values into a tensor of type `type`. */
export function fromF64(type: TensorType, values: Float64Array): HostTensor {
  const out = emptyLike(type);
  const d = type.dtype;
  if (directDType(d)) {
    (out.data as Float64Array).set(isFloat(d) ? values : values.map(Math.trunc));
  } else {
    for (let i = 0; i < values.length; i++) writeElement(out, i, values[i]!);
  }
  return out;
}

/** For each output element, the flat index into an input broadcast to `outShape`. */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const idx = new Int32Array(n);
  const rank = outShape.length;
  const inStr = stridesOf(inShape);
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const k = rank - inShape.length + i;
    eff[k] = inShape[i] === 1 ? 0 : inStr[i]!;
  }
  const pos = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    for (let k = rank - 1; k >= 0; k--) {
      pos[k]!++;
      off += eff[k]!;
      if (pos[k]! < outShape[k]!) break;
      off -= eff[k]! * pos[k]!;
      pos[k] = 0;
    }
  }
  return idx;
}

/** Typed arrays whose elements read and write as plain numbers without conversion. */
type Direct = Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Uint32Array;

function direct(t: HostTensor): Direct | null {
  return t.dtype === 'float16' || t.dtype === 'int64' || t.dtype === 'uint64' ? null : (t.data as Direct);
}

/**
 * Element-wise map of any number of broadcast inputs. Float32/float64/int32
 * inputs of the output's size are read directly (no conversion, no index
 * tables); other cases go through float64 copies and broadcast indices.
 */
export function mapN(inputs: HostTensor[], out: TensorType, f: (...xs: number[]) => number): HostTensor {
  const shape = out.shape as number[];
  const n = sizeOf(shape);
  const o = emptyLike(out);
  const od = direct(o);
  const ins = inputs.map(direct);
  const same = inputs.every((t) => t.data.length === n && t.shape.length === shape.length);
  if (od && same && ins.every((x) => x !== null) && out.dtype !== 'bool') {
    // Integer outputs truncate like the typed array's own conversion (C semantics, as onnxruntime).
    if (ins.length === 1) {
      const a = ins[0]!;
      for (let i = 0; i < n; i++) od[i] = f(a[i]!);
    } else if (ins.length === 2) {
      const a = ins[0]!;
      const b = ins[1]!;
      for (let i = 0; i < n; i++) od[i] = f(a[i]!, b[i]!);
    } else if (ins.length === 3) {
      const [a, b, c] = ins as Direct[];
      for (let i = 0; i < n; i++) od[i] = f(a![i]!, b![i]!, c![i]!);
    } else {
      const args = new Array<number>(ins.length);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < ins.length; k++) args[k] = ins[k]![i]!;
        od[i] = f(...args);
      }
    }
    return o;
  }
  const vals = inputs.map(toF64);
  const idx = inputs.map((t) => (sizeOf(t.shape) === n && t.shape.length === shape.length ? null : broadcastIndex(t.shape, shape)));
  const res = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) {
      const ix = idx[k];
      args[k] = vals[k]![ix ? ix[i]! : i]!;
    }
    res[i] = f(...args);
  }
  return fromF64(out, res);
}
