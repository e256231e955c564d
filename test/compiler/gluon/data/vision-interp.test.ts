/**
 * Resize's INTER_CUBIC (2), INTER_AREA (3) and INTER_LANCZOS4 (4) against a
 * numpy rewrite of OpenCV's resize.cpp (written from its formulas, not from
 * gluonc's code) and against cv2 itself where it is installed.
 */
import assert from 'node:assert/strict';
import { nd, gluon } from 'gluonc';
import { numpyRefs } from '../../../helpers/numpy.js';
import { flat, image } from '../../../helpers/images.js';
import { runPython } from '../../../helpers/python-server.js';

const { transforms: T } = gluon.data.vision;


// modules/imgproc/src/resize.cpp in numpy. interpolateCubic (A = -0.75) and interpolateLanczos4 in
// float32 at fx = (float)((dx + 0.5) * scale - 0.5) - floor, taps sx - k/2 + 1 + j clamped to the edge.
// INTER_AREA: shrinking on both axes, integer factors -> resizeAreaFast_ (block sum unrolled by 4, times
// 1.f / area, saturate_cast = round half even; 2x2 blocks of 1, 3, 4 uint8 channels: ResizeAreaFastVec's
// (sum + 2) >> 2); other factors -> computeResizeAreaTab / ResizeArea_Invoker
// (float32 sums for uint8 and float32); enlarging on either axis -> the linear table in area_mode
// (sx = floor(dx * scale), fx = (float)((dx + 1) - (sx + 1) * inv_scale), fx <= 0 ? 0 : fx - floor(fx);
// x clamped as INTER_LINEAR: sx >= W - 1 -> sx = W - 1, fx = 0). uint8 weights saturate_cast<short>(c * 2048)
// (round half even), integer sums, (v + 2^21) >> 22 clamped (FixedPtCast<int, uchar, 22>).
const CV_RESIZE = String.raw`
f32 = np.float32
def cubic(x):
    A = f32(-0.75); x = f32(x); x1 = f32(x + f32(1)); t = f32(f32(1) - x)
    c0 = ((A * x1 - f32(5) * A) * x1 + f32(8) * A) * x1 - f32(4) * A
    c1 = ((A + f32(2)) * x - (A + f32(3))) * x * x + f32(1)
    c2 = ((A + f32(2)) * t - (A + f32(3))) * t * t + f32(1)
    return [c0, c1, c2, f32(1) - c0 - c1 - c2]
def lanczos(x):
    s45 = 0.70710678118654752440084436210485
    cs = [(1, 0), (-s45, -s45), (0, 1), (s45, -s45), (-1, 0), (s45, s45), (0, -1), (-s45, s45)]
    x3 = f32(f32(x) + f32(3)); y0 = -float(x3) * math.pi * 0.25; s0, c0 = math.sin(y0), math.cos(y0)
    c = []; s = f32(0)
    for i in range(8):
        yi = f32(x3 - f32(i))
        c.append(f32((cs[i][0] * s0 + cs[i][1] * c0) / (float(yi) * math.pi * 0.25) ** 2) if abs(yi) >= f32(1e-6) else f32(1e30))
        s = f32(s + c[-1])
    inv = f32(f32(1) / s)
    return [f32(v * inv) for v in c]
def ktaps(n, m, k):
    scale = 1.0 / (m / n); out = []
    for d in range(m):
        f = f32((d + 0.5) * scale - 0.5); s = int(math.floor(f)); f = f32(f - f32(s))
        out.append(([min(max(s - k // 2 + 1 + j, 0), n - 1) for j in range(k)], cubic(f) if k == 4 else lanczos(f)))
    return out
def areatab(n, m):
    scale = 1.0 / (m / n); out = []
    for d in range(m):
        a = d * scale; b = a + scale; cell = min(scale, n - a)
        s2 = min(int(math.floor(b)), n - 1); s1 = min(int(math.ceil(a)), s2); t = []
        if s1 - a > 1e-3: t.append((s1 - 1, f32((s1 - a) / cell)))
        for s in range(s1, s2): t.append((s, f32(1.0 / cell)))
        if b - s2 > 1e-3: t.append((s2, f32(min(min(b - s2, 1.0), cell) / cell)))
        out.append(([i for i, _ in t], [w for _, w in t]))
    return out
def areaup(n, m, isx):
    inv = m / n; scale = 1.0 / inv; out = []
    for d in range(m):
        s = int(math.floor(d * scale)); f = f32((d + 1) - (s + 1) * inv)
        f = f32(0) if f <= 0 else f32(f - f32(math.floor(f)))
        if isx and s >= n - 1: s, f = n - 1, f32(0)
        out.append(([min(s, n - 1), min(s + 1, n - 1)], [f32(f32(1) - f), f]))
    return out
def combine(vals, ws, mode):
    v = 0 if mode in ('fixed', 'f64') else f32(0)
    for a, w in zip(vals, ws):
        v = v + a * w if mode in ('fixed', 'f64') else f32(v + f32(f32(a) * w))
    return v
def separable(img, tx, ty, mode):
    H, W, C = img.shape
    src = img.astype(np.float64)
    wt = lambda ws: [int(np.rint(f32(w) * f32(2048))) for w in ws] if mode == 'fixed' else [f32(w) if mode != 'f64' else float(f32(w)) for w in ws]
    rows = np.zeros((H, len(tx), C)); out = np.zeros((len(ty), len(tx), C))
    for y in range(H):
        for x, (i, w) in enumerate(tx):
            for c in range(C): rows[y, x, c] = combine([src[y, j, c] for j in i], wt(w), mode)
    for y, (i, w) in enumerate(ty):
        for x in range(len(tx)):
            for c in range(C):
                v = combine([rows[j, x, c] for j in i], wt(w), mode)
                if mode == 'fixed': v = min(255, max(0, (int(v) + (1 << 21)) >> 22))
                elif mode == 'u8float': v = min(255, max(0, np.rint(v)))
                out[y, x, c] = v
    return out
def areafast(img, w, h):
    H, W, C = img.shape; sx, sy = W // w, H // h; area = sx * sy; scale = f32(1.0 / area)
    f = img.dtype == np.float32; add = (lambda a, b: f32(f32(a) + f32(b))) if f else (lambda a, b: a + b)
    out = np.zeros((h, w, C))
    for y in range(h):
        for x in range(w):
            for c in range(C):
                S = [img[y * sy + j, x * sx + i, c].item() for j in range(sy) for i in range(sx)]
                s = 0; k = 0
                while k <= area - 4: s = add(s, add(add(add(S[k], S[k + 1]), S[k + 2]), S[k + 3])); k += 4
                while k < area: s = add(s, S[k]); k += 1
                if img.dtype == np.uint8 and sx == 2 and sy == 2 and C in (1, 3, 4): out[y, x, c] = (s + 2) >> 2
                elif img.dtype == np.uint8: out[y, x, c] = min(255, max(0, np.rint(f32(f32(s) * scale))))
                else: out[y, x, c] = f32(f32(s) * scale) if f else s * float(scale)
    return out
def resize(img, w, h, interp):
    H, W, C = img.shape
    mode = 'fixed' if img.dtype == np.uint8 else 'f32' if img.dtype == np.float32 else 'f64'
    if interp in (2, 4):
        k = 4 if interp == 2 else 8
        return separable(img, ktaps(W, w, k), ktaps(H, h, k), mode)
    scx, scy = 1.0 / (w / W), 1.0 / (h / H)
    if scx >= 1 and scy >= 1:
        if abs(scx - round(scx)) < 2.220446049250313e-16 and abs(scy - round(scy)) < 2.220446049250313e-16: return areafast(img, w, h)
        return separable(img, areatab(W, w), areatab(H, h), 'u8float' if mode == 'fixed' else mode)
    return separable(img, areaup(W, w, True), areaup(H, h, False), mode)
`;

const hasCv2 = runPython('import cv2').status === 0;

describe('gluon.data.vision.transforms: Resize with INTER_CUBIC, INTER_AREA, INTER_LANCZOS4', () => {
  // [H, W, C, w, h]: enlarge, shrink by non-integer factors, by integer factors (2x2, 2x3, 3x3 blocks),
  // shrink one axis while enlarging the other, 1-pixel rows and columns, 1x1 output, identity, 1 and 2 channels.
  const sizes: [number, number, number, number, number][] = [
    [5, 7, 3, 4, 9], [32, 32, 3, 23, 17], [1, 5, 3, 2, 3], [7, 1, 3, 3, 2], [4, 4, 3, 1, 1], [3, 3, 3, 11, 13],
    [12, 12, 3, 6, 4], [12, 12, 1, 4, 4], [10, 20, 1, 10, 5], [9, 6, 3, 4, 3], [6, 9, 2, 9, 6], [8, 8, 3, 16, 5], [11, 7, 1, 3, 5],
    [8, 6, 3, 3, 4], [6, 8, 2, 4, 3], [8, 8, 4, 2, 2],
  ];
  const dtypes = ['uint8', 'float32', 'float64'] as const;
  const jobs = [2, 3, 4].flatMap((interp) =>
    sizes.flatMap(([H, W, C, w, h], i) =>
      dtypes.map((dtype) => {
        const x = image([H, W, C], dtype, i + interp);
        return { x, w, h, interp, job: { code: `${CV_RESIZE}\nout = resize(a, ${w}, ${h}, ${interp})`, inputs: [{ shape: [H, W, C], dtype, data: flat(x) }] } };
      }),
    ),
  );
  const refs = numpyRefs(jobs.map((j) => j.job));

  it("matches OpenCV's formulas: uint8 exactly (fixed point, area's rounding), float32 and float64 in their precision", () => {
    jobs.forEach(({ x, w, h, interp }, k) => {
      const y = new T.Resize([w, h], { interpolation: interp }).call(x) as nd.NDArray;
      assert.deepEqual(y.shape, [h, w, x.shape[2]]);
      assert.equal(y.dtype, x.dtype);
      assert.equal(refs[k]!.error, undefined, refs[k]!.error);
      const ref = refs[k]!.outs[0]!.data as number[];
      const tol = x.dtype === 'uint8' ? 0 : x.dtype === 'float32' ? 2e-5 : 1e-9;
      flat(y).forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) <= tol, `interp ${interp} ${x.dtype} [${x.shape}] -> ${w}x${h} [${i}]: ${v} vs ${ref[i]}`));
    });
  });

  it('agrees with cv2.resize (uint8 within 1: its SIMD rounds some values differently; float32 within 5e-4, 2e-6 of the 0-255 range: its SIMD sums in another order)', function () {
    if (!hasCv2) this.skip(); // cv2 is optional; the numpy rewrite above is always checked
    const f32 = jobs.filter(({ x }) => x.dtype !== 'float64');
    const cv = numpyRefs(f32.map(({ x, w, h, interp }) => ({ code: `import cv2\nout = cv2.resize(a, (${w}, ${h}), interpolation=${interp}).reshape(${h}, ${w}, -1)`, inputs: [{ shape: x.shape, dtype: x.dtype, data: flat(x) }] })));
    let [exact, total] = [0, 0];
    f32.forEach(({ x, w, h, interp }, k) => {
      const ref = cv[k]!.outs[0]!.data as number[];
      flat(new T.Resize([w, h], { interpolation: interp }).call(x) as nd.NDArray).forEach((v, i) => {
        assert.ok(Math.abs(v - ref[i]!) <= (x.dtype === 'uint8' ? 1 : 5e-4), `interp ${interp} ${x.dtype} [${x.shape}] -> ${w}x${h} [${i}]: ${v} vs cv2 ${ref[i]}`);
        exact += x.dtype === 'uint8' && v === ref[i] ? 1 : 0;
        total += x.dtype === 'uint8' ? 1 : 0;
      });
    });
    assert.ok(exact / total > 0.95, `only ${exact} of ${total} uint8 values equal cv2's`);
  });

  it('fixed samples: 2x2 area blocks round half up for 1, 3, 4 channels and half to even for 2, as cv2; bilinear at half size is area; constants stay', () => {
    // Blocks [0 1; 10 11] = 5.5, [2 3; 10 11] = 6.5, [100 101; 7 7] = 53.75, [200 203; 7 7] = 104.25 (cv2 gives these four).
    const v = [0, 1, 2, 3, 10, 11, 10, 11, 100, 101, 200, 203, 7, 7, 7, 7];
    const x = nd.array(v, { shape: [4, 4, 1], dtype: 'uint8' });
    const x2 = nd.array(v.flatMap((e) => [e, e]), { shape: [4, 4, 2], dtype: 'uint8' });
    for (const interp of [1, 3]) {
      assert.deepEqual(flat(new T.Resize([2, 2], { interpolation: interp }).call(x) as nd.NDArray), [6, 7, 54, 104]);
      assert.deepEqual(flat(new T.Resize([2, 2], { interpolation: interp }).call(x2) as nd.NDArray), [6, 6, 6, 6, 54, 54, 104, 104]);
    }
    // 4x4 blocks: the generic path, 1.f / 16 times the sum, half to even: (0+1+2+3+10+11+10+11+100+101+200+203+7*4) / 16 = 42.5 -> 42.
    assert.deepEqual(flat(new T.Resize([1, 1], { interpolation: 3 }).call(x) as nd.NDArray), [42]);
    const c = nd.full([5, 6, 3], 77, { dtype: 'uint8' });
    for (const interp of [2, 3, 4]) {
      for (const [w, h] of [[9, 4], [3, 3], [13, 11]]) assert.ok(flat(new T.Resize([w!, h!], { interpolation: interp }).call(c) as nd.NDArray).every((v) => v === 77), `interp ${interp} ${w}x${h}`);
      assert.deepEqual(flat(new T.Resize([3, 2], { interpolation: interp }).call(nd.full([1, 1, 2], 9, { dtype: 'uint8' })) as nd.NDArray), new Array(12).fill(9));
      // float32 weights sum to 1 only within float32's precision (cv2 gives the same 8.999999 / 9.000001).
      assert.ok(flat(new T.Resize([3, 2], { interpolation: interp }).call(nd.full([1, 1, 2], 9, { dtype: 'float32' })) as nd.NDArray).every((v) => Math.abs(v - 9) < 2e-6));
    }
  });
});
