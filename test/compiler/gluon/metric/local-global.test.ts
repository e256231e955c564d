/**
 * MXNet 1.x's local/global accumulators on the shared metric classes
 * (compiler/gluon/metric/): python/mxnet/metric.py (1.6+) keeps
 * `sum_metric`/`num_inst` (cleared by `reset_local()`, read by `get()`)
 * and `global_sum_metric`/`global_num_inst` (cleared only by `reset()`,
 * read by `get_global()`); `get_name_value()` / `get_global_name_value()`
 * zip them; CompositeEvalMetric delegates `reset_local` and `get_global` to
 * its children; Perplexity's get_global is `exp(global_sum / global_num)`
 * and F1 keeps `global_metrics` counts beside its local ones. The
 * formulas are gluonc's (MXNet 2's), so RMSE's global value is the root
 * of the global mean. Every expected number below is computed here in
 * float64 from those formulas over the batches since the reset in
 * question: batches A, B, then `resetLocal()`, then C. The data go in
 * as float32 NDArrays, so the references read them rounded to float32.
 */
import assert from 'node:assert/strict';
import { nd, gluon, metric as mxMetric } from 'gluonc';

const { metric } = gluon;

type Batch = { label: number[][] | number[]; pred: number[][] };
const close = (a: number, b: number, what: string, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const val = (r: [string, number] | [string[], number[]]) => r[1] as number;
/** Rows as a float32 NDArray holds them. */
const f32 = (rows: number[][]) => rows.map((r) => r.map(Math.fround));

// Classification batches over 2 classes: a tie ([0.5, 0.5], argmax takes class 0) and a threshold edge (0.5 is not > 0.5) in C.
const A: Batch = { label: [0, 1, 1], pred: f32([[0.3, 0.7], [0, 1], [0.4, 0.6]]) };
const B: Batch = { label: [1, 0], pred: f32([[0.9, 0.1], [0.2, 0.8]]) };
const C: Batch = { label: [0, 0, 1, 1], pred: f32([[0.6, 0.4], [0.5, 0.5], [0.1, 0.9], [0.8, 0.2]]) };

const argmaxRow = (r: number[]) => r.reduce((b, v, i) => (v > r[b]! ? i : b), 0);
const labelsOf = (bs: Batch[]) => bs.flatMap((b) => b.label as number[]);
const predsOf = (bs: Batch[]) => bs.flatMap((b) => b.pred);

/** Accuracy: correct argmax over all samples. */
function accuracy(bs: Batch[]): number {
  const l = labelsOf(bs);
  const p = predsOf(bs);
  return l.filter((c, i) => argmaxRow(p[i]!) === c).length / l.length;
}

/** Binary F1 (micro): positives where p[1] > 0.5; 2PR / (P + R) from the counts of all samples. */
function f1Binary(bs: Batch[]): number {
  const l = labelsOf(bs);
  const p = predsOf(bs).map((r) => (r[1]! > 0.5 ? 1 : 0));
  let tp = 0, fp = 0, fn = 0;
  l.forEach((c, i) => {
    if (p[i] === 1 && c === 1) tp++;
    else if (p[i] === 1 && c === 0) fp++;
    else if (p[i] === 0 && c === 1) fn++;
  });
  const prec = tp / (tp + fp);
  const rec = tp / (tp + fn);
  return (2 * prec * rec) / (prec + rec);
}

/** Mean of -log p[label] over all samples. */
function crossEntropy(bs: Batch[]): number {
  const l = labelsOf(bs);
  const p = predsOf(bs);
  return l.reduce((s, c, i) => s - Math.log(Math.max(1e-12, p[i]![c]!)), 0) / l.length;
}

describe('metric: MXNet 1.x local and global accumulators (resetLocal, getGlobal, getGlobalNameValue)', () => {
  it('Accuracy, F1, CrossEntropy, Perplexity: local since resetLocal, global since reset', () => {
    const cases: [gluon.metric.EvalMetric, (bs: Batch[]) => number][] = [
      [new metric.Accuracy(), accuracy],
      [new metric.F1(), f1Binary],
      [new metric.CrossEntropy(), crossEntropy],
      [new metric.Perplexity(), (bs) => Math.exp(crossEntropy(bs))],
    ];
    for (const [m, ref] of cases) {
      const what = m.constructor.name;
      for (const b of [A, B]) m.update(nd.array(b.label), nd.array(b.pred));
      close(val(m.get()), ref([A, B]), `${what} local before resetLocal`);
      close(val(m.getGlobal()), ref([A, B]), `${what} global before resetLocal`);
      m.resetLocal();
      assert.ok(Number.isNaN(val(m.get())), `${what}: local is NaN right after resetLocal`);
      close(val(m.getGlobal()), ref([A, B]), `${what} global right after resetLocal`);
      m.update(nd.array(C.label), nd.array(C.pred));
      close(val(m.get()), ref([C]), `${what} local after resetLocal`);
      close(val(m.getGlobal()), ref([A, B, C]), `${what} global after resetLocal`);
      assert.deepEqual(m.getNameValue(), [[m.name, m.get()[1]]]);
      assert.deepEqual(m.getGlobalNameValue(), [[m.name, m.getGlobal()[1]]]);
      m.reset();
      assert.ok(Number.isNaN(val(m.get())) && Number.isNaN(val(m.getGlobal())), `${what}: reset clears both`);
      assert.equal(m.globalNumInst, 0);
    }
    // The values differ, so the checks above tell local from global.
    assert.notEqual(accuracy([C]), accuracy([A, B, C]));
    assert.notEqual(f1Binary([C]), f1Binary([A, B, C]));
  });

  it('the fields: numInst/sumMetric local, globalNumInst/globalSumMetric global (Accuracy counts)', () => {
    const acc = new mxMetric.Accuracy();
    for (const b of [A, B]) acc.update(nd.array(b.label), nd.array(b.pred));
    acc.resetLocal();
    acc.update(nd.array(C.label), nd.array(C.pred));
    // A: 2 of 3, B: 0 of 2, C: 3 of 4 (the tie [0.5, 0.5] is class 0, right).
    assert.deepEqual([acc.sumMetric, acc.numInst, acc.globalSumMetric, acc.globalNumInst], [3, 4, 5, 9]);
    assert.deepEqual(acc.getGlobal(), ['accuracy', 5 / 9]);
  });

  it('TopKAccuracy (k = 2 of 3 classes)', () => {
    const t = new metric.TopKAccuracy({ topK: 2 });
    // Label ranks (1-based; the lower index first at ties): A 1, 3; B 2, 3 (tie at 0.3 with class 0 ahead); C 2.
    t.update(nd.array([1, 2]), nd.array([[0.1, 0.8, 0.1], [0.5, 0.4, 0.1]]));
    t.update(nd.array([0, 2]), nd.array([[0.2, 0.7, 0.1], [0.3, 0.4, 0.3]]));
    t.resetLocal();
    t.update(nd.array([2]), nd.array([[0.6, 0.1, 0.3]]));
    assert.deepEqual(t.get(), ['top_k_accuracy_2', 1]);
    assert.deepEqual(t.getGlobal(), ['top_k_accuracy_2', 3 / 5]);
  });

  it('MAE, MSE, RMSE: per-sample means; RMSE global is the root of the global mean, not a mean of roots', () => {
    const batches = [
      { l: [[1, 2], [3, 4]], p: [[1.5, 2], [2, 6]] },
      { l: [[0, 0]], p: [[-1, 3]] },
      { l: [[2, 2], [5, -1], [0, 0.5]], p: [[2, 2], [4, 1], [0.25, 0]] }, // all exact in float32
    ];
    const perSample = (f: (d: number) => number, bs: typeof batches) => {
      const rows = bs.flatMap((b) => b.l.map((r, i) => r.reduce((s, v, j) => s + f(v - b.p[i]![j]!), 0) / r.length));
      return rows.reduce((s, v) => s + v, 0) / rows.length;
    };
    const mae = new metric.MAE();
    const mse = new metric.MSE();
    const rmse = new metric.RMSE();
    for (const m of [mae, mse, rmse]) {
      m.update(nd.array(batches[0]!.l), nd.array(batches[0]!.p));
      m.update(nd.array(batches[1]!.l), nd.array(batches[1]!.p));
      m.resetLocal();
      m.update(nd.array(batches[2]!.l), nd.array(batches[2]!.p));
    }
    const sq = (d: number) => d * d;
    close(val(mae.get()), perSample(Math.abs, batches.slice(2)), 'MAE local');
    close(val(mae.getGlobal()), perSample(Math.abs, batches), 'MAE global');
    close(val(mse.get()), perSample(sq, batches.slice(2)), 'MSE local');
    close(val(mse.getGlobal()), perSample(sq, batches), 'MSE global');
    close(val(rmse.get()), Math.sqrt(perSample(sq, batches.slice(2))), 'RMSE local');
    const global = Math.sqrt(perSample(sq, batches));
    close(val(rmse.getGlobal()), global, 'RMSE global');
    const meanOfRoots = batches.reduce((s, b) => s + Math.sqrt(perSample(sq, [b])), 0) / batches.length;
    assert.ok(Math.abs(global - meanOfRoots) > 0.1, 'the data tell the two RMSE forms apart');
  });

  it('F1 macro (multiclass) keeps global counts of its own; PearsonCorrelation its own global moments', () => {
    const batches = [
      { l: [0, 1, 2, 2], p: f32([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]) },
      { l: [1, 0], p: f32([[0.1, 0.1, 0.8], [0.3, 0.3, 0.4]]) },
      { l: [2, 1, 0], p: f32([[0.2, 0.2, 0.6], [0.3, 0.6, 0.1], [0.1, 0.8, 0.1]]) },
    ];
    /** Mean over classes of each class's F1 from one-vs-rest counts (0 where undefined, as 2PR / max(P + R, 1e-12)). */
    const macro = (bs: typeof batches) => {
      let total = 0;
      for (let c = 0; c < 3; c++) {
        let tp = 0, fp = 0, fn = 0;
        for (const b of bs) b.l.forEach((y, i) => {
          const q = argmaxRow(b.p[i]!);
          if (q === c && y === c) tp++;
          else if (q === c) fp++;
          else if (y === c) fn++;
        });
        const prec = tp / Math.max(tp + fp, 1e-12);
        const rec = tp / Math.max(tp + fn, 1e-12);
        total += (2 * prec * rec) / Math.max(prec + rec, 1e-12);
      }
      return total / 3;
    };
    const f1 = new metric.F1({ classType: 'multiclass', average: 'macro' });
    const pr = new metric.PearsonCorrelation();
    const flat = (bs: typeof batches, k: 'l' | 'p') => bs.flatMap((b) => (k === 'l' ? b.l.flatMap((y) => [0, 1, 2].map((c) => (c === y ? 1 : 0))) : b.p.flat()));
    /** Pearson's r of two samples, two-pass in float64. */
    const pearson = (x: number[], y: number[]) => {
      const mx = x.reduce((s, v) => s + v, 0) / x.length;
      const my = y.reduce((s, v) => s + v, 0) / y.length;
      let sxy = 0, sxx = 0, syy = 0;
      x.forEach((v, i) => { sxy += (v - mx) * (y[i]! - my); sxx += (v - mx) ** 2; syy += (y[i]! - my) ** 2; });
      return sxy / Math.sqrt(sxx * syy);
    };
    batches.forEach((b, i) => {
      if (i === 2) [f1, pr].forEach((m) => m.resetLocal());
      f1.update(nd.array(b.l), nd.array(b.p));
      pr.update(nd.array(flat([b], 'l')), nd.array(b.p.flat()));
    });
    close(val(f1.get()), macro(batches.slice(2)), 'F1 macro local');
    close(val(f1.getGlobal()), macro(batches), 'F1 macro global');
    assert.notEqual(macro(batches.slice(2)), macro(batches));
    close(val(pr.get()), pearson(flat(batches.slice(2), 'l'), flat(batches.slice(2), 'p')), 'pearsonr local', 1e-12);
    close(val(pr.getGlobal()), pearson(flat(batches, 'l'), flat(batches, 'p')), 'pearsonr global', 1e-12);
    // A class count changed against the global counts is still refused after resetLocal.
    assert.throws(() => f1.update(nd.array([0]), nd.array([[0.5, 0.5]])), /F1.update: the number of classes changed from 3 to 2/);
  });

  it('CompositeEvalMetric delegates resetLocal and getGlobal to its children; Loss and a user metric get a global sum too', () => {
    const comp = mxMetric.create(['acc', 'ce']);
    comp.update(nd.array(A.label), nd.array(A.pred));
    comp.update(nd.array(B.label), nd.array(B.pred));
    comp.resetLocal();
    comp.update(nd.array(C.label), nd.array(C.pred));
    const [names, local] = comp.get() as [string[], number[]];
    const [gnames, global] = comp.getGlobal() as [string[], number[]];
    assert.deepEqual(names, ['accuracy', 'cross-entropy']);
    assert.deepEqual(gnames, names);
    close(local[0]!, accuracy([C]), 'composite accuracy local');
    close(local[1]!, crossEntropy([C]), 'composite ce local');
    close(global[0]!, accuracy([A, B, C]), 'composite accuracy global');
    close(global[1]!, crossEntropy([A, B, C]), 'composite ce global');
    assert.deepEqual(comp.getGlobalNameValue(), [['accuracy', global[0]], ['cross-entropy', global[1]]]);
    comp.reset();
    assert.ok(comp.getGlobalNameValue().every(([, v]) => Number.isNaN(v)));

    const loss = new metric.Loss();
    loss.update(null, nd.array([1, 2, 3]));
    loss.resetLocal();
    loss.update(null, [nd.array([10]), nd.array([20, 30])]);
    assert.deepEqual(loss.get(), ['loss', 20]);
    assert.deepEqual(loss.getGlobal(), ['loss', 66 / 6]);

    // The EvalMetric docstring's subclass: only sumMetric/numInst in updateOne, the global pair follows.
    class Count extends metric.EvalMetric {
      constructor() { super('count'); }
      protected updateOne(_l: { v: Float64Array }, p: { v: Float64Array }) { this.sumMetric += p.v.length; this.numInst += 1; }
    }
    const c = new Count();
    c.update(nd.array([0]), nd.array([1, 2, 3, 4]));
    c.resetLocal();
    c.update(nd.array([0]), nd.array([1, 2]));
    assert.deepEqual([c.get(), c.getGlobal()], [['count', 2], ['count', 3]]);
  });

  it('an update that fails leaves local and global as they were', () => {
    const ce = new metric.CrossEntropy();
    ce.update(nd.array(A.label), nd.array(A.pred));
    assert.throws(() => ce.update(nd.array([0, 5]), nd.array([[0.5, 0.5], [0.5, 0.5]])), /CrossEntropy.update: label 5 is not a class index in \[0, 2\)/);
    close(val(ce.get()), crossEntropy([A]), 'local after a refused update');
    close(val(ce.getGlobal()), crossEntropy([A]), 'global after a refused update');
  });
});
