/**
 * Casts onto ONNX's narrow dtypes (bfloat16, float8, float4e2m1,
 * float8e8m0, int4/uint4, int2/uint2), which gluonc holds in a wider dtype
 * (runtime/narrow.ts): Cast and CastLike to one become gluonc's
 * `narrowCast` (the rounding onto the format's values, in the wide dtype)
 * and their result is marked with the format (context.ts `markNarrow`), as
 * QuantizeLinear's float formats are.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { NARROW, narrowOfOnnx, type NarrowFormat } from '../../../runtime/narrow.js';
import type { Value } from '../../ir/value.js';
import { castTo, dtypeOf, markNarrow, narrowOf, type Builder, type ImportCtx } from './context.js';

/** `v` rounded onto format `f` (Cast's `saturate` and `round_mode` attributes of the node), marked with it. */
export function toNarrow(c: ImportCtx, v: Value, f: NarrowFormat): Value {
  const roundMode = c.attr.str('round_mode', 'up');
  if (!['up', 'down', 'nearest'].includes(roundMode)) throw c.refuse(`round_mode '${roundMode}' (ONNX defines up, down and nearest)`);
  return markNarrow(c.op('narrowCast', [v], { format: f, saturate: c.attr.int('saturate', 1) !== 0, roundMode }), f);
}

/**
 * A cast to gluonc's `dtype` of its own; from a narrow value (already its wide values) a fresh value without the
 * mark, even to the wide dtype itself (a cast that simplification removes), so a later CastLike to it does not round.
 */
function plainCast(c: ImportCtx, v: Value, dtype: DType): Value {
  return narrowOf(v) ? markNarrow(c.op('cast', [v], { dtype }), undefined) : castTo(c, v, dtype);
}

/** Cast: to a narrow dtype, the rounding onto it; else gluonc's cast. */
export const castImport: Builder = (c) => {
  const code = c.attr.int('to', 0);
  const f = narrowOfOnnx(code);
  if (f) return [toNarrow(c, c.input(0), f)];
  c.attr.ignore('saturate', 'round_mode'); // they apply to narrow targets only
  return [plainCast(c, c.input(0), dtypeOf(c, code, 'attribute to'))];
};

/** CastLike: as Cast to the dtype `like` has in the file (a narrow one when `like` is marked). */
export const castLikeImport: Builder = (c) => {
  const like = c.input(1);
  const f = narrowOf(like);
  if (f) return [toNarrow(c, c.input(0), f)];
  c.attr.ignore('saturate', 'round_mode'); // they apply to narrow targets only
  return [plainCast(c, c.input(0), like.type.dtype)];
};

/** The narrow format QuantizeLinear produces: its zero point's in the file, else output_dtype's; undefined for gluonc's own dtypes. */
export function quantizedFormat(c: ImportCtx, zp: Value | null): NarrowFormat | undefined {
  if (zp) return narrowOf(zp);
  return narrowOfOnnx(c.attr.int('output_dtype', 0));
}

/** The integer range of an integer narrow format ([-8, 7] for int4), or undefined for a float one. */
export function intRange(f: NarrowFormat): [number, number] | undefined {
  const s = NARROW[f].spec;
  return s.kind === 'int' ? [s.lo, s.hi] : undefined;
}
