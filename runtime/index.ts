/**
 * `gluonc/runtime`: what services import. It depends only on
 * onnxruntime-node, never on the compiler or the Gluon front end.
 */
export { Session, CUDA_INSTALL_HINT, toOrt, fromOrt, type Device, type IOInfo, type SessionOptions } from './session.js';
export { DTYPES, isDType, checkDType, type DType, type TypedArray } from './dtypes.js';
export { sizeOf, tensorFromNumbers, tensorToNumbers, formatShape, type HostTensor } from './tensor.js';
export { counters, reset as resetCounters, type Counters } from './profiler.js';
