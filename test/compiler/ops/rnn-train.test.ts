/**
 * OnnxLSTMTrainGrad (the LSTM gradient from the activations OnnxLSTMTrain
 * saves) in float64 against central finite differences of the float64
 * reference kernel (ONNX's equations, recurrentKernel), input by input along
 * random directions: every direction, T = 1, gradients of some outputs only,
 * saturated gates (σ' and tanh' near 0), sequence lengths (0, within T, past
 * T); and the operators' errors.
 */
import assert from 'node:assert/strict';
import { nd } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { recurrentKernel, type RecA } from '../../../compiler/ops/rnn.js';
import { assertDirectionalGradients, dot, randArr, vals } from './recurrent-fd.js';

type Fn = (...args: unknown[]) => NDArray[];
const F = nd as unknown as { OnnxLSTMTrain: Fn; OnnxLSTMTrainGrad: Fn };


interface Setup {
  direction: RecA['direction'];
  T: number;
  N: number;
  I: number;
  H: number;
  /** Scale of the weights (large: saturated gates). */
  scale?: number;
  /** Only these outputs get a gradient (the others' are zeros). */
  only?: number[];
  /** Sequence lengths (int32). */
  lens?: number[];
}

const SETUPS: Setup[] = [
  { direction: 'forward', T: 5, N: 2, I: 3, H: 2 },
  { direction: 'reverse', T: 4, N: 3, I: 2, H: 3 },
  { direction: 'bidirectional', T: 3, N: 2, I: 2, H: 2 },
  { direction: 'bidirectional', T: 1, N: 2, I: 3, H: 2 },
  { direction: 'forward', T: 6, N: 2, I: 2, H: 3, only: [1, 2] },
  { direction: 'reverse', T: 3, N: 2, I: 2, H: 2, only: [0] },
  { direction: 'forward', T: 4, N: 2, I: 3, H: 2, scale: 6 },
  { direction: 'forward', T: 5, N: 4, I: 2, H: 2, lens: [5, 0, 2, 9] },
  { direction: 'reverse', T: 4, N: 3, I: 2, H: 3, lens: [1, 4, 0] },
  { direction: 'bidirectional', T: 3, N: 3, I: 2, H: 2, lens: [3, 1, 2] },
  { direction: 'reverse', T: 6, N: 2, I: 2, H: 2, lens: [6, 3], only: [1, 2] },
];

describe('OnnxLSTMTrain / OnnxLSTMTrainGrad: float64 finite differences', () => {
  for (const s of SETUPS) {
    const title = `${s.direction} T=${s.T}${s.lens ? ` lengths [${s.lens}]` : ''}${s.only ? ` gradients of outputs [${s.only}] only` : ''}${s.scale ? ' saturated gates' : ''}`;
    it(title, () => {
      const D = s.direction === 'bidirectional' ? 2 : 1;
      const k = s.scale ?? 0.8;
      const xs = [randArr([s.T, s.N, s.I]), randArr([D, 4 * s.H, s.I], k), randArr([D, 4 * s.H, s.H], k), randArr([D, 8 * s.H], 0.5), randArr([D, s.N, s.H]), randArr([D, s.N, s.H])];
      const lens = s.lens ? [nd.array(s.lens, { dtype: 'int32' })] : [];
      const attrs: RecA = { direction: s.direction };
      const outs = F.OnnxLSTMTrain(...xs, ...lens, { direction: s.direction });
      const ref = recurrentKernel('LSTM', [...xs, ...lens].map((x) => x._host), attrs);
      ref.forEach((r, j) => assert.ok(vals(outs[j]!).every((v, i) => Math.abs(v - r[i]!) < 1e-12), `${title}: output ${j} equals the reference kernel's`));
      const shapes = [[s.T, D, s.N, s.H], [D, s.N, s.H], [D, s.N, s.H]];
      const gs = shapes.map((shape, i) => (s.only && !s.only.includes(i) ? nd.zeros(shape, { dtype: 'float64' }) : randArr(shape)));
      const grads = F.OnnxLSTMTrainGrad(xs[0], xs[1], xs[2], xs[4], outs[0], ...outs.slice(3), ...gs, ...lens, { direction: s.direction });
      assert.equal(grads.length, 6);
      assertDirectionalGradients(title, xs, grads, xs.length, (moved) => recurrentKernel('LSTM', [...moved, ...lens].map((x) => x._host), attrs).reduce((acc, y, j) => acc + dot(y, vals(gs[j]!)), 0));
    });
  }

  it('names the operator, the input and the misfit', () => {
    const x = nd.ones([3, 2, 2]);
    const w = [nd.ones([1, 8, 2]), nd.ones([1, 8, 2]), nd.ones([1, 16])];
    const s = nd.ones([1, 2, 2]);
    assert.throws(() => F.OnnxLSTMTrain(x, ...w, s, s, nd.array([3, 1]), nd.array([3, 1])), /OnnxLSTMTrain: unexpected argument 8: NDArray/);
    assert.throws(() => F.OnnxLSTMTrain(x, ...w, s, s, nd.array([3, 1, 2])), /OnnxLSTMTrain: sequenceLength must have shape \[2\], got \[3\]/);
    assert.throws(() => F.OnnxLSTMTrain(x, nd.ones([1, 8, 3]), w[1], w[2], s, s), /OnnxLSTMTrain: weight must have shape \[1, 8, 2\], got \[1, 8, 3\]/);
    const y = nd.ones([3, 1, 2, 2]);
    const saved = Array.from({ length: 7 }, () => y);
    assert.throws(() => F.OnnxLSTMTrainGrad(x, w[0], w[1], s, y, ...saved, y, s, {}), /OnnxLSTMTrainGrad: takes 15 or 16 inputs \(data, weight, recurrentWeight, initialH, Y, i, o, f, g, ig, fc, tc, gradY, gradH, gradC, optional sequenceLength\), got 14/);
    assert.throws(() => F.OnnxLSTMTrainGrad(x, w[0], w[1], s, y, ...saved.slice(0, 6), nd.ones([3, 1, 2, 3]), y, s, s, {}), /OnnxLSTMTrainGrad: tc \(input 11\) must have shape \[3, 1, 2, 2\], got \[3, 1, 2, 3\]/);
    assert.throws(() => F.OnnxLSTMTrainGrad(x, w[0], w[1], s, y, ...saved, y.astype('float64'), s, s, {}), /OnnxLSTMTrainGrad: gradY must be float32 like the data, got float64/);
  });
});
