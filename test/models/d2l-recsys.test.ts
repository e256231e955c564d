/**
 * d2l's recommender-systems chapter (MXNet edition) in models/d2l/recsys.ts
 * on seeded synthetic interactions: each model's loss and the gradient of
 * every parameter against PyTorch in float64 with the same weights and
 * inputs (Embedding rows `W[idx]`, MXNet's Dense `x Wᵀ + b`, L2Loss
 * `(p − y)²/2` averaged per sample, SigmoidBCELoss from logits — FM/DeepFM
 * feed it their sigmoid output, as the book does — BPR `−Σ log σ(p⁺ − p⁻)`,
 * hinge `Σ max(1 − (p⁺ − p⁻), 0)`, AutoRec's output masked by `sign(input)`
 * while recording); the hybridized Blocks (`net.hybridize()`) give the same
 * outputs and gradients; a few Adam steps lower each training loss.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import * as d2l from '../../models/d2l/recsys.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const arr = (x: NDArray) => ({ shape: x.shape as number[], data: flat(x) });
const paramsOf = (b: gluon.Block) => [...b.collectParams().entries()];

const TORCH = String.raw`
import torch, torch.nn.functional as Fn
torch.set_default_dtype(torch.float64)
T = lambda v: torch.tensor(v["data"], dtype=torch.float64).reshape(v["shape"])
I = lambda v: torch.tensor(v["data"], dtype=torch.long).reshape(v["shape"])
P = {k: T(v).requires_grad_() for k, v in attrs["params"].items()}
X = attrs["x"]; model = attrs["model"]
dense = lambda x, pre, act=None: (lambda y: y if act is None else act(y))(x @ P[pre + ".weight"].T + (P[pre + ".bias"] if pre + ".bias" in P else 0))
def mlp(x, n):
    for k in range(n): x = dense(x, f"mlp.{k}", torch.relu)
    return x
def neumf(u, i, n):
    gmf = P["P.weight"][u] * P["Q.weight"][i]
    m = mlp(torch.cat([P["U.weight"][u], P["V.weight"][i]], 1), n)
    return dense(torch.cat([gmf, m], 1), "predictionLayer", torch.sigmoid)
def fm_terms(x):
    e = P["embedding.weight"][x]
    lin = dense(P["fc.weight"][x].sum(1), "linearLayer")
    return e, lin + 0.5 * (e.sum(1) ** 2 - (e ** 2).sum(1)).sum(1, keepdim=True)
def bce(z, y):
    return (torch.relu(z) - z * y + torch.log1p(torch.exp(-z.abs()))).mean(1)
if model == "MF":
    u, i, r = I(X["u"]), I(X["i"]), T(X["r"])
    pred = (P["P.weight"][u] * P["Q.weight"][i]).sum(1) + P["userBias.weight"][u].squeeze() + P["itemBias.weight"][i].squeeze()
    loss = 0.5 * (pred - r) ** 2
elif model == "AutoRec":
    x = T(X["m"])
    pred = dense(dense(x, "encoder", torch.sigmoid), "decoder") * torch.sign(x)
    loss = (0.5 * (pred - x) ** 2).mean(1)
elif model in ("BPR", "Hinge"):
    u, i, j = I(X["u"]), I(X["i"]), I(X["j"])
    d = neumf(u, i, attrs["layers"]) - neumf(u, j, attrs["layers"])
    loss = -torch.log(torch.sigmoid(d)).sum(0, keepdim=True) if model == "BPR" else torch.clamp(1 - d, min=0).sum()
elif model == "FM":
    x, y = I(X["x"]), T(X["y"])
    loss = bce(torch.sigmoid(fm_terms(x)[1]), y)
elif model == "DeepFM":
    x, y = I(X["x"]), T(X["y"])
    e, z = fm_terms(x)
    z = z + dense(mlp(e.reshape(-1, attrs["embed"]), attrs["layers"]), f"mlp.{attrs['layers']}")
    loss = bce(torch.sigmoid(z), y)
loss.sum().backward()
out = [loss.detach().reshape(-1)] + [P[k].grad if P[k].grad is not None else torch.zeros_like(P[k]) for k in attrs["params"]]
`;

interface Case {
  model: string;
  net: gluon.Block;
  loss: (net: gluon.Block) => NDArray;
  x: Record<string, { shape: number[]; data: number[] }>;
  attrs?: Record<string, unknown>;
}

describe('models/d2l: recommender systems (MF, AutoRec, BPR/hinge, NeuMF, FM, DeepFM)', function () {
  this.timeout(120000);
  const [numUsers, numItems] = [12, 15];
  const fieldDims = [3, 4, 5];
  let cases: Case[];

  before(() => {
    random.seed(17);
    const data = d2l.syntheticInteractions(numUsers, numItems, 24, 3);
    const [u, i, r] = [data.users, data.items, data.ratings];
    const j = np.array(flat(i).map((v) => (v + 5) % numItems), { dtype: 'int32' });
    const inter = d2l.interactionMatrix(u, i, r, numUsers, numItems);
    const ctr = d2l.syntheticCtr(fieldDims, 16, 4);
    const l2 = new gluon.loss.L2Loss();
    const bceLoss = new gluon.loss.SigmoidBCELoss();
    const mf = new d2l.MF(3, numUsers, numItems);
    const autorec = new d2l.AutoRec(4, numUsers, 0);
    const neumf = new d2l.NeuMF(3, numUsers, numItems, [5, 4]);
    const fm = new d2l.FM(fieldDims, 3);
    const deepfm = new d2l.DeepFM(fieldDims, 3, [6, 4], 0);
    for (const net of [mf, autorec, neumf, fm, deepfm]) net.initialize(new init.Normal(0.5));
    const bpr = new d2l.BPRLoss();
    const hinge = new d2l.HingeLossbRec();
    cases = [
      { model: 'MF', net: mf, loss: (n) => l2.call(n.call(u, i), r) as NDArray, x: { u: arr(u), i: arr(i), r: arr(r) } },
      { model: 'AutoRec', net: autorec, loss: (n) => l2.call(n.call(inter), inter) as NDArray, x: { m: arr(inter) } },
      { model: 'BPR', net: neumf, loss: (n) => bpr.call(n.call(u, i), n.call(u, j)) as NDArray, x: { u: arr(u), i: arr(i), j: arr(j) }, attrs: { layers: 2 } },
      { model: 'Hinge', net: neumf, loss: (n) => hinge.call(n.call(u, i), n.call(u, j)) as NDArray, x: { u: arr(u), i: arr(i), j: arr(j) }, attrs: { layers: 2 } },
      { model: 'FM', net: fm, loss: (n) => bceLoss.call(n.call(ctr.x), ctr.y) as NDArray, x: { x: arr(ctr.x), y: arr(ctr.y) } },
      // the mlp's Dense layers are children 0 and 2 (Dropout at 1 and 3): the torch reference reads mlp.0, mlp.2 and mlp.4
      { model: 'DeepFM', net: deepfm, loss: (n) => bceLoss.call(n.call(ctr.x), ctr.y) as NDArray, x: { x: arr(ctr.x), y: arr(ctr.y) }, attrs: { layers: 2, embed: 9, deepfm: true } },
    ];
  });

  /** The loss and every parameter's gradient, recorded and differentiated as d2l's training loops do. */
  function lossAndGrads(c: Case): { loss: number[]; grads: number[][] } {
    const l = autograd.record(() => c.loss(c.net));
    l.backward();
    return { loss: flat(l), grads: paramsOf(c.net).map(([, p]) => flat(p.grad())) };
  }

  it('the losses and the gradients of every parameter equal PyTorch (float64) on the same weights', () => {
    const ours = cases.map(lossAndGrads);
    const refs = numpyRefs(cases.map((c) => {
      const params = Object.fromEntries(paramsOf(c.net).map(([k, p]) => [c.attrs?.['deepfm'] ? k.replace(/^mlp\.(\d+)/, (_m, n: string) => `mlp.${Number(n) / 2}`) : k, arr(p.data())]));
      return { code: TORCH, inputs: [], attrs: { params, x: c.x, model: c.model, ...c.attrs } };
    }));
    cases.forEach((c, k) => {
      const r = refs[k]!;
      assert.ok(!r.error, `${c.model}: ${r.error}`);
      const [loss, ...grads] = r.outs.map((o) => o.data as number[]);
      assertClose(ours[k]!.loss, loss!, `${c.model} loss`, 1e-4, 1e-5);
      paramsOf(c.net).forEach(([name], g) => assertClose(ours[k]!.grads[g]!, grads[g]!, `${c.model} d/d${name}`, 1e-3, 1e-5));
      assert.ok(ours[k]!.grads.some((g) => g.some((v) => Math.abs(v) > 1e-4)), `${c.model}: some gradient is not zero`);
    });
  });

  it('hybridized (net.hybridize(), as the Block trains after it) gives the same losses and gradients', () => {
    for (const c of cases) {
      const before = lossAndGrads(c);
      c.net.hybridize();
      const after = lossAndGrads(c);
      assertClose(after.loss, before.loss, `${c.model} hybridized loss`, 1e-5, 1e-6);
      after.grads.forEach((g, k) => assertClose(g, before.grads[k]!, `${c.model} hybridized gradient ${k}`, 1e-4, 1e-6));
    }
  });

  it("MF's output is 1-D ([N], d2l's outputs.flatten() of an mx.np array) and AutoRec masks only while recording", () => {
    const { users, items } = d2l.syntheticInteractions(numUsers, numItems, 8, 1);
    assert.deepEqual((cases[0]!.net.call(users, items) as NDArray).shape, [8]);
    const m = np.array([[0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3]]);
    const pred = flat(cases[1]!.net.call(m) as NDArray);
    assert.ok(pred.every((v) => v !== 0), 'predicting: every entry');
    const masked = flat(autograd.record(() => cases[1]!.net.call(m) as NDArray));
    assert.deepEqual(masked.map((v) => v !== 0), flat(m).map((v) => v !== 0));
  });

  it("train_recsys_rating over d2l's DataLoaders (ArrayDataset of users, items, ratings; the interaction matrix itself for AutoRec, 'rollover') lowers the loss", () => {
    random.seed(29);
    const data = d2l.syntheticInteractions(numUsers, numItems, 80, 8);
    const trainIter = new gluon.data.DataLoader(new gluon.data.ArrayDataset(data.users, data.items, data.ratings), { shuffle: true, lastBatch: 'rollover', batchSize: 16 });
    const mf = new d2l.MF(4, numUsers, numItems);
    mf.initialize(new init.Normal(0.01));
    const mfLoss = d2l.trainRecsysRating(mf, trainIter, new gluon.loss.L2Loss(), new gluon.Trainer(mf.collectParams(), 'adam', { learningRate: 0.05, wd: 1e-5 }), 4);
    assert.ok(mfLoss[3]! < mfLoss[0]!, `MF: ${mfLoss}`);
    const inter = d2l.interactionMatrix(data.users, data.items, data.ratings, numUsers, numItems);
    const interIter = new gluon.data.DataLoader(inter, { shuffle: true, lastBatch: 'rollover', batchSize: 4 });
    const ar = new d2l.AutoRec(8, numUsers);
    ar.initialize(new init.Normal(0.01));
    const arLoss = d2l.trainRecsysRating(ar, interIter, new gluon.loss.L2Loss(), new gluon.Trainer(ar.collectParams(), 'adam', { learningRate: 0.02, wd: 1e-5 }), 4);
    assert.ok(arLoss[3]! < arLoss[0]!, `AutoRec: ${arLoss}`);
  });

  it("evaluate_ranking (float32 ids through a DataLoader, as d2l's np.array(user_ids)) equals d2l's ranking and hit_and_auc in Python on the net's scores", () => {
    const net = cases[2]!.net; // NeuMF
    const candidates: Record<number, number[]> = { 0: [1, 2], 1: [0], 2: [], 3: [3, 4, 5] };
    const testInput: Record<number, number[]> = { 0: [7], 1: [3, 9], 2: [11], 3: [0] };
    const n = 12; // d2l ranks range(num_users)
    const [hit, auc] = d2l.evaluateRanking(net, testInput, candidates, n, numItems);
    const users = np.array(Array.from({ length: n * n }, (_, k) => Math.floor(k / n)), { dtype: 'int32' });
    const items = np.array(Array.from({ length: n * n }, (_, k) => k % n), { dtype: 'int32' });
    const scores = flat(net.call(users, items) as NDArray);
    const [r] = numpyRefs([{ code: String.raw`
S = np.array(attrs["scores"]).reshape(attrs["n"], attrs["n"]); cand = {int(k): v for k, v in attrs["cand"].items()}; test = {int(k): v for k, v in attrs["test"].items()}
def hit_and_auc(rankedlist, test_matrix, k):
    hits_k = [(idx, val) for idx, val in enumerate(rankedlist[:k]) if val in set(test_matrix)]
    hits_all = [(idx, val) for idx, val in enumerate(rankedlist) if val in set(test_matrix)]
    max = len(rankedlist) - 1
    auc = 1.0 * (max - hits_all[0][0]) / max if len(hits_all) > 0 else 0
    return len(hits_k), auc
hr, au = [], []
for u in range(attrs["n"]):
    neg = [i for i in range(attrs["n"]) if i not in set(cand.get(u, []))]
    ranked = [r[0] for r in sorted(zip(neg, [S[u, i] for i in neg]), key=lambda t: t[1], reverse=True)]
    h, a = hit_and_auc(ranked, test.get(u, []), 50); hr.append(h); au.append(a)
out = [np.array([np.mean(hr), np.mean(au)])]`, inputs: [], attrs: { scores, n, cand: candidates, test: testInput } }]);
    assert.ok(!r!.error, r!.error);
    assertClose([hit, auc], r!.outs[0]!.data as number[], 'hit rate, AUC', 1e-12, 1e-12);
    assert.deepEqual(d2l.hitAndAuc([4, 2, 9, 1], [9, 1], 2), [0, (3 - 2) / 3]);
    assert.deepEqual(d2l.hitAndAuc([4, 2], [7], 2), [0, 0]);
  });

  it("a few Adam steps of d2l's train_recsys_rating / train_ranking lower each loss", () => {
    random.seed(23);
    const data = d2l.syntheticInteractions(numUsers, numItems, 60, 5);
    const neg = np.array(flat(data.items).map((v) => (v + 3) % numItems), { dtype: 'int32' });
    const ctr = d2l.syntheticCtr(fieldDims, 32, 6);
    const l2 = new gluon.loss.L2Loss();
    const bce = new gluon.loss.SigmoidBCELoss();
    const runs: [string, gluon.Block, (n: gluon.Block, t: gluon.Trainer) => number][] = [
      ['MF', new d2l.MF(3, numUsers, numItems), (n, t) => d2l.ratingStep(n, l2, t, data.users, data.items, data.ratings)],
      ['NeuMF+BPR', new d2l.NeuMF(3, numUsers, numItems, [4]), (n, t) => d2l.rankingStep(n, new d2l.BPRLoss(), t, data.users, data.items, neg)],
      ['NeuMF+hinge', new d2l.NeuMF(3, numUsers, numItems, [4]), (n, t) => d2l.rankingStep(n, new d2l.HingeLossbRec(), t, data.users, data.items, neg)],
      ['DeepFM', new d2l.DeepFM(fieldDims, 3, [4]), (n, t) => {
        const l = autograd.record(() => bce.call(n.call(ctr.x), ctr.y) as NDArray);
        l.backward();
        t.step(32);
        return Number(l.sum().item());
      }],
    ];
    for (const [name, net, step] of runs) {
      net.initialize(new init.Normal(0.1));
      const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.05, wd: 1e-5 });
      const losses = Array.from({ length: 6 }, () => step(net, trainer));
      assert.ok(losses[5]! < losses[0]!, `${name}: ${losses.join(', ')}`);
    }
  });
});
