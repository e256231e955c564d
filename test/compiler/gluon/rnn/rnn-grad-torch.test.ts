/**
 * Gradients of the recurrent layers through the Scan gradient
 * (OnnxRecurrentGrad), hybridized, against PyTorch's nn.LSTM / nn.GRU /
 * nn.RNN in float64 with the same weights: d/dx, d/d(initial states) and
 * every parameter's gradient, at T = 1 and longer, with padded sequences
 * (PyTorch's pack_padded_sequence), bidirectional and multi-layer.
 */
import assert from 'node:assert/strict';
import { nd, gluon, init, autograd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs, type NumpyResult } from '../../../helpers/numpy.js';

const { rnn } = gluon;
type Layer = InstanceType<typeof rnn.LSTM>;
type Mode = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';

/** PyTorch float64: loss = Σ y ⊙ head + Σ h_n²; gives [dx, dh0, (dc0), d<param>... in the order of attrs.names]. */
const TORCH = String.raw`
import torch
torch.set_default_dtype(torch.float64)
P = attrs["params"]; m = attrs["mode"]; H = attrs["H"]; L = attrs["L"]; bi = attrs["bi"]; ntc = attrs["ntc"]
I = P["l0_i2h_weight"]["shape"][1]
kw = dict(num_layers=L, bidirectional=bi, batch_first=ntc)
net = torch.nn.LSTM(I, H, **kw) if m == "lstm" else torch.nn.GRU(I, H, **kw) if m == "gru" else torch.nn.RNN(I, H, nonlinearity=m[4:], **kw)
names = {"i2h_weight": "weight_ih", "h2h_weight": "weight_hh", "i2h_bias": "bias_ih", "h2h_bias": "bias_hh"}
tname = lambda k: names[k[1:].split("_", 1)[1]] + "_l" + k[1:].split("_", 1)[0] + ("_reverse" if k[0] == "r" else "")
with torch.no_grad():
    for k, v in P.items():
        getattr(net, tname(k)).copy_(torch.tensor(v["data"]).reshape(v["shape"]))
x = torch.tensor(a, requires_grad=True)
st = [torch.tensor(s, requires_grad=True) for s in ([b, c] if m == "lstm" else [b])]
hx = tuple(st) if m == "lstm" else st[0]
head = torch.tensor(attrs["head"]).reshape(attrs["headShape"])
lens = attrs.get("lens")
T = x.shape[1 if ntc else 0]
if lens is not None:
    y, hn = net(torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lens), batch_first=ntc, enforce_sorted=False), hx)
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=ntc, total_length=T)
else:
    y, hn = net(x, hx)
h_n = hn[0] if m == "lstm" else hn
loss = (y * head).sum() + (h_n ** 2).sum()
loss.backward()
out = [x.grad.numpy()] + [s.grad.numpy() for s in st] + [getattr(net, tname(k)).grad.numpy() for k in attrs["names"]]
`;

interface Case {
  what: string;
  mode: Mode;
  H: number;
  L: number;
  bi: boolean;
  ntc: boolean;
  /** [N, T, C] for NTC, [T, N, C] for TNC. */
  shape: [number, number, number];
  lens?: number[];
}

const CASES: Case[] = [
  { what: 'LSTM, 2 layers, bidirectional, NTC, T=1', mode: 'lstm', H: 3, L: 2, bi: true, ntc: true, shape: [2, 1, 3] },
  { what: 'LSTM, 2 layers, bidirectional, NTC, T=6, padded', mode: 'lstm', H: 3, L: 2, bi: true, ntc: true, shape: [3, 6, 2], lens: [6, 2, 4] },
  { what: 'LSTM, 1 layer, TNC, T=9', mode: 'lstm', H: 4, L: 1, bi: false, ntc: false, shape: [9, 2, 3] },
  { what: 'GRU, 2 layers, bidirectional, TNC, T=1, padded (one length 1)', mode: 'gru', H: 3, L: 2, bi: true, ntc: false, shape: [1, 2, 2], lens: [1, 1] },
  { what: 'GRU, 1 layer, NTC, T=7, padded', mode: 'gru', H: 4, L: 1, bi: false, ntc: true, shape: [3, 7, 3], lens: [7, 1, 5] },
  { what: 'RNN tanh, 2 layers, bidirectional, TNC, T=5', mode: 'rnn_tanh', H: 3, L: 2, bi: true, ntc: false, shape: [5, 2, 2] },
  { what: 'RNN relu, 3 layers, bidirectional, NTC, T=5, padded, unsorted', mode: 'rnn_relu', H: 3, L: 3, bi: true, ntc: true, shape: [4, 5, 2], lens: [2, 5, 1, 4] },
  { what: 'LSTM, 3 layers, TNC, T=4, padded, unsorted', mode: 'lstm', H: 2, L: 3, bi: false, ntc: false, shape: [4, 3, 3], lens: [3, 4, 1] },
];

function make(c: Case): Layer {
  const o = { layout: (c.ntc ? 'NTC' : 'TNC') as 'NTC' | 'TNC', bidirectional: c.bi, inputSize: c.shape[2], useSequenceLength: c.lens !== undefined, i2hBiasInitializer: new init.Uniform(0.5), h2hBiasInitializer: new init.Uniform(0.5) };
  const l = c.mode === 'lstm' ? new rnn.LSTM(c.H, c.L, o) : c.mode === 'gru' ? new rnn.GRU(c.H, c.L, o) : new rnn.RNN(c.H, c.L, { ...o, activation: c.mode === 'rnn_relu' ? 'relu' : 'tanh' });
  l.initialize(new init.Uniform(0.5));
  return l as Layer;
}

const nums = (x: nd.NDArray) => Array.from(x.data() as ArrayLike<number>);

describe('recurrent layer gradients through the Scan gradient, against PyTorch (float64)', () => {
  const prepared: { c: Case; layer: Layer; x: nd.NDArray; states: nd.NDArray[]; head: nd.NDArray; names: string[]; ref?: NumpyResult }[] = [];
  before(function () {
    this.timeout(120000);
    for (const c of CASES) {
      const layer = make(c);
      const x = nd.random.uniform(-1, 1, c.shape);
      const N = c.ntc ? c.shape[0] : c.shape[1];
      const states = layer.beginState(N).map((s) => nd.random.uniform(-1, 1, s.shape));
      const yShape = [c.shape[0], c.shape[1], c.H * (c.bi ? 2 : 1)];
      const head = nd.random.uniform(-1, 1, yShape);
      const names = [...layer.collectParams().keys()];
      prepared.push({ c, layer, x, states, head, names });
    }
    const refs = numpyRefs(
      prepared.map(({ c, layer, x, states, head, names }) => ({
        code: TORCH,
        inputs: [x, ...states].map((t) => ({ shape: t.shape, dtype: 'float64', data: nums(t) })),
        attrs: {
          params: Object.fromEntries([...layer.collectParams().entries()].map(([k, p]) => [k, { shape: p.shape, data: nums(p.data()) }])),
          mode: c.mode, H: c.H, L: c.L, bi: c.bi, ntc: c.ntc, lens: c.lens ?? null, head: nums(head), headShape: head.shape, names,
        },
      })),
    );
    prepared.forEach((p, i) => (p.ref = refs[i]));
  });

  CASES.forEach((c, k) => {
    it(`${c.what}: d/dx, d/dstates and every parameter gradient equal PyTorch's`, () => {
      const { layer, x, states, head, names, ref } = prepared[k]!;
      assert.ok(ref && !ref.error, `torch: ${ref?.error}`);
      layer.hybridize();
      const xs = x.copy();
      const ss = states.map((s) => s.copy());
      xs.attachGrad();
      ss.forEach((s) => s.attachGrad());
      autograd.record(() => {
        const out = (c.lens ? layer.call(xs, ss, nd.array(c.lens)) : layer.call(xs, ss)) as [nd.NDArray, nd.NDArray[]];
        const loss = nd.add(nd.sum(nd.mul(out[0], head)), nd.sum(nd.square(out[1][0]!)));
        loss.backward();
      });
      const got = [xs.grad!, ...ss.map((s) => s.grad!), ...names.map((n) => layer.collectParams().get(n)!.grad())];
      assert.equal(got.length, ref.outs.length);
      got.forEach((g, i) => {
        const what = i === 0 ? 'd/dx' : i <= ss.length ? `d/dstate${i - 1}` : `d/d${names[i - 1 - ss.length]}`;
        assert.deepEqual(g.shape, ref.outs[i]!.shape, `${c.what}: ${what} shape`);
        assertClose(nums(g), ref.outs[i]!.data, `${c.what}: ${what}`, 1e-3, 1e-4);
      });
    });
  });
});

/** PyTorch float64: one SGD step (lr, no momentum) on loss = Σ y ⊙ head + Σ h_n²; gives the updated parameters in attrs.names order. */
const TORCH_SGD = String.raw`
import torch
torch.set_default_dtype(torch.float64)
P = attrs["params"]; m = attrs["mode"]; H = attrs["H"]; L = attrs["L"]
I = P["l0_i2h_weight"]["shape"][1]
net = (torch.nn.LSTM if m == "lstm" else torch.nn.GRU)(I, H, num_layers=L, bidirectional=True, batch_first=True)
names = {"i2h_weight": "weight_ih", "h2h_weight": "weight_hh", "i2h_bias": "bias_ih", "h2h_bias": "bias_hh"}
tname = lambda k: names[k[1:].split("_", 1)[1]] + "_l" + k[1:].split("_", 1)[0] + ("_reverse" if k[0] == "r" else "")
with torch.no_grad():
    for k, v in P.items():
        getattr(net, tname(k)).copy_(torch.tensor(v["data"]).reshape(v["shape"]))
opt = torch.optim.SGD(net.parameters(), lr=attrs["lr"])
x = torch.tensor(a)
packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(attrs["lens"]), batch_first=True, enforce_sorted=False)
y, hn = net(packed)
y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])
h_n = hn[0] if m == "lstm" else hn
loss = (y * torch.tensor(attrs["head"]).reshape(y.shape)).sum() + (h_n ** 2).sum()
opt.zero_grad(); loss.backward(); opt.step()
out = [getattr(net, tname(k)).detach().numpy() for k in attrs["names"]]
`;

describe('the fused training step of a bidirectional 2-layer recurrent layer with lengths, against PyTorch SGD (float64)', () => {
  for (const mode of ['lstm', 'gru'] as const) {
    it(`${mode.toUpperCase()}: one autograd.record + backward + trainer.step gives PyTorch's updated weights (unsorted lengths 1..T)`, function () {
      this.timeout(120000);
      const H = 3;
      const o = { layout: 'NTC' as const, bidirectional: true, useSequenceLength: true, i2hBiasInitializer: new init.Uniform(0.5), h2hBiasInitializer: new init.Uniform(0.5) };
      const layer = mode === 'lstm' ? new rnn.LSTM(H, 2, o) : new rnn.GRU(H, 2, o);
      layer.initialize(new init.Uniform(0.5));
      layer.hybridize();
      const [N, T, C] = [4, 6, 2];
      const x = nd.random.uniform(-1, 1, [N, T, C]);
      const lens = [3, 6, 1, 4];
      const head = nd.random.uniform(-1, 1, [N, T, 2 * H]);
      const lr = 0.5;
      // Deferred init: the input size is known after a first call.
      layer.call(x, null, nd.array(lens));
      const names = [...layer.collectParams().keys()];
      const before = Object.fromEntries([...layer.collectParams().entries()].map(([k, p]) => [k, { shape: p.shape, data: nums(p.data()) }]));
      const [ref] = numpyRefs([{ code: TORCH_SGD, inputs: [{ shape: x.shape, dtype: 'float64', data: nums(x) }], attrs: { params: before, mode, H, L: 2, lens, head: nums(head), lr, names } }]);
      assert.ok(ref && !ref.error, `torch: ${ref?.error}`);
      const trainer = new gluon.Trainer(layer.collectParams(), 'sgd', { learningRate: lr });
      const y0 = layer.beginState(N);
      autograd.record(() => {
        const [y, fin] = layer.call(x, y0, nd.array(lens)) as [nd.NDArray, nd.NDArray[]];
        nd.add(nd.sum(nd.mul(y, head)), nd.sum(nd.square(fin[0]!))).backward();
      });
      trainer.step(1);
      names.forEach((n, i) => assertClose(nums(layer.collectParams().get(n)!.data()), ref.outs[i]!.data, `${mode}: ${n} after one step`, 1e-3, 1e-4));
    });
  }
});

describe('cell.unroll with validLength inside a HybridBlock: gradients against PyTorch (float64)', () => {
  for (const mode of ['lstm', 'gru'] as const) {
    for (const hybrid of [false, true]) {
      it(`${mode === 'lstm' ? 'LSTMCell' : 'GRUCell'}${hybrid ? ', hybridized' : ''}: d/dx, d/dstates and every parameter gradient equal PyTorch's packed layer`, function () {
        this.timeout(120000);
        const [N, T, C, H] = [3, 5, 2, 3];
        const lens = [5, 1, 3];
        class Unrolled extends gluon.HybridBlock {
          readonly cell = mode === 'lstm' ? new rnn.LSTMCell(H, { inputSize: C, i2hBiasInitializer: new init.Uniform(0.5) }) : new rnn.GRUCell(H, { inputSize: C, h2hBiasInitializer: new init.Uniform(0.5) });
          override hybridForward(_F: gluon.F, x: gluon.Tensor, l: gluon.Tensor, ...states: unknown[]): gluon.Tensor[] {
            const [out, fin] = this.cell.unroll(T, x, { layout: 'NTC', validLength: l, beginState: states.slice(0, -1) as gluon.Tensor[] });
            return [out as gluon.Tensor, fin[0]!];
          }
        }
        const net = new Unrolled();
        net.initialize(new init.Uniform(0.5));
        if (hybrid) net.hybridize();
        const x = nd.random.uniform(-1, 1, [N, T, C]);
        const states = net.cell.beginState(N).map((s) => nd.random.uniform(-1, 1, s.shape));
        const head = nd.random.uniform(-1, 1, [N, T, H]);
        const cellNames = ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'];
        const params = Object.fromEntries(cellNames.map((k) => { const p = net.cell.collectParams().get(k)!; return [`l0_${k}`, { shape: p.shape, data: nums(p.data()) }]; }));
        const [ref] = numpyRefs([{
          code: TORCH,
          inputs: [x, ...states.map((s) => s.reshape([1, N, H]))].map((t) => ({ shape: t.shape, dtype: 'float64', data: nums(t) })),
          attrs: { params, mode, H, L: 1, bi: false, ntc: true, lens, head: nums(head), headShape: head.shape, names: cellNames.map((k) => `l0_${k}`) },
        }]);
        assert.ok(ref && !ref.error, `torch: ${ref?.error}`);
        const xs = x.copy();
        const ss = states.map((s) => s.copy());
        xs.attachGrad();
        ss.forEach((s) => s.attachGrad());
        autograd.record(() => {
          const [y, h] = net.call(xs, nd.array(lens), ...ss) as nd.NDArray[];
          nd.add(nd.sum(nd.mul(y!, head)), nd.sum(nd.square(h!))).backward();
        });
        const got = [xs.grad!, ...ss.map((s) => s.grad!), ...cellNames.map((k) => net.cell.collectParams().get(k)!.grad())];
        got.forEach((g, i) => assertClose(nums(g), ref.outs[i]!.data, `${mode}: gradient ${i} (${i === 0 ? 'x' : i <= ss.length ? `state ${i - 1}` : cellNames[i - 1 - ss.length]})`, 1e-3, 1e-4));
      });
    }
  }
});
