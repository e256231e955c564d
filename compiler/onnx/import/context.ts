/**
 * What an ONNX-operator builder of the importer sees: the node's inputs as IR
 * values (or their constant data, for inputs that are really attributes:
 * shapes, axes, pads), typed attribute getters, and `op` to add gluonc
 * operator nodes. Nodes whose inputs are all constants are folded on the
 * spot, so shape arithmetic of exporters (Shape -> Gather -> Concat ->
 * Reshape) ends in constants. A `Shape` of a tensor with symbolic dimensions
 * becomes a *shape value*: a placeholder listing its dimensions, which the
 * shape builders (Gather, Slice, Concat, Unsqueeze, Squeeze, Cast) carry
 * along and Reshape/Expand consume; it never reaches the graph.
 * Invariant: every refusal names the ONNX operator, the node and what about
 * it is unsupported (`refuse`).
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import { fromOnnxDType, type DType } from '../../../runtime/dtypes.js';
import { NARROW, narrowOfOnnx, narrowTensorFormat, type NarrowFormat } from '../../../runtime/narrow.js';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { onnxNodeScope } from '../../../runtime/run-error.js';
import type { Attrs } from '../../ir/node.js';
import type { Dim } from '../../ir/types.js';
import { Value } from '../../ir/value.js';
import { withDefaults } from '../../ops/call.js';
import { executeOp } from '../../ops/execute.js';
import { getOp, hasOp } from '../../ops/registry.js';

/** Iterations a Loop or Scan (read-control.ts), or a recurrence such as LinearAttention's, may unroll to (its nodes are copied per step). */
export const LOOP_UNROLL_MAX = 4096;

/** The importer's view of one ONNX node (see the file comment). */
export interface ImportCtx {
  readonly opType: string;
  readonly label: string;
  /** The default-domain opset of the file. */
  readonly opset: number;
  /** Number of input slots (absent optional inputs count, as ''). */
  readonly nInputs: number;
  /** The names of the node's outputs ('' for an absent optional output). */
  readonly outputNames: string[];
  readonly attr: AttrReader;
  /** True when input slot `i` is given. */
  has(i: number): boolean;
  /** The value an ONNX name holds where this node is read (Gradient's `y` and `xs`). */
  value(name: string): Value;
  /** Input `i` as an IR value (a refusal when absent or a symbolic shape value). */
  input(i: number): Value;
  /** Input `i`, or null when absent. */
  optInput(i: number): Value | null;
  /** The constant data of input `i` (initializer, Constant or folded), or null when it is computed at run time. */
  data(i: number): HostTensor | null;
  /** Input `i` as constant numbers (null when absent); a refusal naming `what` when it is computed at run time. */
  numbers(i: number, what: string): number[] | null;
  /**
   * The dimensions input `i` lists when it is an integer shape value with
   * symbolic entries, else null; with `anyDtype`, a shape value cast to a
   * float dtype too (torch's `float(H * 2)` before an arange), its `dtype` said.
   */
  symbolicInput(i: number, anyDtype?: boolean): { dims: Dim[]; rank0: boolean; dtype: DType } | null;
  /** Input `i` as a shape value: constant integers or symbolic dimensions; null when absent. */
  dims(i: number): Dim[] | null;
  /** Adds one gluonc operator node (folded when every input is constant); returns its first output. */
  op(name: string, ins: Value[], attrs?: Attrs): Value;
  /** Adds one gluonc operator node; returns all its outputs. */
  ops(name: string, ins: Value[], attrs?: Attrs): Value[];
  /** A constant value. */
  constant(t: HostTensor): Value;
  /** A scalar constant of a dtype. */
  scalar(x: number, dtype: DType): Value;
  /** A 1-D int64 (or `dtype`) value listing `dims`: a constant when all are numbers, else a shape value. */
  shapeValue(dims: Dim[], rank0?: boolean, dtype?: DType): Value;
  /** The Error for something this importer does not map, naming the operator and node. */
  refuse(why?: string): Error;
  /**
   * A graph input and axis whose dimension is the symbol `name` (to size
   * tensors by it), else a tensor of the graph whose Shape was taken
   * (`noteShapeOf`) that has it, or null.
   */
  symbolSource(name: string): { value: Value; axis: number } | null;
  /**
   * Records `x` (whose Shape the file takes) as where its symbolic dimensions
   * can be read: sizes no graph input has (the length of an arange over a
   * size computed at run time, `(v3)`) that the file then uses as a target
   * shape (dynamo's nearest-exact: `Expand(i, Shape(Max(i, j)))`).
   */
  noteShapeOf(x: Value): void;
  /**
   * The node's graph attribute `name` applied to `ins`, inlined: its nodes
   * mapped in a scope of their own (seeing the outer names); its outputs.
   * A refusal when the node has no such attribute or the subgraph does not import.
   */
  applyGraph(name: string, ins: Value[]): Value[];
}

/** One ONNX operator's builder: the values of the node's outputs, in order. */
export type Builder = (c: ImportCtx) => Value[];

/** Typed getters for a node's attributes. */
export interface AttrReader {
  has(name: string): boolean;
  int(name: string, dflt: number): number;
  float(name: string, dflt: number): number;
  ints(name: string): number[] | null;
  floats(name: string): number[] | null;
  str(name: string, dflt: string): string;
  strs(name: string): string[] | null;
  tensor(name: string): HostTensor | null;
  /** A TypeProto attribute (Optional's `type`), or null. */
  type(name: string): OnnxNs.ITypeProto | null;
  /** Every attribute name the node sets. */
  names(): string[];
  /**
   * Marks attributes as deliberately not read: ones that cannot change what
   * the node computes where gluonc maps it (a seed of an inference Dropout).
   */
  ignore(...names: string[]): void;
  /** The attributes the node sets that no getter read and `ignore` did not name (`importNode` refuses them). */
  unread(): string[];
}

/** Shape values: their dimensions, whether 0-d, and their dtype (int64, or a float dtype a Cast gave them: used as data, not as a shape). */
const symbolic = new WeakMap<Value, { dims: Dim[]; rank0: boolean; dtype: DType }>();

/** Per graph being read (its reader's hooks): the tensors whose Shape was taken, by each symbolic dimension they have. */
const shapeSources = new WeakMap<object, Map<string, { value: Value; axis: number }>>();

/**
 * Values that have a narrow dtype in the file (bfloat16, float8, int4, ...:
 * runtime/narrow.ts), held in its wide dtype (proto.ts `readDType`): graph
 * inputs and initializers declared so, what gluonc operators compute from
 * them in that wide dtype (ONNX's operators on a narrow dtype keep it), and
 * the results of Cast, CastLike and QuantizeLinear to one (a Cast from one
 * and DequantizeLinear give unmarked values). A CastLike to such a value
 * rounds onto its format (`narrowCast`).
 */
const narrow = new WeakMap<Value, NarrowFormat>();

/** Marks `v` as a value of narrow format `f` in the file (undefined: of none); returns it. */
export function markNarrow(v: Value, f: NarrowFormat | undefined): Value {
  if (f) narrow.set(v, f);
  else narrow.delete(v);
  return v;
}

/** The narrow format `v` has in the file, or undefined. */
export function narrowOf(v: Value): NarrowFormat | undefined {
  return narrow.get(v);
}

/** The dimensions a shape value holds, or undefined for an ordinary value. */
export function shapeValueDims(v: Value): Dim[] | undefined {
  return symbolic.get(v)?.dims;
}

/** Reads the attributes of a NodeProto (`tensor` decodes TensorProto attributes). */
export function attrReader(n: OnnxNs.INodeProto, refuse: (why: string) => Error, tensor: (t: OnnxNs.ITensorProto) => HostTensor): AttrReader {
  // Every name a getter asks for counts as read, set or not: a builder that reads an attribute decides on its value.
  const read = new Set<string>();
  const find = (name: string) => {
    read.add(name);
    return (n.attribute ?? []).find((a) => a.name === name);
  };
  const num = (x: unknown): number => (typeof x === 'object' && x !== null && 'toNumber' in x ? (x as { toNumber(): number }).toNumber() : Number(x));
  return {
    has: (name) => !!find(name),
    int: (name, dflt) => {
      const a = find(name);
      return a ? num(a.i ?? 0) : dflt;
    },
    float: (name, dflt) => {
      const a = find(name);
      return a ? Number(a.f ?? 0) : dflt;
    },
    ints: (name) => {
      const a = find(name);
      return a ? (a.ints ?? []).map(num) : null;
    },
    floats: (name) => {
      const a = find(name);
      return a ? (a.floats ?? []).map(Number) : null;
    },
    str: (name, dflt) => {
      const a = find(name);
      if (!a) return dflt;
      return typeof a.s === 'string' ? a.s : new TextDecoder().decode(a.s ?? new Uint8Array());
    },
    strs: (name) => {
      const a = find(name);
      return a ? (a.strings ?? []).map((b) => (typeof b === 'string' ? b : new TextDecoder().decode(b))) : null;
    },
    tensor: (name) => {
      const a = find(name);
      if (!a?.t) return null;
      try {
        return tensor(a.t);
      } catch (e) {
        throw refuse(`attribute '${name}': ${(e as Error).message}`);
      }
    },
    type: (name) => find(name)?.tp ?? null,
    names: () => (n.attribute ?? []).map((a) => a.name ?? ''),
    ignore: (...names) => names.forEach((name) => read.add(name)),
    unread: () => (n.attribute ?? []).map((a) => a.name ?? '').filter((name) => !read.has(name)),
  };
}

/** What `makeImportCtx` needs from the reader. */
export interface ReaderHooks {
  resolve(name: string, user: string): Value;
  /** An initializer's data without making it a value (null when `name` is no initializer). */
  initializerData(name: string): HostTensor | null;
  /** `scope`: the node's ONNX element (runtime/run-error.ts `onnxNodeScope`), which errors after the read name. */
  makeNode(op: string, ins: Value[], attrs: Attrs, user: string, scope: string): Value[];
  /** The graph's inputs. */
  inputs(): Value[];
  /** The graph being read (one object for all its nodes): where `noteShapeOf` records. */
  scope: object;
  /** Decodes a TensorProto (Constant values, attribute tensors). */
  tensor(t: OnnxNs.ITensorProto): HostTensor;
  /** Inlines subgraph `g` (labelled `where`) on `ins` (see `ImportCtx.applyGraph`); absent where the reader opens no scopes. */
  inline?(g: OnnxNs.IGraphProto, where: string, ins: Value[], refuse: (why: string) => Error): Value[];
}

/** Builds the context a builder runs with for one node. */
export function makeImportCtx(n: OnnxNs.INodeProto, label: string, opset: number, h: ReaderHooks): ImportCtx {
  const opType = n.opType ?? '';
  const user = `node '${label}'`;
  const names = n.input ?? [];
  const refuse = (why = ''): Error => new Error(`readModel: ONNX operator '${opType}' (node '${label}') has no gluonc equivalent${why ? `: ${why}` : ''}`);
  const raw = (i: number): Value | null => (names[i] ? h.resolve(names[i]!, user) : null);
  const symbolSource = (name: string): { value: Value; axis: number } | null => {
    for (const value of h.inputs()) {
      const axis = value.type.shape.indexOf(name);
      if (axis >= 0) return { value, axis };
    }
    return shapeSources.get(h.scope)?.get(name) ?? null;
  };
  const noteShapeOf = (x: Value): void => {
    let m = shapeSources.get(h.scope);
    if (!m) shapeSources.set(h.scope, (m = new Map()));
    x.type.shape.forEach((d, axis) => typeof d === 'string' && !m.has(d) && m.set(d, { value: x, axis }));
  };
  // A shape value used as data (torch's x.var() dividing by T - 1, x / x.size(1)) becomes a tensor computed
  // when the graph runs: its symbolic entries read from the graph inputs that have them (see dimTensor).
  const materialize = (v: Value, what: string): Value => {
    const s = symbolic.get(v)!;
    const one = (d: Dim): Value => dimTensor(d, symbolSource, (op, ins, attrs) => ops(op, ins, attrs)[0]!, (why) => refuse(`${what} is a shape computed from symbolic dimensions [${s.dims.join(', ')}], and ${why}`));
    const t = s.rank0 ? one(s.dims[0]!) : ops('stack', s.dims.map((d) => one(d)), { axis: 0 })[0]!;
    return s.dtype === 'int64' ? t : ops('cast', [t], { dtype: s.dtype })[0]!;
  };
  const input = (i: number): Value => {
    const v = raw(i);
    if (!v) throw refuse(`input ${i} is required but absent`);
    return symbolic.has(v) ? materialize(v, `input ${i} ('${names[i]}')`) : v;
  };
  const data = (i: number): HostTensor | null => {
    const name = names[i];
    if (!name) return null;
    const init = h.initializerData(name);
    if (init) return init;
    const v = h.resolve(name, user);
    return v.isConst && v.data ? v.data : null;
  };
  const constant = (t: HostTensor): Value => markNarrow(Value.constant(t), narrowTensorFormat(t));
  // Results in the wide dtype of an operator on a narrow value of the file have its format in the file too.
  const spread = (ins: Value[], outs: Value[]): Value[] => {
    const f = ins.map((v) => narrow.get(v)).find((x) => x !== undefined);
    if (f) for (const o of outs) if (o.type.dtype === NARROW[f].wide) narrow.set(o, f);
    return outs;
  };
  const shapeValue = (dims: Dim[], rank0 = false, dtype: DType = 'int64'): Value => {
    if (dims.every((d) => typeof d === 'number')) return constant(tensorFromNumbers(dtype, rank0 ? [] : [dims.length], dims as number[]));
    const v = new Value('', { dtype, shape: rank0 ? [] : [dims.length] }, 'const');
    symbolic.set(v, { dims, rank0, dtype });
    return v;
  };
  const ops = (name: string, given: Value[], attrs: Attrs = {}): Value[] => {
    if (!hasOp(name)) throw refuse(`gluonc has no '${name}' operator`);
    const ins = given.map((v) => (symbolic.has(v) ? materialize(v, 'an input') : v));
    if (ins.length && ins.every((v) => v.isConst && v.data)) {
      const def = getOp(name);
      if (!def.random) {
        let outs: HostTensor[];
        try {
          outs = executeOp(def, ins.map((v) => v.data!), withDefaults(def, attrs));
        } catch (e) {
          throw new Error(`readModel: ${user} (${opType}): ${(e as Error).message}`);
        }
        return spread(ins, outs.map(constant));
      }
    }
    return spread(ins, h.makeNode(name, ins, attrs, `${user} (${opType})`, onnxNodeScope(label, opType)));
  };
  return {
    opType,
    label,
    opset,
    value: (name) => h.resolve(name, user),
    nInputs: names.length,
    outputNames: n.output ?? [],
    attr: attrReader(n, refuse, h.tensor),
    has: (i) => !!names[i],
    input,
    optInput: (i) => (names[i] ? input(i) : null),
    data,
    numbers: (i, what) => {
      if (!names[i]) return null;
      const t = data(i);
      if (!t) throw refuse(`${what} (input ${i}, '${names[i]}') is computed at run time; gluonc needs it constant`);
      return tensorToNumbers(t);
    },
    symbolicInput: (i, anyDtype = false) => {
      const v = raw(i);
      const s = v ? symbolic.get(v) : undefined;
      return s && (anyDtype || s.dtype === 'int64') ? { dims: [...s.dims], rank0: s.rank0, dtype: s.dtype } : null;
    },
    dims: (i) => {
      if (!names[i]) return null;
      const v = h.resolve(names[i]!, user);
      const s = symbolic.get(v);
      if (s) return [...s.dims];
      const t = data(i);
      if (!t) throw refuse(`the shape input ${i} ('${names[i]}') is computed at run time from data; gluonc needs shapes known when the graph is built`);
      return tensorToNumbers(t);
    },
    op: (name, ins, attrs) => ops(name, ins, attrs)[0]!,
    ops,
    constant,
    scalar: (x, dtype) => constant(tensorFromNumbers(dtype, [], [x])),
    shapeValue,
    refuse,
    symbolSource,
    noteShapeOf,
    applyGraph: (name, ins) => {
      const g = (n.attribute ?? []).find((a) => a.name === name)?.g;
      if (!g) throw refuse(`it has no graph attribute ${name}`);
      if (!h.inline) throw refuse(`its ${name} subgraph is read only where the reader opens scopes`);
      return h.inline(g, `${label}/${name}`, ins, refuse);
    },
  };
}

/**
 * A 0-d int64 tensor holding dimension `d` when the graph runs: a number, a
 * graph input's dimension (`shapeArray`), or an expression of those as the
 * shape builders write them (`(T-1)`, `(N*2)`, `2*N`, `(H+-1)`); `refuse` for others.
 */
function dimTensor(
  d: Dim,
  source: (name: string) => { value: Value; axis: number } | null,
  op: (name: string, ins: Value[], attrs?: Attrs) => Value,
  refuse: (why: string) => Error,
): Value {
  if (typeof d === 'number') return Value.constant(tensorFromNumbers('int64', [], [d]));
  const src = source(d);
  if (src) return op('shapeArray', [src.value], { axis: src.axis });
  let e = d.trim();
  // One pair of parentheses around the whole expression.
  const closing = (from: number): number => {
    let depth = 0;
    for (let i = from; i < e.length; i++) {
      if (e[i] === '(') depth++;
      else if (e[i] === ')' && --depth === 0) return i;
    }
    return -1;
  };
  while (e.startsWith('(') && closing(0) === e.length - 1) e = e.slice(1, -1).trim();
  if (/^-?\d+$/.test(e)) return Value.constant(tensorFromNumbers('int64', [], [Number(e)]));
  // The last top-level + or - (else * or /) splits it, as left-to-right evaluation does.
  for (const signs of ['+-', '*/']) {
    let depth = 0;
    for (let i = e.length - 1; i > 0; i--) {
      const ch = e[i]!;
      if (ch === ')') depth++;
      else if (ch === '(') depth--;
      else if (depth === 0 && signs.includes(ch)) {
        // A sign after an operator is the number's own (`(H+-1)`: Add of a negative constant), not a split.
        if ('+-*/('.includes(e[i - 1]!)) continue;
        const [a, b] = [dimTensor(e.slice(0, i), source, op, refuse), dimTensor(e.slice(i + 1), source, op, refuse)];
        return op({ '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' }[ch]!, [a, b]);
      }
    }
  }
  throw refuse(`'${d}' is no graph input's dimension`);
}

/** The IR dtype of an ONNX `to`/dtype attribute, or a refusal (a narrow dtype too: only Cast, CastLike and QuantizeLinear produce one, see `markNarrow`). */
export function dtypeOf(c: ImportCtx, code: number, what: string): DType {
  const f = narrowOfOnnx(code);
  if (f) throw c.refuse(`${what}: ${f} is not supported here (gluonc holds a file's ${f} values in ${NARROW[f].wide}; Cast, CastLike and QuantizeLinear round onto ${f})`);
  try {
    return fromOnnxDType(code);
  } catch (e) {
    throw c.refuse(`${what}: ${(e as Error).message}`);
  }
}

/** A refusal unless the file's opset defines the operator (ONNX added it at opset `since`). */
export function requireOpset(c: ImportCtx, since: number): void {
  if (c.opset < since) throw c.refuse(`the file imports opset ${c.opset}; ONNX defines ${c.opType} from opset ${since}`);
}

/** Normalizes an axis into [0, rank). */
export function normAxis(c: ImportCtx, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw c.refuse(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** `v` cast to `dtype` unless it already is. */
export function castTo(c: ImportCtx, v: Value, dtype: DType): Value {
  return v.type.dtype === dtype ? v : c.op('cast', [v], { dtype });
}

/**
 * Indices (int64) checked against ONNX's [-n, n) and wrapped into [0, n):
 * a `take` (mode 'raise') from the table 0..n-1, so an index outside fails
 * naming it (eagerly; hybridized, onnxruntime's Gather), as onnxruntime's
 * gathers and scatters fail, never a wrapped or dropped position. `n`: one
 * size for every entry, or one per component along the last axis
 * (GatherND's and ScatterND's index rows), or a 1-D tensor whose length
 * (symbolic, read at run time) is the size: its table is the exclusive
 * cumulative sum of ones.
 */
export function boundedIndices(c: ImportCtx, idx: Value, n: number | number[] | Value): Value {
  const i = castTo(c, idx, 'int64');
  if (typeof n === 'object' && !Array.isArray(n)) {
    const table = c.op('cumsum', [castTo(c, c.op('onesLike', [n]), 'int64')], { axis: 0, exclusive: true, reverse: false });
    return c.op('take', [table, i], { mode: 'raise' });
  }
  const table = (m: number) => c.constant(tensorFromNumbers('int64', [m], Array.from({ length: m }, (_v, k) => k)));
  const sizes = typeof n === 'number' ? [n] : n;
  if (sizes.every((m) => m === sizes[0])) return c.op('take', [table(sizes[0]!), i], { mode: 'raise' });
  const parts = sizes.map((m, k) => c.op('take', [table(m), c.op('sliceAxis', [i], { axis: -1, begin: k, end: k + 1 })], { mode: 'raise' }));
  return c.op('concat', parts, { dim: -1 });
}
