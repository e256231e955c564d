/**
 * `gluonc compile --train`: the training artifact `<name>.train.onnx` (see
 * `exportTrainingStep`, compiler/formats/train-export.ts, for its inputs and
 * outputs). This file holds what the model file decides: the loss is the
 * file's `loss` export (a loss block, class or a function returning one),
 * else SoftmaxCrossEntropyLoss when the output is [N, C] with C > 1 (labels:
 * class indices, float32 [N]) and L2Loss otherwise (labels: the output's
 * shape); `labels` overrides the label spec. The optimizer is SGD with
 * momentum 0.9, learning rate 0.01, unless the model file exports `trainer`
 * (`{ optimizer: 'adam', learningRate: 0.001, ... }`, or just `'adam'`).
 * A model with several (nested) outputs trains its loss on the first leaf
 * unless `--loss-output` (or the file's `lossOutput` export) names another,
 * by index or artifact name (`output1`); the loss's default and the label's
 * shape follow that output.
 */
import { exportTrainingStep, gluon, optimizer as optimizers, type InputSpec, type TrainingStep } from '../compiler/gluon/index.js';
import type { PassReport } from '../compiler/index.js';
import { DTYPES, isDType } from '../runtime/index.js';
import { asUserError, UserError } from './errors.js';

type HybridBlock = gluon.HybridBlock;
type Dim = InputSpec['shape'][number];

/** The optimizer used when the model file exports no `trainer`. */
export const DEFAULT_TRAINER = { optimizer: 'sgd', learningRate: 0.01, momentum: 0.9 } as const;

/** Options of `trainingArtifact`. */
export interface TrainArtifactOptions {
  inputs: Record<string, InputSpec>;
  /** The model file's `loss` export, if any. */
  loss?: unknown;
  /** The model file's `labels` export, if any. */
  labels?: InputSpec;
  /** The model file's `trainer` export, if any. */
  trainer?: Record<string, unknown>;
  /** The output the loss reads: `--loss-output` (a string), else the model file's `lossOutput` export, if any. */
  lossOutput?: unknown;
  /** Where `lossOutput` came from, for messages: `'--loss-output'` or `"'lossOutput' export"`. */
  lossOutputFrom?: string;
  opset?: number;
  optLevel?: number;
  /** Called with each pass's report (for `--report`). */
  report?: (r: PassReport) => void;
  /** The model file's name, recorded in the manifest (so a later compile knows the file is its own output). */
  source?: string;
  /** Where the model came from (for messages). */
  where: string;
}

/** What `trainingArtifact` built. */
export type TrainArtifact = TrainingStep;

function isLossClass(f: unknown): f is new () => HybridBlock {
  return typeof f === 'function' && f.prototype instanceof gluon.HybridBlock;
}

/**
 * The loss block: the file's `loss` export or the default for the output shape.
 *
 * ```ts
 * const { loss, label } = chooseLoss({ inputs, where: 'models/mlp.ts' }, ['N', 10]);   // SoftmaxCrossEntropyLoss, label float32 [N]
 * ```
 */
export function chooseLoss(options: TrainArtifactOptions, outShape: Dim[]): { loss: HybridBlock; label: InputSpec } {
  let loss: unknown = options.loss;
  if (loss !== undefined) {
    if (isLossClass(loss)) loss = new loss();
    else if (typeof loss === 'function' && !(loss instanceof gluon.Block)) loss = (loss as () => unknown)();
    if (!(loss instanceof gluon.HybridBlock)) throw new UserError(`${options.where}: the 'loss' export must be a hybrid loss block (e.g. new gluon.loss.L2Loss()) or a function returning one`);
  }
  const classifier = outShape.length === 2 && typeof outShape[1] === 'number' && outShape[1] > 1;
  if (!loss) loss = classifier ? new gluon.loss.SoftmaxCrossEntropyLoss() : new gluon.loss.L2Loss();
  const sce = loss instanceof gluon.loss.SoftmaxCrossEntropyLoss && (loss as { sparseLabel: boolean }).sparseLabel;
  if (options.labels !== undefined) checkLabels(options);
  const label: InputSpec = options.labels ?? { dtype: 'float32', shape: sce ? outShape.slice(0, -1) : [...outShape] };
  return { loss: loss as HybridBlock, label };
}

/** Refuses a `labels` export that is not `{ shape: [dims], dtype? }` (a string shape would be spread into letters). */
function checkLabels(options: TrainArtifactOptions): void {
  const l = options.labels as { shape?: unknown; dtype?: unknown } | null;
  const fail = (what: string) => new UserError(`${options.where}: 'labels' export ${what}; e.g. export const labels = { shape: ['N'], dtype: 'float32' }`);
  if (!l || typeof l !== 'object' || Array.isArray(l)) throw fail(`must be an object, got ${JSON.stringify(l)}`);
  const dimOk = (d: unknown) => (typeof d === 'number' && Number.isInteger(d) && d >= 0) || (typeof d === 'string' && d !== '');
  if (!Array.isArray(l.shape) || !l.shape.every(dimOk)) throw fail(`needs a shape: a list of non-negative integers and symbolic names, got ${JSON.stringify(l.shape)}`);
  if (l.dtype !== undefined && !isDType(l.dtype)) throw fail(`has an unknown dtype ${JSON.stringify(l.dtype)} (one of ${DTYPES.join(', ')})`);
}

/**
 * A fresh optimizer from the file's `trainer` export, or SGD with momentum (DEFAULT_TRAINER).
 *
 * ```ts
 * const opt = chooseOptimizer({ inputs, trainer: { optimizer: 'adam', learningRate: 0.001 }, where: 'model.ts' });
 * ```
 */
export function chooseOptimizer(options: TrainArtifactOptions): optimizers.Optimizer {
  const t: unknown = options.trainer === undefined ? DEFAULT_TRAINER : options.trainer;
  const bad = (what: string) =>
    new UserError(`${options.where}: 'trainer' export: ${what}; export an optimizer name or its options, e.g. export const trainer = { optimizer: 'adam', learningRate: 0.001 } (optimizers: ${optimizers.names().join(', ')})`);
  // A name alone is that optimizer with its defaults, as gluon.Trainer(params, 'adam').
  if (typeof t === 'string') {
    if (!t) throw bad('the optimizer name is empty');
    return createOptimizer(options, t, {});
  }
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw bad(`got ${Array.isArray(t) ? 'a list' : t === null ? 'null' : `a ${typeof t}`}`);
  const spec = { ...(t as Record<string, unknown>) };
  const given = spec['optimizer'];
  if (given !== undefined && (typeof given !== 'string' || given === '')) {
    throw bad(`optimizer must be an optimizer's name, got ${typeof given === 'object' && given ? `an object of class ${given.constructor?.name ?? 'Object'}` : JSON.stringify(given)}`);
  }
  delete spec['optimizer'];
  return createOptimizer(options, (given as string | undefined) ?? 'sgd', spec);
}

function createOptimizer(options: TrainArtifactOptions, name: string, spec: Record<string, unknown>): optimizers.Optimizer {
  try {
    return optimizers.create(name, spec);
  } catch (e) {
    throw new UserError(`${options.where}: 'trainer' export: ${(e as Error).message}`);
  }
}

/**
 * Builds the training artifact of `block` (initialized) with the model file's loss and optimizer.
 *
 * ```ts
 * const { bytes, manifest } = trainingArtifact(net, { inputs: { x: { shape: ['N', 784] } }, where: 'models/mlp.ts' });
 * ```
 */
export function trainingArtifact(block: HybridBlock, options: TrainArtifactOptions): TrainArtifact {
  const optimizer = chooseOptimizer(options);
  const lossOutput = options.lossOutput;
  if (lossOutput !== undefined && typeof lossOutput !== 'string' && typeof lossOutput !== 'number') {
    throw new UserError(`${options.where}: ${options.lossOutputFrom ?? "'lossOutput' export"} must be an output's index or name (e.g. 'output1' or 1), got ${JSON.stringify(lossOutput)}`);
  }
  return asUserError(options.where, () => {
    try {
      return exportTrainingStep(block, {
        inputs: options.inputs,
        loss: (outShape) => chooseLoss(options, outShape),
        ...(lossOutput === undefined ? {} : { lossOutput }),
        optimizer,
        opset: options.opset,
        optLevel: options.optLevel,
        report: options.report,
        ...(options.source === undefined ? {} : { source: options.source }),
      });
    } catch (e) {
      // The API names its option; name what the user wrote instead.
      const m = (e as Error).message;
      if (m.startsWith('lossOutput ')) throw new UserError(`${options.where}: ${options.lossOutputFrom ?? "'lossOutput' export"} ${m.slice('lossOutput '.length)}`);
      throw e;
    }
  });
}
