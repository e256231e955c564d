/**
 * MXNet's `waitall`: runs everything deferred — the pending training-step
 * program (a hybridized block's recorded forward and backward waiting for
 * `trainer.step` or a read) and every pending eager operator — so a timer
 * read after it sees the work done (d2l's benchmarks) and later calls start
 * from settled state.
 */
import { flushPendingOps } from './lazy-op.js';
import { flushPending } from './program.js';

/**
 * Runs the pending step program, then every pending operator.
 *
 * ```ts
 * waitAll(); // nd.waitall() and npx.waitall()
 * ```
 */
export function waitAll(): void {
  flushPending();
  flushPendingOps();
}
