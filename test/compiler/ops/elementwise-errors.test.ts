/**
 * Errors of the element-wise operators, the same on every path: the eager
 * kernel (small tensors), the eager one-node session and a compiled graph.
 */
import assert from 'node:assert/strict';
import { autograd, nd, sym } from 'gluonc';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';

describe('element-wise operator errors', () => {
  function onEveryPath(f: () => unknown): void {
    for (const threshold of [Infinity, 0]) {
      const old = setKernelThreshold(threshold);
      try {
        f();
      } finally {
        setKernelThreshold(old);
      }
    }
  }

  it('integer division by zero throws naming div (the kernel gave 0 where onnxruntime refuses)', () => {
    for (const dtype of ['int32', 'int64'] as const) {
      const a = nd.array([7, -7, 0], { dtype });
      const b = nd.array([2, 0, 1], { dtype });
      onEveryPath(() => assert.throws(() => nd.div(a, b), new RegExp(`^OpError: div: .*[Ii]nteger division by zero.*\\(inputs: ${dtype}\\[3\\], ${dtype}\\[3\\]\\)`)));
      const x = sym.var('x', { shape: [3], dtype });
      const y = sym.var('y', { shape: [3], dtype });
      assert.throws(() => sym.div(x, y).eval({ x: a, y: b }), /[Ii]nteger division by zero/);
    }
    // Floats divide by zero to infinities, and integers without a zero divisor truncate.
    onEveryPath(() => assert.deepEqual(nd.div(nd.array([1, -1]), nd.array([0, 0])).toArray(), [Infinity, -Infinity]));
    onEveryPath(() => assert.deepEqual(nd.div(nd.array([7, -7], { dtype: 'int32' }), nd.array([2, 2], { dtype: 'int32' })).toArray(), [3, -3]));
  });

  it("MXNet's elemwiseAdd/Sub/Mul/Div refuse different shapes (no broadcasting) and equal the broadcasting forms on equal ones", () => {
    for (const op of ['elemwiseAdd', 'elemwiseSub', 'elemwiseMul', 'elemwiseDiv'] as const) {
      onEveryPath(() => assert.throws(() => nd[op](nd.ones([2, 3]), nd.ones([3])), new RegExp(`^OpError: ${op}: needs two inputs of the same shape.*\\(inputs: float32\\[2, 3\\], float32\\[3\\]\\)`)));
      assert.throws(() => sym[op](sym.var('x', { shape: [2, 3] }), sym.var('y', { shape: [2, 1] })), new RegExp(`${op}: needs two inputs of the same shape`));
    }
    const a = nd.array([[1, 2], [3, 4]]);
    const b = nd.array([[2, 2], [4, 8]]);
    assert.deepEqual(nd.elemwiseAdd(a, b).toArray(), [[3, 4], [7, 12]]);
    assert.deepEqual(nd.elemwiseDiv(a, b).toArray(), [[0.5, 1], [0.75, 0.5]]);
    assert.deepEqual(a.elemwiseMul(b).toArray(), [[2, 4], [12, 32]]);
  });

  it("MXNet's addN (ElementWiseSum) refuses different shapes, dtypes and no inputs; its gradient is the head's for every input", () => {
    onEveryPath(() => assert.throws(() => nd.addN(nd.ones([2, 3]), nd.ones([2, 3]), nd.ones([3])), /^OpError: addN: needs inputs of one shape \(it does not broadcast\), got \[2, 3\], \[2, 3\], \[3\]/));
    assert.throws(() => nd.addN(nd.ones([2]), nd.ones([2], { dtype: 'float64' })), /addN: inputs have different dtypes float32 and float64/);
    assert.throws(() => nd.addN(), /addN/);
    assert.throws(() => sym.ElementWiseSum(sym.var('x', { shape: [2, 3] }), sym.var('y', { shape: [2, 1] })), /addN: needs inputs of one shape/);
    // 0.1 + 0.2 + 0.3 in float32, left to right, rounded after each addition: fround(fround(0.1 + 0.2) + 0.3) (numpy: np.float32(0.1) + np.float32(0.2) + np.float32(0.3)).
    const xs = [0.1, 0.2, 0.3].map((v) => nd.array([v]));
    onEveryPath(() => assert.equal(nd.addN(...xs).item(), Math.fround(Math.fround(Math.fround(0.1) + Math.fround(0.2)) + Math.fround(0.3))));
    xs.forEach((x) => x.attachGrad());
    autograd.record(() => nd.addN(...xs).mul(nd.array([3]))).backward();
    assert.deepEqual(xs.map((x) => x.grad.item()), [3, 3, 3]);
  });
});
