/**
 * MXNet's `gluon.utils.check_sha1` and `download` (python/mxnet/gluon/
 * utils.py), with node:crypto and Node's fetch:
 * - `checkSha1(filename, sha1Hash)`: whether the file's SHA-1 (lowercase
 *   hex) equals `sha1Hash`;
 * - `download(url, path, overwrite, sha1Hash, retries, verifySsl)`: the
 *   file at `path` (a folder: the URL's last part in it; absent: that name
 *   in the current folder), fetched only when `overwrite`, missing, or its
 *   SHA-1 differs from `sha1Hash` (a cached file is downloaded again); the
 *   fetch goes to a temporary file renamed over the target; a failure or a
 *   download whose SHA-1 differs is retried `retries` times (MXNet's
 *   loop), then is an Error naming the file and the expected and actual
 *   sums. Departures: it returns a Promise of the path (Node's fetch is
 *   asynchronous), prints nothing, and `verifySsl: false` is refused
 *   (Node's fetch always verifies certificates).
 * - `repoFileUrl(namespace, name)`: MXNet's `_get_repo_file_url`, under
 *   `$MXNET_GLUON_REPO` or MXNet's S3 repository.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bindArgs, type KwArgs } from './bind-args.js';
import { showValue } from './show-value.js';

/** MXNet's default repository of datasets and models (`_get_repo_url`). */
const MXNET_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/';

/** `$MXNET_GLUON_REPO` (with a trailing '/') or MXNet's S3 repository, then `namespace/name`. Example: `repoFileUrl('gluon/dataset/mnist', 't10k-images-idx3-ubyte.gz')`. */
export function repoFileUrl(namespace: string, name: string): string {
  let base = process.env.MXNET_GLUON_REPO || MXNET_REPO;
  if (!base.endsWith('/')) base += '/';
  return `${base}${namespace}/${name}`;
}

/** The SHA-1 of a file's bytes, lowercase hex. */
export function fileSha1(filename: string): string {
  return createHash('sha1').update(readFileSync(filename)).digest('hex');
}

/**
 * Whether the SHA-1 of `filename`'s content equals `sha1Hash` (MXNet's
 * `check_sha1`: the hex digest compared as a string).
 *
 * ```ts
 * gluon.utils.checkSha1('train-images-idx3-ubyte.gz', '6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d'); // true for MXNet's file
 * ```
 */
export function checkSha1(filename: string, sha1Hash: string): boolean {
  if (typeof filename !== 'string') throw new Error(`checkSha1: filename must be a file path, got ${showValue(filename)}`);
  if (typeof sha1Hash !== 'string') throw new Error(`checkSha1: sha1Hash must be a hex string, got ${showValue(sha1Hash)}`);
  try {
    return fileSha1(filename) === sha1Hash;
  } catch (e) {
    throw new Error(`checkSha1: cannot read '${filename}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const expandUser = (p: string): string => (p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p);

type DownloadArgs = KwArgs<
  ['path?', 'overwrite?', 'sha1Hash?', 'retries?', 'verifySsl?'],
  [path?: string | null, overwrite?: boolean, sha1Hash?: string | null, retries?: number, verifySsl?: boolean],
  {}
>;

/**
 * Downloads `url` to `path` unless a file with the expected SHA-1 is there
 * (MXNet's `gluon.utils.download`); resolves to the file's path.
 *
 * ```ts
 * const f = await gluon.utils.download(url, { path: 'data', sha1Hash: '6c95f4b0...' });
 * ```
 */
export async function download(url: string, ...args: DownloadArgs): Promise<string> {
  const [[dest = null, overwrite = false, sha1Hash = null, retries = 5, verifySsl = true]] = bindArgs<[(string | null)?, boolean?, (string | null)?, number?, boolean?], {}>(
    'download',
    ['path?', 'overwrite?', 'sha1Hash?', 'retries?', 'verifySsl?'],
    args,
    [],
  );
  if (typeof url !== 'string' || !url) throw new Error(`download: url must be a non-empty string, got ${showValue(url)}`);
  if (dest !== null && typeof dest !== 'string') throw new Error(`download: path must be a file or folder path, got ${showValue(dest)}`);
  if (typeof overwrite !== 'boolean') throw new Error(`download: overwrite must be a boolean, got ${showValue(overwrite)}`);
  if (sha1Hash !== null && (typeof sha1Hash !== 'string' || !/^[0-9a-f]{40}$/.test(sha1Hash))) throw new Error(`download: sha1Hash must be 40 lowercase hex digits, got ${showValue(sha1Hash)}`);
  if (!Number.isInteger(retries) || retries < 0) throw new Error(`download: retries must be an integer >= 0, got ${showValue(retries)}`);
  if (verifySsl !== true) throw new Error(`download: verifySsl must be true (Node's fetch always verifies certificates), got ${showValue(verifySsl)}`);
  const base = url.split('/').pop()!.split(/[?#]/)[0]!;
  let fname: string;
  if (dest === null) {
    if (!base) throw new Error(`download: cannot make a file name from the URL '${url}'; pass path`);
    fname = base;
  } else {
    const p = expandUser(dest);
    fname = existsSync(p) && statSync(p).isDirectory() ? path.join(p, base) : p;
  }
  const stale = (): boolean => !existsSync(fname) || (sha1Hash !== null && fileSha1(fname) !== sha1Hash);
  if (!overwrite && !stale()) return fname;
  mkdirSync(path.dirname(path.resolve(fname)), { recursive: true });
  for (let left = retries; ; left--) {
    try {
      const r = await fetch(url);
      if (r.status !== 200) throw new Error(`download: fetching '${url}' failed (HTTP ${r.status} ${r.statusText})`);
      const bytes = new Uint8Array(await r.arrayBuffer());
      const tmp = `${fname}.${randomUUID()}`;
      writeFileSync(tmp, bytes);
      // Another process may have put the right file there meanwhile (MXNet's check): then the temporary one goes.
      if (overwrite || stale()) renameSync(tmp, fname);
      else rmSync(tmp, { force: true });
      if (sha1Hash !== null) {
        const actual = fileSha1(fname);
        if (actual !== sha1Hash) {
          throw new Error(`download: '${fname}' is downloaded from '${url}' but its SHA-1 is ${actual}, not the expected ${sha1Hash}: the repository may be outdated or the download incomplete (MXNET_GLUON_REPO: ${process.env.MXNET_GLUON_REPO ?? 'unset'})`);
        }
      }
      return fname;
    } catch (e) {
      if (left <= 0) {
        const m = (e as Error).message;
        throw new Error(m.startsWith('download: ') ? m : `download: fetching '${url}' to '${fname}' failed (${m})`);
      }
    }
  }
}
