/**
 * The one seeded random stream behind every draw: `nd.random.*`,
 * initializers, data shuffling, and the seeds of random operators (Dropout:
 * `normalize` draws one 31-bit seed per call and stores it as the node's
 * `seed` attribute; the TypeScript kernel derives its draws from that seed
 * with a counter-based hash, and the ONNX lowering passes it to
 * RandomUniformLike). `random.seed(n)` is `seedRng(n)`, so all of them
 * repeat. The generator is xoshiro128** seeded by splitmix32.
 */

const s = new Uint32Array(4);

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Seeds the operators' seed stream.
 *
 * ```ts
 * seedRng(1); const a = nextSeed(); seedRng(1); nextSeed() === a; // true
 * ```
 */
export function seedRng(n: number): void {
  if (!Number.isFinite(n)) throw new Error(`seedRng: seed must be a finite number, got ${n}`);
  let a = Math.trunc(n) | 0;
  for (let i = 0; i < 4; i++) {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
}

seedRng(Date.now() ^ (Math.random() * 0x7fffffff));

/** The next 32 random bits. */
export function nextUint32(): number {
  const r = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
  const t = s[1]! << 9;
  s[2]! ^= s[0]!;
  s[3]! ^= s[1]!;
  s[1]! ^= s[2]!;
  s[0]! ^= s[3]!;
  s[2]! ^= t;
  s[3] = rotl(s[3]!, 11);
  return r;
}

/** The next 31-bit seed for a random operator. Example: `attrs.seed = nextSeed()`. */
export function nextSeed(): number {
  return nextUint32() >>> 1;
}

/**
 * A uniform float in [0, 1) for element `i` of the draw seeded by `seed`
 * (a counter-based hash: no state, the same for the same pair).
 * Example: `uniformAt(seed, 0)`.
 */
export function uniformAt(seed: number, i: number): number {
  let z = (Math.imul(seed | 0, 0x9e3779b9) ^ Math.imul(i | 0, 0x85ebca6b) ^ Math.imul(Math.floor(i / 4294967296), 0xc2b2ae35)) | 0;
  z = (z + 0x6d2b79f5) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  z = Math.imul(z ^ (z >>> 15), z | 1);
  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
  return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
}

/** A uniform float in [0, 1) with 32 random bits. */
export function nextFloat(): number {
  return nextUint32() / 4294967296;
}

/** A standard normal draw (Box-Muller). */
export function nextNormal(): number {
  let u = nextFloat();
  while (u === 0) u = nextFloat();
  const v = nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A uniform integer in [0, n). */
export function nextInt(n: number): number {
  return Math.floor(nextFloat() * n);
}

/** The generator's state (for saving and restoring a run). */
export function getState(): number[] {
  return Array.from(s);
}

/** Restores a state returned by `getState`. */
export function setState(state: number[]): void {
  if (!Array.isArray(state) || state.length !== 4 || !state.every((x) => Number.isInteger(x))) {
    throw new Error('random.setState: expected the 4 integers getState returned');
  }
  s.set(state);
}
