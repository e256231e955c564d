/**
 * Training mode as operators see it. Dropout and BatchNorm read it when
 * called without an explicit `training` option; autograd sets it inside
 * `record(..., { trainMode })`. The resulting attribute is part of every
 * cache key, so a hybridized block compiles once per mode.
 */
let training = false;

/** True inside a training-mode scope. */
export function isTrainingMode(): boolean {
  return training;
}

/** Runs `fn` with training mode set to `on`, restoring the previous mode afterwards. */
export function withTrainingMode<R>(on: boolean, fn: () => R): R {
  const old = training;
  training = on;
  try {
    return fn();
  } finally {
    training = old;
  }
}

/** Sets training mode (returns the previous one). */
export function setTrainingMode(on: boolean): boolean {
  const old = training;
  training = on;
  return old;
}
