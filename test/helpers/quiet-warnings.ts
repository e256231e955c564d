/**
 * Mocha setup (`.mocharc.json` requires it): the GluoncWarnings that tests
 * provoke on purpose (initializing twice, blocks held in arrays, as MXNet
 * warns) are not printed between the test dots; tests that check them
 * listen for 'warning' themselves. Every other warning prints as before.
 *
 * ```json
 * { "require": ["test/helpers/quiet-warnings.ts"] }
 * ```
 */
const printers = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (w: Error) => {
  if (w.name !== 'GluoncWarning') for (const p of printers) p(w);
});

export {};
