/**
 * The inputs of a block call: a trailing `null` or `undefined` is an optional
 * input left out (MXNet's `None`), so `block.call(x, null)` and
 * `block.call(x, undefined)` are `block.call(x)`. MXNet 2's HybridBlock
 * flattens a `None` argument to an absent input (block.py `_flatten`:
 * `if args is None: return [None], int(-1)`), so its cached graph has no
 * input there; gluonc keeps the absent inputs at the end, where d2l's
 * `valid_lens=None` and GluonNLP's `mask=None` are.
 */
import { NDArray } from '../engine/ndarray.js';

/**
 * Refuses what is not an NDArray among a call's inputs (absent ones are
 * trailing and were omitted before, so a hole has a given input after it).
 *
 * ```ts
 * checkArrays('Dense', [x, null, y]); // Error: Dense: input 1 is null but input 2 is given; ...
 * ```
 */
export function checkArrays(block: string, inputs: unknown[]): asserts inputs is NDArray[] {
  for (const [i, x] of inputs.entries()) {
    if (x instanceof NDArray) continue;
    if (isAbsent(x)) throw new Error(`${block}: input ${i} is ${String(x)} but input ${inputs.length - 1} is given; an absent optional input (null or undefined, MXNet's None) can only come after the inputs given`);
    const what = typeof x === 'object' ? ((x as object).constructor?.name ?? 'an object') : typeof x;
    throw new Error(`${block}: input ${i} must be an NDArray, got ${what}`);
  }
}

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

/**
 * The inputs padded with `undefined` up to the inputs `hybridForward`
 * declares by name, so that a ported `hybrid_forward(F, inputs, token_types,
 * valid_length=None)` written as `hybridForward(F, inputs, tokenTypes,
 * validLength?, p?)` and called without the last input gets `validLength`
 * undefined and its parameters in `p`, not the parameter object in
 * `validLength`. The declared inputs are the function's arity less `F` and,
 * for a block with parameters of its own, the parameter object (a block
 * without them may leave `p` out: `params` is the parameter object handed to
 * hybridForward, empty without them); rest arguments (`...rest`) declare none.
 *
 * ```ts
 * padDeclaredInputs(function (F, x, mask, p) {}, [x], { weight }); // [x, undefined]
 * ```
 */
export function padDeclaredInputs(fn: (...args: never[]) => unknown, inputs: unknown[], params: object): unknown[] {
  // A call giving every declared input (the common one, on the eager hot path) needs no padding, nor a look at the parameters.
  if (inputs.length + 1 >= fn.length) return inputs;
  let hasParams = false;
  for (const k in params) if (Object.prototype.hasOwnProperty.call(params, k)) hasParams = true;
  const declared = fn.length - 1 - (hasParams ? 1 : 0);
  return inputs.length >= declared ? inputs : [...inputs, ...new Array<undefined>(declared - inputs.length).fill(undefined)];
}
