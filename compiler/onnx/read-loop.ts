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
import type { SequenceValue } from './read-sequence.js';

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

/**
 * `Loop` as an `OnnxLoop` node (see the file comment); `why` says why it is
 * not unrolled (for refusals of its body).
 *
 * ```ts
 * const outs = mapRuntimeLoop(node, 'loop0', ctx, body, open, 'its trip count is computed at run time');
 * ```
 */
export function mapRuntimeLoop(n: OnnxNs.INodeProto, label: string, ctx: ImportCtx, g: OnnxNs.IGraphProto, open: OpenScope, why: string): Value[] {
  const runs = `${why}, so it runs as an ONNX Loop`;
  if (!ctx.has(0) && !ctx.has(1)) throw ctx.refuse('it has neither a trip count M nor a condition: it would never end');
  const nCarried = ctx.nInputs - 2;
  const control = [ctx.has(0) ? ctx.input(0) : null, ctx.has(1) ? ctx.input(1) : null];
  if (control[0] && (control[0].type.dtype !== 'int64' || control[0].type.shape.length > 1)) throw ctx.refuse(`its trip count M is ${formatType(control[0].type)} (ONNX: one int64)`);
  if (control[1] && (control[1].type.dtype !== 'bool' || control[1].type.shape.length > 1)) throw ctx.refuse(`its condition is ${formatType(control[1].type)} (ONNX: one bool)`);
  const carried = Array.from({ length: nCarried }, (_v, i) => ctx.input(i + 2));
  const bodyIn = g.input ?? [];
  const bodyOut = g.output ?? [];
  let types = carried.map((v) => v.type);
  for (let round = 1; ; round++) {
    const inputs = [
      Value.input(bodyIn[0]!.name ?? '', { dtype: 'int64', shape: [] }),
      Value.input(bodyIn[1]!.name ?? '', { dtype: 'bool', shape: [] }),
      ...types.map((t, i) => Value.input(bodyIn[i + 2]!.name ?? '', t)),
    ];
    const scope = open(inputs);
    let outs: Value[];
    try {
      inputs.forEach((v) => scope.values.set(v.name, v));
      for (const t of g.initializer ?? []) {
        if (!t.name) throw ctx.refuse(`an initializer of its body has no name`);
        scope.values.set(t.name, Value.constant(scope.tensorData(t, `initializer '${t.name}' of node ${label} (Loop body)`)));
      }
      (g.node ?? []).forEach((m, i) => scope.read(m, `${label}/body/${m.name || `#${i}`}`));
      outs = bodyOut.map((o, j) => scope.resolve(o.name ?? '', `node '${label}' (Loop body output ${j})`));
    } catch (e) {
      for (const node of scope.made) node.detach();
      throw ctx.refuse(`${runs}, but its body does not import: ${(e as Error).message.replace(/^readModel: (model bytes|'[^']*'): /, '')}`);
    }
    const done = (): Value[] => {
      for (const node of scope.made) node.detach();
      return [];
    };
    const cond = outs[0]!;
    if (cond.type.dtype !== 'bool' || cond.type.shape.length > 1) throw (done(), ctx.refuse(`its body's condition output is ${formatType(cond.type)} (ONNX: one bool)`));
    const next = outs.slice(1, 1 + nCarried).map((o, i) => {
      const t = types[i]!;
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
    const captured: Value[] = [];
    let body: LoopBody;
    try {
      body = encodeBody(inputs, outs, (node) => scope.made.has(node), (v) => {
        if (v.isConst) throw ctx.refuse('its body reads a shape holding symbolic dimensions as data');
        captured.push(v);
      });
    } finally {
      done();
    }
    const iterations = opaque(`${label} iterations`);
    const outTypes: TensorType[] = [...types, ...outs.slice(1 + nCarried).map((o) => ({ dtype: o.type.dtype, shape: [iterations, ...o.type.shape] }))];
    const options: LoopOptions = { body, nCarried, tripCount: !!control[0], condition: !!control[1], outTypes, node: label };
    const ins = [...control.filter((v): v is Value => !!v), ...carried, ...captured];
    return ctx.ops('OnnxLoop', ins, options as never);
  }
}

