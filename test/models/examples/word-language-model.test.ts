/**
 * models/examples/word-language-model.ts (MXNet's word_language_model
 * train.py + model.py) against PyTorch float64: the tied-weight 2-layer LSTM
 * language model's loss, one training step (summed cross-entropy, global-norm
 * clipping by MXNet's formula `min(1, maxNorm / (norm + 1e-8))`, SGD at
 * learning rate 1 over the batch size), and the loss and perplexity after it;
 * batchify/getBatch against numpy's reshape; the script from the command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gluon, init, nd, random } from 'gluonc';
import { RNNModel, batchify, corpus, getBatch, trainStep } from '../../../models/examples/word-language-model.js';
import { pythonJson, assertNear } from '../../helpers/python-json.js';

const near = (a: number, b: number, what: string, tol = 1e-4): void => assertNear(a, b, what, tol);

const TORCH = String.raw`
import json, sys, math
import numpy as np, torch
torch.set_default_dtype(torch.float64)
j = json.load(sys.stdin)
P = {k: torch.tensor(v, dtype=torch.float64) for k, v in j['params'].items()}
H, V, N, L = j['nhid'], j['vocab'], j['batch'], j['layers']
W = P['encoder.weight'].clone().requires_grad_(True)          # tied: the embedding is the decoder's weight
b = P['decoder.bias'].clone().requires_grad_(True)
lstm = torch.nn.LSTM(j['emsize'], H, L)
with torch.no_grad():
    for l in range(L):
        for a, t in (('i2h_weight', 'weight_ih'), ('h2h_weight', 'weight_hh'), ('i2h_bias', 'bias_ih'), ('h2h_bias', 'bias_hh')):
            getattr(lstm, '%s_l%d' % (t, l)).copy_(P['rnn.l%d_%s' % (l, a)])
data = torch.tensor(j['data']); target = torch.tensor(j['target'])
def losses():
    zeros = torch.zeros(L, N, H)
    out, _ = lstm(W[data], (zeros, zeros))
    logits = out.reshape(-1, H) @ W.T + b
    return torch.nn.functional.cross_entropy(logits, target, reduction='none')
l0 = losses()
l0.sum().backward()
params = [W, b] + list(lstm.parameters())
norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
scale = min(j['maxNorm'] / (norm + 1e-8), 1.0)
with torch.no_grad():
    for p in params:
        p -= j['lr'] * p.grad * scale / N
    l1 = losses()
print(json.dumps({'loss0': l0.tolist(), 'norm': norm, 'scale': scale, 'loss1': float(l1.mean()), 'ppl1': math.exp(float(l1.mean())), 'W': W.detach().reshape(-1).tolist()}))
`;

describe('models/examples/word-language-model (MXNet word_language_model)', function () {
  this.timeout(60_000);

  it('batchify and getBatch cut the corpus as train.py does (numpy reshape)', () => {
    const ids = nd.arange(0, 23);
    const b = batchify(ids, 4); // 23 // 4 = 5 rows kept per column
    const ref = pythonJson(String.raw`
import json, sys, numpy as np
d = np.arange(23); n = 23 // 4
x = d[:n * 4].reshape(4, n).T
print(json.dumps({'b': x.tolist(), 'data': x[3:5].tolist(), 'target': x[4:6].reshape(-1).tolist()}))`, null);
    assert.deepEqual(b.toArray(), ref.b);
    const [data, target] = getBatch(b, 3, 8); // min(bptt, 5 - 1 - 3) = 1 step at the end
    assert.deepEqual(data.toArray(), ref.data.slice(0, 1));
    assert.deepEqual(target.toArray(), ref.target.slice(0, 4));
  });

  it('a tied LSTM LM: loss, one clipped SGD step and the perplexity after it equal PyTorch float64', () => {
    random.seed(5);
    const { ids, dictionary } = corpus(6);
    const [emsize, nhid, layers, batchSize, bptt] = [6, 6, 2, 2, 5];
    const model = new RNNModel('lstm', dictionary.size, emsize, nhid, layers, 0, true);
    model.collectParams().initialize(new init.Xavier());
    assert.equal(model.decoder.weight, model.encoder.weight, 'the decoder holds the embedding');
    const trainer = new gluon.Trainer(model.collectParams(), 'sgd', { learningRate: 1.0, momentum: 0, wd: 0 });
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const source = batchify(ids, batchSize);
    const [data, target] = getBatch(source, 0, bptt);
    const params = Object.fromEntries(model.collectParams().entries().map(([k, p]) => [k, p.data().toArray()]));
    const clip = 0.05; // max norm 0.05 × 5 × 2 = 0.5: the clipping applies
    const ref = pythonJson(TORCH, {
      params, nhid, emsize, layers, vocab: dictionary.size, batch: batchSize, lr: 1.0, maxNorm: clip * bptt * batchSize,
      data: data.toArray(), target: target.toArray(),
    });
    assert.ok(ref.scale < 1, `the clipping applies (scale ${ref.scale})`);
    const [L] = trainStep(model, trainer, loss, data, target, model.beginState({ batchSize }), { clip, bptt, batchSize });
    Array.from(L.data() as Float32Array).forEach((v, i) => near(v, ref.loss0[i], `loss before the step [${i}]`, 1e-5));
    Array.from(model.encoder.weight.data().data() as Float32Array).forEach((v, i) => near(v, ref.W[i], `tied weight [${i}] after the step`, 1e-5));
    const [out] = model.call(data, model.beginState({ batchSize })) as [nd.NDArray, nd.NDArray[]];
    const after = (loss.call(out, target) as nd.NDArray).mean().item();
    near(after, ref.loss1, 'loss after the step', 1e-5);
    near(Math.exp(after), ref.ppl1, 'perplexity after the step', 1e-5);
  });

  it('runs from the command line (the validation perplexity falls); a bad flag is one line and exit code 1', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', 'models/examples/word-language-model.ts', ...args], { encoding: 'utf8' });
    const ok = run('--tied', '--epochs', '6');
    assert.equal(ok.status, 0, ok.stderr);
    const ppl = [...ok.stdout.matchAll(/valid ppl (\d+\.\d+)/g)].map((m) => Number(m[1]));
    assert.equal(ppl.length, 6);
    assert.ok(ppl[5]! < ppl[0]!, `validation perplexities ${ppl}`);
    assert.match(ok.stdout, /^Best test loss \d+\.\d\d, test ppl \d+\.\d\d$/m);
    const bad = run('--model', 'lstmx');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), 'word-language-model: Invalid mode lstmx. Options are rnn_relu, rnn_tanh, lstm, and gru');
  });
});
