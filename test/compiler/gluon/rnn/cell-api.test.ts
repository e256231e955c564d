/**
 * gluon.rnn's cell containers and modifiers as API: stepping a stack
 * (eager, hybridized, and as unroll over one step), indexing, parameter
 * names (Gluon 2's structural ones in collectParams, MXNet 1.x's from the
 * cells' _alias), beginState, training with a Trainer, and bad input as
 * Errors naming the cell.
 */
import assert from 'node:assert/strict';
import { nd, gluon, init, autograd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { mxnet1Naming } from '../../../../compiler/formats/mxnet-names.js';
import { loadModel } from 'gluonc/runtime';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { scratchDir } from '../../../helpers/scratch-dir.js';

const { rnn } = gluon;
const nums = (x: nd.NDArray) => Array.from(x.data() as ArrayLike<number>);

describe('gluon.rnn cell containers: stepping and indexing', () => {
  it('HybridSequentialRNNCell.call steps every cell; eager, hybridized and unroll(1) agree', () => {
    const stack = new rnn.HybridSequentialRNNCell();
    stack.add(new rnn.LSTMCell(4, { inputSize: 3 })).add(new rnn.GRUCell(2, { inputSize: 4 }));
    stack.initialize(new init.Uniform(0.5));
    assert.equal(stack.length, 2);
    assert.ok(stack.get(0) instanceof rnn.LSTMCell);
    assert.equal(stack.get(-1), stack.get(1));
    assert.deepEqual([...stack].map((c) => c.constructor.name), ['LSTMCell', 'GRUCell']);
    assert.deepEqual(stack.stateInfo(5).map((s) => s.shape), [[5, 4], [5, 4], [5, 2]]);
    const x = nd.random.uniform(-1, 1, [2, 3]);
    const states = stack.beginState(2).map((s) => nd.random.uniform(-1, 1, s.shape));
    const [o, s] = stack.call(x, states) as [nd.NDArray, nd.NDArray[]];
    // Each cell by hand: the LSTM's h feeds the GRU.
    const [o0, s0] = stack.get(0).call(x, states.slice(0, 2)) as [nd.NDArray, nd.NDArray[]];
    const [o1, s1] = stack.get(1).call(o0, states.slice(2)) as [nd.NDArray, nd.NDArray[]];
    assertClose(nums(o), nums(o1), 'stack output = the last cell\'s');
    [...s0, ...s1].forEach((v, i) => assertClose(nums(s[i]!), nums(v), `state ${i}`));
    const [u, us] = stack.unroll(1, [x], { beginState: states }) as [nd.NDArray[], nd.NDArray[]];
    assertClose(nums(u[0]!), nums(o), 'unroll over one step');
    us.forEach((v, i) => assertClose(nums(v), nums(s[i]!), `unroll state ${i}`));
    stack.hybridize();
    const [ho, hs] = stack.call(x, states) as [nd.NDArray, nd.NDArray[]];
    assertClose(nums(ho), nums(o), 'hybridized step', 1e-5, 1e-6);
    hs.forEach((v, i) => assertClose(nums(v), nums(s[i]!), `hybridized state ${i}`, 1e-5, 1e-6));
  });

  it('a SequentialRNNCell holds a plain Block cell stack; the list-in, list-out unroll and TNC layout work', () => {
    const inner = new rnn.SequentialRNNCell().add(new rnn.RNNCell(3, { inputSize: 2 }));
    const stack = new rnn.SequentialRNNCell().add(inner, new rnn.GRUCell(2, { inputSize: 3 }));
    stack.initialize();
    const x = nd.random.uniform(-1, 1, [4, 2, 2]); // TNC
    const [merged, st] = stack.unroll(4, x, { layout: 'TNC' }) as [nd.NDArray, nd.NDArray[]];
    assert.deepEqual(merged.shape, [4, 2, 2]);
    assert.deepEqual(st.map((s) => s.shape), [[2, 3], [2, 2]]);
    const steps = [0, 1, 2, 3].map((t) => nd.squeeze(nd.sliceAxis(x, { axis: 0, begin: t, end: t + 1 }), { axis: 0 }));
    const [list] = stack.unroll(4, steps) as [nd.NDArray[], nd.NDArray[]];
    assert.equal(list.length, 4);
    assertClose(list.flatMap(nums), nums(merged), 'list steps = the merged TNC output');
  });
});

describe('gluon.rnn cells: parameter names', () => {
  it("collectParams gives Gluon 2's structural names (register_child: positions, l_cell/r_cell, base_cell)", () => {
    const stack = new rnn.HybridSequentialRNNCell();
    stack.add(
      new rnn.LSTMCell(4, { inputSize: 3 }),
      new rnn.DropoutCell(0.5),
      new rnn.ZoneoutCell(new rnn.GRUCell(4, { inputSize: 4 }), { zoneoutOutputs: 0.1 }),
      new rnn.BidirectionalCell(new rnn.RNNCell(2, { inputSize: 4 }), new rnn.LSTMPCell(3, 2, { inputSize: 4 })),
    );
    const w = ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'];
    assert.deepEqual([...stack.collectParams().keys()], [
      ...w.map((k) => `0.${k}`),
      ...w.map((k) => `2.base_cell.${k}`),
      ...w.map((k) => `3.l_cell.${k}`),
      ...['i2h_weight', 'h2h_weight', 'h2r_weight', 'i2h_bias', 'h2h_bias'].map((k) => `3.r_cell.${k}`),
    ]);
    assert.deepEqual(stack.collectParams().get('3.r_cell.h2r_weight')!.shape, [2, 3]);
  });

  it("MXNet 1.x's names (rnn_cell.py: add is register_child, so cells keep their own prefixes; a modifier uses its base cell's params)", () => {
    const stack = new rnn.SequentialRNNCell();
    stack.add(new rnn.LSTMCell(4, { inputSize: 3 }), new rnn.ResidualCell(new rnn.LSTMCell(4, { inputSize: 4 })), new rnn.VariationalDropoutCell(new rnn.GRUCell(2), { dropInputs: 0.1 }));
    const bi = new rnn.BidirectionalCell(new rnn.LSTMCell(2), new rnn.GRUCell(2));
    const lstmp = new gluon.contrib.rnn.LSTMPCell(3, 2);
    const names = (b: gluon.Block) => { const n = mxnet1Naming(b); return [...b.collectParams().values()].map((p) => n.params.get(p)); };
    assert.deepEqual(names(stack), [
      'lstm0_i2h_weight', 'lstm0_h2h_weight', 'lstm0_i2h_bias', 'lstm0_h2h_bias',
      'lstm1_i2h_weight', 'lstm1_h2h_weight', 'lstm1_i2h_bias', 'lstm1_h2h_bias',
      'gru0_i2h_weight', 'gru0_h2h_weight', 'gru0_i2h_bias', 'gru0_h2h_bias',
    ]);
    assert.deepEqual(names(bi), ['lstm0_i2h_weight', 'lstm0_h2h_weight', 'lstm0_i2h_bias', 'lstm0_h2h_bias', 'gru0_i2h_weight', 'gru0_h2h_weight', 'gru0_i2h_bias', 'gru0_h2h_bias']);
    assert.deepEqual(names(lstmp), ['lstmp0_i2h_weight', 'lstmp0_h2h_weight', 'lstmp0_h2r_weight', 'lstmp0_i2h_bias', 'lstmp0_h2h_bias']);
    assert.equal(gluon.contrib.rnn.VariationalDropoutCell, rnn.VariationalDropoutCell);
  });
});

describe('gluon.rnn cells: export', () => {
  const dir = scratchDir('gluonc-cells-');
  it("a block unrolling a stack exports to ONNX (any batch) and to MXNet's format (MXNet 1.x's parameter names); both give its outputs", async () => {
    class M extends gluon.HybridBlock {
      readonly cells = new rnn.HybridSequentialRNNCell().add(
        new rnn.LSTMCell(4),
        new rnn.ZoneoutCell(new rnn.GRUCell(4), { zoneoutOutputs: 0.2 }),
        new rnn.BidirectionalCell(new rnn.LSTMPCell(5, 2), new rnn.GRUCell(3)),
      );
      override hybridForward(_F: gluon.F, x: gluon.Tensor) {
        return this.cells.unroll(5, x)[0] as gluon.Tensor;
      }
    }
    const m = new M();
    m.initialize(new init.Uniform(0.5));
    m.hybridize();
    const x = nd.random.uniform(-1, 1, [2, 5, 3]);
    const y = nums(m.call(x) as nd.NDArray);
    const onnx = path.join(dir(), 'm.onnx');
    m.export(onnx);
    const model = await loadModel(onnx);
    try {
      assert.deepEqual(model.inputs[0]!.shape, ['N', 5, 3]);
      const x3 = nd.random.uniform(-1, 1, [3, 5, 3]);
      const out = await model.run({ [model.inputs[0]!.name]: { data: x3.data() as Float32Array, shape: [3, 5, 3] } });
      assertClose(Array.from(Object.values(out)[0]!.data as Float32Array), nums(m.call(x3) as nd.NDArray), 'the artifact at batch 3', 1e-5, 1e-6);
    } finally {
      await model.close();
    }
    const r = m.export(path.join(dir(), 'm'), { format: 'mxnet' });
    const vars = (JSON.parse(readFileSync(r.symbolFile, 'utf8')) as { nodes: { op: string; name: string }[] }).nodes.filter((n) => n.op === 'null').map((n) => n.name);
    const w = (p: string) => [`${p}i2h_weight`, `${p}i2h_bias`, `${p}h2h_weight`, `${p}h2h_bias`];
    assert.deepEqual(new Set(vars), new Set(['data', ...w('lstm0_'), ...w('gru0_'), ...w('lstmp0_'), 'lstmp0_h2r_weight', ...w('gru1_')]));
    const back = gluon.SymbolBlock.imports(r.symbolFile, ['data'], r.paramsFile);
    assertClose(nums(back.call(x) as nd.NDArray), y, 'MXNet files read back', 1e-5, 1e-6);
  });
});

describe('gluon.rnn cells: beginState and modifiers', () => {
  it("a container's begin states are its cells', a modifier's its base cell's; the wrapped cell's own beginState is an Error", () => {
    const base = new rnn.LSTMCell(3);
    const z = new rnn.ZoneoutCell(base, 0.2, 0.3);
    assert.equal(z.zoneoutOutputs, 0.2);
    assert.equal(z.zoneoutStates, 0.3);
    assert.deepEqual(z.beginState(2).map((s) => s.shape), [[2, 3], [2, 3]]);
    assert.throws(() => base.beginState(2), /LSTMCell\.beginState: this cell is wrapped by a modifier cell/);
    assert.throws(() => new rnn.ResidualCell(base), /ResidualCell: the LSTMCell is already wrapped by a modifier cell/);
    const stack = new rnn.HybridSequentialRNNCell().add(z, new rnn.DropoutCell(0.1), new rnn.LSTMPCell(4, 2));
    assert.deepEqual(stack.beginState({ batchSize: 5, dtype: 'float64' }).map((s) => [s.shape, s.dtype]), [[[5, 3], 'float64'], [[5, 3], 'float64'], [[5, 2], 'float64'], [[5, 4], 'float64']]);
  });
});

describe('gluon.rnn cells: bad input is an Error naming the cell', () => {
  const stack = () => {
    const s = new rnn.HybridSequentialRNNCell().add(new rnn.LSTMCell(4, { inputSize: 3 }), new rnn.LSTMCell(2, { inputSize: 4 }));
    s.initialize();
    return s;
  };
  it('the wrong number of states, to call and to unroll', () => {
    const s = stack();
    const st = s.beginState(2);
    assert.throws(() => s.call(nd.ones([2, 3]), st.slice(1)), /HybridSequentialRNNCell: expects 4 states \(stateInfo\(\) lists them\), got 3/);
    assert.throws(() => s.call(nd.ones([2, 3])), /HybridSequentialRNNCell: expects call\(x, states\) with a list of 4 states/);
    assert.throws(() => s.unroll(3, nd.ones([2, 3, 3]), { beginState: st.slice(2) }), /HybridSequentialRNNCell\.unroll: beginState must be a list of 4 states/);
    const seq = new rnn.SequentialRNNCell().add(new rnn.GRUCell(2, { inputSize: 3 }));
    seq.initialize();
    assert.throws(() => seq.call(nd.ones([2, 3]), []), /SequentialRNNCell: expects 1 state/);
    const z = new rnn.ZoneoutCell(new rnn.LSTMCell(2, { inputSize: 3 }), { zoneoutOutputs: 0.5 });
    z.initialize();
    assert.throws(() => z.call(nd.ones([2, 3]), [nd.zeros([2, 2])]), /ZoneoutCell: expects 2 states/);
  });

  it('a BidirectionalCell cannot be stepped, alone or in a stack (eager and hybridized)', () => {
    const bi = new rnn.BidirectionalCell(new rnn.GRUCell(2, { inputSize: 3 }), new rnn.GRUCell(2, { inputSize: 3 }));
    bi.initialize();
    assert.throws(() => bi.call(nd.ones([2, 3]), bi.beginState(2)), /BidirectionalCell cannot be stepped \(call\(x, states\)\); use unroll/);
    const s = new rnn.HybridSequentialRNNCell().add(new rnn.GRUCell(3, { inputSize: 3 }), bi);
    s.initialize();
    assert.throws(() => s.call(nd.ones([2, 3]), s.beginState(2)), /HybridSequentialRNNCell: cell 1 is a BidirectionalCell, which cannot be stepped; use unroll/);
    s.hybridize();
    assert.throws(() => s.call(nd.ones([2, 3]), s.beginState(2)), /cell 1 is a BidirectionalCell, which cannot be stepped/);
    assert.deepEqual((s.unroll(2, nd.ones([2, 2, 3]))[0] as nd.NDArray).shape, [2, 2, 4]);
    assert.throws(() => new rnn.ZoneoutCell(new rnn.BidirectionalCell(new rnn.GRUCell(2), new rnn.GRUCell(2))), /ZoneoutCell: a BidirectionalCell cannot be stepped/);
    const one = new rnn.GRUCell(2);
    assert.throws(() => new rnn.BidirectionalCell(one, one), /BidirectionalCell: lCell and rCell must be two cells/);
  });

  it('mismatched shapes name the cell', () => {
    const s = new rnn.HybridSequentialRNNCell().add(new rnn.LSTMCell(4, { inputSize: 3 }), new rnn.LSTMCell(2, { inputSize: 5 }));
    s.initialize();
    assert.throws(() => s.unroll(2, nd.ones([2, 2, 3])), /LSTMCell '1': the input has 4 features .* but the cell takes 5/);
    const r = new rnn.ResidualCell(new rnn.GRUCell(4, { inputSize: 3 }));
    r.initialize();
    assert.throws(() => r.call(nd.ones([2, 3]), r.beginState(2)), /ResidualCell: the wrapped GRUCell's output \[2, 4\] must have the input's shape \[2, 3\]/);
    assert.throws(() => r.unroll(2, nd.ones([2, 2, 3])), /ResidualCell: the wrapped GRUCell's output \[2, 4\] must have the input's shape \[2, 3\]/);
    const p = new rnn.LSTMPCell(4, 2, { inputSize: 3 });
    p.initialize();
    assert.throws(() => p.call(nd.ones([2, 3]), [nd.zeros([2, 4]), nd.zeros([2, 4])]), /LSTMPCell: state 0 \(r\) must have shape \[2, 2\] for input \[2, 3\], got \[2, 4\]/);
    assert.throws(() => s.unroll(3, nd.ones([2, 2, 3])), /HybridSequentialRNNCell\.unroll: expects input of rank 3 \(NTC\) with 3 steps, got shape \[2, 2, 3\]/);
  });

  it('what a container or modifier is given must be a cell; rates in [0, 1); an empty stack', () => {
    assert.throws(() => new rnn.HybridSequentialRNNCell().add(new gluon.nn.Dense(2) as never), /HybridSequentialRNNCell\.add: expects a recurrent cell .* got Dense/);
    assert.throws(() => new rnn.HybridSequentialRNNCell().add(new rnn.SequentialRNNCell() as never), /HybridSequentialRNNCell\.add: SequentialRNNCell is not a hybrid cell/);
    assert.throws(() => new rnn.ResidualCell(new gluon.nn.Dense(2) as never), /ResidualCell: expects a recurrent cell/);
    assert.throws(() => new rnn.DropoutCell(1), /DropoutCell: rate must be a number in \[0, 1\), got 1/);
    assert.throws(() => new rnn.ZoneoutCell(new rnn.GRUCell(2), { zoneoutStates: -0.1 }), /ZoneoutCell: zoneoutStates must be a number in \[0, 1\)/);
    assert.throws(() => new rnn.VariationalDropoutCell(new rnn.GRUCell(2), { dropOutput: 0.1 } as never), /VariationalDropoutCell.*dropOutput/);
    assert.throws(() => new rnn.LSTMPCell(...([4] as unknown as [number, number])), /LSTMPCell.*projectionSize/);
    assert.throws(() => new rnn.SequentialRNNCell().unroll(2, nd.ones([1, 2, 3])), /SequentialRNNCell\.unroll: holds no cells; add\(cell\) first/);
    assert.throws(() => new rnn.HybridSequentialRNNCell().call(nd.ones([1, 3]), []), /HybridSequentialRNNCell: holds no cells/);
  });
});

describe('gluon.rnn cells: training with a Trainer', () => {
  it('a hybridized model over a stack with zoneout, variational dropout and a projected LSTM trains: every parameter moves, the loss falls', function () {
    this.timeout(120000);
    class Model extends gluon.HybridBlock {
      readonly cells = new rnn.HybridSequentialRNNCell().add(
        new rnn.VariationalDropoutCell(new rnn.LSTMCell(8, { inputSize: 3 }), { dropInputs: 0.1, dropStates: 0.1, dropOutputs: 0.1 }),
        new rnn.ZoneoutCell(new rnn.GRUCell(8, { inputSize: 8 }), { zoneoutOutputs: 0.1, zoneoutStates: 0.1 }),
        new rnn.ResidualCell(new rnn.GRUCell(8, { inputSize: 8 })),
        new rnn.LSTMPCell(8, 2, { inputSize: 8 }),
      );
      override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
        return this.cells.unroll(6, x)[0] as gluon.Tensor;
      }
    }
    const net = new Model();
    net.initialize(new init.Xavier());
    net.hybridize();
    const x = nd.random.uniform(-1, 1, [16, 6, 3]);
    // A target the model can fit: a function of the inputs so far.
    const y = nd.tanh(nd.cumsum(nd.sliceAxis(x, { axis: 2, begin: 0, end: 2 }), { axis: 1 }));
    const l2 = new gluon.loss.L2Loss();
    const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.02 });
    const before = new Map([...net.collectParams().entries()].map(([k, p]) => [k, nums(p.data())]));
    const evalLoss = () => nd.mean(l2.call(net.call(x), y)).item() as number;
    const first = evalLoss();
    for (let i = 0; i < 40; i++) {
      autograd.record(() => nd.mean(l2.call(net.call(x), y)).backward());
      trainer.step(1);
    }
    const last = evalLoss();
    assert.ok(last < 0.7 * first, `the loss fell from ${first} to ${last}`);
    for (const [k, p] of net.collectParams().entries()) {
      const now = nums(p.data());
      assert.ok(now.every(Number.isFinite), `${k} finite`);
      assert.ok(now.some((v, i) => v !== before.get(k)![i]), `${k} moved`);
    }
  });
});
