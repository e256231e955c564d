/**
 * Convolution and transposed convolution (MXNet's `Convolution`,
 * `Deconvolution`), channel-first layouts NCW/NCHW/NCDHW; the layout and
 * option helpers pooling (`pool.ts`) shares.
 * Invariants: weights use MXNet's layouts (`[numFilter, C/numGroup, k...]`
 * for Convolution, `[C, numFilter/numGroup, k...]` for Deconvolution);
 * lowerings depend only on ranks (never on concrete dimensions); onnxruntime
 * has no float64 Conv/ConvTranspose/AveragePool, so float64 runs them in
 * float32 (small tensors take the float64 TypeScript kernels). Gradients:
 * Convolution and Deconvolution are each other's adjoints in the data.
 */
import type { DType } from '../../runtime/dtypes.js';
import { onnxDType } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OnnxAttr, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { divDim, mulDims, sameDim } from './dims.js';
import { requireDim } from './dim-constraints.js';
import { commonDType } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import type { GradOps, GradTensor } from './grad-ops.js';

/** The dtypes convolution and pooling accept. */
export const FLOATS: DType[] = ['float32', 'float64', 'float16'];
const LAYOUTS: Record<number, string> = { 3: 'NCW', 4: 'NCHW', 5: 'NCDHW' };

/** A shape as text: `fmt([2, 'N'])` is `[2, N]`. */
export const fmt = (s: readonly Dim[]): string => `[${s.join(', ')}]`;
/** True when two dimensions may be equal (unknown 0 and symbolic ones may). Example: `compatible(0, 3)`. */
export const compatible = (a: Dim, b: Dim): boolean => a === 0 || b === 0 || typeof a === 'string' || typeof b === 'string' || sameDim(a, b);
const pick = (a: Dim, b: Dim): Dim => (a === 0 ? b : b === 0 ? a : typeof a === 'number' ? a : b);

/** `d + delta` for a possibly symbolic dimension. Example: `offset('N', 1)` is `(N+1)`. */
export function offset(d: Dim, delta: number): Dim {
  if (typeof d === 'number') return d + delta;
  return delta === 0 ? d : `(${d}${delta > 0 ? '+' : ''}${delta})`;
}

/** A per-spatial-axis option: null/[] gives the default, a number applies to every axis. Example: `spatial('Pooling', 'stride', 2, 2, 1, 1, types)` is `[2, 2]`. */
export function spatial(op: string, name: string, v: unknown, nd: number, dflt: number, min: number, types: TensorType[]): number[] {
  if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) return new Array<number>(nd).fill(dflt);
  const list = typeof v === 'number' ? new Array<number>(nd).fill(v) : v;
  if (!Array.isArray(list) || list.length !== nd || !list.every((x) => Number.isInteger(x) && x >= min)) {
    throw new OpError(op, `option '${name}' must be ${nd} integer(s) >= ${min} (one per spatial axis), got ${JSON.stringify(v)}`, types);
  }
  return list as number[];
}

/** The number of spatial axes of channel-first data (rank 3, 4 or 5), checking the layout option. Example: `checkRank('Pooling', types, null)`. */
export function checkRank(op: string, types: TensorType[], layout: unknown): number {
  const rank = types[0]!.shape.length;
  if (!LAYOUTS[rank]) {
    throw new OpError(op, `needs data of rank 3 (NCW), 4 (NCHW) or 5 (NCDHW), got shape ${fmt(types[0]!.shape)}`, types);
  }
  if (layout !== null && layout !== undefined && layout !== LAYOUTS[rank]) {
    throw new OpError(op, `layout ${JSON.stringify(layout)} is not supported for rank-${rank} data (only ${LAYOUTS[rank]})`, types);
  }
  return rank - 2;
}

/** Runs `emit` on float32 copies of the inputs when the dtype is float64 (onnxruntime has float32 kernels only). Example: `inFloat32(c, c.inputs, (ins, outs) => c.emit('MaxPool', ins, {}, outs)[0]!)`. */
export function inFloat32(c: LowerCtx, inputs: string[], emit: (ins: string[], outs?: string[]) => string): void {
  const d = c.outTypes[0]!.dtype;
  if (d !== 'float64') return void emit(inputs, c.outputs);
  const f32 = onnxDType('float32');
  const y = emit(inputs.map((x) => c.emit('Cast', [x], { to: f32 })[0]!));
  c.emit('Cast', [y], { to: onnxDType(d) }, c.outputs);
}

// ---------------------------------------------------------------- Convolution / Deconvolution

export type ConvAttrs = Attrs & {
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
  /** MXNet's `target_shape`: accepted empty (its positional place), any other value is refused (give pad and adj). */
  targetShape?: number[] | null;
}

/** MXNet 1.x's positional order of Convolution's options (ConvolutionParam's fields, convolution-inl.h); MXNet 2's npx.convolution keeps it. */
const CONV_POSITIONAL = ['kernel', 'stride', 'dilate', 'pad', 'numFilter', 'numGroup', 'workspace', 'noBias', 'cudnnTune', 'cudnnOff', 'layout'] as const;
/** Deconvolution's (DeconvolutionParam's fields: adj and target_shape after pad); npx.deconvolution keeps it. */
const DECONV_POSITIONAL = ['kernel', 'stride', 'dilate', 'pad', 'adj', 'targetShape', 'numFilter', 'numGroup', 'workspace', 'noBias', 'cudnnTune', 'cudnnOff', 'layout'] as const;

export interface ConvGeom {
  kernel: number[];
  stride: number[];
  dilate: number[];
  pad: number[];
  adj: number[];
  group: number;
  out: Shape;
}

export function convGeom(op: string, types: TensorType[], a: ConvAttrs): ConvGeom {
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
  const target = a['targetShape'];
  if (target !== null && target !== undefined && !(Array.isArray(target) && target.length === 0)) {
    throw new OpError(op, `targetShape is not supported (got ${JSON.stringify(target)}): give the pad and adj that produce that size`, types);
  }
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
      requireDim({
        op, dim: o, cmp: '>=', value: 1, types,
        why: `its output size along spatial axis ${i} must be positive (stride ${fmt(stride)}, pad ${fmt(pad)}, kernel ${fmt(kernel)})`,
        fail: (v) => `output size ${v} along spatial axis ${i} is not positive (pad ${fmt(pad)} too large)`,
      });
      out.push(o);
      continue;
    }
    requireDim({
      op, dim: offset(d, 2 * p), cmp: '>=', value: eff, types,
      why: `kernel ${fmt(kernel)}${dl > 1 ? ` (dilate ${fmt(dilate)}: ${eff} wide)` : ''} must fit the input${p ? ` padded by ${p} on each side` : ''} along spatial axis ${i}`,
      fail: () => `kernel ${fmt(kernel)} (dilate ${fmt(dilate)}) is larger than the padded input along spatial axis ${i} (data ${fmt(xs)}, pad ${fmt(pad)})`,
    });
    if (typeof d === 'number') {
      out.push(Math.floor((d + 2 * p - eff) / s) + 1);
    } else {
      out.push(s === 1 ? offset(d, 2 * p - eff + 1) : `(floor((${d}${2 * p - eff >= 0 ? '+' : ''}${2 * p - eff})/${s})+1)`);
    }
  }
  return { kernel, stride, dilate, pad, adj, group: g, out };
}

/** Solves a weight's unknown dimensions (channels, filters, kernel) and a bias's [0]. */
export function solveConv(op: string, types: TensorType[], a: ConvAttrs): (Shape | undefined)[] {
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

export const CONV_ATTRS = {
  kernel: null, stride: null, dilate: null, pad: null, numFilter: null, numGroup: 1, noBias: false, layout: null,
  workspace: 1024, cudnnTune: null, cudnnOff: false,
};

type ConvSig = (data: Tx, weight: Tx, bias?: Tx | null | ConvOptions, ...rest: PositionalOptions<ConvOptions, [...typeof CONV_POSITIONAL]>) => Tx;

/**
 * MXNet `Convolution` (1-D NCW, 2-D NCHW, 3-D NCDHW): weight
 * `[numFilter, C/numGroup, kernel...]`, optional bias `[numFilter]`.
 * Example: `F.Convolution(x, w, b, { kernel: [3, 3], pad: [1, 1], numFilter: 16 })`.
 */
export const Convolution: OpDef<ConvSig, ConvAttrs> = defineOp<ConvSig, ConvAttrs>({
  name: 'Convolution',
  inputs: ['data', 'weight', 'bias?'],
  params: ['weight', 'bias'],
  attrs: CONV_ATTRS,
  positional: [...CONV_POSITIONAL],
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
        throw new OpError(op, `cannot differentiate with the symbolic spatial size ${d} and stride ${s}: give the input concrete spatial sizes (export's \`inputs\`, or \`gluonc compile --input\`)`, inTypes);
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
function convWeightGrad(F: GradOps, op: string, x: GradTensor, g: GradTensor, xt: TensorType, gt: TensorType, geo: ConvGeom, types: TensorType[]): GradTensor {
  const nd = geo.kernel.length;
  const rest = Array.from({ length: nd }, (_v, i) => i + 3);
  const kernel = gt.shape.slice(2);
  if (!kernel.every((d): d is number => typeof d === 'number')) {
    throw new OpError(op, `cannot differentiate the weight with symbolic spatial sizes ${fmt(gt.shape)}: give the input concrete spatial sizes (export's \`inputs\`, or \`gluonc compile --input\`, e.g. x:float32[N,3,224,224])`, types);
  }
  const G = geo.group;
  const [N, C, O] = [xt.shape[0], xt.shape[1], gt.shape[1]];
  if (G === 1 && typeof C === 'number' && typeof O === 'number' && byColumns(xt, gt, geo)) {
    // One Gemm over every example: g as [O, L*N] by x's columns [C*K, L*N] (convColumns), the
    // columns on the left (dwᵀ, transposed back) where that runs faster (columnsLeft).
    const cols = F.convColumns(x, { kernel: geo.kernel, stride: geo.stride, dilate: geo.dilate, pad: geo.pad });
    const gm = F.reshape(F.transpose(g, [1, ...rest.map((i) => i - 1), 0]), [O, -1]);
    // dwᵀ is transposed back as [C, K, O] -> [O, C, K]: onnxruntime folds a Transpose right after a
    // Gemm into the Gemm (GemmTransposeFusion: Bᵀ·Aᵀ, the other orientation again).
    const K = sizeOf(geo.kernel);
    const dw = columnsLeft(O, C * K) ? F.transpose(F.reshape(F.dot(cols, gm, { transposeB: true }), [C, K, O]), [2, 0, 1]) : F.dot(gm, cols, { transposeB: true });
    return F.reshape(dw, [O, C, ...geo.kernel]);
  }
  let xp: GradTensor;
  let gp: GradTensor;
  if (G === 1 && typeof N === 'number' && N > 1 && typeof C === 'number' && C < FEW_CHANNELS && typeof O === 'number') {
    // Few input channels: one convolution per example (groups), their results summed, so that
    // onnxruntime can thread over the examples (a convolution of one or two images runs on one thread).
    const xn = C === 1 ? F.reshape(x, [1, N, -2]) : F.transpose(x, [1, 0, ...rest.map((i) => i - 1)]);
    const r = F.Convolution(xn, F.reshape(g, [N * O, 1, -2]), { kernel, stride: geo.dilate, dilate: geo.stride, pad: geo.pad, numGroup: N, noBias: true });
    return cropWeightGrad(F, F.transpose(F.sum(F.reshape(r, [0, -4, N, O, -2]), { axis: 1 }), [1, 0, ...rest.map((i) => i - 1)]), xt, geo, kernel);
  }
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
  return cropWeightGrad(F, F.transpose(r, [1, 0, ...rest.map((i) => i - 1)]), xt, geo, kernel);
}

/** Input channels below which `convWeightGrad` convolves each example separately (threads). */
const FEW_CHANNELS = 4;

/** Per-example columns (C * kernel * output positions) up to this size take `byColumns`' form. */
export const COLUMNS_MAX = 1 << 15;

/**
 * True when the weight gradient of a convolution from `xt` to `gt` is taken
 * as one Gemm by x's columns (convColumns): concrete channels and spatial
 * sizes, the output size the geometry gives (not a transposed convolution's
 * extra adj rows), at most COLUMNS_MAX per example. onnxruntime runs the
 * convolution forms one small GEMM per image or group; LeNet (batch 64, 1
 * thread, python onnxruntime 1.30, median us): conv1 (C=1, pad 2) 1134 as
 * per-example groups, 552 by columns; conv2 (C=6) 907 swapped, 432 by columns.
 * Larger layers gained too (weight gradient and forward, 1 thread, a busy
 * machine: 1.5x at 36,864 and 73,728 per example, 1.23x at 147,456), but
 * the columns live from the forward pass to the backward (a 3x3 kernel's
 * are 9x its input), so the cap keeps them at 128 KiB per example.
 */
export function byColumns(xt: TensorType, gt: TensorType, geo: ConvGeom): boolean {
  const [xs, gs] = [xt.shape, gt.shape];
  const C = xs[1];
  if (typeof C !== 'number' || !xs.slice(2).every((d) => typeof d === 'number') || !gs.slice(2).every((d) => typeof d === 'number')) return false;
  const out = xs.slice(2).map((d, i) => Math.floor(((d as number) + 2 * geo.pad[i]! - geo.dilate[i]! * (geo.kernel[i]! - 1) - 1) / geo.stride[i]!) + 1);
  if (out.some((o, i) => o !== gs[2 + i])) return false;
  return C * sizeOf(geo.kernel) * sizeOf(out) <= COLUMNS_MAX;
}

/**
 * True when `byColumns`' weight gradient takes the columns as the Gemm's
 * left operand (dwᵀ = cols · gᵀ, then a transpose of the small result) for
 * `O` output channels and `CK` column rows (input channels x kernel cells):
 * from 16 filters, or from 8 with at least 8 column rows per filter. MLAS
 * packs the right operand (in panels of 16 columns): the filters on the
 * right fill a panel from 16 and pack far less than the columns would; 6
 * filters fill 6 of 16. Python onnxruntime 1.30, 1 thread, the median over
 * 25 interleaved rounds on a loaded machine of the columns-left /
 * filters-left time ratio (O, CK, columns): 16, 150, 6400 (LeNet's conv2) 0.66-0.67; 32, 288 0.57;
 * 64, 576 0.86; 32, 9 0.86; 24, 48 0.96-1.05; 12, 100 0.67-0.79; 8, 72 0.85;
 * 8, 27 1.04; 6, 150 0.97; 4, 36 1.03; 6, 25, 50176 (LeNet's conv1) 1.17-1.27.
 * Example: `columnsLeft(16, 150) // true`.
 */
export function columnsLeft(O: number, CK: number): boolean {
  return O >= 16 || (O >= 8 && CK >= 8 * O);
}

/** The weight gradient `dw` cropped to the kernel: its last rows pair the kernel with the padding only. */
function cropWeightGrad(F: GradOps, dw: GradTensor, xt: TensorType, geo: ConvGeom, kernel: number[]): GradTensor {
  const full = xt.shape.slice(2).map((d, i) => Math.floor(((d as number) + 2 * geo.pad[i]! - geo.stride[i]! * (kernel[i]! - 1) - 1) / geo.dilate[i]!) + 1);
  if (full.some((k, i) => typeof xt.shape[2 + i] !== 'number' || k !== geo.kernel[i])) {
    dw = F.slice(dw, { begin: [null, null, ...geo.kernel.map(() => 0)], end: [null, null, ...geo.kernel] });
  }
  return dw;
}

type DeconvSig = (data: Tx, weight: Tx, bias?: Tx | null | DeconvOptions, ...rest: PositionalOptions<DeconvOptions, [...typeof DECONV_POSITIONAL]>) => Tx;

/**
 * MXNet `Deconvolution` (transposed convolution): weight
 * `[C, numFilter/numGroup, kernel...]`; output size
 * `(in - 1) * stride - 2 * pad + dilate * (kernel - 1) + adj + 1`. No bias by
 * default (MXNet's `noBias: true`).
 * Example: `F.Deconvolution(x, w, { kernel: [4, 4], stride: [2, 2], pad: [1, 1], numFilter: 8 })`.
 */
export const Deconvolution: OpDef<DeconvSig, ConvAttrs> = defineOp<DeconvSig, ConvAttrs>({
  name: 'Deconvolution',
  opsetNote: 'small 1-D and 2-D images: MatMul + Col2Im from 18; otherwise ConvTranspose',
  inputs: ['data', 'weight', 'bias?'],
  params: ['weight', 'bias'],
  attrs: { ...CONV_ATTRS, adj: null, targetShape: null, noBias: true },
  positional: [...DECONV_POSITIONAL],
  infer: (types, a) => [{ dtype: commonDType('Deconvolution', types, FLOATS), shape: convGeom('Deconvolution', types, a).out }],
  solve: (types, a) => solveConv('Deconvolution', types, a),
  lower: (c, a) => {
    const geo = convGeom('Deconvolution', c.inTypes, a);
    const attrs = convAttrs(geo, true);
    inFloat32(c, c.inputs, (ins, outs) => deconvByCol2Im(c, geo, ins, outs) ?? c.emit('ConvTranspose', ins, attrs, outs)[0]!);
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

/** Per-image column buffers (output channels x kernel x input positions) up to this size take `deconvByCol2Im`. */
const COL2IM_MAX = 1 << 15;

/**
 * A transposed convolution of small images as one MatMul (the weight,
 * transposed per group, by every image at once) and Col2Im (opset 18; 1-D
 * and 2-D). onnxruntime's ConvTranspose runs and threads one small GEMM per
 * image: LeNet's data gradient took 0.42 ms at 1 thread and 0.81 at 2; this
 * form 0.44 and 0.42. Returns undefined where it does not apply (opset,
 * rank, symbolic channels or spatial sizes, adj above pad, large images).
 * 1-D runs as 2-D: onnxruntime 1.30's 1-D Col2Im misplaces dilated taps.
 */
function deconvByCol2Im(c: LowerCtx, geo: ConvGeom, [x, w, b]: string[], outs?: string[]): string | undefined {
  const xs = c.inTypes[0]!.shape;
  const ys = c.outTypes[0]!.shape;
  const [C, F] = [xs[1], ys[1]];
  const inSp = xs.slice(2);
  const outSp = ys.slice(2);
  if (c.opset < 18 || inSp.length > 2 || typeof C !== 'number' || typeof F !== 'number') return undefined;
  if (!inSp.every((d): d is number => typeof d === 'number') || !outSp.every((d): d is number => typeof d === 'number')) return undefined;
  const kk = sizeOf(geo.kernel);
  const L = sizeOf(inSp);
  if (F * kk * L > COL2IM_MAX || geo.adj.some((v, i) => v > geo.pad[i]!)) return undefined;
  const G = geo.group;
  // Columns [N, F*kk, L], channel-major as Col2Im wants them: per group, weightᵀ [F/G*kk, C/G] by the data [C/G, L].
  const [wt] = G === 1
    ? c.emit('Transpose', [c.emit('Reshape', [w!, c.ints([C, (F / G) * kk])])[0]!], { perm: [1, 0] })
    : c.emit('Transpose', [c.emit('Reshape', [w!, c.ints([G, C / G, (F / G) * kk])])[0]!], { perm: [0, 2, 1] });
  const [xr] = c.emit('Reshape', [x!, c.ints(G === 1 ? [0, C, L] : [0, G, C / G, L])]);
  let [cols] = c.emit('MatMul', [wt!, xr!]);
  if (G > 1) cols = c.emit('Reshape', [cols!, c.ints([0, F * kk, L])])[0]!;
  // onnxruntime 1.30's 1-D Col2Im misplaces dilated taps: 1-D runs as 2-D over a [1, L] image (same columns).
  const lift = <T>(v: T[], one: T): T[] => (inSp.length === 1 ? [one, ...v] : v);
  const endPad = geo.pad.map((p, i) => p - geo.adj[i]!);
  const attrs = { strides: lift(geo.stride, 1), dilations: lift(geo.dilate, 1), pads: [...lift(geo.pad, 0), ...lift(endPad, 0)] };
  const col2im = (o?: string[]): string => c.emit('Col2Im', [cols!, c.ints(lift(outSp, 1)), c.ints(lift(geo.kernel, 1))], attrs, o)[0]!;
  const unlift = (y: string, o?: string[]): string => (inSp.length === 1 ? c.emit('Squeeze', [y, c.ints([2])], {}, o)[0]! : y);
  const bias = (y: string, o?: string[]): string => c.emit('Add', [y, c.emit('Reshape', [b!, c.ints([F, ...outSp.map(() => 1)])])[0]!], {}, o)[0]!;
  if (inSp.length === 1) return b ? bias(unlift(col2im()), outs) : unlift(col2im(), outs);
  return b ? bias(col2im(), outs) : col2im(outs);
}

/** The convolution operators by F name. */
export const CONV_OPS = { Convolution, Deconvolution } as const;
