import assert from 'node:assert/strict';
import { nd, gluon, random } from 'gluonc';
import { numpyRefs } from '../../../helpers/numpy.js';
import { flat, image } from '../../../helpers/images.js';
import { runPython } from '../../../helpers/python-server.js';

const { transforms: T } = gluon.data.vision;


// OpenCV's cv::resize (modules/imgproc/src/resize.cpp), written in numpy: INTER_LINEAR taps
// fx = (float)((dx + 0.5) * scale - 0.5), sx = floor(fx), clamped at both edges; for uint8 the
// coefficients are cvRound(w * 2048) and the result (h0 * b0 + h1 * b1 + 2^21) >> 22 (VResizeLinear
// with FixedPtCast<int, uchar, 22>); float32 in float32. INTER_NEAREST: min(floor(dx * scale), n - 1).
const CV_RESIZE = String.raw`
def taps(n, m):
    scale = 1.0 / (m / n)
    i0 = np.zeros(m, np.int64); w1 = np.zeros(m, np.float32)
    for d in range(m):
        f = np.float32((d + 0.5) * scale - 0.5); s = int(np.floor(f)); f = np.float32(f - np.float32(s))
        if s < 0: f, s = np.float32(0), 0
        if s >= n - 1: f, s = np.float32(0), n - 1
        i0[d] = s; w1[d] = f
    return i0, np.minimum(i0 + 1, n - 1), np.float32(1) - w1, w1
def resize(img, w, h, interp):
    H, W, C = img.shape
    if interp == 0:
        sx = np.minimum(np.floor(np.arange(w) * (1.0 / (w / W))).astype(np.int64), W - 1)
        sy = np.minimum(np.floor(np.arange(h) * (1.0 / (h / H))).astype(np.int64), H - 1)
        return img[sy][:, sx]
    x0, x1, a0, a1 = taps(W, w); y0, y1, b0, b1 = taps(H, h)
    if img.dtype == np.uint8:
        a0, a1, b0, b1 = [np.rint(t * np.float32(2048)).astype(np.int64) for t in (a0, a1, b0, b1)]
        s = img.astype(np.int64)
        r = s[:, x0] * a0[None, :, None] + s[:, x1] * a1[None, :, None]
        return np.clip((r[y0] * b0[:, None, None] + r[y1] * b1[:, None, None] + (1 << 21)) >> 22, 0, 255)
    t = np.float32 if img.dtype == np.float32 else np.float64
    r = (img[:, x0] * a0[None, :, None]).astype(t) + (img[:, x1] * a1[None, :, None]).astype(t)
    return (r[y0] * b0[:, None, None]).astype(t) + (r[y1] * b1[:, None, None]).astype(t)
`;

const hasCv2 = runPython('import cv2').status === 0;

describe('gluon.data.vision.transforms: geometry (Resize, crops, flips)', () => {
  // [H, W, C, w, h, interpolation]: up- and downscaling, odd sizes, 1-pixel edges, identity, one channel, nearest.
  const cases: [number, number, number, number, number, number][] = [
    [5, 7, 3, 4, 9, 1], [32, 32, 3, 23, 17, 1], [1, 5, 3, 2, 3, 1], [7, 1, 3, 3, 2, 1], [4, 4, 3, 1, 1, 1], [3, 3, 3, 20, 30, 1],
    [13, 13, 3, 13, 13, 1], [10, 20, 1, 10, 5, 1], [6, 9, 3, 9, 6, 1], [5, 7, 3, 4, 9, 0], [3, 3, 1, 8, 7, 0], [32, 32, 3, 23, 17, 0],
  ];
  const dtypes = ['uint8', 'float32', 'float64'] as const;
  const jobs = cases.flatMap(([H, W, C, w, h, interp], i) =>
    dtypes.map((dtype) => {
      const x = image([H, W, C], dtype, i);
      return { x, w, h, interp, job: { code: `${CV_RESIZE}\nout = resize(a, ${w}, ${h}, ${interp})`, inputs: [{ shape: [H, W, C], dtype, data: flat(x) }] } };
    }),
  );
  const refs = numpyRefs(jobs.map((j) => j.job));

  it("Resize([w, h]) is OpenCV's resize: uint8 exactly as its fixed-point INTER_LINEAR, float32 / float64 in their precision, INTER_NEAREST", () => {
    jobs.forEach(({ x, w, h, interp }, k) => {
      const y = new T.Resize([w, h], { interpolation: interp }).call(x) as nd.NDArray;
      assert.deepEqual(y.shape, [h, w, x.shape[2]]);
      assert.equal(y.dtype, x.dtype);
      const ref = refs[k]!.outs[0]!.data as number[];
      const got = flat(y);
      const tol = x.dtype === 'uint8' ? 0 : x.dtype === 'float32' ? 1e-4 : 1e-9;
      got.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) <= tol, `case ${k} (${x.dtype} [${x.shape}] -> ${w}x${h}, interp ${interp}) [${i}]: ${v} vs ${ref[i]}`));
    });
  });

  it('Resize agrees with cv2.resize itself (uint8 within 1: its SIMD rounds some products differently; float32 within 1e-4)', function () {
    if (!hasCv2) this.skip(); // cv2 is optional here; the numpy formula above is always checked
    const cvJobs = jobs.map(({ x, w, h, interp }) => ({
      code: `import cv2\nout = cv2.resize(a, (${w}, ${h}), interpolation=${interp}).reshape(${h}, ${w}, -1)`,
      inputs: [{ shape: x.shape, dtype: x.dtype === 'float64' ? 'float32' : x.dtype, data: flat(x) }],
    }));
    const cv = numpyRefs(cvJobs);
    let exact = 0;
    let total = 0;
    jobs.forEach(({ x, w, h, interp }, k) => {
      const src = x.dtype === 'float64' ? x.astype('float32') : x;
      const got = flat(new T.Resize([w, h], { interpolation: interp }).call(src) as nd.NDArray);
      const ref = cv[k]!.outs[0]!.data as number[];
      got.forEach((v, i) => {
        assert.ok(Math.abs(v - ref[i]!) <= (x.dtype === 'uint8' ? 1 : 1e-4 * Math.max(1, Math.abs(ref[i]!))), `case ${k} [${i}]: ${v} vs cv2 ${ref[i]}`);
        exact += v === ref[i] ? 1 : 0;
        total++;
      });
    });
    assert.ok(exact / total > 0.6, `only ${exact} of ${total} values equal cv2's`);
  });

  it("Resize's sizes: [width, height] order, a square, keepRatio's shorter edge (MXNet's integer arithmetic), NHWC batches", () => {
    const x = image([5, 7, 3], 'uint8', 1);
    assert.deepEqual((new T.Resize([4, 9]).call(x) as nd.NDArray).shape, [9, 4, 3]);
    assert.deepEqual((new T.Resize(6).call(x) as nd.NDArray).shape, [6, 6, 3]);
    assert.deepEqual((new T.Resize(3, true).call(x) as nd.NDArray).shape, [3, 4, 3]); // floor(7 * 3 / 5) = 4
    assert.deepEqual((new T.Resize(3, true).call(image([5, 8, 1], 'uint8', 1)) as nd.NDArray).shape, [3, 4, 1]); // floor(8 * 3 / 5) = floor(4.8)
    assert.deepEqual((new T.Resize({ size: 4, keepRatio: true }).call(image([9, 5, 1], 'uint8', 2)) as nd.NDArray).shape, [7, 4, 1]); // floor(9 * 4 / 5)
    assert.deepEqual((new T.Resize([4, 9], { keepRatio: true }).call(x) as nd.NDArray).shape, [9, 4, 3]); // a pair ignores keepRatio
    const batch = nd.stack(x, image([5, 7, 3], 'uint8', 3));
    const yb = new T.Resize([4, 9]).call(batch) as nd.NDArray;
    assert.deepEqual(yb.shape, [2, 9, 4, 3]);
    assert.deepEqual(yb.toArray(), nd.stack(new T.Resize([4, 9]).call(x) as nd.NDArray, new T.Resize([4, 9]).call(image([5, 7, 3], 'uint8', 3)) as nd.NDArray).toArray());
  });

  it("CenterCrop and CropResize cut MXNet's windows (image.py's center_crop: int((w - new_w) / 2)); a larger size upsamples the scaled-down window", () => {
    const x = image([7, 9, 3], 'uint8', 4);
    const [r1, r2, r3] = numpyRefs([
      { code: 'a[1:5, 2:6]', inputs: [{ shape: [7, 9, 3], dtype: 'uint8', data: flat(x) }] },
      { code: 'a[2:6, 1:4]', inputs: [{ shape: [7, 9, 3], dtype: 'uint8', data: flat(x) }] },
      // CenterCrop([12, 10]) of 7x9: scale_down((9, 7), (12, 10)) = (8, 7) (w 12 * 7 / 10 = 8.4), x0 = 0, then resized to 12x10.
      { code: `${CV_RESIZE}\nout = resize(a[0:7, 0:8], 12, 10, 1)`, inputs: [{ shape: [7, 9, 3], dtype: 'uint8', data: flat(x) }] },
    ]);
    assert.deepEqual(flat(new T.CenterCrop(4).call(x) as nd.NDArray), r1!.outs[0]!.data);
    assert.deepEqual(flat(new T.CropResize(1, 2, 3, 4).call(x) as nd.NDArray), r2!.outs[0]!.data);
    const up = new T.CenterCrop([12, 10]).call(x) as nd.NDArray;
    assert.deepEqual(up.shape, [10, 12, 3]);
    assert.deepEqual(flat(up), r3!.outs[0]!.data);
    const resized = new T.CropResize({ x: 1, y: 2, width: 3, height: 4, size: [6, 8] }).call(nd.stack(x, x)) as nd.NDArray;
    assert.deepEqual(resized.shape, [2, 8, 6, 3]);
    assert.deepEqual(flat(resized).slice(0, 144), flat(new T.Resize([6, 8]).call(new T.CropResize(1, 2, 3, 4).call(x)) as nd.NDArray));
  });

  it('RandomResizedCrop: windows within scale and ratio over seeded draws, the same with the same seed, the centre crop when nothing fits', () => {
    const t = new T.RandomResizedCrop([20, 20], { scale: [0.1, 1], ratio: [0.5, 2] });
    random.seed(3);
    const d = { batch: null, h: 60, w: 80, c: 3 };
    let misses = 0;
    for (let i = 0; i < 2000; i++) {
      const win = t.window(d);
      if (!win) {
        misses++;
        continue;
      }
      const [x0, y0, w, h] = win;
      assert.ok(x0 >= 0 && y0 >= 0 && x0 + w <= 80 && y0 + h <= 60, `window ${win}`);
      // Rounding w and h to pixels moves the area and ratio by at most about one pixel's worth.
      assert.ok(w * h >= 0.1 * 4800 - (w + h) && w * h <= 4800 + w + h, `area ${w * h}`);
      assert.ok(w / h >= 0.5 * (1 - 1 / h) - 1 / h && w / h <= 2 * (1 + 1 / h) + 1 / h, `ratio ${w}/${h}`);
    }
    assert.ok(misses < 20, `${misses} of 2000 draws found no window in 10 tries`);
    const x = image([60, 80, 3], 'uint8', 5);
    random.seed(9);
    const a = flat(t.call(x) as nd.NDArray);
    random.seed(9);
    assert.deepEqual(flat(t.call(x) as nd.NDArray), a);
    // scale [2, 3]: no window fits, so MXNet's fallback, center_crop(src, size).
    assert.deepEqual(flat(new T.RandomResizedCrop([20, 20], { scale: [2, 3] }).call(x) as nd.NDArray), flat(new T.CenterCrop([20, 20]).call(x) as nd.NDArray));
    assert.deepEqual((new T.RandomResizedCrop(16, 0.5).call(x) as nd.NDArray).shape, [16, 16, 3]); // one scale number is [scale, 1]
  });

  it('RandomCrop: a window of the (padded) image at a seeded random place', () => {
    const x = image([6, 6, 1], 'uint8', 6);
    random.seed(2);
    const y = new T.RandomCrop(4, { pad: 2, padValue: 7 }).call(x) as nd.NDArray;
    assert.deepEqual(y.shape, [4, 4, 1]);
    const padded = nd.array(Array.from({ length: 100 }, (_v, i) => {
      const [r, c] = [Math.floor(i / 10) - 2, (i % 10) - 2];
      return r >= 0 && r < 6 && c >= 0 && c < 6 ? flat(x)[r * 6 + c]! : 7;
    }), { shape: [10, 10, 1], dtype: 'uint8' });
    const windows = new Set<string>();
    for (let y0 = 0; y0 <= 6; y0++) for (let x0 = 0; x0 <= 6; x0++) windows.add(JSON.stringify(flat(new T.CropResize(x0, y0, 4, 4).call(padded) as nd.NDArray)));
    assert.ok(windows.has(JSON.stringify(flat(y))));
    assert.deepEqual((new T.RandomCrop([8, 12]).call(x) as nd.NDArray).shape, [12, 8, 1]); // smaller than size: upsampled
  });

  it('RandomFlipLeftRight / RandomFlipTopBottom: p = 1 always flips (numpy fliplr / flipud), p = 0 never, p = 0.5 about half of seeded draws', () => {
    const x = image([3, 4, 3], 'uint8', 7);
    const [lr, ud] = numpyRefs([
      { code: 'a[:, ::-1]', inputs: [{ shape: [3, 4, 3], dtype: 'uint8', data: flat(x) }] },
      { code: 'a[::-1]', inputs: [{ shape: [3, 4, 3], dtype: 'uint8', data: flat(x) }] },
    ]);
    assert.deepEqual(flat(new T.RandomFlipLeftRight(1).call(x) as nd.NDArray), lr!.outs[0]!.data);
    assert.deepEqual(flat(new T.RandomFlipTopBottom({ p: 1 }).call(x) as nd.NDArray), ud!.outs[0]!.data);
    assert.deepEqual(flat(new T.RandomFlipLeftRight(0).call(x) as nd.NDArray), flat(x));
    random.seed(11);
    const t = new T.RandomFlipLeftRight();
    let flips = 0;
    for (let i = 0; i < 2000; i++) flips += JSON.stringify(flat(t.call(x) as nd.NDArray)) === JSON.stringify(lr!.outs[0]!.data) ? 1 : 0;
    assert.ok(flips > 900 && flips < 1100, `${flips} flips of 2000`);
  });

  it('refuses sizes, boxes, scales, ratios, ranks, dtypes and interpolations that do not fit, naming them', () => {
    const x = image([5, 7, 3], 'uint8', 8);
    assert.throws(() => new T.Resize(-3), /Resize: size must be a positive integer or \[width, height\], got -3|Resize: size must be a positive integer, got -3/);
    assert.throws(() => new T.Resize([4, 0]), /Resize: size\[1\] \(height\) must be a positive integer, got 0/);
    assert.throws(() => new T.Resize(4, { interpolation: 7 }), /Resize: interpolation must be OpenCV's 0 \(nearest\), 1 \(bilinear\), 2 \(bicubic\), 3 \(area\) or 4 \(Lanczos\), got 7/);
    assert.throws(() => new T.Resize(4, { keepRatio: 1 as never }), /Resize: keepRatio must be true or false/);
    assert.throws(() => new T.Resize(4).call(nd.ones([5, 7])), /Resize: expected an HWC image or an NHWC batch of them \(3 or 4 dims\), got shape \[5, 7\]/);
    assert.throws(() => new T.Resize(4).call(x.astype('float16')), /Resize: images of dtype float16 are not supported \(uint8, float32, float64\)/);
    assert.throws(() => new T.Resize(4).call(x.astype('int32')), /Resize: images of dtype int32 are not supported/);
    assert.throws(() => new T.Resize(4).call(nd.ones([0, 7, 3])), /Resize: the image of shape \[0, 7, 3\] is empty/);
    assert.throws(() => new T.RandomResizedCrop(4, { scale: [0.9, 0.1] }), /RandomResizedCrop: scale must be \[min, max\] with min <= max, got \[0.9,0.1\]/);
    assert.throws(() => new T.RandomResizedCrop(4, { ratio: [2, 0.5] }), /RandomResizedCrop: ratio must be \[min, max\] with min <= max/);
    assert.throws(() => new T.RandomResizedCrop(4, { scale: [-0.1, 1] }), /RandomResizedCrop: scale must be \[min, max\] of positive numbers/);
    assert.throws(() => new T.RandomResizedCrop(4).call(nd.stack(x, x)), /RandomResizedCrop: expected an HWC image \(3 dims\), got shape \[2, 5, 7, 3\]/);
    assert.throws(() => new T.CenterCrop([4, 2.5] as never), /CenterCrop: size\[1\] \(height\) must be a positive integer, got 2.5/);
    assert.throws(() => new T.CropResize(5, 0, 3, 2).call(x), /CropResize: the box x=5, y=0, width=3, height=2 is outside the image of shape \[5, 7, 3\]/);
    assert.throws(() => new T.CropResize(-1, 0, 3, 2), /CropResize: x must be an integer >= 0, got -1/);
    assert.throws(() => new T.RandomCrop(4, { pad: [1, 2] as never }), /RandomCrop: pad must be an integer >= 0 or \[top, bottom, left, right\]/);
    assert.throws(() => new T.RandomFlipLeftRight(1.5), /RandomFlipLeftRight: p must be a probability in \[0, 1\], got 1.5/);
    assert.throws(() => new T.RandomFlipTopBottom().call(nd.ones([4])), /RandomFlipTopBottom: expected an HWC image \(3 dims\), got shape \[4\]/);
    assert.throws(() => new T.Resize(4, { interp: 1 } as never), /interp/);
    assert.throws(() => new T.RandomCrop(4, { pad: 1, padValue: 300 }).call(x), /RandomCrop: padValue 300 does not fit a uint8 image \(an integer 0..255\)/);
    assert.throws(() => new T.Resize(1e9).call(x), /Resize: resizing to 1000000000x1000000000 \(width x height\) would make 3000000000000000000 values, more than an array holds/);
    assert.equal(String(new T.Compose([new T.RandomResizedCrop(3), new T.RandomFlipLeftRight()])).split('\n').slice(1, 3).join('|').replace(/ +/g, ' '), ' (0): RandomResizedCrop(size=[3,3], scale=[0.08,1], ratio=[0.75,1.3333333333333333], interpolation=1)| (1): RandomFlipLeftRight(p=0.5)');
  });
});
