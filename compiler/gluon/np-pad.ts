/**
 * `np.pad` (numpy's pad, MXNet 2's np.pad) over the `pad` operator:
 * numpy's `pad_width` forms (one number for every side, `[before, after]`
 * for every axis, or one pair per axis) and its modes 'constant' (with one
 * `constantValues` number, MXNet 2's scalar `constant_values`), 'edge' and
 * 'reflect'; numpy's other modes are an Error naming the ones there are.
 */
import * as ndMod from '../engine/nd.js';
import type { NDArray } from '../engine/ndarray.js';
import type { Tensor } from '../engine/tensor.js';
import type { Symbol } from '../trace/symbol.js';
import { checkOptions } from '../../runtime/check-options.js';

const ops = ndMod.ops as unknown as Record<string, (...a: unknown[]) => unknown>;
type Arr = NDArray | Symbol | Tensor;
type Out<T> = T extends NDArray ? NDArray : T extends Symbol ? Symbol : Tensor;

/** numpy's pad_width: `n`, `[before, after]`, or `[[before0, after0], [before1, after1], ...]`. */
export type PadWidth = number | [number, number] | [number] | number[][];

/** Options of `np.pad`: numpy's `mode` and `constant_values`. */
export interface NpPadOptions {
  mode?: 'constant' | 'edge' | 'reflect';
  constantValues?: number;
}

/** numpy's pad_width as the `pad` operator's flat [before0, after0, before1, after1, ...]. */
function flatWidth(w: PadWidth, rank: number): number[] {
  const bad = () => new Error(`np.pad: padWidth ${JSON.stringify(w)} must be a number, [before, after], or ${rank} pairs [[before, after], ...] of non-negative integers (one per axis)`);
  const pair = (p: unknown): [number, number] => {
    const v = typeof p === 'number' ? [p, p] : Array.isArray(p) && p.length === 1 ? [p[0], p[0]] : Array.isArray(p) && p.length === 2 ? p : null;
    if (!v || !v.every((x) => Number.isInteger(x) && (x as number) >= 0)) throw bad();
    return v as [number, number];
  };
  const nested = Array.isArray(w) && w.some((p) => Array.isArray(p));
  if (!nested) return Array.from({ length: rank }, () => pair(w)).flat();
  const ps = w as unknown[];
  if (ps.length === 1) return Array.from({ length: rank }, () => pair(ps[0])).flat();
  if (ps.length !== rank) throw bad();
  return ps.flatMap(pair);
}

/**
 * numpy's `pad`: `padWidth` elements before and after along each axis,
 * filled with `constantValues` (default 0), the edge element, or the
 * reflection about the edge (not repeating it). Example:
 * `np.pad(x, [[0, 0], [1, 2]])`, `np.pad(x, 1, { mode: 'reflect' })`.
 */
export function pad<T extends Arr>(a: T, padWidth: PadWidth, options: NpPadOptions | NpPadOptions['mode'] = {}): Out<T> {
  const o = typeof options === 'string' ? { mode: options } : checkOptions('np.pad', options, ['mode', 'constantValues']);
  const mode = o.mode ?? 'constant';
  if (!['constant', 'edge', 'reflect'].includes(mode)) {
    throw new Error(`np.pad: mode ${JSON.stringify(mode)} is not supported: 'constant', 'edge' or 'reflect' (numpy's 'symmetric', 'wrap', 'maximum', 'mean', ... are not in gluonc)`);
  }
  const value = o.constantValues ?? 0;
  if (typeof value !== 'number') throw new Error(`np.pad: constantValues must be one number (MXNet 2's scalar constant_values), got ${JSON.stringify(value)}`);
  if (mode !== 'constant' && o.constantValues !== undefined) throw new Error(`np.pad: constantValues applies to mode 'constant', not ${JSON.stringify(mode)}`);
  return ops.pad!(a, { mode, padWidth: flatWidth(padWidth, a.shape.length), constantValue: value }) as Out<T>;
}
