/**
 * `cell.unroll(length, inputs, { validLength })` as Gluon's: outputs past
 * each length are 0 and the final states are the last valid step's; equal
 * to unrolling each sequence alone over its own length, and to the layer
 * with `useSequenceLength` (checked against PyTorch in rnn-fused.test.ts).
 */
import assert from 'node:assert/strict';
import { nd, gluon, init } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';

const { rnn } = gluon;
const nums = (x: nd.NDArray) => Array.from(x.data() as ArrayLike<number>);

describe('cell.unroll with validLength', () => {
  for (const kind of ['LSTM', 'GRU', 'RNN'] as const) {
    for (const layout of ['NTC', 'TNC'] as const) {
      it(`${kind}Cell, ${layout}: equals each sequence unrolled alone and the layer with useSequenceLength`, () => {
        const H = 3;
        const cell = kind === 'LSTM' ? new rnn.LSTMCell(H, { inputSize: 2 }) : kind === 'GRU' ? new rnn.GRUCell(H, { inputSize: 2 }) : new rnn.RNNCell(H, { inputSize: 2 });
        cell.initialize(new init.Uniform(0.7));
        const T = 5;
        const lens = [5, 1, 3];
        const N = lens.length;
        const x = nd.random.uniform(-1, 1, layout === 'NTC' ? [N, T, 2] : [T, N, 2]);
        const [out, states] = cell.unroll(T, x, { layout, validLength: nd.array(lens) }) as [nd.NDArray, nd.NDArray[]];
        assert.deepEqual(out.shape, layout === 'NTC' ? [N, T, H] : [T, N, H]);
        const o = nums(out);
        const at = (n: number, t: number) => (layout === 'NTC' ? (n * T + t) * H : (t * N + n) * H);
        lens.forEach((len, n) => {
          // Sequence n alone, over its own length.
          const xn = layout === 'NTC' ? nd.sliceAxis(nd.sliceAxis(x, { axis: 0, begin: n, end: n + 1 }), { axis: 1, begin: 0, end: len }) : nd.sliceAxis(nd.sliceAxis(x, { axis: 1, begin: n, end: n + 1 }), { axis: 0, begin: 0, end: len });
          const [alone, aloneStates] = cell.unroll(len, xn, { layout }) as [nd.NDArray, nd.NDArray[]];
          const a = nums(alone);
          for (let t = 0; t < T; t++) {
            const want = t < len ? a.slice(t * H, (t + 1) * H) : [0, 0, 0];
            assertClose(o.slice(at(n, t), at(n, t) + H), want, `${kind} ${layout} sequence ${n} step ${t}`, 1e-5, 1e-6);
          }
          states.forEach((s, i) => assertClose(nums(s).slice(n * H, (n + 1) * H), nums(aloneStates[i]!), `${kind} ${layout} sequence ${n} state ${i}`, 1e-5, 1e-6));
        });
        // The layer with the cell's weights and useSequenceLength.
        const opts = { layout, useSequenceLength: true, inputSize: 2 };
        const layer = kind === 'LSTM' ? new rnn.LSTM(H, 1, opts) : kind === 'GRU' ? new rnn.GRU(H, 1, opts) : new rnn.RNN(H, 1, { ...opts, activation: 'tanh' });
        layer.initialize();
        for (const k of ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']) layer.collectParams().get(`l0_${k}`)!.setData(cell.collectParams().get(k)!.data());
        const [lo, ls] = layer.call(x, layer.beginState(N), nd.array(lens)) as [nd.NDArray, nd.NDArray[]];
        assertClose(nums(lo), o, `${kind} ${layout} layer outputs`, 1e-5, 1e-6);
        ls.forEach((s, i) => assertClose(nums(s), nums(states[i]!), `${kind} ${layout} layer state ${i}`, 1e-5, 1e-6));
      });
    }
  }

  it('works on a list of steps and inside a hybridized block', () => {
    const cell = new rnn.GRUCell(2, { inputSize: 3 });
    cell.initialize();
    const steps = [0, 1, 2, 3].map(() => nd.random.uniform(-1, 1, [2, 3]));
    const lens = nd.array([2, 4]);
    const [list, [h]] = cell.unroll(4, steps, { validLength: lens }) as [nd.NDArray[], nd.NDArray[]];
    assert.equal(list.length, 4);
    assert.deepEqual(nums(list[3]!).slice(0, 2), [0, 0]);
    class Wrapper extends gluon.HybridBlock {
      cell = cell;
      override hybridForward(_F: gluon.F, x: gluon.Tensor, l: gluon.Tensor) {
        const [out, [s]] = this.cell.unroll(4, x, { layout: 'TNC', validLength: l }) as [gluon.Tensor, gluon.Tensor[]];
        return [out, s!];
      }
    }
    const w = new Wrapper();
    w.hybridize();
    const [out, s] = w.call(nd.stack(...steps, { axis: 0 }), lens) as nd.NDArray[];
    assertClose(nums(out!), list.flatMap(nums), 'hybridized outputs', 1e-5, 1e-6);
    assertClose(nums(s!), nums(h!), 'hybridized state', 1e-5, 1e-6);
  });
});
