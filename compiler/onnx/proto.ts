/**
 * The ONNX protobuf classes (from onnx-proto) and small builders for tensors
 * and types.
 */
import { createRequire } from 'node:module';
import type { onnx as OnnxNs } from 'onnx-proto';
import { dtypeBytes, fromOnnxDType, markBfloat16Tensor, ONNX_BFLOAT16, onnxDType, viewOf, type DType } from '../../runtime/dtypes.js';
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
 * bfloat16 (which gluonc lacks) as float32, which holds every bfloat16
 * value exactly (a torch model in bfloat16 imports and computes in float32).
 */
export function readDType(n: number): DType {
  return n === ONNX_BFLOAT16 ? 'float32' : fromOnnxDType(n);
}

/**
 * The host tensor a TensorProto holds (raw data or the typed fields); a
 * bfloat16 tensor as float32 (its 16 bits the high half of each float32, exact).
 */
export function fromTensorProto(p: OnnxNs.ITensorProto): HostTensor {
  if (p.dataType === ONNX_BFLOAT16) return widenBfloat16(p);
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

/** A bfloat16 TensorProto (raw little-endian bits, or one value's bits per int32_data entry, as onnx.proto says) as float32. */
function widenBfloat16(p: OnnxNs.ITensorProto): HostTensor {
  const shape = (p.dims ?? []).map((d) => Number(d));
  const n = sizeOf(shape);
  if (p.dataLocation === 1 || (p.externalData && p.externalData.length)) throw new Error(`tensor '${p.name}' uses external data, which this reader does not load`);
  let bits: ArrayLike<number>;
  if (p.rawData && p.rawData.length) {
    if (p.rawData.length !== 2 * n) throw new Error(`tensor '${p.name}' has ${p.rawData.length} bytes of bfloat16 data, expected ${2 * n}`);
    bits = new Uint16Array(new Uint8Array(p.rawData).buffer, 0, n);
  } else {
    bits = p.int32Data ?? [];
    if (bits.length !== n) throw new Error(`tensor '${p.name}' holds ${bits.length} bfloat16 values, expected ${n}`);
  }
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((bits[i]! & 0xffff) << 16) >>> 0;
  return markBfloat16Tensor<HostTensor>({ dtype: 'float32', shape, data: new Float32Array(out.buffer) });
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
