/**
 * `np`: MXNet 2.x's numpy interface (`mx.np`) for Gluon 2 / d2l code, with
 * numpy's names and semantics, as thin views over the one operator list
 * (`np.exp` is `nd.exp`; `np.dot` is `nd.dot` with numpy's rule for N-D
 * right operands). Reductions over every axis return shape `[]`; arithmetic
 * broadcasts; comparisons return bool arrays; `argmax`/`argsort` return
 * int64 indices. As in MXNet 2 (and unlike numpy) the default dtype is
 * float32, and binary operators on two arrays need equal dtypes (no type
 * promotion); a plain number meets an array as in MXNet 2 (and numpy): a
 * non-integer number with an integer or bool array computes in float64, an
 * integer number with a bool array in int64, otherwise the array's dtype.
 * Invariant: every function dispatches on its arguments as the `nd`
 * operators do — NDArrays run now, Symbols (a hybridized block being traced)
 * add graph nodes — so one `forward` serves eager and compiled calls.
 */
import { checkDType, type DType } from '../../runtime/dtypes.js';
import * as ndMod from '../engine/nd.js';
import { fillValueError } from '../ops/creation.js';
import type { Symbol } from '../trace/symbol.js';
import type { NDArray } from '../engine/ndarray.js';
import { opView } from './npx.js';
import type { Tensor } from '../engine/tensor.js';
import { checkOptions } from '../../runtime/check-options.js';
import { isSymbolicDim } from '../ops/symbolic-dim.js';
import { random } from './np-random.js';
import { eye, identity, meshgrid } from './np-grids.js';
import { bitwise, logicalAnd, logicalNot, logicalOr, logicalXor } from './np-logical.js';
import { arraySplit, axisOption, split } from './np-split.js';
import { pad } from './np-pad.js';
import { columnStack, dstack, hstack, vstack } from './np-join.js';

const ops = ndMod.ops as unknown as Record<string, (...a: unknown[]) => unknown>;

/** An array of np: an NDArray eagerly, a Symbol while traced (`gluon.Tensor` in `hybridForward`). */
type Arr = NDArray | Symbol | Tensor;
/** The result type of a call on `T`: NDArray for NDArrays, Symbol for Symbols, else Tensor. */
type Out<T> = T extends NDArray ? NDArray : T extends Symbol ? Symbol : Tensor;
function call<T>(name: string, ...args: unknown[]): Out<T> {
  return ops[name]!(...args) as Out<T>;
}
function rankOf(x: Arr | number): number {
  return typeof x === 'number' ? 0 : x.shape.length;
}

/**
 * numpy's `dot`: for N-D `b` the sum over `a`'s last axis and `b`'s
 * second-to-last (MXNet's `nd.dot` takes `b`'s first); a 0-d operand multiplies.
 *
 * ```ts
 * np.dot(x, w);               // [N, in] x [in, out] -> [N, out]
 * np.dot(np.ones([3]), np.ones([3])).shape;   // []
 * ```
 */
export function dot<T extends Arr>(a: T, b: Arr | number): Out<T> {
  const rb = rankOf(b);
  if (rankOf(a) === 0 || rb === 0) return call<T>('mul', a, b);
  if (rb <= 2) return call<T>('dot', a, b);
  const perm = [rb - 2, ...Array.from({ length: rb - 2 }, (_v, i) => i), rb - 1];
  return call<T>('dot', a, ops.transpose!(b, perm));
}

const INTEGRAL = new Set<string>(['bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

/**
 * MXNet 2's rule for an array and a plain number (NumpyBinaryScalarType,
 * src/operator/tensor/elemwise_binary_scalar_op.h; numpy agrees): an integer
 * or bool array meeting a non-integer number (0.5, NaN, Infinity) is cast to
 * float64, a bool array meeting an integer number (or an integer array one outside its dtype) to
 * int64 (uint64 to float64, numpy's result_type(uint64, int64)); anything else is returned as it
 * is (the number then takes the array's dtype).
 *
 * ```ts
 * promoteScalar(np.array([1, 2], { dtype: 'int32' }), 0.5);   // the array as float64
 * ```
 */
function promoteScalar<T extends Arr | number>(x: T, other: Arr | number): T {
  if (typeof x === 'number' || typeof other !== 'number' || !INTEGRAL.has(x.dtype)) return x;
  if (!Number.isInteger(other) || Math.abs(other) >= 2 ** 63) return ops.cast!(x, 'float64') as T;
  if (x.dtype !== 'bool' && !fillValueError(other, x.dtype)) return x;
  return ops.cast!(x, x.dtype === 'uint64' ? 'float64' : 'int64') as T;
}

/** The array operand's type of a binary call (`a`'s unless it is a number). */
type Either<A, B> = A extends number ? B : A;

/** A binary operator of the list with MXNet 2's rule for plain numbers (`promoteScalar`). */
function binary(name: string) {
  /** A numpy binary function: broadcasting, a plain number promoted as MXNet 2 does. */
  return <A extends Arr | number, B extends Arr | number>(a: A, b: B): Out<Either<A, B>> => call<Either<A, B>>(name, promoteScalar(a, b), promoteScalar(b, a));
}

/**
 * numpy's true `divide`: two integer (or bool) operands divide as float32, as
 * MXNet 2's `np.divide` with its default dtype (`nd.div` truncates integers).
 *
 * ```ts
 * np.divide(np.arange(0, 5, 1, { dtype: 'int32' }), 4);   // [0, 0.25, 0.5, 0.75, 1] float32
 * ```
 */
export function divide<A extends Arr | number, B extends Arr | number>(a: A, b: B): Out<Either<A, B>> {
  type T = Either<A, B>;
  const integral = (x: Arr | number) => (typeof x === 'number' ? Number.isInteger(x) : INTEGRAL.has(x.dtype));
  const arrays = [a, b].filter((x) => typeof x !== 'number');
  if (arrays.length && integral(a) && integral(b)) {
    const f = (x: Arr | number) => (typeof x === 'number' ? x : ops.cast!(x, 'float32'));
    return call<T>('div', f(a), f(b));
  }
  return call<T>('div', promoteScalar(a, b), promoteScalar(b, a));
}

/**
 * A numpy float function (`np.sqrt`, `np.exp`, ...): an integer or bool
 * array is cast to float32 first, numpy's rule with MXNet's default float
 * (mxnet.np.sqrt's documented `np.sqrt(np.array([1, 4, 9]))` is
 * `array([1., 2., 3.])`); `nd`'s operator keeps the integer dtype as
 * MXNet 1.x does.
 *
 * ```ts
 * np.sqrt(np.array([1, 2], { dtype: 'int32' }));   // [1, 1.4142135] float32
 * ```
 */
function floatFn(name: string) {
  /** numpy's float function: integer and bool arrays computed as float32. */
  return <T extends Arr>(a: T): Out<T> => call<T>(name, INTEGRAL.has(a.dtype) ? ops.cast!(a, 'float32') : a);
}

/**
 * numpy's `squeeze`: removing every axis gives shape `[]` (MXNet 2's np, numpy;
 * `nd.squeeze` keeps `[1]` as MXNet 1.x did).
 *
 * ```ts
 * np.squeeze(np.ones([1, 1])).shape;   // []
 * np.squeeze(x, 1);                    // [3, 1, 4] -> [3, 4]
 * ```
 */
export function squeeze<T extends Arr>(a: T, options: number | number[] | null | { axis?: number | number[] | null } = null): Out<T> {
  const axis = options !== null && typeof options === 'object' && !Array.isArray(options) ? (checkOptions('np.squeeze', options, ['axis']).axis ?? null) : options;
  const y = call<T>('squeeze', a, { axis });
  const rank = a.shape.length;
  const removed = axis === null ? a.shape.filter((d) => d === 1).length : new Set((Array.isArray(axis) ? axis : [axis]).map((k) => (k + rank) % rank)).size;
  return rank > 0 && removed === rank ? (ops.reshape!(y, []) as Out<T>) : y;
}

/**
 * numpy's `reshape`: `-1` infers one dimension and `0` is an empty one, as in
 * numpy (an array of 0 elements reshapes to a shape holding a 0); MXNet's
 * special codes are refused here (MXNet 2's -2 to -6 are `npx.reshape`'s, MXNet 1's
 * 0/-2/-3/-4 `nd.reshape`'s).
 *
 * ```ts
 * np.reshape(x, [-1, 784]);
 * np.reshape(np.zeros([0, 6]), [0, 3]); // shape [0, 3]
 * ```
 */
export function reshape<T extends Arr>(a: T, newshape: number[] | number): Out<T> {
  const s = typeof newshape === 'number' ? [newshape] : newshape;
  const shown = JSON.stringify(newshape);
  // A symbolic x.shape[k] (while exporting) is a size: the reshape operator places it.
  if (!Array.isArray(s) || s.some((d) => !isSymbolicDim(d) && (!Number.isInteger(d) || d < -1)) || s.filter((d) => d === -1).length > 1) {
    throw new Error(`np.reshape: newshape ${shown} must hold non-negative integers and at most one -1 (MXNet 2's codes -2 to -6 are npx.reshape's, MXNet 1's nd.reshape's)`);
  }
  if (!s.includes(0)) return call<T>('reshape', a, s);
  // numpy's literal 0: the array must be empty, and nothing is left for -1 to infer.
  if (s.includes(-1)) throw new Error(`np.reshape: newshape ${shown} holds both 0 and -1 (numpy cannot infer a dimension of an empty shape)`);
  const total = a.shape.reduce<number | null>((n, d) => (typeof d === 'number' && n !== null ? n * d : null), 1);
  if (total !== null && total !== 0) throw new Error(`np.reshape: cannot reshape an array of ${total} elements (shape [${a.shape.join(', ')}]) into ${shown}`);
  return call<T>('reshapeLike', a, ndMod.zeros(s, { dtype: a.dtype }));
}

/** numpy's `ravel`: the elements as 1-D (`x.flatten()` on an `mx.np` array; gluonc's method `flatten()` is MXNet's Flatten, `[d0, d1·…]`). */
export function ravel<T extends Arr>(a: T): Out<T> {
  return call<T>('reshape', a, [-1]);
}

/** numpy's `concatenate` along `axis` (default 0). Example: `np.concatenate([a, b], { axis: 1 })`. */
export function concatenate<T extends Arr>(seq: T[], options: { axis?: number } | number = {}): Out<T> {
  return call<T>('concat', ...seq, { dim: axisOption('np.concatenate', options) });
}

/** numpy's `stack` along a new `axis` (default 0). Example: `np.stack([a, b])`. */
export function stack<T extends Arr>(arrays: T[], options: { axis?: number } | number = {}): Out<T> {
  return call<T>('stack', ...arrays, { axis: axisOption('np.stack', options) });
}

/**
 * numpy's `where`: `x` where `condition` holds, else `y`, broadcasting; a
 * plain number meets the other branch by np's rule (`promoteScalar`: 0.5
 * with an int32 branch is float64, not truncated; MXNet 2's where_rscalar
 * would keep int32), and two numbers give float32 (MXNet 2's where_scalar2).
 *
 * ```ts
 * np.where(np.greater(x, 0), x, 0);   // relu
 * ```
 */
export function where<T extends Arr>(condition: T, x: Arr | number, y: Arr | number): Out<T> {
  return call<T>('where', condition, promoteScalar(x, y), promoteScalar(y, x));
}

function boolOf(name: string) {
  /** A numpy comparison: a bool array, broadcasting (a plain number compared as MXNet 2 does, `promoteScalar`). */
  return <T extends Arr>(a: T, b: Arr | number): Out<T> => ops.cast!(ops[name]!(promoteScalar(a, b), promoteScalar(b, a)), 'bool') as Out<T>;
}

/** numpy's `broadcast_to`: a 0 in `shape` is an empty dimension, as numpy's and MXNet 2's (MXNet 1's `broadcast_to` keeps the input's there). Example: `np.broadcastTo(x, [2, 3])`. */
function broadcastTo<T extends Arr>(a: T, shape: number[]): Out<T> {
  if (!Array.isArray(shape) || !shape.includes(0)) return call<T>('broadcastTo', a, shape);
  const [s, off] = [a.shape, shape.length - a.shape.length];
  if (off < 0 || s.some((d, i) => d !== 1 && d !== shape[off + i])) throw new Error(`np.broadcastTo: cannot broadcast [${s.join(', ')}] to [${shape.join(', ')}]`);
  return call<T>('zeros', shape, { dtype: a.dtype });
}

/**
 * numpy's `take`: without `axis` the input is flattened first, and `mode`
 * defaults to 'raise' (an index outside [-n, n) is an error; negatives count
 * from the end), as MXNet 2's `np.take`; 'clip' and 'wrap' as `nd.take`.
 *
 * ```ts
 * np.take(np.array([[1, 2], [3, 4]]), np.array([0, 3], { dtype: 'int64' }));   // [1, 4]
 * np.take(x, idx, { axis: 1, mode: 'clip' });
 * ```
 */
export function take<T extends Arr>(a: T, indices: Arr, options: { axis?: number | null; mode?: 'raise' | 'clip' | 'wrap' } = {}): Out<T> {
  const axis = checkOptions('np.take', options, ['axis', 'mode']).axis ?? null;
  const data = axis === null ? ops.reshape!(a, [-1]) : a;
  return call<T>('take', data, indices, { axis: axis ?? 0, mode: options.mode ?? 'raise' });
}

type ReduceOpts = { axis?: number | number[] | null; keepdims?: boolean; dtype?: DType } | number | number[] | null;

/**
 * numpy's `dtype` option of a reduction, taken out of `options`: the input is
 * cast to it (numpy accumulates in that dtype), or, without it, to
 * `dflt(a.dtype)` (MXNet 2's rule: null keeps the input's dtype).
 */
function reduceInput<T extends Arr, O>(name: string, a: T, options: O, dflt: (d: DType) => DType | null): [T, O] {
  let dtype: DType | null = dflt(a.dtype);
  if (options !== null && typeof options === 'object' && !Array.isArray(options) && 'dtype' in options) {
    const { dtype: given, ...rest } = options as { dtype?: unknown };
    if (given !== undefined) dtype = checkDType(given, `np.${name}: option 'dtype'`);
    options = rest as O;
  }
  return [dtype && dtype !== a.dtype ? (ops.cast!(a, dtype) as T) : a, options];
}

const int64IfBool = (d: DType): DType | null => (d === 'bool' ? 'int64' : null);

/**
 * numpy's `axis=()` reduces over no axis: the reduction over a new leading axis of length 1
 * (each element alone: sum x, var 0); null for another axis. `nd`'s `axis: []` is every axis.
 */
function noAxis<T extends Arr>(x: T, options: unknown): [T, Record<string, unknown>] | null {
  const obj = options !== null && typeof options === 'object' && !Array.isArray(options);
  const axis = obj ? (options as { axis?: unknown }).axis : options;
  if (!(Array.isArray(axis) && axis.length === 0)) return null;
  return [ops.expandDims!(x, 0) as T, { ...(obj ? (options as Record<string, unknown>) : {}), axis: 0, keepdims: false }];
}

/** A numpy reduction with `sum`'s options (`dtype` by `dflt`, `axis`, `keepdims`), `axis=()` as numpy. */
function npReduce<T extends Arr>(name: string, a: T, options: ReduceOpts, keepdims: boolean | undefined, dflt: (d: DType) => DType | null): Out<T> {
  const [x, o] = reduceInput(name, a, options, dflt);
  const none = noAxis(x, o);
  return none ? call<T>(name, none[0], none[1]) : call<T>(name, x, o, keepdims);
}

/**
 * numpy's `sum`: MXNet 2's dtype rule (NumpySumType): a bool array counts in
 * int64, other dtypes keep theirs (int8 wraps, where numpy would give int64:
 * ask for it with `{ dtype: 'int64' }`, numpy's and MXNet 2's option).
 *
 * ```ts
 * np.sum(np.greater(x, 0));              // int64: how many are positive
 * np.sum(i8, { axis: 0, dtype: 'int64' }); // numpy's default for small integers
 * ```
 */
export function sum<T extends Arr>(a: T, options: ReduceOpts = {}, keepdims?: boolean): Out<T> {
  return npReduce('sum', a, options, keepdims, int64IfBool);
}

/** numpy's `prod`, with `sum`'s dtype rule (bool: int64; `dtype` option). Example: `np.prod(x, { axis: 1 })`. */
export function prod<T extends Arr>(a: T, options: ReduceOpts = {}, keepdims?: boolean): Out<T> {
  return npReduce('prod', a, options, keepdims, int64IfBool);
}

/** numpy's `nansum`: `sum` with NaN counted as 0 (MXNet's `nansum`), with `sum`'s dtype rule. Example: `np.nansum(x, { axis: 1 })`. */
export function nansum<T extends Arr>(a: T, options: ReduceOpts = {}, keepdims?: boolean): Out<T> {
  return npReduce('nansum', a, options, keepdims, int64IfBool);
}

/** numpy's `nanprod`: `prod` with NaN counted as 1 (MXNet's `nanprod`), with `sum`'s dtype rule. Example: `np.nanprod(x)`. */
export function nanprod<T extends Arr>(a: T, options: ReduceOpts = {}, keepdims?: boolean): Out<T> {
  return npReduce('nanprod', a, options, keepdims, int64IfBool);
}

/** A reduction's numpy options: an axis (int, list or null) or an object of `keys`; `keepdims` positional after it. */
function npReduceOptions(name: string, a: Arr, options: unknown, keepdims: boolean | undefined, keys: string[]): { axis: number | number[] | null; keepdims: boolean; dtype?: DType; ddof?: number } {
  const o = options !== null && typeof options === 'object' && !Array.isArray(options)
    ? (checkOptions(`np.${name}`, options as Record<string, unknown>, keys) as { axis?: number | number[] | null; keepdims?: boolean; dtype?: DType; ddof?: number })
    : { axis: options as number | number[] | null | undefined };
  // Checked here, by the name called and the array given (the inner reductions see a cast or a count).
  for (const ax of o.axis === null || o.axis === undefined ? [] : Array.isArray(o.axis) ? o.axis : [o.axis]) {
    if (Number.isInteger(ax) && (ax >= a.ndim || ax < -a.ndim)) {
      throw new Error(`np.${name}: axis ${ax} is out of range for ${a.dtype}[${a.shape.map(String).join(', ')}] (rank ${a.ndim})`);
    }
  }
  return { ...o, axis: o.axis ?? null, keepdims: keepdims ?? o.keepdims ?? false };
}

/**
 * numpy's `var`: the mean of the squared deviations from the mean, divided
 * by `n - ddof` (`ddof` 0 by default); integer and bool arrays compute in
 * float32 (MXNet 2's default float), `dtype` chooses.
 *
 * ```ts
 * np.var(np.array([1, 2, 3, 4]));               // 1.25
 * np.var(x, { axis: 0, ddof: 1 });              // the unbiased estimate per column
 * ```
 */
export function variance<T extends Arr>(a: T, options: VarOptions | number | number[] | null = {}, keepdims?: boolean): Out<T> {
  return varianceOf('var', a, options, keepdims);
}

type VarOptions = { axis?: number | number[] | null; keepdims?: boolean; dtype?: DType; ddof?: number };

function varianceOf<T extends Arr>(name: string, a: T, options: VarOptions | number | number[] | null, keepdims: boolean | undefined): Out<T> {
  const o = npReduceOptions(name, a, options, keepdims, ['axis', 'keepdims', 'dtype', 'ddof']);
  const ddof = o.ddof ?? 0;
  if (typeof ddof !== 'number' || !Number.isInteger(ddof) || ddof < 0) throw new Error(`np.${name}: option 'ddof' must be a non-negative integer, got ${JSON.stringify(ddof)}`);
  let [x] = reduceInput(name, a, { dtype: o.dtype }, (d) => (INTEGRAL.has(d) ? 'float32' : null));
  const none = noAxis(x, o);
  if (none) [x, o.axis, o.keepdims] = [none[0], 0, false];
  const sq = ops.square!(ops.sub!(x, ops.mean!(x, { axis: o.axis, keepdims: true })));
  if (ddof === 0) return call<T>('mean', sq, { axis: o.axis, keepdims: o.keepdims });
  const n = ops.sum!(ops.onesLike!(sq), { axis: o.axis, keepdims: o.keepdims });
  // numpy's _var divides by max(n - ddof, 0): inf (NaN for 0 / 0) past the count, never a negative variance
  return call<T>('div', ops.sum!(sq, { axis: o.axis, keepdims: o.keepdims }), ops.maximum!(ops.sub!(n, ddof), 0));
}

/** numpy's `std`: the square root of `np.var` (same options). Example: `np.std(x, { axis: 1 })`. */
export function std<T extends Arr>(a: T, options: VarOptions | number | number[] | null = {}, keepdims?: boolean): Out<T> {
  return call<T>('sqrt', varianceOf('std', a, options, keepdims));
}

/** How many elements along the axes are nonzero (NaN is), as int64, and how many there are. */
function truthCounts(name: string, a: Arr, options: unknown, keepdims: boolean | undefined): [unknown, unknown] {
  const o = npReduceOptions(name, a, options, keepdims, ['axis', 'keepdims']);
  const none = noAxis(a, o);
  if (none) [a, o.axis, o.keepdims] = [none[0], 0, false];
  const truthy = ops.cast!(ops.cast!(a, 'bool'), 'int64');
  return [ops.sum!(truthy, { axis: o.axis, keepdims: o.keepdims }), ops.sum!(ops.onesLike!(truthy), { axis: o.axis, keepdims: o.keepdims })];
}

/** numpy's `all`: true where every element along the axes is nonzero (true over an empty axis); a bool array. Example: `np.all(np.greater(x, 0), 1)`. */
export function all<T extends Arr>(a: T, options: { axis?: number | number[] | null; keepdims?: boolean } | number | number[] | null = {}, keepdims?: boolean): Out<T> {
  const [nonzero, n] = truthCounts('all', a, options, keepdims);
  return ops.cast!(ops.equal!(nonzero, n), 'bool') as Out<T>;
}

/** numpy's `any`: true where some element along the axes is nonzero (false over an empty axis); a bool array. Example: `np.any(np.isnan(x))`. */
export function any<T extends Arr>(a: T, options: { axis?: number | number[] | null; keepdims?: boolean } | number | number[] | null = {}, keepdims?: boolean): Out<T> {
  const [nonzero] = truthCounts('any', a, options, keepdims);
  return ops.cast!(ops.greater!(nonzero, 0), 'bool') as Out<T>;
}

/** numpy's `count_nonzero`: how many elements along the axes are nonzero, int64. Example: `np.countNonzero(x, 0)`. */
export function countNonzero<T extends Arr>(a: T, options: { axis?: number | number[] | null; keepdims?: boolean } | number | number[] | null = {}, keepdims?: boolean): Out<T> {
  return truthCounts('countNonzero', a, options, keepdims)[0] as Out<T>;
}

/** numpy's `cumsum` (`axis` null flattens), with `sum`'s dtype rule (bool: int64; `dtype` option). Example: `np.cumsum(x, 1)`. */
export function cumsum<T extends Arr>(a: T, options: number | null | { axis?: number | null; dtype?: DType } = null): Out<T> {
  const [x, o] = reduceInput('cumsum', a, options, int64IfBool);
  return call<T>('cumsum', x, o);
}

/**
 * numpy's `mean`: an integer or bool array averages in float32 (MXNet 2's
 * NumpyMeanType, its default dtype; numpy would give float64); `dtype` chooses.
 *
 * ```ts
 * np.mean(np.array([1, 2], { dtype: 'int32' }));   // 1.5, float32
 * ```
 */
export function mean<T extends Arr>(a: T, options: ReduceOpts = {}, keepdims?: boolean): Out<T> {
  return npReduce('mean', a, options, keepdims, (d) => (INTEGRAL.has(d) ? 'float32' : null));
}

/** numpy's `max`/`min` (`amax`/`amin`): the operator's options, `axis=()` as numpy (no axis reduced). */
function extremum(name: 'max' | 'min') {
  return <T extends Arr>(a: T, options: { axis?: number | number[] | null; keepdims?: boolean } | number | number[] | null = {}, keepdims?: boolean): Out<T> => {
    const none = noAxis(a, options);
    return none ? call<T>(name, none[0], none[1]) : call<T>(name, a, options, keepdims);
  };
}

function int64Of(name: string) {
  /** An index operator with numpy's int64 result. */
  return <T extends Arr>(a: T, options: { axis?: number | null; keepdims?: boolean } | number = {}): Out<T> =>
    ops[name]!(a, { ...(typeof options === 'number' ? { axis: options } : options), dtype: 'int64' }) as Out<T>;
}

/** numpy's `axis` and `kind` of sort/argsort, positional or as options (gluonc's sort is stable, so every `kind` gives numpy's 'stable' order). */
type SortAxis = number | null | { axis?: number | null; kind?: 'quicksort' | 'mergesort' | 'heapsort' | 'stable' };
function sortAxis(name: string, axis: SortAxis): number | null {
  if (axis === null || typeof axis !== 'object') return axis;
  checkOptions(name, axis, ['axis', 'kind']);
  if (axis.kind !== undefined && !['quicksort', 'mergesort', 'heapsort', 'stable'].includes(axis.kind)) {
    throw new Error(`${name}: kind must be 'quicksort', 'mergesort', 'heapsort' or 'stable', got ${JSON.stringify(axis.kind)}`);
  }
  return axis.axis === undefined ? -1 : axis.axis;
}

/** numpy's `sort` along `axis` (default -1; null flattens). Example: `np.sort(x, 0)`, `np.sort(x, { axis: 0 })`. */
export function sort<T extends Arr>(a: T, axis: SortAxis = -1): Out<T> {
  return call<T>('sort', a, { axis: sortAxis('np.sort', axis) });
}

/**
 * numpy's `nonzero`: the positions of the nonzero elements, one int64 array
 * per axis, in row-major order (NaN is nonzero). Their length depends on the
 * data (a traced graph carries it as the opaque dimension `(nonzero)`).
 *
 * ```ts
 * const [rows, cols] = np.nonzero(np.array([[0, 3], [5, 0]])); // [0, 1], [1, 0]
 * ```
 */
export function nonzero<T extends Arr>(a: T): Out<T>[] {
  const idx = call<T>('nonzero', a);
  return a.shape.map((_d, k) => call<T>('squeeze', call<T>('sliceAxis', idx, { axis: 0, begin: k, end: k + 1 }), { axis: 0 }));
}

/**
 * numpy's `unique` of the flattened array (or, with `axis`, of the slices
 * along it): the sorted distinct values, and with `returnIndex`,
 * `returnInverse`, `returnCounts` (numpy's flags) a list
 * `[values, index?, inverse?, counts?]` of those asked for (int64). NaNs
 * sort last and are one value (numpy's `equal_nan`); a slice holding NaN
 * equals no other.
 *
 * ```ts
 * np.unique(x);                                   // sorted distinct values
 * const [u, counts] = np.unique(x, { returnCounts: true }) as NDArray[];
 * ```
 */
export function unique<T extends Arr>(a: T, options: { returnIndex?: boolean; returnInverse?: boolean; returnCounts?: boolean; axis?: number | null } = {}): Out<T> | Out<T>[] {
  checkOptions('np.unique', options, ['returnIndex', 'returnInverse', 'returnCounts', 'axis']);
  const [values, index, inverse, counts] = call<T>('unique', a, { axis: options.axis ?? null }) as unknown as Out<T>[];
  const asked = [options.returnIndex && index, options.returnInverse && inverse, options.returnCounts && counts].filter((v): v is Out<T> => Boolean(v));
  return asked.length ? [values!, ...asked] : values!;
}

/** numpy's `argsort` (stable; int64 indices). Example: `np.argsort(x)`, `np.argsort(x, { axis: 0 })`. */
export function argsort<T extends Arr>(a: T, axis: SortAxis = -1): Out<T> {
  return call<T>('argsort', a, { axis: sortAxis('np.argsort', axis), dtype: 'int64' });
}

/**
 * numpy's `linspace`: `num` (default 50) evenly spaced values from `start` to
 * `stop` (included unless `endpoint: false`), computed in float64 as numpy
 * does (`i·step + start`, the last value `stop`); float32 unless `dtype` says
 * otherwise (MXNet 2's default dtype), integer dtypes floored (numpy 2).
 *
 * ```ts
 * np.linspace(0, 1, 5);   // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, stop: number, num = 50, options: { endpoint?: boolean; dtype?: DType } = {}): NDArray {
  const { endpoint = true, dtype = 'float32' } = checkOptions('np.linspace', options, ['endpoint', 'dtype']);
  for (const [k, v] of [['start', start], ['stop', stop]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`np.linspace: ${k} must be a finite number, got ${JSON.stringify(v)}`);
  }
  if (!Number.isInteger(num) || num < 0) throw new Error(`np.linspace: num must be a non-negative integer, got ${JSON.stringify(num)}`);
  if (typeof endpoint !== 'boolean') throw new Error(`np.linspace: option 'endpoint' must be a boolean, got ${JSON.stringify(endpoint)}`);
  const d = checkDType(dtype, "np.linspace: option 'dtype'");
  const div = endpoint ? num - 1 : num;
  const step = (stop - start) / div;
  // numpy's three cases: a step, a step that underflowed to 0, no step (num <= 1).
  const at = (i: number) => (div <= 0 ? i * (stop - start) : step !== 0 ? i * step : (i / div) * (stop - start));
  const y = Float64Array.from({ length: num }, (_v, i) => at(i) + start);
  if (endpoint && num > 1) y[num - 1] = stop;
  return ndMod.array(d !== 'bool' && !d.startsWith('float') ? y.map(Math.floor) : y, { dtype: d });
}


/**
 * MXNet 2.x's `np`: numpy names over gluonc's operators.
 *
 * ```ts
 * import { np } from 'gluonc';
 * const x = np.random.uniform(0, 1, [4, 8]);
 * np.dot(x, np.ones([8, 2])).add(1);   // broadcasting arithmetic
 * np.mean(x).shape;                    // [] (every axis)
 * ```
 */
export const np = {
  array: ndMod.array,
  zeros: ndMod.zeros,
  ones: ndMod.ones,
  full: ndMod.full,
  arange: ndMod.arange,
  linspace,
  zerosLike: opView('zerosLike'),
  onesLike: opView('onesLike'),
  random,
  // arithmetic (broadcasting)
  add: binary('add'),
  subtract: binary('sub'),
  multiply: binary('mul'),
  divide,
  trueDivide: divide,
  power: binary('pow'),
  maximum: binary('maximum'),
  minimum: binary('minimum'),
  negative: opView('neg'),
  abs: opView('abs'),
  absolute: opView('abs'),
  sign: opView('sign'),
  exp: floatFn('exp'),
  log: floatFn('log'),
  log1p: floatFn('log1p'),
  expm1: floatFn('expm1'),
  sqrt: floatFn('sqrt'),
  square: opView('square'),
  reciprocal: opView('reciprocal'),
  sin: floatFn('sin'),
  cos: floatFn('cos'),
  tanh: floatFn('tanh'),
  floor: floatFn('floor'),
  ceil: floatFn('ceil'),
  clip: opView('clip'),
  where,
  // comparisons (bool)
  equal: boolOf('equal'),
  notEqual: boolOf('notEqual'),
  greater: boolOf('greater'),
  greaterEqual: boolOf('greaterEqual'),
  less: boolOf('lesser'),
  lessEqual: boolOf('lesserEqual'),
  logicalAnd,
  logicalOr,
  logicalXor,
  logicalNot,
  ...bitwise,
  // reductions (every axis: shape [])
  sum,
  mean,
  max: extremum('max'),
  amax: extremum('max'),
  min: extremum('min'),
  amin: extremum('min'),
  prod,
  nansum,
  nanprod,
  var: variance,
  std,
  all,
  any,
  countNonzero,
  argmax: int64Of('argmax'),
  argmin: int64Of('argmin'),
  // linear algebra and shapes
  dot,
  einsum: opView('einsum'),
  reshape,
  ravel,
  transpose: opView('transpose'),
  swapaxes: opView('swapaxes'),
  tril: opView('tril'),
  triu: opView('triu'),
  cumsum,
  expandDims: opView('expandDims'),
  squeeze,
  concatenate,
  stack,
  vstack,
  hstack,
  dstack,
  columnStack,
  split,
  arraySplit,
  pad,
  tile: opView('tile'),
  repeat: opView('repeat'),
  broadcastTo,
  take,
  sort,
  argsort,
  nonzero,
  meshgrid,
  eye,
  identity,
  unique,
  linalg: { norm: opView('norm') },
};
export declare namespace np {
  /** numpy's array type: gluonc's NDArray. */
  type ndarray = NDArray;
}
