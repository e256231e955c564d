/**
 * `recordio` and the record datasets against files written by an
 * independent python writer (below: dmlc-core's RecordIOWriter::WriteRecord
 * and MXNet's recordio.pack rewritten with `struct`, no gluonc code):
 * records holding the magic at aligned offsets (split into parts) and at
 * unaligned ones (not split), empty and odd-length records, number and list
 * labels, 64-bit ids; our writer's files byte for byte equal to python's;
 * images in records equal OpenCV's reads (test/fixtures/images); errors.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gluon, nd, recordio } from 'gluonc';
import { scratchDir } from '../../../helpers/scratch-dir.js';
import { runPython } from '../../../helpers/python-server.js';

const FIX = path.join(import.meta.dirname, '..', '..', '..', 'fixtures', 'images');

const WRITER = String.raw`
import json, struct, sys
MAGIC = 0xced7230a
def write_record(f, data):
    # dmlc-core src/recordio.cc RecordIOWriter::WriteRecord
    n = len(data); dptr = 0
    for i in range(0, (n >> 2) << 2, 4):
        if struct.unpack_from('<I', data, i)[0] == MAGIC:
            f.write(struct.pack('<II', MAGIC, ((1 if dptr == 0 else 2) << 29) | (i - dptr)))
            f.write(data[dptr:i]); dptr = i + 4
    f.write(struct.pack('<II', MAGIC, ((3 if dptr != 0 else 0) << 29) | (n - dptr)))
    f.write(data[dptr:])
    f.write(b'\0' * ((((n + 3) >> 2) << 2) - n))
def pack(label, id, s):
    # MXNet python/mxnet/recordio.py pack: IfQQ, a list label after the header with flag = its length
    if isinstance(label, list):
        return struct.pack('<IfQQ', len(label), 0.0, id, 0) + struct.pack('<%df' % len(label), *label) + s
    return struct.pack('<IfQQ', 0, label, id, 0) + s
job = json.load(sys.stdin)
with open(job['rec'], 'wb') as f, open(job['idx'], 'w') as fi:
    for k, r in enumerate(job['records']):
        data = bytes.fromhex(r['hex']) if 'hex' in r else open(r['file'], 'rb').read()
        if 'label' in r: data = pack(r['label'], r['id'], data)
        fi.write('%d\t%d\n' % (k, f.tell()))
        write_record(f, data)
`;

type Rec = { hex?: string; file?: string; label?: number | number[]; id?: number };

function pyWrite(dir: string, name: string, records: Rec[]): string {
  const rec = path.join(dir, `${name}.rec`);
  const r = runPython(WRITER, { input: JSON.stringify({ rec, idx: path.join(dir, `${name}.idx`), records }) });
  assert.equal(r.status, 0, r.stderr);
  return rec;
}

const MAGIC_LE = '0a23d7ce';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const RAW: Rec[] = [
  { hex: '' },
  { hex: '616263' },
  { hex: MAGIC_LE },
  { hex: `01020304${MAGIC_LE}0506${MAGIC_LE}${MAGIC_LE}ff` },
  { hex: `01${MAGIC_LE}020304` },
  { hex: `${'ab'.repeat(4)}${MAGIC_LE}` },
  // Three aligned magics: a start, two middles (one empty) and an end part.
  { hex: `${MAGIC_LE}${MAGIC_LE}01020304${MAGIC_LE}05` },
  { hex: 'cd'.repeat(1001) },
];

describe('recordio: dmlc-core RecordIO files and MXNet image records', () => {
  const dir = scratchDir('gluonc-recordio-');

  it("reads python's file record by record and by key: magic at aligned offsets restored, unaligned ones untouched, empty and odd lengths", () => {
    const rec = pyWrite(dir(), 'raw', RAW);
    const r = new recordio.MXRecordIO(rec, 'r');
    for (const want of RAW) assert.equal(hex(r.read()!), want.hex);
    assert.equal(r.read(), null);
    r.reset();
    assert.equal(hex(r.read()!), '');
    r.close();
    const ix = new recordio.MXIndexedRecordIO(rec.replace(/rec$/, 'idx'), rec, 'r');
    assert.deepEqual(ix.keys, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(hex(ix.readIdx(3)), RAW[3]!.hex);
    assert.equal(hex(ix.readIdx(0)), '');
    assert.equal(hex(ix.readIdx(6)), RAW[6]!.hex);
    assert.equal(hex(ix.readIdx(7)), RAW[7]!.hex);
    ix.close();
  });

  it("our writer's .rec and .idx equal python's byte for byte", () => {
    const theirs = pyWrite(dir(), 'theirs', RAW);
    const ours = path.join(dir(), 'ours.rec');
    const w = new recordio.MXIndexedRecordIO(path.join(dir(), 'ours.idx'), ours, 'w');
    RAW.forEach((r, k) => w.writeIdx(k, Buffer.from(r.hex!, 'hex')));
    assert.equal(w.tell(), readFileSync(theirs).length);
    w.close();
    assert.equal(hex(readFileSync(ours)), hex(readFileSync(theirs)));
    assert.equal(readFileSync(path.join(dir(), 'ours.idx'), 'utf8'), readFileSync(path.join(dir(), 'theirs.idx'), 'utf8'));
    // Strings are written as UTF-8, as MXNet's examples write 'record_%d'.
    const s = new recordio.MXRecordIO(path.join(dir(), 's.rec'), 'w');
    s.write('record_0');
    s.close();
    assert.equal(Buffer.from(new recordio.MXRecordIO(path.join(dir(), 's.rec'), 'r').read()!).toString(), 'record_0');
  });

  it("pack/unpack: MXNet's header (IfQQ), number and list labels, 64-bit ids; packed records equal python's", () => {
    const rec = pyWrite(dir(), 'packed', [
      { hex: 'deadbeef', label: 4, id: 2574 },
      { hex: '00', label: [1, 2.5, -3], id: 2 ** 40 + 7 },
    ]);
    const r = new recordio.MXRecordIO(rec, 'r');
    const a = r.read()!;
    const [h1, s1] = recordio.unpack(a);
    assert.deepEqual([h1.flag, h1.label, h1.id, h1.id2, hex(s1)], [0, 4, 2574, 0, 'deadbeef']);
    assert.equal(hex(recordio.pack({ flag: 9, label: 4, id: 2574, id2: 0 }, Buffer.from('deadbeef', 'hex'))), hex(a));
    const b = r.read()!;
    const [h2, s2] = recordio.unpack(b);
    assert.equal(h2.flag, 3);
    assert.deepEqual(Array.from(h2.label as Float32Array), [1, 2.5, -3]);
    assert.equal(h2.id, 2 ** 40 + 7);
    assert.equal(hex(s2), '00');
    assert.equal(hex(recordio.pack({ flag: 0, label: Float32Array.from([1, 2.5, -3]), id: 2 ** 40 + 7, id2: 0 }, Buffer.from('00', 'hex'))), hex(b));
  });

  it('unpackImg of records holding BMP, PNM, WebP and TIFF images: as stored with iscolor -1 (gray or BGR), alpha refused as OpenCV would keep it', () => {
    const dir = path.join(import.meta.dirname, '..', '..', '..', 'fixtures', 'image-formats');
    const expected = nd.load(path.join(dir, 'expected.npz')) as unknown as Record<string, nd.NDArray>;
    const rec = (f: string): Uint8Array => recordio.pack({ flag: 0, label: 1, id: 0, id2: 0 }, readFileSync(path.join(dir, f)));
    for (const [f, gray] of [['pal8-gray.bmp', true], ['p5.pgm', true], ['gray-lzw.tiff', true], ['rgb24.bmp', false], ['lossy.webp', false], ['p6.ppm', false]] as const) {
      const [, img] = recordio.unpackImg(rec(f));
      const want = expected[`${f}.${gray ? 'gray' : 'bgr'}`]!;
      assert.deepEqual(img.shape, gray ? want.shape.slice(0, 2) : want.shape, f);
      assert.deepEqual(Array.from(img.data() as Uint8Array), Array.from(want.data() as Uint8Array), f);
    }
    assert.throws(() => recordio.unpackImg(rec('lossless-alpha.webp')), /recordio\.unpackImg: the record's image has an alpha channel/);
    assert.throws(() => recordio.unpackImg(rec('p6-16bit.ppm')), /recordio\.unpackImg: the record's image has 16-bit samples/);
  });

  it("ImageRecordDataset and unpackImg: JPEG records decode as OpenCV reads the files (RGB for the dataset, BGR for unpackImg)", () => {
    const rec = pyWrite(dir(), 'images', [
      { file: path.join(FIX, 'c420.jpg'), label: 1, id: 0 },
      { file: path.join(FIX, 'gray.jpg'), label: [0.5, 2], id: 1 },
    ]);
    const [bgr] = nd.load(path.join(FIX, 'c420.bgr.npy')) as nd.NDArray[];
    const [gray] = nd.load(path.join(FIX, 'gray.gray.npy')) as nd.NDArray[];
    const ds = new gluon.data.vision.ImageRecordDataset(rec);
    assert.equal(ds.length, 2);
    const [img, label] = ds.get(0) as [nd.NDArray, number];
    const want = Array.from(bgr!.data() as Uint8Array);
    assert.deepEqual(Array.from(img.data() as Uint8Array), want.map((_v, i) => want[i - (i % 3) + 2 - (i % 3)]!));
    assert.equal(label, 1);
    assert.deepEqual(Array.from((ds.get(1) as [nd.NDArray, Float32Array])[1]), [0.5, 2]);
    const ix = new recordio.MXIndexedRecordIO(rec.replace(/rec$/, 'idx'), rec, 'r');
    const [, asBgr] = recordio.unpackImg(ix.readIdx(0));
    assert.deepEqual(Array.from(asBgr.data() as Uint8Array), want);
    // A one-component JPEG read as stored is 2-d, as cv2's IMREAD_UNCHANGED gives.
    const [, g] = recordio.unpackImg(ix.readIdx(1));
    assert.deepEqual(g.shape, gray!.shape);
    assert.deepEqual(Array.from(g.data() as Uint8Array), Array.from(gray!.data() as Uint8Array));
    // The dataset in a DataLoader with the transforms.
    const { transforms } = gluon.data.vision;
    const loader = new gluon.data.DataLoader(ds.transformFirst(new transforms.Compose([new transforms.Resize([8, 8]), new transforms.ToTensor()])), { batchSize: 1 });
    assert.deepEqual((([...loader][0] as nd.NDArray[])[0]!).shape, [1, 3, 8, 8]);
  });

  it('packImg: PNG records round-trip exactly (colour and gray), JPEG ones closely', () => {
    const img = nd.array(Array.from({ length: 5 * 7 * 3 }, (_v, i) => (i * 37) % 256), { dtype: 'uint8' }).reshape([5, 7, 3]);
    const [h, back] = recordio.unpackImg(recordio.packImg({ flag: 0, label: 2, id: 5, id2: 0 }, img, 3, '.png'), 1);
    assert.equal(h.label, 2);
    assert.deepEqual(Array.from(back.data() as Uint8Array), Array.from(img.data() as Uint8Array));
    const g = nd.array([0, 50, 100, 150, 200, 250], { dtype: 'uint8' }).reshape([2, 3]);
    assert.deepEqual(Array.from(recordio.unpackImg(recordio.packImg({ flag: 0, label: 0, id: 0, id2: 0 }, g, 9, '.png'))[1].data() as Uint8Array), [0, 50, 100, 150, 200, 250]);
    const flat = nd.full([16, 16, 3], 128, { dtype: 'uint8' });
    const j = recordio.unpackImg(recordio.packImg({ flag: 0, label: 0, id: 0, id2: 0 }, flat, 95))[1];
    assert.ok((Array.from(j.data() as Uint8Array) as number[]).every((v) => Math.abs(v - 128) <= 1));
  });

  it('errors name the file and what is wrong', () => {
    const bad = path.join(dir(), 'bad.rec');
    writeFileSync(bad, Buffer.from('not a record file'));
    assert.throws(() => new recordio.MXRecordIO(bad, 'r').read(), /MXRecordIO '.*bad\.rec': Invalid RecordIO File \(no record starts at byte 0/);
    const rec = pyWrite(dir(), 'cut', [{ hex: 'cd'.repeat(40) }]);
    writeFileSync(bad, readFileSync(rec).subarray(0, 30));
    assert.throws(() => new recordio.MXRecordIO(bad, 'r').read(), /holds 40 bytes but the file ends first/);
    assert.throws(() => new recordio.MXRecordIO(path.join(dir(), 'none.rec'), 'r'), /cannot open '.*none\.rec' for reading \(ENOENT\)/);
    assert.throws(() => new recordio.MXRecordIO(rec, 'x' as never), /Invalid flag "x"/);
    assert.throws(() => new recordio.MXRecordIO(rec, 'r').write('a'), /was opened with 'r': cannot write/);
    const ix = new recordio.MXIndexedRecordIO(rec.replace(/rec$/, 'idx'), rec, 'r');
    assert.throws(() => ix.readIdx(5), /no record has the key 5 in '.*cut\.idx'/);
    writeFileSync(path.join(dir(), 'odd.idx'), '0\t0\nnonsense\n');
    assert.throws(() => new recordio.MXIndexedRecordIO(path.join(dir(), 'odd.idx'), rec, 'r'), /'.*odd\.idx' line 2 is not 'key<TAB>offset': "nonsense"/);
    assert.throws(() => recordio.unpack(new Uint8Array(10)), /starts with a 24-byte header, got 10 bytes/);
    assert.throws(() => new gluon.data.vision.ImageRecordDataset(path.join(dir(), 'missing.rec')), /cannot read the index '.*missing\.idx' \(ENOENT\)|cannot open '.*missing\.rec'/);
    const notImage = pyWrite(dir(), 'notimage', [{ hex: '00112233', label: 1, id: 0 }]);
    assert.throws(() => new gluon.data.vision.ImageRecordDataset(notImage).get(0), /ImageRecordDataset '.*notimage\.rec' record 0: not an image file gluonc reads/);
  });
});
