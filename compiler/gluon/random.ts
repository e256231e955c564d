/**
 * The one seeded random stream behind every draw: `nd.random.*`,
 * initializers, dropout masks and data shuffling. `random.seed(n)` makes all
 * of them repeatable. The generator is xoshiro128** seeded by splitmix32.
 */

const s = new Uint32Array(4);

function splitmix32(a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Seeds the global random stream.
 *
 * ```ts
 * random.seed(1);
 * nd.random.uniform(-1, 1, [2]); // the same values after every seed(1)
 * ```
 */
export function seed(n: number): void {
  if (!Number.isFinite(n)) throw new Error(`random.seed: seed must be a finite number, got ${n}`);
  const next = splitmix32(Math.trunc(n) | 0);
  for (let i = 0; i < 4; i++) s[i] = next();
}

seed(Date.now() ^ (Math.random() * 0x7fffffff));

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

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
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

/** A 31-bit seed for a random ONNX operator, drawn from the stream. */
export function nextSeed(): number {
  return nextUint32() >>> 1;
}

/** The generator's state (for saving and restoring a run). */
export function getState(): number[] {
  return Array.from(s);
}

/** Restores a state returned by `getState`. */
export function setState(state: number[]): void {
  if (state.length !== 4) throw new Error('random.setState: expected 4 numbers');
  s.set(state);
}
