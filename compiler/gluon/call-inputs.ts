/**
 * The inputs of a block call: a trailing `null` or `undefined` is an optional
 * input left out (MXNet's `None`), so `block.call(x, null)` and
 * `block.call(x, undefined)` are `block.call(x)`. MXNet 2's HybridBlock
 * flattens a `None` argument to an absent input (block.py `_flatten`:
 * `if args is None: return [None], int(-1)`), so its cached graph has no
 * input there; gluonc keeps the absent inputs at the end, where d2l's
 * `valid_lens=None` and GluonNLP's `mask=None` are.
 */

/** True for what stands for an absent optional input: `null` or `undefined` (MXNet's `None`). */
export function isAbsent(x: unknown): x is null | undefined {
  return x === null || x === undefined;
}

/**
 * The inputs without their trailing `null`s and `undefined`s (optional inputs left out).
 *
 * ```ts
 * omitAbsentTail([x, null, undefined]); // [x]
 * ```
 */
export function omitAbsentTail<T>(inputs: T[]): T[] {
  let n = inputs.length;
  while (n > 0 && isAbsent(inputs[n - 1])) n--;
  return n === inputs.length ? inputs : inputs.slice(0, n);
}
