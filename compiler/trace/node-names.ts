/**
 * MXNet's node names for symbols. A symbolic call outside a traced block
 * names its node as MXNet's NameManager does (python/mxnet/name.py `get`:
 * the `name` given, else `<hint><counter>` with one counter per hint, the
 * hint being the operator's function name lower-cased, as
 * python/mxnet/symbol/register.py passes it: `fullyconnected0`,
 * `activation1`); a node replayed from a file or a graph (`namedCall`) takes
 * that node's name and uses no counter, as MXNet's `load_json` does. The
 * output names and the order of `getInternals` are nnvm's
 * (src/core/symbolic.cc `ListOutputNames`: a variable's own name, else
 * `<node>_<output name>`, the output name being the operator's
 * FListOutputNames or `output` (`output<i>` for a node with several); and
 * `GetInternals`: every node's outputs in `DFSVisit` post order, inputs in
 * order, from the heads).
 * Invariants: the names live on IR nodes (`Node.name`) and nowhere else;
 * nothing here changes what a graph computes.
 */
import type { Node } from '../ir/node.js';
import { Value } from '../ir/value.js';

/** The counters of the current name manager, by hint. */
let counters = new Map<string, number>();
/** While a named node is replayed (`namedCall`): its name, the prefix of parameters created for it. */
let replaying: string | null = null;

/**
 * MXNet's hint for an operator: MXNet's CamelCase operators lower-cased
 * (`FullyConnected` -> `fullyconnected`), gluonc's camelCase ones as MXNet's
 * snake_case functions (`broadcastAdd` -> `broadcast_add`).
 * Example: `nameHint('SoftmaxOutput')` is `'softmaxoutput'`.
 */
export function nameHint(op: string): string {
  return /^[A-Z]/.test(op) ? op.toLowerCase() : op.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The name a symbolic call of `op` gives its node: `given` when there is one,
 * else the next automatic name; '' inside a traced block or while a named
 * node is replayed (the replay names it). Example: `callName('Activation', undefined, false)`.
 */
export function callName(op: string, given: string | undefined, traced: boolean): string {
  if (replaying !== null || traced) return '';
  if (given !== undefined) return given;
  const hint = nameHint(op);
  const n = counters.get(hint) ?? 0;
  counters.set(hint, n + 1);
  return `${hint}${n}`;
}

/** The prefix of parameters a call creates while a named node is replayed (its name), else undefined. Example: `replayPrefix() ?? name`. */
export function replayPrefix(): string | undefined {
  return replaying ?? undefined;
}

/**
 * Runs `fn` with a fresh name manager, as MXNet's `with mx.name.NameManager():`
 * (the counters start again at 0 and are restored afterwards).
 *
 * ```ts
 * withNameManager(() => sym.FullyConnected(x, { numHidden: 2 }));   // fullyconnected0
 * ```
 */
export function withNameManager<T>(fn: () => T): T {
  const saved = counters;
  counters = new Map();
  try {
    return fn();
  } finally {
    counters = saved;
  }
}

/**
 * Runs `fn` (the calls replaying one node of a file or graph) and names
 * `name` the unnamed nodes made by it that produce the values `outputsOf`
 * picks from its result; the calls take no automatic names.
 * Example: `namedRun('fc1', () => F.FullyConnected(x, w, b, o), valuesOf)`.
 */
export function namedRun<T>(name: string, fn: () => T, outputsOf: (r: T) => Value[]): T {
  if (!name) return fn();
  const start = Value.nextId;
  const saved = replaying;
  replaying = name;
  let out: T;
  try {
    out = fn();
  } finally {
    replaying = saved;
  }
  for (const v of outputsOf(out)) {
    if (v.producer && !v.producer.name && v.id >= start) v.producer.name = name;
  }
  return out;
}

/** MXNet's FListOutputNames where gluonc's operator has several outputs of MXNet's names (src/operator/rnn.cc). */
const OUTPUT_NAMES: Record<string, string[]> = { RNN: ['output', 'state', 'state_cell'] };

/**
 * The name `listOutputs` gives the value `v` (nnvm's ListOutputNames):
 * a variable's name, `<node>_output` (`<node>_output<i>` for a node of
 * several outputs); `nodeName` names a node that has none.
 * Example: `outputName(fc.value)` is `'fc1_output'`.
 */
export function outputName(v: Value, nodeName: (n: Node) => string = (n) => n.name): string {
  const p = v.producer;
  if (!p) return v.name;
  const own = OUTPUT_NAMES[p.op]?.[v.index];
  const out = own ?? (p.outputs.length === 1 ? 'output' : `output${v.index}`);
  const name = nodeName(p);
  return name ? `${name}_${out}` : out;
}

/**
 * The values `getInternals` lists for `heads`: nnvm's DFSVisit post order
 * (each node after its inputs, inputs in order, every node once), a
 * variable as itself and a node as each of its outputs; constants (MXNet's
 * scalar attributes, not nodes) are left out.
 * Example: `internalValues([fc.value])`.
 */
export function internalValues(heads: Value[]): Value[] {
  const out: Value[] = [];
  const visited = new Set<Node | Value>();
  const key = (v: Value): Node | Value => v.producer ?? v;
  const visit = (v: Value) => {
    if (v.producer) out.push(...v.producer.outputs);
    else if (v.kind !== 'const') out.push(v);
  };
  for (const head of heads) {
    if (visited.has(key(head))) continue;
    visited.add(key(head));
    const stack: [Value, number][] = [[head, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const ins = top[0].producer?.inputs ?? [];
      if (top[1] === ins.length) {
        visit(top[0]);
        stack.pop();
        continue;
      }
      const next = ins[top[1]++]!;
      if (!visited.has(key(next))) {
        visited.add(key(next));
        stack.push([next, 0]);
      }
    }
  }
  return out;
}

/**
 * Names for the nodes of `values` that have none (made inside a traced
 * block, or the inner nodes of one replayed node): `<hint><k>`, counted per
 * hint and skipping the names in use. Example: `fallbackNames(internalValues(heads))`.
 */
export function fallbackNames(values: Value[]): (n: Node) => string {
  const taken = new Set(values.map((v) => v.producer?.name || v.name).filter(Boolean));
  const given = new Map<Node, string>();
  const count = new Map<string, number>();
  return (n) => {
    if (n.name) return n.name;
    let name = given.get(n);
    if (name) return name;
    const hint = nameHint(n.op);
    let k = count.get(hint) ?? 0;
    while (taken.has(`${hint}${k}`)) k++;
    name = `${hint}${k}`;
    count.set(hint, k + 1);
    taken.add(name);
    given.set(n, name);
    return name;
  };
}
