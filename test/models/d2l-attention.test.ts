/**
 * d2l's attention-scoring chapter (MXNet edition) in models/d2l/attention.ts:
 * masked softmax, additive and scaled dot-product attention, against d2l's
 * printed outputs (equal keys: the mean of the valid values, a closed form)
 * and a numpy float64 reference on random keys.
 */
import assert from 'node:assert/strict';
import { np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { AdditiveAttention, DotProductAttention, maskedSoftmax } from '../../models/d2l/attention.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

function numpy(code: string, inputs: NDArray[]): number[] {
  const [r] = numpyRefs([{ code, inputs: inputs.map(f64) }]);
  assert.ok(!r!.error, r!.error);
  return r!.outs[0]!.data as number[];
}

/** numpy's masked softmax over the last axis: positions >= the valid length weigh 0. */
const NP_MASKED = `
def masked(s, lens):
    lens = np.broadcast_to(lens.reshape(lens.shape + (1,) * (s.ndim - 1 - lens.ndim)), s.shape[:-1]) if lens.ndim < s.ndim - 1 else lens
    keep = np.arange(s.shape[-1]) < lens[..., None]
    e = np.where(keep, np.exp(s - s.max(axis=-1, keepdims=True)), 0)
    return e / e.sum(axis=-1, keepdims=True)
`;

describe('models/d2l: attention scoring', () => {
  before(() => random.seed(21));

  it('maskedSoftmax: 1-D and 2-D valid lengths against numpy; no lengths is a plain softmax', () => {
    const X = np.random.uniform({ size: [2, 2, 4] });
    const one = maskedSoftmax(X, np.array([2, 3]));
    assertClose(flat(one), numpy(`${NP_MASKED}\nout = masked(a, np.array([2, 3]))`, [X]), 'valid lengths [2, 3]', 1e-5, 1e-6);
    assert.deepEqual(flat(one).filter((_v, i) => (i < 8 ? i % 4 >= 2 : i % 4 >= 3)), [0, 0, 0, 0, 0, 0]);
    const two = maskedSoftmax(X, np.array([[1, 3], [2, 4]]));
    assertClose(flat(two), numpy(`${NP_MASKED}\nout = masked(a, np.array([[1, 3], [2, 4]]))`, [X]), 'valid lengths [[1, 3], [2, 4]]', 1e-5, 1e-6);
    assertClose(flat(maskedSoftmax(X)), numpy(`${NP_MASKED}\nout = masked(a, np.full((2, 2), 4))`, [X]), 'no lengths', 1e-5, 1e-6);
  });

  it("AdditiveAttention and DotProductAttention give d2l's printed [[2, 3, 4, 5]], [[10, 11, 12, 13]] (equal keys: the mean of the valid values)", () => {
    const keys = np.ones([2, 10, 2]);
    const values = np.arange(40).reshape(1, 10, 4).repeat(2, { axis: 0 });
    const validLens = np.array([2, 6]);
    const additive = new AdditiveAttention(8, 0.1);
    additive.initialize();
    const a = additive.call(np.random.normal(0, 1, [2, 1, 20]), keys, values, validLens) as NDArray;
    assert.deepEqual(a.shape, [2, 1, 4]);
    assertClose(flat(a), [2, 3, 4, 5, 10, 11, 12, 13], 'additive attention', 1e-4, 1e-5);
    const weights = flat(additive.attentionWeights!);
    assertClose(weights, [...[0.5, 0.5], ...new Array(8).fill(0), ...new Array(6).fill(1 / 6), ...new Array(4).fill(0)], 'its weights', 1e-5, 1e-6);
    const dot = new DotProductAttention(0.5);
    dot.initialize();
    assertClose(flat(dot.call(np.random.normal(0, 1, [2, 1, 2]), keys, values, validLens) as NDArray), [2, 3, 4, 5, 10, 11, 12, 13], 'dot-product attention', 1e-4, 1e-5);
  });

  it('both against numpy on random keys and queries', () => {
    const [q, k, v] = [np.random.normal(0, 1, [2, 3, 5]), np.random.normal(0, 1, [2, 6, 5]), np.random.normal(0, 1, [2, 6, 4])];
    const lens = np.array([3, 5]);
    const dot = new DotProductAttention(0);
    dot.initialize();
    assertClose(flat(dot.call(q, k, v, lens) as NDArray), numpy(`${NP_MASKED}\nout = masked(a @ b.transpose(0, 2, 1) / np.sqrt(5), np.array([3, 5])) @ c`, [q, k, v]), 'dot-product vs numpy', 1e-4, 1e-5);
    const add = new AdditiveAttention(7, 0);
    add.initialize();
    const y = add.call(q, k, v, lens) as NDArray;
    const w = (n: string) => add.collectParams().get(n).data();
    const ref = numpy(`${NP_MASKED}
feat = np.tanh((a @ d.T)[:, :, None, :] + (b @ e.T)[:, None, :, :])
out = masked((feat @ f.T)[..., 0], np.array([3, 5])) @ c`, [q, k, v, w('W_q.weight'), w('W_k.weight'), w('w_v.weight')]);
    assertClose(flat(y), ref, 'additive vs numpy', 1e-4, 1e-5);
  });
});
