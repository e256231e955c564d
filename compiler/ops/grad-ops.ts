/**
 * What gradient rules are written against: a tensor interface both
 * `NDArray` and `Symbol` implement, and the operators rules call, each
 * signature written out here. It depends on no operator family, so the
 * families (whose rules it types) do not import the operator list through
 * it, and adding an operator never changes it: a rule that needs another
 * operator adds its signature here.
 *
 * Members are declared as methods: their parameters compare both ways, so
 * `nd`'s operators (on NDArrays) and `sym`'s (on Symbols) are both a
 * `GradOps` without a cast. A rule receives tensors of one backend and
 * returns them to that backend; it never mixes the two.
 *
 * ```ts
 * const rule: GradRule = (F, { inputs: [a, b] }, [g]) => [F.mul(g!, b!), F.mul(g!, a!)];
 * ```
 */
import type { DType } from '../../runtime/dtypes.js';
import type { NarrowFormat } from '../../runtime/narrow.js';
import type { Dim } from '../ir/types.js';
import type { SymbolicDim } from './symbolic-dim.js';

/** A tensor as a gradient rule sees it: an NDArray on the eager tape, a Symbol in gradient graphs. Example: `ctx.inputs[0]!.shape`. */
export interface GradTensor {
  /** Symbolic dimensions are names (`SymbolicDim`s while a block is traced for export; see symbolic-dim.ts). */
  readonly shape: (Dim | SymbolicDim)[];
  readonly dtype: DType;
  readonly ndim: number;
}

type T = GradTensor;
type N = GradTensor | number;
type Axis = number | number[] | null;
type ReduceOpts = { axis?: Axis; keepdims?: boolean; exclude?: boolean };
type Dot = { transposeA?: boolean; transposeB?: boolean };

/**
 * The operators gradient rules use, with the call forms of `F` (`nd` and
 * `sym` provide every one). Layer operators take their options as an
 * object: a rule passes the node's own attributes or a few of them, and
 * the operator checks their names when called. Example:
 * `F.reduceSumLike(F.mul(g, b), a)`.
 */
export interface GradOps {
  add(lhs: N, rhs: N): T;
  sub(lhs: N, rhs: N): T;
  mul(lhs: N, rhs: N): T;
  div(lhs: N, rhs: N): T;
  pow(lhs: N, rhs: N): T;
  maximum(lhs: N, rhs: N): T;
  minimum(lhs: N, rhs: N): T;
  broadcastSub(lhs: N, rhs: N): T;
  broadcastDiv(lhs: N, rhs: N): T;
  equal(lhs: N, rhs: N): T;
  greater(lhs: N, rhs: N): T;
  greaterEqual(lhs: N, rhs: N): T;
  lesser(lhs: N, rhs: N): T;
  lesserEqual(lhs: N, rhs: N): T;
  neg(data: T): T;
  abs(data: T): T;
  sign(data: T): T;
  exp(data: T): T;
  log(data: T): T;
  rsqrt(data: T): T;
  square(data: T): T;
  sin(data: T): T;
  cos(data: T): T;
  sigmoid(data: T): T;
  tanh(data: T): T;
  relu(data: T): T;
  erf(data: T): T;
  floor(data: T): T;
  clip(data: T, aMin: number, aMax: number): T;
  where(condition: T, x: N, y: N): T;
  zerosLike(data: T): T;
  /** Shape entries may be 0-d/1-d integer tensors (`shapeArray` of a tensor), read when the graph runs. */
  zeros(shape: number | (number | T)[] | T, options?: { dtype?: DType }): T;
  onesLike(data: T): T;
  cast(data: T, dtype: DType | { dtype: DType }): T;
  narrowCast(data: T, options: { format: NarrowFormat; saturate?: boolean; roundMode?: 'up' | 'down' | 'nearest' }): T;

  sum(data: T, axis?: Axis | ReduceOpts, keepdims?: boolean | ReduceOpts, options?: ReduceOpts): T;
  mean(data: T, axis?: Axis | ReduceOpts, keepdims?: boolean | ReduceOpts, options?: ReduceOpts): T;
  max(data: T, axis?: Axis | ReduceOpts, keepdims?: boolean | ReduceOpts, options?: ReduceOpts): T;
  min(data: T, axis?: Axis | ReduceOpts, keepdims?: boolean | ReduceOpts, options?: ReduceOpts): T;
  prod(data: T, axis?: Axis | ReduceOpts, keepdims?: boolean | ReduceOpts, options?: ReduceOpts): T;
  argmax(data: T, axis?: number | null | { axis?: number | null; keepdims?: boolean }, keepdims?: boolean): T;
  reduceSumLike(data: T, like: T): T;
  divSqrtDim(data: T): T;

  reshape(data: T, shape: number | number[] | { shape: number[]; reverse?: boolean }, ...rest: (number | { reverse?: boolean })[]): T;
  reshapeLike(lhs: T, rhs: T): T;
  transpose(data: T, axes?: number[] | { axes?: number[] }): T;
  expandDims(data: T, axis: number | { axis: number }): T;
  squeeze(data: T, axis?: number | number[] | null | { axis?: number | number[] | null }): T;
  broadcastLike(lhs: T, rhs: T, options?: { lhsAxes?: number[]; rhsAxes?: number[] }): T;
  concat(...args: T[] | [...T[], { dim?: number }]): T;
  stack(...args: T[] | [...T[], { axis?: number }]): T;
  split(data: T, options: { numOutputs: number; axis?: number; squeezeAxis?: boolean }): T[];
  slice(data: T, options: { begin: (number | null)[]; end: (number | null)[]; step?: (number | null)[] }): T;
  sliceAxis(data: T, options: { axis: number; begin: number; end: number | null }): T;
  take(a: T, indices: T, options?: { axis?: number; mode?: 'clip' | 'wrap' }): T;
  shapeArray(data: T, options?: { begin?: number | null; end?: number | null; axis?: number | null }): T;
  arange(start: number | T, stop?: number | T | null | { dtype?: DType }, step?: number | { dtype?: DType }, options?: { dtype?: DType }): T;
  pick(data: T, index: T, options?: { axis?: number; keepdims?: boolean; mode?: 'clip' | 'wrap' }): T;
  oneHot(indices: T, depth: number | { depth: number; onValue?: number; offValue?: number; dtype?: DType }, options?: { onValue?: number; offValue?: number; dtype?: DType }): T;
  pad(data: T, options: { mode?: 'constant' | 'edge' | 'reflect'; padWidth: number[]; constantValue?: number }): T;
  indexAdd(data: T, indices: T, updates: T, options?: { axis?: number; mode?: 'clip' | 'wrap' }): T;
  scatterAdd(data: T, index: T, updates: T, options?: { axis?: number; mode?: 'clip' | 'wrap' }): T;
  scatterReduce(data: T, index: T, updates: T, options: { axis?: number; reduce: 'sum' | 'prod' | 'mean' | 'amax' | 'amin'; includeSelf?: boolean; mode?: 'clip' | 'wrap' }): T;
  tril(data: T, k?: number | { k?: number }): T;
  triu(data: T, k?: number | { k?: number }): T;
  cumsum(data: T, axis?: number | null | { axis?: number | null; exclusive?: boolean; reverse?: boolean }, options?: { exclusive?: boolean; reverse?: boolean }): T;

  dot(lhs: T, rhs: T, options?: Dot): T;
  batchDot(lhs: T, rhs: T, options?: Dot): T;
  einsum(equation: string, ...operands: T[]): T;

  softmax(data: T, options?: { axis?: number; temperature?: number | null }): T;
  Activation(data: T, options: { actType: 'relu' | 'sigmoid' | 'tanh' | 'softrelu' | 'softsign' }): T;
  LeakyReLU(data: T, gammaOrOptions?: T | object | null, options?: object): T;
  FullyConnected(data: T, weight: T, bias?: T | object | null, options?: object): T;
  Embedding(data: T, weight: T, options?: object): T;
  Convolution(data: T, weight: T, bias?: T | object | null, options?: object): T;
  Deconvolution(data: T, weight: T, bias?: T | object | null, options?: object): T;
  convColumns(data: T, options: { kernel: number[]; stride?: number[]; dilate?: number[]; pad?: number[] }): T;
  Pooling(data: T, options?: object): T;
  poolingGrad(data: T, grad: T, options?: object): T;
  poolingPick(data: T, grad: T, options?: object): T;
  boxNmsGrad(data: T, grad: T, options?: object): T;
  BatchNorm(data: T, gamma: T, beta: T, movingMean: T, movingVar: T, options?: object): T;
  LayerNorm(data: T, gamma: T, beta: T, options?: { axis?: number; eps?: number }): T;
  Dropout(data: T, options?: object): T;
  fft(data: T, options?: { axis?: number }): T;
  topk(data: T, options?: object): T | T[];
  SequenceMask(data: T, sequenceLength?: T | object, ...rest: (boolean | number | object)[]): T;
  SequenceReverse(data: T, sequenceLength?: T | object, ...rest: (boolean | number | object)[]): T;
  OnnxRecurrentGrad(...args: [...T[], object]): T[];
  OnnxLoopGrad(...args: [...T[], object]): T | T[];
  CTCLossGrad(...args: [...T[], object]): T;
}
