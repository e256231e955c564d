/**
 * runtime/ort.ts turns onnxruntime's built-in telemetry off unless the user
 * set ORT_DISABLE_TELEMETRY: a process that loads and runs a model (inline
 * and in a worker thread) leaves no `mat-debug-<pid>.log` in its temp folder
 * and no ~/.cache/Microsoft/DeveloperTools/.onnxruntime store. The control
 * (ORT_DISABLE_TELEMETRY=0, onnxruntime's own switch left on) shows both
 * appear, so the check can fail. Child processes with their own HOME and
 * TMPDIR: the switch is read once per process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { mlpArtifact } from '../helpers/mlp-artifact.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('runtime/ort: onnxruntime telemetry', function () {
  this.timeout(120_000);
  const dir = scratchDir('gluonc-telemetry-');

  /** Runs the child with its own HOME and TMPDIR; returns what onnxruntime's telemetry left there. */
  function child(name: string, env: Record<string, string>): { debugLog: boolean; store: boolean; tmp: string[] } {
    const home = path.join(dir(), name, 'home');
    const tmp = path.join(dir(), name, 'tmp');
    mkdirSync(home, { recursive: true });
    mkdirSync(tmp, { recursive: true });
    const { ORT_DISABLE_TELEMETRY: _t, ...base } = process.env;
    const file = mlpArtifact(dir()).file;
    const r = spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', path.join(ROOT, 'test', 'helpers', 'ort-telemetry-child.ts'), file], {
      cwd: ROOT,
      env: { ...base, HOME: home, TMPDIR: tmp, ...env },
      encoding: 'utf8',
      timeout: 90_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const { pid } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { pid: number };
    const left = readdirSync(tmp);
    return { debugLog: left.includes(`mat-debug-${pid}.log`), store: existsSync(path.join(home, '.cache', 'Microsoft')), tmp: left };
  }

  it('is off by default: no debug log in the temp folder, no store under HOME', () => {
    const r = child('default', {});
    assert.equal(r.debugLog, false, `temp folder: ${r.tmp.join(', ')}`);
    assert.equal(r.store, false, 'telemetry store under HOME');
  });

  it('stays on when the user sets ORT_DISABLE_TELEMETRY=0 (the control: the check above can fail)', () => {
    const r = child('kept', { ORT_DISABLE_TELEMETRY: '0' });
    assert.ok(r.debugLog, `onnxruntime wrote no mat-debug log with telemetry on (temp folder: ${r.tmp.join(', ') || 'empty'}); if its telemetry is gone, runtime/ort.ts's switch can go too`);
    assert.ok(r.store, 'onnxruntime wrote no telemetry store under HOME');
  });
});
