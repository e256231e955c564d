/**
 * models/examples/tree-lstm.ts (MXNet's tree_lstm.py + main.py) against an
 * independent numpy float64 recursion of the Child-Sum Tree-LSTM (Tai et
 * al., 2015, eqs. 2-8) and of the distance-angle similarity head, on a tree
 * with a three-child node, a chain and a single-word tree (a leaf: no
 * children's sum, no forget gate); main.py's `to_target` at an integer and
 * between two; the script from the command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { init, nd, random } from 'gluonc';
import { SimilarityTreeLSTM, Tree, toScore, toTarget, train } from '../../../models/examples/tree-lstm.js';
import { pythonJson, assertNear } from '../../helpers/python-json.js';

// Tai et al.'s Child-Sum Tree-LSTM with MXNet's parameter layout: i2h rows [i, f, u, o], hs2h rows [i, u, o],
// the forget gate of child k: sigmoid(W_f x + b_f + hc2h_bias + h_k · hc2h_weight) (F.dot: h_k times the matrix).
const REF = String.raw`
import json, sys
import numpy as np
j = json.load(sys.stdin)
P = {k: np.array(v, dtype=np.float64) for k, v in j['params'].items()}
g = lambda k: P['childsumtreelstm.' + k]
sig = lambda x: 1 / (1 + np.exp(-x))
C = j['hidden']
def node(tree, X):
    states = [node(c, X) for c in tree['children']]
    x = X[tree['idx']]
    a = g('i2h_weight') @ x + g('i2h_bias')
    ai, af, au, ao = a[:C], a[C:2*C], a[2*C:3*C], a[3*C:]
    hs = sum((h for h, _ in states), np.zeros(C))
    b = g('hs2h_weight') @ hs + g('hs2h_bias')
    i = sig(ai + b[:C]); u = np.tanh(au + b[C:2*C]); o = sig(ao + b[2*C:])
    c = i * u
    for h_k, c_k in states:
        c = c + sig(af + g('hc2h_bias') + h_k @ g('hc2h_weight')) * c_k
    return o * np.tanh(c), c
out = []
for case in j['cases']:
    E = P['embed.weight']
    _, cl = node(case['lTree'], E[case['l']]); _, cr = node(case['rTree'], E[case['r']])
    d = np.concatenate([cl * cr, np.abs(cl - cr)])
    hid = sig(P['similarity.wh.weight'] @ d + P['similarity.wh.bias'])
    s = P['similarity.wp.weight'] @ hid + P['similarity.wp.bias']
    logp = s - s.max() - np.log(np.exp(s - s.max()).sum())
    out.append({'cl': cl.tolist(), 'cr': cr.tolist(), 'logp': logp.tolist()})
print(json.dumps(out))
`;

const asJson = (t: Tree): unknown => ({ idx: t.idx, children: t.children.map(asJson) });

describe('models/examples/tree-lstm (MXNet tree_lstm.py)', function () {
  this.timeout(60_000);

  it('the Child-Sum Tree-LSTM states and the similarity log-probabilities equal a numpy float64 recursion', () => {
    random.seed(7);
    const net = new SimilarityTreeLSTM(6, 5, 9, 4, 5);
    net.collectParams().initialize(new init.Xavier({ magnitude: 2.24 }));
    // Biases are initialized to zero (MXNet's 'zeros'): random ones here, so every term is checked.
    for (const [k, p] of net.collectParams().entries()) if (k.endsWith('bias')) p.setData(nd.random.normal(0, 0.5, p.shape));
    // root 0 with three children (1; 2 -> 3 -> 4, a chain; 5), and a one-word tree
    const wide = new Tree(0).addChild(new Tree(1)).addChild(new Tree(2).addChild(new Tree(3).addChild(new Tree(4)))).addChild(new Tree(5));
    const chain = new Tree(2).addChild(new Tree(0).addChild(new Tree(1)));
    const cases = [
      { l: [3, 1, 4, 1, 5, 8], r: [2, 7, 1], lTree: wide, rTree: chain },
      { l: [6], r: [6, 2, 0], lTree: new Tree(0), rTree: chain },
    ];
    const outs = cases.map((c) => {
      const l = nd.array(c.l);
      const r = nd.array(c.r);
      const logp = net.call(nd, l, r, c.lTree, c.rTree) as nd.NDArray;
      const cl = (net.childsumtreelstm.call(nd, net.embed.call(l), c.lTree) as [nd.NDArray, nd.NDArray[]])[1][1]!;
      const cr = (net.childsumtreelstm.call(nd, net.embed.call(r), c.rTree) as [nd.NDArray, nd.NDArray[]])[1][1]!;
      return { logp, cl, cr };
    });
    const params = Object.fromEntries(net.collectParams().entries().map(([k, p]) => [k, p.data().toArray()]));
    const ref = pythonJson(REF, { params, hidden: 5, cases: cases.map((c) => ({ ...c, lTree: asJson(c.lTree), rTree: asJson(c.rTree) })) });
    outs.forEach((o, i) => {
      for (const key of ['cl', 'cr', 'logp'] as const) {
        const got = Array.from(o[key].data() as Float32Array);
        assert.equal(got.length, ref[i][key].length, `case ${i} ${key}: length`);
        got.forEach((v, k) => assertNear(v, ref[i][key][k], `case ${i} ${key}[${k}]`));
      }
    });
  });

  it("main.py's to_target and to_score", () => {
    assert.deepEqual(toTarget(3).toArray(), [[0, 0, 1, 0, 0]]);
    const t = toTarget(2.25).toArray() as number[][];
    assert.deepEqual(t[0]!.map((v) => Math.round(v * 1e6) / 1e6), [0, 0.75, 0.25, 0, 0]);
    // expected class of the distributions [0,0,1,0,0] and uniform: 3 and 3; of [0.75 at 2, 0.25 at 3]: 2.25
    const s = toScore(nd.log(nd.array([[0, 0, 1, 0, 0], [0.2, 0.2, 0.2, 0.2, 0.2], [0, 0.75, 0.25, 0, 0]])))[0]!;
    (s.data() as Float32Array).forEach((v, i) => assertNear(v, [3, 3, 2.25][i]!, `score ${i}`));
  });

  it('trains and runs from the command line; a bad flag is one line and exit code 1', () => {
    const { devR } = train({ epochs: 1, log: () => {} });
    assert.equal(devR.length, 1);
    assert.ok(devR[0]! >= -1 && devR[0]! <= 1);
    const run = (...args: string[]) => spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', 'models/examples/tree-lstm.ts', ...args], { encoding: 'utf8' });
    const ok = run('--epochs', '1');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^training acc at epoch 0: pearsonr=-?\d\.\d{6}\ntraining acc at epoch 0: mse=\d+\.\d{6}\nvalidation acc: pearsonr=-?\d\.\d{6}\nvalidation acc: mse=\d+\.\d{6}\n$/);
    const bad = run('--wd', 'x');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), "tree-lstm: --wd must be a non-negative number, got 'x'");
  });
});
