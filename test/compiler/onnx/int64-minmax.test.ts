/**
 * int64 max/min through onnxruntime (compiler/onnx/int64-minmax.ts):
 * onnxruntime 1.30 compares int64 values past the int32 range wrongly in
 * Max, Min, Clip, Sign and in ReduceMax/ReduceMin over the whole tensor or the
 * last axis, so those nodes are emitted as Where/Greater/Less/ArgMax/ArgMin on int64.
 * Checked against numpy (python3) on 64-bit values, with fixed values at the
 * int32 edges and ties, in the three ways an operator runs: the TypeScript
 * kernel, the one-node session (eager on large arrays), and a hybridized
 * graph; float graphs keep onnxruntime's own nodes (NaN semantics). The
 * operators whose lowerings clip int64 indices or lengths are checked the
 * same way with values at ±2^31, 2^32 ± 1, 2^33, -1, 0 and the last valid
 * index: take (and its raise), pick, Embedding, indexAdd, scatterAdd (clip and wrap), oneHot,
 * SequenceLast/Reverse/Mask and OnnxRNN (int64 and float lengths), and the
 * recurrent gradients (OnnxRecurrentGrad, OnnxLSTMTrain).
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, sym } from 'gluonc';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import { symOps } from '../../../compiler/trace/sym.js';
import { emitModel, onnx } from '../../../compiler/onnx/index.js';
import { rewriteInt64MinMax } from '../../../compiler/onnx/int64-minmax.js';
import { numpyRefs } from '../../helpers/numpy.js';

const EDGES = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 6356453550, 7885898265, -(2 ** 40), 2 ** 52, -(2 ** 52), 5, 5];

/** Fixed edges then seeded 64-bit values below 2^53 (exact in JavaScript numbers). */
function values(n: number, seed: number): number[] {
  let s = seed;
  const next = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 2 ** 53;
  return Array.from({ length: n }, (_v, i) => (i < EDGES.length ? EDGES[(i + seed) % EDGES.length]! : Math.trunc(next())));
}

/** The three ways an operator runs: the TypeScript kernel, the one-node session, a hybridized graph (threshold undefined: unchanged). */
const PATHS = [
  ['kernel', Infinity, false],
  ['one-node session', 0, false],
  ['hybridized', undefined, true],
] as const;

/** Runs `f` with the eager kernel threshold set to `threshold` (when given), restoring it after. */
function inPath(threshold: number | undefined, f: () => void): void {
  const old = threshold === undefined ? null : setKernelThreshold(threshold);
  try {
    f();
  } finally {
    if (old !== null) setKernelThreshold(old);
  }
}

type Fwd = (F: gluon.F, a: gluon.Tensor, b: gluon.Tensor) => gluon.Tensor[];
class Probe2 extends gluon.HybridBlock {
  constructor(readonly fwd: Fwd) {
    super();
  }
  override hybridForward(F: gluon.F, a: gluon.Tensor, b: gluon.Tensor) {
    return this.fwd(F, a, b);
  }
}

const FWD: Fwd = (F, a, b) => [
  F.max(a),
  F.min(a),
  F.max(a, { axis: 1 }),
  F.min(a, { axis: -1, keepdims: true }),
  F.max(a, { axis: 0 }),
  F.min(a, { axis: [0, 1] }),
  F.maximum(a, b),
  F.minimum(a, b),
  F.clip(a, -(2 ** 35), 2 ** 32),
  F.relu(a),
  F.sign(a),
];
const REF = `out = [a.max(), a.min(), a.max(1), a.min(-1, keepdims=True), a.max(0), a.min((0, 1)), np.maximum(a, b), np.minimum(a, b), np.clip(a, -2**35, 2**32), np.maximum(a, 0), np.sign(a)]`;

describe('int64 max, min, maximum, minimum, clip, relu and sign past the int32 range: exact in every path', function () {
  this.timeout(60_000);
  const [rows, cols] = [6, 40];
  const a = values(rows * cols, 1);
  const b = values(rows * cols, 7);
  let want: number[][] = [];

  before(() => {
    const r = numpyRefs([{ code: REF, inputs: [{ dtype: 'int64', shape: [rows, cols], data: a }, { dtype: 'int64', shape: [rows, cols], data: b }] }])[0]!;
    assert.ok(!r.error, r.error);
    want = r.outs.map((t) => t.data.map(Number));
  });

  for (const [mode, threshold, hybrid] of PATHS) {
    it(mode, () => inPath(threshold, () => {
      const net = new Probe2(FWD);
      if (hybrid) net.hybridize();
      const outs = net.call(nd.array(a, { dtype: 'int64', shape: [rows, cols] }), nd.array(b, { dtype: 'int64', shape: [rows, cols] })) as nd.NDArray[];
      outs.forEach((o, k) => {
        assert.equal(o.dtype, 'int64', `${mode} output ${k}`);
        assert.deepEqual(Array.from(o.data() as BigInt64Array, Number), want[k], `${mode} output ${k}`);
      });
    }));
  }

  it('int64 graphs carry no Max/Min/Clip/ReduceMax/ReduceMin nodes; float graphs keep them', () => {
    const ops = (dtype: 'int64' | 'float32') => {
      const [x, y] = ['x', 'y'].map((n) => sym.var(n, { shape: [rows, cols], dtype }));
      const m = onnx.ModelProto.decode(emitModel(graphOf(...(FWD(symOps as unknown as gluon.F, x!, y!) as never[]))));
      return new Set(m.graph!.node!.map((n) => n.opType!));
    };
    const int = ops('int64');
    for (const t of ['Max', 'Min', 'Clip', 'ReduceMax', 'ReduceMin', 'Sign']) assert.ok(!int.has(t), `int64 graph has ${t}`);
    assert.ok(int.has('ArgMax') && int.has('GatherElements') && int.has('Where'));
    const flt = ops('float32');
    for (const t of ['Max', 'Min', 'Clip', 'ReduceMax', 'ReduceMin', 'Sign']) assert.ok(flt.has(t), `float graph keeps ${t}`);
  });

  it('an int64 bound or operand names the type of a value of unknown dtype (Max, Min, Clip: one T); int64 axes do not', () => {
    const known: Record<string, 'int64' | 'float32'> = { lo: 'int64', hi: 'int64', b: 'int64', axes: 'int64', f: 'float32' };
    let k = 0;
    const env = { dtypeOf: (n: string) => known[n], intsOf: (n: string) => (n === 'axes' ? [1] : undefined), fresh: (h: string) => `${h}${k++}`, ints: () => `c${k++}` };
    const types = (opType: string, inputs: string[]) => rewriteInt64MinMax({ opType, inputs, attrs: {}, outputs: ['y'] }, env).map((n) => n.opType);
    assert.deepEqual(types('Clip', ['u', 'lo', 'hi']), ['Greater', 'Where', 'Less', 'Where']);
    assert.deepEqual(types('Clip', ['u', '', 'hi']), ['Less', 'Where']);
    assert.deepEqual(types('Max', ['u', 'b']), ['Greater', 'Where']);
    assert.deepEqual(types('Min', ['u', 'v', 'b']), ['Less', 'Where', 'Less', 'Where']);
    assert.deepEqual(types('ReduceMax', ['u', 'axes']), ['ReduceMax']);
    assert.deepEqual(types('Clip', ['u', 'f', 'v']), ['Clip']);
  });
});

describe('int64 indices past the int32 range: take (clip, wrap, raise) and pick (clip) exact in every path', function () {
  this.timeout(60_000);
  // Index values at and past the int32 edges (the clipping and wrapping compare and divide int64 values).
  const IDX = [2 ** 33, -(2 ** 33), 3, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 32 + 1, -1, 0, 7885898265];
  const DATA = [10, 11, 12, 13, 14];
  const ROWS = [[1, 2, 3], [4, 5, 6]];
  const PICK = [2 ** 33, -(2 ** 40)];
  let want: number[][] = [];

  class Take extends gluon.HybridBlock {
    override hybridForward(F: gluon.F, x: gluon.Tensor, i: gluon.Tensor, r: gluon.Tensor, j: gluon.Tensor) {
      return [F.take(x, i, { mode: 'clip' }), F.take(x, i, { mode: 'wrap' }), F.pick(r, j, { axis: 1, mode: 'clip' })];
    }
  }

  before(() => {
    const r = numpyRefs([{
      code: 'out = [np.take(a, b, mode="clip"), np.take(a, b, mode="wrap"), np.take_along_axis(c, np.clip(d, 0, c.shape[1] - 1)[:, None], 1)[:, 0]]',
      inputs: [
        { dtype: 'float64', shape: [5], data: DATA },
        { dtype: 'int64', shape: [IDX.length], data: IDX },
        { dtype: 'float64', shape: [2, 3], data: ROWS.flat() },
        { dtype: 'int64', shape: [2], data: PICK },
      ],
    }])[0]!;
    assert.ok(!r.error, r.error);
    want = r.outs.map((t) => t.data.map(Number));
  });

  for (const [mode, threshold, hybrid] of PATHS) {
    it(mode, () => inPath(threshold, () => {
      const net = new Take();
      if (hybrid) net.hybridize();
      const outs = net.call(nd.array(DATA), nd.array(IDX, { dtype: 'int64' }), nd.array(ROWS), nd.array(PICK, { dtype: 'int64' })) as nd.NDArray[];
      outs.forEach((o, k) => assert.deepEqual(Array.from(o.data() as Float32Array), want[k], `${mode} output ${k}`));
    }));
  }

  class Raise extends gluon.HybridBlock {
    override hybridForward(F: gluon.F, x: gluon.Tensor, i: gluon.Tensor) {
      return F.take(x, i, { mode: 'raise' });
    }
  }
  for (const [mode, threshold, hybrid] of PATHS) {
    it(`${mode}: mode 'raise' refuses an index past the int32 range by its value, and takes -5 and 4`, () => inPath(threshold, () => {
      const net = new Raise();
      if (hybrid) net.hybridize();
      for (const i of [2 ** 31, 2 ** 32 + 1, -(2 ** 32) + 1, -(2 ** 32) - 5]) assert.throws(() => net.call(nd.array(DATA), nd.array([i], { dtype: 'int64' })), new RegExp(`take.*${i}`));
      assert.deepEqual(Array.from((net.call(nd.array(DATA), nd.array([-5, 4], { dtype: 'int64' })) as nd.NDArray).data() as Float32Array), [10, 14]);
    }));
  }
});

/** `net`'s outputs in each path against numpy's `want` (exact, or within `tol`). */
function checkPaths(make: () => gluon.HybridBlock, inputs: () => nd.NDArray[], want: () => number[][], tol = 0): void {
  for (const [mode, threshold, hybrid] of PATHS) {
    it(mode, () => inPath(threshold, () => {
      const net = make();
      if (hybrid) net.hybridize();
      const outs = net.call(...inputs()) as nd.NDArray[];
      outs.forEach((o, k) => {
        const got = Array.from(o.data() as Float32Array);
        const w = want()[k]!;
        if (!tol) return assert.deepEqual(got, w, `${mode} output ${k}`);
        assert.equal(got.length, w.length, `${mode} output ${k}`);
        got.forEach((v, i) => assert.ok(Math.abs(v - w[i]!) <= tol, `${mode} output ${k}[${i}]: ${v}, numpy ${w[i]}`));
      });
    }));
  }
}

/** numpy's outputs of `code` on `inputs` (a, b, c, ...). */
function numpyOuts(code: string, inputs: { dtype: string; shape: number[]; data: number[] }[]): number[][] {
  const r = numpyRefs([{ code, inputs }])[0]!;
  assert.ok(!r.error, r.error);
  return r.outs.map((t) => t.data.map(Number));
}

/** int64 values at and past the int32 edges, -1, 0, the last valid index of an axis of 5 (4) and one past it. */
const BIG_IDX = [2 ** 33, -(2 ** 33), 4, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 + 1, 2 ** 32 - 1, -1, 0, 5, 7885898265];
const K = BIG_IDX.length;
const iota = (n: number, scale = 1) => Array.from({ length: n }, (_v, k) => (k + 1) * scale);

describe('int64 indices past the int32 range: Embedding, indexAdd and scatterAdd (clip, wrap), pick (wrap), oneHot exact in every path', function () {
  this.timeout(60_000);
  // w [5, 2]; updates [K, 2] and [K, 1] with sums that name their rows; r [K, 3] picked per row.
  class Idx extends gluon.HybridBlock {
    override hybridForward(F: gluon.F, i: gluon.Tensor, w: gluon.Tensor, u: gluon.Tensor, r: gluon.Tensor, v: gluon.Tensor) {
      const j = F.expandDims(i, -1);
      return [
        F.Embedding(i, w, { inputDim: 5, outputDim: 2 }),
        F.indexAdd(F.zerosLike(w), i, u, { axis: 0, mode: 'clip' }),
        F.indexAdd(F.zerosLike(w), i, u, { axis: 0, mode: 'wrap' }),
        F.pick(r, i, { axis: 1, mode: 'wrap' }),
        F.scatterAdd(F.zerosLike(r), j, v, { axis: 1, mode: 'clip' }),
        F.scatterAdd(F.zerosLike(r), j, v, { axis: 1, mode: 'wrap' }),
        F.oneHot(i, 5),
      ];
    }
  }
  let want: number[][] = [];
  before(() => {
    want = numpyOuts(
      `def add(z, at, u):
    z = z.copy(); np.add.at(z, at, u); return z
rows = np.arange(len(a))
out = [b[np.clip(a, 0, 4)], add(0 * b, np.clip(a, 0, 4), c), add(0 * b, np.mod(a, 5), c), d[rows, np.mod(a, 3)],
       add(0 * d, (rows, np.clip(a, 0, 2)), e[:, 0]), add(0 * d, (rows, np.mod(a, 3)), e[:, 0]), (a[:, None] == np.arange(5)) * 1.0]`,
      [
        { dtype: 'int64', shape: [K], data: BIG_IDX },
        { dtype: 'float64', shape: [5, 2], data: iota(10) },
        { dtype: 'float64', shape: [K, 2], data: iota(2 * K, 8) },
        { dtype: 'float64', shape: [K, 3], data: iota(3 * K) },
        { dtype: 'float64', shape: [K, 1], data: iota(K, 16) },
      ],
    );
  });
  checkPaths(
    () => new Idx(),
    () => [nd.array(BIG_IDX, { dtype: 'int64' }), nd.array(iota(10), { shape: [5, 2] }), nd.array(iota(2 * K, 8), { shape: [K, 2] }), nd.array(iota(3 * K), { shape: [K, 3] }), nd.array(iota(K, 16), { shape: [K, 1] })],
    () => want,
  );
});

describe('int64 sequence lengths past the int32 range: SequenceLast, SequenceReverse, SequenceMask and OnnxRNN exact in every path', function () {
  this.timeout(60_000);
  // T = 4 steps; lengths at and past the int32 edges, -1, 0, 1, T - 1 and T (clipped to [1, T] or [0, T]; SequenceMask compares).
  // Float lengths are read as indices are (indexValue: truncated, NaN 0, ±Infinity the far ends).
  const T = 4;
  const LENS = {
    int64: [2 ** 31, 2 ** 32 + 1, -(2 ** 31) - 1, 2 ** 33, -1, 0, 1, T - 1, T, 2 ** 31 - 1, -(2 ** 32) + 1, 2 ** 32],
    float32: [NaN, Infinity, -Infinity, 2.7, -0.5, 3e9, 1e30, -1e30, 3.99, 0.5, -3e9, 1].map(Math.fround),
  };
  const N = LENS.int64.length;
  const [I, H] = [2, 2];
  const wave = (n: number, s: number) => Array.from({ length: n }, (_v, k) => Math.fround(Math.sin(k * 1.7 + s) * 0.6));
  const rnn = { x: wave(T * N * I, 1), w: wave(2 * H * I, 2), r: wave(2 * H * H, 3), b: wave(2 * 2 * H, 4), h0: wave(2 * N * H, 5) };
  class Seq extends gluon.HybridBlock {
    override hybridForward(F: gluon.F, x: gluon.Tensor, l: gluon.Tensor, xb: gluon.Tensor, ...p: gluon.Tensor[]) {
      const on = { useSequenceLength: true };
      const [y, yh] = F.OnnxRNN(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, l, { direction: 'bidirectional' }) as gluon.Tensor[];
      return [F.SequenceLast(x, l, on), F.SequenceReverse(x, l, on), F.SequenceMask(x, l, { ...on, value: -1 }), F.SequenceLast(xb, l, { ...on, axis: 1 }), y!, yh!];
    }
  }
  // ONNX's RNN (tanh; B = [Wb, Rb]; the reverse direction reads each sequence backwards within its length; length 0: zero Y_h).
  const REF = `if b.dtype.kind == "f": b = np.trunc(np.clip(np.nan_to_num(b, nan=0.0, posinf=2.0**62, neginf=-2.0**62), -2.0**62, 2.0**62)).astype(np.int64)
T, N = a.shape
last, rev = np.clip(b, 1, T), np.clip(b, 0, T)
r = a.copy()
for n in range(N): r[:rev[n], n] = a[:rev[n], n][::-1]
x, W, R, B, h0 = d, e, f, g, h
H = R.shape[2]
Y, Yh = np.zeros((T, 2, N, H)), np.zeros((2, N, H))
for k in range(2):
    for n in range(N):
        hs = h0[k, n]
        for s in range(rev[n]):
            t = rev[n] - 1 - s if k else s
            hs = np.tanh(W[k] @ x[t, n] + B[k][:H] + R[k] @ hs + B[k][H:])
            Y[t, k, n] = hs
        if rev[n] > 0: Yh[k, n] = hs
out = [a[last - 1, np.arange(N)], r, np.where(np.arange(T)[:, None] < b[None, :], a, -1), c[np.arange(N), last - 1], Y, Yh]`;
  for (const dtype of ['int64', 'float32'] as const) {
    describe(`${dtype} lengths`, () => {
      let want: number[][] = [];
      before(() => {
        want = numpyOuts(REF, [
          { dtype: 'float64', shape: [T, N], data: iota(T * N) },
          { dtype, shape: [N], data: LENS[dtype] },
          { dtype: 'float64', shape: [N, T, 2], data: iota(N * T * 2) },
          { dtype: 'float64', shape: [T, N, I], data: rnn.x },
          { dtype: 'float64', shape: [2, H, I], data: rnn.w },
          { dtype: 'float64', shape: [2, H, H], data: rnn.r },
          { dtype: 'float64', shape: [2, 2 * H], data: rnn.b },
          { dtype: 'float64', shape: [2, N, H], data: rnn.h0 },
        ]);
      });
      checkPaths(
        () => new Seq(),
        () => [
          nd.array(iota(T * N), { shape: [T, N] }), nd.array(LENS[dtype], { dtype }), nd.array(iota(N * T * 2), { shape: [N, T, 2] }),
          nd.array(rnn.x, { shape: [T, N, I] }), nd.array(rnn.w, { shape: [2, H, I] }), nd.array(rnn.r, { shape: [2, H, H] }), nd.array(rnn.b, { shape: [2, 2 * H] }), nd.array(rnn.h0, { shape: [2, N, H] }),
        ],
        () => want,
        1e-5,
      );
    });
  }
});

describe('int64 sequence lengths past the int32 range: gradients of OnnxRNN, OnnxLSTM (OnnxRecurrentGrad, OnnxLSTMTrain) and SequenceLast/Reverse/Mask in every path', function () {
  this.timeout(60_000);
  // The gradients with these lengths equal those with numpy's clip of them to [0, T] (checked against finite
  // differences in test/compiler/ops/rnn-grad.test.ts and rnn-train.test.ts).
  const T = 3;
  const LENS = [2 ** 31, 2 ** 32 + 1, -(2 ** 31) - 1, 2 ** 33, -1, 0, T - 1, -(2 ** 32) + 1];
  const [N, I, H] = [LENS.length, 2, 2];
  const wave = (n: number, s: number) => Array.from({ length: n }, (_v, k) => Math.fround(Math.sin(k * 1.7 + s) * 0.6));
  const SHAPES = [[T, N, I], [2, H, I], [2, H, H], [2, 2 * H], [2, N, H], [2, N, H], [2, 4 * H, I], [2, 4 * H, H], [2, 8 * H]];
  class Loss extends gluon.HybridBlock {
    override hybridForward(F: gluon.F, l: gluon.Tensor, x: gluon.Tensor, ...p: gluon.Tensor[]) {
      const opts = { direction: 'bidirectional' as const };
      const [y, yh] = F.OnnxRNN(x, p[0]!, p[1]!, p[2]!, p[3]!, l, opts) as gluon.Tensor[];
      const [y2, y2h, y2c] = F.OnnxLSTM(x, p[5]!, p[6]!, p[7]!, p[3]!, p[4]!, l, opts) as gluon.Tensor[];
      const head = F.sin(F.reshape(F.arange(0, T * 2 * N * H), [T, 2, N, H]));
      // SequenceLast's gradient clips the lengths itself (F.clip), SequenceReverse's and SequenceMask's reuse the operators.
      const on = { useSequenceLength: true };
      const hx = F.sin(F.reshape(F.arange(0, T * N * I), [T, N, I]));
      const seq = F.add(F.sum(F.square(F.SequenceLast(x, l, on))), F.sum(F.mul(F.add(F.SequenceReverse(x, l, on), F.SequenceMask(x, l, on)), hx)));
      return F.add(F.add(F.add(F.sum(F.mul(F.add(y!, y2!), head)), F.sum(F.mul(yh!, yh!))), F.add(F.sum(F.mul(y2h!, y2h!)), F.sum(y2c!))), seq);
    }
  }
  const grads = (hybrid: boolean, lens: number[]): number[][] => {
    const ps = SHAPES.map((s, k) => nd.array(wave(s.reduce((a, b) => a * b), k), { shape: s }));
    ps.forEach((p) => p.attachGrad());
    const net = new Loss();
    if (hybrid) net.hybridize();
    autograd.record(() => (net.call(nd.array(lens, { dtype: 'int64' }), ...ps) as nd.NDArray).backward());
    return ps.map((p) => Array.from(p.grad!.data() as Float32Array));
  };
  let clipped: number[] = [];
  before(() => (clipped = numpyOuts(`np.clip(a, 0, ${T})`, [{ dtype: 'int64', shape: [N], data: LENS }])[0]!));

  for (const [mode, threshold, hybrid] of PATHS) {
    it(mode, () => inPath(threshold, () => {
      const [got, want] = [grads(hybrid, LENS), grads(hybrid, clipped)];
      got.forEach((g, k) => g.forEach((v, i) => assert.ok(Math.abs(v - want[k]![i]!) <= 1e-5, `${mode}: gradient of input ${k}[${i}]: ${v}, with clipped lengths ${want[k]![i]}`)));
    }));
  }

  it('int64 max/min over an empty batch of a symbolic size: [0, 1] (a TopK there stopped the process)', () => {
    const v = sym.var('x', { shape: ['B', 4], dtype: 'int64' });
    const x = nd.zeros([0, 4], { dtype: 'int64' });
    assert.deepEqual((sym.max(v, { axis: 1, keepdims: true }).eval({ x }) as nd.NDArray).shape, [0, 1]);
    assert.deepEqual((sym.min(v, { axis: 1 }).eval({ x }) as nd.NDArray).shape, [0]);
  });
});
