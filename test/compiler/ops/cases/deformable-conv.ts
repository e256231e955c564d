/**
 * Table entries for `ModulatedDeformableConvolution`. Reference: the
 * definition in numpy float64, loop for loop as MXNet's
 * modulated_deformable_im2col (and ONNX's DeformConv): tap (i, j) of output
 * (ho, wo) samples channel c at (ho*stride - pad + i*dilate + dy, wo*stride
 * - pad + j*dilate + dx), its offsets and mask those of c's deformable
 * group; bilinear with the four neighbours, each outside the image reading
 * 0; the masked samples convolved with the weight per group, plus the bias.
 * The first four samples are the gradient table's (central differences);
 * the fifth puts samples exactly on pixels, on the border and at -1 and the
 * size (its gradient: deformable-conv.test.ts).
 */
import type { OpCase } from '../case.js';

const DEFORM_REF = String.raw`
p = dict(zip(['kernel', 'stride', 'dilate', 'pad', 'numFilter', 'numGroup', 'numDeformableGroup', 'workspace', 'noBias'], args))
p.update(attrs or {})
x, off, mask, w = a, b, c, d
bias = globals().get('e')
N, C, H, W = x.shape; O = w.shape[0]
kh, kw = p['kernel']; sh, sw = p.get('stride') or [1, 1]; dh, dw = p.get('dilate') or [1, 1]; ph, pw = p.get('pad') or [0, 0]
grp = p.get('numGroup', 1); dg = p.get('numDeformableGroup', 1)
Ho, Wo = off.shape[2:]
off = off.reshape(N, dg, kh, kw, 2, Ho, Wo); mask = mask.reshape(N, dg, kh, kw, Ho, Wo)
cols = np.zeros((N, C, kh, kw, Ho, Wo))
for n in range(N):
    for ch in range(C):
        g = ch // (C // dg)
        for i in range(kh):
            for j in range(kw):
                for ho in range(Ho):
                    for wo in range(Wo):
                        py = ho * sh - ph + i * dh + off[n, g, i, j, 0, ho, wo]
                        px = wo * sw - pw + j * dw + off[n, g, i, j, 1, ho, wo]
                        y0, x0 = int(np.floor(py)), int(np.floor(px)); ty, tx = py - y0, px - x0
                        v = 0.0
                        for yy, wy in ((y0, 1 - ty), (y0 + 1, ty)):
                            for xx, wx in ((x0, 1 - tx), (x0 + 1, tx)):
                                if 0 <= yy < H and 0 <= xx < W: v += wy * wx * x[n, ch, yy, xx]
                        cols[n, ch, i, j, ho, wo] = v * mask[n, g, i, j, ho, wo]
out = np.zeros((N, O, Ho, Wo))
cg, og = C // grp, O // grp
for o in range(O):
    k = o // og
    out[:, o] = np.tensordot(cols[:, k * cg:(k + 1) * cg], w[o], axes=([1, 2, 3], [0, 1, 2]))
if bias is not None: out += bias.reshape(1, -1, 1, 1)
`;

// Offsets (dy, dx) for the fifth sample: whole pixels, the border, exactly -1 and the size (H = 4, W = 5), fractions.
const EDGE_OFFSETS = [0, 0, 1, -1, -1, 0, 0, 4, 3, 1, -2, 0.5, 0.25, -0.75, 2, 2];

export const cases: OpCase[] = [
  {
    op: 'ModulatedDeformableConvolution',
    samples: [
      { inputs: [{ shape: [2, 3, 5, 6] }, { shape: [2, 18, 5, 6], range: [-2, 2] }, { shape: [2, 9, 5, 6], range: [0, 1] }, { shape: [4, 3, 3, 3] }, { shape: [4] }], args: [{ kernel: [3, 3], pad: [1, 1], numFilter: 4 }] },
      {
        inputs: [{ shape: [1, 4, 7, 6] }, { shape: [1, 24, 4, 2], range: [-1.5, 1.5] }, { shape: [1, 12, 4, 2] }, { shape: [4, 2, 2, 3] }],
        args: [{ kernel: [2, 3], stride: [2, 1], dilate: [1, 2], pad: [1, 0], numFilter: 4, numGroup: 2, numDeformableGroup: 2, noBias: true }],
        label: 'groups, deformable groups, stride, dilate, rectangular kernel, no bias',
      },
      { inputs: [{ shape: [1, 2, 4, 4], dtype: 'float64' }, { shape: [1, 8, 3, 3], dtype: 'float64', range: [-1, 1] }, { shape: [1, 4, 3, 3], dtype: 'float64' }, { shape: [3, 2, 2, 2], dtype: 'float64' }, { shape: [3], dtype: 'float64' }], args: [[2, 2], [1, 1], [1, 1], [0, 0], 3], label: 'float64, positional options' },
      { inputs: [{ shape: [3, 2, 4, 4], symbolic: true }, { shape: [3, 8, 2, 2], symbolic: true, range: [-1, 1] }, { shape: [3, 4, 2, 2], symbolic: true }, { shape: [2, 2, 2, 2] }, { shape: [2] }], args: [{ kernel: [2, 2], pad: [1, 1], stride: [2, 2], dilate: [2, 2], numFilter: 2 }], label: 'symbolic batch' },
      { inputs: [{ shape: [1, 1, 4, 5] }, { shape: [1, 2, 4, 5], values: Array.from({ length: 40 }, (_v, i) => EDGE_OFFSETS[i % 16]!) }, { shape: [1, 1, 4, 5] }, { shape: [2, 1, 1, 1] }, { shape: [2] }], args: [{ kernel: [1, 1], pad: [0, 0], stride: [1, 1], numFilter: 2 }], label: 'samples on pixels, on the border, at -1 and the size' },
    ],
    ref: DEFORM_REF,
  },
];
