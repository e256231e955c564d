/**
 * An IR node: one operator application with attributes, input values and
 * output values. `op` names an operator of `compiler/ops`.
 * Invariant: each output's `producer` is this node; each input lists this
 * node in its `uses`.
 */
import type { TensorType } from './types.js';
import { Value } from './value.js';

/** An attribute value: JSON-like data. */
export type AttrValue = number | string | boolean | null | undefined | AttrValue[] | { [k: string]: AttrValue };

/** Attributes of a node, by name. */
export type Attrs = Record<string, AttrValue>;

/**
 * A node of the IR.
 *
 * ```ts
 * const n = Node.create('add', [x, y], {}, [{ dtype: 'float32', shape: [2] }]);
 * n.outputs[0]; // the new value
 * ```
 */
export class Node {
  op: string;
  inputs: Value[];
  attrs: Attrs;
  outputs: Value[];
  /** The block (or other scope) the node was created in, for error messages and printing. */
  scope: string;
  /**
   * MXNet's node name (`fc1`, `fullyconnected0`) of a node made by a symbolic
   * call outside a traced block, or replayed from a named file node; '' for
   * the rest. Metadata only: no pass reads it, and it changes no result.
   */
  name = '';

  private constructor(op: string, inputs: Value[], attrs: Attrs, outputs: Value[], scope: string) {
    this.op = op;
    this.inputs = inputs;
    this.attrs = attrs;
    this.outputs = outputs;
    this.scope = scope;
  }

  /** Creates a node and its output values, wiring producers and uses. */
  static create(op: string, inputs: Value[], attrs: Attrs, outTypes: TensorType[], scope = ''): Node {
    const outputs = outTypes.map((t) => new Value('', t, 'node'));
    const node = new Node(op, [...inputs], attrs, outputs, scope);
    outputs.forEach((v, i) => {
      v.producer = node;
      v.index = i;
    });
    for (const v of inputs) v.uses.push(node);
    return node;
  }

  /** Replaces input slot `i` with `v`, keeping use lists right. */
  setInput(i: number, v: Value): void {
    const old = this.inputs[i]!;
    const k = old.uses.indexOf(this);
    if (k >= 0) old.uses.splice(k, 1);
    this.inputs[i] = v;
    v.uses.push(this);
  }

  /** Removes this node from its inputs' use lists (before deleting it from a graph). */
  detach(): void {
    for (const v of this.inputs) {
      const k = v.uses.indexOf(this);
      if (k >= 0) v.uses.splice(k, 1);
    }
  }
}
