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
import type { Bind, SigOf } from '../ops/define.js';
import { ops as ndOps } from '../engine/nd.js';
import type { Symbol } from '../trace/symbol.js';
import type { NDArray } from '../engine/ndarray.js';
import type { Tensor } from '../engine/tensor.js';
import { npxLoad, npxSave, npxSavez } from '../formats/array-files.js';
import { cpu, gpu } from '../engine/context.js';
import { cudaProviderInstalled } from '../../runtime/ort.js';

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
  softmax: opView('softmax'),
  logSoftmax: opView('logSoftmax'),
  activation: opView('Activation'),
  leakyRelu: opView('LeakyReLU'),
  batchNorm: opView('BatchNorm'),
  layerNorm: opView('LayerNorm'),
  fullyConnected: opView('FullyConnected'),
  convolution: opView('Convolution'),
  deconvolution: opView('Deconvolution'),
  pooling: opView('Pooling'),
  embedding: opView('Embedding'),
  dropout: opView('Dropout'),
  oneHot: opView('oneHot'),
  pick: opView('pick'),
  topk: opView('topk'),
  reshape: opView('reshape'),
  batchDot: opView('batchDot'),
  sequenceMask: opView('SequenceMask'),
  sequenceLast: opView('SequenceLast'),
  sequenceReverse: opView('SequenceReverse'),
  maskedSoftmax: opView('maskedSoftmax'),
  maskedLogSoftmax: opView('maskedLogSoftmax'),
  shapeArray: opView('shapeArray'),
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
  /** Accepted for ported code (`npx.set_np()`): gluonc's arrays always follow these semantics. */
  setNp(): void {},
  /** Accepted for ported code (`npx.reset_np()`); nothing to reset. */
  resetNp(): void {},
};
