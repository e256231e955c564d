/**
 * `roundBfloat16`: a float32 value rounded to the nearest bfloat16 (8
 * significant bits, float32's exponent range), held in float32: round half to
 * even, NaN kept, past bfloat16's largest finite value infinity, subnormals
 * rounded alike. gluonc has no bfloat16 dtype (files' bfloat16 tensors are read
 * as float32); this is what ONNX's Cast(to=BFLOAT16) does to the values, so an
 * imported model that casts to bfloat16 and computes on gets bfloat16's numbers.
 * Compiled: Cast(to=BFLOAT16) then Cast(to=FLOAT) (onnxruntime's CPU Cast rounds
 * half to even); eagerly the same rounding on the float32 bits.
 */
import { ONNX_BFLOAT16, onnxDType } from '../../runtime/dtypes.js';
import { defineOp, type Method, type OpDef, type Tx } from './define.js';
import { commonDType, floatGrad } from './elementwise.js';
import { mapN } from './kernels.js';

const F32 = new Float32Array(1);
const BITS = new Uint32Array(F32.buffer);

/** The float32 `x` rounded to the nearest bfloat16 (half to even on the 16 dropped bits; NaN stays NaN). */
export function toBfloat16(x: number): number {
  if (Number.isNaN(x)) return x;
  F32[0] = x;
  const b = BITS[0]!;
  // Adding 0x7fff plus the kept lowest bit carries into the kept bits exactly when the dropped half is above, or at a tie with an odd kept part.
  BITS[0] = (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000;
  return F32[0]!;
}

/**
 * float32 values rounded to bfloat16 precision, still float32. The gradient
 * passes through unchanged (a cast's, as PyTorch's `.to(torch.bfloat16)`).
 * Example: `F.roundBfloat16(x)`; `nd.roundBfloat16(nd.array([1.00390625]))` is `[1]`.
 */
export const roundBfloat16: OpDef<Method<(data: Tx) => Tx>> = defineOp<Method<(data: Tx) => Tx>>({
  name: 'roundBfloat16',
  inputs: ['data'],
  method: true,
  infer: (types) => [{ dtype: commonDType('roundBfloat16', types, ['float32']), shape: [...types[0]!.shape] }],
  lower: (c) => {
    const [b] = c.emit('Cast', c.inputs, { to: ONNX_BFLOAT16 });
    c.emit('Cast', [b!], { to: onnxDType('float32') }, c.outputs);
  },
  kernel: (ins, _a, [out]) => [mapN(ins, out!, toBfloat16)],
  grad: floatGrad((_F, _ctx, [g]) => [g!]),
});

/** The bfloat16 operators, by F name. */
export const BFLOAT16_OPS = { roundBfloat16 } as const;
