/**
 * Deferred eager operators. Under `autograd.record`, an operator whose
 * inputs need gradients (so it goes on the tape) does not run at once: its
 * outputs are pending arrays owned by a `LazyOp`. Reading one runs it (and
 * the pending operators it reads from, in order, iteratively); a compiled
 * backward (tape-graph.ts) instead computes the pending forward values
 * inside its own graph and fills them from its outputs, so a repeated
 * training step runs its forward, backward and update as one session run.
 * Operators that draw random numbers or update state (BatchNorm's moving
 * statistics) never wait.
 * Invariant: a pending array gets exactly the values running its operator
 * at once would have given (the same definition, normalized attributes and
 * inputs), up to float rounding when a compiled graph computes it, or the
 * error it would have given: it runs in the scopes of its call (the block,
 * an imported ONNX node), and a failed one throws that error at every read
 * of its outputs (the tape's backward through it reads them first), never
 * at an in-place write elsewhere (`flushPendingOps`). Arrays
 * are replaced, not written, except by the few in-place writes of the
 * framework (gradient buffers, zeroGrad, moving statistics, a parameter's
 * setData and optimizer updates), which call `flushPendingOps()` first.
 * The pending operators are held strongly (`live`) until they run or a
 * compiled graph fills them (`settle`), not through WeakRefs: V8 keeps a
 * WeakRef's target alive until the current job ends, so in a synchronous
 * training loop (one job for the whole loop) every step's operators and
 * their outputs stayed reachable, ~200 MB per 1000 steps of the MNIST MLP.
 * A pending operator nobody reads runs at the next flush; past
 * `MAX_PENDING_OPS` pending operators, all run (memory stays bounded).
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { getContext, withContext } from '../ops/context.js';
import type { OpDef } from '../ops/define.js';
import { namingOnnxNode } from '../ops/errors.js';
import { executeOp } from '../ops/execute.js';
import type { NDArray } from './ndarray.js';

/**
 * One deferred operator call: its definition, inputs, normalized attributes
 * and output types, and the pending arrays it fills.
 *
 * ```ts
 * const op = new LazyOp(def, inputs, prepared);
 * op.outputs = types.map((t) => new NDArray(null, { ...t, force: () => op.force(), owner: op }));
 * ```
 */
export class LazyOp {
  /** The pending outputs (set by the creator right after construction). */
  outputs: NDArray[] = [];
  /** This operator's index in `live`, or -1 once forgotten. */
  slot = -1;
  /** Set when it, or an operator it reads from, failed: every later read throws this error again, and flushes skip it. */
  private failure: { error: unknown } | null = null;

  constructor(
    readonly def: OpDef,
    readonly inputs: NDArray[],
    readonly prepared: { attrs: Attrs; outTypes: TensorType[] },
    /** The scopes of the call (the context's array, not copied): it runs, and fails, as it would have at once. */
    readonly scopes: readonly string[] = getContext().scopes,
  ) {
    if (live.length >= MAX_PENDING_OPS) {
      prune();
      if (live.length >= MAX_PENDING_OPS) flushPendingOps();
    }
    this.slot = live.push(this) - 1;
    held++;
  }

  /** True while an output is still pending and it has not failed. */
  get pending(): boolean {
    return this.failure === null && this.outputs.some((o) => o._pending);
  }

  /** Runs this operator and every pending operator it reads from (in dependency order, without recursion). */
  force(): void {
    const order: LazyOp[] = [];
    const seen = new Set<LazyOp>();
    const stack: [LazyOp, number][] = [[this, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [op, i] = top;
      if (i < op.inputs.length) {
        top[1] = i + 1;
        const owner = pendingOp(op.inputs[i]!);
        if (owner && !seen.has(owner)) {
          seen.add(owner);
          stack.push([owner, 0]);
        }
      } else {
        stack.pop();
        order.push(op);
      }
    }
    try {
      for (const op of order) op.run();
    } catch (e) {
      // It reads what failed (directly or not), so it can never run.
      this.failure ??= { error: e };
      this.forget();
      throw e;
    }
  }

  /** Drops this operator from `live` (its entry becomes null; the list empties once none is held). */
  private forget(): void {
    if (this.slot < 0) return;
    live[this.slot] = null;
    this.slot = -1;
    if (--held === 0) live = [];
  }

  /** Forgets this operator once nothing of it is pending (a compiled graph filled its outputs). */
  settle(): void {
    if (!this.pending) this.forget();
  }

  /**
   * Runs this operator alone (its inputs hold data), in the scopes it was called in: its errors name the block and
   * the imported ONNX node (SymbolBlock's replay) the call was made for, wherever the read happens.
   */
  private run(): void {
    this.forget();
    if (this.failure) throw this.failure.error;
    if (!this.outputs.some((o) => o._pending)) return;
    let hosts: HostTensor[];
    try {
      hosts = this.scopes === getContext().scopes ? this.execute() : withContext({ scopes: this.scopes }, () => this.execute());
    } catch (e) {
      this.failure = { error: namingOnnxNode(e, this.scopes.join('/')) };
      throw this.failure.error;
    }
    this.outputs.forEach((o, k) => {
      if (o._pending) o._host = hosts[k]!;
    });
  }

  /** The operator's outputs from its inputs' data. */
  private execute(): HostTensor[] {
    return executeOp(this.def, this.inputs.map((a) => a._host), this.prepared.attrs, this.prepared);
  }
}

/** Pending operators kept before every one of them runs (see the module comment). Example: `MAX_PENDING_OPS // 65536`. */
export const MAX_PENDING_OPS = 1 << 16;

/**
 * The deferred operators that may still be pending, in creation order (a
 * forgotten one leaves null; the list is replaced once none is held). An
 * array, not a Set: with a Set (an add and a delete per operator) the eager
 * MLP step ran a full mark-compact every ~28 steps (72 per 2000 steps; 2
 * with this list, as hybridized) and dead output buffers outlived minor GCs;
 * measured, the path not proven (V8 links a rehashed table to its successor).
 */
let live: (LazyOp | null)[] = [];
/** How many entries of `live` are operators (the others are null). */
let held = 0;

/** Drops the operators nothing of which is pending any more (an output written in place by `_adopt`). */
function prune(): void {
  const all = live;
  live = [];
  held = 0;
  for (const op of all) {
    if (!op) continue;
    op.slot = -1; // every slot of the old list is stale
    if (op.pending) {
      op.slot = live.push(op) - 1;
      held++;
    }
  }
}

/** How many deferred operators are held as possibly pending (tests). Example: `pendingOpCount() // 0 after a compiled step`. */
export function pendingOpCount(): number {
  return held;
}

/**
 * Runs every pending operator: called before an array is written in place,
 * so nothing pending reads the new values instead of those it was given
 * (one that fails keeps its error for the reads of its outputs).
 *
 * ```ts
 * flushPendingOps();
 * grad._host.data.fill(0);
 * ```
 */
export function flushPendingOps(): void {
  if (held === 0) return;
  const all = live;
  live = [];
  held = 0;
  // Every slot of the old list is stale before any operator runs (running one forgets the ones it reads from).
  for (const op of all) if (op) op.slot = -1;
  for (const op of all) {
    if (!op?.pending) continue;
    try {
      op.force();
    } catch {
      // A failed operator has no values to keep: it keeps its error, thrown wherever its outputs are read (a read, the
      // tape's backward through it, a compiled backward computing it), not at an in-place write elsewhere.
    }
  }
}

/** The deferred operator computing `x`, when `x` is pending on one. Example: `pendingOp(y)?.def.name`. */
export function pendingOp(x: NDArray): LazyOp | null {
  if (!x._pending) return null;
  const owner = x._lazy?.owner;
  return owner instanceof LazyOp ? owner : null;
}
