/**
 * `serve` and input sizes: a request whose sizes fit the declared shape
 * (symbolic dimensions) but not what the model's operators accept (a
 * symbolic T broadcast against a fixed 5: T must be 5 or 1) is the
 * client's fault, a 400 naming the input, the declared shape and the shape
 * received, on the JSON and the binary forms of the KServe v2 infer route;
 * so are sizes the manifest's constraints refuse before the run (a pooling
 * kernel larger than a symbolic H);
 * a recurrent artifact with a symbolic T answers requests of every length
 * in one server, and requests of unequal shapes are never merged into one
 * batch (each answer equals a direct run of its own request).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, nd, random } from 'gluonc';
import { loadModel, serve, type Model, type ServeHandle } from 'gluonc/runtime';
import { Probe } from '../helpers/layers.js';
import { poolNet } from '../helpers/size-artifacts.js';

interface Answer {
  status: number;
  json: Record<string, unknown>;
}
async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const r = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}
const values = (shape: number[], k: number): number[] => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_v, i) => Math.sin(0.37 * i + k));
const jsonBody = (shape: number[], k: number): string => JSON.stringify({ inputs: [{ name: 'x', shape, datatype: 'FP32', data: values(shape, k) }] });
function binaryBody(shape: number[], k: number): { body: Buffer; headers: Record<string, string> } {
  const x = Float32Array.from(values(shape, k));
  const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape, datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }] }));
  return { body: Buffer.concat([head, Buffer.from(x.buffer)]), headers: { 'Inference-Header-Content-Length': String(head.length), 'Content-Type': 'application/octet-stream' } };
}

describe('runtime/serve: input sizes the model does not fit, and requests of several lengths', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-serve-sizes-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a size the declared shape allows but the model does not fit is a 400 naming the input, [N, T, 8] and the shape received (JSON and binary); a fitting size is a 200', async function () {
    this.timeout(60_000);
    const file = path.join(dir, 'add-t.onnx');
    new Probe((F, x) => F.broadcastAdd(x, nd.ones([1, 5, 8]))).export(file, { inputs: { x: { shape: ['N', 'T', 8] } } });
    const s = await serve(file, { port: 0 });
    try {
      const url = `${s.url}/v2/models/add-t/infer`;
      const ok = await post(url, jsonBody([2, 5, 8], 1));
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      const bin = binaryBody([2, 7, 8], 2);
      for (const r of [await post(url, jsonBody([2, 7, 8], 2)), await post(url, bin.body, bin.headers)]) {
        assert.equal(r.status, 400, JSON.stringify(r.json));
        assert.match(String(r.json['error']), /^'.*add-t\.onnx': input 'x' float32\[2, 7, 8\] \(N = 2, T = 7\) does not fit the model \(declared float32\[N, T, 8\]\): node 'add_\d+' \(ONNX Add; gluonc's add in block 'Probe'\): Attempting to broadcast an axis by a dimension other than 1\. 5 by 7$/);
        assert.deepEqual(r.json['inputs'], [{ name: 'x', datatype: 'FP32', expected: ['N', 'T', 8], received: [2, 7, 8] }]);
      }
      // A declared-shape mismatch (checked before the run) carries the same fields.
      const rank = await post(url, jsonBody([2, 8], 3));
      assert.equal(rank.status, 400);
      assert.deepEqual(rank.json['inputs'], [{ name: 'x', datatype: 'FP32', expected: ['N', 'T', 8], received: [2, 8] }]);
      assert.equal((await post(url, jsonBody([3, 1, 8], 4))).status, 200, 'T = 1 broadcasts (ONNX semantics) and the server kept serving');
      const stats = (await (await fetch(`${s.url}/v2/models/add-t/stats`)).json()) as { model_stats: { inference_stats: { fail: { count: number } } }[] };
      assert.equal(stats.model_stats[0]!.inference_stats.fail.count, 3);
    } finally {
      await s.close();
    }
  });

  it("sizes an operator cannot take (the 5 x 5 pooling of the issue over H = 3) are a 400 before the run, naming x, [1, 3, H, W], the shape received and the need; H = 9 is a 200", async function () {
    this.timeout(60_000);
    const file = path.join(dir, 'pool.onnx');
    poolNet().export(file, { inputs: { x: { shape: [1, 3, 'H', 'W'] } } });
    const s = await serve(file, { port: 0 });
    try {
      const url = `${s.url}/v2/models/pool/infer`;
      const bin = binaryBody([1, 3, 3, 3], 2);
      for (const r of [await post(url, jsonBody([1, 3, 3, 3], 1)), await post(url, bin.body, bin.headers)]) {
        assert.equal(r.status, 400, JSON.stringify(r.json));
        assert.match(String(r.json['error']), /^model 'pool': input 'x' float32\[1, 3, 3, 3\] \(H = 3, W = 3\) does not fit the model \(declared float32\[1, 3, H, W\]\): Pooling \(max\) in block 'HybridSequential\/1' needs H >= 5: kernel \[5, 5\] must fit the input along spatial axis 0$/);
        assert.deepEqual(r.json['inputs'], [{ name: 'x', datatype: 'FP32', expected: [1, 3, 'H', 'W'], received: [1, 3, 3, 3] }]);
      }
      const ok = await post(url, jsonBody([1, 3, 9, 9], 3));
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      assert.deepEqual((ok.json['outputs'] as { shape: number[] }[])[0]!.shape, [1, 3, 1, 1]);
    } finally {
      await s.close();
    }
  });

  it('an LSTM artifact with symbolic T answers T = 3, 5 and 9 in one server; requests of unequal T are not merged (each equals a direct run)', async function () {
    this.timeout(120_000);
    random.seed(7);
    const lstm = new gluon.rnn.LSTM(6, { layout: 'NTC' });
    lstm.initialize();
    lstm.call(nd.random.uniform(-1, 1, [1, 3, 4]));
    const file = path.join(dir, 'lstm.onnx');
    lstm.export(file, { inputs: { x: { shape: ['N', 'T', 4] } } });
    const direct: Model = await loadModel(file);
    // A wide window: the concurrent requests meet in the queue even on a loaded machine.
    const s: ServeHandle = await serve(file, { port: 0, batchWindowMs: 250 });
    try {
      assert.equal(s.batching, true);
      const shapes = [[1, 3, 4], [1, 5, 4], [2, 3, 4], [1, 9, 4]];
      const rs = await Promise.all(shapes.map((sh, k) => post(`${s.url}/v2/models/lstm/infer`, jsonBody(sh, k))));
      rs.forEach((r, k) => {
        assert.equal(r.status, 200, JSON.stringify(r.json));
        const [out] = r.json['outputs'] as { shape: number[]; data: number[] }[];
        const want = direct.runSync({ x: { data: Float32Array.from(values(shapes[k]!, k)), shape: shapes[k]! } })['output']!;
        assert.deepEqual(out!.shape, [shapes[k]![0], shapes[k]![1], 6]);
        want.data.forEach((v, i) => assert.ok(Math.abs(Number(v) - out!.data[i]!) <= 1e-5, `request ${k} [${i}]: ${out!.data[i]} vs ${v}`));
      });
      const bucket = (le: string) => Number(new RegExp(`gluonc_batch_requests_bucket\\{le="${le}"\\} (\\d+)`).exec(s.metrics())![1]);
      assert.equal(bucket('1'), 2, 'T = 5 and T = 9 ran alone');
      assert.equal(bucket('2') - bucket('1'), 1, 'the two T = 3 requests were merged');
      assert.equal(bucket('256'), 3, 'three runs in all');
    } finally {
      await s.close();
      await direct.close();
    }
  });
});
