/**
 * MXNet 1.x's `mx.rnn.save_rnn_checkpoint`, `load_rnn_checkpoint` and
 * `do_rnn_checkpoint` (python/mxnet/rnn/rnn.py): Module checkpoints whose
 * `.params` hold the cells' weights unpacked (`unpackWeights`: a
 * FusedRNNCell's `<prefix>parameters` as per-gate matrices), so a model
 * trained with a FusedRNNCell loads into its `unfuse()`d stack
 * (`loadRnnCheckpoint(stack, ...)` packs them into the stack's names).
 * Invariant: the symbol file is model.saveCheckpoint's, from the packed
 * parameters (the symbol's own variables); only the `.params` differ.
 */
import type { Symbol } from '../../trace/symbol.js';
import type { NDArray } from '../../engine/ndarray.js';
import { loadCheckpoint, paramsFile, saveCheckpoint, saveParamsFile } from '../module/checkpoint.js';
import { showValue } from '../show-value.js';
import { BaseRNNCell } from './sym-cell.js';

type Dict = Record<string, NDArray>;

function cellList(what: string, cells: BaseRNNCell | BaseRNNCell[]): BaseRNNCell[] {
  const list = Array.isArray(cells) ? cells : [cells];
  if (!list.every((c) => c instanceof BaseRNNCell)) throw new Error(`${what}: cells must be an rnn cell or a list of them, got ${showValue(cells)}`);
  return list;
}

/**
 * MXNet's `save_rnn_checkpoint(cells, prefix, epoch, symbol, arg_params,
 * aux_params)`: `<prefix>-symbol.json` and `<prefix>-%04d.params` with each
 * cell's weights unpacked.
 *
 * ```ts
 * rnn.saveRnnCheckpoint(fused, 'lstm', 1, symbol, argParams, auxParams);   // lstm_l0_i2h_i_weight, ...
 * ```
 */
export function saveRnnCheckpoint(cells: BaseRNNCell | BaseRNNCell[], prefix: string, epoch: number, symbol: Symbol | Symbol[], argParams: Dict, auxParams: Dict = {}): void {
  const list = cellList('rnn.saveRnnCheckpoint', cells);
  saveCheckpoint(prefix, epoch, symbol, argParams, auxParams);
  saveParamsFile(paramsFile(prefix, epoch), list.reduce((a, c) => c.unpackWeights(a), argParams), auxParams);
}

/**
 * MXNet's `load_rnn_checkpoint(cells, prefix, epoch)`: `[symbol, argParams,
 * auxParams]` with each cell's weights packed (for the unfused stack: its
 * `<prefix>l0_i2h_weight`, ...).
 *
 * ```ts
 * const [, argParams, auxParams] = rnn.loadRnnCheckpoint(fused.unfuse(), 'lstm', 1);
 * ```
 */
export function loadRnnCheckpoint(cells: BaseRNNCell | BaseRNNCell[], prefix: string, epoch: number): [Symbol | Symbol[], Dict, Dict] {
  const list = cellList('rnn.loadRnnCheckpoint', cells);
  const [symbol, arg, aux] = loadCheckpoint(prefix, epoch);
  return [symbol, list.reduce((a, c) => c.packWeights(a), arg), aux];
}

/**
 * MXNet's `do_rnn_checkpoint(cells, prefix, period=1)`: an epoch-end
 * callback calling `saveRnnCheckpoint` every `period` epochs (epoch + 1).
 *
 * ```ts
 * model.fit(it, { numEpoch: 4, epochEndCallback: rnn.doRnnCheckpoint(cell, 'lstm') });
 * ```
 */
export function doRnnCheckpoint(cells: BaseRNNCell | BaseRNNCell[], prefix: string, period = 1): (epoch: number, symbol: Symbol | Symbol[], argParams: Dict, auxParams: Dict) => void {
  cellList('rnn.doRnnCheckpoint', cells);
  const p = Math.max(1, Math.trunc(period));
  return (epoch, symbol, argParams, auxParams) => {
    if ((epoch + 1) % p === 0) saveRnnCheckpoint(cells, prefix, epoch + 1, symbol, argParams, auxParams);
  };
}
