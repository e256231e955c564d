/**
 * ONNX sequences in other tools' files, read where they are built and
 * consumed inside the file with lengths and positions known when it is read
 * (gluonc's graphs hold tensors only): a sequence is a list of the reader's
 * values. SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceErase,
 * SplitToSequence (sizes known) build lists; SequenceAt, SequenceLength and
 * ConcatFromSequence (concat, or stack with new_axis) read them.
 * SequenceMap is unrolled over the items, its body inlined per item.
 * Positions must be constants. Sequence graph inputs and outputs are bound
 * for each call's structure (read-boundary.ts); a sequence carried through a
 * Loop or given by an If is read where that is decided as the file is read
 * (read-control.ts). A sequence whose length is known only when the graph
 * runs (one a Loop decided at run time carries, read-loop.ts; a
 * SplitToSequence of a symbolic size) is one tensor, its items of one shape
 * stacked along a new first axis (`stacked`): SequenceAt takes a row (any
 * position, computed at run time too), SequenceLength reads its first
 * dimension, ConcatFromSequence moves and merges axes, SequenceInsert at the
 * back or the front concatenates, SequenceInsert and SequenceErase at
 * another position (constant or computed at run time; out of range fails
 * the run) take the rows in the order the edit gives; a position computed
 * at run time into known items of one shape stacks them. In a Loop body
 * that only appends to its list and reads it near its ends (read-loop.ts),
 * the list is its `tail` (`ListTail`: the last rows and the length the Loop
 * carries, `items` this iteration's), read by `mapTail`.
 * Invariant: `c.sequences` maps each sequence name to its items in order
 * (or to their `stacked` tensor, `items` then empty; or, with `tail`, to the
 * items appended in this iteration).
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import type { DType } from '../../runtime/dtypes.js';
import { zerosTensor } from '../../runtime/tensor.js';
import { formatType, type Dim } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { sameDim } from '../ops/dims.js';
import { dtypeOf, normAxis, type ImportCtx } from './import/context.js';
export { SEQUENCE_OPS } from './import/table.js';

/** A sequence: its element dtype and items; or an empty optional (`absent`, no items: read-boundary.ts). */
export interface SequenceValue {
  dtype: DType;
  items: Value[];
  absent?: boolean;
  /** The items stacked along a new first axis, their number known only when the graph runs (`items` is then empty). */
  stacked?: Value;
  /** With `stacked`: what decides the length when the graph runs (`the Loop 'l0', whose trip count M ('m') is computed at run time`). */
  origin?: string;
  /** In a Loop body, a carried list only appended to and read near its ends (read-loop.ts): `items` are this iteration's. */
  tail?: ListTail;
}

/**
 * A loop-carried list as a Loop body reads it when the body only appends to it and reads items at constant positions
 * near its ends and its length (read-loop.ts): its last `window` rows ([K, ...item], carried), its `length` at the
 * iteration's start (an int64 scalar, carried) and its first items (`start`, the list the Loop was given, of `n0`
 * items); the items the body appends are the Loop's scan outputs, so no iteration copies the list.
 */
export interface ListTail {
  /** Null for a list that starts empty (its reads are of this iteration's items). */
  window: Value | null;
  length: Value;
  /** Null for a list that starts empty. */
  start: Value | null;
  n0: number;
}

/** What the reader lends the sequence mapper. */
export interface SequenceCtx {
  readonly sequences: Map<string, SequenceValue>;
  resolve(name: string, user: string): Value;
}

/**
 * Maps one sequence node: a sequence (stored in `c.sequences` under its output name) or a tensor.
 *
 * ```ts
 * const out = mapSequence(node, ctx, reader); // a Value for SequenceAt, SequenceLength, ConcatFromSequence; else null
 * ```
 */
export function mapSequence(n: OnnxNs.INodeProto, ctx: ImportCtx, c: SequenceCtx): Value | null {
  const op = n.opType ?? '';
  const names = n.input ?? [];
  const seq = (i: number): SequenceValue => {
    const name = names[i] ?? '';
    const s = c.sequences.get(name);
    if (!s) throw ctx.refuse(`its sequence input '${name}' is not built by a sequence operator of the file, nor a sequence graph input, nor one from control flow decided as the file is read`);
    if (s.absent) throw ctx.refuse(`its sequence input '${name}' is an empty optional`);
    return s;
  };
  /** A position in [-n, n + extra) as an index; absent: `dflt`. */
  const position = (i: number, len: number, extra: number, dflt: number): number => {
    const p = ctx.numbers(i, 'the position')?.[0];
    if (p === undefined) return dflt;
    if (p < -len || p >= len + extra) throw ctx.refuse(`position ${p} is outside [${-len}, ${len + extra - 1}] for a sequence of ${len}`);
    return p < 0 ? p + len : p;
  };
  const out = (s: SequenceValue): null => {
    c.sequences.set(n.output?.[0] ?? '', s);
    return null;
  };
  const tail = names.map((name) => c.sequences.get(name)?.tail).find((t) => !!t);
  if (tail) return mapTail(op, names[0]!, c.sequences.get(names[0]!)!, ctx, out);
  const runLength = names[0] ? c.sequences.get(names[0])?.stacked : undefined;
  if (runLength && op !== 'SplitToSequence') return mapStacked(op, names[0]!, c.sequences.get(names[0]!)!, ctx, out);
  // A position computed at run time into a sequence of known items of one shape (and dtype): those stacked, read as
  // one of run-time length. Items of several shapes refuse the position below, naming it.
  const slot = op === 'SequenceInsert' ? 2 : op === 'SequenceErase' || op === 'SequenceAt' ? 1 : 0;
  const s0 = slot && ctx.has(slot) && !ctx.data(slot) ? seq(0) : null;
  const shapes = s0 ? [...s0.items.map((v) => v.type), ...(op === 'SequenceInsert' ? [ctx.input(1).type] : [])] : [];
  if (s0 && shapes.length && shapes.every((t) => t.dtype === s0.dtype && sameItemShape(t.shape, shapes[0]!.shape))) {
    const item = shapes[0]!.shape;
    const st = stackedOf(ctx, s0, `the sequence '${names[0]}'`) ?? (item.every((d): d is number => typeof d === 'number') ? ctx.constant(zerosTensor(s0.dtype, [0, ...item])) : null);
    if (st) return mapStacked(op, names[0]!, { dtype: s0.dtype, items: [], stacked: st, origin: `read at a position computed at run time by node '${ctx.label}'` }, ctx, out);
  }
  switch (op) {
    case 'SequenceEmpty':
      return out({ dtype: ctx.attr.has('dtype') ? dtypeOf(ctx, ctx.attr.int('dtype', 1), 'attribute dtype') : 'float32', items: [] });
    case 'SequenceConstruct': {
      const items = names.map((_n, i) => ctx.input(i));
      if (items.some((v) => v.type.dtype !== items[0]!.type.dtype)) throw ctx.refuse(`its tensors have different dtypes (${items.map((v) => v.type.dtype).join(', ')})`);
      return out({ dtype: items[0]!.type.dtype, items });
    }
    case 'SequenceInsert': {
      const s = seq(0);
      const t = ctx.input(1);
      if (t.type.dtype !== s.dtype) throw ctx.refuse(`inserting a ${t.type.dtype} tensor into a sequence of ${s.dtype}`);
      const at = position(2, s.items.length, 1, s.items.length);
      return out({ dtype: s.dtype, items: [...s.items.slice(0, at), t, ...s.items.slice(at)] });
    }
    case 'SequenceErase': {
      const s = seq(0);
      if (!s.items.length) throw ctx.refuse('erasing from an empty sequence');
      const at = position(1, s.items.length, 0, s.items.length - 1);
      return out({ dtype: s.dtype, items: s.items.filter((_v, k) => k !== at) });
    }
    case 'SequenceAt': {
      const s = seq(0);
      if (!ctx.has(1)) throw ctx.refuse('it has no position input');
      return s.items[position(1, s.items.length, 0, 0)]!;
    }
    case 'SequenceLength':
      return ctx.scalar(seq(0).items.length, 'int64');
    case 'ConcatFromSequence': {
      const s = seq(0);
      if (!s.items.length) throw ctx.refuse('concatenating an empty sequence');
      const r = s.items[0]!.type.shape.length;
      const stack = ctx.attr.int('new_axis', 0) === 1;
      const axis = normAxis(ctx, ctx.attr.int('axis', 0), stack ? r + 1 : r);
      return s.items.length === 1 && !stack ? s.items[0]! : ctx.op(stack ? 'stack' : 'concat', s.items, stack ? { axis } : { dim: axis });
    }
    case 'SplitToSequence': {
      const x = ctx.input(0);
      const r = x.type.shape.length;
      const axis = normAxis(ctx, ctx.attr.int('axis', 0), r);
      const len = x.type.shape[axis];
      const split = ctx.numbers(1, 'split');
      const scalarSplit = !!split && (ctx.symbolicInput(1)?.rank0 || (ctx.data(1)?.shape.length ?? 1) === 0);
      if (typeof len !== 'number') {
        // A length known only when it runs: pieces of 1 are stacked; listed sizes give that many pieces, checked when it runs.
        if (!split || (scalarSplit && split[0] === 1)) return out({ ...stackedSplit(ctx, x, axis, !!split || ctx.attr.int('keepdims', 1) === 1), origin: `SplitToSequence (node '${ctx.label}') of the symbolic size '${len}'` });
        if (scalarSplit) throw ctx.refuse(`splitting axis ${axis} of the symbolic size '${len}' into pieces of ${split[0]} (their number, and the last one's size, are known only when it runs; pieces of 1 or listed sizes are read)`);
        return out({ dtype: x.type.dtype, items: sizedPieces(ctx, x, axis, split) });
      }
      let sizes: number[];
      if (!split) sizes = new Array<number>(len).fill(1);
      else if (scalarSplit) {
        const k = split[0]!;
        if (!(k > 0)) throw ctx.refuse(`split size ${k}`);
        sizes = Array.from({ length: Math.ceil(len / k) }, (_v, i) => Math.min(k, len - i * k));
      } else sizes = split;
      if (sizes.reduce((p, q) => p + q, 0) !== len || sizes.some((k) => k < 0)) throw ctx.refuse(`split sizes [${sizes.join(', ')}] do not add up to ${len}`);
      // keepdims applies without a split input only (ONNX ignores it with one): read either way.
      const squeeze = ctx.attr.int('keepdims', 1) === 0 && !split;
      let begin = 0;
      const items = sizes.map((k) => {
        const piece = ctx.op('sliceAxis', [x], { axis, begin, end: begin + k });
        begin += k;
        return squeeze ? ctx.op('squeeze', [piece], { axis }) : piece;
      });
      return out({ dtype: x.type.dtype, items });
    }
    case 'SequenceMap':
      return void sequenceMap(n, ctx, c, seq), null;
    default:
      throw ctx.refuse();
  }
}

/**
 * SequenceMap, unrolled over the items known as the file is read: its `body` inlined once per item (the k-th item
 * of every sequence input, each other input as it is); each body output gathers one item per step into a sequence.
 */
function sequenceMap(n: OnnxNs.INodeProto, ctx: ImportCtx, c: SequenceCtx, seq: (i: number) => SequenceValue): void {
  ctx.attr.has('body'); // read by applyGraph
  const names = n.input ?? [];
  const s0 = seq(0);
  const seqs = names.map((name, i) => (i === 0 || c.sequences.has(name) ? seq(i) : null));
  seqs.forEach((s, i) => {
    if (s && s.items.length !== s0.items.length) throw ctx.refuse(`its sequence inputs have ${s0.items.length} and ${s.items.length} items (input ${i}); SequenceMap needs one length`);
  });
  const body = (n.attribute ?? []).find((a) => a.name === 'body')?.g;
  const outs = (n.output ?? []).map((): Value[] => []);
  for (let k = 0; k < s0.items.length; k++) {
    const got = ctx.applyGraph('body', seqs.map((s, i) => (s ? s.items[k]! : ctx.input(i))));
    got.forEach((v, j) => outs[j]?.push(v));
  }
  (n.output ?? []).forEach((name, j) => {
    const code = body?.output?.[j]?.type?.tensorType?.elemType;
    c.sequences.set(name, { dtype: outs[j]![0]?.type.dtype ?? (code ? dtypeOf(ctx, code, `body output ${j}`) : 'float32'), items: outs[j]! });
  });
}

/** True when two item shapes are one shape (symbolic dimensions by name). */
export function sameItemShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => sameDim(d, b[i]!));
}

/**
 * A sequence's items as one stacked tensor (its `stacked`, or its items stacked along a new first axis), or null
 * when it has no items; items of different shapes are refused naming `what`.
 */
export function stackedOf(ctx: ImportCtx, s: SequenceValue, what: string): Value | null {
  if (s.stacked) return s.stacked;
  // A list read near its ends in a Loop body holds this iteration's items only (the Loop then carries it stacked).
  if (s.tail) throw ctx.refuse(`${what} is a list a Loop body reads as its last items and its length, which is not held whole`);
  if (!s.items.length) return null;
  const first = s.items[0]!.type.shape;
  const odd = s.items.find((v) => !sameItemShape(v.type.shape, first));
  if (odd) throw ctx.refuse(`${what} has items ${formatType(s.items[0]!.type)} and ${formatType(odd.type)}: a sequence whose length is known only when the graph runs is held as one tensor, its items stacked, so they must have one shape`);
  return ctx.op('stack', s.items, { axis: 0 });
}

/** `head`'s items followed by the rows of `tail` (stacked items): one sequence of run-time length. */
export function appendStacked(ctx: ImportCtx, head: SequenceValue, tail: Value, what: string, origin: string): SequenceValue {
  const front = stackedOf(ctx, head, what);
  if (front && !sameItemShape(front.type.shape.slice(1), tail.type.shape.slice(1))) {
    throw ctx.refuse(`${what} starts with items of shape [${front.type.shape.slice(1).join(', ')}] and gets items of shape [${tail.type.shape.slice(1).join(', ')}]: a sequence whose length is known only when the graph runs is held as one tensor, its items stacked, so they must have one shape`);
  }
  return { dtype: head.dtype, items: [], stacked: front ? ctx.op('concat', [front, tail], { dim: 0 }) : tail, origin };
}

/** The sequence operators on a sequence of run-time length (`st`: its items stacked); see the file comment. */
function mapStacked(op: string, name: string, s: SequenceValue, ctx: ImportCtx, out: (s: SequenceValue) => null): Value | null {
  const st = s.stacked!;
  const origin = s.origin;
  const [len, ...item] = st.type.shape;
  const dtype = st.type.dtype;
  switch (op) {
    case 'SequenceLength':
      return typeof len === 'number' ? ctx.scalar(len, 'int64') : ctx.op('shapeArray', [st], { axis: 0 });
    case 'SequenceAt': {
      if (!ctx.has(1)) throw ctx.refuse('it has no position input');
      const p = ctx.input(1);
      if (p.type.shape.length > 1 || p.type.shape[0] !== undefined && p.type.shape[0] !== 1) throw ctx.refuse(`its position is ${formatType(p.type)} (ONNX: one integer)`);
      // Any position in [-n, n), computed at run time too; another fails the run (ONNX Gather), as ONNX's SequenceAt does.
      return ctx.op('take', [st, p.type.shape.length ? ctx.op('reshape', [p], { shape: [] }) : p], { axis: 0, mode: 'raise' });
    }
    case 'SequenceInsert': {
      const t = ctx.input(1);
      if (t.type.dtype !== dtype || !sameItemShape(t.type.shape, item)) {
        throw ctx.refuse(`inserting a ${formatType(t.type)} tensor into the sequence '${name}' of ${formatType({ dtype, shape: item })} items, whose number is known only when the graph runs: its items are held stacked in one tensor, so they must have one shape and dtype`);
      }
      const row = ctx.op('expandDims', [t], { axis: 0 });
      const known = ctx.has(2) && ctx.data(2) ? ctx.numbers(2, 'the position')![0]! : undefined;
      // At the back (no position) or the front: one concatenation (a Loop's gradient reads such a list as the final one's rows).
      const front = known === 0 || (typeof len === 'number' && known === -len);
      if (!ctx.has(2) || front || (known !== undefined && known === len)) return out({ dtype, items: [], stacked: ctx.op('concat', front ? [row, st] : [st, row], { dim: 0 }), origin });
      return out({ dtype, items: [], stacked: insertAt(ctx, st, row, runPosition(ctx, 2)), origin });
    }
    case 'SequenceErase':
      return out({ dtype, items: [], stacked: eraseAt(ctx, st, ctx.has(1) ? runPosition(ctx, 1) : ctx.scalar(-1, 'int64')), origin });
    case 'ConcatFromSequence': {
      const stack = ctx.attr.int('new_axis', 0) === 1;
      const r = item.length;
      const axis = normAxis(ctx, ctx.attr.int('axis', 0), stack ? r + 1 : r);
      // The items' axis goes to `axis`; concatenating merges it with the item's axis there (MXNet reshape's -3).
      const perm = [...Array.from({ length: axis }, (_v, a) => a + 1), 0, ...Array.from({ length: r - axis }, (_v, a) => a + axis + 1)];
      const moved = axis === 0 ? st : ctx.op('transpose', [st], { axes: perm });
      if (stack) return moved;
      return ctx.op('reshape', [moved], { shape: [...new Array<number>(axis).fill(0), -3, ...new Array<number>(r - 1 - axis).fill(0)] });
    }
    default:
      throw ctx.refuse(`its sequence input '${name}' has a length known only when the graph runs (${origin ?? 'from the file'}; its items are held stacked in one tensor), which ${op} does not read (SequenceAt, SequenceLength, ConcatFromSequence, SequenceInsert and SequenceErase do)`);
  }
}

/**
 * The sequence operators on a list read near its ends in a Loop body (`s.tail`, see `ListTail`): SequenceAt at a
 * constant position among its first `n0` items or its last ones (this iteration's appended items, then the window's
 * rows), SequenceLength, SequenceInsert at the back; another refuses (the Loop then carries the list stacked).
 */
function mapTail(op: string, name: string, s: SequenceValue, ctx: ImportCtx, out: (s: SequenceValue) => null): Value | null {
  const t = s.tail;
  const refuse = (why: string) => ctx.refuse(`the list '${name}' is read in a Loop body as its last items and its length, ${why}`);
  if (!t) throw refuse(`which ${op} does not take as another input`);
  const k = t.window ? (t.window.type.shape[0] as number) : 0;
  switch (op) {
    case 'SequenceAt': {
      const p = ctx.has(1) && ctx.data(1) ? ctx.numbers(1, 'the position')![0]! : undefined;
      if (p === undefined) throw refuse('and SequenceAt is at a position computed at run time');
      // Positions known in range: 'raise' is one Gather.
      if (p >= 0 && p < t.n0 && t.start) return ctx.op('take', [t.start, ctx.scalar(p, 'int64')], { axis: 0, mode: 'raise' });
      const back = -p - s.items.length;
      if (p < 0 && back <= 0) return s.items[s.items.length + p]!;
      if (p < 0 && back <= k && t.window) return ctx.op('take', [t.window, ctx.scalar(k - back, 'int64')], { axis: 0, mode: 'raise' });
      throw refuse(`and position ${p} is neither among its first ${t.n0} items nor its last ${k + s.items.length}`);
    }
    case 'SequenceLength':
      return s.items.length ? ctx.op('add', [t.length, ctx.scalar(s.items.length, 'int64')]) : t.length;
    case 'SequenceInsert': {
      const v = ctx.input(1);
      if (ctx.has(2)) throw refuse('and SequenceInsert has a position');
      const item = t.window?.type.shape.slice(1) ?? s.items[0]?.type.shape ?? v.type.shape;
      if (v.type.dtype !== s.dtype || !sameItemShape(v.type.shape, item)) throw refuse(`and SequenceInsert gives a ${formatType(v.type)} item`);
      return out({ dtype: s.dtype, items: [...s.items, v], tail: t });
    }
    default:
      throw refuse(`which ${op} does not read`);
  }
}

/** Position input `i` (one int32 or int64, constant or computed at run time) as an int64 scalar. */
function runPosition(ctx: ImportCtx, i: number): Value {
  const p = ctx.input(i);
  if (p.type.dtype !== 'int64' && p.type.dtype !== 'int32' || p.type.shape.length > 1 || p.type.shape[0] !== undefined && p.type.shape[0] !== 1) throw ctx.refuse(`its position is ${formatType(p.type)} (ONNX: one int32 or int64)`);
  const scalar = p.type.shape.length ? ctx.op('reshape', [p], { shape: [] }) : p;
  return p.type.dtype === 'int64' ? scalar : ctx.op('cast', [scalar], { dtype: 'int64' });
}

/** 0, 1, ..., n - 1 for `x`'s first axis of n elements. */
function rowsOf(ctx: ImportCtx, x: Value): Value {
  return ctx.op('arange', [x], { start: 0, stop: { input: 0, begin: 0, end: 1 }, step: 1, dtype: 'int64' });
}

/**
 * `row` ([1, ...item]) inserted into the stacked items `st` ([n, ...item]) before position `p` (an int64 scalar in
 * [-n, n], negative ones counted from the back as ONNX's SequenceInsert says): the rows of [st; row] taken in the
 * order the insert gives. `p` is read by a Gather of [0..n] at p (p - 1 when negative: n + p), which fails the run
 * (onnxruntime's Gather, naming the node) for a position outside [-n, n], as onnxruntime's SequenceInsert does.
 */
function insertAt(ctx: ImportCtx, st: Value, row: Value, p: Value): Value {
  const all = ctx.op('concat', [st, row], { dim: 0 });
  const i64 = (v: number) => ctx.scalar(v, 'int64');
  const a = rowsOf(ctx, all);
  const neg = ctx.op('lesser', [p, i64(0)]);
  const q = ctx.op('take', [a, ctx.op('where', [neg, ctx.op('sub', [p, i64(1)]), p])], { axis: 0, mode: 'raise' });
  const n = ctx.op('reshape', [ctx.op('shapeArray', [st], { axis: 0 })], { shape: [] });
  // Row j of the result: st's row j before q, the new row (row n of [st; row]) at q, st's row j - 1 after.
  const after = ctx.op('cast', [ctx.op('greater', [a, q])], { dtype: 'int64' });
  const idx = ctx.op('where', [ctx.op('equal', [a, q]), n, ctx.op('sub', [a, after])]);
  return ctx.op('take', [all, idx], { axis: 0 });
}

/**
 * The stacked items `st` ([n, ...item]) without the one at position `p` (an int64 scalar in [-n, n - 1], negative
 * ones counted from the back): its other rows, in order. `p` is read by a Gather of [0..n - 1] at p, which fails the
 * run for a position outside [-n, n - 1] (an empty sequence has none), as onnxruntime's SequenceErase does.
 */
function eraseAt(ctx: ImportCtx, st: Value, p: Value): Value {
  const a = rowsOf(ctx, st);
  const q = ctx.op('take', [a, p], { axis: 0, mode: 'raise' });
  // Row j of the result: st's row j before q, j + 1 from q on.
  const kept = ctx.op('sliceAxis', [a], { axis: 0, begin: 0, end: -1 });
  const from = ctx.op('cast', [ctx.op('greaterEqual', [kept, q])], { dtype: 'int64' });
  return ctx.op('take', [st, ctx.op('add', [kept, from])], { axis: 0 });
}

/** SplitToSequence of a symbolic size into pieces of 1 (`keep`: each keeps the axis), stacked along a new first axis. */
function stackedSplit(ctx: ImportCtx, x: Value, axis: number, keep: boolean): SequenceValue {
  const r = x.type.shape.length;
  const perm = [axis, ...Array.from({ length: r }, (_v, a) => a).filter((a) => a !== axis)];
  const st = axis === 0 ? x : ctx.op('transpose', [x], { axes: perm });
  return { dtype: x.type.dtype, items: [], stacked: keep ? ctx.op('expandDims', [st], { axis: axis + 1 }) : st };
}

/**
 * SplitToSequence of a symbolic size into the listed sizes: that many pieces. Their total must be the size, as
 * ONNX requires: `x` is first reshaped to it there, which fails the run (or the eager call) when it is not.
 */
function sizedPieces(ctx: ImportCtx, x: Value, axis: number, sizes: number[]): Value[] {
  if (sizes.some((k) => !Number.isInteger(k) || k < 0)) throw ctx.refuse(`split sizes [${sizes.join(', ')}]`);
  const total = sizes.reduce((p, q) => p + q, 0);
  const checked = ctx.op('reshape', [x], { shape: x.type.shape.map((_d, a) => (a === axis ? total : 0)) });
  let begin = 0;
  return sizes.map((k) => {
    const piece = ctx.op('sliceAxis', [checked], { axis, begin, end: begin + k });
    begin += k;
    return piece;
  });
}
