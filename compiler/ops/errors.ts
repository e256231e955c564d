/**
 * Operator errors name the operator, its inputs' types and the block they
 * were called from. Blocks push their names on the context's scopes
 * (compiler/ops/context.ts) while they run.
 */
import { formatType, type TensorType } from '../ir/types.js';
import { getContext, withContext } from './context.js';

/** Runs `fn` with `name` pushed on the scope stack (a block's name while it runs). Example: `withScope('net', () => sym.relu(x))`. */
export function withScope<R>(name: string, fn: () => R): R {
  return withContext({ scopes: [...getContext().scopes, name] }, fn);
}

/** The current scope path, e.g. `net.1` (empty outside any block). */
export function currentScope(): string {
  return getContext().scopes.filter(Boolean).join('/');
}

/** An error raised by an operator's type rule or call; the message names the operator and types. */
export class OpError extends Error {
  readonly op: string;
  constructor(op: string, message: string, types?: TensorType[]) {
    const scope = currentScope();
    const inputs = types && types.length ? ` (inputs: ${types.map(formatType).join(', ')})` : '';
    super(`${op}: ${message}${inputs}${scope ? ` in block '${scope}'` : ''}`);
    this.name = 'OpError';
    this.op = op;
  }
}

/** Throws an OpError unless `cond` holds. */
export function check(cond: unknown, op: string, message: string, types?: TensorType[]): asserts cond {
  if (!cond) throw new OpError(op, message, types);
}
