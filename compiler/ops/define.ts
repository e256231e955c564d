/**
 * The operator declaration. Every operator is one `defineOp({...})` holding,
 * side by side: its call signature (tensor inputs, positional options,
 * defaults), its type rule, the rule that solves a parameter's unknown
 * dimensions, its ONNX lowering, an optional TypeScript kernel (for small
 * tensors and constant folding) and its gradient rule.
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs, AttrValue } from '../ir/node.js';
import type { Shape, TensorType } from '../ir/types.js';
import type { GradOps, GradTensor } from './grad-ops.js';

/** Placeholder for "the tensor type of the backend" in operator signatures (NDArray or Symbol). */
export interface Tx {
  readonly __gluoncTensor: unique symbol;
}

/** Marks an operator signature that is also a tensor method (`x.add(y)`). */
export type Method<F> = F & { readonly __method: true };

/**
 * The arguments after an operator's tensor inputs when its options `O` may
 * also come positionally, in MXNet's order `N` (the declaration's
 * `positional`): values in that order, any of them replaced by one options
 * object holding the rest (parseCall checks the combination: an option given
 * twice or a required one missing is an Error naming it). One tuple, not a
 * union of overloads, so a bound signature still compares both ways with
 * `GradOps`' options form.
 *
 * ```ts
 * type SliceAxisSig = (data: Tx, ...rest: PositionalOptions<{ axis: number; begin: number; end: number | null }, ['axis', 'begin', 'end']>) => Tx;
 * // sliceAxis(x, 1, 0, 3), sliceAxis(x, 1, { begin: 0, end: 3 }), sliceAxis(x, { axis: 1, begin: 0, end: 3 })
 * ```
 */
export type PositionalOptions<O, N extends readonly (keyof O & string)[]> = {} extends O
  ? PositionalRest<O, N>
  : N extends readonly [infer H extends keyof O, ...infer R extends readonly (keyof O & string)[]]
    ? [O[H] | O, ...PositionalRest<O, R, H>]
    : [options: O];

/** `PositionalOptions` after the options `K` were given positionally: each optional. */
export type PositionalRest<O, N extends readonly (keyof O & string)[], K extends keyof O = never> =
  N extends readonly [infer H extends keyof O, ...infer R extends readonly (keyof O & string)[]]
    ? [(O[H] | Omit<O, K>)?, ...PositionalRest<O, R, K | H>]
    : [options?: Omit<O, K>];

/** An ONNX attribute value: ints as numbers, floats and tensors tagged. */
export type OnnxAttr =
  | number
  | number[]
  | string
  | string[]
  | { float: number }
  | { floats: number[] }
  | { tensor: HostTensor }
  | OnnxGraphAttr;

/** An ONNX subgraph attribute (the body of a `Scan` or `Loop`), made by `LowerCtx.graph`; opaque to lowerings. */
export interface OnnxGraphAttr {
  readonly graph: object;
}

/** A subgraph input or output: its ONNX name (outputs), dtype and, where known, shape. */
export interface SubgraphValue {
  name?: string;
  dtype: TensorType['dtype'];
  shape?: Shape;
}

/** What a lowering sees and uses to emit ONNX nodes. */
export interface LowerCtx {
  /** ONNX names of the node's inputs; '' for an absent optional input. */
  readonly inputs: string[];
  /** ONNX names the node's outputs must be given. */
  readonly outputs: string[];
  readonly inTypes: TensorType[];
  readonly outTypes: TensorType[];
  readonly opset: number;
  /** Emits one ONNX node; returns its output names (fresh ones unless given). */
  emit(opType: string, inputs: string[], attrs?: Record<string, OnnxAttr | undefined>, outputs?: string[] | number, domain?: string): string[];
  /** A constant tensor as an ONNX name. */
  constant(t: HostTensor): string;
  /** An int64 1-D constant (axes, shapes, pads). */
  ints(values: readonly number[]): string;
  /** A scalar constant of a dtype. */
  scalar(value: number, dtype: TensorType['dtype']): string;
  /** A fresh ONNX name for a value the lowering produces (to pass as an `emit` output). */
  fresh(): string;
  /**
   * A subgraph (a `Scan` or `Loop` body): `build` gets the names of fresh
   * body inputs of the given types, emits the body's nodes with this same
   * context (`emit`, `constant`, ...; outer names stay visible inside) and
   * returns the body's outputs. Example:
   * `const body = c.graph([{ dtype: 'float32' }], ([h]) => [{ name: c.emit('Tanh', [h!])[0]!, dtype: 'float32' }]);`
   */
  graph(inputs: SubgraphValue[], build: (inputs: string[]) => SubgraphValue[]): OnnxGraphAttr;
  /**
   * Emits another IR operator's lowering here (`OnnxLoop` lowers its body's
   * nodes inside its subgraph): its normalized attributes, its inputs' ONNX
   * names and types and its output types; returns fresh output names.
   */
  lowerOp(op: string, attrs: Attrs, inputs: string[], inTypes: TensorType[], outTypes: TensorType[]): string[];
}

/** What a gradient rule sees of the node it differentiates. */
export interface GradCtx {
  /** The node's inputs (NDArrays on the eager tape, Symbols in gradient graphs). */
  inputs: GradTensor[];
  /** The node's outputs. */
  outputs: GradTensor[];
  /** The node's normalized attributes. */
  attrs: Attrs;
  inTypes: TensorType[];
  outTypes: TensorType[];
  /** A constant tensor of the rule's backend holding `data` (an NDArray on the tape, a constant Symbol in gradient graphs). */
  constant(data: HostTensor): GradTensor;
}

/**
 * A gradient rule written against `GradOps` (so one rule serves the eager
 * tape, F = nd, and gradient graphs, F = sym): given the gradient of each
 * output (null when an output has none), returns the gradient of each input
 * (null where an input gets none, e.g. integer indices). Gradients must have
 * their input's shape: reduce broadcast gradients with `F.reduceSumLike(g, x)`.
 * A rule calling an operator `GradOps` does not list adds its signature there.
 *
 * ```ts
 * grad: (F, { inputs: [a, b] }, [g]) => [F.reduceSumLike(F.mul(g, b), a), F.reduceSumLike(F.mul(g, a), b)]
 * ```
 */
export type GradRule = (F: GradOps, ctx: GradCtx, gradOutputs: (GradTensor | null)[]) => (GradTensor | null)[];

/** Defaults for attributes; every accepted attribute must have an entry. */
export type AttrDefaults = Record<string, AttrValue>;

/** A call of operator `op` on `args` (which may hold further calls), as a `redirect` returns it. */
export interface OpCall {
  readonly opCall: true;
  op: string;
  args: unknown[];
}

/** An `OpCall`. Example: `opCall('take', [x, opCall('arange', [0, n, 1, { dtype: 'int64' }]), { axis: 1 }])`. */
export const opCall = (op: string, args: unknown[]): OpCall => ({ opCall: true, op, args });

/** True for an `OpCall`. */
export const isOpCall = (x: unknown): x is OpCall => typeof x === 'object' && x !== null && (x as Partial<OpCall>).opCall === true;

/** The declaration passed to `defineOp`. */
export interface OpSpec<A extends Attrs = Attrs> {
  /** The F name (camelCase). */
  name: string;
  /** Tensor inputs by name; `'bias?'` is optional, `'...data'` takes any number. */
  inputs: string[];
  /**
   * The inputs that are learned parameters (MXNet's arguments other than the
   * data): a symbolic call outside a traced block that leaves them out gets
   * fresh variables named `<name>_<input>` in snake case, as MXNet's
   * `mx.sym.FullyConnected(data, num_hidden=4, name='fc1')` creates
   * `fc1_weight` and `fc1_bias` (an optional one unless `noBias`, whose
   * default is the operator's). Only a call giving none of them: one that
   * gives the weight alone keeps "an absent optional input is none".
   */
  params?: string[];
  /**
   * True when an optional input may be absent before a given one (`null` in
   * its place), the inputs given then being told apart by attributes: MXNet's
   * `CTCLoss(data, label, None, label_lengths, use_label_lengths=True)`.
   */
  gappedInputs?: boolean;
  /** Accepted attributes and their defaults. */
  attrs?: AttrDefaults;
  /** Attributes that may follow the tensor inputs positionally (MXNet's `reshape(x, shape)`). */
  positional?: string[];
  /** The positional attribute that also takes its numbers one by one (numpy's `x.reshape(-1, 4)`, `reshape(*shape)`). */
  collects?: string;
  /** Attributes that come before the tensor inputs (`einsum('ij,jk->ik', a, b)`). */
  leading?: string[];
  /**
   * Attributes that take dimensions (a shape list, or one bound of `arange`)
   * and may hold 0-d/1-d integer tensors: each is read now when it has
   * values, else becomes an extra input referenced by a `DimEntry` (see
   * `parseCall`), so a traced graph keeps symbolic dimensions.
   */
  shapeArgs?: string[];
  /**
   * While tracing, a call this operator hands to another (its arguments as
   * given, before parsing), or null to run itself: `reshape(x, y.shape)` of
   * another traced tensor `y` is `reshapeLike(x, y)`, which reads y's sizes
   * when the graph runs.
   */
  redirect?: (args: unknown[]) => OpCall | null;
  /** Also an NDArray/Symbol method (`x.name(...)`). */
  method?: boolean;
  /** Checks and normalizes attributes once types are known (fills defaults that depend on shapes). */
  normalize?: (attrs: A, types: TensorType[]) => A;
  /** The type rule: output types from input types (absent optional inputs are omitted). Throws OpError. */
  infer: (types: TensorType[], attrs: A) => TensorType[];
  /** Solves unknown (0) dimensions of inputs from the others; returns a shape per input or undefined. */
  solve?: (types: TensorType[], attrs: A) => (Shape | undefined)[];
  /** Emits the ONNX nodes computing the outputs, in the form of `ctx.opset` (13 to 21). */
  lower: (ctx: LowerCtx, attrs: A) => void;
  /**
   * The lowest ONNX opset `lower` supports (default 13, the oldest gluonc
   * exports). Emitting at a lower opset is an Error naming the operator and
   * this number; the README's opset table is generated from it.
   */
  minOpset?: number;
  /** The newest ONNX opset `lower`'s output runs at (default: 21 for random operators, else 26; emit.ts `maxOpsetOf`). */
  maxOpset?: number;
  /** How the ONNX form changes between opsets, for the README's opset table (absent: one form at every opset). */
  opsetNote?: string;
  /** A TypeScript kernel; used for small tensors and while folding constants. */
  kernel?: (inputs: HostTensor[], attrs: A, outTypes: TensorType[]) => HostTensor[];
  /**
   * The inputs the kernel computes; for others the session does, wherever a
   * session executor is registered (a float function of integers truncates
   * its float32 result, so onnxruntime's float32 library is the one
   * reference: a TypeScript kernel in float64 would differ by 1 near integers).
   */
  kernelTakes?: (inputs: HostTensor[]) => boolean;
  /** True when the lowering depends on concrete input dimensions, not only rank. */
  lowerNeedsShape?: boolean;
  /** Which inputs' dtype a plain number passed as a tensor takes, in order of preference (default: any tensor input); none of them a tensor: float32. */
  scalarLike?: number[];
  /**
   * Returns a list of tensors (split) rather than one tensor; a function says
   * from the attributes how many outputs a call has (1: one tensor, not a list),
   * as `topk` with `retTyp: 'both'`.
   */
  multiOutput?: boolean | ((attrs: A) => number);
  /** True for random operators: never folded, never merged. */
  random?: boolean;
  /** True when an output's shape depends on the input values (`nonzero`): eagerly it runs at once, never deferred. */
  dataShape?: boolean;
  /**
   * Why the operator runs only on host arrays (imageDecoder, whose output
   * size depends on the bytes): eagerly its kernel always runs, at
   * once; a traced call (a hybridized block, `sym`) is an Error naming the
   * operator and this reason.
   */
  hostOnly?: string;
  /**
   * True when eagerly the kernel runs at every size, at once (never the session, never deferred) (MXNet's
   * detection operators: the kernel transcribes MXNet's loop and is the
   * reference the lowering is checked against); implied by `hostOnly`.
   */
  eagerKernel?: boolean;
  /** The gradient rule; `null` states that the operator has no gradient (named when differentiated). */
  grad?: GradRule | null;
  /**
   * True for MXNet's training heads (SoftmaxOutput, MakeLoss, ...): the
   * gradient rule gives the loss's gradient, not the derivative of the
   * forward, so the table's finite-difference check does not apply (heads.ts).
   */
  lossHead?: boolean;
  /**
   * Why the gradient rule is a straight-through estimator rather than the
   * forward's derivative (a rounding, whose derivative is 0 almost
   * everywhere, passing the gradient on as PyTorch's cast does): the table's
   * finite-difference check does not apply; the operator's own test checks
   * the rule against PyTorch.
   */
  straightThrough?: string;
  /** A note shown when the operator cannot be differentiated. */
  noGradReason?: string;
  /**
   * MXNet's auxiliary states: given the inputs (host tensors) and the
   * normalized attributes, the new value of each input the operator updates
   * in place when it runs eagerly (null: unchanged), e.g. BatchNorm's moving
   * statistics in training mode. A traced graph has no in-place writes; there
   * the caller writes the new values back (nn.BatchNorm does).
   */
  stateUpdate?: (inputs: HostTensor[], attrs: A) => (HostTensor | null)[];
}

/** A declared operator. `S` is its call signature with `Tx` for tensors. */
export interface OpDef<S = unknown, A extends Attrs = Attrs> extends OpSpec<A> {
  readonly __signature?: S;
  readonly minInputs: number;
  readonly maxInputs: number;
  readonly variadic: boolean;
}

/**
 * Declares an operator.
 *
 * ```ts
 * export const relu = defineOp<(x: Tx) => Tx>({
 *   name: 'relu', inputs: ['data'], method: true,
 *   infer: ([x]) => [x],
 *   lower: (c) => void c.emit('Relu', c.inputs, {}, c.outputs),
 * });
 * ```
 */
export function defineOp<S, A extends Attrs = Attrs>(
  spec: OpSpec<A> & (S extends { __method: true } ? { method: true } : { method?: false }),
): OpDef<S, A> {
  const variadic = spec.inputs.some((n) => n.startsWith('...'));
  const required = spec.inputs.filter((n) => !n.endsWith('?') && !n.startsWith('...')).length;
  return {
    ...spec,
    attrs: spec.attrs ?? {},
    positional: spec.positional ?? [],
    variadic,
    minInputs: variadic ? Math.max(required, 1) : required,
    // Dimension attributes held as tensors (shapeArgs) add one input per symbolic size, after the tensor inputs.
    maxInputs: variadic || spec.shapeArgs?.length ? Infinity : spec.inputs.length,
  } as OpDef<S, A>;
}

/**
 * Whether a call of `def` with (normalized) `attrs` returns a list, and how
 * many outputs its node has before types are known.
 *
 * ```ts
 * outputArity(getOp('split'), { numOutputs: 3 }); // { list: true, count: 3 }
 * ```
 */
export function outputArity(def: OpDef<any, any>, attrs: Attrs): { list: boolean; count: number } {
  if (typeof def.multiOutput === 'function') {
    const n = def.multiOutput(attrs);
    return { list: n > 1, count: n };
  }
  return def.multiOutput ? { list: true, count: Number(attrs['numOutputs'] ?? 1) } : { list: false, count: 1 };
}

/** The call signature of a declared operator. */
export type SigOf<D> = D extends OpDef<infer S, any> ? S : never;

/** Replaces `Tx` in a type by `T`. */
type Bind1<X, T> = X extends Tx ? T : X extends readonly (infer U)[] ? ([U] extends [Exclude<U, Tx>] ? X : BindElem<U, T>[]) : X;

/** One array element bound (distributes over unions such as `number | Tx`). */
type BindElem<U, T> = U extends Tx ? T : U;

/**
 * An operator signature with `Tx` bound to a concrete tensor type `T`. It is
 * typed as a method, whose parameters TypeScript compares both ways, so the
 * operators on NDArrays or on Symbols are also operators on `Tensor` (the
 * type `hybridForward` sees) without a cast.
 */
export type Bind<S, T> = S extends (...a: infer P) => infer R
  ? { op(...a: { [K in keyof P]: Bind1<P[K], T> }): Bind1<R, T> }['op']
  : never;

/** The same signature without its first parameter (for methods), again typed as a method. */
export type DropFirst<F> = F extends (first: any, ...rest: infer P) => infer R ? { op(...rest: P): R }['op'] : never;
