/**
 * The zoo constructors' options check: MXNet's keyword arguments become one
 * options object, and a misspelt one (`clases`) is an Error naming it and
 * the keys the constructor takes, not silently ignored; MXNet's
 * `pretrained`/`root` say how to load the zoo's `.params` file instead.
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
  if ('pretrained' in options || 'root' in options) {
    throw new Error(`${cls}: there is no pretrained download (MXNet's pretrained=True, root=...): build the net, then net.loadParameters('<the zoo .params file>'), e.g. ~/.mxnet/models/resnet18_v2-a81db45f.params`);
  }
  const unknown = Object.keys(options).filter((k) => !keys.includes(k));
  if (unknown.length) throw new Error(`${cls}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (it takes ${keys.map((k) => `'${k}'`).join(', ')})`);
}
