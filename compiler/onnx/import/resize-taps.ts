/**
 * Resize along an axis whose input or output size is symbolic (torch's
 * `interpolate(x, size=skip.shape[-2:])` or `Upsample(scale_factor=2)` in a
 * fully convolutional net with dynamic image sizes): the interpolation
 * matrix of resize.ts needs both sizes, so here the taps are computed when
 * the graph runs. The output indices are `arangeLike` of the graph input
 * that has the output size (or s·in of them for an integer scale s; for
 * another scale, floor(in · s) of them as ONNX's output size, a length known
 * only when the graph runs), the
 * source coordinate per index follows ONNX's coordinate transformations
 * (onnx/reference/ops/op_resize.py, with the file's scale, or
 * `scale = out / in` where it gives sizes), and the neighbours
 * (edge-clamped) are read by `take`: one for nearest (each rounding), two
 * weighted ones for linear, four for cubic (its `cubic_coeff_a` and
 * `exclude_outside`). Gradients flow into the data through `take`.
 * Antialias and tf_crop_and_resize keep needing known sizes.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { dimTag } from '../../ops/call.js';
import type { ImportCtx } from './context.js';

/** How one axis is resized. */
export interface AxisResize {
  mode: string;
  ctm: string;
  nearest: string;
  /**
   * The output size (the file's sizes: scale = out / in): a number, or a
   * symbolic dimension a graph input (or the data) has; null where the file
   * gives a `scale` instead (out = floor(scale · in)).
   */
  out: Dim | null;
  scale: number | null;
  /** Cubic's coefficient (cubic_coeff_a) and exclude_outside. */
  a: number;
  excludeOutside: boolean;
}

/** A float64 scalar constant. */
const num = (c: ImportCtx, v: number): Value => c.constant(tensorFromNumbers('float64', [], [v]));

/** The size `d` of `x`'s axis as a float64 0-d tensor: a constant, or read when the graph runs. */
function sizeOf(c: ImportCtx, x: Value, axis: number): Value {
  const d = x.type.shape[axis]!;
  return typeof d === 'number' ? num(c, d) : c.op('cast', [c.op('shapeArray', [x], { axis })], { dtype: 'float64' });
}

/** The output indices 0..out-1 (float64) and the output size, from a value that has that size on some axis. */
function outputIndices(c: ImportCtx, y: Value, axis: number, r: AxisResize, what: string): { index: Value; size: Value } {
  const out = r.out;
  if (out === null && !Number.isInteger(r.scale)) {
    // floor(in · s) indices (ONNX's output size; the product in float32 as onnxruntime computes it, see resize.ts),
    // their number known when the graph runs.
    const f32 = c.op('mul', [c.op('cast', [sizeOf(c, y, axis)], { dtype: 'float32' }), c.constant(tensorFromNumbers('float32', [], [r.scale!]))]);
    const size = c.op('cast', [c.op('floor', [f32])], { dtype: 'float64' });
    const n = c.op('cast', [size], { dtype: 'int64' });
    return { index: c.op('arange', [n], { start: 0, stop: { input: 0, tag: dimTag() }, step: 1, dtype: 'float64' }), size };
  }
  if (out === null) {
    // s · in indices: i · s + j over [in, s], flattened (its length s·in as the reshape names it).
    const s = r.scale!;
    const i = c.op('expandDims', [c.op('arangeLike', [y], { axis, dtype: 'float64' })], { axis: 1 });
    const j = c.constant(tensorFromNumbers('float64', [1, s], Array.from({ length: s }, (_v, k) => k)));
    return { index: c.op('reshape', [c.op('add', [c.op('mul', [i, num(c, s)]), j])], { shape: [-1] }), size: c.op('mul', [sizeOf(c, y, axis), num(c, s)]) };
  }
  if (typeof out === 'number') {
    return { index: c.constant(tensorFromNumbers('float64', [out], Array.from({ length: out }, (_v, i) => i))), size: num(c, out) };
  }
  const own = y.type.shape.indexOf(out);
  const src = own >= 0 ? { value: y, axis: own } : c.symbolSource(out);
  if (!src) throw c.refuse(`${what}: the output size '${out}' is neither a dimension of the data [${y.type.shape.join(', ')}] nor of a graph input`);
  return { index: c.op('arangeLike', [src.value], { axis: src.axis, dtype: 'float64' }), size: sizeOf(c, src.value, src.axis) };
}

/**
 * `y` resized along `axis` to `r.out` by taps computed at run time (modes
 * nearest and linear, any coordinate transformation but tf_crop_and_resize).
 */
export function resizeAxisAtRunTime(c: ImportCtx, y: Value, axis: number, r: AxisResize): Value {
  const what = `resizing axis ${axis} (${y.type.shape[axis]}) to ${r.out ?? `${r.scale}x`}`;
  if (!['nearest', 'linear', 'cubic'].includes(r.mode)) throw c.refuse(`${what}: mode '${r.mode}'`);
  const op = (name: string, ...ins: Value[]): Value => c.op(name, ins);
  const inLen = sizeOf(c, y, axis);
  const { index: o, size: outLen } = outputIndices(c, y, axis, r, what);
  // ONNX: x_original from x_resized, with the file's scale, or out / in where it gives sizes.
  const ratio = r.scale !== null ? num(c, 1 / r.scale) : op('div', inLen, outLen);
  let x: Value;
  switch (r.ctm) {
    // half_pixel_symmetric (opset 19) shifts by in / 2 * (1 - out / (in * scale)): nothing where out = scale · in.
    case 'half_pixel':
    case 'half_pixel_symmetric':
      x = op('sub', op('mul', op('add', o, num(c, 0.5)), ratio), num(c, 0.5));
      break;
    case 'pytorch_half_pixel':
      // -0.5 where the output has one element, as ONNX's reference (any position clamps to the first there).
      x = op('where', op('greater', outLen, num(c, 1)), op('sub', op('mul', op('add', o, num(c, 0.5)), ratio), num(c, 0.5)), op('sub', op('mul', o, num(c, 0)), num(c, 0.5)));
      break;
    case 'align_corners':
      // (in - 1) / (out - 1), 0 where out is 1.
      x = op('mul', o, op('where', op('greater', outLen, num(c, 1)), op('div', op('sub', inLen, num(c, 1)), op('maximum', op('sub', outLen, num(c, 1)), num(c, 1))), num(c, 0)));
      break;
    case 'asymmetric':
      x = op('mul', o, ratio);
      break;
    default:
      throw c.refuse(`${what}: coordinate_transformation_mode '${r.ctm}' needs known sizes`);
  }
  const last = op('sub', inLen, num(c, 1));
  const clamp = (v: Value): Value => c.op('cast', [op('minimum', op('maximum', v, num(c, 0)), last)], { dtype: 'int64' });
  const tap = (i: Value): Value => c.op('take', [y, clamp(i)], { axis, mode: 'clip' });
  // A weight per output index, along `axis` of the result.
  const along = (w: Value): Value => {
    let v = c.op('cast', [w], { dtype: y.type.dtype });
    for (let k = axis + 1; k < y.type.shape.length; k++) v = c.op('expandDims', [v], { axis: -1 });
    return v;
  };
  if (r.mode === 'nearest') {
    const pick: Record<string, () => Value> = {
      floor: () => op('floor', x),
      ceil: () => op('ceil', x),
      // ONNX's reference: round_prefer_floor is ceil(x - 0.5), round_prefer_ceil floor(x + 0.5).
      round_prefer_floor: () => op('ceil', op('sub', x, num(c, 0.5))),
      round_prefer_ceil: () => op('floor', op('add', x, num(c, 0.5))),
    };
    if (!pick[r.nearest]) throw c.refuse(`nearest_mode '${r.nearest}'`);
    return tap(pick[r.nearest]!());
  }
  const x0 = op('floor', x);
  const t = op('sub', x, x0);
  // Taps at x0 + k with their weights (linear: 1 - t, t; cubic: ONNX's _cubic_coeffs at x0 - 1 .. x0 + 2).
  const taps: [number, Value][] = [];
  if (r.mode === 'linear') taps.push([0, op('sub', num(c, 1), t)], [1, t]);
  else {
    const A = r.a;
    // ((A·d - 5A)·d + 8A)·d - 4A for 1 <= d < 2; ((A + 2)·d - (A + 3))·d² + 1 for d < 1.
    const outer = (d: Value): Value => op('sub', op('mul', op('add', op('mul', op('sub', op('mul', d, num(c, A)), num(c, 5 * A)), d), num(c, 8 * A)), d), num(c, 4 * A));
    const inner = (d: Value): Value => op('add', op('mul', op('mul', op('sub', op('mul', d, num(c, A + 2)), num(c, A + 3)), d), d), num(c, 1));
    const u = op('sub', num(c, 1), t);
    taps.push([-1, outer(op('add', t, num(c, 1)))], [0, inner(t)], [1, inner(u)], [2, outer(op('add', u, num(c, 1)))]);
  }
  let weights = taps.map(([k, w]): Value => {
    if (!r.excludeOutside) return w;
    // exclude_outside: taps outside the input weigh 0, the rest renormalized below.
    const at = op('add', x0, num(c, k));
    return op('mul', op('mul', w, c.op('cast', [op('greaterEqual', at, num(c, 0))], { dtype: 'float64' })), c.op('cast', [op('lesserEqual', at, last)], { dtype: 'float64' }));
  });
  if (r.excludeOutside) {
    const total = weights.reduce((p, w) => op('add', p, w));
    weights = weights.map((w) => op('div', w, total));
  }
  return taps.map(([k], i) => op('mul', tap(op('add', x0, num(c, k))), along(weights[i]!))).reduce((p, v) => op('add', p, v));
}
