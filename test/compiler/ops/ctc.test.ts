/**
 * CTCLoss beyond the operator table (compiler/ops/ctc.ts): impossible
 * alignments (+inf, no gradient) against torch's ctc_loss in float64, eager
 * and compiled; the loss and its gradient under autograd; an exported ONNX
 * file with a symbolic T passes onnx.checker and gives torch's losses in
 * python's onnxruntime at two lengths; bad input is an Error naming CTCLoss.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, nd, sym } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { exportBytes } from '../../../compiler/formats/export.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { numpyRefs } from '../../helpers/numpy.js';
import { CTC_REF } from './cases/ctc.js';

const vals = (x: { data(): ArrayLike<number> | BigInt64Array | BigUint64Array }): number[] => Array.from(x.data() as ArrayLike<number>, Number);
const wave = (n: number, k = 1.3) => Array.from({ length: n }, (_v, i) => Math.sin(i * k + 0.4) * 2);
const REST = "[v for v in (globals().get('c'), globals().get('d')) if v is not None]";

/** torch's losses (grad false) or gradient (true) for each of these inputs and attributes, in one python process. */
function torchRefs(jobs: [{ shape: number[]; data: number[] }[], Record<string, unknown>, boolean][]): number[][] {
  const res = numpyRefs(jobs.map(([inputs, attrs, grad]) => ({ code: `${CTC_REF}\nout = ctc_ref(a, b, ${REST}, attrs, ${grad ? 'True' : 'False'})`, inputs: inputs.map((t) => ({ ...t, dtype: 'float64' })), attrs })));
  return res.map((r) => {
    if (r.error) throw new Error(r.error);
    return r.outs[0]!.data.map(Number);
  });
}

describe('CTCLoss', () => {
  // T = 3, N = 4, C = 3 ('first': blank 0). Entry 0: 1 1 needs 3 frames (fits); entry 1: 1 1 1 needs 5 (impossible);
  // entry 2: 1 2 with a data length of 1 (impossible); entry 3: an empty label over 0 frames (loss 0).
  const T = 3, N = 4, C = 3;
  const x = wave(T * N * C);
  const label = [1, 1, 0, 1, 1, 1, 1, 2, 0, 0, 0, 0];
  const dl = [3, 3, 1, 0];
  const attrs = { useDataLengths: true };
  const ins = [{ shape: [T, N, C], data: x }, { shape: [N, 3], data: label }, { shape: [N], data: dl }];
  const gapAttrs = { useLabelLengths: true };
  const gapIns = [ins[0]!, ins[1]!, { shape: [N], data: [2, 0, 1, 0] }];
  // 'last' with label lengths: C = 3, blank 2, classes 0..1. Entry 0 fine; 1 holds -1 inside its length; 2 the blank; 3 a class past C;
  // 4 a label length past L; 5 a data length past T.
  const [t4, n4, c4] = [4, 6, 3];
  const xv4 = wave(t4 * n4 * c4, 0.8);
  const badAttrs = { useDataLengths: true, useLabelLengths: true, blankLabel: 'last' as const };
  const entry0 = [{ shape: [t4, 1, c4], data: xv4.filter((_v, i) => Math.floor(i / c4) % n4 === 0) }, { shape: [1, 2], data: [0, 1] }, { shape: [1], data: [4] }, { shape: [1], data: [2] }];
  // torch's references of the tests below, from one python process (torch's import is most of its cost).
  let refs: { want: number[]; wantGrad: number[]; gap: number[]; entry0: number[] };
  before(function () {
    this.timeout(120000);
    const [want, wantGrad, gap, e0] = torchRefs([[ins, attrs, false], [ins, attrs, true], [gapIns, gapAttrs, false], [entry0, badAttrs, false]]) as number[][];
    refs = { want: want!, wantGrad: wantGrad!, gap: gap!, entry0: e0! };
  });

  it('an impossible alignment is +inf and gets no gradient, eager and compiled; the rest are torch\'s', () => {
    const { want, wantGrad } = refs;
    assert.deepEqual([want[1], want[2]], [Infinity, Infinity], 'torch says impossible');
    assert.ok(want[3] === 0, 'an empty label over no frames has probability 1');
    const [xa, la, da] = [nd.array(x, { dtype: 'float64' }).reshape([T, N, C]), nd.array(label).reshape([N, 3]), nd.array(dl)];
    xa.attachGrad();
    const loss = autograd.record(() => nd.CTCLoss(xa, la, da, attrs));
    loss.backward();
    const got = vals(loss);
    assert.deepEqual([got[1], got[2]], [Infinity, Infinity]);
    assertClose(got.filter(Number.isFinite), want.filter(Number.isFinite), 'eager loss', 1e-10, 1e-12);
    assertClose(vals(xa.grad!), wantGrad, 'eager gradient', 1e-9, 1e-12);
    const s = sym.CTCLoss(sym.var('x'), sym.var('l'), sym.var('d'), attrs);
    const compiled = vals(s.eval({ x: xa, l: la, d: da }) as nd.NDArray);
    assert.deepEqual([compiled[1], compiled[2]], [Infinity, Infinity]);
    assertClose(compiled.filter(Number.isFinite), want.filter(Number.isFinite), 'compiled loss', 1e-10, 1e-12);
    const g = sym.CTCLossGrad(sym.var('x'), sym.var('l'), sym.var('d'), attrs);
    assertClose(vals(g.eval({ x: xa, l: la, d: da }) as nd.NDArray), wantGrad, 'compiled gradient', 1e-9, 1e-12);
  });

  it('the gap form: data and label lengths given with the data lengths left out (null)', () => {
    const xa = nd.array(x).reshape([T, N, C]);
    const lens = nd.array(gapIns[2]!.data);
    const got = vals(nd.CTCLoss(xa, nd.array(label).reshape([N, 3]), null, lens, gapAttrs));
    assertClose(got, refs.gap, 'loss', 1e-5, 1e-6);
  });

  it('exports to ONNX with a symbolic T: onnx.checker passes and onnxruntime gives torch\'s losses at two lengths', () => {
    class Head extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, p: gluon.Tensor, l: gluon.Tensor, d: gluon.Tensor) {
        return F.CTCLoss(p, l, d, { useDataLengths: true, blankLabel: 'last' });
      }
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-ctc-'));
    const attrs = { useDataLengths: true, blankLabel: 'last' };
    try {
      const files = [13, 21].map((opset) => {
        const { bytes } = exportBytes(new Head(), { inputs: { data: { shape: ['T', 2, 4], dtype: 'float64' }, label: { shape: [2, 2], dtype: 'float64' }, lengths: { shape: [2], dtype: 'float64' } }, opset });
        const file = path.join(dir, `ctc-${opset}.onnx`);
        fs.writeFileSync(file, bytes);
        return file;
      });
      assert.deepEqual(checkOnnxFiles(files), [null, null], 'onnx.checker on the opset 13 and 21 files');
      // One python process: torch's losses at each length, then python onnxruntime on each file at each length.
      const cases = [3, 7].map((t) => [
        { shape: [t, 2, 4], dtype: 'float64', data: wave(t * 2 * 4, 0.7) },
        { shape: [2, 2], dtype: 'float64', data: [0, 2, 1, 0] }, // 'last': blank 3, labels 0..2
        { shape: [2], dtype: 'float64', data: [t, t - 1] },
      ]);
      const runOrt = (file: string) => `import onnxruntime as ort\nout = ort.InferenceSession(${JSON.stringify(file)}).run(None, {'data': a, 'label': b, 'lengths': c})[0]`;
      const jobs = [
        ...cases.map((inputs) => ({ code: `${CTC_REF}\nout = ctc_ref(a, b, ${REST}, attrs, False)`, inputs, attrs })),
        ...files.flatMap((file) => cases.map((inputs) => ({ code: runOrt(file), inputs }))),
      ];
      const res = numpyRefs(jobs);
      for (const r of res) if (r.error) throw new Error(r.error);
      const want = res.slice(0, 2).map((r) => r.outs[0]!.data.map(Number));
      files.forEach((file, f) =>
        [3, 7].forEach((t, k) => assertClose(res[2 + f * 2 + k]!.outs[0]!.data.map(Number), want[k]!, `${path.basename(file)}, T ${t}`, 1e-10, 1e-12)),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compiled, an entry with a label that is no class or a length out of range is NaN (loss and gradient); the others are right', () => {
    const [t, n, c, xv, a] = [t4, n4, c4, xv4, badAttrs];
    const lab = [0, 1, 1, -1, 2, 0, 3, 0, 0, 0, 1, 0];
    const ll = [2, 2, 1, 1, 3, 2];
    const dlv = [4, 4, 4, 4, 4, 5];
    const feeds = { x: nd.array(xv, { dtype: 'float64' }).reshape([t, n, c]), l: nd.array(lab).reshape([n, 2]), d: nd.array(dlv), ll: nd.array(ll) };
    const loss = vals(sym.CTCLoss(sym.var('x'), sym.var('l'), sym.var('d'), sym.var('ll'), a).eval(feeds) as nd.NDArray);
    assert.ok(loss.slice(1).every(Number.isNaN), `entries 1.. are NaN: ${loss}`);
    assertClose([loss[0]!], refs.entry0, 'entry 0', 1e-10, 1e-12);
    const g = vals(sym.CTCLossGrad(sym.var('x'), sym.var('l'), sym.var('d'), sym.var('ll'), a).eval(feeds) as nd.NDArray);
    g.forEach((v, i) => assert.equal(Number.isNaN(v), Math.floor(i / c) % n !== 0, `gradient element ${i}`));
  });

  describe('bad input is an Error naming CTCLoss and the problem', () => {
    const x3 = nd.array(wave(24)).reshape([4, 2, 3]);
    const cases: [string, () => unknown, RegExp][] = [
      ['data of rank 2', () => nd.CTCLoss(nd.ones([4, 3]), nd.ones([4, 1])), /CTCLoss: data must be \[T, N, C\]/],
      ['label of rank 1', () => nd.CTCLoss(x3, nd.ones([2])), /CTCLoss: label must be \[N, L\]/],
      ['batch sizes differ', () => nd.CTCLoss(x3, nd.ones([3, 2])), /CTCLoss: the batch sizes of data \[4, 2, 3\] .* and label \[3, 2\]/],
      ['label wider than T', () => nd.CTCLoss(x3, nd.ones([2, 5])), /CTCLoss: the label width 5 exceeds the sequence length 4/],
      ['a label value past the classes', () => nd.CTCLoss(x3, nd.array([[1, 3], [1, 0]])), /CTCLoss: label\[0\]\[1\] = 3 is no class: with blankLabel 'first' labels are integers in \[1, 2\]/],
      ["the blank inside a 'last' label", () => nd.CTCLoss(x3, nd.array([[2, -1], [0, -1]]), { blankLabel: 'last' }), /CTCLoss: label\[0\]\[0\] = 2 is no class: with blankLabel 'last' labels are integers in \[0, 1\]/],
      ['a fractional label', () => nd.CTCLoss(x3, nd.array([[1.5, 0], [1, 0]])), /CTCLoss: label\[0\]\[0\] = 1.5 is no class/],
      ['useDataLengths without the lengths', () => nd.CTCLoss(x3, nd.ones([2, 1]), { useDataLengths: true }), /CTCLoss: takes data, label, dataLengths .*: 3 inputs, got 2/],
      ['lengths without a flag', () => nd.CTCLoss(x3, nd.ones([2, 1]), nd.array([4, 4])), /CTCLoss: takes data, label \(useDataLengths false, useLabelLengths false\): 2 inputs, got 3/],
      ['a data length past T', () => nd.CTCLoss(x3, nd.ones([2, 1]), nd.array([5, 4]), { useDataLengths: true }), /CTCLoss: dataLengths\[0\] must be an integer in \[0, 4\], got 5/],
      ['a negative label length', () => nd.CTCLoss(x3, nd.ones([2, 1]), nd.array([1, -1]), { useLabelLengths: true }), /CTCLoss: labelLengths\[1\] must be an integer in \[0, 1\], got -1/],
      ['lengths of the wrong shape', () => nd.CTCLoss(x3, nd.ones([2, 1]), nd.array([1, 1, 1]), { useLabelLengths: true }), /CTCLoss: labelLengths must be \[N\] = \[2\], got \[3\]/],
      ['an unknown blankLabel', () => nd.CTCLoss(x3, nd.ones([2, 1]), { blankLabel: 'middle' as 'first' }), /CTCLoss: blankLabel must be 'first' or 'last'/],
      ['a traced label wider than T', () => sym.CTCLoss(sym.var('x', { shape: [3, 2, 4] }), sym.var('l', { shape: [2, 4] })), /CTCLoss: the label width 4 exceeds the sequence length 3/],
    ];
    for (const [what, f, re] of cases) it(what, () => assert.throws(f, (e: Error) => re.test(e.message) || assert.fail(e.message)));
  });
});
