/**
 * `gluonc compile --train` of models with several (nested) outputs, as a
 * subprocess: d2l's RNNModel (returns `[output, state]`, takes `state` as an
 * input) and d2l's seq2seq encoder (models/d2l/rnn-concise.ts). The loss
 * reads output0 unless `--loss-output` (or the `lossOutput` export) names
 * another; the training artifact, run by python's onnxruntime (not
 * gluonc's runtime) for a few steps with the state carried from output1,
 * equals the in-process step (autograd.record, backward, Trainer.step) from
 * the inference artifact's initial weights; python's onnx.checker passes on
 * every artifact; a bad --loss-output is one line listing the outputs.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { RNNModel } from '../../models/d2l/rnn-concise.js';
import { assertClose } from '../helpers/compare.js';
import { python } from '../helpers/mxnet-python.js';
import { checkOnnxFiles } from '../helpers/onnx-checker.js';
import { gluonc, oneLineError, ROOT, userProject } from '../helpers/cli.js';

/** Runs a training artifact in python onnxruntime: the inference artifact's initializers as the weights, zero optimizer states, `carry` fed from the outputs named. */
const PY_TRAIN = String.raw`
import onnx, onnxruntime as ort
from onnx import numpy_helper
init = {t.name: numpy_helper.to_array(t) for t in onnx.load(job['model']).graph.initializer}
s = ort.InferenceSession(job['train'], providers=['CPUExecutionProvider'])
feeds = {}
for i in s.get_inputs():
    if i.name in init: feeds[i.name] = init[i.name]
    elif '.state' in i.name: feeds[i.name] = np.zeros_like(init[i.name.split('.state')[0]])
arr = lambda v: np.array(v['data'], dtype=np.float32).reshape(v['shape'])
for k, v in job['fixed'].items(): feeds[k] = arr(v)
names = [o.name for o in s.get_outputs()]
steps = []
for k, b in enumerate(job['batches']):
    for n, v in b.items(): feeds[n] = arr(v)
    feeds['lr'] = np.array(job['lr'], dtype=np.float32)
    feeds['t'] = np.array(k + 1, dtype=np.float32)
    outs = dict(zip(names, s.run(None, feeds)))
    for n in names:
        if n.endswith('.new'): feeds[n[:-4]] = outs[n]
    for dst, src in job['carry'].items(): feeds[dst] = outs[src]
    steps.append({n: outs[n].astype(np.float64).reshape(-1).tolist() for n in names})
print(json.dumps({'inputs': [i.name for i in s.get_inputs()], 'outputs': names, 'init': {k: v.astype(np.float64).reshape(-1).tolist() for k, v in init.items()}, 'steps': steps}))
`;

const nums = (x: nd.NDArray) => Array.from(x.data() as Float32Array);
const spec = (x: nd.NDArray) => ({ shape: x.shape, data: nums(x) });

describe('cli/compile --train: models with several (nested) outputs', function () {
  this.timeout(300_000);
  let dir: string;
  let model: string;
  before(() => {
    dir = userProject('gluonc-train-outputs-');
    model = join(dir, 'rnn-model.ts');
    writeFileSync(model, [
      "import { gluon } from 'gluonc';",
      `import { RNNModel } from ${JSON.stringify(join(ROOT, 'models', 'd2l', 'rnn-concise.ts'))};`,
      '// d2l: net = RNNModel(rnn.GRU(num_hiddens), vocab_size); forward(inputs, state) returns [output, state].',
      'export default () => new RNNModel(new gluon.rnn.GRU(8), 6);',
      "export const inputs = { inputs: { shape: ['N', 'T'] }, state: { shape: [1, 'N', 8] } };",
      "export const trainer = { optimizer: 'sgd', learningRate: 0.5, momentum: 0.9 };",
    ].join('\n'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Batches of tokens [N, T] and labels, and a begin state, from a fixed formula. */
  const [N, T] = [3, 4];
  const tokens = (k: number) => nd.array(Array.from({ length: N * T }, (_v, i) => (i * 5 + k * 3 + (i >> 2)) % 6), { shape: [N, T] });
  const state0 = nd.array(Array.from({ length: N * 8 }, (_v, i) => Math.sin(i * 0.7) * 0.5), { shape: [1, N, 8] });

  /** d2l's loop on the in-process model from the artifact's initial weights: the mean loss, the state and every parameter after each step. */
  function inProcess(init: Record<string, number[]>, batches: { inputs: nd.NDArray; label: nd.NDArray }[], lossOf: (out: nd.NDArray, state: nd.NDArray, label: nd.NDArray) => nd.NDArray, ignoreStaleGrad = false) {
    const net = new RNNModel(new gluon.rnn.GRU(8), 6);
    net.initialize();
    net.call(batches[0]!.inputs, [state0]); // finishes the deferred shapes
    for (const [name, p] of net.collectParams()) p.setData(nd.array(init[name]!, { shape: p.shape as number[] }));
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5, momentum: 0.9 });
    let state = [state0];
    return batches.map(({ inputs, label }) => {
      let next: nd.NDArray[] = [];
      const l = autograd.record(() => {
        const [out, st] = net.call(inputs, state) as [nd.NDArray, nd.NDArray[]];
        next = st;
        return lossOf(out, st[0]!, label);
      });
      l.backward();
      trainer.step(l.shape[0]!, { ignoreStaleGrad });
      state = next.map((s) => s.detach()); // d2l's truncated BPTT: state.detach()
      return { loss: nums(l).reduce((a, b) => a + b, 0) / l.size, state: nums(state[0]!), params: new Map([...net.collectParams()].map(([k, p]) => [k, nums(p.data())])) };
    });
  }

  it("d2l's RNNModel: --train puts SoftmaxCrossEntropyLoss on output0 [N*T, 6] and outputs the final state as output1; three steps, state carried, equal d2l's in-process loop; onnx.checker passes", () => {
    const out = join(dir, 'rnn.onnx');
    const r = gluonc(['compile', model, '-o', out, '--train']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /outputs output0 float32 \[N\*T, 6\], output1 float32 \[1, N, 8\]/);
    assert.match(r.stdout, /wrote .*rnn\.train\.onnx: training step \(loss of output0, /);
    const train = join(dir, 'rnn.train.onnx');
    assert.deepEqual(checkOnnxFiles([out, train]), [null, null]);
    // d2l's labels: Y.T.reshape(-1), time major as the output's rows.
    const batches = [0, 1, 2].map((k) => ({ inputs: tokens(k), label: tokens(k + 7).T.reshape(-1) }));
    const py = python(PY_TRAIN, {
      model: out,
      train,
      lr: 0.5,
      fixed: { state: spec(state0) },
      carry: { state: 'output1' },
      batches: batches.map((b) => ({ inputs: spec(b.inputs), label: spec(b.label) })),
    });
    assert.deepEqual(py.inputs.slice(0, 5), ['inputs', 'state', 'label', 'lr', 't']);
    assert.deepEqual(py.outputs.slice(0, 3), ['loss', 'output0', 'output1']);
    const sce = new gluon.loss.SoftmaxCrossEntropyLoss();
    const want = inProcess(py.init, batches, (o, _s, label) => sce.call(o, label) as nd.NDArray);
    want.forEach((w, k) => {
      const got = py.steps[k];
      assertClose(got.loss, [w.loss], `step ${k + 1} loss`, 1e-4, 1e-6);
      assertClose(got.output1, w.state, `step ${k + 1} output1 (state)`, 1e-4, 1e-5);
      for (const [name, v] of w.params) assertClose(got[`${name}.new`], v, `step ${k + 1} ${name}`, 1e-4, 1e-5);
    });
  });

  it('--loss-output output1 (and the lossOutput export, and an index) puts the loss on the state: L2Loss, labels [1, N, 8], equal to the in-process step', () => {
    const out = join(dir, 'rnn-state.onnx');
    const r = gluonc(['compile', model, '-o', out, '--train', '--loss-output', 'output1']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /training step \(loss of output1, /);
    const train = join(dir, 'rnn-state.train.onnx');
    assert.deepEqual(checkOnnxFiles([train]), [null]);
    const batches = [0, 1].map((k) => ({ inputs: tokens(k), label: nd.array(Array.from({ length: N * 8 }, (_v, i) => Math.cos(i + k)), { shape: [1, N, 8] }) }));
    const py = python(PY_TRAIN, { model: out, train, lr: 0.5, fixed: { state: spec(state0) }, carry: { state: 'output1' }, batches: batches.map((b) => ({ inputs: spec(b.inputs), label: spec(b.label) })) });
    const l2 = new gluon.loss.L2Loss();
    // The state does not read the Dense after the layer: no gradient reaches it, so the step leaves it as it is
    // (no dense.*.new; in process, Trainer.step refuses it unless ignoreStaleGrad skips it).
    assert.deepEqual(py.outputs.filter((o: string) => o.endsWith('.new') && !o.includes('.state')), ['rnn.l0_i2h_weight.new', 'rnn.l0_h2h_weight.new', 'rnn.l0_i2h_bias.new', 'rnn.l0_h2h_bias.new']);
    assert.ok(py.inputs.includes('dense.weight') && !py.inputs.includes('dense.weight.state0'));
    const want = inProcess(py.init, batches, (_o, s, label) => l2.call(s, label) as nd.NDArray, true);
    want.forEach((w, k) => {
      assertClose(py.steps[k].loss, [w.loss], `step ${k + 1} loss`, 1e-4, 1e-6);
      for (const [name, v] of w.params) assertClose(py.steps[k][`${name}.new`] ?? py.init[name], v, `step ${k + 1} ${name}`, 1e-4, 1e-5);
    });
    // The model file's lossOutput export chooses the same; --loss-output 1 too.
    const viaExport = join(dir, 'rnn-export.ts');
    writeFileSync(viaExport, "export { default, inputs, trainer } from './rnn-model.ts';\nexport const lossOutput = 'output1';\n");
    for (const args of [[viaExport], [model, '--loss-output', '1']]) {
      const res = gluonc(['compile', args[0]!, '-o', join(dir, 'again.onnx'), '--train', ...args.slice(1)]);
      assert.equal(res.status, 0, res.stderr);
      assert.match(res.stdout, /training step \(loss of output1, /, args.join(' '));
    }
  });

  it("models/d2l/rnn-concise.ts (the seq2seq encoder, [output, [state]]) compiles with --train: the loss on output0 [T, N, 16], the state as output1", () => {
    const out = join(dir, 'encoder.onnx');
    const r = gluonc(['compile', join('models', 'd2l', 'rnn-concise.ts'), '-o', out, '--train']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /outputs output0 float32 \[T, N, 16\], output1 float32 \[2, N, 16\]/);
    const py = python(PY_TRAIN, { model: out, train: join(dir, 'encoder.train.onnx'), lr: 0.1, fixed: {}, carry: {}, batches: [{ X: spec(tokens(0)), label: { shape: [T, N, 16], data: new Array(T * N * 16).fill(0.1) } }] });
    assert.deepEqual(py.inputs.slice(0, 4), ['X', 'label', 'lr', 't']);
    assert.deepEqual(py.outputs.slice(0, 3), ['loss', 'output0', 'output1']);
    assert.ok(Number.isFinite(py.steps[0].loss[0]));
    assert.deepEqual(checkOnnxFiles([join(dir, 'encoder.train.onnx')]), [null]);
  });

  it('a --loss-output naming no output, or out of range, is one line listing the outputs; without --train, or with --format mxnet, it is refused; neither artifact is written', () => {
    const out = join(dir, 'bad.onnx');
    const outs = "the model's outputs \\(depth first\\): 0 output0 float32 \\[N\\*T, 6\\], 1 output1 float32 \\[1, N, 8\\]$";
    assert.match(oneLineError(gluonc(['compile', model, '-o', out, '--train', '--loss-output', 'state'])), new RegExp(`rnn-model\\.ts': --loss-output "state" names no output; ${outs}`));
    assert.match(oneLineError(gluonc(['compile', model, '-o', out, '--train', '--loss-output', '2'])), new RegExp(`--loss-output "2" is out of range: indices 0 to 1; ${outs}`));
    assert.ok(!existsSync(out) && !existsSync(join(dir, 'bad.train.onnx')));
    assert.match(oneLineError(gluonc(['compile', model, '-o', out, '--loss-output', '1'])), /--loss-output chooses the output the loss of --train reads; add --train/);
    assert.match(oneLineError(gluonc(['compile', model, '--format', 'mxnet', '-o', join(dir, 'mx'), '--loss-output', '1'])), /--loss-output applies to the ONNX artifact, not to --format mxnet/);
    const badExport = join(dir, 'bad-export.ts');
    writeFileSync(badExport, "export { default, inputs } from './rnn-model.ts';\nexport const lossOutput = 'h';\n");
    assert.match(oneLineError(gluonc(['compile', badExport, '-o', out, '--train'])), /'lossOutput' export "h" names no output; the model's outputs/);
    writeFileSync(badExport, "export { default, inputs } from './rnn-model.ts';\nexport const lossOutput = ['output1'];\n");
    assert.match(oneLineError(gluonc(['compile', badExport, '-o', out, '--train'])), /'lossOutput' export must be an output's index or name \(e\.g\. 'output1' or 1\), got \["output1"\]/);
  });
});
