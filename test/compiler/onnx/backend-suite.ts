/**
 * Runs one case of ONNX's backend test data (Debian's `libonnx-testdata`, or
 * the cases python's onnx generates: `<dir>/model.onnx` plus
 * `test_data_set_N/input_k.pb`, `output_k.pb`): imports the model, runs it
 * hybridized (compiled graph) and eagerly (`SymbolBlock` on NDArrays), and
 * compares every output with the expected one at ONNX's backend-test
 * tolerance (rtol 1e-3, atol 1e-7; half-precision outputs and the cases in
 * CASE_ATOL at theirs, said there).
 * The expected outputs are ONNX's own reference results, independent of gluonc.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
// The package entry point registers onnxruntime as the eager executor of operators without a TypeScript kernel (Einsum), as for a user.
import '../../../compiler/index.js';
import { compileGraph } from '../../../compiler/compile.js';
import { NDArray } from '../../../compiler/engine/ndarray.js';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { getOp } from '../../../compiler/ops/registry.js';
import { fromTensorProto, onnx, readModel } from '../../../compiler/onnx/index.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import type { HostTensor } from '../../../runtime/tensor.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { boundaryOfData, runBoundaryCase } from './backend-boundary.js';

/** Where `libonnx-testdata` installs the test data. */
export const BACKEND_DATA = '/usr/include/onnx/backend/test/data';

/** The outcome of one case. */
export interface CaseResult {
  status: 'pass' | 'refused' | 'mismatch' | 'error';
  message: string;
  /** True when the case draws random numbers and its outputs were compared by dtype and shape only. */
  shapeOnly?: boolean;
}

function readTensor(path: string): HostTensor {
  return fromTensorProto(onnx.TensorProto.decode(readFileSync(path)));
}

/** Compares outputs at rtol/atol (only dtype and shape when `shapeOnly`); returns a description of the first difference or ''. */
export function compareTensors(name: string, got: HostTensor, want: HostTensor, rtol = 1e-3, atol = 1e-7, shapeOnly = false): string {
  if (got.shape.join(',') !== want.shape.join(',')) return `${name}: shape [${got.shape}] vs expected [${want.shape}]`;
  if (shapeOnly) return got.dtype === want.dtype ? '' : `${name}: dtype ${got.dtype} vs expected ${want.dtype}`;
  const g = tensorToNumbers(got);
  const w = tensorToNumbers(want);
  for (let i = 0; i < w.length; i++) {
    const [a, b] = [g[i]!, w[i]!];
    // Equal infinities match (bfloat16's inf read as float32's).
    if (Number.isNaN(b) ? !Number.isNaN(a) : a !== b && !(Math.abs(a - b) <= atol + rtol * Math.abs(b))) return `${name}[${i}]: ${a} vs expected ${b}`;
  }
  return '';
}

/**
 * The model with the graph inputs named in `fixed` turned into initializers
 * holding the test's data: the backend tests feed shapes, axes and pads as
 * inputs, which gluonc needs when the graph is built.
 */
function withConstantInputs(bytes: Uint8Array, fixed: Map<string, Uint8Array>): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  g.input = (g.input ?? []).filter((vi) => !fixed.has(vi.name ?? ''));
  for (const [name, pb] of fixed) g.initializer = [...(g.initializer ?? []), { ...onnx.TensorProto.decode(pb), name }];
  return onnx.ModelProto.encode(m).finish();
}

/**
 * Cases whose model file in the 1.12 data disagrees with its own expected outputs, mended as ONNX mended them
 * upstream: test_adam_multiple's Adam node lacks `epsilon` = 0.01, with which its outputs were computed
 * (onnx/onnx#7749, fixed by onnx/onnx#7763, which adds the attribute and keeps the outputs).
 */
const UPSTREAM_FIXES: Record<string, (m: OnnxNs.ModelProto, data: string) => void> = {
  test_adam_multiple: (m) => void m.graph!.node![0]!.attribute!.push({ name: 'epsilon', type: onnx.AttributeProto.AttributeType.FLOAT, f: 0.01 }),
  // ONNX 1.12's bfloat16 CastLike cases declare `like` as [3, 4] while their data holds one value ([1], as every
  // other CastLike case declares it); 1.23's declare as their data is: `like` is declared as its data is.
  test_castlike_BFLOAT16_to_FLOAT: declareAsData(1),
  test_castlike_BFLOAT16_to_FLOAT_expanded: declareAsData(1),
  test_castlike_FLOAT_to_BFLOAT16: declareAsData(1),
  test_castlike_FLOAT_to_BFLOAT16_expanded: declareAsData(1),
};

/** A fix that declares graph input `k`'s shape as the first data set's tensor has it. */
function declareAsData(k: number): (m: OnnxNs.ModelProto, data: string) => void {
  return (m, data) => {
    const dims = readTensor(join(data, `input_${k}.pb`)).shape;
    m.graph!.input![k]!.type!.tensorType!.shape = { dim: dims.map((d) => ({ dimValue: d })) };
  };
}

/**
 * Tolerances other than ONNX's backend-test default (rtol 1e-3, atol 1e-7), by the output's ONNX dtype: ONNX's
 * reference rounds every intermediate of a float16 or bfloat16 graph to that dtype (float16 keeps 11 significant
 * bits, bfloat16 8), where gluonc computes a bfloat16 graph in float32 and rounds once, so such outputs are
 * compared at a few units in the last place of their dtype: rtol 2^-9 for float16 (its attention differs by
 * 1.04e-3 relative), 2^-6 for bfloat16 (test_attention_4d_causal_bf16's Y[153]: ONNX's data 0.13770, numpy's
 * float64 attention of the same bfloat16 inputs 0.136401, gluonc 0.136401; ONNX's data is up to 9.5e-3 off there).
 */
const DTYPE_RTOL: Record<number, number> = { 10: 2 ** -9, 16: 2 ** -6 };

/**
 * Cases whose reference output is off by its own float32 rounding, compared at the tolerance given (each
 * checked against numpy in float64): the inverse DFT cases' data differ from numpy's float64 inverse FFT of the
 * same input by up to 1.47e-6 (y[101]: 1.9e-7 in ONNX's data, -7.1e-16 in float64, gluonc 4.3e-14) among
 * outputs up to 54 in magnitude, whose float32 spacing is 3.8e-6: atol one such spacing.
 */
const CASE_ATOL: Record<string, number> = { test_dft_inverse: 3.8e-6, test_dft_inverse_opset19: 3.8e-6 };

/** The model's bytes, with the upstream fix of its case applied (UPSTREAM_FIXES). */
function modelOf(dir: string, data: string): Uint8Array {
  const bytes = readFileSync(join(dir, 'model.onnx'));
  const fix = UPSTREAM_FIXES[basename(dir)];
  if (!fix) return bytes;
  const m = onnx.ModelProto.decode(bytes);
  fix(m, data);
  return onnx.ModelProto.encode(m).finish();
}

/**
 * Cases whose imported graph draws random numbers (random operators: RandomUniformLike, Bernoulli, training-mode
 * Dropout): their outputs are compared by dtype and shape only (their distributions: test/compiler/onnx/import-random.test.ts).
 */
const isRandom = (graph: Graph): boolean => graph.nodes.some((n) => getOp(n.op).random);

/** A graph input declared as an int32/int64 scalar or vector (a size or shape the test feeds). */
function isShapeLike(vi: OnnxNs.IValueInfoProto): boolean {
  const t = vi.type?.tensorType;
  return !!t && (t.elemType === 6 || t.elemType === 7) && (t.shape?.dim ?? []).length <= 1;
}

const numbered = (files: string[], prefix: string): string[] =>
  files.filter((f) => new RegExp(`^${prefix}_\\d+\\.pb$`).test(f)).sort((a, b) => parseInt(a.slice(prefix.length + 1)) - parseInt(b.slice(prefix.length + 1)));

/** Imports and runs the case in `dir` (both ways), comparing with its first data set. */
export function runBackendCase(dir: string): CaseResult & { constantInputs: string[] } {
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
  if (!sets.length || !existsSync(join(dir, 'model.onnx'))) return { status: 'error', message: 'no model or data set', constantInputs: [] };
  const data = join(dir, sets[0]!);
  const files = readdirSync(data);
  const modelBytes = modelOf(dir, data);
  const declaredVi = onnx.ModelProto.decode(modelBytes).graph?.input ?? [];
  const declared = declaredVi.map((vi) => vi.name ?? '');
  const inputFiles = numbered(files, 'input');
  const fixed = new Map<string, Uint8Array>();
  const boundary = boundaryOfData(modelBytes, data, inputFiles);
  let graph;
  for (;;) {
    try {
      ({ graph } = readModel(fixed.size ? withConstantInputs(modelBytes, fixed) : modelBytes, { boundary: boundary ?? {} }));
      break;
    } catch (e) {
      const m = (e as Error).message;
      const runtime = m.match(/'([^']+)'\) is computed at run time/);
      const k = runtime ? declared.indexOf(runtime[1]!) : -1;
      if (k >= 0 && inputFiles[k] && !fixed.has(runtime![1]!)) {
        fixed.set(runtime![1]!, readFileSync(join(data, inputFiles[k]!)));
        continue;
      }
      // A value computed from graph inputs (the window functions' Range limit from a size input): fix the
      // integer scalars and vectors the test feeds (sizes, shapes), once.
      const shapeLike = runtime && k < 0 ? declaredVi.flatMap((vi, i) => (isShapeLike(vi) && inputFiles[i] && !fixed.has(declared[i]!) ? [i] : [])) : [];
      if (shapeLike.length) {
        for (const i of shapeLike) fixed.set(declared[i]!, readFileSync(join(data, inputFiles[i]!)));
        continue;
      }
      const status = /has no gluonc equivalent|not supported|gluonc needs|gluonc does not map|is a sequence|is an optional|is a map|is a sparse tensor|is no tensor|unsupported ONNX dtype/.test(m) ? 'refused' : 'error';
      return { status, message: m, constantInputs: [...fixed.keys()] };
    }
  }
  const constantInputs = [...fixed.keys()];
  // Sequences and optionals as graph inputs or outputs: run as backend-boundary.ts says.
  if (boundary) {
    try {
      const diff = runBoundaryCase(fixed.size ? withConstantInputs(modelBytes, fixed) : modelBytes, dir, data, inputFiles.filter((_f, i) => !fixed.has(declared[i]!)), numbered(files, 'output'), (n, got, want) => compareTensors(n, got, want));
      return { status: diff ? 'mismatch' : 'pass', message: diff, constantInputs };
    } catch (e) {
      return { status: 'error', message: (e as Error).message.split('\n')[0]!, constantInputs };
    }
  }
  // ONNX 1.12's data stores a bfloat16 input or output as its uint16 bits; gluonc holds bfloat16 in float32.
  const bf16Bits = (t: HostTensor, vi: OnnxNs.IValueInfoProto | undefined): HostTensor =>
    vi?.type?.tensorType?.elemType === 16 && t.dtype === 'uint16' ? { dtype: 'float32', shape: t.shape, data: new Float32Array(Uint32Array.from(t.data as Uint16Array, (b) => b * 65536).buffer) } : t;
  const inputs = inputFiles.flatMap((f, i) => (fixed.has(declared[i]!) ? [] : [bf16Bits(readTensor(join(data, f)), declaredVi[i])]));
  const declaredOut = onnx.ModelProto.decode(modelBytes).graph?.output ?? [];
  const outputs = numbered(files, 'output').map((f, k) => bf16Bits(readTensor(join(data, f)), declaredOut[k]));
  const names = graph.inputs.map((v) => v.name);
  const shapeOnly = isRandom(graph);
  const rtol = (k: number): number => DTYPE_RTOL[declaredOut[k]?.type?.tensorType?.elemType ?? 0] ?? 1e-3;
  const atol = CASE_ATOL[basename(dir)] ?? 1e-7;
  if (inputs.length < names.length) return { status: 'error', message: `${inputs.length} inputs for ${names.length} graph inputs`, constantInputs };
  const feeds: Record<string, HostTensor> = {};
  names.forEach((n, i) => (feeds[n] = inputs[i]!));
  // A host-only operator (ImageDecoder) runs eagerly only: the hybridized graph must refuse it by name, and the
  // hybridized check runs on the model read again with its inputs constant, where the reader decodes at read time.
  const hostOnly = graph.nodes.find((n) => getOp(n.op).hostOnly)?.op;
  try {
    const types = Object.fromEntries(names.map((n) => [n, { dtype: feeds[n]!.dtype, shape: feeds[n]!.shape }]));
    let got: Record<string, HostTensor>;
    if (hostOnly) {
      let refusal = '';
      try {
        compileGraph(graph, types);
      } catch (e) {
        refusal = (e as Error).message;
      }
      if (!refusal.includes(`${hostOnly}: runs eagerly on NDArrays only`)) return { status: 'error', message: `the hybridized graph with the host-only ${hostOnly} was not refused by name (${refusal || 'it compiled'})`, constantInputs };
      const all = new Map(declared.flatMap((n, i) => (inputFiles[i] ? [[n, readFileSync(join(data, inputFiles[i]!))] as const] : [])));
      const folded = readModel(withConstantInputs(modelBytes, all)).graph;
      if (folded.nodes.some((n) => getOp(n.op).hostOnly)) return { status: 'error', message: `${hostOnly} on constant inputs was not decoded when the file was read`, constantInputs };
      got = compileGraph(folded, {})({});
    } else got = compileGraph(graph, types)(feeds);
    for (let k = 0; k < outputs.length; k++) {
      const o = graph.outputs[k]!.name;
      const diff = compareTensors(`hybridized ${o}`, got[o]!, outputs[k]!, rtol(k), atol, shapeOnly);
      if (diff) return { status: 'mismatch', message: diff, constantInputs };
    }
    const block = new SymbolBlock(graph, null, dir);
    const eager = block.call(...names.map((n) => new NDArray(feeds[n]!)));
    const list = (Array.isArray(eager) ? eager : [eager]) as NDArray[];
    for (let k = 0; k < outputs.length; k++) {
      const diff = compareTensors(`eager ${graph.outputs[k]!.name}`, list[k]!._host, outputs[k]!, rtol(k), atol, shapeOnly);
      if (diff) return { status: 'mismatch', message: diff, constantInputs };
    }
  } catch (e) {
    const m = (e as Error).message.split('\n')[0]!;
    // A host-only decoder refusing the format of the case's bytes (JPEG 2000) is a refusal, named when the file is read with them.
    return { status: hostOnly && /^readModel: .* images are not supported/.test(m) ? 'refused' : 'error', message: m, constantInputs };
  }
  return { status: 'pass', message: '', constantInputs, shapeOnly };
}

/** What the cases of a folder gave: counts, the cases that imported and then failed or differed, refusals not naming the reader. */
export interface FolderResult {
  pass: number;
  refused: number;
  /** Matching cases that needed shape inputs fixed as constants. */
  constantInputs: number;
  /** Matching cases that draw random numbers (compared by dtype and shape). */
  shapeOnly: number;
  /** `name: status: message` of each case that imported and then failed or differed. */
  failed: { name: string; text: string }[];
  /** Refusals whose message does not start with `readModel: `. */
  unnamedRefusals: string[];
}

/**
 * Runs every case in `dir` (or the `names` given) with runBackendCase.
 *
 * ```ts
 * const r = runBackendFolder(join(BACKEND_DATA, 'node')); // r.pass, r.failed
 * ```
 */
export function runBackendFolder(dir: string, names = readdirSync(dir).sort()): FolderResult {
  const r: FolderResult = { pass: 0, refused: 0, constantInputs: 0, shapeOnly: 0, failed: [], unnamedRefusals: [] };
  for (const name of names) {
    const c = runBackendCase(join(dir, name));
    if (c.status === 'pass') {
      r.pass++;
      if (c.constantInputs.length) r.constantInputs++;
      if (c.shapeOnly) r.shapeOnly++;
    } else if (c.status === 'refused') {
      r.refused++;
      if (!c.message.startsWith('readModel: ')) r.unnamedRefusals.push(`${name}: ${c.message}`);
    } else r.failed.push({ name, text: `${name}: ${c.status}: ${c.message}` });
  }
  return r;
}

/** The counts of a folder's run as the backend tests print them. */
export const countsLine = (r: FolderResult): string =>
  `${r.pass} match (${r.constantInputs} with shape inputs fixed as constants, ${r.shapeOnly} random ones by dtype and shape only), ${r.refused} refused`;
