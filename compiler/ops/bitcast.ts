/**
 * `bitcast`: the same bytes read as another dtype of the same width
 * (numpy's `x.view(np.int32)`, PyTorch's `x.view(torch.int32)`, ONNX's
 * BitCast of opset 26; MXNet has none). float32 <-> int32/uint32,
 * float64 <-> int64/uint64, float16 <-> int16/uint16, int8 <-> uint8,
 * and bool <-> int8/uint8: a byte other than 0 reads as true (numpy's
 * truthiness of a viewed byte; gluonc holds bool as 0/1), true as 1.
 * NaN payloads, -0 and the integer extremes keep their bits.
 * Gradient: none flows through it, as PyTorch's `view(dtype)` whose
 * output never requires grad (derivatives.yaml: `output_differentiability:
 * [False]`): the input's gradient from this path is 0.
 * Lowering: ONNX's BitCast (opset 26, so a graph holding it is written at
 * 26, emit.ts); to or from bool, a Cast (0/1 both ways, the same values).
 * Invariant: the kernel copies bytes; it never converts a value.
 */
import { allocate, dtypeBytes, DTYPES, isDType, onnxDType as onnxTo, type DType } from '../../runtime/dtypes.js';
import type { HostTensor } from '../../runtime/tensor.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type Method, type Tx } from './define.js';
import { OpError } from './errors.js';

type BitcastSig = Method<(data: Tx, dtype: DType | { dtype: DType }) => Tx>;

/** The ONNX opset that introduced BitCast. */
export const BITCAST_OPSET = 26;

/** The target dtype, checked: a gluonc dtype of the input's width. */
function bitcastTo(types: TensorType[], dtype: unknown): DType {
  if (!isDType(dtype)) throw new OpError('bitcast', `unknown dtype ${JSON.stringify(dtype)} (supported: ${DTYPES.join(', ')})`, types);
  const from = types[0]!.dtype;
  if (dtypeBytes(from) !== dtypeBytes(dtype)) {
    throw new OpError('bitcast', `cannot reinterpret ${from} (${dtypeBytes(from) * 8} bits) as ${dtype} (${dtypeBytes(dtype) * 8} bits): the widths must be equal`, types);
  }
  return dtype;
}

/** The bytes of `x` as `to`; bool results are 0/1 (any non-zero byte is true). */
function reinterpret(x: HostTensor, to: DType): HostTensor {
  const out = allocate(to, x.data.length);
  const src = new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength);
  const dst = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  if (to === 'bool') for (let i = 0; i < src.length; i++) dst[i] = src[i] ? 1 : 0;
  else dst.set(src);
  return { dtype: to, shape: [...x.shape], data: out } as HostTensor;
}

/**
 * The bytes of `data` read as `dtype` (same width). Example: `x.bitcast('int32')`
 * (numpy's `x.view(np.int32)`): `nd.array([1]).bitcast('int32')` is `[1065353216]`.
 */
export const bitcast = defineOp<BitcastSig, { dtype: DType }>({
  name: 'bitcast',
  inputs: ['data'],
  attrs: { dtype: null },
  positional: ['dtype'],
  method: true,
  minOpset: BITCAST_OPSET,
  opsetNote: 'ONNX BitCast (26; a graph holding it is written at opset 26); to or from bool, Cast',
  infer: (types, a) => [{ dtype: bitcastTo(types, a.dtype), shape: [...types[0]!.shape] }],
  lower: (c, a) => {
    const to = bitcastTo(c.inTypes, a.dtype);
    const bool = to === 'bool' || c.inTypes[0]!.dtype === 'bool';
    c.emit(bool ? 'Cast' : 'BitCast', c.inputs, { to: onnxTo(to) }, c.outputs);
  },
  kernel: ([x], a) => [reinterpret(x!, a.dtype)],
  // PyTorch's view(dtype): the output is not differentiable, so no gradient reaches the input through it.
  grad: () => [null],
});

export const BITCAST_OPS = { bitcast } as const;
