/**
 * `serve`: an artifact behind the Open Inference Protocol (KServe v2) REST
 * endpoints on node:http, as Triton and KServe clients speak it — the route
 * table and handlers are in runtime/serve-routes.ts: health, server and model
 * metadata, readiness, `infer` (JSON or the binary tensor data extension),
 * per-model `stats` (Triton's statistics extension) and `/metrics`
 * (Prometheus text). Requests are validated, queued (bounded: 503 when full)
 * and dynamically batched (runtime/batcher.ts); a body over the size limit
 * gets 413, a bad request a 4xx `{"error": ...}` — the server never exits on
 * one. Slow and idle clients are bounded (header, request and keep-alive
 * timeouts; a connection cap).
 * Invariants: `close()` (and SIGTERM, with `handleSignals`) stops taking
 * requests — later ones get 503 with `Connection: close` while the server
 * still listens — answers every accepted one, then closes the listener and
 * ends idle connections gracefully (runtime/http-drain.ts): no request that
 * reached the server goes unanswered, no connection is reset.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Batcher } from './batcher.js';
import { ConnectionTracker } from './http-drain.js';
import { modelMetadata } from './kserve.js';
import { loadModel, Model, type LoadModelOptions } from './load-model.js';
import { Counter, Histogram, Registry } from './metrics.js';
import { JSON_HEADERS, routeOf, type ModelStats, type ServeContext } from './serve-routes.js';
import { formatShape } from './tensor.js';
import { checkOptions, optionKeys } from './check-options.js';

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
  /** The most open connections; past it, new ones are closed at once (default 1024). */
  maxConnections?: number;
  /** A request's headers must arrive within this many ms of its start, or it gets 408 (default 10,000). */
  headersTimeoutMs?: number;
  /** A whole request (headers and body) must arrive within this many ms, or it gets 408 (default 60,000). */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this many ms (default 5,000). */
  keepAliveTimeoutMs?: number;
  /** On close, connections still open after this many ms are destroyed (default 30,000). */
  shutdownTimeoutMs?: number;
  /** Install SIGTERM/SIGINT handlers that shut down gracefully and exit (default false; the CLI sets it). */
  handleSignals?: boolean;
  /** Where log lines go (default: nowhere). */
  log?: (line: string) => void;
}

/** The options `serve` accepts. */
const SERVE_OPTIONS = optionKeys<ServeOptions>({
  device: true, fallback: true, maxBytes: true, offload: true, offloadAboveMs: true, workers: true,
  port: true, host: true, name: true, threads: true, batching: true, maxBatchSize: true, batchWindowMs: true, maxQueue: true, concurrency: true,
  maxBodyBytes: true, maxConnections: true, headersTimeoutMs: true, requestTimeoutMs: true, keepAliveTimeoutMs: true, shutdownTimeoutMs: true,
  handleSignals: true, log: true,
});

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
  checkOptions('serve', options, SERVE_OPTIONS);
  const log = options.log ?? (() => undefined);
  const limits = connectionLimits(options);
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new Error(`serve: name must be a non-empty string (the model's name in /v2/models/<name>), got ${JSON.stringify(options.name)}`);
  }
  const owned = typeof artifact === 'string';
  const model =
    typeof artifact === 'string'
      ? await loadModel(artifact, { device: options.device, fallback: options.fallback, threads: options.threads ?? 1, maxBytes: options.maxBytes, offload: options.offload, offloadAboveMs: options.offloadAboveMs, workers: options.workers })
      : artifact;
  const name = options.name ?? model.name;

  const registry = new Registry();
  const requests = registry.add(new Counter('gluonc_requests_total', 'HTTP requests answered, by endpoint and status code'));
  const errors = registry.add(new Counter('gluonc_request_errors_total', 'HTTP requests answered with a 4xx or 5xx status, by endpoint and status code'));
  const latency = registry.add(new Histogram('gluonc_request_duration_seconds', 'Time from receiving an infer request to sending its answer', LATENCY_BOUNDS));
  const batchSizes = registry.add(new Histogram('gluonc_batch_size', 'Rows per model run (merged requests count as one run)', [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]));
  const batchRequests = registry.add(new Histogram('gluonc_batch_requests', 'Requests merged into one model run', [1, 2, 4, 8, 16, 32, 64, 128, 256]));
  const queueDepth = registry.add(new Counter('gluonc_queue_depth', 'Infer requests accepted and not yet answered', 'gauge'));
  const connections = registry.add(new Counter('gluonc_open_connections', 'Open HTTP connections', 'gauge'));
  const rss = registry.add(new Counter('process_resident_memory_bytes', 'Resident memory size in bytes', 'gauge'));
  const heap = registry.add(new Counter('nodejs_heap_used_bytes', 'V8 heap in use, in bytes', 'gauge'));
  const stats: ModelStats = { inferenceCount: 0, executionCount: 0, success: { count: 0, ns: 0 }, fail: { count: 0, ns: 0 }, lastInference: 0 };

  const batcher = new Batcher(model, {
    batching: options.batching,
    maxBatchSize: options.maxBatchSize,
    windowMs: options.batchWindowMs,
    maxQueue: options.maxQueue,
    concurrency: options.concurrency,
    onBatch: (rows, n) => {
      batchSizes.observe(rows);
      batchRequests.observe(n);
      stats.inferenceCount += rows;
      stats.executionCount++;
    },
  });

  // Shutdown state: `active` infer requests accepted and not yet answered (their bodies may still be arriving).
  let draining = false;
  let active = 0;
  let received = 0;
  let onQuiet: (() => void) | null = null;
  const send = (res: http.ServerResponse, endpoint: string, status: number, body: string | Buffer, headers: http.OutgoingHttpHeaders = JSON_HEADERS): void => {
    if (res.headersSent || res.destroyed) return;
    const h: http.OutgoingHttpHeaders = { ...headers, 'Content-Length': Buffer.byteLength(body) };
    if (draining) h['Connection'] = 'close';
    res.writeHead(status, h);
    res.end(body);
    const labels = { endpoint, code: String(status) };
    requests.inc(labels);
    if (status >= 400) errors.inc(labels);
  };
  const ctx: ServeContext = {
    name,
    model,
    batcher,
    registry,
    latency,
    stats,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 2 ** 20,
    serverMeta: JSON.stringify({ name: 'gluonc', version: packageVersion(), extensions: ['binary_tensor_data', 'statistics'] }),
    modelMeta: JSON.stringify(modelMetadata(name, model.inputs, model.outputs)),
    get draining() {
      return draining;
    },
    accept: (res) => {
      received++;
      if (draining) return false;
      active++;
      res.once('close', () => {
        active--;
        if (active === 0) onQuiet?.();
      });
      return true;
    },
    send,
    fail: (res, endpoint, status, message, extra = {}, fields = {}) => send(res, endpoint, status, JSON.stringify({ error: message, ...fields }), { ...JSON_HEADERS, ...extra }),
  };

  const server = http.createServer(
    { keepAliveTimeout: limits.keepAliveTimeoutMs, headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: limits.checkEveryMs },
    (req, res) => {
      const t0 = performance.now();
      try {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const r = routeOf(req.method ?? 'GET', q < 0 ? url : url.slice(0, q), name);
        if ('route' in r) {
          if (r.route.endpoint !== 'infer') req.resume();
          return r.route.handle(ctx, req, res, t0);
        }
        req.resume();
        ctx.fail(res, r.endpoint, r.status, r.message, r.allow ? { Allow: r.allow } : {});
      } catch (e) {
        ctx.fail(res, 'other', 500, (e as Error).message);
      }
    },
  );
  server.maxConnections = limits.maxConnections;
  const tracker = new ConnectionTracker(server);
  registry.onCollect(() => {
    queueDepth.set(batcher.pending);
    connections.set(tracker.size);
    const m = process.memoryUsage();
    rss.set(m.rss);
    heap.set(m.heapUsed);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = timeout ? '408 Request Timeout' : '400 Bad Request';
    const message = timeout ? `the request did not arrive within the time limit (headers ${limits.headersTimeoutMs} ms, whole request ${limits.requestTimeoutMs} ms)` : `malformed HTTP request (${err.message})`;
    if (socket.writable && err.code !== 'ECONNRESET') socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ error: message })}`);
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
    log(`${sig}: finishing ${active} accepted requests, then exiting`);
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
      await tracker.drain({ quietMs: limits.drainQuietMs, hardTimeoutMs: limits.shutdownTimeoutMs });
      if (owned) await model.close();
      const infer = (code: string): number => requests.get({ endpoint: 'infer', code });
      const other = ['400', '404', '405', '408', '413', '500'].reduce((n, c) => n + infer(c), 0);
      log(`server closed: received ${received} infer requests, answered ${infer('200')} with outputs, ${infer('503')} with 503, ${other} with other errors`);
    })();
    return closing;
  };
  if (options.handleSignals) for (const s of signals) process.on(s, onSignal);

  const io = (xs: Model['inputs']) => xs.map((x) => `${x.name} ${x.dtype} ${formatShape(x.shape)}`).join(', ');
  const base = `/v2/models/${encodeURIComponent(name)}`;
  log(`serving model '${name}' (${io(model.inputs)} -> ${io(model.outputs)}) at ${url}${base}; batching ${batcher.batching ? 'on' : `off${batcher.reason ? ` (${batcher.reason})` : ''}`}`);
  return { url, host, port, name, model, server, batching: batcher.batching, metrics: () => registry.render(), close };
}

/** The connection limits with their defaults (see ServeOptions). */
function connectionLimits(o: ServeOptions) {
  const ms = (v: number | undefined, d: number, what: string): number => {
    if (v === undefined) return d;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new Error(`serve: ${what} must be a positive number of ms, got ${JSON.stringify(v)}`);
    return v;
  };
  const requestTimeoutMs = ms(o.requestTimeoutMs, 60_000, 'requestTimeoutMs');
  const headersTimeoutMs = Math.min(ms(o.headersTimeoutMs, 10_000, 'headersTimeoutMs'), requestTimeoutMs);
  const maxConnections = o.maxConnections ?? 1024;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new Error(`serve: maxConnections must be a positive integer, got ${JSON.stringify(o.maxConnections)}`);
  return {
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: ms(o.keepAliveTimeoutMs, 5_000, 'keepAliveTimeoutMs'),
    // Node checks the header and request timeouts this often (its default, 30 s, would let them overrun).
    checkEveryMs: Math.max(10, Math.min(1000, headersTimeoutMs / 4)),
    maxConnections,
    drainQuietMs: 100,
    shutdownTimeoutMs: ms(o.shutdownTimeoutMs, 30_000, 'shutdownTimeoutMs'),
  };
}
