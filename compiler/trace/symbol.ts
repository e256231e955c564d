/**
 * Symbols: the tracing backend. Each operator call on symbols checks types
 * now (so errors point at the user's line and name the block), folds when
 * every input is constant and the result stays small (`foldKeepsSize`: a
 * fill or broadcast to a large shape stays a node, as in the passes), and
 * otherwise adds one IR node.
 * A node made outside a traced block carries MXNet's node name (given or
 * automatic, node-names.ts), which `name`, `listOutputs` and `getInternals`
 * read.
 * Invariant: a Symbol wraps exactly one IR value and knows its type.
 */
import type { DType } from '../../runtime/dtypes.js';
import { checkDType } from '../../runtime/dtypes.js';
import { splitScope } from '../../runtime/run-error.js';
import { scalarTensor, type HostTensor } from '../../runtime/tensor.js';
import { cloneGraph, Graph } from '../ir/graph.js';
import { Node, type Attrs } from '../ir/node.js';
import { isConcrete, type Dim, type Shape, type TensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { hostDims, installMethods, itemAt, parseCall, scalarDType, type DimSource, type MethodsOf } from '../ops/call.js';
import { shapeArrayRange } from '../ops/creation.js';
import { isOpCall, outputArity, type OpCall, type OpDef } from '../ops/define.js';
import { getContext } from '../ops/context.js';
import { currentScope, OpError } from '../ops/errors.js';
import { executeOp, foldKeepsSize } from '../ops/execute.js';
import { inferOp } from '../ops/infer.js';
import { getOp } from '../ops/registry.js';
import { SymbolicDim } from '../ops/symbolic-dim.js';
import type { Tensor } from '../ops/tensor.js';
import { callName, fallbackNames, internalValues, namedRun, outputName, replayPrefix } from './node-names.js';
import { retypeGraph as retype } from './retype.js';
import { tensorFactory } from './tensor-like.js';

/**
 * Thrown when a symbol's values are read while tracing. `remedy` is the way
 * out that fits the caller (exporting cannot "not hybridize"); `block` is
 * the block path whose forward read them (the current scope by default).
 *
 * ```ts
 * throw new DataDependentError('item');
 * ```
 */
export class DataDependentError extends Error {
  constructor(
    readonly what: string,
    readonly remedy = 'express it with operators such as F.where, or do not hybridize this block',
    during = 'a hybridized block is traced',
    readonly block = currentScope(),
  ) {
    // Read while an imported ONNX node is replayed: that node first, as OpError puts it (runtime/run-error.ts splitScope).
    const { block: path, onnx } = splitScope(block);
    super(`${onnx ? `${onnx}: ` : ''}${what}: a symbol has no values while ${during}${path ? ` (in block '${path}')` : ''}. Data-dependent control flow (if/for on tensor values) cannot be compiled: ${remedy}`);
    this.name = 'DataDependentError';
  }
}

/**
 * A symbolic tensor.
 *
 * ```ts
 * const x = sym.var('x', { shape: ['N', 2] });
 * const y = sym.relu(x);
 * y.shape; // ['N', 2]
 * ```
 */
export class Symbol implements Tensor {
  readonly value: Value;

  constructor(value: Value) {
    this.value = value;
  }

  /**
   * The inferred shape. Symbolic dimensions are `SymbolicDim`s (inside a
   * traced block and for a top-level `sym.var('x', { shape: ['N', 3] })`
   * alike): they print and serialize as their names, shape arguments take
   * them as they are, and a comparison or arithmetic on one throws a
   * `SymbolicDimError` naming it and its variable (it has no value).
   */
  get shape(): (Dim | SymbolicDim)[] {
    if (!this.value.known) {
      throw new Error('shape: unknown until the variables it depends on have shapes (give sym.var a shape, or use inferShape)');
    }
    const s = this.value.type.shape;
    if (isConcrete(s)) return s;
    // Symbolic entries are SymbolicDims inside a traced block and outside one (sym.var at top level) alike.
    const traced = getContext().trace !== null;
    return s.map((d, axis) => (typeof d === 'number' ? d : new SymbolicDim(d, this, axis, () => dimOrigin(this, d, traced), traced)));
  }

  /** The inferred dtype. */
  get dtype(): DType {
    return this.value.type.dtype;
  }

  /** The number of dimensions. */
  get ndim(): number {
    return this.value.type.shape.length;
  }

  /**
   * Item `i` along the first axis, that axis removed (Python's `x[i]`; a
   * negative `i` counts from the end, as `Array.prototype.at`). Example:
   * `state.at(-1)` is d2l's `state[-1]`, the last layer's state.
   */
  at(i: number): Symbol {
    return itemAt<Symbol>(this, i);
  }

  /** The axes reversed (`x.T` in a traced forward, as on an NDArray). */
  get T(): Symbol {
    return this.transpose();
  }

  /**
   * MXNet's `name`: a variable's name, or the name of the node computing
   * this symbol (`fc1`, or MXNet's automatic `fullyconnected0`; '' for a
   * node made inside a traced block).
   */
  get name(): string {
    return this.value.producer ? this.value.producer.name : this.value.name;
  }

  /**
   * MXNet's `list_outputs()`: this symbol's output name (`['fc1_output']`;
   * a variable's is its name).
   */
  listOutputs(): string[] {
    return [outputName(this.value)];
  }

  /**
   * MXNet's `get_internals()`: every node this symbol is computed from,
   * variables included, as a group in MXNet's order, each output named as
   * `listOutputs` names it (`data`, `fc1_weight`, `fc1_bias`, `fc1_output`).
   *
   * ```ts
   * const feature = symbol.getInternals().get('flatten0_output');
   * ```
   */
  getInternals(): SymbolGroup {
    return internalsOf([this]);
  }

  /** Alias of `getInternals` (MXNet's spelling). */
  get_internals(): SymbolGroup {
    return this.getInternals();
  }

  /** MXNet's `get_children()`: the inputs of the node computing this symbol as a group, null for a variable. */
  getChildren(): SymbolGroup | null {
    const p = this.value.producer;
    return p ? new SymbolGroup(p.inputs.map((v) => new Symbol(v))) : null;
  }

  /** MXNet's `sym[key]`: output `key` by name or position (a symbol has one: `get(0)`, `get('fc1_output')`). */
  get(key: string | number): Symbol {
    return pick([this], key);
  }

  /** Reading values while tracing is an error explaining data-dependent control flow. */
  toArray(): never {
    throw new DataDependentError('toArray');
  }

  /** See `toArray`. */
  item(): never {
    throw new DataDependentError('item');
  }

  /** See `toArray`. */
  data(): never {
    throw new DataDependentError('data');
  }

  /** A symbol cannot be used as a boolean or number while tracing. */
  valueOf(): never {
    throw new DataDependentError('valueOf');
  }

  /** The symbol converted to `dtype`. */
  astype(dtype: DType): Symbol {
    checkDType(dtype, 'astype');
    return symApply(getCast(), 'cast', [this, dtype]) as Symbol;
  }

  /** The variables this symbol depends on, in order of first use. */
  listArguments(): string[] {
    return graphOf(this).inputs.map((v) => v.name);
  }

  /**
   * Infers output types for given input shapes (and dtypes).
   *
   * ```ts
   * sym.relu(sym.var('x')).inferShape({ x: [5, 2] }); // { args: { x: [5, 2] }, outs: [[5, 2]] }
   * ```
   */
  inferShape(shapes: Record<string, Shape | TensorType>): { args: Record<string, Shape>; outs: Shape[] } {
    const g = graphOf(this);
    const types = bindTypes(g, shapes);
    const copy = cloneGraph(g);
    retype(copy, types, { solve: true });
    return {
      args: Object.fromEntries(copy.inputs.map((v) => [v.name, v.type.shape])),
      outs: copy.outputs.map((o) => o.value.type.shape),
    };
  }

  /**
   * Compiles this symbol for the bound inputs' shapes and runs it.
   *
   * ```ts
   * sym.relu(sym.var('x')).eval({ x: nd.array([-1, 2]) }); // NDArray [0, 2]
   * ```
   */
  eval(bindings: Record<string, unknown>): unknown {
    if (!evaluator) throw new Error("Symbol.eval: no compiler is loaded (import 'gluonc' or 'gluonc/compiler', whose entry points provide it)");
    return evaluator([this], bindings)[0];
  }

  toString(): string {
    return `<Symbol ${this.name || this.value.producer?.op || 'const'} ${this.dtype}[${this.value.type.shape.join(', ')}]>`;
  }
}

// The tensor methods generated from the operator list.
export interface Symbol extends MethodsOf<Symbol> {}

/** Where a symbolic dimension comes from, for errors: the first graph input that has it. */
function dimOrigin(s: Symbol, name: string, traced: boolean): string {
  for (const v of graphOf(s).inputs) {
    const k = v.type.shape.indexOf(name);
    if (k >= 0) return `axis ${k} of ${traced ? 'input' : 'variable'} '${v.name}'`;
  }
  return `of a tensor of shape [${s.value.type.shape.join(', ')}]`;
}

function getCast(): OpDef {
  return getOp('cast');
}

/** True for symbols. */
export function isSymbol(x: unknown): x is Symbol {
  return x instanceof Symbol;
}

/**
 * Several symbols as one, MXNet's grouped symbol (`sym.Group`,
 * `getInternals()`): an array of symbols (what `SymbolBlock(outputs, inputs)`,
 * `Module` and `Symbol.eval` take) with MXNet's `list_outputs` and, for
 * MXNet's `group['name']` (TypeScript has no string index), `get(name)`;
 * `group[i]` and `get(i)` index by position.
 *
 * ```ts
 * const internals = symbol.getInternals();
 * internals.listOutputs();             // ['data', 'fc1_weight', 'fc1_bias', 'fc1_output', ...]
 * const feature = internals.get('flatten0_output');
 * ```
 */
export class SymbolGroup extends Array<Symbol> {
  /** Array methods (`map`, `filter`, `slice`) give plain arrays. */
  static override get [globalThis.Symbol.species](): ArrayConstructor {
    return Array;
  }

  constructor(symbols: Symbol[] | number = []) {
    super();
    if (Array.isArray(symbols)) this.push(...symbols);
  }

  /** The output names (see `Symbol.listOutputs`), in order. */
  listOutputs(): string[] {
    const names = fallbackNames(this.map((s) => s.value));
    return this.map((s) => outputName(s.value, names));
  }

  /** The output `key`: by name (an Error when none or several have it) or by position. */
  get(key: string | number): Symbol {
    return pick(this, key, this.listOutputs());
  }

  /** The variables the outputs depend on, in order of creation. */
  listArguments(): string[] {
    return graphOf(...this).inputs.map((v) => v.name);
  }

  /** Every node the outputs are computed from (see `Symbol.getInternals`). */
  getInternals(): SymbolGroup {
    return internalsOf(this);
  }

  /** Alias of `getInternals` (MXNet's spelling). */
  get_internals(): SymbolGroup {
    return this.getInternals();
  }
}

function internalsOf(heads: Symbol[]): SymbolGroup {
  return new SymbolGroup(internalValues(heads.map((s) => s.value)).map((v) => new Symbol(v)));
}

/** MXNet's `__getitem__` (python/mxnet/symbol/symbol.py): a name must match exactly one output. */
function pick(list: Symbol[], key: string | number, names = list.map((s) => outputName(s.value))): Symbol {
  if (typeof key === 'number') {
    if (!Number.isInteger(key) || key < 0 || key >= list.length) throw new Error(`Symbol.get: index ${key} is out of range (the symbol has ${list.length} output${list.length === 1 ? '' : 's'})`);
    return list[key]!;
  }
  if (typeof key !== 'string') throw new Error(`Symbol.get: expected an output name or a position, got ${typeof key}`);
  const at = names.flatMap((n, i) => (n === key ? [i] : []));
  if (at.length > 1) throw new Error(`Symbol.get: there are multiple outputs with name "${key}" (outputs ${at.join(', ')}; give the nodes distinct names, or index by position)`);
  if (!at.length) {
    const near = nearNames(key, names);
    throw new Error(`Symbol.get: cannot find output that matches name "${key}"${near.length ? ` (did you mean ${near.map((n) => `'${n}'`).join(', ')}?)` : ''}; the outputs are listOutputs()`);
  }
  return list[at[0]!]!;
}

/** The names closest to `key` (edit distance at most a third of its length, or sharing its node name), at most 5. */
function nearNames(key: string, names: string[]): string[] {
  const dist = (a: string, b: string): number => {
    let prev = Array.from({ length: b.length + 1 }, (_v, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
      prev = row;
    }
    return prev[b.length]!;
  };
  const stem = key.replace(/_output\d*$/, '');
  return names
    .map((n) => ({ n, d: dist(key, n) }))
    .filter(({ n, d }) => d <= Math.max(2, Math.floor(key.length / 3)) || (stem && n.startsWith(`${stem}_`)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 5)
    .map(({ n }) => n);
}

/**
 * Runs `fn`, the calls replaying one node of a file or graph, so that the
 * node computing its result is named `name` (no automatic names are used).
 * Example: `namedCall('fc1', () => F.FullyConnected(x, w, b, { numHidden: 4 }))`.
 */
export function namedCall<T>(name: string, fn: () => T): T {
  return namedRun(name, fn, (r) => (Array.isArray(r) ? r : [r]).filter(isSymbol).map((s) => s.value));
}

/** The graph computing a symbol from all the variables it depends on. */
export function graphOf(...outs: Symbol[]): Graph {
  const inputs: Value[] = [];
  const seen = new Set<Value>();
  const stack = outs.map((s) => s.value);
  const visited = new Set<Value>();
  while (stack.length) {
    const v = stack.pop()!;
    if (visited.has(v)) continue;
    visited.add(v);
    if (v.producer) stack.push(...v.producer.inputs);
    else if (v.kind === 'input' && !seen.has(v)) {
      seen.add(v);
      inputs.push(v);
    }
  }
  inputs.sort((a, b) => a.id - b.id);
  return Graph.fromOutputs(inputs, outs.map((s, i) => ({ name: `output${i}`, value: s.value })));
}

function bindTypes(g: Graph, shapes: Record<string, Shape | TensorType | HostTensor>): Record<string, TensorType> {
  const out: Record<string, TensorType> = {};
  for (const [name, s] of Object.entries(shapes)) {
    const v = g.inputs.find((x) => x.name === name);
    if (!v) throw new Error(`no variable named '${name}' (variables: ${g.inputs.map((x) => x.name).join(', ') || 'none'})`);
    out[name] = Array.isArray(s) ? { dtype: v.type.dtype, shape: s } : { dtype: s.dtype, shape: [...s.shape] };
  }
  return out;
}

/** How `Symbol.eval` compiles and runs symbols: the compile layer's `evalSymbols`, set by the package entry points. Example: `const run: SymbolEvaluator = evalSymbols`. */
export type SymbolEvaluator = (outs: Symbol[], bindings: Record<string, unknown>) => unknown[];

let evaluator: SymbolEvaluator | null = null;

/**
 * Gives `Symbol.eval` the function that compiles and runs symbols (the
 * tracing layer sits below the compiler, so it cannot import it); returns
 * the previous one. The package entry points call it once.
 *
 * ```ts
 * setSymbolEvaluator(evalSymbols);
 * ```
 */
export function setSymbolEvaluator(fn: SymbolEvaluator | null): SymbolEvaluator | null {
  const old = evaluator;
  evaluator = fn;
  return old;
}

/**
 * Takes MXNet's `name` option off a symbolic call's options: `[args, name]`.
 * Example: `takeName(def, [x, { numHidden: 4, name: 'fc1' }], isSymbol)`.
 */
function takeName(def: OpDef, args: unknown[], isArg: (x: unknown) => boolean): [unknown[], string | undefined] {
  const last = args[args.length - 1];
  const hasOpts = typeof last === 'object' && last !== null && !Array.isArray(last) && !isArg(last) && !ArrayBuffer.isView(last);
  if (!hasOpts || !('name' in (last as object))) return [args, undefined];
  const { name, ...opts } = last as Record<string, unknown>;
  if (typeof name !== 'string' || !name) throw new OpError(def.name, `option 'name' must be a non-empty string, got ${JSON.stringify(name)}`);
  return [[...args.slice(0, -1), opts], name];
}

/**
 * MXNet's symbolic call forms: outside a traced block, the parameters an
 * operator declares (`def.params`) created as variables when the call leaves
 * them out, named `<prefix>_<input>` (`fc1_weight`, `bn0_moving_mean`), the
 * prefix being the node's name (given, or MXNet's automatic `<operator>N`).
 * Inside a traced block a missing parameter stays an error (the block
 * passes its own).
 */
function mxnetSymbolArgs(def: OpDef, args: unknown[], isArg: (x: unknown) => boolean, prefix: string | undefined): unknown[] {
  const last = args[args.length - 1];
  const hasOpts = typeof last === 'object' && last !== null && !Array.isArray(last) && !isArg(last) && !ArrayBuffer.isView(last);
  const opts = hasOpts ? (last as Record<string, unknown>) : undefined;
  const rest = hasOpts ? args.slice(0, -1) : args;
  let given = 0;
  while (given < rest.length && isArg(rest[given])) given++;
  const missing: string[] = [];
  // Only a call that gives none of the parameters (MXNet's form): one that gives the weight but not
  // the optional bias keeps gluonc's meaning, no bias.
  const first = def.params ? def.inputs.findIndex((slot) => def.params!.includes(slot.replace(/\?$/, ''))) : -1;
  if (first >= 0 && given === first && getContext().trace === null) {
    const noBias = (opts?.['noBias'] ?? def.attrs?.['noBias']) === true;
    for (const slot of def.inputs.slice(given)) {
      const input = slot.replace(/\?$/, '');
      if (!def.params!.includes(input) || (slot.endsWith('?') && noBias)) break;
      missing.push(input);
    }
  }
  if (!missing.length) return args;
  if (!prefix) throw new OpError(def.name, `parameters ${missing.join(', ')} are missing and the call has no name to name them by`);
  const vars = missing.map((input) => {
    const v = Value.input(`${prefix}_${input.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, { dtype: 'float32', shape: [] });
    v.known = false;
    return new Symbol(v);
  });
  return [...rest.slice(0, given), ...vars, ...rest.slice(given), ...(opts ? [opts] : [])];
}

/** Runs an operator call a `redirect` made (its nested calls first). */
function runCall(c: OpCall): Symbol | Symbol[] {
  return symApply(getOp(c.op), c.op, c.args.map((a) => (isOpCall(a) ? runCall(a) : a)));
}

/** Runs an operator on symbols: the `apply` of the `sym` backend. */
export function symApply(def: OpDef, _name: string, args: unknown[]): Symbol | Symbol[] {
  const f = tensorFactory();
  const isArg = (x: unknown): x is Symbol | object => isSymbol(x) || f.isTensor(x);
  let given: string | undefined;
  [args, given] = takeName(def, args, isArg);
  // The node's MXNet name (node-names.ts); a redirected call names the node it ends in.
  const name = callName(def.name, given, getContext().trace !== null);
  const to = def.redirect?.(args);
  if (to) return namedCall(name, () => runCall(to));
  args = mxnetSymbolArgs(def, args, isArg, name || replayPrefix());
  if (def.hostOnly) throw new OpError(def.name, def.hostOnly);
  const { inputs, attrs } = parseCall(def, args, isArg, (t) => symbolDims(def.name, t, f.host));
  const sd = inputs.some((x) => typeof x === 'number')
    ? scalarDType(def, inputs, (t) => (isSymbol(t) ? t.dtype : f.host(t).dtype))
    : 'float32';
  const values = inputs.map((x) =>
    typeof x === 'number' ? Value.constant(scalarTensor(x, sd)) : isSymbol(x) ? x.value : Value.constant(f.host(x)),
  );
  if (values.some((v) => !v.known)) {
    // Untyped variables: record the node now, type it when shapes are bound.
    const { list, count } = outputArity(def, attrs);
    const node = Node.create(def.name, values, attrs, Array.from({ length: count }, () => ({ dtype: values[0]!.type.dtype, shape: [] })), currentScope());
    node.name = name;
    for (const o of node.outputs) o.known = false;
    const syms = node.outputs.map((o) => new Symbol(o));
    return list ? syms : syms[0]!;
  }
  solveDeferred(def, values, attrs);
  const types = values.map((v) => v.type);
  const { attrs: a, outTypes } = inferOp(def, types, attrs);
  if (!def.random && values.every((v) => v.isConst) && foldsSmall(values, outTypes)) {
    const outs = executeOp(def, values.map((v) => v.data!), a, { attrs: a, outTypes });
    const syms = outs.map((h) => new Symbol(Value.constant(h)));
    return outputArity(def, a).list ? syms : syms[0]!;
  }
  const node = Node.create(def.name, values, a, outTypes, currentScope());
  node.name = name;
  const syms = node.outputs.map((o) => new Symbol(o));
  return outputArity(def, a).list ? syms : syms[0]!;
}

/** True when the outputs are concrete and not much larger than the constant inputs (see `foldKeepsSize`). */
function foldsSmall(values: Value[], outTypes: TensorType[]): boolean {
  if (!outTypes.every((t) => isConcrete(t.shape))) return false;
  const inElems = values.reduce((s, v) => s + (v.data?.data.length ?? 0), 0);
  const outElems = outTypes.reduce((s, t) => s + (t.shape as number[]).reduce((p, d) => p * d, 1), 0);
  return foldKeepsSize(inElems, outElems);
}

/**
 * What a tensor given as dimensions stands for while tracing: its values when
 * constant, the dimensions of the tensor a `shapeArray` node reads (so
 * symbolic names survive), else its run-time values.
 */
function symbolDims(op: string, t: Symbol | object, host: (x: unknown) => HostTensor): DimSource<Symbol | object> {
  if (!isSymbol(t)) return { values: hostDims(op, 'shape', host(t)) };
  const v = t.value;
  if (v.isConst && v.data) return { values: hostDims(op, 'shape', v.data) };
  const p = v.producer;
  if (p && p.op === 'shapeArray' && v.known) {
    const rank = p.inputs[0]!.type.shape.length;
    const [begin, end] = shapeArrayRange(rank, p.attrs);
    return { shapeOf: new Symbol(p.inputs[0]!), begin, end };
  }
  return { valueOf: t };
}

/** Fills unknown (0) dimensions of parameter inputs through the operator's solve rule. */
function solveDeferred(def: OpDef, values: Value[], attrs: Attrs): void {
  if (!values.some((v) => v.type.shape.includes(0) && v.kind === 'param')) return;
  const types = values.map((v) => v.type);
  const solved = def.solve?.(types, attrs as never) ?? [];
  values.forEach((v, i) => {
    if (v.kind !== 'param' || !v.type.shape.includes(0)) return;
    const s = solved[i];
    if (!s || s.includes(0) || s.length !== v.type.shape.length) {
      throw new OpError(def.name, `cannot infer the unknown dimensions of parameter '${v.name}' [${v.type.shape.join(', ')}] from this operator`, types);
    }
    if (!isConcrete(s)) {
      throw new OpError(def.name, `parameter '${v.name}' would get symbolic dimensions [${s.join(', ')}]`, types);
    }
    v.type = { dtype: v.type.dtype, shape: s };
  });
}

installMethods(Symbol.prototype, symApply);
