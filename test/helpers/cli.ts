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
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
 * Builds the package into `dir` (default: a new temporary folder):
 * package.json, the bin shim, `dist/` from `tsc -p tsconfig.build.json`
 * bundled by cli/bundle.mjs (as `npm run build` makes it),
 * node_modules linked; returns the launcher of its bin, which runs
 * `dist/cli/main.js`.
 */
export function builtCli(dir = mkdtempSync(join(tmpdir(), 'gluonc-pkg-'))): { launcher: CliLauncher; dir: string } {
  mkdirSync(join(dir, 'cli'), { recursive: true });
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
  // npm run build's second step: the bundle the package's entry points and the CLI load (cli/bundle.mjs).
  const bundled = spawnSync(process.execPath, [join(ROOT, 'cli', 'bundle.mjs'), join(dir, 'dist')], { cwd: ROOT, encoding: 'utf8' });
  if (bundled.status !== 0) throw new Error(`bundling dist/ failed: ${bundled.stdout}${bundled.stderr}`);
  return { launcher: [join(dir, 'cli', 'gluonc.js')], dir };
}

/**
 * test/suite.mjs sets this to a folder it removes after the run: the first
 * mocha worker to need the build makes it there (holding `lock`), the other
 * waits for `ready` and reuses it, so `npm test` builds once, not once per
 * worker (~10 s of CPU each).
 */
const SUITE_BUILD = process.env['GLUONC_TEST_BUILD_DIR'];

/** Sleeps `ms` synchronously (sharedBuiltCli is synchronous, as its callers are). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether process `pid` is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The suite's build in folder `root`: made (by `build`) in `root`/pkg by the
 * first process to take the lock, waited for by the others; a lock whose
 * holder died is taken over, a failed build fails every waiter with its error.
 *
 * ```ts
 * const { launcher } = suiteBuild(process.env['GLUONC_TEST_BUILD_DIR']!);
 * ```
 */
export function suiteBuild(root: string, build: (dir: string) => unknown = builtCli): { launcher: CliLauncher; dir: string } {
  const dir = join(root, 'pkg');
  const ready = join(root, 'ready');
  const lock = join(root, 'lock');
  const failed = join(root, 'failed');
  for (let waited = 0; !existsSync(ready); ) {
    if (existsSync(failed)) throw new Error(readFileSync(failed, 'utf8'));
    try {
      mkdirSync(lock); // atomic: exactly one process takes it
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // not written yet, or the lock was just given up
      }
      // A holder that died mid-build (or before writing its pid, after a grace period) leaves the lock to the next.
      if ((holder && !alive(holder)) || (!holder && waited > 30_000)) rmSync(lock, { recursive: true, force: true });
      else if (waited > 600_000) throw new Error(`the suite's build in ${root} did not finish within 10 minutes`);
      sleepSync(200);
      waited += 200;
      continue;
    }
    writeFileSync(join(lock, 'pid'), String(process.pid));
    rmSync(dir, { recursive: true, force: true });
    try {
      build(dir);
    } catch (e) {
      writeFileSync(failed, (e as Error).message);
      throw e;
    }
    writeFileSync(ready, '');
  }
  return { launcher: [join(dir, 'cli', 'gluonc.js')], dir };
}

let shared: { launcher: CliLauncher; dir: string } | undefined;

/**
 * One `builtCli()` for the whole test process (under test/suite.mjs, for the
 * whole run: SUITE_BUILD): the first caller pays the build (a few seconds),
 * later ones reuse it; a per-process one is removed when the process exits.
 * Callers must not remove it (a removed build is rebuilt).
 */
export function sharedBuiltCli(): { launcher: CliLauncher; dir: string } {
  if (shared === undefined || !existsSync(join(shared.dir, 'dist', 'cli', 'main.js'))) {
    if (SUITE_BUILD && existsSync(SUITE_BUILD)) return (shared = suiteBuild(SUITE_BUILD));
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
