/**
 * `gluonc compile --train` over every model file the repository ships
 * (models/, models/seed/, models/d2l/; the train-* scripts are not models),
 * as an installed package runs it (the bin shim over the suite's dist/
 * build): each writes its inference and training artifacts; plain Blocks
 * compile by tracing their forward. Apart from compile.test.ts (the
 * compile flags, launchers and artifacts) so that the two halves run on the
 * suite's two workers side by side: this sweep is one CLI start per file.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sharedBuiltCli, gluonc, ROOT, userProject } from '../helpers/cli.js';

describe('cli/compile every model file', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => (dir = userProject('gluonc-compile-models-')));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every file in models/, models/seed/ and models/d2l/ compiles (plain Blocks by tracing their forward; scripts are not models)', () => {
    const scripts = new Set(readdirSync(join(ROOT, 'models')).filter((f) => f.startsWith('train-')));
    const files = ['models', join('models', 'seed'), join('models', 'd2l')].flatMap((d) =>
      readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.ts') && !scripts.has(f)).map((f) => join(d, f)),
    );
    assert.ok(files.length >= 14, files.join());
    for (const f of files) {
      const out = join(dir, 'all', f.replace(/[\\/]/g, '_').replace(/\.ts$/, '.onnx'));
      const r = gluonc(['compile', f, '-o', out, '--train'], { launcher: sharedBuiltCli().launcher });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
      assert.ok(existsSync(out) && existsSync(out.replace(/\.onnx$/, '.train.onnx')), f);
    }
  });
});
