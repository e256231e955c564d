/**
 * topk's number of outputs depends on `retTyp`: a list `[values, indices]`
 * for 'both', one tensor otherwise — eagerly, traced, and traced before the
 * input's type is known (the node's outputs are made from the attributes).
 */
import assert from 'node:assert/strict';
import { gluon, nd, sym } from 'gluonc';
import { getOp } from '../../../compiler/ops/registry.js';
import { outputArity } from '../../../compiler/ops/define.js';

describe('topk outputs', () => {
  const x = nd.array([[3, 1, 2], [0, 5, 4]]);

  it('one tensor unless retTyp is both', () => {
    for (const retTyp of ['value', 'indices', 'mask'] as const) {
      assert.ok(!Array.isArray(nd.topk(x, { retTyp })), retTyp);
      assert.ok(!Array.isArray(sym.topk(sym.var('x', { shape: [2, 3] }), { retTyp })), `${retTyp} traced`);
    }
    const both = nd.topk(x, { k: 2, retTyp: 'both' }) as nd.NDArray[];
    assert.equal(both.length, 2);
    assert.deepEqual(both[0]!.toArray(), [[3, 2], [5, 4]]);
    assert.deepEqual(both[1]!.toArray(), [[0, 2], [1, 2]]);
  });

  it('traced before the input type is known, then typed by inferShape', () => {
    const outs = sym.topk(sym.var('u'), { k: 2, retTyp: 'both', dtype: 'int32' }) as sym.Symbol[];
    assert.equal(outs.length, 2);
    const single = sym.topk(sym.var('u'), { k: 2 }) as sym.Symbol;
    assert.ok(!Array.isArray(single));
    assert.deepEqual(single.inferShape({ u: [4, 5] }).outs, [[4, 2]]);
  });

  it('outputArity: split by numOutputs, topk by retTyp, others one', () => {
    assert.deepEqual(outputArity(getOp('split'), { numOutputs: 3 }), { list: true, count: 3 });
    assert.deepEqual(outputArity(getOp('topk'), { retTyp: 'both' }), { list: true, count: 2 });
    assert.deepEqual(outputArity(getOp('topk'), { retTyp: 'mask' }), { list: false, count: 1 });
    assert.deepEqual(outputArity(getOp('exp'), {}), { list: false, count: 1 });
  });
  it("nd/F/sym topk and x.topk are typed by retTyp as npx.topk is: results used without casts (a tsc check), values against numpy's sort", () => {
    // These lines are the test: they use each result as its retTyp makes it, and tsc fails on an unused @ts-expect-error.
    const idx: nd.NDArray = nd.topk(x, { k: 2 });
    const [v, i] = nd.topk(x, { k: 2, retTyp: 'both' });
    const [pv, pi] = nd.topk(x, 1, 2, 'both');
    const mask: nd.NDArray = x.topk({ k: 1, retTyp: 'mask' });
    const [mv] = x.topk({ k: 1, retTyp: 'both' });
    const pos: nd.NDArray = nd.topk(x, -1, 2, 'value');
    const s: sym.Symbol = sym.topk(sym.var('u'), { k: 2 });
    const [sv, si] = sym.topk(sym.var('u'), { k: 2, retTyp: 'both' });
    // @ts-expect-error 'both' gives a list, which has no toArray
    assert.throws(() => nd.topk(x, { k: 2, retTyp: 'both' }).toArray());
    // @ts-expect-error one array is not a list
    assert.equal(nd.topk(x, { k: 2 }).length, undefined);
    class Top extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, a: gluon.Tensor) {
        const [values, indices] = F.topk(a, { k: 2, retTyp: 'both' });
        return F.add(values!, F.topk(a, { k: 2, retTyp: 'value' })).add(indices!.cast('float32'));
      }
    }
    const top = new Top();
    top.hybridize();
    // numpy: -np.sort(-x, 1)[:, :2] (descending values) and their indices [[0, 2], [1, 2]].
    const values = [[3, 2], [5, 4]];
    assert.deepEqual(idx.toArray(), [[0, 2], [1, 2]]);
    assert.deepEqual([v!.toArray(), i!.toArray(), pv!.toArray(), pi!.toArray(), pos.toArray()], [values, [[0, 2], [1, 2]], values, [[0, 2], [1, 2]], values]);
    assert.deepEqual([mask.toArray(), mv!.toArray()], [[[1, 0, 0], [0, 1, 0]], [[3], [5]]]);
    assert.deepEqual((top.call(x) as nd.NDArray).toArray(), [[6, 6], [11, 10]]);
    assert.ok(!Array.isArray(s) && sv !== undefined && si !== undefined);
  });

  it('an empty batch of a symbolic size (onnxruntime\'s TopK stops the process there unless guarded): shapes, and a full batch unchanged', () => {
    const v = sym.var('x', { shape: ['B', 4] });
    assert.deepEqual((sym.topk(v, { k: 2 }).eval({ x: nd.zeros([0, 4]) }) as nd.NDArray).shape, [0, 2]);
    assert.deepEqual((sym.sort(v).eval({ x: nd.zeros([0, 4]) }) as nd.NDArray).shape, [0, 4]);
    assert.deepEqual((sym.topk(sym.var('x', { shape: [4, 'B'] }), { k: 2, axis: 0 }).eval({ x: nd.zeros([4, 0]) }) as nd.NDArray).shape, [2, 0]);
    // Ties: the lower index first, the padding never chosen (numpy: argsort(-x, kind='stable')[:, :2]).
    assert.deepEqual((sym.topk(v, { k: 2 }).eval({ x: nd.array([1, 3, 2, 3, 5, 4, 4, 0], { shape: [2, 4] }) }) as nd.NDArray).toArray(), [[1, 3], [0, 1]]);
  });
});
