/**
 * Rotate and RandomRotation against a numpy rewrite of MXNet's image.imrotate
 * (python/mxnet/image/image.py: the centred grid, rotated, normalized by the
 * half sizes, the zoom factors) and BilinearSampler's CPU kernel
 * (src/operator/bilinear_sampler.cc), in float32 as MXNet computes them.
 */
import assert from 'node:assert/strict';
import { nd, gluon, random } from 'gluonc';
import { numpyRefs } from '../../../helpers/numpy.js';
import { nextFloat } from '../../../../compiler/ops/rng.js';
import { flat } from '../../../helpers/images.js';

const { transforms: T } = gluon.data.vision;

function image(shape: number[], seed: number): nd.NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return nd.array(Array.from({ length: n }, (_x, i) => (((i * 7919 + seed * 104729) % 256) + ((i * 31) % 17) / 17) / 255), { shape, dtype: 'float32' });
}

// imrotate: rad = pi * deg / 180 (float32 scalar ops); grid w' = w cos - h sin, h' = w sin + h cos over
// w = j - (W - 1) / 2, h = i - (H - 1) / 2, divided by (W - 1) / 2 and (H - 1) / 2; zoom from the
// corners (rho = sqrt(h^2 + w^2), ang = arctan(h / w)); BilinearSampler: x = (g + 1) * (W - 1) / 2,
// the four neighbours (0 outside), weights 1.0 - frac (stored as float), sums of doubles but the first.
const MX_ROTATE = String.raw`
f = np.float32
def imrotate(src, degs, zoom_in, zoom_out):
    N, C, H, W = src.shape
    out = np.zeros_like(src)
    for n in range(N):
        rad = f(f(f(degs[n]) * f(np.pi)) / f(180))
        hs, ws = f((H - 1) / 2), f((W - 1) / 2)
        hm = (np.arange(H, dtype=f)[:, None] - hs) * np.ones((1, W), f)
        wm = (np.arange(W, dtype=f)[None, :] - ws) * np.ones((H, 1), f)
        ca, sa = np.cos(rad), np.sin(rad)
        gx = (wm * ca - hm * sa) / ws
        gy = (wm * sa + hm * ca) / hs
        if zoom_in or zoom_out:
            h, w = f(H), f(W)
            rho = np.sqrt(h * h + w * w); ang = np.arctan(h / w); a = np.abs(rad)
            mx = max(abs(rho * np.cos(f(ang + a))), abs(rho * np.cos(f(ang - a))))
            my = max(abs(rho * np.sin(f(ang + a))), abs(rho * np.sin(f(ang - a))))
            g = max(mx / w, my / h) if zoom_out else min(w / mx, h / my)
            gx, gy = gx * g, gy * g
        yr = (gy + f(1)) * f(H - 1) / f(2); xr = (gx + f(1)) * f(W - 1) / f(2)
        y0 = np.floor(yr).astype(np.int64); x0 = np.floor(xr).astype(np.int64)
        wy = (1.0 - (yr - y0.astype(f))).astype(f); wx = (1.0 - (xr - x0.astype(f))).astype(f)
        for c in range(C):
            img = src[n, c]
            def at(y, x):
                ok = (y >= 0) & (y <= H - 1) & (x >= 0) & (x <= W - 1)
                return np.where(ok, img[np.clip(y, 0, H - 1), np.clip(x, 0, W - 1)], f(0))
            A = (at(y0, x0) * wy * wx).astype(np.float64)
            B = (at(y0, x0 + 1) * wy).astype(np.float64) * (1.0 - wx.astype(np.float64))
            Cc = at(y0 + 1, x0).astype(np.float64) * (1.0 - wy.astype(np.float64)) * wx.astype(np.float64)
            D = at(y0 + 1, x0 + 1).astype(np.float64) * (1.0 - wy.astype(np.float64)) * (1.0 - wx.astype(np.float64))
            out[n, c] = (A + B + Cc + D).astype(f)
    return out
`;

describe('gluon.data.vision.transforms: Rotate, RandomRotation (MXNet 2)', () => {
  const angles = [0, 90, 180, 45, -30, 12.5];
  const zooms: [boolean, boolean][] = [[false, false], [true, false], [false, true]];
  const shapes = [[3, 6, 6], [2, 5, 8], [1, 7, 4]];
  const cases = shapes.flatMap((shape, s) => angles.flatMap((deg) => zooms.map(([zi, zo]) => ({ x: image(shape, s), deg, zi, zo }))));
  const refs = numpyRefs(cases.map(({ x, deg, zi, zo }) => ({
    code: `${MX_ROTATE}\nout = imrotate(a[None], [${deg}], ${zi ? 'True' : 'False'}, ${zo ? 'True' : 'False'})[0]`,
    inputs: [{ shape: x.shape, dtype: 'float32', data: flat(x) }],
  })));

  it("Rotate(deg, zoomIn, zoomOut) is MXNet's imrotate + BilinearSampler at 0, 90, 180, 45, -30 degrees, with and without zoom", () => {
    cases.forEach(({ x, deg, zi, zo }, k) => {
      const y = new T.Rotate(deg, zi, zo).call(x) as nd.NDArray;
      assert.deepEqual(y.shape, x.shape);
      assert.equal(refs[k]!.error, undefined, refs[k]!.error);
      const ref = refs[k]!.outs[0]!.data as number[];
      // float32 sines and cosines may differ from numpy's in the last bit; values are in [0, 1].
      flat(y).forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) <= 1e-6, `[${x.shape}] ${deg} deg zoomIn=${zi} zoomOut=${zo} [${i}]: ${v} vs ${ref[i]}`));
    });
  });

  it("agrees with PyTorch's grid_sample (bilinear, zeros, align_corners=True: BilinearSampler's convention) on imrotate's grid in float64", () => {
    const picked = cases.filter((_c, k) => k % 4 === 0);
    const torch = numpyRefs(picked.map(({ x, deg, zi, zo }) => ({
      code: String.raw`import torch
C, H, W = a.shape
r = math.radians(${deg}); hs, ws = (H - 1) / 2, (W - 1) / 2
hm, wm = np.meshgrid(np.arange(H) - hs, np.arange(W) - ws, indexing='ij')
gx = (wm * math.cos(r) - hm * math.sin(r)) / ws; gy = (wm * math.sin(r) + hm * math.cos(r)) / hs
g = 1.0
if ${zi ? 'True' : 'False'} or ${zo ? 'True' : 'False'}:
    rho = math.hypot(H, W); ang = math.atan(H / W); t = abs(r)
    mx = max(abs(rho * math.cos(ang + t)), abs(rho * math.cos(ang - t))); my = max(abs(rho * math.sin(ang + t)), abs(rho * math.sin(ang - t)))
    g = max(mx / W, my / H) if ${zo ? 'True' : 'False'} else min(W / mx, H / my)
grid = torch.tensor(np.stack([gx * g, gy * g], -1)[None])
out = torch.nn.functional.grid_sample(torch.tensor(a.astype(np.float64))[None], grid, mode='bilinear', padding_mode='zeros', align_corners=True)[0].numpy()`,
      inputs: [{ shape: x.shape, dtype: 'float32', data: flat(x) }],
    })));
    picked.forEach(({ x, deg, zi, zo }, k) => {
      assert.equal(torch[k]!.error, undefined, torch[k]!.error);
      const ref = torch[k]!.outs[0]!.data as number[];
      flat(new T.Rotate(deg, zi, zo).call(x) as nd.NDArray).forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) < 2e-5, `[${x.shape}] ${deg} deg zoomIn=${zi} zoomOut=${zo} [${i}]: ${v} vs torch ${ref[i]}`));
    });
  });

  it('fixed samples: 0 degrees is the identity, 180 degrees reverses both axes, 90 degrees of a square turns it, corners of 45 degrees are 0', () => {
    const x = image([2, 5, 5], 3);
    assert.deepEqual(flat(new T.Rotate(0).call(x) as nd.NDArray), flat(x));
    const [r180, r90] = numpyRefs([
      { code: 'a[:, ::-1, ::-1]', inputs: [{ shape: [2, 5, 5], dtype: 'float32', data: flat(x) }] },
      // out[i, j] samples x = j' cos - i' sin, y = j' sin + i' cos (centred): at 90 degrees in[j, 4 - i], numpy's rot90 (k = 1)
      { code: 'np.rot90(a, k=1, axes=(1, 2))', inputs: [{ shape: [2, 5, 5], dtype: 'float32', data: flat(x) }] },
    ]);
    const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-6);
    assert.ok(close(flat(new T.Rotate(180).call(x) as nd.NDArray), r180!.outs[0]!.data as number[]));
    const y90 = flat(new T.Rotate(90).call(x) as nd.NDArray);
    assert.ok(close(y90, r90!.outs[0]!.data as number[]), 'a quarter turn');
    const y45 = new T.Rotate(45).call(nd.ones([1, 9, 9])) as nd.NDArray;
    assert.deepEqual([flat(y45)[0], flat(y45)[8], flat(y45)[72], flat(y45)[80], flat(y45)[40]], [0, 0, 0, 0, 1]);
    // zoomIn leaves no empty corner of a constant image; zoomOut keeps all of it (the corners are outside).
    assert.ok(flat(new T.Rotate(45, { zoomIn: true }).call(nd.ones([1, 9, 9])) as nd.NDArray).every((v) => Math.abs(v - 1) < 1e-5));
  });

  it('NCHW batches: one angle for all, or one per image; RandomRotation draws seeded angles within its limits', () => {
    const b = nd.stack(image([3, 6, 6], 1), image([3, 6, 6], 2));
    const y = new T.Rotate([30, -45]).call(b) as nd.NDArray;
    assert.deepEqual(flat(y).slice(0, 108), flat(new T.Rotate(30).call(image([3, 6, 6], 1)) as nd.NDArray));
    assert.deepEqual(flat(y).slice(108), flat(new T.Rotate(-45).call(image([3, 6, 6], 2)) as nd.NDArray));
    const t = new T.RandomRotation([-20, 20]);
    const x = image([1, 6, 6], 4);
    random.seed(5);
    const a = flat(t.call(x) as nd.NDArray);
    random.seed(5);
    assert.deepEqual(flat(t.call(x) as nd.NDArray), a);
    // The draws: rotate or not (u <= 1), then the angle lo + (hi - lo) * u, as numpy's uniform.
    random.seed(5);
    nextFloat();
    const deg = -20 + 40 * nextFloat();
    assert.deepEqual(a, flat(new T.Rotate(deg).call(x) as nd.NDArray));
    assert.ok(deg >= -20 && deg <= 20);
    assert.deepEqual(flat(new T.RandomRotation([-20, 20], { rotateWithProba: 0 }).call(x) as nd.NDArray), flat(x));
    random.seed(8);
    let rotated = 0;
    const half = new T.RandomRotation([10, 20], { rotateWithProba: 0.5 });
    for (let i = 0; i < 400; i++) rotated += JSON.stringify(flat(half.call(x) as nd.NDArray)) === JSON.stringify(flat(x)) ? 0 : 1;
    assert.ok(rotated > 150 && rotated < 250, `${rotated} of 400 rotated`);
  });

  it('refuses what MXNet refuses, naming it: other dtypes, HWC-less ranks, both zooms, unordered limits, 1-pixel sides', () => {
    assert.throws(() => new T.Rotate(30).call(image([3, 4, 4], 0).astype('uint8')), /Rotate: only float32 images are supported \(MXNet's; ToTensor first\), got uint8/);
    assert.throws(() => new T.Rotate(30).call(nd.ones([4, 4])), /Rotate: expected a CHW image or an NCHW batch of them \(3 or 4 dims\), got shape \[4, 4\]/);
    assert.throws(() => new T.Rotate(30, true, true), /Rotate: zoomIn and zoomOut cannot both be true/);
    assert.throws(() => new T.Rotate(Number.NaN), /Rotate: rotationDegrees must be a finite number/);
    assert.throws(() => new T.Rotate([1, 2]).call(nd.ones([3, 4, 4])), /Rotate: a single CHW image takes one angle/);
    assert.throws(() => new T.Rotate([1, 2, 3]).call(nd.ones([2, 3, 4, 4])), /Rotate: 3 angles for 2 images/);
    assert.throws(() => new T.Rotate(10).call(nd.ones([3, 1, 4])), /Rotate: the image of shape \[3, 1, 4\] must be at least 2 pixels high and wide/);
    assert.throws(() => new T.RandomRotation([20, -20]), /RandomRotation: angleLimits must be ordered, lower < upper, got \[20,-20\]/);
    assert.throws(() => new T.RandomRotation([0, 1], { rotateWithProba: 1.5 }), /RandomRotation: rotateWithProba must be a probability in \[0, 1\], got 1.5/);
    assert.throws(() => new T.RandomRotation([0, 1], { zoomIn: 1 } as never), /RandomRotation: zoomIn must be true or false/);
    assert.equal(String(new T.RandomRotation([-5, 5], { zoomOut: true })), 'RandomRotation(angleLimits=[-5,5], zoomIn=false, zoomOut=true, rotateWithProba=1)');
  });
});
