/**
 * io.ImageDetRecordIter against MXNet 1.x's C++ ImageDetRecordIter
 * (src/io/iter_image_det_recordio.cc): on a .rec of packed detection
 * labels written here, the label rows are the parser's `[channels, rows,
 * cols, n, raw label..., label_pad_value...]` of `label_pad_width + 4`
 * numbers, built below from the raw labels; the pixels are
 * iter_normalize.h's `(x - mean) / std * scale` of the PNGs' known RGB
 * values (float64 here); the batches equal image.ImageDetIter's with the
 * equivalent options (also with random mirroring under one seed);
 * round_batch's pad; the label_pad_width / label_width checks; Errors.
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

  it('Errors: an unknown or unmapped parameter named, a missing file, a bad dataShape, an unsupported mirror probability', () => {
    const base = { pathImgrec: rec(), dataShape: [3, H, W], batchSize: 2 };
    assert.throws(() => new io.ImageDetRecordIter({ ...base, randCropProb: 0.5 } as never), /ImageDetRecordIter: 'randCropProb' is not supported by gluonc's ImageDetRecordIter \(it maps pathImgrec, .*; use image\.ImageDetIter with CreateDetAugmenter's options/);
    assert.throws(() => new io.ImageDetRecordIter({ ...base, pathImgrec: path.join(dir(), 'nope.rec') }), /nope\.rec/);
    assert.throws(() => new io.ImageDetRecordIter({ ...base, dataShape: [3, H] }), /ImageDetRecordIter: dataShape must be 3 positive integers/);
    assert.throws(() => new io.ImageDetRecordIter({ ...base, randMirrorProb: 0.3 }), /ImageDetRecordIter: randMirrorProb 0.3 is not supported/);
    const it = new io.ImageDetRecordIter(base);
    assert.throws(() => it.reshape(null, [5, 5]), /ImageDetRecordIter\.reshape: the label rows are the C\+\+ parser's .* of labelPadWidth \+ 4 = 17 numbers/);
    assert.throws(() => new io.ImageDetRecordIter(null as never), /ImageDetRecordIter: takes one options object/);
  });
});
