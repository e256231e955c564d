/**
 * ROIPooling's gradient (compiler/ops/roi.ts, roiArgmax) from the user's
 * side: `nd.ROIPooling` eagerly under autograd.record, `F.ROIPooling` in a
 * hybridized block, and a hybridized training step (Trainer), against the
 * float64 numpy transcription of MXNet's roi_pooling.cc forward (argmax
 * recorded: the first `data > max` from -FLT_MAX in row-major order) and
 * ROIPoolBackwardAcc (each output's gradient added at its argmax; ROI_POOL_REF
 * in cases/roi.ts). Fixed samples: two equal maxima in a bin (the first
 * wins), bins sharing their maximum, empty bins (clamped away, wholly
 * outside), boxes on the border and past it, an inverted box, overlapping
 * boxes on one image (their gradients add), batch index > 0, all-negative
 * data; also central finite differences in float64 away from ties.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, npx } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';
import { ROI_POOL_REF } from './cases/roi.js';
import { directionalDerivative, itChecksRoiGrad, roiReference, wave, type RoiCase } from './roi-check.js';

type Opts = { pooledSize: [number, number]; spatialScale: number };

type Case = RoiCase<Opts>;

// A 1x1x4x6 map with ties: row 0 holds 5 twice in the first 2x3 bin (at columns 0 and 2), row 1 holds 5 again; 7 sits where two bins overlap.
const TIES = [
  5, 1, 5, 0, 2, 2, //
  5, 3, 1, 7, 2, 2,
  0, 0, 0, 7, 1, 1,
  -1, -1, -1, 0, 4, 4,
];

const CASES: Case[] = [
  {
    label: 'halves, edges, an inverted box, bins clamped to nothing, overlapping boxes on image 1',
    shape: [2, 3, 6, 8],
    rois: [
      [0, 0, 0, 31, 23],
      [1, 6, 2, 21, 14], // 1.5 and 0.5 scaled: rounded half away from zero
      [1, -10, -6, 50, 40], // past every edge
      [0, 20, 16, 8, 4], // inverted: forced to 1x1
      [1, 30, 22, 60, 60], // starts in the last row/column: the other bins clamp to nothing
      [1, 4, 4, 20, 16], // overlaps boxes 1 and 2: their gradients add
    ],
    opts: { pooledSize: [2, 3], spatialScale: 0.25 },
  },
  {
    label: 'ties: equal maxima in a bin (the first in row-major order), a maximum two bins share, equal values across a bin',
    shape: [1, 1, 4, 6],
    rois: [
      [0, 0, 0, 5, 3], // 2x3 bins of 2x2
      [0, 0, 0, 2, 1], // one bin: 5 at (0, 0), (0, 2) and (1, 0)
      [0, 2, 0, 4, 2], // 3x3 pooled over 3x3 pixels: bins of one pixel
      [0, 3, 0, 4, 3], // 2x3 pooled over 4x2 pixels: bins overlap (ceil), 7 at (1, 3) and (2, 3)
      [0, 4, 0, 5, 1], // all 2
    ],
    opts: { pooledSize: [2, 3], spatialScale: 1 },
    x: TIES,
  },
  {
    label: 'empty bins: a box wholly outside the map, one past its bottom-right corner; boxes on the border; batch index 1',
    shape: [2, 2, 5, 5],
    rois: [
      [0, -40, -40, -20, -20], // every bin empty: 0, no gradient
      [1, 4, 4, 9, 9], // one pixel inside, the other bins empty
      [1, 0, 0, 4, 4], // exactly the map
      [1, 4, 0, 4, 4], // the last column
      [0, 0, 4, 4, 4], // the last row
    ],
    opts: { pooledSize: [3, 2], spatialScale: 1 },
  },
  {
    label: 'all-negative data (the maximum starts from -FLT_MAX, not 0)',
    shape: [1, 2, 4, 4],
    rois: [[0, 0, 0, 3, 3], [0, 1, 1, 2, 3]],
    opts: { pooledSize: [2, 2], spatialScale: 1 },
    x: wave(32).map((v) => v - 2),
  },
];

/** The reference output and data gradient of `gy` for a float64 job. */
const reference = (c: Case, x: number[], gy: number[], outShape: number[]): { y: number[]; gx: number[] } =>
  roiReference(ROI_POOL_REF, 'roi_pool(a, b, roi_pool_params(args, attrs), c)', c, x, gy, outShape);


describe("ROIPooling's gradient: MXNet's backward to each bin's first maximum", function () {
  this.timeout(300_000);

  itChecksRoiGrad(CASES, {
    names: ['nd.ROIPooling', 'F.ROIPooling'],
    eager: (x, rois, opts) => nd.ROIPooling(x, rois, opts),
    hybrid: (F, x, r, opts) => F.ROIPooling(x, r, opts),
    // Distinct output gradients, so a gradient sent to the wrong bin's maximum shows.
    outGrad: (n) => wave(n, 3).map((v, i) => v + i),
    reference,
    tol: (dtype) => (dtype === 'float64' ? [1e-6, 1e-7] : [1e-5, 1e-5]),
  });

  it('the tie rule is the first maximum: the gradient of the ties bin lands on (0, 0), not (0, 2) or (1, 0)', () => {
    const x = nd.array(TIES, { shape: [1, 1, 4, 6] });
    x.attachGrad();
    autograd.record(() => nd.sum(nd.ROIPooling(x, nd.array([[0, 0, 0, 2, 1]]), { pooledSize: [1, 1], spatialScale: 1 }))).backward();
    const g = Array.from(x.grad.data() as Float32Array);
    assert.deepEqual(g.map((v, i) => (v ? i : -1)).filter((i) => i >= 0), [0]);
    assert.equal(g[0], 1);
  });

  it('the data gradient equals central finite differences in float64 (overlapping boxes on two images, distinct values)', () => {
    const opts: Opts = { pooledSize: [3, 2], spatialScale: 0.5 };
    const shape = [2, 3, 7, 9];
    const n = shape.reduce((p, q) => p * q);
    const roiRows = [[0, 2, 3, 13, 11], [1, -6, -4, 5, 6], [1, 0, 0, 18, 14], [1, 6.6, 3.4, 25.8, 16.4], [0, 4, 4, 12, 12]];
    const rois = nd.array(roiRows.flat(), { shape: [roiRows.length, 5], dtype: 'float64' });
    const gy = nd.array(wave(roiRows.length * 3 * 6, 5), { shape: [roiRows.length, 3, 3, 2], dtype: 'float64' });
    // Distinct values 1/378 apart (a permutation), so steps of 1e-3 along dir (|dir| < 1) change no bin's argmax.
    const x0 = Array.from({ length: n }, (_v, i) => ((i * 97) % n) / n - 0.5);
    const { fd, analytic } = directionalDerivative(
      shape,
      x0,
      (x) => nd.sum(nd.mul(npx.roiPooling(x, rois, [3, 2], 0.5), gy)),
      (x) => nd.sum(nd.mul(nd.ROIPooling(x, rois, opts), gy)),
      1e-3,
    );
    // The forward runs in float32 (MaxRoiPool): its rounding of each term (2^-24 of ~0.5 each), over 2 eps, bounds the difference.
    assert.ok(Math.abs(fd - analytic) <= 1e-4 * (1 + Math.abs(fd)), `finite differences ${fd}, gradient ${analytic}`);
    assert.ok(Math.abs(analytic) > 1e-2, 'the direction reaches pooled positions');
  });

  it('a hybridized training step (1x1 convolution, ROIPooling, L2 loss, sgd) updates the weights as MXNet\'s backward gives', () => {
    const [N, C, H, W] = [2, 2, 5, 6];
    const roiRows = [[0, 0, 0, 5, 4], [1, 1, 1, 4, 3], [1, 0, 2, 5, 4]];
    class Head extends gluon.HybridBlock {
      conv = new gluon.nn.Conv2D(C, [1, 1], { inChannels: C });
      override hybridForward(F: gluon.F, x: gluon.Tensor, r: gluon.Tensor): gluon.Tensor {
        return F.ROIPooling(this.conv.call(x) as gluon.Tensor, r, { pooledSize: [2, 2], spatialScale: 1 });
      }
    }
    const net = new Head();
    net.initialize();
    const w0 = [0.9, -0.3, 0.2, 1.1];
    net.conv.weight.setData(nd.array(w0, { shape: [C, C, 1, 1] }));
    net.conv.bias!.setData(nd.array([0.1, -0.2]));
    net.hybridize();
    const loss = new gluon.loss.L2Loss();
    loss.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 1 });
    const xs = wave(N * C * H * W, 2);
    const label = wave(roiRows.length * C * 4, 4);
    const x = nd.array(xs, { shape: [N, C, H, W] });
    const rois = nd.array(roiRows.flat(), { shape: [roiRows.length, 5] });
    autograd.record(() => loss.call(net.call(x, rois), nd.array(label, { shape: [roiRows.length, C, 2, 2] }))).backward();
    trainer.step(roiRows.length);
    // numpy: the convolution, ROIPooling and its backward (ROI_POOL_REF), the L2 loss's gradient (y - label) / 8 per box (the mean over C*ph*pw), sgd over the batch.
    const [r] = numpyRefs([
      {
        code: `${ROI_POOL_REF}
w = d.reshape(2, 2); bias = np.array([0.1, -0.2])
feat = np.einsum('oi,nihw->nohw', w, a) + bias[None, :, None, None]
y, _ = roi_pool(feat, b, attrs)
gy = (y - c) / 8
_, gfeat = roi_pool(feat, b, attrs, gy)
dw = np.einsum('nohw,nihw->oi', gfeat, a); db = gfeat.sum(axis=(0, 2, 3))
out = [w - dw / 3, bias - db / 3]`,
        inputs: [
          { shape: [N, C, H, W], dtype: 'float64', data: xs },
          { shape: [roiRows.length, 5], dtype: 'float64', data: roiRows.flat() },
          { shape: [roiRows.length, C, 2, 2], dtype: 'float64', data: label },
          { shape: [4], dtype: 'float64', data: w0 },
        ],
        attrs: { pooledSize: [2, 2], spatialScale: 1 },
      },
    ]);
    assert.equal(r!.error, undefined, r!.error);
    assertClose(net.conv.weight.data().data() as Float32Array, r!.outs[0]!.data as number[], 'weight after the step', 1e-5, 1e-6);
    assertClose(net.conv.bias!.data().data() as Float32Array, r!.outs[1]!.data as number[], 'bias after the step', 1e-5, 1e-6);
    assert.ok(Math.max(...(r!.outs[0]!.data as number[]).map((v, i) => Math.abs(v - w0[i]!))) > 1e-3, 'the step moved the weights');
  });
});
