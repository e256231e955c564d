/**
 * The types users write `hybridForward` against: `F` (either backend) and
 * `Tensor` (an NDArray when eager, a Symbol while tracing).
 */
export type { F, Tensor } from '../ops/tensor.js';
