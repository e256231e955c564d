/**
 * A graph: inputs, parameters, constants, nodes in topological order, and
 * named outputs.
 * Invariant: `nodes` is topologically sorted; every node input is a graph
 * input, a parameter, a constant, or an output of an earlier node.
 */
import { Node } from './node.js';
import { Value } from './value.js';

/**
 * An IR graph.
 *
 * ```ts
 * const g = Graph.fromOutputs([x], { y });
 * g.nodes.length;
 * ```
 */
export class Graph {
  inputs: Value[];
  /** Parameters: initializers in ONNX (inputs of training graphs). */
  params: Value[];
  /** Constants reached from the outputs. */
  constants: Value[];
  nodes: Node[];
  /** Outputs in order, each with its public name. */
  outputs: { name: string; value: Value }[];

  constructor(inputs: Value[], params: Value[], constants: Value[], nodes: Node[], outputs: { name: string; value: Value }[]) {
    this.inputs = inputs;
    this.params = params;
    this.constants = constants;
    this.nodes = nodes;
    this.outputs = outputs;
  }

  /**
   * Builds the graph that computes `outputs` from `inputs`, collecting the
   * nodes, parameters and constants they depend on. An input value reached
   * but not listed is an error naming it.
   */
  static fromOutputs(inputs: Value[], outputs: Record<string, Value> | { name: string; value: Value }[]): Graph {
    const outs = Array.isArray(outputs) ? outputs : Object.entries(outputs).map(([name, value]) => ({ name, value }));
    const listed = new Set(inputs);
    const nodes: Node[] = [];
    const params: Value[] = [];
    const constants: Value[] = [];
    const seenNodes = new Set<Node>();
    const seenValues = new Set<Value>();
    const visitValue = (v: Value, stack: [Node, number][]): void => {
      if (seenValues.has(v)) return;
      seenValues.add(v);
      if (v.producer) {
        if (!seenNodes.has(v.producer)) stack.push([v.producer, 0]);
      } else if (v.kind === 'param') params.push(v);
      else if (v.kind === 'const') constants.push(v);
      else if (!listed.has(v)) throw new Error(`graph input '${v.name}' is used but not bound`);
    };
    for (const { value } of outs) {
      const stack: [Node, number][] = [];
      visitValue(value, stack);
      // Iterative post-order DFS: a node is emitted after all its inputs.
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const [node, i] = top;
        if (seenNodes.has(node)) {
          stack.pop();
          continue;
        }
        if (i < node.inputs.length) {
          top[1] = i + 1;
          visitValue(node.inputs[i]!, stack);
        } else {
          stack.pop();
          seenNodes.add(node);
          nodes.push(node);
        }
      }
    }
    return new Graph([...inputs], params, constants, nodes, outs.map((o) => ({ ...o })));
  }

  /** Recomputes parameters, constants and node order from the outputs, dropping dead nodes. */
  rebuild(): Graph {
    const g = Graph.fromOutputs(this.inputs, this.outputs);
    this.params = g.params;
    this.constants = g.constants;
    this.nodes = g.nodes;
    return this;
  }

  /** Every value defined in the graph: inputs, params, constants, node outputs. */
  *values(): Iterable<Value> {
    yield* this.inputs;
    yield* this.params;
    yield* this.constants;
    for (const n of this.nodes) yield* n.outputs;
  }
}

/**
 * A structural copy of a graph: new inputs, nodes and node outputs (so
 * re-typing the copy leaves `g` alone); parameters and constants are shared.
 *
 * ```ts
 * const copy = cloneGraph(g);
 * copy.nodes[0] !== g.nodes[0]; // true
 * ```
 */
export function cloneGraph(g: Graph): Graph {
  const map = new Map<Value, Value>();
  const get = (v: Value): Value => map.get(v) ?? v;
  const inputs = g.inputs.map((v) => {
    const c = Value.input(v.name, v.type);
    c.known = v.known;
    map.set(v, c);
    return c;
  });
  for (const n of g.nodes) {
    const c = Node.create(n.op, n.inputs.map(get), n.attrs, n.outputs.map((o) => o.type), n.scope);
    c.name = n.name;
    n.outputs.forEach((o, i) => map.set(o, c.outputs[i]!));
  }
  return Graph.fromOutputs(inputs, g.outputs.map((o) => ({ name: o.name, value: get(o.value) })));
}

/**
 * Makes every use of `old` read `nu`: the input slots of the nodes `within`
 * accepts (default: every node using it) and, when `graph` is given, that
 * graph's outputs. Restricting to one graph's nodes matters because
 * parameters and constants may be shared with other graphs, whose nodes
 * must not change.
 *
 * ```ts
 * replaceAllUses(y, x, { graph: g }); // y := x everywhere in g
 * ```
 */
export function replaceAllUses(old: Value, nu: Value, options: { graph?: Graph; within?: (n: Node) => boolean } = {}): void {
  if (old === nu) return;
  for (const n of [...new Set(old.uses)]) {
    if (options.within && !options.within(n)) continue;
    n.inputs.forEach((v, i) => {
      if (v === old) n.setInput(i, nu);
    });
  }
  if (options.graph) for (const o of options.graph.outputs) if (o.value === old) o.value = nu;
}

/** True when the computation of `outputs` draws random numbers (an operator with a `seed`, e.g. Dropout in training). Example: `drawsRandom([loss.value])`. */
export function drawsRandom(outputs: Value[]): boolean {
  const seen = new Set<Value>();
  const stack = [...outputs];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v) || !v.producer) continue;
    seen.add(v);
    if (typeof (v.producer.attrs as { seed?: unknown }).seed === 'number') return true;
    stack.push(...v.producer.inputs);
  }
  return false;
}
