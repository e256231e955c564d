/**
 * numpy's `vstack`, `hstack`, `dstack` and `column_stack` for `np` (MXNet
 * 2's np.vstack, np.hstack, np.dstack, np.column_stack): each array raised
 * to the rank the function joins at (numpy's atleast_2d / atleast_3d, a
 * 1-D array as a column for column_stack), then concatenated. The arrays
 * must share a dtype, as MXNet 2's (NumpyVstackType and the others assign
 * the first array's dtype to all), where numpy would promote.
 */
import * as ndMod from '../engine/nd.js';
import type { NDArray } from '../engine/ndarray.js';
import type { Tensor } from '../engine/tensor.js';
import type { Symbol } from '../trace/symbol.js';

const ops = ndMod.ops as unknown as Record<string, (...a: unknown[]) => unknown>;
type Arr = NDArray | Symbol | Tensor;
type Out<T> = T extends NDArray ? NDArray : T extends Symbol ? Symbol : Tensor;

/** `arrays` each reshaped by `raise` (from its rank) and concatenated along `axis`. */
function joinAt<T extends Arr>(what: string, arrays: T[], axis: (ranks: number[]) => number, raise: (a: T, rank: number) => unknown): Out<T> {
  if (!Array.isArray(arrays) || arrays.length === 0) throw new Error(`${what}: needs a non-empty list of arrays, got ${Array.isArray(arrays) ? 'an empty list' : String(arrays)}`);
  const ranks = arrays.map((a) => a.shape.length);
  return ops.concat!(...arrays.map((a, i) => raise(a, ranks[i]!)), { dim: axis(ranks) }) as Out<T>;
}
const reshape = (a: Arr, shape: unknown[]) => ops.reshape!(a, shape);

/** numpy's `vstack`: rows on rows; a 1-D array [n] is the row [1, n]. Example: `np.vstack([a, b])`. */
export function vstack<T extends Arr>(arrays: T[]): Out<T> {
  return joinAt('np.vstack', arrays, () => 0, (a, r) => (r === 0 ? reshape(a, [1, 1]) : r === 1 ? ops.expandDims!(a, { axis: 0 }) : a));
}

/** numpy's `hstack`: along axis 1, or axis 0 when every array is 1-D (0-d ones as [1]). Example: `np.hstack([a, b])`. */
export function hstack<T extends Arr>(arrays: T[]): Out<T> {
  return joinAt('np.hstack', arrays, (ranks) => (ranks.every((r) => r <= 1) ? 0 : 1), (a, r) => (r === 0 ? reshape(a, [1]) : a));
}

/** numpy's `dstack`: along axis 2 of numpy's atleast_3d ([n] as [1, n, 1], [m, n] as [m, n, 1]). Example: `np.dstack([a, b])`. */
export function dstack<T extends Arr>(arrays: T[]): Out<T> {
  return joinAt('np.dstack', arrays, () => 2, (a, r) => (r === 0 ? reshape(a, [1, 1, 1]) : r === 1 ? ops.expandDims!(ops.expandDims!(a, { axis: 0 }), { axis: 2 }) : r === 2 ? ops.expandDims!(a, { axis: 2 }) : a));
}

/** numpy's `column_stack`: 1-D arrays as columns [n, 1], the others as they are, along axis 1. Example: `np.columnStack([x, y])`. */
export function columnStack<T extends Arr>(arrays: T[]): Out<T> {
  return joinAt('np.columnStack', arrays, () => 1, (a, r) => (r === 0 ? reshape(a, [1, 1]) : r === 1 ? ops.expandDims!(a, { axis: 1 }) : a));
}
