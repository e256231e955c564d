/**
 * Importers of ONNX's quantized operators (onnxruntime's quantizer writes
 * them): MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv map one
 * to one onto gluonc's operators of compiler/ops/quantized.ts. An absent
 * zero point before a present one becomes a scalar 0 of the operand's dtype.
 */
import type { Value } from '../../ir/value.js';
import type { Builder, ImportCtx } from './context.js';
import { geometry } from './nn.js';

/** Input `i`, or a scalar 0 of `like`'s dtype where a later input is present. */
function zeroPoint(c: ImportCtx, i: number, like: Value): Value[] {
  const later = Array.from({ length: Math.max(c.nInputs - i - 1, 0) }, (_v, k) => c.has(i + 1 + k)).some(Boolean);
  const v = c.optInput(i);
  return v ? [v] : later ? [c.scalar(0, like.type.dtype)] : [];
}

/** The convolution options of a ConvInteger/QLinearConv node on data `x` with weight `w`. */
function convOptions(c: ImportCtx, x: Value, w: Value) {
  const g = geometry(c, x, w.type.shape.slice(2));
  return { kernel: g.kernel, stride: g.stride, dilate: g.dilate, pad: [...g.begin, ...g.end], numGroup: c.attr.int('group', 1) };
}

const inputs = (c: ImportCtx, n: number): Value[] => Array.from({ length: n }, (_v, i) => c.input(i));

/** The quantized importers by ONNX operator. */
export const QUANTIZED_IMPORTS: Record<string, Builder> = {
  MatMulInteger: (c) => {
    const [a, b] = [c.input(0), c.input(1)];
    return [c.op('matmulInteger', [a, b, ...zeroPoint(c, 2, a), ...zeroPoint(c, 3, b)])];
  },
  ConvInteger: (c) => {
    const [x, w] = [c.input(0), c.input(1)];
    return [c.op('convInteger', [x, w, ...zeroPoint(c, 2, x), ...zeroPoint(c, 3, w)], convOptions(c, x, w))];
  },
  QLinearMatMul: (c) => [c.op('qlinearMatmul', inputs(c, 8))],
  QLinearConv: (c) => {
    const ins = inputs(c, 8);
    const b = c.optInput(8);
    return [c.op('qlinearConv', b ? [...ins, b] : ins, convOptions(c, ins[0]!, ins[3]!))];
  },
};
