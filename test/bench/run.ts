/**
 * The `npm run bench` entry: runs every benchmark module in test/bench/
 * (a file that exports `run(): Promise<BenchTable | BenchTable[]>`), or only
 * those named on the command line, and prints the machine line and each table.
 *
 * ```sh
 * npm run bench            # every benchmark
 * npm run bench -- eager   # test/bench/eager.ts only
 * ```
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable, machineInfo, type BenchTable } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const NOT_BENCHMARKS = new Set(['run', 'harness']);

type BenchModule = { run?: () => Promise<BenchTable | BenchTable[]> };

async function main(): Promise<number> {
  const available = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .filter((n) => !NOT_BENCHMARKS.has(n))
    .sort();
  const wanted = process.argv.slice(2).map((a) => path.basename(a).replace(/\.ts$/, ''));
  const unknown = wanted.filter((w) => !available.includes(w));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')} (available: ${available.join(', ') || 'none'})`);
    return 2;
  }
  const names = wanted.length ? wanted : available;
  console.log(`Machine: ${machineInfo()}`);
  console.log(`Command: npm run bench${wanted.length ? ` -- ${wanted.join(' ')}` : ''}`);
  let failed = 0;
  for (const name of names) {
    const t0 = Date.now();
    try {
      const mod = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as BenchModule;
      if (typeof mod.run !== 'function') {
        if (wanted.length) throw new Error('exports no run()');
        continue;
      }
      console.log(`\n## ${name}\n`);
      const result = await mod.run();
      for (const t of Array.isArray(result) ? result : [result]) console.log(`${formatTable(t)}\n`);
      console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.error(`${name} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }
  console.log(`Load average at end: ${os.loadavg().map((x) => x.toFixed(1)).join('/')} (1/5/15 min)`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
