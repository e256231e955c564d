/**
 * int64 max/min through onnxruntime (compiler/onnx/int64-minmax.ts):
 * onnxruntime 1.30 compares int64 values past the int32 range wrongly in
 * Max, Min, Clip, Sign and in ReduceMax/ReduceMin over the whole tensor or the
 * last axis, so those nodes are emitted as Where/Greater/Less/TopK on int64.
 * Checked against numpy (python3) on 64-bit values, with fixed values at the
 * int32 edges and ties, in the three ways an operator runs: the TypeScript
 * kernel, the one-node session (eager on large arrays), and a hybridized
 * graph; float graphs keep onnxruntime's own nodes (NaN semantics).
 */
import assert from 'node:assert/strict';
import { gluon, nd, sym } from 'gluonc';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import { symOps } from '../../../compiler/trace/sym.js';
import { emitModel, onnx } from '../../../compiler/onnx/index.js';
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
    assert.ok(int.has('TopK') && int.has('Where'));
    const flt = ops('float32');
    for (const t of ['Max', 'Min', 'Clip', 'ReduceMax', 'ReduceMin', 'Sign']) assert.ok(flt.has(t), `float graph keeps ${t}`);
  });
});

describe('int64 indices past the int32 range: take (clip, wrap) and pick (clip) exact in every path', function () {
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
});
