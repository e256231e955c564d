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
import { runPipeline, type PassReport } from './passes/pipeline.js';
import type { PassMode } from './passes/pass.js';
import { cloneForTypes } from './trace/symbol.js';
import { retypeGraph } from './trace/retype.js';

/** A compiled graph: feeds by input name in, outputs by output name out. */
export type Runner = ((feeds: Record<string, HostTensor>) => Record<string, HostTensor>) & { session: Session; bytes: Uint8Array };

let listener: ((report: PassReport[], mode: PassMode) => void) | null = null;

/**
 * Sets a function called with the pass report of every graph compiled from
 * now on (null: none); returns the previous one. Tests use it to measure
 * what the pipeline removes from the graphs hybridized blocks and the fused
 * training step compile.
 *
 * ```ts
 * setPassListener((report, mode) => console.log(mode, report.at(-1)?.nodesAfter));
 * ```
 */
export function setPassListener(fn: ((report: PassReport[], mode: PassMode) => void) | null): ((report: PassReport[], mode: PassMode) => void) | null {
  const old = listener;
  listener = fn;
  return old;
}

/** Options of `compileGraph`: emission, session, and the optimization pipeline. */
export interface CompileOptions extends EmitOptions, SessionOptions {
  /** `-O0` .. `-O3` (default 2). */
  optLevel?: number;
  /** Default: `training` when parameters are session inputs (they change between runs), else `inference`. */
  mode?: PassMode;
  /** Called with each pass's report. */
  passReport?: (r: PassReport) => void;
}

/**
 * Compiles `g` for concrete input types and returns a synchronous runner.
 * The graph is copied, re-typed and optimized (`optLevel`, default 2); `g`
 * itself is left alone. Setting `GLUONC_PASS_REPORT=1` prints each pass's
 * node counts and time to stderr.
 *
 * ```ts
 * const run = compileGraph(g, { x: { dtype: 'float32', shape: [5, 2] } });
 * run({ x: hostTensor }).output0;
 * ```
 */
export function compileGraph(g: Graph, inputTypes: Record<string, TensorType>, options: CompileOptions = {}): Runner {
  const typed = retypeGraph(cloneForTypes(g), inputTypes);
  const mode = options.mode ?? (options.paramsAsInputs ? 'training' : 'inference');
  const env = process.env['GLUONC_PASS_REPORT'];
  const print = env && env !== '0' ? (r: PassReport) => process.stderr.write(`[gluonc ${mode}] ${r.pass}: ${r.nodesBefore} -> ${r.nodesAfter} nodes, ${r.ms.toFixed(2)} ms\n`) : undefined;
  const { graph: copy, report } = runPipeline(typed, {
    level: options.optLevel ?? 2,
    mode,
    report: options.passReport || print ? (r) => (options.passReport?.(r), print?.(r)) : undefined,
  });
  listener?.(report, mode);
  const bytes = emitModel(copy, options);
  count('compiles');
  const session = Session.create(bytes, options);
  const run = ((feeds: Record<string, HostTensor>) => session.runSync(feeds)) as Runner;
  run.session = session;
  run.bytes = bytes;
  return run;
}
