/**
 * models/examples/lstm-crf.ts (MXNet's lstm_crf.py) against independent
 * references: the forward algorithm's log-partition and the Viterbi path
 * and score against a brute-force enumeration of every tag sequence in
 * numpy (float64), at random scores, at an all-zero tie and for a one-word
 * sentence; one SGD step (learning rate 0.01, wd 1e-4) of the whole BiLSTM-CRF
 * negative log-likelihood against PyTorch float64 (its own LSTM, autograd and
 * a vectorized forward algorithm); the script from the command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { BiLSTM_CRF, prepareSequence, tag2idx, train, trainingData, wordIndex } from '../../../models/examples/lstm-crf.js';
import { pythonJson, assertNear } from '../../helpers/python-json.js';

const near = (a: number, b: number, what: string, tol = 1e-4): void => assertNear(a, b, what, tol);

const flat = (x: nd.NDArray): number[] => Array.from(x.data() as Float32Array);

// Every tag sequence y1..yL (y0 = START): score = sum_t trans[y_t, y_{t-1}] + feat_t[y_t], + trans[STOP, y_L].
const BRUTE = String.raw`
import json, sys, itertools
import numpy as np
out = []
for j in json.load(sys.stdin):
    T = np.array(j['trans'], dtype=np.float64); F = np.array(j['feats'], dtype=np.float64)
    S, E = j['start'], j['stop']; L, K = F.shape
    scores = []
    for ys in itertools.product(range(K), repeat=L):   # lexicographic: the first maximum is the smallest sequence
        prev, s = S, 0.0
        for t, y in enumerate(ys):
            s += T[y, prev] + F[t, y]; prev = y
        scores.append((s + T[E, prev], ys))
    vals = np.array([s for s, _ in scores])
    m = vals.max()
    best = next(ys for s, ys in scores if s == m)
    out.append({'logZ': float(m + np.log(np.exp(vals - m).sum())), 'best': list(best), 'bestScore': float(m)})
print(json.dumps(out))
`;

describe('models/examples/lstm-crf (MXNet lstm_crf.py)', function () {
  this.timeout(60_000);

  it('forward algorithm and Viterbi decode equal a brute-force enumeration of all tag sequences', () => {
    random.seed(3);
    const model = new BiLSTM_CRF(4, tag2idx, 3, 4);
    model.initialize();
    const cases: { trans: nd.NDArray; feats: nd.NDArray; label: string }[] = [
      { trans: nd.random.normal(0, 1, [5, 5]), feats: nd.random.normal(0, 1, [4, 5]), label: 'random, 4 words' },
      { trans: nd.random.normal(0, 2, [5, 5]), feats: nd.random.normal(0, 2, [3, 5]), label: 'random, 3 words' },
      { trans: nd.random.normal(0, 1, [5, 5]), feats: nd.random.normal(0, 1, [1, 5]), label: 'one word' },
      { trans: nd.zeros([5, 5]), feats: nd.zeros([3, 5]), label: 'all zero: every path ties' },
    ];
    const refs = pythonJson(BRUTE, cases.map((c) => ({ trans: c.trans.toArray(), feats: c.feats.toArray(), start: tag2idx['<START>'], stop: tag2idx['<STOP>'] })));
    cases.forEach((c, i) => {
      model.transitions.setData(c.trans);
      const feats = nd.split(c.feats, { numOutputs: c.feats.shape[0]!, axis: 0, squeezeAxis: true }) as nd.NDArray[];
      near(model._forwardAlg(feats).asscalar(), refs[i].logZ, `${c.label}: log-partition`);
      const [score, path] = model._viterbiDecode(feats);
      near(score.item(), refs[i].bestScore, `${c.label}: Viterbi score`);
      // At the tie MXNet's argmax takes the first maximum (tag 0 after START), the lexicographically first path.
      assert.deepEqual(path, refs[i].best, `${c.label}: Viterbi path`);
    });
    // all zero: log Z = L log 5 (the paths from START; the others start at -10000).
    near(model._forwardAlg(nd.split(nd.zeros([3, 5]), { numOutputs: 3, axis: 0, squeezeAxis: true }) as nd.NDArray[]).asscalar(), 3 * Math.log(5), 'log 5^3');
  });

  it('one SGD step of the negative log-likelihood equals PyTorch float64', () => {
    random.seed(1);
    const word2idx = wordIndex();
    const model = new BiLSTM_CRF(Object.keys(word2idx).length, tag2idx, 5, 4);
    model.initialize(new init.Xavier({ magnitude: 2.24 }));
    model.transitions.setData(nd.random.normal(0, 1, [5, 5]));
    // The example draws the LSTM's initial state at random on every call; fixed here so PyTorch can start from it.
    const h0 = [nd.random.normal(0, 1, [2, 1, 2]), nd.random.normal(0, 1, [2, 1, 2])];
    model.initHidden = () => h0;
    const trainer = new gluon.Trainer(model.collectParams(), 'sgd', { learningRate: 0.01, wd: 1e-4 });
    const [sentence, tags] = trainingData[1]!;
    model.call(prepareSequence(sentence, word2idx)); // the LSTM's input size is inferred at the first call
    const before = Object.fromEntries(model.collectParams().entries().map(([k, p]) => [k, p.data().toArray()]));
    const nll = autograd.record(() => {
      const l = model.negLogLikelihood(prepareSequence(sentence, word2idx), nd.array(tags.map((t) => tag2idx[t]!)));
      l.backward();
      return l;
    });
    trainer.step(1);
    const ref = pythonJson(String.raw`
import json, sys
import numpy as np, torch
torch.set_default_dtype(torch.float64)
j = json.load(sys.stdin); P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in j['params'].items()}
S, E = j['start'], j['stop']
x = P['wordEmbeds.weight'][torch.tensor(j['sentence'])].reshape(len(j['sentence']), 1, -1)
lstm = torch.nn.LSTM(5, 2, bidirectional=True)
with torch.no_grad():
    for d, s in (('l0', ''), ('r0', '_reverse')):
        for a, b in (('i2h_weight', 'weight_ih_l0'), ('h2h_weight', 'weight_hh_l0'), ('i2h_bias', 'bias_ih_l0'), ('h2h_bias', 'bias_hh_l0')):
            getattr(lstm, b + s).copy_(P['lstm.%s_%s' % (d, a)])
out, _ = lstm(x, (torch.tensor(j['h0'], dtype=torch.float64), torch.tensor(j['c0'], dtype=torch.float64)))
# lstm's own parameters stand in for P's: their gradients are read from lstm below
feats = out.reshape(len(j['sentence']), 4) @ P['hidden2tag.weight'].T + P['hidden2tag.bias']
T = P['crf_transition_matrix']
alpha = torch.full((5,), -10000.0); alpha = alpha.index_put((torch.tensor(S),), torch.tensor(0.0))
for f in feats:
    alpha = torch.logsumexp(alpha[None, :] + T, dim=1) + f
logZ = torch.logsumexp(alpha + T[E], dim=0)
tags = [S] + j['tags']; gold = sum(T[tags[i + 1], tags[i]] + feats[i, tags[i + 1]] for i in range(len(feats))) + T[E, tags[-1]]
nll = logZ - gold
nll.backward()
grads = {k: p.grad for k, p in P.items()}
for d, s in (('l0', ''), ('r0', '_reverse')):
    for a, b in (('i2h_weight', 'weight_ih_l0'), ('h2h_weight', 'weight_hh_l0'), ('i2h_bias', 'bias_ih_l0'), ('h2h_bias', 'bias_hh_l0')):
        grads['lstm.%s_%s' % (d, a)] = getattr(lstm, b + s).grad
lr, wd = 0.01, 1e-4
new = {k: (P[k].detach() - lr * (grads[k] + wd * P[k].detach())).reshape(-1).tolist() for k in P}
print(json.dumps({'nll': float(nll), 'new': new}))
`, {
      params: before, sentence: sentence.map((w) => word2idx[w]), tags: tags.map((t) => tag2idx[t]),
      h0: h0[0]!.toArray(), c0: h0[1]!.toArray(), start: tag2idx['<START>'], stop: tag2idx['<STOP>'],
    });
    near(nll.asscalar(), ref.nll, 'negative log-likelihood', 1e-5);
    for (const [k, p] of model.collectParams().entries()) {
      const got = flat(p.data());
      const want = ref.new[k] as number[];
      assert.equal(got.length, want.length, k);
      got.forEach((v, i) => near(v, want[i]!, `${k}[${i}] after the step`, 1e-5));
    }
  });

  it('trains (the loss falls) and runs from the command line; a bad flag is one line and exit code 1', () => {
    const lines: string[] = [];
    const { losses } = train({ epochs: 4, log: (m) => void lines.push(m) });
    assert.equal(lines.length, 6);
    assert.match(lines[0]!, /^\(-?\d+\.\d+\n<NDArray 1 @cpu\(0\)>, \[\d(, \d){10}\]\)$/);
    assert.ok(losses[3]! < losses[0]!, `losses ${losses}`);
    const run = (...args: string[]) => spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', 'models/examples/lstm-crf.ts', ...args], { encoding: 'utf8' });
    const ok = run('--epochs', '1');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^Epoch \[0\], Negative Log Likelihood \d+\.\d{4}$/m);
    const bad = run('--epochs', 'x');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), "lstm-crf: --epochs must be a non-negative integer, got 'x'");
  });
});
