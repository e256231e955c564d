/**
 * Errors found after an ONNX file is read — when the imported block runs
 * eagerly, is hybridized (traced and compiled with the call's sizes), is
 * differentiated, or when onnxruntime runs the compiled graph or an exported
 * artifact with sizes chosen at run time — name the file's ONNX node and its
 * operator type (`ONNX node 'ge_7' (GatherElements): take: ...`) and still say
 * what was wrong; onnxruntime's node names in our lowered graphs carry the
 * source node's name. Each failing feed is checked to fail in onnxruntime
 * too (the model is wrong for it, not gluonc), and each model to agree with
 * onnxruntime on a good feed. gluonc's own graphs keep their messages.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNs } from 'onnx-proto';
import { autograd, gluon, nd } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { compileGraph } from '../../../compiler/compile.js';
import { NDArray } from '../../../compiler/engine/ndarray.js';
import { onnx, readModel } from '../../../compiler/onnx/index.js';
import { splitScope } from '../../../runtime/run-error.js';
import { FeedError } from '../../../runtime/feeds.js';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { data, i64, int, ints, model } from './ort-compare.js';

/** onnxruntime's outputs of `bytes` on `feeds` (float32 inputs), or the Error it fails with. */
async function ortRun(bytes: Uint8Array, feeds: Record<string, HostTensor>): Promise<number[] | Error> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  try {
    const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, t.shape)])));
    return Array.from(out['y']!.data as Float32Array);
  } catch (e) {
    return e as Error;
  } finally {
    await session.release();
  }
}

/** The imported block of `bytes` called on `feeds` (by the graph's input order), eager or hybridized. */
function callBlock(bytes: Uint8Array, feeds: Record<string, HostTensor>, hybrid: boolean): number[] {
  const { graph } = readModel(bytes);
  const net = new gluon.SymbolBlock(graph);
  if (hybrid) net.hybridize();
  return tensorToNumbers((net.call(...graph.inputs.map((v) => new NDArray(feeds[v.name]!))) as NDArray)._host);
}

/** Asserts `fn` throws an Error of class `cls` whose message matches every pattern. */
function throwsNaming(fn: () => unknown, cls: new (...a: never[]) => Error, patterns: RegExp[], what: string): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof cls, `${what}: expected a ${cls.name}, got ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
  for (const p of patterns) assert.match((err as Error).message, p, what);
}

const f32 = (shape: number[], values: number[]) => tensorFromNumbers('float32', shape, values);
// The index computed at run time: a float input cast to int64 (the test models' inputs are float32).
const castIndex: OnnxNs.INodeProto = { name: 'cast_0', opType: 'Cast', input: ['f'], output: ['i'], attribute: [int('to', 7)] };

describe('errors inside imported ONNX graphs name the ONNX node', () => {
  it("SplitToSequence whose sizes do not add up to the axis: ONNX node 'split_3' (SplitToSequence) and reshape's reason, eager and hybridized", async () => {
    const nodes: OnnxNs.INodeProto[] = [
      { name: 'split_3', opType: 'SplitToSequence', input: ['x', 'sp'], output: ['s'], attribute: [int('axis', 1)] },
      { name: 'at_0', opType: 'SequenceAt', input: ['s', 'k'], output: ['y'] },
    ];
    const bytes = model(nodes, [['x', [2, 'T']]], [['y', 'float32']], [['sp', i64([1, 2])], ['k', tensorFromNumbers('int64', [], [1])]], 18);
    const good = { x: data([2, 3]) };
    const want = await ortRun(bytes, good);
    assert.ok(!(want instanceof Error), String(want));
    for (const hybrid of [false, true]) assert.deepEqual(callBlock(bytes, good, hybrid), want, `T = 3 (hybridized: ${hybrid})`);
    const bad = { x: data([2, 4]) };
    assert.ok((await ortRun(bytes, bad)) instanceof Error, 'onnxruntime fails on T = 4 too');
    for (const hybrid of [false, true]) {
      throwsNaming(() => callBlock(bytes, bad, hybrid), Error, [/^ONNX node 'split_3' \(SplitToSequence\): reshape: cannot reshape \[2, 4\]/, /in block 'SymbolBlock'$/], `T = 4 (hybridized: ${hybrid})`);
    }
  });

  for (const [opType, name, extra] of [
    ['GatherElements', 'ge_7', []],
    ['ScatterElements', 'se_5', ['u']],
  ] as const) {
    it(`${opType} at an index out of range computed at run time: ONNX node '${name}' (${opType}), eagerly and in onnxruntime's node '${name}/take_<n>' hybridized`, async () => {
      const node: OnnxNs.INodeProto = { name, opType, input: ['d', 'i', ...extra], output: ['y'], attribute: [int('axis', 1)] };
      const bytes = model([castIndex, node], [['d', [2, 3]], ['f', [2, 2]], ...extra.map((u): [string, number[]] => [u, [2, 2]])], [['y', 'float32']], [], 18);
      const feeds = (idx: number[]) => ({ d: data([2, 3]), f: f32([2, 2], idx), ...(extra.length ? { u: data([2, 2], 2) } : {}) });
      const want = await ortRun(bytes, feeds([0, -1, 2, 1]));
      assert.ok(!(want instanceof Error), String(want));
      for (const hybrid of [false, true]) assert.deepEqual(callBlock(bytes, feeds([0, -1, 2, 1]), hybrid), want, `in range (hybridized: ${hybrid})`);
      assert.ok((await ortRun(bytes, feeds([0, 5, 2, 1]))) instanceof Error, 'onnxruntime fails on index 5 too');
      const head = new RegExp(`^ONNX node '${name}' \\(${opType}\\): take: `);
      throwsNaming(() => callBlock(bytes, feeds([0, 5, 2, 1]), false), Error, [head, /index 5 is out of range for an axis of size 3/], 'eager');
      throwsNaming(() => callBlock(bytes, feeds([0, 5, 2, 1]), true), Error, [head, new RegExp(`its ONNX Gather node '${name}/take_\\d+' in block 'SymbolBlock'`), /idx=5 must be within/], 'hybridized');
    });
  }

  it("a broadcast on symbolic sizes that the run's sizes break: ONNX node 'add_bias' (Add), traced with the sizes, compiled with symbols, and as an exported artifact", async () => {
    const bytes = model([{ name: 'add_bias', opType: 'Add', input: ['a', 'b'], output: ['y'] }], [['a', ['N', 'T']], ['b', ['N', 'S']]], [['y', 'float32']], [], 18);
    const bad = { a: data([2, 3]), b: data([2, 4], 2) };
    assert.ok((await ortRun(bytes, bad)) instanceof Error, 'onnxruntime fails on T = 3, S = 4 too');
    for (const hybrid of [false, true]) {
      throwsNaming(() => callBlock(bytes, bad, hybrid), Error, [/^ONNX node 'add_bias' \(Add\): add: shapes \[2, 3\] and \[2, 4\] do not broadcast/], `hybridized: ${hybrid}`);
    }
    // Compiled for the file's symbolic sizes: the sizes meet in onnxruntime's Add, whose node is named after the source node.
    const { graph } = readModel(bytes);
    const run = compileGraph(graph, Object.fromEntries(graph.inputs.map((v) => [v.name, v.type])));
    const names = onnx.ModelProto.decode(run.bytes).graph!.node!.map((n) => n.name);
    assert.ok(names.some((n) => /^add_bias\/add_\d+$/.test(n ?? '')), names.join(', '));
    throwsNaming(() => run(bad), Error, [/^ONNX node 'add_bias' \(Add\): add: onnxruntime failed running the compiled graph \(its ONNX Add node 'add_bias\/add_\d+'\): Attempting to broadcast an axis by a dimension other than 1\. 3 by 4$/], 'compiled with symbols');
    // Exported (the block's declared symbolic sizes) and loaded by the runtime: the artifact's records keep the source node.
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-node-errors-'));
    try {
      const file = join(dir, 'add.onnx');
      writeFileSync(file, bytes);
      const net = gluon.SymbolBlock.imports(file);
      net.call(nd.ones([2, 3]), nd.ones([2, 3]));
      net.export(join(dir, 'art.onnx'));
      const m = await loadModel(join(dir, 'art.onnx'));
      throwsNaming(() => m.runSync(bad), FeedError, [/node 'add_bias\/add_\d+' \(ONNX Add; gluonc's add of the imported ONNX node 'add_bias' \(Add\) in block 'SymbolBlock'\): Attempting to broadcast/], 'artifact');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a size an exported artifact's constraints check before the run: ONNX node 'pool_1' (MaxPool) in the manifest's message, and eagerly", async () => {
    const bytes = model([{ name: 'pool_1', opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [ints('kernel_shape', [5, 5])] }], [['x', [1, 1, 'H', 'W']]], [['y', 'float32']], [], 18);
    const small = { x: data([1, 1, 3, 3]) };
    assert.ok((await ortRun(bytes, small)) instanceof Error, 'onnxruntime fails on H = W = 3 too');
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-node-errors-'));
    try {
      writeFileSync(join(dir, 'pool.onnx'), bytes);
      const net = gluon.SymbolBlock.imports(join(dir, 'pool.onnx'));
      net.call(nd.ones([1, 1, 6, 6]));
      net.export(join(dir, 'art.onnx'));
      const m = await loadModel(join(dir, 'art.onnx'));
      throwsNaming(() => m.runSync(small), FeedError, [/\(H = 3, W = 3\) does not fit the model \(declared float32\[1, 1, H, W\]\): ONNX node 'pool_1' \(MaxPool\): Pooling \(max\) in block 'SymbolBlock' needs H >= 5/], 'artifact');
      throwsNaming(() => net.call(nd.ones([1, 1, 3, 3])), Error, [/^ONNX node 'pool_1' \(MaxPool\): Pooling: kernel \[5, 5\] is larger than the padded input/], 'eager');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a gradient through an operator without a gradient rule: ONNX node 'noise_1' (RandomUniformLike), eager (the tape) and hybridized (reverse mode)", () => {
    const nodes: OnnxNs.INodeProto[] = [
      { name: 'noise_1', opType: 'RandomUniformLike', input: ['x'], output: ['r'] },
      { name: 'mul_2', opType: 'Mul', input: ['x', 'r'], output: ['y'] },
    ];
    const { graph } = readModel(model(nodes, [['x', [2, 3]]], [['y', 'float32']], [], 18));
    for (const hybrid of [false, true]) {
      const net = new gluon.SymbolBlock(graph);
      if (hybrid) net.hybridize();
      const x = nd.ones([2, 3]);
      x.attachGrad();
      throwsNaming(() => (autograd.record(() => net.call(x)) as NDArray).backward(), Error, [/^ONNX node 'noise_1' \(RandomUniformLike\): randomUniformLike: has no gradient rule/], `hybridized: ${hybrid}`);
    }
  });

  it("gluonc's own graphs keep their messages and node names (no ONNX node named)", () => {
    class Pick extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor, i: gluon.Tensor) {
        return F.take(x, i, { axis: 1, mode: 'raise' });
      }
    }
    const x = nd.ones([2, 3]);
    const i = nd.array([0, 5], { dtype: 'int64' });
    throwsNaming(() => new Pick().call(x, i), Error, [/^take: index 5 is out of range for an axis of size 3 .*in block 'Pick'$/], 'eager');
    const net = new Pick();
    net.hybridize();
    throwsNaming(() => net.call(x, i), Error, [/^take: onnxruntime failed running the compiled graph \(its ONNX Gather node 'take_\d+' in block 'Pick'\)/], 'hybridized');
  });

  it('splitScope: the block path and the ONNX node, whose name may hold slashes, with a gradient after it', () => {
    assert.deepEqual(splitScope("Net/0/ONNX node '/layer1/conv/Conv' (Conv)"), { block: 'Net/0', onnx: "ONNX node '/layer1/conv/Conv' (Conv)", name: '/layer1/conv/Conv' });
    assert.deepEqual(splitScope("ONNX node 'a' (Add) (gradient)"), { block: '', onnx: "ONNX node 'a' (Add) (gradient)", name: 'a' });
    assert.deepEqual(splitScope('Net/dense0'), { block: 'Net/dense0', onnx: '', name: '' });
  });
});
