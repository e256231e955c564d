/**
 * image's augmenters and CreateAugmenter against python/mxnet/image/image.py,
 * transcribed in numpy (float32, operation by operation as MXNet's NDArray
 * ops run them) and cv2 for the resizes: the deterministic paths
 * (ForceResize, Resize, CenterCrop, ColorNormalize, Cast, HorizontalFlip
 * with p 1 and 0) and the jitters at fixed factors (`adjust`), with pixels
 * at 0 and 255, factors at 0, 1 and the ends of their ranges; random
 * augmenters repeat under one seed and their crops lie inside the image;
 * CreateAugmenter's list and dumps() against image.py's json.dumps.
 */
import assert from 'node:assert/strict';
import { image, nd, random } from 'gluonc';
import { numpyRefs } from '../../../helpers/numpy.js';
import { flat, image as testImage } from '../../../helpers/images.js';
import { runPython } from '../../../helpers/python-server.js';

const input = (x: nd.NDArray) => ({ shape: x.shape, dtype: x.dtype, data: flat(x) });
/** A float32 HWC image holding 0 and 255 (the ends) and a spread of values between. */
function rgb(h: number, w: number, seed: number): nd.NDArray {
  const d = testImage([h, w, 3], 'float32', seed).data() as Float32Array;
  d[0] = 0;
  d[1] = 255;
  d[d.length - 1] = 255;
  d[d.length - 2] = 0;
  return nd.array(d, { shape: [h, w, 3] });
}

function close(got: nd.NDArray, want: { shape: number[]; data: (number | null)[] }, tol: number, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  const g = flat(got);
  const worst = g.reduce((m, v, i) => Math.max(m, Math.abs(v - want.data[i]!) / Math.max(1, Math.abs(want.data[i]!))), 0);
  assert.ok(worst <= tol, `${what}: worst relative difference ${worst}`);
}

// image.py's jitter bodies on a float32 image `a` (MXNet's NDArray arithmetic is float32; a python float scalar is cast to it).
const PY = {
  brightness: 'out = a * np.float32(attrs["alpha"])',
  contrast: `coef = np.array([[[0.299, 0.587, 0.114]]], np.float32); al = attrs["alpha"]
gray = a * coef
gray = np.float32(3.0 * (1.0 - al) / gray.size) * np.sum(gray, dtype=np.float32)
out = a * np.float32(al) + gray`,
  saturation: `coef = np.array([[[0.299, 0.587, 0.114]]], np.float32); al = attrs["alpha"]
gray = np.sum(a * coef, axis=2, keepdims=True, dtype=np.float32) * np.float32(1.0 - al)
out = a * np.float32(al) + gray`,
  hue: `al = attrs["alpha"]
tyiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]])
ityiq = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])
u = np.cos(al * np.pi); w = np.sin(al * np.pi)
bt = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
t = np.dot(np.dot(ityiq, bt), tyiq).T
out = np.dot(a, t.astype(np.float32))`,
  lighting: `eigval = np.array([55.46, 4.794, 1.148]); eigvec = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])
out = a + np.dot(eigvec * np.array(attrs["alpha"]), eigval).astype(np.float32)`,
  gray: 'out = np.dot(a, np.array([[0.21, 0.21, 0.21], [0.72, 0.72, 0.72], [0.07, 0.07, 0.07]], np.float32))',
};
const EIGVAL = [55.46, 4.794, 1.148];
const EIGVEC = [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.814], [-0.5836, -0.6948, 0.4203]];

describe('image augmenters (image.py)', () => {
  it("the jitters at fixed factors equal image.py's formulas (brightness, contrast, saturation, hue, lighting, gray)", () => {
    const x = rgb(5, 7, 3);
    const cases: [string, keyof typeof PY, unknown, () => nd.NDArray][] = [];
    for (const alpha of [0, 0.5, 1, 1.3, 2]) {
      cases.push([`brightness ${alpha}`, 'brightness', alpha, () => new image.BrightnessJitterAug(1).adjust(x, alpha)]);
      cases.push([`contrast ${alpha}`, 'contrast', alpha, () => new image.ContrastJitterAug(1).adjust(x, alpha)]);
      cases.push([`saturation ${alpha}`, 'saturation', alpha, () => new image.SaturationJitterAug(1).adjust(x, alpha)]);
    }
    for (const alpha of [0, 0.1, -0.25, 0.5, -1, 1]) cases.push([`hue ${alpha}`, 'hue', alpha, () => new image.HueJitterAug(1).adjust(x, alpha)]);
    for (const alpha of [[0, 0, 0], [0.1, -0.2, 0.3], [-1, 0.5, 2]] as [number, number, number][]) {
      cases.push([`lighting ${alpha}`, 'lighting', alpha, () => new image.LightingAug(0.1, EIGVAL, EIGVEC).adjust(x, alpha)]);
    }
    cases.push(['gray', 'gray', 0, () => new image.RandomGrayAug(1).adjust(x)]);
    const refs = numpyRefs(cases.map(([, k, alpha]) => ({ code: PY[k], inputs: [input(x)], attrs: { alpha } })));
    cases.forEach(([name, , , run], i) => {
      assert.equal(refs[i]!.error, undefined, refs[i]!.error);
      const got = run();
      assert.equal(got.dtype, 'float32');
      // float32 sums in another order: within a few ulps of 255.
      close(got, refs[i]!.outs[0]!, 2e-5, name);
    });
    // alpha 1 leaves brightness/contrast/saturation exactly as they were; contrast 0 is the mean gray everywhere.
    assert.deepEqual(flat(new image.ContrastJitterAug(1).adjust(x, 1)), flat(x));
    const flatGray = flat(new image.ContrastJitterAug(1).adjust(x, 0));
    assert.ok(flatGray.every((v) => v === flatGray[0]));
    assert.deepEqual(flat(x), flat(rgb(5, 7, 3)), 'the input is left as it was');
  });

  it('the random jitters draw factors in their ranges, repeat under one seed, and RandomGrayAug/HorizontalFlipAug apply with their probability', () => {
    const x = rgb(4, 6, 5);
    const b = new image.BrightnessJitterAug(0.25);
    for (let k = 0; k < 20; k++) {
      const y = flat(b.call(x));
      const ratio = y[1]! / 255;
      assert.ok(ratio >= 0.75 && ratio <= 1.25, `factor ${ratio}`);
    }
    // Fresh lists: ColorJitterAug reorders its own list on each call (image.py's random.shuffle(self.ts)).
    const runs = () => {
      const augs = image.CreateAugmenter([3, 4, 6], { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.2, pcaNoise: 0.1, randGray: 0.5, randMirror: true });
      const run = () => flat(augs.reduce((img, a) => a.call(img), x));
      return [run(), run(), run()];
    };
    random.seed(7);
    const first = runs();
    random.seed(7);
    const again = runs();
    assert.deepEqual(again, first);
    assert.notDeepEqual(first[0], first[1]);
    assert.deepEqual(flat(new image.RandomGrayAug(0).call(x)), flat(x));
    assert.deepEqual(flat(new image.HorizontalFlipAug(0).call(x)), flat(x));
  });

  it("the deterministic augmenters equal numpy/cv2: ForceResize, Resize (shorter edge, both orientations), CenterCrop (inside and upsampling), ColorNormalize, Cast, HorizontalFlip(1)", () => {
    const wide = rgb(6, 9, 11);
    const tall = rgb(9, 6, 12);
    const u8 = testImage([6, 9, 3], 'uint8', 13);
    const cases: [string, string, nd.NDArray, nd.NDArray, number][] = [
      ['ForceResize bilinear', 'out = cv2.resize(a, (5, 4), interpolation=cv2.INTER_LINEAR)', wide, new image.ForceResizeAug([5, 4], 1).call(wide), 1e-5],
      ['ForceResize cubic (default interp 2)', 'out = cv2.resize(a, (13, 11), interpolation=cv2.INTER_CUBIC)', wide, new image.ForceResizeAug([13, 11]).call(wide), 1e-4],
      ['ForceResize area (interp 9, shrinking)', 'out = cv2.resize(a, (4, 3), interpolation=cv2.INTER_AREA)', wide, new image.ForceResizeAug([4, 3], 9).call(wide), 1e-5],
      // resize_short: new_w = size * w // h for a wide image, new_h = size * h // w for a tall one.
      ['Resize wide', 'out = cv2.resize(a, (4 * 9 // 6, 4), interpolation=cv2.INTER_LINEAR)', wide, new image.ResizeAug(4, 1).call(wide), 1e-5],
      ['Resize tall', 'out = cv2.resize(a, (4, 4 * 9 // 6), interpolation=cv2.INTER_LINEAR)', tall, new image.ResizeAug(4, 1).call(tall), 1e-5],
      // center_crop inside the image: the window at int((w - cw) / 2), int((h - ch) / 2), no resize.
      ['CenterCrop inside', 'out = a[int((6 - 3) / 2):int((6 - 3) / 2) + 3, int((9 - 4) / 2):int((9 - 4) / 2) + 4]', wide, new image.CenterCropAug([4, 3]).call(wide), 0],
      ['CenterCrop odd margins', 'out = a[0:6, int((9 - 6) / 2):int((9 - 6) / 2) + 6]', wide, new image.CenterCropAug([6, 6]).call(wide), 0],
      // Larger than the image: scale_down((9, 6), (12, 12)) = (6, 6) at x0 = 1, then cubic up to 12x12.
      ['CenterCrop upsampling', 'out = cv2.resize(a[0:6, 1:7], (12, 12), interpolation=cv2.INTER_CUBIC)', wide, new image.CenterCropAug([12, 12]).call(wide), 1e-4],
      ['ColorNormalize', 'out = (a - np.array([123.68, 116.28, 103.53], np.float32)) / np.array([58.395, 57.12, 57.375], np.float32)', wide,
        new image.ColorNormalizeAug([123.68, 116.28, 103.53], [58.395, 57.12, 57.375]).call(wide), 1e-6],
      ['ColorNormalize mean only', 'out = a - np.float32(100)', wide, new image.ColorNormalizeAug(100, null).call(wide), 0],
      ['Cast', 'out = a.astype(np.float32)', u8, new image.CastAug().call(u8), 0],
      ['HorizontalFlip p=1', 'out = a[:, ::-1]', u8, new image.HorizontalFlipAug(1).call(u8), 0],
    ];
    const refs = numpyRefs(cases.map(([, code, x]) => ({ code: `import cv2\n${code}`, inputs: [input(x)] })));
    cases.forEach(([name, , , got, tol], i) => {
      assert.equal(refs[i]!.error, undefined, `${name}: ${refs[i]!.error}`);
      close(got, refs[i]!.outs[0]!, tol, name);
    });
    assert.equal(new image.CastAug().call(u8).dtype, 'float32');
    assert.equal(new image.HorizontalFlipAug(1).call(u8).dtype, 'uint8');
  });

  it('RandomCropAug and RandomSizedCropAug give the requested size; a RandomCropAug window is a window of the image', () => {
    const x = rgb(10, 12, 21);
    const src = flat(x);
    random.seed(3);
    for (let k = 0; k < 10; k++) {
      const y = new image.RandomCropAug([5, 4]).call(x);
      assert.deepEqual(y.shape, [4, 5, 3]);
      const got = flat(y);
      let found = false;
      for (let y0 = 0; y0 + 4 <= 10 && !found; y0++) {
        for (let x0 = 0; x0 + 5 <= 12 && !found; x0++) {
          found = got.every((v, i) => {
            const [r, c, ch] = [Math.floor(i / 15), Math.floor(i / 3) % 5, i % 3];
            return v === src[((y0 + r) * 12 + x0 + c) * 3 + ch];
          });
        }
      }
      assert.ok(found, 'the crop is a window of the image');
      assert.deepEqual(new image.RandomSizedCropAug([7, 6], 0.08, [3 / 4, 4 / 3]).call(x).shape, [6, 7, 3]);
      assert.deepEqual(new image.RandomSizedCropAug([7, 6], [0.5, 1], [1, 1]).call(x).shape, [6, 7, 3]);
    }
  });

  it("CreateAugmenter lists image.py's augmenters in its order, and dumps() equals image.py's json.dumps", () => {
    const names = (l: image.Augmenter[]) => l.map((a) => a.constructor.name);
    assert.deepEqual(names(image.CreateAugmenter([3, 224, 224])), ['CenterCropAug', 'CastAug']);
    const all = image.CreateAugmenter([3, 224, 200], {
      resize: 256, randCrop: true, randResize: true, randMirror: true, mean: true, std: true, brightness: 0.1, contrast: 0.2, saturation: 0.3, hue: 0.4, pcaNoise: 0.05, randGray: 0.1, interMethod: 1,
    });
    assert.deepEqual(names(all), ['ResizeAug', 'RandomSizedCropAug', 'HorizontalFlipAug', 'CastAug', 'ColorJitterAug', 'HueJitterAug', 'LightingAug', 'RandomGrayAug', 'ColorNormalizeAug']);
    assert.deepEqual(names(image.CreateAugmenter([3, 32, 32], { randCrop: true, contrast: 0.1, mean: [1, 2, 3] })), ['RandomCropAug', 'CastAug', 'ColorJitterAug', 'ColorNormalizeAug']);
    // Positional, in MXNet's order: data_shape, resize, rand_crop.
    assert.deepEqual(names(image.CreateAugmenter([3, 32, 32], 40, true)), ['ResizeAug', 'RandomCropAug', 'CastAug']);
    const py = String.raw`
import json
eigval = [55.46, 4.794, 1.148]
eigvec = [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]
out = [json.dumps(['resizeaug', {'size': 256, 'interp': 1}]),
  json.dumps(['randomsizedcropaug', {'size': (200, 224), 'area': 0.08, 'ratio': (3.0 / 4.0, 4.0 / 3.0), 'interp': 1}]),
  json.dumps(['horizontalflipaug', {'p': 0.5}]), json.dumps(['castaug', {'type': 'float32'}]),
  json.dumps(['huejitteraug', {'hue': 0.4}]), json.dumps(['lightingaug', {'alphastd': 0.05, 'eigval': eigval, 'eigvec': eigvec}]),
  json.dumps(['randomgrayaug', {'p': 0.1}]), json.dumps(['colornormalizeaug', {'mean': [123.68, 116.28, 103.53], 'std': [58.395, 57.12, 57.375]}]),
  json.dumps(['brightnessjitteraug', {'brightness': 0.1}])]
print(json.dumps(out))`;
    const r = runPython(py);
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as string[];
    const dumps = all.map((a) => a.dumps());
    assert.deepEqual([dumps[0], dumps[1], dumps[2], dumps[3], dumps[5], dumps[6], dumps[7], dumps[8]], want.slice(0, 8));
    const jitter = dumps[4] as [string, string[]];
    assert.equal(jitter[0], 'colorjitteraug');
    assert.ok(jitter[1].includes(want[8]!), 'ColorJitterAug dumps its members');
  });

  it('refuses bad arguments with Errors naming them', () => {
    assert.throws(() => image.CreateAugmenter([224, 224]), /CreateAugmenter: dataShape must be 3 positive integers.*224,224/);
    assert.throws(() => image.CreateAugmenter([3, 32, 32], { randResize: true }), /randResize needs randCrop/);
    assert.throws(() => image.CreateAugmenter([3, 32, 32], { mean: [1, 2] }), /ColorNormalizeAug: mean must be .* 1 or 3 numbers/);
    assert.throws(() => image.CreateAugmenter([3, 32, 32], { randMirr: true } as never), /randMirr/);
    assert.throws(() => new image.BrightnessJitterAug(-1), /BrightnessJitterAug: brightness must be a number >= 0, got -1/);
    const u8 = testImage([4, 4, 3], 'uint8', 1);
    assert.throws(() => new image.HueJitterAug(0.1).call(u8), /HueJitterAug: expects a float32 or float64 image \(put CastAug before it.*got uint8/);
    assert.throws(() => new image.ColorNormalizeAug(1, 2).call(u8), /ColorNormalizeAug: expects a float32 image/);
    assert.throws(() => new image.LightingAug(0.1, [1, 2], EIGVEC), /LightingAug: eigval must be 3 numbers/);
    assert.throws(() => new image.RandomGrayAug(1).call(nd.zeros([4, 4, 1])), /RandomGrayAug: expected 3 channels/);
    assert.throws(() => new image.SequentialAug([1 as never]), /SequentialAug: ts must be a list of augmenters/);
    assert.throws(() => new image.HorizontalFlipAug(2), /HorizontalFlipAug: p must be a probability in \[0, 1\], got 2/);
    assert.throws(() => new image.ResizeAug({ size: 4, interpolation: 1 } as never), /ResizeAug.*interpolation/);
    assert.throws(() => new (image.ResizeAug as new () => unknown)(), /ResizeAug: missing required argument 'size'/);
  });

  it("takes MXNet's parameters positionally or by name, as image.py's keyword arguments", () => {
    const x = rgb(6, 9, 2);
    assert.deepEqual(flat(new image.ResizeAug({ size: 4, interp: 1 }).call(x)), flat(new image.ResizeAug(4, 1).call(x)));
    assert.deepEqual(new image.RandomSizedCropAug([5, 4], { area: [0.5, 1], ratio: [1, 1] }).dumps(), '["randomsizedcropaug", {"size": [5, 4], "area": [0.5, 1], "ratio": [1, 1], "interp": 2}]');
    assert.deepEqual(new image.ColorNormalizeAug({ mean: 1, std: null }).dumps(), '["colornormalizeaug", {"mean": 1, "std": null}]');
    assert.deepEqual(new image.CastAug({ typ: 'float64' }).call(x).dtype, 'float64');
    assert.deepEqual(new image.ColorJitterAug({ brightness: 0.1, contrast: 0, saturation: 0.2 }).ts.map((t) => t.constructor.name), ['BrightnessJitterAug', 'SaturationJitterAug']);
  });
});
