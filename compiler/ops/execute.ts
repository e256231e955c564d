/**
 * Running one operator on host tensors, now and synchronously: the eager
 * path of `nd` and constant folding while tracing and in the passes. Small
 * tensors go to the operator's TypeScript kernel when it has one (measured
 * faster below a few thousand elements); everything else goes to the
 * session executor — a one-node ONNX graph run by onnxruntime
 * (compiler/eager/one-node.ts, above the ONNX layer), which the package entry
 * points register explicitly with `setSessionExecutor`. Without one (a
 * program that imports only the compiler core), kernels run at every size
 * and an operator without a kernel says so.
 * Invariant: both paths take the type rule's output types.
 */
import { count } from '../../runtime/profiler.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import type { OpDef } from './define.js';
import { OpError } from './errors.js';
import { inferOp } from './infer.js';

/** A result computed at compile time (while tracing, or by the passes) may exceed the elements of its inputs only up to this size. */
export const FOLD_MAX_GROWTH = 1024;

/**
 * True when folding a node into a constant keeps the graph small: its result
 * has at most `FOLD_MAX_GROWTH` elements, or no more than its inputs hold
 * (a broadcast or a fill of a scalar stays an operator: no megabytes of
 * initializers in an artifact). Example: `foldKeepsSize(1, 1e6)` is false.
 */
export function foldKeepsSize(inElems: number, outElems: number): boolean {
  return outElems <= FOLD_MAX_GROWTH || outElems <= inElems;
}

/** Inputs up to this many elements run on the TypeScript kernel when the operator has one. */
export const KERNEL_MAX_ELEMENTS = 2048;

let kernelMax = KERNEL_MAX_ELEMENTS;

/** Sets the kernel/session crossover (tests force one path with 0 or Infinity); returns the old value. Example: `setKernelThreshold(0)`. */
export function setKernelThreshold(n: number): number {
  const old = kernelMax;
  kernelMax = n;
  return old;
}

/** Runs an operator as a session (compiler/eager/one-node.ts): normalized attributes, input types. */
export type SessionExecutor = (def: OpDef, inputs: HostTensor[], types: TensorType[], attrs: Attrs) => HostTensor[];

let sessionExecutor: SessionExecutor | null = null;

/**
 * Registers the session path of `executeOp` (null: kernels only); returns the
 * previous one. The package entry points call it with `runOneNode`.
 *
 * ```ts
 * setSessionExecutor(runOneNode);
 * ```
 */
export function setSessionExecutor(fn: SessionExecutor | null): SessionExecutor | null {
  const old = sessionExecutor;
  sessionExecutor = fn;
  return old;
}

/**
 * Runs `def` on host tensors.
 *
 * ```ts
 * const [y] = executeOp(getOp('add'), [a, b], {});
 * ```
 */
export function executeOp(def: OpDef, inputs: HostTensor[], attrs: Attrs, prepared?: { attrs: Attrs; outTypes: TensorType[] }): HostTensor[] {
  const types = inputs.map((t) => ({ dtype: t.dtype, shape: t.shape }));
  const { attrs: a, outTypes } = prepared ?? inferOp(def, types, attrs);
  count('eagerOps');
  // Random operators always draw from the seeded stream through their kernel, so `random.seed` repeats them.
  if (def.kernel && (def.random || def.hostOnly || def.eagerKernel || !sessionExecutor || (useKernel(inputs, outTypes) && (def.kernelTakes?.(inputs) ?? true)))) {
    count('kernelOps');
    const outs = def.kernel(inputs, a as never, outTypes);
    // Kernels compute in float64: an int64 (uint64) result past 2^53 may be inexact, so the session (exact) computes it.
    if (def.random || def.hostOnly || def.eagerKernel || !sessionExecutor || !outs.some(beyondFloat64)) return outs;
  }
  if (!sessionExecutor) {
    throw new OpError(def.name, 'has no TypeScript kernel and no session executor is registered (import the package entry point, or setSessionExecutor(runOneNode))', types);
  }
  return sessionExecutor(def, inputs, types, a);
}

/** An int64 or uint64 tensor holding a value float64 cannot hold exactly (|v| > 2^53). */
function beyondFloat64(t: HostTensor): boolean {
  if (t.dtype !== 'int64' && t.dtype !== 'uint64') return false;
  const d = t.data as BigInt64Array;
  for (let i = 0; i < d.length; i++) if (d[i]! > SAFE || d[i]! < -SAFE) return true;
  return false;
}
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function useKernel(inputs: HostTensor[], outTypes: TensorType[]): boolean {
  if (inputs.some(beyondFloat64)) return false;
  let n = 0;
  for (const t of inputs) n = Math.max(n, t.data.length);
  for (const t of outTypes) n = Math.max(n, sizeOf(t.shape as number[]));
  return n <= kernelMax;
}
