/**
 * `HybridBlock.export`: a hybrid block as one compiled artifact — a standard
 * `.onnx` file with the parameters as initializers (under their structural
 * names) and the manifest in `metadata_props['gluonc.manifest']`.
 * Invariants: the block is traced in prediction mode; the file is written
 * atomically (a temporary file in the same folder, then a rename), so a
 * reader never sees half an artifact; onnxruntime loads the bytes before
 * they are written (unless `check: false`).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic as atomicWrite } from '../../runtime/atomic-file.js';
import type { DimConstraint } from '../../runtime/dim-expr.js';
import { checkDType, type DType } from '../../runtime/dtypes.js';
import { Session } from '../../runtime/session.js';
import { formatShape } from '../../runtime/tensor.js';
import { Graph } from '../ir/graph.js';
import type { Dim } from '../ir/types.js';
import { buildManifest, gluoncVersion, MANIFEST_METADATA_KEY, type ArtifactIO, type ArtifactManifest } from '../manifest.js';
import { collectTraceConstraints } from '../ops/dim-constraints.js';
import { graphConstraints } from '../ops/graph-constraints.js';
import { withTrainingMode } from '../ops/mode.js';
import { emitModel, graphOpset } from '../onnx/emit.js';
import { checkOpsetRange, MAX_OPSET } from '../onnx/opset-forms.js';
import { runPipeline, type PassReport } from '../passes/pipeline.js';
import { DataDependentError } from '../trace/symbol.js';
import type { FileParameter as Parameter, Signature, TraceableBlock as HybridBlock } from './block-like.js';
import { checkOptions } from '../../runtime/check-options.js';
import { outputNames } from '../engine/output-tree.js';

/** The type of one exported input. Example: `{ shape: ['N', 784], dtype: 'float32' }`. */
export interface InputSpec {
  shape: Dim[];
  /** Default `float32`. */
  dtype?: DType;
}

/** Options of `export` (the ONNX artifact; `{ format: 'mxnet' }` takes `MxnetExportOptions`, mxnet-export.ts). */
export interface ExportOptions {
  /** `'onnx'` (the default): one `.onnx` artifact at the path given. */
  format?: 'onnx';
  /**
   * The inputs by name, in call order. Default: the signature of the block's
   * last call with the batch made symbolic (`'N'`: dimension 0, or where the
   * block's `exportDims` says; a recurrent layer's time axis is `'T'`), and every dimension
   * that differed between calls too (`data_dim1`, ...), named `data` (one
   * input) or `data0`, `data1`, ... An input given as `null` or `undefined`
   * after the others is absent (MXNet's `None`): not an input of the artifact.
   * A block last called with lists (`call(x, [h, c])`) has one input per
   * array, depth first (MXNet 2's flattened inputs: `data0`, `data1`,
   * `data2`); given here, they are named in that order.
   */
  inputs?: Record<string, InputSpec | null | undefined>;
  /** The ONNX opset, 13 to 21 (default 21, or 26 for a graph holding `bitcast`); see the README's opset table. */
  opset?: number;
  /** Further compile options recorded in the manifest's `compile` (e.g. `{ optLevel: 2 }`). */
  compile?: Record<string, unknown>;
  /** Load the bytes in onnxruntime before writing (default true). */
  check?: boolean;
  /** Called with each optimization pass's report (`gluonc compile --report`). */
  report?: (r: PassReport) => void;
}

const EXPORT_OPTIONS = ['format', 'inputs', 'opset', 'compile', 'check', 'report'];

/** What `export` writes, by its `format` option. */
export const EXPORT_FORMATS = ['onnx', 'mxnet'] as const;

/** What `export` produced. */
export interface ExportResult {
  /** The file written (as given). */
  path: string;
  manifest: ArtifactManifest;
  /** The ONNX bytes written. */
  bytes: Uint8Array;
}

export type { Signature };

/**
 * Traces `block` in prediction mode and lowers it to ONNX bytes with its
 * manifest (nothing is written).
 *
 * ```ts
 * const { bytes, manifest } = exportBytes(net, { inputs: { x: { shape: ['N', 784] } } });
 * ```
 */
export function exportBytes(block: HybridBlock, options: ExportOptions = {}, where = ''): { bytes: Uint8Array; manifest: ArtifactManifest } {
  const label = `${block.constructor.name}.export${where ? ` to '${where}'` : ''}`;
  if (options === null || typeof options !== 'object') {
    throw new Error(`${label}: the options must be an object; MXNet's export(path, epoch) is export(path, { format: 'mxnet', epoch }) (path-symbol.json and path-0000.params), export(path) writes one ONNX artifact at the path given (net.export('model.onnx'))`);
  }
  const format = (options as { format?: unknown }).format;
  if (format === 'mxnet') throw new Error(`${label}: format 'mxnet' writes MXNet's two files, not ONNX bytes: net.export(path, { format: 'mxnet' })`);
  if (format !== undefined && format !== 'onnx') {
    throw new Error(`${label}: format must be one of ${EXPORT_FORMATS.map((f) => `'${f}'`).join(', ')}, got ${JSON.stringify(format)}`);
  }
  if ('epoch' in options) throw new Error(`${label}: option 'epoch' applies to MXNet's files only: export(path, { format: 'mxnet', epoch: ${JSON.stringify((options as { epoch?: unknown }).epoch)} })`);
  checkOptions(label, options, EXPORT_OPTIONS);
  // MXNet's export('name') is a prefix of two files; an ONNX file named as that prefix would surprise either way, so the name chooses.
  if (where && !path.extname(where) && !statSync(where, { throwIfNoEntry: false })?.isDirectory()) {
    const base = path.basename(where);
    throw new Error(`${label}: the path has no file extension: MXNet's export('${base}') writes ${base}-symbol.json and ${base}-0000.params, which is export('${where}', { format: 'mxnet' }); the ONNX artifact is export('${where}.onnx')`);
  }
  const inputTypes = resolveInputs(block, options, label);
  const asked = options.opset;
  // Fail before tracing on a non-integer or too new opset; emitModel names the operator an old one lacks.
  if (asked !== undefined && (!Number.isInteger(asked) || asked > MAX_OPSET)) {
    try {
      checkOpsetRange(asked);
    } catch (e) {
      throw prefixed(label, e);
    }
  }

  let traced: ReturnType<HybridBlock['trace']>;
  let traceNeeds: DimConstraint[];
  try {
    // A block last called with lists (`call(x, [h, c])`) is traced with their nesting: the inputs are their arrays, depth first.
    [traced, traceNeeds] = collectTraceConstraints(() => withTrainingMode(false, () => block.trace(inputTypes, block.lastFormat ?? null)));
  } catch (e) {
    // An artifact is always one traced graph, hybridized block or not: "do not hybridize" is no way out here.
    if (e instanceof DataDependentError) throw prefixed(label, new DataDependentError(e.what, 'an artifact is one traced graph, so express it with operators such as F.where', 'a block is traced for export', e.block));
    throw prefixed(label, e);
  }
  const { outputs, ctx, inputs } = traced;
  const outNames = outputNames(outputs.length);
  const graph = Graph.fromOutputs(
    inputs.map((v) => v.value),
    outputs.map((s, i) => ({ name: outNames[i]!, value: s.value })),
  );
  // Parameters in the block's structural order (collectParams), whatever order the graph reached them in.
  const order = new Map(block.collectParams().keys().map((k, i) => [k, i]));
  graph.params.sort((a, b) => (order.get(a.name) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.name) ?? Number.MAX_SAFE_INTEGER));
  // Parameters become initializers: give each graph parameter its current array.
  const byValue = new Map<unknown, Parameter>([...ctx.symbols].map(([p, s]) => [s.value, p]));
  for (const v of graph.params) {
    const p = byValue.get(v);
    if (!p) throw new Error(`${label}: graph parameter '${v.name}' does not belong to a parameter of the block`);
    if (!p.initialized) {
      throw new Error(
        `${label}: parameter '${v.name}' of block ${block.constructor.name} has not been initialized ${formatShape(p.shape)}; call initialize() (and run the block once if its shape is inferred) before export`,
      );
    }
    v.data = p.data()._host;
  }
  // The inference pipeline (level from `compile.optLevel`, default 2; -O3 folds parameters into weights).
  try {
    // The level as given (the pipeline refuses anything but 0..3 naming it; Number() turned 'fast' into NaN, printed as null).
    runPipeline(graph, { level: (options.compile?.['optLevel'] ?? 2) as number, mode: 'inference', report: options.report });
  } catch (e) {
    throw prefixed(label, e);
  }
  graph.params.sort((a, b) => (order.get(a.name) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.name) ?? Number.MAX_SAFE_INTEGER));

  // Unless asked, DEFAULT_OPSET, or the opset the graph's operators need (26 with a bitcast).
  let opset: number;
  try {
    opset = asked ?? graphOpset(graph);
  } catch (e) {
    throw prefixed(label, e);
  }
  const io = (name: string, t: { dtype: DType; shape: Dim[] }): ArtifactIO => ({ name, dtype: t.dtype, shape: [...t.shape] });
  const manifest = buildManifest({
    inputs: inputs.map((s) => io(s.value.name, s.value.type)),
    outputs: graph.outputs.map((o) => io(o.name, o.value.type)),
    params: graph.params.map((v) => v.name),
    compile: { opset, ...(options.compile ?? {}) },
    // What the operators need of the symbolic sizes: loadModel refuses feeds that fail it before running.
    constraints: graphConstraints(graph, traceNeeds),
  });
  let bytes: Uint8Array;
  try {
    bytes = emitModel(graph, {
      opset,
      metadata: { [MANIFEST_METADATA_KEY]: JSON.stringify(manifest) },
      producerVersion: gluoncVersion(),
      graphName: block.constructor.name,
    });
  } catch (e) {
    throw prefixed(label, e);
  }
  if (options.check !== false) {
    try {
      Session.create(bytes).close();
    } catch (e) {
      throw new Error(`${label}: onnxruntime cannot load the exported graph: ${(e as Error).message}`);
    }
  }
  return { bytes, manifest };
}

/**
 * Writes `block` as a compiled artifact at `file` (see the module comment).
 *
 * ```ts
 * net.call(nd.ones([1, 784]));
 * exportBlock(net, 'mlp.onnx');                                   // input 'data': float32 ['N', 784]
 * exportBlock(net, 'mlp.onnx', { inputs: { x: { shape: ['N', 784] } } });
 * ```
 */
export function exportBlock(block: HybridBlock, file: string, options: ExportOptions = {}): ExportResult {
  if (typeof file !== 'string' || !file) throw new Error(`${block.constructor.name}.export: needs a file path, got ${JSON.stringify(file)}`);
  const { bytes, manifest } = exportBytes(block, options, file);
  writeFileAtomic(file, bytes, `${block.constructor.name}.export`);
  return { path: file, manifest, bytes };
}

/**
 * Writes `bytes` to `file` atomically: a temporary file in the same folder,
 * flushed, then renamed over `file` (runtime/atomic-file.ts, which also
 * removes the temporary files of killed writes). The folder is created when missing.
 *
 * ```ts
 * writeFileAtomic('out/mlp.onnx', bytes);
 * ```
 */
export function writeFileAtomic(file: string, bytes: Uint8Array, what = 'write'): void {
  atomicWrite(file, bytes, { what, mkdir: true });
}

/**
 * The named, typed inputs to trace with: the given ones, else the last
 * call's signature with a symbolic batch (MXNet's export names them alike).
 * null is an input left out (MXNet's `None`): the block is traced with
 * `undefined` there and the artifact has no input for it.
 */
export function resolveInputs(block: HybridBlock, options: { inputs?: Record<string, InputSpec | null | undefined> }, label: string): ({ name: string; dtype: DType; shape: Dim[] } | null)[] {
  if (options.inputs) {
    let entries = Object.entries(options.inputs);
    // An optional input named with null or undefined is absent (MXNet's None): no ONNX input, wherever it is, as in a call.
    let n = entries.length;
    while (n > 0 && (entries[n - 1]![1] === null || entries[n - 1]![1] === undefined)) n--;
    entries = entries.slice(0, n);
    if (!entries.length) throw new Error(`${label}: 'inputs' is empty; name at least one input`);
    return entries.map(([name, spec]) => {
      if (spec === null || spec === undefined) return null;
      if (!Array.isArray(spec.shape)) throw new Error(`${label}: input '${name}' needs a shape, e.g. { shape: ['N', 784] }`);
      for (const d of spec.shape) {
        const ok = (typeof d === 'number' && Number.isInteger(d) && d >= 0) || (typeof d === 'string' && d !== '');
        if (!ok) throw new Error(`${label}: input '${name}' has an invalid dimension ${JSON.stringify(d)} in ${formatShape(spec.shape)}`);
        // loadModel (runtime/model-graph.ts) and every CLI command refuse such an artifact: refuse to write it.
        if (d === 0) throw new Error(`${label}: input '${name}' has a dimension of size 0 in ${formatShape(spec.shape)}: an artifact's fixed input dimensions must be positive (use a symbolic name such as 'N' for a size that varies)`);
      }
      return { name, dtype: checkDType(spec.dtype ?? 'float32', `${label}: input '${name}'`), shape: [...spec.shape] };
    });
  }
  const sig = block.lastSignature;
  if (!sig) {
    throw new Error(`${label}: the block has not been called yet, so its input shapes are unknown; call it once or pass { inputs: { data: { shape: ['N', ...] } } }`);
  }
  const dims = block.exportDims?.(sig.length) ?? sig.map((): Record<number, string> => ({ 0: 'N' }));
  const names = block.exportNames?.(sig.length) ?? null;
  return sig.map((t, i) => {
    if (!t) return null;
    const name = names?.[i] ?? (sig.length === 1 ? 'data' : `data${i}`);
    return { name, dtype: t.dtype, shape: t.shape.map((d, k): Dim => dims[i]?.[k] ?? (t.varies?.[k] ? `${name}_dim${k}` : d)) };
  });
}

function prefixed(label: string, e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const out = new Error(`${label}: ${err.message}`);
  out.name = err.name;
  out.stack = `${out.name}: ${out.message}\n${(err.stack ?? '').split('\n').slice(1).join('\n')}`;
  return out;
}
