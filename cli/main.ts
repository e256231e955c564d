/**
 * The `gluonc` entry point (cli/gluonc.js runs it): parses process.argv and
 * exits with the command's code. A finished command exits even when a model
 * file it imported left a timer or a handle open (it would hang otherwise);
 * `serve`, which answers requests after its action returns, keeps running
 * (unless it failed to start). The commands live in cli/commands/.
 */
import { keepsRunning, main } from './program.js';

const code = await main(process.argv);
process.exitCode = code;
if (code !== 0 || !keepsRunning()) process.exit(code);
