/**
 * Shared by the tests that compute a reference in python3 from JSON: run a
 * script with `input` as JSON on its stdin and parse what it prints, and
 * compare one number within a relative tolerance.
 */
import assert from 'node:assert/strict';
import { runPython } from './python-server.js';

/**
 * Runs `script` under python3 (the reference server: python-server.ts) with `input` as JSON on stdin; returns its stdout parsed as JSON, or throws with its stderr.
 *
 * ```ts
 * const { y } = pythonJson('import json, sys; d = json.load(sys.stdin); print(json.dumps({"y": d["x"] * 2}))', { x: 3 });
 * ```
 */
export function pythonJson<T = any>(script: string, input: unknown): T {
  const r = runPython(script, { input: JSON.stringify(input) });
  if (r.status !== 0) throw new Error(`python3 reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Asserts |a - b| <= tol * (1 + |b|), naming `what`. Example: `assertNear(loss, ref.loss, 'loss')`. */
export function assertNear(a: number, b: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a} vs ${b}`);
}
