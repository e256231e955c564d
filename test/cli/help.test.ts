/**
 * What `--help` says (issue 12, item 16): `compile --help` lists every
 * export a model file may have; `golden record` and `golden check` each
 * explain their own tolerances; `serve` and `bench` explain why their
 * `--threads` defaults differ.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { GOLDEN_HELP_TOLERANCES } from '../../cli/commands/define.js';
import { program } from '../../cli/program.js';
import { GOLDEN_ATOL, GOLDEN_RTOL } from '../../compiler/index.js';
import { gluonc } from '../helpers/cli.js';

function sub(...path: string[]): Command {
  let c: Command = program();
  for (const name of path) c = c.commands.find((x) => x.name() === name)!;
  return c;
}

/** The full help text, including text added after the options. */
function help(...path: string[]): string {
  let out = '';
  const c = sub(...path);
  c.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  c.exitOverride();
  try {
    c.outputHelp();
  } catch {
    // outputHelp does not exit; exitOverride is only a guard
  }
  return out;
}

describe('cli help', () => {
  it('compile --help lists the model file exports, with the --train label type', () => {
    const h = help('compile');
    for (const name of ['default', 'inputs', 'params', 'loss', 'labels', 'trainer']) assert.match(h, new RegExp(`^  ${name} `, 'm'), `no '${name}' line`);
    assert.match(h, /float32 \[N\] class indices/);
  });

  it('compile --help is what the command prints', () => {
    const r = gluonc(['compile', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^A model file exports:$/m);
    assert.match(r.stdout, /^ {2}trainer /m);
  });

  it('golden record and golden check explain their own tolerances', () => {
    const rec = help('golden', 'record').replace(/\s+/g, ' ');
    const chk = help('golden', 'check').replace(/\s+/g, ' ');
    assert.match(rec, /--rtol <x> relative tolerance to store in index\.json for later checks \(default 0\.0001\)/);
    assert.match(chk, /--rtol <x> relative tolerance: \|got - expected\| <= atol \+ rtol \* \|expected\|, as numpy.s isclose with equal_nan=True \(default: the one in index\.json, else 0\.0001\)/);
    assert.doesNotMatch(rec, /record:|check:/);
    assert.doesNotMatch(chk, /stored in index/);
  });

  it("golden's help states checkGolden's own default tolerances", () => {
    assert.deepEqual(GOLDEN_HELP_TOLERANCES, { rtol: GOLDEN_RTOL, atol: GOLDEN_ATOL });
  });

  it('--help, --version and usage errors load no command module: each action imports its own when it runs', () => {
    const root = resolve(import.meta.dirname, '..', '..');
    const allowed = new Set(['commander', 'node:module', './errors.js', '../errors.js', './commands/define.js']);
    for (const f of ['cli/program.ts', 'cli/commands/define.ts']) {
      const src = readFileSync(join(root, f), 'utf8');
      const loaded = [...src.matchAll(/^import\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
      assert.ok(loaded.length >= 2, `${f}: only ${loaded.length} imports read`);
      assert.deepEqual(loaded.filter((x) => !allowed.has(x)), [], `${f} loads these up front`);
      if (f.endsWith('define.ts')) assert.equal([...src.matchAll(/await import\('\.\/(\w+)\.js'\)/g)].length, 8, 'each action (golden has two) imports its command module');
    }
  });

  it("serve's and bench's --threads defaults are each explained, naming the other", () => {
    assert.match(help('serve').replace(/\s+/g, ' '), /--threads <n> intra-op threads per session \(default 1: concurrent requests are the parallelism; bench defaults to 0\)/);
    assert.match(help('bench').replace(/\s+/g, ' '), /--threads <n> onnxruntime intra-op threads \(default \$GLUONC_THREADS, else 0: onnxruntime's choice, one per core, for one run's latency; serve defaults to 1, --threads 1 measures what serve does\)/);
  });
});
