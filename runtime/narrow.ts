/**
 * ONNX's narrow dtypes, which gluonc holds exactly in a wider dtype of its
 * own: bfloat16, the float8s, float4e2m1 and float8e8m0 in float32 (every
 * value of theirs is a float32), int4/int2 in int8 and uint4/uint2 in uint8.
 * Here: each format's ONNX number and wide dtype, the value of each of its
 * encodings (`decodeNarrow`, onnx.numpy_helper / ml_dtypes), unpacking of
 * ONNX's packed 4- and 2-bit data (low bits first), and the rounding of a
 * number onto the format's values (`roundNarrow`: ONNX's Cast to the format).
 * Invariants: pure functions of numbers (no tensors, no compiler); a rounded
 * value is one `decodeNarrow` gives for some encoding.
 */
import type { DType } from './dtypes.js';

/** The narrow formats, by ONNX's names in lower case. */
export type NarrowFormat =
  | 'bfloat16' | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz'
  | 'uint4' | 'int4' | 'float4e2m1' | 'float8e8m0' | 'uint2' | 'int2';

/** A float format of sign, exponent and mantissa bits (not float8e8m0). */
interface FloatSpec {
  kind: 'float';
  /** Mantissa (fraction) bits. */
  man: number;
  /** Exponent bits and bias. */
  exp: number;
  bias: number;
  /** The largest finite value. */
  max: number;
  /** Has infinities (bfloat16, float8e5m2): a non-saturating overflow gives ±inf, else NaN. */
  inf: boolean;
  /** The "fnuz" formats: no -0 (0x80 is their NaN). */
  fnuz: boolean;
  /** float4e2m1 has no NaN or infinity: it always saturates, and takes NaN to -0 as ml_dtypes does (ml_dtypes: +0 for a NaN with its sign bit set, which a JS number does not carry). */
  noNan?: boolean;
}

/** What each format is: its ONNX TensorProto.DataType number, bits, the gluonc dtype holding it and its layout. */
export const NARROW: Record<NarrowFormat, { onnx: number; bits: number; wide: DType; spec: FloatSpec | { kind: 'int'; lo: number; hi: number } | { kind: 'e8m0' } }> = {
  bfloat16: { onnx: 16, bits: 16, wide: 'float32', spec: { kind: 'float', man: 7, exp: 8, bias: 127, max: (2 - 2 ** -7) * 2 ** 127, inf: true, fnuz: false } },
  float8e4m3fn: { onnx: 17, bits: 8, wide: 'float32', spec: { kind: 'float', man: 3, exp: 4, bias: 7, max: 448, inf: false, fnuz: false } },
  float8e4m3fnuz: { onnx: 18, bits: 8, wide: 'float32', spec: { kind: 'float', man: 3, exp: 4, bias: 8, max: 240, inf: false, fnuz: true } },
  float8e5m2: { onnx: 19, bits: 8, wide: 'float32', spec: { kind: 'float', man: 2, exp: 5, bias: 15, max: 57344, inf: true, fnuz: false } },
  float8e5m2fnuz: { onnx: 20, bits: 8, wide: 'float32', spec: { kind: 'float', man: 2, exp: 5, bias: 16, max: 57344, inf: false, fnuz: true } },
  uint4: { onnx: 21, bits: 4, wide: 'uint8', spec: { kind: 'int', lo: 0, hi: 15 } },
  int4: { onnx: 22, bits: 4, wide: 'int8', spec: { kind: 'int', lo: -8, hi: 7 } },
  float4e2m1: { onnx: 23, bits: 4, wide: 'float32', spec: { kind: 'float', man: 1, exp: 2, bias: 1, max: 6, inf: false, fnuz: false, noNan: true } },
  float8e8m0: { onnx: 24, bits: 8, wide: 'float32', spec: { kind: 'e8m0' } },
  uint2: { onnx: 25, bits: 2, wide: 'uint8', spec: { kind: 'int', lo: 0, hi: 3 } },
  int2: { onnx: 26, bits: 2, wide: 'int8', spec: { kind: 'int', lo: -2, hi: 1 } },
};

/** Every narrow format. */
export const NARROW_FORMATS = Object.keys(NARROW) as NarrowFormat[];

/** The narrow format of an ONNX TensorProto.DataType number, or undefined. Example: `narrowOfOnnx(22) === 'int4'`. */
export function narrowOfOnnx(n: number): NarrowFormat | undefined {
  return NARROW_FORMATS.find((f) => NARROW[f].onnx === n);
}

/** The tensors (their typed arrays' owners) the ONNX reader widened from a narrow format, by format. */
const widened = new WeakMap<object, NarrowFormat>();

/** Marks `t` as a file's tensor of narrow format `f` held in its wide dtype; returns it. */
export function markNarrowTensor<T extends object>(t: T, f: NarrowFormat): T {
  widened.set(t, f);
  return t;
}

/** The narrow format `t` held in the file (a tensor the ONNX reader widened), or undefined. */
export function narrowTensorFormat(t: object): NarrowFormat | undefined {
  return widened.get(t);
}

/** Whether `x` names a narrow format. */
export function isNarrowFormat(x: unknown): x is NarrowFormat {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(NARROW, x);
}

/**
 * The value of one encoding (its `bits` low bits) of a format: `decodeNarrow('float8e4m3fn', 0x7e) === 448`,
 * `decodeNarrow('int4', 0xf) === -1`, `decodeNarrow('float8e8m0', 127) === 1`.
 */
export function decodeNarrow(f: NarrowFormat, code: number): number {
  const { bits, spec } = NARROW[f];
  const b = code & ((1 << bits) - 1);
  if (spec.kind === 'int') return spec.lo < 0 && b > spec.hi ? b - (1 << bits) : b;
  if (spec.kind === 'e8m0') return b === 255 ? NaN : 2 ** (b - 127);
  const sign = b >> (bits - 1);
  const e = (b >> spec.man) & ((1 << spec.exp) - 1);
  const m = b & ((1 << spec.man) - 1);
  if (spec.fnuz && b === 1 << (bits - 1)) return NaN;
  const top = (1 << spec.exp) - 1;
  if (e === top && !spec.fnuz && !spec.noNan) {
    // IEEE-like (bfloat16, e5m2): all-ones exponent is inf (zero mantissa) or NaN; e4m3fn: only S.1111.111 is NaN.
    if (spec.inf) return m === 0 ? (sign ? -Infinity : Infinity) : NaN;
    if (m === (1 << spec.man) - 1) return NaN;
  }
  const mag = e === 0 ? m * 2 ** (1 - spec.bias - spec.man) : (1 + m / 2 ** spec.man) * 2 ** (e - spec.bias);
  return sign ? -mag : mag;
}

/** Round half to even of a finite number. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** floor(log2(a)) exactly, for a finite a > 0. */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/** How a value is rounded onto a format (ONNX Cast's `saturate` and `round_mode` attributes). */
export interface NarrowRounding {
  /** float8: saturate to the largest finite value (ONNX's default) or give NaN/inf as the spec's table says. */
  saturate: boolean;
  /** float8e8m0 only: 'up' (ONNX's default), 'down' or 'nearest', as onnx.numpy_helper.to_float8e8m0. */
  roundMode: 'up' | 'down' | 'nearest';
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * `x` rounded onto the format's values as ONNX's Cast to it does (the reference's
 * onnx/reference/ops/op_cast.py): the float formats round to nearest even, float8's overflow
 * as the Cast spec's tables say (`saturate`; bfloat16 overflows to inf, float4e2m1 always
 * saturates and takes NaN to -0 as ml_dtypes does); float8e8m0 rounds the float32's bits
 * (sign ignored, inf and NaN to NaN) by `roundMode`; the integer formats truncate toward 0
 * and wrap to their bits as integer Cast does (ml_dtypes' astype; NaN and inf give 0).
 * Examples: `roundNarrow('float8e4m3fn', 464, r) === 448` (tie to even), `roundNarrow('int4', 9.7, r) === -7`.
 */
export function roundNarrow(f: NarrowFormat, x: number, r: NarrowRounding): number {
  const { bits, spec } = NARROW[f];
  if (spec.kind === 'int') {
    if (!Number.isFinite(x)) return 0;
    const t = Math.trunc(x);
    const n = 2 ** bits;
    const w = ((t % n) + n) % n;
    return spec.lo < 0 && w > spec.hi ? w - n : w;
  }
  if (spec.kind === 'e8m0') return e8m0(x, r);
  if (Number.isNaN(x)) return spec.noNan ? -0 : NaN;
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let q: number;
  if (a === Infinity) q = Infinity;
  else if (a === 0) q = 0;
  else {
    const ulp = 2 ** (Math.max(exponentOf(a), 1 - spec.bias) - spec.man);
    q = roundHalfEven(a / ulp) * ulp;
  }
  if (q > spec.max) {
    const sat = spec.noNan || (f !== 'bfloat16' && r.saturate);
    q = sat ? spec.max : spec.inf ? Infinity : NaN;
    if (Number.isNaN(q)) return NaN;
  }
  if (q === 0 && spec.fnuz) return 0;
  return neg ? -q : q;
}

/** onnx.numpy_helper.to_float8e8m0 of one value (on its float32 bits), decoded. */
function e8m0(x: number, r: NarrowRounding): number {
  f32[0] = x;
  const b = u32[0]!;
  let e = (b >>> 23) & 0xff;
  if (e === 0xff) return NaN;
  let up = false;
  if (r.roundMode === 'nearest') {
    const [g, rr, s] = [(b & 0x400000) !== 0, (b & 0x200000) !== 0, (b & 0x1fffff) !== 0];
    up = g && (rr || s || e > 0);
  } else if (r.roundMode === 'up') up = (b & 0x7fffff) !== 0;
  if (up && !(r.saturate && e === 0xfe)) e++;
  return decodeNarrow('float8e8m0', e);
}

/**
 * The encodings of `n` values of a format from ONNX's storage: packed bytes (4- and 2-bit formats,
 * low bits first, as onnx.numpy_helper unpacks them), one byte each (8-bit) or 16-bit words
 * (bfloat16). `bytes` is the raw data, or one entry per byte/word as int32_data holds them.
 */
export function unpackNarrow(f: NarrowFormat, bytes: ArrayLike<number>, n: number, what: string): Uint16Array {
  const bits = NARROW[f].bits;
  const per = bits < 8 ? 8 / bits : 1;
  const need = bits === 16 ? n : Math.ceil(n / per);
  if (bytes.length !== need) throw new Error(`${what} holds ${bytes.length} ${bits === 16 ? 'words' : 'bytes'} of ${f} data, expected ${need} for ${n} values`);
  const out = new Uint16Array(n);
  const mask = (1 << bits) - 1;
  for (let i = 0; i < n; i++) out[i] = per > 1 ? (bytes[Math.floor(i / per)]! >> ((i % per) * bits)) & mask : bytes[i]! & (bits === 16 ? 0xffff : 0xff);
  return out;
}
