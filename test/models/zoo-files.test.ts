/**
 * models/zoo/ and files: a zoo-style MXNet 1.x `.params` file (the NDArray
 * list `save_parameters` writes, with the structural names
 * `features.0.weight`, ..., written here by python from PyTorch's random
 * weights, not by gluonc) loads with `loadParameters` and the net then
 * computes what the PyTorch mirror computes; `net.export` of ResNet,
 * MobileNetV2, SqueezeNet and DenseNet with a symbolic batch passes onnx's
 * checker and `loadModel` runs it at other batch sizes as the block does;
 * `gluonc compile` compiles the zoo's model files.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, init, nd, npx, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { BasicBlockV1, BottleneckV2, ResNetV1, ResNetV2, getResnet } from '../../models/zoo/resnet.js';
import { MobileNet, MobileNetV2 } from '../../models/zoo/mobilenet.js';
import { VGG } from '../../models/zoo/vgg.js';
import { AlexNet } from '../../models/zoo/alexnet.js';
import { Inception3 } from '../../models/zoo/inception.js';
import { SqueezeNet } from '../../models/zoo/squeezenet.js';
import { DenseNet } from '../../models/zoo/densenet.js';
import { assertClose } from '../helpers/compare.js';
import { checkOnnxFiles } from '../helpers/onnx-checker.js';
import { gluonc } from '../helpers/cli.js';
import { torchRun } from './zoo-torch.js';

describe('models/zoo: MXNet .params files, ONNX export, gluonc compile', function () {
  this.timeout(300000);
  let dir = '';
  before(() => (dir = mkdtempSync(join(tmpdir(), 'gluonc-zoo-files-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("loadParameters reads a zoo-style MXNet save_parameters file (structural names) and the net computes PyTorch's outputs", () => {
    random.seed(2);
    const cases: [string, () => gluon.HybridBlock, Record<string, unknown>, number[]][] = [
      ['resnet-v1', () => new ResNetV1(BasicBlockV1, [1, 1], [8, 8, 16], { classes: 4, thumbnail: true }), { kind: 'resnet', version: 1, block: 'basic', layers: [1, 1], channels: [8, 8, 16], classes: 4, thumbnail: true }, [2, 3, 16, 16]],
      ['resnet-v2', () => new ResNetV2(BottleneckV2, [1, 1], [8, 16, 32], { classes: 4 }), { kind: 'resnet', version: 2, block: 'bottle', layers: [1, 1], channels: [8, 16, 32], classes: 4, thumbnail: false }, [2, 3, 32, 32]],
      ['mobilenet-v2', () => new MobileNetV2(0.25, { classes: 4 }), { kind: 'mobilenet_v2', multiplier: 0.25, classes: 4 }, [2, 3, 64, 64]],
      ['squeezenet-1.0', () => new SqueezeNet('1.0', { classes: 4 }), { kind: 'squeezenet', version: '1.0', classes: 4 }, [1, 3, 224, 224]],
      ['mobilenet', () => new MobileNet(0.25, { classes: 4 }), { kind: 'mobilenet', multiplier: 0.25, classes: 4 }, [2, 3, 64, 64]],
      ['densenet', () => new DenseNet(8, 4, [1, 2], { classes: 4, bnSize: 2 }), { kind: 'densenet', init: 8, growth: 4, config: [1, 2], bnSize: 2, classes: 4 }, [2, 3, 56, 56]],
    ];
    const xs = cases.map(([name, , , shape]) => {
      const x = nd.random.uniform(-1, 1, shape);
      npx.save(join(dir, `${name}-x.npy`), x);
      return x;
    });
    const refs = torchRun(cases.map(([name, , model]) => ({ model, dtype: 'float32', x: join(dir, `${name}-x.npy`), writeParams: join(dir, `${name}.params`) })));
    cases.forEach(([name, make], i) => {
      const built = make();
      built.loadParameters(join(dir, `${name}.params`));
      for (const hybridize of [false, true]) {
        if (hybridize) built.hybridize();
        const y = built.call(xs[i]!) as nd.NDArray;
        assert.deepEqual(y.shape, refs[i].shape, name);
        assert.ok(Math.max(...refs[i].data) - Math.min(...refs[i].data) > 1e-4, `${name}: the reference varies`);
        assertClose(Array.from(y.data() as Float32Array), refs[i].data, `${name} ${hybridize ? 'hybridized' : 'eager'}`, 1e-4, 1e-5);
      }
    });
  });

  it('Inception V3: the names and shapes of the torch mirror; a zoo-style .params file loads and the 299×299 prediction equals PyTorch\'s', () => {
    random.seed(3);
    const x = nd.random.uniform(-1, 1, [1, 3, 299, 299]);
    npx.save(join(dir, 'inception-x.npy'), x);
    const model = { kind: 'inception', classes: 6 };
    const [names, ref] = torchRun([{ model, dtype: 'float32', namesOnly: true }, { model, dtype: 'float32', x: join(dir, 'inception-x.npy'), writeParams: join(dir, 'inception.params') }]);
    assert.ok(Math.max(...ref.data) - Math.min(...ref.data) > 1e-3, `the reference varies: ${ref.data}`);
    const net = new Inception3({ classes: 6 });
    net.initialize();
    net.inferShape(nd.zeros([1, 3, 299, 299]));
    assert.deepEqual(Object.fromEntries(net.collectParams().entries().map(([k, p]) => [k, p.shape])), names);
    net.loadParameters(join(dir, 'inception.params'));
    for (const hybridize of [false, true]) {
      if (hybridize) net.hybridize();
      const y = net.call(x) as nd.NDArray;
      assert.deepEqual(y.shape, [1, 6]);
      assertClose(Array.from(y.data() as Float32Array), ref.data, `inception ${hybridize ? 'hybridized' : 'eager'}`, 1e-4, 1e-5);
    }
  });

  it("a misspelt or unknown option is an Error naming it (MXNet's keyword arguments as one options object)", () => {
    const o = { clases: 10 } as never;
    assert.throws(() => getResnet(1, 18, o), /ResNetV1: unknown option 'clases' \(it takes 'classes', 'thumbnail'\)/);
    assert.throws(() => new ResNetV2(BottleneckV2, [1], [8, 16], o), /ResNetV2: unknown option 'clases'/);
    assert.throws(() => new MobileNet(0.25, o), /MobileNet: unknown option 'clases'/);
    assert.throws(() => new MobileNetV2(0.25, o), /MobileNetV2: unknown option 'clases'/);
    assert.throws(() => new SqueezeNet('1.1', o), /SqueezeNet: unknown option 'clases'/);
    assert.throws(() => new DenseNet(8, 4, [1], { bn_size: 2 } as never), /DenseNet: unknown option 'bn_size' \(it takes 'bnSize', 'dropout', 'classes'\)/);
    assert.throws(() => new VGG([1], [8], { batch_norm: true } as never), /VGG: unknown option 'batch_norm'/);
    assert.throws(() => new AlexNet(o), /AlexNet: unknown option 'clases'/);
    assert.throws(() => new SqueezeNet('1.2' as never), /SqueezeNet: unsupported SqueezeNet version "1.2"/);
    assert.throws(() => getResnet(1, 19), /getResnet: num_layers 19 is not one of 18, 34, 50, 101, 152/);
    assert.throws(() => new ResNetV1(BasicBlockV1, [1, 1], [8, 16]), /ResNetV1: channels must have one more entry than layers/);
  });

  it('loadParameters names what a zoo file lacks or has in excess', () => {
    const net = new ResNetV1(BasicBlockV1, [1, 1], [8, 8, 16], { classes: 4, thumbnail: true });
    net.initialize();
    net.inferShape(nd.zeros([1, 3, 16, 16]));
    const file = join(dir, 'partial.params');
    nd.save(file, { 'features.0.weight': net.features.get<InstanceType<typeof gluon.nn.Conv2D>>(0).weight.data() });
    assert.throws(() => net.loadParameters(file), /features\.1\.0\.body\.0\.weight/);
  });

  it('net.export with a symbolic batch: onnx checker passes, loadModel runs batches 1 and 3 as the block does', async () => {
    random.seed(4);
    const nets: [string, gluon.HybridBlock, number[]][] = [
      ['resnet', new ResNetV1(BasicBlockV1, [1, 1], [8, 8, 16], { classes: 4, thumbnail: true }), [3, 16, 16]],
      ['mobilenet-v2', new MobileNetV2(0.25, { classes: 4 }), [3, 64, 64]],
      ['squeezenet', new SqueezeNet('1.1', { classes: 4 }), [3, 224, 224]],
      ['densenet', new DenseNet(8, 4, [1, 2], { classes: 4 }), [3, 56, 56]],
    ];
    const files: string[] = [];
    for (const [name, net, chw] of nets) {
      net.initialize(new init.Xavier());
      net.hybridize();
      net.call(nd.random.uniform(-1, 1, [2, ...chw]));
      // Running statistics away from 0/1, so the exported inference BatchNorm is checked.
      for (const [k, p] of net.collectParams().entries()) if (/running_(mean|var)$/.test(k)) p.setData(nd.random.uniform(0.5, 1.5, p.shape));
      const file = join(dir, `${name}.onnx`);
      const a = net.export(file);
      assert.deepEqual(a.manifest.inputs, [{ name: 'data', dtype: 'float32', shape: ['N', ...chw] }], name);
      files.push(file);
      const model = await loadModel(file);
      try {
        for (const n of [1, 3]) {
          const x = nd.random.uniform(-1, 1, [n, ...chw]);
          const want = net.call(x) as nd.NDArray;
          const out = await model.run({ data: { data: x.data() as Float32Array, shape: [n, ...chw] } });
          assert.deepEqual(out.output!.shape, want.shape, `${name} batch ${n}`);
          assertClose(Array.from(out.output!.data as Float32Array), Array.from(want.data() as Float32Array), `${name} batch ${n}`, 1e-4, 1e-5);
        }
      } finally {
        await model.close();
      }
    }
    assert.deepEqual(checkOnnxFiles(files), files.map(() => null));
  });

  it('gluonc compile models/zoo/mobilenet.ts and squeezenet.ts (the CLI model-file convention)', () => {
    for (const f of ['mobilenet', 'squeezenet']) {
      const out = join(dir, `${f}-cli.onnx`);
      const r = gluonc(['compile', `models/zoo/${f}.ts`, '-o', out]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(existsSync(out));
      assert.match(r.stdout, /inputs x float32 \[N, 3, 224, 224\]; outputs output float32 \[N, 1000\]/);
    }
    assert.deepEqual(checkOnnxFiles([join(dir, 'mobilenet-cli.onnx'), join(dir, 'squeezenet-cli.onnx')]), [null, null]);
  });
});
