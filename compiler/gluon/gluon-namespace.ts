/**
 * The package's `gluon` namespace: blocks, parameters, the layer folders
 * (`nn`, `rnn`), losses, data and the Trainer. A module namespace rather
 * than an object, so every class in it is a type as well as a value.
 *
 * ```ts
 * import { gluon } from 'gluonc';
 * const d: gluon.nn.Dense = new gluon.nn.Dense(5);
 * const net = new gluon.nn.HybridSequential();
 * net.add(d, new gluon.nn.Dense(1));
 * ```
 */
export { Block } from './block.js';
export { HybridBlock } from './hybrid.js';
export { SymbolBlock } from './symbol-block.js';
export { MxnetSymbolBlock } from './mxnet-symbol.js';
export { Parameter, ParameterDict, type ParameterOptions } from './parameter.js';
export { Trainer } from './trainer.js';
export * as nn from './nn/index.js';
export * as rnn from './rnn/index.js';
/** MXNet 1.x's `gluon.contrib` (`contrib.nn.HybridConcurrent`, `Concurrent`, `Identity`). */
export * as contrib from './contrib.js';
export * as loss from './loss/index.js';
export * as data from './data/index.js';
export * as metric from './metric/index.js';
export * as utils from './utils.js';
/** MXNet's `gluon.model_zoo`: reading it is an Error pointing at models/zoo/ (the zoo is files of the repository, not the package). */
export { modelZoo, modelZoo as model_zoo } from './model-zoo.js';
/** The backend `hybridForward` receives (`nd` or `sym`), and what it computes with (an NDArray eagerly, a Symbol while traced). */
export type { F, Tensor } from '../engine/tensor.js';
