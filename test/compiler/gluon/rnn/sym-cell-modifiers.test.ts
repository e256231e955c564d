/**
 * The legacy modifier cells (compiler/gluon/rnn/sym-cell-modifiers.ts):
 * BidirectionalCell and ResidualCell against float64 numpy recurrences
 * written from rnn_cell.py (the right cell over the reversed steps, its
 * outputs reversed back and concatenated after the left's; output plus
 * input), DropoutCell the identity at inference and an inverted dropout
 * while training, inside a stack; and the Errors.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, random, rnn, sym } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import type { Symbol } from '../../../../compiler/trace/symbol.js';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs } from '../../../helpers/numpy.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);

/** A GRU (rnn_cell.py's gates r, z, n) over a: [N, T, C]; b..e the parameters; returns the outputs [N, T, H]. */
const GRU_PY = `
sig = lambda v: 1 / (1 + np.exp(-v))
def gru(x, Wi, bi, Wh, bh, H):
    h = np.zeros((x.shape[0], H)); outs = []
    for t in range(x.shape[1]):
        i2h = x[:, t] @ Wi.T + bi; h2h = h @ Wh.T + bh
        r = sig(i2h[:, :H] + h2h[:, :H]); z = sig(i2h[:, H:2*H] + h2h[:, H:2*H])
        n = np.tanh(i2h[:, 2*H:] + r * h2h[:, 2*H:])
        h = (1. - z) * n + z * h
        outs.append(h)
    return np.stack(outs, 1)
H = attrs['H']
mode = attrs['mode']
if mode == 'bi':
    left = gru(a, b, c, d, e, H)
    right = gru(a[:, ::-1], f, g, h, i, H)[:, ::-1]
    out = np.concatenate([left, right], axis=2)
else:
    out = gru(a, b, c, d, e, H) + a
`;

const N = 2;
const T = 5;
const H = 4;

function gruParams(prefix: string, inputs: number): Record<string, NDArray> {
  return {
    [`${prefix}i2h_weight`]: nd.random.uniform(-0.7, 0.7, [3 * H, inputs]), [`${prefix}i2h_bias`]: nd.random.uniform(-0.2, 0.2, [3 * H]),
    [`${prefix}h2h_weight`]: nd.random.uniform(-0.7, 0.7, [3 * H, H]), [`${prefix}h2h_bias`]: nd.random.uniform(-0.2, 0.2, [3 * H]),
  };
}

const asInput = (a: NDArray) => ({ shape: a.shape, dtype: 'float64', data: flat(a) });
const KEYS = ['i2h_weight', 'i2h_bias', 'h2h_weight', 'h2h_bias'];

describe('rnn modifier cells (MXNet 1.x legacy)', () => {
  random.seed(33);

  it('BidirectionalCell: the left cell forward, the right over the reversed steps, concatenated (numpy), merged and per step', () => {
    const x = nd.random.uniform(-1, 1, [N, T, 3]);
    const pl = gruParams('l_', 3);
    const pr = gruParams('r_', 3);
    const [ref] = numpyRefs([{ code: GRU_PY, attrs: { H, mode: 'bi' }, inputs: [asInput(x), ...KEYS.map((k) => asInput(pl[`l_${k}`]!)), ...KEYS.map((k) => asInput(pr[`r_${k}`]!))] }]);
    assert.equal(ref!.error, undefined, ref!.error);
    const bi = new rnn.BidirectionalCell(new rnn.GRUCell(H, { prefix: 'l_' }), new rnn.GRUCell(H, { prefix: 'r_' }));
    const [out, states] = bi.unroll(T, sym.var('data'), { mergeOutputs: true });
    assert.equal(states.length, 2);
    const got = out.eval({ data: x, ...pl, ...pr }) as NDArray;
    assert.deepEqual(got.shape, [N, T, 2 * H]);
    assertClose(flat(got), ref!.outs[0]!.data as number[], 'bidirectional GRU vs numpy', 1e-4, 1e-5);
    const [steps] = bi.unroll(T, sym.var('data')) as [Symbol[], Symbol[]];
    assert.equal(steps.length, T);
    const first = steps[0]!.eval({ data: x, ...pl, ...pr }) as NDArray;
    assertClose(flat(first), (ref!.outs[0]!.data as number[]).filter((_v, k) => Math.floor(k / (2 * H)) % T === 0), 'step 0 of the list', 1e-4, 1e-5);
    assert.deepEqual([...bi.params._params.keys()].sort(), [...Object.keys(pl), ...Object.keys(pr)].sort());
    assert.throws(() => bi.call(), /Bidirectional cannot be stepped. Please use unroll/);
  });

  it('ResidualCell: the wrapped cell\'s output plus its input (numpy), merged and per step; its states and parameters are the wrapped cell\'s', () => {
    const x = nd.random.uniform(-1, 1, [N, T, H]);
    const p = gruParams('g_', H);
    const [ref] = numpyRefs([{ code: GRU_PY, attrs: { H, mode: 'res' }, inputs: [asInput(x), ...KEYS.map((k) => asInput(p[`g_${k}`]!))] }]);
    const cell = new rnn.ResidualCell(new rnn.GRUCell(H, { prefix: 'g_' }));
    assert.equal(cell.stateInfo.length, 1);
    const [out] = cell.unroll(T, sym.var('data'), { mergeOutputs: true });
    assertClose(flat(out.eval({ data: x, ...p }) as NDArray), ref!.outs[0]!.data as number[], 'residual GRU vs numpy', 1e-4, 1e-5);
    const [steps] = cell.unroll(T, sym.var('data'), { mergeOutputs: false }) as [Symbol[], Symbol[]];
    const last = steps[T - 1]!.eval({ data: x, ...p }) as NDArray;
    assertClose(flat(last), (ref!.outs[0]!.data as number[]).filter((_v, k) => Math.floor(k / H) % T === T - 1), 'last step', 1e-4, 1e-5);
    assert.deepEqual([...cell.params._params.keys()].sort(), Object.keys(p).sort());
  });

  it('DropoutCell in a stack: the identity at inference, an inverted dropout (zeros, the rest times 1 / (1 - p)) while training', () => {
    const stack = new rnn.SequentialRNNCell();
    stack.add(new rnn.DropoutCell(0.5));
    assert.deepEqual(stack.stateInfo, []);
    const data = sym.var('data');
    const [out] = stack.unroll(T, data, { mergeOutputs: true });
    const x = nd.random.uniform(1, 2, [20, T, 6]);
    const net = new gluon.SymbolBlock(out, data);
    assert.deepEqual(flat(net.call(x) as NDArray), flat(x), 'inference: identity');
    const y = autograd.record(() => net.call(x) as NDArray, { trainMode: true });
    const X = flat(x);
    const Y = flat(y);
    const zeros = Y.filter((v) => v === 0).length;
    assert.ok(zeros > 0.35 * Y.length && zeros < 0.65 * Y.length, `${zeros} of ${Y.length} dropped at p = 0.5`);
    Y.forEach((v, i) => assert.ok(v === 0 || Math.abs(v - 2 * X[i]!) < 1e-5, `kept values are doubled (${v} vs ${X[i]})`));
  });

  it('Errors name the cell and what was wrong', () => {
    assert.throws(() => new rnn.DropoutCell(1), /DropoutCell: dropout must be a number in \[0, 1\)/);
    assert.throws(() => new rnn.ResidualCell({} as never), /ResidualCell: expects an rnn cell to wrap/);
    assert.throws(() => new rnn.BidirectionalCell(new rnn.GRUCell(2), 3 as never), /BidirectionalCell: expects two rnn cells/);
    const bi = new rnn.BidirectionalCell(new rnn.GRUCell(2, { prefix: 'a_' }), new rnn.LSTMCell(2, { prefix: 'b_' }));
    assert.throws(() => bi.unroll(3, sym.var('d'), { beginState: [sym.var('s')] }), /beginState must hold 3 states/);
  });
});
