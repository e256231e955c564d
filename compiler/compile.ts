/**
 * Compiling IR graphs into runnable sessions: bind input types, re-infer,
 * lower to ONNX, create one onnxruntime session, and reuse it.
 */
import { count } from '../runtime/profiler.js';
import { Session, type SessionOptions } from '../runtime/session.js';
import type { HostTensor } from '../runtime/tensor.js';
import type { Graph } from './ir/graph.js';
import type { TensorType } from './ir/types.js';
import { emitModel, type EmitOptions } from './onnx/emit.js';
import { cloneForTypes } from './trace/symbol.js';
import { retypeGraph } from './trace/retype.js';

/** A compiled graph: feeds by input name in, outputs by output name out. */
export type Runner = ((feeds: Record<string, HostTensor>) => Record<string, HostTensor>) & { session: Session; bytes: Uint8Array };

/**
 * Compiles `g` for concrete input types and returns a synchronous runner.
 *
 * ```ts
 * const run = compileGraph(g, { x: { dtype: 'float32', shape: [5, 2] } });
 * run({ x: hostTensor }).output0;
 * ```
 */
export function compileGraph(g: Graph, inputTypes: Record<string, TensorType>, options: EmitOptions & SessionOptions = {}): Runner {
  const copy = retypeGraph(cloneForTypes(g), inputTypes);
  const bytes = emitModel(copy, options);
  count('compiles');
  const session = Session.create(bytes, options);
  const run = ((feeds: Record<string, HostTensor>) => session.runSync(feeds)) as Runner;
  run.session = session;
  run.bytes = bytes;
  return run;
}
