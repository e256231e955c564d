/**
 * MXNet's estimator `CheckpointHandler` (event_handler.py): saves the net's
 * parameters (`net.saveParameters`) and the trainer's states
 * (`trainer.saveStates`) as `<modelPrefix>-epoch<E>batch<B>.params` /
 * `.states` in `modelDir` every `epochPeriod` epochs and `batchPeriod`
 * batches, keeps the last `maxCheckpoints`, saves `<modelPrefix>-best` when
 * `monitor` improves (`saveBest`), and resumes from the latest checkpoint.
 * Invariants: file names and numbering are MXNet's (epoch numbers from 0;
 * B is the batch count at an epoch's end, the batch's index at a batch's).
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalMetric } from '../metric/index.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { percentF } from '../module/callback.js';
import { EventHandler, monitorMode, monitorOption, periodOption, type BatchEnd, type EpochEnd, type EstimatorRef, type TrainBegin } from './event-handler.js';

/** CheckpointHandler's options (MXNet's keyword arguments). */
export interface CheckpointOptions {
  modelDir: string;
  modelPrefix?: string;
  monitor?: EvalMetric | null;
  verbose?: number;
  saveBest?: boolean;
  mode?: 'auto' | 'min' | 'max';
  epochPeriod?: number | null;
  batchPeriod?: number | null;
  maxCheckpoints?: number;
  resumeFromCheckpoint?: boolean;
}
const CHECKPOINT_ARGS = ['modelDir', 'modelPrefix?', 'monitor?', 'verbose?', 'saveBest?', 'mode?', 'epochPeriod?', 'batchPeriod?', 'maxCheckpoints?', 'resumeFromCheckpoint?'] as const;
const OWNER = 'CheckpointHandler';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Saves checkpoints during `fit` (see the module). With
 * `resumeFromCheckpoint`, train begin loads the latest
 * `<prefix>-epoch<E>batch<B>` files and shortens `fit`'s epochs (or
 * batches) by what they had trained; only the period of the same kind may
 * be set (`epochPeriod` for epochs, `batchPeriod` with `epochPeriod: null`
 * for batches).
 *
 * ```ts
 * new estimator.CheckpointHandler('ckpt', { modelPrefix: 'mlp', monitor: est.valMetrics[0], saveBest: true, maxCheckpoints: 3 });
 * // ckpt/mlp-epoch0batch4.params, ckpt/mlp-epoch0batch4.states, ckpt/mlp-best.params, ckpt/mlp-best.states, ...
 * ```
 */
export class CheckpointHandler extends EventHandler implements TrainBegin, BatchEnd, EpochEnd {
  readonly modelDir: string;
  readonly modelPrefix: string;
  readonly monitor: EvalMetric | null;
  readonly verbose: number;
  readonly saveBest: boolean;
  readonly mode: 'min' | 'max';
  readonly epochPeriod: number | null;
  readonly batchPeriod: number | null;
  readonly maxCheckpoints: number;
  readonly resumeFromCheckpoint: boolean;
  currentBatch = 0;
  currentEpoch = 0;
  best = NaN;
  trainedEpoch = -1;
  trainedBatch = -1;
  /** The prefixes of the checkpoints kept, oldest first. */
  readonly savedCheckpoints: string[] = [];

  constructor(...args: OptionArgs<CheckpointOptions, typeof CHECKPOINT_ARGS>) {
    super();
    const o = bindOptions<CheckpointOptions>(OWNER, CHECKPOINT_ARGS, args, []);
    if (typeof o.modelDir !== 'string' || o.modelDir === '') throw new Error(`${OWNER}: modelDir must be a directory path, got ${showValue(o.modelDir)}`);
    const prefix = o.modelPrefix ?? 'model';
    if (typeof prefix !== 'string' || prefix === '' || /[/\\]/.test(prefix)) throw new Error(`${OWNER}: modelPrefix must be a file name prefix without '/', got ${showValue(prefix)}`);
    for (const k of ['saveBest', 'resumeFromCheckpoint'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new Error(`${OWNER}: ${k} must be true or false, got ${showValue(o[k])}`);
    }
    const verbose = o.verbose ?? 0;
    if (typeof verbose !== 'number' || !Number.isInteger(verbose)) throw new Error(`${OWNER}: verbose must be an integer, got ${showValue(verbose)}`);
    const maxCheckpoints = o.maxCheckpoints ?? 5;
    if (!Number.isInteger(maxCheckpoints) || maxCheckpoints < 0) throw new Error(`${OWNER}: maxCheckpoints must be a non-negative integer, got ${showValue(maxCheckpoints)}`);
    this.saveBest = o.saveBest ?? false;
    this.monitor = monitorOption(OWNER, o.monitor, false);
    if (this.saveBest && !this.monitor) throw new Error(`${OWNER}: saveBest needs a monitor, one of the metric objects of estimator.trainMetrics and estimator.valMetrics`);
    this.mode = this.monitor ? monitorMode(OWNER, o.mode ?? 'auto', this.monitor) : 'min';
    this.modelDir = o.modelDir;
    this.modelPrefix = prefix;
    this.verbose = verbose;
    this.epochPeriod = periodOption(OWNER, 'epochPeriod', o.epochPeriod, 1);
    this.batchPeriod = periodOption(OWNER, 'batchPeriod', o.batchPeriod, null);
    this.maxCheckpoints = maxCheckpoints;
    this.resumeFromCheckpoint = o.resumeFromCheckpoint ?? false;
    mkdirSync(this.modelDir, { recursive: true });
  }

  trainBegin(estimator: EstimatorRef): void {
    this.currentEpoch = 0;
    this.currentBatch = 0;
    if (this.saveBest) this.best = this.mode === 'min' ? Infinity : -Infinity;
    if (this.resumeFromCheckpoint) {
      const bad = estimator.maxBatch ? !this.batchPeriod || this.epochPeriod : !this.epochPeriod || this.batchPeriod;
      if (bad) {
        throw new Error(
          `${OWNER}: to resume from a checkpoint, save only by the kind of period you train by: training by ${estimator.maxBatch ? 'batches, set batchPeriod and epochPeriod: null' : 'epochs, set epochPeriod and leave batchPeriod unset'} (got epochPeriod ${showValue(this.epochPeriod)}, batchPeriod ${showValue(this.batchPeriod)})`,
        );
      }
      this.resume(estimator);
    }
  }

  batchEnd(estimator: EstimatorRef): void {
    if (this.batchPeriod && (this.currentBatch + 1) % this.batchPeriod === 0) this.saveCheckpoint(estimator);
    this.currentBatch += 1;
  }

  epochEnd(estimator: EstimatorRef): void {
    if (this.epochPeriod && (this.currentEpoch + 1) % this.epochPeriod === 0) this.saveCheckpoint(estimator);
    this.currentEpoch += 1;
  }

  private saveCheckpoint(estimator: EstimatorRef): void {
    let epoch = this.currentEpoch;
    let batch = this.currentBatch;
    if (this.resumeFromCheckpoint) {
      // Numbered on from the checkpoint resumed (an epoch-end save has counted its batch already).
      epoch = this.currentEpoch + this.trainedEpoch + 1;
      batch = estimator.maxEpoch ? this.currentBatch + this.trainedBatch : this.currentBatch + this.trainedBatch + 1;
    }
    const prefix = `${this.modelPrefix}-epoch${epoch}batch${batch}`;
    this.saveParamsAndTrainer(estimator, prefix);
    if (this.verbose > 0) {
      estimator.logger.info(`[Epoch ${this.currentEpoch}] CheckpointHandler: trained total ${this.currentBatch + 1} batches, saving model at ${this.modelDir} with prefix: ${prefix}`);
    }
    if (!this.saveBest || !this.monitor) return;
    const [name, value] = this.monitor.get() as [string, number];
    if (Number.isNaN(value)) {
      process.emitWarning(`CheckpointHandler: skipping save best because ${name} is not updated; make sure you pass one of the metric objects estimator.trainMetrics and estimator.valMetrics as monitor`, 'GluoncWarning');
    } else if (this.mode === 'min' ? value < this.best : value > this.best) {
      const before = this.best;
      this.saveParamsAndTrainer(estimator, `${this.modelPrefix}-best`);
      this.best = value;
      if (this.verbose > 0) {
        estimator.logger.info(`[Epoch ${this.currentEpoch}] CheckpointHandler: ${name} improved from ${percentF(before, 5)} to ${percentF(value, 5)}, updating best model at ${this.modelDir} with prefix: ${this.modelPrefix}-best`);
      }
    } else if (this.verbose > 0) {
      estimator.logger.info(`[Epoch ${this.currentEpoch}] CheckpointHandler: ${name} did not improve from ${percentF(this.best, 5)}, skipping updating best model`);
    }
  }

  private saveParamsAndTrainer(estimator: EstimatorRef, filePrefix: string): void {
    estimator.net.saveParameters(join(this.modelDir, `${filePrefix}.params`));
    estimator.trainer.saveStates(join(this.modelDir, `${filePrefix}.states`));
    if (filePrefix === `${this.modelPrefix}-best`) return;
    this.savedCheckpoints.push(filePrefix);
    while (this.savedCheckpoints.length > this.maxCheckpoints) {
      const old = this.savedCheckpoints.shift()!;
      for (const ext of ['.params', '.states']) rmSync(join(this.modelDir, old + ext), { force: true });
    }
  }

  /** The checkpoints in modelDir, as [epoch, batch] pairs, oldest first. */
  private existing(): [number, number][] {
    const re = new RegExp(`^${escape(this.modelPrefix)}-epoch(\\d+)batch(\\d+)\\.params$`);
    const found: [number, number][] = [];
    for (const f of readdirSync(this.modelDir)) {
      const m = re.exec(f);
      if (m) found.push([Number(m[1]), Number(m[2])]);
    }
    return found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  private resume(estimator: EstimatorRef): void {
    const found = this.existing();
    const last = found[found.length - 1];
    if (!last) {
      estimator.logger.info(`CheckpointHandler: No checkpoint found, training from scratch for ${estimator.maxBatch ? `${estimator.maxBatch} batches` : `${estimator.maxEpoch} epochs`}`);
      this.trainedEpoch = -1;
      this.trainedBatch = -1;
      return;
    }
    [this.trainedEpoch, this.trainedBatch] = last;
    for (const [e, b] of found) this.savedCheckpoints.push(`${this.modelPrefix}-epoch${e}batch${b}`);
    let msg = `CheckpointHandler: Checkpoint resumed from epoch ${this.trainedEpoch} batch ${this.trainedBatch}, continue to train for `;
    if (estimator.maxEpoch) {
      if (this.trainedEpoch >= estimator.maxEpoch - 1) {
        throw new Error(`${OWNER}: found a checkpoint of epoch ${this.trainedEpoch}, which reached the ${estimator.maxEpoch} epochs asked for; set resumeFromCheckpoint: false to train from scratch`);
      }
      estimator.maxEpoch = estimator.maxEpoch - this.trainedEpoch - 1;
      msg += `${estimator.maxEpoch} epochs `;
    }
    if (estimator.maxBatch) {
      if (this.trainedBatch >= estimator.maxBatch - 1) {
        throw new Error(`${OWNER}: found a checkpoint of batch ${this.trainedBatch}, which reached the ${estimator.maxBatch} batches asked for; set resumeFromCheckpoint: false to train from scratch`);
      }
      estimator.maxBatch = estimator.maxBatch - this.trainedBatch - 1;
      msg += `${estimator.maxBatch} batches `;
    }
    const base = join(this.modelDir, `${this.modelPrefix}-epoch${this.trainedEpoch}batch${this.trainedBatch}`);
    for (const ext of ['.params', '.states']) {
      if (!existsSync(base + ext)) throw new Error(`${OWNER}: failed to load checkpoint, ${base + ext} does not exist`);
    }
    estimator.net.loadParameters(`${base}.params`);
    estimator.trainer.loadStates(`${base}.states`);
    (estimator.logger.warning ?? estimator.logger.info).call(estimator.logger, msg);
  }
}
