/**
 * `gluonc inspect <artifact.onnx|model.ts> [--json]`: inputs, outputs (with
 * symbolic dimensions), operator counts, parameter count and FLOPs per
 * sample. A model file is compiled in memory first (as `compile` would).
 */
import path from 'node:path';
import { formatShape } from '../../runtime/index.js';
import { analyzeModel, readArtifact, type ModelAnalysis } from '../analyze.js';
import { asUserError, UserError } from '../errors.js';
import { MODEL_EXTENSIONS } from '../model-extensions.js';

/** Options of `inspect`. */
export interface InspectFlags {
  json?: boolean;
  input: string[];
}

/**
 * Analyzes an artifact or a model file.
 *
 * ```ts
 * (await inspectTarget('models/mlp.ts')).params; // 235146
 * ```
 */
export async function inspectTarget(target: string, inputOverrides: string[] = []): Promise<ModelAnalysis> {
  if (MODEL_EXTENSIONS.includes(path.extname(target))) {
    // A model file is compiled in memory: the compiler is loaded for it only, so inspecting an artifact does not.
    const [{ loadModelFile }, { onnx }, { asHybrid, exportBytes }] = await Promise.all([import('../model-file.js'), import('../../compiler/index.js'), import('../../compiler/gluon/index.js')]);
    const loaded = await loadModelFile(target, inputOverrides);
    const block = asHybrid(loaded.block);
    const { bytes, manifest } = asUserError(`'${target}'`, () => exportBytes(block, { inputs: loaded.inputs, compile: { optLevel: 2 } }));
    return analyzeModel(onnx.ModelProto.decode(bytes), manifest.params);
  }
  const a = readArtifact(target);
  return analyzeModel(a.model, a.manifest?.params ?? null);
}

/** The text `inspect` prints. */
export function formatAnalysis(target: string, a: ModelAnalysis): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const width = Math.max(...[...a.inputs, ...a.outputs].map((x) => x.name.length), 4);
  const row = (x: { name: string; dtype: string; shape: (number | string)[] }) => `  ${x.name.padEnd(width)}  ${x.dtype} ${formatShape(x.shape)}`;
  const ops = Object.entries(a.operators).map(([k, v]) => `  ${k.padEnd(24)} ${v}`);
  return [
    `${target}: ${a.producer || 'unknown producer'}, opset ${a.opset}`,
    'inputs:',
    ...a.inputs.map(row),
    'outputs:',
    ...a.outputs.map(row),
    `operators (${a.nodes} nodes):`,
    ...ops,
    `parameters: ${n(a.params)} (${a.paramTensors} tensors)`,
    `FLOPs per sample: ${a.flopsPerSample === null ? 'unknown (the model did not run at batch 1)' : n(a.flopsPerSample)} (MatMul/Gemm/Conv/Einsum multiply-adds x2; symbolic dimensions = 1)`,
  ].join('\n');
}
