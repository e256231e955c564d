/**
 * Reference files made by a python3 script in a fresh temporary folder, for
 * one mocha suite: the suite is skipped (saying which modules are missing)
 * when python3 cannot import `modules`, and the folder is removed after it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPython } from './python-server.js';

/** How the probe at the start of the script says a module would not import. */
const MISSING = 'gluonc-fixtures: a module is missing:';
const MISSING_STATUS = 86;

/**
 * Registers the suite's `before` (runs `python3 -c script <folder> ...args`
 * in the reference server, python-server.ts)
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
    // One request both checks the modules and runs the script.
    const probe = `import sys\ntry:\n    import ${modules.join(', ')}\nexcept Exception as e:\n    print('${MISSING}', e, file=sys.stderr)\n    sys.exit(${MISSING_STATUS})\n`;
    const r = runPython(probe + script, { args: [dir, ...args] });
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
