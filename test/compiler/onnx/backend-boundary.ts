/**
 * The backend cases whose graph inputs or outputs are sequences or optionals
 * (test_sequence_insert_*, test_optional_*, test_split_to_sequence_*, ...):
 * their data files hold ONNX SequenceProto / OptionalProto messages, decoded
 * here (onnx-proto lacks them) from the wire format. The case is read for the
 * structure of its data (readModel's `boundary`), compiled with its items as
 * tensor inputs and outputs, and run eagerly as a user calls the block (lists
 * of arrays, null for an empty optional); both are compared with the expected
 * values, structure included.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { onnx as OnnxNs } from 'onnx-proto';
import { compileGraph } from '../../../compiler/compile.js';
import { NDArray } from '../../../compiler/engine/ndarray.js';
import { importOnnx } from '../../../compiler/gluon/symbol-block.js';
import { fromTensorProto, onnx, readModel } from '../../../compiler/onnx/index.js';
import type { BoundaryType, IoTree } from '../../../compiler/onnx/read-boundary.js';
import { wireFields } from '../../../runtime/proto-wire.js';
import type { HostTensor } from '../../../runtime/tensor.js';

/** A value of a graph input or output: a tensor, a sequence (a list), or an empty optional (null). */
export type DataValue = HostTensor | DataValue[] | null;

/** True when the model has a sequence or optional graph input or output. */
function hasBoundaryIo(g: OnnxNs.IGraphProto): boolean {
  return [...(g.input ?? []), ...(g.output ?? [])].some((vi) => !!(vi.type?.sequenceType || vi.type?.optionalType));
}

/** The graph inputs other than initializers. */
const graphInputs = (g: OnnxNs.IGraphProto): OnnxNs.IValueInfoProto[] => {
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  return (g.input ?? []).filter((vi) => !inits.has(vi.name));
};

/** The types of the sequence and optional inputs in the case's data (readModel's `boundary`), or null for a case without such inputs or outputs. */
export function boundaryOfData(bytes: Uint8Array, data: string, inputFiles: string[]): Record<string, BoundaryType> | null {
  const g = onnx.ModelProto.decode(bytes).graph!;
  if (!hasBoundaryIo(g)) return null;
  const boundary: Record<string, BoundaryType> = {};
  graphInputs(g).forEach((vi, i) => {
    if ((vi.type?.sequenceType || vi.type?.optionalType) && inputFiles[i]) boundary[vi.name!] = typeOf(readData(join(data, inputFiles[i]!), vi));
  });
  return boundary;
}

/** A SequenceProto's tensors (field 3) or sequences (field 5). */
function decodeSequence(buf: Uint8Array): DataValue[] {
  const out: DataValue[] = [];
  for (const f of wireFields(buf, 0, buf.length)) {
    if (f.no === 3) out.push(fromTensorProto(onnx.TensorProto.decode(buf.subarray(f.start, f.end))));
    else if (f.no === 5) out.push(decodeSequence(buf.subarray(f.start, f.end)));
    else if (f.no === 4 || f.no === 6 || f.no === 7) throw new Error(`a SequenceProto of sparse tensors, maps or optionals (field ${f.no})`);
  }
  return out;
}

/** An OptionalProto's value: its tensor (field 3), its sequence (field 5), or null when empty. */
function decodeOptional(buf: Uint8Array): DataValue {
  let v: DataValue = null;
  for (const f of wireFields(buf, 0, buf.length)) {
    if (f.no === 3) v = fromTensorProto(onnx.TensorProto.decode(buf.subarray(f.start, f.end)));
    else if (f.no === 5) v = decodeSequence(buf.subarray(f.start, f.end));
  }
  return v;
}

/** The data file of a graph input or output, decoded as its declared type says. */
export function readData(path: string, vi: OnnxNs.IValueInfoProto | undefined): DataValue {
  const buf = readFileSync(path);
  if (vi?.type?.sequenceType) return decodeSequence(buf);
  if (vi?.type?.optionalType) return decodeOptional(buf);
  return fromTensorProto(onnx.TensorProto.decode(buf));
}

/** A data value's structure as readModel's `boundary` takes it. */
const typeOf = (v: DataValue): BoundaryType => (v === null ? null : Array.isArray(v) ? v.map(typeOf) : { dtype: v.dtype, shape: v.shape });

/** A data value as a user passes it to the block: arrays, lists of them, null. */
const asCall = (v: DataValue): unknown => (v === null ? null : Array.isArray(v) ? v.map(asCall) : new NDArray(v));

/**
 * Runs a case with sequence or optional inputs or outputs, compiled and eagerly; returns '' when both give the
 * expected values and structure, else what differs. `compare` compares two tensors ('' when equal).
 */
export function runBoundaryCase(bytes: Uint8Array, dir: string, data: string, inputFiles: string[], outputFiles: string[], compare: (name: string, got: HostTensor, want: HostTensor) => string): string {
  const g = onnx.ModelProto.decode(bytes).graph!;
  const ins = graphInputs(g);
  const given = ins.map((vi, i) => readData(join(data, inputFiles[i]!), vi));
  const want = (g.output ?? []).map((vi, k) => readData(join(data, outputFiles[k]!), vi));
  const boundary: Record<string, BoundaryType> = {};
  ins.forEach((vi, i) => {
    if (vi.type?.sequenceType || vi.type?.optionalType) boundary[vi.name!] = typeOf(given[i]!);
  });
  const { graph, outputTree } = readModel(bytes, { boundary });
  // Compiled: the graph's inputs are the tensors and the items, depth first.
  const flatIn: HostTensor[] = [];
  const walk = (v: DataValue): void => void (v === null ? 0 : Array.isArray(v) ? v.forEach(walk) : flatIn.push(v));
  given.forEach(walk);
  if (flatIn.length !== graph.inputs.length) return `${flatIn.length} input tensors for ${graph.inputs.length} graph inputs`;
  const feeds = Object.fromEntries(graph.inputs.map((v, i) => [v.name, flatIn[i]!]));
  const got = graph.outputs.length ? compileGraph(graph, Object.fromEntries(graph.inputs.map((v, i) => [v.name, { dtype: flatIn[i]!.dtype, shape: flatIn[i]!.shape }])))(feeds) : {};
  const check = (path: string, tree: IoTree, w: DataValue, leaf: (i: number) => HostTensor): string => {
    if (w === null || tree === null) return w === tree ? '' : `${path}: ${tree === null ? 'empty' : 'a value'}, expected ${w === null ? 'an empty optional' : 'a value'}`;
    if (Array.isArray(w) !== Array.isArray(tree)) return `${path}: ${Array.isArray(tree) ? 'a sequence' : 'a tensor'}, expected ${Array.isArray(w) ? 'a sequence' : 'a tensor'}`;
    if (Array.isArray(w)) {
      const t = tree as readonly IoTree[];
      if (t.length !== w.length) return `${path}: ${t.length} items, expected ${w.length}`;
      for (let k = 0; k < w.length; k++) {
        const d = check(`${path}[${k}]`, t[k]!, w[k]!, leaf);
        if (d) return d;
      }
      return '';
    }
    return compare(path, leaf(tree as number), w as HostTensor);
  };
  for (let k = 0; k < want.length; k++) {
    const d = check(`hybridized ${g.output![k]!.name}`, outputTree[k]!, want[k]!, (i) => got[graph.outputs[i]!.name]!);
    if (d) return d;
  }
  // Eager, as a user calls it: lists of arrays for sequences, null for an empty optional.
  const block = importOnnx(bytes, dir);
  const out = block.call(...given.map(asCall));
  const eager = want.length === 1 ? [out] : (out as unknown[]);
  const toTree = (x: unknown, flat: HostTensor[]): IoTree => (x === null ? null : Array.isArray(x) ? x.map((y) => toTree(y, flat)) : flat.push((x as NDArray)._host) - 1);
  for (let k = 0; k < want.length; k++) {
    const flat: HostTensor[] = [];
    const d = check(`eager ${g.output![k]!.name}`, toTree(eager[k], flat), want[k]!, (i) => flat[i]!);
    if (d) return d;
  }
  return '';
}
