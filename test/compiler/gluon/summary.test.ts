import assert from 'node:assert/strict';
import { nd, gluon, init, random } from 'gluonc';
import build from '../../../models/mlp.js';
import buildScaled from '../../../models/seed/scaled-layer.js';

/** Runs `fn` with console.log captured. */
function captured<R>(fn: () => R): { result: R; printed: string } {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    return { result: fn(), printed: lines.join('\n') };
  } finally {
    console.log = orig;
  }
}

describe('Block.summary', () => {
  beforeEach(() => random.seed(5));

  it('prints and returns Gluon’s table for the 784-256-128-10 MLP (235,146 parameters)', () => {
    const net = build();
    net.initialize();
    const { result: s, printed } = captured(() => net.summary(nd.ones([1, 784])));
    assert.equal(printed, s.text);
    assert.deepEqual(
      s.rows.map((r) => [r.layer, r.outputShape, r.params]),
      [
        ['Input', '(1, 784)', 0],
        ['Dense-1', '(1, 256)', 784 * 256 + 256],
        ['Dense-2', '(1, 128)', 256 * 128 + 128],
        ['Dense-3', '(1, 10)', 128 * 10 + 10],
      ],
    );
    assert.equal(s.totalParams, 235146);
    assert.equal(s.trainableParams, 235146);
    assert.equal(s.nonTrainableParams, 0);
    assert.equal(s.sharedParams, 0);
    assert.equal(s.uniqueParams, 235146);
    const lines = printed.split('\n');
    assert.match(lines[1]!, /^\s+Layer \(type\)\s+Output Shape\s+Param #$/);
    assert.match(printed, /^\s+Dense-1\s+\(1, 256\)\s+200960$/m);
    assert.match(printed, /^ {3}Total params: 235146$/m);
    assert.match(printed, /^ {3}Trainable params: 235146$/m);
    assert.match(printed, /^ {3}Non-trainable params: 0$/m);
  });

  it('counts non-differentiable parameters as non-trainable and infers deferred shapes first', () => {
    const net = buildScaled();
    const { result: s } = captured(() => net.summary(nd.random.uniform(-10, 10, [5, 2])));
    assert.deepEqual(
      s.rows.map((r) => [r.layer, r.outputShape, r.params, r.trainable]),
      [
        ['Input', '(5, 2)', 0, 0],
        ['Dense-1', '(5, 5)', 15, 15],
        ['ScaledLayer-2', '(5, 5)', 26, 25],
        ['Dense-3', '(5, 1)', 6, 6],
      ],
    );
    assert.equal(s.totalParams, 47);
    assert.equal(s.trainableParams, 46);
    assert.equal(s.nonTrainableParams, 1);
  });

  it('reports shared parameters; runs a hybridized net eagerly and leaves its cache and hooks as they were', () => {
    const net = new gluon.nn.HybridSequential();
    const a = new gluon.nn.Dense(4, { inUnits: 4 });
    const b = new gluon.nn.Dense(4, { inUnits: 4 });
    b.shareParameters(a.collectParams());
    net.add(a, b);
    net.initialize(new init.Xavier());
    net.hybridize();
    const x = nd.ones([2, 4]);
    net.call(x);
    assert.equal(net.cacheSize, 1);
    const { result: s } = captured(() => net.summary(x));
    assert.deepEqual(s.rows.map((r) => [r.layer, r.params, r.shared]), [['Input', 0, 0], ['Dense-1', 20, 0], ['Dense-2', 20, 20]]);
    assert.equal(s.totalParams, 40);
    assert.equal(s.sharedParams, 20);
    assert.equal(s.uniqueParams, 20);
    assert.equal(net.hybridized, true);
    assert.equal(net.cacheSize, 1);
    // The hooks were detached: another call prints nothing.
    const { printed } = captured(() => net.call(x));
    assert.equal(printed, '');
    assert.throws(() => net.summary(), /summary: needs example inputs/);
  });

  it('a block used twice (added twice) gives one row per call, its second call counted as shared', () => {
    const net = new gluon.nn.HybridSequential();
    const a = new gluon.nn.Dense(4, { inUnits: 4 });
    net.add(new gluon.nn.Dense(4, { inUnits: 3 }), a, a);
    net.initialize();
    // Counted by hand: 4·3 + 4 = 16, then 4·4 + 4 = 20 per call of `a`.
    const { result: s } = captured(() => net.summary(nd.ones([2, 3])));
    assert.deepEqual(s.rows.map((r) => [r.layer, r.params, r.shared]), [['Input', 0, 0], ['Dense-1', 16, 0], ['Dense-2', 20, 0], ['Dense-3', 20, 20]]);
    assert.deepEqual([s.totalParams, s.sharedParams, s.uniqueParams], [56, 20, 36]);
  });

  it('a trailing undefined input is omitted (as in call)', () => {
    const att = new gluon.nn.MultiHeadAttention(4, 2);
    att.initialize();
    const q = nd.ones([1, 3, 4]);
    const { result: s } = captured(() => att.summary(q, q, q, undefined));
    assert.equal(s.rows[0]!.outputShape, '(1, 3, 4), (1, 3, 4), (1, 3, 4)');
    // 4 weights [4, 4] and 4 biases [4].
    assert.equal(s.totalParams, 4 * 16 + 4 * 4);
  });

  it('works on plain Blocks and lists several outputs as MXNet prints them (outer brackets dropped, nested lists kept)', () => {
    class Split extends gluon.Block {
      override forward(x: nd.NDArray) {
        return [x, x.sum({ axis: 1 })];
      }
    }
    const { result: s } = captured(() => new Split().summary(nd.ones([3, 2])));
    // MXNet's _get_shape_str: str(list_of_shapes)[1:-1].
    assert.deepEqual(s.rows.map((r) => r.outputShape), ['(3, 2)', '(3, 2), (3,)']);
    const lstm = new gluon.rnn.LSTM(4);
    lstm.initialize();
    const { result: r } = captured(() => lstm.summary(nd.ones([2, 1, 3]), lstm.beginState(1)));
    assert.deepEqual(r.rows.map((x) => x.outputShape), ['(2, 1, 3), [(1, 1, 4), (1, 1, 4)]', '(2, 1, 4), [(1, 1, 4), (1, 1, 4)]']);
  });

  it('has no rows for Sequential and HybridSequential containers (MXNet hooks every other block), nested or subclassed', () => {
    class Head extends gluon.nn.HybridSequential {}
    const inner = new gluon.nn.HybridSequential();
    inner.add(new gluon.nn.Dense(4, { inUnits: 3 }), new gluon.nn.Activation('relu'));
    const head = new Head();
    head.add(new gluon.nn.Dense(2, { inUnits: 4 }));
    const net = new gluon.nn.HybridSequential();
    net.add(inner, head);
    net.initialize();
    const { result: s } = captured(() => net.summary(nd.ones([1, 3])));
    assert.deepEqual(s.rows.map((r) => r.layer), ['Input', 'Dense-1', 'Activation-2', 'Dense-3']);
    assert.equal(s.totalParams, 4 * 3 + 4 + 2 * 4 + 2);
    const plain = new gluon.nn.Sequential();
    plain.add(new gluon.nn.Dense(2, { inUnits: 3 }));
    plain.initialize();
    assert.deepEqual(captured(() => plain.summary(nd.ones([1, 3]))).result.rows.map((r) => r.layer), ['Input', 'Dense-1']);
    // Any other container keeps its row (its own parameters, none here).
    class Pair extends gluon.HybridBlock {
      a = new gluon.nn.Dense(2, { inUnits: 3 });
      override forward(x: nd.NDArray) {
        return this.a.call(x);
      }
    }
    const p = new Pair();
    p.initialize();
    assert.deepEqual(captured(() => p.summary(nd.ones([1, 3]))).result.rows.map((r) => [r.layer, r.params]), [['Input', 0], ['Dense-1', 8], ['Pair-2', 0]]);
  });
});
