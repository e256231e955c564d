/**
 * The tensor type user code is written against when either backend may run
 * it (`hybridForward`, optimizer updates, losses): every operator method on
 * top of `GradTensor`, the part gradient rules see. NDArray and Symbol both
 * implement it.
 */
import type { DType } from '../../runtime/dtypes.js';
import type { Dim } from '../ir/types.js';
import type { SymbolicDim } from './symbolic-dim.js';
import type { MethodsOf, OpsOf } from './call.js';
import type { GradTensor } from './grad-ops.js';

/** An NDArray when eager, a Symbol while traced: both have these members. */
export interface Tensor extends MethodsOf<Tensor>, GradTensor {
  /** Symbolic dimensions are names (`SymbolicDim`s while a block is traced for export; see symbolic-dim.ts). */
  readonly shape: (Dim | SymbolicDim)[];
  readonly dtype: DType;
  readonly ndim: number;
  astype(dtype: DType): Tensor;
}

/** The operator backend: `nd` or `sym`. */
export type F = OpsOf<Tensor>;
