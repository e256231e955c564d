import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { checkOptions, closestKey, optionKeys, unknownOptionsMessage } from '../../runtime/check-options.js';
import { loadModel, serve, type LoadModelOptions, type RunOptions } from '../../runtime/index.js';
import { mlpArtifact } from '../helpers/mlp-artifact.js';

describe('checkOptions: the one check of an options object', () => {
  it('returns the object when every key is accepted, whatever the values (undefined included)', () => {
    const o = { layout: 'NTC', dropout: undefined };
    assert.equal(checkOptions('LSTM', o, ['layout', 'dropout']), o);
    assert.deepEqual(checkOptions('X', {}, []), {});
  });

  it('an unknown key is an Error naming the owner, the key and the accepted keys', () => {
    assert.throws(() => checkOptions('LSTM', { bogusKey: 1 }, ['layout', 'dropout']), /^Error: LSTM: unknown option 'bogusKey' \(valid: layout, dropout\)$/);
    // A key is checked even when its value is undefined: { layuot: undefined } is a misspelling too.
    assert.throws(() => checkOptions('LSTM', { layuot: undefined }, ['layout']), /^Error: LSTM: unknown option 'layuot' \(valid: layout\); did you mean 'layout'\?$/);
    assert.throws(() => checkOptions('Flatten', { prefx: 'x' }, []), /^Error: Flatten: unknown option 'prefx' \(it takes no options\)$/);
    assert.throws(() => checkOptions('Conv2D', { stride: 1, pad: 1 }, ['strides', 'padding']), /^Error: Conv2D: unknown options 'stride', 'pad' \(valid: strides, padding\); did you mean 'strides' for 'stride'\?$/);
  });

  it('a non-object is an Error naming the owner and the value', () => {
    for (const bad of [null, 3, 'NTC', [1]]) assert.throws(() => checkOptions('LSTM', bad, ['layout']), /^Error: LSTM: options must be an object, got /);
  });

  it('suggests the nearest accepted key: camelCase of snake_case, other case, edit distance <= 2, else none', () => {
    const K = ['layout', 'dropout', 'i2hWeightInitializer', 'strides', 'useBias', 'axis', 'axes'];
    assert.equal(closestKey('layuot', K), 'layout'); // transposition: distance 2
    assert.equal(closestKey('layot', K), 'layout'); // deletion: 1
    assert.equal(closestKey('laXyout', K), 'layout'); // insertion: 1
    assert.equal(closestKey('drupout', K), 'dropout'); // substitution: 1
    assert.equal(closestKey('layuto', K), 'layout'); // distance 2 exactly
    assert.equal(closestKey('lyauto', K), undefined); // distance 3 (l-y-a-u-t-o vs l-a-y-o-u-t)
    assert.equal(closestKey('i2h_weight_initializer', K), 'i2hWeightInitializer'); // distance 4, by its camelCase form
    assert.equal(closestKey('use_bias', K), 'useBias');
    assert.equal(closestKey('USEBIAS', K), 'useBias');
    assert.equal(closestKey('stride', K), 'strides');
    assert.equal(closestKey('bogusKey', K), undefined);
    // Ties: the nearer first, then the first listed.
    assert.equal(closestKey('axs', K), 'axis');
    assert.equal(closestKey('axes', K), 'axes');
    assert.equal(closestKey('x', []), undefined);
  });

  it('the message without the owner, for callers that throw their own error class', () => {
    assert.equal(unknownOptionsMessage(['kk'], ['axis', 'k']), "unknown option 'kk' (valid: axis, k); did you mean 'k'?");
    assert.equal(unknownOptionsMessage(['x'], []), "unknown option 'x' (it takes no options)");
  });

  it("MXNet's keywords gluonc does not take say what to write instead; other names of Object's prototype are plain unknown keys", () => {
    assert.equal(unknownOptionsMessage(['ctx'], ['dtype']), "unknown option 'ctx' (valid: dtype); ctx is not taken: one global context, context.setContext(...)");
    assert.equal(unknownOptionsMessage(['prefix', 'params'], []), "unknown options 'prefix', 'params' (it takes no options); MXNet 1.x's prefix is not taken: parameters are named by structure; MXNet 1.x's params is not taken: share with .shareParameters(other.collectParams())");
    assert.equal(unknownOptionsMessage(['constructor'], ['dtype']), "unknown option 'constructor' (valid: dtype)");
    assert.equal(unknownOptionsMessage(['toString'], []), "unknown option 'toString' (it takes no options)");
  });

  it('optionKeys lists the keys of an options type', () => {
    assert.deepEqual(optionKeys<{ a?: number; b: string }>({ a: true, b: true }), ['a', 'b']);
  });
});

describe('loadModel and Model.run refuse unknown options through checkOptions', function () {
  let dir = '';
  let file = '';
  before(() => ({ dir, file } = mlpArtifact()));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loadModel: an unknown key is refused before the file is opened, with the suggestion; every documented key passes the check', async () => {
    await assert.rejects(loadModel('/no/such/model.onnx', { threds: 1 } as never), /^Error: loadModel\('\/no\/such\/model\.onnx'\): unknown option 'threds' \(valid: device, .*\); did you mean 'threads'\?$/);
    const keys = optionKeys<LoadModelOptions>({ device: true, fallback: true, threads: true, maxBytes: true, offload: true, offloadAboveMs: true, workers: true });
    for (const k of keys) {
      const m = await loadModel(file, { [k]: undefined });
      await m.close();
    }
  });

  it('serve: an unknown key is refused before the model is loaded, with the suggestion', async () => {
    await assert.rejects(serve('/no/such/model.onnx', { maxBatchsize: 8 } as never), /^Error: serve: unknown option 'maxBatchsize' \(valid: .*\); did you mean 'maxBatchSize'\?$/);
    await assert.rejects(serve('/no/such/model.onnx', { bogusKey: 8 } as never), /^Error: serve: unknown option 'bogusKey' \(valid: device, .*, log\)$/);
  });

  it('Model.run: an unknown key is refused naming the model, with the suggestion; offload is accepted', async () => {
    const m = await loadModel(file);
    try {
      const feeds = { x: { data: new Float32Array(784), shape: [1, 784] } };
      await assert.rejects(m.run(feeds, { ofload: 'inline' } as never), /^Error: Model\.run \('.*'\): unknown option 'ofload' \(valid: offload\); did you mean 'offload'\?$/);
      for (const k of optionKeys<RunOptions>({ offload: true })) await m.run(feeds, { [k]: undefined });
    } finally {
      await m.close();
    }
  });
});
