import assert from 'node:assert/strict';
import { nd, gluon } from 'gluonc';
import { numpyRefs } from '../../helpers/numpy.js';

const { metric } = gluon;

const close = (a: number, b: number, tol = 1e-9, what = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const value = (m: { get(): [string, number] | [string[], number[]] }) => m.get()[1] as number;

/** A repeatable pseudo-random stream. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

// MXNet 2's own docstring examples (python/mxnet/gluon/metric.py): the values printed there.
const PREDS = nd.array([[0.3, 0.7], [0, 1], [0.4, 0.6]]);
const LABELS = nd.array([0, 1, 1]);

describe('gluon.metric', () => {
  it("gives MXNet's documented values", () => {
    const acc = new metric.Accuracy();
    acc.update([LABELS], [PREDS]);
    assert.deepEqual(acc.get(), ['accuracy', 2 / 3]);
    const f1 = new metric.F1();
    f1.update([LABELS], [PREDS]);
    close(value(f1), 0.8, 1e-12, 'f1');
    const mae = new metric.MAE();
    mae.update([nd.array([2.5, 0, 2, 8])], [nd.array([3, -0.5, 2, 7])]);
    assert.deepEqual(mae.get(), ['mae', 0.5]);
    const mse = new metric.MSE();
    mse.update(nd.array([2.5, 0, 2, 8]), nd.array([3, -0.5, 2, 7]));
    assert.deepEqual(mse.get(), ['mse', 0.375]);
    const rmse = new metric.RMSE();
    rmse.update(nd.array([2.5, 0, 2, 8]), nd.array([3, -0.5, 2, 7]));
    close(value(rmse), 0.612372457981, 1e-7, 'rmse'); // MXNet printed its float32 result; sqrt(0.375) = 0.61237243569
    const ce = new metric.CrossEntropy();
    ce.update(LABELS, PREDS);
    close(value(ce), 0.57159948348999023, 1e-7, 'ce');
    const perp = new metric.Perplexity();
    perp.update(LABELS, PREDS);
    close(value(perp), 1.7710976285155853, 1e-7, 'perplexity');
    const pr = new metric.PearsonCorrelation();
    pr.update(nd.array([[1, 0], [0, 1], [0, 1]]), PREDS);
    close(value(pr), 0.42163704544016178, 1e-7, 'pearsonr');
    const both = new metric.CompositeEvalMetric([new metric.Accuracy(), new metric.F1()]);
    both.update([LABELS], [PREDS]);
    const [names, values] = both.get();
    assert.deepEqual(names, ['accuracy', 'f1']);
    close(values[0]!, 2 / 3);
    close(values[1]!, 0.8);
    // MXNet's MCC/F1 docstring data: 1000 FP, 1 TN, 1 FN, 10000 TP gives f1 0.95233560306652054.
    const big = new metric.F1();
    const p = [...Array(1000).fill([0.3, 0.7]), [0.7, 0.3], [0.7, 0.3], ...Array(10000).fill([0.3, 0.7])];
    const l = [...Array(1001).fill(0), ...Array(10001).fill(1)];
    big.update(nd.array(l), nd.array(p));
    close(value(big), 0.95233560306652054, 1e-12, 'f1 (MXNet MCC example)');
  });

  it('matches numpy formulas on random batches accumulated over several updates', () => {
    const r = lcg(11);
    const batches = [5, 8, 3].map((n) => ({
      scores: Array.from({ length: n }, () => Array.from({ length: 4 }, () => Math.round(r() * 8) / 8)), // ties on purpose
      labels: Array.from({ length: n }, () => Math.floor(r() * 4)),
      y: Array.from({ length: n }, () => r() * 4 - 2),
      yhat: Array.from({ length: n }, () => r() * 4 - 2),
    }));
    const S = batches.flatMap((b) => b.scores);
    const L = batches.flatMap((b) => b.labels);
    const Y = batches.flatMap((b) => b.y);
    const H = batches.flatMap((b) => b.yhat);
    const P = S.map((row) => {
      const z = row.reduce((a, v) => a + Math.exp(v), 0);
      return row.map((v) => Math.exp(v) / z);
    });
    const [ref] = numpyRefs([{
      code: `
S = a.astype(np.float64); L = b.astype(np.int64); Y = c.astype(np.float64); H = d.astype(np.float64); P = e.astype(np.float64)
acc = (S.argmax(1) == L).mean()
order = np.argsort(-S, axis=1, kind='stable')
top2 = np.mean([L[i] in order[i, :2] for i in range(len(L))])
top3 = np.mean([L[i] in order[i, :3] for i in range(len(L))])
mae = np.abs(Y - H).mean(); mse = ((Y - H) ** 2).mean()
ce = -np.log(P[np.arange(len(L)), L]).mean()
r = np.corrcoef(Y, H)[0, 1]
pb = (P[:, 1] / (P[:, 0] + P[:, 1])) ; lb = (L % 2)
pred = pb > 0.5
tp = np.sum(pred & (lb == 1)); fp = np.sum(pred & (lb == 0)); fn = np.sum(~pred & (lb == 1))
f1 = 2 * tp / (2 * tp + fp + fn)
oh = np.eye(4)[S.argmax(1)]; ol = np.eye(4)[L]
tpc = (oh * ol).sum(0); fpc = (oh * (1 - ol)).sum(0); fnc = ((1 - oh) * ol).sum(0)
prec = tpc / np.maximum(tpc + fpc, 1e-12); rec = tpc / np.maximum(tpc + fnc, 1e-12)
macro = np.mean(2 * prec * rec / np.maximum(prec + rec, 1e-12))
mp = tpc.sum() / (tpc.sum() + fpc.sum()); mr = tpc.sum() / (tpc.sum() + fnc.sum())
micro = 2 * mp * mr / (mp + mr)
out = [acc, top2, top3, mae, mse, ce, r, f1, macro, micro]`,
      inputs: [
        { shape: [S.length, 4], dtype: 'float64', data: S.flat() },
        { shape: [L.length], dtype: 'int64', data: L },
        { shape: [Y.length], dtype: 'float64', data: Y },
        { shape: [H.length], dtype: 'float64', data: H },
        { shape: [P.length, 4], dtype: 'float64', data: P.flat() },
      ],
    }]);
    assert.equal(ref!.error, undefined, ref!.error);
    const want = ref!.outs.map((o) => o.data[0] as number);
    const ms = {
      acc: new metric.Accuracy(), top2: new metric.TopKAccuracy({ topK: 2 }), top3: new metric.TopKAccuracy({ topK: 3 }),
      mae: new metric.MAE(), mse: new metric.MSE(), ce: new metric.CrossEntropy(), r: new metric.PearsonCorrelation(),
      f1: new metric.F1(), macro: new metric.F1({ classType: 'multiclass', average: 'macro' }), micro: new metric.F1({ classType: 'multiclass' }),
    };
    let offset = 0;
    for (const b of batches) {
      const n = b.labels.length;
      const probs = P.slice(offset, offset + n);
      offset += n;
      const scores = nd.array(b.scores, { dtype: 'float64' });
      const labels = nd.array(b.labels, { dtype: 'int32' });
      for (const m of [ms.acc, ms.top2, ms.top3, ms.macro, ms.micro]) m.update(labels, scores);
      ms.mae.update(nd.array(b.y, { dtype: 'float64' }), nd.array(b.yhat.map((v) => [v]), { dtype: 'float64' })); // [N] against [N, 1]
      ms.mse.update(nd.array(b.y, { dtype: 'float64' }), nd.array(b.yhat, { dtype: 'float64' }));
      ms.r.update(nd.array(b.y, { dtype: 'float64' }), nd.array(b.yhat, { dtype: 'float64' }));
      ms.ce.update(labels, nd.array(probs, { dtype: 'float64' }));
      ms.f1.update(nd.array(b.labels.map((v) => v % 2)), nd.array(probs.map((row) => [row[0]!, row[1]! / (row[0]! + row[1]!)]), { dtype: 'float64' }).slice({ begin: [0, 1], end: [n, 2] }).reshape([n]));
    }
    Object.values(ms).forEach((m, i) => close(value(m), want[i]!, 1e-9, m.name));
    assert.equal(ms.top2.name, 'top_k_accuracy_2');
    // Logits: fromLogits applies the softmax first.
    const lg = new metric.CrossEntropy({ fromLogits: true });
    lg.update(nd.array(L), nd.array(S, { dtype: 'float64' }));
    close(value(lg), want[5]!, 1e-9, 'ce from logits');
  });

  it('ties, NaN, empty, ignoreLabel, reset and the kinks', () => {
    const acc = new metric.Accuracy();
    assert.ok(Number.isNaN(value(acc)), 'no update yet: NaN (MXNet)');
    acc.update(nd.array([0, 1, 2]), nd.array([[1, 1, 0], [NaN, 0, 5], [0, 0, 0]])); // ties go to the first max; NaN is the max (numpy argmax)
    assert.equal(value(acc), 1 / 3);
    acc.update(nd.zeros([0]), nd.zeros([0, 3]));
    assert.equal(acc.numInst, 3, 'an empty batch counts nothing');
    acc.reset();
    assert.ok(Number.isNaN(value(acc)));
    // Class labels as floats truncate (astype int32): 1.9 is class 1.
    acc.update(nd.array([1.9, 0]), nd.array([1, 0]));
    assert.equal(value(acc), 1);
    const top = new metric.TopKAccuracy({ topK: 2 });
    top.update(nd.array([2, 1]), nd.array([[0.5, 0.5, 0.5], [0.2, 0.2, 0.1]])); // class 2 ranks third at a three-way tie; class 1 second
    assert.equal(value(top), 0.5);
    const ce = new metric.CrossEntropy({ ignoreLabel: -1 });
    ce.update(nd.array([0, -1, 1]), nd.array([[0.5, 0.5], [0, 1], [0, 1]]));
    close(value(ce), Math.log(2) / 2, 1e-12, 'ignoreLabel');
    const zero = new metric.CrossEntropy();
    zero.update(nd.array([0]), nd.array([[0, 1]]));
    close(value(zero), -Math.log(1e-12), 1e-12, 'p = 0 is floored at eps');
    const nan = new metric.MSE();
    nan.update(nd.array([1, 2]), nd.array([NaN, 2]));
    assert.ok(Number.isNaN(value(nan)), 'NaN propagates');
    const f1 = new metric.F1();
    f1.update(nd.array([0, 0]), nd.array([0.5, 0.2])); // 0.5 is not above the threshold: no positives at all
    assert.equal(value(f1), 0);
    const loss = new metric.Loss();
    loss.update(null as never, [nd.array([1, 2]), nd.array([3])]);
    assert.equal(value(loss), 2);
    assert.equal(metric.create('acc').name, 'accuracy');
    assert.deepEqual(metric.create(['mae', new metric.MSE()]).get()[0], ['mae', 'mse']);
    assert.match(String(metric.create('mae')), /^EvalMetric: \{'mae': NaN\}$/);
  });

  it('refuses mismatched labels and predictions, bad labels and bad options, naming them', () => {
    assert.throws(() => new metric.Accuracy().update([LABELS, LABELS], [PREDS]), /Accuracy\.update: 2 labels but 1 predictions/);
    assert.throws(() => new metric.Accuracy().update(nd.array([0, 1]), PREDS), /Accuracy\.update: label of shape \[2\] does not match prediction of shape \[3, 2\]/);
    assert.throws(() => new metric.MAE().update(nd.array([1, 2]), nd.array([[1, 2], [3, 4]])), /MAE\.update: label of shape \[2\] does not match prediction of shape \[2, 2\]/);
    assert.throws(() => new metric.PearsonCorrelation().update(nd.array([1, 2]), nd.array([[1], [2]])), /PearsonCorrelation\.update: label of shape \[2\] does not match prediction of shape \[2, 1\]/);
    assert.throws(() => new metric.CrossEntropy().update(nd.array([0, 2]), nd.array([[0.5, 0.5], [0.5, 0.5]])), /CrossEntropy\.update: label 2 is not a class index in \[0, 2\)/);
    assert.throws(() => new metric.CrossEntropy().update(nd.array([0]), PREDS), /CrossEntropy\.update: label of shape \[1\] does not match prediction of shape \[3, 2\]/);
    assert.throws(() => new metric.F1().update(nd.array([0, 2]), nd.array([0.1, 0.9])), /F1\.update: binary classification needs labels 0 or 1/);
    assert.throws(() => new metric.F1().update(nd.array([0, 1]), nd.array([[0.1, 0.2, 0.7], [1, 0, 0]])), /F1\.update: predictions of shape \[2, 3\] are wrong for binary classification/);
    assert.throws(() => new metric.TopKAccuracy({ topK: 1 }), /TopKAccuracy: topK must be an integer > 1 \(use Accuracy for 1\), got 1/);
    assert.throws(() => new metric.TopKAccuracy({ topK: 2 }).update(nd.array([0]), nd.zeros([1, 2, 2])), /predictions must have at most 2 dims/);
    assert.throws(() => new metric.Accuracy({ axis: 1.5 }), /Accuracy: axis must be an integer, got 1.5/);
    assert.throws(() => new metric.Accuracy({ axis: 3 }).update(LABELS, PREDS), /Accuracy: axis 3 is out of range for predictions of shape \[3, 2\]/);
    assert.throws(() => new metric.F1({ average: 'weighted' as never }), /F1: average must be 'micro' or 'macro', got "weighted"/);
    assert.throws(() => new metric.Accuracy().update('x' as never, PREDS), /Accuracy\.update: label 0 must be an NDArray or a list of numbers, got string/);
    assert.throws(() => metric.create('auc'), /metric\.create: unknown metric "auc" \(known: acc, accuracy/);
    assert.throws(() => new metric.CompositeEvalMetric([]).getMetric(0), /CompositeEvalMetric: metric index 0 is out of range 0 and 0/);
  });
});

describe("metric: Gluon's keyword arguments (create(metric=...), CompositeEvalMetric(metrics=..., name=...), EvalMetric(name))", () => {
  const labels = nd.array([0, 1, 1]);
  const preds = nd.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]);
  it('the keyword forms measure what the positional ones measure', () => {
    const run = (m: gluon.metric.EvalMetric) => {
      m.update(labels, preds);
      return m.get();
    };
    // Accuracy by hand: argmax [0, 1, 0] against [0, 1, 1] = 2/3.
    assert.deepEqual(run(gluon.metric.create({ metric: 'acc' })), ['accuracy', 2 / 3]);
    assert.deepEqual(run(gluon.metric.create({ metric: 'acc' })), run(gluon.metric.create('acc')));
    const both = run(new gluon.metric.CompositeEvalMetric({ metrics: [new gluon.metric.Accuracy(), new gluon.metric.F1()], name: 'both' }));
    assert.deepEqual(both, run(new gluon.metric.CompositeEvalMetric([new gluon.metric.Accuracy(), new gluon.metric.F1()], { name: 'both' })));
    assert.equal(new gluon.metric.CompositeEvalMetric({ name: 'both' }).name, 'both');
    class Count extends gluon.metric.EvalMetric {
      protected updateOne(_l: { v: Float64Array }, p: { v: Float64Array }) {
        this.sumMetric += p.v.length;
        this.numInst += 1;
      }
    }
    assert.equal(new Count({ name: 'count' }).name, 'count');
    assert.equal(new Count('count').name, 'count');
  });
  it('given twice, missing or unknown: an Error naming the function or class', () => {
    assert.throws(() => gluon.metric.create('acc', { metric: 'f1' } as never), /^Error: metric.create: got multiple values for argument 'metric'/);
    assert.throws(() => gluon.metric.create({} as never), /^Error: metric.create: missing required argument 'metric'/);
    assert.throws(() => new gluon.metric.CompositeEvalMetric([], { metrics: [] } as never), /^Error: CompositeEvalMetric: got multiple values for argument 'metrics'/);
    assert.throws(() => new gluon.metric.CompositeEvalMetric({ names: 'x' } as never), /^Error: CompositeEvalMetric: unknown option 'names' \(valid: metrics, name\)/);
  });
});
