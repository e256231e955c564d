/**
 * The tests' python3 references through one long-lived python3 per mocha
 * process (python-server.py): `runPython(script, { input, args })` answers as
 * `spawnSync('python3', ['-c', script, ...args], { input })` would, but numpy,
 * torch (~2 s of CPU per import) and onnx are imported once per process, not
 * once per reference.
 *
 * The call is synchronous like spawnSync: a worker thread owns the python
 * child and its pipes; this thread posts the request and blocks in
 * Atomics.wait until the worker has the answer (receiveMessageOnPort takes
 * it). The server starts on first use and ends with the process: its
 * request pipe closes with it, and python-server.py exits on that EOF. A
 * request that runs past its timeout kills the server and throws an Error
 * naming the timeout and the script; a server
 * that dies (os._exit, a crash) answers that request with a non-zero status
 * and its last output, and the next request starts a new one.
 *
 * Each request runs as a fresh process would (python-server.py says what
 * state is put back); a script that needs a truly fresh interpreter (an
 * environment variable read at import, a test of python's own start) keeps
 * spawnSync. GLUONC_TEST_PYTHON_FRESH=1 runs every request in its own fresh
 * python3 instead (to tell whether a failure comes from sharing the process).
 */
import { spawnSync } from 'node:child_process';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';

/** What a request returns: spawnSync's fields (stdout decoded as UTF-8; `stdoutBytes` raw). */
export interface PythonResult {
  /** The exit status: 0, sys.exit's code, 1 for an exception; the server's own exit code (or 128 + signal) when it died; null when python3 did not start. */
  status: number | null;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** Options as spawnSync's: `input` on stdin, `args` after the script (sys.argv[1:]), `cwd`, `env`; `file` runs a script file instead of code. */
export interface PythonOptions {
  input?: string | Uint8Array;
  args?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds before the request is abandoned and the server killed (default 600000). */
  timeoutMs?: number;
}

const SERVER = join(import.meta.dirname, 'python-server.py');
const DEFAULT_TIMEOUT_MS = 600_000;

/** The worker: starts python3 on first request, writes framed requests to its fd 3, reads framed answers from fd 4. */
const WORKER = String.raw`
const { workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { flag, port, server } = workerData;
let child = null;
let chunks = [], have = 0, need = -1, head = null;
let pending = null;
let tail = '';
function answer(msg) {
  const id = pending;
  pending = null;
  port.postMessage({ id, ...msg }, msg.out ? [msg.out.buffer, msg.err.buffer] : []);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}
function start() {
  tail = ''; chunks = []; have = 0; need = -1; head = null;
  const c = spawn('python3', [server], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  child = c;
  Atomics.store(flag, 1, c.pid || 0);
  const keep = (d) => { tail = (tail + d.toString('utf8')).slice(-6000); };
  c.stdout.on('data', keep);
  c.stderr.on('data', keep);
  c.stdio[3].on('error', () => {});
  c.stdio[4].on('data', (d) => { if (c === child) onData(d); });
  c.on('error', (e) => {
    if (c !== child) return;
    child = null;
    Atomics.store(flag, 1, 0);
    if (pending !== null) answer({ status: null, failure: 'python3 did not start: ' + e.message });
  });
  c.on('exit', (code, signal) => {
    // Let an answer already on the pipe arrive first.
    setTimeout(() => {
      if (c !== child) return;
      child = null;
      Atomics.store(flag, 1, 0);
      if (pending !== null) {
        const how = signal ? 'was killed by ' + signal : 'exited with code ' + code;
        answer({ status: code ?? 128 + (require('node:os').constants.signals[signal] || 0), failure: 'the python3 reference server ' + how + ' during the request; its last output:\n' + tail });
      }
    }, 50);
  });
}
function fail(e) {
  // A bug here must fail the request, not leave the caller waiting for its timeout.
  if (child) child.kill('SIGKILL');
  child = null;
  if (pending !== null) answer({ status: null, failure: 'the reference server worker failed: ' + (e && e.stack || e) });
}
process.on('exit', () => {
  Atomics.store(flag, 2, 1);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
function onData(d) {
  try {
    read(d);
  } catch (e) {
    fail(e);
  }
}
function read(d) {
  chunks.push(d);
  have += d.length;
  for (;;) {
    if (need < 0) {
      if (have < 4) return;
      const b = Buffer.concat(chunks); chunks = [b];
      const n = b.readUInt32LE(0);
      if (have < 4 + n) return;
      head = JSON.parse(b.subarray(4, 4 + n).toString('utf8'));
      chunks = [b.subarray(4 + n)]; have -= 4 + n;
      need = head.out + head.err;
    }
    if (have < need) return;
    const b = Buffer.concat(chunks);
    const out = new Uint8Array(b.subarray(0, head.out));
    const err = new Uint8Array(b.subarray(head.out, need));
    chunks = [b.subarray(need)]; have -= need; need = -1;
    answer({ status: head.status, out, err });
  }
}
port.on('message', (req) => {
  pending = req.id;
  try {
    if (!child || child.exitCode !== null || child.signalCode !== null) start();
    const head = Buffer.from(JSON.stringify(req.head), 'utf8');
    const input = Buffer.from(req.input.buffer, req.input.byteOffset, req.input.byteLength);
    const pre = Buffer.alloc(4); pre.writeUInt32LE(head.length);
    const mid = Buffer.alloc(4); mid.writeUInt32LE(input.length);
    child.stdio[3].write(Buffer.concat([pre, head, mid, input]));
  } catch (e) {
    fail(e);
  }
});
`;

interface Answer {
  id: number;
  status: number | null;
  out?: Uint8Array;
  err?: Uint8Array;
  failure?: string;
}

let state: { worker: Worker; port: MessagePort; flag: Int32Array } | null = null;
let nextId = 1;

function server(): NonNullable<typeof state> {
  if (state) return state;
  // [answers posted, the python pid, 1 once the worker thread has exited]
  const flag = new Int32Array(new SharedArrayBuffer(12));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER, { eval: true, execArgv: [], workerData: { flag, port: port2, server: SERVER }, transferList: [port2] });
  worker.unref();
  port1.unref();
  state = { worker, port: port1, flag };
  return state;
}

function killServer(s: NonNullable<typeof state>): void {
  const pid = Atomics.load(s.flag, 1);
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The first line of a script, for messages. */
const firstLine = (script: string): string => {
  const line = script.trim().split('\n')[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 100)}...` : line;
};

/** Blocks until the answer to request `id` arrives or `deadline` (ms since epoch) passes; null on timeout. */
function await_(s: NonNullable<typeof state>, id: number, deadline: number): Answer | null {
  for (;;) {
    for (let m = receiveMessageOnPort(s.port); m; m = receiveMessageOnPort(s.port)) {
      const a = m.message as Answer;
      if (a.id === id) return a;
    }
    if (Atomics.load(s.flag, 2) === 1) {
      state = null;
      throw new Error('python3 reference server: its worker thread exited; the next request starts a new one');
    }
    const left = deadline - Date.now();
    if (left <= 0) return null;
    const seen = Atomics.load(s.flag, 0);
    // Recheck after reading the counter: an answer posted in between is already on the port.
    const m = receiveMessageOnPort(s.port);
    if (m) {
      const a = m.message as Answer;
      if (a.id === id) return a;
      continue;
    }
    Atomics.wait(s.flag, 0, seen, left);
  }
}

/**
 * Runs `script` (python source, as `python3 -c script ...args`) in the reference server.
 *
 * ```ts
 * const r = runPython('import json, sys; print(json.load(sys.stdin) * 2)', { input: '21' }); // r.status 0, r.stdout '42\n'
 * ```
 */
export function runPython(script: string, options: PythonOptions = {}): PythonResult {
  return request({ script }, script, options);
}

/** Runs the python file at `path` (as `python3 path ...args`: sys.path[0] is its folder, `__file__` is set). */
export function runPythonFile(path: string, options: PythonOptions = {}): PythonResult {
  return request({ file: path }, path, options);
}

/** Set to 1, every request runs in its own fresh python3 (spawnSync), as before the server: to tell whether a failure comes from sharing the process. */
export const FRESH_ENV = 'GLUONC_TEST_PYTHON_FRESH';

function request(what: { script?: string; file?: string }, label: string, options: PythonOptions): PythonResult {
  if (process.env[FRESH_ENV] === '1') {
    const r = spawnSync('python3', what.file !== undefined ? [what.file, ...(options.args ?? [])] : ['-c', what.script!, ...(options.args ?? [])], {
      input: options.input,
      cwd: options.cwd,
      env: options.env,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxBuffer: 1 << 30,
    });
    if (r.error && r.signal === 'SIGTERM') throw new Error(`python3 (${FRESH_ENV}=1): the request did not finish within ${(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000} s (script: ${firstLine(label)})`);
    return { status: r.status, stdout: r.stdout.toString('utf8'), stdoutBytes: r.stdout, stderr: r.error ? String(r.error) : r.stderr.toString('utf8') };
  }
  const s = server();
  const id = nextId++;
  const input = options.input === undefined ? new Uint8Array(0) : typeof options.input === 'string' ? Buffer.from(options.input, 'utf8') : options.input;
  const head = { ...what, argv: [...(options.args ?? [])], cwd: options.cwd ?? process.cwd(), env: options.env ?? process.env };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Our own copy (transferred to the worker, so the caller's buffer stays whole).
  const copy = new Uint8Array(input);
  s.port.postMessage({ id, head, input: copy }, [copy.buffer]);
  let a = await_(s, id, Date.now() + timeoutMs);
  if (!a) {
    killServer(s);
    a = await_(s, id, Date.now() + 10_000);
    if (!a) {
      // The worker itself is stuck: start over with a new one.
      void s.worker.terminate();
      state = null;
    }
    throw new Error(`python3 reference server: the request did not finish within ${timeoutMs / 1000} s; the server was killed (script: ${firstLine(label)})`);
  }
  if (a.failure !== undefined) {
    return { status: a.status, stdout: '', stdoutBytes: Buffer.alloc(0), stderr: `${a.failure}\n(script: ${firstLine(label)})` };
  }
  const stdoutBytes = Buffer.from(a.out!.buffer, a.out!.byteOffset, a.out!.byteLength);
  return { status: a.status, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr: Buffer.from(a.err!).toString('utf8') };
}

/** As `execFileSync('python3', ['-c', script, ...args])`: the script's stdout, or an Error with its exit status and stderr. */
export function pythonStdout(script: string, options: PythonOptions = {}): string {
  const r = runPython(script, options);
  if (r.status !== 0) throw new Error(`python3 failed (exit status ${r.status}): ${r.stderr}`);
  return r.stdout;
}
