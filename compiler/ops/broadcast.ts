/**
 * Repetition and broadcasting operators: tile, repeat, broadcastTo and
 * broadcastLike (MXNet's semantics; their gradients sum the copies back).
 * Invariant: type rules accept symbolic dimensions; where an ONNX shape
 * depends on one it is built at runtime from `Shape` pieces.
 */
import { formatShape, sizeOf, stridesOf } from '../../runtime/tensor.js';
import type { Attrs, AttrValue } from '../ir/node.js';
import { resolveShape, shapeValue } from './creation.js';
import { isConcrete, type Dim, type Shape, type TensorType } from '../ir/types.js';
import { range, reshapeBack } from './shape.js';
import type { DimEntry } from './call.js';
import { defineOp, type Method, type OpDef, type PositionalOptions, type Tx } from './define.js';
import type { GradOps, GradTensor } from './grad-ops.js';
import { mulDims, normAxis, sameDim } from './dims.js';
import { OpError } from './errors.js';
import { broadcastToSizeOf } from './redirects.js';
import { dimOf, gather, ints, linearGrad } from './index-ops.js';
import { broadcastIndex } from './kernels.js';

// ---------------------------------------------------------------- repetition and broadcasting

function tileReps(types: TensorType[], reps: unknown): { reps: number[]; shape: Shape } {
  if (reps === null || reps === undefined) throw new OpError('tile', 'needs reps', types);
  const r = ints('tile', 'reps', reps, types);
  if (r.length === 0 || r.some((x) => x < 0)) throw new OpError('tile', `reps ${JSON.stringify(reps)} must be a non-empty list of non-negative integers`, types);
  const s = types[0]!.shape;
  const n = Math.max(s.length, r.length);
  return { reps: [...Array<number>(n - r.length).fill(1), ...r], shape: [...Array<Dim>(n - s.length).fill(1), ...s] };
}

type TileSig = Method<(data: Tx, reps: number[] | { reps: number[] }) => Tx>;

/**
 * Repeats the whole array `reps[k]` times along each axis (numpy/MXNet tile:
 * shorter `reps` or shapes are padded with leading 1s). Example: `x.tile([2, 1])`.
 */
export const tile: OpDef<TileSig, Attrs & { reps: number[] }> = defineOp<TileSig, Attrs & { reps: number[] }>({
  name: 'tile',
  inputs: ['data'],
  attrs: { reps: null },
  positional: ['reps'],
  method: true,
  infer: (types, a) => {
    const { reps, shape } = tileReps(types, a.reps);
    return [{ dtype: types[0]!.dtype, shape: shape.map((d, k) => mulDims([d, reps[k]!])) }];
  },
  lower: (c, a) => {
    const { reps } = tileReps(c.inTypes, a.reps);
    const extra = reps.length - c.inTypes[0]!.shape.length;
    const x = extra > 0 ? c.emit('Unsqueeze', [c.inputs[0]!, c.ints(range(extra))])[0]! : c.inputs[0]!;
    c.emit('Tile', [x, c.ints(reps)], {}, c.outputs);
  },
  kernel: ([x], a, [out]) => {
    const { shape } = tileReps([x!], a.reps);
    const s = shape as number[];
    const st = stridesOf(s);
    return [gather(x!, out!.shape as number[], (idx) => {
      let o = 0;
      for (let k = 0; k < idx.length; k++) o += (idx[k]! % s[k]!) * st[k]!;
      return o;
    })];
  },
  // Each tiled axis r*d is split into [r, d] (reshape code -4) and the tiles are summed.
  grad: linearGrad((F, { inputs: [x], inTypes, attrs }, g) => {
    const { reps } = tileReps(inTypes, attrs.reps);
    if (reps.includes(0)) return F.zerosLike(x!);
    const axes: number[] = [];
    const codes: number[] = [];
    let pos = 0;
    for (const r of reps) {
      if (r === 1) {
        codes.push(0);
        pos += 1;
      } else {
        codes.push(-4, r, -1);
        axes.push(pos);
        pos += 2;
      }
    }
    const summed = axes.length ? F.sum(F.reshape(g, codes), { axis: axes }) : g;
    // Leading axes added for a longer reps are dropped.
    return reps.length > inTypes[0]!.shape.length ? reshapeBack(F, summed, x!, inTypes[0]!) : summed;
  }),
});

type RepeatA = Attrs & { repeats: number; axis: number | null };

/**
 * The count: a number, or (while tracing) a dimension read when the graph
 * runs: `x.shape[k]` of a tensor the node takes as an extra input (a
 * symbolic name in types), as the creation operators' dimensions.
 */
function repeatCount(types: TensorType[], a: RepeatA): Dim {
  const r = a.repeats as unknown;
  if (Array.isArray(r) && r.length === 1 && r[0] !== null && typeof r[0] === 'object') {
    const dims = resolveShape('repeat', r as AttrValue, types);
    if (dims.length === 1) return dims[0]!;
  }
  const n = Array.isArray(r) && r.length === 1 ? r[0] : r;
  if (!Number.isInteger(n) || (n as number) < 0) throw new OpError('repeat', `repeats must be a non-negative integer, got ${JSON.stringify(a.repeats)}`, types);
  return n as number;
}

function repeatAxis(types: TensorType[], a: RepeatA): number | null {
  repeatCount(types, a);
  if (a.axis === null) return null;
  // numpy reads a 0-d array as 1-d here: np.repeat(np.array(7), 2, axis=0) is [7, 7] (d2l's 0-d valid_len repeated per head), as axis None.
  if (types[0]!.shape.length === 0 && (a.axis === 0 || a.axis === -1)) return null;
  return normAxis('repeat', a.axis, types[0]!.shape.length, types);
}

/**
 * The gradient of a repeat whose count is read when the graph runs (d2l's
 * `valid_lens.repeat(X.shape[1])` exported): `g` reshaped like a tensor of
 * shape `x.shape[:ax+1] + [count] + x.shape[ax+1:]` (`x.shape + [count]`
 * when flattened, `ax` null), made from the shapes when the graph runs, and
 * summed over the count's axis, as the numeric rule's reshape to [.., n, ..].
 */
function repeatGradAtRunTime(F: GradOps, g: GradTensor, x: GradTensor, inputs: GradTensor[], a: RepeatA, ax: number | null, rank: number): GradTensor {
  const e = (a.repeats as unknown as DimEntry[])[0] as Exclude<DimEntry, number>;
  const count = 'tag' in e ? inputs[e.input]! : F.shapeArray(inputs[e.input]!, { begin: e.begin, end: e.end });
  const at = ax === null ? rank : ax + 1;
  const dims = [...(at > 0 ? [F.shapeArray(x, { begin: 0, end: at })] : []), count, ...(at < rank ? [F.shapeArray(x, { begin: at, end: null })] : [])];
  return F.sum(F.reshapeLike(g, F.zeros(dims, { dtype: 'uint8' })), { axis: at });
}

type RepeatSig = Method<(data: Tx, ...rest: PositionalOptions<{ repeats: number; axis?: number | null }, ['repeats', 'axis']>) => Tx>;

/**
 * Repeats each element `repeats` times along `axis` (numpy repeat; axis null
 * flattens first, and so does axis 0 or -1 of a 0-d array, as numpy's). Example: `x.repeat(2, { axis: 1 })` ([[1, 2]] -> [[1, 1, 2, 2]]).
 */
export const repeat: OpDef<RepeatSig, RepeatA> = defineOp<RepeatSig, RepeatA>({
  name: 'repeat',
  inputs: ['data'],
  attrs: { repeats: null, axis: null },
  positional: ['repeats', 'axis'],
  shapeArgs: ['repeats'],
  method: true,
  infer: (types, a) => {
    const ax = repeatAxis(types, a);
    const s = types[0]!.shape;
    const n = repeatCount(types, a);
    if (ax === null) return [{ dtype: types[0]!.dtype, shape: [mulDims([...s, n])] }];
    return [{ dtype: types[0]!.dtype, shape: s.map((d, k) => (k === ax ? mulDims([d, n]) : d)) }];
  },
  lower: (c, a) => {
    let ax = repeatAxis(c.inTypes, a);
    const n = repeatCount(c.inTypes, a);
    let x = c.inputs[0]!;
    let r = c.inTypes[0]!.shape.length;
    if (ax === null) {
      x = c.emit('Reshape', [x, c.ints([-1])])[0]!;
      ax = 0;
      r = 1;
    }
    // No copies: an empty slice of the axis (a Reshape to a shape holding 0 would read the 0 as "keep this dimension").
    if (n === 0) return void c.emit('Slice', [x, c.ints([0]), c.ints([0]), c.ints([ax])], {}, c.outputs);
    // The count at the repeated place, ones elsewhere (read when the graph runs for a symbolic count).
    const counts = (len: number, at: number): string => {
      if (typeof n === 'number') return c.ints(range(len).map((k) => (k === at ? n : 1)));
      const parts = [c.ints(Array<number>(at).fill(1)), shapeValue(c, a.repeats as unknown as AttrValue, [n]), c.ints(Array<number>(len - at - 1).fill(1))];
      return c.emit('Concat', parts.filter((_p, i) => i === 1 || (i === 0 ? at > 0 : len - at - 1 > 0)), { axis: 0 })[0]!;
    };
    const [u] = c.emit('Unsqueeze', [x, c.ints([ax + 1])]);
    const [e] = c.emit('Expand', [u!, counts(r + 1, ax + 1)]);
    const out = c.outTypes[0]!.shape;
    const target = isConcrete(out) ? c.ints(out) : c.emit('Mul', [c.emit('Shape', [x])[0]!, counts(r, ax)])[0]!;
    c.emit('Reshape', [e!, target], {}, c.outputs);
  },
  kernel: ([x], a, [out]) => {
    const ax = repeatAxis([x!], a);
    // A count read from a tensor's shape is the output's size over the input's.
    const n = ax === null ? sizeOf(out!.shape as number[]) / Math.max(sizeOf(x!.shape), 1) : (out!.shape[ax] as number) / Math.max(x!.shape[ax]!, 1);
    if (ax === null) return [gather(x!, out!.shape as number[], (_idx, i) => Math.floor(i / n))];
    const st = stridesOf(x!.shape);
    return [gather(x!, out!.shape as number[], (idx) => {
      let o = 0;
      for (let k = 0; k < idx.length; k++) o += (k === ax ? Math.floor(idx[k]! / n) : idx[k]!) * st[k]!;
      return o;
    })];
  },
  // The repeated axis n*r is split into [n, r] and the copies are summed.
  grad: linearGrad((F, { inputs, inTypes, attrs }, g) => {
    const a = attrs as RepeatA;
    const x = inputs[0]!;
    const ax = repeatAxis(inTypes, a);
    const n = repeatCount(inTypes, a);
    if (n === 0) return F.zerosLike(x);
    if (typeof n !== 'number') return repeatGradAtRunTime(F, g, x, inputs, a, ax, inTypes[0]!.shape.length);
    if (ax === null) return reshapeBack(F, F.sum(F.reshape(g, [-1, n]), { axis: 1 }), x, inTypes[0]!);
    return F.sum(F.reshape(g, [...Array<number>(ax).fill(0), -4, -1, n, -2]), { axis: ax + 1 });
  }),
});

function broadcastToShape(types: TensorType[], target: unknown): Shape {
  if (target === null || target === undefined) throw new OpError('broadcastTo', 'needs a target shape', types);
  const t = ints('broadcastTo', 'shape', target, types);
  const s = types[0]!.shape;
  const bad = (why: string): never => {
    throw new OpError('broadcastTo', `cannot broadcast ${formatShape(s)} to ${formatShape(t)}: ${why}`, types);
  };
  if (t.length < s.length) bad('the target has fewer axes');
  const off = t.length - s.length;
  return t.map((d, k) => {
    const e = k >= off ? s[k - off]! : undefined;
    if (d < 0) bad(`negative size ${d}`);
    if (d === 0) return e ?? bad(`0 (keep) at axis ${k}, which the input does not have`);
    if (e === undefined || e === 1 || typeof e === 'string' || e === d) return d;
    return bad(`axis ${k} has size ${e}, which is neither 1 nor ${d}`);
  });
}

/**
 * A target holding symbolic names (`x.shape[k]` while exporting): a name that
 * is the input's dimension at its axis keeps it (0); any other is an OpError.
 * Example: `[N, 4]` on `[N, 1]` -> `[0, 4]`.
 */
function broadcastNames(a: Attrs & { shape: number[] }, types: TensorType[]): Attrs & { shape: number[] } {
  const t = a.shape as unknown;
  if (!Array.isArray(t) || !t.some((d) => typeof d === 'string')) return a;
  const s = types[0]!.shape;
  const off = t.length - s.length;
  const shape = t.map((d: unknown, k) => {
    if (typeof d !== 'string') return d;
    const e = s[k - off];
    if (e !== undefined && sameDim(e, d)) return 0;
    throw new OpError('broadcastTo', `cannot broadcast ${formatShape(s)} to [${t.join(', ')}]: the symbolic dimension '${d}' at axis ${k} is not the input's dimension there (broadcast like a tensor that has it with F.broadcastLike)`, types);
  });
  return { ...a, shape: shape as number[] };
}

type BroadcastToSig = Method<(data: Tx, shape: number[] | { shape: number[] }) => Tx>;

/**
 * Broadcasts to `shape` (0 keeps the input's dimension; so does a symbolic
 * `x.shape[k]` that is the input's dimension there). Example: `x.broadcastTo([4, 0])` ([1, 3] -> [4, 3]).
 */
export const broadcastTo: OpDef<BroadcastToSig, Attrs & { shape: number[] }> = defineOp<BroadcastToSig, Attrs & { shape: number[] }>({
  name: 'broadcastTo',
  inputs: ['data'],
  attrs: { shape: null },
  positional: ['shape'],
  method: true,
  normalize: broadcastNames,
  redirect: broadcastToSizeOf,
  infer: (types, a) => [{ dtype: types[0]!.dtype, shape: broadcastToShape(types, a.shape) }],
  lower: (c, a) => {
    broadcastToShape(c.inTypes, a.shape);
    // Expand broadcasts both ways, so a 1 keeps the input's dimension.
    c.emit('Expand', [c.inputs[0]!, c.ints(ints('broadcastTo', 'shape', a.shape, c.inTypes).map((d) => (d === 0 ? 1 : d)))], {}, c.outputs);
  },
  kernel: ([x], _a, [out]) => {
    const idx = broadcastIndex(x!.shape, out!.shape as number[]);
    return [gather(x!, out!.shape as number[], (_i, f) => idx[f]!)];
  },
  grad: linearGrad((F, { inputs: [x] }, g) => F.reduceSumLike(g, x!)),
});

type BroadcastLikeA = Attrs & { lhsAxes: number[] | null; rhsAxes: number[] | null };

/** For each lhs axis, the rhs axis its size comes from (or null: kept). */
function likeAxes(types: TensorType[], a: BroadcastLikeA): (number | null)[] {
  const [l, r] = types;
  const lr = l!.shape.length;
  const rr = r!.shape.length;
  const bad = (why: string): never => {
    throw new OpError('broadcastLike', `cannot broadcast ${formatShape(l!.shape)} like ${formatShape(r!.shape)}: ${why}`, types);
  };
  let map: (number | null)[];
  if ((a.lhsAxes === null) !== (a.rhsAxes === null)) bad('give both lhsAxes and rhsAxes, or neither');
  if (a.lhsAxes === null) {
    if (lr !== rr) bad('ranks differ (give lhsAxes and rhsAxes)');
    map = range(lr);
  } else {
    const la = ints('broadcastLike', 'lhsAxes', a.lhsAxes, types).map((x) => normAxis('broadcastLike', x, lr, types));
    const ra = ints('broadcastLike', 'rhsAxes', a.rhsAxes, types).map((x) => normAxis('broadcastLike', x, rr, types));
    if (la.length !== ra.length) bad(`lhsAxes ${JSON.stringify(a.lhsAxes)} and rhsAxes ${JSON.stringify(a.rhsAxes)} differ in length`);
    map = Array<number | null>(lr).fill(null);
    la.forEach((k, i) => (map[k] = ra[i]!));
  }
  map.forEach((j, k) => {
    if (j === null) return;
    const d = l!.shape[k]!;
    const e = r!.shape[j]!;
    if (typeof d === 'number' && typeof e === 'number' && d !== 1 && d !== e) bad(`axis ${k} has size ${d}, which is neither 1 nor ${e}`);
  });
  return map;
}

type BroadcastLikeSig = Method<(lhs: Tx, rhs: Tx, ...rest: PositionalOptions<{ lhsAxes?: number[]; rhsAxes?: number[] }, ['lhsAxes', 'rhsAxes']>) => Tx>;

/**
 * Broadcasts `lhs` to the shape of `rhs` (or only the given axes).
 * Example: `F.broadcastLike(bias, x)`; `F.broadcastLike(a, b, { lhsAxes: [0], rhsAxes: [2] })`.
 */
export const broadcastLike: OpDef<BroadcastLikeSig, BroadcastLikeA> = defineOp<BroadcastLikeSig, BroadcastLikeA>({
  name: 'broadcastLike',
  inputs: ['lhs', 'rhs'],
  attrs: { lhsAxes: null, rhsAxes: null },
  positional: ['lhsAxes', 'rhsAxes'],
  method: true,
  infer: (types, a) => {
    const map = likeAxes(types, a);
    const [l, r] = types;
    return [{ dtype: l!.dtype, shape: l!.shape.map((d, k) => (map[k] === null ? d : d === 1 || typeof d === 'string' ? r!.shape[map[k]!]! : d)) }];
  },
  lower: (c, a) => {
    const map = likeAxes(c.inTypes, a);
    const rs = c.inTypes[1]!.shape;
    // Expand broadcasts both ways: 1 keeps lhs's dimension.
    const dims = map.map((j) => (j === null ? 1 : rs[j]!));
    let target: string;
    if (isConcrete(dims)) target = c.ints(dims);
    else if (a.lhsAxes === null) target = c.emit('Shape', [c.inputs[1]!])[0]!;
    else target = c.emit('Concat', dims.map((d, k) => (typeof d === 'number' ? c.ints([d]) : dimOf(c, c.inputs[1]!, map[k]!))), { axis: 0 })[0]!;
    c.emit('Expand', [c.inputs[0]!, target], {}, c.outputs);
  },
  kernel: ([l], _a, [out]) => {
    const idx = broadcastIndex(l!.shape, out!.shape as number[]);
    return [gather(l!, out!.shape as number[], (_i, f) => idx[f]!)];
  },
  // rhs only lends its shape (MXNet gives it zeros; here: no gradient).
  grad: linearGrad((F, { inputs: [lhs] }, g) => F.reduceSumLike(g, lhs!)),
});

/** The repetition and broadcasting operators by F name. */
export const BROADCAST_OPS = { tile, repeat, broadcastTo, broadcastLike } as const;
