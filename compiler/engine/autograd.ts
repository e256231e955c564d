/**
 * Autograd as users call it (`autograd.record`, `pause`, `grad`, training
 * mode): the recording and training fields of the one context
 * (compiler/ops/context.ts) and the tape's backpropagation
 * (compiler/engine/tape.ts), which `NDArray.backward` calls directly.
 */
import { getContext } from '../ops/context.js';
import { withTrainingMode } from '../ops/mode.js';
import { TAPE_OPS, type NDArray } from './ndarray.js';
import { ones } from './nd.js';
import { backprop, backwardHeads, recording } from './tape.js';
import { checkOptions } from '../../runtime/check-options.js';

export { isRecording, recordEntry, requiresGrad } from './tape.js';

/** True inside a training-mode scope. Example: `autograd.record(() => autograd.isTraining())` is true. */
export function isTraining(): boolean {
  return getContext().training;
}

/** The option keys of `record` and `pause` (a constant: checked on every training step). */
const RECORD_KEYS = ['trainMode'];

/**
 * Records the operations `fn` runs so `backward` can differentiate them;
 * training mode is on unless `trainMode: false`. Returns what `fn` returns.
 *
 * ```ts
 * const loss = autograd.record(() => l2.call(net.call(x), y));
 * loss.backward();
 * ```
 */
export function record<R>(fn: () => R, options: { trainMode?: boolean } = {}): R {
  checkOptions('autograd.record', options, RECORD_KEYS);
  return recording(true, options.trainMode ?? true, fn);
}

/** Runs `fn` without recording (training mode as given, default prediction). Example: `autograd.pause(() => net.call(x))`. */
export function pause<R>(fn: () => R, options: { trainMode?: boolean } = {}): R {
  checkOptions('autograd.pause', options, RECORD_KEYS);
  return recording(false, options.trainMode ?? false, fn);
}

/** Runs `fn` in training mode (Dropout active, BatchNorm on batch statistics). Example: `autograd.trainMode(() => net.call(x))`. */
export function trainMode<R>(fn: () => R): R {
  return withTrainingMode(true, fn);
}

/** Runs `fn` in prediction mode. Example: `autograd.predictMode(() => net.call(x))`. */
export function predictMode<R>(fn: () => R): R {
  return withTrainingMode(false, fn);
}

/**
 * Backpropagates from several heads at once into the gradient buffers (MXNet's
 * `autograd.backward`): the gradient of their sum, each weighted by its head
 * gradient (default ones), so heads sharing recorded operators need no
 * `retainGraph`; the graph is freed unless `retainGraph`.
 *
 * ```ts
 * autograd.backward([loss1, loss2]);
 * ```
 */
export function backward(heads: NDArray | NDArray[], headGrads: (NDArray | undefined)[] = [], options: { retainGraph?: boolean } = {}): void {
  checkOptions('autograd.backward', options, ['retainGraph']);
  const hs = Array.isArray(heads) ? heads : [heads];
  if (hs.length === 1) return hs[0]!.backward(headGrads[0], options);
  // A head pending in a fused step runs its calls now, taped (the program differentiates one head).
  for (const h of hs) void h._host;
  backwardHeads(hs, headGrads, TAPE_OPS, options.retainGraph ?? false);
}

/**
 * The gradients of `heads` with respect to `variables`, returned instead of
 * stored; with `createGraph` the result is itself recorded (second order).
 * The graph is freed unless `retainGraph` (default: `createGraph`, as MXNet's).
 *
 * ```ts
 * const [dx] = autograd.grad([y], [x], { createGraph: true });
 * ```
 */
export function grad(
  heads: NDArray | NDArray[],
  variables: NDArray[],
  options: { headGrads?: (NDArray | undefined)[]; createGraph?: boolean; retainGraph?: boolean } = {},
): NDArray[] {
  checkOptions('autograd.grad', options, ['headGrads', 'createGraph', 'retainGraph']);
  const hs = Array.isArray(heads) ? heads : [heads];
  const createGraph = options.createGraph ?? false;
  const grads = backprop(hs, options.headGrads ?? [], createGraph, TAPE_OPS, options.retainGraph ?? createGraph);
  return variables.map((v) => grads.get(v) ?? ones(v.shape, { dtype: v.dtype }).mul(0));
}
