/**
 * Reference files made by a python3 script in a fresh temporary folder, for
 * one mocha suite: the suite is skipped (saying which modules are missing)
 * when python3 cannot import `modules`, and the folder is removed after it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How the probe at the start of the script says a module would not import. */
const MISSING = 'gluonc-fixtures: a module is missing:';
const MISSING_STATUS = 86;

/**
 * Registers the suite's `before` (runs `python3 -c script <folder> ...args`)
 * and `after` (removes the folder) hooks; `dir` is the folder once `before` ran.
 *
 * ```ts
 * const fx = pythonFixtures('unpool', ['torch', 'onnx'], SCRIPT);
 * it('...', () => readNpy(join(fx.dir, 'x.npy')));
 * ```
 */
export function pythonFixtures(prefix: string, modules: readonly string[], script: string, args: readonly string[] = []): { readonly dir: string } {
  let dir = '';
  before(function () {
    dir = mkdtempSync(join(tmpdir(), `gluonc-${prefix}-`));
    // One process both checks the modules and runs the script (a second one would import torch again: seconds).
    const probe = `import sys\ntry:\n    import ${modules.join(', ')}\nexcept Exception as e:\n    print('${MISSING}', e, file=sys.stderr)\n    sys.exit(${MISSING_STATUS})\n`;
    const r = spawnSync('python3', ['-c', probe + script, dir, ...args], { encoding: 'utf8' });
    if (r.status === MISSING_STATUS && r.stderr.startsWith(MISSING)) {
      console.log(`    (skipped: python3 with ${modules.join(' and ')} is needed for the references)`);
      this.skip();
    }
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
  };
}
