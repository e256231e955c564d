/**
 * LSTMPCell (MXNet's contrib/rnn/rnn_cell.py: r_t = W_hr h_t, states
 * [r, c], the LSTM's gates i, f, g, o) against PyTorch's
 * torch.nn.LSTM(proj_size=P) in float64 with the same weights
 * (weight_ih_l0 = i2h_weight, weight_hh_l0 = h2h_weight, weight_hr_l0 =
 * h2r_weight, the biases; both order the gates i, f, g, o): outputs, final
 * states, d/dx, d/dstates and every parameter's gradient, eagerly, inside
 * a hybridized block and hybridized, with and without valid lengths
 * (PyTorch's packed sequences).
 */
import assert from 'node:assert/strict';
import { nd, gluon, init, autograd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs } from '../../../helpers/numpy.js';

const { rnn } = gluon;
const nums = (x: nd.NDArray) => Array.from(x.data() as ArrayLike<number>);

const TORCH = String.raw`
import torch
torch.set_default_dtype(torch.float64)
P = attrs["params"]; C = P["i2h_weight"]["shape"][1]; H = P["h2r_weight"]["shape"][1]; R = P["h2r_weight"]["shape"][0]
net = torch.nn.LSTM(C, H, proj_size=R, batch_first=True)
names = {"i2h_weight": "weight_ih_l0", "h2h_weight": "weight_hh_l0", "h2r_weight": "weight_hr_l0", "i2h_bias": "bias_ih_l0", "h2h_bias": "bias_hh_l0"}
with torch.no_grad():
    for k, v in P.items():
        getattr(net, names[k]).copy_(torch.tensor(v["data"]).reshape(v["shape"]))
x = torch.tensor(a, requires_grad=True)
r0 = torch.tensor(b, requires_grad=True); c0 = torch.tensor(c, requires_grad=True)
hx = (r0.unsqueeze(0), c0.unsqueeze(0))
lens = attrs["lens"]
T = x.shape[1]
if lens is not None:
    y, (hn, cn) = net(torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lens), batch_first=True, enforce_sorted=False), hx)
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=T)
else:
    y, (hn, cn) = net(x, hx)
loss = (y * torch.tensor(attrs["head"]).reshape(y.shape)).sum() + (hn ** 2).sum() + (cn ** 2).sum()
loss.backward()
out = [y.detach().numpy(), hn[0].detach().numpy(), cn[0].detach().numpy(), x.grad.numpy(), r0.grad.numpy(), c0.grad.numpy()] + [getattr(net, names[k]).grad.numpy() for k in attrs["names"]]
`;

type Mode = 'eager' | 'in a hybridized block' | 'hybridized';

class Unrolled extends gluon.HybridBlock {
  constructor(readonly cell: InstanceType<typeof rnn.LSTMPCell>, readonly T: number, readonly lens: boolean) {
    super();
  }
  override hybridForward(_F: gluon.F, x: gluon.Tensor, ...rest: unknown[]): gluon.Tensor[] {
    rest.pop();
    const l = this.lens ? (rest.shift() as gluon.Tensor) : undefined;
    const [out, fin] = this.cell.unroll(this.T, x, { beginState: rest as gluon.Tensor[], ...(l ? { validLength: l } : {}) });
    return [out as gluon.Tensor, ...fin];
  }
}

describe('LSTMPCell against torch.nn.LSTM(proj_size) (float64)', () => {
  const [N, T, C, H, P] = [3, 5, 3, 6, 2];
  for (const lens of [undefined, [5, 1, 3]]) {
    for (const mode of ['eager', 'in a hybridized block', 'hybridized'] as Mode[]) {
      it(`${mode}${lens ? ', padded (lengths 5, 1, 3)' : ''}: outputs, final [r, c] and every gradient equal PyTorch's`, function () {
        this.timeout(60000);
        const cell = new rnn.LSTMPCell(H, P, { inputSize: C, i2hBiasInitializer: new init.Uniform(0.5), h2hBiasInitializer: new init.Uniform(0.5) });
        cell.initialize(new init.Uniform(0.5));
        const names = [...cell.collectParams().keys()];
        assert.deepEqual(names, ['i2h_weight', 'h2h_weight', 'h2r_weight', 'i2h_bias', 'h2h_bias']);
        assert.deepEqual(names.map((k) => cell.collectParams().get(k)!.shape), [[4 * H, C], [4 * H, P], [P, H], [4 * H], [4 * H]]);
        const x = nd.random.uniform(-1, 1, [N, T, C]);
        const states = cell.beginState(N).map((s) => nd.random.uniform(-1, 1, s.shape));
        assert.deepEqual(states.map((s) => s.shape), [[N, P], [N, H]]);
        const head = nd.random.uniform(-1, 1, [N, T, P]);
        const params = Object.fromEntries(names.map((k) => { const p = cell.collectParams().get(k)!; return [k, { shape: p.shape, data: nums(p.data()) }]; }));
        const [ref] = numpyRefs([{ code: TORCH, inputs: [x, ...states].map((t) => ({ shape: t.shape, dtype: 'float64', data: nums(t) })), attrs: { params, lens: lens ?? null, head: nums(head), names } }]);
        assert.ok(ref && !ref.error, `torch: ${ref?.error}`);
        const net = new Unrolled(cell, T, lens !== undefined);
        if (mode === 'in a hybridized block') net.hybridize();
        if (mode === 'hybridized') cell.hybridize();
        const xs = x.copy();
        const ss = states.map((s) => s.copy());
        xs.attachGrad();
        ss.forEach((s) => s.attachGrad());
        let outs: nd.NDArray[] = [];
        autograd.record(() => {
          const l = lens ? nd.array(lens) : undefined;
          if (mode === 'in a hybridized block') outs = net.call(xs, ...(l ? [l] : []), ...ss) as nd.NDArray[];
          else {
            const [o, f] = cell.unroll(T, xs, { beginState: ss, ...(l ? { validLength: l } : {}) }) as [nd.NDArray, nd.NDArray[]];
            outs = [o, ...f];
          }
          nd.add(nd.add(nd.sum(nd.mul(outs[0]!, head)), nd.sum(nd.square(outs[1]!))), nd.sum(nd.square(outs[2]!))).backward();
        });
        const got = [...outs, xs.grad!, ...ss.map((s) => s.grad!), ...names.map((k) => cell.collectParams().get(k)!.grad())];
        const labels = ['output', 'final r', 'final c', 'd/dx', 'd/dr0', 'd/dc0', ...names.map((k) => `d/d${k}`)];
        got.forEach((g, i) => {
          assert.deepEqual(g.shape, ref.outs[i]!.shape, `${labels[i]} shape`);
          assertClose(nums(g), ref.outs[i]!.data, `LSTMPCell (${mode}): ${labels[i]}`, 1e-3, 1e-4);
        });
      });
    }
  }

  it('a step call gives [r, [r, c]]; hybridized equals eager; deferred input size', () => {
    const cell = new rnn.LSTMPCell(4, 2);
    cell.initialize();
    const x = nd.random.uniform(-1, 1, [3, 5]);
    const [o, [r, c]] = cell.call(x, cell.beginState(3)) as [nd.NDArray, nd.NDArray[]];
    assert.deepEqual([o.shape, r!.shape, c!.shape], [[3, 2], [3, 2], [3, 4]]);
    assert.deepEqual(nums(o), nums(r!));
    assert.deepEqual(cell.collectParams().get('i2h_weight')!.shape, [16, 5]);
    cell.hybridize();
    const [ho, [, hc]] = cell.call(x, cell.beginState(3)) as [nd.NDArray, nd.NDArray[]];
    assertClose(nums(ho), nums(o), 'hybridized output', 1e-5, 1e-6);
    assertClose(nums(hc!), nums(c!), 'hybridized c', 1e-5, 1e-6);
  });
});
