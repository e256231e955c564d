/**
 * A seeded uniform [0, 1) stream (mulberry32): golden outputs' random feeds,
 * and the tests' own deterministic draws (test/helpers/seed.ts).
 */

/** The stream of `seed`. Example: `const r = mulberry32(7); r(); // 0.64...` */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
