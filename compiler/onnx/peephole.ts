/**
 * A peephole over the emitted ONNX node lists (the graph's and every
 * subgraph body's), run once by `emitModel` after all IR nodes are lowered.
 *
 * It exists for onnxruntime's contiguous-Reshape fusion (ReshapeFusion,
 * onnxruntime 1.30 CPU): a Reshape whose target is computed at run time
 * (Shape -> Gather/Slice -> Concat, onnxruntime cannot fold it) feeding,
 * as its only consumer, a Reshape whose output shape onnxruntime knows
 * statically gets fused into one new Reshape, and the fusion then fails to
 * load the model ("Attempting to get index by a name which does not exist:
 * <target> for node: <name>_new_reshape"). So, whatever lowering wrote them:
 *
 * 1. A Reshape target that is known when emitting (an int64 initializer, or
 *    Shape/Gather/Slice/Concat/Squeeze/Unsqueeze/Add/Sub/Mul arithmetic over
 *    initializers and the shapes of values whose IR type is concrete)
 *    becomes an int64 initializer; so does the Reshape's output shape, when
 *    concrete, in place of a target that is unknown or has 0 entries.
 * 2. A Reshape with a constant target reads the data at the start of the
 *    chain of Reshape/Flatten/Squeeze/Unsqueeze/Identity nodes feeding it:
 *    those only reinterpret the same row-major element sequence, so
 *    `Reshape(Reshape(x, s1), s2)` is `Reshape(x, s2)` when `s2` does not
 *    read the intermediate's dimensions. With `allowzero` 0 a 0 entry copies
 *    the intermediate's dimension: it is replaced by that dimension when
 *    known (and the chain is left alone when not); -1 only depends on the
 *    element count, which the chain keeps; with `allowzero` 1 a 0 is a
 *    literal 0.
 * 3. Nodes no `keep` name (the graph outputs) depends on are dropped:
 *    onnxruntime runs every node it is given (`readModel` accepts a recorded
 *    output no node computes while nothing reads it).
 *
 * ```ts
 * const removed = peephole(model.graph.node, env); // mutates the node lists
 * ```
 */
import type { onnx as OnnxNs } from 'onnx-proto';

/** What the peephole knows besides the nodes. */
export interface PeepholeEnv {
  /** The values of an int64 initializer of rank 0 or 1. */
  intsOf(name: string): { values: number[]; scalar: boolean } | undefined;
  /** The concrete shape of a value, when its IR type says so. */
  shapeOf(name: string): readonly number[] | undefined;
  /** The name of an int64 1-D initializer holding `values`. */
  ints(values: readonly number[]): string;
  /** Names that must stay produced. */
  keep: ReadonlySet<string>;
}

type Node = OnnxNs.INodeProto;
/** A statically known int64 value of rank 0 (`scalar`) or 1. */
type Known = { values: number[]; scalar: boolean };

/** Ops that keep the row-major element sequence of their first input. */
const SEQUENCE_KEEPING = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

/**
 * Rewrites `nodes` (and the bodies of their graph attributes) in place as
 * the module doc says; returns the nodes it removed.
 *
 * ```ts
 * peephole(nodes, { intsOf, shapeOf, ints, keep: new Set(['y']) });
 * ```
 */
export function peephole(nodes: Node[], env: PeepholeEnv): Set<Node> {
  const lists = nodeLists(nodes);
  const producer = new Map<string, Node>();
  for (const list of lists) for (const n of list) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const known = staticValues(producer, env);
  for (const list of lists) {
    const local = new Set(list);
    for (const n of list) if (n.opType === 'Reshape' && !n.domain) rewriteReshape(n, local, producer, known, env);
  }
  return dropDead(nodes, env.keep);
}

/** The node lists of the graph and of every subgraph body (depth first). */
function nodeLists(nodes: Node[]): Node[][] {
  const lists: Node[][] = [nodes];
  for (const n of nodes) for (const a of n.attribute ?? []) if (a.g) lists.push(...nodeLists(a.g.node ?? []));
  return lists;
}

function attrInt(n: Node, name: string, dflt: number): number {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? dflt : Number(a.i);
}

function rewriteReshape(n: Node, local: Set<Node>, producer: Map<string, Node>, known: (name: string) => Known | undefined, env: PeepholeEnv): void {
  const inputs = n.input!;
  const allowZero = attrInt(n, 'allowzero', 0) === 1;
  const target = known(inputs[1]!);
  let values = target && !target.scalar ? target.values : undefined;
  // Step 1: a known target is an initializer; a target with 0 entries (or an unknown one) is the output's
  // shape when that is known (onnxruntime may know it too, from the declared graph outputs).
  const outDims = env.shapeOf(n.output![0]!);
  if (outDims && outDims.every((d) => d > 0) && (!values || (!allowZero && values.includes(0)))) values = [...outDims];
  if (!values) return;
  if (values !== target?.values || !env.intsOf(inputs[1]!)) inputs[1] = env.ints(values);
  const chosen = values;
  // Step 2: read the data before the chain of sequence-keeping nodes.
  let data = inputs[0]!;
  let from = producer.get(data);
  if (!from || !local.has(from) || !SEQUENCE_KEEPING.has(from.opType ?? '') || from.domain) return;
  if (!allowZero && values.includes(0)) {
    // 0 copies the dimension of the Reshape's own input.
    const dims = env.shapeOf(data);
    if (!dims || values.some((v, i) => v === 0 && !(i < dims.length && dims[i]! > 0))) return;
    values = values.map((v, i) => (v === 0 ? dims[i]! : v));
  }
  while (from && local.has(from) && SEQUENCE_KEEPING.has(from.opType ?? '') && !from.domain) {
    data = from.input![0]!;
    from = producer.get(data);
  }
  inputs[0] = data;
  if (values !== chosen) inputs[1] = env.ints(values);
}

/** The statically known int64 value of a name (memoized), or undefined. */
function staticValues(producer: Map<string, Node>, env: PeepholeEnv): (name: string) => Known | undefined {
  const memo = new Map<string, Known | undefined>();
  const get = (name: string): Known | undefined => {
    if (memo.has(name)) return memo.get(name);
    memo.set(name, undefined); // cycles cannot happen in a DAG; this only guards the recursion
    const init = env.intsOf(name);
    const v = init ?? evalNode(producer.get(name), name, get, env);
    memo.set(name, v);
    return v;
  };
  return get;
}

function evalNode(n: Node | undefined, name: string, get: (name: string) => Known | undefined, env: PeepholeEnv): Known | undefined {
  if (!n || n.domain || (n.output?.length ?? 0) !== 1 || n.output![0] !== name) return undefined;
  const ins = n.input ?? [];
  const arg = (i: number): Known | undefined => (ins[i] ? get(ins[i]!) : undefined);
  switch (n.opType) {
    case 'Shape': {
      const dims = env.shapeOf(ins[0]!);
      if (!dims) return undefined;
      const r = dims.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      return { values: dims.slice(clamp(attrInt(n, 'start', 0)), clamp(attrInt(n, 'end', r))), scalar: false };
    }
    case 'Identity':
      return arg(0);
    case 'Concat': {
      const parts = ins.map((_s, i) => arg(i));
      if (parts.some((p) => !p || p.scalar)) return undefined;
      return { values: parts.flatMap((p) => p!.values), scalar: false };
    }
    case 'Gather': {
      const [data, idx] = [arg(0), arg(1)];
      if (!data || data.scalar || !idx || attrInt(n, 'axis', 0) !== 0) return undefined;
      const len = data.values.length;
      if (idx.values.some((i) => i < -len || i >= len)) return undefined;
      return { values: idx.values.map((i) => data.values[i < 0 ? i + len : i]!), scalar: idx.scalar };
    }
    case 'Slice':
      return evalSlice(arg(0), arg(1), arg(2), ins[3] ? arg(3) : { values: [0], scalar: false }, ins[4] ? arg(4) : { values: [1], scalar: false });
    case 'Squeeze':
    case 'Unsqueeze': {
      const x = arg(0);
      if (!x) return undefined;
      // A 1-element vector <-> a scalar (the only forms shape arithmetic uses).
      if (n.opType === 'Squeeze' && !x.scalar && x.values.length === 1) return { values: x.values, scalar: true };
      if (n.opType === 'Unsqueeze' && x.scalar && arg(1)?.values.length === 1) return { values: x.values, scalar: false };
      return undefined;
    }
    case 'Add':
    case 'Sub':
    case 'Mul': {
      const [a, b] = [arg(0), arg(1)];
      if (!a || !b) return undefined;
      const len = Math.max(a.values.length, b.values.length);
      if ((a.values.length !== len && a.values.length !== 1) || (b.values.length !== len && b.values.length !== 1)) return undefined;
      const f = n.opType === 'Add' ? (x: number, y: number) => x + y : n.opType === 'Sub' ? (x: number, y: number) => x - y : (x: number, y: number) => x * y;
      return { values: Array.from({ length: len }, (_v, i) => f(a.values[a.values.length === 1 ? 0 : i]!, b.values[b.values.length === 1 ? 0 : i]!)), scalar: a.scalar && b.scalar };
    }
    default:
      return undefined;
  }
}

/** Slice of a known 1-D value along axis 0 (ONNX clamping rules). */
function evalSlice(data?: Known, starts?: Known, ends?: Known, axes?: Known, steps?: Known): Known | undefined {
  if (!data || data.scalar || !starts || !ends || !axes || !steps) return undefined;
  if (starts.values.length !== 1 || ends.values.length !== 1 || axes.values.length !== 1 || steps.values.length !== 1) return undefined;
  const len = data.values.length;
  const step = steps.values[0]!;
  if (![0, -1].includes(axes.values[0]!) || step === 0) return undefined;
  const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + len : v, lo), hi);
  const out: number[] = [];
  if (step > 0) {
    for (let i = norm(starts.values[0]!, 0, len), e = norm(ends.values[0]!, 0, len); i < e; i += step) out.push(data.values[i]!);
  } else {
    for (let i = norm(starts.values[0]!, -1, len - 1), e = norm(ends.values[0]!, -1, len - 1); i > e; i += step) out.push(data.values[i]!);
  }
  return { values: out, scalar: false };
}

/**
 * Removes the nodes nothing depends on, in one pass from the last node back
 * (node lists are in topological order and names are unique across the
 * graph and its bodies): a node stays when one of its outputs is in `keep`
 * or read by a node that stays; a staying node's bodies are marked the same
 * way from their outputs, and what they read from outside keeps its
 * producers too.
 */
function dropDead(nodes: Node[], keep: ReadonlySet<string>): Set<Node> {
  const removed = new Set<Node>();
  const live = new Set<string>(keep);
  const mark = (list: Node[]): void => {
    for (let i = list.length - 1; i >= 0; i--) {
      const n = list[i]!;
      if (!(n.output ?? []).some((o) => o && live.has(o))) {
        removed.add(n);
        continue;
      }
      for (const x of n.input ?? []) if (x) live.add(x);
      for (const a of n.attribute ?? []) {
        if (!a.g) continue;
        for (const o of a.g.output ?? []) live.add(o.name!);
        mark(a.g.node ?? []);
      }
    }
    const kept = list.filter((n) => !removed.has(n));
    list.splice(0, list.length, ...kept);
  };
  mark(nodes);
  return removed;
}
