/**
 * The optimization passes and their pipeline.
 *
 * ```ts
 * import { runPipeline } from './passes/index.js';
 * runPipeline(graph, { level: 2, mode: 'inference' });
 * ```
 */
export { type Pass, type PassContext, type PassMode, TRAINING, INFERENCE } from './pass.js';
export { PIPELINE, runPipeline, stepsFor, formatReport, type OptLevel, type PassReport, type PipelineOptions, type PipelineStep } from './pipeline.js';
export { inferShapes } from './infer-shapes.js';
export { foldConstants } from './fold-constants.js';
export { simplifyAlgebra } from './simplify-algebra.js';
export { eliminateCommonSubexpressions } from './eliminate-common-subexpressions.js';
export { eliminateDeadCode } from './eliminate-dead-code.js';
export { fuseLayerNorm } from './fuse-layer-norm.js';
export { fuseGelu } from './fuse-gelu.js';
export { gatePoolGrad } from './gate-pool-grad.js';
export { foldBatchNorm } from './fold-batch-norm.js';
export { foldScales } from './fold-scales.js';
export { saveRecurrentActivations } from './save-recurrent-activations.js';
