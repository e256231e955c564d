/**
 * Starts `gluonc serve` in a child process (test/helpers/serve-child.ts)
 * and waits for its URL; for the SIGTERM test and the serve benchmark.
 *
 * ```ts
 * const child = await startServeProcess(file, ['--no-batching']);
 * await fetch(`${child.url}/infer`, ...); child.proc.kill('SIGTERM'); await child.exited;
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

/** A running server process. */
export interface ServeProcess {
  proc: ChildProcess;
  /** The model URL, e.g. `http://127.0.0.1:PORT/v2/models/mlp`. */
  url: string;
  /** Everything the child wrote on stderr so far. */
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Spawns the server on a free port (unless `--port` is among `flags`) and resolves once it listens. */
export function startServeProcess(artifact: string, flags: string[] = [], timeoutMs = 30000): Promise<ServeProcess> {
  const args = ['--conditions=gluonc-source', '--import', 'tsx', path.join(root, 'test/helpers/serve-child.ts'), artifact, ...(flags.includes('--port') ? [] : ['--port', '0']), ...flags];
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`serve did not start within ${timeoutMs} ms; stderr:\n${err}`));
    }, timeoutMs);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]!, stderr: () => err, exited });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (code ${code}) before listening; stderr:\n${err}`));
    });
  });
}
