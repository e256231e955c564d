/**
 * `gluonc import <model.onnx> [-o dir]`: inspects an ONNX file from another
 * tool (PyTorch, TensorFlow, ...), says which of its operators map onto
 * gluonc and which do not, and when every node maps writes
 * `<name>.safetensors` (the parameters: the float initializers) and
 * `<name>.mts`, a model file (an ES module wherever it lies) loading the graph with `gluon.SymbolBlock.imports`,
 * so `gluonc compile <name>.ts` (and `--train`) works on it. The ONNX file
 * (and its external data files) are copied into the output folder.
 */
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../compiler/gluon/index.js';
import { canImport, encodeSafetensors, onnx, readModel } from '../../compiler/index.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import { makeFolder, writeProblem } from '../../runtime/index.js';
import { asUserError, UserError } from '../errors.js';

/** What `importOnnx` found and wrote. */
export interface ImportReport {
  /** ONNX operator -> [node count, maps]. */
  operators: Record<string, { count: number; maps: boolean }>;
  /** The first refusal (null when the whole graph imports). */
  refusal: string | null;
  /** Files written (empty when the graph does not import). */
  written: string[];
  /** How each sequence or optional input is called (empty for a file of tensor inputs). */
  notes?: string[];
}

/**
 * Inspects `file` and, when it imports, writes the parameters and a model file into `outDir`.
 *
 * ```ts
 * const r = importOnnx('resnet.onnx', 'out'); // r.written: ['out/resnet.safetensors', 'out/resnet.mts']
 * ```
 */
export function importOnnx(file: string, outDir: string = path.dirname(file)): ImportReport {
  // Decoded here, not through readArtifact: a file onnxruntime cannot open (a newer IR version) may still import.
  if (!existsSync(file)) throw new UserError(`'${file}': no such file`);
  if (statSync(file).isDirectory()) throw new UserError(`'${file}' is a folder, not an .onnx file`);
  const model = asUserError(`'${file}'`, () => {
    try {
      return onnx.ModelProto.decode(readFileSync(file));
    } catch (e) {
      // As readModel says it: the protobuf decoder's own words alone do not tell a user what is wrong.
      throw new Error(`not a valid ONNX model: protobuf decoding failed (${(e as Error).message}); the file is corrupt or truncated`);
    }
  });
  const operators: ImportReport['operators'] = {};
  // Every node, those of subgraphs (an If's branches) included.
  const pending = [...(model.graph?.node ?? [])];
  for (let n = pending.pop(); n; n = pending.pop()) {
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : (n.opType ?? '');
    const e = (operators[op] ??= { count: 0, maps: !n.domain || n.domain === 'ai.onnx' ? canImport(op) : false });
    e.count++;
    for (const a of n.attribute ?? []) for (const g of a.g ? [a.g] : (a.graphs ?? [])) pending.push(...(g.node ?? []));
  }
  let graph;
  let inputs: Record<string, unknown>;
  const notes: string[] = [];
  try {
    const r = readModel(file, { deferBoundary: true });
    const kinds = r.inputKinds;
    if (kinds.every((k) => k.kind === 'tensor')) {
      graph = r.graph;
      inputs = Object.fromEntries(graph.inputs.map((v) => [v.name, { shape: v.type.shape, dtype: v.type.dtype }]));
    } else {
      // Sequence and optional inputs (read-boundary.ts): the parameters are known without a call; the nodes are
      // read for a call's structure, here one item per sequence and each optional given, of the declared types.
      graph = r.graph;
      const declared = trialBoundary(model.graph?.input ?? [], kinds.filter((k) => k.kind !== 'tensor'));
      const tried = readModel(file, { boundary: declared });
      const byName = new Map(tried.graph.inputs.map((v) => [v.name, { shape: v.type.shape, dtype: v.type.dtype }]));
      inputs = Object.fromEntries(kinds.map((k) => [k.name, k.kind === 'sequence' ? [byName.get(`${k.name}_0`)] : k.of === 'sequence' ? [byName.get(`${k.name}_0`)] : byName.get(k.name)]));
      for (const k of kinds.filter((k) => k.kind !== 'tensor')) notes.push(`${k.name}: ${k.kind === 'sequence' || k.of === 'sequence' ? 'a sequence: call the block with a list of arrays' : 'an optional: call the block with an array or null'}`);
    }
  } catch (e) {
    return { operators, refusal: (e as Error).message, written: [] };
  }
  const base = path.basename(file, path.extname(file));
  try {
    makeFolder(outDir);
  } catch (e) {
    const weightsFile = path.join(outDir, `${base}.safetensors`);
    throw new UserError(`cannot write '${weightsFile}': ${writeProblem(weightsFile, e)}`);
  }
  const onnxCopy = path.join(outDir, path.basename(file));
  if (path.resolve(onnxCopy) !== path.resolve(file)) {
    copyFileSync(file, onnxCopy);
    // External data files (checked by readModel to lie in the file's folder) go along, at the same relative paths.
    const locations = new Set((model.graph?.initializer ?? []).flatMap((t) => (t.externalData ?? []).filter((kv) => kv.key === 'location').map((kv) => kv.value ?? '')));
    for (const loc of locations) {
      makeFolder(path.dirname(path.join(outDir, loc)));
      copyFileSync(path.join(path.dirname(file), loc), path.join(outDir, loc));
    }
  }
  const weights = path.join(outDir, `${base}.safetensors`);
  writeFileAtomic(weights, encodeSafetensors(graph.params.map((v) => [v.name, v.data!] as [string, NonNullable<typeof v.data>])));
  const ts = path.join(outDir, `${base}.mts`);
  writeFileSync(
    ts,
    [
      `// Written by \`gluonc import ${path.basename(file)}\`: the ONNX graph as a trainable gluon block.`,
      `import { fileURLToPath } from 'node:url';`,
      `import { gluon } from 'gluonc';`,
      '',
      ...(notes.length
        ? [
            '// Its sequence and optional inputs are called as SymbolBlock.imports reads them (README, "Sequences and optionals as',
            "// inputs and outputs\"): a list of arrays for a sequence (listed here with one item of its declared type), an array or",
            '// null for an optional. `gluonc compile` takes tensor inputs only and refuses the list: call the block from code and',
            "// export it (net.export('m.onnx') writes the last call's structure, each sequence item an input <name>_<k>).",
            ...notes.map((t) => `//   ${t}`),
          ]
        : []),
      `export const inputs = ${JSON.stringify(inputs)};`,
      `export const params = './${base}.safetensors';`,
      '',
      `export default () => gluon.SymbolBlock.imports(fileURLToPath(new URL('./${path.basename(file)}', import.meta.url)));`,
      '',
    ].join('\n'),
  );
  return { operators, refusal: null, written: [weights, ts], notes };
}

/**
 * The types a first read of a file with sequence or optional inputs `names` gives them: each sequence one item, each
 * optional given, of the declared element type (a dimension without a value named `<input>_<axis>`).
 */
function trialBoundary(vis: OnnxNs.IValueInfoProto[], kinds: { name: string; dtype?: string }[]): Boundary {
  const out: Boundary = {};
  for (const { name, dtype } of kinds) {
    const vi = vis.find((v) => v.name === name)!;
    const seq = vi.type?.sequenceType ?? vi.type?.optionalType?.elemType?.sequenceType;
    const t = (seq ? seq.elemType : vi.type?.optionalType?.elemType)?.tensorType;
    if (!t?.shape) throw new Error(`graph input '${name}' declares no shape for its ${seq ? 'items' : 'tensor'}, which a first read needs to check its nodes: call SymbolBlock.imports('${name}') from code`);
    if (!dtype) throw new Error(`graph input '${name}' declares no dtype gluonc reads for its ${seq ? 'items' : 'tensor'}`);
    const shape = (t.shape.dim ?? []).map((d, i) => (d.dimValue !== null && d.dimValue !== undefined ? Number(d.dimValue) : d.dimParam || `${name}_${i}`));
    const type = { dtype, shape } as TensorSpec;
    out[name] = seq ? [type] : type;
  }
  return out;
}

type Boundary = NonNullable<NonNullable<Parameters<typeof readModel>[1]>['boundary']>;
type TensorSpec = Extract<Boundary[string], { dtype: unknown }>;

/** The text `import` prints. */
export function formatImport(file: string, r: ImportReport): string {
  const rows = Object.entries(r.operators).map(([op, e]) => `  ${op.padEnd(28)} ${String(e.count).padStart(4)}  ${e.maps ? 'maps' : 'does not map'}`);
  const lines = [`${file}: ${Object.values(r.operators).reduce((s, e) => s + e.count, 0)} nodes`, 'operators:', ...rows];
  if (r.refusal) lines.push(`not imported: ${r.refusal}`);
  else if (r.notes?.length) {
    lines.push('imported; wrote:', ...r.written.map((w) => `  ${w}`), 'sequence and optional inputs (called as SymbolBlock.imports reads them; gluonc compile takes tensors only, so call and export the block from code):', ...r.notes.map((t) => `  ${t}`));
  } else lines.push('imported; wrote:', ...r.written.map((w) => `  ${w}`), `next: gluonc compile ${r.written[1]}`);
  return lines.join('\n');
}
