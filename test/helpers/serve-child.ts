/**
 * A child process running `gluonc serve` through the CLI's own entry
 * (cli/program.ts, from sources), for the SIGTERM test and the serve
 * benchmark: `node --import tsx test/helpers/serve-child.ts <artifact> [serve flags]`.
 * It prints the model URL on stdout once listening.
 */
import { main } from '../../cli/program.js';

process.exitCode = await main([process.argv[0]!, 'gluonc', 'serve', ...process.argv.slice(2)]);
