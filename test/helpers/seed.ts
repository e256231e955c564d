/**
 * The seed of the randomized tests (the operator table's inputs, the passes'
 * random graphs): fresh each run and printed in their titles; setting
 * `GLUONC_TEST_SEED` to a printed seed replays that run.
 *
 * ```sh
 * GLUONC_TEST_SEED=1234567 npx mocha test/compiler/ops/grad.test.ts
 * ```
 */

/** The environment variable that fixes the seed. */
export const SEED_ENV = 'GLUONC_TEST_SEED';

/**
 * The seed a run uses: `value` (the variable's text) when given, else a fresh
 * one; a value that is not an integer in [0, 2^32) is an Error naming it.
 * Example: `seedFrom('42')` is 42.
 */
export function seedFrom(value: string | undefined, fresh: () => number = () => (Date.now() ^ 0x5bd1e995) >>> 0): number {
  if (value === undefined || value.trim() === '') return fresh();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`${SEED_ENV} must be an integer from 0 to 4294967295 (a seed printed by a test title), got '${value}'`);
  return n;
}

/** This run's seed. */
export const TEST_SEED = seedFrom(process.env[SEED_ENV]);

/** How a title says which seed ran and how to replay it. Example: `describe(\`ops (${seedNote()})\`, ...)`. */
export function seedNote(seed = TEST_SEED): string {
  return `seed ${seed}; replay with ${SEED_ENV}=${seed}`;
}

/** A seeded uniform [0, 1) stream (mulberry32), the runtime's. Example: `const r = mulberry32(7); r()`. */
export { mulberry32 } from '../../runtime/mulberry32.js';
