/**
 * The arguments of `beginState` (MXNet's `begin_state(batch_size=0,
 * **kwargs)`), shared by the recurrent layers and cells: the batch size
 * positionally or by name (`beginState({ batchSize: 4 })`, d2l's
 * `begin_state(batch_size=X.shape[1])`), and `dtype`; and the zero states
 * themselves. While a block is traced with a symbolic batch (`export`,
 * `gluonc compile --input x:float32[T,N,8]`), `x.shape[1]` is a
 * `SymbolicDim`: the states are then zeros whose batch is read from `x` when
 * the graph runs (the creation operator's shape from a tensor, as
 * `F.zeros([x.shape[1], H])` does), so the artifact takes any batch; they
 * are recorded as the block's begin states, which MXNet's export writes as
 * MXNet's `begin_state` does (`_zeros` with a 0 batch, formats/mxnet-deferred.ts).
 */
import type { DType } from '../../../runtime/dtypes.js';
import { zeros } from '../../engine/nd.js';
import type { NDArray } from '../../engine/ndarray.js';
import { isSymbolicDim, type SymbolicDim } from '../../ops/symbolic-dim.js';
import { symOps } from '../../trace/sym.js';
import { recordBeginState, type BeginStateOrigin } from '../../formats/mxnet-deferred.js';
import { bindArgs } from '../bind-args.js';

/** A batch size: a number, or a traced tensor's symbolic dimension (`x.shape[1]` while exporting). */
export type BatchSize = number | SymbolicDim;

/** `[batchSize, { dtype }]` from `beginState`'s arguments; a bad batch size or option is an Error naming `cls`. Example: `bindBeginState('LSTM', [{ batchSize: 4 }])`. */
export function bindBeginState(cls: string, args: readonly unknown[]): [BatchSize, { dtype?: DType }] {
  const where = `${cls}.beginState`;
  const [[batchSize = 0], options] = bindArgs<[BatchSize?], { dtype?: DType }>(where, ['batchSize?'], args, ['dtype']);
  if (isSymbolicDim(batchSize)) return [batchSize, options];
  if (!Number.isInteger(batchSize) || batchSize < 0) throw new Error(`${where}: batchSize must be a non-negative integer, got ${JSON.stringify(batchSize)}; a traced input's x.shape[k] is taken as it is`);
  return [batchSize, options];
}

/**
 * Zero states of the given shapes: arrays, or, when a shape holds a
 * symbolic dimension, traced zeros that read it from its tensor at run time
 * (recorded as `origin`'s begin states).
 *
 * ```ts
 * zeroStates([[1, 4, 20], [1, 4, 20]], 'float32', origin);  // two arrays
 * zeroStates([[1, x.shape[1], 20]], 'float32', origin);    // while exporting: zeros [1, N, 20], N read from x
 * ```
 */
export function zeroStates(shapes: readonly (readonly BatchSize[])[], dtype: DType, origin: BeginStateOrigin): NDArray[] {
  return shapes.map((s) => {
    if (!s.some(isSymbolicDim)) return zeros(s as number[], { dtype });
    const z = symOps.zeros([...s] as unknown as number[], { dtype });
    recordBeginState(z.value, origin);
    return z as unknown as NDArray;
  });
}
