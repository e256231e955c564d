/**
 * MXNet's fused recurrent operator in both directions: gluonc's
 * `rnn.RNN` / `LSTM` / `GRU` written by `export(path, { format: 'mxnet' })`
 * as MXNet 1.x's `_RNNLayer.hybrid_forward` writes them (SwapAxis,
 * Reshape + `_rnn_param_concat`, `_zeros` begin states, `RNN`), and read by
 * `SymbolBlock.imports`. References, independent of gluonc: a python3
 * interpreter of MXNet's operators (test/helpers/mxnet-python.ts; its RNN
 * is numpy, from MXNet's documented flat layout and equations) runs the
 * written files; a symbol file written by hand as MXNet 1.x writes an
 * LSTM(4) on 3 features is read and compared with torch.nn.LSTM holding
 * the same weights (torch's gate order i, f, g, o is MXNet's).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { checkMxnetFiles, PY_RUN_MXNET_SYMBOL, python } from '../../helpers/mxnet-python.js';
import { encodeMxnetParams } from '../../../compiler/formats/mxnet-params.js';

const { rnn } = gluon;
const flat = (a: nd.NDArray): number[] => Array.from(a.data() as ArrayLike<number>, Number);
type Json = { nodes: { op: string; name: string; attrs?: Record<string, string>; inputs: number[][] }[]; heads: number[][] };

describe("MXNet's fused RNN operator: export(path, { format: 'mxnet' }) and SymbolBlock.imports", () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-mxnet-rnn-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: [string, () => gluon.HybridBlock, string, number, boolean][] = [
    ['LSTM TNC', () => new rnn.LSTM(4, { inputSize: 3 }), 'lstm', 1, false],
    ['LSTM NTC, 2 layers, bidirectional', () => new rnn.LSTM(4, 2, { inputSize: 3, layout: 'NTC', bidirectional: true }), 'lstm', 2, true],
    ['GRU NTC, 2 layers', () => new rnn.GRU(5, 2, { inputSize: 3, layout: 'NTC' }), 'gru', 2, false],
    ['GRU TNC, bidirectional', () => new rnn.GRU(3, { inputSize: 3, bidirectional: true }), 'gru', 1, true],
    ['RNN relu TNC, 2 layers', () => new rnn.RNN(4, 2, { inputSize: 3 }), 'rnn_relu', 2, false],
    ['RNN tanh NTC, bidirectional', () => new rnn.RNN(4, { inputSize: 3, activation: 'tanh', layout: 'NTC', bidirectional: true }), 'rnn_tanh', 1, true],
  ];
  for (const [name, make, mode, layers, bidirectional] of cases) {
    it(`${name}: written as MXNet 1.x's nodes, run by the python interpreter, read back`, () => {
      random.seed(7);
      const layer = make();
      layer.initialize();
      // Biases away from zero, so a bias cut from the wrong place shows.
      for (const [, p] of layer.collectParams().entries()) p.setData(nd.random.uniform(-0.5, 0.5, p.shape));
      const x = nd.random.uniform(-1, 1, [2, 5, 3]);
      const want = layer.call(x) as nd.NDArray;
      const prefix = path.join(dir, name.replace(/[^a-z0-9]+/gi, '_'));
      const { symbolFile, paramsFile } = layer.export(prefix, { format: 'mxnet' });
      const g = JSON.parse(fs.readFileSync(symbolFile, 'utf8')) as Json;
      const ops = g.nodes.map((n) => n.op).filter((o) => o !== 'null' && o !== 'Reshape');
      const ntc = name.includes('NTC');
      const zeros = mode === 'lstm' ? ['_zeros', '_zeros'] : ['_zeros'];
      assert.deepEqual(ops, [...(ntc ? ['SwapAxis'] : []), '_rnn_param_concat', ...zeros, 'RNN', ...(ntc ? ['SwapAxis'] : [])]);
      const node = g.nodes.find((n) => n.op === 'RNN')!;
      assert.deepEqual(
        [node.attrs!.mode, node.attrs!.num_layers, node.attrs!.bidirectional, node.attrs!.state_size, node.attrs!.state_outputs],
        [mode, String(layers), bidirectional ? 'True' : 'False', String(layer.collectParams().entries().find(([k]) => k.endsWith('h2h_weight'))![1].shape[1]), 'True'],
      );
      const dirs = bidirectional ? 2 : 1;
      const z = g.nodes.find((n) => n.op === '_zeros')!;
      assert.equal(z.attrs!.shape, `(${layers * dirs}, 0, ${node.attrs!.state_size})`);
      assert.match(z.name, /^(lstm|gru|rnn)0_h0_0$/);
      const ref = checkMxnetFiles(name, { symbolFile, paramsFile }, x, want);
      // The parameters are saved one by one, as MXNet 1.x's export saves them: arg:<prefix>l0_i2h_weight, ...
      assert.ok(ref.args.includes(`${z.name.slice(0, -4)}l0_i2h_weight`), ref.args.join(', '));
    });
  }

  it('given begin states are graph inputs, and the final states are outputs (hy, cy)', () => {
    random.seed(3);
    const layer = new rnn.LSTM(4, 2, { inputSize: 3, bidirectional: true });
    layer.initialize();
    for (const [, p] of layer.collectParams().entries()) p.setData(nd.random.uniform(-0.5, 0.5, p.shape));
    const x = nd.random.uniform(-1, 1, [5, 2, 3]);
    const [h0, c0] = [nd.random.uniform(-1, 1, [4, 2, 4]), nd.random.uniform(-1, 1, [4, 2, 4])];
    const [out, [hy, cy]] = layer.call(x, [h0, c0]) as [nd.NDArray, nd.NDArray[]];
    const { symbolFile, paramsFile } = layer.export(path.join(dir, 'states'), { format: 'mxnet' });
    const g = JSON.parse(fs.readFileSync(symbolFile, 'utf8')) as Json;
    assert.ok(!g.nodes.some((n) => n.op === '_zeros'));
    const rnnAt = g.nodes.findIndex((n) => n.op === 'RNN');
    assert.deepEqual(g.nodes[rnnAt]!.inputs.slice(2).map(([j]) => g.nodes[j!]!.name), ['data1', 'data2']);
    assert.deepEqual(g.heads, [[rnnAt, 0, 0], [rnnAt, 1, 0], [rnnAt, 2, 0]]);
    const inputs = { data0: { shape: x.shape, data: flat(x) }, data1: { shape: h0.shape, data: flat(h0) }, data2: { shape: c0.shape, data: flat(c0) } };
    const ref = python(PY_RUN_MXNET_SYMBOL, { symbol: symbolFile, params: paramsFile, inputs });
    const back = gluon.SymbolBlock.imports(symbolFile, ['data0', 'data1', 'data2'], paramsFile);
    const got = back.call(x, h0, c0) as nd.NDArray[];
    [out, hy!, cy!].forEach((w, k) => {
      assertClose(flat(w), ref.outs[k].data, `output ${k} against the python run`, 1e-4, 1e-5);
      assertClose(flat(got[k]!), flat(w), `output ${k} read back`, 1e-5, 1e-6);
    });
  });

  it("begin states from a symbolic batch (beginState(x.shape[1]) exported with data [T, N, 3]) are MXNet's _zeros (1, 0, 4), which MXNet completes from the data", () => {
    class ZeroStart extends gluon.HybridBlock {
      lstm = new rnn.LSTM(4, { inputSize: 3 });
      override hybridForward(_F: gluon.F, x: gluon.Tensor) {
        return (this.lstm.call(x, this.lstm.beginState(x.shape[1] as number)) as [gluon.Tensor, gluon.Tensor[]])[0];
      }
    }
    random.seed(12);
    const net = new ZeroStart();
    net.initialize(new init.Uniform(0.5));
    const files = net.export(path.join(dir, 'zero-start'), { format: 'mxnet', inputs: { data: { shape: ['T', 'N', 3] } } });
    const g = JSON.parse(fs.readFileSync(files.symbolFile, 'utf8')) as Json;
    assert.deepEqual(g.nodes.filter((n) => n.op === '_zeros').map((n) => [n.name, n.attrs!.shape]), [['lstm0_h0_0', '(1, 0, 4)'], ['lstm0_h0_1', '(1, 0, 4)']]);
    for (const N of [2, 3]) {
      const x = nd.random.uniform(-1, 1, [4, N, 3]);
      checkMxnetFiles(`N = ${N}`, files, x, net.call(x) as nd.NDArray);
    }
  });

  it('begin states of a fixed batch (beginState(x.shape[1]) exported with data [T, 2, 3]: eager zeros in the trace) are constants of the files, not a crash', () => {
    class ZeroStart extends gluon.HybridBlock {
      lstm = new rnn.LSTM(4, { inputSize: 3 });
      override hybridForward(_F: gluon.F, x: gluon.Tensor) {
        return (this.lstm.call(x, this.lstm.beginState(x.shape[1] as number)) as [gluon.Tensor, gluon.Tensor[]])[0];
      }
    }
    random.seed(13);
    const net = new ZeroStart();
    net.initialize(new init.Uniform(0.5));
    const files = net.export(path.join(dir, 'fixed-start'), { format: 'mxnet', inputs: { data: { shape: ['T', 2, 3] } } });
    const back = gluon.SymbolBlock.imports(files.symbolFile, ['data'], files.paramsFile);
    for (const T of [4, 6]) {
      const x = nd.random.uniform(-1, 1, [T, 2, 3]);
      assertClose(Array.from((back.call(x) as nd.NDArray).data() as Float32Array), Array.from((net.call(x) as nd.NDArray).data() as Float32Array), `T = ${T}: read back`, 1e-5, 1e-6);
    }
  });

  it('inside a block: states computed by other layers, the final states read outside, the layer called twice', () => {
    class Twice extends gluon.HybridBlock {
      lstm = new rnn.LSTM(4, { inputSize: 3 });
      dense = new gluon.nn.Dense(3, { flatten: false, inUnits: 4 });
      init = new gluon.nn.Dense(4, { flatten: false, inUnits: 3 });
      override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor[] {
        const h0 = this.init.call(F.sliceAxis(x, { axis: 0, begin: 0, end: 1 })) as gluon.Tensor;
        const [y, [h, c]] = this.lstm.call(x, [h0, F.tanh(h0)]) as [gluon.Tensor, gluon.Tensor[]];
        return [this.lstm.call(this.dense.call(y) as gluon.Tensor) as gluon.Tensor, F.add(h!, c!)];
      }
    }
    random.seed(11);
    const net = new Twice();
    net.initialize();
    const x = nd.random.uniform(-1, 1, [5, 2, 3]);
    const want = net.call(x) as nd.NDArray[];
    const { symbolFile, paramsFile } = net.export(path.join(dir, 'twice'), { format: 'mxnet' });
    const g = JSON.parse(fs.readFileSync(symbolFile, 'utf8')) as Json;
    assert.deepEqual(g.nodes.filter((n) => n.op === 'RNN').map((n) => n.name), ['lstm0_rnn0', 'lstm0_rnn1']);
    const ref = python(PY_RUN_MXNET_SYMBOL, { symbol: symbolFile, params: paramsFile, inputs: { data: { shape: x.shape, data: flat(x) } } });
    const got = gluon.SymbolBlock.imports(symbolFile, ['data'], paramsFile).call(x) as nd.NDArray[];
    want.forEach((w, k) => {
      assertClose(flat(w), ref.outs[k].data, `output ${k} against the python run`, 1e-4, 1e-5);
      assertClose(flat(got[k]!), flat(w), `output ${k} read back`, 1e-5, 1e-6);
    });
  });

  it('valid lengths (useSequenceLength) are the RNN node\'s sequence_length input, use_sequence_length True', () => {
    random.seed(5);
    const layer = new rnn.GRU(4, { inputSize: 3, bidirectional: true, useSequenceLength: true, layout: 'NTC' });
    layer.initialize();
    for (const [, p] of layer.collectParams().entries()) p.setData(nd.random.uniform(-0.5, 0.5, p.shape));
    const x = nd.random.uniform(-1, 1, [3, 5, 3]);
    const lens = nd.array([5, 2, 4]);
    const want = layer.call(x, null, lens) as nd.NDArray;
    const { symbolFile, paramsFile } = layer.export(path.join(dir, 'lens'), { format: 'mxnet' });
    const g = JSON.parse(fs.readFileSync(symbolFile, 'utf8')) as Json;
    const node = g.nodes.find((n) => n.op === 'RNN')!;
    assert.equal(node.attrs!.use_sequence_length, 'True');
    assert.deepEqual(node.inputs.map(([j]) => g.nodes[j!]!.op), ['SwapAxis', '_rnn_param_concat', '_zeros', 'null']);
    assert.equal(g.nodes[node.inputs[3]![0]!]!.name, 'data1');
    const inputs = { data0: { shape: x.shape, data: flat(x) }, data1: { shape: lens.shape, data: flat(lens) } };
    const ref = python(PY_RUN_MXNET_SYMBOL, { symbol: symbolFile, params: paramsFile, inputs });
    assertClose(flat(want), ref.outs[0].data, 'against the python run (padded steps 0, the reverse direction from each last valid step)', 1e-4, 1e-5);
    const back = gluon.SymbolBlock.imports(symbolFile, ['data0', 'data1'], paramsFile);
    assertClose(flat(back.call(x, lens) as nd.NDArray), flat(want), 'read back', 1e-5, 1e-6);
  });

  describe('a symbol file written by hand as MXNet 1.x writes LSTM(4) on 3 features', () => {
    // What MXNet 1.9's `rnn.LSTM(4, input_size=3)`, hybridized and exported, writes (rnn_layer.py's
    // hybrid_forward: begin_state(0, func=symbol.zeros), then _forward_kernel).
    const symbol = {
      nodes: [
        { op: 'null', name: 'data', inputs: [] },
        { op: 'null', name: 'lstm0_l0_i2h_weight', attrs: { __dtype__: '0', __init__: '["xavier", {}]', __lr_mult__: '1.0', __shape__: '(16, 3)', __storage_type__: '0', __wd_mult__: '1.0' }, inputs: [] },
        { op: 'Reshape', name: 'lstm0_reshape0', attrs: { shape: '(-1,)' }, inputs: [[1, 0, 0]] },
        { op: 'null', name: 'lstm0_l0_h2h_weight', attrs: { __shape__: '(16, 4)' }, inputs: [] },
        { op: 'Reshape', name: 'lstm0_reshape1', attrs: { shape: '(-1,)' }, inputs: [[3, 0, 0]] },
        { op: 'null', name: 'lstm0_l0_i2h_bias', attrs: { __init__: 'zeros', __shape__: '(16,)' }, inputs: [] },
        { op: 'Reshape', name: 'lstm0_reshape2', attrs: { shape: '(-1,)' }, inputs: [[5, 0, 0]] },
        { op: 'null', name: 'lstm0_l0_h2h_bias', attrs: { __init__: 'zeros', __shape__: '(16,)' }, inputs: [] },
        { op: 'Reshape', name: 'lstm0_reshape3', attrs: { shape: '(-1,)' }, inputs: [[7, 0, 0]] },
        { op: '_rnn_param_concat', name: 'lstm0_rnn_param_concat0', attrs: { dim: '0', num_args: '4' }, inputs: [[2, 0, 0], [4, 0, 0], [6, 0, 0], [8, 0, 0]] },
        { op: '_zeros', name: 'lstm0_h0_0', attrs: { __layout__: 'LNC', dtype: 'float32', shape: '(1, 0, 4)' }, inputs: [] },
        { op: '_zeros', name: 'lstm0_h0_1', attrs: { __layout__: 'LNC', dtype: 'float32', shape: '(1, 0, 4)' }, inputs: [] },
        {
          op: 'RNN', name: 'lstm0_rnn0',
          attrs: { bidirectional: 'False', lstm_state_clip_max: 'None', lstm_state_clip_min: 'None', lstm_state_clip_nan: 'False', mode: 'lstm', num_layers: '1', p: '0', projection_size: 'None', state_outputs: 'True', state_size: '4', use_sequence_length: 'False' },
          inputs: [[0, 0, 0], [9, 0, 0], [10, 0, 0], [11, 0, 0]],
        },
      ],
      arg_nodes: [0, 1, 3, 5, 7],
      node_row_ptr: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15],
      heads: [[12, 0, 0]],
      attrs: { mxnet_version: ['int', 10901] },
    };
    const names = ['lstm0_l0_i2h_weight', 'lstm0_l0_h2h_weight', 'lstm0_l0_i2h_bias', 'lstm0_l0_h2h_bias'];
    const shapes = [[16, 3], [16, 4], [16], [16]];
    const write = (file: string, sym: unknown, values: number[][]) => {
      fs.writeFileSync(`${file}-symbol.json`, JSON.stringify(sym, null, 2));
      const tensors = values.map((v, i) => ({ dtype: 'float32' as const, shape: shapes[i]!, data: Float32Array.from(v) }));
      fs.writeFileSync(`${file}-0000.params`, encodeMxnetParams(tensors, names.map((n) => `arg:${n}`), `${file}-0000.params`));
    };
    const values = shapes.map((s, i) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_v, k) => Math.sin(1.3 * k + 0.7 * i + 0.2) * 0.6));

    it('reads and runs as torch.nn.LSTM with the same weights', () => {
      const file = path.join(dir, 'hand');
      write(file, symbol, values);
      const x = nd.array(Array.from({ length: 5 * 2 * 3 }, (_v, k) => Math.cos(0.9 * k) * 0.8), { dtype: 'float32' }).reshape([5, 2, 3]);
      const net = gluon.SymbolBlock.imports(`${file}-symbol.json`, ['data'], `${file}-0000.params`);
      const got = net.call(x) as nd.NDArray;
      const want = python(
        String.raw`
import torch
torch.set_default_dtype(torch.float64)
m = torch.nn.LSTM(3, 4)
w = [torch.tensor(v, dtype=torch.float32).double() for v in job['values']]
with torch.no_grad():
    m.weight_ih_l0.copy_(w[0].reshape(16, 3)); m.weight_hh_l0.copy_(w[1].reshape(16, 4))
    m.bias_ih_l0.copy_(w[2]); m.bias_hh_l0.copy_(w[3])
    y, _ = m(torch.tensor(job['x'], dtype=torch.float32).double().reshape(5, 2, 3))
print(json.dumps({'shape': list(y.shape), 'data': y.flatten().tolist()}))
`,
        { values, x: flat(x) },
      );
      assert.deepEqual(got.shape, want.shape);
      assertClose(flat(got), want.data, 'the hand-written LSTM against torch.nn.LSTM', 1e-5, 1e-6);
      net.hybridize();
      assertClose(flat(net.call(x) as nd.NDArray), want.data, 'hybridized', 1e-5, 1e-6);
    });

    it('exports to MXNet again as an RNN node taking the same parameter vector', () => {
      const file = path.join(dir, 'hand-again');
      write(file, symbol, values);
      const net = gluon.SymbolBlock.imports(`${file}-symbol.json`, ['data'], `${file}-0000.params`);
      const x = nd.random.uniform(-1, 1, [5, 2, 3]);
      const want = net.call(x) as nd.NDArray;
      const { symbolFile, paramsFile } = net.export(path.join(dir, 'again'), { format: 'mxnet' });
      const g = JSON.parse(fs.readFileSync(symbolFile, 'utf8')) as Json;
      assert.deepEqual(g.nodes.filter((n) => n.op !== 'null').map((n) => n.op), ['Reshape', 'Reshape', 'Reshape', 'Reshape', 'Concat', '_zeros', '_zeros', 'RNN']);
      assert.deepEqual(g.nodes.filter((n) => n.op === 'null').map((n) => n.name).sort(), ['data', ...names].sort());
      const ref = python(PY_RUN_MXNET_SYMBOL, { symbol: symbolFile, params: paramsFile, inputs: { data: { shape: x.shape, data: flat(x) } } });
      assertClose(flat(want), ref.outs[0].data, 'the re-exported files against the python run', 1e-4, 1e-5);
    });

    it('trains: the gradient reaches each parameter through the cut vector (against the gluonc layer holding the same weights)', () => {
      const file = path.join(dir, 'hand-train');
      write(file, symbol, values);
      const net = gluon.SymbolBlock.imports(`${file}-symbol.json`, ['data'], `${file}-0000.params`);
      const layer = new rnn.LSTM(4, { inputSize: 3 });
      layer.initialize();
      const own = layer.collectParams().entries();
      own.forEach(([, p], i) => p.setData(nd.array(values[i]!, { dtype: 'float32' }).reshape(shapes[i]!)));
      const x = nd.random.uniform(-1, 1, [5, 2, 3]);
      const grads = (b: gluon.HybridBlock) => {
        autograd.record(() => {
          const y = b.call(x) as nd.NDArray;
          autograd.backward([nd.sum(nd.mul(y, y))]);
        });
        return b.collectParams().entries().map(([, p]) => flat(p.grad()));
      };
      const [a, b] = [grads(net), grads(layer)];
      a.forEach((g, i) => {
        assert.ok(g.some((v) => Math.abs(v) > 1e-4), `${names[i]} gets a gradient`);
        assertClose(g, b[i]!, `gradient of ${names[i]}`, 1e-4, 1e-6);
      });
    });

    it('an attribute gluonc does not run, a parameter vector of the wrong length, and a sized-from-data zeros read elsewhere are Errors naming them', () => {
      const file = path.join(dir, 'bad');
      const x = nd.ones([5, 2, 3]);
      const withAttrs = (attrs: Record<string, string>) => ({ ...symbol, nodes: symbol.nodes.map((n) => (n.op === 'RNN' ? { ...n, attrs: { ...n.attrs, ...attrs } } : n)) });
      write(file, withAttrs({ projection_size: '2' }), values);
      assert.throws(() => gluon.SymbolBlock.imports(`${file}-symbol.json`, ['data'], `${file}-0000.params`), /node 'lstm0_rnn0' \(MXNet operator 'RNN'\): attribute 'projection_size' = '2' is not supported \(gluonc's recurrent layers have no projection \(LSTMP\)\)/);
      write(file, withAttrs({ state_size: '5' }), values);
      assert.throws(() => gluon.SymbolBlock.imports(`${file}-symbol.json`, ['data'], `${file}-0000.params`).call(x), /the parameters must be a vector of 200 values \(mode lstm, 1 layer\(s\), 1 direction\(s\), state_size 5, 3 input features\), got shape \[144\]/);
      const misuse = { ...symbol, nodes: [...symbol.nodes, { op: 'elemwise_add', name: 'add0', inputs: [[12, 0, 0], [10, 0, 0]] }], heads: [[13, 0, 0]] };
      write(file, misuse, values);
      assert.throws(() => gluon.SymbolBlock.imports(`${file}-symbol.json`, ['data'], `${file}-0000.params`).call(x), /node 'add0' reads zeros of an inferred size \('lstm0_h0_0', shape \(1, 0, 4\)\): MXNet's shape inference does not carry an unknown size through 'elemwise_add': its inputs differ at axis 0 \(\[5, 2, 4\], \[1, 0, 4\], 0 unknown\)/);
    });
  });
});
