/**
 * image.ImageIter and io.ImageRecordIter against MXNet 1.x: the batching
 * of image.py's ImageIter (next, _batchify, next_sample, reset), rewritten
 * in python below over sample numbers, for every lastBatchHandle, sizes
 * that divide, do not divide and are below a batch, an epoch cut short by
 * reset(), and each source (.rec with and without .idx, .lst under
 * pathRoot, an in-memory imglist); labels from .lst and record headers of
 * width 1 and 2; numParts/partIndex slices; seeded shuffles; the pixels of
 * a batch against numpy (CreateAugmenter's normalisation, the C++
 * iterator's (x - mean) / std * scale after a cv2 shorter-edge resize and
 * centre crop); Errors.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { image, io, nd, random, recordio } from 'gluonc';
import { numpyRefs } from '../../../helpers/numpy.js';
import { flat } from '../../../helpers/images.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';
import { runPython } from '../../../helpers/python-server.js';

const IMAGE_ITER = String.raw`
import json, sys
def epochs(n, b, handle, stop, probe, count):
    # image.py ImageIter's next / _batchify / next_sample / reset over sample numbers (no shuffle, seq = keys).
    st = {'cur': 0, 'allow': True, 'cache': None}
    def next_sample():
        if not st['allow']: raise StopIteration
        if st['cur'] >= n:
            if handle != 'discard': st['cur'] = 0
            raise StopIteration
        st['cur'] += 1
        return st['cur'] - 1
    def batchify(data, start):
        i = start
        try:
            while i < b:
                data[i] = next_sample(); i += 1
        except StopIteration:
            if not i: raise StopIteration
        return i
    def nxt():
        if st['cache'] is not None: data, i = st['cache']
        else:
            data = [None] * b; i = batchify(data, 0)
        pad = b - i
        if pad != 0:
            if handle == 'discard': raise StopIteration
            if handle == 'roll_over' and st['cache'] is None:
                st['cache'] = (data, i); raise StopIteration
            # image.py calls _batchify once here; gluonc repeats it while it progresses (a batch larger than the data).
            prev, k = -1, i
            while k < b and k != prev: prev, k = k, batchify(data, k)
            if handle == 'pad': st['allow'] = False
            else: st['cache'] = None
        return [list(data), pad]
    def reset():
        if handle != 'roll_over' or st['cache'] is None:
            st['cur'] = 0; st['allow'] = True
    out = []
    for e in range(count):
        if e > 0: reset()
        batches = []
        while True:
            try: batches.append(nxt())
            except StopIteration: break
            if e == 0 and len(batches) == stop: break
        # One more next() after the end, before reset(): what the iterator's state gives then.
        if probe and not (e == 0 and len(batches) == stop):
            try: batches.append(['after the end'] + nxt())
            except StopIteration: pass
        out.append(batches)
    return out
cases = json.load(sys.stdin)
json.dump([epochs(*c, 3) for c in cases], sys.stdout)
`;

/** Sample k: a constant image (R, G, B) = (10k + 1, 10k + 2, 10k + 3) of 6 x (6 + k % 3) pixels, as PNG bytes. */
function png(k: number, h = 6, w = 6 + (k % 3)): Uint8Array {
  const bgr = nd.array(Array.from({ length: h * w }, () => [10 * k + 3, 10 * k + 2, 10 * k + 1]).flat(), { shape: [h, w, 3], dtype: 'uint8' });
  return recordio.unpack(recordio.packImg({ flag: 0, label: 0, id: 0, id2: 0 }, bgr, 95, '.png'))[1];
}

/** n samples as a .rec/.idx pair, a .lst with image files, and an in-memory list; labels k (and 100 + k when wide). */
function dataset(dir: string, n: number, wide = false): { rec: string; idx: string; lst: string; list: (number | string)[][] } {
  const rec = path.join(dir, `d${n}${wide ? 'w' : ''}.rec`);
  const idx = rec.replace(/\.rec$/, '.idx');
  const lst = rec.replace(/\.rec$/, '.lst');
  const w = new recordio.MXIndexedRecordIO(idx, rec, 'w');
  const lines: string[] = [];
  const list: (number | string)[][] = [];
  for (let k = 0; k < n; k++) {
    const bytes = png(k);
    const labels = wide ? [k, 100 + k] : [k];
    w.writeIdx(k, recordio.pack({ flag: 0, label: wide ? Float32Array.from(labels) : k, id: k, id2: 0 }, bytes));
    writeFileSync(path.join(dir, `img${k}.png`), bytes);
    lines.push(`${k}\t${labels.join('\t')}\timg${k}.png\n`);
    list.push([...labels, `img${k}.png`]);
  }
  w.close();
  writeFileSync(lst, lines.join(''));
  return { rec, idx, lst, list };
}

/** The sample numbers of a batch (from each row's red value) and its labels. */
function samples(batch: { data: nd.NDArray[]; label: nd.NDArray[] }): [number[], number[]] {
  const d = flat(batch.data[0]!);
  const per = d.length / batch.data[0]!.shape[0]!;
  const ids = Array.from({ length: batch.data[0]!.shape[0]! }, (_v, i) => (d[i * per]! - 1) / 10);
  return [ids, flat(batch.label[0]!)];
}

describe('image.ImageIter', function () {
  this.timeout(60000);
  const dir = scratchDir('gluonc-imageiter-');

  it("batches and pads of three epochs equal image.py's ImageIter logic for every lastBatchHandle and source", () => {
    // [samples, batch size, lastBatchHandle, batches after which the first epoch is reset early (0: never), one more next() after each end].
    const cases: [number, number, string, number, boolean][] = [];
    for (const handle of ['pad', 'discard', 'roll_over']) {
      for (const [n, b] of [[6, 3], [7, 3], [2, 5], [5, 1]] as const) cases.push([n, b, handle, 0, false], [n, b, handle, 0, true]);
      cases.push([7, 3, handle, 1, false]);
    }
    const r = runPython(IMAGE_ITER, { input: JSON.stringify(cases) });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as unknown[][][];
    const sets = new Map<number, ReturnType<typeof dataset>>();
    cases.forEach(([n, b, handle, stop, probe], c) => {
      if (!sets.has(n)) sets.set(n, dataset(dir(), n));
      const ds = sets.get(n)!;
      const sources: [string, Record<string, unknown>][] = [
        ['rec+idx', { pathImgrec: ds.rec, pathImgidx: ds.idx }],
        ['rec', { pathImgrec: ds.rec }],
        ['lst', { pathImglist: ds.lst, pathRoot: dir() }],
        ['imglist', { imglist: ds.list, pathRoot: dir() }],
      ];
      for (const [name, src] of sources) {
        const it = new image.ImageIter(b, [3, 4, 5], { ...src, lastBatchHandle: handle as 'pad' });
        assert.deepEqual(it.provideData, [{ name: 'data', shape: [b, 3, 4, 5], dtype: 'float32', layout: 'NCHW' }]);
        const got: unknown[][] = [];
        for (let e = 0; e < 3; e++) {
          if (e > 0) it.reset();
          const epoch: unknown[] = [];
          for (const batch of it) {
            const [ids, labels] = samples(batch);
            assert.deepEqual(labels, ids, `${name}: labels follow their images`);
            assert.deepEqual(batch.data[0]!.shape, [b, 3, 4, 5]);
            epoch.push([ids, batch.pad]);
            if (e === 0 && epoch.length === stop) break;
          }
          if (probe && !(e === 0 && epoch.length === stop)) {
            const extra = it.next();
            if (extra) epoch.push(['after the end', samples(extra)[0], extra.pad]);
          }
          got.push(epoch);
        }
        assert.deepEqual(got, want[c], `${name}, n=${n}, batch ${b}, ${handle}${stop ? `, reset after ${stop}` : ''}${probe ? ', next() after the end' : ''}`);
      }
    });
  });

  it('reads labels of width 2 from a .lst and from record headers, shaped [batch, 2]', () => {
    const ds = dataset(dir(), 5, true);
    for (const src of [{ pathImglist: ds.lst, pathRoot: dir() }, { pathImgrec: ds.rec }, { imglist: ds.list, pathRoot: dir() }]) {
      const it = new image.ImageIter({ batchSize: 2, dataShape: [3, 4, 4], labelWidth: 2, ...src });
      assert.deepEqual(it.provideLabel, [{ name: 'softmax_label', shape: [2, 2], dtype: 'float32', layout: 'NCHW' }]);
      const rows = [...it].map((b) => b.label[0]!.toArray());
      assert.deepEqual(rows, [[[0, 100], [1, 101]], [[2, 102], [3, 103]], [[4, 104], [0, 100]]]);
    }
    // A plain function works in augList as an augmenter (MXNet calls aug(src)).
    const fn = new image.ImageIter(2, [3, 4, 4], { pathImgrec: ds.rec, labelWidth: 2, augList: [(img: nd.NDArray) => image.fixedCrop(img, 1, 1, 4, 4), new image.CastAug()] });
    assert.deepEqual(samples(fn.next()!), [[0, 1], [0, 100, 1, 101]]);
    // An absolute path in the list stands alone, as os.path.join(path_root, path) gives it.
    const abs = new image.ImageIter(1, [3, 4, 4], { imglist: [[9, path.join(dir(), 'img2.png')]], pathRoot: path.join(dir(), 'elsewhere') });
    assert.deepEqual(samples(abs.next()!), [[2], [9]]);
    // The .lst's labels win over the headers when both are given, keyed by the .idx keys.
    const lst = path.join(dir(), 'other.lst');
    writeFileSync(lst, [0, 1, 2, 3, 4].map((k) => `${k}\t${7 * k}\tignored.png\n`).join(''));
    const it = new image.ImageIter(5, [3, 4, 4], { pathImgrec: ds.rec, pathImgidx: ds.idx, pathImglist: lst });
    assert.deepEqual(flat(it.next()!.label[0]!), [0, 7, 14, 21, 28]);
  });

  it('numParts/partIndex keep equal slices; shuffle permutes every epoch from the seeded stream', () => {
    const ds = dataset(dir(), 7);
    const part = (i: number, src: object) => [...new image.ImageIter(3, [3, 4, 4], { ...src, numParts: 2, partIndex: i, lastBatchHandle: 'discard' })].map((b) => samples(b)[0]);
    for (const src of [{ pathImgrec: ds.rec, pathImgidx: ds.idx }, { pathImglist: ds.lst, pathRoot: dir() }]) {
      assert.deepEqual(part(0, src), [[0, 1, 2]]);
      assert.deepEqual(part(1, src), [[3, 4, 5]]);
    }
    // hardReset() forgets a rolled-over batch; reset() keeps it for the next epoch's first batch.
    const roll = new image.ImageIter(3, [3, 4, 4], { pathImgrec: ds.rec, pathImgidx: ds.idx, lastBatchHandle: 'roll_over' });
    assert.equal(roll.numImage, 7);
    assert.deepEqual([...roll].map((b) => samples(b)[0]), [[0, 1, 2], [3, 4, 5]]);
    roll.hardReset();
    assert.deepEqual([samples(roll.next()!)[0]], [[0, 1, 2]]);
    [...roll];
    roll.reset();
    const first = roll.next()!;
    assert.deepEqual([samples(first)[0], first.pad], [[6, 0, 1], 2]);
    const orders = (seed: number) => {
      random.seed(seed);
      const it = new image.ImageIter(7, [3, 4, 4], { pathImgrec: ds.rec, pathImgidx: ds.idx, shuffle: true });
      return [0, 1, 2].map((e) => {
        if (e) it.reset();
        return samples(it.next()!)[0];
      });
    };
    const a = orders(11);
    assert.deepEqual(orders(11), a);
    for (const o of a) assert.deepEqual([...o].sort(), [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(new Set(a.map(String)).size > 1, 'the order changes between epochs');
  });

  it('a batch holds the augmented images as CHW float32: CreateAugmenter(mean, std) against numpy', () => {
    const [h, w] = [5, 7];
    const rgb = Array.from({ length: h * w * 3 }, (_v, i) => (i * 37 + 11) % 256);
    rgb[0] = 0;
    rgb[1] = 255;
    const bgr = rgb.map((_v, i) => rgb[i - (i % 3) + 2 - (i % 3)]!);
    const rec = path.join(dir(), 'pix.rec');
    const wr = new recordio.MXRecordIO(rec, 'w');
    wr.write(recordio.packImg({ flag: 0, label: 3, id: 0, id2: 0 }, nd.array(bgr, { shape: [h, w, 3], dtype: 'uint8' }), 95, '.png'));
    wr.close();
    const it = new image.ImageIter(1, [3, h, w], { pathImgrec: rec, mean: true, std: true });
    const got = it.next()!.data[0]!;
    const [ref] = numpyRefs([{
      code: 'out = ((a.astype(np.float32) - np.array([123.68, 116.28, 103.53], np.float32)) / np.array([58.395, 57.12, 57.375], np.float32)).transpose(2, 0, 1)[None]',
      inputs: [{ shape: [h, w, 3], dtype: 'uint8', data: rgb }],
    }]);
    assert.deepEqual(got.shape, ref!.outs[0]!.shape);
    flat(got).forEach((v, i) => assert.ok(Math.abs(v - ref!.outs[0]!.data[i]!) < 1e-5, `at ${i}: ${v}`));
  });

  it('refuses bad input with Errors naming it', () => {
    const ds = dataset(dir(), 3);
    assert.throws(() => new image.ImageIter(2, [3, 4, 4], { pathImgrec: path.join(dir(), 'missing.rec') }), /cannot open '.*missing\.rec'/);
    assert.throws(() => new image.ImageIter(2, [3, 4, 4], { pathImglist: path.join(dir(), 'missing.lst') }), /ImageIter: cannot read the list '.*missing\.lst'/);
    const it = new image.ImageIter(2, [3, 4, 4], { imglist: [[1, 'nowhere.png']], pathRoot: dir() });
    assert.throws(() => it.next(), /ImageIter: cannot read the image '.*nowhere\.png' \(ENOENT\)/);
    assert.throws(() => new image.ImageIter(2, [4, 4], { pathImgrec: ds.rec }), /ImageIter: dataShape must be 3 positive integers/);
    assert.throws(() => new image.ImageIter(2, [1, 4, 4], { pathImgrec: ds.rec }), /expects inputs to have 3 channels/);
    assert.throws(() => new image.ImageIter(2, [3, 4, 4]), /give pathImgrec .*, pathImglist .* or imglist/);
    assert.throws(() => new image.ImageIter(2, [3, 4, 4], { pathImgrec: ds.rec, shuffle: true }), /shuffle with pathImgrec needs pathImgidx/);
    assert.throws(() => new image.ImageIter(2, [3, 4, 4], { pathImgrec: ds.rec, randMirr: true } as never), /randMirr/);
    assert.throws(() => new image.ImageIter(2, [3, 4, 4], { pathImgrec: ds.rec, augList: [], randCrop: true }), /randCrop is CreateAugmenter's, unused when augList is given/);
    assert.throws(() => new image.ImageIter(2, [3, 4, 4], { pathImgrec: ds.rec, lastBatchHandle: 'keep' as never }), /lastBatchHandle must be 'pad', 'discard' or 'roll_over'/);
    assert.throws(() => new image.ImageIter(2, [3, 4, 4], { pathImgrec: ds.rec, numParts: 2, partIndex: 2 }), /partIndex must be an integer in \[0, numParts\)/);
    const noCrop = new image.ImageIter(2, [3, 4, 4], { pathImgrec: ds.rec, augList: [new image.CastAug()] });
    assert.throws(() => noCrop.next(), /ImageIter: a record \(id 0\) of '.*d3\.rec' came out of the augmenters with shape \[6, 6, 3\], but dataShape \[3, 4, 4\] needs HWC \[4, 4, 3\]/);
    const wide = new image.ImageIter(2, [3, 4, 4], { pathImglist: ds.lst, pathRoot: dir(), labelWidth: 2 });
    assert.throws(() => wide.next(), /ImageIter: '.*img0\.png' has 1 label \(0\) but labelWidth is 2/);
    const broken = path.join(dir(), 'broken.png');
    writeFileSync(broken, 'not an image');
    assert.throws(() => new image.ImageIter(1, [3, 4, 4], { imglist: [[0, 'broken.png']], pathRoot: dir() }).next(), /broken\.png/);
  });
});

describe('io.ImageRecordIter', function () {
  this.timeout(60000);
  const dir = scratchDir('gluonc-recorditer-');

  it("resize, centre crop and (x - mean) / std * scale equal cv2/numpy; roundBatch pads from the start", () => {
    const [h, w] = [8, 12];
    const rgbs = [0, 1, 2].map((k) => Array.from({ length: h * w * 3 }, (_v, i) => (i * 37 + 11 + 50 * k) % 256));
    const rec = path.join(dir(), 'pix.rec');
    const wr = new recordio.MXRecordIO(rec, 'w');
    rgbs.forEach((rgb, k) => {
      const bgr = rgb.map((_v, i) => rgb[i - (i % 3) + 2 - (i % 3)]!);
      wr.write(recordio.packImg({ flag: 0, label: k, id: k, id2: 0 }, nd.array(bgr, { shape: [h, w, 3], dtype: 'uint8' }), 95, '.png'));
    });
    wr.close();
    const it = new io.ImageRecordIter({ pathImgrec: rec, dataShape: [3, 4, 5], batchSize: 2, resize: 6, meanR: 120, meanG: 110, meanB: 100, stdR: 50, stdG: 60, stdB: 70, scale: 0.5, preprocessThreads: 4 });
    const batches = [...it];
    assert.deepEqual(batches.map((b) => [flat(b.label[0]!), b.pad]), [[[0, 1], 0], [[2, 0], 1]]);
    // The C++ augmenter: shorter edge to 6 (new_w = 6 * 12 / 8 = 9, bilinear), the 5x4 window at ((9 - 5) / 2, (6 - 4) / 2).
    const refs = numpyRefs(rgbs.map((rgb) => ({
      code: `import cv2
r = cv2.resize(a, (9, 6), interpolation=cv2.INTER_LINEAR)[1:5, 2:7].astype(np.float32)
out = ((r - np.array([120, 110, 100], np.float32)) / np.array([50, 60, 70], np.float32) * np.float32(0.5)).transpose(2, 0, 1)`,
      inputs: [{ shape: [h, w, 3], dtype: 'uint8', data: rgb }],
    })));
    const rows = [...batches.flatMap((b) => [0, 1].map((i) => flat(b.data[0]!).slice(i * 60, (i + 1) * 60)))];
    [0, 1, 2, 0].forEach((k, r) => {
      assert.equal(refs[k]!.error, undefined, refs[k]!.error);
      // gluonc's uint8 bilinear resize is OpenCV's fixed-point one, which cv2's SIMD paths match within 1 grey level.
      rows[r]!.forEach((v, i) => assert.ok(Math.abs(v - refs[k]!.outs[0]!.data[i]!) <= 0.5 / 50 + 1e-5, `sample ${k} at ${i}: ${v} vs ${refs[k]!.outs[0]!.data[i]}`));
    });
  });

  it('mirror flips every image; shuffle without an .idx reads the records by their offsets, repeating under one seed', () => {
    const rec = path.join(dir(), 'ids.rec');
    const wr = new recordio.MXRecordIO(rec, 'w');
    for (let k = 0; k < 6; k++) wr.write(recordio.pack({ flag: 0, label: k, id: k, id2: 0 }, png(k, 4, 5)));
    wr.close();
    const order = () => {
      random.seed(4);
      const it = new io.ImageRecordIter({ pathImgrec: rec, dataShape: [3, 4, 5], batchSize: 6, shuffle: true });
      return flat(it.next()!.label[0]!);
    };
    const o = order();
    assert.deepEqual(order(), o);
    assert.deepEqual([...o].sort(), [0, 1, 2, 3, 4, 5]);
    assert.notDeepEqual(o, [0, 1, 2, 3, 4, 5]);
    const parts = [0, 1].map((partIndex) => flat(new io.ImageRecordIter({ pathImgrec: rec, dataShape: [3, 4, 5], batchSize: 3, numParts: 2, partIndex }).next()!.label[0]!));
    assert.deepEqual(parts, [[0, 1, 2], [3, 4, 5]]);
    // A .lst labels the record whose header id is its index (the C++ iterator's label map), with or without shuffling.
    const byId = path.join(dir(), 'byid.rec');
    const w3 = new recordio.MXRecordIO(byId, 'w');
    for (const id of [12, 10, 11]) w3.write(recordio.pack({ flag: 0, label: 0, id, id2: 0 }, png(id - 10, 4, 5)));
    w3.close();
    const lst = path.join(dir(), 'byid.lst');
    writeFileSync(lst, '10\t5\ta.png\n11\t6\tb.png\n12\t7\tc.png\n');
    for (const shuffle of [false, true]) {
      const b = new io.ImageRecordIter({ pathImgrec: byId, pathImglist: lst, dataShape: [3, 4, 5], batchSize: 3, shuffle }).next()!;
      const [ids, labels] = samples(b);
      assert.deepEqual(labels, ids.map((i) => i + 5));
    }
    // A left-right gradient comes out reversed with mirror.
    const grad = nd.array(Array.from({ length: 4 * 5 }, (_v, i) => [i % 5, i % 5, i % 5]).flat(), { shape: [4, 5, 3], dtype: 'uint8' });
    const rec2 = path.join(dir(), 'grad.rec');
    const w2 = new recordio.MXRecordIO(rec2, 'w');
    w2.write(recordio.packImg({ flag: 0, label: 0, id: 0, id2: 0 }, grad, 95, '.png'));
    w2.close();
    const row = (mirror: boolean) => flat(new io.ImageRecordIter({ pathImgrec: rec2, dataShape: [3, 4, 5], batchSize: 1, mirror }).next()!.data[0]!).slice(0, 5);
    assert.deepEqual(row(false), [0, 1, 2, 3, 4]);
    assert.deepEqual(row(true), [4, 3, 2, 1, 0]);
  });

  it('refuses parameters it does not map, by name, and a missing pathImgrec', () => {
    const base = { pathImgrec: path.join(dir(), 'ids.rec'), dataShape: [3, 4, 5], batchSize: 2 };
    assert.throws(() => new io.ImageRecordIter({ ...base, maxRotateAngle: 10 } as never), /ImageRecordIter: 'maxRotateAngle' is not supported by gluonc's ImageRecordIter/);
    assert.throws(() => new io.ImageRecordIter({ ...base, meanImg: 'm.bin', seed: 3 } as never), /'meanImg', 'seed' are not supported/);
    assert.throws(() => new io.ImageRecordIter({ dataShape: [3, 4, 5], batchSize: 2 } as never), /ImageRecordIter: pathImgrec \(the \.rec file\) is required/);
    assert.throws(() => new io.ImageRecordIter({ ...base, pathImgrec: path.join(dir(), 'none.rec') }), /cannot open '.*none\.rec'/);
    assert.throws(() => new io.ImageRecordIter({ ...base, dataShape: [4, 5] }), /ImageRecordIter: dataShape must be 3 positive integers/);
    assert.throws(() => new io.ImageRecordIter({ ...base, dataShape: [1, 4, 5] }), /ImageRecordIter: dataShape \[1, 4, 5\]: gluonc's ImageRecordIter reads colour images/);
    assert.throws(() => new io.ImageRecordIter({ ...base, meanR: 'x' as never }), /meanR must be a number/);
    assert.throws(() => new io.ImageRecordIter({ ...base, roundBatch: 1 as never }), /ImageRecordIter: roundBatch must be true or false, got 1/);
  });
});
