/**
 * The state of one trace of a hybrid block tree: which symbol stands for
 * each parameter (so a shared parameter is one graph input), the structural
 * names parameters get in the graph, and the state updates (BatchNorm's
 * running statistics) the traced code asked for.
 */
import { Value } from '../ir/value.js';
import { getContext, withContext } from '../ops/context.js';
import { Symbol } from '../trace/symbol.js';
import type { DType } from '../../runtime/dtypes.js';

/** What a trace needs of a parameter (the front end's Parameter). */
export interface TracedParam {
  readonly dtype: DType;
  readonly shape: number[];
}

/** One trace in progress. */
export interface TraceContext<P extends TracedParam = TracedParam> {
  symbols: Map<P, Symbol>;
  names: Map<P, string>;
  updates: Map<P, Symbol>;
  /** The hybrid block whose `hybridForward` runs now (named in errors; see `inHybridForward`), or null. */
  forward?: string | null;
}

/** The innermost trace, if any (the `trace` field of the one context). Example: `currentTrace()?.updates`. */
export function currentTrace<P extends TracedParam = TracedParam>(): TraceContext<P> | undefined {
  return (getContext().trace as TraceContext<P> | null) ?? undefined;
}

/** Runs `fn` inside a new trace. Example: `withTrace(ctx, () => block._traceCall(vars))`. */
export function withTrace<R, P extends TracedParam>(ctx: TraceContext<P>, fn: () => R): R {
  return withContext({ trace: ctx }, fn);
}

/**
 * Runs `fn` as the `hybridForward` of block `name` (null: an imperative
 * forward, whose array reads are constants of the trace) within the current trace.
 *
 * ```ts
 * inHybridForward('Dense', () => this.hybridForward(F, x, params));
 * ```
 */
export function inHybridForward<R>(name: string | null, fn: () => R): R {
  const ctx = currentTrace();
  if (!ctx) return fn();
  const old = ctx.forward ?? null;
  ctx.forward = name;
  try {
    return fn();
  } finally {
    ctx.forward = old;
  }
}

/**
 * The symbol of a parameter in the current trace (created on first use):
 * once the trace has assigned it a new value (`updates`: BatchNorm's
 * running statistics), that value, as an eager `setData` makes later reads
 * see it (a BatchNorm applied twice updates its statistics twice).
 * Example: `paramSymbol(ctx, p, 'weight')`.
 */
export function paramSymbol<P extends TracedParam>(ctx: TraceContext<P>, p: P, localName: string): Symbol {
  let s = ctx.symbols.get(p);
  if (!s) {
    const v = Value.param(ctx.names.get(p) ?? localName, { dtype: p.dtype, shape: [...p.shape] });
    s = new Symbol(v);
    ctx.symbols.set(p, s);
  }
  return ctx.updates.get(p) ?? s;
}
