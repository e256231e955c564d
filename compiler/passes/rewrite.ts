/**
 * Helpers the passes share to rewrite a graph in place: replacing a value
 * everywhere it is used (in this graph only: parameters and constants may
 * be shared with other graphs, whose nodes must not change), counting uses
 * within the graph, creating typed nodes, and committing (re-sorting the
 * nodes and detaching the ones no longer reached).
 */
import type { HostTensor } from '../../runtime/tensor.js';
import { replaceAllUses, type Graph } from '../ir/graph.js';
import { Node, type Attrs, type AttrValue } from '../ir/node.js';
import { formatType, type TensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { withScope } from '../ops/errors.js';
import { inferOp } from '../ops/infer.js';
import { getOp } from '../ops/registry.js';
import type { PassContext } from './pass.js';

/**
 * An in-place rewrite of one graph.
 *
 * ```ts
 * const rw = new Rewriter(graph);
 * rw.replace(node.outputs[0]!, node.inputs[0]!); // y := x
 * rw.commit();                                  // re-sorted, dead nodes detached
 * ```
 */
export class Rewriter {
  readonly graph: Graph;
  /** The nodes of the graph, and nodes created since. */
  private readonly nodes: Set<Node>;
  /** Parameter names handed out by `param` during this rewrite. */
  private readonly claimed = new Set<string>();

  constructor(graph: Graph) {
    this.graph = graph;
    this.nodes = new Set(graph.nodes);
  }

  /** True when `n` belongs to this graph (or was created by this rewrite). */
  owns(n: Node): boolean {
    return this.nodes.has(n);
  }

  /** Every use of `old` in this graph's nodes and outputs now reads `nu`. */
  replace(old: Value, nu: Value): void {
    replaceAllUses(old, nu, { graph: this.graph, within: (n) => this.nodes.has(n) });
  }

  /** The graph's nodes reading `v` (each once). */
  users(v: Value): Node[] {
    return [...new Set(v.uses)].filter((n) => this.nodes.has(n));
  }

  /** How many input slots and graph outputs read `v`. */
  useCount(v: Value): number {
    let k = 0;
    for (const n of this.users(v)) for (const x of n.inputs) if (x === v) k++;
    for (const o of this.graph.outputs) if (o.value === v) k++;
    return k;
  }

  /** True when `v` is a graph output. */
  isOutput(v: Value): boolean {
    return this.graph.outputs.some((o) => o.value === v);
  }

  /** A new node typed by its operator's rule (defaults filled, attributes normalized), owned by this rewrite. */
  node(op: string, inputs: Value[], attrs: Attrs, scope = ''): Node {
    const def = getOp(op);
    const { attrs: a, outTypes } = withScope(scope, () => inferOp(def, inputs.map((v) => v.type), { ...def.attrs, ...attrs }));
    const n = Node.create(op, inputs, a, outTypes, scope);
    this.nodes.add(n);
    return n;
  }

  /**
   * A new parameter holding folded data (an initializer in the artifact),
   * named `want` when no other input or parameter has that name (else
   * `want.1`, ...); `replacing` is a parameter this rewrite makes unused,
   * whose name may be taken over.
   */
  param(want: string, data: HostTensor, replacing?: Value): Value {
    const used = new Set([...this.graph.inputs, ...this.graph.params].filter((v) => v !== replacing).map((v) => v.name));
    for (const n of this.claimed) used.add(n);
    let name = want;
    for (let i = 1; used.has(name); i++) name = `${want}.${i}`;
    this.claimed.add(name);
    return Value.param(name, { dtype: data.dtype, shape: [...data.shape] }, data);
  }

  /** Re-sorts the nodes from the outputs, drops the unreached ones and detaches them from their inputs. */
  commit(): Graph {
    this.graph.rebuild();
    const live = new Set(this.graph.nodes);
    for (const n of this.nodes) if (!live.has(n)) n.detach();
    this.nodes.clear();
    for (const n of this.graph.nodes) this.nodes.add(n);
    return this.graph;
  }
}

/** The data of a value known at compile time: a constant's, or a parameter's when the context folds parameters. Example: `constData(v, ctx)?.data`. */
export function constData(v: Value, ctx: PassContext): HostTensor | null {
  if (v.kind === 'const') return v.data;
  if (v.kind === 'param' && ctx.foldParams && v.data) return v.data;
  return null;
}

/** True when both types print the same (same dtype, same dimensions, symbols included). Example: `sameType(x.type, y.type)`. */
export function sameType(a: TensorType, b: TensorType): boolean {
  return formatType(a) === formatType(b);
}

/** True when every element of `t` equals `x` (false for an empty tensor). Example: `allEqual(c.data!, 1)`. */
export function allEqual(t: HostTensor, x: number): boolean {
  const d = t.data as ArrayLike<number | bigint>;
  if (d.length === 0) return false;
  if (t.dtype === 'float16') return false; // stored as bits; never matched
  for (let i = 0; i < d.length; i++) if (Number(d[i]) !== x) return false;
  return true;
}

/** The single value of a one-element tensor, or null. Example: `scalarOf(c.data!)` is 0.5. */
export function scalarOf(t: HostTensor | null): number | null {
  if (!t || t.data.length !== 1 || t.dtype === 'float16') return null;
  return Number((t.data as ArrayLike<number | bigint>)[0]);
}

/** A stable text key for attributes (sorted keys, non-finite numbers and the sign of a zero kept). Example: `attrKey({ b: 1, a: Infinity })`. */
export function attrKey(a: AttrValue): string {
  if (a === undefined) return 'u';
  if (typeof a === 'number') return Object.is(a, -0) ? '-0' : Number.isFinite(a) ? String(a) : `#${a}`;
  if (Array.isArray(a)) return `[${a.map(attrKey).join(',')}]`;
  if (a && typeof a === 'object') {
    return `{${Object.keys(a)
      .filter((k) => a[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${attrKey(a[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(a);
}

/** The producer of `v` when it is a node of operator `op` (one of `ops`), else null. Example: `producerOf(v, 'mul')`. */
export function producerOf(v: Value, ...ops: string[]): Node | null {
  const p = v.producer;
  return p && ops.includes(p.op) ? p : null;
}
