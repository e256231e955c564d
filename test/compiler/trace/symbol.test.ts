import assert from 'node:assert/strict';
import { nd, sym, profiler } from 'gluonc';
import { DataDependentError, graphOf } from '../../../compiler/trace/symbol.js';
import { plainShape } from 'gluonc/compiler';

describe('sym', () => {
  it('every symbol carries its inferred type, with symbolic dimensions', () => {
    const x = sym.var('x', { shape: ['N', 3] });
    const y = sym.add(x, sym.var('b', { shape: [3] }));
    assert.deepEqual(plainShape(y.shape), ['N', 3]);
    assert.equal(y.dtype, 'float32');
    assert.deepEqual(y.listArguments(), ['x', 'b']);
  });

  it('eval compiles and runs', () => {
    const x = sym.var('x', { shape: ['N', 2] });
    const y = sym.relu(x.sub(1));
    const out = y.eval({ x: nd.array([[0, 2], [3, -4]]) }) as nd.NDArray;
    assert.deepEqual(out.toArray(), [[0, 1], [2, 0]]);
  });

  it('inferShape binds shapes to variables declared without one', () => {
    const x = sym.var('x');
    const y = sym.exp(x).add(sym.var('c', { shape: [2] }));
    assert.throws(() => y.shape, /unknown until/);
    assert.deepEqual(y.inferShape({ x: [5, 2] }), { args: { x: [5, 2], c: [2] }, outs: [[5, 2]] });
    assert.throws(() => y.inferShape({ x: [5, 3] }), /add: shapes \[5, 3\] and \[2\] do not broadcast/);
  });

  it("inferShape solves the shapes of unbound parameters from the operators that read them, as MXNet's infer_shape(data=...) does; one no operator tells is an Error naming it", () => {
    const data = sym.var('data');
    const fc = sym.FullyConnected(sym.relu(sym.Convolution(data, { kernel: [3, 3], numFilter: 4, name: 'conv0' })), { numHidden: 2, name: 'fc' });
    // MXNet 1.x: fc.infer_shape(data=(2, 3, 8, 8)) gives conv0_weight (4, 3, 3, 3), conv0_bias (4,), fc_weight (2, 144), fc_bias (2,)
    assert.deepEqual(fc.inferShape({ data: [2, 3, 8, 8] }), {
      args: { data: [2, 3, 8, 8], conv0_weight: [4, 3, 3, 3], conv0_bias: [4], fc_weight: [2, 144], fc_bias: [2] },
      outs: [[2, 2]],
    });
    assert.throws(() => sym.mul(sym.exp(sym.var('w')), data).inferShape({ data: [2] }), /variable 'w' has no shape: bind one/);
  });

  it("inferShape through BatchNorm and the training heads made from unshaped variables (MXNet's infer_shape gives the moving statistics' and the label's shapes)", () => {
    const bn = sym.BatchNorm(sym.FullyConnected(sym.var('data'), { numHidden: 8, name: 'fc' }), { name: 'bn' });
    const head = sym.SoftmaxOutput(bn, { name: 'softmax' });
    // MXNet 1.x: infer_shape(data=(2, 4)): bn_* (8,), softmax_label (2,); a node made before its shapes were known is normalized for its type rule.
    assert.deepEqual(head.inferShape({ data: [2, 4] }).args, {
      data: [2, 4], fc_weight: [8, 4], fc_bias: [8], bn_gamma: [8], bn_beta: [8], bn_moving_mean: [8], bn_moving_var: [8], softmax_label: [2],
    });
  });

  it('reading values while tracing throws an error about data-dependent control flow', () => {
    const x = sym.var('x', { shape: [2] });
    assert.throws(() => x.toArray(), DataDependentError);
    assert.throws(() => x.item(), /data-dependent control flow/i);
    assert.throws(() => (x as unknown as number) > 0, /data-dependent control flow/i);
  });

  it('folds operators whose inputs are all constant while tracing', () => {
    const x = sym.var('x', { shape: [3] });
    // NDArrays inside a trace are constants.
    const add = sym.add as (...a: unknown[]) => sym.Symbol;
    const c = add(nd.array([1, 2, 3]), nd.array([1, 1, 1]));
    assert.ok(c.value.isConst);
    const y = sym.mul(x, c);
    assert.deepEqual(graphOf(y).nodes.map((n) => n.op), ['mul']);
    assert.deepEqual((y.eval({ x: nd.array([1, 1, 1]) }) as nd.NDArray).toArray(), [2, 3, 4]);
  });

  it('does not fold while tracing what would grow into a large constant (F.ones([1000, 1000]) stays a node: a 4 MB initializer before)', () => {
    const x = sym.var('x', { shape: [1000, 1000] });
    const big = sym.ones([1000, 1000]);
    assert.equal(big.value.isConst, false);
    const mask = sym.tril(sym.broadcastTo(sym.ones([1, 1]), { shape: [1000, 1000] }));
    assert.equal(mask.value.isConst, false);
    assert.equal(sym.ones([4, 4]).value.isConst, true, 'small results still fold');
    // A constant of many elements reduced to a few folds (the result is smaller than its input).
    const sum = sym.sum as (...a: unknown[]) => sym.Symbol;
    assert.equal(sum(nd.ones([100, 100])).value.isConst, true);
    // Reference: 1 + tril(ones) is 2 on and below the diagonal, 1 above (numpy.tril's definition).
    const out = (sym.add(x, mask).eval({ x: nd.ones([1000, 1000]) }) as nd.NDArray).data() as Float32Array;
    for (const [i, j] of [[0, 0], [0, 1], [999, 998], [998, 999], [500, 500]] as const) assert.equal(out[i * 1000 + j], j <= i ? 2 : 1, `[${i}, ${j}]`);
  });

  it('eval reports unbound and unknown variables by name', () => {
    const y = sym.relu(sym.var('x', { shape: [2] }));
    assert.throws(() => y.eval({}), /variable 'x' is not bound/);
    assert.throws(() => y.eval({ x: nd.zeros([2]), z: nd.zeros([2]) }), /no variable named 'z'/);
  });

  it('shape errors at trace time name the operator and shapes', () => {
    const x = sym.var('x', { shape: ['N', 3] });
    assert.throws(() => sym.add(x, sym.var('y', { shape: [4] })), /add: shapes \[N, 3\] and \[4\] do not broadcast/);
    assert.throws(() => sym.var('x', { shape: [2, -1] }), /invalid dimension -1/);
  });

  it('eager and compiled results agree on a chain', () => {
    const a = nd.random.uniform(-1, 1, [4, 3]);
    const eager = nd.tanh(nd.sigmoid(a).mul(a).add(1));
    const x = sym.var('x', { shape: ['N', 3] });
    profiler.reset();
    const compiled = sym.tanh(sym.sigmoid(x).mul(x).add(1)).eval({ x: a }) as nd.NDArray;
    assert.equal(profiler.counters().sessionRuns, 1);
    const e = eager.data() as Float32Array;
    const c = compiled.data() as Float32Array;
    e.forEach((v, i) => assert.ok(Math.abs(v - c[i]!) < 1e-6));
  });
});

describe('sym eval cache', () => {
  it('compiles once per input signature and reuses the session', () => {
    const y = sym.relu(sym.var('x', { shape: ['N', 2] }));
    profiler.reset();
    y.eval({ x: nd.zeros([3, 2]) });
    y.eval({ x: nd.ones([3, 2]) });
    y.eval({ x: nd.ones([4, 2]) });
    const c = profiler.counters();
    assert.equal(c.compiles, 2);
    assert.equal(c.sessionsCreated, 2);
    assert.equal(c.cacheHits, 1);
    assert.equal(c.sessionRuns, 3);
  });
});
