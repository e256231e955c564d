/**
 * Turning a user's call `F.op(x, y, 3, { axis: 1 })` into tensor inputs and
 * attributes, and generating a whole `F` backend (and tensor methods) from
 * the operator list. Both `nd` and `sym` are made here, so they accept the
 * same arguments.
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs, AttrValue } from '../ir/node.js';
import { OPS } from './all.js';
import type { Bind, DropFirst, OpDef, SigOf } from './define.js';
import { OpError } from './errors.js';
import { unknownOptionsMessage } from '../../runtime/check-options.js';
import { isSymbolicDim, normalizeDims } from './symbolic-dim.js';
import { randomNamespace, type RandomNamespace } from './random-namespace.js';
import type { TopkOf } from './sort.js';

/** A parsed call: tensor inputs (numbers still raw, absent optionals dropped) and attributes. */
export interface ParsedCall<T> {
  inputs: (T | number)[];
  attrs: Attrs;
}

/**
 * What a backend knows of a tensor given where dimensions are expected (an
 * operator's `shapeArgs`): its integer values now (eager arrays, constants),
 * the dimensions `begin..end` of the tensor a `shapeArray` came from, or
 * neither (its values are only known when the graph runs).
 * Example: `{ shapeOf: x, begin: 1, end: 2 }` for `F.shapeArray(x, { axis: 1 })`.
 */
export type DimSource<T> = { values: number[] } | { shapeOf: T; begin: number; end: number } | { valueOf: T };

/**
 * One entry of a dimension list after parsing: a number, the dimensions
 * `begin..end` of tensor input `input` (symbolic names kept), or the values
 * of integer tensor input `input` (0-d: one dimension; 1-d: one per element),
 * known only at run time and named `(v<tag>[i])` in types.
 * Example: `F.zeros([t, 64])` with `t = F.shapeArray(x, { axis: 1 })` parses to `[{ input: 0, begin: 1, end: 2 }, 64]`.
 */
export type DimEntry = number | { input: number; begin: number; end: number } | { input: number; tag: number };

let nextTag = 0;

/** A fresh tag for a `{ input, tag }` entry (the values of an integer tensor input). Example: `{ input: 0, tag: dimTag() }`. */
export function dimTag(): number {
  return nextTag++;
}

/** The integer values of a host tensor used as dimensions (a named error otherwise). Example: `hostDims('zeros', 'shape', t)` -> `[2, 3]`. */
export function hostDims(op: string, name: string, t: HostTensor): number[] {
  if (t.shape.length > 1) throw new OpError(op, `'${name}' entries must be numbers or 0-d/1-d integer tensors, got a tensor of shape [${t.shape.join(', ')}]`);
  const v = Array.from(t.data as ArrayLike<number | bigint>, Number);
  if (!v.every((x) => Number.isInteger(x))) throw new OpError(op, `'${name}' holds non-integer values [${v.join(', ')}]`);
  return v;
}

/** Replaces the tensors inside a dimension argument by `DimEntry` references (appending inputs). */
function parseDims<T>(def: OpDef, name: string, value: unknown, isTensor: (x: unknown) => x is T, source: ((t: T) => DimSource<T>) | undefined, inputs: (T | number)[]): AttrValue {
  const one = (x: unknown): AttrValue | AttrValue[] => {
    // `x.shape[k]` of a traced tensor stands for that dimension, as `F.shapeArray(x, { axis: k })` does.
    if (isSymbolicDim(x)) {
      if (!isTensor(x.source)) throw new OpError(def.name, `'${name}' got the symbolic dimension '${x.dimName}' of a tensor that is not part of this computation`);
      inputs.push(x.source);
      return [{ input: inputs.length - 1, begin: x.axis, end: x.axis + 1 }];
    }
    if (!isTensor(x)) {
      if (typeof x === 'string') throw new OpError(def.name, `'${name}' cannot take the symbolic dimension '${x}' by name: pass F.shapeArray(x, { axis }) of a tensor that has it`);
      return x as AttrValue;
    }
    if (!source) throw new OpError(def.name, `'${name}' got a tensor, which this caller cannot resolve`);
    const s = source(x);
    if ('values' in s) return s.values;
    if ('shapeOf' in s) {
      inputs.push(s.shapeOf);
      return [{ input: inputs.length - 1, begin: s.begin, end: s.end }];
    }
    inputs.push(s.valueOf);
    return [{ input: inputs.length - 1, tag: dimTag() }];
  };
  if (isTensor(value) || isSymbolicDim(value)) return one(value) as AttrValue;
  if (!Array.isArray(value)) return value as AttrValue;
  return value.flatMap((x) => {
    const r = one(x);
    return isTensor(x) || isSymbolicDim(x) ? (r as AttrValue[]) : [r as AttrValue];
  });
}

function isOptions(x: unknown, isTensor: (x: unknown) => boolean): x is Record<string, AttrValue> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !isTensor(x) && !ArrayBuffer.isView(x) && !isSymbolicDim(x);
}

/**
 * Parses arguments against a declaration. Tensor slots take tensors or plain
 * numbers; then positional options (the declaration's `positional`, in
 * MXNet's order: `sliceAxis(x, 1, 0, 3)` is `sliceAxis(x, { axis: 1, begin:
 * 0, end: 3 })`); then one trailing options object for the rest.
 * `undefined` anywhere an argument is optional (an optional input, a
 * positional option, the options object) means absent, as in MXNet's `None`;
 * so does `null` for an optional input (`FullyConnected(x, w, null, 4)`).
 * Unknown option names and missing inputs are errors naming the operator.
 *
 * ```ts
 * parseCall(getOp('FullyConnected'), [x, w, undefined, { numHidden: 2, noBias: true }], isSymbol); // inputs [x, w]
 * ```
 */
export function parseCall<T>(def: OpDef, args: unknown[], isTensor: (x: unknown) => x is T, dimSource?: (t: T) => DimSource<T>): ParsedCall<T> {
  const inputs: (T | number)[] = [];
  let i = 0;
  const leading: Attrs = {};
  for (const name of def.leading ?? []) {
    if (i >= args.length || isTensor(args[i]) || isOptions(args[i], isTensor)) throw new OpError(def.name, `needs '${name}' before the tensor inputs`);
    leading[name] = args[i++] as AttrValue;
  }
  const takesTensor = (x: unknown) => isTensor(x) || typeof x === 'number';
  if (def.variadic) {
    while (i < args.length && isTensor(args[i])) inputs.push(args[i++] as T);
    if (inputs.length < def.minInputs) throw new OpError(def.name, `needs at least ${def.minInputs} tensor input(s), got ${inputs.length}`);
  } else {
    let absent: string | null = null;
    for (const slot of def.inputs) {
      const optional = slot.endsWith('?');
      if (i < args.length && takesTensor(args[i]) && !(optional && typeof args[i] === 'number')) {
        // Inputs are positional: a later optional input cannot follow an absent one.
        if (absent && !def.gappedInputs) throw new OpError(def.name, `input '${slot.slice(0, -1)}' is given but '${absent}' before it is absent`);
        inputs.push(args[i++] as T | number);
      } else if (!optional) {
        const got = i < args.length ? describe(args[i]) : 'nothing';
        if (isSymbolicDim(args[i])) throw new OpError(def.name, `input '${slot}' got ${got}, which is no number while tracing: pass F.shapeArray(x, { axis: ${(args[i] as { axis: number }).axis} }) cast to the dtype you need`);
        throw new OpError(def.name, `input '${slot}' must be a tensor or a number, got ${got}`);
      } else {
        absent ??= slot.slice(0, -1);
        // `undefined` or `null` in an optional slot means absent, as leaving it out does (MXNet's `bias=None`).
        if (i < args.length && (args[i] === undefined || args[i] === null)) i++;
      }
    }
  }
  const attrs: Attrs = { ...leading };
  const isDim = (x: unknown) => typeof x === 'number' || isSymbolicDim(x);
  for (const name of def.positional ?? []) {
    if (i >= args.length || isOptions(args[i], isTensor)) break;
    if (isTensor(args[i]) && !def.shapeArgs?.includes(name)) throw new OpError(def.name, `option '${name}' must be a value, got a tensor`);
    if (name === def.collects && isDim(args[i])) {
      const dims: unknown[] = [];
      while (i < args.length && isDim(args[i])) dims.push(args[i++]);
      attrs[name] = dims as AttrValue;
    } else attrs[name] = args[i++] as AttrValue;
  }
  if (i < args.length && isOptions(args[i], isTensor)) {
    for (const [k, v] of Object.entries(args[i++] as Record<string, AttrValue>)) {
      if (!(k in (def.attrs ?? {}))) {
        throw new OpError(def.name, unknownOptionsMessage([k], Object.keys(def.attrs ?? {})));
      }
      if (v !== undefined && attrs[k] !== undefined && !(k in leading)) throw new OpError(def.name, `got multiple values for option '${k}' (positionally and in the options object)`);
      if (v !== undefined) attrs[k] = v;
    }
  }
  // Trailing `undefined`s (an options object left out as `undefined`) are absent arguments too.
  while (i < args.length && args[i] === undefined) i++;
  if (i < args.length) throw new OpError(def.name, `unexpected argument ${i + 1}: ${describe(args[i])}`);
  for (const name of def.shapeArgs ?? []) {
    if (attrs[name] !== undefined) attrs[name] = parseDims(def, name, attrs[name], isTensor, dimSource, inputs);
  }
  // Symbolic dimensions in other options (reshape targets, slice bounds) enter as their names; the operator resolves them.
  for (const k in attrs) {
    if (!def.shapeArgs?.includes(k)) attrs[k] = normalizeDims(attrs[k]) as AttrValue;
  }
  return { inputs, attrs: withDefaults(def, attrs) };
}

/**
 * The arguments of an `F` call that parses back to a node's `inputs` and
 * `attrs` (the inverse of `parseCall`), to replay a graph node through a
 * backend: the leading options, the declared tensor inputs, then one options
 * object (declared options only) in which each `DimEntry` of a dimension
 * argument is a tensor again: `shapeOf(x, begin, end)` of the input it reads
 * (`F.shapeArray`), or the integer input itself. Parsing re-appends those
 * inputs, so the references stay in step with the inputs.
 *
 * ```ts
 * // zeros, attrs { shape: [{ input: 0, begin: 1, end: 2 }, 64], ... }, inputs [x]:
 * callArgs(getOp('zeros'), attrs, [x], (t, begin, end) => F.shapeArray(t, { begin, end }));
 * // -> [{ shape: [F.shapeArray(x, { begin: 1, end: 2 }), 64], value: 0, dtype: 'float32' }]
 * ```
 */
export function callArgs<T>(def: OpDef, attrs: Attrs, inputs: T[], shapeOf: (t: T, begin: number, end: number) => T): unknown[] {
  const leading = def.leading ?? [];
  const shapeArgs = def.shapeArgs ?? [];
  const referenced = new Set<number>();
  const tensorOf = (name: string, e: AttrValue): unknown => {
    if (e === null || typeof e !== 'object' || Array.isArray(e) || typeof (e as Record<string, unknown>)['input'] !== 'number') return e;
    const d = e as unknown as Exclude<DimEntry, number>;
    const x = inputs[d.input];
    if (!Number.isInteger(d.input) || x === undefined) {
      throw new OpError(def.name, `'${name}' has a dimension entry ${JSON.stringify(e)} that refers to input ${d.input}, but the node has ${inputs.length} input(s)`);
    }
    referenced.add(d.input);
    if ('tag' in d) return x;
    if (!Number.isInteger(d.begin) || !Number.isInteger(d.end)) throw new OpError(def.name, `'${name}' has a malformed dimension entry ${JSON.stringify(e)}`);
    return shapeOf(x, d.begin, d.end);
  };
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) {
    // Only declared options are passed; derived ones are normalized again by the operator.
    if (!(k in (def.attrs ?? {})) || leading.includes(k)) continue;
    options[k] = shapeArgs.includes(k) ? (Array.isArray(v) ? v.map((e) => tensorOf(k, e as AttrValue)) : tensorOf(k, v)) : v;
  }
  const own = inputs.filter((_x, i) => !referenced.has(i));
  return [...leading.map((k) => attrs[k]), ...own, options];
}

/** Attributes with the declaration's defaults filled in. */
export function withDefaults(def: OpDef, attrs: Attrs): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(def.attrs ?? {})) out[k] = attrs[k] !== undefined ? attrs[k] : v;
  return out;
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return `an array`;
  if (isSymbolicDim(x)) return `the symbolic dimension '${x.dimName}'`;
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return `${typeof x} ${JSON.stringify(x)}`;
}

type Ops = typeof OPS;

/** The operator functions of a backend whose tensors are `T`. */
/** MXNet's `F.contrib` operators that gluonc has (`F.contrib.arange_like` is `F.contrib.arangeLike`, `F.contrib.ROIAlign`, `F.contrib.ModulatedDeformableConvolution`, `F.contrib.DeformableConvolution` and `F.contrib.CTCLoss` keep their names, `F.contrib.ctc_loss` is `F.contrib.ctcLoss`), the same functions as on `F`. */
export type ContribNamespace<T> = {
  readonly arangeLike: Bind<SigOf<Ops['arangeLike']>, T>;
  readonly divSqrtDim: Bind<SigOf<Ops['divSqrtDim']>, T>;
  readonly ROIAlign: Bind<SigOf<Ops['ROIAlign']>, T>;
  readonly ModulatedDeformableConvolution: Bind<SigOf<Ops['ModulatedDeformableConvolution']>, T>;
  readonly DeformableConvolution: Bind<SigOf<Ops['DeformableConvolution']>, T>;
  readonly MultiBoxPrior: Bind<SigOf<Ops['MultiBoxPrior']>, T>;
  readonly MultiBoxTarget: Bind<SigOf<Ops['MultiBoxTarget']>, T>;
  readonly MultiBoxDetection: Bind<SigOf<Ops['MultiBoxDetection']>, T>;
  readonly boxIou: Bind<SigOf<Ops['boxIou']>, T>;
  readonly boxNms: Bind<SigOf<Ops['boxNms']>, T>;
  readonly boxNonMaximumSuppression: Bind<SigOf<Ops['boxNms']>, T>;
  readonly CTCLoss: Bind<SigOf<Ops['CTCLoss']>, T>;
  readonly ctcLoss: Bind<SigOf<Ops['CTCLoss']>, T>;
};

export type OpsOf<T> = { [K in keyof Ops]: K extends keyof Typed<T> ? Typed<T>[K] : Bind<SigOf<Ops[K]>, T> } & { readonly random: RandomNamespace<T>; readonly contrib: ContribNamespace<T> };

type MethodNames = { [K in keyof Ops]: SigOf<Ops[K]> extends { __method: true } ? K : never }[keyof Ops];

/**
 * Operators whose result type follows an option's value, as overloads in
 * place of the bound signature (which has one `Tx | Tx[]` result): topk by
 * its retTyp. `Pre` is `[data: T]` for the function and `[]` for the method.
 */
type Typed<T, Pre extends unknown[] = [data: T]> = { topk: TopkOf<T, Pre> };

/** The tensor methods (`x.add(y)`) of a tensor type `T`. */
export type MethodsOf<T> = { [K in MethodNames]: K extends keyof Typed<T> ? Typed<T, []>[K] : DropFirst<Bind<SigOf<Ops[K]>, T>> };

/** The operators `F.contrib` / `nd.contrib` also hold (ContribNamespace). */
const CONTRIB_NAMES = ['arangeLike', 'divSqrtDim', 'ROIAlign', 'ModulatedDeformableConvolution', 'DeformableConvolution', 'MultiBoxPrior', 'MultiBoxTarget', 'MultiBoxDetection', 'boxIou', 'boxNms', 'boxNonMaximumSuppression', 'CTCLoss', 'ctcLoss'];

/** Builds every operator function of a backend from its `apply`. */
export function makeOps<T>(apply: (def: OpDef, name: string, args: unknown[]) => T | T[]): OpsOf<T> {
  const out: Record<string, (...args: unknown[]) => T | T[]> = {};
  for (const [name, def] of Object.entries(OPS) as [string, OpDef][]) {
    out[name] = (...args: unknown[]) => apply(def, name, args);
  }
  Object.defineProperty(out, 'random', { value: randomNamespace<T>(out), enumerable: false });
  Object.defineProperty(out, 'contrib', { value: Object.freeze(Object.fromEntries(CONTRIB_NAMES.map((k) => [k, out[k]]))), enumerable: false });
  return out as unknown as OpsOf<T>;
}

/**
 * Python's `x[i]`, behind `NDArray.at` and `Symbol.at`: item `i` along the
 * first axis, that axis removed (a negative `i` counts from the end, as
 * `Array.prototype.at`), through the tensor's own sliceAxis and reshape.
 * Example: `itemAt(state, -1)` is d2l's `state[-1]`.
 */
export function itemAt<T>(x: T & { readonly shape: readonly unknown[] }, i: number): T {
  const shape = x.shape;
  const n = shape[0];
  if (shape.length === 0) throw new Error('at: a 0-d array has no axis to index');
  if (!Number.isInteger(i) || (typeof n === 'number' && (i < -n || i >= n))) throw new Error(`at: index ${i} is out of range for axis 0 of size ${String(n)}`);
  const t = x as unknown as { sliceAxis(o: { axis: number; begin: number; end: number | null }): { reshape(s: unknown[]): T } };
  return t.sliceAxis({ axis: 0, begin: i, end: i === -1 ? null : i + 1 }).reshape(shape.slice(1));
}

/** Installs the methods of every method operator on a tensor class's prototype. */
export function installMethods(proto: object, apply: (def: OpDef, name: string, args: unknown[]) => unknown): void {
  for (const [name, def] of Object.entries(OPS) as [string, OpDef][]) {
    if (!def.method || Object.prototype.hasOwnProperty.call(proto, name)) continue;
    Object.defineProperty(proto, name, {
      value: function (this: unknown, ...args: unknown[]) {
        return apply(def, name, [this, ...args]);
      },
      writable: true,
      configurable: true,
    });
  }
}

/**
 * The dtype a plain number in a tensor slot takes: that of the first tensor
 * input among the operator's `scalarLike` (any input when it has none), else
 * float32 (where's two numbers do not take the condition's dtype).
 */
export function scalarDType<T>(def: OpDef, inputs: (T | number)[], dtypeOf: (t: T) => import('../ir/types.js').DType): import('../ir/types.js').DType {
  const order = def.scalarLike ?? inputs.map((_x, i) => i);
  for (const i of order) {
    const x = inputs[i];
    if (x !== undefined && typeof x !== 'number') return dtypeOf(x);
  }
  return 'float32';
}
