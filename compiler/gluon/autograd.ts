/**
 * Training and prediction modes (`autograd.isTraining()`), read by Dropout
 * and BatchNorm and part of every compiled signature. Recording and
 * gradients come with the autograd tape.
 */
import { isTrainingMode, withTrainingMode } from '../ops/mode.js';

/** True inside a training-mode scope. */
export function isTraining(): boolean {
  return isTrainingMode();
}

/**
 * Runs `fn` in training mode (Dropout active, BatchNorm on batch statistics).
 *
 * ```ts
 * autograd.trainMode(() => net.call(x));
 * ```
 */
export function trainMode<R>(fn: () => R): R {
  return withTrainingMode(true, fn);
}

/** Runs `fn` in prediction mode. */
export function predictMode<R>(fn: () => R): R {
  return withTrainingMode(false, fn);
}
