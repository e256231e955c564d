/**
 * `gluon.utils.checkSha1` and `download` (MXNet's check_sha1 and download,
 * python/mxnet/gluon/utils.py) against a loopback HTTP server this test
 * starts (127.0.0.1, closed at the end): sums by python's hashlib; a cached
 * file with the right sum is not fetched again, a wrong one is, and so is
 * any with `overwrite`; a download whose sum differs is retried and then an
 * Error naming the file and both sums; HTTP failures retried then named;
 * MXNet's path rules (a folder takes the URL's last part); bad options named.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gluon } from 'gluonc';
import { runPython } from '../../helpers/python-server.js';

const pySha1 = (bytes: Buffer): string => {
  const r = runPython('import hashlib, sys; print(hashlib.sha1(sys.stdin.buffer.read()).hexdigest())', { input: bytes });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

describe('gluon.utils: checkSha1 and download', () => {
  const body = Buffer.from('MXNet dataset bytes\n'.repeat(50));
  const sum = pySha1(body);
  let server: Server;
  let base = '';
  const hits: Record<string, number> = {};
  let dir = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gluonc-download-'));
    server = createServer((req, res) => {
      const url = req.url ?? '';
      hits[url] = (hits[url] ?? 0) + 1;
      if (url === '/data/file.bin') res.end(body);
      else if (url === '/data/flaky.bin') {
        // Fails twice, then serves.
        if (hits[url]! <= 2) res.writeHead(503).end('busy');
        else res.end(body);
      } else if (url === '/data/corrupt.bin') res.end(Buffer.concat([body, Buffer.from('x')]));
      else res.writeHead(404).end('no');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('checkSha1: true for the right hex digest (hashlib\'s), false otherwise, an Error for a missing file', () => {
    const f = path.join(dir, 'sum.bin');
    writeFileSync(f, body);
    assert.equal(gluon.utils.checkSha1(f, sum), true);
    assert.equal(gluon.utils.checkSha1(f, sum.toUpperCase()), false, "MXNet compares the hex strings as they are");
    assert.equal(gluon.utils.checkSha1(f, '0'.repeat(40)), false);
    writeFileSync(path.join(dir, 'empty'), '');
    assert.equal(gluon.utils.checkSha1(path.join(dir, 'empty'), pySha1(Buffer.alloc(0))), true);
    assert.throws(() => gluon.utils.checkSha1(path.join(dir, 'missing.bin'), sum), /checkSha1: cannot read '.*missing\.bin' \(ENOENT\)/);
  });

  it('download into a folder keeps the URL\'s name; a cached file with the right sum is not fetched again, a wrong one is, overwrite always', async () => {
    const into = path.join(dir, 'cache');
    mkdirSync(into);
    const url = `${base}/data/file.bin`;
    const f = await gluon.utils.download(url, { path: into, sha1Hash: sum });
    assert.equal(f, path.join(into, 'file.bin'));
    assert.deepEqual(readFileSync(f), body);
    assert.equal(hits['/data/file.bin'], 1);
    assert.equal(await gluon.utils.download(url, into, false, sum), f);
    assert.equal(hits['/data/file.bin'], 1, 'the cached file with the right SHA-1 is used');
    writeFileSync(f, 'stale');
    await gluon.utils.download(url, { path: into, sha1Hash: sum });
    assert.equal(hits['/data/file.bin'], 2, 'a cached file whose SHA-1 differs is downloaded again');
    assert.deepEqual(readFileSync(f), body);
    writeFileSync(f, 'stale');
    await gluon.utils.download(url, { path: into });
    assert.equal(readFileSync(f, 'utf8'), 'stale', 'without a sum, a cached file is kept');
    await gluon.utils.download(url, { path: into, overwrite: true });
    assert.equal(hits['/data/file.bin'], 3);
    assert.deepEqual(readFileSync(f), body);
    assert.deepEqual(readdirSync(into), ['file.bin'], 'no temporary file is left');
    const named = await gluon.utils.download(url, { path: path.join(dir, 'sub', 'other.bin') });
    assert.equal(named, path.join(dir, 'sub', 'other.bin'), 'a path that is not a folder is the file (its folder made)');
  });

  it('HTTP failures are retried (MXNet\'s retries), then an Error naming the URL and status', async () => {
    const f = await gluon.utils.download(`${base}/data/flaky.bin`, { path: dir, retries: 2 });
    assert.deepEqual(readFileSync(f), body);
    assert.equal(hits['/data/flaky.bin'], 3);
    await assert.rejects(gluon.utils.download(`${base}/data/none.bin`, { path: dir, retries: 1 }), /download: fetching 'http:\/\/127\.0\.0\.1:\d+\/data\/none\.bin' failed \(HTTP 404 Not Found\)/);
    assert.equal(hits['/data/none.bin'], 2, 'one try and one retry');
  });

  it('a download whose SHA-1 differs is retried, then an Error naming the file, the actual and the expected sums', async () => {
    const bad = pySha1(Buffer.concat([body, Buffer.from('x')]));
    const target = path.join(dir, 'corrupt.bin');
    await assert.rejects(
      gluon.utils.download(`${base}/data/corrupt.bin`, { path: dir, sha1Hash: sum, retries: 1 }),
      (e: Error) => e.message === `download: '${target}' is downloaded from '${base}/data/corrupt.bin' but its SHA-1 is ${bad}, not the expected ${sum}: the repository may be outdated or the download incomplete (MXNET_GLUON_REPO: ${process.env.MXNET_GLUON_REPO ?? 'unset'})`,
    );
    assert.equal(hits['/data/corrupt.bin'], 2);
  });

  it('bad arguments are Errors naming them', async () => {
    await assert.rejects(gluon.utils.download('', {}), /download: url must be a non-empty string/);
    await assert.rejects(gluon.utils.download(`${base}/x`, { sha1Hash: 'abc' }), /download: sha1Hash must be 40 lowercase hex digits, got "abc"/);
    await assert.rejects(gluon.utils.download(`${base}/x`, { retries: -1 }), /download: retries must be an integer >= 0, got -1/);
    await assert.rejects(gluon.utils.download(`${base}/x`, { verifySsl: false }), /download: verifySsl must be true \(Node's fetch always verifies certificates\)/);
    await assert.rejects(gluon.utils.download(`${base}/x`, { nope: 1 } as never), /download.*nope/);
    await assert.rejects(gluon.utils.download(`${base}/`, {}), /download: cannot make a file name from the URL/);
  });
});
