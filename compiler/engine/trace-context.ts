/**
 * The state of one trace of a hybrid block tree: which symbol stands for
 * each parameter (so a shared parameter is one graph input), the structural
 * names parameters get in the graph, and the state updates (BatchNorm's
 * running statistics) the traced code asked for.
 */
import { Value } from '../ir/value.js';
import { Symbol } from '../trace/symbol.js';
import type { Parameter } from '../gluon/parameter.js';

/** One trace in progress. */
export interface TraceContext {
  symbols: Map<Parameter, Symbol>;
  names: Map<Parameter, string>;
  updates: Map<Parameter, Symbol>;
}

const stack: TraceContext[] = [];

/** The innermost trace, if any. */
export function currentTrace(): TraceContext | undefined {
  return stack[stack.length - 1];
}

/** Runs `fn` inside a new trace. */
export function withTrace<R>(ctx: TraceContext, fn: () => R): R {
  stack.push(ctx);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}

/** The symbol of a parameter in the current trace (created on first use). */
export function paramSymbol(ctx: TraceContext, p: Parameter, localName: string): Symbol {
  let s = ctx.symbols.get(p);
  if (!s) {
    const v = Value.param(ctx.names.get(p) ?? localName, { dtype: p.dtype, shape: [...p.shape] });
    s = new Symbol(v);
    ctx.symbols.set(p, s);
  }
  return s;
}
