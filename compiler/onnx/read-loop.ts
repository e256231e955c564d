/**
 * An ONNX `Loop` whose trip count or condition is known only at run time,
 * read as one `OnnxLoop` node (compiler/ops/loop.ts) that lowers to an ONNX
 * `Loop`: its body is read through the reader's own `read` into a scope of
 * its own (body inputs: the iteration number, the condition and the
 * loop-carried values), and the IR nodes that reading made become the
 * operator's `body` attribute. Outer values the body reads become inputs
 * of the node (captured), constants are kept in the body. A carried value
 * whose shape the body changes (a list that grows) is read again with those
 * dimensions made symbolic. Scan outputs get an opaque first dimension, the
 * number of iterations.
 * Invariant: the values returned are the Loop's outputs, in order.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import type { HostTensor } from '../../runtime/tensor.js';
import type { Node } from '../ir/node.js';
import { formatType, type Dim, type TensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { opaque } from '../ops/index-ops.js';
import { encodeBody, type LoopBody, type LoopOptions } from '../ops/loop.js';
import type { ImportCtx } from './import/context.js';
import { appendStacked, sameItemShape, type SequenceValue } from './read-sequence.js';

/** Maps one node of a subgraph, with a label naming where it sits. */
export type ReadNode = (n: OnnxNs.INodeProto, label: string) => void;

/** A scope of its own for a subgraph's names, over the reader's: what reading in it made. */
export interface BodyScope {
  readonly values: Map<string, Value>;
  /** The sequences (and empty optionals) readable in the scope: the reader's, then its own. */
  readonly sequences: Map<string, SequenceValue>;
  resolve(name: string, user: string): Value;
  tensorData(t: OnnxNs.ITensorProto, where: string): HostTensor;
  /** The IR nodes made while reading in this scope. */
  readonly made: ReadonlySet<Node>;
  /** Maps one node in this scope. */
  read: ReadNode;
}

/** Opens a scope whose graph inputs (for symbolic dimensions) are `inputs` and the reader's. */
export type OpenScope = (inputs: Value[]) => BodyScope;

/** How many times a body is read to find the shapes of loop-carried values that change. */
const SHAPE_ROUNDS = 3;

/** A loop-carried value: a tensor, or a sequence (read-sequence.ts). */
export type Carried = Value | SequenceValue;

/**
 * `Loop` as an `OnnxLoop` node (see the file comment); `why` says why it is
 * not unrolled (for refusals of its body). `passed` are the loop-carried
 * values: a sequence among them is one the body only appends to, its
 * appended items becoming scan outputs and the final sequence the initial
 * items followed by them, stacked (a sequence of run-time length).
 *
 * ```ts
 * const outs = mapRuntimeLoop(node, 'loop0', ctx, body, open, 'its trip count is computed at run time', carried);
 * ```
 */
export function mapRuntimeLoop(n: OnnxNs.INodeProto, label: string, ctx: ImportCtx, g: OnnxNs.IGraphProto, open: OpenScope, why: string, passed: Carried[]): Carried[] {
  const runs = `${why}, so it runs as an ONNX Loop`;
  if (!ctx.has(0) && !ctx.has(1)) throw ctx.refuse('it has neither a trip count M nor a condition: it would never end');
  const nCarried = ctx.nInputs - 2;
  const control = [ctx.has(0) ? ctx.input(0) : null, ctx.has(1) ? ctx.input(1) : null];
  if (control[0] && (control[0].type.dtype !== 'int64' || control[0].type.shape.length > 1)) throw ctx.refuse(`its trip count M is ${formatType(control[0].type)} (ONNX: one int64)`);
  if (control[1] && (control[1].type.dtype !== 'bool' || control[1].type.shape.length > 1)) throw ctx.refuse(`its condition is ${formatType(control[1].type)} (ONNX: one bool)`);
  const bodyIn = g.input ?? [];
  const bodyOut = g.output ?? [];
  // Tensors are the ONNX Loop's carried values; a sequence's appended items are its scan outputs.
  const tIdx = passed.flatMap((x, i) => (x instanceof Value ? [i] : []));
  const sIdx = passed.flatMap((x, i) => (x instanceof Value ? [] : [i]));
  for (const i of sIdx) appendOnly(g, i, n.input![i + 2]!, ctx, runs);
  const carried = tIdx.map((i) => passed[i] as Value);
  let types = carried.map((v) => v.type);
  for (let round = 1; ; round++) {
    const inputs = [
      Value.input(bodyIn[0]!.name ?? '', { dtype: 'int64', shape: [] }),
      Value.input(bodyIn[1]!.name ?? '', { dtype: 'bool', shape: [] }),
      ...types.map((t, j) => Value.input(bodyIn[tIdx[j]! + 2]!.name ?? '', t)),
    ];
    const scope = open(inputs);
    // Nodes made here for the body (stacking several items appended in one iteration) besides the scope's.
    const extra = new Set<Node>();
    let outs: Value[];
    let appended: Value[][];
    try {
      inputs.forEach((v) => scope.values.set(v.name, v));
      sIdx.forEach((i) => scope.sequences.set(bodyIn[i + 2]!.name ?? '', { dtype: (passed[i] as SequenceValue).dtype, items: [] }));
      for (const t of g.initializer ?? []) {
        if (!t.name) throw ctx.refuse(`an initializer of its body has no name`);
        scope.values.set(t.name, Value.constant(scope.tensorData(t, `initializer '${t.name}' of node ${label} (Loop body)`)));
      }
      (g.node ?? []).forEach((m, i) => scope.read(m, `${label}/body/${m.name || `#${i}`}`));
      const res = (j: number) => scope.resolve(bodyOut[j]!.name ?? '', `node '${label}' (Loop body output ${j})`);
      outs = [res(0), ...tIdx.map((i) => res(i + 1)), ...bodyOut.slice(1 + nCarried).map((_o, j) => res(1 + nCarried + j))];
      appended = sIdx.map((i) => scope.sequences.get(bodyOut[i + 1]!.name ?? '')!.items);
    } catch (e) {
      for (const node of scope.made) node.detach();
      throw ctx.refuse(`${runs}, but its body does not import: ${(e as Error).message.replace(/^readModel: (model bytes|'[^']*'): /, '')}`);
    }
    const done = (): Value[] => {
      for (const node of [...scope.made, ...extra]) node.detach();
      return [];
    };
    const cond = outs[0]!;
    if (cond.type.dtype !== 'bool' || cond.type.shape.length > 1) throw (done(), ctx.refuse(`its body's condition output is ${formatType(cond.type)} (ONNX: one bool)`));
    const next = outs.slice(1, 1 + tIdx.length).map((o, j) => {
      const t = types[j]!;
      const i = tIdx[j]!;
      if (o.type.dtype !== t.dtype || o.type.shape.length !== t.shape.length) {
        throw (done(), ctx.refuse(`its body gives loop-carried value ${i} ('${bodyOut[i + 1]!.name}') as ${formatType(o.type)} for ${formatType(t)}: a loop-carried value keeps its dtype and rank`));
      }
      return { dtype: t.dtype, shape: t.shape.map((d, a): Dim => (d === o.type.shape[a] ? d : opaque(`${label}:${i}.${a}`))) };
    });
    const changed = next.some((t, i) => t.shape.some((d, a) => d !== types[i]!.shape[a]));
    if (changed && round < SHAPE_ROUNDS) {
      done();
      types = next;
      continue;
    }
    if (changed) throw (done(), ctx.refuse(`the shapes of its loop-carried values do not settle after ${SHAPE_ROUNDS} readings of its body`));
    // Dimensions that change from one iteration to the next: an appended item may not have them.
    const moving = types.flatMap((t, j) => t.shape.filter((d, a) => d !== carried[j]!.type.shape[a])).map(String);
    const moves = (d: Dim) => typeof d === 'string' && moving.some((m) => d.includes(m));
    const seqScans = appended.map((items, s) => {
      const name = n.input![sIdx[s]! + 2]!;
      const first = items[0];
      if (!first) return null;
      const odd = items.find((v) => v.type.dtype !== first.type.dtype || !sameItemShape(v.type.shape, first.type.shape)) ?? items.find((v) => v.type.shape.some(moves));
      if (odd) {
        throw (done(), ctx.refuse(`its body appends ${formatType(odd.type)} items to the sequence '${name}'${odd === first ? '' : ` besides ${formatType(first.type)} ones`}, whose shape can change from one iteration to the next: a sequence carried through a Loop decided at run time is held as one tensor, its items stacked, so they must have one shape`));
      }
      if (items.length === 1) return first;
      const v = ctx.op('stack', items, { axis: 0 });
      if (v.producer) extra.add(v.producer);
      return v;
    });
    const scanOuts = [...outs.slice(1 + tIdx.length), ...seqScans.filter((v): v is Value => !!v)];
    const captured: Value[] = [];
    let body: LoopBody;
    try {
      body = encodeBody(inputs, [...outs.slice(0, 1 + tIdx.length), ...scanOuts], (node) => scope.made.has(node) || extra.has(node), (v) => {
        if (v.isConst) throw ctx.refuse('its body reads a shape holding symbolic dimensions as data');
        captured.push(v);
      });
    } finally {
      done();
    }
    const iterations = opaque(`${label} iterations`);
    const outTypes: TensorType[] = [...types, ...scanOuts.map((o) => ({ dtype: o.type.dtype, shape: [iterations, ...o.type.shape] }))];
    const options: LoopOptions = { body, nCarried: tIdx.length, tripCount: !!control[0], condition: !!control[1], outTypes, node: label };
    const ins = [...control.filter((v): v is Value => !!v), ...carried, ...captured];
    const got = ctx.ops('OnnxLoop', ins, options as never);
    const finals = got.slice(0, tIdx.length);
    const nScan = bodyOut.length - 1 - nCarried;
    let at = tIdx.length + nScan;
    const result: Carried[] = passed.map((x, i) => {
      if (x instanceof Value) return finals[tIdx.indexOf(i)]!;
      const s = sIdx.indexOf(i);
      const items = appended[s]!;
      if (!items.length) return x;
      // Several items per iteration: [iterations, k, ...] merged into [iterations * k, ...].
      let tail = got[at++]!;
      if (items.length > 1) tail = ctx.op('reshape', [tail], { shape: [-3, ...items[0]!.type.shape.map(() => 0)] });
      return appendStacked(ctx, x, tail, `the sequence '${n.input![i + 2]}' carried through it`, `appended to in Loop '${label}', which runs as an ONNX Loop: ${why}`);
    });
    return [...result, ...got.slice(tIdx.length, tIdx.length + nScan)];
  }
}

/**
 * Refuses, naming the node, a body that does more with loop-carried sequence `i` (`name` outside) than append to
 * it: a chain of SequenceInsert without a position from the body's input to its output, which nothing else reads.
 */
function appendOnly(g: OnnxNs.IGraphProto, i: number, name: string, ctx: ImportCtx, runs: string): void {
  const nodes = g.node ?? [];
  const inName = g.input![i + 2]!.name ?? '';
  const outName = g.output![i + 1]!.name ?? '';
  const refuse = (what: string) => ctx.refuse(`${runs}, but its body ${what} the loop-carried sequence '${name}' (body input '${inName}'): a sequence carried through a Loop decided at run time is read only where the body appends to it (SequenceInsert without a position, as a list's append) and reads it nowhere else`);
  const nested = new Set<string>();
  const visit = (ns: OnnxNs.INodeProto[]): void => {
    for (const m of ns) for (const a of m.attribute ?? []) for (const sub of a.g ? [a.g] : a.graphs ?? []) {
      for (const k of sub.node ?? []) for (const x of k.input ?? []) nested.add(x);
      visit(sub.node ?? []);
    }
  };
  visit(nodes);
  const otherOutputs = new Set((g.output ?? []).filter((_o, j) => j !== i + 1).map((o) => o.name ?? ''));
  const label = (m: OnnxNs.INodeProto) => `node '${m.name || `#${nodes.indexOf(m)}`}' (${m.opType})`;
  for (let cur = inName; ; ) {
    if (nested.has(cur)) throw refuse(`reads '${cur}', a state of`);
    if (otherOutputs.has(cur)) throw refuse(`gives '${cur}', a state of`);
    const users = nodes.filter((m) => (m.input ?? []).includes(cur));
    if (cur === outName) {
      if (users.length) throw refuse(`reads with ${label(users[0]!)}`);
      return;
    }
    const m = users[0];
    if (!m) throw refuse(`does not give back (output ${i + 1} is '${outName}') an append to`);
    if (users.length > 1 || m.opType !== 'SequenceInsert' || m.input![0] !== cur || (m.input![2] ?? '') !== '') throw refuse(`reads with ${label(users.find((u) => u.opType !== 'SequenceInsert' || u.input![0] !== cur || (u.input![2] ?? '') !== '') ?? users[1]!)}`);
    cur = m.output?.[0] ?? '';
  }
}
