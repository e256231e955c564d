/**
 * MXNet's `SymbolBlock(outputs, inputs, params)` built from symbols: the
 * graph a `SymbolBlock` replays, made from the user's symbols. The
 * variables named by `inputs` become the graph's inputs (in that order);
 * every other free variable becomes a parameter under its own name (MXNet's
 * `out.list_arguments()` minus the inputs, gluon/block.py), with the
 * variable's shape when it declares one, else inferred at the first call.
 * Invariants: the user's symbols are not changed (the nodes are copied);
 * inputs must be variables with distinct names, every output must depend on
 * an input, two variables may not share a name; errors name what was wrong.
 */
import { Graph } from '../ir/graph.js';
import { Node } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { graphOf, isSymbol, type Symbol } from '../trace/symbol.js';
import { varInit } from '../trace/sym.js';
import { showValue } from './show-value.js';
import { remapRecurrentCalls } from '../formats/mxnet-rnn-export.js';

/** The graph of a SymbolBlock built from symbols, and the parameters whose shape is unknown until the first call. */
export interface SymbolGraph {
  graph: Graph;
  /** Parameters declared without a shape (`sym.var('fc_weight')`): their rank comes from their first consumer's solve rule. */
  unshaped: Set<string>;
  /** The initializers the parameters' variables were declared with (`sym.var(name, { init })`). */
  inits: Map<string, unknown>;
}

function asList(what: string, x: unknown): Symbol[] {
  const list = Array.isArray(x) ? x : [x];
  if (!list.length) throw new Error(`SymbolBlock: ${what} must be a symbol or a non-empty list of symbols, got an empty list`);
  list.forEach((s, i) => {
    if (!isSymbol(s)) throw new Error(`SymbolBlock: ${what}${Array.isArray(x) ? ` ${i}` : ''} must be a symbol (sym.var or an operator on symbols), got ${showValue(s)}`);
  });
  return list as Symbol[];
}

/** The free variables `v` depends on (each once). */
function variablesOf(v: Value): Set<Value> {
  const out = new Set<Value>();
  const seen = new Set<Value>();
  const stack = [v];
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    if (x.producer) stack.push(...x.producer.inputs);
    else if (x.kind === 'input') out.add(x);
  }
  return out;
}

/**
 * Builds the block's graph from `outputs` computed from the variables `inputs`.
 *
 * ```ts
 * const data = sym.var('data');
 * const { graph } = symbolGraph(sym.FullyConnected(data, sym.var('w'), sym.var('b'), { numHidden: 3 }), data);
 * ```
 */
export function symbolGraph(outputs: unknown, inputs: unknown): SymbolGraph {
  const outs = asList('outputs', outputs);
  const ins = asList('inputs', inputs);
  const inputNames: string[] = [];
  ins.forEach((s, i) => {
    const v = s.value;
    if (v.producer || v.kind !== 'input') {
      const what = v.producer ? `the output of operator '${v.producer.op}'` : 'a constant';
      throw new Error(`SymbolBlock: input ${i} must be a variable (sym.var), but it is ${what}; MXNet's inputs are the variables the outputs are computed from`);
    }
    if (inputNames.includes(v.name)) throw new Error(`SymbolBlock: input '${v.name}' is given twice`);
    inputNames.push(v.name);
  });
  const used = outs.map((o) => variablesOf(o.value));
  const all = new Map<string, Value>();
  for (const vs of used) {
    for (const v of vs) {
      const prev = all.get(v.name);
      if (prev && prev !== v) throw new Error(`SymbolBlock: two different variables are named '${v.name}' (each sym.var call makes a new variable; reuse one symbol)`);
      all.set(v.name, v);
    }
  }
  used.forEach((vs, k) => {
    if (![...vs].some((v) => inputNames.includes(v.name))) {
      const names = [...vs].map((v) => `'${v.name}'`).join(', ') || 'none';
      throw new Error(`SymbolBlock: output ${k} does not depend on any input (${inputNames.map((n) => `'${n}'`).join(', ')}); its variables are ${names}`);
    }
  });
  const unused = inputNames.filter((n) => !all.has(n));
  if (unused.length) {
    // MXNet warns here (HybridBlock._build_cache: "is not used by any computation. Is this intended?").
    process.emitWarning(`SymbolBlock: input(s) ${unused.map((n) => `'${n}'`).join(', ')} are not used by any output`, 'GluoncWarning');
  }
  // Copy the nodes: the inputs as graph inputs, every other variable as a parameter.
  const map = new Map<Value, Value>();
  const unshaped = new Set<string>();
  const inits = new Map<string, unknown>();
  const graphInputs = inputNames.map((name) => {
    const v = all.get(name) ?? ins[inputNames.indexOf(name)]!.value;
    const c = Value.input(name, v.type);
    c.known = v.known;
    map.set(v, c);
    return c;
  });
  for (const [name, v] of all) {
    if (map.has(v)) continue;
    if (!v.known) unshaped.add(name);
    const type: TensorType = v.known ? v.type : { dtype: v.type.dtype, shape: [0] };
    map.set(v, Value.param(name, type));
    if (varInit(v) !== undefined) inits.set(name, varInit(v));
  }
  // graphOf orders the nodes so that each comes after its inputs.
  const original = graphOf(...outs).nodes;
  for (const n of original) {
    const c = Node.create(n.op, n.inputs.map((v) => map.get(v) ?? v), n.attrs, n.outputs.map((o) => o.type), n.scope);
    c.name = n.name;
    n.outputs.forEach((o, i) => {
      c.outputs[i]!.known = o.known;
      map.set(o, c.outputs[i]!);
    });
  }
  // A fused recurrent call recorded on the symbols (legacy FusedRNNCell) is one on the copy (MXNet's writer).
  remapRecurrentCalls(original.flatMap((n) => n.outputs), (v) => map.get(v));
  // An output that is a variable itself (or a constant) maps directly.
  const graph = Graph.fromOutputs(graphInputs, outs.map((o, i) => ({ name: `output${i}`, value: map.get(o.value) ?? o.value })));
  return { graph, unshaped, inits };
}
