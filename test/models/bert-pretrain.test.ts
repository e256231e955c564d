/**
 * models/bert's pre-training heads (GluonNLP 0.x's next-sentence classifier
 * and masked-LM decoder, whose output weight is the word embedding's) and
 * GluonNLP's pre-training loss, against the hand-written PyTorch BERT of
 * test/helpers/bert-ref.ts: outputs at masked positions 0, T-1, repeated and
 * in the padding, float64 eager and hybridized; the gradient of every
 * parameter (the tied one summing both uses); three optimizer steps; an
 * export with symbolic N, T and M; a GluonNLP-named `.params` file both ways;
 * the errors for bad input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { BERTClassifier, BERTModel, bertHparams, bertModel, type BERTConfig } from '../../models/bert/bert.js';
import { BERTEncoder } from '../../models/bert/transformer.js';
import { pretrainingLoss } from '../../models/bert/pretraining.js';
import { assertClose } from '../helpers/compare.js';
import { PY_READ_MXNET, PY_WRITE_MXNET, python } from '../helpers/mxnet-python.js';
import { TorchBertRefs, type RefBatch, type RefJob } from '../helpers/bert-ref.js';

const tiny: BERTConfig = { ...bertHparams.tiny, dropout: 0 };
const int32 = (rows: number[][]) => nd.array(Int32Array.from(rows.flat()), { shape: [rows.length, rows[0]!.length], dtype: 'int32' });
const flat = (x: nd.NDArray) => Array.from(x.data() as Float64Array);

/** A pre-training BERT (classifier and decoder) with non-trivial LayerNorm scales and biases. */
function pretrainer(dtype: 'float32' | 'float64', seed: number): BERTModel {
  random.seed(seed);
  const net = bertModel(tiny, { useClassifier: true, useDecoder: true });
  net.initialize(new init.Normal(0.3));
  for (const [k, p] of net.collectParams().entries()) {
    if (/gamma$|beta$|bias$/.test(k)) p.setData(nd.random.uniform(k.endsWith('gamma') ? 0.5 : -0.5, k.endsWith('gamma') ? 1.5 : 0.5, p.shape as number[]));
  }
  if (dtype === 'float64') net.cast('float64');
  return net;
}

function job(net: BERTModel, batches: RefBatch[], extra: Partial<RefJob> = {}): RefJob {
  const params: RefJob['params'] = {};
  for (const [k, p] of net.collectParams().entries()) params[k] = { shape: p.shape as number[], data: Array.from(p.data().data() as Float64Array) };
  return { dtype: 'float64', cfg: { units: tiny.units, heads: tiny.numHeads, layers: tiny.numLayers, eps: 1e-12, head: 'classifier.', prefix: '', pretrain: true }, params, batches, ...extra };
}

/**
 * N sequences of length T with valid lengths `vl` and masked positions `pos`
 * (0, T-1, repeats, and padding positions of weight 0, as GluonNLP's data pads them).
 */
function batchOf(vl: number[], T: number, pos: number[][], seed: number): RefBatch {
  const ids = vl.map((l, i) => Array.from({ length: T }, (_x, j) => (j < l ? (i * 13 + j * 7 + seed * 5) % 100 : 0)));
  const types = vl.map((l, i) => Array.from({ length: T }, (_x, j) => (j >= Math.ceil(l / 2) && j < l ? 1 : 0)));
  const masked = pos.map((r, i) => r.map((p, k) => (i * 31 + p * 11 + k * 3 + seed) % 100));
  const weights = pos.map((r, i) => r.map((p, k) => (p < vl[i]! ? 1 + ((i + k) % 3) / 2 : 0)));
  return { ids, types, vl, labels: vl.map((_l, i) => (i + seed) % 2), positions: pos, masked, weights };
}

const BATCHES = [
  batchOf([7, 4, 1], 7, [[0, 6, 3, 3], [3, 0, 6, 0], [0, 0, 0, 5]], 1),
  batchOf([5, 2], 5, [[4, 1], [1, 1]], 2),
  batchOf([1], 1, [[0, 0, 0]], 3),
];

const OPTIM_OPTIONS = { lr: 0.01, wd: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6 };
// Two shapes (two compiled signatures), the first batch again in step 3.
const OPTIM_BATCHES = [BATCHES[0]!, BATCHES[2]!, BATCHES[0]!];

/** The PyTorch references of this file, asked for together before the tests (one torch import instead of three). */
const refs = new TorchBertRefs();

const call = (net: BERTModel, b: RefBatch, vl: 'given' | 'null' = 'given') =>
  net.call(int32(b.ids), int32(b.types), vl === 'given' ? nd.array(b.vl, { dtype: 'int32' }) : null, int32(b.positions!)) as nd.NDArray[];

const lossOf = (net: BERTModel, b: RefBatch) => {
  const [, , classified, decoded] = call(net, b);
  const dtype = decoded!.dtype as 'float32' | 'float64';
  return pretrainingLoss(decoded!, classified!, nd.array(b.masked!, { dtype }), nd.array(b.weights!, { dtype }), nd.array(b.labels!, { dtype }));
};

describe('models/bert pre-training heads (GluonNLP\'s decoder and next-sentence classifier) against PyTorch', function () {
  this.timeout(300_000);
  // The jobs the tests below ask for (seeded models: the same weights); a job not listed here is run when asked.
  before(() => refs.prefetch([
    job(pretrainer('float64', 1), BATCHES),
    job(pretrainer('float64', 4), [BATCHES[0]!], { grads: true }),
    job(pretrainer('float64', 9), OPTIM_BATCHES, { optim: { name: 'bertadam', ...OPTIM_OPTIONS, steps: 3 } }),
  ]));
  after(() => assert.equal(refs.misses, 0, 'a test asked for a reference the before hook did not list (it ran in a python process of its own)'));

  it('float64, eager and hybridized: sequence, pooled, next-sentence and masked-LM scores to 1e-10, and GluonNLP\'s loss', () => {
    const net = pretrainer('float64', 1);
    const ref = refs.get(job(net, BATCHES));
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      BATCHES.forEach((b, i) => {
        const outs = call(net, b);
        const [N, M] = [b.ids.length, b.positions![0]!.length];
        assert.deepEqual(outs.map((o) => o.shape), [[N, b.ids[0]!.length, 32], [N, 32], [N, 2], [N, M, 100]]);
        const r = ref.forward[i]!;
        const what = `${hybrid ? 'hybridized' : 'eager'} batch ${i}`;
        assertClose(flat(outs[0]!), r.seq, `${what} sequence`, 1e-10, 1e-12);
        assertClose(flat(outs[1]!), r.pooled, `${what} pooled`, 1e-10, 1e-12);
        assertClose(flat(outs[2]!), r.logits, `${what} next-sentence`, 1e-10, 1e-12);
        assertClose(flat(outs[3]!), r.decoded!, `${what} masked-LM`, 1e-10, 1e-12);
        const l = lossOf(net, b);
        assertClose([l.mlm.item() as number, l.nsp.item() as number], r.losses!, `${what} losses`, 1e-10, 1e-12);
        // GluonNLP's model(inputs, token_types, None, masked_positions): the full length.
        if (b.vl.every((v) => v === b.ids[0]!.length)) assertClose(flat(call(net, b, 'null')[3]!), r.decoded!, `${what} without valid_length`, 1e-12, 1e-14);
      });
    }
  });

  it('gradients of the pre-training loss for every parameter, the tied word_embed.0.weight summing both uses, eager and hybridized', () => {
    const net = pretrainer('float64', 4);
    const b = BATCHES[0]!;
    const ref = refs.get(job(net, [b], { grads: true }));
    assert.ok(!net.collectParams().keys().includes('decoder.3.weight'), 'the tied weight is listed once, as word_embed.0.weight');
    assert.equal(net.decoder!.get<InstanceType<typeof gluon.nn.Dense>>(3).weight, net.word_embed.get<InstanceType<typeof gluon.nn.Embedding>>(0).weight);
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      const l = autograd.record(() => lossOf(net, b).loss);
      l.backward();
      assert.deepEqual(net.collectParams().keys().slice().sort(), Object.keys(ref.grads!).sort());
      for (const [k, p] of net.collectParams().entries()) assertClose(flat(p.grad()), ref.grads![k]!, `${hybrid ? 'hybridized' : 'eager'} ${k} gradient`, 1e-9, 1e-12);
    }
  });

  // GluonNLP's pre-training optimizer (run_pretraining.py's default 'bertadam'); adam and adamw are checked on the classifier in bert.test.ts.
  for (const name of ['bertadam'] as const) {
    it(`three '${name}' steps of the pre-training loss (trainer.step(1), as GluonNLP's scripts) match torch.optim, float64, eager and hybridized`, () => {
      const o = OPTIM_OPTIONS;
      const batches = OPTIM_BATCHES;
      const ref = refs.get(job(pretrainer('float64', 9), batches, { optim: { name, ...o, steps: 3 } }));
      for (const hybrid of [false, true]) {
        const net = pretrainer('float64', 9);
        if (hybrid) net.hybridize();
        const trainer = new gluon.Trainer(net.collectParams(), name, { learningRate: o.lr, wd: o.wd, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
        for (const b of batches) {
          autograd.record(() => lossOf(net, b).loss).backward();
          trainer.step(1);
        }
        for (const [k, p] of net.collectParams().entries()) assertClose(flat(p.data()), ref.params![k]!, `${name} ${hybrid ? 'hybridized' : 'eager'} ${k}`, 1e-9, 1e-11);
      }
    });
  }

  it('export with symbolic N, T and M (masked positions per sample): onnxruntime equals the block at five sizes (M = 0 too)', async () => {
    const net = pretrainer('float32', 13);
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-bert-pretrain-'));
    try {
      const file = join(dir, 'bert-pretrain.onnx');
      net.export(file, { inputs: {
        inputs: { shape: ['N', 'T'], dtype: 'int32' }, token_types: { shape: ['N', 'T'], dtype: 'int32' },
        valid_length: { shape: ['N'], dtype: 'int32' }, masked_positions: { shape: ['N', 'M'], dtype: 'int32' } } });
      const model = await loadModel(file);
      try {
        assert.deepEqual(model.inputs.map((i) => i.shape), [['N', 'T'], ['N', 'T'], ['N'], ['N', 'M']]);
        for (const b of [...BATCHES, batchOf([64, 9], 64, [[63, 0, 63, 20, 5], [8, 8, 0, 1, 2]], 4), batchOf([3, 2], 3, [[], []], 5)]) {
          const [N, T, M] = [b.ids.length, b.ids[0]!.length, b.positions![0]!.length];
          const outs = Object.values(await model.run({
            inputs: { data: Int32Array.from(b.ids.flat()), shape: [N, T] },
            token_types: { data: Int32Array.from(b.types.flat()), shape: [N, T] },
            valid_length: { data: Int32Array.from(b.vl), shape: [N] },
            masked_positions: { data: Int32Array.from(b.positions!.flat()), shape: [N, M] },
          }));
          const want = call(net, b);
          assert.deepEqual(outs.map((o) => o.shape), want.map((w) => w.shape));
          outs.forEach((o, k) => assertClose(o.data as Float32Array, want[k]!.data() as Float32Array, `artifact [${N}, ${T}, ${M}] output ${k}`, 1e-4, 1e-5));
        }
      } finally {
        await model.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('parameter names are GluonNLP\'s (bert_12_768_12 with its heads); a GluonNLP-named .params file in MXNet\'s layout loads, and saving writes those names back', () => {
    // GluonNLP 0.x: _get_decoder (decoder.0 Dense, .1 GELU, .2 LayerNorm, .3 Dense with the embedding's weight) and _get_classifier;
    // its convert_tf_model.py maps cls/predictions/* to decoder.0./decoder.2./decoder.3.bias and sets decoder.3.weight = word_embed.0.weight.
    const big = bertModel(bertHparams.bert_12_768_12, { useClassifier: true, useDecoder: true });
    const heads = ['pooler.weight', 'pooler.bias', 'classifier.weight', 'classifier.bias', 'decoder.0.weight', 'decoder.0.bias', 'decoder.2.gamma', 'decoder.2.beta', 'decoder.3.bias'];
    assert.deepEqual(big.collectParams().keys().filter((k) => !k.startsWith('encoder.')), ['word_embed.0.weight', 'token_type_embed.0.weight', ...heads]);
    const shapes = Object.fromEntries(big.collectParams().entries().map(([k, p]) => [k, p.shape]));
    assert.deepEqual([shapes['decoder.0.weight'], shapes['decoder.2.gamma'], shapes['decoder.3.bias'], shapes['classifier.weight']], [[768, 768], [768], [30522], [2, 768]]);
    const src = pretrainer('float32', 21);
    const values: Record<string, { shape: number[]; data: number[] }> = {};
    for (const [k, p] of src.collectParams().entries()) values[k] = { shape: p.shape as number[], data: Array.from(p.data().data() as Float32Array) };
    // MXNet's save_parameters (deduplicate=False) writes the tied array under both names, as GluonNLP's published files hold it.
    values['decoder.3.weight'] = values['word_embed.0.weight']!;
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-bert-pretrain-params-'));
    const write = (file: string, vals: typeof values) => python(PY_WRITE_MXNET, { values: vals, file });
    try {
      const file = join(dir, 'bert_pretrain_tiny.params');
      write(file, values);
      const dst = pretrainer('float32', 22);
      dst.loadParameters(file);
      for (const [k, p] of dst.collectParams().entries()) assert.deepEqual(Array.from(p.data().data() as Float32Array), values[k]!.data, k);
      const b = BATCHES[0]!;
      assertClose(call(dst, b)[3]!.data() as Float32Array, call(src, b)[3]!.data() as Float32Array, 'loaded masked-LM scores', 1e-6, 1e-7);
      // Written back as MXNet does (deduplicate: false): every GluonNLP name, the tied array under both; gluonc's default writes it once.
      const out = join(dir, 'saved.params');
      dst.saveParameters(out, { format: 'mxnet', deduplicate: false });
      const r = python(PY_READ_MXNET, out) as { names: string[]; arrays: { data: number[] }[] };
      assert.deepEqual(r.names.slice().sort(), Object.keys(values).sort());
      r.names.forEach((k, i) => assertClose(r.arrays[i]!.data, values[k]!.data, `saved ${k}`, 0, 0));
      dst.saveParameters(out, { format: 'mxnet' });
      assert.deepEqual((python(PY_READ_MXNET, out) as { names: string[] }).names.slice().sort(), Object.keys(values).filter((k) => k !== 'decoder.3.weight').sort());
      // A file whose two names of the tied weight disagree is not a tied model's: an error naming both, nothing loaded.
      write(file, { ...values, 'decoder.3.weight': { ...values['decoder.3.weight']!, data: values['decoder.3.weight']!.data.map((v) => v + 1) } });
      const before = Array.from(dst.collectParams().get('pooler.weight').data().data() as Float32Array);
      assert.throws(() => dst.loadParameters(file), /word_embed\.0\.weight.*decoder\.3\.weight|decoder\.3\.weight.*word_embed\.0\.weight/);
      assert.deepEqual(Array.from(dst.collectParams().get('pooler.weight').data().data() as Float32Array), before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no masked positions (M = 0): masked-LM scores [N, 0, vocab] and a masked-LM loss of 0, eager and hybridized (a Dense over an empty axis)', async () => {
    // float32: onnxruntime's MatMul+Add fusion (which failed on an empty axis) applies to float32, not float64.
    const net = pretrainer('float32', 25);
    const b = batchOf([3, 2], 3, [[], []], 5);
    // The next-sentence side does not depend on the masked positions: the same as with one position (checked against PyTorch above).
    const one = lossOf(net, { ...batchOf([3, 2], 3, [[0], [1]], 5) });
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      const outs = call(net, b);
      assert.deepEqual(outs[3]!.shape, [2, 0, 100]);
      const l = lossOf(net, b);
      assert.equal(l.mlm.item(), 0);
      assertClose([l.nsp.item() as number], [one.nsp.item() as number], `${hybrid ? 'hybridized' : 'eager'} next-sentence loss`, 1e-5, 1e-6);
    }
  });

  it('bad input: errors that name the problem (masked positions outside [0, T), not integers, of the wrong rank or dtype, missing or unexpected; decoder without vocabSize)', () => {
    const net = pretrainer('float32', 23);
    const ids = int32([[1, 5, 7], [3, 4, 2]]);
    const types = int32([[0, 0, 1], [0, 1, 1]]);
    const vl = nd.array([3, 2], { dtype: 'int32' });
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      assert.throws(() => net.call(ids, types, vl, int32([[0, 3], [1, 2]])), /BERTModel: masked position 3 at \[0, 1\] is not an integer in \[0, T = 3\)/);
      assert.throws(() => net.call(ids, types, vl, int32([[0, 2], [-1, 2]])), /masked position -1 at \[1, 0\]/);
      assert.throws(() => net.call(ids, types, vl, nd.array([[0, 1.5], [1, 2]])), /masked position 1.5 at \[0, 1\] is not an integer/);
      assert.throws(() => net.call(ids, types, vl, nd.array([0, 1], { dtype: 'int32' })), /masked_positions must be \[N = 2, M\] \(the masked positions of each sample\), got shape \[2\]/);
      assert.throws(() => net.call(ids, types, vl, int32([[0, 1]])), /masked_positions must be \[N = 2, M\].*got shape \[1, 2\]/);
      assert.throws(() => net.call(ids, types, vl, nd.array([[0, 1], [1, 0]], { dtype: 'bool' })), /masked_positions must be integer \(or float\) positions, got dtype bool/);
      assert.throws(() => net.call(ids, types, vl), /masked_positions \[N, M\] is required for decoding the masked language model \(useDecoder: true\)/);
      // Positions of any integer or float dtype (GluonNLP casts them to int32), also float16.
      const want = Array.from(((net.call(ids, types, vl, int32([[0, 2], [1, 1]])) as nd.NDArray[])[3]!).data() as Float32Array);
      for (const dtype of ['float32', 'float16', 'int64', 'uint8'] as const) {
        assertClose(((net.call(ids, types, vl, nd.array([[0, 2], [1, 1]], { dtype })) as nd.NDArray[])[3]!).data() as Float32Array, want, `${dtype} positions`, 1e-6, 1e-7);
      }
    }
    const plain = bertModel(tiny);
    plain.initialize();
    assert.throws(() => plain.call(ids, types, vl, int32([[0, 1], [1, 0]])), /masked_positions is given but the model has no masked-LM decoder \(build it with useDecoder: true\)/);
    assert.throws(() => new BERTModel(new BERTEncoder(tiny), { units: 32 } as never), /BERTModel: vocabSize must be a positive integer \(rows of word_embed, outputs of the masked-LM decoder\), got undefined/);
    assert.throws(() => new BERTModel(new BERTEncoder(tiny), { vocabSize: 100, units: 32, embedSize: 16 }), /shares word_embed\.0\.weight \[vocabSize, embedSize\], so embedSize \(16\) must equal units \(32\)/);
    const dec = nd.zeros([2, 2, 100]);
    assert.throws(() => pretrainingLoss(dec, nd.zeros([2, 2]), nd.zeros([2, 3]), nd.zeros([2, 2]), nd.zeros([2])), /pretrainingLoss: decoded must be \[N, M, vocab\] and maskedIds, maskedWeights \[N, M\]; got decoded \[2, 2, 100\], maskedIds \[2, 3\]/);
    assert.throws(() => pretrainingLoss(dec, nd.zeros([2, 2]), nd.zeros([2, 2]), nd.zeros([2, 2]), nd.zeros([3])), /classified must be \[N, 2\] and nspLabels \[N\]; got classified \[2, 2\], nspLabels \[3\]/);
    assert.throws(() => new BERTClassifier(net), /BERTClassifier: the BERTModel has the masked-LM decoder, which needs masked_positions; build it with useDecoder: false/);
  });
});
