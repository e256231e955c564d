/**
 * Runs the real `gluonc` CLI as a subprocess: from the TypeScript sources
 * through tsx (the default), or through a bin shim whose package has a
 * freshly built `dist/` (`builtCli()`), as an installed gluonc runs.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
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
 * Runs gluonc with `args` in `cwd`.
 *
 * ```ts
 * const r = gluonc(['inspect', 'mlp.onnx'], { cwd: dir });
 * ```
 */
export function gluonc(args: string[], options: { cwd?: string; launcher?: CliLauncher; env?: Record<string, string>; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [...(options.launcher ?? SOURCE_CLI), ...args], {
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

/** Asserts the CLI failed the user-error way: exit 1, one stderr line `gluonc: ...`, no stack trace. */
export function oneLineError(r: CliResult): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  if (r.status !== 1 || lines.length !== 1 || !lines[0]!.startsWith('gluonc: ') || /\n\s+at /.test(r.stderr)) {
    throw new Error(`expected exit 1 and one 'gluonc: ' line on stderr, got exit ${r.status}:\n${r.stderr}${r.stdout}`);
  }
  return lines[0]!;
}
