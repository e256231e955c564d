import assert from 'node:assert/strict';
import http from 'node:http';
import { rmSync } from 'node:fs';
import { loadModel, serve, type Model, type ServeHandle } from '../../runtime/index.js';
import { mlpArtifact } from '../helpers/mlp-artifact.js';
import { startServeProcess } from '../helpers/serve-process.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: () => Record<string, unknown>;
}

function request(url: string, o: { method?: string; body?: string | Buffer; headers?: Record<string, string | number>; agent?: http.Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? (o.body === undefined ? 'GET' : 'POST'), headers: o.headers, agent: o.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString()) as Record<string, unknown> });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const row = (k: number): number[] => Array.from({ length: 784 }, (_, i) => Math.sin(i * 0.01 + k));
const inferBody = (rows: number[][], extra: object = {}): string =>
  JSON.stringify({ inputs: [{ name: 'x', shape: [rows.length, 784], datatype: 'FP32', data: rows.flat() }], ...extra });
type Output = { name: string; datatype: string; shape: number[]; data: number[] };
const outputsOf = (r: Reply): Output[] => r.json()['outputs'] as Output[];

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

describe('runtime/serve', () => {
  let dir: string;
  let file: string;
  let direct: Model;
  const expected = (rows: number[][]): Float32Array =>
    direct.runSync({ x: { data: Float32Array.from(rows.flat()), shape: [rows.length, 784] } })['output']!.data as Float32Array;

  before(async () => {
    ({ dir, file } = mlpArtifact());
    direct = await loadModel(file, { threads: 1 });
  });
  after(async () => {
    await direct.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('endpoints', () => {
    let s: ServeHandle;
    let m: string;
    before(async () => {
      s = await serve(file, { port: 0, maxBodyBytes: 100_000 });
      m = `${s.url}/v2/models/mlp`;
    });
    after(() => s.close());

    it('health, server and model metadata', async () => {
      assert.deepEqual((await request(`${s.url}/v2/health/live`)).json(), { live: true });
      assert.deepEqual((await request(`${s.url}/v2/health/ready`)).json(), { ready: true });
      assert.deepEqual((await request(`${m}/ready`)).json(), { name: 'mlp', ready: true });
      assert.equal((await request(`${s.url}/v2`)).json()['name'], 'gluonc');
      const meta = await request(m);
      assert.equal(meta.status, 200);
      assert.deepEqual(meta.json(), {
        name: 'mlp',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 784] }],
        outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 10] }],
      });
      assert.deepEqual((await request(`${m}/versions/1`)).json(), meta.json());
    });

    it('infer answers like a direct run (JSON, nested data, id, versioned path)', async () => {
      const r = await request(`${m}/infer`, { body: inferBody([row(1), row(2)], { id: 'req-7' }) });
      assert.equal(r.status, 200);
      assert.equal(r.json()['model_name'], 'mlp');
      assert.equal(r.json()['id'], 'req-7');
      const [out] = outputsOf(r);
      assert.deepEqual([out!.name, out!.datatype, out!.shape], ['output', 'FP32', [2, 10]]);
      close(out!.data, expected([row(1), row(2)]), 'outputs');
      const nested = await request(`${m}/versions/1/infer`, { body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', data: [row(3)] }], outputs: [{ name: 'output' }] }) });
      close(outputsOf(nested)[0]!.data, expected([row(3)]), 'nested');
    });

    it('binary tensor data in and out (the extension Triton clients use)', async () => {
      const x = Float32Array.from(row(4));
      const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }], outputs: [{ name: 'output', parameters: { binary_data: true } }] }));
      const r = await request(`${m}/infer`, { body: Buffer.concat([head, Buffer.from(x.buffer)]), headers: { 'Inference-Header-Content-Length': head.length, 'Content-Type': 'application/octet-stream' } });
      assert.equal(r.status, 200, r.body.toString());
      const n = Number(r.headers['inference-header-content-length']);
      const json = JSON.parse(r.body.subarray(0, n).toString()) as { outputs: { parameters: { binary_data_size: number } }[] };
      assert.equal(json.outputs[0]!.parameters.binary_data_size, 40);
      const bin = r.body.subarray(n);
      close(new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + 40)), expected([row(4)]), 'binary output');
    });

    it('bad requests get 4xx with {"error"} and the server keeps serving', async () => {
      const cases: [string, { method?: string; body?: string }, number, RegExp][] = [
        [`${s.url}/v2/models/other/infer`, { body: inferBody([row(0)]) }, 404, /unknown model 'other' \(this server serves 'mlp'\)/],
        [`${s.url}/nowhere`, {}, 404, /no endpoint GET \/nowhere/],
        [`${m}/infer`, { method: 'GET' }, 405, /GET \/v2\/models\/mlp\/infer is not allowed \(use POST\)/],
        [`${m}/infer`, { body: '{"inputs": [' }, 400, /the request body is not valid JSON/],
        [`${m}/infer`, { body: '{}' }, 400, /the request needs "inputs"/],
        [`${m}/infer`, { body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP64', data: row(0) }] }) }, 400, /input 'x': expected float32 \[N, 784\], got dtype float64/],
        [`${m}/infer`, { body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 784], datatype: 'STRING', data: row(0) }] }) }, 400, /input 'x': unsupported "datatype" "STRING"/],
        [`${m}/infer`, { body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 783], datatype: 'FP32', data: row(0).slice(1) }] }) }, 400, /input 'x': expected float32 \[N, 784\], got shape \[1, 783\] \(dimension 1 is 783, not 784\)/],
        [`${m}/infer`, { body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', data: row(0).slice(1) }] }) }, 400, /input 'x': "data" holds 783 values but "shape" needs 784/],
        [`${m}/infer`, { body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', data: ['a', ...row(0).slice(1)] }] }) }, 400, /input 'x': "data"\[0\] is "a", not a number/],
        [`${m}/infer`, { body: JSON.stringify({ inputs: [{ name: 'y', shape: [1, 784], datatype: 'FP32', data: row(0) }] }) }, 400, /unknown input 'y'/],
        [`${m}/infer`, { body: inferBody([row(0)], { outputs: [{ name: 'nope' }] }) }, 400, /outputs\[0\]: unknown output "nope"/],
        [`${m}/infer`, { body: inferBody([row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7), row(8), row(9)]) }, 413, /over the limit of 100000 bytes/],
      ];
      for (const [url, o, status, pattern] of cases) {
        const r = await request(url, o);
        assert.equal(r.status, status, `${url}: ${r.body.toString()}`);
        assert.match(String(r.json()['error']), pattern);
      }
      assert.equal((await request(`${m}/infer`, { body: inferBody([row(0)]) })).status, 200);
    });

    it('/metrics in Prometheus text format', async () => {
      const r = await request(`${s.url}/metrics`);
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      const text = r.body.toString();
      assert.match(text, /^# TYPE gluonc_requests_total counter$/m);
      assert.match(text, /^gluonc_requests_total\{endpoint="infer",code="200"\} [1-9]\d*$/m);
      assert.match(text, /^gluonc_request_errors_total\{endpoint="infer",code="400"\} [1-9]\d*$/m);
      assert.match(text, /^# TYPE gluonc_request_duration_seconds histogram$/m);
      assert.match(text, /^gluonc_request_duration_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
      assert.match(text, /^gluonc_batch_size_bucket\{le="1"\} \d+$/m);
      assert.match(text, /^gluonc_batch_size_count [1-9]\d*$/m);
      assert.match(text, /^gluonc_queue_depth 0$/m);
    });
  });

  it('dynamic batching merges concurrent requests and answers each with its own rows', async () => {
    const s = await serve(file, { port: 0, batchWindowMs: 100 });
    try {
      assert.equal(s.batching, true);
      const reqs = Array.from({ length: 8 }, (_, k) => (k % 3 === 0 ? [row(10 + k), row(20 + k)] : [row(10 + k)]));
      const replies = await Promise.all(reqs.map((rows) => request(`${s.url}/v2/models/mlp/infer`, { body: inferBody(rows) })));
      replies.forEach((r, k) => {
        assert.equal(r.status, 200);
        const out = outputsOf(r)[0]!;
        assert.deepEqual(out.shape, [reqs[k]!.length, 10]);
        close(out.data, expected(reqs[k]!), `request ${k}`);
      });
      const text = s.metrics();
      const runs = Number(/^gluonc_batch_size_count (\d+)$/m.exec(text)![1]);
      const rows = Number(/^gluonc_batch_size_sum (\d+)$/m.exec(text)![1]);
      assert.equal(rows, 11);
      assert.ok(runs < 8, `8 concurrent requests ran as ${runs} model runs`);
    } finally {
      await s.close();
    }
  });

  it('batching off: one model run per request', async () => {
    const s = await serve(file, { port: 0, batching: false });
    try {
      const replies = await Promise.all([1, 2, 3].map((k) => request(`${s.url}/v2/models/mlp/infer`, { body: inferBody([row(k)]) })));
      replies.forEach((r, i) => close(outputsOf(r)[0]!.data, expected([row(i + 1)]), `request ${i}`));
      assert.match(s.metrics(), /^gluonc_batch_requests_bucket\{le="1"\} 3$/m);
    } finally {
      await s.close();
    }
  });

  it('answers 503 when the queue is full, and the accepted requests still get their answers', async () => {
    const s = await serve(file, { port: 0, maxQueue: 2, batchWindowMs: 300 });
    try {
      const replies = await Promise.all([0, 1, 2, 3, 4].map((k) => request(`${s.url}/v2/models/mlp/infer`, { body: inferBody([row(k)]) })));
      const ok = replies.filter((r) => r.status === 200);
      const busy = replies.filter((r) => r.status === 503);
      assert.equal(ok.length, 2);
      assert.equal(busy.length, 3);
      for (const r of busy) {
        assert.match(String(r.json()['error']), /the server is busy: 2 requests are queued \(maxQueue 2\)/);
        assert.equal(r.headers['retry-after'], '1');
      }
      replies.forEach((r, k) => r.status === 200 && close(outputsOf(r)[0]!.data, expected([row(k)]), `request ${k}`));
    } finally {
      await s.close();
    }
  });

  it('close() finishes accepted requests, then refuses new ones', async () => {
    const s = await serve(file, { port: 0, batchWindowMs: 200 });
    const idle = new http.Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await request(`${s.url}/v2/health/live`, { agent: idle })).status, 200); // an open keep-alive connection
    const pending = [0, 1, 2].map((k) => request(`${s.url}/v2/models/mlp/infer`, { body: inferBody([row(k)]) }));
    await new Promise((r) => setTimeout(r, 50));
    const closed = s.close();
    // A request arriving while the accepted ones finish: a clear 503.
    const late = await request(`${s.url}/v2/models/mlp/infer`, { body: inferBody([row(9)]), agent: idle });
    assert.equal(late.status, 503);
    assert.match(String(late.json()['error']), /the server is shutting down/);
    assert.equal(late.headers['connection'], 'close');
    idle.destroy();
    const replies = await Promise.all(pending);
    replies.forEach((r, k) => {
      assert.equal(r.status, 200);
      close(outputsOf(r)[0]!.data, expected([row(k)]), `request ${k}`);
    });
    await closed;
    assert.equal(s.model.open, false);
    await assert.rejects(request(`${s.url}/v2/health/live`), /ECONNREFUSED/);
  });

  it('SIGTERM under load loses no accepted request; a restarted server answers the rest', async function () {
    this.timeout(120_000);
    const TOTAL = 600;
    // A 50 ms batch window keeps requests queued, so SIGTERM finds accepted requests not yet answered.
    const first = await startServeProcess(file, ['--batch-window', '50']);
    const port = new URL(first.url).port;
    let url = `${first.url}/infer`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const seen = { ok: 0, busy: 0, connection: 0 };
    const other: string[] = [];
    let next = 0;
    let killed = false;
    const done = new Set<number>();
    const client = async (): Promise<void> => {
      while (next < TOTAL) {
        const k = next++;
        for (let attempt = 0; ; attempt++) {
          if (attempt > 400) throw new Error(`request ${k} never got an answer`);
          let r: Reply;
          try {
            r = await request(url, { body: inferBody([row(k)]), agent });
          } catch (e) {
            // Not accepted: the connection was refused or closed before the request was read.
            const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
            if (!['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up'].includes(code)) other.push(String(code));
            seen.connection++;
            await new Promise((res) => setTimeout(res, 20));
            continue;
          }
          if (r.status === 503) {
            assert.match(String(r.json()['error']), /shutting down|busy/);
            seen.busy++;
            await new Promise((res) => setTimeout(res, 20));
            continue;
          }
          assert.equal(r.status, 200, r.body.toString());
          close(outputsOf(r)[0]!.data, expected([row(k)]), `request ${k}`);
          seen.ok++;
          done.add(k);
          if (seen.ok === 150 && !killed) {
            killed = true;
            first.proc.kill('SIGTERM');
          }
          break;
        }
      }
    };
    const restart = (async () => {
      const code = await first.exited;
      assert.equal(code, 0, `the first server exits cleanly after SIGTERM; stderr:\n${first.stderr()}`);
      const second = await startServeProcess(file, ['--port', port]);
      url = `${second.url}/infer`;
      return second;
    })();
    await Promise.all(Array.from({ length: 16 }, client));
    const second = await restart;
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0);
    agent.destroy();

    assert.deepEqual(other, [], 'only connection-level refusals besides answers');
    assert.equal(done.size, TOTAL);
    // Each server answered every request it received, and the client got every one of those answers.
    const counts = (stderr: string) => {
      const m = /received (\d+) infer requests, answered (\d+) with outputs, (\d+) with 503, (\d+) with other errors/.exec(stderr);
      assert.ok(m, `a shutdown summary in:\n${stderr}`);
      return m.slice(1).map(Number);
    };
    const [r1, ok1, busy1, err1] = counts(first.stderr());
    const [r2, ok2, busy2, err2] = counts(second.stderr());
    assert.equal(r1, ok1! + busy1! + err1!, 'the first server answered every request it received');
    assert.equal(r2, ok2! + busy2! + err2!, 'the second server answered every request it received');
    assert.equal(err1! + err2!, 0);
    assert.equal(ok1! + ok2!, seen.ok);
    assert.equal(busy1! + busy2!, seen.busy);
    const atSignal = Number(/SIGTERM: finishing (\d+) accepted requests/.exec(first.stderr())?.[1]);
    assert.ok(atSignal > 0, `SIGTERM came with accepted requests in flight (${atSignal})`);
  });
});
