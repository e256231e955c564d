/**
 * `gluonc compile` as a subprocess, both as an installed package runs it
 * (the bin shim over a fresh dist/ build) and from the sources through tsx:
 * the MLP artifact runs in raw onnxruntime-node with a dynamic batch and
 * matches a float64 numpy reference computed from its own initializers;
 * (every model file compiles: compile-models.test.ts);
 * `--train` writes a training step that matches a float64 SGD-momentum step
 * written out in the test.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from '../../compiler/onnx/proto.js';
import { fromTensorProto } from '../../compiler/onnx/proto.js';
import { tensorToNumbers } from '../../runtime/index.js';
import { exportBytes, gluon } from '../../compiler/gluon/index.js';
import { checkOutputPath } from '../../cli/commands/compile.js';
import { numpyRefs } from '../helpers/numpy.js';
import { assertClose } from '../helpers/compare.js';
import { PY_RUN_MXNET_SYMBOL, python } from '../helpers/mxnet-python.js';
import { sharedBuiltCli, type CliLauncher, gluonc, oneLineError, ROOT, SOURCE_CLI, userProject } from '../helpers/cli.js';

/** The initializers of an ONNX file as flat number arrays with shapes. */
function initializers(file: string): Map<string, { shape: number[]; data: number[] }> {
  const m = onnx.ModelProto.decode(readFileSync(file));
  return new Map(m.graph!.initializer!.map((t) => {
    const h = fromTensorProto(t);
    return [t.name!, { shape: h.shape, data: tensorToNumbers(h) }];
  }));
}

/** Runs the MLP artifact in raw onnxruntime-node at two batch sizes and compares with numpy. */
async function checkMlp(file: string): Promise<void> {
  const session = await ort.InferenceSession.create(file);
  assert.deepEqual(session.inputNames, ['x']);
  const w = initializers(file);
  for (const batch of [1, 5]) {
    const x = Float32Array.from({ length: batch * 784 }, (_v, i) => Math.sin(i * 0.37));
    const out = await session.run({ x: new ort.Tensor('float32', x, [batch, 784]) });
    const y = out[session.outputNames[0]!]!;
    assert.deepEqual(y.dims, [batch, 10]);
    const p = (n: string) => ({ shape: w.get(n)!.shape, dtype: 'float64', data: w.get(n)!.data });
    const [ref] = numpyRefs([{
      code: 'out = np.maximum(np.maximum(a @ b.T + c, 0) @ d.T + e, 0) @ f.T + g',
      inputs: [{ shape: [batch, 784], dtype: 'float64', data: Array.from(x) }, p('0.weight'), p('0.bias'), p('1.weight'), p('1.bias'), p('2.weight'), p('2.bias')],
    }]);
    const got = Array.from(y.data as Float32Array);
    ref!.outs[0]!.data.forEach((v, i) => assert.ok(Math.abs(got[i]! - v!) <= 1e-4 + 1e-4 * Math.abs(v!), `batch ${batch} element ${i}: ${got[i]} vs ${v}`));
  }
  await session.release();
}

describe('cli/compile', function () {
  this.timeout(300_000);
  let dir: string;
  let built: { launcher: CliLauncher; dir: string };
  before(() => {
    dir = userProject('gluonc-compile-'); // a user's project
    built = sharedBuiltCli(); // the suite's one build (removed at exit)
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [how, launcher] of [['the bin over a built dist/', null], ['the sources through tsx', SOURCE_CLI]] as const) {
    it(`compile models/mlp.ts writes mlp.onnx that raw onnxruntime runs with a dynamic batch (${how})`, async () => {
      const cwd = mkdtempSync(join(dir, 'mlp-'));
      const r = gluonc(['compile', join(ROOT, 'models', 'mlp.ts')], { cwd, launcher: launcher ?? built.launcher });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /wrote mlp\.onnx: 235,146 parameters/);
      assert.equal(r.stderr, '');
      await checkMlp(join(cwd, 'mlp.onnx'));
      assert.deepEqual(readdirSync(cwd), ['mlp.onnx']); // no temporary file left behind
    });
  }

  it('the bin in a checkout without dist/ runs the sources through tsx: compile and import work (import read its own package by name, which resolves to dist/)', () => {
    const copy = mkdtempSync(join(dir, 'checkout-'));
    for (const d of ['cli', 'compiler', 'runtime']) cpSync(join(ROOT, d), join(copy, d), { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const launcher = [join(copy, 'cli', 'gluonc.js')];
    const c = gluonc(['compile', join(ROOT, 'models', 'mlp.ts'), '-o', join(copy, 'mlp.onnx')], { launcher });
    assert.equal(c.status, 0, c.stderr);
    const i = gluonc(['import', join(ROOT, 'test', 'fixtures', 'onnx', 'mlp', 'model.onnx'), '-o', join(copy, 'imported')], { launcher });
    assert.equal(i.status, 0, i.stderr);
    assert.ok(existsSync(join(copy, 'imported', 'model.safetensors')));
    assert.ok(!existsSync(join(copy, 'dist')));
  });

  it('runs from the sources with the gluonc-source condition too (the model resolves gluonc to the same sources)', () => {
    const r = gluonc(['compile', join(ROOT, 'models', 'seed', 'scaled-layer.ts'), '-o', join(dir, 'cond', 'scaled.onnx')], {
      launcher: ['--conditions=gluonc-source', ...SOURCE_CLI],
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'cond', 'scaled.onnx')));
  });

  it('compiles a model file outside the package (its gluonc import resolves to the CLI\'s own)', () => {
    const f = join(dir, 'outside.ts');
    writeFileSync(f, "import { gluon } from 'gluonc';\nexport default () => new gluon.nn.Dense(3, { inUnits: 4 });\nexport const inputs = { x: { shape: ['N', 4] } };\n");
    for (const launcher of [built.launcher, SOURCE_CLI]) {
      const r = gluonc(['compile', f, '-o', join(dir, 'outside.onnx')], { launcher });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /15 parameters/);
    }
  });

  it('-O and --opset reach the artifact manifest; --report prints the pass table', () => {
    const out = join(dir, 'o.onnx');
    const r = gluonc(['compile', 'models/mlp.ts', '-o', out, '-O', '1', '--opset', '18', '--train', '--report']);
    assert.equal(r.status, 0, r.stderr);
    const m = onnx.ModelProto.decode(readFileSync(out));
    const manifest = JSON.parse(m.metadataProps!.find((p) => p.key === 'gluonc.manifest')!.value!);
    assert.equal(manifest.compile.optLevel, 1);
    assert.equal(manifest.compile.opset, 18);
    assert.equal(Number(m.opsetImport![0]!.version), 18);
    assert.match(r.stdout, /training graph \(-O1\):\npass\s+nodes before\s+after\s+time\n/);
    assert.match(r.stdout, /eliminate-dead-code/);
    const bad = gluonc(['compile', 'models/mlp.ts', '-O', '7']);
    assert.match(oneLineError(bad), /bad -O '7'/);
  });

  it('--opset 13 writes opset-13 artifacts; an opset outside 13..21 is a one-line error', () => {
    const out = join(dir, 'o13.onnx');
    const r = gluonc(['compile', 'models/lstm.ts', '-o', out, '--opset', '13', '--train']);
    assert.equal(r.status, 0, r.stderr);
    for (const f of [out, out.replace(/\.onnx$/, '.train.onnx')]) {
      const m = onnx.ModelProto.decode(readFileSync(f));
      assert.equal(Number(m.opsetImport![0]!.version), 13, f);
      assert.ok(!m.graph!.node!.some((n) => n.opType === 'Split' && n.attribute!.some((a) => a.name === 'num_outputs')), `${f}: Split with num_outputs (opset 18) at opset 13`);
    }
    const low = gluonc(['compile', 'models/mlp.ts', '-o', join(dir, 'o12.onnx'), '--opset', '12']);
    assert.notEqual(low.status, 0);
    assert.match(oneLineError(low), /opset 12 is too low: FullyConnected \(in HybridSequential\/0\) needs opset 13/);
    const high = gluonc(['compile', 'models/mlp.ts', '-o', join(dir, 'o22.onnx'), '--opset', '22']);
    assert.match(oneLineError(high), /opset 22 is not supported: gluonc exports ONNX opsets 13 to 21/);
  });

  it("--format mxnet writes MXNet's export (-o the prefix, --epoch the file number) computing what the ONNX artifact of the same model computes; ONNX-only flags are refused", async () => {
    const prefix = join(dir, 'mx', 'lenet');
    const r = gluonc(['compile', 'models/lenet.ts', '--format', 'mxnet', '-o', prefix, '--epoch', '4']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote .*lenet-symbol\.json and .*lenet-0004\.params: 61,706 parameters, MXNet's export format \(inputs x\)/);
    assert.deepEqual(readdirSync(join(dir, 'mx')).sort(), ['lenet-0004.params', 'lenet-symbol.json']);
    // The same seeded weights as an ONNX artifact, run by onnxruntime, against the python run of MXNet's files.
    const onnxFile = join(dir, 'mx', 'lenet.onnx');
    assert.equal(gluonc(['compile', 'models/lenet.ts', '-o', onnxFile]).status, 0);
    const x = Float32Array.from({ length: 2 * 784 }, (_v, i) => Math.sin(i * 0.37));
    const session = await ort.InferenceSession.create(onnxFile);
    const y = (await session.run({ x: new ort.Tensor('float32', x, [2, 1, 28, 28]) }))[session.outputNames[0]!]!;
    await session.release();
    const ref = python(PY_RUN_MXNET_SYMBOL, { symbol: `${prefix}-symbol.json`, params: `${prefix}-0004.params`, inputs: { x: { shape: [2, 1, 28, 28], data: Array.from(x) } } });
    assertClose(Array.from(y.data as Float32Array), ref.outs[0].data, 'the ONNX artifact against the python run of the MXNet files', 1e-4, 1e-5);
    assert.match(oneLineError(gluonc(['compile', 'models/lenet.ts', '--format', 'mxnet', '--train', '-o', prefix])), /--train applies to the ONNX artifact, not to --format mxnet/);
    assert.match(oneLineError(gluonc(['compile', 'models/lenet.ts', '--epoch', '1', '-o', onnxFile])), /--epoch names the parameter file of --format mxnet/);
    assert.match(oneLineError(gluonc(['compile', 'models/lenet.ts', '--format', 'tflite'])), /bad --format 'tflite': use onnx or mxnet/);
    assert.match(oneLineError(gluonc(['compile', 'models/seed/fourier-half.ts', '--format', 'mxnet', '-o', join(dir, 'mx', 'fh')])), /operator 'fft' of block '\(the block itself\)' \(FourierHalf\) has no MXNet equivalent/);
  });

  it('--input overrides the model file\'s input types', async () => {
    const out = join(dir, 'fixed.onnx');
    const r = gluonc(['compile', 'models/mlp.ts', '-o', out, '--input', 'x:float32[3,784]']);
    assert.equal(r.status, 0, r.stderr);
    const s = await ort.InferenceSession.create(out);
    assert.deepEqual(s.inputMetadata[0], { name: 'x', isTensor: true, type: 'float32', shape: [3, 784] } as never);
    await s.release();
  });

  it('--train writes a training step that matches one float64 SGD-momentum step', async () => {
    const f = join(dir, 'linear.ts');
    writeFileSync(f, [
      "import { gluon } from 'gluonc';",
      'export default () => new gluon.nn.Dense(3, { inUnits: 4 });',
      "export const inputs = { x: { shape: ['N', 4], dtype: 'float32' } };",
      "export const trainer = { optimizer: 'sgd', learningRate: 0.5, momentum: 0.9, wd: 0.01 };",
    ].join('\n'));
    const out = join(dir, 'linear.onnx');
    const r = gluonc(['compile', f, '-o', out, '--train']);
    assert.equal(r.status, 0, r.stderr);
    const init = initializers(out);
    const W = init.get('weight')!.data;
    const b = init.get('bias')!.data;
    const s = await ort.InferenceSession.create(out.replace(/\.onnx$/, '.train.onnx'));
    assert.deepEqual(s.inputNames, ['x', 'label', 'lr', 't', 'weight', 'bias', 'weight.state0', 'bias.state0']);
    const N = 5;
    const x = Array.from({ length: N * 4 }, (_v, i) => Math.cos(i));
    const label = [0, 2, 1, 2, 0];
    const m0W = W.map((_v, i) => 0.01 * i);
    const m0b = [0.1, -0.1, 0.2];
    const T = (data: number[], dims: number[]) => new ort.Tensor('float32', Float32Array.from(data), dims);
    const res = await s.run({ x: T(x, [N, 4]), label: T(label, [N]), lr: T([0.5], []), t: T([1], []), weight: T(W, [3, 4]), bias: T(b, [3]), 'weight.state0': T(m0W, [3, 4]), 'bias.state0': T(m0b, [3]) });
    // float64 reference: softmax cross-entropy averaged over the batch; MXNet sgd_mom_update.
    const gW = new Array(12).fill(0);
    const gb = [0, 0, 0];
    let loss = 0;
    for (let n = 0; n < N; n++) {
      const z = [0, 1, 2].map((k) => b[k]! + [0, 1, 2, 3].reduce((a, i) => a + W[k * 4 + i]! * x[n * 4 + i]!, 0));
      const mx = Math.max(...z);
      const lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0));
      loss += (lse - z[label[n]!]!) / N;
      for (let k = 0; k < 3; k++) {
        const d = (Math.exp(z[k]! - lse) - (k === label[n] ? 1 : 0)) / N;
        gb[k]! += d;
        for (let i = 0; i < 4; i++) gW[k * 4 + i] += d * x[n * 4 + i]!;
      }
    }
    const step = (w: number[], g: number[], m: number[]) => {
      const mNew = w.map((wi, i) => 0.9 * m[i]! - 0.5 * 0.01 * wi - 0.5 * g[i]!);
      return { w: w.map((wi, i) => wi + mNew[i]!), m: mNew };
    };
    const close = (got: ort.Tensor, want: number[], what: string) =>
      Array.from(got.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `${what}[${i}]: ${v} vs ${want[i]}`));
    close(res['loss']!, [loss], 'loss');
    const sw = step(W, gW, m0W);
    const sb = step(b, gb, m0b);
    close(res['weight.new']!, sw.w, 'weight.new');
    close(res['weight.state0.new']!, sw.m, 'weight.state0.new');
    close(res['bias.new']!, sb.w, 'bias.new');
    close(res['bias.state0.new']!, sb.m, 'bias.state0.new');
    await s.release();
  });

  it('--train that fails writes neither artifact (the inference one was left behind alone)', () => {
    const f = join(dir, 'bad-trainer.ts');
    writeFileSync(f, [
      "import { gluon } from 'gluonc';",
      'export default () => new gluon.nn.Dense(3, { inUnits: 4 });',
      "export const inputs = { x: { shape: ['N', 4], dtype: 'float32' } };",
      "export const trainer = { optimizer: 'nosuch' };",
    ].join('\n'));
    const out = join(dir, 'bad-trainer.onnx');
    assert.match(oneLineError(gluonc(['compile', f, '-o', out, '--train'])), /bad-trainer\.ts': 'trainer' export: unknown optimizer "nosuch"/);
    assert.equal(existsSync(out), false, 'the inference artifact was written');
    assert.equal(existsSync(join(dir, 'bad-trainer.train.onnx')), false);
  });

  it('exits when done even if the model file leaves a timer or handle open (it hung after writing)', () => {
    const f = join(dir, 'keeps-alive.ts');
    writeFileSync(f, [
      "import { gluon } from 'gluonc';",
      'setInterval(() => {}, 1000);',
      'export default () => new gluon.nn.Dense(3, { inUnits: 4 });',
      "export const inputs = { x: { shape: ['N', 4], dtype: 'float32' } };",
    ].join('\n'));
    for (const args of [['compile', f, '-o', join(dir, 'keeps-alive.onnx')], ['inspect', f]]) {
      const r = gluonc(args, { timeout: 60_000 });
      assert.equal(r.status, 0, `${args[0]}: status ${r.status} (null: killed by the timeout) ${r.stderr}`);
    }
  });

  it('--train at -O3 is refused when -O3 folds parameters away (the README promises the training step\'s initial values in <name>.onnx)', () => {
    const f = join(dir, 'conv-bn.ts');
    writeFileSync(f, [
      "import { gluon } from 'gluonc';",
      'export default () => {',
      '  const net = new gluon.nn.HybridSequential();',
      '  net.add(new gluon.nn.Conv2D(2, 3, { inChannels: 1 }), new gluon.nn.BatchNorm({ inChannels: 2 }), new gluon.nn.Dense(3, { inUnits: 8 }));',
      '  return net;',
      '};',
      "export const inputs = { x: { shape: ['N', 1, 4, 4], dtype: 'float32' } };",
    ].join('\n'));
    const out = join(dir, 'conv-bn.onnx');
    assert.match(oneLineError(gluonc(['compile', f, '-o', out, '--train', '-O', '3'])), /-O3 folds .*'1\.gamma'.* into other weights.*use -O2/);
    assert.equal(existsSync(out), false);
    // Without --train, -O3 folds (in-process: the same export compile runs, without a CLI start of seconds) ...
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Conv2D(2, 3, { inChannels: 1 }), new gluon.nn.BatchNorm({ inChannels: 2 }), new gluon.nn.Dense(3, { inUnits: 8 }));
    net.initialize();
    const folded = exportBytes(net, { inputs: { x: { shape: ['N', 1, 4, 4], dtype: 'float32' } }, compile: { optLevel: 3 } }).manifest.params;
    assert.ok(folded.includes('2.weight') && !folded.includes('1.gamma'), `the test model no longer folds at -O3: ${folded.join(', ')}`);
    // ... and at -O2, --train gives every training parameter an initializer of the same name.
    assert.equal(gluonc(['compile', f, '-o', out, '--train']).status, 0);
    const train = onnx.ModelProto.decode(readFileSync(join(dir, 'conv-bn.train.onnx')));
    const init = initializers(out);
    const params = train.graph!.input!.map((i) => i.name!).filter((n) => !['x', 'label', 'lr', 't'].includes(n) && !n.includes('.state'));
    assert.ok(params.length >= 6);
    for (const p of params) assert.ok(init.has(p), p);
  });

  it('refuses to write the artifact over the model file or its parameter file (it replaced the source with ONNX bytes)', () => {
    const src = [
      "import { gluon } from 'gluonc';",
      'export default () => new gluon.nn.Dense(3, { inUnits: 4 });',
      "export const inputs = { x: { shape: ['N', 4], dtype: 'float32' } };",
    ].join('\n');
    const f = join(dir, 'victim.ts');
    writeFileSync(f, src);
    assert.match(oneLineError(gluonc(['compile', f, '-o', f])), /-o '.*victim\.ts' is the model file itself; write the artifact elsewhere/);
    assert.equal(readFileSync(f, 'utf8'), src);
    // Other spellings of the same file (checked in-process: join(dir, '.', 'victim.ts') was the same string as f).
    const link = join(dir, 'victim-link.ts');
    symlinkSync(f, link);
    for (const out of [relative(process.cwd(), f), `${dir}/sub/../victim.ts`, `${dir}//./victim.ts`, link]) {
      assert.throws(() => checkOutputPath('-o', out, f), /is the model file itself/, out);
    }
    checkOutputPath('-o', join(dir, 'victim.onnx'), f, join(dir, 'keep.params'));
    // -o without a file extension: net.export's choice (an ONNX file named as MXNet's prefix would surprise), with both ways out.
    assert.throws(() => checkOutputPath('-o', join(dir, 'victim'), f), /-o '.*victim' has no file extension: write -o .*victim\.onnx for the ONNX artifact, or --format mxnet -o .*victim for MXNet's victim-symbol\.json and victim-0000\.params/);
    // The parameter file the model names is protected alike (given relative to the working folder here).
    const g = join(dir, 'with-params.ts');
    writeFileSync(g, `${src}\nexport const params = 'keep.params';\n`);
    const net = new gluon.nn.Dense(3, { inUnits: 4 });
    net.initialize();
    net.saveParameters(join(dir, 'keep.params'));
    const saved = readFileSync(join(dir, 'keep.params'));
    assert.match(oneLineError(gluonc(['compile', 'with-params.ts', '-o', './keep.params'], { cwd: dir })), /-o '\.\/keep\.params' is the model file's parameter file/);
    assert.deepEqual(readFileSync(join(dir, 'keep.params')), saved);
  });
});
