import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNs } from 'onnx-proto';
import { loadModel, MAX_IR_VERSION, MAX_OPSET, type Model } from '../../runtime/index.js';
import { RETAIN_BYTES } from '../../runtime/load-model.js';
import { checkFeeds } from '../../runtime/feeds.js';
import { mlpArtifact } from '../helpers/mlp-artifact.js';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNs };

type Dims = (number | string)[];
const f32 = (t: { data: unknown } | undefined): number[] => Array.from(t!.data as Float32Array);
const vi = (name: string, dims: Dims, elemType = 1): OnnxNs.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

/** A hand-made ONNX model (not from gluonc): y = x + w, or Relu(x) without `w`. */
function foreignModel(o: { ir?: number; opset?: number; xDims?: Dims; w?: OnnxNs.ITensorProto; second?: boolean; metadata?: Record<string, string> } = {}): Uint8Array {
  const xDims = o.xDims ?? ['batch', 3];
  const nodes: OnnxNs.INodeProto[] = o.w ? [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }] : [{ opType: 'Relu', input: ['x'], output: ['y'] }];
  const inputs = [vi('x', xDims)];
  const outputs = [vi('y', xDims)];
  if (o.second) {
    nodes.push({ opType: 'Relu', input: ['z'], output: ['y2'] });
    inputs.push(vi('z', ['batch', 2]));
    outputs.push(vi('y2', ['batch', 2]));
  }
  return onnx.ModelProto.encode({
    irVersion: o.ir ?? 8,
    producerName: 'hand-made',
    opsetImport: [{ domain: '', version: o.opset ?? 17 }],
    metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: { name: 'g', node: nodes, input: inputs, output: outputs, initializer: o.w ? [o.w] : [] },
  }).finish();
}

/** An initializer `w` [3] stored as external data at `location`. */
function externalW(location: string, extra: Record<string, string> = {}): OnnxNs.ITensorProto {
  return {
    name: 'w',
    dataType: 1,
    dims: [3],
    dataLocation: 1,
    externalData: [{ key: 'location', value: location }, ...Object.entries(extra).map(([key, value]) => ({ key, value }))],
  };
}

describe('runtime/loadModel', () => {
  let dir: string;
  let mlp: string;
  let net: ReturnType<typeof mlpArtifact>['net'];
  const write = (name: string, bytes: Uint8Array | string): string => {
    const f = path.join(dir, name);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, bytes);
    return f;
  };
  const refused = async (file: string, pattern: RegExp, options = {}): Promise<void> => {
    await assert.rejects(loadModel(file, options), (e: Error) => {
      assert.match(e.message, pattern);
      assert.ok(e.message.includes(file), `the message names the file: ${e.message}`);
      return true;
    });
  };

  before(() => {
    ({ dir, file: mlp, net } = mlpArtifact());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('loading and running', () => {
    let model: Model;
    before(async () => {
      model = await loadModel(mlp, { threads: 1 });
    });
    after(() => model.close());

    it('reads inputs and outputs with symbolic dimensions from the manifest', () => {
      assert.deepEqual(model.inputs, [{ name: 'x', dtype: 'float32', shape: ['N', 784] }]);
      assert.deepEqual(model.outputs, [{ name: 'output', dtype: 'float32', shape: ['N', 10] }]);
      assert.equal(model.name, 'mlp');
      assert.equal(model.manifest?.format, 1);
      assert.equal(model.opsets['ai.onnx'], 21);
    });

    it('computes the MLP (float64 reference from the parameters)', async () => {
      const p = net.collectParams();
      const w = p.keys().map((k) => Array.from(p.get(k).data().data() as Float32Array));
      const x = Array.from({ length: 2 * 784 }, (_, i) => Math.cos(i * 0.01));
      const dense = (input: number[], weight: number[], bias: number[], relu: boolean): number[] =>
        bias.map((b, o) => {
          let s = b;
          for (let i = 0; i < input.length; i++) s += weight[o * input.length + i]! * input[i]!;
          return relu ? Math.max(0, s) : s;
        });
      const out = await model.run({ x: { data: Float32Array.from(x), shape: [2, 784] } });
      assert.deepEqual(out['output']!.shape, [2, 10]);
      const got = f32(out['output']);
      for (let r = 0; r < 2; r++) {
        const h1 = dense(x.slice(r * 784, (r + 1) * 784), w[0]!, w[1]!, true);
        const h2 = dense(h1, w[2]!, w[3]!, true);
        const y = dense(h2, w[4]!, w[5]!, false);
        y.forEach((v, i) => assert.ok(Math.abs(v - got[r * 10 + i]!) < 1e-4, `row ${r} output ${i}: ${got[r * 10 + i]} vs ${v}`));
      }
    });

    it('accepts { data, shape } with number arrays, onnxruntime tensors, and runs synchronously', async () => {
      const x = Array.from({ length: 784 }, (_, i) => (i % 7) / 7);
      const a = f32(model.runSync({ x: { data: Float32Array.from(x), shape: [1, 784] } })['output']);
      const b = f32((await model.run({ x: { data: x, shape: [1, 784] } }))['output']);
      const c = f32((await model.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 784]) }))['output']);
      assert.deepEqual(b, a);
      assert.deepEqual(c, a);
    });

    it('runs in a worker with the same results; auto moves runs measured as long to workers', async () => {
      const data = Float32Array.from({ length: 3 * 784 }, (_, i) => Math.sin(i));
      const inline = await model.run({ x: { data, shape: [3, 784] } }, { offload: 'inline' });
      const worker = await model.run({ x: { data, shape: [3, 784] } }, { offload: 'worker' });
      assert.deepEqual(f32(worker['output']), f32(inline['output']));
      assert.deepEqual(data[0], Math.sin(0), 'the caller keeps its feed');

      const m = await loadModel(mlp, { threads: 1, offloadAboveMs: 0 });
      try {
        await m.run({ x: { data, shape: [3, 784] } }); // the first run of a size: inline, not counted (one-time costs)
        await m.run({ x: { data, shape: [3, 784] } }); // unknown cost: inline, measured (> 0 ms)
        assert.deepEqual(m.stats, { inline: 2, worker: 0 });
        await m.run({ x: { data, shape: [3, 784] } }); // now known to be above 0 ms: a worker
        assert.deepEqual(m.stats, { inline: 2, worker: 1 });
      } finally {
        await m.close();
      }
    });

    it('auto decides by the fastest recent run: runs lengthened by preemption stay inline, runs that are all long move', async () => {
      const m = await loadModel(mlp, { threads: 1, offloadAboveMs: 5 });
      const probe = m as unknown as { measure(bucket: number, ms: number): void; bucketOf(h: Record<string, { shape: number[] }>): number };
      const data = new Float32Array(2 * 784).fill(0.25);
      const bucket = probe.bucketOf({ x: { shape: [2, 784] } });
      try {
        await m.run({ x: { data, shape: [2, 784] } }); // the first run of the size (not counted)
        // Six runs a loaded machine stretched to 40 ms and one that took 0.5 ms: the model is fast; inline.
        for (const ms of [40, 40, 0.5, 40, 40, 40, 40]) probe.measure(bucket, ms);
        await m.run({ x: { data, shape: [2, 784] } });
        assert.equal(m.stats.worker, 0);
        // Seven runs all above 5 ms: long; the next run goes to a worker.
        for (let i = 0; i < 7; i++) probe.measure(bucket, 6 + i);
        await m.run({ x: { data, shape: [2, 784] } });
        assert.equal(m.stats.worker, 1);
      } finally {
        await m.close();
      }
    });

    it('close waits for the runs in flight, then refuses runs', async () => {
      const m = await loadModel(mlp, { threads: 1, offload: 'worker', workers: 2 });
      const data = new Float32Array(256 * 784).fill(0.5);
      const runs = Array.from({ length: 6 }, () => m.run({ x: { data, shape: [256, 784] } }));
      const closed = m.close();
      const outs = await Promise.all(runs);
      await closed;
      for (const o of outs) assert.deepEqual(o['output']!.shape, [256, 10]);
      await assert.rejects(m.run({ x: { data, shape: [256, 784] } }), /closed/);
      assert.throws(() => m.runSync({ x: { data, shape: [256, 784] } }), /closed/);
    });
  });

  describe('feed validation', () => {
    let model: Model;
    let two: Model;
    let fixed: Model;
    before(async () => {
      model = await loadModel(mlp, { threads: 1 });
      two = await loadModel(write('two.onnx', foreignModel({ second: true })));
      fixed = await loadModel(write('fixed.onnx', foreignModel({ xDims: [2, 3] })));
    });
    after(async () => {
      await model.close();
      await two.close();
      await fixed.close();
    });
    const x = (shape: number[]) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });
    const bad = async (m: Model, feeds: unknown, pattern: RegExp): Promise<void> => {
      await assert.rejects(m.run(feeds as never), pattern);
      assert.throws(() => m.runSync(feeds as never), pattern);
    };

    it('missing input', () => bad(model, {}, /input 'x': expected float32 \[N, 784\], got nothing \(missing input\)/));
    it('extra input', () => bad(model, { x: x([1, 784]), y: x([1]) }, /unknown input 'y' \(the model's inputs: 'x' float32 \[N, 784\]\)/));
    it('wrong dtype: typed array', () => bad(model, { x: { data: new Float64Array(784), shape: [1, 784] } }, /input 'x': expected float32 \[N, 784\], got data of dtype float64 \(a Float64Array of 784\)/));
    it('wrong dtype: declared', () => bad(model, { x: { ...x([1, 784]), dtype: 'int32' } }, /input 'x': expected float32 \[N, 784\], got dtype int32/));
    it('wrong dtype: onnxruntime tensor', () => bad(model, { x: new ort.Tensor('int32', new Int32Array(784), [1, 784]) }, /input 'x': expected float32 \[N, 784\], got dtype int32/));
    it('wrong rank', () => bad(model, { x: x([784]) }, /input 'x': expected float32 \[N, 784\], got rank 1 shape \[784\]/));
    it('wrong dimension', () => bad(model, { x: x([1, 783]) }, /input 'x': expected float32 \[N, 784\], got shape \[1, 783\] \(dimension 1 is 783, not 784\)/));
    it('data length does not match the shape', () => bad(model, { x: { data: new Float32Array(10), shape: [1, 784] } }, /input 'x': expected float32 \[N, 784\], got 10 elements for shape \[1, 784\] \(784 needed\)/));
    it('invalid shape', () => bad(model, { x: { data: new Float32Array(784), shape: [1, -784] } }, /input 'x': .*got shape \[1,-784\]/));
    it('a symbolic dimension with two sizes', () =>
      bad(two, { x: x([2, 3]), z: x([3, 2]) }, /input 'z': expected float32 \[batch, 2\], got shape \[3, 2\]: dimension 0 \('batch'\) is 3 but input 'x' has batch = 2/));
    it('a typed array alone needs a static shape', async () => {
      await bad(model, { x: new Float32Array(784) }, /input 'x': .*without a shape; the shape has symbolic dimensions, so pass \{ data, shape \}/);
      const out = await fixed.run({ x: new Float32Array([-1, 2, -3, 4, -5, 6]) });
      assert.deepEqual(f32(out['y']), [0, 2, 0, 4, 0, 6]);
      await bad(fixed, { x: new Float32Array(5) }, /input 'x': expected float32 \[2, 3\], got a Float32Array of 5 \(6 elements needed\)/);
    });
    it('feeds that are not an object', () => bad(model, null, /feeds must be an object of inputs by name \('x'\), got null/));
    it('a number list for an integer input: out-of-range or fractional values are refused, never wrapped or truncated', () => {
      // Ranges as numpy's iinfo; int64 from JS numbers is exact only up to 2^53 - 1.
      const input = (dtype: 'int8' | 'uint8' | 'int32' | 'int64') => [{ name: 'ids', dtype, shape: ['N', 2] as (number | string)[] }];
      const feed = (data: number[]) => ({ ids: { data, shape: [1, 2] } });
      const edges = checkFeeds(feed([-128, 127]), input('int8'), 'm');
      assert.deepEqual([...edges['ids']!.data], [-128, 127]);
      assert.deepEqual([...checkFeeds(feed([-(2 ** 53 - 1), 2 ** 53 - 1]), input('int64'), 'm')['ids']!.data], [-(2n ** 53n - 1n), 2n ** 53n - 1n]);
      assert.throws(() => checkFeeds(feed([0, 128]), input('int8'), 'm'), /m: input 'ids': expected int8 \[N, 2\], got data\[1\] = 128, which is out of the range of int8 \[-128, 127\]/);
      assert.throws(() => checkFeeds(feed([-1, 0]), input('uint8'), 'm'), /got data\[0\] = -1, which is out of the range of uint8 \[0, 255\]/);
      assert.throws(() => checkFeeds(feed([2 ** 31, 0]), input('int32'), 'm'), /got data\[0\] = 2147483648, which is out of the range of int32/);
      assert.throws(() => checkFeeds(feed([1.5, 0]), input('int32'), 'm'), /got data\[0\] = 1.5, which is not an integer \(int32\)/);
      assert.throws(() => checkFeeds(feed([NaN, 0]), input('int64'), 'm'), /got data\[0\] = NaN, which is not an integer/);
      assert.throws(() => checkFeeds(feed([2 ** 53, 0]), input('int64'), 'm'), /got data\[0\] = 9007199254740992, which is beyond ±\(2\^53 − 1\)/);
    });
    it('data that is not a typed array', () => bad(model, { x: { data: 'abc', shape: [1, 784] } }, /input 'x': .*got data that is string "abc", not a typed array/));
  });

  describe('files from other tools', () => {
    it('reads inputs and outputs from the graph and runs', async () => {
      const m = await loadModel(write('relu.onnx', foreignModel()));
      assert.equal(m.manifest, null);
      assert.deepEqual(m.inputs, [{ name: 'x', dtype: 'float32', shape: ['batch', 3] }]);
      assert.deepEqual(m.outputs, [{ name: 'y', dtype: 'float32', shape: ['batch', 3] }]);
      const out = await m.run({ x: { data: new Float32Array([-1, 1, 2]), shape: [1, 3] } });
      assert.deepEqual(f32(out['y']), [0, 1, 2]);
      await m.close();
    });

    it('keeps the latest inline outputs of 64 KiB to 2 MiB referenced until the next run, without reusing them', async () => {
      const m = await loadModel(write('relu-retain.onnx', foreignModel()));
      const feed = (rows: number, v: number) => ({ x: { data: new Float32Array(rows * 3).fill(v), shape: [rows, 3] } });
      const rows = Math.ceil(RETAIN_BYTES.min / 12); // [rows, 3] float32: just over 64 KiB
      const first = m.runSync(feed(rows, 2));
      assert.equal(m.retainedOutputs, first);
      const second = m.runSync(feed(rows, -1));
      assert.equal(m.retainedOutputs, second);
      assert.notEqual(second['y']!.data.buffer, first['y']!.data.buffer);
      assert.equal((first['y']!.data as Float32Array)[rows * 3 - 1], 2); // the caller's earlier result is untouched
      assert.equal((second['y']!.data as Float32Array)[0], 0);
      // Outside the bounds nothing is kept (nor anything older).
      m.runSync(feed(2, 1));
      assert.equal(m.retainedOutputs, null);
      m.runSync(feed(rows, 1));
      m.runSync(feed(Math.floor(RETAIN_BYTES.max / 12) + 1, 1));
      assert.equal(m.retainedOutputs, null);
      m.runSync(feed(rows, 1));
      await m.close();
      assert.equal(m.retainedOutputs, null);
    });

    it('loads external data inside the model folder', async () => {
      write('ext/w.bin', Buffer.from(new Float32Array([10, 20, 30]).buffer));
      const m = await loadModel(write('ext/add.onnx', foreignModel({ w: externalW('w.bin', { offset: '0', length: '12' }) })));
      const out = await m.run({ x: { data: new Float32Array([1, 2, 3]), shape: [1, 3] } });
      assert.deepEqual(f32(out['y']), [11, 22, 33]);
      // ... in workers too (they load the file by path).
      const w = await m.run({ x: { data: new Float32Array([1, 2, 3]), shape: [1, 3] } }, { offload: 'worker' });
      assert.deepEqual(f32(w['y']), [11, 22, 33]);
      await m.close();
    });
  });

  describe('refused files', () => {
    it('a file that does not exist', () => refused(path.join(dir, 'nope.onnx'), /: no such file/));
    it('an empty file', () => refused(write('empty.onnx', new Uint8Array(0)), /refused: the file is empty, not an ONNX model/));
    it('a text file', () => refused(write('text.onnx', '{"not": "onnx"}'), /refused: not an ONNX model: the file is text \("\{\\"not\\": \\"onnx\\"\}"\.\.\.\)/));
    it('a zip archive', () => refused(write('model.pt', Buffer.from('PK\x03\x04\x14\x00\x00\x00garbage')), /refused: not an ONNX model: the file is a zip archive/));
    it('random bytes', () => refused(write('random.onnx', Buffer.from([0xff, 0xfe, 0x03, 0x00, 0x91, 0x80, 0x80])), /refused: not an ONNX model: not a valid protobuf ModelProto/));
    it('a protobuf message that is not a model', () => refused(write('tensor.onnx', onnx.TensorProto.encode({ name: 't', dims: [1], dataType: 1, floatData: [1] }).finish()), /refused: not an ONNX model/));
    it('a truncated model', async () => {
      const bytes = readFileSync(mlp);
      for (const cut of [bytes.length - 1, Math.floor(bytes.length / 2), 20]) {
        await refused(write(`cut-${cut}.onnx`, bytes.subarray(0, cut)), /refused: the file is truncated \((field \d+ \(\d+ bytes\)|a varint) at byte \d+ runs past the end of the data/);
      }
    });
    it('a model over the size limit', () => refused(mlp, /refused: the file is 9\d\d\.\d KiB \(\d+ bytes\), over the size limit of 1\.0 KiB \(1024 bytes\) \(maxBytes\)/, { maxBytes: 1024 }));
    it('an IR version onnxruntime cannot run', async () => {
      await refused(write('ir-new.onnx', foreignModel({ ir: MAX_IR_VERSION + 1 })), new RegExp(`refused: IR version ${MAX_IR_VERSION + 1} is newer than onnxruntime-node can run \\(IR 3 to ${MAX_IR_VERSION}\\)`));
      await refused(write('ir-old.onnx', foreignModel({ ir: 2 })), /refused: IR version 2 is older than onnxruntime-node can run/);
      // The limits are onnxruntime's: it loads the newest we accept and refuses the next.
      const ok = await ort.InferenceSession.create(foreignModel({ ir: MAX_IR_VERSION, opset: MAX_OPSET }));
      await ok.release();
      await assert.rejects(ort.InferenceSession.create(foreignModel({ ir: MAX_IR_VERSION + 1 })), /IR version/);
      await assert.rejects(ort.InferenceSession.create(foreignModel({ opset: MAX_OPSET + 1 })), /opset/i);
    });
    it('an opset onnxruntime cannot run', async () => {
      await refused(write('opset-new.onnx', foreignModel({ opset: MAX_OPSET + 1 })), new RegExp(`refused: opset ${MAX_OPSET + 1} \\(ai.onnx\\) is outside what onnxruntime-node runs \\(opsets 7 to ${MAX_OPSET}\\)`));
      await refused(write('opset-old.onnx', foreignModel({ opset: 5 })), /refused: opset 5 \(ai.onnx\) is outside/);
    });
    it('external data at an absolute path', () => refused(write('abs.onnx', foreignModel({ w: externalW('/etc/passwd') })), /refused: tensor 'w' has external data at the absolute path '\/etc\/passwd'; external data must lie in the model's folder/));
    it("external data using '..'", () => refused(write('sub/dotdot.onnx', foreignModel({ w: externalW('../w.bin') })), /refused: tensor 'w' has external data at '\.\.\/w\.bin', which uses '\.\.' to leave the model's folder/));
    it('external data through a symbolic link out of the folder', () => {
      const outside = mkdtempSync(path.join(os.tmpdir(), 'gluonc-outside-'));
      writeFileSync(path.join(outside, 'secret.bin'), Buffer.alloc(12));
      mkdirSync(path.join(dir, 'link'), { recursive: true });
      symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'link', 'w.bin'));
      return refused(write('link/model.onnx', foreignModel({ w: externalW('w.bin') })), /refused: tensor 'w' has external data at 'w\.bin', a symbolic link that leads outside the model's folder/).finally(() =>
        rmSync(outside, { recursive: true, force: true }),
      );
    });
    it('external data that is missing or too short', async () => {
      await refused(write('missing/model.onnx', foreignModel({ w: externalW('w.bin') })), /refused: tensor 'w' has external data at 'w\.bin', which cannot be opened \(ENOENT\)/);
      write('short/w.bin', Buffer.alloc(8));
      await refused(write('short/model.onnx', foreignModel({ w: externalW('w.bin', { offset: '0', length: '12' }) })), /reaching byte 12, past the end of the file \(8 bytes\)/);
    });
    it('external data in a Constant node inside a subgraph', () => {
      const bytes = onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'g',
          input: [vi('c', [], 9)],
          output: [vi('y', [3])],
          node: [{
            opType: 'If', input: ['c'], output: ['y'],
            attribute: [
              { name: 'then_branch', type: 5, g: { name: 't', output: [vi('a', [3])], node: [{ opType: 'Constant', output: ['a'], attribute: [{ name: 'value', type: 4, t: externalW('../../x.bin') }] }] } },
              { name: 'else_branch', type: 5, g: { name: 'e', output: [vi('b', [3])], node: [{ opType: 'Constant', output: ['b'], attribute: [{ name: 'value', type: 4, t: { dims: [3], dataType: 1, floatData: [1, 2, 3] } }] }] } },
            ],
          }],
        },
      }).finish();
      return refused(write('if.onnx', bytes), /refused: tensor 'w' has external data at '\.\.\/\.\.\/x\.bin', which uses '\.\.'/);
    });
    it('a manifest that is not valid JSON', () => refused(write('badmanifest.onnx', foreignModel({ metadata: { 'gluonc.manifest': '{oops' } })), /manifest 'gluonc.manifest' is not valid JSON/));
    it('unknown options', () => assert.rejects(loadModel(mlp, { thread: 1 } as never), /unknown option 'thread'/));
  });
});
