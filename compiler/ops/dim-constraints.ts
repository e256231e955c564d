/**
 * What a type rule needs of a size it cannot always check while tracing: a
 * pooling kernel no larger than the padded input, a split that divides its
 * axis. `requireDim` checks a fixed size at once (an OpError, the rule's
 * own message); a symbolic one (`H`, `(floor((H-5)/5)+1)`) only the run's
 * sizes can check, so it is recorded as a constraint (runtime/dim-expr.ts)
 * while a collection runs (`collectDimConstraints`, over an artifact's final
 * graph: compiler/ops/graph-constraints.ts), and the artifact's manifest
 * carries it to `loadModel`, which refuses feeds that fail it before the
 * run (a FeedError; `serve` answers 400). Outside a collection a symbolic
 * size passes, as it always did: tracing goes on.
 * Invariant: a rule states each need once, through `requireDim`; the fixed
 * and the symbolic case cannot drift apart.
 */
import { dimHolds, type DimCmp, type DimConstraint } from '../../runtime/dim-expr.js';
import { splitScope } from '../../runtime/run-error.js';
import type { Dim, TensorType } from '../ir/types.js';
import { getContext, withContext } from './context.js';
import { currentScope, OpError } from './errors.js';

/** One need of a type rule (see `requireDim`). */
export interface DimNeed {
  /** The operator, as its OpError names it. */
  op: string;
  /** How a constraint's message names it (default `op`). Example: `'Pooling (max)'`. */
  label?: string;
  /** The size: a number (checked now) or a symbolic dimension. */
  dim: Dim;
  cmp: DimCmp;
  value: number;
  /** Why, for the constraint's message. Example: `'kernel [5, 5] along spatial axis 0, pad [0, 0]'`. */
  why: string;
  /** The OpError message for a fixed size that fails. */
  fail: (size: number) => string;
  types?: TensorType[];
}

/**
 * Checks `need.dim` against `need.cmp need.value`: a fixed size that fails
 * is an OpError; a symbolic one is recorded when a collection runs.
 *
 * ```ts
 * requireDim({ op: 'Pooling', dim: 'H', cmp: '>=', value: 5, why: 'kernel [5, 5] along spatial axis 0', fail: (d) => `kernel 5 is larger than ${d}`, types });
 * ```
 */
export function requireDim(need: DimNeed): void {
  record(need, getContext().dimConstraints);
}

/**
 * `requireDim` for a need no type rule of the final graph can state, checked
 * while a block is traced: a slice up to another tensor's size taken as
 * rows of an arange (the rows must exist), a layer's `maxLen`. A symbolic
 * size is recorded when `collectTraceConstraints` runs (export), and the
 * artifact refuses a run whose sizes fail it, as the eager call does.
 *
 * ```ts
 * requireDimAtTrace({ op: 'PositionalEncoding', dim: 'T', cmp: '<=', value: 1000, why: 'maxLen = 1000', fail: (d) => `${d} positions` });
 * ```
 */
export function requireDimAtTrace(need: DimNeed): void {
  record(need, getContext().traceConstraints);
}

function record(need: DimNeed, sink: DimConstraint[] | null): void {
  if (typeof need.dim === 'number') {
    if (!dimHolds(need.dim, need.cmp, need.value)) throw new OpError(need.op, need.fail(need.dim), need.types);
    return;
  }
  if (!sink) return;
  const { block, onnx } = splitScope(currentScope());
  const wants = need.cmp === 'multipleOf' ? `to be a multiple of ${need.value}` : `${need.cmp} ${need.value}`;
  sink.push({ dim: need.dim, cmp: need.cmp, value: need.value, message: `${onnx ? `${onnx}: ` : ''}${need.label ?? need.op}${block ? ` in block '${block}'` : ''} needs ${need.dim} ${wants}: ${need.why}` });
}

/**
 * Runs `fn` recording the symbolic needs of the type rules it applies; returns them in order.
 *
 * ```ts
 * const needs = collectDimConstraints(() => inferOp(getOp('Pooling'), types, attrs));
 * ```
 */
export function collectDimConstraints(fn: () => void): DimConstraint[] {
  const sink: DimConstraint[] = [];
  withContext({ dimConstraints: sink }, fn);
  return sink;
}

/**
 * Runs `fn` (a trace) recording what `requireDimAtTrace` needs; returns its result and them.
 *
 * ```ts
 * const [traced, needs] = collectTraceConstraints(() => block.trace(inputTypes));
 * ```
 */
export function collectTraceConstraints<R>(fn: () => R): [R, DimConstraint[]] {
  const sink: DimConstraint[] = [];
  const r = withContext({ traceConstraints: sink }, fn);
  return [r, sink];
}
