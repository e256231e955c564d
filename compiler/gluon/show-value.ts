/** How an option's value is written in an error message. */

/**
 * A value as an error message shows it: numbers as JavaScript writes them
 * (`NaN`, `Infinity`: JSON would say `null`), anything else as JSON
 * (`undefined` as `undefined`).
 *
 * ```ts
 * throw new Error(`batchSize must be a positive number, got ${showValue(NaN)}`); // ... got NaN
 * ```
 */
export function showValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint' || v === undefined) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
