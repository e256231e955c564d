/**
 * `onnx.checker.check_model(model, full_check=True)` (python's onnx package,
 * independent of gluonc) over many files in one request to the python3
 * reference server (python-server.ts).
 */
import { runPython } from './python-server.js';

const SCRIPT = String.raw`
import json, sys
import onnx
res = []
for path in json.load(sys.stdin):
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        res.append(None)
    except Exception as e:
        res.append(type(e).__name__ + ": " + str(e)[:800])
json.dump(res, sys.stdout)
`;

/**
 * Checks each ONNX file; returns null for a file that passes, else the checker's message.
 *
 * ```ts
 * const [err] = checkOnnxFiles(['/tmp/mlp-13.onnx']); // null when valid
 * ```
 */
export function checkOnnxFiles(paths: string[]): (string | null)[] {
  if (!paths.length) return [];
  const r = runPython(SCRIPT, { input: JSON.stringify(paths) });
  if (r.status !== 0) throw new Error(`python3 onnx checker failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as (string | null)[];
}
