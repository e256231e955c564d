/**
 * `npx.gatherNd`: MXNet's `gather_nd(data, indices)`, and the way to write
 * numpy's advanced indexing `X[i0, i1, ...]` with integer arrays of one
 * shape (`npx.gatherNd(X, np.stack([i0, i1]))`, d2l's MaskLM
 * `X[batch_idx, pred_positions]`). Composed from existing operators: the M
 * index rows become one row-major position into `data` with its first M axes
 * merged, and a `take` reads those rows (so the gradient is take's
 * scatter-add: repeated positions accumulate). Negative indices count from
 * the end, as numpy's. On arrays, an index outside [-n, n) is an Error naming
 * it; in a traced graph indices are not read (MXNet's gather_nd does not
 * check either) and a negative index into a symbolic first axis is not
 * wrapped.
 */
import { ops as ndOps } from '../engine/nd.js';
import { NDArray } from '../engine/ndarray.js';
import type { Tensor } from '../engine/tensor.js';
import type { Symbol } from '../trace/symbol.js';
import { formatShape, tensorToNumbers } from '../../runtime/tensor.js';
import { rowMajorPosition } from '../ops/indices.js';

type Op = (...args: unknown[]) => unknown;
const op = (name: string): Op => (ndOps as unknown as Record<string, Op>)[name]!;

/**
 * MXNet's `gather_nd`: `indices` of shape [M, Y0, ...] picks
 * `data[indices[0, y], ..., indices[M-1, y], ...]`; the result has shape
 * [Y0, ..., data.shape[M], ...]. Indices of any numeric dtype (floats
 * truncate, as numpy's float indices would not: MXNet 2's `np.arange` is
 * float32, so d2l's `batch_idx` is).
 *
 * ```ts
 * npx.gatherNd(np.array([[0, 1], [2, 3]]), np.array([[1, 1, 0], [0, 1, 0]])); // [2, 3, 0]
 * const maskedX = npx.gatherNd(X, np.stack([batchIdx, predPositions]));     // X[batch_idx, pred_positions]
 * ```
 */
export function gatherNd<T extends NDArray | Symbol | Tensor>(data: T, indices: T): T {
  const ds = data.shape as (number | string)[];
  const is = indices.shape as (number | string)[];
  const shapes = `(data ${formatShape(ds)}, indices ${formatShape(is)})`;
  if (is.length < 1) throw new Error(`npx.gatherNd: indices must have a leading axis M of index rows, one per data axis indexed; got a 0-d array ${shapes}`);
  if (indices.dtype === 'bool') throw new Error(`npx.gatherNd: indices must hold numbers, not bool (numpy would read a bool array as a mask) ${shapes}`);
  const M = is[0]!;
  if (typeof M !== 'number') throw new Error(`npx.gatherNd: the number of index rows (indices' first axis) must be known, got '${M}' ${shapes}`);
  if (M < 1 || M > ds.length) throw new Error(`npx.gatherNd: ${M} index rows cannot index data of rank ${ds.length}: M must be 1 to ${ds.length} ${shapes}`);
  for (let k = 1; k < M; k++) {
    if (typeof ds[k] !== 'number') throw new Error(`npx.gatherNd: axis ${k} of the data is indexed and must have a known size, got '${ds[k]}' ${shapes}`);
  }
  if (indices instanceof NDArray) checkRange(indices, ds as number[], M, shapes);
  const idx = op('cast')(indices, { dtype: 'float64' });
  // Row-major position among the first M axes, each index wrapped: sum_k wrap(i_k) * (d_{k+1} * ... * d_{M-1}).
  let pos = rowMajorPosition<unknown>(M, (k) => {
    const ik = op('sliceAxis')(idx, { axis: 0, begin: k, end: k + 1 });
    const d = ds[k]!;
    return typeof d === 'number' ? op('add')(ik, op('mul')(op('lesser')(ik, 0), d)) : ik;
  }, (k) => ds[k] as number, { mul: (a, s) => op('mul')(a, s), add: (a, c) => op('add')(a, c) });
  pos = op('squeeze')(pos, { axis: 0 });
  let rows: unknown = data;
  for (let k = 1; k < M; k++) rows = op('reshape')(rows, [-3, -2]);
  return op('take')(rows, pos, { axis: 0, mode: 'clip' }) as T;
}

/** Every index row k within [-d_k, d_k) (the arrays' values are read). */
function checkRange(indices: NDArray, ds: number[], M: number, shapes: string): void {
  const v = tensorToNumbers(indices._host);
  const per = v.length / M;
  for (let k = 0; k < M; k++) {
    const n = ds[k]!;
    for (let j = 0; j < per; j++) {
      const x = v[k * per + j]!;
      const i = Math.trunc(x);
      if (!(i >= -n && i < n)) throw new Error(`npx.gatherNd: index ${x} (index row ${k}) is out of range for axis ${k} of size ${n}: it takes [${-n}, ${n - 1}] ${shapes}`);
    }
  }
}
