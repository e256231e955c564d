/**
 * `gluon.contrib.estimator` (MXNet 1.6+'s python/mxnet/gluon/contrib/estimator/):
 * the Estimator, its event handlers and BatchProcessor.
 *
 * ```ts
 * const { Estimator, EarlyStoppingHandler } = gluon.contrib.estimator;
 * ```
 */
export { Estimator, type EstimatorOptions, type FitOptions } from './estimator.js';
export { BatchProcessor, type BatchResult } from './batch-processor.js';
export { CheckpointHandler, type CheckpointOptions } from './checkpoint-handler.js';
export {
  EventHandler, StoppingHandler, MetricHandler, ValidationHandler, LoggingHandler, EarlyStoppingHandler, GradientUpdateHandler,
  type TrainBegin, type TrainEnd, type EpochBegin, type EpochEnd, type BatchBegin, type BatchEnd,
  type Batch, type BatchEndArgs, type EstimatorRef, type EstimatorLogger, type EvaluateOptions, type EvalFn,
} from './event-handler.js';
