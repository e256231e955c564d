/**
 * HybridCompose, RandomApply and HybridRandomApply (MXNet 2's
 * transforms/__init__.py), and ToTensor / Normalize / Cast as HybridBlocks:
 * values against numpy's to_tensor / normalize, draws against the seeded
 * stream (apply when u <= p, MXNet's `if p < random.random(): return x`).
 */
import assert from 'node:assert/strict';
import { nd, gluon, random } from 'gluonc';
import { numpyRefs } from '../../../helpers/numpy.js';
import { nextFloat } from '../../../../compiler/ops/rng.js';
import { flat } from '../../../helpers/images.js';

const { transforms: T } = gluon.data.vision;

describe('gluon.data.vision.transforms: HybridCompose, RandomApply, HybridRandomApply', () => {
  const img = nd.array(Array.from({ length: 4 * 5 * 3 }, (_v, i) => (i * 37) % 256), { shape: [4, 5, 3], dtype: 'uint8' });
  const [ref] = numpyRefs([
    { code: '(np.transpose(a, (2, 0, 1)).astype(np.float32) / 255 - np.array([0.1, 0.2, 0.3], np.float32).reshape(3, 1, 1)) / np.array([0.5, 0.25, 2], np.float32).reshape(3, 1, 1)', inputs: [{ shape: [4, 5, 3], dtype: 'uint8', data: flat(img) }] },
  ]);

  it('HybridCompose runs ToTensor and Normalize as one hybridized graph, equal to numpy and to Compose', () => {
    const steps = () => [new T.ToTensor(), new T.Normalize([0.1, 0.2, 0.3], [0.5, 0.25, 2])];
    const hc = new T.HybridCompose(steps());
    assert.ok(hc.hybridized);
    for (const x of [img, nd.stack(img, img)]) {
      const y = hc.call(x) as nd.NDArray;
      assert.equal(y.dtype, 'float32');
      const want = ref!.outs[0]!.data as number[];
      flat(y).forEach((v, i) => assert.ok(Math.abs(v - want[i % want.length]!) < 1e-5, `[${i}] ${v} vs ${want[i % want.length]}`));
      assert.deepEqual(flat(y), flat(new T.Compose(steps()).call(x) as nd.NDArray));
    }
    assert.deepEqual((new T.HybridCompose([new T.Cast('float64')]).call(img) as nd.NDArray).dtype, 'float64');
  });

  it('RandomApply: p = 1 always, p = 0 never, about p of seeded draws; a list is composed, a function accepted; extra arguments pass through', () => {
    const x = nd.ones([2, 3, 3]);
    const double = (v: nd.NDArray) => v.mul(2);
    assert.deepEqual(flat(new T.RandomApply(double, 1).call(x) as nd.NDArray), new Array(18).fill(2));
    assert.deepEqual(flat(new T.RandomApply(double, 0).call(x) as nd.NDArray), new Array(18).fill(1));
    assert.deepEqual(flat(new T.RandomApply([double, new T.Normalize(1, 0.5)], 1).call(x) as nd.NDArray), new Array(18).fill(2)); // (2 - 1) / 0.5
    const t = new T.RandomApply({ transforms: new T.Normalize(0, 0.5), p: 0.3 });
    random.seed(4);
    const got = Array.from({ length: 500 }, () => flat(t.call(x) as nd.NDArray)[0]);
    random.seed(4);
    const want = Array.from({ length: 500 }, () => (0.3 < nextFloat() ? 1 : 2));
    assert.deepEqual(got, want);
    const applied = got.filter((v) => v === 2).length;
    assert.ok(applied > 110 && applied < 190, `${applied} of 500 applied`);
    const [y, label] = new T.RandomApply(double, 1).call(x, 7) as [nd.NDArray, number];
    assert.deepEqual([flat(y)[0], label], [2, 7]);
  });

  it('HybridRandomApply: the seeded host draw eagerly and hybridized (the same sequence), the graph draw inside a hybridized HybridCompose', () => {
    const x = nd.ones([3, 4, 4]);
    const seq = (b: gluon.Block) => {
      random.seed(6);
      return Array.from({ length: 300 }, () => flat(b.call(x) as nd.NDArray)[0]);
    };
    const eager = seq(new T.HybridRandomApply(new T.Normalize(0, 0.5), 0.3));
    random.seed(6);
    assert.deepEqual(eager, Array.from({ length: 300 }, () => (0.3 < nextFloat() ? 1 : 2)));
    assert.deepEqual(seq(new T.HybridRandomApply(new T.Normalize(0, 0.5), 0.3).hybridize()), eager);
    // Inside a compiled graph: p = 1 selects the transform, p = 0 the input, and p = 0.5 about half (onnxruntime's draws).
    const inGraph = (p: number) => new T.HybridCompose([new T.Cast('float32'), new T.HybridRandomApply(new T.Normalize(0, 0.5), p)]);
    assert.deepEqual(flat(inGraph(1).call(x) as nd.NDArray), new Array(48).fill(2));
    assert.deepEqual(flat(inGraph(0).call(x) as nd.NDArray), new Array(48).fill(1));
    const half = inGraph(0.5);
    const outs = Array.from({ length: 200 }, () => flat(half.call(x) as nd.NDArray));
    assert.ok(outs.every((o) => o.every((v) => v === o[0])), 'one draw for the whole image');
    const n = outs.filter((o) => o[0] === 2).length;
    assert.ok(n > 60 && n < 140, `${n} of 200 applied`);
  });

  it('refuses what MXNet refuses, naming it', () => {
    assert.throws(() => new T.HybridCompose([new T.ToTensor(), new T.Resize(4) as never]), /HybridCompose: transform 1 \(Resize\) is not a HybridBlock; use Compose instead/);
    assert.throws(() => new T.HybridRandomApply(new T.RandomFlipLeftRight() as never), /HybridRandomApply: transforms must be a HybridBlock \(HybridCompose for several\), got RandomFlipLeftRight; use RandomApply instead/);
    assert.throws(() => new T.RandomApply((v: nd.NDArray) => v, 1.5), /RandomApply: p must be a probability in \[0, 1\], got 1.5/);
    assert.throws(() => new T.RandomApply(3 as never), /RandomApply: transforms must be a block, a function or a list of them, got 3/);
    assert.throws(() => new T.HybridRandomApply(new T.ToTensor(), -0.1), /HybridRandomApply: p must be a probability in \[0, 1\], got -0.1/);
    assert.throws(() => new T.HybridCompose([new T.HybridRandomApply(new T.Cast('float64'), 1)]).call(nd.ones([2, 3, 3])), /HybridRandomApply: traced in a hybridized block both branches are computed, so the transform must keep the input's shape and dtype: float32\[2, 3, 3\] became float64\[2, 3, 3\]/);
    assert.throws(() => new T.HybridCompose([new T.ToTensor()]).call(nd.ones([4, 4])), /ToTensor: expected a HWC image or a batch of them \(3 or 4 dims\), got shape \[4, 4\]/);
  });
});
