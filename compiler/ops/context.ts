/**
 * The one context object: the dynamic state a computation runs under, read
 * by every layer from the operators up, set in one way (`withContext`, or
 * `updateContext` for the settings that outlive a call). It holds:
 *
 * - `recording`: operators append to the autograd tape (inside
 *   `autograd.record`, not inside `pause`);
 * - `training`: Dropout drops and BatchNorm uses batch statistics (operators
 *   read it when called without a `training` option; it is an attribute of
 *   every traced node, hence part of every compile-cache key);
 * - `scopes`: the names of the blocks being called, outermost first (node
 *   scopes and error messages: `in block 'net/0'`);
 * - `trace`: the trace in progress (the engine's parameter symbols and state
 *   updates; compiler/engine/trace-context.ts), or null;
 * - `device`: the device context compiled sessions are created on (the
 *   engine's `cpu()` / `gpu()`; compiler/engine/context.ts);
 * - `pendingStep`: the fused training step being recorded
 *   (compiler/engine/program.ts), or null;
 * - `dimConstraints`: where type rules record what they need of symbolic
 *   sizes (compiler/ops/dim-constraints.ts), or null (not recorded);
 * - `traceConstraints`: where a trace records what it needs of them beyond
 *   the type rules (`requireDimAtTrace`: a layer's maxLen), or null.
 *
 * The engine's fields are opaque here (this layer knows their owners only by
 * the little it reads). Invariant: `withContext` restores the fields it
 * set however `fn` exits, so a throw inside `record` or a trace leaves
 * nothing behind.
 */
import type { DimConstraint } from '../../runtime/dim-expr.js';
import type { Device } from '../../runtime/session.js';

/** A device context as this layer sees it (the engine's `Context`). */
export interface DeviceLike {
  readonly device: Device;
  toString(): string;
}

/** The dynamic state of a computation (see the module comment). */
export interface ExecutionContext {
  readonly recording: boolean;
  readonly training: boolean;
  readonly scopes: readonly string[];
  readonly trace: object | null;
  readonly device: DeviceLike;
  readonly pendingStep: object | null;
  readonly dimConstraints: DimConstraint[] | null;
  readonly traceConstraints: DimConstraint[] | null;
}

const CPU: DeviceLike = { device: 'cpu', toString: () => 'cpu(0)' };

let current: ExecutionContext = { recording: false, training: false, scopes: [], trace: null, device: CPU, pendingStep: null, dimConstraints: null, traceConstraints: null };

/**
 * The context now.
 *
 * ```ts
 * getContext().training; // false outside autograd.record
 * ```
 */
export function getContext(): ExecutionContext {
  return current;
}

/**
 * Runs `fn` with `changes` applied to the context, then restores the
 * fields it changed (however `fn` exits).
 *
 * ```ts
 * withContext({ training: true }, () => net.call(x)); // Dropout active
 * ```
 */
export function withContext<R>(changes: Partial<ExecutionContext>, fn: () => R): R {
  const old = current;
  current = merged(old, changes, changes);
  try {
    return fn();
  } finally {
    // Only the fields this call set are restored: what `fn` updated for good (the pending step) stays.
    current = merged(current, old, changes);
  }
}

/**
 * `base` with the fields named in `which` taken from `from` (one object
 * shape for every context: no object spread on the per-call path).
 */
function merged(base: ExecutionContext, from: Partial<ExecutionContext>, which: Partial<ExecutionContext>): ExecutionContext {
  return {
    recording: which.recording !== undefined ? from.recording! : base.recording,
    training: which.training !== undefined ? from.training! : base.training,
    scopes: which.scopes !== undefined ? from.scopes! : base.scopes,
    trace: which.trace !== undefined ? from.trace! : base.trace,
    device: which.device !== undefined ? from.device! : base.device,
    pendingStep: which.pendingStep !== undefined ? from.pendingStep! : base.pendingStep,
    dimConstraints: which.dimConstraints !== undefined ? from.dimConstraints! : base.dimConstraints,
    traceConstraints: which.traceConstraints !== undefined ? from.traceConstraints! : base.traceConstraints,
  };
}

/**
 * Applies `changes` from now on (the device set by `setContext`, the pending
 * step); returns the previous context.
 *
 * ```ts
 * const old = updateContext({ training: true }); ... updateContext(old);
 * ```
 */
export function updateContext(changes: Partial<ExecutionContext>): ExecutionContext {
  const old = current;
  current = merged(old, changes, changes);
  return old;
}
