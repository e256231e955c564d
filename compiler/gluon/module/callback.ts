/**
 * MXNet 1.x's `mx.callback` (python/mxnet/callback.py): `Speedometer`, which
 * logs the speed and the metric every `frequent` batches, and
 * `doCheckpoint`, which saves a checkpoint every `period` epochs.
 */
import type { EvalMetric } from '../metric/index.js';
import { saveCheckpoint, type ParamDict } from './checkpoint.js';
import type { Symbol } from '../../trace/symbol.js';

/**
 * Python's `'%f' % v` (`'%.2f'` with `digits` 2), as MXNet's log lines
 * format numbers: `nan`, `inf`, `-inf` where not finite, an exact half
 * rounded to even (`0.0078125` is `0.007812`, where JS's toFixed gives
 * `0.007813`), every digit of a value of 1e21 or more.
 */
export function percentF(v: number, digits = 6): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const a = Math.abs(v);
  if (a >= 1e21) return `${sign}${BigInt(a)}${digits ? `.${'0'.repeat(digits)}` : ''}`;
  // toFixed rounds the exact binary value, a half away from zero; Python's a half to even.
  const exact = a.toFixed(digits + 30);
  const cut = exact.slice(0, exact.length - 30 - (digits ? 0 : 1));
  const tie = exact[exact.length - 30] === '5' && /^0*$/.test(exact.slice(exact.length - 29));
  return sign + (tie && Number(cut[cut.length - 1]) % 2 === 0 ? cut : a.toFixed(digits));
}

/** What a batch-end callback gets (MXNet's `BatchEndParam`). */
export interface BatchEndParam {
  epoch: number;
  nbatch: number;
  evalMetric: EvalMetric | null;
  locals: Record<string, unknown>;
}

/**
 * Logs `Epoch[e] Batch [a-b]\tSpeed: s samples/sec\t<metric>=<value>` every `frequent` batches.
 * With `autoReset` (the default) it then calls the metric's `resetLocal()`,
 * so each line shows the batches since the last one (`[a-b]`) while the
 * metric's global value, which `fit` logs at the epoch's end, keeps the
 * whole epoch; without it each line shows the epoch so far (`[0-b]`).
 *
 * ```ts
 * m.fit(it, { numEpoch: 5, batchEndCallback: callback.Speedometer(64, 100) });
 * ```
 */
export function Speedometer(batchSize: number, frequent = 50, autoReset = true, log: (m: string) => void = (m) => console.log(m)): (param: BatchEndParam) => void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`callback.Speedometer: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(frequent) || frequent < 1) throw new Error(`callback.Speedometer: frequent must be a positive integer, got ${frequent}`);
  let init = false;
  let tic = 0;
  let lastCount = 0;
  return (param) => {
    const count = param.nbatch;
    if (lastCount > count) init = false;
    lastCount = count;
    if (!init) {
      init = true;
      tic = Date.now();
      return;
    }
    if (count % frequent !== 0) return;
    const secs = (Date.now() - tic) / 1000;
    const speed = secs > 0 ? (frequent * batchSize) / secs : Infinity;
    if (param.evalMetric) {
      const values = param.evalMetric.getNameValue().map(([n, v]) => `\t${n}=${percentF(v)}`).join('');
      if (autoReset) param.evalMetric.resetLocal();
      log(`Epoch[${param.epoch}] Batch [${autoReset ? count - frequent : 0}-${count}]\tSpeed: ${percentF(speed, 2)} samples/sec${values}`);
    } else log(`Iter[${param.epoch}] Batch [${count}]\tSpeed: ${percentF(speed, 2)} samples/sec`);
    tic = Date.now();
  };
}

/**
 * An epoch-end callback saving `<prefix>-symbol.json` and `<prefix>-%04d.params` (epoch + 1) every `period` epochs.
 *
 * ```ts
 * m.fit(it, { numEpoch: 10, epochEndCallback: callback.doCheckpoint('mlp', 2) });
 * ```
 */
export function doCheckpoint(prefix: string, period = 1): (epoch: number, symbol: Symbol | Symbol[], argParams: ParamDict, auxParams: ParamDict) => void {
  const p = Math.max(1, Math.trunc(period));
  return (epoch, symbol, argParams, auxParams) => {
    if ((epoch + 1) % p === 0) saveCheckpoint(prefix, epoch + 1, symbol, argParams, auxParams);
  };
}
