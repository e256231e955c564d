/**
 * The integer dtypes int16, uint16, uint32 and uint64 end to end, against
 * numpy (python3): `nd.array` → `data()` round trips at the edges of each
 * dtype; `astype` between every pair of integer dtypes (int8 ... uint64) at
 * 0, 1, -1, the minimum and the maximum, as numpy's `astype` wraps them
 * (ONNX Cast between integers is the same C conversion), eagerly (kernel
 * and one-node session) and compiled; element-wise arithmetic and sums that
 * wrap at the edges, max and min; and the dtype rules of mixed operands: `np`'s plain numbers
 * against numpy (`promoteScalar`: numpy 2's NEP 50 result, or, for an
 * integer outside the dtype, numpy's `result_type(dtype, int64)` as MXNet 2
 * takes the number as int64), `nd`'s numbers taking the array's dtype (MXNet
 * 1.x) and two arrays of different dtypes refused by name (MXNet's
 * ElemwiseType). Skipped, with a message, without python3's numpy.
 */
import assert from 'node:assert/strict';
import { nd, np, sym } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';
import type { DType } from '../../../runtime/dtypes.js';
import { runPython } from '../../helpers/python-server.js';

const INTS = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'] as const;
const NEW = ['int16', 'uint16', 'uint32', 'uint64'] as const;
const BITS: Record<string, number> = { int8: 8, uint8: 8, int16: 16, uint16: 16, int32: 32, uint32: 32, int64: 64, uint64: 64 };
const ARRAY: Record<string, string> = { int16: 'Int16Array', uint16: 'Uint16Array', uint32: 'Uint32Array', uint64: 'BigUint64Array' };

/** 0, 1, the minimum, the maximum and (signed) -1 of an integer dtype, as bigints. */
function edges(d: string): bigint[] {
  const b = BigInt(BITS[d]!);
  return d.startsWith('u') ? [0n, 1n, 2n ** b - 1n, 2n ** (b - 1n)] : [0n, 1n, -1n, -(2n ** (b - 1n)), 2n ** (b - 1n) - 1n];
}

/** An array of `d` holding `v` exactly (bigints through the 64-bit typed arrays). */
function exact(d: DType, v: bigint[]): NDArray {
  if (d === 'int64') return nd.array(BigInt64Array.from(v) as never, { dtype: d });
  if (d === 'uint64') return nd.array(BigUint64Array.from(v) as never, { dtype: d });
  return nd.array(v.map(Number), { dtype: d });
}

const text = (x: NDArray): string[] => Array.from(x.data() as ArrayLike<number | bigint>, String);

function python(code: string): unknown {
  const r = runPython(code);
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The three ways an operator runs: eager kernel, eager one-node session, compiled graph. */
function threeWays(f: (F: typeof nd | typeof sym, ...xs: never[]) => unknown, inputs: NDArray[]): [string, NDArray][] {
  const old = setKernelThreshold(Infinity);
  try {
    const kernel = f(nd, ...(inputs as never[])) as NDArray;
    setKernelThreshold(0);
    const session = f(nd, ...(inputs as never[])) as NDArray;
    const vars = inputs.map((x, i) => sym.var(`x${i}`, { shape: x.shape, dtype: x.dtype }));
    const compiled = (f(sym, ...(vars as never[])) as sym.Symbol).eval(Object.fromEntries(inputs.map((x, i) => [`x${i}`, x]))) as NDArray;
    return [['kernel', kernel], ['session', session], ['compiled', compiled]];
  } finally {
    setKernelThreshold(old);
  }
}

describe('int16, uint16, uint32 and uint64 against numpy', function () {
  this.timeout(120_000);
  let ref: { casts: Record<string, string[]>; arith: Record<string, { dtype: string; v: string[] }>; scalars: Record<string, { dtype: string; v: string[] }>; reduce: Record<string, string[]> };
  const ARITH: [string, DType, bigint[], bigint[]][] = [];
  for (const d of NEW) {
    const e = edges(d);
    const rev = [...e].reverse();
    for (const op of ['add', 'subtract', 'multiply', 'maximum', 'minimum']) ARITH.push([op, d, e, rev]);
    ARITH.push(['multiply', d, e, e]);   // squares past 2^53 (uint32, uint64), which float64 rounds
  }
  const SCALARS = [1, 0.5, -1, 70000, 2 ** 40];

  before(function () {
    const py = `import json, numpy as np
INTS = ${JSON.stringify(INTS)}
EDGES = ${JSON.stringify(Object.fromEntries(INTS.map((d) => [d, edges(d).map(String)])))}
casts = {}
for s in INTS:
    x = np.array([int(v) for v in EDGES[s]], dtype=s)
    for t in INTS:
        casts[s + '>' + t] = [str(v) for v in x.astype(t).tolist()]
arith = {}
for op, d, a, b in ${JSON.stringify(ARITH.map(([op, d, a, b]) => [op, d, a.map(String), b.map(String)]))}:
    with np.errstate(all='ignore'):
        y = getattr(np, op)(np.array([int(v) for v in a], dtype=d), np.array([int(v) for v in b], dtype=d))
    arith[op + ' ' + d + ' ' + ','.join(b)] = {'dtype': str(y.dtype), 'v': [str(v) for v in y.tolist()]}
scalars = {}
for d in ${JSON.stringify(NEW)}:
    for s in ${JSON.stringify(SCALARS)}:
        s = int(s) if float(s).is_integer() else s
        x = np.array([1, 2], dtype=d)
        try:
            y = x + s   # numpy 2 (NEP 50): the number takes the array's dtype, a float makes float64
        except OverflowError:
            y = x.astype(np.result_type(d, np.int64)) + s   # MXNet 2: the number as int64, promoted with the array
        scalars[d + ' ' + str(s)] = {'dtype': str(y.dtype), 'v': [str(v) for v in y.tolist()]}
reduce = {}
for d in ${JSON.stringify(NEW)}:
    e = [int(v) for v in EDGES[d]]
    x = np.array([e, e[::-1], e[1:] + e[:1]], dtype=d)
    for axis in [0, None]:
        for op in ['sum', 'max', 'min']:
            y = getattr(np, op)(x, axis=axis, dtype=d) if op == 'sum' else getattr(np, op)(x, axis=axis)   # the sum kept in the dtype (wrapping), as MXNet's
            reduce[d + ' ' + op + ' ' + str(axis)] = [str(v) for v in np.ravel(y).tolist()]
print(json.dumps({'casts': casts, 'arith': arith, 'scalars': scalars, 'reduce': reduce}))`;
    try {
      ref = python(py) as typeof ref;
    } catch (e) {
      console.log(`    (skipped: python3 with numpy is needed for the references: ${(e as Error).message.split('\n')[0]})`);
      this.skip();
    }
  });

  for (const d of NEW) {
    it(`${d}: nd.array -> data() keeps 0, the minimum and the maximum exactly, in a ${ARRAY[d]}`, () => {
      const e = edges(d);
      const x = exact(d, e);
      assert.equal(x.dtype, d);
      assert.equal(x.data().constructor.name, ARRAY[d]);
      assert.deepEqual(text(x), e.map(String));
      // From a list of numbers (exact below 2^53) and back through toArray().
      const small = e.filter((v) => v <= 2n ** 53n).map(Number);
      assert.deepEqual(nd.array(small, { dtype: d }).toArray(), small);
      // A listed number outside the dtype is refused by name, as numpy refuses a Python int there.
      const over = Number(e.reduce((m, v) => (v > m ? v : m))) + 1;
      for (const v of d.startsWith('u') ? [-1, over] : [over]) {
        assert.throws(() => nd.array([v], { dtype: d }), new RegExp(`nd\\.array: element 0 \\(${v}\\) is out of range for ${d}`));
      }
      if (d === 'uint64') assert.throws(() => exact(d, [2n ** 64n - 1n]).item(), /item: the uint64 value 18446744073709551615 is beyond ±\(2\^53 − 1\)/);
    });
  }

  it('astype between every pair of integer dtypes wraps as numpy astype (eager kernel, session, compiled)', () => {
    for (const s of INTS) {
      for (const t of INTS) {
        const want = ref.casts[`${s}>${t}`]!;
        for (const [how, y] of threeWays((F, x) => (F as typeof nd).cast(x, t), [exact(s, edges(s))])) {
          assert.equal(y.dtype, t);
          assert.deepEqual(text(y), want, `${s} ${edges(s).join(', ')} astype ${t} (${how})`);
        }
      }
    }
  });

  it('add, subtract, multiply, maximum and minimum wrap at the edges as numpy', () => {
    const name: Record<string, string> = { subtract: 'sub', multiply: 'mul' };
    for (const [op, d, a, b] of ARITH) {
      const want = ref.arith[`${op} ${d} ${b.join(',')}`]!;
      for (const [how, y] of threeWays((F, x, z) => (F as unknown as Record<string, (p: unknown, q: unknown) => unknown>)[name[op] ?? op]!(x, z), [exact(d, a), exact(d, b)])) {
        assert.equal(y.dtype, want.dtype, `${op} ${d} (${how}) dtype`);
        assert.deepEqual(text(y), want.v, `${op} ${d} of ${a.join(', ')} and ${b.join(', ')} (${how})`);
      }
    }
  });

  it('sum, max and min over an axis and over all keep the dtype, the sum wrapping as numpy\'s sum(dtype=)', () => {
    assert.throws(() => nd.max(nd.array([1], { dtype: 'uint64' })), /max: dtype uint64 is not supported \(supported: /);
    for (const d of NEW) {
      const e = edges(d);
      const rows = [e, [...e].reverse(), [...e.slice(1), e[0]!]];
      const x = exact(d, rows.flat()).reshape([3, e.length]);
      for (const axis of [0, null]) {
        for (const op of ['sum', 'max', 'min'] as const) {
          if (op !== 'sum' && d === 'uint64') continue;
          for (const [how, y] of threeWays((F, v) => (F as typeof nd)[op](v, { axis }), [x])) {
            assert.equal(y.dtype, d);
            assert.deepEqual(text(y), ref.reduce[`${d} ${op} ${axis === null ? 'None' : axis}`], `${op} of ${d} over ${axis} (${how})`);
          }
        }
      }
    }
  });

  it('np: a plain number meets each dtype as numpy (2) and MXNet 2 rule; nd: it takes the dtype (MXNet 1.x)', () => {
    for (const d of NEW) {
      for (const s of SCALARS) {
        const want = ref.scalars[`${d} ${s}`]!;
        const y = np.add(np.array([1, 2], { dtype: d }), s);
        assert.equal(y.dtype, want.dtype, `np.add(${d}, ${s}) dtype`);
        assert.deepEqual((y.toArray() as number[]).map(String), want.v.map((v) => String(Number(v))), `np.add(${d}, ${s})`);
      }
      // nd: MXNet 1.x's DType(scalar): 0.5 is 0 in an integer dtype.
      const z = nd.add(nd.array([1, 2], { dtype: d }), 0.5);
      assert.equal(z.dtype, d);
      assert.deepEqual(z.toArray(), [1, 2]);
    }
  });

  it('two arrays of different dtypes are refused by name (no promotion, as MXNet ElemwiseType)', () => {
    assert.throws(() => nd.add(nd.array([1], { dtype: 'int16' }), nd.array([1], { dtype: 'uint16' })), /add: inputs have different dtypes int16 and uint16; cast one/);
    assert.throws(() => np.multiply(np.array([1], { dtype: 'uint32' }), np.array([1], { dtype: 'uint64' })), /mul: inputs have different dtypes uint32 and uint64/);
  });
});
