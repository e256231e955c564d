/**
 * gluon.loss.CTCLoss (compiler/gluon/loss/ctc-loss.ts) against torch's
 * ctc_loss in float64 (CTC_REF, blank C-1 as MXNet Gluon's CTCLoss passes
 * blank_label='last', labels padded with -1): the layouts NTC/TNC and
 * NT/TN, weight and sample weights, predLengths/labelLengths (and null for
 * one left out), eager and hybridized; one hybridized SGD step of a Dense
 * layer into CTCLoss equals torch's; npx.ctcLoss and contrib.ctcLoss.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, nd, npx, profiler } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs } from '../../../helpers/numpy.js';
import { CTC_REF } from '../../ops/cases/ctc.js';

const vals = (x: { data(): ArrayLike<number> | BigInt64Array | BigUint64Array }): number[] => Array.from(x.data() as ArrayLike<number>, Number);
const wave = (n: number, k = 1.3) => Array.from({ length: n }, (_v, i) => Math.sin(i * k + 0.4) * 2);
const REST = "[v for v in (globals().get('c'), globals().get('d')) if v is not None]";

/** torch's losses for data [T, N, C] (flat, TNC), labels [N, L], lengths and attributes. */
function torchLoss(T: number, N: number, C: number, x: number[], label: number[][], lengths: number[][], attrs: Record<string, unknown>): number[] {
  const inputs = [{ shape: [T, N, C], data: x }, { shape: [N, label[0]!.length], data: label.flat() }, ...lengths.map((l) => ({ shape: [N], data: l }))];
  const [r] = numpyRefs([{ code: `${CTC_REF}\nout = ctc_ref(a, b, ${REST}, attrs, False)`, inputs: inputs.map((t) => ({ ...t, dtype: 'float64' })), attrs }]);
  if (r!.error) throw new Error(r!.error);
  return r!.outs[0]!.data.map(Number);
}

/** x [T, N, C] (flat) transposed to [N, T, C] (flat). */
const toNTC = (x: number[], T: number, N: number, C: number) => Array.from({ length: T * N * C }, (_v, i) => {
  const [n, t, c] = [Math.floor(i / (T * C)), Math.floor(i / C) % T, i % C];
  return x[(t * N + n) * C + c]!;
});

describe('gluon.loss.CTCLoss', () => {
  const [T, N, C] = [6, 3, 5]; // blank 4; labels 0..3
  const x = wave(T * N * C);
  // A repeat, a full-width label, an empty one (padding -1; 0 is a class here).
  const label = [[0, 0, -1], [1, 2, 3], [-1, -1, -1]];
  const last = { blankLabel: 'last' };

  for (const hybrid of [false, true]) {
    const how = hybrid ? 'hybridized' : 'eager';
    it(`NTC / NT (the defaults), ${how}`, () => {
      const loss = new gluon.loss.CTCLoss();
      if (hybrid) loss.hybridize();
      const got = vals(loss.call(nd.array(toNTC(x, T, N, C), { shape: [N, T, C] }), nd.array(label)));
      assertClose(got, torchLoss(T, N, C, x, label, [], last), 'loss', 1e-5, 1e-6);
    });

    it(`TNC / TN, weight 0.5 and a sample weight, ${how}`, () => {
      const loss = new gluon.loss.CTCLoss('TNC', 'TN', 0.5);
      if (hybrid) loss.hybridize();
      const labelTN = nd.array(label).transpose();
      const got = vals(loss.call(nd.array(x, { shape: [T, N, C] }), labelTN, null, null, nd.array([1, 2, 3])));
      const want = torchLoss(T, N, C, x, label, [], last).map((v, n) => v * 0.5 * (n + 1));
      assertClose(got, want, 'loss', 1e-5, 1e-6);
    });

    it(`predLengths and labelLengths, and labelLengths alone (predLengths null), ${how}`, () => {
      const loss = new gluon.loss.CTCLoss({ layout: 'TNC' });
      if (hybrid) loss.hybridize();
      const labelB = [[0, 0, 2], [1, 2, 3], [3, 1, 1]];
      const xa = nd.array(x, { shape: [T, N, C] });
      const both = vals(loss.call(xa, nd.array(labelB), nd.array([6, 4, 2]), nd.array([2, 3, 1])));
      assertClose(both, torchLoss(T, N, C, x, labelB, [[6, 4, 2], [2, 3, 1]], { ...last, useDataLengths: true, useLabelLengths: true }), 'both lengths', 1e-5, 1e-6);
      const labels = vals(loss.call(xa, nd.array(labelB), null, nd.array([3, 0, 2])));
      assertClose(labels, torchLoss(T, N, C, x, labelB, [[3, 0, 2]], { ...last, useLabelLengths: true }), 'label lengths', 1e-5, 1e-6);
    });
  }

  it('npx.ctcLoss and nd.contrib.ctcLoss are the operator, in MXNet 2\'s order', () => {
    const xa = nd.array(x, { shape: [T, N, C] });
    const lab = nd.array([[1, 1, 0], [2, 3, 4], [0, 0, 0]]);
    const want = torchLoss(T, N, C, x, [[1, 1, 0], [2, 3, 4], [0, 0, 0]], [], {});
    assertClose(vals(npx.ctcLoss(xa, lab)), want, 'npx', 1e-5, 1e-6);
    assertClose(vals(nd.contrib.ctcLoss(xa, lab)), want, 'contrib', 1e-5, 1e-6);
    const lens = nd.array([2, 3, 0]);
    assertClose(vals(npx.ctcLoss(xa, lab, null, lens, false, true)), want, 'npx with label lengths, positional flags', 1e-5, 1e-6);
  });

  it('MXNet symbol files: _contrib_CTCLoss / ctc_loss read with their attribute strings; an export writes CTCLoss and reads back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-ctc-mx-'));
    try {
      const xa = nd.array(x, { shape: [T, N, C] });
      const labB = [[0, 0, 2], [1, 2, 3], [3, 1, 1]];
      const want = torchLoss(T, N, C, x, labB, [[2, 3, 0]], { ...last, useLabelLengths: true });
      for (const op of ['_contrib_CTCLoss', 'ctc_loss', '_npx_ctc_loss']) {
        const nodes = [
          { op: 'null', name: 'data', inputs: [] },
          { op: 'null', name: 'label', inputs: [] },
          { op: 'null', name: 'label_lengths', inputs: [] },
          { op, name: 'ctc', attrs: { use_label_lengths: 'True', blank_label: 'last' }, inputs: [[0, 0, 0], [1, 0, 0], [2, 0, 0]] },
        ];
        const file = path.join(dir, `${op}-symbol.json`);
        fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [0, 1, 2], heads: [[3, 0, 0]] }));
        const net = gluon.SymbolBlock.imports(file, ['data', 'label', 'label_lengths']);
        assertClose(vals(net.call(xa, nd.array(labB), nd.array([2, 3, 0])) as nd.NDArray), want, op, 1e-5, 1e-6);
      }
      class Head extends gluon.HybridBlock {
        override hybridForward(F: gluon.F, p: gluon.Tensor, l: gluon.Tensor, ll: gluon.Tensor) {
          return F.CTCLoss(p, l, null, ll, { useLabelLengths: true, blankLabel: 'last' });
        }
      }
      const head = new Head();
      head.hybridize();
      head.call(xa, nd.array(labB), nd.array([2, 3, 0]));
      const [written] = head.export(path.join(dir, 'head'), { format: 'mxnet', inputs: { data: { shape: ['T', N, C] }, label: { shape: [N, 3] }, label_lengths: { shape: [N] } } }).paths;
      const json = JSON.parse(fs.readFileSync(written!, 'utf8')) as { nodes: { op: string; attrs?: Record<string, string> }[] };
      const node = json.nodes.find((n) => n.op === 'CTCLoss');
      assert.ok(node, `a CTCLoss node in ${JSON.stringify(json.nodes.map((n) => n.op))}`);
      assert.equal(node.attrs?.use_label_lengths, 'True');
      assert.equal(node.attrs?.blank_label, 'last');
      const back = gluon.SymbolBlock.imports(written!, ['data', 'label', 'label_lengths']);
      assertClose(vals(back.call(xa, nd.array(labB), nd.array([2, 3, 0])) as nd.NDArray), want, 'read back', 1e-5, 1e-6);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad layout is an Error naming CTCLoss', () => {
    assert.throws(() => new gluon.loss.CTCLoss('NCT' as 'NTC'), /CTCLoss: layout must be 'NTC' or 'TNC', got "NCT"/);
    assert.throws(() => new gluon.loss.CTCLoss({ labelLayout: 'NC' as 'NT' }), /CTCLoss: labelLayout must be 'NT' or 'TN'/);
  });

  it('one hybridized SGD step of a Dense layer into CTCLoss equals torch\'s, in one fused session run', () => {
    const [F_, lr] = [3, 0.1];
    const feats = wave(N * T * F_, 0.9);
    const w0 = wave(C * F_, 2.1).map((v) => v / 2);
    const b0 = [0.1, -0.2, 0.3, 0, 0.05];
    const net = new gluon.nn.Dense(C, { flatten: false, inUnits: F_ });
    net.initialize();
    net.weight.setData(nd.array(w0, { shape: [C, F_] }));
    net.bias!.setData(nd.array(b0));
    net.hybridize();
    const loss = new gluon.loss.CTCLoss();
    loss.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const xin = nd.array(feats, { shape: [N, T, F_] });
    const lab = nd.array(label);
    const predLens = nd.array([6, 5, 3]);
    autograd.record(() => loss.call(net.call(xin), lab, predLens)).backward(); // compile once
    trainer.step(N);
    net.weight.setData(nd.array(w0, { shape: [C, F_] }));
    net.bias!.setData(nd.array(b0));
    net.collectParams().zeroGrad();
    profiler.reset();
    autograd.record(() => loss.call(net.call(xin), lab, predLens)).backward();
    trainer.step(N);
    assert.equal(profiler.counters().sessionRuns, 1, 'forward, CTC loss, gradient and update in one session run');
    const [r] = numpyRefs([{
      code: `import torch
x = torch.tensor(a); w = torch.tensor(b, requires_grad=True); bias = torch.tensor(c, requires_grad=True)
pred = (x @ w.T + bias).transpose(0, 1)  # [T, N, C]
tg = torch.tensor([0, 0, 1, 2, 3], dtype=torch.long)
l = torch.nn.functional.ctc_loss(pred.log_softmax(2), tg, torch.tensor([6, 5, 3]), torch.tensor([2, 3, 0]), blank=4, reduction='none', zero_infinity=False)
l.sum().backward()
out = [(w - ${lr} * w.grad / ${N}).detach().numpy(), (bias - ${lr} * bias.grad / ${N}).detach().numpy()]`,
      inputs: [
        { shape: [N, T, F_], dtype: 'float64', data: feats },
        { shape: [C, F_], dtype: 'float64', data: w0 },
        { shape: [C], dtype: 'float64', data: b0 },
      ],
    }]);
    assert.equal(r!.error, undefined, r!.error);
    assertClose(vals(net.weight.data()), r!.outs[0]!.data as number[], 'weight after the step', 1e-5, 1e-6);
    assertClose(vals(net.bias!.data()), r!.outs[1]!.data as number[], 'bias after the step', 1e-5, 1e-6);
  });
});
