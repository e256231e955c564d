/**
 * gluon.rnn's cell containers and ResidualCell against PyTorch float64:
 * stacks of LSTM/GRU/RNN cells (SequentialRNNCell, HybridSequentialRNNCell),
 * BidirectionalCell and ResidualCell, unrolled eagerly, inside a hybridized
 * block and hybridized themselves, with and without valid lengths. The
 * reference runs torch.nn.LSTMCell/GRUCell/RNNCell with the same weights
 * over each sequence alone (its own length, the backward direction over
 * that sequence reversed, the residual as output + input, the stack as
 * each cell feeding the next): outputs, final states, d/dx, d/dstates and
 * every parameter's gradient.
 */
import assert from 'node:assert/strict';
import { nd, gluon, init, autograd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs, type NumpyResult } from '../../../helpers/numpy.js';

const { rnn } = gluon;
type Cell = gluon.rnn.HybridRecurrentCell | gluon.rnn.SequentialRNNCell;
const nums = (x: nd.NDArray) => Array.from(x.data() as ArrayLike<number>);

/** The cell tree as the reference builds it; leaves carry their parameters (structural names under `prefix`). */
type Spec =
  | { kind: 'lstm' | 'gru' | 'rnn_tanh'; prefix: string; params: Record<string, { shape: number[]; data: number[] }> }
  | { kind: 'seq'; cells: Spec[] }
  | { kind: 'bi'; l: Spec; r: Spec }
  | { kind: 'res'; base: Spec }
  | { kind: 'drop' };

const LEAF = ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'];

/** The spec of a cell tree, and its leaves' parameter names in the reference's (depth-first) order. */
function specOf(cell: unknown, prefix = ''): { spec: Spec; names: string[] } {
  if (cell instanceof rnn.LSTMCell || cell instanceof rnn.GRUCell || cell instanceof rnn.RNNCell) {
    const params = Object.fromEntries(LEAF.map((k) => { const p = cell.collectParams().get(k)!; return [k, { shape: p.shape, data: nums(p.data()) }]; }));
    const kind = cell instanceof rnn.LSTMCell ? 'lstm' : cell instanceof rnn.GRUCell ? 'gru' : 'rnn_tanh';
    return { spec: { kind, prefix, params }, names: LEAF.map((k) => prefix + k) };
  }
  if (cell instanceof rnn.SequentialRNNCell || cell instanceof rnn.HybridSequentialRNNCell) {
    const kids = [...cell].map((c, i) => specOf(c, `${prefix}${i}.`));
    return { spec: { kind: 'seq', cells: kids.map((k) => k.spec) }, names: kids.flatMap((k) => k.names) };
  }
  if (cell instanceof rnn.BidirectionalCell) {
    const [l, r] = [specOf(cell.lCell, `${prefix}l_cell.`), specOf(cell.rCell, `${prefix}r_cell.`)];
    return { spec: { kind: 'bi', l: l.spec, r: r.spec }, names: [...l.names, ...r.names] };
  }
  if (cell instanceof rnn.ResidualCell) {
    const b = specOf(cell.baseCell, `${prefix}base_cell.`);
    return { spec: { kind: 'res', base: b.spec }, names: b.names };
  }
  if (cell instanceof rnn.DropoutCell) return { spec: { kind: 'drop' }, names: [] };
  throw new Error(`no spec for ${String(cell)}`);
}

/** PyTorch float64: each sequence alone over its length; loss = Σ out ⊙ head + Σ final states². */
const TORCH = String.raw`
import torch
torch.set_default_dtype(torch.float64)
leaves = []
def build(s):
    k = s["kind"]
    if k in ("lstm", "gru", "rnn_tanh"):
        P = s["params"]; H = P["h2h_weight"]["shape"][1]; C = P["i2h_weight"]["shape"][1]
        m = torch.nn.LSTMCell(C, H) if k == "lstm" else torch.nn.GRUCell(C, H) if k == "gru" else torch.nn.RNNCell(C, H)
        with torch.no_grad():
            for n, t in [("i2h_weight", "weight_ih"), ("h2h_weight", "weight_hh"), ("i2h_bias", "bias_ih"), ("h2h_bias", "bias_hh")]:
                getattr(m, t).copy_(torch.tensor(P[n]["data"]).reshape(P[n]["shape"]))
        s["mod"] = m; s["n"] = 2 if k == "lstm" else 1; leaves.append(m)
    elif k == "seq":
        for c in s["cells"]: build(c)
        s["n"] = sum(c["n"] for c in s["cells"])
    elif k == "bi":
        build(s["l"]); build(s["r"]); s["n"] = s["l"]["n"] + s["r"]["n"]
    elif k == "res":
        build(s["base"]); s["n"] = s["base"]["n"]
    else:
        s["n"] = 0
def step(s, x, st):
    k = s["kind"]
    if k == "lstm":
        h, c = s["mod"](x, (st[0], st[1])); return h, [h, c]
    if k in ("gru", "rnn_tanh"):
        h = s["mod"](x, st[0]); return h, [h]
    if k == "res":
        o, ns = step(s["base"], x, st); return o + x, ns
    if k == "drop":
        return x, st
    out = []; p = 0
    for c in s["cells"]:
        x, ns = step(c, x, st[p:p + c["n"]]); p += c["n"]; out += ns
    return x, out
def unroll(s, xs, st):
    if s["kind"] == "bi":
        nl = s["l"]["n"]
        lo, ls = unroll(s["l"], xs, st[:nl]); ro, rs = unroll(s["r"], xs[::-1], st[nl:])
        return [torch.cat([a, b], 1) for a, b in zip(lo, ro[::-1])], ls + rs
    if s["kind"] == "seq":
        out = []; p = 0
        for c in s["cells"]:
            xs, ns = unroll(c, xs, st[p:p + c["n"]]); p += c["n"]; out += ns
        return xs, out
    outs = []
    for x in xs:
        o, st = step(s, x, st); outs.append(o)
    return outs, st
spec = attrs["spec"]; build(spec)
ins = [globals()[v] for v in "abcdefghijkl"[:1 + spec["n"]]]
x = torch.tensor(ins[0], requires_grad=True)
S = [torch.tensor(v, requires_grad=True) for v in ins[1:]]
N, T = x.shape[0], x.shape[1]
lens = attrs["lens"] or [T] * N
outs, fins = [], [[] for _ in S]
for n in range(N):
    o, fs = unroll(spec, [x[n:n + 1, t] for t in range(lens[n])], [s[n:n + 1] for s in S])
    D = o[0].shape[1]
    outs.append(torch.cat(o + [torch.zeros(1, D)] * (T - lens[n]), 0))
    for q, v in enumerate(fs): fins[q].append(v)
y = torch.stack(outs, 0)
fin = [torch.cat(v, 0) for v in fins]
loss = (y * torch.tensor(attrs["head"]).reshape(y.shape)).sum() + sum((v ** 2).sum() for v in fin)
loss.backward()
pg = []
for m in leaves:
    pg += [m.weight_ih.grad, m.weight_hh.grad, m.bias_ih.grad, m.bias_hh.grad]
out = [y.detach().numpy()] + [v.detach().numpy() for v in fin] + [x.grad.numpy()] + [s.grad.numpy() for s in S] + [v.numpy() for v in pg]
`;

interface Case {
  what: string;
  make: () => Cell;
  /** Output features. */
  D: number;
  lens?: number[];
}

const u = () => new init.Uniform(0.5);
const CASES: Case[] = [
  {
    what: 'HybridSequentialRNNCell [LSTMCell(4), DropoutCell(0.3), ResidualCell(GRUCell(4)), RNNCell(2)]',
    make: () => new rnn.HybridSequentialRNNCell().add(new rnn.LSTMCell(4, { inputSize: 3, i2hBiasInitializer: u() }), new rnn.DropoutCell(0.3), new rnn.ResidualCell(new rnn.GRUCell(4, { inputSize: 4, h2hBiasInitializer: u() })), new rnn.RNNCell(2, { inputSize: 4 })),
    D: 2,
  },
  {
    what: 'HybridSequentialRNNCell [LSTMCell(3), GRUCell(2)], padded (lengths 5, 1, 3)',
    make: () => new rnn.HybridSequentialRNNCell().add(new rnn.LSTMCell(3, { inputSize: 3, h2hBiasInitializer: u() }), new rnn.GRUCell(2, { inputSize: 3, i2hBiasInitializer: u() })),
    D: 2,
    lens: [5, 1, 3],
  },
  {
    what: 'SequentialRNNCell [GRUCell(3), BidirectionalCell(LSTMCell(2), GRUCell(3))], padded (lengths 2, 5, 4)',
    make: () => new rnn.SequentialRNNCell().add(new rnn.GRUCell(3, { inputSize: 3 }), new rnn.BidirectionalCell(new rnn.LSTMCell(2, { inputSize: 3, i2hBiasInitializer: u() }), new rnn.GRUCell(3, { inputSize: 3, h2hBiasInitializer: u() }))),
    D: 5,
    lens: [2, 5, 4],
  },
  {
    what: 'BidirectionalCell(LSTMCell(3), LSTMCell(2))',
    make: () => new rnn.BidirectionalCell(new rnn.LSTMCell(3, { inputSize: 3, i2hBiasInitializer: u() }), new rnn.LSTMCell(2, { inputSize: 3, h2hBiasInitializer: u() })),
    D: 5,
  },
  {
    what: 'ResidualCell(GRUCell(3)), padded (lengths 1, 5, 5): padded inputs are 0 in the sum',
    make: () => new rnn.ResidualCell(new rnn.GRUCell(3, { inputSize: 3, i2hBiasInitializer: u() })),
    D: 3,
    lens: [1, 5, 5],
  },
];

const [N, T, C] = [3, 5, 3];

/** The modes a case runs in: the cell unrolled eagerly, unrolled inside a hybridized block, and hybridized itself (each step compiled). */
type Mode = 'eager' | 'in a hybridized block' | 'hybridized';
const MODES: Mode[] = ['eager', 'in a hybridized block', 'hybridized'];

class Unrolled extends gluon.HybridBlock {
  constructor(readonly cell: Cell, readonly lens: boolean) {
    super();
  }
  override hybridForward(_F: gluon.F, x: gluon.Tensor, ...rest: unknown[]): gluon.Tensor[] {
    rest.pop();
    const l = this.lens ? (rest.shift() as gluon.Tensor) : undefined;
    const [out, fin] = this.cell.unroll(T, x, { beginState: rest as gluon.Tensor[], ...(l ? { validLength: l } : {}) });
    return [out as gluon.Tensor, ...fin];
  }
}

describe('gluon.rnn cell containers and ResidualCell against PyTorch (float64)', () => {
  const prepared: { c: Case; cell: Cell; x: nd.NDArray; states: nd.NDArray[]; head: nd.NDArray; names: string[]; ref?: NumpyResult }[] = [];
  before(function () {
    this.timeout(120000);
    for (const c of CASES) {
      const cell = c.make();
      cell.initialize(new init.Uniform(0.5));
      const x = nd.random.uniform(-1, 1, [N, T, C]);
      const states = cell.beginState(N).map((s) => nd.random.uniform(-1, 1, s.shape));
      const head = nd.random.uniform(-1, 1, [N, T, c.D]);
      prepared.push({ c, cell, x, states, head, names: specOf(cell).names });
    }
    const refs = numpyRefs(prepared.map(({ c, cell, x, states, head }) => ({
      code: TORCH,
      inputs: [x, ...states].map((t) => ({ shape: t.shape, dtype: 'float64', data: nums(t) })),
      attrs: { spec: specOf(cell).spec, lens: c.lens ?? null, head: nums(head) },
    })));
    prepared.forEach((p, i) => (p.ref = refs[i]));
  });

  CASES.forEach((c, k) => {
    for (const mode of MODES) {
      it(`${c.what}, ${mode}: outputs, final states and every gradient equal PyTorch's`, function () {
        this.timeout(120000);
        const { cell, x, states, head, names, ref } = prepared[k]!;
        assert.ok(ref && !ref.error, `torch: ${ref?.error}`);
        const params = cell.collectParams();
        assert.deepEqual([...params.keys()].sort(), [...names].sort(), 'the parameters are the leaves\' under their structural names');
        const net = new Unrolled(cell, c.lens !== undefined);
        const hybridBlock = mode === 'in a hybridized block';
        if (hybridBlock) net.hybridize();
        // A SequentialRNNCell (a plain Block) hybridizes its cells.
        else cell.hybridize(mode === 'hybridized');
        const xs = x.copy();
        const ss = states.map((s) => s.copy());
        xs.attachGrad();
        ss.forEach((s) => s.attachGrad());
        params.zeroGrad();
        const lens = c.lens ? nd.array(c.lens) : undefined;
        let outs: nd.NDArray[] = [];
        // Prediction mode: the DropoutCell is the identity, as the reference.
        autograd.record(() => {
          outs = hybridBlock ? (net.call(xs, ...(lens ? [lens] : []), ...ss) as nd.NDArray[]) : (() => {
            const [o, f] = cell.unroll(T, xs, { beginState: ss, ...(lens ? { validLength: lens } : {}) }) as [nd.NDArray, nd.NDArray[]];
            return [o, ...f];
          })();
          let loss = nd.sum(nd.mul(outs[0]!, head));
          for (const f of outs.slice(1)) loss = nd.add(loss, nd.sum(nd.square(f)));
          loss.backward();
        }, { trainMode: false });
        const got = [...outs, xs.grad!, ...ss.map((s) => s.grad!), ...names.map((n) => params.get(n)!.grad())];
        assert.equal(got.length, ref.outs.length);
        const label = (i: number) => (i === 0 ? 'output' : i <= ss.length ? `final state ${i - 1}` : i === ss.length + 1 ? 'd/dx' : i <= 2 * ss.length + 1 ? `d/dstate${i - ss.length - 2}` : `d/d${names[i - 2 * ss.length - 2]}`);
        got.forEach((g, i) => {
          assert.deepEqual(g.shape, ref.outs[i]!.shape, `${c.what}: ${label(i)} shape`);
          assertClose(nums(g), ref.outs[i]!.data, `${c.what} (${mode}): ${label(i)}`, 1e-3, 1e-4);
        });
        cell.hybridize(false);
      });
    }
  });
});
