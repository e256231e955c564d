/**
 * A subclass that overrides `forward` of a HybridBlock whose `hybridForward`
 * it inherits (d2l's `MaskedSoftmaxCELoss(gluon.loss.SoftmaxCELoss)`, a
 * `Dense` with a wrapper `forward`): as in Gluon, `call` runs the subclass's
 * `forward`, and its `super.forward(...)` runs the inherited
 * `hybridForward` — eagerly, hybridized, and under autograd. References:
 * d2l's printed loss `[2.3025851, 1.1512926, 0]` and the masked
 * cross-entropy and its gradient written out in numpy float64.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, np, npx, random } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

/** d2l's MaskedSoftmaxCELoss (chapter "Sequence to Sequence Learning", MXNet edition), line by line. */
class MaskedSoftmaxCELoss extends gluon.loss.SoftmaxCrossEntropyLoss {
  override forward(pred: NDArray, label: NDArray, validLen: NDArray): NDArray {
    let weights = np.expandDims(np.onesLike(label), { axis: -1 });
    weights = npx.sequenceMask(weights, validLen, true, { axis: 1 });
    return super.forward(pred, label, weights) as NDArray;
  }
}

describe('a forward override over an inherited hybridForward', () => {
  before(() => random.seed(5));

  it("d2l's MaskedSoftmaxCELoss: its forward runs (valid lengths mask the loss), eager and hybridized", () => {
    for (const hybridize of [false, true]) {
      const loss = new MaskedSoftmaxCELoss();
      if (hybridize) loss.hybridize();
      const l = loss.call(np.ones([3, 4, 10]), np.ones([3, 4]), np.array([4, 2, 0])) as NDArray;
      assert.deepEqual(l.shape, [3]);
      assertClose(flat(l), [Math.log(10), Math.log(10) / 2, 0], `d2l's printed loss (hybridized: ${hybridize})`, 1e-6, 1e-6);
    }
  });

  it('its value and the gradient of pred against numpy float64, eager and hybridized', () => {
    const pred = np.random.normal(0, 2, [2, 5, 7]);
    const label = np.array([[0, 6, 3, 3, 1], [2, 2, 5, 0, 4]]);
    const lens = np.array([3, 5]);
    const [ref] = numpyRefs([{ inputs: [f64(pred), f64(label), f64(lens)], code: `
w = (np.arange(5)[None, :] < c[:, None]).astype(float)
z = a - a.max(-1, keepdims=True)
p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
oh = np.eye(7)[b.astype(int)]
l = (-(np.log((p * oh).sum(-1))) * w).mean(1)
out = [l, (p - oh) * w[..., None] / 5]` }]);
    assert.ok(!ref!.error, ref!.error);
    for (const hybridize of [false, true]) {
      const loss = new MaskedSoftmaxCELoss();
      if (hybridize) loss.hybridize();
      const x = pred.copy();
      x.attachGrad();
      const l = autograd.record(() => loss.call(x, label, lens) as NDArray);
      l.backward();
      assertClose(flat(l), ref!.outs[0]!.data as number[], `loss (hybridized: ${hybridize})`, 1e-5, 1e-6);
      assertClose(flat(x.grad!), ref!.outs[1]!.data as number[], `d loss / d pred (hybridized: ${hybridize})`, 1e-5, 1e-6);
    }
  });

  it('a Dense subclass whose forward doubles super.forward, eager and hybridized, with its weight gradient', () => {
    class Twice extends gluon.nn.Dense {
      override forward(x: NDArray): NDArray {
        return (super.forward(x) as NDArray).mul(2);
      }
    }
    const d = new Twice(3, { inUnits: 2 });
    d.initialize();
    const x = np.array([[1, 2], [3, -1]]);
    const w = flat(d.weight.data());
    const b = flat(d.bias!.data());
    const want = [0, 1].flatMap((i) => [0, 1, 2].map((j) => 2 * (w[2 * j]! * flat(x)[2 * i]! + w[2 * j + 1]! * flat(x)[2 * i + 1]! + b[j]!)));
    for (const hybridize of [false, true]) {
      if (hybridize) d.hybridize();
      const y = autograd.record(() => d.call(x) as NDArray);
      y.backward();
      assertClose(flat(y), want, `Twice (hybridized: ${hybridize})`, 1e-6, 1e-6);
      assertClose(flat(d.weight.grad()), [8, 2, 8, 2, 8, 2], `its weight gradient: 2 * column sums of x ([4, 1]) (hybridized: ${hybridize})`, 1e-6, 1e-6);
    }
  });
});
