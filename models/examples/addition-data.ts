/**
 * The task models/examples/train-gpt.ts teaches a GPT: adding two
 * `digits`-digit numbers written as characters. A problem is the prompt
 * `"123+456="` (operands zero-padded to `digits`, so every digit has a fixed
 * position) followed by the sum's `digits + 1` digits, zero-padded:
 * `"0579"` as written (`order: 'plain'`, the default), or least significant
 * first, `"9750"` (`order: 'reversed'`: each answer digit then depends only
 * on operand digits and on answer digits already written, the carry — the
 * layout with which small transformers learn addition fastest; Lee et al.,
 * "Teaching Arithmetic to Small Transformers", 2023). `decodeSum` turns
 * the generated digits back into the number.
 *
 * Vocabulary: `0`–`9` are ids 0–9, `+` is 10, `=` is 11, 12 is padding.
 * Problems are drawn with a seeded generator; the held-out problems are
 * drawn first and never appear in training.
 */

/** The characters of the vocabulary, by id (id 12, padding, prints as `_`). */
export const VOCAB = '0123456789+=_';
/** Token id of `+`. */
export const PLUS = 10;
/** Token id of `=`. */
export const EQUALS = 11;
/** Token id used for padding. */
export const PAD = 12;

/** How the sum's digits are written: as usual (`plain`) or least significant first (`reversed`). */
export type DigitOrder = 'plain' | 'reversed';

/**
 * A seeded generator of floats in [0, 1) (mulberry32): the same seed gives the same problems.
 *
 * ```ts
 * const rand = seededRandom(7); rand(); // 0.64...
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Length of the prompt `"aaa+bbb="` for `digits`-digit operands. */
export function promptLength(digits: number): number {
  return 2 * digits + 2;
}

/** Length of a whole problem: prompt, then the `digits + 1` digits of the sum. */
export function problemLength(digits: number): number {
  return 3 * digits + 3;
}

function checkOperand(v: number, digits: number, what: string): void {
  if (!Number.isInteger(digits) || digits < 1 || digits > 9) throw new Error(`addition: digits must be an integer in 1..9, got ${digits}`);
  if (!Number.isInteger(v) || v < 0 || v >= 10 ** digits) throw new Error(`addition: ${what} must be an integer in 0..${10 ** digits - 1}, got ${v}`);
}

/**
 * The prompt's token ids: `a`, `+`, `b`, `=`, operands zero-padded to `digits`.
 *
 * ```ts
 * encodePrompt(123, 45, 3); // [1, 2, 3, 10, 0, 4, 5, 11]
 * ```
 */
export function encodePrompt(a: number, b: number, digits: number): number[] {
  checkOperand(a, digits, 'the first operand');
  checkOperand(b, digits, 'the second operand');
  const pad = (v: number) => [...String(v).padStart(digits, '0')].map(Number);
  return [...pad(a), PLUS, ...pad(b), EQUALS];
}

/**
 * The answer's token ids: the `digits + 1` digits of the sum, zero-padded, in `order`.
 *
 * ```ts
 * encodeSum(579, 3); // [0, 5, 7, 9]
 * encodeSum(579, 3, 'reversed'); // [9, 7, 5, 0]
 * ```
 */
export function encodeSum(sum: number, digits: number, order: DigitOrder = 'plain'): number[] {
  const ids = [...String(sum).padStart(digits + 1, '0')].map(Number);
  return order === 'reversed' ? ids.reverse() : ids;
}

/**
 * The number that answer digits written in `order` stand for; null when an
 * id is not a digit.
 *
 * ```ts
 * decodeSum([0, 5, 7, 9]); // 579
 * decodeSum([9, 7, 5, 0], 'reversed'); // 579
 * ```
 */
export function decodeSum(ids: ArrayLike<number>, order: DigitOrder = 'plain'): number | null {
  const list = Array.from(ids);
  if (order === 'reversed') list.reverse();
  let v = 0;
  for (const d of list) {
    if (!Number.isInteger(d) || d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Token ids as text (`_` for padding).
 *
 * ```ts
 * detokenize([1, 10, 2, 11]); // '1+2='
 * ```
 */
export function detokenize(ids: ArrayLike<number>): string {
  return Array.from(ids, (i) => VOCAB[i] ?? '?').join('');
}

/** A batch of whole problems: `tokens` [n, problemLength] row-major, and the operands. */
export interface Problems {
  digits: number;
  order: DigitOrder;
  n: number;
  a: number[];
  b: number[];
  /** Row-major [n, problemLength(digits)] token ids. */
  tokens: Int32Array;
}

/**
 * Packs problems (prompt followed by the sum) into one token array.
 *
 * ```ts
 * problems([123], [456], 3).tokens; // Int32Array [1,2,3,10,4,5,6,11,0,5,7,9]
 * ```
 */
export function problems(a: number[], b: number[], digits: number, order: DigitOrder = 'plain'): Problems {
  if (a.length !== b.length) throw new Error(`addition: ${a.length} first operands for ${b.length} second operands`);
  const len = problemLength(digits);
  const tokens = new Int32Array(a.length * len);
  for (let i = 0; i < a.length; i++) tokens.set([...encodePrompt(a[i]!, b[i]!, digits), ...encodeSum(a[i]! + b[i]!, digits, order)], i * len);
  return { digits, order, n: a.length, a: [...a], b: [...b], tokens };
}

/**
 * Seeded, disjoint training and held-out problem sources: `heldOut` fixed
 * problems, and `draw(n)` giving fresh training problems never among them.
 *
 * ```ts
 * const task = additionTask({ digits: 3, heldOut: 1000, seed: 1 });
 * task.heldOut.n; // 1000
 * task.draw(64).tokens.length; // 64 * 12
 * ```
 */
export function additionTask(o: { digits: number; heldOut: number; seed: number; order?: DigitOrder }): { heldOut: Problems; draw: (n: number) => Problems } {
  const { digits } = o;
  checkOperand(0, digits, 'zero');
  const space = 10 ** digits;
  if (!Number.isInteger(o.heldOut) || o.heldOut < 1 || o.heldOut > (space * space) / 2) {
    throw new Error(`addition: heldOut must be an integer in 1..${(space * space) / 2}, got ${o.heldOut}`);
  }
  const rand = seededRandom(o.seed);
  const pick = () => Math.floor(rand() * space);
  const held = new Set<number>();
  const ha: number[] = [];
  const hb: number[] = [];
  while (ha.length < o.heldOut) {
    const a = pick();
    const b = pick();
    if (held.has(a * space + b)) continue;
    held.add(a * space + b);
    ha.push(a);
    hb.push(b);
  }
  return {
    heldOut: problems(ha, hb, digits, o.order),
    draw(n: number): Problems {
      const a: number[] = [];
      const b: number[] = [];
      while (a.length < n) {
        const x = pick();
        const y = pick();
        if (held.has(x * space + y)) continue;
        a.push(x);
        b.push(y);
      }
      return problems(a, b, digits, o.order);
    },
  };
}
