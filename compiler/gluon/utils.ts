/**
 * `gluon.utils` (MXNet's): `splitData`, `splitAndLoad` (the batch split
 * along an axis, one slice per device; gluonc has one CPU device),
 * `clipGlobalNorm` (gradients rescaled in place so their joint L2 norm is
 * at most `maxNorm`, MXNet's formula `min(1, maxNorm / (norm + 1e-8))`),
 * and `checkSha1` / `download` (download.ts).
 */
import { flushPendingOps } from '../engine/lazy-op.js';
import { NDArray, array, type NestedNumbers } from '../engine/ndarray.js';
import { showValue } from './show-value.js';
import { bindArgs, type KwArgs } from './bind-args.js';

export { checkSha1, download } from './download.js';

/**
 * Splits `data` into `numSlice` slices along `batchAxis` (MXNet's
 * `split_data`): with `evenSplit` (default) the size must divide evenly;
 * otherwise the first `size % numSlice` slices get one more.
 *
 * ```ts
 * gluon.utils.splitData(nd.arange(6), 3).map((s) => s.toArray()); // [[0, 1], [2, 3], [4, 5]]
 * ```
 */
export function splitData(data: NDArray, ...args: KwArgs<['numSlice', 'batchAxis?', 'evenSplit?'], [numSlice: number, batchAxis?: number, evenSplit?: boolean], {}>): NDArray[] {
  const [[numSlice, batchAxis = 0, evenSplit = true]] = bindArgs<[number, number?, boolean?], {}>('splitData', ['numSlice', 'batchAxis?', 'evenSplit?'], args, []);
  if (!(data instanceof NDArray)) throw new Error(`splitData: data must be an NDArray, got ${typeof data}`);
  if (!Number.isInteger(numSlice) || numSlice < 1) throw new Error(`splitData: numSlice must be an integer >= 1, got ${showValue(numSlice)}`);
  const ax = batchAxis < 0 ? batchAxis + data.ndim : batchAxis;
  if (!Number.isInteger(batchAxis) || ax < 0 || ax >= data.ndim) throw new Error(`splitData: batchAxis ${showValue(batchAxis)} is out of range for data of shape [${data.shape.join(', ')}]`);
  const size = data.shape[ax]!;
  if (evenSplit && size % numSlice !== 0) {
    throw new Error(`splitData: data with shape [${data.shape.join(', ')}] cannot be evenly split into ${numSlice} slices along axis ${ax}; use a batch size that is a multiple of ${numSlice} or evenSplit: false`);
  }
  if (size < numSlice) throw new Error(`splitData: too many slices (${numSlice}) for data of size ${size} along axis ${ax}`);
  const each = Math.floor(size / numSlice);
  const extras = size % numSlice;
  const out: NDArray[] = [];
  let begin = 0;
  for (let i = 0; i < numSlice; i++) {
    const end = begin + each + (i < extras ? 1 : 0);
    out.push(data.sliceAxis({ axis: ax, begin, end }));
    begin = end;
  }
  return out;
}

/**
 * The batch as one slice per device (MXNet's `split_and_load`); gluonc runs
 * on one CPU device, so `ctxList` is usually `[cpu()]` and the result is
 * `[data]`. A list of numbers becomes a float32 NDArray.
 *
 * ```ts
 * const [x] = gluon.utils.splitAndLoad(batch, [context.cpu()]);
 * ```
 */
export function splitAndLoad(data: NDArray | NestedNumbers[], ...args: KwArgs<['ctxList', 'batchAxis?', 'evenSplit?'], [ctxList: readonly unknown[], batchAxis?: number, evenSplit?: boolean], {}>): NDArray[] {
  const [[ctxList, batchAxis = 0, evenSplit = true]] = bindArgs<[readonly unknown[], number?, boolean?], {}>('splitAndLoad', ['ctxList', 'batchAxis?', 'evenSplit?'], args, []);
  const x = data instanceof NDArray ? data : array(data);
  if (!Array.isArray(ctxList) || ctxList.length === 0) throw new Error('splitAndLoad: ctxList must be a non-empty list of devices');
  if (ctxList.length === 1) return [x];
  return splitData(x, ctxList.length, batchAxis, evenSplit);
}

/**
 * Rescales `arrays` in place so that their joint L2 norm is at most
 * `maxNorm` (MXNet's `clip_global_norm`: scale `min(1, maxNorm / (norm +
 * 1e-8))`), and returns the norm before clipping. A NaN or infinite norm
 * emits a warning (MXNet's), and the arrays are then undefined as in MXNet.
 *
 * ```ts
 * const grads = [...net.collectParams().values()].map((p) => p.grad());
 * gluon.utils.clipGlobalNorm(grads, 1.0);
 * trainer.step(batchSize);
 * ```
 */
export function clipGlobalNorm(arrays: NDArray[], maxNorm: number, checkIsfinite = true): number {
  if (!Array.isArray(arrays) || arrays.length === 0) throw new Error('clipGlobalNorm: needs a non-empty list of NDArrays');
  arrays.forEach((a, i) => {
    if (!(a instanceof NDArray)) throw new Error(`clipGlobalNorm: array ${i} is not an NDArray`);
    if (!['float32', 'float64', 'float16'].includes(a.dtype)) throw new Error(`clipGlobalNorm: array ${i} has dtype ${a.dtype}; gradients are floats`);
  });
  if (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new Error(`clipGlobalNorm: maxNorm must be a positive number, got ${showValue(maxNorm)}`);
  // MXNet's keyword check_isfinite=False has no options object here: an object in its place is an Error, not a truthy flag.
  if (typeof checkIsfinite !== 'boolean') throw new Error(`clipGlobalNorm: checkIsfinite (argument 3) must be true or false, got ${showValue(checkIsfinite)}`);
  flushPendingOps(); // the arrays' pending values are final before they are read and written
  let sq = 0;
  for (const a of arrays) {
    const f = a.dtype === 'float16' ? a.astype('float32') : a;
    for (const v of f._host.data as Float32Array) sq += v * v;
  }
  const total = Math.sqrt(sq);
  if (checkIsfinite && !Number.isFinite(total)) process.emitWarning('clipGlobalNorm: nan or inf is detected. Clipping results will be undefined.', 'GluoncWarning');
  const scale = Math.min(maxNorm / (total + 1e-8), 1);
  if (scale < 1 || Number.isNaN(scale)) {
    for (const a of arrays) {
      if (a.dtype === 'float16') {
        const scaled = a.astype('float32').mul(scale).astype('float16');
        (a._host.data as Uint16Array).set(scaled._host.data as Uint16Array);
      } else {
        const d = a._host.data as Float32Array;
        for (let i = 0; i < d.length; i++) d[i] = d[i]! * scale;
      }
    }
  }
  return total;
}
