/**
 * topk's number of outputs depends on `retTyp`: a list `[values, indices]`
 * for 'both', one tensor otherwise — eagerly, traced, and traced before the
 * input's type is known (the node's outputs are made from the attributes).
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
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
});
