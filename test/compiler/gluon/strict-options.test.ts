import assert from 'node:assert/strict';
import { gluon, init, lrScheduler, nd, optimizer } from 'gluonc';
import { optionKeys } from '../../../runtime/check-options.js';
import type { ConvOptions, ConvTransposeOptions } from '../../../compiler/gluon/nn/conv.js';
import type { DenseOptions } from '../../../compiler/gluon/nn/dense.js';
import type { DropoutOptions, EmbeddingOptions } from '../../../compiler/gluon/nn/basic.js';
import type { PReLUOptions } from '../../../compiler/gluon/nn/activations.js';
import type { BatchNormOptions, LayerNormOptions } from '../../../compiler/gluon/nn/norm.js';
import type { GroupNormOptions, InstanceNormOptions } from '../../../compiler/gluon/nn/group-norm.js';
import type { PoolOptions, AvgPoolOptions } from '../../../compiler/gluon/nn/pool.js';
import type { MultiHeadAttentionOptions } from '../../../compiler/gluon/nn/attention.js';
import type { TransformerEncoderLayerOptions, TransformerDecoderLayerOptions } from '../../../compiler/gluon/nn/transformer.js';
import type { PositionalEncodingOptions, LearnedPositionalEmbeddingOptions } from '../../../compiler/gluon/nn/positional.js';
import type { RecurrentOptions, RNNOptions } from '../../../compiler/gluon/rnn/rnn-layer.js';
import type { CellOptions, RNNCellOptions, UnrollOptions } from '../../../compiler/gluon/rnn/rnn-cell.js';
import type * as L from '../../../compiler/gluon/loss/index.js';
import type { XavierOptions, MSRAPreluOptions, OrthogonalOptions } from '../../../compiler/gluon/init.js';
import type { SGDOptions } from '../../../compiler/gluon/optimizer/sgd.js';
import type { AdamOptions } from '../../../compiler/gluon/optimizer/adam.js';
import type { RMSPropOptions } from '../../../compiler/gluon/optimizer/rmsprop.js';
import type { AdaGradOptions } from '../../../compiler/gluon/optimizer/adagrad.js';
import type { FactorSchedulerOptions, CosineSchedulerOptions, MultiFactorSchedulerOptions, PolySchedulerOptions } from '../../../compiler/gluon/lr-scheduler.js';
import type { F1Options } from '../../../compiler/gluon/metric/classification.js';
import type { CrossEntropyOptions } from '../../../compiler/gluon/metric/regression.js';
import type { DataLoaderOptions } from '../../../compiler/gluon/data/dataloader.js';
import type { StackOptions, PadOptions } from '../../../compiler/gluon/data/batchify-fns.js';
import type { ParameterOptions } from '../../../compiler/gluon/parameter.js';
import type { StepOptions } from '../../../compiler/gluon/trainer.js';
import type { HybridizeOptions } from '../../../compiler/gluon/hybrid.js';
import type { ExportOptions } from '../../../compiler/formats/export.js';
import type { MxnetExportOptions } from '../../../compiler/formats/mxnet-export.js';

const { nn, rnn, loss, metric, data } = gluon;
type O = Record<string, unknown>;
const A = (f: (o: O) => unknown) => (o: O) => f(o as never);

// Each constructor or function with an options object: how to call it with an
// options object `o`, and the keys its documented options type has (the
// compiler refuses a list that misses one, so a key added to the type and not
// accepted by the class fails here).
const trainer = () => {
  const d = new nn.Dense(2, { inUnits: 2 });
  d.initialize();
  return new gluon.Trainer(d.collectParams(), 'sgd');
};
const CASES: [name: string, call: (o: O) => unknown, keys: readonly string[]][] = [
  // gluon.nn
  ['Dense', A((o) => new nn.Dense(3, o)), optionKeys<DenseOptions>({ activation: true, useBias: true, flatten: true, dtype: true, weightInitializer: true, biasInitializer: true, inUnits: true })],
  ['Conv2D', A((o) => new nn.Conv2D(3, 3, o)), optionKeys<ConvOptions>({ strides: true, padding: true, dilation: true, groups: true, layout: true, activation: true, useBias: true, inChannels: true, weightInitializer: true, biasInitializer: true, dtype: true })],
  ['Conv2DTranspose', A((o) => new nn.Conv2DTranspose(3, 3, o)), optionKeys<ConvTransposeOptions>({ strides: true, padding: true, outputPadding: true, dilation: true, groups: true, layout: true, activation: true, useBias: true, inChannels: true, weightInitializer: true, biasInitializer: true, dtype: true })],
  ['MaxPool2D', A((o) => new nn.MaxPool2D(2, o)), optionKeys<PoolOptions>({ strides: true, padding: true, ceilMode: true, layout: true })],
  ['AvgPool2D', A((o) => new nn.AvgPool2D(2, o)), optionKeys<AvgPoolOptions>({ strides: true, padding: true, ceilMode: true, layout: true, countIncludePad: true })],
  ['GlobalAvgPool2D', A((o) => new nn.GlobalAvgPool2D(o)), ['layout']],
  ['Dropout', A((o) => new nn.Dropout(0.5, o)), optionKeys<DropoutOptions>({ axes: true })],
  ['Embedding', A((o) => new nn.Embedding(3, 4, o)), optionKeys<EmbeddingOptions>({ dtype: true, weightInitializer: true, sparseGrad: true })],
  ['PReLU', A((o) => new nn.PReLU(o)), optionKeys<PReLUOptions>({ alphaInitializer: true, inChannels: true })],
  ['ELU', A((o) => new nn.ELU(1, o)), []],
  ['Activation', A((o) => new nn.Activation('relu', o)), []],
  ['BatchNorm', A((o) => new nn.BatchNorm(o)), optionKeys<BatchNormOptions>({ axis: true, momentum: true, epsilon: true, center: true, scale: true, useGlobalStats: true, inChannels: true, betaInitializer: true, gammaInitializer: true, runningMeanInitializer: true, runningVarianceInitializer: true })],
  ['LayerNorm', A((o) => new nn.LayerNorm(o)), optionKeys<LayerNormOptions>({ axis: true, epsilon: true, center: true, scale: true, inChannels: true, betaInitializer: true, gammaInitializer: true })],
  ['GroupNorm', A((o) => new nn.GroupNorm(2, o)), optionKeys<GroupNormOptions>({ epsilon: true, center: true, scale: true, inChannels: true, betaInitializer: true, gammaInitializer: true })],
  ['InstanceNorm', A((o) => new nn.InstanceNorm(o)), optionKeys<InstanceNormOptions>({ epsilon: true, center: true, scale: true, inChannels: true, axis: true, betaInitializer: true, gammaInitializer: true })],
  ['MultiHeadAttention', A((o) => new nn.MultiHeadAttention(8, 2, o)), optionKeys<MultiHeadAttentionOptions>({ dropout: true, useBias: true, inUnits: true, dtype: true, weightInitializer: true, biasInitializer: true })],
  ['TransformerEncoderLayer', A((o) => new nn.TransformerEncoderLayer(8, 2, 16, o)), optionKeys<TransformerEncoderLayerOptions>({ dropout: true, activation: true, preNorm: true, layerNormEps: true, causal: true })],
  ['TransformerDecoderLayer', A((o) => new nn.TransformerDecoderLayer(8, 2, 16, o)), optionKeys<TransformerDecoderLayerOptions>({ dropout: true, activation: true, preNorm: true, layerNormEps: true, causal: true })],
  ['PositionalEncoding', A((o) => new nn.PositionalEncoding(8, o)), optionKeys<PositionalEncodingOptions>({ maxLen: true, dropout: true })],
  ['LearnedPositionalEmbedding', A((o) => new nn.LearnedPositionalEmbedding(8, 8, o)), optionKeys<LearnedPositionalEmbeddingOptions>({ dropout: true, dtype: true, weightInitializer: true })],
  ['Flatten', A((o) => new (nn.Flatten as new (o: O) => unknown)(o)), []],
  ['SELU', A((o) => new (nn.SELU as new (o: O) => unknown)(o)), []],
  ['HybridSequential', A((o) => new (nn.HybridSequential as new (o: O) => unknown)(o)), []],
  // gluon.rnn
  ['RNN', A((o) => new rnn.RNN(4, o)), optionKeys<RNNOptions>({ layout: true, dropout: true, bidirectional: true, inputSize: true, useSequenceLength: true, unroll: true, i2hWeightInitializer: true, h2hWeightInitializer: true, i2hBiasInitializer: true, h2hBiasInitializer: true, dtype: true, activation: true })],
  ['LSTM', A((o) => new rnn.LSTM(4, o)), optionKeys<RecurrentOptions>({ layout: true, dropout: true, bidirectional: true, inputSize: true, useSequenceLength: true, unroll: true, i2hWeightInitializer: true, h2hWeightInitializer: true, i2hBiasInitializer: true, h2hBiasInitializer: true, dtype: true })],
  ['GRU', A((o) => new rnn.GRU(4, 2, o)), optionKeys<RecurrentOptions>({ layout: true, dropout: true, bidirectional: true, inputSize: true, useSequenceLength: true, unroll: true, i2hWeightInitializer: true, h2hWeightInitializer: true, i2hBiasInitializer: true, h2hBiasInitializer: true, dtype: true })],
  ['RNNCell', A((o) => new rnn.RNNCell(4, o)), optionKeys<RNNCellOptions>({ inputSize: true, i2hWeightInitializer: true, h2hWeightInitializer: true, i2hBiasInitializer: true, h2hBiasInitializer: true, dtype: true, activation: true })],
  ['LSTMCell', A((o) => new rnn.LSTMCell(4, o)), optionKeys<CellOptions>({ inputSize: true, i2hWeightInitializer: true, h2hWeightInitializer: true, i2hBiasInitializer: true, h2hBiasInitializer: true, dtype: true })],
  ['GRUCell', A((o) => new rnn.GRUCell(4, o)), optionKeys<CellOptions>({ inputSize: true, i2hWeightInitializer: true, h2hWeightInitializer: true, i2hBiasInitializer: true, h2hBiasInitializer: true, dtype: true })],
  ['LSTMCell.unroll', A((o) => new rnn.LSTMCell(4, { inputSize: 3 }).unroll(2, nd.ones([1, 2, 3]), o)), optionKeys<UnrollOptions<nd.NDArray>>({ beginState: true, layout: true, mergeOutputs: true, validLength: true })],
  // gluon.loss
  ['L2Loss', A((o) => new loss.L2Loss(o)), optionKeys<L.LossOptions>({ weight: true, batchAxis: true })],
  ['SoftmaxCrossEntropyLoss', A((o) => new loss.SoftmaxCrossEntropyLoss(o)), optionKeys<L.SoftmaxCrossEntropyLossOptions>({ weight: true, batchAxis: true, axis: true, sparseLabel: true, fromLogits: true })],
  ['SigmoidBinaryCrossEntropyLoss', A((o) => new loss.SigmoidBinaryCrossEntropyLoss(o)), optionKeys<L.SigmoidBinaryCrossEntropyLossOptions>({ weight: true, batchAxis: true, fromSigmoid: true, posWeight: true })],
  ['HuberLoss', A((o) => new loss.HuberLoss(o)), optionKeys<L.HuberLossOptions>({ weight: true, batchAxis: true, rho: true })],
  ['KLDivLoss', A((o) => new loss.KLDivLoss(o)), optionKeys<L.KLDivLossOptions>({ weight: true, batchAxis: true, fromLogits: true, axis: true })],
  ['HingeLoss', A((o) => new loss.HingeLoss(o)), optionKeys<L.HingeLossOptions>({ weight: true, batchAxis: true, margin: true })],
  ['LogisticLoss', A((o) => new loss.LogisticLoss(o)), optionKeys<L.LogisticLossOptions>({ weight: true, batchAxis: true, labelFormat: true })],
  ['PoissonNLLLoss', A((o) => new loss.PoissonNLLLoss(o)), optionKeys<L.PoissonNLLLossOptions>({ weight: true, batchAxis: true, fromLogits: true, computeFull: true })],
  ['TripletLoss', A((o) => new loss.TripletLoss(o)), optionKeys<L.MarginLossOptions>({ weight: true, batchAxis: true, margin: true })],
  // init
  ['Xavier', A((o) => new init.Xavier(o)), optionKeys<XavierOptions>({ rndType: true, factorType: true, magnitude: true })],
  ['MSRAPrelu', A((o) => new init.MSRAPrelu(o)), optionKeys<MSRAPreluOptions>({ factorType: true, slope: true })],
  ['Orthogonal', A((o) => new init.Orthogonal(o)), optionKeys<OrthogonalOptions>({ scale: true, randType: true })],
  ['Normal', A((o) => new init.Normal(o)), ['sigma']],
  ['Zero', A((o) => new (init.Zero as new (o: O) => unknown)(o)), []],
  ['One', A((o) => new (init.One as new (o: O) => unknown)(o)), []],
  // optimizer, lr_scheduler
  ["Optimizer 'sgd'", A((o) => new optimizer.SGD(o)), optionKeys<SGDOptions>({ learningRate: true, wd: true, rescaleGrad: true, clipGradient: true, lrScheduler: true, multiPrecision: true, momentum: true, nesterov: true })],
  ["Optimizer 'adam'", A((o) => optimizer.create('adam', o)), optionKeys<AdamOptions>({ learningRate: true, wd: true, rescaleGrad: true, clipGradient: true, lrScheduler: true, multiPrecision: true, beta1: true, beta2: true, epsilon: true })],
  ["Optimizer 'rmsprop'", A((o) => new optimizer.RMSProp(o)), optionKeys<RMSPropOptions>({ learningRate: true, wd: true, rescaleGrad: true, clipGradient: true, lrScheduler: true, multiPrecision: true, gamma1: true, gamma2: true, epsilon: true, centered: true, clipWeights: true })],
  ["Optimizer 'adagrad'", A((o) => new optimizer.AdaGrad(o)), optionKeys<AdaGradOptions>({ learningRate: true, wd: true, rescaleGrad: true, clipGradient: true, lrScheduler: true, multiPrecision: true, epsilon: true })],
  ['FactorScheduler', A((o) => new lrScheduler.FactorScheduler({ step: 2, ...o })), optionKeys<FactorSchedulerOptions>({ baseLr: true, warmupSteps: true, warmupBeginLr: true, warmupMode: true, step: true, factor: true, stopFactorLr: true })],
  ['CosineScheduler', A((o) => new lrScheduler.CosineScheduler({ maxUpdate: 2, ...o })), optionKeys<CosineSchedulerOptions>({ baseLr: true, warmupSteps: true, warmupBeginLr: true, warmupMode: true, maxUpdate: true, finalLr: true })],
  ['MultiFactorScheduler', A((o) => new lrScheduler.MultiFactorScheduler({ step: [2], ...o })), optionKeys<MultiFactorSchedulerOptions>({ baseLr: true, warmupSteps: true, warmupBeginLr: true, warmupMode: true, step: true, factor: true })],
  ['PolyScheduler', A((o) => new lrScheduler.PolyScheduler({ maxUpdate: 2, ...o })), optionKeys<PolySchedulerOptions>({ baseLr: true, warmupSteps: true, warmupBeginLr: true, warmupMode: true, maxUpdate: true, pwr: true, finalLr: true })],
  // gluon.metric
  ['Accuracy', A((o) => new metric.Accuracy(o)), optionKeys<{ axis?: number; name?: string }>({ axis: true, name: true })],
  ['TopKAccuracy', A((o) => new metric.TopKAccuracy({ topK: 2, ...o })), optionKeys<{ topK?: number; name?: string }>({ topK: true, name: true })],
  ['F1', A((o) => new metric.F1(o)), optionKeys<F1Options>({ name: true, classType: true, threshold: true, average: true })],
  ['MAE', A((o) => new metric.MAE(o)), ['name']],
  ['MSE', A((o) => new metric.MSE(o)), ['name']],
  ['RMSE', A((o) => new metric.RMSE(o)), ['name']],
  ['CrossEntropy', A((o) => new metric.CrossEntropy(o)), optionKeys<CrossEntropyOptions>({ name: true, eps: true, ignoreLabel: true, axis: true, fromLogits: true })],
  ['Perplexity', A((o) => new metric.Perplexity(o)), optionKeys<CrossEntropyOptions>({ name: true, eps: true, ignoreLabel: true, axis: true, fromLogits: true })],
  ['PearsonCorrelation', A((o) => new metric.PearsonCorrelation(o)), ['name']],
  ['Loss', A((o) => new metric.Loss(o)), ['name']],
  // gluon.data
  ['DataLoader', A((o) => new data.DataLoader(new data.ArrayDataset([1, 2, 3, 4]), 2, o)), optionKeys<DataLoaderOptions>({ batchSize: true, shuffle: true, lastBatch: true, sampler: true, batchSampler: true, batchify: true, batchifyFn: true, numWorkers: true })],
  ['batchify.Stack', A((o) => data.batchify.Stack(o)), optionKeys<StackOptions>({ dtype: true })],
  ['batchify.Pad', A((o) => data.batchify.Pad(o)), optionKeys<PadOptions>({ axis: true, val: true, dtype: true, roundTo: true })],
  ['batchify.List', A((o) => (data.batchify.List as (o: O) => unknown)(o)), []],
  // Parameter, Trainer, blocks
  ['Parameter', A((o) => new gluon.Parameter('w', o)), optionKeys<ParameterOptions>({ shape: true, dtype: true, init: true, gradReq: true, differentiable: true, allowDeferredInit: true, lrMult: true, wdMult: true })],
  ['Dense.initialize', A((o) => new nn.Dense(2).initialize(undefined, o)), ['forceReinit']],
  ["Parameter 'w'.initialize", A((o) => new gluon.Parameter('w', { shape: [2] }).initialize(undefined, o)), ['forceReinit']],
  ['ParameterDict.initialize', A((o) => new nn.Dense(2, { inUnits: 2 }).collectParams().initialize(undefined, o)), ['forceReinit']],
  ['LSTM.beginState', A((o) => new rnn.LSTM(2).beginState(1, o)), ['dtype']],
  ['GRUCell.beginState', A((o) => new rnn.GRUCell(2).beginState(1, o)), ['dtype']],
  ['Trainer.step', A((o) => trainer().step(1, o)), optionKeys<StepOptions>({ ignoreStaleGrad: true })],
  ['Dense.hybridize', A((o) => new nn.Dense(2).hybridize(true, o)), optionKeys<HybridizeOptions>({ maxSignatures: true, staticAlloc: true, staticShape: true, inlineLimit: true, forwardBulkSize: true, backwardBulkSize: true, partitionIfDynamic: true, clear: true })],
  ['Dense.export', A((o) => new nn.Dense(2, { inUnits: 2 }).export('/nonexistent-dir/m.onnx', o)), optionKeys<ExportOptions>({ format: true, inputs: true, opset: true, compile: true, check: true, report: true })],
  ["Dense.export to '/nonexistent-dir/m' (format 'mxnet')", A((o) => new nn.Dense(2, { inUnits: 2 }).export('/nonexistent-dir/m', { format: 'mxnet', ...o })), optionKeys<MxnetExportOptions>({ format: true, epoch: true, inputs: true })],
];

/** `key` misspelt at edit distance 1 (its last letter dropped). */
const dropLast = (k: string) => k.slice(0, -1);

describe('options objects: an unknown key is an Error naming the owner, the key and the accepted keys, never ignored', () => {
  for (const [name, call, keys] of CASES) {
    it(`${name}: { bogusKey } is refused, a near miss gets the suggestion, every documented key is accepted`, () => {
      assert.throws(() => call({ bogusKey: 1 }), (e: Error) => {
        assert.ok(e.message.startsWith(`${name}`) || e.message.includes(`${name}:`), e.message);
        assert.match(e.message, /unknown option 'bogusKey' \((valid: |it takes no options)/);
        for (const k of keys) assert.ok(e.message.includes(k), `${name}: the message lists ${k}: ${e.message}`);
        assert.doesNotMatch(e.message, /did you mean/);
        return true;
      });
      // A near miss of the longest key names it; for an owner with no options, its error says so.
      const longest = [...keys].sort((a, b) => b.length - a.length)[0];
      if (longest !== undefined && longest.length > 3) {
        assert.throws(() => call({ [dropLast(longest)]: 1 }), new RegExp(`unknown option '${dropLast(longest)}' .*; did you mean '${longest}'\\?$`));
      }
      // Every documented key passes the check (its value may still be refused on its own terms).
      for (const k of keys) {
        try {
          call({ [k]: undefined });
        } catch (e) {
          assert.doesNotMatch((e as Error).message, /unknown option/, `${name}: documented option '${k}' refused`);
        }
      }
    });
  }

  it('the LSTM of the report: layuot is refused with the suggestion, not trained as TNC', () => {
    assert.throws(() => new rnn.LSTM(64, { layuot: 'NTC' } as never), /^Error: LSTM: unknown option 'layuot' \(valid: hiddenSize, numLayers, layout, .*\); did you mean 'layout'\?$/);
    // snake_case names the camelCase key, however far apart.
    assert.throws(() => new rnn.LSTM(64, { i2h_weight_initializer: null } as never), /did you mean 'i2hWeightInitializer'\?$/);
    assert.equal(new rnn.LSTM(64, { layout: 'NTC' }).layout, 'NTC');
  });

  it('several unknown keys are all named, each with its suggestion', () => {
    assert.throws(() => new nn.Conv2D(4, 3, { stride: 2, pad: 1, bogus: 0 } as never), /^Error: Conv2D: unknown options 'stride', 'pad', 'bogus' \(valid: .*\); did you mean 'strides' for 'stride'\?$/);
  });

  it("MXNet 1.x's prefix/params (not taken, README) are refused by name, also by blocks without a constructor of their own", () => {
    assert.throws(() => new nn.Dense(2, { prefix: 'fc_' } as never), /Dense: unknown option 'prefix'/);
    assert.throws(() => new nn.Dense(2, { params: {} } as never), /Dense: unknown option 'params' .*share with \.shareParameters\(other\.collectParams\(\)\)$/);
    assert.throws(() => new (nn.Sequential as new (o: O) => unknown)({ prefix: 'net_' }), /^Error: Sequential: unknown option 'prefix' \(it takes no options\); MXNet 1\.x's prefix is not taken: parameters are named by structure$/);
    assert.throws(() => new (nn.Flatten as new (x: number) => unknown)(1), /^Error: Flatten: takes 0 positional arguments/);
  });

  it("Trainer's optimizer options are checked by the optimizer and reported as the Trainer's optimizerParams; ParameterDict.get checks too", () => {
    const d = new nn.Dense(2, { inUnits: 2 });
    d.initialize();
    assert.throws(() => new gluon.Trainer(d.collectParams(), 'sgd', { learningRat: 0.1 }), /Trainer: optimizerParams of optimizer 'sgd': unknown option 'learningRat' .*did you mean 'learningRate'\?/);
    assert.throws(() => d.params.get('weight', { shap: [2, 2] } as never), /ParameterDict.get\('weight'\): unknown option 'shap' .*did you mean 'shape'\?/);
  });

  it("clipGlobalNorm's checkIsfinite is a boolean: MXNet's keyword as an object is refused", () => {
    assert.throws(() => gluon.utils.clipGlobalNorm([nd.ones([2])], 1, { checkIsfinite: false } as never), /clipGlobalNorm: checkIsfinite \(argument 3\) must be true or false/);
  });
});
