/**
 * `nonzero` and `unique` (compiler/ops/data-dependent.ts) beyond the operator table: numpy's
 * `np.nonzero` rows and MXNet's `npx.nonzero` layout, recording (it runs at
 * once: its shape depends on the data), gradients through positions it
 * selects, a hybridized block and its exported artifact at data giving
 * different counts, the refusal of a 0-d input; `np.unique` and its flags.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, nd, np, npx } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { numpyRefs } from '../../helpers/numpy.js';

const ints = (x: nd.NDArray): number[] => Array.from(x.data() as ArrayLike<number | bigint>, Number);

/** Sums the elements of x where the mask is nonzero, through the positions `nonzero` gives. */
class MaskedSum extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor, mask: gluon.Tensor): gluon.Tensor {
    const pos = F.squeeze(F.nonzero(mask), { axis: 0 }); // [count]
    return F.sum(F.take(x, pos, { axis: 0 }));
  }
}

describe('ops/data-dependent: nonzero', () => {
  const values = [0, 3, -0, 1.5, Number.NaN, 0, -2, 0];

  it("np.nonzero gives numpy's rows, npx.nonzero MXNet's [count, ndim]", () => {
    const a = np.array(values, { dtype: 'float32' }).reshape([2, 4]);
    const [ref] = numpyRefs([{ code: 'np.stack(np.nonzero(a))', inputs: [{ shape: [2, 4], dtype: 'float64', data: values.map((v) => (Number.isNaN(v) ? 'nan' : v)) as number[] }] }]);
    const rows = np.nonzero(a) as nd.NDArray[];
    assert.deepEqual(rows.map((r) => r.shape), [[4], [4]]);
    assert.deepEqual([...ints(rows[0]!), ...ints(rows[1]!)], ref!.outs[0]!.data);
    const t = npx.nonzero(a) as nd.NDArray;
    assert.deepEqual([t.shape, t.dtype], [[4, 2], 'int64']);
    assert.deepEqual(ints(t), [0, 1, 0, 3, 1, 0, 1, 2], 'pairs (row, column) of 3, 1.5, NaN and -2');
    assert.throws(() => nd.nonzero(nd.array(5)), /nonzero: of a 0-d array \(numpy deprecates it\): reshape it to \[1\] first/);
  });

  it('runs at once while recording, and the gradient through the positions it selects is the mask', () => {
    const x = nd.array([1, 2, 3, 4, 5]);
    const mask = nd.array([0, 1, 0, 1, 1]);
    x.attachGrad();
    const y = autograd.record(() => {
      // Of an array that needs gradients (which defers other operators), it still runs at once.
      const all = nd.nonzero(x);
      assert.equal(all._pending, false, 'not deferred: its shape depends on the data');
      assert.deepEqual(all.shape, [1, 5]);
      const pos = nd.nonzero(mask);
      assert.deepEqual(pos.shape, [1, 3]);
      return nd.sum(nd.take(x, nd.squeeze(pos, { axis: 0 }), { axis: 0 }));
    }) as nd.NDArray;
    y.backward();
    assert.equal(y.item(), 2 + 4 + 5);
    assert.deepEqual(Array.from(x.grad!.data() as Float32Array), [0, 1, 0, 1, 1]);
  });

  it('hybridized and exported: the count follows the data at every call', async () => {
    const net = new MaskedSum();
    net.hybridize();
    const x = nd.array([1, 2, 3, 4, 5]);
    for (const [m, want] of [[[0, 1, 0, 1, 1], 11], [[1, 0, 0, 0, 0], 1], [[0, 0, 0, 0, 0], 0]] as const) {
      const mask = nd.array([...m]);
      x.attachGrad();
      const y = autograd.record(() => net.call(x, mask)) as nd.NDArray;
      y.backward();
      assert.equal(y.item(), want, `mask ${m}`);
      assert.deepEqual(Array.from(x.grad!.data() as Float32Array), [...m], `gradient for mask ${m}`);
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-nonzero-'));
    try {
      const file = path.join(dir, 'masked.onnx');
      net.export(file);
      const model = await loadModel(file);
      for (const [m, want] of [[[1, 1, 0, 0, 1], 1 + 2 + 5], [[0, 0, 0, 0, 0], 0]] as const) {
        const out = model.runSync({ data0: { data: Float32Array.from([1, 2, 3, 4, 5]), shape: [5] }, data1: { data: Float32Array.from(m), shape: [5] } });
        assert.equal(Number(Object.values(out)[0]!.data[0]), want, `artifact, mask ${m}`);
      }
      await model.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ops/data-dependent: unique', () => {
  it("np.unique gives numpy's values and the flags numpy returns, eagerly and hybridized; along an axis; bool is refused", () => {
    const v = [3, 1, 3, 2, 0, 1, 1, 3];
    const [ref] = numpyRefs([{ code: 'u, i, inv, c = np.unique(a, return_index=True, return_inverse=True, return_counts=True)\nout = [u, i, inv.reshape(-1), c]', inputs: [{ shape: [2, 4], dtype: 'float64', data: v }] }]);
    const a = np.array(v, { dtype: 'int64' }).reshape([2, 4]);
    const all = np.unique(a, { returnIndex: true, returnInverse: true, returnCounts: true }) as nd.NDArray[];
    all.forEach((o, k) => assert.deepEqual(ints(o), ref!.outs[k]!.data, `output ${k}`));
    assert.deepEqual(ints(np.unique(a) as nd.NDArray), ref!.outs[0]!.data);
    const [u, counts] = np.unique(a, { returnCounts: true }) as nd.NDArray[];
    assert.deepEqual([ints(u!), ints(counts!)], [ref!.outs[0]!.data, ref!.outs[3]!.data]);
    class Counts extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
        return (F.unique(x) as gluon.Tensor[])[3]!;
      }
    }
    const net = new Counts();
    net.hybridize();
    assert.deepEqual(ints(net.call(a) as nd.NDArray), ref!.outs[3]!.data, 'hybridized counts');
    assert.deepEqual(ints(net.call(np.array([5, 5, 4], { dtype: 'int64' })) as nd.NDArray), [1, 2], 'hybridized counts of other data');
    // numpy: np.unique(a, axis=1) of [[3, 1, 3, 2], [0, 1, 1, 3]]: columns [1, 1], [2, 3], [3, 0], [3, 1] (from index 1, 3, 0, 2).
    const [cols, first] = np.unique(a, { axis: 1, returnIndex: true }) as nd.NDArray[];
    assert.deepEqual([ints(cols!), ints(first!)], [[1, 2, 3, 3, 1, 3, 0, 1], [1, 3, 0, 2]]);
    assert.throws(() => nd.unique(nd.array([1, 0], { dtype: 'bool' })), /unique: of bool: int8, uint8, int32, int64, float16, float32, float64 only/);
    assert.throws(() => nd.unique(a, { axis: 2 }), /unique: axis 2 is out of range for rank 2/);
  });
});
