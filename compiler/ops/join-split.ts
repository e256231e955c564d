/**
 * Joining and splitting operators: concat, stack and split (MXNet's
 * `SliceChannel`); each one's gradient is the other direction.
 * Invariant: type rules accept symbolic dimensions (a symbolic dimension
 * yields to a number along the non-joined axes).
 */
import { isFloat } from '../../runtime/dtypes.js';
import { formatShape, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import { type Dim, type Shape, type TensorType } from '../ir/types.js';
import { insertAxis, range } from './shape.js';
import { defineOp, type Method, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { addDims, divDim, normAxis, sameDim } from './dims.js';
import { commonDType } from './elementwise.js';
import { OpError } from './errors.js';
import { requireDim } from './dim-constraints.js';
import { alloc, bool, ints, opaque, typedLike } from './index-ops.js';
import type { GradTensor } from './grad-ops.js';

// ---------------------------------------------------------------- joining and splitting

/** The common shape of inputs except along `skip` (a symbolic dim yields to a number). */
function joinShapes(op: string, types: TensorType[], skip: number | null): Shape {
  const r = types[0]!.shape.length;
  if (types.some((t) => t.shape.length !== r)) {
    throw new OpError(op, `inputs have different ranks: ${types.map((t) => formatShape(t.shape)).join(', ')}`, types);
  }
  const shape = [...types[0]!.shape];
  for (const t of types.slice(1)) {
    t.shape.forEach((d, k) => {
      if (k === skip) return;
      const e = shape[k]!;
      if (sameDim(d, e)) return;
      if (typeof d === 'number' && typeof e === 'number') {
        throw new OpError(op, `shapes ${types.map((x) => formatShape(x.shape)).join(', ')} differ in axis ${k}${skip === null ? '' : ` (only axis ${skip} may differ)`}`, types);
      }
      if (typeof d === 'number') shape[k] = d;
    });
  }
  return shape;
}

/** Fills a parameter's unknown (0) dimensions from the other inputs, except along `skip`. */
function solveJoin(types: TensorType[], skip: (r: number) => number | null): (Shape | undefined)[] {
  return types.map((t) => {
    if (!t.shape.includes(0)) return undefined;
    const sk = skip(t.shape.length);
    return t.shape.map((d, k) => {
      if (d !== 0 || k === sk) return d;
      for (const o of types) if (o !== t && o.shape.length === t.shape.length && o.shape[k] !== 0) return o.shape[k]!;
      return 0;
    });
  });
}

/** Copies contiguous blocks: input `j` contributes `chunk[j]` elements per each of `outer` rows. */
function interleave(ins: HostTensor[], out: TensorType, outer: number, chunk: number[]): HostTensor {
  const o = alloc(out.dtype, out.shape as number[]);
  const dst = o.data as unknown as Float64Array;
  let pos = 0;
  for (let r = 0; r < outer; r++) {
    ins.forEach((t, j) => {
      const c = chunk[j]!;
      dst.set((t.data as unknown as Float64Array).subarray(r * c, r * c + c), pos);
      pos += c;
    });
  }
  return o;
}

const prod = (xs: readonly number[]): number => xs.reduce((p, x) => p * x, 1);

type ConcatA = Attrs & { dim: number };

type ConcatSig = (...args: Tx[] | [...Tx[], { dim?: number }]) => Tx;

/**
 * Joins inputs along an existing axis (`dim`, MXNet's default 1).
 * Example: `F.concat(a, b, { dim: 0 })`.
 */
export const concat: OpDef<ConcatSig, ConcatA> = defineOp<ConcatSig, ConcatA>({
  name: 'concat',
  inputs: ['...data'],
  attrs: { dim: 1 },
  infer: (types, a) => {
    const dtype = commonDType('concat', types);
    const r = types[0]!.shape.length;
    if (r === 0) throw new OpError('concat', 'cannot join 0-d inputs (use stack)', types);
    const ax = normAxis('concat', a.dim, r, types);
    const shape = joinShapes('concat', types, ax);
    shape[ax] = types.map((t) => t.shape[ax]!).reduce((x, y) => addDims(x, y));
    return [{ dtype, shape }];
  },
  solve: (types, a) => solveJoin(types, (r) => (a.dim < 0 ? a.dim + r : a.dim)),
  lower: (c, a) => void c.emit('Concat', c.inputs, { axis: normAxis('concat', a.dim, c.inTypes[0]!.shape.length) }, c.outputs),
  kernel: (ins, a, [out]) => {
    const ax = normAxis('concat', a.dim, ins[0]!.shape.length);
    return [interleave(ins, out!, prod(ins[0]!.shape.slice(0, ax)), ins.map((t) => prod(t.shape.slice(ax))))];
  },
  // Each input gets its band of g. Offsets are counted from the front up to the one input
  // whose size along the axis may be symbolic, and from the back after it.
  grad: (F, { inputs, inTypes, attrs }, [g]) => {
    if (!g) return inTypes.map(() => null);
    const ax = normAxis('concat', attrs.dim as number, inTypes[0]!.shape.length);
    const sizes = inTypes.map((t) => t.shape[ax]!);
    const open = sizes.flatMap((d, i) => (typeof d === 'number' ? [] : [i]));
    if (open.length > 1) {
      // Bands whose bounds are known only at run time: each one gathered at its positions
      // arange(size_i) + (size_0 + ... + size_{i-1}), the sizes read from the inputs.
      let offset: GradTensor | null = null;
      return inTypes.map((t, i) => {
        const size = F.shapeArray(inputs[i]!, { axis: ax });
        const local = F.arange(size, null, { dtype: 'int64' });
        const band = F.take(g, offset ? F.add(local, offset) : local, { axis: ax });
        offset = offset ? F.add(offset, size) : size;
        return isFloat(t.dtype) ? typedLike(F, band, inputs[i]!, t) : null;
      });
    }
    const k = open.length ? open[0]! : sizes.length;
    const total = (from: number, to: number) => (sizes.slice(from, to) as number[]).reduce((x, y) => x + y, 0);
    return inTypes.map((t, i) => {
      if (!isFloat(t.dtype)) return null;
      if (sizes.length === 1) return g;
      const begin = i <= k ? total(0, i) : -total(i, sizes.length);
      const after = i >= k ? total(i + 1, sizes.length) : null;
      const end = after === null ? total(0, i + 1) : after > 0 ? -after : null;
      return typedLike(F, F.sliceAxis(g, { axis: ax, begin, end }), inputs[i]!, t);
    });
  },
});

type StackA = Attrs & { axis: number };

type StackSig = (...args: Tx[] | [...Tx[], { axis?: number }]) => Tx;

/**
 * Joins same-shaped inputs along a new axis. Example: `F.stack(a, b, { axis: 1 })`.
 */
export const stack: OpDef<StackSig, StackA> = defineOp<StackSig, StackA>({
  name: 'stack',
  inputs: ['...data'],
  attrs: { axis: 0 },
  infer: (types, a) => {
    const dtype = commonDType('stack', types);
    const shape = joinShapes('stack', types, null);
    shape.splice(insertAxis('stack', a.axis, shape.length, types), 0, types.length);
    return [{ dtype, shape }];
  },
  solve: (types) => solveJoin(types, () => null),
  lower: (c, a) => {
    const ax = c.ints([insertAxis('stack', a.axis, c.inTypes[0]!.shape.length)]);
    const parts = c.inputs.map((x) => c.emit('Unsqueeze', [x, ax])[0]!);
    c.emit('Concat', parts, { axis: insertAxis('stack', a.axis, c.inTypes[0]!.shape.length) }, c.outputs);
  },
  kernel: (ins, a, [out]) => {
    const ax = insertAxis('stack', a.axis, ins[0]!.shape.length);
    return [interleave(ins, out!, prod(ins[0]!.shape.slice(0, ax)), ins.map((t) => prod(t.shape.slice(ax))))];
  },
  grad: (F, { inTypes, attrs }, [g]) => {
    if (!g) return inTypes.map(() => null);
    const ax = insertAxis('stack', attrs.axis as number, inTypes[0]!.shape.length);
    const parts = F.split(g, { numOutputs: inTypes.length, axis: ax, squeezeAxis: true });
    return inTypes.map((t, i) => (isFloat(t.dtype) ? parts[i]! : null));
  },
});

type SplitA = Attrs & { numOutputs: number; axis: number; squeezeAxis: boolean };

function splitPlan(types: TensorType[], a: SplitA): { ax: number; part: Dim } {
  const t = types[0]!;
  if (!Number.isInteger(a.numOutputs) || a.numOutputs < 1) throw new OpError('split', `numOutputs must be a positive integer, got ${JSON.stringify(a.numOutputs)}`, types);
  const ax = normAxis('split', a.axis, t.shape.length, types);
  bool('split', 'squeezeAxis', a.squeezeAxis, types);
  const d = t.shape[ax]!;
  requireDim({
    op: 'split', dim: d, cmp: 'multipleOf', value: a.numOutputs, types,
    why: `axis ${ax} splits into ${a.numOutputs} equal parts`,
    fail: (v) => `axis ${ax} of size ${v} does not split into ${a.numOutputs} equal parts`,
  });
  const part = divDim(d, a.numOutputs) ?? opaque(`${d}/${a.numOutputs}`);
  if (a.squeezeAxis && typeof part === 'number' && part !== 1) {
    throw new OpError('split', `squeezeAxis needs parts of size 1, but axis ${ax} gives parts of ${part}`, types);
  }
  return { ax, part };
}

type SplitSig = Method<(data: Tx, ...rest: PositionalOptions<{ numOutputs: number; axis?: number; squeezeAxis?: boolean }, ['numOutputs', 'axis', 'squeezeAxis']>) => Tx[]>;

/**
 * Splits into `numOutputs` equal parts along `axis` (MXNet's default 1),
 * optionally dropping that axis; returns a list.
 * Example: `const [a, b] = F.split(x, { numOutputs: 2 })`.
 */
export const split: OpDef<SplitSig, SplitA> = defineOp<SplitSig, SplitA>({
  name: 'split',
  inputs: ['data'],
  attrs: { numOutputs: null, axis: 1, squeezeAxis: false },
  positional: ['numOutputs', 'axis', 'squeezeAxis'],
  method: true,
  multiOutput: true,
  infer: (types, a) => {
    const { ax, part } = splitPlan(types, a);
    const shape = [...types[0]!.shape];
    if (a.squeezeAxis) shape.splice(ax, 1);
    else shape[ax] = part;
    return range(a.numOutputs).map(() => ({ dtype: types[0]!.dtype, shape: [...shape] }));
  },
  lower: (c, a) => {
    const { ax } = splitPlan(c.inTypes, a);
    // A symbolic axis gets explicit equal sizes (its length / numOutputs each), so a length that does not
    // divide is an error at run time, as eagerly, not the smaller last part of Split's num_outputs (opset 18+).
    const x = c.inputs[0]!;
    const n = a.numOutputs;
    const sized = typeof c.inTypes[0]!.shape[ax] !== 'number';
    const part = sized ? c.emit('Div', [c.emit('Shape', [x], { start: ax, end: ax + 1 })[0]!, c.ints([n])])[0]! : '';
    const ins = sized ? [x, c.emit('Expand', [part, c.ints([n])])[0]!] : [x];
    const at = sized ? { axis: ax } : { axis: ax, num_outputs: n };
    if (!a.squeezeAxis) return void c.emit('Split', ins, at, c.outputs);
    const parts = c.emit('Split', ins, at, n);
    parts.forEach((p, i) => c.emit('Squeeze', [p, c.ints([ax])], {}, [c.outputs[i]!]));
  },
  kernel: ([x], a, outs) => {
    const ax = normAxis('split', a.axis, x!.shape.length);
    const outer = prod(x!.shape.slice(0, ax));
    const whole = prod(x!.shape.slice(ax));
    const c = whole / a.numOutputs;
    const src = x!.data as unknown as Float64Array;
    return outs.map((t, j) => {
      const o = alloc(t.dtype, t.shape as number[]);
      for (let r = 0; r < outer; r++) (o.data as unknown as Float64Array).set(src.subarray(r * whole + j * c, r * whole + j * c + c), r * c);
      return o;
    });
  },
  // The parts' gradients joined back (zeros for parts without one).
  grad: (F, { outputs, inTypes, attrs }, gs) => {
    if (!isFloat(inTypes[0]!.dtype) || gs.every((g) => !g)) return [null];
    const { ax } = splitPlan(inTypes, attrs as SplitA);
    const parts = gs.map((g, j) => {
      const p = g ?? F.zerosLike(outputs[j]!);
      return attrs.squeezeAxis ? F.expandDims(p, ax) : p;
    });
    return [parts.length === 1 ? parts[0]! : F.concat(...parts, { dim: ax })];
  },
});

/** The joining and splitting operators by F name. */
export const JOIN_SPLIT_OPS = { concat, Concat: concat, stack, split, SliceChannel: split } as const;
