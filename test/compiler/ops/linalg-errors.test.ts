/**
 * Error messages of the linalg operators (each names the operator, the
 * shapes and the inputs' types, eagerly and while tracing), and their rules
 * that solve a parameter's unknown (0) dimensions.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import type { TensorType } from '../../../compiler/ir/types.js';
import { Value } from '../../../compiler/ir/value.js';
import { getOp } from '../../../compiler/ops/registry.js';
import { Symbol } from '../../../compiler/trace/symbol.js';
import { plainShape } from 'gluonc/compiler';

const f32 = (...shape: (number | string)[]): TensorType => ({ dtype: 'float32', shape });
const solve = (op: string, types: TensorType[], attrs: Record<string, unknown>) => {
  const def = getOp(op);
  return def.solve!(types, { ...def.attrs, ...attrs } as never);
};

describe('linalg operator errors', () => {
  it('FullyConnected with a weight of the wrong inUnits names both shapes', () => {
    const re = /^OpError: FullyConnected: weight shape \[3, 5\] does not match data shape \[4, 6\]: expected \[numHidden=3, 6\] .*\(inputs: float32\[4, 6\], float32\[3, 5\]\)/;
    assert.throws(() => nd.FullyConnected(nd.ones([4, 6]), nd.ones([3, 5]), { numHidden: 3, noBias: true }), re);
    assert.throws(
      () => sym.FullyConnected(sym.var('x', { shape: ['N', 2, 3] }), sym.var('w', { shape: [3, 5] }), { numHidden: 3, noBias: true }),
      /FullyConnected: weight shape \[3, 5\] does not match data shape \[N, 2, 3\]: expected \[numHidden=3, 6\]/,
    );
    assert.throws(() => nd.FullyConnected(nd.ones([4, 6]), nd.ones([4, 6]), nd.ones([4]), { numHidden: 3 }), /FullyConnected: weight shape \[4, 6\] does not match .*numHidden=3/);
    assert.throws(() => nd.FullyConnected(nd.ones([4, 6]), nd.ones([3, 6]), nd.ones([4]), { numHidden: 3 }), /FullyConnected: bias shape \[4\] must be \[3\]/);
    assert.throws(() => nd.FullyConnected(nd.ones([4, 6]), nd.ones([3, 6]), nd.ones([3]), { numHidden: 3, noBias: true }), /FullyConnected: a bias was given but noBias is true/);
  });

  it('dot with mismatched inner dimensions names both shapes', () => {
    assert.throws(
      () => nd.dot(nd.ones([3, 4]), nd.ones([5, 2])),
      /^OpError: dot: inner dimensions do not match: lhs \[3, 4\] axis 1 has 4, rhs \[5, 2\] axis 0 has 5 \(inputs: float32\[3, 4\], float32\[5, 2\]\)/,
    );
    assert.throws(() => sym.var('x', { shape: ['N', 4] }).dot(sym.var('w', { shape: [5, 4] })), /dot: inner dimensions do not match: lhs \[N, 4\] .* rhs \[5, 4\]/);
    assert.throws(() => nd.dot(nd.ones([3, 4]), nd.ones([3, 4]), { transposeB: true, transposeA: true }), /dot: inner dimensions do not match: .*transposeA=true, transposeB=true/);
    assert.throws(() => nd.batchDot(nd.ones([2, 3, 4]), nd.ones([2, 5, 2])), /batchDot: inner dimensions do not match: lhs \[2, 3, 4\] contracts 4, rhs \[2, 5, 2\] contracts 5/);
    assert.throws(() => nd.batchDot(nd.ones([3, 4]), nd.ones([4, 2])), /batchDot: needs two inputs of the same rank, 3 or more .* got \[3, 4\] and \[4, 2\]/);
  });

  it('Convolution on rank-2 data names the op and the shape', () => {
    const re = /^OpError: Convolution: needs data of rank 3 \(NCW\), 4 \(NCHW\) or 5 \(NCDHW\), got shape \[3, 4\] \(inputs: float32\[3, 4\], float32\[2, 3, 3, 3\]\)/;
    assert.throws(() => nd.Convolution(nd.ones([3, 4]), nd.ones([2, 3, 3, 3]), { kernel: [3, 3], numFilter: 2, noBias: true }), re);
    assert.throws(
      () => sym.Convolution(sym.var('x', { shape: ['N', 4] }), sym.var('w', { shape: [2, 3, 3, 3] }), { kernel: [3, 3], numFilter: 2 }),
      /Convolution: needs data of rank 3 .* got shape \[N, 4\]/,
    );
    assert.throws(
      () => nd.Convolution(nd.ones([1, 3, 5, 5]), nd.ones([2, 4, 3, 3]), { kernel: [3, 3], numFilter: 2 }),
      /Convolution: weight shape \[2, 4, 3, 3\] does not match data shape \[1, 3, 5, 5\]: expected \[2, 3, 3, 3\]/,
    );
    assert.throws(() => nd.Convolution(nd.ones([1, 3, 2, 2]), nd.ones([2, 3, 3, 3]), { kernel: [3, 3], numFilter: 2 }), /Convolution: kernel \[3, 3\] .* is larger than the padded input/);
    assert.throws(() => nd.Convolution(nd.ones([1, 3, 5, 5]), nd.ones([2, 3, 3, 3]), { kernel: [3], numFilter: 2 }), /Convolution: option 'kernel' must be 2 integer\(s\)/);
    assert.throws(() => nd.Convolution(nd.ones([1, 3, 5, 5]), nd.ones([2, 3, 3, 3]), { kernel: [3, 3], numFilter: 2, layout: 'NHWC' as 'NCHW' }), /Convolution: layout "NHWC" is not supported/);
    assert.throws(() => nd.Deconvolution(nd.ones([1, 3, 5, 5]), nd.ones([3, 2, 3, 3]), nd.ones([2]), { kernel: [3, 3], numFilter: 2 }), /Deconvolution: a bias was given but noBias is true/);
  });

  it('Pooling, Embedding and einsum validate their options', () => {
    assert.throws(() => nd.Pooling(nd.ones([1, 2, 4, 4])), /Pooling: needs a kernel \(or globalPool: true\)/);
    assert.throws(() => nd.Pooling(nd.ones([1, 2, 4, 4]), { kernel: [2, 2], poolType: 'lp' as 'max' }), /Pooling: poolType "lp" is not supported/);
    assert.throws(() => nd.Embedding(nd.ones([2, 3]), nd.ones([10, 4]), { inputDim: 10, outputDim: 5 }), /Embedding: weight shape \[10, 4\] must be \[inputDim, outputDim\] = \[10, 5\]/);
    assert.throws(() => nd.einsum('ij,jk->ik', nd.ones([2, 3]), nd.ones([4, 5])), /einsum: equation 'ij,jk->ik' gives label 'j' the sizes 3 and 4/);
    assert.throws(() => nd.einsum('ij->i', nd.ones([2, 3]), nd.ones([4, 5])), /einsum: equation 'ij->i' has 1 operand term\(s\) but 2 operand\(s\) were given/);
    assert.throws(() => nd.einsum('ij->k', nd.ones([2, 3])), /einsum: equation 'ij->k' has output label 'k' that no operand has/);
  });
});

describe('linalg solve rules', () => {
  it('dot: a weight with unknown dimensions gets them from the other operand', () => {
    assert.deepEqual(solve('dot', [f32('N', 7), f32(0, 5)], {}), [undefined, [7, 5]]);
    assert.deepEqual(solve('dot', [f32('N', 7), f32(5, 0)], { transposeB: true }), [undefined, [5, 7]]);
    assert.deepEqual(solve('dot', [f32(0, 3), f32(4, 'N')], { transposeA: true }), [[4, 3], undefined]);
  });

  it('FullyConnected, Convolution, Deconvolution, Embedding, batchDot, einsum', () => {
    assert.deepEqual(solve('FullyConnected', [f32('N', 2, 3), f32(4, 0), f32(0)], { numHidden: 4 }), [undefined, [4, 6], [4]]);
    assert.deepEqual(solve('FullyConnected', [f32('N', 2, 3), f32(4, 0)], { numHidden: 4, flatten: false, noBias: true }), [undefined, [4, 3], undefined]);
    assert.deepEqual(solve('Convolution', [f32('N', 6, 8, 8), f32(4, 0, 3, 3), f32(0)], { kernel: [3, 3], numFilter: 4, numGroup: 2 }), [undefined, [4, 3, 3, 3], [4]]);
    assert.deepEqual(solve('Deconvolution', [f32('N', 6, 8, 8), f32(0, 2, 3, 3), f32(0)], { kernel: [3, 3], numFilter: 4, numGroup: 2 }), [undefined, [6, 2, 3, 3], [4]]);
    assert.deepEqual(solve('Embedding', [f32('N', 5), f32(0, 0)], { inputDim: 100, outputDim: 8 }), [undefined, [100, 8]]);
    assert.deepEqual(solve('batchDot', [f32(2, 3, 4), f32(0, 0, 5)], {}), [undefined, [2, 4, 5]]);
    assert.deepEqual(solve('einsum', [f32('N', 7), f32(0, 5)], { equation: 'nk,kh->nh' }), [undefined, [7, 5]]);
  });

  it('a deferred parameter is solved while tracing', () => {
    const w = new Symbol(Value.param('w', f32(0, 5)));
    const y = sym.dot(sym.var('x', { shape: ['N', 7] }), w);
    assert.deepEqual(w.shape, [7, 5]);
    assert.deepEqual(plainShape(y.shape), ['N', 5]);
    const fw = new Symbol(Value.param('fw', f32(3, 0)));
    const fb = new Symbol(Value.param('fb', f32(0)));
    const z = sym.FullyConnected(sym.var('x2', { shape: ['N', 2, 2] }), fw, fb, { numHidden: 3 });
    assert.deepEqual([fw.shape, fb.shape, plainShape(z.shape)], [[3, 4], [3], ['N', 3]]);
  });
});
