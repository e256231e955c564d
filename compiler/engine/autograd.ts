/**
 * Autograd: the eager tape. Inside `record`, every operator whose inputs
 * need gradients appends an entry (its inputs, outputs, attributes); a
 * hybridized block appends one entry whose backward is its compiled
 * gradient graph. `backward` walks the entries in reverse creation order
 * (a reverse topological order) and evaluates each operator's gradient rule
 * with F = nd. Parameters receive their gradients according to `gradReq`.
 * Invariant: entries only reference arrays reachable from the head, so a
 * dropped graph is garbage.
 */
import { isFloat } from '../../runtime/dtypes.js';
import type { GradCtx, OpDef } from '../ops/define.js';
import { isTrainingMode, setTrainingMode, withTrainingMode } from '../ops/mode.js';
import type { Attrs } from '../ir/node.js';
import { ops as ndOps, ones } from './nd.js';
import { NDArray, setBackward, setEagerHook, type TapeEntry } from './ndarray.js';
import { deferBackward } from './program.js';

let recording = false;
let nextId = 0;

/** True inside `record` (and not inside `pause`). */
export function isRecording(): boolean {
  return recording;
}

/** True inside a training-mode scope. */
export function isTraining(): boolean {
  return isTrainingMode();
}

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
  const was = recording;
  const oldMode = setTrainingMode(options.trainMode ?? true);
  recording = true;
  try {
    return fn();
  } finally {
    recording = was;
    setTrainingMode(oldMode);
  }
}

/** Runs `fn` without recording (training mode as given, default prediction). */
export function pause<R>(fn: () => R, options: { trainMode?: boolean } = {}): R {
  const was = recording;
  const oldMode = setTrainingMode(options.trainMode ?? false);
  recording = false;
  try {
    return fn();
  } finally {
    recording = was;
    setTrainingMode(oldMode);
  }
}

/** Runs `fn` in training mode (Dropout active, BatchNorm on batch statistics). */
export function trainMode<R>(fn: () => R): R {
  return withTrainingMode(true, fn);
}

/** Runs `fn` in prediction mode. */
export function predictMode<R>(fn: () => R): R {
  return withTrainingMode(false, fn);
}

/** True when gradients must flow through `x`. */
export function requiresGrad(x: NDArray): boolean {
  return x._entry !== null || (x._gradReq !== 'null' && x._grad !== null) || (x._param !== null && x._param.gradReq !== 'null');
}

/** Appends an entry to the tape (used by hybridized blocks for their compiled backward). */
export function recordEntry(inputs: NDArray[], outputs: NDArray[], backward: TapeEntry['backward']): void {
  const entry: TapeEntry = { id: nextId++, inputs, outputs, backward };
  for (const o of outputs) o._entry = entry;
}

setEagerHook((def: OpDef, inputs: NDArray[], attrs: Attrs, outputs: NDArray[]) => {
  if (!recording || !inputs.some(requiresGrad)) return;
  recordEntry(inputs, outputs, (gOuts) => {
    if (typeof def.grad !== 'function') {
      const why = def.noGradReason ? `: ${def.noGradReason}` : '';
      throw new Error(`${def.name}: has no gradient rule, so it cannot be differentiated${why}`);
    }
    const ctx: GradCtx = {
      inputs,
      outputs,
      attrs,
      inTypes: inputs.map((x) => ({ dtype: x.dtype, shape: x.shape })),
      outTypes: outputs.map((x) => ({ dtype: x.dtype, shape: x.shape })),
      constant: (data) => new NDArray(data),
    };
    // F = nd: the rule returns the NDArrays its operators made.
    return def.grad(ndOps, ctx, gOuts) as (NDArray | null)[];
  });
});

/** Gradients of `heads` (weighted by `headGrads`) for every array on the recorded paths. */
function backprop(heads: NDArray[], headGrads: (NDArray | undefined)[], createGraph: boolean): Map<NDArray, NDArray> {
  const grads = new Map<NDArray, NDArray>();
  const add = (x: NDArray, g: NDArray): void => {
    const old = grads.get(x);
    grads.set(x, old ? ndOps.add(old, g) : g);
  };
  // Entries reachable from the heads.
  const entries = new Map<number, TapeEntry>();
  const stack = heads.map((h) => h._entry).filter((e): e is TapeEntry => e !== null);
  while (stack.length) {
    const e = stack.pop()!;
    if (entries.has(e.id)) continue;
    entries.set(e.id, e);
    for (const x of e.inputs) if (x._entry && !entries.has(x._entry.id)) stack.push(x._entry);
  }
  heads.forEach((h, i) => {
    const g = headGrads[i] ?? ones(h.shape, { dtype: h.dtype });
    if (g.shape.join() !== h.shape.join()) {
      throw new Error(`backward: head gradient of shape [${g.shape}] for a head of shape [${h.shape}]`);
    }
    add(h, g);
  });
  const order = [...entries.values()].sort((a, b) => b.id - a.id);
  const run = (): void => {
    for (const e of order) {
      const gOuts = e.outputs.map((o) => grads.get(o) ?? null);
      if (gOuts.every((g) => g === null)) continue;
      const gIns = e.backward(gOuts);
      e.inputs.forEach((x, i) => {
        const g = gIns[i];
        if (g && isFloat(x.dtype) && requiresGrad(x)) add(x, g);
      });
    }
  };
  if (createGraph) record(run, { trainMode: isTrainingMode() });
  else pause(run, { trainMode: isTrainingMode() });
  return grads;
}

/** Writes a gradient into a leaf's or parameter's buffer according to its gradReq. */
function store(x: NDArray, g: NDArray): void {
  const target = x._param ? (x._param.gradReq === 'null' ? null : x._param.grad()) : x._gradReq !== 'null' ? x._grad : null;
  const req = x._param ? x._param.gradReq : x._gradReq;
  if (!target) return;
  const src = g._host.data;
  const dst = target._host.data as Float32Array;
  if (req === 'add') for (let i = 0; i < dst.length; i++) dst[i]! += (src as Float32Array)[i]!;
  else dst.set(src as Float32Array);
}

setBackward((head, headGrad, options) => {
  // A pending head (the fused step): the program computes the gradients when it runs.
  if (deferBackward(head, headGrad)) return;
  const grads = backprop([head], [headGrad], false);
  for (const [x, g] of grads) if (x._entry === null && x !== head || x._param || (x._grad && x._entry === null)) store(x, g);
  void options;
});

/**
 * The gradients of `heads` with respect to `variables`, returned instead of
 * stored; with `createGraph` the result is itself recorded (second order).
 *
 * ```ts
 * const [dx] = autograd.grad([y], [x], { createGraph: true });
 * ```
 */
export function grad(
  heads: NDArray | NDArray[],
  variables: NDArray[],
  options: { headGrads?: (NDArray | undefined)[]; createGraph?: boolean } = {},
): NDArray[] {
  const hs = Array.isArray(heads) ? heads : [heads];
  const grads = backprop(hs, options.headGrads ?? [], options.createGraph ?? false);
  return variables.map((v) => grads.get(v) ?? ones(v.shape, { dtype: v.dtype }).mul(0));
}
