/**
 * The python3 script behind deformable-conv-v1.test.ts: MXNet 1.x's
 * deformable convolution v1 forward and backward transcribed in float64
 * numpy from src/operator/contrib/nn/deformable_im2col.cuh (apache/mxnet
 * 068a210d6df574f31814e05e70f0ad9b142f08d7) and
 * src/operator/contrib/deformable_convolution-inl.h, its backward checked
 * against central differences of its forward away from the kinks; writes
 * each case's inputs, output, output-gradient weights r and gradients as
 * .npy, and its options as opts.json, under argv[1]/<case>.
 */
export const DEFORM_V1_SCRIPT = String.raw`
import os, sys, json, numpy as np
out = sys.argv[1]
rs = np.random.RandomState(0)

def bilinear(im, h, w):
    # deformable_im2col_bilinear (called for 0 <= h < H, 0 <= w < W)
    H, W = im.shape
    hl, wl = int(np.floor(h)), int(np.floor(w))
    if hl >= H - 1: hl = hh = H - 1; h = float(hl)
    else: hh = hl + 1
    if wl >= W - 1: wl = wh = W - 1; w = float(wl)
    else: wh = wl + 1
    lh, lw = h - hl, w - wl
    return (1 - lh) * (1 - lw) * im[hl, wl] + (1 - lh) * lw * im[hl, wh] + lh * (1 - lw) * im[hh, wl] + lh * lw * im[hh, wh]

def gradient_weight(ah, aw, h, w, H, W):
    # get_gradient_weight
    if ah < 0 or ah > H or aw < 0 or aw > W: return 0.0
    ah, aw = max(ah, 0.0), max(aw, 0.0)
    hl, wl = int(ah), int(aw)
    if hl >= H - 1: hl = hh = H - 1; ah = float(hl)
    else: hh = hl + 1
    if wl >= W - 1: wl = wh = W - 1; aw = float(wl)
    else: wh = wl + 1
    if h == hl:
        if w == wl: return (h + 1 - ah) * (w + 1 - aw)
        if w == wh: return (h + 1 - ah) * (aw + 1 - w)
    elif h == hh:
        if w == wl: return (ah + 1 - h) * (w + 1 - aw)
        if w == wh: return (ah + 1 - h) * (aw + 1 - w)
    return 0.0

def coordinate_weight(ah, aw, H, W, im, bp_dir):
    # get_coordinate_weight
    if ah < 0 or ah > H or aw < 0 or aw > W: return 0.0
    hl, wl = int(ah), int(aw)
    if hl >= H - 1: hl = hh = H - 1; ah = float(hl)
    else: hh = hl + 1
    if wl >= W - 1: wl = wh = W - 1; aw = float(wl)
    else: wh = wl + 1
    ll, lh_, hl_, hh_ = im[hl, wl], im[hl, wh], im[hh, wl], im[hh, wh]
    if bp_dir == 0:
        return -(wl + 1 - aw) * ll - (aw - wl) * lh_ + (wl + 1 - aw) * hl_ + (aw - wl) * hh_
    return -(hl + 1 - ah) * ll + (hl + 1 - ah) * lh_ - (ah - hl) * hl_ + (ah - hl) * hh_

class Conv:
    def __init__(s, xshape, wshape, kernel, stride, dil, pad, grp, dg):
        s.N, s.C, s.H, s.W = xshape; s.O = wshape[0]; s.kh, s.kw = kernel; s.st, s.dl, s.pd = stride, dil, pad; s.grp, s.dg = grp, dg
        s.Ho = (s.H + 2 * pad[0] - dil[0] * (s.kh - 1) - 1) // stride[0] + 1
        s.Wo = (s.W + 2 * pad[1] - dil[1] * (s.kw - 1) - 1) // stride[1] + 1
    def pos(s, off, n, c, i, j, ho, wo):
        g = c // (s.C // s.dg)
        o = off[n].reshape(s.dg, s.kh, s.kw, 2, s.Ho, s.Wo)
        return (ho * s.st[0] - s.pd[0] + i * s.dl[0] + o[g, i, j, 0, ho, wo], wo * s.st[1] - s.pd[1] + j * s.dl[1] + o[g, i, j, 1, ho, wo])
    def cols(s, x, off):
        # deformable_im2col_gpu_kernel
        cols = np.zeros((s.N, s.C, s.kh, s.kw, s.Ho, s.Wo))
        for n, c, i, j, ho, wo in np.ndindex(cols.shape):
            h, w = s.pos(off, n, c, i, j, ho, wo)
            if h >= 0 and w >= 0 and h < s.H and w < s.W: cols[n, c, i, j, ho, wo] = bilinear(x[n, c], h, w)
        return cols
    def forward(s, x, off, w, b):
        cols = s.cols(x, off).reshape(s.N, s.grp, -1, s.Ho * s.Wo)
        y = np.einsum('goj,ngjl->ngol', w.reshape(s.grp, s.O // s.grp, -1), cols).reshape(s.N, s.O, s.Ho, s.Wo)
        return y if b is None else y + b.reshape(1, -1, 1, 1)
    def backward(s, x, off, w, dy):
        dcol = np.einsum('goj,ngol->ngjl', w.reshape(s.grp, s.O // s.grp, -1), dy.reshape(s.N, s.grp, s.O // s.grp, -1)).reshape(s.N, s.C, s.kh, s.kw, s.Ho, s.Wo)
        dx = np.zeros_like(x)
        # deformable_col2im_gpu_kernel
        for n, c, i, j, ho, wo in np.ndindex(dcol.shape):
            ih, iw = s.pos(off, n, c, i, j, ho, wo)
            ch, cw = int(ih), int(iw)
            for ddy in range(-2, 3):
                for ddx in range(-2, 3):
                    hh, ww = ch + ddy, cw + ddx
                    if 0 <= hh < s.H and 0 <= ww < s.W and abs(ih - hh) < 1 and abs(iw - ww) < 1:
                        dx[n, c, hh, ww] += gradient_weight(ih, iw, hh, ww, s.H, s.W) * dcol[n, c, i, j, ho, wo]
        # deformable_col2im_coord_gpu_kernel
        doff = np.zeros((s.N, s.dg, s.kh, s.kw, 2, s.Ho, s.Wo))
        cg = s.C // s.dg
        for n, g, i, j, d, ho, wo in np.ndindex(doff.shape):
            v = 0.0
            for c in range(g * cg, (g + 1) * cg):
                ih, iw = s.pos(off, n, c, i, j, ho, wo)
                if ih < 0 or iw < 0 or ih >= s.H or iw >= s.W: ih = iw = -1.0
                v += coordinate_weight(ih, iw, s.H, s.W, x[n, c], d) * dcol[n, c, i, j, ho, wo]
            doff[n, g, i, j, d, ho, wo] = v
        cols = s.cols(x, off).reshape(s.N, s.grp, -1, s.Ho * s.Wo)
        dw = np.einsum('ngol,ngjl->goj', dy.reshape(s.N, s.grp, s.O // s.grp, -1), cols).reshape(w.shape)
        return dx, doff.reshape(off.shape), dw, dy.sum(axis=(0, 2, 3))

# Positions for a 1x1 kernel over H = 4, W = 5: -1, 0, the last pixel, the size, inside the last cell, whole pixels.
EDGE_H = [-1, 0, 3, 4, 3.5, -0.5, 2, 0.25, 3.75, 4.5, 1, 0, 3, 2.5, -0.25, 3, 0, 1.5, 3.999, 2]
EDGE_W = [0, 4, 5, -1, 4.5, 2, 4.25, 0, -0.5, 3, 1, 4, 4.75, 5, 2, 0.5, -1, 4, 1, 3.5]
CASES = {
    # name: x shape, w shape, kernel, stride, dilate, pad, groups, deformable groups, bias
    'kinks': ([1, 2, 4, 5], [3, 2, 1, 1], [1, 1], [1, 1], [1, 1], [0, 0], 1, 1, True),
    'quarters': ([2, 4, 6, 5], [6, 2, 3, 3], [3, 3], [1, 2], [1, 1], [1, 1], 2, 2, True),
    'smooth': ([1, 2, 5, 5], [2, 2, 2, 2], [2, 2], [1, 1], [2, 1], [1, 0], 1, 1, False),
}
for name, (xs, ws, k, st, dl, pd, grp, dg, has_b) in CASES.items():
    s = Conv(xs, ws, k, st, dl, pd, grp, dg)
    x = rs.randn(*xs).astype(np.float32)
    offs = (s.N, dg * s.kh * s.kw * 2, s.Ho, s.Wo)
    if name == 'kinks':
        off = np.array([h - kk // 5 for kk, h in enumerate(EDGE_H)] + [w - kk % 5 for kk, w in enumerate(EDGE_W)], np.float32).reshape(offs)
    elif name == 'quarters':
        off = (np.round(rs.uniform(-2.5, 2.5, offs) * 4) / 4).astype(np.float32)  # many samples exactly on pixels, at 0, size - 1 and the size
    else:
        off = rs.uniform(-1.5, 1.5, offs).astype(np.float32)
    w = rs.randn(*ws).astype(np.float32); b = rs.randn(ws[0]).astype(np.float32) if has_b else None
    X, OFF, Wt, B = (None if a is None else a.astype(np.float64) for a in (x, off, w, b))
    y = s.forward(X, OFF, Wt, B)
    r = rs.randn(*y.shape)
    dx, doff, dw, db = s.backward(X, OFF, Wt, r)
    if name == 'smooth':
        # The transcribed backward against central differences of the forward, away from the kinks.
        for idx, (a, g) in enumerate(((X, dx), (OFF, doff), (Wt, dw))):
            v = rs.randn(*a.shape); e = 1e-6
            args = lambda t: [X + t * v if idx == 0 else X, OFF + t * v if idx == 1 else OFF, Wt + t * v if idx == 2 else Wt, B]
            num = ((s.forward(*args(e)) - s.forward(*args(-e))) * r).sum() / (2 * e)
            assert abs(num - (g * v).sum()) <= 1e-6 * (1 + abs(num)), (name, idx, num, (g * v).sum())
    d = os.path.join(out, name); os.makedirs(d)
    items = [('x', x), ('offset', off), ('w', w), ('y', y), ('r', r), ('gx', dx), ('goffset', doff), ('gw', dw)] + ([('b', b), ('gb', db)] if has_b else [])
    for kk, v in items: np.save(os.path.join(d, kk + '.npy'), v)
    json.dump({'kernel': k, 'stride': st, 'dilate': dl, 'pad': pd, 'numFilter': ws[0], 'numGroup': grp, 'numDeformableGroup': dg, 'noBias': not has_b}, open(os.path.join(d, 'opts.json'), 'w'))
`;
