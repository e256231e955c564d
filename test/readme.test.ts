/**
 * The README stays true: every TypeScript example in it runs as written
 * (a server example is started, asked once over HTTP, and stopped), in a
 * scratch folder holding the artifact the examples load. They run as a
 * user's scripts do, over the package built from these sources (the suite's
 * one build, sharedBuiltCli: 'gluonc' is its dist/), laid out as this
 * repository is (models/ copied beside it, test/fixtures linked), the
 * scratch folder two below its root; tsx runs only the example itself (the
 * sources through tsx take about three times as long to start, 44 times).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gluonc, sharedBuiltCli } from './helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..');
const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const NODE_ARGS = ['--import', join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')];
const ENV = { ...process.env, NODE_OPTIONS: '' };

describe('README examples', function () {
  this.timeout(120000);
  let dir = '';
  before(() => {
    const pkg = sharedBuiltCli().dir;
    if (!existsSync(join(pkg, 'models'))) cpSync(join(ROOT, 'models'), join(pkg, 'models'), { recursive: true });
    if (!existsSync(join(pkg, 'test', 'fixtures'))) {
      mkdirSync(join(pkg, 'test'), { recursive: true });
      symlinkSync(join(ROOT, 'test', 'fixtures'), join(pkg, 'test', 'fixtures'));
    }
    // Scripts inside the package resolve 'gluonc' by self-reference; the scratch folder sits in its test/.
    dir = mkdtempSync(join(pkg, 'test', '.readme-'));
    const r = gluonc(['compile', join(ROOT, 'models', 'mlp.ts'), '-o', join(dir, 'mlp.onnx')]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has TypeScript examples', () => assert.ok(blocks.length >= 3));

  blocks.forEach((code, i) => {
    const port = /\.listen\((\d+)\)/.exec(code)?.[1];
    it(`example ${i + 1} (${code.split('\n')[0]!.slice(0, 60)}) runs`, async () => {
      const file = join(dir, `example-${i}.ts`);
      writeFileSync(file, code);
      if (!port) {
        const r = spawnSync(process.execPath, [...NODE_ARGS, file], { cwd: dir, env: ENV, encoding: 'utf8', timeout: 100000 });
        assert.equal(r.status, 0, `example ${i + 1} failed:\n${r.stderr}`);
        return;
      }
      const child = spawn(process.execPath, [...NODE_ARGS, file], { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      try {
        let answer: Response | undefined;
        for (let k = 0; k < 200 && !answer; k++) {
          await new Promise((r) => setTimeout(r, 100));
          answer = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: JSON.stringify(new Array(784).fill(0.5)) }).catch(() => undefined);
          assert.equal(child.exitCode, null, `the server example exited:\n${stderr}`);
        }
        assert.ok(answer, 'the server example did not answer');
        const body = (await answer.json()) as { scores: number[] };
        assert.equal(body.scores.length, 10);
      } finally {
        child.kill('SIGTERM');
      }
    });
  });
});
