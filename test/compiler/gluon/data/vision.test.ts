import assert from 'node:assert/strict';
import { nd, gluon } from 'gluonc';
import { numpyRefs } from '../../../helpers/numpy.js';

const { transforms } = gluon.data.vision;
const { ArrayDataset, DataLoader } = gluon.data;

const flat = (a: nd.NDArray): number[] => Array.from(a.data() as Float32Array);

describe('gluon.data.vision.transforms', () => {
  // References: MXNet's to_tensor (HWC -> CHW, / 255) and normalize ((x - mean) / std per channel), written in numpy.
  const img = nd.array(Array.from({ length: 4 * 3 * 2 }, (_v, i) => (i * 37) % 256), { shape: [4, 3, 2], dtype: 'uint8' });
  const batch = nd.array(Array.from({ length: 2 * 4 * 3 * 2 }, (_v, i) => (i * 53) % 256), { shape: [2, 4, 3, 2], dtype: 'uint8' });
  const [r1, r2, r3] = numpyRefs([
    { code: 'np.transpose(a, (2, 0, 1)).astype(np.float32) / 255', inputs: [{ shape: [4, 3, 2], dtype: 'uint8', data: Array.from(img.data() as Uint8Array) }] },
    { code: 'np.transpose(a, (0, 3, 1, 2)).astype(np.float32) / 255', inputs: [{ shape: [2, 4, 3, 2], dtype: 'uint8', data: Array.from(batch.data() as Uint8Array) }] },
    {
      code: 't = np.transpose(a, (0, 3, 1, 2)).astype(np.float32) / 255; out = (t - np.array([0.5, 0.25], np.float32).reshape(2, 1, 1)) / np.array([0.2, 0.4], np.float32).reshape(2, 1, 1)',
      inputs: [{ shape: [2, 4, 3, 2], dtype: 'uint8', data: Array.from(batch.data() as Uint8Array) }],
    },
  ]);

  it('ToTensor: HWC and NHWC uint8 to float32 CHW / NCHW in [0, 1], as MXNet', () => {
    const t = new transforms.ToTensor().call(img) as nd.NDArray;
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.shape, [2, 4, 3]);
    flat(t).forEach((v, i) => assert.ok(Math.abs(v - (r1!.outs[0]!.data[i] as number)) < 1e-7, `[${i}]`));
    const tb = new transforms.ToTensor().call(batch) as nd.NDArray;
    assert.deepEqual(tb.shape, [2, 2, 4, 3]);
    flat(tb).forEach((v, i) => assert.ok(Math.abs(v - (r2!.outs[0]!.data[i] as number)) < 1e-7, `[${i}]`));
  });

  it('Normalize per channel and Compose in a DataLoader through transformFirst (a block, as MXNet passes it)', () => {
    const pipeline = new transforms.Compose([new transforms.ToTensor(), new transforms.Normalize([0.5, 0.25], [0.2, 0.4])]);
    const ds = new ArrayDataset(batch, nd.array([3, 7])).transformFirst(pipeline);
    const [[x, y]] = [...new DataLoader(ds, { batchSize: 2 })] as nd.NDArray[][];
    assert.deepEqual(x!.shape, [2, 2, 4, 3]);
    flat(x!).forEach((v, i) => assert.ok(Math.abs(v - (r3!.outs[0]!.data[i] as number)) < 1e-5, `[${i}]`));
    assert.deepEqual(y!.toArray(), [3, 7]);
    // One mean/std for every channel; a function in Compose.
    const one = new transforms.Compose([new transforms.Cast('float32'), (v: nd.NDArray) => v.div(2), new transforms.Normalize(1, 2)]).call(nd.array([[[2, 6]]])) as nd.NDArray;
    assert.deepEqual(one.toArray(), [[[0, 1]]]);
  });

  it('refuses shapes, channel counts and options that do not fit, naming them', () => {
    assert.throws(() => new transforms.ToTensor().call(nd.ones([28, 28])), /ToTensor: expected a HWC image or a batch of them \(3 or 4 dims\), got shape \[28, 28\]/);
    assert.throws(() => new transforms.Normalize([0.5, 0.5, 0.5], 1).call(nd.ones([2, 4, 4])), /Normalize: mean has 3 values but the image of shape \[2, 4, 4\] has 2 channels \(CHW\)/);
    assert.throws(() => new transforms.Normalize(0, 1).call(nd.ones([1, 2, 2], { dtype: 'uint8' })), /Normalize: expected a float image \(ToTensor first\), got uint8/);
    assert.throws(() => new transforms.Normalize(0, 0), /Normalize: std must not be 0/);
    assert.throws(() => new transforms.Normalize([] as never, 1), /Normalize: mean must be a number or a non-empty list of numbers/);
    assert.throws(() => new transforms.Compose([42 as never]), /Compose: transform 0 is not a block or a function/);
    assert.throws(() => new transforms.Cast('complex' as never), /complex/);
    assert.throws(() => new ArrayDataset(batch).transformFirst(7 as never), /Dataset\.transformFirst: expected a function or a block, got number/);
  });
});
