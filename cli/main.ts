/**
 * The gluonc command line (commander). The compiler commands arrive with
 * the CLI issue; for now the program answers --help and --version.
 */
import { Command } from 'commander';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The gluonc version from package.json. */
export function version(): string {
  for (const p of ['../package.json', '../../package.json']) {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      // try the next location (sources vs dist/)
    }
  }
  return '0.0.0';
}

/** Builds the CLI program. */
export function program(): Command {
  return new Command('gluonc')
    .description('Compile Gluon-style TypeScript models to ONNX and run them')
    .version(version())
    .showHelpAfterError();
}

const p = program();
p.parse(process.argv);
if (process.argv.length <= 2) p.help();
