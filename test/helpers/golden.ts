/**
 * Golden-output checks for mocha: run a compiled artifact on the inputs
 * recorded by `gluonc golden record` and fail with the per-output report
 * when an output differs. A project tests its own models the same way:
 *
 * ```ts
 * import { checkGolden } from 'gluonc/compiler';
 * it('mlp matches its goldens', () => {
 *   const r = checkGolden('mlp.onnx', 'test/golden/mlp', { rtol: 1e-4, atol: 1e-5 });
 *   assert.ok(r.ok, r.report);
 * });
 * ```
 */
import assert from 'node:assert/strict';
import { checkGolden, type CheckGoldenOptions, type GoldenResult } from '../../runtime/golden.js';

/**
 * Asserts that `artifact` (a path or ONNX bytes) reproduces the goldens in `dir`.
 *
 * ```ts
 * expectGolden(bytes, 'test/golden/mlp');
 * ```
 */
export function expectGolden(artifact: string | Uint8Array, dir: string, options: CheckGoldenOptions = {}): GoldenResult {
  const r = checkGolden(artifact, dir, options);
  assert.ok(r.ok, `golden outputs in '${dir}' differ:\n${r.report}`);
  return r;
}

export { checkGolden };
