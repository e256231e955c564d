import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runBackendCase, BACKEND_DATA } from './test/compiler/onnx/backend-suite.js';
const sub = process.argv[2] ?? 'node';
const dirs = readdirSync(join(BACKEND_DATA, sub)).sort();
const counts: Record<string, number> = {};
const reasons: Record<string, number> = {};
for (const d of dirs) {
  const r = runBackendCase(join(BACKEND_DATA, sub, d));
  counts[r.status] = (counts[r.status] ?? 0) + 1;
  if (r.status !== 'pass') console.log(r.status, d, r.message.slice(0, 220));
  if (r.status === 'refused') { const m = r.message.match(/operator '([^']+)'/); const k = m ? m[1]! : r.message.slice(0, 60); reasons[k] = (reasons[k] ?? 0) + 1; }
}
console.log(JSON.stringify(counts));
console.log(JSON.stringify(Object.entries(reasons).sort((a, b) => b[1] - a[1])));
process.exit(0);
