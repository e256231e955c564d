/**
 * models/examples/house-prices.ts (MXNet's kaggle_k_fold_cross_validation.py)
 * against numpy/PyTorch float64: pandas' preprocessing written out
 * (standardized numeric columns with the sample std over present values,
 * one-hot columns in sorted order plus N/A, missing values at the column
 * mean), the k-fold split, the RMSE of the logarithms (a prediction below 1
 * clipped to 1), and one epoch of the script's `train` (one batch: Adam with
 * MXNet's rule and its L2 weight decay `grad/N + wd·w`) with the loss it
 * returns; the script from the command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gluon, nd, np, random } from 'gluonc';
import { getNet, getRmseLog, houseTable, kFoldSplit, preprocess, train, type House } from '../../../models/examples/house-prices.js';
import { pythonJson, assertNear } from '../../helpers/python-json.js';

describe('models/examples/house-prices (MXNet kaggle_k_fold_cross_validation.py)', function () {
  this.timeout(60_000);

  it("preprocess equals numpy's standardize / one-hot with N/A / fill-with-mean", () => {
    const rows: House[] = [
      { area: 1000, rooms: 3, age: 10, zone: 'RM' },
      { area: null, rooms: 4, age: 20, zone: 'FV' },
      { area: 2000, rooms: 2, age: null, zone: null },
      { area: 1500, rooms: 5, age: 5, zone: 'RL' },
      { area: 1200, rooms: 3, age: 40, zone: 'RM' },
    ];
    const ref = pythonJson(String.raw`
import json, sys, numpy as np
rows = json.load(sys.stdin)
cols = []
for k in ('area', 'rooms', 'age'):
    x = np.array([np.nan if r[k] is None else r[k] for r in rows], dtype=np.float64)
    z = (x - np.nanmean(x)) / np.nanstd(x, ddof=1)        # pandas' std: ddof 1, NaN skipped
    cols.append(np.where(np.isnan(z), np.nanmean(z), z))   # fillna(mean)
zones = sorted({r['zone'] for r in rows if r['zone'] is not None})
cols += [np.array([1.0 if r['zone'] == v else 0.0 for r in rows]) for v in zones] + [np.array([1.0 if r['zone'] is None else 0.0 for r in rows])]
print(json.dumps(np.stack(cols, 1).tolist()))`, rows);
    const got = preprocess(rows);
    assert.equal(got.length, 5);
    got.forEach((row, i) => row.forEach((v, j) => assertNear(v, ref[i][j], `row ${i} column ${j}`, 1e-12)));
  });

  it('kFoldSplit and getRmseLog equal numpy (a prediction below 1 is clipped to 1)', () => {
    const X = np.array(Array.from({ length: 11 }, (_, i) => [i, -i]));
    const y = np.array(Array.from({ length: 11 }, (_, i) => 10 + i));
    const { XValTrain, yValTrain, XValTest, yValTest } = kFoldSplit(X, y, 3, 1); // folds of 3: rows 3..5 held out, 0..2 and 6..8 trained, 9..10 unused
    assert.deepEqual(XValTest.toArray(), [[3, -3], [4, -4], [5, -5]]);
    assert.deepEqual(yValTrain.toArray(), [10, 11, 12, 16, 17, 18]);
    assert.deepEqual(XValTrain.shape, [6, 2]);
    assert.deepEqual(yValTest.toArray(), [13, 14, 15]);
    const net = new gluon.nn.Dense(1, { inUnits: 2 });
    net.initialize();
    net.weight.setData(nd.array([[3, 1]]));
    net.bias!.setData(nd.array([0.5]));
    // predictions 2i + 0.5: 0.5 (clipped to 1), 2.5, 4.5, ...
    const ref = pythonJson(String.raw`
import json, sys, numpy as np
x = np.arange(11.0); pred = np.clip(2 * x + 0.5, 1, np.inf); y = 10 + x
print(json.dumps(float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2)))))`, null);
    assertNear(getRmseLog(net, X, y), ref, 'RMSE of the logarithms');
  });

  it("one epoch of train (one batch, Adam with weight decay 100) equals PyTorch float64 and MXNet's Adam rule", () => {
    random.seed(11);
    const rows = houseTable(24);
    const X = np.array(preprocess(rows));
    const y = np.array(rows.map((h) => h.price!));
    const net = getNet();
    let before: Record<string, unknown> | undefined;
    net.registerForwardHook(() => {
      before ??= Object.fromEntries(net.collectParams().entries().map(([k, p]) => [k, p.data().toArray()]));
    });
    const lines: string[] = [];
    const loss = train(net, X, y, 1, -1, 0.3, 100, 24, (m) => void lines.push(m));
    const ref = pythonJson(String.raw`
import json, sys, numpy as np, torch
torch.set_default_dtype(torch.float64)
j = json.load(sys.stdin)
P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in j['params'].items()}
X = torch.tensor(j['X'], dtype=torch.float64); y = torch.tensor(j['y'], dtype=torch.float64)[:, None]
mlp = lambda P: torch.relu(X @ P['0.weight'].T + P['0.bias']) @ P['1.weight'].T + P['1.bias']
(0.5 * (mlp(P) - y) ** 2).sum().backward()
lr, b1, b2, eps, wd, n = 0.3, 0.9, 0.999, 1e-8, 100.0, X.shape[0]
new = {}
for k, p in P.items():
    g = p.grad / n + wd * p.detach()
    m = (1 - b1) * g; v = (1 - b2) * g * g
    new[k] = p.detach() - lr * np.sqrt(1 - b2) / (1 - b1) * m / (v.sqrt() + eps)
pred = torch.clamp(mlp(new), min=1)
print(json.dumps({'new': {k: v.reshape(-1).tolist() for k, v in new.items()}, 'loss': float(torch.sqrt(((pred.log() - y.log()) ** 2).mean()))}))`, { params: before, X: X.toArray(), y: y.toArray() });
    for (const [k, p] of net.collectParams().entries()) Array.from(p.data().data() as Float32Array).forEach((v, i) => assertNear(v, ref.new[k][i], `${k}[${i}] after the step`, 1e-5));
    assertNear(loss, ref.loss, 'the returned RMSE of the logarithms', 1e-5);
    assert.deepEqual(lines, [`Epoch 0, train loss: ${loss.toFixed(6)}`]);
  });

  it('runs from the command line; a bad flag is one line and exit code 1', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', 'models/examples/house-prices.ts', ...args], { encoding: 'utf8' });
    const ok = run('--k', '2', '--epochs', '2', '--verbose-epoch', '0');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^2-fold validation: Avg train loss: \d+\.\d{6}, Avg test loss: \d+\.\d{6}$/m);
    assert.equal([...ok.stdout.matchAll(/^Test loss: /gm)].length, 2);
    const bad = run('--k', '1');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), 'house-prices: kFoldCrossValid: k must be more than 1, got 1');
  });
});
