/**
 * Importers of ONNX's quantized operators (onnxruntime's quantizer writes
 * them): MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv map one
 * to one onto gluonc's operators of compiler/ops/quantized.ts. An absent
 * zero point before a present one becomes a scalar 0 of the operand's dtype.
 */
import type { Value } from '../../ir/value.js';
import { castTo, type Builder, type ImportCtx } from './context.js';
import { roundEven } from './elementwise.js';
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

/**
 * ConvInteger. A weight zero point per output channel (onnxruntime's kernel and gluonc's convInteger take one
 * scalar) by linearity: conv(x - xzp, w - wzp[o]) = conv(x - xzp, w) - wzp[o] · conv(x - xzp, ones), the second
 * the sum of each window (padding adds 0 to both, as ONNX pads after subtracting the zero point), in int32.
 */
const convInteger: Builder = (c) => {
  const [x, w] = [c.input(0), c.input(1)];
  const opts = convOptions(c, x, w);
  const wzp = c.optInput(3);
  if (!wzp || wzp.type.shape.reduce<number>((n, d) => n * (typeof d === 'number' ? d : 2), 1) === 1) return [c.op('convInteger', [x, w, ...zeroPoint(c, 2, x), ...zeroPoint(c, 3, w)], opts)];
  const m = w.type.shape[0];
  if (wzp.type.shape.length !== 1 || wzp.type.shape[0] !== m) throw c.refuse(`a weight zero point of shape [${wzp.type.shape.join(', ')}] for ${m} output channels`);
  const xzp = c.optInput(2) ?? c.scalar(0, x.type.dtype);
  const zero = c.scalar(0, w.type.dtype);
  const plain = c.op('convInteger', [x, w, xzp, zero], opts);
  const windows = c.op('convInteger', [x, c.op('onesLike', [w]), xzp, zero], opts);
  const perChannel = c.op('reshape', [castTo(c, wzp, 'int32')], { shape: [1, -1, ...x.type.shape.slice(2).map(() => 1)] });
  return [c.op('sub', [plain, c.op('mul', [perChannel, windows])])];
};

/** The saturating range of QLinearMatMul's output dtypes. */
const Q_RANGES: Record<string, [number, number]> = { uint8: [0, 255], int8: [-128, 127] };

/**
 * QLinearMatMul: gluonc's qlinearMatmul (onnxruntime's kernel) for float32 scales; with float16 scales (opset 21)
 * ONNX's reference formula: the integer product (matmulInteger, int32) times a_scale·b_scale/y_scale computed in
 * the scales' dtype, in float64, plus y_zero_point, rounded half to even and saturated.
 */
const qlinearMatmul: Builder = (c) => {
  const ins = inputs(c, 8);
  const [a, as, azp, b, bs, bzp, ys, yzp] = ins as [Value, Value, Value, Value, Value, Value, Value, Value];
  if ([as, bs, ys].every((s) => s.type.dtype === 'float32')) return [c.op('qlinearMatmul', ins)];
  const range = Q_RANGES[yzp.type.dtype];
  if (!range) throw c.refuse(`output dtype ${yzp.type.dtype} (uint8 and int8 are supported)`);
  if (!(as.type.dtype === bs.type.dtype && bs.type.dtype === ys.type.dtype)) throw c.refuse(`scales of dtypes ${as.type.dtype}, ${bs.type.dtype}, ${ys.type.dtype}`);
  const product = castTo(c, c.op('matmulInteger', [a, b, azp, bzp]), 'float64');
  const multiplier = castTo(c, c.op('div', [c.op('mul', [as, bs]), ys]), 'float64');
  const d = c.op('add', [c.op('mul', [product, multiplier]), castTo(c, yzp, 'float64')]);
  return [castTo(c, c.op('clip', [roundEven(c, d, 'float64')], { aMin: range[0], aMax: range[1] }), yzp.type.dtype)];
};

/** The quantized importers by ONNX operator. */
export const QUANTIZED_IMPORTS: Record<string, Builder> = {
  MatMulInteger: (c) => {
    const [a, b] = [c.input(0), c.input(1)];
    return [c.op('matmulInteger', [a, b, ...zeroPoint(c, 2, a), ...zeroPoint(c, 3, b)])];
  },
  ConvInteger: convInteger,
  QLinearMatMul: qlinearMatmul,
  QLinearConv: (c) => {
    const ins = inputs(c, 8);
    const b = c.optInput(8);
    return [c.op('qlinearConv', b ? [...ins, b] : ins, convOptions(c, ins[0]!, ins[3]!))];
  },
};
