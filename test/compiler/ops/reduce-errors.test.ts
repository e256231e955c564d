/**
 * Error messages of the reduce operators: each names the operator, what was
 * wrong and the input's type, eagerly and while tracing.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';

describe('reduce operator errors', () => {
  const x = nd.array([[1, 5, 3], [4, 2, 6]]);
  const s = sym.var('x', { shape: ['N', 3] });

  it('axis out of range', () => {
    assert.throws(() => x.sum(2), /^OpError: sum: axis 2 is out of range for rank 2 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => nd.max(x, { axis: -3 }), /max: axis -3 is out of range for rank 2 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => s.mean({ axis: [0, 5] }), /mean: axis 5 is out of range for rank 2 \(inputs: float32\[N, 3\]\)/);
    assert.throws(() => x.argmax(2), /argmax: axis 2 is out of range for rank 2 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.argmax({ axis: 0, dtype: 'int32' as never }), /argmax: option 'dtype' must be 'float32' or 'int64', got "int32"/);
    assert.equal(x.argmin({ axis: 0, dtype: 'int64' }).dtype, 'int64');
    assert.throws(() => s.argmin({ axis: -3 }), /argmin: axis -3 is out of range for rank 2 \(inputs: float32\[N, 3\]\)/);
    assert.throws(() => x.norm({ axis: 3 }), /norm: axis 3 is out of range for rank 2 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => nd.prod(nd.array([1, 2]), 1), /prod: axis 1 is out of range for rank 1 \(inputs: float32\[2\]\)/);
  });

  it('argmax/argmin over an empty axis (numpy refuses; onnxruntime failed without a message)', () => {
    const e = nd.zeros([0, 3]);
    assert.throws(() => e.argmax(0), /^OpError: argmax: axis 0 is empty: no index to return \(inputs: float32\[0, 3\]\)/);
    assert.throws(() => nd.argmin(e), /argmin: the tensor is empty: no index to return \(inputs: float32\[0, 3\]\)/);
    assert.throws(() => sym.var('e', { shape: ['N', 0] }).argmax({ axis: -1 }), /argmax: axis -1 is empty: no index to return \(inputs: float32\[N, 0\]\)/);
    assert.equal(e.argmax(1).shape[0], 0, 'a non-empty axis of an empty tensor is fine');
  });

  // numpy raises for a reduction without identity over an empty axis; max/min gave 0 for integers eagerly,
  // the dtype's lowest value from onnxruntime and -Infinity for floats, with no error.
  it('max/min over an empty axis (numpy refuses: no identity)', () => {
    assert.throws(() => nd.max(nd.zeros([0])), /^OpError: max: the tensor is empty: no maximum \(numpy raises; there is no identity\) \(inputs: float32\[0\]\)/);
    assert.throws(() => nd.min(nd.zeros([3, 0], { dtype: 'int32' }), 1), /min: axis 1 is empty: no minimum \(numpy raises; there is no identity\) \(inputs: int32\[3, 0\]\)/);
    assert.throws(() => nd.max(nd.zeros([3000, 0], { dtype: 'int8' }), { axis: [1] }), /max: axis 1 is empty/);
    assert.throws(() => sym.var('e', { shape: ['N', 0] }).max({ axis: -1 }), /max: axis 1 is empty: no maximum/);
    assert.deepEqual(nd.max(nd.zeros([0, 3]), 1).shape, [0], 'a non-empty reduced axis of an empty tensor is fine');
    assert.equal(nd.sum(nd.zeros([0], { dtype: 'int8' })).item(), 0, 'sum and prod have identities');
  });

  it('repeated axis', () => {
    assert.throws(() => x.sum([0, 0]), /sum: axis \[0,0\] repeats an axis \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => s.min({ axis: [1, -1] }), /min: axis \[1,-1\] repeats an axis \(inputs: float32\[N, 3\]\)/);
    assert.throws(() => x.norm({ axis: [0, -2] }), /norm: axis \[0,-2\] repeats an axis \(inputs: float32\[2, 3\]\)/);
  });

  it('bad ord', () => {
    assert.throws(() => x.norm({ ord: 3 as 2 }), /norm: option 'ord' must be 1 or 2, got 3 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => s.norm({ ord: 0 as 1 }), /norm: option 'ord' must be 1 or 2, got 0 \(inputs: float32\[N, 3\]\)/);
  });

  it('malformed options and dtypes', () => {
    assert.throws(() => x.argmax({ axis: [0, 1] as unknown as number }), /argmax: option 'axis' must be one integer or null, got \[0,1\] \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.sum({ axis: 1.5 }), /sum: option 'axis' must be an integer, a list of integers or null, got 1.5 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => x.max({ keepdims: 'yes' as unknown as boolean }), /max: option 'keepdims' must be a boolean, got "yes" \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => nd.array([1, 2], { dtype: 'bool' }).mean(), /mean: dtype bool is not supported .* \(inputs: bool\[2\]\)/);
    assert.throws(() => nd.zeros([3, 0], { dtype: 'int32' }).mean(1), /mean: axis 1 is empty: no mean of int32 values \(integer 0 \/ 0; cast to a float dtype for NaN\) \(inputs: int32\[3, 0\]\)/);
    assert.throws(() => nd.array([1, 2], { dtype: 'int32' }).norm(), /norm: dtype int32 is not supported .* \(inputs: int32\[2\]\)/);
    assert.throws(() => x.sum({ axes: 1 } as never), /sum: unknown option 'axes'/);
  });

  it('valid calls still work next to the failing ones', () => {
    assert.deepEqual(x.sum(1).toArray(), [9, 12]);
    assert.deepEqual(x.sum([]).shape, []);
    assert.deepEqual(s.sum({ axis: 1, exclude: true, keepdims: true }).shape, [1, 3]);
  });
});
