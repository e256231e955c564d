/**
 * The legacy symbolic cells (compiler/gluon/rnn/sym-cell.ts, MXNet 1.x's
 * mx.rnn): unrolled over sym vars, evaluated, against float64 numpy
 * recurrences written from rnn_cell.py (LSTM gates sliced i, f, c, o; GRU
 * r, z, n with the reset gate on h2h's n block; RNN tanh/relu), with merged
 * and per-step outputs, NTC and TNC layouts, MXNet's parameter names, one
 * set of variables over several unrolls, LSTMBias's forget-gate init, a
 * stacked SequentialRNNCell with begin states as variables, and the Errors.
 */
import assert from 'node:assert/strict';
import { gluon, init, nd, random, rnn, sym } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import type { Symbol } from '../../../../compiler/trace/symbol.js';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs } from '../../../helpers/numpy.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);

/** One cell's recurrence in float64 numpy from rnn_cell.py; a: x [N, T, C] (NTC), b..e: i2h_weight, i2h_bias, h2h_weight, h2h_bias; f, g: h0 (, c0). */
const STEP_PY = `
sig = lambda v: 1 / (1 + np.exp(-v))
mode, H = attrs['mode'], attrs['H']
x = a.astype(np.float64); Wi, bi, Wh, bh = [t.astype(np.float64) for t in (b, c, d, e)]
h = f.astype(np.float64); cst = g.astype(np.float64)
outs = []
for t in range(x.shape[1]):
    i2h = x[:, t] @ Wi.T + bi
    h2h = h @ Wh.T + bh
    if mode == 'lstm':
        gates = i2h + h2h
        ig, fg, cg, og = [gates[:, k*H:(k+1)*H] for k in range(4)]
        cst = sig(fg) * cst + sig(ig) * np.tanh(cg)
        h = sig(og) * np.tanh(cst)
    elif mode == 'gru':
        r = sig(i2h[:, :H] + h2h[:, :H]); z = sig(i2h[:, H:2*H] + h2h[:, H:2*H])
        n = np.tanh(i2h[:, 2*H:] + r * h2h[:, 2*H:])
        h = (1. - z) * n + z * h
    elif mode == 'relu':
        h = np.maximum(i2h + h2h, 0)
    else:
        h = np.tanh(i2h + h2h)
    outs.append(h)
out = [np.stack(outs, axis=1), h, cst]
`;

const N = 3;
const T = 4;
const C = 5;
const H = 6;

function params(prefix: string, gates: number, zeroBias = false): Record<string, NDArray> {
  const u = (shape: number[]) => (zeroBias && shape.length === 1 ? nd.zeros(shape) : nd.random.uniform(-0.6, 0.6, shape));
  return {
    [`${prefix}i2h_weight`]: u([gates * H, C]), [`${prefix}i2h_bias`]: u([gates * H]),
    [`${prefix}h2h_weight`]: u([gates * H, H]), [`${prefix}h2h_bias`]: u([gates * H]),
  };
}

function reference(mode: string, x: NDArray, p: Record<string, NDArray>, prefix: string, h0: NDArray, c0: NDArray) {
  const t = (a: NDArray) => ({ shape: a.shape, dtype: 'float64', data: flat(a) });
  const [r] = numpyRefs([{ code: STEP_PY, attrs: { mode, H }, inputs: [t(x), ...['i2h_weight', 'i2h_bias', 'h2h_weight', 'h2h_bias'].map((k) => t(p[prefix + k]!)), t(h0), t(c0)] }]);
  assert.equal(r!.error, undefined, r!.error);
  return r!.outs.map((o) => o.data as number[]);
}

/** [N, T, C] as [T, N, C], row-major values. */
const toTNC = (v: number[], n: number, t: number, c: number) => Array.from({ length: v.length }, (_x, k) => {
  const ti = Math.floor(k / (n * c)), ni = Math.floor(k / c) % n, ci = k % c;
  return v[(ni * t + ti) * c + ci]!;
});

describe('rnn (MXNet 1.x legacy symbolic cells)', () => {
  random.seed(21);
  const x = nd.random.uniform(-1, 1, [N, T, C]);
  // A step of exact zeros (relu's kink at 0 with zero biases) among random ones.
  const xz = nd.array(flat(x).map((v, k) => (Math.floor(k / C) % T === 1 ? 0 : v)), { dtype: 'float32' }).reshape([N, T, C]);
  const zeros = nd.zeros([N, H]);

  const cases: [string, () => rnn.BaseRNNCell, string, number, boolean][] = [
    ['lstm', () => new rnn.LSTMCell(H, { prefix: 'lstm_l0_' }), 'lstm_l0_', 4, false],
    ['gru', () => new rnn.GRUCell(H), 'gru_', 3, false],
    ['tanh', () => new rnn.RNNCell(H), 'rnn_', 1, false],
    ['relu', () => new rnn.RNNCell(H, 'relu', 'r_'), 'r_', 1, true],
  ];
  for (const [mode, make, prefix, gates, zeroBias] of cases) {
    it(`${mode}: unroll over a sym var equals numpy (float64), NTC merged, TNC merged and per step; MXNet's parameter names`, () => {
      const p = params(prefix, gates, zeroBias);
      const input = zeroBias ? xz : x;
      const [ref, hRef, cRef] = reference(mode, input, p, prefix, zeros, zeros);
      const cell = make();
      const data = sym.var('data');
      const [out, states] = cell.unroll(T, data, { mergeOutputs: true }) as [Symbol, Symbol[]];
      assert.deepEqual(out.listArguments().sort(), ['data', ...Object.keys(p)].sort());
      assertClose(flat(out.eval({ data: input, ...p }) as NDArray), ref!, `${mode} NTC outputs`, 1e-4, 1e-5);
      assertClose(flat(states[0]!.eval({ data: input, ...p }) as NDArray), hRef!, `${mode} final h`, 1e-4, 1e-5);
      if (mode === 'lstm') assertClose(flat(states[1]!.eval({ data: input, ...p }) as NDArray), cRef!, 'lstm final c', 1e-4, 1e-5);
      // Time-major: the same sequence as [T, N, C], outputs [T, N, H].
      const tnc = nd.array(toTNC(flat(input), N, T, C)).reshape([T, N, C]);
      const [outT] = cell.unroll(T, sym.var('data'), { layout: 'TNC', mergeOutputs: true }) as [Symbol, Symbol[]];
      const gotT = outT.eval({ data: tnc, ...p }) as NDArray;
      assert.deepEqual(gotT.shape, [T, N, H]);
      assertClose(flat(gotT), toTNC(ref!, N, T, H), `${mode} TNC outputs`, 1e-4, 1e-5);
      // Default (MXNet's merge_outputs=None): a list of [N, H] steps, step t equal to the merged output's t.
      const [steps] = cell.unroll(T, sym.var('data')) as [Symbol[], Symbol[]];
      assert.equal(steps.length, T);
      const last = steps[T - 1]!.eval({ data: input, ...p }) as NDArray;
      assert.deepEqual(last.shape, [N, H]);
      assertClose(flat(last), hRef!, `${mode} last step of the list`, 1e-4, 1e-5);
    });
  }

  it('a list of step symbols in, merged out; one unroll of length 1', () => {
    const p = params('lstm_', 4);
    const cell = new rnn.LSTMCell(H);
    const [ref] = reference('lstm', x, p, 'lstm_', zeros, zeros);
    const vars = Array.from({ length: T }, (_v, t) => sym.var(`x${t}`));
    const [out] = cell.unroll(T, vars, { mergeOutputs: true }) as [Symbol, Symbol[]];
    const feeds = Object.fromEntries(vars.map((_v, t) => [`x${t}`, x.sliceAxis(1, t, t + 1).reshape([N, C])]));
    assertClose(flat(out.eval({ ...feeds, ...p }) as NDArray), ref!, 'lstm over a list of steps', 1e-4, 1e-5);
    const [one] = cell.unroll(1, sym.var('data'), { mergeOutputs: true }) as [Symbol, Symbol[]];
    const got = one.eval({ data: x.sliceAxis(1, 0, 1), ...p }) as NDArray;
    assert.deepEqual(got.shape, [N, 1, H]);
    assertClose(flat(got), ref!.filter((_v, k) => Math.floor(k / H) % T === 0), 'lstm, one step', 1e-4, 1e-5);
  });

  it('a cell keeps one set of variables over unrolls of different lengths (what BucketingModule shares); LSTMBias puts forgetBias on the forget gate', () => {
    const cell = new rnn.LSTMCell(4, { prefix: 'l_', forgetBias: 2.5 });
    const [a] = cell.unroll(3, sym.var('data'), { mergeOutputs: true }) as [Symbol, Symbol[]];
    const [b] = cell.unroll(7, sym.var('data'), { mergeOutputs: true }) as [Symbol, Symbol[]];
    assert.deepEqual(a.listArguments(), b.listArguments());
    assert.equal(cell.params.get('i2h_weight'), cell.params.get('i2h_weight'));
    const data = sym.var('data');
    const [o] = cell.unroll(3, data, { mergeOutputs: true }) as [Symbol, Symbol[]];
    const block = new gluon.SymbolBlock(o, data);
    block.initialize(new init.Xavier());
    block.call(nd.ones([2, 3, 5]));
    // MXNet's LSTMBias: zeros, rows H..2H (the forget gate) at forget_bias; h2h_bias stays 0.
    assert.deepEqual(flat(block.collectParams().get('l_i2h_bias').data()), [0, 0, 0, 0, 2.5, 2.5, 2.5, 2.5, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(flat(block.collectParams().get('l_h2h_bias').data()), new Array(16).fill(0));
    assert.deepEqual(flat(new init.LSTMBias().create([8], 'float32', 'any')), [0, 0, 1, 1, 0, 0, 0, 0]);
  });

  it('SequentialRNNCell: two stacked layers equal numpy applying one after the other, begin states as variables (MXNet\'s names)', () => {
    const stack = new rnn.SequentialRNNCell();
    stack.add(new rnn.LSTMCell(H, { prefix: 'lstm_l0_' }));
    stack.add(new rnn.GRUCell(H, { prefix: 'gru_l1_' }));
    const begin = stack.beginState({ func: (name) => sym.var(name) });
    assert.deepEqual(begin.map((s) => s.listArguments()[0]), ['lstm_l0_begin_state_0', 'lstm_l0_begin_state_1', 'gru_l1_begin_state_0']);
    const p0 = params('lstm_l0_', 4);
    // The second layer reads H features.
    const p1 = Object.fromEntries(Object.entries(params('gru_l1_', 3)).map(([k, v]) => [k, k.endsWith('i2h_weight') ? nd.random.uniform(-0.6, 0.6, [3 * H, H]) : v]));
    const h0 = nd.random.uniform(-0.5, 0.5, [N, H]), c0 = nd.random.uniform(-0.5, 0.5, [N, H]), g0 = nd.random.uniform(-0.5, 0.5, [N, H]);
    const [l0] = reference('lstm', x, p0, 'lstm_l0_', h0, c0);
    const t = (a: NDArray) => ({ shape: a.shape, dtype: 'float64', data: flat(a) });
    const [r1] = numpyRefs([{ code: STEP_PY, attrs: { mode: 'gru', H }, inputs: [{ shape: [N, T, H], dtype: 'float64', data: l0! }, ...['i2h_weight', 'i2h_bias', 'h2h_weight', 'h2h_bias'].map((k) => t(p1[`gru_l1_${k}`]!)), t(g0), t(g0)] }]);
    const data = sym.var('data');
    const [out, states] = stack.unroll(T, data, { beginState: begin, mergeOutputs: true }) as [Symbol, Symbol[]];
    assert.equal(states.length, 3);
    const feeds = { data: x, ...p0, ...p1, lstm_l0_begin_state_0: h0, lstm_l0_begin_state_1: c0, gru_l1_begin_state_0: g0 };
    assertClose(flat(out.eval(feeds) as NDArray), r1!.outs[0]!.data as number[], 'lstm -> gru stack vs numpy', 1e-4, 1e-5);
    assert.deepEqual([...stack.params._params.keys()].sort(), [...Object.keys(p0), ...Object.keys(p1)].sort());
  });

  it('Errors name the cell and what was wrong', () => {
    const cell = new rnn.LSTMCell(4);
    assert.throws(() => cell.unroll(3, nd.ones([2, 3, 4]) as never), /LSTMCell.unroll: inputs must be a symbol.*gluon.rnn's cells take NDArrays/);
    assert.throws(() => cell.unroll(3, sym.var('d', { shape: [2, 5, 4] })), /time axis 1 has 5 steps, unroll asks for 3/);
    assert.throws(() => cell.unroll(2, [sym.var('a')]), /expects 2 step symbols, got a list of 1/);
    assert.throws(() => cell.unroll(3, sym.var('d'), { layout: 'NCT' as never }), /invalid layout "NCT"/);
    assert.throws(() => cell.unroll(0, sym.var('d')), /length must be a positive integer/);
    assert.throws(() => cell.unroll(3, sym.var('d'), { merge: true } as never), /merge/);
    assert.throws(() => cell.call(sym.var('x'), [sym.var('h')]), /LSTMCell 'lstm_': expects 2 state symbol\(s\)/);
    assert.throws(() => cell.beginState(), /zero states need \{ batchSize \}/);
    assert.throws(() => new rnn.RNNCell(4, 'sigmoid' as never), /activation must be 'tanh' or 'relu'/);
    assert.throws(() => new rnn.GRUCell(0), /numHidden must be a positive integer/);
    assert.throws(() => new rnn.SequentialRNNCell().unroll(2, sym.var('d')), /no cells/);
    assert.throws(() => new rnn.SequentialRNNCell().add({} as never), /expects an rnn cell/);
    const z = cell.beginState({ batchSize: 2 });
    assert.deepEqual((z[0]!.eval({}) as NDArray).shape, [2, 4]);
  });
});
