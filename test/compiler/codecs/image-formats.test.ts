/**
 * The image decoders of compiler/codecs against OpenCV's own reads of the
 * same files (test/fixtures/image-formats: files written by make.py — BMP
 * and PNM byte by byte, TIFF, WebP and GIF by OpenCV's encoders — and
 * cv2.imdecode's IMREAD_COLOR and IMREAD_GRAYSCALE arrays in expected.npz):
 * every lossless format exactly, colour and gray; lossy WebP exactly too
 * (both are libwebp's decoder); TIFF also bilevel (PhotometricInterpretation
 * 0 and 1), 16-bit gray, RGB, RGBA and gray + alpha (little- and big-endian,
 * LZW with the predictor) and palette (1 and 8 bits; 16- and 8-bit
 * colormaps). Then the refusals: corrupt and truncated
 * files (every prefix of each fixture, and byte flips) are an Error naming
 * the source and format, never a crash or a hang; TIFFs cv2 refuses (float
 * samples, 4-bit gray) or this reader does not take, by name.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { image, npx, type nd } from 'gluonc';
import { decodeOpenCv, decodePillow } from '../../../compiler/codecs/decode.js';
import { openCvGray, pillowGray, sniffFormat } from '../../../compiler/codecs/pixels.js';

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'image-formats');
const expected = npx.load(path.join(FIX, 'expected.npz')) as Record<string, nd.NDArray>;
const files = readdirSync(FIX).filter((f) => !f.endsWith('.py') && !f.endsWith('.npz')).sort();
const pixels = (a: nd.NDArray): number[] => Array.from(a.data() as Uint8Array);

describe('codecs: BMP, PNM, TIFF, WebP and GIF against cv2.imdecode', () => {
  it('the fixtures are all there (make.py wrote 65 files and their expected arrays)', () => {
    assert.equal(files.length, 65);
    assert.equal(Object.keys(expected).length, 130);
  });

  for (const f of files) {
    it(`${f}: colour (BGR and RGB) and grayscale equal OpenCV's exactly`, () => {
      const bytes = readFileSync(path.join(FIX, f));
      const bgr = expected[`${f}.bgr`]!;
      const gray = expected[`${f}.gray`]!;
      const asBgr = image.imdecode(bytes, { toRgb: false });
      assert.deepEqual(asBgr.shape, bgr.shape);
      assert.deepEqual(pixels(asBgr), pixels(bgr));
      const rgb = pixels(image.imdecode(bytes));
      const want = pixels(bgr);
      for (let i = 0; i < want.length; i += 3) [want[i], want[i + 2]] = [want[i + 2]!, want[i]!];
      assert.deepEqual(rgb, want);
      const g = image.imdecode(bytes, 0);
      assert.deepEqual(g.shape, gray.shape);
      assert.deepEqual(pixels(g), pixels(gray));
    });
  }
});

describe('codecs: truncated and corrupt files', () => {
  const FORMAT_NAME: Record<string, string> = { bmp: 'BMP', pbm: 'PNM', pgm: 'PNM', ppm: 'PNM', tiff: 'TIFF', webp: 'WebP', gif: 'GIF' };
  /** Decodes, or checks the Error names the source and the format; anything else (another throw, a wrong shape) fails. */
  const decodesOrRefuses = (bytes: Uint8Array, f: string, what: string): 'decoded' | 'refused' => {
    const format = FORMAT_NAME[f.split('.').pop()!]!;
    try {
      const p = decodeOpenCv(bytes, false, `'${f}' ${what}`);
      assert.equal(p.data.length, p.width * p.height * 3, `${f} ${what}: the pixels fill the image`);
      return 'decoded';
    } catch (e) {
      assert.ok(e instanceof Error, `${f} ${what}: threw ${String(e)}`);
      const named = new RegExp(`^'${f.replace('.', '\\.')}' ${what}: (not a readable ${format}|not an image file gluonc reads|${format} .* is not supported)`);
      assert.match(e.message, named);
      return 'refused';
    }
  };

  it('every prefix of every fixture decodes or is an Error naming the file and format (the whole file decodes)', () => {
    let refused = 0;
    for (const f of files) {
      const bytes = readFileSync(path.join(FIX, f));
      const step = Math.max(1, Math.floor(bytes.length / 80));
      for (let n = 0; n < bytes.length; n += step) if (decodesOrRefuses(bytes.subarray(0, n), f, `cut to ${n} bytes`) === 'refused') refused++;
      assert.equal(decodesOrRefuses(bytes, f, 'whole'), 'decoded');
    }
    assert.ok(refused > 1000, `only ${refused} prefixes refused`);
  });

  it('BMP, PNM, GIF, TIFF and WebP files cut anywhere in their pixel data are refused, as OpenCV refuses them', () => {
    for (const f of ['rgb24.bmp', 'pal4.bmp', 'p6.ppm', 'p5.pgm', 'p4.pbm', 'p3.ppm', 'still.gif', 'animated.gif', 'rgb-lzw.tiff', 'bilevel-white.tiff', 'pal8.tiff', 'gray16-white-be.tiff', 'rgb16.tiff', 'lossy.webp', 'lossless.webp']) {
      const bytes = readFileSync(path.join(FIX, f));
      for (const cut of [1, 2, 7]) assert.equal(decodesOrRefuses(bytes.subarray(0, bytes.length - cut), f, `less ${cut}`), 'refused', `${f} less ${cut} bytes`);
    }
    // An RLE8 stream whose last run fills the last row ends there: its end-of-bitmap code may be missing (cv2 reads it too).
    const rle = readFileSync(path.join(FIX, 'rle8.bmp'));
    assert.deepEqual(pixels(image.imdecode(rle.subarray(0, rle.length - 2), { toRgb: false })), pixels(expected['rle8.bmp.bgr']!));
    assert.throws(() => image.imdecode(rle.subarray(0, rle.length - 7)), /not a readable BMP image: its RLE8 data ends before the end-of-bitmap code/);
  });

  it('byte flips decode or are refused by name (seeded), and the WebAssembly decoder still works after its failures', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (const f of files) {
      const bytes = readFileSync(path.join(FIX, f));
      for (let k = 0; k < 12; k++) {
        const b = Uint8Array.from(bytes);
        for (let j = 0; j < 3; j++) b[rand(b.length)] = rand(256);
        decodesOrRefuses(b, f, `flip ${k}`);
      }
    }
    const webp = readFileSync(path.join(FIX, 'lossy.webp'));
    assert.deepEqual(pixels(image.imdecode(webp, { toRgb: false })), pixels(expected['lossy.webp.bgr']!));
    assert.equal('ImageData' in globalThis, false);
  });

  it('headers that claim too much are refused before any allocation: huge sizes, bad depths and masks, palette indices', () => {
    const bmp = Uint8Array.from(readFileSync(path.join(FIX, 'rgb24.bmp')));
    const v = new DataView(bmp.buffer);
    v.setInt32(18, 100000, true);
    v.setInt32(22, 100000, true);
    assert.throws(() => image.imdecode(bmp), /image\.imdecode: not a readable BMP image: its size 100000x100000 is empty or too large/);
    const b2 = Uint8Array.from(readFileSync(path.join(FIX, 'rgb24.bmp')));
    new DataView(b2.buffer).setUint16(28, 2, true);
    assert.throws(() => image.imdecode(b2), /its depth 2 bits is not 1, 4, 8, 16, 24 or 32/);
    const masks = Uint8Array.from(readFileSync(path.join(FIX, 'rgb565.bmp')));
    new DataView(masks.buffer).setUint32(54, 0xf000, true);
    assert.throws(() => image.imdecode(masks), /its 16-bit colour masks 0xf000, 0x7e0, 0x1f are neither 5-5-5 nor 5-6-5/);
    const short = Uint8Array.from(readFileSync(path.join(FIX, 'rgb565.bmp')).subarray(0, 60));
    new DataView(short.buffer).setUint32(14, 36, true);
    assert.throws(() => image.imdecode(short), /not a readable BMP image: the file ends in its colour masks/);
    assert.throws(() => image.imdecode(Buffer.from('P5\n99999999 99999999\n255\n')), /not a readable PNM \(P5\) image: its size 99999999x99999999 is too large/);
    assert.throws(() => image.imdecode(Buffer.from('P2\n2 1\n255\n1 x\n')), /not a readable PNM \(P2\) image: its sample 1 is not a number/);
    assert.throws(() => image.imdecode(Buffer.from('P2\n2 1\n0\n0 0\n')), /its maxval 0 is not in 1\.\.65535/);
    assert.throws(() => image.imdecode(Buffer.from('P6\n2 1\n255\n\0\0\0\0\0')), /its samples are truncated \(5 bytes of 6\)/);
  });

  it('PNM edges as cv2 5.0.0 reads them: ASCII samples clamped to maxval and scaled by 255/maxval, binary ones not; touching PBM digits; a last ASCII number needs a byte after it', () => {
    // cv2.imdecode(..., IMREAD_GRAYSCALE) of each of these bytes gave the arrays written here (None: refused).
    const gray = (s: string): number[] => pixels(image.imdecode(Buffer.from(s, 'latin1'), 0));
    assert.deepEqual(gray('P2 # c\n3 # w\n1\n# m\n100\n5 250 100\n'), [12, 255, 255]);
    assert.deepEqual(gray('P1\n4 1\n0110'), [255, 0, 0, 255]);
    assert.deepEqual(gray('P1\n4 1\n0 1 1 0'), [255, 0, 0, 255]);
    assert.deepEqual(gray('P5\n2 1\n255 \x01\x02'), [1, 2]);
    assert.deepEqual(gray('P5\n2 1\n255\n\x01\x02extra'), [1, 2]);
    assert.deepEqual(gray('P2\n2 1\n255\n1 300\n'), [1, 255]);
    assert.throws(() => gray('P2\n3 1\n100\n5 250 100'), /not a readable PNM \(P2\) image: the file ends inside its sample 2/);
  });

  it('TIFFs cv2.imdecode refuses (float samples, 4-bit gray) or this reader does not take are refused by name', () => {
    /** A little-endian TIFF: the IFD's tags as [tag, type (3 short, 4 long), values], one strip of `data` after it. */
    const tiff = (tags: Array<[number, 3 | 4, number[]]>, data: number[]): Uint8Array => {
      const all = [...tags, [273, 4, [0]] as [number, 3 | 4, number[]], [279, 4, [data.length]] as [number, 3 | 4, number[]]].sort((p, q) => p[0] - q[0]);
      const blobAt = 8 + 2 + 12 * all.length + 4;
      const big = all.filter(([, t, v]) => v.length * (t === 3 ? 2 : 4) > 4);
      const dataAt = blobAt + big.reduce((n, [, t, v]) => n + v.length * (t === 3 ? 2 : 4), 0);
      const b = new DataView(new ArrayBuffer(dataAt + data.length));
      b.setUint32(0, 0x002a4949, true);
      b.setUint32(4, 8, true);
      b.setUint16(8, all.length, true);
      let off = blobAt;
      all.forEach(([tag, type, vals], i) => {
        const at = 10 + 12 * i;
        const v = tag === 273 ? [dataAt] : vals;
        b.setUint16(at, tag, true);
        b.setUint16(at + 2, type, true);
        b.setUint32(at + 4, v.length, true);
        const size = type === 3 ? 2 : 4;
        const to = v.length * size > 4 ? off : at + 8;
        if (to === off) b.setUint32(at + 8, off, true), (off += v.length * size);
        v.forEach((x, k) => (type === 3 ? b.setUint16(to + 2 * k, x, true) : b.setUint32(to + 4 * k, x, true)));
      });
      data.forEach((x, k) => b.setUint8(dataAt + k, x));
      return new Uint8Array(b.buffer);
    };
    const base = (w: number, h: number, bits: number[], photometric: number): Array<[number, 3 | 4, number[]]> => [
      [256, 3, [w]], [257, 3, [h]], [258, 3, bits], [259, 3, [1]], [262, 3, [photometric]], [277, 3, [bits.length]], [278, 3, [h]],
    ];
    // The builder itself: an 8-bit gray 2x1 image reads back.
    assert.deepEqual(pixels(image.imdecode(tiff(base(2, 1, [8], 1), [7, 200]), 0)), [7, 200]);
    const float = tiff([...base(1, 1, [32], 1), [339, 3, [3]]], [0, 0, 128, 63]);
    assert.throws(() => image.imdecode(float), /image\.imdecode: TIFF with 32-bit floating-point samples \(cv2\.imdecode reads them only with IMREAD_UNCHANGED, as floats\) is not supported/);
    assert.throws(() => image.imdecode(tiff(base(2, 1, [4], 1), [0x1f])), /TIFF with bitDepth 4 is not supported \(1-, 8- and 16-bit gray/);
    assert.throws(() => image.imdecode(tiff([...base(2, 1, [4], 3), [320, 3, new Array(48).fill(0)]], [0x1f])), /TIFF with bitDepth 4 is not supported/);
    assert.throws(() => image.imdecode(tiff([...base(2, 1, [8], 1), [266, 3, [2]]], [1, 2])), /TIFF with FillOrder 2 \(bits filled from the lowest\) is not supported/);
    assert.throws(() => image.imdecode(tiff([...base(2, 1, [8], 3)], [1, 2])), /not a readable TIFF image \(a palette image without a ColorMap\)/);
    assert.throws(() => image.imdecode(tiff([...base(1, 1, [8, 8, 8], 3), [320, 3, new Array(768).fill(0)]], [1, 2, 3])), /TIFF with 3 samples a pixel for photometric interpretation 3 is not supported/);
    assert.throws(() => image.imdecode(tiff([...base(1, 1, [16], 3), [320, 3, [0, 0, 0]]], [1, 2])), /TIFF palette of 16-bit indices is not supported/);
    // Tiles of several samples a pixel (the library reads one sample of each, at the wrong place): refused rather than read wrong.
    const tiled = tiff([...base(2, 2, [8, 8, 8], 2).filter(([t]) => t !== 278), [322, 3, [16]], [323, 3, [16]], [324, 4, [0]], [325, 4, [768]]], new Array(768).fill(9));
    assert.throws(() => image.imdecode(tiled), /TIFF in tiles of 3 samples a pixel is not supported/);
  });

  it('a JPEG 2000 file is refused by name', () => {
    const jp2 = Buffer.from([0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]);
    assert.throws(() => image.imdecode(jp2), /image\.imdecode: JPEG 2000 images are not supported \(no maintained JavaScript decoder/);
  });
});

describe('codecs: the gray conversions', () => {
  it('OpenCV 14-bit, cvtColor 15-bit and Pillow rules against their float formulas at every 8-bit gray and at rounding ties', () => {
    for (let v = 0; v < 256; v++) {
      assert.equal(openCvGray(v, v, v), v);
      assert.equal(pillowGray(v, v, v), v);
    }
    // Pillow: L = R*299/1000 + G*587/1000 + B*114/1000 in ImagingConvert's rgb2l, 16-bit fixed point with rounding.
    let diff = 0;
    for (let r = 0; r < 256; r += 5) for (let g = 0; g < 256; g += 3) for (let b = 0; b < 256; b += 7) diff = Math.max(diff, Math.abs(pillowGray(r, g, b) - (0.299 * r + 0.587 * g + 0.114 * b)));
    assert.ok(diff <= 0.51, `Pillow's rule is within half a level of 0.299/0.587/0.114, got ${diff}`);
    // (129, 165, 141): the 14-bit rule gives 151, cvtColor's 15-bit one 152 (cv2 5.0.0's gray read of lossy.webp's pixel [7, 8]).
    assert.equal(openCvGray(129, 165, 141), 151);
  });

  it('sniffFormat tells the formats apart by their signatures', () => {
    const b = (s: string | number[]): Uint8Array => (typeof s === 'string' ? Buffer.from(s, 'latin1') : Uint8Array.from(s));
    assert.equal(sniffFormat(b('BM')), 'bmp');
    assert.equal(sniffFormat(b('P6\n')), 'pnm');
    assert.equal(sniffFormat(b('P7\n')), null);
    assert.equal(sniffFormat(b('Pxx')), null);
    assert.equal(sniffFormat(b('II*\0')), 'tiff');
    assert.equal(sniffFormat(b('MM\0*')), 'tiff');
    assert.equal(sniffFormat(b('RIFF\0\0\0\0WEBP')), 'webp');
    assert.equal(sniffFormat(b('RIFF\0\0\0\0WAVE')), null);
    assert.equal(sniffFormat(b('GIF87a')), 'gif');
    assert.equal(sniffFormat(b([0xff, 0x4f, 0xff, 0x51])), 'jpeg2000');
  });

  it('decodePillow: RGB as OpenCV decodes it, gray by Pillow\'s rule', () => {
    const bytes = readFileSync(path.join(FIX, 'rounding.ppm'));
    const rgb = decodePillow(bytes, false, 'x');
    const gray = decodePillow(bytes, true, 'x');
    for (let i = 0; i < 256; i++) assert.equal(gray.data[i], pillowGray(rgb.data[3 * i]!, rgb.data[3 * i + 1]!, rgb.data[3 * i + 2]!));
  });

  it('decodePillow refuses by name the TIFFs whose 8-bit reduction is libtiff\'s (16-bit samples, an 8-bit colormap), reads bilevel ones', () => {
    for (const f of ['gray16.tiff', 'rgb16.tiff', 'pal8-8bit-colormap.tiff']) {
      assert.throws(() => decodePillow(readFileSync(path.join(FIX, f)), false, `'${f}'`), new RegExp(`Error: '${f.replace('.', '\\.')}': a TIFF of (16-bit samples|an 8-bit colormap) is not supported here \\(ONNX's reference reads it with Pillow`));
    }
    // Bilevel: 0 and 255 either way (Pillow's mode '1' converted to RGB).
    const rgb = decodePillow(readFileSync(path.join(FIX, 'bilevel-black.tiff')), false, 'x');
    assert.deepEqual(Array.from(rgb.data), pixels(expected['bilevel-black.tiff.bgr']!));
  });
});
