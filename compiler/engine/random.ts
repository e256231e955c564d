/**
 * The front end's view of the one seeded random stream (compiler/ops/rng.ts):
 * `random.seed(n)` makes every draw repeatable — `nd.random.*`,
 * initializers, dropout masks and data shuffling.
 *
 * ```ts
 * random.seed(1);
 * nd.random.uniform(-1, 1, [2]); // the same values after every seed(1)
 * ```
 */
export { seedRng as seed, nextUint32, nextFloat, nextNormal, nextInt, nextSeed, getState, setState } from '../ops/rng.js';
