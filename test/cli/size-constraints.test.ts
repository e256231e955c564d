/**
 * The repro end to end through the CLI: `gluonc compile` of a model
 * file with `--input 'x:float32[1,3,H,W]'` writes the pooling's need
 * (H >= 5, W >= 5) into the manifest; `loadModel`, `gluonc run` and
 * `gluonc bench` (every symbolic size = --batch) refuse H = 3 before running (onnxruntime alone answers a 1 x 1 output), naming
 * the input, its declared and received shapes and the operator; H = 9 runs.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FeedError, loadModel, readNpy } from 'gluonc/runtime';
import { gluonc, userProject } from '../helpers/cli.js';

describe('cli: an artifact compiled with symbolic sizes refuses the sizes its operators cannot take', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = userProject('gluonc-cli-sizes-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("compile pool.mts --input 'x:float32[1,3,H,W]'; loadModel and gluonc run refuse H = 3, run H = 9; bench refuses --batch 1", async () => {
    writeFileSync(join(dir, 'pool.mts'), [
      "import { gluon } from 'gluonc';",
      'const { nn } = gluon;',
      'export default function build() { const n = new nn.HybridSequential(); n.add(new nn.Conv2D(3, 1), new nn.MaxPool2D({ poolSize: 5 })); return n; }',
    ].join('\n'));
    const c = gluonc(['compile', 'pool.mts', '--input', 'x:float32[1,3,H,W]', '-o', 'pool.onnx'], { cwd: dir });
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /outputs output float32 \[1, 3, \(floor\(\(H-5\)\/5\)\+1\), \(floor\(\(W-5\)\/5\)\+1\)\]/);
    const m = await loadModel(join(dir, 'pool.onnx'));
    try {
      const ones = (h: number) => ({ x: { data: new Float32Array(3 * h * h).fill(1), shape: [1, 3, h, h] } });
      await assert.rejects(m.run(ones(3)), (e: unknown) => {
        assert.ok(e instanceof FeedError, String(e));
        assert.match(e.message, /'.*pool\.onnx': input 'x' float32\[1, 3, 3, 3\] \(H = 3, W = 3\) does not fit the model \(declared float32\[1, 3, H, W\]\): Pooling \(max\) in block 'HybridSequential\/1' needs H >= 5: kernel \[5, 5\] must fit the input along spatial axis 0$/);
        assert.deepEqual(e.inputs, [{ name: 'x', dtype: 'float32', expected: [1, 3, 'H', 'W'], received: [1, 3, 3, 3] }]);
        return true;
      });
      assert.deepEqual((await m.run(ones(9))).output!.shape, [1, 3, 1, 1]);
    } finally {
      await m.close();
    }
    const json = (h: number) => JSON.stringify({ shape: [1, 3, h, h], data: new Array(3 * h * h).fill(1) });
    writeFileSync(join(dir, 'x3.json'), json(3));
    writeFileSync(join(dir, 'x9.json'), json(9));
    const bad = gluonc(['run', 'pool.onnx', '--input', 'x=x3.json', '-o', 'out3'], { cwd: dir });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /'pool\.onnx': input 'x' float32\[1, 3, 3, 3\] \(H = 3, W = 3\) does not fit the model \(declared float32\[1, 3, H, W\]\): Pooling \(max\) in block 'HybridSequential\/1' needs H >= 5/);
    const ok = gluonc(['run', 'pool.onnx', '--input', 'x=x9.json', '-o', 'out9'], { cwd: dir });
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(readNpy(join(dir, 'out9', 'output.npy')).shape, [1, 3, 1, 1]);
    // bench sets every symbolic dimension to --batch: 1 is refused, 5 is timed.
    const slow = gluonc(['bench', 'pool.onnx', '--batch', '1', '--iterations', '1', '--warmup', '0'], { cwd: dir });
    assert.notEqual(slow.status, 0);
    assert.match(slow.stderr, /'pool\.onnx' at --batch 1 \(every symbolic dimension\): input 'x' float32\[1, 3, 1, 1\] \(H = 1, W = 1\) does not fit the model \(declared float32\[1, 3, H, W\]\): Pooling \(max\) in block 'HybridSequential\/1' needs H >= 5/);
    const timed = gluonc(['bench', 'pool.onnx', '--batch', '5', '--iterations', '2', '--warmup', '0'], { cwd: dir });
    assert.equal(timed.status, 0, timed.stderr);
    assert.match(timed.stdout, /batch 5 \(x \[1, 3, 5, 5\]\)/);
  });
});
