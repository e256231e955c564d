/**
 * An artifact with symbolic sizes refuses, before running, the sizes its
 * operators cannot take (eager and hybridized calls refuse them with an
 * OpError): the type rules record what they need of a symbolic size
 * (compiler/ops/dim-constraints.ts), export writes it into the manifest's
 * `constraints`, and `Model.run` / `runSync` throw a FeedError naming the
 * input, its declared and received shapes and the operator's need. Without
 * it onnxruntime answers a max pooling whose kernel is larger than the
 * input with a 1 x 1 output (neither an error nor the declared size, 0).
 * Sizes that fit run and equal eager numbers and numpy's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, nd, random } from 'gluonc';
import { FeedError, loadModel, type Model } from 'gluonc/runtime';
import { assertClose } from '../helpers/compare.js';
import { Probe } from '../helpers/layers.js';
import { numpyRefs } from '../helpers/numpy.js';
import { checkOnnxFiles } from '../helpers/onnx-checker.js';
import { editManifest, poolNet } from '../helpers/size-artifacts.js';

const { nn } = gluon;
const values = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_v, i) => Math.sin(0.37 * i + 0.2));
const feed = (shape: number[]) => ({ x: { data: values(shape), shape } });

describe('Model.run: sizes the operators of an artifact cannot take are refused before the run', () => {
  let dir: string;
  const models: Model[] = [];
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-sizes-'))));
  after(async () => {
    await Promise.all(models.map((m) => m.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const load = async (file: string) => {
    const m = await loadModel(file);
    models.push(m);
    return m;
  };
  const exported = async (name: string, block: gluon.HybridBlock, shape: (number | string)[]) => {
    const file = path.join(dir, `${name}.onnx`);
    block.export(file, { inputs: { x: { shape } } });
    return { file, model: await load(file) };
  };

  it("the issue's repro: a 5 x 5 max pooling over H = 3 is a FeedError naming x, [1, 3, H, W], [1, 3, 3, 3] and the need; eager and hybridized calls refuse it too", async function () {
    this.timeout(60_000);
    const net = poolNet();
    const { file, model } = await exported('pool', net, [1, 3, 'H', 'W']);
    assert.deepEqual(model.outputs[0]!.shape, [1, 3, '(floor((H-5)/5)+1)', '(floor((W-5)/5)+1)']);
    // The 1 x 1 convolution's H >= 1 is implied by the pooling's H >= 5: one constraint per size.
    assert.deepEqual(model.manifest!.constraints!.map((c) => `${c.dim} ${c.cmp} ${c.value}`), ['H >= 5', 'W >= 5']);
    assert.deepEqual(checkOnnxFiles([file]), [null]);
    const why = /^Error: '.*pool\.onnx': input 'x' float32\[1, 3, 3, 3\] \(H = 3, W = 3\) does not fit the model \(declared float32\[1, 3, H, W\]\): Pooling \(max\) in block 'HybridSequential\/1' needs H >= 5: kernel \[5, 5\] must fit the input along spatial axis 0$/;
    const before = { ...model.stats };
    await assert.rejects(model.run(feed([1, 3, 3, 3])), (e: unknown) => {
      assert.ok(e instanceof FeedError, String(e));
      assert.match(String(e), why);
      assert.deepEqual(e.inputs, [{ name: 'x', dtype: 'float32', expected: [1, 3, 'H', 'W'], received: [1, 3, 3, 3] }]);
      return true;
    });
    assert.throws(() => model.runSync(feed([1, 3, 3, 3])), why);
    await assert.rejects(model.run(feed([1, 3, 3, 3]), { offload: 'worker' }), why);
    assert.deepEqual(model.stats, before, 'nothing ran');
    // W alone too small: the need of axis 1.
    await assert.rejects(model.run(feed([1, 3, 9, 4])), /needs W >= 5: kernel \[5, 5\] must fit the input along spatial axis 1$/);
    for (const hybrid of [false, true]) {
      net.hybridize(hybrid);
      assert.throws(() => net.call(nd.array(Array.from(values([1, 3, 3, 3])), { dtype: 'float32' }).reshape([1, 3, 3, 3])), /^OpError: Pooling: kernel \[5, 5\] is larger than the padded input along spatial axis 0 \(data \[1, 3, 3, 3\], pad \[0, 0\]\)/);
    }
  });

  it('H = W = 5, H = W = 9 and 9 x 12 run and equal the eager call and numpy (float64)', async function () {
    this.timeout(60_000);
    const net = poolNet();
    const { model } = await exported('pool-fit', net, [1, 3, 'H', 'W']);
    const params = [...net.collectParams().values()].map((p) => Array.from(p.data().data() as Float32Array));
    const shapes = [[1, 3, 5, 5], [1, 3, 9, 9], [1, 3, 9, 12]];
    const refs = numpyRefs(shapes.map((s) => ({
      // 1 x 1 convolution (weight [3, 3, 1, 1], bias [3]), then max over 5 x 5 windows with stride 5.
      code: `
y = np.einsum('oc,nchw->nohw', b.reshape(3, 3), a) + c[None, :, None, None]
H, W = y.shape[2:]
out = np.array([[[[y[n, o, 5*i:5*i+5, 5*j:5*j+5].max() for j in range((W-5)//5+1)] for i in range((H-5)//5+1)] for o in range(3)] for n in range(1)])`,
      inputs: [{ shape: s, dtype: 'float64', data: Array.from(values(s)) }, { shape: [9], dtype: 'float64', data: params[0]! }, { shape: [3], dtype: 'float64', data: params[1]! }],
    })));
    for (const [k, s] of shapes.entries()) {
      const out = (await model.run(feed(s))).output!;
      const eager = net.call(nd.array(Array.from(values(s)), { dtype: 'float32' }).reshape(s)) as nd.NDArray;
      assert.deepEqual(out.shape, eager.shape);
      assert.deepEqual(out.shape, refs[k]!.outs[0]!.shape);
      assertClose(out.data as Float32Array, eager.data() as Float32Array, `${s}: artifact vs eager`, 1e-6, 1e-6);
      assertClose(out.data as Float32Array, refs[k]!.outs[0]!.data, `${s}: artifact vs numpy`);
    }
  });

  it("a convolution's kernel (5 x 5, stride 2) over H = 3 is refused before onnxruntime sees it; H = 5 and 8 run as eagerly", async function () {
    this.timeout(60_000);
    random.seed(4);
    const net = new nn.HybridSequential();
    net.add(new nn.Conv2D(2, 5, { strides: 2, padding: 0 }));
    net.initialize();
    net.call(nd.ones([1, 3, 5, 5]));
    const { model } = await exported('conv', net, [1, 3, 'H', 'W']);
    await assert.rejects(model.run(feed([1, 3, 3, 7])), (e: unknown) => {
      assert.ok(e instanceof FeedError, String(e));
      assert.match(e.message, /^'.*conv\.onnx': input 'x' float32\[1, 3, 3, 7\] \(H = 3, W = 7\) does not fit the model \(declared float32\[1, 3, H, W\]\): Convolution in block 'HybridSequential\/0' needs H >= 5: kernel \[5, 5\] must fit the input along spatial axis 0$/);
      return true;
    });
    for (const s of [[1, 3, 5, 5], [1, 3, 8, 8]]) {
      const out = (await model.run(feed(s))).output!;
      const eager = net.call(nd.array(Array.from(values(s)), { dtype: 'float32' }).reshape(s)) as nd.NDArray;
      assert.deepEqual(out.shape, eager.shape);
      assertClose(out.data as Float32Array, eager.data() as Float32Array, `conv ${s}`, 1e-5, 1e-6);
    }
  });

  it('a need on a derived size names its value: a 4 x 4 pooling (pad 1) after a 2 x 2 one needs ((floor((H-2)/2)+1)+2) >= 4', async function () {
    this.timeout(60_000);
    const pools = new Probe((F, x) => F.Pooling(F.Pooling(x, { kernel: [2, 2], stride: [2, 2], poolType: 'max' }), { kernel: [4, 4], poolType: 'avg', pad: [1, 1] }) as gluon.Tensor);
    const { model } = await exported('pools', pools, ['N', 2, 'H', 'W']);
    assert.deepEqual(model.manifest!.constraints!.map((c) => `${c.dim} ${c.cmp} ${c.value}`), ['H >= 2', 'W >= 2', '((floor((H-2)/2)+1)+2) >= 4', '((floor((W-2)/2)+1)+2) >= 4']);
    assert.deepEqual((await model.run(feed([1, 2, 4, 5]))).output!.shape, [1, 2, 1, 1]);
    await assert.rejects(model.run(feed([1, 2, 1, 6])), /\(N = 1, H = 1, W = 6\) does not fit the model \(declared float32\[N, 2, H, W\]\): Pooling \(max\) in block 'Probe' needs H >= 2: kernel \[2, 2\] must fit the input along spatial axis 0$/);
    await assert.rejects(model.run(feed([1, 2, 3, 6])), /\): Pooling \(avg\) in block 'Probe' needs \(\(floor\(\(H-2\)\/2\)\+1\)\+2\) >= 4: kernel \[4, 4\] must fit the input padded by 1 on each side along spatial axis 0 \(here \(\(floor\(\(H-2\)\/2\)\+1\)\+2\) = 3\)$/);
    const deconv = new Probe((F, x) => F.Deconvolution(x, nd.ones([2, 1, 3, 3]), { kernel: [3, 3], pad: [3, 3], numFilter: 1, noBias: true }) as gluon.Tensor);
    const d = await exported('deconv', deconv, [1, 2, 'H', 'W']);
    assert.deepEqual((await d.model.run(feed([1, 2, 5, 5]))).output!.shape, [1, 1, 1, 1]);
    await assert.rejects(d.model.run(feed([1, 2, 4, 5])), /Deconvolution in block 'Probe' needs \(H-4\) >= 1: its output size along spatial axis 0 must be positive \(stride \[1, 1\], pad \[3, 3\], kernel \[3, 3\]\) \(here \(H-4\) = 0\)$/);
  });

  it('a split of a symbolic T into 3 needs T to be a multiple of 3; reflect padding of 3 needs H >= 4', async function () {
    this.timeout(60_000);
    const split = new Probe((F, x) => (F.split(x, { numOutputs: 3, axis: 1 }) as unknown as gluon.Tensor[])[2]!);
    const s = await exported('split', split, ['N', 'T']);
    assert.deepEqual((await s.model.run(feed([2, 6]))).output!.shape, [2, 2]);
    await assert.rejects(s.model.run(feed([2, 7])), (e: unknown) => {
      assert.ok(e instanceof FeedError);
      assert.match(e.message, /input 'x' float32\[2, 7\] \(N = 2, T = 7\) does not fit the model \(declared float32\[N, T\]\): split in block 'Probe' needs T to be a multiple of 3: axis 1 splits into 3 equal parts$/);
      return true;
    });
    const pad = new Probe((F, x) => F.pad(x, { mode: 'reflect', padWidth: [0, 0, 0, 0, 3, 1, 0, 0] }) as gluon.Tensor);
    const p = await exported('reflect', pad, [1, 1, 'H', 'W']);
    assert.deepEqual(p.model.manifest!.constraints!.map((c) => `${c.dim} ${c.cmp} ${c.value}`), ['H >= 4']);
    assert.deepEqual((await p.model.run(feed([1, 1, 4, 2]))).output!.shape, [1, 1, 8, 2]);
    await assert.rejects(p.model.run(feed([1, 1, 3, 2])), /pad in block 'Probe' needs H >= 4: reflect padding 3, 1 of axis 2 must be smaller than its size$/);
  });

  it("MXNet's files and an artifact read back: SymbolBlock.imports refuses H = 3 when called and writes the same constraints when exported again", async function () {
    this.timeout(60_000);
    const net = poolNet();
    const [symbolFile, paramsFile] = net.export(path.join(dir, 'pool-mx'), { format: 'mxnet' }).paths as [string, string];
    const { file } = await exported('pool-onnx', poolNet(), [1, 3, 'H', 'W']);
    for (const [what, back] of [['mxnet', gluon.SymbolBlock.imports(symbolFile, ['data'], paramsFile)], ['onnx', gluon.SymbolBlock.imports(file)]] as const) {
      // MXNet's files: the operator's own check; the artifact: its manifest's constraint, checked before any operator runs.
      assert.throws(() => back.call(nd.ones([1, 3, 3, 3])), what === 'mxnet' ? /Pooling: kernel \[5, 5\] is larger than the padded input along spatial axis 0/ : /the input sizes \(H = 3, W = 3\) do not fit: Pooling \(max\) in block '.*' needs H >= 5: kernel \[5, 5\] must fit the input along spatial axis 0/, what);
      assert.deepEqual((back.call(nd.ones([1, 3, 9, 9])) as nd.NDArray).shape, [1, 3, 1, 1], what);
      const again = await exported(`pool-${what}-again`, back, [1, 3, 'H', 'W']);
      assert.deepEqual(again.model.manifest!.constraints!.map((c) => `${c.dim} ${c.cmp} ${c.value}`), ['H >= 5', 'W >= 5'], what);
      await assert.rejects(again.model.run(feed([1, 3, 3, 3])), (e: unknown) => e instanceof FeedError && /needs H >= 5/.test(e.message));
    }
  });

  it('artifacts without constraints load and run: fixed sizes, a symbolic batch alone, and an older artifact whose manifest has none', async function () {
    this.timeout(60_000);
    const fixed = await exported('fixed', poolNet(), [1, 3, 9, 9]);
    assert.equal(fixed.model.manifest!.constraints, undefined);
    assert.ok(!readFileSync(fixed.file).toString('latin1').includes('"constraints"'), 'no constraints key in the manifest');
    const dense = new nn.Dense(2, { inUnits: 4 });
    dense.initialize();
    const batch = await exported('dense', dense, ['N', 4]);
    assert.equal(batch.model.manifest!.constraints, undefined);
    assert.deepEqual((await batch.model.run({ x: { data: new Float32Array(0), shape: [0, 4] } })).output!.shape, [0, 2]);
    // An artifact written before constraints existed: loads, and runs what onnxruntime runs (its 1 x 1 answer).
    const pool = await exported('pool-new', poolNet(), [1, 3, 'H', 'W']);
    const old = path.join(dir, 'pool-old.onnx');
    editManifest(pool.file, old, "del j['constraints']");
    const m = await load(old);
    assert.equal(m.manifest!.constraints, undefined);
    assert.deepEqual((await m.run(feed([1, 3, 3, 3]))).output!.shape, [1, 3, 1, 1]);
    // A constraint this gluonc cannot read is refused when the file loads, naming it.
    const bad = path.join(dir, 'pool-bad.onnx');
    editManifest(pool.file, bad, "j['constraints'][1]['dim'] = 'W[0:2]'");
    await assert.rejects(loadModel(bad), /^Error: '.*pool-bad\.onnx': manifest 'gluonc\.manifest': constraints\[1\] has a dim "W\[0:2\]" that is not a size expression$/);
  });
});
