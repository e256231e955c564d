/**
 * MXNet 1.x's `contrib.DeformableConvolution` (deformable convolution v1,
 * Dai et al. 2017; MXNet's src/operator/contrib/deformable_convolution-inl.h
 * and src/operator/contrib/nn/deformable_im2col.cuh, apache/mxnet commit
 * 068a210d6df574f31814e05e70f0ad9b142f08d7): each kernel tap (i, j) of
 * output (ho, wo) reads channel c at `(h, w) = (ho*stride - pad + i*dilate
 * + dy, wo*stride - pad + j*dilate + dx)`, its offsets those of c's
 * deformable group (offset `[N, numDeformableGroup * kh * kw * 2, Ho, Wo]`,
 * (dy, dx) per tap, as v2's), and the samples are convolved with the weight
 * (`[numFilter, C/numGroup, kh, kw]`) plus the bias. There is no mask.
 *
 * v1's border rule (`deformable_im2col_gpu_kernel` and
 * `deformable_im2col_bilinear`) differs from v2's / ONNX DeformConv's: a
 * sample outside [0, H) x [0, W) reads 0 (a jump at 0 and at the size, where
 * v2 fades over one pixel); inside, `h_low = floor(h)`, and when `h_low >=
 * H - 1` both neighbours are row H - 1 and the fraction 0 (a sample in the
 * last pixel's cell holds that pixel); likewise along w.
 *
 * Backward (`deformable_col2im`, `deformable_col2im_coord`): the data's
 * gradient is the forward's transpose (`get_gradient_weight` gives each
 * pixel the bilinear weight the forward read it with); the offsets' is
 * `get_coordinate_weight`: 0 for a sample outside [0, size) on either axis
 * (the kernel sets such a position to -1 first), else the derivative of the
 * bilinear form with `h_low = floor(h)` (at a whole position, the cell
 * below and to the right, one-sided), 0 along an axis clamped to its last
 * pixel; weight and bias as Convolution's. The rule is written with gluonc
 * operators in deformable-conv.ts' `deformableGrad` (`v1: true`).
 *
 * The TypeScript kernel transcribes the forward loop in float64, the
 * positions rounded to the data's dtype (float32: MXNet's `h_in + i *
 * dilation_h + offset_h`). The lowering is exact onto ONNX's DeformConv
 * (opset 19; v2's rule, no mask): the offsets are changed so that v2 reads
 * what v1 does: a tap in [size - 1, size) moved to size - 1, a tap outside
 * [0, size) on either axis moved to -2 (where DeformConv reads 0 without
 * touching the data), others kept as given (DeformConv computes the same
 * position). That needs concrete H, W, Ho and Wo (a symbolic batch works).
 */
import type { TensorType } from '../ir/types.js';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../runtime/tensor.js';
import { defineOp, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { CONV_ATTRS, FLOATS, solveConv } from './conv.js';
import { deformableGrad, deformConvAttrs, deformGeom, dimsOf, type DeformAttrs, type DeformableConvOptions, type DeformRule } from './deformable-conv.js';
import { commonDType, float16InFloat32 } from './elementwise.js';

const OP = 'DeformableConvolution';
const RULE: DeformRule = { op: OP, v1: true };

/** DeformableConvolution's options: ModulatedDeformableConvolution's without `im2colStep` (MXNet's v1 has none). */
export type DeformableConvolutionV1Options = Omit<DeformableConvOptions, 'im2colStep'>;

/** MXNet's positional order of the options (DeformableConvolutionParam's fields). */
const POSITIONAL = ['kernel', 'stride', 'dilate', 'pad', 'numFilter', 'numGroup', 'numDeformableGroup', 'workspace', 'noBias', 'layout'] as const;

const { cudnnTune: _tune, cudnnOff: _off, ...CONV_BASE } = CONV_ATTRS;
const V1_ATTRS = { ...CONV_BASE, numDeformableGroup: 1 };

/** Types as the shared checks see them. */
const typesOf = (xs: HostTensor[]): TensorType[] => xs.map((t) => ({ dtype: t.dtype, shape: t.shape }));

/** v1's sample of one channel's [H, W] plane at `base` (MXNet's `deformable_im2col_bilinear` behind the [0, size) test). */
function bilinearV1(X: ArrayLike<number>, base: number, H: number, W: number, h: number, w: number): number {
  if (!(h >= 0 && w >= 0 && h < H && w < W)) return 0;
  let y0 = Math.floor(h);
  let x0 = Math.floor(w);
  let [y1, x1] = [y0 + 1, x0 + 1];
  if (y0 >= H - 1) [y0, y1, h] = [H - 1, H - 1, H - 1];
  if (x0 >= W - 1) [x0, x1, w] = [W - 1, W - 1, W - 1];
  const [ly, lx] = [h - y0, w - x0];
  const at = (y: number, x: number) => X[base + y * W + x]!;
  return (1 - ly) * (1 - lx) * at(y0, x0) + (1 - ly) * lx * at(y0, x1) + ly * (1 - lx) * at(y1, x0) + ly * lx * at(y1, x1);
}

/** The forward loop (see the file comment), in float64. */
function kernel(inputs: HostTensor[], a: DeformAttrs, outTypes: TensorType[]): HostTensor[] {
  const geo = deformGeom(typesOf(inputs), a, RULE);
  const [x, off, w, b] = inputs;
  const [N, C, H, W] = x!.shape as [number, number, number, number];
  const [O, Cw, kh, kw] = w!.shape as [number, number, number, number];
  const [, , Ho, Wo] = geo.out as number[];
  const G = a.numDeformableGroup;
  const Og = O / geo.group;
  const round = x!.dtype === 'float64' ? (v: number) => v : Math.fround;
  const [X, OFF, WT] = [tensorToNumbers(x!), tensorToNumbers(off!), tensorToNumbers(w!)];
  const B = b ? tensorToNumbers(b) : null;
  const [s0, s1] = geo.stride as [number, number];
  const [d0, d1] = geo.dilate as [number, number];
  const [p0, p1] = geo.pad as [number, number];
  // cols[n][c][i][j][ho][wo]
  const cols = new Float64Array(N * C * kh * kw * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / (C / G));
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const oBase = ((n * G + g) * kh * kw + i * kw + j) * 2 * Ho * Wo;
          for (let ho = 0; ho < Ho; ho++) {
            for (let wo = 0; wo < Wo; wo++) {
              const h = round(ho * s0 - p0 + i * d0 + OFF[oBase + ho * Wo + wo]!);
              const ww = round(wo * s1 - p1 + j * d1 + OFF[oBase + Ho * Wo + ho * Wo + wo]!);
              cols[((((n * C + c) * kh + i) * kw + j) * Ho + ho) * Wo + wo] = bilinearV1(X, (n * C + c) * H * W, H, W, h, ww);
            }
          }
        }
      }
    }
  }
  const out = new Float64Array(N * O * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const c0 = Math.floor(o / Og) * Cw;
      for (let q = 0; q < Ho * Wo; q++) {
        let s = B ? B[o]! : 0;
        for (let ci = 0; ci < Cw; ci++) {
          for (let k = 0; k < kh * kw; k++) s += WT[(o * Cw + ci) * kh * kw + k]! * cols[((n * C + c0 + ci) * kh * kw + k) * Ho * Wo + q]!;
        }
        out[(n * O + o) * Ho * Wo + q] = s;
      }
    }
  }
  return [tensorFromNumbers(outTypes[0]!.dtype, [N, O, Ho, Wo], out)];
}

type V1Sig = (data: Tx, offset: Tx, weight: Tx, bias?: Tx | null | DeformableConvolutionV1Options, ...rest: PositionalOptions<DeformableConvolutionV1Options, [...typeof POSITIONAL]>) => Tx;

/**
 * MXNet 1.x's `contrib.DeformableConvolution` (deformable convolution v1,
 * no mask, v1's border rule): see the file comment. Example:
 * `F.contrib.DeformableConvolution(x, offset, w, b, { kernel: [3, 3], pad: [1, 1], numFilter: 16 })`.
 */
export const DeformableConvolution: OpDef<V1Sig, DeformAttrs> = defineOp<V1Sig, DeformAttrs>({
  name: OP,
  inputs: ['data', 'offset', 'weight', 'bias?'],
  params: ['weight', 'bias'],
  attrs: V1_ATTRS,
  positional: [...POSITIONAL],
  minOpset: 19,
  lowerNeedsShape: true,
  infer: (types, a) => [{ dtype: commonDType(OP, types, FLOATS), shape: deformGeom(types, a, RULE).out }],
  solve: (types, a) => {
    const [x, , w, b] = types;
    const [, sw, sb] = solveConv(OP, [x!, w!, ...(b ? [b] : [])], a);
    return [undefined, undefined, sw, ...(b ? [sb] : [])];
  },
  kernel: (inputs, a, outTypes) => kernel(inputs, a, outTypes),
  lower: float16InFloat32((c, a) => {
    const geo = deformGeom(c.inTypes, a, RULE);
    const { H, W, G, kh, kw, Ho, Wo } = dimsOf(c.inTypes, geo, a, OP, 'cannot lower v1\'s border rule');
    const dtype = c.inTypes[0]!.dtype;
    const [x, off, w, b] = c.inputs;
    // Regular positions [kh, kw, 2, Ho, Wo] (row, column), against the offsets as [N, G, kh, kw, 2, Ho, Wo].
    const regular: number[] = [];
    const lastMinus: number[] = [];
    const farMinus: number[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        for (const axis of [0, 1]) {
          for (let ho = 0; ho < Ho; ho++) {
            for (let wo = 0; wo < Wo; wo++) {
              const r = axis === 0 ? ho * geo.stride[0]! - geo.pad[0]! + i * geo.dilate[0]! : wo * geo.stride[1]! - geo.pad[1]! + j * geo.dilate[1]!;
              regular.push(r);
              lastMinus.push((axis === 0 ? H : W) - 1 - r);
              farMinus.push(-2 - r);
            }
          }
        }
      }
    }
    const shape = [kh, kw, 2, Ho, Wo];
    const k = (v: number[], s = shape) => c.constant(tensorFromNumbers(dtype, s, v));
    const o7 = c.emit('Reshape', [off!, c.ints([0, G, kh, kw, 2, Ho, Wo])])[0]!;
    const pos = c.emit('Add', [o7, k(regular)])[0]!;
    const within = c.emit('And', [c.emit('GreaterOrEqual', [pos, c.scalar(0, dtype)])[0]!, c.emit('Less', [pos, k([H, W], [2, 1, 1])])[0]!])[0]!;
    const half = (n: number) => c.emit('Slice', [within, c.ints([n]), c.ints([n + 1]), c.ints([4])])[0]!;
    const inside = c.emit('And', [half(0), half(1)])[0]!;
    const last = c.emit('GreaterOrEqual', [pos, k([H - 1, W - 1], [2, 1, 1])])[0]!;
    const clamped = c.emit('Where', [last, k(lastMinus), o7])[0]!;
    const moved = c.emit('Where', [inside, clamped, k(farMinus)])[0]!;
    const off4 = c.emit('Reshape', [moved, c.ints([0, G * kh * kw * 2, Ho, Wo])])[0]!;
    c.emit('DeformConv', [x!, w!, off4, ...(b ? [b] : [])], deformConvAttrs(geo, a), c.outputs);
  }),
  grad: (F, { inputs, inTypes, attrs }, [g]) => {
    if (!g) return inputs.map(() => null);
    return deformableGrad(F, inputs, inTypes, attrs as DeformAttrs, g, RULE);
  },
});

/** The v1 deformable convolution operator, for ops/all.ts. */
export const DEFORMABLE_CONV_V1_OPS = { DeformableConvolution } as const;
