import assert from 'node:assert/strict';
import { nd, gluon, init, autograd, random } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { eagerVsHybrid } from '../../../helpers/layers.js';
import { numpyRefs } from '../../../helpers/numpy.js';

const { nn } = gluon;

const flat = (x: nd.NDArray) => Array.from(x.data() as Float32Array);

describe('gluon.nn basic layers', () => {
  it("Dense refuses a flag that is not true or false (useBias: 'false' kept the bias, flatten: 0 was ignored)", () => {
    assert.throws(() => new nn.Dense(3, { useBias: 'false' as never }), /Dense: option 'useBias' must be true or false, got "false"/);
    assert.throws(() => new nn.Dense(3, { flatten: 0 as never }), /Dense: option 'flatten' must be true or false, got 0/);
    assert.equal(new nn.Dense(3, { useBias: false }).bias, null);
    // A misspelt or snake_case option was ignored: { use_bias: false } kept the bias, { stride: 2 } kept stride 1.
    assert.throws(() => new nn.Dense(3, { use_bias: false } as never), /Dense: unknown option 'use_bias' \(valid: units, activation, useBias, flatten, dtype, weightInitializer, biasInitializer, inUnits\)/);
    assert.throws(() => new nn.Embedding(3, 2, { sparse_grad: true } as never), /Embedding: unknown option 'sparse_grad'/);
    assert.throws(() => new nn.Dropout(0.5, { axis: [1] } as never), /Dropout: unknown option 'axis' \(valid: rate, axes\); did you mean 'axes'\?/);
    assert.throws(() => new nn.Conv2D(4, 3, { stride: 2, pad: 1 } as never), /Conv2D: unknown options 'stride', 'pad' \(valid: channels, kernelSize, strides, padding,.*\); did you mean 'strides' for 'stride'\?$/);
    assert.throws(() => new nn.Conv2D(4, 3, { outputPadding: 1 } as never), /Conv2D: unknown option 'outputPadding'/);
    assert.throws(() => new nn.MaxPool2D(2, { countIncludePad: false } as never), /MaxPool2D: unknown option 'countIncludePad' \(valid: poolSize, strides, padding, layout, ceilMode\)/);
    assert.throws(() => new nn.GlobalAvgPool2D({ keepdims: true } as never), /GlobalAvgPool2D: unknown option 'keepdims' \(valid: layout\)/);
    assert.throws(() => new nn.BatchNorm({ eps: 1e-3 } as never), /BatchNorm: unknown option 'eps'/);
    assert.throws(() => new nn.LayerNorm({ eps: 1e-3 } as never), /LayerNorm: unknown option 'eps'/);
    assert.throws(() => new nn.GroupNorm(2, { axis: 1 } as never), /GroupNorm: unknown option 'axis'/);
    assert.throws(() => new nn.InstanceNorm({ eps: 1 } as never), /InstanceNorm: unknown option 'eps'/);
    assert.throws(() => new nn.PReLU({ alpha_initializer: null } as never), /PReLU: unknown option 'alpha_initializer'/);
    assert.throws(() => new gluon.loss.SoftmaxCrossEntropyLoss({ sparse_label: false } as never), /SoftmaxCrossEntropyLoss: unknown option 'sparse_label' \(valid: weight, batchAxis, axis, sparseLabel, fromLogits\)/);
    assert.throws(() => new gluon.loss.L2Loss({ batch_axis: 1 } as never), /L2Loss: unknown option 'batch_axis' \(valid: weight, batchAxis\)/);
    assert.throws(() => new gluon.loss.HuberLoss({ delta: 2 } as never), /HuberLoss: unknown option 'delta'/);
    // MXNet's Dense(units, activation, ...): a misspelt activation by position is refused as by name.
    assert.throws(() => new nn.Dense(3, 'Relu'), /Dense: unknown activation "Relu"/);
    assert.throws(() => new nn.Dense(3, { activation: 'Relu' }), /Dense: unknown activation "Relu" \(valid: relu, sigmoid, tanh, softrelu, softsign\)/);
  });

  beforeEach(() => random.seed(7));

  it('Activation: every name matches its float64 formula, eager and hybridized, two batch sizes', () => {
    const f: Record<string, (v: number) => number> = {
      relu: (v) => Math.max(v, 0),
      sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      tanh: Math.tanh,
      softrelu: (v) => Math.log(1 + Math.exp(v)),
      softsign: (v) => v / (1 + Math.abs(v)),
    };
    const xs = [nd.random.normal(0, 2, [3, 4]), nd.random.normal(0, 2, [5, 4])];
    for (const name of Object.keys(f)) {
      const outs = eagerVsHybrid(new nn.Activation(name as 'relu'), xs, `Activation(${name})`);
      outs.forEach((y, i) => assertClose(flat(y), flat(xs[i]!).map(f[name]!), `Activation(${name}) vs float64`));
    }
    assert.equal(String(new nn.Activation('tanh')), 'Activation(tanh)');
  });

  it('Activation refuses an unknown name with the valid ones', () => {
    assert.throws(() => new nn.Activation('swish' as 'relu'), /Activation: unknown activation "swish" \(valid: relu, sigmoid, tanh, softrelu, softsign\)/);
  });

  it('Dropout is the identity outside training mode, eager and hybridized', () => {
    const xs = [nd.random.normal(0, 1, [4, 6]), nd.random.normal(0, 1, [2, 6])];
    const outs = eagerVsHybrid(new nn.Dropout(0.5), xs, 'Dropout');
    outs.forEach((y, i) => assert.deepEqual(flat(y), flat(xs[i]!)));
  });

  it('Dropout in training mode zeroes about `rate` of the elements and scales the rest by 1/(1-rate)', () => {
    const x = nd.random.uniform(1, 2, [50, 40]);
    const xv = flat(x);
    for (const hybrid of [false, true]) {
      const d = new nn.Dropout(0.3);
      if (hybrid) d.hybridize();
      const a = flat(autograd.trainMode(() => d.call(x)) as nd.NDArray);
      const b = flat(autograd.trainMode(() => d.call(x)) as nd.NDArray);
      for (const y of [a, b]) {
        let zeros = 0;
        y.forEach((v, i) => {
          if (v === 0) zeros++;
          else assert.ok(Math.abs(v - xv[i]! / 0.7) < 1e-5, `kept element ${i}: ${v} vs ${xv[i]! / 0.7}`);
        });
        const frac = zeros / y.length;
        assert.ok(Math.abs(frac - 0.3) < 0.05, `${hybrid ? 'hybridized' : 'eager'}: dropped fraction ${frac}`);
      }
      assert.notDeepEqual(a, b, `${hybrid ? 'hybridized' : 'eager'}: each call draws a new mask`);
    }
  });

  it('Dropout is repeatable after random.seed (eager)', () => {
    const x = nd.ones([8, 8]);
    const d = new nn.Dropout(0.5);
    random.seed(3);
    const a = flat(autograd.trainMode(() => d.call(x)) as nd.NDArray);
    random.seed(3);
    assert.deepEqual(flat(autograd.trainMode(() => d.call(x)) as nd.NDArray), a);
  });

  it('Dropout with axes shares one mask value along those axes', () => {
    const x = nd.ones([6, 5, 4]);
    for (const hybrid of [false, true]) {
      const d = new nn.Dropout(0.5, { axes: [1] });
      if (hybrid) d.hybridize();
      const y = autograd.trainMode(() => d.call(x)) as nd.NDArray;
      const v = y.toArray() as number[][][];
      for (let i = 0; i < 6; i++) for (let k = 0; k < 4; k++) {
        const col = v[i]!.map((row) => row[k]!);
        assert.ok(col.every((c) => c === col[0]) && (col[0] === 0 || col[0] === 2), `mask shared along axis 1 at [${i}, :, ${k}]: ${col}`);
      }
    }
  });

  it('Dropout refuses a bad rate, and an axis outside the input naming the block and shape', () => {
    assert.throws(() => new nn.Dropout(1), /Dropout: rate must be in \[0, 1\), got 1/);
    const d = new nn.Dropout(0.5, { axes: [3] });
    assert.throws(() => d.call(nd.ones([2, 3])), /Dropout \(block 'Dropout'\): axis 3 of 'axes' is out of range for an input of shape \[2, 3\]/);
  });

  it('Flatten collapses all axes but the first, eager and hybridized', () => {
    const xs = [nd.random.normal(0, 1, [2, 3, 4]), nd.random.normal(0, 1, [5, 3, 4])];
    const outs = eagerVsHybrid(new nn.Flatten(), xs, 'Flatten');
    assert.deepEqual(outs[0]!.shape, [2, 12]);
    assert.deepEqual(outs[1]!.shape, [5, 12]);
    assert.deepEqual(flat(outs[1]!), flat(xs[1]!));
    assert.deepEqual(new nn.Flatten().call(nd.ones([3])).shape, [3, 1]);
    assert.throws(() => new nn.Flatten().call(nd.array(1)), /Flatten \(block 'Flatten'\): needs an input with at least one axis, got shape \[\]/);
  });

  it('Embedding picks rows of its weight (numpy reference), eager and hybridized, any index rank', () => {
    const emb = new nn.Embedding(10, 4);
    emb.initialize(new init.Normal(1));
    assert.deepEqual(emb.weight.shape, [10, 4]);
    assert.deepEqual(emb.collectParams().keys(), ['weight']);
    const i1 = nd.array([[1, 2, 9], [0, 3, 3]]);
    const i2 = nd.array([[[4], [5]], [[6], [7]], [[8], [0]]]);
    const outs = eagerVsHybrid(emb, [i1, i2], 'Embedding', 0, 0);
    assert.deepEqual(outs[0]!.shape, [2, 3, 4]);
    assert.deepEqual(outs[1]!.shape, [3, 2, 1, 4]);
    const w = emb.weight.data();
    const refs = numpyRefs([i1, i2].map((i) => ({
      code: 'a[b.astype(np.int64)]',
      inputs: [{ shape: w.shape, dtype: 'float64', data: flat(w) }, { shape: i.shape, dtype: 'float64', data: flat(i) }],
    })));
    outs.forEach((y, k) => assertClose(flat(y), refs[k]!.outs[0]!.data, `Embedding vs numpy ${k}`, 0, 0));
    // int32 indices give the same rows.
    assert.deepEqual(flat(emb.call(nd.array([[1, 2, 9], [0, 3, 3]], { dtype: 'int32' })) as nd.NDArray), flat(outs[0]!));
  });

  it('Embedding takes dtype and weightInitializer, and refuses bad sizes', () => {
    const emb = new nn.Embedding(3, 2, { dtype: 'float64', weightInitializer: new init.Constant([[1, 2], [3, 4], [5, 6]]) });
    emb.initialize();
    const y = emb.call(nd.array([2, 0])) as nd.NDArray;
    assert.equal(y.dtype, 'float64');
    assert.deepEqual(y.toArray(), [[5, 6], [1, 2]]);
    assert.throws(() => new nn.Embedding(0, 2), /Embedding: inputDim must be a positive integer, got 0/);
    assert.throws(() => new nn.Embedding(3, 1.5), /Embedding: outputDim must be a positive integer, got 1.5/);
  });

  it('Lambda wraps a function or an nd function name', () => {
    const x = nd.array([-1, 0.5, 2]);
    assertClose(flat(new nn.Lambda('tanh').call(x)), [-1, 0.5, 2].map(Math.tanh), 'Lambda(tanh)');
    assert.deepEqual(flat(new nn.Lambda((a: nd.NDArray) => a.mul(2)).call(x)), [-2, 1, 4]);
    const two = new nn.Lambda((a: nd.NDArray, b: nd.NDArray) => a.add(b));
    assert.deepEqual(flat(two.call(x, x)), [-2, 1, 4]);
    const net = new nn.Sequential();
    net.add(new nn.Dense(3, { inUnits: 3 }), new nn.Lambda('relu'));
    net.initialize();
    assert.ok(flat(net.call(nd.random.normal(0, 1, [4, 3]))).every((v) => v >= 0));
    assert.throws(() => new nn.Lambda('noSuchOp'), /Lambda: "noSuchOp" is not a function of nd/);
  });

  it('HybridLambda wraps (F, x) => ... or an F name, and compiles inside a hybridized parent', () => {
    const xs = [nd.random.normal(0, 1, [3, 4]), nd.random.normal(0, 1, [6, 4])];
    const outs = eagerVsHybrid(new nn.HybridLambda('relu'), xs, 'HybridLambda(relu)');
    outs.forEach((y, i) => assert.deepEqual(flat(y), flat(xs[i]!).map((v) => Math.max(v, 0))));
    const lam = new nn.HybridLambda((F: gluon.F, x: gluon.Tensor) => F.LeakyReLU(x, { slope: 0.1 }));
    const outs2 = eagerVsHybrid(lam, xs, 'HybridLambda(fn)');
    outs2.forEach((y, i) => assertClose(flat(y), flat(xs[i]!).map((v) => (v > 0 ? v : 0.1 * v)), 'HybridLambda(fn) vs float64'));
    const net = new nn.HybridSequential();
    net.add(new nn.Dense(4, { inUnits: 4 }), new nn.HybridLambda((F: gluon.F, x: gluon.Tensor) => F.mul(x, 3)));
    net.initialize();
    eagerVsHybrid(net, xs, 'HybridSequential with HybridLambda');
    const pair = new nn.HybridLambda((F: gluon.F, a: gluon.Tensor, b: gluon.Tensor) => F.add(a, b));
    assert.deepEqual(flat(pair.call(xs[0]!, xs[0]!)), flat(xs[0]!).map((v) => 2 * v));
    assert.throws(() => new nn.HybridLambda('noSuchOp'), /HybridLambda: "noSuchOp" is not a function of F/);
  });
});
