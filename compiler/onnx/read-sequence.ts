/**
 * ONNX sequences in other tools' files, read where they are built and
 * consumed inside the file with lengths and positions known when it is read
 * (gluonc's graphs hold tensors only): a sequence is a list of the reader's
 * values. SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceErase,
 * SplitToSequence (sizes known) build lists; SequenceAt, SequenceLength and
 * ConcatFromSequence (concat, or stack with new_axis) read them.
 * Positions must be constants; a sequence graph input or output, or a
 * sequence crossing a Loop, is refused by name.
 * Invariant: `c.sequences` maps each sequence name to its items in order.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import type { DType } from '../../runtime/dtypes.js';
import type { Value } from '../ir/value.js';
import { dtypeOf, normAxis, type ImportCtx } from './import/context.js';
export { SEQUENCE_OPS } from './import/table.js';

/** A sequence: its element dtype and items. */
export interface SequenceValue {
  dtype: DType;
  items: Value[];
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
    if (!s) throw ctx.refuse(`its sequence input '${name}' is not built by a sequence operator of the file (a sequence graph input, or one from control flow, is not supported)`);
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
    default:
      throw ctx.refuse();
  }
}
