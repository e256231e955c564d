/**
 * The shape of the operator table's entries. Each family of operators has a
 * file in `cases/` exporting `OpCase[]`; `ops.test.ts` runs them all.
 */
import type { DType } from '../../../runtime/dtypes.js';

/** How to make one random input. */
export interface InputSpec {
  shape: number[];
  dtype?: DType;
  /** Uniform range of values (default [-2, 2]); integers are drawn in [lo, hi). */
  range?: [number, number];
  /** Fixed values instead of random ones. */
  values?: number[];
  /**
   * Random floats at least 0.7 (hi - lo) / count apart (a shuffled, jittered even grid over the range): the
   * finite differences of a maximum over them never cross a tie, as they can with uniform draws.
   */
  spaced?: boolean;
  /** Dimension 0 becomes the symbolic 'N' when traced. */
  symbolic?: boolean;
}

/** One call of the operator. */
export interface Sample {
  inputs: InputSpec[];
  /** Arguments after the tensors: positional options and/or an options object. */
  args?: unknown[];
  /** A name for the test title. */
  label?: string;
  /**
   * The lowest ONNX opset this sample's options lower at, where an option is
   * newer than the operator (ROIAlign's `aligned` needs RoiAlign-16): below
   * it opsets.test.ts expects the lowering's Error naming the operator and it.
   */
  minOpset?: number;
}

/** The table entry of one operator. */
export interface OpCase {
  /** The canonical operator name. */
  op: string;
  samples: Sample[];
  /**
   * An independent numpy reference computed in float64: a Python expression
   * or statements that set `out` (a list for several outputs). Inputs are
   * `a`, `b`, `c`, ... (float64 numpy arrays, or the input dtype for
   * integers), the options object is `attrs` (a dict, with defaults absent),
   * positional arguments are `args`. Absent only for operators whose result
   * is not arithmetic (see `noRef`).
   */
  ref?: string;
  /** Why there is no numpy reference (random operators, say). */
  noRef?: string;
  /** Tolerances for float32 comparisons (default rtol 1e-4, atol 1e-5). */
  rtol?: number;
  atol?: number;
  /** Compare only shapes and dtypes (random operators). */
  shapeOnly?: boolean;
}
