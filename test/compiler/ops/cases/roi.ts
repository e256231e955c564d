/**
 * Table entries for `ROIPooling`. Reference: MXNet's roi_pooling.cc CPU
 * forward (the Caffe loop) in numpy: box corners scaled and rounded half away
 * from zero (C's round), at least 1x1, bins floor(i * size / n) to
 * ceil((i + 1) * size / n) in float32 arithmetic, clamped to the map, each
 * bin's maximum (an empty bin 0). The rois include scaled corners at exact
 * halves (the rounding), boxes past the map's edges, an inverted box (forced
 * to 1x1), and bins that clamp to nothing.
 */
import type { OpCase } from '../case.js';

const ROI_REF = String.raw`
ph, pw = attrs['pooledSize']; s = np.float32(attrs['spatialScale'])
N, C, H, W = a.shape
out = np.zeros((b.shape[0], C, ph, pw))
cround = lambda v: int(np.floor(abs(v) + 0.5) * np.sign(v))
for r in range(b.shape[0]):
    bi = int(b[r, 0])
    x1, y1, x2, y2 = [cround(np.float32(np.float32(v) * s)) for v in b[r, 1:]]
    rh = max(y2 - y1 + 1, 1); rw = max(x2 - x1 + 1, 1)
    bh = np.float32(rh) / np.float32(ph); bw = np.float32(rw) / np.float32(pw)
    for i in range(ph):
        for j in range(pw):
            hs = min(max(int(np.floor(np.float32(i) * bh)) + y1, 0), H); he = min(max(int(np.ceil(np.float32(i + 1) * bh)) + y1, 0), H)
            ws = min(max(int(np.floor(np.float32(j) * bw)) + x1, 0), W); we = min(max(int(np.ceil(np.float32(j + 1) * bw)) + x1, 0), W)
            if he <= hs or we <= ws: continue
            out[r, :, i, j] = a[bi, :, hs:he, ws:we].reshape(C, -1).max(axis=1)
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
    ref: ROI_REF,
    samples: [
      { inputs: [{ shape: [2, 3, 6, 8] }, { shape: [5, 5], values: ROIS.flat() }], args: [{ pooledSize: [2, 3], spatialScale: 0.25 }], label: 'halves, edges, inverted and clamped boxes' },
      { inputs: [{ shape: [1, 2, 5, 5] }, { shape: [2, 5], values: [0, 0, 0, 4, 4, 0, 1, 2, 3, 3] }], args: [{ pooledSize: [3, 3], spatialScale: 1 }], label: 'scale 1, bins of 1 and 2 pixels' },
      // Ties inside a bin: every value equal, the maximum is that value.
      { inputs: [{ shape: [1, 1, 4, 4], values: Array(16).fill(1.5) }, { shape: [1, 5], values: [0, 0, 0, 3, 3] }], args: [{ pooledSize: [2, 2], spatialScale: 1 }], label: 'ties' },
      { inputs: [{ shape: [2, 2, 6, 6], dtype: 'float64' }, { shape: [3, 5], dtype: 'float64', values: [0, 0, 0, 5, 5, 1, 1, 1, 3, 4, 1, 2, 0, 5, 2] }], args: [{ pooledSize: [2, 2], spatialScale: 1 }], label: 'float64 (in float32)' },
      { inputs: [{ shape: [2, 1, 6, 6] }, { shape: [3, 5], symbolic: true, values: [0, 0, 0, 5, 5, 1, 1, 1, 3, 4, 1, 2, 0, 5, 2] }], args: [{ pooledSize: [1, 2], spatialScale: 1 }], label: 'a symbolic number of boxes' },
    ],
  },
];
