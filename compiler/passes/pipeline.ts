/**
 * The optimization pipeline: ONE ordered list of passes. `-O0` runs none;
 * each step names the lowest level that runs it and the modes it is safe
 * for. Training graphs (hybridized blocks, gradient graphs, the fused
 * training step: parameters are session inputs) get only the training-safe
 * passes: fold, simplify, CSE, DCE. `-O3` additionally treats parameters
 * that carry data as constants and folds them into weights (inference
 * artifacts only: the artifact's parameter set changes).
 */
import { verifyGraph } from '../ir/verify.js';
import type { Graph } from '../ir/graph.js';
import { getOp } from '../ops/registry.js';
import { eliminateCommonSubexpressions } from './eliminate-common-subexpressions.js';
import { eliminateDeadCode } from './eliminate-dead-code.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import { foldConstants } from './fold-constants.js';
import { foldScales } from './fold-scales.js';
import { fuseGelu } from './fuse-gelu.js';
import { fuseGemm } from './fuse-gemm.js';
import { fuseLayerNorm } from './fuse-layer-norm.js';
import { gatePoolGrad } from './gate-pool-grad.js';
import { inferShapes } from './infer-shapes.js';
import type { Pass, PassContext, PassMode } from './pass.js';
import { poolExampleLast } from './pool-example-last.js';
import { saveRecurrentActivations } from './save-recurrent-activations.js';
import { shareConvColumns } from './share-conv-columns.js';
import { simplifyAlgebra } from './simplify-algebra.js';

/** An optimization level, `-O0` to `-O3`. */
export type OptLevel = 0 | 1 | 2 | 3;

/** One step of the pipeline. */
export interface PipelineStep {
  name: string;
  pass: Pass;
  /** The lowest level that runs it. */
  level: OptLevel;
  /** The modes it runs in. */
  modes: readonly PassMode[];
}

const BOTH = ['inference', 'training'] as const;
const INFERENCE_ONLY = ['inference'] as const;
const TRAINING_ONLY = ['training'] as const;

/** The pipeline, in order. */
export const PIPELINE: readonly PipelineStep[] = [
  // Exact types first: every later pass matches on shapes and dtypes.
  { name: 'infer-shapes', pass: inferShapes, level: 1, modes: BOTH },
  // Constants and shape arithmetic (zerosLike/reshapeLike/... of concrete shapes) fold now.
  { name: 'fold-constants', pass: foldConstants, level: 1, modes: BOTH },
  // x*1, x+0, double transposes and reshapes, same-dtype casts, no-op broadcasts.
  { name: 'simplify-algebra', pass: simplifyAlgebra, level: 2, modes: BOTH },
  // A relu's gradient mask behind a max pooling's gradient applies at the pooled size (before CSE:
  // the pooling it needs is the forward one).
  { name: 'gate-pool-grad', pass: gatePoolGrad, level: 2, modes: BOTH },
  // Equal constants and repeated computations merge (gradient graphs repeat many).
  { name: 'eliminate-common-subexpressions', pass: eliminateCommonSubexpressions, level: 2, modes: BOTH },
  // Hand-written layer norms and GELUs become ONNX's fused operators.
  { name: 'fuse-layer-norm', pass: fuseLayerNorm, level: 2, modes: INFERENCE_ONLY },
  { name: 'fuse-gelu', pass: fuseGelu, level: 2, modes: INFERENCE_ONLY },
  // Inference BatchNorms fold into the preceding Convolution/FullyConnected weights.
  { name: 'fold-batch-norm', pass: foldBatchNorm, level: 3, modes: INFERENCE_ONLY },
  // Constant scales (the seed's `scales`) fold into the weights they multiply.
  { name: 'fold-scales', pass: foldScales, level: 3, modes: INFERENCE_ONLY },
  // What the rewrites above exposed (a simplified broadcast of a constant, a fused layer's
  // constants): fold, simplify and merge once more.
  { name: 'fold-constants', pass: foldConstants, level: 2, modes: BOTH },
  { name: 'simplify-algebra', pass: simplifyAlgebra, level: 2, modes: BOTH },
  { name: 'eliminate-common-subexpressions', pass: eliminateCommonSubexpressions, level: 2, modes: BOTH },
  // An LSTM whose gradient is taken saves its activations for it (no recomputed forward).
  { name: 'save-recurrent-activations', pass: saveRecurrentActivations, level: 2, modes: TRAINING_ONLY },
  // A convolution whose input a weight gradient unfolded already reads those columns (one Gemm).
  { name: 'share-conv-columns', pass: shareConvColumns, level: 2, modes: BOTH },
  // A max pooling of those columns' example-last output pools it in that layout (its gradient
  // too), and the transposes to and from NCHW that cancel go.
  { name: 'pool-example-last', pass: poolExampleLast, level: 2, modes: BOTH },
  { name: 'simplify-algebra', pass: simplifyAlgebra, level: 2, modes: BOTH },
  // Scales move into matrix products and accumulations into Gemm (a weight gradient and its
  // optimizer update: one pass over the weight). After CSE, so a product used twice stays.
  { name: 'fuse-gemm', pass: fuseGemm, level: 2, modes: BOTH },
  // Last: drop everything the outputs no longer need.
  { name: 'eliminate-dead-code', pass: eliminateDeadCode, level: 1, modes: BOTH },
];

/** What one pass did. */
export interface PassReport {
  pass: string;
  nodesBefore: number;
  nodesAfter: number;
  changed: boolean;
  /** Milliseconds spent. */
  ms: number;
}

/** Options of `runPipeline`. */
export interface PipelineOptions {
  /** `-O0` .. `-O3` (default 2). */
  level?: number;
  mode: PassMode;
  /** Called after each pass (e.g. to print `--report` lines as they come). */
  report?: (r: PassReport) => void;
  /** Run the verifier (with the operators' type rules) after each pass: tests do. */
  verify?: boolean;
}

/** The steps a level and mode run, in order. Example: `stepsFor(2, 'training').map((s) => s.name)`. */
export function stepsFor(level: number, mode: PassMode): PipelineStep[] {
  const lv = checkLevel(level);
  return PIPELINE.filter((s) => s.level <= lv && s.modes.includes(mode));
}

function checkLevel(level: number): OptLevel {
  if (!Number.isInteger(level) || level < 0 || level > 3) throw new Error(`optimization level must be 0, 1, 2 or 3 (-O0 .. -O3), got ${JSON.stringify(level)}`);
  return level as OptLevel;
}

/** The type rule as the verifier wants it. */
export function inferNode(node: { op: string; inputs: { type: import('../ir/types.js').TensorType }[]; attrs: unknown }) {
  return getOp(node.op).infer(node.inputs.map((v) => v.type), node.attrs as never);
}

/**
 * Runs the pipeline on `graph` (rewritten in place: pass a copy to keep the
 * original) and reports each pass.
 *
 * ```ts
 * const { graph: g, report } = runPipeline(graph, { level: 2, mode: 'inference' });
 * console.log(formatReport(report));
 * ```
 */
export function runPipeline(graph: Graph, options: PipelineOptions): { graph: Graph; report: PassReport[] } {
  const level = checkLevel(options.level ?? 2);
  const ctx: PassContext = { mode: options.mode, foldParams: options.mode === 'inference' && level >= 3 };
  const report: PassReport[] = [];
  let g = graph;
  for (const step of stepsFor(level, options.mode)) {
    const nodesBefore = g.nodes.length;
    const t0 = performance.now();
    const r = step.pass(g, ctx);
    const ms = performance.now() - t0;
    g = r.graph;
    if (options.verify) {
      try {
        verifyGraph(g, inferNode);
      } catch (e) {
        throw new Error(`after pass ${step.name}: ${(e as Error).message}`);
      }
    }
    const entry = { pass: step.name, nodesBefore, nodesAfter: g.nodes.length, changed: r.changed, ms };
    report.push(entry);
    options.report?.(entry);
  }
  return { graph: g, report };
}

/**
 * The report as aligned text lines (what `gluonc compile --report` prints), with a total.
 *
 * ```
 * pass                              nodes before  after  time
 * fold-constants                            12     10   0.3 ms
 * ```
 */
export function formatReport(report: PassReport[]): string {
  const w = Math.max(4, ...report.map((r) => r.pass.length));
  const lines = [`${'pass'.padEnd(w)}  nodes before   after      time`];
  for (const r of report) lines.push(`${r.pass.padEnd(w)}  ${String(r.nodesBefore).padStart(12)}  ${String(r.nodesAfter).padStart(6)}  ${r.ms.toFixed(2).padStart(7)} ms`);
  if (report.length) {
    const total = report.reduce((s, r) => s + r.ms, 0);
    lines.push(`${'total'.padEnd(w)}  ${String(report[0]!.nodesBefore).padStart(12)}  ${String(report[report.length - 1]!.nodesAfter).padStart(6)}  ${total.toFixed(2).padStart(7)} ms`);
  }
  return lines.join('\n');
}
