/**
 * runtime/malloc-thresholds.ts: loading onnxruntime raises glibc's dynamic
 * malloc thresholds, so bulk-freed output buffers stay in the heap instead of
 * being handed back and faulted in again; GLUONC_MALLOC_THRESHOLDS=0 keeps
 * glibc's defaults. Measured in child processes (the thresholds are
 * process-wide and set once), by minor page faults, which glibc's behaviour
 * fixes (not timings).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { MALLOC_RAISE_BYTES, raiseMallocThresholds } from '../../runtime/malloc-thresholds.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const glibc = process.platform === 'linux' && Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

/** The child's faults per round after the first (12 MiB written per round). */
function pattern(env: Record<string, string>): number[] {
  const { GLIBC_TUNABLES: _t, ...base } = process.env;
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(ROOT, 'test', 'helpers', 'malloc-pattern.ts')], { cwd: ROOT, env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { faults: number[] }).faults;
}

describe('runtime/malloc-thresholds', () => {
  it('raises once per process', () => {
    raiseMallocThresholds(); // true here unless this process loaded onnxruntime already
    assert.equal(raiseMallocThresholds(), false);
    // Under glibc's 32 MiB cap on dynamic thresholds, and above the ~2 MiB of outputs of a typical step.
    assert.ok(MALLOC_RAISE_BYTES < 32 * 2 ** 20 - 2 ** 16 && MALLOC_RAISE_BYTES >= 4 * 2 ** 20);
  });

  it('keeps bulk-freed buffers resident under glibc, and GLUONC_MALLOC_THRESHOLDS=0 does not', function () {
    if (!glibc) this.skip();
    this.timeout(120_000);
    const pages = (12 * 2 ** 20) / 4096;
    const defaults = pattern({ GLUONC_MALLOC_THRESHOLDS: '0' });
    const raised = pattern({});
    // Medians of 5 rounds: a collection finishing late shifts one round's faults to the next.
    const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    // glibc's defaults: the 12 MiB freed at the heap's top exceeds the trim threshold, so rounds fault them in again.
    assert.ok(median(defaults) > pages / 2, `defaults: ${defaults.join(', ')} faults per round`);
    // Raised: the trim threshold (16 MiB) keeps them; a few faults from V8's own heap are allowed.
    assert.ok(median(raised) < pages / 8, `raised: ${raised.join(', ')} faults per round`);
  });
});
