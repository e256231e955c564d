/**
 * Training mode as operators see it: the `training` field of the one
 * context (compiler/ops/context.ts). Dropout and BatchNorm read it when
 * called without an explicit `training` option; autograd sets it inside
 * `record(..., { trainMode })`. The resulting attribute is part of every
 * cache key, so a hybridized block compiles once per mode.
 */
import { getContext, updateContext, withContext } from './context.js';

/** True inside a training-mode scope. Example: `isTrainingMode()` is false outside `autograd.record`. */
export function isTrainingMode(): boolean {
  return getContext().training;
}

/** Runs `fn` with training mode set to `on`, restoring the previous mode afterwards. Example: `withTrainingMode(true, () => net.call(x))`. */
export function withTrainingMode<R>(on: boolean, fn: () => R): R {
  return withContext({ training: on }, fn);
}

/** Sets training mode (returns the previous one). Example: `const old = setTrainingMode(true)`. */
export function setTrainingMode(on: boolean): boolean {
  return updateContext({ training: on }).training;
}
