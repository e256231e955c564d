import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { metric, nd } from 'gluonc';
import { trainEstimatorMnist } from '../../../models/examples/estimator-mnist.js';
import { loadMnist } from '../../../models/data/mnist.js';

describe('models/examples/estimator-mnist (MXNet estimator_example/mnist_cnn.py)', () => {
  it('trains by batches and evaluates: the validation accuracy is the held-out accuracy of the trained net', () => {
    const lines: string[] = [];
    const est = trainEstimatorMnist({ batches: 3, batchSize: 8, heldOut: 24, lr: 0.05, log: (m) => void lines.push(m) });
    assert.deepEqual(est.trainMetrics.map((m) => m.name), ['training accuracy']);
    const { test } = loadMnist({ seed: 1, shape: [1, 28, 28] });
    const x = test.x.sliceAxis(0, 0, 24);
    const y = Array.from(test.y.sliceAxis(0, 0, 24).data() as Float32Array);
    const out = est.net.call(x) as nd.NDArray;
    const scores = out.toArray() as number[][];
    // Accuracy by hand: argmax of each row (first maximum) against the label.
    const right = scores.filter((row, i) => row.indexOf(Math.max(...row)) === y[i]).length;
    assert.equal(est.valMetrics[0]!.get()[1], right / 24);
    const acc = new metric.Accuracy();
    acc.update(test.y.sliceAxis(0, 0, 24), out);
    assert.equal(acc.get()[1], right / 24);
    // Times vary with the machine's load (whole seconds too: 'total 1s' on a busy machine): T and S stand for them.
    assert.deepEqual(lines.map((l) => l.replace(/\d+\.\d{3}s/, 'T').replace(/total \d+s with/, 'total Ss with').replace(/accuracy: \d\.\d{4}$/, 'accuracy: A')), [
      'Training begin: using optimizer SGD with current learning rate 0.0500 ',
      'Train for 3 batches.',
      '[Epoch 0] Begin, current learning rate: 0.0500',
      '[Epoch 0] Finished in T, training accuracy: A',
      'Train finished using total Ss with 1 epochs. training accuracy: A',
      'Validation Begin',
      '[Epoch 0] Finished in T, validation accuracy: A',
    ]);
  });

  it('runs from the command line; a bad flag is one line and exit code 1', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', 'models/examples/estimator-mnist.ts', ...args], { encoding: 'utf8' });
    const ok = run('--batches', '2', '--batch-size', '8', '--held-out', '16');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^Training begin: using optimizer SGD with current learning rate 0\.0010 \nTrain for 2 batches\.\n/);
    assert.match(ok.stderr, /no trainer specified, default SGD optimizer with learning rate 0\.001 is used/);
    const bad = run('--batches', 'x');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), "estimator-mnist: --batches must be a positive number, got 'x'");
  });
});
