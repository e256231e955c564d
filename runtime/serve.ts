/**
 * `serve`: an artifact behind the Open Inference Protocol (KServe v2) REST
 * endpoints on node:http, as Triton and KServe clients speak it:
 * `GET /v2/health/live`, `GET /v2/health/ready`, `GET /v2/models/<name>`
 * (metadata), `GET /v2/models/<name>/ready`, `POST /v2/models/<name>/infer`
 * (JSON or the binary tensor data extension), and `GET /metrics`
 * (Prometheus text: requests, errors, latency histogram, batch sizes).
 * Requests are validated, queued (bounded: 503 when full) and dynamically
 * batched (runtime/batcher.ts); a body over the size limit gets 413, a bad
 * request a 4xx `{"error": ...}` — the server never exits on one.
 * Invariants: `close()` (and SIGTERM, with `handleSignals`) stops taking
 * requests — later ones get 503 while the server still listens — and
 * finishes every accepted one before the listener, the sockets and the
 * model are closed.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Batcher, QueueFullError } from './batcher.js';
import { checkFeeds } from './feeds.js';
import { decodeInferRequest, encodeInferResponse, HttpError, modelMetadata } from './kserve.js';
import { loadModel, Model, type LoadModelOptions } from './load-model.js';
import { Counter, Histogram, Registry } from './metrics.js';
import { formatShape } from './tensor.js';

/** Options of `serve`. Example: `{ port: 8000, host: '127.0.0.1', maxBatchSize: 64 }`. */
export interface ServeOptions extends Omit<LoadModelOptions, 'threads'> {
  /** TCP port (default 8000; 0 picks a free one). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** The model name in URLs (default: the file name without `.onnx`). */
  name?: string;
  /** Intra-op threads of each session (default 1: requests are the parallelism). */
  threads?: number;
  /** Dynamic batching (default true; only where the batch dimension is symbolic). */
  batching?: boolean;
  /** The most rows in one merged batch (default 64). */
  maxBatchSize?: number;
  /** How long the first queued request waits for others, in ms (default 0: what arrived in the same event-loop turn). */
  batchWindowMs?: number;
  /** The most requests accepted and not yet answered; past it, 503 (default 256). */
  maxQueue?: number;
  /** Batches running at once (default 1). */
  concurrency?: number;
  /** The largest request body in bytes; past it, 413 (default 64 MiB). */
  maxBodyBytes?: number;
  /** Install SIGTERM/SIGINT handlers that shut down gracefully and exit (default false; the CLI sets it). */
  handleSignals?: boolean;
  /** Where log lines go (default: nowhere). */
  log?: (line: string) => void;
}

/** A running server. */
export interface ServeHandle {
  /** `http://host:port`. */
  url: string;
  host: string;
  port: number;
  /** The model name in URLs. */
  name: string;
  model: Model;
  server: http.Server;
  /** True when requests are merged into batches. */
  batching: boolean;
  /** The `/metrics` text now. */
  metrics(): string;
  /** Stops taking requests, answers every accepted one, closes sockets (and the model when `serve` loaded it). */
  close(): Promise<void>;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const LATENCY_BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  for (const p of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(p) as { name?: string; version?: string };
      if (pkg.name === 'gluonc' && pkg.version) return pkg.version;
    } catch {
      // sources vs dist/: try the next location
    }
  }
  return 'unknown';
}

/**
 * Serves an artifact (a path, or a model already loaded) over HTTP.
 *
 * ```ts
 * const server = await serve('mlp.onnx', { port: 8000 });
 * // curl -d '{"inputs":[{"name":"x","shape":[1,784],"datatype":"FP32","data":[...]}]}' localhost:8000/v2/models/mlp/infer
 * await server.close();
 * ```
 */
export async function serve(artifact: string | Model, options: ServeOptions = {}): Promise<ServeHandle> {
  const log = options.log ?? (() => undefined);
  const owned = typeof artifact === 'string';
  const model =
    typeof artifact === 'string'
      ? await loadModel(artifact, { device: options.device, fallback: options.fallback, threads: options.threads ?? 1, maxBytes: options.maxBytes, offload: options.offload, offloadAboveMs: options.offloadAboveMs, workers: options.workers })
      : artifact;
  const name = options.name ?? model.name;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 2 ** 20;
  const where = `model '${name}'`;

  const reg = new Registry();
  const requests = reg.add(new Counter('gluonc_requests_total', 'HTTP requests answered, by endpoint and status code'));
  const errors = reg.add(new Counter('gluonc_request_errors_total', 'HTTP requests answered with a 4xx or 5xx status, by endpoint and status code'));
  const latency = reg.add(new Histogram('gluonc_request_duration_seconds', 'Time from receiving an infer request to sending its answer', LATENCY_BOUNDS));
  const batchSizes = reg.add(new Histogram('gluonc_batch_size', 'Rows per model run (merged requests count as one run)', [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]));
  const batchRequests = reg.add(new Histogram('gluonc_batch_requests', 'Requests merged into one model run', [1, 2, 4, 8, 16, 32, 64, 128, 256]));
  const queueDepth = reg.add(new Counter('gluonc_queue_depth', 'Infer requests accepted and not yet answered', 'gauge'));
  const rss = reg.add(new Counter('process_resident_memory_bytes', 'Resident memory size in bytes', 'gauge'));
  const heap = reg.add(new Counter('nodejs_heap_used_bytes', 'V8 heap in use, in bytes', 'gauge'));

  const batcher = new Batcher(model, {
    batching: options.batching,
    maxBatchSize: options.maxBatchSize,
    windowMs: options.batchWindowMs,
    maxQueue: options.maxQueue,
    concurrency: options.concurrency,
    onBatch: (rows, n) => {
      batchSizes.observe(rows);
      batchRequests.observe(n);
    },
  });
  reg.onCollect(() => {
    queueDepth.set(batcher.pending);
    const m = process.memoryUsage();
    rss.set(m.rss);
    heap.set(m.heapUsed);
  });

  const base = `/v2/models/${encodeURIComponent(name)}`;
  const serverMeta = JSON.stringify({ name: 'gluonc', version: packageVersion(), extensions: ['binary_tensor_data'] });
  const modelMeta = JSON.stringify(modelMetadata(name, model.inputs, model.outputs));
  let draining = false;
  let active = 0;
  let received = 0;
  let onQuiet: (() => void) | null = null;

  const send = (res: http.ServerResponse, endpoint: string, status: number, body: string | Buffer, headers: http.OutgoingHttpHeaders = JSON_TYPE): void => {
    if (res.headersSent || res.destroyed) return;
    const h: http.OutgoingHttpHeaders = { ...headers, 'Content-Length': Buffer.byteLength(body) };
    if (draining) h['Connection'] = 'close';
    res.writeHead(status, h);
    res.end(body);
    const labels = { endpoint, code: String(status) };
    requests.inc(labels);
    if (status >= 400) errors.inc(labels);
  };
  const fail = (res: http.ServerResponse, endpoint: string, status: number, message: string, extra: http.OutgoingHttpHeaders = {}): void =>
    send(res, endpoint, status, JSON.stringify({ error: message }), { ...JSON_TYPE, ...extra });

  const infer = (req: http.IncomingMessage, res: http.ServerResponse, t0: number): void => {
    const endpoint = 'infer';
    const declared = Number(req.headers['content-length']);
    if (declared > maxBodyBytes) {
      fail(res, endpoint, 413, `the request body (${declared} bytes) is over the limit of ${maxBodyBytes} bytes`, { Connection: 'close' });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > maxBodyBytes) {
        refused = true;
        fail(res, endpoint, 413, `the request body is over the limit of ${maxBodyBytes} bytes`, { Connection: 'close' });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (refused) return;
      let feeds;
      let decoded;
      try {
        const hl = req.headers['inference-header-content-length'];
        decoded = decodeInferRequest(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), hl === undefined ? undefined : Number(hl), model.outputs);
        feeds = checkFeeds(decoded.feeds, model.inputs, where);
      } catch (e) {
        return fail(res, endpoint, e instanceof HttpError ? e.status : 400, (e as Error).message);
      }
      let pending: Promise<Record<string, import('./tensor.js').HostTensor>>;
      try {
        pending = batcher.submit(feeds);
      } catch (e) {
        if (e instanceof QueueFullError) return fail(res, endpoint, 503, e.message, { 'Retry-After': '1' });
        return fail(res, endpoint, 500, (e as Error).message);
      }
      const req2 = decoded;
      pending.then(
        (out) => {
          const { body, headers } = encodeInferResponse(name, req2, out);
          send(res, endpoint, 200, body, headers);
          latency.observe((performance.now() - t0) / 1000);
        },
        (e: Error) => {
          fail(res, endpoint, 500, `inference failed: ${e.message}`);
          latency.observe((performance.now() - t0) / 1000);
        },
      );
    });
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const t0 = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const p = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const only = (m: string, endpoint: string): boolean => {
      if (method === m || (m === 'GET' && method === 'HEAD')) return true;
      fail(res, endpoint, 405, `${method} ${p} is not allowed (use ${m})`, { Allow: m });
      req.resume();
      return false;
    };
    if (p === `${base}/infer` || (p.startsWith(`${base}/versions/`) && p.endsWith('/infer'))) {
      if (!only('POST', 'infer')) return;
      received++;
      if (draining) {
        fail(res, 'infer', 503, 'the server is shutting down; retry on another instance', { 'Retry-After': '1' });
        req.resume();
        return;
      }
      // Accepted: shutdown waits for its answer.
      active++;
      res.once('close', () => {
        active--;
        if (active === 0 && onQuiet) onQuiet();
      });
      return infer(req, res, t0);
    }
    req.resume();
    if (p === '/v2/health/live') {
      if (only('GET', 'live')) send(res, 'live', 200, '{"live":true}');
    } else if (p === '/v2/health/ready') {
      if (only('GET', 'ready')) send(res, 'ready', draining ? 503 : 200, draining ? '{"ready":false}' : '{"ready":true}');
    } else if (p === base || p === `${base}/versions/1`) {
      if (only('GET', 'metadata')) send(res, 'metadata', 200, modelMeta);
    } else if (p === `${base}/ready` || p === `${base}/versions/1/ready`) {
      if (only('GET', 'ready')) send(res, 'ready', draining ? 503 : 200, JSON.stringify({ name, ready: !draining }));
    } else if (p === '/v2') {
      if (only('GET', 'server')) send(res, 'server', 200, serverMeta);
    } else if (p === '/metrics') {
      if (only('GET', 'metrics')) send(res, 'metrics', 200, reg.render(), { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    } else if (p.startsWith('/v2/models/')) {
      const other = decodeURIComponent(p.slice('/v2/models/'.length).split('/')[0] ?? '');
      fail(res, 'other', 404, `unknown model '${other}' (this server serves '${name}')`);
    } else {
      fail(res, 'other', 404, `no endpoint ${method} ${p} (see /v2/models/${name})`);
    }
  };

  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      fail(res, 'other', 500, (e as Error).message);
    }
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ error: `malformed HTTP request (${err.message})` })}`);
    else socket.destroy();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | null = null;
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: finishing ${batcher.pending} accepted requests, then exiting`);
    close().then(
      () => process.exit(0),
      (e: Error) => {
        log(`shutdown failed: ${e.message}`);
        process.exit(1);
      },
    );
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Keep listening while the accepted requests finish: newcomers get a clear 503, not a refused connection.
      draining = true;
      for (const s of signals) process.off(s, onSignal);
      await batcher.drain();
      // Accepted requests whose body was still arriving are answered too.
      if (active > 0) await new Promise<void>((r) => (onQuiet = r));
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(timer);
      if (owned) await model.close();
      const infer = (code: string): number => requests.get({ endpoint: 'infer', code });
      const other = ['400', '404', '413', '500'].reduce((n, c) => n + infer(c), 0);
      log(`server closed: received ${received} infer requests, answered ${infer('200')} with outputs, ${infer('503')} with 503, ${other} with other errors`);
    })();
    return closing;
  };
  if (options.handleSignals) for (const s of signals) process.on(s, onSignal);

  const io = (xs: Model['inputs']) => xs.map((x) => `${x.name} ${x.dtype} ${formatShape(x.shape)}`).join(', ');
  log(`serving model '${name}' (${io(model.inputs)} -> ${io(model.outputs)}) at ${url}${base}; batching ${batcher.batching ? 'on' : `off${batcher.reason ? ` (${batcher.reason})` : ''}`}`);
  return { url, host, port, name, model, server, batching: batcher.batching, metrics: () => reg.render(), close };
}
