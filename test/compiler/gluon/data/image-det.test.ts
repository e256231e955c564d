/**
 * image.ImageDetIter and the detection augmenters against MXNet 1.x's
 * python/mxnet/image/detection.py, transcribed in test/fixtures/mxnet/
 * detection_ref.py (numpy float32 labels, cv2's copyMakeBorder) and fed
 * gluonc's seeded draws: the boxes (exactly) and pixels after
 * DetRandomCropAug, DetRandomPadAug, DetHorizontalFlipAug and
 * CreateMultiRandCropAugmenter, with the number of draws each took; the
 * ties a box exactly on the crop's edge, a coverage exactly at
 * min_object_covered and at min_eject_coverage, a crop ejecting every box
 * (retried, then the original returned); _parse_label over header widths,
 * extra header fields and padding rows; the batch labels of three
 * lastBatchHandles over two epochs through CreateDetAugmenter's random
 * crop, mirror and pad; a .rec of packed detection labels; reshape and
 * syncLabelShape; dumps(); Errors; and ImageDetIter -> MultiBoxTarget.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { image, nd, random, recordio } from 'gluonc';
import { nextFloat } from '../../../../compiler/ops/rng.js';
import { flat } from '../../../helpers/images.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';
import { runPython, runPythonFile } from '../../../helpers/python-server.js';

const REF = path.join(import.meta.dirname, '../../../fixtures/mxnet/detection_ref.py');

interface RefResult {
  label?: number[][];
  shape?: number[];
  image?: number[][][];
  error?: string;
  used: number;
  events: string[];
  label_shape?: number[];
  epochs?: [number[][][], number][][];
}

function reference(jobs: object[]): RefResult[] {
  const r = runPythonFile(REF, { input: JSON.stringify(jobs) });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as RefResult[];
}

/** The first `n` draws of the seeded stream after `random.seed(seed)`. */
function draws(seed: number, n = 3000): number[] {
  random.seed(seed);
  return Array.from({ length: n }, () => nextFloat());
}

/** The number of draws taken since `random.seed(seed)`: the position of the next draw in `d`. */
function used(d: number[]): number {
  const next = nextFloat();
  const at = d.indexOf(next);
  assert.ok(at >= 0, 'the next draw is within the recorded ones');
  return at;
}

/** An h x w uint8 RGB image with distinct pixel values. */
function pixels(h: number, w: number): nd.NDArray {
  return nd.array(Array.from({ length: h * w * 3 }, (_v, i) => (i * 37 + 11) % 256), { shape: [h, w, 3], dtype: 'uint8' });
}

/** Sample k of size h x w as PNG bytes (constant colour 10k + 1, 10k + 2, 10k + 3). */
function png(k: number, h: number, w: number): Uint8Array {
  const bgr = nd.array(Array.from({ length: h * w }, () => [10 * k + 3, 10 * k + 2, 10 * k + 1]).flat(), { shape: [h, w, 3], dtype: 'uint8' });
  return recordio.unpack(recordio.packImg({ flag: 0, label: 0, id: 0, id2: 0 }, bgr, 95, '.png'))[1];
}

const rowsOf = (x: nd.NDArray): number[][] => x.toArray() as number[][];

describe('image detection augmenters (detection.py)', function () {
  this.timeout(120000);

  // Boxes at the image's edges, a tiny one (area under 2 pixels), an extra column (difficult flag).
  const LABEL = [[0, 0, 0, 0.4, 0.5, 0], [1, 0.3, 0.2, 0.9, 1, 1], [2, 0.5, 0.5, 0.52, 0.53, 0], [1, 0.1, 0.6, 0.35, 0.95, 0]];

  it('DetRandomCropAug, DetRandomPadAug, DetHorizontalFlipAug and CreateMultiRandCropAugmenter equal detection.py under the same draws (boxes, pixels, draws taken)', () => {
    const img = pixels(24, 32);
    type Case = { aug: 'crop' | 'pad' | 'flip' | 'multicrop'; make: () => image.DetAugmenter; kwargs: object; label: number[][] };
    const cases: Case[] = [
      { aug: 'crop', make: () => new image.DetRandomCropAug(), kwargs: {}, label: LABEL },
      { aug: 'crop', make: () => new image.DetRandomCropAug(0.5, [0.5, 2], [0.1, 0.6], 0.6, 20), kwargs: { min_object_covered: 0.5, aspect_ratio_range: [0.5, 2], area_range: [0.1, 0.6], min_eject_coverage: 0.6, max_attempts: 20 }, label: LABEL },
      { aug: 'crop', make: () => new image.DetRandomCropAug({ minObjectCovered: 0, areaRange: 0.3, aspectRatioRange: 1.25 }), kwargs: { min_object_covered: 0, area_range: 0.3, aspect_ratio_range: 1.25 }, label: LABEL.slice(1) },
      { aug: 'pad', make: () => new image.DetRandomPadAug(), kwargs: {}, label: LABEL },
      { aug: 'pad', make: () => new image.DetRandomPadAug([0.5, 2], [1.5, 4], 10, [1, 2, 3]), kwargs: { aspect_ratio_range: [0.5, 2], area_range: [1.5, 4], max_attempts: 10, pad_val: [1, 2, 3] }, label: LABEL },
      // Fixed ratios 1.5 and 0.5: round(h * ratio) of an odd h is a half, which Python rounds to even.
      { aug: 'crop', make: () => new image.DetRandomCropAug(0, 1.5, [0.1, 0.9]), kwargs: { min_object_covered: 0, aspect_ratio_range: 1.5, area_range: [0.1, 0.9] }, label: LABEL },
      { aug: 'pad', make: () => new image.DetRandomPadAug(0.5, [1.5, 4]), kwargs: { aspect_ratio_range: 0.5, area_range: [1.5, 4] }, label: LABEL },
      { aug: 'flip', make: () => new image.DetHorizontalFlipAug(0.5), kwargs: { p: 0.5 }, label: LABEL },
      {
        aug: 'multicrop',
        make: () => image.CreateMultiRandCropAugmenter({ minObjectCovered: [0.1, 0.5, 0.9], areaRange: [[0.1, 1], [0.3, 1], [0.5, 1]], minEjectCoverage: 0.2, maxAttempts: 30, skipProb: 0.3 }) as image.DetAugmenter,
        kwargs: { min_object_covered: [0.1, 0.5, 0.9], area_range: [[0.1, 1], [0.3, 1], [0.5, 1]], min_eject_coverage: 0.2, max_attempts: 30, skip_prob: 0.3 },
        label: LABEL,
      },
    ];
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const jobs: object[] = [];
    const got: [number[][], number[], number[] | null, number][] = [];
    for (const c of cases) {
      for (const seed of seeds) {
        const d = draws(seed);
        random.seed(seed);
        const [out, lab] = c.make().call(img, nd.array(c.label));
        got.push([rowsOf(lab), out.shape, c.aug === 'multicrop' ? null : flat(out), used(d)]);
        jobs.push({ kind: c.aug === 'multicrop' ? 'multicrop' : 'aug', aug: c.aug, kwargs: c.kwargs, label: c.label, ...(c.aug === 'multicrop' ? { h: 24, w: 32 } : { image: img.toArray() }), draws: d });
      }
    }
    const want = reference(jobs);
    const changed = new Set<string>();
    want.forEach((w, i) => {
      const [label, shape, px, n] = got[i]!;
      const what = `${jobs[i] && (jobs[i] as { aug: string }).aug} seed ${seeds[i % seeds.length]}`;
      assert.deepEqual(label, w.label, `${what}: label`);
      assert.deepEqual(shape, w.shape, `${what}: image shape`);
      if (px) assert.deepEqual(px, w.image!.flat(2), `${what}: pixels`);
      assert.equal(n, w.used, `${what}: draws taken`);
      if (JSON.stringify(shape) !== '[24,32,3]') changed.add((jobs[i] as { aug: string }).aug);
    });
    assert.deepEqual([...changed].sort(), ['crop', 'multicrop', 'pad'], 'the crops and pads changed the image in some runs');
  });

  it('ties: a box exactly on the crop edge, coverage exactly at minObjectCovered and at minEjectCoverage, every box ejected (retried, then the original)', () => {
    // 32 x 32, crops of exactly 16 x 16 at x, y in 0..16; the box covers pixels 4..8: a crop at 8 touches its edge, one at 6 covers half of it (a quarter at x = y = 6).
    const img = pixels(32, 32);
    // With one of exactly 2 pixels (2 x 1), which _check_satisfy_constraints leaves out (it needs more than 2).
    const box = [[3, 0.125, 0.125, 0.25, 0.25], [1, 0.5, 0.5, 0.5625, 0.53125]];
    const kw = { min_object_covered: 0.25, aspect_ratio_range: 1, area_range: 0.25, min_eject_coverage: 0.5, max_attempts: 4 };
    const jobs: object[] = [];
    const got: [number[][], number[], number][] = [];
    const seeds = Array.from({ length: 60 }, (_v, i) => 100 + i);
    for (const seed of seeds) {
      const d = draws(seed, 400);
      random.seed(seed);
      const [out, lab] = new image.DetRandomCropAug(0.25, 1, 0.25, 0.5, 4).call(img, nd.array(box));
      got.push([rowsOf(lab), out.shape, used(d)]);
      jobs.push({ kind: 'aug', aug: 'crop', kwargs: kw, label: box, h: 32, w: 32, draws: d });
    }
    // The whole image as one box: a quarter-area crop keeps at most 0.25 of it, under minEjectCoverage 0.3: every proposal ejects it.
    const whole = [[0, 0, 0, 1, 1]];
    const d = draws(7, 400);
    random.seed(7);
    const [same, sameLabel] = new image.DetRandomCropAug(0.1, 1, 0.25, 0.3, 5).call(img, nd.array(whole));
    got.push([rowsOf(sameLabel), same.shape, used(d)]);
    jobs.push({ kind: 'aug', aug: 'crop', kwargs: { min_object_covered: 0.1, aspect_ratio_range: 1, area_range: 0.25, min_eject_coverage: 0.3, max_attempts: 5 }, label: whole, h: 32, w: 32, draws: d });
    const want = reference(jobs);
    const events = new Set<string>();
    want.forEach((w, i) => {
      assert.deepEqual(got[i]![0], w.label, `run ${i}: label`);
      assert.deepEqual(got[i]![1], w.shape, `run ${i}: shape`);
      assert.equal(got[i]![2], w.used, `run ${i}: draws`);
      w.events.forEach((e) => events.add(e));
    });
    for (const e of ['object of exactly 2 pixels', 'box on the crop edge', 'coverage at min_object_covered', 'coverage at min_eject_coverage', 'every box ejected', 'crop gave up']) assert.ok(events.has(e), `the runs include: ${e}`);
    assert.deepEqual(want.at(-1)!.events, ['crop gave up', 'every box ejected']);
    assert.deepEqual([same.shape, rowsOf(sameLabel)], [[32, 32, 3], whole], 'after maxAttempts the image and label stay as they were');
    assert.equal(same, img);
  });

  it('flip with p 1 and 0, pad disabled by a range, a borrowed augmenter, plain functions; dumps() equals detection.py json.dumps', () => {
    const img = pixels(4, 6);
    const [f1, l1] = new image.DetHorizontalFlipAug(1).call(img, nd.array([[0, 0.25, 0, 0.5, 1, 7]]));
    // 1 - 0.5 and 1 - 0.25 (float32); the image's columns reversed.
    assert.deepEqual(rowsOf(l1), [[0, 0.5, 0, 0.75, 1, 7]]);
    assert.deepEqual(f1.toArray(), (img.toArray() as number[][][]).map((r) => [...r].reverse()));
    const [f0, l0] = new image.DetHorizontalFlipAug(0).call(img, nd.array([[0, 0.25, 0, 0.5, 1]]));
    assert.deepEqual([f0, rowsOf(l0)], [img, [[0, 0.25, 0, 0.5, 1]]]);
    const warnings: string[] = [];
    const onWarn = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarn);
    const off = new image.DetRandomPadAug([0.75, 1.33], [1, 1]);
    const offCrop = new image.DetRandomCropAug({ areaRange: [0.5, 0.2] });
    return new Promise<void>((done) => setImmediate(done)).then(() => {
      process.off('warning', onWarn);
      assert.ok(warnings.some((w) => /DetRandomPadAug: skipped .* invalid areaRange \[1, 1\]/.test(w)), warnings.join('\n'));
      assert.ok(warnings.some((w) => /DetRandomCropAug: skipped .* invalid areaRange \[0.5, 0.2\]/.test(w)), warnings.join('\n'));
      assert.equal(off.enabled, false);
      const d = draws(3);
      random.seed(3);
      assert.deepEqual(off.call(img, nd.array([[0, 0, 0, 1, 1]]))[0], img);
      assert.deepEqual(offCrop.call(img, nd.array([[0, 0, 0, 1, 1]]))[0], img);
      assert.equal(used(d), 0, 'a disabled augmenter draws nothing');
      const [cast] = new image.DetBorrowAug(new image.CastAug()).call(img, nd.array([[0, 0, 0, 1, 1]]));
      assert.equal(cast.dtype, 'float32');
      const augs = image.CreateDetAugmenter([3, 30, 40], { resize: 50, randCrop: 0.5, randPad: 0.4, randMirror: true, mean: true, std: true, brightness: 0.1, hue: 0.2, pcaNoise: 0.05, randGray: 0.1, minObjectCovered: [0.3, 0.7] });
      assert.deepEqual(augs.map((a) => a.constructor.name), ['DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug', 'DetRandomSelectAug', 'DetBorrowAug', 'DetBorrowAug', 'DetBorrowAug', 'DetBorrowAug', 'DetBorrowAug', 'DetBorrowAug', 'DetBorrowAug']);
      assert.deepEqual(image.CreateDetAugmenter([3, 8, 8]).map((a) => a.dumps()), [['detborrowaug', '["forceresizeaug", {"size": [8, 8], "interp": 2}]'], ['detborrowaug', '["castaug", {"type": "float32"}]']]);
      const py = String.raw`
import json
crop = lambda moc: json.dumps(['detrandomcropaug', {'min_object_covered': moc, 'aspect_ratio_range': (0.75, 1.33), 'area_range': (0.05, 3.0), 'min_eject_coverage': 0.3, 'max_attempts': 50}])
pad = json.dumps(['detrandompadaug', {'aspect_ratio_range': (0.75, 1.33), 'area_range': (1.0, 3.0), 'max_attempts': 50, 'pad_val': (127, 127, 127)}])
print(json.dumps([['detborrowaug', json.dumps(['resizeaug', {'size': 50, 'interp': 2}])], ['detrandomselectaug', [crop(0.3), crop(0.7)]],
  json.dumps(['dethorizontalflipaug', {'p': 0.5}]), ['detrandomselectaug', [pad]]]))`;
      const r = runPython(py);
      assert.equal(r.status, 0, r.stderr);
      // Parsed, so Python's 3.0 and JavaScript's 3 compare equal.
      const parse = (x: unknown): unknown => (typeof x === 'string' && x.startsWith('[') ? JSON.parse(x) : Array.isArray(x) ? x.map(parse) : x);
      assert.deepEqual(parse(augs.slice(0, 4).map((a) => a.dumps())), parse(JSON.parse(r.stdout)));
    });
  });

  it('refuses bad arguments with Errors naming them', () => {
    const img = pixels(4, 4);
    assert.throws(() => new image.DetRandomCropAug().call(img, nd.array([[0, 0, 0, 1]])), /DetRandomCropAug: label must be an NDArray of shape \[objects, 5\+\].*got shape \[1, 4\]/);
    assert.throws(() => new image.DetRandomCropAug({ areaRange: [1, 2, 3] as never }), /DetRandomCropAug: areaRange must be a number or \[min, max\]/);
    assert.throws(() => new image.DetRandomCropAug({ maxAttempts: 2.5 }), /DetRandomCropAug: maxAttempts must be an integer >= 0, got 2.5/);
    assert.throws(() => new image.DetBorrowAug(((x: nd.NDArray) => x) as never), /DetBorrowAug: borrowing from an invalid Augmenter/);
    assert.throws(() => new image.DetRandomSelectAug([new image.CastAug() as never]), /DetRandomSelectAug: augList allows DetAugmenters only/);
    assert.throws(() => new image.DetHorizontalFlipAug(1.5), /DetHorizontalFlipAug: p must be a probability/);
    assert.throws(() => new image.DetRandomPadAug({ padVal: [300, 0, 0] }).call(img, nd.array([[0, 0, 0, 1, 1]])), /DetRandomPadAug: padVal 300 does not fit a uint8 image/);
    assert.throws(() => image.CreateMultiRandCropAugmenter({ minObjectCovered: [0.1, 0.2], maxAttempts: [1, 2, 3] }), /CreateMultiRandCropAugmenter: maxAttempts has 3 values but another parameter has 3|minObjectCovered has 2 values but another parameter has 3/);
    assert.throws(() => image.CreateDetAugmenter([3, 8, 8], { randPad: 0.5, areaRange: [[0.1, 1], [0.3, 1]] }), /CreateDetAugmenter: randPad takes one areaRange/);
    assert.throws(() => image.CreateDetAugmenter([3, 8, 8], { randCrop: 2 }), /CreateDetAugmenter: randCrop must be a probability in \[0, 1\], got 2/);
    assert.throws(() => image.CreateDetAugmenter([3, 8, 8], { randCorp: 1 } as never), /randCorp/);
    assert.throws(() => image.CreateDetAugmenter([8, 8]), /CreateDetAugmenter: dataShape must be 3 positive integers/);
  });
});

describe('image.ImageDetIter', function () {
  this.timeout(120000);
  const dir = scratchDir('gluonc-imagedetiter-');

  /** Raw labels [A, B, header..., objects...]: header widths 2 and 4, object widths 5 and 6, padding rows of -1, an invalid box. */
  const RAW: number[][] = [
    [2, 5, 0, 0.1, 0.1, 0.5, 0.6],
    [4, 5, 300, 200, 1, 0.2, 0.3, 0.7, 0.9, 2, 0.5, 0.5, 0.9, 0.8, -1, -1, -1, -1, -1],
    [2, 5, 1, 0.6, 0.2, 0.4, 0.7, 3, 0, 0, 1, 1, 0, 0.2, 0.2, 0.3, 0.3],
    [3, 5, 9, 2, 0.25, 0.25, 0.75, 0.75, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
    [2, 5, 4, 0, 0, 0.5, 0.5, 1, 0.5, 0.5, 1, 1, 2, 0, 0.5, 0.5, 1, 3, 0.5, 0, 1, 0.5],
  ];

  it("parses labels as _parse_label and pads rows with -1: header widths, extra header fields, padding rows, invalid boxes, label shape from the largest count", () => {
    const files = RAW.map((_r, k) => {
      writeFileSync(path.join(dir(), `p${k}.png`), png(k, 6, 8));
      return `p${k}.png`;
    });
    const it = new image.ImageDetIter(2, [3, 6, 8], { imglist: RAW.map((r, k) => [r, files[k]!]), pathRoot: dir(), augList: [] });
    const want = reference(RAW.map((label) => ({ kind: 'parse', label })));
    const count = Math.max(...want.map((w) => w.label!.length));
    assert.deepEqual(it.labelShape, [count, 5]);
    assert.deepEqual(it.provideLabel, [{ name: 'label', shape: [2, count, 5], dtype: 'float32', layout: 'NCHW' }]);
    const rows = [...it].flatMap((b) => rowsOf(b.label[0]!) as unknown as number[][][]);
    const f32 = (x: number) => Math.fround(x);
    rows.slice(0, 5).forEach((r, k) => assert.deepEqual(r, [...want[k]!.label!.map((row) => row.map(f32)), ...Array(count - want[k]!.label!.length).fill([-1, -1, -1, -1, -1])], `sample ${k}`));
    // 'pad': the last batch repeats sample 0.
    assert.deepEqual(rows[5], rows[0]);
  });

  it("batch labels of three epochs equal detection.py's ImageDetIter under the same draws, through CreateDetAugmenter's crop, mirror and pad, for every lastBatchHandle", () => {
    const sizes: [number, number][] = [[20, 30], [24, 24], [30, 18], [16, 40], [22, 26]];
    const objs = [
      [[0, 0.1, 0.1, 0.6, 0.7], [1, 0.5, 0.4, 0.95, 0.9]],
      [[2, 0, 0, 1, 1]],
      [[1, 0.2, 0.3, 0.4, 0.5], [0, 0.6, 0.1, 0.9, 0.35], [2, 0.05, 0.6, 0.5, 0.98]],
      [[0, 0.3, 0.3, 0.7, 0.7]],
      [[-1, 0.1, 0.1, 0.2, 0.2]], // no object of class >= 0: skipped at every batch, as MXNet's _check_valid_label
    ];
    const list = sizes.map(([h, w], k) => {
      writeFileSync(path.join(dir(), `s${k}.png`), png(k, h, w));
      return [[2, 5, ...objs[k]!.flat()], `s${k}.png`] as (number[] | string)[];
    });
    const configs: [object, object][] = [
      [{ randCrop: 0.7, randPad: 0.5, randMirror: true, mean: true }, { rand_crop: 0.7, rand_pad: 0.5, rand_mirror: true }],
      [{ resize: 20, randCrop: 1, minObjectCovered: [0.1, 0.5], areaRange: [[0.1, 1], [0.3, 1]], maxAttempts: 10 }, { resize: 20, rand_crop: 1, min_object_covered: [0.1, 0.5], area_range: [[0.1, 1], [0.3, 1]], max_attempts: 10 }],
    ];
    const jobs: object[] = [];
    const got: unknown[] = [];
    const events = new Set<string>();
    for (const handle of ['pad', 'discard', 'roll_over'] as const) {
      for (const [ts, py] of configs) {
        for (const seed of [21, 22]) {
          const d = draws(seed, 6000);
          random.seed(seed);
          const it = new image.ImageDetIter(3, [3, 12, 14], { imglist: list, pathRoot: dir(), lastBatchHandle: handle, ...ts });
          const epochs: unknown[] = [];
          for (let e = 0; e < 3; e++) {
            if (e) it.reset();
            const batches: unknown[] = [];
            for (const b of it) {
              assert.deepEqual(b.data[0]!.shape, [3, 3, 12, 14]);
              batches.push([b.label[0]!.toArray(), b.pad]);
            }
            epochs.push(batches);
          }
          got.push([it.labelShape, epochs, used(d)]);
          jobs.push({ kind: 'iter', samples: list.map(([l], k) => [l, ...sizes[k]!]), batch_size: 3, handle, data_shape: [3, 12, 14], kwargs: py, epochs: 3, draws: d });
        }
      }
    }
    const want = reference(jobs);
    want.forEach((w, i) => {
      w.events.forEach((e) => events.add(e));
      assert.deepEqual(got[i], [w.label_shape, w.epochs, w.used], `job ${i}: ${JSON.stringify((jobs[i] as { handle: string }).handle)}`);
    });
    assert.ok(events.has('sample skipped'));
  });

  it('reads packed detection labels from a .rec (im2rec: header flag = label count), with and without its .idx, and from a .lst; reshape and syncLabelShape pad more rows with -1', () => {
    const rec = path.join(dir(), 'det.rec');
    const idx = path.join(dir(), 'det.idx');
    const w = new recordio.MXIndexedRecordIO(idx, rec, 'w');
    // im2rec's detection .lst: [A = 4, B = 6, image width, image height, objects of [cls, xmin, ymin, xmax, ymax, difficult]].
    const raws = [0, 1, 2].map((k) => [4, 6, 16, 12, ...Array.from({ length: k + 1 }, (_v, j) => [j, 0.1 * j, 0.1, 0.1 * j + 0.5, 0.9, j % 2]).flat()]);
    raws.forEach((raw, k) => w.writeIdx(k, recordio.pack({ flag: raw.length, label: Float32Array.from(raw), id: k, id2: 0 }, png(k, 12, 16))));
    w.close();
    // The same as an im2rec .lst (index, the label's numbers, path) with the image files.
    const lst = path.join(dir(), 'det.lst');
    raws.forEach((_r, k) => writeFileSync(path.join(dir(), `d${k}.png`), png(k, 12, 16)));
    writeFileSync(lst, raws.map((raw, k) => `${k}\t${raw.join('\t')}\td${k}.png\n`).join(''));
    const want = reference(raws.map((label) => ({ kind: 'parse', label })));
    const pad6 = (rows: number[][], n: number) => [...rows, ...Array(n - rows.length).fill([-1, -1, -1, -1, -1, -1])];
    for (const src of [{ pathImgrec: rec }, { pathImgrec: rec, pathImgidx: idx }, { pathImglist: lst, pathRoot: dir() }]) {
      const it = new image.ImageDetIter(3, [3, 12, 16], { ...src, augList: [] });
      assert.deepEqual(it.labelShape, [3, 6]);
      assert.deepEqual(it.next()!.label[0]!.toArray(), want.map((r) => pad6(r.label!, 3)));
      it.reset();
      it.reshape(null, [5, 6]);
      assert.deepEqual(it.provideLabel[0]!.shape, [3, 5, 6]);
      assert.deepEqual(it.next()!.label[0]!.toArray(), want.map((r) => pad6(r.label!, 5)));
    }
    // shuffle (by the .idx) repeats under one seed and permutes the samples.
    const shuffled = () => {
      random.seed(9);
      const it = new image.ImageDetIter(3, [3, 12, 16], { pathImgrec: rec, pathImgidx: idx, shuffle: true, augList: [] });
      return [0, 1, 2].map((e) => {
        if (e) it.reset();
        return (it.next()!.label[0]!.toArray() as number[][][]).map((r) => r.filter((o) => o[0]! >= 0).length);
      });
    };
    const orders = shuffled();
    assert.deepEqual(shuffled(), orders);
    for (const o of orders) assert.deepEqual([...o].sort(), [1, 2, 3]);
    assert.ok(new Set(orders.map(String)).size > 1, `the order changes between epochs: ${JSON.stringify(orders)}`);
    writeFileSync(path.join(dir(), 'r0.png'), png(0, 6, 8));
    const small = new image.ImageDetIter(2, [3, 12, 16], { imglist: [[raws[0]!, path.join(dir(), 'r0.png')]], augList: [(x: nd.NDArray, l: nd.NDArray) => [image.imresize(x, 16, 12), l]] });
    const big = new image.ImageDetIter(2, [3, 12, 16], { pathImgrec: rec, augList: [] });
    assert.deepEqual([small.labelShape, big.labelShape], [[1, 6], [3, 6]]);
    assert.equal(big.syncLabelShape(small), small);
    assert.deepEqual([small.labelShape, big.labelShape, small.provideLabel[0]!.shape], [[3, 6], [3, 6], [2, 3, 6]]);
    assert.deepEqual(small.next()!.label[0]!.toArray(), [pad6(want[0]!.label!, 3), pad6(want[0]!.label!, 3)]);
    small.reset();
    small.reshape([3, 6, 8]);
    assert.deepEqual(small.provideData[0]!.shape, [2, 3, 6, 8]);
    assert.throws(() => small.next(), /ImageDetIter: '.*r0\.png' came out of the augmenters with shape \[12, 16, 3\], but dataShape \[3, 6, 8\]/);
    const roll = new image.ImageDetIter(2, [3, 12, 16], { pathImgrec: rec, augList: [], lastBatchHandle: 'roll_over' });
    assert.equal([...roll].length, 1);
    assert.throws(() => roll.reshape(null, [4, 6]), /ImageDetIter.reshape: a rolled-over partial batch of the old shape is held \(call hardReset\(\) first\)/);
    roll.hardReset();
    roll.reshape(null, [4, 6]);
    assert.deepEqual(roll.next()!.label[0]!.shape, [2, 4, 6]);
    assert.throws(() => big.reshape(null, [2, 6]), /Attempts to reduce label count from 3 to 2, not allowed/);
    assert.throws(() => big.reshape(null, [3, 5]), /label(Shape)? object width inconsistent: 6 vs 5/);
    assert.throws(() => big.reshape(null, [3]), /labelShape should be 2 positive integers/);
    assert.throws(() => big.syncLabelShape(new image.ImageIter(1, [3, 12, 16], { pathImgrec: rec }) as never), /Synchronize with invalid iterator/);
  });

  it('bad labels and arguments are Errors naming the record or file, with detection.py messages', () => {
    const file = path.join(dir(), 'e.png');
    writeFileSync(file, png(0, 6, 8));
    const make = (label: number[]) => () => new image.ImageDetIter(1, [3, 6, 8], { imglist: [[[2, 5, 0, 0, 0, 1, 1], 'e.png'], [label, 'e.png']], pathRoot: dir(), augList: [] });
    assert.throws(make([2, 5, 0, 0, 0, 1]), /ImageDetIter: '.*e\.png': Label shape is invalid: \(6,\)/);
    assert.throws(make([2, 4, 0, 0, 0, 1, 1]), /ImageDetIter: '.*e\.png': the object width 4 must be an integer >= 5/);
    assert.throws(make([1, 5, 0, 0, 0, 1, 1]), /the header width 1 must be an integer from 2/);
    assert.throws(make([2.5, 5, 0, 0, 0, 1, 1, 0]), /the header width 2.5 must be an integer/);
    assert.throws(make([2, 5, 0, 0, 0, 1, 1, 3]), /Label shape \(8,\) inconsistent with annotation width 5\./);
    assert.throws(make([2, 5, 0, 0.5, 0, 0.5, 1]), /Encounter sample with no valid label/);
    assert.throws(make([2, 6, 0, 0, 0, 1, 1, 0]), /'.*e\.png' has objects of 6 numbers, but '.*e\.png' has objects of 5/);
    const rec = path.join(dir(), 'cls.rec');
    const w = new recordio.MXRecordIO(rec, 'w');
    w.write(recordio.pack({ flag: 0, label: 3, id: 42, id2: 0 }, png(0, 6, 8)));
    w.close();
    assert.throws(() => new image.ImageDetIter(1, [3, 6, 8], { pathImgrec: rec }), /ImageDetIter: a record \(id 42\) of '.*cls\.rec': Label shape is invalid: \(1,\)/);
    assert.throws(() => new image.ImageDetIter(1, [3, 6, 8], { imglist: [], augList: [] }), /ImageDetIter: the data holds no sample/);
    assert.throws(() => new image.ImageDetIter(1, [3, 6, 8], { imglist: [[[2, 5, 0, 0, 0, 1, 1], 'e.png']], pathRoot: dir(), augList: [new image.CastAug() as never] }), /augList must be a list of detection augmenters .*wrap a classification augmenter in DetBorrowAug/);
    assert.throws(() => new image.ImageDetIter(1, [3, 6, 8], { imglist: [[[2, 5, 0, 0, 0, 1, 1], 'e.png']], pathRoot: dir(), augList: [], randCrop: 1 }), /randCrop is CreateDetAugmenter's, unused when augList is given/);
    assert.throws(() => new image.ImageDetIter(1, [3, 6, 8], { imglist: [[[2, 5, 0, 0, 0, 1, 1], 'e.png']], labelWidth: 2 } as never), /labelWidth/);
    const grow = new image.ImageDetIter(1, [3, 6, 8], { imglist: [[[2, 5, 0, 0, 0, 1, 1], 'e.png']], pathRoot: dir(), augList: [(x: nd.NDArray, l: nd.NDArray) => [x, nd.concat(l, l, { dim: 0 })]] });
    assert.throws(() => grow.next(), /ImageDetIter: '.*e\.png' came out of the augmenters with a label of shape \[2, 5\], which does not fit the label shape \[1, 5\]/);
  });

  it("ImageDetIter -> MultiBoxTarget: shapes, and each object's best anchor is its class + 1", () => {
    const list = [0, 1, 2, 3].map((k) => {
      writeFileSync(path.join(dir(), `m${k}.png`), png(k, 32, 32));
      const boxes = [[k % 3, 0.1, 0.1, 0.45, 0.5], [(k + 1) % 3, 0.5, 0.55, 0.95, 0.9]].slice(0, 1 + (k % 2));
      return [[2, 5, ...boxes.flat()], `m${k}.png`] as (number[] | string)[];
    });
    random.seed(5);
    const it = new image.ImageDetIter(2, [3, 32, 32], { imglist: list, pathRoot: dir(), randMirror: true, randCrop: 0.5, minObjectCovered: 0.9 });
    const anchors = nd.contrib.MultiBoxPrior(nd.zeros([1, 3, 4, 4]), { sizes: [0.3, 0.5], ratios: [1, 2] }) as nd.NDArray;
    const na = anchors.shape[1]!;
    const a = anchors.toArray() as number[][][];
    const iou = (p: number[], q: number[]) => {
      const iw = Math.max(0, Math.min(p[2]!, q[2]!) - Math.max(p[0]!, q[0]!));
      const ih = Math.max(0, Math.min(p[3]!, q[3]!) - Math.max(p[1]!, q[1]!));
      const inter = iw * ih;
      return inter / ((p[2]! - p[0]!) * (p[3]! - p[1]!) + (q[2]! - q[0]!) * (q[3]! - q[1]!) - inter);
    };
    let objects = 0;
    for (let e = 0; e < 2; e++) {
      if (e) it.reset();
      for (const b of it) {
        const label = b.label[0]!;
        assert.deepEqual(label.shape, [2, 2, 5]);
        const [loc, mask, cls] = nd.contrib.MultiBoxTarget(anchors, label, nd.zeros([2, 4, na])) as nd.NDArray[];
        assert.deepEqual([loc!.shape, mask!.shape, cls!.shape], [[2, na * 4], [2, na * 4], [2, na]]);
        const c = cls!.toArray() as number[][];
        (label.toArray() as number[][][]).forEach((rows, i) => {
          for (const r of rows) {
            if (r[0]! < 0) continue;
            objects++;
            let best = 0;
            for (let j = 1; j < na; j++) if (iou(a[0]![j]!, r.slice(1)) > iou(a[0]![best]!, r.slice(1))) best = j;
            assert.equal(c[i]![best], r[0]! + 1, `image ${i}: the best anchor of [${r.join(', ')}] is its class + 1`);
          }
        });
      }
    }
    assert.ok(objects >= 8, `${objects} objects checked`);
  });
});
