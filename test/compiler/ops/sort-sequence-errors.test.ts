/**
 * Error messages of the ordering and sequence operators: each names the
 * operator, what was wrong and the inputs' types, eagerly and while tracing.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';

describe('topk, sort, argsort errors', () => {
  const x = nd.array([[1, 5, 3], [4, 2, 6]]);
  const s = sym.var('x', { shape: ['N', 3] });

  it('k larger than the axis, or not an integer', () => {
    assert.throws(() => nd.topk(x, { k: 4 }), /^OpError: topk: k = 4 exceeds the 3 elements of axis 1 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => nd.topk(x, { k: 7, axis: null }), /topk: k = 7 exceeds the 6 elements of the flattened input/);
    assert.throws(() => s.topk({ k: 1.5 }), /topk: k must be an integer \(below 1: the whole axis\), got 1.5 \(inputs: float32\[N, 3\]\)/);
  });

  it('bad options', () => {
    assert.throws(() => nd.topk(x, { retTyp: 'values' as 'value' }), /topk: retTyp must be one of 'value', 'indices', 'both', 'mask', got "values"/);
    assert.throws(() => nd.topk(x, { axis: 2 }), /topk: axis 2 is out of range for rank 2/);
    assert.throws(() => nd.sort(x, { axis: -3 }), /sort: axis -3 is out of range for rank 2/);
    assert.throws(() => nd.argsort(x, { dtype: 'bool' }), /argsort: dtype of the indices must be one of/);
    assert.throws(() => s.sort({ isAscend: 1 as unknown as boolean }), /sort: option 'isAscend' must be a boolean, got 1/);
    assert.throws(() => nd.topk(x, { kk: 1 } as never), /topk: unknown option 'kk' \(valid: axis, k, retTyp, isAscend, dtype\)/);
  });

  it('bool data', () => {
    assert.throws(() => nd.sort(nd.array([1, 0], { dtype: 'bool' })), /sort: cannot order bool values \(cast them first\) \(inputs: bool\[2\]\)/);
  });

  it('a symbolic sorted axis keeps its type when k is given', () => {
    const v = sym.var('v', { shape: [2, 'T'] });
    const y = sym.topk(v, { k: 1, retTyp: 'value' }) as sym.Symbol;
    assert.deepEqual(y.shape, [2, 1]);
  });
});

describe('SequenceMask, SequenceLast, SequenceReverse errors', () => {
  const x = nd.ones([4, 3, 2]);
  const lens = nd.array([1, 2, 3]);

  it('useSequenceLength without lengths', () => {
    assert.throws(() => nd.SequenceMask(x, { useSequenceLength: true }), /^OpError: SequenceMask: useSequenceLength is true but no sequenceLength input was given \(inputs: float32\[4, 3, 2\]\)/);
    assert.throws(() => sym.SequenceLast(sym.var('x', { shape: ['T', 3] }), { useSequenceLength: true }), /SequenceLast: useSequenceLength is true but no sequenceLength input was given \(inputs: float32\[T, 3\]\)/);
  });

  it('lengths of the wrong shape or dtype', () => {
    assert.throws(() => nd.SequenceMask(x, nd.array([1, 2]), { useSequenceLength: true }), /SequenceMask: sequenceLength must have shape \[3\] \(the batch axis 1 of data\), got \[2\] \(inputs: float32\[4, 3, 2\], float32\[2\]\)/);
    assert.throws(() => nd.SequenceReverse(x, lens, { useSequenceLength: true, axis: 1 }), /SequenceReverse: sequenceLength must have shape \[4\] \(the batch axis 0 of data\), got \[3\]/);
    assert.throws(() => nd.SequenceLast(x, nd.array([[1, 2, 3]]), { useSequenceLength: true }), /SequenceLast: sequenceLength must have shape \[3\]/);
    assert.throws(() => nd.SequenceMask(x, nd.array([1, 0, 1], { dtype: 'bool' }), { useSequenceLength: true }), /SequenceMask: sequenceLength must hold numbers, not bool/);
  });

  it('axis other than 0 and 1, and data without a batch axis', () => {
    assert.throws(() => nd.SequenceMask(x, lens, { useSequenceLength: true, axis: 2 as 0 }), /SequenceMask: axis must be 0 \(\[T, B, \.\.\.\]\) or 1 \(\[B, T, \.\.\.\]\), as in MXNet; got 2/);
    assert.throws(() => nd.SequenceLast(nd.ones([3]), nd.array([1]), { useSequenceLength: true }), /SequenceLast: data must have a time and a batch axis \(rank >= 2\), got rank 1/);
    assert.throws(() => nd.SequenceMask(x, lens, { useSequenceLength: true, value: 'x' as unknown as number }), /SequenceMask: value must be a number, got "x"/);
  });
});
