/**
 * The main graph of a model file, read from the wire (runtime/proto-wire.ts)
 * without decoding tensors: its inputs and outputs (name, dtype, shape) and
 * its nodes' value edges, and the checks `readModelFile` makes on them — the
 * graph has no cycle, no value is produced twice, a graph input declares no
 * zero or negative dimension, and a gluonc manifest agrees with the graph
 * (names, dtypes, ranks, fixed dimensions).
 * Invariant: every walk here is linear in the size of the graph (one pass
 * over the fields, maps keyed by value name), so a 100,000-node model is
 * checked in a fraction of the time onnxruntime takes to load it.
 */
import { fromOnnxDType, type DType } from './dtypes.js';
import type { ArtifactIO, ArtifactManifest } from './manifest.js';
import { scanFields, wireFields, wireString, type WireField } from './proto-wire.js';
import { formatShape } from './tensor.js';

/** One input or output of the graph: dtype null when gluonc has no name for the ONNX type; shape null when undeclared. */
export interface GraphIO {
  name: string;
  dtype: DType | null;
  /** The ONNX element type number (0 when the value is not a tensor). */
  elemType: number;
  /** Fixed dimensions as numbers, symbolic ones by name, unnamed unknown ones as '?'. */
  shape: (number | string)[] | null;
}

/** What the main graph declares. Example: `{ inputs: [{ name: 'x', dtype: 'float32', elemType: 1, shape: ['N', 784] }], outputs: [...], nodes: 5 }`. */
export interface GraphSummary {
  /** The graph inputs that are not initializers (what a caller feeds). */
  inputs: GraphIO[];
  outputs: GraphIO[];
  /** Nodes in the main graph. */
  nodes: number;
  /** The main graph's operators that abort the process on an empty input (EMPTY_ABORTS), sorted; inputs with a 0 dimension are refused. */
  emptyAborts: string[];
}

/** ONNX operators whose onnxruntime CPU kernels abort the whole process (std::terminate) when the batch is empty. */
export const EMPTY_ABORTS: ReadonlySet<string> = new Set(['LSTM', 'GRU']);

/**
 * Reads and checks the main graph (GraphProto bytes `[graph.start, graph.end)`);
 * `refuse(why)` makes the error to throw. Throws WireError on corrupt bytes.
 *
 * ```ts
 * const g = readGraph(bytes, graphField, (why) => new Error(`'mlp.onnx': refused: ${why}`));
 * g.inputs[0].shape; // ['N', 784]
 * ```
 */
export function readGraph(bytes: Uint8Array, graph: WireField, refuse: (why: string) => Error): GraphSummary {
  const initializers = new Set<string>();
  const inputs: GraphIO[] = [];
  const outputs: GraphIO[] = [];
  const nodes = new NodeTable(bytes);
  scanFields(bytes, graph.start, graph.end, (f) => {
    if (f.wire !== 2) return;
    if (f.no === 1) nodes.add(f);
    else if (f.no === 5) initializers.add(tensorName(bytes, f, 8));
    else if (f.no === 15) {
      // SparseTensorProto: values (1) is a TensorProto whose name is the initializer's.
      for (const g of wireFields(bytes, f.start, f.end)) if (g.no === 1 && g.wire === 2) initializers.add(tensorName(bytes, g, 8));
    } else if (f.no === 11) inputs.push(readValueInfo(bytes, f));
    else if (f.no === 12) outputs.push(readValueInfo(bytes, f));
  });
  const fed = inputs.filter((x) => !initializers.has(x.name));
  for (const x of fed) {
    x.shape?.forEach((d, i) => {
      if (typeof d === 'number' && d <= 0) throw refuse(`graph input '${x.name}' declares dimension ${i} as ${d}; a graph input's fixed dimensions must be positive`);
    });
  }
  nodes.checkAcyclic(refuse);
  return { inputs: fed, outputs, nodes: nodes.count, emptyAborts: [...nodes.emptyAborts].sort() };
}

/**
 * The nodes' value edges in flat arrays (a node's inputs are
 * `inputNames[inputStart[i] .. inputStart[i + 1])`), with each value's
 * producer; names and operators are decoded again only for a message.
 */
class NodeTable {
  count = 0;
  /** Operators of EMPTY_ABORTS met in the default ONNX domain. */
  readonly emptyAborts = new Set<string>();
  private readonly spans: number[] = [];
  private readonly inputNames: string[] = [];
  private readonly inputStart: number[] = [0];
  private readonly producer = new Map<string, number>();
  private duplicate: { value: string; first: number; second: number } | null = null;

  constructor(private readonly bytes: Uint8Array) {}

  /** NodeProto: input (1), output (2), op_type (4), domain (7). */
  add(f: Readonly<WireField>): void {
    const i = this.count++;
    this.spans.push(f.start, f.end);
    let op = '';
    let domain = '';
    scanFields(this.bytes, f.start, f.end, (g) => {
      if (g.wire === 2 && g.no === 4) op = wireString(this.bytes, g);
      if (g.wire === 2 && g.no === 7) domain = wireString(this.bytes, g);
      if (g.wire !== 2 || (g.no !== 1 && g.no !== 2)) return;
      const name = wireString(this.bytes, g);
      if (name === '') return;
      if (g.no === 1) this.inputNames.push(name);
      else {
        const p = this.producer.get(name);
        if (p !== undefined) this.duplicate ??= { value: name, first: p, second: i };
        else this.producer.set(name, i);
      }
    });
    this.inputStart.push(this.inputNames.length);
    if (EMPTY_ABORTS.has(op) && (domain === '' || domain === 'ai.onnx')) this.emptyAborts.add(op);
  }

  /** `node 'name' (Op)`, or `node #i (Op)` for an unnamed one. */
  label(i: number): string {
    let name = '';
    let op = '';
    scanFields(this.bytes, this.spans[2 * i]!, this.spans[2 * i + 1]!, (g) => {
      if (g.wire === 2 && g.no === 3) name = wireString(this.bytes, g);
      if (g.wire === 2 && g.no === 4) op = wireString(this.bytes, g);
    });
    return `node ${name ? `'${name}' ` : `#${i} `}(${op || '?'})`;
  }

  /** Kahn's algorithm over the value edges: every node is reached, or the graph has a cycle (named by one of its nodes). */
  checkAcyclic(refuse: (why: string) => Error): void {
    const d = this.duplicate;
    if (d) throw refuse(`value '${d.value}' is produced twice, by ${this.label(d.first)} and by ${this.label(d.second)}`);
    const n = this.count;
    // The edges producer -> consumer in compressed rows: first count, then fill.
    const from = new Int32Array(this.inputNames.length).fill(-1);
    const waiting = new Int32Array(n);
    const rowStart = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      for (let k = this.inputStart[i]!; k < this.inputStart[i + 1]!; k++) {
        const p = this.producer.get(this.inputNames[k]!);
        if (p === undefined) continue;
        from[k] = p;
        waiting[i]!++;
        rowStart[p + 1]!++;
      }
    }
    for (let i = 0; i < n; i++) rowStart[i + 1]! += rowStart[i]!;
    const consumers = new Int32Array(rowStart[n]!);
    const fill = rowStart.slice(0, n);
    for (let i = 0; i < n; i++) for (let k = this.inputStart[i]!; k < this.inputStart[i + 1]!; k++) if (from[k]! >= 0) consumers[fill[from[k]!]!++] = i;
    const ready: number[] = [];
    for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
    let done = 0;
    while (ready.length) {
      const i = ready.pop()!;
      done++;
      for (let e = rowStart[i]!; e < rowStart[i + 1]!; e++) if (--waiting[consumers[e]!]! === 0) ready.push(consumers[e]!);
    }
    if (done < n) throw refuse(`the graph has a cycle through ${this.label(waiting.findIndex((w) => w > 0))}: a node depends on its own output`);
  }
}

/** The string field `no` of a message (a tensor's name is field 8). */
function tensorName(bytes: Uint8Array, f: WireField, no: number): string {
  let name = '';
  for (const g of wireFields(bytes, f.start, f.end)) if (g.no === no && g.wire === 2) name = wireString(bytes, g);
  return name;
}

/** ValueInfoProto: name (1), type (2) -> TypeProto.tensor_type (1) -> elem_type (1), shape (2) -> dim (1) -> dim_value (1) | dim_param (2). */
function readValueInfo(bytes: Uint8Array, f: WireField): GraphIO {
  const io: GraphIO = { name: '', dtype: null, elemType: 0, shape: null };
  for (const g of wireFields(bytes, f.start, f.end)) {
    if (g.no === 1 && g.wire === 2) io.name = wireString(bytes, g);
    if (g.no !== 2 || g.wire !== 2) continue;
    for (const t of wireFields(bytes, g.start, g.end)) {
      if (t.no !== 1 || t.wire !== 2) continue;
      for (const e of wireFields(bytes, t.start, t.end)) {
        if (e.no === 1 && e.wire === 0) io.elemType = e.value;
        else if (e.no === 2 && e.wire === 2) {
          io.shape = [];
          for (const d of wireFields(bytes, e.start, e.end)) if (d.no === 1 && d.wire === 2) io.shape.push(readDim(bytes, d));
        }
      }
    }
  }
  try {
    io.dtype = io.elemType ? fromOnnxDType(io.elemType) : null;
  } catch {
    io.dtype = null;
  }
  return io;
}

/** TensorShapeProto.Dimension: dim_value (1, int64) or dim_param (2). */
function readDim(bytes: Uint8Array, f: WireField): number | string {
  let dim: number | string = '?';
  for (const g of wireFields(bytes, f.start, f.end)) {
    if (g.no === 1 && g.wire === 0) dim = int64(bytes, g);
    else if (g.no === 2 && g.wire === 2) dim = wireString(bytes, g) || '?';
  }
  return dim;
}

/** A varint field as a signed 64-bit integer (negative dimensions are 10-byte varints). */
function int64(bytes: Uint8Array, f: WireField): number {
  let v = 0n;
  for (let i = f.end - 1; i >= f.start; i--) v = (v << 7n) | BigInt(bytes[i]! & 0x7f);
  return Number(BigInt.asIntN(64, v));
}

/**
 * Refuses a manifest that contradicts the graph it travels with: the same
 * input and output names, dtypes and ranks, and fixed dimensions that agree
 * (the manifest may name a dimension the graph leaves unknown, or fix one
 * the graph leaves symbolic, but not contradict a fixed one).
 *
 * ```ts
 * checkManifestAgainstGraph(manifest, readGraph(...), (why) => new Error(why));
 * ```
 */
export function checkManifestAgainstGraph(manifest: ArtifactManifest, graph: GraphSummary, refuse: (why: string) => Error): void {
  for (const what of ['input', 'output'] as const) {
    const declared = what === 'input' ? manifest.inputs : manifest.outputs;
    const actual = what === 'input' ? graph.inputs : graph.outputs;
    const has = (xs: { name: string }[]): string => (xs.length ? xs.map((x) => `'${x.name}'`).join(', ') : 'none');
    for (const m of declared) {
      const g = actual.find((x) => x.name === m.name);
      if (!g) throw refuse(`the manifest declares ${what} '${m.name}', which the graph does not have (the graph's ${what}s: ${has(actual)})`);
      checkOne(what, m, g, refuse);
    }
    for (const g of actual) {
      if (!declared.some((m) => m.name === g.name)) throw refuse(`the graph's ${what} '${g.name}' is missing from the manifest (the manifest's ${what}s: ${has(declared)})`);
    }
  }
}

function checkOne(what: string, m: ArtifactIO, g: GraphIO, refuse: (why: string) => Error): void {
  const graphType = g.dtype ?? `ONNX type ${g.elemType}`;
  const graphText = `${graphType}${g.shape ? ` ${formatShape(g.shape)}` : ''}`;
  const says = `the manifest declares ${what} '${m.name}' as ${m.dtype} ${formatShape(m.shape)} but the graph's is ${graphText}`;
  if (m.dtype !== g.dtype) throw refuse(`${says} (dtype)`);
  if (!g.shape) return;
  if (m.shape.length !== g.shape.length) throw refuse(`${says} (rank ${m.shape.length} vs ${g.shape.length})`);
  m.shape.forEach((d, i) => {
    const gd = g.shape![i]!;
    if (typeof gd === 'number' && d !== gd) throw refuse(`${says} (dimension ${i}: ${typeof d === 'number' ? d : `'${d}'`} vs ${gd})`);
  });
}
