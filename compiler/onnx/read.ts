/**
 * ONNX ModelProto bytes -> IR graph: the reverse of `emitModel`.
 *
 * A gluonc file is rebuilt exactly: the first ONNX node of each lowered IR
 * node carries `gluonc:{"op","attrs","n","scope","in","out"}`, and the `n`
 * consecutive ONNX nodes of that group become one IR node whose inputs and
 * outputs are the recorded `in`/`out` names (so helper constants of the
 * lowering never surface). Files from other tools are read node by node
 * through the importer's table (`./import/table.ts`: each standard ONNX
 * operator, in each opset's form, onto gluonc operators); anything else is
 * an Error naming the ONNX operator, the node and what does not map.
 * Invariants: every node's output types come from its operator's type rule
 * and agree with the types the file declares (graph outputs, value_info);
 * every error starts with `readModel:` and names the file (or "model bytes").
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { onnx as OnnxNs } from 'onnx-proto';
import { isFloat } from '../../runtime/dtypes.js';
import { narrowOfOnnx, narrowTensorFormat } from '../../runtime/narrow.js';
import { checkExternal } from '../../runtime/model-file.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { Graph } from '../ir/graph.js';
import { Node, type Attrs } from '../ir/node.js';
import type { Dim, TensorType } from '../ir/types.js';
import { formatType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { verifyGraph } from '../ir/verify.js';
import { withDefaults } from '../ops/call.js';
import { attrReviver } from './emit.js';
import { withScope } from '../ops/errors.js';
import { checkInputCount, inferOp } from '../ops/infer.js';
import { getOp, hasOp } from '../ops/registry.js';
import { exportedRecord } from './exported-constants.js';
import { fromTensorProto, onnx } from './proto.js';
import { makeImportCtx, markNarrow, shapeValueDims, type ImportCtx, type ReaderHooks } from './import/context.js';
import { checkAttributesRead, DOMAIN_IMPORTS, importNode } from './import/table.js';
import { checkSignature } from './import/schemas.js';
import { inlineGraph, mapIf, mapLoop, mapScan, type OpenScope } from './read-control.js';
import { mapSequence, SEQUENCE_OPS, type SequenceValue } from './read-sequence.js';
import { sameShape, typeOf } from './value-info.js';
import { bindBoundaryInput, boundaryOutput, inputKind, isBoundaryType, mapOptional, OPTIONAL_OPS, type BoundaryType, type InputKind, type IoTree } from './read-boundary.js';

/** The metadata key holding the gluonc manifest (a JSON object). */
export const MANIFEST_KEY = 'gluonc.manifest';

/** The gluonc manifest as stored in `metadata_props` (see API.md); other fields pass through. */
export interface ModelManifest {
  format?: number;
  inputs?: { name: string; dtype: string; shape: Dim[] }[];
  outputs?: { name: string; dtype: string; shape: Dim[] }[];
  /** Names of the initializers (or training-graph inputs) that are parameters. */
  params?: string[];
  [key: string]: unknown;
}

/** What `readModel` returns. */
export interface ReadModelResult {
  graph: Graph;
  /** The parsed `gluonc.manifest` metadata entry, or null when the file has none. */
  manifest: ModelManifest | null;
  /** The default-domain ONNX opset the file imports (0 for a file of only ai.onnx.preview.training's operators). */
  opset: number;
  /** Every `metadata_props` entry. */
  metadata: Record<string, string>;
  /** Parameters that never train: the buffers torch's exporter records (./exported-constants.ts). */
  frozen: Set<string>;
  /** The file's graph inputs (initializers aside): tensors, sequences, optionals (read-boundary.ts). */
  inputKinds: InputKind[];
  /** Per file output, how `graph.outputs` nest into it: an index, a list (a sequence's items), null (an empty optional). */
  outputTree: IoTree[];
}
/** Options of `readModel`: the types of its sequence and optional graph inputs for this read (read-boundary.ts). */
export interface ReadOptions {
  boundary?: Record<string, BoundaryType>;
  /**
   * A file with sequence or optional inputs is not read now: the graph holds only its parameters (the float
   * initializers its nodes use, as a full read makes them), for SymbolBlock, which reads it per call with `boundary`.
   */
  deferBoundary?: boolean;
}

/** The doc string the emitter writes on the first ONNX node of each IR node. */
interface GroupRecord {
  op: string;
  attrs: Attrs;
  n: number;
  scope?: string;
  in?: string[];
  out?: string[];
}

const DOC_PREFIX = 'gluonc:';

/**
 * Reads an ONNX model (bytes or a file path) back into an IR graph.
 *
 * ```ts
 * const { graph, manifest } = readModel(emitModel(g, { metadata }));
 * printGraph(graph) === printGraph(g); // for graphs traced with sym
 * ```
 */
export function readModel(source: Uint8Array | string, options: ReadOptions = {}): ReadModelResult {
  const where = typeof source === 'string' ? `'${source}'` : 'model bytes';
  const fail = (msg: string): Error => new Error(`readModel: ${where}: ${msg}`);
  const { model, bytes } = decodeModel(source, fail);
  const { opset, metadata, manifest } = modelHeader(model, fail);
  const dir = typeof source === 'string' ? path.dirname(source) : null;
  const record = exportedRecord(bytes);
  const reader = new GraphReader(model.graph!, manifest, fail, dir, record.constants);
  const inputKinds = (model.graph!.input ?? []).filter((vi) => !model.graph!.initializer?.some((t) => t.name === vi.name)).map(inputKind);
  if (options.deferBoundary && inputKinds.some((k) => k.kind !== 'tensor')) return { graph: reader.paramsGraph(), manifest, opset, metadata, frozen: record.buffers, inputKinds, outputTree: [] };
  const inputs = reader.readInputs(options.boundary ?? {});
  reader.readNodes(opset);
  const { outputs, tree } = reader.readOutputs();
  let graph: Graph;
  try {
    graph = verifyGraph(Graph.fromOutputs(inputs, outputs));
  } catch (e) {
    throw fail((e as Error).message);
  }
  return { graph, manifest, opset, metadata, frozen: record.buffers, inputKinds, outputTree: tree };
}

/** The file's (or the bytes') ModelProto, which must have a graph, and its bytes. */
function decodeModel(source: Uint8Array | string, fail: (msg: string) => Error): { model: OnnxNs.ModelProto; bytes: Uint8Array } {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = readFileSync(source);
    } catch (e) {
      throw fail(`cannot read the file: ${(e as Error).message}`);
    }
  } else bytes = source;
  if (!bytes.length) throw fail('empty input, not an ONNX model');
  let model: OnnxNs.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw fail(`not a valid ONNX model: protobuf decoding failed (${(e as Error).message}); the file is corrupt or truncated`);
  }
  if (!model.graph) throw fail('the model has no graph (corrupt or truncated file?)');
  return { model, bytes };
}

/** The default-domain opset, the metadata and the parsed gluonc manifest (null when absent). */
function modelHeader(model: OnnxNs.ModelProto, fail: (msg: string) => Error): { opset: number; metadata: Record<string, string>; manifest: ModelManifest | null } {
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const others = (model.opsetImport ?? []).map((o) => o.domain).filter((d): d is string => !!d);
  // A model of only mapped other domains (ai.onnx.preview.training's optimizers) has no default-domain
  // nodes; opset 0 marks that, and a default-domain node in it is refused (mapForeign).
  if (!opsetEntry && others.length && others.every((d) => d in DOMAIN_IMPORTS)) return { opset: 0, ...metadataOf(model, fail) };
  if (!opsetEntry) {
    throw fail(others.length ? `the model imports no default ONNX opset, only the domain(s) ${others.join(', ')}, whose operators gluonc does not map` : 'the model imports no default ONNX opset (corrupt or truncated file?)');
  }
  return { opset: Number(opsetEntry.version ?? 0), ...metadataOf(model, fail) };
}

/** The metadata and the parsed gluonc manifest (null when absent). */
function metadataOf(model: OnnxNs.ModelProto, fail: (msg: string) => Error): { metadata: Record<string, string>; manifest: ModelManifest | null } {
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) metadata[p.key] = p.value ?? '';
  let manifest: ModelManifest | null = null;
  if (metadata[MANIFEST_KEY] !== undefined) {
    try {
      manifest = JSON.parse(metadata[MANIFEST_KEY]!) as ModelManifest;
    } catch (e) {
      throw fail(`metadata '${MANIFEST_KEY}' is not valid JSON (${(e as Error).message})`);
    }
    if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) throw fail(`metadata '${MANIFEST_KEY}' is not a JSON object`);
  }
  return { metadata, manifest };
}

/** Rebuilds the IR values of one GraphProto: inputs, initializers as first used, node groups or foreign nodes, outputs. */
class GraphReader implements ForeignCtx {
  readonly values = new Map<string, Value>();
  readonly sequences = new Map<string, SequenceValue>();
  /** The graph inputs (filled by readInputs). */
  readonly inputs: Value[] = [];
  private readonly initCache = new Map<string, HostTensor>();
  private readonly initializers = new Map<string, OnnxNs.ITensorProto>();
  private readonly declared = new Map<string, OnnxNs.IValueInfoProto>();
  private readonly paramNames: Set<string>;
  private readonly isGluonc: boolean;
  private readonly nodes: OnnxNs.INodeProto[];

  constructor(
    private readonly g: OnnxNs.IGraphProto,
    private readonly manifest: ModelManifest | null,
    readonly fail: (msg: string) => Error,
    private readonly dir: string | null = null,
    /** Initializers the file's exporter marks as constant tensors or folded constants (./exported-constants.ts): never parameters. */
    private readonly exported: ReadonlySet<string> = new Set(),
  ) {
    this.paramNames = new Set(Array.isArray(manifest?.params) ? manifest.params.map(String) : []);
    this.nodes = g.node ?? [];
    this.isGluonc = this.nodes.some((n) => n.docString?.startsWith(DOC_PREFIX));
    for (const vi of [...(g.valueInfo ?? []), ...(g.output ?? [])]) if (vi.name) this.declared.set(vi.name, vi);
    for (const t of g.initializer ?? []) {
      if (!t.name) throw fail('an initializer has no name');
      this.initializers.set(t.name, t);
    }
  }

  private read: Set<string> | null = null;

  /** Every name a node (or a subgraph body, at any depth) reads, and the graph outputs. */
  private readNames(): Set<string> {
    if (this.read) return this.read;
    const read = new Set<string>((this.g.output ?? []).map((vi) => vi.name ?? ''));
    const visit = (nodes: OnnxNs.INodeProto[]): void => {
      for (const n of nodes) {
        for (const i of n.input ?? []) read.add(i);
        for (const a of n.attribute ?? []) for (const g of a.g ? [a.g] : a.graphs ?? []) visit(g.node ?? []);
      }
    };
    visit(this.nodes);
    return (this.read = read);
  }

  /** Graph inputs (an input that is also an initializer is a parameter with a default). */
  readInputs(boundary: Record<string, BoundaryType>): Value[] {
    const inputs = this.inputs;
    const taken = new Set((this.g.input ?? []).map((vi) => vi.name ?? ''));
    for (const vi of this.g.input ?? []) {
      const name = vi.name ?? '';
      if (!name) throw this.fail('a graph input has no name');
      if (this.initializers.has(name)) continue;
      if (isBoundaryType(vi.type)) {
        bindBoundaryInput(vi, boundary[name], this, taken);
        continue;
      }
      const type = typeOf(vi, this.fail, `graph input '${name}'`, true);
      const v = this.paramNames.has(name) ? Value.param(name, type) : Value.input(name, type);
      markNarrow(v, narrowOfOnnx(vi.type?.tensorType?.elemType ?? 0));
      this.values.set(name, v);
      if (v.kind === 'input') inputs.push(v);
    }
    return inputs;
  }

  /** A graph of the parameters only: the initializers the nodes use that a full read makes parameters (`deferBoundary`). */
  paramsGraph(): Graph {
    const used = this.readNames();
    const params = [...this.initializers.keys()].filter((n) => used.has(n)).map((n) => this.initValue(n)!).filter((v) => v.kind === 'param');
    return new Graph([], params, [], [], []);
  }

  /** An initializer's data without making it a value (null when `name` is no initializer). */
  initializerData(name: string): HostTensor | null {
    const t = this.initializers.get(name);
    if (!t) return null;
    let data = this.initCache.get(name);
    if (!data) {
      data = this.tensorData(t, `initializer '${name}'`);
      this.initCache.set(name, data);
    }
    return data;
  }

  /** An initializer's data, external data included; a failure names `where` (see ForeignCtx). */
  tensorData(t: OnnxNs.ITensorProto, where: string): HostTensor {
    try {
      return fromTensorProto(withExternalData(t, this.dir, (why) => this.fail(`${where}: ${why}`)));
    } catch (e) {
      if ((e as Error).message.startsWith('readModel:')) throw e;
      throw this.fail(`${where}: ${(e as Error).message}`);
    }
  }

  /**
   * Initializers become values when first used: parameters, or constants of the traced graph.
   * In other tools' files the float initializers of rank >= 1 are the parameters; integer and scalar ones are constants,
   * and so are those torch's exporter records as constant tensors or folded from its own temporaries (`exported`).
   */
  private initValue(name: string): Value | undefined {
    const data = this.initializerData(name);
    if (!data) return undefined;
    const foreignParam = !this.isGluonc && isFloat(data.dtype) && data.shape.length > 0 && !this.exported.has(name);
    const isParam = this.paramNames.has(name) || foreignParam || (this.isGluonc && !this.manifest && !/^const\d+$/.test(name));
    const v = isParam ? Value.param(name, { dtype: data.dtype, shape: data.shape }, data) : Value.constant(data);
    markNarrow(v, narrowTensorFormat(data));
    this.values.set(name, v);
    return v;
  }

  resolve(name: string, user: string): Value {
    const v = this.values.get(name) ?? this.initValue(name);
    const s = v ? undefined : this.sequences.get(name);
    if (s) throw this.fail(s.absent ? `${user} uses the empty optional '${name}' where a tensor is needed` : `${user} uses the sequence '${name}' where a tensor is needed (sequences are read only through SequenceAt, SequenceLength, ConcatFromSequence, SequenceMap and the other sequence operators)`);
    if (!v) throw this.fail(`${user} uses '${name}', which no graph input, initializer or earlier node defines`);
    return v;
  }

  /** Checks a node output's inferred type against what the file declares for that name. */
  checkDeclared(name: string, v: Value, user: string, strictSymbols: boolean): void {
    const vi = this.declared.get(name);
    if (!vi?.type?.tensorType) return;
    const t = typeOf(vi, this.fail, `value '${name}'`, false);
    const ok = t.dtype === v.type.dtype && (!vi.type.tensorType.shape || sameShape(t.shape, v.type.shape, strictSymbols));
    if (!ok) throw this.fail(`${user}: '${name}' is declared ${formatType(t)} but the type rule gives ${formatType(v.type)}`);
  }

  makeNode(op: string, ins: Value[], attrs: Attrs, scope: string, user: string, normalize: boolean): Node {
    const def = getOp(op);
    const types = ins.map((v) => v.type);
    let a = attrs;
    let outTypes: TensorType[];
    try {
      if (normalize) ({ attrs: a, outTypes } = inferOp(def, types, withDefaults(def, attrs)));
      else outTypes = withScope(scope, () => (checkInputCount(def, types), def.infer(types, attrs as never)));
    } catch (e) {
      throw this.fail(`${user} (${op}): ${(e as Error).message}`);
    }
    return Node.create(op, ins, a, outTypes, scope);
  }

  /** Every node: a gluonc group becomes its recorded IR node, a foreign node its gluonc equivalent. */
  readNodes(opset: number): void {
    const nodes = this.nodes;
    for (let i = 0; i < nodes.length; ) {
      const first = nodes[i]!;
      if (first.docString?.startsWith(DOC_PREFIX)) {
        i += this.readGroup(i);
        continue;
      }
      readForeign(first, nodeLabel(first, i), opset, this);
      i++;
    }
  }

  /** The group of ONNX nodes starting at `i` that one IR node was lowered to; returns its length. */
  private readGroup(i: number): number {
    const nodes = this.nodes;
    const first = nodes[i]!;
    const label = nodeLabel(first, i);
    const rec = parseRecord(first.docString!.slice(DOC_PREFIX.length), (m) => this.fail(`node '${label}': ${m}`));
    if (i + rec.n > nodes.length) throw this.fail(`node '${label}' starts a group of ${rec.n} ONNX nodes but only ${nodes.length - i} remain (truncated file?)`);
    const group = nodes.slice(i, i + rec.n);
    const inner = group.findIndex((n, k) => k > 0 && n.docString?.startsWith(DOC_PREFIX));
    if (inner >= 0) throw this.fail(`node '${label}' starts a group of ${rec.n} ONNX nodes that overlaps the group of node '${nodeLabel(group[inner]!, i + inner)}'`);
    if (!hasOp(rec.op)) throw this.fail(`node '${label}' records operator '${rec.op}', which this gluonc does not have`);
    const produced = new Set(group.flatMap((n) => n.output ?? []));
    const ins = rec.in ?? firstUse(group, produced);
    const outs = rec.out ?? groupOutputs(group, nodes.slice(i + rec.n), this.g.output ?? []);
    // The emitter drops nodes nothing depends on (peephole.ts `dropDead`): an output of the record that no
    // node computes is fine while nothing reads it either.
    for (const o of outs) if (!produced.has(o) && this.readNames().has(o)) throw this.fail(`node '${label}' (${rec.op}): output '${o}' is not computed by its group`);
    const user = `node '${label}'`;
    const node = this.makeNode(rec.op, ins.filter((s) => s !== '').map((s) => this.resolve(s, user)), rec.attrs, rec.scope ?? '', user, false);
    if (node.outputs.length !== outs.length) {
      throw this.fail(`${user} (${rec.op}): the file names ${outs.length} output(s), the type rule gives ${node.outputs.length}`);
    }
    outs.forEach((o, k) => {
      this.values.set(o, node.outputs[k]!);
      this.checkDeclared(o, node.outputs[k]!, `${user} (${rec.op})`, true);
    });
    return rec.n;
  }

  /** The graph outputs, each checked against its declared type; a sequence's items or an empty optional's none (read-boundary.ts). */
  readOutputs(): { outputs: { name: string; value: Value }[]; tree: IoTree[] } {
    const outputs: { name: string; value: Value }[] = [];
    const tree = (this.g.output ?? []).map((vi): IoTree => {
      const name = vi.name ?? '';
      const v = this.values.get(name) ?? this.initValue(name);
      const s = v ? undefined : this.sequences.get(name);
      if (s) {
        if (vi.type?.tensorType) throw this.fail(`graph output '${name}' is declared a tensor, but the file computes ${s.absent ? 'an empty optional' : 'a sequence'} for it`);
        return boundaryOutput(name, s, outputs, this.fail);
      }
      if (!v) throw this.fail(`graph output '${name}' is not computed by any node`);
      if (vi.type?.sequenceType) throw this.fail(`graph output '${name}' is declared a sequence, but the file computes a tensor for it`);
      // A shape (or a float Cast of one) as an output: computed when the graph runs, as where it is used as data.
      const out = shapeValueDims(v) ? makeImportCtx({ opType: 'Identity', input: [name], output: [name] }, `graph output '${name}'`, 0, hooksOf(this)).input(0) : v;
      this.checkDeclared(name, out, `graph output '${name}'`, this.isGluonc);
      outputs.push({ name, value: out });
      return outputs.length - 1;
    });
    if (!tree.length) throw this.fail('the graph has no outputs (corrupt or truncated file?)');
    return { outputs, tree };
  }
}

/**
 * A TensorProto whose external data (ONNX's `location`/`offset`/`length`, a file
 * in the model's folder) is read into `rawData`; others are returned as they are.
 */
function withExternalData(t: OnnxNs.ITensorProto, dir: string | null, refuse: (why: string) => Error): OnnxNs.ITensorProto {
  if (t.dataLocation !== 1 && !t.externalData?.length) return t;
  const entries: Record<string, string> = {};
  for (const kv of t.externalData ?? []) if (kv.key) entries[kv.key] = kv.value ?? '';
  const num = (k: string): number | undefined => (entries[k] === undefined ? undefined : Number(entries[k]));
  const ext = { tensor: t.name ?? '', location: entries['location'], offset: num('offset') ?? 0, length: num('length') };
  const file = checkExternal(ext, dir, refuse);
  const length = ext.length ?? statSync(file).size - ext.offset;
  const rawData = new Uint8Array(length);
  const fd = openSync(file, 'r');
  try {
    for (let got = 0; got < length; ) {
      const n = readSync(fd, rawData, got, length - got, ext.offset + got);
      if (n === 0) throw refuse(`tensor '${ext.tensor}' has external data at '${ext.location}' that ends early`);
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return { ...t, dataLocation: 0, externalData: [], rawData };
}

/** A node's name for messages (`#i` when unnamed). */
function nodeLabel(n: OnnxNs.INodeProto, i: number): string {
  return n.name || `#${i}`;
}

interface ForeignCtx {
  inputs: Value[];
  resolve(name: string, user: string): Value;
  initializerData(name: string): HostTensor | null;
  makeNode(op: string, ins: Value[], attrs: Attrs, scope: string, user: string, normalize: boolean): Node;
  checkDeclared(name: string, v: Value, user: string, strictSymbols: boolean): void;
  values: Map<string, Value>;
  /** Sequences built by the file's sequence operators (read-sequence.ts). */
  sequences: Map<string, SequenceValue>;
  fail: (msg: string) => Error;
  /** The data of an initializer (of the graph or of an `If` branch), external data included; errors name `where`. */
  tensorData(t: OnnxNs.ITensorProto, where: string): HostTensor;
}

/**
 * A subgraph's own names over the reader's (a Loop body, unrolled or read
 * as a body, read-control.ts and read-loop.ts): its values and sequences
 * are its own, names it does not define resolve in the reader, and the
 * nodes it makes are listed.
 */
class ScopeReader implements ForeignCtx {
  readonly values = new Map<string, Value>();
  readonly sequences: Map<string, SequenceValue>;
  readonly made = new Set<Node>();
  readonly inputs: Value[];
  readonly fail: (msg: string) => Error;

  constructor(private readonly outer: ForeignCtx, inputs: Value[]) {
    this.inputs = [...inputs, ...outer.inputs];
    this.fail = outer.fail;
    // The sequences built so far are readable inside; those the subgraph builds stay in it.
    this.sequences = new Map(outer.sequences);
  }

  resolve(name: string, user: string): Value {
    return this.values.get(name) ?? this.outer.resolve(name, user);
  }

  initializerData(name: string): HostTensor | null {
    return this.values.has(name) ? null : this.outer.initializerData(name);
  }

  makeNode(op: string, ins: Value[], attrs: Attrs, scope: string, user: string, normalize: boolean): Node {
    const node = this.outer.makeNode(op, ins, attrs, scope, user, normalize);
    this.made.add(node);
    return node;
  }

  checkDeclared(): void {}

  tensorData(t: OnnxNs.ITensorProto, where: string): HostTensor {
    return this.outer.tensorData(t, where);
  }
}

/** What a node's builder context reads of the reader `c` (its values, initializers, graph inputs, node maker). */
function hooksOf(c: ForeignCtx, opset = 0): ReaderHooks {
  return {
    inline: (g, where, ins, refuse) => inlineGraph(g, where, ins, opener(c, opset), refuse),
    resolve: (name, who) => c.resolve(name, who),
    initializerData: (name) => c.initializerData(name),
    makeNode: (op, ins, attrs, who, scope) => c.makeNode(op, ins, attrs, scope, who, true).outputs,
    inputs: () => c.inputs,
    scope: c,
    tensor: fromTensorProto,
  };
}

/** Maps one standard ONNX node through the importer's table; a refusal names the file (or "model bytes") too. */
function readForeign(n: OnnxNs.INodeProto, label: string, opset: number, c: ForeignCtx): void {
  const prefix = 'readModel: ';
  const named = c.fail('').message;
  try {
    mapForeign(n, label, opset, c);
  } catch (e) {
    const m = (e as Error).message ?? '';
    if (m.startsWith(prefix) && !m.startsWith(named)) throw c.fail(m.slice(prefix.length));
    throw e;
  }
}

/** Control flow, read where it is decided as the file is read (read-control.ts). */
const CONTROL: Record<string, typeof mapLoop | undefined> = { If: mapIf, Loop: mapLoop, Scan: mapScan };

/** Maps one standard ONNX node through the importer's table (compiler/onnx/import). */
function mapForeign(n: OnnxNs.INodeProto, label: string, opset: number, c: ForeignCtx): void {
  const opType = n.opType ?? '';
  const domain = n.domain && n.domain !== 'ai.onnx' ? n.domain : '';
  if (!domain && opset === 0) throw new Error(`readModel: ONNX operator '${opType}' (node '${label}') has no gluonc equivalent: the model imports no default ONNX opset`);
  checkSignature(opType, domain, opset, n.input ?? [], n.output ?? [], (n.attribute ?? []).map((a) => a.name ?? ''), label);
  const user = `node '${label}'`;
  const ctx = makeImportCtx(n, label, opset, hooksOf(c, opset));
  if (domain) return void setOutputs(n, importNode(ctx, domain), ctx, c, `${user} (${domain}.${opType})`);
  const seqIn = OPTIONAL_OPS.has(opType) || (opType === 'Identity' && c.sequences.has(n.input?.[0] ?? ''));
  if (SEQUENCE_OPS.has(opType) || seqIn) {
    const v = seqIn ? mapOptional(n, ctx, c) : mapSequence(n, ctx, c);
    checkAttributesRead(ctx, []);
    if (v) c.values.set(n.output?.[0] ?? '', v);
    return;
  }
  const control = CONTROL[opType];
  if (control) {
    const outs = control(n, label, ctx, c, (m, sub) => readForeign(m, sub, opset, c), opener(c, opset));
    return void (n.output ?? []).forEach((name, k) => {
      const v = outs[k]!;
      if (!name) return;
      if (!(v instanceof Value)) return void c.sequences.set(name, v);
      c.values.set(name, v);
      if (!shapeValueDims(v)) c.checkDeclared(name, v, `${user} (${opType})`, false);
    });
  }
  setOutputs(n, importNode(ctx), ctx, c, `${user} (${opType})`);
}

/** Opens scopes of their own over `c` for subgraphs, whose nodes are read like the outer graph's. */
function opener(c: ForeignCtx, opset: number): OpenScope {
  return (inputs) => {
    const scope = new ScopeReader(c, inputs);
    return Object.assign(scope, { read: (m: OnnxNs.INodeProto, sub: string) => readForeign(m, sub, opset, scope) });
  };
}

/** Binds the node's named outputs to the builder's values, checked against their declared types. */
function setOutputs(n: OnnxNs.INodeProto, outs: Value[], ctx: ImportCtx, c: ForeignCtx, who: string): void {
  (n.output ?? []).forEach((name, k) => {
    if (!name) return;
    const v = outs[k];
    if (!v) throw ctx.refuse(`its output ${k} ('${name}') is not supported`);
    c.values.set(name, v);
    if (!shapeValueDims(v)) c.checkDeclared(name, v, who, false);
  });
}

function parseRecord(json: string, fail: (m: string) => Error): GroupRecord {
  let r: unknown;
  try {
    r = JSON.parse(json, attrReviver);
  } catch (e) {
    throw fail(`its gluonc doc string is not valid JSON (${(e as Error).message})`);
  }
  const rec = r as GroupRecord;
  const names = (x: unknown) => x === undefined || (Array.isArray(x) && x.every((s) => typeof s === 'string'));
  if (
    !rec || typeof rec !== 'object' || typeof rec.op !== 'string' || !Number.isInteger(rec.n) || rec.n < 1 ||
    (rec.attrs !== undefined && (typeof rec.attrs !== 'object' || rec.attrs === null || Array.isArray(rec.attrs))) ||
    (rec.scope !== undefined && typeof rec.scope !== 'string') || !names(rec.in) || !names(rec.out)
  ) {
    throw fail(`its gluonc doc string ${json.slice(0, 200)} is malformed`);
  }
  return { ...rec, attrs: rec.attrs ?? {} };
}

/** Names a group consumes but does not produce, in order of first use (files written before `in` was recorded). */
function firstUse(group: OnnxNs.INodeProto[], produced: Set<string>): string[] {
  const out: string[] = [];
  for (const n of group) for (const s of n.input ?? []) if (s && !produced.has(s) && !out.includes(s)) out.push(s);
  return out;
}

/** Names a group produces that later nodes or the graph outputs use (files written before `out` was recorded). */
function groupOutputs(group: OnnxNs.INodeProto[], rest: OnnxNs.INodeProto[], graphOut: OnnxNs.IValueInfoProto[]): string[] {
  const used = new Set([...rest.flatMap((n) => n.input ?? []), ...graphOut.map((o) => o.name ?? '')]);
  return group.flatMap((n) => n.output ?? []).filter((s) => used.has(s));
}
