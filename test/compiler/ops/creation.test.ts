/**
 * Dimension arguments that hold tensors (zeros/ones/full shapes, arange
 * bounds): `F.shapeArray` entries keep symbolic dimensions in types and in the
 * compiled graph (one compiled graph runs for every `N` and `T`), other
 * integer tensors are read at run time, and bad entries are named errors.
 * References are written out here (a causal mask is `j <= i`).
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, random, sym } from 'gluonc';
import { compileGraph } from '../../../compiler/compile.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { ops as ndOps } from '../../../compiler/engine/nd.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { plainShape } from 'gluonc/compiler';

const S = sym as unknown as gluon.F;

/** `[T, T]` with 1 where column <= row. */
function causal(t: number): number[] {
  return Array.from({ length: t * t }, (_v, i) => (i % t <= Math.floor(i / t) ? 1 : 0));
}

describe('creation operators with symbolic dimensions', () => {
  it('F.shapeArray entries keep N and T in types, and one compiled graph serves every N and T', () => {
    const x = sym.var('x', { shape: ['N', 'T', 4] });
    const t = S.shapeArray(x as never, { axis: 1 });
    const mask = S.tril(S.ones([t, t]));
    const pos = S.arange(t, { dtype: 'int32' });
    const z = S.zeros([S.shapeArray(x as never, { end: 2 }), 8], { dtype: 'float64' });
    const f = S.full([t, 2], 2.5);
    assert.deepEqual(plainShape(mask.shape), ['T', 'T']);
    assert.deepEqual(plainShape(pos.shape), ['T']);
    assert.deepEqual(plainShape(z.shape), ['N', 'T', 8]);
    assert.deepEqual(plainShape(f.shape), ['T', 2]);
    const g = graphOf(mask as never, pos as never, z as never, f as never);
    const run = compileGraph(g, { x: { dtype: 'float32', shape: ['N', 'T', 4] } });
    for (const [n, tt] of [[2, 3], [1, 5], [3, 1]] as const) {
      const out = run({ x: nd.zeros([n, tt, 4])._host });
      const [m, p, zz, ff] = ['output0', 'output1', 'output2', 'output3'].map((k) => out[k]!);
      assert.deepEqual(m!.shape, [tt, tt]);
      assert.deepEqual(tensorToNumbers(m!), causal(tt));
      assert.deepEqual(p!.dtype, 'int32');
      assert.deepEqual(tensorToNumbers(p!), Array.from({ length: tt }, (_v, i) => i));
      assert.deepEqual([zz!.dtype, zz!.shape], ['float64', [n, tt, 8]]);
      assert.ok(tensorToNumbers(zz!).every((v) => v === 0));
      assert.deepEqual(ff!.shape, [tt, 2]);
      assert.ok(tensorToNumbers(ff!).every((v) => v === 2.5));
    }
  });

  it('a hybridized causal-mask block agrees with its eager run for several sequence lengths', () => {
    class Causal extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        const t = F.shapeArray(x, { axis: 1 });
        const scores = F.batchDot(x, x, { transposeB: true });
        return F.maskedSoftmax(scores, F.tril(F.ones([t, t])), { axis: -1 });
      }
    }
    const net = new Causal();
    const xs = [nd.random.uniform(-1, 1, [2, 3, 4]), nd.random.uniform(-1, 1, [2, 5, 4])];
    const eager = xs.map((x) => net.call(x) as NDArray);
    net.hybridize();
    xs.forEach((x, k) => {
      const y = net.call(x) as NDArray;
      assert.deepEqual(y.shape, eager[k]!.shape);
      const a = tensorToNumbers(y._host);
      const b = tensorToNumbers(eager[k]!._host);
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5, `element ${i}: ${v} vs ${b[i]}`));
      // Above the diagonal: probability exactly 0; each row sums to 1.
      const t = x.shape[1]!;
      const mask = causal(t);
      a.forEach((v, i) => mask[i % (t * t)] === 0 && assert.equal(v, 0));
      for (let r = 0; r < a.length / t; r++) {
        const s = a.slice(r * t, (r + 1) * t).reduce((p, q) => p + q, 0);
        assert.ok(Math.abs(s - 1) < 1e-5, `row ${r} sums to ${s}`);
      }
    });
  });

  it('gradients flow past a mask built from the shape of a differentiated tensor (hybridized = eager tape)', () => {
    class Causal extends gluon.HybridBlock {
      dense = new gluon.nn.Dense(4, { flatten: false, inUnits: 3 });
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        const h = this.dense.call(x) as gluon.Tensor;
        const t = F.shapeArray(h, { axis: 1 });
        const p = F.maskedSoftmax(F.batchDot(h, h, { transposeB: true }), F.tril(F.ones([t, t])));
        return F.batchDot(p, h);
      }
    }
    const run = (hybrid: boolean) => {
      random.seed(7);
      const net = new Causal();
      net.initialize();
      if (hybrid) net.hybridize();
      const x = nd.array(Array.from({ length: 2 * 5 * 3 }, (_v, i) => Math.sin(i)), { shape: [2, 5, 3] });
      const loss = autograd.record(() => (net.call(x) as NDArray).square().sum());
      loss.backward();
      return tensorToNumbers((net.dense.weight.grad() as NDArray)._host);
    };
    const e = run(false);
    const h = run(true);
    assert.ok(e.some((v) => Math.abs(v) > 1e-3));
    h.forEach((v, i) => assert.ok(Math.abs(v - e[i]!) < 1e-4 * (1 + Math.abs(e[i]!)), `dW[${i}]: hybridized ${v}, eager ${e[i]}`));
  });

  it('eager arrays and constants given as dimensions are read now', () => {
    const x = nd.zeros([2, 3, 5]);
    assert.deepEqual(ndOps.ones([ndOps.shapeArray(x, { begin: 1 }), 2]).shape, [3, 5, 2]);
    assert.deepEqual(ndOps.zeros(ndOps.shapeArray(x)).shape, [2, 3, 5]);
    assert.deepEqual(tensorToNumbers(ndOps.arange(ndOps.shapeArray(x, { axis: -1 }))._host), [0, 1, 2, 3, 4]);
    assert.deepEqual(ndOps.shapeArray(x, { axis: 1 }).shape, []);
    // A constant tensor while tracing is read as well: a concrete type.
    assert.deepEqual(S.ones([nd.array([4], { dtype: 'int64' }) as never, 2]).shape, [4, 2]);
  });

  it('other integer tensors are read when the graph runs (opaque dimensions in types)', () => {
    const x = sym.var('x', { shape: ['N', 'T'] });
    const twice = S.mul(S.shapeArray(x as never, { axis: 1 }), 2);
    const z = S.ones([twice, 3]);
    assert.equal(z.shape.length, 2);
    assert.equal(typeof plainShape(z.shape)[0], 'string');
    assert.equal(z.shape[1], 3);
    const r = S.arange(1, twice);
    const out = (z as unknown as sym.Symbol).eval({ x: nd.zeros([2, 4]) }) as NDArray;
    assert.deepEqual(out.shape, [8, 3]);
    const ar = (r as unknown as sym.Symbol).eval({ x: nd.zeros([2, 4]) }) as NDArray;
    assert.deepEqual(tensorToNumbers(ar._host), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('bad dimension entries are named errors', () => {
    const x = sym.var('x', { shape: ['N', 'T'] });
    assert.throws(() => S.zeros(['T' as never, 2]), /zeros: 'shape' cannot take the symbolic dimension 'T' by name: pass F.shapeArray/);
    // x.shape[1] is a SymbolicDim that knows its tensor (at top level as in a block): zeros reads it as F.shapeArray does.
    assert.deepEqual(plainShape(S.zeros([x.shape[1] as never, 2]).shape), ['T', 2]);
    assert.throws(() => ndOps.zeros([nd.array([1.5]), 2]), /zeros: 'shape' holds non-integer values \[1.5\]/);
    assert.throws(() => ndOps.zeros([nd.zeros([2, 2]), 2]), /zeros: 'shape' entries must be numbers or 0-d\/1-d integer tensors/);
    assert.throws(() => ndOps.zeros([2, -1]), /zeros: shape entries must be non-negative integers, got -1/);
    assert.throws(() => ndOps.arange(0, 5, 0), /arange: step must be a non-zero number, got 0/);
    assert.throws(() => ndOps.full([2], 1, { dtype: 'complex' as never }), /full: dtype "complex" is not a dtype/);
    assert.throws(() => S.zeros([S.shapeArray(x as never), 2]).shape && S.zeros([S.cast(x as never, 'float32'), 1]), /zeros: a tensor of dimensions must be a 0-d or 1-d integer tensor/);
    assert.throws(() => ndOps.shapeArray(nd.zeros([2, 3]), { axis: 0, begin: 1 }), /shapeArray: give either axis or begin\/end, not both/);
    assert.throws(() => ndOps.tril(nd.zeros([3])), /tril: needs at least 2 dimensions/);
    assert.throws(() => ndOps.maskedSoftmax(nd.zeros([2, 3]), nd.zeros([4, 3])), /maskedSoftmax/);
    assert.throws(() => ndOps.maskedSoftmax(nd.zeros([2, 3]), nd.zeros([2, 2, 3])), /maskedSoftmax: mask shape \[2, 2, 3\] must broadcast to the data's shape \[2, 3\]/);
  });
});

// numpy 2 refuses a fill value outside an integer dtype (OverflowError: "Python integer 300 out of bounds for
// int8"), as nd.array refuses such an element; full wrapped it silently (int8 300 gave 44).
describe('full with an integer dtype', () => {
  it('refuses an integer value outside the dtype, naming both; keeps values inside and truncates fractions (numpy)', () => {
    assert.throws(() => nd.full([2], 300, { dtype: 'int8' }), /full: value 300 is out of range for int8 \[-128, 127\]/);
    assert.throws(() => nd.full([2], -1, { dtype: 'uint8' }), /full: value -1 is out of range for uint8 \[0, 255\]/);
    assert.throws(() => nd.full([2], 2 ** 40, { dtype: 'int32' }), /full: value 1099511627776 is out of range for int32/);
    assert.throws(() => sym.full([2], 128, { dtype: 'int8' }), /full: value 128 is out of range for int8/);
    assert.deepEqual(nd.full([2], -128, { dtype: 'int8' }).toArray(), [-128, -128]);
    assert.deepEqual(nd.full([2], 255, { dtype: 'uint8' }).toArray(), [255, 255]);
    assert.deepEqual(nd.full([2], 0.5, { dtype: 'int32' }).toArray(), [0, 0]);   // np.full(2, 0.5, dtype=np.int32)
    assert.equal(nd.full([1], 2 ** 60, { dtype: 'int64' }).data()[0], 2n ** 60n);
  });
});
