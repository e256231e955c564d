import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SEED_ENV, seedFrom, seedNote } from './seed.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The seed and first draws of the operator table's input stream in a fresh process with `env`. */
function drawsIn(env: Record<string, string>): { seed: number; draws: number[] } {
  const sample = pathToFileURL(join(ROOT, 'test', 'compiler', 'ops', 'sample.ts')).href;
  const code = `const m = await import(${JSON.stringify(sample)}); console.log(JSON.stringify({ seed: m.SEED, draws: [m.rand(), m.rand(), m.rand()] }));`;
  const r = spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('test seeds', () => {
  it('take GLUONC_TEST_SEED when set, else a fresh seed; a bad value is an error naming the variable', () => {
    assert.equal(seedFrom('42'), 42);
    assert.equal(seedFrom(' 4294967295 '), 4294967295);
    assert.equal(seedFrom(undefined, () => 7), 7);
    assert.equal(seedFrom('', () => 7), 7);
    for (const bad of ['x', '1.5', '-1', '4294967296']) assert.throws(() => seedFrom(bad), new RegExp(`${SEED_ENV} must be an integer.*got '${bad.replace('.', '\\.')}'`));
    assert.equal(seedNote(42), `seed 42; replay with ${SEED_ENV}=42`);
  });

  it('replay a run: the same GLUONC_TEST_SEED draws the same random inputs in another process', function () {
    this.timeout(30000);
    const a = drawsIn({ [SEED_ENV]: '123456' });
    const b = drawsIn({ [SEED_ENV]: '123456' });
    const c = drawsIn({ [SEED_ENV]: '654321' });
    assert.equal(a.seed, 123456);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.draws, c.draws);
  });
});
