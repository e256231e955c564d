/**
 * The ONNX protobuf classes (from onnx-proto) and small builders for tensors
 * and types.
 */
import { createRequire } from 'node:module';
import type { onnx as OnnxNs } from 'onnx-proto';
import { allocate, dtypeBytes, fromOnnxDType, onnxDType, viewOf, type DType } from '../../runtime/dtypes.js';
import { decodeNarrow, markNarrowTensor, NARROW, narrowOfOnnx, unpackNarrow, type NarrowFormat } from '../../runtime/narrow.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Shape, TensorType } from '../ir/types.js';

const require = createRequire(import.meta.url);

/** The onnx-proto namespace (ModelProto, GraphProto, ...). */
export const onnx: typeof OnnxNs = (require('onnx-proto') as { onnx: typeof OnnxNs }).onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

/** A TensorProto holding `t` as raw little-endian bytes. */
export function tensorProto(name: string, t: HostTensor): OnnxNs.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return { name, dims: t.shape, dataType: onnxDType(t.dtype), rawData: bytes };
}


/**
 * The dtype an ONNX file's data type number is read as: gluonc's own, and
 * ONNX's narrow dtypes (which gluonc lacks) as the wider dtype holding each
 * of their values exactly (runtime/narrow.ts): bfloat16, the float8s,
 * float4e2m1 and float8e8m0 as float32, int4/int2 as int8, uint4/uint2 as
 * uint8 (a torch model in bfloat16 imports and computes in float32).
 */
export function readDType(n: number): DType {
  const f = narrowOfOnnx(n);
  return f ? NARROW[f].wide : fromOnnxDType(n);
}

/**
 * The host tensor a TensorProto holds (raw data or the typed fields); a
 * narrow dtype's tensor in its wide dtype, decoded exactly (`widenNarrow`).
 */
export function fromTensorProto(p: OnnxNs.ITensorProto): HostTensor {
  const f = narrowOfOnnx(p.dataType ?? 0);
  if (f) return widenNarrow(p, f);
  const dtype = fromOnnxDType(p.dataType ?? 0);
  const shape = (p.dims ?? []).map((d) => Number(d));
  const n = sizeOf(shape);
  if (p.dataLocation === 1 || (p.externalData && p.externalData.length)) {
    throw new Error(`tensor '${p.name}' uses external data, which this reader does not load`);
  }
  if (p.rawData && p.rawData.length) {
    if (p.rawData.length !== n * dtypeBytes(dtype)) {
      throw new Error(`tensor '${p.name}' has ${p.rawData.length} bytes of data, expected ${n * dtypeBytes(dtype)}`);
    }
    const copy = new Uint8Array(p.rawData);
    return { dtype, shape, data: viewOf(dtype, copy.buffer, 0, n) };
  }
  const t: HostTensor = { dtype, shape, data: viewOf(dtype, new ArrayBuffer(n * dtypeBytes(dtype)), 0, n) };
  // onnx.proto's typed fields: int64 in int64_data, uint32 and uint64 in uint64_data, the other integers, bool and float16 bits in int32_data.
  const src: ArrayLike<number | { toString(): string } | bigint> | undefined =
    dtype === 'float32' ? p.floatData ?? undefined
      : dtype === 'float64' ? p.doubleData ?? undefined
        : dtype === 'int64' ? (p.int64Data as ArrayLike<number>) ?? undefined
          : dtype === 'uint32' || dtype === 'uint64' ? (p.uint64Data as ArrayLike<number>) ?? undefined
            : (p.int32Data ?? undefined);
  if (!src || src.length !== n) throw new Error(`tensor '${p.name}' holds ${src?.length ?? 0} values, expected ${n}`);
  const big = dtype === 'int64' || dtype === 'uint64';
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    // A protobufjs Long prints its exact decimal (signed for int64, unsigned for uint64).
    if (big) (t.data as BigInt64Array)[i] = BigInt(typeof v === 'object' ? v.toString() : v);
    else (t.data as Float64Array)[i] = Number(typeof v === 'object' ? v.toString() : v);
  }
  return t;
}

/**
 * A narrow-dtype TensorProto in its wide dtype, marked with its format: raw little-endian data (bfloat16's
 * 16-bit words, float8's bytes, 4- and 2-bit values packed low bits first), or int32_data holding one
 * word/byte per entry as onnx.proto says; each encoding decoded exactly (runtime/narrow.ts).
 */
function widenNarrow(p: OnnxNs.ITensorProto, f: NarrowFormat): HostTensor {
  const shape = (p.dims ?? []).map((d) => Number(d));
  const n = sizeOf(shape);
  if (p.dataLocation === 1 || (p.externalData && p.externalData.length)) throw new Error(`tensor '${p.name}' uses external data, which this reader does not load`);
  const what = `tensor '${p.name}'`;
  let stored: ArrayLike<number>;
  if (p.rawData && p.rawData.length) {
    const raw = new Uint8Array(p.rawData);
    if (NARROW[f].bits === 16 && raw.length % 2) throw new Error(`${what} has ${raw.length} bytes of ${f} data, expected ${2 * n}`);
    stored = NARROW[f].bits === 16 ? new Uint16Array(raw.buffer, 0, raw.length / 2) : raw;
  } else stored = p.int32Data ?? [];
  const codes = unpackNarrow(f, stored, n, what);
  const wide = NARROW[f].wide;
  const data = allocate(wide, n) as Float32Array | Int8Array | Uint8Array;
  for (let i = 0; i < n; i++) data[i] = decodeNarrow(f, codes[i]!);
  return markNarrowTensor<HostTensor>({ dtype: wide, shape, data }, f);
}

/** A ValueInfoProto for a tensor; symbolic dimensions become dim_params. */
export function valueInfo(name: string, type: TensorType | { dtype: TensorType['dtype']; shape?: Shape }): OnnxNs.IValueInfoProto {
  const tensorType: OnnxNs.TypeProto.ITensor = { elemType: onnxDType(type.dtype) };
  if (type.shape) {
    tensorType.shape = {
      dim: type.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
    };
  }
  return { name, type: { tensorType } };
}
