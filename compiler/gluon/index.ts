/**
 * The whole framework, as users import it:
 * `import { nd, sym, random, profiler } from 'gluonc'`.
 */
import { counters, reset } from '../../runtime/profiler.js';
import * as autogradMod from '../engine/autograd.js';
import * as initMod from './init.js';
import { group, Symbol as SymbolClass, SymbolGroup as SymbolGroupClass, symOps, variable, withNameManager, type SymbolNamedForms, type SymbolParamForms } from '../trace/sym.js';
import { setSymbolEvaluator } from '../trace/symbol.js';
import { evalSymbols } from '../compile.js';
import * as ndMod from '../engine/nd.js';
import { NDArray as NDArrayClass, ndTensorFactory } from '../engine/ndarray.js';
import { setTensorFactory } from '../trace/tensor-like.js';
import { setSessionExecutor } from '../ops/execute.js';
import { runOneNode } from '../eager/one-node.js';
import * as randomMod from '../engine/random.js';
import * as contextMod from '../engine/context.js';
import { loadArrays, saveArrays } from '../formats/array-files.js';
import { waitAll } from '../engine/wait-all.js';
import * as lrSchedulerMod from './lr-scheduler.js';
import * as optimizerMod from './optimizer/index.js';
import * as stepThreadsMod from '../engine/step-threads.js';
export { exportTrainingStep, type TrainingStep, type TrainingStepOptions } from '../formats/train-export.js';

// Registrations, made here explicitly rather than as import side effects:
// the symbolic layer takes NDArrays met while tracing as constants, and
// eager operators and constant folding run large inputs as one-node sessions.
setTensorFactory(ndTensorFactory);
setSessionExecutor(runOneNode);

/**
 * Eager arrays and operators.
 *
 * ```ts
 * const x = nd.array([1, 2, 3]);
 * nd.broadcastDiv(nd.broadcastSub(x, nd.min(x)), nd.broadcastSub(nd.max(x), nd.min(x))); // [0, 0.5, 1]
 * ```
 */
export const nd = {
  ...ndMod.ops,
  NDArray: NDArrayClass,
  array: ndMod.array,
  zeros: ndMod.zeros,
  ones: ndMod.ones,
  full: ndMod.full,
  arange: ndMod.arange,
  random: ndMod.random,
  /** MXNet's `nd.contrib` operators gluonc has: `nd.contrib.arangeLike`, `nd.contrib.divSqrtDim`, `nd.contrib.ROIAlign`, `nd.contrib.ModulatedDeformableConvolution`, `nd.contrib.DeformableConvolution`, `nd.contrib.CTCLoss` / `nd.contrib.ctcLoss`. */
  contrib: ndMod.ops.contrib,
  /** Writes an array, a list or a dict of arrays as `mx.nd.save` does (or safetensors): `nd.save('a.params', { w })`. */
  save: saveArrays,
  /** Reads a file of `nd.save`/`mx.nd.save` (or safetensors, `.npz`, `.npy`) as a list or dict: `nd.load('a.params')`. */
  load: loadArrays,
  /** MXNet's `nd.waitall()`: runs every pending computation (as `npx.waitall`). */
  waitall: (): void => waitAll(),
};
export declare namespace nd {
  type NDArray = NDArrayClass;
}

// `Symbol.eval` compiles through the compile layer, which the tracing layer cannot import.
setSymbolEvaluator(evalSymbols);

/**
 * Symbolic variables and operators (what `hybridForward` sees as `F` while tracing).
 *
 * ```ts
 * const y = sym.relu(sym.var('x', { shape: ['N', 2] }));
 * ```
 */
export const sym = {
  ...symOps,
  var: variable,
  /** MXNet's other spelling of `var`. */
  Variable: variable,
  Group: group,
  Symbol: SymbolClass,
  SymbolGroup: SymbolGroupClass,
  withNameManager,
  contrib: symOps.contrib,
} as typeof symOps & SymbolParamForms & SymbolNamedForms & {
  var: typeof variable; Variable: typeof variable; Group: typeof group; Symbol: typeof SymbolClass;
  SymbolGroup: typeof SymbolGroupClass; withNameManager: typeof withNameManager;
};
export declare namespace sym {
  type Symbol = SymbolClass;
  type SymbolGroup = SymbolGroupClass;
}

/** The seeded random stream: `random.seed(n)` makes every draw repeatable. */
export const random = { seed: randomMod.seed, getState: randomMod.getState, setState: randomMod.setState };

/**
 * The device context (MXNet's `mx.cpu()` / `mx.gpu()`): where hybridized
 * blocks and the fused training step run; `setStepThreads` sets the fused
 * step's intra-op threads (`'auto'`, the default, measures one against
 * several; a count pins it).
 *
 * ```ts
 * context.setContext(context.gpu());   // compiled sessions on CUDA from now on
 * context.withContext('cpu', () => net.call(x));
 * context.setStepThreads(1);           // one thread, bitwise reproducible steps
 * ```
 */
export const context = {
  Context: contextMod.Context,
  cpu: contextMod.cpu,
  gpu: contextMod.gpu,
  currentContext: contextMod.currentContext,
  setContext: contextMod.setContext,
  withContext: contextMod.withContext,
  setStepThreads: stepThreadsMod.setStepThreads,
  stepThreads: stepThreadsMod.stepThreadCount,
};
export declare namespace context {
  type Context = contextMod.Context;
}

/** Execution counters: `profiler.counters()`, `profiler.reset()`. */
export const profiler = { counters, reset };

export { NDArrayClass as NDArray, SymbolClass as Symbol };

/** MXNet 2.x's numpy interface and extension operators (Gluon 2 / d2l code): `np.dot(x, w)`, `npx.relu(y)`. */
export { np } from './np.js';
/** MXNet's `mx.image`: `imread`, `imdecode`, `imresize`, `resizeShort`, `fixedCrop`, `centerCrop`, `randomCrop`, `randomSizeCrop`, `scaleDown`, `colorNormalize`; the augmenters, `CreateAugmenter` and `ImageIter`; the detection augmenters, `CreateDetAugmenter` and `ImageDetIter`. */
export * as image from './data/image-index.js';
/** MXNet's `mx.recordio`: `MXRecordIO`, `MXIndexedRecordIO`, `pack`, `unpack`, `packImg`, `unpackImg` over `.rec`/`.idx` files. */
export * as recordio from './data/recordio.js';
/** MXNet's `mx.io`: `NDArrayIter`, `MNISTIter`, `CSVIter`, `ImageRecordIter`, `ImageDetRecordIter`, `ResizeIter`, `PrefetchingIter` and the `DataBatch` / `DataDesc` they yield. */
export * as io from './data/io-index.js';
/** MXNet 1.x's `mx.mod`: `Module` (bind, initParams, initOptimizer, forward/backward/update, fit, score, predict, checkpoints) and `BucketingModule`. */
export * as mod from './module/index.js';
/** MXNet 1.x's legacy `mx.rnn` (not gluon.rnn): the symbolic cells, `encodeSentences`, `BucketSentenceIter`. */
export * as rnn from './mx-rnn.js';
/** MXNet 1.x's `mx.metric`: the same metrics as `gluon.metric` (`new metric.Perplexity(invalidLabel)`). */
export * as metric from './metric/index.js';
/** MXNet 1.x's `mx.model`: `loadCheckpoint`, `saveCheckpoint`. */
export * as model from './module/checkpoint.js';
/** MXNet 1.x's `mx.callback`: `Speedometer`, `doCheckpoint`. */
export * as callback from './module/callback.js';
export { npx } from './npx.js';

/**
 * Blocks, parameters and layers (compiler/gluon/gluon-namespace.ts); its
 * classes are types too (`const d: gluon.nn.Dense`).
 *
 * ```ts
 * const net = new gluon.nn.HybridSequential();
 * net.add(new gluon.nn.Dense(5), new gluon.nn.Dense(1));
 * ```
 */
export * as gluon from './gluon-namespace.js';

/** Initializers: `new init.Xavier({ magnitude: 2.24 })`. */
export const init = {
  Initializer: initMod.Initializer,
  Uniform: initMod.Uniform,
  Normal: initMod.Normal,
  Xavier: initMod.Xavier,
  MSRAPrelu: initMod.MSRAPrelu,
  Orthogonal: initMod.Orthogonal,
  Constant: initMod.Constant,
  Zero: initMod.Zero,
  One: initMod.One,
  LSTMBias: initMod.LSTMBias,
  FusedRNN: initMod.FusedRNN,
};
export declare namespace init {
  type Initializer = initMod.Initializer;
}

/**
 * Recording and gradients.
 *
 * ```ts
 * x.attachGrad();
 * const y = autograd.record(() => x.mul(x).sum());
 * y.backward();
 * x.grad; // 2x
 * ```
 */
export const autograd = {
  record: autogradMod.record,
  pause: autogradMod.pause,
  isRecording: autogradMod.isRecording,
  isTraining: autogradMod.isTraining,
  trainMode: autogradMod.trainMode,
  predictMode: autogradMod.predictMode,
  grad: autogradMod.grad,
  backward: autogradMod.backward,
};

/**
 * Learning-rate schedules for the Trainer's `lrScheduler` option.
 *
 * ```ts
 * const sched = new lrScheduler.FactorScheduler({ step: 100, factor: 0.5 });
 * new gluon.Trainer(params, 'sgd', { learningRate: 0.1, lrScheduler: sched });
 * ```
 */
export const lrScheduler = {
  LRScheduler: lrSchedulerMod.LRScheduler,
  FactorScheduler: lrSchedulerMod.FactorScheduler,
  CosineScheduler: lrSchedulerMod.CosineScheduler,
  MultiFactorScheduler: lrSchedulerMod.MultiFactorScheduler,
  PolyScheduler: lrSchedulerMod.PolyScheduler,
};

/**
 * Optimizers (the Trainer takes one by name or as an instance).
 *
 * ```ts
 * const opt = optimizer.create('adam', { learningRate: 0.01 });
 * new gluon.Trainer(params, opt);
 * ```
 */
export const optimizer = {
  create: optimizerMod.create,
  register: optimizerMod.register,
  names: optimizerMod.names,
  BaseOptimizer: optimizerMod.BaseOptimizer,
  SGD: optimizerMod.SGD,
  Adam: optimizerMod.Adam,
  AdamW: optimizerMod.AdamW,
  RMSProp: optimizerMod.RMSProp,
  AdaGrad: optimizerMod.AdaGrad,
};
export declare namespace optimizer {
  type Optimizer = optimizerMod.Optimizer;
}

/**
 * Artifacts from blocks, as `gluonc compile` makes them: `exportBlock(net,
 * file, options)` is `net.export`; `exportBytes` lowers without writing;
 * `asHybrid` makes a plain Block (an imperative `forward`) traceable;
 * `writeFileAtomic` writes a file the way `export` does.
 *
 * ```ts
 * const { bytes, manifest } = exportBytes(asHybrid(block), { inputs: { x: { shape: ['N', 784] } } });
 * ```
 */
export { exportBlock, exportBytes, writeFileAtomic, type ExportOptions, type ExportResult, type InputSpec } from '../formats/export.js';
export { asHybrid } from './traced-block.js';
export type { MxnetExportOptions, MxnetExportResult } from '../formats/mxnet-export.js';
