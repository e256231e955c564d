/**
 * Independent references computed by numpy in float64 (python3 is on every
 * machine here). Jobs are batched into one python process per call.
 */
import { runPython } from './python-server.js';

/** One reference computation. */
export interface NumpyJob {
  /** Python expression, or statements setting `out`. */
  code: string;
  /** Inputs bound as a, b, c, ... (up to l): shape, numpy dtype name, flat values. */
  inputs: { shape: number[]; dtype: string; data: number[] }[];
  attrs?: Record<string, unknown>;
  args?: unknown[];
}

/** A reference result: one or several arrays. */
export interface NumpyResult {
  outs: { shape: number[]; data: (number | null)[] }[];
  error?: string;
}

const SCRIPT = String.raw`
import json, sys, math
import numpy as np
jobs = json.load(sys.stdin)
res = []
def enc(x):
    x = np.asarray(x)
    flat = [None if (isinstance(v, float) and math.isnan(v)) else (float(v) if not (isinstance(v, float) and math.isinf(v)) else (1e308 if v > 0 else -1e308)) for v in x.astype(np.float64).reshape(-1).tolist()]
    return {"shape": list(x.shape), "data": flat}
for job in jobs:
    env = {"np": np, "math": math, "attrs": job.get("attrs") or {}, "args": job.get("args") or []}
    for i, t in enumerate(job["inputs"]):
        env["abcdefghijkl"[i]] = np.array([float(v) if isinstance(v, str) else v for v in t["data"]], dtype=t["dtype"]).reshape(t["shape"])
    try:
        code = job["code"]
        try:
            out = eval(compile(code, "<ref>", "eval"), env)
        except SyntaxError:
            exec(code, env)
            out = env["out"]
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        res.append({"outs": [enc(o) for o in outs]})
    except Exception as e:
        res.append({"outs": [], "error": type(e).__name__ + ": " + str(e)})
json.dump(res, sys.stdout)
`;

/** Runs all jobs in one request to the python3 reference server (python-server.ts). */
export function numpyRefs(jobs: NumpyJob[]): NumpyResult[] {
  // Non-finite inputs travel as the strings 'inf', '-inf', 'nan' (JSON has no Infinity; null would read as NaN).
  const input = JSON.stringify(jobs, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf') : v));
  const r = runPython(SCRIPT, { input });
  if (r.status !== 0) throw new Error(`python3 reference failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as NumpyResult[];
  return out.map((o) => ({ ...o, outs: o.outs.map((x) => ({ ...x, data: x.data.map((v) => (v === 1e308 ? Infinity : v === -1e308 ? -Infinity : v)) })) }));
}
