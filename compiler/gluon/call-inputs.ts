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

/**
 * The inputs padded with `undefined` up to the inputs `hybridForward`
 * declares by name, so that a ported `hybrid_forward(F, inputs, token_types,
 * valid_length=None)` written as `hybridForward(F, inputs, tokenTypes,
 * validLength?, p?)` and called without the last input gets `validLength`
 * undefined and its parameters in `p`, not the parameter object in
 * `validLength`. The declared inputs are the function's arity less `F` and,
 * for a block with parameters of its own, the parameter object (a block
 * without them may leave `p` out); rest arguments (`...rest`) declare none.
 *
 * ```ts
 * padDeclaredInputs(function (F, x, mask, p) {}, [x], true); // [x, undefined]
 * ```
 */
export function padDeclaredInputs(fn: (...args: never[]) => unknown, inputs: unknown[], hasParams: boolean): unknown[] {
  const declared = fn.length - 1 - (hasParams ? 1 : 0);
  return inputs.length >= declared ? inputs : [...inputs, ...new Array<undefined>(declared - inputs.length).fill(undefined)];
}
