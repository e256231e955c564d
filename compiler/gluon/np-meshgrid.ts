/**
 * numpy's `meshgrid` for `np` (d2l's `multibox_prior`): reshapes and
 * broadcasts of the 1-D inputs, so it traces as it runs eagerly.
 */
import { checkOptions } from '../../runtime/check-options.js';
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
  return xs.map((x, i) => {
    const shape = grid.map((_d, k) => (k === order[i] ? dims[i]! : 1));
    return call<T>('broadcastTo', call<T>('reshape', x, shape), grid);
  });
}
