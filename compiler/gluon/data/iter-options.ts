/**
 * The option checks of gluonc's versions of MXNet's C++ iterators
 * (`mx.io.ImageRecordIter`, `ImageDetRecordIter`, `MNISTIter`, `CSVIter`):
 * each takes one options object with MXNet's parameter names in camelCase.
 *
 * Invariants: an option the iterator does not map is an Error naming it and
 * listing the mapped ones (MXNet's `InitAllowUnknown` would ignore it);
 * numbers must be finite, flags booleans, each named in its Error.
 */
import { isPlainObject } from '../bind-args.js';
import { showValue } from '../show-value.js';

/** Typed reads of one checked options object. */
export interface IterOptions {
  num(k: string, dflt: number): number;
  int(k: string, dflt: number, min: number): number;
  flag(k: string, dflt: boolean): boolean;
  str(k: string, dflt?: string): string;
}

/**
 * Checks `options` is a plain object holding only `known` keys (an Error
 * naming the others, with `hint` on what to use instead) and returns its
 * typed readers. Example: `iterOptions('MNISTIter', o, ['image', 'label'], '{ image, label, batchSize }')`.
 */
export function iterOptions(what: string, options: unknown, known: readonly string[], shape: string, hint = ''): IterOptions {
  if (!isPlainObject(options)) throw new Error(`${what}: takes one options object (${shape}), got ${showValue(options)}`);
  const o = options as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new Error(`${what}: ${unknown.map((k) => `'${k}'`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not supported by gluonc's ${what} (it maps ${known.join(', ')}${hint ? `; ${hint}` : ''})`);
  }
  const num = (k: string, dflt: number): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: ${k} must be a number, got ${showValue(v)}`);
    return v;
  };
  return {
    num,
    int(k, dflt, min) {
      const v = num(k, dflt);
      if (!Number.isInteger(v) || v < min) throw new Error(`${what}: ${k} must be an integer >= ${min}, got ${showValue(v)}`);
      return v;
    },
    flag(k, dflt) {
      const v = o[k] ?? dflt;
      if (typeof v !== 'boolean') throw new Error(`${what}: ${k} must be true or false, got ${showValue(v)}`);
      return v;
    },
    str(k, dflt) {
      const v = o[k] ?? dflt;
      if (typeof v !== 'string') throw new Error(`${what}: ${k} must be a file path (a string), got ${showValue(v)}`);
      return v;
    },
  };
}

/** MXNet's `GetPart` (iter_mnist.cc): samples `[floor(n / parts * index), floor(n / parts * (index + 1)))`. */
export function partRange(what: string, n: number, numParts: number, partIndex: number): [number, number] {
  if (partIndex >= numParts) throw new Error(`${what}: partIndex ${partIndex} must be less than numParts ${numParts}`);
  return [Math.floor((n / numParts) * partIndex), Math.floor((n / numParts) * (partIndex + 1))];
}
