/**
 * MXNet's `contrib.ModulatedDeformableConvolution` (deformable convolution
 * v2, Zhu et al. 2018; MXNet's src/operator/contrib/
 * modulated_deformable_convolution*), which ONNX's `DeformConv` (opset 19)
 * computes too: each kernel tap of each output position reads the input at
 * its regular position `o * stride - pad + k * dilate` moved by a learned
 * offset (dy, dx), bilinearly, a tap outside the image reading 0 (a sample
 * within one pixel of the border fades), times a learned mask, and the
 * samples are convolved with the weight. Offsets and masks are shared by the
 * channels of one of `numDeformableGroup` groups: offset
 * `[N, groups * kh * kw * 2, Ho, Wo]` holding (dy, dx) per kernel tap, mask
 * `[N, groups * kh * kw, Ho, Wo]`.
 *
 * The forward lowers to ONNX's DeformConv (opset 19 and later; onnxruntime
 * has float and double kernels, float16 runs in float32). The gradient is
 * written with gluonc operators (`deformableGrad`): the samples computed
 * again through one `take` per bilinear tap, the weight's and the samples'
 * gradients by einsum, the input's by `indexAdd` of each tap's share, the
 * mask's by the samples, the offsets' by the bilinear weights' derivatives
 * (at an integer position, the cell to its lower right's, as MXNet's
 * floor-based kernel; 0 for a sample outside (-1, size), MXNet's
 * `modulated_deformable_col2im_coord`).
 *
 * Invariants: 2-D data [N, C, H, W] (NCHW), weight `[numFilter, C/numGroup,
 * kh, kw]` (Convolution's); concrete C, H, W, Ho, Wo for the gradient.
 * The shape checks and the gradient serve MXNet 1.x's v1 too
 * (deformable-conv-v1.ts: no mask, its own border rule; `DeformRule`).
 */
import type { Shape, TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { compatible, CONV_ATTRS, convGeom, fmt, FLOATS, solveConv, type ConvAttrs, type ConvGeom, type ConvOptions } from './conv.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import type { GradOps, GradTensor } from './grad-ops.js';

const OP = 'ModulatedDeformableConvolution';

/** The attributes the deformable convolutions share (v1 has no `im2colStep`). */
export type DeformAttrs = ConvAttrs & { numDeformableGroup: number; im2colStep?: number };

/**
 * Which deformable convolution: its name (for Errors) and whether it is MXNet
 * 1.x's v1 (`DeformableConvolution`: no mask, v1's border rule, see
 * deformable-conv-v1.ts) or v2 (`ModulatedDeformableConvolution`).
 */
export interface DeformRule {
  op: string;
  v1: boolean;
}
const V2: DeformRule = { op: OP, v1: false };

/** ModulatedDeformableConvolution's options: Convolution's plus MXNet's `num_deformable_group` and `im2col_step` (accepted, no effect). */
export interface DeformableConvOptions extends Omit<ConvOptions, 'cudnnTune' | 'cudnnOff' | 'layout'> {
  numDeformableGroup?: number;
  im2colStep?: number;
  layout?: 'NCHW';
}

/** MXNet's positional order of the options (ModulatedDeformableConvolutionParam's fields). */
const POSITIONAL = ['kernel', 'stride', 'dilate', 'pad', 'numFilter', 'numGroup', 'numDeformableGroup', 'workspace', 'noBias', 'im2colStep', 'layout'] as const;

/** The sizes the sampling needs (all concrete but the batch). */
export interface Dims {
  C: number;
  H: number;
  W: number;
  G: number;
  kh: number;
  kw: number;
  Ho: number;
  Wo: number;
}

/**
 * The convolution's geometry (Convolution's checks on data, weight and bias)
 * and the offset (and mask) shapes checked against it; `rule` names the
 * operator and says whether it takes a mask (v2, inputs [data, offset, mask,
 * weight, bias?]) or not (MXNet 1.x's v1, [data, offset, weight, bias?]).
 */
export function deformGeom(types: TensorType[], a: DeformAttrs, rule: DeformRule = V2): ConvGeom {
  const op = rule.op;
  const [x, off, ...rest] = types;
  const [mask, w, b] = rule.v1 ? [undefined, ...rest] : rest;
  if (x!.shape.length !== 4) throw new OpError(op, `needs 2-D data [N, C, H, W], got shape ${fmt(x!.shape)}`, types);
  const geo = convGeom(op, [x!, w!, ...(b ? [b] : [])], a);
  const g = a.numDeformableGroup;
  if (!Number.isInteger(g) || g < 1) throw new OpError(op, `numDeformableGroup must be a positive integer, got ${JSON.stringify(g)}`, types);
  const c = x!.shape[1]!;
  if (typeof c === 'number' && c % g !== 0) throw new OpError(op, `data channels ${c} are not divisible by numDeformableGroup ${g}`, types);
  const taps = geo.kernel[0]! * geo.kernel[1]!;
  const [n, , ho, wo] = geo.out;
  const expect = (what: string, t: TensorType, per: number): void => {
    const want: Shape = [n!, g * taps * per, ho!, wo!];
    if (t.shape.length !== 4 || !t.shape.every((d, i) => compatible(d, want[i]!))) {
      throw new OpError(op, `${what} shape ${fmt(t.shape)} must be ${fmt(want)} ([N, numDeformableGroup * kh * kw${per === 2 ? ' * 2' : ''}, Ho, Wo] for data ${fmt(x!.shape)} and kernel ${fmt(geo.kernel)})`, types);
    }
  };
  expect('offset', off!, 2);
  if (mask) expect('mask', mask, 1);
  return geo;
}

/** ONNX DeformConv's attributes for a geometry and the operator's deformable groups (v1 and v2 alike). Example: `c.emit('DeformConv', ins, deformConvAttrs(geo, a), c.outputs)`. */
export function deformConvAttrs(geo: ConvGeom, a: DeformAttrs): Record<string, number | number[]> {
  return { kernel_shape: geo.kernel, strides: geo.stride, dilations: geo.dilate, pads: [...geo.pad, ...geo.pad], group: geo.group, offset_group: a.numDeformableGroup };
}

/** The concrete sizes the gradient (and v1's lowering) needs, or an Error naming the symbolic one. */
export function dimsOf(types: TensorType[], geo: ConvGeom, a: DeformAttrs, op = OP, doing = 'cannot differentiate'): Dims {
  const [, C, H, W] = types[0]!.shape;
  const [, , Ho, Wo] = geo.out;
  const named = { C, H, W, Ho, Wo };
  for (const [k, v] of Object.entries(named)) {
    if (typeof v !== 'number') throw new OpError(op, `${doing} with the symbolic size ${k} = ${String(v)}: give the input concrete channels and spatial sizes`, types);
  }
  return { C: C as number, H: H as number, W: W as number, G: a.numDeformableGroup, kh: geo.kernel[0]!, kw: geo.kernel[1]!, Ho: Ho as number, Wo: Wo as number };
}

/**
 * The bilinear samples of `x` at the deformed positions, [N, G, kh, kw, Ho,
 * Wo, C/G], their derivatives along y and x, and each tap's row positions
 * and weights (for the input's gradient); `inRange` is 1 where the offsets
 * get a gradient. v2: a neighbour outside the image reads 0, `inRange` is
 * the sample within (-1, size) on both axes. v1 (MXNet's
 * `deformable_im2col_bilinear` and `get_coordinate_weight`): a sample
 * outside [0, size) on either axis reads 0 and gets no gradient, one in
 * [size - 1, size) reads the last pixel (its position clamped there, its
 * derivative along that axis 0).
 */
function sample(F: GradOps, x: GradTensor, off: GradTensor, geo: ConvGeom, t: Dims, v1: boolean) {
  const { C, H, W, G, kh, kw, Ho, Wo } = t;
  const Cg = C / G;
  const d = x.dtype;
  const o = F.reshape(off, [-1, G, kh, kw, 2, Ho, Wo]);
  const along = (k: number) => F.squeeze(F.sliceAxis(o, { axis: 4, begin: k, end: k + 1 }), 4);
  const ar = (n: number) => F.arange(0, n, 1, { dtype: d });
  const [s0, s1] = geo.stride;
  const [d0, d1] = geo.dilate;
  const [p0, p1] = geo.pad;
  // Regular positions: rows [kh, 1, Ho, 1] and columns [kw, 1, Wo] against [N, G, kh, kw, Ho, Wo].
  const rows0 = F.add(F.reshape(F.mul(ar(kh), d0!), [kh, 1, 1, 1]), F.reshape(F.sub(F.mul(ar(Ho), s0!), p0!), [1, 1, Ho, 1]));
  const cols0 = F.add(F.reshape(F.mul(ar(kw), d1!), [kw, 1, 1]), F.reshape(F.sub(F.mul(ar(Wo), s1!), p1!), [1, 1, Wo]));
  let py = F.add(along(0), rows0);
  let px = F.add(along(1), cols0);
  // v1: inside [0, size) on both axes, and whether each axis is below its last pixel (else clamped there).
  let inside: GradTensor | null = null;
  let keep: [GradTensor, GradTensor] | null = null;
  if (v1) {
    inside = F.mul(F.mul(F.greaterEqual(py, 0), F.lesser(py, H)), F.mul(F.greaterEqual(px, 0), F.lesser(px, W)));
    keep = [F.lesser(py, H - 1), F.lesser(px, W - 1)];
    [py, px] = [F.minimum(py, H - 1), F.minimum(px, W - 1)];
  }
  const [y0, x0] = [F.floor(py), F.floor(px)];
  const [ty, tx] = [F.sub(py, y0), F.sub(px, x0)];
  // The input as rows [N*G*H*W, C/G]; row (n*G + g)*H*W + y*W + x (n counted by a cumsum: a symbolic batch works).
  const table = F.reshape(F.transpose(F.reshape(x, [-1, G, Cg, H, W]), [0, 1, 3, 4, 2]), [-1, Cg]);
  const first = F.reshape(F.slice(py, { begin: [null, null, 0, 0, 0, 0], end: [null, null, 1, 1, 1, 1] }), [-1]);
  const base = F.reshape(F.mul(F.sub(F.cumsum(F.onesLike(first), 0), 1), H * W), [-1, G, 1, 1, 1, 1]);
  const e = (v: GradTensor) => F.expandDims(v, -1);
  let value: GradTensor | null = null;
  let dy: GradTensor | null = null;
  let dx: GradTensor | null = null;
  const taps: { pos: GradTensor; weight: GradTensor }[] = [];
  const acc = (s: GradTensor | null, v: GradTensor) => (s ? F.add(s, v) : v);
  for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
    const yi = a ? F.add(y0, 1) : y0;
    const xi = b ? F.add(x0, 1) : x0;
    const onImage = F.mul(F.mul(F.greaterEqual(yi, 0), F.lesserEqual(yi, H - 1)), F.mul(F.greaterEqual(xi, 0), F.lesserEqual(xi, W - 1)));
    const valid = inside ? F.mul(onImage, inside) : onImage;
    const pos = F.cast(F.add(F.add(base, F.mul(F.clip(yi, 0, H - 1), W)), F.clip(xi, 0, W - 1)), 'int64');
    const v = F.take(table, pos, { axis: 0 });
    const [wy, wx] = [a ? ty : F.sub(1, ty), b ? tx : F.sub(1, tx)];
    const weight = F.mul(F.mul(wy, wx), valid);
    value = acc(value, F.mul(v, e(weight)));
    dy = acc(dy, F.mul(v, e(F.mul(F.mul(wx, valid), a ? 1 : -1))));
    dx = acc(dx, F.mul(v, e(F.mul(F.mul(wy, valid), b ? 1 : -1))));
    taps.push({ pos, weight });
  }
  if (keep) [dy, dx] = [F.mul(dy!, e(keep[0])), F.mul(dx!, e(keep[1]))];
  const inRange = inside ?? F.mul(F.mul(F.greater(py, -1), F.lesser(py, H)), F.mul(F.greater(px, -1), F.lesser(px, W)));
  return { value: value!, dy: dy!, dx: dx!, taps, table, inRange };
}

/**
 * The gradients of data, offset, (v2: mask,) weight and bias for the output
 * gradient `g` (see the file comment; v1's rule: deformable-conv-v1.ts).
 */
export function deformableGrad(F: GradOps, inputs: GradTensor[], types: TensorType[], a: DeformAttrs, g: GradTensor, rule: DeformRule = V2): GradTensor[] {
  const [x, off, ...rest] = inputs;
  const [mask, w, b] = rule.v1 ? [null, ...rest] : rest;
  const geo = deformGeom(types, a, rule);
  const t = dimsOf(types, geo, a, rule.op);
  const { C, H, W, G, kh, kw, Ho, Wo } = t;
  const Cg = C / G;
  const grp = geo.group;
  const O = types[rule.v1 ? 2 : 3]!.shape[0] as number;
  const s = sample(F, x!, off!, geo, t, rule.v1);
  const m = mask ? F.expandDims(F.reshape(mask, [-1, G, kh, kw, Ho, Wo]), -1) : null;
  const cols = m ? F.mul(s.value, m) : s.value;
  // Columns [N, grp, C/grp * kh * kw, Ho*Wo] (channel-major, as the weight [O, C/grp, kh, kw] flattens).
  const toCols = (v: GradTensor) => F.reshape(F.transpose(v, [0, 1, 6, 2, 3, 4, 5]), [-1, grp, (C / grp) * kh * kw, Ho * Wo]);
  const fromCols = (v: GradTensor) => F.transpose(F.reshape(v, [-1, G, Cg, kh, kw, Ho, Wo]), [0, 1, 3, 4, 5, 6, 2]);
  const g4 = F.reshape(g, [-1, grp, O / grp, Ho * Wo]);
  const dw = F.reshape(F.einsum('ngol,ngjl->goj', g4, toCols(cols)), [O, C / grp, kh, kw]);
  const dcols = fromCols(F.einsum('goj,ngol->ngjl', F.reshape(w!, [grp, O / grp, (C / grp) * kh * kw]), g4));
  const dmask = m ? [F.reshape(F.sum(F.mul(dcols, s.value), { axis: -1 }), [-1, G * kh * kw, Ho, Wo])] : [];
  const dv = m ? F.mul(dcols, m) : dcols;
  const dOff = (deriv: GradTensor) => F.mul(F.sum(F.mul(dv, deriv), { axis: -1 }), s.inRange);
  const doff = F.reshape(F.stack(dOff(s.dy), dOff(s.dx), { axis: 4 }), [-1, G * kh * kw * 2, Ho, Wo]);
  // The input: each tap's share scattered back to its row (one indexAdd over the four taps).
  const pos = F.concat(...s.taps.map((p) => F.reshape(p.pos, [-1])), { dim: 0 });
  const upd = F.concat(...s.taps.map((p) => F.reshape(F.mul(dv, F.expandDims(p.weight, -1)), [-1, Cg])), { dim: 0 });
  const rows = F.indexAdd(F.zerosLike(s.table), pos, upd, { axis: 0 });
  const dx = F.reshape(F.transpose(F.reshape(rows, [-1, G, H, W, Cg]), [0, 1, 4, 2, 3]), [-1, C, H, W]);
  return [dx, doff, ...dmask, dw, ...(b ? [F.sum(g, { axis: 1, exclude: true })] : [])];
}

/** Convolution's options (without cuDNN's, which MXNet's operator does not take) and the deformable ones, MXNet's defaults. */
const { cudnnTune: _tune, cudnnOff: _off, ...CONV_BASE } = CONV_ATTRS;
const DEFORM_ATTRS = { ...CONV_BASE, numDeformableGroup: 1, im2colStep: 64 };

type DeformSig = (data: Tx, offset: Tx, mask: Tx, weight: Tx, bias?: Tx | null | DeformableConvOptions, ...rest: PositionalOptions<DeformableConvOptions, [...typeof POSITIONAL]>) => Tx;

/**
 * MXNet's `contrib.ModulatedDeformableConvolution` (deformable convolution
 * v2; ONNX's DeformConv): see the file comment. Example:
 * `F.contrib.ModulatedDeformableConvolution(x, offset, mask, w, b, { kernel: [3, 3], pad: [1, 1], numFilter: 16 })`.
 */
export const ModulatedDeformableConvolution: OpDef<DeformSig, DeformAttrs> = defineOp<DeformSig, DeformAttrs>({
  name: OP,
  inputs: ['data', 'offset', 'mask', 'weight', 'bias?'],
  params: ['weight', 'bias'],
  attrs: DEFORM_ATTRS,
  positional: [...POSITIONAL],
  minOpset: 19,
  infer: (types, a) => [{ dtype: commonDType(OP, types, FLOATS), shape: deformGeom(types, a).out }],
  solve: (types, a) => {
    const [x, , , w, b] = types;
    const [, sw, sb] = solveConv(OP, [x!, w!, ...(b ? [b] : [])], a);
    return [undefined, undefined, undefined, sw, ...(b ? [sb] : [])];
  },
  lower: float16InFloat32((c, a) => {
    const geo = deformGeom(c.inTypes, a);
    const [x, off, mask, w, b] = c.inputs;
    c.emit('DeformConv', [x!, w!, off!, b ?? '', mask!], deformConvAttrs(geo, a), c.outputs);
  }),
  grad: (F, { inputs, inTypes, attrs }, [g]) => {
    if (!g) return inputs.map(() => null);
    return deformableGrad(F, inputs, inTypes, attrs as DeformAttrs, g);
  },
});

/** The deformable convolution operator, for ops/all.ts. */
export const DEFORMABLE_CONV_OPS = { ModulatedDeformableConvolution } as const;
