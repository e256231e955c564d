/**
 * `gluonc/compiler`: the programmatic compiler — the IR, the operator set,
 * tracing, ONNX emission and graph compilation.
 */
import { evalSymbols } from './compile.js';
import { setSymbolEvaluator } from './trace/symbol.js';

export * from './ir/index.js';
export { OPS, type OpName } from './ops/all.js';
export { getOp, hasOp, allOps, allOpNames } from './ops/registry.js';
export { defineOp, type OpDef, type OpSpec, type LowerCtx, type Tx } from './ops/define.js';
export { OpError, withScope } from './ops/errors.js';
export { executeOp } from './ops/execute.js';
export { emitModel, buildModel, DEFAULT_OPSET, type EmitOptions } from './onnx/emit.js';
export { readModel } from './onnx/read.js';
export { compileGraph, evalSymbols, type Runner } from './compile.js';
export { buildStep, type Step, type StepSpec, type StepWrt, type StepUpdate, type UpdateRule } from './autodiff/step.js';
export type { PassReport } from './passes/pipeline.js';
export { graphOf, Symbol, DataDependentError } from './trace/symbol.js';
export { retypeGraph } from './trace/retype.js';
export { recordGolden, checkGolden, readGoldenIndex, randomFeeds, compareTensors, type GoldenIndex, type GoldenResult, type GoldenOutputResult, type RecordGoldenOptions, type CheckGoldenOptions } from './golden.js';

// `Symbol.eval` compiles through the compile layer, which the tracing layer cannot import.
setSymbolEvaluator(evalSymbols);
