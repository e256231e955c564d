/**
 * `gluon.SymbolBlock.imports(path)`: a compiled artifact (or any ONNX file
 * `readModel` can read) back as a HybridBlock. The graph's parameters become
 * the block's parameters under their structural names (`0.weight`), so they
 * save, load and share like any other; `hybridForward` replays the graph's
 * nodes through `F`, so the block runs eagerly (`F = nd`), hybridized
 * (traced through `F = sym` and compiled once per signature) and inside a
 * hybridized parent alike.
 * Invariant: inputs are checked against the artifact's declared inputs
 * (count, dtype, rank, fixed dimensions, one size per symbolic dimension)
 * before anything runs; errors name the file.
 */
import { firstViolation } from '../../runtime/dim-expr.js';
import { getContext } from '../ops/context.js';
import { inOnnxNode, nodeLabel } from '../ops/errors.js';
import { formatShape } from '../../runtime/tensor.js';
import { Graph as GraphClass, type Graph } from '../ir/graph.js';
import { formatType, type Dim } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { checkManifest, type ArtifactManifest } from '../manifest.js';
import { readModel } from '../onnx/read.js';
import type { InputKind, IoTree } from '../onnx/read-boundary.js';
import { bindCall, hasBoundary, nestOutputs } from './symbol-io.js';
import { callArgs, withDefaults } from '../ops/call.js';
import { symOps } from '../trace/sym.js';
import { isSymbol, namedCall, Symbol } from '../trace/symbol.js';
import { getOp } from '../ops/registry.js';
import { remapRecurrentCalls } from '../formats/mxnet-rnn-export.js';
import { solveParamShape } from '../ops/infer.js';
import type { Node } from '../ir/node.js';
import { ParameterDict } from './parameter.js';
import { symbolGraph } from './symbol-graph.js';
import { bindArgs } from './bind-args.js';
import { HybridBlock } from './hybrid.js';
import { initByName, MxnetSymbolBlock } from './mxnet-symbol.js';
import { NDArray } from '../engine/ndarray.js';
import type { F, Tensor } from '../engine/tensor.js';
import { plainShape } from '../ops/symbolic-dim.js';
import { showValue } from './show-value.js';
import { Initializer } from './init.js';
import { isTrainingMode } from '../ops/mode.js';
import { movingStatistics } from './nn/norm.js';

/**
 * `SymbolBlock.imports` by MXNet's keyword names: the file, and for MXNet's
 * format the input names and the parameters file.
 *
 * ```ts
 * const o: SymbolImportsOptions = { symbolFile: 'model-symbol.json', inputNames: ['data'], paramFile: 'model-0000.params' };
 * ```
 */
export interface SymbolImportsOptions {
  symbolFile: string;
  inputNames?: string | string[];
  paramFile?: string;
}

/**
 * A block made from a compiled graph.
 *
 * ```ts
 * net.export('net.onnx');
 * const back = gluon.SymbolBlock.imports('net.onnx');
 * back.call(x);                    // same outputs as net.call(x)
 * back.hybridize(); back.call(x);  // compiled once per input signature
 * ```
 */
export class SymbolBlock extends HybridBlock {
  /** The graph read from the artifact. */
  readonly graph: Graph;
  /** The artifact's manifest (null for ONNX files without one). */
  readonly manifest: ArtifactManifest | null;
  /** Where the graph came from (a file path, or a description). */
  readonly source: string;
  private readonly _constants = new Map<Value, NDArray>();
  /** Built from symbols: the parameters declared without a shape (their rank is solved at the first trace). */
  private _unshaped = new Set<string>();
  private _fromSymbols = false;
  /**
   * A file with sequence or optional inputs or outputs (symbol-io.ts): read for each structure of a call
   * (`graph` holds only its parameters where it has such inputs), its outputs nested by each read's tree.
   */
  _io: { source: string | Uint8Array; kinds: InputKind[]; reads: Map<string, { graph: Graph; tree: IoTree[] }>; last: Graph } | null = null;

  /**
   * Reads an artifact written by `HybridBlock.export` or `gluonc compile`.
   *
   * ```ts
   * const net = gluon.SymbolBlock.imports('mlp.onnx');
   * ```
   */
  static imports(path: string): SymbolBlock;
  /**
   * Reads MXNet's export format: `<prefix>-symbol.json`, the names of its
   * inputs and (optionally) `<prefix>-0000.params`; see `mxnet-symbol.ts`.
   *
   * ```ts
   * const net = gluon.SymbolBlock.imports('model-symbol.json', ['data'], 'model-0000.params');
   * ```
   */
  static imports(symbolFile: string, inputNames: string | string[], paramFile?: string): MxnetSymbolBlock;
  /**
   * Either file by MXNet's keyword names (`imports(symbol_file=..., input_names=..., param_file=...)`).
   *
   * ```ts
   * gluon.SymbolBlock.imports({ symbolFile: 'model-symbol.json', inputNames: ['data'], paramFile: 'model-0000.params' });
   * gluon.SymbolBlock.imports('model-symbol.json', { inputNames: ['data'], paramFile: 'model-0000.params' });
   * ```
   */
  static imports(...args: [options: SymbolImportsOptions] | [symbolFile: string, options: Omit<SymbolImportsOptions, 'symbolFile'>]): SymbolBlock | MxnetSymbolBlock;
  static imports(...args: unknown[]): SymbolBlock | MxnetSymbolBlock {
    const [[path, inputNames, paramFile]] = bindArgs<[string, (string | string[])?, string?], {}>('SymbolBlock.imports', ['symbolFile', 'inputNames?', 'paramFile?'], args, []);
    // One input may be named by a string, as MXNet's imports takes it.
    if (inputNames !== undefined) return MxnetSymbolBlock.imports(path, typeof inputNames === 'string' ? [inputNames] : inputNames, paramFile);
    if (path.endsWith('.json')) {
      throw new Error(`SymbolBlock.imports('${path}'): an MXNet symbol file needs the input names (and the parameters file): SymbolBlock.imports('${path}', ['data'], 'model-0000.params')`);
    }
    return importOnnx(path, `SymbolBlock.imports('${path}')`);
  }

  /** A block computing `graph`; its parameter values (the initializers) become the parameters' data. */
  constructor(graph: Graph, manifest?: ArtifactManifest | null, source?: string);
  /**
   * MXNet's `SymbolBlock(outputs, inputs, params)`: a block computing the
   * symbols `outputs` (one or a list) from the variables `inputs`; every
   * other variable they use is a parameter under its own name (shape from
   * `sym.var`'s, else inferred at the first call), sharing the one of the
   * same name in `params` where given. See `symbol-graph.ts`.
   *
   * ```ts
   * const data = sym.var('data');
   * const fc = sym.FullyConnected(data, sym.var('fc_weight'), sym.var('fc_bias'), { numHidden: 10 });
   * const net = new gluon.SymbolBlock(sym.relu(fc), data);
   * net.initialize(); net.call(nd.ones([2, 5]));
   * ```
   */
  constructor(outputs: Symbol | Symbol[], inputs: Symbol | Symbol[], params?: ParameterDict);
  constructor(...args: unknown[]) {
    super();
    const given = args[0];
    let graph: Graph;
    let shared: ParameterDict | undefined;
    let inits = new Map<string, unknown>();
    if (isSymbol(given) || (Array.isArray(given) && given.some(isSymbol))) {
      if (args.length < 2) throw new Error('SymbolBlock(outputs, inputs, params?): the inputs are missing (the variables the outputs are computed from, e.g. sym.var(\'data\'))');
      if (args.length > 3) throw new Error(`SymbolBlock(outputs, inputs, params?): got ${args.length} arguments`);
      if (args[2] !== undefined && !(args[2] instanceof ParameterDict)) throw new Error(`SymbolBlock: params must be a ParameterDict (net.collectParams()), got ${showValue(args[2])}`);
      const built = symbolGraph(given, args[1]);
      graph = built.graph;
      shared = args[2] as ParameterDict | undefined;
      this._unshaped = built.unshaped;
      inits = built.inits;
      this._fromSymbols = true;
      this.manifest = null;
      this.source = 'symbols';
    } else {
      if (!(given instanceof GraphClass)) {
        throw new Error(`SymbolBlock: expected a graph (SymbolBlock.imports(path) makes one from a file) or symbols (SymbolBlock(outputs, inputs)), got ${showValue(given)}`);
      }
      graph = given;
      this.manifest = (args[1] as ArtifactManifest | null | undefined) ?? null;
      this.source = (args[2] as string | undefined) ?? 'a graph';
    }
    this.graph = graph;
    const manifest = this.manifest;
    const source = this.source;
    // Registered in the manifest's order (the exporting block's structural order) where there is one.
    const rank = new Map((manifest?.params ?? []).map((k, i) => [k, i]));
    const params = [...graph.params].sort((a, b) => (rank.get(a.name) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.name) ?? Number.MAX_SAFE_INTEGER));
    const frozen = runningStatistics(graph);
    for (const v of params) {
      if (this.params.has(v.name)) throw new Error(`SymbolBlock (${source}): two parameters are named '${v.name}'`);
      // Running statistics are not trained (gradReq 'null'), as in gluon's BatchNorm.
      if (shared?.has(v.name)) {
        this.params.set(v.name, shared.get(v.name));
        continue;
      }
      // From symbols, as MXNet's: deferred where the shape is unknown, initialized by name (a bias at 0, gamma at 1).
      // A variable's own initializer (`sym.var(name, { init })`, MXNet's `__init__` attribute) comes first.
      const own = inits.get(v.name);
      if (own !== undefined && !(own instanceof Initializer) && typeof own !== 'string') throw new Error(`SymbolBlock: variable '${v.name}' has init ${showValue(own)}; sym.var's init must be an initializer (init.Xavier(), init.LSTMBias(1.0), ...) or its name`);
      const fromSymbols = this._fromSymbols ? { allowDeferredInit: true, init: (own as Initializer | string | undefined) ?? initByName(v.name) } : {};
      const p = this.params.get(v.name, { shape: [...(v.type.shape as number[])], dtype: v.type.dtype, ...fromSymbols, ...(frozen.has(v) ? { gradReq: 'null' as const } : {}) });
      if (this._unshaped.has(v.name)) p.rankUnknown = true;
      if (v.data) p.setData(new NDArray({ dtype: v.data.dtype, shape: [...v.data.shape], data: v.data.data.slice() } as NDArray['_host']));
    }
  }

  /** Built from symbols, it has no prefix, as MXNet's SymbolBlock: its parameters keep the variables' names when exported in MXNet's format. */
  override _alias(): string {
    return this._fromSymbols ? '' : super._alias();
  }

  /**
   * `export`'s input names: the graph's (its variables', or the artifact's), as MXNet's export saves the input
   * symbols; a sequence input's items as `<name>_0`, `<name>_1`, ... (the last call's read). Example: `net.exportNames(2)`.
   */
  exportNames(count: number): string[] | null {
    const g = this._io?.last ?? this.graph;
    return count === g.inputs.length ? g.inputs.map((v) => v.name) : null;
  }

  /** `export`'s symbolic sizes: those its inputs declare (`sym.var`'s shape, the artifact's), else the batch `'N'` of an input without a shape. Example: `[{ 0: 'N', 1: 'T' }]`. */
  exportDims(count: number): Record<number, string>[] {
    const g = this._io?.last ?? this.graph;
    return Array.from({ length: count }, (_v, i): Record<number, string> => {
      const v = g.inputs[i];
      if (!v || !v.known) return { 0: 'N' };
      return Object.fromEntries(v.type.shape.flatMap((d, k) => (typeof d === 'string' ? [[k, d]] : [])));
    });
  }

  /**
   * The artifact's inputs: name, dtype, shape (symbolic dimensions by name); a file's sequence or optional input
   * as `kind` says, with its elements' dtype (its items' shapes are the call's).
   */
  get inputs(): { name: string; dtype: string; shape: Dim[]; kind?: 'sequence' | 'optional' }[] {
    if (this._io) {
      const declared = new Map(this._io.last.inputs.map((v) => [v.name, v.type]));
      return this._io.kinds.map((k) => (k.kind === 'tensor' ? { name: k.name, dtype: declared.get(k.name)?.dtype ?? '', shape: [...(declared.get(k.name)?.shape ?? [])] } : { name: k.name, dtype: k.dtype ?? '', shape: [], kind: k.kind }));
    }
    return this.graph.inputs.map((v) => ({ name: v.name, dtype: v.type.dtype, shape: [...v.type.shape] }));
  }

  /** The artifact's outputs. */
  get outputs(): { name: string; dtype: string; shape: Dim[] }[] {
    return this.graph.outputs.map((o) => ({ name: o.name, dtype: o.value.type.dtype, shape: [...o.value.type.shape] }));
  }

  /** The graph read for a call's structure (sequence lengths, optionals given), and the call's tensors in its input order. */
  private _readFor(args: unknown[]): { graph: Graph; inputs: Tensor[]; tree: IoTree[] | null } {
    const io = this._io;
    if (!io) return { graph: this.graph, inputs: args as Tensor[], tree: null };
    const where = `SymbolBlock (${this.source})`;
    const call = bindCall(args, io.kinds, where);
    let read = io.reads.get(call.key);
    if (!read) {
      const r = readModel(io.source, { boundary: call.boundary });
      for (const v of r.graph.params) {
        if (!this.params.has(v.name)) throw new Error(`${where}: parameter '${v.name}' is used only with this call's sequence lengths or optional inputs, which the first read (one item per sequence, optionals given) did not use; it is not among the block's parameters`);
      }
      read = { graph: r.graph, tree: r.outputTree };
      io.reads.set(call.key, read);
      // Eager calls of many shapes read many graphs: keep the latest 64, as the trace-type cache does.
      if (io.reads.size > 64) io.reads.delete(io.reads.keys().next().value as string);
    }
    io.last = read.graph;
    return { graph: read.graph, inputs: call.flat, tree: read.tree };
  }

  /** Replays the graph through `F`: one F call per IR node. */
  override hybridForward(F: F, ...args: unknown[]): Tensor | Tensor[] {
    const params = args.pop() as Record<string, Tensor>;
    const { graph, inputs, tree } = this._readFor(args);
    this._checkInputs(graph, inputs);
    const env = new Map<Value, Tensor>();
    graph.inputs.forEach((v, i) => env.set(v, inputs[i]!));
    for (const v of graph.params) env.set(v, params[v.name]!);
    const tracing = F === (symOps as unknown);
    const get = (v: Value): Tensor => {
      const t = env.get(v);
      if (t) return t;
      if (!v.data) throw new Error(`SymbolBlock (${this.source}): value '${v.name}' has no producer and no data`);
      // A constant of the graph: a constant symbol while tracing (one per trace), else an NDArray kept across calls.
      if (tracing) {
        const c = new Symbol(Value.constant(v.data));
        env.set(v, c);
        return c;
      }
      let c = this._constants.get(v);
      if (!c) this._constants.set(v, (c = new NDArray(v.data)));
      return c;
    };
    const ops = F as unknown as Record<string, ((...a: unknown[]) => Tensor | Tensor[]) | undefined>;
    for (const node of graph.nodes) {
      const def = getOp(node.op);
      const fn = ops[node.op];
      if (!fn) throw new Error(`SymbolBlock (${this.source}): ${nodeLabel(node.op, node.scope)} is not an F operator`);
      const ins = node.inputs.map(get);
      if (tracing && this._unshaped.size) this._solveRanks(node, ins as Symbol[]);
      // Dimension entries become F.shapeArray of the inputs they read again (see callArgs).
      const args = callArgs(def, node.attrs, ins, (t, begin, end) => ops.shapeArray!(t, { begin, end }) as Tensor);
      // A node named as MXNet names nodes (a symbol's `name`) keeps its name in the trace (MXNet's writer writes it);
      // one built from an imported ONNX node runs in that node's scope: its errors, and the nodes a trace makes, name it.
      const out = inOnnxNode(node.scope, () => namedCall(node.name, () => fn(...args)), tracing || getContext().recording);
      const outs = Array.isArray(out) ? out : [out];
      if (outs.length !== node.outputs.length) {
        throw new Error(`SymbolBlock (${this.source}): ${nodeLabel(node.op, node.scope)} gave ${outs.length} outputs, the graph has ${node.outputs.length}`);
      }
      node.outputs.forEach((o, k) => env.set(o, outs[k]!));
      if (tracing && node.op === 'BatchNorm') this._writeBackMovingStats(F, node, ins);
    }
    // The graph's recorded fused recurrent calls are the trace's too (MXNet's writer writes each as one RNN node).
    if (tracing) remapRecurrentCalls(graph.nodes.flatMap((n) => n.outputs), (v) => (env.get(v) as Symbol | undefined)?.value);
    // An output that is a constant of the graph (folded when read) is a constant symbol while tracing.
    const res = graph.outputs.map((o) => get(o.value));
    // A file's sequence outputs come back as lists, its empty optional outputs as null.
    if (tree) return nestOutputs(res, tree) as Tensor | Tensor[];
    return res.length === 1 ? res[0]! : res;
  }

  /**
   * Traced in training mode, BatchNorm's new moving statistics (parameters
   * of this block) become outputs written back after each run, as eagerly the
   * operator updates them in place (MXNet's auxiliary states; `movingStatistics`).
   */
  private _writeBackMovingStats(F: F, node: Node, ins: Tensor[]): void {
    const attrs = withDefaults(getOp(node.op), node.attrs) as { axis?: number; momentum?: number; useGlobalStats?: boolean; training?: boolean | null };
    // The operator's own mode where the graph fixed one, else the current one (as its stateUpdate).
    if (!(attrs.training ?? isTrainingMode()) || attrs.useGlobalStats) return;
    const targets = node.inputs.slice(3, 5);
    if (targets.length < 2 || targets.some((v) => v.kind !== 'param' || !this.params.has(v.name))) return;
    const updated = movingStatistics(F, ins[0]!, ins[3]!, ins[4]!, attrs.axis ?? 1, attrs.momentum ?? 0.9);
    targets.forEach((v, k) => this.assignParam(this.params.get(v.name), updated[k]!));
  }

  /**
   * A parameter declared without a shape gets its rank, and the shape the
   * input types fix, from its first consumer's solve rule (`solveParamShape`),
   * as MXNet's shape inference does; the trace then completes its deferred
   * initialization. A consumer that cannot tell is an error naming the variable.
   */
  private _solveRanks(node: Node, ins: Symbol[]): void {
    const def = getOp(node.op);
    node.inputs.forEach((v, i) => {
      if (v.kind !== 'param' || !this._unshaped.has(v.name) || !this.params.has(v.name)) return;
      const p = this.params.get(v.name);
      const s = ins[i]!;
      if (!p.rankUnknown) return;
      const types = ins.map((x) => x.value.type);
      const shape = solveParamShape(def, types, i, withDefaults(def, node.attrs));
      if (!shape) {
        throw new Error(
          `SymbolBlock (${this.source}): cannot infer the shape of parameter '${v.name}' from operator '${node.op}' (inputs: ${types.map(formatType).join(', ')}); declare it: sym.var('${v.name}', { shape: [...] })`,
        );
      }
      s.value.type = { dtype: s.value.type.dtype, shape };
    });
  }

  private _checkInputs(graph: Graph, inputs: Tensor[]): void {
    const want = graph.inputs;
    const listing = want.map((v) => `${v.name}: ${formatType(v.type)}`).join(', ');
    const where = `SymbolBlock (${this.source})`;
    if (inputs.length !== want.length) throw new Error(`${where}: expects ${want.length} input(s) (${listing}), got ${inputs.length}`);
    const sizes = new Map<string, Dim>();
    want.forEach((v, i) => {
      const x = inputs[i];
      // An absent input (a hole in the call, MXNet's None) is not an input this graph can do without.
      if (x === undefined || x === null) throw new Error(`${where}: input ${i} ('${v.name}') is absent (${String(x)}), but the graph needs it; its inputs are ${listing}`);
      // A variable declared without a shape (SymbolBlock from symbols) takes any.
      if (!v.known) return;
      const shape = plainShape(x.shape);
      const bad = (why: string): Error =>
        new Error(`${where}: input ${i} ('${v.name}') must be ${formatType(v.type)}, got ${x.dtype} ${formatShape(shape)}: ${why}`);
      if (x.dtype !== v.type.dtype) throw bad('wrong dtype');
      if (shape.length !== v.type.shape.length) throw bad('wrong rank');
      v.type.shape.forEach((d, k) => {
        const got = shape[k]!;
        if (typeof d === 'number') {
          if (got !== d) throw bad(`dimension ${k} must be ${d}`);
        } else if (typeof got === 'number') {
          const prev = sizes.get(d);
          if (prev !== undefined && prev !== got) throw bad(`dimension ${k} ('${d}') is ${got}, but another input has '${d}' = ${prev}`);
          sizes.set(d, got);
        }
      });
    });
    // What the artifact's operators need of its sizes (a positional table's maxLen), refused as loadModel refuses it.
    const v = this.manifest?.constraints?.length ? firstViolation(this.manifest.constraints, sizes as Map<string, number>) : null;
    if (v) throw new Error(`${where}: the input sizes (${[...sizes].map(([k, n]) => `${k} = ${n}`).join(', ')}) do not fit: ${v.constraint.message}`);
  }
}

/** The parameters used only as BatchNorm's moving mean or variance (inputs 3 and 4). */
function runningStatistics(graph: Graph): Set<Value> {
  const out = new Set<Value>();
  for (const v of graph.params) {
    if (v.uses.length && v.uses.every((n) => n.op === 'BatchNorm' && n.inputs.indexOf(v) >= 3)) out.add(v);
  }
  return out;
}

/**
 * A block from an ONNX file (a path, or its bytes) that `readModel` reads; errors name `where`. A file with
 * sequence or optional inputs gets its parameters now (the float initializers its nodes use) and is read for
 * each structure a call has (symbol-io.ts).
 *
 * ```ts
 * const net = importOnnx('model.onnx', "SymbolBlock.imports('model.onnx')");
 * ```
 */
export function importOnnx(source: string | Uint8Array, where: string): SymbolBlock {
  const r = readModel(source, { deferBoundary: true });
  const block = new SymbolBlock(r.graph, r.manifest === null ? null : checkManifest(r.manifest, where), typeof source === 'string' ? source : 'model bytes');
  // The buffers torch's exporter records (register_buffer) never train, as PyTorch's do not.
  for (const name of r.frozen) if (block.params.has(name)) block.params.get(name).gradReq = 'null';
  if (hasBoundary(r.inputKinds, r.outputTree)) {
    block._io = { source, kinds: r.inputKinds, reads: new Map(), last: r.graph };
    // Tensor inputs only (sequence or optional outputs): this read is every call's (bindCall's key of all tensors).
    if (r.inputKinds.every((k) => k.kind === 'tensor')) block._io.reads.set(r.inputKinds.map(() => 'a').join('|'), { graph: r.graph, tree: r.outputTree });
  }
  return block;
}
