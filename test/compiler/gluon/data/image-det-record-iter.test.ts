/**
 * io.ImageDetRecordIter against MXNet 1.x's C++ ImageDetRecordIter
 * (src/io/iter_image_det_recordio.cc): on a .rec of packed detection
 * labels written here, the label rows are the parser's `[channels, rows,
 * cols, n, raw label..., label_pad_value...]` of `label_pad_width + 4`
 * numbers, built below from the raw labels; the pixels are
 * iter_normalize.h's `(x - mean) / std * scale` of the PNGs' known RGB
 * values (float64 here); the batches equal image.ImageDetIter's with the
 * equivalent options (also with random mirroring under one seed);
 * round_batch's pad; the label_pad_width / label_width checks; Errors;
 * resize_mode 'shrink' / 'fit' (the label row's real size, the image at
 * the top left of normalized zeros, as the C++ batch holds it); MXNet's
 * example/ssd DetRecordIter parameter sets end to end (det-aug-default.test.ts
 * tests the augmenter itself).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { image, io, nd, random, recordio } from 'gluonc';
import { flat } from '../../../helpers/images.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

const [H, W] = [12, 16];
/** Sample k's RGB value at (y, x, c). */
const rgb = (k: number, y: number, x: number, c: number) => (k * 50 + y * 7 + x * 3 + c * 20) % 256;

function png(k: number): Uint8Array {
  const bgr = nd.array(Array.from({ length: H * W }, (_v, i) => [2, 1, 0].map((c) => rgb(k, Math.floor(i / W), i % W, c))).flat(), { shape: [H, W, 3], dtype: 'uint8' });
  return recordio.unpack(recordio.packImg({ flag: 0, label: 0, id: 0, id2: 0 }, bgr, 95, '.png'))[1];
}

describe('io.ImageDetRecordIter', () => {
  const dir = scratchDir('gluonc-detrec-');
  // im2rec's detection labels: [A, B, extra header..., objects of [cls, xmin, ymin, xmax, ymax(, difficult)]]; sample 1 has a wider header.
  const raws = [
    [2, 5, 0, 0.1, 0.2, 0.6, 0.7],
    [3, 5, 99, 1, 0, 0, 0.5, 0.5, 2, 0.25, 0.25, 1, 1],
    [2, 5, 1, 0.3, 0.3, 0.4, 0.9],
  ];
  const rec = () => path.join(dir(), 'det.rec');
  before(() => {
    const w = new recordio.MXIndexedRecordIO(path.join(dir(), 'det.idx'), rec(), 'w');
    raws.forEach((raw, k) => w.writeIdx(k, recordio.pack({ flag: raw.length, label: Float32Array.from(raw), id: k, id2: 0 }, png(k))));
    w.close();
  });
  /** The C++ parser's label row of sample k (f32 values as the .rec stores them). */
  const row = (k: number, padWidth: number, padValue = -1) => {
    const raw = raws[k]!.map((v) => Math.fround(v));
    return [3, H, W, raw.length, ...raw, ...Array(padWidth - raw.length).fill(padValue)];
  };

  it("serves the C++ parser's label rows (auto pad width: the widest raw label) and (x - mean) / std * scale pixels; roundBatch pads from the start", () => {
    const [mean, std, scale] = [[120, 110, 100], [50, 60, 70], 0.5];
    const it = new io.ImageDetRecordIter({ pathImgrec: rec(), dataShape: [3, H, W], batchSize: 2, meanR: 120, meanG: 110, meanB: 100, stdR: 50, stdG: 60, stdB: 70, scale, verbose: false });
    assert.equal(it.labelPadWidth, 13);
    assert.deepEqual(it.provideLabel, [{ name: 'softmax_label', shape: [2, 17], dtype: 'float32', layout: 'NCHW' }]);
    assert.deepEqual(it.provideData[0]!.shape, [2, 3, H, W]);
    const batches = [...it];
    assert.deepEqual(batches.map((b) => b.pad), [0, 1]);
    const order = [0, 1, 2, 0];
    batches.forEach((b, bi) => {
      assert.deepEqual(b.label[0]!.toArray(), order.slice(bi * 2, bi * 2 + 2).map((k) => row(k, 13)));
      const want = order.slice(bi * 2, bi * 2 + 2).flatMap((k) => [0, 1, 2].flatMap((c) => Array.from({ length: H * W }, (_v, i) => ((rgb(k, Math.floor(i / W), i % W, c) - mean[c]!) / std[c]!) * scale)));
      flat(b.data[0]!).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `pixel ${i} of batch ${bi}: ${v} vs ${want[i]}`));
    });
  });

  it('labelPadWidth and labelPadValue lay the rows out as the C++ parser; labelWidth checks every record', () => {
    const it = new io.ImageDetRecordIter({ pathImgrec: rec(), dataShape: [3, H, W], batchSize: 3, labelPadWidth: 20, labelPadValue: -2 });
    assert.deepEqual(it.provideLabel[0]!.shape, [3, 24]);
    assert.deepEqual(it.next()!.label[0]!.toArray(), [0, 1, 2].map((k) => row(k, 20, -2)));
    assert.throws(() => new io.ImageDetRecordIter({ pathImgrec: rec(), dataShape: [3, H, W], batchSize: 3, labelPadWidth: 12 }), /ImageDetRecordIter: labelPadWidth: 12 smaller than estimated width: 13/);
    assert.throws(() => new io.ImageDetRecordIter({ pathImgrec: rec(), dataShape: [3, H, W], batchSize: 3, labelWidth: 7 }), /ImageDetRecordIter: a record \(id 1\) of '.*det\.rec': rec file provide 13-dimensional label but labelWidth is set to 7/);
  });

  it('equals image.ImageDetIter with the equivalent options: interMethod 1, mean/std, random mirroring under one seed, shuffle by the .idx', () => {
    const ours = (o: object) => new io.ImageDetRecordIter({ pathImgrec: rec(), dataShape: [3, H, W], batchSize: 3, meanR: 1, meanG: 2, meanB: 3, stdR: 2, stdG: 2, stdB: 2, ...o });
    const theirs = (o: object) => new image.ImageDetIter(3, [3, H, W], { pathImgrec: rec(), interMethod: 1, mean: [1, 2, 3], std: [2, 2, 2], ...o });
    for (const [a, b] of [[{ randMirrorProb: 0.5 }, { randMirror: true }], [{ shuffle: true }, { shuffle: true, pathImgidx: path.join(dir(), 'det.idx') }]] as const) {
      random.seed(5);
      const x = ours(a);
      const got = [0, 1].map((e) => (e ? (x.reset(), x.next()!) : x.next()!));
      random.seed(5);
      const y = theirs(b);
      const want = [0, 1].map((e) => (e ? (y.reset(), y.next()!) : y.next()!));
      got.forEach((g, e) => {
        assert.deepEqual(flat(g.data[0]!), flat(want[e]!.data[0]!), `epoch ${e} data with ${JSON.stringify(a)}`);
        // ImageDetIter's [objects, B] rows are the C++ row's objects after its header.
        const rows = g.label[0]!.toArray() as number[][];
        const objs = want[e]!.label[0]!.toArray() as number[][][];
        rows.forEach((r, i) => {
          const n = r[3]!;
          const objects = r.slice(4 + r[4]!, 4 + n);
          assert.deepEqual(objects, objs[i]!.filter((o) => o[0]! >= 0).flat());
        });
      });
    }
  });

  it('Errors: an unknown or unmapped parameter named, a missing file, a bad dataShape, the augmenter\'s checks', () => {
    const base = { pathImgrec: rec(), dataShape: [3, H, W], batchSize: 2 };
    assert.throws(() => new io.ImageDetRecordIter({ ...base, meanImg: 'mean.bin' } as never), /ImageDetRecordIter: 'meanImg' is not supported by gluonc's ImageDetRecordIter \(it maps pathImgrec, .*randCropProb, .*; meanImg, augSeq and the chunk shuffle are not mapped/);
    assert.throws(() => new io.ImageDetRecordIter({ ...base, pathImgrec: path.join(dir(), 'nope.rec') }), /nope\.rec/);
    assert.throws(() => new io.ImageDetRecordIter({ ...base, dataShape: [3, H] }), /ImageDetRecordIter: dataShape must be 3 positive integers/);
    assert.throws(() => new io.ImageDetRecordIter({ ...base, randMirrorProb: 1.3 }), /ImageDetRecordIter: randMirrorProb must be a probability in \[0, 1\], got 1.3/);
    assert.throws(() => new io.ImageDetRecordIter({ ...base, numCropSampler: 2, minCropScales: [0.1, 0.2, 0.3] }), /ImageDetRecordIter: minCropScales has 3 values but numCropSampler is 2/);
    assert.throws(() => new io.ImageDetRecordIter({ ...base, interMethod: 0 }), /ImageDetRecordIter: invalid interMethod 0/);
    const it = new io.ImageDetRecordIter(base);
    assert.throws(() => it.reshape(null, [5, 5]), /ImageDetRecordIter\.reshape: the label rows are the C\+\+ parser's .* of labelPadWidth \+ 4 = 17 numbers/);
    assert.throws(() => new io.ImageDetRecordIter(null as never), /ImageDetRecordIter: takes one options object/);
  });

  it("resizeMode 'shrink' / 'fit': the label row holds the augmented size, the image sits at the top left of zeros normalized with it", () => {
    const [mean, std] = [[10, 20, 30], [2, 4, 5]];
    const norm = { meanR: 10, meanG: 20, meanB: 30, stdR: 2, stdG: 4, stdB: 5 };
    const shrink = new io.ImageDetRecordIter({ pathImgrec: rec(), dataShape: [3, 20, 24], batchSize: 3, resizeMode: 'shrink', ...norm });
    const b = shrink.next()!;
    assert.deepEqual(b.data[0]!.shape, [3, 3, 20, 24]);
    assert.deepEqual(b.label[0]!.toArray(), [0, 1, 2].map((k) => [3, H, W, ...row(k, 13).slice(3)]));
    const px = flat(b.data[0]!);
    for (let k = 0; k < 3; k++) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 20; y++) {
          for (let x = 0; x < 24; x++) {
            const v = y < H && x < W ? rgb(k, y, x, c) : 0;
            assert.ok(Math.abs(px[((k * 3 + c) * 20 + y) * 24 + x]! - (v - mean[c]!) / std[c]!) < 1e-5, `sample ${k} (${c}, ${y}, ${x})`);
          }
        }
      }
    }
    // 'fit' scales 12x16 by min(20 / 12, 24 / 16) = 1.5 to 18x24.
    const fit = new io.ImageDetRecordIter({ pathImgrec: rec(), dataShape: [3, 20, 24], batchSize: 3, resizeMode: 'fit' });
    assert.deepEqual((fit.next()!.label[0]!.toArray() as number[][]).map((r) => r.slice(0, 3)), [[3, 18, 24], [3, 18, 24], [3, 18, 24]]);
  });

  it("MXNet's example/ssd DetRecordIter call (config.py's train and valid parameter sets) runs: batch shapes, the parser's label layout, boxes in [0, 1], the extra column kept with its object", () => {
    // example/ssd: dataset/iterator.py's DetRecordIter with config/config.py's cfg.train and cfg.valid (config_as_dict), label_pad_width 350.
    const w = new recordio.MXIndexedRecordIO(path.join(dir(), 'ssd.idx'), path.join(dir(), 'ssd.rec'), 'w');
    const sizes = [[40, 60], [50, 50], [30, 70], [64, 48], [45, 45], [36, 52], [60, 40]];
    const raws2 = sizes.map(([h, wd], k) => {
      const objects = Array.from({ length: 1 + (k % 3) }, (_o, j) => [k * 10 + j, 0.1 + 0.2 * j, 0.15 + 0.1 * j, 0.5 + 0.2 * j, 0.6 + 0.1 * j, 100 + k * 10 + j]);
      const bgr = nd.array(Array.from({ length: h! * wd! * 3 }, (_v, i) => (i * 37 + k * 11) % 256), { shape: [h!, wd!, 3], dtype: 'uint8' });
      const raw = [2, 6, ...objects.flat()];
      w.writeIdx(k, recordio.packImg({ flag: raw.length, label: Float32Array.from(raw), id: k, id2: 0 }, bgr, 95, '.png'));
      return raw.map((v) => Math.fround(v));
    });
    w.close();
    const samplers = 5;
    const train = {
      pathImgrec: path.join(dir(), 'ssd.rec'), pathImglist: '', labelWidth: -1, labelPadWidth: 350, labelPadValue: -1, batchSize: 4, dataShape: [3, 32, 32],
      meanR: 123.68, meanG: 116.779, meanB: 103.939, resizeMode: 'force' as const,
      minCropScales: Array(samplers).fill(0.3), maxCropScales: Array(samplers).fill(1), minCropAspectRatios: Array(samplers).fill(0.5), maxCropAspectRatios: Array(samplers).fill(2),
      minCropOverlaps: [0.1, 0.3, 0.5, 0.7, 0.9], maxCropOverlaps: Array(samplers).fill(1), minCropSampleCoverages: Array(samplers).fill(0), maxCropSampleCoverages: Array(samplers).fill(1),
      minCropObjectCoverages: Array(samplers).fill(0), maxCropObjectCoverages: Array(samplers).fill(1), maxCropTrials: Array(samplers).fill(25),
      numCropSampler: samplers, randCropProb: (1 / (samplers + 1)) * samplers, cropEmitMode: 'center' as const,
      randPadProb: 0.5, maxPadScale: 4, fillValue: 127,
      randomHueProb: 0.5, maxRandomHue: 18, randomSaturationProb: 0.5, maxRandomSaturation: 32, randomIlluminationProb: 0.5, maxRandomIllumination: 32, randomContrastProb: 0.5, maxRandomContrast: 0.5,
      interMethod: 10, randMirrorProb: 0.5, shuffle: true, seed: 233, preprocessThreads: 6,
    };
    const valid = {
      ...train, minCropScales: undefined, maxCropScales: undefined, minCropAspectRatios: undefined, maxCropAspectRatios: undefined, minCropOverlaps: undefined, maxCropOverlaps: undefined,
      minCropSampleCoverages: undefined, maxCropSampleCoverages: undefined, minCropObjectCoverages: undefined, maxCropObjectCoverages: undefined, maxCropTrials: undefined,
      numCropSampler: 0, randCropProb: 0, randPadProb: 0, maxPadScale: 1, randomHueProb: 0, randomSaturationProb: 0, randomIlluminationProb: 0, randomContrastProb: 0, randMirrorProb: 0,
      interMethod: 1, shuffle: false, seed: 0,
    };
    for (const k of Object.keys(valid) as (keyof typeof valid)[]) if (valid[k] === undefined) delete valid[k];
    random.seed(3);
    let changed = 0;
    for (const [name, o] of [['train', train], ['valid', valid]] as const) {
      const it = new io.ImageDetRecordIter(o);
      assert.deepEqual(it.provideData[0]!.shape, [4, 3, 32, 32]);
      assert.deepEqual(it.provideLabel[0]!.shape, [4, 354]);
      for (let epoch = 0; epoch < (name === 'train' ? 4 : 1); epoch++) {
        it.reset();
        for (const batch of it) {
          assert.deepEqual(batch.data[0]!.shape, [4, 3, 32, 32]);
          assert.ok(flat(batch.data[0]!).every(Number.isFinite));
          for (const r of batch.label[0]!.toArray() as number[][]) {
            assert.deepEqual(r.slice(0, 3), [3, 32, 32]);
            const n = r[3]!;
            const raw = r.slice(4, 4 + n);
            assert.deepEqual(r.slice(4 + n), Array(350 - n).fill(-1), `${name}: the padding`);
            assert.deepEqual(raw.slice(0, 2), [2, 6]);
            assert.equal((n - 2) % 6, 0);
            // iterator.py's reshape: label[:, 4 + A : ...] as [max_objects, 6]; the objects first, then rows of -1.
            const objs = Array.from({ length: (n - 2) / 6 }, (_o, j) => raw.slice(2 + j * 6, 8 + j * 6));
            assert.ok(objs.length >= 1);
            const k = Math.floor(objs[0]![0]! / 10);
            const orig = raws2[k]!;
            for (const ob of objs) {
              assert.ok(ob.slice(1, 5).every((v) => v >= 0 && v <= 1), `${name}: box ${ob} in [0, 1]`);
              assert.ok(ob[3]! >= ob[1]! && ob[4]! >= ob[2]!);
              assert.equal(ob[5], 100 + ob[0]!, `${name}: the difficult column stays with its object`);
            }
            if (name === 'valid') assert.deepEqual(raw, orig);
            else if (JSON.stringify(raw) !== JSON.stringify(orig)) changed++;
          }
        }
      }
    }
    assert.ok(changed >= 5, `the train augmentation changed ${changed} labels`);
  });
});
