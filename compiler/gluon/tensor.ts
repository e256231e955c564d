/**
 * The types users write `hybridForward` against: `F` (either backend) and
 * `Tensor` (an NDArray when eager, a Symbol while tracing).
 */
import type { DType } from '../../runtime/dtypes.js';
import type { Dim } from '../ir/types.js';
import type { MethodsOf, OpsOf } from '../ops/call.js';

/**
 * What `hybridForward` receives as tensors: an NDArray when the block runs
 * eagerly, a Symbol while it is traced. Both have these methods.
 */
export interface Tensor extends MethodsOf<Tensor> {
  readonly shape: Dim[];
  readonly dtype: DType;
  readonly ndim: number;
  astype(dtype: DType): Tensor;
}

/** The operator backend handed to `hybridForward`: `nd` or `sym`. */
export type F = OpsOf<Tensor>;
