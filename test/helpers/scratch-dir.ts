/**
 * A fresh temporary folder for the tests of one describe block: made in
 * mocha's `before`, removed with what is in it in `after`. Call it in the
 * describe's body; the returned function gives the folder inside the tests.
 *
 * ```ts
 * describe('x', () => {
 *   const dir = scratchDir('gluonc-x-');
 *   it('writes', () => writeFileSync(path.join(dir(), 'a.bin'), ''));
 * });
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function scratchDir(prefix: string): () => string {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), prefix));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return () => {
    if (!dir) throw new Error(`scratchDir(${prefix}): the folder exists only inside the describe block's tests`);
    return dir;
  };
}
