/**
 * The tensor type operators are written against when either backend may
 * run them: gradient rules (F = nd on the eager tape, F = sym in gradient
 * graphs) and `hybridForward`. NDArray and Symbol both provide it.
 */
import type { DType } from '../../runtime/dtypes.js';
import type { Dim } from '../ir/types.js';
import type { MethodsOf, OpsOf } from './call.js';

/** An NDArray when eager, a Symbol while traced: both have these members. */
export interface Tensor extends MethodsOf<Tensor> {
  readonly shape: Dim[];
  readonly dtype: DType;
  readonly ndim: number;
  astype(dtype: DType): Tensor;
}

/** The operator backend: `nd` or `sym`. */
export type F = OpsOf<Tensor>;
