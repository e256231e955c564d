/**
 * Mocha root-hook plugin behind `npm test -- --profile` (test/suite.mjs
 * requires it and sets GLUONC_TEST_PROFILE): the wall time of each test file
 * as its worker spent it, one JSON line per file appended to that path.
 *
 * In parallel mode every file runs in a worker with its own Mocha and root
 * suite, so the root `beforeAll` starts once per file. A file's time is its
 * import (from the end of the worker's previous file, or from the worker's
 * start, to that `beforeAll`: the modules it loads, any top-level await)
 * plus its run (to the last root `afterAll`, so its `before`/`after` hooks,
 * python references and fixtures included, which mocha's reporters leave
 * out); with the worker's pid and when the file ended. Written with one
 * appendFileSync per file, whole lines, so two workers do not interleave.
 */
import { appendFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import type { Context, Suite } from 'mocha';

const out = process.env.GLUONC_TEST_PROFILE;
let idleSince = performance.now();

/** The file a root suite was loaded from (its first describe's or test's), relative to the working folder. */
function fileOf(root: Suite): string {
  const file = root.suites.find((s) => s.file)?.file ?? root.tests.find((t) => t.file)?.file ?? '?';
  return relative(process.cwd(), file).split(sep).join('/');
}

export const mochaHooks = out
  ? {
      beforeAll(this: Context) {
        const start = performance.now();
        const importS = (start - idleSince) / 1000;
        const root = this.test?.parent;
        if (!root) return;
        // Added now, this afterAll runs after every root afterAll the file registered.
        root.afterAll(() => {
          idleSince = performance.now();
          const line = { file: fileOf(root), seconds: +((idleSince - start) / 1000 + importS).toFixed(2), importSeconds: +importS.toFixed(2), pid: process.pid, endedAt: new Date().toISOString() };
          appendFileSync(out, JSON.stringify(line) + '\n');
        });
      },
    }
  : {};
