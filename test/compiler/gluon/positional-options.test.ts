/**
 * The classes configured by one options object also take MXNet 1.x's
 * positional parameters, in MXNet's order (compiler/gluon/bind-args.ts,
 * `bindOptions`): each form builds the same object, a parameter given both
 * ways is an Error.
 */
import assert from 'node:assert/strict';
import { nd, gluon, init, random, optimizer, lrScheduler } from 'gluonc';
import { sameLayer } from '../../helpers/kwargs.js';

const { nn, rnn, loss, metric, data } = gluon;

/** Seeded normal inputs of the given shapes. */
const normal = (...shapes: number[][]) => () => {
  random.seed(3);
  return shapes.map((s) => nd.random.normal(0, 1, s));
};
const fixed = (...xs: number[][][]) => () => xs.map((x) => nd.array(x));

describe("options-only classes: MXNet's positional parameters (bindOptions)", () => {
  const LAYERS: [string, (() => gluon.Block)[], () => gluon.Block, () => nd.NDArray[], boolean?][] = [
    ['BatchNorm(axis=1, momentum=0.8, epsilon=0.5, center=False)', [
      () => new nn.BatchNorm(1, 0.8, 0.5, false),
      () => new nn.BatchNorm(1, 0.8, { epsilon: 0.5, center: false }),
      () => new nn.BatchNorm({ axis: 1, momentum: 0.8, epsilon: 0.5, center: false }),
    ], () => new nn.BatchNorm(), normal([2, 3, 4]), true],
    ['BatchNorm(..., in_channels=3) all eleven by position', [
      () => new nn.BatchNorm(1, 0.9, 1e-5, true, true, false, new init.Constant(0.5), new init.Constant(2), new init.Zero(), new init.One(), 3),
      () => new nn.BatchNorm({ gammaInitializer: new init.Constant(2), betaInitializer: new init.Constant(0.5), inChannels: 3 }),
    ], () => new nn.BatchNorm({ inChannels: 3 }), normal([2, 3, 4])],
    ['LayerNorm(axis=-1, epsilon=0.5)', [() => new nn.LayerNorm(-1, 0.5), () => new nn.LayerNorm({ axis: -1, epsilon: 0.5 })], () => new nn.LayerNorm(), normal([2, 5])],
    ['InstanceNorm(axis=1, epsilon=0.5, center=True, scale=True)', [
      () => new nn.InstanceNorm(1, 0.5, true, true),
      () => new nn.InstanceNorm({ axis: 1, epsilon: 0.5, center: true, scale: true }),
    ], () => new nn.InstanceNorm(), normal([2, 3, 4])],
    ['GroupNorm(num_groups=2, epsilon=0.5)', [
      () => new nn.GroupNorm(2, 0.5),
      () => new nn.GroupNorm(2, { epsilon: 0.5 }),
      () => new nn.GroupNorm({ numGroups: 2, epsilon: 0.5 }),
    ], () => new nn.GroupNorm(2), normal([2, 4, 3])],
    ['PReLU(alpha_initializer=Constant(0.1))', [() => new nn.PReLU(new init.Constant(0.1)), () => new nn.PReLU({ alphaInitializer: new init.Constant(0.1) })], () => new nn.PReLU(), normal([3, 4])],
    ['L1Loss(weight=2)', [() => new loss.L1Loss(2), () => new loss.L1Loss({ weight: 2 })], () => new loss.L1Loss(), normal([2, 3], [2, 3])],
    ['L2Loss(weight=2, batch_axis=1)', [() => new loss.L2Loss(2, 1), () => new loss.L2Loss({ weight: 2, batchAxis: 1 })], () => new loss.L2Loss(), normal([2, 3], [2, 3])],
    ['SoftmaxCrossEntropyLoss(axis=1, sparse_label=True, from_logits=True, weight=3)', [
      () => new loss.SoftmaxCrossEntropyLoss(1, true, true, 3),
      () => new loss.SoftmaxCrossEntropyLoss({ axis: 1, sparseLabel: true, fromLogits: true, weight: 3 }),
      () => new loss.SoftmaxCELoss(1, true, { fromLogits: true, weight: 3 }),
    ], () => new loss.SoftmaxCrossEntropyLoss(), fixed([[0.1, -2, 0.3], [1, 0.5, -1]], [[2], [0]])],
    ['SigmoidBinaryCrossEntropyLoss(from_sigmoid=True, weight=2)', [
      () => new loss.SigmoidBinaryCrossEntropyLoss(true, 2),
      () => new loss.SigmoidBCELoss({ fromSigmoid: true, weight: 2 }),
    ], () => new loss.SigmoidBinaryCrossEntropyLoss(), fixed([[0.2, 0.7]], [[0, 1]])],
    ['KLDivLoss(from_logits=False, axis=-1, weight=2)', [() => new loss.KLDivLoss(false, -1, 2), () => new loss.KLDivLoss({ fromLogits: false, axis: -1, weight: 2 })], () => new loss.KLDivLoss(), fixed([[0.2, 0.8]], [[0.5, 0.5]])],
    ['HuberLoss(rho=0.5, weight=2)', [() => new loss.HuberLoss(0.5, 2), () => new loss.HuberLoss({ rho: 0.5, weight: 2 })], () => new loss.HuberLoss(), normal([2, 3], [2, 3])],
    ['HingeLoss(margin=2, weight=3)', [() => new loss.HingeLoss(2, 3), () => new loss.HingeLoss({ margin: 2, weight: 3 })], () => new loss.HingeLoss(), normal([2, 3], [2, 3])],
    ['SquaredHingeLoss(margin=2)', [() => new loss.SquaredHingeLoss(2), () => new loss.SquaredHingeLoss({ margin: 2 })], () => new loss.SquaredHingeLoss(), normal([2, 3], [2, 3])],
    ["LogisticLoss(weight=None, batch_axis=0, label_format='binary')", [
      () => new loss.LogisticLoss(null, 0, 'binary'),
      () => new loss.LogisticLoss({ weight: null, batchAxis: 0, labelFormat: 'binary' }),
    ], () => new loss.LogisticLoss(), fixed([[0.3, -1.2]], [[0, 1]])],
    ['TripletLoss(margin=2)', [() => new loss.TripletLoss(2), () => new loss.TripletLoss({ margin: 2 })], () => new loss.TripletLoss(), normal([2, 3], [2, 3], [2, 3])],
    ['CosineEmbeddingLoss(weight=None, batch_axis=0, margin=0.5)', [
      () => new loss.CosineEmbeddingLoss(null, 0, 0.5),
      () => new loss.CosineEmbeddingLoss({ margin: 0.5 }),
    ], () => new loss.CosineEmbeddingLoss(), fixed([[1, 0.2], [0.3, 1]], [[0.9, 0.4], [1, 0]], [[-1], [-1]])],
    ['PoissonNLLLoss(weight=2, from_logits=False, batch_axis=0, compute_full=True)', [
      () => new loss.PoissonNLLLoss(2, false, 0, true),
      () => new loss.PoissonNLLLoss({ weight: 2, fromLogits: false, computeFull: true }),
    ], () => new loss.PoissonNLLLoss(), fixed([[0.5, 1.5]], [[3, 2]])],
  ];
  // The classes that took their leading parameters already take the rest of MXNet's too.
  LAYERS.push(
    ["Dense(units=3, activation='relu', use_bias=False)", [
      () => new nn.Dense(3, 'relu', false),
      () => new nn.Dense(3, 'relu', { useBias: false }),
      () => new nn.Dense({ units: 3, activation: 'relu', useBias: false }),
    ], () => new nn.Dense(3, 'relu'), normal([2, 5])],
    ['Conv2D(channels=4, kernel_size=3, strides=2, padding=1, dilation=1, groups=2)', [
      () => new nn.Conv2D(4, 3, 2, 1, 1, 2),
      () => new nn.Conv2D(4, 3, { strides: 2, padding: 1, groups: 2 }),
    ], () => new nn.Conv2D(4, 3, 2, 1), normal([1, 2, 7, 7])],
    ['Conv2DTranspose(channels=2, kernel_size=3, strides=2, padding=0, output_padding=1)', [
      () => new nn.Conv2DTranspose(2, 3, 2, 0, 1),
      () => new nn.Conv2DTranspose(2, 3, { strides: 2, outputPadding: 1 }),
    ], () => new nn.Conv2DTranspose(2, 3, 2), normal([1, 3, 4, 4])],
    ["MaxPool2D(pool_size=3, strides=2, padding=1, layout='NCHW', ceil_mode=True)", [
      () => new nn.MaxPool2D(3, 2, 1, 'NCHW', true),
      () => new nn.MaxPool2D({ poolSize: 3, strides: 2, padding: 1, ceilMode: true }),
    ], () => new nn.MaxPool2D(3, 2, 1), normal([1, 1, 6, 6])],
    ['MaxPool3D(pool_size=2, strides=1, padding=0, ceil_mode=True): ceil_mode before layout', [
      () => new nn.MaxPool3D(2, 2, 0, true),
      () => new nn.MaxPool3D({ poolSize: 2, strides: 2, ceilMode: true }),
    ], () => new nn.MaxPool3D(2, 2), normal([1, 1, 3, 3, 3])],
    ["AvgPool2D(pool_size=3, strides=2, padding=1, ceil_mode=False, layout='NCHW', count_include_pad=False)", [
      () => new nn.AvgPool2D(3, 2, 1, false, 'NCHW', false),
      () => new nn.AvgPool2D(3, { strides: 2, padding: 1, countIncludePad: false }),
    ], () => new nn.AvgPool2D(3, 2, 1), normal([1, 1, 6, 6])],
    ["AvgPool1D(pool_size=3, strides=2, padding=1, layout='NCW', ceil_mode=True, count_include_pad=False)", [
      () => new nn.AvgPool1D(3, 2, 1, 'NCW', true, false),
      () => new nn.AvgPool1D({ poolSize: 3, strides: 2, padding: 1, ceilMode: true, countIncludePad: false }),
    ], () => new nn.AvgPool1D(3, 2, 1), normal([1, 1, 8])],
    ['Dropout(rate=0.5, axes=[1])', [() => new nn.Dropout(0.5, [1]), () => new nn.Dropout(0.5, { axes: [1] })], () => new nn.Dropout(0.5), normal([4, 8]), true],
    ["Embedding(input_dim=5, output_dim=3, dtype='float64')", [() => new nn.Embedding(5, 3, 'float64'), () => new nn.Embedding(5, 3, { dtype: 'float64' })], () => new nn.Embedding(5, 3), fixed([[0, 4], [2, 1]])],
    ["rnn.RNN(hidden_size=4, num_layers=1, activation='tanh', layout='NTC')", [
      () => new rnn.RNN(4, 1, 'tanh', 'NTC'),
      () => new rnn.RNN(4, { activation: 'tanh', layout: 'NTC' }),
    ], () => new rnn.RNN(4, 1, 'relu', 'NTC'), normal([2, 3, 5])],
    ["rnn.LSTM(hidden_size=4, num_layers=1, layout='NTC', dropout=0, bidirectional=True)", [
      () => new rnn.LSTM(4, 1, 'NTC', 0, true),
      () => new rnn.LSTM(4, { layout: 'NTC', bidirectional: true }),
    ], () => new rnn.LSTM(4, 1, 'NTC'), normal([2, 3, 5])],
    ["rnn.GRU(hidden_size=4, num_layers=2, layout='NTC', dropout=0, bidirectional=False, input_size=5)", [
      () => new rnn.GRU(4, 2, 'NTC', 0, false, 5),
      () => new rnn.GRU({ hiddenSize: 4, numLayers: 2, layout: 'NTC', inputSize: 5 }),
    ], () => new rnn.GRU(4, 1, 'NTC'), normal([2, 3, 5])],
    ["rnn.RNNCell(hidden_size=4, activation='relu')", [() => new rnn.RNNCell(4, 'relu'), () => new rnn.RNNCell(4, { activation: 'relu' })], () => new rnn.RNNCell(4), normal([2, 5], [2, 4])],
    ['rnn.LSTMCell(hidden_size=4, i2h_weight_initializer=Constant(0.1))', [
      () => new rnn.LSTMCell(4, new init.Constant(0.1)),
      () => new rnn.LSTMCell(4, { i2hWeightInitializer: new init.Constant(0.1) }),
    ], () => new rnn.LSTMCell(4), () => [nd.ones([2, 5]), [nd.ones([2, 4]), nd.ones([2, 4])]] as never],
  );
  for (const [what, forms, other, input, train] of LAYERS) {
    it(`${what}: every form builds the same block`, () => sameLayer(forms, other, input, train));
  }

  it('Global*Pool*D(layout): the layout by position reaches the layer as by name', () => {
    // Only the channels-first layouts are supported: the refusal shows the positional value was read as the layout.
    assert.throws(() => new nn.GlobalAvgPool2D('NHWC'), /^Error: GlobalAvgPool2D: layout 'NHWC' is not supported \(only NCHW\)/);
    assert.throws(() => new nn.GlobalMaxPool1D('NWC'), /^Error: GlobalMaxPool1D: layout 'NWC' is not supported/);
    sameLayer([() => new nn.GlobalAvgPool3D('NCDHW'), () => new nn.GlobalAvgPool3D({ layout: 'NCDHW' }), () => new nn.GlobalAvgPool3D()], null, normal([1, 2, 3, 2, 2]));
  });

  /** Asserts every form equals the first (own fields and class) and the control does not. */
  const sameObject = (forms: (() => object)[], other: () => object) => {
    const ref = forms[0]!();
    for (const [i, f] of forms.entries()) assert.deepStrictEqual(f(), ref, `form ${i}: ${String(f)}`);
    assert.notDeepStrictEqual(other(), ref, 'the control equals the forms: the test could not fail');
  };
  const OBJECTS: [string, (() => object)[], () => object][] = [
    ["metric.Accuracy(axis=0, name='acc')", [() => new metric.Accuracy(0, 'acc'), () => new metric.Accuracy(0, { name: 'acc' }), () => new metric.Accuracy({ axis: 0, name: 'acc' })], () => new metric.Accuracy()],
    ["metric.TopKAccuracy(top_k=3, name='top')", [() => new metric.TopKAccuracy(3, 'top'), () => new metric.TopKAccuracy({ topK: 3, name: 'top' })], () => new metric.TopKAccuracy({ topK: 3 })],
    ["metric.F1(name='f')", [() => new metric.F1('f'), () => new metric.F1({ name: 'f' })], () => new metric.F1()],
    ["metric.MAE(name='m')", [() => new metric.MAE('m'), () => new metric.MAE({ name: 'm' })], () => new metric.MAE()],
    ["metric.MSE(name='m')", [() => new metric.MSE('m'), () => new metric.MSE({ name: 'm' })], () => new metric.MSE()],
    ["metric.RMSE(name='m')", [() => new metric.RMSE('m'), () => new metric.RMSE({ name: 'm' })], () => new metric.RMSE()],
    ["metric.PearsonCorrelation(name='p')", [() => new metric.PearsonCorrelation('p'), () => new metric.PearsonCorrelation({ name: 'p' })], () => new metric.PearsonCorrelation()],
    ["metric.Loss(name='l')", [() => new metric.Loss('l'), () => new metric.Loss({ name: 'l' })], () => new metric.Loss()],
    ["metric.CrossEntropy(eps=1e-6, name='ce')", [() => new metric.CrossEntropy(1e-6, 'ce'), () => new metric.CrossEntropy({ eps: 1e-6, name: 'ce' })], () => new metric.CrossEntropy()],
    ["metric.Perplexity(ignore_label=-1, axis=0, name='p')", [
      () => new metric.Perplexity(-1, 0, 'p'),
      () => new metric.Perplexity(-1, { axis: 0, name: 'p' }),
      () => new metric.Perplexity({ ignoreLabel: -1, axis: 0, name: 'p' }),
    ], () => new metric.Perplexity()],
    ["init.Xavier(rnd_type='gaussian', factor_type='in', magnitude=2)", [() => new init.Xavier('gaussian', 'in', 2), () => new init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 })], () => new init.Xavier()],
    ["init.MSRAPrelu(factor_type='in', slope=0.1)", [() => new init.MSRAPrelu('in', 0.1), () => new init.MSRAPrelu({ factorType: 'in', slope: 0.1 })], () => new init.MSRAPrelu()],
    ["init.Orthogonal(scale=2, rand_type='normal')", [() => new init.Orthogonal(2, 'normal'), () => new init.Orthogonal({ scale: 2, randType: 'normal' })], () => new init.Orthogonal()],
    ['optimizer.SGD(momentum=0.9, learning_rate=0.1)', [() => new optimizer.SGD(0.9, { learningRate: 0.1 }), () => new optimizer.SGD({ momentum: 0.9, learningRate: 0.1 })], () => new optimizer.SGD({ learningRate: 0.1 })],
    ['optimizer.Adam(learning_rate=0.1, beta1=0.8, beta2=0.99, epsilon=1e-6)', [() => new optimizer.Adam(0.1, 0.8, 0.99, 1e-6), () => new optimizer.Adam({ learningRate: 0.1, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 })], () => new optimizer.Adam(0.1)],
    ['optimizer.AdamW(learning_rate=0.1, beta1=0.8)', [() => new optimizer.AdamW(0.1, 0.8), () => new optimizer.AdamW({ learningRate: 0.1, beta1: 0.8 })], () => new optimizer.AdamW(0.1)],
    ['optimizer.RMSProp(learning_rate=0.1, gamma1=0.8, gamma2=0.7, epsilon=1e-6, centered=True, clip_weights=2)', [
      () => new optimizer.RMSProp(0.1, 0.8, 0.7, 1e-6, true, 2),
      () => new optimizer.RMSProp({ learningRate: 0.1, gamma1: 0.8, gamma2: 0.7, epsilon: 1e-6, centered: true, clipWeights: 2 }),
    ], () => new optimizer.RMSProp(0.1, 0.8, 0.7, 1e-6)],
    ['optimizer.AdaGrad(eps=1e-5)', [() => new optimizer.AdaGrad(1e-5), () => new optimizer.AdaGrad({ epsilon: 1e-5 })], () => new optimizer.AdaGrad()],
    ["lr_scheduler.FactorScheduler(step=10, factor=0.5, stop_factor_lr=1e-6, base_lr=0.1, warmup_steps=2, warmup_begin_lr=0.01, warmup_mode='constant')", [
      () => new lrScheduler.FactorScheduler(10, 0.5, 1e-6, 0.1, 2, 0.01, 'constant'),
      () => new lrScheduler.FactorScheduler(10, 0.5, { stopFactorLr: 1e-6, baseLr: 0.1, warmupSteps: 2, warmupBeginLr: 0.01, warmupMode: 'constant' }),
      () => new lrScheduler.FactorScheduler({ step: 10, factor: 0.5, stopFactorLr: 1e-6, baseLr: 0.1, warmupSteps: 2, warmupBeginLr: 0.01, warmupMode: 'constant' }),
    ], () => new lrScheduler.FactorScheduler(10, 0.5)],
    ['lr_scheduler.MultiFactorScheduler(step=[5, 10], factor=0.5, base_lr=0.1, warmup_steps=2)', [
      () => new lrScheduler.MultiFactorScheduler([5, 10], 0.5, 0.1, 2),
      () => new lrScheduler.MultiFactorScheduler({ step: [5, 10], factor: 0.5, baseLr: 0.1, warmupSteps: 2 }),
    ], () => new lrScheduler.MultiFactorScheduler([5, 10], 0.5)],
    ['lr_scheduler.PolyScheduler(max_update=100, base_lr=0.1, pwr=3, final_lr=0.001)', [
      () => new lrScheduler.PolyScheduler(100, 0.1, 3, 0.001),
      () => new lrScheduler.PolyScheduler({ maxUpdate: 100, baseLr: 0.1, pwr: 3, finalLr: 0.001 }),
    ], () => new lrScheduler.PolyScheduler(100, 0.1)],
    ['lr_scheduler.CosineScheduler(max_update=100, base_lr=0.1, final_lr=0.001, warmup_steps=5)', [
      () => new lrScheduler.CosineScheduler(100, 0.1, 0.001, 5),
      () => new lrScheduler.CosineScheduler(100, { baseLr: 0.1, finalLr: 0.001, warmupSteps: 5 }),
    ], () => new lrScheduler.CosineScheduler(100, 0.1)],
  ];
  for (const [what, forms, other] of OBJECTS) {
    it(`${what}: every form builds the same object`, () => sameObject(forms, other));
  }

  it("Parameter(name, grad_req, shape, dtype, lr_mult, wd_mult, init, ...) and DataLoader(dataset, batch_size, shuffle, sampler, last_batch, ...)", () => {
    const fields = (p: gluon.Parameter) => [p.name, p.gradReq, [...p.shape], p.dtype, p.lrMult, p.wdMult];
    const byPos = new gluon.Parameter('w', 'null', [2, 3], 'float64', 0.5, 2);
    assert.deepEqual(fields(byPos), ['w', 'null', [2, 3], 'float64', 0.5, 2]);
    assert.deepEqual(fields(new gluon.Parameter('w', { gradReq: 'null', shape: [2, 3], dtype: 'float64', lrMult: 0.5, wdMult: 2 })), fields(byPos));
    assert.deepEqual(fields(new gluon.Parameter({ name: 'w', gradReq: 'null', shape: [2, 3], dtype: 'float64', lrMult: 0.5, wdMult: 2 })), fields(byPos));
    const ds = new data.ArrayDataset(nd.arange(0, 5));
    const batches = (l: gluon.data.DataLoader) => [...l].map((b) => (b as nd.NDArray).toArray());
    const want = batches(new gluon.data.DataLoader(ds, { batchSize: 2, lastBatch: 'discard' }));
    assert.deepEqual(want, [[0, 1], [2, 3]]);
    assert.deepEqual(batches(new gluon.data.DataLoader(ds, 2, false, undefined, 'discard')), want);
    assert.deepEqual(batches(new gluon.data.DataLoader(ds, 2, { lastBatch: 'discard' })), want);
    const seqs = [nd.array([1, 2, 3]), nd.array([4])];
    assert.deepEqual((data.batchify.Pad(0, -1)(seqs) as nd.NDArray).toArray(), [[1, 2, 3], [4, -1, -1]]);
    assert.deepEqual((data.batchify.Pad(0, { val: -1 })(seqs) as nd.NDArray).toArray(), [[1, 2, 3], [4, -1, -1]]);
    const both = new metric.CompositeEvalMetric([new metric.Accuracy()], 'both');
    assert.deepEqual([both.name, both.metrics.length], ['both', 1]);
  });

  it('a parameter given both ways is an Error naming the class and the parameter', () => {
    const twice: [string, string, () => unknown][] = [
      ['BatchNorm', 'momentum', () => new nn.BatchNorm(1, 0.9, { momentum: 0.8 } as never)],
      ['LayerNorm', 'axis', () => new nn.LayerNorm(-1, { axis: -1 } as never)],
      ['InstanceNorm', 'epsilon', () => new nn.InstanceNorm(1, 1e-5, { epsilon: 1e-3 } as never)],
      ['GroupNorm', 'numGroups', () => new nn.GroupNorm(2, { numGroups: 2 } as never)],
      ['PReLU', 'inChannels', () => new nn.PReLU(undefined, 3, { inChannels: 3 } as never)],
      ['GlobalAvgPool2D', 'layout', () => new nn.GlobalAvgPool2D('NCHW', { layout: 'NCHW' } as never)],
      ['L2Loss', 'weight', () => new loss.L2Loss(2, { weight: 2 } as never)],
      ['SoftmaxCrossEntropyLoss', 'sparseLabel', () => new loss.SoftmaxCrossEntropyLoss(-1, true, { sparseLabel: false } as never)],
      ['HuberLoss', 'rho', () => new loss.HuberLoss(1, { rho: 2 } as never)],
      ['SquaredHingeLoss', 'margin', () => new loss.SquaredHingeLoss(1, { margin: 2 } as never)],
      ['Accuracy', 'axis', () => new metric.Accuracy(1, { axis: 0 } as never)],
      ['Perplexity', 'ignoreLabel', () => new metric.Perplexity(-1, { ignoreLabel: 0 } as never)],
      ['Xavier', 'rndType', () => new init.Xavier('gaussian', { rndType: 'uniform' } as never)],
      ["Optimizer 'sgd'", 'momentum', () => new optimizer.SGD(0.9, { momentum: 0.9 } as never)],
      ["Optimizer 'adam'", 'learningRate', () => new optimizer.Adam(0.1, { learningRate: 0.1 } as never)],
      ['FactorScheduler', 'step', () => new lrScheduler.FactorScheduler(10, { step: 10 } as never)],
      ['CosineScheduler', 'baseLr', () => new lrScheduler.CosineScheduler(10, 0.1, { baseLr: 0.1 } as never)],
      ['Dense', 'activation', () => new nn.Dense(3, 'relu', { activation: 'relu' } as never)],
      ['Conv2D', 'strides', () => new nn.Conv2D(4, 3, 2, { strides: 2 } as never)],
      ['MaxPool3D', 'ceilMode', () => new nn.MaxPool3D(2, 2, 0, true, { ceilMode: true } as never)],
      ['Dropout', 'axes', () => new nn.Dropout(0.5, [1], { axes: [1] } as never)],
      ['LSTM', 'layout', () => new rnn.LSTM(4, 1, 'NTC', { layout: 'NTC' } as never)],
      ['RNNCell', 'activation', () => new rnn.RNNCell(4, 'relu', { activation: 'relu' } as never)],
      ['Parameter', 'shape', () => new gluon.Parameter('w', 'write', [2], { shape: [2] } as never)],
      ['batchify.Pad', 'val', () => data.batchify.Pad(0, -1, { val: -1 } as never)],
      ['CompositeEvalMetric', 'name', () => new metric.CompositeEvalMetric([], 'c', { name: 'c' } as never)],
      ['DataLoader', 'shuffle', () => new gluon.data.DataLoader([1, 2], 1, true, { shuffle: true } as never)],
    ];
    for (const [cls, name, f] of twice) assert.throws(f, new RegExp(`^Error: ${cls}: got multiple values for argument '${name}'`), cls);
  });

  it('too many positional arguments, a required one missing: Errors naming the parameters', () => {
    assert.throws(() => new (nn.LayerNorm as new (...a: unknown[]) => unknown)(-1, 1e-5, true, true, 'zeros', 'ones', 0, 5), /^Error: LayerNorm: takes 7 positional arguments \(axis, epsilon, center, scale, betaInitializer, gammaInitializer, inChannels\) then an options object, but 8 positional arguments were given/);
    assert.throws(() => new lrScheduler.FactorScheduler({ factor: 0.5 } as never), /^Error: FactorScheduler: missing required argument 'step'/);
    assert.throws(() => new lrScheduler.CosineScheduler({ max_update: 5 } as never), /^Error: CosineScheduler: missing required argument 'maxUpdate' .*did you mean 'maxUpdate' for 'max_update'\?\)$/);
    // The unknown-key check of each class is unchanged.
    assert.throws(() => new nn.BatchNorm(1, { momentun: 0.9 } as never), /^Error: BatchNorm: unknown option 'momentun' .*did you mean 'momentum'\?$/);
  });

  it('types each positional parameter as its option and refuses a name given twice at compile time', () => {
    // These lines are the test: tsc fails on an unused @ts-expect-error.
    // @ts-expect-error axis given twice
    assert.throws(() => new nn.BatchNorm(1, { axis: 1 }));
    // @ts-expect-error momentum is a number
    assert.throws(() => new nn.BatchNorm(1, 'fast'));
    // @ts-expect-error step is required
    assert.throws(() => new lrScheduler.FactorScheduler({ factor: 0.5 }));
    // @ts-expect-error too many positional arguments (a string is no options object)
    assert.throws(() => new nn.Conv2D(4, 3, 1, 0, 1, 1, 'NCHW', 'relu', true, undefined, undefined, 0, 'extra'));
  });

  it("'nag' is SGD with Nesterov momentum under its own name", () => {
    const nag = optimizer.create('nag', { momentum: 0.9 });
    assert.equal(nag.name, 'nag');
    assert.equal((nag as InstanceType<typeof optimizer.SGD>).nesterov, true);
    assert.throws(() => optimizer.create('nag', { momentun: 0.9 }), /^Error: Optimizer 'nag': unknown option 'momentun'/);
  });
});
