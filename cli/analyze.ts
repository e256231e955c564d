/**
 * What `gluonc inspect` reports of an ONNX model: inputs and outputs (with
 * symbolic dimensions), operator counts, parameter count and FLOPs per
 * sample. FLOPs count MatMul, Gemm, Conv, ConvTranspose and Einsum
 * multiply-adds ×2;
 * the shapes come from running the model once in onnxruntime with every
 * symbolic dimension set to 1 (the intermediate values those operators read
 * are added as extra graph outputs), so they are exact for any model
 * onnxruntime runs. `readArtifact` checks and decodes the file it reads
 * with onnx-proto itself (as the compiler does): no compiler is loaded.
 */
import onnxProto, { type onnx as OnnxNs } from 'onnx-proto';
import { fromOnnxDType, openModel, randomFeeds, Session, sizeOf, type ArtifactManifest, type DType } from '../runtime/index.js';
import { asUserError } from './errors.js';

/** The onnx-proto namespace (ModelProto, ...), a CommonJS package's export. */
const onnx: typeof OnnxNs = (onnxProto as unknown as { onnx: typeof OnnxNs }).onnx;

/** An artifact read from disk and checked. */
export interface ArtifactFile {
  file: string;
  bytes: Uint8Array;
  model: OnnxNs.ModelProto;
  /** The gluonc manifest (checked against the graph), or null for ONNX files from other tools. */
  manifest: ArtifactManifest | null;
}

/**
 * Checks an `.onnx` file as `loadModel` does (onnxruntime loads it too) and
 * decodes it for analysis.
 *
 * ```ts
 * const { model, manifest } = readArtifact('mlp.onnx');
 * ```
 */
export function readArtifact(file: string): ArtifactFile {
  const checked = asUserError('', () => {
    const { file: f, session } = openModel(file, { threads: 1 });
    session.close();
    return f;
  });
  const model = asUserError(`'${file}'`, () => onnx.ModelProto.decode(checked.bytes));
  return { file, bytes: checked.bytes, model, manifest: checked.manifest };
}

/** One input or output. */
export interface IODescription {
  name: string;
  dtype: DType | string;
  shape: (number | string)[];
}

/** What `analyzeModel` found. */
export interface ModelAnalysis {
  graphName: string;
  producer: string;
  opset: number;
  inputs: IODescription[];
  outputs: IODescription[];
  /** Operator type -> count (nested graphs included), most frequent first. */
  operators: Record<string, number>;
  nodes: number;
  /** Elements of the parameters (the manifest's `params`, else every initializer). */
  params: number;
  paramTensors: number;
  /** Multiply-adds ×2 of MatMul/Gemm/Conv/ConvTranspose/Einsum at batch 1, or null when the model cannot run. */
  flopsPerSample: number | null;
}

const COUNTED = new Set(['MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'Einsum']);

function dims(t: OnnxNs.ITypeProto | null | undefined): (number | string)[] {
  const shape = t?.tensorType?.shape?.dim ?? [];
  return shape.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : '?'));
}

function io(v: OnnxNs.IValueInfoProto): IODescription {
  const elem = v.type?.tensorType?.elemType ?? 0;
  let dtype: string;
  try {
    dtype = fromOnnxDType(elem);
  } catch {
    dtype = `onnx type ${elem}`;
  }
  return { name: v.name ?? '', dtype, shape: dims(v.type) };
}

function walk(g: OnnxNs.IGraphProto, f: (n: OnnxNs.INodeProto) => void): void {
  for (const n of g.node ?? []) {
    f(n);
    for (const a of n.attribute ?? []) {
      if (a.g) walk(a.g, f);
      for (const sg of a.graphs ?? []) walk(sg, f);
    }
  }
}

/**
 * Analyzes a decoded model (and its bytes, for the FLOPs run).
 *
 * ```ts
 * analyzeModel(onnx.ModelProto.decode(bytes), ['0.weight', ...]).params; // 235146 for the MLP
 * ```
 */
export function analyzeModel(model: OnnxNs.ModelProto, paramNames: string[] | null): ModelAnalysis {
  const g = model.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const inputs = (g.input ?? []).filter((v) => !inits.has(v.name ?? '')).map(io);
  const outputs = (g.output ?? []).map(io);
  const counts = new Map<string, number>();
  let nodes = 0;
  walk(g, (n) => {
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : (n.opType ?? '?');
    counts.set(op, (counts.get(op) ?? 0) + 1);
    nodes++;
  });
  const operators = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  // Parameters are initializers (inference artifacts) or graph inputs (training artifacts).
  const inputShapes = new Map((g.input ?? []).map((v) => [v.name ?? '', dims(v.type)]));
  const shapeOf = (n: string): number[] => (inits.has(n) ? (inits.get(n)!.dims ?? []).map(Number) : (inputShapes.get(n) ?? []).map((d) => (typeof d === 'number' ? d : 1)));
  const named = paramNames ? paramNames.filter((n) => inits.has(n) || inputShapes.has(n)) : null;
  const paramList = named && (named.length || paramNames!.length === 0) ? named : [...inits.keys()];
  const params = paramList.reduce((s, n) => s + sizeOf(shapeOf(n)), 0);
  const opset = Number(model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  return {
    graphName: g.name ?? '',
    producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(),
    opset,
    inputs,
    outputs,
    operators,
    nodes,
    params,
    paramTensors: paramList.length,
    flopsPerSample: flopsPerSample(model, inits),
  };
}

/** Runs a copy of the model that also outputs what the counted operators read and write; null when it cannot run. */
function flopsPerSample(model: OnnxNs.ModelProto, inits: Map<string, OnnxNs.ITensorProto>): number | null {
  const g = model.graph!;
  const counted = (g.node ?? []).filter((n) => COUNTED.has(n.opType ?? '') && (!n.domain || n.domain === 'ai.onnx'));
  if (!counted.length) return 0;
  const probe = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const existing = new Set((g.output ?? []).map((o) => o.name));
  const extra = new Set<string>();
  for (const n of counted) for (const name of [...(n.input ?? []), ...(n.output ?? [])]) if (name && !inits.has(name) && !existing.has(name)) extra.add(name);
  for (const name of extra) probe.graph!.output!.push(onnx.ValueInfoProto.create({ name }));
  let shapes: Map<string, number[]>;
  try {
    const session = Session.create(onnx.ModelProto.encode(probe).finish(), { threads: 1 });
    try {
      const outs = session.runSync(randomFeeds(session.inputs, { batch: 1 }));
      shapes = new Map(Object.entries(outs).map(([k, v]) => [k, v.shape]));
    } finally {
      session.close();
    }
  } catch {
    return null;
  }
  for (const [k, t] of inits) shapes.set(k, (t.dims ?? []).map(Number));
  let macs = 0;
  for (const n of counted) {
    const ins = (n.input ?? []).map((x) => shapes.get(x));
    const out = shapes.get(n.output?.[0] ?? '');
    if (n.opType === 'Einsum') {
      const equation = n.attribute?.find((a) => a.name === 'equation')?.s;
      const m = equation && ins.every((x) => x) ? einsumMacs(new TextDecoder().decode(equation), ins as number[][]) : null;
      if (m === null) return null;
      macs += m;
      continue;
    }
    if (!out || !ins[0] || !ins[1]) return null;
    const attr = (name: string) => Number(n.attribute?.find((a) => a.name === name)?.i ?? 0);
    switch (n.opType) {
      case 'MatMul': {
        const a = ins[0];
        macs += sizeOf(out) * (a.length ? a[a.length - 1]! : 1);
        break;
      }
      case 'Gemm':
        macs += sizeOf(out) * (attr('transA') ? ins[0][0]! : ins[0][1]!);
        break;
      case 'Conv':
        macs += sizeOf(out) * sizeOf(ins[1].slice(1));
        break;
      case 'ConvTranspose':
        macs += sizeOf(ins[0]) * sizeOf(ins[1].slice(1));
        break;
    }
  }
  return 2 * macs;
}

/**
 * The multiply-adds of an Einsum as written (no reordering): with k operands,
 * (k - 1) multiplications for every combination of the index values, i.e.
 * (k - 1) × the product of every index's size (the broadcast `...` dimensions
 * included); a one-operand Einsum (a transpose, trace or sum) multiplies
 * nothing. Null when the equation does not fit the shapes.
 *
 * ```ts
 * einsumMacs('bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]); // 2*3*4*5 = 120
 * ```
 */
export function einsumMacs(equation: string, shapes: number[][]): number | null {
  const terms = equation.replace(/\s+/g, '').split('->')[0]!.split(',');
  if (terms.length !== shapes.length) return null;
  const size = new Map<string, number>();
  let ellipsis: number[] = [];
  for (let t = 0; t < terms.length; t++) {
    const term = terms[t]!;
    const shape = shapes[t]!;
    const [before, after] = term.includes('...') ? (term.split('...') as [string, string]) : [term, null];
    const explicit = before.length + (after?.length ?? 0);
    const broadcast = after === null ? 0 : shape.length - explicit;
    if (broadcast < 0 || (after === null && explicit !== shape.length)) return null;
    const letters = [...before, ...(after ?? '')];
    const dimsOf = [...shape.slice(0, before.length), ...shape.slice(before.length + broadcast)];
    letters.forEach((c, i) => size.set(c, Math.max(size.get(c) ?? 1, dimsOf[i]!)));
    // The broadcast dimensions align from the right, as numpy's do.
    const mid = shape.slice(before.length, before.length + broadcast);
    const width = Math.max(ellipsis.length, mid.length);
    ellipsis = Array.from({ length: width }, (_v, i) => Math.max(ellipsis[ellipsis.length - width + i] ?? 1, mid[mid.length - width + i] ?? 1));
  }
  const combinations = [...size.values(), ...ellipsis].reduce((a, b) => a * b, 1);
  return (terms.length - 1) * combinations;
}
