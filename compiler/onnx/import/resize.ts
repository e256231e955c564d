/**
 * Resize (and Upsample): every mode (nearest with each rounding, linear,
 * cubic, the last two also with opset 18's antialias: the filter widened by
 * 1/scale when down-sampling) and coordinate transformation (tf_crop_and_resize:
 * not with cubic, and extrapolation_value added where a position falls outside; with `axes`, roi names those axes), opset 18's `axes` and `keep_aspect_ratio_policy`, as one
 * constant interpolation matrix per resized axis: y = x · Mᵀ along that axis
 * (`dot`), so the result differentiates in x. The matrices follow ONNX's
 * reference implementation (onnx/reference/ops/op_resize.py): source
 * coordinate per output index, the n nearest neighbours (edge-clamped),
 * and the mode's coefficients. Nearest up-sampling by integer factors that
 * only repeats elements stays a `repeat`.
 * An axis whose input or output size is symbolic, resized to the file's
 * sizes, reads its taps at run time instead (resize-taps.ts).
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Value } from '../../ir/value.js';
import type { Dim } from '../../ir/types.js';
import { normAxis, type Builder, type ImportCtx } from './context.js';
import { resizeAxisAtRunTime } from './resize-taps.js';

/** The antialiased coefficients (ONNX's _linear_coeffs_antialias / _cubic_coeffs_antialias): the kernel stretched by 1/scale, normalized. */
function antialiased(mode: string, a: number, ratio: number, scale: number): number[] {
  const s = Math.min(scale, 1);
  const cubic = (x: number): number => {
    const v = Math.abs(x);
    if (v <= 1) return ((a + 2) * v - (a + 3)) * v * v + 1;
    return v < 2 ? ((a * v - 5 * a) * v + 8 * a) * v - 4 * a : 0;
  };
  const start = Math.floor((mode === 'linear' ? -1 : -2) / s) + 1;
  const w = Array.from({ length: 2 - 2 * start }, (_v, j) => {
    const arg = (start + j - ratio) * s;
    return mode === 'linear' ? Math.min(Math.max(1 - Math.abs(arg), 0), 1) : cubic(arg);
  });
  const sum = w.reduce((p, q) => p + q, 0);
  return w.map((v) => v / sum);
}

/** The coefficients of the n neighbours at fractional position `ratio` in (0, 1]. */
function coefficients(c: ImportCtx, mode: string, nearest: string, a: number, ratio: number, scale: number): number[] {
  if (c.attr.int('antialias', 0) === 1 && mode !== 'nearest') return antialiased(mode, a, ratio, scale);
  if (mode === 'nearest') {
    if (ratio === 1) return [0, 1];
    switch (nearest) {
      case 'round_prefer_floor': return ratio <= 0.5 ? [1, 0] : [0, 1];
      case 'round_prefer_ceil': return ratio < 0.5 ? [1, 0] : [0, 1];
      case 'floor': return [1, 0];
      case 'ceil': return [0, 1];
      default: throw c.refuse(`nearest_mode '${nearest}'`);
    }
  }
  if (mode === 'linear') return [1 - ratio, ratio];
  const r = ratio;
  return [
    ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
    ((a + 2) * r - (a + 3)) * r * r + 1,
    ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
    ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a,
  ];
}

/**
 * The [out, in] interpolation matrix of one axis (row-major); with tf_crop_and_resize's crop box `roi`
 * ([start, end] of this axis), the output positions outside the input are listed in `outside` (zero rows).
 */
function matrix(c: ImportCtx, inLen: number, outLen: number, scale: number, roi?: [number, number], outside?: Set<number>): number[] {
  const mode = c.attr.str('mode', 'nearest');
  const ctm = c.attr.str('coordinate_transformation_mode', c.opset < 11 ? 'asymmetric' : 'half_pixel');
  const nearest = c.attr.str('nearest_mode', c.opset < 11 ? 'floor' : 'round_prefer_floor');
  const a = c.attr.float('cubic_coeff_a', -0.75);
  const exclude = c.attr.int('exclude_outside', 0) === 1;
  const outWidth = scale * inLen;
  const m = new Array<number>(outLen * inLen).fill(0);
  for (let y = 0; y < outLen; y++) {
    let x: number;
    switch (ctm) {
      case 'align_corners': x = outWidth === 1 ? 0 : (y * (inLen - 1)) / (outWidth - 1); break;
      case 'asymmetric': x = y / scale; break;
      case 'pytorch_half_pixel': x = outWidth === 1 ? -0.5 : (y + 0.5) / scale - 0.5; break;
      case 'half_pixel': x = (y + 0.5) / scale - 0.5; break;
      case 'tf_half_pixel_for_nn': x = (y + 0.5) / scale; break;
      case 'half_pixel_symmetric': x = (inLen / 2) * (1 - outLen / outWidth) + (y + 0.5) / scale - 0.5; break;
      case 'tf_crop_and_resize': {
        const [start, end] = roi!;
        x = outLen > 1 ? start * (inLen - 1) + (y * (end - start) * (inLen - 1)) / (outLen - 1) : 0.5 * (start + end) * (inLen - 1);
        if (x < 0 || x > inLen - 1) {
          outside!.add(y);
          continue;
        }
        break;
      }
      default: throw c.refuse(`coordinate_transformation_mode '${ctm}'`);
    }
    const ratio = Number.isInteger(x) ? 1 : x - Math.floor(x);
    const coeffs = coefficients(c, mode, nearest, a, ratio, scale);
    const n = coeffs.length;
    const pad = Math.ceil(n / 2);
    // The n nearest positions, preferring the lower ones, inside the edge-padded axis.
    const base = Math.min(Math.max(Math.ceil(x) - n / 2, -pad), inLen + pad - n);
    const idx = coeffs.map((_w, j) => base + j);
    if (exclude) {
      idx.forEach((i, j) => (i < 0 || i >= inLen) && (coeffs[j] = 0));
      const s = coeffs.reduce((p, w) => p + w, 0);
      coeffs.forEach((w, j) => (coeffs[j] = w / s));
    }
    idx.forEach((i, j) => (m[y * inLen + Math.min(Math.max(i, 0), inLen - 1)] += coeffs[j]!));
  }
  return m;
}

/** Scales and output sizes per axis, from the opset's inputs or attributes. */
function targets(c: ImportCtx, x: Value): { scales: number[]; sizes: Dim[] } {
  const xs = x.type.shape;
  const inLen = (i: number): number => {
    const d = xs[i];
    if (typeof d !== 'number') throw c.refuse(`resizing the symbolic dimension '${d}'`);
    return d;
  };
  let scales: number[] | null;
  let sizes: Dim[] | null = null;
  if (c.opType === 'Upsample') scales = c.opset < 9 ? c.attr.floats('scales') : c.numbers(1, 'scales');
  else if (c.opset < 11) scales = c.numbers(1, 'scales');
  else {
    // Opset 18's `axes`: scales and sizes name only those axes; the others keep their size.
    const axes = c.attr.has('axes') ? c.attr.ints('axes')!.map((a) => normAxis(c, a, xs.length)) : null;
    const spread = <T>(v: T[], what: string, keep: (i: number) => T): T[] => {
      if (!axes) return v;
      if (v.length !== axes.length) throw c.refuse(`${what} ${JSON.stringify(v)} do not give one entry per axis of axes ${JSON.stringify(axes)}`);
      const full = xs.map((_d, i) => keep(i));
      axes.forEach((a, k) => (full[a] = v[k]!));
      return full;
    };
    const given = c.has(2) ? c.numbers(2, 'scales') : null;
    scales = given?.length ? spread(given, 'scales', () => 1) : null;
    if (!scales) {
      // torch's interpolate(size=...) builds sizes as Shape(x)[:2] ++ size: a symbolic entry keeps its axis.
      const raw = !c.has(3) ? null : c.symbolicInput(3) ? c.dims(3) : c.numbers(3, 'sizes');
      if (!raw) throw c.refuse('neither scales nor sizes is given');
      const want = spread<number | string>(raw, 'sizes', (i) => xs[i]!);
      // A symbolic size (torch's interpolate(size=x.shape[-2:]) with dynamic image sizes) is resized to at run time (resize-taps.ts).
      sizes = want.map((d, i) => (d === xs[i] ? -1 : d));
      scales = sizes.map((d, i) => (d === -1 ? 1 : typeof d === 'number' && typeof xs[i] === 'number' ? d / xs[i] : NaN));
      const policy = c.attr.str('keep_aspect_ratio_policy', 'stretch');
      if (policy !== 'stretch') {
        if (sizes.some((d) => typeof d !== 'number')) throw c.refuse(`keep_aspect_ratio_policy '${policy}' with the symbolic sizes [${sizes.join(', ')}]`);
        // One scale for the named axes (the smallest or largest), sizes rounded half up (ONNX's reference).
        if (policy !== 'not_larger' && policy !== 'not_smaller') throw c.refuse(`keep_aspect_ratio_policy '${policy}'`);
        const named = axes ?? xs.map((_d, i) => i);
        const ratios = named.map((a) => (sizes![a] === -1 ? 1 : scales![a]!));
        const k = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
        scales = xs.map((_d, i) => (named.includes(i) ? k : 1));
        sizes = xs.map((_d, i) => (named.includes(i) ? Math.floor(k * inLen(i) + 0.5) : -1));
      }
    }
  }
  if (!scales || scales.length !== xs.length) throw c.refuse(`scales ${JSON.stringify(scales)} do not give one factor per axis`);
  // A symbolic axis scaled by s has no number of its own (NaN): resized at run time. floor(in · s) with the product
  // in float32, as onnxruntime computes it (and torch: 10 · 0.7 gives 7 rows; ONNX's reference, in float64, 6).
  sizes ??= scales.map((s, i) => (s === 1 ? -1 : typeof xs[i] === 'number' ? Math.floor(Math.fround(xs[i] * s)) : NaN));
  return { scales, sizes };
}

/** Resize/Upsample: `repeat` for integer nearest up-sampling that repeats, else one matrix product per resized axis. */
export const resize: Builder = (c) => {
  const x = c.input(0);
  const r = x.type.shape.length;
  const mode = c.attr.str('mode', 'nearest');
  if (!['nearest', 'linear', 'cubic'].includes(mode)) throw c.refuse(`mode '${mode}'`);
  if (c.attr.int('antialias', 0) === 1 && mode === 'nearest') throw c.refuse("antialias=1 with mode 'nearest' (ONNX defines it for linear and cubic)");
  const { scales, sizes } = targets(c, x);
  const ctm = c.attr.str('coordinate_transformation_mode', c.opset < 11 ? 'asymmetric' : 'half_pixel');
  // Where these change the result, the path taken reads them: the cubic kernel's a and exclude_outside (an axis
  // interpolated: matrix, resizeAxisAtRunTime), extrapolation_value (tf_crop_and_resize), keep_aspect_ratio_policy
  // (target sizes: targets). Elsewhere (nearest repeats, axes keeping their size, scales given) they cannot.
  c.attr.ignore('cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'keep_aspect_ratio_policy');
  const nearest = c.attr.str('nearest_mode', c.opset < 11 ? 'floor' : 'round_prefer_floor');
  const halfPixel = ctm === 'half_pixel' || ctm === 'pytorch_half_pixel';
  const repeats = mode === 'nearest' && ((halfPixel && nearest.startsWith('round')) || (ctm === 'asymmetric' && nearest === 'floor'));
  const crop = ctm === 'tf_crop_and_resize' ? cropBoxes(c, r, mode) : null;
  let y = x;
  if (!crop && repeats && scales.every((s, i) => Number.isInteger(s) && s >= 1 && (s === 1 || Number.isNaN(sizes[i]) || sizes[i] === s * (x.type.shape[i] as number)))) {
    scales.forEach((s, axis) => s > 1 && (y = c.op('repeat', [y], { repeats: s, axis })));
    return [y];
  }
  const outsides: Set<number>[] = [];
  for (let axis = 0; axis < r; axis++) {
    const box = crop?.[axis];
    outsides.push(new Set());
    // An axis keeping its size is left as it is, unless a crop box other than [0, 1] moves it (as ONNX's reference does).
    if (scales[axis] === 1 && (sizes[axis] === -1 || sizes[axis] === x.type.shape[axis]) && (!box || (box[0] === 0 && box[1] === 1))) continue;
    const d = y.type.shape[axis]!;
    const want = sizes[axis]!;
    if (typeof d !== 'number' || typeof want === 'string') {
      // A symbolic input or output size: taps computed when the graph runs (resize-taps.ts), to the file's sizes or by a scale.
      const s = scales[axis]!;
      const byScale = typeof want === 'number' && Number.isNaN(want) && Number.isFinite(s) && s > 0;
      if (crop || c.attr.int('antialias', 0) === 1 || (typeof want === 'number' && !(want >= 0) && !byScale)) {
        throw c.refuse(`resizing the symbolic dimension '${d}' (only to given sizes or by a positive scale, without antialias or tf_crop_and_resize, keeps it symbolic)`);
      }
      const a = c.attr.float('cubic_coeff_a', -0.75);
      const excludeOutside = c.attr.int('exclude_outside', 0) === 1;
      y = resizeAxisAtRunTime(c, y, axis, { mode, ctm, nearest, out: byScale ? null : want === -1 ? d : want, scale: byScale ? s : null, a, excludeOutside });
      continue;
    }
    const inLen = d;
    const outLen = want === -1 ? d : want;
    const m = matrix(c, inLen, outLen, scales[axis]!, box, outsides[axis]);
    // Mᵀ as [in, out]: y[..., o] = sum_i x[..., i] M[o, i].
    const mt = tensorFromNumbers(x.type.dtype, [inLen, outLen], Array.from({ length: inLen * outLen }, (_v, k) => m[(k % outLen) * inLen + Math.floor(k / outLen)]!));
    const perm = Array.from({ length: r }, (_v, i) => (i === axis ? r - 1 : i === r - 1 ? axis : i));
    const last = axis === r - 1;
    const moved = last ? y : c.op('transpose', [y], { axes: perm });
    const z = c.op('dot', [moved, c.constant(mt)]);
    y = last ? z : c.op('transpose', [z], { axes: perm });
  }
  const e = c.attr.float('extrapolation_value', 0);
  if (!crop || e === 0 || outsides.every((o) => !o.size)) return [y];
  // extrapolation_value where any axis's position is outside the input (there y is 0: a zero row).
  const shape = y.type.shape as number[];
  const size = shape.reduce((p, q) => p * q, 1);
  const fill = Array.from({ length: size }, (_v, k) => {
    let rest = k;
    let out = false;
    for (let axis = r - 1; axis >= 0; axis--) {
      out ||= outsides[axis]!.has(rest % shape[axis]!);
      rest = Math.floor(rest / shape[axis]!);
    }
    return out ? e : 0;
  });
  return [c.op('add', [y, c.constant(tensorFromNumbers(x.type.dtype, shape, fill))])];
};

/**
 * tf_crop_and_resize's crop box per axis from the roi input ([starts..., ends...], one per axis of opset 18's
 * `axes` in their order when given; the other axes keep [0, 1]); cubic is refused (onnxruntime and ONNX's
 * reference differ).
 */
function cropBoxes(c: ImportCtx, r: number, mode: string): [number, number][] {
  if (mode === 'cubic') throw c.refuse("mode 'cubic' with tf_crop_and_resize (onnxruntime and ONNX's reference compute it differently)");
  const axes = c.attr.has('axes') ? c.attr.ints('axes')!.map((a) => normAxis(c, a, r)) : Array.from({ length: r }, (_v, i) => i);
  const n = axes.length;
  const roi = c.numbers(1, 'roi');
  if (!roi) throw c.refuse("coordinate_transformation_mode 'tf_crop_and_resize' needs the roi input (input 1), which is absent");
  if (roi.length !== 2 * n) throw c.refuse(`roi ${JSON.stringify(roi)} does not give a start and an end per axis${c.attr.has('axes') ? ` of axes ${JSON.stringify(axes)}` : ''}`);
  const boxes = Array.from({ length: r }, (): [number, number] => [0, 1]);
  axes.forEach((a, k) => (boxes[a] = [roi[k]!, roi[n + k]!]));
  return boxes;
}
