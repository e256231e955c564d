/**
 * The inputs of a block call: a `null` or `undefined` input is an optional
 * input left out (MXNet's `None`), anywhere among the inputs. Trailing ones
 * are dropped, so `block.call(x, null)` is `block.call(x)`; one before a
 * given input stays a hole, which `hybridForward` receives as `undefined`
 * (`block.call(x, null, pos)` runs `hybridForward(F, x, undefined, pos)`).
 * MXNet 2's HybridBlock flattens a `None` argument to an absent input
 * (block.py `_flatten`: `if args is None: return [None], int(-1)`), so its
 * cached graph has no input there and a call with the input given is
 * another graph: a compiled signature holds which inputs are present, and
 * a traced or exported graph has inputs for the present ones only.
 */
import { NDArray } from '../engine/ndarray.js';
import type { DType } from '../ir/types.js';
import type { Signature } from '../formats/block-like.js';

/**
 * Refuses what is neither an NDArray nor absent among a call's inputs.
 *
 * ```ts
 * checkArrays('Dense', [x, null, y]); // fine: input 1 is absent
 * checkArrays('Dense', [x, 3]);       // Error: Dense: input 1 must be an NDArray, got number
 * ```
 */
export function checkArrays(block: string, inputs: unknown[]): asserts inputs is (NDArray | null | undefined)[] {
  for (const [i, x] of inputs.entries()) {
    if (x instanceof NDArray || isAbsent(x)) continue;
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

/**
 * The inputs as `hybridForward` gets them: trailing absent ones dropped, a
 * hole `undefined` (whether given as null or undefined, so an eager and a
 * compiled call see the same). Returns `inputs` itself when nothing changes.
 *
 * ```ts
 * holesUndefined([x, null, y, null]); // [x, undefined, y]
 * ```
 */
export function holesUndefined<T>(inputs: (T | null | undefined)[]): (T | undefined)[] {
  const given = omitAbsentTail(inputs);
  return given.includes(null as T) ? given.map((x) => (x === null ? undefined : x)) : (given as (T | undefined)[]);
}

/** The inputs present (holes left out), in order. Example: `presentInputs([x, undefined, y])` is `[x, y]`. */
export function presentInputs<T>(inputs: (T | null | undefined)[]): T[] {
  return inputs.filter((x): x is T => !isAbsent(x));
}

/**
 * The types a block is traced with for a call's arrays: `data<i>` for input
 * i, null for a hole (the trace gets no variable there).
 *
 * ```ts
 * traceTypes([x, undefined, y]); // [{ name: 'data0', ... }, null, { name: 'data2', ... }]
 * ```
 */
export function traceTypes(inputs: (NDArray | null | undefined)[]): ({ name: string; dtype: DType; shape: number[] } | null)[] {
  return inputs.map((x, i) => (isAbsent(x) ? null : { name: `data${i}`, dtype: x.dtype, shape: x.shape }));
}

/**
 * The signature after a call with `arrays` (holes absent): `prev` itself
 * when the shapes are the same (every step of a training loop), else the
 * call's types with `varies` marking the dimensions that differed from a
 * comparable (same holes, ranks and dtypes) previous call.
 *
 * ```ts
 * nextSignature([{ dtype: 'float32', shape: [2, 3] }], [nd.ones([4, 3])]); // [{ dtype: 'float32', shape: [4, 3], varies: [true, false] }]
 * ```
 */
export function nextSignature(prev: Signature | null, arrays: (NDArray | null | undefined)[]): Signature {
  const same = (p: Signature[number] | undefined, x: NDArray | null | undefined) =>
    isAbsent(x) ? p === null : !!p && p.dtype === x.dtype && p.shape.length === x.shape.length;
  const comparable = prev?.length === arrays.length && arrays.every((x, i) => same(prev[i], x));
  if (comparable && arrays.every((x, i) => isAbsent(x) || prev[i]!.shape.every((d, k) => d === x.shape[k]))) return prev;
  return arrays.map((x, i) => {
    if (isAbsent(x)) return null;
    const p = comparable ? prev[i]! : null;
    return { dtype: x.dtype, shape: [...x.shape], varies: x.shape.map((d, k) => p !== null && (p.varies?.[k] === true || p.shape[k] !== d)) };
  });
}
