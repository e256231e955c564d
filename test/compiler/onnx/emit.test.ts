/**
 * The ONNX emitter: its bytes load in plain onnxruntime-node and compute the
 * right values; parameters become initializers (graph inputs for training
 * graphs); metadata_props and symbolic dimensions survive; every graph output
 * gets its own name; each lowered IR node is recorded in a `gluonc:` doc string;
 * nodes no graph output depends on are not written.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { sym } from 'gluonc';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { emitModel } from '../../../compiler/onnx/emit.js';
import { readModel } from '../../../compiler/onnx/read.js';
import { onnx } from '../../../compiler/onnx/proto.js';
import { graphOf, Symbol } from '../../../compiler/trace/symbol.js';

/** A parameter wrapped as a symbol (what a block's `p.weight` is while tracing). */
function param(name: string, shape: number[], values: number[]): Symbol {
  return new Symbol(Value.param(name, { dtype: 'float32', shape }, { dtype: 'float32', shape, data: Float32Array.from(values) }));
}

/** y = relu(x * w + 1) - 0.5 with x: [N, 3], w: [3] a parameter; and z = sigmoid(x). */
function model(): { g: Graph; x: Symbol } {
  const x = sym.var('x', { shape: ['N', 3] });
  const w = param('w', [3], [1, -2, 0.5]);
  const y = sym.sub(sym.relu(sym.add(sym.mul(x, w), 1)), 0.5);
  const z = sym.sigmoid(x);
  const g = graphOf(y, z);
  g.outputs[0]!.name = 'y';
  g.outputs[1]!.name = 'z';
  return { g, x };
}

const X = [0.5, 1, -2, -3, 0.25, 4];

function expected(): { y: number[]; z: number[] } {
  const w = [1, -2, 0.5];
  return {
    y: X.map((v, i) => Math.max(v * w[i % 3]! + 1, 0) - 0.5),
    z: X.map((v) => 1 / (1 + Math.exp(-v))),
  };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `element ${i}: ${a[i]} vs ${b[i]}`);
}

describe('ONNX emitter', () => {
  it('writes bytes that plain onnxruntime-node loads and runs correctly', async () => {
    const bytes = emitModel(model().g);
    const session = await ort.InferenceSession.create(bytes);
    assert.deepEqual([...session.inputNames], ['x']);
    assert.deepEqual([...session.outputNames], ['y', 'z']);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(X), [2, 3]) });
    assert.deepEqual(out.y!.dims, [2, 3]);
    close(out.y!.data as Float32Array, expected().y);
    close(out.z!.data as Float32Array, expected().z);
    // The batch dimension is symbolic: another batch size runs in the same session.
    const out5 = await session.run({ x: new ort.Tensor('float32', new Float32Array(15), [5, 3]) });
    assert.deepEqual(out5.y!.dims, [5, 3]);
    await session.release();
  });

  it('makes parameters initializers, and graph inputs with paramsAsInputs', async () => {
    const { g } = model();
    const m = onnx.ModelProto.decode(emitModel(g));
    const inits = m.graph!.initializer!.map((t) => t.name);
    assert.ok(inits.includes('w'), `initializers: ${inits.join(', ')}`);
    assert.deepEqual(m.graph!.input!.map((i) => i.name), ['x']);
    const w = m.graph!.initializer!.find((t) => t.name === 'w')!;
    assert.deepEqual(w.dims!.map(Number), [3]);
    assert.deepEqual([...new Float32Array(new Uint8Array(w.rawData!).buffer)], [1, -2, 0.5]);

    const train = emitModel(g, { paramsAsInputs: true });
    const mt = onnx.ModelProto.decode(train);
    assert.deepEqual(mt.graph!.input!.map((i) => i.name), ['x', 'w']);
    assert.ok(!mt.graph!.initializer!.some((t) => t.name === 'w'));
    const session = await ort.InferenceSession.create(train);
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from(X), [2, 3]),
      w: new ort.Tensor('float32', Float32Array.of(1, -2, 0.5), [3]),
    });
    close(out.y!.data as Float32Array, expected().y);
    await session.release();
  });

  it('keeps metadata_props, producer and opset', () => {
    const manifest = JSON.stringify({ format: 1, params: ['w'] });
    const bytes = emitModel(model().g, { metadata: { 'gluonc.manifest': manifest, author: 'me' }, opset: 19, producerVersion: '0.1.0' });
    const m = onnx.ModelProto.decode(bytes);
    assert.deepEqual(
      Object.fromEntries(m.metadataProps!.map((p) => [p.key, p.value])),
      { 'gluonc.manifest': manifest, author: 'me' },
    );
    assert.equal(m.producerName, 'gluonc');
    assert.equal(m.producerVersion, '0.1.0');
    assert.equal(Number(m.opsetImport!.find((o) => !o.domain)!.version), 19);
  });

  it('writes symbolic dimensions as dim_params', async () => {
    const bytes = emitModel(model().g);
    const m = onnx.ModelProto.decode(bytes);
    const dims = m.graph!.input![0]!.type!.tensorType!.shape!.dim!;
    assert.equal(dims[0]!.dimParam, 'N');
    assert.equal(Number(dims[1]!.dimValue), 3);
    const ydims = m.graph!.output![0]!.type!.tensorType!.shape!.dim!;
    assert.equal(ydims[0]!.dimParam, 'N');
    const session = await ort.InferenceSession.create(bytes);
    const meta = session.inputMetadata[0]!;
    assert.ok(meta.isTensor);
    assert.deepEqual((meta as ort.InferenceSession.TensorValueMetadata).shape, ['N', 3]);
    await session.release();
  });

  it('gives distinct names to outputs that are the same value, or a graph input', async () => {
    const x = sym.var('x', { shape: [2] });
    const r = sym.relu(x);
    const g = Graph.fromOutputs([x.value], [
      { name: 'a', value: r.value },
      { name: 'b', value: r.value },
      { name: 'same', value: x.value },
    ]);
    const bytes = emitModel(g);
    const m = onnx.ModelProto.decode(bytes);
    assert.deepEqual(m.graph!.output!.map((o) => o.name), ['a', 'b', 'same']);
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2), [2]) });
    assert.deepEqual([...(out.a!.data as Float32Array)], [0, 2]);
    assert.deepEqual([...(out.b!.data as Float32Array)], [0, 2]);
    assert.deepEqual([...(out.same!.data as Float32Array)], [-1, 2]);
    await session.release();
  });

  it('refuses two graph values with one name', () => {
    const x = Value.input('x', { dtype: 'float32', shape: [2] });
    const x2 = Value.input('x', { dtype: 'float32', shape: [2] });
    const y = sym.add(new Symbol(x), new Symbol(x2));
    assert.throws(() => emitModel(Graph.fromOutputs([x, x2], { y: y.value })), /two graph values are named 'x'/);
  });

  it('records each lowered IR node on the first ONNX node of its group', () => {
    const x = sym.var('x', { shape: ['N', 4] });
    const y = sym.clip(sym.rsqrt(x), 0, 2); // rsqrt lowers to two ONNX nodes, clip uses helper constants
    const m = onnx.ModelProto.decode(emitModel(graphOf(y)));
    const nodes = m.graph!.node!;
    assert.deepEqual(nodes.map((n) => n.opType), ['Sqrt', 'Reciprocal', 'Clip']);
    const rec = (i: number) => JSON.parse(nodes[i]!.docString!.replace(/^gluonc:/, '')) as Record<string, unknown>;
    assert.deepEqual(rec(0), { op: 'rsqrt', attrs: {}, n: 2, in: ['x'], out: [nodes[1]!.output![0]] });
    assert.ok(!nodes[1]!.docString, 'only the first node of a group carries the record');
    assert.deepEqual(rec(2), { op: 'clip', attrs: { aMin: 0, aMax: 2 }, n: 1, in: [nodes[1]!.output![0]], out: ['output0'] });
    assert.equal(nodes[2]!.input!.length, 3, 'Clip reads two helper constants that are not IR inputs');
  });

  it('writes no node that no graph output depends on, and the file reads back', async () => {
    // OnnxLSTMTrain lowers each of its 10 outputs through its own nodes; only Y is read here, so the
    // final states' and saved activations' Unsqueeze/Identity chains have no reader.
    const [T, N, I, H] = [3, 2, 2, 2];
    const rnd = (n: number, k: number) => Array.from({ length: n }, (_v, i) => Math.sin(i * 1.3 + k) * 0.5);
    const data = sym.var('x', { shape: [T, N, I] });
    const w = [param('W', [1, 4 * H, I], rnd(4 * H * I, 1)), param('R', [1, 4 * H, H], rnd(4 * H * H, 2)), param('B', [1, 8 * H], rnd(8 * H, 3))];
    const zeros = param('z', [1, N, H], [0, 0, 0, 0]);
    const lstm = sym as unknown as Record<string, (...a: unknown[]) => Symbol[]>;
    const outs = lstm['OnnxLSTMTrain']!(data, ...w, zeros, zeros, {});
    const g = graphOf(outs[0]!);
    const m = onnx.ModelProto.decode(emitModel(g));
    const nodes = m.graph!.node!;
    const produced = new Set(nodes.flatMap((n) => n.output!));
    const record = JSON.parse(nodes[0]!.docString!.replace(/^gluonc:/, '')) as { out: string[]; n: number };
    assert.equal(record.out.length, 10);
    assert.ok(produced.has(record.out[0]!), 'Y is computed');
    for (const o of record.out.slice(1)) assert.ok(!produced.has(o), `unread output ${o} is not computed`);
    assert.equal(record.n, nodes.length, 'the record counts the nodes kept');
    assert.deepEqual(nodes.filter((n) => n.opType === 'Identity').map((n) => n.output![0]), [record.out[0]], 'only Y keeps its Identity');
    // Y equals onnxruntime's own LSTM kernel (OnnxLSTM's lowering) on the same weights.
    const ref = lstm['OnnxLSTM']!(data, ...w, zeros, zeros, {});
    const feeds = { x: new ort.Tensor('float32', Float32Array.from(rnd(T * N * I, 4)), [T, N, I]) };
    const ours = await (await ort.InferenceSession.create(emitModel(g))).run(feeds);
    const theirs = await (await ort.InferenceSession.create(emitModel(graphOf(ref[0]!)))).run(feeds);
    close(ours['output0']!.data as Float32Array, theirs['output0']!.data as Float32Array, 1e-5);
    // The reader rebuilds the node with all 10 outputs; an output no node computes is refused once something reads it.
    const read = readModel(emitModel(g)).graph;
    assert.equal(read.nodes.find((n) => n.op === 'OnnxLSTMTrain')!.outputs.length, 10);
    nodes.push({ opType: 'Neg', input: [record.out[1]!], output: ['extra'], name: 'reader' });
    m.graph!.output!.push({ ...m.graph!.output![0]!, name: 'extra' });
    assert.throws(() => readModel(onnx.ModelProto.encode(m).finish()), new RegExp(`output '${record.out[1]}' is not computed by its group`));
  });
});
