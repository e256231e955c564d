/**
 * The `gluonc` entry point (cli/gluonc.js runs it): parses process.argv and
 * exits with the command's code. The commands live in cli/commands/.
 */
import { main } from './program.js';

process.exitCode = await main(process.argv);
