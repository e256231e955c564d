/**
 * The ONNX reader: gluonc files read back into the same IR (printGraph
 * equal, re-emitted bytes equal, same results), for hand-written chains and
 * for every sample of every operator in the table; files from other tools
 * through the importer (compiler/onnx/import); and clean, named errors for
 * unsupported operators and corrupt or truncated files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNs } from 'onnx-proto';
import { sym } from 'gluonc';
import { compileGraph } from '../../../compiler/compile.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { printGraph } from '../../../compiler/ir/printer.js';
import type { Shape, TensorType } from '../../../compiler/ir/types.js';
import { Value } from '../../../compiler/ir/value.js';
import { emitModel, onnx, readModel, type EmitOptions } from '../../../compiler/onnx/index.js';
import { withScope } from '../../../compiler/ops/errors.js';
import { allOps, hasOp } from '../../../compiler/ops/registry.js';
import { graphOf, Symbol } from '../../../compiler/trace/symbol.js';
import type { HostTensor } from '../../../runtime/tensor.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { CASES } from '../ops/cases/index.js';
import { foreignModel as foreign } from './foreign-model.js';

const f32 = (shape: Shape): TensorType => ({ dtype: 'float32', shape });

function host(shape: number[], values?: number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from(values ?? Array.from({ length: n }, (_v, i) => Math.sin(i * 1.7) * 2)) };
}

function param(name: string, shape: number[]): Symbol {
  return new Symbol(Value.param(name, f32(shape), host(shape)));
}

/** emit -> read: the read graph prints the same and re-emits the same bytes. */
function roundTrip(g: Graph, options: EmitOptions = {}): Graph {
  const bytes = emitModel(g, options);
  const { graph } = readModel(bytes);
  assert.equal(printGraph(graph), printGraph(g));
  assert.deepEqual(emitModel(graph, options), bytes, 're-emitting the read graph gives the same bytes');
  return graph;
}

/** Runs two graphs on the same feeds (concrete types given) and compares every output. */
function sameResults(a: Graph, b: Graph, types: Record<string, TensorType>, feeds: Record<string, HostTensor>): void {
  const ra = compileGraph(a, types)(feeds);
  const rb = compileGraph(b, types)(feeds);
  assert.deepEqual(Object.keys(rb), Object.keys(ra));
  for (const k of Object.keys(ra)) {
    assert.deepEqual(rb[k]!.shape, ra[k]!.shape);
    assert.deepEqual(tensorToNumbers(rb[k]!), tensorToNumbers(ra[k]!), `output ${k}`);
  }
}

/** A model as another tool would write it (no gluonc doc strings); outputs float32 of the given (or no) shape. */
function foreignModel(nodes: OnnxNs.INodeProto[], inputs: [string, Shape][], outputs: [string, Shape | undefined][], inits: [string, HostTensor][] = [], opset = 17): Uint8Array {
  return foreign(nodes, inputs, outputs.map(([n, s]) => [n, { dtype: 'float32', shape: s }]), inits, opset);
}

const T = onnx.AttributeProto.AttributeType;

describe('ONNX reader', () => {
  describe('gluonc files', () => {
    it('reads element-wise chains back into the same graph', () => {
      const x = sym.var('x', { shape: ['N', 3] });
      const y = sym.var('y', { shape: [3] });
      const graphs = [
        graphOf(sym.relu(x)),
        graphOf(sym.add(sym.relu(x), y)),
        graphOf(sym.broadcastMul(sym.broadcastSub(x, y), 2)),
        graphOf(sym.clip(sym.tanh(x), -0.5, 0.5), sym.exp(y)),
        graphOf(sym.where(sym.greater(x, y), sym.sqrt(sym.abs(x)), sym.neg(y))),
        graphOf(sym.gelu(sym.rsqrt(sym.square(x).add(1)))),
        graphOf(sym.relu(x), x, sym.relu(x)),
      ];
      for (const g of graphs) roundTrip(g);
    });

    it('computes the same results after emit -> read -> emit', () => {
      const x = sym.var('x', { shape: ['N', 3] });
      const w = param('w', [3]);
      const g = graphOf(sym.where(sym.lesser(x, w), sym.clip(sym.mul(x, w), -1, 1), sym.sigmoid(x)), sym.sub(x, 1));
      const read = readModel(emitModel(g)).graph;
      sameResults(g, read, { x: f32([4, 3]) }, { x: host([4, 3]) });
    });

    it('keeps parameters (with their data), constants, scopes, dtypes', () => {
      const x = sym.var('x', { shape: ['batch', 2], dtype: 'float64' });
      const w = new Symbol(Value.param('dense0_weight', { dtype: 'float64', shape: [2] }, { dtype: 'float64', shape: [2], data: Float64Array.of(3, -4) }));
      const y = withScope('net/dense0', () => sym.mul(sym.add(x, w), 2));
      const g = graphOf(y);
      const read = roundTrip(g);
      assert.equal(read.params.length, 1);
      assert.equal(read.params[0]!.name, 'dense0_weight');
      assert.deepEqual([...(read.params[0]!.data!.data as Float64Array)], [3, -4]);
      assert.equal(read.constants.length, 1);
      assert.deepEqual([...(read.constants[0]!.data!.data as Float64Array)], [2]);
      assert.deepEqual(read.nodes.map((n) => n.scope), ['net/dense0', 'net/dense0']);
      assert.deepEqual(read.inputs[0]!.type, { dtype: 'float64', shape: ['batch', 2] });
    });

    it('returns the manifest, metadata and opset; manifest params decide what is a parameter', () => {
      const x = sym.var('x', { shape: ['N', 3] });
      const w = param('w', [3]);
      const g = graphOf(sym.mul(x, w));
      const manifest = { format: 1, inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3] }], params: ['w'], producer: 'gluonc 0.1.0' };
      const metadata = { 'gluonc.manifest': JSON.stringify(manifest), note: 'hello' };
      const r = readModel(emitModel(g, { metadata, opset: 19 }));
      assert.deepEqual(r.manifest, manifest);
      assert.deepEqual(r.metadata, metadata);
      assert.equal(r.opset, 19);
      assert.equal(printGraph(r.graph), printGraph(g));
      // A training graph's parameters are graph inputs; the manifest still marks them.
      const t = readModel(emitModel(g, { metadata, paramsAsInputs: true }));
      assert.deepEqual(t.graph.inputs.map((v) => v.name), ['x']);
      assert.deepEqual(t.graph.params.map((v) => [v.name, v.data]), [['w', null]]);
      assert.equal(printGraph(t.graph), printGraph(g));
      // Without a manifest, no metadata, and the inputs stay inputs.
      const plain = readModel(emitModel(g, { paramsAsInputs: true }));
      assert.equal(plain.manifest, null);
      assert.deepEqual(plain.metadata, {});
      assert.deepEqual(plain.graph.inputs.map((v) => v.name), ['x', 'w']);
    });

    it('reads from a file path', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gluonc-read-'));
      try {
        const g = graphOf(sym.relu(sym.var('x', { shape: [2] })));
        const path = join(dir, 'm.onnx');
        writeFileSync(path, emitModel(g));
        assert.equal(printGraph(readModel(path).graph), printGraph(g));
        assert.throws(() => readModel(join(dir, 'missing.onnx')), /readModel: '.*missing\.onnx': cannot read the file/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('checks the types the file declares against the type rules', () => {
      const x = sym.var('x', { shape: ['N', 3] });
      const m = onnx.ModelProto.decode(emitModel(graphOf(sym.relu(x))));
      m.graph!.output![0]!.type!.tensorType!.shape!.dim![1] = { dimValue: 4 };
      const bytes = onnx.ModelProto.encode(m).finish();
      assert.throws(() => readModel(bytes), /readModel: model bytes: node '.*' \(relu\): 'output0' is declared float32\[N, 4\] but the type rule gives float32\[N, 3\]/);
    });

    it('names the node whose gluonc record is broken', () => {
      const x = sym.var('x', { shape: [3] });
      const m = onnx.ModelProto.decode(emitModel(graphOf(sym.exp(sym.relu(x)))));
      const node = m.graph!.node![1]!;
      node.docString = 'gluonc:{"op":"exp",';
      assert.throws(() => readModel(onnx.ModelProto.encode(m).finish()), new RegExp(`node '${node.name}': its gluonc doc string is not valid JSON`));
      node.docString = 'gluonc:{"op":"noSuchOp","attrs":{},"n":1}';
      assert.throws(() => readModel(onnx.ModelProto.encode(m).finish()), /records operator 'noSuchOp'/);
      node.docString = 'gluonc:{"op":"exp","attrs":{},"n":5}';
      assert.throws(() => readModel(onnx.ModelProto.encode(m).finish()), /starts a group of 5 ONNX nodes but only 1 remain/);
    });

    describe('every operator, every table sample', () => {
      for (const def of allOps()) {
        const c = CASES.find((k) => k.op === def.name);
        it(def.name, function () {
          // A host-only operator (imageDecoder) has no graph form: its traced call is an Error (ops.test.ts).
          if (!c?.samples.length || def.hostOnly) this.skip();
          let read = 0;
          for (const s of c!.samples) {
            const vars = s.inputs.map((spec, i) =>
              sym.var(`in${i}`, { shape: spec.symbolic ? ['N', ...spec.shape.slice(1)] : spec.shape, dtype: spec.dtype ?? 'float32' }),
            );
            // Leading arguments (einsum's equation) are the first of `args` and go before the tensors.
            const args = s.args ?? [];
            const lead = def.leading?.length ?? 0;
            const f = (sym as unknown as Record<string, (...a: unknown[]) => Symbol | Symbol[]>)[def.name]!;
            const out = f(...args.slice(0, lead), ...vars, ...args.slice(lead));
            const outs = (Array.isArray(out) ? out : [out]).filter((o) => !o.value.isConst);
            if (!outs.length) continue;
            const g = roundTrip(graphOf(...outs));
            assert.ok(g.nodes.some((n) => n.op === def.name), `the read graph has a ${def.name} node`);
            read++;
          }
          if (!read) this.skip();
        });
      }
    });
  });

  describe('files from other tools', () => {
    it('maps Add, Sub, Mul, Div, Sigmoid, Tanh, Exp, Log, Relu and Identity', async () => {
      const bytes = foreignModel(
        [
          { opType: 'Add', input: ['x', 'b'], output: ['a'], name: 'add0' },
          { opType: 'Mul', input: ['a', 'a'], output: ['m'], name: 'mul0' },
          { opType: 'Sub', input: ['m', 'x'], output: ['s'], name: 'sub0' },
          { opType: 'Exp', input: ['s'], output: ['e'], name: 'exp0' },
          { opType: 'Div', input: ['s', 'e'], output: ['d'], name: 'div0' },
          { opType: 'Sigmoid', input: ['d'], output: ['g'], name: 'sig0' },
          { opType: 'Log', input: ['g'], output: ['l'], name: 'log0' },
          { opType: 'Tanh', input: ['l'], output: ['t'], name: 'tanh0' },
          { opType: 'Relu', input: ['t'], output: ['y'], name: 'relu0' },
          { opType: 'Identity', input: ['a'], output: ['z'], name: 'id0' },
        ],
        [['x', ['batch', 3]]],
        [['y', ['batch', 3]], ['z', undefined]],
        [['b', host([3], [0.5, -1, 2])]],
      );
      const { graph, manifest } = readModel(bytes);
      assert.equal(manifest, null);
      assert.deepEqual(graph.nodes.map((n) => n.op), ['add', 'mul', 'sub', 'exp', 'div', 'sigmoid', 'log', 'tanh', 'relu']);
      assert.deepEqual(graph.params.map((p) => p.name), ['b']);
      assert.deepEqual(graph.outputs.map((o) => [o.name, o.value.type.shape]), [['y', ['batch', 3]], ['z', ['batch', 3]]]);
      const xs = host([2, 3]);
      const session = await ort.InferenceSession.create(bytes);
      const want = await session.run({ x: new ort.Tensor('float32', xs.data as Float32Array, [2, 3]) });
      await session.release();
      const got = compileGraph(graph, { x: f32([2, 3]) })({ x: xs });
      for (const k of ['y', 'z']) {
        const w = [...(want[k]!.data as Float32Array)];
        tensorToNumbers(got[k]!).forEach((v, i) => assert.ok(Math.abs(v - w[i]!) < 1e-6, `${k}[${i}]: ${v} vs ${w[i]}`));
      }
    });

    it('reads MatMul + Add + Relu into dot, add, relu', async function () {
      if (!hasOp('dot')) this.skip();
      const W = host([4, 3]);
      const bytes = foreignModel(
        [
          { opType: 'MatMul', input: ['x', 'W'], output: ['h'], name: 'mm' },
          { opType: 'Add', input: ['h', 'b'], output: ['a'], name: 'badd' },
          { opType: 'Relu', input: ['a'], output: ['y'], name: 'act' },
        ],
        [['x', ['N', 4]]],
        [['y', ['N', 3]]],
        [['W', W], ['b', host([3], [0.1, -0.2, 0.3])]],
      );
      const { graph } = readModel(bytes);
      assert.deepEqual(graph.nodes.map((n) => n.op), ['dot', 'add', 'relu']);
      assert.deepEqual(graph.params.map((p) => p.name), ['W', 'b']);
      assert.deepEqual(graph.outputs[0]!.value.type, f32(['N', 3]));
      const xs = host([5, 4]);
      const session = await ort.InferenceSession.create(bytes);
      const want = [...((await session.run({ x: new ort.Tensor('float32', xs.data as Float32Array, [5, 4]) })).y!.data as Float32Array)];
      await session.release();
      const got = tensorToNumbers(compileGraph(graph, { x: f32([5, 4]) })({ x: xs }).y!);
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `y[${i}]: ${v} vs ${want[i]}`));
      // And it is now a gluonc graph: emit and read again.
      roundTrip(graph);
    });

    it('reads Gemm(transB=1) into FullyConnected and Softmax into softmax', async function () {
      if (!hasOp('FullyConnected') || !hasOp('softmax')) this.skip();
      const bytes = foreignModel(
        [
          { opType: 'Gemm', input: ['x', 'W', 'b'], output: ['h'], name: 'fc', attribute: [{ name: 'transB', type: T.INT, i: 1 }] },
          { opType: 'Softmax', input: ['h'], output: ['y'], name: 'sm', attribute: [{ name: 'axis', type: T.INT, i: 1 }] },
        ],
        [['x', ['N', 4]]],
        [['y', ['N', 3]]],
        [['W', host([3, 4])], ['b', host([3], [0.1, -0.2, 0.3])]],
      );
      const { graph } = readModel(bytes);
      assert.deepEqual(graph.nodes.map((n) => n.op), ['FullyConnected', 'softmax']);
      const xs = host([2, 4]);
      const session = await ort.InferenceSession.create(bytes);
      const want = [...((await session.run({ x: new ort.Tensor('float32', xs.data as Float32Array, [2, 4]) })).y!.data as Float32Array)];
      await session.release();
      const got = tensorToNumbers(compileGraph(graph, { x: f32([2, 4]) })({ x: xs }).y!);
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `y[${i}]: ${v} vs ${want[i]}`));
    });

    it('maps a scaled Gemm and a batched MatMul (onnxruntime on the same file as the reference)', async () => {
      const gemm = foreignModel(
        [{ opType: 'Gemm', input: ['x', 'W'], output: ['y'], name: 'g0', attribute: [{ name: 'alpha', type: T.FLOAT, f: 2 }, { name: 'transB', type: T.INT, i: 1 }] }],
        [['x', [2, 4]]],
        [['y', [2, 3]]],
        [['W', host([3, 4])]],
      );
      const mm = foreignModel([{ opType: 'MatMul', input: ['x', 'x'], output: ['y'], name: 'bmm' }], [['x', [2, 3, 3]]], [['y', [2, 3, 3]]]);
      for (const [bytes, shape] of [[gemm, [2, 4]], [mm, [2, 3, 3]]] as const) {
        const { graph } = readModel(bytes);
        const xs = host([...shape]);
        const session = await ort.InferenceSession.create(bytes);
        const want = [...((await session.run({ x: new ort.Tensor('float32', xs.data as Float32Array, [...shape]) })).y!.data as Float32Array)];
        await session.release();
        const got = tensorToNumbers(compileGraph(graph, { x: f32([...shape]) })({ x: xs }).y!);
        assert.equal(got.length, want.length);
        got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `y[${i}]: ${v} vs ${want[i]}`));
      }
    });

    it('names an unsupported operator and its node', () => {
      const bytes = foreignModel(
        [
          { opType: 'Relu', input: ['x'], output: ['r'], name: 'ok' },
          { opType: 'Foo', input: ['r'], output: ['y'], name: 'bar' },
        ],
        [['x', [2]]],
        [['y', [2]]],
      );
      assert.throws(() => readModel(bytes), { message: "readModel: model bytes: ONNX operator 'Foo' (node 'bar') has no gluonc equivalent" });
      const ms = foreignModel([{ opType: 'FusedMatMul', domain: 'com.microsoft', input: ['x', 'x'], output: ['y'], name: 'fm' }], [['x', [2, 2]]], [['y', [2, 2]]]);
      assert.throws(() => readModel(ms), /ONNX operator 'com\.microsoft\.FusedMatMul' \(node 'fm'\) has no gluonc equivalent/);
    });

    it('names a value no node defines', () => {
      const bytes = foreignModel([{ opType: 'Relu', input: ['nope'], output: ['y'], name: 'r0' }], [['x', [2]]], [['y', [2]]]);
      assert.throws(() => readModel(bytes), /node 'r0' uses 'nope', which no graph input, initializer or earlier node defines/);
    });
  });

  describe('corrupt files', () => {
    const x = sym.var('x', { shape: ['N', 3] });
    const bytes = emitModel(graphOf(sym.clip(sym.add(sym.relu(x), param('w', [3])), 0, 1)));

    it('refuses every truncation with a named error', () => {
      for (let n = 0; n < bytes.length; n++) {
        assert.throws(() => readModel(bytes.subarray(0, n)), (e: Error) => {
          assert.ok(e instanceof Error);
          assert.match(e.message, /^readModel: model bytes: /, `truncated to ${n} bytes: ${e.message}`);
          return true;
        }, `truncated to ${n} of ${bytes.length} bytes`);
      }
    });

    it('names the file and what failed', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gluonc-read-'));
      try {
        const path = join(dir, 'cut.onnx');
        writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
        assert.throws(() => readModel(path), /^Error: readModel: '.*cut\.onnx': not a valid ONNX model: protobuf decoding failed \(.+\); the file is corrupt or truncated$/);
        writeFileSync(path, Uint8Array.of(0xff, 0xff, 0xff, 0xff));
        assert.throws(() => readModel(path), /readModel: '.*cut\.onnx': /);
        writeFileSync(path, new Uint8Array(0));
        assert.throws(() => readModel(path), /readModel: '.*cut\.onnx': empty input/);
        // Another tool's file whose bytes decode but whose operator name is damaged: the refusal names the file too.
        const torch = readFileSync(join(import.meta.dirname, '../../fixtures/onnx/cnn/model.onnx'));
        // NodeProto.op_type is field 4 (tag 0x22), here 7 bytes long.
        const at = torch.indexOf(Buffer.from('\x22\x07MaxPool', 'latin1'));
        assert.ok(at > 0);
        torch[at + 8] = 'q'.charCodeAt(0);
        writeFileSync(path, torch);
        assert.throws(() => readModel(path), /^Error: readModel: '.*cut\.onnx': ONNX operator 'MaxPooq' \(node '\/pool\/MaxPool'\) has no gluonc equivalent$/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('ONNX reader: non-finite attributes', () => {
  it('clip to [-Infinity, 0] survives emit -> read', () => {
    const x = sym.var('x', { shape: [2] });
    const g = graphOf(sym.clip(x, -Infinity, 0));
    const back = readModel(emitModel(g)).graph;
    assert.equal(back.nodes[0]!.attrs['aMin'], -Infinity);
  });
});
