/**
 * Table entries for `DeformableConvolution` (MXNet 1.x's v1). Reference: the
 * forward in numpy float64, written from MXNet's
 * src/operator/contrib/nn/deformable_im2col.cuh (`deformable_im2col_gpu_kernel`
 * and `deformable_im2col_bilinear`): tap (i, j) of output (ho, wo) samples
 * channel c at h = ho*stride - pad + i*dilate + dy, w likewise, its offsets
 * those of c's deformable group; a sample outside [0, H) x [0, W) is 0;
 * else h_low = floor(h), and h_low >= H - 1 makes both rows H - 1 with
 * fraction 0 (likewise w); the samples convolved with the weight per group
 * (deformable_convolution-inl.h's gemm), plus the bias. The first four
 * samples are the gradient table's (central differences away from the
 * kinks); the fifth puts samples at -1, 0, size - 1, size, inside the last
 * pixel's cell and on whole pixels (its gradient against MXNet's backward:
 * deformable-conv-v1.test.ts); the sixth NaN and infinite offsets (forward
 * only: the gradient table skips non-finite samples).
 */
import type { OpCase } from '../case.js';

export const DEFORM_V1_REF = String.raw`
p = dict(zip(['kernel', 'stride', 'dilate', 'pad', 'numFilter', 'numGroup', 'numDeformableGroup', 'workspace', 'noBias'], args))
p.update(attrs or {})
x, off, w = a, b, c
bias = globals().get('d')
N, C, H, W = x.shape; O = w.shape[0]
kh, kw = p['kernel']; sh, sw = p.get('stride') or [1, 1]; dh, dw = p.get('dilate') or [1, 1]; ph, pw = p.get('pad') or [0, 0]
grp = p.get('numGroup', 1); dg = p.get('numDeformableGroup', 1)
Ho, Wo = off.shape[2:]
off = off.reshape(N, dg, kh, kw, 2, Ho, Wo)
def bilinear(im, h, w_):
    # deformable_im2col_bilinear, called only for 0 <= h < H and 0 <= w < W
    hl, wl = int(np.floor(h)), int(np.floor(w_))
    if hl >= H - 1: hl = hh = H - 1; h = float(hl)
    else: hh = hl + 1
    if wl >= W - 1: wl = wh = W - 1; w_ = float(wl)
    else: wh = wl + 1
    lh, lw = h - hl, w_ - wl
    return (1 - lh) * (1 - lw) * im[hl, wl] + (1 - lh) * lw * im[hl, wh] + lh * (1 - lw) * im[hh, wl] + lh * lw * im[hh, wh]
cols = np.zeros((N, C, kh, kw, Ho, Wo))
for n in range(N):
    for ch in range(C):
        g = ch // (C // dg)
        for i in range(kh):
            for j in range(kw):
                for ho in range(Ho):
                    for wo in range(Wo):
                        h = ho * sh - ph + i * dh + off[n, g, i, j, 0, ho, wo]
                        w_ = wo * sw - pw + j * dw + off[n, g, i, j, 1, ho, wo]
                        if h >= 0 and w_ >= 0 and h < H and w_ < W:
                            cols[n, ch, i, j, ho, wo] = bilinear(x[n, ch], h, w_)
out = np.zeros((N, O, Ho, Wo))
cg, og = C // grp, O // grp
for o in range(O):
    k = o // og
    out[:, o] = np.tensordot(cols[:, k * cg:(k + 1) * cg], w[o], axes=([1, 2, 3], [0, 1, 2]))
if bias is not None: out += bias.reshape(1, -1, 1, 1)
`;

/** Sample positions (h, w) for a 1x1 kernel over H = 4, W = 5 (20 outputs): -1, 0, the last pixel 3 / 4, the size 4 / 5, inside the last cell, whole pixels, fractions. */
export const EDGE_H = [-1, 0, 3, 4, 3.5, -0.5, 2, 0.25, 3.75, 4.5, 1, 0, 3, 2.5, -0.25, 3, 0, 1.5, 3.999, 2];
export const EDGE_W = [0, 4, 5, -1, 4.5, 2, 4.25, 0, -0.5, 3, 1, 4, 4.75, 5, 2, 0.5, -1, 4, 1, 3.5];
/** The offsets putting output (ho, wo) = (k / 5, k % 5) at those positions: [1, 2, 4, 5]. */
export const EDGE_OFFSETS = [...EDGE_H.map((h, k) => h - Math.floor(k / 5)), ...EDGE_W.map((w, k) => w - (k % 5))];

export const cases: OpCase[] = [
  {
    op: 'DeformableConvolution',
    samples: [
      { inputs: [{ shape: [2, 3, 5, 6] }, { shape: [2, 18, 5, 6], range: [-2, 2] }, { shape: [4, 3, 3, 3] }, { shape: [4] }], args: [{ kernel: [3, 3], pad: [1, 1], numFilter: 4 }] },
      {
        inputs: [{ shape: [1, 4, 7, 6] }, { shape: [1, 24, 4, 2], range: [-1.5, 1.5] }, { shape: [4, 2, 2, 3] }],
        args: [{ kernel: [2, 3], stride: [2, 1], dilate: [1, 2], pad: [1, 0], numFilter: 4, numGroup: 2, numDeformableGroup: 2, noBias: true }],
        label: 'groups, deformable groups, stride, dilate, rectangular kernel, no bias',
      },
      { inputs: [{ shape: [1, 2, 4, 4], dtype: 'float64' }, { shape: [1, 8, 3, 3], dtype: 'float64', range: [-1, 1] }, { shape: [3, 2, 2, 2], dtype: 'float64' }, { shape: [3], dtype: 'float64' }], args: [[2, 2], [1, 1], [1, 1], [0, 0], 3], label: 'float64, positional options' },
      { inputs: [{ shape: [3, 2, 4, 4], symbolic: true }, { shape: [3, 8, 2, 2], symbolic: true, range: [-1, 1] }, { shape: [2, 2, 2, 2] }, { shape: [2] }], args: [{ kernel: [2, 2], pad: [1, 1], stride: [2, 2], dilate: [2, 2], numFilter: 2 }], label: 'symbolic batch' },
      { inputs: [{ shape: [1, 1, 4, 5] }, { shape: [1, 2, 4, 5], values: EDGE_OFFSETS }, { shape: [2, 1, 1, 1] }, { shape: [2] }], args: [{ kernel: [1, 1], numFilter: 2 }], label: 'samples at -1, 0, size - 1, size, in the last cell, on pixels' },
      {
        inputs: [{ shape: [1, 1, 4, 5] }, { shape: [1, 2, 4, 5], values: Array.from({ length: 40 }, (_v, i) => [NaN, Infinity, -Infinity, 0.5, 1e30][i % 5]!) }, { shape: [2, 1, 1, 1] }, { shape: [2] }],
        args: [{ kernel: [1, 1], numFilter: 2 }],
        label: 'NaN and infinite offsets read 0 (MXNet\'s [0, size) test is false for them)',
      },
    ],
    ref: DEFORM_V1_REF,
  },
];
