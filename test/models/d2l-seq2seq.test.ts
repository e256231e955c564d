/**
 * d2l's seq2seq training (models/d2l/seq2seq.ts): MaskedSoftmaxCELoss's
 * values and gradients against PyTorch's cross_entropy with a mask (all-masked
 * rows and a length past T included), eager and hybridized; train_seq2seq on
 * a seeded tiny parallel corpus with the loss falling; predict_seq2seq; and
 * bleu against the book's Python function.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, np, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { asHybrid } from '../../compiler/gluon/traced-block.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { Seq2SeqDecoder, Seq2SeqEncoder } from '../../models/d2l/rnn-concise.js';
import * as Q from '../../models/d2l/seq2seq.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

const BLEU = `
import collections
def bleu(pred_seq, label_seq, k):
    pred_tokens, label_tokens = pred_seq.split(' '), label_seq.split(' ')
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, k + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[' '.join(label_tokens[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[' '.join(pred_tokens[i: i + n])] > 0:
                num_matches += 1
                label_subs[' '.join(pred_tokens[i: i + n])] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score
out = [bleu(p, l, k) for p, l, k in args[0]]`;

describe('models/d2l: seq2seq training', () => {
  before(() => random.seed(23));

  it('MaskedSoftmaxCELoss: values and gradients against PyTorch, all-masked rows and a length past T included, eager and hybridized', () => {
    const pred = np.random.normal(0, 2, [4, 5, 7]);
    const label = np.array([[1, 2, 3, 4, 5], [6, 0, 0, 1, 2], [3, 3, 3, 3, 3], [0, 1, 2, 3, 4]]);
    const validLen = np.array([3, 0, 5, 9]); // 0: every position masked; 9 > T = 5: none
    const headGrad = np.random.uniform(-1, 1, [4]);
    const [r] = numpyRefs([{
      code: `
import torch
p = torch.tensor(a, requires_grad=True)
ce = torch.nn.functional.cross_entropy(p.permute(0, 2, 1), torch.tensor(b).long(), reduction='none')   # [N, T]
mask = (torch.arange(5)[None, :] < torch.tensor(c)[:, None]).double()
l = (ce * mask).mean(dim=1)          # gluon's loss: the weighted values averaged over every axis but the batch
l.backward(torch.tensor(d))
out = [l.detach().numpy(), p.grad.numpy()]`,
      inputs: [pred, label, validLen, headGrad].map(f64),
    }]);
    assert.ok(!r!.error, r!.error);
    for (const hybrid of [false, true]) {
      const loss = new Q.MaskedSoftmaxCELoss();
      if (hybrid) loss.hybridize();
      for (let rep = 0; rep < 2; rep++) {
        const x = pred.copy();
        x.attachGrad();
        const l = autograd.record(() => loss.call(x, label, validLen)) as NDArray;
        l.backward(headGrad);
        const what = `${hybrid ? 'hybridized' : 'eager'}, call ${rep}`;
        assertClose(flat(l), r!.outs[0]!.data as number[], `loss vs PyTorch (${what})`, 1e-5, 1e-6);
        assert.equal(flat(l)[1], 0, `an all-masked row's loss is 0 (${what})`);
        assertClose(flat(x.grad), r!.outs[1]!.data as number[], `d loss / d pred vs PyTorch (${what})`, 1e-4, 1e-6);
        assert.ok(flat(x.grad).slice(35, 70).every((v) => v === 0), `an all-masked row has no gradient (${what})`);
      }
    }
  });

  it('train_seq2seq on a tiny parallel corpus: the loss falls, predict_seq2seq translates, bleu as the book computes it', () => {
    const pairs = [['go .', 'va !'], ['i lost .', "j'ai perdu ."], ['he ran .', 'il a couru .'], ['i am cold .', "j'ai froid ."], ['we won .', 'nous avons gagné .'], ['she ran .', 'elle a couru .']];
    const src = new Q.Vocab(pairs.flatMap((p) => p[0]!.split(' ')));
    const tgt = new Q.Vocab(pairs.flatMap((p) => p[1]!.split(' ')));
    const T = 6;
    const build = (lines: string[], v: Q.Vocab): [NDArray, NDArray] => {
      const arr = lines.map((l) => [...l.split(' ').map((t) => v.idx(t)), v.idx('<eos>')]);
      return [np.array(arr.map((a) => Q.truncatePad(a, T, v.idx('<pad>')))), np.array(arr.map((a) => a.length))];
    };
    const [X, Xv] = build(pairs.map((p) => p[0]!), src);
    const [Y, Yv] = build(pairs.map((p) => p[1]!), tgt);
    const batches = (): Q.Batch[] => [[X.slice({ begin: [0], end: [3] }), Xv.slice({ begin: [0], end: [3] }), Y.slice({ begin: [0], end: [3] }), Yv.slice({ begin: [0], end: [3] })],
      [X.slice({ begin: [3], end: [6] }), Xv.slice({ begin: [3], end: [6] }), Y.slice({ begin: [3], end: [6] }), Yv.slice({ begin: [3], end: [6] })]];
    const net = new Q.EncoderDecoder(new Seq2SeqEncoder(src.length, 16, 32, 2), new Seq2SeqDecoder(tgt.length, 16, 32, 2));
    const losses = Q.trainSeq2seq(net, batches, 0.02, 40, tgt);
    assert.ok(losses.every(Number.isFinite) && losses.at(-1)! < 0.1 * losses[0]!, `loss per token ${losses.map((l) => l.toFixed(4))}`);
    const cases: [string, string, number][] = [];
    for (const [s, t] of pairs) {
      const p = Q.predictSeq2seq(net, s!, src, tgt, T);
      assert.ok(p.split(' ').length <= T && !p.includes('<eos>'), p);
      cases.push([p, t!, Math.min(2, p.split(' ').length)]);
    }
    // Fixed samples: partial matches, repeated n-grams (clipped counts), a prediction shorter and longer than the label.
    cases.push(['il a a a couru .', 'il a couru .', 2], ['elle a', 'elle a couru .', 2], ['a b c d', 'a b c d', 4], ['x y z', 'a b c', 1], ['a a a', 'a', 1]);
    const [r] = numpyRefs([{ code: BLEU, inputs: [], args: [cases] }]);
    assert.ok(!r!.error, r!.error);
    assertClose(cases.map(([p, l, k]) => Q.bleu(p, l, k)), r!.outs.map((o) => o.data[0]!), 'bleu vs the book in Python', 1e-12, 1e-15);
    const exact = cases.slice(0, pairs.length).filter(([p, l]) => p === l).length;
    assert.ok(exact >= 4, `at least 4 of the 6 training pairs translate exactly: ${cases.slice(0, 6).map((c) => c[0]).join(' | ')}`);
    assert.throws(() => Q.bleu('va', 'va !', 2), /bleu: the prediction has 1 token\(s\), fewer than k = 2.*ZeroDivisionError/);
  });

  it("export with symbolic batch, source and target lengths: the decoder's np.broadcastTo(context, [X.shape[0], ...]) reads T when the graph runs", async () => {
    const net = new Q.EncoderDecoder(new Seq2SeqEncoder(12, 8, 16, 2), new Seq2SeqDecoder(12, 8, 16, 2));
    net.initialize();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-d2l-s2s-'));
    try {
      const file = path.join(dir, 'seq2seq.onnx');
      asHybrid(net).export(file, { inputs: { encX: { shape: ['N', 'S'], dtype: 'float32' }, decX: { shape: ['N', 'T'], dtype: 'float32' } } });
      const model = await loadModel(file);
      try {
        for (const [n, s, t] of [[2, 5, 3], [3, 2, 7], [1, 1, 1]] as [number, number, number][]) {
          const enc = Array.from({ length: n * s }, (_v, i) => (i * 5) % 12);
          const dec = Array.from({ length: n * t }, (_v, i) => (i * 7) % 12);
          const [want, [state]] = net.call(np.array(enc).reshape(n, s), np.array(dec).reshape(n, t)) as [NDArray, NDArray[]];
          const outs = Object.values(model.runSync({ encX: { data: Float32Array.from(enc), shape: [n, s] }, decX: { data: Float32Array.from(dec), shape: [n, t] } }));
          assert.deepEqual(outs[0]!.shape, [n, t, 12]);
          assertClose(Array.from(outs[0]!.data as Float32Array), flat(want), `artifact output at (N, S, T) = (${n}, ${s}, ${t})`, 1e-5, 1e-5);
          assertClose(Array.from(outs[1]!.data as Float32Array), flat(state!), `artifact state at (N, S, T) = (${n}, ${s}, ${t})`, 1e-5, 1e-5);
        }
      } finally {
        await model.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
