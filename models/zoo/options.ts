/**
 * The zoo constructors' options check: MXNet's keyword arguments become one
 * options object, and a misspelt one (`clases`) is an Error naming it and
 * the keys the constructor takes, not silently ignored.
 */

/**
 * Throws when `options` holds a key outside `keys`.
 *
 * ```ts
 * checkZooOptions('ResNetV1', { classes: 10 }, ['classes', 'thumbnail']);
 * ```
 */
export function checkZooOptions(cls: string, options: object | undefined, keys: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new Error(`${cls}: options must be an object, got ${JSON.stringify(options)}`);
  const unknown = Object.keys(options).filter((k) => !keys.includes(k));
  if (unknown.length) throw new Error(`${cls}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (it takes ${keys.map((k) => `'${k}'`).join(', ')})`);
}
