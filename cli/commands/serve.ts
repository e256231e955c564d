/**
 * `gluonc serve <artifact.onnx> [--port N] [--host 127.0.0.1]`: the Open
 * Inference Protocol (KServe v2) over HTTP (runtime/serve.ts). Prints the
 * URL on stdout, log lines on stderr; SIGTERM/SIGINT answer the accepted
 * requests (later ones get 503), close idle connections gracefully, then exit 0.
 */
import { Command } from 'commander';
import { serve, type ServeHandle, type ServeOptions } from '../../runtime/serve.js';
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
  const device = o.device;
  if (device !== undefined && device !== 'cpu' && device !== 'cuda') throw new UserError(`--device must be cpu or cuda, got '${device}'`);
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
    throw userError('', e);
  }
  process.stdout.write(`${server.url}/v2/models/${server.name}\n`);
  return server;
}

/**
 * The `serve` subcommand, to add to the program: `program.addCommand(serveCommand())`.
 *
 * ```ts
 * new Command('gluonc').addCommand(serveCommand()).parse(process.argv);
 * ```
 */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve an artifact over the Open Inference Protocol (KServe v2 REST): /v2/health/*, /v2/models/<name>[/infer], /metrics')
    .argument('<artifact>', 'the .onnx artifact')
    .option('-p, --port <n>', 'TCP port (0 picks a free one)', '8000')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--device <device>', 'cpu or cuda', 'cpu')
    .option('--fallback', 'with --device cuda, run on the CPU when CUDA is missing')
    .option('--threads <n>', 'intra-op threads per session (default 1)')
    .option('--workers <n>', 'worker threads for long runs (default 1)')
    .option('--no-batching', 'run every request on its own (no dynamic batching)')
    .option('--max-batch <n>', 'most rows in one merged batch (default 64)')
    .option('--batch-window <ms>', 'how long a request waits for others to batch with (default 0: same event-loop turn)')
    .option('--max-queue <n>', 'most requests waiting; past it, 503 (default 256)')
    .option('--max-body <bytes>', 'largest request body; past it, 413 (default 64 MiB)')
    .option('--max-bytes <bytes>', 'largest model file accepted (default 2 GiB)')
    .option('--max-connections <n>', 'most open connections; past it, new ones are closed (default 1024)')
    .option('--headers-timeout <ms>', "a request's headers must arrive within this time, else 408 (default 10000)")
    .option('--request-timeout <ms>', 'a whole request must arrive within this time, else 408 (default 60000)')
    .option('--keep-alive-timeout <ms>', 'idle keep-alive connections are closed after this time (default 5000)')
    .option('--name <name>', 'model name in URLs (default: the file name without .onnx)')
    .action(async (artifact: string, o: ServeCliOptions) => {
      await runServe(artifact, o);
    });
}
