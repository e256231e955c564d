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
 * (read-control.ts).
 * Invariant: `c.sequences` maps each sequence name to its items in order.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import type { DType } from '../../runtime/dtypes.js';
import type { Value } from '../ir/value.js';
import { dtypeOf, normAxis, type ImportCtx } from './import/context.js';
export { SEQUENCE_OPS } from './import/table.js';

/** A sequence: its element dtype and items; or an empty optional (`absent`, no items: read-boundary.ts). */
export interface SequenceValue {
  dtype: DType;
  items: Value[];
  absent?: boolean;
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
      if (typeof len !== 'number') throw ctx.refuse(`splitting along axis ${axis} of the symbolic size '${String(len)}' (the sequence's length must be known)`);
      let sizes: number[];
      if (!split) sizes = new Array<number>(len).fill(1);
      else if (ctx.symbolicInput(1)?.rank0 || (ctx.data(1)?.shape.length ?? 1) === 0) {
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
