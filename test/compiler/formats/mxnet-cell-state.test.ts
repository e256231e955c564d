/**
 * A recurrent cell's begin state with a symbolic batch in MXNet's format:
 * `cell.beginState({ batchSize: x.shape[0] })` exported with data
 * ['N', T, C] is written as MXNet 1.x's `begin_state(func=symbol.zeros)`
 * writes it (python/mxnet/gluon/rnn/rnn_cell.py: `_zeros` named
 * `<prefix>begin_state_<k>`, `state_info`'s shape (0, H) and `__layout__`
 * 'NC'), read by the cell's step as MXNet's cells read it (FullyConnected,
 * then elemwise_add / elemwise_mul, through which MXNet's shape inference
 * fills the 0), and read back by `SymbolBlock.imports` at any batch.
 * References: the block's eager output (plain arrays, zeros of the concrete
 * batch), and the python interpreter of MXNet's operators
 * (test/helpers/mxnet-python.ts) given the (N, H) MXNet infers, which
 * checks elemwise_* operands' shapes are equal; a symbol file written by
 * hand as MXNet 1.x's hybridized LSTMCell.unroll writes it (rnn_cell.py:
 * `_zeros` begin states, `FullyConnected` i2h/h2h, `elemwise_add`,
 * `SliceChannel`, `Activation`, `elemwise_mul`, `_plus`, `_mul`) is read and
 * compared with torch.nn.LSTMCell holding the same weights.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, init, nd, random } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { PY_RUN_MXNET_SYMBOL, python } from '../../helpers/mxnet-python.js';
import { encodeMxnetParams } from '../../../compiler/formats/mxnet-params.js';

const { rnn } = gluon;
const flat = (a: nd.NDArray): number[] => Array.from(a.data() as ArrayLike<number>, Number);
type Json = { nodes: { op: string; name: string; attrs?: Record<string, string>; inputs: number[][] }[]; heads: number[][] };

/** Unrolls a cell over [N, T, C] from `cell.beginState({ batchSize: x.shape[0] })` (or unroll's own zeros); gives the outputs [N, T, H]. */
class Unrolled extends gluon.HybridBlock {
  constructor(
    readonly cell: gluon.rnn.RecurrentCell,
    readonly own: boolean,
  ) {
    super();
  }
  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    const beginState = this.own ? undefined : this.cell.beginState({ batchSize: x.shape[0] as number });
    return this.cell.unroll(x.shape[1] as number, x, { beginState, layout: 'NTC', mergeOutputs: true })[0] as gluon.Tensor;
  }
}

describe("a recurrent cell's begin state with a symbolic batch: export(path, { format: 'mxnet' })", () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-mxnet-cell-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: [string, () => gluon.rnn.RecurrentCell, number][] = [
    ['LSTMCell', () => new rnn.LSTMCell(4, { inputSize: 3 }), 2],
    ['GRUCell', () => new rnn.GRUCell(5, { inputSize: 3 }), 1],
    ['RNNCell', () => new rnn.RNNCell(4, { inputSize: 3 }), 1],
  ];
  for (const [name, make, states] of cases) {
    it(`${name}: beginState({ batchSize: x.shape[0] }) is MXNet's _zeros (0, H) named <prefix>begin_state_<k>, read back at N = 2 and 3`, () => {
      random.seed(21);
      const net = new Unrolled(make(), false);
      net.initialize(new init.Uniform(0.5));
      const files = net.export(path.join(dir, name), { format: 'mxnet', inputs: { data: { shape: ['N', 5, 3] } } });
      const g = JSON.parse(fs.readFileSync(files.symbolFile, 'utf8')) as Json;
      const H = net.cell.hiddenSize;
      const zeros = g.nodes.filter((n) => n.op === '_zeros');
      // MXNet's cells are named by their _alias (lstm, gru, rnn) and count their states from 0.
      const alias = name.replace('Cell', '').toLowerCase();
      assert.deepEqual(zeros.map((n) => [n.name, n.attrs]), Array.from({ length: states }, (_v, k) => [`${alias}0_begin_state_${k}`, { __layout__: 'NC', dtype: 'float32', shape: `(0, ${H})` }]));
      assert.ok(g.nodes.some((n) => n.name === `${alias}0_h2h_weight`));
      // Read as MXNet's cells read it: the h2h FullyConnected (MXNet sets its data's axis 0 from the output), whose output meets i2h in
      // elemwise_add (GRU: after SliceChannel, which MXNet back-calculates).
      const at = g.nodes.indexOf(zeros[0]!);
      const fc = g.nodes.findIndex((n) => n.op === 'FullyConnected' && n.inputs[0]![0] === at);
      assert.deepEqual(g.nodes.filter((n) => n.inputs.some(([j]) => j === fc)).map((n) => n.op), [name === 'GRUCell' ? 'SliceChannel' : 'elemwise_add']);
      const back = gluon.SymbolBlock.imports(files.symbolFile, ['data'], files.paramsFile);
      const hybrid = gluon.SymbolBlock.imports(files.symbolFile, ['data'], files.paramsFile);
      hybrid.hybridize();
      for (const N of [2, 3]) {
        const x = nd.random.uniform(-1, 1, [N, 5, 3]);
        const want = flat(net.call(x) as nd.NDArray);
        const infer = Object.fromEntries(zeros.map((n) => [n.name, [N, H]]));
        const ref = python(PY_RUN_MXNET_SYMBOL, { symbol: files.symbolFile, params: files.paramsFile, inputs: { data: { shape: x.shape, data: flat(x) } }, infer });
        assert.deepEqual(ref.outs[0].shape, [N, 5, H]);
        assertClose(want, ref.outs[0].data, `N = ${N}: the block against the python run with the (${N}, ${H}) MXNet infers`, 1e-4, 1e-5);
        const got = back.call(x) as nd.NDArray;
        assert.deepEqual(got.shape, [N, 5, H]);
        assertClose(flat(got), want, `N = ${N}: SymbolBlock.imports`, 1e-5, 1e-6);
        assertClose(flat(hybrid.call(x) as nd.NDArray), want, `N = ${N}: SymbolBlock.imports hybridized`, 1e-5, 1e-6);
      }
    });
  }

  it("unroll's own begin state (none given) exports with a symbolic batch and reads back at N = 1 and 4", () => {
    random.seed(22);
    const net = new Unrolled(new rnn.LSTMCell(4, { inputSize: 3 }), true);
    net.initialize(new init.Uniform(0.5));
    const files = net.export(path.join(dir, 'own'), { format: 'mxnet', inputs: { data: { shape: ['N', 5, 3] } } });
    const back = gluon.SymbolBlock.imports(files.symbolFile, ['data'], files.paramsFile);
    for (const N of [1, 4]) {
      const x = nd.random.uniform(-1, 1, [N, 5, 3]);
      assertClose(flat(back.call(x) as nd.NDArray), flat(net.call(x) as nd.NDArray), `N = ${N}`, 1e-5, 1e-6);
    }
  });

  it('zeros of a traced size that MXNet could not infer are an Error at export naming them, and nothing is written', () => {
    class Broadcast extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
        // [N, 3] + [3] is broadcast_add, which does not infer an input from the other.
        return F.add(F.zeros([x.shape[0] as number, 3]), F.sum(x, { axis: 0 }));
      }
    }
    class Head extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor[] {
        return [F.relu(x), F.zeros([x.shape[0] as number, 3])];
      }
    }
    const inputs = { data: { shape: ['N', 3] as (string | number)[] } };
    const file = path.join(dir, 'bad');
    assert.throws(() => new Broadcast().export(file, { format: 'mxnet', inputs }), /zeros 'broadcast0_zeros0' \(MXNet's _zeros of shape \(0, 3\), a 0 where the size is read from the data\) reach node 'broadcast0_broadcastadd0': MXNet's shape inference does not carry an unknown size through 'broadcast_add'/);
    assert.throws(() => new Head().export(file, { format: 'mxnet', inputs }), /output 1 \(node 'head0_zeros0'\) keeps the unknown size of zeros 'head0_zeros0'/);
    assert.ok(!fs.existsSync(`${file}-symbol.json`));
  });

  it("a file written as MXNet 1.x's LSTMCell.unroll writes it (begin states _zeros (0, 4)) runs as torch.nn.LSTMCell at N = 1 and 3", () => {
    const H = 4;
    const nodes: { op: string; name: string; attrs?: Record<string, string>; inputs: number[][] }[] = [];
    const add = (op: string, name: string, inputs: number[][], attrs?: Record<string, string>) => nodes.push({ op, name, ...(attrs ? { attrs } : {}), inputs }) - 1;
    const data = add('null', 'data', []);
    const steps = add('SliceChannel', 'split0', [[data, 0, 0]], { axis: '1', num_outputs: '2', squeeze_axis: '1' });
    const w = ['i2h_weight', 'i2h_bias', 'h2h_weight', 'h2h_bias'].map((k) => add('null', `lstm0_${k}`, []));
    let h = add('_zeros', 'lstm0_begin_state_0', [], { __layout__: 'NC', dtype: 'float32', shape: `(0, ${H})` });
    let c = add('_zeros', 'lstm0_begin_state_1', [], { __layout__: 'NC', dtype: 'float32', shape: `(0, ${H})` });
    for (let t = 0; t < 2; t++) {
      const p = `lstm0_t${t}_`;
      const i2h = add('FullyConnected', `${p}i2h`, [[steps, t, 0], [w[0]!, 0, 0], [w[1]!, 0, 0]], { num_hidden: String(4 * H) });
      const h2h = add('FullyConnected', `${p}h2h`, [[h, 0, 0], [w[2]!, 0, 0], [w[3]!, 0, 0]], { num_hidden: String(4 * H) });
      const gates = add('SliceChannel', `${p}slice`, [[add('elemwise_add', `${p}plus0`, [[i2h, 0, 0], [h2h, 0, 0]]), 0, 0]], { num_outputs: '4' });
      const act = (k: number, type: string, n: string) => add('Activation', `${p}${n}`, [[gates, k, 0]], { act_type: type });
      const [ig, fg, tr, og] = [act(0, 'sigmoid', 'i'), act(1, 'sigmoid', 'f'), act(2, 'tanh', 'c'), act(3, 'sigmoid', 'o')];
      c = add('_plus', `${p}state`, [[add('elemwise_mul', `${p}mul0`, [[fg, 0, 0], [c, 0, 0]]), 0, 0], [add('elemwise_mul', `${p}mul1`, [[ig, 0, 0], [tr, 0, 0]]), 0, 0]]);
      h = add('_mul', `${p}out`, [[og, 0, 0], [add('Activation', `${p}activation0`, [[c, 0, 0]], { act_type: 'tanh' }), 0, 0]]);
    }
    const file = path.join(dir, 'mxnet-cell');
    fs.writeFileSync(`${file}-symbol.json`, JSON.stringify({ nodes, arg_nodes: [data, ...w], heads: [[h, 0, 0], [c, 0, 0]] }));
    const shapes = [[4 * H, 3], [4 * H], [4 * H, H], [4 * H]];
    const values = shapes.map((s, i) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_v, k) => Math.sin(1.1 * k + 0.9 * i + 0.3) * 0.6));
    const tensors = values.map((v, i) => ({ dtype: 'float32' as const, shape: shapes[i]!, data: Float32Array.from(v) }));
    const names = ['i2h_weight', 'i2h_bias', 'h2h_weight', 'h2h_bias'].map((k) => `arg:lstm0_${k}`);
    fs.writeFileSync(`${file}-0000.params`, encodeMxnetParams(tensors, names, `${file}-0000.params`));
    const net = gluon.SymbolBlock.imports(`${file}-symbol.json`, ['data'], `${file}-0000.params`);
    for (const N of [1, 3]) {
      const x = nd.array(Array.from({ length: N * 2 * 3 }, (_v, k) => Math.cos(0.7 * k + N) * 0.8)).reshape([N, 2, 3]);
      // torch's LSTMCell: gates i, f, g, o of weight_ih @ x + bias_ih + weight_hh @ h + bias_hh, as MXNet's.
      const ref = python(`
import torch
torch.set_default_dtype(torch.float64)
m = torch.nn.LSTMCell(3, ${H})
w = [torch.tensor(v).float().double() for v in job['values']]
with torch.no_grad():
    m.weight_ih.copy_(w[0].reshape(${4 * H}, 3)); m.bias_ih.copy_(w[1]); m.weight_hh.copy_(w[2].reshape(${4 * H}, ${H})); m.bias_hh.copy_(w[3])
    x = torch.tensor(job['x']).float().double().reshape(${N}, 2, 3)
    h = c = torch.zeros(${N}, ${H})
    for t in range(2):
        h, c = m(x[:, t], (h, c))
print(json.dumps([h.flatten().tolist(), c.flatten().tolist()]))
`, { values, x: flat(x) }) as number[][];
      const got = net.call(x) as nd.NDArray[];
      assert.deepEqual(got.map((g) => g.shape), [[N, H], [N, H]]);
      got.forEach((g, k) => assertClose(flat(g), ref[k]!, `N = ${N}: ${k ? 'c' : 'h'} against torch`, 1e-5, 1e-6));
    }
  });

  it('an MXNet file whose inferred zeros never meet the data is an Error naming them when called', () => {
    // As MXNet 1.x writes `begin_state` and returns it: MXNet itself cannot bind this (the 0 is never inferred).
    const g = {
      nodes: [
        { op: 'null', name: 'data', inputs: [] },
        { op: '_zeros', name: 'lstm0_begin_state_0', attrs: { __layout__: 'NC', dtype: 'float32', shape: '(0, 4)' }, inputs: [] },
        { op: 'sigmoid', name: 'sig0', inputs: [[1, 0, 0]] },
        { op: 'relu', name: 'relu0', inputs: [[0, 0, 0]] },
      ],
      arg_nodes: [0],
      heads: [[3, 0, 0], [2, 0, 0]],
    };
    const file = path.join(dir, 'unresolved-symbol.json');
    fs.writeFileSync(file, JSON.stringify(g));
    const net = gluon.SymbolBlock.imports(file, ['data']);
    assert.throws(() => net.call(nd.ones([2, 4])), /output 1 \(node 'sig0'\) has axes 0 of unknown size: they come from zeros 'lstm0_begin_state_0' whose 0 MXNet infers/);
  });
});
