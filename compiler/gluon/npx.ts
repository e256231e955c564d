/**
 * `npx`: MXNet 2.x's extension operators (`mx.npx`) for Gluon 2 / d2l code,
 * as thin views over the one operator list: `npx.relu` is `nd.relu`,
 * `npx.fullyConnected` is `nd.FullyConnected`, with MXNet's names in
 * camelCase (`log_softmax` -> `logSoftmax`, `batch_norm` -> `batchNorm`).
 * Invariant: every function here dispatches on its arguments as the `nd`
 * operators do — NDArrays run now, Symbols (a hybridized block being traced)
 * add graph nodes — so one `forward` serves eager and compiled calls.
 */
import { OPS } from '../ops/all.js';
import type { Bind, OpDef, PositionalOptions, SigOf } from '../ops/define.js';
import type { PoolOptions } from '../ops/pool.js';
import type { SoftmaxOptions } from '../ops/nn.js';
import type { TopkOf } from '../ops/sort.js';
import { ops as ndOps } from '../engine/nd.js';
import { isSymbol, type Symbol } from '../trace/symbol.js';
import { NDArray } from '../engine/ndarray.js';
import { waitAll } from '../engine/wait-all.js';
import type { Tensor } from '../engine/tensor.js';
import type { CtcLossOptions } from '../ops/ctc.js';
import { npxLoad, npxSave, npxSavez } from '../formats/array-files.js';
import { cpu, gpu } from '../engine/context.js';
import { cudaProviderInstalled } from '../../runtime/ort.js';
import { checkOptions } from '../../runtime/check-options.js';
import { gatherNd } from './npx-gather.js';

type Ops = typeof OPS;

/**
 * The type of an operator viewed from np/npx: on NDArrays it returns
 * NDArrays, on Symbols Symbols, on `gluon.Tensor` (in `hybridForward`) Tensors.
 */
export type View<K extends keyof Ops> = Bind<SigOf<Ops[K]>, NDArray> & Bind<SigOf<Ops[K]>, Symbol> & Bind<SigOf<Ops[K]>, Tensor>;

/**
 * The operator `name` of the list, as an np/npx function (the `nd` function, which also takes symbols).
 *
 * ```ts
 * const relu = opView('relu');
 * relu(nd.array([-1, 2])); // [0, 2]
 * ```
 */
export function opView<K extends keyof Ops>(name: K): View<K> {
  const f = (ndOps as unknown as Record<string, unknown>)[name];
  if (typeof f !== 'function') throw new Error(`np/npx: operator '${String(name)}' does not exist`);
  return f as never;
}

/**
 * The operator `name` as an npx function whose positional arguments follow
 * MXNet 2's order `params` (python/mxnet/ndarray/numpy_extension/_op.py),
 * where it differs from MXNet 1.x's (the declaration's `positional`, which
 * F/nd/sym follow): the call is rebuilt by name, inputs in the operator's
 * order and the rest as one options object, so a value in the wrong place
 * meets the operator's own checks. A null for a name the operator lacks is
 * an argument left out (MXNet's None); more arguments than `params`, or a
 * name given twice, is an Error naming the function. `defaults` are npx's
 * own defaults where they differ from the declaration's (MXNet 1.x's), used
 * when the call leaves the name out.
 *
 * ```ts
 * const pooling = npxOrdered('pooling', 'Pooling', ['data', 'kernel', 'stride', 'pad', 'poolType']);
 * pooling(x, [2, 2], [2, 2], [0, 0], 'avg'); // nd.Pooling(x, { kernel: [2, 2], stride: [2, 2], pad: [0, 0], poolType: 'avg' })
 * ```
 */
function npxOrdered(npxName: string, name: string, params: readonly string[], defaults: Record<string, unknown> = {}): (...args: unknown[]) => unknown {
  const def = (OPS as unknown as Record<string, OpDef>)[name]!;
  const f = (ndOps as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
  const inputs = def.inputs.map((n) => n.replace(/\?$/, ''));
  const label = `npx.${npxName}`;
  return (...args: unknown[]) => {
    let n = args.length;
    while (n > 0 && args[n - 1] === undefined) n--;
    const last = args[n - 1];
    const isOptions = n > 1 && typeof last === 'object' && last !== null && !Array.isArray(last) && !(last instanceof NDArray) && !isSymbol(last);
    if (isOptions) n--;
    if (n > params.length) throw new Error(`${label}: takes at most ${params.length} positional arguments (${params.join(', ')}), got ${n}`);
    const named: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) if (args[i] !== undefined) named[params[i]!] = args[i];
    for (const [k, v] of Object.entries(isOptions ? (last as Record<string, unknown>) : {})) {
      if (v === undefined) continue;
      if (k in named) throw new Error(`${label}: got multiple values for '${k}' (positionally and in the options object)`);
      named[k] = v;
    }
    for (const [k, v] of Object.entries(defaults)) if (!(k in named)) named[k] = v;
    const given = inputs.map((k) => named[k] ?? null);
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(named)) if (!inputs.includes(k) && !(v === null && !(k in (def.attrs ?? {})))) options[k] = v;
    return f(...given, options);
  };
}

/** MXNet 2's `npx.ctc_loss(data, label, data_lengths, label_lengths, use_data_lengths, use_label_lengths, blank_label)`. */
type NpxCtcLoss = <T extends NDArray | Symbol | Tensor>(
  data: T, label: T, dataLengths?: T | null | CtcLossOptions, labelLengths?: T | null | CtcLossOptions, useDataLengths?: boolean | CtcLossOptions,
  useLabelLengths?: boolean | CtcLossOptions, blankLabel?: 'first' | 'last' | CtcLossOptions, options?: CtcLossOptions,
) => T;
/** MXNet 2's `npx.pooling(data, kernel, stride, pad, pool_type, pooling_convention, global_pool, cudnn_off, p_value, count_include_pad, layout)`. */
type NpxPoolOrder = ['kernel', 'stride', 'pad', 'poolType', 'poolingConvention', 'globalPool', 'cudnnOff', 'pValue', 'countIncludePad', 'layout'];
type NpxPooling = <T extends NDArray | Symbol | Tensor>(data: T, ...rest: PositionalOptions<PoolOptions, NpxPoolOrder>) => T;
/** MXNet 2's `npx.softmax(data, axis, length, temperature, use_length, dtype)` (and log_softmax's; gluonc's logSoftmax takes no length). */
type NpxSoftmax = <T extends NDArray | Symbol | Tensor>(
  data: T, axis?: number | SoftmaxOptions, length?: T | null | SoftmaxOptions, temperature?: number | null | SoftmaxOptions, useLength?: boolean | SoftmaxOptions,
  dtype?: SoftmaxOptions['dtype'] | SoftmaxOptions, options?: SoftmaxOptions,
) => T;
const SOFTMAX_ORDER = ['data', 'axis', 'length', 'temperature', 'useLength', 'dtype'];
/**
 * `npx.topk` typed by its `retTyp` as nd's and F's are (TopkOf): one array for 'indices' (the default),
 * 'value' and 'mask', the list `[values, indices]` for 'both', so d2l's
 * `npx.topk(cos, { k, retTyp: 'indices' }).toArray()` type-checks.
 */
type NpxTopk = TopkOf<NDArray> & TopkOf<Symbol> & TopkOf<Tensor>;

/** An operator's inputs then its positional options: MXNet 2's order where npx keeps 1.x's (npx.convolution, python/mxnet/numpy_extension/_op.py). */
const sameOrder = (name: 'Convolution' | 'Deconvolution'): string[] => [...OPS[name].inputs.map((n) => n.replace(/\?$/, '')), ...(OPS[name].positional ?? [])];

const RESHAPE_CODES = "MXNet 2's codes are -1 (infer), -2 (copy), -3 (drop a size-1 dimension), -4 (copy the rest), -5 (merge two), -6 (split one into the next two)";

/**
 * MXNet 2's `npx.reshape(a, newshape, reverse)` (NumpyXReshapeInferShape in
 * src/operator/numpy/np_matrix_op.cc): -1 infers a size, -2 copies the
 * input's dimension, -3 drops one of size 1, -4 copies the rest, -5 merges
 * two, -6 splits one into the next two values (one may be -1); `reverse`
 * reads both from the right. These are not MXNet 1's `nd.reshape` codes (0
 * copies, -2 the rest, -3 merges, -4 splits): they are translated to them,
 * after squeezing the dimensions -3 drops. `x.shape[k]` while exporting
 * passes through.
 *
 * ```ts
 * npx.reshape(np.ones([2, 3, 8]), [-2, -2, 2, -1]).shape; // [2, 3, 2, 4]
 * npx.reshape(np.ones([2, 3, 8]), [-2, -1]).shape;        // [2, 24]
 * ```
 */
function npxReshape<T extends NDArray | Symbol | Tensor>(a: T, newshape: number | number[], options: { reverse?: boolean } = {}): T {
  checkOptions('npx.reshape', options, ['reverse']);
  const reverse = options.reverse ?? false;
  const given: unknown[] = typeof newshape === 'number' ? [newshape] : [...newshape];
  const shape = a.shape as unknown[];
  const rank = shape.length;
  const sp = reverse ? [...given].reverse() : given;
  // MXNet 1 codes, one group per MXNet 2 code, each consuming a fixed number of input dimensions
  // (so a reversed list is the same reshape read from the left).
  const groups: unknown[][] = [];
  const drop: number[] = [];
  let src = 0;
  for (let i = 0; i < sp.length; i++) {
    const v = sp[i];
    if (typeof v !== 'number') groups.push([v]);
    else if (v === -2) groups.push([0]);
    else if (v === -3) {
      const axis = reverse ? rank - 1 - src : src;
      if (src >= rank || shape[axis] !== 1) throw new Error(`npx.reshape: -3 drops a dimension of size 1, but axis ${axis} has size ${src >= rank ? 'none (past the last)' : String(shape[axis])}`);
      drop.push(axis);
    } else if (v === -4) {
      groups.push(Array<number>(Math.max(rank - src, 0)).fill(0));
      src = rank;
      continue;
    } else if (v === -5) {
      groups.push([-3]);
      src += 2;
      continue;
    } else if (v === -6) {
      const [d1, d2] = [sp[i + 1], sp[i + 2]];
      groups.push(reverse ? [-4, d2, d1] : [-4, d1, d2]);
      i += 2;
    } else if (v === -1 || (Number.isInteger(v) && v > 0)) groups.push([v]);
    else throw new Error(`npx.reshape: newshape ${JSON.stringify(newshape)} holds ${v}; ${RESHAPE_CODES}${v === 0 ? " (0 is an empty dimension there, for np.reshape of an empty array; nd.reshape's 0 copies)" : ''}`);
    src++;
  }
  const x = drop.length ? (ndOps.squeeze as (t: unknown, o: unknown) => T)(a, { axis: drop }) : a;
  return (ndOps.reshape as (t: unknown, s: unknown) => T)(x, (reverse ? groups.reverse() : groups).flat());
}

/**
 * MXNet 2.x's `npx` operators.
 *
 * ```ts
 * import { np, npx } from 'gluonc';
 * npx.relu(np.dot(x, w));
 * npx.softmax(scores, { axis: -1 });
 * npx.sequenceMask(x, lens, { useSequenceLength: true, axis: 1 });
 * ```
 */
export const npx = {
  relu: opView('relu'),
  sigmoid: opView('sigmoid'),
  /** MXNet 2's order: `npx.softmax(x, axis, length, temperature, useLength)` (F/nd's is MXNet 1.x's `softmax(x, length, axis, ...)`). */
  softmax: npxOrdered('softmax', 'softmax', SOFTMAX_ORDER) as NpxSoftmax,
  logSoftmax: npxOrdered('logSoftmax', 'logSoftmax', SOFTMAX_ORDER) as NpxSoftmax,
  activation: opView('Activation'),
  leakyRelu: opView('LeakyReLU'),
  batchNorm: opView('BatchNorm'),
  layerNorm: opView('LayerNorm'),
  fullyConnected: opView('FullyConnected'),
  /**
   * MXNet 2's `npx.convolution(data, weight, bias, kernel, stride, dilate, pad, numFilter, numGroup, workspace, noBias, ...)`:
   * 1.x's order and defaults (noBias false). As in F, a kernel or numFilter left out is read from the weight's shape.
   */
  convolution: npxOrdered('convolution', 'Convolution', sameOrder('Convolution'), { noBias: false }) as View<'Convolution'>,
  /**
   * MXNet 2's `npx.deconvolution(data, weight, bias, kernel, stride, dilate, pad, adj, targetShape, numFilter, ...)`,
   * with npx's default noBias false (F/nd/sym's Deconvolution keeps MXNet 1.x's true): a bias given is added.
   */
  deconvolution: npxOrdered('deconvolution', 'Deconvolution', sameOrder('Deconvolution'), { noBias: false }) as View<'Deconvolution'>,
  /** MXNet 2's order: `npx.pooling(x, kernel, stride, pad, poolType, ...)` (F/nd's is MXNet 1.x's `Pooling(x, kernel, poolType, globalPool, ...)`). */
  pooling: npxOrdered('pooling', 'Pooling', ['data', 'kernel', 'stride', 'pad', 'poolType', 'poolingConvention', 'globalPool', 'cudnnOff', 'pValue', 'countIncludePad', 'layout']) as NpxPooling,
  /** MXNet 2's `npx.roi_pooling(data, rois, pooled_size, spatial_scale)` (F/nd's `ROIPooling`; forward only). */
  roiPooling: npxOrdered('roiPooling', 'ROIPooling', ['data', 'rois', 'pooledSize', 'spatialScale']) as View<'ROIPooling'>,
  /**
   * MXNet 2's `npx.roi_align(data, rois, pooled_size, spatial_scale, sample_ratio=-1, position_sensitive=False, aligned=False)`
   * (F/nd's `contrib.ROIAlign`); differentiable in the data with a fixed `sampleRatio > 0`.
   */
  roiAlign: npxOrdered('roiAlign', 'ROIAlign', ['data', 'rois', 'pooledSize', 'spatialScale', 'sampleRatio', 'positionSensitive', 'aligned']) as View<'ROIAlign'>,
  /**
   * MXNet 2's `npx.ctc_loss(data, label, data_lengths, label_lengths, use_data_lengths, use_label_lengths, blank_label)`
   * (F/nd's `CTCLoss`): data [T, N, C], loss [N]; a length left out is null.
   */
  ctcLoss: npxOrdered('ctcLoss', 'CTCLoss', ['data', 'label', 'dataLengths', 'labelLengths', 'useDataLengths', 'useLabelLengths', 'blankLabel']) as NpxCtcLoss,
  embedding: opView('Embedding'),
  dropout: opView('Dropout'),
  oneHot: opView('oneHot'),
  pick: opView('pick'),
  /** MXNet's `gather_nd`; numpy's `X[i0, i1]` is `npx.gatherNd(X, np.stack([i0, i1]))` (see npx-gather.ts). */
  gatherNd,
  topk: opView('topk') as NpxTopk,
  reshape: npxReshape,
  batchDot: opView('batchDot'),
  /** MXNet's `npx.batch_flatten`: [d0, d1, ...] -> [d0, d1·...] (d2l's SSD `flatten_pred`). Example: `npx.batchFlatten(x)`. */
  batchFlatten: opView('flatten'),
  sequenceMask: opView('SequenceMask'),
  sequenceLast: opView('SequenceLast'),
  sequenceReverse: opView('SequenceReverse'),
  maskedSoftmax: opView('maskedSoftmax'),
  maskedLogSoftmax: opView('maskedLogSoftmax'),
  shapeArray: opView('shapeArray'),
  arangeLike: opView('arangeLike'),
  groupNorm: opView('GroupNorm'),
  instanceNorm: opView('InstanceNorm'),
  /** MXNet 2's `npx.nonzero`: the positions of the nonzero elements as int64 `[count, ndim]` (ONNX's `NonZero` transposed). Example: `npx.nonzero(mask)`. */
  nonzero: <T extends NDArray | Symbol | Tensor>(a: T): T => {
    const f = ndOps as unknown as Record<string, (...x: unknown[]) => T>;
    return f['transpose']!(f['nonzero']!(a));
  },
  /** `npx.save`: one array to a numpy `.npy` file (MXNet 2's), a list or record of arrays to MXNet's NDArray file (MXNet 1.x's). Example: `npx.save('x.npy', x)`, `npx.save('x-files', [x, y])`. */
  save: npxSave,
  /** MXNet's `npx.cpu()`: the CPU context (d2l's `try_gpu()` falls back to it). Example: `context.setContext(npx.cpu())`. */
  cpu,
  /** MXNet's `npx.gpu()`: the GPU context (device 0; using it without CUDA is an Error when it runs). */
  gpu,
  /** MXNet's `npx.num_gpus()`: 1 when onnxruntime's CUDA provider is installed, else 0. Example: `npx.numGpus() >= 1 ? npx.gpu() : npx.cpu()`. */
  numGpus: (): number => (cudaProviderInstalled() ? 1 : 0),
  /** MXNet 2's `npx.savez`: arrays to an `.npz` archive (`arr_0`, ... or the record's names). Example: `npx.savez('p.npz', { w })`. */
  savez: npxSavez,
  /** MXNet 2's `npx.load`: an `.npy`, `.npz` or MXNet file (one array, a list or a record). Example: `npx.load('x.npy')`. */
  load: npxLoad,
  /** MXNet 2's `npx.multibox_prior(data, sizes, ratios, clip, steps, offsets)` (F/nd's `contrib.MultiBoxPrior`; hybridizable with known H, W). */
  multiboxPrior: opView('MultiBoxPrior'),
  /** MXNet 2's `npx.multibox_target(anchor, label, clsPred, ...)` (`contrib.MultiBoxTarget`; on NDArrays only). */
  multiboxTarget: opView('MultiBoxTarget'),
  /** MXNet 2's `npx.multibox_detection(clsProb, locPred, anchor, ...)` (`contrib.MultiBoxDetection`; hybridizable). */
  multiboxDetection: opView('MultiBoxDetection'),
  /** MXNet 2's `npx.box_iou(lhs, rhs, format)` (`contrib.box_iou`; hybridizable). */
  boxIou: opView('boxIou'),
  /** MXNet 2's `npx.box_nms(data, overlapThresh, validThresh, topk, coordStart, scoreIndex, idIndex, backgroundId, forceSuppress, inFormat, outFormat)` (`contrib.box_nms`; hybridizable). */
  boxNms: opView('boxNms'),
  /** MXNet's `npx.waitall()`: runs every pending (deferred) computation, as d2l's benchmarks call it before reading a timer. */
  waitall: (): void => waitAll(),
  /** Accepted for ported code (`npx.set_np()`): gluonc's arrays always follow these semantics. */
  setNp(): void {},
  /** Accepted for ported code (`npx.reset_np()`); nothing to reset. */
  resetNp(): void {},
};
