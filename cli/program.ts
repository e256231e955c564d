/**
 * The gluonc command line as a commander program: `compile`, `run`,
 * `inspect`, `golden record|check`, `bench`; `--help` on each. Errors print
 * one line (`gluonc: <message>`) on stderr and exit 1 (see errors.ts). The
 * commands are defined in commands/define.ts, and each loads what it runs
 * (the compiler, the runtime) only when it runs.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { benchCommand, compileCommand, goldenCommand, importCommand, inspectCommand, runCommand, serveCommand } from './commands/define.js';
import { firstLine, reportError } from './errors.js';

const require = createRequire(import.meta.url);

/** Commands whose work goes on after their action resolves (a server). */
const LONG_RUNNING = new Set(['serve']);
let lastAction = '';

/**
 * True when the last command `main` ran keeps working after it returned
 * (`serve`): the entry point then lets the event loop run instead of exiting.
 *
 * ```ts
 * const code = await main(process.argv);
 * if (!keepsRunning()) process.exit(code);
 * ```
 */
export function keepsRunning(): boolean {
  return LONG_RUNNING.has(lastAction);
}

/** The gluonc version from package.json. Example: `version() === '0.1.0'`. */
export function version(): string {
  for (const p of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(p) as { name?: string; version: string };
      if (pkg.name === 'gluonc') return pkg.version;
    } catch {
      // try the next location (sources vs dist/)
    }
  }
  return '0.0.0';
}

/** Makes a command and its subcommands throw instead of exiting, and print errors as one line. */
function oneLineErrors(c: Command): void {
  c.exitOverride();
  c.configureOutput({
    outputError: (str, write) => {
      const msg = firstLine(str.replace(/^error:\s*/i, ''));
      const help = c.name() === 'gluonc' ? 'gluonc --help' : `gluonc ${c.parent && c.parent.name() !== 'gluonc' ? `${c.parent.name()} ` : ''}${c.name()} --help`;
      write(`gluonc: ${msg} (see ${help})\n`);
    },
  });
  for (const sub of c.commands) oneLineErrors(sub);
}

/**
 * Builds the CLI program.
 *
 * ```ts
 * await program().parseAsync(['node', 'gluonc', 'inspect', 'mlp.onnx']);
 * ```
 */
export function program(): Command {
  const p = new Command('gluonc')
    .description('Compile Gluon-style TypeScript models to ONNX and run them')
    .version(version(), '-V, --version')
    .addCommand(compileCommand())
    .addCommand(runCommand())
    .addCommand(inspectCommand())
    .addCommand(goldenCommand())
    .addCommand(benchCommand())
    .addCommand(serveCommand())
    .addCommand(importCommand())
    .addHelpText('after', '\nExample:\n  npx gluonc compile models/mlp.ts        # writes mlp.onnx\n  npx gluonc inspect mlp.onnx');
  oneLineErrors(p);
  p.hook('preAction', (_root, action) => {
    lastAction = action.name();
  });
  return p;
}

/**
 * Runs the CLI on `argv` (as `process.argv`); resolves with the exit code.
 *
 * ```ts
 * process.exitCode = await main(process.argv);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const p = program();
  lastAction = '';
  if (argv.length <= 2) {
    p.outputHelp();
    return 0;
  }
  try {
    await p.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were printed (one line) by outputError.
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 1;
    }
    return reportError(e);
  }
}
