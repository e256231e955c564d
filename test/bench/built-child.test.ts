/**
 * The benchmarks' built children (test/bench/built-child.ts): a bundle of a
 * bench module loads gluonc from dist/ only (every import it keeps is a
 * node: module or a file of dist/), inlines the bench's own TypeScript
 * (models/mlp.ts), and a module that would reach gluonc's sources is
 * refused by name. Needs dist/ (npm run build); skipped without it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtChild } from './built-child.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

describe('bench/built-child', () => {
  before(function () {
    if (!existsSync(join(root, 'dist', 'compiler', 'gluon', 'index.js'))) this.skip();
  });

  it('bundles mlp-memory.ts with gluonc imported from dist/ and models/mlp.ts inlined', async () => {
    const c = await builtChild(join(here, 'mlp-memory.ts'), 'memoryChild');
    assert.ok('file' in c, 'skipped' in c ? c.skipped : '');
    try {
      const src = readFileSync(c.file, 'utf8');
      const specs = [...src.matchAll(/^import\s[^'"]*?from\s*"([^"]+)"/gm)].map((m) => m[1]!);
      const dist = pathToFileURL(join(root, 'dist')).href + '/';
      assert.ok(specs.some((s) => s === `${dist}compiler/gluon/index.js`), `no import of dist's gluonc among ${specs.join(', ')}`);
      assert.deepEqual(specs.filter((s) => !s.startsWith('node:') && !s.startsWith(dist)), []);
      assert.match(src, /new gluon\d*\.nn\.HybridSequential\(\)/);
      assert.match(src, /await memoryChild\(\.\.\.process\.argv\.slice\(2\)\)/);
    } finally {
      c.dispose();
    }
  });

  it("refuses a module whose imports reach gluonc's sources, naming the import", async () => {
    const c = await builtChild(join(here, 'handwritten-step.ts'), 'handwrittenStepModel');
    assert.ok('skipped' in c);
    assert.match(c.skipped, /handwritten-step\.ts imports '\.\.\/\.\.\/compiler\/onnx\/proto\.js', gluonc's sources: a built child loads gluonc from dist\/ only/);
  });
});
