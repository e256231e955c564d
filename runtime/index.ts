/**
 * `gluonc/runtime`: what services import. It depends only on
 * onnxruntime-node, never on the compiler or the Gluon front end.
 */
export { Session, defaultThreads, CUDA_INSTALL_HINT, CUDA_INSTALL_COMMAND, CUDA_MISSING, toOrt, fromOrt, type Device, type IOInfo, type SessionOptions } from './session.js';
export { DTYPES, isDType, checkDType, isFloat, fromOnnxDType, integerProblem, type DType, type TypedArray } from './dtypes.js';
export { sizeOf, tensorFromNumbers, tensorToNumbers, formatShape, type HostTensor } from './tensor.js';
export { counters, reset as resetCounters, type Counters } from './profiler.js';
export { encodeNpy, decodeNpy, readNpy, writeNpy, npyDescr, npyFileNames } from './npy.js';
export { makeFolder, writeProblem } from './atomic-file.js';
export { loadModel, Model, type LoadModelOptions, type RunOptions, type RunStats } from './load-model.js';
export { checkFeeds, FeedError, type Feed, type FeedGuards, type FeedProblem, type Feeds } from './feeds.js';
export { parseDim, evalDim, dimSymbols, type DimConstraint, type DimCmp, type DimExpr } from './dim-expr.js';
export { readModelFile, checkModelBytes, MAX_IR_VERSION, MIN_IR_VERSION, MAX_OPSET, MIN_OPSET, DEFAULT_MAX_BYTES, type ModelFile, type ModelFileOptions } from './model-file.js';
export { openModel, type OpenModelOptions, type OpenedModel } from './open-model.js';
export type { GraphIO, GraphSummary } from './model-graph.js';
export { MANIFEST_FORMAT, MANIFEST_METADATA_KEY, checkManifest, type ArtifactIO, type ArtifactManifest } from './manifest.js';
export { serve, type ServeOptions, type ServeHandle } from './serve.js';
export { cudaProviderInstalled } from './ort.js';
export { recordGolden, checkGolden, readGoldenIndex, randomFeeds, compareTensors, goldenFileName, formatGoldenLine, GOLDEN_ATOL, GOLDEN_RTOL, GOLDEN_FORMAT, type GoldenEntry, type GoldenIndex, type GoldenResult, type GoldenOutputResult, type RecordGoldenOptions, type CheckGoldenOptions } from './golden.js';
