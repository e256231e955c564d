/**
 * The BPTT gradient rule of OnnxRNN / OnnxLSTM / OnnxGRU in float64 against
 * central finite differences of the float64 reference kernel (ONNX's
 * equations), input by input along random directions: every direction mode,
 * lengths (including 0 and past T), GRU with and without linearBeforeReset.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import type { GradCtx } from '../../../compiler/ops/define.js';
import { recurrentGrad, recurrentGradUnrolled } from '../../../compiler/ops/rnn-grad.js';
import { recurrentKernel, type RecA, type RecurrentKind } from '../../../compiler/ops/rnn.js';
import type { Tensor } from '../../../compiler/ops/tensor.js';
import { assertDirectionalGradients, dot, randArr, vals } from './recurrent-fd.js';
import { plainShape } from '../../../compiler/ops/symbolic-dim.js';

const G = { RNN: 1, LSTM: 4, GRU: 3 };


interface Setup {
  kind: RecurrentKind;
  attrs: RecA;
  T: number;
  N: number;
  I: number;
  H: number;
  lens?: number[];
  /** Only these outputs get a gradient (the others' are absent). */
  only?: number[];
}

const SETUPS: Setup[] = [
  { kind: 'RNN', attrs: { direction: 'forward', activation: 'tanh' }, T: 4, N: 2, I: 3, H: 3 },
  { kind: 'RNN', attrs: { direction: 'bidirectional', activation: 'relu' }, T: 3, N: 3, I: 2, H: 2, lens: [3, 1, 2] },
  { kind: 'LSTM', attrs: { direction: 'forward' }, T: 4, N: 2, I: 3, H: 2 },
  { kind: 'LSTM', attrs: { direction: 'reverse' }, T: 4, N: 3, I: 2, H: 2, lens: [2, 4, 0] },
  { kind: 'LSTM', attrs: { direction: 'bidirectional' }, T: 3, N: 2, I: 2, H: 3, lens: [3, 9] },
  { kind: 'GRU', attrs: { direction: 'bidirectional', linearBeforeReset: true }, T: 4, N: 2, I: 3, H: 2, lens: [4, 2] },
  { kind: 'GRU', attrs: { direction: 'forward', linearBeforeReset: false }, T: 3, N: 2, I: 2, H: 3 },
  { kind: 'GRU', attrs: { direction: 'reverse', linearBeforeReset: false }, T: 4, N: 3, I: 2, H: 2, lens: [1, 4, 3] },
  { kind: 'LSTM', attrs: { direction: 'bidirectional' }, T: 1, N: 2, I: 3, H: 2 },
  { kind: 'GRU', attrs: { direction: 'reverse', linearBeforeReset: true }, T: 1, N: 2, I: 2, H: 3, lens: [1, 0] },
  { kind: 'RNN', attrs: { direction: 'reverse', activation: 'tanh' }, T: 1, N: 1, I: 2, H: 2 },
  { kind: 'LSTM', attrs: { direction: 'forward' }, T: 9, N: 2, I: 2, H: 3, lens: [9, 5], only: [1, 2] },
  { kind: 'GRU', attrs: { direction: 'bidirectional', linearBeforeReset: false }, T: 6, N: 2, I: 2, H: 2, lens: [3, 6], only: [0] },
];

const RULES = { scan: recurrentGrad, unrolled: recurrentGradUnrolled };

describe('OnnxRNN/OnnxLSTM/OnnxGRU gradient rule: float64 finite differences', () => {
  for (const [form, rule] of Object.entries(RULES)) for (const s of SETUPS) {
    const title = `${s.kind} T=${s.T} ${s.attrs.direction}${s.attrs.activation ? ` ${s.attrs.activation}` : ''}${s.attrs.linearBeforeReset !== undefined ? ` linearBeforeReset=${s.attrs.linearBeforeReset}` : ''}${s.lens ? ` lengths [${s.lens}]` : ''}${s.only ? ` gradients of outputs [${s.only}] only` : ''}`;
    it(`${form}: ${title}`, () => {
      const D = s.attrs.direction === 'bidirectional' ? 2 : 1;
      const gh = G[s.kind] * s.H;
      const xs: NDArray[] = [randArr([s.T, s.N, s.I]), randArr([D, gh, s.I], 0.8), randArr([D, gh, s.H], 0.8), randArr([D, 2 * gh], 0.5), randArr([D, s.N, s.H])];
      if (s.kind === 'LSTM') xs.push(randArr([D, s.N, s.H]));
      if (s.lens) xs.push(nd.array(s.lens, { dtype: 'int32' }));
      const outs = recurrentKernel(s.kind, xs.map((x) => x._host), s.attrs);
      const outShapes = [[s.T, D, s.N, s.H], [D, s.N, s.H], [D, s.N, s.H]];
      const gs = outs.map((_o, i) => (s.only && !s.only.includes(i) ? nd.zeros(outShapes[i]!, { dtype: 'float64' }) : randArr(outShapes[i]!)));
      const ctx: GradCtx = {
        inputs: xs as unknown as Tensor[],
        outputs: outs.map((o, i) => nd.array(Array.from(o), { shape: outShapes[i]!, dtype: 'float64' })) as unknown as Tensor[],
        attrs: s.attrs,
        inTypes: xs.map((x) => ({ dtype: x.dtype, shape: x.shape })),
        outTypes: outShapes.slice(0, outs.length).map((shape) => ({ dtype: 'float64', shape })),
        constant: (data) => nd.array(Array.from(data.data as ArrayLike<number>), { shape: data.shape, dtype: data.dtype }),
      };
      const grads = rule(nd as never, s.kind, ctx, gs.map((g, i) => (s.only && !s.only.includes(i) ? null : g)) as unknown as Tensor[]) as (NDArray | null)[];
      assert.equal(grads.length, xs.length);
      assertDirectionalGradients(title, xs, grads, s.lens ? xs.length - 1 : xs.length, (moved) => recurrentKernel(s.kind, moved.map((x) => x._host), s.attrs).reduce((acc, y, j) => acc + dot(y, vals(gs[j]!)), 0));
      if (s.lens) assert.equal(grads[xs.length - 1], null, 'lengths get no gradient');
    });
  }

  it('names the operator when the sequence length is symbolic', () => {
    const x = sym.var('x', { shape: ['T', 2, 3] });
    const w = sym.var('w', { shape: [1, 4, 3] });
    const r = sym.var('r', { shape: [1, 4, 4] });
    const b = sym.var('b', { shape: [1, 8] });
    const h = sym.var('h', { shape: [1, 2, 4] });
    const ctx: GradCtx = {
      inputs: [x, w, r, b, h] as unknown as Tensor[],
      outputs: [],
      attrs: { direction: 'forward', activation: 'tanh' },
      inTypes: [x, w, r, b, h].map((v) => ({ dtype: v.dtype, shape: plainShape(v.shape) })),
      outTypes: [],
      constant: () => x,
    };
    assert.throws(() => recurrentGradUnrolled(sym as never, 'RNN', ctx, [null, null]), /OnnxRNN: the gradient needs a concrete sequence length \(it is unrolled over time; train with a fixed length per compiled step\), got data shape \[T, 2, 3\]/);
  });
});
