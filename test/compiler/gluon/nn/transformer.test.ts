/**
 * nn.TransformerEncoderLayer and nn.TransformerDecoderLayer against the
 * formulas written out in numpy float64 (post- and pre-norm, relu and gelu,
 * causal, key padding and memory masks), eager and hybridized; against
 * PyTorch's TransformerEncoderLayer/TransformerDecoderLayer with copied
 * weights; gradients of the input, memory and every parameter against
 * central finite differences in float64; dropout only in training mode;
 * one fused SGD step of a small encoder-decoder against PyTorch; named errors.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs, type NumpyResult } from '../../../helpers/numpy.js';
import { nums, refJob } from '../../../helpers/transformer-ref.js';

const { nn } = gluon;
type Enc = InstanceType<typeof nn.TransformerEncoderLayer>;
type Dec = InstanceType<typeof nn.TransformerDecoderLayer>;

/** Initialized with non-trivial LayerNorm scales and biases everywhere. */
function ready<B extends Enc | Dec>(b: B): B {
  b.initialize(new init.Xavier());
  for (const [k, p] of b.collectParams().entries()) {
    if (/gamma$/.test(k) || /bias$|beta$/.test(k)) p.setData(nd.random.uniform(k.endsWith('gamma') ? 0.5 : -0.5, k.endsWith('gamma') ? 1.5 : 0.5, p.shape as number[]));
  }
  return b;
}

const run = (b: Enc | Dec, xs: nd.NDArray[]) => b.call(...xs) as nd.NDArray;

/** A small encoder-decoder: the decoder attends to the encoder's output under the source padding mask. */
class Seq2Seq extends gluon.HybridBlock {
  declare readonly enc: Enc;
  declare readonly dec: Dec;
  constructor() {
    super();
    this.enc = new nn.TransformerEncoderLayer(8, 2, 16, { dropout: 0 });
    this.dec = new nn.TransformerDecoderLayer(8, 2, 16, { dropout: 0, preNorm: true, activation: 'gelu' });
  }

  override hybridForward(_F: unknown, src: nd.NDArray, tgt: nd.NDArray, srcMask: nd.NDArray): nd.NDArray {
    return this.dec.call(tgt, this.enc.call(src, srcMask), srcMask) as nd.NDArray;
  }
}

describe('nn.TransformerEncoderLayer and nn.TransformerDecoderLayer', () => {
  random.seed(21);
  const x = nd.random.uniform(-1, 1, [2, 5, 8]);
  const mem = nd.random.uniform(-1, 1, [2, 4, 8]);
  const pad = nd.array([[[1, 1, 1, 1, 1]], [[1, 1, 1, 0, 0]]]); // [N, 1, T]: sample 1 has 3 tokens
  const memPad = nd.array([[[1, 1, 1, 1]], [[1, 1, 0, 0]]]); // [N, 1, S]
  interface Case { what: string; make: () => Enc | Dec; inputs: nd.NDArray[]; np: string; torch: string }
  const enc = (o: Record<string, unknown>) => () => ready(new nn.TransformerEncoderLayer(8, 2, 16, { dropout: 0, ...o }));
  const dec = (o: Record<string, unknown>) => () => ready(new nn.TransformerDecoderLayer(8, 2, 16, { dropout: 0, ...o }));
  const torchEnc = (act: string, pre: boolean, causal: boolean, padded: boolean) => `
m = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation='${act}', batch_first=True, norm_first=${pre ? 'True' : 'False'})
load_mha(m.self_attn, 'attention.'); load_common(m, 2); m.eval()
T = X[0].shape[1]
kp = T_(X[1][:, 0, :] == 0) if ${padded ? 'True' : 'False'} else None
out = m(T_(X[0]), src_mask=${causal ? 'bool_mask(causal(T), 0, 2)' : 'None'}, src_key_padding_mask=kp).detach().numpy()
`;
  const torchDec = (act: string, pre: boolean, padded: boolean) => `
m = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, activation='${act}', batch_first=True, norm_first=${pre ? 'True' : 'False'})
load_mha(m.self_attn, 'selfAttention.'); load_mha(m.multihead_attn, 'crossAttention.'); load_common(m, 3); m.eval()
kp = T_(X[2][:, 0, :] == 0) if ${padded ? 'True' : 'False'} else None
out = m(T_(X[0]), T_(X[1]), tgt_mask=bool_mask(causal(X[0].shape[1]), 0, 2), memory_key_padding_mask=kp).detach().numpy()
`;
  const CASES: Case[] = [
    { what: 'encoder, post-norm, relu', make: enc({}), inputs: [x], np: 'out = encoder(X[0], None, 2, "relu", False, False)', torch: torchEnc('relu', false, false, false) },
    { what: 'encoder, post-norm, key padding mask', make: enc({}), inputs: [x, pad], np: 'out = encoder(X[0], X[1], 2, "relu", False, False)', torch: torchEnc('relu', false, false, true) },
    { what: 'encoder, pre-norm, gelu, causal', make: enc({ preNorm: true, activation: 'gelu', causal: true }), inputs: [x], np: 'out = encoder(X[0], None, 2, "gelu", True, True)', torch: torchEnc('gelu', true, true, false) },
    { what: 'encoder, pre-norm, causal + key padding', make: enc({ preNorm: true, causal: true }), inputs: [x, pad], np: 'out = encoder(X[0], X[1], 2, "relu", True, True)', torch: torchEnc('relu', true, true, true) },
    { what: 'decoder, post-norm', make: dec({}), inputs: [x, mem], np: 'out = decoder(X[0], X[1], None, 2, "relu", False)', torch: torchDec('relu', false, false) },
    { what: 'decoder, pre-norm, gelu, memory mask', make: dec({ preNorm: true, activation: 'gelu' }), inputs: [x, mem, memPad], np: 'out = decoder(X[0], X[1], X[2], 2, "gelu", True)', torch: torchDec('gelu', true, true) },
  ];
  const blocks = CASES.map((c) => c.make());
  let refs: NumpyResult[] = [];
  before(function () {
    this.timeout(120000);
    refs = numpyRefs(CASES.flatMap((c, i) => [refJob(blocks[i]!, c.np, c.inputs), refJob(blocks[i]!, c.torch, c.inputs, {}, true)]));
  });

  for (const [i, c] of CASES.entries()) {
    it(`${c.what}: eager and hybridized equal numpy float64 and PyTorch`, () => {
      const [np, torch] = [refs[2 * i]!, refs[2 * i + 1]!];
      assert.ok(!np.error, np.error);
      assert.ok(!torch.error, torch.error);
      // The two references agree with each other (both written independently of gluonc).
      assertClose(torch.outs[0]!.data as number[], np.outs[0]!.data, `${c.what}: torch vs numpy`, 1e-9, 1e-10);
      const b = blocks[i]!;
      b.hybridize(false);
      const e = run(b, c.inputs);
      assert.deepEqual(e.shape, np.outs[0]!.shape);
      assertClose(nums(e), np.outs[0]!.data, `${c.what} eager`, 1e-4, 1e-5);
      b.hybridize();
      assertClose(nums(run(b, c.inputs)), np.outs[0]!.data, `${c.what} hybridized`, 1e-4, 1e-5);
      b.hybridize(false);
    });
  }

  it('parameter names: attention.query_weight, ffn1.weight, norm1.gamma ...', () => {
    const e = new nn.TransformerEncoderLayer(8, 2, 16);
    assert.deepEqual([...e.collectParams().keys()], [
      'attention.query_weight', 'attention.key_weight', 'attention.value_weight', 'attention.out_weight',
      'attention.query_bias', 'attention.key_bias', 'attention.value_bias', 'attention.out_bias',
      'ffn1.weight', 'ffn1.bias', 'ffn2.weight', 'ffn2.bias', 'norm1.gamma', 'norm1.beta', 'norm2.gamma', 'norm2.beta',
    ]);
    assert.deepEqual(e.ffn1.weight.shape, [16, 8]);
    const d = new nn.TransformerDecoderLayer(8, 2, 16);
    const keys = [...d.collectParams().keys()];
    assert.equal(keys.length, 26);
    assert.deepEqual(keys.filter((k) => k.startsWith('crossAttention.')).length, 8);
    assert.ok(keys.includes('norm3.beta'));
  });

  it('masks of any dtype combine with the causal mask (int32, bool), eager and hybridized', () => {
    const b = blocks[3]!; // pre-norm, causal, given the float32 padding mask in the reference case
    const want = nums(run(b, [x, pad]));
    for (const hybrid of [false, true]) {
      b.hybridize(hybrid);
      for (const dtype of ['int32', 'bool'] as const) assertClose(nums(run(b, [x, pad.astype(dtype)])), want, `${dtype} mask (hybrid ${hybrid})`, 1e-6, 1e-6);
    }
    b.hybridize(false);
  });

  it('the causal encoder: changing a later position leaves earlier outputs unchanged', () => {
    const b = blocks[2]!;
    b.hybridize();
    const x2 = nd.array(nums(x).map((v, i) => (i % 40 >= 32 ? v + 1 : v)), { shape: [2, 5, 8] }); // position 4 changed
    const [y1, y2] = [nums(run(b, [x])), nums(run(b, [x2]))];
    for (let n = 0; n < 2; n++) {
      for (let t = 0; t < 5; t++) {
        const s = (n * 5 + t) * 8;
        const same = y1.slice(s, s + 8).every((v, k) => v === y2[s + k]);
        assert.equal(same, t < 4, `sample ${n} position ${t}`);
      }
    }
    b.hybridize(false);
  });

  for (const [what, make, inputs, code, diff] of [
    ['encoder pre-norm gelu causal + padding', () => new nn.TransformerEncoderLayer(4, 2, 6, { dropout: 0, preNorm: true, activation: 'gelu', causal: true }), [[2, 3, 4], 'pad'], 'encoder(X[0], X[1], 2, "gelu", True, True)', [0]],
    ['decoder post-norm with memory mask', () => new nn.TransformerDecoderLayer(4, 2, 6, { dropout: 0 }), [[2, 3, 4], [2, 2, 4], 'mpad'], 'decoder(X[0], X[1], X[2], 2, "relu", False)', [0, 1]],
  ] as const) {
    it(`${what}: gradients (float64) equal finite differences, eager and hybridized`, function () {
      this.timeout(120000);
      random.seed(4);
      const b = ready(make() as Enc | Dec);
      for (const p of b.collectParams().values()) p.cast('float64');
      const xs = inputs.map((s) =>
        s === 'pad' ? nd.array([[[1, 1, 1]], [[1, 1, 0]]]) : s === 'mpad' ? nd.array([[[1, 1]], [[1, 0]]]) : nd.random.uniform(-1, 1, [...s]).astype('float64'),
      );
      const head = nd.random.uniform(-1, 1, [2, 3, 4]).astype('float64');
      const [ref] = numpyRefs([refJob(b, `out = with_grads(lambda: ${code}, [${diff.join(', ')}])`, xs, { head: nums(head) })]);
      assert.ok(!ref!.error, ref!.error);
      const names = [...b.collectParams().keys()];
      for (const hybrid of [false, true]) {
        b.hybridize(hybrid);
        const ins = xs.map((t) => t.copy());
        for (const j of diff) ins[j]!.attachGrad();
        const y = autograd.record(() => run(b, ins));
        // onnxruntime has no float64 Erf/Gelu kernels, so a compiled gelu runs in float32 (ops/elementwise.ts).
        const f32 = hybrid && what.includes('gelu');
        assertClose(nums(y), ref!.outs[0]!.data, `${what} output (hybrid ${hybrid})`, f32 ? 1e-6 : 1e-9, f32 ? 1e-7 : 1e-10);
        y.backward(head);
        const [rtol, atol] = f32 ? [1e-4, 1e-6] : [1e-5, 1e-7];
        names.forEach((n, j) => assertClose(nums(b.collectParams().get(n)!.grad()), ref!.outs[1 + j]!.data, `${what} d${n} (hybrid ${hybrid})`, rtol, atol));
        diff.forEach((j, k) => assertClose(nums(ins[j]!.grad!), ref!.outs[1 + names.length + k]!.data, `${what} d input ${j} (hybrid ${hybrid})`, rtol, atol));
      }
    });
  }

  it('one fused SGD step of a small encoder-decoder (hybridized net and L2 loss, float64) equals PyTorch', function () {
    this.timeout(120000);
    random.seed(12);
    const net = new Seq2Seq();
    net.initialize(new init.Xavier());
    const src = nd.random.uniform(-1, 1, [2, 4, 8]).astype('float64');
    const tgt = nd.random.uniform(-1, 1, [2, 3, 8]).astype('float64');
    const label = nd.random.uniform(-1, 1, [2, 3, 8]).astype('float64');
    const srcPad = nd.array([[[1, 1, 1, 1]], [[1, 1, 0, 0]]]); // sample 1: 2 source tokens
    autograd.pause(() => net.call(src.astype('float32'), tgt.astype('float32'), srcPad));
    for (const [k, p] of net.collectParams().entries()) {
      p.cast('float64');
      if (/gamma$|bias$|beta$/.test(k)) p.setData(nd.random.uniform(k.endsWith('gamma') ? 0.5 : -0.5, k.endsWith('gamma') ? 1.5 : 0.5, p.shape as number[]).astype('float64'));
    }
    const params = [...net.collectParams().entries()];
    const before = params.map(([, p]) => nums(p.data()));
    // PyTorch: the same layers (post-norm relu encoder, pre-norm gelu decoder, causal target), gluon's L2Loss
    // (0.5 (y - t)^2, mean over the non-batch axes) summed over the batch, then trainer.step(2) divides by 2.
    const code = `
P = sub_params('enc.')
e = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation='relu', batch_first=True, norm_first=False)
load_mha(e.self_attn, 'attention.'); load_common(e, 2)
P = sub_params('dec.')
d = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
load_mha(d.self_attn, 'selfAttention.'); load_mha(d.multihead_attn, 'crossAttention.'); load_common(d, 3)
P = P_ALL
kp = T_(X[3][:, 0, :] == 0)
y = d(T_(X[1]), e(T_(X[0]), src_key_padding_mask=kp), tgt_mask=bool_mask(causal(X[1].shape[1]), 0, 2), memory_key_padding_mask=kp)
loss = (0.5 * (y - T_(X[2])) ** 2).mean(dim=(1, 2)).sum()
loss.backward()
out = [layer_grad(e if k.startswith('enc.') else d, k[4:]) for k in P]
`;
    const [ref] = numpyRefs([refJob(net, code, [src, tgt, label, srcPad], {}, true)]);
    assert.ok(!ref!.error, ref!.error);
    net.hybridize();
    const loss = new gluon.loss.L2Loss();
    loss.hybridize();
    const lr = 0.5;
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const l = autograd.record(() => loss.call(net.call(src, tgt, srcPad), label)) as nd.NDArray;
    l.backward();
    trainer.step(2);
    params.forEach(([k, p], i) => {
      assert.equal(p.data().dtype, 'float64', k);
      // w1 = w0 - lr * grad / 2; the decoder's compiled gelu runs in float32 (no float64 Erf in onnxruntime).
      const grad = nums(p.data()).map((v, j) => ((before[i]![j]! - v) * 2) / lr);
      // Measured: the worst element is within 1e-5 relative (float32 gelu); the key biases' gradients are exactly 0.
      assertClose(grad, ref!.outs[i]!.data as number[], `${k} gradient`, 2e-5, 1e-9);
    });
  });

  it('dropout is off in predict mode and on in training mode', () => {
    random.seed(9);
    const d = ready(new nn.TransformerEncoderLayer(8, 2, 16, { dropout: 0.3, causal: true }));
    const plain = ready(new nn.TransformerEncoderLayer(8, 2, 16, { dropout: 0, causal: true }));
    for (const [k, p] of plain.collectParams().entries()) p.setData(d.collectParams().get(k)!.data());
    const y0 = nums(run(plain, [x]));
    assertClose(nums(run(d, [x])), y0, 'eager predict', 0, 0);
    d.hybridize();
    assertClose(nums(run(d, [x])), y0, 'hybridized predict', 1e-5, 1e-6);
    const t = nums(autograd.record(() => run(d, [x]), { trainMode: true }));
    assert.ok(t.some((v, i) => Math.abs(v - y0[i]!) > 1e-3), 'training mode applies dropout');
  });

  it('bad configurations and inputs are errors naming the layer and the shapes', () => {
    assert.throws(() => new nn.TransformerEncoderLayer(10, 3, 16), /TransformerEncoderLayer: units \(10\) must be divisible by numHeads \(3\)/);
    assert.throws(() => new nn.TransformerDecoderLayer(8, 2, 0), /TransformerDecoderLayer: hiddenSize must be a positive integer, got 0/);
    assert.throws(() => new nn.TransformerEncoderLayer(8, 2, 16, { activation: 'tanh' as never }), /activation must be 'relu' or 'gelu', got "tanh"/);
    // A non-boolean flag (e.g. the string 'false' from a config file) is refused, not read as truthy.
    assert.throws(() => new nn.TransformerEncoderLayer(8, 2, 16, { causal: 'false' as never }), /TransformerEncoderLayer: option 'causal' must be true or false, got "false"/);
    assert.throws(() => new nn.TransformerDecoderLayer(8, 2, 16, { preNorm: 1 as never }), /TransformerDecoderLayer: option 'preNorm' must be true or false, got 1/);
    const e = blocks[0]!;
    assert.throws(() => run(e, [nd.zeros([2, 5, 6])]), /TransformerEncoderLayer \(block '.*'\): the input must have shape \[batch, length, 8\], got \[2, 5, 6\]/);
    assert.throws(() => run(e, [x, nd.ones([2, 5, 4])]), /TransformerEncoderLayer \(block '.*'\): the mask of shape \[2, 5, 4\] does not broadcast to \[batch, query length, key length\] = \[2, 5, 5\]/);
    assert.throws(() => run(e, [x, pad, pad]), /expects call\(x, mask\?\), got 3 inputs/);
    const d = blocks[4]!;
    assert.throws(() => run(d, [x, nd.zeros([2, 4, 3])]), /TransformerDecoderLayer \(block '.*'\): the memory must have shape \[batch, length, 8\], got \[2, 4, 3\]/);
    assert.throws(() => run(d, [x, mem, nd.ones([2, 1, 5])]), /the mask of shape \[2, 1, 5\] does not broadcast to \[batch, query length, key length\] = \[2, 5, 4\]/);
    d.hybridize();
    assert.throws(() => run(d, [x, mem, nd.ones([2, 1, 5])]), /TransformerDecoderLayer .*the mask of shape \[2, 1, 5\]/);
    d.hybridize(false);
  });
});
