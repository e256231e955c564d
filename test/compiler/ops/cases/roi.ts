/**
 * Table entries for `ROIPooling` and `ROIAlign` (its reference below).
 * `ROI_POOL_REF` is MXNet's roi_pooling.cc/.cu (the Caffe loop) in numpy,
 * forward and backward: box corners scaled in float32 and rounded half away
 * from zero (C's round), at least 1x1, bins floor(i * size / n) to
 * ceil((i + 1) * size / n) in float32 arithmetic, clamped to the map; each
 * bin's maximum by `if (data > max)` from -FLT_MAX in row-major order,
 * recording its position (an empty bin is 0, argmax -1); the backward adds
 * each output's gradient at its argmax (ROIPoolBackwardAcc).
 * `roi_pool(x, rois, p, gy)` returns the output and the data's gradient for
 * the output gradient `gy` (None: zeros). The rois include scaled corners at
 * exact halves (the rounding), boxes past the map's edges, an inverted box
 * (forced to 1x1), and bins that clamp to nothing.
 */
import type { OpCase } from '../case.js';

export const ROI_POOL_REF = String.raw`
def roi_pool_params(args, attrs):
    p = dict(zip(['pooledSize', 'spatialScale'], args))
    p.update(attrs)
    return p
def roi_pool(x, rois, p, gy=None):
    ph, pw = p['pooledSize']; s = np.float32(p['spatialScale'])
    N, C, H, W = x.shape; R = rois.shape[0]
    out = np.zeros((R, C, ph, pw)); gx = np.zeros(x.shape)
    cround = lambda v: int(np.floor(abs(float(v)) + 0.5) * np.sign(v))
    for r in range(R):
        bi = int(rois[r, 0])
        x1, y1, x2, y2 = [cround(np.float32(np.float32(v) * s)) for v in rois[r, 1:]]
        rh = max(y2 - y1 + 1, 1); rw = max(x2 - x1 + 1, 1)
        bh = np.float32(rh) / np.float32(ph); bw = np.float32(rw) / np.float32(pw)
        for c in range(C):
            for i in range(ph):
                for j in range(pw):
                    hs = min(max(int(np.floor(np.float32(i) * bh)) + y1, 0), H); he = min(max(int(np.ceil(np.float32(i + 1) * bh)) + y1, 0), H)
                    ws = min(max(int(np.floor(np.float32(j) * bw)) + x1, 0), W); we = min(max(int(np.ceil(np.float32(j + 1) * bw)) + x1, 0), W)
                    empty = he <= hs or we <= ws
                    m = 0.0 if empty else -float(np.finfo(np.float32).max); arg = None
                    for u in range(hs, he):
                        for v in range(ws, we):
                            if x[bi, c, u, v] > m:
                                m = x[bi, c, u, v]; arg = (u, v)
                    out[r, c, i, j] = m
                    if gy is not None and arg is not None: gx[bi, c, arg[0], arg[1]] += gy[r, c, i, j]
    return out, gx
out = roi_pool(a, b, roi_pool_params(args, attrs))[0]
`;

const ROIS = [
  // batch, x1, y1, x2, y2 (image coordinates; spatialScale 0.25 below)
  [0, 0, 0, 31, 23],
  [1, 6, 2, 21, 14], // 1.5 and 0.5 when scaled: round half away from zero
  [1, -10, -6, 50, 40], // past every edge
  [0, 20, 16, 8, 4], // inverted: forced to 1x1
  [1, 30, 22, 60, 60], // starts inside the last row/column, bins clamp to nothing past it
];

export const cases: OpCase[] = [
  {
    op: 'ROIPooling',
    ref: ROI_POOL_REF,
    // Feature maps `spaced`: MaxRoiPool runs in float32, so the gradient table's finite differences step 1e-3,
    // and two uniform draws that close in one bin made them cross the tie.
    samples: [
      { inputs: [{ shape: [2, 3, 6, 8], spaced: true }, { shape: [5, 5], values: ROIS.flat() }], args: [{ pooledSize: [2, 3], spatialScale: 0.25 }], label: 'halves, edges, inverted and clamped boxes' },
      { inputs: [{ shape: [1, 2, 5, 5], spaced: true }, { shape: [2, 5], values: [0, 0, 0, 4, 4, 0, 1, 2, 3, 3] }], args: [{ pooledSize: [3, 3], spatialScale: 1 }], label: 'scale 1, bins of 1 and 2 pixels' },
      { inputs: [{ shape: [2, 2, 6, 6], dtype: 'float64', spaced: true }, { shape: [3, 5], dtype: 'float64', values: [0, 0, 0, 5, 5, 1, 1, 1, 3, 4, 1, 2, 0, 5, 2] }], args: [{ pooledSize: [2, 2], spatialScale: 1 }], label: 'float64 (in float32)' },
      { inputs: [{ shape: [2, 1, 6, 6], spaced: true }, { shape: [3, 5], symbolic: true, values: [0, 0, 0, 5, 5, 1, 1, 1, 3, 4, 1, 2, 0, 5, 2] }], args: [{ pooledSize: [1, 2], spatialScale: 1 }], label: 'a symbolic number of boxes' },
      // Ties inside a bin: every value equal, the maximum is that value (last: the gradient table's finite differences take the first four samples, away from ties).
      { inputs: [{ shape: [1, 1, 4, 4], values: Array(16).fill(1.5) }, { shape: [1, 5], values: [0, 0, 0, 3, 3] }], args: [{ pooledSize: [2, 2], spatialScale: 1 }], label: 'ties' },
    ],
  },
];

/**
 * `ROIAlign`'s reference: MXNet's src/operator/contrib/roi_align.cc
 * (ROIAlignForward with pre_calc_for_bilinear_interpolate, and
 * ROIAlignBackward with bilinear_interpolate_gradient) transcribed loop for
 * loop into numpy float64: roi_offset 0.5 when aligned, width and height at
 * least 1 when not, the grid sampleRatio or ceil(size / bins), a sample with
 * y < -1 or y > H (x alike) contributes 0, else y <= 0 is 0 and y_low >= H - 1
 * pins y to H - 1, the average over the grid, a negative batch index pools
 * to 0; position-sensitive bin (i, j) reads channel c*ph*pw + i*pw + j.
 * `roi_align(x, rois, p, gy)` returns the output and the data's gradient for
 * the output gradient `gy` (None: zeros). Where MXNet refuses (aligned boxes
 * of size <= 0: CHECK_GT) it follows torchvision's loop: an empty grid
 * pools to 0. Sets `out` from the table's `a`, `b`, `args`, `attrs`.
 */
export const ROI_ALIGN_REF = String.raw`
import math
def roi_align_params(args, attrs):
    p = dict(zip(['pooledSize', 'spatialScale', 'sampleRatio', 'positionSensitive', 'aligned'], args))
    p.update(attrs)
    return p
def roi_align(x, rois, p, gy=None):
    ph, pw = p['pooledSize']; scale = p['spatialScale']; sr = p.get('sampleRatio', -1)
    ps = p.get('positionSensitive', False); aligned = p.get('aligned', False)
    N, C, H, W = x.shape; R = rois.shape[0]
    Co = C // (ph * pw) if ps else C
    y = np.zeros((R, Co, ph, pw)); gx = np.zeros(x.shape)
    for n in range(R):
        b = int(rois[n, 0])
        if b < 0: continue
        off = 0.5 if aligned else 0.0
        sw, sh, ew, eh = [rois[n, k] * scale - off for k in (1, 2, 3, 4)]
        rw, rh = ew - sw, eh - sh
        if not aligned: rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph, rw / pw
        gh = sr if sr > 0 else int(math.ceil(rh / ph)); gw = sr if sr > 0 else int(math.ceil(rw / pw))
        count = gh * gw
        if count <= 0: continue
        for i in range(ph):
            for j in range(pw):
                taps = []
                for iy in range(gh):
                    yy = sh + i * bh + (iy + .5) * bh / gh
                    for ix in range(gw):
                        xx = sw + j * bw + (ix + .5) * bw / gw
                        yv, xv = yy, xx
                        if yv < -1.0 or yv > H or xv < -1.0 or xv > W: continue
                        yv = max(yv, 0.0); xv = max(xv, 0.0)
                        yl, xl = int(yv), int(xv)
                        if yl >= H - 1: yl = yh = H - 1; yv = float(yl)
                        else: yh = yl + 1
                        if xl >= W - 1: xl = xh = W - 1; xv = float(xl)
                        else: xh = xl + 1
                        ly, lx = yv - yl, xv - xl; hy, hx = 1 - ly, 1 - lx
                        taps += [(yl, xl, hy * hx), (yl, xh, hy * lx), (yh, xl, ly * hx), (yh, xh, ly * lx)]
                for c in range(Co):
                    cu = c * ph * pw + i * pw + j if ps else c
                    y[n, c, i, j] = sum(w * x[b, cu, u, v] for u, v, w in taps) / count
                    if gy is not None:
                        for u, v, w in taps: gx[b, cu, u, v] += gy[n, c, i, j] * w / count
    return y, gx
out = roi_align(a, b, roi_align_params(args, attrs))[0]
`;

// batch, x1, y1, x2, y2 in image coordinates (spatialScale 0.5 below: a 7x9 map is a 14x18 image).
const ALIGN_ROIS = [
  [0, 2, 3, 13, 11],
  [1, -6, -4, 5, 6], // partly outside
  [1, -30, -20, -8, -9], // wholly outside: 0
  [0, 8, 8, 8, 8], // zero-size: 1x1 unaligned; aligned, samples at one point
  [1, 0, 0, 18, 14], // exactly the map's border
  [1, 6.6, 3.4, 25.8, 16.4], // past the right and bottom edges
  [-1, 2, 2, 10, 10], // negative batch index: 0
];
// Scale 1, sampleRatio 1, one bin: the sample lands exactly on y = -1, y = H (7), x = W (9), integer positions, and just past -1.
const EDGE_ROIS = [
  [0, 0, -1.5, 2, -0.5], // y = -1: counts, clamped to row 0
  [0, 3, 6.5, 4, 7.5], // y = H: counts, pinned to row H - 1
  [1, 8.5, 2, 9.5, 3], // x = W
  [1, 1.5, 1.5, 2.5, 2.5], // (2, 2) exactly: one tap of weight 1
  [0, 0, -1.625, 2, -0.625], // y = -1.125: outside
];

cases.push({
  op: 'ROIAlign',
  ref: ROI_ALIGN_REF,
  // The first four samples (fixed grids) are the gradient table's; roi-align.test.ts checks the adaptive grid's gradient against ROI_ALIGN_REF and finite differences.
  samples: [
    { inputs: [{ shape: [2, 3, 7, 9] }, { shape: [7, 5], values: ALIGN_ROIS.flat() }], args: [{ pooledSize: [2, 3], spatialScale: 0.5, sampleRatio: 2 }], label: 'sampleRatio 2, not aligned: partly/wholly outside, zero-size, border, batch -1' },
    { inputs: [{ shape: [2, 3, 7, 9], dtype: 'float64' }, { shape: [7, 5], dtype: 'float64', values: ALIGN_ROIS.flat() }], args: [[3, 2], 0.5, 3, false, true], minOpset: 16, label: 'float64, aligned, sampleRatio 3, positional' },
    { inputs: [{ shape: [2, 12, 5, 6] }, { shape: [3, 5], values: [0, 0, 0, 5, 4, 1, 1.5, 0.5, 4.5, 3.5, 1, -2, -1, 7, 6] }], args: [{ pooledSize: [2, 3], spatialScale: 1, sampleRatio: 1, positionSensitive: true }], label: 'position-sensitive, sampleRatio 1' },
    { inputs: [{ shape: [2, 2, 7, 9] }, { shape: [5, 5], values: EDGE_ROIS.flat() }], args: [{ pooledSize: [1, 1], spatialScale: 1, sampleRatio: 1 }], label: 'samples exactly at -1, H, W and on integers' },
    { inputs: [{ shape: [2, 3, 7, 9] }, { shape: [7, 5], values: ALIGN_ROIS.flat() }], args: [{ pooledSize: [2, 2], spatialScale: 0.5 }], label: 'adaptive grid (sampleRatio -1), not aligned' },
    { inputs: [{ shape: [2, 3, 7, 9] }, { shape: [7, 5], values: ALIGN_ROIS.flat() }], args: [{ pooledSize: [3, 2], spatialScale: 0.5, sampleRatio: 0, aligned: true }], minOpset: 16, label: 'adaptive grid, aligned (the zero-size box: 0)' },
    { inputs: [{ shape: [2, 8, 6, 6] }, { shape: [2, 5], values: [0, 0, 0, 9, 11, 1, 2, 2, 5, 4] }], args: [{ pooledSize: [2, 2], spatialScale: 0.5, positionSensitive: true, aligned: true }], minOpset: 16, label: 'adaptive, position-sensitive, aligned' },
    { inputs: [{ shape: [2, 3, 7, 9] }, { shape: [7, 5], symbolic: true, values: ALIGN_ROIS.flat() }], args: [{ pooledSize: [2, 2], spatialScale: 0.5, sampleRatio: 2 }], label: 'a symbolic number of boxes' },
  ],
});
