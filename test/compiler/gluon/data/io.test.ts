/**
 * `io.NDArrayIter` against MXNet 1.x's NDArrayIter (python/mxnet/io/io.py:
 * reset, iter_next, next, _batchify and getpad), rewritten in python below
 * over sample numbers: the batches and pads of three epochs with reset()
 * between them, for every lastBatchHandle and sizes that divide, do not
 * divide, and are smaller than a batch; names as _init_data gives them;
 * shuffling keeps data and labels together; errors.
 */
import assert from 'node:assert/strict';
import { io, nd, random } from 'gluonc';
import { runPython } from '../../../helpers/python-server.js';

const MXNET_ITER = String.raw`
import json, sys
def epochs(n, b, handle, stop, count):
    # MXNet 1.x NDArrayIter's cursor logic, over sample numbers (no shuffle); the first epoch is cut after stop batches.
    cursor = -b; cache = None; out = []
    for e in range(count):
        # reset()
        if handle == 'roll_over' and n - b < cursor < n: cursor = cursor - n - b
        else: cursor = -b
        batches = []
        while True:
            cursor += b
            if not cursor < n: break
            if handle == 'roll_over' and -b < cursor < 0:
                # _getdata(end=cursor + b): a numpy slice, clamped to n.
                data = cache + list(range(0, min(cursor + b, n))); cache = None; pad = -cursor
            elif handle == 'pad' and cursor + b > n:
                pad = b - n + cursor; data = list(range(cursor, n)) + list(range(0, n))[:pad]
            else:
                data = list(range(cursor, min(cursor + b, n))); pad = 0
            if len(data) != b:
                cache = data; break
            batches.append([data, pad])
            if e == 0 and len(batches) == stop: break
        out.append(batches)
    return out
cases = json.load(sys.stdin)
json.dump([epochs(*c, 3) for c in cases], sys.stdout)
`;

// [samples, batch size, lastBatchHandle, batches after which the first epoch is reset early (0: never)].
const CASES: [number, number, string, number][] = [];
for (const handle of ['pad', 'discard', 'roll_over']) {
  for (const [n, b] of [[8, 4], [10, 4], [7, 3], [3, 5], [5, 1]] as const) CASES.push([n, b, handle, 0]);
  // A reset with the cursor exactly at n - batch (the last full batch served) and one before it.
  CASES.push([8, 4, handle, 2], [10, 4, handle, 1]);
}

describe('io.NDArrayIter', () => {
  it("batches and pads of three epochs equal MXNet's NDArrayIter logic for every lastBatchHandle (sizes dividing, not dividing, below a batch)", () => {
    const r = runPython(MXNET_ITER, { input: JSON.stringify(CASES) });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as [number[], number][][][];
    CASES.forEach(([n, b, handle, stop], k) => {
      const x = nd.arange(0, n).reshape([n, 1]);
      const y = nd.arange(0, n).mul(10);
      const it = new io.NDArrayIter(x, y, { batchSize: b, lastBatchHandle: handle as 'pad' });
      const got: [number[], number][][] = [];
      for (let e = 0; e < 3; e++) {
        if (e > 0) it.reset();
        const batches: [number[], number][] = [];
        for (const batch of it) {
          const ids = Array.from(batch.data[0]!.data() as Float32Array);
          assert.deepEqual(Array.from(batch.label[0]!.data() as Float32Array), ids.map((v) => v * 10), 'labels follow their samples');
          batches.push([ids, batch.pad]);
          if (e === 0 && batches.length === stop) break;
        }
        got.push(batches);
      }
      assert.deepEqual(got, want[k], `n=${n} batch ${b} ${handle} reset after ${stop}`);
    });
  });

  it("names and descriptions as MXNet's _init_data: one array 'data'/'softmax_label', a list _0_data..., a dict sorted by key", () => {
    const a = nd.zeros([6, 2, 3]);
    const it = new io.NDArrayIter(a, nd.zeros([6]), { batchSize: 4 });
    assert.deepEqual(it.provideData, [{ name: 'data', shape: [4, 2, 3], dtype: 'float32', layout: 'NCHW' }]);
    assert.deepEqual(it.provideLabel.map((d) => [d.name, d.shape]), [['softmax_label', [4]]]);
    const many = new io.NDArrayIter([a, nd.ones([6, 1], { dtype: 'int32' })], null, { batchSize: 2 });
    assert.deepEqual(many.provideData.map((d) => [d.name, d.shape, d.dtype]), [['_0_data', [2, 2, 3], 'float32'], ['_1_data', [2, 1], 'int32']]);
    assert.deepEqual(many.provideLabel, []);
    const dict = new io.NDArrayIter({ zeta: nd.zeros([6]), alpha: nd.ones([6]) }, null, { batchSize: 3 });
    assert.deepEqual(dict.provideData.map((d) => d.name), ['alpha', 'zeta']);
    assert.deepEqual(Array.from(dict.next()!.data[0]!.data() as Float32Array), [1, 1, 1]);
  });

  it('shuffle: each epoch a permutation, seeded, samples and labels kept together', () => {
    const n = 12;
    const x = nd.arange(0, n);
    random.seed(5);
    const it = new io.NDArrayIter(x, x.mul(2), { batchSize: 4, shuffle: true });
    const epoch = (): number[] => [...it].flatMap((b) => {
      const d = Array.from(b.data[0]!.data() as Float32Array);
      assert.deepEqual(Array.from(b.label[0]!.data() as Float32Array), d.map((v) => v * 2));
      return d;
    });
    const e1 = epoch();
    it.reset();
    const e2 = epoch();
    for (const e of [e1, e2]) assert.deepEqual([...e].sort((p, q) => p - q), Array.from({ length: n }, (_v, i) => i));
    assert.notDeepEqual(e1, e2);
    assert.notDeepEqual(e1, Array.from({ length: n }, (_v, i) => i));
    random.seed(5);
    const again = new io.NDArrayIter(x, x.mul(2), { batchSize: 4, shuffle: true });
    assert.deepEqual([...again].flatMap((b) => Array.from(b.data[0]!.data() as Float32Array)), e1);
  });

  it('bad input: errors name the problem', () => {
    assert.throws(() => new io.NDArrayIter(nd.zeros([4]), nd.zeros([5])), /every array needs the same number of samples along axis 0: 'data' has 4, 'softmax_label' has 5/);
    assert.throws(() => new io.NDArrayIter(nd.zeros([4]), null, { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
    assert.throws(() => new io.NDArrayIter(nd.zeros([4]), null, { lastBatchHandle: 'keep' as never }), /lastBatchHandle must be 'pad', 'discard' or 'roll_over', got "keep"/);
    assert.throws(() => new io.NDArrayIter(null), /data must be given/);
  });
});
