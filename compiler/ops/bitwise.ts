/**
 * Bitwise operators of the integer dtypes (numpy's and MXNet 2's
 * `bitwise_and`/`or`/`xor`/`not` (`invert`), `left_shift`, `right_shift`;
 * ONNX's BitwiseAnd/Or/Xor/Not and BitShift), broadcasting, on two's
 * complement bits. Shifts follow numpy and ONNX opset 28's BitShift: a left
 * shift drops the bits moved past the width (a signed result wraps); a right
 * shift of a signed value is arithmetic (sign-extending); a shift amount that
 * is negative or at least the width gives what the sign fill alone gives: -1
 * for a right shift of a negative value, otherwise 0.
 * Invariant: the kernel computes in BigInt and wraps to the dtype's width, so
 * int64 and uint64 are exact; the lowering computes the same bits.
 */
import { dtypeBytes, onnxDType as onnxTo, type DType } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type Method, type OpDef, type Tx } from './define.js';
import { broadcastShapes } from './dims.js';
import { commonDType, solveBroadcast } from './elementwise.js';
import { broadcastIndex, emptyLike } from './kernels.js';

type Binary = Method<(lhs: Tx | number, rhs: Tx | number) => Tx>;
type Unary = Method<(data: Tx) => Tx>;

/** The integer dtypes (ONNX's T of the bitwise operators and BitShift). */
const INTS: DType[] = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'];
const SIGNED_INTS: readonly DType[] = ['int8', 'int16', 'int32', 'int64'];
const NO_GRAD = 'a bitwise operator of integers has no gradient';

/** Element-wise map in BigInt over broadcast inputs; results wrap to the output dtype's width. */
function bigMap(ins: HostTensor[], out: TensorType, f: (...xs: bigint[]) => bigint): HostTensor {
  const o = emptyLike(out);
  const shape = out.shape as number[];
  const n = sizeOf(shape);
  const bits = dtypeBytes(out.dtype) * 8;
  const signed = SIGNED_INTS.includes(out.dtype);
  const wide = bits === 64;
  const idx = ins.map((t) => (sizeOf(t.shape) === n && t.shape.length === shape.length ? null : broadcastIndex(t.shape, shape)));
  const data = ins.map((t) => t.data as ArrayLike<number | bigint>);
  const od = o.data as unknown as { [i: number]: number | bigint };
  const args = new Array<bigint>(ins.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < ins.length; k++) args[k] = BigInt(data[k]![idx[k] ? idx[k]![i]! : i]!);
    const r = signed ? BigInt.asIntN(bits, f(...args)) : BigInt.asUintN(bits, f(...args));
    od[i] = wide ? r : Number(r);
  }
  return o;
}

/** A broadcasting binary operator of the integer dtypes: `f` in BigInt, `lower` its ONNX form. */
function intBinary(name: string, f: (a: bigint, b: bigint, bits: number) => bigint, lower: (c: LowerCtx) => void, minOpset: number): OpDef<Binary> {
  return defineOp<Binary>({
    name,
    inputs: ['lhs', 'rhs'],
    method: true,
    minOpset,
    infer: (types) => [{ dtype: commonDType(name, types, INTS), shape: broadcastShapes(name, [types[0]!.shape, types[1]!.shape], types) }],
    solve: solveBroadcast,
    lower,
    kernel: (ins, _a, [out]) => [bigMap(ins, out!, (a, b) => f(a, b, dtypeBytes(out!.dtype) * 8))],
    grad: null,
    noGradReason: NO_GRAD,
  });
}

const one = (onnxOp: string) => (c: LowerCtx) => void c.emit(onnxOp, c.inputs, {}, c.outputs);

/** `lhs & rhs` of integers, broadcasting (numpy's `bitwise_and`). Example: `F.bitwiseAnd(x, 0xff)`. */
export const bitwiseAnd = intBinary('bitwiseAnd', (a, b) => a & b, one('BitwiseAnd'), 18);
/** `lhs | rhs` of integers, broadcasting (numpy's `bitwise_or`). Example: `F.bitwiseOr(x, y)`. */
export const bitwiseOr = intBinary('bitwiseOr', (a, b) => a | b, one('BitwiseOr'), 18);
/** `lhs ^ rhs` of integers, broadcasting (numpy's `bitwise_xor`). Example: `F.bitwiseXor(x, y)`. */
export const bitwiseXor = intBinary('bitwiseXor', (a, b) => a ^ b, one('BitwiseXor'), 18);

/** `~x` of integers (numpy's `bitwise_not` and `invert`). Example: `F.bitwiseNot(x)`. */
export const bitwiseNot = defineOp<Unary>({
  name: 'bitwiseNot',
  inputs: ['data'],
  method: true,
  minOpset: 18,
  infer: (types) => [{ dtype: commonDType('bitwiseNot', types, INTS), shape: [...types[0]!.shape] }],
  lower: one('BitwiseNot'),
  kernel: (ins, _a, [out]) => [bigMap(ins, out!, (a) => ~a)],
  grad: null,
  noGradReason: NO_GRAD,
});

/** True when `s` is a shift amount inside [0, bits). */
const inRange = (s: bigint, bits: number) => s >= 0n && s < BigInt(bits);

/** The unsigned dtype onnxruntime's BitShift runs for a dtype (it has no uint16 kernel: uint32 there). */
const SHIFT_IN: Record<string, DType> = { int8: 'uint8', uint8: 'uint8', int16: 'uint32', uint16: 'uint32', int32: 'uint32', uint32: 'uint32', int64: 'uint64', uint64: 'uint64' };
/** The signed dtype a signed right shift runs in (onnxruntime's Where has no int8/int16 kernel: int32 there). */
const SIGNED_IN: Record<string, DType> = { int8: 'int32', int16: 'int32', int32: 'int32', int64: 'int64' };

/**
 * The lowering of a shift: the amount s is read in int64 (a uint64 amount past 2^63 turns negative: out of
 * range, as it is); an amount outside [0, bits) becomes bits − 1, followed by a shift by 1 (giving 0), except
 * for a signed right shift, whose shift by bits − 1 is already the sign fill. BitShift runs on unsigned bits (the
 * value cast to `SHIFT_IN`, wrapping); a signed right shift is ~((~x) >> s) for negative x (~x = −1 − x ≥ 0).
 */
function lowerShift(c: LowerCtx, direction: 'LEFT' | 'RIGHT'): void {
  const d = c.outTypes[0]!.dtype;
  const bits = dtypeBytes(d) * 8;
  const [x, s] = c.inputs as [string, string];
  const cast = (v: string, to: DType) => c.emit('Cast', [v], { to: onnxTo(to) })[0]!;
  const s64 = cast(s, 'int64');
  const [below] = c.emit('Less', [s64, c.scalar(bits, 'int64')]);
  const [negative] = c.emit('Less', [s64, c.scalar(0, 'int64')]);
  const [valid] = c.emit('And', [below!, c.emit('Not', [negative!])[0]!]);
  const clamped = c.emit('Where', [valid!, s64, c.scalar(bits - 1, 'int64')])[0]!;
  if (direction === 'RIGHT' && SIGNED_INTS.includes(d)) {
    const w = SIGNED_IN[d]!;
    const u = SHIFT_IN[w]!;
    const xw = d === w ? x : cast(x, w);
    const [neg] = c.emit('Less', [xw, c.scalar(0, w)]);
    const flip = (v: string) => c.emit('Where', [neg!, c.emit('Sub', [c.scalar(-1, w), v])[0]!, v])[0]!;
    const [shifted] = c.emit('BitShift', [cast(flip(xw), u), cast(clamped, u)], { direction });
    const y = flip(cast(shifted!, w));
    c.emit('Cast', [y], { to: onnxTo(d) }, c.outputs);
    return;
  }
  // Out of range: a shift by bits − 1 and then by 1 more leaves 0 (Mul has no uint8 kernel at opset 13).
  const u = SHIFT_IN[d]!;
  const [shifted] = c.emit('BitShift', [d === u ? x : cast(x, u), cast(clamped, u)], { direction });
  const [rest] = c.emit('BitShift', [shifted!, cast(c.emit('Not', [valid!])[0]!, u)], { direction });
  c.emit('Cast', [rest!], { to: onnxTo(d) }, c.outputs);
}

/**
 * `lhs << rhs` of integers, broadcasting (numpy's `left_shift`): bits past the width are dropped (a signed
 * result wraps); an amount below 0 or at least the width gives 0. Example: `F.leftShift(x, 3)`.
 */
export const leftShift = intBinary('leftShift', (a, s, bits) => (inRange(s, bits) ? a << s : 0n), (c) => lowerShift(c, 'LEFT'), 13);
/**
 * `lhs >> rhs` of integers, broadcasting (numpy's `right_shift`): arithmetic (sign-extending) for signed
 * dtypes; an amount below 0 or at least the width gives the sign fill (-1 for a negative value, else 0).
 * Example: `F.rightShift(x, 1)`.
 */
export const rightShift = intBinary('rightShift', (a, s, bits) => (inRange(s, bits) ? a >> s : a < 0n ? -1n : 0n), (c) => lowerShift(c, 'RIGHT'), 13);

export const BITWISE_OPS = {
  bitwiseAnd, bitwiseOr, bitwiseXor, bitwiseNot, invert: bitwiseNot, leftShift, rightShift,
} as const;
