/**
 * Table entries for ONNX's recurrent operators (OnnxRNN, OnnxLSTM, OnnxGRU).
 * The numpy reference follows the equations of ONNX's operator
 * specification (onnx/docs/Operators.md, RNN/LSTM/GRU), in float64.
 */
import type { InputSpec, OpCase, Sample } from '../case.js';

/** ONNX's recurrent equations in numpy: inputs a..g, options in attrs. */
const REF = (kind: 'RNN' | 'LSTM' | 'GRU') => `
kind = "${kind}"
sig = lambda v: 1 / (1 + np.exp(-v))
ins = []
for k in "abcdefg":
    try:
        ins.append(eval(k))
    except NameError:
        break
x, W, R, B, h0 = ins[:5]
c0 = ins[5] if kind == "LSTM" else None
rest = ins[6:] if kind == "LSTM" else ins[5:]
lens_given = len(rest) > 0
T, N, I = x.shape
D, GH, H = R.shape
direction = attrs.get("direction", "forward")
lens = np.clip(np.trunc(rest[0]).astype(np.int64), 0, T) if lens_given else np.full(N, T)
Y = np.zeros((T, D, N, H)); Yh = np.zeros((D, N, H)); Yc = np.zeros((D, N, H))
for di in range(D):
    rev = direction == "reverse" or di == 1
    Wb, Rb = B[di][:GH], B[di][GH:]
    for n in range(N):
        h = h0[di, n].copy(); cc = c0[di, n].copy() if c0 is not None else None
        L = lens[n]
        for s in range(L):
            t = L - 1 - s if rev else s
            xw = W[di] @ x[t, n] + Wb
            hr = R[di] @ h + Rb
            if kind == "RNN":
                pre = xw + hr
                h = np.maximum(pre, 0) if attrs.get("activation", "tanh") == "relu" else np.tanh(pre)
            elif kind == "LSTM":
                i_, o_, f_, c_ = np.split(xw + hr, 4)
                cc = sig(f_) * cc + sig(i_) * np.tanh(c_)
                h = sig(o_) * np.tanh(cc)
            else:
                xz, xr, xh = np.split(xw, 3)
                hz, hr_, hh = np.split(hr, 3)
                z = sig(xz + hz); r = sig(xr + hr_)
                if attrs.get("linearBeforeReset", False):
                    hcand = np.tanh(xh + r * hh)
                else:
                    hcand = np.tanh(xh + R[di][2 * H:] @ (r * h) + Rb[2 * H:])
                h = (1 - z) * hcand + z * h
            Y[t, di, n] = h
        if L > 0:  # length 0: zero final states (onnxruntime)
            Yh[di, n] = h
            if cc is not None: Yc[di, n] = cc
out = [Y, Yh, Yc] if kind == "LSTM" else [Y, Yh]
`;

function weights(G: number, D: number, H: number, I: number) {
  return [
    { shape: [D, G * H, I], range: [-0.8, 0.8] as [number, number] },
    { shape: [D, G * H, H], range: [-0.8, 0.8] as [number, number] },
    { shape: [D, 2 * G * H], range: [-0.5, 0.5] as [number, number] },
  ];
}

function samples(kind: 'RNN' | 'LSTM' | 'GRU', extra: Record<string, unknown> = {}): Sample[] {
  const G = { RNN: 1, LSTM: 4, GRU: 3 }[kind];
  const states = kind === 'LSTM' ? 2 : 1;
  const st = (D: number, N: number, H: number) => Array.from({ length: states }, () => ({ shape: [D, N, H] }));
  // The first four are the gradient test's (T concrete).
  return [
    { inputs: [{ shape: [3, 2, 3] }, ...weights(G, 1, 2, 3), ...st(1, 2, 2)], args: [{ ...extra }], label: 'forward' },
    { inputs: [{ shape: [3, 2, 2] }, ...weights(G, 2, 2, 2), ...st(2, 2, 2), { shape: [2], dtype: 'int32', values: [3, 1] }], args: [{ direction: 'bidirectional', ...extra }], label: 'bidirectional with lengths' },
    { inputs: [{ shape: [4, 3, 2] }, ...weights(G, 1, 3, 2), ...st(1, 3, 3), { shape: [3], values: [2.5, 4, 1] }], args: [{ direction: 'reverse', ...extra }], label: 'reverse, float lengths truncate' },
    { inputs: [{ shape: [1, 2, 2] }, ...weights(G, 1, 2, 2), ...st(1, 2, 2)], args: [{ ...extra }], label: 'one step' },
    { inputs: [{ shape: [5, 3, 4], symbolic: true }, ...weights(G, 1, 3, 4), ...st(1, 3, 3)], args: [{ ...extra }], label: 'symbolic time axis' },
    { inputs: [{ shape: [3, 3, 2] }, ...weights(G, 1, 2, 2), ...st(1, 3, 2), { shape: [3], dtype: 'int64', values: [0, 7, 2] }], args: [{ ...extra }], label: 'lengths 0 and past T (clipped)' },
    // onnxruntime's LSTM and GRU kernels abort the process on an empty batch; the lowering must not reach them.
    { inputs: [{ shape: [3, 0, 2] }, ...weights(G, 2, 2, 2), ...st(2, 0, 2)], args: [{ direction: 'bidirectional', ...extra }], label: 'empty batch' },
  ];
}

/** Samples of OnnxRecurrentGrad: the forward's inputs, then Y, gradY and the state gradients (T symbolic where asked). */
function gradSamples(): Sample[] {
  const make = (kind: 'RNN' | 'LSTM' | 'GRU', D: number, T: number, N: number, I: number, H: number, extra: Record<string, unknown>, lens?: number[], symbolic = false): Sample => {
    const states = kind === 'LSTM' ? 2 : 1;
    const st = Array.from({ length: states }, () => ({ shape: [D, N, H] }));
    return {
      inputs: [{ shape: [T, N, I], symbolic }, ...weights({ RNN: 1, LSTM: 4, GRU: 3 }[kind], D, H, I), ...st, { shape: [T, D, N, H], symbolic }, { shape: [T, D, N, H], symbolic }, ...st, ...(lens ? [{ shape: [N], dtype: 'int32' as const, values: lens }] : [])],
      args: [{ kind, lengths: lens !== undefined, ...extra }],
      label: `${kind} ${JSON.stringify(extra)}${lens ? ` lengths [${lens}]` : ''}${symbolic ? ', symbolic time axis' : ''}`,
    };
  };
  return [
    make('LSTM', 1, 3, 2, 3, 2, {}),
    make('LSTM', 2, 4, 3, 2, 2, { direction: 'bidirectional' }, [4, 0, 2]),
    make('RNN', 1, 3, 2, 2, 3, { direction: 'reverse', activation: 'relu' }, [1, 3]),
    make('GRU', 2, 3, 2, 2, 2, { direction: 'bidirectional', linearBeforeReset: true }),
    make('GRU', 1, 5, 2, 3, 2, { linearBeforeReset: false }, [5, 2], true),
    make('LSTM', 1, 1, 2, 2, 2, { direction: 'reverse' }),
  ];
}

/**
 * OnnxLSTMTrain in numpy: ONNX's LSTM equations with every step's activations i, o, f, g, i⊙g, f⊙c_(t-1),
 * tanh(c_t); with lengths, a step past a length (in the scan order) keeps the states, Y = 0 there, and the
 * activations are those computed from the kept states; a length of 0 gives zero final states.
 */
const TRAIN_REF = `
sig = lambda v: 1 / (1 + np.exp(-v))
x, W, R, B, h0, c0 = a, b, c, d, e, f
T, N, I = x.shape
D, GH, H = R.shape
try:
    lens = np.clip(np.trunc(g).astype(np.int64), 0, T)
except NameError:
    lens = np.full(N, T)
direction = attrs.get("direction", "forward")
Y = np.zeros((T, D, N, H)); Yh = np.zeros((D, N, H)); Yc = np.zeros((D, N, H))
saved = [np.zeros((T, D, N, H)) for _ in range(7)]
for di in range(D):
    rev = direction == "reverse" or di == 1
    h = h0[di].copy(); cc = c0[di].copy()
    for s in range(T):
        t = T - 1 - s if rev else s
        keep = (t < lens)[:, None]
        pre = x[t] @ W[di].T + h @ R[di].T + B[di][:GH] + B[di][GH:]
        i_, o_, f_, g_ = sig(pre[:, :H]), sig(pre[:, H:2 * H]), sig(pre[:, 2 * H:3 * H]), np.tanh(pre[:, 3 * H:])
        fc = f_ * cc
        cn = fc + i_ * g_
        hn = o_ * np.tanh(cn)
        for k, v in enumerate([i_, o_, f_, g_, i_ * g_, fc, np.tanh(cn)]):
            saved[k][t, di] = v
        h = np.where(keep, hn, h); cc = np.where(keep, cn, cc)
        Y[t, di] = np.where(keep, hn, 0)
    live = (lens > 0)[:, None]
    Yh[di] = h * live; Yc[di] = cc * live
out = [Y, Yh, Yc] + saved
`;

/** Samples of OnnxLSTMTrain (no lengths), one with saturated gates. */
function trainSamples(): Sample[] {
  const make = (D: number, T: number, N: number, I: number, H: number, direction: string, symbolic = false, scale = 1, lens?: InputSpec): Sample => ({
    inputs: [{ shape: [T, N, I], symbolic }, ...weights(4, D, H, I).map((w) => ({ ...w, range: [w.range[0] * scale, w.range[1] * scale] as [number, number] })), { shape: [D, N, H] }, { shape: [D, N, H] }, ...(lens ? [lens] : [])],
    args: [{ direction }],
    label: `${direction} T=${T}${symbolic ? ', symbolic time axis' : ''}${scale > 1 ? ', saturated gates' : ''}${lens ? ` lengths [${lens.values}]` : ''}`,
  });
  return [
    make(1, 3, 2, 3, 2, 'forward'), make(1, 4, 3, 2, 3, 'reverse'), make(2, 3, 2, 2, 2, 'bidirectional'), make(2, 1, 2, 3, 2, 'bidirectional'), make(1, 5, 3, 4, 3, 'forward', true), make(1, 4, 2, 3, 2, 'forward', false, 10),
    make(2, 4, 3, 2, 2, 'bidirectional', false, 1, { shape: [3], dtype: 'int32', values: [4, 0, 2] }),
    make(1, 3, 3, 2, 2, 'reverse', false, 1, { shape: [3], dtype: 'int64', values: [7, 1, 0] }),
    make(1, 4, 3, 2, 2, 'forward', false, 1, { shape: [3], values: [2.5, 4, 1] }),
  ];
}

/** Samples of OnnxLSTMTrainGrad: data, weight, recurrentWeight, initialH, Y, the seven activations, then the output gradients. */
function trainGradSamples(): Sample[] {
  const make = (D: number, T: number, N: number, I: number, H: number, direction: string, symbolic = false, lens?: number[]): Sample => {
    const seq = { shape: [T, D, N, H], symbolic };
    return {
      inputs: [{ shape: [T, N, I], symbolic }, ...weights(4, D, H, I).slice(0, 2), { shape: [D, N, H] }, ...Array.from({ length: 9 }, () => seq), { shape: [D, N, H] }, { shape: [D, N, H] }, ...(lens ? [{ shape: [N], dtype: 'int32' as const, values: lens }] : [])],
      args: [{ direction }],
      label: `${direction} T=${T}${symbolic ? ', symbolic time axis' : ''}${lens ? ` lengths [${lens}]` : ''}`,
    };
  };
  return [make(1, 3, 2, 3, 2, 'forward'), make(2, 4, 3, 2, 2, 'bidirectional'), make(1, 1, 2, 2, 2, 'reverse'), make(1, 5, 2, 3, 2, 'forward', true), make(2, 4, 3, 2, 2, 'bidirectional', false, [4, 0, 2]), make(1, 3, 2, 2, 2, 'reverse', true, [1, 3])];
}

/** fusedRNNParams: the identity on the vector, whose length is src/operator/rnn-inl.h's GetRnnParamSize (checked here). */
const PARAM_REF = `
H = attrs['stateSize']; L = attrs.get('numLayers', 1); D = 2 if attrs.get('bidirectional', False) else 1
size = H * D * {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}[attrs['mode']]
param_size = (a.shape[-1] + H + 2) * size + (L - 1) * (H * D + H + 2) * size
assert b.shape == (param_size,), (b.shape, param_size)
out = b.copy()
`;

export const cases: OpCase[] = [
  {
    op: 'fusedRNNParams',
    ref: PARAM_REF,
    samples: [
      { inputs: [{ shape: [4, 2, 3] }, { shape: [56] }], args: [{ mode: 'lstm', stateSize: 2 }], label: 'lstm, one layer: 4 * 2 * (3 + 2 + 2)' },
      { inputs: [{ shape: [2, 3, 3], symbolic: true }, { shape: [180] }], args: [{ mode: 'gru', stateSize: 2, numLayers: 2, bidirectional: true }], label: 'gru, 2 layers, bidirectional, symbolic axis 0' },
      { inputs: [{ shape: [1, 1, 2] }, { shape: [42] }], args: [{ mode: 'rnn_relu', stateSize: 3, bidirectional: true }], label: 'rnn_relu, one step, bidirectional' },
      { inputs: [{ shape: [3, 2, 1] }, { shape: [12] }], args: [{ mode: 'rnn_tanh', stateSize: 1, numLayers: 3 }], label: 'rnn_tanh, 3 layers of 1 unit, 1 feature' },
    ],
  },
  { op: 'OnnxLSTMTrain', ref: TRAIN_REF, samples: trainSamples() },
  {
    op: 'OnnxLSTMTrainGrad',
    samples: trainGradSamples(),
    noRef: "it takes OnnxLSTMTrain's outputs as inputs, which random inputs are not; rnn-train.test.ts checks it against float64 finite differences of the forward",
  },
  {
    op: 'OnnxRecurrentGrad',
    samples: gradSamples(),
    noRef: "it takes the forward's output Y as an input, which random inputs are not; rnn-grad.test.ts checks it against float64 finite differences of the forward",
  },
  { op: 'OnnxRNN', ref: REF('RNN'), samples: [...samples('RNN'), ...samples('RNN', { activation: 'relu' }).slice(0, 2)] },
  { op: 'OnnxLSTM', ref: REF('LSTM'), samples: samples('LSTM') },
  { op: 'OnnxGRU', ref: REF('GRU'), samples: [...samples('GRU', { linearBeforeReset: true }), ...samples('GRU').slice(0, 3)] },
];
