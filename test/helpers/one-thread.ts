/**
 * Mocha setup (`.mocharc.json` requires it, in every worker): sessions that
 * set no intra-op thread count run on one (GLUONC_THREADS=1, read by
 * runtime/session.ts's `defaultThreads`), unless the environment already
 * sets GLUONC_THREADS. The suite runs two files at a time, and most of its
 * graphs are tiny: a pool of threads per session, spinning between runs,
 * would take CPU from the other file. The CLI processes the tests start
 * inherit it. Tests of threads give their counts explicitly (a session's
 * `threads`, `setStepThreads`, `loadModel`'s `threads`), which it does not
 * change.
 *
 * ```json
 * { "require": ["test/helpers/quiet-warnings.ts", "test/helpers/one-thread.ts"] }
 * ```
 */
process.env['GLUONC_THREADS'] ??= '1';

export {};
