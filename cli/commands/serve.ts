/**
 * `gluonc serve <artifact.onnx> [--port N] [--host 127.0.0.1]`: the Open
 * Inference Protocol (KServe v2) over HTTP (runtime/serve.ts). Prints the
 * URL on stdout, log lines on stderr; SIGTERM/SIGINT answer the accepted
 * requests (later ones get 503), close idle connections gracefully, then exit 0.
 */
import { serve, type ServeHandle, type ServeOptions } from '../../runtime/index.js';
import { checkDevice } from '../artifact.js';
import { userError, UserError } from '../errors.js';

/** The command-line options of `serve` (commander's parsed strings). */
export interface ServeCliOptions {
  port: string;
  host: string;
  device?: string;
  fallback?: boolean;
  threads?: string;
  workers?: string;
  batching: boolean;
  maxBatch?: string;
  batchWindow?: string;
  maxQueue?: string;
  maxBody?: string;
  maxBytes?: string;
  maxConnections?: string;
  headersTimeout?: string;
  requestTimeout?: string;
  keepAliveTimeout?: string;
  name?: string;
}

function int(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
}

/**
 * Starts serving `artifact` as the CLI does (signals handled, log on stderr).
 *
 * ```ts
 * const server = await runServe('mlp.onnx', { port: '8000', host: '127.0.0.1', batching: true });
 * ```
 */
export async function runServe(artifact: string, o: ServeCliOptions): Promise<ServeHandle> {
  const device = o.device === undefined ? undefined : checkDevice(o.device, { given: o.fallback === true, hint: 'or pass --fallback to serve on the CPU' });
  const window = o.batchWindow === undefined ? undefined : Number(o.batchWindow);
  if (window !== undefined && !(window >= 0)) throw new UserError(`--batch-window must be a number of ms >= 0, got '${o.batchWindow}'`);
  const options: ServeOptions = {
    port: int(o.port, '--port', 0),
    host: o.host,
    name: o.name,
    device,
    fallback: o.fallback,
    threads: int(o.threads, '--threads', 0),
    workers: int(o.workers, '--workers', 1),
    batching: o.batching,
    maxBatchSize: int(o.maxBatch, '--max-batch', 1),
    batchWindowMs: window,
    maxQueue: int(o.maxQueue, '--max-queue', 1),
    maxBodyBytes: int(o.maxBody, '--max-body', 1),
    maxBytes: int(o.maxBytes, '--max-bytes', 1),
    maxConnections: int(o.maxConnections, '--max-connections', 1),
    headersTimeoutMs: int(o.headersTimeout, '--headers-timeout', 1),
    requestTimeoutMs: int(o.requestTimeout, '--request-timeout', 1),
    keepAliveTimeoutMs: int(o.keepAliveTimeout, '--keep-alive-timeout', 1),
    handleSignals: true,
    log: (line) => process.stderr.write(`gluonc serve: ${line}\n`),
  };
  let server: ServeHandle;
  try {
    server = await serve(artifact, options);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`port ${options.port} on ${options.host} is in use; pick another with --port (--port 0 picks a free one)`, { cause: e });
    if (code === 'EACCES') throw new UserError(`port ${options.port} on ${options.host} needs privileges this user lacks; pick another with --port (above 1023)`, { cause: e });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host '${options.host}' is not an address of this machine`, { cause: e });
    throw userError('', e);
  }
  process.stdout.write(`${server.url}/v2/models/${server.name}\n`);
  return server;
}
