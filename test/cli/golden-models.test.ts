/**
 * Our own models against their checked-in goldens (test/golden/<model>/,
 * recorded with `gluonc compile` + `gluonc golden record`): each model file
 * is built the way `gluonc compile` builds it (seeded, initialized), exported
 * in memory and checked with the mocha helper.
 * The CLI modules are imported dynamically: mocha loads spec files (and
 * their static imports) as separate module instances from what a dynamic
 * `import()` of the model file sees.
 * Re-record after an intended numerical change:
 *   npx gluonc compile models/mlp.ts -o /tmp/mlp.onnx && npx gluonc golden record /tmp/mlp.onnx --dir test/golden/mlp
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { expectGolden } from '../helpers/golden.js';

const MODELS = [
  ...readdirSync(join(ROOT, 'models')).filter((f) => !f.startsWith('train-')),
  ...readdirSync(join(ROOT, 'models', 'seed')).map((f) => join('seed', f)),
].filter((f) => f.endsWith('.ts'));

describe('golden outputs of models/', () => {
  for (const file of MODELS) {
    const name = file.split('/').pop()!.replace(/\.ts$/, '');
    const dir = join(ROOT, 'test', 'golden', name);
    it(`${file} matches test/golden/${name}`, async () => {
      const { loadModelFile } = await import('../../cli/model-file.js');
      const { exportBytes } = await import('../../compiler/formats/export.js');
      const { asHybrid } = await import('../../compiler/gluon/traced-block.js');
      const { block, inputs } = await loadModelFile(join(ROOT, 'models', file));
      assert.ok(existsSync(dir), `no goldens for ${file} in ${dir}`);
      const { bytes } = exportBytes(asHybrid(block), { inputs, compile: { optLevel: 2 } });
      expectGolden(bytes, dir);
    });
  }
});
