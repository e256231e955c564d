/**
 * ONNX's own backend test data (Debian's `libonnx-testdata` 1.12: node,
 * pytorch-converted, pytorch-operator and simple models with ONNX's
 * reference inputs and outputs) as a suite: every model either imports, runs
 * hybridized and eagerly and matches the expected outputs, or is refused by
 * name. Nothing may import and then fail or differ. The counts are floors
 * (what this importer achieved when they were written), so a regression
 * fails; they are printed. Skipped, with a message, when the data is not installed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_DATA, countsLine, runBackendFolder } from './backend-suite.js';

/** Models that import and match, per folder (measured; raise them as the importer grows). */
const FLOORS: Record<string, number> = { node: 919, 'pytorch-converted': 82, 'pytorch-operator': 35, simple: 17 };

describe('ONNX backend tests (libonnx-testdata)', function () {
  this.timeout(600_000);
  before(function () {
    if (!existsSync(BACKEND_DATA)) {
      console.log(`    (skipped: ${BACKEND_DATA} is missing; install Debian's libonnx-testdata to run ONNX's backend tests)`);
      this.skip();
    }
  });

  for (const folder of Object.keys(FLOORS)) {
    it(`${folder}: every model imports and matches, or is refused by name`, () => {
      const r = runBackendFolder(join(BACKEND_DATA, folder));
      console.log(`    ${folder}: ${countsLine(r)}`);
      assert.deepEqual(r.unnamedRefusals, [], 'a refusal names the reader');
      assert.deepEqual(r.failed.map((f) => f.text), [], 'models that import must run and match');
      assert.ok(r.pass >= FLOORS[folder]!, `${r.pass} models match, fewer than the ${FLOORS[folder]} measured before`);
    });
  }
});
