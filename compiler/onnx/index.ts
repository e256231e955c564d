/**
 * ONNX in and out: `emitModel` (IR -> ModelProto bytes), `readModel` (bytes
 * or a file -> IR) and the onnx-proto helpers they share.
 *
 * ```ts
 * import { emitModel, readModel } from './onnx/index.js';
 * const { graph } = readModel(emitModel(g));
 * ```
 */
export { emitModel, buildModel, DEFAULT_OPSET, minOpsetOf, checkGraphOpset, type EmitOptions } from './emit.js';
export { MIN_OPSET, MAX_OPSET, checkOpsetRange } from './opset-forms.js';
export { readModel, MANIFEST_KEY, type ModelManifest, type ReadModelResult } from './read.js';
export { onnx, tensorProto, fromTensorProto, valueInfo, type OnnxTypes } from './proto.js';
