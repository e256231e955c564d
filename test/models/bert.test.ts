/**
 * models/bert (GluonNLP 0.x's BERT ported as Gluon 1.x HybridBlocks) against
 * an independent PyTorch BERT with the same weights (test/helpers/bert-ref.ts):
 * sequence, pooled and classifier outputs in float64 (tight) and float32,
 * valid lengths 1, inside and full, padded token positions, token types;
 * eager and hybridized; the gradient of a classification loss for every
 * parameter; three Adam / AdamW / BERTAdam steps against torch.optim; an
 * export with symbolic N and T run by loadModel at two sizes; GluonNLP's
 * parameter names; the errors for bad input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { BERTClassifier, BERTModel as BERTModelClass, bertHparams, bertModel, type BERTConfig } from '../../models/bert/bert.js';
import { BERTEncoder } from '../../models/bert/transformer.js';
import { assertClose } from '../helpers/compare.js';
import { PY_WRITE_MXNET, python } from '../helpers/mxnet-python.js';
import { gluonc } from '../helpers/cli.js';
import { TorchBertRefs, type RefBatch, type RefJob } from '../helpers/bert-ref.js';

const tiny: BERTConfig = { ...bertHparams.tiny, dropout: 0 };
const int32 = (rows: number[][]) => nd.array(Int32Array.from(rows.flat()), { shape: [rows.length, rows[0]!.length], dtype: 'int32' });

/** A classifier with non-trivial LayerNorm scales and biases (1 and 0 would hide a swapped gamma/beta). */
function classifier(dtype: 'float32' | 'float64', seed: number, c: BERTConfig = tiny, dropout = 0, o: Parameters<typeof bertModel>[1] = {}): BERTClassifier {
  random.seed(seed);
  const net = new BERTClassifier(bertModel(c, o), 3, dropout);
  net.initialize(new init.Normal(0.3));
  for (const [k, p] of net.collectParams().entries()) {
    if (/gamma$|beta$|bias$/.test(k)) p.setData(nd.random.uniform(k.endsWith('gamma') ? 0.5 : -0.5, k.endsWith('gamma') ? 1.5 : 0.5, p.shape as number[]));
  }
  if (dtype === 'float64') net.cast('float64');
  return net;
}

function job(net: BERTClassifier, dtype: 'float32' | 'float64', batches: RefBatch[], extra: Partial<RefJob> = {}): RefJob {
  const params: RefJob['params'] = {};
  for (const [k, p] of net.collectParams().entries()) params[k] = { shape: p.shape as number[], data: Array.from(p.data().data() as Float64Array) };
  const head = net.collectParams().keys().find((k) => k.startsWith('classifier.') && k.endsWith('.weight'))!.replace(/weight$/, '');
  return { dtype, cfg: { units: tiny.units, heads: tiny.numHeads, layers: tiny.numLayers, eps: 1e-12, head }, params, batches, ...extra };
}

/** N sequences of length T with valid lengths `vl`: ids past each length are arbitrary padding (`pad`). */
function batchOf(vl: number[], T: number, seed: number, pad = 0): RefBatch {
  const ids = vl.map((_l, i) => Array.from({ length: T }, (_x, j) => (j < vl[i]! ? (i * 13 + j * 7 + seed * 5) % 100 : pad)));
  const types = vl.map((l, i) => Array.from({ length: T }, (_x, j) => (j >= Math.ceil(l / 2) && j < l ? 1 : (i + j + seed) % 2 === 0 && j >= l ? 1 : 0)));
  return { ids, types, vl, labels: vl.map((_l, i) => (i + seed) % 3) };
}

function run(net: BERTClassifier, b: RefBatch, vlDtype: 'int32' | 'float32' = 'int32'): nd.NDArray[] {
  const outs = net.bert.call(int32(b.ids), int32(b.types), nd.array(b.vl, { dtype: vlDtype })) as nd.NDArray[];
  const logits = net.call(int32(b.ids), int32(b.types), nd.array(b.vl, { dtype: vlDtype })) as nd.NDArray;
  return [outs[0]!, outs[1]!, logits];
}

/** The PyTorch references of this file, asked for together before the tests (one torch import instead of ten). */
const refs = new TorchBertRefs();

function compare(net: BERTClassifier, batches: RefBatch[], dtype: 'float32' | 'float64', tol: [number, number], what: string, vlDtype: 'int32' | 'float32' = 'int32'): void {
  // The reference runs in float64 for both dtypes.
  const ref = refs.get(job(net, 'float64', batches));
  batches.forEach((b, i) => {
    const [seq, pooled, logits] = run(net, b, vlDtype);
    assert.equal(seq.dtype, dtype);
    assert.deepEqual(seq.shape, [b.ids.length, b.ids[0]!.length, tiny.units]);
    assertClose(seq.data() as Float64Array, ref.forward[i]!.seq, `${what} batch ${i} sequence`, ...tol);
    assertClose(pooled.data() as Float64Array, ref.forward[i]!.pooled, `${what} batch ${i} pooled`, ...tol);
    assertClose(logits.data() as Float64Array, ref.forward[i]!.logits, `${what} batch ${i} logits`, ...tol);
  });
}

const BATCHES = [batchOf([1, 7, 4, 2], 7, 1), batchOf([5, 3], 5, 2), batchOf([1], 1, 3)];
const GRAD_BATCH = batchOf([1, 6, 4], 6, 5);
const OPTIMIZERS = [['adam', 0.01], ['adamw', 0.01], ['bertadam', 0.01]] as const;
const OPTIM_BATCHES = [batchOf([3, 6, 1], 6, 6), batchOf([2, 4], 4, 7), batchOf([5], 5, 8)];
const optimOptions = (name: string, wd: number) => ({ lr: 0.01, wd, beta1: 0.9, beta2: 0.999, epsilon: name === 'adam' ? 1e-8 : 1e-6 });
const DROPOUT: [BERTConfig, number] = [{ ...tiny, dropout: 0.1 }, 0.1];
const ALL_OUTPUTS = { outputAttention: true, outputAllEncodings: true };

describe('models/bert (GluonNLP BERT) against PyTorch', function () {
  this.timeout(300_000);
  // The jobs the tests below ask for (seeded classifiers: the same weights); a job not listed here is run when asked.
  before(() => refs.prefetch([
    job(classifier('float64', 1), 'float64', BATCHES),
    job(classifier('float32', 2), 'float64', BATCHES),
    job(classifier('float64', 4), 'float64', [GRAD_BATCH], { grads: true }),
    ...OPTIMIZERS.map(([name, wd]) => job(classifier('float64', 9), 'float64', OPTIM_BATCHES, { optim: { name, ...optimOptions(name, wd), steps: 3 } })),
    job(classifier('float32', 12, ...DROPOUT), 'float64', BATCHES.slice(0, 2)),
    job(classifier('float64', 4, tiny, 0, ALL_OUTPUTS), 'float64', BATCHES.slice(0, 2)),
  ]));
  after(() => assert.equal(refs.misses, 0, 'a test asked for a reference the before hook did not list (it ran in a python process of its own)'));

  it('float64, eager: sequence, pooled and classifier outputs to 1e-10 (valid lengths 1, inside and full; token types)', () => {
    compare(classifier('float64', 1), BATCHES, 'float64', [1e-10, 1e-12], 'float64 eager');
  });

  it('float64, hybridized: the same to 1e-10', () => {
    const net = classifier('float64', 1);
    net.hybridize();
    compare(net, BATCHES, 'float64', [1e-10, 1e-12], 'float64 hybridized');
  });

  it('float32, eager and hybridized (valid lengths int32 and float32, as GluonNLP feeds them)', () => {
    const net = classifier('float32', 2);
    compare(net, BATCHES, 'float32', [2e-4, 2e-5], 'float32 eager');
    net.hybridize();
    compare(net, BATCHES, 'float32', [2e-4, 2e-5], 'float32 hybridized');
    compare(net, BATCHES, 'float32', [2e-4, 2e-5], 'float32 hybridized, float32 valid_length', 'float32');
  });

  it('padding does not change the valid positions: other pad ids, types and a longer T give the same outputs there', () => {
    const net = classifier('float64', 3);
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      const a = batchOf([3, 5], 5, 4, 0);
      const b = batchOf([3, 5], 9, 4, 77);
      b.types = b.types.map((r, i) => r.map((t, j) => (j < a.vl[i]! ? a.types[i]![j]! : 1 - t)));
      const [sa, pa, la] = run(net, a).map((t) => t.toArray() as number[][][]);
      const [sb, pb, lb] = run(net, b).map((t) => t.toArray() as number[][][]);
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 9; j++) {
          const want = j < a.vl[i]! ? sa![i]![j]! : sb![i]![j]!.map(() => 0);
          assertClose(sb![i]![j]!, want, `hybrid ${hybrid} sample ${i} position ${j}`, 1e-6, 1e-7);
        }
      }
      assertClose((pb as unknown as number[][]).flat(), (pa as unknown as number[][]).flat(), 'pooled', 1e-6, 1e-7);
      assertClose((lb as unknown as number[][]).flat(), (la as unknown as number[][]).flat(), 'logits', 1e-6, 1e-7);
    }
  });

  it('gradients of a classification loss for every parameter, float64, eager and hybridized', () => {
    const b = GRAD_BATCH;
    const net = classifier('float64', 4);
    const ref = refs.get(job(net, 'float64', [b], { grads: true }));
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      const l = autograd.record(() => loss.call(net.call(int32(b.ids), int32(b.types), nd.array(b.vl)), nd.array(b.labels!, { dtype: 'float64' }))) as nd.NDArray;
      l.backward();
      const names = net.collectParams().keys();
      assert.deepEqual(names.slice().sort(), Object.keys(ref.grads!).sort());
      for (const [k, p] of net.collectParams().entries()) {
        // Unused embedding rows and padded positions get exactly 0 in both.
        assertClose(p.grad().data() as Float64Array, ref.grads![k]!, `${hybrid ? 'hybridized' : 'eager'} ${k} gradient`, 1e-9, 1e-12);
      }
    }
  });

  for (const [name, wd] of OPTIMIZERS) {
    it(`three '${name}' steps (wd ${wd}) match torch.optim (per-step eps, lr and weight_decay giving MXNet's / GluonNLP's rule), float64, eager and hybridized`, () => {
      const batches = OPTIM_BATCHES;
      const o = optimOptions(name, wd);
      // classifier() is seeded: both runs start from the weights the reference trains.
      const ref = refs.get(job(classifier('float64', 9), 'float64', batches, { optim: { name, ...o, steps: 3 } }));
      for (const hybrid of [false, true]) {
        const net = classifier('float64', 9);
        if (hybrid) net.hybridize();
        const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
        const trainer = new gluon.Trainer(net.collectParams(), name, { learningRate: o.lr, wd: o.wd, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
        for (const b of batches) {
          const l = autograd.record(() => loss.call(net.call(int32(b.ids), int32(b.types), nd.array(b.vl)), nd.array(b.labels!, { dtype: 'float64' }))) as nd.NDArray;
          l.backward();
          trainer.step(b.vl.length);
        }
        for (const [k, p] of net.collectParams().entries()) assertClose(p.data().data() as Float64Array, ref.params![k]!, `${name} ${hybrid ? 'hybridized' : 'eager'} ${k}`, 1e-9, 1e-11);
      }
    });
  }
  it("GluonNLP's output_attention and output_all_encodings: every layer's encoding (zero past the valid length) and attention weights, then the pooled and classifier outputs, float64, eager and hybridized", () => {
    const batches = BATCHES.slice(0, 2);
    const both = classifier('float64', 4, tiny, 0, ALL_OUTPUTS);
    const ref = refs.get(job(both, 'float64', batches));
    // The same seed gives the same parameters: one reference serves the attention-only model too.
    const attentionOnly = classifier('float64', 4, tiny, 0, { outputAttention: true });
    for (const hybrid of [false, true]) {
      if (hybrid) [both, attentionOnly].forEach((n) => n.hybridize());
      const what = hybrid ? 'hybridized' : 'eager';
      batches.forEach((b, i) => {
        const [N, T] = [b.ids.length, b.ids[0]!.length];
        const args = [int32(b.ids), int32(b.types), nd.array(b.vl)] as const;
        const r = ref.forward[i]!;
        const [layers, attention, pooled] = both.bert.call(...args) as [nd.NDArray[], nd.NDArray[], nd.NDArray];
        assert.equal(layers.length, tiny.numLayers);
        assert.equal(attention.length, tiny.numLayers);
        layers.forEach((x, l) => assertClose(x.data() as Float64Array, r.layers![l]!, `${what} batch ${i} layer ${l} encoding`, 1e-10, 1e-12));
        attention.forEach((a, l) => {
          assert.deepEqual(a.shape, [N, tiny.numHeads, T, T]);
          assertClose(a.data() as Float64Array, r.attention![l]!, `${what} batch ${i} layer ${l} attention`, 1e-10, 1e-12);
        });
        assertClose(pooled.data() as Float64Array, r.pooled, `${what} batch ${i} pooled`, 1e-10, 1e-12);
        assertClose((both.call(...args) as nd.NDArray).data() as Float64Array, r.logits, `${what} batch ${i} logits`, 1e-10, 1e-12);
        const [seq, att] = attentionOnly.bert.call(...args) as [nd.NDArray, nd.NDArray[], nd.NDArray];
        assertClose(seq.data() as Float64Array, r.seq, `${what} batch ${i} attention-only sequence`, 1e-10, 1e-12);
        assertClose(att[tiny.numLayers - 1]!.data() as Float64Array, r.attention![tiny.numLayers - 1]!, `${what} batch ${i} attention-only weights`, 1e-10, 1e-12);
        assertClose((attentionOnly.call(...args) as nd.NDArray).data() as Float64Array, r.logits, `${what} batch ${i} attention-only logits`, 1e-10, 1e-12);
      });
    }
  });

  it('without valid_length (GluonNLP\'s valid_length=None) it is the full-length call, eager and hybridized', () => {
    const net = classifier('float64', 10);
    const b = batchOf([6, 6], 6, 11);
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      const full = run(net, b).map((t) => Array.from(t.data() as Float64Array));
      const seq = (net.bert.call(int32(b.ids), int32(b.types)) as nd.NDArray[])[0]!;
      assertClose(seq.data() as Float64Array, full[0]!, `hybrid ${hybrid} sequence without valid_length`, 1e-12, 1e-14);
      assertClose((net.call(int32(b.ids), int32(b.types)) as nd.NDArray).data() as Float64Array, full[2]!, `hybrid ${hybrid} logits without valid_length`, 1e-12, 1e-14);
    }
  });

  it('dropout (GluonNLP\'s 0.1 in the encoder and the head) acts only in training: predictions are the reference\'s', () => {
    const net = classifier('float32', 12, ...DROPOUT);
    assert.ok(net.collectParams().keys().includes('classifier.1.weight'), 'the head\'s Dense follows its Dropout: classifier.1');
    compare(net, BATCHES.slice(0, 2), 'float32', [2e-4, 2e-5], 'dropout, predicting');
    const b = BATCHES[0]!;
    const a = autograd.record(() => net.call(int32(b.ids), int32(b.types), nd.array(b.vl)) as nd.NDArray);
    assert.notDeepEqual(Array.from(a.data() as Float32Array), Array.from(run(net, b)[2]!.data() as Float32Array), 'training mode drops');
  });

  it('export with a symbolic batch and sequence length: loadModel equals the block at two (N, T)', async () => {
    const net = classifier('float32', 13);
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-bert-'));
    try {
      for (const opset of [13, 21]) {
        const file = join(dir, `bert-${opset}.onnx`);
        net.export(file, { inputs: { inputs: { shape: ['N', 'T'], dtype: 'int32' }, token_types: { shape: ['N', 'T'], dtype: 'int32' }, valid_length: { shape: ['N'], dtype: 'int32' } }, opset });
        const model = await loadModel(file);
        try {
          assert.deepEqual(model.inputs.map((i) => [i.name, i.dtype, i.shape]), [['inputs', 'int32', ['N', 'T']], ['token_types', 'int32', ['N', 'T']], ['valid_length', 'int32', ['N']]]);
          for (const b of [batchOf([1, 7, 4, 2], 7, 14), batchOf([3, 1], 3, 15), batchOf([64], 64, 16)]) {
            const [N, T] = [b.ids.length, b.ids[0]!.length];
            const out = Object.values(await model.run({
              inputs: { data: Int32Array.from(b.ids.flat()), shape: [N, T] },
              token_types: { data: Int32Array.from(b.types.flat()), shape: [N, T] },
              valid_length: { data: Int32Array.from(b.vl), shape: [N] },
            }))[0]!;
            assert.deepEqual(out.shape, [N, 3]);
            assertClose(out.data as Float32Array, run(net, b)[2]!.data() as Float32Array, `opset ${opset} artifact [${N}, ${T}]`, 1e-5, 1e-6);
          }
        } finally {
          await model.close();
        }
      }
      // The model file: gluonc compile models/bert/bert.ts (the tiny classifier, inputs named as GluonNLP's).
      const r = gluonc(['compile', 'models/bert/bert.ts', '-o', join(dir, 'cli.onnx')]);
      assert.equal(r.status, 0, r.stderr);
      const cli = await loadModel(join(dir, 'cli.onnx'));
      assert.deepEqual(cli.inputs.map((i) => i.shape), [['N', 'T'], ['N', 'T'], ['N']]);
      await cli.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parameters are named as in GluonNLP\'s bert_12_768_12 .params; a file in MXNet\'s layout with those names (and the decoder\'s) loads with ignoreExtra', () => {
    // GluonNLP 0.x's names (bert.py: BERTModel, BERTEncoder, BERTEncoderCell, DotProductSelfAttentionCell's proj_* names, PositionwiseFFN).
    const cell = (i: number) => ['attention_cell.proj_query', 'attention_cell.proj_key', 'attention_cell.proj_value', 'proj', 'ffn.ffn_1', 'ffn.ffn_2']
      .flatMap((d) => [`${d}.weight`, `${d}.bias`]).concat(['ffn.layer_norm', 'layer_norm'].flatMap((n) => [`${n}.gamma`, `${n}.beta`])).map((k) => `encoder.transformer_cells.${i}.${k}`);
    const gluonnlp = ['encoder.position_weight', 'encoder.layer_norm.gamma', 'encoder.layer_norm.beta', ...Array.from({ length: 12 }, (_v, i) => cell(i)).flat(),
      'word_embed.0.weight', 'token_type_embed.0.weight', 'pooler.weight', 'pooler.bias', 'classifier.weight', 'classifier.bias'];
    const big = bertModel(bertHparams.bert_12_768_12, { useClassifier: true });
    assert.deepEqual(big.collectParams().keys().slice().sort(), gluonnlp.slice().sort());
    const shapes = Object.fromEntries(big.collectParams().entries().map(([k, p]) => [k, p.shape]));
    assert.deepEqual(shapes['encoder.transformer_cells.11.attention_cell.proj_query.weight'], [768, 768]);
    assert.deepEqual(shapes['encoder.transformer_cells.0.ffn.ffn_1.weight'], [3072, 768]);
    assert.deepEqual(shapes['encoder.position_weight'], [512, 768]);
    assert.deepEqual(shapes['word_embed.0.weight'], [30522, 768]);
    // The tiny sizes, written by python in MXNet's NDArray-list layout (src/ndarray/ndarray.cc) with the masked-LM decoder's names too.
    random.seed(17);
    const src = classifier('float32', 17);
    const values: Record<string, { shape: number[]; data: number[] }> = {};
    for (const [k, p] of src.bert.collectParams().entries()) values[k] = { shape: p.shape as number[], data: Array.from(p.data().data() as Float32Array) };
    values['decoder.0.weight'] = { shape: [32, 32], data: new Array(1024).fill(0.5) };
    values['decoder.3.bias'] = { shape: [100], data: new Array(100).fill(0.25) };
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-bert-params-'));
    try {
      const file = join(dir, 'bert_tiny.params');
      python(PY_WRITE_MXNET, { values, file });
      const dst = bertModel(tiny);
      assert.throws(() => dst.loadParameters(file), /decoder/);
      dst.loadParameters(file, { ignoreExtra: true });
      for (const [k, p] of dst.collectParams().entries()) assert.deepEqual(Array.from(p.data().data() as Float32Array), values[k]!.data, k);
      const b = BATCHES[0]!;
      const want = run(src, b)[0]!.data() as Float32Array;
      assertClose((dst.call(int32(b.ids), int32(b.types), nd.array(b.vl)) as nd.NDArray[])[0]!.data() as Float32Array, want, 'loaded model', 1e-6, 1e-7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('BERTModel\'s outputs as GluonNLP\'s: [sequence, pooled, next-sentence scores, masked-LM scores] by default, the sequence alone without the pooler', () => {
    random.seed(19);
    const full = new BERTModelClass(new BERTEncoder(tiny), { vocabSize: 100, units: 32 });
    full.initialize(new init.Normal(0.3));
    const b = BATCHES[0]!;
    const outs = full.call(int32(b.ids), int32(b.types), nd.array(b.vl), int32([[0, 1], [2, 6], [3, 3], [1, 0]])) as nd.NDArray[];
    assert.deepEqual(outs.map((o) => o.shape), [[4, 7, 32], [4, 32], [4, 2], [4, 2, 100]]);
    const pooled = outs[1]!.toArray() as number[][];
    const w = full.classifier!.weight.data().toArray() as number[][];
    const bias = full.classifier!.bias!.data().toArray() as number[];
    assertClose(outs[2]!.data() as Float32Array, pooled.flatMap((row) => w.map((wr, j) => wr.reduce((acc, v, k) => acc + v * row[k]!, bias[j]!))), 'next-sentence scores', 1e-5, 1e-6);
    const bare = bertModel(tiny, { usePooler: false });
    bare.initialize();
    assert.deepEqual((bare.call(int32(b.ids), int32(b.types), nd.array(b.vl)) as nd.NDArray).shape, [4, 7, 32]);
    assert.throws(() => bertModel(tiny, { usePooler: false, useClassifier: true }), /Cannot use classifier if use_pooler is False/);
    assert.throws(() => new BERTEncoder({ ...tiny, units: 30 }), /The units should be divided exactly by the number of heads. Received units=30, num_heads=4/);
  });

  it('bad input: errors that name the problem (ids or types outside the tables, lengths outside [0, T], shapes, T > maxLength)', () => {
    const net = classifier('float32', 18);
    const ids = [[1, 5, 7], [3, 4, 2]];
    const types = [[0, 0, 1], [0, 1, 1]];
    const vl = nd.array([3, 2]);
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      assert.throws(() => net.call(int32([[1, 100, 7], [3, 4, 2]]), int32(types), vl), /BERTClassifier: token id 100 at \[0, 1\] is outside \[0, 100\) \(vocabSize 100\); MXNet's Embedding would silently use row 99/);
      assert.throws(() => net.bert.call(int32([[1, 5, 7], [3, -1, 2]]), int32(types), vl), /BERTModel: token id -1 at \[1, 1\] is outside \[0, 100\)/);
      assert.throws(() => net.call(int32(ids), int32([[0, 2, 1], [0, 1, 1]]), vl), /token type 2 at \[0, 1\] is outside \[0, 2\) \(tokenTypeVocabSize 2\)/);
      assert.throws(() => net.call(int32(ids), int32(types), nd.array([4, 2])), /valid_length 4 of sample 0 is not an integer in \[0, T = 3\]/);
      assert.throws(() => net.call(int32(ids), int32(types), nd.array([3, -1])), /valid_length -1 of sample 1/);
      assert.throws(() => net.call(int32(ids), int32(types), nd.array([[3], [2]])), /valid_length must be an NDArray of shape \[2\] \(one length per sample\), got shape \[2, 1\]/);
      assert.throws(() => net.call(int32(ids), int32([[0, 0], [0, 1]]), vl), /token_types must be an NDArray of the inputs' shape \[2, 3\], got shape \[2, 2\]/);
      assert.throws(() => net.call(nd.array([1, 2, 3], { dtype: 'int32' }), nd.array([0, 0, 0], { dtype: 'int32' })), /inputs \(token ids\) must be \[N, T\], got shape \[3\]/);
      assert.throws(() => net.call(nd.zeros([1, 65], { dtype: 'int32' }), nd.zeros([1, 65], { dtype: 'int32' })), /sequence length T = 65 is more than maxLength 64/);
      assert.throws(() => net.call(nd.array(ids, { dtype: 'bool' }), int32(types)), /token id must be integer \(or float\) ids, got dtype bool/);
      // Ids of any integer or float dtype are MXNet's (float32 is what mx.nd.array gives GluonNLP scripts), also float16 ones.
      const want = Array.from((net.call(int32(ids), int32(types), vl) as nd.NDArray).data() as Float32Array);
      for (const dtype of ['float32', 'float16', 'int64', 'uint8'] as const) {
        assertClose((net.call(nd.array(ids, { dtype }), nd.array(types, { dtype }), nd.array([3, 2], { dtype })) as nd.NDArray).data() as Float32Array, want, `${dtype} ids`, 1e-6, 1e-7);
      }
    }
  });
});
