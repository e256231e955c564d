/**
 * Operator errors name the operator, its inputs' types and the block they
 * were called from. Blocks push their names on the scope stack while they run.
 */
import { formatType, type TensorType } from '../ir/types.js';

const scopes: string[] = [];

/** Runs `fn` with `name` pushed on the scope stack (a block's name while it runs). */
export function withScope<R>(name: string, fn: () => R): R {
  scopes.push(name);
  try {
    return fn();
  } finally {
    scopes.pop();
  }
}

/** The current scope path, e.g. `net.1` (empty outside any block). */
export function currentScope(): string {
  return scopes.filter(Boolean).join('/');
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
