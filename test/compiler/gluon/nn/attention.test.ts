/**
 * nn.MultiHeadAttention against the attention formula written out in numpy
 * float64 with the same weights (eager and hybridized, float32 and float64),
 * with no mask, a causal mask, a key padding mask and fully-masked rows;
 * gradients of the inputs and every parameter against central finite
 * differences of that formula in float64; PyTorch's
 * torch.nn.MultiheadAttention with copied weights (also 3 heads of 3 with
 * differing key and value widths, outputs and gradients by torch autograd);
 * dropout; parameter
 * names; named errors.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs, type NumpyResult } from '../../../helpers/numpy.js';
import { nums, refJob } from '../../../helpers/transformer-ref.js';

const { nn } = gluon;
type MHA = InstanceType<typeof nn.MultiHeadAttention>;

function makeAtt(units: number, heads: number, o: Record<string, unknown> = {}): MHA {
  const att = new nn.MultiHeadAttention(units, heads, { biasInitializer: new init.Uniform(0.5), ...o });
  att.initialize(new init.Xavier());
  return att;
}

const call = (att: MHA, xs: (nd.NDArray | null)[]) => att.call(...(xs.filter((x) => x !== null) as nd.NDArray[])) as nd.NDArray;

/** Fixed masks: key padding (sample 1 sees 2 of 5 keys), and one with a fully-masked query row. */
const PAD = nd.array([[[1, 1, 1, 1, 1]], [[1, 1, 0, 0, 0]]]); // [2, 1, 5]
const ROWS = nd.array([
  [[1, 0, 1, 0, 1], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]],
  [[0, 0, 0, 0, 0], [0, 0, 0, 0, 1], [1, 1, 0, 0, 0]],
]); // [2, 3, 5]

describe('nn.MultiHeadAttention', () => {
  random.seed(7);
  const att = makeAtt(8, 2);
  const q = nd.random.uniform(-1, 1, [2, 3, 8]);
  const kv = nd.random.uniform(-1, 1, [2, 5, 8]);
  const x = nd.random.uniform(-1, 1, [2, 4, 8]);
  const causal = nd.tril(nd.ones([4, 4]));
  const CASES: [string, (nd.NDArray | null)[]][] = [
    ['cross-attention, no mask', [q, kv, kv, null]],
    ['key padding mask [N, 1, Tk]', [q, kv, kv, PAD]],
    ['fully-masked rows [N, Tq, Tk]', [q, kv, kv, ROWS]],
    ['causal self-attention, mask [T, T]', [x, x, x, causal]],
    ['bool mask [Tk]', [q, kv, kv, nd.array([1, 0, 1, 1, 0]).astype('bool')]],
  ];
  let refs: NumpyResult[] = [];
  before(function () {
    this.timeout(60000);
    refs = numpyRefs(CASES.map(([, xs]) => refJob(att, 'out = mha(X[0], X[1], X[2], X[3], "", 2)', xs)));
  });

  it('parameters: MXNet-style names, [units, units] weights applied as x·Wᵀ', () => {
    assert.deepEqual([...att.collectParams().keys()], ['query_weight', 'key_weight', 'value_weight', 'out_weight', 'query_bias', 'key_bias', 'value_bias', 'out_bias']);
    assert.equal(att.queryWeight.name.endsWith('query_weight'), true);
    for (const p of [att.queryWeight, att.keyWeight, att.valueWeight, att.outWeight]) assert.deepEqual(p.shape, [8, 8]);
    for (const p of [att.queryBias!, att.keyBias!, att.valueBias!, att.outBias!]) assert.deepEqual(p.shape, [8]);
    const nb = new nn.MultiHeadAttention(8, 4, { useBias: false, inUnits: 6 });
    assert.deepEqual([...nb.collectParams().keys()], ['query_weight', 'key_weight', 'value_weight', 'out_weight']);
    assert.deepEqual(nb.keyWeight.shape, [8, 6]);
    assert.deepEqual(nb.outWeight.shape, [8, 8]);
  });

  for (const [i, [what, xs]] of CASES.entries()) {
    it(`${what}: eager and hybridized equal numpy float64`, () => {
      const ref = refs[i]!;
      assert.ok(!ref.error, ref.error);
      att.hybridize(false);
      const e = call(att, xs);
      assert.deepEqual(e.shape, ref.outs[0]!.shape);
      assertClose(nums(e), ref.outs[0]!.data, `${what} eager`, 1e-4, 1e-5);
      att.hybridize();
      const h = call(att, xs);
      assertClose(nums(h), ref.outs[0]!.data, `${what} hybridized`, 1e-4, 1e-5);
      att.hybridize(false);
    });
  }

  it('a fully-masked query row gives exactly the output bias (no NaN)', () => {
    const y = call(att, [q, kv, kv, ROWS]).toArray() as number[][][];
    const b = nums(att.outBias!.data());
    assert.deepEqual(y[0]![1], b.map((v) => Math.fround(v)));
    assert.deepEqual(y[1]![0], b.map((v) => Math.fround(v)));
    assert.ok(y.flat(2).every((v) => Number.isFinite(v)));
  });

  it('gradients of inputs and parameters (float64) equal finite differences of the formula, eager and hybridized', function () {
    this.timeout(60000);
    random.seed(3);
    const a = makeAtt(4, 2, { inUnits: 0 });
    const q0 = nd.random.uniform(-1, 1, [2, 3, 4]).astype('float64');
    const k0 = nd.random.uniform(-1, 1, [2, 4, 4]).astype('float64');
    const v0 = nd.random.uniform(-1, 1, [2, 4, 4]).astype('float64');
    const mask = nd.array([[[1, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]], [[1, 1, 1, 1], [1, 0, 1, 0], [0, 1, 1, 1]]]);
    autograd.pause(() => a.call(q0.astype('float32'), k0.astype('float32'), v0.astype('float32'), mask)); // deferred in-units
    for (const p of a.collectParams().values()) p.cast('float64');
    const head = nd.random.uniform(-1, 1, [2, 3, 4]).astype('float64');
    const [ref] = numpyRefs([refJob(a, 'out = with_grads(lambda: mha(X[0], X[1], X[2], X[3], "", 2), [0, 1, 2])', [q0, k0, v0, mask], { head: nums(head) })]);
    assert.ok(!ref!.error, ref!.error);
    const names = [...a.collectParams().keys()];
    for (const hybrid of [false, true]) {
      a.hybridize(hybrid);
      const ins = [q0, k0, v0].map((t) => t.copy());
      ins.forEach((t) => t.attachGrad());
      const y = autograd.record(() => (a.call(ins[0]!, ins[1]!, ins[2]!, mask) as nd.NDArray));
      assert.equal(y.dtype, 'float64');
      assertClose(nums(y), ref!.outs[0]!.data, `output (hybrid ${hybrid})`, 1e-9, 1e-10);
      y.backward(head);
      names.forEach((n, j) => assertClose(nums(a.collectParams().get(n)!.grad()), ref!.outs[1 + j]!.data, `d${n} (hybrid ${hybrid})`, 1e-5, 1e-7));
      ['query', 'key', 'value'].forEach((n, j) => assertClose(nums(ins[j]!.grad!), ref!.outs[1 + names.length + j]!.data, `d${n} (hybrid ${hybrid})`, 1e-5, 1e-7));
    }
    // The masked keys of the fully-masked row and the masked positions get no gradient through the softmax.
    assert.ok(nums(a.keyWeight.grad()).some((g) => g !== 0));
  });

  it('equals torch.nn.MultiheadAttention (float64, batch_first) with copied weights', function () {
    this.timeout(60000);
    const code = `
N, H = X[0].shape[0], 2
m = torch.nn.MultiheadAttention(8, H, batch_first=True)
load_mha(m, '')
m.eval()
outs = []
for mask in [None, X[3], X[4]]:
    y, _ = m(T_(X[0]), T_(X[1]), T_(X[2]), attn_mask=bool_mask(mask, N, H), need_weights=False)
    outs.append(y.detach().numpy())
out = outs
`;
    // torch gives NaN for fully-masked rows, so these masks leave every query a key.
    const m2 = nd.array([[1, 0, 1, 1, 1], [1, 1, 1, 0, 0], [0, 0, 0, 0, 1]]);
    const m3 = nd.array([[[1, 1, 1, 1, 1], [1, 0, 0, 0, 0], [0, 1, 1, 0, 1]], [[1, 1, 0, 0, 0], [0, 0, 0, 1, 1], [1, 1, 1, 1, 1]]]);
    const [ref] = numpyRefs([refJob(att, code, [q, kv, kv, m2, m3], {}, true)]);
    assert.ok(!ref!.error, ref!.error);
    [undefined, m2, m3].forEach((m, i) => {
      const y = (m ? att.call(q, kv, kv, m) : att.call(q, kv, kv)) as nd.NDArray;
      assertClose(nums(y), ref!.outs[i]!.data, `torch mask ${i}`, 1e-4, 1e-5);
    });
  });

  it('3 heads of 3 features, key and value widths differing (inUnits 0), float64: output and every gradient equal PyTorch autograd, eager and hybridized', function () {
    this.timeout(60000);
    random.seed(11);
    const a = makeAtt(9, 3, { inUnits: 0 });
    const q0 = nd.random.uniform(-1, 1, [2, 3, 9]).astype('float64');
    const k0 = nd.random.uniform(-1, 1, [2, 4, 6]).astype('float64');
    const v0 = nd.random.uniform(-1, 1, [2, 4, 7]).astype('float64');
    // Key padding (sample 1 sees 2 keys) times a band: query 2 of sample 1 has no key left.
    const mask = nd.array([[[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1]], [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]]);
    autograd.pause(() => a.call(q0.astype('float32'), k0.astype('float32'), v0.astype('float32'), mask));
    for (const p of a.collectParams().values()) p.cast('float64');
    assert.deepEqual([a.queryWeight.shape, a.keyWeight.shape, a.valueWeight.shape], [[9, 9], [9, 6], [9, 7]]);
    const head = nd.random.uniform(-1, 1, [2, 3, 9]).astype('float64');
    // torch gives NaN for the fully-masked row; gluonc's promise there is the output bias and no gradient through it,
    // so the reference computes torch on the rows with a key and the bias elsewhere.
    const code = `
m = torch.nn.MultiheadAttention(9, 3, kdim=6, vdim=7, batch_first=True)
with torch.no_grad():
    m.q_proj_weight.copy_(T_(P['query_weight'])); m.k_proj_weight.copy_(T_(P['key_weight'])); m.v_proj_weight.copy_(T_(P['value_weight']))
    m.in_proj_bias.copy_(T_(np.concatenate([P['query_bias'], P['key_bias'], P['value_bias']])))
    m.out_proj.weight.copy_(T_(P['out_weight'])); m.out_proj.bias.copy_(T_(P['out_bias']))
xs = [T_(X[i]).requires_grad_(True) for i in range(3)]
M = X[3]
live = T_(M.any(axis=-1))[..., None]
safe = np.where(M.any(axis=-1, keepdims=True), M, 1)
y, _ = m(xs[0], xs[1], xs[2], attn_mask=bool_mask(safe, 2, 3), need_weights=False)
y = torch.where(live, y, m.out_proj.bias)
(y * T_(np.array(attrs['head']).reshape(y.shape))).sum().backward()
g = lambda t, i: t.grad.numpy()[i * 9:(i + 1) * 9]
pg = {'query_weight': m.q_proj_weight.grad.numpy(), 'key_weight': m.k_proj_weight.grad.numpy(), 'value_weight': m.v_proj_weight.grad.numpy(),
      'out_weight': m.out_proj.weight.grad.numpy(), 'query_bias': g(m.in_proj_bias, 0), 'key_bias': g(m.in_proj_bias, 1),
      'value_bias': g(m.in_proj_bias, 2), 'out_bias': m.out_proj.bias.grad.numpy()}
out = [y.detach().numpy()] + [pg[k] for k in P] + [t.grad.numpy() for t in xs]
`;
    const [ref] = numpyRefs([refJob(a, code, [q0, k0, v0, mask], { head: nums(head) }, true)]);
    assert.ok(!ref!.error, ref!.error);
    const names = [...a.collectParams().keys()];
    for (const hybrid of [false, true]) {
      a.hybridize(hybrid);
      const ins = [q0, k0, v0].map((t) => t.copy());
      ins.forEach((t) => t.attachGrad());
      const y = autograd.record(() => a.call(ins[0]!, ins[1]!, ins[2]!, mask) as nd.NDArray);
      assertClose(nums(y), ref!.outs[0]!.data as number[], `output (hybrid ${hybrid})`, 1e-10, 1e-12);
      y.backward(head);
      names.forEach((n, j) => assertClose(nums(a.collectParams().get(n)!.grad()), ref!.outs[1 + j]!.data as number[], `d${n} (hybrid ${hybrid})`, 1e-10, 1e-12));
      ['query', 'key', 'value'].forEach((n, j) => assertClose(nums(ins[j]!.grad!), ref!.outs[1 + names.length + j]!.data as number[], `d${n} (hybrid ${hybrid})`, 1e-10, 1e-12));
    }
    a.hybridize(false);
  });

  it('dropout acts on the attention weights in training mode only', () => {
    random.seed(5);
    const d = makeAtt(8, 2, { dropout: 0.5 });
    const plain = makeAtt(8, 2);
    for (const [k, p] of plain.collectParams().entries()) p.setData(d.collectParams().get(k)!.data());
    const y0 = nums(plain.call(q, kv, kv) as nd.NDArray);
    assertClose(nums(d.call(q, kv, kv) as nd.NDArray), y0, 'predict mode: dropout off', 0, 0);
    d.hybridize();
    assertClose(nums(d.call(q, kv, kv) as nd.NDArray), y0, 'predict mode hybridized', 1e-6, 1e-6);
    const t = nums(autograd.record(() => d.call(q, kv, kv) as nd.NDArray, { trainMode: true }));
    assert.ok(t.some((v, i) => Math.abs(v - y0[i]!) > 1e-3), 'training mode drops attention weights');
  });

  it('bad configurations and inputs are errors naming the layer and the shapes', () => {
    assert.throws(() => new nn.MultiHeadAttention(10, 4), /MultiHeadAttention: units \(10\) must be divisible by numHeads \(4\)/);
    assert.throws(() => new nn.MultiHeadAttention(8, 0), /numHeads must be a positive integer, got 0/);
    assert.throws(() => new nn.MultiHeadAttention(8, 2, { dropout: 1 }), /dropout must be in \[0, 1\), got 1/);
    assert.throws(() => new nn.MultiHeadAttention(8, 2, { useBias: 'false' as never }), /MultiHeadAttention: option 'useBias' must be true or false, got "false"/);
    const a = makeAtt(8, 2);
    assert.throws(() => a.call(nd.zeros([2, 3, 6]), kv, kv), /MultiHeadAttention \(block '.*'\): query must have 8 features on its last axis, got query \[2, 3, 6\], key \[2, 5, 8\], value \[2, 5, 8\]/);
    assert.throws(() => a.call(q, kv, nd.zeros([2, 4, 8])), /key and value must have the same length, got query \[2, 3, 8\], key \[2, 5, 8\], value \[2, 4, 8\]/);
    assert.throws(() => a.call(q, nd.zeros([3, 5, 8]), nd.zeros([3, 5, 8])), /same batch size/);
    assert.throws(() => a.call(nd.zeros([3, 8]), kv, kv), /rank 3/);
    assert.throws(() => a.call(q, kv, kv, nd.ones([2, 3, 4])), /MultiHeadAttention \(block '.*'\): the mask of shape \[2, 3, 4\] does not broadcast to \[batch, query length, key length\] = \[2, 3, 5\]/);
    assert.throws(() => a.call(q, kv, kv, nd.ones([2, 1, 3, 5])), /the mask of shape \[2, 1, 3, 5\] does not broadcast/);
    assert.throws(() => a.call(q, kv), /expects call\(query, key, value, mask\?\), got 2 inputs/);
    a.hybridize();
    assert.throws(() => a.call(q, kv, kv, nd.ones([3, 5, 5])), /the mask of shape \[3, 5, 5\] does not broadcast/);
  });
});
