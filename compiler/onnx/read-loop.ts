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
 * number of iterations. A carried sequence the body only appends to gives
 * its appended items as scan outputs; one the body reads (SequenceAt,
 * SequenceLength, ConcatFromSequence) is carried as its items stacked, a
 * tensor whose first dimension grows (read-sequence.ts reads it in the body).
 * One that starts empty gets its items' shape from the body read with it
 * an empty list, else from the body input's declared type. One that starts
 * with items and that the body only appends to and reads near its ends
 * (SequenceAt at constant positions among its first items or last
 * `TAIL_ROWS`, SequenceLength) is carried as its last rows and its length
 * instead, its appended items scan outputs (no copy of the list per
 * iteration); the body is read that way first and, where that fails, again
 * with the list stacked. A read list that is not only appended to is
 * `ragged` for the gradient (loop-grad.ts runs the loop again).
 * Invariant: the values returned are the Loop's outputs, in order.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import { zerosTensor, type HostTensor } from '../../runtime/tensor.js';
import type { Node } from '../ir/node.js';
import { formatType, type Dim, type TensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { opaque } from '../ops/index-ops.js';
import { encodeBody, type LoopBody, type LoopOptions } from '../ops/loop.js';
import type { ImportCtx } from './import/context.js';
import { appendStacked, sameItemShape, stackedOf, type ListTail, type SequenceValue } from './read-sequence.js';

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
 * values. A sequence among them the body only appends to has its appended
 * items as scan outputs, the final sequence the initial items followed by
 * them, stacked (a sequence of run-time length); one the body reads is a
 * loop-carried tensor, its items stacked, that the body's inserts grow.
 *
 * ```ts
 * const outs = mapRuntimeLoop(node, 'loop0', ctx, body, open, 'its trip count is computed at run time', carried);
 * ```
 */
export function mapRuntimeLoop(n: OnnxNs.INodeProto, label: string, ctx: ImportCtx, g: OnnxNs.IGraphProto, open: OpenScope, why: string, passed: Carried[]): Carried[] {
  // A read list that starts with items of one shape is first tried as its tail (a body that only appends to it and
  // reads it near its ends: no copy of the list per iteration); a body that reads it otherwise carries it stacked.
  const tails = passed.flatMap((x, i) => (!(x instanceof Value) && !x.absent && !appendOnly(g, i) && startLength(x) !== null ? [i] : []));
  if (tails.length) {
    try {
      return runtimeLoop(n, label, ctx, g, open, why, passed, tails);
    } catch {
      // Read again with the lists stacked (the refusal, if any, is that reading's).
    }
  }
  return runtimeLoop(n, label, ctx, g, open, why, passed, []);
}

/** How many items a sequence starts with, when that is known as the file is read (null otherwise). */
function startLength(s: SequenceValue): number | null {
  const d = s.stacked ? s.stacked.type.shape[0] : s.items.length;
  return typeof d === 'number' ? d : null;
}

/** The rows of the window a list read near its end keeps (read-sequence.ts `ListTail`), at most. */
const TAIL_ROWS = 8;

/** `mapRuntimeLoop` with the read lists `wIdx` carried as their tails (`ListTail`). */
function runtimeLoop(n: OnnxNs.INodeProto, label: string, ctx: ImportCtx, g: OnnxNs.IGraphProto, open: OpenScope, why: string, passed: Carried[], wIdx: number[]): Carried[] {
  const runs = `${why}, so it runs as an ONNX Loop`;
  if (!ctx.has(0) && !ctx.has(1)) throw ctx.refuse('it has neither a trip count M nor a condition: it would never end');
  const nCarried = ctx.nInputs - 2;
  const control = [ctx.has(0) ? ctx.input(0) : null, ctx.has(1) ? ctx.input(1) : null];
  if (control[0] && (control[0].type.dtype !== 'int64' || control[0].type.shape.length > 1)) throw ctx.refuse(`its trip count M is ${formatType(control[0].type)} (ONNX: one int64)`);
  if (control[1] && (control[1].type.dtype !== 'bool' || control[1].type.shape.length > 1)) throw ctx.refuse(`its condition is ${formatType(control[1].type)} (ONNX: one bool)`);
  const bodyIn = g.input ?? [];
  const bodyOut = g.output ?? [];
  // Tensors, and sequences the body reads (their items stacked, growing), are the ONNX Loop's carried values; a
  // sequence the body only appends to has its appended items as scan outputs (no copy of the list per iteration).
  const isSeq = (i: number) => !(passed[i] instanceof Value);
  const sIdx = passed.flatMap((_x, i) => (isSeq(i) && appendOnly(g, i) ? [i] : []));
  const tIdx = passed.flatMap((_x, i) => ((isSeq(i) && appendOnly(g, i)) || wIdx.includes(i) ? [] : [i]));
  // A list read near its ends: its items stacked (`start`), its last rows (the initial window) and its length.
  // One that starts empty has no window (its reads are of the items appended in the iteration) and no start.
  const tails = wIdx.map((i) => {
    const s = passed[i] as SequenceValue;
    const start = stackedOf(ctx, s, `the sequence '${n.input![i + 2]}' carried into it`);
    const n0 = start ? (start.type.shape[0] as number) : 0;
    const k = Math.min(n0, TAIL_ROWS);
    return { start, n0, window: !start ? null : k === n0 ? start : ctx.op('sliceAxis', [start], { axis: 0, begin: n0 - k, end: n0 }), length: ctx.scalar(n0, 'int64') };
  });
  /** A tail's carried values: its window (when it has one) and its length. */
  const carriedOf = <T>(t: { window: T | null; length: T }): T[] => (t.window ? [t.window, t.length] : [t.length]);
  const seqName = (i: number) => n.input![i + 2]!;
  const origin = `carried through the Loop '${label}', which runs as an ONNX Loop: ${why}`;

  /** Reads the body once for carried types `types` (`unknown`: sequences bound as empty lists, to find their items' shape). */
  const readBody = (types: TensorType[], unknown: ReadonlySet<number> = new Set()) => {
    const inputs = [
      Value.input(bodyIn[0]!.name ?? '', { dtype: 'int64', shape: [] }),
      Value.input(bodyIn[1]!.name ?? '', { dtype: 'bool', shape: [] }),
      ...types.map((t, j) => Value.input(bodyIn[tIdx[j]! + 2]!.name ?? '', t)),
    ];
    const tailVars = wIdx.map((i, w) => {
      const win = tails[w]!.window;
      return { window: win && Value.input(`${bodyIn[i + 2]!.name}:window`, win.type), length: Value.input(`${bodyIn[i + 2]!.name}:length`, { dtype: 'int64', shape: [] }) };
    });
    const tailIns = tailVars.flatMap(carriedOf);
    const tailOf: ListTail[] = [];
    const scope = open([...inputs, ...tailIns]);
    // Nodes made here for the body (stacking items) besides the scope's.
    const extra = new Set<Node>();
    const done = (): Value[] => {
      for (const node of [...scope.made, ...extra]) node.detach();
      return [];
    };
    const grows: number[] = [];
    const front: number[] = [];
    const made = (v: Value): Value => {
      if (v.producer && !scope.made.has(v.producer)) extra.add(v.producer);
      return v;
    };
    try {
      inputs.forEach((v, k) => {
        const i = tIdx[k - 2];
        if (i === undefined || !isSeq(i)) return void scope.values.set(v.name, v);
        const { dtype } = passed[i] as SequenceValue;
        scope.sequences.set(v.name, unknown.has(i) ? { dtype, items: [] } : { dtype, items: [], stacked: v, origin });
      });
      sIdx.forEach((i) => scope.sequences.set(bodyIn[i + 2]!.name ?? '', { dtype: (passed[i] as SequenceValue).dtype, items: [] }));
      wIdx.forEach((i, w) => {
        const tail = { ...tailVars[w]!, start: tails[w]!.start, n0: tails[w]!.n0 };
        tailOf.push(tail);
        scope.sequences.set(bodyIn[i + 2]!.name ?? '', { dtype: (passed[i] as SequenceValue).dtype, items: [], tail });
      });
      for (const t of g.initializer ?? []) {
        if (!t.name) throw ctx.refuse(`an initializer of its body has no name`);
        scope.values.set(t.name, Value.constant(scope.tensorData(t, `initializer '${t.name}' of node ${label} (Loop body)`)));
      }
      (g.node ?? []).forEach((m, i) => scope.read(m, `${label}/body/${m.name || `#${i}`}`));
      const res = (j: number) => scope.resolve(bodyOut[j]!.name ?? '', `node '${label}' (Loop body output ${j})`);
      const seqOut = (i: number): SequenceValue => {
        const s = scope.sequences.get(bodyOut[i + 1]!.name ?? '');
        if (!s || s.absent) throw ctx.refuse(`its body output ${i + 1} ('${bodyOut[i + 1]!.name}') is not a sequence, but the loop-carried sequence '${seqName(i)}' is`);
        return s;
      };
      const carriedOut = (i: number): Value => {
        if (!isSeq(i)) return res(i + 1);
        const s = seqOut(i);
        const st = stackedOf(ctx, s, `the loop-carried sequence '${seqName(i)}'`);
        if (!st) throw ctx.refuse(`its body gives back the loop-carried sequence '${seqName(i)}' empty ('${bodyOut[i + 1]!.name}')`);
        // Only inserted into at the back (or only the front): each iteration's list is the first (last) rows of the
        // next, and its gradient slices the final list.
        const j = tIdx.indexOf(i);
        for (const atFront of [false, true]) {
          let v = st;
          const inner = (p: Node) => p.inputs[atFront ? p.inputs.length - 1 : 0]!;
          while (v !== inputs[2 + j] && v.producer?.op === 'concat' && v.producer.attrs['dim'] === 0 && scope.made.has(v.producer)) v = inner(v.producer);
          if (v !== inputs[2 + j]) continue;
          grows.push(j);
          if (atFront && st !== v) front.push(j);
          break;
        }
        return made(st);
      };
      const unknownItems = [...unknown].map((i) => seqOut(i).items);
      const outs = [res(0), ...tIdx.map((i) => (unknown.has(i) ? inputs[0]! : carriedOut(i))), ...bodyOut.slice(1 + nCarried).map((_o, j) => res(1 + nCarried + j))];
      const appended = sIdx.map((i) => seqOut(i).items);
      // A tail: its new window (the last rows of the window and the items appended) and length; the items are scanned.
      const tailOuts = wIdx.flatMap((i, w) => {
        const s = seqOut(i);
        const { window: win, length: len } = tailVars[w]!;
        if (s.tail !== tailOf[w]) throw ctx.refuse(`its body gives the list '${seqName(i)}' on otherwise than appended to`);
        const length = s.items.length ? made(ctx.op('add', [len, ctx.scalar(s.items.length, 'int64')])) : len;
        if (!win) return [length];
        if (!s.items.length) return [win, len];
        const k = win.type.shape[0] as number;
        const rows = s.items.slice(-k).map((v) => made(ctx.op('expandDims', [v], { axis: 0 })));
        // As many items as the window's rows or more: the last of them; fewer: the window's last rows, then them.
        const kept = rows.length === k ? rows : [made(ctx.op('sliceAxis', [win], { axis: 0, begin: rows.length, end: k })), ...rows];
        return [kept.length === 1 ? kept[0]! : made(ctx.op('concat', kept, { dim: 0 })), length];
      });
      const tailItems = wIdx.map((i) => seqOut(i).items);
      return { inputs: [...inputs, ...tailIns], scope, extra, made, done, outs: [...outs.slice(0, 1 + tIdx.length), ...tailOuts, ...outs.slice(1 + tIdx.length)], appended: [...appended, ...tailItems], unknownItems, grows, front };
    } catch (e) {
      done();
      throw ctx.refuse(`${runs}, but its body does not import: ${(e as Error).message.replace(/^readModel: (model bytes|'[^']*'): /, '')}`);
    }
  };

  const carried = tIdx.map((i) => (isSeq(i) ? null : (passed[i] as Value)));
  // A read sequence that starts with items: those stacked. One that starts empty: its items' shape is found by
  // reading the body once with it an empty list (a read of it there that needs an item is refused).
  tIdx.forEach((i, j) => {
    if (!isSeq(i)) return;
    const s = passed[i] as SequenceValue;
    if (s.absent) throw ctx.refuse(`its loop-carried sequence '${seqName(i)}' is an empty optional`);
    carried[j] = stackedOf(ctx, s, `the sequence '${seqName(i)}' carried into it`);
  });
  const empty = new Set(tIdx.filter((i, j) => isSeq(i) && !carried[j]));
  if (empty.size) {
    // The body read once with them empty gives their first items; failing that (it reads an item), the item shape
    // the file declares for the body input, when it gives every dimension.
    let items: (Value[] | null)[];
    let failed = '';
    try {
      const probe = readBody(tIdx.map((i, j) => carried[j]?.type ?? { dtype: (passed[i] as SequenceValue).dtype, shape: [0] }), empty);
      items = probe.unknownItems;
      probe.done();
    } catch (e) {
      failed = (e as Error).message.replace(/^readModel: ONNX operator 'Loop' \(node '[^']*'\) has no gluonc equivalent: /, '');
      items = [...empty].map(() => null);
    }
    [...empty].forEach((i, k) => {
      const name = seqName(i);
      const dtype = (passed[i] as SequenceValue).dtype;
      const declared = bodyIn[i + 2]?.type?.sequenceType?.elemType?.tensorType?.shape?.dim;
      const first = items[k]?.[0];
      const shape = first ? first.type.shape : declared?.every((d) => d.dimValue !== undefined && d.dimValue !== null) ? declared.map((d) => Number(d.dimValue)) : null;
      if (!shape) throw ctx.refuse(`${runs}; its body reads the loop-carried sequence '${name}', which starts empty, and ${failed ? `reading the body with it empty fails (${failed})` : 'appends nothing to it'}, and the file does not declare its items' shape (body input '${bodyIn[i + 2]!.name}')`);
      if (!shape.every((d): d is number => typeof d === 'number')) {
        throw ctx.refuse(`${runs}; its body reads the loop-carried sequence '${name}', which starts empty and gets items of symbolic shape ${formatType({ dtype, shape })}: an empty start is read for items of fixed shape (start it with an item)`);
      }
      carried[tIdx.indexOf(i)] = ctx.constant(zerosTensor(dtype, [0, ...shape]));
    });
  }
  const initial = carried as Value[];
  // A read sequence's length changes from one iteration to the next (an empty start is never read as empty there).
  let types = initial.map((v, j): TensorType => (isSeq(tIdx[j]!) ? { dtype: v.type.dtype, shape: [opaque(`${label}:${tIdx[j]}.0`), ...v.type.shape.slice(1)] } : v.type));
  for (let round = 1; ; round++) {
    const { inputs, scope, extra, made, done: detach, outs, appended, grows, front } = readBody(types);
    const done = (): Value[] => detach();
    const cond = outs[0]!;
    if (cond.type.dtype !== 'bool' || cond.type.shape.length > 1) throw (done(), ctx.refuse(`its body's condition output is ${formatType(cond.type)} (ONNX: one bool)`));
    const next = outs.slice(1, 1 + tIdx.length).map((o, j) => {
      const t = types[j]!;
      const i = tIdx[j]!;
      if (o.type.dtype !== t.dtype || o.type.shape.length !== t.shape.length) {
        throw (done(), ctx.refuse(`its body gives loop-carried value ${i} ('${bodyOut[i + 1]!.name}') as ${formatType(o.type)} for ${formatType(t)}: a loop-carried value keeps its dtype and rank${isSeq(i) ? ' (a sequence the body reads is carried as its items stacked, so they keep their rank)' : ''}`));
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
    const moving = types.flatMap((t, j) => t.shape.filter((d, a) => d !== initial[j]!.type.shape[a])).map(String);
    const moves = (d: Dim) => typeof d === 'string' && moving.some((m) => d.includes(m));
    const aIdx = [...sIdx, ...wIdx];
    const nC = tIdx.length + tails.reduce((p, t) => p + (t.window ? 2 : 1), 0);
    const seqScans = appended.map((items, s) => {
      const name = seqName(aIdx[s]!);
      const first = items[0];
      if (!first) return null;
      const odd = items.find((v) => v.type.dtype !== first.type.dtype || !sameItemShape(v.type.shape, first.type.shape)) ?? items.find((v) => v.type.shape.some(moves));
      if (odd) {
        throw (done(), ctx.refuse(`its body appends ${formatType(odd.type)} items to the sequence '${name}'${odd === first ? '' : ` besides ${formatType(first.type)} ones`}, whose shape can change from one iteration to the next: a sequence carried through a Loop decided at run time is held as one tensor, its items stacked, so they must have one shape`));
      }
      if (items.length === 1) return first;
      return made(ctx.op('stack', items, { axis: 0 }));
    });
    const scanOuts = [...outs.slice(1 + nC), ...seqScans.filter((v): v is Value => !!v)];
    const captured: Value[] = [];
    let body: LoopBody;
    try {
      body = encodeBody(inputs, [...outs.slice(0, 1 + nC), ...scanOuts], (node) => scope.made.has(node) || extra.has(node), (v) => {
        if (v.isConst) throw ctx.refuse('its body reads a shape holding symbolic dimensions as data');
        captured.push(v);
      });
    } finally {
      done();
    }
    const iterations = opaque(`${label} iterations`);
    const tailTypes = tails.flatMap((t) => carriedOf({ window: t.window?.type ?? null, length: { dtype: 'int64' as const, shape: [] } }));
    const outTypes: TensorType[] = [...types, ...tailTypes, ...scanOuts.map((o) => ({ dtype: o.type.dtype, shape: [iterations, ...o.type.shape] }))];
    // A carried list edited otherwise (erased from, inserted into at a position, at both ends): its gradient runs the loop again.
    const ragged = tIdx.flatMap((i, j) => (isSeq(i) && !grows.includes(j) ? [j] : []));
    const options: LoopOptions = { body, nCarried: nC, tripCount: !!control[0], condition: !!control[1], outTypes, node: label, ...(grows.length ? { grows } : {}), ...(front.length ? { front } : {}), ...(ragged.length ? { ragged } : {}) };
    const ins = [...control.filter((v): v is Value => !!v), ...initial, ...tails.flatMap(carriedOf), ...captured];
    const got = ctx.ops('OnnxLoop', ins, options as never);
    const finals = got.slice(0, tIdx.length);
    const nScan = bodyOut.length - 1 - nCarried;
    // Each appended-to list's scan output, in `aIdx` order.
    let at = nC + nScan;
    const scanOf = new Map(aIdx.flatMap((i, s) => (appended[s]!.length ? [[i, at++] as const] : [])));
    const result: Carried[] = passed.map((x, i) => {
      const j = tIdx.indexOf(i);
      if (j >= 0) return isSeq(i) ? { dtype: (x as SequenceValue).dtype, items: [], stacked: finals[j]!, origin } : finals[j]!;
      const items = appended[aIdx.indexOf(i)]!;
      if (!items.length) return x;
      // Several items per iteration: [iterations, k, ...] merged into [iterations * k, ...].
      let tail = got[scanOf.get(i)!]!;
      if (items.length > 1) tail = ctx.op('reshape', [tail], { shape: [-3, ...items[0]!.type.shape.map(() => 0)] });
      return appendStacked(ctx, x as SequenceValue, tail, `the sequence '${seqName(i)}' carried through it`, `appended to in Loop '${label}', which runs as an ONNX Loop: ${why}`);
    });
    return [...result, ...got.slice(nC, nC + nScan)];
  }
}

/**
 * True when the body only appends to loop-carried sequence `i`: a chain of SequenceInsert without a position from
 * the body's input to its output, which nothing else (a nested subgraph, another output) reads.
 */
function appendOnly(g: OnnxNs.IGraphProto, i: number): boolean {
  const nodes = g.node ?? [];
  const inName = g.input![i + 2]!.name ?? '';
  const outName = g.output![i + 1]!.name ?? '';
  const nested = new Set<string>();
  const visit = (ns: OnnxNs.INodeProto[]): void => {
    for (const m of ns) for (const a of m.attribute ?? []) for (const sub of a.g ? [a.g] : a.graphs ?? []) {
      for (const k of sub.node ?? []) for (const x of k.input ?? []) nested.add(x);
      visit(sub.node ?? []);
    }
  };
  visit(nodes);
  const otherOutputs = new Set((g.output ?? []).filter((_o, j) => j !== i + 1).map((o) => o.name ?? ''));
  for (let cur = inName; ; ) {
    if (nested.has(cur) || otherOutputs.has(cur)) return false;
    const users = nodes.filter((m) => (m.input ?? []).includes(cur));
    if (cur === outName) return !users.length;
    const m = users[0];
    if (!m || users.length > 1 || m.opType !== 'SequenceInsert' || m.input![0] !== cur || (m.input![2] ?? '') !== '') return false;
    cur = m.output?.[0] ?? '';
  }
}
