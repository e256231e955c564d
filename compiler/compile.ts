/**
 * Compiling IR graphs into runnable sessions: bind input types, re-infer,
 * lower to ONNX, create one onnxruntime session, and reuse it; and running
 * symbols that way (`evalSymbols`, behind `Symbol.eval`).
 */
import { count } from '../runtime/profiler.js';
import { Session, type SessionOptions } from '../runtime/session.js';
import type { HostTensor } from '../runtime/tensor.js';
import { cloneGraph, type Graph } from './ir/graph.js';
import type { TensorType } from './ir/types.js';
import type { Value } from './ir/value.js';
import { emitModel, type EmitOptions } from './onnx/emit.js';
import { runPipeline, type PassReport } from './passes/pipeline.js';
import type { PassMode } from './passes/pass.js';
import { retypeGraph } from './trace/retype.js';
import { graphOf, type Symbol } from './trace/symbol.js';
import { tensorFactory } from './trace/tensor-like.js';
import { nodeFailure, splitScope } from '../runtime/run-error.js';

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
  const typed = retypeGraph(cloneGraph(g), inputTypes);
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
  const run = ((feeds: Record<string, HostTensor>) => {
    try {
      return session.runSync(feeds);
    } catch (e) {
      throw runError(e, bytes);
    }
  }) as Runner;
  run.session = session;
  run.bytes = bytes;
  return run;
}

/**
 * An onnxruntime failure while a compiled graph runs, named after the
 * operator whose node failed (the node's `gluonc:` record, runtime/run-error.ts)
 * and its block, with onnxruntime's reason without its source location.
 * Example: `runError(e, bytes)` for "...running Div node. Name:'div_0' ..." gives "div: onnxruntime failed ...".
 */
function runError(e: unknown, bytes: Uint8Array): unknown {
  const f = nodeFailure(e, bytes);
  if (!f) return e;
  const op = f.origin?.op ?? f.node.replace(/_\d+$/, '');
  // A node built from an imported ONNX node says that node first (runtime/run-error.ts splitScope).
  const { block, onnx } = splitScope(f.origin?.scope ?? '');
  const scope = block ? ` in block '${block}'` : '';
  return new Error(`${onnx ? `${onnx}: ` : ''}${op}: onnxruntime failed running the compiled graph (its ONNX ${f.opType} node '${f.node}'${scope}): ${f.reason}`);
}

/** Compiled signatures kept per symbol. */
const EVAL_CACHE_SIZE = 8;
const evalCache = new WeakMap<Value, Map<string, { graph: Graph; run: Runner }>>();

/**
 * Compiles and runs several symbols together for the given bindings; returns
 * eager tensors. The compiled session is cached per input signature (the
 * last few per symbol). `Symbol.eval` runs through it.
 *
 * ```ts
 * const [y] = evalSymbols([sym.relu(x)], { x: nd.array([-1, 2]) });
 * ```
 */
export function evalSymbols(outs: Symbol[], bindings: Record<string, unknown>): unknown[] {
  const f = tensorFactory();
  const perOut = outs.length === 1 ? evalCache.get(outs[0]!.value) ?? new Map<string, { graph: Graph; run: Runner }>() : null;
  const hostsOf = (g: Graph): Record<string, HostTensor> => {
    const hosts: Record<string, HostTensor> = {};
    for (const v of g.inputs) {
      const b = bindings[v.name];
      if (b === undefined) throw new Error(`eval: variable '${v.name}' is not bound`);
      hosts[v.name] = f.isTensor(b) ? f.host(b) : (b as HostTensor);
    }
    for (const k of Object.keys(bindings)) {
      if (!g.inputs.some((v) => v.name === k)) throw new Error(`eval: no variable named '${k}'`);
    }
    return hosts;
  };
  const sig = Object.keys(bindings)
    .sort()
    .map((k) => {
      const b = bindings[k];
      const h = f.isTensor(b) ? f.host(b) : (b as HostTensor);
      return `${k}:${h?.dtype}[${h?.shape}]`;
    })
    .join(';');
  let entry = perOut?.get(sig);
  if (entry) count('cacheHits');
  else {
    const graph = graphOf(...outs);
    const hosts = hostsOf(graph);
    const run = compileGraph(graph, Object.fromEntries(Object.entries(hosts).map(([k, h]) => [k, { dtype: h.dtype, shape: h.shape }])));
    entry = { graph, run };
    if (perOut) {
      if (perOut.size >= EVAL_CACHE_SIZE) {
        const [oldSig, old] = perOut.entries().next().value as [string, { run: Runner }];
        perOut.delete(oldSig);
        old.run.session.close();
      }
      perOut.set(sig, entry);
      evalCache.set(outs[0]!.value, perOut);
    }
  }
  const res = entry.run(hostsOf(entry.graph));
  return entry.graph.outputs.map((o) => f.wrap(res[o.name]!));
}
