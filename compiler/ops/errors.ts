/**
 * Operator errors name the operator, its inputs' types and the block they
 * were called from. Blocks push their names on the context's scopes
 * (compiler/ops/context.ts) while they run; a node of an imported ONNX file
 * runs with its ONNX node as the last scope (`splitScope`), which errors name first.
 */
import { onnxOfScope, splitScope } from '../../runtime/run-error.js';
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
    const { block, onnx } = splitScope(currentScope());
    const inputs = types && types.length ? ` (inputs: ${types.map(formatType).join(', ')})` : '';
    super(`${onnx ? `${onnx}: ` : ''}${op}: ${message}${inputs}${block ? ` in block '${block}'` : ''}`);
    this.name = 'OpError';
    this.op = op;
  }
}

/** How a scope in a gradient ends (reverse mode and the compiled tape run gradient rules in `<scope> (gradient)`). */
const GRADIENT = ' (gradient)';

/**
 * Operator `op` of a node of scope `scope` as a message names it among others: `add (in Net/dense0)` for gluonc's
 * own nodes, and a node built from an imported ONNX node with that node first, readable:
 * `ONNX node 'a' (Add)'s add (in SymbolBlock)`, `ONNX node 'a' (Add)'s gradient mul` in its gradient. Example: `nodeLabel(node.op, node.scope)`.
 */
export function nodeLabel(op: string, scope: string): string {
  const { block, onnx } = splitScope(scope);
  const grad = onnx.endsWith(GRADIENT);
  const of = onnx ? `${grad ? onnx.slice(0, -GRADIENT.length) : onnx}'s ${grad ? 'gradient ' : ''}` : '';
  return `${of}${op}${block ? ` (in ${block})` : ''}`;
}

/** Throws an OpError unless `cond` holds. */
export function check(cond: unknown, op: string, message: string, types?: TensorType[]): asserts cond {
  if (!cond) throw new OpError(op, message, types);
}

/**
 * `e` with the imported ONNX node of `scope` (see `splitScope`) put before its message, unless it names it
 * already or `scope` has none: the same Error object (its class kept), for errors made outside the node's scope.
 * Example: `throw namingOnnxNode(e, node.scope)`.
 */
export function namingOnnxNode(e: unknown, scope: string): unknown {
  const onnx = onnxOfScope(scope);
  if (!onnx || !(e instanceof Error) || e.message.includes(onnx)) return e;
  const old = e.message;
  e.message = `${onnx}: ${old}`;
  if (typeof e.stack === 'string') e.stack = e.stack.replace(old, e.message);
  return e;
}

/**
 * Runs `fn` for the imported ONNX node `scope` ends with, naming it in any error escaping; with `push` (tracing or
 * recording) in its scope too, so the nodes a trace makes and the tape's entries keep it. `fn` alone where `scope` has
 * none. Example: `inOnnxNode(node.scope, () => F.reshape(x, { shape }), tracing)`.
 */
export function inOnnxNode<R>(scope: string, fn: () => R, push = true): R {
  const onnx = onnxOfScope(scope);
  if (!onnx) return fn();
  try {
    return push ? withScope(onnx, fn) : fn();
  } catch (e) {
    throw namingOnnxNode(e, onnx);
  }
}
