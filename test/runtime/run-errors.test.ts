/**
 * A symbolic size meeting a fixed one (compiler type rules keep ONNX's
 * semantics: a symbolic T broadcast against 5 means T is 5, or 1) is checked
 * only when the artifact runs. The export is not refused (it is valid); a
 * run with a size that does not fit fails with a FeedError (the caller's
 * sizes: `serve` answers 400) naming the model, the input, its fed shape
 * with the symbolic sizes it bound and its declared shape, the node, gluonc's
 * operator and block, and onnxruntime's reason without its source location.
 * With every input size fixed the model itself fails: a plain Error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, nd } from 'gluonc';
import { FeedError, loadModel, type Model } from 'gluonc/runtime';
import { Probe, type Fwd } from '../helpers/layers.js';

describe('Model.run: a symbolic size that does not fit a fixed one fails naming the node, the operator and the shapes', () => {
  let dir: string;
  const models: Model[] = [];
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-runerr-'))));
  after(async () => {
    await Promise.all(models.map((m) => m.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const exported = async (name: string, fwd: Fwd, shape: (number | string)[]) => {
    const file = path.join(dir, `${name}.onnx`);
    new Probe(fwd).export(file, { inputs: { x: { shape } } });
    const m = await loadModel(file);
    models.push(m);
    return m;
  };
  const feed = (shape: number[]) => ({ x: { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape } });

  it("broadcast of T against a fixed 5: T = 5 and T = 1 run (ONNX semantics), T = 7 names add (broadcastAdd is its alias), block 'Probe', x's shape and T", async () => {
    const m = await exported('add-t', (F, x) => F.broadcastAdd(x, nd.ones([1, 5, 8])), ['N', 'T', 8]);
    assert.deepEqual(m.outputs[0]!.shape, ['N', 5, 8]);
    assert.deepEqual((await m.run(feed([2, 5, 8]))).output!.shape, [2, 5, 8]);
    assert.deepEqual((await m.run(feed([2, 1, 8]))).output!.shape, [2, 5, 8]);
    const why = /^Error: '.*add-t\.onnx': input 'x' float32\[2, 7, 8\] \(N = 2, T = 7\) does not fit the model \(declared float32\[N, T, 8\]\): node 'add_\d+' \(ONNX Add; gluonc's add in block 'Probe'\): Attempting to broadcast an axis by a dimension other than 1\. 5 by 7$/;
    await assert.rejects(m.run(feed([2, 7, 8])), (e: unknown) => {
      assert.match(String(e), why);
      assert.ok(e instanceof FeedError);
      assert.deepEqual(e.inputs, [{ name: 'x', dtype: 'float32', expected: ['N', 'T', 8], received: [2, 7, 8] }]);
      return true;
    });
    await assert.rejects(m.run(feed([2, 7, 8]), { offload: 'worker' }), why);
    assert.throws(() => m.runSync(feed([2, 7, 8])), why);
  });

  it('reshape to a fixed size, dot against a fixed weight: onnxruntime reason kept, location dropped', async () => {
    const r = await exported('reshape', (F, x) => F.reshape(x, [2, 12]), ['N', 6]);
    assert.deepEqual((await r.run(feed([4, 6]))).output!.shape, [2, 12]);
    await assert.rejects(r.run(feed([3, 6])), /^Error: '.*reshape\.onnx': input 'x' float32\[3, 6\] \(N = 3\) does not fit the model \(declared float32\[N, 6\]\): node 'reshape_\d+' \(ONNX Reshape; gluonc's reshape in block 'Probe'\): The input tensor cannot be reshaped to the requested shape\. Input shape:\{3,6\}, requested shape:\{2,12\}$/);
    const d = await exported('dot', (F, x) => F.dot(x, nd.ones([5, 2])), ['N', 'K']);
    await assert.rejects(d.run(feed([2, 4])), /^Error: '.*dot\.onnx': input 'x' float32\[2, 4\] \(N = 2, K = 4\) does not fit the model \(declared float32\[N, K\]\): node '\w+' \(ONNX Gemm; gluonc's dot in block 'Probe'\): GEMM: Dimension mismatch, W: \{5,2\} K: 4 N:2$/);
  });

  it("topk's k past a symbolic T (k = 5, T = 3): the sizes fed, a FeedError", async () => {
    const m = await exported('topk', (F, x) => F.topk(x, { k: 5, axis: 1, retTyp: 'value' }) as gluon.Tensor, ['N', 'T']);
    assert.deepEqual((await m.run(feed([2, 6]))).output!.shape, [2, 5]);
    await assert.rejects(m.run(feed([2, 3])), (e: unknown) => {
      assert.ok(e instanceof FeedError, String(e));
      assert.match(e.message, /input 'x' float32\[2, 3\] \(N = 2, T = 3\) does not fit the model \(declared float32\[N, T\]\): node '\w+' \(ONNX TopK; gluonc's topk in block 'Probe'\): k argument \[5\] should not be greater than specified axis dim value \[3\]$/);
      return true;
    });
  });

  it('two inputs whose symbolic sizes the model ties together (x + y: A must equal B): both named with their declared and received shapes', async () => {
    class Pair extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor, y: gluon.Tensor) {
        return F.broadcastAdd(x, y);
      }
    }
    const file = path.join(dir, 'pair.onnx');
    new Pair().export(file, { inputs: { x: { shape: ['N', 'A'] }, y: { shape: ['N', 'B'] } } });
    const m = await loadModel(file);
    models.push(m);
    const t = (shape: number[]) => ({ data: new Float32Array(shape[0]! * shape[1]!), shape });
    assert.deepEqual((await m.run({ x: t([2, 3]), y: t([2, 3]) })).output!.shape, [2, 3]);
    await assert.rejects(m.run({ x: t([2, 3]), y: t([2, 4]) }), (e: unknown) => {
      assert.match(String(e), /^Error: '.*pair\.onnx': inputs x: float32\[2, 3\], y: float32\[2, 4\] \(N = 2, A = 3, B = 4\) do not fit the model \(declared x: float32\[N, A\], y: float32\[N, B\]\): node 'add_\d+' \(ONNX Add; gluonc's add in block 'Pair'\): Attempting to broadcast an axis by a dimension other than 1\. 3 by 4$/);
      assert.ok(e instanceof FeedError);
      assert.deepEqual(e.inputs.map((p) => [p.name, p.expected, p.received]), [['x', ['N', 'A'], [2, 3]], ['y', ['N', 'B'], [2, 4]]]);
      return true;
    });
  });
});
