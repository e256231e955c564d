/**
 * models/gpt.ts against a float64 reference written out here with plain
 * loops from the block's own weights (embedding + learned positions,
 * pre-norm blocks of causal multi-head attention — softmax over positions
 * ≤ t, scores scaled by 1/√d — and an erf-GELU feed-forward network, final
 * LayerNorm, tied output): eagerly, hybridized, and as the artifact
 * `gluonc compile models/gpt.ts` writes, at several N and T up to the
 * context. Also: a future token never changes earlier logits, untied
 * output, one fused SGD step against PyTorch (the tied embedding's two
 * gradients summed), and the errors for bad sizes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, nd, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import build, { config, GPT, type GPTConfig } from '../../models/gpt.js';
import { gluonc } from '../helpers/cli.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { nums, refJob } from '../helpers/transformer-ref.js';

/** erf to ~1e-15 (series below 3, continued fraction above). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return (s * 2 * sum) / Math.sqrt(Math.PI);
  }
  // erfc continued fraction (Lentz).
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  return s * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
}

type Weights = Map<string, Float64Array>;

function weightsOf(net: GPT): Weights {
  const w: Weights = new Map();
  for (const [k, p] of net.collectParams().entries()) w.set(k, Float64Array.from(p.data().data() as Float32Array));
  return w;
}

/** y[t] = x[t]·Wᵀ + b for x [T, i], W [o, i]. */
function dense(x: Float64Array[], W: Float64Array, b: Float64Array | undefined, o: number): Float64Array[] {
  const i = x[0]!.length;
  return x.map((row) => {
    const y = new Float64Array(o);
    for (let r = 0; r < o; r++) {
      let s = b ? b[r]! : 0;
      for (let c = 0; c < i; c++) s += row[c]! * W[r * i + c]!;
      y[r] = s;
    }
    return y;
  });
}

function layerNorm(x: Float64Array[], g: Float64Array, b: Float64Array, eps = 1e-5): Float64Array[] {
  return x.map((row) => {
    const n = row.length;
    const mean = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    return row.map((v, j) => ((v - mean) / Math.sqrt(variance + eps)) * g[j]! + b[j]!);
  });
}

const add = (a: Float64Array[], b: Float64Array[]) => a.map((r, t) => r.map((v, j) => v + b[t]![j]!));

/** Logits [T, vocab] of one sequence, in float64. */
function reference(w: Weights, c: Required<GPTConfig>, tokens: number[]): Float64Array[] {
  const U = c.units;
  const E = w.get('embedding.weight')!;
  const P = w.get('position.weight')!;
  let x = tokens.map((tok, t) => Float64Array.from({ length: U }, (_v, j) => E[tok * U + j]! + P[t * U + j]!));
  const d = U / c.heads;
  for (let l = 0; l < c.layers; l++) {
    const g = (n: string) => w.get(`blocks.${l}.${n}`)!;
    const h = layerNorm(x, g('norm1.gamma'), g('norm1.beta'));
    const q = dense(h, g('attention.query_weight'), g('attention.query_bias'), U);
    const k = dense(h, g('attention.key_weight'), g('attention.key_bias'), U);
    const v = dense(h, g('attention.value_weight'), g('attention.value_bias'), U);
    const ctx = x.map(() => new Float64Array(U));
    for (let head = 0; head < c.heads; head++) {
      for (let t = 0; t < x.length; t++) {
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let j = head * d; j < (head + 1) * d; j++) dot += q[t]![j]! * k[s]![j]!;
          scores.push(dot / Math.sqrt(d));
        }
        const m = Math.max(...scores);
        const e = scores.map((z) => Math.exp(z - m));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) for (let j = head * d; j < (head + 1) * d; j++) ctx[t]![j]! += (e[s]! / sum) * v[s]![j]!;
      }
    }
    x = add(x, dense(ctx, g('attention.out_weight'), g('attention.out_bias'), U));
    const h2 = layerNorm(x, g('norm2.gamma'), g('norm2.beta'));
    const f1 = dense(h2, g('ffn1.weight'), g('ffn1.bias'), c.hidden).map((r) => r.map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2))));
    x = add(x, dense(f1, g('ffn2.weight'), g('ffn2.bias'), U));
  }
  const out = layerNorm(x, w.get('norm.gamma')!, w.get('norm.beta')!);
  return dense(out, c.tied ? E : w.get('output.weight')!, undefined, c.vocab);
}

function tokensFor(n: number, t: number, vocab: number, seed: number): number[][] {
  return Array.from({ length: n }, (_r, i) => Array.from({ length: t }, (_c, j) => (i * 7 + j * 5 + seed * 3 + ((i * j) % 3)) % vocab));
}

function checkAgainst(got: ArrayLike<number>, rows: number[][], w: Weights, c: Required<GPTConfig>, what: string, tol = 2e-4): void {
  const V = c.vocab;
  let k = 0;
  for (const row of rows) {
    for (const logits of reference(w, c, row)) {
      for (let j = 0; j < V; j++, k++) {
        assert.ok(Math.abs(got[k]! - logits[j]!) <= tol * (1 + Math.abs(logits[j]!)), `${what}[${k}]: ${got[k]} vs float64 ${logits[j]}`);
      }
    }
  }
  assert.equal(k, got.length, `${what}: length`);
}

const int32 = (rows: number[][]) => nd.array(Int32Array.from(rows.flat()), { shape: [rows.length, rows[0]!.length], dtype: 'int32' });

describe('models/gpt', function () {
  this.timeout(120_000);

  it('the default build gives [N, T, vocab] logits equal to the float64 reference, eagerly and hybridized, at several N and T', () => {
    random.seed(3);
    const net = build();
    net.initialize();
    const c = net.config;
    const w = weightsOf(net);
    const sizes: [number, number][] = [[1, 1], [2, 5], [3, c.context]];
    for (const [n, t] of sizes) {
      const rows = tokensFor(n, t, c.vocab, n + t);
      const y = net.call(int32(rows)) as nd.NDArray;
      assert.deepEqual(y.shape, [n, t, c.vocab]);
      checkAgainst(y.data() as Float32Array, rows, w, c, `eager [${n}, ${t}]`);
    }
    net.hybridize();
    for (const [n, t] of [...sizes, [4, 7] as [number, number]]) {
      const rows = tokensFor(n, t, c.vocab, 2 * n + t);
      checkAgainst((net.call(int32(rows)) as nd.NDArray).data() as Float32Array, rows, w, c, `hybridized [${n}, ${t}]`);
    }
  });

  it('is causal: changing a later token leaves the earlier positions\' logits as they were', () => {
    random.seed(4);
    const net = build({ ...config, layers: 1, units: 32, heads: 2, hidden: 64 });
    net.initialize();
    net.hybridize();
    const a = (net.call(int32([[1, 2, 3, 4, 5, 6]])) as nd.NDArray).data() as Float32Array;
    const b = (net.call(int32([[1, 2, 3, 9, 0, 11]])) as nd.NDArray).data() as Float32Array;
    const V = net.config.vocab;
    assert.deepEqual(Array.from(a.subarray(0, 3 * V)), Array.from(b.subarray(0, 3 * V)));
    assert.notDeepEqual(Array.from(a.subarray(3 * V, 4 * V)), Array.from(b.subarray(3 * V, 4 * V)));
  });

  it('tied (default) shares one embedding matrix; untied adds output.weight, also matching the reference', () => {
    const tied = build();
    assert.ok(!tied.collectParams().keys().includes('output.weight'));
    assert.equal(tied.output.weight, tied.embedding.weight);
    random.seed(5);
    const untied = build({ vocab: 11, units: 16, layers: 2, heads: 4, hidden: 24, context: 6, tied: false });
    untied.initialize();
    assert.ok(untied.collectParams().keys().includes('output.weight'));
    const rows = tokensFor(2, 6, 11, 1);
    untied.hybridize();
    checkAgainst((untied.call(int32(rows)) as nd.NDArray).data() as Float32Array, rows, weightsOf(untied), untied.config, 'untied');
  });

  it('gluonc compile models/gpt.ts gives an artifact with inputs tokens [N, T] int32 that matches the block at any N and T up to the context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-gpt-'));
    try {
      const r = gluonc(['compile', 'models/gpt.ts', '-o', join(dir, 'gpt.onnx')]);
      assert.equal(r.status, 0, r.stderr);
      const { loadModelFile } = await import('../../cli/model-file.js');
      const { block } = await loadModelFile('models/gpt.ts');
      const net = block as unknown as GPT;
      const w = weightsOf(net);
      const model = await loadModel(join(dir, 'gpt.onnx'));
      try {
        assert.deepEqual(model.inputs, [{ name: 'tokens', dtype: 'int32', shape: ['N', 'T'] }]);
        for (const [n, t] of [[1, 1], [2, 8], [5, 3], [3, config.context]] as const) {
          const rows = tokensFor(n, t, config.vocab, 3 * n + t);
          const out = Object.values(await model.run({ tokens: { data: Int32Array.from(rows.flat()), shape: [n, t] } }))[0]!;
          assert.deepEqual(out.shape, [n, t, config.vocab]);
          checkAgainst(out.data as Float32Array, rows, w, net.config, `artifact [${n}, ${t}]`);
        }
        // Longer than the context: refused when the artifact runs, not a silently reused last position.
        await assert.rejects(model.run({ tokens: { data: new Int32Array(config.context + 1), shape: [1, config.context + 1] } }));
      } finally {
        await model.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one fused SGD step (hybridized net and loss, tied embedding) moves every parameter by PyTorch\'s gradient', function () {
    random.seed(6);
    const c: GPTConfig = { vocab: 11, units: 8, layers: 2, heads: 2, hidden: 12, context: 6 };
    const net = build(c);
    net.initialize();
    // A large learning rate makes each update large against float32 rounding of the weights, so even the
    // smallest gradients (~1e-7, deep attention queries) are recovered from the update to ~1e-10.
    const [N, T, lr] = [2, 5, 50];
    const rows = tokensFor(N, T, c.vocab, 2);
    const labels = tokensFor(N, T, c.vocab, 5);
    autograd.pause(() => net.call(int32(rows)));
    // Non-trivial LayerNorm scales and biases (defaults 1 and 0 would hide a transposed gamma/beta).
    for (const [k, p] of net.collectParams().entries()) {
      if (/gamma$|beta$|bias$/.test(k)) p.setData(nd.random.uniform(k.endsWith('gamma') ? 0.5 : -0.5, k.endsWith('gamma') ? 1.5 : 0.5, p.shape as number[]));
    }
    const params = [...net.collectParams().entries()];
    const before = params.map(([, p]) => nums(p.data()));
    const code = `
E = torch.tensor(P['embedding.weight'], requires_grad=True)
Pos = torch.tensor(P['position.weight'], requires_grad=True)
tok = torch.tensor(X[0]).long()
T = tok.shape[1]
x = E[tok] + Pos[:T]
layers = []
for l in range(2):
    P = sub_params('blocks.%d.' % l)
    m = torch.nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
    load_mha(m.self_attn, 'attention.'); load_common(m, 2)
    layers.append(m)
    x = m(x, src_mask=bool_mask(causal(T), 0, 2))
P = P_ALL
g, b = torch.tensor(P['norm.gamma'], requires_grad=True), torch.tensor(P['norm.beta'], requires_grad=True)
logits = torch.nn.functional.layer_norm(x, (8,), g, b, 1e-5) @ E.T
ce = torch.nn.functional.cross_entropy(logits.reshape(-1, 11), torch.tensor(X[1]).long().reshape(-1), reduction='none')
ce.reshape(tok.shape).mean(dim=1).sum().backward()
top = {'embedding.weight': E, 'position.weight': Pos, 'norm.gamma': g, 'norm.beta': b}
out = [top[k].grad.numpy() if k in top else layer_grad(layers[int(k.split('.')[1])], k.split('.', 2)[2]) for k in P]
`;
    const [ref] = numpyRefs([refJob(net, code, [int32(rows), int32(labels)], {}, true)]);
    assert.ok(!ref!.error, ref!.error);
    net.hybridize();
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    loss.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const l = autograd.record(() => loss.call(net.call(int32(rows)), int32(labels))) as nd.NDArray;
    l.backward();
    trainer.step(N);
    params.forEach(([k, p], i) => {
      // w1 = w0 - lr * grad / N in float32: the difference carries ~6e-8 * |w1| * N / lr of rounding (<= 1.2e-7 here,
      // under 2e-10 for the small gradients). An atol near the gradients' own size (2e-5 before) passed any value
      // for the parameters whose gradients are ~1e-7..1e-5; the worst element here uses 1/6 of this tolerance.
      const grad = nums(p.data()).map((v, j) => ((before[i]![j]! - v) * N) / lr);
      assertClose(grad, ref!.outs[i]!.data as number[], `${k} gradient`, 1e-3, 1e-8);
    });
  });

  it('refuses a sequence longer than the context, naming the layer', () => {
    const net = build();
    net.initialize();
    assert.throws(() => net.call(int32([Array.from({ length: config.context + 1 }, () => 1)])), /LearnedPositionalEmbedding.*has 17 positions, more than maxLen = 16/);
  });

  it('refuses bad sizes by name', () => {
    assert.throws(() => build({ ...config, units: 30, heads: 4 }), /units \(30\) must be divisible by numHeads \(4\)/);
    assert.throws(() => build({ ...config, layers: 0 }), /GPT: layers must be a positive integer, got 0/);
    assert.throws(() => build({ ...config, vocab: 2.5 }), /GPT: vocab must be a positive integer, got 2.5/);
  });
});
