/**
 * d2l's "Image Augmentation" and "Fine-Tuning" chapters (MXNet edition):
 * the chapters' `augs` / `test_augs` pipelines on a seeded synthetic uint8
 * image, through `transformFirst` and a `DataLoader`, training a tiny
 * network a couple of steps.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, random } from 'gluonc';

const { transforms } = gluon.data.vision;
const { nn } = gluon;

/** A seeded uint8 "photo": smooth color gradients plus noise, HWC. */
function photo(h: number, w: number, seed: number): nd.NDArray {
  random.seed(seed);
  const noise = nd.random.uniform(0, 40, [h, w, 3]).data() as Float32Array;
  const v = Array.from({ length: h * w * 3 }, (_x, i) => {
    const [y, x, c] = [Math.floor(i / (w * 3)), Math.floor(i / 3) % w, i % 3];
    return Math.min(255, Math.floor((c === 0 ? (255 * y) / h : c === 1 ? (255 * x) / w : 128) * 0.8 + noise[i]!));
  });
  return nd.array(v, { shape: [h, w, 3], dtype: 'uint8' });
}

describe("d2l's image augmentation and fine-tuning pipelines (gluon.data.vision.transforms)", () => {
  const normalize = new transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

  it("the chapter's augs: flips, RandomResizedCrop, brightness, hue, color jitter, ToTensor, Normalize; seeded, repeatable", () => {
    const augs = new transforms.Compose([
      new transforms.RandomFlipLeftRight(),
      new transforms.RandomFlipTopBottom(),
      new transforms.RandomResizedCrop([200, 200], { scale: [0.1, 1], ratio: [0.5, 2] }),
      new transforms.RandomBrightness(0.5),
      new transforms.RandomHue(0.5),
      new transforms.RandomColorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.5 }),
      new transforms.ToTensor(),
      normalize,
    ]);
    const img = photo(120, 160, 1);
    random.seed(7);
    const a = augs.call(img) as nd.NDArray;
    assert.deepEqual(a.shape, [3, 200, 200]);
    assert.equal(a.dtype, 'float32');
    random.seed(7);
    assert.deepEqual(Array.from((augs.call(img) as nd.NDArray).data() as Float32Array), Array.from(a.data() as Float32Array));
    const b = augs.call(img) as nd.NDArray;
    assert.notDeepEqual(Array.from(b.data() as Float32Array), Array.from(a.data() as Float32Array));
    // The fine-tuning chapter's test_augs: Resize(256) (a square, keep_ratio False), CenterCrop(224).
    const testAugs = new transforms.Compose([new transforms.Resize(256), new transforms.CenterCrop(224), new transforms.ToTensor(), normalize]);
    assert.deepEqual((testAugs.call(img) as nd.NDArray).shape, [3, 224, 224]);
  });

  it('transformFirst(augs) feeds a DataLoader that trains a tiny net two steps, loss finite and falling on the batch', () => {
    const augs = new transforms.Compose([
      new transforms.RandomFlipLeftRight(),
      new transforms.RandomResizedCrop(24, { scale: [0.3, 1] }),
      new transforms.RandomColorJitter({ brightness: 0.3, contrast: 0.3, saturation: 0.3 }),
      new transforms.RandomLighting(0.1),
      new transforms.ToTensor(),
      normalize,
    ]);
    const images = nd.stack(...Array.from({ length: 8 }, (_v, i) => photo(32, 40, 10 + i)));
    const labels = nd.array([0, 1, 0, 1, 1, 0, 1, 0]);
    const ds = new gluon.data.ArrayDataset(images, labels).transformFirst(augs);
    random.seed(3);
    const loader = new gluon.data.DataLoader(ds, { batchSize: 4, shuffle: true });
    const net = new nn.HybridSequential();
    net.add(new nn.Conv2D(4, 3, { activation: 'relu' }), new nn.GlobalAvgPool2D(), new nn.Dense(2));
    net.initialize();
    net.hybridize();
    const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
    let steps = 0;
    for (const [x, y] of loader as Iterable<[nd.NDArray, nd.NDArray]>) {
      assert.deepEqual(x.shape, [4, 3, 24, 24]);
      const before = lossFn.call(net.call(x), y) as nd.NDArray;
      let loss!: nd.NDArray;
      autograd.record(() => {
        loss = lossFn.call(net.call(x), y) as nd.NDArray;
      });
      loss.backward();
      trainer.step(4);
      const after = (lossFn.call(net.call(x), y) as nd.NDArray).mean().item();
      assert.ok(Number.isFinite(after));
      assert.ok(after < before.mean().item(), `step ${steps}: ${before.mean().item()} -> ${after}`);
      steps++;
    }
    assert.equal(steps, 2);
  });
});
