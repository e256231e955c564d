/**
 * nn.PositionalEncoding against d2l.ai's table computed in numpy float64
 * (`P[:, :, 0::2] = sin(X)`, `P[:, :, 1::2] = cos(X)`), and
 * nn.LearnedPositionalEmbedding against `x + W[:T]` with its gradients by
 * finite differences in float64; eager and hybridized; dropout modes; errors.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs } from '../../../helpers/numpy.js';
import { nums, refJob } from '../../../helpers/transformer-ref.js';

const { nn } = gluon;

/** d2l.ai (chapter 11.6) PositionalEncoding, in float64. */
const D2L = `
T, U = X[0].shape[1], X[0].shape[2]
Xp = np.arange(T, dtype=np.float64).reshape(-1, 1) / np.power(10000, np.arange(0, U, 2, dtype=np.float64) / U)
Pt = np.zeros((1, T, U))
Pt[:, :, 0::2] = np.sin(Xp)
Pt[:, :, 1::2] = np.cos(Xp)
out = X[0] + Pt
`;

describe('nn.PositionalEncoding and nn.LearnedPositionalEmbedding', () => {
  it('PositionalEncoding equals d2l.ai\'s sinusoidal table (numpy float64), eager and hybridized', () => {
    random.seed(2);
    const pe = new nn.PositionalEncoding(16, { maxLen: 500 });
    assert.equal(pe.collectParams().size, 0);
    const xs = [nd.random.uniform(-1, 1, [2, 7, 16]), nd.zeros([1, 200, 16])];
    const refs = numpyRefs(xs.map((x) => refJob(pe, D2L, [x])));
    for (const hybrid of [false, true]) {
      pe.hybridize(hybrid);
      xs.forEach((x, i) => {
        assert.ok(!refs[i]!.error, refs[i]!.error);
        const y = pe.call(x) as nd.NDArray;
        assert.deepEqual(y.shape, x.shape);
        // float32 angles up to 199 rad: about 2e-5 absolute in sin/cos.
        assertClose(nums(y), refs[i]!.outs[0]!.data, `input ${i} (hybrid ${hybrid})`, 1e-5, 3e-5);
      });
    }
    // Fixed rows: position 0 is [sin 0, cos 0, ...] = [0, 1, 0, 1, ...]; position 1, column 0 is sin(1).
    const p = (pe.call(nd.zeros([1, 2, 16])) as nd.NDArray).toArray() as number[][][];
    assert.deepEqual(p[0]![0], Array.from({ length: 16 }, (_v, i) => (i % 2 ? 1 : 0)));
    assert.equal(p[0]![1]![0], Math.fround(Math.sin(1)));
    assert.equal(p[0]![1]![1], Math.fround(Math.cos(1)));
  });

  it('PositionalEncoding in float64, gradient identity, dropout only in training mode', () => {
    const pe = new nn.PositionalEncoding(4, { dropout: 0.5 });
    const x = nd.random.uniform(-1, 1, [2, 3, 4]).astype('float64');
    const [ref] = numpyRefs([refJob(pe, D2L, [x])]);
    const y = pe.call(x) as nd.NDArray;
    assert.equal(y.dtype, 'float64');
    assertClose(nums(y), ref!.outs[0]!.data, 'float64', 1e-12, 1e-14);
    x.attachGrad();
    const head = nd.random.uniform(-1, 1, [2, 3, 4]).astype('float64');
    autograd.record(() => pe.call(x) as nd.NDArray, { trainMode: false }).backward(head);
    assert.deepEqual(nums(x.grad!), nums(head));
    const t = nums(autograd.record(() => pe.call(x) as nd.NDArray, { trainMode: true }));
    assert.ok(t.some((v) => v === 0) && t.some((v, i) => v !== 0 && Math.abs(v - 2 * (ref!.outs[0]!.data[i] as number)) < 1e-12), 'training: zeroed or doubled');
  });

  it('LearnedPositionalEmbedding: x + weight[:T] and its gradients equal finite differences (float64), eager and hybridized', function () {
    this.timeout(60000);
    random.seed(6);
    const lp = new nn.LearnedPositionalEmbedding(6, 4);
    lp.initialize(new init.Uniform(1));
    assert.deepEqual([...lp.collectParams().keys()], ['weight']);
    assert.deepEqual(lp.weight.shape, [6, 4]);
    lp.weight.cast('float64');
    const x = nd.random.uniform(-1, 1, [2, 5, 4]).astype('float64');
    const head = nd.random.uniform(-1, 1, [2, 5, 4]).astype('float64');
    const [ref] = numpyRefs([refJob(lp, `out = with_grads(lambda: X[0] + P['weight'][:X[0].shape[1]], [0])`, [x], { head: nums(head) })]);
    assert.ok(!ref!.error, ref!.error);
    for (const hybrid of [false, true]) {
      lp.hybridize(hybrid);
      const xi = x.copy();
      xi.attachGrad();
      const y = autograd.record(() => lp.call(xi) as nd.NDArray);
      assertClose(nums(y), ref!.outs[0]!.data, `output (hybrid ${hybrid})`, 1e-12, 1e-14);
      y.backward(head);
      assertClose(nums(lp.weight.grad()), ref!.outs[1]!.data, `dweight (hybrid ${hybrid})`, 1e-6, 1e-8);
      assertClose(nums(xi.grad!), ref!.outs[2]!.data, `dx (hybrid ${hybrid})`, 1e-6, 1e-8);
      // Row 5 (unused for T = 5) gets exactly zero gradient.
      assert.deepEqual(nums(lp.weight.grad()).slice(20), [0, 0, 0, 0]);
    }
  });

  it('bad configurations and inputs are errors naming the layer and the shapes', () => {
    assert.throws(() => new nn.PositionalEncoding(5), /PositionalEncoding: units must be even \(sine and cosine pairs\), got 5/);
    assert.throws(() => new nn.PositionalEncoding(4, { maxLen: 0 }), /maxLen must be a positive integer, got 0/);
    assert.throws(() => new nn.LearnedPositionalEmbedding(4, 8, { dropout: -0.1 }), /LearnedPositionalEmbedding: dropout must be in \[0, 1\), got -0.1/);
    assert.throws(() => new nn.PositionalEncoding(4, { max_len: 10 } as never), /PositionalEncoding: unknown option 'max_len' \(valid: units, maxLen, dropout\); did you mean 'maxLen'\?/);
    assert.throws(() => new nn.LearnedPositionalEmbedding(4, 8, { maxLen: 10 } as never), /LearnedPositionalEmbedding: got multiple values for argument 'maxLen' \(4 as argument 1 and 10 in the options object\)/);
    assert.throws(() => new nn.LearnedPositionalEmbedding(4, 8, { max_len: 10 } as never), /LearnedPositionalEmbedding: unknown option 'max_len' \(valid: maxLen, units, dropout, dtype, weightInitializer\)/);
    const pe = new nn.PositionalEncoding(4, { maxLen: 3 });
    assert.throws(() => pe.call(nd.zeros([1, 4, 4])), /PositionalEncoding \(block '.*'\): the input of shape \[1, 4, 4\] has 4 positions, more than maxLen = 3/);
    assert.throws(() => pe.call(nd.zeros([1, 2, 6])), /the input must have shape \[batch, length, 4\], got \[1, 2, 6\]/);
    const lp = new nn.LearnedPositionalEmbedding(3, 4);
    lp.initialize();
    lp.hybridize();
    assert.throws(() => lp.call(nd.zeros([2, 4, 4])), /LearnedPositionalEmbedding \(block '.*'\): the input of shape \[2, 4, 4\] has 4 positions, more than maxLen = 3/);
    assert.throws(() => lp.call(nd.zeros([2, 4])), /the input must have shape \[batch, length, 4\], got \[2, 4\]/);
  });
});
