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
 * An input may also be a (nested) list of arrays (d2l's `[h, c]` state):
 * `flattenInputs` / `regroupInputs` are MXNet 2's `_flatten` / `_regroup`,
 * the compiled graph's inputs are the arrays depth first and the nesting is
 * part of its signature; a number, boolean or string passes through to an
 * un-hybridized forward and is refused hybridized, as MXNet 2 does.
 */
import { NDArray } from '../engine/ndarray.js';
import type { DType } from '../ir/types.js';
import type { InputFormat, InputNode, Signature } from '../formats/block-like.js';
import { isSymbol } from '../trace/symbol.js';

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

export type { InputFormat, InputNode };

/** True for a value a call may pass through as a constant when not compiled (MXNet's Python scalars): a number, boolean, string or bigint. */
function isConstant(x: unknown): boolean {
  return typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string' || typeof x === 'bigint';
}

/** A constant as a key and errors show it: `3`, `true`, `'a'`. */
function showConstant(x: unknown): string {
  return typeof x === 'string' ? `'${x}'` : String(x);
}

/** How a value is shown in an input error: `number 3`, `string 'a'`, `Object`. */
function shown(x: unknown): string {
  if (isConstant(x)) return `${typeof x} ${showConstant(x)}`;
  return typeof x === 'object' ? ((x as object).constructor?.name ?? 'an object') : typeof x;
}

/** True when a symbol is among the inputs, inside lists too (a call traced inside a hybridized parent). */
export function hasSymbol(inputs: readonly unknown[]): boolean {
  return inputs.some((x) => isSymbol(x) || (Array.isArray(x) && hasSymbol(x)));
}

/** True when an array or symbol is among the inputs, inside lists too. */
export function hasTensor(inputs: readonly unknown[]): boolean {
  return inputs.some((x) => x instanceof NDArray || isSymbol(x) || (Array.isArray(x) && hasTensor(x)));
}

/**
 * MXNet 2's `_flatten` of a call's arguments: the arrays (and symbols) and
 * absent entries depth first, and the nesting that puts them back
 * (`regroupInputs`). A flat call (only arrays and absent arguments) is
 * returned as it is with a null format. Refused, naming the input by its
 * path (`input 1[0]`): inside a list anything but an array, a symbol, an
 * absent entry or a list (MXNet's "(nested) list of Symbol or NDArray"); at
 * the top level anything but those and, with `constants`, a number,
 * boolean, string or bigint (passed through, as Python passes them to an
 * un-hybridized forward; MXNet 2 refuses them once hybridized).
 *
 * ```ts
 * flattenInputs('Dec', [x, [h, c]], false); // { flat: [x, h, c], format: ['a', ['a', 'a']] }
 * flattenInputs('Dec', [x, 3], true);       // { flat: [x], format: ['a', { value: 3 }] }
 * ```
 */
export function flattenInputs(block: string, inputs: readonly unknown[], constants: boolean): { flat: unknown[]; format: InputFormat } {
  if (inputs.every((x) => x instanceof NDArray || isSymbol(x) || isAbsent(x))) return { flat: inputs as unknown[], format: null };
  const flat: unknown[] = [];
  const walk = (x: unknown, path: string, top: boolean): InputNode => {
    if (x instanceof NDArray || isSymbol(x)) {
      flat.push(x);
      return 'a';
    }
    if (isAbsent(x)) {
      flat.push(undefined);
      return x === null ? 'null' : 'undefined';
    }
    if (Array.isArray(x)) return x.map((v, i) => walk(v, `${path}[${i}]`, false));
    if (top && constants && isConstant(x)) return { value: x };
    const why = top
      ? isConstant(x)
        ? `: a hybridized block's inputs are arrays, absent (null) or (nested) lists of them, as MXNet 2's (HybridBlock._flatten refuses anything else); ` +
          'give the value to the constructor, or call the block without hybridize()'
        : ', a (nested) list of NDArrays, or absent (null)'
      : ` inside a list: a list input holds NDArrays, absent entries (null) or lists of them, as MXNet 2's "(nested) list of NDArray"${typeof x === 'number' ? ' (nd.array([...]) makes an array of numbers)' : ''}`;
    throw new Error(`${block}: input ${path} must be an NDArray, got ${shown(x)}${why}`);
  };
  const format = inputs.map((x, i) => walk(x, String(i), true));
  return { flat, format };
}

/**
 * MXNet 2's `_regroup`: the flat entries (`flattenInputs`' order) put back
 * into the call's nesting, absent entries as they were given (`null` or
 * `undefined`), constants as they were.
 *
 * ```ts
 * regroupInputs([xs, hs, cs], ['a', ['a', 'a']]); // [xs, [hs, cs]]
 * ```
 */
export function regroupInputs<T>(flat: readonly T[], format: InputFormat): unknown[] {
  if (!format) return flat as T[];
  let at = 0;
  const build = (n: InputNode): unknown => {
    if (n === 'a') return flat[at++];
    if (n === 'null' || n === 'undefined') {
      at++;
      return n === 'null' ? null : undefined;
    }
    if (Array.isArray(n)) return n.map(build);
    return (n as { value: unknown }).value;
  };
  return format.map(build);
}

/** The number of flat entries a nesting holds (arrays and absent ones). Example: `formatSize(['a', ['a', 'null']])` is 3. */
export function formatSize(format: readonly InputNode[]): number {
  const count = (n: InputNode): number => (n === 'a' || n === 'null' || n === 'undefined' ? 1 : Array.isArray(n) ? n.reduce((s: number, m: InputNode) => s + count(m), 0) : 0);
  return format.reduce((s, n) => s + count(n), 0);
}

/**
 * The nesting as text, as a compiled signature's key and errors show it:
 * `a,[a,a]` for `(x, [h, c])`, `-` an absent entry, `=3` a constant.
 */
export function formatText(format: InputFormat): string {
  if (!format) return '';
  const text = (n: InputNode): string => (n === 'a' ? 'a' : n === 'null' || n === 'undefined' ? '-' : Array.isArray(n) ? `[${n.map(text).join(',')}]` : `=${showConstant((n as { value: unknown }).value)}`);
  return format.map(text).join(',');
}

/** True when the nesting holds a constant (MXNet 2 refuses a hybridized call with one). */
export function hasConstant(format: InputFormat): boolean {
  const walk = (n: InputNode): boolean => (Array.isArray(n) ? n.some(walk) : typeof n === 'object');
  return !!format && format.some(walk);
}
