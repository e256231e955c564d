/**
 * ONNX's backend node test cases as the installed python `onnx` package
 * generates them (its test case generators, onnx/backend/test/case/node,
 * written the way `backend-test-tools generate-data` writes model cases:
 * `<dir>/<case>/model.onnx` and `test_data_set_0/{input,output}_k.pb`). The
 * expected outputs are ONNX's reference results, independent of gluonc.
 * numpy's global stream is seeded, so one onnx version gives the same data.
 */
import { readdirSync } from 'node:fs';
import { runPython } from './python-server.js';

const SCRIPT = String.raw`
import argparse, sys, warnings
warnings.simplefilter("ignore")
import numpy as np
import onnx
import onnx.backend.test.cmd_tools as tools
import onnx.backend.test.case.node as node_cases
np.random.seed(0)
# generate_data writes what model_test.collect_testcases() returns: the node cases instead (put back
# after: the reference server's later requests see the onnx module as imported).
model_cases = tools.model_test.collect_testcases
tools.model_test.collect_testcases = lambda: node_cases.collect_testcases()
try:
    tools.generate_data(argparse.Namespace(output=sys.argv[1]))
finally:
    tools.model_test.collect_testcases = model_cases
print(onnx.__version__)
`;

/** python3's onnx version, or null when `import onnx` fails. */
export function pythonOnnxVersion(): string | null {
  const r = runPython('import onnx; print(onnx.__version__)');
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Writes the node cases into `dir` (its `node` subfolder) and returns that folder and the case names.
 *
 * ```ts
 * const { nodeDir, cases } = generateNodeCases('/tmp/x'); // cases: ['test_abs', ...]
 * ```
 */
export function generateNodeCases(dir: string): { nodeDir: string; cases: string[]; version: string } {
  const r = runPython(SCRIPT, { args: [dir] });
  if (r.status !== 0) throw new Error(`python3 (onnx's node test case generators) failed: ${r.stderr.slice(-2000)}`);
  const nodeDir = `${dir}/node`;
  return { nodeDir, cases: readdirSync(nodeDir).sort(), version: r.stdout.trim() };
}
