/**
 * MXNet's positional operator arguments (`F.slice_axis(data, axis, begin,
 * end)`, `F.pad(data, mode, pad_width, constant_value)`, ...): each
 * operator's `positional` declaration, in MXNet's order (python/mxnet's
 * generated `slice_axis(data=None, axis=_Null, begin=_Null, end=_Null)`,
 * `Pad(data=None, mode=_Null, pad_width=_Null, constant_value=_Null)`,
 * `Dropout(data=None, p=_Null, mode=_Null, axes=_Null)`, ...), accepted by
 * nd, by sym (a hybridized block) and by the tensor methods alike, against
 * numpy in float64; the options-object form gives the same numbers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nd, gluon } from 'gluonc';
import { numpyRefs } from '../../helpers/numpy.js';
import { assertClose } from '../../helpers/compare.js';
import { opBlock as blockOf } from '../../helpers/layers.js';

type Arr = nd.NDArray;
const flat = (y: Arr): number[] => Array.from(y.data() as ArrayLike<number>, Number);
const list = (y: Arr | Arr[]): Arr[] => (Array.isArray(y) ? y : [y]);

const X = Array.from({ length: 24 }, (_v, i) => Math.sin(i * 1.3) * 3);
const x = () => nd.array(X).reshape([2, 3, 4]);
const xin = { shape: [2, 3, 4], dtype: 'float64', data: X };
const M = [0.5, -1, 2, 1.5, 0, -0.25];
const m = () => nd.array(M).reshape([2, 3]);
const min = { shape: [2, 3], dtype: 'float64', data: M };

interface Case {
  what: string;
  /** The positional call on F (nd or sym), the options call, the numpy reference (inputs a, b, ...). */
  pos: (F: any, ...t: any[]) => any;
  opts: (F: any, ...t: any[]) => any;
  inputs: (() => Arr)[];
  ref: { code: string; inputs: { shape: number[]; dtype: string; data: number[] }[] };
  /** The method form, when the operator is one. */
  method?: (...t: any[]) => any;
  tol?: number;
}

const idx = [3, 0];
const cases: Case[] = [
  { what: 'sliceAxis(x, 1, 0, 2)', pos: (F, a) => F.sliceAxis(a, 1, 0, 2), opts: (F, a) => F.sliceAxis(a, { axis: 1, begin: 0, end: 2 }), inputs: [x], ref: { code: 'a[:, 0:2]', inputs: [xin] }, method: (a) => a.sliceAxis(1, 0, 2) },
  { what: 'sliceAxis(x, -1, 1, null)', pos: (F, a) => F.sliceAxis(a, -1, 1, null), opts: (F, a) => F.sliceAxis(a, { axis: -1, begin: 1, end: null }), inputs: [x], ref: { code: 'a[:, :, 1:]', inputs: [xin] }, method: (a) => a.sliceAxis(-1, 1, null) },
  { what: 'sliceAxis(x, 2, { begin, end })', pos: (F, a) => F.sliceAxis(a, 2, { begin: -3, end: -1 }), opts: (F, a) => F.sliceAxis(a, { axis: 2, begin: -3, end: -1 }), inputs: [x], ref: { code: 'a[:, :, -3:-1]', inputs: [xin] } },
  { what: 'slice(x, [0, 1], [2, 3])', pos: (F, a) => F.slice(a, [0, 1], [2, 3]), opts: (F, a) => F.slice(a, { begin: [0, 1], end: [2, 3] }), inputs: [x], ref: { code: 'a[0:2, 1:3]', inputs: [xin] }, method: (a) => a.slice([0, 1], [2, 3]) },
  { what: 'slice(x, begin, end, step) with a negative step', pos: (F, a) => F.slice(a, [null, null, 3], [null, null, 0], [null, null, -1]), opts: (F, a) => F.slice(a, { begin: [null, null, 3], end: [null, null, 0], step: [null, null, -1] }), inputs: [x], ref: { code: 'a[:, :, 3:0:-1]', inputs: [xin] } },
  { what: "pad(x, 'constant', widths, 1.5)", pos: (F, a) => F.pad(F.reshape(a, [1, 2, 3, 4]), 'constant', [0, 0, 0, 0, 1, 1, 2, 0], 1.5), opts: (F, a) => F.pad(F.reshape(a, [1, 2, 3, 4]), { mode: 'constant', padWidth: [0, 0, 0, 0, 1, 1, 2, 0], constantValue: 1.5 }), inputs: [x], ref: { code: "np.pad(a.reshape(1, 2, 3, 4), [(0, 0), (0, 0), (1, 1), (2, 0)], constant_values=1.5)", inputs: [xin] } },
  { what: "pad(x, 'edge', widths)", pos: (F, a) => F.pad(F.reshape(a, [1, 2, 3, 4]), 'edge', [0, 0, 0, 0, 1, 0, 0, 2]), opts: (F, a) => F.pad(F.reshape(a, [1, 2, 3, 4]), { mode: 'edge', padWidth: [0, 0, 0, 0, 1, 0, 0, 2] }), inputs: [x], ref: { code: "np.pad(a.reshape(1, 2, 3, 4), [(0, 0), (0, 0), (1, 0), (0, 2)], mode='edge')", inputs: [xin] } },
  { what: 'repeat(x, 2, 1)', pos: (F, a) => F.repeat(a, 2, 1), opts: (F, a) => F.repeat(a, { repeats: 2, axis: 1 }), inputs: [x], ref: { code: 'np.repeat(a, 2, 1)', inputs: [xin] }, method: (a) => a.repeat(2, 1) },
  { what: 'take(x, i, 2)', pos: (F, a, i) => F.take(a, i, 2), opts: (F, a, i) => F.take(a, i, { axis: 2 }), inputs: [x, () => nd.array(idx)], ref: { code: 'np.take(a, [3, 0], 2)', inputs: [xin] } },
  { what: "take(x, i, 1, 'wrap')", pos: (F, a, i) => F.take(a, i, 1, 'wrap'), opts: (F, a, i) => F.take(a, i, { axis: 1, mode: 'wrap' }), inputs: [x, () => nd.array(idx)], ref: { code: "np.take(a, [3, 0], 1, mode='wrap')", inputs: [xin] } },
  { what: 'pick(m, i, 1, true)', pos: (F, a, i) => F.pick(a, i, 1, true), opts: (F, a, i) => F.pick(a, i, { axis: 1, keepdims: true }), inputs: [m, () => nd.array([2, 0])], ref: { code: 'a[[0, 1], [2, 0]].reshape(2, 1)', inputs: [min] } },
  { what: 'split(x, 2, 2)', pos: (F, a) => F.split(a, 2, 2), opts: (F, a) => F.split(a, { numOutputs: 2, axis: 2 }), inputs: [x], ref: { code: 'np.split(a, 2, 2)', inputs: [xin] }, method: (a) => a.split(2, 2) },
  { what: 'split(x, 3, 1, true)', pos: (F, a) => F.split(a, 3, 1, true), opts: (F, a) => F.split(a, { numOutputs: 3, axis: 1, squeezeAxis: true }), inputs: [x], ref: { code: '[s.squeeze(1) for s in np.split(a, 3, 1)]', inputs: [xin] } },
  { what: "topk(x, 1, 2, 'value')", pos: (F, a) => F.topk(a, 1, 2, 'value'), opts: (F, a) => F.topk(a, { axis: 1, k: 2, retTyp: 'value' }), inputs: [x], ref: { code: '-np.sort(-a, axis=1)[:, :2]', inputs: [xin] }, method: (a) => a.topk(1, 2, 'value') },
  { what: "topk(x, -1, 2, 'value', true)", pos: (F, a) => F.topk(a, -1, 2, 'value', true), opts: (F, a) => F.topk(a, { axis: -1, k: 2, retTyp: 'value', isAscend: true }), inputs: [x], ref: { code: 'np.sort(a, axis=-1)[..., :2]', inputs: [xin] } },
  { what: 'sort(x, 1, false)', pos: (F, a) => F.sort(a, 1, false), opts: (F, a) => F.sort(a, { axis: 1, isAscend: false }), inputs: [x], ref: { code: '-np.sort(-a, axis=1)', inputs: [xin] } },
  { what: 'argsort(x, 2, false)', pos: (F, a) => F.argsort(a, 2, false), opts: (F, a) => F.argsort(a, { axis: 2, isAscend: false }), inputs: [x], ref: { code: "np.argsort(-a, axis=2, kind='stable')", inputs: [xin] } },
  { what: 'softmax(x, undefined, 1, 2)', pos: (F, a) => F.softmax(a, undefined, 1, 2), opts: (F, a) => F.softmax(a, { axis: 1, temperature: 2 }), inputs: [x], ref: { code: 'np.exp(a / 2) / np.exp(a / 2).sum(1, keepdims=True)', inputs: [xin] } },
  { what: 'softmax(x, null, 1)', pos: (F, a) => F.softmax(a, null, 1), opts: (F, a) => F.softmax(a, { axis: 1 }), inputs: [x], ref: { code: 'np.exp(a) / np.exp(a).sum(1, keepdims=True)', inputs: [xin] } },
  { what: 'logSoftmax(x, 1, 0.5)', pos: (F, a) => F.logSoftmax(a, 1, 0.5), opts: (F, a) => F.logSoftmax(a, { axis: 1, temperature: 0.5 }), inputs: [x], ref: { code: 'a / 0.5 - np.log(np.exp(a / 0.5).sum(1, keepdims=True))', inputs: [xin] } },
  { what: "Activation(x, 'softrelu')", pos: (F, a) => F.Activation(a, 'softrelu'), opts: (F, a) => F.Activation(a, { actType: 'softrelu' }), inputs: [x], ref: { code: 'np.log1p(np.exp(a))', inputs: [xin] } },
  { what: 'Dropout(x, 0.5) in prediction mode', pos: (F, a) => F.Dropout(a, 0.5), opts: (F, a) => F.Dropout(a, { p: 0.5 }), inputs: [x], ref: { code: 'a', inputs: [xin] } },
  { what: "LeakyReLU(x, null, 'leaky', 0.1) (MXNet's gamma=None)", pos: (F, a) => F.LeakyReLU(a, null, 'leaky', 0.1), opts: (F, a) => F.LeakyReLU(a, { actType: 'leaky', slope: 0.1 }), inputs: [x], ref: { code: 'np.where(a > 0, a, 0.1 * a)', inputs: [xin] } },
  { what: "LeakyReLU(x, undefined, 'elu', 0.5)", pos: (F, a) => F.LeakyReLU(a, undefined, 'elu', 0.5), opts: (F, a) => F.LeakyReLU(a, { actType: 'elu', slope: 0.5 }), inputs: [x], ref: { code: 'np.where(a > 0, a, 0.5 * np.expm1(a))', inputs: [xin] } },
  { what: 'LayerNorm(x, g, b, 1, 0.01)', pos: (F, a, g, b) => F.LayerNorm(a, g, b, 1, 0.01), opts: (F, a, g, b) => F.LayerNorm(a, g, b, { axis: 1, eps: 0.01 }), inputs: [x, () => nd.array([1, 2, -1]), () => nd.array([0.5, 0, 1])], ref: { code: 'g = np.array([1, 2, -1]).reshape(1, 3, 1); b = np.array([0.5, 0, 1]).reshape(1, 3, 1); out = (a - a.mean(1, keepdims=True)) / np.sqrt(a.var(1, keepdims=True) + 0.01) * g + b', inputs: [xin] } },
  { what: 'InstanceNorm(x, g, b, 0.1)', pos: (F, a, g, b) => F.InstanceNorm(a, g, b, 0.1), opts: (F, a, g, b) => F.InstanceNorm(a, g, b, { eps: 0.1 }), inputs: [x, () => nd.array([1, 2, -1]), () => nd.array([0.5, 0, 1])], ref: { code: 'g = np.array([1, 2, -1]).reshape(1, 3, 1); b = np.array([0.5, 0, 1]).reshape(1, 3, 1); out = (a - a.mean(2, keepdims=True)) / np.sqrt(a.var(2, keepdims=True) + 0.1) * g + b', inputs: [xin] } },
  { what: 'GroupNorm(x, g, b, 3, 0.1)', pos: (F, a, g, b) => F.GroupNorm(a, g, b, 3, 0.1), opts: (F, a, g, b) => F.GroupNorm(a, g, b, { numGroups: 3, eps: 0.1 }), inputs: [x, () => nd.array([1, 2, -1]), () => nd.array([0.5, 0, 1])], ref: { code: 'g = np.array([1, 2, -1]).reshape(1, 3, 1); b = np.array([0.5, 0, 1]).reshape(1, 3, 1); out = (a - a.mean(2, keepdims=True)) / np.sqrt(a.var(2, keepdims=True) + 0.1) * g + b', inputs: [xin] } },
  { what: 'BatchNorm(x, g, b, mm, mv, 0.01, 0.9, false, true)', pos: (F, a, g, b, mm, mv) => F.BatchNorm(a, g, b, mm, mv, 0.01, 0.9, false, true), opts: (F, a, g, b, mm, mv) => F.BatchNorm(a, g, b, mm, mv, { eps: 0.01, momentum: 0.9, fixGamma: false, useGlobalStats: true }), inputs: [x, () => nd.array([1, 2, -1]), () => nd.array([0.5, 0, 1]), () => nd.array([0.1, -0.2, 0.3]), () => nd.array([1, 0.5, 2])], ref: { code: 'g = np.array([1, 2, -1]).reshape(1, 3, 1); b = np.array([0.5, 0, 1]).reshape(1, 3, 1); mm = np.array([0.1, -0.2, 0.3]).reshape(1, 3, 1); mv = np.array([1, 0.5, 2]).reshape(1, 3, 1); out = (a - mm) / np.sqrt(mv + 0.01) * g + b', inputs: [xin] } },
  { what: 'oneHot(i, 4, 2, -1)', pos: (F, i) => F.oneHot(i, 4, 2, -1), opts: (F, i) => F.oneHot(i, { depth: 4, onValue: 2, offValue: -1 }), inputs: [() => nd.array(idx)], ref: { code: 'np.where(np.eye(4)[[3, 0]] > 0, 2, -1)', inputs: [] } },
  { what: 'broadcastLike(r, m, [0], [0])', pos: (F, r, b) => F.broadcastLike(r, b, [0], [0]), opts: (F, r, b) => F.broadcastLike(r, b, { lhsAxes: [0], rhsAxes: [0] }), inputs: [() => nd.array([[1, 2, 3]]), m], ref: { code: 'np.tile(np.array([[1, 2, 3]]), (2, 1))', inputs: [] } },
  { what: 'dot(m, m, true)', pos: (F, a, b) => F.dot(a, b, true), opts: (F, a, b) => F.dot(a, b, { transposeA: true }), inputs: [m, m], ref: { code: 'a.T @ a', inputs: [min] }, method: (a, b) => a.dot(b, true) },
  { what: 'batchDot(x, x, false, true)', pos: (F, a, b) => F.batchDot(a, b, false, true), opts: (F, a, b) => F.batchDot(a, b, { transposeB: true }), inputs: [x, x], ref: { code: 'a @ a.transpose(0, 2, 1)', inputs: [xin] } },
  { what: 'Embedding(i, W, 4, 6)', pos: (F, i, w) => F.Embedding(i, w, 4, 6), opts: (F, i, w) => F.Embedding(i, w, { inputDim: 4, outputDim: 6 }), inputs: [() => nd.array(idx), () => nd.array(X).reshape([4, 6])], ref: { code: 'a.reshape(4, 6)[[3, 0]]', inputs: [xin] } },
  { what: 'FullyConnected(m, W, b, 4)', pos: (F, a, w, b) => F.FullyConnected(a, w, b, 4), opts: (F, a, w, b) => F.FullyConnected(a, w, b, { numHidden: 4 }), inputs: [m, () => nd.array(X.slice(0, 12)).reshape([4, 3]), () => nd.array([1, -1, 0.5, 2])], ref: { code: 'b.reshape(2, 3) @ a.reshape(-1)[:12].reshape(4, 3).T + np.array([1, -1, 0.5, 2])', inputs: [xin, min] } },
  { what: 'FullyConnected(m, W, null, 4, true) (MXNet\'s bias=None)', pos: (F, a, w) => F.FullyConnected(a, w, null, 4, true), opts: (F, a, w) => F.FullyConnected(a, w, { numHidden: 4, noBias: true }), inputs: [m, () => nd.array(X.slice(0, 12)).reshape([4, 3])], ref: { code: 'b.reshape(2, 3) @ a.reshape(-1)[:12].reshape(4, 3).T', inputs: [xin, min] } },
];

describe("ops: MXNet's positional arguments (F.slice_axis(data, axis, begin, end), ...), against numpy", () => {
  const refs = numpyRefs(cases.map((c) => ({ code: c.ref.code, inputs: c.ref.inputs })));

  cases.forEach((c, k) => {
    it(c.what, () => {
      const ref = refs[k]!;
      assert.equal(ref.error, undefined, `numpy: ${ref.error}`);
      const ins = c.inputs.map((mk) => mk());
      const check = (got: Arr | Arr[], how: string) => {
        const outs = list(got);
        assert.equal(outs.length, ref.outs.length, `${how}: outputs`);
        outs.forEach((o, i) => {
          assert.deepEqual(o.shape, ref.outs[i]!.shape, `${how}: output ${i} shape`);
          assertClose(flat(o), ref.outs[i]!.data, `${how}: output ${i}`, c.tol ?? 1e-5, 1e-5);
        });
      };
      check(c.pos(nd, ...ins), 'nd positional');
      check(c.opts(nd, ...ins), 'nd options');
      if (c.method) check(c.method(...ins), 'method');
      const b = blockOf(c.pos);
      b.hybridize();
      check(b.call(...ins), 'sym (hybridized) positional');
    });
  });

  it('an option given both ways, or an extra positional, is an Error naming the operator', () => {
    assert.throws(() => nd.sliceAxis(x(), 1, 0, 2, { axis: 1 } as never), /sliceAxis: got multiple values for option 'axis' \(positionally and in the options object\)/);
    assert.throws(() => (nd.sliceAxis as any)(x(), 1, 0, 2, 5), /sliceAxis: unexpected argument 5: number 5/);
    assert.throws(() => (nd.pad as any)(x(), 'constant'), /pad/);
  });

  it('a slice up to another tensor\'s symbolic size, positionally, in an exported artifact (the redirect reads the positional form)', () => {
    class Up extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, a: gluon.Tensor, y: gluon.Tensor) {
        return F.sliceAxis(a, 1, 0, (y as any).shape[1]);
      }
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-positional-'));
    try {
      const file = path.join(dir, 'up.onnx');
      new Up().export(file, { inputs: { a: { shape: ['N', 6] }, y: { shape: [1, 'T'] } } });
      const back = gluon.SymbolBlock.imports(file);
      for (const t of [2, 5]) {
        const got = back.call(nd.array(X).reshape([4, 6]), nd.ones([1, t])) as Arr;
        assert.deepEqual(got.shape, [4, t]);
        assert.deepEqual(flat(got), X.flatMap((v, i) => (i % 6 < t ? [Math.fround(v)] : [])));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
