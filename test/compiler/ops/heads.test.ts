/**
 * MXNet's training heads (compiler/ops/heads.ts): the data gradient against
 * numpy float64 re-implementations of MXNet's Backward (softmax_output-inl.h,
 * mshadow's SoftmaxGrad/SmoothSoftmaxGrad, regression_output-inl.h,
 * make_loss-inl.h), and against finite differences of the loss where the
 * head's gradient is a true derivative (SoftmaxOutput with 'null'
 * normalization is d/dx of the cross entropy; LinearRegressionOutput of
 * sum((x - y)^2) / 2 / num_output). Fixed samples at ties (equal logits, x =
 * label for MAE's sign) and at ignore_label.
 */
import assert from 'node:assert/strict';
import { nd, autograd } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs, type NumpyJob } from '../../helpers/numpy.js';

const PY_HEADS = String.raw`
def softmax(x, ax):
    e = np.exp(x - x.max(ax, keepdims=True)); return e / e.sum(ax, keepdims=True)
def so_grad(x, label, gs=1.0, ign=-1.0, multi=False, use_ign=False, preserve=False, norm='null', smooth=0.0):
    if label.shape == x.shape:
        p = softmax(x.reshape(x.shape[0], -1), 1).reshape(x.shape) if not (multi or preserve) else softmax(x, 1 if multi else -1)
        return (p - label) * gs
    if multi:
        n, k = x.shape[0], x.shape[1]; x3 = x.reshape(n, k, -1)
    else:
        k = x.shape[-1] if preserve else int(x.size / x.shape[0]); x3 = x.reshape(-1, k, 1)
    p = softmax(x3, 1); g = p.copy(); n, d = x3.shape[0], x3.shape[2]
    lab = np.trunc(label.reshape(-1)).astype(int).reshape(n, d)
    for i in range(n):
        for j in range(d):
            l = int(lab[i, j])
            if use_ign and l == int(ign): g[i, :, j] = 0; continue
            if smooth > 0:
                g[i, :, j] -= smooth / (k - 1)
                if 0 <= l < k: g[i, l, j] += smooth / (k - 1) - (1 - smooth)
            elif 0 <= l < k: g[i, l, j] -= 1
    cnt = max(int((lab != int(ign)).sum()), 1)
    if multi:
        g *= gs / (cnt if norm == 'valid' else d * n if norm == 'batch' else d)
    else:
        g *= gs / (cnt if norm == 'valid' else label.size if norm == 'batch' else 1)
    return g.reshape(x.shape)
`;

function ref(code: string, inputs: NDArray[]): number[] {
  const job: NumpyJob = { code: PY_HEADS + code, inputs: inputs.map((x) => ({ shape: x.shape, dtype: 'float64', data: Array.from(x.data() as ArrayLike<number>) })) };
  const [r] = numpyRefs([job]);
  assert.ok(!r!.error, r!.error);
  return r!.outs[0]!.data as number[];
}

/** The data's gradient through the eager tape, with a random head gradient (the head ignores it). */
function gradOf(op: string, x: NDArray, label: NDArray | null, opts: object = {}, head?: NDArray): { out: NDArray; grad: NDArray } {
  const xx = x.copy();
  xx.attachGrad();
  const f = (nd as unknown as Record<string, (...a: unknown[]) => NDArray>)[op]!;
  const out = autograd.record(() => (label ? f(xx, label, opts) : f(xx, opts)));
  out.backward(head ?? nd.random.uniform(-3, 3, out.shape, { dtype: out.dtype }));
  return { out, grad: xx.grad! };
}

const f64 = (values: number[], shape: number[]) => nd.array(values, { shape, dtype: 'float64' });
const rnd = (shape: number[]) => nd.random.uniform(-2, 2, shape, { dtype: 'float64' });
const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);

describe('training heads (MXNet Backward)', () => {
  describe('SoftmaxOutput', () => {
    // Row 1 ties (equal logits), row 2 has ignore_label -1, row 3 a label of 2.
    const x = f64([0.5, 0.5, 0.5, 0.5, 1, -2, 0.3, 0.7, 2, 0, -1, 1.5], [3, 4]);
    const y = f64([1, -1, 2], [3]);
    for (const normalization of ['null', 'batch', 'valid']) {
      for (const useIgnore of [false, true]) {
        it(`rows: normalization '${normalization}', useIgnore ${useIgnore}, gradScale 1.5`, () => {
          const opts = { normalization, useIgnore, gradScale: 1.5 };
          const { grad } = gradOf('SoftmaxOutput', x, y, opts);
          assertClose(flat(grad), ref(`out = so_grad(a, b, 1.5, -1.0, False, ${useIgnore ? 'True' : 'False'}, False, '${normalization}')`, [x, y]), `SoftmaxOutput ${JSON.stringify(opts)}`, 1e-9, 1e-12);
          if (useIgnore) assert.deepEqual(flat(grad).slice(4, 8), [0, 0, 0, 0], 'the ignored row gets no gradient');
        });
      }
    }
    it('multiOutput [N, C, d]: label [N, d] or [N, 1, d], each normalization', () => {
      const xm = rnd([2, 3, 4]);
      const ym = f64([0, 1, 2, -1, 2, 2, 0, 1], [2, 4]);
      for (const normalization of ['null', 'batch', 'valid']) {
        for (const lab of [ym, ym.reshape([2, 1, 4])]) {
          const { grad } = gradOf('SoftmaxOutput', xm, lab, { multiOutput: true, useIgnore: true, normalization });
          assertClose(flat(grad), ref(`out = so_grad(a, b, 1.0, -1.0, True, True, False, '${normalization}')`, [xm, lab]), `multiOutput ${normalization} label [${lab.shape}]`, 1e-9, 1e-12);
        }
      }
    });
    it('multiOutput of 4-d data (spatial [N, C, H, W]) with label [N, H, W]', () => {
      const xm = rnd([2, 3, 2, 2]);
      const ym = f64([0, 1, 2, 2, 1, 0, 0, 1], [2, 2, 2]);
      const { grad } = gradOf('SoftmaxOutput', xm, ym, { multiOutput: true, normalization: 'batch' });
      assertClose(flat(grad), ref("out = so_grad(a, b, 1.0, -1.0, True, False, False, 'batch')", [xm, ym]), 'multiOutput 4-d', 1e-9, 1e-12);
    });
    it('preserveShape: softmax over the last axis, one label per row', () => {
      const xp = rnd([2, 3, 4]);
      const yp = f64([3, 0, 1, 2, 2, 0], [2, 3]);
      const { out, grad } = gradOf('SoftmaxOutput', xp, yp, { preserveShape: true, normalization: 'valid' });
      assertClose(flat(grad), ref("out = so_grad(a, b, 1.0, -1.0, False, False, True, 'valid')", [xp, yp]), 'preserveShape', 1e-9, 1e-12);
      assertClose(flat(out), ref('out = softmax(a, -1)', [xp]), 'preserveShape forward', 1e-9, 1e-12);
    });
    it('probabilities as the label: (p - label) * gradScale, not normalized', () => {
      const yp = f64([0.25, 0.25, 0.25, 0.25, 0, 1, 0, 0, 0.5, 0, 0.5, 0], [3, 4]);
      const { grad } = gradOf('SoftmaxOutput', x, yp, { gradScale: 2, normalization: 'batch' });
      assertClose(flat(grad), ref("out = so_grad(a, b, 2.0, -1.0, False, False, False, 'batch')", [x, yp]), 'probability label', 1e-9, 1e-12);
    });
    it('smoothAlpha: 1 - alpha on the label, alpha / (k - 1) elsewhere', () => {
      const { grad } = gradOf('SoftmaxOutput', x, y, { smoothAlpha: 0.1, useIgnore: true });
      assertClose(flat(grad), ref("out = so_grad(a, b, 1.0, -1.0, False, True, False, 'null', 0.1)", [x, y]), 'smoothAlpha', 1e-9, 1e-12);
    });
    it("with 'null' normalization it is the cross entropy's derivative (finite differences in numpy)", () => {
      const xr = rnd([3, 5]);
      const yr = f64([4, 0, 2], [3]);
      const { grad } = gradOf('SoftmaxOutput', xr, yr);
      const fd = ref(String.raw`
def ce(z): return -sum(np.log(softmax(z, 1)[i, int(b[i])]) for i in range(z.shape[0]))
out = np.zeros_like(a); h = 1e-6
for idx in np.ndindex(a.shape):
    e = np.zeros_like(a); e[idx] = h; out[idx] = (ce(a + e) - ce(a - e)) / (2 * h)`, [xr, yr]);
      assertClose(flat(grad), fd, 'SoftmaxOutput vs finite differences of the cross entropy', 1e-6, 1e-8);
    });
    it('ignores the incoming gradient (outGrad false), multiplies by it with outGrad', () => {
      const a = gradOf('SoftmaxOutput', x, y, {}, nd.ones([3, 4], { dtype: 'float64' })).grad;
      const b = gradOf('SoftmaxOutput', x, y, {}, nd.full([3, 4], 7, { dtype: 'float64' })).grad;
      assert.deepEqual(flat(a), flat(b));
      const head = rnd([3, 4]);
      const c = gradOf('SoftmaxOutput', x, y, { outGrad: true }, head).grad;
      assertClose(flat(c), flat(nd.mul(a, head)), 'outGrad', 1e-12, 1e-12);
    });
    it('the label gets no gradient', () => {
      const lab = y.copy();
      lab.attachGrad();
      const xx = x.copy();
      xx.attachGrad();
      autograd.record(() => nd.SoftmaxOutput(xx, lab)).backward();
      assert.deepEqual(flat(lab.grad!), [0, 0, 0]);
    });
    it('Errors: a label of the wrong shape, an unknown normalization, rank-3 data without multiOutput or preserveShape, training without a label', () => {
      assert.throws(() => nd.SoftmaxOutput(x, nd.zeros([4])), /SoftmaxOutput: the label must have shape \[3, 4\] or \[3\]/);
      assert.throws(() => nd.SoftmaxOutput(x, y, { normalization: 'mean' }), /SoftmaxOutput: normalization must be one of 'null', 'batch', 'valid', got "mean"/);
      assert.throws(() => nd.SoftmaxOutput(rnd([2, 3, 4]), nd.zeros([2, 3])), /SoftmaxOutput: data of rank 3 needs multiOutput .* or preserveShape/);
      assert.throws(() => nd.SoftmaxOutput(rnd([2, 3, 4]), nd.zeros([2, 5]), { multiOutput: true }), /the label must have shape .*\[2, 4\] or \[2, 1, 4\]/);
      const xx = x.copy();
      xx.attachGrad();
      assert.throws(() => autograd.record(() => nd.SoftmaxOutput(xx)).backward(), /SoftmaxOutput: cannot be differentiated without its label/);
    });
  });

  describe('regression heads', () => {
    it('LinearRegressionOutput: gradScale / num_output * (out - label), label [N] for data [N, 1]', () => {
      const xr = f64([1, -2, 0.5, 3], [4, 1]);
      const yr = f64([0, -2, 1, 1], [4]);
      const { out, grad } = gradOf('LinearRegressionOutput', xr, yr, { gradScale: 3 });
      assert.deepEqual(flat(out), flat(xr));
      assertClose(flat(grad), ref('out = 3.0 / 1 * (a.reshape(-1) - b)', [xr, yr]), 'linear [N, 1]', 1e-12, 1e-12);
    });
    it('LinearRegressionOutput with several outputs is the derivative of sum((x - y)^2) / 2 / num_output (finite differences)', () => {
      const xr = rnd([3, 4]);
      const yr = rnd([3, 4]);
      const { grad } = gradOf('LinearRegressionOutput', xr, yr);
      const fd = ref(String.raw`
L = lambda z: ((z - b) ** 2).sum() / 2 / 4
out = np.zeros_like(a); h = 1e-5
for idx in np.ndindex(a.shape):
    e = np.zeros_like(a); e[idx] = h; out[idx] = (L(a + e) - L(a - e)) / (2 * h)`, [xr, yr]);
      assertClose(flat(grad), fd, 'linear vs finite differences', 1e-7, 1e-9);
    });
    it('MAERegressionOutput: the sign, 0 where out equals the label', () => {
      const xr = f64([1, -2, 0.5, 3, 0, 0], [3, 2]);
      const yr = f64([1, -1, 0, 3, 2, -2], [3, 2]);
      const { grad } = gradOf('MAERegressionOutput', xr, yr, { gradScale: 0.5 });
      assertClose(flat(grad), ref('out = 0.5 / 2 * np.sign(a - b)', [xr, yr]), 'MAE', 1e-12, 1e-12);
      assert.equal(flat(grad)[0], 0);
    });
    it('LogisticRegressionOutput: sigmoid forward, (sigmoid(x) - label) / num_output', () => {
      const xr = f64([0, -30, 30, 1, 2, -1], [2, 3]);
      const yr = f64([1, 0, 1, 0, 1, 1], [2, 3]);
      const { out, grad } = gradOf('LogisticRegressionOutput', xr, yr);
      assertClose(flat(out), ref('out = 1 / (1 + np.exp(-a))', [xr]), 'logistic forward', 1e-12, 1e-15);
      assertClose(flat(grad), ref('out = (1 / (1 + np.exp(-a)) - b) / 3', [xr, yr]), 'logistic gradient', 1e-12, 1e-15);
    });
    it('Error: a label of another batch size or element count', () => {
      assert.throws(() => nd.LinearRegressionOutput(rnd([3, 2]), rnd([2, 3])), /LinearRegressionOutput: the label must have the data's batch size and element count/);
      assert.throws(() => nd.MAERegressionOutput(rnd([3, 2]), rnd([3, 3])), /MAERegressionOutput: the label must have/);
    });
  });

  describe('MakeLoss', () => {
    const x = f64([0.2, 0.9, -1, 0.6, 0.5, 2], [2, 3]);
    for (const [normalization, expect] of [['null', 2], ['batch', 1], ['valid', 2 / 3]] as const) {
      it(`normalization '${normalization}' (validThresh 0.5: 3 elements above it)`, () => {
        const { out, grad } = gradOf('MakeLoss', x, null, { gradScale: 2, normalization, validThresh: 0.5 });
        assert.deepEqual(flat(out), flat(x));
        assertClose(flat(grad), Array(6).fill(expect), `MakeLoss ${normalization}`, 1e-12, 1e-12);
      });
    }
    it("make_loss (MXNet's newer name) is the same operator", () => {
      const { grad } = gradOf('makeLoss', x, null);
      assert.deepEqual(flat(grad), Array(6).fill(1));
    });
  });
});
