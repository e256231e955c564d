/**
 * ROIAlign (compiler/ops/roi-align.ts) from the user's side: `nd.contrib.ROIAlign`,
 * `npx.roiAlign` and `F.contrib.ROIAlign` in a HybridBlock, eager and
 * hybridized, against the float64 numpy transcription of MXNet's
 * roi_align.cc forward and backward (ROI_ALIGN_REF in cases/roi.ts: the
 * bilinear weights scattered back); the data's gradient also against
 * central finite differences in float64; the boxes get none; bad shapes
 * and options are Errors naming ROIAlign;
 * MXNet's symbol file (`_contrib_ROIAlign`) written and read back.
 * The operator table (cases/roi.ts) covers the forward's fixed cases and
 * the rule's finite differences input by input. The adaptive grid
 * (sampleRatio <= 0) differentiates too, checked the same ways.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, nd, npx, sym } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { ROI_ALIGN_REF } from './cases/roi.js';
import { directionalDerivative, itChecksRoiGrad, RoiBlock, roiReference, wave, type RoiCase } from './roi-check.js';

type Opts = { pooledSize: [number, number]; spatialScale: number; sampleRatio?: number; positionSensitive?: boolean; aligned?: boolean };

// batch, x1, y1, x2, y2 (image coordinates; scale 0.5 on a 7x9 map): inside, partly and wholly outside, zero-size, the border, batch -1.
const ROIS = [
  [0, 2, 3, 13, 11],
  [1, -6, -4, 5, 6],
  [1, -30, -20, -8, -9],
  [0, 8, 8, 8, 8],
  [1, 0, 0, 18, 14],
  [1, 6.6, 3.4, 25.8, 16.4],
  [-1, 2, 2, 10, 10],
];

type Case = RoiCase<Opts>;

const CASES: Case[] = [
  { label: 'sampleRatio 2, not aligned', shape: [2, 3, 7, 9], rois: ROIS, opts: { pooledSize: [2, 3], spatialScale: 0.5, sampleRatio: 2 } },
  { label: 'sampleRatio 3, aligned', shape: [2, 3, 7, 9], rois: ROIS, opts: { pooledSize: [3, 2], spatialScale: 0.5, sampleRatio: 3, aligned: true } },
  { label: 'sampleRatio 1, position-sensitive', shape: [2, 12, 7, 9], rois: ROIS, opts: { pooledSize: [2, 3], spatialScale: 0.5, sampleRatio: 1, positionSensitive: true } },
  { label: 'samples exactly at -1, H and W', shape: [2, 2, 7, 9], rois: [[0, 0, -1.5, 2, -0.5], [0, 3, 6.5, 4, 7.5], [1, 8.5, 2, 9.5, 3], [1, 1.5, 1.5, 2.5, 2.5], [0, 0, -1.625, 2, -0.625]], opts: { pooledSize: [1, 1], spatialScale: 1, sampleRatio: 1 } },
  // The adaptive grid (MXNet 2's default): ceil(bin) samples per axis, sized per box when the graph runs.
  { label: 'adaptive grid (sampleRatio -1), not aligned', shape: [2, 3, 7, 9], rois: ROIS, opts: { pooledSize: [2, 3], spatialScale: 0.5 } },
  { label: 'adaptive grid (sampleRatio 0), aligned: the zero-size box pools to 0', shape: [2, 3, 7, 9], rois: ROIS, opts: { pooledSize: [3, 2], spatialScale: 0.5, sampleRatio: 0, aligned: true } },
  { label: 'adaptive grid, position-sensitive, aligned', shape: [2, 8, 6, 6], rois: [[0, 0, 0, 9, 11], [1, 2, 2, 5, 4], [1, -4, -2, 14, 13]], opts: { pooledSize: [2, 2], spatialScale: 0.5, positionSensitive: true, aligned: true } },
  // Boxes far larger than the map: many samples per bin, most outside [-1, size], the first inside late in the grid; box 1's samples at y = -1 and x = -1, box 3's at y = H (5).
  { label: 'adaptive grid, boxes past the map on every side, samples at -1 and H', shape: [1, 2, 5, 6], rois: [[0, -40, -30, 50, 45], [0, -20.5, -1.5, 3.5, 2.5], [0, 2, -61, 5, 4], [0, 0, 0.5, 5.6, 6.5]], opts: { pooledSize: [2, 2], spatialScale: 1 } },
];

/** The reference output and data gradient of `gy` for a float64 job. */
const reference = (c: Case, x: number[], gy: number[], outShape: number[]): { y: number[]; gx: number[] } =>
  roiReference(ROI_ALIGN_REF, 'roi_align(a, b, roi_align_params(args, attrs), c)', c, x, gy, outShape);

const hybridOp = (F: gluon.F, x: gluon.Tensor, r: gluon.Tensor, opts: Opts): gluon.Tensor => F.contrib.ROIAlign(x, r, opts);

describe("ROIAlign: MXNet's contrib.ROIAlign / npx.roi_align and its gradient", function () {
  this.timeout(300_000);

  itChecksRoiGrad(CASES, {
    names: ['nd.contrib.ROIAlign', 'F.contrib.ROIAlign'],
    eager: (x, rois, opts) => nd.contrib.ROIAlign(x, rois, opts),
    hybrid: hybridOp,
    outGrad: (n) => wave(n, 3),
    reference,
    tol: (dtype) => (dtype === 'float64' ? [1e-10, 1e-12] : [1e-4, 1e-5]),
  });

  // The data gradient against central finite differences in float64: npx.roiAlign's positional form evaluated, nd.contrib.ROIAlign's gradient.
  const FD: [title: string, opts: Opts, shape: number[], positional: [number, boolean, boolean], gyShape: number[], reaches: string][] = [
    ['the data gradient equals central finite differences in float64 (aligned, position-sensitive, sampleRatio 2)',
      { pooledSize: [2, 2], spatialScale: 0.5, sampleRatio: 2, positionSensitive: true, aligned: true }, [2, 8, 7, 9], [2, true, true], [ROIS.length, 2, 2, 2], 'the pooled channels'],
    ["the adaptive grid's data gradient equals central finite differences in float64 (aligned, boxes larger than the map)",
      { pooledSize: [3, 2], spatialScale: 0.5, aligned: true }, [2, 3, 7, 9], [-1, false, true], [ROIS.length, 3, 3, 2], 'the pooled positions'],
  ];
  for (const [title, opts, shape, [ratio, ps, aligned], gyShape, reaches] of FD) {
    it(title, () => {
      const rois = nd.array(ROIS.flat(), { shape: [ROIS.length, 5], dtype: 'float64' });
      const gy = nd.array(wave(gyShape.reduce((p, q) => p * q), 5), { shape: gyShape, dtype: 'float64' });
      const { fd, analytic } = directionalDerivative(
        shape,
        wave(shape.reduce((p, q) => p * q), 2),
        (x) => nd.sum(nd.mul(npx.roiAlign(x, rois, opts.pooledSize, opts.spatialScale, ratio, ps, aligned), gy)),
        (x) => nd.sum(nd.mul(nd.contrib.ROIAlign(x, rois, opts), gy)),
        1e-4,
      );
      assert.ok(Math.abs(fd - analytic) <= 1e-8 * (1 + Math.abs(fd)), `finite differences ${fd}, gradient ${analytic}`);
      assert.ok(Math.abs(analytic) > 1e-3, `the direction reaches ${reaches}`);
    });
  }

  it('npx.roiAlign takes MXNet 2\'s positional order and defaults (sampleRatio -1: the adaptive grid); sym.contrib has it', () => {
    const x = nd.array(wave(2 * 3 * 7 * 9), { shape: [2, 3, 7, 9] });
    const rois = nd.array(ROIS.flat(), { shape: [ROIS.length, 5] });
    const adaptive = nd.contrib.ROIAlign(x, rois, { pooledSize: [2, 2], spatialScale: 0.5, sampleRatio: -1 });
    assertClose(npx.roiAlign(x, rois, [2, 2], 0.5).data() as Float32Array, Array.from(adaptive.data() as Float32Array), 'npx default', 0, 0);
    assertClose(npx.roiAlign(x, rois, [2, 2], 0.5, 2, false, true).data() as Float32Array, Array.from(nd.contrib.ROIAlign(x, rois, { pooledSize: [2, 2], spatialScale: 0.5, sampleRatio: 2, aligned: true }).data() as Float32Array), 'npx positional', 0, 0);
    const ref = reference({ label: '', shape: [2, 3, 7, 9], rois: ROIS, opts: { pooledSize: [2, 2], spatialScale: 0.5 } }, wave(2 * 3 * 7 * 9), Array(ROIS.length * 12).fill(0), [ROIS.length, 3, 2, 2]);
    assertClose(adaptive.data() as Float32Array, ref.y, 'adaptive grid vs MXNet');
    class NpxPool extends gluon.HybridBlock {
      override hybridForward(_F: gluon.F, a: gluon.Tensor, r: gluon.Tensor): gluon.Tensor {
        return npx.roiAlign(a, r, [2, 2], 0.5);
      }
    }
    const net = new NpxPool();
    net.hybridize();
    assertClose((net.call(x, rois) as nd.NDArray).data() as Float32Array, ref.y, 'npx.roiAlign hybridized');
    const s = sym.contrib.ROIAlign(sym.var('x', { shape: [2, 3, 7, 9] }), sym.var('r', { shape: [4, 5] }), [3, 3], 0.25, 2);
    assert.deepEqual(s.shape, [4, 3, 3, 3]);
  });

  it("export({ format: 'mxnet' }) writes MXNet's _contrib_ROIAlign and its attribute strings; SymbolBlock.imports reads it back", () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-roialign-'));
    try {
      const x = nd.array(wave(2 * 12 * 7 * 9), { shape: [2, 12, 7, 9] });
      const rois = nd.array(ROIS.flat(), { shape: [ROIS.length, 5] });
      for (const [name, opts, attrs] of [
        ['plain', { pooledSize: [2, 3], spatialScale: 0.5, sampleRatio: 2 }, { pooled_size: '(2, 3)', spatial_scale: '0.5', sample_ratio: '2', position_sensitive: 'False' }],
        ['ps', { pooledSize: [2, 2], spatialScale: 0.25, positionSensitive: true, aligned: true }, { pooled_size: '(2, 2)', spatial_scale: '0.25', sample_ratio: '-1', position_sensitive: 'True', aligned: 'True' }],
      ] as [string, Opts, Record<string, string>][]) {
        const net = new RoiBlock(hybridOp, opts);
        net.hybridize();
        const want = net.call(x, rois) as nd.NDArray;
        const { symbolFile, paramsFile } = net.export(join(dir, name), { format: 'mxnet' });
        const nodes = (JSON.parse(readFileSync(symbolFile, 'utf8')) as { nodes: { op: string; attrs?: Record<string, string> }[] }).nodes;
        const node = nodes.find((n) => n.op !== 'null')!;
        assert.equal(node.op, '_contrib_ROIAlign');
        assert.deepEqual(node.attrs, attrs);
        const back = gluon.SymbolBlock.imports(symbolFile, ['data0', 'data1'], paramsFile);
        assertClose((back.call(x, rois) as nd.NDArray).data() as Float32Array, Array.from(want.data() as Float32Array), `${name} read back`, 0, 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('float16 runs in float32', () => {
    const c = CASES[0]!;
    const xs = wave(c.shape.reduce((p, q) => p * q));
    const y = nd.contrib.ROIAlign(nd.array(xs, { shape: c.shape, dtype: 'float16' }), nd.array(c.rois.flat(), { shape: [c.rois.length, 5], dtype: 'float16' }), c.opts);
    assert.equal(y.dtype, 'float16');
    const ref = reference(c, xs, Array(y.size).fill(0), y.shape);
    assertClose(y.astype('float32').data() as Float32Array, ref.y, 'float16', 5e-3, 2e-3);
  });

  it('refuses bad operands and options by name, with the shapes', () => {
    const x = nd.zeros([1, 4, 5, 5]);
    const r = nd.array([[0, 0, 0, 3, 3]]);
    const o: Opts = { pooledSize: [2, 2], spatialScale: 1 };
    assert.throws(() => nd.contrib.ROIAlign(x.reshape([4, 25]), r, o), /ROIAlign: data must be \[N, C, H, W\], got \[4, 25\] \(inputs: /);
    assert.throws(() => nd.contrib.ROIAlign(x, nd.array([[0, 0, 0, 3]]), o), /ROIAlign: rois must be \[R, 5\] rows of \[batch index, x1, y1, x2, y2\], got \[1, 4\]/);
    assert.throws(() => nd.contrib.ROIAlign(x, nd.array([0, 0, 0, 3, 3]), o), /ROIAlign: rois must be \[R, 5\] .*got \[5\]/);
    assert.throws(() => nd.contrib.ROIAlign(x, r, { pooledSize: [2, 0], spatialScale: 1 }), /ROIAlign: pooledSize must be \[height, width\] of positive integers, got \[2,0\]/);
    assert.throws(() => nd.contrib.ROIAlign(x, r, { pooledSize: [2.5, 2] as [number, number], spatialScale: 1 }), /ROIAlign: pooledSize must be .* got \[2.5,2\]/);
    assert.throws(() => nd.contrib.ROIAlign(x, r, { pooledSize: [2] as unknown as [number, number], spatialScale: 1 }), /ROIAlign: pooledSize must be .* got \[2\]/);
    assert.throws(() => nd.contrib.ROIAlign(x, r, { pooledSize: [2, 2], spatialScale: 0 }), /ROIAlign: spatialScale must be a positive number .* got 0/);
    assert.throws(() => nd.contrib.ROIAlign(x, r, { pooledSize: [2, 2], spatialScale: -0.5 }), /ROIAlign: spatialScale must be a positive number .* got -0.5/);
    assert.throws(() => nd.contrib.ROIAlign(x, r, { pooledSize: [2, 2], spatialScale: 1, sampleRatio: 1.5 }), /ROIAlign: sampleRatio must be an integer/);
    assert.throws(() => nd.contrib.ROIAlign(x, r, { pooledSize: [3, 3], spatialScale: 1, positionSensitive: true }), /ROIAlign: positionSensitive needs the channels 4 to be a multiple of pooledSize's 3\*3 = 9 \(inputs: float32\[1, 4, 5, 5\], float32\[1, 5\]\)/);
    assert.throws(() => nd.contrib.ROIAlign(x, nd.array([[0, 0, 0, 3, 3]], { dtype: 'float64' }), o), /ROIAlign: rois must have the data's dtype float32, got float64/);
    assert.throws(() => nd.contrib.ROIAlign(nd.zeros([1, 4, 5, 5], { dtype: 'int32' }), r, o), /ROIAlign: data must be float32, float64 or float16, got int32/);
    assert.throws(() => (nd.contrib.ROIAlign as (...a: unknown[]) => unknown)(x, r), /ROIAlign: .*pooledSize/);
    // A batch index past the data: onnxruntime's RoiAlign names it when the graph runs.
    assert.throws(() => nd.contrib.ROIAlign(x, nd.array([[3, 0, 0, 3, 3]]), o).data(), /ROIAlign.*batch_indices value 3 at index 0 is out of range \[0, 1\)/);
  });
});
