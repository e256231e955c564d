/**
 * The README stays true: every TypeScript example in it runs as written
 * (a server example is started, asked once over HTTP, and stopped), in a
 * scratch folder holding the artifact the examples load. They run as a
 * user's scripts do, over the package built from these sources (the suite's
 * one build, sharedBuiltCli: 'gluonc' is its dist/), laid out as this
 * repository is (models/ copied beside it, test/fixtures linked), the
 * scratch folder two below its root; tsx runs only the example itself (the
 * sources through tsx take about three times as long to start, 44 times).
 * Each example is a node start of seconds, so the examples are shared out
 * between two test files (readme.test.ts, readme-second-half.test.ts) that
 * the suite's two workers run side by side; both may lay out the shared
 * build at once, so each step of that is atomic.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gluonc, sharedBuiltCli } from './cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** The README's TypeScript examples, in order. */
export const README_BLOCKS = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const NODE_ARGS = ['--import', join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')];
const ENV = { ...process.env, NODE_OPTIONS: '' };

/** models/ copied into the package and test/fixtures linked, by whichever process gets there first (the other keeps theirs). */
function layOut(pkg: string): void {
  if (!existsSync(join(pkg, 'models'))) {
    const mine = join(pkg, `.models-${process.pid}`);
    cpSync(join(ROOT, 'models'), mine, { recursive: true });
    try {
      renameSync(mine, join(pkg, 'models'));
    } catch {
      rmSync(mine, { recursive: true, force: true }); // the other file's copy is in place
    }
  }
  mkdirSync(join(pkg, 'test'), { recursive: true });
  try {
    symlinkSync(join(ROOT, 'test', 'fixtures'), join(pkg, 'test', 'fixtures'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/**
 * Registers the README examples whose 0-based index `pick` accepts, as one
 * describe (the same titles wherever an example runs).
 *
 * ```ts
 * readmeExamples((i) => i < README_BLOCKS.length / 2);
 * ```
 */
export function readmeExamples(pick: (index: number) => boolean): void {
  describe('README examples', function () {
    this.timeout(120000);
    let dir = '';
    before(() => {
      const pkg = sharedBuiltCli().dir;
      layOut(pkg);
      // Scripts inside the package resolve 'gluonc' by self-reference; the scratch folder sits in its test/.
      dir = mkdtempSync(join(pkg, 'test', '.readme-'));
      const r = gluonc(['compile', join(ROOT, 'models', 'mlp.ts'), '-o', join(dir, 'mlp.onnx')]);
      assert.equal(r.status, 0, r.stderr);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    README_BLOCKS.forEach((code, i) => {
      if (!pick(i)) return;
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
}
