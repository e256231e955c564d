/**
 * Python's argument binding for the constructors of the Gluon API: a
 * constructor's leading parameters (MXNet's positional ones, in MXNet's
 * order) may be given positionally or by name in the one trailing options
 * object, as `Conv2D(channels=96, kernel_size=11)` is in Gluon:
 *
 * ```ts
 * new nn.Conv2D(96, 11, { strides: 4 });
 * new nn.Conv2D(96, { kernelSize: 11, strides: 4 });
 * new nn.Conv2D({ channels: 96, kernelSize: 11, strides: 4 });
 * ```
 *
 * Invariants: the options object is the last argument that is not
 * `undefined`, and only a plain object (`{...}`) is one; `undefined` (in a
 * position or as an option's value) means absent, as MXNet's `None`; a
 * parameter given both ways is an Error ("got multiple values", as Python
 * says), and so is a required one given neither way. What is left of the
 * options object goes back to the constructor, which checks its own keys.
 */
import { closestKey, UnknownOptionError } from '../../runtime/check-options.js';
import { showValue } from './show-value.js';

/** An intersection as one object type, so a string or number in its place is refused as having no property in common with it (an options type with no keys left, `{}`, still takes anything). */
type Flat<T> = { [K in keyof T]: T[K] };

/** `'poolSize?'` -> `'poolSize'`: the `?` marks an optional parameter. */
type Key<N extends string> = N extends `${infer K}?` ? K : N;

/** `{ [key of N]: value }` for the positional parameter whose 1-tuple is `L` (optional when its element is). */
type Named<N extends string, L extends readonly unknown[]> =
  L extends readonly [(infer V)?] ? ([] extends L ? { [k in Key<N>]?: V } : { [k in Key<N>]: V }) : never;

/**
 * The argument lists a constructor accepts: each prefix of its positional
 * parameters `P` (named `N`, `?` marking the optional ones), the rest given
 * by name in the options object `O` (required there when a required
 * parameter is left to it).
 *
 * ```ts
 * constructor(...args: KwArgs<['channels', 'kernelSize'], [channels: number, kernelSize: number | number[]], ConvOptions>)
 * // accepts (96, 11), (96, 11, { strides: 4 }), (96, { kernelSize: 11 }), ({ channels: 96, kernelSize: 11 })
 * ```
 */
export type KwArgs<N extends readonly string[], P extends readonly unknown[], O, Moved = unknown> =
  | ({} extends O & Moved ? [...P, options?: Flat<O & Moved>] : [...P, options: Flat<O & Moved>])
  | (P extends readonly []
      ? never
      : P extends readonly [...infer PI, unknown?]
        ? N extends readonly [...infer NI extends readonly string[], infer NL extends string]
          ? KwArgs<NI, PI, O, Moved & Named<NL, P extends readonly [...PI, ...infer L] ? L : never>>
          : never
        : never);

/**
 * One positional parameter: its name (`'strides?'` when optional), or the
 * name with a test that claims a plain object in its place as its value
 * rather than as the options object (Trainer's `{ name: Parameter }` params).
 */
export type ParamSpec = string | { name: string; claims: (x: unknown) => boolean };

/** Whether `x` is written `{...}` (the options object), not an array, instance or function. */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** A value as an error shows it, cut to 60 characters (a dataset or a block would fill the screen). */
function brief(v: unknown): string {
  const s = typeof v === 'function' ? `function ${v.name || '(anonymous)'}` : showValue(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Binds a constructor's arguments (see the module's rules): the values of
 * the parameters `params` in order (`undefined` where absent) and the
 * options object without them. `cls` names the class in errors. With
 * `known`, an option key that is neither a parameter nor in `known` is an
 * Error (for the classes with no options object of their own: `known = []`).
 *
 * ```ts
 * const [[channels, kernelSize], options] = bindArgs<[number, number | number[]], ConvOptions>('Conv2D', ['channels', 'kernelSize'], args);
 * bindArgs('Dense', ['units'], [{ units: 3, flatten: false }]); // [[3], { flatten: false }]
 * bindArgs('Dense', ['units'], [3, { units: 3 }]);  // Error: Dense: got multiple values for argument 'units' ...
 * ```
 */
export function bindArgs<P extends readonly unknown[], O extends object>(cls: string, params: readonly ParamSpec[], args: readonly unknown[], known?: readonly string[]): [P, O] {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  let options: Record<string, unknown> = {};
  const last = args[n - 1];
  if (n > 0 && isPlainObject(last)) {
    const spec = params[n - 1];
    if (!(typeof spec === 'object' && spec.claims(last))) {
      options = last;
      n--;
    }
  }
  const names = params.map((p) => (typeof p === 'string' ? p : p.name).replace(/\?$/, ''));
  if (n > params.length) {
    const s = params.length === 1 ? '' : 's';
    throw new Error(`${cls}: takes ${params.length} positional argument${s} (${names.join(', ') || 'none'}) then an options object, but ${n} positional arguments were given (argument ${params.length + 1}: ${brief(args[params.length])})`);
  }
  // An unknown key first, as Python reports an unexpected keyword before a missing argument.
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!names.includes(k)) rest[k] = v;
  const unknown = known ? Object.keys(rest).filter((k) => !known.includes(k)) : [];
  if (unknown.length) throw new UnknownOptionError(cls, unknown, [...names, ...known!]);
  const values = params.map((p, i) => {
    const name = names[i]!;
    const pos = i < n ? args[i] : undefined;
    const kw = options[name];
    if (pos !== undefined && kw !== undefined) {
      throw new Error(`${cls}: got multiple values for argument '${name}' (${brief(pos)} as argument ${i + 1} and ${brief(kw)} in the options object)`);
    }
    const v = pos !== undefined ? pos : kw;
    if (v === undefined && !(typeof p === 'string' ? p : p.name).endsWith('?')) {
      // The keys given instead show a misspelling (`{ unit: 3 }` for units).
      const others = Object.keys(rest);
      const near = others.find((k) => closestKey(k, [name]) === name);
      const had = others.length ? `, which has ${others.join(', ')}${near === undefined ? '' : `; did you mean '${name}' for '${near}'?`}` : '';
      throw new Error(`${cls}: missing required argument '${name}' (give it as argument ${i + 1} or as { ${name}: ... } in the options object${had})`);
    }
    return v;
  });
  return [values as unknown as P, rest as O];
}

/** The parameter tuple of `OptionArgs`: each name's type in `O`, optional where the name ends in `?`. */
type OptionTuple<O, N extends readonly string[]> = N extends readonly [infer H extends string, ...infer R extends readonly string[]]
  ? H extends `${infer K}?`
    ? [v?: O[K & keyof O], ...OptionTuple<O, R>]
    : [v: O[H & keyof O], ...OptionTuple<O, R>]
  : [];

/**
 * The argument lists of a class whose whole configuration is one options
 * object `O` and whose MXNet signature also takes the leading keys `N`
 * positionally (in MXNet's order, `?` marking the optional ones): `KwArgs`
 * with each parameter typed as its option.
 *
 * ```ts
 * const BATCH_NORM_ARGS = ['axis?', 'momentum?', 'epsilon?'] as const;
 * constructor(...args: OptionArgs<BatchNormOptions, typeof BATCH_NORM_ARGS>)
 * // accepts (), (1), (1, 0.9, { center: false }), ({ axis: 1, momentum: 0.9 })
 * ```
 */
export type OptionArgs<O, N extends readonly string[]> = KwArgs<N, OptionTuple<O, N>, Omit<O, Key<N[number]>>>;

/**
 * `bindArgs` for the classes of `OptionArgs`: the one options object, the
 * positional values moved into it under their names (an absent one left
 * out), so the class reads and checks its options as before. Given twice or
 * a required one missing: bindArgs' Errors; with `known` (the options
 * that are not parameters) an unknown key is one too.
 *
 * ```ts
 * bindOptions<BatchNormOptions>('BatchNorm', ['axis?', 'momentum?'], [1, 0.9, { center: false }]);
 * // { center: false, axis: 1, momentum: 0.9 }
 * ```
 */
export function bindOptions<O extends object>(cls: string, params: readonly ParamSpec[], args: readonly unknown[], known?: readonly string[]): O {
  const [values, rest] = bindArgs<unknown[], Record<string, unknown>>(cls, params, args, known);
  const out: Record<string, unknown> = { ...rest };
  params.forEach((p, i) => {
    if (values[i] !== undefined) out[(typeof p === 'string' ? p : p.name).replace(/\?$/, '')] = values[i];
  });
  return out as O;
}
