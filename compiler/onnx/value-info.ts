/**
 * The IR types ONNX ValueInfoProtos declare (graph inputs, outputs and
 * value_info), and the comparison of declared shapes with inferred ones.
 * Invariant: a non-tensor type is an Error naming the value and its kind.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import { DTYPES } from '../../runtime/dtypes.js';
import type { Dim, TensorType } from '../ir/types.js';
import { readDType } from './proto.js';

/**
 * The IR type of a ValueInfoProto; dims without value or name become `<name>_<i>` (inputs only).
 *
 * ```ts
 * typeOf(vi, fail, "graph input 'x'", true); // { dtype: 'float32', shape: ['N', 3] }
 * ```
 */
export function typeOf(vi: OnnxNs.IValueInfoProto, fail: (m: string) => Error, what: string, needShape: boolean): TensorType {
  const tt = vi.type?.tensorType;
  if (!tt) {
    const t = vi.type;
    const kind = t?.sequenceType ? 'a sequence' : t?.optionalType ? 'an optional' : t?.mapType ? 'a map' : t?.sparseTensorType ? 'a sparse tensor' : 'no tensor';
    throw fail(`${what} is ${kind}; gluonc graphs take and give tensors (its dtypes: ${DTYPES.join(', ')}; ONNX's narrow dtypes are read as a wider one: bfloat16, float8 and float4 as float32, int4/int2 as int8, uint4/uint2 as uint8)`);
  }
  let dtype;
  try {
    dtype = readDType(tt.elemType ?? 0);
  } catch (e) {
    throw fail(`${what}: ${(e as Error).message}`);
  }
  if (!tt.shape) {
    if (needShape) throw fail(`${what} has no shape; gluonc needs at least the rank of every input`);
    return { dtype, shape: [] };
  }
  const shape = (tt.shape.dim ?? []).map((d, i): Dim => {
    if (d.dimParam) return d.dimParam;
    if (d.dimValue !== undefined && d.dimValue !== null) return Number(d.dimValue);
    return `${vi.name}_${i}`;
  });
  return { dtype, shape };
}

/** Dimension-wise equality; symbolic dimensions must match by name only when `strict`. Example: `sameShape([2, 'N'], [2, 'M'], false)` is true. */
export function sameShape(declared: Dim[], ours: Dim[], strict: boolean): boolean {
  if (declared.length !== ours.length) return false;
  return declared.every((d, i) => {
    const o = ours[i]!;
    if (typeof d === 'number' && typeof o === 'number') return d === o;
    return strict ? d === o : true;
  });
}
