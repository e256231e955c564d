/**
 * The endpoints `serve` answers, as a route table and one handler each:
 * server routes by exact path (`/v2`, `/v2/health/live`, `/v2/health/ready`,
 * `/metrics`) and model routes under `/v2/models/<name>[/versions/<v>]`
 * (metadata, `ready`, `infer`, `stats`). `routeOf` resolves a request to a
 * route or to the 404/405 that explains why there is none: an unknown model,
 * an unknown version of the served model (only version 1 exists), an unknown
 * path under a known model, a wrong method.
 * Invariant: handlers answer through `ServeContext.send`, exactly once.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { QueueFullError, type Batcher } from './batcher.js';
import { checkFeeds, FeedError } from './feeds.js';
import { decodeInferRequest, encodeInferResponse, HttpError, kserveType } from './kserve.js';
import type { Model } from './load-model.js';
import type { Histogram, Registry } from './metrics.js';
import type { HostTensor } from './tensor.js';

/** The one model version a server has. */
export const MODEL_VERSION = '1';

/** Per-model counts and durations as Triton's statistics extension reports them. */
export interface ModelStats {
  /** Rows run (each row of a batched request counts). */
  inferenceCount: number;
  /** Model runs (a merged batch counts once). */
  executionCount: number;
  success: { count: number; ns: number };
  fail: { count: number; ns: number };
  /** When the last infer request was answered (ms since the epoch; 0 before the first). */
  lastInference: number;
}

/** What handlers share: the model, its batcher and metrics, and how to answer. */
export interface ServeContext {
  name: string;
  model: Model;
  batcher: Batcher;
  registry: Registry;
  latency: Histogram;
  stats: ModelStats;
  maxBodyBytes: number;
  serverMeta: string;
  modelMeta: string;
  /** True once shutdown began: infer answers 503, readiness false, every answer closes its connection. */
  readonly draining: boolean;
  /** Counts an infer request as received; returns false when draining (the caller answers 503). */
  accept(res: http.ServerResponse): boolean;
  send(res: http.ServerResponse, endpoint: string, status: number, body: string | Buffer, headers?: http.OutgoingHttpHeaders): void;
  /** Answers `{"error": message, ...fields}`. */
  fail(res: http.ServerResponse, endpoint: string, status: number, message: string, headers?: http.OutgoingHttpHeaders, fields?: Record<string, unknown>): void;
}

/** One endpoint: its method, the metrics label, and its handler. */
export interface Route {
  method: 'GET' | 'POST';
  endpoint: string;
  handle: (ctx: ServeContext, req: http.IncomingMessage, res: http.ServerResponse, t0: number) => void;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** Server routes by exact path. */
export const SERVER_ROUTES: Record<string, Route> = {
  '/v2': { method: 'GET', endpoint: 'server', handle: (c, _q, res) => c.send(res, 'server', 200, c.serverMeta) },
  '/v2/health/live': { method: 'GET', endpoint: 'live', handle: (c, _q, res) => c.send(res, 'live', 200, '{"live":true}') },
  '/v2/health/ready': { method: 'GET', endpoint: 'ready', handle: (c, _q, res) => c.send(res, 'ready', c.draining ? 503 : 200, JSON.stringify({ ready: !c.draining })) },
  '/metrics': {
    method: 'GET',
    endpoint: 'metrics',
    handle: (c, _q, res) => c.send(res, 'metrics', 200, c.registry.render(), { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }),
  },
};

/** Model routes by the path after `/v2/models/<name>[/versions/<v>]`. */
export const MODEL_ROUTES: Record<string, Route> = {
  '': { method: 'GET', endpoint: 'metadata', handle: (c, _q, res) => c.send(res, 'metadata', 200, c.modelMeta) },
  ready: { method: 'GET', endpoint: 'ready', handle: (c, _q, res) => c.send(res, 'ready', c.draining ? 503 : 200, JSON.stringify({ name: c.name, ready: !c.draining })) },
  infer: { method: 'POST', endpoint: 'infer', handle: infer },
  stats: { method: 'GET', endpoint: 'stats', handle: (c, _q, res) => c.send(res, 'stats', 200, JSON.stringify({ model_stats: [statsOf(c)] })) },
};

/** A resolved request: the route, or the status and message explaining why there is none. */
export type Resolved = { route: Route } | { status: 404 | 405; endpoint: string; message: string; allow?: string };

/**
 * Resolves a method and path (without the query) against the route tables.
 *
 * ```ts
 * routeOf('POST', '/v2/models/mlp/versions/1/infer', 'mlp'); // { route: MODEL_ROUTES.infer }
 * routeOf('GET', '/v2/models/mlp/versions/2', 'mlp');        // { status: 404, message: "model 'mlp' has no version '2' ..." }
 * ```
 */
export function routeOf(method: string, p: string, name: string): Resolved {
  const withMethod = (route: Route): Resolved =>
    method === route.method || (route.method === 'GET' && method === 'HEAD')
      ? { route }
      : { status: 405, endpoint: route.endpoint, message: `${method} ${p} is not allowed (use ${route.method})`, allow: route.method };
  const server = Object.hasOwn(SERVER_ROUTES, p) ? SERVER_ROUTES[p] : undefined;
  if (server) return withMethod(server);
  const prefix = '/v2/models/';
  if (!p.startsWith(prefix)) return { status: 404, endpoint: 'other', message: `no endpoint ${method} ${p} (see /v2/models/${name})` };
  const segs = p.slice(prefix.length).split('/');
  let model: string;
  try {
    model = decodeURIComponent(segs[0]!);
  } catch {
    return { status: 404, endpoint: 'other', message: `unknown model '${segs[0]}' (this server serves '${name}')` };
  }
  let rest = segs.slice(1);
  // Triton's `/v2/models/stats`: the statistics of every model (here, one).
  if (model === 'stats' && name !== 'stats' && rest.length === 0) return withMethod(MODEL_ROUTES['stats']!);
  if (model !== name) return { status: 404, endpoint: 'other', message: `unknown model '${model}' (this server serves '${name}')` };
  const base = `/v2/models/${encodeURIComponent(name)}`;
  if (rest[0] === 'versions') {
    const v = rest[1];
    if (v === undefined || v === '') return { status: 404, endpoint: 'other', message: `unknown path ${p} (a version follows /versions/; model '${name}' has version ${MODEL_VERSION})` };
    if (v !== MODEL_VERSION) return { status: 404, endpoint: 'other', message: `model '${name}' has no version '${v}' (its only version is ${MODEL_VERSION})` };
    rest = rest.slice(2);
  }
  const action = rest.join('/');
  const route = Object.hasOwn(MODEL_ROUTES, action) ? MODEL_ROUTES[action] : undefined;
  if (!route) {
    const known = Object.entries(MODEL_ROUTES).map(([k, r]) => `${r.method} ${base}${k ? `/${k}` : ''}`).join(', ');
    return { status: 404, endpoint: 'other', message: `unknown path ${p} (model '${name}' answers ${known})` };
  }
  return withMethod(route);
}

/** The model's entry of Triton's statistics response. */
function statsOf(c: ServeContext): object {
  const s = c.stats;
  return {
    name: c.name,
    version: MODEL_VERSION,
    last_inference: s.lastInference,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: { success: { ...s.success }, fail: { ...s.fail } },
  };
}

/** `POST .../infer`: reads the body (bounded), decodes and checks it, queues it, answers with the outputs. */
function infer(c: ServeContext, req: http.IncomingMessage, res: http.ServerResponse, t0: number): void {
  const endpoint = 'infer';
  if (!c.accept(res)) {
    // Answered once the body is read: the 503 closes the connection, and a socket closed with request bytes unread or still arriving is reset by the kernel, which can discard the 503 unread.
    const answer = (): void => c.fail(res, endpoint, 503, 'the server is shutting down; retry on another instance', { 'Retry-After': '1' });
    if (req.complete) answer(); else req.once('end', answer);
    req.resume();
    return;
  }
  const done = (status: number, answer: () => void): void => {
    answer();
    const ns = Math.round((performance.now() - t0) * 1e6);
    const bucket = status === 200 ? c.stats.success : c.stats.fail;
    bucket.count++;
    bucket.ns += ns;
    c.stats.lastInference = Date.now();
    c.latency.observe(ns / 1e9);
  };
  const refuse = (status: number, message: string, headers: http.OutgoingHttpHeaders = {}): void => done(status, () => c.fail(res, endpoint, status, message, headers));
  // An input the model cannot take, found before the run or by it (sizes its operators do not fit): the client's fault.
  const refuseFeed = (e: FeedError): void => {
    const inputs = e.inputs.map((p) => ({ name: p.name, datatype: kserveType(p.dtype), expected: p.expected, received: p.received }));
    done(400, () => c.fail(res, endpoint, 400, e.message, {}, { inputs }));
  };
  const declared = Number(req.headers['content-length']);
  if (declared > c.maxBodyBytes) {
    refuse(413, `the request body (${declared} bytes) is over the limit of ${c.maxBodyBytes} bytes`, { Connection: 'close' });
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > c.maxBodyBytes) {
      refused = true;
      refuse(413, `the request body is over the limit of ${c.maxBodyBytes} bytes`, { Connection: 'close' });
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    let decoded;
    let feeds: Record<string, HostTensor>;
    try {
      const hl = req.headers['inference-header-content-length'];
      decoded = decodeInferRequest(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), hl === undefined ? undefined : Number(hl), c.model.outputs);
      feeds = checkFeeds(decoded.feeds, c.model.inputs, `model '${c.name}'`, c.model.guards);
    } catch (e) {
      if (e instanceof FeedError) return refuseFeed(e);
      return refuse(e instanceof HttpError ? e.status : 400, (e as Error).message);
    }
    let pending: Promise<Record<string, HostTensor>>;
    try {
      pending = c.batcher.submit(feeds);
    } catch (e) {
      if (e instanceof QueueFullError) return refuse(503, e.message, { 'Retry-After': '1' });
      return refuse(500, (e as Error).message);
    }
    const request = decoded;
    pending.then(
      (out) => {
        const { body, headers } = encodeInferResponse(c.name, request, out);
        done(200, () => c.send(res, endpoint, 200, body, headers));
      },
      (e: Error) => (e instanceof FeedError ? refuseFeed(e) : refuse(500, `inference failed: ${e.message}`)),
    );
  });
}

/** JSON headers. Example: `send(res, 'x', 200, body, JSON_HEADERS)`. */
export const JSON_HEADERS: http.OutgoingHttpHeaders = JSON_TYPE;
