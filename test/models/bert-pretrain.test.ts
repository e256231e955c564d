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
import { python } from '../helpers/mxnet-python.js';
import { torchBert, type RefBatch, type RefJob } from '../helpers/bert-ref.js';

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

const call = (net: BERTModel, b: RefBatch, vl: 'given' | 'null' = 'given') =>
  net.call(int32(b.ids), int32(b.types), vl === 'given' ? nd.array(b.vl, { dtype: 'int32' }) : null, int32(b.positions!)) as nd.NDArray[];

const lossOf = (net: BERTModel, b: RefBatch) => {
  const [, , classified, decoded] = call(net, b);
  const ids = nd.array(b.masked!, { dtype: 'float64' });
  return pretrainingLoss(decoded!, classified!, ids, nd.array(b.weights!, { dtype: 'float64' }), nd.array(b.labels!, { dtype: 'float64' }));
};

describe('models/bert pre-training heads (GluonNLP\'s decoder and next-sentence classifier) against PyTorch', function () {
  this.timeout(300_000);

  it('float64, eager and hybridized: sequence, pooled, next-sentence and masked-LM scores to 1e-10, and GluonNLP\'s loss', () => {
    const net = pretrainer('float64', 1);
    const ref = torchBert(job(net, BATCHES));
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
    const ref = torchBert(job(net, [b], { grads: true }));
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
      const o = { lr: 0.01, wd: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6 };
      const ref = torchBert(job(pretrainer('float64', 9), BATCHES, { optim: { name, ...o, steps: 3 } }));
      for (const hybrid of [false, true]) {
        const net = pretrainer('float64', 9);
        if (hybrid) net.hybridize();
        const trainer = new gluon.Trainer(net.collectParams(), name, { learningRate: o.lr, wd: o.wd, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
        for (const b of BATCHES) {
          autograd.record(() => lossOf(net, b).loss).backward();
          trainer.step(1);
        }
        for (const [k, p] of net.collectParams().entries()) assertClose(flat(p.data()), ref.params![k]!, `${name} ${hybrid ? 'hybridized' : 'eager'} ${k}`, 1e-9, 1e-11);
      }
    });
  }

  it('export with symbolic N, T and M (masked positions per sample): onnxruntime equals the block at three sizes', async () => {
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
        for (const b of [...BATCHES, batchOf([64, 9], 64, [[63, 0, 63, 20, 5]], 4)]) {
          const [N, T] = [b.ids.length, b.ids[0]!.length];
          if (b.positions!.length !== N) b.positions = [b.positions![0]!, [8, 8, 0, 1, 2]];
          const M = b.positions![0]!.length;
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
});
