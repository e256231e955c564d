/**
 * runtime/ort.ts turns onnxruntime's built-in telemetry off unless the user
 * set ORT_DISABLE_TELEMETRY: a process that loads and runs a model (inline
 * and in a worker thread) leaves no `mat-debug-<pid>.log` or `.ses` in its temp folder
 * and no ~/.cache/Microsoft/DeveloperTools/.onnxruntime store. The control
 * (ORT_DISABLE_TELEMETRY=0, onnxruntime's own switch left on) shows both
 * appear, so the check can fail (the control child drops the variables by
 * which onnxruntime tells it runs under CI, where it writes no debug log).
 * Child processes with their own HOME and TMPDIR: the switch is read once
 * per process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { mlpArtifact } from '../helpers/mlp-artifact.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CI_VARS = ['CI', 'TF_BUILD', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CIRCLECI', 'TRAVIS', 'JENKINS_URL', 'CODEBUILD_BUILD_ID', 'BUILDKITE', 'TEAMCITY_VERSION', 'APPVEYOR', 'BITBUCKET_BUILD_NUMBER'];

describe('runtime/ort: onnxruntime telemetry', function () {
  this.timeout(120_000);
  const dir = scratchDir('gluonc-telemetry-');

  /** Runs the child with its own HOME and TMPDIR; returns what onnxruntime's telemetry left there. */
  function child(name: string, env: Record<string, string>): { debugLog: boolean; session: boolean; store: boolean; tmp: string[] } {
    const home = path.join(dir(), name, 'home');
    const tmp = path.join(dir(), name, 'tmp');
    mkdirSync(home, { recursive: true });
    mkdirSync(tmp, { recursive: true });
    // onnxruntime's telemetry writes no debug log where these say it runs under CI (the names in libonnxruntime.so).
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'ORT_DISABLE_TELEMETRY' && !CI_VARS.includes(k)));
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
    return { debugLog: left.includes(`mat-debug-${pid}.log`), session: left.includes('.ses'), store: existsSync(path.join(home, '.cache', 'Microsoft')), tmp: left };
  }

  it('is off by default: no debug log in the temp folder, no store under HOME', () => {
    const r = child('default', {});
    assert.equal(r.debugLog, false, `temp folder: ${r.tmp.join(', ')}`);
    assert.equal(r.session, false, `temp folder: ${r.tmp.join(', ')}`);
    assert.equal(r.store, false, 'telemetry store under HOME');
  });

  it('stays on when the user sets ORT_DISABLE_TELEMETRY=0 (the control: the check above can fail)', () => {
    const r = child('kept', { ORT_DISABLE_TELEMETRY: '0' });
    assert.ok(r.debugLog, `onnxruntime wrote no mat-debug log with telemetry on (temp folder: ${r.tmp.join(', ') || 'empty'}); if its telemetry is gone, runtime/ort.ts's switch can go too`);
    assert.ok(r.session, `onnxruntime wrote no .ses file with telemetry on (temp folder: ${r.tmp.join(', ') || 'empty'})`);
    assert.ok(r.store, 'onnxruntime wrote no telemetry store under HOME');
  });
});
