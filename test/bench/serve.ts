/**
 * The serving benchmark (`npm run bench -- serve`), loopback only:
 * (a) `loadModel(...).run` at batch 1 on the MLP against a raw
 *     onnxruntime-node `InferenceSession.run` on the same file (target:
 *     within 1.1x);
 * (b) 10,000 KServe v2 infer requests (one MNIST digit each, 784 floats in JSON) at
 *     concurrency 64 against `gluonc serve` (a child process) with the
 *     MLP, with and without dynamic batching: throughput, p50/p99 latency,
 *     errors, every answer compared with a direct run, server memory after
 *     warm-up and at the end (targets: >= 5,000 requests/s with batching,
 *     p99 < 20 ms, zero errors, memory flat).
 * Invariant: nothing is asserted; every figure is measured in this run.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../../runtime/load-model.js';
import { mlpArtifact } from '../helpers/mlp-artifact.js';
import { startServeProcess } from '../helpers/serve-process.js';
import { compare, type BenchTable, type Timing } from './harness.js';

const REQUESTS = 10_000;
const WARMUP = 5_000;
const CONCURRENCY = 64;
const DISTINCT = 256;

interface LoadResult {
  seconds: number;
  latencies: number[];
  errors: string[];
  maxDiff: number;
}

/**
 * A lean keep-alive HTTP/1.1 client on one socket (a load generator like
 * wrk: prebuilt request bytes, responses framed by Content-Length), so the
 * client costs little of the shared CPU.
 */
class Conn {
  private buf: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  private waiting: ((r: { status: number; body: string }) => void) | null = null;
  private failed: ((e: Error) => void) | null = null;
  private readonly socket: net.Socket;

  constructor(url: URL) {
    this.socket = net.connect(Number(url.port), url.hostname);
    this.socket.setNoDelay(true);
    this.socket.on('data', (c: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
      this.parse();
    });
    this.socket.on('error', (e) => this.failed?.(e));
    this.socket.on('close', () => this.failed?.(new Error('connection closed')));
  }

  send(request: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
      this.socket.write(request);
    });
  }

  close(): void {
    this.failed = null;
    this.socket.destroy();
  }

  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const len = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buf.length < end + 4 + len) return;
    const body = this.buf.toString('utf8', end + 4, end + 4 + len);
    this.buf = this.buf.subarray(end + 4 + len);
    const w = this.waiting!;
    this.waiting = null;
    this.failed = null;
    w({ status: Number(head.slice(9, 12)), body });
  }
}

function requestBytes(url: URL, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
}

/** `count` requests at `concurrency`, each answer checked against `expected` (exported for ad-hoc longer runs). */
export async function load(inferUrl: string, bodies: Buffer[], expected: Float32Array[], count: number, concurrency: number): Promise<LoadResult> {
  const url = new URL(inferUrl);
  const requests = bodies.map((b) => requestBytes(url, b));
  const latencies: number[] = [];
  const errors: string[] = [];
  let maxDiff = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    const conn = new Conn(url);
    try {
      while (next < count) {
        const i = next++;
        const k = i % bodies.length;
        const s = performance.now();
        try {
          const r = await conn.send(requests[k]!);
          latencies.push(performance.now() - s);
          if (r.status !== 200) {
            errors.push(`${r.status} ${r.body.slice(0, 200)}`);
            continue;
          }
          const data = (JSON.parse(r.body) as { outputs: { data: number[] }[] }).outputs[0]!.data;
          const want = expected[k]!;
          if (data.length !== want.length) errors.push(`answer ${i} has ${data.length} values, expected ${want.length}`);
          for (let j = 0; j < want.length; j++) maxDiff = Math.max(maxDiff, Math.abs(data[j]! - want[j]!));
        } catch (e) {
          errors.push(String((e as Error).message));
          return;
        }
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, latencies, errors, maxDiff };
}

function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Runs both parts. */
export async function run(): Promise<BenchTable[]> {
  const { file, dir } = mlpArtifact();
  try {
    // (a) run() against raw session.run at batch 1.
    const model = await loadModel(file, { threads: 1 });
    const x = new Float32Array(784).map((_, i) => Math.sin(i));
    const raw = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const feeds = { x: new ort.Tensor('float32', x, [1, 784]) };
    const t = await compare([
      { name: 'run', fn: () => model.run({ x: { data: x, shape: [1, 784] } }), async: true },
      { name: 'raw', fn: () => raw.run(feeds), async: true },
    ], { budgetMs: 3000, samples: 41 });
    await raw.release();

    // (b) the load test, with and without batching.
    // Real MNIST digits (the MLP's workload), as a TypeScript client holding Float32Arrays sends them.
    const mnist = createRequire(import.meta.url)('mnist') as Record<string, { get(i: number): number[] }>;
    const rows = Array.from({ length: DISTINCT }, (_, k) => Float32Array.from(mnist[String(k % 10)]!.get(Math.floor(k / 10))));
    const expected = rows.map((r) => model.runSync({ x: { data: r, shape: [1, 784] } })['output']!.data as Float32Array);
    const bodies = rows.map((r) => Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', data: Array.from(r) }] })));
    await model.close();

    const loadRows: BenchTable['rows'] = [];
    const notes: string[] = [];
    for (const [label, flags] of [
      ['dynamic batching on', []],
      ['dynamic batching off', ['--no-batching']],
    ] as [string, string[]][]) {
      const child = await startServeProcess(file, flags);
      const base = child.url.replace(/\/v2\/models\/.*$/, '');
      try {
        await load(`${child.url}/infer`, bodies, expected, WARMUP, CONCURRENCY);
        const rssWarm = await metric(base, 'process_resident_memory_bytes');
        // Server memory sampled during the load (every 250 ms).
        const rss: number[] = [];
        const sampler = setInterval(() => void metric(base, 'process_resident_memory_bytes').then((v) => rss.push(v), () => undefined), 250);
        const r = await load(`${child.url}/infer`, bodies, expected, REQUESTS, CONCURRENCY);
        clearInterval(sampler);
        const rssEnd = await metric(base, 'process_resident_memory_bytes');
        rss.push(rssEnd);
        const batches = await metric(base, 'gluonc_batch_size_count');
        const batchRows = await metric(base, 'gluonc_batch_size_sum');
        const lat = [...r.latencies].sort((a, b) => a - b);
        const timing: Timing = { median: pct(lat, 0.5) / 1000, p10: pct(lat, 0.1) / 1000, p90: pct(lat, 0.99) / 1000, samples: lat.length, iters: 1 };
        loadRows.push({
          label,
          ours: timing,
          peers: {},
          note: `${Math.round(REQUESTS / r.seconds)} req/s, p99 ${pct(lat, 0.99).toFixed(2)} ms, errors ${r.errors.length}, max |diff| vs direct run ${r.maxDiff.toExponential(1)}`,
        });
        notes.push(
          `${label}: ${REQUESTS} requests in ${r.seconds.toFixed(2)} s = ${Math.round(REQUESTS / r.seconds)} req/s; p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms; ` +
            `${r.errors.length} errors${r.errors.length ? ` (first: ${r.errors[0]})` : ''}; mean rows per model run ${(batchRows / batches).toFixed(1)} (over warm-up and load); ` +
            `server RSS ${(rssWarm / 2 ** 20).toFixed(1)} MiB after warm-up, ${(Math.min(...rss) / 2 ** 20).toFixed(1)}–${(Math.max(...rss) / 2 ** 20).toFixed(1)} MiB during the load (${rss.length} samples), ${(rssEnd / 2 ** 20).toFixed(1)} MiB at the end`,
        );
      } finally {
        child.proc.kill('SIGTERM');
        await child.exited;
      }
    }
    return [
      {
        title: 'serve: loadModel(...).run vs raw onnxruntime-node session.run, MLP batch 1, µs per call',
        unit: 'us',
        oursLabel: 'model.run',
        peers: ['raw session.run'],
        rows: [{ label: 'MLP 784-256-128-10, batch 1', ours: t['run'], peers: { 'raw session.run': t['raw'] } }],
        notes: ['Both with 1 intra-op thread on the same file; `run` validates the feed, then runs inline (short runs). Target: ratio column >= 0.91 (within 1.1x).'],
      },
      {
        title: `serve: ${REQUESTS} KServe v2 infer requests at concurrency ${CONCURRENCY} (MLP, one MNIST digit each, JSON), latency in ms`,
        unit: 'ms',
        oursLabel: 'latency p50 (p10–p99)',
        peers: [],
        rows: loadRows,
        notes: [
          ...notes,
          `Loopback; the client (this process: a lean keep-alive HTTP/1.1 load generator on ${CONCURRENCY} sockets) and \`gluonc serve\` (a child process, 1 intra-op thread) share the machine. ${WARMUP} warm-up requests first; answers compared with \`runSync\` on the same file (${DISTINCT} distinct inputs).`,
          'Targets: >= 5,000 req/s with batching, p99 < 20 ms, zero errors, memory flat after warm-up.',
        ],
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
