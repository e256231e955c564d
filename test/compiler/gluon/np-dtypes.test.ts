/**
 * Result dtypes of `np` (and the `nd` forms they share) against numpy and
 * MXNet 2, from a dtype sweep: `where` with two plain numbers took the
 * condition's dtype (a bool condition gave [1, 1, 1] for `where(c, 5, -1)`);
 * `arange(5, { dtype })` crashed and `arange(5, null, 1, ...)` was empty.
 */
import assert from 'node:assert/strict';
import { gluon, nd, np, sym } from 'gluonc';
import { numpyRefs } from '../../helpers/numpy.js';
import { assertClose } from '../../helpers/compare.js';
import { hybridCall } from '../../helpers/layers.js';

type NDArray = nd.NDArray;
const values = (a: NDArray) => Array.from(a.data() as ArrayLike<number | bigint>, Number);
describe('np dtypes (numpy values, MXNet 2 dtypes)', () => {
  const c = np.greater(np.array([1, -1, 2]), 0);   // bool [true, false, true]

  it('where with two plain numbers: their values, in float32 (MXNet 2\'s _npi_where_scalar2), eager and hybridized', () => {
    const [r1, r2] = numpyRefs([
      { code: 'np.where(a.astype(bool), 5, -1)', inputs: [{ shape: [3], dtype: 'float64', data: [1, 0, 1] }] },
      { code: 'np.where(a.astype(bool), 0.5, -1)', inputs: [{ shape: [3], dtype: 'float64', data: [1, 0, 1] }] },
    ]);
    for (const [what, y, ref] of [
      ['np.where(c, 5, -1)', np.where(c, 5, -1), r1],
      ['nd.where(c, 5, -1)', nd.where(c, 5, -1), r1],
      ['np.where(c, 0.5, -1)', np.where(c, 0.5, -1), r2],
      ['where with an int32 condition', np.where(c.astype('int32'), 0.5, -1), r2],
    ] as const) {
      assert.equal(y.dtype, 'float32', what);
      assert.deepEqual(values(y), ref!.outs[0]!.data, what);
    }
    class W extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, cond: gluon.Tensor) {
        return F.where(cond, 5, -1);
      }
    }
    const w = new W();
    w.hybridize();
    const y = w.call(c) as NDArray;
    assert.equal(y.dtype, 'float32');
    assert.deepEqual(values(y), r1!.outs[0]!.data);
    assert.equal(sym.where(sym.var('c', { shape: [3], dtype: 'bool' }), 5, -1).dtype, 'float32');
    // One number meets the other branch's dtype, as before (MXNet 2's where_lscalar/rscalar keep it).
    assert.equal(np.where(c, np.array([1, 2, 3], { dtype: 'int64' }), 0).dtype, 'int64');
  });

  it("np.where follows np's rule for a number the other branch cannot hold (as np.add): numpy's values", () => {
    const i32 = np.array([1, 0, 3], { dtype: 'int32' });
    const u8 = np.array([1, 0, 3], { dtype: 'uint8' });
    const [half, big] = numpyRefs([
      { code: 'np.where(a.astype(bool), b, 0.5)', inputs: [{ shape: [3], dtype: 'float64', data: [1, 0, 1] }, { shape: [3], dtype: 'int32', data: [1, 0, 3] }] },
      { code: 'np.where(a.astype(bool), b.astype(np.int64), 300)', inputs: [{ shape: [3], dtype: 'float64', data: [1, 0, 1] }, { shape: [3], dtype: 'uint8', data: [1, 0, 3] }] },
    ]);
    const y1 = np.where(c, i32, 0.5);
    assert.equal(y1.dtype, 'float64');
    assert.deepEqual(values(y1), half!.outs[0]!.data, '0.5 is not truncated to 0');
    const y2 = np.where(c, u8, 300);
    assert.equal(y2.dtype, 'int64');
    assert.deepEqual(values(y2), big!.outs[0]!.data, '300 does not wrap to 44');
  });

  it('arange: a trailing options object after fewer positionals, null for an absent stop, and named errors', () => {
    for (const f of [nd.arange, np.arange]) {
      const a = (f as (...a: unknown[]) => NDArray)(5, { dtype: 'int32' });
      assert.deepEqual([a.dtype, values(a)], ['int32', [0, 1, 2, 3, 4]], 'arange(5, { dtype })');
      const b = (f as (...a: unknown[]) => NDArray)(2, 5, { dtype: 'int64' });
      assert.deepEqual([b.dtype, values(b)], ['int64', [2, 3, 4]], 'arange(2, 5, { dtype })');
      const n = (f as (...a: unknown[]) => NDArray)(5, null, 1, { dtype: 'int64' });
      assert.deepEqual(values(n), [0, 1, 2, 3, 4], 'arange(5, null, 1): numpy and MXNet read stop=None as absent');
      assert.throws(() => (f as (...a: unknown[]) => NDArray)('5'), /nd\.arange: stop must be a finite number, got "5"/);
      assert.throws(() => (f as (...a: unknown[]) => NDArray)(0, NaN), /nd\.arange: stop must be a finite number, got NaN/);
      // As F.arange: a bool range would read [0, 1, 1] (numpy refuses past 2 values).
      assert.throws(() => (f as (...a: unknown[]) => NDArray)(3, { dtype: 'bool' }), /nd\.arange: dtype bool is not supported/);
    }
  });

  it("linspace: numpy's values (endpoint, num, integer dtypes floored as numpy 2), float32 by default (MXNet 2)", () => {
    const cases: [string, () => NDArray, string][] = [
      ['np.linspace(0, 1, 5)', () => np.linspace(0, 1, 5), 'np.linspace(0, 1, 5)'],
      ['np.linspace(2, 3, 4, { endpoint: false })', () => np.linspace(2, 3, 4, { endpoint: false }), 'np.linspace(2, 3, 4, endpoint=False)'],
      ['np.linspace(-1, 1, 5, { dtype: int32 })', () => np.linspace(-1, 1, 5, { dtype: 'int32' }), 'np.linspace(-1, 1, 5, dtype=np.int32)'],
      ['np.linspace(0, 1, 1)', () => np.linspace(0, 1, 1), 'np.linspace(0, 1, 1)'],
      ['np.linspace(0, 1, 0)', () => np.linspace(0, 1, 0), 'np.linspace(0, 1, 0)'],
      ['np.linspace(5, -5) (num 50)', () => np.linspace(5, -5, undefined, { dtype: 'float64' }), 'np.linspace(5, -5)'],
    ];
    const refs = numpyRefs(cases.map(([, , code]) => ({ code, inputs: [] })));
    cases.forEach(([what, f], i) => {
      const y = f();
      assert.equal(y.dtype, what.includes('int32') ? 'int32' : what.includes('num 50') ? 'float64' : 'float32', what);
      assert.deepEqual(y.shape, refs[i]!.outs[0]!.shape, what);
      const want = refs[i]!.outs[0]!.data as number[];
      const got = values(y);
      got.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) <= (y.dtype === 'float32' ? 1e-7 : 0) * Math.max(1, Math.abs(want[k]!)), `${what}[${k}]: ${v} vs ${want[k]}`));
    });
    assert.throws(() => np.linspace(0, 1, -1), /np\.linspace: num must be a non-negative integer, got -1/);
    assert.throws(() => np.linspace(0, 1, 5, { retstep: true } as never), /np\.linspace: unknown option 'retstep'/);
  });

  it('max, min, argmax and argmin of bool (numpy takes them; they were refused), eager, large and hybridized', () => {
    const m = np.greater(np.array([[0, 2, 3], [-1, -2, 0]]), 0);   // [[F, T, T], [F, F, F]]
    const data = [0, 1, 1, 0, 0, 0];
    const refs = numpyRefs(['np.max(a, axis=1)', 'np.min(a, axis=0)', 'np.argmax(a, axis=1)', 'np.argmin(a)'].map((code) => ({ code, inputs: [{ shape: [2, 3], dtype: 'bool', data }] })));
    class Any extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        return F.max(x, { axis: 1 });
      }
    }
    const net = new Any();
    net.hybridize();
    for (const [what, y, ref, dtype] of [
      ['np.max', np.max(m, { axis: 1 }), refs[0], 'bool'], ['hybridized max', net.call(m) as NDArray, refs[0], 'bool'],
      ['m.min(0)', m.min(0), refs[1], 'bool'], ['np.argmax', np.argmax(m, { axis: 1 }), refs[2], 'int64'], ['np.argmin', np.argmin(m), refs[3], 'int64'],
    ] as const) {
      assert.equal(y.dtype, dtype, what);
      assert.deepEqual(values(y), ref!.outs[0]!.data, what);
    }
    const big = np.greater(np.arange(0, 3000).reshape([1, 3000]), 2000);   // a one-node session
    assert.deepEqual([values(np.argmax(big, { axis: 1 })), values(np.max(big, { axis: 1 })), values(np.min(big, { axis: 1 }))], [[2001], [1], [0]]);
  });

  it('negative of uint8 wraps as numpy (and MXNet\'s uint8 kernels); it was refused', () => {
    const small = np.array([0, 1, 200, 255], { dtype: 'uint8' });
    const big = np.array(Array.from({ length: 3000 }, (_v, i) => i % 256), { dtype: 'uint8' });   // a one-node session
    const refs = numpyRefs([small, big].map((x) => ({ code: '-a', inputs: [{ shape: x.shape, dtype: 'uint8', data: values(x) }] })));
    [small, big].forEach((x, i) => {
      const y = np.negative(x);
      assert.equal(y.dtype, 'uint8');
      assert.deepEqual(values(y), refs[i]!.outs[0]!.data);
    });
  });

  it("float functions of integer and bool arrays compute in float32 (numpy's rule, MXNet's default float); nd keeps the integer dtype (MXNet 1.x)", () => {
    const data = [0, 1, 2, 3, 5, 20];
    const fns = ['sqrt', 'exp', 'log', 'log1p', 'expm1', 'sin', 'cos', 'tanh', 'floor', 'ceil'] as const;
    const refs = numpyRefs(fns.map((f) => ({ code: `np.${f}(a.astype(np.float32))`, inputs: [{ shape: [6], dtype: 'int32', data }] })));
    fns.forEach((f, i) => {
      for (const dtype of ['int32', 'int64', 'uint8', 'bool'] as const) {
        const x = np.array(dtype === 'bool' ? data.map((v) => +(v > 2)) : data, { dtype });
        const y = (np[f] as (a: NDArray) => NDArray)(x);
        assert.equal(y.dtype, 'float32', `np.${f} of ${dtype}`);
        if (dtype !== 'bool') assertClose(values(y), refs[i]!.outs[0]!.data, `np.${f} of ${dtype}`, 1e-6, 0);
      }
      assert.equal((nd[f] as (a: NDArray) => NDArray)(nd.array(data, { dtype: 'int32' })).dtype, 'int32', `nd.${f}`);
    });
    // sigmoid stays float-only, with the way out in its error.
    assert.throws(() => nd.sigmoid(nd.array([1], { dtype: 'int32' })), /sigmoid: dtype int32 is not supported \(supported: float32, float64, float16\); cast first: x\.astype\('float32'\)/);
  });

  it("nansum and nanprod: NaN counts as 0 and 1 (numpy's values), bool counts in int64 as sum does", () => {
    const x = np.array([[1, NaN, 2], [NaN, NaN, NaN]]);
    const [s, p] = numpyRefs([
      { code: 'np.nansum(a, axis=1)', inputs: [{ shape: [2, 3], dtype: 'float32', data: [1, 'nan', 2, 'nan', 'nan', 'nan'] as never }] },
      { code: 'np.nanprod(a, axis=1)', inputs: [{ shape: [2, 3], dtype: 'float32', data: [1, 'nan', 2, 'nan', 'nan', 'nan'] as never }] },
    ]);
    assert.deepEqual(values(np.nansum(x, { axis: 1 })), s!.outs[0]!.data);
    assert.deepEqual(values(np.nanprod(x, { axis: 1 })), p!.outs[0]!.data);
    const b = np.nansum(np.greater(np.array([1, -1, 2]), 0));
    assert.deepEqual([b.dtype, values(b)], ['int64', [2]]);
    assert.deepEqual(values(nd.nansum(x, 1)), [3, 0], "nd.nansum (MXNet 1.x's)");
  });
  it("one-sided clip of an integer array keeps its dtype and values (numpy's np.clip(a, None, 3)); it was refused. Bounds beyond the dtype saturate. Eager, hybridized, int8 to uint64", () => {
    const data = [-128, -3, 0, 3, 4, 127];
    const cases: [string, NDArray, (x: NDArray) => NDArray, string][] = [];
    for (const dtype of ['int8', 'uint8', 'int16', 'int32', 'int64', 'uint64'] as const) {
      const xs = dtype.startsWith('u') ? data.map((v) => Math.abs(v)) : data;
      const x = np.array(xs, { dtype });
      cases.push([`np.clip(${dtype}, null, 3)`, x, (a) => np.clip(a, null, 3), 'np.clip(a, None, 3)']);
      cases.push([`${dtype}.clip(0)`, x, (a) => a.clip(0), 'np.clip(a, 0, None)']);
      cases.push([`np.clip(${dtype}, 4, null) (the bound equal to an element)`, x, (a) => np.clip(a, 4, null), 'np.clip(a, 4, None)']);
      // Bounds beyond the dtype's range clip nothing on that side (they wrapped into it in compiled graphs: uint8's 300 became 44).
      cases.push([`np.clip(${dtype}, -1000, 300)`, x, (a) => np.clip(a, -1000, 300), 'np.clip(a.astype(np.int64), -1000, 300).astype(a.dtype)']);
      cases.push([`np.clip(${dtype}, null, 2 ** 40)`, x, (a) => np.clip(a, null, 2 ** 40), 'np.clip(a.astype(np.float64), None, 2.0 ** 40).astype(a.dtype)']);
    }
    const refs = numpyRefs(cases.map(([, x, , code]) => ({ code, inputs: [{ shape: x.shape as number[], dtype: x.dtype, data: values(x) }] })));
    cases.forEach(([what, x, f, code], i) => {
      const ref = refs[i]!;
      assert.equal(ref.error, undefined, `${what}: ${ref.error}`);
      for (const [how, y] of [['eager', f(x)], ['hybridized', hybridCall(f, x)]] as const) {
        assert.equal(y.dtype, x.dtype, `${what} ${how}: dtype (numpy: ${code} keeps it)`);
        assert.deepEqual(values(y), ref.outs[0]!.data, `${what} ${how}`);
      }
    });
    assert.throws(() => np.clip(np.array([1], { dtype: 'int32' }), null, null), /clip: needs aMin or aMax/);
    // A bound past the far end (every element would become a value the dtype cannot hold) is refused, as numpy 2 refuses it.
    assert.throws(() => np.clip(np.array([1, 250], { dtype: 'uint8' }), 2 ** 40, null), /clip: bound 1099511627776 is outside uint8's range \[0, 255\]: every element would become it/);
    assert.throws(() => np.clip(np.array([1], { dtype: 'int8' }), null, -129), /clip: bound -129 is outside int8's range \[-128, 127\]/);
    assert.throws(() => np.clip(np.array([1], { dtype: 'int32' }), 'a' as never, null), /clip: needs numbers aMin and aMax \(one may be null\), got "a" and null/);
  });
  it("concatenate and stack of mixed dtypes are refused as MXNet 2's are (ConcatType: 'Non-uniform data type in Concat'; _npi_stack's ElemwiseType), naming both dtypes; numpy would promote", () => {
    const i32 = np.array([1, 2], { dtype: 'int32' });
    const f32 = np.array([0.5, 2]);
    assert.throws(() => np.concatenate([i32, f32]), /concat: inputs have different dtypes int32 and float32; cast one/);
    assert.throws(() => np.stack([f32, np.array([1, 2], { dtype: 'float16' })]), /stack: inputs have different dtypes float32 and float16; cast one/);
    assert.deepEqual(values(np.concatenate([i32.astype('float32'), f32])), [1, 2, 0.5, 2]);
  });
});
