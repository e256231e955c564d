/**
 * The recurrent layers as ONNX's own recurrent operators (float32, one node
 * per layer) and unrolled (float64 / `unroll: true`), against PyTorch's
 * nn.RNN / nn.LSTM / nn.GRU in float64 with the same weights (PyTorch's gate
 * orders are MXNet's: LSTM i, f, g, o; GRU r, z, n), including valid
 * lengths (PyTorch's pack_padded_sequence) and gradients.
 */
import assert from 'node:assert/strict';
import { nd, gluon, init, autograd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs } from '../../../helpers/numpy.js';

const { rnn } = gluon;
type Layer = InstanceType<typeof rnn.RNN> | InstanceType<typeof rnn.LSTM> | InstanceType<typeof rnn.GRU>;
type Mode = 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';

/** PyTorch in float64 with the layer's weights; inputs a = x, then the states, then the lengths. */
const TORCH = String.raw`
import torch
torch.set_default_dtype(torch.float64)
P = attrs["params"]; m = attrs["mode"]; H = attrs["H"]; L = attrs["L"]; bi = attrs["bi"]; ntc = attrs["ntc"]
I = P["l0_i2h_weight"]["shape"][1]
kw = dict(num_layers=L, bidirectional=bi, batch_first=ntc)
if m == "lstm": net = torch.nn.LSTM(I, H, **kw)
elif m == "gru": net = torch.nn.GRU(I, H, **kw)
else: net = torch.nn.RNN(I, H, nonlinearity="relu" if m == "rnn_relu" else "tanh", **kw)
names = {"i2h_weight": "weight_ih", "h2h_weight": "weight_hh", "i2h_bias": "bias_ih", "h2h_bias": "bias_hh"}
with torch.no_grad():
    for k, v in P.items():
        layer, nm = k[1:].split("_", 1)
        getattr(net, names[nm] + "_l" + layer + ("_reverse" if k[0] == "r" else "")).copy_(torch.tensor(v["data"]).reshape(v["shape"]))
x = torch.tensor(a)
ns = 2 if m == "lstm" else 1
st = ([b] if ns == 1 else [b, c]) if attrs["states"] else None
hx = None if st is None else (tuple(torch.tensor(s) for s in st) if ns == 2 else torch.tensor(st[0]))
lens = attrs.get("lens")
if lens is not None:
    T = x.shape[1 if ntc else 0]
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lens), batch_first=ntc, enforce_sorted=False)
    y, hn = net(packed, hx)
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=ntc, total_length=T)
else:
    y, hn = net(x, hx)
hn = list(hn) if ns == 2 else [hn]
out = [y.detach().numpy()] + [h.detach().numpy() for h in hn]
`;

interface Case {
  what: string;
  mode: Mode;
  make: (o: Record<string, unknown>) => Layer;
  H: number;
  L: number;
  bi: boolean;
  ntc: boolean;
  /** Input shape in the layer's layout. */
  shape: [number, number, number];
}

const U = (): init.Initializer => new init.Uniform(0.5);
const base = (o: Record<string, unknown>) => ({ i2hBiasInitializer: U(), h2hBiasInitializer: U(), ...o });
const CASES: Case[] = [
  { what: 'RNN relu, 1 layer, TNC', mode: 'rnn_relu', make: (o) => new rnn.RNN(4, 1, base(o)), H: 4, L: 1, bi: false, ntc: false, shape: [6, 3, 5] },
  { what: 'RNN tanh, 2 layers, bidirectional, NTC', mode: 'rnn_tanh', make: (o) => new rnn.RNN(3, 2, base({ activation: 'tanh', bidirectional: true, layout: 'NTC', ...o })), H: 3, L: 2, bi: true, ntc: true, shape: [3, 5, 2] },
  { what: 'LSTM, 2 layers, bidirectional, TNC', mode: 'lstm', make: (o) => new rnn.LSTM(4, 2, base({ bidirectional: true, ...o })), H: 4, L: 2, bi: true, ntc: false, shape: [5, 4, 3] },
  { what: 'LSTM, 3 layers, NTC', mode: 'lstm', make: (o) => new rnn.LSTM(3, 3, base({ layout: 'NTC', ...o })), H: 3, L: 3, bi: false, ntc: true, shape: [2, 7, 4] },
  { what: 'GRU, 1 layer, TNC', mode: 'gru', make: (o) => new rnn.GRU(5, 1, base(o)), H: 5, L: 1, bi: false, ntc: false, shape: [4, 3, 3] },
  { what: 'GRU, 2 layers, bidirectional, NTC', mode: 'gru', make: (o) => new rnn.GRU(3, 2, base({ bidirectional: true, layout: 'NTC', ...o })), H: 3, L: 2, bi: true, ntc: true, shape: [4, 6, 2] },
];

/** A layer of a case with its input size given. */
const mk = (c: Case, o: Record<string, unknown>): Layer => c.make({ inputSize: c.shape[2], ...o });

const rand = (shape: number[], dtype: 'float32' | 'float64' = 'float32') => nd.random.uniform(-1, 1, shape).astype(dtype);
const nums = (x: nd.NDArray) => Array.from(x.data() as ArrayLike<number>);
const job = (c: Case, layer: Layer, x: nd.NDArray, states: nd.NDArray[] | null, lens?: number[]) => ({
  code: TORCH,
  inputs: [x, ...(states ?? [])].map((t) => ({ shape: t.shape, dtype: 'float64', data: nums(t) })),
  attrs: {
    params: Object.fromEntries([...layer.collectParams().entries()].map(([k, p]) => [k, { shape: p.shape, data: nums(p.data()) }])),
    mode: c.mode, H: c.H, L: c.L, bi: c.bi, ntc: c.ntc, states: states !== null, lens: lens ?? null,
  },
});

/** The same layer in float64 (unrolled), with the same weights. */
function twin(c: Case, layer: Layer, extra: Record<string, unknown> = {}): Layer {
  const t = mk(c, { dtype: 'float64', ...extra });
  t.initialize();
  for (const [k, p] of t.collectParams().entries()) p.setData(layer.collectParams().get(k)!.data().astype('float64'));
  return t;
}

function lengthsFor(n: number, T: number): number[] {
  return Array.from({ length: n }, (_v, i) => [T, 1, Math.max(1, T - 2), 2][i % 4]!);
}

describe('gluon.rnn layers as ONNX recurrent operators, against PyTorch (float64)', () => {
  // One python process for every PyTorch reference (importing torch takes seconds).
  interface Prepared { layer: Layer; withLens: Layer; x: nd.NDArray; states: nd.NDArray[]; lens: number[]; refs: ReturnType<typeof numpyRefs> }
  const prepared = new Map<Case, Prepared>();
  before(function () {
    this.timeout(120000);
    const jobs: ReturnType<typeof job>[] = [];
    for (const c of CASES) {
      const layer = mk(c, {});
      layer.initialize(new init.Uniform(0.5));
      const x = rand(c.shape);
      const N = c.ntc ? c.shape[0] : c.shape[1];
      const T = c.ntc ? c.shape[1] : c.shape[0];
      const states = layer.beginState(N).map((s) => nd.random.uniform(-1, 1, s.shape));
      const lens = lengthsFor(N, T);
      const withLens = mk(c, { useSequenceLength: true });
      withLens.initialize();
      for (const [k, p] of withLens.collectParams().entries()) p.setData(layer.collectParams().get(k)!.data());
      jobs.push(job(c, layer, x, null), job(c, layer, x, states), job(c, layer, x, states, lens));
      prepared.set(c, { layer, withLens, x, states, lens, refs: [] });
    }
    const refs = numpyRefs(jobs);
    CASES.forEach((c, i) => (prepared.get(c)!.refs = refs.slice(3 * i, 3 * i + 3)));
  });

  for (const c of CASES) {
    it(`${c.what}: fused float32 and unrolled float64 equal PyTorch, with and without states and lengths`, () => {
      const { layer, withLens, x, states, lens, refs } = prepared.get(c)!;
      const [noState, withState, withLen] = refs;
      for (const r of [noState, withState, withLen]) assert.ok(!r!.error, `torch: ${r!.error}`);
      const x64 = x.astype('float64');
      const s64 = states.map((s) => s.astype('float64'));
      const lensNd = nd.array(lens);
      const check = (what: string, got: nd.NDArray | [nd.NDArray, nd.NDArray[]], ref: typeof noState, rtol: number, atol: number) => {
        const outs = Array.isArray(got) ? [got[0], ...got[1]] : [got];
        assert.equal(outs.length, Array.isArray(got) ? ref!.outs.length : 1, `${what}: output count`);
        outs.forEach((o, i) => {
          assert.deepEqual(o.shape, ref!.outs[i]!.shape, `${what}: output ${i} shape`);
          assertClose(nums(o), ref!.outs[i]!.data, `${c.what} ${what} output ${i}`, rtol, atol);
        });
      };
      for (const hybrid of [false, true]) {
        const h = hybrid ? ' (hybridized)' : '';
        const t64 = twin(c, layer);
        const t64l = twin(c, layer, { useSequenceLength: true });
        if (hybrid) [layer, withLens, t64, t64l].forEach((b) => b.hybridize());
        check(`fused${h}`, layer.call(x) as nd.NDArray, noState, 1e-4, 1e-5);
        check(`fused, states${h}`, layer.call(x, states) as [nd.NDArray, nd.NDArray[]], withState, 1e-4, 1e-5);
        check(`fused, lengths${h}`, withLens.call(x, states, lensNd) as [nd.NDArray, nd.NDArray[]], withLen, 1e-4, 1e-5);
        check(`unrolled float64${h}`, t64.call(x64) as nd.NDArray, noState, 1e-10, 1e-12);
        check(`unrolled float64, states${h}`, t64.call(x64, s64) as [nd.NDArray, nd.NDArray[]], withState, 1e-10, 1e-12);
        check(`unrolled float64, lengths${h}`, t64l.call(x64, s64, lensNd) as [nd.NDArray, nd.NDArray[]], withLen, 1e-10, 1e-12);
      }
    });
  }

  it('fused gradients (the BPTT rule) equal the unrolled float64 layer\'s, eager and through the compiled training step', () => {
    for (const c of [CASES[1]!, CASES[2]!, CASES[5]!]) {
      for (const useLens of [false, true]) {
        const o = useLens ? { useSequenceLength: true } : {};
        const layer = mk(c, o);
        layer.initialize(new init.Uniform(0.5));
        const x = rand(c.shape);
        const N = c.ntc ? c.shape[0] : c.shape[1];
        const T = c.ntc ? c.shape[1] : c.shape[0];
        const states = layer.beginState(N).map((s) => nd.random.uniform(-1, 1, s.shape));
        const lens = nd.array(lengthsFor(N, T));
        const head = rand([N * T * c.H * (c.bi ? 2 : 1)], 'float64');
        const gradsOf = (b: Layer, dtype: 'float32' | 'float64', hybrid: boolean) => {
          if (hybrid) b.hybridize();
          const xs = x.astype(dtype);
          const ss = states.map((s) => s.astype(dtype));
          xs.attachGrad();
          ss.forEach((s) => s.attachGrad());
          autograd.record(() => {
            const [y, fin] = (useLens ? b.call(xs, ss, lens) : b.call(xs, ss)) as [nd.NDArray, nd.NDArray[]];
            const loss = nd.add(nd.sum(nd.mul(y.reshape([-1]), head.astype(dtype))), nd.sum(nd.square(fin[0]!)));
            loss.backward();
          });
          return { x: xs.grad!, s: ss.map((s) => s.grad!), p: new Map([...b.collectParams().entries()].map(([k, p]) => [k, p.grad()])) };
        };
        const ref = gradsOf(twin(c, layer, o), 'float64', false);
        for (const hybrid of [false, true]) {
          const got = gradsOf(hybrid ? (() => { const l = mk(c, o); l.initialize(); for (const [k, p] of l.collectParams().entries()) p.setData(layer.collectParams().get(k)!.data()); return l; })() : layer, 'float32', hybrid);
          const what = `${c.what}${useLens ? ', lengths' : ''}${hybrid ? ', hybridized' : ''}`;
          assertClose(nums(got.x), nums(ref.x), `${what}: d/dx`, 1e-3, 1e-4);
          got.s.forEach((g, i) => assertClose(nums(g), nums(ref.s[i]!), `${what}: d/dstate${i}`, 1e-3, 1e-4));
          for (const [k, g] of got.p) assertClose(nums(g), nums(ref.p.get(k)!), `${what}: d/d${k}`, 1e-3, 1e-4);
        }
      }
    }
  });

  it('names the layer on missing, unexpected or misshapen lengths', () => {
    const l = new rnn.LSTM(3, 1, { useSequenceLength: true });
    l.initialize();
    assert.throws(() => l.call(nd.ones([4, 2, 3])), /LSTM: useSequenceLength is set, so call\(x, states \| null, sequenceLength\) needs the lengths \[batch\]/);
    assert.throws(() => l.call(nd.ones([4, 2, 3]), null, nd.array([1, 2, 3])), /LSTM: sequenceLength must have shape \[2\] \(one length per batch entry\) for input \[4, 2, 3\], got \[3\]/);
    const g = new rnn.GRU(3);
    g.initialize();
    assert.throws(() => g.call(nd.ones([4, 2, 3]), g.beginState(2), nd.array([1, 2])), /GRU: expects call\(x\) or call\(x, states\) \(sequence lengths need the useSequenceLength option\), got 3 arguments/);
  });

  it('refuses lengths past T, negative, fractional or NaN (eager and hybridized, both layouts), naming the entry and T; accepts 0 and T', () => {
    for (const layout of ['TNC', 'NTC'] as const) {
      for (const hybrid of [false, true]) {
        const l = new rnn.GRU(3, 2, { layout, bidirectional: true, useSequenceLength: true });
        l.initialize();
        if (hybrid) l.hybridize();
        const x = nd.ones(layout === 'TNC' ? [4, 3, 2] : [3, 4, 2]);
        for (const [bad, i] of [[[4, 5, 1], 1], [[-1, 2, 3], 0], [[1, 2.5, 3], 1], [[1, 2, NaN], 2]] as const) {
          const v = bad[i];
          assert.throws(() => l.call(x, null, nd.array([...bad])), new RegExp(`^Error: GRU: sequenceLength\\[${i}\\] is ${v}; lengths must be integers in \\[0, 4\\] \\(the input has 4 steps\\)$`), `${layout} ${bad}`);
        }
        for (const dtype of ['int32', 'int64', 'float32'] as const) {
          const y = l.call(x, null, nd.array([4, 0, 1], { dtype })) as nd.NDArray;
          assert.deepEqual(y.shape, layout === 'TNC' ? [4, 3, 6] : [3, 4, 6]);
        }
      }
    }
    const cell = new rnn.LSTMCell(3);
    cell.initialize();
    assert.throws(() => cell.unroll(4, nd.ones([2, 4, 2]), { validLength: nd.array([5, 1]) }), /^Error: LSTMCell\.unroll: validLength\[0\] is 5; lengths must be integers in \[1, 4\] \(the input has 4 steps\)$/);
    assert.throws(() => cell.unroll(4, nd.ones([2, 4, 2]), { validLength: nd.array([2, 0]) }), /validLength\[1\] is 0; lengths must be integers in \[1, 4\]/);
    assert.deepEqual((cell.unroll(4, nd.ones([2, 4, 2]), { validLength: nd.array([4, 1]) })[0] as nd.NDArray).shape, [2, 4, 3]);
  });
});

describe('gluon.rnn layers on an empty batch', () => {
  it('RNN, LSTM and GRU (2 layers, bidirectional, lengths) give empty outputs and states and zero gradients, eager and hybridized (onnxruntime\'s LSTM/GRU kernels abort on N = 0)', () => {
    for (const make of [() => new rnn.RNN(4, 2, { layout: 'NTC', bidirectional: true, useSequenceLength: true }), () => new rnn.LSTM(4, 2, { layout: 'NTC', bidirectional: true, useSequenceLength: true }), () => new rnn.GRU(4, 2, { layout: 'NTC', bidirectional: true, useSequenceLength: true })]) {
      for (const hybrid of [false, true]) {
        const l = make();
        l.initialize();
        if (hybrid) l.hybridize();
        l.call(nd.ones([2, 5, 3]), null, nd.array([5, 2]));
        const [y, st] = l.call(nd.ones([0, 5, 3]), l.beginState(0), nd.array([])) as [nd.NDArray, nd.NDArray[]];
        assert.deepEqual(y.shape, [0, 5, 8], `${l.constructor.name}${hybrid ? ', hybridized' : ''}`);
        st.forEach((s) => assert.deepEqual(s.shape, [4, 0, 4]));
        assert.deepEqual((l.call(nd.ones([0, 5, 3]), null, nd.array([])) as nd.NDArray).shape, [0, 5, 8]);
        // Training on it: the gradients are sums over no examples, so 0, and the step leaves the weights as they were.
        const x = nd.ones([0, 5, 3]);
        x.attachGrad();
        const before = nums(l.collectParams().get('l1_h2h_weight')!.data());
        const trainer = new gluon.Trainer(l.collectParams(), 'sgd', { learningRate: 0.1 });
        autograd.record(() => {
          const [y2, s2] = l.call(x, l.beginState(0), nd.array([])) as [nd.NDArray, nd.NDArray[]];
          nd.add(nd.sum(y2), nd.sum(s2[0]!)).backward();
        });
        trainer.step(1);
        assert.deepEqual(x.grad!.shape, [0, 5, 3]);
        for (const [k, p] of l.collectParams()) assert.ok(nums(p.grad()).every((v) => v === 0), `${l.constructor.name}: d/d${k} is 0`);
        assert.deepEqual(nums(l.collectParams().get('l1_h2h_weight')!.data()), before);
      }
    }
  });
});
