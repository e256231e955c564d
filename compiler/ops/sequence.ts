/**
 * MXNet's operators for variable-length batches: SequenceMask, SequenceLast
 * and SequenceReverse. `data` holds sequences along `axis` (0: [T, B, ...],
 * MXNet's default; 1: [B, T, ...]); with `useSequenceLength` the optional
 * `sequenceLength` input ([B], any numeric dtype, truncated to integers as
 * MXNet's `static_cast<int>`, read in int64 as indices are: NaN is 0) gives
 * each batch entry's length, otherwise
 * every sequence has the full length T.
 * Invariants: lengths are data, so they are never checked against T; they
 * are clipped instead (SequenceLast to [1, T], SequenceReverse to [0, T];
 * MXNet leaves lengths outside that undefined). Lowerings read only ranks,
 * so T and B may be symbolic.
 */
import { isFloat, onnxDType as onnxTo } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { DType, TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OpDef, type Tx } from './define.js';
import { sameDim } from './dims.js';
import { OpError } from './errors.js';
import { alloc, BIG, dimScalar } from './index-ops.js';
import { indexValue, lengthsInt64 } from './indices.js';
import { fromF64, toF64 } from './kernels.js';

/** Options shared by the sequence operators. */
export interface SequenceOptions {
  useSequenceLength?: boolean;
  axis?: 0 | 1;
}

type SeqA = Attrs & { useSequenceLength: boolean; axis: number };
type MaskA = SeqA & { value: number };

/** Dtypes onnxruntime's Where takes directly; the others go through float32 (exactly). */
const WHERE_DIRECT: DType[] = ['float32', 'float64', 'int32', 'int64', 'uint8'];

interface Plan {
  /** The time axis (0 or 1) and the batch axis (the other one). */
  t: number;
  b: number;
  /** True when lengths are used (and present). */
  lens: boolean;
}

function plan(op: string, types: TensorType[], a: SeqA): Plan {
  const x = types[0]!;
  if (typeof a.useSequenceLength !== 'boolean') throw new OpError(op, `option 'useSequenceLength' must be a boolean, got ${JSON.stringify(a.useSequenceLength)}`, types);
  if (a.axis !== 0 && a.axis !== 1) throw new OpError(op, `axis must be 0 ([T, B, ...]) or 1 ([B, T, ...]), as in MXNet; got ${JSON.stringify(a.axis)}`, types);
  const t = a.axis;
  const b = 1 - t;
  if (!a.useSequenceLength) {
    if (x.shape.length < 1) throw new OpError(op, 'data must have a sequence axis (rank >= 1)', types);
    return { t, b, lens: false };
  }
  if (types.length < 2) throw new OpError(op, 'useSequenceLength is true but no sequenceLength input was given', types);
  if (x.shape.length < 2) throw new OpError(op, `data must have a time and a batch axis (rank >= 2), got rank ${x.shape.length}`, types);
  const l = types[1]!;
  if (l.dtype === 'bool') throw new OpError(op, 'sequenceLength must hold numbers, not bool', types);
  if (l.shape.length !== 1 || !(sameDim(l.shape[0]!, x.shape[b]!) || typeof l.shape[0] === 'string' || typeof x.shape[b] === 'string')) {
    throw new OpError(op, `sequenceLength must have shape [${x.shape[b]}] (the batch axis ${b} of data), got [${l.shape.join(', ')}]`, types);
  }
  return { t, b, lens: true };
}

/** The lengths as int64 (`lengthsInt64`: truncated, NaN 0), clipped to [lo, T + hi] when asked (T: data's time axis). */
function lengths(c: LowerCtx, p: Plan, clip?: [number, number]): string {
  const hi = clip && c.emit('Add', [dimScalar(c, 0, p.t), c.scalar(clip[1], 'int64')])[0]!;
  return lengthsInt64(c, c.inputs[1]!, c.inTypes[1]!.dtype, clip && [clip[0], hi!]);
}

/** A [T, B] (axis 0) or [B, T] (axis 1) bool mask of the kept steps (t < length), with data's trailing axes as 1s. */
function keepMask(c: LowerCtx, p: Plan): string {
  const lens = lengths(c, p);
  const [steps] = c.emit('Range', [c.scalar(0, 'int64'), dimScalar(c, 0, p.t), c.scalar(1, 'int64')]);
  const s = c.emit('Unsqueeze', [steps!, c.ints([p.b])])[0]!;
  const l = c.emit('Unsqueeze', [lens, c.ints([p.t])])[0]!;
  const [m] = c.emit('Less', [s, l]);
  const r = c.inTypes[0]!.shape.length;
  return r > 2 ? c.emit('Unsqueeze', [m!, c.ints(Array.from({ length: r - 2 }, (_v, i) => i + 2))])[0]! : m!;
}

/** For each element of data (walked in order), its time index and the length of its sequence. */
function walk(x: HostTensor, p: Plan, lens: HostTensor | undefined, f: (i: number, step: number, len: number, batch: number) => void): void {
  const s = x.shape;
  const inner = sizeOf(s.slice(2));
  const lv = lens ? toF64(lens) : undefined;
  const n = sizeOf(s);
  const T = s[p.t]!;
  for (let i = 0; i < n; i++) {
    const i0 = Math.floor(i / (s[1]! * inner));
    const i1 = Math.floor(i / inner) % s[1]!;
    const step = p.t === 0 ? i0 : i1;
    const batch = p.t === 0 ? i1 : i0;
    f(i, step, lv ? indexValue(lv[batch]!) : T, batch);
  }
}

/** `(data, sequenceLength?, useSequenceLength?, [value,] [axis,] options?)`: MXNet's order, each also by name. */
type SeqSig<O> = (data: Tx, sequenceLength?: Tx | O, ...rest: (boolean | number | O)[]) => Tx;
type MaskOptions = SequenceOptions & { value?: number };

/**
 * Sets the steps past each sequence's length to `value` (MXNet's
 * `SequenceMask`); without `useSequenceLength` it returns `data` unchanged.
 *
 * ```ts
 * // x: [T=3, B=2, C]; the second sequence has 1 step
 * F.SequenceMask(x, nd.array([3, 1]), { useSequenceLength: true, value: 0 });
 * ```
 */
export const SequenceMask: OpDef<SeqSig<MaskOptions>, MaskA> = defineOp<SeqSig<MaskOptions>, MaskA>({
  name: 'SequenceMask',
  inputs: ['data', 'sequenceLength?'],
  attrs: { useSequenceLength: false, value: 0, axis: 0 },
  positional: ['useSequenceLength', 'value', 'axis'],
  infer: (types, a) => {
    plan('SequenceMask', types, a);
    if (typeof a.value !== 'number') throw new OpError('SequenceMask', `value must be a number, got ${JSON.stringify(a.value)}`, types);
    return [{ dtype: types[0]!.dtype, shape: [...types[0]!.shape] }];
  },
  lower: (c, a) => {
    const p = plan('SequenceMask', c.inTypes, a);
    if (!p.lens) return void c.emit('Identity', [c.inputs[0]!], {}, c.outputs);
    const m = keepMask(c, p);
    const d = c.inTypes[0]!.dtype;
    if (WHERE_DIRECT.includes(d)) return void c.emit('Where', [m, c.inputs[0]!, c.scalar(a.value, d)], {}, c.outputs);
    const [x] = c.emit('Cast', [c.inputs[0]!], { to: onnxTo('float32') });
    const [w] = c.emit('Where', [m, x!, c.scalar(a.value, 'float32')]);
    c.emit('Cast', [w!], { to: onnxTo(d) }, c.outputs);
  },
  kernel: ([x, lens], a, [out]) => {
    const p = plan('SequenceMask', lens ? [x!, lens] : [x!], a);
    if (!p.lens) return [{ ...x!, shape: [...x!.shape], data: x!.data.slice() }];
    const v = toF64(x!);
    const o = new Float64Array(v.length);
    walk(x!, p, p.lens ? lens : undefined, (i, step, len) => (o[i] = step < len ? v[i]! : a.value));
    return [fromF64(out!, o)];
  },
  // Masked steps get no gradient: the same mask with value 0.
  grad: (F, { inputs: [, lens], inTypes, attrs }, [g]) => [
    g && isFloat(inTypes[0]!.dtype) ? (attrs.useSequenceLength ? F.SequenceMask(g, lens!, { useSequenceLength: true, value: 0, axis: attrs.axis as 0 | 1 }) : g) : null,
    ...inTypes.slice(1).map(() => null),
  ],
});

/**
 * The last step of each sequence (MXNet's `SequenceLast`): `data` without
 * its time axis; lengths are clipped to [1, T].
 *
 * ```ts
 * F.SequenceLast(x, lens, { useSequenceLength: true });   // [T, B, C] -> [B, C]
 * ```
 */
export const SequenceLast: OpDef<SeqSig<SequenceOptions>, SeqA> = defineOp<SeqSig<SequenceOptions>, SeqA>({
  name: 'SequenceLast',
  inputs: ['data', 'sequenceLength?'],
  attrs: { useSequenceLength: false, axis: 0 },
  positional: ['useSequenceLength', 'axis'],
  infer: (types, a) => {
    const p = plan('SequenceLast', types, a);
    return [{ dtype: types[0]!.dtype, shape: types[0]!.shape.filter((_d, i) => i !== p.t) }];
  },
  lower: (c, a) => {
    const p = plan('SequenceLast', c.inTypes, a);
    if (!p.lens) return void c.emit('Gather', [c.inputs[0]!, c.scalar(-1, 'int64')], { axis: p.t }, c.outputs);
    const last = c.emit('Sub', [lengths(c, p, [1, 0]), c.scalar(1, 'int64')])[0]!;
    const r = c.inTypes[0]!.shape.length;
    // [B] -> [1, B, 1, ...] (axis 0) or [B, 1, 1, ...] (axis 1), expanded to data's shape with T = 1.
    const idx = c.emit('Unsqueeze', [last, c.ints([p.t, ...Array.from({ length: r - 2 }, (_v, i) => i + 2)])])[0]!;
    const parts = p.t === 0
      ? [c.ints([1]), c.emit('Shape', [c.inputs[0]!], { start: 1 })[0]!]
      : [c.emit('Shape', [c.inputs[0]!], { start: 0, end: 1 })[0]!, c.ints([1]), c.emit('Shape', [c.inputs[0]!], { start: 2 })[0]!];
    const [target] = c.emit('Concat', parts, { axis: 0 });
    const [e] = c.emit('Expand', [idx, target!]);
    const [g] = c.emit('GatherElements', [c.inputs[0]!, e!], { axis: p.t });
    c.emit('Squeeze', [g!, c.ints([p.t])], {}, c.outputs);
  },
  kernel: ([x, lens], a, [out]) => {
    const p = plan('SequenceLast', lens ? [x!, lens] : [x!], a);
    const T = x!.shape[p.t]!;
    const o = alloc(out!.dtype, out!.shape as number[]);
    const src = x!.data as unknown as (number | bigint)[];
    const dst = o.data as unknown as (number | bigint)[];
    if (!p.lens) {
      const inner = sizeOf(x!.shape.slice(p.t + 1));
      const outer = sizeOf(x!.shape.slice(0, p.t));
      for (let u = 0; u < outer; u++) for (let i = 0; i < inner; i++) dst[u * inner + i] = src[(u * T + T - 1) * inner + i]!;
      return [o];
    }
    const inner = sizeOf(x!.shape.slice(2));
    walk(x!, p, lens, (i, step, len, batch) => {
      if (step === Math.min(Math.max(len, 1), T) - 1) dst[batch * inner + (i % inner)] = src[i]!;
    });
    return [o];
  },
  // g put back at each sequence's last step: the steps kept by length L minus those kept by L - 1.
  grad: (F, { inputs: [x, lens], inTypes, attrs }, [g]) => {
    const nulls = inTypes.map(() => null);
    if (!g || !isFloat(inTypes[0]!.dtype)) return nulls;
    const t = attrs.axis as 0 | 1;
    const spread = F.broadcastLike(F.expandDims(g, t), x!);
    if (!attrs.useSequenceLength) {
      const before = F.zerosLike(F.sliceAxis(x!, { axis: t, begin: 0, end: -1 }));
      return [F.concat(before, F.expandDims(g, t), { dim: t }), ...nulls.slice(1)];
    }
    // Lengths clipped as the forward clips them (to [1, T]; a symbolic T only from below).
    const T = inTypes[0]!.shape[t]!;
    const l = typeof T === 'number' ? F.clip(lens!, 1, T) : F.maximum(lens!, 1);
    const opts = { useSequenceLength: true, axis: t };
    return [F.sub(F.SequenceMask(spread, l, opts), F.SequenceMask(spread, F.sub(l, 1), opts)), null];
  },
});

/**
 * Reverses the first `length` steps of each sequence, leaving the padding
 * after them in place (MXNet's `SequenceReverse`; lengths clipped to
 * [0, T]); without `useSequenceLength` the whole time axis is reversed.
 *
 * ```ts
 * F.SequenceReverse(x, lens, { useSequenceLength: true });   // [T, B, C] -> [T, B, C]
 * ```
 */
export const SequenceReverse: OpDef<SeqSig<SequenceOptions>, SeqA> = defineOp<SeqSig<SequenceOptions>, SeqA>({
  name: 'SequenceReverse',
  inputs: ['data', 'sequenceLength?'],
  attrs: { useSequenceLength: false, axis: 0 },
  positional: ['useSequenceLength', 'axis'],
  infer: (types, a) => {
    plan('SequenceReverse', types, a);
    return [{ dtype: types[0]!.dtype, shape: [...types[0]!.shape] }];
  },
  lower: (c, a) => {
    const p = plan('SequenceReverse', c.inTypes, a);
    if (!p.lens) return void c.emit('Slice', [c.inputs[0]!, c.ints([-1]), c.ints([-BIG]), c.ints([p.t]), c.ints([-1])], {}, c.outputs);
    c.emit('ReverseSequence', [c.inputs[0]!, lengths(c, p, [0, 0])], { batch_axis: p.b, time_axis: p.t }, c.outputs);
  },
  kernel: ([x, lens], a, [out]) => {
    const p = plan('SequenceReverse', lens ? [x!, lens] : [x!], a);
    const s = x!.shape;
    const T = s[p.t]!;
    const inner = sizeOf(s.slice(2));
    const strideT = p.t === 0 ? s[1]! * inner : inner;
    const o = alloc(out!.dtype, out!.shape as number[]);
    const src = x!.data as unknown as (number | bigint)[];
    const dst = o.data as unknown as (number | bigint)[];
    if (!p.lens) {
      const tail = sizeOf(s.slice(p.t + 1));
      const outer = sizeOf(s.slice(0, p.t));
      for (let u = 0; u < outer; u++) for (let k = 0; k < T; k++) for (let i = 0; i < tail; i++) dst[(u * T + k) * tail + i] = src[(u * T + T - 1 - k) * tail + i]!;
      return [o];
    }
    walk(x!, p, lens, (i, step, len) => {
      const n = Math.min(Math.max(len, 0), T);
      dst[i] = step < n ? src[i + (n - 1 - 2 * step) * strideT]! : src[i]!;
    });
    return [o];
  },
  // A permutation that is its own inverse: the gradient is reversed the same way.
  grad: (F, { inputs: [, lens], inTypes, attrs }, [g]) => [
    !g || !isFloat(inTypes[0]!.dtype) ? null
      : attrs.useSequenceLength ? F.SequenceReverse(g, lens!, { useSequenceLength: true, axis: attrs.axis as 0 | 1 })
        : F.SequenceReverse(g, { axis: attrs.axis as 0 | 1 }),
    ...inTypes.slice(1).map(() => null),
  ],
});

/** The sequence operators, by F name. */
export const SEQUENCE_OPS = { SequenceMask, SequenceLast, SequenceReverse } as const;
