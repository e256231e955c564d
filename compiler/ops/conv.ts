/**
 * Convolution, transposed convolution and pooling (MXNet's `Convolution`,
 * `Deconvolution`, `Pooling`), channel-first layouts NCW/NCHW/NCDHW, merged
 * into `LINALG_OPS` by `linalg.ts`.
 * Invariants: weights use MXNet's layouts (`[numFilter, C/numGroup, k...]`
 * for Convolution, `[C, numFilter/numGroup, k...]` for Deconvolution);
 * lowerings depend only on ranks (never on concrete dimensions); onnxruntime
 * has no float64 Conv/ConvTranspose/AveragePool, so float64 runs them in
 * float32 (small tensors take the float64 TypeScript kernels). Gradients:
 * Convolution and Deconvolution are each other's adjoints in the data;
 * pooling differentiates through `poolingGrad`, whose adjoint is `poolingPick`.
 */
import type { DType } from '../../runtime/dtypes.js';
import { isFloat, onnxDType } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OnnxAttr, type OpDef, type Tx } from './define.js';
import { divDim, mulDims, sameDim } from './dims.js';
import { commonDType } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import type { F as FOps, Tensor } from './tensor.js';

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

/**
 * The (output offset, kernel offset, input offset) triples of a convolution's
 * spatial geometry, flat within a plane: input position `o*stride - pad +
 * k*dilate` for every output position `o` and kernel position `k` that lands
 * inside the input. A transposed convolution uses the same triples with its
 * input and output swapped.
 */
function convTaps(inSp: readonly number[], outSp: readonly number[], geo: ConvGeom): Int32Array {
  const nd = inSp.length;
  const K = sizeOf(geo.kernel);
  const O = sizeOf(outSp);
  const out: number[] = [];
  const o = new Array<number>(nd).fill(0);
  for (let oi = 0; oi < O; oi++) {
    const k = new Array<number>(nd).fill(0);
    for (let ki = 0; ki < K; ki++) {
      let ii = 0;
      let inside = true;
      for (let d = 0; d < nd; d++) {
        const q = o[d]! * geo.stride[d]! - geo.pad[d]! + k[d]! * geo.dilate[d]!;
        if (q < 0 || q >= inSp[d]!) inside = false;
        ii = ii * inSp[d]! + q;
      }
      if (inside) out.push(oi, ki, ii);
      for (let d = nd - 1; d >= 0 && ++k[d]! >= geo.kernel[d]!; d--) k[d] = 0;
    }
    for (let d = nd - 1; d >= 0 && ++o[d]! >= outSp[d]!; d--) o[d] = 0;
  }
  return Int32Array.from(out);
}

/** Direct float64 convolution (`deconv`: transposed) of small tensors, groups and bias included. */
function convKernel(op: 'Convolution' | 'Deconvolution', [x, w, b]: HostTensor[], a: ConvAttrs, out: TensorType): HostTensor {
  const geo = convGeom(op, [x!, w!, ...(b ? [b] : [])], a);
  const deconv = op === 'Deconvolution';
  const xs = x!.shape;
  const os = out.shape as number[];
  const [N, C, F, G] = [xs[0]!, xs[1]!, os[1]!, geo.group];
  const [cg, fg] = [C / G, F / G];
  const inPlane = sizeOf(xs.slice(2));
  const outPlane = sizeOf(os.slice(2));
  const K = sizeOf(geo.kernel);
  // Convolution: taps (out, k, in); transposed: taps (in, k, out) of the convolution going back.
  const taps = deconv ? convTaps(os.slice(2), xs.slice(2) as number[], geo) : convTaps(xs.slice(2) as number[], os.slice(2), geo);
  const xv = toF64(x!);
  const wv = toF64(w!);
  const res = new Float64Array(N * F * outPlane);
  if (b) {
    const bv = toF64(b);
    for (let i = 0; i < res.length; i++) res[i] = bv[Math.floor(i / outPlane) % F]!;
  }
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < G; gi++) {
      for (let fl = 0; fl < fg; fl++) {
        const ob = (n * F + gi * fg + fl) * outPlane;
        for (let c = 0; c < cg; c++) {
          const xb = (n * C + gi * cg + c) * inPlane;
          const wb = deconv ? ((gi * cg + c) * fg + fl) * K : ((gi * fg + fl) * cg + c) * K;
          for (let t = 0; t < taps.length; t += 3) {
            if (deconv) res[ob + taps[t + 2]!]! += xv[xb + taps[t]!]! * wv[wb + taps[t + 1]!]!;
            else res[ob + taps[t]!]! += xv[xb + taps[t + 2]!]! * wv[wb + taps[t + 1]!]!;
          }
        }
      }
    }
  }
  return fromF64(out, res);
}

const CONV_ATTRS = {
  kernel: null, stride: null, dilate: null, pad: null, numFilter: null, numGroup: 1, noBias: false, layout: null,
  workspace: 1024, cudnnTune: null, cudnnOff: false,
};

type ConvSig = (data: Tx, weight: Tx, bias?: Tx | ConvOptions, options?: ConvOptions) => Tx;

/**
 * MXNet `Convolution` (1-D NCW, 2-D NCHW, 3-D NCDHW): weight
 * `[numFilter, C/numGroup, kernel...]`, optional bias `[numFilter]`.
 * Example: `F.Convolution(x, w, b, { kernel: [3, 3], pad: [1, 1], numFilter: 16 })`.
 */
export const Convolution: OpDef<ConvSig, ConvAttrs> = defineOp<ConvSig, ConvAttrs>({
  name: 'Convolution',
  inputs: ['data', 'weight', 'bias?'],
  attrs: CONV_ATTRS,
  infer: (types, a) => [{ dtype: commonDType('Convolution', types, FLOATS), shape: convGeom('Convolution', types, a).out }],
  solve: (types, a) => solveConv('Convolution', types, a),
  lower: (c, a) => {
    const attrs = convAttrs(convGeom('Convolution', c.inTypes, a), false);
    inFloat32(c, c.inputs, (ins, outs) => c.emit('Conv', ins, attrs, outs)[0]!);
  },
  kernel: (ins, a, [out]) => [convKernel('Convolution', ins, a, out!)],
  // data: the transposed convolution of g with the same weight (adj restores the size the stride
  // rounded away); weight: a convolution of x with g (convWeightGrad); bias: g summed but on axis 1.
  grad: (F, { inputs: [x, w, b], inTypes, attrs }, [g]) => {
    if (!g) return [null, null, ...(b ? [null] : [])];
    const op = 'Convolution';
    const geo = convGeom(op, inTypes, attrs as ConvAttrs);
    const xs = inTypes[0]!.shape;
    const adj = geo.kernel.map((k, i) => {
      const [d, s, dl, p] = [xs[2 + i]!, geo.stride[i]!, geo.dilate[i]!, geo.pad[i]!];
      if (typeof d !== 'number') {
        if (s === 1) return 0;
        throw new OpError(op, `cannot differentiate with the symbolic spatial size ${d} and stride ${s}`, inTypes);
      }
      return (d + 2 * p - dl * (k - 1) - 1) % s;
    });
    const spatial = { kernel: geo.kernel, stride: geo.stride, dilate: geo.dilate, pad: geo.pad, numGroup: geo.group };
    const channels = xs[1]!;
    if (typeof channels !== 'number') throw new OpError(op, `cannot differentiate with a symbolic number of channels ${channels}`, inTypes);
    const dx = F.Deconvolution(g, w!, { ...spatial, adj, numFilter: channels, noBias: true });
    const dw = convWeightGrad(F, op, x!, g, inTypes[0]!, { dtype: inTypes[0]!.dtype, shape: geo.out }, geo, inTypes);
    return [dx, dw, ...(b ? [F.sum(g, { axis: 1, exclude: true })] : [])];
  },
});

/**
 * The weight gradient of a convolution from input `x` to output gradient
 * `g`: with batch and channels swapped, a convolution of x by g (stride and
 * dilation trade places), groups kept apart by moving them into the
 * channels; the result is cropped to the kernel and laid out
 * `[out channels, in channels / groups, kernel...]`.
 */
function convWeightGrad(F: FOps, op: string, x: Tensor, g: Tensor, xt: TensorType, gt: TensorType, geo: ConvGeom, types: TensorType[]): Tensor {
  const nd = geo.kernel.length;
  const rest = Array.from({ length: nd }, (_v, i) => i + 3);
  const kernel = gt.shape.slice(2);
  if (!kernel.every((d): d is number => typeof d === 'number')) {
    throw new OpError(op, `cannot differentiate the weight with symbolic spatial sizes ${fmt(gt.shape)}`, types);
  }
  const G = geo.group;
  let xp: Tensor;
  let gp: Tensor;
  if (G === 1) {
    const swap = [1, 0, ...rest.map((i) => i - 1)];
    xp = F.transpose(x, swap);
    gp = F.transpose(g, swap);
  } else {
    // x [N, C, ...] -> [C/G, G*N, ...]; g [N, F, ...] -> [F, N, ...] with N as channels per group.
    xp = F.reshape(F.transpose(F.reshape(x, [0, -4, G, -1, -2]), [2, 1, 0, ...rest]), [0, -3, -2]);
    gp = F.reshape(F.transpose(F.reshape(g, [0, -4, G, -1, -2]), [1, 2, 0, ...rest]), [-3, -2]);
  }
  const r = F.Convolution(xp, gp, { kernel, stride: geo.dilate, dilate: geo.stride, pad: geo.pad, numGroup: G, noBias: true });
  let dw = F.transpose(r, [1, 0, ...rest.map((i) => i - 1)]);
  // The last rows of the result pair the kernel with the padding only: dropped.
  const full = xt.shape.slice(2).map((d, i) => Math.floor(((d as number) + 2 * geo.pad[i]! - geo.stride[i]! * (kernel[i]! - 1) - 1) / geo.dilate[i]!) + 1);
  if (full.some((k, i) => typeof xt.shape[2 + i] !== 'number' || k !== geo.kernel[i])) {
    dw = F.slice(dw, { begin: [null, null, ...geo.kernel.map(() => 0)], end: [null, null, ...geo.kernel] });
  }
  return dw;
}

type DeconvSig = (data: Tx, weight: Tx, bias?: Tx | DeconvOptions, options?: DeconvOptions) => Tx;

/**
 * MXNet `Deconvolution` (transposed convolution): weight
 * `[C, numFilter/numGroup, kernel...]`; output size
 * `(in - 1) * stride - 2 * pad + dilate * (kernel - 1) + adj + 1`. No bias by
 * default (MXNet's `noBias: true`).
 * Example: `F.Deconvolution(x, w, { kernel: [4, 4], stride: [2, 2], pad: [1, 1], numFilter: 8 })`.
 */
export const Deconvolution: OpDef<DeconvSig, ConvAttrs> = defineOp<DeconvSig, ConvAttrs>({
  name: 'Deconvolution',
  inputs: ['data', 'weight', 'bias?'],
  attrs: { ...CONV_ATTRS, adj: null, noBias: true },
  infer: (types, a) => [{ dtype: commonDType('Deconvolution', types, FLOATS), shape: convGeom('Deconvolution', types, a).out }],
  solve: (types, a) => solveConv('Deconvolution', types, a),
  lower: (c, a) => {
    const attrs = convAttrs(convGeom('Deconvolution', c.inTypes, a), true);
    inFloat32(c, c.inputs, (ins, outs) => c.emit('ConvTranspose', ins, attrs, outs)[0]!);
  },
  kernel: (ins, a, [out]) => [convKernel('Deconvolution', ins, a, out!)],
  // The adjoint of Convolution: data gets the convolution of g with the same weight; the weight
  // gets convWeightGrad with the roles of input and output swapped; bias: g summed but on axis 1.
  grad: (F, { inputs: [x, w, b], inTypes, attrs }, [g]) => {
    if (!g) return [null, null, ...(b ? [null] : [])];
    const op = 'Deconvolution';
    const geo = convGeom(op, inTypes, attrs as ConvAttrs);
    const xt = inTypes[0]!;
    const channels = xt.shape[1]!;
    if (typeof channels !== 'number') throw new OpError(op, `cannot differentiate with a symbolic number of channels ${channels}`, inTypes);
    const spatial = { kernel: geo.kernel, stride: geo.stride, dilate: geo.dilate, pad: geo.pad, numGroup: geo.group };
    let dx = F.Convolution(g, w!, { ...spatial, numFilter: channels, noBias: true });
    // adj >= stride (allowed when dilate > stride) adds rows that belong to no input position.
    if (geo.adj.some((v, i) => v >= geo.stride[i]!)) {
      const xs = xt.shape.slice(2);
      if (!xs.every((d) => typeof d === 'number')) throw new OpError(op, `cannot differentiate with symbolic spatial sizes and adj ${fmt(geo.adj)}`, inTypes);
      dx = F.slice(dx, { begin: [null, null, ...xs.map(() => 0)], end: [null, null, ...(xs as number[])] });
    }
    const gt: TensorType = { dtype: xt.dtype, shape: geo.out };
    const dw = convWeightGrad(F, op, g, x!, gt, xt, geo, inTypes);
    return [dx, dw, ...(b ? [F.sum(g, { axis: 1, exclude: true })] : [])];
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

const POOL_ATTRS = {
  kernel: null, poolType: 'max', globalPool: false, stride: null, pad: null, poolingConvention: 'valid', countIncludePad: true,
  layout: null, cudnnOff: false,
};

type PoolSig = (data: Tx, options?: PoolOptions) => Tx;

/**
 * MXNet `Pooling` (1-D, 2-D, 3-D): `poolType` max/avg/sum over windows of
 * `kernel`, or over the whole spatial extent with `globalPool`;
 * `poolingConvention: 'full'` rounds the output size up.
 * Example: `F.Pooling(x, { kernel: [2, 2], stride: [2, 2], poolType: 'max' })`.
 */
export const Pooling: OpDef<PoolSig, PoolAttrs> = defineOp<PoolSig, PoolAttrs>({
  name: 'Pooling',
  inputs: ['data'],
  attrs: POOL_ATTRS,
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
  inputs: ['data', 'grad'],
  attrs: POOL_ATTRS,
  lowerNeedsShape: true,
  infer: (types, a) => poolPairInfer('poolingGrad', types, a, 'pooled'),
  lower: (c, a) => {
    const geo = poolGeom(c.inTypes, a);
    const [x, g] = c.inputs as [string, string];
    const t = c.inTypes[0]!;
    const d = t.dtype;
    const [xshape] = c.emit('Shape', [x]);
    if (a.poolType === 'max') {
      // Scatter-add g at the maxima's indices into zeros shaped like the (flattened) input.
      const { idx, axis, flat } = maxIndices(c, a, geo, x);
      const zero: HostTensor = { dtype: d, shape: [1], data: d === 'float64' ? new Float64Array(1) : new Float32Array(1) };
      const [zeros] = c.emit('ConstantOfShape', [c.emit('Shape', [flat(x)])[0]!], { value: { tensor: zero } });
      const [sc] = c.emit('ScatterElements', [zeros!, flat(idx), flat(g)], { axis, reduction: 'add' });
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
  },
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

/** Convolution and pooling operators by F name. */
export const CONV_OPS = { Convolution, Deconvolution, Pooling, poolingGrad, poolingPick } as const;
