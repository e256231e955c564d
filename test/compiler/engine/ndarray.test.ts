import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { autograd, gluon, nd, random, profiler } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

describe('nd arrays', () => {
  it('creates from nested arrays, flat arrays with a shape, and typed arrays', () => {
    const a = nd.array([[1, 2], [3, 4]]);
    assert.deepEqual(a.shape, [2, 2]);
    assert.equal(a.dtype, 'float32');
    assert.equal(a.size, 4);
    assert.equal(a.ndim, 2);
    assert.deepEqual(a.toArray(), [[1, 2], [3, 4]]);
    const b = nd.array([1, 2, 3, 4, 5, 6], { shape: [2, 3], dtype: 'int32' });
    assert.deepEqual(b.toArray(), [[1, 2, 3], [4, 5, 6]]);
    assert.ok(b.data() instanceof Int32Array);
    const c = nd.array(new Float64Array([0.5, 1.5]));
    assert.equal(c.dtype, 'float32');
    assert.deepEqual(c.toArray(), [0.5, 1.5]);
    assert.equal(nd.array(7).item(), 7);
    assert.deepEqual(nd.array([1, 2], { dtype: 'int64' }).data(), BigInt64Array.of(1n, 2n));
    assert.deepEqual(nd.array([1.5, -2], { dtype: 'float16' }).toArray(), [1.5, -2]);
  });

  it('copies a typed array into the tensor, converting as a typed array store does (ECMAScript ToInt32, fround)', () => {
    const src = Float32Array.of(1.75, -2.5, 0.1, NaN);
    const f = nd.array(src, { shape: [2, 2] });
    const got = f.data() as Float32Array;
    assert.deepEqual(Array.from(got), [1.75, -2.5, Math.fround(0.1), NaN]);
    src[0] = 9;
    assert.equal(got[0], 1.75, 'the array owns a copy, not the caller buffer');
    assert.equal((nd.array(Float64Array.of(0.1)).data() as Float32Array)[0], Math.fround(0.1));
    // float -> int32 truncates toward zero; 3e9 wraps modulo 2^32 (ToInt32): 3e9 - 2^32 = -1294967296.
    assert.deepEqual(Array.from(nd.array(Float64Array.of(1.75, -2.5, -0.5, 3e9), { dtype: 'int32' }).data() as Int32Array), [1, -2, 0, -1294967296]);
    assert.deepEqual(nd.array(Int32Array.of(3, -4), { dtype: 'int64' }).data(), BigInt64Array.of(3n, -4n));
    assert.deepEqual(nd.array(Uint8Array.of(1, 255), { dtype: 'float16' }).toArray(), [1, 255]);
    assert.deepEqual(nd.array(BigInt64Array.of(5n, -6n) as never).toArray(), [5, -6]);
    assert.throws(() => nd.array(Float32Array.of(1, NaN), { dtype: 'int32' }), /nd.array: values must be numbers \(not NaN for int32\)/);
    assert.throws(() => nd.array(Float32Array.of(1, 2, 3), { shape: [2, 2] }), /shape \[2, 2\] needs 4 values, got 3/);
  });

  it('refuses ragged arrays, wrong sizes, bad dtypes and bad shapes with a message', () => {
    assert.throws(() => nd.array([[1, 2], [3]]), /ragged/);
    // Not numbers: an Error naming the element, never NaN or 0 (numbers, booleans and bigints convert).
    assert.throws(() => nd.array(['a', 'b'] as never), /nd.array: element 0 is the string "a", not a number/);
    assert.throws(() => nd.array([1, null] as never), /nd.array: element 1 is null, not a number/);
    assert.throws(() => nd.array([[1, 2], [3, undefined]] as never), /nd.array: element 3 is undefined, not a number/);
    assert.throws(() => nd.array([{}, 1] as never), /nd.array: element 0 is object, not a number/);
    assert.deepEqual(nd.array([true, false, 2n, 3] as never).toArray(), [1, 0, 2, 3]);
    assert.throws(() => nd.array([1, 2, 3], { shape: [2, 2] }), /shape \[2, 2\] needs 4 values, got 3/);
    assert.throws(() => nd.array([1], { dtype: 'complex64' as never }), /unsupported dtype "complex64"/);
    assert.throws(() => nd.zeros([2, -1]), /nd.zeros: invalid shape/);
    assert.throws(() => nd.array([1, 2]).item(), /item: the array has 2 elements/);
    // MXNet 1.x's asscalar(), kept by ports: the one element of shape [1] (or []), an Error naming the shape otherwise.
    assert.equal(nd.array([2.5]).asscalar(), 2.5);
    assert.equal(nd.array(-3).asscalar(), -3);
    assert.throws(() => nd.array([[1, 2]]).asscalar(), /asscalar: the array has 2 elements \(shape \[1, 2\]\), not 1/);
  });

  it('int64 arrays keep bigint values exactly; listed integers out of the dtype range are refused (numpy), not wrapped', () => {
    const big = 2n ** 62n + 1n;
    assert.deepEqual(Array.from(nd.array([big, -big, 3n] as never, { dtype: 'int64' }).data() as BigInt64Array), [big, -big, 3n]);
    assert.deepEqual(Array.from(nd.array(BigInt64Array.of(big, 5n) as never, { dtype: 'int64' }).data() as BigInt64Array), [big, 5n]);
    assert.deepEqual(Array.from(nd.array([[9007199254740993n, 1n]] as never, { dtype: 'int64' }).add(1).data() as BigInt64Array), [9007199254740994n, 2n]);
    assert.throws(() => nd.array([2n ** 63n] as never, { dtype: 'int64' }), /nd\.array: element 0 \(9223372036854775808\) is out of range for int64 \[-9223372036854775808, 9223372036854775807\]/);
    assert.throws(() => nd.array([1, 300], { dtype: 'int8' }), /nd\.array: element 1 \(300\) is out of range for int8 \[-128, 127\]/);
    assert.throws(() => nd.array([-1], { dtype: 'uint8' }), /nd\.array: element 0 \(-1\) is out of range for uint8 \[0, 255\]/);
    assert.throws(() => nd.array([2 ** 31], { dtype: 'int32' }), /nd\.array: element 0 \(2147483648\) is out of range for int32/);
    assert.throws(() => nd.array([Infinity], { dtype: 'int32' }), /nd\.array: element 0 \(Infinity\) is out of range for int32/);
    // In range, a fraction truncates toward zero as numpy's conversion does.
    assert.deepEqual(nd.array([1.7, -1.7], { dtype: 'int32' }).toArray(), [1, -1]);
    // toArray() and item() give numbers: an int64 past ±(2^53 − 1) (which a number would round) is an Error, not a rounded value.
    assert.deepEqual(nd.array([9007199254740991n, -9007199254740991n] as never, { dtype: 'int64' }).toArray(), [9007199254740991, -9007199254740991]);
    assert.throws(() => nd.array([[1n, 9007199254740993n]] as never, { dtype: 'int64' }).toArray(), /toArray: the int64 value 9007199254740993 is beyond ±\(2\^53 − 1\), where a number does not hold it exactly; read it with data\(\)/);
    assert.throws(() => nd.array([-(2n ** 60n)] as never, { dtype: 'int64' }).item(), /item: the int64 value -1152921504606846976 is beyond/);
    assert.equal(nd.array([-(2n ** 53n) + 1n] as never, { dtype: 'int64' }).item(), -(2 ** 53) + 1);
  });

  it('creation functions', () => {
    assert.deepEqual(nd.zeros([2, 2]).toArray(), [[0, 0], [0, 0]]);
    assert.deepEqual(nd.ones([3], { dtype: 'int32' }).toArray(), [1, 1, 1]);
    assert.deepEqual(nd.full([2], 7).toArray(), [7, 7]);
    assert.deepEqual(nd.arange(0, 5).toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(nd.arange(3).toArray(), [0, 1, 2]);
    assert.deepEqual(nd.arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
  });

  it('prints like MXNet (numpy str() of the values, padded to a common width; test/runtime/format-values.test.ts compares with numpy)', () => {
    assert.equal(nd.array([1, 2, 3]).toString(), '[1. 2. 3.]\n<NDArray 3 @cpu(0)>');
    // numpy: str(np.array([[0.5, 1], [2, 3]], dtype=np.float32))
    assert.equal(nd.array([[0.5, 1], [2, 3]]).toString(), '[[0.5 1. ]\n [2.  3. ]]\n<NDArray 2x2 @cpu(0)>');
    assert.equal(nd.array([1, 2], { dtype: 'int32' }).toString(), '[1 2]\n<NDArray 2 @cpu(0)>');
    assert.equal(nd.array([2n ** 60n + 1n, -3n] as never, { dtype: 'int64' }).toString(), '[1152921504606846977                  -3]\n<NDArray 2 @cpu(0)>', 'int64 prints every digit');
    // console.log shows the same text, not the object's fields.
    assert.equal(inspect(nd.array([1, 2])), '[1. 2.]\n<NDArray 2 @cpu(0)>');
  });

  it('random.seed makes every draw repeatable', () => {
    random.seed(42);
    const a = nd.random.uniform(-10, 10, [5, 2]).toArray();
    const b = nd.random.normal(0, 1, [3]).toArray();
    random.seed(42);
    assert.deepEqual(nd.random.uniform(-10, 10, [5, 2]).toArray(), a);
    assert.deepEqual(nd.random.normal(0, 1, [3]).toArray(), b);
    random.seed(43);
    assert.notDeepEqual(nd.random.uniform(-10, 10, [5, 2]).toArray(), a);
    const u = nd.random.uniform(-10, 10, [1000]).data() as Float32Array;
    assert.ok(u.every((v) => v >= -10 && v < 10));
    const n = Array.from(nd.random.normal(3, 2, [20000]).data() as Float32Array);
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    assert.ok(Math.abs(mean - 3) < 0.06 && Math.abs(sd - 2) < 0.06, `mean ${mean}, sd ${sd}`);
  });

  it('operators are functions and methods, accept numbers, and run eagerly', () => {
    const x = nd.array([1, 2, 3]);
    assert.deepEqual(nd.add(x, 1).toArray(), [2, 3, 4]);
    assert.deepEqual(x.mul(2).sub(1).toArray(), [1, 3, 5]);
    assert.deepEqual(nd.broadcastDiv(x, nd.array([2])).toArray(), [0.5, 1, 1.5]);
    assert.deepEqual(nd.sub(10, x).toArray(), [9, 8, 7]);
    profiler.reset();
    nd.relu(x);
    assert.equal(profiler.counters().eagerOps, 1);
  });

  // nd keeps MXNet 1.x's rule: a number meeting an integer array takes its dtype, truncated as C++'s
  // DType(scalar) (numpy's astype). int64 threw a raw RangeError ("0.5 cannot be converted to a BigInt").
  it('a non-integer number meeting an integer array is truncated to its dtype, int64 included, eager and hybridized', () => {
    class AddHalf extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        return F.mul(F.add(x, -2.7), 2.5);
      }
    }
    // numpy: (x + np.int64(np.float64(-2.7).astype(np.int64))) * np.float64(2.5).astype(np.int64) = (x - 2) * 2
    for (const dtype of ['int64', 'int32', 'int8'] as const) {
      const x = nd.array([5, -5, 0], { dtype });
      assert.deepEqual(nd.add(x, 0.5).toArray(), [5, -5, 0], dtype);
      const block = new AddHalf();
      assert.deepEqual((block.call(x) as nd.NDArray).toArray(), [6, -14, -4], `${dtype} eager`);
      block.hybridize();
      assert.deepEqual((block.call(x) as nd.NDArray).toArray(), [6, -14, -4], `${dtype} hybridized`);
    }
  });

  it('the seed normalization runs eagerly: [1, 2, 3] -> [0, 0.5, 1]', () => {
    const x = nd.array([1, 2, 3]);
    const y = x.sub(nd.min(x)).div(nd.max(x).sub(nd.min(x)));
    assert.deepEqual(y.toArray(), [0, 0.5, 1]);
    const z = nd.broadcastDiv(nd.broadcastSub(x, nd.min(x)), nd.broadcastSub(nd.max(x), nd.min(x)));
    assert.deepEqual(z.toArray(), [0, 0.5, 1]);
  });

  it('large tensors run through a cached onnxruntime session; small ones do not create sessions', () => {
    const big = nd.ones([100, 100]);
    profiler.reset();
    nd.relu(big);
    nd.relu(nd.ones([50, 300]));
    const c = profiler.counters();
    assert.ok(c.sessionsCreated <= 1, `sessions created: ${c.sessionsCreated}`);
    assert.equal(c.sessionRuns, 2);
    profiler.reset();
    nd.relu(nd.ones([3]));
    assert.equal(profiler.counters().sessionRuns, 0);
  });

  it('an eager operator error names the operator and shapes', () => {
    assert.throws(() => nd.add(nd.zeros([2, 3]), nd.zeros([4])), /^OpError: add: shapes \[2, 3\] and \[4\] do not broadcast \(inputs: float32\[2, 3\], float32\[4\]\)$/);
    assert.throws(() => nd.add(nd.zeros([2]), nd.zeros([2], { dtype: 'int32' })), /add: inputs have different dtypes float32 and int32/);
    assert.throws(() => nd.sigmoid(nd.zeros([2], { dtype: 'int32' })), /sigmoid: dtype int32 is not supported .*; cast first: x\.astype\('float32'\)/);
    assert.throws(() => (nd as unknown as { relu: (...a: unknown[]) => unknown }).relu('x'), /relu: input 'data' must be a tensor or a number, got string "x"/);
    assert.throws(() => (nd.clip as (...a: unknown[]) => unknown)(nd.zeros([2]), 0, 1, { bogus: 1 }), /clip: unknown option 'bogus'/);
  });
});

describe('random.seed and dropout', () => {
  it('random.seed repeats dropout masks too', () => {
    const x = nd.ones([64]);
    random.seed(5);
    const a = nd.Dropout(x, { p: 0.5, mode: 'always' }).toArray();
    random.seed(5);
    assert.deepEqual(nd.Dropout(x, { p: 0.5, mode: 'always' }).toArray(), a);
    const s = random.getState();
    const u = nd.random.uniform(0, 1, [3]).toArray();
    random.setState(s);
    assert.deepEqual(nd.random.uniform(0, 1, [3]).toArray(), u);
  });
});

/** A HybridBlock running `fn` on its input: the same code eagerly and hybridized. */
class Fn extends gluon.HybridBlock {
  constructor(private readonly fn: (F: gluon.F, x: gluon.Tensor) => gluon.Tensor) {
    super();
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    return this.fn(F, x);
  }
}

describe('nd indexing, ordering and reductions: eager, hybridized and numpy agree', () => {
  const x = nd.array([[3, -1, 3, 0.5], [2, 2, -7, 1], [0, 5, 5, 5]]);
  const idx = (v: number[]) => nd.array(v);
  // [what, the code, its input, numpy (a = the input)]; ties, negative steps, out-of-range indices and empty axes on purpose.
  const cases: [string, (F: gluon.F, x: gluon.Tensor) => gluon.Tensor, nd.NDArray, string][] = [
    ['slice, negative steps', (F, t) => F.slice(t, { begin: [null, -1], end: [null, null], step: [-1, -2] }), x, 'a[::-1, -1::-2]'],
    ['slice clipped as numpy', (F, t) => F.slice(t, { begin: [-10, 2], end: [10, 100] }), x, 'a[-10:10, 2:100]'],
    ['sliceAxis from the end', (F, t) => F.sliceAxis(t, { axis: -1, begin: -3, end: -1 }), x, 'a[:, -3:-1]'],
    ['take clip', (F, t) => F.take(t, idx([-1, 0, 5]) as never, { axis: 1 }), x, 'np.take(a, [0, 0, 3], axis=1)'],
    ['take wrap', (F, t) => F.take(t, idx([-1, 4, -5]) as never, { axis: 0, mode: 'wrap' }), x, 'np.take(a, [-1, 4, -5], axis=0, mode="wrap")'],
    ['pick wrap', (F, t) => F.pick(t, idx([-1, 5, 9]) as never, { axis: 1, mode: 'wrap' }), x, 'a[np.arange(3), np.array([-1, 5, 9]) % 4]'],
    ['argmax ties: the first', (F, t) => F.argmax(t, { axis: 1 }), x, 'np.argmax(a, axis=1)'],
    ['argsort stable', (F, t) => F.argsort(t, { axis: 1 }), x, 'np.argsort(a, axis=1, kind="stable")'],
    ['sort axis 0', (F, t) => F.sort(t, { axis: 0 }), x, 'np.sort(a, axis=0)'],
    ['topk ties: the lower index', (F, t) => F.topk(t, { k: 2, axis: 1 }) as gluon.Tensor, x, 'np.argsort(-a, axis=1, kind="stable")[:, :2]'],
    ['cumsum reverse', (F, t) => F.cumsum(t, { axis: 1, reverse: true }), x, 'np.flip(np.cumsum(np.flip(a, 1), axis=1), 1)'],
    ['sum over an axis list with a negative axis, keepdims', (F, t) => F.sum(t, { axis: [-1, 0], keepdims: true }), x, 'np.sum(a, axis=(1, 0), keepdims=True)'],
    ['mean over an empty axis', (F, t) => F.mean(t, { axis: 1 }), nd.zeros([2, 0]), 'import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter("ignore")\n    out = np.mean(a, axis=1)'],
    ['reshape with MXNet codes', (F, t) => F.reshape(t, [-4, 1, -1, -2]), x, 'a.reshape(1, 3, 4)'],
  ];

  it('every case, eagerly and hybridized, matches numpy', () => {
    const refs = numpyRefs(cases.map(([, , input, code]) => ({ code, inputs: [{ shape: input.shape, dtype: 'float64', data: Array.from(input.data() as Float32Array) }] })));
    cases.forEach(([what, fn, input], i) => {
      const r = refs[i]!;
      assert.ok(!r.error, `${what}: numpy failed: ${r.error}`);
      const block = new Fn(fn);
      const eager = block.call(input) as nd.NDArray;
      block.hybridize();
      const hybrid = block.call(input) as nd.NDArray;
      for (const [path, y] of [['eager', eager], ['hybridized', hybrid]] as const) {
        assert.deepEqual(y.shape, r.outs[0]!.shape, `${what} (${path}): shape`);
        assertClose(Array.from(y.data() as Float32Array, Number), r.outs[0]!.data, `${what} (${path}) vs numpy`, 0, 1e-6);
      }
    });
  });
});

describe('int64 past 2^53: exact on every path', () => {
  const big = 2n ** 60n;
  const values = [big, 1n, 3n, -(2n ** 62n) + 7n, 2n ** 53n + 1n];
  const exact = values.reduce((a, b) => a + b, 0n);
  const x = nd.array(values as never, { dtype: 'int64' });

  it("sum (onnxruntime's int64 ReduceSum rounds through float64), eagerly and hybridized", () => {
    assert.deepEqual(Array.from(nd.sum(x).data() as BigInt64Array), [exact]);
    const rows = nd.array([...values, ...values.map((v) => -v + 1n)] as never, { dtype: 'int64', shape: [2, 5] });
    assert.deepEqual(Array.from(nd.sum(rows, { axis: 1, keepdims: true }).data() as BigInt64Array), [exact, -exact + 5n]);
    const block = new Fn((F, t) => F.sum(t, { axis: 0 }));
    block.hybridize();
    assert.deepEqual(Array.from((block.call(x) as nd.NDArray).data() as BigInt64Array), [exact]);
    const i32 = nd.array([2 ** 31 - 1, 2 ** 31 - 1, -5], { dtype: 'int32' });
    assert.deepEqual(Array.from(nd.sum(i32).data() as Int32Array), [-7], 'an int32 sum stays int32 and wraps, as MXNet (numpy would promote to int64)');
  });
});


describe("creation functions with MXNet's positional arguments (dtype never silently dropped)", () => {
  it("take the dtype where MXNet's random functions put it, as a name in place of the options object", () => {
    assert.equal(nd.random.uniform(0, 1, [2], 'float64' as never).dtype, 'float64');
    assert.equal(nd.random.normal(0, 1, [2], 'float16' as never).dtype, 'float16');
    assert.equal(nd.zeros([2], 'int32' as never).dtype, 'int32');
    assert.deepEqual(nd.full([2], 7, 'int64' as never).toArray(), [7, 7]);
    assert.equal(nd.array([1, 2], 'float64' as never).dtype, 'float64');
  });

  it('refuse an argument after the options (MXNet\'s nd.array(x, ctx, dtype)), a non-object or an unknown option, by name', () => {
    assert.throws(() => (nd.array as (...a: unknown[]) => unknown)([1, 2], undefined, 'float64'), /nd\.array: unexpected argument 3 \("float64"\); give options as \{ dtype, shape \}/);
    assert.throws(() => (nd.zeros as (...a: unknown[]) => unknown)([2, 3], undefined, 'float16'), /nd\.zeros: unexpected argument 3 \("float16"\)/);
    assert.throws(() => (nd.random.uniform as (...a: unknown[]) => unknown)(0, 1, [2], { dtype: 'float64' }, 'cpu'), /nd\.random\.uniform: unexpected argument 5 \("cpu"\)/);
    assert.throws(() => nd.ones([2], { ctx: 'cpu' } as never), /nd\.ones: unknown option 'ctx' \(valid: dtype\)/);
    assert.throws(() => nd.zeros([2], 3 as never), /nd\.zeros: the options must be an object \(\{ dtype \}\) or a dtype name, got 3/);
    assert.throws(() => nd.zeros([2], 'float' as never), /nd\.zeros.*float/);
  });
});

describe("copyto: MXNet's in-place copy (Python's x[:] = y)", () => {
  it('writes the values into the destination, cast to its dtype; shapes must match; not into a recorded array needing a gradient', () => {
    const dst = nd.zeros([2, 2], { dtype: 'int32' });
    const same = nd.array([[1.7, -2.2], [3, 4]]).copyto(dst);
    assert.equal(same, dst);
    assert.deepEqual([dst.dtype, dst.toArray()], ['int32', [[1, -2], [3, 4]]]);
    assert.throws(() => nd.ones([3]).copyto(dst), /copyto: shapes differ: the source is \[3\], the destination \[2, 2\]/);
    assert.throws(() => nd.ones([2]).copyto('cpu' as never), /copyto: the destination must be an NDArray/);
    const w = nd.ones([2]);
    w.attachGrad();
    assert.throws(() => autograd.record(() => nd.zeros([2]).copyto(w)), /copyto: an in-place write into an array that needs a gradient while recording/);
    nd.zeros([2]).copyto(w);
    assert.deepEqual(w.toArray(), [0, 0]);
  });
});

describe("at(i): Python's x[i] (d2l's state[0][-1])", () => {
  it('takes item i along axis 0 (negative from the end), as numpy indexing; differentiable; out of range is an Error', () => {
    const x = nd.arange(0, 24).reshape([2, 3, 4]);
    const rows = x.toArray() as number[][][];
    assert.deepEqual(x.at(-1).toArray(), rows[1]);
    assert.deepEqual(x.at(0).at(1).toArray(), rows[0]![1]);
    const last = x.at(1).at(2).at(-1);
    assert.deepEqual([last.shape, last.item()], [[], 23]);
    assert.throws(() => x.at(2), /at: index 2 is out of range for axis 0 of size 2/);
    assert.throws(() => x.at(-3), /at: index -3 is out of range/);
    assert.throws(() => nd.array(1).at(0), /at: a 0-d array has no axis to index/);
    const w = nd.ones([3, 2]);
    w.attachGrad();
    autograd.record(() => w.at(-1).mul(nd.array([2, 5])).sum()).backward();
    assert.deepEqual(w.grad.toArray(), [[0, 0], [0, 0], [2, 5]]);
  });

  it('in a hybridized block (Symbol.at), the same items, at two sizes of the first axis', () => {
    class Last extends gluon.HybridBlock {
      override forward(x: nd.NDArray): nd.NDArray {
        return x.at(-1).at(1);
      }
    }
    const net = new Last();
    net.hybridize();
    const x = nd.arange(0, 24).reshape([2, 3, 4]);
    assert.deepEqual((net.call(x) as nd.NDArray).toArray(), [16, 17, 18, 19]);
    assert.deepEqual((net.call(nd.arange(0, 36).reshape([3, 3, 4])) as nd.NDArray).toArray(), [28, 29, 30, 31]);
  });
});
