/**
 * callback.Speedometer's autoReset and fit's epoch-end line
 * (compiler/gluon/module/callback.ts, base-module.ts) against MXNet 1.x's
 * python/mxnet/callback.py and module/base_module.py: Speedometer logs
 * `get_name_value()` every `frequent` batches, then calls
 * `reset_local()` when auto_reset (the line says `Batch [count-frequent-count]`,
 * else `Batch [0-count]`); fit resets the metric at each epoch's start and
 * logs `Epoch[%d] Train-%s=%f` from `get_global_name_value()`. The values
 * expected are recomputed here in float64 from each batch's outputs and
 * labels, recorded by a batch-end callback that runs before the Speedometer.
 * The numbers are formatted as Python's `%f` formats them (python3's own
 * output the reference).
 */
import assert from 'node:assert/strict';
import { callback, io, metric, mod, nd, random, sym } from 'gluonc';
import { percentF } from '../../../../compiler/gluon/module/callback.js';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import { runPython } from '../../../helpers/python-server.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);

function mlp() {
  const data = sym.var('data');
  const fc1 = sym.FullyConnected(data, { numHidden: 6, name: 'fc1' });
  return sym.SoftmaxOutput(sym.FullyConnected(sym.Activation(fc1, { actType: 'tanh' }), { numHidden: 3, name: 'fc2' }), { name: 'softmax' });
}

/** One batch's softmax rows and labels. */
type Seen = { probs: number[][]; labels: number[] };

const argmaxRow = (r: number[]) => r.reduce((b, v, i) => (v > r[b]! ? i : b), 0);
/** Accuracy over batches: argmax against the label. */
const accuracy = (bs: Seen[]) => {
  const all = bs.flatMap((b) => b.labels.map((l, i) => [l, argmaxRow(b.probs[i]!)]));
  return all.filter(([l, p]) => l === p).length / all.length;
};
/** Mean -log p[label] over batches (CrossEntropy, eps 1e-12). */
const crossEntropy = (bs: Seen[]) => {
  const all = bs.flatMap((b) => b.labels.map((l, i) => -Math.log(Math.max(1e-12, b.probs[i]![l]!))));
  return all.reduce((s, v) => s + v, 0) / all.length;
};

/** Trains 2 epochs of 6 batches of 5 with a Speedometer(5, 2, autoReset); returns the Speedometer's lines, fit's lines and the batches seen. */
function train(autoReset: boolean): { speed: string[]; fit: string[]; seen: Seen[][] } {
  random.seed(11);
  const x = nd.random.uniform(-1, 1, [30, 4]);
  const y = nd.array(Array.from({ length: 30 }, (_v, i) => (i * 5) % 3));
  const speed: string[] = [];
  const fit: string[] = [];
  const seen: Seen[][] = [];
  const m = new mod.Module(mlp(), { logger: { info: (s) => fit.push(s) } });
  const record = (p: callback.BatchEndParam) => {
    if (p.nbatch === 0) seen.push([]);
    const out = flat(m.getOutputs()[0]!);
    const labels = flat((p.locals.batch as { label: NDArray[] }).label[0]!);
    seen[p.epoch]!.push({ probs: labels.map((_l, i) => out.slice(3 * i, 3 * i + 3)), labels });
  };
  m.fit(new io.NDArrayIter(x, y, { batchSize: 5 }), {
    optimizerParams: { learning_rate: 0.5 }, evalMetric: ['acc', 'ce'], numEpoch: 2,
    batchEndCallback: [record, callback.Speedometer(5, 2, autoReset, (s) => speed.push(s))],
  });
  return { speed, fit, seen };
}

/** `[from, to, accuracy, cross-entropy]` of a Speedometer line. */
function parse(line: string): [number, number, number, number] {
  const r = /^Epoch\[\d\] Batch \[(\d+)-(\d+)\]\tSpeed: (?:\d+\.\d{2}|inf) samples\/sec\taccuracy=(\d\.\d{6})\tcross-entropy=(\d+\.\d{6})$/.exec(line);
  assert.ok(r, `a Speedometer line: ${JSON.stringify(line)}`);
  return [Number(r[1]), Number(r[2]), Number(r[3]), Number(r[4])];
}

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 5.01e-7, `${what}: logged ${a}, recomputed ${b}`);

describe('callback.Speedometer autoReset and fit\'s epoch-end values (MXNet 1.x local/global metric)', () => {
  it('autoReset: each line covers the batches since the last one (resetLocal); fit logs the whole epoch (the global value)', () => {
    const { speed, fit, seen } = train(true);
    // nbatch 0 starts the clock; 2 and 4 report, each epoch (MXNet's init / last_count logic).
    assert.equal(speed.length, 4);
    for (let e = 0; e < 2; e++) {
      const [first, second] = [parse(speed[2 * e]!), parse(speed[2 * e + 1]!)];
      assert.deepEqual(first.slice(0, 2), [0, 2]);
      assert.deepEqual(second.slice(0, 2), [2, 4]);
      // The first report holds batches 0-2 (since the epoch's reset), the second 3-4 (since resetLocal at 2).
      const b = seen[e]!;
      near(first[2], accuracy(b.slice(0, 3)), `epoch ${e} first accuracy`);
      near(first[3], crossEntropy(b.slice(0, 3)), `epoch ${e} first cross-entropy`);
      near(second[2], accuracy(b.slice(3, 5)), `epoch ${e} second accuracy`);
      near(second[3], crossEntropy(b.slice(3, 5)), `epoch ${e} second cross-entropy`);
      const acc = Number(/^Epoch\[\d\] Train-accuracy=(\d\.\d{6})$/.exec(fit[3 * e]!)![1]);
      const ce = Number(/^Epoch\[\d\] Train-cross-entropy=(\d+\.\d{6})$/.exec(fit[3 * e + 1]!)![1]);
      assert.match(fit[3 * e + 2]!, new RegExp(`^Epoch\\[${e}\\] Time cost=`));
      near(acc, accuracy(b), `epoch ${e} Train-accuracy over all 6 batches`);
      near(ce, crossEntropy(b), `epoch ${e} Train-cross-entropy over all 6 batches`);
      // The local value (batch 5 alone, since the reset at 4) differs: the line above read the global one.
      assert.ok(Math.abs(crossEntropy(b.slice(5)) - crossEntropy(b)) > 1e-5);
    }
  });

  it('without autoReset each line covers the epoch so far (Batch [0-n]), and fit logs the same epoch value', () => {
    const { speed, fit, seen } = train(false);
    assert.equal(speed.length, 4);
    for (let e = 0; e < 2; e++) {
      const b = seen[e]!;
      const [first, second] = [parse(speed[2 * e]!), parse(speed[2 * e + 1]!)];
      assert.deepEqual([first.slice(0, 2), second.slice(0, 2)], [[0, 2], [0, 4]]);
      near(first[3], crossEntropy(b.slice(0, 3)), `epoch ${e} first cross-entropy`);
      near(second[2], accuracy(b.slice(0, 5)), `epoch ${e} second accuracy`);
      near(second[3], crossEntropy(b.slice(0, 5)), `epoch ${e} second cross-entropy`);
      near(Number(fit[3 * e + 1]!.split('=')[1]), crossEntropy(b), `epoch ${e} Train-cross-entropy`);
    }
  });

  it("formats numbers as Python's '%f' and '%.2f': nan, inf, an exact half to even (python3 the reference)", () => {
    // Exact halves (0.0078125 = 2^-7, 0.125, 2.5), signs, zeros, 1e21 and beyond, and pseudo-random values.
    const fixed = [0.0078125, 0.0234375, 1 / 3, 0.125, 0.375, 2.5, 3.5, -2.5, -0.0078125, 0, -0, 1e21, 1.5e22, 0.5, 1.5, 0.9999995, 0.99999949, -1e-9, 5e-7, 1234567.8901234, NaN, Infinity, -Infinity];
    let seed = 7;
    const rnd = Array.from({ length: 40 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 10 ** ((seed % 9) - 3));
    const vals = [...fixed, ...rnd];
    const py = runPython("import json, sys\nv = [float(x) for x in json.load(sys.stdin)]\nprint(json.dumps([('%.' + str(d) + 'f') % x for x in v for d in (0, 2, 6)]))", { input: JSON.stringify(vals.map((v) => (Object.is(v, -0) ? '-0' : String(v)))) });
    assert.equal(py.status, 0, py.stderr);
    const want = JSON.parse(py.stdout) as string[];
    vals.forEach((v, i) => [0, 2, 6].forEach((d, j) => assert.equal(percentF(v, d), want[3 * i + j], `'%.${d}f' % ${v}`)));
  });

  it('a window with no instance logs nan, as MXNet does; a metric-less batch logs Iter[e]', () => {
    const lines: string[] = [];
    const sp = callback.Speedometer(4, 1, true, (s) => lines.push(s));
    const perp = new metric.Perplexity(0); // every label 0 is ignored: no instance
    perp.update(nd.array([0, 0]), nd.array([[0.5, 0.5], [0.2, 0.8]]));
    for (const nbatch of [0, 1]) sp({ epoch: 3, nbatch, evalMetric: perp, locals: {} });
    assert.match(lines[0]!, /^Epoch\[3\] Batch \[0-1\]\tSpeed: (\d+\.\d{2}|inf) samples\/sec\tperplexity=nan$/);
    const none: string[] = [];
    const bare = callback.Speedometer(4, 1, false, (s) => none.push(s));
    for (const nbatch of [0, 1]) bare({ epoch: 2, nbatch, evalMetric: null, locals: {} });
    assert.match(none[0]!, /^Iter\[2\] Batch \[1\]\tSpeed: (\d+\.\d{2}|inf) samples\/sec$/);
  });
});
