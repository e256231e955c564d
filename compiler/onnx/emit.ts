/**
 * IR graph -> ONNX ModelProto bytes. Each IR node is lowered by its
 * operator's `lower`; parameters and constants become initializers. The first
 * ONNX node of every lowered IR node carries a `gluonc:` doc string recording
 * the IR operator, its attributes and input/output names, so `readModel`
 * can rebuild the IR. Lowerings write one ONNX form; each node they emit is
 * rewritten into the target opset's form (`legalizeNode`) and checked
 * against what that opset has (`onnxNeeds`), see opset-forms.ts.
 * A peephole (peephole.ts) then rewrites Reshape chains onnxruntime fails to
 * load and drops dead nodes.
 * Invariant: ONNX names are unique; graph outputs carry their public names.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import { scalarTensor, type HostTensor } from '../../runtime/tensor.js';
import { fromOnnxDType, type DType } from '../../runtime/dtypes.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import type { LowerCtx, OnnxAttr } from '../ops/define.js';
import { getOp } from '../ops/registry.js';
import { namingOnnxNode, nodeLabel } from '../ops/errors.js';
import { splitScope } from '../../runtime/run-error.js';
import { isConcrete } from '../ir/types.js';
import { checkOpsetRange, legalizeNode, MAX_OPSET, MIN_OPSET, onnxNeeds, RAISED_OPSET, type LegalizeEnv, type PendingNode } from './opset-forms.js';
import { outputDType, rewriteInt64MinMax } from './int64-minmax.js';
import { peephole } from './peephole.js';
import { onnx, tensorProto, valueInfo } from './proto.js';

/** The default ONNX opset (onnxruntime 1.30 has no random kernels above 21). */
export const DEFAULT_OPSET = 21;

/**
 * The lowest opset the lowering of operator `op` supports (its declaration's
 * `minOpset`, else `MIN_OPSET`).
 *
 * ```ts
 * minOpsetOf('FullyConnected'); // 13
 * ```
 */
export function minOpsetOf(op: string): number {
  return Math.max(getOp(op).minOpset ?? MIN_OPSET, MIN_OPSET);
}

/**
 * The newest opset operator `op`'s lowering may be written at: its declaration's `maxOpset`; a random
 * operator's is 21 (onnxruntime 1.30 has no kernels for RandomUniformLike, RandomNormalLike, Bernoulli,
 * Multinomial or Dropout above 21); otherwise `RAISED_OPSET`.
 *
 * ```ts
 * maxOpsetOf('randomUniformLike'); // 21
 * ```
 */
export function maxOpsetOf(op: string): number {
  const def = getOp(op);
  return def.maxOpset ?? (def.random ? MAX_OPSET : RAISED_OPSET);
}

/**
 * The opset a graph is written at when none is asked for: `DEFAULT_OPSET`, raised to the
 * highest `minOpset` of its operators (26 for a graph holding `bitcast`, ONNX's BitCast);
 * an Error naming both operators when one of them cannot be written that high
 * ("bitcast needs opset 26, but randomUniformLike is written at opset 21 at most").
 *
 * ```ts
 * graphOpset(g); // 21, or 26 with a bitcast
 * ```
 */
export function graphOpset(g: Graph): number {
  let need: Node | null = null;
  for (const node of g.nodes) if (minOpsetOf(node.op) > (need ? minOpsetOf(need.op) : DEFAULT_OPSET)) need = node;
  if (!need) return DEFAULT_OPSET;
  const opset = minOpsetOf(need.op);
  const capped = g.nodes.find((n) => maxOpsetOf(n.op) < opset);
  if (capped) {
    throw new Error(`no ONNX opset fits this graph: ${nodeLabel(need.op, need.scope)} needs opset ${opset}, but ${nodeLabel(capped.op, capped.scope)} is written at opset ${maxOpsetOf(capped.op)} at most`);
  }
  return opset;
}

/**
 * Throws unless every node of `g` can be lowered at `opset`: an Error naming
 * the first operator whose declared minimum is higher ("opset 12 is too
 * low: GroupNorm needs opset 13"), or the supported range (13 to 21).
 *
 * ```ts
 * checkGraphOpset(g, 17);
 * ```
 */
export function checkGraphOpset(g: Graph, opset: number): void {
  if (!Number.isInteger(opset)) checkOpsetRange(opset);
  for (const node of g.nodes) {
    const min = minOpsetOf(node.op);
    if (opset < min) throw new Error(`opset ${opset} is too low: ${nodeLabel(node.op, node.scope)} needs opset ${min}`);
  }
  // Above MAX_OPSET only where the graph's operators need it (graphOpset).
  if (opset > MAX_OPSET && opset <= RAISED_OPSET && opset === graphOpset(g)) return;
  checkOpsetRange(opset);
}

/** Options for `emitModel`. */
export interface EmitOptions {
  opset?: number;
  /** Key/value pairs for `metadata_props` (e.g. the gluonc manifest). */
  metadata?: Record<string, string>;
  /** Write output shapes into the graph (default true). */
  outputShapes?: boolean;
  /** Input shapes to declare instead of the IR's (eager graphs declare rank-only symbolic shapes). */
  inputShapes?: Map<Value, (number | string)[]>;
  /** Parameters become graph inputs instead of initializers (training graphs). */
  paramsAsInputs?: boolean;
  graphName?: string;
  producerVersion?: string;
}

/**
 * Lowers `g` to ONNX bytes.
 *
 * ```ts
 * const bytes = emitModel(Graph.fromOutputs([x], { y }), { opset: 21 });
 * ```
 */
export function emitModel(g: Graph, options: EmitOptions = {}): Uint8Array {
  return onnx.ModelProto.encode(buildModel(g, options)).finish();
}

/** Lowers `g` to a ModelProto object (not yet encoded): names the values, lowers each node, then assembles the graph. */
export function buildModel(g: Graph, options: EmitOptions = {}): OnnxNs.IModelProto {
  const opset = options.opset ?? graphOpset(g);
  checkGraphOpset(g, opset);
  const b = new ModelBuilder(opset);
  b.nameGraphValues(g);
  for (const node of g.nodes) b.lowerNode(node);
  const output = b.graphOutputs(g, options);
  b.runPeephole(g, options);
  b.dropUnusedInitializers();
  const input = b.graphInputs(g, options);
  const opsetImport: OnnxNs.IOperatorSetIdProto[] = [{ domain: '', version: opset }];
  for (const d of b.domains) opsetImport.push({ domain: d, version: 1 });
  return {
    irVersion: 10,
    producerName: 'gluonc',
    producerVersion: options.producerVersion ?? '',
    opsetImport,
    graph: { name: options.graphName ?? 'gluonc', node: b.nodes, input, output, initializer: b.initializers },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}

/** The state of one lowering: unique ONNX names for IR values, and the nodes, initializers and domains emitted so far. */
class ModelBuilder {
  readonly nodes: OnnxNs.INodeProto[] = [];
  /** Where `emit` appends: the graph's node list, or a subgraph's while `LowerCtx.graph` builds one. */
  private target: OnnxNs.INodeProto[] = this.nodes;
  readonly initializers: OnnxNs.ITensorProto[] = [];
  readonly domains = new Set<string>();
  private readonly names = new Map<Value, string>();
  /** The dtype of each ONNX name where it is known (IR values, constants, outputs of dtype-preserving nodes): for `rewriteInt64MinMax`. */
  private readonly dtypes = new Map<string, DType>();
  private readonly used = new Set<string>();
  /** Graph outputs produced by a node take the output's public name directly. */
  private readonly outputNodeNames = new Map<Value, string>();
  private readonly intCache = new Map<string, string>();
  /** The values of 1-D int64 initializers by name (for `legalizeNode`). */
  private readonly intValues = new Map<string, readonly number[]>();
  /** The values of 0-D int64 initializers by name (for the peephole). */
  private readonly intScalars = new Map<string, number>();
  /** Each lowered IR node's ONNX nodes (top level) and the record its first one carries (written by `runPeephole`). */
  private readonly groups: { nodes: OnnxNs.INodeProto[]; record: { op: string; attrs: unknown; scope?: string; in: string[]; out: string[] } }[] = [];
  private counter = 0;

  constructor(private readonly opset: number) {}

  /** A name not used yet, `<hint><n>`. */
  fresh(hint: string): string {
    let n = `${hint}${this.counter++}`;
    while (this.used.has(n)) n = `${hint}${this.counter++}`;
    this.used.add(n);
    return n;
  }

  /** Names inputs and parameters by their own names, node-produced outputs by their public names, constants `const<n>`. */
  nameGraphValues(g: Graph): void {
    const claim = (v: Value, name: string): void => {
      if (this.used.has(name)) throw new Error(`two graph values are named '${name}'`);
      this.used.add(name);
      this.names.set(v, name);
      this.dtypes.set(name, v.type.dtype);
    };
    for (const v of g.inputs) claim(v, v.name);
    for (const p of g.params) claim(p, p.name);
    for (const o of g.outputs) {
      if (o.value.producer && !this.outputNodeNames.has(o.value) && !this.used.has(o.name)) {
        this.outputNodeNames.set(o.value, o.name);
        this.used.add(o.name);
      }
    }
    for (const c of g.constants) {
      this.names.set(c, this.fresh('const'));
      this.initializers.push(tensorProto(this.names.get(c)!, c.data!));
      this.noteInts(this.names.get(c)!, c.data!);
      this.dtypes.set(this.names.get(c)!, c.data!.dtype);
    }
  }

  /** A new initializer holding `t`; returns its name. */
  constant(t: HostTensor): string {
    const name = this.fresh('k');
    this.initializers.push(tensorProto(name, t));
    this.noteInts(name, t);
    this.dtypes.set(name, t.dtype);
    return name;
  }

  /** Remembers the values of a 1-D int64 constant. */
  private noteInts(name: string, t: HostTensor): void {
    if (t.dtype === 'int64' && t.shape.length === 1) this.intValues.set(name, Array.from(t.data as BigInt64Array, Number));
    if (t.dtype === 'int64' && t.shape.length === 0) this.intScalars.set(name, Number((t.data as BigInt64Array)[0]));
  }

  /** The int64 1-D constant holding `values` (one initializer per distinct list). */
  ints(values: readonly number[]): string {
    const key = values.join(',');
    let n = this.intCache.get(key);
    if (!n) {
      n = this.constant({ dtype: 'int64', shape: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) });
      this.intCache.set(key, n);
    }
    return n;
  }

  /** Lowers one IR node through its operator's `lower`; its first ONNX node records the IR node for `readModel`. */
  lowerNode(node: Node): void {
    const def = getOp(node.op);
    for (const o of node.outputs) this.names.set(o, this.outputNodeNames.get(o) ?? this.fresh('t'));
    for (const v of [...node.inputs, ...node.outputs]) if (this.names.has(v)) this.dtypes.set(this.names.get(v)!, v.type.dtype);
    const first = this.nodes.length;
    const ctx = this.lowerCtx(node);
    try {
      def.lower(ctx, node.attrs as never);
    } catch (e) {
      throw namingOnnxNode(e, node.scope);
    }
    if (this.nodes.length > first) {
      // `in`/`out`: the IR node's input and output names, so `readModel` rebuilds it exactly.
      this.groups.push({ nodes: this.nodes.slice(first), record: { op: node.op, attrs: node.attrs, scope: node.scope || undefined, in: ctx.inputs, out: ctx.outputs } });
    }
  }

  /**
   * Runs the peephole (peephole.ts: known Reshape targets become constants, a Reshape with a constant target
   * skips the reshapes feeding it, dead nodes go), then writes each IR node's record on the first ONNX node
   * left of its group (`n`: how many are left; a group with none left goes). Only what the graph outputs
   * depend on stays: onnxruntime runs every node it is given, and a lowering emits all of its IR node's
   * outputs even when the graph reads some (OnnxLSTMTrainGrad's input gradient when the data needs none);
   * `readModel` accepts a recorded output no node computes while nothing reads it. The shapes of IR values
   * count as known only when the graph declares its inputs with the IR's types.
   */
  runPeephole(g: Graph, options: EmitOptions): void {
    const shapes = new Map<string, readonly number[]>();
    const keep = new Set<string>(g.outputs.map((o) => o.name));
    for (const [v, name] of this.names) {
      if (!options.inputShapes && isConcrete(v.type.shape)) shapes.set(name, v.type.shape as readonly number[]);
    }
    const removed = peephole(this.nodes, {
      intsOf: (name) => {
        const v = this.intValues.get(name);
        if (v) return { values: [...v], scalar: false };
        const s = this.intScalars.get(name);
        return s === undefined ? undefined : { values: [s], scalar: true };
      },
      shapeOf: (name) => shapes.get(name),
      ints: (values) => this.ints(values),
      keep,
    });
    for (const { nodes, record } of this.groups) {
      const left = nodes.filter((n) => !removed.has(n));
      const { op, attrs, scope } = record;
      if (left.length) left[0]!.docString = `gluonc:${JSON.stringify({ op, attrs, n: left.length, scope, in: record.in, out: record.out }, attrReplacer)}`;
    }
  }

  /** What `legalizeNode` uses while lowering `node`. */
  private env(node: Node): LegalizeEnv {
    return {
      dtypeOf: (name) => this.dtypes.get(name),
      intsOf: (name) => this.intValues.get(name),
      fresh: (hint) => this.fresh(`${node.op}_${hint}`),
      ints: (values) => this.ints(values),
    };
  }

  /** What an operator's `lower` sees: the node's ONNX names and types, and how to emit nodes and constants. */
  private lowerCtx(node: Node): LowerCtx {
    const b = this;
    const { name: onnxName, block } = splitScope(node.scope);
    return {
      inputs: node.inputs.map((v) => b.names.get(v)!),
      outputs: node.outputs.map((v) => b.names.get(v)!),
      inTypes: node.inputs.map((v) => v.type),
      outTypes: node.outputs.map((v) => v.type),
      opset: b.opset,
      emit(opType, inputs, attrs = {}, outputs = 1, domain = '') {
        const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => b.fresh('t')) : outputs;
        if (domain) b.domains.add(domain);
        // The imported ONNX node, if any, is put first by lowerNode (namingOnnxNode).
        const where = `${node.op}${block ? ` (in ${block})` : ''}`;
        // Built from an imported ONNX node: onnxruntime's errors name our nodes after it ('ge_7/take_2').
        const prefix = onnxName ? `${onnxName.replace(/'/g, '_')}/` : '';
        let pending: PendingNode[] = [{ opType, inputs, attrs, outputs: outs }];
        try {
          if (!domain) pending = legalizeNode(pending[0]!, b.opset, b.env(node)).flatMap((n) => rewriteInt64MinMax(n, b.env(node)));
        } catch (e) {
          throw new Error(`${where}: ${(e as Error).message}`);
        }
        for (const n of pending) {
          if (!domain) {
            n.outputs.forEach((o, k) => {
              const d = outputDType(n, k, (name) => b.dtypes.get(name), fromOnnxDType);
              if (d && o) b.dtypes.set(o, d);
            });
          }
          const need = domain ? null : onnxNeeds(n);
          if (need && need.opset > b.opset) throw new Error(`opset ${b.opset} is too low: ${where} needs opset ${need.opset} (${need.what})`);
          b.target.push({
            opType: n.opType,
            input: n.inputs,
            output: n.outputs,
            name: b.fresh(`${prefix}${node.op}_`),
            domain: domain || undefined,
            attribute: Object.entries(n.attrs)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => attrProto(k, v as OnnxAttr)),
          });
        }
        return outs;
      },
      constant: (t) => b.constant(t),
      ints: (values) => b.ints(values),
      scalar: (value, dtype) => b.constant(scalarTensor(value, dtype)),
      fresh: () => b.fresh('t'),
      lowerOp(op, attrs, inputs, inTypes, outTypes) {
        const outputs = outTypes.map(() => b.fresh('t'));
        getOp(op).lower({ ...this, inputs, outputs, inTypes, outTypes }, attrs as never);
        return outputs;
      },
      graph(inputs, build) {
        const outer = b.target;
        const body: OnnxNs.INodeProto[] = [];
        b.target = body;
        try {
          const names = inputs.map((v) => {
            const n = b.fresh('s');
            b.dtypes.set(n, v.dtype);
            return n;
          });
          const outs = build(names);
          const produced = new Set(body.flatMap((n) => n.output ?? []));
          // A body output must be produced inside the body: pass-throughs get an Identity.
          const output = outs.map((o) => {
            let name = o.name!;
            if (!produced.has(name)) name = this.emit('Identity', [name])[0]!;
            return valueInfo(name, { dtype: o.dtype, shape: o.shape });
          });
          return { graph: { name: b.fresh(`${node.op}_body`), node: body, input: inputs.map((v, i) => valueInfo(names[i]!, { dtype: v.dtype, shape: v.shape })), output } };
        } finally {
          b.target = outer;
        }
      },
    };
  }

  /** The graph outputs by their public names (an Identity where the producing value has another name). */
  graphOutputs(g: Graph, options: EmitOptions): OnnxNs.IValueInfoProto[] {
    return g.outputs.map((o) => {
      const src = this.names.get(o.value)!;
      if (src !== o.name) {
        this.nodes.push({ opType: 'Identity', input: [src], output: [o.name], name: this.fresh('out_') });
        this.used.add(o.name);
      }
      const shape = options.outputShapes === false ? undefined : o.value.type.shape;
      return valueInfo(o.name, { dtype: o.value.type.dtype, shape });
    });
  }

  /** Lowerings may create helper constants they end up not using: drop them (onnxruntime warns otherwise). */
  dropUnusedInitializers(): void {
    const consumed = new Set<string>();
    // Subgraph bodies read outer initializers too.
    const visit = (nodes: OnnxNs.INodeProto[]): void => {
      for (const n of nodes) {
        for (const i of n.input ?? []) consumed.add(i);
        for (const a of n.attribute ?? []) if (a.g) visit(a.g.node ?? []);
      }
    };
    visit(this.nodes);
    for (let i = this.initializers.length - 1; i >= 0; i--) {
      if (!consumed.has(this.initializers[i]!.name!)) this.initializers.splice(i, 1);
    }
  }

  /** The graph inputs; parameters become initializers, or inputs for training graphs and parameters without data. */
  graphInputs(g: Graph, options: EmitOptions): OnnxNs.IValueInfoProto[] {
    const inputs = g.inputs.map((v) => valueInfo(this.names.get(v)!, { dtype: v.type.dtype, shape: options.inputShapes?.get(v) ?? v.type.shape }));
    for (const p of g.params) {
      if (options.paramsAsInputs || !p.data) inputs.push(valueInfo(p.name, p.type));
      else this.initializers.push(tensorProto(p.name, p.data));
    }
    return inputs;
  }
}

/** JSON replacer keeping non-finite numbers (`{ "$num": "Infinity" }`); `attrReviver` undoes it. */
export function attrReplacer(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? { $num: String(v) } : v;
}

/** JSON reviver for `attrReplacer`. */
export function attrReviver(_key: string, v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $num?: unknown }).$num === 'string') {
    return Number((v as { $num: string }).$num);
  }
  return v;
}

function attrProto(name: string, v: OnnxAttr): OnnxNs.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    // An empty list is INTS (transpose of a rank-0 tensor: perm []), never STRINGS.
    if (v.length > 0 && v.every((x) => typeof x === 'string')) return { name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: T.INTS, ints: v as number[] };
  }
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  if ('graph' in v) return { name, type: T.GRAPH, g: v.graph as OnnxNs.IGraphProto };
  return { name, type: T.TENSOR, t: tensorProto(name, v.tensor) };
}

