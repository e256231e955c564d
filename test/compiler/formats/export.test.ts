import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { nd, gluon, init, random, autograd } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import * as centeredLayer from '../../../models/seed/centered-layer.js';
import * as affineCentered from '../../../models/seed/affine-centered.js';
import * as fourierHalf from '../../../models/seed/fourier-half.js';
import * as normalizationHybridLayer from '../../../models/seed/normalization-hybrid-layer.js';
import * as scaledLayer from '../../../models/seed/scaled-layer.js';
import * as tensorReduction from '../../../models/seed/tensor-reduction.js';

const vals = (x: { data(): ArrayLike<number> | BigInt64Array | BigUint64Array }): number[] => Array.from(x.data() as ArrayLike<number>, Number);
const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

class NormalizationHybridLayer extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    return F.broadcastDiv(F.broadcastSub(x, F.min(x)), F.broadcastSub(F.max(x), F.min(x)));
  }
}

/** The seed's HybridSequential, initialized and called once on [5, 2]. */
function seedNet(): InstanceType<typeof gluon.nn.HybridSequential> {
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.nn.Dense(5), new NormalizationHybridLayer(), new gluon.nn.Dense(1));
  net.initialize(new init.Xavier({ magnitude: 2.24 }));
  return net;
}

/** Per-row normalization, so outputs do not depend on the batch (raw ORT runs with several batch sizes). */
class RowNet extends gluon.HybridBlock {
  d1 = new gluon.nn.Dense(6, { activation: 'relu' });
  d2 = new gluon.nn.Dense(3);
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    return this.d2.call(F.tanh(this.d1.call(x)));
  }
}

describe('HybridBlock.export and SymbolBlock.imports', () => {
  let dir: string;
  beforeEach(() => {
    random.seed(11);
    dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-export-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one standard .onnx file: initializers under structural names, the manifest in metadata_props', () => {
    const net = seedNet();
    net.hybridize();
    net.call(nd.random.uniform(-10, 10, [5, 2]));
    const file = path.join(dir, 'seed.onnx');
    const res = net.export(file);
    assert.equal(res.path, file);
    assert.deepEqual(readdirSync(dir), ['seed.onnx'], 'no temporary file is left');

    const model = onnx.ModelProto.decode(readFileSync(file));
    const g = model.graph!;
    assert.deepEqual(g.input!.map((i) => i.name), ['data']);
    assert.deepEqual(g.output!.map((o) => o.name), ['output']);
    const batch = g.input![0]!.type!.tensorType!.shape!.dim![0]!;
    assert.equal(batch.dimParam, 'N');
    const inits = g.initializer!.map((t) => t.name);
    for (const k of ['0.weight', '0.bias', '2.weight', '2.bias']) assert.ok(inits.includes(k), `initializer ${k} in ${inits.join(', ')}`);
    const meta = model.metadataProps!.find((m) => m.key === 'gluonc.manifest');
    assert.ok(meta, 'metadata_props has gluonc.manifest');
    assert.deepEqual(JSON.parse(meta.value!), {
      format: 1,
      inputs: [{ name: 'data', dtype: 'float32', shape: ['N', 2] }],
      outputs: [{ name: 'output', dtype: 'float32', shape: ['N', 1] }],
      params: ['0.weight', '0.bias', '2.weight', '2.bias'],
      compile: { opset: 21 },
      producer: `gluonc ${version}`,
    });
    assert.deepEqual(res.manifest, JSON.parse(meta.value!));
    // The initializers hold the parameters' current values.
    const w = g.initializer!.find((t) => t.name === '0.weight')!;
    assertClose(Array.from(w.floatData!.length ? w.floatData! : new Float32Array(new Uint8Array(w.rawData!).slice().buffer)), vals(net.collectParams().get('0.weight').data()), '0.weight');
  });

  it('raw onnxruntime-node runs the artifact with a dynamic batch and gives the block outputs', async () => {
    const net = new RowNet();
    net.initialize();
    net.call(nd.ones([2, 4]));
    const file = path.join(dir, 'row.onnx');
    net.export(file);
    const session = await ort.InferenceSession.create(file);
    assert.deepEqual(session.inputNames, ['data']);
    assert.deepEqual(session.outputNames, ['output']);
    for (const n of [1, 3, 8]) {
      const x = nd.random.uniform(-1, 1, [n, 4]);
      const out = await session.run({ data: new ort.Tensor('float32', x.data() as Float32Array, [n, 4]) });
      assert.deepEqual(out['output']!.dims, [n, 3]);
      assertClose(Array.from(out['output']!.data as Float32Array), vals(net.call(x)), `batch ${n}`, 1e-5, 1e-6);
    }
    await session.release();
  });

  it('names inputs as asked; several inputs and outputs default to data0.. and output0..', async () => {
    class Two extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, a: gluon.Tensor, b: gluon.Tensor) {
        return [F.add(a, b), F.mul(a, b)];
      }
    }
    const two = new Two();
    two.call(nd.ones([2, 3]), nd.ones([2, 3]));
    const m1 = two.export(path.join(dir, 'two.onnx')).manifest;
    assert.deepEqual(m1.inputs.map((i) => [i.name, i.shape]), [['data0', ['N', 3]], ['data1', ['N', 3]]]);
    assert.deepEqual(m1.outputs.map((o) => o.name), ['output0', 'output1']);

    const m2 = two.export(path.join(dir, 'two-named.onnx'), { inputs: { a: { shape: ['B', 3] }, b: { shape: [1, 3], dtype: 'float32' } } }).manifest;
    assert.deepEqual(m2.inputs, [{ name: 'a', dtype: 'float32', shape: ['B', 3] }, { name: 'b', dtype: 'float32', shape: [1, 3] }]);
    assert.deepEqual(m2.outputs.map((o) => o.shape), [['B', 3], ['B', 3]]);
    const s = await ort.InferenceSession.create(path.join(dir, 'two-named.onnx'));
    const out = await s.run({
      a: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]),
      b: new ort.Tensor('float32', Float32Array.of(10, 20, 30), [1, 3]),
    });
    assert.deepEqual(Array.from(out['output0']!.data as Float32Array), [11, 22, 33, 14, 25, 36]);
    assert.deepEqual(Array.from(out['output1']!.data as Float32Array), [10, 40, 90, 40, 100, 180]);
    await s.release();

    // An MLP exported without ever being called, from the given input spec (deferred shapes solved by the trace).
    const mlp = new gluon.nn.HybridSequential();
    mlp.add(new gluon.nn.Dense(16, { activation: 'relu' }), new gluon.nn.Dense(4));
    mlp.initialize();
    const m3 = mlp.export(path.join(dir, 'mlp.onnx'), { inputs: { x: { shape: ['N', 784], dtype: 'float32' } } }).manifest;
    assert.deepEqual(m3.inputs, [{ name: 'x', dtype: 'float32', shape: ['N', 784] }]);
    assert.deepEqual(mlp.collectParams().get('0.weight').shape, [16, 784]);
  });

  it('traces in prediction mode (Dropout is the identity in the artifact)', async () => {
    class Drop extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        return F.Dropout(x, { p: 0.5 });
      }
    }
    const b = new Drop();
    b.call(nd.ones([4, 4]));
    autograd.trainMode(() => b.export(path.join(dir, 'drop.onnx')));
    const s = await ort.InferenceSession.create(path.join(dir, 'drop.onnx'));
    const x = Float32Array.from({ length: 16 }, (_v, i) => i + 1);
    const out = await s.run({ data: new ort.Tensor('float32', x, [4, 4]) });
    assert.deepEqual(Array.from(out['output']!.data as Float32Array), Array.from(x));
    await s.release();
  });

  it('refuses with messages naming the block, the parameter or the file', () => {
    const net = seedNet();
    assert.throws(() => net.export(path.join(dir, 'x.onnx')), /HybridSequential\.export.*has not been called yet.*inputs/);
    const fresh = new gluon.nn.Dense(3, { inUnits: 2 }); // never initialized
    assert.throws(() => fresh.export(path.join(dir, 'y.onnx'), { inputs: { x: { shape: ['N', 2] } } }), /parameter 'weight' of block Dense has not been initialized/);
    class DataDependent extends gluon.HybridBlock {
      // Written against NDArray (it reads values), as a user porting eager code would.
      override hybridForward(_F: gluon.F, x: nd.NDArray) {
        return x.sum().item() > 0 ? x.mul(2) : x;
      }
    }
    const dd = new DataDependent();
    dd.call(nd.ones([2]));
    assert.throws(() => dd.export(path.join(dir, 'dd.onnx')), /DataDependent\.export to .*dd\.onnx.*[Dd]ata-dependent control flow/);
    // A path whose folder is a file: the error names the file and nothing is left behind.
    writeFileSync(path.join(dir, 'afile'), 'x');
    const bad = path.join(dir, 'afile', 'net.onnx');
    net.call(nd.ones([2, 2]));
    assert.throws(() => net.export(bad), (e: Error) => e.message.includes(bad));
    assert.deepEqual(readdirSync(dir).sort(), ['afile']);
    assert.throws(() => net.export(path.join(dir, 'z.onnx'), { inputs: { x: { shape: ['N', -1] } } }), /input 'x' has an invalid dimension -1/);
    // A fixed size 0 made an artifact that loadModel and every CLI command then refused.
    assert.throws(() => net.export(path.join(dir, 'z.onnx'), { inputs: { x: { shape: [0, 2] } } }), /input 'x' has a dimension of size 0 in \[0, 2\]: an artifact's fixed input dimensions must be positive/);
    assert.equal(existsSync(path.join(dir, 'z.onnx')), false);
    // The opset option: 13 to 21; below, the first operator that needs more is named.
    assert.throws(() => net.export(path.join(dir, 'o.onnx'), { opset: 12 }), /HybridSequential\.export to .*o\.onnx': opset 12 is too low: FullyConnected \(in HybridSequential\/0\) needs opset 13$/);
    assert.throws(() => net.export(path.join(dir, 'o.onnx'), { opset: 22 }), /opset 22 is not supported: gluonc exports ONNX opsets 13 to 21$/);
    assert.throws(() => net.export(path.join(dir, 'o.onnx'), { opset: 17.5 }), /opset must be an integer ONNX opset \(13 to 21\), got 17\.5$/);
    // The optimization level: 0 to 3, named as given when it is not one (NaN printed as null before).
    assert.throws(() => net.export(path.join(dir, 'o.onnx'), { compile: { optLevel: 'fast' } }), /optimization level must be 0, 1, 2 or 3 \(-O0 \.\. -O3\), got "fast"$/);
    assert.throws(() => net.export(path.join(dir, 'o.onnx'), { compile: { optLevel: 5 } }), /HybridSequential\.export to .*o\.onnx': optimization level must be 0, 1, 2 or 3 \(-O0 \.\. -O3\), got 5$/);
    assert.equal(existsSync(path.join(dir, 'o.onnx')), false);
    // MXNet's export(path, epoch) is refused by name, pointing to its gluonc form (format 'mxnet', mxnet-export.test.ts), not ignored.
    assert.throws(() => net.export(path.join(dir, 'm'), 0 as never), /HybridSequential\.export to .*\/m': the options must be an object; MXNet's export\(path, epoch\) is export\(path, \{ format: 'mxnet', epoch \}\) \(path-symbol\.json and path-0000\.params\), export\(path\) writes one ONNX artifact at the path given \(net\.export\('model\.onnx'\)\)/);
    assert.throws(() => net.export(path.join(dir, 'm'), { epoch: 1 } as never), /HybridSequential\.export to .*\/m': option 'epoch' applies to MXNet's files only: export\(path, \{ format: 'mxnet', epoch: 1 \}\)/);
    assert.throws(() => net.export(path.join(dir, 'm'), { bogus: 1 } as never), /HybridSequential\.export to .*\/m': unknown option 'bogus' \(valid: format, inputs, opset, compile, check, report\)/);
    assert.equal(existsSync(path.join(dir, 'm')), false);
    const a = net.export(path.join(dir, 'o13.onnx'), { opset: 13 });
    assert.equal(Number(onnx.ModelProto.decode(a.bytes).opsetImport![0]!.version), 13);
    assert.equal(a.manifest.compile['opset'], 13);
    rmSync(path.join(dir, 'o13.onnx'));
  });

  it("a path without a file extension is refused, naming MXNet's files and the ONNX name (MXNet's export('name') is a prefix)", () => {
    const net = seedNet();
    net.call(nd.ones([2, 2]));
    const sub = mkdtempSync(path.join(dir, 'noext-'));
    const name = path.join(sub, 'model');
    assert.throws(
      () => net.export(name),
      new RegExp(`HybridSequential\\.export to '${name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}': the path has no file extension: MXNet's export\\('model'\\) writes model-symbol\\.json and model-0000\\.params, which is export\\('.*model', \\{ format: 'mxnet' \\}\\); the ONNX artifact is export\\('.*model\\.onnx'\\)`),
    );
    assert.deepEqual(readdirSync(sub), [], 'nothing written');
    // Both choices then work; another extension is the ONNX file the name says.
    assert.equal(net.export(`${name}.onnx`).path, `${name}.onnx`);
    assert.deepEqual(net.export(name, { format: 'mxnet' }).paths, [`${name}-symbol.json`, `${name}-0000.params`]);
    assert.equal(net.export(path.join(sub, 'model.v2')).path, path.join(sub, 'model.v2'));
    assert.deepEqual(readdirSync(sub).sort(), ['model-0000.params', 'model-symbol.json', 'model.onnx', 'model.v2']);
  });

  it('replaces an existing artifact atomically', () => {
    const file = path.join(dir, 'net.onnx');
    writeFileSync(file, 'old contents');
    const net = seedNet();
    net.call(nd.ones([3, 2]));
    net.export(file);
    assert.deepEqual(readdirSync(dir), ['net.onnx']);
    assert.ok(onnx.ModelProto.decode(readFileSync(file)).graph);
  });

  // A call that failed (a float32 input to a float64 net) used to become the "last call" export traces.
  it('a failed call does not change the signature export uses (the last successful call\'s dtype and shape)', () => {
    for (const hybrid of [false, true]) {
      const net = new gluon.nn.HybridSequential();
      net.add(new gluon.nn.Dense(2, { inUnits: 3 }));
      net.initialize();
      net.cast('float64');
      if (hybrid) net.hybridize();
      net.call(nd.ones([4, 3], { dtype: 'float64' }));
      assert.throws(() => net.call(nd.ones([5, 3])), /different dtypes float32 and float64/);
      assert.throws(() => net.call(nd.ones([6, 5], { dtype: 'float64' })));
      const a = net.export(path.join(dir, `f64-${hybrid}.onnx`));
      assert.deepEqual(a.manifest.inputs, [{ name: 'data', dtype: 'float64', shape: ['N', 3] }], hybrid ? 'hybridized' : 'eager');
    }
  });

  it('SymbolBlock.imports: structural parameters, same outputs eager and hybridized, save/load', () => {
    const net = seedNet();
    const x = nd.random.uniform(-10, 10, [5, 2]);
    const want = net.call(x);
    const file = path.join(dir, 'seed.onnx');
    net.export(file);

    const back = gluon.SymbolBlock.imports(file);
    assert.ok(back instanceof gluon.HybridBlock);
    assert.deepEqual(back.collectParams().keys(), ['0.weight', '0.bias', '2.weight', '2.bias']);
    assert.deepEqual(back.inputs, [{ name: 'data', dtype: 'float32', shape: ['N', 2] }]);
    assert.equal(back.manifest?.producer, `gluonc ${version}`);
    assertClose(vals(back.call(x)), vals(want), 'imported, eager', 1e-5, 1e-6);
    back.hybridize();
    assertClose(vals(back.call(x)), vals(want), 'imported, hybridized', 1e-5, 1e-6);
    const x3 = nd.random.uniform(-10, 10, [3, 2]);
    assertClose(vals(back.call(x3)), vals(net.call(x3)), 'imported, another batch', 1e-5, 1e-6);
    assert.equal(back.cacheSize, 2);

    // Parameters are real parameters: overwrite them, then load the original's saved file.
    const params = path.join(dir, 'seed.safetensors');
    net.saveParameters(params);
    for (const k of ['2.weight', '2.bias']) back.collectParams().get(k).setData(nd.zeros(back.collectParams().get(k).shape));
    assert.deepEqual(vals(back.call(x)), [0, 0, 0, 0, 0]);
    back.loadParameters(params);
    assertClose(vals(back.call(x)), vals(want), 'after loadParameters', 1e-5, 1e-6);
    back.saveParameters(path.join(dir, 'back.safetensors'));
    net.loadParameters(path.join(dir, 'back.safetensors'));

    // Inside a hybridized parent the graph is inlined: names get the parent's prefix.
    const outer = new gluon.nn.HybridSequential();
    outer.add(back, new gluon.nn.Dense(2, { inUnits: 1 }));
    outer.initialize();
    outer.hybridize();
    const y = outer.call(x);
    assert.deepEqual(y.shape, [5, 2]);
    assert.deepEqual(outer.collectParams().keys(), ['0.0.weight', '0.0.bias', '0.2.weight', '0.2.bias', '1.weight', '1.bias']);
    outer.hybridize(false);
    assertClose(vals(outer.call(x)), vals(y), 'nested eager vs hybridized', 1e-5, 1e-6);
  });

  it('SymbolBlock checks its inputs against the artifact and names the file', () => {
    const net = new RowNet();
    net.initialize();
    net.call(nd.ones([2, 4]));
    const file = path.join(dir, 'row.onnx');
    net.export(file);
    const back = gluon.SymbolBlock.imports(file);
    assert.throws(() => back.call(nd.ones([2, 5])), /row\.onnx.*input 0 \('data'\).*dimension 1 must be 4/);
    assert.throws(() => back.call(nd.ones([2, 4], { dtype: 'float64' })), /row\.onnx.*wrong dtype/);
    assert.throws(() => back.call(nd.ones([2, 4]), nd.ones([2, 4])), /row\.onnx.*expects 1 input/);
    writeFileSync(path.join(dir, 'junk.onnx'), 'not a model');
    assert.throws(() => gluon.SymbolBlock.imports(path.join(dir, 'junk.onnx')), /junk\.onnx/);
  });

  it('every hybrid seed model exports, runs in raw onnxruntime, and imports back', async () => {
    const files = { normalizationHybridLayer, scaledLayer, centeredLayer, affineCentered, tensorReduction, fourierHalf };
    for (const [name, m] of Object.entries(files)) {
      const built = typeof m.default === 'function' ? m.default() : m.default;
      const net = built as gluon.HybridBlock;
      net.initialize();
      const spec = Object.entries(m.inputs);
      const x = nd.random.uniform(-1, 1, spec[0]![1].shape.map((d) => (typeof d === 'number' ? d : 3)));
      const want = net.call(x);
      const file = path.join(dir, `${name}.onnx`);
      const { manifest } = net.export(file, { inputs: Object.fromEntries(spec.map(([k, s]) => [k, { shape: s.shape }])) });
      assert.equal(manifest.inputs[0]!.name, spec[0]![0]);
      const s = await ort.InferenceSession.create(file);
      const out = await s.run({ [spec[0]![0]]: new ort.Tensor('float32', x.data() as Float32Array, x.shape) });
      assertClose(Array.from(out['output']!.data as Float32Array), vals(want), `${name}: raw onnxruntime`, 1e-4, 1e-5);
      await s.release();
      assert.deepEqual(manifest.params, net.collectParams().keys(), `${name}: manifest params in structural order`);
      const back = gluon.SymbolBlock.imports(file);
      assert.deepEqual(back.collectParams().keys(), net.collectParams().keys(), `${name}: imported parameter names`);
      assertClose(vals(back.call(x)), vals(want), `${name}: imported`, 1e-4, 1e-5);
      // An imported block exports again to an equivalent artifact.
      back.export(path.join(dir, `${name}-again.onnx`));
      assertClose(vals(gluon.SymbolBlock.imports(path.join(dir, `${name}-again.onnx`)).call(x)), vals(want), `${name}: re-exported`, 1e-4, 1e-5);
    }
  });
});
