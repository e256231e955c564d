/**
 * Atomic file writes, the one helper every gluonc writer of a file that must
 * never be seen half-written uses (parameters, trainer states, artifacts): a
 * temporary file in the same folder, fsync, then rename over the target, so
 * a crash or kill -9 leaves the old file intact. The temporary file is named
 * `.<name>.<pid>.<random>.tmp`; one left behind by a killed process is removed
 * by the next save or load of the same file (`removeStaleTemps`).
 * Invariant: a temporary file is removed only when the process named in it
 * is no longer running, so a concurrent writer's file is never touched.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Options of `writeFileAtomic`. Example: `{ what: 'Net.export', mkdir: true }`. */
export interface AtomicWriteOptions {
  /** Prefix of error messages (e.g. the API call). */
  what?: string;
  /** Create the folder when missing (default false: a missing folder is an error naming the file). */
  mkdir?: boolean;
}

/**
 * Writes `bytes` to `file` atomically (see the module comment); removes the
 * temporary files of earlier writes of `file` that were killed. On failure
 * the temporary file is removed and the old file (if any) is untouched.
 *
 * ```ts
 * writeFileAtomic('net.safetensors', bytes);
 * writeFileAtomic('out/mlp.onnx', bytes, { what: 'export', mkdir: true });
 * ```
 */
export function writeFileAtomic(file: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    if (options.mkdir) makeFolder(dir);
    removeStaleTemps(file);
    fd = fs.openSync(tmp, 'wx', 0o644);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created
    }
    throw new Error(`${options.what ? `${options.what}: ` : ''}cannot write '${file}': ${writeProblem(file, e)}`);
  }
  // Make the rename durable; not every platform lets a folder be fsynced.
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // best effort
  }
}

/**
 * Makes `dir` and the folders above it that are missing, one level at a time
 * (`mkdir -p`); throws the first failure. Node's own recursive mkdirSync
 * spins forever where a folder cannot be made (under /proc).
 *
 * ```ts
 * makeFolder('out/golden/mlp');
 * ```
 */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' });
      break;
    }
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(d).isDirectory()) throw e; // made meanwhile by another writer: fine
    }
  }
}

/**
 * Why writing `file` failed, in words naming the path at fault: a folder on
 * the way that is a file (mkdir's EEXIST, ENOTDIR), a missing folder, `file`
 * itself a folder, no permission, a read-only or full disk; otherwise the
 * error's own message. Every gluonc writer of files words its errors so.
 *
 * ```ts
 * writeProblem('notes.txt/x.onnx', e); // "'notes.txt' is a file, not a folder"
 * ```
 */
export function writeProblem(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'ENOENT') {
    // The nearest existing folder on the way: a file there is the culprit.
    for (let d = path.dirname(file); ; d = path.dirname(d)) {
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(d);
      } catch {
        // missing (or under a file): look further up
      }
      if (st) {
        if (!st.isDirectory()) return `'${d}' is a file, not a folder`;
        break;
      }
      if (path.dirname(d) === d) break;
    }
    if (code === 'ENOENT' && !fs.existsSync(path.dirname(file))) return `the folder '${path.dirname(file)}' does not exist`;
  }
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOSPC') return 'no space left on the device';
  return e instanceof Error ? e.message : String(e);
}

/**
 * Removes the temporary files that writes of `file` by processes no longer
 * running left in its folder; returns their paths. Best effort: a folder
 * that cannot be read or a file that cannot be removed is left as it is.
 *
 * ```ts
 * removeStaleTemps('net.safetensors'); // ['/models/.net.safetensors.4242.9f3a1c.tmp']
 * ```
 */
export function removeStaleTemps(file: string): string[] {
  const dir = path.dirname(path.resolve(file));
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-z]+\.tmp$/.exec(name.slice(prefix.length));
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(path.join(dir, name));
    } catch {
      // removed by someone else, or not ours to remove
    }
  }
  return removed;
}

/** True when a process with this id runs (EPERM: it runs under another user). */
function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
