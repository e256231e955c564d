/**
 * Test helper: the case folders a python fixture wrote for an importer test
 * (`<case>/model.onnx`, its inputs `in0.npy`, `in1.npy`, ... and ONNX's
 * reference output `y.npy`): each model imported with SymbolBlock.imports
 * and run eagerly and hybridized on its inputs.
 *
 * ```ts
 * const n = eachReferenceCase(fx.dir, (what, got, want, hybrid) => assert.deepEqual(got.shape, want.shape, what));
 * ```
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readNpy } from '../../../runtime/npy.js';
import type { HostTensor } from '../../../runtime/tensor.js';

/** A case's inputs (`in<k>.npy` in order) as NDArrays. */
export function caseInputs(caseDir: string): nd.NDArray[] {
  return readdirSync(caseDir)
    .filter((f) => /^in\d+\.npy$/.test(f))
    .sort()
    .map((f) => new nd.NDArray(readNpy(join(caseDir, f))));
}

/**
 * Runs every case in `dir` both ways, checks the output's dtype and shape against the reference's and hands
 * both to `check` (`what` names the case and the way); returns the number of cases.
 */
export function eachReferenceCase(dir: string, check: (what: string, got: HostTensor, want: HostTensor, hybrid: boolean) => void): number {
  const cases = readdirSync(dir).sort();
  for (const k of cases) {
    const inputs = caseInputs(join(dir, k));
    const want = readNpy(join(dir, k, 'y.npy'));
    for (const hybrid of [false, true]) {
      const net = SymbolBlock.imports(join(dir, k, 'model.onnx'));
      if (hybrid) net.hybridize();
      const got = (net.call(...inputs) as nd.NDArray)._host;
      const what = `${k} ${hybrid ? 'hybridized' : 'eager'}`;
      assert.equal(got.dtype, want.dtype, what);
      assert.deepEqual(got.shape, want.shape, what);
      check(what, got, want, hybrid);
    }
  }
  return cases.length;
}
