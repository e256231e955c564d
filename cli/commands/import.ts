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
  try {
    ({ graph } = readModel(file));
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
  const inputs = Object.fromEntries(graph.inputs.map((v) => [v.name, { shape: v.type.shape, dtype: v.type.dtype }]));
  const ts = path.join(outDir, `${base}.mts`);
  writeFileSync(
    ts,
    [
      `// Written by \`gluonc import ${path.basename(file)}\`: the ONNX graph as a trainable gluon block.`,
      `import { fileURLToPath } from 'node:url';`,
      `import { gluon } from 'gluonc';`,
      '',
      `export const inputs = ${JSON.stringify(inputs)};`,
      `export const params = './${base}.safetensors';`,
      '',
      `export default () => gluon.SymbolBlock.imports(fileURLToPath(new URL('./${path.basename(file)}', import.meta.url)));`,
      '',
    ].join('\n'),
  );
  return { operators, refusal: null, written: [weights, ts] };
}

/** The text `import` prints. */
export function formatImport(file: string, r: ImportReport): string {
  const rows = Object.entries(r.operators).map(([op, e]) => `  ${op.padEnd(28)} ${String(e.count).padStart(4)}  ${e.maps ? 'maps' : 'does not map'}`);
  const lines = [`${file}: ${Object.values(r.operators).reduce((s, e) => s + e.count, 0)} nodes`, 'operators:', ...rows];
  if (r.refusal) lines.push(`not imported: ${r.refusal}`);
  else lines.push('imported; wrote:', ...r.written.map((w) => `  ${w}`), `next: gluonc compile ${r.written[1]}`);
  return lines.join('\n');
}
