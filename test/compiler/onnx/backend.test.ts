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
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_DATA, runBackendCase } from './backend-suite.js';

/** Models that import and match, per folder (measured; raise them as the importer grows). */
const FLOORS: Record<string, number> = { node: 891, 'pytorch-converted': 82, 'pytorch-operator': 35, simple: 16 };

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
      const dir = join(BACKEND_DATA, folder);
      const counts = { pass: 0, refused: 0, constantInputs: 0, shapeOnly: 0 };
      const bad: string[] = [];
      for (const name of readdirSync(dir).sort()) {
        const r = runBackendCase(join(dir, name));
        if (r.status === 'pass') {
          counts.pass++;
          if (r.constantInputs.length) counts.constantInputs++;
          if (r.shapeOnly) counts.shapeOnly++;
        } else if (r.status === 'refused') {
          counts.refused++;
          assert.match(r.message, /^readModel: /, `${name}: a refusal names the reader`);
        } else bad.push(`${name}: ${r.status}: ${r.message}`);
      }
      console.log(`    ${folder}: ${counts.pass} match (${counts.constantInputs} with shape inputs fixed as constants, ${counts.shapeOnly} random ones by dtype and shape only), ${counts.refused} refused`);
      assert.deepEqual(bad, [], 'models that import must run and match');
      assert.ok(counts.pass >= FLOORS[folder]!, `${counts.pass} models match, fewer than the ${FLOORS[folder]} measured before`);
    });
  }
});
