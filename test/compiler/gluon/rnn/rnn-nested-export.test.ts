/**
 * Exporting recurrent blocks as d2l writes them: a block returning an RNN
 * layer's `[out, [h, c]]` (nested outputs, flattened in order to `output0`,
 * `output1`, `output2` as MXNet's export flattens them), and a block whose
 * forward makes its begin states from the traced input's batch
 * (`beginState(x.shape[1])`, MXNet's `begin_state(batch_size=...)`), exported
 * with a symbolic batch. Each artifact is checked against the eager block at
 * two sequence lengths and two batch sizes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asHybrid, autograd, gluon, init, nd, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { assertClose } from '../../../helpers/compare.js';
import buildEncoder, { inputs as encoderInputs } from '../../../../models/d2l/rnn-concise.js';

const { rnn } = gluon;
const nums = (x: nd.NDArray | { data: unknown }): number[] => Array.from((x instanceof nd.NDArray ? x.data() : x.data) as ArrayLike<number>);
const feed = (x: nd.NDArray) => ({ data: x.data() as Float32Array, shape: x.shape });

/** An LSTM layer called with the states it is given: returns `[out, [h, c]]`. */
class WithStates extends gluon.HybridBlock {
  lstm = new rnn.LSTM(6, 2, { inputSize: 4 });
  override hybridForward(_F: gluon.F, x: gluon.Tensor, h: gluon.Tensor, c: gluon.Tensor) {
    return this.lstm.call(x, [h, c]) as [gluon.Tensor, gluon.Tensor[]];
  }
}

/** Zero begin states from the input's batch (TNC: axis 1), as d2l's encoder makes them; `[out, [h, c]]` and a cell's `[out, [h]]` after it. */
class ZeroStart extends gluon.HybridBlock {
  lstm = new rnn.LSTM(5, { inputSize: 3 });
  cell = new rnn.GRUCell(4, { inputSize: 5 });
  constructor(readonly named: boolean) {
    super();
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    const N = x.shape[1] as number;
    const states = this.named ? this.lstm.beginState({ batchSize: N }) : this.lstm.beginState(N);
    const [y, [h, c]] = this.lstm.call(x, states) as [gluon.Tensor, gluon.Tensor[]];
    const last = F.squeeze(F.sliceAxis(y, { axis: 0, begin: -1, end: null }), { axis: 0 });
    const [o, [g]] = this.cell.call(last, this.cell.beginState(N)) as [gluon.Tensor, gluon.Tensor[]];
    return [y, [h!, c!], [o, [g!]]];
  }
}

describe('rnn: nested outputs and begin states of a symbolic batch, exported', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-rnn-nested-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a block returning an LSTM's [out, [h, c]]: eager and hybridized keep the nesting; exported, output0..2 equal the eager block at T = 3 and 7, N = 2 and 1", async () => {
    random.seed(3);
    const net = new WithStates();
    net.initialize(new init.Uniform(0.5));
    const x = nd.random.uniform(-1, 1, [3, 2, 4]);
    const [h0, c0] = net.lstm.beginState(2).map((s) => nd.random.uniform(-1, 1, s.shape));
    const eager = net.call(x, h0!, c0!) as [nd.NDArray, nd.NDArray[]];
    assert.deepEqual([eager[0].shape, eager[1].map((s) => s.shape)], [[3, 2, 6], [[2, 2, 6], [2, 2, 6]]]);
    net.hybridize();
    const hybrid = net.call(x, h0!, c0!) as [nd.NDArray, nd.NDArray[]];
    assert.ok(Array.isArray(hybrid[1]) && hybrid[1].length === 2, 'the hybridized call keeps [out, [h, c]]');
    [hybrid[0], ...hybrid[1]].forEach((t, k) => assertClose(nums(t), nums([eager[0], ...eager[1]][k]!), `hybridized ${k}`, 1e-5, 1e-6));

    const file = path.join(dir, 'with-states.onnx');
    const { manifest } = net.export(file, { inputs: { x: { shape: ['T', 'N', 4] }, h: { shape: [2, 'N', 6] }, c: { shape: [2, 'N', 6] } } });
    assert.deepEqual(manifest.outputs.map((o) => [o.name, o.shape]), [['output0', ['T', 'N', 6]], ['output1', [2, 'N', 6]], ['output2', [2, 'N', 6]]]);
    const m = await loadModel(file, { threads: 1 });
    assert.deepEqual(m.outputs.map((o) => o.name), ['output0', 'output1', 'output2']);
    try {
      for (const [T, N] of [[3, 2], [7, 1]] as const) {
        const xi = nd.random.uniform(-1, 1, [T, N, 4]);
        const [h, c] = net.lstm.beginState(N).map((s) => nd.random.uniform(-1, 1, s.shape));
        const got = m.runSync({ x: feed(xi), h: feed(h!), c: feed(c!) });
        net.hybridize(false);
        const [y, [hn, cn]] = net.call(xi, h!, c!) as [nd.NDArray, nd.NDArray[]];
        [y, hn!, cn!].forEach((want, k) => assertClose(nums(got[`output${k}`]!), nums(want), `T=${T} N=${N} output${k}`, 1e-4, 1e-5));
      }
    } finally {
      await m.close();
    }
  });

  it('a hybridized block returning nested outputs trains through the fused step: the gradients equal the eager block\'s', () => {
    random.seed(4);
    const grads = (hybrid: boolean): number[][] => {
      random.seed(5);
      const net = new WithStates();
      net.initialize(new init.Uniform(0.5));
      if (hybrid) net.hybridize();
      const x = nd.random.uniform(-1, 1, [4, 3, 4]);
      const [h0, c0] = net.lstm.beginState(3).map((s) => nd.random.uniform(-1, 1, s.shape));
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0 });
      const loss = autograd.record(() => {
        const [y, [h, c]] = net.call(x, h0!, c0!) as [nd.NDArray, nd.NDArray[]];
        return y.square().sum().add(h!.mul(c!).sum());
      });
      loss.backward();
      trainer.step(1);
      return [...net.collectParams().values()].map((p) => nums(p.grad()));
    };
    const [e, h] = [grads(false), grads(true)];
    e.forEach((g, k) => assertClose(h[k]!, g, `parameter ${k}`, 1e-4, 1e-6));
  });

  for (const named of [false, true]) {
    it(`beginState(${named ? '{ batchSize: x.shape[1] }' : 'x.shape[1]'}) with a symbolic batch exports; the artifact takes any batch and equals the eager block (LSTM layer and GRU cell, nested outputs)`, async () => {
      random.seed(6);
      const net = new ZeroStart(named);
      net.initialize(new init.Uniform(0.5));
      const file = path.join(dir, `zero-start-${named}.onnx`);
      const { manifest } = net.export(file, { inputs: { x: { shape: ['T', 'N', 3] } } });
      assert.deepEqual(manifest.outputs.map((o) => o.shape), [['T', 'N', 5], [1, 'N', 5], [1, 'N', 5], ['N', 4], ['N', 4]]);
      const m = await loadModel(file, { threads: 1 });
      try {
        for (const [T, N] of [[2, 3], [6, 1]] as const) {
          const x = nd.random.uniform(-1, 1, [T, N, 3]);
          const got = m.runSync({ x: feed(x) });
          const [y, [h, c], [o, [g]]] = net.call(x) as [nd.NDArray, nd.NDArray[], [nd.NDArray, nd.NDArray[]]];
          [y, h!, c!, o, g!].forEach((want, k) => assertClose(nums(got[`output${k}`]!), nums(want), `T=${T} N=${N} output${k}`, 1e-4, 1e-5));
          // Zero begin states: the first step's state is the cell's answer from h = c = 0 (not some other batch's constants).
          assert.deepEqual(got['output1']!.shape, [1, N, 5]);
        }
      } finally {
        await m.close();
      }
    });
  }

  it("models/d2l/rnn-concise.ts (d2l's seq2seq encoder, beginState({ batchSize: X.shape[1] }), returning [output, [state]]) compiles with a symbolic batch to output0, output1 and equals the block at N = 4 and N = 1", async () => {
    assert.deepEqual(encoderInputs.X.shape, ['N', 'T']);
    random.seed(8);
    const net = buildEncoder() as gluon.Block;
    const file = path.join(dir, 'encoder.onnx');
    asHybrid(net).export(file, { inputs: encoderInputs as Record<string, { shape: (string | number)[] }> });
    const m = await loadModel(file, { threads: 1 });
    try {
      for (const [N, T] of [[4, 7], [1, 3]] as const) {
        const X = nd.array(Array.from({ length: N * T }, (_v, i) => (i * 7) % 10), { shape: [N, T] });
        const got = m.runSync({ X: feed(X) });
        const [output, [state]] = net.call(X) as [nd.NDArray, nd.NDArray[]];
        assert.deepEqual([got['output0']!.shape, got['output1']!.shape], [[T, N, 16], [2, N, 16]]);
        assertClose(nums(got['output0']!), nums(output), `N=${N} T=${T} output0`, 1e-4, 1e-5);
        assertClose(nums(got['output1']!), nums(state!), `N=${N} T=${T} output1 (state)`, 1e-4, 1e-5);
      }
    } finally {
      await m.close();
    }
  });
});
