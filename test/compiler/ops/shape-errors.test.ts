/**
 * Error messages of the shape and indexing operators: each names the
 * operator, what was wrong and the inputs' types, eagerly and while tracing.
 * Also the type rules on symbolic dimensions that the table cannot show
 * (its symbolic samples keep the batch dimension 'N' unchanged).
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import { concat, stack } from '../../../compiler/ops/join-split.js';
import { plainShape } from 'gluonc/compiler';

describe('shape operator errors', () => {
  const x = nd.array([[1, 2, 3], [4, 5, 6]]);
  const s = sym.var('x', { shape: ['N', 3, 4] });

  it('bad reshape names both shapes', () => {
    assert.throws(() => x.reshape([4, -1]), /^OpError: reshape: cannot reshape \[2, 3\] to \[4, -1\]: 6 elements cannot be split into 4 x -1 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.reshape([5]), /reshape: cannot reshape \[2, 3\] to \[5\]: 6 elements do not fit 5 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.reshape([-1, -1]), /reshape: cannot reshape \[2, 3\] to \[-1, -1\]: more than one -1 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => s.reshape([0, 10]), /reshape: cannot reshape \[N, 3, 4\] to \[0, 10\]: 12\*N elements do not fit 10\*N \(inputs: float32\[N, 3, 4\]\)/);
    assert.throws(() => s.reshape([0, 5, -1]), /reshape: cannot reshape \[N, 3, 4\] to \[0, 5, -1\]: 12\*N elements cannot be split into 5\*N x -1/);
    assert.throws(() => x.reshape([0, 0, 0]), /reshape: cannot reshape \[2, 3\] to \[0, 0, 0\]: the codes use more input dimensions than the 2 there are/);
    assert.throws(() => x.reshape([-4, 4, -1, 3]), /reshape: cannot reshape \[2, 3\] to \[-4, 4, -1, 3\]: -4 cannot split dimension 2 by 4/);
    assert.throws(() => x.reshape({ shape: [6], reverse: 'yes' as never }), /reshape: option 'reverse' must be a boolean, got "yes" \(inputs: float32\[2, 3\]\)/);
  });

  it('axis out of range', () => {
    assert.throws(() => x.transpose([0, 2]), /^OpError: transpose: axis 2 is out of range for rank 2 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.transpose([0, 0]), /transpose: axes \[0,0\] is not a permutation of the 2 axes \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => s.transpose([0, 1, 3]), /transpose: axis 3 is out of range for rank 3 \(inputs: float32\[N, 3, 4\]\)/);
    assert.throws(() => nd.concat(x, x, { dim: 2 }), /concat: axis 2 is out of range for rank 2 \(inputs: float32\[2, 3\], float32\[2, 3\]\)/);
    assert.throws(() => sym.concat(s, s, { dim: -4 }), /concat: axis -4 is out of range for rank 3 \(inputs: float32\[N, 3, 4\], float32\[N, 3, 4\]\)/);
    assert.throws(() => x.expandDims(3), /expandDims: axis 3 is out of range for inserting an axis into rank 2 \(valid: -3 to 2\) \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => s.expandDims(-5), /expandDims: axis -5 is out of range .* \(inputs: float32\[N, 3, 4\]\)/);
    assert.throws(() => nd.stack(x, x, { axis: 3 }), /stack: axis 3 is out of range .* \(inputs: float32\[2, 3\], float32\[2, 3\]\)/);
    assert.throws(() => x.sliceAxis({ axis: 2, begin: 0, end: 1 }), /sliceAxis: axis 2 is out of range for rank 2/);
    assert.throws(() => x.take(nd.array([0]), { axis: 2 }), /take: axis 2 is out of range for rank 2/);
  });

  it('concat and stack of mismatched shapes', () => {
    assert.throws(() => nd.concat(x, nd.array([[1, 2]]), { dim: 0 }), /^OpError: concat: shapes \[2, 3\], \[1, 2\] differ in axis 1 \(only axis 0 may differ\) \(inputs: float32\[2, 3\], float32\[1, 2\]\)/);
    assert.throws(() => nd.concat(x, nd.array([1, 2, 3])), /concat: inputs have different ranks: \[2, 3\], \[3\]/);
    assert.throws(() => nd.concat(x, x.cast('int32')), /concat: inputs have different dtypes float32 and int32/);
    assert.throws(() => sym.concat(s, sym.var('y', { shape: ['N', 2, 5] })), /concat: shapes \[N, 3, 4\], \[N, 2, 5\] differ in axis 2 \(only axis 1 may differ\)/);
    assert.throws(() => nd.stack(x, nd.array([[1, 2], [3, 4]])), /stack: shapes \[2, 3\], \[2, 2\] differ in axis 1 \(inputs: float32\[2, 3\], float32\[2, 2\]\)/);
  });

  it('cast to an unknown dtype', () => {
    assert.throws(() => x.cast('complex64' as never), /^OpError: cast: unknown dtype "complex64" \(supported: float32, .*uint64\) \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => s.cast({ dtype: 'float128' as never }), /cast: unknown dtype "float128" .* \(inputs: float32\[N, 3, 4\]\)/);
    assert.throws(() => (nd.cast as (...a: unknown[]) => unknown)(x), /cast: unknown dtype null/);
  });

  it('other malformed options', () => {
    assert.throws(() => x.split({ numOutputs: 2 }), /split: axis 1 of size 3 does not split into 2 equal parts \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.split({ numOutputs: 3, axis: 0, squeezeAxis: true }), /split: axis 0 of size 2 does not split into 3 equal parts/);
    assert.throws(() => x.split({ numOutputs: 1, squeezeAxis: true }), /split: squeezeAxis needs parts of size 1, but axis 1 gives parts of 3/);
    assert.throws(() => s.squeeze(1), /squeeze: axis 1 has size 3, not 1 \(inputs: float32\[N, 3, 4\]\)/);
    assert.throws(() => x.broadcastTo([4, 3]), /broadcastTo: cannot broadcast \[2, 3\] to \[4, 3\]: axis 0 has size 2, which is neither 1 nor 4/);
    assert.throws(() => x.broadcastTo([3]), /broadcastTo: cannot broadcast \[2, 3\] to \[3\]: the target has fewer axes/);
    assert.throws(() => x.broadcastLike(nd.zeros([3, 3])), /broadcastLike: cannot broadcast \[2, 3\] like \[3, 3\]: axis 0 has size 2, which is neither 1 nor 3/);
    assert.throws(() => x.slice({ begin: [0, 0, 0], end: [1, 1, 1] }), /slice: begin \[0,0,0\] has more entries than the input's rank 2 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.slice({ begin: [0], end: [1], step: [0] }), /slice: step \[0\] has a zero entry/);
    assert.throws(() => x.pad({ padWidth: [1, 1] }), /pad: padWidth \[1,1\] must have 2 \* rank = 4 entries \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.pad({ mode: 'reflect', padWidth: [0, 0, 3, 0] }), /pad: reflect padding 3, 0 of axis 1 must be smaller than its size 3/);
    assert.throws(() => x.take(nd.array([0]), { mode: 'bad' as never }), /take: mode must be 'clip', 'wrap' or 'raise', got "bad"/);
    assert.throws(() => x.pick(nd.array([0, 1]), { mode: 'raise' as never }), /pick: mode must be 'clip' or 'wrap', got "raise"/);
    assert.throws(() => x.take(nd.array([1, 2]), { mode: 'raise' }), /take: index 2 is out of range for an axis of size 2 \(mode 'raise' takes \[-2, 1\]\)/);
    assert.throws(() => x.take(nd.array([-3]), { mode: 'raise' }), /take: index -3 is out of range/);
    const traced = sym.take(sym.var('w', { shape: [2, 3] }), sym.var('i', { shape: ['K'] }), { mode: 'raise' });
    assert.throws(() => traced.eval({ w: x, i: nd.array([0, 2]) }), /Gather.*out of data bounds, idx=2 must be within the inclusive range \[-2,1\]/);
    assert.throws(() => x.pick(nd.array([0, 1, 2])), /pick: index shape \[3\] must be \[2\] \(data \[2, 3\] without axis 1\)/);
    // An index into an empty axis selects nothing (numpy refuses; eagerly it read garbage, compiled Gather failed).
    assert.throws(() => nd.zeros([0, 3]).take(nd.array([0])), /^OpError: take: axis 0 is empty: no index selects anything there \(numpy refuses it too\) \(inputs: float32\[0, 3\], float32\[1\]\)/);
    assert.throws(() => nd.zeros([0, 3]).take(nd.array([0]), { mode: 'wrap' }), /take: axis 0 is empty/);
    assert.throws(() => nd.zeros([2, 0]).pick(nd.array([0, 0])), /pick: axis 1 is empty: no index selects anything there/);
    assert.deepEqual(nd.zeros([0, 3]).take(nd.zeros([0])).shape, [0, 3], 'no index into an empty axis is fine');
    assert.deepEqual(nd.zeros([2, 0]).take(nd.array([1]), { axis: 0 }).shape, [1, 0], 'an index into a non-empty axis of an empty tensor is fine');
    assert.throws(() => x.oneHot(0), /oneHot: depth must be a positive integer, got 0/);
    assert.throws(() => x.tile({ reps: [1.5] }), /tile: option 'reps' must be an integer or a list of integers, got \[1.5\] \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.repeat(-1), /repeat: repeats must be a non-negative integer, got -1/);
  });
});

describe('shape operator type rules on symbolic dimensions', () => {
  const s = sym.var('x', { shape: ['N', 3, 4] });

  it('a NaN in an integer option (arithmetic on a symbolic size) is named as NaN, with the way out; x.shape itself refuses arithmetic by name', () => {
    const x = sym.var('x', { shape: ['N', 4] });
    const n = x.shape[0] as unknown as number;
    assert.throws(() => sym.reshape(x, [n * 2, -1]), /^SymbolicDimError: symbolic dimension 'N' \(axis 0 of variable 'x'\) has no value/);
    // A NaN made another way (a name as a string) still meets the option check.
    const name = 'N' as unknown as number;
    assert.throws(() => sym.reshape(x, [name * 2, -1]), /option 'shape' must be an integer or a list of integers, got \[NaN,-1\]: NaN comes from arithmetic on a symbolic dimension \(x\.shape\[k\] is a name such as 'N' while tracing\); read sizes with F\.shapeArray\(x, \{ axis \}\)/);
    assert.throws(() => sym.sliceAxis(x, { axis: 0, begin: 0, end: name - 1 }), /option 'end' must be an integer or null, got NaN: NaN comes from arithmetic on a symbolic dimension/);
  });

  it('reshape keeps, merges and infers symbolic dimensions', () => {
    assert.deepEqual(plainShape(s.reshape([0, -1]).shape), ['N', 12]);
    assert.deepEqual(plainShape(s.reshape([-1, 4]).shape), ['3*N', 4]);
    assert.deepEqual(plainShape(s.reshape([-3, 0]).shape), ['3*N', 4]);
    assert.deepEqual(plainShape(s.reshape([0, -4, 3, -1, -2]).shape), ['N', 3, 1, 4]);
    assert.deepEqual(plainShape(s.reshape({ shape: [-1, 0], reverse: true }).shape), ['3*N', 4]);
    assert.deepEqual(plainShape(s.flatten().shape), ['N', 12]);
  });

  it('reshape with symbolic targets runs with the batch bound', () => {
    const x = nd.array(Array.from({ length: 24 }, (_v, i) => i), { shape: [2, 3, 4] });
    const y = s.reshape([-1, 4]).eval({ x }) as nd.NDArray;
    assert.deepEqual(y.shape, [6, 4]);
    assert.deepEqual(Array.from(y.data() as Float32Array), Array.from({ length: 24 }, (_v, i) => i));
    const z = s.reshape([-3, -1]).eval({ x }) as nd.NDArray;
    assert.deepEqual(z.shape, [6, 4]);
  });

  it('concat, split, tile and repeat along the batch axis', () => {
    assert.deepEqual(plainShape(sym.concat(s, s, { dim: 1 }).shape), ['N', 6, 4]);
    assert.deepEqual(plainShape(sym.concat(s, s, { dim: 0 }).shape), ['(N+N)', 3, 4]);
    assert.deepEqual(s.split({ numOutputs: 2, axis: 2 }).map((p) => plainShape(p.shape)), [['N', 3, 2], ['N', 3, 2]]);
    assert.deepEqual(plainShape(s.tile([2, 1, 1]).shape), ['2*N', 3, 4]);
    assert.deepEqual(plainShape(s.repeat(3, { axis: 0 }).shape), ['3*N', 3, 4]);
    assert.deepEqual(s.sliceAxis({ axis: 0, begin: 0, end: 2 }).shape, [2, 3, 4]);
    assert.deepEqual(plainShape(s.pad({ padWidth: [0, 0, 1, 1, 2, 2] }).shape), ['N', 5, 8]);
  });

  it('concat and stack solve a parameter\'s unknown dimensions from the other inputs', () => {
    const t = (shape: (number | string)[]) => ({ dtype: 'float32' as const, shape });
    assert.deepEqual(concat.solve!([t([0, 3]), t([5, 2])], { dim: 1 }), [[5, 3], undefined]);
    assert.deepEqual(concat.solve!([t(['N', 2]), t([0, 0])], { dim: 1 }), [undefined, ['N', 0]]);
    assert.deepEqual(stack.solve!([t([4, 0]), t([4, 7])], { axis: 0 }), [[4, 7], undefined]);
  });
});
