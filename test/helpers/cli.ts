/**
 * Runs the real `gluonc` CLI as a subprocess: through a bin shim whose
 * package has a `dist/` freshly built from the sources (the default: one
 * build per test process, `sharedBuiltCli()`), as an installed gluonc runs,
 * or from the TypeScript sources through tsx (`SOURCE_CLI`), as a checkout
 * without a build runs. A spawn through tsx transpiles and loads the ~300
 * source files each time and starts in about three times as long, so tests
 * name `SOURCE_CLI` where the source path itself is what they check.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** What a CLI run returned. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** How to start the CLI: argv before the gluonc arguments. */
export type CliLauncher = string[];

/** The CLI from sources: `node --import tsx cli/main.ts` (no export conditions). */
export const SOURCE_CLI: CliLauncher = ['--import', join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs'), join(ROOT, 'cli', 'main.ts')];

/**
 * Runs gluonc with `args` in `cwd`, by default through the shared build
 * (`sharedBuiltCli()`).
 *
 * ```ts
 * const r = gluonc(['inspect', 'mlp.onnx'], { cwd: dir });
 * ```
 */
export function gluonc(args: string[], options: { cwd?: string; launcher?: CliLauncher; env?: Record<string, string>; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [...(options.launcher ?? sharedBuiltCli().launcher), ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', ...(options.env ?? {}) },
    timeout: options.timeout ?? 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A temporary folder set up as a user's project: its `package.json` says
 * `"type": "module"`, so the model files a test writes there load as ES
 * modules. The caller removes it (`rmSync(dir, { recursive: true, force: true })`).
 *
 * ```ts
 * before(() => (dir = userProject('gluonc-hints-')));
 * ```
 */
export function userProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  return dir;
}

/**
 * Builds the package into a temporary folder (package.json, the bin shim,
 * `dist/` from `tsc -p tsconfig.build.json`, node_modules linked) and
 * returns the launcher of its bin, which runs `dist/cli/main.js`.
 */
export function builtCli(): { launcher: CliLauncher; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gluonc-pkg-'));
  mkdirSync(join(dir, 'cli'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(ROOT, 'cli', 'gluonc.js'), join(dir, 'cli', 'gluonc.js'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  // tsc emits even when other files have type errors; only a missing build is fatal.
  try {
    writeFileSync(join(dir, '.built'), tsc.stdout);
    copyFileSync(join(dir, 'dist', 'cli', 'main.js'), join(dir, '.main-check.js'));
  } catch {
    throw new Error(`building dist/ failed: ${tsc.stdout}${tsc.stderr}`);
  }
  return { launcher: [join(dir, 'cli', 'gluonc.js')], dir };
}

let shared: { launcher: CliLauncher; dir: string } | undefined;

/**
 * One `builtCli()` for the whole test process: the first caller pays the
 * build (a few seconds), later ones reuse it; it is removed when the process
 * exits. Callers must not remove it (a removed build is rebuilt).
 */
export function sharedBuiltCli(): { launcher: CliLauncher; dir: string } {
  if (shared === undefined || !existsSync(join(shared.dir, 'dist', 'cli', 'main.js'))) {
    const built = builtCli();
    shared = built;
    process.once('exit', () => rmSync(built.dir, { recursive: true, force: true }));
  }
  return shared;
}

// Under mocha: the build runs in a root hook before the first test, under its own time limit, instead
// of inside whichever test spawns the CLI first (under that test's limit).
if (typeof before === 'function') {
  before(function () {
    this.timeout(600_000);
    sharedBuiltCli();
  });
}

/** Asserts the CLI failed the user-error way: exit 1, one stderr line `gluonc: ...`, no stack trace. */
export function oneLineError(r: CliResult): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  if (r.status !== 1 || lines.length !== 1 || !lines[0]!.startsWith('gluonc: ') || /\n\s+at /.test(r.stderr)) {
    throw new Error(`expected exit 1 and one 'gluonc: ' line on stderr, got exit ${r.status}:\n${r.stderr}${r.stdout}`);
  }
  return lines[0]!;
}
