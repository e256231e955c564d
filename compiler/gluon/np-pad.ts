/**
 * `np.pad` (numpy's pad, MXNet 2's np.pad) over the graph operators:
 * numpy's `pad_width` forms (one number for every side, `[before, after]`
 * for every axis, or one pair per axis) and its modes 'constant' (with one
 * `constantValues` number, MXNet 2's scalar `constant_values`), 'edge',
 * 'reflect', 'symmetric', 'wrap', 'maximum', 'minimum', 'mean', 'median'
 * (with `statLength`) and 'linear_ramp' (with `endValues`).
 *
 * Invariants: numpy's semantics, axis after axis (a later axis pads the
 * already padded earlier ones, so corners are numpy's); 'constant', 'edge'
 * and 'reflect' narrower than the axis are the `pad` operator; 'reflect',
 * 'symmetric' and 'wrap' otherwise gather the periodic extension numpy's
 * repeated reflection builds (`take` of constant indices, so they need the
 * padded axis' size: a symbolic one is an Error naming the mode); the
 * statistics are reductions of the first / last `statLength` elements
 * repeated over the band; 'linear_ramp' is numpy's `linspace(end, edge,
 * width, endpoint=False)`. Integer arrays round a mean or median half to
 * even and floor a ramp, as numpy does, computing in float64. Everything is
 * built from differentiable operators, so the float modes have gradients.
 */
import * as ndMod from '../engine/nd.js';
import { array, type NDArray } from '../engine/ndarray.js';
import type { Tensor } from '../engine/tensor.js';
import type { Symbol } from '../trace/symbol.js';
import { checkOptions } from '../../runtime/check-options.js';
import { isFloat } from '../../runtime/dtypes.js';

const ops = ndMod.ops as unknown as Record<string, (...a: unknown[]) => Arr>;
type Arr = NDArray | Symbol | Tensor;
type Out<T> = T extends NDArray ? NDArray : T extends Symbol ? Symbol : Tensor;

/** numpy's pad_width: `n`, `[before, after]`, or `[[before0, after0], [before1, after1], ...]`. */
export type PadWidth = number | [number, number] | [number] | number[][];

/** numpy's pad modes. */
export type PadMode = 'constant' | 'edge' | 'reflect' | 'symmetric' | 'wrap' | 'maximum' | 'minimum' | 'mean' | 'median' | 'linear_ramp';

/** Options of `np.pad`: numpy's `mode`, `constant_values`, `stat_length` and `end_values`. */
export interface NpPadOptions {
  mode?: PadMode;
  constantValues?: number;
  /** 'maximum', 'minimum', 'mean', 'median': how many elements at each edge the statistic reads (pad_width's forms; default the whole axis). */
  statLength?: PadWidth | null;
  /** 'linear_ramp': the value each ramp starts from at the padded edge (pad_width's forms, any numbers; default 0). */
  endValues?: number | [number, number] | [number] | number[][];
}

const MODES: readonly PadMode[] = ['constant', 'edge', 'reflect', 'symmetric', 'wrap', 'maximum', 'minimum', 'mean', 'median', 'linear_ramp'];
const STATS = ['maximum', 'minimum', 'mean', 'median'];

/** numpy's `_as_pairs`: a value per side of every axis, each checked by `ok`. */
function pairs(name: string, w: unknown, rank: number, ok: (v: unknown) => boolean, what: string): [number, number][] {
  const bad = () => new Error(`np.pad: ${name} ${JSON.stringify(w)} must be a number, [before, after], or ${rank} pairs [[before, after], ...] of ${what} (one per axis)`);
  const pair = (p: unknown): [number, number] => {
    const v = typeof p === 'number' ? [p, p] : Array.isArray(p) && p.length === 1 ? [p[0], p[0]] : Array.isArray(p) && p.length === 2 ? p : null;
    if (!v || !v.every(ok)) throw bad();
    return v as [number, number];
  };
  const nested = Array.isArray(w) && w.some((p) => Array.isArray(p));
  if (!nested) return Array.from({ length: rank }, () => pair(w));
  const ps = w as unknown[];
  if (ps.length === 1) return Array.from({ length: rank }, () => pair(ps[0]));
  if (ps.length !== rank) throw bad();
  return ps.map(pair);
}

const nonNegInt = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;

/** The source index numpy's mode copies to position `j` (from -before to size + after - 1) of an axis of size `n`. */
function sourceIndex(mode: string, n: number, j: number): number {
  const mod = (a: number, m: number) => ((a % m) + m) % m;
  if (mode === 'wrap') return mod(j, n);
  if (mode === 'symmetric') {
    const m = mod(j, 2 * n);
    return m < n ? m : 2 * n - 1 - m;
  }
  if (n === 1) return 0;
  const m = mod(j, 2 * (n - 1));
  return m < n ? m : 2 * (n - 1) - m;
}

/** `v` rounded half to even, elementwise (numpy's `around`), for float64 tensors holding integers' statistics. */
function roundHalfEven(v: Arr): Arr {
  const f = ops.floor!(v);
  const d = ops.sub!(v, f);
  const odd = ops.sub!(f, ops.mul!(ops.floor!(ops.div!(f, 2)), 2));
  const up = ops.add!(ops.greater!(d, 0.5).astype('float64'), ops.mul!(ops.equal!(d, 0.5).astype('float64'), odd));
  return ops.add!(f, up);
}

/** A constant of `values` laid along axis `ax` of a rank-`r` tensor. */
function alongAxis(values: number[], r: number, ax: number, dtype: 'float32' | 'float64'): NDArray {
  return array(values, { dtype }).reshape(Array.from({ length: r }, (_v, k) => (k === ax ? values.length : 1)));
}

/** One statistic of `v` along `ax` (keeping the axis), as numpy computes it for `x`'s dtype. */
function statistic(mode: string, v: Arr, ax: number, m: number | null, dtype: string): Arr {
  if (mode === 'maximum' || mode === 'minimum') return ops[mode === 'maximum' ? 'max' : 'min']!(v, { axis: ax, keepdims: true });
  const int = !isFloat(dtype as never);
  const src = int ? v.astype('float64') : v;
  let s: Arr;
  if (mode === 'mean') s = ops.mean!(src, { axis: ax, keepdims: true });
  else {
    const sorted = ops.sort!(src, { axis: ax });
    const lo = ops.sliceAxis!(sorted, { axis: ax, begin: (m! - 1) >> 1, end: ((m! - 1) >> 1) + 1 });
    s = m! % 2 === 1 ? lo : ops.div!(ops.add!(lo, ops.sliceAxis!(sorted, { axis: ax, begin: m! >> 1, end: (m! >> 1) + 1 })), 2);
  }
  return int ? roundHalfEven(s).astype(dtype as never) : s;
}

/** numpy's `linspace(end, edge, width, endpoint=False)` along `ax`, reversed for the band after the array. */
function ramp(edge: Arr, end: number, width: number, ax: number, after: boolean, dtype: string): Arr {
  const int = !isFloat(dtype as never);
  const dt = int || dtype === 'float64' ? 'float64' : 'float32';
  const e = int ? edge.astype('float64') : edge;
  const i = Array.from({ length: width }, (_v, k) => (after ? width - 1 - k : k));
  const r = edge.shape.length;
  const delta = ops.sub!(e, end);
  const step = ops.div!(delta, width);
  // numpy multiplies by the step, or, where any step is 0, divides first: (i / width) * delta.
  const anyZero = ops.greater!(ops.max!(ops.equal!(step, 0).astype(dt), { axis: null }), 0);
  const main = ops.mul!(alongAxis(i, r, ax, dt), step);
  const alt = ops.mul!(alongAxis(i.map((k) => k / width), r, ax, dt), delta);
  const y = ops.add!(ops.where!(anyZero, alt, main), end);
  return int ? ops.floor!(y).astype(dtype as never) : y;
}

/** Pads axis `ax` of `x` by `[p, q]` in one of the modes the `pad` operator does not cover. */
function padAxis(x: Arr, ax: number, [p, q]: [number, number], mode: string, stat: [number, number] | null, ends: [number, number]): Arr {
  const n = x.shape[ax]!;
  if (typeof n !== 'number' && (mode === 'wrap' || mode === 'symmetric' || mode === 'reflect' || mode === 'median' || stat)) {
    throw new Error(`np.pad: mode '${mode}'${stat ? ' with statLength' : ''} needs the size of axis ${ax}, which is symbolic (${String(n)}) in this trace`);
  }
  if (n === 0) throw new Error(`np.pad: cannot extend the empty axis ${ax} with mode '${mode}' (numpy: only 'constant' pads an empty axis)`);
  if (mode === 'wrap' || mode === 'symmetric' || mode === 'reflect') {
    const idx = Array.from({ length: (n as number) + p + q }, (_v, k) => sourceIndex(mode, n as number, k - p));
    return ops.take!(x, array(idx, { dtype: 'int64' }), { axis: ax });
  }
  const parts: Arr[] = [];
  for (const [side, width] of [[0, p], [1, q]] as const) {
    if (width === 0) continue;
    let band: Arr;
    if (mode === 'linear_ramp') {
      const edge = ops.sliceAxis!(x, { axis: ax, begin: side === 0 ? 0 : -1, end: side === 0 ? 1 : null });
      band = ramp(edge, ends[side], width, ax, side === 1, x.dtype);
    } else {
      const len = stat ? Math.min(stat[side], n as number) : null;
      const v = len === null ? x : ops.sliceAxis!(x, side === 0 ? { axis: ax, begin: 0, end: len } : { axis: ax, begin: -len, end: null });
      band = ops.repeat!(statistic(mode, v, ax, len ?? (n as number), x.dtype), { repeats: width, axis: ax });
    }
    parts[side === 0 ? 0 : 2] = band;
  }
  parts[1] = x;
  return ops.concat!(...parts.filter((t) => t !== undefined), { dim: ax });
}

/**
 * numpy's `pad`: `padWidth` elements before and after along each axis, in
 * numpy's `mode` (see the module's invariants). Examples:
 * `np.pad(x, [[0, 0], [1, 2]])`, `np.pad(x, 1, { mode: 'reflect' })`,
 * `np.pad(x, 3, 'wrap')`, `np.pad(x, [2, 1], { mode: 'mean', statLength: 2 })`,
 * `np.pad(x, 2, { mode: 'linear_ramp', endValues: [0, 5] })`.
 */
export function pad<T extends Arr>(a: T, padWidth: PadWidth, options: NpPadOptions | NpPadOptions['mode'] = {}): Out<T> {
  const o = typeof options === 'string' ? { mode: options } : checkOptions('np.pad', options, ['mode', 'constantValues', 'statLength', 'endValues']);
  const mode = o.mode ?? 'constant';
  if (!MODES.includes(mode)) throw new Error(`np.pad: mode ${JSON.stringify(mode)} is not supported: ${MODES.map((m) => `'${m}'`).join(', ')} (numpy's 'empty' and functions are not in gluonc)`);
  const value = o.constantValues ?? 0;
  if (typeof value !== 'number') throw new Error(`np.pad: constantValues must be one number (MXNet 2's scalar constant_values), got ${JSON.stringify(value)}`);
  if (mode !== 'constant' && o.constantValues !== undefined) throw new Error(`np.pad: constantValues applies to mode 'constant', not ${JSON.stringify(mode)}`);
  if (o.statLength !== undefined && o.statLength !== null && !STATS.includes(mode)) throw new Error(`np.pad: statLength applies to modes 'maximum', 'minimum', 'mean' and 'median', not ${JSON.stringify(mode)}`);
  if (o.endValues !== undefined && mode !== 'linear_ramp') throw new Error(`np.pad: endValues applies to mode 'linear_ramp', not ${JSON.stringify(mode)}`);
  const rank = a.shape.length;
  const widths = pairs('padWidth', padWidth, rank, nonNegInt, 'non-negative integers');
  const shape = a.shape;
  // The operator reflects when each padded axis is wider than its padding (a symbolic one checked when run).
  const opReflects = widths.every(([p, q], k) => (p === 0 && q === 0) || typeof shape[k] !== 'number' || Math.max(p, q) < (shape[k] as number));
  if (mode === 'constant' || mode === 'edge' || (mode === 'reflect' && opReflects)) {
    return ops.pad!(a, { mode, padWidth: widths.flat(), constantValue: value }) as Out<T>;
  }
  const stat = o.statLength === undefined || o.statLength === null ? null : pairs('statLength', o.statLength, rank, (v) => Number.isInteger(v) && (v as number) > 0, 'positive integers');
  const ends = pairs('endValues', o.endValues ?? 0, rank, (v) => typeof v === 'number' && Number.isFinite(v), 'finite numbers');
  let y: Arr = a;
  widths.forEach((w, ax) => {
    if (w[0] > 0 || w[1] > 0) y = padAxis(y, ax, w, mode, stat ? stat[ax]! : null, ends[ax]!);
  });
  return y as Out<T>;
}
