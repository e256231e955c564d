/**
 * `HybridBlock.export(path, { format: 'mxnet', epoch })`: a hybrid block in
 * MXNet's export format, what MXNet 1.x's `net.export(path, epoch)` writes:
 * `<path>-symbol.json` (nnvm's JSON graph: `nodes` with `op`, `name`,
 * `attrs` as strings and `inputs` as `[node, output, version]`, `arg_nodes`,
 * `node_row_ptr`, `heads`, `attrs.mxnet_version`) and `<path>-<epoch>.params`
 * (MXNet's NDArray list, `arg:`/`aux:` names, in the block's order).
 * The block is traced in prediction mode; each IR operator is written as
 * the MXNet operator `mxnet-ops.ts` maps it to (the table the reader reads
 * with), arithmetic as `elemwise_*` (equal shapes), `broadcast_*` or, with a
 * constant scalar operand, `_*_scalar`. Parameters take the names MXNet 1.x
 * gives blocks made outside any `name_scope` (`mxnet-names.ts`): `conv0_weight`,
 * `batchnorm0_running_mean`; BatchNorm's moving statistics are `aux:`.
 * Operator nodes are named so too (`dense0_fwd`), except a node that carries
 * its MXNet name (`Node.name`: a symbol's given or automatic name, kept by a
 * `SymbolBlock` built from symbols or read from MXNet's file), written as it is.
 * Zeros whose size is read from a traced input (a recurrent cell's
 * `beginState(x.shape[0])` exported with a symbolic batch) are MXNet's
 * `_zeros` with a 0 there, as MXNet's `begin_state` writes them
 * (`<prefix>begin_state_<k>`, `__layout__`), checked to be inferable
 * (`mxnet-deferred.ts`).
 * Invariants: nothing is written unless the whole graph maps (an operator
 * without an MXNet equivalent is an Error naming it and its block; a 0 MXNet
 * could not infer is one too); each file is written atomically.
 */
import type { HostTensor } from '../../runtime/tensor.js';
import { checkOptions } from '../../runtime/check-options.js';
import { Graph } from '../ir/graph.js';
import type { AttrValue, Node } from '../ir/node.js';
import type { Dim } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { withTrainingMode } from '../ops/mode.js';
import type { FileParameter, TraceableBlock } from './block-like.js';
import { resolveInputs, writeFileAtomic, type InputSpec } from './export.js';
import { encodeMxnetParams } from './mxnet-params.js';
import { mxnet1Naming, type AliasedBlock } from './mxnet-names.js';
import { MXNET_OPS, snake, type MxnetOpMapping } from './mxnet-ops.js';
import { recurrentCallOf, recurrentCalls, writeRecurrentCall, type RecurrentCall } from './mxnet-rnn-export.js';
import { beginStateOf, checkDeferred } from './mxnet-deferred.js';
import type { DimEntry } from '../ops/call.js';

/** Options of `export(path, { format: 'mxnet' })`. Example: `{ format: 'mxnet', epoch: 3 }`. */
export interface MxnetExportOptions {
  format: 'mxnet';
  /** The number in the parameter file's name, `<path>-%04d.params` (default 0), as MXNet's `epoch`. */
  epoch?: number;
  /** The inputs to trace with (names become the graph's input variables); default as for ONNX: the last call's, named `data` / `data0`, `data1`, ... */
  inputs?: Record<string, InputSpec>;
}

const MXNET_OPTIONS = ['format', 'epoch', 'inputs'];

/** What `export(path, { format: 'mxnet' })` wrote. */
export interface MxnetExportResult {
  format: 'mxnet';
  /** `<path>-symbol.json`. */
  symbolFile: string;
  /** `<path>-<epoch>.params`. */
  paramsFile: string;
  /** Both, in that order. */
  paths: [string, string];
}

/** A block the MXNet writer takes: traceable, with MXNet's names. */
export type MxnetExportable = TraceableBlock & AliasedBlock<FileParameter>;

/** One node of the written `-symbol.json`. */
interface JsonNode {
  op: string;
  name: string;
  attrs?: Record<string, string>;
  inputs: [number, number, number][];
}

/** The MXNet version the files claim: 1.9.1, whose format they follow. */
const MXNET_VERSION = 10901;

/**
 * MXNet's string for an attribute value (`True`, `(3, 3)`, `(2,)`, `None`),
 * or undefined where MXNet has none (an object, a symbolic dimension).
 * Example: `mxnetAttrString([1, 1])` is `'(1, 1)'`.
 */
export function mxnetAttrString(v: AttrValue): string | undefined {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (!v.every((x) => x === null || typeof x === 'number')) return undefined;
    const items = v.map((x) => mxnetAttrString(x)!);
    return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
  }
  return undefined;
}

/** A scalar operand's MXNet string: for a float32 one the shortest decimal that reads back as the same float32 (`0.1`, not `0.10000000149011612`). */
function scalarString(x: number, dtype: string): string {
  if (dtype !== 'float32' || !Number.isFinite(x) || Number.isInteger(x)) return mxnetAttrString(x)!;
  for (let p = 1; p <= 17; p++) {
    const s = String(Number(x.toPrecision(p)));
    if (Math.fround(Number(s)) === x) return s;
  }
  return String(x);
}

const sameShape = (a: Dim[], b: Dim[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** The value of a one-element constant (a scalar operand: `F.mul(x, 0.5)`), else undefined. */
function scalarOf(v: Value): number | undefined {
  if (v.kind !== 'const' || !v.data || v.data.data.length !== 1) return undefined;
  const x = v.data.data[0]!;
  return Number(x);
}

/** JSON indented as MXNet's writer does it, with lists of numbers (`[0, 0, 0]`) and lists of those on one line. */
function layoutJson(json: unknown): string {
  return JSON.stringify(json, null, 2)
    .replace(/\[\s+([-\d.,\s"a-z]*?)\s+\]/g, (_m, body: string) => `[${body.split(/,\s+/).join(', ')}]`)
    .replace(/\[\s+(\[[^[\]]*\](?:,\s+\[[^[\]]*\])*)\s+\]/g, (_m, body: string) => `[${body.split(/,\s+(?=\[)/).join(', ')}]`);
}

/**
 * Writes `block` as MXNet's `<prefix>-symbol.json` and `<prefix>-<epoch>.params`
 * (see the module comment) and returns the paths.
 *
 * ```ts
 * net.call(nd.ones([1, 784]));
 * exportMxnet(net, 'out/mlp', { format: 'mxnet' });   // out/mlp-symbol.json, out/mlp-0000.params
 * ```
 */
export function exportMxnet(block: MxnetExportable, prefix: string, options: MxnetExportOptions): MxnetExportResult {
  const label = `${block.constructor.name}.export${typeof prefix === 'string' ? ` to '${prefix}'` : ''} (format 'mxnet')`;
  if (typeof prefix !== 'string' || !prefix) throw new Error(`${label}: needs a path prefix (MXNet's export(path): 'model' writes model-symbol.json and model-0000.params), got ${JSON.stringify(prefix)}`);
  const onnxOnly = ['opset', 'compile', 'check', 'report'].find((k) => k in options);
  if (onnxOnly) throw new Error(`${label}: option '${onnxOnly}' applies to the ONNX artifact only (MXNet's files take: ${MXNET_OPTIONS.join(', ')})`);
  checkOptions(label, options, MXNET_OPTIONS);
  const epoch = options.epoch === undefined ? 0 : options.epoch;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new Error(`${label}: epoch must be a whole number 0 or more (it names the file <path>-%04d.params), got ${JSON.stringify(epoch)}`);
  }
  if (/(-symbol\.json|\.params|\.onnx|\.json)$/i.test(prefix)) {
    throw new Error(`${label}: '${prefix}' looks like a file name; MXNet's export takes a prefix ('model' writes model-symbol.json and model-${String(epoch).padStart(4, '0')}.params)`);
  }
  const symbolFile = `${prefix}-symbol.json`;
  const paramsFile = `${prefix}-${String(epoch).padStart(4, '0')}.params`;

  const inputTypes = resolveInputs(block, options, label);
  let traced: ReturnType<TraceableBlock['trace']>;
  try {
    // A block last called with lists is traced with their nesting, its arrays named data0, data1, ... depth first.
    traced = withTrainingMode(false, () => block.trace(inputTypes, block.lastFormat ?? null));
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}`);
  }
  const graph = Graph.fromOutputs(
    traced.inputs.map((s) => s.value),
    traced.outputs.map((s, i) => ({ name: `output${i}`, value: s.value })),
  );
  const naming = mxnet1Naming<FileParameter>(block);
  const byValue = new Map<Value, FileParameter>([...traced.ctx.symbols].map(([p, s]) => [s.value, p]));
  // A node's block: its scope is `<Root class>/<child>/<child>`; the block's path joins the children with '.'.
  const blockPath = (n: Node): string => {
    const parts = n.scope.split('/').slice(1);
    while (parts.length && !naming.prefixes.has(parts.join('.'))) parts.pop();
    return parts.join('.');
  };
  const blockName = (n: Node): string => {
    const p = blockPath(n);
    return `'${p || '(the block itself)'}' (${naming.blocks.get(p)?.constructor.name ?? block.constructor.name})`;
  };

  const nodes: JsonNode[] = [];
  // Each written node's output shapes, where known (for checkDeferred).
  const outShapes: (Dim[][] | undefined)[] = [];
  const blockPrefix = (b: object): string => {
    const at = [...naming.blocks].find(([, x]) => x === b)?.[0];
    return at === undefined ? '' : naming.prefixes.get(at) ?? '';
  };
  const index = new Map<Value, number>();
  const aux = new Set<Value>();
  const tensors: { name: string; tensor: HostTensor; value: Value }[] = [];
  const counters = new Map<string, number>();
  // Nodes that carry MXNet's name (a symbol's, or one read from a file) keep it; counted names skip those.
  const nodeNames = new Set(graph.nodes.map((n) => n.name).filter(Boolean));
  const uniqueName = (base: string): string => {
    let n = counters.get(base) ?? 0;
    while (nodeNames.has(`${base}${n}`)) n++;
    counters.set(base, n + 1);
    return `${base}${n}`;
  };
  const names = new Set<string>();
  const variable = (v: Value, user: Node | null): number => {
    const at = index.get(v);
    if (at !== undefined) return at;
    let name: string;
    if (v.kind === 'input') name = v.name;
    else if (v.kind === 'param') {
      const p = byValue.get(v);
      if (!p) throw new Error(`${label}: graph parameter '${v.name}' does not belong to a parameter of the block`);
      if (!p.initialized) throw new Error(`${label}: parameter '${v.name}' has not been initialized; call initialize() (and run the block once if its shape is inferred) before export`);
      name = naming.params.get(p) ?? v.name;
      tensors.push({ name, tensor: p.data()._host, value: v });
    } else {
      // A constant array (not a scalar operand) becomes a parameter, as MXNet's Constant is.
      name = uniqueName(`${user ? naming.prefixes.get(blockPath(user)) ?? '' : ''}const`);
      // MXNet 1.x has no 0-d arrays outside numpy mode: a number left as an operand is stored as shape [1], which broadcasts alike.
      const t = v.data!;
      tensors.push({ name, tensor: t.shape.length === 0 ? { ...t, shape: [1] } : t, value: v });
    }
    if (names.has(name)) throw new Error(`${label}: two variables of the graph would both be named '${name}'`);
    names.add(name);
    nodes.push({ op: 'null', name, inputs: [] });
    outShapes[nodes.length - 1] = [v.type.shape];
    index.set(v, nodes.length - 1);
    return nodes.length - 1;
  };

  const rowCounts: number[] = [];
  // A recurrent layer's call is written as MXNet's RNN operator (mxnet-rnn-export.ts), when its outputs are first read.
  const { inside } = recurrentCalls(graph.nodes, label);
  const slot = new Map<Value, number>();
  const written = new Set<RecurrentCall>();
  const ref = (v: Value, user: Node | null): [number, number, number] => {
    const call = recurrentCallOf(v);
    if (call && !written.has(call)) {
      written.add(call);
      const at = writeRecurrentCall(call, call.prefix ?? blockPrefix(call.block), {
        ref: (u) => ref(u, null),
        variable: (u) => variable(u, null),
        push: (node, outputs) => {
          nodes.push(node);
          rowCounts[nodes.length - 1] = outputs;
          return nodes.length - 1;
        },
        name: uniqueName,
      });
      call.outputs.forEach((o, i) => {
        index.set(o, at[i]![0]);
        slot.set(o, at[i]![1]);
      });
    }
    return v.producer ? [index.get(v)!, slot.get(v) ?? v.index, 0] : [variable(v, user), 0, 0];
  };
  for (const n of graph.nodes) {
    if (inside.has(n)) continue;
    const m: MxnetOpMapping | undefined = MXNET_OPS[n.op];
    const where = `operator '${n.op}' of block ${blockName(n)}`;
    if (n.op === 'zeros') {
      // MXNet's `_zeros`: a size read from a traced tensor is a 0 MXNet infers (checkDeferred below); a begin state is named as MXNet's begin_state names it.
      const dims = (n.attrs['shape'] as unknown as DimEntry[]).flatMap((e) => (typeof e === 'number' ? [e] : 'begin' in e ? new Array<number>(e.end - e.begin).fill(0) : [NaN]));
      if (dims.some(Number.isNaN)) throw new Error(`${label}: ${where}: a size given by a tensor's value has no MXNet form (MXNet's _zeros takes sizes, or a 0 it infers from the operators reading it)`);
      const out = n.outputs[0]!;
      const origin = beginStateOf(out);
      const attrs: Record<string, string> = { ...(origin ? { __layout__: origin.layout } : {}), dtype: out.type.dtype, shape: mxnetAttrString(dims)! };
      nodes.push({ op: '_zeros', name: n.name || uniqueName(origin ? `${blockPrefix(origin.block)}${origin.base}` : `${naming.prefixes.get(blockPath(n)) ?? ''}zeros`), attrs, inputs: [] });
      outShapes[nodes.length - 1] = [out.type.shape];
      index.set(out, nodes.length - 1);
      continue;
    }
    if (!m) throw new Error(`${label}: ${where} has no MXNet equivalent (export this block as ONNX instead: net.export('model.onnx'))`);
    const refused = m.refuse?.(n.inputs.map((v) => v.type.shape), n.attrs);
    if (refused) throw new Error(`${label}: ${where}: ${refused}`);
    let op = m.names[0]!;
    let inputs = n.inputs;
    const attrs: Record<string, string> = {};
    const [lhs, rhs] = n.inputs;
    const outShape = n.outputs[0]!.type.shape;
    const right = m.scalar && rhs ? scalarOf(rhs) : undefined;
    const left = (m.rscalar || m.commutative) && lhs ? scalarOf(lhs) : undefined;
    if (right !== undefined && sameShape(lhs!.type.shape, outShape) && lhs!.type.dtype === n.outputs[0]!.type.dtype) {
      op = m.scalar![0]!;
      attrs.scalar = scalarString(right, rhs!.type.dtype);
      inputs = [lhs!];
    } else if (left !== undefined && sameShape(rhs!.type.shape, outShape) && rhs!.type.dtype === n.outputs[0]!.type.dtype) {
      op = m.commutative ? m.scalar![0]! : m.rscalar![0]!;
      attrs.scalar = scalarString(left, lhs!.type.dtype);
      inputs = [rhs!];
    } else if (m.broadcast && !sameShape(lhs!.type.shape, rhs!.type.shape)) {
      op = m.broadcast;
    }
    for (const [k, v] of Object.entries(n.attrs)) {
      if (m.drop?.includes(k) || (v === false && m.omitFalse?.includes(k)) || ((v === null || v === undefined) && m.omitNull?.includes(k))) continue;
      const s = mxnetAttrString(v);
      if (s === undefined) throw new Error(`${label}: ${where}: attribute '${k}' = ${JSON.stringify(v)} has no MXNet form (MXNet's attributes are numbers, flags, strings and tuples of numbers; a symbolic dimension cannot be written)`);
      attrs[snake(k)] = s;
    }
    Object.assign(attrs, m.attrs ?? {});
    if (m.numArgs) attrs.num_args = String(inputs.length);
    const ins = inputs.map((v) => ref(v, n));
    if (n.op === 'BatchNorm') [n.inputs[3], n.inputs[4]].forEach((v) => v && aux.add(v));
    // A node's own MXNet name where it has one; else as MXNet names an operator called without a name inside a block: prefix, operator, count.
    const name = n.name || uniqueName(`${naming.prefixes.get(blockPath(n)) ?? ''}${op.toLowerCase().replace(/_/g, '')}`);
    nodes.push(Object.keys(attrs).length ? { op, name, attrs, inputs: ins } : { op, name, inputs: ins });
    n.outputs.forEach((o) => index.set(o, nodes.length - 1));
    outShapes[nodes.length - 1] = n.outputs.map((o) => o.type.shape);
    rowCounts[nodes.length - 1] = Math.max(m.outputs ?? 1, n.outputs.length);
  }
  const heads = graph.outputs.map(({ value: v }) => ref(v, null));
  try {
    checkDeferred(nodes, heads, (i) => outShapes[i]);
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}`);
  }

  const rowPtr = [0];
  nodes.forEach((_n, i) => rowPtr.push(rowPtr[i]! + (rowCounts[i] ?? 1)));
  const json = {
    nodes,
    arg_nodes: nodes.flatMap((n, i) => (n.op === 'null' ? [i] : [])),
    node_row_ptr: rowPtr,
    heads,
    attrs: { mxnet_version: ['int', MXNET_VERSION] },
  };
  // MXNet's export saves collect_params() in order: the block's structural order, then the constants.
  const order = new Map<FileParameter, number>();
  block.collectParams().entries().forEach(([, p], i) => order.has(p) || order.set(p, i));
  const rank = (t: (typeof tensors)[number]) => {
    const p = byValue.get(t.value);
    return p ? order.get(p) ?? Number.MAX_SAFE_INTEGER - 1 : Number.MAX_SAFE_INTEGER;
  };
  const saved = tensors.map((t, i) => ({ ...t, i })).sort((a, b) => rank(a) - rank(b) || a.i - b.i);
  const bytes = encodeMxnetParams(saved.map((t) => t.tensor), saved.map((t) => `${aux.has(t.value) ? 'aux' : 'arg'}:${t.name}`), paramsFile);
  writeFileAtomic(symbolFile, new TextEncoder().encode(`${layoutJson(json)}\n`), label);
  writeFileAtomic(paramsFile, bytes, label);
  return { format: 'mxnet', symbolFile, paramsFile, paths: [symbolFile, paramsFile] };
}
