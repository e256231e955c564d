/**
 * The machinery of `npm test` (test/suite.mjs) itself: the per-file profile
 * (profile-hooks.ts) counts a file's `before` and `after` hooks, which
 * mocha's reporters leave out, in each parallel worker; the suite's one
 * package build (suiteBuild in cli.ts) is made by exactly one of several
 * processes asking at once, taken over from a holder that died, and its
 * failure reaches every process that waited for it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './cli.js';

const SLEEP = 'const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);\n';

describe('test/suite.mjs machinery', function () {
  this.timeout(120_000);
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gluonc-suite-tools-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("--profile's root hooks time each file in its worker, before and after hooks included", () => {
    // slow-before: 700 ms in a describe's before; slow-after: 500 ms in a root-level after, registered after ours.
    writeFileSync(join(dir, 'slow-before.test.ts'), `${SLEEP}describe('a', () => {\n  before(() => sleep(700));\n  it('x', () => {});\n});\n`);
    writeFileSync(join(dir, 'slow-after.test.ts'), `${SLEEP}after(() => sleep(500));\ndescribe('b', () => {\n  it('y', () => {});\n});\n`);
    writeFileSync(join(dir, 'fast.test.ts'), "describe('c', () => {\n  it('z', () => {});\n});\n");
    const out = join(dir, 'profile.jsonl');
    const files = ['slow-before', 'slow-after', 'fast'].map((f) => join(dir, `${f}.test.ts`));
    const mocha = join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const r = spawnSync(process.execPath, [mocha, '--parallel', '--jobs', '2', '--reporter', 'dot', '--require', 'test/helpers/profile-hooks.ts', ...files], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, GLUONC_TEST_PROFILE: out },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; seconds: number; importSeconds: number; pid: number });
    const by = new Map(lines.map((l) => [l.file, l]));
    assert.deepEqual([...by.keys()].sort(), files.map((f) => relative(ROOT, f)).sort());
    const t = (f: string) => by.get(relative(ROOT, join(dir, `${f}.test.ts`)))!;
    // The run after the import (a loaded machine can take a second to import even the empty file).
    const run = (f: string) => t(f).seconds - t(f).importSeconds;
    assert.ok(run('slow-before') >= 0.7, JSON.stringify(lines));
    assert.ok(run('slow-after') >= 0.5, JSON.stringify(lines));
    assert.ok(run('fast') < 0.5 && t('fast').importSeconds >= 0, JSON.stringify(lines));
    assert.equal(new Set(lines.map((l) => l.pid)).size, 2, 'two workers');
  });

  /** Starts a process that calls suiteBuild(root) with a fake build taking `ms` that logs its pid (or throws). */
  function asker(root: string, ms: number, fail = false): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const script = join(dir, 'ask.ts');
    writeFileSync(script, [
      "import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';",
      "import { join } from 'node:path';",
      `import { suiteBuild } from ${JSON.stringify(pathToFileURL(join(ROOT, 'test', 'helpers', 'cli.ts')).href)};`,
      SLEEP,
      'const [root, ms, fail] = process.argv.slice(2);',
      'const r = suiteBuild(root!, (d) => {',
      "  appendFileSync(join(root!, 'builds.log'), `${process.pid}\\n`);",
      '  sleep(Number(ms));',
      "  if (fail === '1') throw new Error('tsc said no');",
      '  mkdirSync(d, { recursive: true });',
      "  writeFileSync(join(d, 'made'), '');",
      '});',
      'console.log(r.dir);',
    ].join('\n'));
    return new Promise((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, root, String(ms), fail ? '1' : '0'], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });
  }

  it('the suite build: two processes asking at once get one build', async () => {
    const root = join(dir, 'build');
    mkdirSync(root);
    const rs = await Promise.all([asker(root, 1500), asker(root, 1500)]);
    for (const r of rs) {
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), join(root, 'pkg'));
    }
    assert.equal(readFileSync(join(root, 'builds.log'), 'utf8').trim().split('\n').length, 1);
    assert.ok(existsSync(join(root, 'pkg', 'made')) && existsSync(join(root, 'ready')));
  });

  it('the suite build: a lock whose holder died is taken over; a failed build fails the waiters with its error', async () => {
    const root = join(dir, 'build');
    mkdirSync(join(root, 'lock'), { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(root, 'lock', 'pid'), String(gone));
    const r = await asker(root, 0);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(root, 'builds.log'), 'utf8').trim().split('\n').length, 1);

    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const [first, second] = await Promise.all([asker(bad, 1500, true), asker(bad, 1500, true)]);
    for (const x of [first!, second!]) {
      assert.notEqual(x.status, 0);
      assert.match(x.stderr, /tsc said no/);
    }
    assert.equal(readFileSync(join(bad, 'builds.log'), 'utf8').trim().split('\n').length, 1, 'the waiter did not build again');
  });
});
