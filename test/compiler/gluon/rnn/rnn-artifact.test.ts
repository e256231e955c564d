/**
 * Recurrent artifacts with a symbolic sequence length: a block exported
 * after calls at two lengths accepts any length and equals the block;
 * `gluonc compile models/lstm.ts` (and its `--train` step) runs at any T; one
 * `gluonc serve` answers requests of different lengths (batching only equal
 * shapes together).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { fromTensorProto } from '../../../../compiler/onnx/proto.js';
import { nd, gluon, init } from 'gluonc';
import { loadModel, serve } from '../../../../runtime/index.js';
import { assertClose } from '../../../helpers/compare.js';
import { gluonc, ROOT } from '../../../helpers/cli.js';
import buildLm from '../../../../models/lstm.js';
import { runPython } from '../../../helpers/python-server.js';

const { rnn, nn } = gluon;

/** GRU (bidirectional, NTC) and a dense head over every step: input [N, T, 3], output [N, T, 2]. */
function tagger(): InstanceType<typeof nn.HybridSequential> {
  const net = new nn.HybridSequential();
  net.add(new rnn.GRU(4, 2, { layout: 'NTC', bidirectional: true, inputSize: 3 }), new nn.Dense(2, { flatten: false, inUnits: 8 }));
  net.initialize(new init.Uniform(0.5));
  return net;
}

const nums = (x: { data: unknown }): number[] => Array.from((typeof x.data === 'function' ? (x as nd.NDArray).data() : x.data) as ArrayLike<number>);

function post(url: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('recurrent artifacts at any sequence length', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-rnn-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a block exported after calls at T=5 and T=9 keeps T symbolic, holds one GRU node per layer, and equals the block at T=3, 5, 9, 14', async () => {
    const net = tagger();
    net.hybridize();
    net.call(nd.random.uniform(-1, 1, [2, 5, 3]));
    net.call(nd.random.uniform(-1, 1, [2, 9, 3]));
    const file = path.join(dir, 'tagger.onnx');
    const { manifest } = net.export(file);
    assert.deepEqual(manifest.inputs[0]!.shape, ['N', 'data_dim1', 3]);
    const ops = onnx.ModelProto.decode(readFileSync(file)).graph!.node!.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === 'GRU').length, 2, `op types: ${ops.join(', ')}`);
    const m = await loadModel(file, { threads: 1 });
    try {
      for (const [N, T] of [[1, 3], [2, 5], [3, 9], [2, 14]] as const) {
        const x = nd.random.uniform(-1, 1, [N, T, 3]);
        const got = m.runSync({ data: { data: x.data() as Float32Array, shape: [N, T, 3] } })['output']!;
        assert.deepEqual(got.shape, [N, T, 2]);
        assertClose(nums(got), nums(net.call(x) as nd.NDArray), `T=${T}`, 1e-4, 1e-5);
      }
      // onnxruntime's GRU kernel aborts the process on an empty batch: the feed is refused first.
      assert.throws(
        () => m.runSync({ data: { data: new Float32Array(0), shape: [0, 4, 3] } }),
        /input 'data': expected float32 \[N, data_dim1, 3\], got shape \[0, 4, 3\] \(dimension 0 is 0\): the model holds ONNX GRU nodes, whose onnxruntime kernels abort the process on an empty batch/,
      );
      await assert.rejects(m.run({ data: { data: new Float32Array(0), shape: [0, 4, 3] } }), /dimension 0 is 0\): the model holds ONNX GRU nodes/);
    } finally {
      await m.close();
    }
  });

  it('a recurrent layer exported without input shapes makes its own batch and time axes symbolic (TNC, states, lengths) and equals the layer at any N and T', async () => {
    for (const layout of ['TNC', 'NTC'] as const) {
      const l = new rnn.LSTM(3, 2, { layout, bidirectional: true, useSequenceLength: true });
      l.initialize(new init.Uniform(0.5));
      l.hybridize();
      const shape = (N: number, T: number) => (layout === 'TNC' ? [T, N, 2] : [N, T, 2]);
      l.call(nd.random.uniform(-1, 1, shape(2, 5)), l.beginState(2), nd.array([5, 3]));
      const file = path.join(dir, `lstm-${layout}.onnx`);
      const { manifest } = l.export(file);
      assert.deepEqual(manifest.inputs.map((i) => i.shape), [layout === 'TNC' ? ['T', 'N', 2] : ['N', 'T', 2], [4, 'N', 3], [4, 'N', 3], ['N']]);
      const m = await loadModel(file, { threads: 1 });
      try {
        for (const [N, T] of [[1, 1], [3, 4], [2, 9]] as const) {
          const x = nd.random.uniform(-1, 1, shape(N, T));
          const states = l.beginState(N).map((s) => nd.random.uniform(-1, 1, s.shape));
          const lens = Array.from({ length: N }, (_v, i) => Math.max(1, T - 2 * i));
          const feeds = Object.fromEntries([x, ...states, nd.array(lens)].map((t, i) => [manifest.inputs[i]!.name, { data: t.data() as Float32Array, shape: t.shape }]));
          const got = m.runSync(feeds);
          const [y, [h, c]] = l.call(x, states, nd.array(lens)) as [nd.NDArray, nd.NDArray[]];
          [y, h!, c!].forEach((want, k) => assertClose(nums(got[manifest.outputs[k]!.name]!), nums(want), `${layout} N=${N} T=${T}: output ${k}`, 1e-4, 1e-5));
        }
      } finally {
        await m.close();
      }
    }
  });

  it('gluonc compile models/lstm.ts --input x:float32[N,T]: the language model runs at any T (a causal model: a prefix gives the same logits)', async () => {
    const out = path.join(dir, 'lm.onnx');
    const r = gluonc(['compile', path.join(ROOT, 'models', 'lstm.ts'), '--input', 'x:float32[N,T]', '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /inputs x float32 \[N, T\]; outputs output float32 \[N, T, 1000\]/);
    const m = await loadModel(out, { threads: 1 });
    try {
      const words = Array.from({ length: 2 * 7 }, (_v, i) => (i * 37) % 1000);
      const long = m.runSync({ x: { data: Float32Array.from(words), shape: [2, 7] } })['output']!;
      const short = m.runSync({ x: { data: Float32Array.from([...words.slice(0, 3), ...words.slice(7, 10)]), shape: [2, 3] } })['output']!;
      assert.deepEqual(long.shape, [2, 7, 1000]);
      assert.deepEqual(short.shape, [2, 3, 1000]);
      const lv = nums(long);
      const prefix = [...lv.slice(0, 3000), ...lv.slice(7000, 10000)];
      assertClose(nums(short), prefix, 'logits of the first 3 steps', 1e-4, 1e-5);
      // A different word at step 3 changes the logits from step 3 on, not before.
      const changed = [...words];
      changed[3] = 999;
      const other = nums(m.runSync({ x: { data: Float32Array.from(changed), shape: [2, 7] } })['output']!);
      assertClose(other.slice(0, 3000), lv.slice(0, 3000), 'steps before the change', 1e-6, 1e-7);
      assert.ok(other.slice(3000, 4000).some((v, i) => Math.abs(v - lv[3000 + i]!) > 1e-6), 'step 3 changed');
    } finally {
      await m.close();
    }
  });

  it('gluonc compile models/lstm.ts: the artifact equals the block (its weights copied in) at T = 1, 2, 37 and 300', async () => {
    const out = path.join(dir, 'lm-any.onnx');
    const r = gluonc(['compile', path.join(ROOT, 'models', 'lstm.ts'), '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    const weights = new Map(onnx.ModelProto.decode(readFileSync(out)).graph!.initializer!.map((t) => [t.name!, fromTensorProto(t)]));
    const lm = buildLm();
    lm.initialize();
    lm.hybridize();
    const params = lm.collectParams();
    for (const [k, p] of params) {
      const w = weights.get(k);
      assert.ok(w, `initializer ${k}`);
      p.setData(nd.array(Array.from(w.data as Float32Array)).reshape(w.shape as number[]));
    }
    const m = await loadModel(out, { threads: 1 });
    try {
      for (const [N, T] of [[2, 1], [1, 2], [3, 37], [1, 300]] as const) {
        const words = Float32Array.from({ length: N * T }, (_v, i) => (i * 131 + 7 * T) % 1000);
        const got = m.runSync({ x: { data: words, shape: [N, T] } })['output']!;
        assert.deepEqual(got.shape, [N, T, 1000]);
        assertClose(nums(got), nums(lm.call(nd.array(Array.from(words)).reshape([N, T])) as nd.NDArray), `T=${T}`, 1e-4, 1e-5);
      }
    } finally {
      await m.close();
    }
  });

  it('gluonc compile models/lstm.ts --train: one training artifact for any T; its output equals the inference artifact and its update is -lr × the loss gradient (finite differences)', async () => {
    const out = path.join(dir, 'lm-train.onnx');
    const r = gluonc(['compile', path.join(ROOT, 'models', 'lstm.ts'), '-o', out, '--train']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /inputs x float32 \[N, T\]/);
    const trainFile = out.replace(/\.onnx$/, '.train.onnx');
    // The Scan bodies are valid ONNX (the onnx package's checker, with shape inference).
    const check = runPython('import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', { args: [trainFile] });
    assert.equal(check.status, 0, check.stderr);
    const model = onnx.ModelProto.decode(readFileSync(trainFile));
    // The LSTM's gradient is one Scan per layer (plus one recomputing the cell states), whatever T is.
    assert.equal(model.graph!.node!.filter((n) => n.opType === 'Scan').length, 4);
    const init = new Map(onnx.ModelProto.decode(readFileSync(out)).graph!.initializer!.map((t) => [t.name!, fromTensorProto(t)]));
    const session = await ort.InferenceSession.create(trainFile);
    const infer = await loadModel(out, { threads: 1 });
    try {
      for (const T of [1, 6]) {
        const N = 2;
        const words = Float32Array.from({ length: N * T }, (_v, i) => (i * 37 + T) % 1000);
        const label = Float32Array.from({ length: N * T * 1000 }, (_v, i) => Math.sin(i * 0.1));
        const feeds = (over: Record<string, Float32Array> = {}, lr = 0): Record<string, ort.Tensor> => {
          const f: Record<string, ort.Tensor> = {
            x: new ort.Tensor('float32', words, [N, T]),
            label: new ort.Tensor('float32', label, [N, T, 1000]),
            lr: new ort.Tensor('float32', Float32Array.from([lr]), []),
            t: new ort.Tensor('float32', Float32Array.from([1]), []),
          };
          for (const name of session.inputNames.filter((n) => !(n in f))) {
            const base = init.get(name.replace(/\.state0$/, ''))!;
            const data = name.endsWith('.state0') ? new Float32Array(base.data.length) : (over[name] ?? (base.data as Float32Array));
            f[name] = new ort.Tensor('float32', data, base.shape as number[]);
          }
          return f;
        };
        const res = await session.run(feeds({}, 1));
        const want = infer.runSync({ x: { data: words, shape: [N, T] } })['output']!;
        assertClose(nums(res['output']!), nums(want), `T=${T}: training output vs the inference artifact`, 1e-4, 1e-5);
        // SGD from zero momentum: new = w - lr * g; check g along itself against central differences of the loss.
        for (const name of ['lstm.l0_h2h_weight', 'lstm.l1_i2h_bias']) {
          const w = init.get(name)!.data as Float32Array;
          const wNew = res[`${name}.new`]!.data as Float32Array;
          const g = w.map((v, i) => v - wNew[i]!);
          const norm2 = g.reduce((a, v) => a + v * v, 0);
          if (T === 1 && name.includes('h2h_weight')) {
            // One step from zero states: the recurrent weights see only h0 = 0.
            assert.equal(norm2, 0, `T=1: ${name} gets no gradient`);
            continue;
          }
          assert.ok(norm2 > 0, `T=${T}: ${name} gets a gradient`);
          // A step of length 0.5: the loss change must stand above float32 rounding (central differences cancel the curvature).
          const eps = 0.5 / Math.sqrt(norm2);
          const loss = async (sgn: number) => (await session.run(feeds({ [name]: w.map((v, i) => v + sgn * eps * g[i]!) })))['loss']!.data[0] as number;
          const numeric = ((await loss(1)) - (await loss(-1))) / (2 * eps);
          assert.ok(Math.abs(numeric - norm2) <= 0.03 * norm2, `T=${T}: ${name}: finite differences ${numeric}, gradient ${norm2}`);
        }
      }
    } finally {
      await infer.close();
      await session.release();
    }
  });

  it('gluonc serve answers requests of different lengths in one server, merging only equal shapes', async () => {
    const net = tagger();
    net.call(nd.random.uniform(-1, 1, [1, 4, 3]));
    net.call(nd.random.uniform(-1, 1, [1, 6, 3]));
    const file = path.join(dir, 'serve-tagger.onnx');
    net.export(file);
    const s = await serve(file, { port: 0, batchWindowMs: 100 });
    try {
      const shapes: [number, number][] = [[1, 3], [2, 3], [1, 5], [1, 5], [2, 9], [1, 3]];
      const xs = shapes.map(([N, T]) => nd.random.uniform(-1, 1, [N, T, 3]));
      const replies = await Promise.all(
        xs.map((x) => post(`${s.url}/v2/models/serve-tagger/infer`, JSON.stringify({ inputs: [{ name: 'data', shape: x.shape, datatype: 'FP32', data: nums(x) }] }))),
      );
      replies.forEach((r, k) => {
        assert.equal(r.status, 200, JSON.stringify(r.json));
        const out = (r.json['outputs'] as { shape: number[]; data: number[] }[])[0]!;
        assert.deepEqual(out.shape, [...xs[k]!.shape.slice(0, 2), 2]);
        assertClose(out.data, nums(net.call(xs[k]!) as nd.NDArray), `request ${k} [${xs[k]!.shape}]`, 1e-4, 1e-5);
      });
      const empty = await post(`${s.url}/v2/models/serve-tagger/infer`, JSON.stringify({ inputs: [{ name: 'data', shape: [0, 4, 3], datatype: 'FP32', data: [] }] }));
      assert.equal(empty.status, 400, JSON.stringify(empty.json));
      assert.match(JSON.stringify(empty.json), /dimension 0 is 0\): the model holds ONNX GRU nodes/);
      const text = s.metrics();
      const runs = Number(/^gluonc_batch_size_count (\d+)$/m.exec(text)![1]);
      const rows = Number(/^gluonc_batch_size_sum (\d+)$/m.exec(text)![1]);
      assert.equal(rows, 8);
      assert.ok(runs >= 3, `three lengths need at least three runs, got ${runs}`);
    } finally {
      await s.close();
    }
  });
});
