/**
 * numpy's grid constructors for `np`: `meshgrid` (d2l's `multibox_prior`;
 * expandDims and broadcasts of the 1-D inputs, so it traces as it runs
 * eagerly), `eye` and `identity` (d2l's `np.eye(10)` attention weights).
 */
import { checkOptions } from '../../runtime/check-options.js';
import { checkDType, type DType } from '../../runtime/dtypes.js';
import * as ndMod from '../engine/nd.js';
import type { NDArray } from '../engine/ndarray.js';
import type { Tensor } from '../engine/tensor.js';
import type { Symbol } from '../trace/symbol.js';

const ops = ndMod.ops as unknown as Record<string, (...a: unknown[]) => unknown>;
type Arr = NDArray | Symbol | Tensor;
type Out<T> = T extends NDArray ? NDArray : T extends Symbol ? Symbol : Tensor;
function call<T>(name: string, ...args: unknown[]): Out<T> {
  return ops[name]!(...args) as Out<T>;
}

/**
 * numpy's `meshgrid` of 1-D arrays: one array per input, each of the grid's
 * shape; `indexing: 'xy'` (numpy's default) swaps the first two axes of the
 * grid, `'ij'` keeps them.
 *
 * ```ts
 * const [shiftX, shiftY] = np.meshgrid(centerW, centerH);   // each [H, W]
 * ```
 */
export function meshgrid<T extends Arr>(...args: (T | { indexing?: 'xy' | 'ij' })[]): Out<T>[] {
  const last = args[args.length - 1];
  const options = typeof last === 'object' && last !== null && !('shape' in last) ? (args.pop() as { indexing?: 'xy' | 'ij' }) : {};
  checkOptions('np.meshgrid', options, ['indexing']);
  const { indexing = 'xy' } = options;
  if (indexing !== 'xy' && indexing !== 'ij') throw new Error(`np.meshgrid: indexing must be 'xy' or 'ij', got ${JSON.stringify(indexing)}`);
  const xs = args as T[];
  xs.forEach((x, i) => {
    if (x.shape.length !== 1) throw new Error(`np.meshgrid: input ${i} must be 1-D, got shape [${x.shape.join(', ')}]`);
  });
  const dims = xs.map((x) => x.shape[0]!);
  const swap = indexing === 'xy' && xs.length >= 2;
  const order = xs.map((_x, i) => (swap && i < 2 ? 1 - i : i));   // grid axis of input i
  const grid = order.map((_a, k) => dims[order.indexOf(k)]!);
  // broadcastTo's 0 keeps the input's dimension (MXNet's rule): an empty grid is made empty directly.
  if (grid.includes(0)) return xs.map((x) => call<T>('zeros', grid, { dtype: x.dtype }));
  return xs.map((x, i) => {
    let y: unknown = x;   // [n] -> 1s around axis order[i] (expandDims: a 0-length axis is kept, where reshape's 0 would copy)
    for (let k = 0; k < grid.length; k++) if (k !== order[i]) y = call<T>('expandDims', y, k);
    return call<T>('broadcastTo', y, grid);
  });
}

/**
 * numpy's `eye(N, M = N, k = 0, { dtype })`: ones on the `k`-th diagonal
 * (above the main one for k > 0), float32 unless `dtype` says otherwise
 * (MXNet 2's default). Example: `np.eye(3)`, `np.eye(2, 3, 1, { dtype: 'int32' })`.
 */
export function eye(N: number, ...rest: (number | null | { dtype?: DType; k?: number; M?: number | null })[]): NDArray {
  const opts = typeof rest[rest.length - 1] === 'object' && rest[rest.length - 1] !== null ? (rest.pop() as { dtype?: DType; k?: number; M?: number | null }) : {};
  checkOptions('np.eye', opts, ['dtype', 'k', 'M']);
  const [M = opts.M ?? N, k = opts.k ?? 0] = rest as (number | null | undefined)[];
  const cols = M ?? N;
  for (const [name, v, min] of [['N', N, 0], ['M', cols, 0]] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`np.eye: ${name} must be a non-negative integer, got ${String(v)}`);
  }
  if (!Number.isInteger(k)) throw new Error(`np.eye: k must be an integer, got ${String(k)}`);
  const dtype = opts.dtype ?? 'float32';
  checkDType(dtype, 'np.eye');
  const rows = ops.expandDims!(ops.arange!(0, N, 1, { dtype: 'int64' }), 1);
  const colsArr = ops.expandDims!(ops.arange!(0, cols, 1, { dtype: 'int64' }), 0);
  return ops.cast!(ops.equal!(ops.add!(rows, k), colsArr), dtype) as NDArray;
}

/** numpy's `identity(n, { dtype })`: `eye(n)`. Example: `np.identity(3)`. */
export const identity = (n: number, options: { dtype?: DType } = {}): NDArray => eye(n, options);
