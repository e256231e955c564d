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
import { setSessionExecutor } from './ops/execute.js';
import { runOneNode } from './eager/one-node.js';
export { executeOp, setSessionExecutor } from './ops/execute.js';
export { runOneNode } from './eager/one-node.js';

// Registration, made here explicitly rather than as an import side effect:
// eager operators and constant folding run large inputs as one-node sessions.
setSessionExecutor(runOneNode);
export { emitModel, buildModel, DEFAULT_OPSET, type EmitOptions } from './onnx/emit.js';
export { readModel } from './onnx/read.js';
/** Whether the ONNX importer maps an operator type (`canImport('Conv')`). */
export { canImport } from './onnx/import/table.js';
/** Safetensors bytes of named tensors (what `saveParameters` writes): `encodeSafetensors({ w: tensor }, { format: 'gluonc' })`. */
export { encodeSafetensors } from './formats/params-file.js';
export { compileGraph, evalSymbols, type Runner } from './compile.js';
export { buildStep, type Step, type StepSpec, type StepWrt, type StepUpdate, type UpdateRule } from './autodiff/step.js';
export type { PassReport } from './passes/pipeline.js';
export { graphOf, Symbol, DataDependentError } from './trace/symbol.js';
export { SymbolicDim, SymbolicDimError, isSymbolicDim, plainShape } from './ops/symbolic-dim.js';
export { retypeGraph } from './trace/retype.js';
export { recordGolden, checkGolden, readGoldenIndex, randomFeeds, compareTensors, GOLDEN_ATOL, GOLDEN_RTOL, type GoldenIndex, type GoldenResult, type GoldenOutputResult, type RecordGoldenOptions, type CheckGoldenOptions } from '../runtime/golden.js';
export { runPipeline, formatReport } from './passes/pipeline.js';
/** The ONNX protobuf classes (onnx-proto): `onnx.ModelProto.decode(bytes)`. */
export { onnx, fromTensorProto, tensorProto } from './onnx/proto.js';

// `Symbol.eval` compiles through the compile layer, which the tracing layer cannot import.
setSymbolEvaluator(evalSymbols);
