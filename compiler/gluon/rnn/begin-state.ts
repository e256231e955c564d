/**
 * The arguments of `beginState` (MXNet's `begin_state(batch_size=0,
 * **kwargs)`), shared by the recurrent layers and cells: the batch size
 * positionally or by name (`beginState({ batchSize: 4 })`, d2l's
 * `begin_state(batch_size=X.shape[1])`), and `dtype`.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { bindArgs } from '../bind-args.js';

/** `[batchSize, { dtype }]` from `beginState`'s arguments; a bad batch size or option is an Error naming `cls`. Example: `bindBeginState('LSTM', [{ batchSize: 4 }])`. */
export function bindBeginState(cls: string, args: readonly unknown[]): [number, { dtype?: DType }] {
  const where = `${cls}.beginState`;
  const [[batchSize = 0], options] = bindArgs<[number?], { dtype?: DType }>(where, ['batchSize?'], args, ['dtype']);
  if (!Number.isInteger(batchSize) || batchSize < 0) throw new Error(`${where}: batchSize must be a non-negative integer, got ${JSON.stringify(batchSize)}`);
  return [batchSize, options];
}
