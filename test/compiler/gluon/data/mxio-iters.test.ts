/**
 * io.MNISTIter, io.CSVIter, io.ResizeIter and io.PrefetchingIter against
 * MXNet 1.x: MNISTIter over idx files numpy writes (raw and gzipped), its
 * pixels as iter_mnist.cc's `img_ *= 1.0f / 256.0f` computed by numpy
 * (0 and 255 among them), its batching `loc + batch_size <= count` (the
 * partial batch dropped), `GetPart`'s split, a seeded shuffle done once;
 * CSVIter against numpy.loadtxt of the files it reads, batched by a python
 * transcription of iter_batchloader.h's Next/BeforeFirst (round_batch's
 * pad from the start and the next epoch after it; stale rows without it),
 * the label made 1-D as c_api.cc's MXDataIterGetLabel; ResizeIter and
 * PrefetchingIter against io.py's code transcribed over batch numbers;
 * Module.fit over MNISTIter equal to fit over the same arrays; Errors.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { io, mod, nd, sym } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';
import { runPython } from '../../../helpers/python-server.js';

const flat = (x: NDArray): number[] => Array.from(x.data() as ArrayLike<number>, Number);

function py(code: string, input: unknown): any {
  const r = runPython(code, { input: JSON.stringify(input) });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Writes idx files of n images rows x cols (raw, and gzipped copies) and returns numpy's view of them: pixels / 256 as float32, labels. */
const WRITE_IDX = String.raw`
import gzip, json, os, struct, sys
import numpy as np
a = json.load(sys.stdin)
n, r, c, d = a['n'], a['rows'], a['cols'], a['dir']
rng = np.random.RandomState(7)
img = rng.randint(0, 256, size=(n, r, c)).astype(np.uint8)
img[:, 0, 0] = np.arange(n)          # sample number, to follow a shuffle
img[0, 0, 1] = 255; img[0, 0, 2] = 0  # the ends of the byte range
lab = (np.arange(n) * 7 % 10).astype(np.uint8)
ih = struct.pack('>IIII', 2051, n, r, c) + img.tobytes()
lh = struct.pack('>II', 2049, n) + lab.tobytes()
for name, b in [('img', ih), ('lab', lh)]:
    open(os.path.join(d, name), 'wb').write(b)
    with gzip.open(os.path.join(d, name + '.gz'), 'wb') as f: f.write(b)
open(os.path.join(d, 'lab_short'), 'wb').write(struct.pack('>II', 2049, n - 1) + lab[:-1].tobytes())
x = (img.astype(np.float32) * np.float32(1.0 / 256.0)).reshape(n, -1)
json.dump({'x': x.astype(np.float64).tolist(), 'y': lab.tolist()}, sys.stdout)
`;

describe('io.MNISTIter (iter_mnist.cc)', () => {
  const dir = scratchDir('gluonc-mnistiter-');
  let ref: { x: number[][]; y: number[] };
  const N = 23;
  before(() => {
    ref = py(WRITE_IDX, { n: N, rows: 7, cols: 6, dir: dir() });
  });
  const opts = (o: object = {}) => ({ image: path.join(dir(), 'img'), label: path.join(dir(), 'lab'), batchSize: 5, shuffle: false, silent: true, ...o });

  it('serves pixels / 256 as [B, 1, rows, cols] with float32 labels [B]; the partial batch is dropped (loc + batch_size <= count)', () => {
    const it = new io.MNISTIter(opts());
    assert.deepEqual(it.provideData, [{ name: 'data', shape: [5, 1, 7, 6], dtype: 'float32', layout: 'NCHW' }]);
    assert.deepEqual(it.provideLabel, [{ name: 'softmax_label', shape: [5], dtype: 'float32', layout: 'NCHW' }]);
    const batches = [...it];
    assert.equal(batches.length, 4, '23 samples in batches of 5: 4 full batches, 3 samples dropped');
    batches.forEach((b, k) => {
      assert.deepEqual(b.data[0]!.shape, [5, 1, 7, 6]);
      assert.equal(b.pad, 0);
      assert.deepEqual(flat(b.data[0]!), ref.x.slice(k * 5, k * 5 + 5).flat());
      assert.deepEqual(flat(b.label[0]!), ref.y.slice(k * 5, k * 5 + 5));
    });
    assert.equal(flat(batches[0]!.data[0]!)[1], 0.99609375, 'byte 255 reads 255/256, as iter_mnist.cc');
    assert.equal(flat(batches[0]!.data[0]!)[2], 0);
    assert.equal(it.next(), null);
    it.reset();
    assert.deepEqual(flat(it.next()!.data[0]!), ref.x.slice(0, 5).flat(), 'reset starts again');
  });

  it('flat gives [B, rows * cols]; gzipped files read the same', () => {
    const it = new io.MNISTIter(opts({ flat: true, image: path.join(dir(), 'img.gz'), label: path.join(dir(), 'lab.gz'), batchSize: 23 }));
    assert.deepEqual(it.provideData[0]!.shape, [23, 42]);
    const b = it.next()!;
    assert.deepEqual(b.data[0]!.shape, [23, 42]);
    assert.deepEqual(flat(b.data[0]!), ref.x.flat());
    assert.equal(it.next(), null);
  });

  it('shuffle (default true) permutes once by seed: reproducible, kept with the labels, not redone by reset', () => {
    const order = (o: object) => {
      const it = new io.MNISTIter(opts({ shuffle: undefined, batchSize: 23, ...o }));
      const b = it.next()!;
      const x = flat(b.data[0]!);
      const ids = Array.from({ length: 23 }, (_v, i) => Math.round(x[i * 42]! * 256));
      flat(b.label[0]!).forEach((l, i) => assert.equal(l, ref.y[ids[i]!], 'label travels with its image'));
      ids.forEach((id, i) => assert.deepEqual(x.slice(i * 42, i * 42 + 42), ref.x[id]));
      it.reset();
      assert.deepEqual(flat(it.next()!.data[0]!), x, 'reset keeps the order');
      return ids;
    };
    const a = order({ seed: 3 });
    assert.deepEqual([...a].sort((p, q) => p - q), Array.from({ length: 23 }, (_v, i) => i));
    assert.notDeepEqual(a, Array.from({ length: 23 }, (_v, i) => i));
    assert.deepEqual(order({ seed: 3 }), a);
    assert.notDeepEqual(order({ seed: 4 }), a);
    assert.deepEqual(order({}), order({ seed: 0 }));
  });

  it("numParts / partIndex keep GetPart's samples [floor(n / parts * i), floor(n / parts * (i + 1)))", () => {
    const parts = py('import json,sys; n,p=json.load(sys.stdin); print(json.dumps([[int(float(n)/p*i), int(float(n)/p*(i+1))] for i in range(p)]))', [N, 3]) as [number, number][];
    parts.forEach(([s, e], i) => {
      const it = new io.MNISTIter(opts({ numParts: 3, partIndex: i, batchSize: e - s }));
      assert.deepEqual(flat(it.next()!.label[0]!), ref.y.slice(s, e));
    });
    assert.deepEqual(parts[1], [7, 15]);
  });

  it('Errors: a missing file named, counts that differ, not an idx file, an unknown parameter, a bad batch size', () => {
    assert.throws(() => new io.MNISTIter(opts({ image: path.join(dir(), 'nope') })), /MNISTIter: image file '.*nope' not found/);
    assert.throws(() => new io.MNISTIter(opts({ label: path.join(dir(), 'lab_short') })), /MNISTIter: '.*img' holds 23 images but '.*lab_short' holds 22 labels/);
    assert.throws(() => new io.MNISTIter(opts({ label: path.join(dir(), 'img') })), /MNISTIter: '.*img' is not an idx file of labels/);
    assert.throws(() => new io.MNISTIter(opts({ inputShape: [1, 28, 28] })), /MNISTIter: 'inputShape' is not supported by gluonc's MNISTIter \(it maps image, label/);
    assert.throws(() => new io.MNISTIter(opts({ batchSize: 0 })), /MNISTIter: batchSize must be an integer >= 1, got 0/);
    assert.throws(() => new io.MNISTIter(opts({ numParts: 2, partIndex: 2 })), /MNISTIter: partIndex 2 must be less than numParts 2/);
  });

  it('Module.fit over MNISTIter trains as fit over the same arrays in an NDArrayIter', () => {
    const net = () => sym.SoftmaxOutput(sym.FullyConnected(sym.var('data'), { numHidden: 10, name: 'fc' }), { name: 'softmax' });
    const init = { fc_weight: nd.random.uniform(-0.1, 0.1, [10, 42]), fc_bias: nd.zeros([10]) };
    const quiet = { info: () => {} };
    const a = new mod.Module(net(), { logger: quiet });
    a.fit(new io.MNISTIter(opts({ flat: true })), { optimizerParams: { learning_rate: 0.5 }, argParams: init, numEpoch: 2 });
    const b = new mod.Module(net(), { logger: quiet });
    const x = nd.array(ref.x.slice(0, 20).flat(), { shape: [20, 42] });
    b.fit(new io.NDArrayIter(x, nd.array(ref.y.slice(0, 20)), { batchSize: 5 }), { optimizerParams: { learning_rate: 0.5 }, argParams: init, numEpoch: 2 });
    const [pa, pb] = [a.getParams()[0], b.getParams()[0]];
    for (const k of ['fc_weight', 'fc_bias']) {
      const [u, v] = [flat(pa[k]!), flat(pb[k]!)];
      u.forEach((w, i) => assert.ok(Math.abs(w - v[i]!) < 1e-6, `${k}[${i}]: ${w} vs ${v[i]}`));
    }
    assert.ok(Math.abs(flat(pa.fc_bias!)[0]!) > 1e-4, 'the parameters moved');
  });
});

/** iter_batchloader.h's Next/BeforeFirst over the base iterator's row numbers, for three epochs. */
const BATCHLOADER = String.raw`
import json, sys
n, b, round_batch = json.load(sys.stdin)
pos = 0; overflow = 0; buf = [None] * b; out = []
def base_next():
    global pos
    if pos >= n: return None
    pos += 1; return pos - 1
for epoch in range(3):
    # BeforeFirst
    if round_batch == 0 or overflow == 0: pos = 0
    else: overflow = 0
    batches = []
    while True:
        # Next
        if overflow != 0: break
        top = 0; pad = 0
        while top < b:
            r = base_next()
            if r is None: break
            buf[top] = r; top += 1
        if top == 0: break
        if top < b:
            if round_batch:
                pos = 0
                while top < b:
                    buf[top] = base_next(); top += 1; overflow += 1
                pad = overflow
            else: pad = b - top
        batches.append([list(buf), pad])
    out.append(batches)
print(json.dumps(out))
`;

describe('io.CSVIter (iter_csv.cc, iter_batchloader.h)', () => {
  const dir = scratchDir('gluonc-csviter-');
  let data: number[][];
  let label: number[][];
  before(() => {
    const rows = ['1,2,3,4,5,6', '-1.5,2e-3,0,7,8,9', '', '10,11,12,13,14,15', '0.25,-0,1e3,3,2,1', '6,5,4,3,2,1', '9,9,9,9,9,9', '-7,-8,-9,1,2,3', ''];
    writeFileSync(path.join(dir(), 'data.csv'), rows.join('\n'));
    writeFileSync(path.join(dir(), 'label.csv'), '0,1\n1,0\n2,5\n3,4\n4,3\n5,2\n6,1\n');
    writeFileSync(path.join(dir(), 'bad.csv'), '1,2,3,4,5\n');
    writeFileSync(path.join(dir(), 'nan.csv'), '1,2,x,4,5,6\n');
    const r = py('import json,sys,numpy as np; d=json.load(sys.stdin); print(json.dumps([np.loadtxt(f, delimiter=",", ndmin=2).tolist() for f in d]))', [path.join(dir(), 'data.csv'), path.join(dir(), 'label.csv')]);
    [data, label] = r;
  });
  const f = (n: string) => path.join(dir(), n);

  for (const roundBatch of [true, false]) {
    it(`batches and pads three epochs as BatchLoader with roundBatch ${roundBatch}`, () => {
      const plan = py(BATCHLOADER, [7, 3, roundBatch ? 1 : 0]) as [(number | null)[], number][][];
      const it = new io.CSVIter({ dataCsv: f('data.csv'), dataShape: [2, 3], labelCsv: f('label.csv'), labelShape: [2], batchSize: 3, roundBatch });
      assert.deepEqual(it.provideData, [{ name: 'data', shape: [3, 2, 3], dtype: 'float32', layout: 'NCHW' }]);
      assert.deepEqual(it.provideLabel, [{ name: 'softmax_label', shape: [3, 2], dtype: 'float32', layout: 'NCHW' }]);
      for (const epoch of plan) {
        it.reset();
        const got = [...it];
        assert.equal(got.length, epoch.length);
        epoch.forEach(([rows, pad], k) => {
          assert.equal(got[k]!.pad, pad);
          assert.deepEqual(got[k]!.data[0]!.shape, [3, 2, 3]);
          assert.deepEqual(flat(got[k]!.data[0]!), rows.flatMap((r) => data[r!]!.map((v) => Math.fround(v))));
          assert.deepEqual(flat(got[k]!.label[0]!), rows.flatMap((r) => label[r!]!));
        });
      }
      if (roundBatch) assert.deepEqual(plan[1]![0]![0], [2, 3, 4], 'the second epoch starts after the rows used as padding');
      else assert.deepEqual(plan[0]![2], [[6, 4, 5], 2], 'stale rows fill the last batch');
    });
  }

  it('without labelCsv the labels are 0 of shape [B]; dtype int32; a batch of all rows', () => {
    const it = new io.CSVIter({ dataCsv: f('data.csv'), dataShape: [6], batchSize: 7, dtype: 'int32' });
    assert.deepEqual(it.provideLabel[0]!.shape, [7]);
    const b = it.next()!;
    assert.equal(b.data[0]!.dtype, 'int32');
    assert.deepEqual(flat(b.data[0]!), data.flat().map((v) => Math.trunc(v) | 0));
    assert.deepEqual(flat(b.label[0]!), [0, 0, 0, 0, 0, 0, 0]);
    assert.equal(b.pad, 0);
    assert.equal(it.next(), null);
    const big = new io.CSVIter({ dataCsv: f('data.csv'), dataShape: [6], batchSize: 7, dtype: 'int64' }).next()!;
    assert.equal(big.data[0]!.dtype, 'int64');
    assert.deepEqual(flat(big.data[0]!), data.flat().map((v) => Math.trunc(v) + 0));
  });

  it('Errors: a missing file named, a row that does not fit dataShape, not a number, an unknown parameter, too few rows to round', () => {
    assert.throws(() => new io.CSVIter({ dataCsv: f('nope.csv'), dataShape: [6], batchSize: 2 }), /CSVIter: dataCsv file '.*nope\.csv' not found/);
    assert.throws(() => new io.CSVIter({ dataCsv: f('bad.csv'), dataShape: [2, 3], batchSize: 1 }), /CSVIter: '.*bad\.csv' line 1: The data size in CSV do not match size of shape: specified shape=\(2,3\), the csv row-length=5/);
    assert.throws(() => new io.CSVIter({ dataCsv: f('nan.csv'), dataShape: [6], batchSize: 1 }), /CSVIter: '.*nan\.csv' line 1: 'x' is not a number/);
    assert.throws(() => new io.CSVIter({ dataCsv: f('data.csv'), dataShape: [6], batchSize: 2, partIndex: 1 } as never), /CSVIter: 'partIndex' is not supported/);
    assert.throws(() => new io.CSVIter({ dataCsv: f('data.csv'), dataShape: [6], batchSize: 8 }), /CSVIter: '.*data\.csv' has 7 rows, fewer than batchSize 8/);
    assert.throws(() => new io.CSVIter({ dataCsv: f('data.csv'), dataShape: [6] } as never), /CSVIter: batchSize is required/);
    assert.throws(() => new io.CSVIter({ dataCsv: f('data.csv'), dataShape: [0], batchSize: 2 }), /CSVIter: dataShape must be a list of positive integers/);
    assert.throws(() => new io.CSVIter({ dataCsv: f('data.csv'), dataShape: [6], labelCsv: f('label.csv'), labelShape: [3], batchSize: 2 }), /CSVIter: '.*label\.csv' line 1: .*the csv row-length=2/);
  });
});

/** io.py's ResizeIter over an inner iterator of n batches (numbered), size per epoch, three epochs. */
const RESIZE = String.raw`
import json, sys
n, size, reset_internal = json.load(sys.stdin)
class Inner:
    def __init__(self): self.cur = 0
    def reset(self): self.cur = 0
    def next(self):
        if self.cur == n: raise StopIteration
        self.cur += 1; return self.cur - 1
class ResizeIter:
    def __init__(self, data_iter, size, reset_internal=True):
        self.data_iter = data_iter; self.size = size; self.reset_internal = reset_internal; self.cur = 0
    def reset(self):
        self.cur = 0
        if self.reset_internal: self.data_iter.reset()
    def iter_next(self):
        if self.cur == self.size: return False
        try: self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset(); self.current_batch = self.data_iter.next()
        self.cur += 1
        return True
it = ResizeIter(Inner(), size, reset_internal)
out = []
for e in range(3):
    if e: it.reset()
    ep = []
    while it.iter_next(): ep.append(it.current_batch)
    out.append(ep)
print(json.dumps(out))
`;

describe('io.ResizeIter and io.PrefetchingIter (io.py)', () => {
  // 10 samples in batches of 4 ('pad'): 3 batches an epoch, batch k starting at sample 4k.
  const inner = () => new io.NDArrayIter(nd.arange(0, 10).reshape([10, 1]), nd.arange(100, 110), { batchSize: 4 });
  for (const [size, resetInternal] of [[5, true], [5, false], [2, false], [3, true]] as const) {
    it(`ResizeIter(size ${size}, resetInternal ${resetInternal}) serves io.py's batches over three epochs`, () => {
      const plan = py(RESIZE, [3, size, resetInternal]) as number[][];
      const it = new io.ResizeIter(inner(), size, resetInternal);
      assert.deepEqual(it.provideData, inner().provideData);
      assert.equal(it.batchSize, 4);
      plan.forEach((ep, e) => {
        if (e) it.reset();
        assert.deepEqual([...it].map((b) => flat(b.data[0]!)[0]), ep.map((k) => k * 4));
      });
    });
  }

  it('PrefetchingIter joins the iterators data and labels in order, renamed; the epoch, reset and pad follow them', () => {
    const a = inner();
    const b = new io.NDArrayIter({ x: nd.arange(20, 30).reshape([10, 1]), z: nd.arange(30, 40).reshape([10, 1]) }, nd.arange(200, 210), { batchSize: 4 });
    const it = new io.PrefetchingIter([a, b], [{ data: 'a' }, { x: 'bx', z: 'bz' }], [{ softmax_label: 'la' }, { softmax_label: 'lb' }]);
    assert.deepEqual(it.provideData.map((d) => [d.name, d.shape]), [['a', [4, 1]], ['bx', [4, 1]], ['bz', [4, 1]]]);
    assert.deepEqual(it.provideLabel.map((d) => d.name), ['la', 'lb']);
    assert.equal(it.batchSize, 4);
    for (let e = 0; e < 2; e++) {
      const got = [...it];
      assert.deepEqual(got.map((g) => g.pad), [0, 0, 2]);
      assert.deepEqual(got[2]!.data.map((d) => flat(d)), [[8, 9, 0, 1], [28, 29, 20, 21], [38, 39, 30, 31]]);
      assert.deepEqual(got[2]!.label.map((d) => flat(d)), [[108, 109, 100, 101], [208, 209, 200, 201]]);
      assert.deepEqual(got[0]!.provideData, it.provideData);
      it.reset();
    }
    const plain = new io.PrefetchingIter(inner());
    assert.deepEqual(plain.provideData.map((d) => d.name), ['data']);
    assert.equal([...plain].length, 3);
  });

  it('Errors: a name missing from a rename map, iterators of different lengths or pads, not an iterator, a bad size', () => {
    assert.throws(() => new io.PrefetchingIter([inner()], [{ x: 'y' }]), /PrefetchingIter: renameData\[0\] has no new name for 'data'/);
    assert.throws(() => new io.PrefetchingIter([inner(), inner()], [{ data: 'a' }]), /PrefetchingIter: renameData must be one \{ old: new \} map per iterator \(2\)/);
    const short = new io.NDArrayIter(nd.arange(0, 8).reshape([8, 1]), nd.arange(0, 8), { batchSize: 4 });
    const p = new io.PrefetchingIter([inner(), short]);
    p.next();
    p.next();
    assert.throws(() => p.next(), /PrefetchingIter: Number of entry mismatches between iterators \(iterator 1 ended before iterator 0\)/);
    const odd = new io.NDArrayIter(nd.arange(0, 11).reshape([11, 1]), nd.arange(0, 11), { batchSize: 4 });
    const q = new io.PrefetchingIter([inner(), odd]);
    q.next();
    q.next();
    assert.throws(() => q.next(), /PrefetchingIter: Number of entry mismatches between iterators \(pad 2 of iterator 0, 1 of iterator 1\)/);
    assert.throws(() => new io.PrefetchingIter([{}] as never), /PrefetchingIter: iters\[0\] must be a data iterator/);
    assert.throws(() => new io.ResizeIter(inner(), -1), /ResizeIter: size must be a non-negative integer/);
  });
});
