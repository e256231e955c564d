/**
 * The C++ default detection augmenter (det-aug-default.ts, det-aug-params.ts)
 * against (a) det-aug-default-ref.py, a numpy float32 / cv2 transcription of
 * MXNet's image_det_aug_default.cc fed the same uniform draws (labels
 * bit for bit, the number of draws, the image's shape, its pixels to ±1
 * where cv2's vectorized resize / HLS round differently), over random
 * parameters, images and boxes; (b) cases worked by hand: a crop keeping
 * the object centred on its left edge and dropping the one on its right,
 * overlap exactly at the threshold, the C++ bounds check that applies only
 * when all six bounds are set, the pad's offsets and fill, the mirror,
 * 'shrink' and 'fit' sizes; (c) the parameter checks, each naming its
 * parameter.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { nd } from 'gluonc';
import { hlsToRgb8, rgbToHls8 } from '../../../../compiler/gluon/data/det-aug-color.js';
import { DefaultDetAugmenter } from '../../../../compiler/gluon/data/det-aug-default.js';
import { detAugDefaultParams, type DetAugDefaultOptions } from '../../../../compiler/gluon/data/det-aug-params.js';
import { iterOptions } from '../../../../compiler/gluon/data/iter-options.js';
import { runPython, runPythonFile } from '../../../helpers/python-server.js';
import { mulberry32 } from '../../../helpers/seed.js';

const f = Math.fround;
const REF = path.join(import.meta.dirname, 'det-aug-default-ref.py');

/** The checked parameters for `o` and a `[h, w]` dataShape. */
function params(o: DetAugDefaultOptions, size: [number, number] = [20, 20]) {
  return detAugDefaultParams('test', iterOptions('test', o, Object.keys(o), ''), o as Record<string, unknown>, size);
}
/** An augmenter drawing from `draws` in order (an Error when they run out). */
function fed(p: ReturnType<typeof params>, draws: number[]) {
  let i = 0;
  const aug = new DefaultDetAugmenter(p, () => {
    if (i >= draws.length) throw new Error('out of draws');
    return draws[i++]!;
  });
  return { aug, used: () => i };
}
/** The test's own deterministic numbers in [0, 1). */
const rng = mulberry32;
const img = (h: number, w: number, px: (y: number, x: number, c: number) => number) =>
  nd.array(Array.from({ length: h * w * 3 }, (_v, i) => px(Math.floor(i / (w * 3)), Math.floor(i / 3) % w, i % 3)), { shape: [h, w, 3], dtype: 'uint8' });
const rows = (r: number[][]) => nd.array(r.flat(), { shape: [r.length, r[0]!.length], dtype: 'float32' });
const near = (got: number[][], want: number[][]) => {
  assert.equal(got.length, want.length, `${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  got.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - want[i]![j]!) < 1e-6, `row ${i} col ${j}: ${v} vs ${want[i]![j]}`)));
};

describe('DefaultDetAugmenter (the C++ ImageDetRecordIter augmenter)', () => {
  it('equals the numpy/cv2 transcription of image_det_aug_default.cc fed the same draws: labels bit for bit, draws used, shapes, pixels to ±1', function () {
    this.timeout(120_000);
    const r = rng(7);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    const between = (a: number, b: number) => a + (b - a) * r();
    const cases = Array.from({ length: 160 }, (_v, ci) => {
      const n = pick([0, 1, 1, 2, 3]);
      const bounded = r() < 0.5;
      const s = Array.from({ length: Math.max(n, 1) }, () => {
        const minS = between(0.1, 0.7);
        const minAr = between(0.5, 1);
        return {
          minS, maxS: between(minS + 0.05, 1), minAr, maxAr: between(minAr, 2), trials: 1 + Math.floor(r() * 6),
          ov: bounded ? [between(0.01, 0.4), between(0.6, 0.99), between(0.01, 0.2), between(0.8, 0.99), between(0.01, 0.3), between(0.9, 0.99)] : [pick([0, 0.3]), 1, 0, 1, 0, 1],
        };
      });
      const col = (g: (x: (typeof s)[number]) => number) => s.map(g);
      const o: DetAugDefaultOptions = {
        resize: pick([-1, -1, -1, 18, 30]), randCropProb: pick([0, 0.5, 1, 1]), numCropSampler: n,
        minCropScales: col((x) => x.minS), maxCropScales: col((x) => x.maxS), minCropAspectRatios: col((x) => x.minAr), maxCropAspectRatios: col((x) => x.maxAr),
        minCropOverlaps: col((x) => x.ov[0]!), maxCropOverlaps: col((x) => x.ov[1]!), minCropSampleCoverages: col((x) => x.ov[2]!), maxCropSampleCoverages: col((x) => x.ov[3]!),
        minCropObjectCoverages: col((x) => x.ov[4]!), maxCropObjectCoverages: col((x) => x.ov[5]!), maxCropTrials: col((x) => x.trials),
        cropEmitMode: pick(['center', 'overlap']), emitOverlapThresh: between(0, 0.7), randPadProb: pick([0, 0.5, 1]), maxPadScale: pick([1, 1.04, 2, 3]), fillValue: Math.floor(r() * 256),
        randomHueProb: pick([0, 0.5, 1]), maxRandomHue: Math.floor(r() * 30), randomSaturationProb: pick([0, 0.5, 1]), maxRandomSaturation: Math.floor(r() * 40),
        randomIlluminationProb: pick([0, 0.5, 1]), maxRandomIllumination: Math.floor(r() * 40), randomContrastProb: pick([0, 0.5, 1]), maxRandomContrast: between(0, 0.5),
        randMirrorProb: pick([0, 0.5, 1]), interMethod: pick([1, 1, 2, 3, 4, 9, 10]), resizeMode: pick(['force', 'shrink', 'fit']),
      };
      const [h, w] = [12 + Math.floor(r() * 28), 12 + Math.floor(r() * 28)];
      const pixels = img(h, w, () => Math.floor(r() * 256));
      const objects = Array.from({ length: 1 + Math.floor(r() * 4) }, (_o, k) => {
        const [x1, y1] = [between(0, 0.8), between(0, 0.8)];
        return [k, x1, y1, between(x1 + 0.05, 1), between(y1 + 0.05, 1), ci].map(f);
      });
      const size: [number, number] = [16 + Math.floor(r() * 16), 16 + Math.floor(r() * 16)];
      const draws = Array.from({ length: 400 }, () => Math.floor(r() * 16777216) / 16777216);
      return { o, size, pixels, objects, draws };
    });
    const input = cases.map((c) => ({
      img: Buffer.from(c.pixels.data() as Uint8Array).toString('base64'), shape: c.pixels.shape, rows: c.objects, params: params(c.o, c.size), draws: c.draws,
    }));
    const res = runPythonFile(REF, { input: JSON.stringify(input) });
    assert.equal(res.status, 0, res.stderr);
    const want = JSON.parse(res.stdout) as { img: string; shape: number[]; rows: number[][]; used: number; steps: string[] }[];
    let offBy = 0;
    let total = 0;
    cases.forEach((c, i) => {
      const { aug, used } = fed(params(c.o, c.size), c.draws);
      const [im, lab] = aug.call(c.pixels, rows(c.objects));
      const tag = `case ${i} (${JSON.stringify(c.o)})`;
      assert.deepEqual(lab.toArray(), want[i]!.rows, `${tag}: labels`);
      assert.equal(used(), want[i]!.used, `${tag}: draws used`);
      assert.deepEqual(im.shape, want[i]!.shape, `${tag}: image shape`);
      const ref = Buffer.from(want[i]!.img, 'base64');
      // A first `resize` that cv2 rounds ±1 elsewhere goes through the HLS jitter, which can widen it (a hue step of one grey level).
      const tol = c.o.resize === -1 ? 1 : 8;
      (im.data() as Uint8Array).forEach((v, j) => {
        const d = Math.abs(v - ref[j]!);
        assert.ok(d <= tol, `${tag}: pixel ${j}: ${v} vs cv2's ${ref[j]}`);
        offBy += d;
        total++;
      });
    });
    // Every step ran in many cases (so the comparison covers it), and some crops dropped objects.
    const steps = want.flatMap((w) => w.steps);
    for (const step of ['hls', 'contrast', 'mirror', 'pad', 'crop', 'rejected']) assert.ok(steps.filter((s) => s === step).length >= 15, `${step}: ${steps.filter((s) => s === step).length} cases`);
    assert.ok(want.filter((w, i) => w.rows.length < cases[i]!.objects.length).length >= 10);
    assert.ok(offBy / total < 0.15, `the pixels differ from cv2's by ${offBy / total} on average`);
  });

  it("the colour jitter's HLS is cv2's 8-bit cvtColor: HLS2RGB exact, RGB2HLS exact but for at most 3 hues off by one, on a sixteenth of all colours", function () {
    this.timeout(60_000);
    const colours: number[] = [];
    for (let c = 0; c < 1 << 24; c++) if ((((c >> 16) + ((c >> 8) & 255) + (c & 255)) & 15) === 0) colours.push(c);
    const rgb = new Uint8Array(colours.length * 3);
    colours.forEach((c, i) => rgb.set([c >> 16, (c >> 8) & 255, c & 255], i * 3));
    const hls = Uint8Array.from(rgb, (v, i) => (i % 3 === 0 ? v % 181 : v));
    const [toHls, toRgb] = [Uint8Array.from(rgb), Uint8Array.from(hls)];
    for (let i = 0; i < rgb.length; i += 3) {
      rgbToHls8(toHls, i);
      hlsToRgb8(toRgb, i);
    }
    const script = `
import base64, sys, cv2, numpy as np
a, b, x, y = (np.frombuffer(base64.b64decode(s), np.uint8).reshape(1, -1, 3) for s in sys.stdin.read().split())
d1 = np.abs(x.astype(int) - cv2.cvtColor(a, cv2.COLOR_RGB2HLS))
d2 = np.abs(y.astype(int) - cv2.cvtColor(b, cv2.COLOR_HLS2RGB))
print(int((d1 > 0).sum()), int(d1.max()), int((d2 > 0).sum()))`;
    const res = runPython(script, { input: [rgb, hls, toHls, toRgb].map((a) => Buffer.from(a).toString('base64')).join(' ') });
    assert.equal(res.status, 0, res.stderr);
    const [off, most, offBack] = res.stdout.trim().split(' ').map(Number);
    assert.ok(off! <= 3 && most! <= 1, `RGB2HLS: ${off} values differ, by up to ${most}`);
    assert.equal(offBack, 0);
  });

  // A 40x40 image, one sampler of scales [0.5, 1) and aspect ratio 1: draws [crop?, scale u, ratio u, x u, y u] = [0, 0, 0, 0.5, 0.5] give the box [0.25, 0.25, 0.5, 0.5].
  const box = [0, 0, 0, 0.5, 0.5];
  const cropOpts: DetAugDefaultOptions = { randCropProb: 1, minCropScales: 0.5, maxCropScales: 1, maxCropTrials: 1, resizeMode: 'shrink' };
  const src = img(40, 40, (y, x, c) => (y * 40 + x + c * 7) % 256);

  it("'center' keeps the object centred on the crop's left/top edge and drops the one centred on its right/bottom edge; the rows are projected and clipped", () => {
    const { aug, used } = fed(params(cropOpts, [40, 40]), box);
    const objects = [[1, 0.2, 0.4, 0.3, 0.6, 11], [2, 0.7, 0.4, 0.8, 0.6, 12], [3, 0.4, 0.7, 0.6, 0.8, 13], [4, 0.3, 0.3, 0.6, 0.9, 14]];
    const [im, lab] = aug.call(src, rows(objects));
    assert.equal(used(), 5);
    // Centres: (0.25, 0.5) in, (0.75, 0.5) out (x + width is excluded), (0.5, 0.75) out, (0.45, 0.6) in.
    near(lab.toArray() as number[][], [[1, 0, 0.3, 0.1, 0.7, 11], [4, 0.1, 0.1, 0.7, 1, 14]]);
    // Pixels: int(0.25 * 40) = 10, int(0.5 * 40) = 20: the window [10, 30) x [10, 30), not resized ('shrink' and 20 <= 40).
    assert.deepEqual(im.shape, [20, 20, 3]);
    assert.deepEqual(Array.from(im.data() as Uint8Array), Array.from({ length: 20 * 20 * 3 }, (_v, i) => ((10 + Math.floor(i / 60)) * 40 + 10 + (Math.floor(i / 3) % 20) + (i % 3) * 7) % 256));
  });

  it("'overlap' keeps an object only above emitOverlapThresh (exactly at it: dropped); a box keeping no object is another trial, and after maxCropTrials nothing is cropped", () => {
    // Object 1 covers [0.5, 1] x [0.5, 0.75]: its intersection with the box is 0.0625 of its 0.125, exactly 0.5.
    const objects = [[1, 0.5, 0.5, 1, 0.75, 0]];
    const at = (thresh: number) => fed(params({ ...cropOpts, cropEmitMode: 'overlap', emitOverlapThresh: thresh }, [40, 40]), box).aug.call(src, rows(objects));
    near(at(0.4999).at(1)!.toArray() as number[][], [[1, 0.5, 0.5, 1, 1, 0]]);
    const [im, lab] = at(0.5);
    assert.deepEqual(im.shape, [40, 40, 3]);
    assert.deepEqual(lab.toArray(), objects);
    // Two trials: the first box drops the object, the second ([0, 0, 0.5, 0.5]) keeps a centre at (0.2, 0.2).
    const { aug, used } = fed(params({ ...cropOpts, maxCropTrials: 2 }, [40, 40]), [...box, 0, 0, 0, 0]);
    near(aug.call(src, rows([[0, 0.1, 0.1, 0.3, 0.3, 0]]))[1].toArray() as number[][], [[0, 0.2, 0.2, 0.6, 0.6, 0]]);
    assert.equal(used(), 9);
  });

  it('checks the overlap and coverage bounds only when all six are set (the C++ condition): minCropOverlaps alone accepts a box overlapping nothing', () => {
    const objects = [[0, 0.2, 0.2, 0.3, 0.3, 0], [1, 0.3, 0.3, 0.8, 0.7, 0]];
    // The box [0.25, 0.25, 0.5, 0.5]: object 1's intersection 0.18 gives IoU 0.18 / 0.27 = 0.667, sample coverage 0.72, object coverage 0.9; object 0 (centre (0.25, 0.25), in) has IoU 0.0025 / 0.26.
    const only = params({ ...cropOpts, minCropOverlaps: 0.9 }, [40, 40]);
    assert.equal(fed(only, box).aug.call(src, rows(objects))[0].shape[0], 20);
    const all = { minCropOverlaps: 0.7, maxCropOverlaps: 0.99, minCropSampleCoverages: 0.01, maxCropSampleCoverages: 0.99, minCropObjectCoverages: 0.01, maxCropObjectCoverages: 0.99 };
    assert.equal(fed(params({ ...cropOpts, ...all }, [40, 40]), box).aug.call(src, rows(objects))[0].shape[0], 40);
    assert.equal(fed(params({ ...cropOpts, ...all, minCropOverlaps: 0.6 }, [40, 40]), box).aug.call(src, rows(objects))[0].shape[0], 20);
  });

  it('pads by GeneratePadBox: the canvas s times the image, the image at (x0, y0) scaled, fillValue around it; s below 1.05 pads nothing', () => {
    const small = img(8, 10, (y, x, c) => 100 + y * 10 + x + c);
    // Draws [pad?, s u, x0 u, y0 u]: s = 1 + 2 * 0.5 = 2, x0 = 0.25, y0 = 0.5: left int(2.5) = 2, top 4, right int(0.75 * 10) = 7, bottom int(0.5 * 8) = 4.
    const { aug, used } = fed(params({ randPadProb: 1, maxPadScale: 3, fillValue: 9, resizeMode: 'shrink' }, [64, 64]), [0, 0.5, 0.25, 0.5]);
    const [im, lab] = aug.call(small, rows([[0, 0, 0, 1, 1, 5], [1, 0.5, 0.25, 0.75, 1, 6]]));
    assert.equal(used(), 4);
    assert.deepEqual(im.shape, [16, 19, 3]);
    const px = im.data() as Uint8Array;
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 19; x++) {
        const inside = y >= 4 && y < 12 && x >= 2 && x < 12;
        for (let c = 0; c < 3; c++) assert.equal(px[(y * 19 + x) * 3 + c], inside ? 100 + (y - 4) * 10 + (x - 2) + c : 9, `pixel (${y}, ${x}, ${c})`);
      }
    }
    near(lab.toArray() as number[][], [[0, 0.125, 0.25, 0.625, 0.75, 5], [1, 0.375, 0.375, 0.5, 0.75, 6]]);
    const none = fed(params({ randPadProb: 1, maxPadScale: 3, resizeMode: 'shrink' }, [64, 64]), [0, 0.0249]);
    assert.deepEqual(none.aug.call(small, rows([[0, 0, 0, 1, 1, 5]]))[0].shape, [8, 10, 3]);
    assert.equal(none.used(), 2);
  });

  it('mirrors with randMirrorProb (a draw only when it is above 0); resizeMode shrink / fit / force sizes', () => {
    const { aug, used } = fed(params({ randMirrorProb: 1, resizeMode: 'shrink' }, [64, 64]), [0.999]);
    const [im, lab] = aug.call(src, rows([[0, 0.1, 0.2, 0.3, 0.4, 0]]));
    near(lab.toArray() as number[][], [[0, 0.7, 0.2, 0.9, 0.4, 0]]);
    assert.equal((im.data() as Uint8Array)[0], (src.data() as Uint8Array)[39 * 3]);
    assert.equal(used(), 1);
    assert.equal(fed(params({ resizeMode: 'shrink' }, [64, 64]), []).aug.call(src, rows([[0, 0, 0, 1, 1, 0]]))[0].shape.join(), '40,40,3');
    const wide = img(30, 60, () => 50);
    const shape = (mode: 'force' | 'shrink' | 'fit', size: [number, number], im2 = wide) => fed(params({ resizeMode: mode }, size), []).aug.call(im2, rows([[0, 0, 0, 1, 1, 0]]))[0].shape.join();
    assert.equal(shape('shrink', [20, 20]), '10,20,3'); // ratio min(20/30, 20/60) = 1/3
    assert.equal(shape('fit', [20, 20]), '10,20,3');
    assert.equal(shape('fit', [100, 90]), '45,90,3'); // fit scales up: min(100/30, 90/60) = 1.5
    assert.equal(shape('shrink', [100, 90]), '30,60,3');
    assert.equal(shape('force', [17, 23]), '17,23,3');
  });

  it('the C++ parameter checks, each naming its parameter: list lengths against numCropSampler, bounds, probabilities, enums, interMethod', () => {
    const bad: [DetAugDefaultOptions, RegExp][] = [
      [{ minCropScales: [0.1, 0.2] }, /test: minCropScales has 2 values but numCropSampler is 1/],
      [{ numCropSampler: 3, minCropOverlaps: [0.1, 0.2] }, /test: minCropOverlaps has 2 values but numCropSampler is 3: # of parameters\/crop_samplers mismatch/],
      [{ numCropSampler: 2, minCropScales: 0.5, maxCropScales: [1, 0.5] }, /test: maxCropScales 0.5 must be greater than minCropScales 0.5 of sampler 1/],
      [{ minCropScales: -0.1 }, /test: minCropScales -0.1\d* must be >= 0/],
      [{ maxCropScales: 1.5 }, /test: maxCropScales 1.5 must be <= 1/],
      [{ minCropAspectRatios: 2, maxCropAspectRatios: 1 }, /test: maxCropAspectRatios 1 must be >= minCropAspectRatios 2/],
      [{ minCropObjectCoverages: 0.5, maxCropObjectCoverages: 0.4 }, /test: maxCropObjectCoverages 0.4\d* must be >= minCropObjectCoverages 0.5/],
      [{ maxCropTrials: 2.5 }, /test: maxCropTrials must be a number or a list of integers/],
      [{ randCropProb: 1.5 }, /test: randCropProb must be a probability in \[0, 1\], got 1.5/],
      [{ randomHueProb: -0.1 }, /test: randomHueProb must be a probability/],
      [{ emitOverlapThresh: -1 }, /test: emitOverlapThresh must be >= 0/],
      [{ cropEmitMode: 'middle' as never }, /test: cropEmitMode must be 'center', 'overlap', got .middle./],
      [{ resizeMode: 'crop' as never }, /test: resizeMode must be 'force', 'shrink', 'fit'/],
      [{ interMethod: 0 }, /test: invalid interMethod 0: MXNet's C\+\+ detection augmenter takes 1 \(bilinear\)/],
      [{ interMethod: 5 }, /test: invalid interMethod 5/],
      [{ resize: 0 }, /test: resize must be -1 \(off\) or the shorter edge's new size/],
    ];
    for (const [o, re] of bad) assert.throws(() => params(o), re, JSON.stringify(o));
    // Broadcasting: one value for all samplers; numCropSampler 0 turns the samplers (and their checks) off.
    const p = params({ numCropSampler: 3, minCropOverlaps: [0.1, 0.3, 0.5], maxCropTrials: 7 });
    assert.deepEqual(p.samplers.map((s) => [s.minOverlap, s.maxTrials, s.minScale]), [[f(0.1), 7, 0], [f(0.3), 7, 0], [0.5, 7, 0]]);
    assert.deepEqual(params({ numCropSampler: 0, minCropScales: [1, 2, 3] }).samplers, []);
  });
});
