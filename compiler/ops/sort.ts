/**
 * Ordering operators: topk, sort and argsort, with MXNet's options
 * (`axis`, null to work on the flattened tensor; `k`, below 1 for the whole
 * axis; `retTyp` 'value' | 'indices' | 'both' | 'mask'; `isAscend`; `dtype`
 * of the indices, float32 by default as in MXNet 1.x).
 * Invariants: equal values keep their order (the lower index first, in both
 * directions: ONNX TopK's rule; MXNet's CPU sort leaves ties unspecified);
 * where NaN lands is unspecified (ONNX leaves it open; the kernel puts NaN last). Lowerings read only the rank, so a
 * symbolic sorted axis works when `k` is given (and always for sort/argsort).
 */
import { isDType, isFloat, onnxDType as onnxTo } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { DType, Dim, Shape, TensorType } from '../ir/types.js';
import { defineOp, type GradRule, type LowerCtx, type Method, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { mulDims, normAxis } from './dims.js';
import { OpError } from './errors.js';
import { alloc, dimOf } from './index-ops.js';
import { fromF64, toF64 } from './kernels.js';
import type { GradOps, GradTensor } from './grad-ops.js';

/** What topk returns. */
export type RetTyp = 'value' | 'indices' | 'both' | 'mask';

/** Options of topk (MXNet's, camelCase). */
export interface TopkOptions {
  axis?: number | null;
  k?: number;
  retTyp?: RetTyp;
  isAscend?: boolean;
  dtype?: DType;
}

type TopkA = Attrs & { axis: number | null; k: number; retTyp: RetTyp; isAscend: boolean; dtype: DType };

const RET_TYPS: RetTyp[] = ['value', 'indices', 'both', 'mask'];
const INDEX_DTYPES: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'uint8'];
/** Dtypes onnxruntime's TopK takes directly; the others are sorted as float32 (exactly). */
const TOPK_DIRECT: DType[] = ['float32', 'float64', 'int32', 'int64'];

interface Plan {
  /** The sorted axis (of the flattened tensor when `flat`). */
  ax: number;
  flat: boolean;
  /** The sorted axis' length. */
  n: Dim;
  /** How many are kept. */
  k: Dim;
}

function plan(op: string, types: TensorType[], a: TopkA): Plan {
  const t = types[0]!;
  if (t.dtype === 'bool') throw new OpError(op, 'cannot order bool values (cast them first)', types);
  if (!RET_TYPS.includes(a.retTyp)) throw new OpError(op, `retTyp must be one of ${RET_TYPS.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(a.retTyp)}`, types);
  if (typeof a.isAscend !== 'boolean') throw new OpError(op, `option 'isAscend' must be a boolean, got ${JSON.stringify(a.isAscend)}`, types);
  if (!isDType(a.dtype) || !INDEX_DTYPES.includes(a.dtype)) throw new OpError(op, `dtype of the indices must be one of ${INDEX_DTYPES.join(', ')}, got ${JSON.stringify(a.dtype)}`, types);
  if (!Number.isInteger(a.k)) throw new OpError(op, `k must be an integer (below 1: the whole axis), got ${JSON.stringify(a.k)}`, types);
  const flat = a.axis === null;
  if (!flat && t.shape.length === 0) throw new OpError(op, `axis ${a.axis} is out of range for rank 0 (use axis null)`, types);
  const ax = flat ? 0 : normAxis(op, a.axis as number, t.shape.length, types);
  const n = flat ? mulDims(t.shape) : t.shape[ax]!;
  if (typeof n === 'number' && a.k > n) throw new OpError(op, `k = ${a.k} exceeds the ${n} elements of ${flat ? 'the flattened input' : `axis ${ax}`}`, types);
  return { ax, flat, n, k: a.k >= 1 ? a.k : n };
}

function selectedShape(t: TensorType, p: Plan): Shape {
  if (p.flat) return [p.k];
  return t.shape.map((d, i) => (i === p.ax ? p.k : d));
}

function inferTopk(op: string, types: TensorType[], a: TopkA): TensorType[] {
  const t = types[0]!;
  const p = plan(op, types, a);
  const s = selectedShape(t, p);
  const values = { dtype: t.dtype, shape: s };
  const indices = { dtype: a.dtype, shape: [...s] };
  if (a.retTyp === 'value') return [values];
  if (a.retTyp === 'indices') return [indices];
  if (a.retTyp === 'both') return [values, indices];
  return [{ dtype: t.dtype, shape: [...t.shape] }];
}

/**
 * Emits ONNX TopK of `x` (of `shape`) along `axis` (>= 0); returns [values,
 * int64 indices]. onnxruntime 1.30's TopK stops the process (SIGFPE) on an
 * input with 0 elements whose own axis is not empty ([0, 4]): every other
 * axis whose size is not known to be > 0 gets one padded entry, cut off
 * after. Example: `emitTopK(c, x, k, ['N', 5], { axis: 1, largest: 1 })`.
 */
export function emitTopK(c: LowerCtx, x: string, k: string, shape: Shape, attrs: { axis: number; largest: 0 | 1 }): [string, string] {
  const a = { ...attrs, sorted: 1 };
  const guard = shape.map((_d, i) => i).filter((i) => i !== attrs.axis && !(typeof shape[i] === 'number' && (shape[i] as number) > 0));
  if (!guard.length) return c.emit('TopK', [x, k], a, 2) as [string, string];
  const pads = [...shape.map(() => 0), ...shape.map((_d, i) => (guard.includes(i) ? 1 : 0))];
  const padded = c.emit('Pad', [x, c.ints(pads)])[0]!;
  const ends = c.emit('Concat', guard.map((i) => c.emit('Shape', [x], { start: i, end: i + 1 })[0]!), { axis: 0 })[0]!;
  return c.emit('TopK', [padded, k], a, 2).map((t) => c.emit('Slice', [t, c.ints(guard.map(() => 0)), ends, c.ints(guard)])[0]!) as [string, string];
}

/** Emits TopK; returns [values, int64 indices, the sorted input, its axis]. */
function emitTopk(c: LowerCtx, p: Plan, ascend: boolean): { values: string; indices: string; x: string } {
  const t = c.inTypes[0]!;
  let x = c.inputs[0]!;
  if (p.flat) x = c.emit('Reshape', [x, c.ints([-1])])[0]!;
  const direct = TOPK_DIRECT.includes(t.dtype);
  const xs = direct ? x : c.emit('Cast', [x], { to: onnxTo('float32') })[0]!;
  const k = typeof p.k === 'number' ? c.ints([p.k]) : dimOf(c, xs, p.ax);
  const [v, i] = emitTopK(c, xs, k, p.flat ? [p.n] : t.shape, { axis: p.ax, largest: ascend ? 0 : 1 });
  const values = direct ? v! : c.emit('Cast', [v!], { to: onnxTo(t.dtype) })[0]!;
  return { values, indices: i!, x };
}

/** Casts int64 indices to `dtype` into `out` (or a fresh name). */
function castIndices(c: LowerCtx, i: string, dtype: DType, out?: string): string {
  if (dtype === 'int64') return out ? c.emit('Identity', [i], {}, [out])[0]! : i;
  return c.emit('Cast', [i], { to: onnxTo(dtype) }, out ? [out] : undefined)[0]!;
}

function lowerTopk(op: string, c: LowerCtx, a: TopkA): void {
  const p = plan(op, c.inTypes, a);
  const t = c.inTypes[0]!;
  const { values, indices, x } = emitTopk(c, p, a.isAscend);
  if (a.retTyp === 'value') return void c.emit('Identity', [values], {}, c.outputs);
  if (a.retTyp === 'indices') return void castIndices(c, indices, a.dtype, c.outputs[0]);
  if (a.retTyp === 'both') {
    c.emit('Identity', [values], {}, [c.outputs[0]!]);
    return void castIndices(c, indices, a.dtype, c.outputs[1]);
  }
  // mask: ones scattered at the selected positions of zeros shaped like the (flattened) input.
  const one = (v: number) => ({ tensor: { dtype: t.dtype, shape: [1], data: fromF64({ dtype: t.dtype, shape: [1] }, Float64Array.of(v)).data } });
  const [zeros] = c.emit('ConstantOfShape', [c.emit('Shape', [x])[0]!], { value: one(0) });
  const [ones] = c.emit('ConstantOfShape', [c.emit('Shape', [indices])[0]!], { value: one(1) });
  if (!p.flat) return void c.emit('ScatterElements', [zeros!, indices, ones!], { axis: p.ax }, c.outputs);
  const [m] = c.emit('ScatterElements', [zeros!, indices, ones!], { axis: 0 });
  c.emit('Reshape', [m!, c.emit('Shape', [c.inputs[0]!])[0]!], {}, c.outputs);
}

/** The TypeScript kernel: a stable sort of every line along the axis. */
function kernelTopk(op: string, x: HostTensor, a: TopkA, outs: TensorType[]): HostTensor[] {
  const p = plan(op, [x], a);
  const vals = toF64(x);
  const shape = p.flat ? [vals.length] : x.shape;
  const n = shape[p.ax]!;
  const k = p.k as number;
  const outer = sizeOf(shape.slice(0, p.ax));
  const inner = sizeOf(shape.slice(p.ax + 1));
  const sign = a.isAscend ? 1 : -1;
  const order = new Int32Array(outer * k * inner);
  const line = Array.from({ length: n }, (_v, j) => j);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const at = (j: number) => vals[base + j * inner]!;
      for (let j = 0; j < n; j++) line[j] = j;
      // Array.prototype.sort is stable: ties keep the lower index first. NaN goes last.
      line.sort((u, v) => {
        const a = at(u);
        const b = at(v);
        const na = Number.isNaN(a);
        const nb = Number.isNaN(b);
        if (na || nb) return na === nb ? 0 : na ? 1 : -1;
        return sign * (a - b);
      });
      for (let j = 0; j < k; j++) order[o * k * inner + j * inner + i] = line[j]!;
    }
  }
  const srcOf = (f: number) => {
    const i = f % inner;
    const o = Math.floor(f / (k * inner));
    return o * n * inner + order[f]! * inner + i;
  };
  const values = (type: TensorType) => {
    const out = alloc(type.dtype, type.shape as number[]);
    const d = x.data as unknown as (number | bigint)[];
    const od = out.data as unknown as (number | bigint)[];
    for (let f = 0; f < order.length; f++) od[f] = d[srcOf(f)]!;
    return out;
  };
  const indices = (type: TensorType) => fromF64(type, Float64Array.from(order));
  if (a.retTyp === 'value') return [values(outs[0]!)];
  if (a.retTyp === 'indices') return [indices(outs[0]!)];
  if (a.retTyp === 'both') return [values(outs[0]!), indices(outs[1]!)];
  const mask = new Float64Array(vals.length);
  for (let f = 0; f < order.length; f++) mask[srcOf(f)] = 1;
  return [fromF64(outs[0]!, mask)];
}

/**
 * The gradient of selected values `g` (shaped like the selection) put back
 * at the positions `idx` they came from, zeros elsewhere: the one-hot
 * encoding of the indices weighted by `g`, summed over the selection.
 */
function scatterBack(op: string, F: GradOps, g: GradTensor, idx: GradTensor, x: GradTensor, t: TensorType, p: Plan): GradTensor {
  if (typeof p.n !== 'number') throw new OpError(op, `cannot differentiate: the gradient needs the size of the sorted axis, which is symbolic (${p.n})`, [t]);
  const oh = F.oneHot(idx, p.n, { dtype: t.dtype });
  const spread = F.sum(F.mul(F.expandDims(g, -1), oh), { axis: p.ax });
  if (p.flat) return F.reshapeLike(spread, x);
  const r = t.shape.length;
  const perm = [...Array(p.ax).keys(), r - 1, ...Array.from({ length: r - 1 - p.ax }, (_v, i) => p.ax + i)];
  return r === 1 ? spread : F.transpose(spread, perm);
}

function gradTopk(op: string): GradRule {
  return (F, { inputs: [x], outputs, inTypes, attrs }, gs) => {
    const t = inTypes[0]!;
    const a = attrs as TopkA;
    if (!isFloat(t.dtype)) return [null];
    // Indices and masks are piecewise constant: zeros (as MXNet's).
    if ((a.retTyp !== 'value' && a.retTyp !== 'both') || !gs[0]) return [F.zerosLike(x!)];
    const p = plan(op, inTypes, a);
    const idx = a.retTyp === 'both' ? outputs[1]! : F.topk(x!, { axis: a.axis, k: a.k, retTyp: 'indices', isAscend: a.isAscend, dtype: 'int64' });
    return [scatterBack(op, F, gs[0], idx as GradTensor, x!, t, p)];
  };
}

type TopkSig = Method<(data: Tx, ...rest: PositionalOptions<TopkOptions, ['axis', 'k', 'retTyp', 'isAscend', 'dtype']>) => Tx | Tx[]>;

/**
 * topk on tensors `T`, typed by its `retTyp` (what the OpsOf/MethodsOf of
 * every backend and npx.topk use in place of the bound TopkSig): the list
 * `[values, indices]` for 'both', one array for 'indices' (the default),
 * 'value' and 'mask'; a retTyp known only at run time gives `T | T[]`.
 * `Pre` is what comes before the options: `[data: T]`, or nothing for the
 * method `x.topk(...)`.
 *
 * ```ts
 * const [v, i] = nd.topk(x, { k: 2, retTyp: 'both' });   // NDArray[]
 * nd.topk(x, { k: 2 }).toArray();                        // one NDArray
 * ```
 */
export type TopkOf<T, Pre extends unknown[] = [data: T]> = {
  // Methods, whose parameters TypeScript compares both ways (as Bind's), so F's topk on NDArray or Symbol is also one on Tensor.
  op(...a: [...Pre, options: TopkOptions & { retTyp: 'both' }]): T[];
  op(...a: [...Pre, axis: number | null, k: number, retTyp: 'both', isAscend?: boolean, dtype?: DType]): T[];
  op(...a: [...Pre, options?: TopkOptions & { retTyp?: Exclude<RetTyp, 'both'> }]): T;
  op(...a: [...Pre, axis: number | null, k?: number, retTyp?: Exclude<RetTyp, 'both'>, isAscend?: boolean, dtype?: DType]): T;
  op(...a: [...Pre, ...rest: PositionalOptions<TopkOptions, ['axis', 'k', 'retTyp', 'isAscend', 'dtype']>]): T | T[];
}['op'];

/**
 * The `k` largest (or smallest, `isAscend`) elements along `axis`, as
 * MXNet's `topk`: their indices (the default, float32), values, both (a
 * list `[values, indices]`) or a 0/1 mask shaped like the input.
 *
 * ```ts
 * nd.topk(nd.array([[3, 1, 2]]), { k: 2 });                      // [[0, 2]]
 * const [v, i] = nd.topk(x, { k: 2, retTyp: 'both' });           // typed by retTyp (TopkOf)
 * ```
 */
export const topk: OpDef<TopkSig, TopkA> = defineOp<TopkSig, TopkA>({
  name: 'topk',
  inputs: ['data'],
  attrs: { axis: -1, k: 1, retTyp: 'indices', isAscend: false, dtype: 'float32' },
  positional: ['axis', 'k', 'retTyp', 'isAscend', 'dtype'],
  method: true,
  multiOutput: (a) => (a.retTyp === 'both' ? 2 : 1),
  infer: (types, a) => inferTopk('topk', types, a),
  lower: (c, a) => lowerTopk('topk', c, a),
  kernel: ([x], a, outs) => kernelTopk('topk', x!, a, outs),
  grad: gradTopk('topk'),
});

type SortA = Attrs & { axis: number | null; isAscend: boolean };
type ArgsortA = SortA & { dtype: DType };

const asTopk = (a: SortA, retTyp: RetTyp, dtype: DType = 'float32'): TopkA => ({ axis: a.axis, k: 0, retTyp, isAscend: a.isAscend, dtype });

type SortSig = Method<(data: Tx, ...rest: PositionalOptions<{ axis?: number | null; isAscend?: boolean }, ['axis', 'isAscend']>) => Tx>;

/**
 * The elements sorted along `axis` (ascending unless `isAscend: false`;
 * null sorts the flattened tensor), as MXNet's `sort`.
 *
 * ```ts
 * nd.sort(nd.array([[3, 1, 2]])); // [[1, 2, 3]]
 * ```
 */
export const sort: OpDef<SortSig, SortA> = defineOp<SortSig, SortA>({
  name: 'sort',
  inputs: ['data'],
  attrs: { axis: -1, isAscend: true },
  positional: ['axis', 'isAscend'],
  method: true,
  infer: (types, a) => inferTopk('sort', types, asTopk(a, 'value')),
  lower: (c, a) => lowerTopk('sort', c, asTopk(a, 'value')),
  kernel: ([x], a, outs) => kernelTopk('sort', x!, asTopk(a, 'value'), outs),
  grad: (F, ctx, gs) => gradTopk('sort')(F, { ...ctx, attrs: asTopk(ctx.attrs as SortA, 'value') }, gs),
});

type ArgsortSig = Method<(data: Tx, ...rest: PositionalOptions<{ axis?: number | null; isAscend?: boolean; dtype?: DType }, ['axis', 'isAscend', 'dtype']>) => Tx>;

/**
 * The indices that sort `data` along `axis` (float32 unless `dtype` says
 * otherwise; equal values keep their order), as MXNet's `argsort`.
 *
 * ```ts
 * nd.argsort(nd.array([3, 1, 2])); // [1, 2, 0]
 * ```
 */
export const argsort: OpDef<ArgsortSig, ArgsortA> = defineOp<ArgsortSig, ArgsortA>({
  name: 'argsort',
  inputs: ['data'],
  attrs: { axis: -1, isAscend: true, dtype: 'float32' },
  positional: ['axis', 'isAscend', 'dtype'],
  method: true,
  infer: (types, a) => inferTopk('argsort', types, asTopk(a, 'indices', a.dtype)),
  lower: (c, a) => lowerTopk('argsort', c, asTopk(a, 'indices', a.dtype)),
  kernel: ([x], a, outs) => kernelTopk('argsort', x!, asTopk(a, 'indices', a.dtype), outs),
  // Piecewise constant: zeros, as MXNet's.
  grad: (F, { inputs: [x], inTypes }) => [isFloat(inTypes[0]!.dtype) ? F.zerosLike(x!) : null],
});

/** The ordering operators, by F name. */
export const SORT_OPS = { topk, sort, argsort } as const;
