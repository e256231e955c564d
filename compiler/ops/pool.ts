/**
 * Pooling (MXNet's `Pooling`: max, average, sum, lp; global; valid or full
 * convention) on channel-first layouts NCW/NCHW/NCDHW, and the two operators
 * its gradient is built from: `poolingGrad` (the adjoint of pooling in the
 * data) and `poolingPick` (the adjoint of `poolingGrad`).
 * Invariants: lowerings depend only on ranks; float64 runs in float32 inside
 * onnxruntime (small tensors take the float64 TypeScript kernels).
 */
import type { DType } from '../../runtime/dtypes.js';
import { isFloat, onnxDType } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import { isConcrete, type Shape, type TensorType } from '../ir/types.js';
import { checkRank, compatible, FLOATS, fmt, inFloat32, offset, spatial } from './conv.js';
import { defineOp, type LowerCtx, type OnnxAttr, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import { requireDim } from './dim-constraints.js';
import { fromF64, toF64 } from './kernels.js';

// ---------------------------------------------------------------- Pooling

type PoolAttrs = Attrs & {
  kernel: number[] | null;
  poolType: string;
  globalPool: boolean;
  stride: number[] | null;
  pad: number[] | null;
  poolingConvention: string;
  countIncludePad: boolean;
  layout: string | null;
};

/** The options of `Pooling`. */
export interface PoolOptions {
  kernel?: number[];
  poolType?: 'max' | 'avg' | 'sum';
  globalPool?: boolean;
  stride?: number[];
  pad?: number[];
  poolingConvention?: 'valid' | 'full';
  countIncludePad?: boolean;
  layout?: 'NCW' | 'NCHW' | 'NCDHW';
  cudnnOff?: boolean;
  /** MXNet's `p_value` of Lp pooling (poolType 'lp', not supported): accepted null (its positional place), any other value is refused. */
  pValue?: number | null;
}

/** MXNet 1.x's positional order of Pooling's options (PoolingParam's fields, pooling-inl.h); MXNet 2's npx.pooling has its own (npx.ts). */
export const POOL_POSITIONAL = ['kernel', 'poolType', 'globalPool', 'cudnnOff', 'poolingConvention', 'stride', 'pad', 'pValue', 'countIncludePad', 'layout'] as const;

interface PoolGeom {
  kernel: number[];
  stride: number[];
  pad: number[];
  out: Shape;
}

function poolGeom(types: TensorType[], a: PoolAttrs): PoolGeom {
  const op = 'Pooling';
  const nd = checkRank(op, types, a.layout);
  const xs = types[0]!.shape;
  if (a['pValue'] !== null && a['pValue'] !== undefined) throw new OpError(op, `pValue applies to Lp pooling (poolType 'lp'), which is not supported (max, avg, sum); got pValue ${JSON.stringify(a['pValue'])}`, types);
  if (!['max', 'avg', 'sum'].includes(a.poolType)) throw new OpError(op, `poolType ${JSON.stringify(a.poolType)} is not supported (max, avg, sum)`, types);
  if (!['valid', 'full'].includes(a.poolingConvention)) {
    throw new OpError(op, `poolingConvention ${JSON.stringify(a.poolingConvention)} is not supported (valid, full)`, types);
  }
  if (a.globalPool) return { kernel: [], stride: [], pad: [], out: [xs[0]!, xs[1]!, ...new Array<number>(nd).fill(1)] };
  if (a.kernel === null || a.kernel === undefined) throw new OpError(op, 'needs a kernel (or globalPool: true)', types);
  const kernel = spatial(op, 'kernel', a.kernel, nd, 1, 1, types);
  const stride = spatial(op, 'stride', a.stride, nd, 1, 1, types);
  const pad = spatial(op, 'pad', a.pad, nd, 0, 0, types);
  const full = a.poolingConvention === 'full';
  const out: Shape = [xs[0]!, xs[1]!];
  for (let i = 0; i < nd; i++) {
    const [d, k, s, p] = [xs[2 + i]!, kernel[i]!, stride[i]!, pad[i]!];
    if (p >= k) throw new OpError(op, `pad ${fmt(pad)} must be smaller than kernel ${fmt(kernel)}`, types);
    requireDim({
      op, label: `Pooling (${a.poolType})`, dim: offset(d, 2 * p), cmp: '>=', value: k, types,
      why: `kernel ${fmt(kernel)} must fit the input${p ? ` padded by ${p} on each side` : ''} along spatial axis ${i}`,
      fail: () => `kernel ${fmt(kernel)} is larger than the padded input along spatial axis ${i} (data ${fmt(xs)}, pad ${fmt(pad)})`,
    });
    if (typeof d !== 'number') {
      // 'full' with s > k - p: ceil((d + 2p - k)/s) + 1 >= ceil((d + p)/s), and dropping the windows that start in
      // the end padding (below) leaves exactly the ceil((d + p)/s) that start before it; otherwise none is dropped.
      if (full && s > k - p) out.push(`(ceil((${d}${p ? `+${p}` : ''})/${s}))`);
      else out.push(s === 1 ? offset(d, 2 * p - k + 1) : `(${full ? 'ceil' : 'floor'}((${d}${2 * p - k >= 0 ? '+' : ''}${2 * p - k})/${s})+1)`);
      continue;
    }
    let o = (full ? Math.ceil((d + 2 * p - k) / s) : Math.floor((d + 2 * p - k) / s)) + 1;
    // onnxruntime drops a last 'full' window that would start in the end padding (MXNet would fill it with -inf or 0).
    if (full && (o - 1) * s - p >= d) o--;
    out.push(o);
  }
  return { kernel, stride, pad, out };
}

const POOL_ATTRS = {
  kernel: null, poolType: 'max', globalPool: false, stride: null, pad: null, poolingConvention: 'valid', countIncludePad: true,
  layout: null, cudnnOff: false, pValue: null,
};

type PoolSig = (data: Tx, ...rest: PositionalOptions<PoolOptions, [...typeof POOL_POSITIONAL]>) => Tx;

/**
 * MXNet `Pooling` (1-D, 2-D, 3-D): `poolType` max/avg/sum over windows of
 * `kernel`, or over the whole spatial extent with `globalPool`;
 * `poolingConvention: 'full'` rounds the output size up.
 * Example: `F.Pooling(x, { kernel: [2, 2], stride: [2, 2], poolType: 'max' })`.
 */
export const Pooling: OpDef<PoolSig, PoolAttrs> = defineOp<PoolSig, PoolAttrs>({
  name: 'Pooling',
  opsetNote: "sum with 'full' convention: LpPool from 18; below, Pad + AveragePool",
  inputs: ['data'],
  attrs: POOL_ATTRS,
  positional: [...POOL_POSITIONAL],
  infer: (types, a) => [{ dtype: commonDType('Pooling', types, FLOATS), shape: poolGeom(types, a).out }],
  lower: (c, a) => {
    const g = poolGeom(c.inTypes, a);
    const x = c.inputs[0]!;
    const d = c.inTypes[0]!.dtype;
    const rank = c.inTypes[0]!.shape.length;
    if (a.globalPool) {
      const axes = (): string => c.ints([...Array(rank).keys()].slice(2));
      if (a.poolType === 'sum') return void c.emit('ReduceSum', [x, axes()], { keepdims: 1 }, c.outputs);
      if (d === 'float64') return void c.emit(a.poolType === 'max' ? 'ReduceMax' : 'ReduceMean', [x, axes()], { keepdims: 1 }, c.outputs);
      return void c.emit(a.poolType === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [x], {}, c.outputs);
    }
    const full = a.poolingConvention === 'full';
    const attrs: Record<string, OnnxAttr> = { kernel_shape: g.kernel, strides: g.stride, pads: [...g.pad, ...g.pad], ceil_mode: full ? 1 : 0 };
    if (a.poolType === 'max') return void c.emit('MaxPool', [x], attrs, c.outputs);
    if (a.poolType === 'avg') {
      return inFloat32(c, [x], ([y], outs) => c.emit('AveragePool', [y!], { ...attrs, count_include_pad: a.countIncludePad ? 1 : 0 }, outs)[0]!);
    }
    const k = g.kernel.reduce((p, q) => p * q, 1);
    const wd = d === 'float64' ? 'float32' : d;
    if (!full) {
      // Every 'valid' window lies inside the padded input: sum = mean * kernel size.
      return inFloat32(c, [x], ([y], outs) => {
        const [m] = c.emit('AveragePool', [y!], { ...attrs, count_include_pad: 1 });
        return c.emit('Mul', [m!, c.scalar(k, wd)], {}, outs)[0]!;
      });
    }
    if (c.opset < 18) {
      // No LpPool ceil_mode before 18: pad zeros at the end so every 'full' window fits, then sum = mean * kernel size.
      const sp = concreteSpatial('Pooling', c.inTypes);
      const extra = sp.map((n, i) => Math.max(0, ((g.out[i + 2] as number) - 1) * g.stride[i]! + g.kernel[i]! - (n + 2 * g.pad[i]!)));
      return inFloat32(c, [x], ([y], outs) => {
        const [p] = c.emit('Pad', [y!, c.ints([0, 0, ...sp.map(() => 0), 0, 0, ...extra])]);
        const [m] = c.emit('AveragePool', [p!], { ...attrs, ceil_mode: 0, count_include_pad: 1 });
        return c.emit('Mul', [m!, c.scalar(k, wd)], {}, outs)[0]!;
      });
    }
    // Windows clipped at the end: sum = LpPool_1(relu(x)) - LpPool_1(relu(-x)) (padding adds zeros).
    inFloat32(c, [x], ([y], outs) => {
      const lp = { ...attrs, p: 1 };
      const [pos] = c.emit('LpPool', [c.emit('Relu', [y!])[0]!], lp);
      const [neg] = c.emit('LpPool', [c.emit('Relu', [c.emit('Neg', [y!])[0]!])[0]!], lp);
      return c.emit('Sub', [pos!, neg!], {}, outs)[0]!;
    });
  },
  kernel: ([x], a, [out]) => [pickKernel(x!, x!, a, out!)],
  grad: (F, { inputs: [x], inTypes, attrs }, [g]) => [g && isFloat(inTypes[0]!.dtype) ? F.poolingGrad(x!, g, attrs as PoolOptions) : null],
});

// ---------------------------------------------------------------- pooling gradients

/** One output window of a pooling: the flat input offsets it reads (in window order) and its average divisor. */
interface PoolWindow {
  cells: number[];
  divisor: number;
}

/** The windows of every output position of one (n, c) plane, in output order (spatial offsets). */
function poolWindows(xs: readonly number[], a: PoolAttrs): PoolWindow[] {
  const geo = poolGeom([{ dtype: 'float32', shape: [...xs] }], a);
  const sp = xs.slice(2);
  const nd = sp.length;
  const kernel = a.globalPool ? sp : geo.kernel;
  const stride = a.globalPool ? sp.map(() => 1) : geo.stride;
  const pad = a.globalPool ? sp.map(() => 0) : geo.pad;
  const osz = geo.out.slice(2) as number[];
  const strides = sp.map((_d, i) => sizeOf(sp.slice(i + 1)));
  const out: PoolWindow[] = [];
  const o = new Array<number>(nd).fill(0);
  for (let w = 0; w < sizeOf(osz); w++) {
    let ranges: number[][] = [[]];
    let withPad = 1;
    for (let i = 0; i < nd; i++) {
      const st = o[i]! * stride[i]! - pad[i]!;
      const en = Math.min(st + kernel[i]!, sp[i]! + pad[i]!);
      withPad *= en - st;
      const next: number[][] = [];
      for (const r of ranges) for (let q = Math.max(st, 0); q < Math.min(en, sp[i]!); q++) next.push([...r, q]);
      ranges = next;
    }
    const cells = ranges.map((r) => r.reduce((acc, q, i) => acc + q * strides[i]!, 0));
    out.push({ cells, divisor: a.poolType !== 'avg' ? 1 : a.countIncludePad ? withPad : cells.length });
    for (let i = nd - 1; i >= 0; i--) {
      if (++o[i]! < osz[i]!) break;
      o[i] = 0;
    }
  }
  return out;
}

/** The first maximum of a window (MXNet and onnxruntime route the gradient there). */
function argmaxCell(v: Float64Array, base: number, cells: number[]): number {
  let best = cells[0]!;
  for (const q of cells) if (v[base + q]! > v[base + best]!) best = q;
  return best;
}

/** Checks that a second input matches the data (poolingPick) or the pooled shape (poolingGrad). */
function poolPairInfer(op: string, types: TensorType[], a: PoolAttrs, second: 'data' | 'pooled'): TensorType[] {
  const [x, y] = types as [TensorType, TensorType];
  const geo = poolGeom([x], a);
  const dtype = commonDType(op, types, FLOATS);
  const expect = second === 'data' ? x.shape : geo.out;
  if (y.shape.length !== expect.length || !y.shape.every((d, i) => compatible(d, expect[i]!))) {
    throw new OpError(op, `${second === 'data' ? 'values' : 'grad'} has shape ${fmt(y.shape)} but must be ${fmt(expect)} (${second === 'data' ? 'the data\'s' : 'the pooled'} shape)`, types);
  }
  return [{ dtype, shape: [...(second === 'data' ? geo.out : x.shape)] }];
}

/** Concrete spatial sizes for lowerings that need them. */
function concreteSpatial(op: string, types: TensorType[]): number[] {
  const sp = types[0]!.shape.slice(2);
  if (!sp.every((d): d is number => typeof d === 'number')) throw new OpError(op, `needs concrete spatial sizes, got data ${fmt(types[0]!.shape)}`, types);
  return sp;
}

/**
 * Where each window's first maximum is, for routing by index: MaxPool's flat
 * indices into the whole input (shaped like the output) with `axis` 0 of a
 * flattened input, or for global pooling ArgMax over the flattened spatial
 * axis ([N, C, 1]) with `axis` 2 of the input seen as [N, C, S].
 */
function maxIndices(c: LowerCtx, a: PoolAttrs, g: PoolGeom, x: string): { idx: string; axis: number; flat: (t: string) => string } {
  if (a.globalPool) {
    const flat = (t: string) => c.emit('Reshape', [t, c.ints([0, 0, -1])])[0]!;
    const [idx] = c.emit('ArgMax', [flat(x)], { axis: 2, keepdims: 1, select_last_index: 0 });
    return { idx: idx!, axis: 2, flat };
  }
  const full = a.poolingConvention === 'full';
  const attrs: Record<string, OnnxAttr> = { kernel_shape: g.kernel, strides: g.stride, pads: [...g.pad, ...g.pad], ceil_mode: full ? 1 : 0 };
  return { idx: c.emit('MaxPool', [x], attrs, 2)[1]!, axis: 0, flat: (t: string) => c.emit('Reshape', [t, c.ints([-1])])[0]! };
}

/**
 * Below opset 16 (no scatter reduction): windows whose output positions are
 * congruent modulo ceil(kernel / stride) in every axis never overlap, so
 * their maxima are distinct; each such phase is scattered without reduction
 * and the phases are added.
 */
function scatterByPhase(c: LowerCtx, geo: PoolGeom, zeros: string, idx: string, g: string, flat: (t: string) => string): string {
  const m = geo.kernel.map((k, i) => Math.ceil(k / geo.stride[i]!));
  const phases: number[][] = m.reduce<number[][]>((acc, mi) => acc.flatMap((p) => Array.from({ length: mi }, (_v, j) => [...p, j])), [[]]);
  const axes = c.ints(m.map((_v, i) => i + 2));
  const steps = c.ints(m);
  const ends = c.ints(m.map(() => Number.MAX_SAFE_INTEGER));
  let sum: string | undefined;
  for (const p of phases) {
    const pick = (t: string) => (m.every((v) => v === 1) ? t : c.emit('Slice', [t, c.ints(p), ends, axes, steps])[0]!);
    const [part] = c.emit('ScatterElements', [zeros, flat(pick(idx)), flat(pick(g))], { axis: 0 });
    sum = sum === undefined ? part! : c.emit('Add', [sum, part!])[0]!;
  }
  return sum!;
}

/**
 * Window cells up to which `firstMaxIndices` is used instead of MaxPool's index output: 2x2 windows
 * took a quarter of its time (python onnxruntime, [32, 16, 32, 32]: 0.56 ms against 2.3); 3x3 as long at
 * one thread and 30% longer at two.
 */
const FIRST_MAX_CELLS = 4;

/**
 * MaxPool's flat indices of each window's first maximum (row-major within
 * the window, MXNet's rule at ties) for disjoint windows without padding,
 * without MaxPool's index output (onnxruntime computes that one about 15x
 * slower than the plain MaxPool: LeNet's first pooling 1.0 ms against 0.07).
 * The cells before a cell p of a window, in row-major order, include the
 * box from the window's corner to p; so p is the first maximum exactly when
 * no earlier cell is and the MaxPool over that box equals the window's
 * maximum y (the plain MaxPool, shared with the forward pass). A chain of
 * Where picks the first such p as a float offset into its window, moved to
 * the window's corner in the (n, c) plane (exact below 2^24 cells), cast to
 * int64 and moved to its plane. Returns undefined where this does not
 * apply (padding, large windows, opsets without Range, symbolic channels).
 */
function firstMaxIndices(c: LowerCtx, a: PoolAttrs, geo: PoolGeom, x: string, attrs: Record<string, OnnxAttr>): string | undefined {
  const xs = c.inTypes[0]!.shape;
  const sp = xs.slice(2) as number[];
  const osz = geo.out.slice(2) as number[];
  const cells = geo.kernel.reduce((p, q) => p * q, 1);
  const channels = xs[1];
  if (geo.pad.some((p) => p !== 0) || cells > FIRST_MAX_CELLS || sizeOf(sp) >= 2 ** 24 || typeof channels !== 'number' || c.opset < 11) return undefined;
  const nd = sp.length;
  const planeStrides = sp.map((_d, i) => sizeOf(sp.slice(i + 1)));
  // The flat offset of every window's corner in its plane, shaped like the output's spatial axes.
  const corner = new Float32Array(sizeOf(osz));
  const o = new Array<number>(nd).fill(0);
  for (let w = 0; w < corner.length; w++) {
    corner[w] = o.reduce((acc, q, i) => acc + q * geo.stride[i]! * planeStrides[i]!, 0);
    for (let i = nd - 1; i >= 0; i--) {
      if (++o[i]! < osz[i]!) break;
      o[i] = 0;
    }
  }
  // A cell's offset from its window's corner (scalar branches of Where are the cheap ones).
  const offsetOf = (cell: number[]): string => c.scalar(cell.reduce((acc, q, i) => acc + q * planeStrides[i]!, 0), 'float32');
  // Window cells in row-major order.
  const order: number[][] = geo.kernel.reduce<number[][]>((acc, k) => acc.flatMap((p) => Array.from({ length: k }, (_v, j) => [...p, j])), [[]]);
  const [y] = c.emit('MaxPool', [x], attrs);
  let pick = offsetOf(order[cells - 1]!);
  for (let p = cells - 2; p >= 0; p--) {
    const box = order[p]!.map((q) => q + 1);
    let [m] = c.emit('MaxPool', [x], { ...attrs, kernel_shape: box });
    // A smaller box may fit one more window at the end: keep the pooled ones. With ceil_mode ONNX's shape
    // inference counts a last window that starts past the input (onnxruntime's kernel drops it): slice then too.
    const boxOut = poolGeom([c.inTypes[0]!], { ...a, kernel: box }).out.slice(2) as number[];
    if (a.poolingConvention === 'full' || boxOut.some((n, i) => n !== osz[i])) {
      m = c.emit('Slice', [m!, c.ints(osz.map(() => 0)), c.ints(osz), c.ints(osz.map((_n, i) => i + 2))])[0]!;
    }
    const [hit] = c.emit('Equal', [m!, y!]);
    pick = c.emit('Where', [hit!, offsetOf(order[p]!), pick])[0]!;
  }
  const [inWindow] = c.emit('Add', [pick, c.constant({ dtype: 'float32', shape: osz, data: corner })]);
  const [inPlane] = c.emit('Cast', [inWindow!], { to: onnxDType('int64') });
  const plane = sizeOf(sp);
  const batch = xs[0];
  const planeShape = [typeof batch === 'number' ? batch : -1, channels, ...sp.map(() => 1)];
  const planes = typeof batch === 'number'
    ? c.constant({ dtype: 'int64', shape: planeShape, data: BigInt64Array.from({ length: batch * channels }, (_v, i) => BigInt(i * plane)) })
    : c.emit('Reshape', [c.emit('Range', [c.scalar(0, 'int64'), c.emit('Size', [x])[0]!, c.scalar(plane, 'int64')])[0]!, c.ints(planeShape)])[0]!;
  return c.emit('Add', [inPlane!, planes])[0]!;
}

/** The average divisors of every output position as a constant [out spatial...] tensor (1 / divisor). */
function inverseDivisors(xs: number[], a: PoolAttrs, dtype: DType): HostTensor {
  const wins = poolWindows([1, 1, ...xs], a);
  const data = dtype === 'float64' ? new Float64Array(wins.length) : new Float32Array(wins.length);
  wins.forEach((w, i) => (data[i] = 1 / w.divisor));
  const osz = poolGeom([{ dtype, shape: [1, 1, ...xs] }], a).out.slice(2) as number[];
  return { dtype: dtype === 'float64' ? 'float64' : 'float32', shape: osz, data };
}

type PoolGradSig = (data: Tx, grad: Tx, options?: PoolOptions) => Tx;

/**
 * The gradient of `Pooling` with respect to its data: `grad` (shaped like
 * the pooled output) routed back to the input positions: to each window's
 * first maximum for max pooling (as MXNet), spread over the window for
 * avg (divided by the window's divisor) and sum. Options as `Pooling`.
 * Example: `F.poolingGrad(x, g, { kernel: [2, 2], stride: [2, 2] })`.
 */
export const poolingGrad: OpDef<PoolGradSig, PoolAttrs> = defineOp<PoolGradSig, PoolAttrs>({
  name: 'poolingGrad',
  opsetNote: "max: ScatterElements reduction='add' from 16; below, one scatter per window phase, added",
  inputs: ['data', 'grad'],
  attrs: POOL_ATTRS,
  lowerNeedsShape: true,
  infer: (types, a) => poolPairInfer('poolingGrad', types, a, 'pooled'),
  // Its constants (zeros to scatter into, divisors, a ones kernel) are float32/float64: float16 runs in float32.
  lower: float16InFloat32<PoolAttrs>((c, a) => {
    const geo = poolGeom(c.inTypes, a);
    const [x, g] = c.inputs as [string, string];
    const t = c.inTypes[0]!;
    const d = t.dtype;
    const xs = t.shape;
    const [xshape] = isConcrete(xs) ? [c.ints(xs)] : c.emit('Shape', [x]);
    // MaxUnpool's own output size, (out - 1)·stride + kernel - 2·pad, may not exceed the data's ('full' may).
    const unpooled = (i: number): number => ((geo.out[i + 2] as number) - 1) * geo.stride[i]! + geo.kernel[i]! - 2 * geo.pad[i]!;
    const disjoint = !a.globalPool && isConcrete(xs.slice(2)) && isConcrete(geo.out.slice(2))
      && geo.stride.every((s, i) => s >= geo.kernel[i]! && unpooled(i) <= (xs[i + 2] as number));
    if (a.poolType === 'max' && disjoint && d === 'float32') {
      // Windows that do not overlap route each input cell at most one gradient: MaxUnpool writes
      // g at the maxima's flat indices into zeros (no scatter-add, no shape arithmetic).
      const full = a.poolingConvention === 'full';
      const attrs: Record<string, OnnxAttr> = { kernel_shape: geo.kernel, strides: geo.stride, pads: [...geo.pad, ...geo.pad], ceil_mode: full ? 1 : 0 };
      const idx = firstMaxIndices(c, a, geo, x, attrs) ?? c.emit('MaxPool', [x], attrs, 2)[1]!;
      return void c.emit('MaxUnpool', [g, idx, xshape!], { kernel_shape: geo.kernel, strides: geo.stride, pads: [...geo.pad, ...geo.pad] }, c.outputs);
    }
    if (a.poolType === 'max') {
      // Scatter-add g at the maxima's indices into zeros shaped like the (flattened) input.
      const { idx, axis, flat } = maxIndices(c, a, geo, x);
      const zero: HostTensor = { dtype: d, shape: [1], data: d === 'float64' ? new Float64Array(1) : new Float32Array(1) };
      const [zeros] = c.emit('ConstantOfShape', [c.emit('Shape', [flat(x)])[0]!], { value: { tensor: zero } });
      const [sc] = c.opset >= 16 || a.globalPool ? c.emit('ScatterElements', [zeros!, flat(idx), flat(g)], { axis, reduction: c.opset >= 16 ? 'add' : undefined }) : [scatterByPhase(c, geo, zeros!, idx, g, flat)];
      return void c.emit('Reshape', [sc!, xshape!], {}, c.outputs);
    }
    if (a.globalPool) {
      const [spread] = c.emit('Expand', [g, xshape!]);
      if (a.poolType === 'sum') return void c.emit('Identity', [spread!], {}, c.outputs);
      const [size] = c.emit('ReduceProd', [c.emit('Shape', [x], { start: 2 })[0]!], { keepdims: 0 });
      return void c.emit('Div', [spread!, c.emit('Cast', [size!], { to: onnxDType(d) })[0]!], {}, c.outputs);
    }
    // avg/sum: scale by 1/divisor, then scatter each window's value over it with a transposed
    // convolution by a ones kernel on [N*C, 1, ...], and crop (or pad) to the padded input.
    const sp = concreteSpatial('poolingGrad', c.inTypes);
    const nd = sp.length;
    inFloat32(c, [g], ([gg], outs) => {
      const wd: DType = d === 'float64' ? 'float32' : d;
      let v = gg!;
      if (a.poolType === 'avg') v = c.emit('Mul', [v, c.constant(inverseDivisors(sp, a, wd))])[0]!;
      const [planes] = c.emit('Reshape', [v, c.ints([-1, 1, ...new Array<number>(nd).fill(0)])]);
      const k = geo.kernel;
      const ones: HostTensor = { dtype: wd, shape: [1, 1, ...k], data: new Float32Array(sizeOf(k)).fill(1) };
      const [sc] = c.emit('ConvTranspose', [planes!, c.constant(ones)], { kernel_shape: k, strides: geo.stride });
      const osz = geo.out.slice(2) as number[];
      const fullSz = osz.map((o, i) => (o - 1) * geo.stride[i]! + k[i]!);
      const extra = fullSz.map((f, i) => Math.max(0, geo.pad[i]! + sp[i]! - f));
      const padded = extra.some((e) => e > 0) ? c.emit('Pad', [sc!, c.ints([0, 0, ...extra.map(() => 0), 0, 0, ...extra])])[0]! : sc!;
      const axes = sp.map((_d, i) => i + 2);
      const [crop] = c.emit('Slice', [padded, c.ints(geo.pad), c.ints(geo.pad.map((p, i) => p + sp[i]!)), c.ints(axes)]);
      return c.emit('Reshape', [crop!, xshape!], {}, outs)[0]!;
    });
  }),
  kernel: ([x, g], a, [out]) => {
    const xs = x!.shape;
    const wins = poolWindows(xs, a);
    const xv = toF64(x!);
    const gv = toF64(g!);
    const plane = sizeOf(xs.slice(2));
    const res = new Float64Array(xv.length);
    for (let p = 0; p < xs[0]! * xs[1]!; p++) {
      const base = p * plane;
      wins.forEach((w, o) => {
        const gi = gv[p * wins.length + o]!;
        if (a.poolType === 'max') {
          if (w.cells.length) res[base + argmaxCell(xv, base, w.cells)]! += gi;
        } else for (const q of w.cells) res[base + q]! += gi / w.divisor;
      });
    }
    return [fromF64(out!, res)];
  },
  // Linear in grad (its adjoint is poolingPick); piecewise constant in data.
  grad: (F, { inputs: [x], attrs }, [h]) => [h ? F.zerosLike(x!) : null, h ? F.poolingPick(x!, h, attrs as PoolOptions) : null],
});

/**
 * The adjoint of `poolingGrad` in its gradient: per output window, `values`
 * at the window's first maximum of `data` (max pooling), or `Pooling` of
 * `values` (avg and sum). `values` has the data's shape; options as `Pooling`.
 * Example: `F.poolingPick(x, v, { kernel: [2, 2], stride: [2, 2] })`.
 */
export const poolingPick: OpDef<PoolGradSig, PoolAttrs> = defineOp<PoolGradSig, PoolAttrs>({
  name: 'poolingPick',
  inputs: ['data', 'values'],
  attrs: POOL_ATTRS,
  infer: (types, a) => poolPairInfer('poolingPick', types, a, 'data'),
  lower: (c, a) => {
    if (a.poolType !== 'max') return Pooling.lower({ ...c, inputs: [c.inputs[1]!], inTypes: [c.inTypes[1]!] }, a);
    const geo = poolGeom(c.inTypes, a);
    const { idx, axis, flat } = maxIndices(c, a, geo, c.inputs[0]!);
    const [picked] = c.emit('GatherElements', [flat(c.inputs[1]!), flat(idx)], { axis });
    const rank = c.inTypes[0]!.shape.length;
    const target = a.globalPool ? c.ints([0, 0, ...new Array<number>(rank - 2).fill(1)]) : c.emit('Shape', [idx])[0]!;
    c.emit('Reshape', [picked!, target], {}, c.outputs);
  },
  kernel: ([x, v], a, [out]) => [pickKernel(x!, v!, a, out!)],
  grad: (F, { inputs: [x], attrs }, [h]) => [h ? F.zerosLike(x!) : null, h ? F.poolingGrad(x!, h, attrs as PoolOptions) : null],
});

/** poolingPick's kernel (Pooling's with `v` = `x`). */
function pickKernel(x: HostTensor, v: HostTensor, a: PoolAttrs, out: TensorType): HostTensor {
  const xs = x.shape;
  const wins = poolWindows(xs, a);
  const xv = toF64(x);
  const vv = x === v ? xv : toF64(v);
  const plane = sizeOf(xs.slice(2));
  const res = new Float64Array(xs[0]! * xs[1]! * wins.length);
  for (let p = 0; p < xs[0]! * xs[1]!; p++) {
    const base = p * plane;
    wins.forEach((w, o) => {
      let acc = 0;
      if (a.poolType === 'max') acc = w.cells.length ? vv[base + argmaxCell(xv, base, w.cells)]! : 0;
      else for (const q of w.cells) acc += vv[base + q]! / w.divisor;
      res[p * wins.length + o] = acc;
    });
  }
  return fromF64(out, res);
}

/** The pooling operators by F name. */
export const POOL_OPS = { Pooling, poolingGrad, poolingPick } as const;
