/**
 * `gluonc import`: a torch-exported CNN (test/fixtures/onnx/cnn) becomes a
 * safetensors file and a model file that `gluonc compile` (and `--train`)
 * accepts; the compiled artifact gives PyTorch's output. A file with an
 * unmapped operator is reported by name and exits 1 with one line. The
 * operator list counts the nodes of subgraphs (an If's branches) too. A
 * file with sequence and optional inputs writes its parameters and a model
 * file whose block takes lists and nulls; `gluonc compile` refuses the list.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { gluon, nd } from 'gluonc';
import { readNpy, tensorToNumbers } from '../../runtime/index.js';
import { gluonc, oneLineError, ROOT } from '../helpers/cli.js';
import { runPython } from '../helpers/python-server.js';
import { int, model } from '../compiler/onnx/ort-compare.js';

/**
 * `gluonc compile` of the model file `gluonc import` wrote into `out` runs in onnxruntime as the original
 * `src/model.onnx` does, on one [2, 3] input: `n` outputs, equal to 1e-6.
 */
async function compiledMatchesOriginal(src: string, out: string, n: number): Promise<void> {
  const c = gluonc(['compile', join(out, 'model.mts'), '-o', join(out, 'c.onnx')]);
  assert.equal(c.status, 0, c.stderr);
  const x = new ort.Tensor('float32', Float32Array.from([0.5, -1, 2, 0, 0.25, -0.75]), [2, 3]);
  const run = async (file: string) => {
    const s = await ort.InferenceSession.create(file);
    const y = (await s.run({ [s.inputNames[0]!]: x }))[s.outputNames[0]!]!.data as Float32Array;
    await s.release();
    return [...y];
  };
  const [want, got] = [await run(join(src, 'model.onnx')), await run(join(out, 'c.onnx'))];
  assert.equal(got.length, n);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-6, `y[${i}]: ${v} vs onnxruntime ${want[i]}`));
}

describe('cli/import', function () {
  this.timeout(240_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'gluonc-import-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the operators, writes parameters and a model file that compiles and matches PyTorch', async () => {
    const fixture = join(ROOT, 'test/fixtures/onnx/cnn');
    const r = gluonc(['import', join(fixture, 'model.onnx'), '-o', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Conv\s+2\s+maps/);
    assert.match(r.stdout, /BatchNormalization\s+1\s+maps/);
    for (const f of ['model.safetensors', 'model.mts', 'model.onnx']) assert.ok(existsSync(join(dir, f)), f);
    const c = gluonc(['compile', join(dir, 'model.mts'), '-o', join(dir, 'out.onnx'), '--train']);
    assert.equal(c.status, 0, c.stderr);
    assert.ok(existsSync(join(dir, 'out.train.onnx')));
    const x = readNpy(join(fixture, 'x.npy'));
    const s = await ort.InferenceSession.create(join(dir, 'out.onnx'));
    const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
    await s.release();
    const want = tensorToNumbers(readNpy(join(fixture, 'y.npy')));
    const got = [...(out[s.outputNames[0]!]!.data as Float32Array)];
    assert.equal(got.length, want.length);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-5 + 1e-4 * Math.abs(want[i]!), `y[${i}]: ${v} vs PyTorch ${want[i]}`));
  });

  it('takes the external data files along: the written model file compiles to onnxruntime\'s numbers for the original', async () => {
    const src = join(dir, 'ext-src');
    mkdirSync(src);
    const py = String.raw`
import os, sys, numpy as np, onnx
from onnx import helper as H, TensorProto as TP, numpy_helper as NH
rs = np.random.RandomState(0)
g = H.make_graph([H.make_node('Gemm', ['x', 'W', 'b'], ['h'], transB=1), H.make_node('Tanh', ['h'], ['y'])], 'g',
    [H.make_tensor_value_info('x', TP.FLOAT, ['N', 3])], [H.make_tensor_value_info('y', TP.FLOAT, ['N', 4])],
    [NH.from_array(rs.randn(4, 3).astype(np.float32), 'W'), NH.from_array(rs.randn(4).astype(np.float32), 'b')])
m = H.make_model(g, opset_imports=[H.make_opsetid('', 17)], ir_version=8)
os.makedirs(sys.argv[1] + '/data')
onnx.save_model(m, sys.argv[1] + '/model.onnx', save_as_external_data=True, all_tensors_to_one_file=True, location='data/weights.bin', size_threshold=0)
`;
    const p = runPython(py, { args: [src] });
    assert.equal(p.status, 0, p.stderr);
    const out = join(dir, 'ext-out');
    const r = gluonc(['import', join(src, 'model.onnx'), '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(out, 'data', 'weights.bin')), 'the external data file is copied along');
    await compiledMatchesOriginal(src, out, 8);
  });

  it("lists the operators of an If's branches and imports an If on a static shape check as onnxruntime runs it", async () => {
    const src = join(dir, 'if-src');
    mkdirSync(src);
    const py = String.raw`
import sys, numpy as np, onnx
from onnx import helper as H, TensorProto as TP, numpy_helper as NH
x = H.make_tensor_value_info('x', TP.FLOAT, [2, 3])
then_g = H.make_graph([H.make_node('Sigmoid', ['x'], ['t'])], 'then', [], [H.make_tensor_value_info('t', TP.FLOAT, [2, 3])])
else_g = H.make_graph([H.make_node('Neg', ['x'], ['e'])], 'else', [], [H.make_tensor_value_info('e', TP.FLOAT, [2, 3])])
nodes = [H.make_node('Shape', ['x'], ['s']), H.make_node('Gather', ['s', 'zero'], ['n'], axis=0), H.make_node('Equal', ['n', 'two'], ['c']),
         H.make_node('If', ['c'], ['y'], then_branch=then_g, else_branch=else_g)]
g = H.make_graph(nodes, 'g', [x], [H.make_tensor_value_info('y', TP.FLOAT, [2, 3])],
    [NH.from_array(np.array(0, np.int64), 'zero'), NH.from_array(np.array(2, np.int64), 'two')])
m = H.make_model(g, opset_imports=[H.make_opsetid('', 17)], ir_version=8)
onnx.checker.check_model(m, full_check=True)
onnx.save_model(m, sys.argv[1] + '/model.onnx')
`;
    const p = runPython(py, { args: [src] });
    assert.equal(p.status, 0, p.stderr);
    const out = join(dir, 'if-out');
    const r = gluonc(['import', join(src, 'model.onnx'), '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\bIf\s+1\s+maps/);
    assert.match(r.stdout, /Sigmoid\s+1\s+maps/, "the then branch's operators are listed");
    assert.match(r.stdout, /Neg\s+1\s+maps/, "the else branch's too");
    await compiledMatchesOriginal(src, out, 6);
  });

  it('a file with sequence and optional inputs: writes its parameters and a model file whose block takes a list and null, as SymbolBlock.imports; compile refuses the list by name', () => {
    const out = join(dir, 'seq-io');
    const r = gluonc(['import', join(ROOT, 'test/fixtures/onnx/seq-io.onnx'), '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /xs: a sequence: call the block with a list of arrays\n {2}bias: an optional: call the block with an array or null/);
    const text = readFileSync(join(out, 'seq-io.mts'), 'utf8');
    assert.match(text, /export const inputs = \{"xs":\[\{"shape":\[2,3\],"dtype":"float32"\}\],"t":\{"shape":\[3\],"dtype":"float32"\},"bias":\{"shape":\[3\],"dtype":"float32"\}\};/);
    assert.match(text, /export default \(\) => gluon\.SymbolBlock\.imports\(fileURLToPath\(new URL\('\.\/seq-io\.onnx', import\.meta\.url\)\)\);/);
    // What the model file loads, with the parameters written: y = concat(xs) * t (+ bias), n = len(xs) (test/fixtures/onnx/make.py).
    const net = gluon.SymbolBlock.imports(join(out, 'seq-io.onnx'));
    net.loadParameters(join(out, 'seq-io.safetensors'));
    const a = nd.arange(6).reshape([2, 3]);
    const [y, , n] = net.call([a, a.add(1)], nd.array([1, 2, 3]), null) as nd.NDArray[];
    assert.deepEqual(y!.toArray(), [[0, 2, 6], [3, 8, 15], [1, 4, 9], [4, 10, 18]]);
    assert.equal(n!.item(), 2);
    const c = gluonc(['compile', join(out, 'seq-io.mts'), '-o', join(out, 'c.onnx')]);
    assert.match(oneLineError(c), /input 'xs' is a list of 1; compile's inputs are single tensors/);
  });

  it('names what does not map and exits 1 with one line', () => {
    const bad = join(ROOT, 'test/fixtures/onnx/unmapped.onnx');
    const r = gluonc(['import', bad, '-o', join(dir, 'bad')]);
    assert.match(r.stdout, /com\.microsoft\.FusedGemm\s+1\s+does not map/);
    assert.match(r.stdout, /ONNX operator 'com\.microsoft\.FusedGemm' \(node 'fused'\) has no gluonc equivalent: operators of other domains are not mapped/);
    assert.match(oneLineError(r), /does not import/);
    assert.ok(!existsSync(join(dir, 'bad', 'unmapped.mts')));
    // A truncated file: one line naming it and what is wrong.
    const cut = join(dir, 'cut.onnx');
    writeFileSync(cut, readFileSync(join(ROOT, 'test/fixtures/onnx/cnn/model.onnx')).subarray(0, 3000));
    const t = gluonc(['import', cut, '-o', join(dir, 'cut')]);
    assert.equal(t.status, 1);
    assert.match(oneLineError(t), /^gluonc: '.*cut\.onnx': not a valid ONNX model: protobuf decoding failed \(.+\); the file is corrupt or truncated$/);
  });

  it("compile --opset below an imported node's operator: one line naming the ONNX node (BitwiseAnd is in ONNX from opset 18)", () => {
    const src = join(dir, 'and.onnx');
    const cast = (name: string, x: string, y: string, to: number) => ({ name, opType: 'Cast', input: [x], output: [y], attribute: [int('to', to)] });
    writeFileSync(src, model([cast('ca', 'a', 'ai', 6), cast('cb', 'b', 'bi', 6), { name: 'and_1', opType: 'BitwiseAnd', input: ['ai', 'bi'], output: ['ci'] }, cast('cy', 'ci', 'y', 1)], [['a', ['N', 3]], ['b', ['N', 3]]], [['y', 'float32']], [], 18));
    const out = join(dir, 'and');
    assert.equal(gluonc(['import', src, '-o', out]).status, 0);
    const c = gluonc(['compile', join(out, 'and.mts'), '-o', join(out, 'c.onnx'), '--opset', '13']);
    assert.match(oneLineError(c), /: opset 13 is too low: ONNX node 'and_1' \(BitwiseAnd\)'s bitwiseAnd \(in SymbolBlock\) needs opset 18$/);
  });
});
