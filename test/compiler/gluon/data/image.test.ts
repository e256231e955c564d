/**
 * MXNet's `mx.image` functions and `gluon.data.vision.ImageFolderDataset`:
 * - JPEG decoding against OpenCV's own reads of the same files
 *   (test/fixtures/images: cv2.imread's arrays, written by make.py): colour
 *   exact (4:2:0 and 4:4:4 chroma, gray files), grayscale of a colour JPEG
 *   within 1 (see image-decode.ts);
 * - PNG decoding of files this test writes itself (its own encoder on node's
 *   zlib: known pixels in, so the expected pixels are known) in every colour
 *   type, 1-, 8- and 16-bit, with alpha and palette, and grayscale by
 *   libpng's integer formula, pinned at colours where rounding the exact
 *   0.299/0.587/0.114 sum would give another value;
 * - the crops and resizes' geometry against image.py's formulas (cited
 *   there), colorNormalize in float64, the dataset's listing and reading,
 *   and the errors.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { gluon, image, nd, random } from 'gluonc';

const FIX = path.join(import.meta.dirname, '..', '..', '..', 'fixtures', 'images');

/** A PNG of `rows` (each row's samples, already in the colour type's order), non-interlaced, filter 0 on every row. */
function png(width: number, height: number, bitDepth: number, colorType: number, rows: number[][], extra: Buffer[] = []): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  const raw: number[] = [];
  for (const r of rows) {
    raw.push(0);
    if (bitDepth === 16) for (const v of r) raw.push(v >> 8, v & 255);
    else if (bitDepth === 8) raw.push(...r);
    else {
      // Sub-byte samples, packed from the high bits.
      const perByte = 8 / bitDepth;
      for (let i = 0; i < r.length; i += perByte) raw.push(r.slice(i, i + perByte).reduce((acc, v, k) => acc | (v << (8 - bitDepth * (k + 1))), 0));
    }
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), ...extra.map((e) => e), chunk('IDAT', deflateSync(Buffer.from(raw))), chunk('IEND', Buffer.alloc(0))]);
}

/** A PLTE or tRNS chunk. */
function pngChunk(type: string, data: number[]): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** libpng's rgb_to_gray with OpenCV's 0.299/0.587 (png_set_rgb_to_gray), 8-bit: coefficients 9797, 19234, 3737 over 2^15, truncated. */
const libpngGray = (r: number, g: number, b: number): number => (r === g && g === b ? r : Math.floor((9797 * r + 19234 * g + 3737 * b) / 32768));

const pixels = (a: nd.NDArray): number[] => Array.from(a.data() as Uint8Array);

describe('image.imdecode / imread: JPEG against OpenCV, PNG against known pixels', () => {
  for (const name of ['c420', 'c444', 'gray']) {
    it(`${name}.jpg: colour equals cv2.imread's exactly (RGB, and BGR with toRgb false); grayscale within 1`, () => {
      const bytes = readFileSync(path.join(FIX, `${name}.jpg`));
      const [bgr] = nd.load(path.join(FIX, `${name}.bgr.npy`)) as nd.NDArray[];
      const [gray] = nd.load(path.join(FIX, `${name}.gray.npy`)) as nd.NDArray[];
      const asBgr = image.imdecode(bytes, { toRgb: false });
      assert.equal(asBgr.dtype, 'uint8');
      assert.deepEqual(asBgr.shape, bgr.shape);
      assert.deepEqual(pixels(asBgr), pixels(bgr));
      const rgb = image.imread(path.join(FIX, `${name}.jpg`));
      const want = pixels(bgr);
      assert.deepEqual(pixels(rgb), want.map((_v, i) => want[i - (i % 3) + 2 - (i % 3)]!));
      const g = image.imdecode(bytes, 0);
      assert.deepEqual(g.shape, [...gray.shape, 1]);
      const ref = pixels(gray);
      const diff = pixels(g).map((v, i) => Math.abs(v - ref[i]!));
      // A one-component JPEG is its own luma: exact. A colour one's luma comes from another IDCT: within 1.
      assert.ok(Math.max(...diff) <= (name === 'gray' ? 0 : 1), `max difference ${Math.max(...diff)}`);
      assert.ok(diff.filter((d) => d > 0).length / diff.length < 0.2, 'most gray values equal');
    });
  }

  it('PNG of every colour type and depth: the pixels written, alpha dropped, 16-bit to the high byte, gray replicated', () => {
    const rgb = [
      [0, 120, 40, 255, 255, 255, 1, 2, 3],
      [0, 95, 195, 17, 17, 17, 250, 0, 5],
    ];
    const viaRgb = (rows: number[][]) => rows.flat();
    assert.deepEqual(pixels(image.imdecode(png(3, 2, 8, 2, rgb))), viaRgb(rgb));
    // BGR order with toRgb false.
    assert.deepEqual(pixels(image.imdecode(png(3, 2, 8, 2, rgb), 1, false)).slice(0, 3), [40, 120, 0]);
    // RGBA: the alpha is dropped, not composited (libpng's png_set_strip_alpha, as OpenCV asks).
    const rgba = rgb.map((r) => r.flatMap((v, i) => (i % 3 === 2 ? [v, 7] : [v])));
    assert.deepEqual(pixels(image.imdecode(png(3, 2, 8, 6, rgba))), viaRgb(rgb));
    // Gray and gray+alpha: replicated into three channels.
    const g = [
      [0, 128, 255],
      [3, 4, 5],
    ];
    assert.deepEqual(pixels(image.imdecode(png(3, 2, 8, 0, g))), g.flat().flatMap((v) => [v, v, v]));
    assert.deepEqual(pixels(image.imdecode(png(3, 2, 8, 4, g.map((r) => r.flatMap((v) => [v, 99]))))), g.flat().flatMap((v) => [v, v, v]));
    // 16-bit: the high byte (png_set_strip_16), not a rounding of v / 257.
    const g16 = [[0x12ff, 0x8080, 0xffff]];
    assert.deepEqual(pixels(image.imdecode(png(3, 1, 16, 0, g16))), [0x12, 0x12, 0x12, 0x80, 0x80, 0x80, 0xff, 0xff, 0xff]);
    // 1-bit gray: 0 and 255.
    assert.deepEqual(pixels(image.imdecode(png(8, 1, 1, 0, [[1, 0, 1, 1, 0, 0, 0, 1]]), 0)), [255, 0, 255, 255, 0, 0, 0, 255]);
    // Palette with a transparency entry: the palette's colours.
    const plte = pngChunk('PLTE', [10, 20, 30, 200, 100, 50]);
    const trns = pngChunk('tRNS', [0]);
    assert.deepEqual(pixels(image.imdecode(png(2, 1, 8, 3, [[1, 0]], [plte, trns]))), [200, 100, 50, 10, 20, 30]);
  });

  it("PNG read as grayscale: libpng's integer rgb_to_gray, at colours where rounding the exact sum differs, and 16-bit rounded before the high byte", () => {
    // (0, 120, 40): 0.587*120 + 0.114*40 = 75.0 exactly, libpng's truncated integers give 74; (0, 95, 195): 77.995 gives 78.
    const samples = [
      [0, 120, 40],
      [0, 95, 195],
      [5, 0, 250],
      [255, 255, 255],
      [17, 17, 17],
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ];
    const out = pixels(image.imdecode(png(samples.length, 1, 8, 2, [samples.flat()]), 0));
    assert.deepEqual(out, samples.map(([r, g, b]) => libpngGray(r!, g!, b!)));
    assert.deepEqual(out.slice(0, 2), [74, 78]);
    // 16-bit colour: gray = (9797 R + 19234 G + 3737 B + 16384) >> 15 on the 16-bit samples, then its high byte.
    const s16 = [0x1234, 0xfedc, 0x0f0f, 0xffff, 0, 0x8000];
    const g16 = (r: number, g: number, b: number): number => Math.floor((9797 * r + 19234 * g + 3737 * b + 16384) / 32768) >> 8;
    assert.deepEqual(pixels(image.imdecode(png(2, 1, 16, 2, [s16]), 0)), [g16(0x1234, 0xfedc, 0x0f0f), g16(0xffff, 0, 0x8000)]);
  });

  it('bad input: errors name the file and what is wrong', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gluonc-image-'));
    try {
      assert.throws(() => image.imread(path.join(dir, 'missing.jpg')), /image\.imread: cannot read '.*missing\.jpg' \(ENOENT\)/);
      writeFileSync(path.join(dir, 'x.gif'), Buffer.from('GIF89a....'));
      assert.throws(() => image.imread(path.join(dir, 'x.gif')), /'.*x\.gif': not a readable GIF image: the file ends early/);
      writeFileSync(path.join(dir, 'x.ico'), Buffer.from([0, 0, 1, 0, 1, 0]));
      assert.throws(() => image.imread(path.join(dir, 'x.ico')), /'.*x\.ico': not an image file gluonc reads \(it starts with bytes 00 00 01 00\); image decoding reads JPEG, PNG, BMP, PNM \(PBM\/PGM\/PPM\), TIFF, WebP and GIF/);
      const jpg = readFileSync(path.join(FIX, 'c444.jpg'));
      assert.throws(() => image.imdecode(jpg.subarray(0, 200)), /image\.imdecode: not a readable JPEG \(.+\)/);
      assert.throws(() => image.imdecode(png(2, 1, 8, 2, [[1, 2, 3, 4, 5, 6]]).subarray(0, 40)), /not a readable PNG/);
      assert.throws(() => image.imdecode(new Uint8Array(0)), /not an image file gluonc reads \(it starts with bytes \(none: it is empty\)\)/);
      assert.throws(() => image.imdecode(jpg, 2), /flag must be 1 \(colour\) or 0 \(grayscale\), got 2/);
      assert.throws(() => image.imdecode(nd.ones([2, 2]) as never), /buf must be the file's bytes .* got an NDArray float32\[2, 2\]/);
      // The decoder recovers after an error, and leaves no ImageData global behind (its glue defines one while it runs).
      assert.deepEqual(image.imdecode(jpg).shape, [37, 53, 3]);
      assert.equal('ImageData' in globalThis, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("image: image.py's crops and resizes", () => {
  const img = nd.array(Array.from({ length: 6 * 8 * 3 }, (_v, i) => i % 251), { dtype: 'uint8' }).reshape([6, 8, 3]);
  /** img[y0:y0+h, x0:x0+w] by indexing, the reference of every crop. */
  const window = (x0: number, y0: number, w: number, h: number): number[] => {
    const src = pixels(img);
    const out: number[] = [];
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) for (let c = 0; c < 3; c++) out.push(src[(y * 8 + x) * 3 + c]!);
    return out;
  };

  it('scaleDown, fixedCrop, centerCrop and resizeShort follow image.py', () => {
    // image.py's docstring: scale_down((640, 480), (720, 120)) == (640, 106).
    assert.deepEqual(image.scaleDown([640, 480], [720, 120]), [640, 106]);
    assert.deepEqual(image.scaleDown([8, 6], [4, 4]), [4, 4]);
    assert.deepEqual(pixels(image.fixedCrop(img, 2, 1, 5, 3)), window(2, 1, 5, 3));
    // A size equal to the window keeps it as it is, whatever interp says.
    assert.deepEqual(pixels(image.fixedCrop(img, 2, 1, 5, 3, [5, 3], 0)), window(2, 1, 5, 3));
    // center_crop of (4, 4) from 8x6: x0 = int((8 - 4) / 2) = 2, y0 = int((6 - 4) / 2) = 1.
    const [c, rect] = image.centerCrop(img, [4, 4], 1);
    assert.deepEqual(rect, [2, 1, 4, 4]);
    assert.deepEqual(pixels(c), window(2, 1, 4, 4));
    // Odd room: int(3 / 2) = 1.
    assert.deepEqual(image.centerCrop(img, [5, 5], 1)[1], [1, 0, 5, 5]);
    // resize_short: h <= w, so new_h = size, new_w = size * w // h = 4 * 8 // 6 = 5.
    assert.deepEqual(image.resizeShort(img, 4, 1).shape, [4, 5, 3]);
    assert.deepEqual(image.resizeShort(img.transpose([1, 0, 2]), 3, 0).shape, [4, 3, 3]);
    assert.deepEqual(image.imresize(img, 5, 2, 0).shape, [2, 5, 3]);
  });

  it("interp: image.py's defaults (2, cubic, for the crops) and its choices for 9 (cubic to enlarge both sides, area to shrink both, else bilinear)", () => {
    const same = (a: nd.NDArray, b: nd.NDArray) => assert.deepEqual(pixels(a), pixels(b));
    same(image.resizeShort(img, 12), image.imresize(img, 16, 12, 2));
    same(image.fixedCrop(img, 1, 1, 4, 4, [9, 7]), image.imresize(image.fixedCrop(img, 1, 1, 4, 4), 9, 7, 2));
    same(image.imresize(img, 16, 12, 9), image.imresize(img, 16, 12, 2));
    same(image.imresize(img, 5, 3, 9), image.imresize(img, 5, 3, 3));
    same(image.imresize(img, 16, 3, 9), image.imresize(img, 16, 3, 1));
    // The kinds differ on this image, so the choices above are not vacuous.
    assert.notDeepEqual(pixels(image.imresize(img, 5, 3, 3)), pixels(image.imresize(img, 5, 3, 1)));
    assert.notDeepEqual(pixels(image.imresize(img, 16, 12, 2)), pixels(image.imresize(img, 16, 12, 1)));
    random.seed(1);
    const drawn = new Set(Array.from({ length: 30 }, () => pixels(image.imresize(img, 5, 3, 10)).join(',')));
    assert.ok(drawn.size >= 3, 'interp 10 draws among the methods');
  });

  it('randomCrop and randomSizeCrop: seeded windows inside the image, the output the window (resized to size)', () => {
    random.seed(3);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const [out, [x0, y0, w, h]] = image.randomCrop(img, [3, 2], 0);
      assert.ok(x0 >= 0 && y0 >= 0 && x0 + w <= 8 && y0 + h <= 6 && w === 3 && h === 2);
      assert.deepEqual(pixels(out), window(x0, y0, 3, 2));
      seen.add(`${x0},${y0}`);
    }
    assert.ok(seen.size > 5, 'the window moves');
    random.seed(3);
    const again = image.randomCrop(img, [3, 2], 0)[1];
    random.seed(3);
    assert.deepEqual(image.randomCrop(img, [3, 2], 0)[1], again);
    for (let i = 0; i < 10; i++) {
      const [out, [x0, y0, w, h]] = image.randomSizeCrop(img, [4, 4], [0.3, 1], [0.75, 1.33], 0);
      assert.deepEqual(out.shape, [4, 4, 3]);
      assert.ok(x0 + w <= 8 && y0 + h <= 6 && w * h >= 1);
      if (w === 4 && h === 4) assert.deepEqual(pixels(out), window(x0, y0, 4, 4));
    }
  });

  it('colorNormalize is (src - mean) / std per channel, and leaves src alone', () => {
    const x = img.astype('float32');
    const mean = nd.array([10, 20, 30]);
    const std = nd.array([2, 4, 8]);
    const out = image.colorNormalize(x, mean, std);
    const src = pixels(img);
    assert.deepEqual(Array.from(out.data() as Float32Array), src.map((v, i) => (v - [10, 20, 30][i % 3]!) / [2, 4, 8][i % 3]!));
    assert.deepEqual(Array.from(x.data() as Float32Array), src);
    assert.deepEqual(Array.from(image.colorNormalize(x, 1).data() as Float32Array), src.map((v) => v - 1));
  });

  it('bad windows and sizes are errors naming the function', () => {
    assert.throws(() => image.fixedCrop(img, 5, 0, 4, 2), /image\.fixedCrop: the window x0=5, y0=0, w=4, h=2 is not inside the image of shape \[6, 8, 3\]/);
    assert.throws(() => image.centerCrop(img, 4 as never), /image\.centerCrop: size must be \[width, height\], got 4/);
    assert.throws(() => image.imresize(img, 0, 3), /image\.imresize: w must be a positive integer, got 0/);
    assert.throws(() => image.resizeShort(nd.ones([2, 2]), 2), /image\.resizeShort: expected an HWC image/);
    assert.throws(() => image.randomSizeCrop(img, [2, 2], [0, 1], [1, 1]), /area must be a fraction in \(0, 1\]/);
  });
});

describe('gluon.data.vision.ImageFolderDataset', () => {
  let root = '';
  const red = png(2, 2, 8, 2, [
    [255, 0, 0, 255, 0, 0],
    [255, 0, 0, 255, 0, 0],
  ]);
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'gluonc-folder-'));
    for (const [cls, files] of [
      ['not-hotdog', ['b.PNG', 'a.png', 'notes.txt']],
      ['hotdog', ['x.png', 'y.jpg']],
    ] as const) {
      mkdirSync(path.join(root, cls));
      for (const f of files) writeFileSync(path.join(root, cls, f), f.endsWith('.jpg') ? readFileSync(path.join(FIX, 'c444.jpg')) : f.endsWith('.txt') ? 'x' : red);
    }
    writeFileSync(path.join(root, 'README'), 'x');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists sorted classes and files, skips other files with a warning, reads [image, label] when asked', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    let ds: InstanceType<typeof gluon.data.vision.ImageFolderDataset>;
    try {
      ds = new gluon.data.vision.ImageFolderDataset(root);
    } finally {
      // Warnings are emitted on the next tick.
      setImmediate(() => process.off('warning', onWarning));
    }
    assert.deepEqual(ds.synsets, ['hotdog', 'not-hotdog']);
    assert.deepEqual(
      ds.items.map(([f, l]) => [path.relative(root, f), l]),
      [
        ['hotdog/x.png', 0],
        ['hotdog/y.jpg', 0],
        ['not-hotdog/a.png', 1],
        ['not-hotdog/b.PNG', 1],
      ],
    );
    assert.equal(ds.length, 4);
    const [img, label] = ds.get(1) as [nd.NDArray, number];
    assert.deepEqual(img.shape, [37, 53, 3]);
    assert.equal(label, 0);
    assert.deepEqual(pixels((ds.get(3) as [nd.NDArray, number])[0]), [255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0]);
    const gray = new gluon.data.vision.ImageFolderDataset(root, 0, (x: nd.NDArray, y: number) => [x.shape, y * 10]);
    assert.deepEqual(gray.get(2), [[2, 2, 1], 10]);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        assert.ok(warnings.some((w) => /ignoring .*README, which is not a directory/.test(w)), warnings.join('\n'));
        assert.ok(warnings.some((w) => /ignoring .*notes\.txt of type \.txt\. Only support \.jpg, \.jpeg, \.png/.test(w)), warnings.join('\n'));
        resolve();
      }),
    );
  });

  it("d2l's fine-tuning pipeline: transformFirst of resize and ToTensor, then DataLoader batches", () => {
    const { transforms } = gluon.data.vision;
    const aug = new transforms.Compose([new transforms.Resize([4, 4]), new transforms.ToTensor()]);
    const ds = new gluon.data.vision.ImageFolderDataset(root).transformFirst(aug);
    const batches = [...new gluon.data.DataLoader(ds, { batchSize: 2 })] as [nd.NDArray, nd.NDArray][];
    assert.equal(batches.length, 2);
    assert.deepEqual(batches[0]![0].shape, [2, 3, 4, 4]);
    assert.deepEqual(Array.from(batches[1]![1].data() as ArrayLike<number>), [1, 1]);
    // A uniform red image stays red through the resize: 1, 0, 0 after ToTensor.
    const first = Array.from(batches[1]![0].data() as Float32Array).slice(0, 48);
    assert.deepEqual(first, [...Array(16).fill(1), ...Array(32).fill(0)]);
  });

  it("ImageListDataset: an im2rec .lst file (index, labels, path) or a list of [label..., path], labels as float32 arrays", () => {
    writeFileSync(path.join(root, 'train.lst'), '0\t1\thotdog/x.png\n7\t0\t2.5\tnot-hotdog/a.png\n\n');
    const ds = new gluon.data.vision.ImageListDataset(root, 'train.lst');
    assert.equal(ds.length, 2);
    const [img, label] = ds.get(1) as [nd.NDArray, nd.NDArray];
    assert.deepEqual(pixels(img), [255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0]);
    assert.deepEqual([label.dtype, Array.from(label.data() as Float32Array)], ['float32', [0, 2.5]]);
    const fromList = new gluon.data.vision.ImageListDataset(root, [[3, 'hotdog/x.png'], [1, 2, 'hotdog/y.jpg'], [[4, 5], 'not-hotdog/b.PNG']], 0);
    assert.deepEqual(fromList.items.map(([l]) => l), [[3], [1, 2], [4, 5]]);
    assert.deepEqual((fromList.get(1) as [nd.NDArray, nd.NDArray])[0].shape, [37, 53, 1]);
    writeFileSync(path.join(root, 'bad.lst'), '0\tno-label-or-path\n');
    assert.throws(() => new gluon.data.vision.ImageListDataset(root, 'bad.lst'), /'.*bad\.lst' line 1 is not 'index<TAB>label\(s\)<TAB>path'/);
    assert.throws(() => new gluon.data.vision.ImageListDataset(root, [[1, 2]] as never), /imglist entry 0 must be \[label\.\.\., path\] ending with the image's path/);
    assert.throws(() => new gluon.data.vision.ImageListDataset(root, 'none.lst'), /cannot read the list '.*none\.lst' \(ENOENT\)/);
  });

  it('errors: a missing folder, a bad flag or transform', () => {
    assert.throws(() => new gluon.data.vision.ImageFolderDataset(path.join(root, 'nope')), /ImageFolderDataset: cannot list the folder '.*nope' \(ENOENT\)/);
    assert.throws(() => new gluon.data.vision.ImageFolderDataset(root, 3), /flag must be 1 \(colour\) or 0 \(grayscale\), got 3/);
    assert.throws(() => new gluon.data.vision.ImageFolderDataset(root, 1, 'x' as never), /transform must be a function/);
  });
});
