import assert from 'node:assert/strict';
import { nd, gluon, random } from 'gluonc';
import { numpyRefs } from '../../../helpers/numpy.js';
import { flat } from '../../../helpers/images.js';

const { transforms: T } = gluon.data.vision;
const { adjust } = T;

// Fixed pixels: grays (HLS saturation 0), the primaries and secondaries (hue sector edges), black, white, and others.
const PIXELS = [
  [0, 0, 0], [255, 255, 255], [128, 128, 128], [255, 0, 0], [255, 255, 0], [0, 255, 0], [0, 255, 255], [0, 0, 255], [255, 0, 255],
  [200, 30, 40], [12, 200, 90], [90, 60, 250], [250, 251, 3], [1, 2, 254], [100, 150, 200], [37, 37, 38],
];
const rgb = (dtype: 'uint8' | 'float32' | 'float64'): nd.NDArray => nd.array(PIXELS.flat(), { shape: [4, 4, 3], dtype });
const input = (x: nd.NDArray) => ({ shape: x.shape, dtype: x.dtype, data: flat(x) });

// MXNet's formulas (src/operator/image/image_random-inl.h), written in numpy in the kernels' float32 (float64 for a
// float64 image), operation by operation in their order; uint8 results clipped to 0..255 and truncated
// (saturate_cast<uint8_t>). Gray is 0.299 R + 0.587 G + 0.114 B.
const SAT = `t = np.float64 if a.dtype == np.float64 else np.float32
A = a.astype(t); c = np.array([0.299, 0.587, 0.114], t)
def sat(v, like):
    return np.trunc(np.clip(v, 0, 255)) if like.dtype == np.uint8 else v.astype(like.dtype)
`;
const GRAY = 'gray = (A[..., 0] * c[0] + A[..., 1] * c[1]) + A[..., 2] * c[2]\n';
const MEAN = 'mean = np.cumsum((A.reshape(-1, 3) * c).reshape(-1), dtype=t)[-1] / t(A.size // 3)\n';
// AlexNet's PCA lighting: ImageNet's RGB eigenvalues and eigenvectors (columns), as MXNet's AdjustLightingImpl lists them.
const EIG = 'eigval = np.array([55.46, 4.794, 1.148]); eigvec = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])\n';
const LIGHT = 'e = (eigvec * eigval).astype(t); al = np.array([0.3, -0.2, 0.5], t); pca = (e[:, 0] * al[0] + e[:, 1] * al[1]) + e[:, 2] * al[2]\n';
// Hue: Python's colorsys (an independent RGB <-> HLS), the hue turned by alpha turns.
const HUE = `import colorsys
def hue(a, alpha):
    out = np.zeros(a.shape)
    for idx in np.ndindex(a.shape[:-1]):
        h, l, s = colorsys.rgb_to_hls(*(a[idx].astype(np.float64) / 255))
        out[idx] = np.array(colorsys.hls_to_rgb((h + alpha) % 1.0, l, s)) * 255
    return out
`;

describe('gluon.data.vision.transforms: color (brightness, contrast, saturation, hue, lighting, jitter)', () => {
  const dtypes = ['uint8', 'float32', 'float64'] as const;
  const cases = dtypes.flatMap((dtype) => [
    { name: 'brightness 1.37', f: (x: nd.NDArray) => adjust.brightness(x, 1.37), code: `${SAT}out = sat(A * t(1.37), a)` },
    { name: 'brightness 0.5 (ties at .5)', f: (x: nd.NDArray) => adjust.brightness(x, 0.5), code: `${SAT}out = sat(A * t(0.5), a)` },
    { name: 'contrast 0.6', f: (x: nd.NDArray) => adjust.contrast(x, 0.6), code: `${SAT}${MEAN}out = sat(A * t(0.6) + (t(1) - t(0.6)) * mean, a)` },
    { name: 'contrast 1.8', f: (x: nd.NDArray) => adjust.contrast(x, 1.8), code: `${SAT}${MEAN}out = sat(A * t(1.8) + (t(1) - t(1.8)) * mean, a)` },
    { name: 'saturation 0.3', f: (x: nd.NDArray) => adjust.saturation(x, 0.3), code: `${SAT}${GRAY}out = sat((gray * (t(1) - t(0.3)))[..., None] + A * t(0.3), a)` },
    { name: 'saturation 1.6', f: (x: nd.NDArray) => adjust.saturation(x, 1.6), code: `${SAT}${GRAY}out = sat((gray * (t(1) - t(1.6)))[..., None] + A * t(1.6), a)` },
    { name: 'lighting', f: (x: nd.NDArray) => adjust.lighting(x, [0.3, -0.2, 0.5]), code: `${SAT}${EIG}${LIGHT}out = sat(A + pca, a)` },
    { name: 'hue 0.25', f: (x: nd.NDArray) => adjust.hue(x, 0.25), code: `${SAT}${HUE}out = sat(hue(a, 0.25), a)` },
    { name: 'hue -0.4', f: (x: nd.NDArray) => adjust.hue(x, -0.4), code: `${SAT}${HUE}out = sat(hue(a, -0.4), a)` },
    { name: 'hue 1.1', f: (x: nd.NDArray) => adjust.hue(x, 1.1), code: `${SAT}${HUE}out = sat(hue(a, 0.1), a)` },
  ].map((c) => ({ ...c, dtype })));
  const refs = numpyRefs(cases.map((c) => ({ code: c.code, inputs: [input(rgb(c.dtype))] })));

  it("the adjustments are MXNet's formulas (numpy; hue against Python's colorsys), uint8 saturated and truncated, at fixed pixels incl. grays and sector edges", () => {
    cases.forEach((c, k) => {
      assert.equal(refs[k]!.error, undefined, refs[k]!.error);
      const y = c.f(rgb(c.dtype));
      assert.equal(y.dtype, c.dtype);
      assert.deepEqual(y.shape, [4, 4, 3]);
      const ref = refs[k]!.outs[0]!.data as number[];
      // Exact in float32 (and so in uint8); hue (colorsys' float64 HLS, ours MXNet's conversion in float64) to 1 in uint8.
      const tol = c.name.startsWith('hue') ? (c.dtype === 'uint8' ? 1 : c.dtype === 'float32' ? 1e-4 : 1e-9) : c.dtype === 'float64' ? 1e-9 : 0;
      flat(y).forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) <= tol, `${c.name} ${c.dtype} [${i}]: ${v} vs ${ref[i]}`));
    });
  });

  it('one channel: brightness and contrast scale it, saturation, hue and lighting leave it', () => {
    const g = nd.array([10, 200, 30, 90], { shape: [2, 2, 1], dtype: 'uint8' });
    assert.deepEqual(flat(adjust.brightness(g, 1.5)), [15, 255, 45, 135]);
    assert.deepEqual(flat(adjust.contrast(g, 0.5)), [Math.trunc(5 + 41.25), Math.trunc(100 + 41.25), Math.trunc(15 + 41.25), Math.trunc(45 + 41.25)]);
    for (const y of [adjust.saturation(g, 0.2), adjust.hue(g, 0.3), adjust.lighting(g, [1, 1, 1])]) assert.deepEqual(flat(y), [10, 200, 30, 90]);
  });

  it('the random factors: uniform in [max(0, 1 - a), 1 + a], seeded, the image the adjustment at that factor', () => {
    const x = rgb('float64');
    const xs = flat(x);
    const draws = (t: gluon.Block, solve: (y: number[]) => number, check: (y: nd.NDArray, f: number) => nd.NDArray): number[] =>
      Array.from({ length: 300 }, () => {
        const y = t.call(x) as nd.NDArray;
        const f = solve(flat(y));
        flat(check(y, f)).forEach((v, i) => assert.ok(Math.abs(v - flat(y)[i]!) < 1e-9, `[${i}]`));
        return f;
      });
    random.seed(5);
    // Pixel 9 (200, 30, 40) against pixel 10 (12, 200, 90): brightness is the ratio, contrast the ratio of differences.
    const b = draws(new T.RandomBrightness(0.5), (y) => y[27]! / xs[27]!, (_y, f) => adjust.brightness(x, f));
    const c = draws(new T.RandomContrast({ contrast: 0.5 }), (y) => (y[27]! - y[30]!) / (xs[27]! - xs[30]!), (_y, f) => adjust.contrast(x, f));
    const s = draws(new T.RandomSaturation(0.5), (y) => (y[27]! - y[28]!) / (xs[27]! - xs[28]!), (_y, f) => adjust.saturation(x, f));
    for (const [name, f] of [['brightness', b], ['contrast', c], ['saturation', s]] as const) {
      assert.ok(Math.min(...f) >= 0.5 && Math.max(...f) <= 1.5, `${name}: ${Math.min(...f)}..${Math.max(...f)}`);
      assert.ok(Math.min(...f) < 0.53 && Math.max(...f) > 1.47, `${name} covers the range`);
      assert.ok(Math.abs(f.reduce((p, q) => p + q) / f.length - 1) < 0.05, `${name} mean`);
    }
    const b3 = draws(new T.RandomBrightness(3), (y) => y[27]! / xs[27]!, (_y, f) => adjust.brightness(x, f));
    assert.ok(Math.min(...b3) >= 0 && Math.max(...b3) <= 4, 'brightness 3: [0, 4]');
    random.seed(8);
    const once = flat(new T.RandomHue(0.3).call(x) as nd.NDArray);
    random.seed(8);
    assert.deepEqual(flat(new T.RandomHue(0.3).call(x) as nd.NDArray), once);
  });

  it("RandomHue turns every pixel's hue by one draw within ±hue turns, keeping lightness and saturation (colorsys)", () => {
    const x = rgb('float64');
    random.seed(12);
    const outs = Array.from({ length: 40 }, () => new T.RandomHue(0.2).call(x) as nd.NDArray);
    const [r] = numpyRefs([
      {
        code: `import colorsys
res = []
for o in args:
    o = np.array(o).reshape(-1, 3); shifts = []
    for p, q in zip(a.reshape(-1, 3), o):
        h0, l0, s0 = colorsys.rgb_to_hls(*(p / 255)); h1, l1, s1 = colorsys.rgb_to_hls(*(q / 255))
        assert abs(l0 - l1) < 1e-9 and abs(s0 - s1) < 1e-9, (p, q)
        if s0 > 1e-6: shifts.append((h1 - h0 + 0.5) % 1.0 - 0.5)
    res.append([min(shifts), max(shifts)])
out = np.array(res)`,
        inputs: [input(x)],
        args: outs.map(flat),
      },
    ]);
    assert.equal(r!.error, undefined, r!.error);
    const spans = r!.outs[0]!.data as number[];
    for (let i = 0; i < spans.length; i += 2) {
      assert.ok(Math.abs(spans[i]! - spans[i + 1]!) < 1e-9, `draw ${i / 2}: one shift for all pixels`);
      assert.ok(Math.abs(spans[i]!) <= 0.2 + 1e-9, `draw ${i / 2}: shift ${spans[i]}`);
    }
    assert.ok(Math.max(...spans.map(Math.abs)) > 0.15, 'the shifts cover the range');
  });

  it('RandomLighting: the same PCA offset on every pixel, alphas N(0, alpha) (solved back through the eigenvectors)', () => {
    const x = rgb('float64');
    random.seed(21);
    const diffs = Array.from({ length: 400 }, () => {
      const y = flat(new T.RandomLighting(0.1).call(x) as nd.NDArray).map((v, i) => v - flat(x)[i]!);
      for (let i = 3; i < y.length; i++) assert.ok(Math.abs(y[i]! - y[i % 3]!) < 1e-9, 'one offset per channel');
      return y.slice(0, 3);
    });
    const [r] = numpyRefs([{ code: `${EIG}al = np.linalg.solve(eigvec * eigval, a.T).T\nout = [al.mean(0), al.std(0)]`, inputs: [{ shape: [400, 3], dtype: 'float64', data: diffs.flat() }] }]);
    const [mean, std] = r!.outs.map((o) => o.data as number[]);
    mean!.forEach((m) => assert.ok(Math.abs(m) < 0.02, `mean ${m}`));
    std!.forEach((s) => assert.ok(Math.abs(s - 0.1) < 0.015, `std ${s}`));
    assert.deepEqual(flat(new T.RandomLighting(0).call(x) as nd.NDArray), flat(x));
  });

  it('RandomColorJitter: each amount > 0 applied once, in a seeded random order; none leaves the image', () => {
    const x = rgb('float64');
    random.seed(4);
    for (let i = 0; i < 50; i++) {
      const y = flat(new T.RandomColorJitter({ brightness: 0.4 }).call(x) as nd.NDArray);
      const f = y[27]! / flat(x)[27]!;
      assert.ok(f >= 0.6 && f <= 1.4);
      flat(adjust.brightness(x, f)).forEach((v, k) => assert.ok(Math.abs(v - y[k]!) < 1e-9));
    }
    assert.deepEqual(flat(new T.RandomColorJitter().call(x) as nd.NDArray), flat(x));
    const u8 = rgb('uint8');
    const all = new T.RandomColorJitter(0.5, 0.5, 0.5, 0.5);
    random.seed(6);
    const a = all.call(u8) as nd.NDArray;
    random.seed(6);
    assert.deepEqual((all.call(u8) as nd.NDArray).toArray(), a.toArray());
    assert.equal(a.dtype, 'uint8');
    // Brightness then contrast differs from contrast then brightness under saturation: the order is drawn.
    random.seed(1);
    const seen = new Set(Array.from({ length: 30 }, () => JSON.stringify(flat(new T.RandomColorJitter({ brightness: 0.5, contrast: 0.5 }).call(u8) as nd.NDArray))));
    assert.ok(seen.size > 20);
  });

  it('refuses amounts, ranks, channel counts and dtypes that do not fit, naming them', () => {
    assert.throws(() => new T.RandomBrightness(-0.5), /RandomBrightness: brightness must be a number >= 0, got -0.5/);
    assert.throws(() => new T.RandomHue(NaN), /RandomHue: hue must be a number >= 0, got NaN/);
    assert.throws(() => new T.RandomColorJitter({ contrast: '0.4' as never }), /RandomColorJitter: contrast must be a number >= 0/);
    assert.throws(() => new T.RandomLighting(undefined as never), /RandomLighting: missing required argument 'alpha'/);
    assert.throws(() => new T.RandomSaturation(0.5).call(nd.ones([4, 4, 2])), /RandomSaturation: expected 1 or 3 channels \(the last dimension of HWC\), got shape \[4, 4, 2\]/);
    assert.throws(() => new T.RandomContrast(0.5).call(nd.ones([3, 4, 4])), /RandomContrast: expected 1 or 3 channels/);
    assert.throws(() => new T.RandomBrightness(0.5).call(nd.ones([2, 4, 4, 3])), /RandomBrightness: expected an HWC image \(3 dims\), got shape \[2, 4, 4, 3\]/);
    assert.throws(() => new T.RandomLighting(0.1).call(nd.ones([4, 4, 3], { dtype: 'int32' })), /RandomLighting: images of dtype int32 are not supported \(uint8, float32, float64\)/);
    assert.throws(() => adjust.hue([1, 2, 3] as never, 0.1), /adjust.hue: expected an NDArray image, got object/);
  });
});
