/**
 * The inputs of a block call: a trailing `undefined` is an optional input
 * left out (MXNet's `None`), so `block.call(x, undefined)` is `block.call(x)`.
 */

/**
 * The inputs without their trailing `undefined`s (optional inputs left out).
 *
 * ```ts
 * omitTrailingUndefined([x, undefined]); // [x]
 * ```
 */
export function omitTrailingUndefined<T>(inputs: T[]): T[] {
  let n = inputs.length;
  while (n > 0 && inputs[n - 1] === undefined) n--;
  return n === inputs.length ? inputs : inputs.slice(0, n);
}
