/**
 * numpy's `split` and `array_split` for `np` (MXNet 2's np.split and
 * np.array_split): a number of sections (equal for `split`, as even as
 * possible for `arraySplit`) or a list of indices where the pieces start,
 * always returning a list (one piece too), eager and traced alike; and the
 * `axis` argument numpy's joining and splitting functions share.
 */
import * as ndMod from '../engine/nd.js';
import type { NDArray } from '../engine/ndarray.js';
import type { Tensor } from '../engine/tensor.js';
import type { Symbol } from '../trace/symbol.js';
import { checkOptions } from '../../runtime/check-options.js';

const ops = ndMod.ops as unknown as Record<string, (...a: unknown[]) => unknown>;
type Arr = NDArray | Symbol | Tensor;
type Out<T> = T extends NDArray ? NDArray : T extends Symbol ? Symbol : Tensor;

/** numpy's `axis`, given positionally (`np.concatenate((X, context), 2)`, d2l) or in the options object; default 0. */
export function axisOption(what: string, options: { axis?: number } | number): number {
  if (typeof options === 'number') return options;
  checkOptions(what, options, ['axis']);
  return options.axis ?? 0;
}

/** The pieces `[start, end)` of `bounds` (numpy's slicing: negative from the end, clipped to [0, n]) as sliceAxis calls. */
function pieces<T extends Arr>(what: string, a: T, indices: number[], axis: number): Out<T>[] {
  const rank = a.shape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw new Error(`${what}: axis ${axis} is out of range for an array of rank ${rank} (shape [${a.shape.join(', ')}])`);
  const n = a.shape[axis < 0 ? axis + rank : axis];
  if (typeof n !== 'number') throw new Error(`${what}: indices need the size of axis ${axis}, which is symbolic ('${String(n)}'); give a number of equal sections`);
  const at = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const bounds = [0, ...indices.map(at), n];
  return bounds.slice(1).map((end, k) => ops.sliceAxis!(a, { axis, begin: bounds[k]!, end: Math.max(end, bounds[k]!) }) as Out<T>);
}

/** The split's axis and either its pieces (a list of indices) or its checked number of sections. */
function splitArgs<T extends Arr>(what: string, a: T, v: number | number[], options: { axis?: number } | number): { axis: number; pieces?: Out<T>[]; sections: number } {
  const axis = axisOption(what, options);
  if (Array.isArray(v)) {
    if (!v.every((i) => Number.isInteger(i))) throw new Error(`${what}: indices must be integers, got ${JSON.stringify(v)}`);
    return { axis, pieces: pieces(what, a, v, axis), sections: v.length + 1 };
  }
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what}: sections must be a positive integer or a list of indices, got ${JSON.stringify(v)}`);
  return { axis, sections: v };
}

/**
 * numpy's `split`: `sections` equal parts along `axis` (default 0; a size
 * they do not divide is an Error, as numpy's), or the pieces between the
 * `indices` given (`np.split(x, [2, 5])`: x[:2], x[2:5], x[5:]). A list, one
 * piece too. Example: `const [a, b] = np.split(x, 2)`.
 */
export function split<T extends Arr>(a: T, indicesOrSections: number | number[], options: { axis?: number } | number = {}): Out<T>[] {
  const { axis, pieces: p, sections } = splitArgs('np.split', a, indicesOrSections, options);
  return p ?? (ops.split!(a, { numOutputs: sections, axis }) as Out<T>[]);
}

/**
 * numpy's `array_split`: as `split`, but `sections` need not divide the
 * axis: the first `n % sections` pieces get one more element. Example:
 * `np.arraySplit(np.arange(7), 3)` gives sizes 3, 2, 2.
 */
export function arraySplit<T extends Arr>(a: T, indicesOrSections: number | number[], options: { axis?: number } | number = {}): Out<T>[] {
  const { axis, pieces: p, sections: s } = splitArgs('np.arraySplit', a, indicesOrSections, options);
  if (p) return p;
  const rank = a.shape.length;
  const n = a.shape[axis < 0 ? axis + rank : axis];
  if (typeof n !== 'number') return split(a, s, axis);
  const [q, r] = [Math.floor(n / s), n % s];
  const starts = Array.from({ length: s - 1 }, (_v, k) => (k + 1) * q + Math.min(k + 1, r));
  return pieces('np.arraySplit', a, starts, axis);
}
