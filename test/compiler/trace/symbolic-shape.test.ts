/**
 * `x.shape` of traced symbols (compiler/trace/symbol.ts) with symbolic input
 * sizes: while `export` traces, a symbolic entry is a SymbolicDim, so a
 * branch on it (`if (x.shape[0] > 2)`) fails by name instead of fixing one
 * branch for every N; shape arguments take it, and the artifact then runs
 * at every N (checked against plain JavaScript on the input). Hybridized and
 * eager calls see numbers, as before.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, nd, np, npx, sym } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { plainShape } from 'gluonc/compiler';
import { Probe, type Fwd } from '../../helpers/layers.js';

/** `x.shape[k]` typed as the size the operators' signatures take. */
const size = (x: gluon.Tensor, k: number): number => x.shape[k] as number;

const block = (fwd: Fwd) => new Probe(fwd);
/** Errors keep their name through export's file prefix. */
const symbolicDimError = (e: unknown): e is Error => e instanceof Error && e.name === 'SymbolicDimError';

/** Row-major values of [n, 2, 2]: x[i][j][k] = 100 i + 10 j + k - 7 (distinct, both signs). */
function input(n: number): Float32Array {
  const v = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) v[i * 4 + j * 2 + k] = 100 * i + 10 * j + k - 7;
  return v;
}

describe('trace: x.shape with symbolic sizes while exporting', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-symdim-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const exportIt = (fwd: Fwd, name: string) => {
    const file = path.join(dir, `${name}.onnx`);
    block(fwd).export(file, { inputs: { x: { shape: ['N', 2, 2] } } });
    return file;
  };

  it("a branch on a symbolic size (if (x.shape[0] > 2)) fails the export by name, writing nothing", () => {
    const file = path.join(dir, 'branch.onnx');
    const net = block((F, x) => (size(x, 0) > 2 ? F.relu(x) : F.neg(x)));
    assert.throws(
      () => net.export(file, { inputs: { x: { shape: ['N', 2, 2] } } }),
      (e: unknown) =>
        symbolicDimError(e) &&
        /^Probe\.export to '.*branch\.onnx': symbolic dimension 'N' \(axis 0 of input 'x'\) has no value while block 'Probe' is traced with symbolic sizes \(export\): .*x\.shape\[0\] > 2.*F\.shapeArray\(x, \{ axis: 0 \}\) and choose with operators \(F\.where\)/.test(e.message),
    );
    assert.equal(existsSync(file), false);
    // The same code hybridized sees numbers and takes the branch each batch size asks for.
    net.hybridize();
    assert.deepEqual(((net.call(nd.full([3, 2, 2], -1)) as nd.NDArray).toArray() as number[][][])[0], [[0, 0], [0, 0]], 'N = 3: relu');
    assert.deepEqual(((net.call(nd.full([1, 2, 2], -1)) as nd.NDArray).toArray() as number[][][])[0], [[1, 1], [1, 1]], 'N = 1: neg');
  });

  it('comparisons, arithmetic and Math on a symbolic size each fail by name; reading the shape does not', () => {
    const seen: Record<string, unknown> = {};
    const uses: Record<string, (x: gluon.Tensor) => unknown> = {
      lessThan: (x) => size(x, 0) < 8,
      equals: (x) => (x.shape[0] as unknown) == 3,
      times: (x) => size(x, 0) * 2,
      plusOne: (x) => size(x, 0) + 1,
      max: (x) => Math.max(...(x.shape as number[])),
      product: (x) => (x.shape as number[]).reduce((a, b) => a * b, 1),
    };
    for (const [name, use] of Object.entries(uses)) {
      assert.throws(() => exportIt((F, x) => (use(x), x), name), (e: unknown) => symbolicDimError(e) && /symbolic dimension 'N' \(axis 0 of input 'x'\)/.test(e.message), name);
    }
    exportIt((F, x) => {
      const [n, c, w] = x.shape;
      Object.assign(seen, { text: `${n}`, json: JSON.stringify(x.shape), rank: x.shape.length, rest: x.shape.slice(1), c, w, isInt: Number.isInteger(n), same: String(n) === 'N' });
      return x;
    }, 'reads');
    assert.deepEqual(seen, { text: 'N', json: '["N",2,2]', rank: 3, rest: [2, 2], c: 2, w: 2, isInt: false, same: true });
  });

  const shapes: [string, Fwd, (n: number, x: Float32Array) => { shape: number[]; data: number[] }][] = [
    ['F.reshape(x, [x.shape[0], -1])', (F, x) => F.reshape(x, [size(x, 0), -1]), (n, x) => ({ shape: [n, 4], data: [...x] })],
    ['x.reshape([x.shape[0], 4])', (_F, x) => x.reshape([size(x, 0), 4]), (n, x) => ({ shape: [n, 4], data: [...x] })],
    // [N, 2, 2] -> [4, N]: N is no place's own dimension, so it is the size left to infer (-1), checked to be N.
    ['F.reshape(x, [4, x.shape[0]])', (F, x) => F.reshape(x, [4, size(x, 0)]), (n, x) => ({ shape: [4, n], data: [...x] })],
    ['F.zeros([x.shape[0], 4]) + x', (F, x) => F.add(F.zeros([size(x, 0), 4]), F.reshape(x, [0, -1])), (n, x) => ({ shape: [n, 4], data: [...x] })],
    ['F.ones([x.shape[0], 1]) * 3', (F, x) => F.mul(F.ones([size(x, 0), 1]), 3), (n) => ({ shape: [n, 1], data: Array<number>(n).fill(3) })],
    [
      'F.broadcastTo(x[:, :1], [x.shape[0], 3])',
      (F, x) => F.broadcastTo(F.sliceAxis(F.reshape(x, [0, -1]), { axis: 1, begin: 0, end: 1 }), [size(x, 0), 3]),
      (n, x) => ({ shape: [n, 3], data: Array.from({ length: n }, (_v, i) => [x[i * 4]!, x[i * 4]!, x[i * 4]!]).flat() }),
    ],
    // x.shape[k] away from its own axis (d2l's seq2seq decoder: np.broadcast_to(context, (X.shape[0], N, H))): read when the graph runs.
    [
      'F.broadcastTo(x.reshape(N, 4), [x.shape[0], x.shape[0], 4])',
      (F, x) => F.broadcastTo(F.reshape(x, [0, -1]), [size(x, 0), size(x, 0), 4]),
      (n, x) => ({ shape: [n, n, 4], data: Array<number[]>(n).fill([...x]).flat() }),
    ],
    ['F.arange(0, x.shape[0])', (F, x) => F.arange(0, size(x, 0)), (n) => ({ shape: [n], data: [...Array(n).keys()] })],
    ['F.sliceAxis(x, { axis: 0, begin: 1, end: x.shape[0] })', (F, x) => F.sliceAxis(x, { axis: 0, begin: 1, end: size(x, 0) }), (_n, x) => ({ shape: [x.length / 4 - 1, 2, 2], data: [...x.slice(4)] })],
    [
      'F.slice(x, { begin: [1, 0], end: [x.shape[0], 1] })',
      (F, x) => F.slice(x, { begin: [1, 0], end: [size(x, 0), 1] }),
      (n, x) => ({ shape: [n - 1, 1, 2], data: Array.from({ length: n - 1 }, (_v, i) => [x[(i + 1) * 4]!, x[(i + 1) * 4 + 1]!]).flat() }),
    ],
    // Away from its own place, x.shape[k] copies input dimension k (d2l's X.reshape(-1, X.shape[2], X.shape[3])).
    ['F.reshape(x, [2, x.shape[0], -1])', (F, x) => F.reshape(x, [2, size(x, 0), -1]), (n, x) => ({ shape: [2, n, 2], data: [...x] })],
    [
      'F.reshape(x.transpose([1, 2, 0]), [-1, x.shape[0]])',
      (F, x) => { const t = F.transpose(x, [1, 2, 0]); return F.reshape(t, [-1, size(t, 2)]); },
      (n, x) => ({ shape: [4, n], data: Array.from({ length: 4 * n }, (_v, i) => x[(i % n) * 4 + Math.floor(i / n)]!) }),
    ],
    // A count read when the graph runs (d2l's valid_lens.repeat(X.shape[1])).
    [
      'F.repeat(x.flat[:2], x.shape[0])',
      (F, x) => F.repeat(F.sliceAxis(F.reshape(x, [-1]), { axis: 0, begin: 0, end: 2 }), size(x, 0)),
      (n, x) => ({ shape: [2 * n], data: [...Array<number>(n).fill(x[0]!), ...Array<number>(n).fill(x[1]!)] }),
    ],
    [
      'F.repeat(x, x.shape[0], { axis: 1 })',
      (F, x) => F.repeat(x, size(x, 0), { axis: 1 }),
      (n, x) => ({ shape: [n, 2 * n, 2], data: Array.from({ length: n }, (_v, i) => Array.from({ length: 2 * n }, (_w, j) => [x[i * 4 + Math.floor(j / n) * 2]!, x[i * 4 + Math.floor(j / n) * 2 + 1]!]).flat()).flat() }),
    ],
  ];
  for (const [what, fwd, want] of shapes) {
    it(`${what}: exports, and the artifact computes it at N = 3 and N = 5`, async () => {
      const file = exportIt(fwd, what.replace(/\W+/g, '_'));
      const model = await loadModel(file);
      try {
        for (const n of [3, 5]) {
          const x = input(n);
          const out = Object.values(model.runSync({ x: { data: x, shape: [n, 2, 2] } }))[0]!;
          const ref = want(n, x);
          assert.deepEqual(out.shape, ref.shape, `N = ${n}: shape`);
          assert.deepEqual(Array.from(out.data as ArrayLike<number | bigint>, Number), ref.data, `N = ${n}: values`);
        }
      } finally {
        await model.close();
      }
    });
  }

  it('a symbolic size a shape argument cannot place is an error naming the operator and the way out', () => {
    const bad: [Fwd, RegExp][] = [
      [(F, x) => F.reshape(x, [2, size(x, 0), 2, size(x, 0)]), /reshape: cannot reshape \[N, 2, 2\] to \[2, N, 2, N\]: the target holds 4\*N\*N elements, the input 4\*N/],
      [(F, x) => F.reshape(F.reshape(x, [0, -1]), [size(x, 0), size(x, 0)]), /reshape: cannot reshape \[N, 4\] to \[N, N\]: the target holds N\*N elements, the input 4\*N/],
      [(F, x) => F.reshape(F.reshape(x, [0, -1]), [size(x, 0), 4, 'M' as never]), /reshape: cannot reshape \[N, 4\] to \[N, 4, M\]: the element count leaves 1 at position 2, not 'M'/],
      [(F, x) => F.reshape(x, [3, size(x, 0)]), /reshape: cannot reshape \[N, 2, 2\] to \[3, N\]: the target holds 3\*N elements, the input 4\*N/],
      [(F, x) => F.reshape(x, [size(x, 1), 'M' as never, -1]), /reshape: cannot reshape \[N, 2, 2\] to \[2, M, -1\]: 'M' is not the input's dimension at its place, so it would be inferred, but the target already has a -1/],
      [(F, x) => F.sliceAxis(F.reshape(x, [0, -1]), { axis: 1, begin: 0, end: 'M' as never }), /sliceAxis: end of axis 1 is the symbolic dimension 'M', not the size of axis 1 \(4\).*F\.take\(x, F\.arange\(begin, n, 1, \{ dtype: 'int64' \}\), \{ axis: 1 \}\)/],
      [(F, x) => F.slice(x, { begin: [size(x, 0)], end: [null] }), /slice: begin of axis 0 is the symbolic dimension 'N', as a begin/],
      // A size elsewhere than its own axis is broadcastLike of zeros(shape); a size that cannot broadcast is still refused.
      [(F, x) => F.broadcastTo(F.reshape(x, [0, -1]), [size(x, 0), size(x, 0), 3]), /broadcastLike: cannot broadcast \[1, N, 4\] like \[N, N, 3\]: axis 2 has size 4, which is neither 1 nor 3/],
      [(F, x) => F.transpose(x, [size(x, 0), 1, 2]), /transpose: option 'axes' must be an integer or a list of integers, got \["N",1,2\]: a name such as 'N' is a symbolic dimension/],
      [(F, x) => F.add(x, size(x, 0)), /add: input 'rhs' got the symbolic dimension 'N', which is no number while tracing: pass F\.shapeArray\(x, \{ axis: 0 \}\)/],
    ];
    bad.forEach(([fwd, re], i) => assert.throws(() => exportIt(fwd, `bad${i}`), re, `case ${i}`));
  });

  it('a Gluon 2 forward: np.reshape takes x.shape[k] (the artifact runs at N = 2 and 4)', async () => {
    class Flat extends gluon.HybridBlock {
      override forward(x: nd.NDArray) {
        return np.reshape(x, [x.shape[0]!, -1]);
      }
    }
    const file = path.join(dir, 'flat.onnx');
    new Flat().export(file, { inputs: { x: { shape: ['N', 2, 2] } } });
    const model = await loadModel(file);
    try {
      for (const n of [2, 4]) {
        const x = input(n);
        const out = Object.values(model.runSync({ x: { data: x, shape: [n, 2, 2] } }))[0]!;
        assert.deepEqual([out.shape, Array.from(out.data as Float32Array)], [[n, 4], [...x]], `N = ${n}`);
      }
    } finally {
      await model.close();
    }
  });

  it("a Gluon 2 forward: np.zeros, np.ones, np.full and np.arange of x.shape[k] are graph operators reading it, at N = 1, 2 and 4", async () => {
    class Made extends gluon.HybridBlock {
      override forward(x: nd.NDArray) {
        const n = x.shape[0]!;
        const base = np.add(np.add(x, np.zeros([n, 2, 2])), np.full([n, 1, 1], 0.5));
        const ramp = np.reshape(np.arange(1, n, 1, { dtype: 'float32' }), [-1, 1, 1]);
        return [np.multiply(base, np.ones([n, 1, 2])), np.arange(n), ramp];
      }
    }
    const file = path.join(dir, 'made.onnx');
    new Made().export(file, { inputs: { x: { shape: ['N', 2, 2] } } });
    const model = await loadModel(file);
    try {
      for (const n of [1, 2, 4]) {
        const x = input(n);
        const [y, r, ramp] = Object.values(model.runSync({ x: { data: x, shape: [n, 2, 2] } }));
        assert.deepEqual([y!.shape, Array.from(y!.data as Float32Array)], [[n, 2, 2], [...x].map((v) => v + 0.5)], `N = ${n}`);
        assert.deepEqual([r!.shape, Array.from(r!.data as Float32Array)], [[n], Array.from({ length: n }, (_v, i) => i)], `arange(N), N = ${n}`);
        assert.deepEqual([ramp!.shape, Array.from(ramp!.data as Float32Array)], [[n - 1, 1, 1], Array.from({ length: n - 1 }, (_v, i) => i + 1)], `arange(1, N), N = ${n}`);
      }
    } finally {
      await model.close();
    }
  });

  it("reshape back to a saved shape of two symbolic lengths (d2l's masked_softmax: X.reshape(-1, K) ... .reshape(shape)) exports and runs at (N, Q, K) = (2, 3, 5) and (1, 4, 1)", async () => {
    class Scores extends gluon.HybridBlock {
      override forward(q: nd.NDArray, k: nd.NDArray) {
        const X = npx.batchDot(q, k, { transposeB: true });
        const shape = X.shape;
        return npx.softmax(X.reshape(-1, shape[shape.length - 1]!)).reshape(shape);
      }
    }
    const file = path.join(dir, 'scores.onnx');
    const b = new Scores();
    b.export(file, { inputs: { q: { shape: ['N', 'Q', 2] }, k: { shape: ['N', 'K', 2] } } });
    const model = await loadModel(file);
    try {
      assert.deepEqual(model.outputs[0]!.shape, ['N', 'Q', 'K']);
      for (const [n, q, k] of [[2, 3, 5], [1, 4, 1]] as const) {
        const qv = Float32Array.from({ length: n * q * 2 }, (_v, i) => Math.sin(i));
        const kv = Float32Array.from({ length: n * k * 2 }, (_v, i) => Math.cos(i));
        const out = Object.values(model.runSync({ q: { data: qv, shape: [n, q, 2] }, k: { data: kv, shape: [n, k, 2] } }))[0]!;
        // softmax over the keys of q·kᵀ, in plain JavaScript
        const want: number[] = [];
        for (let b0 = 0; b0 < n; b0++) for (let i = 0; i < q; i++) {
          const s = Array.from({ length: k }, (_v, j) => qv[(b0 * q + i) * 2]! * kv[(b0 * k + j) * 2]! + qv[(b0 * q + i) * 2 + 1]! * kv[(b0 * k + j) * 2 + 1]!);
          const m = Math.max(...s);
          const e = s.map((v) => Math.exp(v - m));
          const z = e.reduce((a, c) => a + c, 0);
          want.push(...e.map((v) => v / z));
        }
        assert.deepEqual(out.shape, [n, q, k]);
        Array.from(out.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `(${n}, ${q}, ${k}) element ${i}: ${v} vs ${want[i]}`));
      }
    } finally {
      await model.close();
    }
  });

  it("a slice up to another tensor's symbolic size (d2l's P[:, :X.shape[1], :]) takes the rows 0..N-1 when the graph runs, with sliceAxis and slice, at N = 1, 3 and 5", async () => {
    const table = nd.array(Array.from({ length: 16 }, (_v, i) => i), { shape: [1, 8, 2] });
    const forms: [string, Fwd][] = [
      ['sliceAxis', (F, x) => F.add(F.reshape(F.sliceAxis(x, { axis: 2, begin: 0, end: 1 }), [1, -1, 2]), F.sliceAxis(table as unknown as gluon.Tensor, { axis: 1, begin: 0, end: size(x, 0) }))],
      ['slice', (F, x) => F.add(F.reshape(F.sliceAxis(x, { axis: 2, begin: 0, end: 1 }), [1, -1, 2]), F.slice(table as unknown as gluon.Tensor, { begin: [null, 0, null], end: [null, size(x, 0), null] }))],
    ];
    for (const [what, fwd] of forms) {
      const model = await loadModel(exportIt(fwd, `pe_${what}`));
      try {
        for (const n of [1, 3, 5]) {
          const x = input(n);
          const out = Object.values(model.runSync({ x: { data: x, shape: [n, 2, 2] } }))[0]!;
          // x[:, :, 0] as [1, N, 2] plus rows 0..N-1 of the table
          const want = Array.from({ length: n }, (_v, i) => [0, 1].map((k) => x[i * 4 + 2 * k]! + 2 * i + k)).flat();
          assert.deepEqual([out.shape, Array.from(out.data as Float32Array)], [[1, n, 2], want], `${what}, N = ${n}`);
        }
      } finally {
        await model.close();
      }
    }
  });

  it('the way out the errors name works: F.take over F.arange up to another tensor’s size', async () => {
    // x [N, 2, 2] flattened to [N, 4], then its first N columns... of a fixed [4, 4] table: take rows 0..N-1.
    const table = nd.array(Array.from({ length: 16 }, (_v, i) => i), { shape: [8, 2] });
    const file = exportIt((F, x) => F.add(F.take(table as unknown as gluon.Tensor, F.arange(0, size(x, 0), 1, { dtype: 'int64' }), { axis: 0 }), F.sliceAxis(F.reshape(x, [0, -1]), { axis: 1, begin: 0, end: 2 })), 'take');
    const model = await loadModel(file);
    try {
      const n = 3;
      const x = input(n);
      const out = Object.values(model.runSync({ x: { data: x, shape: [n, 2, 2] } }))[0]!;
      assert.deepEqual(out.shape, [n, 2]);
      assert.deepEqual(Array.from(out.data as Float32Array), Array.from({ length: n }, (_v, i) => [2 * i + x[i * 4]!, 2 * i + 1 + x[i * 4 + 1]!]).flat());
    } finally {
      await model.close();
    }
  });

  it('hybridized and eager calls see numbers', () => {
    const kinds: string[] = [];
    const net = block((F, x) => (kinds.push(typeof x.shape[0]), F.reshape(x, [size(x, 0), -1])));
    assert.deepEqual((net.call(nd.zeros([3, 2, 2])) as nd.NDArray).shape, [3, 4]);
    net.hybridize();
    assert.deepEqual((net.call(nd.zeros([5, 2, 2])) as nd.NDArray).shape, [5, 4]);
    assert.deepEqual(kinds, ['number', 'number']);
  });
});

describe('x.shape of a symbol built outside a block (sym.var at top level)', () => {
  const x = sym.var('x', { shape: ['N', 3] });
  const named = /^SymbolicDimError: symbolic dimension 'N' \(axis 0 of variable 'x'\) has no value: .*x\.shape\[0\] > 2.*String\(x\.shape\[0\]\) === 'N'/;

  it('a comparison or arithmetic on a symbolic size throws naming the dimension and the variable (it compared false before)', () => {
    const n = () => x.shape[0] as unknown as number;
    const uses: Record<string, () => unknown> = {
      greater: () => n() > 2,
      lessEqual: () => n() <= 2,
      looseEquals: () => (x.shape[0] as unknown) == 3,
      times: () => n() * 2,
      minus: () => n() - 1,
      max: () => Math.max(...(x.shape as number[])),
      product: () => (x.shape as number[]).reduce((a, b) => a * b, 1),
      computed: () => (sym.relu(x).shape[0] as unknown as number) > 2,
    };
    for (const [what, use] of Object.entries(uses)) assert.throws(use, (e: unknown) => symbolicDimError(e) && named.test(String(e)), what);
    // A symbol computed from the variable names the variable too.
    assert.throws(() => (sym.FullyConnected(x, sym.var('w', { shape: [4, 3] }), { numHidden: 4, noBias: true }).shape[0] as unknown as number) + 1, /symbolic dimension 'N' \(axis 0 of variable 'x'\)/);
  });

  it('names print, serialize and compare as names; shape arguments take them (zeros too, which refused a bare name); numbers stay numbers', () => {
    const [d, c] = x.shape;
    assert.equal(String(d), 'N');
    assert.equal(`${d}`, 'N');
    assert.equal(JSON.stringify(x.shape), '["N",3]');
    assert.equal(c, 3);
    assert.equal(String(d) === 'N', true);
    assert.deepEqual(plainShape(sym.relu(x).shape), ['N', 3]);
    const y = sym.reshape(x, [d as never, -1, 1]);
    const z = sym.zeros([d as never, 2]);
    assert.deepEqual(plainShape(y.shape), ['N', 3, 1]);
    assert.deepEqual(plainShape(z.shape), ['N', 2]);
    assert.deepEqual((y.eval({ x: nd.ones([2, 3]) }) as nd.NDArray).shape, [2, 3, 1]);
    assert.deepEqual(sym.var('k', { shape: [2, 3] }).shape, [2, 3]);
  });
});
