/**
 * `narrowCast`: ONNX's Cast to one of its narrow dtypes (bfloat16, the
 * float8s, float4e2m1, float8e8m0, int4/uint4, int2/uint2), which gluonc
 * holds in a wider dtype (runtime/narrow.ts): the input rounded onto the
 * format's values, given in that wide dtype (float32 for the float formats,
 * int8 for int4/int2, uint8 for uint4/uint2). One operator, the format an
 * attribute; the ONNX lowering is arithmetic in float64 (onnxruntime-node's
 * CPU Cast has no float4e2m1 kernel, wraps int4 after rounding to nearest
 * where ONNX's reference truncates, gives 0 for int2, and Cast to float8e8m0
 * needs opset 24 where gluonc exports 13 to 21), so every format lowers at
 * every opset. Gradient: as PyTorch's `x.to(torch.float8_e4m3fn).float()`
 * (bfloat16, float8e8m0 too), whose backward casts the gradient to the
 * narrow dtype and back (ToCopyBackward): the gradient rounded onto the
 * format, a straight-through estimator; integer results have none.
 */
import { allocate, isFloat, type DType } from '../../runtime/dtypes.js';
import { isNarrowFormat, NARROW, NARROW_FORMATS, roundNarrow, type NarrowFormat } from '../../runtime/narrow.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import type { LowerCtx, OpDef, Tx } from './define.js';
import { defineOp } from './define.js';
import { OpError } from './errors.js';

type NarrowCastSig = (data: Tx, options: { format: NarrowFormat; saturate?: boolean; roundMode?: 'up' | 'down' | 'nearest' }) => Tx;
type NarrowAttrs = { format: NarrowFormat; saturate: boolean; roundMode: 'up' | 'down' | 'nearest' };

/** ONNX nodes on float64 names: a small emitter over `c`. */
function builder(c: LowerCtx) {
  const k = (v: number): string => c.scalar(v, 'float64');
  const e = (op: string, ...ins: string[]): string => c.emit(op, ins)[0]!;
  const where = (cond: string, a: string, b: string): string => e('Where', cond, a, b);
  /** floor(log2(a)) exactly for a in [2^lo, 2^hi]: Log's estimate corrected by one either way against Pow(2, .). */
  const log2Floor = (a: string): string => {
    const e0 = e('Floor', e('Div', e('Log', a), k(Math.LN2)));
    const p = e('Pow', k(2), e0);
    const down = where(e('Greater', p, a), e('Sub', e0, k(1)), e0);
    return where(e('LessOrEqual', e('Mul', p, k(2)), a), e('Add', e0, k(1)), down);
  };
  return { k, e, where, log2Floor };
}

/** The float formats' rounding (round to nearest even on the format's grid, overflow and NaN as `roundNarrow`). */
function lowerFloat(c: LowerCtx, x: string, f: NarrowFormat, saturate: boolean): string {
  const spec = NARROW[f].spec as { man: number; bias: number; max: number; inf: boolean; fnuz: boolean; noNan?: boolean };
  const { k, e, where, log2Floor } = builder(c);
  const a = e('Abs', x);
  const emin = 1 - spec.bias;
  const clamped = e('Min', e('Max', a, k(2 ** emin)), k(2 * spec.max));
  const ulp = e('Pow', k(2), e('Sub', log2Floor(clamped), k(spec.man)));
  let q = e('Mul', e('Round', e('Div', e('Min', a, k(2 * spec.max)), ulp)), ulp);
  const sat = spec.noNan || (f !== 'bfloat16' && saturate);
  q = where(e('Greater', q, k(spec.max)), k(sat ? spec.max : spec.inf ? Infinity : NaN), q);
  // NaN stays NaN (float4e2m1, which has none: -0 as ml_dtypes). The sign last, as q·(±1): onnxruntime's Where and
  // Neg give +0 for -0. Negative x and -0 (1/x < 0) take -q, so -0 where the format has it; fnuz formats have none.
  const nan = e('IsNaN', x);
  q = where(nan, k(spec.noNan ? 0 : NaN), q);
  const neg = spec.fnuz
    ? e('And', e('Less', x, k(0)), e('Greater', q, k(0)))
    : e('Or', e('Or', e('Less', x, k(0)), e('Less', e('Div', k(1), x), k(0))), spec.noNan ? nan : e('Less', k(1), k(0)));
  return e('Mul', q, where(neg, k(-1), k(1)));
}

/** float8e8m0 as onnx.numpy_helper.to_float8e8m0 on the float32's exponent field E and fraction m. */
function lowerE8m0(c: LowerCtx, x: string, saturate: boolean, mode: string): string {
  const { k, e, where, log2Floor } = builder(c);
  const x32 = c.emit('Cast', [c.emit('Cast', [x], { to: 1 })[0]!], { to: 11 })[0]!;
  const ax = e('Abs', x32);
  const sub = e('Less', ax, k(2 ** -126));
  const ex = log2Floor(e('Min', e('Max', ax, k(2 ** -126)), k(2 ** 127)));
  const E = where(sub, k(0), e('Add', ex, k(127)));
  const m = e('Sub', e('Div', ax, e('Pow', k(2), ex)), where(sub, k(0), k(1)));
  const frac = (s: number): string => {
    const t = e('Mul', m, k(s));
    return e('Sub', t, e('Floor', t));
  };
  let inc: string;
  if (mode === 'up') inc = e('Greater', m, k(0));
  else if (mode === 'nearest') {
    const g = e('GreaterOrEqual', m, k(0.5));
    const rs = e('Or', e('GreaterOrEqual', frac(2), k(0.5)), e('Greater', frac(4), k(0)));
    inc = e('And', g, e('Or', rs, e('Not', sub)));
  } else inc = e('Less', k(1), k(0));
  if (saturate) inc = e('And', inc, e('Not', e('Equal', E, k(254))));
  const E2 = e('Add', E, c.emit('Cast', [inc], { to: 11 })[0]!);
  const special = e('Or', e('IsNaN', x32), e('IsInf', x32));
  return where(e('Or', special, e('Equal', E2, k(255))), k(NaN), e('Pow', k(2), e('Sub', E2, k(127))));
}

/** The integer formats: truncate toward 0 and wrap to the format's bits (NaN and inf: 0). */
function lowerInt(c: LowerCtx, x: string, f: NarrowFormat): string {
  const spec = NARROW[f].spec as { lo: number; hi: number };
  const n = 2 ** NARROW[f].bits;
  const { k, e, where } = builder(c);
  const bad = e('Or', e('IsNaN', x), e('IsInf', x));
  const t = where(bad, k(0), where(e('Less', x, k(0)), e('Ceil', x), e('Floor', x)));
  const w = e('Sub', t, e('Mul', k(n), e('Floor', e('Div', t, k(n)))));
  return spec.lo < 0 ? where(e('Greater', w, k(spec.hi)), e('Sub', w, k(n)), w) : w;
}

/**
 * The input rounded onto the values of a narrow format as ONNX's Cast to it does, held in the format's
 * wide dtype (float32, int8 or uint8). `saturate` (float8: ONNX's default true) and `roundMode`
 * (float8e8m0: 'up', 'down', 'nearest') are Cast's attributes.
 *
 * ```ts
 * nd.narrowCast(nd.array([0.3, 1000, -7.7]), { format: 'float8e4m3fn' }); // float32 [0.3125, 448, -7.5]
 * nd.narrowCast(nd.array([9.7, -3]), { format: 'int4' }); // int8 [-7, -3]
 * ```
 */
export const narrowCast: OpDef<NarrowCastSig, NarrowAttrs> = defineOp<NarrowCastSig, NarrowAttrs>({
  name: 'narrowCast',
  inputs: ['data'],
  attrs: { format: 'float8e4m3fn', saturate: true, roundMode: 'up' },
  normalize: (attrs, types) => {
    if (!isNarrowFormat(attrs.format)) throw new OpError('narrowCast', `format must be one of ${NARROW_FORMATS.join(', ')}, got ${JSON.stringify(attrs.format)}`, types);
    if (!['up', 'down', 'nearest'].includes(attrs.roundMode)) throw new OpError('narrowCast', `roundMode must be 'up', 'down' or 'nearest', got ${JSON.stringify(attrs.roundMode)}`, types);
    return { ...attrs, saturate: !!attrs.saturate };
  },
  infer: ([x], attrs) => {
    if (!isNarrowFormat(attrs.format)) throw new OpError('narrowCast', `format must be one of ${NARROW_FORMATS.join(', ')}, got ${JSON.stringify(attrs.format)}`, [x!]);
    const d: DType = x!.dtype;
    if (d === 'int64' || d === 'uint64') throw new OpError('narrowCast', `${d} data is not supported (cast it to float64 first)`, [x!]);
    return [{ dtype: NARROW[attrs.format].wide, shape: x!.shape }];
  },
  kernel: ([x], attrs, [out]) => {
    const v = tensorToNumbers(x!);
    const data = allocate(out!.dtype, v.length) as Float32Array | Int8Array | Uint8Array;
    for (let i = 0; i < v.length; i++) data[i] = roundNarrow(attrs.format, v[i]!, attrs);
    return [{ dtype: out!.dtype, shape: x!.shape, data }];
  },
  eagerKernel: true,
  lower: (c, attrs) => {
    const x = c.emit('Cast', [c.inputs[0]!], { to: 11 })[0]!;
    const spec = NARROW[attrs.format].spec;
    const y = spec.kind === 'int' ? lowerInt(c, x, attrs.format) : spec.kind === 'e8m0' ? lowerE8m0(c, x, attrs.saturate, attrs.roundMode) : lowerFloat(c, x, attrs.format, attrs.saturate);
    c.emit('Cast', [y], { to: c.outTypes[0]!.dtype === 'float32' ? 1 : c.outTypes[0]!.dtype === 'int8' ? 3 : 2 }, c.outputs);
  },
  // PyTorch's x.to(torch.bfloat16).float() (float8_e4m3fn, ...) passes the gradient through its own cast back: the
  // gradient rounded onto the format, in the input's dtype (a straight-through estimator); integer formats have none.
  straightThrough: "as PyTorch's x.to(torch.float8_e4m3fn).float() (bfloat16, float8_e5m2, float8_e8m0fnu): the gradient rounded onto the format and passed through",
  grad: (F, { attrs, inTypes: [x] }, [g]) => {
    const a = attrs as NarrowAttrs;
    if (!g || !isFloat(NARROW[a.format].wide) || !isFloat(x!.dtype)) return [null];
    return [F.cast(F.narrowCast(g, { format: a.format, saturate: a.saturate, roundMode: a.roundMode }), x!.dtype)];
  },
});

/** The narrow-format operator. */
export const NARROW_CAST_OPS = { narrowCast };
