/**
 * The eager tensor. Every operator of the list is a function of `nd` and,
 * where MXNet has one, a method; each runs now and synchronously (see
 * `compiler/ops/execute.ts` and `compiler/eager/one-node.ts` for how).
 * Invariant: an NDArray's host tensor is never mutated in place except by
 * `setData`-style writes from the framework (parameters, optimizers).
 */
import { allocate, checkDType, isBig, isFloat, type DType, type TypedArray } from '../../runtime/dtypes.js';
import { formatValues } from '../../runtime/format-values.js';
import { count } from '../../runtime/profiler.js';
import { elementNumber, readElement, scalarTensor, sizeOf, tensorFromNumbers, type HostTensor } from '../../runtime/tensor.js';
import { hostDims, installMethods, itemAt, makeOps, parseCall, scalarDType, type MethodsOf } from '../ops/call.js';
import { outputArity, type OpDef } from '../ops/define.js';
import { executeOp } from '../ops/execute.js';
import { inferOp } from '../ops/infer.js';
import { getOp } from '../ops/registry.js';
import { INT_RANGES } from '../ops/creation.js';
import type { Tensor } from '../ops/tensor.js';
import { isSymbol, symApply } from '../trace/symbol.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { getContext } from '../ops/context.js';
import { checkSameContext, type Context } from './context.js';
import { eagerCompileAfter } from './eager-compile.js';
import { flushPendingOps, LazyOp } from './lazy-op.js';
import { attachGradBuffer, backward as tapeBackward, gradBuffer, recordOp, requiresGrad, type GradReqLike, type TapeOps } from './tape.js';
import { checkOptions } from '../../runtime/check-options.js';
import { isSymbolicDim } from '../ops/symbolic-dim.js';

/** The option keys of `backward` (a constant: checked on every training step). */
const BACKWARD_KEYS = ['retainGraph', 'trainMode'];

/** Options for creating arrays. */
export interface ArrayOptions {
  dtype?: DType;
  /** The shape of a flat array or typed array of values. */
  shape?: number[];
}

/** Nested arrays of numbers (any depth). */
export type NestedNumbers = number | boolean | NestedNumbers[];

/**
 * An eager n-dimensional array.
 *
 * ```ts
 * const x = nd.array([[1, 2], [3, 4]]);
 * x.add(1).sum().item(); // 14
 * ```
 */
export class NDArray implements Tensor {
  private _h: HostTensor | null;
  /** A pending value (a fused training step not yet run): forced on first read. */
  _lazy: LazyValue | null = null;
  /** The autograd tape's record of this array (tape.ts; a field, not a WeakMap entry, on the per-step path). */
  _tape: unknown = null;

  constructor(host: HostTensor | null, lazy: LazyValue | null = null) {
    if (!host && !lazy) throw new Error('NDArray: needs a host tensor or a pending value');
    this._h = host;
    this._lazy = lazy;
  }

  /** The host tensor holding the values (runs a pending computation first). */
  get _host(): HostTensor {
    if (!this._h) {
      this._lazy!.force();
      if (!this._h) throw new Error('NDArray: a pending computation did not produce this array');
    }
    return this._h;
  }

  set _host(h: HostTensor) {
    this._h = h;
    this._lazy = null;
  }

  /**
   * Takes `src`'s value, pending or not, keeping this array's identity: an
   * in-place write without a copy (MXNet's `param.set_data` and optimizer
   * updates write into the parameter's array, so an array read by `data()`
   * before a `Trainer.step` sees the new values). The host tensor is shared,
   * never mutated (arrays keep the values they had when fed to a program).
   */
  _adopt(src: NDArray): void {
    if (src === this) return;
    if (src._h) {
      this._h = src._h;
      this._lazy = null;
      return;
    }
    const pending = src._lazy!;
    this._h = null;
    this._lazy = {
      dtype: pending.dtype,
      shape: pending.shape,
      force: () => {
        this._h = src._host;
        this._lazy = null;
      },
    };
  }

  /** True while the value is pending. */
  get _pending(): boolean {
    return this._h === null;
  }

  /** The shape. */
  get shape(): number[] {
    return this._h ? this._h.shape : this._lazy!.shape;
  }

  /** The element type. */
  get dtype(): DType {
    return this._h ? this._h.dtype : this._lazy!.dtype;
  }

  /** The number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** The number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /**
   * Item `i` along the first axis, that axis removed (Python's `x[i]`; a
   * negative `i` counts from the end, as `Array.prototype.at`). Example:
   * `state.at(-1)` is d2l's `state[-1]`, the last layer's state.
   */
  at(i: number): NDArray {
    return itemAt<NDArray>(this, i);
  }

  /** The axes reversed (numpy's and MXNet 2's `x.T`, `transpose()`). Example: `nd.ones([2, 3]).T.shape` is `[3, 2]`. */
  get T(): NDArray {
    return this.transpose();
  }

  /**
   * Allocates a gradient buffer: after `backward`, `x.grad` holds d(head)/dx.
   *
   * ```ts
   * const x = nd.array([1, 2]); x.attachGrad();
   * autograd.record(() => x.mul(x).sum()).backward();
   * x.grad.toArray(); // [2, 4]
   * ```
   */
  attachGrad(gradReq: GradReqLike = 'write'): void {
    if (gradReq !== 'write' && gradReq !== 'add' && gradReq !== 'null') {
      throw new Error(`attachGrad: gradReq must be 'write', 'add' or 'null', got ${JSON.stringify(gradReq)}`);
    }
    if (gradReq !== 'null' && !isFloat(this.dtype)) {
      throw new Error(`attachGrad: dtype ${this.dtype} has no gradient (only float16, float32 and float64 arrays do); cast with x.astype('float32')`);
    }
    attachGradBuffer(this, gradReq, gradReq === 'null' ? null : new NDArray({ dtype: this.dtype, shape: [...this.shape], data: allocate(this.dtype, this.size) }));
  }

  /** The gradient attached with `attachGrad` (of a parameter's data: the parameter's gradient, as MXNet's). */
  get grad(): NDArray {
    const g = gradBuffer(this);
    if (!g) throw new Error('grad: this array has no gradient buffer; call attachGrad() before recording');
    return g;
  }

  /**
   * Backpropagates from this array (the head), with `headGrad` (default
   * ones). The head must have been computed inside `autograd.record`; a
   * pending head (the fused step) leaves the gradients to its program.
   * The recorded graph is freed unless `retainGraph` (MXNet's
   * `retain_graph`): a second backward through it is an error.
   */
  backward(headGrad?: NDArray, options: { retainGraph?: boolean; trainMode?: boolean } = {}): void {
    checkOptions('backward', options, BACKWARD_KEYS);
    const retainGraph = options.retainGraph ?? false;
    if (this._lazy?.backward?.(this, headGrad, retainGraph)) return;
    tapeBackward(this, headGrad, TAPE_OPS, retainGraph);
  }

  /** The same values, cut from the recorded graph (no gradient flows through it). */
  detach(): NDArray {
    return new NDArray(this._host);
  }

  /**
   * The values as nested arrays of numbers. An int64 (uint64) element beyond
   * ±(2^53 − 1), which no number holds exactly, is an Error (read those
   * with `data()`, a BigInt64Array or BigUint64Array). Example: `nd.array([1, 2]).toArray()` is `[1, 2]`.
   */
  toArray(): NestedNumbers {
    const t = this._host;
    const read = isBig(t.dtype) ? (i: number) => int64Number(t, i, 'toArray') : (i: number) => readElement(t, i);
    if (t.shape.length === 0) return read(0);
    let k = 0;
    const build = (d: number): NestedNumbers[] => {
      const n = t.shape[d]!;
      const out: NestedNumbers[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = d === t.shape.length - 1 ? read(k++) : build(d + 1);
      return out;
    };
    return build(0);
  }

  /** A copy of the values as a typed array (row-major). */
  data(): TypedArray {
    return this._host.data.slice();
  }

  /** The value of a one-element array (an Error for an int64 or uint64 beyond ±(2^53 − 1), which a number cannot hold). */
  item(): number {
    if (this.size !== 1) throw new Error(`item: the array has ${this.size} elements (shape [${this.shape.join(', ')}]), not 1`);
    return isBig(this.dtype) ? int64Number(this._host, 0, 'item') : readElement(this._host, 0);
  }

  /**
   * MXNet 1.x's `asscalar()`: the value of a one-element array, as `item()`
   * (a port keeps `x.asscalar()`). Example: `nd.array([3]).asscalar()` is 3.
   */
  asscalar(): number {
    if (this.size !== 1) throw new Error(`asscalar: the array has ${this.size} elements (shape [${this.shape.join(', ')}]), not 1`);
    return this.item();
  }

  /** Runs the pending computation of this array, if any (MXNet's `wait_to_read`; gluonc computes on the host, so nothing else waits). Example: `y.waitToRead()`. */
  waitToRead(): void {
    void this._host;
  }

  /** A copy of this array; inside `autograd.record` gradients flow through it (MXNet's `_copy`). */
  copy(): NDArray {
    if (getContext().recording && requiresGrad(this)) return ndApply(castDef(), 'cast', [this, this.dtype]) as NDArray;
    return new NDArray({ dtype: this.dtype, shape: [...this.shape], data: this._host.data.slice() });
  }

  /**
   * Copies this array's values into `other` in place and returns `other`
   * (MXNet's `copyto(other)`; what `other[:] = x` does in Python). The shapes
   * must be equal; the values are cast to `other`'s dtype. Not while recording
   * into an array that needs a gradient (MXNet refuses in-place writes there).
   *
   * ```ts
   * nd.random.uniform(-10, 10, data.shape).copyto(data);   // d2l's data[:] = np.random.uniform(-10, 10, data.shape)
   * ```
   */
  copyto(other: NDArray): NDArray {
    if (!(other instanceof NDArray)) throw new Error(`copyto: the destination must be an NDArray (MXNet's copyto(ctx) is x.copy(): one global context), got ${other === null ? 'null' : typeof other}`);
    if (other.shape.length !== this.shape.length || other.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`copyto: shapes differ: the source is [${this.shape.join(', ')}], the destination [${other.shape.join(', ')}]`);
    }
    if (getContext().recording && requiresGrad(other)) throw new Error('copyto: an in-place write into an array that needs a gradient while recording (autograd.record) is not supported, as in MXNet');
    if (other === this) return other;
    const src = this.dtype === other.dtype ? this : this.astype(other.dtype);
    const h = other._host;  // runs what is pending for it first
    other._host = { dtype: h.dtype, shape: h.shape, data: src._host.data.slice() } as HostTensor;
    return other;
  }

  /** This array, on the current context (MXNet's `as_in_ctx`, d2l's `X.as_in_ctx(device)`): another context is an Error (one global context). */
  asInCtx(ctx: Context): NDArray {
    checkSameContext('asInCtx', ctx);
    return this;
  }

  /** This array converted to `dtype` (MXNet's `astype`; a copy when it has that dtype already). */
  astype(dtype: DType): NDArray {
    checkDType(dtype, 'astype');
    return dtype === this.dtype ? this.copy() : (ndApply(castDef(), 'cast', [this, dtype]) as NDArray);
  }

  /** Prints like MXNet: the values as numpy's `str()` writes them, then `<NDArray 2x3 @cpu(0)>`. */
  toString(): string {
    return `${formatValues(this._host)}\n<NDArray ${this.shape.join('x') || '1'} @cpu(0)>`;
  }

  /** `console.log(x)` prints `toString()` (MXNet's repr), not the object's fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Element `i` of int64 or uint64 data as a number; an Error naming `what` when a number cannot hold it exactly. */
function int64Number(t: HostTensor, i: number, what: string): number {
  const v = (t.data as BigInt64Array)[i]!;
  if (v > 9007199254740991n || v < -9007199254740991n) {
    throw new Error(`${what}: the ${t.dtype} value ${v} is beyond ±(2^53 − 1), where a number does not hold it exactly; read it with data() (a ${t.data.constructor.name})`);
  }
  return Number(v);
}

// The tensor methods generated from the operator list.
export interface NDArray extends MethodsOf<NDArray> {}

function castDef(): OpDef {
  return getOp('cast');
}

/** True for NDArrays. */
export function isNDArray(x: unknown): x is NDArray {
  return x instanceof NDArray;
}

/** A pending value: its type is known, its data comes from `force()`. */
export interface LazyValue {
  dtype: DType;
  shape: number[];
  force(): void;
  /** The program computing it (compiler/engine/program.ts), if any. */
  owner?: object;
  /** `backward` on a pending head: true when the program takes it (it computes the gradients when it runs). */
  backward?(head: NDArray, headGrad: NDArray | undefined, retainGraph?: boolean): boolean;
}

/** Gradient requirement names (as Parameter's). */
export type { GradReqLike } from './tape.js';

/** `x.shape[k]` of a traced symbol (a SymbolicDim whose tensor is a Symbol), itself or in a list or options object. */
const tracedDim = (x: unknown, depth = 0): boolean =>
  (isSymbolicDim(x) && isSymbol(x.source)) ||
  (depth < 2 && typeof x === 'object' && x !== null && !isSymbol(x) && !(x instanceof NDArray) && Object.values(x).some((v) => tracedDim(v, depth + 1)));

/** Runs an operator eagerly on NDArrays: the `apply` of the `nd` backend. */
export function ndApply(def: OpDef, name: string, args: unknown[]): NDArray | NDArray[] {
  // nd operators called with symbols (a plain Block's forward being traced) build graph nodes.
  // So do dimension arguments holding `x.shape[k]` of a traced symbol (F.zeros([x.shape[0], 4]), P.slice({ end: [null, x.shape[1]] }) while exporting).
  if (args.some((a) => isSymbol(a) || tracedDim(a))) return symApply(def, name, args) as unknown as NDArray | NDArray[];
  const { inputs, attrs } = parseCall(def, args, isNDArray, (t) => ({ values: hostDims(def.name, 'shape', t._host) }));
  const sd = inputs.some((x) => typeof x === 'number') ? scalarDType(def, inputs, (t) => t.dtype) : 'float32';
  const arrays = inputs.map((x) => (typeof x === 'number' ? new NDArray(scalarTensor(x, sd)) : x));
  const prepared = inferOp(def, arrays.map((a) => ({ dtype: a.dtype, shape: a.shape })), attrs);
  const outs = deferrable(def, arrays) ? deferOp(def, arrays, prepared) : executeOp(def, arrays.map((a) => a._host), prepared.attrs, prepared).map((h) => new NDArray(h));
  recordOp(def, arrays, prepared.attrs, outs, TAPE_OPS);
  // Auxiliary states (BatchNorm's moving statistics) are written into the arrays given, as MXNet does.
  if (def.stateUpdate) {
    flushPendingOps();
    def.stateUpdate(arrays.map((a) => a._host), prepared.attrs).forEach((h, i) => { if (h) arrays[i]!._host = h; });
  }
  return outputArity(def, prepared.attrs).list ? outs : outs[0]!;
}

/**
 * True when an operator call may wait (compiler/engine/lazy-op.ts): it goes
 * on the tape (recording, an input needs a gradient), the eager compilation
 * is on, and it neither draws random numbers nor updates state, nor runs its
 * kernel at every size (`eagerKernel`: the detection operators' eager rows
 * come from their kernels).
 */
function deferrable(def: OpDef, arrays: NDArray[]): boolean {
  return getContext().recording && !def.random && !def.dataShape && !def.hostOnly && !def.eagerKernel && !def.stateUpdate && eagerCompileAfter() !== Infinity && arrays.some(requiresGrad);
}

/** The pending outputs of a deferred call. */
function deferOp(def: OpDef, arrays: NDArray[], prepared: { attrs: Attrs; outTypes: TensorType[] }): NDArray[] {
  const op = new LazyOp(def, arrays, prepared);
  op.outputs = prepared.outTypes.map((t) => new NDArray(null, { dtype: t.dtype, shape: [...(t.shape as number[])], force: () => op.force(), owner: op }));
  return op.outputs;
}

installMethods(NDArray.prototype, ndApply);

/** Every operator as an eager function (the `nd` backend's operators; F = nd in gradient rules). */
export const ndOps = makeOps<NDArray>(ndApply);

/** What the tape computes gradients with (the `nd` operators and ones). */
export const TAPE_OPS: TapeOps = {
  F: ndOps,
  ones: (shape, dtype) => new NDArray(tensorFromNumbers(dtype, shape, new Float64Array(sizeOf(shape)).fill(1))),
  array: (data) => new NDArray(data),
  lazy: (dtype, shape, force, owner) => new NDArray(null, { dtype, shape, force, owner }),
};

/**
 * How the symbolic layer sees NDArrays (constants of a trace): registered
 * by the package index (`setTensorFactory(ndTensorFactory)`), not on import.
 *
 * ```ts
 * setTensorFactory(ndTensorFactory);
 * ```
 */
export const ndTensorFactory = {
  isTensor: isNDArray,
  host: (x: unknown) => (x as NDArray)._host,
  wrap: (h: HostTensor) => new NDArray(h),
};

/**
 * Creates an array from nested arrays, a flat array with `shape`, or a typed
 * array. The dtype defaults to float32 (as in MXNet).
 *
 * ```ts
 * nd.array([[1, 2], [3, 4]]);
 * nd.array([1, 2, 3, 4], { shape: [2, 2], dtype: 'int32' });
 * ```
 */
export function array(values: NestedNumbers | ArrayLike<number> | NDArray, options: ArrayOptions = {}): NDArray {
  const dtype = checkDType(options.dtype ?? (values instanceof NDArray ? values.dtype : 'float32'), 'nd.array');
  if (values instanceof NDArray) return values.astype(dtype);
  let shape: number[];
  let flat: ArrayLike<number>;
  if (ArrayBuffer.isView(values)) {
    flat = values as unknown as ArrayLike<number>;
    shape = options.shape ?? [flat.length];
  } else if (Array.isArray(values)) {
    const inferred = nestedShape(values);
    flat = (values as NestedNumbers[]).flat(Infinity as 1) as number[];
    if (options.shape) {
      if (inferred.length > 1) throw new Error('nd.array: give either nested arrays or a flat array with a shape, not both');
      shape = options.shape;
    } else shape = inferred;
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    flat = [Number(values)];
    shape = options.shape ?? [];
  } else {
    throw new Error(`nd.array: cannot make an array from ${typeof values}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`nd.array: invalid shape [${shape.join(', ')}]`);
  }
  if (sizeOf(shape) !== flat.length) {
    throw new Error(`nd.array: shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, got ${flat.length}`);
  }
  // A typed array of numbers is copied straight into the tensor (no JS array of its values: 400 KB of garbage per MNIST batch).
  const typed = ArrayBuffer.isView(flat) && !(flat instanceof DataView || flat instanceof BigInt64Array || flat instanceof BigUint64Array);
  const nums = typed ? flat : Array.from(flat, (v, i) => elementNumber(v, i, 'nd.array'));
  if (!isFloat(dtype)) for (let i = 0; i < nums.length; i++) if (Number.isNaN(nums[i])) throw new Error(`nd.array: values must be numbers (not NaN for ${dtype})`);
  // Listed values out of an integer dtype's range are refused (numpy refuses a Python int there); a typed
  // array converts as a typed array store does (numpy's astype), as fast as a copy.
  const range = typed ? undefined : INT_RANGES[dtype];
  if (range) {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i] as number | bigint;
      const t = typeof v === 'bigint' ? v : Math.trunc(Number(v));
      if (!(t >= range[0] && t <= range[1])) throw new Error(`nd.array: element ${i} (${v}) is out of range for ${dtype} [${range[0]}, ${range[1]}]`);
    }
  }
  count('eagerOps', 0);
  const host = tensorFromNumbers(dtype, shape, nums);
  // bigints are exact in int64 and uint64 (a number past 2^53 is not).
  if (isBig(dtype)) for (let i = 0; i < flat.length; i++) if (typeof flat[i] === 'bigint') (host.data as BigInt64Array)[i] = flat[i] as unknown as bigint;
  return new NDArray(host);
}

function nestedShape(v: unknown[]): number[] {
  const shape: number[] = [v.length];
  let cur: unknown = v[0];
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const check = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (Array.isArray(x)) throw new Error('nd.array: nested arrays are ragged');
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) throw new Error(`nd.array: nested arrays are ragged at depth ${d}`);
    for (const y of x) check(y, d + 1);
  };
  check(v, 0);
  return shape;
}

