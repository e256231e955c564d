/**
 * IR graph -> ONNX ModelProto bytes. Each IR node is lowered by its
 * operator's `lower`; parameters and constants become initializers. The first
 * ONNX node of every lowered IR node carries a `gluonc:` doc string recording
 * the IR operator, its attributes and input/output names, so `readModel`
 * can rebuild the IR.
 * Invariant: ONNX names are unique; graph outputs carry their public names.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import { scalarTensor, type HostTensor } from '../../runtime/tensor.js';
import type { Graph } from '../ir/graph.js';
import type { Value } from '../ir/value.js';
import type { LowerCtx, OnnxAttr } from '../ops/define.js';
import { getOp } from '../ops/registry.js';
import { onnx, tensorProto, valueInfo } from './proto.js';

/** The default ONNX opset (onnxruntime 1.30 has no random kernels above 21). */
export const DEFAULT_OPSET = 21;

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

/** Lowers `g` to a ModelProto object (not yet encoded). */
export function buildModel(g: Graph, options: EmitOptions = {}): OnnxNs.IModelProto {
  const opset = options.opset ?? DEFAULT_OPSET;
  const names = new Map<Value, string>();
  const used = new Set<string>();
  const nodes: OnnxNs.INodeProto[] = [];
  const initializers: OnnxNs.ITensorProto[] = [];
  const domains = new Set<string>();
  let counter = 0;
  const fresh = (hint: string): string => {
    let n = `${hint}${counter++}`;
    while (used.has(n)) n = `${hint}${counter++}`;
    used.add(n);
    return n;
  };
  const claim = (v: Value, name: string): void => {
    if (used.has(name)) throw new Error(`two graph values are named '${name}'`);
    used.add(name);
    names.set(v, name);
  };
  for (const v of g.inputs) claim(v, v.name);
  for (const p of g.params) claim(p, p.name);
  // Graph outputs produced by a node take the output's public name directly.
  const outputNodeNames = new Map<Value, string>();
  for (const o of g.outputs) {
    if (o.value.producer && !outputNodeNames.has(o.value) && !used.has(o.name)) {
      outputNodeNames.set(o.value, o.name);
      used.add(o.name);
    }
  }
  for (const c of g.constants) {
    names.set(c, fresh('const'));
    initializers.push(tensorProto(names.get(c)!, c.data!));
  }
  const intCache = new Map<string, string>();
  const constant = (t: HostTensor): string => {
    const name = fresh('k');
    initializers.push(tensorProto(name, t));
    return name;
  };

  for (const node of g.nodes) {
    const def = getOp(node.op);
    for (const o of node.outputs) names.set(o, outputNodeNames.get(o) ?? fresh('t'));
    const first = nodes.length;
    const ctx: LowerCtx = {
      inputs: node.inputs.map((v) => names.get(v)!),
      outputs: node.outputs.map((v) => names.get(v)!),
      inTypes: node.inputs.map((v) => v.type),
      outTypes: node.outputs.map((v) => v.type),
      opset,
      emit(opType, inputs, attrs = {}, outputs = 1, domain = '') {
        const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => fresh('t')) : outputs;
        if (domain) domains.add(domain);
        nodes.push({
          opType,
          input: inputs,
          output: outs,
          name: fresh(`${node.op}_`),
          domain: domain || undefined,
          attribute: Object.entries(attrs)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => attrProto(k, v as OnnxAttr)),
        });
        return outs;
      },
      constant,
      ints(values) {
        const key = values.join(',');
        let n = intCache.get(key);
        if (!n) {
          n = constant({ dtype: 'int64', shape: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) });
          intCache.set(key, n);
        }
        return n;
      },
      scalar(value, dtype) {
        return constant(scalarTensor(value, dtype));
      },
    };
    def.lower(ctx, node.attrs as never);
    if (nodes.length > first) {
      // `in`/`out`: the IR node's input and output names, so `readModel` rebuilds it exactly.
      nodes[first]!.docString = `gluonc:${JSON.stringify({ op: node.op, attrs: node.attrs, n: nodes.length - first, scope: node.scope || undefined, in: ctx.inputs, out: ctx.outputs }, attrReplacer)}`;
    }
  }

  const graphOutputs: OnnxNs.IValueInfoProto[] = [];
  for (const o of g.outputs) {
    let src = names.get(o.value)!;
    if (src !== o.name) {
      nodes.push({ opType: 'Identity', input: [src], output: [o.name], name: fresh('out_') });
      used.add(o.name);
      src = o.name;
    }
    const shape = options.outputShapes === false ? undefined : o.value.type.shape;
    graphOutputs.push(valueInfo(o.name, { dtype: o.value.type.dtype, shape }));
  }
  // Lowerings may create helper constants they end up not using: drop them (onnxruntime warns otherwise).
  const consumed = new Set<string>(nodes.flatMap((n) => n.input ?? []));
  for (let i = initializers.length - 1; i >= 0; i--) {
    if (!consumed.has(initializers[i]!.name!)) initializers.splice(i, 1);
  }
  const inputs = g.inputs.map((v) => valueInfo(names.get(v)!, { dtype: v.type.dtype, shape: options.inputShapes?.get(v) ?? v.type.shape }));
  for (const p of g.params) {
    if (options.paramsAsInputs || !p.data) inputs.push(valueInfo(p.name, p.type));
    else initializers.push(tensorProto(p.name, p.data));
  }

  const opsetImport: OnnxNs.IOperatorSetIdProto[] = [{ domain: '', version: opset }];
  for (const d of domains) opsetImport.push({ domain: d, version: 1 });
  return {
    irVersion: 10,
    producerName: 'gluonc',
    producerVersion: options.producerVersion ?? '',
    opsetImport,
    graph: {
      name: options.graphName ?? 'gluonc',
      node: nodes,
      input: inputs,
      output: graphOutputs,
      initializer: initializers,
    },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
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
    if (v.every((x) => typeof x === 'string')) return { name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: T.INTS, ints: v as number[] };
  }
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: tensorProto(name, v.tensor) };
}

