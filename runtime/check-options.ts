/**
 * The one check of an options object, used by every constructor and
 * function that takes one (layers, losses, initializers, optimizers,
 * schedules, metrics, data, `hybridize`, `export`, `loadModel`, the
 * creation functions): a key outside the accepted ones is an Error naming
 * the owner, the key and the accepted keys, with the closest accepted key
 * when one is near (`layuot` -> `layout`, snake_case `use_bias` ->
 * `useBias`), never ignored: `new rnn.LSTM(64, { layuot: 'NTC' })` would
 * otherwise train on transposed data without a word. A key is checked
 * whatever its value, `undefined` included.
 *
 * ```ts
 * checkOptions('LSTM', { layuot: 'NTC' }, ['layout', 'dropout']);
 * // Error: LSTM: unknown option 'layuot' (valid: layout, dropout); did you mean 'layout'?
 * ```
 */

/** Levenshtein distance of `a` and `b`, stopping early once above `max` (returns max + 1). */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]!);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The accepted key a misspelt `key` most likely meant: its camelCase form
 * (`i2h_weight_initializer` -> `i2hWeightInitializer`), the same letters in
 * another case, else the nearest key within edit distance 2 (the first of
 * equals); undefined when none is near.
 *
 * ```ts
 * closestKey('layuot', ['layout', 'dropout']); // 'layout'
 * closestKey('max_len', ['maxLen']);          // 'maxLen'
 * closestKey('bogusKey', ['layout']);          // undefined
 * ```
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const camel = key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  if (camel !== key && known.includes(camel)) return camel;
  const lower = key.toLowerCase().replace(/_/g, '');
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(key, k, 2);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/** MXNet keywords gluonc does not take, and what to write instead (shown when such a key is refused). */
const MXNET_KEYWORDS = new Map([
  ['prefix', "MXNet 1.x's prefix is not taken: parameters are named by structure"],
  ['params', "MXNet 1.x's params is not taken: share with .shareParameters(other.collectParams())"],
  ['ctx', 'ctx is not taken: one global context, context.setContext(...)'],
]);

/**
 * The error text for the unknown keys `unknown` of an options object whose
 * accepted keys are `known`, without the owner (callers that throw their
 * own error class prefix it).
 *
 * ```ts
 * unknownOptionsMessage(['stride'], ['strides', 'padding']);
 * // "unknown option 'stride' (valid: strides, padding); did you mean 'strides'?"
 * ```
 */
export function unknownOptionsMessage(unknown: readonly string[], known: readonly string[]): string {
  const s = unknown.length > 1 ? 's' : '';
  const valid = known.length ? `(valid: ${known.join(', ')})` : '(it takes no options)';
  const hints = unknown.flatMap((k) => {
    const c = closestKey(k, known);
    return c === undefined ? [] : [unknown.length > 1 ? `'${c}' for '${k}'` : `'${c}'`];
  });
  const hint = hints.length ? `; did you mean ${hints.join(', ')}?` : '';
  const mxnet = unknown.flatMap((k) => (MXNET_KEYWORDS.has(k) && closestKey(k, known) === undefined ? [`; ${MXNET_KEYWORDS.get(k)}`] : []));
  return `unknown option${s} ${unknown.map((k) => `'${k}'`).join(', ')} ${valid}${hint}${mxnet.join('')}`;
}

/**
 * The Error of an unknown option key: the message as `checkOptions` writes
 * it, and its parts, so that a caller that passed the options on (a
 * Trainer, its optimizer's) can say where the user wrote them instead.
 *
 * ```ts
 * try { createOptimizer(name, options); } catch (e) {
 *   if (e instanceof UnknownOptionError) throw new Error(`Trainer: optimizerParams: ${unknownOptionsMessage(e.unknown, e.known)}`);
 * }
 * ```
 */
export class UnknownOptionError extends Error {
  constructor(readonly owner: string, readonly unknown: readonly string[], readonly known: readonly string[]) {
    super(`${owner}: ${unknownOptionsMessage(unknown, known)}`);
  }
}

/**
 * Checks an options object of `owner` (a class or function name, as the
 * error shows it): a plain object whose keys are all in `known`; throws an
 * Error (an `UnknownOptionError`) naming the owner, every unknown key, the
 * accepted keys and the nearest accepted key (see the module's rules).
 * Returns the object.
 *
 * ```ts
 * checkOptions('Dropout', options, ['axes']);
 * checkOptions('Dropout', { axis: [1] }, ['axes']);
 * // Error: Dropout: unknown option 'axis' (valid: axes); did you mean 'axes'?
 * ```
 */
export function checkOptions<T>(owner: string, options: T, known: readonly string[]): T {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    let shown: string;
    try {
      shown = JSON.stringify(options) ?? String(options);
    } catch {
      shown = String(options);
    }
    throw new Error(`${owner}: options must be an object, got ${shown}`);
  }
  // No array is built unless a key is unknown: the training step checks its options on every call.
  let unknown: string[] | undefined;
  for (const k in options) {
    if (Object.prototype.hasOwnProperty.call(options, k) && !known.includes(k)) (unknown ??= []).push(k);
  }
  if (unknown) throw new UnknownOptionError(owner, unknown, known);
  return options;
}

/**
 * The accepted keys of an options type `T`, listed once as `{ key: true }`:
 * the compiler refuses a list that misses a key of `T` or names another, so
 * a documented option is never refused by a list that fell behind its type.
 *
 * ```ts
 * const KEYS = optionKeys<{ layout?: string; dropout?: number }>({ layout: true, dropout: true }); // ['layout', 'dropout']
 * ```
 */
export function optionKeys<T>(keys: { [K in keyof Required<T>]: true }): string[] {
  return Object.keys(keys);
}
