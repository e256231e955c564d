/**
 * `convColumns`: a convolution's input unfolded (im2col) with the example
 * innermost, so that a weight gradient, and the forward convolution reading
 * the same columns, are each one Gemm over every example at once.
 * `data [N, C, spatial...]` becomes `[C * prod(kernel), prod(outSpatial) * N]`:
 * row `c * K + k` (channel-major, kernel position k row-major), column
 * `l * N + n` holds `data[n, c, in(l, k)]`, where `in(l, k) = l * stride -
 * pad + k * dilate` per axis, 0 outside the input.
 * Lowering: Transpose to `[C, spatial..., N]`, one zero row appended (for
 * the taps into the padding), and one Gather of rows by a constant table of
 * input positions (each row is the N examples of one pixel: a 256-byte copy
 * at batch 64), which onnxruntime runs at memory speed.
 * Invariants: concrete channels and spatial sizes (the table is built at
 * compile time); any batch; 1-D, 2-D and 3-D; its gradient is the transposed
 * unfolding (col2im), a grouped Deconvolution by a one-hot kernel.
 */
import type { DType } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, TensorType } from '../ir/types.js';
import { checkRank, fmt, spatial } from './conv.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { mulDims } from './dims.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';

const OP = 'convColumns';
const FLOATS: DType[] = ['float32', 'float64', 'float16'];

export type ColAttrs = Attrs & { kernel: number[]; stride: number[] | null; dilate: number[] | null; pad: number[] | null };

/** The options of `convColumns`: the convolution's geometry (stride, dilate 1 and pad 0 by default). */
export interface ConvColumnsOptions {
  kernel: number[];
  stride?: number[];
  dilate?: number[];
  pad?: number[];
}

export interface ColGeom {
  kernel: number[];
  stride: number[];
  dilate: number[];
  pad: number[];
  /** Input and output spatial sizes. */
  inSp: number[];
  outSp: number[];
  channels: number;
}

/** The geometry of `convColumns` on data of type `types[0]`, options checked and defaults filled. Example: `colGeom([x.type], node.attrs as ColAttrs).stride`. */
export function colGeom(types: TensorType[], a: ColAttrs): ColGeom {
  const nd = checkRank(OP, types, null);
  const xs = types[0]!.shape;
  const kernel = spatial(OP, 'kernel', a.kernel, nd, 1, 1, types);
  const stride = spatial(OP, 'stride', a.stride, nd, 1, 1, types);
  const dilate = spatial(OP, 'dilate', a.dilate, nd, 1, 1, types);
  const pad = spatial(OP, 'pad', a.pad, nd, 0, 0, types);
  const c = xs[1]!;
  const inSp = xs.slice(2);
  if (typeof c !== 'number' || !inSp.every((d): d is number => typeof d === 'number')) {
    throw new OpError(OP, `needs concrete channels and spatial sizes, got data ${fmt(xs)}`, types);
  }
  const outSp = inSp.map((d, i) => {
    const eff = dilate[i]! * (kernel[i]! - 1) + 1;
    if (d + 2 * pad[i]! < eff) throw new OpError(OP, `kernel ${fmt(kernel)} (dilate ${fmt(dilate)}) is larger than the padded input along spatial axis ${i} (data ${fmt(xs)}, pad ${fmt(pad)})`, types);
    return Math.floor((d + 2 * pad[i]! - eff) / stride[i]!) + 1;
  });
  return { kernel, stride, dilate, pad, inSp, outSp, channels: c };
}

/**
 * The flat input position read by kernel position k at output position l,
 * at `k * L + l` (L output positions), -1 in the padding.
 * Example: kernel [2], input [3], stride 1, pad 0: `[0, 1, 1, 2]`.
 */
export function columnTable(g: Pick<ColGeom, 'kernel' | 'stride' | 'dilate' | 'pad' | 'inSp' | 'outSp'>): Int32Array {
  const nd = g.inSp.length;
  const K = sizeOf(g.kernel);
  const L = sizeOf(g.outSp);
  const table = new Int32Array(K * L);
  const k = new Array<number>(nd).fill(0);
  for (let ki = 0; ki < K; ki++) {
    const o = new Array<number>(nd).fill(0);
    for (let li = 0; li < L; li++) {
      let at = 0;
      for (let d = 0; d < nd && at >= 0; d++) {
        const q = o[d]! * g.stride[d]! - g.pad[d]! + k[d]! * g.dilate[d]!;
        at = q < 0 || q >= g.inSp[d]! ? -1 : at * g.inSp[d]! + q;
      }
      table[ki * L + li] = at;
      for (let d = nd - 1; d >= 0 && ++o[d]! >= g.outSp[d]!; d--) o[d] = 0;
    }
    for (let d = nd - 1; d >= 0 && ++k[d]! >= g.kernel[d]!; d--) k[d] = 0;
  }
  return table;
}

/** A one-hot kernel `[C*K, 1, kernel...]`: entry (c*K + k, 0, k) is 1 (col2im as a grouped transposed convolution). */
function oneHotKernel(channels: number, kernel: number[], dtype: DType): HostTensor {
  const K = sizeOf(kernel);
  const n = channels * K * K;
  const data = dtype === 'float64' ? new Float64Array(n) : dtype === 'float16' ? new Uint16Array(n) : new Float32Array(n);
  const one = dtype === 'float16' ? 0x3c00 : 1;
  for (let r = 0; r < channels * K; r++) data[r * K + (r % K)] = one;
  return { dtype, shape: [channels * K, 1, ...kernel], data } as HostTensor;
}

type ColSig = (data: Tx, options: ConvColumnsOptions) => Tx;

/**
 * A convolution's input as columns `[C * prod(kernel), prod(outSpatial) * N]`
 * (the example innermost): `dot(reshape(w, [F, -1]), convColumns(x, geo))`
 * is the convolution with its output laid out `[F, outSpatial..., N]`, and
 * `dot(g', convColumns(x, geo), { transposeB: true })` the weight gradient.
 * Example: `F.convColumns(x, { kernel: [5, 5], pad: [2, 2] })`.
 */
export const convColumns: OpDef<ColSig, ColAttrs> = defineOp<ColSig, ColAttrs>({
  name: OP,
  inputs: ['data'],
  attrs: { kernel: [], stride: null, dilate: null, pad: null },
  lowerNeedsShape: true,
  infer: (types, a) => {
    const g = colGeom(types, a);
    const n = types[0]!.shape[0]!;
    return [{ dtype: commonDType(OP, types, FLOATS), shape: [g.channels * sizeOf(g.kernel), mulDims([sizeOf(g.outSp), n]) as Dim] }];
  },
  // float16: Pad's CPU kernel has no float16.
  lower: float16InFloat32<ColAttrs>((c, a) => {
    const g = colGeom(c.inTypes, a);
    const nd = g.inSp.length;
    const lin = sizeOf(g.inSp);
    const table = columnTable(g);
    const padded = table.some((v) => v < 0);
    const [xt] = c.emit('Transpose', [c.inputs[0]!], { perm: [1, ...Array.from({ length: nd }, (_v, i) => i + 2), 0] });
    let [rows] = c.emit('Reshape', [xt!, c.ints([g.channels, lin, -1])]);
    if (padded) rows = c.emit('Pad', [rows!, c.ints([0, 0, 0, 0, 1, 0])])[0]!;
    const idx = Array.from(table, (v) => (v < 0 ? lin : v));
    const [cols] = c.emit('Gather', [rows!, c.ints(idx)], { axis: 1 });
    c.emit('Reshape', [cols!, c.ints([g.channels * sizeOf(g.kernel), -1])], {}, c.outputs);
  }),
  kernel: ([x], a, [out]) => {
    const g = colGeom([x!], a);
    const xs = x!.shape;
    const n = xs[0]!;
    const table = columnTable(g);
    const [K, L, lin] = [sizeOf(g.kernel), sizeOf(g.outSp), sizeOf(g.inSp)];
    const xv = toF64(x!);
    const res = new Float64Array(g.channels * K * L * n);
    for (let ch = 0; ch < g.channels; ch++) {
      for (let t = 0; t < K * L; t++) {
        const at = table[t]!;
        if (at < 0) continue;
        const base = (ch * K * L + t) * n;
        for (let e = 0; e < n; e++) res[base + e] = xv[(e * g.channels + ch) * lin + at]!;
      }
    }
    return [fromF64(out!, res)];
  },
  // Linear: the adjoint folds each column back onto the input positions it read (col2im), a
  // transposed convolution of the columns (as [N, C*K, outSpatial...]) by a one-hot kernel, C groups.
  grad: (F, ctx, [h]) => {
    if (!h) return [null];
    const g = colGeom(ctx.inTypes, ctx.attrs as ColAttrs);
    const nd = g.inSp.length;
    const K = sizeOf(g.kernel);
    const planes = F.transpose(F.reshape(h, [g.channels * K, ...g.outSp, -1]), [nd + 1, ...Array.from({ length: nd + 1 }, (_v, i) => i)]);
    const adj = g.inSp.map((d, i) => (d + 2 * g.pad[i]! - g.dilate[i]! * (g.kernel[i]! - 1) - 1) % g.stride[i]!);
    const w = ctx.constant(oneHotKernel(g.channels, g.kernel, ctx.inTypes[0]!.dtype));
    return [F.Deconvolution(planes, w, { kernel: g.kernel, stride: g.stride, dilate: g.dilate, pad: g.pad, adj, numFilter: g.channels, numGroup: g.channels, noBias: true })];
  },
});

/** The column operators by F name. */
export const CONV_COLUMN_OPS = { convColumns } as const;
