/**
 * Convolution, transposed convolution and pooling (MXNet's `Convolution`,
 * `Deconvolution`, `Pooling`), channel-first layouts NCW/NCHW/NCDHW, merged
 * into `LINALG_OPS` by `linalg.ts`.
 * Invariants: weights use MXNet's layouts (`[numFilter, C/numGroup, k...]`
 * for Convolution, `[C, numFilter/numGroup, k...]` for Deconvolution);
 * lowerings depend only on ranks (never on concrete dimensions); onnxruntime
 * has no float64 Conv/ConvTranspose/AveragePool, so float64 runs them in float32.
 */
import type { DType } from '../../runtime/dtypes.js';
import { onnxDType } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OnnxAttr, type Tx } from './define.js';
import { divDim, mulDims, sameDim } from './dims.js';
import { commonDType } from './elementwise.js';
import { OpError } from './errors.js';

const FLOATS: DType[] = ['float32', 'float64', 'float16'];
const LAYOUTS: Record<number, string> = { 3: 'NCW', 4: 'NCHW', 5: 'NCDHW' };

const fmt = (s: readonly Dim[]): string => `[${s.join(', ')}]`;
const compatible = (a: Dim, b: Dim): boolean => a === 0 || b === 0 || typeof a === 'string' || typeof b === 'string' || sameDim(a, b);
const pick = (a: Dim, b: Dim): Dim => (a === 0 ? b : b === 0 ? a : typeof a === 'number' ? a : b);

/** `d + delta` for a possibly symbolic dimension. */
function offset(d: Dim, delta: number): Dim {
  if (typeof d === 'number') return d + delta;
  return delta === 0 ? d : `(${d}${delta > 0 ? '+' : ''}${delta})`;
}

/** A per-spatial-axis option: null/[] gives the default, a number applies to every axis. */
function spatial(op: string, name: string, v: unknown, nd: number, dflt: number, min: number, types: TensorType[]): number[] {
  if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) return new Array<number>(nd).fill(dflt);
  const list = typeof v === 'number' ? new Array<number>(nd).fill(v) : v;
  if (!Array.isArray(list) || list.length !== nd || !list.every((x) => Number.isInteger(x) && x >= min)) {
    throw new OpError(op, `option '${name}' must be ${nd} integer(s) >= ${min} (one per spatial axis), got ${JSON.stringify(v)}`, types);
  }
  return list as number[];
}

function checkRank(op: string, types: TensorType[], layout: unknown): number {
  const rank = types[0]!.shape.length;
  if (!LAYOUTS[rank]) {
    throw new OpError(op, `needs data of rank 3 (NCW), 4 (NCHW) or 5 (NCDHW), got shape ${fmt(types[0]!.shape)}`, types);
  }
  if (layout !== null && layout !== undefined && layout !== LAYOUTS[rank]) {
    throw new OpError(op, `layout ${JSON.stringify(layout)} is not supported for rank-${rank} data (only ${LAYOUTS[rank]})`, types);
  }
  return rank - 2;
}

/** Runs `emit` on float32 copies of the inputs when the dtype is float64 (onnxruntime has float32 kernels only). */
function inFloat32(c: LowerCtx, inputs: string[], emit: (ins: string[], outs?: string[]) => string): void {
  const d = c.outTypes[0]!.dtype;
  if (d !== 'float64') return void emit(inputs, c.outputs);
  const f32 = onnxDType('float32');
  const y = emit(inputs.map((x) => c.emit('Cast', [x], { to: f32 })[0]!));
  c.emit('Cast', [y], { to: onnxDType(d) }, c.outputs);
}

// ---------------------------------------------------------------- Convolution / Deconvolution

type ConvAttrs = Attrs & {
  kernel: number[] | null;
  stride: number[] | null;
  dilate: number[] | null;
  pad: number[] | null;
  adj?: number[] | null;
  numFilter: number | null;
  numGroup: number;
  noBias: boolean;
  layout: string | null;
};

/** The options of `Convolution`. */
export interface ConvOptions {
  kernel?: number[];
  stride?: number[];
  dilate?: number[];
  pad?: number[];
  numFilter?: number;
  numGroup?: number;
  noBias?: boolean;
  layout?: 'NCW' | 'NCHW' | 'NCDHW';
  workspace?: number;
  cudnnTune?: string;
  cudnnOff?: boolean;
}

/** The options of `Deconvolution`. */
export interface DeconvOptions extends ConvOptions {
  adj?: number[];
}

interface ConvGeom {
  kernel: number[];
  stride: number[];
  dilate: number[];
  pad: number[];
  adj: number[];
  group: number;
  out: Shape;
}

function convGeom(op: 'Convolution' | 'Deconvolution', types: TensorType[], a: ConvAttrs): ConvGeom {
  const nd = checkRank(op, types, a.layout);
  const [x, w, b] = types;
  const xs = x!.shape;
  const ws = w!.shape;
  const deconv = op === 'Deconvolution';
  if (ws.length !== nd + 2) throw new OpError(op, `weight shape ${fmt(ws)} must have rank ${nd + 2} for data ${fmt(xs)}`, types);
  let kernel: number[];
  if (a.kernel !== null && a.kernel !== undefined) kernel = spatial(op, 'kernel', a.kernel, nd, 1, 1, types);
  else if (ws.slice(2).every((d) => typeof d === 'number' && d > 0)) kernel = ws.slice(2) as number[];
  else throw new OpError(op, 'needs a kernel', types);
  const stride = spatial(op, 'stride', a.stride, nd, 1, 1, types);
  const dilate = spatial(op, 'dilate', a.dilate, nd, 1, 1, types);
  const pad = spatial(op, 'pad', a.pad, nd, 0, 0, types);
  const adj = deconv ? spatial(op, 'adj', a.adj, nd, 0, 0, types) : new Array<number>(nd).fill(0);
  const g = a.numGroup;
  if (!Number.isInteger(g) || g < 1) throw new OpError(op, `numGroup must be a positive integer, got ${JSON.stringify(g)}`, types);
  if (a.numFilter !== null && (!Number.isInteger(a.numFilter) || a.numFilter < 1)) {
    throw new OpError(op, `numFilter must be a positive integer, got ${JSON.stringify(a.numFilter)}`, types);
  }
  if (b && a.noBias) throw new OpError(op, `a bias was given but noBias is true (pass noBias: false${deconv ? ', MXNet\'s default for Deconvolution is true' : ''})`, types);
  const c = xs[1]!;
  if (typeof c === 'number' && c % g !== 0) throw new OpError(op, `data channels ${c} (shape ${fmt(xs)}) are not divisible by numGroup ${g}`, types);
  const filters: Dim = a.numFilter ?? (deconv ? mulDims([ws[1]!, g]) : ws[0]!);
  if (typeof filters === 'number' && filters % g !== 0) throw new OpError(op, `numFilter ${filters} is not divisible by numGroup ${g}`, types);
  const expect: Shape = deconv
    ? [c, divDim(filters, g) ?? filters, ...kernel]
    : [filters, typeof c === 'number' ? c / g : divDim(c, g) ?? c, ...kernel];
  if (!ws.every((d, i) => compatible(d, expect[i]!))) {
    throw new OpError(op, `weight shape ${fmt(ws)} does not match data shape ${fmt(xs)}: expected ${fmt(expect)} (${deconv ? '[C, numFilter/numGroup, kernel...]' : '[numFilter, C/numGroup, kernel...]'})`, types);
  }
  if (b && (b.shape.length !== 1 || !compatible(b.shape[0]!, filters))) {
    throw new OpError(op, `bias shape ${fmt(b.shape)} must be [${filters}] (numFilter)`, types);
  }
  if (deconv) {
    adj.forEach((v, i) => {
      if (v >= Math.max(stride[i]!, dilate[i]!)) throw new OpError(op, `adj ${fmt(adj)} must be smaller than stride ${fmt(stride)} or dilate`, types);
    });
  }
  const out: Shape = [xs[0]!, deconv ? pick(filters, 0) : pick(ws[0]!, filters)];
  for (let i = 0; i < nd; i++) {
    const d = xs[2 + i]!;
    const [k, s, dl, p] = [kernel[i]!, stride[i]!, dilate[i]!, pad[i]!];
    const eff = dl * (k - 1) + 1;
    if (deconv) {
      // (in - 1) * stride - 2 * pad + dilate * (kernel - 1) + adj + 1
      const delta = -s - 2 * p + eff + adj[i]!;
      const o = typeof d === 'number' ? (d - 1) * s - 2 * p + eff + adj[i]! : offset(mulDims([s, d]), delta);
      if (typeof o === 'number' && o < 1) throw new OpError(op, `output size ${o} along spatial axis ${i} is not positive (pad ${fmt(pad)} too large)`, types);
      out.push(o);
    } else if (typeof d === 'number') {
      if (d + 2 * p < eff) throw new OpError(op, `kernel ${fmt(kernel)} (dilate ${fmt(dilate)}) is larger than the padded input along spatial axis ${i} (data ${fmt(xs)}, pad ${fmt(pad)})`, types);
      out.push(Math.floor((d + 2 * p - eff) / s) + 1);
    } else {
      out.push(s === 1 ? offset(d, 2 * p - eff + 1) : `(floor((${d}${2 * p - eff >= 0 ? '+' : ''}${2 * p - eff})/${s})+1)`);
    }
  }
  return { kernel, stride, dilate, pad, adj, group: g, out };
}

/** Solves a weight's unknown dimensions (channels, filters, kernel) and a bias's [0]. */
function solveConv(op: 'Convolution' | 'Deconvolution', types: TensorType[], a: ConvAttrs): (Shape | undefined)[] {
  const xs = types[0]!.shape;
  const ws = types[1]!.shape;
  const g = a.numGroup;
  const k = a.kernel ?? [];
  const kernel = typeof k === 'number' ? new Array<number>(xs.length - 2).fill(k) : k;
  const c = xs[1]!;
  const perGroup = (d: Dim): Dim => (typeof d === 'number' ? d / g : divDim(d, g) ?? 0);
  const expect: Dim[] = op === 'Deconvolution'
    ? [c, a.numFilter ? a.numFilter / g : 0, ...kernel]
    : [a.numFilter ?? 0, perGroup(c), ...kernel];
  const w = ws.map((d, i) => (d !== 0 ? d : expect[i] ?? 0));
  const filters: Dim = a.numFilter ?? (op === 'Deconvolution' ? (w[1] ? mulDims([w[1], g]) : 0) : w[0] ?? 0);
  return [undefined, ws.includes(0) ? w : undefined, types[2]?.shape.includes(0) ? [filters] : undefined];
}

function convAttrs(g: ConvGeom, deconv: boolean): Record<string, OnnxAttr> {
  const attrs: Record<string, OnnxAttr> = {
    kernel_shape: g.kernel,
    strides: g.stride,
    dilations: g.dilate,
    pads: [...g.pad, ...g.pad],
    group: g.group,
  };
  if (deconv && g.adj.some((v) => v > 0)) attrs['output_padding'] = g.adj;
  return attrs;
}

const CONV_ATTRS = {
  kernel: null, stride: null, dilate: null, pad: null, numFilter: null, numGroup: 1, noBias: false, layout: null,
  workspace: 1024, cudnnTune: null, cudnnOff: false,
};

/**
 * MXNet `Convolution` (1-D NCW, 2-D NCHW, 3-D NCDHW): weight
 * `[numFilter, C/numGroup, kernel...]`, optional bias `[numFilter]`.
 * Example: `F.Convolution(x, w, b, { kernel: [3, 3], pad: [1, 1], numFilter: 16 })`.
 */
export const Convolution = defineOp<(data: Tx, weight: Tx, bias?: Tx | ConvOptions, options?: ConvOptions) => Tx, ConvAttrs>({
  name: 'Convolution',
  inputs: ['data', 'weight', 'bias?'],
  attrs: CONV_ATTRS,
  infer: (types, a) => [{ dtype: commonDType('Convolution', types, FLOATS), shape: convGeom('Convolution', types, a).out }],
  solve: (types, a) => solveConv('Convolution', types, a),
  lower: (c, a) => {
    const attrs = convAttrs(convGeom('Convolution', c.inTypes, a), false);
    inFloat32(c, c.inputs, (ins, outs) => c.emit('Conv', ins, attrs, outs)[0]!);
  },
});

/**
 * MXNet `Deconvolution` (transposed convolution): weight
 * `[C, numFilter/numGroup, kernel...]`; output size
 * `(in - 1) * stride - 2 * pad + dilate * (kernel - 1) + adj + 1`. No bias by
 * default (MXNet's `noBias: true`).
 * Example: `F.Deconvolution(x, w, { kernel: [4, 4], stride: [2, 2], pad: [1, 1], numFilter: 8 })`.
 */
export const Deconvolution = defineOp<(data: Tx, weight: Tx, bias?: Tx | DeconvOptions, options?: DeconvOptions) => Tx, ConvAttrs>({
  name: 'Deconvolution',
  inputs: ['data', 'weight', 'bias?'],
  attrs: { ...CONV_ATTRS, adj: null, noBias: true },
  infer: (types, a) => [{ dtype: commonDType('Deconvolution', types, FLOATS), shape: convGeom('Deconvolution', types, a).out }],
  solve: (types, a) => solveConv('Deconvolution', types, a),
  lower: (c, a) => {
    const attrs = convAttrs(convGeom('Deconvolution', c.inTypes, a), true);
    inFloat32(c, c.inputs, (ins, outs) => c.emit('ConvTranspose', ins, attrs, outs)[0]!);
  },
});

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
}

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
    if (typeof d !== 'number') {
      out.push(s === 1 ? offset(d, 2 * p - k + 1) : `(${full ? 'ceil' : 'floor'}((${d}${2 * p - k >= 0 ? '+' : ''}${2 * p - k})/${s})+1)`);
      continue;
    }
    if (d + 2 * p < k) throw new OpError(op, `kernel ${fmt(kernel)} is larger than the padded input along spatial axis ${i} (data ${fmt(xs)}, pad ${fmt(pad)})`, types);
    let o = (full ? Math.ceil((d + 2 * p - k) / s) : Math.floor((d + 2 * p - k) / s)) + 1;
    // onnxruntime drops a last 'full' window that would start in the end padding (MXNet would fill it with -inf or 0).
    if (full && (o - 1) * s - p >= d) o--;
    out.push(o);
  }
  return { kernel, stride, pad, out };
}

/**
 * MXNet `Pooling` (1-D, 2-D, 3-D): `poolType` max/avg/sum over windows of
 * `kernel`, or over the whole spatial extent with `globalPool`;
 * `poolingConvention: 'full'` rounds the output size up.
 * Example: `F.Pooling(x, { kernel: [2, 2], stride: [2, 2], poolType: 'max' })`.
 */
export const Pooling = defineOp<(data: Tx, options?: PoolOptions) => Tx, PoolAttrs>({
  name: 'Pooling',
  inputs: ['data'],
  attrs: {
    kernel: null, poolType: 'max', globalPool: false, stride: null, pad: null, poolingConvention: 'valid', countIncludePad: true,
    layout: null, cudnnOff: false,
  },
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
    // Windows clipped at the end: sum = LpPool_1(relu(x)) - LpPool_1(relu(-x)) (padding adds zeros).
    inFloat32(c, [x], ([y], outs) => {
      const lp = { ...attrs, p: 1 };
      const [pos] = c.emit('LpPool', [c.emit('Relu', [y!])[0]!], lp);
      const [neg] = c.emit('LpPool', [c.emit('Relu', [c.emit('Neg', [y!])[0]!])[0]!], lp);
      return c.emit('Sub', [pos!, neg!], {}, outs)[0]!;
    });
  },
});

/** Convolution and pooling operators by F name. */
export const CONV_OPS = { Convolution, Deconvolution, Pooling } as const;
