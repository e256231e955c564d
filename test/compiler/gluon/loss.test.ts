import assert from 'node:assert/strict';
import { nd, gluon, autograd, random } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs, type NumpyJob } from '../../helpers/numpy.js';

const { loss } = gluon;

/**
 * float64 references written from the textbook formulas (not MXNet's code
 * path): a = pred, b = label, c = sample weight, d = head gradient, e =
 * positive weight. Each job returns the per-sample loss and
 * d(sum(d * loss))/d(pred) by central finite differences of the same
 * reference. Every loss averages over the non-batch axes except KLDivLoss,
 * which MXNet 1.9.1 sums (python/mxnet/gluon/loss.py, KLDivLoss.hybrid_forward:
 * `return F.sum(loss, axis=self._batch_axis, exclude=True)`, as the 1.9.1
 * source is published at mxnet.apache.org/versions/1.9.1/api/python/docs/
 * _modules/mxnet/gluon/loss.html; apache/mxnet PRs #18423 and #19356 changed
 * it from a mean). SigmoidBinaryCrossEntropyLoss's pos_weight is the same
 * file's: `-(log(p) * y * pos_weight + log(1 - p) * (1 - y))`.
 */
const REF = String.raw`
def logsm(x, ax):
    m = x.max(axis=ax, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=ax, keepdims=True))

def per_sample(l):
    if attrs['kind'] == 'kl':
        return l.reshape(l.shape[0], -1).sum(axis=1)
    return l.reshape(l.shape[0], -1).mean(axis=1)

def weighted(l):
    if attrs['sw']:
        l = l * c
    if attrs['weight'] is not None:
        l = l * attrs['weight']
    return l

def elem(p, y):
    kind = attrs['kind']
    ax = attrs.get('axis', -1)
    if kind == 'l2':
        return 0.5 * (p - y.reshape(p.shape)) ** 2
    if kind == 'l1':
        return np.abs(p - y.reshape(p.shape))
    if kind == 'huber':
        r = attrs['rho']; err = np.abs(p - y.reshape(p.shape))
        return np.where(err > r, err - r / 2, err * err / (2 * r))
    if kind == 'sce':
        lp = p if attrs['fromLogits'] else logsm(p, ax)
        if attrs['sparse']:
            idx = np.expand_dims(y.astype(np.int64), ax)
            return -np.take_along_axis(lp, idx, axis=ax)
        return -(lp * y.reshape(p.shape)).sum(axis=ax, keepdims=True)
    if kind == 'bce':
        y = y.reshape(p.shape)
        w = e if attrs.get('pw') else 1.0
        if attrs['fromSigmoid']:
            return -(w * y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        s = 1 / (1 + np.exp(-p))
        return -(w * y * np.log(s) + (1 - y) * np.log(1 - s))
    if kind == 'kl':
        lp = p if attrs['fromLogits'] else logsm(p, ax)
        return y * (np.log(y + 1e-12) - lp)
    if kind in ('hinge', 'sqhinge'):
        h = np.maximum(0, attrs['margin'] - p * y.reshape(p.shape))
        return h if kind == 'hinge' else h * h
    if kind == 'poisson':
        t = y.reshape(p.shape)
        l = np.exp(p) - t * p if attrs['logits'] else p - t * np.log(p + 1e-8)
        if attrs['full']:
            tt = np.maximum(t, 1)
            l = l + np.where(t > 1, t * np.log(tt) - t + 0.5 * np.log(2 * np.pi * tt), 0)
        return l
    if kind == 'logistic':
        y = y.reshape(p.shape)
        if attrs['binary']:
            y = 2 * y - 1
        return np.log1p(np.exp(-p * y))
    raise ValueError(kind)

def f(p):
    return per_sample(weighted(elem(p, b)))

g = np.zeros_like(a)
eps = 1e-6
for i in np.ndindex(*a.shape):
    hi = a.copy(); hi[i] += eps
    lo = a.copy(); lo[i] -= eps
    g[i] = ((f(hi) - f(lo)) * d).sum() / (2 * eps)
out = [f(a), g]
`;

interface Case {
  what: string;
  make: () => gluon.HybridBlock;
  attrs: Record<string, unknown>;
  pred: number[];
  /** Makes the label for a pred shape. */
  label: (shape: number[]) => nd.NDArray;
  /** The sample-weight shape (absent: no sample weight). */
  sw?: number[];
  /** Pred drawn from this range (default [-2, 2]). */
  range?: [number, number];
  /** A positive weight (SigmoidBCE): passed to `call` after the sample weight, or given to `make` as an option. */
  pw?: { values: number[]; shape: number[]; at: 'call' | 'option' };
}

const uniform = (lo: number, hi: number) => (s: number[]) => nd.random.uniform(lo, hi, s);
const classes = (n: number, dropAxis: number) => (s: number[]) => {
  const shape = s.filter((_d, k) => k !== (dropAxis < 0 ? s.length + dropAxis : dropAxis));
  return nd.random.uniform(0, n, shape).floor();
};
const signs = (s: number[]) => nd.random.uniform(0, 1, s).greater(0.5).astype('float32').mul(2).sub(1);
const distribution = (axis: number) => (s: number[]) => nd.softmax(nd.random.uniform(-1, 1, s), { axis });

const CASES: Case[] = [
  { what: 'L2Loss', make: () => new loss.L2Loss(), attrs: { kind: 'l2', weight: 1 }, pred: [4, 3], label: uniform(-2, 2) },
  { what: 'L2Loss weight 3, sample weight, 3-d', make: () => new loss.L2Loss({ weight: 3 }), attrs: { kind: 'l2', weight: 3 }, pred: [3, 2, 4], label: uniform(-2, 2), sw: [3, 1, 1] },
  { what: 'L2Loss label of another shape', make: () => new loss.L2Loss(), attrs: { kind: 'l2', weight: 1 }, pred: [4, 1], label: (s) => nd.random.uniform(-2, 2, [s[0]!]) },
  { what: 'L1Loss', make: () => new loss.L1Loss(), attrs: { kind: 'l1', weight: null }, pred: [5, 3], label: uniform(-2, 2) },
  { what: 'L1Loss weight, sample weight', make: () => new loss.L1Loss({ weight: 0.5 }), attrs: { kind: 'l1', weight: 0.5 }, pred: [5, 3], label: uniform(-2, 2), sw: [5, 1] },
  { what: 'HuberLoss rho 1', make: () => new loss.HuberLoss(), attrs: { kind: 'huber', rho: 1, weight: null }, pred: [4, 6], label: uniform(-2, 2) },
  { what: 'HuberLoss rho 0.5, weight, sample weight', make: () => new loss.HuberLoss({ rho: 0.5, weight: 2 }), attrs: { kind: 'huber', rho: 0.5, weight: 2 }, pred: [4, 6], label: uniform(-2, 2), sw: [4, 1] },
  {
    what: 'SoftmaxCrossEntropyLoss sparse', make: () => new loss.SoftmaxCrossEntropyLoss(),
    attrs: { kind: 'sce', sparse: true, fromLogits: false, weight: null }, pred: [6, 5], label: classes(5, -1),
  },
  {
    what: 'SoftmaxCrossEntropyLoss sparse, axis 1 of 3-d, weight, sample weight', make: () => new loss.SoftmaxCrossEntropyLoss({ axis: 1, weight: 0.7 }),
    attrs: { kind: 'sce', sparse: true, fromLogits: false, axis: 1, weight: 0.7 }, pred: [3, 4, 2], label: classes(4, 1), sw: [3, 1, 1],
  },
  {
    what: 'SoftmaxCrossEntropyLoss dense', make: () => new loss.SoftmaxCrossEntropyLoss({ sparseLabel: false }),
    attrs: { kind: 'sce', sparse: false, fromLogits: false, weight: null }, pred: [4, 3], label: distribution(-1),
  },
  {
    what: 'SoftmaxCrossEntropyLoss fromLogits (sparse)', make: () => new loss.SoftmaxCELoss({ fromLogits: true }),
    attrs: { kind: 'sce', sparse: true, fromLogits: true, weight: null }, pred: [4, 3], label: classes(3, -1),
  },
  {
    what: 'SigmoidBinaryCrossEntropyLoss', make: () => new loss.SigmoidBinaryCrossEntropyLoss(),
    attrs: { kind: 'bce', fromSigmoid: false, weight: null }, pred: [5, 4], label: (s) => nd.random.uniform(0, 1, s).greater(0.5).astype('float32'), range: [-6, 6],
  },
  {
    what: 'SigmoidBCELoss soft labels, weight, sample weight', make: () => new loss.SigmoidBCELoss({ weight: 1.5 }),
    attrs: { kind: 'bce', fromSigmoid: false, weight: 1.5 }, pred: [5, 4], label: uniform(0, 1), sw: [5, 1],
  },
  {
    what: 'SigmoidBinaryCrossEntropyLoss fromSigmoid', make: () => new loss.SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }),
    attrs: { kind: 'bce', fromSigmoid: true, weight: null }, pred: [4, 3], label: uniform(0, 1), range: [0.05, 0.95],
  },
  {
    what: 'SigmoidBCELoss posWeight per class at call (after the sample weight)', make: () => new loss.SigmoidBCELoss(),
    attrs: { kind: 'bce', fromSigmoid: false, weight: null, pw: true }, pred: [5, 4], label: uniform(0, 1), sw: [5, 1], range: [-6, 6],
    pw: { values: [0.5, 2, 3, 1], shape: [1, 4], at: 'call' },
  },
  {
    what: 'SigmoidBCELoss posWeight option, weight', make: () => new loss.SigmoidBCELoss({ posWeight: [0.25, 4, 1.5], weight: 0.5 }),
    attrs: { kind: 'bce', fromSigmoid: false, weight: 0.5, pw: true }, pred: [4, 3], label: (s) => nd.random.uniform(0, 1, s).greater(0.5).astype('float32'),
    pw: { values: [0.25, 4, 1.5], shape: [3], at: 'option' },
  },
  {
    what: 'SigmoidBCELoss fromSigmoid, posWeight at call', make: () => new loss.SigmoidBCELoss({ fromSigmoid: true }),
    attrs: { kind: 'bce', fromSigmoid: true, weight: null, pw: true }, pred: [4, 3], label: uniform(0, 1), sw: [4, 1], range: [0.05, 0.95],
    pw: { values: [3, 0.5, 2], shape: [1, 3], at: 'call' },
  },
  {
    what: 'SigmoidBCELoss fromSigmoid, scalar posWeight option', make: () => new loss.SigmoidBCELoss({ fromSigmoid: true, posWeight: 2.5 }),
    attrs: { kind: 'bce', fromSigmoid: true, weight: null, pw: true }, pred: [4, 3], label: uniform(0, 1), range: [0.05, 0.95],
    pw: { values: [2.5], shape: [1], at: 'option' },
  },
  { what: 'HingeLoss', make: () => new loss.HingeLoss(), attrs: { kind: 'hinge', margin: 1, weight: null }, pred: [5, 3], label: signs },
  {
    what: 'HingeLoss margin 0.5, weight, sample weight, 3-d', make: () => new loss.HingeLoss({ margin: 0.5, weight: 2 }),
    attrs: { kind: 'hinge', margin: 0.5, weight: 2 }, pred: [3, 2, 4], label: signs, sw: [3, 1, 1],
  },
  { what: 'SquaredHingeLoss', make: () => new loss.SquaredHingeLoss(), attrs: { kind: 'sqhinge', margin: 1, weight: null }, pred: [5, 3], label: signs, sw: [5, 1] },
  { what: 'LogisticLoss signed', make: () => new loss.LogisticLoss(), attrs: { kind: 'logistic', binary: false, weight: null }, pred: [5, 3], label: signs, range: [-6, 6] },
  {
    what: 'LogisticLoss binary, weight, sample weight', make: () => new loss.LogisticLoss({ labelFormat: 'binary', weight: 0.5 }),
    attrs: { kind: 'logistic', binary: true, weight: 0.5 }, pred: [4, 3], label: (s) => nd.random.uniform(0, 1, s).greater(0.5).astype('float32'), sw: [4, 1],
  },
  {
    what: 'PoissonNLLLoss (log rate), counts 0..4', make: () => new loss.PoissonNLLLoss(),
    attrs: { kind: 'poisson', logits: true, full: false, weight: null }, pred: [5, 3], label: (s) => nd.random.uniform(0, 5, s).floor(),
  },
  {
    what: 'PoissonNLLLoss rate, computeFull (targets 0 and 1 add nothing), weight, sample weight', make: () => new loss.PoissonNLLLoss({ fromLogits: false, computeFull: true, weight: 2 }),
    attrs: { kind: 'poisson', logits: false, full: true, weight: 2 }, pred: [4, 3], label: (s) => nd.random.uniform(0, 5, s).floor(), sw: [4, 1], range: [0.2, 3],
  },
  {
    what: 'KLDivLoss (log-probabilities)', make: () => new loss.KLDivLoss(),
    attrs: { kind: 'kl', fromLogits: true, weight: null }, pred: [4, 5], label: distribution(-1), range: [-3, -0.1],
  },
  {
    what: 'KLDivLoss fromLogits false, axis 1, weight, sample weight', make: () => new loss.KLDivLoss({ fromLogits: false, axis: 1, weight: 2 }),
    attrs: { kind: 'kl', fromLogits: false, axis: 1, weight: 2 }, pred: [3, 4, 2], label: distribution(1), sw: [3, 1, 1],
  },
];

const flat = (a: nd.NDArray): number[] => Array.from(a.data() as Float32Array, Number);
const vals = (a: nd.NDArray): Float64Array => Float64Array.from(a.data() as Float32Array);
const input = (a: nd.NDArray) => ({ shape: a.shape, dtype: 'float64', data: flat(a) });

interface Prepared {
  c: Case;
  pred: nd.NDArray;
  label: nd.NDArray;
  sw: nd.NDArray | undefined;
  head: nd.NDArray;
}

describe('gluon.loss', function () {
  this.timeout(120000);
  random.seed(7);
  const prepared: Prepared[] = CASES.map((c) => {
    const [lo, hi] = c.range ?? [-2, 2];
    const pred = nd.random.uniform(lo, hi, c.pred).astype('float64');
    const label = c.label(c.pred).astype('float64');
    const sw = c.sw ? nd.random.uniform(0.5, 2, c.sw).astype('float64') : undefined;
    const head = nd.random.uniform(0.5, 1.5, [c.pred[0]!]).astype('float64');
    return { c, pred, label, sw, head };
  });
  const posWeight = (c: Case) => (c.pw ? nd.array(c.pw.values, { dtype: 'float64' }).reshape(c.pw.shape) : nd.ones([1], { dtype: 'float64' }));
  const jobs: NumpyJob[] = prepared.map(({ c, pred, label, sw, head }) => ({
    code: REF,
    inputs: [pred, label, sw ?? nd.ones([1], { dtype: 'float64' }), head, posWeight(c)].map(input),
    attrs: { ...c.attrs, sw: !!sw },
  }));
  const refs = numpyRefs(jobs);

  prepared.forEach(({ c, pred, label, sw, head }, k) => {
    const atCall = c.pw?.at === 'call' ? [posWeight(c)] : [];
    const args = (p: nd.NDArray, dtype: 'float32' | 'float64') => [p, label.astype(dtype), ...(sw ? [sw.astype(dtype)] : []), ...atCall.map((a) => a.astype(dtype))];

    it(`${c.what}: one value per sample, as the float64 reference (eager and hybridized)`, () => {
      const ref = refs[k]!;
      assert.equal(ref.error, undefined, ref.error);
      const block = c.make();
      const eager = block.call(...args(pred.astype('float32'), 'float32')) as nd.NDArray;
      assert.deepEqual(eager.shape, [c.pred[0]]);
      assert.equal(eager.dtype, 'float32');
      assertClose(vals(eager), ref.outs[0]!.data, `${c.what} eager`, 1e-4, 1e-5);
      const eager64 = block.call(...args(pred, 'float64')) as nd.NDArray;
      assertClose(vals(eager64), ref.outs[0]!.data, `${c.what} eager float64`, 1e-9, 1e-10);
      block.hybridize();
      const compiled = block.call(...args(pred.astype('float32'), 'float32')) as nd.NDArray;
      assert.deepEqual(compiled.shape, [c.pred[0]]);
      assertClose(vals(compiled), vals(eager), `${c.what} hybridized vs eager`, 1e-5, 1e-6);
    });

    it(`${c.what}: gradient w.r.t. pred (autograd tape) matches finite differences in float64`, () => {
      const ref = refs[k]!;
      assert.equal(ref.error, undefined, ref.error);
      for (const hybrid of [false, true]) {
        const block = c.make();
        if (hybrid) block.hybridize();
        const p = pred.copy();
        p.attachGrad();
        const out = autograd.record(() => block.call(...args(p, 'float64')) as nd.NDArray);
        out.backward(head);
        assertClose(vals(p.grad), ref.outs[1]!.data, `${c.what} gradient${hybrid ? ' (hybridized)' : ''}`, 1e-5, 1e-6);
      }
    });
  });

  it('KLDivLoss sums over the classes: MXNet issue #18506\'s sample equals SoftmaxCrossEntropyLoss (1.4076059), zero labels add 0', () => {
    // apache/mxnet#18506: KLDivLoss(from_logits=False)([[1,2,3]], one_hot(1)) must equal SoftmaxCrossEntropyLoss()([[1,2,3]], [1]) = 1.4076059.
    const o = nd.array([[1, 2, 3]]);
    const kl = new loss.KLDivLoss({ fromLogits: false });
    const ce = new loss.SoftmaxCrossEntropyLoss();
    const ref = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 2;
    assertClose(vals(kl.call(o, nd.array([[0, 1, 0]]))), [ref], 'KLDivLoss one-hot', 1e-6, 1e-6);
    assertClose(vals(ce.call(o, nd.array([1]))), [ref], 'SoftmaxCrossEntropyLoss', 1e-6, 1e-6);
    assertClose([ref], [1.4076059], 'the value MXNet prints', 1e-6, 0);
    kl.hybridize();
    assertClose(vals(kl.call(o, nd.array([[0, 1, 0]]))), [ref], 'KLDivLoss one-hot, hybridized', 1e-6, 1e-6);
    // 3-d: summed over both non-batch axes.
    const lp = nd.array([[[Math.log(0.5), Math.log(0.5)], [Math.log(0.25), Math.log(0.75)]]]);
    const lab = nd.array([[[0.5, 0.5], [0.5, 0.5]]]);
    const want = 0 + 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
    assertClose(vals(new loss.KLDivLoss().call(lp, lab)), [want], 'KLDivLoss 3-d', 1e-6, 1e-6);
  });

  it('SigmoidBCELoss posWeight at the kink x = 0 and at saturation, both from logits and from sigmoid', () => {
    // x = 0: sigmoid 0.5, so a positive costs w·ln 2 and a negative ln 2.
    const l = new loss.SigmoidBCELoss({ posWeight: [2, 3] });
    assertClose(vals(l.call(nd.array([[0, 0]]), nd.array([[1, 0]]))), [(2 * Math.LN2 + Math.LN2) / 2], 'logits, x = 0', 1e-6, 1e-6);
    assertClose(vals(new loss.SigmoidBCELoss({ posWeight: [2, 1] }).call(nd.array([[0, 0]]), nd.array([[1, 1]]))), [1.5 * Math.LN2], 'doc example', 1e-6, 1e-6);
    // Large |x| stays finite (the stable form): x = -40 with a positive label costs w·40.
    assertClose(vals(new loss.SigmoidBCELoss({ posWeight: 3 }).call(nd.array([[-40, 40]]), nd.array([[1, 1]]))), [(3 * 40 + 0) / 2], 'logits, saturated', 1e-5, 1e-5);
    const s = new loss.SigmoidBCELoss({ fromSigmoid: true });
    assertClose(vals(s.call(nd.array([[0.5, 0.5]]), nd.array([[1, 0]]), nd.ones([1, 1]), nd.array([[4, 4]]))), [(4 * Math.LN2 + Math.LN2) / 2], 'sigmoid, p = 0.5', 1e-6, 1e-6);
    assert.throws(() => new loss.SigmoidBCELoss({ posWeight: 'x' as unknown as number }), /SigmoidBinaryCrossEntropyLoss: posWeight must be a number/);
    assert.throws(() => new loss.SigmoidBCELoss({ posWeight: NaN }), /posWeight must be finite/);
  });

  it('SigmoidBCELoss from logits: the gradient at the kink x = 0 is sigmoid(0) − y, and loss and gradient keep their precision at |x| = 20, 100', () => {
    // Textbook float64 values: L = −(w·y·log σ(x) + (1 − y)·log(1 − σ(x))) = w·y·sp(−x) + (1 − y)·sp(x) with
    // sp(v) = log(1 + e^v); dL/dx = (1 − y)·σ(x) − w·y·σ(−x). MXNet's relu(x) − x·y + softrelu(−|x|) has the
    // right value but differentiates relu and |x| at 0 to 0: dL/dx = −y there.
    const xs = [0, 0, 0, 20, -20, 100, -100, 20, -20];
    const ys = [1, 0, 0.3, 1, 0, 1, 0, 0, 1];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    for (const w of [1, 2.5]) {
      const wantLoss = xs.map((x, i) => w * ys[i]! * sp(-x) + (1 - ys[i]!) * sp(x));
      const wantGrad = xs.map((x, i) => (1 - ys[i]!) * sig(x) - w * ys[i]! * sig(-x));
      for (const dtype of ['float32', 'float64'] as const) {
        for (const hybrid of [false, true]) {
          const l = new loss.SigmoidBCELoss(w === 1 ? {} : { posWeight: w });
          if (hybrid) l.hybridize();
          const p = nd.array(xs, { dtype }).reshape([9, 1]);
          p.attachGrad();
          const out = autograd.record(() => l.call(p, nd.array(ys, { dtype }).reshape([9, 1])) as nd.NDArray);
          out.backward();
          const what = `posWeight ${w}, ${dtype}${hybrid ? ', hybridized' : ''}`;
          // float32: onnxruntime's Sigmoid flushes sigmoid(−20) = 2e-9 to 0, hence the absolute tolerance;
          // compiled float64 runs Softplus in float32 (onnxruntime has no float64 kernel).
          const [rtol, atol] = dtype === 'float32' ? [1e-5, 1e-8] : hybrid ? [1e-6, 1e-30] : [1e-12, 1e-30];
          assertClose(vals(out), wantLoss, `${what}: loss`, rtol, atol);
          assertClose(vals(p.grad), wantGrad, `${what}: gradient`, rtol, atol);
        }
      }
    }
  });

  it('a sample weight that would enlarge the loss is refused: [N] against SoftmaxCE\'s [N, 1] mixed the samples\' weights', () => {
    // MXNet broadcast_mul([N, 1], [N]) is [N, N]: each sample's loss was averaged over every sample's weight.
    const ce = new loss.SoftmaxCrossEntropyLoss();
    const pred = nd.array([[0, 0, 0], [0, 0, 0]]);
    for (const hybrid of [false, true]) {
      if (hybrid) ce.hybridize();
      assert.throws(() => ce.call(pred, nd.array([0, 1]), nd.array([1, 0])),
        /SoftmaxCrossEntropyLoss: sampleWeight of shape \[2\] would broadcast the loss of shape \[2, 1\] to \[2, 2\]/);
      // [N, 1] weighs each sample: ln 3 and 0.
      assertClose(vals(ce.call(pred, nd.array([0, 1]), nd.array([[1], [0]])) as nd.NDArray), [Math.log(3), 0], `[N, 1] sample weight${hybrid ? ' (hybridized)' : ''}`, 1e-6, 1e-7);
    }
  });

  it("an integer or bool sample weight (d2l word2vec's mask) weighs the float loss as MXNet 2's numpy promotion does; it was a dtype error in mul", () => {
    const bce = new loss.SigmoidBCELoss();
    const pred = nd.array([[1.1, -2.2, 3.3, -4.4], [1.1, -2.2, 3.3, -4.4]]);
    const label = nd.array([[1, 0, 0, 0], [0, 1, 0, 0]]);
    const want = vals(bce.call(pred, label, nd.array([[1, 1, 1, 1], [1, 1, 0, 0]])) as nd.NDArray);
    for (const hybrid of [false, true]) {
      if (hybrid) bce.hybridize();
      for (const dtype of ['int32', 'int64', 'uint8', 'bool'] as const) {
        const mask = nd.array([[1, 1, 1, 1], [1, 1, 0, 0]], { dtype });
        const out = bce.call(pred, label, mask) as nd.NDArray;
        assert.equal(out.dtype, 'float32');
        // d2l 14.4.2.1: times mask.shape[1] / mask.sum(axis=1) prints [0.93521017, 1.8462094].
        assertClose(vals(out), want, `${dtype} mask${hybrid ? ' (hybridized)' : ''}`, 1e-7, 1e-8);
        assertClose(vals(out).map((v, i) => (v * 4) / [4, 2][i]!), [0.93521017, 1.8462094], `${dtype} mask rescaled`, 1e-6, 1e-6);
      }
    }
  });

  it('HingeLoss, SquaredHingeLoss and LogisticLoss at their kinks: pred·label = margin, and z = 0; no overflow at |z| = 100', () => {
    // Hinge at the margin: loss 0 and gradient 0 (MXNet's relu); just inside: −label.
    const p = nd.array([[1, -1, 0.5, -3]]);
    const y = nd.array([[1, -1, 1, 1]]);
    for (const hybrid of [false, true]) {
      const h = new loss.HingeLoss();
      const sq = new loss.SquaredHingeLoss();
      const lg = new loss.LogisticLoss();
      if (hybrid) [h, sq, lg].forEach((l) => l.hybridize());
      const grad = (l: gluon.HybridBlock, x: nd.NDArray, lab: nd.NDArray) => {
        const xi = x.copy();
        xi.attachGrad();
        const out = autograd.record(() => l.call(xi, lab) as nd.NDArray);
        out.backward();
        return [vals(out), vals(xi.grad!)];
      };
      const tag = hybrid ? ' (hybridized)' : '';
      const [hl, hg] = grad(h, p, y);
      assertClose(hl!, [(0 + 0 + 0.5 + 4) / 4], `hinge loss${tag}`, 1e-6, 1e-7);
      assertClose(hg!, [0, 0, -1 / 4, -1 / 4], `hinge gradient${tag}`, 1e-6, 1e-7);
      const [sl, sg] = grad(sq, p, y);
      assertClose(sl!, [(0.25 + 16) / 4], `squared hinge loss${tag}`, 1e-6, 1e-7);
      assertClose(sg!, [0, 0, -2 * 0.5 / 4, -2 * 4 / 4], `squared hinge gradient${tag}`, 1e-6, 1e-7);
      // Logistic: z = 0 gives ln 2 and gradient −label/2 (per element, mean over 4); z = ±100 stays finite.
      const z = nd.array([[0, 0, 100, -100]]);
      const [ll, lgr] = grad(lg, z, nd.array([[1, -1, 1, 1]]));
      assertClose(ll!, [(2 * Math.LN2 + Math.log1p(Math.exp(-100)) + 100) / 4], `logistic loss${tag}`, 1e-6, 1e-7);
      assertClose(lgr!, [-0.5 / 4, 0.5 / 4, 0, -1 / 4], `logistic gradient${tag}`, 1e-6, 1e-7);
    }
    assert.throws(() => new loss.HingeLoss({ margin: '1' as never }), /HingeLoss: margin must be a finite number, got "1"/);
    assert.throws(() => new loss.LogisticLoss({ labelFormat: 'bool' as never }), /LogisticLoss: labelFormat must be 'signed' or 'binary', got "bool"/);
  });

  it('PoissonNLLLoss: the doc example, and computeFull stays finite at target 0 (MXNet\'s 0·log 0 gave NaN)', () => {
    assertClose(vals(new loss.PoissonNLLLoss().call(nd.array([[0, 1]]), nd.array([[1, 2]])) as nd.NDArray), [(1 + Math.E - 2) / 2], 'doc example', 1e-6, 1e-7);
    const full = new loss.PoissonNLLLoss({ computeFull: true });
    // target 3: exp(0) − 0 + 3·ln 3 − 3 + ½·ln(6π); target 0: exp(0).
    const want = (1 + 3 * Math.log(3) - 3 + 0.5 * Math.log(6 * Math.PI) + 1) / 2;
    for (const hybrid of [false, true]) {
      if (hybrid) full.hybridize();
      assertClose(vals(full.call(nd.array([[0, 0]]), nd.array([[3, 0]])) as nd.NDArray), [want], `computeFull${hybrid ? ' (hybridized)' : ''}`, 1e-6, 1e-7);
    }
    assert.throws(() => new loss.PoissonNLLLoss({ compute_full: true } as never), /PoissonNLLLoss: unknown option 'compute_full'/);
  });

  // float64 references from the textbook formulas, gradients w.r.t. the first input by central differences.
  const PAIR_REF = String.raw`
def f(x):
    if attrs['kind'] == 'triplet':
        l = np.maximum(0, ((b.reshape(x.shape) - x) ** 2 - (c - x) ** 2).reshape(x.shape[0], -1).sum(axis=1) + attrs['margin'])
    else:
        cos = (x * b).sum(-1) / np.maximum(np.sqrt((x * x).sum(-1) * (b * b).sum(-1)), 1e-12)
        l = np.where(c == 1, 1 - cos, 0) + np.where(c == -1, np.maximum(0, cos - attrs['margin']), 0)
    return l * d.reshape(-1) * attrs['weight']
g = np.zeros_like(a)
for i in np.ndindex(*a.shape):
    hi = a.copy(); hi[i] += 1e-6
    lo = a.copy(); lo[i] -= 1e-6
    g[i] = (f(hi).sum() - f(lo).sum()) / 2e-6
out = [f(a), g]
`;

  it('TripletLoss and CosineEmbeddingLoss: float64 references (values, finite-difference gradients), eager and hybridized, weights', () => {
    random.seed(4);
    const f64 = (a: nd.NDArray) => ({ shape: a.shape, dtype: 'float64', data: flat(a) });
    const cases = [
      { kind: 'triplet', margin: 1, make: () => new loss.TripletLoss({ weight: 2 }), x: nd.random.uniform(-1, 1, [5, 2, 3]), b: nd.random.uniform(-1, 1, [5, 6]), c: nd.random.uniform(-1, 1, [5, 2, 3]) },
      { kind: 'triplet', margin: 3, make: () => new loss.TripletLoss({ margin: 3, weight: 2 }), x: nd.random.uniform(-1, 1, [4, 3]), b: nd.random.uniform(-1, 1, [4, 3]), c: nd.random.uniform(-1, 1, [4, 3]) },
      { kind: 'cosine', margin: 0, make: () => new loss.CosineEmbeddingLoss({ weight: 2 }), x: nd.random.uniform(-1, 1, [6, 4]), b: nd.random.uniform(-1, 1, [6, 4]), c: nd.array([1, -1, 1, -1, -1, 1]) },
      { kind: 'cosine', margin: 0.2, make: () => new loss.CosineEmbeddingLoss({ margin: 0.2, weight: 2 }), x: nd.random.uniform(-1, 1, [6, 4]), b: nd.random.uniform(-1, 1, [6, 4]), c: nd.array([1, -1, 1, -1, -1, 1]) },
    ];
    const sw = nd.random.uniform(0.5, 2, [6, 1]);
    const refs = numpyRefs(cases.map((k) => ({
      code: PAIR_REF, attrs: { kind: k.kind, margin: k.margin, weight: 2 },
      inputs: [k.x, k.b, k.c, sw.slice({ begin: [0, 0], end: [k.x.shape[0]!, 1] })].map((t) => f64(t.astype('float64'))),
    })));
    cases.forEach((k, i) => {
      assert.equal(refs[i]!.error, undefined, refs[i]!.error);
      for (const hybrid of [false, true]) {
        const l = k.make();
        if (hybrid) l.hybridize();
        const x = k.x.astype('float64');
        x.attachGrad();
        // TripletLoss's loss is [N] (a [N, 1] weight is refused: it would broadcast to [N, N]); CosineEmbeddingLoss weighs [N, 1].
        const w0 = sw.slice({ begin: [0, 0], end: [k.x.shape[0]!, 1] }).astype('float64');
        const w = k.kind === 'triplet' ? w0.reshape([-1]) : w0;
        const out = autograd.record(() => l.call(x, k.b.astype('float64'), k.c.astype('float64'), w) as nd.NDArray);
        out.backward();
        const what = `${k.kind} margin ${k.margin}${hybrid ? ' (hybridized)' : ''}`;
        assert.deepEqual(out.shape, [k.x.shape[0]]);
        assertClose(vals(out), refs[i]!.outs[0]!.data, `${what}: loss`, 1e-6, 1e-8);
        assertClose(vals(x.grad!), refs[i]!.outs[1]!.data, `${what}: gradient`, 1e-5, 1e-6);
      }
    });
    assert.throws(() => new loss.TripletLoss({ margin: NaN }), /TripletLoss: margin must be a finite number/);
  });

  it('TripletLoss and CosineEmbeddingLoss at their kinks (exactly 0 inside the max): loss 0 and gradient 0 (MXNet\'s relu), beside active and inactive samples', () => {
    // Triplet, margin 0.75, pred x = 0: sample 0 sums 0.25 - 1 + 0.75 = 0 exactly (the kink); sample 1 is active,
    // 0.25 - 0.25 + 0.75, with d/dx = 2(negative - positive); sample 2 is inactive (0 - 1 + 0.75 < 0).
    const pos = nd.array([[0.5, 0], [0.5, 0], [0, 0]]);
    const neg = nd.array([[1, 0], [0, 0.5], [1, 0]]);
    // Cosine, margin 0.96 = 24/25: sample 0 (label -1) has cos([3, 4], [4, 3]) = 24/25 exactly (the kink); sample 1
    // (label -1) is active with cos > 0.96; sample 2 (label 1) gives 1 - cos. d cos/dx = y/(|x||y|) - cos·x/|x|².
    const a = [[3, 4], [4, 3], [4, 3]];
    const b = [[4, 3], [4, 3.5], [1, 2]];
    const labels = [-1, -1, 1];
    const cosOf = (x: number[], y: number[]) => (x[0]! * y[0]! + x[1]! * y[1]!) / (Math.hypot(x[0]!, x[1]!) * Math.hypot(y[0]!, y[1]!));
    const dcos = (x: number[], y: number[]) => {
      const nx = Math.hypot(x[0]!, x[1]!);
      const ny = Math.hypot(y[0]!, y[1]!);
      return x.map((xi, k) => y[k]! / (nx * ny) - (cosOf(x, y) * xi) / (nx * nx));
    };
    const cosLoss = [0, cosOf(a[1]!, b[1]!) - 0.96, 1 - cosOf(a[2]!, b[2]!)];
    const cosGrad = [[0, 0], dcos(a[1]!, b[1]!), dcos(a[2]!, b[2]!).map((v) => -v)].flat();
    for (const hybrid of [false, true]) {
      const tag = hybrid ? ' (hybridized)' : '';
      const t = new loss.TripletLoss({ margin: 0.75 });
      const c = new loss.CosineEmbeddingLoss({ margin: 0.96 });
      if (hybrid) [t, c].forEach((l) => l.hybridize());
      const x = nd.zeros([3, 2]);
      x.attachGrad();
      const tl = autograd.record(() => t.call(x, pos, neg) as nd.NDArray);
      tl.backward();
      assertClose(vals(tl), [0, 0.75, 0], `triplet loss${tag}`, 1e-6, 1e-7);
      assertClose(vals(x.grad!), [0, 0, -1, 1, 0, 0], `triplet gradient${tag}`, 1e-6, 1e-7);
      const u = nd.array(a);
      u.attachGrad();
      const cl = autograd.record(() => c.call(u, nd.array(b), nd.array(labels)) as nd.NDArray);
      cl.backward();
      assertClose(vals(cl), cosLoss, `cosine embedding loss${tag}`, 1e-5, 1e-7);
      assertClose(vals(u.grad!), cosGrad, `cosine embedding gradient${tag}`, 1e-4, 1e-6);
    }
  });

  it('batchAxis 1 keeps axis 1 and averages the others', () => {
    const p = nd.array([[[1, 2], [3, 4], [5, 6]]]); // [1, 3, 2]
    const out = new loss.L1Loss({ batchAxis: 1 }).call(p, nd.zeros([1, 3, 2]));
    assert.deepEqual(out.shape, [3]);
    assertClose(vals(out), [1.5, 3.5, 5.5], 'L1Loss batchAxis 1');
  });

  it('a 1-d prediction gives the element losses themselves', () => {
    const out = new loss.L2Loss().call(nd.array([1, 3]), nd.array([0, 1]));
    assert.deepEqual(out.shape, [2]);
    assertClose(vals(out), [0.5, 2], 'L2Loss 1-d');
  });

  it('joins a training step: the seed L2Loss example updates the network', () => {
    random.seed(1);
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Dense(3), new gluon.nn.Dense(1));
    net.initialize();
    net.hybridize();
    const x = nd.random.uniform(-1, 1, [5, 2]);
    const y = nd.random.uniform(-1, 1, [5, 1]);
    const l2 = new loss.L2Loss();
    const before = l2.call(net.call(x), y).mean().item();
    const p = net.collectParams().values()[0]!;
    const w0 = vals(p.data());
    autograd.record(() => l2.call(net.call(x), y)).backward();
    const g = vals(p.grad());
    assert.ok(g.some((v) => v !== 0), 'the first Dense weight has a non-zero gradient');
    assert.ok(Number.isFinite(before));
    assert.deepEqual(vals(p.data()), w0, 'backward alone does not change the weights');
  });

  it('rejects bad options and mismatched labels with errors naming them', () => {
    assert.throws(() => new loss.L2Loss({ weight: NaN }), /L2Loss: weight must be a finite number/);
    assert.throws(() => new loss.L1Loss({ batchAxis: 0.5 }), /L1Loss: batchAxis must be an integer/);
    assert.throws(() => new loss.HuberLoss({ rho: 0 }), /HuberLoss: rho must be a positive number/);
    assert.throws(() => new loss.SoftmaxCrossEntropyLoss({ axis: 1.5 }), /SoftmaxCrossEntropyLoss: axis must be an integer/);
    // A string where a flag goes was read as truthy: sparseLabel 'false' picked with distributions as indices.
    assert.throws(() => new loss.SoftmaxCrossEntropyLoss({ sparseLabel: 'false' as never }), /SoftmaxCrossEntropyLoss: option 'sparseLabel' must be true or false, got "false"/);
    assert.throws(() => new loss.SoftmaxCELoss({ fromLogits: 1 as never }), /SoftmaxCrossEntropyLoss: option 'fromLogits' must be true or false, got 1/);
    assert.throws(() => new loss.SigmoidBCELoss({ fromSigmoid: 'true' as never }), /SigmoidBinaryCrossEntropyLoss: option 'fromSigmoid' must be true or false, got "true"/);
    assert.throws(() => new loss.KLDivLoss({ fromLogits: 'false' as never }), /KLDivLoss: option 'fromLogits' must be true or false, got "false"/);
    assert.throws(() => new loss.L2Loss().call(nd.ones([2, 3]), nd.ones([2, 2])), /reshapeLike.*\[2, 2\].*\[2, 3\].*L2Loss/);
    assert.throws(() => new loss.SoftmaxCrossEntropyLoss().call(nd.ones([2, 3]), nd.ones([3])), /pick.*index shape \[3\].*SoftmaxCrossEntropyLoss/);
  });

  it('a user-defined Loss gets weighting and the per-sample mean from perSample', () => {
    class AbsLoss extends loss.Loss {
      constructor() {
        super(2, 0);
      }
      override hybridForward(F: gluon.F, pred: gluon.Tensor, label: gluon.Tensor, sampleWeight?: gluon.Tensor) {
        return this.perSample(F, F.abs(F.sub(pred, F.reshapeLike(label, pred))), sampleWeight);
      }
    }
    const l = new AbsLoss();
    const p = nd.array([[1, 2], [3, -5]]);
    assertClose(vals(l.call(p, nd.zeros([2, 2]))), [3, 8], 'AbsLoss');
    assertClose(vals(l.call(p, nd.zeros([2, 2]), nd.array([[1], [0.5]]))), [3, 4], 'AbsLoss with sample weight');
    l.hybridize();
    assertClose(vals(l.call(p, nd.zeros([2, 2]), nd.array([[1], [0.5]]))), [3, 4], 'AbsLoss hybridized with sample weight');
  });

  it('prints like MXNet', () => {
    assert.equal(new loss.L2Loss().toString(), 'L2Loss(batchAxis=0, w=1)');
    assert.equal(new loss.L1Loss().toString(), 'L1Loss(batchAxis=0, w=None)');
  });
});

describe("loss: Gluon's keyword arguments of the Loss base (MXNet's Loss(weight, batch_axis))", () => {
  class AbsLoss extends gluon.loss.Loss {
    override hybridForward(F: gluon.F, pred: gluon.Tensor, label: gluon.Tensor, sampleWeight?: gluon.Tensor) {
      return this.perSample(F, F.abs(F.sub(pred, F.reshapeLike(label, pred))), sampleWeight);
    }
  }
  const pred = nd.array([[1, -2, 3], [4, 5, -6]]);
  const label = nd.zeros([2, 3]);
  it('weight and batchAxis by position, by name, or mixed: the same loss', () => {
    const run = (l: gluon.loss.Loss) => (l.call(pred, label) as nd.NDArray).toArray();
    // Independent reference: weight 2 times the mean of |pred| over axis 0 (batchAxis 1 keeps axis 1).
    const want = [2 * (1 + 4) / 2, 2 * (2 + 5) / 2, 2 * (3 + 6) / 2];
    for (const l of [new AbsLoss(2, 1), new AbsLoss(2, { batchAxis: 1 }), new AbsLoss({ weight: 2, batchAxis: 1 })]) {
      assert.deepEqual(run(l), want);
    }
    assert.deepEqual(run(new AbsLoss()), [2, 5]);
  });
  it('given twice or unknown: an Error naming the loss', () => {
    assert.throws(() => new AbsLoss(2, { weight: 2 } as never), /^Error: AbsLoss: got multiple values for argument 'weight'/);
    assert.throws(() => new AbsLoss({ batch_axis: 1 } as never), /^Error: AbsLoss: unknown option 'batch_axis' \(valid: weight, batchAxis\)/);
  });
});
